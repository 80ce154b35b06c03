# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# A router pair, for tests/netns/35-router-pair.sh and bench/pair.  Source
# it after lib.sh.  Real daemons: keepalived (VRRP) moves the floating
# addresses, conntrackd (FTFW over a dedicated link) keeps each router's
# replica of the other's conntrack table, and ctsweep watch runs on both.
#
#                          remote (peer) 203.0.113.10
#                                 |
#            +---------------- sw: br-wan -----------------+
#            | wan 203.0.113.2                wan 203.0.113.3
#            r1  sync 10.99.0.1 ========== 10.99.0.2 sync  r2
#            | lan 192.168.50.252             lan 192.168.50.253
#            +---------------- sw: br-lan -----------------+
#                       |                         |
#                 a 192.168.50.2            b 192.168.50.3
#
# The floating addresses 203.0.113.1/24 (WAN, the peer's destination) and
# 192.168.50.1/24 (LAN, the backends' default gateway) belong to the
# master.  "sw" is a switch: two bridges in a namespace of their own.
#
# Everything each router's daemons read or write lives under
# $LAB_TMP/r1 and $LAB_TMP/r2: configurations rendered from the templates
# in contrib/keepalived/, pid files, control sockets, locks and logs.  The
# daemons run inside the lab's namespaces, so lib.sh's EXIT trap ends them
# with the namespaces' other processes.

# shellcheck disable=SC2034 # some are used by the case and the bench only
NS_R1=$LAB_ID-r1
NS_R2=$LAB_ID-r2
NS_SW=$LAB_ID-sw
R1_WAN=203.0.113.2
R2_WAN=203.0.113.3
R1_LAN=192.168.50.252
R2_LAN=192.168.50.253
SYNC_NET=10.99.0.0/30
R1_SYNC=10.99.0.1
R2_SYNC=10.99.0.2
PAIR_KA=$TOP/contrib/keepalived

KA_PID1=
KA_PID2=
CTD_PID1=
CTD_PID2=
W_PID1=
W_PID2=

rns()
{
	case $1 in
	1) echo "$NS_R1" ;;
	2) echo "$NS_R2" ;;
	*) echo "lib-pair: no router '$1'" >&2; return 1 ;;
	esac
}

other() { echo $((3 - $1)); }

# in_r N CMD...: run CMD in router N's namespace.
in_r() { local n; n=$(rns "$1") || return 1; shift; ip netns exec "$n" "$@"; }

rdir() { echo "$LAB_TMP/r$1"; }

# pair_log N FILE: router N's log (keepalived, conntrackd, watch, notify)
pair_log() { echo "$LAB_TMP/r$1/$2.log"; }

# ------------------------------------------------------------- diagnostics

lab_dump()
{
	local n f
	echo "---- diagnostics ($CASE)"
	for n in 1 2; do
		ns_exists "$(rns $n)" || continue
		echo "-- r$n: addresses"
		in_r $n ip -4 -br addr 2>&1
		echo "-- r$n: conntrack, peer's flows to 53820"
		in_r $n conntrack -L -p udp --orig-port-dst "$FWD_PORT" 2>/dev/null |
			head -n 20
		echo "-- r$n: conntrack -C $(in_r $n conntrack -C 2>/dev/null)"
		echo "-- r$n: conntrackd external cache (replica), peer's flows"
		ctd $n -e 2>&1 | grep -e "dport=$FWD_PORT" | head -n 10
		echo "-- r$n: nat rules"
		in_r $n nft list table ip nat 2>&1 | head -n 30
		for f in keepalived conntrackd notify watch; do
			[ -f "$(pair_log $n $f)" ] || continue
			echo "-- r$n: $f log (last 25 lines)"
			tail -n 25 "$(pair_log $n $f)" | cut -c1-300
		done
		[ -f "$(rdir $n)/watch.prom" ] && {
			echo "-- r$n: ctsweep stats"
			grep -v '^#' "$(rdir $n)/watch.prom" | grep -v ' 0$'
		}
	done
	for n in a b; do
		ns_exists "$(host_ns $n)" &&
			echo "-- counters at $n: rx $(rx_count $n 2>/dev/null)" \
				"anyrx $(rx_count $n:anyrx 2>/dev/null)"
	done
	echo "---- end of diagnostics"
}

# --------------------------------------------------------------- templates

