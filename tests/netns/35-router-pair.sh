#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A router pair stays consistent: two routers with the same rules, real
# keepalived (VRRP) moving the floating addresses, real conntrackd (FTFW
# over a dedicated link) keeping each router's replica of the other's
# table, contrib/keepalived/ctsweep-notify.sh committing the replica when
# a router becomes the master, and "ctsweep watch" on both routers (see
# lib-pair.sh for the topology).
#
# conntrackd's commit writes the other router's entries as it last heard
# of them, and it replaces an entry live traffic has already made on the
# new master (create, EEXIST, delete, create).  So a replica that missed a
# rule change brings the old NAT back on every failover; watch judges
# every entry as it appears and deletes such a stale one at once.
#
#   b. an up-to-date replica: 5,000 flows survive a failover and a
#      failback; none is judged stale; the seed stream stays on A
#   a. a stale replica (sync link down while the forward moves from A to
#      B on both routers): after the failover the new master's watch
#      deletes the committed entry to A; the stream reaches B, A gets
#      nothing
#   d. no fight: with the link back, each conntrackd sends its table to
#      the other and the old master takes over again (committing its
#      replica); the deleted entry never comes back, on either router
#   c. a forward removed on both routers while the link is down: after
#      the failover the committed entry is deleted (forward-removed) and
#      the old backend gets nothing
#   e. no daemon (CTSWEEP_DAEMON=0): the notify script's "ctsweep sweep"
#      after the commit deletes the stale committed entry
#
# Arrivals are counted with "anyrx" (every packet from the peer), not
# "rx" (source port 51820): at a failover an answer of the backend to a
# packet the old master forwarded can reach the new master before the
# peer's next packet does (keepalived's gratuitous ARPs go out on the LAN
# first); it starts a masqueraded flow backend -> peer:51820 there, and
# the peer's flow then gets another source port from the kernel (a tuple
# clash).  Such a flow is source-NATed to that router's own address; when
# it is replicated and committed on the other router, watch deletes it
# there (snat-changed): its answers would go to the other router.  Those
# deletions are allowed below and nothing else is.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-pair.sh"

BULK=5000
BULK_MARK=7
BULK_PORT0=30000

REPLY_A="src=$A4 dst=$REMOTE4 sport=$PEER_PORT "
REPLY_B="src=$B4 dst=$REMOTE4 sport=$FWD_PORT "

own_wan() { if [ "$1" = 1 ]; then echo "$R1_WAN"; else echo "$R2_WAN"; fi; }

# bulk_insert N: BULK flows peer:30000.. -> VIP:53820 DNATed to A:51820
# (what the forward says), tagged with a ct mark, in one conntrack run.
bulk_insert()
{
	local p
	for ((p = BULK_PORT0; p < BULK_PORT0 + BULK; p++)); do
		echo "-I -p udp -s $REMOTE4 -d $WAN4 --sport $p --dport $FWD_PORT" \
			"-r $A4 -q $REMOTE4 --reply-port-src $PEER_PORT" \
			"--reply-port-dst $p --dst-nat $A4:$PEER_PORT -t 900" \
			"-u SEEN_REPLY,ASSURED -m $BULK_MARK"
	done | in_r "$1" conntrack -R - >/dev/null 2>&1 ||
		fail "conntrack -R (bulk insert) failed in r$1"
}

# bulk_count N: bulk flows in router N's table that still go to A
bulk_count()
{
	ct_r "$1" -p udp -m "$BULK_MARK" | grep -c "src=$A4 dst=$REMOTE4 sport=$PEER_PORT "
}

replica_bulk() { ctd "$1" -e 2>/dev/null | grep -c " mark=$BULK_MARK "; }

bulk_is() { [ "$(bulk_count "$1")" = "$2" ]; }
replica_bulk_is() { [ "$(replica_bulk "$1")" = "$2" ]; }

deleted_forward() # deleted_forward N: forward-* deletions so far
{
	echo $(($(w_stat "$1" 'flows_deleted_total{reason="forward-changed"}') +
		$(w_stat "$1" 'flows_deleted_total{reason="forward-removed"}') +
		$(w_stat "$1" 'flows_deleted_total{reason="forward-added"}') +
		$(w_stat "$1" 'flows_deleted_total{reason="forward-mirrored"}')))
}

