#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# CNI portmap, two ways.
#
# 1. Its own expected nftables output, tests/peers/cni-portmap-masq.nft
#    (table ip cni_hostport: tcp 8080 -> 10.0.0.2:80, masquerade of the
#    container's hairpin and of 127.0.0.1), loaded verbatim into a fresh
#    node.  The container 10.0.0.2 exists: a remote client, the container
#    itself (hairpin, masqueraded) and the node (output hook) connect to
#    the node's 8080; a udp stream to 8080 is not mapped.  ctsweep judges
#    them all consistent.
#
#      fxremote 203.0.113.10 --wan-- fxnode 203.0.113.1
#                                      `- veth-fxc 10.0.0.1/24 -- fxctr 10.0.0.2
#
# 2. The plugins themselves (Debian's containernetworking-plugins, 1.1.1),
#    called the way a runtime (libcni) calls a conflist: bridge (cni0,
#    isGateway, ipMasq, host-local 10.88.0.0/24), then portmap with bridge's
#    result as prevResult and runtimeConfig.portMappings udp 53820 ->
#    51820; DEL in reverse order with the cached result.  They run inside
#    the node namespace and write iptables rules (portmap 1.1.1 has no
#    nftables backend) through the iptables alternative, iptables-nft here.
#
#      remote 203.0.113.10 --wan-- node 203.0.113.1
#                                    `- cni0 10.88.0.1/24 -- containers A, B, C
#
#    The remote peer streams from 51820 to the node's 53820.
#    - Container A is published: the flow goes to A, consistent.
#    - A is replaced by B (DEL A, ADD B, same mapping).  portmap's DEL
#      leaves conntrack alone (containernetworking/plugins#1190), so
#      between the two the flow still goes to A and is stale
#      (forward-removed).  portmap's ADD of B deletes the udp entries to the
#      host port (its fix for #123, PR #553), so the flow moves to B by
#      itself and ctsweep finds nothing stale.  B also talks to its own
#      published port (hairpin: portmap's mark 0x2000, then masquerade) and
#      to the remote (bridge's ipMasq chain): both consistent.
#    - The path portmap does not cover: B is deleted and nothing is added
#      with the mapping.  The peer's flow and B's hairpin are stale
#      (forward-removed), B's outgoing flow too (snat-removed).  A container
#      C that publishes nothing gets B's address (CNI_ARGS IP=, host-local's
#      requested address): bridge's ipMasq for the address is back, so B's
#      outgoing flow is consistent again, and C receives the peer's stream
#      through the stale entry.  ctsweep sweep deletes the peer's flow and
#      the hairpin, keeps the outgoing flow; the peer's new flow ends at the
#      node un-NATed and C receives nothing more.
#
# CNI_IPTABLES=legacy gives the plugins iptables-legacy instead (by PATH).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-legacy.sh"
. "$(dirname "$0")/lib-peer.sh"

FIXTURE=$TOP/tests/peers/cni-portmap-masq.nft
CNI_IPTABLES=${CNI_IPTABLES:-}	# "legacy": the plugins get iptables-legacy

FX_CTR=10.0.0.2		# the fixture's container
FX_GW=10.0.0.1
CNI_GW=10.88.0.1

NS_FX=$LAB_ID-fxnode
NS_FXR=$LAB_ID-fxremote
NS_FXC=$LAB_ID-fxctr
NS_C=$LAB_ID-c

# Part 2's flows besides the peer's stream (SEED_SEL, lib.sh): container
# B's hairpin to its own published port and B's flow to the remote.
HAIRPIN_PORT=40001
OUT_PORT=40002
OUT_DPORT=9000
HAIRPIN_SEL='.flows[] | select(.proto == "udp" and .orig.sport == 40001
	and .orig.dport == 53820)'
OUT_SEL='.flows[] | select(.proto == "udp" and .orig.sport == 40002
	and .orig.dport == 9000)'

