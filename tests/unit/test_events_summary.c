// SPDX-License-Identifier: GPL-2.0
/* Unit tests: tenantguard events --summary (groups, suppressed, dropped). */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/events.h"

static const char *const log_lines[] = {
	"{\"kind\":\"net\",\"op\":\"connect\",\"verdict\":\"deny\","
	"\"tenant\":\"globex\",\"target_tenant\":\"acme\"}",
	"{\"kind\":\"net\",\"op\":\"connect\",\"verdict\":\"deny\","
	"\"tenant\":\"globex\",\"target_tenant\":\"initech\"}",
	"{\"kind\":\"file\",\"op\":\"open\",\"verdict\":\"audit\","
	"\"tenant\":\"acme\",\"target_tenant\":\"globex\"}",
	"{\"kind\":\"agent\",\"op\":\"suppressed\",\"verdict\":\"allow\","
	"\"tenant\":\"globex\",\"target_tenant\":\"host\",\"event_kind\":"
	"\"net\",\"event_op\":\"connect\",\"event_verdict\":\"deny\","
	"\"suppressed\":912}",
	"{\"kind\":\"agent\",\"op\":\"drop\",\"verdict\":\"allow\","
	"\"tenant\":\"globex\",\"target_tenant\":\"host\",\"reason\":"
	"\"ringbuf_full\",\"dropped\":7}",
	"{\"kind\":\"agent\",\"op\":\"drop\",\"verdict\":\"allow\","
	"\"tenant\":\"host\",\"target_tenant\":\"host\",\"reason\":"
	"\"spool_full\",\"dropped\":2}",
};

static void fill(struct tg_summary *s)
{
	struct json_object *ev;
	size_t i;

	for (i = 0; i < sizeof(log_lines) / sizeof(log_lines[0]); i++) {
		ev = json_tokener_parse(log_lines[i]);
		assert_non_null(ev);
		assert_int_equal(tg_summary_add(s, ev), 0);
		json_object_put(ev);
	}
}

static char *print(struct tg_summary *s, int json)
{
	static char buf[4096];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	tg_summary_print(f, s, json);
	fclose(f);
	return buf;
}

/* By tenant, kind, op: suppressed under what it counts, drops apart. */
static void test_summary_default(void **state)
{
	struct tg_summary s = {};

	assert_int_equal(tg_summary_by(&s, "tenant,kind,op"), 0);
	fill(&s);
	assert_string_equal(
		print(&s, 0),
		"TENANT           KIND     OP                   EVENTS "
		"SUPPRESSED    DROPPED\n"
		"acme             file     open                      1 "
		"         0          0\n"
		"globex           agent    drop                      0 "
		"         0          7\n"
		"globex           net      connect                   2 "
		"       912          0\n"
		"host             agent    drop                      0 "
		"         0          2\n"
		"total: 3 events stored, 912 suppressed, 9 dropped\n");
	tg_summary_free(&s);
}

/* By tenant and verdict, as JSON: never an "allow" for a summary. */
static void test_summary_json(void **state)
{
	struct tg_summary s = {};
	struct json_object *o, *g, *v;

	assert_int_equal(tg_summary_by(&s, "verdict,tenant"), 0);
	fill(&s);
	o = json_tokener_parse(print(&s, 1));
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "groups", &g));
	/* (-, globex) drops 7, (-, host) 2, (audit, acme), (deny, globex). */
	assert_int_equal(json_object_array_length(g), 4);
	v = json_object_array_get_idx(g, 3);
	assert_string_equal(
		json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
		"{\"verdict\":\"deny\",\"tenant\":\"globex\",\"events\":2,"
		"\"suppressed\":912,\"dropped\":0}");
	assert_null(strstr(print(&s, 1), "allow"));
	assert_true(json_object_object_get_ex(o, "total", &v));
	assert_string_equal(
		json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
		"{\"events\":3,\"suppressed\":912,\"dropped\":9}");
	json_object_put(o);
	tg_summary_free(&s);
}

/* By target: what each tenant had tried against it. */
static void test_summary_target(void **state)
{
	struct tg_summary s = {};

	assert_int_equal(tg_summary_by(&s, "target"), 0);
	fill(&s);
	/* globex -> acme, and the suppressed and dropped against host. */
	assert_non_null(strstr(print(&s, 0), "\nacme                      1"
					     "          0          0\n"));
	assert_non_null(strstr(print(&s, 0), "\nhost                      0"
					     "        912          9\n"));
	tg_summary_free(&s);
}

static void test_summary_bad_by(void **state)
{
	static const char *const bad[] = {
		"", "tenant,", "tenants", "tenant,tenant", "kind,,op", "comm"};
	struct tg_summary s = {};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(tg_summary_by(&s, bad[i]), -EINVAL);
	assert_int_equal(tg_summary_by(&s, "tenant,kind,op,target,verdict"), 0);
	assert_int_equal(s.n_by, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary_default),
		cmocka_unit_test(test_summary_json),
		cmocka_unit_test(test_summary_target),
		cmocka_unit_test(test_summary_bad_by),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
