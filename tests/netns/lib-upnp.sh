# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# miniupnpd in the lab's router, for tests/netns/49 (nftables backend) and
# 50 (iptables backend).  Source it after watchlib.sh and lib-legacy.sh:
#
#	. "$(dirname "$0")/watchlib.sh"
#	. "$(dirname "$0")/lib-legacy.sh"
#	. "$(dirname "$0")/lib-upnp.sh"
#
# The real daemon: Debian 12's miniupnpd-nftables or miniupnpd-iptables
# 2.3.1.  The two packages conflict, so scripts/deps.sh unpacks both into
# $UPNP_CACHE (dpkg-deb -x: no maintainer script, no service) and the
# binary runs from there.  It runs in the router namespace only, in a
# private mount namespace with a tmpfs on /run (its default pid file and
# minissdpd socket live there), with a configuration of the case's own
# under $LAB_TMP: listening on br-lan, ext_ifname wan, UPnP IGD and NAT-PMP
# on, secure mode (a client maps only to itself).  Its chains come from
# its own init script's rules, tests/peers/miniupnpd-nft.nft or
# miniupnpd-iptables.rules, loaded verbatim before it starts, where
# Debian's unit runs the script (ExecStartPre; on Debian 12 the nftables
# one fails, see tests/peers/README.md).
#
# ext_ip: miniupnpd 2.3.1 maps nothing while the WAN address is reserved
# (203.0.113.1 is documentation) and refuses a reserved ext_ip too, so it
# is told to announce $UPNP_EXT_IP (1.2.3.4, the example address
# kube-proxy's tests use, see tests/peers/kube-proxy-nft.nft).  It is only
# announced to the clients (GetExternalIPAddress, NAT-PMP); miniupnpd's
# rules never name it.  The remote counts anything the router sends there
# (upnp_expect_ext_ip_unused): it must stay 0.
#
# The clients run in the LAN hosts: upnpc (miniupnpc) and natpmpc.
#
# Streams: stream N (0..3) is the remote's UDP stream from port 51820+N to
# the router's 53820+N, which a mapping sends to A:51820+N or B:53820+N;
# echo services on A and B answer it, counters in A and B ("inet upnplab",
# counter sN) count what arrives from the remote's port 51820+N.

UPNP_BACKEND=${UPNP_BACKEND:-nft}
UPNP_CACHE=${CTSWEEP_TEST_CACHE:-/var/cache/ctsweep-test}
UPNP_DIR=$LAB_TMP/miniupnpd
UPNP_LOG=$UPNP_DIR/miniupnpd.log
UPNP_EXT_IP=1.2.3.4
UPNP_HTTP_PORT=5000
UPNP_URL=http://$LAN4:$UPNP_HTTP_PORT/rootDesc.xml
UPNP_PID=
UPNP_TALKER=

case $UPNP_BACKEND in
nft) UPNP_PKG=miniupnpd-nftables
     UPNP_FIXTURE=$TOP/tests/peers/miniupnpd-nft.nft ;;
iptables) UPNP_PKG=miniupnpd-iptables
     UPNP_FIXTURE=$TOP/tests/peers/miniupnpd-iptables.rules ;;
*) fail "UPNP_BACKEND is '$UPNP_BACKEND', expected nft or iptables" ;;
esac
MINIUPNPD=${MINIUPNPD:-$UPNP_CACHE/$UPNP_PKG/usr/sbin/miniupnpd}

upnp_sport() { echo $((PEER_PORT + $1)); }
upnp_eport() { echo $((FWD_PORT + $1)); }

# upnp_host_port HOST N: where stream N is mapped to on HOST.
upnp_host_port()
{
	case $1 in
	a) upnp_sport "$2" ;;
	b) upnp_eport "$2" ;;
	esac
}

upnp_host_addr()
{
	case $1 in
	a) echo "$A4" ;;
	b) echo "$B4" ;;
	esac
}

upnp_other() { [ "$1" = a ] && echo b || echo a; }

