#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Mark math with a variable operand: "ct mark set ct mark & 0xffff0000 |
# meta mark & 0xffff", which nft 1.1.2+ writes as "bitwise reg 1 = ( reg 1
# | reg 2 )" (NFTA_BITWISE_SREG2, kernel 6.13+).  A mangle chain marks the
# peer's stream and keeps the mark's low half in the ct mark; the nat chain
# forwards by that half: 0x1 to A, 0x2 to B.  The switch changes only the
# mangle rule.  Every bit is known, so ctsweep judges the flow exactly:
# consistent, then stale, and sweep moves it.  With a clsact qdisc on wan
# the low half is unknown and the flow is kept, its cause named.
# Older writers cannot write the rule (nft 1.0.6 says "Right hand side of
# binary operation (|) must be constant"): the case runs under
# tests/writers/run with Debian 13's nft.  Nothing here lists the ruleset
# with the host's nft, which aborts on it ("BUG: invalid bitwise operation").
. "$(dirname "$0")/lib.sh"

v=$(writer_nft_version)
[ "${v:-0}" -ge 10102 ] ||
	skip "writer nft $(nft --version | awk '{ print $2 }') cannot write a variable-operand bitwise (nft >= 1.1.2; tests/writers/run trixie)"
topo_standard

# mangle_rules MARK: the stream's packet mark, and the mark math on the
# flow's first packet (later packets keep the entry's tag, see CT_TAG).
mangle_rules()
{
	cat <<EOF
table ip mangle {
	chain prerouting {
		type filter hook prerouting priority mangle; policy accept;
		udp dport 53820 meta mark set $1
		ct state new ct mark set ct mark & 0xffff0000 | meta mark & 0xffff
	}
}
EOF
}

step "mangle: mark 0x1 -> ct mark's low half; nat: 0x1 -> A, 0x2 -> B"
out=$(mangle_rules 0x1 | in_rtr nft -f - 2>&1) || {
	case $out in
	*"Operation not supported"* | *"Invalid argument"*)
		skip "kernel without the variable-operand bitwise (NFTA_BITWISE_SREG2, 6.13): $out" ;;
	esac
	fail "cannot load the mark math: $out"
}
nft_rtr -f - <<EOF
table ip marks {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		ct mark & 0xffff == 0x1 udp dport 53820 dnat to $A4:51820
		ct mark & 0xffff == 0x2 udp dport 53820 dnat to $B4:53820
	}
}
EOF
in_rtr nft --debug=netlink list chain ip mangle prerouting |
	grep -q 'bitwise reg 1 = ( reg 1 | reg 2 )' ||
	fail "the writer did not write the two-register or: $(in_rtr nft --debug=netlink list chain ip mangle prerouting 2>&1)"
seed_traffic
id_before=$(ct_seed_id)

step "status before the switch: consistent, nothing unknown"
cts status --json
assert_rc 0 "status with the rules matching the flow"
assert_json_contract status false
assert_json '.summary.consistent == 1 and .summary.stale == 0
	and .summary.unknown == 0' \
	"the flow consistent, nothing unknown: the mark math is followed"

step "switch: the stream's mark is now 0x2 (nat untouched)"
in_rtr nft flush table ip mangle || fail "cannot flush mangle"
nft_rtr -f - <<<"$(mangle_rules 0x2)"
expect_stuck_on_a "the mark switch alone does not move the flow"
expect_seed_id "$id_before" "the switch alone"

step "a clsact qdisc on wan and no mark set: the low half is unknown"
in_rtr tc qdisc add dev wan clsact || fail "cannot add clsact on wan"
in_rtr nft delete rule ip mangle prerouting handle \
	"$(in_rtr nft -a list chain ip mangle prerouting |
	   sed -n 's/.*meta mark set .* # handle \([0-9]*\)$/\1/p')" ||
	fail "cannot delete the mark rule"
cts status --json
assert_json "$SEED_SEL | .verdict == \"unknown\"
	and .unknown == \"ct mark: tc filter on wan\"" \
	"seed flow: unknown, the cause named"
cts sweep --json
assert_rc 0 "sweep with the qdisc"
assert_json "$SEED_SEL | .deleted == false" "sweep keeps the unknown flow"
expect_seed_id "$id_before" "sweep with the unknown flow"
in_rtr tc qdisc del dev wan clsact || fail "cannot remove clsact"
in_rtr nft flush table ip mangle || fail "cannot flush mangle"
nft_rtr -f - <<<"$(mangle_rules 0x2)"

step "status: stale by the mark math"
cts status --json
expect_seed_stale forward-changed
assert_json "$SEED_SEL | .rules.dnat | any(. == \"$B4:53820\")" \
	"seed flow: stale, the rules now send it to B"
assert_json '.summary.unknown == 0' "no flow unknown"

step "sweep moves the flow to B"
cts sweep --json
expect_seed_swept
expect_moved_to_b "after ctsweep sweep"
pass
