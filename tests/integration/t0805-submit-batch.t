#!/bin/sh
# One bad submission never fails the others committed with it (DESIGN
# invariants 1 and 7: bad input gets a clear error, and nothing is lost),
# and strings that are not UTF-8 (from users or agents) are refused.
# Submissions that arrive in one loop iteration share one INSERT (group
# commit, controller/submitq.c):
# - a job name that is not UTF-8 (PostgreSQL refuses it in a text column)
#   is refused INVALID before it joins a batch; the rest are recorded;
# - a row the database itself refuses (here a trigger stands in for any
#   value validation missed) rolls back the batch; each submission is then
#   recorded alone, only the bad one gets an error, and nothing else is
#   lost.
. "$top_srcdir/tests/lib/cluster.sh"
cluster_init submitbatch
RPC=$top_builddir/tests/tools/rpcsend
batch() { # NAME...: one held job per name, all frames in one write
	timeout 60 "$RPC" --addr "127.0.0.1:$CTL_PORT" --ca "$T/pki/ca.pem" \
		--cert "$T/pki/alice.pem" --key "$T/pki/alice.key" \
		submit-batch "$@" 2>&1
}
jobs_named() { pg_psql "SELECT count(*) FROM jobs WHERE name LIKE '$1%'"; }

ctl_start
out=$(batch a1 a2 "$(printf 'bad\377')" a3 a4)
diag "$out"
is "$(printf '%s\n' "$out" | grep -c '^status=0 .*job=')" 4 \
	"four good submissions of a batch with a non-UTF-8 name are accepted"
like "$(printf '%s\n' "$out" | grep '^status=1 ')" \
	"error=submit_job: field spec.name is not valid UTF-8 id=102 " \
	"  the bad one is INVALID, naming the field"
is "$(jobs_named a)" 4 "  and the four are recorded"

# A database-side refusal of one row of a batch.
pg_psql "CREATE FUNCTION t0805_poison() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
	IF NEW.name = 'poison' THEN
		RAISE EXCEPTION 'poisoned row' USING ERRCODE = '22023';
	END IF;
	RETURN NEW;
END \$\$;
CREATE TRIGGER t0805_poison BEFORE INSERT ON jobs FOR EACH ROW
	EXECUTE FUNCTION t0805_poison();" >/dev/null
out=$(batch b1 b2 poison b3 b4 b5)
diag "$out"
is "$(printf '%s\n' "$out" | grep -c '^status=0 .*job=')" 5 \
	"five good submissions are accepted when the database refuses a sixth"
like "$(printf '%s\n' "$out" | grep '^status=1 ')" "error=job not recorded: .*poisoned row.* id=102 " \
	"  the refused one is INVALID with the database's reason"
is "$(jobs_named b)" 5 "  the five are recorded"
is "$(jobs_named poison)" 0 "  the refused one is not"
grep -q 'submit: batch of 6 submissions refused (22023: .*poisoned row.*); recording each alone' \
	"$T/controller.log"
ok $? "  they really were one batch, and the retry is logged"
# Every acknowledged job is in the database, once.
ids=$(printf '%s\n' "$out" | sed -n 's/^status=0 .*job=\([0-9]*\).*/\1/p' | tr '\n' ',' | sed 's/,$//')
is "$(pg_psql "SELECT count(DISTINCT id) FROM jobs WHERE id IN ($ids)")" 5 \
	"  each acknowledged job id is in the database"
out=$("$top_builddir/tests/tools/rpcsend" --addr "127.0.0.1:$CTL_PORT" \
	--ca "$T/pki/ca.pem" --cert "$T/pki/bob.pem" --key "$T/pki/bob.key" submit)
like "$out" "^status=0 .*job=" "later submissions are served"

# An agent's inventory goes to text columns too.
cli root topology apply "$(cluster_small_topology 1 2)" >/dev/null
"$top_srcdir/scripts/colossus-certs" "$T/pki" --node n00001 >/dev/null
reg() { # MODEL
	timeout 20 "$RPC" --addr "127.0.0.1:$CTL_PORT" --ca "$T/pki/ca.pem" \
		--cert "$T/pki/n00001.pem" --key "$T/pki/n00001.key" \
		register-gpu n00001 "$1" 2>&1
}
out=$(reg "$(printf 'H1\37700')")
like "$out" "^status=1 .*field inventory.gpus.model is not valid UTF-8" \
	"an inventory string that is not UTF-8 is INVALID, naming the field"
out=$(reg H100)
like "$out" "^status=0 .*body=register_node" "the same inventory in UTF-8 registers"

# Every method, not only submit and registration: the dispatcher checks
# each request's strings before its handler runs (here a drain reason,
# which would go to the events table).
out=$(cli root drain node n00002 --reason "$(printf 'bad \377 reason')" 2>&1)
like "$out" "reason is not valid UTF-8" "a drain reason that is not UTF-8 is refused, naming the field"
is "$(cli root nodes --json | tr -d '\n ' | sed -n 's/.*"name":"n00002"[^}]*"admin":"\([a-z]*\)".*/\1/p')" \
	"$(cli root nodes --json | tr -d '\n ' | sed -n 's/.*"name":"n00001"[^}]*"admin":"\([a-z]*\)".*/\1/p')" \
	"and n00002 was not drained (its admin state is n00001's)"
ctl_stop
unlike "$(cat "$T/controller.log")" "Sanitizer|runtime error" \
	"the controller stops without a sanitizer report"
done_testing
