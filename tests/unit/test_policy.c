/*
 * The health policy language (controller/policy.c): the default policy
 * (NVIDIA's XID guidance) parses and maps each XID class to the right
 * action; errors name the file and line; comparisons with limits
 * relative to a GPU's own slowdown/shutdown temperatures.  Protects the
 * health rules of issue 5 (application XIDs never drain a node).
 */
#include "config.h"

#include <string.h>

#include "controller/policy.h"
#include "tests/lib/tap.h"

/* Actions the policy gives an XID event (union of matching rules). */
static unsigned xid_actions(const struct policy *p, unsigned xid)
{
	unsigned a = 0;

	for (int i = 0; i < p->nrules; i++)
		if (p->rules[i].signal == SIG_XID &&
		    policy_code_match(&p->rules[i], xid))
			a |= p->rules[i].actions;
	return a;
}

static void test_default(void)
{
	struct policy p;
	struct err e;
	unsigned app[] = { 13, 31, 43, 45, 68, 109 };

	ok(policy_parse(policy_default_text(), "default", &p, &e) == 0,
	   "the default policy parses (%s)", e.msg);
	ok(p.nrules > 30, "with %d rules", p.nrules);
	for (size_t i = 0; i < sizeof(app) / sizeof(app[0]); i++)
		is_int(xid_actions(&p, app[i]), ACT_NONE,
		       "application XID %u: record only, never drain", app[i]);
	ok(xid_actions(&p, 79) & ACT_REQUEUE, "XID 79 requeues the gang");
	ok(xid_actions(&p, 79) & ACT_DRAIN, "XID 79 drains the node");
	ok(xid_actions(&p, 79) & ACT_REBOOT, "XID 79 asks for a reboot");
	ok((xid_actions(&p, 94) & ACT_REQUEUE) &&
		   !(xid_actions(&p, 94) & ACT_DRAIN),
	   "XID 94 requeues but keeps the node");
	ok((xid_actions(&p, 95) & ACT_DRAIN) &&
		   (xid_actions(&p, 95) & ACT_REQUEUE),
	   "XID 95 requeues and drains");
	ok((xid_actions(&p, 48) & ACT_DRAIN) && (xid_actions(&p, 48) & ACT_RESET),
	   "XID 48 drains and resets");
	ok(xid_actions(&p, 64) & ACT_RMA, "XID 64 is an RMA candidate");
	is_int(xid_actions(&p, 63), ACT_DEGRADE, "XID 63 degrades only");
	ok(xid_actions(&p, 74) & ACT_DRAIN, "XID 74 (NVLink) drains");
	is_int(xid_actions(&p, 1234), 0, "an unknown XID matches nothing");
	ok(policy_severity(xid_actions(&p, 48)) >
		   policy_severity(xid_actions(&p, 45)),
	   "a burst of 45 + 48 is classified by 48 (more severe)");
	ok(policy_severity(ACT_REQUEUE) > policy_severity(ACT_DRAIN) &&
		   policy_severity(ACT_DRAIN) > policy_severity(ACT_DEGRADE) &&
		   policy_severity(ACT_DEGRADE) > policy_severity(ACT_NONE),
	   "severity: requeue > drain > degrade > none");
	policy_free(&p);
}

static void test_temperature(void)
{
	struct policy p;
	struct err e;
	const struct policy_rule *r;

	ok(policy_parse("temp >= shutdown-2 -> requeue drain\n"
			"temp >= slowdown-5 for 10m -> drain\n"
			"temp > 85 -> degrade\n",
			"t.conf", &p, &e) == 0,
	   "temperature rules parse");
	r = &p.rules[0];
	ok(policy_compare(r, 90, 87, 92), "90 C >= 92-2");
	ok(!policy_compare(r, 89, 87, 92), "89 C < 92-2");
	ok(!policy_compare(r, 95, 0, 0),
	   "a GPU that did not report its limits never matches a relative "
	   "rule");
	is_int(p.rules[1].for_sec, 600, "for 10m = 600 s");
	ok(policy_compare(&p.rules[1], 82, 87, 92), "82 >= 87-5");
	ok(policy_compare(&p.rules[2], 86, 0, 0) &&
		   !policy_compare(&p.rules[2], 85, 0, 0),
	   "absolute > 85");
	policy_free(&p);
}

static void test_errors(void)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "xid 48 -> explode\n", "bad.conf:1: unknown action 'explode'" },
		{ "\n\nfoo -> drain\n", "bad.conf:3: unknown signal 'foo'" },
		{ "xid -> drain\n", "needs a list of codes" },
		{ "xid 48,abc -> drain\n", "bad code 'abc'" },
		{ "temp 90 -> drain\n", "needs a comparison" },
		{ "temp >= -> drain\n", "bad value" },
		{ "xid 48 drain\n", "unexpected 'drain'" },
		{ "xid 48 ->\n", "no actions" },
		{ "xid 48 -> none drain\n", "cannot be combined" },
		{ "nic_flaps >= 2 -> drain\n", "needs 'within DURATION'" },
		{ "temp >= slowdown-5 for 10x -> drain\n", "bad.conf:1" },
		{ "throttle hw_magic -> degrade\n", "unknown throttle reason" },
		{ "rack_leak damp -> rack_drain\n", "warning or critical" },
		{ "recovery 9 -> drain\n", "bad code '9'" },
		{ "ecc_dbe > 0 -> requeue\nxid 48 -> bogus\n",
		  "bad.conf:2: unknown action" },
		{ "# only comments\n\n", "no rules" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct policy p;
		struct err e;
		int rc = policy_parse(bad[i].text, "bad.conf", &p, &e);

		ok(rc < 0 && strstr(e.msg, bad[i].want),
		   "rejected with '%s' (%s)", bad[i].want,
		   rc < 0 ? e.msg : "accepted");
	}
}

static void test_codes(void)
{
	struct policy p;
	struct err e;

	ok(policy_parse("throttle hw_power_brake,hw_thermal -> degrade\n"
			"recovery 2 -> drain reboot\n"
			"nic_flaps >= 2 within 5m -> requeue drain : flapping\n"
			"rack_leak critical -> rack_requeue rack_drain alert\n",
			"c.conf", &p, &e) == 0,
	   "code rules parse (%s)", e.msg);
	ok(policy_code_match(&p.rules[0], 0x80), "power brake bit matches");
	ok(policy_code_match(&p.rules[0], 0x41), "thermal bit among others");
	ok(!policy_code_match(&p.rules[0], 0x1), "idle does not");
	ok(policy_code_match(&p.rules[1], 2) && !policy_code_match(&p.rules[1], 1),
	   "recovery action 2 (node reboot) only");
	is_int(p.rules[2].within_sec, 300, "within 5m");
	is_str(p.rules[2].reason, "flapping", "reason after the colon");
	is_int(p.rules[3].value, 2, "critical leak level 2");
	ok(p.rules[3].actions & ACT_RACK_REQUEUE, "rack requeue action");
	policy_free(&p);
}

int main(void)
{
	test_default();
	test_temperature();
	test_errors();
	test_codes();
	return done_testing();
}
