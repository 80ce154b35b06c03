# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Helpers for the "ctsweep watch" cases (tests/netns/2N-watch-*.sh), on top
# of lib.sh: start the daemon against the router's namespace, wait for its
# log lines, stop it and check its exit status.  The daemon's stderr goes to
# $LAB_TMP/watch.N.log and is shown when a case fails.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WATCH_PID=
WATCH_N=0
WATCH_LOG=/dev/null
WATCH_RC=

# Show the daemon's log with the lab's diagnostics.
eval "lab_dump_base() $(declare -f lab_dump | tail -n +2)"
lab_dump()
{
	lab_dump_base
	local f
	for f in "$LAB_TMP"/watch.*.log; do
		[ -f "$f" ] || continue
		echo "-- ctsweep watch log $f (last 60 lines)"
		tail -n 60 "$f"
	done
	[ -f "$LAB_TMP/watch.prom" ] && {
		echo "-- stats file"
		grep -v '^#' "$LAB_TMP/watch.prom"
	}
}

# watch_start [watch options]: run "ctsweep -v --netns RTR watch OPTIONS" in
# the background, in its own session, and wait for its first reconcile.
watch_start()
{
	watch_start_cmd "$CTSWEEP" -v --netns "$NS_RTR" watch "$@"
}

# watch_start_cmd CMD...: the same for a whole command line (ctsweep behind
# valgrind, setpriv or ip netns exec).  Every wrapper in CMD must exec, not
# fork, so that WATCH_PID is the daemon's own pid.  WATCH_START_TIMEOUT
# (default 30 s) bounds the wait for the first reconcile.
watch_start_cmd()
{
	[ -x "$CTSWEEP" ] ||
		fail "ctsweep binary not found at $CTSWEEP (run make)"
	WATCH_N=$((WATCH_N + 1))
	WATCH_LOG=$LAB_TMP/watch.$WATCH_N.log
	log "\$ ${*/#$CTSWEEP/ctsweep}  (log: watch.$WATCH_N.log)"
	: >"$WATCH_LOG"	# before the first watch_logged looks at it
	setsid "$@" </dev/null >"$WATCH_LOG" 2>&1 &
	WATCH_PID=$!
	LAB_PIDS+=("$WATCH_PID")
	# "start:", or "start, routes or addresses changed ...:" when changes
	# came in during the first pass
	wait_until "${WATCH_START_TIMEOUT:-30}" watch_logged "watch: start[:,] " ||
		fail "ctsweep watch did not finish its first reconcile within ${WATCH_START_TIMEOUT:-30} s"
	log "watch running (pid $WATCH_PID): $(grep -m1 -E 'watch: start[:,]' "$WATCH_LOG")"
}

watch_alive()
{
	[ -n "$WATCH_PID" ] && kill -0 "$WATCH_PID" 2>/dev/null
}

# watch_logged PATTERN: the current daemon's log has a line matching the
# extended regular expression PATTERN.
watch_logged()
{
	grep -Eq -- "$1" "$WATCH_LOG"
}

# watch_start_said PATTERN: the start pass's line says PATTERN (what it
# deleted and kept), also when something else set it off with it: route
# notifications that arrive while watch starts (a veth's address settling)
# make it "start, routes or addresses changed (2 notifications): routing
# changed: deleted ...".
watch_start_said()
{
	watch_logged "watch: start(:|,.*:) $1"
}

# The port watch --listen serves on in the cases, on the router's loopback.
HTTP_PORT=10259

# http_get PATH: GET PATH from watch --listen on the router's loopback;
# the status into HTTP_CODE, the body into $LAB_TMP/http.body.
http_get()
{
	# shellcheck disable=SC2034 # read by the cases
	HTTP_CODE=$(in_rtr curl -s -m 5 -o "$LAB_TMP/http.body" \
		-w '%{http_code}' "http://127.0.0.1:$HTTP_PORT$1")
}

http_body()
{
	cat "$LAB_TMP/http.body"
}

# watch_count PATTERN: how many log lines match.
watch_count()
{
	grep -Ec -- "$1" "$WATCH_LOG"
}

# watch_expect_log TIMEOUT PATTERN WHAT
watch_expect_log()
{
	wait_until "$1" watch_logged "$2" ||
		fail "$3: no log line matching '$2' within $1 s"
	log "watch log: $(grep -E -m1 -- "$2" "$WATCH_LOG" | cut -c1-200)"
}

# watch_stop [SIGNAL]: signal the daemon (TERM by default) and collect its
# exit status in WATCH_RC (124 when it would not exit within
# WATCH_STOP_TIMEOUT seconds, default 10).
watch_stop()
{
	local sig=${1:-TERM} n
	watch_alive || fail "ctsweep watch is not running (log: $(tail -n 3 "$WATCH_LOG"))"
	kill -"$sig" "$WATCH_PID"
	for ((n = 0; n < ${WATCH_STOP_TIMEOUT:-10} * 10; n++)); do
		kill -0 "$WATCH_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$WATCH_PID" 2>/dev/null; then
		kill -KILL "$WATCH_PID"
		wait "$WATCH_PID" 2>/dev/null
		WATCH_RC=124
	else
		wait "$WATCH_PID"
		WATCH_RC=$?
	fi
	log "watch (pid $WATCH_PID) stopped with SIG$sig: exit $WATCH_RC"
	WATCH_PID=
}

# watch_no_errors WHAT: the daemon logged no error ("<3>" lines).
watch_no_errors()
{
	! grep -q '^<3>' "$WATCH_LOG" ||
		fail "$1: ctsweep watch logged errors: $(grep '^<3>' "$WATCH_LOG" | head -n 3)"
}

# stat_value NAME [LABELS]: a value from the Prometheus stats file.
stat_value()
{
	local m=ctsweep_$1
	[ -n "${2:-}" ] && m="$m{$2}"
	awk -v m="$m" '$1 == m { print $2; exit }' "$LAB_TMP/watch.prom"
}

# ct_tagged_ids [conntrack filter]: sorted ids of the router's entries that
# carry the lab's ct mark (see ct_tag in lib.sh): an entry deleted and
# re-created by the next packet may get its old id back, but never the mark.
ct_tagged_ids()
{
	ct_list "$@" -o id | grep " mark=$CT_TAG " |
		sed -n 's/.* id=\([0-9]*\).*/\1/p' | sort -n
}