# render TEMPLATE OUT NAME=VALUE...: replace @NAME@ by VALUE outside
# comments; every placeholder must be given one.
render()
{
	local tpl=$1 out=$2 kv script=""
	shift 2
	for kv in "$@"; do
		script+="/^[[:space:]]*#/!s|@${kv%%=*}@|${kv#*=}|g;"
	done
	sed -e "$script" "$tpl" >"$out" || fail "cannot render $tpl"
	! grep -v '^[[:space:]]*#' "$out" | grep '@[A-Z_]*@' ||
		fail "placeholders left in $out (from $tpl)"
}

# ---------------------------------------------------------------- topology

# pair_ruleset: both routers' firewall, loaded identically: the seed's
# forward (53820 -> A:51820) and masquerade out of the WAN.  VRRP and the
# sync link are let in; the rest as lib.sh's base firewall.
pair_ruleset()
{
	local rule="iifname \"wan\" udp dport $FWD_PORT dnat to $A4:$PEER_PORT"
	cat <<-EOF
	table inet filter {
		chain input {
			type filter hook input priority filter; policy drop;
			iif "lo" accept
			ct state established,related accept
			ct state invalid drop
			meta l4proto { icmp, ipv6-icmp } accept
			ip protocol 112 accept comment "VRRP"
			iifname "sync" accept comment "conntrackd"
			iifname "lan" accept
		}
		chain forward {
			type filter hook forward priority filter; policy drop;
			ct state established,related accept
			ct status dnat accept
			iifname "lan" oifname "wan" accept
		}
	}
	table ip nat {
		chain prerouting {
			type nat hook prerouting priority dstnat; policy accept;
			$rule
		}
		chain postrouting {
			type nat hook postrouting priority srcnat; policy accept;
			oifname "wan" masquerade
		}
	}
	EOF
}

# pair_forward_to ADDR:PORT|none: switch (or remove) the forward on both
# routers, one nft transaction each, as an admin's configuration
# management would.
pair_forward_to()
{
	local n rule=""
	[ "$1" = none ] ||
		rule="add rule ip nat prerouting iifname \"wan\" udp dport $FWD_PORT dnat to $1"
	for n in 1 2; do
		printf 'flush chain ip nat prerouting\n%s\n' "$rule" |
			in_r $n nft -f - || fail "nft -f (forward $1) failed in r$n"
	done
	log "forward 53820 -> $1 on both routers"
}

pair_topology()
{
	local n ns
	require_netns
	command -v conntrackd >/dev/null && command -v keepalived >/dev/null ||
		fail "conntrackd and keepalived are needed (make deps)"
	step "topology: r1, r2, sw, remote, a, b"
	for ns in "$NS_SW" "$NS_R1" "$NS_R2" "$NS_REMOTE" "$NS_A" "$NS_B"; do
		ns_add "$ns"
		# No duplicate address detection: link-local addresses that
		# settle seconds later would only add route notifications.
		lab_sysctl "$ns" net.ipv6.conf.all.accept_dad=0
		lab_sysctl "$ns" net.ipv6.conf.default.accept_dad=0
		in_ns "$ns" ip link set lo up
	done
	require_nftables "$NS_R1"

	in_ns "$NS_SW" ip link add br-wan type bridge forward_delay 0 &&
	in_ns "$NS_SW" ip link add br-lan type bridge forward_delay 0 ||
		fail "cannot create the switch's bridges"
	lab_sysctl "$NS_SW" net.bridge.bridge-nf-call-iptables=0
	# port NS IF BRIDGE SWITCHPORT: a veth from NS's IF to the switch
	port()
	{
		in_ns "$1" ip link add "$2" type veth peer name "$4" netns "$NS_SW" &&
		in_ns "$NS_SW" ip link set "$4" master "$3" &&
		in_ns "$NS_SW" ip link set "$4" up &&
		in_ns "$1" ip link set "$2" up
	}
	port "$NS_REMOTE" eth0 br-wan p-remote &&
	port "$NS_R1" wan br-wan p-r1w && port "$NS_R2" wan br-wan p-r2w &&
	port "$NS_R1" lan br-lan p-r1l && port "$NS_R2" lan br-lan p-r2l &&
	port "$NS_A" eth0 br-lan p-a && port "$NS_B" eth0 br-lan p-b &&
	in_ns "$NS_SW" ip link set br-wan up &&
	in_ns "$NS_SW" ip link set br-lan up &&
	in_r 1 ip link add sync type veth peer name sync netns "$NS_R2" &&
	in_r 1 ip link set sync up && in_r 2 ip link set sync up ||
		fail "cannot create the links"

	in_remote ip addr add "$REMOTE4/24" dev eth0 &&
	in_a ip addr add "$A4/24" dev eth0 &&
	in_b ip addr add "$B4/24" dev eth0 &&
	in_a ip route add default via "$LAN4" &&
	in_b ip route add default via "$LAN4" &&
	in_r 1 ip addr add "$R1_WAN/24" dev wan &&
	in_r 1 ip addr add "$R1_LAN/24" dev lan &&
	in_r 1 ip addr add "$R1_SYNC/30" dev sync &&
	in_r 2 ip addr add "$R2_WAN/24" dev wan &&
	in_r 2 ip addr add "$R2_LAN/24" dev lan &&
	in_r 2 ip addr add "$R2_SYNC/30" dev sync ||
		fail "cannot add addresses and routes"
	for n in 1 2; do
		lab_sysctl "$(rns $n)" net.ipv4.ip_forward=1 ||
			fail "cannot enable forwarding in r$n"
		mkdir -p "$(rdir $n)" || fail "mkdir $(rdir $n)"
		pair_ruleset >"$(rdir $n)/ruleset.nft"
		in_r $n nft -f "$(rdir $n)/ruleset.nft" ||
			fail "cannot load the ruleset in r$n"
	done
	cmp -s "$(rdir 1)/ruleset.nft" "$(rdir 2)/ruleset.nft" ||
		fail "the two routers' rulesets differ"
	lab_counter "$NS_A"
	lab_counter "$NS_B"
}

