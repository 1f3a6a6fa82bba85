// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: tenantguard report --tenant T --grants (report_grants.c):
 * events gathered per grant, accesses counted by op, refusals, break-glass
 * said loudly, hostile text escaped, the JSON's shape.
 */
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

#include "cli/report_grants.h"

#define G1	  "\"grant\":\"11111111111111111111111111111111\""
#define G2	  "\"grant\":\"22222222222222222222222222222222\""
#define HOST_ACME "\"tenant\":\"host\",\"target_tenant\":\"acme\""
#define WHO	  "\"login_uid\":4242,\"user\":\"alice\",\"ops\":[\"connect\"]"

static const char *const events[] = {
	"{\"time\":\"2026-12-07T10:00:00.000000001Z\",\"kind\":\"grant\","
	"\"op\":\"requested\"," HOST_ACME "," G1 "," WHO ",\"by_uid\":1000,"
	"\"by_login_uid\":4242,\"by_user\":\"alice\",\"reason\":\"ticket 1\","
	"\"duration\":3600}",
	/* A refusal, by the refused convention: the tenant as actor. */
	"{\"time\":\"2026-12-07T10:00:01Z\",\"kind\":\"grant\",\"op\":"
	"\"refused\",\"tenant\":\"acme\",\"target_tenant\":\"\"," G1 ","
	"\"request\":\"grant-activate\",\"error\":\"refused (forged)\"}",
	"{\"time\":\"2026-12-07T10:00:02Z\",\"kind\":\"grant\",\"op\":"
	"\"activated\"," HOST_ACME "," G1 "," WHO ",\"from\":"
	"\"2026-12-07T10:00:02Z\",\"until\":\"2026-12-07T11:00:02Z\","
	"\"approvers\":[\"KEY1=\",\"KEY2=\"],\"by_uid\":0}",
	"{\"time\":\"2026-12-07T10:00:03Z\",\"seq\":7,\"kind\":\"net\",\"op\":"
	"\"connect\",\"verdict\":\"allow\",\"actor\":\"support\"," HOST_ACME
	"," G1 ",\"login_uid\":4242,\"user\":\"alice\",\"pid\":99,\"comm\":"
	"\"curl\",\"proto\":\"tcp\",\"addr\":\"10.0.0.1\",\"port\":443}",
	"{\"time\":\"2026-12-07T10:00:04Z\",\"seq\":8,\"kind\":\"net\",\"op\":"
	"\"connect\",\"verdict\":\"allow\"," HOST_ACME "," G1 ",\"pid\":99,"
	"\"comm\":\"curl\",\"proto\":\"tcp\",\"addr\":\"10.0.0.1\",\"port\":"
	"443}",
	/* A hostile comm: escaped in the text. */
	"{\"time\":\"2026-12-07T10:00:05Z\",\"seq\":9,\"kind\":\"file\",\"op\":"
	"\"open\",\"verdict\":\"allow\"," HOST_ACME "," G1 ",\"pid\":100,"
	"\"comm\":\"x\\u001b[2Jy\",\"path\":\"/srv/acme/data\"}",
	"{\"time\":\"2026-12-07T10:00:06Z\",\"kind\":\"grant\",\"op\":"
	"\"revoked\"," HOST_ACME "," G1 "," WHO ",\"sessions_killed\":1,"
	"\"ended\":\"2026-12-07T10:00:06Z\",\"by_uid\":0,"
	"\"by_login_uid\":-1,\"by_user\":\"root\"}",
	"{\"time\":\"2026-12-07T10:00:07Z\",\"kind\":\"grant\",\"op\":"
	"\"break_glass\"," HOST_ACME "," G2 "," WHO ",\"break_glass\":true}",
	"{\"time\":\"2026-12-07T10:00:08Z\",\"kind\":\"grant\",\"op\":"
	"\"refused\",\"tenant\":\"acme\",\"target_tenant\":\"\",\"request\":"
	"\"grant-request\",\"error\":\"unknown op 'fly'\"}",
};

static void load(struct report_grants *rg)
{
	struct json_object *ev;
	size_t i;

	assert_int_equal(report_grants_init(rg, "acme", NULL, NULL), 0);
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		ev = json_tokener_parse(events[i]);
		assert_non_null(ev);
		assert_int_equal(report_grants_add(rg, ev), 0);
		json_object_put(ev);
	}
}

static struct json_object *at(struct json_object *o, const char *path)
{
	char key[64];
	const char *dot;
	size_t n;

	while (o && *path) {
		dot = strchr(path, '.');
		n = dot ? (size_t)(dot - path) : strlen(path);
		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		if (key[0] >= '0' && key[0] <= '9')
			o = json_object_array_get_idx(o, (size_t)atoi(key));
		else if (!json_object_object_get_ex(o, key, &o))
			o = NULL;
		path += n + (dot ? 1 : 0);
	}
	return o;
}

static const char *str(struct json_object *root, const char *path)
{
	return json_object_get_string(at(root, path));
}

