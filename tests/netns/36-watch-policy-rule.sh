#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A policy rule alone moves a source-NATed flow, and watch hears it.
# Multi-WAN routers (mwan3, a script's `ip rule`) steer the LAN out of an
# uplink with a policy rule and fail over by removing it.  Here the LAN
# leaves by wan1 through "from 192.168.50.0/24 lookup 100" while the main
# table's default route is wan0.  While the rule is there the judge cannot
# infer the output interface (a policy rule can route by what the main
# table does not show) and calls the flow unknown: kept.  Then only the
# rule is deleted, no route or address changes: the flow now leaves by
# wan0 still as 198.51.100.1 and the peer drops it.  Watch (periodic
# resync off) must hear the rule's deletion on its route socket, judge the
# flow snat-changed and delete it; the next packet leaves as 203.0.113.1.
# Without the rule groups on that socket nothing would move it.
# Topology: lib-failover.sh.
. "$(dirname "$0")/watchlib.sh"
. "$(dirname "$0")/lib-failover.sh"

LAN_NET=192.168.50.0/24

topo_failover
in_rtr ip route add default via "$PEER1" dev wan1 table 100 &&
	in_rtr ip rule add from "$LAN_NET" lookup 100 priority 100 ||
	fail "cannot add the policy route"
in_rtr ip route get "$SVC" from "$A4" iif lan | grep -q "dev wan1" ||
	fail "the lan is not routed by wan1: $(in_rtr ip route get "$SVC" from "$A4" iif lan)"

step "the lan host's flow leaves by wan1 (policy rule) as $WAN1"
sip_flow_start rx1 wan1 "$WAN1"

step "watch (no periodic resync): the flow is unknown while a policy rule routes it"
# The links' IPv6 addresses finish their duplicate address detection a
# second or two after the links came up, and each is a notification on
# watch's route socket: one of those after the rule's deletion would make
# watch reread the routes for a reason of its own.  So the lab settles
# first, and must stay quiet while watch runs.
rtr_tentative()
{
	[ -z "$(in_rtr ip -6 addr show tentative)" ]
}
wait_until 10 rtr_tentative ||
	fail "lab: IPv6 addresses still tentative: $(in_rtr ip -6 addr show tentative)"
watch_start --resync 0 --stats "$LAB_TMP/watch.prom"
watch_start_said 'deleted 0 stale flows; 1 unknown' ||
	fail "the start pass did not call the flow unknown: $(grep 'start:' "$WATCH_LOG")"
expect_flow_kept "$SIP" "$SIP" "$id_udp" "an unknown flow is never deleted"
sleep 1.5
! watch_logged 'routes or addresses changed' ||
	fail "lab: the routes changed by themselves: $(grep 'routes or' "$WATCH_LOG")"

step "failover: only the policy rule goes"
in_rtr ip rule del from "$LAN_NET" lookup 100 priority 100 ||
	fail "cannot delete the policy rule"
in_rtr ip route show table 100 | grep -q "dev wan1" ||
	fail "the table-100 route went with the rule"
watch_expect_log 10 'routes or addresses changed.*deleted 1 stale flow' \
	"the reaction to the rule's deletion"
expect_peer_rx rx0 10 "after the reaction the flow arrives from $WAN0"
wait_until 10 ct_flow_exists "$SIP" "$SIP" || fail "the flow did not come back"
[ "$(ct_flow_reply "$SIP" "$SIP" | cut -d' ' -f3)" = "$WAN0" ] ||
	fail "the new entry is not source-NATed to $WAN0: $(ct_flow "$SIP" "$SIP")"
expect_flow_replaced "$SIP" "$SIP" "after the rule's deletion"
[ "$(stat_value flows_deleted_total 'reason="snat-changed"')" = 1 ] ||
	fail "stats: $(grep flows_deleted_total "$LAB_TMP/watch.prom")"
watch_no_errors "policy rule"
watch_stop
[ "$WATCH_RC" = 0 ] || fail "watch exited $WATCH_RC on SIGTERM"
pass
