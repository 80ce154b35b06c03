# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Shared helpers for the network-namespace cases in tests/netns/NN-*.sh.
#
# A case sources this file, builds the standard topology and drives real
# traffic through a real ruleset, then checks where packets arrive and what
# conntrack holds.  Everything a case creates (namespaces and the processes
# inside them) lives under names unique to the case's pid and is removed by
# the EXIT trap, also on failure, timeout (SIGTERM) or Ctrl-C.
#
#        remote (203.0.113.10, 2001:db8:1::10)
#          | eth0
#          | wan  (203.0.113.1/24, 2001:db8:1::1/64)
#        rtr ---- br-lan (192.168.50.1/24, fd00:50::1/64)
#                  |  lan-a           |  lan-b
#                  | eth0             | eth0
#                  a (.2, ::2)        b (.3, ::3)
#
# Packet counting: a and b count what they receive from the remote peer in
# named nftables counters ("inet lab" table: "rx" for the seed stream from
# peer port 51820, "rx2" for a second stream from 51821, "anyrx" for all),
# so "did B receive anything in the last two seconds" is a kernel fact, not
# a parse of some receiver's output.  The echo services on a and b answer
# every datagram so the flows become ASSURED, as in the seed report.
#
# Entry identity: live flows are tagged with a ct mark (see CT_TAG), because
# a conntrack id alone cannot tell a surviving entry from a re-created one.
#
# Nothing here asserts on timing: waits poll until a condition holds or a
# generous deadline passes.  Absence checks ("B got nothing for 2 s") use a
# fixed window with traffic known to be flowing at ~200 packets/s.
#
# Run one case alone: "sudo bash tests/netns/01-seed.sh".  Environment:
#   CTSWEEP=PATH   binary under test (default build/ctsweep)
#   LAB_KEEP=1     keep $LAB_TMP (full ctsweep outputs, background logs)
#   WRITER_ROOT=DIR  write every rule with another Debian release's nft and
#                  iptables (a chroot made by tests/writers/chroot.sh; see
#                  tests/writers/run), not the host's
#   LAB_SLOW=N     a machine N times slower (an emulated kernel, see
#                  tests/kernels): every deadline and pause times N

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CTSWEEP=${CTSWEEP:-$TOP/build/ctsweep}
CASE=$(basename "$0" .sh)

# Addresses (documentation and private ranges only, see HACKING.md).
REMOTE4=203.0.113.10
REMOTE6=2001:db8:1::10
WAN4=203.0.113.1
WAN6=2001:db8:1::1
LAN4=192.168.50.1
LAN6=fd00:50::1
A4=192.168.50.2
A6=fd00:50::2
B4=192.168.50.3
B6=fd00:50::3

# The seed's ports: the peer sends from 51820 to the router's 53820, which
# first forwards to A:51820 and later to B:53820.
PEER_PORT=51820
FWD_PORT=53820

LAB_ID=cts$$
NS_RTR=$LAB_ID-rtr
NS_REMOTE=$LAB_ID-remote
NS_A=$LAB_ID-a
NS_B=$LAB_ID-b

LAB_NS=()
LAB_PIDS=()
LAB_TMP=$(mktemp -d "/tmp/$LAB_ID.XXXXXX")
# ctsweep keeps the forwards it deleted (mirror candidates) in a file per
# namespace; the lab's go with the lab, not to the host's /run/ctsweep.
export RUNTIME_DIRECTORY=$LAB_TMP/run
LAB_T0=$EPOCHREALTIME
LAB_VERBOSE=${LAB_VERBOSE:-1}
LAB_SLOW=${LAB_SLOW:-1}
CTS_N=0
CTS_RC=
CTS_OUT=/dev/null
CTS_ERR=/dev/null

# The seed flow in ctsweep's JSON, for either family.
# shellcheck disable=SC2034 # used by the cases
SEED_SEL='.flows[] | select(.proto == "udp" and .orig.sport == 51820 and .orig.dport == 53820)'

# ------------------------------------------------------------------ writer

