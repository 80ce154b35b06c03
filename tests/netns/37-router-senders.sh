#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The router's own senders whose way out the socket chose (issue 20), on a
# router that masquerades out of the wan (IPv4 and IPv6):
#   - SSDP NOTIFY to 239.255.255.250:1900 with IP_MULTICAST_IF (the lan),
#   - mDNS to ff02::fb:5353 with the lan as the address's scope,
#   - a DHCP-style limited broadcast 67 -> 255.255.255.255:68 on a socket
#     bound to the lan (SO_BINDTODEVICE),
#   - a DHCPv6-style reply 547 -> A's link-local address (its scope: the lan),
#   - a unicast to a wan-side address on a socket bound to the lan.
# The routing table sends all of them out of the wan, where "oifname wan
# masquerade" applies; the packets really leave on br-lan (A hears them,
# the remote nothing).  None may be judged stale: each is unknown with its
# cause named, status exits 0, sweep --tcp deletes no conntrack id, and
# neither does watch's start nor its periodic resync (with a refill).
# Then the seed forward is switched: the judge still sees that flow stale,
# and sweep deletes it alone.
. "$(dirname "$0")/watchlib.sh"

topo_standard
step "IPv6 masquerade out of the wan, forward 53820 -> A:51820"
nft_rtr -f - <<EOT
table ip6 nat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan" masquerade
	}
}
add rule ip nat prerouting iifname "wan" udp dport 53820 dnat to $A4:51820
EOT
seed_traffic

# What each sender's flow is called in ctsweep's JSON, and the cause its
# verdict must name.
SEL_SSDP='.orig.dst == "239.255.255.250" and .orig.dport == 1900'
SEL_MDNS6='.orig.dst == "ff02::fb" and .orig.dport == 5353'
SEL_BCAST='.orig.dst == "255.255.255.255" and .orig.sport == 67'
SEL_LL='.orig.sport == 547 and .orig.dport == 546'
SEL_BOUND='.orig.dst == "203.0.113.77" and .orig.dport == 9999'
CAUSE_MCAST="output interface of a local multicast or broadcast (the socket's)"
CAUSE_LL="output interface of a local link-local packet (the socket's scope)"
CAUSE_SRC="output interface of a local packet whose source is not its route's (the socket's)"

# sender NAME ADDRESS: a socat in the router sending one datagram every
# 0.2 s from one socket (one flow), as a daemon's periodic announcement.
sender()
{
	spawn "$1" rtr bash -c '
		exec {s}<> <(:)
		while :; do
			echo announce || exit
			read -t 0.2 -u "$s"
		done | socat -u STDIN "$1"' sender "$2"
}

step "A counts what arrives on the lan; the remote what arrives on the wan"
in_a nft -f - <<'EOF' || fail "cannot add A's counters"
table inet senders {
	counter ssdp {}
	counter mdns6 {}
	counter bcast {}
	chain rxcount {
		type filter hook prerouting priority -300;
		ip daddr 239.255.255.250 udp dport 1900 counter name ssdp
		ip6 daddr ff02::fb udp dport 5353 counter name mdns6
		ip daddr 255.255.255.255 udp dport 68 counter name bcast
	}
}
EOF
in_remote nft -f - <<'EOF' || fail "cannot add the remote's counter"
table inet senders {
	counter leak {}
	chain rxcount {
		type filter hook prerouting priority -300;
		udp dport { 1900, 5353, 68, 9999 } counter name leak
	}
}
EOF
count() { in_host "$1" nft list counter inet senders "$2" | awk '/packets/ { print $2; exit }'; }
count_gt() { [ "$(count "$1" "$2")" -gt "$3" ]; }

step "the router's senders: SSDP, mDNS6, DHCP-style broadcast, link-local, bound unicast"
A_LL=$(in_a ip -6 -o addr show dev eth0 scope link | awk '{ sub("/.*", "", $4); print $4; exit }')
[ -n "$A_LL" ] || fail "A has no link-local address"
sender SSDP "UDP4-SENDTO:239.255.255.250:1900,ip-multicast-if=$LAN4"
sender MDNS6 "UDP6-SENDTO:[ff02::fb%br-lan]:5353"
sender BCAST "UDP4-SENDTO:255.255.255.255:68,so-bindtodevice=br-lan,broadcast,sourceport=67"
sender LL "UDP6-SENDTO:[$A_LL%br-lan]:546,sourceport=547"
sender BOUND "UDP4-SENDTO:203.0.113.77:9999,so-bindtodevice=br-lan"
for c in ssdp mdns6 bcast; do
	wait_until 10 count_gt a "$c" 2 ||
		fail "A hears nothing of the router's $c sender"
