#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Precision: among thousands of consistent flows, sweep deletes exactly the
# one stale flow.  Survivors, all made by real traffic:
#   - 5,000 flows from distinct peer ports through an unchanged forward
#     (wan udp 5000 -> B:5000),
#   - un-NATed flows to the router (peer -> wan:7000, a -> lan:7000),
#   - masqueraded flows from the lan (a -> peer:9000),
#   - a live TCP connection through another forward (wan tcp 8080 ->
#     B:8080), which "sweep --tcp" must not cut either.
# Survival is checked by conntrack id (a deleted-and-recreated entry gets a
# new id), not only by traffic still flowing.
. "$(dirname "$0")/lib.sh"

NFLOWS=5000

topo_standard
# Single-datagram flows would expire after 30 s; keep them for the case.
lab_sysctl "$NS_RTR" net.netfilter.nf_conntrack_udp_timeout=300 ||
	fail "cannot raise the udp timeout in the router"
step "forwards: 53820 -> A:51820 (to be switched), udp 5000 -> B:5000, tcp 8080 -> B:8080"
nft_rtr -f - <<EOT
add rule ip nat prerouting iifname "wan" udp dport 53820 dnat to $A4:51820
add rule ip nat prerouting iifname "wan" udp dport 5000 dnat to $B4:5000
add rule ip nat prerouting iifname "wan" tcp dport 8080 dnat to $B4:8080
add rule inet filter input iifname "wan" udp dport 7000 accept
EOT
spawn SINK_B b socat -u UDP4-RECV:5000 OPEN:/dev/null
spawn TCPSRV_B b socat TCP4-LISTEN:8080,reuseaddr,fork PIPE
seed_traffic

step "live TCP connection peer -> wan:8080 -> B:8080"
tcp_echo_client TCPCLI remote "$WAN4" 8080
wait_until 10 tcp_gt 2 || fail "the TCP echo through the forward does not work"
tcp_id=$(ct_ids -p tcp --orig-port-dst 8080)
[ "$(echo "$tcp_id" | grep -c .)" = 1 ] ||
	fail "expected one TCP flow to 8080: $(ct_list -p tcp)"
ct_list -p tcp --orig-port-dst 8080 | grep -q ESTABLISHED ||
	fail "the TCP flow is not ESTABLISHED: $(ct_list -p tcp)"
ct_tag ipv4 tcp --orig-port-dst 8080
tcp_tagged() { ct_list -p tcp --orig-port-dst 8080 | grep -q " mark=$CT_TAG "; }

step "$NFLOWS flows through the unchanged forward, flows to the router, masqueraded flows"
udp_burst remote "$WAN4" 5000 "$NFLOWS"
udp_burst remote "$WAN4" 7000 200
udp_burst a "$LAN4" 7000 100
udp_burst a "$REMOTE4" 9000 100
n=$(ct_count -p udp --orig-port-dst 5000)
[ "$n" = "$NFLOWS" ] || fail "expected $NFLOWS flows to port 5000, conntrack has $n"
n=$(ct_count -p udp --orig-port-dst 7000)
[ "$n" = 300 ] || fail "expected 300 flows to port 7000, conntrack has $n"
n=$(ct_list -p udp --orig-port-dst 9000 | grep -c "src=$REMOTE4 dst=$WAN4")
[ "$n" = 100 ] || fail "expected 100 masqueraded flows to port 9000, conntrack has $n"

step "switch 53820 to B:53820"
nft_rtr -f - <<EOT
flush chain ip nat prerouting
add rule ip nat prerouting iifname "wan" udp dport 53820 dnat to $B4:53820
add rule ip nat prerouting iifname "wan" udp dport 5000 dnat to $B4:5000
add rule ip nat prerouting iifname "wan" tcp dport 8080 dnat to $B4:8080
EOT
expect_stuck_on_a "forward switched"
seed_id=$(ct_seed_id)

step "ctsweep status -v lists every judged flow"
cts status -v --json
assert_rc 1 "status with a stale flow"
assert_json_contract status false
assert_json '(.flows | length) == .summary.judged' "-v lists all judged flows"
assert_json '.summary.stale == 1 and .summary.unknown == 0' \
	"one stale flow, nothing unknown"
assert_json "[.flows[] | select(.orig.dport == 5000 and .verdict == \"consistent\")]
	| length == $NFLOWS" "the $NFLOWS forwarded flows are judged consistent"
assert_json '[.flows[] | select(.orig.dport == 7000 and .verdict == "consistent")]
	| length == 300' "the 300 un-NATed flows to the router are judged consistent"
# Masqueraded-only flows need not be judged at all (the kernel itself drops
# them when their interface or address goes); if they are, they are fine.
assert_json '[.flows[] | select(.orig.dport == 9000 and .verdict != "consistent")]
	| length == 0' "no masqueraded lan flow is stale or unknown"
assert_json ".summary.judged >= $NFLOWS + 301" "the forwarded and local flows are judged"
assert_json '[.flows[] | select(.proto != "udp")] | length == 0' \
	"no TCP flow without --tcp"

step "ctsweep sweep"
udp_before=$(ct_ids -p udp)
cts sweep --json
assert_rc 0 "sweep"
assert_json_contract sweep false
assert_json '.summary.stale == 1 and .summary.deleted == 1 and .summary.unknown == 0' \
	"sweep deleted exactly one flow"
assert_json "[.flows[]] | length == 1 and .[0].id == $seed_id and .[0].deleted" \
	"the deleted flow is the seed flow"
udp_after=$(ct_ids -p udp)
# The seed flow comes back at once (new entry, possibly the same id); all
# others are one-shot flows that nothing would re-create.
gone=$(ids_gone "$udp_before" "$udp_after" | grep -vx "$seed_id")
[ -z "$gone" ] ||
	fail "sweep deleted consistent flows: $(echo "$gone" | grep -c .) gone, e.g. $(echo $gone | head -c 200)"
log "sweep deleted only the seed flow; $(echo "$udp_before" | grep -c .) - 1 UDP flows survive"
expect_moved_to_b "after ctsweep sweep"
ct_tag ipv4 udp --orig-port-src 51820 --orig-port-dst 53820	# now at B

step "ctsweep sweep --tcp: the live TCP connection survives"
udp_before=$(ct_ids -p udp)
lines=$(tcp_lines)
cts sweep --tcp --json
assert_rc 0 "sweep --tcp"
assert_json '.summary.stale == 0 and .summary.deleted == 0' "nothing left to delete"
[ "$(ct_ids -p tcp --orig-port-dst 8080)" = "$tcp_id" ] && tcp_tagged ||
	fail "the TCP connection's conntrack entry was replaced: $(ct_list -p tcp)"
[ -z "$(ids_gone "$udp_before" "$(ct_ids -p udp)")" ] ||
	fail "sweep --tcp deleted UDP flows"
ct_seed_tagged || fail "sweep --tcp deleted the (now consistent) seed flow: $(ct_seed)"
wait_until 10 tcp_gt "$((lines + 2))" ||
	fail "the TCP connection stopped echoing after sweep --tcp"
kill -0 "$TCPCLI" 2>/dev/null || fail "the TCP client ended"
log "TCP connection alive, $(tcp_lines) lines echoed, same conntrack id"
pass
