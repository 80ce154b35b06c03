#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The seed report, fixed by the daemon: with "ctsweep watch" running, an
# fw4-style atomic reload (flush table + the whole table again in one
# nft -f, new rule handles everywhere) switches the forward 53820 from
# A:51820 to B:53820.  Without any manual sweep, B receives the stream
# afterwards and A stops.  Before the switch, watch leaves the consistent
# flow alone (same conntrack id).
. "$(dirname "$0")/watchlib.sh"

topo_standard --fw none
step "fw4-style ruleset: wg 53820 -> A:51820"
fw4_like "$A4:51820" >"$LAB_TMP/fw4-a.nft"
fw4_like "$B4:53820" >"$LAB_TMP/fw4-b.nft"
nft_rtr -f "$LAB_TMP/fw4-a.nft"

step "ctsweep watch (default options)"
watch_start --stats "$LAB_TMP/watch.prom"
seed_traffic
id_before=$(ct_seed_id)

step "an unrelated reload (same rules, new handles) leaves the flow alone"
nft_rtr -f "$LAB_TMP/fw4-a.nft"
sleep 1
expect_seed_id "$id_before" "reload without a change"
expect_rx a 5 "reload without a change"

step "fw4 reload with wg -> B:53820"
nft_rtr -f "$LAB_TMP/fw4-b.nft"
expect_moved_to_b "after the fw4 reload, with watch running"
expect_ct_reply "$B4" 53820 "after the fw4 reload"
watch_expect_log 10 'nftables generation [0-9]+.*deleted 1 stale flow \(forward-changed 1\)' \
	"watch logs the delete"
watch_logged 'chain inet fw4 dstnat_wan changed' ||
	fail "the log line does not say which chain changed"
# fw4's dstnat_wan names the port: its flows are judged and deleted first
watch_logged 'early pass on 1 port: deleted 1 flow\(s\)' ||
	fail "the flows to the switched port were not judged first"
wait_until 5 test -s "$LAB_TMP/watch.prom" || fail "no stats file"
[ "$(stat_value flows_deleted_total 'reason="forward-changed"')" = 1 ] ||
	fail "stats: forward-changed deletes: $(stat_value flows_deleted_total 'reason="forward-changed"')"

step "and B keeps it: nothing stale any more"
sleep 1
cts status --json
assert_rc 0 "status after watch reacted"
assert_json '.summary.stale == 0' "no stale flow left"
watch_no_errors "switch"
watch_stop TERM
[ "$WATCH_RC" = 0 ] || fail "SIGTERM: watch exited $WATCH_RC, expected 0"
pass