# only_expected_deletes N FROM-LINE WHAT [PATTERN]: every entry router N's
# watch deleted after log line FROM-LINE is PATTERN (the one expected
# stale entry) or a replicated masqueraded flow source-NATed to the other
# router's own address (see the header).  Prints how many of each.
only_expected_deletes()
{
	local n=$1 from=$2 what=$3 want=${4:-^$} o other_wan bad lines
	o=$(other "$n")
	other_wan=$(own_wan "$o")
	lines=$(tail -n +"$((from + 1))" "$(pair_log "$n" watch)" |
		grep 'watch: deleted ')
	bad=$(grep -Ev -- "$want" <<<"$lines" |
		grep -Ev "source-NATed as $other_wan:[0-9]+, rules say .*\(snat-changed\)$" |
		grep .)
	[ -z "$bad" ] || fail "$what: r$n's watch deleted what it should not: $(head -n 3 <<<"$bad")"
	log "$what: r$n's watch deleted $(grep -E -- "$want" <<<"$lines" | grep -c .) expected," \
		"$(grep -c 'snat-changed' <<<"$lines") replicated masqueraded flow(s) of r$o"
	grep 'snat-changed' <<<"$lines" | head -n 2 | cut -c1-200 | sed 's/^/    | /'
}

w_lines() { wc -l <"$(pair_log "$1" watch)"; }

# expect_status_clean N WHAT: a one-shot "ctsweep status" in router N
# finds nothing stale and nothing unknown among at least MIN flows.
expect_status_clean()
{
	local n=$1 min=$2 what=$3
	cts_cmd "$CTSWEEP" --netns "$(rns "$n")" status --json
	[ "$CTS_RC" = 0 ] || fail "$what: ctsweep status in r$n exited $CTS_RC"
	assert_json ".summary.stale == 0 and .summary.unknown == 0 and .summary.judged >= $min" \
		"$what: r$n's table is consistent"
}

# expect_took_over N FD WL WHAT: router N, master now, holds the $BULK
# committed flows to A and keeps them (its watch deleted no forward since
# the count FD, and only what only_expected_deletes allows since log line
# WL), its table is consistent, the seed stream goes on to A through it.
expect_took_over()
{
	local n=$1 fd=$2 wl=$3 what=$4
	bulk_is "$n" "$BULK" ||
		fail "$what: after the commit r$n holds $(bulk_count "$n") of the $BULK flows (to A)"
	sleep 2
	bulk_is "$n" "$BULK" ||
		fail "$what: r$n deleted some of the committed flows: $(bulk_count "$n") of $BULK left"
	[ "$(deleted_forward "$n")" = "$fd" ] ||
		fail "$what: r$n's watch deleted forwards: $(grep -v '^#' "$(rdir "$n")/watch.prom" | grep deleted)"
	only_expected_deletes "$n" "$wl" "$what"
	expect_status_clean "$n" "$BULK" "$what"
	expect_rx a:anyrx 5 "$what: the seed stream goes on to A through r$n"
	expect_no_rx b:anyrx 2 "$what: nothing for B"
}

no_seed_event() # no_seed_event N MARK KIND REPLY WHAT
{
	local hit
	hit=$(ev_since "$1" "$2" | grep -E -- "$(seed_event "$3" "$4")" | head -n 1)
	[ -z "$hit" ] || fail "$5: r$1: $hit"
}

# --------------------------------------------------------------- the pair

pair_topology
step "conntrackd, ctsweep watch and keepalived on both routers"
ctd_start 1
ctd_start 2
ev_start 1
ev_start 2
w_start 1
w_start 2
ka_start 1 150
await_master 1 0
ka_start 2 100
wait_until 20 sh -c "grep -q ' backup: done' '$(pair_log 2 notify)'" ||
	fail "r2 did not become the backup"
log "r2 is the backup: $(grep ' backup: ' "$(pair_log 2 notify)" | cut -d' ' -f3- | tr '\n' '|')"

start_echo ECHO_A a "$PEER_PORT"
start_echo ECHO_B b "$FWD_PORT"
start_sender SENDER
expect_rx a:anyrx 15 "the peer's stream is forwarded to A through r1"
wait_until 20 sh -c "ip netns exec $NS_R1 conntrack -L -p udp --orig-port-src $PEER_PORT --orig-port-dst $FWD_PORT 2>/dev/null | grep -q ASSURED" ||
	fail "the seed flow never became ASSURED in r1: $(seed_r 1)"
