#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A plain sweep (no -v, no --json: nothing lists the stale flows) deletes
# them in batches while its walks go on, so that its memory does not grow
# with the table.  12,000 entries are made through ctnetlink (bench/ctfill:
# real kernel entries, DNATed by CTA_NAT_DST as a real DNAT would), half to
# A (stale once the forward points to B), half to B, spread evenly over the
# table: the stale half makes a batch of 4096 mid-walk and a last one.
# Exactly the 6,000 stale entries go, the 6,000 to B stay the same entries,
# and the counts say so; a second sweep finds nothing.
. "$(dirname "$0")/lib.sh"

N=12000

to_a() { ct_count -p udp --orig-port-dst 53820 --reply-src "$A4"; }
to_b_ids() { ct_ids -p udp --orig-port-dst 53820 --reply-src "$B4"; }

topo_standard

step "fill: $N entries to 53820, half DNATed to A, half to B"
gcc -O2 -std=gnu11 -D_GNU_SOURCE -o "$LAB_TMP/ctfill" \
	"$TOP/bench/ctfill.c" -lmnl || fail "cannot build bench/ctfill"
forward_to "$B4:53820"
# ctfill's clients (10.x.y.z) come in from the wan side, as the peer does
in_rtr ip route add 10.0.0.0/8 via "$REMOTE4" dev wan ||
	fail "cannot route 10.0.0.0/8 to the wan side"
"$LAB_TMP/ctfill" --netns "$NS_RTR" -n $N --stale 0.5 --vip "$WAN4" \
	--port 53820 --old "$A4" --new "$B4" --backend-port 53820 \
	--timeout 600 >"$LAB_TMP/fill.out" 2>&1 ||
	fail "ctfill: $(cat "$LAB_TMP/fill.out")"
log "$(head -n 1 "$LAB_TMP/fill.out")"
[ "$(to_a)" = $((N / 2)) ] || fail "expected $((N / 2)) entries to A, have $(to_a)"
b_before=$(to_b_ids)
[ "$(grep -c . <<<"$b_before")" = $((N / 2)) ] ||
	fail "expected $((N / 2)) entries to B"

step "sweep deletes the stale half as it walks"
# A LAN rule that can still DNAT to A rules out a filtered flush of the
# stale class (tests/netns/19): the deletes go in batches as walked.
nft_rtr add rule ip nat prerouting iifname "br-lan" udp dport 53820 \
	dnat to "$A4:53820"
cts sweep --settle 0
assert_rc 0 "sweep"
grep -Eq "(^|[^0-9])$((N / 2)) stale" "$CTS_OUT" ||
	fail "the summary does not count $((N / 2)) stale flows: $(cat "$CTS_OUT")"
[ "$(to_a)" = 0 ] || fail "$(to_a) stale entries to A left"
[ "$(to_b_ids)" = "$b_before" ] || fail "the entries to B changed"
[ ! -s "$CTS_ERR" ] || fail "sweep wrote to stderr (not a terminal): $(cat "$CTS_ERR")"
log "6000 stale deleted in batches, the 6000 to B the same entries"

step "a second sweep finds nothing left"
cts sweep --json --settle 0
assert_rc 0 "second sweep"
assert_json '.summary.stale == 0 and .summary.deleted == 0' "nothing stale"
pass
