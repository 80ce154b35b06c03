#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# With "ctsweep watch" running, the forward 53820 -> A:51820 is deleted
# while the peer keeps sending.  The old backend must stop receiving (the
# router's input policy drops the port), and no new entry may send the
# stream anywhere.  A second forward (5000 -> B:5000) is untouched: its
# flow keeps its conntrack entry.  Runs without the flow index (--no-index),
# so that the walking path of a reaction is covered too.
. "$(dirname "$0")/watchlib.sh"

topo_standard
step "forwards 53820 -> A:51820 (to be removed) and 5000 -> B:5000"
nft_rtr add rule ip nat prerouting iifname "wan" udp dport 53820 dnat to $A4:51820 comment '"wg"'
nft_rtr add rule ip nat prerouting iifname "wan" udp dport 5000 dnat to $B4:5000
watch_start --no-index
seed_traffic
start_sender SENDER2 5000 $((PEER_PORT + 1))
spawn SINK_B b socat -u UDP4-RECV:5000 OPEN:/dev/null
expect_rx b:rx2 10 "second forward works"
ct_tag ipv4 udp --orig-port-dst 5000
id_other=$(ct_tagged_ids -p udp --orig-port-dst 5000)
[ "$(echo "$id_other" | grep -c .)" = 1 ] ||
	fail "expected one flow to port 5000: $(ct_list -p udp --orig-port-dst 5000)"

step "delete the forward 53820"
handle=$(in_rtr nft -a list chain ip nat prerouting |
	sed -n 's/.*dnat to .*51820.*# handle \([0-9]*\)$/\1/p')
[ -n "$handle" ] || fail "cannot find the forward's rule handle"
nft_rtr delete rule ip nat prerouting handle "$handle"
watch_expect_log 10 'deleted 1 stale flow \(forward-removed 1\)' \
	"watch logs a forward-removed delete"
sleep 0.3
expect_no_rx a 2 "forward removed, watch running"
expect_no_rx b 1 "forward removed, watch running"
[ "$(ct_seed | grep -c "src=$A4")" = 0 ] ||
	fail "a conntrack entry still sends the stream to A: $(ct_seed)"
[ "$(ct_tagged_ids -p udp --orig-port-dst 5000)" = "$id_other" ] ||
	fail "the flow on the untouched forward was replaced: $(ct_list -p udp --orig-port-dst 5000)"
expect_rx b:rx2 5 "the untouched forward still delivers"
watch_no_errors "forward removed"
watch_stop
[ "$WATCH_RC" = 0 ] || fail "watch exited $WATCH_RC on SIGTERM"
pass
