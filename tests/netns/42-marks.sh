#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Packet marks decide the forward.  A mangle chain marks the peer's stream
# (meta mark set 0x1 for udp dport 53820) and the nat chain forwards by
# mark: 0x1 to A:51820, 0x2 to B:53820.  The switch changes only the
# mangle rule; no nat rule changes.  ctsweep must follow the mark from
# mangle (priority -150) to the nat core (-100) and call the flow stale.
# Then what cannot be seen:
#  - a clsact qdisc on wan: tc filters there may set the mark that the
#    mangle rule only ors a bit into, so the flow is unknown ("tc filter
#    on wan") and kept until the qdisc goes away;
#  - a flow the router itself starts: its socket's mark is not in the
#    rules, so a nat rule that reads it leaves that flow unknown, kept.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-legacy.sh"

topo_standard
step "mangle marks the stream 0x1; nat forwards mark 0x1 -> A, 0x2 -> B"
nft_rtr -f - <<EOF
table ip mangle {
	chain prerouting {
		type filter hook prerouting priority mangle; policy accept;
		udp dport 53820 meta mark set 0x1
	}
}
table ip marks {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		meta mark 0x1 udp dport 53820 dnat to $A4:51820
		meta mark 0x2 udp dport 53820 dnat to $B4:53820
	}
	chain output {
		type nat hook output priority -100; policy accept;
		meta mark 0x5 udp dport 9999 dnat to $B4:9999
	}
}
EOF
seed_traffic
id_before=$(ct_seed_id)

step "status before the switch: the marked flow is consistent"
cts status --json
assert_rc 0 "status with the rules matching the flow"
assert_json_contract status false
assert_json '.summary.stale == 0 and .summary.unknown == 0' \
	"nothing stale, nothing unknown: the mark is followed"

step "switch: the mangle rule now ors 0x2 into the mark (nat untouched)"
nft_rtr -f - <<'EOF'
flush chain ip mangle prerouting
add rule ip mangle prerouting udp dport 53820 meta mark set mark or 0x2
EOF
expect_stuck_on_a "the mark switch alone does not move the flow"
expect_seed_id "$id_before" "the switch alone"

step "status: stale by the mark"
cts status --json
expect_seed_stale forward-changed
assert_json "$SEED_SEL | .rules.dnat | any(. == \"$B4:53820\")" \
	"seed flow: stale, the rules now send it to B"
assert_json '.summary.unknown == 0' "no flow unknown"

step "a clsact qdisc on wan: the mark of what comes in there is unknown"
in_rtr tc qdisc add dev wan clsact || fail "cannot add clsact on wan"
cts status --json
assert_json "$SEED_SEL | .verdict == \"unknown\"
	and .unknown == \"meta mark: tc filter on wan\"" \
	"seed flow: unknown, the cause named"
assert_json '.summary.unknown_by_cause["meta mark: tc filter on wan"] == 1' \
	"summary counts it by cause"
cts sweep --json
assert_rc 0 "sweep with the qdisc"
assert_json "$SEED_SEL | .deleted == false" "sweep keeps the unknown flow"
expect_stuck_on_a "an unknown flow is kept"
expect_seed_id "$id_before" "sweep with the unknown flow"
in_rtr tc qdisc del dev wan clsact || fail "cannot remove clsact"

step "a flow the router starts: its socket mark is unknown"
start_stream LOCAL rtr "$REMOTE4" 9999 40005
wait_until 10 ct_flow_exists 40005 9999 ||
	fail "no conntrack entry for the router's own flow"
cts status --json
assert_json ".flows[] | select(.orig.sport == 40005 and .orig.dport == 9999)
	| .verdict == \"unknown\" and .unknown == \"meta mark: socket mark\"" \
	"the router's own flow: unknown, socket mark"

step "sweep moves the marked flow to B and keeps the local one"
cts sweep --json
expect_seed_swept
expect_moved_to_b "after ctsweep sweep"
wait_until 10 ct_flow_exists 40005 9999 ||
	fail "the router's own flow was deleted"
pass
