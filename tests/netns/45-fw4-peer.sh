#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# OpenWrt firewall4's own expected output, tests/peers/fw4-redirect.nft
# (firewall4 tests/03_rules/07_redirect), loaded verbatim with nft -f into
# a node that has the fixture's interfaces and addresses:
#
#   remote 10.11.12.10 --pppoe-wan-- node 10.11.12.194    (zone wan)
#                                     |-- br-lan 192.168.26.1 -- lan host 192.168.26.100
#                                     |                           (and .101, see below)
#                                     `-- wwan0 (no address)  -- an empty namespace (zone noaddr)
#
# Traffic through three of the fixture's redirects:
#   - #3 and #4: the remote connects to 10.11.12.194:22 and :23 (DNAT to
#     192.168.26.100:22 / :23, in dstnat_wan);
#   - their reflections: the lan host connects to 10.11.12.194:22 and :23
#     (dstnat_lan's DNAT to itself, srcnat_lan's SNAT to 192.168.26.1 for
#     #3 and to 10.11.12.194 for #4);
#   - #1: the lan host sends udp to 10.11.12.10:53, which dstnat_lan
#     redirects to the node's own port 53 (192.168.26.1:53, an echo).
# ctsweep judges every flow consistent.  Then redirect #4's target changes
# to 192.168.26.101 the way "fw4 reload" does it: the whole table rewritten
# in one nft -f (the fixture starts with "table inet fw4" / "flush table
# inet fw4"), the new text derived by sed from a copy of the fixture: on
# the three lines of redirect #4 (dstnat_wan, the reflection DNAT and its
# SNAT), 192.168.26.100 becomes .101, nothing else changes.  Exactly the
# #4 flows (the remote's and the reflected one) are stale (forward-
# changed), the others consistent, none unknown; ctsweep sweep deletes
# exactly those, the others keep their conntrack ids, and 192.168.26.100
# gets nothing more on port 23.  192.168.26.101 is a second address of the
# lan host (the node has one lan port).
#
# The fixture includes "/etc/nftables.d/*.nft".  nft ignores a wildcard
# include that matches nothing (a missing or empty directory); if the
# host has such files, fw4_load hides them behind an empty tmpfs in a
# mount namespace of its own, so that nothing but the fixture is loaded
# (checked: every rule in the table is one of the fixture's).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-legacy.sh"
. "$(dirname "$0")/lib-peer.sh"

FIXTURE=$TOP/tests/peers/fw4-redirect.nft
NFT_INCLUDES=/etc/nftables.d	# the fixture's include directory

WAN_ADDR=10.11.12.194	# fw4's wan address in the fixture (reflection)
PEER=10.11.12.10	# the remote, in the fixture's wan subnet
LAN_GW=192.168.26.1	# the node on br-lan (#3's reflection SNAT)
HOST=192.168.26.100	# redirects #3, #4, #5
HOST_NEW=192.168.26.101	# redirect #4, after the change

# shellcheck disable=SC2034 # read by the ct_flow* helpers of lib-legacy.sh
FLOW_PROTO=tcp

R22_SPORTS=(41001 41002)	# remote -> 10.11.12.194:22
R23_SPORTS=(41011 41012)	# remote -> 10.11.12.194:23
H22_SPORT=42001			# lan host -> 10.11.12.194:22 (reflection)
H23_SPORT=42011			# lan host -> 10.11.12.194:23 (reflection)
DNS_SPORT=43001			# lan host -> 10.11.12.10:53 (udp)
LATE_SPORT=41021		# remote -> :23 after the sweep

NS_LAN=$LAB_ID-lan
NS_WWAN=$LAB_ID-wwan

# assert_json logs what $SEED_SEL selects when a check fails: here, the
# flows that are not consistent.
# shellcheck disable=SC2034
SEED_SEL='.flows[] | select(.verdict != "consistent")'

