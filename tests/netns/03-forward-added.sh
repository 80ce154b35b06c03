#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A service on the router itself (203.0.113.1:53820) answers the peer; then
# it stops and a forward to B:53820 is added.  The peer's flow has no NAT
# and keeps ending at the router (no listener any more), never at B.
# ctsweep must call it forward-added and sweep must move it to B.
# The forwards are port ranges, one just above the flow's port (to A) and
# one ending at it (to B): nft up to 1.1.1 writes a range as "cmp gte" +
# "cmp lte", 1.1.2+ as "range eq" (tests/writers/run runs both); B's
# also matches the peer by a /25, a 4-byte load and a bitwise mask.
. "$(dirname "$0")/lib.sh"

topo_standard
step "service on the router: 203.0.113.1:53820 (echo)"
nft_rtr add rule inet filter input udp dport 53820 accept
router_service_traffic
ct_tag ipv4 udp --orig-port-src 51820 --orig-port-dst 53820
log "flow: $(ct_seed)"

step "ctsweep status: the flow matches the rules"
cts status --json
assert_rc 0 "status before the change"
assert_json '.summary.stale == 0' "nothing stale before the change"

step "stop the router's service, add forwards 53821-53899 -> A, 53800-53820 -> B"
stop "$ECHO_RTR"
nft_rtr -f - <<EOF
add rule ip nat prerouting iifname "wan" udp dport 53821-53899 dnat to $A4:51820
add rule ip nat prerouting iifname "wan" ip saddr 203.0.113.0/25 udp dport 53800-53820 dnat to $B4:53820
EOF
id_before=$(ct_seed_id)
expect_no_rx b 2 "forward added, flow still ends at the router"
expect_ct_reply "$WAN4" 53820 "forward added"
expect_seed_id "$id_before" "adding the rule alone"

step "ctsweep status"
cts status --json
assert_rc 1 "status with a stale flow"
assert_json_contract status false
assert_json "$SEED_SEL | .verdict == \"stale\" and .reason == \"forward-added\"" \
	"seed flow verdict"
assert_json "$SEED_SEL | .now.dnat == null and .rules.dnat == [\"$B4:53820\"]" \
	"not NATed now; the rules send it to B (only)"
assert_json "$SEED_SEL | .reply.src == \"$WAN4\"" "reply tuple: the router itself"
assert_json '.summary.stale == 1 and .summary.by_reason["forward-added"] == 1' \
	"summary counts one forward-added flow"

step "ctsweep sweep"
cts sweep --json
assert_rc 0 "sweep"
assert_json "$SEED_SEL | .deleted == true" "sweep reports the seed flow deleted"
expect_rx b 10 "after ctsweep sweep"
expect_ct_reply "$B4" 53820 "after ctsweep sweep"
expect_seed_replaced "after ctsweep sweep"

step "ctsweep status afterwards"
cts status --json
assert_rc 0 "status after the sweep"
pass
