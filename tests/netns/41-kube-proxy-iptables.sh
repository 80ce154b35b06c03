#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A Kubernetes node in kube-proxy's iptables mode, with kube-proxy's own
# expected ruleset (tests/peers/kube-proxy-iptables.rules, verbatim), run
# twice: loaded with iptables-legacy-restore, then with iptables-nft-restore,
# each time in a fresh node namespace.
#
#   remote 203.0.113.10 --wan-- node (203.0.113.1, node IP 192.168.0.2)
#                                |  cni0 10.180.0.1/24: pods 10.180.0.3 .4 .5 .6
#                                |  vcli 10.181.0.1/24: client pod 10.181.0.2
#
# svc4 (ClusterIP 172.30.0.44:80, external IP 192.168.99.33:80) has two
# endpoints, 10.180.0.4 and .5, picked by "-m statistic --mode random
# --probability 0.5".  The remote client's flows to the external IP are
# marked (KUBE-EXT -> KUBE-MARK-MASQ, MARK --or-mark 0x4000) and
# masqueraded in KUBE-POSTROUTING; the client pod (in 10/8) reaches the
# ClusterIP unmasqueraded.  svc5 (ClusterIP 172.30.0.45:80, NodePort 3002)
# has ClientIP affinity ("-m recent") to 10.180.0.3.  Then endpoint .5 is
# replaced by .6 the way kube-proxy's partial sync does it (one
# "iptables-restore --noflush": new KUBE-SEP chain, KUBE-SVC rewritten, old
# KUBE-SEP flushed and deleted).  The flows to .5 are stale and ctsweep
# sweep deletes exactly those; the flows to .4 and .3 keep their entries.
#
# The fixture holds only kube-proxy's own chains; the jumps from the
# built-in chains are those of iptablesJumpChains and
# iptablesKubeletJumpChains in kube-proxy's pkg/proxy/iptables/proxier.go
# (kubernetes/kubernetes 531be81208e2), each put in with EnsureRule(Prepend)
# before the restore, as kube-proxy's full sync does.  No traffic goes to
# the fixture's public addresses (1.2.3.4, 5.6.7.8).
#
# KP_BACKENDS="legacy" (or "nft") runs one backend only; default both.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-legacy.sh"
. "$(dirname "$0")/lib-peer.sh"

FIXTURE=$TOP/tests/peers/kube-proxy-iptables.rules

NODE_IP=192.168.0.2
EXT_IP=192.168.99.33	# svc4 external IP
SVC4_IP=172.30.0.44
SVC5_IP=172.30.0.45
SVC5_NODEPORT=3002
POD_GW=10.180.0.1	# the node on the pod bridge: masquerade source
EP3=10.180.0.3
EP4=10.180.0.4
EP5=10.180.0.5
EP6=10.180.0.6
CLI=10.181.0.2
CLI_GW=10.181.0.1

# KUBE-SEP chain names: "KUBE-SEP-" + base32(sha256("ns4/svc4:p80" + "tcp" +
# endpoint))[:16], as kube-proxy's servicePortEndpointChainName computes
# them (the first two are the fixture's own).
SEP4=KUBE-SEP-UKSFD7AGPMPPLUHC
SEP5=KUBE-SEP-C6EBXVWJJZMIWKLZ
SEP6=KUBE-SEP-ULL74CTELUH2BDLI
SVC4_CHAIN=KUBE-SVC-4SW47YFZTEDKD3PK

# assert_json logs what $SEED_SEL selects when a check fails: here, the
# flows that are not consistent.
# shellcheck disable=SC2034
SEED_SEL='.flows[] | select(.verdict != "consistent")'

