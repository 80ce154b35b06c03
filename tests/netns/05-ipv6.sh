#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The seed over IPv6: forward [2001:db8:1::1]:53820 -> [fd00:50::2]:51820
# switched to [fd00:50::3]:53820 in "table ip6 nat".  Same bug, same cure;
# addresses must come out in compressed form, [addr]:port with a port.
. "$(dirname "$0")/lib.sh"

topo_standard
step "ip6 forward 53820 -> [A]:51820, stream from the peer over IPv6"
nft_rtr -f - <<EOT
table ip6 nat {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "wan" udp dport 53820 dnat to [$A6]:51820
	}
}
EOT
seed_traffic -6
id_before=$(ct_seed_id -6)

step "switch to [B]:53820 atomically"
nft_rtr -f - <<EOT
flush chain ip6 nat prerouting
add rule ip6 nat prerouting iifname "wan" udp dport 53820 dnat to [$B6]:53820
EOT
expect_stuck_on_a -6 "ip6 forward switched"
expect_seed_id -6 "$id_before" "the switch alone"

step "ctsweep status"
cts status --json
expect_seed_stale -6 forward-changed
assert_json "$SEED_SEL | .orig.src == \"$REMOTE6\" and .orig.dst == \"$WAN6\"
	and .reply.src == \"$A6\" and .reply.sport == 51820" \
	"seed flow tuples in compressed IPv6 form"
assert_json "$SEED_SEL | .now.dnat == \"[$A6]:51820\" and (.rules.dnat | any(. == \"[$B6]:53820\"))" \
	"now and rules, as [addr]:port"
assert_json "$SEED_SEL | .rules.dnat | any(. == \"[$B6]:53820\")" \
	"the deciding rule's dnat target, as [addr]:port"
assert_json "$SEED_SEL | .id == $id_before" "conntrack id of the seed flow"

step "ctsweep sweep"
sweep_seed_to_b -6

cts status --json
assert_rc 0 "status after the sweep"
pass
