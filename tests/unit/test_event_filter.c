// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: which stored events a restricted viewer sees (tenant or
 * target its own, no other tenant named elsewhere, never what cannot be
 * judged), and the filters of tenantguard events.
 */
#include <errno.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/event_filter.h"
#include "common/roles.h"

/* Whether view v sees the event in JSON text s. */
static int sees(const struct tg_view *v, const char *s)
{
	struct json_object *ev = json_tokener_parse(s);
	int r = tg_view_event(v, ev);

	json_object_put(ev);
	return r;
}

static void test_view_event(void **state)
{
	static struct tg_view acme, all;

	memset(&acme, 0, sizeof(acme));
	assert_int_equal(tg_view_add(&acme, "acme"), 0);
	all.all = 1;
	/* Its own, as actor or target. */
	assert_true(sees(&acme,
			 "{\"tenant\":\"acme\",\"target_tenant\":\"host\"}"));
	assert_true(sees(&acme,
			 "{\"tenant\":\"globex\",\"target_tenant\":\"acme\"}"));
	assert_true(sees(&acme,
			 "{\"tenant\":\"acme\",\"target_tenant\":\"globex\"}"));
	/* Others', and the host's own. */
	assert_false(
		sees(&acme,
		     "{\"tenant\":\"globex\",\"target_tenant\":\"initech\"}"));
	assert_false(sees(&acme,
			  "{\"tenant\":\"host\",\"target_tenant\":\"host\"}"));
	assert_false(sees(&acme,
			  "{\"tenant\":\"acmex\",\"target_tenant\":\"acm\"}"));
	/* What cannot be judged: never. */
	assert_false(sees(&acme, "{\"tenant\":\"acme\"}"));
	assert_false(sees(
		&acme, "{\"tenant\":[\"acme\"],\"target_tenant\":\"host\"}"));
	assert_false(
		sees(&acme, "{\"tenant\":null,\"target_tenant\":\"acme\"}"));
	assert_false(sees(&acme, "[\"acme\"]"));
	assert_false(tg_view_event(&acme, NULL));
	/* Another tenant named elsewhere in it. */
	assert_true(sees(&acme,
			 "{\"tenant\":\"globex\",\"target_tenant\":\"acme\","
			 "\"object\":{\"owner\":\"acme\"}}"));
	assert_true(sees(&acme,
			 "{\"tenant\":\"globex\",\"target_tenant\":\"acme\","
			 "\"object\":{\"owner\":\"globex\"}}"));
	assert_false(sees(&acme,
			  "{\"tenant\":\"acme\",\"target_tenant\":\"acme\","
			  "\"object\":{\"owner\":\"initech\"}}"));
	assert_false(sees(&acme,
			  "{\"tenant\":\"acme\",\"target_tenant\":\"host\","
			  "\"object\":{\"owner\":7}}"));
	assert_false(sees(&acme,
			  "{\"tenant\":\"acme\",\"target_tenant\":\"host\","
			  "\"dropped_tenant\":\"globex\"}"));
	assert_true(sees(&acme,
			 "{\"tenant\":\"acme\",\"target_tenant\":\"host\","
			 "\"dropped_tenant\":\"\"}"));
	assert_false(sees(&acme,
			  "{\"tenant\":\"acme\",\"target_tenant\":\"host\","
			  "\"tenants_added\":[\"acme\",\"globex\"]}"));
	assert_false(sees(&acme,
			  "{\"tenant\":\"acme\",\"target_tenant\":\"host\","
			  "\"tenants_changed\":\"globex\"}"));
	assert_true(sees(&acme,
			 "{\"tenant\":\"acme\",\"target_tenant\":\"host\","
			 "\"tenants_removed\":[\"acme\"]}"));
	/* All: everything, even what a restricted view cannot judge. */
	assert_true(sees(
		&all, "{\"tenant\":\"globex\",\"target_tenant\":\"initech\"}"));
	assert_true(sees(&all, "{}"));
}

