#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Docker's own published ruleset for a container with a published port:
# tests/peers/docker-iptables.rules (moby's iptablesdoc usernet-portmap,
# "docker run --network bridge1 -p 8080:80"), loaded verbatim, once with
# iptables-legacy-restore and once with iptables-nft-restore, each time in
# a fresh node.  Then tests/peers/docker-nft.nft (moby's nftablesdoc, the
# same network) with nft -f.
#
#   remote 203.0.113.10 --wan-- node 203.0.113.1
#                                |  bridge1 192.0.2.1/24 -- container 192.0.2.2 (tcp 80)
#                                |                      `-- container 192.0.2.3 (tcp 80, later)
#                                `  docker0 172.17.0.1/16 (no containers)
#
# The remote opens several long-lived TCP connections to the node's 8080
# (Docker's DNAT to 192.0.2.2:80), the container opens some to the remote's
# 9000 (Docker's MASQUERADE of 192.0.2.0/24 out of anything but bridge1).
# ctsweep judges them all consistent.  Then the container is re-created
# with the address 192.0.2.3, as Docker's iptables code does it (moby
# libnetwork/drivers/bridge/internal/iptabler): DelPorts deletes the DNAT
# (nat DOCKER, "-D") and the filter ACCEPT (filter DOCKER, "-D"),
# DelEndpoint the raw "direct access" DROP; AddEndpoint appends the raw
# DROP for the new address, AddPorts appends the DNAT ("-A") and inserts
# the ACCEPT ("-I", at the top of filter DOCKER, before the DROPs).  Every
# rule has the fixture's shape with the new address.  The remote's flows
# to 192.0.2.2 are stale (forward-changed), the container's own flows stay
# consistent (the masquerade is per subnet), nothing is unknown; ctsweep
# sweep deletes exactly the stale ones, the others keep their conntrack
# ids, and 192.0.2.2 receives nothing more from the remote.  The old
# container's namespace stays, so that can be counted.
#
# docker-nft.nft does not load on nft < 1.0.9: its output nat chain has
# "priority dstnat", which nft accepts at the output hook only since
# nftables commit 8beafab7 ("rule: allow src/dstnat prios in input and
# output", v1.0.9).  On such an nft the case checks that this is the one
# load error, prints "skipped part: ..." and passes; on a newer nft it runs
# the same scenario on Docker's nftables ruleset, the re-creation done as
# moby's nftabler does it (rule deletes and adds in one transaction).
#
# DOCKER_BACKENDS="legacy nft nftables" (default) picks the runs.
# DOCKER_NFT=FILE loads FILE instead of docker-nft.nft (to try the
# nftables run on an older nft with a copy that says "priority -100").
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-legacy.sh"
. "$(dirname "$0")/lib-peer.sh"

FIXTURE=$TOP/tests/peers/docker-iptables.rules
FIXTURE_NFT=$TOP/tests/peers/docker-nft.nft
DOCKER_NFT=${DOCKER_NFT:-$FIXTURE_NFT}
NFT_MIN=1.0.9		# first nft that takes "priority dstnat" at output
# shellcheck disable=SC2034 # read by the ct_flow* helpers of lib-legacy.sh
FLOW_PROTO=tcp

BR_GW=192.0.2.1
CTR_OLD=192.0.2.2	# the fixture's container
CTR_NEW=192.0.2.3	# the same container, re-created
D0_GW=172.17.0.1
HOST_PORT=8080
CTR_PORT=80
OUT_PORT=9000		# the remote's service the container talks to

REMOTE_SPORTS=(41001 41002 41003 41004)
CTR_SPORTS=(42001 42002)
LATE_SPORT=41101	# a remote connection after the sweep

# assert_json logs what $SEED_SEL selects when a check fails: here, the
# flows that are not consistent.
# shellcheck disable=SC2034
SEED_SEL='.flows[] | select(.verdict != "consistent")'

