# A private PostgreSQL for one test: initdb in a temporary folder, the
# server on a Unix socket only (no TCP), fsync off, stopped by its PID.
#
#   pg_start DIR   start; sets PG_CONNINFO and PG_PID
#   pg_stop        stop the server started by pg_start
#   pg_crash       immediate shutdown (SIGQUIT): the server vanishes
#   pg_server_start  start it again on the same data (after either)
#   pg_psql SQL    run SQL, print unaligned tuples
#
# PostgreSQL refuses to run as root, so as root the server runs as the
# "postgres" account (created by Debian's package) via runuser.

pg_find_bin() {
	if [ -n "${PG_BIN:-}" ]; then return 0; fi
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [ -x "$d/initdb" ]; then PG_BIN=$d; return 0; fi
	done
	if command -v initdb >/dev/null 2>&1; then
		PG_BIN=$(dirname "$(command -v initdb)"); return 0
	fi
	return 1
}

pg_as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_start() {
	PG_DIR=$1
	pg_find_bin || return 1
	mkdir -p "$PG_DIR"
	if [ "$(id -u)" -eq 0 ]; then
		id postgres >/dev/null 2>&1 || { echo "no postgres account" >&2; return 1; }
		chown postgres: "$PG_DIR"
	fi
	PG_PORT=${PG_PORT:-5432}
	pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U colossus \
		--nosync -E UTF8 --locale=C >"$PG_DIR/initdb.log" 2>&1 || {
		cat "$PG_DIR/initdb.log" >&2; return 1; }
	pg_server_start || return 1
	PG_CONNINFO="host=$PG_DIR port=$PG_PORT user=colossus dbname=colossus"
	pg_as_owner "$PG_BIN/createdb" -h "$PG_DIR" -p "$PG_PORT" -U colossus colossus || return 1
	export PG_CONNINFO PG_PID PG_DIR PG_BIN PG_PORT
}

pg_server_start() {
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" \
		-w -t 60 -o "-k $PG_DIR -p $PG_PORT -c listen_addresses='' -c fsync=off -c full_page_writes=off -c max_connections=50" \
		start >/dev/null 2>&1 || { cat "$PG_DIR/server.log" >&2; return 1; }
	PG_PID=$(head -n 1 "$PG_DIR/data/postmaster.pid")
	export PG_PID
}

pg_psql() {
	"$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 "$PG_CONNINFO" -c "$1"
}

pg_crash() {
	[ -n "${PG_PID:-}" ] || return 0
	kill -QUIT "$PG_PID" 2>/dev/null
	for _i in $(seq 1 100); do
		kill -0 "$PG_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$PG_PID" 2>/dev/null || true
	PG_PID=
}

pg_stop() {
	[ -n "${PG_PID:-}" ] || return 0
	if kill -0 "$PG_PID" 2>/dev/null; then
		kill -INT "$PG_PID" 2>/dev/null   # fast shutdown
		for _i in $(seq 1 100); do
			kill -0 "$PG_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$PG_PID" 2>/dev/null || true
	fi
	PG_PID=
}
