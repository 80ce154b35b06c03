#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The seed report with OpenWrt's flow offloading (fw4 with
# flow_offloading=1): a flowtable on the WAN and LAN devices and "flow
# offload @ft" for forwarded flows.  An offloaded flow's packets skip the
# nat hooks altogether, so after the switch to B it stays with A; ctsweep
# must judge it (an [OFFLOAD] entry) and moving it must work by deleting
# its conntrack entry alone, for sweep and for watch.  The flowtable's
# entry of a deleted flow stays in the fast path until the flowtable's
# garbage collection (once a second) sees the entry dying; the case logs
# how long B waited each way, and with a route cache flush after the
# sweep (a flowtable entry whose route is outdated is torn down by its
# next packet).  Figures only, no assertion on them.
. "$(dirname "$0")/watchlib.sh"

offloaded() { ct_seed | grep -q OFFLOAD; }

# first_rx_start HOST PORT: note the time of the first datagram from the
# peer to PORT that HOST sees (tcpdump, started now).
first_rx_start()
{
	FIRST_RX=$LAB_TMP/first-rx.$1.$2
	: >"$FIRST_RX.err"
	spawn FIRST_PID "$1" bash -c 'exec tcpdump -i eth0 -n -tt -l -c 1 \
		"udp and src host $1 and dst port $2" >"$3" 2>"$3.err"' \
		first "$REMOTE4" "$2" "$FIRST_RX"
	wait_until 10 grep -q listening "$FIRST_RX.err" ||
		fail "tcpdump did not start in $1: $(cat "$FIRST_RX.err")"
}

# first_rx_wait WHAT: wait for that datagram; its time (epoch) in FIRST_T.
first_rx_wait()
{
	wait_until 30 test -s "$FIRST_RX" || fail "$1: no datagram arrived"
	stop "$FIRST_PID"
	FIRST_T=$(awk '{ print $1; exit }' "$FIRST_RX")
}

reload() { nft_rtr -f "$LAB_TMP/fw4-$1.nft"; }

# destroy_start: note the time of the seed flow's DESTROY event (the
# delete, as the kernel reports it).
destroy_start()
{
	DESTROY_LOG=$LAB_TMP/destroy.$((++DESTROY_N))
	spawn DESTROY_PID rtr bash -c 'exec conntrack -E -e DESTROY \
		-o timestamp -p udp --orig-port-src "$1" --orig-port-dst "$2" \
		>"$3" 2>/dev/null' destroy "$PEER_PORT" "$FWD_PORT" "$DESTROY_LOG"
	inflight_pause	# the event socket is bound before the delete
}
DESTROY_N=0

# destroy_wait: wait for that event; its time (epoch) in DESTROY_T.
destroy_wait()
{
	wait_until 10 test -s "$DESTROY_LOG" || fail "no DESTROY event came"
	stop "$DESTROY_PID"
	DESTROY_T=$(sed -n 's/^\[\([0-9.]*\)\].*/\1/p' "$DESTROY_LOG" | head -n 1)
	[ -n "$DESTROY_T" ] || fail "no time in the DESTROY event: $(head -n 1 "$DESTROY_LOG")"
}

# secs A B: B - A, in seconds.
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

topo_standard --fw none
# Events for every entry, also those made before a listener (the default
# since 5.19 gives them only to entries made while one listens).
lab_sysctl "$NS_RTR" net.netfilter.nf_conntrack_events=1 ||
	fail "cannot turn on conntrack events in the router"
fw4_like "$A4:51820" offload >"$LAB_TMP/fw4-a.nft"
fw4_like "$B4:53820" offload >"$LAB_TMP/fw4-b.nft"
if ! out=$(in_rtr nft -f "$LAB_TMP/fw4-a.nft" 2>&1); then
	case $out in
	*"No such file or directory"*)
		skip "kernel without flow offloading (nf_flow_table_inet)" ;;
	esac
	fail "fw4's ruleset with a flowtable did not load: $out"
fi

