#!/bin/sh
# `make install` into a staging folder (DESTDIR) puts every part of
# Colossus in its place: programs, SQL migrations, the rack map page,
# example configurations (never overwriting a real one), alert rules,
# manual pages and systemd units whose paths point at the installed
# programs; the examples parse; the manual pages render without
# warnings; `make uninstall` removes it all again.
#
# Protects the operators' side of DESIGN invariant 1: an upgrade by
# `make install` must never replace a site's configuration.
. "$top_srcdir/tests/lib/tap.sh"
command -v make >/dev/null || skip_all "make not installed"
[ -f "$top_builddir/Makefile" ] || skip_all "no Makefile in $top_builddir"
T=$(mktemp -d /tmp/colossus-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
D=$T/stage
# The parent make's jobserver is not ours.
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" "$@"; }

printf 'print-prefix:\n\t@echo $(prefix) $(sysconfdir) $(sbindir) $(pkgdatadir) $(mandir) $(systemdunitdir)\n' > "$T/print.mk"
prefix=$(mk --no-print-directory -f Makefile -f "$T/print.mk" print-prefix 2>/dev/null)
set -- $prefix
prefix=$1 sysconfdir=$2 sbindir=$3 pkgdatadir=$4 mandir=$5 unitdir=$6
ok $([ -n "$unitdir" ]; echo $?) "install paths: prefix $prefix, units in $unitdir"

mkdir -p "$D$sysconfdir/colossus"
echo "# the site's own" > "$D$sysconfdir/colossus/controller.conf"
out=$(mk install DESTDIR="$D" 2>&1)
ok $? "make install DESTDIR=..." || diag "$out"

for f in "$sbindir/colossus-controller" "$sbindir/colossus-nodeagent"; do
	ok $([ -x "$D$f" ]; echo $?) "installed $f"
done
ok $(ls "$D$prefix"/bin/colossus >/dev/null 2>&1; echo $?) "installed the colossus CLI"
ok $([ -f "$D$pkgdatadir/sql/0001_init.sql" ]; echo $?) "SQL migrations in $pkgdatadir/sql"
for f in index.html rackmap.css rackmap.js; do
	ok $([ -f "$D$pkgdatadir/web/$f" ]; echo $?) "rack map page: web/$f"
done
ok $([ -f "$D$pkgdatadir/prometheus/colossus-alerts.yml" ]; echo $?) "alert rules"
for f in controller agent client; do
	ok $([ -f "$D$sysconfdir/colossus/$f.conf.example" ]; echo $?) "example $f.conf.example"
done
ok $([ -f "$D$sysconfdir/colossus/health.policy.example" ]; echo $?) \
	"the default health policy, as health.policy.example"
is "$(cat "$D$sysconfdir/colossus/controller.conf")" "# the site's own" \
	"an existing controller.conf is left alone"
ok $([ ! -e "$D$sysconfdir/colossus/agent.conf" ]; echo $?) "no agent.conf is created"
for m in man1/colossus.1 man8/colossus-controller.8 man8/colossus-nodeagent.8; do
	ok $([ -f "$D$mandir/$m" ]; echo $?) "manual page $m"
done

c=$D$unitdir/colossus-controller.service
a=$D$unitdir/colossus-nodeagent.service
ok $([ -f "$c" ] && [ -f "$a" ]; echo $?) "systemd units installed"
like "$(grep '^ExecStart=' "$c")" "^ExecStart=$sbindir/colossus-controller -c $sysconfdir/colossus/controller.conf\$" \
	"the controller unit starts the installed program with the installed config"
like "$(grep '^ExecStart=' "$a")" "^ExecStart=$sbindir/colossus-nodeagent -c $sysconfdir/colossus/agent.conf\$" \
	"the agent unit too"
unlike "$(cat "$c" "$a")" '@[a-z]+@' "no placeholder left in the units"
for k in ProtectSystem=strict ProtectHome=yes PrivateTmp=yes NoNewPrivileges=yes \
	'CapabilityBoundingSet=$' LimitNOFILE=262144 Restart=always User=colossus; do
	ok $(grep -Eq "^$k" "$c"; echo $?) "controller unit: $k"
done
for k in KillMode=process Delegate=yes Restart=always; do
	ok $(grep -Eq "^$k" "$a"; echo $?) "agent unit: $k"
done
unlike "$(cat "$a")" '^(NoNewPrivileges|PrivateTmp|ProtectHome|ProtectSystem)=' \
	"agent unit: no hardening the jobs would inherit"
if command -v systemd-analyze >/dev/null; then
	# Point the units at the staged programs; man pages are not
	# installed on this host, so those complaints are dropped.
	mkdir -p "$T/units"
	for u in "$c" "$a"; do
		sed "s|$sbindir/|$D$sbindir/|" "$u" > "$T/units/$(basename "$u")"
	done
	w=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify "$T"/units/*.service 2>&1 |
		grep -v "Command 'man ")
	is "$w" "" "systemd-analyze verify accepts both units"
fi
bad=$(awk '/^[ \t]*(#|$)/ { next } /^\[(Unit|Service|Install)\]$/ { next }
	/^[A-Z][A-Za-z]+=/ { next } { print FILENAME ": " $0 }' "$c" "$a")
is "$bad" "" "unit files: only sections, comments and Key=value lines"

out=$("$D$sbindir/colossus-controller" --dump-config -c "$D$sysconfdir/colossus/controller.conf.example" 2>&1)
ok $? "controller.conf.example parses" || diag "$out"
like "$out" 'http_listen = 127.0.0.1:' "... and keeps the HTTP endpoint on loopback"
out=$("$D$sbindir/colossus-nodeagent" --dump-config -c "$D$sysconfdir/colossus/agent.conf.example" 2>&1)
ok $? "agent.conf.example parses" || diag "$out"
out=$(COLOSSUS_CONTROLLER=127.0.0.1:1 "$D$prefix/bin/colossus" -c "$D$sysconfdir/colossus/client.conf.example" version 2>&1)
unlike "$out" 'configuration|unknown key|line [0-9]' "client.conf.example parses" || diag "$out"
out=$("$D$sbindir/colossus-controller" --dump-config -c /nonexistent 2>/dev/null | grep '^web_dir')
is "$out" "web_dir = $pkgdatadir/web" "the controller looks for the page where it is installed"

if command -v groff >/dev/null; then
	for m in man1/colossus.1 man8/colossus-controller.8 man8/colossus-nodeagent.8; do
		w=$(LC_ALL=C.UTF-8 groff -man -ww -z -Tutf8 "$D$mandir/$m" 2>&1)
		is "$w" "" "$m renders without warnings"
	done
fi

out=$(mk uninstall DESTDIR="$D" 2>&1)
ok $? "make uninstall" || diag "$out"
left=$(cd "$D" && find . -type f ! -path "*/colossus/controller.conf" | sort)
is "$left" "" "uninstall removes every installed file (and only those)"
ok $([ -f "$D$sysconfdir/colossus/controller.conf" ]; echo $?) "... the site's config stays"
done_testing
