#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kube-proxy (nftables mode) with its own expected ruleset,
# tests/peers/kube-proxy-nft.nft, loaded into the node unchanged (only
# reordered, see kp_load).  svc4 is the case: ClusterIP 172.30.0.44:80 and
# external IP 192.168.99.33:80, "numgen random mod 2" between the endpoints
# 10.180.0.4 and 10.180.0.5.  Masquerade is by packet mark: the external
# chain jumps to mark-for-masquerade (mark or 0x4000) before the DNAT, and
# nat-postrouting's "masquerading" chain returns when the bit is clear,
# clears it and does "masquerade fully-random".  So the remote's flows to
# the external IP are masqueraded to the node's pod-bridge address, and the
# client pod's flows to the ClusterIP (source in 10.0.0.0/8) are not.
# ctsweep must judge all of them consistent.  Then kube-proxy replaces
# endpoint .5 by .6 (one transaction, as it writes it): the flows to .5 are
# stale (forward-changed), those to .4 consistent, and sweep deletes
# exactly the .5 flows.
#
# Then the same with the daemon: "ctsweep watch --tcp" runs in the node
# while a new endpoint pod .7 comes up and more connections are made (until
# some go to .6), and kube-proxy replaces endpoint .4 by .7 (the same
# transaction shape).  watch alone deletes exactly the flows to .4 (the
# rest keep their conntrack ids), logs each as forward-changed, .4 stops
# receiving while .6 goes on, new connections reach .7 and are left alone,
# status finds nothing stale or unknown, and SIGTERM ends watch with 0.
#
#   remote 203.0.113.10 --- wan 203.0.113.1  node (rtr)   lo: 192.168.0.2 (node IP)
#   (192.168.99.33 via the node)               |  cbr0 10.180.0.254/16 -- ep4 .4, ep5 .5, ep6 .6
#                                               |                            (later ep7 .7)
#                                               `- cli0 10.181.0.254/16 -- client pod 10.181.0.10
#
# No traffic goes to the fixture's public addresses (1.2.3.4, 5.6.7.8).
. "$(dirname "$0")/watchlib.sh"
. "$(dirname "$0")/lib-legacy.sh"
. "$(dirname "$0")/lib-peer.sh"

FIXTURE=$TOP/tests/peers/kube-proxy-nft.nft
# shellcheck disable=SC2034 # read by the ct_flow* helpers of lib-legacy.sh
FLOW_PROTO=tcp

NODE_POD=10.180.0.254	# the node on the pod bridge: masquerade address
NODE_CLI=10.181.0.254
NODE_IP=192.168.0.2	# the fixture's nodeport-ips element
CLIENT=10.181.0.10
EP4=10.180.0.4
EP5=10.180.0.5
EP6=10.180.0.6
EP7=10.180.0.7		# the endpoint pod of the watch part
EXT_IP=192.168.99.33	# svc4's external IP
CLUSTER_IP=172.30.0.44	# svc4's ClusterIP

NS_EP4=$LAB_ID-ep4
NS_EP5=$LAB_ID-ep5
NS_EP6=$LAB_ID-ep6
NS_EP7=$LAB_ID-ep7
NS_CLI=$LAB_ID-cli

# kube-proxy's chain names for svc4; the hashes of the .6 and .7 endpoints
# are made up in kube-proxy's format (8 base32 characters).
KP_SVC='service-LAUZTJTB-ns4/svc4/tcp/p80'
KP_EP4='endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80'
KP_EP5='endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80'
KP_EP6='endpoint-Q2XHK7MB-ns4/svc4/tcp/p80__10.180.0.6/80'
KP_EP7='endpoint-W3LZ5RTE-ns4/svc4/tcp/p80__10.180.0.7/80'

REMOTE_MIN=10		# connections from the remote to the external IP
POD_MIN=3		# connections from the client pod to the ClusterIP
MAX_CONNS=30		# per client, while both endpoints lack flows

declare -A EP		# sport -> endpoint address (from conntrack)
declare -A SRC		# sport -> client address
declare -A CPID		# sport -> client process group
declare -A CTID		# sport -> conntrack id before the change
REMOTE_SPORTS=()
POD_SPORTS=()

lab_dump_extra()
{
	local ns
	echo "-- tcp conntrack entries in the node"
	ct_list -p tcp -o id
	for ns in "$NS_EP4" "$NS_EP5" "$NS_EP6" "$NS_EP7"; do
		ns_exists "$ns" && echo "-- counters at $ns:" \
			"rx $(rx_count "$ns:rx")" \
			"remote $(rx_count "$ns:remote")" \
			"pod $(rx_count "$ns:pod")"
	done
	echo "-- svc4 chains"
	in_rtr nft list chain ip kube-proxy "$KP_SVC" 2>&1
}