upnp_require()
{
	[ -x "$MINIUPNPD" ] ||
		fail "$MINIUPNPD not found (Debian's $UPNP_PKG, unpacked by scripts/deps.sh; run 'sudo make deps-test')"
	local t
	for t in upnpc natpmpc; do
		command -v "$t" >/dev/null ||
			fail "$t not found (Debian packages miniupnpc, natpmpc; run 'sudo make deps-test')"
	done
	log "miniupnpd: $UPNP_PKG $(cat "$UPNP_CACHE/$UPNP_PKG/.version" 2>/dev/null) ($MINIUPNPD)"
}

# ------------------------------------------------------------ the router

# upnp_topology: the standard lab with miniupnpd's ruleset instead of the
# lab's: its init script's rules (the fixture, verbatim), then what its
# comments leave to the administrator: a stateful forward, the LAN out to
# the WAN, masquerade of IPv4 out of the WAN.  A default route via the
# remote, as a home router has one.
upnp_topology()
{
	local line
	topo_standard --fw none
	in_rtr ip route add default via "$REMOTE4" dev wan ||
		fail "cannot add the router's default route"
	mkdir -p "$UPNP_DIR" || fail "cannot create $UPNP_DIR"
	if [ "$UPNP_BACKEND" = nft ]; then
		step "miniupnpd's ruleset: $(basename "$UPNP_FIXTURE") (verbatim), plus the administrator's rules"
		nft_rtr -f "$UPNP_FIXTURE"
		nft_rtr -f - <<-'EOF'
		add rule inet filter forward ct state established,related accept
		add rule inet filter forward iifname "br-lan" oifname "wan" accept
		add rule inet filter forward meta l4proto ipv6-icmp accept
		add rule inet filter postrouting meta nfproto ipv4 oifname "wan" masquerade
		EOF
	else
		step "legacy firewall, then miniupnpd's chains: $(basename "$UPNP_FIXTURE") (verbatim)"
		legacy_fw_base 4
		while read -r line; do
			case $line in "#"* | "") continue ;; esac
			# shellcheck disable=SC2086 # one iptables command per line
			ipt4 -w $line
		done <"$UPNP_FIXTURE"
		ipt4 -t nat -A POSTROUTING -o wan -j MASQUERADE
		expect_no_nft_rules
	fi
	# The remote counts what the router would send to the announced
	# address (nothing, ever).
	in_remote nft -f - <<-EOF || fail "cannot set up the counter at the remote"
	table inet upnplab {
		counter toext {
		}
		chain pre {
			type filter hook prerouting priority -300; policy accept;
			ip daddr $UPNP_EXT_IP counter name "toext"
		}
	}
	EOF
	upnp_counters a
	upnp_counters b
}

# upnp_counters HOST: counters s0..s3 of what HOST gets from each stream.
upnp_counters()
{
	local n rules=""
	for n in 0 1 2 3; do
		rules+="ip saddr $REMOTE4 udp sport $(upnp_sport "$n") counter name \"s$n\""$'\n'
	done
	in_host "$1" nft -f - <<-EOF || fail "cannot set up the stream counters in $1"
	table inet upnplab {
		counter s0 {
		}
		counter s1 {
		}
		counter s2 {
		}
		counter s3 {
		}
		chain rxcount {
			type filter hook input priority -300; policy accept;
			$rules
		}
	}
	EOF
}

upnp_expect_ext_ip_unused()
{
	local n
	n=$(in_remote nft list counter inet upnplab toext |
		awk '/packets/ { print $2; exit }')
	[ "$n" = 0 ] ||
		fail "$1: the router sent $n packets to the announced ext_ip $UPNP_EXT_IP"
	log "nothing was sent to the announced ext_ip $UPNP_EXT_IP ($1)"
}

# ------------------------------------------------------------ the daemon

# upnp_conf: the case's miniupnpd.conf.  SSDP NOTIFYs every 10 s (the
# default is 30 s, conntrack's timeout for them), so that an entry of them
# is always there to be judged.
upnp_conf()
{
	cat <<-EOF
	ext_ifname=wan
	ext_ip=$UPNP_EXT_IP
	listening_ip=br-lan
	http_port=$UPNP_HTTP_PORT
	enable_natpmp=yes
	enable_upnp=yes
	secure_mode=yes
	system_uptime=yes
	notify_interval=10
	lease_file=$UPNP_DIR/upnp.leases
	minissdpdsocket=$UPNP_DIR/minissdpd.sock
	uuid=3ad3a1c2-5b6e-4d2f-9c1e-2d0c7c5e0a49
	allow 1024-65535 192.168.50.0/24 1024-65535
	deny 0-65535 0.0.0.0/0 0-65535
	EOF
}

