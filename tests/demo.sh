#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# "make demo": the seed report, live, in throw-away network namespaces.
# A peer streams UDP from port 51820 to the router's 53820, forwarded to
# A:51820.  The forward is switched to B:53820 and nothing happens, because
# the conntrack entry outlives the rule; then ctsweep finds and fixes it.
# Needs root (namespaces); leaves nothing behind.
# shellcheck disable=SC2034 # both read by lib.sh
LAB_VERBOSE=0
LAB_TAG_SEED=0	# no test mark on the flow: show conntrack as it is
. "$(dirname "$0")/netns/lib.sh"

say()
{
	printf '%s\n' "$*"
}

# pps HOST: datagrams of the stream HOST received during one second.
pps()
{
	rx_delta "$1" 1
}

demo_fail()
{
	say "demo: $*" >&2
	say "demo: lab log follows" >&2
	cat "$LAB_TMP/lab.log" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || { say "demo: needs root (network namespaces)" >&2; exit 2; }
[ -x "$CTSWEEP" ] || { say "demo: $CTSWEEP not built (run make)" >&2; exit 2; }

say "Setting up: peer 203.0.113.10 --- router (wan 203.0.113.1) --- A 192.168.50.2, B 192.168.50.3"
topo_standard >>"$LAB_TMP/lab.log" 2>&1
nft_rtr add rule ip nat prerouting udp dport 53820 dnat to $A4:51820
say "router: udp dport 53820 dnat to $A4:51820; peer sends ~200 packets/s from port 51820"
seed_traffic >>"$LAB_TMP/lab.log" 2>&1
say "A receives $(pps a) pps, B $(pps b)"
say
say "conntrack on the router:"
ct_seed | sed 's/^/    /'
say

nft_rtr -f - <<EOT
flush chain ip nat prerouting
add rule ip nat prerouting udp dport 53820 dnat to $B4:53820
EOT
say "forward switched A -> B (udp dport 53820 dnat to $B4:53820)"
nb=$(rx_delta b 2)
reply=$(ct_seed_reply)
say "B received $nb packets in 2 s; conntrack still says reply from ${reply% *}"
[ "$nb" = 0 ] && [ "${reply% *}" = "$A4" ] ||
	demo_fail "the lab did not reproduce the bug"
say

say "# ctsweep --netns $NS_RTR status"
"$CTSWEEP" --netns "$NS_RTR" status | sed 's/^/    /'
say "(exit status ${PIPESTATUS[0]}: 1 = stale flows found)"
say
say "# ctsweep --netns $NS_RTR sweep"
"$CTSWEEP" --netns "$NS_RTR" sweep | sed 's/^/    /'
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || demo_fail "ctsweep sweep exited $rc"
say

wait_until 10 rx_gt b "$(rx_count b)" ||
	demo_fail "B still receives nothing after the sweep"
sleep 0.5
say "B now receives $(pps b) pps, A $(pps a)"
say
say "conntrack on the router:"
ct_seed | sed 's/^/    /'
