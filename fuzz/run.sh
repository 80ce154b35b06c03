#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run each fuzz target for FUZZ_SECONDS on a working copy of its seed
# corpus (make fuzz calls this).  Prints one summary line per target:
# executions, coverage (cov), features (ft), corpus size, crashes.
# Exit status 1 when any target found a crash (see $FUZZ_DIR/crashes/).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
FUZZ_DIR=${FUZZ_DIR:-$TOP/build/fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_JOBS=${FUZZ_JOBS:-1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
summary=()
for t in "$@"; do
	bin=$FUZZ_DIR/fuzz_$t
	work=$FUZZ_DIR/corpus/$t
	crashes=$FUZZ_DIR/crashes/$t
	log=$FUZZ_DIR/fuzz_$t.log
	mkdir -p "$work" "$crashes"
	[ -d "$TOP/fuzz/corpus/$t" ] && cp -n "$TOP/fuzz/corpus/$t"/* "$work"/ 2>/dev/null
	[ -d "$TOP/fuzz/regressions/$t" ] && cp -n "$TOP/fuzz/regressions/$t"/* "$work"/ 2>/dev/null
	dict=()
	[ -f "$TOP/fuzz/$t.dict" ] && dict=(-dict="$TOP/fuzz/$t.dict")
	echo "fuzz_$t: ${FUZZ_SECONDS}s, corpus $(ls "$work" | wc -l) inputs (log $log)"
	if [ "$FUZZ_JOBS" -gt 1 ]; then
		par=(-fork="$FUZZ_JOBS" -ignore_crashes=1)
	else
		par=()
	fi
	"$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -close_fd_mask=2 -print_final_stats=1 "${par[@]}" "${dict[@]}" \
		-artifact_prefix="$crashes/" "$work" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -n1)
	cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	ncrash=$(ls "$crashes" | wc -l)
	line=$(printf '%-12s rc=%d execs=%s cov=%s ft=%s corpus=%s crashes=%s' \
		"fuzz_$t" "$rc" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
		"$(ls "$work" | wc -l)" "$ncrash")
	echo "$line"
	summary+=("$line")
	if [ "$rc" -ne 0 ] || [ "$ncrash" -gt 0 ]; then
		status=1
		grep -m1 -A12 'ERROR: \|runtime error' "$log"
	fi
done
echo "---- fuzz summary"
printf '%s\n' "${summary[@]}"
exit $status