JQ_DEFS='
def tcp_to(p): .proto == "tcp" and .orig.dst == "10.11.12.194" and .orig.dport == p;
def r22: tcp_to(22) and .orig.src == "10.11.12.10" and (.orig.sport == 41001 or .orig.sport == 41002);
def r23: tcp_to(23) and .orig.src == "10.11.12.10" and (.orig.sport == 41011 or .orig.sport == 41012);
def h22: tcp_to(22) and .orig.src == "192.168.26.100" and .orig.sport == 42001;
def h23: tcp_to(23) and .orig.src == "192.168.26.100" and .orig.sport == 42011;
def dns: .proto == "udp" and .orig.src == "192.168.26.100" and .orig.sport == 43001
	and .orig.dst == "10.11.12.10" and .orig.dport == 53;
def rule_is(c; n): .rule | test("^table inet fw4 chain " + c + " handle [0-9]+ .*comment \"!fw4: Redirect test " + n + "\"$");
'

lab_dump_extra()
{
	local c
	echo "-- conntrack in node (tcp, udp)"
	ct_list -p tcp | head -n 30
	ct_list -p udp | head -n 10
	if ns_exists "$NS_LAN"; then
		for c in r22 r23 h22 h23 n23; do
			echo "-- lan host counter $c: $(rx_count "$NS_LAN:$c")"
		done
	fi
}

# ------------------------------------------------------------------ the lab

# lan_counters: what the lan host receives, as nft counters: r22/r23 from
# the remote on .100:22/23, h22/h23 reflected (from the SNAT addresses),
# n23 anything on .101:23.  Resets are left out: the node answers a swept
# flow's late packets with one, that is not traffic reaching the host.
lan_counters()
{
	in_ns "$NS_LAN" nft -f - <<-EOF || fail "cannot set up the counters"
	table inet lab {
		counter r22 {
		}
		counter r23 {
		}
		counter h22 {
		}
		counter h23 {
		}
		counter n23 {
		}
		chain rxcount {
			type filter hook input priority -300; policy accept;
			tcp flags & rst != 0 accept
			ip saddr $PEER ip daddr $HOST tcp dport 22 counter name "r22"
			ip saddr $PEER ip daddr $HOST tcp dport 23 counter name "r23"
			ip saddr $LAN_GW ip daddr $HOST tcp dport 22 counter name "h22"
			ip saddr $WAN_ADDR ip daddr $HOST tcp dport 23 counter name "h23"
			ip daddr $HOST_NEW tcp dport 23 counter name "n23"
		}
	}
	EOF
}

topo_fw4()
{
	local p
	require_netns
	step "topology: node (pppoe-wan, br-lan, wwan0), remote, lan host, wwan peer"
	for p in "$NS_RTR" "$NS_REMOTE" "$NS_LAN" "$NS_WWAN"; do
		new_ns "$p"
	done
	require_conntrack "$NS_RTR"
	veth_pair "$NS_RTR" pppoe-wan "$NS_REMOTE" eth0
	veth_pair "$NS_RTR" br-lan "$NS_LAN" eth0
	veth_pair "$NS_RTR" wwan0 "$NS_WWAN" eth0
	in_rtr ip addr add "$WAN_ADDR/24" dev pppoe-wan &&
	in_rtr ip addr add "$LAN_GW/24" dev br-lan &&
	in_remote ip addr add "$PEER/24" dev eth0 &&
	in_ns "$NS_LAN" ip addr add "$HOST/24" dev eth0 &&
	in_ns "$NS_LAN" ip addr add "$HOST_NEW/24" dev eth0 &&
	in_ns "$NS_LAN" ip route add default via "$LAN_GW" ||
		fail "cannot address the lab"
	lab_sysctl "$NS_RTR" net.ipv4.ip_forward=1 ||
		fail "cannot enable forwarding on the node"
	lan_counters
	for p in 22 23; do
		spawn SRV "$NS_LAN" socat -u "TCP4-LISTEN:$p,reuseaddr,fork" GOPEN:/dev/null
		wait_until 10 listening "$NS_LAN" "$p" ||
			fail "the lan host does not listen on $p"
	done
	# The node's own DNS (dnsmasq on OpenWrt): one socket on 53 that
	# answers every query of the lan host's stream.
	spawn DNS "$NS_RTR" socat "UDP4-DATAGRAM:$HOST:$DNS_SPORT,bind=:53" PIPE
}