static void test_filter_match(void **state)
{
	struct json_object *ev = json_tokener_parse(
		"{\"time\":\"2026-12-06T10:00:00.5Z\",\"kind\":\"net\","
		"\"tenant\":\"globex\",\"target_tenant\":\"acme\"}");
	struct tg_event_filter f = {};

	assert_true(tg_event_filter_match(&f, ev));
	f.tenant.v[0] = "acme";
	f.tenant.n = 1;
	assert_true(tg_event_filter_match(&f, ev));
	f.tenant.v[0] = "initech";
	assert_false(tg_event_filter_match(&f, ev));
	f.tenant.n = 0;
	f.kind.v[0] = "file";
	f.kind.n = 1;
	assert_false(tg_event_filter_match(&f, ev));
	f.kind.v[0] = "net";
	assert_int_equal(tg_parse_time("2026-12-06T10:00:00.5Z", &f.since), 0);
	f.have_since = 1;
	assert_true(tg_event_filter_match(&f, ev));
	f.since++;
	assert_false(tg_event_filter_match(&f, ev));
	json_object_put(ev);
}

/* Whether a filter made by add() passes ev. */
static int passes(const struct tg_event_filter *f, const char *json)
{
	struct json_object *ev = json_tokener_parse(json);
	int r;

	assert_non_null(ev);
	r = tg_event_filter_match(f, ev);
	json_object_put(ev);
	return r;
}

#define NET_GA                                                                 \
	"{\"time\":\"2026-12-06T10:00:00Z\",\"kind\":\"net\",\"op\":"          \
	"\"connect\",\"verdict\":\"deny\",\"tenant\":\"globex\","              \
	"\"target_tenant\":\"acme\"}"
#define FILE_AI                                                                \
	"{\"time\":\"2026-12-06T11:00:00Z\",\"kind\":\"file\",\"op\":"         \
	"\"open\",\"verdict\":\"audit\",\"tenant\":\"acme\","                  \
	"\"target_tenant\":\"initech\"}"
#define SUPPRESSED_NET                                                         \
	"{\"time\":\"2026-12-06T12:00:00Z\",\"kind\":\"agent\",\"op\":"        \
	"\"suppressed\",\"verdict\":\"allow\",\"tenant\":\"globex\","          \
	"\"target_tenant\":\"host\",\"event_kind\":\"net\",\"event_op\":"      \
	"\"connect\",\"event_verdict\":\"deny\",\"suppressed\":912}"
#define DROP                                                                   \
	"{\"time\":\"2026-12-06T13:00:00Z\",\"kind\":\"agent\",\"op\":"        \
	"\"drop\",\"verdict\":\"allow\",\"tenant\":\"globex\","                \
	"\"target_tenant\":\"host\",\"dropped\":3}"

/* Values of one filter OR, filters of different kinds AND. */
static void test_filter_combination(void **state)
{
	struct tg_event_filter f = {};

	/* --actor: the tenant only, never the target. */
	tg_filter_add(&f.actor, "acme");
	assert_false(passes(&f, NET_GA));
	assert_true(passes(&f, FILE_AI));
	tg_filter_add(&f.actor, "globex");
	assert_true(passes(&f, NET_GA));
	assert_true(passes(&f, FILE_AI));
	/* AND --target acme: globex -> acme only. */
	tg_filter_add(&f.target, "acme");
	assert_true(passes(&f, NET_GA));
	assert_false(passes(&f, FILE_AI));
	memset(&f, 0, sizeof(f));
	/* --tenant: either side; two values OR. */
	tg_filter_add(&f.tenant, "initech");
	assert_false(passes(&f, NET_GA));
	assert_true(passes(&f, FILE_AI));
	tg_filter_add(&f.tenant, "acme");
	assert_true(passes(&f, NET_GA));
	/* AND --verdict deny OR audit, AND --op open. */
	tg_filter_add(&f.verdict, "deny");
	assert_false(passes(&f, FILE_AI));
	tg_filter_add(&f.verdict, "audit");
	assert_true(passes(&f, FILE_AI));
	tg_filter_add(&f.op, "open");
	assert_false(passes(&f, NET_GA));
	assert_true(passes(&f, FILE_AI));
	memset(&f, 0, sizeof(f));
	/* --until is inclusive; with --since a window. */
	assert_int_equal(tg_parse_time("2026-12-06T10:30:00Z", &f.until), 0);
	f.have_until = 1;
	assert_true(passes(&f, NET_GA));
	assert_false(passes(&f, FILE_AI));
	assert_int_equal(tg_parse_time("2026-12-06T10:00:00Z", &f.until), 0);
	assert_true(passes(&f, NET_GA));
	assert_int_equal(tg_parse_time("2026-12-06T10:00:01Z", &f.since), 0);
	f.have_since = 1;
	assert_false(passes(&f, NET_GA));
	/* Sixteen values at most. */
	memset(&f, 0, sizeof(f));
	for (int i = 0; i < TG_FILTER_VALUES_MAX; i++)
		assert_int_equal(tg_filter_add(&f.op, "x"), 0);
	assert_int_equal(tg_filter_add(&f.op, "x"), -E2BIG);
}