JQ_DEFS='
def remote: .proto == "tcp" and .orig.src == "203.0.113.10"
	and .orig.dst == "203.0.113.1" and .orig.dport == 8080;
def old_remote: remote and (.orig.sport >= 41001 and .orig.sport <= 41004);
def ctr_out: .proto == "tcp" and .orig.src == "192.0.2.2"
	and .orig.dst == "203.0.113.10" and .orig.dport == 9000;
def to(a): .reply.src == a and .reply.sport == 80;
'

lab_dump_extra()
{
	local ns
	ns_exists "$NS_RTR" || return 0
	case ${RUN:-} in
	legacy | nft)
		echo "-- iptables-$RUN-save in node"
		in_rtr "iptables-$RUN-save" 2>&1 | grep -v '^#' | head -n 80 ;;
	esac
	echo "-- tcp conntrack in node"
	ct_list -p tcp | head -n 40
	for ns in "$NS_OLD" "$NS_NEW"; do
		ns_exists "$ns" && echo "-- $ns: rx $(rx_count "$ns:rx")"
	done
}

# ------------------------------------------------------------------ the lab

# container NS HOSTIF ADDR: a container namespace on bridge1 with a TCP
# service on 80 and a counter "rx" of what it receives from the remote
# there (resets left out: the node answers a swept flow's late packets
# with one, that is not the remote's traffic reaching the container).
container()
{
	veth_ns "$1" "$2" "$3/24" "$BR_GW" bridge1 ||
		fail "cannot set up the container $3"
	rx_counter "$1" "ip saddr $REMOTE4 tcp dport $CTR_PORT tcp flags & rst == 0"
	spawn SRV "$1" socat -u "TCP4-LISTEN:$CTR_PORT,reuseaddr,fork" GOPEN:/dev/null
	wait_until 10 listening "$1" "$CTR_PORT" ||
		fail "the container $3 does not listen on $CTR_PORT"
}

topo_node()
{
	step "[$RUN] topology: node, remote, container $CTR_OLD on bridge1"
	NS_RTR=$LAB_ID-$RUN-node
	NS_REMOTE=$LAB_ID-$RUN-remote
	NS_OLD=$LAB_ID-$RUN-ctr2
	NS_NEW=$LAB_ID-$RUN-ctr3
	new_ns "$NS_RTR"
	new_ns "$NS_REMOTE"
	require_conntrack "$NS_RTR"
	wan_link || fail "cannot set up the wan"
	in_rtr ip link add bridge1 type bridge forward_delay 0 &&
	in_rtr ip addr add "$BR_GW/24" dev bridge1 &&
	in_rtr ip link set bridge1 up &&
	in_rtr ip link add docker0 type bridge forward_delay 0 &&
	in_rtr ip addr add "$D0_GW/16" dev docker0 &&
	in_rtr ip link set docker0 up ||
		fail "cannot create the bridges"
	lab_sysctl "$NS_RTR" net.ipv4.ip_forward=1 ||
		fail "cannot enable forwarding on the node"
	# Routed containers only: bridged frames must not run the ip hooks.
	lab_sysctl "$NS_RTR" net.bridge.bridge-nf-call-iptables=0
	container "$NS_OLD" veth-ctr2 "$CTR_OLD"
	spawn SRV_OUT "$NS_REMOTE" socat -u "TCP4-LISTEN:$OUT_PORT,reuseaddr,fork" \
		GOPEN:/dev/null
	wait_until 10 listening "$NS_REMOTE" "$OUT_PORT" ||
		fail "the remote does not listen on $OUT_PORT"
}

# ----------------------------------------------------------- Docker's rules