# fw4_load FILE: nft -f FILE in the node, its include of
# /etc/nftables.d/*.nft resolving to nothing.
fw4_load()
{
	local out
	if compgen -G "$NFT_INCLUDES/*.nft" >/dev/null; then
		log "the host has $NFT_INCLUDES/*.nft: loading with an empty tmpfs there"
		out=$(in_rtr unshare --mount --propagation private sh -c '
			mount -t tmpfs -o ro,size=4k ctsweep-empty "$1" &&
			exec nft -f "$2"' fw4_load "$NFT_INCLUDES" "$1" 2>&1) ||
			fail "nft -f $1 failed: $out"
	else
		out=$(in_rtr nft -f "$1" 2>&1) || fail "nft -f $1 failed: $out"
	fi
	fw4_only "$1"
}

# fw4_only FILE: the node has table inet fw4 and nothing else, with FILE's
# chains and as many rules as FILE, as many of them with fw4's comments.
fw4_only()
{
	local listing n want
	[ "$(in_rtr nft list tables)" = "table inet fw4" ] ||
		fail "the node has other tables: $(in_rtr nft list tables)"
	listing=$(in_rtr nft -a list table inet fw4) ||
		fail "cannot list table inet fw4"
	n=$(grep -E '# handle [0-9]+$' <<<"$listing" |
		grep -cvE '^[[:space:]]*(table|chain|set|map) ')
	want=$(awk '/^[[:space:]]*chain .*\{$/ { c = 1; next }
		c && /^[[:space:]]*}$/ { c = 0; next }
		c && NF && $1 != "type" { n++ } END { print n + 0 }' "$1")
	[ "$n" = "$want" ] &&
	[ "$(grep -c 'comment "!fw4: ' <<<"$listing")" = \
	  "$(grep -c 'comment "!fw4: ' "$1")" ] ||
		fail "table inet fw4 has $n rules, $1 has $want (an include added some?)"
	[ "$(grep -cE '^[[:space:]]*chain ' <<<"$listing")" = \
	  "$(grep -cE '^[[:space:]]*chain ' "$1")" ] ||
		fail "table inet fw4 does not have $1's chains"
	log "table inet fw4: $n rules, all of them $(basename "$1")'s"
}

# ------------------------------------------------------------------ traffic

# expect_reply SPORT DPORT WANT WHAT: the flow's reply tuple
# ("SRC SPORT DST DPORT", see ct_flow_reply).
expect_reply()
{
	local got
	got=$(ct_flow_reply "$1" "$2")
	[ "$got" = "$3" ] ||
		fail "$4: reply tuple of $1 -> $2 is '$got', expected '$3': $(ct_flow "$1" "$2")"
}

# dns_assured: the lan host's udp stream to :53 is answered (ASSURED).
dns_assured()
{
	FLOW_PROTO=udp ct_flow "$DNS_SPORT" 53 | grep -q ASSURED
}

# ---------------------------------------------------------------- the case

require_root
for t in nft socat conntrack jq unshare; do
	command -v "$t" >/dev/null || fail "$t not found (run 'sudo make deps')"
done
topo_fw4

step "fw4's expected ruleset (07_redirect), verbatim, one nft -f"
fw4_load "$FIXTURE"

step "traffic: remote -> $WAN_ADDR:22/23, lan host reflected to $WAN_ADDR:22/23, lan udp -> $PEER:53"
CLIENTS=()
for s in "${R22_SPORTS[@]}"; do
	tcp_client CONN "$NS_REMOTE" "$WAN_ADDR" 22 "$s"
	CLIENTS+=("$CONN")
done
for s in "${R23_SPORTS[@]}"; do
	tcp_client CONN "$NS_REMOTE" "$WAN_ADDR" 23 "$s"
	CLIENTS+=("$CONN")
done
tcp_client CONN "$NS_LAN" "$WAN_ADDR" 22 "$H22_SPORT" "$HOST"
CLIENTS+=("$CONN")
tcp_client CONN "$NS_LAN" "$WAN_ADDR" 23 "$H23_SPORT" "$HOST"
CLIENTS+=("$CONN")
start_stream DNSQ "$NS_LAN" "$PEER" 53 "$DNS_SPORT" 4 0.05
for s in "${R22_SPORTS[@]}"; do
	wait_until 10 est "$PEER" "$s" 22 ||
		fail "remote connection $s -> :22 not ESTABLISHED: $(ct_flow "$s" 22)"
	expect_reply "$s" 22 "$HOST 22 $PEER $s" "redirect #3"
done
for s in "${R23_SPORTS[@]}"; do
	wait_until 10 est "$PEER" "$s" 23 ||
		fail "remote connection $s -> :23 not ESTABLISHED: $(ct_flow "$s" 23)"
	expect_reply "$s" 23 "$HOST 23 $PEER $s" "redirect #4"
done
wait_until 10 est "$HOST" "$H22_SPORT" 22 ||
	fail "reflected connection -> :22 not ESTABLISHED: $(ct_flow "$H22_SPORT" 22)"
[ "$(ct_flow_reply "$H22_SPORT" 22 | cut -d' ' -f1,2,3)" = "$HOST 22 $LAN_GW" ] ||
	fail "reflection #3: not DNATed to $HOST:22 and SNATed to $LAN_GW: $(ct_flow "$H22_SPORT" 22)"
wait_until 10 est "$HOST" "$H23_SPORT" 23 ||
	fail "reflected connection -> :23 not ESTABLISHED: $(ct_flow "$H23_SPORT" 23)"
[ "$(ct_flow_reply "$H23_SPORT" 23 | cut -d' ' -f1,2,3)" = "$HOST 23 $WAN_ADDR" ] ||
	fail "reflection #4: not DNATed to $HOST:23 and SNATed to $WAN_ADDR: $(ct_flow "$H23_SPORT" 23)"
wait_until 20 dns_assured ||
	fail "the udp flow to $PEER:53 never became ASSURED: $(FLOW_PROTO=udp ct_flow "$DNS_SPORT" 53)"
[ "$(FLOW_PROTO=udp ct_flow_reply "$DNS_SPORT" 53)" = "$LAN_GW 53 $HOST $DNS_SPORT" ] ||
	fail "redirect #1: udp to $PEER:53 not redirected to $LAN_GW:53: $(FLOW_PROTO=udp ct_flow "$DNS_SPORT" 53)"
for c in r22 r23 h22 h23; do
	expect_rx "$NS_LAN:$c" 5 "lan host, counter $c"
done
log "conntrack: #3 and #4 to $HOST (reflections SNATed to $LAN_GW and $WAN_ADDR), #1 to $LAN_GW:53"
ct_tag ipv4 tcp
ct_tag ipv4 udp --orig-port-dst 53
IDS_KEEP="$(ids_of tcp --orig-port-dst 22) $(ids_of udp --orig-port-dst 53)"
IDS_23=$(ids_of tcp --orig-port-dst 23)
[ "$(wc -w <<<"$IDS_KEEP")" = 4 ] && [ "$(wc -w <<<"$IDS_23")" = 3 ] ||
	fail "cannot record the conntrack ids: '$IDS_KEEP' / '$IDS_23'"

step "ctsweep status: every flow consistent"
cts status -v --tcp --json
expect_all_consistent "status under fw4's rules"
assert_json '([.flows[] | select(r22)] | length == 2) and ([.flows[] | select(r23)] | length == 2)
	and ([.flows[] | select(h22)] | length == 1) and ([.flows[] | select(h23)] | length == 1)
	and ([.flows[] | select(dns)] | length == 1)' \
	"ctsweep judged each of the 7 flows once"
assert_json '[.flows[] | select(r22)] | all(.now.dnat == "192.168.26.100:22" and .now.snat == null
	and .rules.dnat == ["192.168.26.100:22"] and .rules.snat == []
	and rule_is("dstnat_wan"; "#3"))' \
	"remote -> :22: DNAT to $HOST:22 by redirect #3"