/* A suppressed summary is its events' kind and verdict, never allow. */
static void test_filter_summaries(void **state)
{
	struct json_object *ev = json_tokener_parse(SUPPRESSED_NET);
	struct tg_event_filter f = {};
	const char *kind, *op, *verdict;

	tg_event_shown(ev, &kind, &op, &verdict);
	assert_string_equal(kind, "net");
	assert_string_equal(op, "connect");
	assert_string_equal(verdict, "deny");
	json_object_put(ev);
	tg_filter_add(&f.kind, "net");
	assert_true(passes(&f, SUPPRESSED_NET));
	assert_true(passes(&f, NET_GA));
	assert_false(passes(&f, DROP));
	memset(&f, 0, sizeof(f));
	tg_filter_add(&f.kind, "agent");
	assert_false(passes(&f, SUPPRESSED_NET));
	assert_true(passes(&f, DROP));
	memset(&f, 0, sizeof(f));
	tg_filter_add(&f.verdict, "allow");
	assert_false(passes(&f, SUPPRESSED_NET));
	assert_false(passes(&f, DROP));
	memset(&f, 0, sizeof(f));
	tg_filter_add(&f.verdict, "deny");
	assert_true(passes(&f, SUPPRESSED_NET));
	memset(&f, 0, sizeof(f));
	/* --op matches what it counts, or the summaries as such. */
	tg_filter_add(&f.op, "connect");
	assert_true(passes(&f, SUPPRESSED_NET));
	memset(&f, 0, sizeof(f));
	tg_filter_add(&f.op, "suppressed");
	assert_true(passes(&f, SUPPRESSED_NET));
	assert_false(passes(&f, NET_GA));
	/* An event_verdict that is no deny or audit: "-". */
	ev = json_tokener_parse("{\"kind\":\"agent\",\"op\":\"suppressed\","
				"\"verdict\":\"allow\",\"event_kind\":"
				"\"seccomp\",\"event_op\":\"any\","
				"\"event_verdict\":\"any\"}");
	tg_event_shown(ev, &kind, &op, &verdict);
	assert_string_equal(kind, "seccomp");
	assert_string_equal(verdict, "-");
	json_object_put(ev);
}

/*
 * Summaries stored since they say what they are (verdict suppressed or
 * dropped, never allow), and those of older logs (verdict allow): read
 * alike; --verdict suppressed and dropped select them.
 */
static void test_filter_summary_verdicts(void **state)
{
	static const char *const sup[] = {
		SUPPRESSED_NET,
		"{\"kind\":\"agent\",\"op\":\"suppressed\",\"verdict\":"
		"\"suppressed\",\"tenant\":\"globex\",\"target_tenant\":"
		"\"host\",\"event_kind\":\"net\",\"event_op\":\"connect\","
		"\"event_verdict\":\"deny\",\"suppressed\":912}",
		"{\"kind\":\"agent\",\"op\":\"admin_suppressed\","
		"\"verdict\":\"suppressed\",\"tenant\":\"host\","
		"\"target_tenant\":\"host\",\"uid\":1000,\"count\":3}"};
	static const char *const drop[] = {
		DROP, "{\"kind\":\"agent\",\"op\":\"drop\",\"verdict\":"
		      "\"dropped\",\"tenant\":\"globex\",\"target_tenant\":"
		      "\"host\",\"dropped\":3}"};
	struct tg_event_filter f = {};
	struct json_object *ev;
	size_t i;

	for (i = 0; i < 3; i++) {
		ev = json_tokener_parse(sup[i]);
		assert_string_equal(tg_event_summary(ev),
				    TG_VERDICT_SUPPRESSED);
		json_object_put(ev);
	}
	for (i = 0; i < 2; i++) {
		ev = json_tokener_parse(drop[i]);
		assert_string_equal(tg_event_summary(ev), TG_VERDICT_DROPPED);
		json_object_put(ev);
	}
	ev = json_tokener_parse(NET_GA);
	assert_null(tg_event_summary(ev));
	json_object_put(ev);
	ev = json_tokener_parse("{\"kind\":\"net\",\"op\":\"drop\"}");
	assert_null(tg_event_summary(ev));
	json_object_put(ev);
	/* Never allow; deny the one that counts denials. */
	tg_filter_add(&f.verdict, "allow");
	for (i = 0; i < 3; i++)
		assert_false(passes(&f, sup[i]));
	for (i = 0; i < 2; i++)
		assert_false(passes(&f, drop[i]));
	memset(&f, 0, sizeof(f));
	tg_filter_add(&f.verdict, "deny");
	assert_true(passes(&f, sup[0]));
	assert_true(passes(&f, sup[1]));
	assert_false(passes(&f, sup[2]));
	assert_false(passes(&f, drop[1]));
	memset(&f, 0, sizeof(f));
	tg_filter_add(&f.verdict, TG_VERDICT_SUPPRESSED);
	for (i = 0; i < 3; i++)
		assert_true(passes(&f, sup[i]));
	assert_false(passes(&f, drop[1]));
	assert_false(passes(&f, NET_GA));
	memset(&f, 0, sizeof(f));
	tg_filter_add(&f.verdict, TG_VERDICT_DROPPED);
	for (i = 0; i < 2; i++)
		assert_true(passes(&f, drop[i]));
	assert_false(passes(&f, sup[1]));
	/* AND another filter: the kind they count. */
	memset(&f, 0, sizeof(f));
	tg_filter_add(&f.verdict, TG_VERDICT_SUPPRESSED);
	tg_filter_add(&f.kind, "net");
	assert_true(passes(&f, sup[1]));
	assert_false(passes(&f, sup[2]));
}