# With WRITER_ROOT, every nft, iptables* and ip6tables* a case runs, in any
# namespace and through any helper, is the chroot's: wrappers of that name
# come first in PATH (ip netns exec finds them there too) and run the
# chroot's binary through tests/writers/exec.sh.  conntrack, ip and the
# peers' own programs stay the host's: only what writes rules changes.
writer_setup()
{
	local bin=$LAB_TMP/writer-bin f name

	[ -n "${WRITER_ROOT:-}" ] || return 0
	[ -f "$WRITER_ROOT/.ctsweep-complete" ] || {
		echo "lib.sh: WRITER_ROOT=$WRITER_ROOT is no finished chroot" \
			"(tests/writers/chroot.sh makes one)" >&2
		exit 2
	}
	mkdir -p "$bin" || exit 2
	for f in "$WRITER_ROOT"/usr/sbin/nft "$WRITER_ROOT"/usr/sbin/ip*tables* \
		 "$WRITER_ROOT"/usr/sbin/xtables-*; do
		[ -e "$f" ] || [ -L "$f" ] || continue
		name=${f##*/}
		printf '#!/bin/sh\nexec %q %q %q "$@"\n' \
			"$TOP/tests/writers/exec.sh" "$WRITER_ROOT" "$name" \
			>"$bin/$name" && chmod 755 "$bin/$name" || exit 2
	done
	PATH=$bin:$PATH
	export PATH
}

# writer_nft_version: the writing nft's version as a number (1.1.3 is
# 10103), for the few things an older nft cannot write at all.
writer_nft_version()
{
	nft --version | sed -n 's/^nftables v\([0-9]*\)\.\([0-9]*\)\.\([0-9]*\).*/\1 \2 \3/p' |
		{ read -r a b c; echo $((a * 10000 + b * 100 + c)); }
}

writer_setup

# ---------------------------------------------------------------- reporting

log()
{
	local t
	t=$(awk -v a="$LAB_T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%5.1f", b - a }')
	if [ "$LAB_VERBOSE" = 1 ]; then
		printf '[%s] %s\n' "$t" "$*"
	else
		printf '[%s] %s\n' "$t" "$*" >>"$LAB_TMP/lab.log"
	fi
}

step()
{
	log "== $*"
}

lab_dump()
{
	local ns
	echo "---- diagnostics ($CASE)"
	for ns in "${LAB_NS[@]}"; do
		[ "$ns" = "$NS_RTR" ] || continue
		echo "-- conntrack in rtr: seed flow (ipv4, ipv6)"
		ip netns exec "$ns" conntrack -L -f ipv4 -p udp \
			--orig-port-dst "$FWD_PORT" 2>/dev/null
		ip netns exec "$ns" conntrack -L -f ipv6 -p udp \
			--orig-port-dst "$FWD_PORT" 2>/dev/null
		echo "-- conntrack in rtr: first 20 of" \
			"$(ip netns exec "$ns" conntrack -C 2>/dev/null) entries"
		{ ip netns exec "$ns" conntrack -L -f ipv4 2>/dev/null
		  ip netns exec "$ns" conntrack -L -f ipv6 2>/dev/null; } |
			head -n 20
		echo "-- nft ruleset in rtr"
		ip netns exec "$ns" nft list ruleset 2>&1 | head -n 120
	done
	for ns in a b; do
		ns_exists "$(host_ns "$ns")" &&
			echo "-- counters at $ns: rx $(rx_count "$ns" 2>/dev/null)" \
				"rx2 $(rx_count "$ns:rx2" 2>/dev/null)" \
				"anyrx $(rx_count "$ns:anyrx" 2>/dev/null)"
	done
	if [ "$CTS_N" -gt 0 ]; then
		echo "-- last ctsweep run exited $CTS_RC; stdout:"
		head -n 40 "$CTS_OUT" | cut -c1-1000
		echo "-- stderr:"
		head -n 20 "$CTS_ERR"
	fi
	echo "---- end of diagnostics"
}

# fail MESSAGE: the case failed; say where and why, dump state, clean up.
fail()
{
	local i where=""
	for ((i = 1; i < ${#BASH_LINENO[@]}; i++)); do
		[ "${BASH_SOURCE[$i]##*/}" = lib.sh ] && continue
		where="${BASH_SOURCE[$i]##*/}:${BASH_LINENO[$((i - 1))]}"
		break
	done
	log "FAIL: $CASE: $* ($where)"
	lab_dump
	exit 1
}

# skip REASON: only for a kernel feature that is really missing.
skip()
{
	echo "SKIP: $*"
	exit 77
}

pass()
{
	log "PASS: $CASE"
	exit 0
}

# inflight_pause: let packets already on their way arrive (0.3 s).
inflight_pause()
{
	sleep "$(awk -v n="$LAB_SLOW" 'BEGIN { print 0.3 * n }')"
}

# ------------------------------------------------------------ housekeeping

ns_exists()
{
	[ -n "$1" ] && [ -e "/run/netns/$1" ]
}

# ns_stop NS: end what runs in NS, TERM then (after 2 s) KILL.  Anything
# running inside the lab's namespaces was started by the case (they did
# not exist before it), so it is ended by pid.
ns_stop()
{
	local pids n
	pids=$(ip netns pids "$1" 2>/dev/null)
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086
	kill -TERM $pids 2>/dev/null
	for ((n = 0; n < 20; n++)); do
		pids=$(ip netns pids "$1" 2>/dev/null)
		[ -n "$pids" ] || return 0
		sleep 0.1
	done
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null
}

lab_cleanup()
{
	local rc=$? pid ns
	trap - EXIT INT TERM HUP
	# Bash may run the EXIT trap in a subshell too (seen with an
	# asynchronous { ...; } & group); only the case's own shell cleans up.
	[ "$BASHPID" = "$$" ] || exit "$rc"
	for pid in "${LAB_PIDS[@]}"; do
		kill -TERM -- "-$pid" 2>/dev/null
		kill -TERM "$pid" 2>/dev/null
	done
	for ns in "${LAB_NS[@]}"; do
		ns_stop "$ns"
	done
	for ns in "${LAB_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "${LAB_KEEP:-}" ]; then
		echo "kept $LAB_TMP"
	else
		rm -rf "$LAB_TMP"
	fi
	exit "$rc"
}

trap lab_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

require_root()
{
	[ "$(id -u)" = 0 ] ||
		fail "network namespace cases need root (try: sudo tests/run netns)"
}

ns_add()
{
	ip netns add "$1" || fail "cannot create network namespace $1"
	LAB_NS+=("$1")
}

# new_ns NS: a namespace of the lab with its loopback up.
new_ns()
{
	ns_add "$1"
	in_ns "$1" ip link set lo up || fail "cannot set lo up in $1"
}

host_ns()
{
	case $1 in
	rtr) echo "$NS_RTR" ;;
	remote) echo "$NS_REMOTE" ;;
	a) echo "$NS_A" ;;
	b) echo "$NS_B" ;;
	*) echo "$1" ;;
	esac
}

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
in_rtr() { ip netns exec "$NS_RTR" "$@"; }
in_remote() { ip netns exec "$NS_REMOTE" "$@"; }
in_a() { ip netns exec "$NS_A" "$@"; }
in_b() { ip netns exec "$NS_B" "$@"; }
in_host() { local h; h=$(host_ns "$1"); shift; ip netns exec "$h" "$@"; }

# nft_rtr ARGS...: nft in the router; the ruleset text may come on stdin
# ("nft_rtr -f -").  Failing to load a ruleset is a broken lab, not a pass.
nft_rtr()
{
	in_rtr nft "$@" || fail "nft $* failed in the router"
}

