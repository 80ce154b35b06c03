#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon under valgrind (memcheck): a forward switch, IPv6 flows in the
# index, an iptables-legacy table appearing, SIGHUP, SIGUSR1 and the stats
# file, then SIGTERM.  It must exit 0 (valgrind turns any memory error or a
# definite or indirect leak into exit 99), report no errors, and the switch
# must have taken effect (B receives, the old entry is gone).
. "$(dirname "$0")/watchlib.sh"

command -v valgrind >/dev/null ||
	fail "valgrind is not installed (make deps installs it)"
# An ASan build cannot run under valgrind (make check SANITIZE=1).
if grep -qa '__asan_init' "$CTSWEEP" 2>/dev/null; then
	skip "$CTSWEEP is built with AddressSanitizer; valgrind cannot run it"
fi

VG_LOG=$LAB_TMP/valgrind.log

# Shown with the lab's diagnostics when the case fails.
eval "lab_dump_watch() $(declare -f lab_dump | tail -n +2)"
lab_dump()
{
	lab_dump_watch
	[ -f "$VG_LOG" ] && {
		echo "-- valgrind log (last 80 lines)"
		tail -n 80 "$VG_LOG"
	}
}

topo_standard
step "forward 53820 -> A:51820; watch under valgrind"
forward_to "$A4:51820"
WATCH_START_TIMEOUT=120 watch_start_cmd valgrind --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
	--log-file="$VG_LOG" "$CTSWEEP" -v --netns "$NS_RTR" watch \
	--legacy-poll 200 --stats "$LAB_TMP/watch.prom"
grep -q 'Memcheck' "$VG_LOG" || fail "valgrind did not start memcheck"
seed_traffic
step "IPv6 and more IPv4 flows into the index (its address pool)"
nft_rtr add rule inet filter input udp dport 40000 accept
udp_burst remote "$WAN6" 40000 5
udp_burst remote "$WAN4" 40000 5
wait_until 10 test "$(ct_count -f ipv6 -p udp --orig-port-dst 40000)" = 5 ||
	fail "expected 5 IPv6 flows to port 40000: $(ct_list -f ipv6 -p udp)"

step "switch the forward to B"
forward_to "$B4:53820"
expect_moved_to_b "switch under valgrind"
watch_expect_log 20 'deleted 1 stale flow \(forward-changed 1\)' \
	"watch deletes the stale flow"

step "an iptables-legacy nat table appears"
if in_rtr iptables-legacy -t nat -A PREROUTING -i wan -p udp --dport 40001 \
	-j DNAT --to-destination "$A4:40001" 2>/dev/null; then
	watch_expect_log 20 'iptables-legacy tables changed \(IPv4\)' \
		"the legacy poll reads the new table"
else
	log "note: no iptables-legacy nat table in this kernel"
fi

step "SIGHUP, SIGUSR1"
kill -HUP "$WATCH_PID"
watch_expect_log 20 'SIGHUP: (deleted|would)' "SIGHUP reconciles"
# The index holds every UDP flow conntrack holds: the seed flow, the 10 to
# port 40000 and, sometimes, one more.  A's echo of a packet that reached
# it just before the old entry was deleted leaves A just after, and opens a
# flow of its own (A to the client, masqueraded).  A receives nothing after
# the switch, so the count holds still from here.
udp=$(ct_count -p udp)
from_a=$(ct_count -p udp -s "$A4")
[ "$((udp - from_a))" = 11 ] && [ "$from_a" -le 1 ] ||
	fail "expected the 11 UDP flows made here and at most 1 from A in rtr, found $udp ($from_a from A): $(ct_list -p udp)"
kill -USR1 "$WATCH_PID"
watch_expect_log 20 "stats: [0-9]+ reconciles.* $udp indexed flows" \
	"SIGUSR1 logs the counters (the index holds all $udp UDP flows)"
expect_rx b 5 "B still receives"

step "SIGTERM: valgrind's verdict"
WATCH_STOP_TIMEOUT=60 watch_stop TERM
[ "$WATCH_RC" != 99 ] ||
	fail "valgrind found memory errors or leaks: $(grep -E 'ERROR SUMMARY|definitely|indirectly' "$VG_LOG" | tr '\n' ' ')"
[ "$WATCH_RC" = 0 ] || fail "watch under valgrind exited $WATCH_RC, expected 0"
grep -q 'ERROR SUMMARY: 0 errors' "$VG_LOG" ||
	fail "valgrind: $(grep 'ERROR SUMMARY' "$VG_LOG")"
grep -qE 'All heap blocks were freed|definitely lost: 0 bytes' "$VG_LOG" ||
	fail "valgrind: $(grep -E 'definitely|in use at exit' "$VG_LOG" | tr '\n' ' ')"
log "valgrind: $(grep -E 'in use at exit|total heap usage|ERROR SUMMARY' "$VG_LOG" | sed 's/^==[0-9]*== *//' | tr '\n' ';')"
watch_no_errors "under valgrind"
expect_ct_reply "$B4" 53820 "after the switch"
pass
