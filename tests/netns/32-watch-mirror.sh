#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# watch and the old backend's late answer (see 18-sweep-mirror.sh): the
# forward goes back from B:53820 to A, watch deletes the flow to B, and
# B's reply that was on its way starts the same flow backwards (a mirror),
# which would carry the peer's stream to B for good.
#   1. watch deletes the mirror as soon as conntrack reports it;
#   2. a mirror that forms while watch is down (SIGKILL right after its
#      delete) is deleted by the restarted daemon's first pass;
#   3. a sweep run by hand deletes the flow to B (watch is stopped with
#      SIGSTOP meanwhile, so that the sweep is first): the candidate it
#      leaves in the shared file reaches the running daemon, which
#      deletes the mirror when it forms.
# A's own late answers (A:51820, not the forwarded port) start outbound
# flows that are left alone; while one lives, the flow back to A has its
# reply port remapped, so A's arrivals are counted from any source port
# (a:anyrx).
. "$(dirname "$0")/watchlib.sh"

# The stream on B, then the peer paused and the forward back to A: watch
# deletes the flow to B.
on_b_then_back_to_a()
{
	forward_to "$B4:53820"
	expect_rx b 10 "$1: forward to B"
	stop "$SENDER"
	sleep 0.3
	forward_to "$A4:51820"
	wait_until 5 seed_gone || fail "$1: watch did not delete the flow to B"
}

# watch_more PATTERN N: more than N log lines match PATTERN now.
watch_more()
{
	[ "$(watch_count "$1")" -gt "$2" ]
}

topo_standard
step "forward 53820 -> A:51820, stream, watch"
nft_rtr add rule ip nat prerouting iifname "wan" udp dport 53820 dnat to $A4:51820
watch_start --stats "$LAB_TMP/watch.prom"
seed_traffic

step "1. B's late answer while watch runs"
on_b_then_back_to_a "1"
b_answers_late
watch_expect_log 5 "deleted udp $REMOTE4:51820 > $WAN4:53820 id [0-9]+ goes to $B4:53820, rules say $A4:51820 \(forward-mirrored\)" \
	"watch deletes the mirror"
mirror_exists && fail "the mirror is still there: $(mirror_entry)"
[ "$(stat_value flows_deleted_total 'reason="forward-mirrored"')" = 1 ] ||
	fail "stats: $(grep forward-mirrored "$LAB_TMP/watch.prom")"
start_sender SENDER
expect_rx a:anyrx 10 "after the mirror was deleted"
sleep 0.3
expect_no_rx b 2 "after the mirror was deleted"
expect_ct_reply "$A4" 51820 "after the mirror was deleted"

step "2. the mirror forms while watch is down"
on_b_then_back_to_a "2"
kill -KILL "$WATCH_PID"
wait "$WATCH_PID" 2>/dev/null
WATCH_PID=
b_answers_late --check
start_sender SENDER
expect_rx b 10 "no daemon: the mirror carries the stream to B"
watch_start
watch_start_said 'deleted 1 stale flow \(forward-mirrored 1\)' ||
	fail "the restarted daemon's first pass did not delete the mirror"
expect_rx a:anyrx 10 "after the restart"
sleep 0.3
expect_no_rx b 2 "after the restart"
expect_ct_reply "$A4" 51820 "after the restart"

step "3. a sweep by hand deletes the flow to B; watch learns of it"
forward_to "$B4:53820"
expect_rx b 10 "3: forward to B"
stop "$SENDER"
sleep 0.3
reactions=$(watch_count 'deleted [0-9]+ stale flow')
kill -STOP "$WATCH_PID"
forward_to "$A4:51820"
cts sweep
assert_rc 0 "3: sweep by hand"
grep -q 'forward-changed' "$CTS_OUT" ||
	fail "3: the sweep did not delete the flow to B: $(cat "$CTS_OUT")"
kill -CONT "$WATCH_PID"
wait_until 5 watch_more 'deleted [0-9]+ stale flow' "$reactions" ||
	fail "3: watch did not react to the switch back to A"
mirrored=$(watch_count 'forward-mirrored\)$')
b_answers_late
wait_until 5 watch_more 'forward-mirrored\)$' "$mirrored" ||
	fail "3: watch did not delete the mirror of the flow the sweep deleted: $(mirror_entry)"
mirror_exists && fail "3: the mirror is still there: $(mirror_entry)"
start_sender SENDER
expect_rx a:anyrx 10 "3: after the mirror was deleted"
sleep 0.3
expect_no_rx b 2 "3: after the mirror was deleted"
watch_no_errors "mirror"
watch_stop
[ "$WATCH_RC" = 0 ] || fail "watch exited $WATCH_RC on SIGTERM"
pass
