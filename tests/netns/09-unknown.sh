#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The judge deletes nothing on a guess.  The forward for 53820 becomes
#     udp dport 53820 limit rate 10/second dnat to B:53820
#     udp dport 53820 dnat to A:51820
# so where a new flow would go depends on a rate limiter's state when its
# first packet arrives: the seed flow (at A) must be "unknown" and survive
# the sweep.  In the same sweep a second, plainly stale flow (peer port
# 51821 -> 53821, switched from A:51821 to B:53821) must be deleted, so
# the case cannot pass by a sweep that does nothing.
. "$(dirname "$0")/lib.sh"

topo_standard
step "forwards 53820 -> A:51820 and 53821 -> A:51821, two streams"
nft_rtr -f - <<EOT
add rule ip nat prerouting iifname "wan" udp dport 53820 dnat to $A4:51820
add rule ip nat prerouting iifname "wan" udp dport 53821 dnat to $A4:51821
EOT
seed_traffic
start_sender SENDER2 53821 51821
expect_rx a:rx2 15 "second stream forwarded to A"
second() { ct_list -p udp --orig-port-src 51821 --orig-port-dst 53821 "$@"; }
second_id=$(second -o id | sed -n 's/.* id=\([0-9]*\).*/\1/p')
[ -n "$second_id" ] || fail "no conntrack entry for the second stream"
ct_tag ipv4 udp --orig-port-src 51821 --orig-port-dst 53821
seed_id=$(ct_seed_id)

step "rules: a rate limit decides 53820, 53821 switched to B"
nft_rtr -f - <<EOT
flush chain ip nat prerouting
add rule ip nat prerouting iifname "wan" udp dport 53820 limit rate 10/second dnat to $B4:53820
add rule ip nat prerouting iifname "wan" udp dport 53820 dnat to $A4:51820
add rule ip nat prerouting iifname "wan" udp dport 53821 dnat to $B4:53821
EOT
expect_no_rx b:rx2 2 "second forward switched"
expect_rx a 5 "seed stream still at A"
expect_seed_id "$seed_id" "rule change alone"

step "ctsweep status"
cts status --json
assert_rc 1 "status with one stale and one unknown flow"
assert_json_contract status false
assert_json "$SEED_SEL | .verdict == \"unknown\" and .reason == \"unmodelled\"" \
	"seed flow verdict: unknown"
assert_json "$SEED_SEL | (.unknown | type == \"string\" and length > 0)" \
	"the unknown flow says what could not be modelled"
assert_json "$SEED_SEL | .deleted == false" "status deletes nothing"
assert_json '.flows[] | select(.orig.sport == 51821 and .orig.dport == 53821)
	| .verdict == "stale" and .reason == "forward-changed"' \
	"second flow verdict: stale"
assert_json '.summary.unknown == 1 and .summary.stale == 1' "summary"
assert_json '.summary.unknown_by_cause == {"limit": 1}' \
	"the summary counts the unknown flow by its cause"
cts status
grep -q '^  1 unknown: limit$' "$CTS_OUT" ||
	fail "the text summary does not name the cause: $(cat "$CTS_OUT")"

step "ctsweep sweep"
cts sweep --json
assert_rc 0 "sweep"
assert_json_contract sweep false
assert_json "$SEED_SEL | .verdict == \"unknown\" and .deleted == false" \
	"sweep leaves the unknown flow"
assert_json '.flows[] | select(.orig.sport == 51821 and .orig.dport == 53821)
	| .deleted == true' "sweep deletes the stale second flow"
assert_json '.summary.deleted == 1' "sweep deleted exactly one flow"
expect_rx b:rx2 10 "second stream moved to B"
expect_seed_id "$seed_id" "the unknown flow after sweep"
expect_rx a 5 "seed stream still at A after sweep"
expect_ct_reply "$A4" 51820 "the unknown flow after sweep"
second | grep -q " mark=$CT_TAG " &&
	fail "the second flow still has its old conntrack entry: $(second)"

step "status afterwards: only the unknown flow is left, exit 0"
cts status --json
assert_rc 0 "status with only an unknown flow"
assert_json '.summary.unknown == 1 and .summary.stale == 0' "summary afterwards"
pass
