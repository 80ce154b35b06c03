#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The forward lives in a named map (dnat ip to udp dport map @portfwd); only
# the map element changes (nft delete/add element, one transaction), no
# rule does.  ctsweep must read map contents: the seed flow is
# forward-changed, while a flow on another, unchanged element survives.
# The rule says "dnat ip addr . port to", which nft 0.9.8 needs and later
# versions still take (the same bytecode as "dnat ip to").
. "$(dirname "$0")/lib.sh"

topo_standard
step "map portfwd { 53820 : A . 51820, 40000 : A . 40000 }"
portfwd_map
seed_traffic
id_before=$(ct_seed_id)
udp_burst remote "$WAN4" 40000 3
other_ids=$(ct_ids -p udp --orig-port-dst 40000)
[ "$(echo "$other_ids" | grep -c .)" = 3 ] ||
	fail "expected 3 flows to port 40000, conntrack has: $(ct_list -p udp --orig-port-dst 40000)"

step "change only the element: 53820 : B . 53820"
portfwd_element_to_b
in_rtr nft list map ip nat portfwd | grep -q "53820 : $B4 . 53820" ||
	fail "map element not changed: $(in_rtr nft list map ip nat portfwd)"
expect_stuck_on_a "map element changed"
expect_seed_id "$id_before" "changing the element alone"

step "ctsweep status"
cts status --json
expect_seed_stale forward-changed
assert_json "$SEED_SEL | .now.dnat == \"$A4:51820\" and (.rules.dnat | any(. == \"$B4:53820\"))" \
	"where the flow goes now and where the rules send it"
assert_json '[.flows[] | select(.orig.dport == 40000)] | length == 0' \
	"flows on the unchanged element are not listed"
assert_json '.summary.stale == 1' "exactly one stale flow"

step "ctsweep sweep"
cts sweep --json
expect_seed_swept
expect_moved_to_b "after ctsweep sweep"
[ "$(ct_ids -p udp --orig-port-dst 40000)" = "$other_ids" ] ||
	fail "flows on the unchanged map element did not survive the sweep"
log "the 3 flows on the unchanged element survived"
pass
