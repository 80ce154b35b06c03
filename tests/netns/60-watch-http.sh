#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# watch --listen: /metrics and /healthz, as a Prometheus scrape and a
# kubelet liveness probe see them (curl on the router's loopback).
#
# The seed's forward moves from A to B while more idle clients than the
# server has connection slots each hold half a request line open: watch
# still moves the flow (the reaction loop never waits on HTTP), and once
# they are cut off /metrics answers what the --stats file holds, byte for
# byte (one renderer), with the delete counted.  /healthz answers 200 "ok".
# Then a daemon that cannot read the nftables rules (tests/fault/nlfault.c
# fails every rule dump with EACCES) answers /healthz with 503 and says
# why, while /metrics counts its failed passes; and one that started well
# loses notifications (a 4 KiB buffer, stopped while 400 rules come in) and
# cannot read the rules for the resync: 503, "lost and no resync has
# completed since"; and one whose loop is held 6 s inside a rules read (the
# shim runs "sleep 6" first) answers 503 "has not run" past the bound
# (the hidden --stall 2; 60 s by default), and 200 once it turns again.  A bad --listen and a port
# already taken end watch at once with exit status 2.
. "$(dirname "$0")/watchlib.sh"
. "$TOP/tests/fault/lib-fault.sh"

PORT=$HTTP_PORT
URL=http://127.0.0.1:$PORT

# metrics_as_file: /metrics is the stats file, byte for byte.
metrics_as_file()
{
	http_get /metrics
	[ "$HTTP_CODE" = 200 ] && cmp -s "$LAB_TMP/http.body" "$LAB_TMP/watch.prom"
}

# held: connections the server has accepted from the idle clients.
held()
{
	in_rtr ss -Htn state established "( sport = :$PORT )" | grep -c .
}

answers()
{
	http_get /healthz
	[ "$HTTP_CODE" = 200 ]
}

fault_require_shim
command -v curl >/dev/null || fail "curl is not installed (scripts/deps.sh)"
topo_standard
step "seed: the peer's stream forwarded to A"
forward_to "$A4:51820"

step "ctsweep watch --listen 127.0.0.1:$PORT"
watch_start --stats "$LAB_TMP/watch.prom" --listen "127.0.0.1:$PORT"
watch_logged "started: .*; /metrics and /healthz on 127\.0\.0\.1:$PORT" ||
	fail "watch's start line does not name the address it serves"
http_get /healthz
[ "$HTTP_CODE" = 200 ] && [ "$(http_body)" = ok ] ||
	fail "/healthz: $HTTP_CODE $(http_body)"
log "/healthz: $HTTP_CODE $(http_body)"
http_get /metrics
[ "$HTTP_CODE" = 200 ] || fail "/metrics: $HTTP_CODE"
grep -qx 'ctsweep_reconciles_total{trigger="start"} 1' "$LAB_TMP/http.body" ||
	fail "/metrics does not count the start pass: $(head -c 600 "$LAB_TMP/http.body")"
http_get /nothing
[ "$HTTP_CODE" = 404 ] || fail "/nothing: $HTTP_CODE, expected 404"
code=$(in_rtr curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST -d x "$URL/metrics")
[ "$code" = 405 ] || fail "POST /metrics: $code, expected 405"
seed_traffic

step "24 idle clients, each with half a request line, hold every slot"
for i in $(seq 24); do
	spawn IDLE rtr bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT &&
		printf 'GET /met' >&3 && sleep 30"
done
wait_until 10 bash -c "[ \$(ip netns exec $NS_RTR ss -Htn state established '( sport = :$PORT )' | grep -c .) -ge 16 ]" ||
	fail "the idle clients hold $(held) connections, expected 16 (the server's limit)"
log "the server holds $(held) idle connections"

step "the forward moves to B while they hold: watch moves the flow"
forward_to "$B4:53820"
expect_moved_to_b "after the forward moved, slots all held by idle clients"
watch_expect_log 10 'deleted 1 stale flow \(forward-changed 1\)' \
	"watch deletes the seed's flow"