done
has_flow() { ct_list "$@" | grep -q .; }
wait_until 10 has_flow -p udp --dst 239.255.255.250 &&
wait_until 10 has_flow -f ipv6 -p udp --dst ff02::fb &&
wait_until 10 has_flow -p udp --dst 255.255.255.255 &&
wait_until 10 has_flow -f ipv6 -p udp --dst "$A_LL" &&
wait_until 10 has_flow -p udp --dst 203.0.113.77 ||
	fail "conntrack lacks a sender's flow: $(ct_list -p udp; ct_list -f ipv6 -p udp)"
[ "$(count remote leak)" = 0 ] ||
	fail "the remote got $(count remote leak) of the senders' packets: they left by the wan"
# Not masqueraded: the kernel NATed none of them (they left by br-lan).
ct_list -p udp --dst 239.255.255.250 | grep -q "dst=$LAN4 " ||
	fail "the SSDP flow is NATed: $(ct_list -p udp --dst 239.255.255.250)"

# assert_senders WHAT: every sender's flow judged unknown with its cause.
assert_senders()
{
	local sel cause
	for sel in "$SEL_SSDP|$CAUSE_MCAST" "$SEL_MDNS6|$CAUSE_MCAST" \
		   "$SEL_BCAST|$CAUSE_MCAST" "$SEL_LL|$CAUSE_LL" \
		   "$SEL_BOUND|$CAUSE_SRC"; do
		cause=${sel#*|}
		sel=${sel%|*}
		assert_json "[.flows[] | select($sel)] | length == 1 and
			all(.verdict == \"unknown\" and .unknown == \"$cause\")" \
			"$1: the flow ($sel) is unknown: $cause"
	done
}

step "nothing moved: status exits 0, every verdict as it should be"
cts status -v --json
assert_rc 0 "status on a router where nothing moved"
assert_json_contract status false
assert_senders "status"
assert_json "[$SEED_SEL | .verdict] == [\"consistent\"]" "the seed flow is consistent"
assert_json '.summary.stale == 0' "nothing stale"
assert_json '[.flows[] | select(.verdict == "unknown")] | length == 5' \
	"the five senders are the only unknown flows"
assert_json ".summary.unknown_by_cause == {\"$CAUSE_MCAST\": 3,
	\"$CAUSE_LL\": 1, \"$CAUSE_SRC\": 1}" \
	"unknown_by_cause names the causes"

step "sweep --tcp deletes no conntrack id"
before4=$(ct_ids)
before6=$(ct_ids -f ipv6)
cts sweep --tcp --json
assert_rc 0 "sweep --tcp"
assert_json '.summary.stale == 0 and .summary.deleted == 0' "sweep deleted nothing"
assert_senders "sweep"
gone=$(ids_gone "$before4"$'\n'"$before6" "$(ct_ids; ct_ids -f ipv6)")
[ -z "$gone" ] || fail "sweep deleted conntrack ids: $gone"
for c in ssdp mdns6 bcast; do
	n=$(count a "$c")
	wait_until 5 count_gt a "$c" "$n" || fail "A no longer hears $c"
done

step "watch: its first pass and periodic resyncs delete no conntrack id"
before4=$(ct_ids)
before6=$(ct_ids -f ipv6)
watch_start --resync 1 --refill 2
watch_expect_log 10 'periodic resync.*deleted 0 stale flow' "a periodic resync"
watch_expect_log 10 'periodic refill of the flow index done' "a refill"
n=$(watch_count 'periodic resync.*deleted 0 stale flow')
wait_until 10 eval '[ "$(watch_count "periodic resync.*deleted 0 stale flow")" -gt "$n" ]' ||
	fail "no periodic resync after the refill"
! watch_logged 'deleted [1-9][0-9]* stale flow' ||
	fail "watch deleted flows: $(grep -E -m3 'deleted [1-9]' "$WATCH_LOG")"
watch_stop
watch_no_errors "watch on the router's senders"
gone=$(ids_gone "$before4"$'\n'"$before6" "$(ct_ids; ct_ids -f ipv6)")
[ -z "$gone" ] || fail "watch deleted conntrack ids: $gone"

step "switch the forward to B: only the seed flow is stale"
forward_to "$B4:53820"
expect_stuck_on_a "forward switched"
cts status -v --json
assert_rc 1 "status after the switch"
assert_senders "status after the switch"
assert_json "([.flows[] | select(.verdict == \"stale\")] | length == 1) and
	([$SEED_SEL | .verdict] == [\"stale\"])" "the seed flow alone is stale"
before4=$(ct_ids)
seed_id=$(ct_seed_id)
cts sweep --json
assert_rc 0 "sweep after the switch"
assert_json ".summary.deleted == 1 and ([.flows[] | select(.deleted) | .id] == [$seed_id])" \
	"sweep deleted the seed flow alone"
expect_moved_to_b "after ctsweep sweep"
gone=$(ids_gone "$before4" "$(ct_ids)" | grep -vx "$seed_id")
[ -z "$gone" ] || fail "sweep deleted other conntrack ids: $gone"
pass