# spawn VAR HOST CMD...: run CMD in HOST's namespace in the background, in
# its own process group (so a pipeline can be stopped as a whole); store
# the pid (= process group id) in VAR.
spawn()
{
	# Names no caller uses: printf -v sets the innermost variable of the
	# name, which a local here called "pid" would be.
	local __spawn_var=$1 __spawn_ns __spawn_pid
	__spawn_ns=$(host_ns "$2")
	shift 2
	setsid ip netns exec "$__spawn_ns" "$@" </dev/null \
		>>"$LAB_TMP/bg.log" 2>&1 &
	__spawn_pid=$!
	LAB_PIDS+=("$__spawn_pid")
	printf -v "$__spawn_var" %s "$__spawn_pid"
}

# stop PID: end a process group started by spawn (SIGTERM, then SIGKILL
# after 3 s), and reap it.  No helper subshell: see lab_cleanup.
stop()
{
	local n st
	kill -TERM -- "-$1" 2>/dev/null || kill -TERM "$1" 2>/dev/null
	for ((n = 0; n < 30; n++)); do
		st=$(ps -o stat= -p "$1" 2>/dev/null)
		case $st in "" | Z*) break ;; esac
		sleep 0.1
	done
	kill -KILL -- "-$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# wait_until TIMEOUT CMD...: poll CMD every 0.2 s until it succeeds or
# TIMEOUT seconds (times LAB_SLOW) pass (return 1 then).
wait_until()
{
	local deadline=$((SECONDS + $1 * LAB_SLOW))
	shift
	while :; do
		"$@" && return 0
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.2
	done
}

# ------------------------------------------------------------------ topology

lab_sysctl()
{
	in_ns "$1" sysctl -qw "$2" >/dev/null 2>&1
}

# require_netns: root, and a kernel with network namespaces (else skip).
require_netns()
{
	require_root
	unshare --net true 2>/dev/null ||
		skip "kernel without network namespaces"
}

# require_nftables NS: skip on a kernel without nf_tables (asked in NS,
# a namespace of the lab, which loads the module if it can).
require_nftables()
{
	in_ns "$1" nft add table inet ctsprobe 2>/dev/null ||
		skip "kernel without nf_tables"
	in_ns "$1" nft delete table inet ctsprobe
}

# require_conntrack NS: skip on a kernel without connection tracking (the
# peers' cases ask before they load rules; topo_standard asks ctnetlink).
require_conntrack()
{
	[ -e /proc/sys/net/netfilter/nf_conntrack_max ] ||
		in_ns "$1" test -e /proc/sys/net/netfilter/nf_conntrack_max ||
		skip "kernel without connection tracking (nf_conntrack)"
}

# wan_link: the IPv4 wan of the peers' nodes: "wan" in the node ($NS_RTR,
# $WAN4/24) to eth0 in the remote ($REMOTE4/24), both up.  Returns
# nonzero on failure, so a caller chains its own steps and says what failed.
wan_link()
{
	in_rtr ip link add wan type veth peer name eth0 netns "$NS_REMOTE" &&
	in_rtr ip addr add "$WAN4/24" dev wan &&
	in_rtr ip link set wan up &&
	in_remote ip addr add "$REMOTE4/24" dev eth0 &&
	in_remote ip link set eth0 up
}

# The router's base firewall: stateful filter (so conntrack is active even
# when no nat rule exists) and masquerading of the lan out of wan.
fw_base_filter()
{
	nft_rtr -f - <<-'EOF'
	table inet filter {
		chain input {
			type filter hook input priority filter; policy drop;
			iif "lo" accept
			ct state established,related accept
			ct state invalid drop
			meta l4proto { icmp, ipv6-icmp } accept
			iifname "br-lan" accept
		}
		chain forward {
			type filter hook forward priority filter; policy drop;
			ct state established,related accept
			ct status dnat accept
			iifname "br-lan" oifname "wan" accept
			meta l4proto ipv6-icmp accept
		}
		chain output {
			type filter hook output priority filter; policy accept;
		}
	}
	EOF
}

fw_base_nat_nft()
{
	nft_rtr -f - <<-'EOF'
	table ip nat {
		chain prerouting {
			type nat hook prerouting priority dstnat; policy accept;
		}
		chain postrouting {
			type nat hook postrouting priority srcnat; policy accept;
			oifname "wan" masquerade
		}
	}
	EOF
}

fw_base_nat_iptables_nft()
{
	in_rtr iptables-nft -t nat -A POSTROUTING -o wan -j MASQUERADE ||
		fail "iptables-nft masquerade rule failed"
}

# Counters of what a host receives from the remote peer: "rx" counts the
# datagrams of the seed stream (peer port 51820), "rx2" those of a second
# stream (peer port 51821), "anyrx" every UDP/TCP packet from the peer.
lab_counter()
{
	in_ns "$1" nft -f - <<-EOF || fail "cannot set up the rx counters in $1"
	table inet lab {
		counter rx {
		}
		counter rx2 {
		}
		counter anyrx {
		}
		chain rxcount {
			type filter hook input priority -300; policy accept;
			ip saddr $REMOTE4 udp sport $PEER_PORT counter name "rx"
			ip6 saddr $REMOTE6 udp sport $PEER_PORT counter name "rx"
			ip saddr $REMOTE4 udp sport $((PEER_PORT + 1)) counter name "rx2"
			ip6 saddr $REMOTE6 udp sport $((PEER_PORT + 1)) counter name "rx2"
			ip saddr $REMOTE4 meta l4proto { udp, tcp } counter name "anyrx"
			ip6 saddr $REMOTE6 meta l4proto { udp, tcp } counter name "anyrx"
		}
	}
	EOF
}

