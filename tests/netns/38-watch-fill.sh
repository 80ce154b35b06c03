#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A switch while watch's flow index still fills moves the flow: nothing
# waits for the fill.  200,000 other entries (bench/ctfill: real kernel
# entries, masqueraded LAN flows) make the fill take a while; the forward
# is switched from A to B as soon as watch says it is filling.  Until the
# index is complete, the reaction finds the change's flows by walks the
# kernel filters to its port, so its line, when it comes before "flow index
# ready", must already say the flow was deleted (the log decides the order,
# not the clock).  The first full pass ("start:") comes once the index is
# ready, with every entry indexed.
. "$(dirname "$0")/watchlib.sh"

N=200000

topo_standard
step "$N other entries, then the seed flow to A"
gcc -O2 -std=gnu11 -D_GNU_SOURCE -o "$LAB_TMP/ctfill" \
	"$TOP/bench/ctfill.c" -lmnl || fail "cannot build bench/ctfill"
"$LAB_TMP/ctfill" --netns "$NS_RTR" -n $N --stale 0 --masq 1 \
	--vip "$WAN4" --port 40000 --old 192.168.50.9 --new 192.168.50.9 \
	--masq-addr "$WAN4" --timeout 600 >"$LAB_TMP/fill.out" 2>&1 ||
	fail "ctfill: $(cat "$LAB_TMP/fill.out")"
log "$(head -n 1 "$LAB_TMP/fill.out")"
forward_to "$A4:51820"
seed_traffic

step "watch; the switch to B while its index fills"
WATCH_N=$((WATCH_N + 1))
WATCH_LOG=$LAB_TMP/watch.$WATCH_N.log
: >"$WATCH_LOG"
setsid "$CTSWEEP" -v --netns "$NS_RTR" watch </dev/null >"$WATCH_LOG" 2>&1 &
WATCH_PID=$!
LAB_PIDS+=("$WATCH_PID")
wait_until 30 watch_logged 'filling the flow index' ||
	fail "watch did not start filling its index"
forward_to "$B4:53820"
expect_moved_to_b "switched while the index fills"
watch_expect_log 60 'flow index ready: [0-9]+ flows' "the index gets ready"
watch_expect_log 30 'watch: start[:,] ' "the first full pass"
n=$(sed -n 's/.*flow index ready: \([0-9]*\) flows.*/\1/p' "$WATCH_LOG")
[ "$n" -ge "$N" ] || fail "the index holds $n flows, the table $N and more"

reaction=$(grep -n -E -m1 'nftables generation [0-9]+.*stale flow' "$WATCH_LOG" | cut -d: -f1)
ready=$(grep -n -m1 'flow index ready' "$WATCH_LOG" | cut -d: -f1)
[ -n "$reaction" ] || fail "no reaction to the switch in the log"
if [ "$reaction" -lt "$ready" ]; then
	sed -n "${reaction}p" "$WATCH_LOG" | grep -q 'deleted 1 stale flow' ||
		fail "the reaction during the fill did not delete the flow: $(sed -n "${reaction}p" "$WATCH_LOG")"
	log "the reaction came during the fill and moved the flow"
else
	log "the fill ended before the switch's reaction (fast machine)"
fi
watch_no_errors "fill"
watch_stop
[ "$WATCH_RC" = 0 ] || fail "watch exited $WATCH_RC on SIGTERM"
pass