# sync_link up|down: the dedicated link between the routers (both ends).
sync_link()
{
	in_r 1 ip link set sync "$1" && in_r 2 ip link set sync "$1" ||
		fail "cannot set the sync link $1"
	log "sync link $1"
}

# ------------------------------------------------------------- conntrackd

# ctd N ARGS...: conntrackd's client in router N (-c, -e, -s, ...)
ctd()
{
	in_r "$1" conntrackd -C "$(rdir "$1")/conntrackd.conf" "${@:2}"
}

ctd_start()
{
	local n=$1 own_wan own_lan peer_wan peer_lan
	local own_sync peer_sync __pid
	if [ "$n" = 1 ]; then
		own_wan=$R1_WAN own_lan=$R1_LAN own_sync=$R1_SYNC
		peer_wan=$R2_WAN peer_lan=$R2_LAN peer_sync=$R2_SYNC
	else
		own_wan=$R2_WAN own_lan=$R2_LAN own_sync=$R2_SYNC
		peer_wan=$R1_WAN peer_lan=$R1_LAN peer_sync=$R1_SYNC
	fi
	render "$PAIR_KA/conntrackd.conf" "$(rdir "$n")/conntrackd.conf" \
		SYNC_IF=sync SYNC_LOCAL="$own_sync" SYNC_PEER="$peer_sync" \
		SYNC_NET="$SYNC_NET" OWN_WAN="$own_wan" OWN_LAN="$own_lan" \
		PEER_WAN="$peer_wan" PEER_LAN="$peer_lan" WAN_VIP="$WAN4" \
		LAN_VIP="$LAN4" RUNDIR="$(rdir "$n")"
	setsid ip netns exec "$(rns "$n")" conntrackd \
		-C "$(rdir "$n")/conntrackd.conf" </dev/null \
		>>"$(pair_log "$n" conntrackd-out)" 2>&1 &
	__pid=$!
	LAB_PIDS+=("$__pid")
	printf -v "CTD_PID$n" %s "$__pid"
	wait_until 10 ctd_up "$n" ||
		fail "conntrackd did not start in r$n: $(tail -n 5 "$(pair_log "$n" conntrackd-out)" "$(pair_log "$n" conntrackd)" 2>&1)"
	log "conntrackd running in r$n (pid $__pid)"
}

ctd_up() { ctd "$1" -s >/dev/null 2>&1; }

# ------------------------------------------------------------- keepalived

