#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The seed report: a UDP port forward 53820 -> A:51820 is switched to
# B:53820 while the peer keeps sending from port 51820.  The ASSURED flow is
# refreshed by every packet, so the switch never takes effect on its own;
# ctsweep must find the flow (forward-changed) and sweep must move it to B.
. "$(dirname "$0")/lib.sh"

topo_standard
step "forward 53820 -> A:51820, stream from the peer"
nft_rtr add rule ip nat prerouting udp dport 53820 dnat to $A4:51820
seed_traffic
id_before=$(ct_seed_id)

step "ctsweep status before the switch: nothing stale"
cts status --json
assert_rc 0 "status with rules matching the flow"
assert_json_contract status false
assert_json '[.flows[]] | length == 0' "no flow listed before the switch"
assert_json '.summary.stale == 0 and .summary.consistent >= 1' \
	"the seed flow is judged consistent"

step "switch the forward to B:53820 atomically (nft -f)"
cat >"$LAB_TMP/switch.nft" <<EOT
flush chain ip nat prerouting
add rule ip nat prerouting udp dport 53820 dnat to $B4:53820
EOT
nft_rtr -f "$LAB_TMP/switch.nft"
expect_stuck_on_a "the bug: switched forward not taking effect"
expect_seed_id "$id_before" "the switch alone"

step "ctsweep status finds the stale flow"
cts status --json
expect_seed_stale forward-changed
assert_json "$SEED_SEL | .family == \"ipv4\" and .orig.src == \"$REMOTE4\"
	and .orig.dst == \"$WAN4\" and .reply.src == \"$A4\"
	and .reply.sport == 51820" "seed flow tuples"
assert_json "$SEED_SEL | .now.dnat == \"$A4:51820\" and (.rules.dnat | any(. == \"$B4:53820\"))" \
	"where the flow goes now and where the rules send it"
assert_json "$SEED_SEL | .rules.dnat | any(. == \"$B4:53820\")" \
	"the deciding rule's dnat target"
assert_json "$SEED_SEL | (.rule | type == \"string\") and .unknown == null" \
	"a stale flow names its deciding rule"
assert_json "$SEED_SEL | .id == $id_before" "conntrack id of the seed flow"
assert_json "$SEED_SEL | .deleted == false" "status deletes nothing"
assert_json '.summary.stale == 1 and .summary.by_reason["forward-changed"] == 1' \
	"summary counts one forward-changed flow"
expect_seed_id "$id_before" "status must not touch the table"

step "the text output names the flow too"
cts status
assert_rc 1 "status (text) with a stale flow"
grep -q "$REMOTE4" "$CTS_OUT" && grep -q 53820 "$CTS_OUT" ||
	fail "status text output does not mention $REMOTE4 ... 53820"

step "ctsweep sweep"
sweep_seed_to_b

step "ctsweep status afterwards: nothing stale"
cts status --json
assert_rc 0 "status after the sweep"
assert_json '.summary.stale == 0' "no stale flow after the sweep"
pass
