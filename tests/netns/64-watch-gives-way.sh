#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A whole pass of watch gives way to a rule change that arrives while it
# judges, even when the reaction it belongs to has already deleted flows,
# and the change's early pass moves its flow at once.
#
# At 10M flows a whole pass over the index judges 2M flows (0.3 s on a
# quiet machine, seconds on a busy one).  A pass that would not give way
# once its early pass had deleted something made the next switch wait for
# it (bench/switch at 10M: p50 2.1 s).  Here each pass is made long by the
# fault shim (tests/fault/nlfault.c "stall": the pass's look for a waiting
# change sleeps first), and:
#   1. the forward is switched A -> B: the early pass deletes the flow to A
#      and the whole pass stalls; the stream makes a new entry, to B;
#   2. an unrelated rule is added meanwhile: the pass gives way, although
#      its reaction deleted a flow; the next reaction's early pass judges
#      port 53820 again (changed since the last finished reaction) and
#      keeps the entry to B, and its whole pass stalls;
#   3. the forward is switched back B -> A meanwhile: the pass gives way
#      again, and the next early pass deletes the entry to B although the
#      rules equal those of the last finished reaction on port 53820 (A,
#      before the first switch): it also compares with the rules the
#      reaction that gave way had judged against (B);
#   4. the reaction that finishes counts every delete of the ones that gave
#      way (one log line, the stats file).
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
stalled2() { [ "$(stalls)" -ge 2 ]; }
on_b() { [ "$(ct_seed_reply)" = "$B4 $FWD_PORT" ]; }
early_deletes() { watch_count 'early pass on 1 port: deleted 1 flow\(s\)'; }
two_early() { [ "$(early_deletes)" -ge 2 ]; }

step "watch with the shim (armed later), no periodic resync"
watch_start_cmd env LD_PRELOAD="$NLFAULT_SO" NLFAULT="stall=2000@poll#1+" \
	NLFAULT_ARM="$ARM" NLFAULT_LOG="$FAULT_LOG" \
	"$CTSWEEP" -v --netns "$NS_RTR" watch --resync 0 \
	--stats "$LAB_TMP/watch.prom"
seed_traffic
[ "$(stalls)" = 0 ] || fail "the shim stalled before it was armed"

step "1: switch A -> B, every pass stalled 2 s at its first look"
passes=$(watch_count 'pass [0-9]+: waited')
touch "$ARM"
forward_to "$B4:$FWD_PORT"
watch_expect_log 10 'early pass on 1 port: deleted 1 flow\(s\)' \
	"the switch to B: early pass"
wait_until 10 stalled ||
	fail "the reaction's whole pass never looked for a waiting change"
wait_until 2 on_b || fail "the flow did not go to B during the pass: $(ct_seed)"

step "2: an unrelated rule while that pass is under way"
nft_rtr add rule inet filter input udp dport 9 counter
watch_expect_log 10 'the pass gave way to a rule change \(1 in a row\)' \
	"the pass with an early delete behind it"
wait_until 10 stalled2 ||
	fail "the next reaction's whole pass never looked for a waiting change"
[ "$(early_deletes)" = 1 ] ||
	fail "the second reaction deleted the flow to B, which its rules say"
[ "$(watch_count 'pass [0-9]+: waited')" = "$passes" ] ||
	fail "a whole pass ended before the switch back: the stall did not hold it"

step "3: switch B -> A while the second reaction's pass is under way"
forward_to "$A4:$PEER_PORT"
watch_expect_log 10 'the pass gave way to a rule change \(2 in a row\)' \
	"the second pass"
wait_until 10 two_early ||
	fail "the early pass after the switch back deleted nothing (its rules equal the last finished reaction's on 53820: it must compare with those of the reaction that gave way)"
expect_rx a 10 "the flow back on A"
expect_ct_reply "$A4" "$PEER_PORT" "after the switch back"

step "4: the reaction that finishes counts every delete"
watch_expect_log 15 'nftables generation [0-9]+.*deleted 2 stale flows \(forward-changed 2\)' \
	"the reaction's line with the deletes of the ones that gave way"
rm -f "$ARM"
got=$(stat_value flows_deleted_total 'reason="forward-changed"')
[ "$got" = 2 ] || fail "stats: deleted forward-changed is '$got', expected 2"
[ "$(watch_count 'the pass gave way')" = 2 ] ||
	fail "the pass gave way $(watch_count 'the pass gave way') times, expected twice"
watch_stop
[ "$WATCH_RC" = 0 ] || fail "watch exited $WATCH_RC"
watch_no_errors "after the switches"
pass
