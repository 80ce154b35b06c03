#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# containernetworking/plugins#1190 (fix proposed in PR #1277, not merged):
# portmap's DEL flushes no conntrack entry, so when a pod with a UDP
# hostPort is replaced by a hostNetwork pod serving the same port on the
# node, the old entry keeps DNATing the clients' stream to the gone pod's
# address and the new pod gets nothing.
#
# The real plugins (Debian's containernetworking-plugins), called as a
# runtime calls a conflist: bridge (cni0, host-local 10.88.0.0/24), then
# portmap with runtimeConfig.portMappings udp 53820 -> 51820; DEL in
# reverse order.  They write iptables rules (through iptables-nft here).
#
#   remote 203.0.113.10 --wan-- node 203.0.113.1
#                                 `- cni0 10.88.0.1/24 -- pod A (hostPort 53820/udp)
#
# 1. Pod A is published; the remote streams from 51820 to the node's
#    53820: the entry DNATs to A, A receives.
# 2. A moves to hostNetwork: CNI DEL (portmap, then bridge), its network
#    namespace goes, and the new pod listens on the node's own 53820.
#    The stream still follows the old entry to A's address: the node's
#    socket gets nothing (the bug, for 2 s); "ctsweep status" calls the
#    entry stale (forward-removed).
# 3. "ctsweep watch" starts on the node; its first pass deletes exactly
#    that entry; the hostNetwork pod receives the stream.
. "$(dirname "$0")/watchlib.sh"
. "$(dirname "$0")/lib-peer.sh"

lab_dump_extra()
{
	echo "-- iptables-save -t nat in the node"
	in_rtr iptables-save -t nat 2>&1 | grep -v '^#' | head -n 40
}

node_rx()
{
	rx_count "$NS_RTR"
}

require_cni
require_root
step "topology: node, remote, pod A's network namespace"
for ns in "$NS_RTR" "$NS_REMOTE" "$NS_A"; do
	new_ns "$ns"
done
wan_link || fail "cannot set up the wan side"
lab_sysctl "$NS_RTR" net.bridge.bridge-nf-call-iptables=0
lab_sysctl "$NS_RTR" net.netfilter.nf_conntrack_udp_timeout=600 ||
	fail "cannot set the udp conntrack timeout in the node"
lab_counter "$NS_A"
lab_counter "$NS_RTR"
mkdir -p "$CNI_DIR" || fail "cannot create $CNI_DIR"

step "1. CNI ADD pod A (bridge + portmap udp 53820 -> 51820)"
cni_conf 0 "" "$PORTMAP" | cni_exec ADD bridge pod-a "$NS_A" >"$CNI_DIR/bridge.json" || exit 1
cni_conf 1 "$CNI_DIR/bridge.json" "$PORTMAP" | cni_exec ADD portmap pod-a "$NS_A" \
	>"$CNI_DIR/pod-a.json" || exit 1
IP_A=$(jq -r '.ips[0].address | split("/")[0]' "$CNI_DIR/pod-a.json")
in_rtr iptables-save -t nat | grep -q -- "-j DNAT --to-destination $IP_A:51820\$" ||
	fail "portmap wrote no DNAT to $IP_A:51820"
log "pod A is $IP_A; portmap's rules ($(in_rtr iptables -V))"
start_echo ECHO_A a "$PEER_PORT"
start_sender SENDER
expect_rx a 15 "the stream published to pod A"
expect_ct_reply "$IP_A" "$PEER_PORT" "the stream goes to A"
ct_tag ipv4 udp --orig-port-src "$PEER_PORT" --orig-port-dst "$FWD_PORT"
ID=$(ct_seed_id)

step "2. A moves to hostNetwork: CNI DEL (portmap, bridge), its netns gone"
cni_conf 1 "$CNI_DIR/pod-a.json" "$PORTMAP" | cni_exec DEL portmap pod-a "$NS_A" >/dev/null || exit 1
cni_conf 0 "$CNI_DIR/pod-a.json" "$PORTMAP" | cni_exec DEL bridge pod-a "$NS_A" >/dev/null || exit 1
in_rtr iptables-save -t nat | grep -q -- "--to-destination $IP_A:51820" &&
	fail "portmap's DNAT to A survived its DEL"
stop "$ECHO_A"
ip netns del "$NS_A" || fail "cannot delete pod A's netns"
spawn ECHO_HOST rtr socat "UDP4-DATAGRAM:$REMOTE4:$PEER_PORT,bind=:$FWD_PORT" PIPE
expect_no_rx rtr 2 "the hostNetwork pod listens on the node's $FWD_PORT"
expect_seed_id "$ID" "portmap's DEL leaves conntrack alone"
expect_ct_reply "$IP_A" "$PEER_PORT" "after the DEL, the entry still goes to A"
cts status -v --json
assert_rc 1 "status after the move to hostNetwork"
assert_json "[$SEED_SEL] | length == 1 and .[0].verdict == \"stale\"
	and .[0].reason == \"forward-removed\"
	and .[0].now.dnat == \"$IP_A:51820\" and .[0].rules.dnat == []" \
	"the stream's entry: stale, forward-removed"
assert_json '.summary.unknown == 0' "nothing unknown"

step "3. ctsweep watch starts on the node: its first pass deletes the entry"
watch_start --stats "$LAB_TMP/watch.prom"
watch_start_said "deleted 1 stale flow \(forward-removed 1\); 0 unknown \(kept\)" ||
	fail "watch's first pass did not delete the stream's entry: $(grep -m1 'start:' "$WATCH_LOG")"
watch_logged "watch: deleted udp $REMOTE4:$PEER_PORT > $WAN4:$FWD_PORT id $ID goes to $IP_A:51820, rules say no nat \(forward-removed\)" ||
	fail "watch did not log the delete of the stream's entry"
expect_rx rtr 10 "the stream reaches the hostNetwork pod"
expect_ct_reply "$WAN4" "$FWD_PORT" "the stream's new entry ends at the node"
cts status --json
assert_rc 0 "status after watch's first pass"
assert_json '.summary.stale == 0 and .summary.unknown == 0' "nothing stale or unknown"
watch_no_errors "pod moved to hostNetwork"
watch_stop TERM
[ "$WATCH_RC" = 0 ] || fail "SIGTERM: watch exited $WATCH_RC"
pass