# jq definitions of the flow groups (by original tuple).
JQ_DEFS='
def tcp80: .proto == "tcp";
def svc4_remote: tcp80 and .orig.src == "203.0.113.10" and .orig.dst == "192.168.99.33" and .orig.dport == 80;
def svc4_pod: tcp80 and .orig.src == "10.181.0.2" and .orig.dst == "172.30.0.44" and .orig.dport == 80;
def svc4: svc4_remote or svc4_pod;
def svc5_remote: tcp80 and .orig.src == "203.0.113.10" and .orig.dst == "192.168.0.2" and .orig.dport == 3002;
def svc5_pod: tcp80 and .orig.src == "10.181.0.2" and .orig.dst == "172.30.0.45" and .orig.dport == 80;
def svc5: svc5_remote or svc5_pod;
def to(ep): .reply.src == ep and .reply.sport == 80;
def masqueraded: (.now.snat // "") | startswith("10.180.0.1:");
'

# unknown_causes: why flows of the last run are unknown, by cause.
unknown_causes()
{
	json '.summary.unknown_by_cause // ([.flows[]
		| select(.verdict == "unknown") | .unknown] | unique)'
}

# ------------------------------------------------------------ the lab

ns_pod()
{
	echo "$LAB_ID-$RUN-$1"
}

# pod NAME ADDR GW BRIDGE|-: a pod namespace with eth0 on the node.
pod()
{
	local br=$4
	[ "$br" = - ] && br=
	veth_ns "$(ns_pod "$1")" "v$1" "$2/24" "$3" $br ||
		fail "cannot set up pod $1"
}

# ep_counter NS: packets the pod receives on tcp port 80 (counter "svc").
# Resets are left out: the node answers a swept flow's late packets from
# the old endpoint with one; that is not service traffic reaching the pod.
ep_counter()
{
	rx_counter "$1" "tcp dport 80 tcp flags & rst == 0" svc
}

topo_node()
{
	local ns ep
	step "[$RUN] topology: node, remote, pods ep3 ep4 ep5 ep6, client pod"
	NS_RTR=$LAB_ID-$RUN-node
	NS_REMOTE=$LAB_ID-$RUN-remote
	for ns in "$NS_RTR" "$NS_REMOTE"; do
		new_ns "$ns"
	done
	in_rtr ip link add wan type veth peer name eth0 netns "$NS_REMOTE" &&
	in_rtr ip addr add "$WAN4/24" dev wan &&
	in_rtr ip addr add "$NODE_IP/32" dev wan &&
	in_rtr ip link set wan up &&
	in_remote ip addr add "$REMOTE4/24" dev eth0 &&
	in_remote ip link set eth0 up &&
	in_remote ip route add "$EXT_IP/32" via "$WAN4" &&
	in_remote ip route add "$NODE_IP/32" via "$WAN4" ||
		fail "cannot set up the wan"
	in_rtr ip link add cni0 type bridge forward_delay 0 &&
	in_rtr ip addr add "$POD_GW/24" dev cni0 &&
	in_rtr ip link set cni0 up ||
		fail "cannot create the pod bridge"
	for ep in 3 4 5 6; do
		pod "ep$ep" "10.180.0.$ep" "$POD_GW" cni0
		ep_counter "$(ns_pod "ep$ep")"
	done
	pod cli "$CLI" "$CLI_GW" -
	in_rtr ip addr add "$CLI_GW/24" dev vcli ||
		fail "cannot address the client pod's link"
	lab_sysctl "$NS_RTR" net.ipv4.ip_forward=1 ||
		fail "cannot enable forwarding on the node"
	lab_sysctl "$NS_RTR" net.bridge.bridge-nf-call-iptables=0
	# kube-proxy sets it when it serves NodePorts on localhost (the
	# fixture's "-d 127.0.0.0/8 ... nfacct" rules).
	lab_sysctl "$NS_RTR" net.ipv4.conf.all.route_localnet=1 ||
		fail "cannot set route_localnet on the node"
	for ep in 3 4 5 6; do
		spawn "SRV$ep" "$(ns_pod "ep$ep")" \
			socat -u TCP4-LISTEN:80,reuseaddr,fork GOPEN:/dev/null
	done
}

# ------------------------------------------------------- kube-proxy's rules

