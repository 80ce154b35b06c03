#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Faults in the netlink layer (tests/fault/nlfault.c, an LD_PRELOAD shim):
# errors of every kind on socket, send and receive, truncated and
# malformed replies, dumps cut short, a ruleset or conntrack table that
# changes in the middle of a read.  For each, "ctsweep sweep" either
# succeeds (the fault is retried transparently) or exits 2 with a message,
# and in no case deletes a consistent flow: a ruleset read cut short must
# never make DNATed or masqueraded flows look stale.
#
# Flows: 40 consistent DNATed flows (wan udp 5000 -> B:5000), 20
# consistent masqueraded flows (a -> peer:9000), all tagged with a ct mark;
# and 5 stale flows (a forward to A:6000 that was removed), made again
# whenever a case deletes them.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/fault/lib-fault.sh"

fault_require_shim
topo_standard
lab_sysctl "$NS_RTR" net.netfilter.nf_conntrack_udp_timeout=600 ||
	fail "cannot raise the udp timeout in the router"
nft_rtr -f - <<EOT
add rule ip nat prerouting iifname "wan" udp dport 5000 dnat to $B4:5000
add table ip churn
add chain ip churn c
EOT
spawn SINK_B b socat -u UDP4-RECV:5000 OPEN:/dev/null
spawn SINK_A a socat -u UDP4-RECV:6000 OPEN:/dev/null

step "consistent flows: 40 DNATed, 20 masqueraded"
# neighbours resolved first, so no datagram waits on ARP
in_a ping -c1 -W2 "$REMOTE4" >/dev/null 2>&1
in_remote ping -c1 -W2 "$B4" >/dev/null 2>&1
udp_burst remote "$WAN4" 5000 40
udp_burst a "$REMOTE4" 9000 20
n5000() { [ "$(ct_count -p udp --orig-port-dst 5000)" = 40 ]; }
n9000() { [ "$(ct_count -p udp --orig-port-dst 9000)" = 20 ]; }
wait_until 5 n5000 || fail "expected 40 flows to 5000: $(ct_count -p udp --orig-port-dst 5000)"
wait_until 5 n9000 || fail "expected 20 flows to 9000: $(ct_count -p udp --orig-port-dst 9000)"
fault_tag --orig-port-dst 5000
fault_tag --orig-port-dst 9000
GOOD=$(tagged_ids)
[ "$(echo "$GOOD" | grep -c .)" = 60 ] || fail "expected 60 tagged flows: $GOOD"

# 5 stale flows: made through a forward to A:6000 that is then removed.
make_stale()
{
	local h
	[ "$(port_ids 6000 | grep -c .)" = 5 ] && return 0
	in_rtr conntrack -D -p udp --orig-port-dst 6000 >/dev/null 2>&1
	nft_rtr add rule ip nat prerouting iifname "wan" udp dport 6000 dnat to "$A4:6000"
	udp_burst remote "$WAN4" 6000 5
	h=$(in_rtr nft -a list chain ip nat prerouting | sed -n 's/.*dport 6000 .*# handle \([0-9]*\)/\1/p')
	nft_rtr delete rule ip nat prerouting handle "$h"
	[ "$(port_ids 6000 | grep -c .)" = 5 ] ||
		fail "expected 5 stale flows to 6000: $(ct_list -p udp --orig-port-dst 6000)"
}
stale_ids() { port_ids 6000; }

step "without a fault: 5 stale flows are found"
make_stale
cts status --json
assert_rc 1 "status without a fault"
assert_json '.summary.stale == 5 and .summary.unknown == 0 and .summary.consistent >= 40' \
	"5 stale (forward-removed), the 40 forwarded flows consistent"

# fault_case NAME EXPECT NLFAULT [EXEC]
#   EXPECT: ok     exit 0, the stale flows deleted (fault retried)
#           err    exit 2 with a message, nothing deleted at all
#           err-del exit 2 with a message, fault during the deletes
#           safe   exit 0, nothing consistent deleted (stale ones may be
#                  kept: judged unknown or never seen)
fault_case()
{
	local name=$1 expect=$2 spec=$3 exec=${4:-} before
	step "fault: $name ($spec)"
	make_stale
	before=$(stale_ids)
	cts_fault "$spec" "$exec" -- sweep --json
	fault_fired "$spec"
	ids_still_there "$GOOD" "$name"
	case $expect in
	ok)
		assert_rc 0 "$name: the fault should be retried"
		assert_json '.summary.deleted == 5 and .summary.consistent >= 40' \
			"$name: 5 deleted, the 40 forwarded flows consistent"
		[ -z "$(comm -12 <(echo "$before" | sort) <(stale_ids | sort))" ] ||
			fail "$name: stale flows survived a successful sweep"
		;;
	err | err-del)
		assert_rc 2 "$name"
		grep -Eq '^ctsweep: sweep: (cannot|deleting)' "$CTS_ERR" ||
			fail "$name: no 'ctsweep: sweep: cannot ...' (or 'deleting ... failed') message on stderr"
		[ -s "$CTS_OUT" ] && fail "$name: a failed sweep printed a report"
		if [ "$expect" = err ]; then
			[ "$(stale_ids)" = "$before" ] ||
				fail "$name: flows were deleted before the error"
		fi
		;;
	safe)
		assert_rc 0 "$name"
		;;
	esac
	fault_result "$name" "$(grep -m1 -Eo '(cannot|deleting) .*' "$CTS_ERR" | head -c 110)"
}

