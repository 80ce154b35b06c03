#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The real firewalld (Debian 12's 1.3.3, FirewallBackend=nftables) owns the
# router's firewall: it runs inside the router namespace and writes its own
# "table inet firewalld" there; the case configures it only through
# firewall-cmd, at runtime, as a user does:
#
#   wan     zone external (masquerade), forward-port 53820/udp -> A:51820
#   br-lan  zone internal
#
# firewalld dispatches by zone: nat_PREROUTING jumps to
# nat_PREROUTING_ZONES, which sends "iifname wan" to nat_PRE_external, which
# jumps to nat_PRE_external_allow, where the forward-port is a
# "dnat ip to"; masquerade is nat_POST_external_allow's.  firewalld deletes
# no conntrack entry when a forward-port changes.
#
#   1. the seed: the peer's stream is DNATed to A, consistent, none unknown;
#   2. the forward is switched to B:53820 (--remove-forward-port, then
#      --add-forward-port): the flow stays on A, stale (forward-changed),
#      and sweep moves it to B;
#   3. the forward is removed: the flow stays on B, stale (forward-removed),
#      and sweep ends it (firewalld then rejects the port);
#   4. back to A at runtime and a new flow; the permanent configuration
#      (zone files in firewalld's config directory, as an administrator
#      edits them; no --permanent, no --runtime-to-permanent) says B, and
#      "firewall-cmd --reload" replaces the whole table: stale
#      (forward-changed), and sweep moves the flow to B.
#
# firewalld needs a system bus.  The case always starts its own
# (dbus-daemon with a config under $LAB_TMP, listening on a unix socket
# there, no service activation, no polkit on it: firewalld then authorizes
# by uid 0), never the host's, so neither firewalld nor firewall-cmd can
# reach a firewalld of the host's.  firewalld gets its own system config
# directory (--system-config under $LAB_TMP; /usr/lib/firewalld is only
# read), logs to its stdout, writes no pid file, and runs in a private mount
# namespace with a tmpfs on /run, so its runtime directory /run/firewalld is
# not the host's.  The case checks that the host's /etc/firewalld,
# /run/firewalld and nftables ruleset are as they were.  Both daemons run in
# the router namespace: they are stopped on exit (also on failure), and
# lib.sh ends anything left there.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-peer.sh"

FW_DIR=$LAB_TMP/firewalld
FW_ETC=$FW_DIR/etc		# firewalld --system-config
FW_BUS_SOCK=$FW_DIR/system_bus_socket
FW_BUS=unix:path=$FW_BUS_SOCK
FW_LOG=$FW_DIR/firewalld.log
FW_USR=/usr/lib/firewalld	# firewalld's defaults (zones), read only

FWD_A="port=$FWD_PORT:proto=udp:toport=$PEER_PORT:toaddr=$A4"
FWD_B="port=$FWD_PORT:proto=udp:toport=$FWD_PORT:toaddr=$B4"
DNAT_A="udp dport $FWD_PORT dnat ip to $A4:$PEER_PORT"
DNAT_B="udp dport $FWD_PORT dnat ip to $B4:$FWD_PORT"

FIREWALLD=
DBUS=

# ---------------------------------------------------------------- daemons

# fwcmd ARGS...: firewall-cmd, on the case's own bus.
fwcmd()
{
	in_rtr env DBUS_SYSTEM_BUS_ADDRESS="$FW_BUS" firewall-cmd "$@"
}

# fw ARGS...: firewall-cmd as the user types it; failing is a broken lab.
fw()
{
	local out
	log "\$ firewall-cmd $*"
	out=$(fwcmd "$@" 2>&1) ||
		fail "firewall-cmd $* failed: $out; firewalld log: $(tail -n 5 "$FW_LOG")"
	[ -z "$out" ] || sed 's/^/    | /' <<<"$out"
}

bus_answers()
{
	DBUS_SYSTEM_BUS_ADDRESS=$FW_BUS dbus-send --system --print-reply \
		--dest=org.freedesktop.DBus / org.freedesktop.DBus.GetId \
		>/dev/null 2>&1
}

fw_running()
{
	[ "$(fwcmd --state 2>/dev/null)" = running ]
}

fw_running_or_gone()
{
	fw_running || ! kill -0 "$FIREWALLD" 2>/dev/null
}

