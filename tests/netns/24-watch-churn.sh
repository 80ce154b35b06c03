#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Churn: the forward 53820 flips between A and B about 100 times a second
# for 10 s (one transaction per change, as a UI saving rule by rule would),
# ending on B, while the peer keeps sending.  watch keeps up: afterwards the
# stream arrives at B only.  A flow through another forward (5000 -> B:5000)
# that no change touches keeps its conntrack entry throughout.
. "$(dirname "$0")/watchlib.sh"

CHANGES=1000

topo_standard
step "forward 53820 -> A:51820 in chain wg_fwd, and 5000 -> B:5000"
nft_rtr -f - <<EOT
add chain ip nat wg_fwd
add rule ip nat prerouting iifname "wan" udp dport 5000 dnat to $B4:5000
add rule ip nat prerouting iifname "wan" jump wg_fwd
add rule ip nat wg_fwd udp dport 53820 dnat to $A4:51820
EOT
# The seed's stream at B from any source port: an old backend's late
# echo can hold the forward's tuple for its 30 s (README, "Mirrors"), and
# the kernel then remaps the peer's port on its way to B.  The stream
# still reaches B; the 5000 forward's stream (also to B) is not counted.
in_b nft add counter inet lab seedany &&
in_b nft insert rule inet lab rxcount ip saddr "$REMOTE4" udp dport 53820 \
	counter name seedany || fail "cannot add B's seedany counter"
watch_start --stats "$LAB_TMP/watch.prom"
seed_traffic
spawn SINK_B b socat -u UDP4-RECV:5000 OPEN:/dev/null
start_sender SENDER2 5000 $((PEER_PORT + 1))
expect_rx b:rx2 10 "second forward works"
ct_tag ipv4 udp --orig-port-dst 5000
id_other=$(ct_tagged_ids -p udp --orig-port-dst 5000)
[ "$(echo "$id_other" | grep -c .)" = 1 ] ||
	fail "expected one tagged flow to port 5000: $(ct_list -p udp --orig-port-dst 5000)"
gen_before=$(in_rtr nft list ruleset | wc -l)

step "$CHANGES changes, ~100 per second, alternating B and A, ending on B"
in_rtr bash -c '
	exec {s}<> <(:)
	for ((i = 1; i <= $1; i++)); do
		if ((($1 - i) % 2 == 0)); then t="$2:53820"; else t="$3:51820"; fi
		echo "flush chain ip nat wg_fwd; add rule ip nat wg_fwd udp dport 53820 dnat to $t"
		read -t 0.01 -u "$s"
	done | nft -i >/dev/null' churn "$CHANGES" "$B4" "$A4" ||
	fail "the churn loop failed"
in_rtr nft list chain ip nat wg_fwd | grep -q "dnat to $B4:53820" ||
	fail "the churn did not end on B: $(in_rtr nft list chain ip nat wg_fwd)"
# One generation per change (plus the earlier ones).
gens=$(watch_count 'nftables generation')
log "watch logged $gens reactions during the churn"

step "the flow ends on B"
expect_rx b:seedany 15 "after the churn"
sleep 0.3
expect_no_rx a:anyrx 2 "after the churn"
# After a delete, B's echo may be the first packet the router sees, and the
# entry is then re-created in the other orientation (B -> peer, masqueraded
# to wan:53820): consistent with the rules, and it delivers to B.  What must
# not exist is an entry taking the peer's packets to wan:53820 to A, in
# either orientation.
to_a=$(ct_list -p udp --orig-port-dst "$FWD_PORT" --reply-src "$A4"
	ct_list -p udp --orig-src "$A4" --reply-port-dst "$FWD_PORT")
[ -z "$to_a" ] || fail "after the churn an entry still sends the stream to A: $to_a"
log "no conntrack entry sends the stream to A"
[ "$(ct_tagged_ids -p udp --orig-port-dst 5000)" = "$id_other" ] ||
	fail "the flow on the untouched forward lost its entry: $(ct_list -p udp --orig-port-dst 5000)"
log "the flow on the untouched forward kept its conntrack entry"
expect_rx b:rx2 5 "the untouched forward still delivers"
watch_alive || fail "watch died during the churn"
watch_no_errors "churn"
watch_stop
[ "$WATCH_RC" = 0 ] || fail "watch exited $WATCH_RC on SIGTERM"
[ "$(stat_value events_lost_total)" = 0 ] ||
	log "note: $(stat_value events_lost_total) notification losses during the churn (resynced)"
pass
