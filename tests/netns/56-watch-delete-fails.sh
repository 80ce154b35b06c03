#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A watch whose deletes fail part way says how many went before the
# failure, with the errno, and never "nothing was deleted".
#
# 5,000 entries to 53820 DNATed to A are made through ctnetlink
# (bench/ctfill), the forward is switched to B, and the deletes go in
# batches (ct.c: many a datagram, never all 5,000).  The fault shim
# (tests/fault/nlfault.c) lets the first batch through and fails every
# later one with EPERM while the file $ARM exists:
#   round 1, --no-index: the pass's deletes fail after the first batch.
#     The error line's count must be what left the table, the rest must
#     stay while the retries fail, /healthz must say a delete failed (not
#     a read), and once the fault goes the retry deletes exactly the rest
#     and the deletes counter holds all $N.
#   round 2, the index: the early pass's deletes fail after the first
#     batch (only that one send fails); it says so, the full pass deletes
#     the rest, and the counter again holds all $N, none twice.
#   round 3, sweep, deleting as its walks go and (-v) after them: exit 2,
#     the count before the failure is what left the table, never "cannot
#     read" nor "nothing was deleted".
. "$(dirname "$0")/watchlib.sh"
. "$TOP/tests/fault/lib-fault.sh"

N=5000
ARM=$LAB_TMP/fault.arm
FAULT_LOG=$LAB_TMP/fault.watch.log
to_a() { ct_count -p udp --orig-port-dst 53820 --reply-src "$A4"; }

# deleted_total: the stats file's deletes of the switch, once written
deleted_total()
{
	stat_value flows_deleted_total 'reason="forward-changed"'
}

counted_all()
{
	[ "$(deleted_total)" = $N ]
}

fault_require_shim
command -v curl >/dev/null || fail "curl is not installed (scripts/deps.sh)"
topo_standard
gcc -O2 -std=gnu11 -D_GNU_SOURCE -o "$LAB_TMP/ctfill" \
	"$TOP/bench/ctfill.c" -lmnl || fail "cannot build bench/ctfill"
# ctfill's clients (10.x.y.z) come in from the wan side, as the peer does
in_rtr ip route add 10.0.0.0/8 via "$REMOTE4" dev wan ||
	fail "cannot route 10.0.0.0/8 to the wan side"

# fill: N entries to 53820 DNATed to A, consistent with the forward to A
fill()
{
	forward_to "$A4:53820"
	"$LAB_TMP/ctfill" --netns "$NS_RTR" -n $N --stale 1 --vip "$WAN4" \
		--port 53820 --old "$A4" --new "$B4" --backend-port 53820 \
		--timeout 600 >"$LAB_TMP/fill.out" 2>&1 ||
		fail "ctfill: $(cat "$LAB_TMP/fill.out")"
	[ "$(to_a)" = $N ] || fail "expected $N entries to A, have $(to_a)"
}

# watch_shim SPEC [watch options]: watch under the shim, SPEC armed by $ARM
watch_shim()
{
	local spec=$1
	shift
	rm -f "$ARM"
	: >"$FAULT_LOG"
	rm -f "$LAB_TMP/watch.prom"
	watch_start_cmd env LD_PRELOAD="$NLFAULT_SO" NLFAULT="$spec" \
		NLFAULT_ARM="$ARM" NLFAULT_LOG="$FAULT_LOG" \
		"$CTSWEEP" -v --netns "$NS_RTR" watch --resync 0 \
		--stats "$LAB_TMP/watch.prom" "$@"
}

step "round 1: --no-index; every delete batch after the first fails (EPERM)"
fill
watch_shim "send=EPERM@ct-del#2+" --no-index --listen "127.0.0.1:$HTTP_PORT"
touch "$ARM"
forward_to "$B4:53820"
watch_expect_log 20 "deleting $N stale flows failed after [0-9]+ (was|were) deleted: Operation not permitted; run as root" \
	"the failed delete, with the count before it and the errno"
gone=$(grep -E -m1 -o "failed after [0-9]+ (was|were) deleted" "$WATCH_LOG" | grep -Eo '[0-9]+')
[ "$gone" -gt 0 ] && [ "$gone" -lt $N ] ||
	fail "expected a first batch deleted before the failure, the log says $gone"
grep -q ct-del "$FAULT_LOG" || fail "the fault never fired on a delete"
# the retries fail too (once said): what the line counted is what went
sleep 1.5
[ "$(to_a)" = $((N - gone)) ] ||
	fail "the log says $gone deleted before the failure, but $((N - $(to_a))) left the table"