upnp_ready()
{
	grep -q 'HTTP listening on port' "$UPNP_LOG" &&
		grep -q 'Listening for NAT-PMP' "$UPNP_LOG"
}

upnp_ready_or_gone()
{
	upnp_ready || ! kill -0 "$UPNP_PID" 2>/dev/null
}

# upnp_start: the daemon in the router, in the foreground (-d: logs to
# stderr), until it listens for HTTP (SOAP) and NAT-PMP.
upnp_start()
{
	upnp_conf >"$UPNP_DIR/miniupnpd.conf"
	log "miniupnpd.conf: $(grep -v '^#' "$UPNP_DIR/miniupnpd.conf" | tr '\n' ';')"
	log "\$ ip netns exec RTR miniupnpd -d -f $UPNP_DIR/miniupnpd.conf -P $UPNP_DIR/miniupnpd.pid"
	setsid ip netns exec "$NS_RTR" unshare --mount --propagation private \
		sh -c 'mount -t tmpfs -o mode=0755,size=1m ctsweep-upnp /run &&
			exec "$@"' sh "$MINIUPNPD" -d -f "$UPNP_DIR/miniupnpd.conf" \
		-P "$UPNP_DIR/miniupnpd.pid" </dev/null >"$UPNP_LOG" 2>&1 &
	UPNP_PID=$!
	LAB_PIDS+=("$UPNP_PID")
	wait_until 30 upnp_ready_or_gone
	kill -0 "$UPNP_PID" 2>/dev/null ||
		fail "miniupnpd exited: $(tail -n 20 "$UPNP_LOG")"
	upnp_ready || fail "miniupnpd does not listen after 30 s: $(tail -n 20 "$UPNP_LOG")"
	log "miniupnpd running in the router (pid $UPNP_PID): $(grep -m1 'HTTP listening' "$UPNP_LOG" | cut -c1-120)"
}

upnp_stop()
{
	[ -n "$UPNP_PID" ] || return 0
	stop "$UPNP_PID"
	UPNP_PID=
}

# upnp_log_clean WHAT: miniupnpd logged no error.  (UPnPError 713 ends
# every listing: upnpc -l asks for entries until the index is invalid.)
upnp_log_clean()
{
	grep -iE 'error|failed' "$UPNP_LOG" |
		grep -v 'UPnPError 713: SpecifiedArrayIndexInvalid' \
		>"$UPNP_DIR/errors" &&
		fail "$1: miniupnpd logged errors: $(head -c 1500 "$UPNP_DIR/errors")"
	log "miniupnpd logged no error ($1)"
}

# upnp_rules: miniupnpd's rules for the mappings, one a line: nft's dnat
# rules; iptables: its nat rules (iptables 1.8.9 prints their DNAT target,
# revision 0 as miniupnpd writes it through libiptc, as "DNAT [unsupported
# revision]", without the address) and its filter rules, which name the
# internal address and port.
upnp_rules()
{
	if [ "$UPNP_BACKEND" = nft ]; then
		in_rtr nft list chain inet filter prerouting_miniupnpd |
			grep -E 'dnat' | sed 's/^[[:space:]]*//'
	else
		in_rtr iptables-legacy -w -t nat -S MINIUPNPD | grep -- '-j DNAT'
		in_rtr iptables-legacy -w -t filter -S MINIUPNPD | grep -- '-j ACCEPT'
	fi
}

