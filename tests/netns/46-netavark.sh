#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Podman's network backend itself: the real netavark (Debian 12's 1.4.0,
# /usr/lib/podman/netavark) sets up a bridge network and its containers
# inside the node namespace, driven by JSON on stdin as podman drives it.
# Its firewall driver in 1.4 is iptables (on Debian 12 "iptables" is
# iptables-nft).  A published port is netavark's DNAT chain
# NETAVARK-DN-<hash>; a container that reaches its own network's published
# port (hairpin) is first sent to NETAVARK-HOSTPORT-SETMARK (MARK
# --set-xmark 0x2000/0x2000), and NETAVARK-HOSTPORT-MASQ masquerades by
# that packet mark in POSTROUTING.  The containers' own traffic out is
# masqueraded by source (NETAVARK-<hash>).
#
#   remote 203.0.113.10 --wan-- node (203.0.113.1)
#                                |  podman0 10.88.0.1/16 (netavark's bridge)
#                                |-- c1  10.88.0.2  udp+tcp 53820 -> 51820
#                                |-- cli 10.88.0.5  hairpin client
#                                `-- c2  10.88.0.3  (c1's replacement)
#
# Flows: the remote's UDP stream 51820 -> 203.0.113.1:53820 (to c1:51820),
# a TCP connection from the remote to the same port, cli's UDP stream to
# 203.0.113.1:53820 (DNAT to c1, masqueraded to 10.88.0.1 by the mark) and
# c1's own UDP stream out to the remote (masqueraded to 203.0.113.1).
# ctsweep must call every one consistent and none unknown.  Then c1 is
# replaced the way podman restarts a container with a new address:
# netavark teardown for c1, setup for c2 (10.88.0.3, same ports).  netavark
# 1.4 deletes no conntrack entry, so the flows DNATed to 10.88.0.2 stay
# there (and the stream goes nowhere): those are stale (forward-changed),
# the rest consistent, none unknown, and sweep deletes exactly them.  Then
# c2 receives the remote's stream and cli's hairpin stream.
#
# netavark runs under "ip netns exec NODE": its bridge, veths, sysctls and
# iptables rules land in the node namespace only.  The case checks that the
# host's nftables and iptables rulesets are unchanged.  DNS is disabled in
# the network, so no aardvark-dns is needed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-legacy.sh"
. "$(dirname "$0")/lib-peer.sh"

NETAVARK=${NETAVARK:-/usr/lib/podman/netavark}
NV_CONF=$LAB_TMP/netavark	# netavark's --config (aardvark's, unused)

GW=10.88.0.1			# podman0: masquerade address of the hairpin
C1=10.88.0.2
C2=10.88.0.3
CLI=10.88.0.5
NET_ID=2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9

HP_SPORT=41000			# cli -> 203.0.113.1:53820 (hairpin)
OUT_SPORT=40000			# c1 -> remote:51830 (container outbound)
OUT_DPORT=51830
TCP_SPORT=42000			# remote -> 203.0.113.1:53820, tcp

NS_C1=$LAB_ID-c1
NS_C2=$LAB_ID-c2
NS_CLI=$LAB_ID-cli

declare -A NV_OPTS		# netns -> the JSON netavark set it up with
declare -A CTID			# flow name -> conntrack id before the change

# ---------------------------------------------------------------- netavark

