# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# A Kubernetes node for the kube-proxy cases 61 and 62, on top of
# watchlib.sh: kube-proxy's own nftables ruleset (tests/peers/
# kube-proxy-nft.nft) with one service turned UDP by the substitution
# tests/peers/README.md documents, endpoint pods on a bridge, a client pod
# and the remote, and UDP streams with a fixed source port (what keeps a
# stale entry alive: DNS resolvers, syslog, statsd, WireGuard).
#
#   remote 203.0.113.10 --wan-- node 203.0.113.1 (node IP 192.168.0.2 on lo)
#                                |  cbr0 10.180.0.254/16 -- endpoint pods
#                                `- cli0 10.181.0.254/16 -- client pod 10.181.0.10
. "$(dirname "${BASH_SOURCE[0]}")/watchlib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib-peer.sh"

KP_FIXTURE=$TOP/tests/peers/kube-proxy-nft.nft
NODE_IP=192.168.0.2
NODE_POD=10.180.0.254
NODE_CLI=10.181.0.254
CLIENT=10.181.0.10
NS_CLI=$LAB_ID-cli

# kube_pod NS HOSTIF ADDR GW [BRIDGE]: a pod namespace whose eth0 is the
# peer of HOSTIF in the node (on BRIDGE when given), with a counter "rx"
# of the udp datagrams to port 80 it receives (rx_count NS).
kube_pod()
{
	veth_ns "$1" "$2" "$3/16" "$4" ${5:+"$5"} ||
		fail "cannot set up pod $1 ($3)"
	rx_counter "$1" "udp dport 80"
}

# kube_topology: node, remote, client pod; endpoint pods are the case's.
kube_topology()
{
	local ns
	require_netns
	step "topology: node, remote, client pod"
	for ns in "$NS_RTR" "$NS_REMOTE"; do
		new_ns "$ns"
	done
	require_nftables "$NS_RTR"
	wan_link &&
	in_rtr ip addr add "$NODE_IP/32" dev lo &&
	in_rtr ip link add cbr0 type bridge forward_delay 0 &&
	in_rtr ip addr add "$NODE_POD/16" dev cbr0 &&
	in_rtr ip link set cbr0 up ||
		fail "cannot set up the node"
	kube_pod "$NS_CLI" cli0 "$CLIENT" "$NODE_CLI"
	in_rtr ip addr add "$NODE_CLI/16" dev cli0 || fail "cannot address cli0"
	lab_sysctl "$NS_RTR" net.ipv4.ip_forward=1 ||
		fail "cannot enable forwarding in the node"
	lab_sysctl "$NS_RTR" net.bridge.bridge-nf-call-iptables=0
	# Entries of streams that stop are kept for the checks on a slow
	# machine (the default udp timeouts are 30 s and 120 s).
	lab_sysctl "$NS_RTR" net.netfilter.nf_conntrack_udp_timeout=600
	# The node's own firewall, there before kube-proxy: stateful, so
	# conntrack tracks the node's traffic from the start.
	nft_rtr -f - <<-EOF
	table inet node {
		chain input {
			type filter hook input priority 10; policy accept;
			ct state established,related accept
		}
	}
	EOF
}

# kp_udp SERVICE: kube-proxy's ruleset with SERVICE ("ns1/svc1") turned
# UDP: tcp -> udp on the lines that name its chains, its addresses or it
# (an element's comment "ns1/svc1:p80"; the substitution tests/peers/README.md documents), every "add table",
# "add chain", "add set" and "add map" first, as knftables sends a
# transaction (see case 40's kp_load).  Written to $LAB_TMP/kube-proxy.nft.
kp_udp()
{
	local svc=$1 re='^add (table|chain|set|map) ' ips
	ips=$(grep -F -e "-$svc/tcp/" "$KP_FIXTURE" |
		sed -n 's/^add element ip kube-proxy service-ips { \([0-9.]*\) \. tcp .*/\1/p' |
		sed 's/\./\\./g' | paste -sd'|')
	[ -n "$ips" ] || fail "no service-ips element of $svc in the fixture"
	sed -E "/-${svc//\//\\/}\/tcp\/| ($ips) \. tcp \.|\"${svc//\//\\/}:/ s/tcp/udp/g" \
		"$KP_FIXTURE" >"$LAB_TMP/kp-udp.nft"
	diff "$KP_FIXTURE" "$LAB_TMP/kp-udp.nft" | grep '^>' |
		grep -vF -e "-$svc/udp/" -e "\"$svc:" | grep -vE " ($ips) \. udp \." |
		grep . &&
		fail "the substitution changed a line of another service"
	{ grep -E "$re" "$LAB_TMP/kp-udp.nft"; grep -vE "$re" "$LAB_TMP/kp-udp.nft"; } \
		>"$LAB_TMP/kube-proxy.nft"
	log "kube-proxy's ruleset, $svc as UDP: $(diff "$KP_FIXTURE" "$LAB_TMP/kp-udp.nft" | grep -c '^>') lines tcp -> udp"
}

kp_load()
{
	nft_rtr -f "$LAB_TMP/kube-proxy.nft"
}

# udp_stream VAR HOST DST SPORT: HOST sends a datagram every 5 ms to
# DST:80 from SPORT (one flow for as long as it runs).
udp_stream()
{
	start_stream "$1" "$2" "$3" 80 "$4"
}

# kp_scale_zero IP SVC_CHAIN SEP_CHAIN NAME: kube-proxy's transaction when
# the udp service NAME ("ns1/svc1") on IP:80 loses its last endpoint
# (svc6's form in the fixture): IP leaves service-ips for
# no-endpoint-services (reject), its service and endpoint chains go.
kp_scale_zero()
{
	nft_rtr -f - <<-EOT
	delete element ip kube-proxy service-ips { $1 . udp . 80 }
	add element ip kube-proxy no-endpoint-services { $1 . udp . 80 comment "$4:p80" : goto reject-chain }
	flush chain ip kube-proxy $2
	delete chain ip kube-proxy $2
	flush chain ip kube-proxy $3
	delete chain ip kube-proxy $3
	EOT
}

# no_udp_to ADDR: no udp entry in the node is answered from ADDR.
no_udp_to()
{
	[ -z "$(ct_list -p udp --reply-src "$1")" ]
}

# udp_sink HOST: something listening on udp 80 there (no port unreachable).
udp_sink()
{
	spawn SINK "$1" socat -u UDP4-RECV:80 OPEN:/dev/null
}

# kflow SPORT: the node's entry of the udp flow from SPORT to port 80.
kflow()
{
	ct_list -p udp --orig-port-src "$1" --orig-port-dst 80 -o id
}

kflow_id()
{
	kflow "$1" | sed -n 's/.* id=\([0-9]*\).*/\1/p' | head -n 1
}

# kflow_to SPORT ADDR: the flow's replies come from ADDR (DNATed there, or
# un-NATed when ADDR is the original destination; masqueraded or not).
kflow_to()
{
	kflow "$1" | grep -Eq "^udp .* src=$2 dst=[0-9.]+ sport=80 dport=[0-9]+ "
}