seed_r 1 | grep -q "$REPLY_A" || fail "the seed flow does not go to A in r1: $(seed_r 1)"
wait_until 10 replica_seed 2 >/dev/null ||
	fail "r2's replica never got the seed flow (conntrackd sync)"
log "r2's replica: $(replica_seed 2)"

# ---------------------------------------------------------------------- b
step "b. an up-to-date replica: $BULK flows survive a failover and a failback"
bulk_insert 1
bulk_is 1 "$BULK" || fail "r1 holds $(bulk_count 1) bulk flows, expected $BULK"
wait_until 20 replica_bulk_is 2 "$BULK" ||
	fail "r2's replica holds $(replica_bulk 2) bulk flows, expected $BULK"
log "r1 holds $BULK flows to A, r2's replica all of them"
wl2=$(w_lines 2)
fd2=$(deleted_forward 2)
ka_stop 1
await_master 2 0
expect_took_over 2 "$fd2" "$wl2" "failover to r2"

wl1=$(w_lines 1)
fd1=$(deleted_forward 1)
primaries1=$(notify_count 1 primary)
ka_start 1 150
await_master 1 "$primaries1"
expect_took_over 1 "$fd1" "$wl1" "failback to r1"
log "new stale flows judged so far: r1 $(w_stat 1 new_flows_stale_total), r2 $(w_stat 2 new_flows_stale_total)"

# The bulk flows go; their DESTROY events empty r2's replica of them.
in_r 1 conntrack -D -m "$BULK_MARK" >/dev/null 2>&1
in_r 2 conntrack -D -m "$BULK_MARK" >/dev/null 2>&1
wait_until 20 replica_bulk_is 2 0 ||
	fail "r2's replica still holds $(replica_bulk 2) bulk flows"

# ---------------------------------------------------------------------- a
step "a. a stale replica: the forward moves to B while the sync link is down"
wait_until 10 replica_seed 2 >/dev/null ||
	fail "r2's replica lost the seed flow"
sync_link down
wl1=$(w_lines 1)
pair_forward_to "$B4:$FWD_PORT"
wait_until 10 w_logged 1 "deleted udp $REMOTE4:$PEER_PORT > $WAN4:$FWD_PORT id [0-9]+ goes to $A4:$PEER_PORT, rules say $B4:$FWD_PORT \(forward-changed\)" ||
	fail "r1's watch did not move the seed flow"
expect_rx b:anyrx 10 "r1's watch moved the stream to B"
sleep 0.3
expect_no_rx a:anyrx 2 "the stream left A"
replica_seed 2 >/dev/null ||
	fail "r2's replica has no seed flow to commit"

wl2=$(w_lines 2)
ev2=$(ev_mark 2)
stale2=$(w_stat 2 new_flows_stale_total)
primaries2=$(notify_count 2 primary)
ka_stop 1
await_master 2 "$primaries2"
# What the commit wrote: the seed flow to A, as the replica had it.
wait_until 5 sh -c "tail -n +$((ev2 + 1)) '$(pair_log 2 events)' | grep -Eq '$(seed_event NEW "$A4")'" ||
	fail "r2's commit did not write the seed flow to A (the stale replica): $(ev_since 2 "$ev2" | head -n 5)"
log "the commit wrote: $(ev_since 2 "$ev2" | grep -E "$(seed_event NEW "$A4")" | head -n 1)"
watch_seed_a="deleted udp $REMOTE4:$PEER_PORT > $WAN4:$FWD_PORT id [0-9]+ goes to $A4:$PEER_PORT, rules say $B4:$FWD_PORT \(forward-changed\)"
wait_until 5 sh -c "tail -n +$((wl2 + 1)) '$(pair_log 2 watch)' | grep -Eq '$watch_seed_a'" ||
	fail "r2's watch did not delete the committed seed flow to A"
log "r2's watch: $(tail -n +$((wl2 + 1)) "$(pair_log 2 watch)" | grep -E "$watch_seed_a" | head -n 1 | cut -c1-200)"
ev_since 2 "$ev2" | grep -Eq "$(seed_event DESTROY "$A4")" ||
	fail "no DESTROY event of the committed seed flow in r2"
