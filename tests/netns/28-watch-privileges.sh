#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Least privilege.  Started as root with every capability, "ctsweep watch"
# enters the namespace, opens its sockets, and then holds CAP_NET_ADMIN and
# CAP_NET_RAW only (effective, permitted; nothing inheritable or ambient),
# with the bounding set narrowed to the same two and no_new_privs set.  It
# still does its job: a forward switch reaches B, and an iptables-legacy
# nat table created afterwards is read (that read needs CAP_NET_RAW).
# Then as under the systemd unit: no CAP_SETPCAP, so the bounding set
# cannot be narrowed (left as given, which is fine); the rest is the same,
# and a switch back to A works.
. "$(dirname "$0")/watchlib.sh"

NET_ADMIN_RAW=0000000000003000	# bits 12 and 13

# cap_field PID NAME: a field of /proc/PID/status ("CapEff", "NoNewPrivs").
cap_field()
{
	awk -v f="$2:" '$1 == f { print $2; exit }' "/proc/$1/status"
}

# expect_caps PID BOUNDING WHAT: the daemon holds exactly NET_ADMIN and
# NET_RAW, the bounding set is BOUNDING, no_new_privs is set.
expect_caps()
{
	local pid=$1 bnd=$2 what=$3 f v
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = ctsweep ] ||
		fail "$what: pid $pid is '$(cat "/proc/$pid/comm" 2>/dev/null)', not ctsweep"
	for f in CapEff CapPrm; do
		v=$(cap_field "$pid" "$f")
		[ "$v" = "$NET_ADMIN_RAW" ] ||
			fail "$what: $f is $v ($(capsh --decode="$v" 2>/dev/null)), expected NET_ADMIN|NET_RAW ($NET_ADMIN_RAW)"
	done
	for f in CapInh CapAmb; do
		v=$(cap_field "$pid" "$f")
		[ "$v" = 0000000000000000 ] || fail "$what: $f is $v, expected empty"
	done
	v=$(cap_field "$pid" CapBnd)
	[ "$v" = "$bnd" ] || fail "$what: CapBnd is $v, expected $bnd"
	v=$(cap_field "$pid" NoNewPrivs)
	[ "$v" = 1 ] || fail "$what: NoNewPrivs is '$v', expected 1"
	[ "$(awk '$1 == "Uid:" { print $3 }' "/proc/$pid/status")" = 0 ] ||
		fail "$what: the effective uid changed"
	log "$what: CapEff=CapPrm=$NET_ADMIN_RAW CapBnd=$bnd NoNewPrivs=1"
}

topo_standard
# Make sure this shell can give what the daemon is to keep, and that it has
# CAP_SETPCAP for the first part.
eff=$(cap_field $$ CapEff)
(( (0x$eff & 0x3000) == 0x3000 && (0x$eff & 0x100) )) ||
	fail "the test itself runs without CAP_NET_ADMIN/NET_RAW/SETPCAP (CapEff $eff)"

step "forward 53820 -> A:51820; watch started as root with every capability"
forward_to "$A4:51820"
watch_start --legacy-poll 200
expect_caps "$WATCH_PID" "$NET_ADMIN_RAW" "root with CAP_SETPCAP"
watch_logged 'capabilities CAP_NET_ADMIN CAP_NET_RAW; no_new_privs' ||
	fail "the start line does not say what the daemon kept"
seed_traffic

step "switch the forward to B: the reduced daemon still deletes"
forward_to "$B4:53820"
expect_moved_to_b "switch with reduced privileges"
watch_expect_log 10 'deleted 1 stale flow \(forward-changed 1\)' \
	"watch deletes the stale flow"

step "an iptables-legacy nat table appears later: still readable (CAP_NET_RAW)"
if in_rtr iptables-legacy -t nat -A PREROUTING -i wan -p udp --dport 40000 \
	-j DNAT --to-destination "$A4:40000" 2>/dev/null; then
	watch_expect_log 10 'iptables-legacy tables changed \(IPv4\)' \
		"the legacy poll reads the new table"
	watch_logged 'cannot read' &&
		fail "watch could not read something: $(grep 'cannot read' "$WATCH_LOG" | head -n 2)"
	in_rtr iptables-legacy -t nat -F PREROUTING
else
	log "note: no iptables-legacy nat table in this kernel; legacy read not checked"
fi
watch_no_errors "reduced privileges"
watch_stop
[ "$WATCH_RC" = 0 ] || fail "watch exited $WATCH_RC on SIGTERM"

step "as under the systemd unit: no CAP_SETPCAP, bounding set left as given"
# Bounding set NET_ADMIN, NET_RAW and SYS_ADMIN: the daemon cannot narrow
# it, but keeps only the two in its effective and permitted sets.
bnd=0000000000203000
watch_start_cmd ip netns exec "$NS_RTR" setpriv --inh-caps=-all \
	--bounding-set=-all,+net_admin,+net_raw,+sys_admin \
	"$CTSWEEP" -v watch --legacy-poll 200
expect_caps "$WATCH_PID" "$bnd" "no CAP_SETPCAP"
forward_to "$A4:51820"
expect_rx a:anyrx 10 "switch back to A, bounding set not narrowed"
sleep 0.3
expect_no_rx b 2 "switch back to A, bounding set not narrowed"
watch_expect_log 10 'deleted 1 stale flow \(forward-changed 1\)' \
	"the second daemon deletes the stale flow"
watch_no_errors "no CAP_SETPCAP"
watch_stop
[ "$WATCH_RC" = 0 ] || fail "watch exited $WATCH_RC on SIGTERM"
pass
