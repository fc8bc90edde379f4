/*
 * Unit tests for the CLI's output: --format column selection
 * (client/format.c), JSON escaping, nesting and JSON Lines
 * (client/json.c), aligned tables (client/output.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "client/format.h"
#include "client/json.h"
#include "client/output.h"
#include "tests/lib/tap.h"

static const struct format_col cols[] = {
	{ "id", "ID", 0, true, "id" },
	{ "name", "NAME", 8, false, "name" },
	{ "state", "STATE", 0, false, "state" },
	{ "time_limit", "TIME_LIMIT", 0, true, "limit" },
	FORMAT_END,
};

/* Capture what is written to a FILE in a heap string (*buf). */
static void capture_begin(FILE **f, char **buf, size_t *len)
{
	*f = open_memstream(buf, len);
	if (!*f)
		abort();
}

static void capture_end(FILE *f)
{
	fclose(f);
}

static const char *json_str(const char *s)
{
	static char out[512];
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	capture_begin(&f, &buf, &len);
	json_write_string(f, s);
	capture_end(f);
	snprintf(out, sizeof(out), "%s", buf);
	free(buf);
	return out;
}

static void test_format(void)
{
	struct format_sel sel;
	struct err e;

	ok(format_parse(cols, "id,name,state", NULL, &sel, &e) == 0,
	   "no spec gives the defaults");
	is_int(sel.n, 3, "three default columns");
	is_int(sel.idx[2], 2, "state is column 2");
	is_int(sel.width[1], 8, "name keeps its default width");

	ok(format_parse(cols, "id,name", "STATE,Time-Limit,id", &sel, &e) == 0,
	   "any case, '-' for '_'");
	is_int(sel.n, 3, "exactly the given columns");
	is_int(sel.idx[0], 2, "state first");
	is_int(sel.idx[1], 3, "time_limit second");

	ok(format_parse(cols, "id,name", "+state", &sel, &e) == 0,
	   "'+' appends to the defaults");
	is_int(sel.n, 3, "defaults plus one");
	is_int(sel.idx[2], 2, "state appended");

	ok(format_parse(cols, "id", "name:30,state:0,id:5", &sel, &e) == 0,
	   "widths");
	is_int(sel.width[0], 30, "name:30");
	is_int(sel.width[1], 0, "state:0 is unlimited");
	is_int(sel.width[2], 5, "id:5");

	ok(format_parse(cols, "id", "id,bogus", &sel, &e) < 0,
	   "an unknown column fails");
	is_str(e.msg,
	       "unknown column 'bogus' (valid: id, name, state, "
	       "time_limit)",
	       "listing the valid names");
	ok(format_parse(cols, "id", "id,,name", &sel, &e) < 0,
	   "an empty item fails");
	ok(format_parse(cols, "id", ",", &sel, &e) < 0, "',' alone fails");
	ok(format_parse(cols, "id", "name:", &sel, &e) < 0,
	   "a missing width fails");
	ok(format_parse(cols, "id", "name:x", &sel, &e) < 0,
	   "a bad width fails");
	ok(format_parse(cols, "id", "name:1001", &sel, &e) < 0,
	   "an absurd width fails");
	ok(format_parse(cols, "id", "+", &sel, &e) < 0, "'+' alone fails");
	ok(format_parse(cols, "id", "namex", &sel, &e) < 0,
	   "prefixes are not names");
	ok(format_parse(cols, "nope", NULL, &sel, &e) < 0,
	   "bad defaults are reported");
	{
		char spec[400] = "id";

		for (int i = 0; i < FORMAT_MAX_COLS; i++)
			strcat(spec, ",id");
		ok(format_parse(cols, "id", spec, &sel, &e) < 0,
		   "more than %d columns fail", FORMAT_MAX_COLS);
	}
}

