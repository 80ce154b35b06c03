# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Helpers for tests/netns/30-faults.sh: run ctsweep under the nlfault
# LD_PRELOAD shim (tests/fault/nlfault.c) and check what it did.  Sourced
# after tests/netns/lib.sh.

case ${BUILD:-build} in
/*) NLFAULT_SO=${NLFAULT_SO:-$BUILD/nlfault.so} ;;
*) NLFAULT_SO=${NLFAULT_SO:-$TOP/${BUILD:-build}/nlfault.so} ;;
esac
# A sanitized ctsweep (make SANITIZE=1) wants ASan's runtime first in the
# library list; the shim is preloaded before it, which is harmless here.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:verify_asan_link_order=0}
FAULT_RESULTS=()

fault_require_shim()
{
	if [ ! -f "$NLFAULT_SO" ] || [ "$TOP/tests/fault/nlfault.c" -nt "$NLFAULT_SO" ]; then
		make -C "$TOP" -s "${NLFAULT_SO#"$TOP"/}" >/dev/null ||
			fail "cannot build the fault shim $NLFAULT_SO"
	fi
}

# cts_fault NLFAULT [EXEC] -- ARGS...: ctsweep ARGS in the router with the
# shim and fault spec; EXEC is NLFAULT_EXEC.  FAULT_LOG gets what fired.
cts_fault()
{
	local spec=$1 exec=$2
	shift 3
	FAULT_LOG=$LAB_TMP/fault.$((CTS_N + 1)).log
	: >"$FAULT_LOG"
	cts_cmd env LD_PRELOAD="$NLFAULT_SO" NLFAULT="$spec" \
		NLFAULT_EXEC="$exec" NLFAULT_LOG="$FAULT_LOG" \
		"$CTSWEEP" --netns "$NS_RTR" "$@"
	sed 's/^/    fault: /' "$FAULT_LOG"
}

# fault_fired: the fault really happened (else the case tests nothing).
fault_fired()
{
	[ -s "$FAULT_LOG" ] || fail "fault '$1' never fired: the request class or count is wrong"
}

# ids_still_there BEFORE WHAT: every conntrack id of BEFORE (a list) is
# still in the table, with its ct mark (the same entry, not a new one).
ids_still_there()
{
	local now gone
	now=$(tagged_ids)
	gone=$(comm -23 <(echo "$1" | sort) <(echo "$now" | sort))
	[ -z "$gone" ] ||
		fail "$2: $(echo "$gone" | grep -c .) flows deleted that should not be: ids $(echo $gone | head -c 200)"
}

# The whole table, filtered here: conntrack -L's kernel-side filters have
# returned partial lists on this kernel.
ct_all() { in_rtr conntrack -L -f ipv4 -o id 2>/dev/null; }

# tagged_ids: sorted ids of the entries with the ct mark $CT_TAG.
tagged_ids()
{
	ct_all | grep " mark=$CT_TAG " |
		sed -n 's/.* id=\([0-9]*\).*/\1/p' | sort -n
}

# port_ids PORT: sorted ids of the UDP entries to original port PORT.
port_ids()
{
	ct_all | awk -v p="dport=$1" '$1 == "udp" {
		for (i = 1; i <= NF; i++) if ($i ~ /^dport=/) { d = $i; break }
		if (d == p) for (i = 1; i <= NF; i++)
			if ($i ~ /^id=/) print substr($i, 4) }' | sort -n
}

# fault_tag [conntrack filter]: give matching UDP flows the ct mark
# $CT_TAG.  conntrack -U's exit status is not reliable here (it has
# failed with every entry updated), so the result is what is checked.
fault_tag()
{
	local n m try
	n=$(ct_count -p udp "$@")
	# conntrack -U has been seen to stop part way: go on until all are
	for ((try = 0; try < 10; try++)); do
		in_rtr conntrack -U -f ipv4 -p udp "$@" -m "$CT_TAG" >/dev/null 2>&1
		m=$(ct_list -p udp "$@" | grep -c " mark=$CT_TAG ")
		[ "$m" = "$n" ] && break
	done
	[ "$n" -gt 0 ] && [ "$m" = "$n" ] ||
		fail "cannot tag the udp flows $*: $m of $n tagged"
}

fault_result()
{
	FAULT_RESULTS+=("$(printf '%-34s exit %-3s %s' "$1" "$CTS_RC" "$2")")
}
