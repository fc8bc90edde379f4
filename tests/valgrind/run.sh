#!/bin/sh
# Run integration tests with the controller and the agents under valgrind
# (memcheck): no invalid reads or writes, no use of uninitialised memory,
# no leaks (definitely or indirectly lost) in either daemon.
#
#   tests/valgrind/run.sh BUILD_DIR [TEST...]
#
# TEST names a script in tests/integration without ".t"; the default is
# the agent and controller tests t0001-t0004.  Build without sanitizers
# (valgrind and ASan do not mix).  Each daemon writes one log, kept in
# the folder printed at the end.  Suppressions (colossus.supp) cover
# third-party libraries only; see README.md.
#
# Exit status: 0 when every test passed and every daemon's log reports
# no errors; 1 otherwise.  A daemon that had to be killed (SIGKILL, so no
# leak summary) is listed; it fails the run unless the test killed it on
# purpose (t0003 kills agents to test restarts), see README.md.
set -u
b=$(cd "${1:?usage: run.sh BUILD_DIR [TEST...]}" && pwd)
shift
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
tests=${*:-t0001-gang t0002-cancel t0003-restart t0004-hostile}
command -v valgrind >/dev/null || { echo "run.sh: valgrind not installed (apt-get install valgrind)" >&2; exit 1; }
logs=$(mktemp -d "${TMPDIR:-/tmp}/colossus-valgrind.XXXXXX")
failed=0

# --child-silent-after-fork: the agent forks and execs shepherds and job
# ranks; those are not ours to check here, and exec ends valgrind anyway.
COLOSSUS_WRAPPER="valgrind --tool=memcheck --error-exitcode=99 \
--leak-check=full --show-leak-kinds=definite,indirect \
--errors-for-leak-kinds=definite,indirect --num-callers=30 \
--child-silent-after-fork=yes --suppressions=$here/colossus.supp \
--log-file=$logs/vg.%p.log"
export COLOSSUS_WRAPPER
# Daemons start several times slower under valgrind: with the tests' 4 s
# lease, nodes whose agents are still starting would be declared down.
COLOSSUS_CTL_ARGS="--set nodes.lease=60s"
export COLOSSUS_CTL_ARGS

for t in $tests; do
	script=$src/tests/integration/$t.t
	[ -f "$script" ] || { echo "run.sh: no test $script" >&2; failed=1; continue; }
	mkdir -p "$logs/$t"
	before=$(ls "$logs" | grep -c '^vg\.')
	top_builddir=$b top_srcdir=$src sh "$script" > "$logs/$t/tap" 2>&1
	rc=$?
	# Give the logs of this test their own folder.
	for f in "$logs"/vg.*.log; do
		[ -f "$f" ] && mv "$f" "$logs/$t/"
	done
	pass=$(grep -c '^ok ' "$logs/$t/tap")
	fail=$(grep -c '^not ok ' "$logs/$t/tap")
	printf '%-16s tap: %s ok, %s not ok, exit %s\n' "$t" "$pass" "$fail" "$rc"
	[ "$rc" -eq 0 ] && [ "$fail" -eq 0 ] || failed=1
	for f in "$logs/$t"/vg.*.log; do
		[ -f "$f" ] || continue
		prog=$(sed -n 's/^==[0-9]*== Command: \([^ ]*\).*/\1/p' "$f" | head -n 1)
		prog=${prog##*/}
		summary=$(sed -n 's/^==[0-9]*== ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$f" | tail -n 1)
		lost=$(sed -n 's/^==[0-9]*==    definitely lost: \([0-9,]*\) bytes.*/\1/p' "$f" | tail -n 1)
		if [ -z "$summary" ]; then
			printf '    %-22s %s: killed, no summary\n' "$prog" "$(basename "$f")"
			case $t in t0003-restart) ;; *) failed=1 ;; esac
		else
			printf '    %-22s %s: %s errors, definitely lost %s bytes\n' \
				"$prog" "$(basename "$f")" "$summary" "${lost:-0}"
			[ "$summary" -eq 0 ] || failed=1
		fi
	done
	: "$before"
done
echo "valgrind logs and TAP output in $logs"
exit "$failed"
