#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kubernetes/kubernetes#139628: a Service scaled to zero endpoints, whose
# UDP flows stayed on the dead endpoint for hours because kube-proxy's
# reconciler skipped it; and kubernetes/kubernetes#122740: a kube-proxy
# restart flushed every UDP Service entry, fine or not.  ctsweep must do
# the first and never the second.
#
# kube-proxy's own ruleset (tests/peers/kube-proxy-nft.nft) with svc1 as
# UDP (lib-kube.sh's kp_udp, the substitution tests/peers/README.md
# documents): ClusterIP 172.30.0.41:80 -> endpoint 10.180.0.1:80.  The
# client pod streams to the ClusterIP from three source ports; "ctsweep
# watch" runs in the node.
#
# - #122740: watch is restarted, and "ctsweep sweep" runs, with the three
#   flows fine: each keeps its entry (same conntrack id, still tagged).
# - #139628: svc1 is scaled to zero.  kube-proxy's transaction for that is
#   the state the fixture shows for svc6, a service without endpoints: no
#   service-ips element, no service or endpoint chain, a no-endpoint-services
#   element that goes to reject-chain.  The endpoint pod is still there
#   (terminating, or its address taken by another pod).  watch deletes
#   the three entries (forward-removed); the endpoint receives nothing
#   more; conntrack sends nothing to it.
. "$(dirname "$0")/lib-kube.sh"

EP1=10.180.0.1
CLUSTER_IP=172.30.0.41
NS_EP1=$LAB_ID-ep1
SPORTS="40001 40002 40003"
SVC='service-ULMVA6XW-ns1/svc1/udp/p80'
SEP='endpoint-5OJB2KTY-ns1/svc1/udp/p80__10.180.0.1/80'
declare -A CTID

lab_dump_extra()
{
	echo "-- udp entries in the node"
	ct_list -p udp -o id
	in_rtr nft list map ip kube-proxy service-ips 2>&1 | head -n 20
}

# kept WHAT: every flow has its entry of before, same id, still tagged.
kept()
{
	local s t
	t=$(ct_list -p udp -o id)
	for s in $SPORTS; do
		grep -qE " sport=$s dport=80 .* mark=$CT_TAG .* id=${CTID[$s]}\$" <<<"$t" ||
			fail "$1: flow $s lost its entry (id ${CTID[$s]}): $(grep -F " sport=$s dport=80 " <<<"$t")"
	done
	log "the three flows keep their entries ($1)"
}

kube_topology
kube_pod "$NS_EP1" veth-ep1 "$EP1" "$NODE_POD" cbr0
udp_sink "$NS_EP1"
step "kube-proxy's ruleset, svc1 as UDP: $CLUSTER_IP:80 -> $EP1:80"
kp_udp ns1/svc1
kp_load
in_rtr nft list chain ip kube-proxy "$SEP" | grep -q "meta l4proto udp dnat to $EP1:80" ||
	fail "svc1's endpoint chain is not UDP"

step "ctsweep watch in the node; the client pod streams to the ClusterIP"
watch_start --stats "$LAB_TMP/watch.prom"
for s in $SPORTS; do
	udp_stream STREAM "$NS_CLI" "$CLUSTER_IP" "$s"
	wait_until 10 kflow_to "$s" "$EP1" ||
		fail "flow $s does not go to $EP1: $(kflow "$s")"
done
expect_rx "$NS_EP1" 10 "the ClusterIP's flows at the endpoint"
ct_tag ipv4 udp --orig-port-dst 80
for s in $SPORTS; do
	CTID[$s]=$(kflow_id "$s")
	[ -n "${CTID[$s]}" ] || fail "no conntrack id for flow $s"
done
cts status --json
assert_rc 0 "status with svc1's endpoint up"
assert_json '.summary.stale == 0 and .summary.unknown == 0 and .summary.consistent >= 3' \
	"the three flows consistent"

step "#122740: watch restarted and a sweep, the flows fine: nothing flushed"
watch_stop TERM
[ "$WATCH_RC" = 0 ] || fail "SIGTERM: watch exited $WATCH_RC"
watch_start --stats "$LAB_TMP/watch.prom"
watch_start_said "deleted 0 stale flows; 0 unknown \(kept\)" ||
	fail "watch's start pass after a restart deleted something"
cts sweep --json
assert_rc 0 "sweep with svc1's endpoint up"
assert_json '.summary.deleted == 0' "sweep deleted nothing"
kept "watch restarted, sweep"
expect_rx "$NS_EP1" 5 "after the restart"

step "#139628: svc1 scaled to zero (kube-proxy's transaction, svc6's form)"
kp_scale_zero "$CLUSTER_IP" "$SVC" "$SEP" ns1/svc1
watch_expect_log 10 "nftables generation [0-9]+ .*: deleted 3 stale flows \(forward-removed 3\); 0 unknown" \
	"watch deletes the three flows to the gone endpoint"
for s in $SPORTS; do
	watch_logged "watch: deleted udp $CLIENT:$s > $CLUSTER_IP:80 id ${CTID[$s]} goes to $EP1:80, rules say no nat \(forward-removed\)" ||
		fail "watch did not log the delete of flow $s"
done
wait_until 5 no_udp_to "$EP1" ||
	fail "conntrack still sends flows to $EP1: $(ct_list -p udp --reply-src "$EP1")"
sleep 0.3	# datagrams already on their way
expect_no_rx "$NS_EP1" 2 "after svc1 was scaled to zero"
cts status --json
assert_rc 0 "status after the scale to zero"
assert_json '.summary.stale == 0 and .summary.unknown == 0' "nothing stale or unknown"
[ "$(stat_value flows_deleted_total 'reason="forward-removed"')" = 3 ] ||
	fail "stats: forward-removed deletes: $(stat_value flows_deleted_total 'reason="forward-removed"'), expected 3"
watch_no_errors "svc1 scaled to zero"
watch_stop TERM
[ "$WATCH_RC" = 0 ] || fail "SIGTERM: watch exited $WATCH_RC"
pass