# topo_standard [--fw nft|iptables-nft|none]
#   nft:          inet filter + "table ip nat" with prerouting (empty) and
#                 postrouting masquerade; cases add their dnat rules to it.
#   iptables-nft: inet filter + MASQUERADE in iptables-nft's nat table.
#   none:         no rules at all (the case loads its own, e.g. fw4).
topo_standard()
{
	local fw=nft ns
	while [ $# -gt 0 ]; do
		case $1 in
		--fw) fw=$2; shift 2 ;;
		*) fail "topo_standard: unknown argument $1" ;;
		esac
	done
	require_netns
	step "topology: rtr, remote, a, b (firewall: $fw)"
	for ns in "$NS_RTR" "$NS_REMOTE" "$NS_A" "$NS_B"; do
		ns_add "$ns"
		# No duplicate address detection: addresses usable at once.
		lab_sysctl "$ns" net.ipv6.conf.all.accept_dad=0
		lab_sysctl "$ns" net.ipv6.conf.default.accept_dad=0
		in_ns "$ns" ip link set lo up
	done
	# A freshly booted kernel may not have loaded nf_conntrack yet: load
	# it, then ask ctnetlink (which loads itself on first use) whether
	# there is connection tracking at all.
	modprobe -q nf_conntrack 2>/dev/null
	in_rtr conntrack -C >/dev/null 2>&1 ||
		skip "kernel without connection tracking (nf_conntrack, nf_conntrack_netlink)"
	require_nftables "$NS_RTR"

	in_rtr ip link add wan type veth peer name eth0 netns "$NS_REMOTE" &&
	in_rtr ip link add br-lan type bridge forward_delay 0 &&
	in_rtr ip link add lan-a type veth peer name eth0 netns "$NS_A" &&
	in_rtr ip link add lan-b type veth peer name eth0 netns "$NS_B" &&
	in_rtr ip link set lan-a master br-lan &&
	in_rtr ip link set lan-b master br-lan ||
		fail "cannot create the links"

	in_rtr ip addr add "$WAN4/24" dev wan &&
	in_rtr ip addr add "$WAN6/64" dev wan nodad &&
	in_rtr ip addr add "$LAN4/24" dev br-lan &&
	in_rtr ip addr add "$LAN6/64" dev br-lan nodad &&
	in_remote ip addr add "$REMOTE4/24" dev eth0 &&
	in_remote ip addr add "$REMOTE6/64" dev eth0 nodad &&
	in_a ip addr add "$A4/24" dev eth0 &&
	in_a ip addr add "$A6/64" dev eth0 nodad &&
	in_b ip addr add "$B4/24" dev eth0 &&
	in_b ip addr add "$B6/64" dev eth0 nodad ||
		fail "cannot add addresses"

	for ns in wan br-lan lan-a lan-b; do
		in_rtr ip link set "$ns" up || fail "cannot set $ns up"
	done
	for ns in "$NS_REMOTE" "$NS_A" "$NS_B"; do
		in_ns "$ns" ip link set eth0 up || fail "cannot set eth0 up in $ns"
	done
	for ns in "$NS_A" "$NS_B"; do
		in_ns "$ns" ip route add default via "$LAN4" &&
		in_ns "$ns" ip -6 route add default via "$LAN6" ||
			fail "cannot add default routes in $ns"
	done

	lab_sysctl "$NS_RTR" net.ipv4.ip_forward=1 &&
	lab_sysctl "$NS_RTR" net.ipv6.conf.all.forwarding=1 ||
		fail "cannot enable forwarding in the router"
	# br_netfilter is loaded on many hosts and would run the ip hooks on
	# bridged frames too; a home router (OpenWrt) does not do that.
	lab_sysctl "$NS_RTR" net.bridge.bridge-nf-call-iptables=0
	lab_sysctl "$NS_RTR" net.bridge.bridge-nf-call-ip6tables=0

	lab_counter "$NS_A"
	lab_counter "$NS_B"

	case $fw in
	nft) fw_base_filter; fw_base_nat_nft ;;
	iptables-nft) fw_base_filter; fw_base_nat_iptables_nft ;;
	none) ;;
	*) fail "topo_standard: unknown firewall $fw" ;;
	esac
}

# ------------------------------------------------------------------ traffic

# start_echo VAR HOST PORT [4|6] [BIND_ADDR]: a UDP service on HOST:PORT that
# answers every datagram to the remote peer's port 51820 (one process, no
# fork per peer, never exits on ICMP errors).
start_echo()
{
	local var=$1 host=$2 port=$3 fam=${4:-4} bind=${5:-} peer
	if [ "$fam" = 6 ]; then
		peer="[$REMOTE6]"
		[ -n "$bind" ] && bind="[$bind]"
	else
		peer=$REMOTE4
	fi
	spawn "$var" "$host" socat "UDP$fam-DATAGRAM:$peer:$PEER_PORT,bind=$bind:$port" PIPE
}

# start_stream VAR HOST DST DPORT SPORT [4|6 [INTERVAL]]: HOST sends a
# datagram every INTERVAL seconds (default 0.005, ~200/s) from SPORT to
# DST:DPORT, one flow.  A bash loop with a fork-free sleep feeds one socat;
# the socket is not connected, so ICMP errors from the far side never
# stop it.
start_stream()
{
	local var=$1 host=$2 dst=$3 dport=$4 sport=$5 fam=${6:-4}
	local every=${7:-0.005}
	[ "$fam" = 6 ] && dst="[$dst]"
	spawn "$var" "$host" bash -c '
		exec {s}<> <(:)
		while :; do
			echo ping || exit
			read -t "$2" -u "$s"
		done | socat -u STDIN "$1"' stream \
		"UDP$fam-SENDTO:$dst:$dport,sourceport=$sport" "$every"
}

# start_sender VAR [-6] [DPORT [SPORT]]: the remote peer's stream (one
# flow, ~200 datagrams/s) to the router's wan address.
start_sender()
{
	local var=$1 fam=4 dst=$WAN4
	shift
	if [ "${1:-}" = -6 ]; then
		fam=6
		dst=$WAN6
		shift
	fi
	start_stream "$var" remote "$dst" "${1:-$FWD_PORT}" "${2:-$PEER_PORT}" "$fam"
}