load_iptables()
{
	local out n
	step "[$RUN] the fixture, verbatim: $RESTORE <$(basename "$FIXTURE")"
	out=$(in_rtr "$RESTORE" -w <"$FIXTURE" 2>&1) ||
		fail "$RESTORE refused the fixture: $out"
	n=$(in_rtr "$SAVE" 2>/dev/null | grep -c '^-A ')
	[ "$n" = "$(grep -c '^-A ' "$FIXTURE")" ] ||
		fail "$RESTORE loaded $n rules, the fixture has $(grep -c '^-A ' "$FIXTURE")"
	dnat_only_to "$CTR_OLD"
	expect_run_backend_only
	log "$n rules (filter, nat, raw); tcp $HOST_PORT -> $CTR_OLD:$CTR_PORT"
}

# dnat_only_to ADDR: the node's one DNAT goes to ADDR:80.
dnat_only_to()
{
	local d
	if [ "$RUN" = nftables ]; then
		d=$(in_rtr nft list ruleset | grep -o 'dnat to [0-9.:]*')
		[ "$d" = "dnat to $1:$CTR_PORT" ] ||
			fail "the node's DNAT is '$d', expected to $1:$CTR_PORT"
		return
	fi
	d=$(in_rtr "$SAVE" -t nat | grep -- '-j DNAT')
	[ "$d" = "-A DOCKER ! -i bridge1 -p tcp -m tcp --dport $HOST_PORT -j DNAT --to-destination $1:$CTR_PORT" ] ||
		fail "the node's DNAT rules: '$d', expected one to $1:$CTR_PORT"
}

# recreate_iptables: the container leaves (DelPorts, DelEndpoint) and comes
# back with CTR_NEW (AddEndpoint, AddPorts), rule by rule as moby's
# iptabler does: nat DNAT and raw DROP appended/deleted
# (appendOrDelChainRule), filter ACCEPT inserted/deleted (programChainRule).
recreate_iptables()
{
	local dnat=(! -i bridge1 -p tcp -m tcp --dport "$HOST_PORT" -j DNAT)
	local acc=(! -i bridge1 -o bridge1 -p tcp -m tcp --dport "$CTR_PORT" -j ACCEPT)
	ipt_node -t nat -D DOCKER "${dnat[@]}" --to-destination "$CTR_OLD:$CTR_PORT"
	ipt_node -t filter -D DOCKER -d "$CTR_OLD/32" "${acc[@]}"
	ipt_node -t raw -D PREROUTING -d "$CTR_OLD/32" ! -i bridge1 -j DROP
	ipt_node -t raw -A PREROUTING -d "$CTR_NEW/32" ! -i bridge1 -j DROP
	ipt_node -t nat -A DOCKER "${dnat[@]}" --to-destination "$CTR_NEW:$CTR_PORT"
	ipt_node -t filter -I DOCKER -d "$CTR_NEW/32" "${acc[@]}"
	[ "$(in_rtr "$SAVE" -t filter | grep -c -- "-d $CTR_NEW/32 .*-j ACCEPT")" = 1 ] &&
	[ "$(in_rtr "$SAVE" -t filter | grep -c -- "$CTR_OLD")" = 0 ] &&
	[ "$(in_rtr "$SAVE" -t raw | grep -c -- "-d $CTR_NEW/32 ! -i bridge1 -j DROP")" = 1 ] &&
	[ "$(in_rtr "$SAVE" -t raw | grep -c -- "$CTR_OLD")" = 0 ] ||
		fail "the re-created container's rules are not in place: $(in_rtr "$SAVE" | grep -v '^#')"
}

# nft_handle CHAIN PATTERN: the handle of the one rule of CHAIN (table ip
# docker-bridges) that matches PATTERN.
nft_handle()
{
	local h
	h=$(in_rtr nft -a list chain ip docker-bridges "$1" 2>/dev/null |
		grep -F -- "$2" | sed -n 's/.* # handle \([0-9]*\)$/\1/p')
	[ -n "$h" ] && [ "$(wc -w <<<"$h")" = 1 ] ||
		fail "no single rule '$2' in chain $1: '$h'"
	echo "$h"
}