/* The filter travels to the agent and back the same. */
/* --grants: a grant's lifecycle and the accesses under one, nothing else. */
static void test_filter_grants(void **state)
{
	struct tg_event_filter f = {.grants = 1}, g = {};
	struct json_object *req = json_object_new_object();

	(void)state;
	tg_filter_add(&f.tenant, "acme");
	assert_true(passes(&f,
			   "{\"kind\":\"grant\",\"op\":\"requested\","
			   "\"tenant\":\"host\",\"target_tenant\":\"acme\"}"));
	/* A refusal names the tenant as its actor. */
	assert_true(passes(&f, "{\"kind\":\"grant\",\"op\":\"refused\","
			       "\"tenant\":\"acme\",\"target_tenant\":\"\"}"));
	assert_true(passes(&f, "{\"kind\":\"net\",\"op\":\"connect\","
			       "\"verdict\":\"allow\",\"tenant\":\"host\","
			       "\"target_tenant\":\"acme\",\"grant\":\"ab\"}"));
	assert_false(passes(&f, "{\"kind\":\"net\",\"op\":\"connect\","
				"\"verdict\":\"deny\",\"tenant\":\"host\","
				"\"target_tenant\":\"acme\"}"));
	/* A grant field that is no id is no grant's. */
	assert_false(passes(&f, "{\"kind\":\"net\",\"tenant\":\"host\","
				"\"target_tenant\":\"acme\",\"grant\":null}"));
	assert_false(passes(
		&f, "{\"kind\":\"grant\",\"op\":\"activated\","
		    "\"tenant\":\"host\",\"target_tenant\":\"globex\"}"));
	tg_event_filter_to_json(&f, req);
	assert_string_equal(
		json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN),
		"{\"tenant\":\"acme\",\"grants\":true}");
	assert_null(tg_event_filter_from_json(req, &g));
	assert_true(g.grants);
	json_object_put(req);
}

static void test_filter_json(void **state)
{
	struct tg_event_filter f = {}, g = {};
	struct json_object *req = json_object_new_object(), *bad;

	tg_filter_add(&f.tenant, "acme");
	tg_filter_add(&f.actor, "globex");
	tg_filter_add(&f.actor, "initech");
	tg_filter_add(&f.verdict, "deny");
	f.since = 5;
	f.have_since = 1;
	f.until = 9;
	f.have_until = 1;
	f.lines = 10;
	f.lines_given = 1;
	tg_event_filter_to_json(&f, req);
	assert_string_equal(
		json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN),
		"{\"tenant\":\"acme\",\"actor\":[\"globex\",\"initech\"],"
		"\"verdict\":\"deny\",\"since_ns\":5,\"until_ns\":9,"
		"\"lines\":10}");
	assert_null(tg_event_filter_from_json(req, &g));
	assert_int_equal(g.actor.n, 2);
	assert_string_equal(g.actor.v[1], "initech");
	assert_int_equal(g.tenant.n, 1);
	assert_int_equal(g.verdict.n, 1);
	assert_int_equal(g.kind.n, 0);
	assert_true(g.have_since && g.since == 5 && g.have_until &&
		    g.until == 9 && g.lines_given && g.lines == 10);
	assert_true(passes(&g, NET_GA) == passes(&f, NET_GA));
	json_object_put(req);
	/* What is wrong is said. */
	static const char *const bads[] = {
		"{\"op\":5}",		"{\"kind\":[\"net\",3]}",
		"{\"lines\":-1}",	"{\"lines\":\"10\"}",
		"{\"until_ns\":\"x\"}", "{\"kind\":\"a-kind-longer-than-16\"}",
		"{\"grants\":1}"};
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		memset(&g, 0, sizeof(g));
		bad = json_tokener_parse(bads[i]);
		assert_non_null(tg_event_filter_from_json(bad, &g));
		json_object_put(bad);
	}
}