# udp_burst HOST DST DPORT COUNT: COUNT new flows from HOST to DST:DPORT,
# one datagram each.  Bash's /dev/udp opens a socket per redirection; the
# sockets stay open until all are sent, so every flow has its own source
# port.  No fork per flow: 5,000 flows take well under a second.
udp_burst()
{
	in_host "$1" bash -c '
		ulimit -n $(($3 + 100)) || exit 1
		for ((i = 0; i < $3; i++)); do
			exec {fd}>"/dev/udp/$1/$2" || exit 1
			printf x >&"$fd" || exit 1
		done' burst "$2" "$3" "$4" ||
		fail "cannot send $4 flows from $1 to $2 port $3"
}

# rx_count HOST[:COUNTER]: packets counted at HOST (a or b), counter "rx"
# (the seed stream) unless named, e.g. "b:rx2".
# A note for the cases that switch a forward back to A within seconds
# (they count A's arrivals with "a:anyrx"): when the flow to A is deleted,
# A's answer to a packet that reached it just before may arrive after the
# delete and start an outbound flow A:51820 -> peer:51820.  It is left
# alone (it carries nothing of the peer's), but it holds A's tuple for
# its 30 s, and the kernel gives the next flow to A another reply port:
# A then sees the stream from another source port, which "rx" (sport
# 51820) does not count.
rx_count()
{
	local host=${1%%:*} counter=rx
	case $1 in *:*) counter=${1#*:} ;; esac
	in_host "$host" nft list counter inet lab "$counter" 2>/dev/null |
		awk '/packets/ { print $2; exit }'
}

rx_gt()
{
	local n
	n=$(rx_count "$1")
	[ -n "$n" ] && [ "$n" -gt "$2" ]
}

# rx_delta HOST SECONDS: packets HOST received from the peer in the window.
rx_delta()
{
	local a b
	a=$(rx_count "$1")
	sleep "$2"
	b=$(rx_count "$1")
	echo $((b - a))
}

# expect_rx HOST TIMEOUT WHAT: HOST receives something new before TIMEOUT.
expect_rx()
{
	local mark
	mark=$(rx_count "$1")
	[ -n "$mark" ] || fail "no rx counter at $1"
	wait_until "$2" rx_gt "$1" "$mark" ||
		fail "$3: $1 received nothing within $2 s (counter stays $mark)"
	log "$1 receives packets ($3)"
}

# expect_no_rx HOST SECONDS WHAT: HOST receives nothing during the window.
expect_no_rx()
{
	local d
	d=$(rx_delta "$1" "$2")
	[ "$d" = 0 ] ||
		fail "$3: $1 received $d packets in $2 s, expected none"
	log "$1 received 0 packets in $2 s ($3)"
}

# ---------------------------------------------------------------- conntrack

# ct_list [conntrack filter options]: the router's table (IPv4 unless -f).
ct_list()
{
	in_rtr conntrack -L "$@" 2>/dev/null
}

ct_count()
{
	ct_list "$@" | grep -c .
}

# ct_ids [options]: sorted conntrack ids of matching entries.
ct_ids()
{
	ct_list "$@" -o id | sed -n 's/.* id=\([0-9]*\).*/\1/p' | sort -n
}

# ids_gone BEFORE AFTER: the ids (one a line) in BEFORE that AFTER has not.
# comm wants both sides in sort's order, not in ct_ids' numeric one: a
# list sorted -n fed to comm makes it report ids that are still there.
ids_gone()
{
	comm -23 <(sort <<<"$1") <(sort <<<"$2") | grep .
}

# ct_seed [-6] [conntrack options]: the seed flow (peer:51820 ->
# router:53820).
ct_seed()
{
	local fam=ipv4
	if [ "${1:-}" = -6 ]; then fam=ipv6; shift; fi
	ct_list -f "$fam" -p udp --orig-port-src "$PEER_PORT" \
		--orig-port-dst "$FWD_PORT" "$@"
}

# ct_reply_tuple: "SRC SPORT DST DPORT" of the reply tuple of the first
# entry conntrack -L prints on stdin (the fields after the second src=).
ct_reply_tuple()
{
	awk '{
		n = 0
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^src=/) n++
			if (n == 2 && $i ~ /^src=/) s = substr($i, 5)
			if (n == 2 && $i ~ /^dst=/ && d == "") d = substr($i, 5)
			if (n == 2 && $i ~ /^sport=/ && sp == "") sp = substr($i, 7)
			if (n == 2 && $i ~ /^dport=/ && dp == "") dp = substr($i, 7)
		}
		print s, sp, d, dp; exit }'
}

# ct_seed_reply [-6]: "ADDR PORT" of the reply tuple's source, i.e. where
# the router sends the flow's packets.
ct_seed_reply()
{
	ct_seed "$@" | ct_reply_tuple | cut -d' ' -f1,2
}

ct_seed_assured()
{
	ct_seed "$@" | grep -q ASSURED
}

# Entry identity.  A conntrack id is not enough to tell "the same entry"
# from "deleted and re-created by the next packet": the kernel derives the
# id from the entry's address and original tuple, and a re-created entry
# often reuses both (seen here).  So live flows are also tagged with a ct
# mark; a re-created entry starts with mark 0.  No rule in the lab looks at
# marks.
CT_TAG=24301	# 0x5eed; conntrack -L prints marks in decimal

# ct_seed_id [-6]: conntrack id of the seed flow (empty if there is none).
ct_seed_id()
{
	ct_seed "$@" -o id | sed -n 's/.* id=\([0-9]*\).*/\1/p' | head -n 1
}

# ct_tag FAMILY PROTO [conntrack filter]: tag matching entries.
ct_tag()
{
	local fam=$1 proto=$2
	shift 2
	in_rtr conntrack -U -f "$fam" -p "$proto" "$@" -m "$CT_TAG" \
		>/dev/null 2>&1 || fail "cannot tag $proto flows $* with a ct mark"
}

ct_seed_tagged()
{
	ct_seed "$@" | grep -q " mark=$CT_TAG "
}