load_nftables()
{
	local out v
	step "[$RUN] $(basename "$DOCKER_NFT") with nft -f"
	v=$(in_rtr nft --version | sed -n 's/^nftables v\([0-9.]*\).*/\1/p')
	out=$(in_rtr nft -f "$DOCKER_NFT" 2>&1) && {
		log "nft $v loaded $(basename "$DOCKER_NFT")"
		dnat_only_to "$CTR_OLD"
		return 0
	}
	[ "$DOCKER_NFT" = "$FIXTURE_NFT" ] ||
		fail "nft $v refused $DOCKER_NFT: $out"
	# The one error nft < 1.0.9 has with this file, and nothing else.
	[ "$(grep -c 'Error:' <<<"$out")" = 1 ] &&
	grep -qx "$DOCKER_NFT:40:[0-9]*-[0-9]*: Error: invalid priority expression value in this context." <<<"$out" &&
	sed -n 40p "$DOCKER_NFT" | grep -qx $'\t\ttype nat hook output priority dstnat; policy accept;' ||
		fail "nft $v refused the fixture with an unexpected error: $out"
	[ -z "$(in_rtr nft list ruleset)" ] ||
		fail "the failed load left rules behind: $(in_rtr nft list ruleset)"
	if [ "$(printf '%s\n' "$v" "$NFT_MIN" | sort -V | head -n 1)" = "$NFT_MIN" ]; then
		fail "nft $v (>= $NFT_MIN) refused 'priority dstnat' at output: $out"
	fi
	log "nft $v: $(grep 'Error:' <<<"$out")"
	echo "skipped part: docker-nft.nft needs nft >= $NFT_MIN" \
		"(priority dstnat in an output nat chain, nftables commit 8beafab7);" \
		"this nft is $v"
	return 1
}

# recreate_nftables: as moby's nftabler: DelPorts (the forward accept and
# the DNAT in one transaction), DelEndpoint (the raw DROP), AddEndpoint,
# AddPorts; each rule in the fixture's form with the new address, the
# accept before the chain's "UNPUBLISHED PORT DROP".
recreate_nftables()
{
	local t='ip docker-bridges' h_acc h_dnat h_raw h_drop
	h_acc=$(nft_handle filter-forward-in__bridge1 "ip daddr $CTR_OLD tcp dport $CTR_PORT counter")
	h_dnat=$(nft_handle nat-prerouting-and-output "dnat to $CTR_OLD:$CTR_PORT")
	h_raw=$(nft_handle raw-PREROUTING "ip daddr $CTR_OLD iifname")
	nft_rtr -f - <<-EOF
	delete rule $t filter-forward-in__bridge1 handle $h_acc
	delete rule $t nat-prerouting-and-output handle $h_dnat
	EOF
	nft_rtr delete rule $t raw-PREROUTING handle "$h_raw"
	nft_rtr add rule $t raw-PREROUTING ip daddr "$CTR_NEW" iifname != '"bridge1"' \
		counter drop comment '"DROP DIRECT ACCESS"'
	h_drop=$(nft_handle filter-forward-in__bridge1 'UNPUBLISHED PORT DROP')
	nft_rtr -f - <<-EOF
	insert rule $t filter-forward-in__bridge1 position $h_drop ip daddr $CTR_NEW tcp dport $CTR_PORT counter accept
	add rule $t nat-prerouting-and-output iifname != "bridge1" tcp dport $HOST_PORT counter dnat to $CTR_NEW:$CTR_PORT comment "DNAT"
	EOF
	in_rtr nft list ruleset | grep -q "$CTR_OLD" &&
		fail "rules for $CTR_OLD are left: $(in_rtr nft list ruleset | grep "$CTR_OLD")"
	in_rtr nft list chain $t filter-forward-in__bridge1 |
		grep -E "ip daddr $CTR_NEW tcp dport $CTR_PORT counter|UNPUBLISHED PORT DROP" |
		head -n 1 | grep -q "ip daddr $CTR_NEW" ||
		fail "the accept for $CTR_NEW is not before the unpublished-port drop"
	return 0
}