# upnp_expect_rule N HOST|none WHAT: miniupnpd's rules send stream N's port
# to HOST (and nowhere else), or have no rule for it.
upnp_expect_rule()
{
	local ep addr port rules ok=1
	ep=$(upnp_eport "$1")
	if [ "$2" = none ]; then
		rules=$(upnp_rules | grep -E "dport ($ep|$(upnp_sport "$1"))( |$)")
		[ -z "$rules" ] || fail "$3: miniupnpd still forwards $ep: $rules"
		log "miniupnpd's rules: nothing for $ep ($3)"
		return 0
	fi
	addr=$(upnp_host_addr "$2")
	port=$(upnp_host_port "$2" "$1")
	if [ "$UPNP_BACKEND" = nft ]; then
		rules=$(upnp_rules | grep -E "dport $ep ")
		[ "$(grep -c . <<<"$rules")" = 1 ] &&
			grep -qF -- "dnat ip to $addr:$port" <<<"$rules" || ok=
	else
		rules=$(upnp_rules | grep -E -- "-j DNAT|-d $addr/32 .*--dport $port -j ACCEPT")
		[ "$(grep -c -- "--dport $ep -j DNAT" <<<"$rules")" = 1 ] &&
			grep -q -- "-d $addr/32 .*--dport $port -j ACCEPT" <<<"$rules" || ok=
		rules=$(grep -E -- "--dport ($ep|$port) " <<<"$rules")
	fi
	[ -n "$ok" ] ||
		fail "$3: miniupnpd's rules for $ep: '$(upnp_rules | tr '\n' ';')', expected one to $addr:$port"
	log "miniupnpd's rules for $ep: $(tr '\n' ';' <<<"$rules") ($3)"
}

# ------------------------------------------------------------ the clients

# lan_client LINES HOST CMD...: a client in HOST (cut off after 30 s);
# the last LINES lines of its output go to the log, all of it to
# $UPNP_OUT; failing is a broken lab.
lan_client()
{
	local lines=$1 host=$2 out
	shift 2
	log "\$ ($host) $*"
	out=$(in_host "$host" timeout 30 "$@" 2>&1) ||
		fail "$* in $host failed: $out"
	sed -n '/^[[:space:]]*$/d; s/^/    | /p' <<<"$out" | tail -n "$lines"
	UPNP_OUT=$out
}

# upnp_client HOST ARGS...: upnpc in HOST against the router's description
# URL (no discovery).
upnp_client()
{
	local host=$1
	shift
	lan_client 12 "$host" upnpc -u "$UPNP_URL" "$@"
}

# upnp_map HOST N: HOST's app asks for stream N's port over UPnP IGD.
upnp_map()
{
	local ip port ep
	ip=$(upnp_host_addr "$1")
	port=$(upnp_host_port "$1" "$2")
	ep=$(upnp_eport "$2")
	upnp_client "$1" -e "ctsweep $1" -a "$ip" "$port" "$ep" UDP
	grep -q "is redirected to internal $ip:$port" <<<"$UPNP_OUT" ||
		fail "upnpc did not map $ep to $ip:$port"
}

# upnp_unmap HOST N: HOST's app releases stream N's port over UPnP IGD.
upnp_unmap()
{
	upnp_client "$1" -d "$(upnp_eport "$2")" UDP
	grep -q 'UPNP_DeletePortMapping() returned : 0' <<<"$UPNP_OUT" ||
		fail "upnpc -d $(upnp_eport "$2") UDP in $1 did not delete the mapping"
}

# upnp_discover HOST: upnpc -s as an app runs it, finding the router by
# SSDP (M-SEARCH to 239.255.255.250:1900), then asking its status (SOAP).
upnp_discover()
{
	local out
	log "\$ ($1) upnpc -s"
	out=$(in_host "$1" timeout 30 upnpc -s 2>&1) ||
		fail "upnpc -s in $1 failed: $out"
	grep -q "Found valid IGD : http://$LAN4:$UPNP_HTTP_PORT/" <<<"$out" ||
		fail "upnpc -s in $1 did not discover the router: $out"
	grep -q "ExternalIPAddress = $UPNP_EXT_IP" <<<"$out" ||
		fail "upnpc -s in $1: the router does not announce $UPNP_EXT_IP: $out"
	log "$1 discovered the router by SSDP; it announces $UPNP_EXT_IP"
}

# upnp_talk_start HOST: HOST's apps keep asking the router, SOAP (upnpc -s:
# several HTTP connections) and NAT-PMP (a public address request), twice
# a second, in the background, so that the clients' flows are new, open
# and closing while ctsweep judges; upnp_talk_stop ends it.
upnp_talk_start()
{
	# shellcheck disable=SC2016 # the inner bash expands them
	spawn UPNP_TALKER "$1" bash -c '
		while :; do
			upnpc -u "$1" -s >/dev/null 2>&1
			natpmpc -g "$2" >/dev/null 2>&1
			sleep 0.5
		done' talk "$UPNP_URL" "$LAN4"
	log "$1 keeps asking the router over SOAP and NAT-PMP (pid $UPNP_TALKER)"
}

