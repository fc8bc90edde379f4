/*
 * The site probe's output reader (nodeagent/health_json.c) and its
 * mapping to rack readings and node events (probe_parse in
 * nodeagent/probe.c): what is accepted, what is refused as a whole, and
 * that hostile output (deep nesting, invalid UTF-8, truncation, huge
 * numbers) is refused without crashing.
 */
#include "config.h"

#include <string.h>

#include "nodeagent/health.h"
#include "nodeagent/health_json.h"
#include "nodeagent/probe.h"
#include "tests/lib/tap.h"

static int valid(const char *s)
{
	struct err e;

	return health_json_object(s, strlen(s), &e) == 0;
}

static const char *why_invalid(const char *s)
{
	static struct err e;

	if (health_json_object(s, strlen(s), &e) == 0)
		return "(valid)";
	return e.msg;
}

struct seen {
	char paths[16][HEALTH_JSON_MAX_PATH + 8];
	int n;
};

static void collect_cb(const struct health_json_item *it, void *arg)
{
	struct seen *s = arg;

	if (s->n < 16)
		snprintf(s->paths[s->n++], sizeof(s->paths[0]), "%s=%.*s",
			 it->path, (int)it->len, it->raw);
}

static void test_checker(void)
{
	char deep[200], buf[64];
	size_t k = 0;

	ok(valid("{}"), "empty object");
	ok(valid(" \n{ \"a\" : 1 }\t\n"), "blanks around");
	ok(valid("{\"a\":[1,-2.5e3,true,false,null,\"x\",{}],\"b\":{\"c\":[]}"
		 "}"),
	   "every kind of value");
	ok(valid("{\"s\":\"\\u00e9\\n\\\"\\\\\\/\"}"), "escapes");
	ok(valid("{\"s\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}"),
	   "UTF-8 of 2, 3 and 4 bytes");
	ok(!valid(""), "empty text refused");
	ok(!valid("[1,2]"), "an array is not an object");
	ok(!valid("\"x\""), "a string is not an object");
	ok(!valid("{\"a\":1} x"), "text after the object");
	ok(!valid("{\"a\":1}{}"), "two objects");
	ok(!valid("{\"a\" 1}"), "missing colon");
	ok(!valid("{\"a\":1,}"), "trailing comma");
	ok(!valid("{a:1}"), "unquoted key");
	ok(!valid("{\"a\":01}"), "leading zero");
	ok(!valid("{\"a\":1.}"), "bad fraction");
	ok(!valid("{\"a\":-}"), "lone minus");
	ok(!valid("{\"a\":tru}"), "truncated word");
	ok(!valid("{\"a\":\"x}"), "unterminated string");
	ok(!valid("{\"a\":\"\x01\"}"), "control character in a string");
	ok(!valid("{\"a\":\"\\x\"}"), "bad escape");
	ok(!valid("{\"a\":\"\\u12g4\"}"), "bad \\u escape");
	ok(!valid("{\"a\":\"\\u12"), "truncated \\u escape");
	ok(!valid("{\"a\":\"\xc3\"}"), "truncated UTF-8");
	ok(!valid("{\"a\":\"\xc0\xaf\"}"), "overlong UTF-8");
	ok(!valid("{\"a\":\"\xed\xa0\x80\"}"), "UTF-8 surrogate");
	ok(!valid("{\"a\":\"\xff\"}"), "invalid byte");
	{
		struct err e;

		ok(health_json_object("{\"a\":1}\0", 8, &e) != 0,
		   "a NUL after the object is text after it");
	}
	/* 33 levels: one too deep. */
	memcpy(deep, "{\"a\":", 5);
	k = 5;
	for (int i = 0; i < 32; i++)
		deep[k++] = '[';
	deep[k] = '\0';
	ok(strstr(why_invalid(deep), "nested too deeply") != NULL,
	   "nesting is bounded (%s)", why_invalid(deep));
	is_str(why_invalid("{\"a\" 1}"), "byte 5: expected ':'",
	       "the error says where");
	ok(health_json_unquote("\"a\\u00e9\\ud83d\\ude00b\"", 22, buf,
			       sizeof(buf)) == 0 &&
		   !strcmp(buf, "a\xc3\xa9\xf0\x9f\x98\x80"
				"b"),
	   "unquote: \\u escapes and a surrogate pair become UTF-8");
	ok(health_json_unquote("\"abcdef\"", 8, buf, 4) < 0 &&
		   !strcmp(buf, "abc"),
	   "unquote: too long is cut and says so");
}