assert_json '[.flows[] | select(r23)] | all(.now.dnat == "192.168.26.100:23" and .now.snat == null
	and .rules.dnat == ["192.168.26.100:23"] and .rules.snat == []
	and rule_is("dstnat_wan"; "#4"))' \
	"remote -> :23: DNAT to $HOST:23 by redirect #4"
assert_json '[.flows[] | select(h22)] | all(.now.dnat == "192.168.26.100:22"
	and (.now.snat | startswith("192.168.26.1:"))
	and .rules.dnat == ["192.168.26.100:22"] and .rules.snat == ["192.168.26.1"]
	and rule_is("dstnat_lan"; "#3 \\(reflection\\)"))' \
	"reflection #3: DNAT to $HOST:22, SNAT to $LAN_GW"
assert_json '[.flows[] | select(h23)] | all(.now.dnat == "192.168.26.100:23"
	and (.now.snat | startswith("10.11.12.194:"))
	and .rules.dnat == ["192.168.26.100:23"] and .rules.snat == ["10.11.12.194"]
	and rule_is("dstnat_lan"; "#4 \\(reflection\\)"))' \
	"reflection #4: DNAT to $HOST:23, SNAT to $WAN_ADDR"
assert_json '[.flows[] | select(dns)] | all(.now.dnat == "192.168.26.1:53" and .now.snat == null
	and .rules.dnat == ["192.168.26.1:53"] and .rules.snat == []
	and rule_is("dstnat_lan"; "#1"))' \
	"lan udp -> :53: redirected to $LAN_GW:53 by redirect #1"