# ka_start N PRIORITY [NOTIFY-ENV...]: keepalived (VRRP only) in router N,
# in the foreground of its own session, logging to the console (our log
# file), every file under the router's directory.
ka_start()
{
	local n=$1 prio=$2 d __pid
	d=$(rdir "$n")
	render "$PAIR_KA/keepalived.conf" "$d/keepalived.conf" \
		ROUTER_ID="r$n" PRIORITY="$prio" WAN_IF=wan LAN_IF=lan \
		WAN_VIP="$WAN4/24" LAN_VIP="$LAN4/24" \
		NOTIFY="$LAB_TMP/bin/ctsweep-notify.sh -e $d/notify.env"
	[ -f "$d/notify.env" ] || notify_env "$n" 1
	# keepalived's script security refuses a script that anyone but root
	# could write, or under such a directory (a checkout in a home
	# directory): run a root-owned copy of the one in contrib/.
	[ -x "$LAB_TMP/bin/ctsweep-notify.sh" ] ||
		install -D -m 0755 "$PAIR_KA/ctsweep-notify.sh" \
			"$LAB_TMP/bin/ctsweep-notify.sh" ||
		fail "cannot install the notify script"
	setsid ip netns exec "$(rns "$n")" keepalived -f "$d/keepalived.conf" \
		--dont-fork --log-console --log-detail --no-syslog --vrrp \
		-p "$d/keepalived.pid" -r "$d/vrrp.pid" -c "$d/checkers.pid" \
		-b "$d/bfd.pid" </dev/null >>"$(pair_log "$n" keepalived)" 2>&1 &
	__pid=$!
	LAB_PIDS+=("$__pid")
	printf -v "KA_PID$n" %s "$__pid"
	log "keepalived started in r$n (priority $prio, pid $__pid)"
}

# notify_env N DAEMON: what the notify script reads (keepalived passes it
# no environment of ours): conntrackd's configuration, its log file, and
# whether a ctsweep watch runs (1) or it must sweep itself (0).
notify_env()
{
	local d
	d=$(rdir "$1")
	cat >"$d/notify.env" <<-EOF
	CONNTRACKD_CONF=$d/conntrackd.conf
	NOTIFY_LOG=$d/notify.log
	CTSWEEP_DAEMON=$2
	CTSWEEP=$CTSWEEP
	RUNTIME_DIRECTORY=$RUNTIME_DIRECTORY
	EOF
}

# ka_stop N: stop keepalived in router N (SIGTERM to its parent process,
# which stops the VRRP child: it drops the floating addresses and sends a
# priority 0 advertisement, so the other router takes over at once).
ka_stop()
{
	local n=$1 pid
	pid=$(eval echo "\$KA_PID$n")
	[ -n "$pid" ] || fail "keepalived is not running in r$n"
	kill -TERM "$pid" 2>/dev/null
	wait_until 10 sh -c "! kill -0 $pid 2>/dev/null" ||
		fail "keepalived in r$n did not stop within 10 s"
	wait "$pid" 2>/dev/null
	printf -v "KA_PID$n" %s ""
	log "keepalived stopped in r$n"
}

has_vips()
{
	in_r "$1" ip -4 addr show dev wan | grep -q " $WAN4/" &&
		in_r "$1" ip -4 addr show dev lan | grep -q " $LAN4/"
}

no_vips()
{
	! in_r "$1" ip -4 addr show dev wan | grep -q " $WAN4/" &&
		! in_r "$1" ip -4 addr show dev lan | grep -q " $LAN4/"
}

notify_count() # notify_count N STATE: finished notify runs for STATE
{
	grep -c " $2: done" "$(pair_log "$1" notify)" 2>/dev/null
}

# await_master N BEFORE: router N holds both floating addresses, the other
# none, and N's notify script has finished one more "primary" run than
# BEFORE (so the commit is in).
await_master()
{
	local n=$1 before=$2 o
	o=$(other "$n")
	wait_until 20 has_vips "$n" ||
		fail "r$n did not take the floating addresses within 20 s"
	wait_until 10 no_vips "$o" ||
		fail "r$o still holds a floating address"
	wait_until 30 sh -c "[ \"\$(grep -c ' primary: done' '$(pair_log "$n" notify)' 2>/dev/null)\" -gt $before ]" ||
		fail "r$n's notify script did not finish 'primary' within 30 s"
	log "r$n is the master; its notify script ran: $(grep ' primary: ' "$(pair_log "$n" notify)" | tail -n 5 | cut -d' ' -f2- | tr '\n' '|' | cut -c1-400)"
}