static void test_walk(void)
{
	const char *doc = "{\"rack\":{\"flow\":12.5,\"leak\":\"none\"},"
			  "\"events\":[{\"code\":79},true],\"x\":null}";
	struct seen s;
	struct err e;

	memset(&s, 0, sizeof(s));
	ok(health_json_walk(doc, strlen(doc), collect_cb, &s, &e) == 0,
	   "walk a document");
	is_int(s.n, 5, "five scalars");
	is_str(s.paths[0], "rack.flow=12.5", "nested key path");
	is_str(s.paths[1], "rack.leak=\"none\"", "strings come with quotes");
	is_str(s.paths[2], "events.0.code=79", "array index in the path");
	is_str(s.paths[3], "events.1=true", "scalar array element");
	is_str(s.paths[4], "x=null", "top-level key");
}

static void test_probe(void)
{
	struct health_event evs[PROBE_MAX_EVENTS];
	struct probe_result r;
	char why[200];
	const char *good =
		"{\"rack\":{\"coolant_flow_lpm\":12.5,\"supply_temp_c\":31,"
		"\"pumps_ok\":1,\"pumps_total\":2,\"leak\":\"warning\","
		"\"power_lost\":false,\"vendor\":{\"x\":1}},"
		"\"events\":[{\"kind\":\"xid\",\"gpu\":3,\"code\":79,"
		"\"detail\":\"from the SEL\"},{\"kind\":\"probe\"}],"
		"\"site\":\"extra keys are ignored\"}";

	r.events = evs;
	ok(probe_parse(good, strlen(good), &r, why, sizeof(why)) == 0,
	   "probe output parsed");
	ok(r.have_rack, "it has rack readings");
	ok(r.flow == 12.5 && r.supply == 31, "flow and supply temperature");
	ok(r.ret == -1000 && r.pressure == -1,
	   "what was not given is 'not measured'");
	ok(r.pumps_ok == 1 && r.pumps_total == 2, "pumps");
	is_str(r.leak, "warning", "leak level");
	is_int((int)r.nevents, 2, "two events");
	is_str(evs[0].kind, "xid", "event kind");
	ok(evs[0].gpu_index == 3 && evs[0].code == 79, "GPU and code");
	is_str(evs[0].detail, "from the SEL", "detail");
	is_str(evs[0].source, "probe", "source is the probe");
	ok(evs[1].gpu_index == -1, "an event without a GPU is the node's");

	ok(probe_parse("{}", 2, &r, why, sizeof(why)) == 0 && !r.have_rack &&
		   !r.nevents,
	   "an empty object says nothing");
	ok(probe_parse("{\"rack\":", 8, &r, why, sizeof(why)) < 0 &&
		   strstr(why, "not a JSON object"),
	   "truncated output refused (%s)", why);
	ok(probe_parse("{\"rack\":{\"coolant_flow_lpm\":\"low\"}}", 35, &r, why,
		       sizeof(why)) < 0 &&
		   strstr(why, "rack.coolant_flow_lpm"),
	   "a string where a number belongs is refused (%s)", why);
	ok(probe_parse("{\"rack\":{\"leak\":\"wet\"}}", 23, &r, why,
		       sizeof(why)) < 0,
	   "an unknown leak level is refused");
	ok(probe_parse("{\"rack\":{\"pumps_ok\":-1}}", 24, &r, why,
		       sizeof(why)) < 0,
	   "a negative count is refused");
	ok(probe_parse("{\"rack\":{\"power_kw\":1e999}}", 27, &r, why,
		       sizeof(why)) < 0,
	   "an infinite number is refused");
	ok(probe_parse("{\"events\":[{\"kind\":\"reboot\"}]}", 30, &r, why,
		       sizeof(why)) < 0,
	   "an unknown event kind is refused");
	ok(probe_parse("{\"events\":[{\"code\":79}]}", 24, &r, why,
		       sizeof(why)) < 0 &&
		   strstr(why, "no \"kind\""),
	   "an event without a kind is refused");
	ok(probe_parse("{\"events\":[{\"kind\":\"xid\",\"gpu\":99}]}", 35, &r,
		       why, sizeof(why)) < 0,
	   "a GPU index out of range is refused");
	{
		char big[4096];
		size_t k = 0;

		k += (size_t)snprintf(big, sizeof(big), "{\"events\":[");
		for (int i = 0; i < 40; i++)
			k += (size_t)snprintf(
				big + k, sizeof(big) - k,
				"%s{\"kind\":\"xid\",\"code\":%d}",
				i ? "," : "", i);
		k += (size_t)snprintf(big + k, sizeof(big) - k, "]}");
		ok(probe_parse(big, k, &r, why, sizeof(why)) == 0 &&
			   r.nevents == PROBE_MAX_EVENTS,
		   "at most %d events per run", PROBE_MAX_EVENTS);
	}
}

int main(void)
{
	test_checker();
	test_walk();
	test_probe();
	return done_testing();
}
