#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A Docker host with iptables-legacy: the containers' bridge is docker0
# (the lab's lan bridge, renamed), and Docker's nat layout publishes udp
# 53820 of container A:
#   -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
#   -A DOCKER -i docker0 -j RETURN
#   -A DOCKER ! -i docker0 -p udp -m udp --dport 53820 -j DNAT --to-destination A
# The container is re-created with another address (B): Docker deletes the
# DNAT and appends a new one.  The peer's flow stays on A until ctsweep
# sweeps it.  Flows that arrive by docker0 (a container talking to the
# host's published address, hairpin) are never DNATed here and must keep
# their entries, as must the containers' masqueraded flows to the outside.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-legacy.sh"

LAN_PFX=192.168.50.0/24

topo_standard --fw none
step "rename the lan bridge to docker0"
in_rtr ip link set br-lan down &&
in_rtr ip link set br-lan name docker0 &&
in_rtr ip link set docker0 up ||
	fail "cannot rename br-lan to docker0"
wait_until 10 in_rtr ip route get "$A4" oif docker0 >/dev/null 2>&1 ||
	fail "no route to the containers by docker0: $(in_rtr ip route)"

step "Docker's iptables-legacy rules (filter and nat), publishing 53820 -> A:51820"
ipt4 -P FORWARD DROP
ipt4 -N DOCKER
ipt4 -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
ipt4 -A FORWARD -o docker0 -j DOCKER
ipt4 -A FORWARD -i docker0 ! -o docker0 -j ACCEPT
ipt4 -A FORWARD -i docker0 -o docker0 -j ACCEPT
ipt4 -A DOCKER -d $A4/32 ! -i docker0 -o docker0 -p udp -m udp --dport 51820 -j ACCEPT
ipt4 -t nat -N DOCKER
ipt4 -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
ipt4 -t nat -A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
ipt4 -t nat -A POSTROUTING -s $LAN_PFX ! -o docker0 -j MASQUERADE
ipt4 -t nat -A DOCKER -i docker0 -j RETURN
ipt4 -t nat -A DOCKER ! -i docker0 -p udp -m udp --dport 53820 -j DNAT --to-destination $A4:51820
expect_no_nft_rules

step "the peer's stream to the published port; containers' own flows"
seed_traffic
# Container A -> the host's published address and port, in by docker0:
# DOCKER returns at once, the flow ends at the host (un-NATed).
start_stream HAIRPIN a "$WAN4" 53820 40001
# Container B -> the outside world, masqueraded out of wan.
start_stream OUTB b "$REMOTE4" 9000 40002
wait_until 10 ct_flow_exists 40001 53820 ||
	fail "no conntrack entry for the hairpin flow from A"
wait_until 10 ct_flow_exists 40002 9000 ||
	fail "no conntrack entry for B's outgoing flow"
[ "$(ct_flow_reply 40001 53820 | cut -d' ' -f1,2)" = "$WAN4 53820" ] ||
	fail "the hairpin flow from A was DNATed: $(ct_flow 40001 53820)"
[ "$(ct_flow_reply 40002 9000 | cut -d' ' -f3)" = "$WAN4" ] ||
	fail "B's outgoing flow is not masqueraded: $(ct_flow 40002 9000)"
ct_flow_tag 40001 53820
ct_flow_tag 40002 9000
id_hairpin=$(ct_flow_id 40001 53820)
id_out=$(ct_flow_id 40002 9000)
id_before=$(ct_seed_id)

cts status -v --json
assert_rc 0 "status before the container moves"
assert_json_contract status false
assert_json "$SEED_SEL | .verdict == \"consistent\"
	and .rule == \"iptables-legacy -t nat chain DOCKER rule 2\"" \
	"the seed flow is consistent, decided by Docker's DNAT"
assert_json '[.flows[] | select(.orig.sport == 40001 and .orig.dport == 53820)]
	| length == 1 and .[0].verdict == "consistent" and .[0].now.dnat == null' \
	"the hairpin flow from docker0 is judged consistent (not DNATed)"
assert_json '.summary.stale == 0 and .summary.unknown == 0' \
	"nothing stale or unknown"

step "container re-created as B: Docker replaces its DNAT and filter rules"
ipt4 -t nat -D DOCKER ! -i docker0 -p udp -m udp --dport 53820 -j DNAT --to-destination $A4:51820
ipt4 -t nat -A DOCKER ! -i docker0 -p udp -m udp --dport 53820 -j DNAT --to-destination $B4:53820
ipt4 -D DOCKER -d $A4/32 ! -i docker0 -o docker0 -p udp -m udp --dport 51820 -j ACCEPT
ipt4 -A DOCKER -d $B4/32 ! -i docker0 -o docker0 -p udp -m udp --dport 53820 -j ACCEPT
expect_stuck_on_a "container moved"
expect_seed_id "$id_before" "the rule change alone"

step "ctsweep status"
cts status -v --json
assert_rc 1 "status with a stale flow"
assert_json_contract status false
assert_json "$SEED_SEL | .verdict == \"stale\" and .reason == \"forward-changed\"
	and .now.dnat == \"$A4:51820\" and .rules.dnat == [\"$B4:53820\"]" \
	"seed flow: stale, now A, rules B"
assert_json "$SEED_SEL | .rule == \"iptables-legacy -t nat chain DOCKER rule 2\"" \
	"the deciding rule is Docker's DNAT"
assert_json '[.flows[] | select(.orig.sport == 40001)] | .[0].verdict == "consistent"' \
	"the hairpin flow from docker0 stays consistent"
assert_json '[.flows[] | select(.verdict != "consistent")] | length == 1' \
	"only the seed flow is not consistent"
assert_json '.summary.stale == 1 and .summary.unknown == 0' "one stale flow"

step "ctsweep sweep"
cts sweep --json
assert_rc 0 "sweep"
assert_json_contract sweep false
assert_json "$SEED_SEL | .deleted == true" "sweep deleted the seed flow"
assert_json '.summary.deleted == 1' "sweep deleted exactly one flow"
expect_moved_to_b "after ctsweep sweep"
expect_ct_reply "$B4" 53820 "after ctsweep sweep"
expect_flow_kept 40001 53820 "$id_hairpin" "sweep (flow in by docker0)"
expect_flow_kept 40002 9000 "$id_out" "sweep (container's masqueraded flow)"

cts status --json
assert_rc 0 "status after the sweep"
assert_json '.summary.stale == 0' "nothing stale after the sweep"
pass