step "the idle clients are cut off; /metrics is the stats file"
wait_until 30 answers || fail "the server does not answer after its idle clients time out"
wait_until 10 metrics_as_file ||
	fail "/metrics and the stats file differ: $(diff "$LAB_TMP/http.body" "$LAB_TMP/watch.prom" | head -n 10)"
grep -qx 'ctsweep_flows_deleted_total{reason="forward-changed"} 1' "$LAB_TMP/http.body" ||
	fail "/metrics does not count the delete: $(grep deleted "$LAB_TMP/http.body")"
grep -q '^# TYPE ctsweep_flows_deleted_total counter$' "$LAB_TMP/http.body" ||
	fail "/metrics lacks the TYPE lines"
in_rtr curl -s -m 5 -o /dev/null -D "$LAB_TMP/http.head" "$URL/metrics"
grep -qi '^content-type: text/plain; version=0.0.4' "$LAB_TMP/http.head" ||
	fail "/metrics is not served as Prometheus text: $(cat "$LAB_TMP/http.head")"
log "/metrics: $(grep -c '^ctsweep_' "$LAB_TMP/http.body") samples, as the stats file"

step "a second watch on the same port, and a bad --listen: exit 2"
cts watch --listen "127.0.0.1:$PORT"
assert_rc 2 "a port already taken"
grep -q "cannot listen on '127.0.0.1:$PORT': Address already in use" "$CTS_ERR" ||
	fail "no message on the taken port: $(cat "$CTS_ERR")"
cts watch --listen "localhost:$PORT"
assert_rc 2 "--listen localhost:$PORT"
grep -q "watch: --listen 'localhost:$PORT': not an address and port" "$CTS_ERR" ||
	fail "no message on the bad --listen: $(cat "$CTS_ERR")"
watch_no_errors "serving HTTP"
watch_stop TERM
[ "$WATCH_RC" = 0 ] || fail "SIGTERM: watch exited $WATCH_RC, expected 0"
in_rtr curl -s -m 2 "$URL/healthz" >/dev/null &&
	fail "the port still answers after watch stopped"

# fault_watch SPEC [OPTIONS]: watch --listen under the nlfault shim.
fault_watch()
{
	FAULT_LOG=$LAB_TMP/fault.$((WATCH_N + 1)).log
	: >"$FAULT_LOG"
	WATCH_N=$((WATCH_N + 1))
	WATCH_LOG=$LAB_TMP/watch.$WATCH_N.log
	setsid env LD_PRELOAD="$NLFAULT_SO" NLFAULT="$1" \
		NLFAULT_EXEC="${FAULT_EXEC:-}" \
		NLFAULT_LOG="$FAULT_LOG" "$CTSWEEP" -v --netns "$NS_RTR" watch \
		--listen "127.0.0.1:$PORT" "${@:2}" </dev/null >"$WATCH_LOG" 2>&1 &
	WATCH_PID=$!
	LAB_PIDS+=("$WATCH_PID")
}

unhealthy()
{
	http_get /healthz
	[ "$HTTP_CODE" = 503 ]
}

started_or_failed()
{
	watch_logged 'watch: start[:,] |watch: cannot read '
}

step "watch that cannot read the nftables rules: /healthz 503"
fault_watch "recv=EACCES@nft-rule#1+"
watch_expect_log 15 'watch: cannot read .*: Permission denied' \
	"watch reports the unreadable rules"
fault_fired "recv=EACCES@nft-rule#1+"
wait_until 10 unhealthy || fail "/healthz: $HTTP_CODE $(http_body), expected 503"
grep -Eq '^unhealthy: cannot read .*: Permission denied$' "$LAB_TMP/http.body" ||
	fail "/healthz does not say why: $(http_body)"
log "/healthz: $HTTP_CODE $(http_body)"
http_get /metrics
[ "$HTTP_CODE" = 200 ] || fail "/metrics while unhealthy: $HTTP_CODE"
n=$(awk '$1 == "ctsweep_errors_total" { print $2 }' "$LAB_TMP/http.body")
[ "${n:-0}" -ge 1 ] || fail "/metrics counts no failed pass: ${n:-none}"
watch_stop TERM
[ "$WATCH_RC" = 0 ] || fail "SIGTERM: watch exited $WATCH_RC, expected 0"