# ------------------------------------------------------------ ctsweep watch

# w_start N: ctsweep watch in router N, same options on both routers.
w_start()
{
	local n=$1 __pid
	: >"$(pair_log "$n" watch)"
	setsid "$CTSWEEP" -v --netns "$(rns "$n")" watch \
		--stats "$(rdir "$n")/watch.prom" </dev/null \
		>"$(pair_log "$n" watch)" 2>&1 &
	__pid=$!
	LAB_PIDS+=("$__pid")
	printf -v "W_PID$n" %s "$__pid"
	# "watch: start: ..." or, when route notifications came in during
	# the first pass, "watch: start, routes or addresses changed ...".
	wait_until 30 w_logged "$n" "watch: start[:,] " ||
		fail "ctsweep watch in r$n did not finish its first reconcile"
	log "ctsweep watch running in r$n (pid $__pid)"
}

w_logged() { grep -Eq -- "$2" "$(pair_log "$1" watch)"; }
w_count() { grep -Ec -- "$2" "$(pair_log "$1" watch)"; }

# w_stat N NAME[{LABELS}]: a counter from router N's stats file (0 if the
# counter is not there yet).
w_stat()
{
	awk -v m="ctsweep_$2" '$1 == m { v = $2 } END { print v + 0 }' \
		"$(rdir "$1")/watch.prom" 2>/dev/null
}

w_alive()
{
	local pid
	pid=$(eval echo "\$W_PID$1")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

w_stop()
{
	local n=$1 pid
	pid=$(eval echo "\$W_PID$n")
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	wait_until 10 sh -c "! kill -0 $pid 2>/dev/null" ||
		fail "ctsweep watch in r$n did not exit on SIGTERM"
	wait "$pid"
	local rc=$?
	[ "$rc" = 0 ] || fail "ctsweep watch in r$n exited $rc on SIGTERM"
	printf -v "W_PID$n" %s ""
}

# --------------------------------------------------------------- conntrack

# ct_r N [conntrack filter]: router N's table (IPv4)
ct_r() { in_r "$1" conntrack -L "${@:2}" 2>/dev/null; }

# seed_r N: the peer's seed flow (51820 -> 53820) in router N's table
seed_r() { ct_r "$1" -p udp --orig-port-src "$PEER_PORT" --orig-port-dst "$FWD_PORT"; }

# reply_src: "ADDR PORT" of the reply tuple's source in conntrack -L lines
# (or conntrackd -e lines) on stdin, one per line.
reply_src()
{
	awk '{
		n = 0; a = ""; p = ""
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^src=/ && ++n == 2) a = substr($i, 5)
			if ($i ~ /^sport=/ && n == 2 && p == "") p = substr($i, 7)
		}
		if (a != "") print a, p }'
}

# replica_seed N: the seed flow in router N's replica (conntrackd's
# external cache: what a commit would write).
replica_seed()
{
	ctd "$1" -e 2>/dev/null |
		grep -E "src=$REMOTE4 dst=$WAN4 sport=$PEER_PORT dport=$FWD_PORT "
}

# ------------------------------------------------------------------ events

# ev_start N: record router N's conntrack NEW and DESTROY events of flows
# to port 53820 (the seed's tuple, the bulk flows) in rN/events.log, with
# timestamps: what the commit wrote, what watch deleted, and whether a
# deleted entry ever came back.
ev_start()
{
	local __pid
	setsid ip netns exec "$(rns "$1")" conntrack -E -e NEW,DESTROY -p udp \
		--orig-port-dst "$FWD_PORT" -o timestamp,id </dev/null \
		>"$(pair_log "$1" events)" 2>&1 &
	__pid=$!
	LAB_PIDS+=("$__pid")
}

# ev_mark N: the events recorded so far (a line count, for ev_since)
ev_mark() { wc -l <"$(pair_log "$1" events)"; }

# ev_since N MARK: the events recorded after MARK
ev_since() { tail -n +"$(($2 + 1))" "$(pair_log "$1" events)"; }

# seed_event KIND REPLY-ADDR: an extended regular expression for an event
# of the seed's tuple whose reply comes from REPLY-ADDR.
seed_event()
{
	echo "\[$1\] udp +17 .*src=$REMOTE4 dst=$WAN4 sport=$PEER_PORT dport=$FWD_PORT .*src=$2 dst=$REMOTE4 "
}
