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

# peer_count COUNTER: packets counted at the peer.
peer_count()
{
	in_remote nft list counter inet lab "$1" 2>/dev/null |
		awk '/packets/ { print $2; exit }'
}

peer_gt()
{
	local n
	n=$(peer_count "$1")
	[ -n "$n" ] && [ "$n" -gt "$2" ]
}

# expect_peer_rx COUNTER TIMEOUT WHAT / expect_peer_no_rx COUNTER SECONDS WHAT
expect_peer_rx()
{
	local mark
	mark=$(peer_count "$1")
	[ -n "$mark" ] || fail "no counter $1 at the peer"
	wait_until "$2" peer_gt "$1" "$mark" ||
		fail "$3: the peer's counter $1 stays at $mark for $2 s"
	log "the peer counts packets in $1 ($3)"
}

expect_peer_no_rx()
{
	local a b
	a=$(peer_count "$1")
	sleep "$2"
	b=$(peer_count "$1")
	[ "$a" = "$b" ] ||
		fail "$3: the peer's counter $1 went from $a to $b in $2 s, expected no change"
	log "the peer's counter $1 stays at $b for $2 s ($3)"
}

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
	require_root
	unshare --net true 2>/dev/null || skip "kernel without network namespaces"
	step "topology: lan host a, rtr with uplinks wan0 and wan1, peer with $SVC (snat: $SNAT_FW)"
	for ns in "$NS_RTR" "$NS_REMOTE" "$NS_A"; do
		ns_add "$ns"
		in_ns "$ns" ip link set lo up
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
		chain in {
			type filter hook prerouting priority -300; policy accept;
			iifname "eth1" ip saddr $WAN0 counter name "drop0" drop
			iifname "eth0" ip saddr $WAN1 counter name "drop1" drop
			ip saddr $WAN0 udp dport $SIP counter name "rx0"
			ip saddr $WAN1 udp dport $SIP counter name "rx1"
		}
	}
	EOF
}

