#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# watch never judges against iptables-legacy rules it could not read again.
#
# A legacy table being replaced while it is read fails the read: the
# kernel answers IPT_SO_GET_ENTRIES with EAGAIN when the table changed
# since IPT_SO_GET_INFO, and after five tries the read gives up.  That is
# exactly while the rules change, so a daemon that kept the fingerprint of
# the rules it last read would take "I could not look" for "nothing
# changed", and delete a new entry the new rules made, judged by the old.
#
# Here the failure is made to last (tests/fault/nlfault.c: every
# GET_ENTRIES fails with EAGAIN while the file $ARM exists), the forward
# udp 5000 is switched from A to B in the legacy nat table, and a new flow
# to it starts (it goes to B, by the new rules).  Watch, whose model still
# says A, must neither delete it nor judge anything until a read succeeds
# (--legacy-poll 0: no poll; the new entry alone asks for a look).  Then
# the fault goes: the next read succeeds, the pass judges the flow
# consistent, and its entry is the same one throughout.  A second round
# with --legacy-poll 200 shows the poll's failed reads asking for a pass
# too, not taken for "unchanged": a forward switched while reads fail is
# moved once they succeed again, not before.
. "$(dirname "$0")/watchlib.sh"
. "$(dirname "$0")/lib-legacy.sh"
. "$TOP/tests/fault/lib-fault.sh"

fault_require_shim
topo_standard --fw none
step "iptables-legacy only: udp 5000 -> A:5000, masquerade out of wan"
legacy_fw_base 4
ipt4 -t nat -A PREROUTING -i wan -p udp -m udp --dport 5000 -j DNAT --to-destination "$A4:5000"
ipt4 -t nat -A POSTROUTING -o wan -j MASQUERADE
expect_no_nft_rules
spawn SINK_A a socat -u UDP4-RECV:5000 OPEN:/dev/null
spawn SINK_B b socat -u UDP4-RECV:5000 OPEN:/dev/null

ARM=$LAB_TMP/fault.arm
FAULT_LOG=$LAB_TMP/fault.watch.log
: >"$FAULT_LOG"
# watch_start_cmd: env execs, so WATCH_PID is the daemon's pid
watch_shim()
{
	watch_start_cmd env LD_PRELOAD="$NLFAULT_SO" \
		NLFAULT="getsockopt=EAGAIN@xt4-entries#1+" NLFAULT_ARM="$ARM" \
		NLFAULT_LOG="$FAULT_LOG" \
		"$CTSWEEP" -v --netns "$NS_RTR" watch --resync 0 "$@"
}
fault_on() { touch "$ARM"; }
fault_off() { rm -f "$ARM"; }
fault_count() { grep -c 'xt4-entries' "$FAULT_LOG"; }

step "round 1: watch --legacy-poll 0, the legacy reads fail, the forward moves to B"
watch_shim --legacy-poll 0
fault_on
ipt4 -t nat -R PREROUTING 1 -i wan -p udp -m udp --dport 5000 -j DNAT --to-destination "$B4:5000"
start_stream STREAM remote "$WAN4" 5000 51830
wait_until 5 ct_flow_exists 51830 5000 || fail "no conntrack entry for the new flow"
[ "$(ct_flow_reply 51830 5000 | cut -d' ' -f1,2)" = "$B4 5000" ] ||
	fail "the new flow does not go to B by the new rule: $(ct_flow 51830 5000)"
# a second of reads failing: watch keeps asking and must judge nothing
sleep 1
[ "$(fault_count)" -gt 0 ] || fail "the fault never fired: no legacy read failed"
log "legacy reads failed $(fault_count) times so far"
watch_logged "deleted udp $REMOTE4:51830" &&
	fail "watch deleted the new flow, judged against the legacy rules it could not read again: $(grep -m1 'deleted udp' "$WATCH_LOG")"
watch_logged 'new entries the rules disagree with' &&
	fail "watch finished a pass while the legacy tables could not be read: $(grep -m1 'new entries the rules disagree with' "$WATCH_LOG")"
ct_flow_tag 51830 5000
id=$(ct_flow_id 51830 5000)
log "new flow 51830 -> 5000 goes to B (conntrack id $id)"