step "fw4 reload with redirect #4 to $HOST_NEW (whole table, one nft -f)"
NEW=$LAB_TMP/fw4-redirect-4.nft
sed '/comment "!fw4: Redirect test #4/s/192\.168\.26\.100/192.168.26.101/g' \
	"$FIXTURE" >"$NEW" || fail "cannot write $NEW"
CHANGED=$(diff "$FIXTURE" "$NEW" | grep '^>')
[ "$(grep -c . <<<"$CHANGED")" = 3 ] &&
[ "$(grep -c 'Redirect test #4' <<<"$CHANGED")" = 3 ] &&
[ "$(diff "$FIXTURE" "$NEW" | grep -c '^<')" = 3 ] &&
[ "$(diff <(sed 's/192\.168\.26\.101/192.168.26.100/g' "$NEW") "$FIXTURE")" = "" ] ||
	fail "the new ruleset differs from the fixture by more than #4's target: $(diff "$FIXTURE" "$NEW")"
printf '%s\n' "$CHANGED" | sed 's/^>[[:space:]]*/    > /'
fw4_load "$NEW"
in_rtr nft list chain inet fw4 dstnat_wan | grep -q "dnat ip to $HOST_NEW:23" ||
	fail "redirect #4 does not go to $HOST_NEW after the reload"
expect_rx "$NS_LAN:r23" 5 "after the reload, before ctsweep: the old flows stay on $HOST"
[ "$(ids_of tcp --orig-port-dst 23)" = "$IDS_23" ] ||
	fail "the reload alone changed the :23 entries: $(ct_list -p tcp --orig-port-dst 23)"

step "ctsweep status: exactly redirect #4's flows are stale"
cts status -v --tcp --json
assert_rc 1 "status after the reload"
assert_json_contract status false
assert_json '.summary.unknown == 0' "no flow unknown ($(json .summary.unknown_by_cause))"
assert_json '.summary.stale == 3 and .summary.by_reason["forward-changed"] == 3
	and ([.flows[]] | length == 7)' \
	"exactly 3 flows stale (forward-changed): the remote's two and the reflected one to :23"
