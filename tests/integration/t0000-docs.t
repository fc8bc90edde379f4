#!/bin/sh
# Every configuration key of both daemons is documented in docs/config.md
# (the daemons' tables are the source; see scripts/gen-config-doc.sh).
. "$top_srcdir/tests/lib/tap.sh"
doc=$top_srcdir/docs/config.md
for prog in colossus-controller colossus-nodeagent; do
	keys=$("$top_builddir/$prog" --dump-config -c /nonexistent 2>/dev/null | awk '
		/^\[/ { sec = substr($0, 2, length($0) - 2); next }
		/^#? ?[a-z_]+ =( |$)/ { k = $0; sub(/^# /, "", k); sub(/ *=.*/, "", k); print sec "." k }')
	[ -n "$keys" ]
	ok $? "$prog --dump-config lists its keys"
	missing=""
	for k in $keys; do
		grep -q "\`$k\`" "$doc" || missing="$missing $k"
	done
	is "$missing" "" "every $prog key is in docs/config.md"
done
done_testing
