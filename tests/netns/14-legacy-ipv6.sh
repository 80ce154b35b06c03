#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The seed over IPv6 with ip6tables-legacy only (no nftables rules):
#   -A PREROUTING -d 2001:db8:1::1/128 -j PORTFW
#   -A PORTFW -i wan -p udp -m udp --dport 53820 -j DNAT --to-destination [A]:51820
# switched with "ip6tables-legacy -R" to [fd00:50::3]:53820.  ctsweep must
# read the IPv6 legacy table (libip6tc), call the flow forward-changed and
# move it to B; a second forward's flow (udp 5000 -> [B]:5000) keeps its
# entry.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-legacy.sh"

topo_standard --fw none
step "ip6tables-legacy only: filter and nat with a PORTFW chain"
legacy_fw_base 6
ipt6 -t nat -N PORTFW
ipt6 -t nat -A PREROUTING -d $WAN6/128 -j PORTFW
ipt6 -t nat -A POSTROUTING -o wan -j MASQUERADE
ipt6 -t nat -A PORTFW -i wan -p udp -m udp --dport 53820 -j DNAT --to-destination "[$A6]:51820"
ipt6 -t nat -A PORTFW -i wan -p udp -m udp --dport 5000 -j DNAT --to-destination "[$B6]:5000"
expect_no_nft_rules

step "the seed stream over IPv6, and a second forward's stream to [B]:5000"
spawn SINK_B b socat -u UDP6-RECV:5000 OPEN:/dev/null
seed_traffic -6
start_sender SENDER2 -6 5000 51821
expect_rx b:rx2 15 "udp 5000 forwarded to B over IPv6"
wait_until 10 ct_flow_exists -6 51821 5000 ||
	fail "no conntrack entry for the IPv6 udp 5000 flow"
ct_flow_tag -6 51821 5000
id5000=$(ct_flow_id -6 51821 5000)
id_before=$(ct_seed_id -6)

cts status --json
assert_rc 0 "status before the switch"
assert_json '.summary.stale == 0 and .summary.unknown == 0 and .summary.consistent >= 2' \
	"both IPv6 flows judged consistent"

step "switch to [B]:53820 with ip6tables-legacy -R"
ipt6 -t nat -R PORTFW 1 -i wan -p udp -m udp --dport 53820 -j DNAT --to-destination "[$B6]:53820"
in_rtr ip6tables-legacy -t nat -S PORTFW | grep -q -- "--to-destination \[$B6\]:53820" ||
	fail "rule not replaced: $(in_rtr ip6tables-legacy -t nat -S PORTFW)"
expect_stuck_on_a -6 "ip6tables-legacy rule replaced"
expect_seed_id -6 "$id_before" "the rule replacement alone"

step "ctsweep status"
cts status --json
expect_seed_stale -6 forward-changed
assert_json "$SEED_SEL | .orig.src == \"$REMOTE6\" and .orig.dst == \"$WAN6\"
	and .reply.src == \"$A6\" and .reply.sport == 51820" "seed flow tuples"
assert_json "$SEED_SEL | .now.dnat == \"[$A6]:51820\" and .rules.dnat == [\"[$B6]:53820\"]" \
	"now and rules, as [addr]:port"
assert_json "$SEED_SEL | .rule == \"ip6tables-legacy -t nat chain PORTFW rule 1\"" \
	"the deciding rule is named as an ip6tables-legacy rule"
assert_json '.summary.stale == 1 and .summary.unknown == 0' \
	"one stale flow; the udp 5000 flow is not stale"

step "ctsweep sweep"
sweep_seed_to_b -6
expect_flow_kept -6 51821 5000 "$id5000" "sweep"

cts status --json
assert_rc 0 "status after the sweep"
pass