# fw_backend: firewalld's FirewallBackend, as it reports it on the bus.
fw_backend()
{
	in_rtr env DBUS_SYSTEM_BUS_ADDRESS="$FW_BUS" dbus-send --system \
		--print-reply --dest=org.fedoraproject.FirewallD1 \
		/org/fedoraproject/FirewallD1/config \
		org.freedesktop.DBus.Properties.Get \
		string:org.fedoraproject.FirewallD1.config \
		string:FirewallBackend 2>&1 | sed -n 's/.*string "\(.*\)"/\1/p'
}

start_bus()
{
	mkdir -p "$FW_DIR" || fail "cannot create $FW_DIR"
	# Only root connects (EXTERNAL auth); everything allowed on it.  No
	# <servicedir>: nothing is activated, polkit included.
	cat >"$FW_DIR/bus.conf" <<-EOF
	<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
	 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
	<busconfig>
	  <type>system</type>
	  <listen>$FW_BUS</listen>
	  <auth>EXTERNAL</auth>
	  <policy context="default">
	    <allow user="root"/>
	    <allow own="*"/>
	    <allow send_destination="*"/>
	    <allow receive_sender="*"/>
	  </policy>
	</busconfig>
	EOF
	spawn DBUS rtr dbus-daemon --config-file="$FW_DIR/bus.conf" \
		--nofork --nopidfile --print-address
	wait_until 10 bus_answers ||
		fail "the case's system bus does not answer at $FW_BUS: $(tail -n 5 "$LAB_TMP/bg.log")"
	log "system bus of the case: $FW_BUS (dbus-daemon pid $DBUS)"
}

start_firewalld()
{
	mkdir -p "$FW_ETC" || fail "cannot create $FW_ETC"
	# Debian's /etc/firewalld/firewalld.conf, written out: the case does
	# not depend on what the host's says.
	cat >"$FW_ETC/firewalld.conf" <<-EOF
	DefaultZone=public
	CleanupOnExit=yes
	CleanupModulesOnExit=no
	Lockdown=no
	IPv6_rpfilter=yes
	IndividualCalls=no
	LogDenied=off
	FirewallBackend=nftables
	FlushAllOnReload=yes
	RFC3964_IPv4=yes
	EOF
	log "\$ ip netns exec RTR firewalld --nofork --nopid --system-config $FW_ETC --log-target console"
	setsid ip netns exec "$NS_RTR" unshare --mount --propagation private \
		sh -c 'mount -t tmpfs -o mode=0755,size=1m ctsweep-fw /run &&
			bus=$1; shift
			exec env DBUS_SYSTEM_BUS_ADDRESS="$bus" firewalld "$@"' \
		sh "$FW_BUS" --nofork --nopid --system-config "$FW_ETC" \
		--log-target console </dev/null >"$FW_LOG" 2>&1 &
	FIREWALLD=$!
	LAB_PIDS+=("$FIREWALLD")
	wait_until 60 fw_running_or_gone
	kill -0 "$FIREWALLD" 2>/dev/null ||
		fail "firewalld exited: $(tail -n 20 "$FW_LOG")"
	fw_running ||
		fail "firewalld is not running after 60 s: $(fwcmd --state 2>&1); log: $(tail -n 20 "$FW_LOG")"
	log "firewalld $(fwcmd --version) is running in the router (pid $FIREWALLD)"
	[ "$(fw_backend)" = nftables ] ||
		fail "firewalld's FirewallBackend is '$(fw_backend)', expected nftables"
	log "firewalld's FirewallBackend: nftables"
}

# firewalld, then the bus it is on: also on failure, before lib.sh's
# cleanup removes the namespaces.
fw_exit()
{
	local rc=$?
	trap - EXIT
	[ "$BASHPID" = "$$" ] || exit "$rc"
	[ -n "$FIREWALLD" ] && stop "$FIREWALLD"
	[ -n "$DBUS" ] && stop "$DBUS"
	(exit "$rc")
	lab_cleanup
}
trap fw_exit EXIT

expect_fw_log_clean()
{
	grep -E 'ERROR|Traceback' "$FW_LOG" >"$FW_DIR/errors" &&
		fail "$1: firewalld logged errors: $(head -c 1500 "$FW_DIR/errors")"
	log "firewalld logged no error ($1)"
}

# ------------------------------------------------------- the host untouched

HOST_STATE_WHAT="/etc/firewalld, /run/firewalld and nftables ruleset"
host_state()
{
	{
		echo "-- /etc/firewalld"
		find /etc/firewalld -printf '%p %y %m %s %T@\n' 2>&1 | sort
		find /etc/firewalld -type f -exec md5sum {} + 2>&1 | sort
		echo "-- /run/firewalld"
		find /run/firewalld -printf '%p %y %m %s\n' 2>&1 | sort
		echo "-- /var/log/firewalld"
		ls -l /var/log/firewalld 2>&1
		echo "-- nft list ruleset"
		nft list ruleset 2>&1 |
			sed 's/packets [0-9]* bytes [0-9]*//'
	}
}