static char got[1024];

static int collect(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	strncat(got, line, len);
	strcat(got, ",");
	return 0;
}

/* The last lines kept: the oldest make room; in order, or reversed. */
static void test_tail(void **state)
{
	struct tg_event_tail t = {.max = 3};
	char line[8];
	int i;

	for (i = 1; i <= 5; i++) {
		snprintf(line, sizeof(line), "%d", i);
		assert_int_equal(tg_event_tail_add(&t, line, strlen(line)), 0);
	}
	got[0] = '\0';
	assert_int_equal(tg_event_tail_flush(&t, 0, collect, NULL), 0);
	assert_string_equal(got, "3,4,5,");
	for (i = 6; i <= 7; i++) {
		snprintf(line, sizeof(line), "%d", i);
		tg_event_tail_add(&t, line, strlen(line));
	}
	got[0] = '\0';
	tg_event_tail_flush(&t, 1, collect, NULL);
	assert_string_equal(got, "7,6,");
	tg_event_tail_free(&t);
	/* All, growing: 200 lines, reversed. */
	t = (struct tg_event_tail){.max = SIZE_MAX};
	for (i = 0; i < 200; i++) {
		snprintf(line, sizeof(line), "%d", i % 10);
		tg_event_tail_add(&t, line, 1);
	}
	assert_int_equal(t.n, 200);
	got[0] = '\0';
	tg_event_tail_flush(&t, 1, collect, NULL);
	assert_int_equal(strlen(got), 400);
	assert_true(!strncmp(got, "9,8,7,", 6));
	tg_event_tail_free(&t);
	/* At most 6 bytes: the oldest go to make room, wrapped or not. */
	t = (struct tg_event_tail){.max = SIZE_MAX, .max_bytes = 6};
	tg_event_tail_add(&t, "aa", 2);
	tg_event_tail_add(&t, "bb", 2);
	tg_event_tail_add(&t, "ccc", 3);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.bytes, 5);
	tg_event_tail_add(&t, "toolong", 7);
	assert_int_equal(t.n, 2);
	for (i = 0; i < 100; i++)
		tg_event_tail_add(&t, i % 2 ? "d" : "ee", i % 2 ? 1 : 2);
	got[0] = '\0';
	tg_event_tail_flush(&t, 0, collect, NULL);
	assert_string_equal(got, "ee,d,ee,d,");
	tg_event_tail_free(&t);
	/* Wrapped (big lines dropped for bytes), then grown: in order. */
	t = (struct tg_event_tail){.max = SIZE_MAX, .max_bytes = 100};
	for (i = 0; i < 10; i++)
		tg_event_tail_add(&t, "XXXXXXXXXX", 10);
	for (i = 0; i < 200; i++) {
		snprintf(line, sizeof(line), "%d", i % 10);
		tg_event_tail_add(&t, line, 1);
	}
	assert_int_equal(t.n, 100);
	assert_true(t.cap >= 100);
	got[0] = '\0';
	tg_event_tail_flush(&t, 0, collect, NULL);
	assert_int_equal(strlen(got), 200);
	for (i = 0; i < 100; i++)
		assert_int_equal(got[2 * i], '0' + i % 10);
	tg_event_tail_free(&t);
	/* None kept. */
	t = (struct tg_event_tail){.max = 0};
	tg_event_tail_add(&t, "x", 1);
	assert_int_equal(t.n, 0);
	tg_event_tail_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_view_event),
		cmocka_unit_test(test_filter_match),
		cmocka_unit_test(test_filter_combination),
		cmocka_unit_test(test_filter_summaries),
		cmocka_unit_test(test_filter_summary_verdicts),
		cmocka_unit_test(test_filter_json),
		cmocka_unit_test(test_filter_grants),
		cmocka_unit_test(test_tail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