# expect_seed_id [-6] ID WHAT: the seed flow is still the same entry.
expect_seed_id()
{
	local ff="" got
	if [ "$1" = -6 ]; then ff=-6; shift; fi
	[ -n "$1" ] || fail "$2: no conntrack id recorded for the seed flow"
	got=$(ct_seed_id $ff)
	[ "$got" = "$1" ] && ct_seed_tagged $ff ||
		fail "$2: seed flow was deleted (now id '$got', was $1; entry: $(ct_seed $ff))"
}

# expect_seed_replaced [-6] WHAT: the seed flow's entry is a new one.
expect_seed_replaced()
{
	local ff=""
	if [ "$1" = -6 ]; then ff=-6; shift; fi
	ct_seed_tagged $ff &&
		fail "$1: the seed flow still has its old entry: $(ct_seed $ff)"
	log "the seed flow has a new conntrack entry ($1)"
}

# expect_ct_reply [-6] ADDR PORT WHAT
expect_ct_reply()
{
	local fam="" got
	if [ "$1" = -6 ]; then fam=-6; shift; fi
	got=$(ct_seed_reply $fam)
	[ "$got" = "$1 $2" ] ||
		fail "$3: conntrack reply source is '$got', expected '$1 $2'"
	log "conntrack: reply from $1 port $2 ($3)"
}

# ------------------------------------------------------------ scenario bits

# forward_rules ADDR:PORT: the transaction that points the forward on the
# wan's 53820 there (the only rule in prerouting).
forward_rules()
{
	printf '%s\n' "flush chain ip nat prerouting" \
		"add rule ip nat prerouting iifname \"wan\" udp dport 53820 dnat to $1"
}

# forward_to ADDR:PORT: load forward_rules ADDR:PORT (one transaction).
forward_to()
{
	nft_rtr -f - <<<"$(forward_rules "$1")"
}

# seed_stale: the seed report in short, for the cases about something
# else: the forward to A:51820 (on any interface, as the report has it),
# the stream (seed_traffic), then the forward switched to B:53820 in one
# transaction, which leaves the seed flow stale on A.
seed_stale()
{
	nft_rtr add rule ip nat prerouting udp dport 53820 dnat to "$A4:51820"
	seed_traffic
	nft_rtr -f - <<-EOT
	flush chain ip nat prerouting
	add rule ip nat prerouting udp dport 53820 dnat to $B4:53820
	EOT
}

# fw4_like TARGET [offload]: the router's whole ruleset, fw4 style (one
# atomic reload: flush table + the whole table again, new rule handles
# everywhere), with the redirect "wg" pointing at TARGET (ADDR:PORT).
# "offload": as fw4 writes it with flow_offloading=1, a flowtable on the
# wan and lan devices and "flow offload @ft" first in forward.
fw4_like()
{
	local ft="" fo=""
	if [ "${2:-}" = offload ]; then
		ft='flowtable ft {
		hook ingress priority filter;
		devices = { "br-lan", "wan" };
	}'
		fo='meta l4proto { tcp, udp } flow offload @ft comment "!fw4: Traffic offloading"'
	fi
	cat <<EOT
table inet fw4
flush table inet fw4
table inet fw4 {
	$ft
	chain input {
		type filter hook input priority filter; policy drop;
		iifname "lo" accept
		ct state established,related accept
		meta l4proto { icmp, ipv6-icmp } accept
		iifname "br-lan" accept
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		$fo
		ct state established,related accept
		iifname "br-lan" oifname "wan" accept
		iifname "wan" jump forward_wan
	}
	chain forward_wan {
		ct status dnat accept comment "!fw4: Accept port forwards"
		meta l4proto ipv6-icmp accept
	}
	chain dstnat {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "wan" jump dstnat_wan
	}
	chain dstnat_wan {
		meta nfproto ipv4 udp dport 53820 counter dnat ip to $1 comment "!fw4: wg"
	}
	chain srcnat {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan" jump srcnat_wan
	}
	chain srcnat_wan {
		meta nfproto ipv4 masquerade comment "!fw4: Masquerade IPv4 wan traffic"
	}
}
EOT
}

# ---- a forward by map element (tests 04, 21)

# portfwd_map: the forwards as elements of a map, one rule reading it:
# 53820 -> A:51820 (the seed's) and 40000 -> A:40000.  ("addr . port",
# not "udp dport map": nft 0.9.8 refuses the latter, see HACKING.md.)
portfwd_map()
{
	nft_rtr -f - <<-EOT
	add map ip nat portfwd { type inet_service : ipv4_addr . inet_service; elements = { 53820 : $A4 . 51820, 40000 : $A4 . 40000 }; }
	add rule ip nat prerouting iifname "wan" meta l4proto udp dnat ip addr . port to udp dport map @portfwd
	EOT
}

# portfwd_element_to_b: only the seed's element changes, to B:53820; the
# rule and the other element stay as they are.
portfwd_element_to_b()
{
	nft_rtr -f - <<-EOT
	delete element ip nat portfwd { 53820 }
	add element ip nat portfwd { 53820 : $B4 . 53820 }
	EOT
}

# ---- mirrors (tests 18, 32): B's entry for the peer's stream, backwards

# mirror_entry: the entry B's own packet to the peer starts, B:53820 ->
# peer:51820 (masqueraded, its reply direction is the peer's stream).
mirror_entry()
{
	ct_list -p udp --orig-src "$B4" --orig-port-src 53820 \
		--orig-port-dst "$PEER_PORT"
}

mirror_exists()
{
	[ -n "$(mirror_entry)" ]
}

# seed_gone: the peer's flow has no entry (the sweep deleted it).
seed_gone()
{
	[ -z "$(ct_seed)" ]
}

# b_answers_late [--check]: what B's echo service does when a reply of its
# was in flight: one datagram from B:53820 to the peer, after the entry is
# gone.  --check: the mirror must be there (nobody is settling).
b_answers_late()
{
	stop "$ECHO_B"
	in_b socat -u - "UDP4-SENDTO:$REMOTE4:$PEER_PORT,sourceport=53820" \
		<<<late || fail "B cannot send"
	start_echo ECHO_B b "$FWD_PORT"
	[ "${1:-}" = --check ] || return 0
	wait_until 5 mirror_exists ||
		fail "B's late answer created no entry"
	log "mirror: $(mirror_entry)"
}

