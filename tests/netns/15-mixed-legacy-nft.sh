#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A host with both an nftables nat table and iptables-legacy nat rules (a
# Debian host with nftables.service plus Docker on the legacy backend):
#   nft:    table ip nat, prerouting: udp dport 53820 dnat to A:51820
#   legacy: -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
#           -A DOCKER -i br-lan -j RETURN
#           -A DOCKER ! -i br-lan -p udp --dport 5000 -j DNAT --to A:5000
# Both nat tables hook prerouting at priority -100 (dstnat); the first NAT
# decision wins.  Each forward is switched to B in turn, and each time
# exactly its own flow is stale and swept, the other keeps its entry.
# Then both tables forward the same port (6000) to different hosts: the
# kernel runs equal-priority nat chains in an order ctsweep cannot see
# (the one registered last goes first), so the flow, wherever the kernel
# sent it, must be judged consistent and kept.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-legacy.sh"

topo_standard
step "nft forward 53820 -> A:51820, legacy (Docker-style) forward 5000 -> A:5000"
nft_rtr add rule ip nat prerouting iifname "wan" udp dport 53820 dnat to $A4:51820
ipt4 -t nat -N DOCKER
ipt4 -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
ipt4 -t nat -A DOCKER -i br-lan -j RETURN
ipt4 -t nat -A DOCKER ! -i br-lan -p udp -m udp --dport 5000 -j DNAT --to-destination $A4:5000
in_rtr nft list chain ip nat prerouting | grep -q "priority dstnat" ||
	fail "the nft nat chain is not at priority dstnat"

spawn SINK_A a socat -u UDP4-RECV:5000 OPEN:/dev/null
spawn SINK_B b socat -u UDP4-RECV:5000 OPEN:/dev/null
seed_traffic
start_sender SENDER2 5000 51821
expect_rx a:rx2 15 "udp 5000 forwarded to A by the legacy rule"
wait_until 10 ct_flow_exists 51821 5000 ||
	fail "no conntrack entry for the udp 5000 flow"
[ "$(ct_flow_reply 51821 5000 | cut -d' ' -f1,2)" = "$A4 5000" ] ||
	fail "the udp 5000 flow does not go to A:5000: $(ct_flow 51821 5000)"
ct_flow_tag 51821 5000
id5000=$(ct_flow_id 51821 5000)
id_seed=$(ct_seed_id)

cts status -v --json
assert_rc 0 "status before any switch"
assert_json "$SEED_SEL | .verdict == \"consistent\" and (.rule | startswith(\"table ip nat chain prerouting\"))" \
	"the seed flow is decided by the nft rule"
assert_json '.flows[] | select(.orig.dport == 5000) | .verdict == "consistent"
	and .rule == "iptables-legacy -t nat chain DOCKER rule 2"' \
	"the udp 5000 flow is decided by the legacy rule"
assert_json '.summary.stale == 0 and .summary.unknown == 0' "nothing stale or unknown"