# ---------------------------------------------------------------- rules

# fw_rules: firewalld's table in the router, without its empty chains.
fw_rules()
{
	in_rtr nft list table inet firewalld 2>&1 | awk '
		/^$/ { next }
		/^\tchain .* \{$/ { head = $0; body = ""; inside = 1; next }
		inside && /^\t\}$/ {
			if (body != "") print "\n" head body "\n" $0
			inside = 0; next
		}
		inside { body = body "\n" $0; next }
		{ print }'
}

# show_rules WHAT: firewalld's rules into the log (empty chains left out).
show_rules()
{
	fw_rules >"$FW_DIR/rules.$1"
	log "nft list table inet firewalld ($1; $(in_rtr nft list table inet firewalld |
		grep -c '^	chain') chains, the empty ones left out):"
	sed 's/^/    | /' "$FW_DIR/rules.$1"
}

# chain_has CHAIN TEXT
chain_has()
{
	in_rtr nft list chain inet firewalld "$1" 2>/dev/null | grep -qF -- "$2"
}

expect_forward()
{
	chain_has nat_PRE_external_allow "$1" ||
		fail "$3: nat_PRE_external_allow lacks '$1': $(in_rtr nft list chain inet firewalld nat_PRE_external_allow 2>&1)"
	[ -z "$2" ] || ! chain_has nat_PRE_external_allow "$2" ||
		fail "$3: nat_PRE_external_allow still has '$2'"
	log "firewalld's nat_PRE_external_allow: $(in_rtr nft list chain inet firewalld nat_PRE_external_allow |
		grep -E 'dnat|masquerade' | sed 's/^[[:space:]]*//' | tr '\n' ';') ($3)"
}

expect_no_forward()
{
	in_rtr nft list table inet firewalld | grep -Eq 'dnat (ip |ip6 )?to' &&
		fail "$1: firewalld's table still has a dnat: $(in_rtr nft list table inet firewalld | grep -E 'dnat (ip |ip6 )?to')"
	log "firewalld's table has no dnat ($1)"
}

table_handle()
{
	in_rtr nft -a list table inet firewalld | sed -n '1s/.*# handle \([0-9]*\)$/\1/p'
}

# ------------------------------------------------------------------ ctsweep

# unknown_causes: what made flows unknown, if any, into the log.
unknown_causes()
{
	log "unknown by cause: $(json .summary.unknown_by_cause)"
	jq -c '.flows[] | select(.verdict == "unknown")
		| {orig, reply, unknown, rule}' "$CTS_OUT" 2>/dev/null |
		head -n 10 | sed 's/^/    | unknown: /'
}

# expect_status RC STALE REASON WHAT: ctsweep status, none unknown.
expect_status()
{
	cts -v status --json
	assert_json_contract status false
	[ "$(json .summary.unknown)" = 0 ] || unknown_causes
	assert_json '.summary.unknown == 0' "$4: nothing unknown"
	assert_rc "$1" "$4"
	assert_json ".summary.stale == $2" "$4: $2 stale"
	[ -z "$3" ] ||
		assert_json ".summary.by_reason[\"$3\"] == $2" "$4: $2 $3"
}

# expect_seed VERDICT REASON WHAT [EXTRA-FILTER]: the seed flow's verdict,
# from firewalld's forward-port rule.
expect_seed()
{
	assert_json "[$SEED_SEL] | length == 1 and (.[0]
		| .verdict == \"$1\" and .reason == \"$2\" and .unknown == null
		${4:+and ($4)})" \
		"$3: the seed flow ($(ct_seed | head -c 300)) is $1${2:+ ($2)}"
	log "ctsweep: seed flow $1${2:+ ($2)}: $(json "$SEED_SEL | {now, rules, rule}" | head -c 500)"
}

