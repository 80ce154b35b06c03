#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Uplink failover with static source NAT.  The router has two uplinks to
# the same peer, each with its own "snat to":
#   oifname "wan0" snat ip to 203.0.113.1
#   oifname "wan1" snat ip to 198.51.100.1
# A lan host keeps a SIP-like UDP flow (a keepalive every 20 ms) to the
# peer's service address 203.0.113.200, reached by the default route.  The
# peer accepts each uplink's source address only on that uplink (packets
# from 203.0.113.1 arriving on the wan1 side are dropped, and vice versa),
# as a provider's source filter would.
# The default route moves from wan0 to wan1.  The kernel kills masqueraded
# flows whose output interface changes, but not "snat to" flows: the flow
# keeps its 203.0.113.1 binding, leaves by wan1 and is dropped, forever.
# ctsweep must call it snat-changed and sweep must move it, after which
# the peer sees 198.51.100.1.  A TCP connection on the same path is judged
# only with --tcp and never cut by a plain sweep.
# The topology is lib-failover.sh's.
# SNAT_FW=legacy (17-snat-failover-legacy.sh) puts the two source NAT
# rules in iptables-legacy instead, beside the nftables filter table:
#   -A POSTROUTING -o wan0 -j SNAT --to-source 203.0.113.1
#   -A POSTROUTING -o wan1 -j SNAT --to-source 198.51.100.1
. "$(dirname "$0")/lib-failover.sh"

topo_failover

step "services at the peer; the lan host's SIP-like flow (every 20 ms) and a TCP connection"
spawn TCPSRV remote socat "TCP4-LISTEN:$TCPPORT,bind=$SVC,reuseaddr,fork" PIPE
sip_flow_start rx0 wan0 "$WAN0"

tcp_echo_client TCPCLI a "$SVC" "$TCPPORT" "$TCPSRC"
wait_until 10 tcp_gt 2 || fail "the TCP connection to the peer does not echo"
FLOW_PROTO=tcp ct_flow "$TCPSRC" "$TCPPORT" | grep -q ESTABLISHED ||
	fail "the TCP flow is not ESTABLISHED: $(ct_list -p tcp)"
FLOW_PROTO=tcp ct_flow_tag "$TCPSRC" "$TCPPORT"
id_tcp=$(FLOW_PROTO=tcp ct_flow_id "$TCPSRC" "$TCPPORT")
UDPSEL=".flows[] | select(.proto == \"udp\" and .orig.sport == $SIP and .orig.dport == $SIP)"
TCPSEL=".flows[] | select(.proto == \"tcp\" and .orig.sport == $TCPSRC)"