# jump TABLE SRC DST COMMENT [EXTRA...]: EnsureChain(DST) and
# EnsureRule(Prepend, SRC, EXTRA... -m comment --comment COMMENT -j DST).
jump()
{
	local t=$1 src=$2 dst=$3 comment=$4 args
	shift 4
	args=("$@")
	in_rtr "$IPT" -t "$t" -n -L "$dst" >/dev/null 2>&1 ||
		ipt_node -t "$t" -N "$dst"
	[ -n "$comment" ] && args+=(-m comment --comment "$comment")
	in_rtr "$IPT" -t "$t" -C "$src" "${args[@]}" -j "$dst" 2>/dev/null ||
		ipt_node -t "$t" -I "$src" "${args[@]}" -j "$dst"
}

kube_proxy_jumps()
{
	local new=(-m conntrack --ctstate NEW)
	# iptablesJumpChains, in order
	jump filter INPUT KUBE-EXTERNAL-SERVICES \
		"kubernetes externally-visible service portals" "${new[@]}"
	jump filter FORWARD KUBE-EXTERNAL-SERVICES \
		"kubernetes externally-visible service portals" "${new[@]}"
	jump filter INPUT KUBE-NODEPORTS "kubernetes health check service ports"
	jump filter FORWARD KUBE-SERVICES "kubernetes service portals" "${new[@]}"
	jump filter OUTPUT KUBE-SERVICES "kubernetes service portals" "${new[@]}"
	jump filter FORWARD KUBE-FORWARD "kubernetes forwarding rules"
	jump filter INPUT KUBE-PROXY-FIREWALL \
		"kubernetes load balancer firewall" "${new[@]}"
	jump filter OUTPUT KUBE-PROXY-FIREWALL \
		"kubernetes load balancer firewall" "${new[@]}"
	jump filter FORWARD KUBE-PROXY-FIREWALL \
		"kubernetes load balancer firewall" "${new[@]}"
	jump nat OUTPUT KUBE-SERVICES "kubernetes service portals"
	jump nat PREROUTING KUBE-SERVICES "kubernetes service portals"
	jump nat POSTROUTING KUBE-POSTROUTING "kubernetes postrouting rules"
	# iptablesKubeletJumpChains (no comment)
	jump filter INPUT KUBE-FIREWALL ""
	jump filter OUTPUT KUBE-FIREWALL ""
}

# kube_rule_count: rules in the KUBE-* chains (what the fixture appends).
kube_rule_count()
{
	in_rtr "$SAVE" 2>/dev/null | grep -c '^-A KUBE-'
}

load_kube_proxy()
{
	local n want out
	step "[$RUN] kube-proxy's jumps, nfacct counters, then $RESTORE --noflush of the fixture"
	kube_proxy_jumps
	in_rtr nfacct add ct_state_invalid_dropped_pkts &&
	in_rtr nfacct add localhost_nps_accepted_pkts ||
		fail "cannot create the nfacct counters (package nfacct)"
	out=$(in_rtr "$RESTORE" -w --noflush --counters <"$FIXTURE" 2>&1) ||
		fail "$RESTORE refused the fixture verbatim: $out"
	want=$(grep -c '^-A KUBE-' "$FIXTURE")
	n=$(kube_rule_count)
	[ "$n" = "$want" ] ||
		fail "$RESTORE loaded $n KUBE-* rules, the fixture has $want"
	[ "$(in_rtr "$SAVE" -t nat | grep -c -- '-j KUBE-SERVICES$\|-j KUBE-POSTROUTING$')" = 3 ] ||
		fail "the nat jumps are missing: $(in_rtr "$SAVE" -t nat | grep -v '^-A KUBE')"
	log "$n KUBE-* rules from the fixture, jumps from the built-in chains in place"
	expect_run_backend_only
}

