#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# "sweep --dry-run" reports what it would delete and deletes nothing: the
# stale seed flow keeps its conntrack id and keeps going to A.  A real sweep
# afterwards proves the reported flow was the one to delete.
. "$(dirname "$0")/lib.sh"

topo_standard
step "forward 53820 -> A:51820, stream, then switch to B:53820"
seed_stale
id_before=$(ct_seed_id)
expect_stuck_on_a "forward switched"

step "ctsweep sweep --dry-run --json"
cts sweep --dry-run --json
assert_rc 0 "sweep --dry-run"
assert_json_contract sweep true
assert_json "$SEED_SEL | .verdict == \"stale\" and .reason == \"forward-changed\"" \
	"dry run reports the seed flow as stale"
assert_json "$SEED_SEL | .deleted == false" "dry run marks nothing deleted"
assert_json '.summary.stale == 1 and .summary.deleted == 0' "dry run summary"
expect_seed_id "$id_before" "after sweep --dry-run"
expect_stuck_on_a "after sweep --dry-run"

step "ctsweep sweep --dry-run (text)"
cts sweep --dry-run
assert_rc 0 "sweep --dry-run (text)"
grep -q "$REMOTE4" "$CTS_OUT" ||
	fail "dry-run text output does not mention the flow from $REMOTE4"
expect_seed_id "$id_before" "after sweep --dry-run (text)"

step "options after the subcommand: sweep --json --dry-run"
cts_cmd "$CTSWEEP" sweep --json --dry-run --netns "$NS_RTR"
assert_rc 0 "sweep --json --dry-run --netns"
assert_json '.dry_run == true and .summary.deleted == 0' "dry run again"
expect_seed_id "$id_before" "after the third dry run"

step "a real sweep moves the flow"
cts sweep --json
assert_rc 0 "sweep"
assert_json "$SEED_SEL | .deleted == true" "the real sweep deletes the flow"
expect_moved_to_b "after ctsweep sweep"
pass
