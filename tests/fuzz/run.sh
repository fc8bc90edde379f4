#!/bin/sh
# Run every libFuzzer target of a build for SECONDS seconds on a copy of
# its seed corpus (tests/fuzz/corpus/<target>/), so the source tree is
# never modified, and print executions and coverage per target.
#
#   ./configure --enable-fuzzers CC=clang && make fuzz
#   tests/fuzz/run.sh BUILD_DIR SECONDS
#
# Environment: FUZZ_ONLY="cfg hostlist" runs only those targets;
# FUZZ_FLAGS adds libFuzzer options (e.g. "-max_len=8192").
# Exit status: 0 if no target crashed, leaked or timed out, 1 otherwise;
# the inputs that broke a target are kept and their folder is printed.
set -u
b=${1:?usage: run.sh BUILD_DIR SECONDS}
secs=${2:?usage: run.sh BUILD_DIR SECONDS}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/colossus-fuzz.XXXXXX")
failed=0

targets=${FUZZ_ONLY:-$(cd "$here/corpus" && ls)}
printf '%-12s %12s %8s %8s %8s  %s\n' target execs exec/s cov ft result
for t in $targets; do
	bin=$b/tests/fuzz/fuzz_$t
	if [ ! -x "$bin" ]; then
		echo "run.sh: $bin not built (make fuzz)" >&2
		failed=1
		continue
	fi
	mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
	cp "$here/corpus/$t/"* "$work/$t/corpus/" 2>/dev/null
	# The whole run is bounded: libFuzzer stops itself after secs, the
	# outer timeout only catches a hang in the harness.
	timeout $((secs + 120)) "$bin" -max_total_time="$secs" \
		-print_final_stats=1 -timeout=25 \
		-artifact_prefix="$work/$t/artifacts/" ${FUZZ_FLAGS:-} \
		"$work/$t/corpus" >"$work/$t/log" 2>&1
	rc=$?
	done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$work/$t/log" | tail -n 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t/log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$t/log" | tail -n 1)
	cov=$(echo "$done_line" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$done_line" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	if [ "$rc" -eq 0 ]; then
		result=ok
	else
		result="FAILED (exit $rc; log and inputs in $work/$t)"
		failed=1
	fi
	printf '%-12s %12s %8s %8s %8s  %s\n' "$t" "${execs:--}" "${rate:--}" \
		"${cov:--}" "${ft:--}" "$result"
	if [ "$rc" -ne 0 ]; then
		grep -E 'ERROR|SUMMARY|fuzz property failed' "$work/$t/log" |
			head -n 5 | sed 's/^/    /'
	fi
done
if [ "$failed" -eq 0 ]; then
	rm -rf "$work"
else
	echo "kept $work" >&2
fi
exit "$failed"