# seed_traffic [-6]: echo services on A:51820 and B:53820, the peer's
# stream to the router's 53820; waits until A receives it and conntrack
# calls the flow ASSURED (needs ~2 s of replies), as in the seed report.
# Requires a forward to A:51820 to be in place.
# shellcheck disable=SC2120 # the cases pass -6, lib.sh does not
seed_traffic()
{
	local fam=4 ff="" a=$A4
	if [ "${1:-}" = -6 ]; then fam=6; ff=-6; a=$A6; fi
	start_echo ECHO_A a "$PEER_PORT" "$fam"
	start_echo ECHO_B b "$FWD_PORT" "$fam"
	start_sender SENDER $ff
	expect_rx a 15 "stream forwarded to A"
	wait_until 20 ct_seed_assured $ff ||
		fail "the seed flow never became ASSURED: $(ct_seed $ff)"
	expect_ct_reply $ff "$a" "$PEER_PORT" "flow goes to A"
	[ "${LAB_TAG_SEED:-1}" = 0 ] ||
		ct_tag "ipv$fam" udp --orig-port-src "$PEER_PORT" --orig-port-dst "$FWD_PORT"
	log "flow: $(ct_seed $ff)"
}

# router_service_traffic: the peer's stream ends at an echo service on the
# router's own wan:53820 (no forward; the case accepts 53820 in input),
# B's echo waits on 53820 for a forward to come; waits until conntrack
# calls the flow ASSURED.
router_service_traffic()
{
	start_echo ECHO_RTR rtr 53820 4 "$WAN4"
	start_echo ECHO_B b 53820
	start_sender SENDER
	wait_until 20 ct_seed_assured ||
		fail "the flow to the router never became ASSURED: $(ct_seed)"
	expect_ct_reply "$WAN4" 53820 "flow ends at the router"
}

# tcp_echo_client VAR HOST DST PORT [SPORT]: a TCP connection from HOST to
# DST:PORT (from SPORT when given) to an echo service: a numbered line
# every 200 ms, the echoed lines in $LAB_TMP/tcp.out (tcp_lines counts
# them, tcp_gt N is for wait_until).
tcp_echo_client()
{
	spawn "$1" "$2" bash -c '
		exec {s}<> <(:)
		i=0
		while :; do
			echo "line $((i += 1))" || exit
			read -t 0.2 -u "$s"
		done | socat - "TCP4:$1:$2$3" >"$4"' tcpcli \
		"$3" "$4" "${5:+,sourceport=$5}" "$LAB_TMP/tcp.out"
}

tcp_lines()
{
	local n
	n=$(grep -c . "$LAB_TMP/tcp.out" 2>/dev/null)
	echo "${n:-0}"
}

tcp_gt()
{
	[ "$(tcp_lines)" -gt "$1" ]
}

# expect_stuck_on_a [-6] WHAT: the bug, reproduced: the rules now say B but
# the established flow still goes to A.
expect_stuck_on_a()
{
	local ff="" a=$A4
	if [ "${1:-}" = -6 ]; then ff=-6; a=$A6; shift; fi
	expect_no_rx b 2 "$1"
	expect_rx a 5 "$1"
	expect_ct_reply $ff "$a" "$PEER_PORT" "$1"
}

# expect_moved_to_b [-6] WHAT: B receives the stream, afterwards A nothing,
# and the flow has a new entry.
expect_moved_to_b()
{
	local ff=""
	if [ "$1" = -6 ]; then ff=-6; shift; fi
	expect_rx b 10 "$1"
	inflight_pause	# packets already queued towards A when the flow moved
	expect_no_rx a 2 "$1"
	expect_seed_replaced $ff "$1"
}

# ---- the filtered flush (tests 19, 49)

# ctsweep -v says how many went in a flush, or that the kernel cannot.
FLUSH_LINE='of the stale flows went in 1 filtered flush'
FLUSH_REFUSED='cannot delete a class of flows by filter exactly'

# kernel_flushes_by_filter: whether this kernel deletes by CTA_FILTER on a
# tuple-less DELETE (upstream 6.12).  ctsweep itself decides by a probe,
# never by version; the cases hold its probe to what the upstream kernels
# the matrix boots (tests/kernels) are known to do.  A kernel with the
# flush carried back would fail here: name it in the case, not in src/.
kernel_flushes_by_filter()
{
	local maj min
	IFS=. read -r maj min _ <<<"$(uname -r)"
	((maj > 6 || (maj == 6 && min >= 12)))
}

# expect_flush_path N: the last sweep -v deleted its class of N stale
# flows the way this kernel can: in one filtered flush, or one by one
# saying why.
expect_flush_path()
{
	if kernel_flushes_by_filter; then
		grep -q "$1 $FLUSH_LINE" "$CTS_ERR" ||
			fail "$(uname -r) flushes by filter, but sweep did not delete the class of $1 with one filtered flush"
	else
		! grep -q "$FLUSH_LINE" "$CTS_ERR" ||
			fail "sweep flushed by filter on $(uname -r), which cannot"
		grep -q "$FLUSH_REFUSED" "$CTS_ERR" ||
			fail "sweep did not say why it deleted one by one"
	fi
}

# ------------------------------------------------------------------ ctsweep

