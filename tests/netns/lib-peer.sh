# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# What the peers' cases (40-50, 61-63: another project's rules or daemon
# on a node of the lab) share.  Source it after lib.sh (or watchlib.sh),
# and after lib-legacy.sh where the case uses that too:
#
#	. "$(dirname "$0")/lib.sh"
#	. "$(dirname "$0")/lib-peer.sh"
#
# It adds: namespaces hung off the node by a veth (pods, containers), a
# long-lived TCP client and the checks on its entry, the node's iptables
# of the run (expect_run_backend_only needs lib-legacy.sh), tearing a
# run's node down between the runs of one case (one per backend), CNI
# plugins run as a runtime runs them, and the check that a peer's daemon
# left the host's own state alone.

# ------------------------------------------------------------------ the lab

# veth_pair NS_A IF_A NS_B IF_B: a veth between two namespaces, both up.
veth_pair()
{
	in_ns "$1" ip link add "$2" type veth peer name "$4" netns "$3" &&
	in_ns "$1" ip link set "$2" up &&
	in_ns "$3" ip link set "$4" up ||
		fail "cannot link $1:$2 and $3:$4"
}

# veth_ns NS HOSTIF ADDR/LEN GW [BRIDGE]: a new namespace NS whose eth0
# (ADDR/LEN, default route via GW) is the peer of HOSTIF in the node
# (on BRIDGE when given), all up.  Nonzero on failure: the caller says
# what it was setting up.
veth_ns()
{
	new_ns "$1"
	in_rtr ip link add "$2" type veth peer name eth0 netns "$1" &&
	in_ns "$1" ip addr add "$3" dev eth0 &&
	in_ns "$1" ip link set eth0 up &&
	in_rtr ip link set "$2" ${5:+master "$5"} up &&
	in_ns "$1" ip route add default via "$4"
}

# rx_counter NS MATCH [NAME]: a counter NAME (default rx, read by
# rx_count NS[:NAME]) of the packets NS receives that MATCH (nft syntax).
rx_counter()
{
	local name=${3:-rx}
	in_ns "$1" nft -f - <<-EOF || fail "cannot set up the counter in $1"
	table inet lab {
		counter $name {
		}
		chain rxcount {
			type filter hook input priority -300; policy accept;
			$2 counter name "$name"
		}
	}
	EOF
}

# listening NS PORT: something in NS listens on tcp PORT (for wait_until).
listening()
{
	in_ns "$1" ss -Htln "sport = :$2" | grep -q .
}

# node_teardown: end what runs in this run's namespaces ($LAB_ID-$RUN-*)
# and delete them, so the case's next run (another backend) starts on a
# fresh node; the EXIT trap does the same for whatever is left.
node_teardown()
{
	local ns keep=()
	for ns in "${LAB_NS[@]}"; do
		case $ns in "$LAB_ID-$RUN-"*) ;; *) keep+=("$ns"); continue ;; esac
		ns_stop "$ns"
		ip netns del "$ns" 2>/dev/null
	done
	LAB_NS=("${keep[@]}")
	# shellcheck disable=SC2034 # lib.sh reads it
	LAB_PIDS=()
}

# ipt_node ARGS...: the run's iptables ($IPT: iptables-legacy or
# iptables-nft) in the node; a rule that does not load is a broken lab.
ipt_node()
{
	in_rtr "$IPT" "$@" || fail "$IPT $* failed on the node"
}

# ------------------------------------------------------------------ traffic

# tcp_client VAR NS DST PORT SPORT [BIND]: a long-lived TCP client in NS,
# one line every 50 ms to DST:PORT from SPORT (bound to BIND when given).
# (VAR must not be "pid": spawn has a local of that name.)
tcp_client()
{
	spawn "$1" "$2" bash -c '
		exec {s}<> <(:)
		while :; do
			echo line || exit
			read -t 0.05 -u "$s"
		done | socat -u STDIN "TCP4:$1:$2,sourceport=$3$4"' tcpcli \
		"$3" "$4" "$5" "${6:+,bind=$6}"
}

# est SRC SPORT DPORT: the tcp flow is ESTABLISHED in the node.
est()
{
	ct_list -p tcp --orig-src "$1" --orig-port-src "$2" --orig-port-dst "$3" |
		grep -q ESTABLISHED
}

# ids_of PROTO [conntrack options]: ids of the tagged entries that match.
ids_of()
{
	ct_list -p "$1" --mark "$CT_TAG" "${@:2}" -o id |
		sed -n 's/.* id=\([0-9]*\).*/\1/p' | sort -n
}

# ---------------------------------------------------------------------- CNI

