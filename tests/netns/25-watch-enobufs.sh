#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Lost notifications: watch runs with a tiny receive buffer (the hidden
# test option --rcvbuf) and is stopped (SIGSTOP) while one transaction adds
# 400 rules and switches the forward to B.  The kernel drops notifications (ENOBUFS); watch must count
# the loss, resync in full and converge: the stream ends on B.
. "$(dirname "$0")/watchlib.sh"

NRULES=400

topo_standard
step "forward 53820 -> A:51820"
nft_rtr add rule ip nat prerouting iifname "wan" udp dport 53820 dnat to $A4:51820
watch_start --rcvbuf 4096 --stats "$LAB_TMP/watch.prom"
seed_traffic

step "one transaction: $NRULES new forwards, and 53820 -> B:53820"
{
	echo "flush chain ip nat prerouting"
	for ((i = 0; i < NRULES; i++)); do
		echo "add rule ip nat prerouting iifname \"wan\" udp dport $((20000 + i)) dnat to $A4:$((20000 + i))"
	done
	echo "add rule ip nat prerouting iifname \"wan\" udp dport 53820 dnat to $B4:53820"
} >"$LAB_TMP/burst.nft"
# Stopped, the daemon cannot read while the kernel queues the burst: the
# loss is certain, not a race with the reader.
kill -STOP "$WATCH_PID"
nft_rtr -f "$LAB_TMP/burst.nft"
kill -CONT "$WATCH_PID"
watch_expect_log 10 'notifications lost' "watch notices the loss"
expect_moved_to_b "after lost notifications"
expect_ct_reply "$B4" 53820 "after lost notifications"
wait_until 10 test -s "$LAB_TMP/watch.prom" || fail "no stats file"
lost=$(stat_value events_lost_total)
[ -n "$lost" ] && [ "$lost" -ge 1 ] || fail "stats: events_lost_total is '$lost', expected >= 1"
log "stats: $lost losses counted"

step "and again, a burst of 50 small transactions ending on A"
# B's service goes away with the forward.  While it runs, its echo can
# reach the router first after the delete and re-create the flow in the
# other orientation (B -> peer), whose replies bypass the DNAT: a race of
# the lab, not of ctsweep.
stop "$ECHO_B"
kill -STOP "$WATCH_PID"
for ((i = 0; i < 49; i++)); do
	echo "add rule ip nat prerouting iifname \"wan\" udp dport $((30000 + i)) dnat to $B4:$((30000 + i))"
done | in_rtr nft -i >/dev/null || fail "burst of transactions failed"
forward_to "$A4:51820"
kill -CONT "$WATCH_PID"
expect_rx a:anyrx 10 "back on A after the second burst"
sleep 0.3
expect_no_rx b 2 "back on A after the second burst"
expect_ct_reply "$A4" 51820 "back on A"
watch_alive || fail "watch died"
watch_no_errors "lost notifications"
watch_stop
[ "$WATCH_RC" = 0 ] || fail "watch exited $WATCH_RC on SIGTERM"
pass