# endpoint_update: kube-proxy's partial sync after svc4's endpoint .5 is
# replaced by .6 (same shapes as the fixture): the filter table and nat's
# top-level chains are always written, svc4's chains are rewritten (its
# KUBE-EXT, KUBE-SVC and every KUBE-SEP), the old KUBE-SEP is flushed and
# deleted.  Unchanged lines are taken from the fixture.
endpoint_update()
{
	local f=$FIXTURE keep
	keep="KUBE-NODEPORTS|KUBE-SERVICES|KUBE-MARK-MASQ|KUBE-POSTROUTING"
	keep="$keep|KUBE-EXT-4SW47YFZTEDKD3PK|$SEP4"
	sed -n '/^\*filter$/,/^COMMIT$/p' "$f"
	echo '*nat'
	sed -n '/^\*nat$/,/^COMMIT$/p' "$f" | grep -E "^:($keep) "
	echo ":$SEP6 - [0:0]"
	echo ":$SVC4_CHAIN - [0:0]"
	echo ":$SEP5 - [0:0]"
	sed -n '/^\*nat$/,/^COMMIT$/p' "$f" | grep -E "^-A ($keep) "
	cat <<-EOF
	-A $SEP6 -m comment --comment ns4/svc4:p80 -s $EP6 -j KUBE-MARK-MASQ
	-A $SEP6 -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination $EP6:80
	-A $SVC4_CHAIN -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d $SVC4_IP --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
	-A $SVC4_CHAIN -m comment --comment "ns4/svc4:p80 -> $EP4:80" -m statistic --mode random --probability 0.5000000000 -j $SEP4
	-A $SVC4_CHAIN -m comment --comment "ns4/svc4:p80 -> $EP6:80" -j $SEP6
	-X $SEP5
	COMMIT
	EOF
}

