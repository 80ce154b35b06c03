#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kubernetes/kubernetes#113250: externalTrafficPolicy: Local behind a load
# balancer.  A UDP flow that reaches a node before kube-proxy's rules for
# a local endpoint exist is tracked un-NATed, and since every datagram of
# it refreshes the entry, it never reaches the endpoint that comes up
# later: nothing clears it.
#
# kube-proxy's own ruleset (tests/peers/kube-proxy-nft.nft) with svc2 as
# UDP (lib-kube.sh's kp_udp, the substitution tests/peers/README.md
# documents).  svc2 is the fixture's eTP=Local service: external IP
# 192.168.99.22:80, endpoint 10.180.0.2, not on this node in the fixture,
# so external traffic is dropped (no-endpoint-services).  The external IP
# is a local address of the node, as a cloud's load balancer route or
# MetalLB puts it there.
#
# 1. Before kube-proxy has written anything (a node booting, kube-proxy
#    restarting), the remote's stream from 51820 arrives: conntrack tracks
#    it un-NATed to the node itself.
# 2. kube-proxy's ruleset as the fixture has it: no local endpoint.
# 3. The endpoint pod 10.180.0.2 comes up on this node.  kube-proxy's
#    transaction is what pkg/proxy/nftables/proxier.go (kubernetes/
#    kubernetes b0f823e6) writes for a local endpoint of an eTP=Local
#    service: the local policy chain (one endpoint: "numgen random mod 1
#    vmap", as svc2's service chain), svc2's external chain rewritten with
#    its three short-circuit rules and then "goto" the local policy chain,
#    and the no-endpoint elements of its external IPs and NodePort deleted.
#    The local policy chain's name, "local-" and the service's hash, is
#    the one inference; nothing reads it but the goto.
# The stream still goes to the node, un-NATed (the bug, for 2 s);
# "ctsweep status" calls it stale (forward-added).  "ctsweep watch" starts
# (as a DaemonSet's pod would on that node), its first pass deletes
# exactly that entry, and the endpoint receives the stream.
. "$(dirname "$0")/lib-kube.sh"

EP2=10.180.0.2
EXT_IP=192.168.99.22
NS_EP2=$LAB_ID-ep2
SVC='service-42NFTM6N-ns2/svc2/udp/p80'
EXT='external-42NFTM6N-ns2/svc2/udp/p80'
LOCAL='local-42NFTM6N-ns2/svc2/udp/p80'
SEP='endpoint-SGOXE6O3-ns2/svc2/udp/p80__10.180.0.2/80'
SEL='.flows[] | select(.proto == "udp" and .orig.sport == 51820
	and .orig.dport == 80)'

lab_dump_extra()
{
	echo "-- udp entries in the node"
	ct_list -p udp -o id
	in_rtr nft list chain ip kube-proxy "$EXT" 2>&1
}

# node_rx: the node's own input counter of the remote's stream.
node_rx()
{
	in_rtr nft list counter inet node rx 2>/dev/null |
		awk '/packets/ { print $2; exit }'
}

node_rx_grows()
{
	[ "$(node_rx)" -gt "$1" ]
}

kube_topology
in_rtr ip addr add "$EXT_IP/32" dev lo || fail "cannot make $EXT_IP local"
in_remote ip route add "$EXT_IP/32" via "$WAN4" || fail "no route to $EXT_IP"
nft_rtr -f - <<EOF
table inet node {
	counter rx {
	}
	chain rxcount {
		type filter hook input priority -300; policy accept;
		ip saddr $REMOTE4 udp sport $PEER_PORT udp dport 80 counter name "rx"
	}
}
EOF

step "1. no kube-proxy rules yet: the remote's stream to $EXT_IP:80 ends at the node"
udp_stream STREAM remote "$EXT_IP" "$PEER_PORT"
wait_until 10 kflow_to "$PEER_PORT" "$EXT_IP" ||
	fail "no un-NATed entry of the stream: $(kflow "$PEER_PORT")"