wait_until 5 sh -c "[ \$(awk '\$1 == \"ctsweep_new_flows_stale_total\" { print \$2 }' '$(rdir 2)/watch.prom') -gt $stale2 ]" ||
	fail "r2's stats: new_flows_stale_total stays $stale2"
expect_rx b:anyrx 10 "the stream reaches B through r2"
sleep 0.3
expect_no_rx a:anyrx 2 "after the commit A gets nothing"
seed_r 2 | grep -q "$REPLY_A" && fail "r2 holds the seed flow to A: $(seed_r 2)"
seed_r 2 | grep -q "$REPLY_B" || fail "r2's seed flow does not go to B: $(seed_r 2)"
only_expected_deletes 2 "$wl2" "failover with a stale replica" "$watch_seed_a"

# ---------------------------------------------------------------------- d
step "d. no fight: the link comes back, the replicas are exchanged, r1 takes over again"
ev1=$(ev_mark 1)
ev2=$(ev_mark 2)
wl1=$(w_lines 1)
wl2=$(w_lines 2)
fd1=$(deleted_forward 1)
fd2=$(deleted_forward 2)
sync_link up
# Each asks the other for its table and sends its own (what a returning
# backup and a new master do), so each replica holds the other's table.
sleep 1
ctd 1 -n && ctd 2 -n && ctd 1 -B && ctd 2 -B ||
	fail "conntrackd resync requests failed"
wait_until 10 replica_seed 1 >/dev/null ||
	fail "r1's replica did not get r2's seed flow back"
sleep 3
no_seed_event 1 "$ev1" NEW "$A4" "the seed flow to A came back"
no_seed_event 2 "$ev2" NEW "$A4" "the seed flow to A came back"
[ "$(deleted_forward 1)" = "$fd1" ] && [ "$(deleted_forward 2)" = "$fd2" ] ||
	fail "the routers deleted forwards again after the resync (r1 $fd1 -> $(deleted_forward 1), r2 $fd2 -> $(deleted_forward 2))"
primaries1=$(notify_count 1 primary)
ka_start 1 150
await_master 1 "$primaries1"
sleep 3
no_seed_event 1 "$ev1" NEW "$A4" "failback: the seed flow to A came back"
no_seed_event 2 "$ev2" NEW "$A4" "failback: the seed flow to A came back"
[ "$(deleted_forward 1)" = "$fd1" ] && [ "$(deleted_forward 2)" = "$fd2" ] ||
	fail "failback: forwards deleted again (r1 $fd1 -> $(deleted_forward 1), r2 $fd2 -> $(deleted_forward 2))"
only_expected_deletes 1 "$wl1" "failback after the stale replica"
only_expected_deletes 2 "$wl2" "failback after the stale replica"
expect_rx b:anyrx 10 "the stream stays on B through r1"
expect_no_rx a:anyrx 2 "failback: A gets nothing"
seed_r 1 | grep -q "$REPLY_A" && fail "r1 holds the seed flow to A: $(seed_r 1)"

# ---------------------------------------------------------------------- c
step "c. a forward removed on both routers while the link is down"
wait_until 10 replica_seed 2 >/dev/null ||
	fail "r2's replica has no seed flow"
sync_link down
pair_forward_to none
wait_until 10 w_logged 1 "deleted udp $REMOTE4:$PEER_PORT > $WAN4:$FWD_PORT id [0-9]+ goes to $B4:$FWD_PORT, rules say no nat \(forward-removed\)" ||
	fail "r1's watch did not delete the seed flow (forward removed)"
sleep 0.3
expect_no_rx b:anyrx 2 "the forward is gone: B gets nothing"
wl2=$(w_lines 2)
ev1=$(ev_mark 1)
ev2=$(ev_mark 2)
primaries2=$(notify_count 2 primary)
ka_stop 1
await_master 2 "$primaries2"
wait_until 5 sh -c "tail -n +$((ev2 + 1)) '$(pair_log 2 events)' | grep -Eq '$(seed_event NEW "$B4")'" ||
	fail "r2's commit did not write the seed flow to B: $(ev_since 2 "$ev2" | head -n 5)"
