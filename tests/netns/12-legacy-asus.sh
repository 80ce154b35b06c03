#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The seed on an ASUS-style router that knows only iptables-legacy: no
# nftables rules at all, a legacy filter table and the firmware's nat
# layout (PREROUTING -d <wan> -j VSERVER, one DNAT per forward, MASQUERADE
# out of wan).  The forward 53820 -> A:51820 is switched to B:53820 with
# "iptables-legacy -R"; ctsweep must read the legacy table through libiptc,
# call the flow forward-changed and move it to B, while the flow of another
# forward (udp 5000 -> B:5000) keeps its conntrack entry.
# Also shown: the firmware's NAT-loopback rule (-m mark ... -j MASQUERADE
# in POSTROUTING) reads a packet mark that nothing sets for packets from
# outside (mark 0): the moved forward is stale, the unchanged one
# consistent, none unknown.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-legacy.sh"

topo_standard --fw none
step "iptables-legacy only: filter (policy drop, stateful) and the ASUS nat layout"
legacy_fw_base 4
ipt4 -t nat -N VSERVER
ipt4 -t nat -A PREROUTING -d $WAN4/32 -j VSERVER
ipt4 -t nat -A POSTROUTING ! -s $WAN4/32 -o wan -j MASQUERADE
ipt4 -t nat -A VSERVER -p udp -m udp --dport 53820 -j DNAT --to-destination $A4:51820
ipt4 -t nat -A VSERVER -p udp -m udp --dport 5000 -j DNAT --to-destination $B4:5000
expect_no_nft_rules

step "the seed stream to A, and a second forward's stream (peer 51821 -> wan:5000 -> B:5000)"
spawn SINK_B b socat -u UDP4-RECV:5000 OPEN:/dev/null
seed_traffic
start_sender SENDER2 5000 51821
expect_rx b:rx2 15 "udp 5000 forwarded to B"
wait_until 10 ct_flow_exists 51821 5000 ||
	fail "no conntrack entry for the udp 5000 flow"
ct_flow_tag 51821 5000
id5000=$(ct_flow_id 51821 5000)
[ "$(ct_flow_reply 51821 5000 | cut -d' ' -f1,2)" = "$B4 5000" ] ||
	fail "the udp 5000 flow does not go to B:5000: $(ct_flow 51821 5000)"
id_before=$(ct_seed_id)

step "ctsweep status before the switch: both flows consistent"
cts status -v --json
assert_rc 0 "status with rules matching the flows"
assert_json_contract status false
assert_json "$SEED_SEL | .verdict == \"consistent\"
	and .rule == \"iptables-legacy -t nat chain VSERVER rule 1\"" \
	"the seed flow is consistent, decided by the legacy VSERVER rule"
assert_json '[.flows[] | select(.orig.dport == 5000)] | length == 1
	and .[0].verdict == "consistent"' "the udp 5000 flow is consistent"
assert_json '.summary.stale == 0 and .summary.unknown == 0' \
	"nothing stale or unknown"

step "switch the forward to B:53820 (iptables-legacy -R, as the firmware does)"
ipt4 -t nat -R VSERVER 1 -p udp -m udp --dport 53820 -j DNAT --to-destination $B4:53820
in_rtr iptables-legacy -t nat -S VSERVER | grep -q -- "--to-destination $B4:53820" ||
	fail "rule not replaced: $(in_rtr iptables-legacy -t nat -S VSERVER)"
expect_stuck_on_a "legacy rule replaced"
expect_seed_id "$id_before" "the rule replacement alone"

step "with the firmware's NAT-loopback mark rule: marks are followed"
ipt4 -t nat -A POSTROUTING -m mark --mark 0x8000/0x8000 -j MASQUERADE
cts status --json
assert_rc 1 "status with the mark rule in POSTROUTING"
assert_json "$SEED_SEL | .verdict == \"stale\" and .reason == \"forward-changed\"" \
	"the moved forward is stale: DNAT is decided before the mark rule"
assert_json '[.flows[] | select(.orig.dport == 5000)] | length == 0' \
	"the unchanged forward's flow: consistent (its mark is 0)"
assert_json '.summary.stale == 1 and .summary.unknown == 0
	and .summary.consistent == 1' "one stale, one consistent"
expect_seed_id "$id_before" "status must not touch the table"
ipt4 -t nat -D POSTROUTING -m mark --mark 0x8000/0x8000 -j MASQUERADE

step "ctsweep status finds the stale flow in the legacy table"
cts status --json
expect_seed_stale forward-changed
assert_json "$SEED_SEL | .now.dnat == \"$A4:51820\" and .rules.dnat == [\"$B4:53820\"]" \
	"where the flow goes now and where the legacy rule sends it"
assert_json "$SEED_SEL | .rule == \"iptables-legacy -t nat chain VSERVER rule 1\"" \
	"the deciding rule is named as a legacy rule"
assert_json "$SEED_SEL | .id == $id_before" "conntrack id of the seed flow"
assert_json '.summary.stale == 1 and .summary.unknown == 0
	and .summary.by_reason["forward-changed"] == 1' \
	"exactly one stale flow; the udp 5000 flow is not listed as stale"
expect_seed_id "$id_before" "status must not touch the table"

step "ctsweep sweep"
sweep_seed_to_b
expect_flow_kept 51821 5000 "$id5000" "sweep"
expect_rx b:rx2 5 "the udp 5000 stream still reaches B"

cts status --json
assert_rc 0 "status after the sweep"
assert_json '.summary.stale == 0 and .summary.unknown == 0' "nothing left"
pass
