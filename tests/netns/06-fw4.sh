#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# OpenWrt fw4: the whole "table inet fw4" (filter and nat, zones as jump
# chains, redirects as "dnat ip to" in dstnat_wan) is regenerated and
# reloaded atomically the way "fw4 reload" does (flush table + full table in
# one nft -f), here with the redirect "wg" pointed from A to B.  fw4 does
# nothing about conntrack on reload; ctsweep must.  ctsweep is run under
# "ip netns exec" here rather than with --netns.
. "$(dirname "$0")/lib.sh"

# fw4_ruleset WG_TARGET: the file fw4 would write (trimmed to this lab's
# zones: lan = br-lan, wan = wan), with the "wg" redirect to WG_TARGET.
# Its syn rule is spelt "tcp flags & (fin | syn | rst | ack) == syn", as
# nft 0.9.8 needs (fw4 writes "tcp flags syn / fin,syn,rst,ack", which only
# nft 1.0+ reads); the bytecode is the same.
fw4_ruleset()
{
	cat <<EOT
table inet fw4
flush table inet fw4

table inet fw4 {
	#
	# Defines
	#

	define lan_devices = { "br-lan" }
	define lan_subnets = { $LAN4/24, fd00:50::/64 }
	define wan_devices = { "wan" }

	#
	# User includes
	#

	#
	# Filter rules
	#

	chain input {
		type filter hook input priority filter; policy drop;

		iifname "lo" accept comment "!fw4: Accept traffic from loopback"

		ct state established,related accept comment "!fw4: Allow inbound established and related flows"
		tcp flags & (fin | syn | rst | ack) == syn jump syn_flood comment "!fw4: Rate limit TCP syn packets"
		iifname "br-lan" jump input_lan comment "!fw4: Handle lan IPv4/IPv6 input traffic"
		iifname "wan" jump input_wan comment "!fw4: Handle wan IPv4/IPv6 input traffic"
		jump handle_reject
	}

	chain forward {
		type filter hook forward priority filter; policy drop;

		ct state established,related accept comment "!fw4: Allow forwarded established and related flows"
		iifname "br-lan" jump forward_lan comment "!fw4: Handle lan IPv4/IPv6 forward traffic"
		iifname "wan" jump forward_wan comment "!fw4: Handle wan IPv4/IPv6 forward traffic"
		jump handle_reject
	}

	chain output {
		type filter hook output priority filter; policy accept;

		oifname "lo" accept comment "!fw4: Accept traffic towards loopback"

		ct state established,related accept comment "!fw4: Allow outbound established and related flows"
		oifname "br-lan" jump output_lan comment "!fw4: Handle lan IPv4/IPv6 output traffic"
		oifname "wan" jump output_wan comment "!fw4: Handle wan IPv4/IPv6 output traffic"
	}

	chain prerouting {
		type filter hook prerouting priority filter; policy accept;
		iifname "br-lan" jump helper_lan comment "!fw4: Handle lan IPv4/IPv6 helper assignment"
	}

	chain handle_reject {
		meta l4proto tcp reject with tcp reset comment "!fw4: Reject TCP traffic"
		reject comment "!fw4: Reject any other traffic"
	}

	chain syn_flood {
		limit rate 25/second burst 50 packets return comment "!fw4: Accept SYN packets below rate-limit"
		drop comment "!fw4: Drop excess packets"
	}

	chain input_lan {
		ct status dnat accept comment "!fw4: Accept port redirections"
		jump accept_from_lan
	}

	chain output_lan {
		jump accept_to_lan
	}

	chain forward_lan {
		jump accept_to_wan comment "!fw4: Accept lan to wan forwarding"
		ct status dnat accept comment "!fw4: Accept port forwards"
		jump accept_to_lan
	}

	chain helper_lan {
	}

	chain accept_from_lan {
		iifname "br-lan" counter accept comment "!fw4: accept lan IPv4/IPv6 traffic"
	}

	chain accept_to_lan {
		oifname "br-lan" counter accept comment "!fw4: accept lan IPv4/IPv6 traffic"
	}

	chain input_wan {
		meta nfproto ipv4 udp dport 68 counter accept comment "!fw4: Allow-DHCP-Renew"
		icmp type echo-request counter accept comment "!fw4: Allow-Ping"
		meta nfproto ipv4 meta l4proto igmp counter accept comment "!fw4: Allow-IGMP"
		meta nfproto ipv6 udp dport 546 counter accept comment "!fw4: Allow-DHCPv6"
		ip6 saddr fe80::/10 icmpv6 type . icmpv6 code { mld-listener-query . no-route, mld-listener-report . no-route, mld-listener-done . no-route, mld2-listener-report . no-route } counter accept comment "!fw4: Allow-MLD"
		icmpv6 type { destination-unreachable, time-exceeded, echo-request, echo-reply, nd-router-solicit, nd-router-advert } limit rate 1000/second counter accept comment "!fw4: Allow-ICMPv6-Input"
		icmpv6 type . icmpv6 code { packet-too-big . no-route, parameter-problem . no-route, nd-neighbor-solicit . no-route, nd-neighbor-advert . no-route, parameter-problem . admin-prohibited } limit rate 1000/second counter accept comment "!fw4: Allow-ICMPv6-Input"
		ct status dnat accept comment "!fw4: Accept port redirections"
		jump reject_from_wan
	}

	chain output_wan {
		jump accept_to_wan
	}

	chain forward_wan {
		icmpv6 type { destination-unreachable, time-exceeded, echo-request, echo-reply } limit rate 1000/second counter accept comment "!fw4: Allow-ICMPv6-Forward"
		icmpv6 type . icmpv6 code { packet-too-big . no-route, parameter-problem . no-route, parameter-problem . admin-prohibited } limit rate 1000/second counter accept comment "!fw4: Allow-ICMPv6-Forward"
		meta l4proto esp counter jump accept_to_lan comment "!fw4: Allow-IPSec-ESP"
		udp dport 500 counter jump accept_to_lan comment "!fw4: Allow-ISAKMP"
		ct status dnat accept comment "!fw4: Accept port forwards"
		jump reject_to_wan
	}

	chain accept_to_wan {
		meta nfproto ipv4 oifname "wan" ct state invalid counter drop comment "!fw4: Prevent NAT leakage"
		oifname "wan" counter accept comment "!fw4: accept wan IPv4/IPv6 traffic"
	}

	chain reject_from_wan {
		iifname "wan" counter jump handle_reject comment "!fw4: reject wan IPv4/IPv6 traffic"
	}

	chain reject_to_wan {
		oifname "wan" counter jump handle_reject comment "!fw4: reject wan IPv4/IPv6 traffic"
	}

	#
	# NAT rules
	#

	chain dstnat {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "br-lan" jump dstnat_lan comment "!fw4: Handle lan IPv4/IPv6 dstnat traffic"
		iifname "wan" jump dstnat_wan comment "!fw4: Handle wan IPv4/IPv6 dstnat traffic"
	}

	chain srcnat {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "br-lan" jump srcnat_lan comment "!fw4: Handle lan IPv4/IPv6 srcnat traffic"
		oifname "wan" jump srcnat_wan comment "!fw4: Handle wan IPv4/IPv6 srcnat traffic"
	}

	chain dstnat_lan {
		ip saddr $LAN4/24 ip daddr $WAN4 udp dport 53820 dnat ip to $1 comment "!fw4: wg (reflection)"
		ip saddr $LAN4/24 ip daddr $WAN4 tcp dport 8443 dnat ip to $A4:443 comment "!fw4: https (reflection)"
	}

	chain srcnat_lan {
		ip saddr $LAN4/24 ip daddr ${1%:*} udp dport ${1#*:} snat ip to $LAN4 comment "!fw4: wg (reflection)"
		ip saddr $LAN4/24 ip daddr $A4 tcp dport 443 snat ip to $LAN4 comment "!fw4: https (reflection)"
	}

	chain dstnat_wan {
		meta nfproto ipv4 udp dport 53820 counter dnat ip to $1 comment "!fw4: wg"
		meta nfproto ipv4 tcp dport 8443 counter dnat ip to $A4:443 comment "!fw4: https"
	}

	chain srcnat_wan {
		meta nfproto ipv4 masquerade comment "!fw4: Handle wan IPv4 masquerading"
	}

	#
	# Raw rules (notrack)
	#

	chain raw_prerouting {
		type filter hook prerouting priority raw; policy accept;
	}

	chain raw_output {
		type filter hook output priority raw; policy accept;
	}

	#
	# Mangle rules
	#

	chain mangle_prerouting {
		type filter hook prerouting priority mangle; policy accept;
	}

	chain mangle_postrouting {
		type filter hook postrouting priority mangle; policy accept;
	}

	chain mangle_input {
		type filter hook input priority mangle; policy accept;
	}

	chain mangle_output {
		type route hook output priority mangle; policy accept;
	}

	chain mangle_forward {
		type filter hook forward priority mangle; policy accept;
		iifname "wan" tcp flags syn tcp option maxseg size set rt mtu comment "!fw4: Zone wan IPv4/IPv6 ingress MTU fixing"
		oifname "wan" tcp flags syn tcp option maxseg size set rt mtu comment "!fw4: Zone wan IPv4/IPv6 egress MTU fixing"
	}
}
EOT
}

cts_here()
{
	cts_cmd ip netns exec "$NS_RTR" "$CTSWEEP" "$@"
}

topo_standard --fw none
step "fw4 ruleset with redirect wg: wan udp 53820 -> A:51820"
fw4_ruleset "$A4:51820" >"$LAB_TMP/fw4-a.nft"
nft_rtr -f "$LAB_TMP/fw4-a.nft"
seed_traffic
id_before=$(ct_seed_id)

step "fw4 reload with redirect wg -> B:53820 (whole table, one transaction)"
fw4_ruleset "$B4:53820" >"$LAB_TMP/fw4-b.nft"
nft_rtr -f "$LAB_TMP/fw4-b.nft"
in_rtr nft list chain inet fw4 dstnat_wan | grep -q "dnat ip to $B4:53820" ||
	fail "fw4 reload did not take: $(in_rtr nft list chain inet fw4 dstnat_wan)"
expect_stuck_on_a "fw4 reloaded"
expect_seed_id "$id_before" "the reload alone"

step "ctsweep status (under ip netns exec)"
cts_here status --json
expect_seed_stale forward-changed
assert_json "$SEED_SEL | .now.dnat == \"$A4:51820\" and (.rules.dnat | any(. == \"$B4:53820\"))" \
	"where the flow goes now and where the rules send it"
assert_json '.summary.stale == 1' "exactly one stale flow"

step "ctsweep sweep"
cts_here sweep --json
expect_seed_swept
expect_moved_to_b "after ctsweep sweep"
expect_ct_reply "$B4" 53820 "after ctsweep sweep"

cts_here status --json
assert_rc 0 "status after the sweep"
pass
