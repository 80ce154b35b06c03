#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The periodic refill, read a step at a time from the poll loop, is what
# catches flows the events never showed.  Conntrack events are switched off
# in the router after watch started (net.netfilter.nf_conntrack_events=0:
# nothing reports it), so the seed flow never reaches the flow index and the
# switch to B alone does not move it.  The next periodic refill (--refill 1)
# adds it, and the periodic pass after it moves the flow to B.  Then a flow
# that ends without a DESTROY event leaves the index at the next refill.
. "$(dirname "$0")/watchlib.sh"

refills()
{
	watch_count 'periodic refill of the flow index done'
}

more_refills_than()
{
	[ "$(refills)" -gt "$1" ]
}

topo_standard
step "forward 53820 -> A:51820; watch; then events off"
nft_rtr add rule ip nat prerouting iifname "wan" udp dport 53820 dnat to $A4:51820
# The first refill comes 10 s after the start, usually well after the
# switch (seed_traffic takes ~3 s); the checks below hold either way.
watch_start --stats "$LAB_TMP/watch.prom" --resync 1 --refill 10
lab_sysctl "$NS_RTR" net.netfilter.nf_conntrack_events=0 ||
	fail "cannot switch conntrack events off"
seed_traffic

step "switch to B: the index does not know the flow"
t_switch=$SECONDS
forward_to "$B4:53820"
watch_expect_log 5 'nftables generation [0-9]+.*deleted [0-9]+ stale flow' \
	"the reaction"
# In the daemon's own order of lines: before any refill starts, the index can
# only be empty, so the reaction deletes nothing; after one, it has the
# flow.  (The log decides, not the clock.)
first_refill=$(grep -n -m1 'periodic refill of the flow index started' "$WATCH_LOG" | cut -d: -f1)
reaction=$(grep -n -E -m1 'nftables generation [0-9]+.*stale flow' "$WATCH_LOG" | cut -d: -f1)
if [ -z "$first_refill" ] || [ "$first_refill" -gt "$reaction" ]; then
	sed -n "${reaction}p" "$WATCH_LOG" | grep -q 'deleted 0 stale flows' ||
		fail "before any refill the index knew the flow (events were off)"
	log "the reaction found nothing to delete: the index did not know the flow"
else
	log "a refill came before the switch (slow lab): the reaction found the flow"
fi

step "the periodic refill finds the flow, the next pass moves it"
watch_expect_log 20 'periodic refill of the flow index done in [0-9]+ ms: [1-9][0-9]* flows' \
	"a refill completes"
expect_moved_to_b "after the periodic refill"
log "moved $((SECONDS - t_switch)) s after the switch"

step "a flow gone without an event leaves the index at the next refill"
# Every sender goes first: an echo that answers a datagram it read before
# the delete would start a new flow (B -> remote) that the index is right
# to hold.
for p in "$SENDER" "$ECHO_A" "$ECHO_B"; do stop "$p"; done
in_rtr conntrack -F >/dev/null 2>&1
ct_left()
{
	in_rtr conntrack -C 2>/dev/null
}
[ "$(ct_left)" = 0 ] || fail "lab: conntrack in rtr not empty after the flush"
n=$(refills)
# the refill under way may have seen the flow: the one after it has not
wait_until 30 more_refills_than "$((n + 1))" || fail "no further refill"
sleep 1.5	# the next pass writes the stats
[ "$(ct_left)" = 0 ] ||
	fail "lab: a flow came back in rtr: $(in_rtr conntrack -L 2>/dev/null)"
[ "$(stat_value index_flows)" = 0 ] ||
	fail "index still holds $(stat_value index_flows) flows after the refill"
watch_no_errors "refill"
watch_stop
[ "$WATCH_RC" = 0 ] || fail "watch exited $WATCH_RC on SIGTERM"
pass
