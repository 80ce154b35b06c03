#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Case 11 over IPv6: ip6tables-nft -t nat -A PREROUTING -p udp --dport
# 53820 -j DNAT to [A]:51820, replaced ("-R") by one to [B]:53820.  The
# writers differ here: ip6tables-nft 1.8.7 gives the port as an xt "udp"
# match, 1.8.8+ as a payload load and cmp; -p stays "meta l4proto" (the
# ip protocol payload match of 1.8.10+ is IPv4's only).
. "$(dirname "$0")/lib.sh"

ipt6() { in_rtr ip6tables-nft -t nat "$@" || fail "ip6tables-nft -t nat $* failed"; }

topo_standard
step "ip6tables-nft DNAT 53820 -> [A]:51820"
ipt6 -A PREROUTING -i wan -p udp --dport 53820 -j DNAT --to-destination "[$A6]:51820"
seed_traffic -6
id_before=$(ct_seed_id -6)

step "ip6tables-nft -R: DNAT 53820 -> [B]:53820"
ipt6 -R PREROUTING 1 -i wan -p udp --dport 53820 -j DNAT --to-destination "[$B6]:53820"
in_rtr ip6tables-nft -t nat -S PREROUTING | grep -q -- "--to-destination \[$B6\]:53820" ||
	fail "rule not replaced: $(in_rtr ip6tables-nft -t nat -S PREROUTING)"
expect_stuck_on_a -6 "ip6tables rule replaced"
expect_seed_id -6 "$id_before" "the rule replacement alone"

step "ctsweep status"
cts status --json
expect_seed_stale -6 forward-changed
assert_json "$SEED_SEL | .now.dnat == \"[$A6]:51820\" and .rules.dnat == [\"[$B6]:53820\"]" \
	"where the flow goes now and where the rules send it"
assert_json '.summary.stale == 1 and .summary.unknown == 0' \
	"one stale flow, nothing unknown (the udp match and DNAT target decoded)"

step "ctsweep sweep"
sweep_seed_to_b -6

cts status --json
assert_rc 0 "status after the sweep"
pass