assert_json '[.flows[] | select(r23)] | length == 2 and all(.verdict == "stale"
	and .reason == "forward-changed" and .now.dnat == "192.168.26.100:23"
	and .rules.dnat == ["192.168.26.101:23"] and .rules.snat == []
	and rule_is("dstnat_wan"; "#4"))' \
	"remote -> :23: now $HOST, the reloaded #4 says $HOST_NEW"
assert_json '[.flows[] | select(h23)] | length == 1 and all(.verdict == "stale"
	and .reason == "forward-changed" and .now.dnat == "192.168.26.100:23"
	and .rules.dnat == ["192.168.26.101:23"] and .rules.snat == ["10.11.12.194"])' \
	"reflection #4: now $HOST, the reloaded rules say $HOST_NEW (SNAT unchanged)"
assert_json '[.flows[] | select(r22 or h22 or dns)] | length == 4
	and all(.verdict == "consistent")' \
	"redirect #3, its reflection and #1 stay consistent"

step "ctsweep sweep"
cts sweep -v --tcp --json
assert_rc 0 "sweep"
assert_json_contract sweep false
assert_json '.summary.deleted == 3 and ([.flows[] | select(.deleted)] | all(r23 or h23))
	and ([.flows[] | select(r23 or h23)] | all(.deleted))' \
	"sweep deleted exactly redirect #4's 3 flows"
[ -z "$(ids_of tcp --orig-port-dst 23)" ] ||
	fail "tagged :23 entries survived the sweep: $(ct_list -p tcp --orig-port-dst 23 --mark "$CT_TAG")"
[ "$(ids_of tcp --orig-port-dst 22) $(ids_of udp --orig-port-dst 53)" = "$IDS_KEEP" ] ||
	fail "flows of #3 or #1 lost their entries: $(ct_list -p tcp --orig-port-dst 22; ct_list -p udp --orig-port-dst 53)"
log "the flows of #3, its reflection and #1 keep their conntrack ids and tag"
inflight_pause	# segments already on their way to $HOST:23
expect_no_rx "$NS_LAN:r23" 2 "the remote to $HOST:23, after ctsweep sweep"
expect_no_rx "$NS_LAN:h23" 2 "the reflection to $HOST:23, after ctsweep sweep"
expect_rx "$NS_LAN:r22" 5 "redirect #3 after the sweep"
expect_rx "$NS_LAN:h22" 5 "reflection #3 after the sweep"
[ "$(ids_of tcp --orig-port-dst 22) $(ids_of udp --orig-port-dst 53)" = "$IDS_KEEP" ] ||
	fail "flows of #3 or #1 lost their entries after the sweep"
for i in 0 1 4; do
	kill -0 "${CLIENTS[$i]}" 2>/dev/null ||
		fail "a client of redirect #3 (index $i) lost its connection"
done
log "$HOST gets nothing more on 23; #3 and #1 go on with their entries"

step "a new remote connection to :23 reaches $HOST_NEW; nothing stale"
tcp_client CONN "$NS_REMOTE" "$WAN_ADDR" 23 "$LATE_SPORT"
CLIENTS+=("$CONN")
wait_until 10 est "$PEER" "$LATE_SPORT" 23 ||
	fail "the new connection to :23 is not ESTABLISHED: $(ct_flow "$LATE_SPORT" 23)"
expect_reply "$LATE_SPORT" 23 "$HOST_NEW 23 $PEER $LATE_SPORT" "redirect #4, reloaded"
cts status -v --tcp --json
assert_rc 0 "status after the sweep"
assert_json '.summary.unknown == 0 and .summary.stale == 0' \
	"nothing stale or unknown after the sweep"
assert_json "[.flows[] | select(tcp_to(23) and .orig.sport == $LATE_SPORT)] | length == 1
	and all(.verdict == \"consistent\" and .now.dnat == \"192.168.26.101:23\"
	and rule_is(\"dstnat_wan\"; \"#4\"))" \
	"the new connection: consistent, DNAT to $HOST_NEW by the reloaded #4"
pass