upnp_talk_stop()
{
	stop "$UPNP_TALKER"
	UPNP_TALKER=
}

# pmp_client HOST ARGS...: natpmpc in HOST, the router as gateway.
pmp_client()
{
	local host=$1
	shift
	lan_client 6 "$host" natpmpc -g "$LAN4" "$@"
}

# pmp_map HOST N [LIFETIME]: HOST's app asks for stream N's port over
# NAT-PMP (lifetime 0 releases it).
pmp_map()
{
	local port ep life=${3:-3600}
	port=$(upnp_host_port "$1" "$2")
	ep=$(upnp_eport "$2")
	pmp_client "$1" -a "$ep" "$port" udp "$life"
	if [ "$life" = 0 ]; then
		# natpmpc 20150609 prints "liftime"
		grep -Eq "to local port $port (lifetime|liftime) 0$" <<<"$UPNP_OUT" ||
			fail "natpmpc in $1 did not release $port"
	else
		grep -q "Mapped public port $ep protocol UDP to local port $port" <<<"$UPNP_OUT" ||
			fail "natpmpc in $1 did not map $ep to its $port"
	fi
}

pmp_unmap() { pmp_map "$1" "$2" 0; }

# ------------------------------------------------------------ the streams

upnp_rx() { in_host "$1" nft list counter inet upnplab "s$2" 2>/dev/null |
	awk '/packets/ { print $2; exit }'; }

upnp_rx_gt()
{
	local n
	n=$(upnp_rx "$1" "$2")
	[ -n "$n" ] && [ "$n" -gt "$3" ]
}

# upnp_stream_start N: echo services for stream N on A and B, then the
# remote's stream.  Start it once a mapping exists: a flow that starts
# before the forward is never forwarded (the seed's other trap,
# forward-added).
upnp_stream_start()
{
	# shellcheck disable=SC2034 # spawn sets pid
	local n=$1 sp host pid
	sp=$(upnp_sport "$n")
	for host in a b; do
		spawn pid "$host" socat \
			"UDP4-DATAGRAM:$REMOTE4:$sp,bind=:$(upnp_host_port "$host" "$n")" PIPE
	done
	# (lib.sh ends them with the lab)
	start_sender pid "$(upnp_eport "$n")" "$sp"
}

ct_stream() { ct_flow "$(upnp_sport "$1")" "$(upnp_eport "$1")"; }
ct_stream_id() { ct_flow_id "$(upnp_sport "$1")" "$(upnp_eport "$1")"; }
ct_stream_assured() { ct_stream "$1" | grep -q ASSURED; }

# upnp_expect_on N HOST WHAT: stream N reaches HOST and not the other host,
# and its entry's reply comes from HOST's mapped port.
upnp_expect_on()
{
	local n=$1 host=$2 other mark d addr port got
	other=$(upnp_other "$host")
	addr=$(upnp_host_addr "$host")
	port=$(upnp_host_port "$host" "$n")
	mark=$(upnp_rx "$host" "$n")
	[ -n "$mark" ] || fail "$3: no counter s$n at $host"
	wait_until 15 upnp_rx_gt "$host" "$n" "$mark" ||
		fail "$3: stream $n never reached $host (counter stays $mark)"
	sleep 0.3	# packets already on their way to the other host
	mark=$(upnp_rx "$other" "$n")
	sleep 2
	d=$(( $(upnp_rx "$other" "$n") - mark ))
	[ "$d" = 0 ] || fail "$3: $other still received $d packets of stream $n in 2 s"
	got=$(ct_flow_reply "$(upnp_sport "$n")" "$(upnp_eport "$n")" | cut -d' ' -f1,2)
	[ "$got" = "$addr $port" ] ||
		fail "$3: stream $n's entry replies from '$got', expected '$addr $port': $(ct_stream "$n")"
	log "stream $n reaches $host ($addr:$port) and not $other ($3)"
}

