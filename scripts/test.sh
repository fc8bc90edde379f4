#!/bin/sh
# The whole test suite, as CI runs it (.ci/run calls this):
#   1. install what is missing, build from a clean checkout,
#   2. make check (unit and integration tests, real PostgreSQL, real TLS),
#   3. the same tests built with AddressSanitizer + UndefinedBehaviorSanitizer,
#   4. make distcheck (tarball builds and installs; one quick test inside),
#   5. every libFuzzer target briefly (clang build, 5 s each on its corpus),
#   6. the controller and agent integration tests t0001-t0004 once with
#      both daemons under valgrind (no invalid accesses, no leaks).
# The last line is "N passed, N failed", counted from the TAP results.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
"$src/scripts/install-deps.sh" || { echo "0 passed, 1 failed"; exit 1; }
jobs=$(nproc 2>/dev/null || echo 2)
status=0
logs=""

run_suite() { # name build_dir configure-flags...
	name=$1 dir=$2; shift 2
	echo "== $name: building in $dir"
	rm -rf "$dir"
	if ! "$src/scripts/build.sh" "$dir" "$@" >/dev/null; then
		echo "== $name: BUILD FAILED"
		"$src/scripts/build.sh" "$dir" "$@" 2>&1 | tail -30
		status=1
		return
	fi
	echo "== $name: make check"
	if ! make -C "$dir" -s -j"$jobs" check >"$dir/check.out" 2>&1; then
		status=1
		grep -E '^(FAIL|ERROR|XPASS)' "$dir/check.out" || true
		for f in $(grep -lE '^(not ok|Bail out)' $(find "$dir/tests" -name '*.log') 2>/dev/null); do
			echo "---- $f"; grep -E '^(not ok|Bail out|#)' "$f" | head -40
		done
	fi
	grep -E '^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):' "$dir/test-suite.log" | sed "s/^/   $name /"
	logs="$logs $dir/test-suite.log"
}

run_suite plain "$src/build-ci"
run_suite sanitizers "$src/build-ci-san" --enable-sanitizers

echo "== distcheck"
if make -C "$src/build-ci" -s distcheck TESTS="tests/unit/test_hostlist" \
	>"$src/build-ci/distcheck.out" 2>&1; then
	echo "   distcheck ok"
	distcheck_ok=1
else
	tail -30 "$src/build-ci/distcheck.out"
	distcheck_ok=0
	status=1
fi

# One result each, counted like distcheck: the stage passed or failed.
extra_passed=0 extra_failed=0
stage() { # NAME COMMAND...: run a stage, print its tail if it fails
	_name=$1; shift
	if "$@" >"$src/build-ci/$_name.out" 2>&1; then
		echo "   $_name ok"
		tail -n 12 "$src/build-ci/$_name.out" | sed 's/^/   /'
		extra_passed=$((extra_passed + 1))
	else
		tail -n 30 "$src/build-ci/$_name.out"
		extra_failed=$((extra_failed + 1))
		status=1
	fi
}

echo "== fuzz (libFuzzer, 5 s per target)"
fuzz_build() {
	rm -rf "$src/build-ci-fuzz" && mkdir -p "$src/build-ci-fuzz" &&
		cd "$src/build-ci-fuzz" &&
		"$src/configure" -q --enable-fuzzers CC=clang &&
		make -s -j"$jobs" fuzz &&
		sh "$src/tests/fuzz/run.sh" . 5
}
stage fuzz fuzz_build
cd "$src"

echo "== valgrind (t0001-t0004, controller and agents under memcheck)"
stage valgrind sh "$src/tests/valgrind/run.sh" "$src/build-ci"

passed=0 failed=0
for l in $logs; do
	[ -f "$l" ] || { failed=$((failed + 1)); continue; }
	p=$(sed -n 's/^# PASS: *//p' "$l" | head -1)
	x=$(sed -n 's/^# XFAIL: *//p' "$l" | head -1)
	f=$(sed -n 's/^# FAIL: *//p' "$l" | head -1)
	xp=$(sed -n 's/^# XPASS: *//p' "$l" | head -1)
	e=$(sed -n 's/^# ERROR: *//p' "$l" | head -1)
	passed=$((passed + ${p:-0} + ${x:-0}))
	failed=$((failed + ${f:-0} + ${xp:-0} + ${e:-0}))
done
[ "$distcheck_ok" -eq 1 ] && passed=$((passed + 1)) || failed=$((failed + 1))
passed=$((passed + extra_passed))
failed=$((failed + extra_failed))
[ "$failed" -eq 0 ] || status=1
echo "$passed passed, $failed failed"
exit "$status"