static void test_json_escape(void)
{
	is_str(json_str("plain"), "\"plain\"", "plain string");
	is_str(json_str(""), "\"\"", "empty string");
	is_str(json_str("a\"b\\c"), "\"a\\\"b\\\\c\"", "quote and backslash");
	is_str(json_str("l1\nl2\r\t"), "\"l1\\nl2\\r\\t\"", "\\n \\r \\t");
	is_str(json_str("\b\f"), "\"\\b\\f\"", "\\b \\f");
	is_str(json_str("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"",
	       "other controls and DEL as \\u00XX");
	is_str(json_str("/"), "\"/\"", "'/' is not escaped");
	is_str(json_str("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80"),
	       "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80\"",
	       "valid UTF-8 passes through");
	is_str(json_str("a\xff"
			"b"),
	       "\"a\\ufffdb\"", "an invalid byte becomes U+FFFD");
	is_str(json_str("\xc3"), "\"\\ufffd\"", "a truncated sequence too");
	is_str(json_str("\xc0\xaf"), "\"\\ufffd\\ufffd\"",
	       "overlong encodings are rejected");
	is_str(json_str("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"",
	       "UTF-16 surrogates are rejected");
	is_str(json_str("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
	       "code points above U+10FFFF are rejected");
}

static void test_json_doc(void)
{
	char *buf = NULL;
	size_t len = 0;
	struct json j;
	FILE *f;

	capture_begin(&f, &buf, &len);
	json_init(&j, f);
	json_begin_object(&j);
	json_kv_uint(&j, "id", 17);
	json_kv_str(&j, "state", "running");
	json_kv_int(&j, "exit", -3);
	json_kv_bool(&j, "ok", true);
	json_key(&j, "none");
	json_begin_array(&j);
	json_end_array(&j);
	json_key(&j, "ids");
	json_begin_array(&j);
	json_uint(&j, 1);
	json_uint(&j, 2);
	json_end_array(&j);
	json_key(&j, "p");
	json_double(&j, 0.5);
	json_key(&j, "nan");
	json_double(&j, 0.0 / 0.0);
	json_key(&j, "obj");
	json_begin_object(&j);
	json_end_object(&j);
	json_kv_str(&j, "null_str", NULL);
	json_end_object(&j);
	json_finish(&j);
	capture_end(f);
	is_str(buf,
	       "{\n"
	       "  \"id\": 17,\n"
	       "  \"state\": \"running\",\n"
	       "  \"exit\": -3,\n"
	       "  \"ok\": true,\n"
	       "  \"none\": [],\n"
	       "  \"ids\": [\n"
	       "    1,\n"
	       "    2\n"
	       "  ],\n"
	       "  \"p\": 0.5,\n"
	       "  \"nan\": null,\n"
	       "  \"obj\": {},\n"
	       "  \"null_str\": \"\"\n"
	       "}\n",
	       "a document with every kind of value");
	free(buf);
}

/* JSON Lines (events --follow --json): one object, one line, no blanks. */
static void test_json_compact(void)
{
	char *buf = NULL;
	size_t len = 0;
	struct json j;
	FILE *f;

	capture_begin(&f, &buf, &len);
	for (int i = 0; i < 2; i++) {
		json_init(&j, f);
		j.compact = true;
		json_begin_object(&j);
		json_kv_uint(&j, "id", (uint64_t)i);
		json_key(&j, "a");
		json_begin_array(&j);
		json_string(&j, "x y");
		json_null(&j);
		json_end_array(&j);
		json_key(&j, "o");
		json_begin_object(&j);
		json_end_object(&j);
		json_end_object(&j);
		json_finish(&j);
	}
	capture_end(f);
	is_str(buf,
	       "{\"id\":0,\"a\":[\"x y\",null],\"o\":{}}\n"
	       "{\"id\":1,\"a\":[\"x y\",null],\"o\":{}}\n",
	       "compact documents are one line each");
	free(buf);
}

static void test_table(void)
{
	static const struct output_col oc[] = {
		{ "ID", 0, true },
		{ "NAME", 6, false },
		{ "STATE", 0, false },
	};
	struct output_table *t = output_table_create(oc, 3);
	char *buf = NULL;
	size_t len = 0;
	char d[32];
	FILE *f;

	output_table_row(t);
	output_table_cell(t, OUTPUT_PLAIN, "7");
	output_table_cell(t, OUTPUT_PLAIN, "short");
	output_table_cell(t, OUTPUT_GREEN, "running");
	output_table_row(t);
	output_table_cellf(t, OUTPUT_PLAIN, "%d", 1234);
	output_table_cell(t, OUTPUT_PLAIN, "much-too-long");
	output_table_cell(t, OUTPUT_RED, "failed");
	output_table_row(t);
	output_table_cell(t, OUTPUT_PLAIN, "5");
	output_table_cell(t, OUTPUT_PLAIN, "x\033[31m");
	output_table_cell(t, OUTPUT_PLAIN, NULL);
	is_int(output_table_rows(t), 3, "three rows");

	capture_begin(&f, &buf, &len);
	output_table_print(t, f, true, false);
	capture_end(f);
	is_str(buf,
	       "  ID  NAME    STATE\n"
	       "   7  short   running\n"
	       "1234  much-+  failed\n"
	       "   5  x?[31m\n",
	       "aligned, cut at the maximum width, controls replaced, no "
	       "trailing blanks");
	free(buf);

	buf = NULL;
	capture_begin(&f, &buf, &len);
	output_table_print(t, f, false, true);
	capture_end(f);
	ok(strstr(buf, "\033[32mrunning\033[0m") != NULL,
	   "colour when asked for");
	ok(strncmp(buf, "  ID", 4) != 0, "no header when not asked for");
	free(buf);
	output_table_destroy(t);
	output_table_destroy(NULL);

	is_int(output_width("caf\xc3\xa9"), 4, "width counts code points");
	is_str(output_duration(0, d, sizeof(d)), "0:00", "0 s");
	is_str(output_duration(65, d, sizeof(d)), "1:05", "65 s");
	is_str(output_duration(3723, d, sizeof(d)), "1:02:03", "1 h 2 m 3 s");
	is_str(output_duration(90061, d, sizeof(d)), "1-01:01:01", "a day+");
	is_str(output_duration(-5, d, sizeof(d)), "0:00", "negative is 0");
	is_str(output_time(0, d, sizeof(d)), "-", "time 0 is '-'");

	setenv("NO_COLOR", "1", 1);
	ok(!output_color_enabled(stdout), "NO_COLOR turns colour off");
	unsetenv("NO_COLOR");
}

int main(void)
{
	test_format();
	test_json_escape();
	test_json_doc();
	test_json_compact();
	test_table();
	return done_testing();
}
