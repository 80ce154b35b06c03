#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Errors exit 2 with one message on stderr and never delete: a stale flow is
# waiting in the table throughout, and its conntrack id must not change.
# Also: --help and --version exit 0, and global options are accepted after
# the subcommand.
#
# Every error run happens inside the router's namespace: should ctsweep
# ignore a bad --netns and carry on where it runs, it acts on the lab (and
# the stale flow's disappearance fails the case), never on the host.
. "$(dirname "$0")/lib.sh"

cts_here() { cts_cmd ip netns exec "$NS_RTR" "$CTSWEEP" "$@"; }

topo_standard
step "a stale flow to tempt a broken error path"
seed_stale
seed_id=$(ct_seed_id)
ids_before=$(ct_ids)

# expect_error WHAT: last run exited 2, said something on stderr, printed
# no result on stdout, and the conntrack table lost nothing.
# With --usage, the message may be followed by the usage text.
expect_error()
{
	local lines gone usage=0
	if [ "$1" = --usage ]; then usage=1; shift; fi
	assert_rc 2 "$1"
	lines=$(grep -c . "$CTS_ERR")
	[ "$lines" -ge 1 ] || fail "$1: nothing on stderr"
	[ "$lines" -le 3 ] || [ $usage = 1 ] ||
		fail "$1: $lines lines on stderr, expected one message"
	[ ! -s "$CTS_OUT" ] ||
		fail "$1: error run printed on stdout: $(head -c 200 "$CTS_OUT")"
	gone=$(ids_gone "$ids_before" "$(ct_ids)")
	[ -z "$gone" ] || fail "$1: conntrack entries deleted: $gone"
	expect_seed_id "$seed_id" "$1"
	log "ok: $1 -> exit 2, stderr: $(head -n 1 "$CTS_ERR")"
}

step "usage errors"
cts frobnicate
expect_error "unknown command"
cts_here frobnicate
expect_error "unknown command (no --netns)"
cts sweep --frobnicate
expect_error "unknown option after the subcommand"
cts --frobnicate sweep
expect_error "unknown option before the subcommand"
cts_here sweep --dry-run --frobnicate
expect_error "unknown option after --dry-run"
cts sweep --settle soon
expect_error "--settle with no number"
cts sweep --settle=60001
expect_error "--settle beyond 60000 ms"
cts sweep --settle
expect_error "--settle without a value"
grep -q "milliseconds" "$CTS_ERR" ||
	fail "--settle's message does not say what it takes"
cts status --settle 5
expect_error "--settle is sweep's alone"
cts
expect_error --usage "no command"
cts_here sweep --netns
expect_error "--netns without a name"

step "missing namespace"
cts_here --netns "nosuch-$LAB_ID" sweep
expect_error "--netns nosuch"
cts_here sweep --netns "nosuch-$LAB_ID"
expect_error "sweep --netns nosuch"
cts_here --netns "nosuch-$LAB_ID" status --json
expect_error "--netns nosuch (status --json)"

step "no CAP_NET_ADMIN"
# CAP_NET_ADMIN is bit 12 of the effective set.
capeff=$(setpriv --bounding-set -net_admin --inh-caps -net_admin \
	awk '/^CapEff:/ { print $2 }' /proc/self/status)
[ -n "$capeff" ] && [ $((0x$capeff >> 12 & 1)) = 0 ] ||
	fail "setpriv cannot drop CAP_NET_ADMIN here (CapEff $capeff)"
cts_cmd ip netns exec "$NS_RTR" setpriv --bounding-set -net_admin \
	--inh-caps -net_admin "$CTSWEEP" --netns "$NS_RTR" sweep
expect_error "sweep without CAP_NET_ADMIN (setpriv, --netns)"
cts_cmd ip netns exec "$NS_RTR" setpriv --bounding-set -net_admin \
	--inh-caps -net_admin "$CTSWEEP" sweep
expect_error "sweep without CAP_NET_ADMIN (setpriv inside the namespace)"
cts_cmd ip netns exec "$NS_RTR" setpriv --reuid nobody --regid nogroup \
	--clear-groups "$CTSWEEP" sweep --json
expect_error "sweep as nobody inside the namespace"
cts_cmd ip netns exec "$NS_RTR" setpriv --reuid nobody --regid nogroup \
	--clear-groups "$CTSWEEP" status
expect_error "status as nobody inside the namespace"

step "--help and --version"
cts_cmd "$CTSWEEP" --help
assert_rc 0 "--help"
[ -s "$CTS_OUT" ] || fail "--help printed nothing on stdout"
cts_cmd "$CTSWEEP" --version
assert_rc 0 "--version"
grep -q '[0-9]\.[0-9]' "$CTS_OUT" || fail "--version printed no version"

step "global options after the subcommand"
cts_cmd "$CTSWEEP" status --json --netns "$NS_RTR" -v
assert_rc 1 "status --json --netns NAME -v"
assert_json "$SEED_SEL | .verdict == \"stale\"" "the stale flow, options after the subcommand"
assert_json '(.flows | length) == .summary.judged' "-v after the subcommand lists all flows"
expect_seed_id "$seed_id" "after all error runs"
pass
