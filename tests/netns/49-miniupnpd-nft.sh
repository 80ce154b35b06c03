#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The real miniupnpd (Debian 12's miniupnpd-nftables 2.3.1; case 50 runs
# this case with miniupnpd-iptables) in the router, its forwards asked for
# by the real clients in the LAN hosts: upnpc (UPnP IGD, SOAP over HTTP)
# and natpmpc (NAT-PMP).  Its chains are its init script's
# (tests/peers/miniupnpd-nft.nft, verbatim); the router also masquerades
# IPv4 out of the WAN and has a default route there.  See lib-upnp.sh for
# the daemon's configuration and the streams.
#
#   1. Nothing moves: A maps stream 0 over UPnP and stream 1 over NAT-PMP,
#      both stream; the clients talk SOAP (upnpc -l, -s with SSDP
#      discovery) and NAT-PMP (a public address request), B's without a
#      pause while ctsweep runs; miniupnpd sends its SSDP NOTIFYs and
#      NAT-PMP announcements.  status exits 0 with every verdict as its
#      flow's class says: the streams and the clients' flows consistent,
#      the router's own IPv4 multicast unknown (the socket chose its
#      interface: the routing table would say wan, where the masquerade
#      is), never stale; sweep --tcp deletes no conntrack id.
#   2. UPnP moves stream 0 from A to B (A's app deletes its mapping, B's
#      adds one): stale (forward-removed), then stale (forward-changed);
#      the flow stays on A until sweep moves it to B.
#   3. NAT-PMP moves stream 1 the same way (lifetime 0, then B's request).
#   4. With ctsweep watch running: streams 2 (UPnP) and 3 (NAT-PMP) mapped
#      to A, then moved to B by the clients; watch moves both flows with
#      no sweep, deletes them for what the mapping changes say (forward-*)
#      and nothing else.  (With the iptables backend watch hears the change
#      at its next legacy poll; nothing here depends on when.)
#
# miniupnpd never touches conntrack: a moved mapping leaves the flow on A.
# The case checks that the host's rulesets are unchanged and that the
# announced ext_ip never receives a packet.
. "$(dirname "$0")/watchlib.sh"
. "$(dirname "$0")/lib-legacy.sh"
. "$(dirname "$0")/lib-upnp.sh"
. "$(dirname "$0")/lib-peer.sh"

HOST_STATE_WHAT="nftables and iptables-legacy rulesets"
host_state()
{
	nft list ruleset 2>&1 | sed 's/packets [0-9]* bytes [0-9]*//'
	iptables-legacy-save 2>&1 | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'
}

# expect_status RC STALE WHAT [REASON]: status, the count of stale flows
# (all of REASON when given).
expect_status()
{
	cts -v status --json
	assert_json_contract status false
	assert_rc "$1" "$3"
	assert_json ".summary.stale == $2" "$3: $2 stale"
	[ -z "${4:-}" ] ||
		assert_json ".summary.by_reason[\"$4\"] == $2" "$3: $2 $4"
}

# move_with_sweep N PROTO: stream N's mapping moves from A to B by PROTO's
# client (upnp or pmp); sweep moves the flow.
move_with_sweep()
{
	local n=$1 p=$2 id sel
	sel=$(upnp_sel "$n")
	id=$(ct_stream_id "$n")
	"${p}_unmap" a "$n"
	upnp_expect_rule "$n" none "A released it"
	expect_status 1 1 "$p: A released stream $n's port" forward-removed
	expect_stream "$n" stale forward-removed none "A released it"
	"${p}_map" b "$n"
	upnp_expect_rule "$n" b "B mapped it"
	upnp_expect_on "$n" a "$p: the mapping moved to B, the flow did not"
	expect_flow_kept "$(upnp_sport "$n")" "$(upnp_eport "$n")" "$id" \
		"$p: the mapping moved to B"
	expect_status 1 1 "$p: B mapped stream $n's port" forward-changed
	expect_stream "$n" stale forward-changed b "B mapped it"
	assert_json "$sel | .now.dnat == \"$A4:$(upnp_sport "$n")\"" \
		"$p: the flow still goes to A"
	cts sweep --json
	assert_rc 0 "$p: sweep"
	assert_json_contract sweep false
	assert_json "$sel | .deleted" "$p: sweep deleted stream $n's flow"
	assert_json '.summary.deleted == 1 and .summary.stale == 1' \
		"$p: sweep deleted exactly one flow"
	upnp_expect_on "$n" b "$p: after the sweep"
	expect_flow_replaced "$(upnp_sport "$n")" "$(upnp_eport "$n")" "$p: after the sweep"
	wait_until 20 ct_stream_assured "$n" ||
		fail "$p: stream $n's flow to B never became ASSURED: $(ct_stream "$n")"
	expect_status 0 0 "$p: after the sweep"
	expect_stream "$n" consistent "" b "$p: after the sweep"
}

