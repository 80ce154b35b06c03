#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/layers.sh - the layering HACKING.md promises, checked on the built
# objects: what each one calls (nm -u) is what its layer may call.
#
#   commands  print and log; may call anything
#   daemon    watch's own parts (index, notification sockets, HTTP)
#   pass      scan.c: one pass, the glue of readers, judge and kernel
#   readers   rules and routes as the kernel holds them; know no verdicts
#   kernel    conntrack over netlink; knows no rules
#   pure      judge, evaluator, planner, model, expressions, diffs and
#             matching: no system call, no clock, no environment
#   lib       small shared helpers (files, netlink attributes, privileges)
#
# Every object must be in exactly one layer, so a new file has to be placed
# before the suite passes.  Then the fuzzers' claim: every object a fuzz
# target reaches (fuzz/fuzz_*.c, built plain under BUILD/fuzz-entry by
# make check-unit) is pure.  Run by tests/run as one unit test; BUILD names
# the build directory (default build).

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
OBJ=$BUILD/obj

commands="main cmd status sweep watch explain log report print stats"
daemon="windex nlmon httpd"
pass="scan"
readers="nft ipt netenv_load"
kernel="ct ctfilter"
pure="eval evalctx judge plan netenv netenv_parse model mirror mdigest xt
      ct_parse nft_parse ipt_parse nlattr expr/*"
lib="fileio privs mirror_file agree nlsock"

# Fuzz targets that drive an I/O layer on purpose, so are not held to the
# pure layer: http feeds httpd.c's libmicrohttpd server over a socketpair;
# opts feeds the command line to cmd.c, the command layer (which reaches
# every other layer, though the parser itself reads nothing).
fuzz_io="http opts"

# What a layer may not call: symbols as nm prints them (anchored regexes).
print_syms='printf|fprintf|vfprintf|dprintf|puts|fputs|fputc|putchar|fwrite|perror|syslog|vsyslog|log_[a-z_]+'
io_syms='socket|open|open64|openat|fopen|fopen64|read|write|pread|pwrite|recv|recvmsg|recvmmsg|recvfrom|send|sendmsg|sendto|flock|opendir|readdir|readdir64|unlink|rename|mkostemp|getenv|secure_getenv|time|clock_gettime|gettimeofday|timerfd_[a-z]+|signalfd|poll|ppoll|epoll_[a-z]+|mnl_socket_[a-z_]+|nfct_[a-z_]+|nftnl_[a-z_]+|iptc_[a-z_]+|ip6tc_[a-z_]+'
rules_syms='nm_[a-z_]+|nft_[a-z_]+|ipt_[a-z_]+|xt_[a-z_]+|judge_[a-z_]+|eval_[a-z_]+'
verdict_syms='judge_[a-z_]+|eval_[a-z_]+'
conntrack_syms='ct_[a-z_]+|ctfilter_[a-z_]+|nfct_[a-z_]+|nfct_filter_[a-z_]+'

fails=0
declare -A seen

# calls OBJ REGEX: the symbols OBJ calls (nm -u) that match REGEX, on one
# line; empty when none does.
calls()
{
	nm -u "$1" | awk '{ print $NF }' | grep -Ex "($2)" | sort -u | tr '\n' ' '
}

# check LAYER REGEX OBJS...: no object of LAYER calls a symbol matching
# REGEX (an empty REGEX checks nothing but still claims the objects).
check()
{
	local layer=$1 re=$2 name o bad
	shift 2
	for name in "$@"; do
		for o in "$OBJ"/$name.o; do
			[ -f "$o" ] || continue
			seen[$o]=$layer
			[ -n "$re" ] || continue
			bad=$(calls "$o" "$re")
			if [ -n "$bad" ]; then
				echo "layers: ${o#"$OBJ"/} ($layer) calls: $bad"
				fails=$((fails + 1))
			fi
		done
	done
}

[ -d "$OBJ" ] || { echo "layers: no objects under $OBJ (run make first)"; exit 2; }

check commands '' $commands
check daemon "$print_syms|$verdict_syms" $daemon
check pass "$print_syms" $pass
check readers "$print_syms|$verdict_syms|scan_[a-z_]+|$conntrack_syms" $readers
check kernel "$print_syms|$rules_syms|scan_[a-z_]+" $kernel
check pure "$print_syms|$io_syms|$conntrack_syms" $pure
check lib "$print_syms|$rules_syms|scan_[a-z_]+" $lib

# one_way UPPER LOWER...: no object of LOWER calls what UPPER defines, so
# the calls between them go one way (the evaluator: eval.c -> src/expr/ ->
# evalctx.c).
one_way()
{
	local upper=$1 defs name o bad
	shift
	defs=$(for o in "$OBJ"/$upper.o; do nm -g --defined-only "$o"; done |
		awk '{ print $NF }' | sort -u | paste -sd'|')
	[ -n "$defs" ] || return 0
	for name in "$@"; do
		for o in "$OBJ"/$name.o; do
			[ -f "$o" ] || continue
			bad=$(calls "$o" "$defs")
			if [ -n "$bad" ]; then
				echo "layers: ${o#"$OBJ"/} calls up into $upper: $bad"
				fails=$((fails + 1))
			fi
		done
	done
}

one_way eval 'expr/*' evalctx
one_way 'expr/*' evalctx

# Every object has a layer.
while IFS= read -r o; do
	if [ -z "${seen[$o]:-}" ]; then
		echo "layers: ${o#"$OBJ"/} is in no layer: add it to tests/layers.sh (and HACKING.md)"
		fails=$((fails + 1))
	fi
done < <(find "$OBJ" -name '*.o' | sort)

# ---- what the fuzz targets reach ------------------------------------------
# The objects a fuzz target links, found as the linker finds them: the
# object defining each symbol it calls, then what that one calls, and so
# on.  A parser that moved a socket (or a call into a reader) back into its
# object would be reached here, whatever the symbol's name.

declare -A owner undef
for o in "${!seen[@]}"; do
	while read -r sym; do
		owner[$sym]=$o
	done < <(nm -g --defined-only "$o" | awk '{ print $NF }')
done

# reach OBJ: the objects of $OBJ that OBJ calls into, directly or not
reach()
{
	local -A got=()
	local queue=("$1") o s t

	while [ ${#queue[@]} -gt 0 ]; do
		o=${queue[0]}
		queue=("${queue[@]:1}")
		[ -n "${undef[$o]+x}" ] ||
			undef[$o]=$(nm -u "$o" | awk '{ print $NF }')
		for s in ${undef[$o]}; do
			t=${owner[$s]:-}
			[ -n "$t" ] && [ -z "${got[$t]:-}" ] || continue
			got[$t]=1
			queue+=("$t")
		done
	done
	printf '%s\n' "${!got[@]}"
}

FUZZ_OBJ=$BUILD/fuzz-entry
nfuzz=0
for src in "$TOP"/fuzz/fuzz_*.c; do
	t=${src##*/fuzz_}
	t=${t%.c}
	f=$FUZZ_OBJ/fuzz_$t.o
	if [ ! -f "$f" ]; then
		echo "layers: no $f (make check-unit builds the fuzz targets' objects)"
		fails=$((fails + 1))
		continue
	fi
	case " $fuzz_io " in *" $t "*) continue ;; esac
	nfuzz=$((nfuzz + 1))
	bad=
	while IFS= read -r o; do
		[ -n "$o" ] && [ "${seen[$o]}" != pure ] &&
			bad+="${o#"$OBJ"/} (${seen[$o]}) "
	done < <(reach "$f")
	if [ -n "$bad" ]; then
		echo "layers: fuzz_$t reaches objects that are not pure: $bad"
		fails=$((fails + 1))
	fi
done
for t in $fuzz_io; do
	if [ ! -f "$TOP/fuzz/fuzz_$t.c" ]; then
		echo "layers: fuzz_io names fuzz_$t, which is gone: drop it"
		fails=$((fails + 1))
	fi
done

[ $fails -eq 0 ] || exit 1
echo "layers: ${#seen[@]} objects, each calls only what its layer may;" \
	"$nfuzz fuzz targets reach pure objects only"