# ---------------------------------------------------------------- topology

# pod NS HOSTIF ADDR GW: a namespace whose eth0 is the peer of HOSTIF in
# the node.
pod()
{
	veth_ns "$1" "$2" "$3/16" "$4" || fail "cannot set up pod $1 ($3)"
}

# endpoint_counters NS: what the endpoint receives on port 80 ("rx"), of it
# from the node's masquerade address ("remote") and from the client pod
# ("pod").
endpoint_counters()
{
	in_ns "$1" nft -f - <<-EOF || fail "cannot set up the counters in $1"
	table inet lab {
		counter rx {
		}
		counter remote {
		}
		counter pod {
		}
		chain rxcount {
			type filter hook input priority -300; policy accept;
			tcp dport 80 counter name "rx"
			ip saddr $NODE_POD tcp dport 80 counter name "remote"
			ip saddr $CLIENT tcp dport 80 counter name "pod"
		}
	}
	EOF
}

topo_kube()
{
	local ns
	require_netns
	step "topology: node, remote, endpoint pods .4 .5 .6, client pod"
	for ns in "$NS_RTR" "$NS_REMOTE"; do
		new_ns "$ns"
	done
	require_nftables "$NS_RTR"

	wan_link &&
	in_remote ip route add "$EXT_IP/32" via "$WAN4" ||
		fail "cannot set up the wan side"
	# The node IP (no dummy interfaces here: on lo).
	in_rtr ip addr add "$NODE_IP/32" dev lo &&
	in_rtr ip link add cbr0 type bridge forward_delay 0 &&
	in_rtr ip addr add "$NODE_POD/16" dev cbr0 &&
	in_rtr ip link set cbr0 up ||
		fail "cannot set up the node's pod bridge"

	pod "$NS_EP4" veth-ep4 "$EP4" "$NODE_POD"
	pod "$NS_EP5" veth-ep5 "$EP5" "$NODE_POD"
	pod "$NS_EP6" veth-ep6 "$EP6" "$NODE_POD"
	for ns in ep4 ep5 ep6; do
		in_rtr ip link set "veth-$ns" master cbr0 ||
			fail "cannot attach veth-$ns to cbr0"
	done
	pod "$NS_CLI" cli0 "$CLIENT" "$NODE_CLI"
	in_rtr ip addr add "$NODE_CLI/16" dev cli0 ||
		fail "cannot address cli0"

	lab_sysctl "$NS_RTR" net.ipv4.ip_forward=1 ||
		fail "cannot enable forwarding in the node"
	# Routed pods only: bridged frames must not run the ip hooks.
	lab_sysctl "$NS_RTR" net.bridge.bridge-nf-call-iptables=0

	for ns in "$NS_EP4" "$NS_EP5" "$NS_EP6"; do
		endpoint_counters "$ns"
		spawn SRV "$ns" socat -u TCP4-LISTEN:80,reuseaddr,fork OPEN:/dev/null
	done
}

# kp_load: the fixture into the node, in one nft transaction.  kube-proxy's
# expected text adds some rules before the chains they goto (it does not
# load as is, see tests/peers/README.md); knftables sends every "add table",
# "add chain", "add set" and "add map" of a transaction first, then the
# rest in order.  The same here: a grep pipeline reorders, nothing edited.
kp_load()
{
	local re='^add (table|chain|set|map) '
	{ grep -E "$re" "$FIXTURE"; grep -vE "$re" "$FIXTURE"; } \
		>"$LAB_TMP/kube-proxy.nft"
	diff <(sort "$FIXTURE") <(sort "$LAB_TMP/kube-proxy.nft") >/dev/null ||
		fail "the reordered fixture is not the fixture's lines"
	nft_rtr -f "$LAB_TMP/kube-proxy.nft"
	in_rtr nft list chain ip kube-proxy "$KP_EP5" 2>/dev/null |
		grep -q "dnat to $EP5:80" ||
		fail "svc4's endpoint chain for $EP5 is not loaded"
}

# ----------------------------------------------------------------- traffic