lab_dump_extra()
{
	local f
	echo "-- ${IPT_SAVE:-iptables-save} -t nat in the node"
	in_rtr "${IPT_SAVE:-iptables-save}" -t nat 2>&1 | grep -v '^#' | head -n 60
	for f in "$CNI_DIR"/*.json; do
		[ -e "$f" ] && echo "-- $(basename "$f"): $(jq -c . "$f")"
	done
	for f in "$NS_A" "$NS_B" "$NS_C"; do
		ns_exists "$f" && echo "-- $f: rx $(rx_count "$f") anyrx" \
			"$(rx_count "$f:anyrx")," \
			"$(in_ns "$f" ip -4 -br addr show dev eth0 2>&1)"
	done
	if ns_exists "$NS_FX"; then
		echo "-- conntrack in fxnode"
		in_ns "$NS_FX" conntrack -L 2>&1 | head -n 20
		echo "-- nft ruleset in fxnode"
		in_ns "$NS_FX" nft list ruleset 2>&1 | head -n 60
	fi
}

# ------------------------------------------------------------------ helpers

# fx_ct ARGS: conntrack -L in the fixture's node.
fx_ct()
{
	in_ns "$NS_FX" conntrack -L "$@" 2>/dev/null
}

fx_established()
{
	fx_ct -p tcp --orig-port-src "$1" --orig-port-dst 8080 |
		grep -q ESTABLISHED
}

# fx_reply SPORT: "SRC SPORT DST DPORT" of the reply tuple of a flow to
# the fixture node's 8080 (tcp unless FX_PROTO).
fx_reply()
{
	fx_ct -p "${FX_PROTO:-tcp}" --orig-port-src "$1" --orig-port-dst 8080 |
		ct_reply_tuple
}

# cni_add ID NETNS PORTMAPS [CNI_ARGS]: ADD of the conflist; the final
# result is cached in $CNI_DIR/ID.json (libcni caches it for DEL).
cni_add()
{
	local id=$1 ns=$2 pm=$3 args=${4:-} f=$CNI_DIR/$1
	cni_conf 0 "" "$pm" | cni_exec ADD bridge "$id" "$ns" "$args" \
		>"$f.bridge.json" || exit 1
	cni_conf 1 "$f.bridge.json" "$pm" |
		cni_exec ADD portmap "$id" "$ns" "$args" >"$f.json" || exit 1
	jq -e --arg gw "$CNI_GW" '.ips | length == 1 and .[0].gateway == $gw' \
		"$f.json" >/dev/null ||
		fail "CNI ADD of $id: unexpected result $(cat "$f.json")"
	log "CNI ADD $id (netns $ns): $(cni_ip "$id"), port mappings $(jq -c . <<<"$pm")"
}

# cni_del ID NETNS PORTMAPS: DEL in reverse order, each plugin with the
# cached result as prevResult.
cni_del()
{
	local id=$1 ns=$2 pm=$3 f=$CNI_DIR/$1
	cni_conf 1 "$f.json" "$pm" | cni_exec DEL portmap "$id" "$ns" >/dev/null ||
		exit 1
	cni_conf 0 "$f.json" "$pm" | cni_exec DEL bridge "$id" "$ns" >/dev/null ||
		exit 1
	mv "$f.json" "$f.deleted.json"
	log "CNI DEL $id (netns $ns)"
}

# cni_ip ID: the container's address from its cached result.
cni_ip()
{
	local f=$CNI_DIR/$1.json
	[ -e "$f" ] || f=$CNI_DIR/$1.deleted.json
	jq -r '.ips[0].address | split("/")[0]' "$f"
}

# node_dnat_to ADDR:PORT: the node's nat table DNATs to it.
node_dnat_to()
{
	in_rtr "$IPT_SAVE" -t nat | grep -q -- "-j DNAT --to-destination $1\$"
}

# seed_to ADDR PORT: the peer's stream has an entry NATed to ADDR:PORT.
seed_to()
{
	[ "$(ct_seed_reply)" = "$1 $2" ]
}

# expect_verdict SEL VERDICT REASON WHAT: the flow SEL selects in the last
# ctsweep document is there once, with that verdict and reason.
expect_verdict()
{
	assert_json "[$1] | length == 1 and .[0].verdict == \"$2\"
		and .[0].reason == \"$3\" and .[0].unknown == null" \
		"$4 is $2${3:+ ($3)}"
}

# ============================================================== part 1

fixture_topology()
{
	step "part 1: fixture node, remote and container 10.0.0.2"
	new_ns "$NS_FX"
	new_ns "$NS_FXR"
	new_ns "$NS_FXC"
	require_conntrack "$NS_FX"
	require_nftables "$NS_FX"
	veth_pair "$NS_FX" wan "$NS_FXR" eth0
	veth_pair "$NS_FX" veth-fxc "$NS_FXC" eth0
	in_ns "$NS_FX" ip addr add "$WAN4/24" dev wan &&
	in_ns "$NS_FX" ip addr add "$FX_GW/24" dev veth-fxc &&
	in_ns "$NS_FXR" ip addr add "$REMOTE4/24" dev eth0 &&
	in_ns "$NS_FXC" ip addr add "$FX_CTR/24" dev eth0 &&
	in_ns "$NS_FXC" ip route add default via "$FX_GW" ||
		fail "cannot address the fixture's namespaces"
	lab_sysctl "$NS_FX" net.ipv4.ip_forward=1 ||
		fail "cannot enable forwarding in the fixture node"
	spawn SRV "$NS_FXC" socat -u TCP4-LISTEN:80,reuseaddr,fork OPEN:/dev/null
	wait_until 10 fx_listening ||
		fail "the fixture's container does not listen on 80"
}

fx_listening()
{
	in_ns "$NS_FXC" ss -Htln 'sport = :80' | grep -q .
}

fx_udp_seen()
{
	[ -n "$(FX_PROTO=udp fx_reply 43004)" ]
}

fixture_load()
{
	local out
	step "part 1: $(basename "$FIXTURE") loaded verbatim with nft -f"
	out=$(in_ns "$NS_FX" nft -f "$FIXTURE" 2>&1) ||
		fail "the fixture does not load: $out"
	in_ns "$NS_FX" nft list chain ip cni_hostport hostports 2>/dev/null |
		grep -q "tcp dport 8080 dnat to $FX_CTR:80" ||
		fail "the fixture's mapping tcp 8080 -> $FX_CTR:80 is not in the ruleset"
	log "fixture loaded: table ip cni_hostport, tcp 8080 -> $FX_CTR:80"
}

# fx_flow_json PROTO SRC SPORT: the flow's object in the last document.
fx_flow_json()
{
	echo "[.flows[] | select(.proto == \"$1\" and .orig.src == \"$2\"
		and .orig.sport == $3 and .orig.dport == 8080)]"
}

fixture_case()
{
	fixture_topology
	fixture_load

	step "part 1: remote, hairpin and node-local connections to 8080; udp to 8080"
	tcp_client FXC1 "$NS_FXR" "$WAN4" 8080 43001
	tcp_client FXC2 "$NS_FXC" "$WAN4" 8080 43002
	tcp_client FXC3 "$NS_FX" "$WAN4" 8080 43003
	start_stream FXU "$NS_FXR" "$WAN4" 8080 43004
	for s in 43001 43002 43003; do
		wait_until 10 fx_established "$s" ||
			fail "no ESTABLISHED entry for the connection from port $s: $(fx_ct -p tcp --orig-port-src "$s")"
	done
	wait_until 10 fx_udp_seen ||
		fail "no entry for the udp stream to 8080"
	[ "$(fx_reply 43001)" = "$FX_CTR 80 $REMOTE4 43001" ] ||
		fail "remote connection: reply tuple '$(fx_reply 43001)'"
	[ "$(fx_reply 43002 | cut -d' ' -f1,2,3)" = "$FX_CTR 80 $FX_GW" ] ||
		fail "hairpin connection not DNATed and masqueraded: '$(fx_reply 43002)'"
	[ "$(fx_reply 43003)" = "$FX_CTR 80 $WAN4 43003" ] ||
		fail "node-local connection: reply tuple '$(fx_reply 43003)'"
	[ "$(FX_PROTO=udp fx_reply 43004)" = "$WAN4 8080 $REMOTE4 43004" ] ||
		fail "udp to 8080 was NATed: '$(FX_PROTO=udp fx_reply 43004)'"
	log "conntrack: remote and node-local -> $FX_CTR:80, hairpin also" \
		"masqueraded to $FX_GW, udp 8080 not NATed"

	step "part 1: ctsweep status in the fixture node"
	cts_cmd "$CTSWEEP" --netns "$NS_FX" status -v --tcp --json
	case $CTS_RC in
	0 | 1) ;;
	*) fail "ctsweep status in the fixture node exited $CTS_RC (stderr: $(head -c 300 "$CTS_ERR"))" ;;
	esac
	assert_json_contract status false
	assert_json '.summary.unknown == 0' "nothing unknown under the fixture"
	assert_rc 0 "status under the fixture (nothing stale)"
	assert_json "$(fx_flow_json tcp "$REMOTE4" 43001) | length == 1
		and .[0].verdict == \"consistent\"
		and .[0].now.dnat == \"$FX_CTR:80\" and .[0].now.snat == null
		and .[0].rules.dnat == [\"$FX_CTR:80\"] and .[0].rules.snat == []
		and (.[0].rule | startswith(\"table ip cni_hostport chain hostports handle \")
		     and endswith(\" comment \\\"icee6giejonei6so\\\"\"))" \
		"remote connection: consistent, DNAT to $FX_CTR:80 by the fixture's rule"
	assert_json "$(fx_flow_json tcp "$FX_CTR" 43002) | length == 1
		and .[0].verdict == \"consistent\"
		and .[0].now.dnat == \"$FX_CTR:80\"
		and (.[0].now.snat | startswith(\"$FX_GW:\"))
		and .[0].rules.dnat == [\"$FX_CTR:80\"]
		and .[0].rules.snat == [\"$FX_GW\"]" \
		"hairpin connection: consistent, DNAT and masquerade"
	assert_json "$(fx_flow_json tcp "$WAN4" 43003) | length == 1
		and .[0].verdict == \"consistent\"
		and .[0].now.dnat == \"$FX_CTR:80\" and .[0].now.snat == null" \
		"node-local connection (output hook): consistent, DNAT"
	assert_json "$(fx_flow_json udp "$REMOTE4" 43004) | length == 1
		and .[0].verdict == \"consistent\"
		and .[0].now.dnat == null and .[0].rules.dnat == []" \
		"udp to 8080 (tcp only mapping): consistent, not NATed"
	assert_json 'all(.flows[]; .verdict == "consistent")' \
		"every flow in the fixture node is consistent"
	for p in "$FXC1" "$FXC2" "$FXC3" "$FXU"; do
		stop "$p"
	done
}

# ============================================================== part 2

cni_topology()
{
	step "part 2: node, remote; containers' netns A, B, C (empty)"
	new_ns "$NS_RTR"
	new_ns "$NS_REMOTE"
	veth_pair "$NS_RTR" wan "$NS_REMOTE" eth0
	in_rtr ip addr add "$WAN4/24" dev wan &&
	in_remote ip addr add "$REMOTE4/24" dev eth0 ||
		fail "cannot address the node's wan side"
	# Routed containers only: bridged frames must not run the ip hooks.
	lab_sysctl "$NS_RTR" net.bridge.bridge-nf-call-iptables=0
	for ns in "$NS_A" "$NS_B" "$NS_C"; do
		new_ns "$ns"
		lab_counter "$ns"
	done
	# The flows of a deleted container get no packets any more; a longer
	# udp timeout keeps their entries for the checks on a slow machine.
	lab_sysctl "$NS_RTR" net.netfilter.nf_conntrack_udp_timeout=600 ||
		fail "cannot set the udp conntrack timeout in the node"
	mkdir -p "$CNI_DIR" || fail "cannot create $CNI_DIR"
	if [ "$CNI_IPTABLES" = legacy ]; then
		# portmap and bridge run "iptables" from PATH.
		mkdir -p "$LAB_TMP/bin" &&
		ln -s "$(command -v iptables-legacy)" "$LAB_TMP/bin/iptables" &&
		ln -s "$(command -v ip6tables-legacy)" "$LAB_TMP/bin/ip6tables" ||
			fail "cannot put iptables-legacy first in PATH"
		PATH=$LAB_TMP/bin:$PATH
	fi
	case $(in_rtr iptables -V) in
	*nf_tables*)
		IPT_SAVE=iptables-nft-save
		RULE_RE_PFX='table ip nat chain'
		RULE_RE_NUM='handle [0-9]+' ;;
	*legacy*)
		IPT_SAVE=iptables-legacy-save
		RULE_RE_PFX='iptables-legacy -t nat chain'
		RULE_RE_NUM='rule [0-9]+' ;;
	*) fail "unknown iptables: $(in_rtr iptables -V)" ;;
	esac
	log "the plugins write with $(in_rtr iptables -V)"
}

cni_case()
{
	local ip_a ip_b ip_c id_a id_b id_hairpin id_out p

	require_cni
	cni_topology

	step "part 2: CNI ADD container A (bridge + portmap udp 53820 -> 51820)"
	cni_add ctr-a "$NS_A" "$PORTMAP"
	ip_a=$(cni_ip ctr-a)
	node_dnat_to "$ip_a:51820" ||
		fail "portmap wrote no DNAT to $ip_a:51820"
	log "portmap's rules ($(in_rtr iptables -V)):"
	in_rtr "$IPT_SAVE" -t nat | grep -E -- '^-A (CNI|PREROUTING|POSTROUTING|OUTPUT)' |
		sed 's/^/    | /'
	start_echo ECHO_A a "$PEER_PORT"
	start_sender SENDER
	expect_rx a 15 "stream published to A"
	wait_until 20 ct_seed_assured ||
		fail "the peer's flow never became ASSURED: $(ct_seed)"
	expect_ct_reply "$ip_a" "$PEER_PORT" "flow goes to A"
	ct_tag ipv4 udp --orig-port-src "$PEER_PORT" --orig-port-dst "$FWD_PORT"
	id_a=$(ct_seed_id)

	cts status -v --json
	assert_rc 0 "status with A published"
	assert_json_contract status false
	expect_verdict "$SEED_SEL" consistent "" "A published: the peer's flow"
	assert_json "$SEED_SEL | .now.dnat == \"$ip_a:51820\" and .now.snat == null
		and .rules.dnat == [\"$ip_a:51820\"] and .rules.snat == []
		and (.rule | test(\"^$RULE_RE_PFX CNI-DN-[0-9a-f]+ $RULE_RE_NUM$\"))" \
		"the peer's flow: DNAT to A by portmap's CNI-DN rule, no SNAT"
	assert_json '.summary.stale == 0 and .summary.unknown == 0
		and ([.flows[]] | length == 1)' "one flow, nothing stale or unknown"
	expect_seed_id "$id_a" "status"

	step "part 2: A is replaced: CNI DEL A ..."
	cni_del ctr-a "$NS_A" "$PORTMAP"
	node_dnat_to "$ip_a:51820" && fail "portmap's DNAT to A survived its DEL"
	expect_seed_id "$id_a" "DEL of A (portmap's DEL leaves conntrack alone)"
	expect_ct_reply "$ip_a" "$PEER_PORT" "after DEL of A"
	cts status -v --json
	assert_rc 1 "status between DEL A and ADD B"
	assert_json_contract status false
	expect_verdict "$SEED_SEL" stale forward-removed "between DEL A and ADD B: the peer's flow"
	assert_json "$SEED_SEL | .now.dnat == \"$ip_a:51820\" and .rules.dnat == []" \
		"the peer's flow: now A, the rules nothing"
	assert_json '.summary.unknown == 0 and .summary.stale == 1
		and ([.flows[]] | length == 1)' "one flow, stale"

	step "part 2: ... and CNI ADD container B with the same mapping"
	cni_add ctr-b "$NS_B" "$PORTMAP"
	ip_b=$(cni_ip ctr-b)
	[ "$ip_b" != "$ip_a" ] || fail "host-local gave B A's address $ip_a"
	node_dnat_to "$ip_b:51820" ||
		fail "portmap wrote no DNAT to $ip_b:51820"
	# B's echo answers the peer only, not its own hairpin traffic below.
	spawn ECHO_B b socat \
		"UDP4-DATAGRAM:$REMOTE4:$PEER_PORT,bind=:$PEER_PORT,range=$REMOTE4/32" PIPE
	# What portmap 1.1.1 does on ADD: after writing its rules it deletes
	# the udp entries whose original destination port is the host port
	# (pkg/utils DeleteConntrackEntriesForDstPort), so the flow to A is
	# gone and the next datagram takes the new rule.
	expect_seed_replaced "portmap's ADD of B"
	expect_rx b 15 "the stream moved to B without ctsweep"
	wait_until 10 seed_to "$ip_b" "$PEER_PORT" ||
		fail "the peer's flow does not go to B: $(ct_seed)"
	expect_ct_reply "$ip_b" "$PEER_PORT" "after ADD of B"
	expect_no_rx a 2 "after ADD of B (A's interface is gone)"
	wait_until 20 ct_seed_assured ||
		fail "the peer's flow to B never became ASSURED: $(ct_seed)"
	ct_tag ipv4 udp --orig-port-src "$PEER_PORT" --orig-port-dst "$FWD_PORT"
	id_b=$(ct_seed_id)

	step "part 2: B's own flows: to its published port (hairpin), to the remote"
	# Hairpin: portmap's CNI-DN chain marks it (0x2000, source in the
	# subnet) before the DNAT, CNI-HOSTPORT-MASQ masquerades marked
	# packets.  Outgoing: bridge's ipMasq chain for B masquerades it.
	start_stream HAIRPIN b "$WAN4" "$FWD_PORT" "$HAIRPIN_PORT"
	start_stream OUTB b "$REMOTE4" "$OUT_DPORT" "$OUT_PORT"
	wait_until 10 ct_flow_exists "$HAIRPIN_PORT" "$FWD_PORT" ||
		fail "no entry for B's hairpin flow"
	wait_until 10 ct_flow_exists "$OUT_PORT" "$OUT_DPORT" ||
		fail "no entry for B's outgoing flow"
	[ "$(ct_flow_reply "$HAIRPIN_PORT" "$FWD_PORT" | cut -d' ' -f1,2,3)" = \
		"$ip_b $PEER_PORT $CNI_GW" ] ||
		fail "B's hairpin flow is not DNATed to B and masqueraded: $(ct_flow "$HAIRPIN_PORT" "$FWD_PORT")"
	[ "$(ct_flow_reply "$OUT_PORT" "$OUT_DPORT" | cut -d' ' -f3)" = "$WAN4" ] ||
		fail "B's outgoing flow is not masqueraded: $(ct_flow "$OUT_PORT" "$OUT_DPORT")"
	ct_flow_tag "$HAIRPIN_PORT" "$FWD_PORT"
	ct_flow_tag "$OUT_PORT" "$OUT_DPORT"
	id_hairpin=$(ct_flow_id "$HAIRPIN_PORT" "$FWD_PORT")
	id_out=$(ct_flow_id "$OUT_PORT" "$OUT_DPORT")
	log "conntrack: hairpin $(ct_flow "$HAIRPIN_PORT" "$FWD_PORT")"
	log "conntrack: outgoing $(ct_flow "$OUT_PORT" "$OUT_DPORT")"

	cts status -v --json
	assert_rc 0 "status with B published"
	assert_json_contract status false
	assert_json '.summary.stale == 0 and .summary.unknown == 0
		and ([.flows[]] | length == 3)' \
		"three flows, nothing stale or unknown: portmap left nothing to sweep"
	expect_verdict "$SEED_SEL" consistent "" "B published: the peer's flow"
	assert_json "$SEED_SEL | .now.dnat == \"$ip_b:51820\"
		and .rules.dnat == [\"$ip_b:51820\"] and .rules.snat == []
		and (.rule | test(\"^$RULE_RE_PFX CNI-DN-[0-9a-f]+ $RULE_RE_NUM$\"))" \
		"the peer's flow: DNAT to B by portmap's rule"
	expect_verdict "$HAIRPIN_SEL" consistent "" "B published: B's hairpin flow"
	assert_json "$HAIRPIN_SEL | .now.dnat == \"$ip_b:51820\"
		and (.now.snat | startswith(\"$CNI_GW:\"))
		and .rules.dnat == [\"$ip_b:51820\"] and .rules.snat == [\"$CNI_GW\"]" \
		"B's hairpin flow: DNAT to B, masqueraded by portmap's mark"
	expect_verdict "$OUT_SEL" consistent "" "B published: B's outgoing flow"
	assert_json "$OUT_SEL | .now.dnat == null
		and (.now.snat | startswith(\"$WAN4:\"))
		and .rules.dnat == [] and .rules.snat == [\"$WAN4\"]
		and (.rule | test(\"^$RULE_RE_PFX CNI-[0-9a-f]+ $RULE_RE_NUM comment \"))" \
		"B's outgoing flow: masqueraded by bridge's ipMasq chain"
	expect_seed_id "$id_b" "status"

	step "part 2: B stops; CNI DEL B, nothing added with the mapping (portmap's gap)"
	for p in "$HAIRPIN" "$OUTB" "$ECHO_B"; do
		stop "$p"
	done
	cni_del ctr-b "$NS_B" "$PORTMAP"
	node_dnat_to "$ip_b:51820" && fail "portmap's DNAT to B survived its DEL"
	in_rtr "$IPT_SAVE" -t nat | grep -q -- '-j DNAT' &&
		fail "a DNAT rule is left: $(in_rtr "$IPT_SAVE" -t nat | grep -- '-j DNAT')"
	expect_seed_id "$id_b" "DEL of B"
	expect_flow_kept "$HAIRPIN_PORT" "$FWD_PORT" "$id_hairpin" "DEL of B"
	expect_flow_kept "$OUT_PORT" "$OUT_DPORT" "$id_out" "DEL of B"
	expect_ct_reply "$ip_b" "$PEER_PORT" "after DEL of B"
	cts status -v --json
	assert_rc 1 "status with flows of the deleted B"
	assert_json_contract status false
	assert_json '.summary.stale == 3 and .summary.unknown == 0
		and ([.flows[]] | length == 3)' "three flows, all stale"
	expect_verdict "$SEED_SEL" stale forward-removed "B deleted: the peer's flow"
	assert_json "$SEED_SEL | .now.dnat == \"$ip_b:51820\" and .rules.dnat == []
		and .rules.snat == []" "the peer's flow: now B, the rules nothing"
	expect_verdict "$HAIRPIN_SEL" stale forward-removed "B deleted: B's hairpin flow"
	assert_json "$HAIRPIN_SEL | .rules.dnat == [] and .rules.snat == []" \
		"B's hairpin flow: the rules neither DNAT nor masquerade it"
	expect_verdict "$OUT_SEL" stale snat-removed "B deleted: B's outgoing flow"
	assert_json "$OUT_SEL | .rules.dnat == [] and .rules.snat == []" \
		"B's outgoing flow: bridge's ipMasq rule for B is gone"

	step "part 2: container C, nothing published, gets B's address $ip_b"
	cni_add ctr-c "$NS_C" '[]' "IgnoreUnknown=1;IP=$ip_b"
	ip_c=$(cni_ip ctr-c)
	[ "$ip_c" = "$ip_b" ] || fail "C got $ip_c, asked for $ip_b"
	expect_seed_id "$id_b" "ADD of C (no port mappings: portmap does nothing)"
	expect_flow_kept "$HAIRPIN_PORT" "$FWD_PORT" "$id_hairpin" "ADD of C"
	expect_flow_kept "$OUT_PORT" "$OUT_DPORT" "$id_out" "ADD of C"
	# The stale entry hands the peer's stream to a container that
	# published nothing.
	expect_rx "$NS_C" 15 "C receives the peer's stream through the stale entry"
	cts status -v --json
	assert_rc 1 "status with C on B's address"
	assert_json_contract status false
	assert_json '.summary.stale == 2 and .summary.unknown == 0
		and ([.flows[]] | length == 3)' "three flows, two stale"
	expect_verdict "$SEED_SEL" stale forward-removed "C on B's address: the peer's flow"
	expect_verdict "$HAIRPIN_SEL" stale forward-removed "C on B's address: the hairpin flow"
	# Bridge's ipMasq rule for the address is back (C's): the masqueraded
	# flow from that address is what the rules do again.
	expect_verdict "$OUT_SEL" consistent "" "C on B's address: the outgoing flow"
	assert_json "$OUT_SEL | .rules.snat == [\"$WAN4\"]" \
		"the outgoing flow: masqueraded by C's ipMasq chain"

	step "part 2: ctsweep sweep"
	cts sweep --json
	assert_rc 0 "sweep"
	assert_json_contract sweep false
	assert_json "[$SEED_SEL] | length == 1 and .[0].deleted
		and .[0].reason == \"forward-removed\"" \
		"sweep deleted the peer's flow (forward-removed)"
	assert_json "[$HAIRPIN_SEL] | length == 1 and .[0].deleted" \
		"sweep deleted the hairpin flow"
	assert_json "[$OUT_SEL] | all(.deleted | not)" "sweep kept the outgoing flow"
	assert_json '.summary.deleted == 2' "sweep deleted exactly two flows"
	expect_seed_replaced "sweep"
	[ -z "$(ct_flow "$HAIRPIN_PORT" "$FWD_PORT")" ] ||
		fail "the hairpin flow is still there: $(ct_flow "$HAIRPIN_PORT" "$FWD_PORT")"
	expect_flow_kept "$OUT_PORT" "$OUT_DPORT" "$id_out" "sweep"
	inflight_pause	# datagrams already on their way to C
	expect_no_rx "$NS_C" 2 "after ctsweep sweep"
	wait_until 10 seed_to "$WAN4" "$FWD_PORT" ||
		fail "the peer's new flow is not un-NATed: $(ct_seed)"
	expect_ct_reply "$WAN4" "$FWD_PORT" "after the sweep: the stream ends at the node"

	cts status -v --json
	assert_rc 0 "status after the sweep"
	assert_json_contract status false
	assert_json '.summary.stale == 0 and .summary.unknown == 0
		and ([.flows[]] | length == 2)
		and all(.flows[]; .verdict == "consistent")' \
		"two flows, nothing stale or unknown after the sweep"
	expect_verdict "$SEED_SEL" consistent "" "after the sweep: the peer's flow"
	assert_json "$SEED_SEL | .now.dnat == null and .rules.dnat == []" \
		"the peer's flow: not NATed, by the rules too"
	expect_verdict "$OUT_SEL" consistent "" "after the sweep: the outgoing flow"

	step "part 2: CNI DEL C"
	cni_del ctr-c "$NS_C" '[]'
}

require_netns
fixture_case
cni_case
pass