step "1: switch the nft forward to B:53820"
forward_to "$B4:53820"
expect_stuck_on_a "nft forward switched"
expect_seed_id "$id_seed" "the nft switch alone"
cts status --json
assert_rc 1 "status after the nft switch"
assert_json "$SEED_SEL | .verdict == \"stale\" and .reason == \"forward-changed\"
	and .rules.dnat == [\"$B4:53820\"]" "the seed flow is stale"
assert_json '[.flows[] | select(.orig.dport == 5000)] | length == 0' \
	"the legacy forward's flow is not listed"
assert_json '.summary.stale == 1' "exactly one stale flow"
cts sweep --json
assert_rc 0 "sweep after the nft switch"
assert_json '.summary.deleted == 1' "sweep deleted exactly one flow"
assert_json "$SEED_SEL | .deleted" "the deleted flow is the seed flow"
expect_moved_to_b "after the first sweep"
expect_flow_kept 51821 5000 "$id5000" "first sweep (legacy forward unchanged)"
ct_tag ipv4 udp --orig-port-src 51820 --orig-port-dst 53820	# now at B
id_seed=$(ct_seed_id)

step "2: switch the legacy forward to B:5000 (iptables-legacy -R)"
ipt4 -t nat -R DOCKER 2 ! -i br-lan -p udp -m udp --dport 5000 -j DNAT --to-destination $B4:5000
expect_no_rx b:rx2 2 "legacy forward switched"
expect_rx a:rx2 5 "legacy forward switched"
expect_flow_kept 51821 5000 "$id5000" "the legacy switch alone"
cts status --json
assert_rc 1 "status after the legacy switch"
assert_json '[.flows[] | select(.verdict == "stale")] | length == 1' "one stale flow"
assert_json ".flows[] | select(.orig.dport == 5000) | .verdict == \"stale\"
	and .reason == \"forward-changed\" and .now.dnat == \"$A4:5000\"
	and .rules.dnat == [\"$B4:5000\"]
	and .rule == \"iptables-legacy -t nat chain DOCKER rule 2\"" \
	"the udp 5000 flow is stale, by the legacy rule"
cts sweep --json
assert_rc 0 "sweep after the legacy switch"
assert_json '.summary.deleted == 1' "sweep deleted exactly one flow"
assert_json '.flows[] | select(.deleted) | .orig.dport == 5000' \
	"the deleted flow is the udp 5000 flow"
expect_rx b:rx2 10 "udp 5000 after the second sweep"
sleep 0.3
expect_no_rx a:rx2 2 "udp 5000 after the second sweep"
expect_flow_replaced 51821 5000 "second sweep"
expect_seed_id "$id_seed" "second sweep (the nft forward's flow, now at B)"

step "3: both tables forward udp 6000 (legacy -> B:6000, nft -> A:6000)"
ipt4 -t nat -I DOCKER 2 ! -i br-lan -p udp -m udp --dport 6000 -j DNAT --to-destination $B4:6000
nft_rtr add rule ip nat prerouting iifname "wan" udp dport 6000 dnat to $A4:6000
start_sender SENDER3 6000 51822
wait_until 10 ct_flow_exists 51822 6000 ||
	fail "no conntrack entry for the udp 6000 flow"
to6000=$(ct_flow_reply 51822 6000 | cut -d' ' -f1,2)
case $to6000 in
"$A4 6000") log "the kernel ran the nft chain first" ;;
"$B4 6000") log "the kernel ran the legacy chain first" ;;
*) fail "the udp 6000 flow went neither to A nor to B: $(ct_flow 51822 6000)" ;;
esac
ct_flow_tag 51822 6000
id6000=$(ct_flow_id 51822 6000)
cts sweep -v --json
assert_rc 0 "sweep with two equal-priority forwards of one port"
assert_json '.flows[] | select(.orig.dport == 6000) | .verdict == "consistent"
	and (.rules.dnat | length == 2) and .deleted == false' \
	"the udp 6000 flow is consistent with either table's forward"
assert_json '.summary.deleted == 0 and .summary.stale == 0' "nothing deleted"
expect_flow_kept 51822 6000 "$id6000" "sweep with equal-priority forwards"
expect_seed_id "$id_seed" "sweep with equal-priority forwards"

step "... and when neither table sends it where it goes, it is stale"
ipt4 -t nat -R DOCKER 2 ! -i br-lan -p udp -m udp --dport 6000 -j DNAT --to-destination $LAN4:6000
nft_rtr -f - <<EOT
flush chain ip nat prerouting
add rule ip nat prerouting iifname "wan" udp dport 53820 dnat to $B4:53820
add rule ip nat prerouting iifname "wan" udp dport 6000 dnat to $LAN4:6000
EOT
cts status --json
assert_rc 1 "status with the 6000 flow at a host neither table names"
assert_json ".flows[] | select(.orig.dport == 6000) | .verdict == \"stale\"
	and .reason == \"forward-changed\" and .now.dnat == \"${to6000/ /:}\"" \
	"the udp 6000 flow is stale"
assert_json '.summary.stale == 1' "only the udp 6000 flow"
pass