static void test_gathered(void **state)
{
	struct report_grants rg;
	struct json_object *r;

	(void)state;
	load(&rg);
	r = rg.root;
	assert_int_equal(json_object_array_length(at(r, "grants")), 2);
	assert_string_equal(str(r, "grants.0.grant"),
			    "11111111111111111111111111111111");
	assert_string_equal(str(r, "grants.0.user"), "alice");
	assert_string_equal(str(r, "grants.0.reason"), "ticket 1");
	assert_string_equal(str(r, "grants.0.requested.by_login_uid"), "4242");
	assert_string_equal(str(r, "grants.0.activated.approvers.1"), "KEY2=");
	assert_string_equal(str(r, "grants.0.window.until"),
			    "2026-12-07T11:00:02Z");
	assert_string_equal(str(r, "grants.0.ended.how"), "revoked");
	assert_string_equal(str(r, "grants.0.ended.sessions_killed"), "1");
	assert_string_equal(str(r, "grants.0.refused.0.request"),
			    "grant-activate");
	assert_string_equal(str(r, "grants.0.accesses.count"), "3");
	assert_string_equal(str(r, "grants.0.accesses.by_op.connect"), "2");
	assert_string_equal(str(r, "grants.0.accesses.by_op.open"), "1");
	assert_string_equal(str(r, "grants.0.accesses.events.0.object"),
			    "tcp 10.0.0.1:443");
	assert_string_equal(str(r, "grants.0.accesses.events.2.object"),
			    "/srv/acme/data");
	assert_string_equal(str(r, "grants.0.accesses.events.0.seq"), "7");
	assert_false(json_object_get_boolean(at(r, "grants.0.break_glass")));
	assert_true(json_object_get_boolean(at(r, "grants.1.break_glass")));
	assert_null(at(r, "grants.1.requested"));
	assert_string_equal(str(r, "refused.0.error"), "unknown op 'fly'");
	assert_string_equal(str(r, "total.grants"), "2");
	assert_string_equal(str(r, "total.break_glass"), "1");
	assert_string_equal(str(r, "total.accesses"), "3");
	assert_string_equal(str(r, "total.refused"), "2");
	report_grants_free(&rg);
}

static char *printed(struct report_grants *rg, int json)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	report_grants_print(out, rg, json);
	fclose(out);
	return text;
}

static void test_text(void **state)
{
	struct report_grants rg;
	struct json_object *parsed;
	char *text;

	(void)state;
	load(&rg);
	text = printed(&rg, 0);
	assert_non_null(strstr(text, "grants to tenant acme, from the log's "
				     "start to the log's end\n"));
	assert_non_null(strstr(text, "approved by KEY1=, KEY2=\n"));
	assert_non_null(strstr(text, "window      2026-12-07T10:00:02Z to "
				     "2026-12-07T11:00:02Z\n"));
	assert_non_null(strstr(text, "ended       revoked "
				     "2026-12-07T10:00:06Z by login uid -1 "
				     "(uid 0, root), 1 session(s) killed\n"));
	assert_non_null(strstr(text, "accesses    3 (connect 2, open 1)\n"));
	assert_non_null(strstr(text, " allow   99      curl            4242    "
				     "alice        tcp 10.0.0.1:443\n"));
	assert_non_null(strstr(text,
			       "!!! BREAK-GLASS: grant "
			       "22222222222222222222222222222222 was activated "
			       "without the tenant's approvals !!!\n"));
	assert_non_null(strstr(text, "approved by NOBODY (break-glass)"));
	/* The escape is shown, never written as it is. */
	assert_null(strchr(text, '\033'));
	assert_non_null(strstr(text, "x\\x1b[2Jy"));
	assert_non_null(strstr(text, "total: 2 grant(s) (1 break-glass), 3 "
				     "access(es), 2 refusal(s)\n"));
	free(text);
	text = printed(&rg, 1);
	parsed = json_tokener_parse(text);
	assert_non_null(parsed);
	json_object_put(parsed);
	free(text);
	report_grants_free(&rg);
}

/* Past the most listed: counted all the same, said. */
static void test_limits(void **state)
{
	struct report_grants rg;
	struct json_object *ev;
	size_t i;

	(void)state;
	assert_int_equal(
		report_grants_init(&rg, "acme", "2026-12-07T00:00:00Z", NULL),
		0);
	ev = json_tokener_parse("{\"kind\":\"net\",\"op\":\"connect\"," G1 "}");
	for (i = 0; i < REPORT_GRANT_ACCESSES_MAX + 3; i++)
		report_grants_add(&rg, ev);
	json_object_put(ev);
	assert_string_equal(str(rg.root, "grants.0.accesses.count"), "10003");
	assert_string_equal(str(rg.root, "grants.0.accesses.not_listed"), "3");
	assert_string_equal(str(rg.root, "total.not_listed"), "3");
	assert_string_equal(str(rg.root, "since"), "2026-12-07T00:00:00Z");
	report_grants_free(&rg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gathered),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
