#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A table full of flows the sweep must keep, a class of stale ones among
# them, then "sweep --flush" and "sweep": the stale flows go and every
# kept flow is still there under the same conntrack id, on any kernel.
# The flush's filter (UDP, original port 53820, replied from A, DNATed)
# is what a kernel that ignores part of it would widen: kept flows match
# each part but one, the same port replied from B, A's own other forward,
# the router's own flows to A:53820 (not DNATed), A's and B's outbound
# flows, IPv6.  Where the kernel flushes by filter (6.12) one flush takes
# the class; below, ctsweep's probe must say no (5.8 to 6.11 refuse the
# filter, older ones would flush everything) and the stale flows go one
# by one.
. "$(dirname "$0")/lib.sh"

# The stale class: flows to 53820 that A answers, from STALE_SRC, an
# address of the peer's own for each round (a new flow from the peer's
# main address could take the ports of a kept flow and join it).
STALE_SRC=
STALE=()

stale_count() { ct_count "${STALE[@]}"; }

# kept_ids: every entry but the stale class, by id.
kept_ids()
{
	comm -23 <({ ct_ids -f ipv4; ct_ids -f ipv6; } | sort) \
		<(ct_ids "${STALE[@]}" | sort) | sort -n
}

# count_is N CMD...: CMD prints N lines.
count_is() { [ "$("${@:2}" | grep -c .)" = "$1" ]; }

# stale_class SRC: 40 flows from SRC the forward sends to A, then it
# points to B.
stale_class()
{
	STALE_SRC=$1
	STALE=(-f ipv4 -p udp --orig-src "$STALE_SRC" --orig-port-dst 53820
		--reply-src "$A4")
	in_remote ip addr add "$STALE_SRC/32" dev eth0 &&
	in_remote ip route replace "$WAN4/32" dev eth0 src "$STALE_SRC" ||
		fail "cannot send from $STALE_SRC"
	forward_to "$A4:51820"
	udp_burst remote "$WAN4" 53820 40
	wait_until 10 count_is 40 ct_list "${STALE[@]}" ||
		fail "expected 40 flows to A, conntrack has $(stale_count)"
	in_remote ip route del "$WAN4/32" ||
		fail "cannot restore the peer's route"
	forward_to "$B4:53820"
	nft_rtr add rule ip nat prerouting iifname "wan" udp dport 53821 \
		dnat to "$B4:51821"
}

# expect_kept BEFORE: every id of BEFORE is still in the table (a flow
# made anew has another id).
expect_kept()
{
	local gone
	gone=$(ids_gone "$1" "$(kept_ids)")
	[ -z "$gone" ] && return 0
	log "gone: $(echo "$gone" | head -n 20 | tr '\n' ' ')"
	fail "$(echo "$gone" | grep -c .) flows the sweep had to keep are gone or were made anew"
}

topo_standard
# Most kept flows are unreplied (30 s): they must outlive the case also
# on an emulated kernel.
lab_sysctl "$NS_RTR" net.netfilter.nf_conntrack_udp_timeout=3600 ||
	fail "cannot set the router's UDP timeout"

step "1. the kept flows, about 300 of them"
forward_to "$B4:53820"
nft_rtr add rule ip nat prerouting iifname "wan" udp dport 53821 \
	dnat to "$B4:51821"
udp_burst remote "$WAN4" 53820 100	# the class's port, to B
udp_burst remote "$WAN4" 53821 60	# DNATed, another port
udp_burst rtr "$A4" 53820 30		# port and reply address, not DNATed
udp_burst a "$REMOTE4" 9000 40		# A's own, masqueraded
udp_burst b "$REMOTE4" 9000 30
udp_burst a "$REMOTE6" 9000 40		# IPv6, routed
wait_until 10 count_is 100 ct_list -p udp --orig-port-dst 53820 \
	--reply-src "$B4" ||
	fail "the flows to B did not all reach conntrack"
wait_until 10 count_is 40 ct_list -f ipv6 -p udp --orig-port-dst 9000 ||
	fail "the IPv6 flows did not all reach conntrack"

step "2. a class of stale flows, then sweep --flush"
stale_class 203.0.113.21
kept=$(kept_ids)
n=$(echo "$kept" | grep -c .)
[ "$n" -ge 300 ] || fail "expected at least 300 kept flows, conntrack has $n"
log "$n kept flows, 40 stale"
cts -v sweep --flush --json --settle 0
assert_rc 0 "sweep --flush"
assert_json '.summary.stale == 40 and .summary.deleted == 40' \
	"sweep judged and deleted the 40 stale flows"
[ "$(stale_count)" = 0 ] || fail "$(stale_count) stale flows left"
expect_kept "$kept"
expect_flush_path 40
log "sweep --flush on $(uname -r): 40 deleted, the $n others as they were"

step "3. the same once more, with sweep as it runs by default"
stale_class 203.0.113.22
kept=$(kept_ids)
cts -v sweep --json --settle 0
assert_rc 0 "sweep"
assert_json '.summary.stale == 40 and .summary.deleted == 40' \
	"sweep judged and deleted the 40 stale flows"
[ "$(stale_count)" = 0 ] || fail "$(stale_count) stale flows left"
expect_kept "$kept"
log "sweep on $(uname -r): 40 deleted, the others as they were"
pass
