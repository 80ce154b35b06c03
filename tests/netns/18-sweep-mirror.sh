#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The old backend's answer races the sweep.  The stream goes to B:53820;
# the forward is switched back to A and sweep deletes the flow.  B's reply
# to a packet that reached it just before is still on its way: with no entry
# left, it creates one in the other direction (B:53820 -> peer:51820,
# masqueraded to the router's 53820), and that entry's reply direction is
# exactly the peer's stream.  The peer's packets then ride it to B, for as
# long as they keep coming: the switch never happens, as in the seed report.
# The rules NAT that entry's first packet consistently (masquerade), so the
# judge alone cannot tell it from an outbound flow of B's; ctsweep knows
# because it deleted the flow this one mirrors.
#   1. sweep waits (--settle) and deletes the mirror as it appears;
#   2. a mirror that appears after sweep has ended is found by the next
#      status/sweep, from the record sweep leaves in /run/ctsweep.
. "$(dirname "$0")/lib.sh"

MIRROR_SEL='.flows[] | select(.orig.sport == 53820 and .orig.dport == 51820)'

# on_b: the stream goes to B (the forward points there), the peer paused.
on_b_then_back_to_a()
{
	forward_to "$B4:53820"
	cts sweep
	assert_rc 0 "sweep to B"
	expect_rx b 10 "$1: forward to B"
	stop "$SENDER"
	sleep 0.3
	forward_to "$A4:51820"
	[ -n "$(ct_seed)" ] || fail "$1: the flow to B is gone before the sweep"
}

topo_standard
step "forward 53820 -> A:51820, stream"
nft_rtr add rule ip nat prerouting iifname "wan" udp dport 53820 dnat to $A4:51820
seed_traffic

step "1. the mirror appears while sweep settles"
on_b_then_back_to_a "1"
# In the background, so cts_cmd's bookkeeping is done here by hand.
CTS_OUT=$LAB_TMP/settle.out
CTS_ERR=$LAB_TMP/settle.err
log "\$ ctsweep --netns $NS_RTR sweep --json --settle 5000 (background)"
timeout -k 5 60 "$CTSWEEP" --netns "$NS_RTR" sweep --json --settle 5000 \
	>"$CTS_OUT" 2>"$CTS_ERR" &
sweep_pid=$!
wait_until 5 seed_gone || fail "sweep did not delete the flow to B"
b_answers_late
wait "$sweep_pid"
CTS_RC=$?
log "exit $CTS_RC: $(head -c 300 "$CTS_ERR")"
assert_rc 0 "sweep --settle 5000"
assert_json_contract sweep false
assert_json "[$MIRROR_SEL | select(.verdict == \"stale\"
	and .reason == \"forward-mirrored\" and .deleted)] | length == 1" \
	"sweep reports the mirror as stale and deleted"
assert_json '.summary.by_reason["forward-changed"] == 1
	and .summary.by_reason["forward-mirrored"] == 1' "summary by reason"
[ -z "$(mirror_entry)" ] || fail "the mirror is still there: $(mirror_entry)"
start_sender SENDER
# From any source port: A's late answer to the first sweep may hold A's
# tuple (an outbound flow, left alone), and the kernel then remaps the
# flow's reply port.
expect_rx a:anyrx 10 "after the settled sweep"
sleep 0.3
expect_no_rx b 2 "after the settled sweep"
expect_ct_reply "$A4" 51820 "after the settled sweep"

step "2. the mirror appears after sweep has ended"
on_b_then_back_to_a "2"
cts sweep --settle 0
assert_rc 0 "sweep --settle 0"
wait_until 5 seed_gone || fail "sweep did not delete the flow to B"
b_answers_late --check
start_sender SENDER
expect_rx b 10 "the mirror carries the stream to B"
expect_no_rx a 2 "the mirror carries the stream to B"

cts status --json
assert_rc 1 "status with the mirror"
assert_json_contract status false
assert_json "[$MIRROR_SEL | select(.verdict == \"stale\"
	and .reason == \"forward-mirrored\")] | length == 1" \
	"status names the mirror"
cts status -v
assert_rc 1 "status -v with the mirror"
grep -q "mirror" "$CTS_OUT" || fail "status -v does not explain the mirror"
cts sweep
assert_rc 0 "sweep of the mirror"
expect_rx a:anyrx 10 "after sweeping the mirror"
sleep 0.3
expect_no_rx b 2 "after sweeping the mirror"
expect_ct_reply "$A4" 51820 "after sweeping the mirror"
cts status
assert_rc 0 "status afterwards"
pass
