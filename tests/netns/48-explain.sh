#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ctsweep explain: the rule path of a tuple or an entry.
#  1. An fw4-style table (dstnat jumps to dstnat_wan, the forward there)
#     sends the seed's stream to A; it is reloaded with the forward to B.
#     explain of the entry names the rule that now disagrees, the chains
#     and the jump, and calls it stale; explain --id says the same.
#  2. explain of a tuple says where a new flow goes; after the sweep the
#     kernel's own entry for the real packet goes exactly there.
#  3. Docker's DOCKER chain in iptables-legacy (addrtype LOCAL, then the
#     DNAT): explain names the legacy rules as iptables -S prints them, and
#     the kernel agrees with it for a real packet.
#  4. Bad input exits 2 and deletes nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-legacy.sh"

fw4_nat_only()
{
	cat <<EOT
table inet fw4
flush table inet fw4
table inet fw4 {
	chain dstnat {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "wan" jump dstnat_wan
	}
	chain dstnat_wan {
		meta nfproto ipv4 udp dport 4000 dnat ip to $B4:4000 comment "!fw4: other"
		meta nfproto ipv4 udp dport 53820 dnat ip to $1 comment "!fw4: wg"
	}
	chain srcnat {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan" masquerade
	}
}
EOT
}

topo_standard --fw none
step "fw4-style table, wg 53820 -> A:51820; the seed's stream"
nft_rtr -f - <<<"$(fw4_nat_only "$A4:51820")"
seed_traffic
id=$(ct_seed_id)

step "reload with wg -> B:53820: explain the entry"
nft_rtr -f - <<<"$(fw4_nat_only "$B4:53820")"
expect_stuck_on_a "the reload alone"
cts explain --flow udp "$REMOTE4:$PEER_PORT" "$WAN4:$FWD_PORT"
assert_rc 0 "explain --flow"
for want in "hook prerouting" "chain inet fw4 dstnat (nat, priority -100)" \
	'iifname "wan" jump dstnat_wan' "chain inet fw4 dstnat_wan" \
	"udp dport 53820 dnat ip to $B4:53820" "-> dnat to $B4:53820" \
	"stale, forward-changed" "answered from $A4:51820"; do
	grep -qF -- "$want" "$CTS_OUT" ||
		fail "explain does not say '$want': $(cat "$CTS_OUT")"
done
grep -qF "udp dport 4000" "$CTS_OUT" &&
	fail "explain lists the rule for port 4000, which did not match"
cts explain --json --id "$id"
assert_rc 0 "explain --id"
assert_json ".entry.id == $id and .entry.verdict == \"stale\"
	and .entry.reason == \"forward-changed\"" "the entry's verdict"
assert_json "[.paths[0].steps[] | select(.rule)] | map(.rule)
	| any(test(\"dnat ip to $B4:53820\"))" "the rule that now decides"
assert_json "[.paths[0].steps[] | select(.chain)] | map(.chain)
	== [\"inet fw4 dstnat\", \"inet fw4 dstnat_wan\", \"inet fw4 srcnat\"]" \
	"the chains entered, in order"
assert_json ".dnat == [\"$B4:53820\"]" "what the rules say"
expect_seed_id "$id" "explain deletes nothing"

step "explain of a tuple, then what the kernel does with it"
cts explain --json udp "$REMOTE4:$PEER_PORT" "$WAN4:$FWD_PORT"
assert_json '.entry == null and .dnat == ["'"$B4:53820"'"]' \
	"a new flow of the tuple goes to B"
cts sweep
expect_moved_to_b "after the sweep"
expect_ct_reply "$B4" 53820 "the kernel's new entry goes where explain said"

step "Docker's DOCKER chain in iptables-legacy"
nft_rtr delete table inet fw4
ipt4 -t nat -N DOCKER
ipt4 -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
ipt4 -t nat -A POSTROUTING -s 192.168.50.0/24 ! -o br-lan -j MASQUERADE
ipt4 -t nat -A DOCKER -i br-lan -j RETURN
ipt4 -t nat -A DOCKER ! -i br-lan -p udp -m udp --dport 5000 -j DNAT --to-destination "$A4:5000"
cts explain udp "$REMOTE4:40000" "$WAN4:5000"
assert_rc 0 "explain on iptables-legacy"
for want in "chain iptables-legacy -t nat PREROUTING (nat, priority -100)" \
	"rule 1: -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER" \
	"chain iptables-legacy -t nat DOCKER" \
	"-A DOCKER ! -i br-lan -p udp -m udp --dport 5000 -j DNAT --to-destination $A4:5000" \
	"-> dnat to $A4:5000"; do
	grep -qF -- "$want" "$CTS_OUT" ||
		fail "explain does not say '$want': $(cat "$CTS_OUT")"
done
start_stream DOCKER remote "$WAN4" 5000 40000
wait_until 10 ct_flow_exists 40000 5000 || fail "no entry for the Docker flow"
[ "$(ct_flow_reply 40000 5000 | cut -d' ' -f1,2)" = "$A4 5000" ] ||
	fail "the kernel did not send it where explain said: $(ct_flow 40000 5000)"
cts explain --flow udp "$REMOTE4:40000" "$WAN4:5000"
grep -qF -- "-> consistent" "$CTS_OUT" ||
	fail "the Docker flow is not consistent: $(cat "$CTS_OUT")"

step "bad input: exit 2, nothing deleted"
before=$(ct_count)
for args in "udp nowhere $WAN4:5000" "udp $REMOTE4:70000 $WAN4:5000" \
	"icmp $REMOTE4:1 $WAN4" "udp $REMOTE4 $WAN4 --iif nosuch0" \
	"--id 1" "udp $REMOTE4"; do
	# shellcheck disable=SC2086 # words on purpose
	cts explain $args
	assert_rc 2 "explain $args"
	[ -s "$CTS_ERR" ] || fail "explain $args: no message"
done
[ "$(ct_count)" -ge "$before" ] || fail "explain deleted entries"
pass