ct_tag ipv4 udp --orig-port-src "$PEER_PORT" --orig-port-dst 80
ID=$(kflow_id "$PEER_PORT")
log "entry: $(kflow "$PEER_PORT")"

step "2. kube-proxy's ruleset, svc2 as UDP, no local endpoint"
kp_udp ns2/svc2
kp_load
in_rtr nft list map ip kube-proxy no-endpoint-services |
	grep -q "$EXT_IP . udp . 80 comment \"ns2/svc2:p80\" : drop" ||
	fail "svc2's external IP is not dropped as a UDP service without a local endpoint"

step "3. endpoint $EP2 comes up on this node: kube-proxy's transaction"
kube_pod "$NS_EP2" veth-ep2 "$EP2" "$NODE_POD" cbr0
udp_sink "$NS_EP2"
nft_rtr -f - <<EOT
add chain ip kube-proxy $LOCAL
flush chain ip kube-proxy $LOCAL
add rule ip kube-proxy $LOCAL numgen random mod 1 vmap { 0 : goto $SEP }
flush chain ip kube-proxy $EXT
add rule ip kube-proxy $EXT ip saddr 10.0.0.0/8 goto $SVC comment "short-circuit pod traffic"
add rule ip kube-proxy $EXT fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"
add rule ip kube-proxy $EXT fib saddr type local goto $SVC comment "short-circuit local traffic"
add rule ip kube-proxy $EXT goto $LOCAL
delete element ip kube-proxy no-endpoint-services { $EXT_IP . udp . 80 }
delete element ip kube-proxy no-endpoint-services { 1.2.3.4 . udp . 80 }
delete element ip kube-proxy no-endpoint-nodeports { udp . 3001 }
EOT

step "the bug: the stream still ends at the node, the endpoint gets nothing"
n=$(node_rx)
wait_until 5 node_rx_grows "$n" || fail "the stream stopped reaching the node"
expect_no_rx "$NS_EP2" 2 "kube-proxy's rules for the local endpoint in place"
kflow_to "$PEER_PORT" "$EXT_IP" ||
	fail "the entry is no longer un-NATed: $(kflow "$PEER_PORT")"
[ "$(kflow_id "$PEER_PORT")" = "$ID" ] || fail "the entry was replaced"
cts status -v --json
assert_rc 1 "status with the un-NATed entry"
assert_json "[$SEL] | length == 1 and .[0].verdict == \"stale\"
	and .[0].reason == \"forward-added\"
	and .[0].rules.dnat == [\"$EP2:80\"] and .[0].now.dnat == null" \
	"the stream's entry: stale, forward-added, the rules say $EP2:80"
assert_json '.summary.stale == 1 and .summary.unknown == 0' \
	"that entry alone is stale"

step "ctsweep watch starts on the node: its first pass deletes the entry"
watch_start --stats "$LAB_TMP/watch.prom"
watch_start_said "deleted 1 stale flow \(forward-added 1\); 0 unknown \(kept\)" ||
	fail "watch's first pass did not delete the un-NATed entry: $(grep -m1 'start:' "$WATCH_LOG")"
watch_logged "watch: deleted udp $REMOTE4:$PEER_PORT > $EXT_IP:80 id $ID goes to $EXT_IP:80, rules say $EP2:80 \(forward-added\)" ||
	fail "watch did not log the delete of the stream's entry"
expect_rx "$NS_EP2" 10 "the stream reaches the local endpoint"
wait_until 10 kflow_to "$PEER_PORT" "$EP2" ||
	fail "the stream's new entry does not go to $EP2: $(kflow "$PEER_PORT")"
n=$(node_rx)
sleep 1
[ "$(node_rx)" = "$n" ] || fail "the node itself still receives the stream"
cts status --json
assert_rc 0 "status after watch's first pass"
assert_json '.summary.stale == 0 and .summary.unknown == 0' "nothing stale or unknown"
watch_no_errors "eTP=Local, a local endpoint"
watch_stop TERM
[ "$WATCH_RC" = 0 ] || fail "SIGTERM: watch exited $WATCH_RC"
pass