watch_logged 'nothing was deleted' &&
	fail "watch said nothing was deleted: $(grep -m1 'nothing was deleted' "$WATCH_LOG")"
log "$gone deleted before the failure, $(to_a) kept while deletes fail"
http_get /healthz
[ "$HTTP_CODE $(http_body)" = "503 unhealthy: deleting stale flows from conntrack failed: Operation not permitted" ] ||
	fail "/healthz while deletes fail: $HTTP_CODE $(http_body)"

step "round 1: the fault goes; the retry deletes exactly the rest"
rm -f "$ARM"
watch_expect_log 20 "retry.*: deleted $((N - gone)) stale flows" \
	"the retry deletes the $((N - gone)) left"
[ "$(to_a)" = 0 ] || fail "$(to_a) stale entries to A left"
wait_until 5 counted_all ||
	fail "the deletes counter holds $(deleted_total), expected $N ($gone before the failure, $((N - gone)) by the retry)"
http_get /healthz
[ "$HTTP_CODE $(http_body)" = "200 ok" ] ||
	fail "/healthz after the retry: $HTTP_CODE $(http_body)"
watch_stop
[ "$WATCH_RC" = 0 ] || fail "watch exited $WATCH_RC"

step "round 2: the index; the early pass's second delete batch fails"
in_rtr conntrack -D -p udp --orig-port-dst 53820 >/dev/null 2>&1
fill
watch_shim "send=EPERM@ct-del#2"
touch "$ARM"
forward_to "$B4:53820"
watch_expect_log 20 "early pass: deleting $N stale flows failed after [0-9]+ (was|were) deleted: Operation not permitted; .*; the full pass judges the rest" \
	"the early pass's failed delete"
gone=$(grep -E -m1 -o "early pass: .* failed after [0-9]+ (was|were)" "$WATCH_LOG" | grep -Eo "[0-9]+ (was|were)" | grep -Eo '[0-9]+')
[ "$gone" -gt 0 ] && [ "$gone" -lt $N ] ||
	fail "expected a first batch deleted before the failure, the log says $gone"
watch_expect_log 20 "nftables generation.*: deleted [0-9]+ stale flows" \
	"the full pass after the early pass's failure"
[ "$(to_a)" = 0 ] || fail "$(to_a) stale entries to A left after the full pass"
wait_until 5 counted_all ||
	fail "the deletes counter holds $(deleted_total), expected $N ($gone by the early pass, the rest by the full pass)"
watch_no_errors "round 2"
watch_stop
[ "$WATCH_RC" = 0 ] || fail "watch exited $WATCH_RC"

# sweep_shim WHAT WORDS [sweep options]: sweep while every delete batch
# after the first fails; its error line (WORDS, an ERE) must count what left
# the table.
sweep_shim()
{
	local what=$1 words=$2 gone
	shift 2
	in_rtr conntrack -D -p udp --orig-port-dst 53820 >/dev/null 2>&1
	fill
	forward_to "$B4:53820"
	touch "$ARM"
	cts_cmd env LD_PRELOAD="$NLFAULT_SO" NLFAULT="send=EPERM@ct-del#2+" \
		NLFAULT_ARM="$ARM" NLFAULT_LOG="$FAULT_LOG" \
		"$CTSWEEP" --netns "$NS_RTR" sweep "$@"
	rm -f "$ARM"
	assert_rc 2 "$what"
	grep -Eq "sweep: $words: Operation not permitted; run as root" "$CTS_ERR" ||
		fail "$what: no count of what went before the failure: $(cat "$CTS_ERR")"
	grep -Eq "cannot read|nothing was deleted" "$CTS_ERR" &&
		fail "$what: the error line speaks of a read: $(cat "$CTS_ERR")"
	gone=$(grep -Eo "failed after [0-9]+" "$CTS_ERR" | grep -Eo '[0-9]+')
	[ "$gone" -gt 0 ] && [ "$(to_a)" = $((N - gone)) ] ||
		fail "$what: the line says $gone deleted, but $((N - $(to_a))) left the table"
	log "$what: $gone deleted before the failure, as the table shows"
}

step "round 3: sweep, deleting as the walks go"
sweep_shim "sweep" "deleting stale flows failed after [0-9]+ (was|were) deleted \([0-9]+ found stale when the walks stopped\)"
step "round 3: sweep -v, deleting after the walks"
sweep_shim "sweep -v" "deleting $N stale flows failed after [0-9]+ (was|were) deleted" -v
pass