# stale_until_swept ID WHAT: after WHAT (a switch of the forward to B)
# firewalld has kept the seed's entry (ID, still to A); status calls it
# stale, firewalld's rule sending it to B; sweep deletes it, and only it,
# and the stream moves to B.
stale_until_swept()
{
	expect_stuck_on_a "$2"
	expect_seed_id "$1" "$2"
	log "firewalld kept the conntrack entry ($2): the flow stays on A"
	expect_status 1 1 forward-changed "$2"
	expect_seed stale forward-changed "$2" \
		".now.dnat == \"$A4:$PEER_PORT\" and .rules.dnat == [\"$B4:$FWD_PORT\"]
		 and (.rule | contains(\"nat_PRE_external_allow\"))"
	cts sweep --json
	expect_seed_swept
	assert_json '.summary.unknown == 0' "sweep after $2: nothing unknown"
	expect_moved_to_b "sweep after $2"
}

lab_dump_fw()
{
	echo "-- firewalld (pid $FIREWALLD): state $(fwcmd --state 2>&1)"
	fwcmd --get-active-zones 2>&1
	fwcmd --zone=external --list-all 2>&1
	echo "-- firewalld's log (last 20 lines)"
	tail -n 20 "$FW_LOG" 2>&1
	echo "-- firewalld's nat chains (the empty ones left out)"
	fw_rules | awk '/^\tchain / { p = ($2 ~ /^nat_/) } p'
}
eval "$(declare -f lab_dump | sed '1s/^lab_dump/lab_dump_base/')"
lab_dump()
{
	lab_dump_base
	lab_dump_fw
}

# ---------------------------------------------------------------- the case

topo_standard --fw none
for t in firewalld firewall-cmd dbus-daemon dbus-send; do
	command -v "$t" >/dev/null ||
		fail "$t not found (Debian packages firewalld, dbus; run 'sudo make deps')"
done
mkdir -p "$FW_DIR" || fail "cannot create $FW_DIR"
host_state_save

step "firewalld in the router, on the case's own system bus"
start_bus
start_firewalld
in_rtr nft list table inet firewalld >/dev/null 2>&1 ||
	fail "firewalld wrote no table inet firewalld in the router"
expect_host_untouched "firewalld started"

step "configure firewalld at runtime: wan external, br-lan internal, forward 53820 -> A"
fw --zone=external --change-interface=wan
fw --zone=internal --change-interface=br-lan
[ "$(fwcmd --zone=external --query-masquerade)" = yes ] ||
	fail "zone external does not masquerade"
fw --zone=external --add-forward-port="$FWD_A"
fw --get-active-zones
fw --zone=external --list-forward-ports
show_rules "forward to A"
expect_forward "$DNAT_A" "" "forward to A"
chain_has nat_PREROUTING_ZONES 'iifname "wan" goto nat_PRE_external' ||
	fail "firewalld does not send wan's packets to nat_PRE_external"
chain_has nat_POST_external_allow masquerade ||
	fail "zone external has no masquerade rule"
[ "$(in_rtr nft list tables)" = "table inet firewalld" ] ||
	fail "the router has tables besides firewalld's: $(in_rtr nft list tables)"

step "1. the seed flow to A: consistent"
seed_traffic
id_a=$(ct_seed_id)
expect_status 0 0 "" "forward to A"
expect_seed consistent "" "forward to A" \
	".now.dnat == \"$A4:$PEER_PORT\" and .rules.dnat == [\"$A4:$PEER_PORT\"]
	 and (.rule | contains(\"nat_PRE_external_allow\"))"
expect_seed_id "$id_a" "status"

step "2. switch the forward to B as a user does: remove, then add"
fw --zone=external --remove-forward-port="$FWD_A"
fw --zone=external --add-forward-port="$FWD_B"
fw --zone=external --list-forward-ports
expect_forward "$DNAT_B" "$DNAT_A" "forward to B"
stale_until_swept "$id_a" "firewall-cmd switched the forward to B"
expect_ct_reply "$B4" "$FWD_PORT" "after the sweep"
wait_until 20 ct_seed_assured || fail "the flow to B never became ASSURED: $(ct_seed)"
ct_tag ipv4 udp --orig-port-src "$PEER_PORT" --orig-port-dst "$FWD_PORT"
id_b=$(ct_seed_id)
expect_status 0 0 "" "the flow on B"
expect_seed consistent "" "the flow on B" ".now.dnat == \"$B4:$FWD_PORT\""

step "3. remove the forward"
fw --zone=external --remove-forward-port="$FWD_B"
fw --zone=external --list-forward-ports
expect_no_forward "forward removed"
expect_rx b 5 "forward removed, the flow still goes to B"
expect_seed_id "$id_b" "firewall-cmd removed the forward"
expect_ct_reply "$B4" "$FWD_PORT" "forward removed"
expect_status 1 1 forward-removed "forward removed"
expect_seed stale forward-removed "forward removed" \
	".now.dnat == \"$B4:$FWD_PORT\" and .rules.dnat == []"
cts sweep --json
assert_rc 0 "sweep of the removed forward"
assert_json_contract sweep false
assert_json "$SEED_SEL | .deleted" "sweep deleted the seed flow"
assert_json '.summary.deleted == 1 and .summary.unknown == 0' \
	"sweep deleted exactly one flow, nothing unknown"
# No mirror (see 18-sweep-mirror.sh) can take the stream back to B: B's
# late answer would be a new flow from zone internal to external, which
# firewalld rejects (filter_FWD_internal forwards within the zone only).
sleep 0.3	# packets already queued towards B
expect_no_rx b 2 "after the sweep of the removed forward"
expect_no_rx a 1 "after the sweep of the removed forward"
[ -z "$(ct_seed_id)" ] ||
	fail "after the sweep the seed flow exists again: $(ct_seed)"
log "the peer's stream ends at the router (firewalld rejects the port)"
expect_status 0 0 "" "after the sweep of the removed forward"

step "4. forward to A again at runtime, a new flow; the permanent config says B"
stop "$SENDER"
sleep 0.5	# nothing of the stream in flight
in_rtr conntrack -F >/dev/null 2>&1 || fail "cannot flush the router's conntrack table"
fw --zone=external --add-forward-port="$FWD_A"
expect_forward "$DNAT_A" "$DNAT_B" "forward to A again"
start_sender SENDER
expect_rx a 15 "stream forwarded to A again"
wait_until 20 ct_seed_assured || fail "the new flow to A never became ASSURED: $(ct_seed)"
expect_ct_reply "$A4" "$PEER_PORT" "the new flow to A"
ct_tag ipv4 udp --orig-port-src "$PEER_PORT" --orig-port-dst "$FWD_PORT"
id_a=$(ct_seed_id)
expect_status 0 0 "" "forward to A again"
expect_seed consistent "" "forward to A again" ".now.dnat == \"$A4:$PEER_PORT\""
# The permanent configuration, as an administrator writes it: firewalld's
# own zone files with the interfaces and the forward to B added.
mkdir -p "$FW_ETC/zones" || fail "cannot create $FW_ETC/zones"
sed "s|^</zone>|  <interface name=\"wan\"/>\n  <forward-port port=\"$FWD_PORT\" protocol=\"udp\" to-port=\"$FWD_PORT\" to-addr=\"$B4\"/>\n</zone>|" \
	"$FW_USR/zones/external.xml" >"$FW_ETC/zones/external.xml" &&
sed "s|^</zone>|  <interface name=\"br-lan\"/>\n</zone>|" \
	"$FW_USR/zones/internal.xml" >"$FW_ETC/zones/internal.xml" ||
	fail "cannot write the permanent zone files"
grep -q "to-addr=\"$B4\"" "$FW_ETC/zones/external.xml" &&
grep -q 'interface name="br-lan"' "$FW_ETC/zones/internal.xml" ||
	fail "the permanent zone files lack the forward or the interfaces"
sed 's/^/    | external.xml: /' "$FW_ETC/zones/external.xml"
fw --check-config

step "firewall-cmd --reload: the whole table rewritten, forward to B"
handle=$(table_handle)
fw --reload
wait_until 30 fw_running || fail "firewalld is not running after the reload"
fw --get-active-zones
[ "$(fwcmd --zone=external --list-forward-ports)" = "$FWD_B" ] &&
[ "$(fwcmd --permanent --zone=external --list-forward-ports)" = "$FWD_B" ] ||
	fail "after the reload the forward ports are not the zone file's: $(fwcmd --zone=external --list-forward-ports 2>&1)"
log "firewalld's forward ports, runtime and permanent: $FWD_B"
[ "$(fwcmd --get-zone-of-interface=wan)" = external ] &&
[ "$(fwcmd --get-zone-of-interface=br-lan)" = internal ] ||
	fail "after the reload wan and br-lan are not in their zones"
show_rules "after the reload"
expect_forward "$DNAT_B" "$DNAT_A" "after the reload"
[ "$(table_handle)" != "$handle" ] ||
	fail "firewalld's table has the same handle after the reload ($handle)"
log "firewalld replaced its table: handle $handle, now $(table_handle)"
stale_until_swept "$id_a" "firewall-cmd --reload"
expect_ct_reply "$B4" "$FWD_PORT" "after the sweep"
wait_until 20 ct_seed_assured || fail "the flow to B never became ASSURED: $(ct_seed)"
expect_status 0 0 "" "after the reload and the sweep"
expect_seed consistent "" "after the reload and the sweep" \
	".now.dnat == \"$B4:$FWD_PORT\""

expect_fw_log_clean "at the end"
expect_host_untouched "at the end"
pass