# cts_cmd CMD...: run a command (ctsweep, possibly behind ip netns exec or
# setpriv), capture stdout/stderr/exit status into CTS_OUT/CTS_ERR/CTS_RC
# and log them.  A hung ctsweep is cut off after 60 s (exit 124).
cts_cmd()
{
	[ -x "$CTSWEEP" ] ||
		fail "ctsweep binary not found at $CTSWEEP (run make)"
	CTS_N=$((CTS_N + 1))
	CTS_OUT=$LAB_TMP/cts.$CTS_N.out
	CTS_ERR=$LAB_TMP/cts.$CTS_N.err
	log "\$ ${*/#$CTSWEEP/ctsweep}"
	timeout -k 5 $((60 * LAB_SLOW)) "$@" >"$CTS_OUT" 2>"$CTS_ERR"
	CTS_RC=$?
	log "exit $CTS_RC"
	# Shown shortened (LAB_KEEP=1 keeps the full output in $LAB_TMP).
	sed -n '1,25s/^/    | /p' "$CTS_OUT" | cut -c1-400
	[ "$(wc -l <"$CTS_OUT")" -le 25 ] ||
		echo "    | ... ($(wc -l <"$CTS_OUT") lines)"
	sed -n '1,10s/^/    ! /p' "$CTS_ERR"
	[ "$LAB_VERBOSE" = 1 ] || cat "$CTS_OUT" "$CTS_ERR" >>"$LAB_TMP/lab.log"
	return 0
}

# cts ARGS...: ctsweep run against the router's namespace.
cts()
{
	cts_cmd "$CTSWEEP" --netns "$NS_RTR" "$@"
}

assert_rc()
{
	[ "$CTS_RC" = "$1" ] ||
		fail "$2: ctsweep exited $CTS_RC, expected $1 (stderr: $(head -c 300 "$CTS_ERR"))"
}

# assert_json FILTER WHAT: jq -e FILTER on the last ctsweep stdout, after
# the case's own jq definitions ($JQ_DEFS: "def name: ...;", the peers'
# cases name their groups of flows so).  On failure it logs the summary and
# the first three flows $SEED_SEL selects (a case that has no seed flow
# sets it to the flows that interest it, e.g. those not consistent).
assert_json()
{
	jq -e "${JQ_DEFS:-} $1" "$CTS_OUT" >/dev/null 2>&1 && return 0
	log "JSON check failed; summary: $(jq -c .summary "$CTS_OUT" 2>&1 | head -c 600)"
	log "first flows of SEED_SEL: $(jq -c "[$SEED_SEL] | .[:3]" "$CTS_OUT" 2>&1 | head -c 1500)"
	fail "$2: JSON check failed: $1"
}

# json VALUE-FILTER: print a value from the last ctsweep stdout.
json()
{
	jq -c "$1" "$CTS_OUT" 2>/dev/null
}

# assert_json_contract COMMAND DRY_RUN: the document has the agreed shape.
assert_json_contract()
{
	jq -e . "$CTS_OUT" >/dev/null 2>&1 ||
		fail "ctsweep --json printed no valid JSON document"
	[ "$(jq -s length "$CTS_OUT")" = 1 ] ||
		fail "ctsweep --json printed more than one JSON document"
	assert_json '(.ctsweep | type == "string")
		and .command == "'"$1"'" and .dry_run == '"$2"'
		and (.flows | type == "array")
		and ([.summary.judged, .summary.consistent, .summary.stale,
		      .summary.unknown, .summary.deleted]
		     | all(type == "number"))
		and (.summary.by_reason | type == "object")
		and (.summary.unknown_by_cause | type == "object")
		and ([.summary.unknown_by_cause[]] | add // 0)
		    == .summary.unknown
		and .summary.judged == .summary.consistent + .summary.stale
					 + .summary.unknown' \
		"top level of the $1 document"
	assert_json 'all(.flows[];
		(.id | type == "number")
		and (.family == "ipv4" or .family == "ipv6")
		and (.proto == "udp" or .proto == "tcp")
		and ([.orig, .reply][] | (.src | type == "string")
		     and (.dst | type == "string")
		     and (.sport | type == "number")
		     and (.dport | type == "number"))
		and (.verdict == "stale" or .verdict == "unknown"
		     or .verdict == "consistent")
		and (.reason | type == "string")
		and (.now | has("dnat") and has("snat"))
		and (.rules.dnat | type == "array")
		and (.rules.snat | type == "array")
		and has("rule") and has("unknown")
		and (.deleted | type == "boolean"))' \
		"every flow of the $1 document"
	assert_json '.summary.deleted == ([.flows[] | select(.deleted)] | length)' \
		"summary.deleted counts the flows marked deleted"
}

# expect_seed_stale [-6] REASON [WHAT]: the last run was "status --json"
# with the seed flow stale: exit 1 (WHAT names the run in a failure), the
# document well formed, the seed flow listed once, of its family, stale
# for REASON.
expect_seed_stale()
{
	local fam=ipv4 what="status with a stale flow"
	if [ "$1" = -6 ]; then
		fam=ipv6
		what="status with a stale IPv6 flow"
		shift
	fi
	assert_rc 1 "${2:-$what}"
	assert_json_contract status false
	assert_json "[$SEED_SEL] | length == 1" "the seed flow is listed once"
	assert_json "$SEED_SEL | .family == \"$fam\" and .verdict == \"stale\"
		and .reason == \"$1\"" "seed flow verdict"
}

# expect_seed_swept: the last run was "sweep --json": exit 0, the document
# well formed, the seed flow (stale) deleted and no other flow.
expect_seed_swept()
{
	assert_rc 0 "sweep"
	assert_json_contract sweep false
	assert_json "$SEED_SEL | .verdict == \"stale\" and .deleted == true" \
		"sweep reports the seed flow deleted"
	assert_json '.summary.deleted == 1' "sweep deleted exactly one flow"
}

# sweep_seed_to_b [-6]: ctsweep sweep deletes the stale seed flow and no
# other (expect_seed_swept), and the stream moves to B's 53820.
sweep_seed_to_b()
{
	local ff="" b=$B4
	if [ "${1:-}" = -6 ]; then
		ff=-6
		b=$B6
	fi
	cts sweep --json
	expect_seed_swept
	expect_moved_to_b $ff "after ctsweep sweep"
	expect_ct_reply $ff "$b" 53820 "after ctsweep sweep"
}
