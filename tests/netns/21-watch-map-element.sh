#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# With "ctsweep watch" running, only an element of the map behind the
# forward changes (53820 : A . 51820 -> 53820 : B . 53820); no rule does.
# The seed flow moves to B by itself; three flows on an unchanged element
# keep their conntrack entries.
. "$(dirname "$0")/watchlib.sh"

topo_standard
lab_sysctl "$NS_RTR" net.netfilter.nf_conntrack_udp_timeout=300 ||
	fail "cannot raise the udp timeout in the router"
step "map portfwd { 53820 : A . 51820, 40000 : A . 40000 }"
portfwd_map
watch_start
seed_traffic
udp_burst remote "$WAN4" 40000 3
ct_tag ipv4 udp --orig-port-dst 40000
other_ids=$(ct_tagged_ids -p udp --orig-port-dst 40000)
[ "$(echo "$other_ids" | grep -c .)" = 3 ] ||
	fail "expected 3 flows to port 40000, conntrack has: $(ct_list -p udp --orig-port-dst 40000)"

step "change only the element: 53820 : B . 53820"
portfwd_element_to_b
expect_moved_to_b "map element changed, watch running"
expect_ct_reply "$B4" 53820 "map element changed"
watch_expect_log 10 'map ip nat portfwd changed: deleted 1 stale flow \(forward-changed 1\)' \
	"watch names the map and the reason"
[ "$(ct_tagged_ids -p udp --orig-port-dst 40000)" = "$other_ids" ] ||
	fail "flows on the unchanged map element were replaced or deleted"
log "the 3 flows on the unchanged element kept their conntrack entries"
watch_no_errors "map element"
watch_stop
[ "$WATCH_RC" = 0 ] || fail "watch exited $WATCH_RC on SIGTERM"
pass