# rule_re CHAINS N: a regex for ctsweep's name of rule N (from 1) of one of
# CHAINS ("A|B") in the nat table: iptables-legacy's by position,
# iptables-nft's by the rule's nftables handle.
rule_re()
{
	local c h alt=() chains
	if [ "$RUN" = legacy ]; then
		echo "^iptables-legacy -t nat chain ($1) rule $2 "
		return
	fi
	IFS='|' read -ra chains <<<"$1"
	for c in "${chains[@]}"; do
		h=$(in_rtr nft -a list chain ip nat "$c" 2>/dev/null |
			grep -v '^[[:space:]]*chain ' |
			sed -n 's/.* # handle \([0-9]*\)$/\1/p' | sed -n "${2}p")
		[ -n "$h" ] && alt+=("$c handle $h")
	done
	[ ${#alt[@]} -gt 0 ] || alt=("no rule $2 in $1")
	(IFS='|'; echo "^table ip nat chain (${alt[*]}) ")
}

# ------------------------------------------------------------- traffic

# open_conns HOST DST PORT N: HOST opens N TCP connections to DST:PORT and
# writes a line on each every 0.2 s until stopped (one bash, no fork per
# connection; writes on a reset connection fail quietly).
open_conns()
{
	local pid
	spawn pid "$1" bash -c '
		trap "" PIPE
		exec {s}<> <(:)
		fds=()
		for ((i = 0; i < $3; i++)); do
			exec {fd}<>"/dev/tcp/$1/$2" || exit 1
			fds+=("$fd")
		done
		while :; do
			for fd in "${fds[@]}"; do
				printf "x\n" >&"$fd"
			done 2>/dev/null
			read -t 0.2 -u "$s"
		done' conns "$2" "$3" "$4"
	CLIENTS+=("$pid")
}

# ct_est SRC DST DPORT [conntrack options]: established entries.
ct_est()
{
	ct_count -p tcp --state ESTABLISHED --orig-src "$1" --orig-dst "$2" \
		--orig-port-dst "$3" "${@:4}"
}

ct_est_ge()
{
	local n
	n=$(ct_est "$1" "$2" "$3")
	[ "$n" -ge "$4" ]
}

# open_until HOST SRC DST DPORT BATCH MAX EP...: open BATCH connections at
# a time, at most MAX batches, until every EP has an established flow.
# Sets OPENED to the number of connections opened.
open_until()
{
	local host=$1 src=$2 dst=$3 dport=$4 batch=$5 max=$6 b ep missing
	shift 6
	OPENED=0
	for ((b = 1; b <= max; b++)); do
		open_conns "$host" "$dst" "$dport" "$batch"
		OPENED=$((OPENED + batch))
		wait_until 15 ct_est_ge "$src" "$dst" "$dport" "$OPENED" ||
			fail "$host: only $(ct_est "$src" "$dst" "$dport") of $OPENED connections to $dst:$dport established"
		missing=""
		for ep in "$@"; do
			[ "$(ct_est "$src" "$dst" "$dport" --reply-src "$ep")" -gt 0 ] ||
				missing="$missing $ep"
		done
		[ -z "$missing" ] && break
		log "$OPENED connections $src -> $dst:$dport, none yet to$missing"
	done
	[ -z "$missing" ] ||
		fail "$OPENED connections $src -> $dst:$dport, none reached$missing"
	log "$OPENED connections $src -> $dst:$dport:$(for ep in "$@"; do
		printf ' %s' "$ep=$(ct_est "$src" "$dst" "$dport" --reply-src "$ep")"; done)"
}

ep_rx()
{
	echo "$(ns_pod "ep$1"):svc"
}

# expect_ids_kept IDS EP WHAT: every entry in IDS (conntrack ids of flows
# to EP) is still there and still carries CT_TAG.
expect_ids_kept()
{
	local id now
	now=$(ct_list -p tcp --reply-src "$2" --mark "$CT_TAG" -o id |
		sed -n 's/.* id=\([0-9]*\).*/\1/p')
	for id in $1; do
		grep -qx "$id" <<<"$now" ||
			fail "$3: the flow to $2 with conntrack id $id lost its entry"
	done
	log "$(wc -w <<<"$1") flows to $2 keep their conntrack ids and tag ($3)"
}

lab_dump_extra()
{
	local ep
	[ -n "${SAVE:-}" ] || return 0
	ns_exists "$NS_RTR" || return 0
	echo "-- $SAVE in node"
	in_rtr "$SAVE" 2>&1 | grep -v '^#' | head -n 120
	echo "-- tcp conntrack in node"
	ct_list -p tcp | head -n 60
	for ep in 3 4 5 6; do
		echo "-- ep$ep svc counter: $(rx_count "$(ep_rx "$ep")" 2>/dev/null)"
	done
}

# ---------------------------------------------------------------- the case

case_run()
{
	local n4r n5r n4p n5p n3 n5 ids4 ids3 pid out
	RUN=$1
	IPT=iptables-$RUN
	RESTORE=iptables-$RUN-restore
	SAVE=iptables-$RUN-save
	CLIENTS=()
	topo_node
	load_kube_proxy

	step "[$RUN] traffic: remote -> $EXT_IP:80, client pod -> $SVC4_IP:80 (svc4)"
	open_until remote "$REMOTE4" "$EXT_IP" 80 10 4 "$EP4" "$EP5"
	n4r=$(ct_est "$REMOTE4" "$EXT_IP" 80 --reply-src "$EP4")
	n5r=$(ct_est "$REMOTE4" "$EXT_IP" 80 --reply-src "$EP5")
	open_until "$(ns_pod cli)" "$CLI" "$SVC4_IP" 80 3 6 "$EP4" "$EP5"
	n4p=$(ct_est "$CLI" "$SVC4_IP" 80 --reply-src "$EP4")
	n5p=$(ct_est "$CLI" "$SVC4_IP" 80 --reply-src "$EP5")
	step "[$RUN] traffic: client pod -> $SVC5_IP:80, remote -> NodePort $NODE_IP:$SVC5_NODEPORT (svc5, affinity)"
	open_until "$(ns_pod cli)" "$CLI" "$SVC5_IP" 80 2 1 "$EP3"
	open_until remote "$REMOTE4" "$NODE_IP" "$SVC5_NODEPORT" 2 1 "$EP3"
	n3=$(ct_count -p tcp --reply-src "$EP3")
	[ "$n3" = 4 ] || fail "expected 4 flows to $EP3 (svc5), found $n3"
	expect_rx "$(ep_rx 3)" 5 "svc5 traffic"
	expect_rx "$(ep_rx 4)" 5 "svc4 traffic"
	expect_rx "$(ep_rx 5)" 5 "svc4 traffic"
	[ "$(ct_count -p tcp --reply-src "$EP6")" = 0 ] ||
		fail "flows reached $EP6 before any rule names it"

	step "[$RUN] the kernel's NAT: remote flows masqueraded, pod flows not"
	[ "$(ct_count -p tcp --orig-src "$REMOTE4" --reply-dst "$POD_GW")" = \
	  "$((n4r + n5r + 2))" ] ||
		fail "not every remote flow is masqueraded to $POD_GW: $(ct_list -p tcp --orig-src "$REMOTE4")"
	[ "$(ct_count -p tcp --orig-src "$CLI" --reply-dst "$CLI")" = \
	  "$((n4p + n5p + 2))" ] ||
		fail "a client pod flow is masqueraded: $(ct_list -p tcp --orig-src "$CLI")"
	log "remote: $((n4r + n5r + 2)) flows masqueraded to $POD_GW; pod: $((n4p + n5p + 2)) flows keep $CLI"

	ct_tag ipv4 tcp
	ids4=$(ct_ids -p tcp --reply-src "$EP4")
	ids3=$(ct_ids -p tcp --reply-src "$EP3")

	step "[$RUN] ctsweep status: every flow consistent"
	cts status -v --tcp --json
	expect_all_consistent "status with kube-proxy's rules"
	assert_json "([.flows[] | select(svc4_remote)] | length == $((n4r + n5r)))
		and ([.flows[] | select(svc4_pod)] | length == $((n4p + n5p)))
		and ([.flows[] | select(svc5)] | length == 4)" \
		"ctsweep judged every service flow"
	# Under the statistic fork the rule named is the branch the flow took.
	assert_json "([.flows[] | select(svc4) | select(.reply.src == \"10.180.0.4\")]
		| all(.rule | test(\"$(rule_re "$SEP4" 2)\")))
		and ([.flows[] | select(svc4)
		      | select(.reply.src == \"10.180.0.5\")]
		     | all(.rule | test(\"$(rule_re "$SEP5" 2)\")))" \
		"svc4 flows name the KUBE-SEP DNAT rule of their own endpoint"
	assert_json "[.flows[] | select(svc5)] | all(.rule
		| test(\"$(rule_re KUBE-SEP-I77PXRDZVX7PMWMN 2)\"))" \
		"svc5 flows are decided by svc5's KUBE-SEP DNAT rule"
	assert_json '[.flows[] | select(svc4)] | all(.rules.dnat
		| (any(. == "10.180.0.4:80") and any(. == "10.180.0.5:80")))' \
		"the rules may send svc4 flows to either endpoint (statistic)"
	assert_json '[.flows[] | select(svc5)] | all(.rules.dnat == ["10.180.0.3:80"])' \
		"svc5 flows go to 10.180.0.3 whichever affinity branch"
	assert_json '[.flows[] | select(svc4_remote or svc5_remote)]
		| all(masqueraded and .rules.snat == ["10.180.0.1"])' \
		"remote flows are masqueraded, and the rules say so (KUBE-MARK-MASQ)"
	assert_json '[.flows[] | select(svc4_pod or svc5_pod)]
		| all(.now.snat == null and .rules.snat == [])' \
		"client pod flows are not masqueraded, and the rules say so"

	step "[$RUN] endpoint $EP5 replaced by $EP6 (kube-proxy's partial sync)"
	endpoint_update >"$LAB_TMP/update-$RUN.rules"
	out=$(in_rtr "$RESTORE" -w --noflush --counters \
		<"$LAB_TMP/update-$RUN.rules" 2>&1) ||
		fail "$RESTORE refused the endpoint update: $out"
	in_rtr "$SAVE" -t nat | grep -q "^:$SEP5 " &&
		fail "$SEP5 still exists after the update"
	in_rtr "$SAVE" -t nat | grep -q -- "-A $SVC4_CHAIN .*-j $SEP6$" ||
		fail "$SVC4_CHAIN does not jump to $SEP6: $(in_rtr "$SAVE" -t nat | grep "$SVC4_CHAIN")"
	[ "$(kube_rule_count)" = "$(grep -c '^-A KUBE-' "$FIXTURE")" ] ||
		fail "the update changed the number of KUBE-* rules: $(kube_rule_count)"
	n5=$(ct_count -p tcp --reply-src "$EP5")
	[ "$n5" = "$((n5r + n5p))" ] ||
		fail "flows to $EP5: $n5, expected $((n5r + n5p))"
	expect_rx "$(ep_rx 5)" 5 "the rule change alone: old flows stay on $EP5"
	expect_ids_kept "$ids4" "$EP4" "the rule change alone"

	step "[$RUN] ctsweep status: the flows to $EP5 are stale"
	cts status -v --tcp --json
	assert_rc 1 "status with flows to a removed endpoint"
	assert_json_contract status false
	assert_json '.summary.unknown == 0' \
		"no flow unknown ($(unknown_causes))"
	assert_json ".summary.stale == $n5" "exactly the $n5 flows to $EP5 are stale"
	assert_json '[.flows[] | select(to("10.180.0.5"))] | all(svc4
		and .verdict == "stale" and .reason == "forward-changed"
		and .now.dnat == "10.180.0.5:80"
		and (.rules.dnat | any(. == "10.180.0.6:80") and any(. == "10.180.0.4:80")
		     and all(. != "10.180.0.5:80")))' \
		"flows to $EP5: stale (forward-changed), the rules say .4 or .6"
	assert_json "[.flows[] | select(to(\"$EP4\"))] | all(.verdict == \"consistent\"
		and (.rule | test(\"$(rule_re "$SEP4" 2)\")))" \
		"flows to $EP4 stay consistent (their KUBE-SEP chain was rewritten)"
	assert_json '[.flows[] | select(svc5)] | all(.verdict == "consistent")' \
		"svc5 flows stay consistent"
	assert_json '[.flows[] | select(.verdict == "stale")] | all(to("10.180.0.5"))' \
		"only flows to $EP5 are stale"

	step "[$RUN] ctsweep sweep"
	cts sweep -v --tcp --json
	assert_rc 0 "sweep"
	assert_json_contract sweep false
	assert_json ".summary.deleted == $n5
		and ([.flows[] | select(.deleted)] | all(to(\"10.180.0.5\")))
		and ([.flows[] | select(to(\"10.180.0.5\"))] | all(.deleted))" \
		"sweep deleted exactly the $n5 flows to $EP5"
	[ "$(ct_count -p tcp --reply-src "$EP5")" = 0 ] ||
		fail "entries to $EP5 remain: $(ct_list -p tcp --reply-src "$EP5")"
	expect_ids_kept "$ids4" "$EP4" "sweep"
	expect_ids_kept "$ids3" "$EP3" "sweep (svc5)"
	inflight_pause	# packets already on their way to .5
	expect_no_rx "$(ep_rx 5)" 2 "after the sweep"
	expect_rx "$(ep_rx 4)" 5 "after the sweep"
	expect_rx "$(ep_rx 3)" 5 "after the sweep"

	step "[$RUN] new connections reach $EP6; nothing stale"
	open_until remote "$REMOTE4" "$EXT_IP" 80 10 4 "$EP6"
	expect_rx "$(ep_rx 6)" 5 "new svc4 connections"
	cts status -v --tcp --json
	assert_rc 0 "status after the sweep"
	assert_json '.summary.unknown == 0 and .summary.stale == 0' \
		"nothing stale or unknown after the sweep"
	assert_json "[.flows[] | select(svc4_remote and to(\"$EP6\"))]
		| length > 0 and all(.verdict == \"consistent\" and masqueraded
		and .rules.snat == [\"$POD_GW\"]
		and (.rules.dnat | sort == [\"$EP4:80\", \"$EP6:80\"])
		and (.rule | test(\"$(rule_re "$SEP6" 2)\")))" \
		"flows to $EP6: consistent, masqueraded, decided by its new KUBE-SEP"

	step "[$RUN] done; removing this node"
	for pid in "${CLIENTS[@]}" "$SRV3" "$SRV4" "$SRV5" "$SRV6"; do
		stop "$pid"
	done
	node_teardown
}

require_netns
for t in iptables-legacy-restore iptables-nft-restore nfacct socat conntrack; do
	command -v "$t" >/dev/null ||
		fail "$t not found (run 'sudo make deps')"
done
for b in ${KP_BACKENDS:-legacy nft}; do
	case $b in
	legacy | nft) case_run "$b" ;;
	*) fail "KP_BACKENDS: unknown backend '$b' (legacy, nft)" ;;
	esac
done
pass
