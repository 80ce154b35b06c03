#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Signals and counters.  The forward lives in the iptables-legacy nat table,
# which sends no notifications; with --legacy-poll 0 and --resync 0 watch
# cannot see a change by itself, so a switch to B stays stuck on A until
# SIGHUP makes it read everything again.  SIGUSR1 logs the counters, the
# --stats file holds sane values, SIGTERM and SIGINT end it with status 0.
# Then the legacy poll: with --legacy-poll 200 a switch back to A is
# found without a signal; and with the poll off, the periodic resync finds
# a switch to B from the flow index (--refill 0: no dump).
. "$(dirname "$0")/watchlib.sh"

command -v iptables-legacy >/dev/null || fail "iptables-legacy is not installed"

legacy_fwd()
{
	in_rtr iptables-legacy -t nat "$1" PREROUTING ${2:+$2} -i wan -p udp \
		--dport 53820 -j DNAT --to-destination "$3" ||
		fail "iptables-legacy $1 failed"
}

topo_standard
if ! in_rtr iptables-legacy -t nat -S >/dev/null 2>&1; then
	skip "kernel without the iptables-legacy nat table (iptable_nat)"
fi
step "iptables-legacy: DNAT 53820 -> A:51820"
legacy_fwd -A "" "$A4:51820"
watch_start --legacy-poll 0 --resync 0 --stats "$LAB_TMP/watch.prom"
seed_traffic

step "switch the legacy rule to B: watch cannot see it"
legacy_fwd -R 1 "$B4:53820"
expect_stuck_on_a "legacy change, no poll, no resync"
n=$(watch_count 'deleted [1-9]')
[ "$n" = 0 ] || fail "watch deleted something without a reason to look"

step "SIGHUP: read everything again"
kill -HUP "$WATCH_PID"
watch_expect_log 10 'SIGHUP.*deleted 1 stale flow \(forward-changed 1\)' \
	"SIGHUP reconciles"
expect_moved_to_b "after SIGHUP"
expect_ct_reply "$B4" 53820 "after SIGHUP"

step "SIGUSR1 logs the counters; the stats file agrees"
kill -USR1 "$WATCH_PID"
watch_expect_log 5 'stats: [0-9]+ reconciles .* forward-changed=1' \
	"SIGUSR1 logs the counters"
[ -s "$LAB_TMP/watch.prom" ] || fail "no stats file"
[ ! -e "$LAB_TMP/watch.prom.tmp" ] || fail "the stats file's temporary was left behind"
v=$(stat_value flows_deleted_total 'reason="forward-changed"')
[ "$v" = 1 ] || fail "stats: forward-changed deletes '$v', expected 1"
v=$(stat_value flows_judged_total)
[ -n "$v" ] && [ "$v" -ge 1 ] || fail "stats: flows judged '$v', expected >= 1"
[ "$(stat_value reconciles_total 'trigger="sighup"')" = 1 ] ||
	fail "stats: sighup reconciles $(stat_value reconciles_total 'trigger="sighup"')"
[ "$(stat_value reconciles_total 'trigger="start"')" = 1 ] || fail "stats: start"
[ "$(stat_value events_lost_total)" = 0 ] || fail "stats: events lost"
[ "$(stat_value errors_total)" = 0 ] || fail "stats: errors"
[ "$(stat_value flows_unknown_total)" = 0 ] || fail "stats: unknown verdicts"
v=$(stat_value last_reaction_microseconds)
[ -n "$v" ] && [ "$v" -gt 0 ] || fail "stats: last reaction '$v'"
grep -q '^# TYPE ctsweep_flows_deleted_total counter$' "$LAB_TMP/watch.prom" ||
	fail "stats file lacks TYPE lines"
log "stats: $(grep -v '^#' "$LAB_TMP/watch.prom" | grep -v ' 0$' | tr '\n' ' ')"

step "SIGTERM: clean exit"
watch_stop TERM
[ "$WATCH_RC" = 0 ] || fail "SIGTERM: watch exited $WATCH_RC, expected 0"
watch_logged 'SIGTERM: stopping' || fail "no log line for SIGTERM"
watch_no_errors "signals"

step "legacy poll: --legacy-poll 200 finds a switch back to A by itself"
watch_start --legacy-poll 200 --resync 0
legacy_fwd -R 1 "$A4:51820"
watch_expect_log 10 'iptables-legacy tables changed \(IPv4\).*deleted 1 stale flow' \
	"the legacy poll finds the change"
expect_rx a:anyrx 10 "after the legacy poll"
sleep 0.3
expect_no_rx b 2 "after the legacy poll"
watch_stop INT
[ "$WATCH_RC" = 0 ] || fail "SIGINT: watch exited $WATCH_RC, expected 0"
watch_no_errors "legacy poll"

step "periodic resync without a refill: --resync 1 --refill 0 finds a switch"
# Poll off: only the safety net can see the legacy change, and with
# --refill 0 it judges the flows the event-fed index holds.
watch_start --legacy-poll 0 --resync 1 --refill 0
legacy_fwd -R 1 "$B4:53820"
watch_expect_log 10 'periodic resync.*deleted 1 stale flow' \
	"the periodic resync finds the change from the index"
expect_moved_to_b "after the periodic resync"
watch_stop TERM
[ "$WATCH_RC" = 0 ] || fail "SIGTERM: watch exited $WATCH_RC, expected 0"
watch_no_errors "periodic resync"
pass