# upnp_tag N: tag stream N's live entry, once it is ASSURED.
upnp_tag()
{
	wait_until 20 ct_stream_assured "$1" ||
		fail "stream $1 never became ASSURED: $(ct_stream "$1")"
	ct_flow_tag "$(upnp_sport "$1")" "$(upnp_eport "$1")"
}

# ------------------------------------------------------------ ctsweep

# upnp_sel N: stream N's flow in ctsweep's JSON.
upnp_sel()
{
	echo ".flows[] | select(.proto == \"udp\" and .orig.src == \"$REMOTE4\"
		and .orig.sport == $(upnp_sport "$1") and .orig.dport == $(upnp_eport "$1"))"
}

# expect_stream N VERDICT REASON HOST WHAT: stream N's one flow, its
# verdict, and where the rules send it now (HOST, or none).
expect_stream()
{
	local dnat="null" sel
	sel=$(upnp_sel "$1")
	[ "$4" = none ] ||
		dnat="\"$(upnp_host_addr "$4"):$(upnp_host_port "$4" "$1")\""
	assert_json "[$sel] | length == 1 and (.[0]
		| .verdict == \"$2\" and .reason == \"$3\" and .unknown == null
		  and (.rules.dnat | if $dnat == null then length == 0
			else . == [$dnat] end))" \
		"$5: stream $1 ($(ct_stream "$1" | head -c 300)) is $2${3:+ ($3)}, the rules say ${4}"
	log "ctsweep: stream $1 $2${3:+ ($3)}: $(json "$sel | {now, rules, rule}" | head -c 400)"
}

# The router's own announcements: miniupnpd's SSDP NOTIFYs (every
# notify_interval) and NAT-PMP's public address announcements to
# 224.0.0.1:5350 (and PCP's to 224.0.0.1:5351), at start and again on
# SIGUSR1, which is what a WAN hotplug script sends it.
ct_router_mcast()
{
	ct_list -p udp --orig-src "$LAN4" --orig-dst "$1" --orig-port-dst "$2"
}

# ..._announced, ..._notified: the entry is there with 20 s or more to live
# (sent in the last 10 s), so it outlives the ctsweep runs that follow.
upnp_pmp_announced()
{
	ct_router_mcast 224.0.0.1 5350 | awk '$3 >= 20 { ok = 1 } END { exit !ok }'
}

upnp_ssdp_notified()
{
	ct_router_mcast 239.255.255.250 1900 | awk '$3 >= 20 { ok = 1 } END { exit !ok }'
}

upnp_announce()
{
	kill -USR1 "$UPNP_PID" || fail "cannot signal miniupnpd"
	# It sends them from its main loop, which may sit in select() for a
	# notify_interval first.
	wait_until 30 upnp_pmp_announced ||
		fail "no NAT-PMP announcement 224.0.0.1:5350 in conntrack after SIGUSR1"
	wait_until 30 upnp_ssdp_notified ||
		fail "no SSDP NOTIFY to 239.255.255.250:1900 in conntrack"
	log "the router's announcements: $(ct_router_mcast 224.0.0.1 5350 | head -n 1)"
	log "    $(ct_router_mcast 239.255.255.250 1900 | head -n 1)"
}

# ct_ids_lasting <LISTING: the ids of the entries of a conntrack -L -o id
# listing with 15 s or more to live: they cannot time out while a sweep
# runs, so one missing afterwards was deleted.  Left out: the TCP connections of the
# host upnp_talk_start keeps asking from (B), since the kernel itself
# replaces an entry in TIME_WAIT when a new SYN reuses its tuple.
ct_ids_lasting()
{
	awk -v b="src=$B4" '$3 >= 15 && !($1 == "tcp" && $5 == b)' |
		sed -n 's/.* id=\([0-9]*\).*/\1/p' | sort
}

# ct_ids_all: the ids of every entry, both families (sorted as comm wants).
ct_ids_all()
{
	{ ct_list -f ipv4 -o id; ct_list -f ipv6 -o id; } |
		sed -n 's/.* id=\([0-9]*\).*/\1/p' | sort
}

# ct_by_ids IDS LISTING: the entries of LISTING with those ids.
ct_by_ids()
{
	local id
	for id in $1; do
		grep -E " id=$id( |$)" <<<"$2"
	done
}