# The CNI network of cases 43 and 63, as a runtime would have it in
# /etc/cni/net.d: bridge cni0 (gateway, ipMasq, host-local addresses from
# $CNI_SUBNET, leases in $CNI_DIR) and portmap.  PORTMAP publishes the
# node's udp 53820 at the container's 51820.
CNI_BIN=${CNI_BIN:-/usr/lib/cni}
CNI_DIR=$LAB_TMP/cni	# host-local's leases and the cached results
CNI_NET=ctslab
CNI_SUBNET=10.88.0.0/24
CNI_CONFLIST='{
	"cniVersion": "1.0.0",
	"name": "'$CNI_NET'",
	"plugins": [
		{
			"type": "bridge",
			"bridge": "cni0",
			"isGateway": true,
			"ipMasq": true,
			"ipam": {
				"type": "host-local",
				"ranges": [[{ "subnet": "'$CNI_SUBNET'" }]],
				"routes": [{ "dst": "0.0.0.0/0" }],
				"dataDir": "'$CNI_DIR/ipam'"
			}
		},
		{
			"type": "portmap",
			"capabilities": { "portMappings": true }
		}
	]
}'
# shellcheck disable=SC2034 # the cases' cni_conf argument
PORTMAP='[{ "hostPort": 53820, "containerPort": 51820, "protocol": "udp" }]'

# require_cni: the plugins the cases run (a missing one is a broken
# machine, not a kernel without a feature: no skip).
require_cni()
{
	[ -x "$CNI_BIN/bridge" ] && [ -x "$CNI_BIN/portmap" ] &&
		[ -x "$CNI_BIN/host-local" ] ||
		fail "CNI plugins not found in $CNI_BIN (make deps-test: containernetworking-plugins)"
}

# cni_exec CMD PLUGIN CONTAINER_ID NETNS [CNI_ARGS]: one plugin ($CNI_BIN),
# its config on stdin, run in the node as a runtime runs it; its stdout
# (the result) on ours.
cni_exec()
{
	local cmd=$1 plugin=$2 id=$3 ns=$4 args=${5:-} out rc
	out=$(in_rtr env CNI_COMMAND="$cmd" CNI_CONTAINERID="$id" \
		CNI_NETNS="/var/run/netns/$ns" CNI_IFNAME=eth0 \
		CNI_PATH="$CNI_BIN" ${args:+CNI_ARGS="$args"} \
		"$CNI_BIN/$plugin" 2>>"$LAB_TMP/cni.log")
	rc=$?
	[ "$rc" = 0 ] ||
		fail "CNI $cmd $plugin for $id exited $rc: $out"
	printf '%s\n' "$out"
}

# cni_conf INDEX PREV PORTMAPS: the config libcni hands the plugin at
# INDEX of $CNI_CONFLIST: the plugin's object with the list's name and
# cniVersion, the previous result (PREV, a file; empty for the first
# plugin of an ADD) as prevResult, and runtimeConfig for the capabilities
# the plugin declares.
cni_conf()
{
	local prev='null'
	[ -n "$2" ] && prev=$(cat "$2")
	jq -c --argjson i "$1" --argjson prev "$prev" --argjson pm "$3" '
		.plugins[$i] as $p
		| $p + {cniVersion, name}
		+ (if $prev == null then {} else {prevResult: $prev} end)
		+ (if $p.capabilities.portMappings
		   then {runtimeConfig: {portMappings: $pm}} else {} end)' \
		<<<"$CNI_CONFLIST" || fail "cannot build the config of plugin $1"
}

# ------------------------------------------------------------- the host

# A peer's daemon runs in the lab's namespaces but reads and writes files
# of the host (/etc, /run) and could reach the host's rules by mistake.
# The case's host_state prints what must not change ($HOST_STATE_WHAT
# names it); host_state_save records it before the daemon starts.
host_state_save()
{
	host_state >"$LAB_TMP/host.before" ||
		fail "cannot record the host's $HOST_STATE_WHAT"
}

# expect_host_untouched WHEN: the host's state is as recorded.
expect_host_untouched()
{
	host_state >"$LAB_TMP/host.now"
	diff -u "$LAB_TMP/host.before" "$LAB_TMP/host.now" >"$LAB_TMP/host.diff" ||
		fail "$1: the host's $HOST_STATE_WHAT changed: $(head -c 1500 "$LAB_TMP/host.diff")"
	log "the host's $HOST_STATE_WHAT are unchanged ($1)"
}

# expect_run_backend_only: the node's rules are all in the run's iptables
# backend ($RUN legacy or nft): a rule ctsweep judges was read from there.
expect_run_backend_only()
{
	case $RUN in
	legacy)
		expect_no_nft_rules ;;
	nft)
		[ "$(in_rtr iptables-legacy-save 2>/dev/null | grep -c '^-A')" = 0 ] ||
			fail "the node has iptables-legacy rules, expected none"
		log "the node has no iptables-legacy rules (iptables-nft only)" ;;
	esac
}

# expect_all_consistent WHAT: the last run was "status -v --json" under the
# peer's rules: exit 0 (WHAT names the run), the document well formed,
# every flow judged consistent, none unknown (the causes in the message).
expect_all_consistent()
{
	assert_rc 0 "$1"
	assert_json_contract status false
	assert_json '.summary.unknown == 0' \
		"no flow unknown ($(json .summary.unknown_by_cause))"
	assert_json '.summary.stale == 0 and .summary.judged == .summary.consistent' \
		"every flow consistent"
}