step "the reads succeed again: one pass, the flow consistent and kept"
fault_off
watch_expect_log 10 'new entries the rules disagree with.*: deleted 0 stale flows' \
	"a pass once the legacy tables can be read"
sleep 0.5
expect_flow_kept 51830 5000 "$id" "after the pass against the new rules"
watch_logged "deleted udp" &&
	fail "watch deleted a flow: $(grep -m1 'deleted udp' "$WATCH_LOG")"
watch_no_errors "round 1"
watch_stop
stop "$STREAM"

step "round 2: --legacy-poll 200; the forward moves back to A while the reads fail"
in_rtr conntrack -D -p udp --orig-port-dst 5000 >/dev/null 2>&1
flow_gone() { ! ct_flow_exists "$@"; }
wait_until 5 flow_gone 51830 5000 || fail "round 1's flow is still there: $(ct_flow 51830 5000)"
start_stream STREAM remote "$WAN4" 5000 51831
wait_until 5 ct_flow_exists 51831 5000 || fail "no conntrack entry for the stream"
ct_flow_tag 51831 5000
watch_shim --legacy-poll 200
fault_on
ipt4 -t nat -R PREROUTING 1 -i wan -p udp -m udp --dport 5000 -j DNAT --to-destination "$A4:5000"
before=$(fault_count)
sleep 1
[ "$(fault_count)" -gt "$before" ] || fail "the poll's reads did not fail: no fault fired"
# the flow still goes to B: nothing judged against rules not read
ct_flow_tagged 51831 5000 ||
	fail "the flow to B lost its entry while the legacy tables could not be read: $(ct_flow 51831 5000)"
watch_logged "deleted udp" &&
	fail "watch deleted a flow while the legacy tables could not be read: $(grep -m1 'deleted udp' "$WATCH_LOG")"
fault_off
watch_expect_log 10 'iptables-legacy tables changed \(IPv4.*deleted [1-9][0-9]* stale flow' \
	"the forward moved back to A once the tables could be read"
wait_until 5 ct_flow_exists 51831 5000 || fail "the stream did not come back"
[ "$(ct_flow_reply 51831 5000 | cut -d' ' -f1,2)" = "$A4 5000" ] ||
	fail "the stream does not go to A after the pass: $(ct_flow 51831 5000)"
expect_flow_replaced 51831 5000 "moved back to A"
watch_no_errors "round 2"
watch_stop
[ "$WATCH_RC" = 0 ] || fail "watch exited $WATCH_RC"

# A pass that fails for another reason (conntrack cannot be read) backs
# off, 500 ms doubling to 30 s; the legacy poll, which finds no model
# read yet, must not pull each retry in (it once did: 30 s reached within
# a second, an error line every 50 ms).
step "round 3: a start that fails on conntrack backs off; the poll does not hurry it"
watch_start_cmd_nowait()
{
	WATCH_N=$((WATCH_N + 1))
	WATCH_LOG=$LAB_TMP/watch.$WATCH_N.log
	log "\$ ${*/#$CTSWEEP/ctsweep}  (log: watch.$WATCH_N.log)"
	setsid "$@" </dev/null >"$WATCH_LOG" 2>&1 &
	WATCH_PID=$!
	LAB_PIDS+=("$WATCH_PID")
}
watch_start_cmd_nowait env LD_PRELOAD="$NLFAULT_SO" NLFAULT="recv=EIO@ct-dump#1+" \
	NLFAULT_LOG="$FAULT_LOG" "$CTSWEEP" -v --netns "$NS_RTR" watch --resync 0 \
	--legacy-poll 50
watch_expect_log 10 'cannot read conntrack.*trying again in 500 ms' "the first failure"
sleep 3
watch_alive || fail "watch died on a conntrack read error"
watch_logged 'trying again in [0-9]{5} ms' &&
	fail "the retries did not back off (the legacy poll pulled them in): $(grep -E -m1 'trying again in [0-9]{5} ms' "$WATCH_LOG")"
log "retries backed off: $(grep -c 'the flow index' "$WATCH_LOG") error line(s) in 3 s"
watch_stop
pass