step "notifications lost, and the resync cannot read the rules: /healthz 503"
# The start pass reads the rules in a few receives; the fault is armed
# for the first one after them.  How many is found here (fewest first),
# so that the start succeeds and the first later read fails.
k=2
while :; do
	fault_watch "recv=EACCES@nft-rule#$k+" --rcvbuf 4096
	wait_until 15 started_or_failed || fail "watch neither started nor failed"
	watch_logged 'watch: start[:,] ' && break
	watch_stop TERM
	k=$((k + 1))
	[ "$k" -le 60 ] || fail "the start pass never read the rules in under 60 receives"
done
log "the start pass read the rules in $((k - 1)) receives; the next one fails"
http_get /healthz
[ "$HTTP_CODE" = 200 ] || fail "/healthz after a good start: $HTTP_CODE $(http_body)"
for ((i = 0; i < 400; i++)); do
	echo "add rule ip nat prerouting iifname \"wan\" udp dport $((20000 + i)) dnat to $A4:$((20000 + i))"
done >"$LAB_TMP/burst.nft"
# Stopped, the daemon cannot read while the kernel queues 400 rules'
# notifications into its 4 KiB buffer: the loss is certain.
kill -STOP "$WATCH_PID"
nft_rtr -f "$LAB_TMP/burst.nft"
kill -CONT "$WATCH_PID"
watch_expect_log 10 'notifications lost' "watch notices the loss"
wait_until 10 unhealthy || fail "/healthz after lost events: $HTTP_CODE $(http_body), expected 503"
grep -qx 'unhealthy: notifications or conntrack events were lost and no resync has completed since' \
	"$LAB_TMP/http.body" || fail "/healthz does not say why: $(http_body)"
log "/healthz: $HTTP_CODE $(http_body)"
http_get /metrics
n=$(awk '$1 == "ctsweep_events_lost_total" { print $2 }' "$LAB_TMP/http.body")
[ "${n:-0}" -ge 1 ] || fail "/metrics counts no loss: ${n:-none}"
watch_stop TERM
[ "$WATCH_RC" = 0 ] || fail "SIGTERM: watch exited $WATCH_RC, expected 0"

step "the loop held up 6 s in a rules read: /healthz 503, then 200 again"
# How many nftables rule requests the start pass sends: a harmless exec
# on each one, counted.
FAULT_EXEC=true fault_watch "exec@nft-rule#1+"
watch_expect_log 15 'watch: start[:,] ' "watch starts"
sends=$(grep -c . "$FAULT_LOG")
watch_stop TERM
[ "$sends" -ge 1 ] || fail "the start pass sent no rule request through the shim"
# The next one runs "sleep 6" first, in the loop's thread; --stall 2 is
# the test's bound (the default is 60 s).
FAULT_EXEC="sleep 6" fault_watch "exec@nft-rule#$((sends + 1))" --stall 2
watch_expect_log 15 'watch: start[:,] ' "watch starts"
http_get /healthz
[ "$HTTP_CODE" = 200 ] || fail "/healthz after the start: $HTTP_CODE $(http_body)"
nft_rtr add rule ip nat prerouting iifname "wan" udp dport 9999 dnat to "$A4:9999"
wait_until 10 unhealthy || fail "/healthz while the loop is held: $HTTP_CODE $(http_body), expected 503"
grep -Eqx 'unhealthy: the reaction loop has not run for [0-9]+ s \(bound 2 s\)' \
	"$LAB_TMP/http.body" || fail "/healthz does not say why: $(http_body)"
log "/healthz: $HTTP_CODE $(http_body)"
wait_until 15 answers || fail "/healthz once the loop turns again: $HTTP_CODE $(http_body)"
fault_fired "exec@nft-rule#$((sends + 1))"
watch_expect_log 10 'nftables generation [0-9]+' "the held pass completes"
watch_stop TERM
[ "$WATCH_RC" = 0 ] || fail "SIGTERM: watch exited $WATCH_RC, expected 0"
pass