# socket and send errors
fault_case "socket EPERM (rtnetlink)"   err  "socket=EPERM@route"
fault_case "socket ENOMEM (netfilter)"  err  "socket=ENOMEM@nft"
fault_case "send EPERM (nft GETGEN)"    err  "send=EPERM@nft-gen"
fault_case "send EBUSY (ct dump)"       err  "send=EBUSY@ct-dump"
fault_case "send ENOBUFS (route dump)"  err  "send=ENOBUFS@route-route"
# receive errors
fault_case "recv EINTR (nft rules)"     ok   "recv=EINTR@nft-rule"
fault_case "recv EINTR (ct dump)"       ok   "recv=EINTR@ct-dump"
fault_case "recv EINTR (routes)"        ok   "recv=EINTR@route-route"
fault_case "recv ENOBUFS (ct dump)"     err  "recv=ENOBUFS@ct-dump"
fault_case "recv ENOBUFS (nft chains)"  err  "recv=ENOBUFS@nft-chain"
fault_case "recv ENOMEM (routes)"       err  "recv=ENOMEM@route-route"
fault_case "recv EBUSY (nft sets)"      err  "recv=EBUSY@nft-set"
fault_case "recv EPERM (ct dump)"       err  "recv=EPERM@ct-dump"
fault_case "recv returns 0 (nft rules)" ok   "empty@nft-rule"
# truncated and malformed replies
fault_case "truncated nft rule reply"   err  "truncate@nft-rule"
fault_case "truncated nft gen reply"    err  "truncate@nft-gen"
fault_case "truncated ct dump reply"    err  "truncate@ct-dump"
fault_case "truncated link dump"        err  "truncate@route-link"
fault_case "malformed nft rule"         err  "corrupt@nft-rule"
fault_case "malformed nft chain"        err  "corrupt@nft-chain"
fault_case "malformed route"            err  "corrupt@route-route"
fault_case "malformed ct entry"         safe "corrupt@ct-dump"
# dumps cut short
fault_case "rule dump cut short (empty)"     err "eof@nft-rule"
fault_case "rule dump cut short, always"     err "eof@nft-rule#1+"
fault_case "chain dump cut short, always"    err "eof@nft-chain#1+"
fault_case "table dump cut short, always"    err "eof@nft-table#1+"
fault_case "rule dump fails (DONE ENOMEM)"   err "doneerr=ENOMEM@nft-rule"
fault_case "set dump ends in EBUSY"          err "errmsg=EBUSY@nft-set"
fault_case "route dump cut short once"       ok  "eof@route-route"
fault_case "addr dump cut short once"        ok  "eof@route-addr"
fault_case "route dump cut short, always"    safe "eof@route-route#1+"
fault_case "route dump fails (DONE ENOMEM)"  err "doneerr=ENOMEM@route-route"
fault_case "ct dump fails (DONE ENOMEM)"     err "doneerr=ENOMEM@ct-dump"
fault_case "ct dump cut short"               safe "eof@ct-dump"
# interrupted dumps and changes in the middle of a read
fault_case "rule dump interrupted once"      ok  "intr@nft-rule"
fault_case "rule dump interrupted always"    err "intr@nft-rule#1+"
fault_case "route dump interrupted once"     ok  "intr@route-route"
fault_case "ct dump interrupted"             err "intr@ct-dump#1+"
fault_case "ruleset changes mid-read once"   ok  "exec@nft-rule" \
	"nft add rule ip churn c counter >/dev/null 2>&1"
fault_case "ruleset changes on every read"   err "exec@nft-rule#1+" \
	"nft add rule ip churn c counter >/dev/null 2>&1"
fault_case "ruleset changes during ct dump"  ok  "exec@ct-dump" \
	"nft add rule ip churn c counter >/dev/null 2>&1"
# deletes
fault_case "deleted entries vanished"        ok  "exec@ct-del" \
	"conntrack -D -p udp --orig-port-dst 6000 >/dev/null 2>&1"
fault_case "send EPERM (deletes)"            err "send=EPERM@ct-del"
fault_case "send ENOBUFS (deletes)"          err "send=ENOBUFS@ct-del"
fault_case "acks lost (recv ENOBUFS)"        err-del "recv=ENOBUFS@ct-del"

step "fault matrix"
printf '    %s\n' "${FAULT_RESULTS[@]}"
pass