# nv_options ID NAME ADDR [ports]: podman's network options for a container
# on the "podman" bridge network, as podman hands them to netavark.
nv_options()
{
	local ports='' pm
	if [ "${4:-}" = ports ]; then
		pm='"host_ip": "", "container_port": 51820, "host_port": 53820, "range": 1'
		ports="\"port_mappings\": [
			{ $pm, \"protocol\": \"udp\" },
			{ $pm, \"protocol\": \"tcp\" } ],"
	fi
	cat <<-EOF
	{
		"container_id": "$1",
		"container_name": "$2",
		$ports
		"networks": {
			"podman": { "interface_name": "eth0", "static_ips": [ "$3" ] }
		},
		"network_info": {
			"podman": {
				"name": "podman", "id": "$NET_ID", "driver": "bridge",
				"network_interface": "podman0",
				"subnets": [ { "subnet": "10.88.0.0/16", "gateway": "$GW" } ],
				"ipv6_enabled": false, "internal": false, "dns_enabled": false,
				"ipam_options": { "driver": "host-local" }
			}
		}
	}
	EOF
}

# nv CMD NS: netavark CMD (setup/teardown) for the container netns NS, run
# in the node namespace with the options NV_OPTS[NS]; its log goes to
# $LAB_TMP/nv.CMD.NS.log.  NETAVARK_FW is unset: netavark picks its own
# firewall driver.
nv()
{
	local log=$LAB_TMP/nv.$1.${2#"$LAB_ID"-}.log
	log "\$ ip netns exec NODE netavark --config $NV_CONF $1 /var/run/netns/$2"
	in_rtr env -u NETAVARK_FW RUST_LOG=info "$NETAVARK" --config "$NV_CONF" \
		"$1" "/var/run/netns/$2" <<<"${NV_OPTS[$2]}" >"$log.out" 2>"$log"
}

# nv_setup NS ID NAME ADDR [ports]
nv_setup()
{
	local ns=$1
	NV_OPTS[$ns]=$(nv_options "$2" "$3" "$4" "${5:-}")
	nv setup "$ns" || fail "netavark setup for $3 ($4) failed: $(tail -n 5 "$LAB_TMP/nv.setup.${ns#"$LAB_ID"-}.log")"
	NV_UP+=("$ns")
	in_ns "$ns" ip -4 -o addr show dev eth0 | grep -q " $4/16 " ||
		fail "netavark set up $3 without $4 on eth0: $(in_ns "$ns" ip -o addr 2>&1)"
	log "netavark set up $3: $4 on eth0, $(jq -c ".podman.interfaces.eth0.subnets" \
		"$LAB_TMP/nv.setup.${ns#"$LAB_ID"-}.log.out")"
}

nv_teardown()
{
	local ns=$1 i keep=()
	nv teardown "$ns" ||
		fail "netavark teardown for $ns failed: $(tail -n 5 "$LAB_TMP/nv.teardown.${ns#"$LAB_ID"-}.log")"
	for i in "${NV_UP[@]}"; do [ "$i" = "$ns" ] || keep+=("$i"); done
	NV_UP=("${keep[@]}")
}

# On exit, also on failure: netavark tears down what it set up (the
# containers' veths and its rules in the node), then lib.sh removes the
# namespaces and the processes in them.
NV_UP=()
nv_exit()
{
	local rc=$? i
	trap - EXIT
	[ "$BASHPID" = "$$" ] || exit "$rc"
	for ((i = ${#NV_UP[@]} - 1; i >= 0; i--)); do
		nv teardown "${NV_UP[$i]}" ||
			echo "netavark teardown for ${NV_UP[$i]} failed (rc $?)"
	done
	(exit "$rc")
	lab_cleanup
}
trap nv_exit EXIT

# host_state: the host's own rulesets, which netavark must not touch.
HOST_STATE_WHAT="nftables and iptables rules"
host_state()
{
	{
		echo "-- nft list ruleset"
		nft list ruleset 2>&1
		echo "-- iptables -S"
		iptables -S 2>&1
		echo "-- iptables -t nat -S"
		iptables -t nat -S 2>&1
		echo "-- links named podman*"
		ip -o link show 2>&1 | awk -F': ' '$2 ~ /^podman/ { print $2 }'
	} | sed 's/\[[0-9]*:[0-9]*\]//; s/packets [0-9]* bytes [0-9]*//'
}

lab_dump_extra()
{
	local ns
	echo "-- iptables-save in the node ($(in_rtr iptables -V 2>&1))"
	in_rtr iptables-save 2>&1 | grep -v '^#'
	echo "-- conntrack in the node (udp, tcp)"
	ct_list -p udp -o id
	ct_list -p tcp -o id
	for ns in "$NS_C1" "$NS_C2"; do
		ns_exists "$ns" && echo "-- counters at ${ns#"$LAB_ID"-}:" \
			"rx $(rx_count "$ns:rx") hp $(rx_count "$ns:hp")" \
			"rxtcp $(rx_count "$ns:rxtcp")"
	done
	for ns in "$NS_C1" "$NS_C2" "$NS_CLI"; do
		[ -e "$LAB_TMP/nv.setup.${ns#"$LAB_ID"-}.log" ] || continue
		echo "-- netavark setup log, ${ns#"$LAB_ID"-}"
		tail -n 5 "$LAB_TMP/nv.setup.${ns#"$LAB_ID"-}.log"
	done
}

# ---------------------------------------------------------------- topology

# container_counters NS: what a container receives on 51820: the remote's
# UDP stream ("rx"), cli's hairpin stream, masqueraded to the bridge
# address ("hp"), and the remote's TCP connection ("rxtcp").
container_counters()
{
	in_ns "$1" nft -f - <<-EOF || fail "cannot set up the counters in $1"
	table inet lab {
		counter rx {
		}
		counter hp {
		}
		counter rxtcp {
		}
		chain rxcount {
			type filter hook input priority -300; policy accept;
			ip saddr $REMOTE4 udp sport $PEER_PORT udp dport 51820 counter name "rx"
			ip saddr $GW udp sport $HP_SPORT udp dport 51820 counter name "hp"
			ip saddr $REMOTE4 tcp sport $TCP_SPORT tcp dport 51820 counter name "rxtcp"
		}
	}
	EOF
}

# container NS: an empty namespace with counters; netavark does the rest.
container()
{
	ns_add "$1"
	container_counters "$1"
}

# services NS: what runs in c1 and c2: a UDP echo on 51820 (answers the
# remote's stream, so the flow becomes ASSURED) and a TCP sink on 51820.
# The echo answers the remote only ("range"): were it to answer cli's
# hairpin datagrams to the remote's 51820 before the remote's first
# datagram arrived, that answer's masqueraded entry would hold the tuple
# the remote's flow needs, and the kernel would give the remote's flow
# another port towards the container.
services()
{
	spawn ECHO "$1" socat \
		"UDP4-DATAGRAM:$REMOTE4:$PEER_PORT,bind=:51820,range=$REMOTE4/32" PIPE
	spawn TCPSRV "$1" socat -u TCP4-LISTEN:51820,reuseaddr,fork OPEN:/dev/null
}

topo_node()
{
	require_netns
	[ -x "$NETAVARK" ] ||
		fail "netavark not found at $NETAVARK (Debian package netavark; run 'sudo make deps')"
	for t in iptables iptables-save socat conntrack jq; do
		command -v "$t" >/dev/null ||
			fail "$t not found (run 'sudo make deps')"
	done
	step "topology: node, remote; netavark $("$NETAVARK" --version 2>&1 | awk '{ print $2 }')"
	host_state_save
	new_ns "$NS_RTR"
	new_ns "$NS_REMOTE"
	require_nftables "$NS_RTR"
	wan_link || fail "cannot set up the wan side"
	# Bridged frames must not run the ip hooks (br_netfilter, if loaded).
	lab_sysctl "$NS_RTR" net.bridge.bridge-nf-call-iptables=0
	container "$NS_C1"
	container "$NS_CLI"
}

# ------------------------------------------------------------------- flows

# The four flows by name: "proto sport dport" of their original tuple.
declare -A FLOW=(
	[remote]="udp $PEER_PORT $FWD_PORT"
	[hairpin]="udp $HP_SPORT $FWD_PORT"
	[out]="udp $OUT_SPORT $OUT_DPORT"
	[tcp]="tcp $TCP_SPORT $FWD_PORT"
)
declare -A FSRC=([remote]=$REMOTE4 [hairpin]=$CLI [out]=$C1 [tcp]=$REMOTE4)

# fl FUNC NAME [ARGS]: a lib-legacy.sh ct_flow* helper for a named flow.
fl()
{
	local f=$1 p s d
	read -r p s d <<<"${FLOW[$2]}"
	FLOW_PROTO=$p "$f" "$s" "$d" "${@:3}"
}

fl_tag()
{
	local p s d
	read -r p s d <<<"${FLOW[$1]}"
	ct_tag ipv4 "$p" --orig-port-src "$s" --orig-port-dst "$d"
}

# fl_reply NAME: "SRC SPORT DST DPORT" of the flow's reply tuple.
fl_reply()
{
	fl ct_flow_reply "$1"
}

tcp_established()
{
	fl ct_flow tcp | grep -q ESTABLISHED
}

# flow_json NAME: the flow's objects in the last ctsweep document.
flow_json()
{
	local p s d
	read -r p s d <<<"${FLOW[$1]}"
	echo "[.flows[] | select(.proto == \"$p\" and .orig.src == \"${FSRC[$1]}\"
		and .orig.sport == $s and .orig.dport == $d)]"
}

# expect_verdict NAME VERDICT REASON WHAT [EXTRA-FILTER]: also, the rule
# named is netavark's: the DNAT in NETAVARK-DN-<hash> for the forwarded
# flows, the masquerade in NETAVARK-<hash> for the container's flow out.
expect_verdict()
{
	local chain="NETAVARK-DN-$NV_HASH "
	[ "$1" = out ] && chain="NETAVARK-$NV_HASH "
	assert_json "$(flow_json "$1") | length == 1 and (.[0]
		| .verdict == \"$2\" and .reason == \"$3\" and .unknown == null
		and (.rule | contains(\" $chain\"))
		${5:+and ($5)})" \
		"$4: the $1 flow ($(fl ct_flow "$1" | head -c 300)) is $2${3:+ ($3)}"
	log "ctsweep: $1 flow $2${3:+ ($3)}: $(json "$(flow_json "$1") | .[0] | {now, rules, rule}" | head -c 400)"
}

# ---------------------------------------------------------------- the case

topo_node
step "netavark setup: c1 $C1 (udp and tcp 53820 -> 51820), cli $CLI"
nv_setup "$NS_C1" c1c1c1c1c1c1 c1 "$C1" ports
nv_setup "$NS_CLI" c5c5c5c5c5c5 cli "$CLI"
grep -q 'Using iptables firewall driver' "$LAB_TMP/nv.setup.c1.log" ||
	fail "netavark did not use its iptables firewall driver: $(grep -i firewall "$LAB_TMP/nv.setup.c1.log")"
log "netavark: $(grep -o 'Using .* firewall driver' "$LAB_TMP/nv.setup.c1.log");" \
	"iptables in the node is $(in_rtr iptables -V)"
in_rtr ip -o link show podman0 >/dev/null 2>&1 ||
	fail "netavark created no podman0 in the node"
[ "$(in_rtr sysctl -n net.ipv4.ip_forward)" = 1 ] ||
	fail "netavark did not enable forwarding in the node"
expect_host_untouched "after netavark setup"

step "the rules netavark wrote (node namespace)"
in_rtr iptables-save | grep -v '^#' >"$LAB_TMP/nv-rules.txt"
sed 's/^/    | /' "$LAB_TMP/nv-rules.txt"
for re in \
	'^-A NETAVARK-HOSTPORT-SETMARK -j MARK --set-xmark 0x2000/0x2000$' \
	'^-A NETAVARK-HOSTPORT-MASQ .*-m mark --mark 0x2000/0x2000 -j MASQUERADE$' \
	'^-A POSTROUTING -j NETAVARK-HOSTPORT-MASQ$' \
	'^-A NETAVARK-DN-[0-9A-F]* -s 10\.88\.0\.0/16 -p udp -m udp --dport 53820 -j NETAVARK-HOSTPORT-SETMARK$' \
	"^-A NETAVARK-DN-[0-9A-F]* -p udp -m udp --dport 53820 -j DNAT --to-destination $C1:51820\$" \
	"^-A NETAVARK-DN-[0-9A-F]* -p tcp -m tcp --dport 53820 -j DNAT --to-destination $C1:51820\$" \
	'^-A PREROUTING -m addrtype --dst-type LOCAL -j NETAVARK-HOSTPORT-DNAT$' \
	'^-A NETAVARK-[0-9A-F]* ! -d 224\.0\.0\.0/4 -j MASQUERADE$'; do
	grep -Eq -- "$re" "$LAB_TMP/nv-rules.txt" ||
		fail "netavark's rules lack /$re/"
done
# The network's chains are named by a hash of its id.
NV_HASH=$(sed -n 's/^:NETAVARK-DN-\([0-9A-F]*\) .*/\1/p' "$LAB_TMP/nv-rules.txt")
[ -n "$NV_HASH" ] || fail "no NETAVARK-DN-<hash> chain in netavark's rules"
log "netavark's mark pieces: $(grep -E -- '0x2000' "$LAB_TMP/nv-rules.txt" | tr '\n' ';')"
if in_rtr iptables -V | grep -q nf_tables; then
	in_rtr nft list ruleset >"$LAB_TMP/nv-nft.txt" 2>/dev/null
	grep -E 'mark|masquerade' "$LAB_TMP/nv-nft.txt" | sed 's/^[[:space:]]*/    | nft: /'
	grep -Eq 'meta mark set mark or 0x0*2000( |$)' "$LAB_TMP/nv-nft.txt" &&
	# nft 0.9.8 prints the match "mark and 0x2000 == 0x2000"
	grep -Eq '(meta )?mark (&|and) 0x0*2000 == 0x0*2000 .*masquerade' "$LAB_TMP/nv-nft.txt" ||
		fail "nft does not show netavark's mark rules"
fi

step "traffic: remote -> :53820 (udp, tcp), cli hairpin -> $WAN4:53820, c1 -> remote"
services "$NS_C1"
spawn REMOTE_ECHO remote socat "UDP4-DATAGRAM:$WAN4:$OUT_SPORT,bind=:$OUT_DPORT" PIPE
start_sender SENDER
start_stream HAIRPIN "$NS_CLI" "$WAN4" "$FWD_PORT" "$HP_SPORT" 4 0.02
start_stream OUT "$NS_C1" "$REMOTE4" "$OUT_DPORT" "$OUT_SPORT" 4 0.02
tcp_client TCPCLI remote "$WAN4" 53820 "$TCP_SPORT"
expect_rx "$NS_C1:rx" 15 "remote's stream forwarded to c1"
expect_rx "$NS_C1:hp" 15 "cli's hairpin stream reaches c1 from $GW"
expect_rx "$NS_C1:rxtcp" 15 "remote's tcp connection reaches c1"
wait_until 20 ct_seed_assured ||
	fail "the remote's flow never became ASSURED: $(ct_seed)"
wait_until 10 fl ct_flow_exists out ||
	fail "no conntrack entry for c1's flow out"
wait_until 10 tcp_established ||
	fail "the tcp flow is not ESTABLISHED: $(fl ct_flow tcp)"
[ "$(fl_reply remote)" = "$C1 51820 $REMOTE4 $PEER_PORT" ] ||
	fail "the remote's flow is not DNATed to $C1:51820: $(fl ct_flow remote)"
[ "$(fl_reply hairpin | cut -d' ' -f1,2,3)" = "$C1 51820 $GW" ] ||
	fail "the hairpin flow is not DNATed to $C1 and masqueraded to $GW: $(fl ct_flow hairpin)"
[ "$(fl_reply out | cut -d' ' -f3)" = "$WAN4" ] ||
	fail "c1's flow out is not masqueraded to $WAN4: $(fl ct_flow out)"
[ "$(fl_reply tcp | cut -d' ' -f1,2,3)" = "$C1 51820 $REMOTE4" ] ||
	fail "the tcp flow is not DNATed to $C1:51820 unmasqueraded: $(fl ct_flow tcp)"
for f in remote hairpin out tcp; do
	log "conntrack: $f: $(fl ct_flow "$f")"
done
# The tag (ct mark 0x5eed) has none of netavark's bits (0x2000, and 0x1000
# of later versions) set; no netavark 1.4 rule reads the ct mark.
for f in remote hairpin out tcp; do
	fl_tag "$f"
	CTID[$f]=$(fl ct_flow_id "$f")
	[ -n "${CTID[$f]}" ] || fail "no conntrack id for the $f flow"
done

step "ctsweep status: every flow consistent, none unknown"
cts -v status --tcp --json
assert_rc 0 "status with netavark's rules unchanged"
assert_json_contract status false
assert_json '.summary.unknown == 0 and .summary.stale == 0' \
	"nothing unknown, nothing stale"
expect_verdict remote consistent "" "before the change" \
	".now.dnat == \"$C1:51820\" and .now.snat == null
	 and .rules.dnat == [\"$C1:51820\"] and .rules.snat == []"
expect_verdict tcp consistent "" "before the change" \
	".now.dnat == \"$C1:51820\" and .now.snat == null
	 and .rules.dnat == [\"$C1:51820\"] and .rules.snat == []"
expect_verdict hairpin consistent "" "before the change" \
	".now.dnat == \"$C1:51820\" and (.now.snat | startswith(\"$GW:\"))
	 and .rules.dnat == [\"$C1:51820\"] and .rules.snat == [\"$GW\"]"
expect_verdict out consistent "" "before the change" \
	".now.dnat == null and (.now.snat | startswith(\"$WAN4:\"))
	 and .rules.dnat == [] and .rules.snat == [\"$WAN4\"]"
for f in remote hairpin out tcp; do
	fl expect_flow_kept "$f" "${CTID[$f]}" "status"
done

step "podman restarts c1 with a new address: netavark teardown c1, setup c2 $C2"
nv_teardown "$NS_C1"
in_ns "$NS_C1" ip link show eth0 >/dev/null 2>&1 &&
	fail "c1 still has its eth0 after netavark teardown"
container "$NS_C2"
nv_setup "$NS_C2" c2c2c2c2c2c2 c2 "$C2" ports
services "$NS_C2"
in_rtr iptables-save | grep -v '^#' >"$LAB_TMP/nv-rules2.txt"
grep 'NETAVARK-DN-' "$LAB_TMP/nv-rules2.txt" | sed 's/^/    | /'
grep -Eq -- "-j DNAT --to-destination $C2:51820\$" "$LAB_TMP/nv-rules2.txt" ||
	fail "netavark's rules do not DNAT to $C2"
grep -q -- "--to-destination $C1:" "$LAB_TMP/nv-rules2.txt" &&
	fail "netavark's rules still DNAT to $C1"
grep -q -- '--set-xmark 0x2000/0x2000' "$LAB_TMP/nv-rules2.txt" ||
	fail "the hairpin mark rule went with c1"
expect_host_untouched "after the restart"
# netavark 1.4 deletes no conntrack entry on teardown or setup: every
# flow keeps its entry, the DNATed ones still to c1's old address.
for f in remote hairpin out tcp; do
	fl expect_flow_kept "$f" "${CTID[$f]}" "netavark teardown and setup"
done
log "netavark deleted no conntrack entry: the flows to $C1 stay on $C1"
expect_no_rx "$NS_C2:rx" 2 "the remote's stream is stuck on $C1's entry"
expect_no_rx "$NS_C2:hp" 2 "the hairpin stream is stuck on $C1's entry"
[ "$(fl_reply remote | cut -d' ' -f1)" = "$C1" ] ||
	fail "the remote's flow no longer goes to $C1: $(fl ct_flow remote)"

step "ctsweep status: the flows to $C1 are stale, c1's flow out consistent"
cts -v status --tcp --json
assert_rc 1 "status with flows to the replaced container"
assert_json_contract status false
assert_json '.summary.unknown == 0 and .summary.stale == 3
	and .summary.by_reason["forward-changed"] == 3' \
	"3 stale (forward-changed), nothing unknown"
assert_json "[.flows[] | select(.verdict == \"stale\")]
	| all(.now.dnat == \"$C1:51820\")" "only the flows to $C1 are stale"
expect_verdict remote stale forward-changed "after the restart" \
	".now.dnat == \"$C1:51820\" and .rules.dnat == [\"$C2:51820\"]
	 and .rules.snat == [] and .deleted == false"
expect_verdict tcp stale forward-changed "after the restart" \
	".now.dnat == \"$C1:51820\" and .rules.dnat == [\"$C2:51820\"]
	 and .rules.snat == [] and .deleted == false"
expect_verdict hairpin stale forward-changed "after the restart" \
	".now.dnat == \"$C1:51820\" and .rules.dnat == [\"$C2:51820\"]
	 and .rules.snat == [\"$GW\"] and .deleted == false"
expect_verdict out consistent "" "after the restart" \
	".now.dnat == null and .rules.snat == [\"$WAN4\"]"
assert_json '[.flows[] | select(.verdict != "stale")] | all(.verdict == "consistent")' \
	"every other flow consistent"

step "ctsweep sweep: exactly the stale flows go"
cts sweep --tcp --json
assert_rc 0 "sweep"
assert_json_contract sweep false
assert_json '.summary.deleted == 3 and .summary.unknown == 0
	and all(.flows[]; .deleted == (.verdict == "stale"))' \
	"sweep deleted the 3 stale flows and nothing else"
for f in remote hairpin tcp; do
	assert_json "$(flow_json "$f") | length == 1 and .[0].deleted" \
		"sweep deleted the $f flow"
done
assert_json "$(flow_json out) | all(.deleted | not)" "sweep kept c1's flow out"
fl expect_flow_kept out "${CTID[out]}" "sweep"
for f in remote hairpin tcp; do
	fl expect_flow_replaced "$f" "sweep"
done
expect_rx "$NS_C2:rx" 10 "the remote's stream moves to c2"
expect_rx "$NS_C2:hp" 10 "the hairpin stream moves to c2, from $GW"
wait_until 10 eval '[ "$(fl_reply remote)" = "$C2 51820 $REMOTE4 $PEER_PORT" ]' ||
	fail "the remote's flow does not go to $C2:51820: $(fl ct_flow remote)"
wait_until 10 eval '[ "$(fl_reply hairpin | cut -d" " -f1,2,3)" = "$C2 51820 $GW" ]' ||
	fail "the hairpin flow does not go to $C2, masqueraded to $GW: $(fl ct_flow hairpin)"
for f in remote hairpin; do
	log "conntrack: $f: $(fl ct_flow "$f")"
done
sleep 0.3	# packets already on their way when the flows went
expect_no_rx "$NS_C1:rx" 2 "after the sweep"
expect_no_rx "$NS_C1:hp" 2 "after the sweep"
[ -z "$(ct_list --reply-src "$C1" -p udp --orig-port-dst "$FWD_PORT")$(ct_list --reply-src "$C1" -p tcp)" ] ||
	fail "conntrack still sends flows to $C1: $(ct_list --reply-src "$C1")"

step "ctsweep status after the sweep"
wait_until 20 ct_seed_assured ||
	fail "the remote's flow to c2 never became ASSURED: $(ct_seed)"
cts -v status --tcp --json
assert_rc 0 "status after the sweep"
assert_json '.summary.stale == 0 and .summary.unknown == 0' \
	"nothing stale or unknown after the sweep"
expect_verdict remote consistent "" "after the sweep" \
	".now.dnat == \"$C2:51820\" and .now.snat == null"
expect_verdict hairpin consistent "" "after the sweep" \
	".now.dnat == \"$C2:51820\" and (.now.snat | startswith(\"$GW:\"))"
expect_host_untouched "at the end"
pass
