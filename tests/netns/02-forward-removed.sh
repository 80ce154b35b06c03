#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The forward is deleted while the peer keeps sending: the old flow keeps
# delivering to A forever.  ctsweep must call it forward-removed (nothing
# to forward to now) and sweep must end it, after which A gets nothing (the
# router's input policy drops the port).
. "$(dirname "$0")/lib.sh"

topo_standard
step "forward 53820 -> A:51820, stream from the peer"
nft_rtr add rule ip nat prerouting udp dport 53820 dnat to $A4:51820 comment '"wg"'
seed_traffic
id_before=$(ct_seed_id)

step "delete the forward"
handle=$(in_rtr nft -a list chain ip nat prerouting |
	sed -n 's/.*dnat to .*# handle \([0-9]*\)$/\1/p')
[ -n "$handle" ] || fail "cannot find the forward's rule handle"
nft_rtr delete rule ip nat prerouting handle "$handle"
in_rtr nft list chain ip nat prerouting | grep -q dnat &&
	fail "the forward is still there"
# The bug: A keeps receiving although nothing forwards the port any more.
expect_rx a 5 "forward deleted, flow still alive"
sleep 2
expect_rx a 5 "forward deleted, flow still alive (2 s later)"
expect_ct_reply "$A4" 51820 "forward deleted"
expect_seed_id "$id_before" "deleting the rule alone"

step "ctsweep status"
cts status --json
expect_seed_stale forward-removed
assert_json "$SEED_SEL | .now.dnat == \"$A4:51820\" and .rules.dnat == []" \
	"DNATed to A now; no forward in the rules"
assert_json "$SEED_SEL | .id == $id_before" "conntrack id of the seed flow"
assert_json '.summary.stale == 1 and .summary.by_reason["forward-removed"] == 1' \
	"summary counts one forward-removed flow"

step "ctsweep sweep"
cts sweep --json
expect_seed_swept
sleep 0.3
expect_no_rx a 2 "after ctsweep sweep"
expect_no_rx b 1 "after ctsweep sweep"
[ -z "$(ct_seed_id)" ] ||
	fail "after sweep the seed flow exists again: $(ct_seed)"

step "ctsweep status afterwards"
cts status --json
assert_rc 0 "status after the sweep"
assert_json '.summary.stale == 0' "no stale flow after the sweep"
pass
