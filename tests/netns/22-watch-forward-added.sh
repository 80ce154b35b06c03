#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# With "ctsweep watch" running: a service on the router (203.0.113.1:53820)
# answers the peer, then stops and a forward 53820 -> B:53820 is added.  The
# un-NATed flow would keep ending at the router; watch must delete it
# (forward-added) so that the stream reaches B.
. "$(dirname "$0")/watchlib.sh"

topo_standard
step "service on the router: 203.0.113.1:53820 (echo)"
nft_rtr add rule inet filter input udp dport 53820 accept
watch_start
router_service_traffic
ct_tag ipv4 udp --orig-port-src "$PEER_PORT" --orig-port-dst "$FWD_PORT"
id_before=$(ct_seed_id)
sleep 1
expect_seed_id "$id_before" "watch leaves the consistent flow alone"

step "stop the router's service, add a forward 53820 -> B:53820"
stop "$ECHO_RTR"
nft_rtr add rule ip nat prerouting iifname "wan" udp dport 53820 dnat to $B4:53820
expect_rx b 10 "forward added, watch running"
expect_ct_reply "$B4" 53820 "forward added"
watch_expect_log 10 'chain ip nat prerouting changed: deleted 1 stale flow \(forward-added 1\)' \
	"watch logs a forward-added delete"
watch_no_errors "forward added"
watch_stop
[ "$WATCH_RC" = 0 ] || fail "watch exited $WATCH_RC on SIGTERM"
pass
