#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Nothing ctsweep prints can be steered by the rules it reads.  A table and
# a chain whose names hold quotes, a backslash, a newline and a priority
# prefix, a rule comment that tries to close the JSON string and forge a
# verdict plus a log line and a terminal escape (all via "nft -j", which
# accepts them), and an iptables-nft comment with a newline.  Then:
# "status -v --json" is one valid document whose flows are exactly the
# real ones with their real fields; "status -v" has one line per header,
# flow, rule and summary, all printable ASCII; watch's log is one
# prefixed line per message while it names the hostile chain.
. "$(dirname "$0")/watchlib.sh"

TBL=$'evil"tbl\\\n<3>x'
CHN=$'pre"},{\n'
CMT=$'x"},{"verdict":"consistent\n<3>ctsweep: forged\e[31m'
XT_CMT=$'a\n"},{"verdict":"consistent","x":"\\y\e[2J'

# hostile_fwd ADDR PORT: (re)load the hostile table, its dnat 53820 to
# ADDR:PORT.
hostile_fwd()
{
	jq -n --arg t "$TBL" --arg c "$CHN" --arg cm "$CMT" --arg a "$1" \
		--argjson p "$2" '{nftables: [
		{add: {table: {family: "ip", name: $t}}},
		{add: {chain: {family: "ip", table: $t, name: $c, type: "nat",
			hook: "prerouting", prio: -100, policy: "accept"}}},
		{flush: {chain: {family: "ip", table: $t, name: $c}}},
		{add: {rule: {family: "ip", table: $t, chain: $c, comment: $cm,
			expr: [
			{match: {op: "==", left: {meta: {key: "iifname"}},
				 right: "wan"}},
			{match: {op: "==", left: {payload: {protocol: "udp",
				 field: "dport"}}, right: 53820}},
			{dnat: {addr: $a, port: $p}}]}}}]}' >"$LAB_TMP/hostile.json" ||
		fail "jq could not build the ruleset"
	in_rtr nft -j -f "$LAB_TMP/hostile.json" ||
		fail "nft -j refused the hostile ruleset"
}

# only_printable FILE WHAT: every byte is printable ASCII or a newline.
only_printable()
{
	local bad
	bad=$(LC_ALL=C grep -c '[^ -~]' "$1")
	[ "$bad" = 0 ] ||
		fail "$2: $bad lines with control or non-ASCII bytes: $(LC_ALL=C grep -m2 '[^ -~]' "$1" | cat -A)"
}

topo_standard --fw iptables-nft
step "hostile names: table, chain and comment (nft -j), iptables-nft comment"
hostile_fwd "$A4" 51820
in_rtr iptables-nft -t nat -A PREROUTING -i wan -p udp --dport 40000 \
	-m comment --comment "$XT_CMT" -j DNAT --to-destination "$A4:40000" ||
	fail "iptables-nft refused the comment"
in_rtr nft list ruleset | grep -q 'forged' ||
	fail "the hostile comment is not in the ruleset"
seed_traffic
udp_burst remote "$WAN4" 40000 3
wait_until 5 test "$(ct_count -p udp --orig-port-dst 40000)" = 3 ||
	fail "expected 3 flows to port 40000: $(ct_list -p udp --orig-port-dst 40000)"
nflows=$(($(ct_count -p udp) ))
log "$nflows UDP flows in the router"

step "switch the hostile forward to B (nothing running): the seed flow is stale"
hostile_fwd "$B4" 53820

cts -v status --json
assert_rc 1 "status with a stale flow behind hostile names"
assert_json_contract status false
assert_json "(.flows | length) == $nflows and .summary.judged == $nflows
	and .summary.stale == 1 and .summary.consistent == $((nflows - 1))" \
	"exactly the real flows, judged once each"
assert_json '[.flows[] | select(.verdict != "consistent")] | length == 1' \
	"one flow that is not consistent"
assert_json "$SEED_SEL | .verdict == \"stale\"
	and .reason == \"forward-changed\"
	and .orig.src == \"$REMOTE4\" and .orig.dst == \"$WAN4\"
	and .reply.src == \"$A4\" and .reply.sport == 51820
	and .rules.dnat == [\"$B4:53820\"] and .deleted == false" \
	"the seed flow's fields are intact"
# The deciding rule names the table, chain and comment, escaped: quotes
# and backslashes as \" and \\, everything unprintable as '?'.
want=$'table ip evil\\"tbl\\\\?<3>x chain pre\\"},{? handle '
got=$(json "$SEED_SEL | .rule" | jq -r .)
case $got in
"$want"*' comment "x\"},{\"verdict\":\"consistent?<3>ctsweep: forged?[31m"') ;;
*) fail "seed flow: rule is '$got', expected '$want... comment ...'" ;;
esac
log "seed flow's rule: $got"
assert_json '[.flows[] | select(.orig.dport == 40000)] | length == 3
	and all(.verdict == "consistent" and .rules.dnat == ["'"$A4"':40000"]
		and (.rule | test("comment \"a\\?\\\\\"},\\{\\\\\"verdict")))' \
	"the iptables-nft flows: consistent, comment escaped"
only_printable "$CTS_OUT" "status --json"

cts -v status
assert_rc 1 "status (text) with a stale flow behind hostile names"
only_printable "$CTS_OUT" "status -v"
lines=$(wc -l <"$CTS_OUT")
# header + (flow + rule line) per flow + summary + hint
[ "$lines" = $((1 + 2 * nflows + 2)) ] ||
	fail "status -v printed $lines lines, expected $((1 + 2 * nflows + 2)) for $nflows flows"
[ "$(grep -c '^udp ' "$CTS_OUT")" = "$nflows" ] ||
	fail "status -v: expected $nflows flow lines"
[ "$(grep -c '^ *rule: ' "$CTS_OUT")" = "$nflows" ] ||
	fail "status -v: expected $nflows rule lines"
[ "$(grep -c 'stale: forward now points elsewhere' "$CTS_OUT")" = 1 ] ||
	fail "status -v: expected one stale flow line"
grep -qF "$want" "$CTS_OUT" || fail "status -v does not show the escaped names"
log "status -v: $lines lines, all printable"

step "watch: every message one prefixed line, naming the hostile chain"
watch_start
watch_expect_log 10 'start: .*deleted 1 stale flow' "watch deletes the stale flow"
expect_rx b 10 "after watch started"
hostile_fwd "$A4" 51820
expect_rx a:anyrx 10 "switched back to A"
watch_expect_log 10 'chain ip evil"tbl\\\?<3>x pre"\},\{\? changed: deleted 1 stale flow' \
	"watch names the hostile chain, escaped"
n=$(grep -vcE '^<[0-7]>ctsweep: watch: ' "$WATCH_LOG")
[ "$n" = 0 ] || fail "watch log: $n lines without the prefix: $(grep -vE '^<[0-7]>ctsweep: watch: ' "$WATCH_LOG" | head -n 3 | cat -A)"
only_printable "$WATCH_LOG" "watch log"
watch_no_errors "hostile names"
watch_stop
[ "$WATCH_RC" = 0 ] || fail "watch exited $WATCH_RC on SIGTERM"
pass