step "1. the stream to A, offloaded"
# Not seed_traffic: an offloaded flow never becomes ASSURED (its packets
# no longer pass conntrack, which would set the bit).
start_echo ECHO_A a "$PEER_PORT"
start_echo ECHO_B b "$FWD_PORT"
start_sender SENDER
expect_rx a 15 "stream forwarded to A"
wait_until 20 offloaded || fail "the seed flow was not offloaded: $(ct_seed)"
expect_ct_reply "$A4" "$PEER_PORT" "flow goes to A"
ct_tag ipv4 udp --orig-port-src "$PEER_PORT" --orig-port-dst "$FWD_PORT"
log "flow: $(ct_seed)"

step "2. fw4 reloads with the forward to B: the offloaded flow stays with A"
reload b
expect_stuck_on_a "offloaded flow after the switch"
offloaded || fail "the seed flow is no longer offloaded: $(ct_seed)"
cts status --json
assert_rc 1 "status with a stale offloaded flow"
assert_json "$SEED_SEL | .verdict == \"stale\" and .reason == \"forward-changed\"" \
	"the offloaded seed flow judged stale (forward-changed)"

step "3. sweep: how long B waits for the stream"
first_rx_start b 53820
destroy_start
t0=$EPOCHREALTIME
cts sweep --json --settle 0
t1=$EPOCHREALTIME
assert_rc 0 "sweep"
assert_json '.summary.deleted == 1' "sweep deleted the offloaded flow"
first_rx_wait "B after the sweep"
destroy_wait
log "FIGURE: sweep: B's first datagram $(secs "$DESTROY_T" "$FIRST_T") s" \
	"after the delete, $(secs "$t0" "$FIRST_T") s after sweep started" \
	"(sweep ran $(secs "$t0" "$t1") s)"
expect_moved_to_b "sweep of an offloaded flow"

step "4. back to A: sweep and a route cache flush"
# A's echo answered packets that reached it just before step 3's delete:
# its outbound flow holds A:51820 -> peer:51820, so the flow back to A
# gets another reply port and A sees the stream from another source port
# ("anyrx" counts it, "rx" does not; lib.sh's rx_count says more).
wait_until 20 offloaded || fail "the flow to B was not offloaded: $(ct_seed)"
reload a
expect_no_rx a:anyrx 2 "offloaded flow to B after the switch back"
first_rx_start a 51820
destroy_start
t0=$EPOCHREALTIME
cts sweep --json --settle 0
in_rtr sysctl -qw net.ipv4.route.flush=1 ||
	fail "cannot flush the router's route cache"
t1=$EPOCHREALTIME
assert_rc 0 "sweep"
assert_json '.summary.deleted == 1' "sweep deleted the offloaded flow to B"
first_rx_wait "A after the sweep and the flush"
destroy_wait
log "FIGURE: sweep + route cache flush: A's first datagram" \
	"$(secs "$DESTROY_T" "$FIRST_T") s after the delete," \
	"$(secs "$t0" "$FIRST_T") s after sweep started (both ran $(secs "$t0" "$t1") s)"
expect_rx a:anyrx 10 "sweep and route flush"

step "5. watch: fw4 reloads with the forward to B"
wait_until 20 offloaded || fail "the flow to A was not offloaded: $(ct_seed)"
ct_tag ipv4 udp --orig-port-src "$PEER_PORT" --orig-port-dst "$FWD_PORT"
offloaded || fail "the tag took the flow out of the flowtable: $(ct_seed)"
watch_start
first_rx_start b 53820
destroy_start
t0=$EPOCHREALTIME
reload b
first_rx_wait "B after the reload under watch"
destroy_wait
log "FIGURE: watch: B's first datagram $(secs "$DESTROY_T" "$FIRST_T") s" \
	"after the delete, $(secs "$t0" "$FIRST_T") s after the reload"
# By any source port: B's echo may hold its own port as step 4's did A's.
expect_rx b:anyrx 10 "watch, offloaded flow"
inflight_pause
expect_no_rx a:anyrx 2 "watch, offloaded flow"
expect_seed_replaced "watch, offloaded flow"
watch_stop
pass
