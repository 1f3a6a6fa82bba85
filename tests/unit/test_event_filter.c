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
	f.tenant = "acme";
	assert_true(tg_event_filter_match(&f, ev));
	f.tenant = "initech";
	assert_false(tg_event_filter_match(&f, ev));
	f.tenant = NULL;
	f.kind = "file";
	assert_false(tg_event_filter_match(&f, ev));
	f.kind = "net";
	assert_int_equal(tg_parse_time("2026-12-06T10:00:00.5Z", &f.since), 0);
	f.have_since = 1;
	assert_true(tg_event_filter_match(&f, ev));
	f.since++;
	assert_false(tg_event_filter_match(&f, ev));
	json_object_put(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_view_event),
		cmocka_unit_test(test_filter_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