# move_with_watch N PROTO: the same, watch running, no sweep.
move_with_watch()
{
	local n=$1 p=$2
	"${p}_unmap" a "$n"
	"${p}_map" b "$n"
	upnp_expect_rule "$n" b "$p: B mapped it (watch)"
	upnp_expect_on "$n" b "$p: watch moved the flow"
	expect_flow_replaced "$(upnp_sport "$n")" "$(upnp_eport "$n")" \
		"$p: watch moved the flow"
}

# ---------------------------------------------------------------- the case

upnp_require
upnp_topology
host_state_save
upnp_start

step "1. nothing moves: stream 0 by UPnP, stream 1 by NAT-PMP, both to A"
upnp_map a 0
pmp_map a 1
upnp_expect_rule 0 a "UPnP"
upnp_expect_rule 1 a "NAT-PMP"
upnp_stream_start 0
upnp_stream_start 1
upnp_expect_on 0 a "UPnP mapping"
upnp_expect_on 1 a "NAT-PMP mapping"
upnp_tag 0
upnp_tag 1
id0=$(ct_stream_id 0)
id1=$(ct_stream_id 1)
upnp_client a -l
upnp_discover b
pmp_client b
upnp_talk_start b
upnp_announce
expect_status 0 0 "nothing moves"
upnp_expect_steady "status, nothing moves"
ct_before=$(ct_list -f ipv4 -o id; ct_list -f ipv6 -o id)
ids_before=$(ct_ids_lasting <<<"$ct_before")
cts -v sweep --tcp --json
assert_rc 0 "sweep --tcp, nothing moves"
assert_json_contract sweep false
upnp_expect_steady "sweep --tcp, nothing moves"
assert_json '[.flows[] | select(.proto == "tcp" and .orig.dport == '"$UPNP_HTTP_PORT"')] | length > 0' \
	"sweep --tcp judged the clients' SOAP connections"
gone=$(ids_gone "$ids_before" "$(ct_ids_all)")
[ -z "$gone" ] || fail "sweep --tcp deleted conntrack ids: $gone ($(ct_by_ids "$gone" "$ct_before"))"
log "sweep --tcp deleted no conntrack id ($(grep -c . <<<"$ids_before") checked)"
upnp_talk_stop
expect_flow_kept "$(upnp_sport 0)" "$(upnp_eport 0)" "$id0" "nothing moves"
expect_flow_kept "$(upnp_sport 1)" "$(upnp_eport 1)" "$id1" "nothing moves"
upnp_expect_on 0 a "nothing moves"
upnp_expect_on 1 a "nothing moves"

step "2. UPnP: A's app releases stream 0's port, B's app maps it"
move_with_sweep 0 upnp

step "3. NAT-PMP: A's app releases stream 1's port, B's app maps it"
move_with_sweep 1 pmp

step "4. ctsweep watch: streams 2 (UPnP) and 3 (NAT-PMP) on A, then moved to B"
upnp_tag 0
upnp_tag 1
id0=$(ct_stream_id 0)
id1=$(ct_stream_id 1)
watch_start --stats "$LAB_TMP/watch.prom"
upnp_map a 2
pmp_map a 3
upnp_stream_start 2
upnp_stream_start 3
upnp_expect_on 2 a "UPnP mapping, watch running"
upnp_expect_on 3 a "NAT-PMP mapping, watch running"
upnp_tag 2
upnp_tag 3
upnp_announce
expect_flow_kept "$(upnp_sport 2)" "$(upnp_eport 2)" "$(ct_stream_id 2)" \
	"watch leaves the consistent flow alone"
move_with_watch 2 upnp
move_with_watch 3 pmp
wait_until 10 test -s "$LAB_TMP/watch.prom" || fail "watch wrote no stats file"
deleted=$(awk '$1 ~ /^ctsweep_flows_deleted_total\{/ && $2 > 0 { print $1, $2 }' \
	"$LAB_TMP/watch.prom")
log "watch deleted, by reason: $(tr '\n' ';' <<<"$deleted")"
[ "$(awk '{ n += $2 } END { print n + 0 }' <<<"$deleted")" -ge 2 ] ||
	fail "watch deleted fewer than one flow per move"
other=$(grep -Ev 'reason="forward-(removed|added|changed)"' <<<"$deleted")
[ -z "$other" ] || fail "watch deleted flows for other reasons: $other"
expect_status 0 0 "watch moved both flows"
for n in 0 1 2 3; do
	expect_stream "$n" consistent "" b "after watch"
done
expect_flow_kept "$(upnp_sport 0)" "$(upnp_eport 0)" "$id0" "watch kept stream 0"
expect_flow_kept "$(upnp_sport 1)" "$(upnp_eport 1)" "$id1" "watch kept stream 1"
watch_no_errors "miniupnpd moves"
watch_stop TERM
[ "$WATCH_RC" = 0 ] || fail "watch exited $WATCH_RC on SIGTERM"

upnp_log_clean "at the end"
upnp_expect_ext_ip_unused "at the end"
upnp_stop
expect_host_untouched "at the end"
pass