# connect HOST DST SPORT: a long-lived TCP client, one line every 50 ms to
# DST:80 from SPORT; waits until conntrack has it ESTABLISHED and records
# its endpoint.
connect()
{
	local host=$1 dst=$2 sport=$3
	tcp_client CONN_PID "$host" "$dst" 80 "$sport"
	CPID[$sport]=$CONN_PID
	SRC[$sport]=$CLIENT
	[ "$host" = remote ] && SRC[$sport]=$REMOTE4
	wait_until 10 flow_established "$sport" ||
		fail "no ESTABLISHED conntrack entry for $host:$sport -> $dst:80: $(ct_flow "$sport" 80)"
	EP[$sport]=$(ct_flow_reply "$sport" 80 | cut -d' ' -f1)
	log "$host:$sport -> $dst:80 goes to ${EP[$sport]}"
}

# kp_replace_endpoint OLD_CHAIN OLD NEW_CHAIN NEW KEEP_CHAIN: kube-proxy's
# one transaction when svc4's endpoint OLD goes and NEW comes: NEW's
# endpoint chain, the service chain rewritten to pick KEEP_CHAIN's
# endpoint or NEW's, OLD's chain flushed and deleted.
kp_replace_endpoint()
{
	nft_rtr -f - <<-EOT
	add chain ip kube-proxy $3
	flush chain ip kube-proxy $3
	add rule ip kube-proxy $3 ip saddr $4 jump mark-for-masquerade
	add rule ip kube-proxy $3 meta l4proto tcp dnat to $4:80
	add chain ip kube-proxy $KP_SVC
	flush chain ip kube-proxy $KP_SVC
	add rule ip kube-proxy $KP_SVC ip daddr $CLUSTER_IP ip saddr != 10.0.0.0/8 jump mark-for-masquerade
	add rule ip kube-proxy $KP_SVC numgen random mod 2 vmap { 0 : goto $5 , 1 : goto $3 }
	flush chain ip kube-proxy $1
	delete chain ip kube-proxy $1
	EOT
	in_rtr nft list chain ip kube-proxy "$1" >/dev/null 2>&1 &&
		fail "the endpoint chain for $2 is still there"
	return 0
}

flow_established()
{
	ct_flow "$1" 80 | grep -q ESTABLISHED
}

# count_ep ENDPOINT SPORT...: how many of the flows go to ENDPOINT.
count_ep()
{
	local ep=$1 s n=0
	shift
	for s in "$@"; do [ "${EP[$s]}" = "$ep" ] && n=$((n + 1)); done
	echo "$n"
}

# lacks_ep ENDPOINTS SPORT...: one of the (space-separated) ENDPOINTS has
# none of the flows.
lacks_ep()
{
	local e eps=$1
	shift
	for e in $eps; do
		[ "$(count_ep "$e" "$@")" = 0 ] && return 0
	done
	return 1
}

# clients VAR HOST DST FIRST_SPORT MIN [ENDPOINTS]: at least MIN
# connections, more (bounded) until each of ENDPOINTS (space-separated,
# default .4 and .5) has some.
clients()
{
	local -n list=$1
	local host=$2 dst=$3 sport=$4 min=$5 eps=${6:-"$EP4 $EP5"} e counts=
	while [ "${#list[@]}" -lt "$min" ] || lacks_ep "$eps" "${list[@]}"; do
		[ "${#list[@]}" -lt "$MAX_CONNS" ] ||
			fail "$MAX_CONNS connections from $host to $dst, none to one of $eps"
		connect "$host" "$dst" "$sport"
		list+=("$sport")
		sport=$((sport + 1))
	done
	for e in $eps; do
		counts+=", $(count_ep "$e" "${list[@]}") to $e"
	done
	log "$host: ${#list[@]} connections to $dst$counts"
}

alive()
{
	kill -0 "$1" 2>/dev/null
}

# ----------------------------------------------------------------- ctsweep

# flow_json SRC SPORT: the flow's object in the last ctsweep document.
flow_json()
{
	echo "[.flows[] | select(.proto == \"tcp\" and .orig.src == \"$1\"
		and .orig.sport == $2 and .orig.dport == 80)]"
}

# expect_flow_verdict SRC SPORT VERDICT REASON WHAT
expect_flow_verdict()
{
	assert_json "$(flow_json "$1" "$2") | length == 1
		and .[0].verdict == \"$3\" and .[0].reason == \"$4\"
		and .[0].unknown == null" \
		"$5: $1:$2 -> ${EP[$2]} is $3${4:+ ($4)}"
}

# ------------------------------------------------------------ watch part

dead()
{
	! alive "$1"
}

# dst_of SPORT: the address the flow's client connects to.
dst_of()
{
	if [ "${SRC[$1]}" = "$REMOTE4" ]; then echo "$EXT_IP"; else echo "$CLUSTER_IP"; fi
}