cts status -v --tcp --json
assert_rc 0 "status before the failover"
assert_json_contract status false
assert_json "$UDPSEL | .verdict == \"consistent\" and .now.snat == \"$WAN0:$SIP\"
	and .rules.snat == [\"$WAN0\"]" "the UDP flow is consistent (snat to $WAN0)"
assert_json "$TCPSEL | .verdict == \"consistent\"" "the TCP flow is consistent"
assert_json '.summary.stale == 0 and .summary.unknown == 0' "nothing stale or unknown"

step "failover: the default route moves from wan0 to wan1"
in_rtr ip route replace default via "$PEER1" dev wan1 ||
	fail "cannot move the default route"
in_rtr ip route get "$SVC" | grep -q "dev wan1" ||
	fail "the service is not routed by wan1: $(in_rtr ip route get "$SVC")"
expect_peer_rx drop0 5 "the flow now leaves by wan1, still as $WAN0, and is dropped"
expect_peer_no_rx rx0 2 "blackholed"
expect_peer_no_rx rx1 2 "blackholed"
[ "$(ct_flow_reply "$SIP" "$SIP" | cut -d' ' -f3)" = "$WAN0" ] ||
	fail "the kernel rebound the flow by itself: $(ct_flow "$SIP" "$SIP")"
expect_flow_kept "$SIP" "$SIP" "$id_udp" "the failover alone (snat to is not killed)"
log "the bug: $(ct_flow "$SIP" "$SIP")"

step "ctsweep status: snat-changed; the TCP flow only with --tcp"
cts status --json
assert_rc 1 "status after the failover"
assert_json_contract status false
assert_json "[$UDPSEL] | length == 1" "the UDP flow is listed once"
assert_json "$UDPSEL | .verdict == \"stale\" and .reason == \"snat-changed\"" \
	"the UDP flow is stale: snat-changed"
assert_json "$UDPSEL | .now.snat == \"$WAN0:$SIP\" and .rules.snat == [\"$WAN1\"]
	and .now.dnat == null" "now $WAN0, the rules say $WAN1"
if [ "$SNAT_FW" = legacy ]; then
	rule_want="iptables-legacy -t nat chain POSTROUTING rule 2"
else
	rule_want="table inet nat chain postrouting handle"
fi
assert_json "$UDPSEL | .rule | type == \"string\" and startswith(\"$rule_want\")" \
	"the deciding rule is the snat out of wan1"
assert_json "$UDPSEL | .id == $id_udp" "conntrack id of the UDP flow"
assert_json "[$TCPSEL] | length == 0" "no TCP flow without --tcp"
assert_json '.summary.stale == 1 and .summary.by_reason["snat-changed"] == 1' \
	"one snat-changed flow"
cts status --tcp --json
assert_rc 1 "status --tcp after the failover"
assert_json "$TCPSEL | .verdict == \"stale\" and .reason == \"snat-changed\"
	and .now.snat == \"$WAN0:$TCPSRC\" and .rules.snat == [\"$WAN1\"]" \
	"status --tcp lists the TCP flow as stale"
assert_json "$TCPSEL | .id == $id_tcp" "conntrack id of the TCP flow"
assert_json '.summary.stale == 2' "the UDP and the TCP flow"
expect_flow_kept "$SIP" "$SIP" "$id_udp" "status must not touch the table"

step "ctsweep sweep (without --tcp)"
cts sweep --json
assert_rc 0 "sweep"
assert_json_contract sweep false
assert_json "$UDPSEL | .deleted == true" "sweep deleted the UDP flow"
assert_json '.summary.deleted == 1' "sweep deleted exactly one flow"
expect_peer_rx rx1 10 "after ctsweep sweep the flow arrives from $WAN1"
wait_until 10 ct_flow_exists "$SIP" "$SIP" || fail "the flow did not come back"
[ "$(ct_flow_reply "$SIP" "$SIP" | cut -d' ' -f3)" = "$WAN1" ] ||
	fail "the new entry is not source-NATed to $WAN1: $(ct_flow "$SIP" "$SIP")"
expect_flow_replaced "$SIP" "$SIP" "after ctsweep sweep"
sleep 0.3
expect_peer_no_rx rx0 2 "after ctsweep sweep nothing comes as $WAN0"
[ "$(FLOW_PROTO=tcp ct_flow_id "$TCPSRC" "$TCPPORT")" = "$id_tcp" ] &&
	FLOW_PROTO=tcp ct_flow_tagged "$TCPSRC" "$TCPPORT" ||
	fail "a sweep without --tcp touched the TCP flow: $(ct_list -p tcp)"
log "the TCP flow keeps conntrack id $id_tcp and its tag"

cts status -v --json
assert_rc 0 "status after the sweep"
assert_json "$UDPSEL | .verdict == \"consistent\" and .now.snat == \"$WAN1:$SIP\"" \
	"the new UDP entry is consistent"
assert_json '.summary.stale == 0' "no stale UDP flow left"

step "ctsweep sweep --tcp: the TCP flow goes as well"
cts sweep --tcp --json
assert_rc 0 "sweep --tcp"
assert_json "$TCPSEL | .deleted == true and .reason == \"snat-changed\"" \
	"sweep --tcp deleted the TCP flow"
assert_json '.summary.deleted == 1' "only the TCP flow"
FLOW_PROTO=tcp ct_flow_tagged "$TCPSRC" "$TCPPORT" &&
	fail "the TCP flow still has its old entry: $(ct_list -p tcp)"
log "the TCP flow's entry is gone"
pass
