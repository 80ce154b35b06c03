#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The filtered flush deletes a stale class and nothing else.  Flows the
# forward on 53820 sent to A are all stale once it points to B: sweep
# --flush deletes them with one kernel flush (UDP, original port 53820,
# replied from A, DNATed).  Fresh flows to the same port that the new rule
# sent to B match the same port filter but are correct: they survive, the
# same entries.  With a rule that can still send a new flow to A (a
# hairpin forward from the LAN), no flush is exact (a flow made after the
# judging could join the class): sweep then deletes the stale flows one by
# one, and still leaves the fresh ones.  Without CAP_SYS_ADMIN the flush's
# probe cannot run: sweep deletes one by one and says which step failed,
# with its errno.
. "$(dirname "$0")/lib.sh"

fresh_ids()
{
	ct_ids -p udp --orig-port-dst 53820 --reply-src "$B4"
}

stale_count()
{
	ct_count -p udp --orig-port-dst 53820 --reply-src "$A4"
}

stale_are() { [ "$(stale_count)" = "$1" ]; }
fresh_are() { [ "$(fresh_ids | grep -c .)" = "$1" ]; }

# make_flows: 40 flows sent to A, the switch to B, 6 fresh flows to B.
make_flows()
{
	forward_to "$A4:51820"
	udp_burst remote "$WAN4" 53820 40
	wait_until 5 stale_are 40 ||
		fail "expected 40 flows to A, conntrack has $(stale_count)"
	forward_to "$B4:53820"
	udp_burst remote "$WAN4" 53820 6
	wait_until 5 fresh_are 6 || fail "expected 6 fresh flows to B"
}

topo_standard
# The bursts' flows are single datagrams: 30 s would be too short for a
# slow machine (an emulated kernel, a loaded host) to judge them all.
lab_sysctl "$NS_RTR" net.netfilter.nf_conntrack_udp_timeout=300 ||
	fail "cannot raise the udp timeout in the router"

step "1. a whole class of stale flows, and fresh ones on the same port"
make_flows
fresh_before=$(fresh_ids)
cts -v sweep --flush --json --settle 0
assert_rc 0 "sweep --flush"
assert_json '.summary.stale == 40 and .summary.deleted == 40' \
	"sweep judged and deleted the 40 stale flows"
assert_json '.summary.unknown == 0' "no unknown flow"
expect_flush_path 40
[ "$(stale_count)" = 0 ] || fail "$(stale_count) stale flows left"
[ "$(fresh_ids)" = "$fresh_before" ] ||
	fail "the fresh flows to B changed: '$fresh_before' -> '$(fresh_ids)'"
log "sweep took the 40 flows to A and left the 6 to B as they were"

step "2. a rule can still send flows to A: no flush, deletes one by one"
in_rtr conntrack -F >/dev/null 2>&1
make_flows
nft_rtr add rule ip nat prerouting iifname "br-lan" udp dport 53820 \
	dnat to $A4:51820
fresh_before=$(fresh_ids)
cts -v sweep --flush --json --settle 0
assert_rc 0 "sweep --flush with a hairpin forward to A"
assert_json '.summary.stale == 40 and .summary.deleted == 40' \
	"sweep deleted the 40 stale flows"
! grep -q "$FLUSH_LINE" "$CTS_ERR" ||
	fail "sweep flushed a class that a rule can still send flows into"
[ "$(stale_count)" = 0 ] || fail "$(stale_count) stale flows left"
[ "$(fresh_ids)" = "$fresh_before" ] ||
	fail "the fresh flows to B changed: '$fresh_before' -> '$(fresh_ids)'"

step "3. the probe cannot run (no CAP_SYS_ADMIN): sweep names the step and its errno"
in_rtr conntrack -F >/dev/null 2>&1
make_flows	# forward_to drops step 2's hairpin rule
fresh_before=$(fresh_ids)
# The probe's unshare(CLONE_NEWNET) needs CAP_SYS_ADMIN; ctsweep itself
# needs only CAP_NET_ADMIN, inside the router (no --netns, no setns).
cts_cmd ip netns exec "$NS_RTR" setpriv --inh-caps=-sys_admin \
	--bounding-set=-sys_admin "$CTSWEEP" -v sweep --flush --json --settle 0
assert_rc 0 "sweep --flush without CAP_SYS_ADMIN"
assert_json '.summary.stale == 40 and .summary.deleted == 40' \
	"sweep deleted the 40 stale flows one by one"
! grep -q "$FLUSH_LINE" "$CTS_ERR" ||
	fail "sweep flushed by filter though its probe could not run"
grep -q "its probe cannot create a network namespace: Operation not permitted" \
	"$CTS_ERR" ||
	fail "sweep did not say why its probe could not run"
[ "$(stale_count)" = 0 ] || fail "$(stale_count) stale flows left"
[ "$(fresh_ids)" = "$fresh_before" ] ||
	fail "the fresh flows to B changed: '$fresh_before' -> '$(fresh_ids)'"
pass
