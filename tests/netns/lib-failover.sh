#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# lib-failover.sh: the two-uplink router of cases 16, 17 and 36.
#
#   lan host a (192.168.50.2) -- lan -- rtr -- wan0 (203.0.113.1/25)  -- eth0 (203.0.113.10/25)  peer
#                                           `- wan1 (198.51.100.1/25) -- eth1 (198.51.100.10/25)  svc 203.0.113.200/32 on lo
# (/25 rather than /24, so that the service address is reached by the
# default route and not on-link.)  One static source NAT per uplink, in
# nftables or (SNAT_FW=legacy) in iptables-legacy.  The peer accepts each
# uplink's source address only on that uplink, as a provider's source
# filter would, and counts per source: rx0/rx1 accepted, drop0/drop1
# dropped.
# lib.sh once: a case may have loaded it through watchlib.sh
[ -n "${LAB_ID:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib-legacy.sh"

WAN0=203.0.113.1
WAN1=198.51.100.1
PEER0=203.0.113.10
PEER1=198.51.100.10
SVC=203.0.113.200
SIP=5060		# the UDP flow: a:5060 -> svc:5060
TCPPORT=5061		# the TCP connection: a:40061 -> svc:5061
TCPSRC=40061
SNAT_FW=${SNAT_FW:-nft}

# Packets counted at the peer per source: lib.sh's rx helpers on the
# peer's counters.
peer_count() { rx_count "remote:$1"; }
# expect_peer_rx COUNTER TIMEOUT WHAT / expect_peer_no_rx COUNTER SECONDS WHAT
expect_peer_rx() { expect_rx "remote:$1" "$2" "$3"; }
expect_peer_no_rx() { expect_no_rx "remote:$1" "$2" "$3"; }

lab_dump_extra()
{
	echo "-- peer counters: rx0 $(peer_count rx0) rx1 $(peer_count rx1)" \
		"drop0 $(peer_count drop0) drop1 $(peer_count drop1)"
	echo "-- routes in rtr"
	in_rtr ip route 2>&1
	echo "-- all conntrack entries in rtr (udp $SIP, tcp $TCPPORT)"
	ct_list -p udp --orig-port-dst "$SIP"
	ct_list -p tcp --orig-port-dst "$TCPPORT"
}

topo_failover()
{
	local ns
	require_netns
	step "topology: lan host a, rtr with uplinks wan0 and wan1, peer with $SVC (snat: $SNAT_FW)"
	for ns in "$NS_RTR" "$NS_REMOTE" "$NS_A"; do
		new_ns "$ns"
	done
	in_rtr ip link add wan0 type veth peer name eth0 netns "$NS_REMOTE" &&
	in_rtr ip link add wan1 type veth peer name eth1 netns "$NS_REMOTE" &&
	in_rtr ip link add lan type veth peer name eth0 netns "$NS_A" ||
		fail "cannot create the links"
	in_rtr ip addr add "$WAN0/25" dev wan0 &&
	in_rtr ip addr add "$WAN1/25" dev wan1 &&
	in_rtr ip addr add "$LAN4/24" dev lan &&
	in_remote ip addr add "$PEER0/25" dev eth0 &&
	in_remote ip addr add "$PEER1/25" dev eth1 &&
	in_remote ip addr add "$SVC/32" dev lo &&
	in_a ip addr add "$A4/24" dev eth0 ||
		fail "cannot add addresses"
	for ns in wan0 wan1 lan; do
		in_rtr ip link set "$ns" up || fail "cannot set $ns up"
	done
	for ns in eth0 eth1; do
		in_remote ip link set "$ns" up || fail "cannot set $ns up at the peer"
	done
	in_a ip link set eth0 up && in_a ip route add default via "$LAN4" ||
		fail "cannot set up the lan host"
	in_rtr ip route add default via "$PEER0" dev wan0 ||
		fail "cannot add the router's default route"
	lab_sysctl "$NS_RTR" net.ipv4.ip_forward=1 ||
		fail "cannot enable forwarding in the router"

	# The router: stateful filter, one static source NAT per uplink.
	nft_rtr -f - <<-EOF
	table inet filter {
		chain input {
			type filter hook input priority filter; policy drop;
			iif "lo" accept
			ct state established,related accept
			meta l4proto icmp accept
			iifname "lan" accept
		}
		chain forward {
			type filter hook forward priority filter; policy drop;
			ct state established,related accept
			iifname "lan" oifname { "wan0", "wan1" } accept
		}
	}
	EOF
	case $SNAT_FW in
	nft)
		nft_rtr -f - <<-EOF
		table inet nat {
			chain postrouting {
				type nat hook postrouting priority srcnat; policy accept;
				oifname "wan0" snat ip to $WAN0
				oifname "wan1" snat ip to $WAN1
			}
		}
		EOF
		;;
	legacy)
		ipt4 -t nat -A POSTROUTING -o wan0 -j SNAT --to-source "$WAN0"
		ipt4 -t nat -A POSTROUTING -o wan1 -j SNAT --to-source "$WAN1"
		in_rtr nft list ruleset | grep -q "hook postrouting" &&
			fail "SNAT_FW=legacy, but nftables has a postrouting chain"
		;;
	*) fail "unknown SNAT_FW=$SNAT_FW" ;;
	esac

	# The peer: each uplink's address only on its own link; count what
	# is accepted, per source.
	in_remote nft -f - <<-EOF || fail "cannot load the peer's rules"
	table inet lab {
		counter rx0 {
		}
		counter rx1 {
		}
		counter drop0 {
		}
		counter drop1 {
		}
		chain rxcount {
			type filter hook prerouting priority -300; policy accept;
			iifname "eth1" ip saddr $WAN0 counter name "drop0" drop
			iifname "eth0" ip saddr $WAN1 counter name "drop1" drop
			ip saddr $WAN0 udp dport $SIP counter name "rx0"
			ip saddr $WAN1 udp dport $SIP counter name "rx1"
		}
	}
	EOF
}

# sip_flow_start COUNTER UPLINK ADDR: the peer's UDP echo and the lan host's
# SIP-like flow (a keepalive every 20 ms), counted at the peer in COUNTER,
# leaving by UPLINK source-NATed to ADDR; tags the entry, sets id_udp.
sip_flow_start()
{
	spawn ECHO remote socat "UDP4-RECVFROM:$SIP,bind=$SVC,fork" PIPE
	start_stream SIPFLOW a "$SVC" "$SIP" "$SIP" 4 0.02
	expect_peer_rx "$1" 15 "the flow leaves by $2 as $3"
	wait_until 10 ct_flow_exists "$SIP" "$SIP" ||
		fail "no conntrack entry for the flow"
	[ "$(ct_flow_reply "$SIP" "$SIP" | cut -d' ' -f3)" = "$3" ] ||
		fail "the flow is not source-NATed to $3: $(ct_flow "$SIP" "$SIP")"
	ct_flow_tag "$SIP" "$SIP"
	id_udp=$(ct_flow_id "$SIP" "$SIP")
}
