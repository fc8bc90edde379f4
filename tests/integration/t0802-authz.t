#!/bin/sh
# Every cell of the authorization table in docs/security.md, walked with
# real certificates (DESIGN invariant 6: identity comes from the
# certificate; agents may not call client methods, clients may not call
# agent methods, users touch only their own jobs, only admins change the
# topology).  The table is read from the document itself, so a row added
# there is tested here; and every method of controller/rpc.c's dispatch
# table must be in the document.  Allowed calls must get an answer other
# than STATUS_PERMISSION (3); denied calls must get 3 and a message
# naming the method and the role.
. "$top_srcdir/tests/lib/cluster.sh"
doc=$top_srcdir/docs/security.md
cluster_init authz
ctl_start
cli root topology apply "$(cluster_small_topology 1 2)" >/dev/null
"$top_srcdir/scripts/colossus-certs" "$T/pki" --node n00001 >/dev/null
RPC=$top_builddir/tests/tools/rpcsend
send() { # CERT MODE [ARG...]
	_c=$1; shift
	timeout 20 "$RPC" --addr "127.0.0.1:$CTL_PORT" --ca "$T/pki/ca.pem" \
		--cert "$T/pki/$_c.pem" --key "$T/pki/$_c.key" "$@" 2>&1
}
# One certificate per role of the table (root may not run jobs: admin1).
cert_of() {
	case $1 in
	node) echo n00001 ;; user) echo alice ;; admin) echo admin1 ;;
	monitor) echo mon1 ;; *) echo "no certificate for role $1" >&2; echo none ;;
	esac
}
job_of() { # CERT: submit a held job, print its id
	send "$1" submit | sed -n 's/.* job=\([0-9]*\).*/\1/p'
}

# The table, one "method role cell" line per cell.
cells=$T/cells
awk -F '|' '
	/^## Authorization table/ { t = 1; next }
	t && /^## / { t = 0 }
	!t || !/^\|/ { next }
	!head { for (i = 2; i < NF; i++) { h = $i; gsub(/ /, "", h); col[i] = h }
		head = 1; next }
	$2 ~ /^ *-+ *$/ { next }
	{
		n = split($2, m, ",")
		for (k = 1; k <= n; k++) {
			meth = m[k]; gsub(/[ `]/, "", meth)
			for (i = 3; i < NF; i++) {
				if (col[i] !~ /^(node|user|admin|monitor)$/) continue
				c = $i; gsub(/^ +| +$/, "", c); gsub(/ /, "_", c)
				print meth, col[i], c
			}
		}
	}' "$doc" > "$cells"
[ -s "$cells" ]
ok $? "docs/security.md has an authorization table"

# Every method the dispatcher knows is documented, and only those.
code_methods=$(tr '\n' ' ' < "$top_srcdir/controller/rpc.c" |
	grep -o 'REQ_CASE([A-Z_]*), *"[a-z_]*"' | sed 's/.*"\(.*\)"/\1/' | sort -u)
doc_methods=$(cut -d' ' -f1 "$cells" | sort -u)
is "$(echo $doc_methods)" "$(echo $code_methods)" \
	"the table documents exactly the methods of controller/rpc.c"

alice_job=$(job_of alice)
bob_job=$(job_of bob)
[ -n "$alice_job" ] && [ -n "$bob_job" ]
ok $? "users can submit jobs to cancel later"

call() { # ROLE METHOD: make the call the way the role would
	_cert=$(cert_of "$1")
	case $2 in
	whoami) send "$_cert" whoami ;;
	submit_job) send "$_cert" submit ;;
	cancel_job) send "$_cert" cancel "$(job_of "$_cert")" ;;
	hold_job) send "$_cert" hold 1 ;;
	*) send "$_cert" call "$2" ;;
	esac
}

while read -r method role cell; do
	if [ "$cell" = "-" ]; then
		out=$(call "$role" "$method")
		like "$out" "^status=3 .*$method.*$role" "$method is denied to $role"
		continue
	fi
	case $method:$cell in
	cancel_job:own_jobs)
		_j=$(job_of "$(cert_of "$role")")
		out=$(send "$(cert_of "$role")" cancel "$_j")
		like "$out" "^status=0 .*results=$_j:0\$" "$method: $role cancels own job"
		out=$(send "$(cert_of "$role")" cancel "$bob_job")
		like "$out" "results=$bob_job:3\$" "$method: $role may not cancel another user's job"
		;;
	cancel_job:any_job)
		_j=$(job_of bob)
		out=$(send "$(cert_of "$role")" cancel "$_j")
		like "$out" "^status=0 .*results=$_j:0\$" "$method: $role cancels anyone's job"
		;;
	hold_job:own_jobs)
		# Submitted jobs are held: release them (hold_job's other use).
		_j=$(job_of "$(cert_of "$role")")
		out=$(send "$(cert_of "$role")" release "$_j")
		like "$out" "^status=0 .*results=$_j:0\$" "$method: $role releases own job"
		_b=$(job_of bob)
		out=$(send "$(cert_of "$role")" release "$_b")
		like "$out" "results=$_b:3\$" "$method: $role may not release another user's job"
		;;
	hold_job:any_job)
		_j=$(job_of bob)
		out=$(send "$(cert_of "$role")" release "$_j")
		like "$out" "^status=0 .*results=$_j:0\$" "$method: $role releases anyone's job"
		;;
	*)
		out=$(call "$role" "$method")
		like "$out" "^status=" "$method is answered for $role ($cell)"
		unlike "$out" "^status=3 " "$method is allowed to $role"
		;;
	esac
done < "$cells"

# The finer rules written in the notes column.
out=$(send n00001 register n00002)
like "$out" "^status=3 .*certificate is for node 'n00001'" \
	"register_node: a node speaks only for the node in its certificate"
owner=$(pg_psql "SELECT user_name FROM jobs WHERE id = ${alice_job:-0}")
is "$owner" "alice" "submit_job: the owner is the certificate's CN"
out=$(send root submit)
like "$out" "^status=3 .*root" "submit_job: root may not run jobs without jobs.allow_root"
out=$(send alice whoami)
like "$out" "^status=0 .*name=alice role=user" "the controller still serves"
ctl_stop
unlike "$(cat "$T/controller.log")" "Sanitizer|runtime error" \
	"the controller stops without a sanitizer report"
done_testing