watch_seed_b="deleted udp $REMOTE4:$PEER_PORT > $WAN4:$FWD_PORT id [0-9]+ goes to $B4:$FWD_PORT, rules say no nat \(forward-removed\)"
wait_until 5 sh -c "tail -n +$((wl2 + 1)) '$(pair_log 2 watch)' | grep -Eq '$watch_seed_b'" ||
	fail "r2's watch did not delete the committed seed flow to B (forward removed)"
log "r2's watch: $(tail -n +$((wl2 + 1)) "$(pair_log 2 watch)" | grep -E "$watch_seed_b" | head -n 1 | cut -c1-200)"
sleep 0.3
expect_no_rx b:anyrx 2 "after the commit B gets nothing"
expect_no_rx a:anyrx 1 "after the commit A gets nothing"
only_expected_deletes 2 "$wl2" "failover after the forward was removed" "$watch_seed_b"
step "d. again: with the link back the deleted entry does not return"
ev2b=$(ev_mark 2)
sync_link up
sleep 1
ctd 1 -n && ctd 2 -n && ctd 1 -B && ctd 2 -B ||
	fail "conntrackd resync requests failed"
sleep 3
# The only NEW of the seed flow to B on r2 since the failover is the commit's.
[ "$(ev_since 2 "$ev2" | grep -Ec "$(seed_event NEW "$B4")")" = 1 ] ||
	fail "r2: the seed flow to B was written more than once: $(ev_since 2 "$ev2" | grep -E "$(seed_event NEW "$B4")")"
no_seed_event 2 "$ev2b" NEW "$B4" "the removed forward's entry came back"
no_seed_event 1 "$ev1" NEW "$B4" "the removed forward's entry came back"
expect_no_rx b:anyrx 2 "with the link back B gets nothing"

step "both daemons logged no error and stop cleanly"
for n in 1 2; do
	w_alive "$n" || fail "ctsweep watch in r$n died"
	! grep -q '^<3>' "$(pair_log "$n" watch)" ||
		fail "r$n's watch logged errors: $(grep '^<3>' "$(pair_log "$n" watch)" | head -n 3)"
	w_stop "$n"
done

# ---------------------------------------------------------------------- e
step "e. no daemon: the notify script sweeps after the commit (CTSWEEP_DAEMON=0)"
notify_env 1 0
notify_env 2 0
pair_forward_to "$A4:$PEER_PORT"
expect_rx a:anyrx 10 "the forward is back: the stream reaches A through r2"
wait_until 10 sh -c "ip netns exec $NS_R2 conntrack -L -p udp --orig-port-src $PEER_PORT --orig-port-dst $FWD_PORT 2>/dev/null | grep -q '$REPLY_A'" ||
	fail "r2 has no seed flow to A: $(seed_r 2)"
wait_until 10 replica_seed 1 >/dev/null ||
	fail "r1's replica did not get the seed flow"
sync_link down
pair_forward_to "$B4:$FWD_PORT"
sleep 1
seed_r 2 | grep -q "$REPLY_A" ||
	fail "without a daemon r2's flow should stay on A: $(seed_r 2)"
log "without a daemon the flow stays on A in r2: the seed report's bug"
ev1=$(ev_mark 1)
primaries1=$(notify_count 1 primary)
ka_start 1 150
await_master 1 "$primaries1"
ev_since 1 "$ev1" | grep -Eq "$(seed_event NEW "$A4")" ||
	fail "r1's commit did not write the seed flow to A: $(ev_since 1 "$ev1" | head -n 5)"
grep ' primary: ctsweep sweep: exit 0' "$(pair_log 1 notify)" |
	grep -q 'forward-changed' ||
	fail "the notify script's sweep did not delete a forward-changed flow: $(grep 'sweep' "$(pair_log 1 notify)")"
log "r1's notify: $(grep ' primary: ctsweep sweep' "$(pair_log 1 notify)" | tail -n 1 | cut -d' ' -f3- | cut -c1-200)"
ev_since 1 "$ev1" | grep -Eq "$(seed_event DESTROY "$A4")" ||
	fail "no DESTROY event of the committed seed flow in r1"
expect_rx b:anyrx 10 "the stream reaches B through r1"
sleep 0.3
expect_no_rx a:anyrx 2 "after the sweep A gets nothing"
pass