# only_live_flows SPORT...: the node's tcp entries are exactly those of the
# flows SPORT..., each ESTABLISHED and tagged.
only_live_flows()
{
	local s
	[ "$(ct_count -p tcp)" = $# ] || return 1
	for s; do
		ct_flow "$s" 80 | grep -q "ESTABLISHED .* mark=$CT_TAG " ||
			return 1
	done
}

# flows_kept WHAT SPORT...: each flow still has its entry (the same
# conntrack id, still tagged); one conntrack dump for all.
flows_kept()
{
	local what=$1 s t
	shift
	t=$(ct_list -p tcp -o id)
	for s; do
		[ -n "${CTID[$s]}" ] || fail "$what: no conntrack id recorded for flow $s"
		grep -qE " sport=$s dport=80 .* mark=$CT_TAG .* id=${CTID[$s]}\$" <<<"$t" ||
			fail "$what: flow $s -> 80 lost its entry (id ${CTID[$s]}, tagged): $(grep -F " sport=$s dport=80 " <<<"$t")"
	done
	log "flows $* keep their conntrack ids and tags ($what)"
}

# flows_replaced WHAT SPORT...: no flow has its old (tagged) entry.
flows_replaced()
{
	local what=$1 s t
	shift
	t=$(ct_list -p tcp)
	for s; do
		grep -qE " sport=$s dport=80 .* mark=$CT_TAG " <<<"$t" &&
			fail "$what: flow $s -> 80 still has its old entry: $(grep -F " sport=$s dport=80 " <<<"$t")"
	done
	log "flows $* have no old entry ($what)"
}

# no_flows_from ADDR: no tcp entry starts at ADDR (no mirror left).
no_flows_from()
{
	[ -z "$(ct_list -p tcp --orig-src "$1")" ]
}

# ere TEXT: TEXT as an extended regular expression matching it literally.
ere()
{
	sed 's/[][\.^$*+?(){}|/]/\\&/g' <<<"$1"
}

# watch's log lines of a delete: one per flow (-v), one per reaction.
FLOW_DEL_RE='watch: deleted (tcp|udp) '
ANY_DEL_RE="deleted [1-9][0-9]* stale|$FLOW_DEL_RE"

# watch_more PATTERN N: more than N log lines match PATTERN now.
watch_more()
{
	[ "$(watch_count "$1")" -gt "$2" ]
}

# ---------------------------------------------------------------- the case

topo_kube
step "kube-proxy's expected ruleset (TestOverallNFTablesRules), one transaction"
kp_load

step "remote -> external IP $EXT_IP:80 (masqueraded), client pod -> ClusterIP $CLUSTER_IP:80"
clients REMOTE_SPORTS remote "$EXT_IP" 41001 "$REMOTE_MIN"
clients POD_SPORTS "$NS_CLI" "$CLUSTER_IP" 42001 "$POD_MIN"
ALL_SPORTS=("${REMOTE_SPORTS[@]}" "${POD_SPORTS[@]}")
for s in "${REMOTE_SPORTS[@]}"; do
	r=$(ct_flow_reply "$s" 80)
	[ "$(echo "$r" | cut -d' ' -f3)" = "$NODE_POD" ] ||
		fail "remote flow $s is not masqueraded to $NODE_POD: $(ct_flow "$s" 80)"
done
for s in "${POD_SPORTS[@]}"; do
	r=$(ct_flow_reply "$s" 80)
	[ "$(echo "$r" | cut -d' ' -f3,4)" = "$CLIENT $s" ] ||
		fail "client pod flow $s is NATed at the source: $(ct_flow "$s" 80)"
done
log "conntrack: remote flows masqueraded to $NODE_POD, client pod flows not"
for c in remote pod; do
	expect_rx "$NS_EP4:$c" 10 "$c flows to $EP4"
	expect_rx "$NS_EP5:$c" 10 "$c flows to $EP5"
done
n=$(ct_count -p tcp)
[ "$n" = "${#ALL_SPORTS[@]}" ] ||
	fail "expected ${#ALL_SPORTS[@]} tcp entries in the node, conntrack has $n: $(ct_list -p tcp)"
# The tag (ct mark 0x5eed) has bit 0x4000 set: no kube-proxy rule reads
# the ct mark, so it must not make ctsweep think of a masquerade mark.
ct_tag ipv4 tcp --orig-port-dst 80
for s in "${ALL_SPORTS[@]}"; do
	CTID[$s]=$(ct_flow_id "$s" 80)
	[ -n "${CTID[$s]}" ] || fail "no conntrack id for flow $s"
done
N4=$(count_ep "$EP4" "${ALL_SPORTS[@]}")
N5=$(count_ep "$EP5" "${ALL_SPORTS[@]}")
[ $((N4 + N5)) = "${#ALL_SPORTS[@]}" ] ||
	fail "flows to neither $EP4 nor $EP5: $(ct_list -p tcp)"

step "ctsweep status before any change: every flow consistent"
cts status -v --tcp --json
assert_rc 0 "status with kube-proxy's rules unchanged"
assert_json_contract status false
assert_json ".summary.unknown == 0 and .summary.stale == 0" \
	"nothing unknown, nothing stale"
assert_json "[.flows[] | select(.proto == \"tcp\")] | length == ${#ALL_SPORTS[@]}" \
	"every tcp flow is listed once"
for s in "${REMOTE_SPORTS[@]}"; do
	expect_flow_verdict "$REMOTE4" "$s" consistent "" "before the change"
	assert_json "$(flow_json "$REMOTE4" "$s") | .[0]
		| .orig.dst == \"$EXT_IP\" and .reply.src == \"${EP[$s]}\"
		and .reply.dst == \"$NODE_POD\"
		and .now.dnat == \"${EP[$s]}:80\"
		and (.now.snat | startswith(\"$NODE_POD:\"))
		and (.rules.dnat | sort) == [\"$EP4:80\", \"$EP5:80\"]
		and .rules.snat == [\"$NODE_POD\"]
		and (.rule | startswith(\"table ip kube-proxy chain endpoint-\")
		     and contains(\"-ns4/svc4/tcp/p80__${EP[$s]}/80 \"))" \
		"remote flow $s: DNAT to ${EP[$s]}, masqueraded to $NODE_POD, by the rules too"
done
for s in "${POD_SPORTS[@]}"; do
	expect_flow_verdict "$CLIENT" "$s" consistent "" "before the change"
	assert_json "$(flow_json "$CLIENT" "$s") | .[0]
		| .orig.dst == \"$CLUSTER_IP\" and .reply.src == \"${EP[$s]}\"
		and .reply.dst == \"$CLIENT\"
		and .now.dnat == \"${EP[$s]}:80\" and .now.snat == null
		and (.rules.dnat | sort) == [\"$EP4:80\", \"$EP5:80\"]
		and .rules.snat == []
		and (.rule | startswith(\"table ip kube-proxy chain endpoint-\")
		     and contains(\"-ns4/svc4/tcp/p80__${EP[$s]}/80 \"))" \
		"client pod flow $s: DNAT to ${EP[$s]}, not masqueraded, by the rules too"
done
for s in "${ALL_SPORTS[@]}"; do
	expect_flow_kept "$s" 80 "${CTID[$s]}" "status"
done

step "kube-proxy replaces endpoint $EP5 by $EP6 (one transaction)"
kp_replace_endpoint "$KP_EP5" "$EP5" "$KP_EP6" "$EP6" "$KP_EP4"
# The rule change alone moves nothing: established flows keep their entry.
expect_rx "$NS_EP5" 5 "after the endpoint change, before ctsweep"
for s in "${ALL_SPORTS[@]}"; do
	expect_flow_kept "$s" 80 "${CTID[$s]}" "the rule change alone"
done

step "ctsweep status: the flows to $EP5 are stale, those to $EP4 consistent"
cts status -v --tcp --json
assert_rc 1 "status with flows to a removed endpoint"
assert_json_contract status false
assert_json ".summary.unknown == 0 and .summary.stale == $N5
	and .summary.by_reason[\"forward-changed\"] == $N5" \
	"$N5 stale (forward-changed), nothing unknown"
assert_json "[.flows[] | select(.proto == \"tcp\" and .verdict == \"consistent\")]
	| length == $N4" "$N4 tcp flows consistent"
for s in "${ALL_SPORTS[@]}"; do
	if [ "${EP[$s]}" = "$EP4" ]; then
		expect_flow_verdict "${SRC[$s]}" "$s" consistent "" "after the change"
		continue
	fi
	expect_flow_verdict "${SRC[$s]}" "$s" stale forward-changed "after the change"
	snat="[]"
	[ "${SRC[$s]}" = "$REMOTE4" ] && snat="[\"$NODE_POD\"]"
	assert_json "$(flow_json "${SRC[$s]}" "$s") | .[0]
		| .now.dnat == \"$EP5:80\"
		and (.rules.dnat | sort) == [\"$EP4:80\", \"$EP6:80\"]
		and .rules.snat == $snat and .deleted == false" \
		"flow $s: now $EP5, the rules say $EP4 or $EP6 (source NAT unchanged)"
done

step "ctsweep sweep: exactly the flows to $EP5 go"
cts sweep --tcp --json
assert_rc 0 "sweep"
assert_json_contract sweep false
assert_json "[.flows[] | select(.deleted and .reason == \"forward-changed\")]
	| length == $N5 and all(.reply.src == \"$EP5\")" \
	"sweep deleted the $N5 forwards to $EP5, no other forward"
# A late ACK of .5's may re-create a flow backwards (a mirror) while sweep
# settles; deleting it is part of moving the flows off .5, nothing else is.
assert_json "[.flows[] | select(.deleted and .reason != \"forward-changed\")]
	| all(.reason == \"forward-mirrored\" and .orig.src == \"$EP5\")" \
	"sweep deleted nothing but .5's flows"
for s in "${ALL_SPORTS[@]}"; do
	if [ "${EP[$s]}" = "$EP5" ]; then
		assert_json "$(flow_json "${SRC[$s]}" "$s")
			| length == 1 and .[0].deleted" "sweep deleted flow $s (to $EP5)"
	else
		assert_json "$(flow_json "${SRC[$s]}" "$s") | all(.deleted | not)" \
			"sweep kept flow $s (to $EP4)"
	fi
done
for s in "${ALL_SPORTS[@]}"; do
	if [ "${EP[$s]}" = "$EP5" ]; then
		expect_flow_replaced "$s" 80 "sweep"
	else
		expect_flow_kept "$s" 80 "${CTID[$s]}" "sweep"
	fi
done
inflight_pause	# packets already on their way to .5 when its flows went
expect_no_rx "$NS_EP5" 2 "after ctsweep sweep"
expect_rx "$NS_EP4" 5 "after ctsweep sweep"
[ -z "$(ct_list -p tcp --reply-src "$EP5")" ] ||
	fail "conntrack still sends flows to $EP5: $(ct_list -p tcp --reply-src "$EP5")"
for s in "${ALL_SPORTS[@]}"; do
	[ "${EP[$s]}" = "$EP4" ] || continue
	alive "${CPID[$s]}" ||
		fail "the client of flow $s (to $EP4) lost its connection"
	expect_flow_kept "$s" 80 "${CTID[$s]}" "after the sweep, traffic going on"
done
log "$N4 connections to $EP4 live on with their entries; $EP5 receives nothing"

step "ctsweep status after the sweep"
cts status --tcp --json
assert_rc 0 "status after the sweep"
assert_json ".summary.stale == 0 and .summary.unknown == 0" \
	"nothing stale or unknown after the sweep"

# ------------------------------------------------- the same with ctsweep watch

step "the swept flows' clients are gone: conntrack holds the $N4 flows to $EP4"
# Their next packets found no entry, went by the new rules to another
# endpoint and were reset there.
OLD4_SPORTS=()
for s in "${ALL_SPORTS[@]}"; do
	if [ "${EP[$s]}" = "$EP4" ]; then
		OLD4_SPORTS+=("$s")
	else
		wait_until 15 dead "${CPID[$s]}" ||
			fail "the client of swept flow $s is still running"
	fi
done
wait_until 20 only_live_flows "${OLD4_SPORTS[@]}" ||
	fail "conntrack holds more than the $N4 live flows to $EP4: $(ct_list -p tcp)"
log "conntrack holds exactly the ${#OLD4_SPORTS[@]} live flows to $EP4"

step "ctsweep watch --tcp in the node"
watch_start --tcp --stats "$LAB_TMP/watch.prom"
watch_start_said "deleted 0 stale flows; 0 unknown \(kept\)" ||
	fail "watch's first pass deleted something or found unknown flows"

step "endpoint pod $EP7 comes up; more connections, until some go to $EP6"
pod "$NS_EP7" veth-ep7 "$EP7" "$NODE_POD"
in_rtr ip link set veth-ep7 master cbr0 || fail "cannot attach veth-ep7 to cbr0"
endpoint_counters "$NS_EP7"
spawn SRV "$NS_EP7" socat -u TCP4-LISTEN:80,reuseaddr,fork OPEN:/dev/null
W_REMOTE_SPORTS=()
W_POD_SPORTS=()
clients W_REMOTE_SPORTS remote "$EXT_IP" 41101 1 "$EP6"
clients W_POD_SPORTS "$NS_CLI" "$CLUSTER_IP" 42101 1 "$EP6"
ct_tag ipv4 tcp --orig-port-dst 80
W_SPORTS=("${OLD4_SPORTS[@]}" "${W_REMOTE_SPORTS[@]}" "${W_POD_SPORTS[@]}")
for s in "${W_REMOTE_SPORTS[@]}" "${W_POD_SPORTS[@]}"; do
	CTID[$s]=$(ct_flow_id "$s" 80)
	[ -n "${CTID[$s]}" ] || fail "no conntrack id for flow $s"
done
only_live_flows "${W_SPORTS[@]}" ||
	fail "conntrack holds other tcp flows than the ${#W_SPORTS[@]} live ones: $(ct_list -p tcp)"
W4=$(count_ep "$EP4" "${W_SPORTS[@]}")
W6=$(count_ep "$EP6" "${W_SPORTS[@]}")
[ $((W4 + W6)) = "${#W_SPORTS[@]}" ] ||
	fail "flows to neither $EP4 nor $EP6: $(ct_list -p tcp)"
log "${#W_SPORTS[@]} live flows: $W4 to $EP4 (${#OLD4_SPORTS[@]} from before watch), $W6 to $EP6"
watch_logged "$ANY_DEL_RE" &&
	fail "watch deleted flows before the endpoint change: $(grep -E "$ANY_DEL_RE" "$WATCH_LOG" | head -n 5)"
flows_kept "watch, before the change" "${W_SPORTS[@]}"
REACTIONS=$(watch_count 'nftables generation [0-9]+ .*: deleted [0-9]+ stale flow')

step "kube-proxy replaces endpoint $EP4 by $EP7 (one transaction), watch running"
kp_replace_endpoint "$KP_EP4" "$EP4" "$KP_EP7" "$EP7" "$KP_EP6"

step "watch deletes exactly the $W4 flows to $EP4 (forward-changed)"
wait_until 10 watch_more 'nftables generation [0-9]+ .*: deleted [0-9]+ stale flow' "$REACTIONS" ||
	fail "watch did not react to the endpoint change within 10 s"
line=$(grep -E 'nftables generation [0-9]+ .*: deleted [0-9]+ stale flow' "$WATCH_LOG" |
	tail -n +$((REACTIONS + 1)))
log "watch log: $(cut -c1-300 <<<"$line")"
[ "$(grep -c . <<<"$line")" = 1 ] ||
	fail "watch reacted more than once to one transaction: $line"
# What changed, as the line tells it: the endpoint chains and svc4's
# service chain (its numgen vmap, an anonymous map, now names .7), and
# nothing else: jump targets and sets count by name or content, not by
# their place in this read of the rules.
for c in "$KP_EP7 added" "$KP_EP4 removed" "$KP_SVC changed"; do
	grep -qF "chain ip kube-proxy $c" <<<"$line" ||
		fail "the log line does not say 'chain ip kube-proxy $c': $line"
done
what=${line%%: deleted*}
what=${what#*notifications): }
[ "$(tr ',' '\n' <<<"$what" | grep -c .)" = 3 ] ||
	fail "the log line names more than the three chains that changed: $what"

re="deleted ([0-9]+) stale flows? \(forward-changed $W4(, forward-mirrored ([0-9]+))?\); 0 unknown \(kept\)"
[[ $line =~ $re ]] ||
	fail "watch did not delete $W4 flows as forward-changed, nothing unknown: $line"
[ "${BASH_REMATCH[1]}" = $((W4 + ${BASH_REMATCH[3]:-0})) ] ||
	fail "watch's stale count is not forward-changed $W4 + forward-mirrored: $line"
rules_re="($(ere "$EP6")|$(ere "$EP7")):80 or others \(forward-changed\)\$"
W4_SPORTS=()
W6_SPORTS=()
for s in "${W_SPORTS[@]}"; do
	flow_re="watch: deleted tcp $(ere "${SRC[$s]}:$s > $(dst_of "$s"):80 ")"
	if [ "${EP[$s]}" = "$EP4" ]; then
		W4_SPORTS+=("$s")
		watch_logged "$flow_re$(ere "id ${CTID[$s]} goes to $EP4:80, rules say ")$rules_re" ||
			fail "watch did not log the delete of flow $s (id ${CTID[$s]}, to $EP4) as forward-changed"
	else
		W6_SPORTS+=("$s")
		! watch_logged "$flow_re" ||
			fail "watch deleted flow $s (to ${EP[$s]}): $(grep -E "$flow_re" "$WATCH_LOG")"
	fi
done
n=$(watch_count 'watch: deleted tcp .* \(forward-changed\)$')
[ "$n" = "$W4" ] ||
	fail "watch logged $n forward-changed deletes, expected $W4: $(grep -E 'watch: deleted tcp' "$WATCH_LOG")"
# As for sweep: .4's late ACK may start a flow backwards; watch deletes it
# as a mirror, told as the forward to .4 it mirrors.
grep -E 'watch: deleted tcp .* \(forward-mirrored\)$' "$WATCH_LOG" |
	grep -vF "goes to $EP4:80," | grep . &&
	fail "watch deleted a mirror of something other than a flow to $EP4"
grep -E "$FLOW_DEL_RE" "$WATCH_LOG" | grep -vE '\((forward-changed|forward-mirrored)\)$' | grep . &&
	fail "watch deleted flows for other reasons"
log "watch logged the $W4 deletes of flows to $EP4, with their ids, as forward-changed"

flows_replaced "watch" "${W4_SPORTS[@]}"
flows_kept "watch" "${W6_SPORTS[@]}"
inflight_pause	# packets already on their way to .4 when its flows went
expect_no_rx "$NS_EP4" 2 "after watch reacted"
for c in remote pod; do
	expect_rx "$NS_EP6:$c" 5 "$c flows to $EP6, after watch reacted"
done
[ -z "$(ct_list -p tcp --reply-src "$EP4")" ] ||
	fail "conntrack still sends flows to $EP4: $(ct_list -p tcp --reply-src "$EP4")"
wait_until 5 no_flows_from "$EP4" ||
	fail "a flow from $EP4 (a mirror) is still there: $(ct_list -p tcp --orig-src "$EP4")"
for s in "${W6_SPORTS[@]}"; do
	alive "${CPID[$s]}" ||
		fail "the client of flow $s (to $EP6) lost its connection"
done
flows_kept "after watch reacted, traffic going on" "${W6_SPORTS[@]}"
log "$W6 connections to $EP6 live on with their entries; $EP4 receives nothing"

step "new connections reach $EP7; watch leaves them alone"
N_DELETES=$(watch_count "$ANY_DEL_RE")
N7_REMOTE_SPORTS=()
N7_POD_SPORTS=()
clients N7_REMOTE_SPORTS remote "$EXT_IP" 41201 1 "$EP7"
clients N7_POD_SPORTS "$NS_CLI" "$CLUSTER_IP" 42201 1 "$EP7"
N7_SPORTS=("${N7_REMOTE_SPORTS[@]}" "${N7_POD_SPORTS[@]}")
for s in "${N7_SPORTS[@]}"; do
	[ "${EP[$s]}" = "$EP6" ] || [ "${EP[$s]}" = "$EP7" ] ||
		fail "new connection $s went to ${EP[$s]}"
	ct_flow_tag "$s" 80
	CTID[$s]=$(ct_flow_id "$s" 80)
done
for c in remote pod; do
	expect_rx "$NS_EP7:$c" 5 "$c flows to $EP7"
done

step "ctsweep status with watch running: nothing stale, nothing unknown"
cts status -v --tcp --json
assert_rc 0 "status after watch reacted"
assert_json_contract status false
assert_json ".summary.stale == 0 and .summary.unknown == 0" \
	"nothing stale or unknown after watch reacted"
for s in "${W6_SPORTS[@]}" "${N7_SPORTS[@]}"; do
	expect_flow_verdict "${SRC[$s]}" "$s" consistent "" "after watch reacted"
done
flows_kept "after watch reacted" "${W6_SPORTS[@]}" "${N7_SPORTS[@]}"
[ "$(watch_count "$ANY_DEL_RE")" = "$N_DELETES" ] ||
	fail "watch deleted more: $(grep -E "$ANY_DEL_RE" "$WATCH_LOG" | tail -n +$((N_DELETES + 1)))"
wait_until 5 test -s "$LAB_TMP/watch.prom" || fail "no stats file"
[ "$(stat_value flows_deleted_total 'reason="forward-changed"')" = "$W4" ] ||
	fail "stats: forward-changed deletes: $(stat_value flows_deleted_total 'reason="forward-changed"'), expected $W4"
watch_no_errors "kube-proxy endpoint change"
watch_stop TERM
[ "$WATCH_RC" = 0 ] || fail "SIGTERM: watch exited $WATCH_RC, expected 0"
pass
