#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A service on the router itself (203.0.113.1:53820) answers the peer; then
# it stops and a forward to B:53820 is added.  The peer's flow has no NAT
# and keeps ending at the router (no listener any more), never at B.
# ctsweep must call it forward-added and sweep must move it to B.
. "$(dirname "$0")/lib.sh"

topo_standard
step "service on the router: 203.0.113.1:53820 (echo)"
nft_rtr add rule inet filter input udp dport 53820 accept
start_echo ECHO_RTR rtr 53820 4 "$WAN4"
start_echo ECHO_B b 53820
start_sender SENDER
wait_until 20 ct_seed_assured ||
	fail "the flow to the router never became ASSURED: $(ct_seed)"
expect_ct_reply "$WAN4" 53820 "flow ends at the router"
ct_tag ipv4 udp --orig-port-src 51820 --orig-port-dst 53820
log "flow: $(ct_seed)"

step "ctsweep status: the flow matches the rules"
cts status --json
assert_rc 0 "status before the change"
assert_json '.summary.stale == 0' "nothing stale before the change"

step "stop the router's service, add a forward 53820 -> B:53820"
stop "$ECHO_RTR"
nft_rtr add rule ip nat prerouting iifname "wan" udp dport 53820 dnat to $B4:53820
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
assert_json "$SEED_SEL | .now.dnat == null and (.rules.dnat | any(. == \"$B4:53820\"))" \
	"not NATed now; the rules send it to B"
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
