#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A whole pass of watch gives way to a rule change that arrives while it
# judges, even when the reaction it belongs to has already deleted flows,
# and the change's early pass moves its flow at once.
#
# At 10M flows a whole pass over the index judges 2M flows (0.3 s on a
# quiet machine, seconds on a busy one).  A pass that would not give way
# once its early pass had deleted something made the next switch wait for
# it (bench/switch at 10M: p50 2.1 s).  Here the pass is made long by the
# fault shim (tests/fault/nlfault.c "stall": the pass's look for a waiting
# change sleeps first), and the forward is switched A -> B, then, while
# the pass of that reaction is under way, back B -> A:
#   - the pass gives way (log) instead of finishing;
#   - the next reaction's early pass finds port 53820 changed although its
#     rules equal those of the last finished reaction (A, before the first
#     switch): it also compares with the rules the reaction that gave way
#     had judged against (B), and deletes the flow the B rules made;
#   - that reaction counts both deletes (the early pass's of the reaction
#     that gave way are carried to it): one log line, the stats file.
. "$(dirname "$0")/watchlib.sh"
. "$TOP/tests/fault/lib-fault.sh"

fault_require_shim
topo_standard
forward_to "$A4:$PEER_PORT"

ARM=$LAB_TMP/stall.arm
FAULT_LOG=$LAB_TMP/fault.watch.log
: >"$FAULT_LOG"
stalls() { grep -c 'stall' "$FAULT_LOG"; }
stalled() { [ "$(stalls)" -ge 1 ]; }
on_b() { [ "$(ct_seed_reply)" = "$B4 $FWD_PORT" ]; }
early_deletes() { watch_count 'early pass on 1 port: deleted 1 flow\(s\)'; }
two_early() { [ "$(early_deletes)" -ge 2 ]; }

step "watch with the shim (armed later), no periodic resync"
watch_start_cmd env LD_PRELOAD="$NLFAULT_SO" NLFAULT="stall=4000@poll#1+" \
	NLFAULT_ARM="$ARM" NLFAULT_LOG="$FAULT_LOG" \
	"$CTSWEEP" -v --netns "$NS_RTR" watch --resync 0 \
	--stats "$LAB_TMP/watch.prom"
seed_traffic
[ "$(stalls)" = 0 ] || fail "the shim stalled before it was armed"

step "switch A -> B with every pass stalled 4 s at its first look"
touch "$ARM"
forward_to "$B4:$FWD_PORT"
watch_expect_log 10 'early pass on 1 port: deleted 1 flow\(s\)' \
	"the switch to B: early pass"
wait_until 10 stalled ||
	fail "the reaction's whole pass never looked for a waiting change"
# the stream re-creates the entry by the B rules while the pass stalls
wait_until 3 on_b ||
	fail "the flow did not go to B during the pass: $(ct_seed)"
watch_logged 'pass 1: waited' &&
	fail "the whole pass ended before the second switch: the stall did not hold it"

step "switch B -> A while that pass is under way"
forward_to "$A4:$PEER_PORT"
watch_expect_log 10 'the pass gave way to a rule change \(1 in a row\)' \
	"the pass with an early delete behind it"
wait_until 10 two_early ||
	fail "the second switch's early pass deleted nothing (rules equal to the last finished reaction's: it must compare with those of the reaction that gave way)"
expect_rx a 10 "the flow back on A"
expect_ct_reply "$A4" "$PEER_PORT" "after the switch back"
watch_expect_log 15 'nftables generation [0-9]+.*deleted 2 stale flows \(forward-changed 2\)' \
	"the reaction counts the deletes of the one that gave way"
rm -f "$ARM"
got=$(stat_value flows_deleted_total 'reason="forward-changed"')
[ "$got" = 2 ] || fail "stats: deleted forward-changed is '$got', expected 2"
[ "$(watch_count 'the pass gave way')" = 1 ] ||
	fail "the pass gave way $(watch_count 'the pass gave way') times, expected once"
watch_stop
[ "$WATCH_RC" = 0 ] || fail "watch exited $WATCH_RC"
watch_no_errors "after the two switches"
pass
