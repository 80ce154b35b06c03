#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# watch judges every entry as it appears.  Entries made by packets follow
# the current rules, but one created through ctnetlink (a conntrackd
# commit at a failover, "conntrack -I", a restore) need not: here
# "conntrack -I" inserts the peer's flow as if it still went to B:53820,
# while the forward says A:51820.  watch must delete it at once, with no
# rule change to set it off, and leave an inserted entry that agrees with
# the rules (and the live seed flow) alone.
. "$(dirname "$0")/watchlib.sh"

# ct_insert SPORT REPLY-ADDR REPLY-PORT: a UDP entry from the peer to the
# router's 53820, answered from REPLY-ADDR:REPLY-PORT.
ct_insert()
{
	in_rtr conntrack -I -p udp -s "$REMOTE4" -d "$WAN4" --sport "$1" \
		--dport 53820 -r "$2" -q "$REMOTE4" --reply-port-src "$3" \
		--reply-port-dst "$1" -t 120 -u SEEN_REPLY,ASSURED \
		>/dev/null 2>&1 || fail "conntrack -I of a flow from port $1 failed"
}

ct_port_exists()
{
	[ -n "$(in_rtr conntrack -L -p udp --orig-port-src "$1" \
		--orig-port-dst 53820 2>/dev/null)" ]
}

ct_port_gone() { ! ct_port_exists "$1"; }

topo_standard
step "forward 53820 -> A:51820; ctsweep watch"
nft_rtr add rule ip nat prerouting udp dport 53820 dnat to $A4:51820
watch_start --stats "$LAB_TMP/watch.prom"
seed_traffic
id_before=$(ct_seed_id)

step "conntrack -I: one entry that agrees with the rules (A:51820)"
ct_insert 40001 "$A4" 51820
sleep 1
ct_port_exists 40001 ||
	fail "watch deleted an inserted entry that agrees with the rules"

step "conntrack -I: one that contradicts them (B:53820)"
ct_insert 40002 "$B4" 53820
wait_until 5 ct_port_gone 40002 ||
	fail "watch left the stale inserted entry: $(in_rtr conntrack -L -p udp --orig-port-src 40002 2>&1)"
watch_expect_log 5 "deleted.*$REMOTE4:40002.*forward-changed|forward-changed.*$REMOTE4:40002" \
	"watch logs the delete of the inserted entry"
ct_port_exists 40001 || fail "the consistent inserted entry is gone"
expect_seed_id "$id_before" "the inserts"
expect_rx a 5 "the seed stream stays at A"
watch_logged 'nftables generation' &&
	fail "a rule change was reported; none was made"
wait_until 5 sh -c "grep -q '^ctsweep_new_flows_stale_total 1$' \
	'$LAB_TMP/watch.prom'" ||
	fail "stats: new_flows_stale_total: $(grep new_flows "$LAB_TMP/watch.prom")"

step "right after a rule change, the insert gets a pass of its own"
# (entries racing a rule change are the passes' business)
nft_rtr add rule ip nat prerouting udp dport 4000 dnat to $B4:4000
sleep 0.1	# the change's own pass is over: the insert comes after it
ct_insert 40004 "$B4" 53820
wait_until 5 ct_port_gone 40004 ||
	fail "watch left the stale entry inserted after a rule change"
# (on a slow machine the change's own pass may still be pending, and
# it is the one that deletes the entry)
watch_expect_log 5 "(new entries the rules disagree with|nftables generation [0-9]+ .*): deleted 1 stale flow" \
	"a pass deletes it"
ct_port_exists 40001 || fail "the consistent inserted entry is gone"

step "with --dry-run the same insert is only reported"
watch_stop TERM
[ "$WATCH_RC" = 0 ] || fail "SIGTERM: watch exited $WATCH_RC, expected 0"
watch_start --dry-run
# The event's own judgement reports it ("stale (dry run)"); within half a
# second of a rule change a pass of its own would ("would delete").
ct_insert 40003 "$B4" 53820
watch_expect_log 5 "(stale \(dry run\)|would delete) udp $REMOTE4:40003" \
	"dry run reports the stale inserted entry"
ct_port_exists 40003 || fail "--dry-run deleted an entry"
watch_no_errors "new stale"
watch_stop TERM
[ "$WATCH_RC" = 0 ] || fail "SIGTERM: watch exited $WATCH_RC, expected 0"
pass