# The verdict of every flow on a router where nothing moves, by what the
# flow is.  jq definitions, for upnp_expect_steady.  The router's own IPv4
# multicast leaves on the interface its socket chose (IP_MULTICAST_IF:
# br-lan), which conntrack does not keep; the route would say wan, where
# the masquerade is: unknown, never stale.  Its IPv6 multicast is
# consistent: no rule reads an IPv6 packet's output interface (the
# masquerade is IPv4's).
upnp_classes()
{
	cat <<-EOF
	def lan: (startswith("192.168.50.")) and . != "$LAN4";
	def mcast4: (split(".")[0] | tonumber) as \$o | \$o >= 224 and \$o < 240;
	def cls:
	  if .orig.src == "$REMOTE4" then "stream"
	  elif .family == "ipv4" and (.orig.src | lan) and .orig.dst == "$LAN4"
	    then "client to router"
	  elif .family == "ipv4" and .orig.src == "$LAN4" and (.orig.dst | lan)
	    then "router to client"
	  elif .family == "ipv4" and (.orig.src | lan)
	    and .orig.dst == "239.255.255.250" and .orig.dport == 1900
	    then "client M-SEARCH"
	  elif .family == "ipv4" and .orig.src == "$LAN4" and (.orig.dst | mcast4)
	    then "router multicast"
	  elif .family == "ipv6" and (.orig.dst | startswith("ff"))
	    and (.orig.sport == 5351 or .orig.dport == 1900)
	    then "router multicast6"
	  else "other" end;
	def expected:
	  if cls == "router multicast" then .verdict == "unknown"
	    and .unknown == "output interface of a local multicast or broadcast (the socket's)"
	    and (.deleted | not)
	  elif cls == "other" then false
	  else .verdict == "consistent" end;
	EOF
}

# upnp_expect_steady WHAT: on the last ctsweep document, every flow has the
# verdict its class must have (the router's own IPv4 announcements, which
# leave on the interface their socket chose, are unknown, never stale),
# nothing is stale or deleted, and the flows the case made are there.
upnp_expect_steady()
{
	local defs
	defs=$(upnp_classes)
	jq -r "$defs"' .flows[] | "\(cls) \(.proto): \(.verdict)'\
'\(if .reason != "" then " (" + .reason + ")" else "" end)'\
'\(if .unknown then ": " + .unknown else "" end)"' "$CTS_OUT" |
		sort | uniq -c | sed 's/^/    | /'
	assert_json "$defs"' [.flows[] | select(expected | not)] | length == 0' \
		"$1: a flow whose verdict is not its class's: $(jq -c "$defs"' [.flows[] | select(expected | not) | {cls: cls, orig, verdict, reason, unknown}] | .[:5]' "$CTS_OUT" | head -c 1500)"
	assert_json '.summary.stale == 0 and .summary.deleted == 0' \
		"$1: nothing stale, nothing deleted"
	assert_json "$defs"' [.flows[] | select(cls == "router multicast")
		| .orig.dst] | (index("224.0.0.1") != null
		  and index("239.255.255.250") != null)' \
		"$1: the router's NAT-PMP announcement and SSDP NOTIFY are judged"
	assert_json "$defs"' [.flows[] | select(cls == "client to router"
		and .proto == "udp" and .orig.dport == 5351)] | length > 0' \
		"$1: a NAT-PMP request is judged"
	expect_stream 0 consistent "" a "$1"
	expect_stream 1 consistent "" a "$1"
}

lab_dump_extra()
{
	echo "-- miniupnpd (pid $UPNP_PID, $UPNP_BACKEND): last 30 log lines"
	tail -n 30 "$UPNP_LOG" 2>&1
	echo "-- miniupnpd's dnat rules"
	upnp_rules 2>&1
	local host n
	for host in a b; do
		for n in 0 1 2 3; do
			echo "-- $host s$n: $(upnp_rx "$host" "$n")"
		done
	done
}

# Stop miniupnpd before lib.sh's cleanup removes the namespaces (also on
# failure): its own exit removes its rules, which must happen in the
# router, not nowhere.
upnp_exit()
{
	local rc=$?
	trap - EXIT
	[ "$BASHPID" = "$$" ] || exit "$rc"
	upnp_stop
	(exit "$rc")
	lab_cleanup
}
trap upnp_exit EXIT
