#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The seed as it was written: iptables (nf_tables backend).
#   iptables-nft -t nat -A PREROUTING -p udp --dport 53820 -j DNAT ...
# switched with "iptables-nft -R".  In nftables these rules are xt
# "target DNAT" expressions with a binary blob, not nft dnat statements;
# ctsweep must decode them.
. "$(dirname "$0")/lib.sh"

ipt() { in_rtr iptables-nft -t nat "$@" || fail "iptables-nft -t nat $* failed"; }

topo_standard --fw iptables-nft
step "iptables-nft DNAT 53820 -> A:51820"
ipt -A PREROUTING -i wan -p udp --dport 53820 -j DNAT --to-destination $A4:51820
seed_traffic
id_before=$(ct_seed_id)

step "iptables-nft -R: DNAT 53820 -> B:53820"
ipt -R PREROUTING 1 -i wan -p udp --dport 53820 -j DNAT --to-destination $B4:53820
in_rtr iptables-nft -t nat -S PREROUTING | grep -q -- "--to-destination $B4:53820" ||
	fail "rule not replaced: $(in_rtr iptables-nft -t nat -S PREROUTING)"
expect_stuck_on_a "iptables rule replaced"
expect_seed_id "$id_before" "the rule replacement alone"

step "ctsweep status"
cts status --json
expect_seed_stale forward-changed
assert_json "$SEED_SEL | .now.dnat == \"$A4:51820\" and (.rules.dnat | any(. == \"$B4:53820\"))" \
	"where the flow goes now and where the rules send it"
assert_json '.summary.stale == 1 and .summary.unknown == 0' \
	"one stale flow, nothing unknown (masquerade and DNAT targets decoded)"

step "ctsweep sweep"
sweep_seed_to_b

cts status --json
assert_rc 0 "status after the sweep"
pass