# ------------------------------------------------------------------ traffic

# ---------------------------------------------------------------- the case

case_run()
{
	local s p ids_ctr ids_remote n nr=${#REMOTE_SPORTS[@]} nc=${#CTR_SPORTS[@]}
	local rule_dnat rule_masq
	RUN=$1
	CLIENTS=()
	topo_node
	case $RUN in
	legacy | nft)
		IPT=iptables-$RUN
		RESTORE=iptables-$RUN-restore
		SAVE=iptables-$RUN-save
		load_iptables ;;
	nftables)
		if ! load_nftables; then
			node_teardown
			return 0
		fi ;;
	esac
	case $RUN in
	legacy)
		rule_dnat='^iptables-legacy -t nat chain DOCKER rule 1$'
		rule_masq='^iptables-legacy -t nat chain POSTROUTING rule 1$' ;;
	nft)
		rule_dnat='^table ip nat chain DOCKER handle [0-9]+( |$)'
		rule_masq='^table ip nat chain POSTROUTING handle [0-9]+( |$)' ;;
	nftables)
		rule_dnat='^table ip docker-bridges chain nat-prerouting-and-output handle [0-9]+( |$)'
		rule_masq='^table ip docker-bridges chain nat-postrouting-out__bridge1 handle [0-9]+( |$)' ;;
	esac

	step "[$RUN] traffic: remote -> $WAN4:$HOST_PORT ($nr connections), container -> $REMOTE4:$OUT_PORT ($nc)"
	for s in "${REMOTE_SPORTS[@]}"; do
		tcp_client CONN "$NS_REMOTE" "$WAN4" "$HOST_PORT" "$s"
		CLIENTS+=("$CONN")
	done
	for s in "${CTR_SPORTS[@]}"; do
		tcp_client CONN "$NS_OLD" "$REMOTE4" "$OUT_PORT" "$s"
		CLIENTS+=("$CONN")
	done
	for s in "${REMOTE_SPORTS[@]}"; do
		wait_until 10 est "$REMOTE4" "$s" "$HOST_PORT" ||
			fail "remote connection from $s not ESTABLISHED: $(ct_list -p tcp --orig-port-src "$s")"
		[ "$(ct_flow_reply "$s" "$HOST_PORT")" = "$CTR_OLD $CTR_PORT $REMOTE4 $s" ] ||
			fail "remote connection $s is not DNATed to $CTR_OLD:$CTR_PORT only: $(ct_flow "$s" "$HOST_PORT")"
	done
	for s in "${CTR_SPORTS[@]}"; do
		wait_until 10 est "$CTR_OLD" "$s" "$OUT_PORT" ||
			fail "container connection from $s not ESTABLISHED: $(ct_list -p tcp --orig-port-src "$s")"
		[ "$(ct_flow_reply "$s" "$OUT_PORT" | cut -d' ' -f1,2,3)" = "$REMOTE4 $OUT_PORT $WAN4" ] ||
			fail "container connection $s is not masqueraded to $WAN4: $(ct_flow "$s" "$OUT_PORT")"
	done
	expect_rx "$NS_OLD:rx" 5 "the remote's connections reach $CTR_OLD"
	n=$(ct_count -p tcp)
	[ "$n" = $((nr + nc)) ] ||
		fail "expected $((nr + nc)) tcp entries in the node, found $n: $(ct_list -p tcp)"
	log "conntrack: $nr remote flows DNATed to $CTR_OLD:$CTR_PORT, $nc container flows masqueraded to $WAN4"
	ct_tag ipv4 tcp
	ids_ctr=$(ids_of tcp --orig-src "$CTR_OLD")
	ids_remote=$(ids_of tcp --orig-src "$REMOTE4")
	[ "$(wc -w <<<"$ids_ctr")" = "$nc" ] && [ "$(wc -w <<<"$ids_remote")" = "$nr" ] ||
		fail "cannot record the conntrack ids: '$ids_ctr' '$ids_remote'"

	step "[$RUN] ctsweep status: every flow consistent"
	cts status -v --tcp --json
	expect_all_consistent "status under Docker's rules"
	assert_json "([.flows[] | select(old_remote)] | length == $nr)
		and ([.flows[] | select(ctr_out)] | length == $nc)
		and ([.flows[]] | length == $((nr + nc)))" \
		"ctsweep judged each of the $((nr + nc)) flows once"
	assert_json "[.flows[] | select(old_remote)] | all(.verdict == \"consistent\"
		and .now.dnat == \"$CTR_OLD:$CTR_PORT\" and .now.snat == null
		and .rules.dnat == [\"$CTR_OLD:$CTR_PORT\"] and .rules.snat == []
		and (.rule | test(\"$rule_dnat\")))" \
		"remote flows: DNAT to $CTR_OLD:$CTR_PORT by Docker's DNAT rule, no SNAT"
	assert_json "[.flows[] | select(ctr_out)] | all(.verdict == \"consistent\"
		and .now.dnat == null and (.now.snat | startswith(\"$WAN4:\"))
		and .rules.dnat == [] and .rules.snat == [\"$WAN4\"]
		and (.rule | test(\"$rule_masq\")))" \
		"container flows: masqueraded to $WAN4 by Docker's MASQUERADE rule"

	step "[$RUN] the container is re-created with $CTR_NEW (Docker's rule deletes and adds)"
	container "$NS_NEW" veth-ctr3 "$CTR_NEW"
	"recreate_$([ "$RUN" = nftables ] && echo nftables || echo iptables)"
	dnat_only_to "$CTR_NEW"
	# The rule change alone moves nothing.
	expect_rx "$NS_OLD:rx" 5 "after the re-creation, before ctsweep"
	[ "$(ids_of tcp --orig-src "$REMOTE4")" = "$ids_remote" ] &&
	[ "$(ids_of tcp --orig-src "$CTR_OLD")" = "$ids_ctr" ] ||
		fail "the rule change alone changed conntrack entries: $(ct_list -p tcp)"

	step "[$RUN] ctsweep status: the remote's flows to $CTR_OLD are stale"
	cts status -v --tcp --json
	assert_rc 1 "status after the re-creation"
	assert_json_contract status false
	assert_json '.summary.unknown == 0' \
		"no flow unknown ($(json .summary.unknown_by_cause))"
	assert_json ".summary.stale == $nr and .summary.by_reason[\"forward-changed\"] == $nr
		and ([.flows[]] | length == $((nr + nc)))" \
		"exactly the $nr remote flows are stale (forward-changed)"
	assert_json "[.flows[] | select(old_remote)] | length == $nr
		and all(.verdict == \"stale\" and .reason == \"forward-changed\"
		and .now.dnat == \"$CTR_OLD:$CTR_PORT\"
		and .rules.dnat == [\"$CTR_NEW:$CTR_PORT\"] and .rules.snat == []
		and (.rule | test(\"$rule_dnat\")) and .deleted == false)" \
		"remote flows: now $CTR_OLD, Docker's new DNAT says $CTR_NEW"
	assert_json "[.flows[] | select(ctr_out)] | length == $nc
		and all(.verdict == \"consistent\" and .rules.snat == [\"$WAN4\"])" \
		"the container's own flows stay consistent"

	step "[$RUN] ctsweep sweep"
	cts sweep -v --tcp --json
	assert_rc 0 "sweep"
	assert_json_contract sweep false
	assert_json "[.flows[] | select(.deleted and .reason == \"forward-changed\")]
		| length == $nr and all(old_remote and to(\"$CTR_OLD\"))" \
		"sweep deleted the $nr remote flows to $CTR_OLD, no other forward"
	# An ACK of the old container's in flight when its entry went
	# re-creates the flow backwards (a mirror, masqueraded as the node's
	# port 80); sweep's settle deletes it, as part of the same move.
	assert_json "[.flows[] | select(.deleted and .reason != \"forward-changed\")]
		| all(.reason == \"forward-mirrored\" and .orig.src == \"$CTR_OLD\"
		      and .orig.sport == $CTR_PORT)" \
		"sweep deleted nothing else but mirrors of those flows"
	assert_json "[.flows[] | select(ctr_out)] | length == $nc and all(.deleted | not)" \
		"sweep kept the container's own flows"
	[ -z "$(ids_of tcp --orig-src "$REMOTE4")" ] ||
		fail "tagged remote entries survived the sweep: $(ct_list -p tcp --orig-src "$REMOTE4" --mark "$CT_TAG")"
	[ "$(ids_of tcp --orig-src "$CTR_OLD")" = "$ids_ctr" ] ||
		fail "the container's flows lost their entries: $(ct_list -p tcp --orig-src "$CTR_OLD")"
	log "the $nc container flows keep their conntrack ids and tag"
	inflight_pause	# segments already on their way to the old container
	expect_no_rx "$NS_OLD:rx" 2 "after ctsweep sweep"
	[ -z "$(ct_list -p tcp --orig-src "$REMOTE4" --reply-src "$CTR_OLD")" ] ||
		fail "conntrack still sends the remote to $CTR_OLD: $(ct_list -p tcp --orig-src "$REMOTE4" --reply-src "$CTR_OLD")"
	[ "$(ids_of tcp --orig-src "$CTR_OLD")" = "$ids_ctr" ] ||
		fail "the container's flows lost their entries after the sweep: $(ct_list -p tcp --orig-src "$CTR_OLD")"
	for s in "${!CTR_SPORTS[@]}"; do
		kill -0 "${CLIENTS[$((nr + s))]}" 2>/dev/null ||
			fail "the container's client from ${CTR_SPORTS[$s]} lost its connection"
	done
	log "$CTR_OLD receives nothing more from the remote; its own connections go on"

	step "[$RUN] a new remote connection reaches $CTR_NEW; nothing stale"
	tcp_client CONN "$NS_REMOTE" "$WAN4" "$HOST_PORT" "$LATE_SPORT"
	CLIENTS+=("$CONN")
	wait_until 10 est "$REMOTE4" "$LATE_SPORT" "$HOST_PORT" ||
		fail "the new remote connection is not ESTABLISHED: $(ct_list -p tcp --orig-port-src "$LATE_SPORT")"
	[ "$(ct_flow_reply "$LATE_SPORT" "$HOST_PORT" | cut -d' ' -f1,2)" = "$CTR_NEW $CTR_PORT" ] ||
		fail "the new remote connection does not go to $CTR_NEW: $(ct_flow "$LATE_SPORT" "$HOST_PORT")"
	cts status -v --tcp --json
	assert_rc 0 "status after the sweep"
	assert_json '.summary.unknown == 0 and .summary.stale == 0' \
		"nothing stale or unknown after the sweep"
	assert_json "[.flows[] | select(remote and .orig.sport == $LATE_SPORT)] | length == 1
		and all(.verdict == \"consistent\" and .now.dnat == \"$CTR_NEW:$CTR_PORT\"
		and (.rule | test(\"$rule_dnat\")))" \
		"the new connection: consistent, DNAT to $CTR_NEW by Docker's new rule"

	step "[$RUN] done; removing this node"
	for p in "${CLIENTS[@]}"; do
		stop "$p"
	done
	node_teardown
}

require_netns
for t in iptables-legacy-restore iptables-nft-restore nft socat conntrack jq; do
	command -v "$t" >/dev/null ||
		fail "$t not found (run 'sudo make deps')"
done
for b in ${DOCKER_BACKENDS:-legacy nft nftables}; do
	case $b in
	legacy | nft | nftables) case_run "$b" ;;
	*) fail "DOCKER_BACKENDS: unknown backend '$b' (legacy, nft, nftables)" ;;
	esac
done
pass
