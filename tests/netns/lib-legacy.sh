# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Helpers for the iptables-legacy and source NAT cases (12-16).  Source it
# after lib.sh (or after watchlib.sh, which sources lib.sh):
#
#	. "$(dirname "$0")/lib.sh"
#	. "$(dirname "$0")/lib-legacy.sh"
#
# It adds: iptables-legacy/ip6tables-legacy in the router, a legacy base
# firewall, the identity of any flow (not only the seed's) by conntrack id and ct mark,
# and the legacy tables in the failure diagnostics.

# ipt4/ipt6 ARGS...: iptables-legacy / ip6tables-legacy in the router; a
# rule that does not load is a broken lab, not a pass.
ipt4()
{
	in_rtr iptables-legacy "$@" || fail "iptables-legacy $* failed in the router"
}

ipt6()
{
	in_rtr ip6tables-legacy "$@" || fail "ip6tables-legacy $* failed in the router"
}

# legacy_fw_base 4|6 [LAN_IF]: the router's filter table in iptables-legacy,
# as an ASUS (or any pre-nftables) router has it: stateful, policy drop,
# forwarded flows accepted when established or DNATed, the lan out to wan.
legacy_fw_base()
{
	local fam=$1 lan=${2:-br-lan} t=ipt4 icmp=icmp
	if [ "$fam" = 6 ]; then t=ipt6; icmp=ipv6-icmp; fi
	$t -P INPUT DROP
	$t -P FORWARD DROP
	$t -A INPUT -i lo -j ACCEPT
	$t -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
	$t -A INPUT -p "$icmp" -j ACCEPT
	$t -A INPUT -i "$lan" -j ACCEPT
	$t -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
	$t -A FORWARD -m conntrack --ctstate DNAT -j ACCEPT
	$t -A FORWARD -i "$lan" -o wan -j ACCEPT
	[ "$fam" = 6 ] && $t -A FORWARD -p ipv6-icmp -j ACCEPT
	return 0
}

# expect_no_nft_rules: the router holds no nftables rules at all, so
# whatever ctsweep finds it found in the legacy tables.
expect_no_nft_rules()
{
	local r
	r=$(in_rtr nft list ruleset 2>&1)
	[ -z "$r" ] || fail "the router has nftables rules, expected none: $r"
	log "the router has no nftables rules (pure iptables-legacy)"
}

# Flow identity for any flow, by original source and destination port:
# FLOW = "[-6] SPORT DPORT" (protocol udp unless FLOW_PROTO is set).
ct_flow()
{
	local fam=ipv4
	if [ "$1" = -6 ]; then fam=ipv6; shift; fi
	ct_list -f "$fam" -p "${FLOW_PROTO:-udp}" --orig-port-src "$1" \
		--orig-port-dst "$2" "${@:3}"
}

ct_flow_id()
{
	ct_flow "$@" -o id | sed -n 's/.* id=\([0-9]*\).*/\1/p' | head -n 1
}

# ct_flow_exists [-6] SPORT DPORT: for wait_until.
ct_flow_exists()
{
	[ -n "$(ct_flow_id "$@")" ]
}

# ct_flow_tag [-6] SPORT DPORT: mark the live entry (see CT_TAG in lib.sh).
ct_flow_tag()
{
	local fam=ipv4
	if [ "$1" = -6 ]; then fam=ipv6; shift; fi
	ct_tag "$fam" "${FLOW_PROTO:-udp}" --orig-port-src "$1" --orig-port-dst "$2"
}

ct_flow_tagged()
{
	ct_flow "$@" | grep -q " mark=$CT_TAG "
}

# expect_flow_kept [-6] SPORT DPORT ID WHAT: still the same entry.
expect_flow_kept()
{
	local ff=() got
	if [ "$1" = -6 ]; then ff=(-6); shift; fi
	[ -n "$3" ] || fail "$4: no conntrack id recorded for flow $1 -> $2"
	got=$(ct_flow_id "${ff[@]}" "$1" "$2")
	[ "$got" = "$3" ] && ct_flow_tagged "${ff[@]}" "$1" "$2" ||
		fail "$4: flow $1 -> $2 lost its entry (id '$got', was $3): $(ct_flow "${ff[@]}" "$1" "$2")"
	log "flow $1 -> $2 keeps conntrack id $3 and its tag ($4)"
}

# expect_flow_replaced [-6] SPORT DPORT WHAT: the entry is a new one.
expect_flow_replaced()
{
	local ff=()
	if [ "$1" = -6 ]; then ff=(-6); shift; fi
	ct_flow_tagged "${ff[@]}" "$1" "$2" &&
		fail "$3: flow $1 -> $2 still has its old entry: $(ct_flow "${ff[@]}" "$1" "$2")"
	log "flow $1 -> $2 has a new conntrack entry ($3)"
}

# ct_flow_reply [-6] SPORT DPORT: "SRC SPORT DST DPORT" of the reply tuple.
ct_flow_reply()
{
	ct_flow "$@" | ct_reply_tuple
}

# The failure diagnostics also show the legacy tables.  Its own name for
# the wrapped function: watchlib.sh (sourced before this file by a case
# that runs the daemon too) wraps lab_dump as lab_dump_base already.
eval "$(declare -f lab_dump | sed '1s/^lab_dump/lab_dump_pre_legacy/')"
lab_dump()
{
	local ns
	lab_dump_pre_legacy
	for ns in "${LAB_NS[@]}"; do
		[ "$ns" = "$NS_RTR" ] || continue
		echo "-- iptables-legacy-save in rtr"
		in_rtr iptables-legacy-save 2>&1 | grep -v '^#' | head -n 60
		echo "-- ip6tables-legacy-save in rtr"
		in_rtr ip6tables-legacy-save 2>&1 | grep -v '^#' | head -n 60
	done
	[ "$(type -t lab_dump_extra)" = function ] && lab_dump_extra
	echo "---- end of legacy diagnostics"
}
