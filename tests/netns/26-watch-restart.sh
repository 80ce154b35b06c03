#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# watch is killed with SIGKILL while the forward is being switched from A
# to B (a service manager's hard stop, an OOM kill).  Until it is back
# nothing moves the flow; once restarted, its first reconcile must do the
# work: the stream ends on B.  Then the same once more, killed while
# reacting to a burst.
. "$(dirname "$0")/watchlib.sh"

topo_standard
step "forward 53820 -> A:51820"
nft_rtr add rule ip nat prerouting iifname "wan" udp dport 53820 dnat to $A4:51820
watch_start
seed_traffic

step "SIGKILL the daemon and switch to B at the same moment"
forward_rules "$B4:53820" >"$LAB_TMP/b.nft"
forward_rules "$A4:51820" >"$LAB_TMP/a.nft"
pid=$WATCH_PID
kill -KILL "$pid" & in_rtr nft -f "$LAB_TMP/b.nft" || fail "switch failed"
wait "$pid" 2>/dev/null
rc=$?
[ "$rc" = 137 ] || fail "watch should have died of SIGKILL, exit $rc"
log "watch killed (exit $rc)"
expect_stuck_on_a "nothing runs: the flow stays on A"

step "restart: the first reconcile moves the flow"
watch_start
watch_start_said 'deleted 1 stale flow \(forward-changed 1\)' ||
	fail "the restarted daemon's first pass did not delete the stale flow"
expect_moved_to_b "after the restart"
expect_ct_reply "$B4" 53820 "after the restart"

step "SIGKILL in the middle of a burst of switches, ending on A"
(
	for ((i = 0; i < 21; i++)); do
		if ((i % 2)); then f=b; else f=a; fi
		ip netns exec "$NS_RTR" nft -f "$LAB_TMP/$f.nft" || exit 1
	done
) &
burst=$!
sleep 0.05
kill -KILL "$WATCH_PID"
wait "$WATCH_PID" 2>/dev/null
wait "$burst" || fail "the burst of switches failed"
in_rtr nft list chain ip nat prerouting | grep -q "dnat to $A4:51820" ||
	fail "the burst did not end on A"
watch_start
# From any source port: A's own late answers to the burst may hold A's
# tuple for 30 s, and the kernel then remaps the flow's reply port.
expect_rx a:anyrx 10 "after the second restart"
sleep 0.3
expect_no_rx b 2 "after the second restart"
expect_ct_reply "$A4" 51820 "after the second restart"
watch_no_errors "restart"
watch_stop
[ "$WATCH_RC" = 0 ] || fail "watch exited $WATCH_RC on SIGTERM"
pass
