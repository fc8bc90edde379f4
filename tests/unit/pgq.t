#!/bin/sh
# Runs tests/unit/test_pgq (common/pgq.c against a real PostgreSQL): starts
# a private server in a temporary folder with tests/lib/pg.sh, passes its
# connection string in COLOSSUS_TEST_PG, and stops the server by its PID
# (and removes the folder) in an EXIT trap whatever happens.  The C program
# prints the TAP.  Without PostgreSQL server binaries the test is skipped.
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib/pg.sh"

PGQ_TEST_BIN=$top_builddir/tests/unit/test_pgq

if ! pg_find_bin; then
	echo "1..0 # SKIP no PostgreSQL server binaries"
	exit 0
fi
if [ ! -x "$PGQ_TEST_BIN" ]; then
	echo "Bail out! $PGQ_TEST_BIN not built"
	exit 1
fi

T=$(mktemp -d /tmp/colossus-pgq.XXXXXX) || {
	echo "Bail out! mktemp failed"; exit 1; }
# The server may run as the postgres account (as root): let it in.
chmod 755 "$T"
pgq_cleanup() {
	pg_stop
	rm -rf "$T"
}
trap pgq_cleanup EXIT
trap 'exit 1' INT TERM

# PG_PORT only names the Unix socket; keep parallel tests apart.
PG_PORT=$(( 20000 + $$ % 20000 ))
if ! pg_start "$T/pg"; then
	echo "Bail out! PostgreSQL did not start"
	exit 1
fi

COLOSSUS_TEST_PG=$PG_CONNINFO
export COLOSSUS_TEST_PG
"$PGQ_TEST_BIN"
