// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the agent's account of its events (the metrics it writes,
 * records it could not decode reported once per tenant), and sizes as
 * options give them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentd/delivery.h"
#include "agentd/event_text.h"
#include "agentd/sink.h"
#include "common/metrics.h"

/* A hostile tenant name in the agent's metrics stays inside its label. */
static void test_agent_metrics(void **state)
{
	struct tg_sink *s =
		tg_sink_new("/nonexistent-tg/events.sock", 4, geteuid());
	struct tg_delivery_extra x = {.kernel_drops = 3, .reloads_ok = 2};
	struct json_object *ev;
	struct tg_delivery d;
	struct tg_metrics m;
	int i;

	assert_non_null(s);
	tg_delivery_init(&d, s, NULL);
	ev = json_tokener_parse("{\"kind\":\"net\",\"verdict\":\"deny\","
				"\"tenant\":\"ev\\\"il\\\\\\n} 1\\nfake 2\"}");
	assert_non_null(ev);
	for (i = 0; i < 2; i++)
		tg_delivery_count(&d, ev);
	json_object_put(ev);
	tg_metrics_init(&m);
	tg_delivery_metrics(&d, &x, &m);
	assert_non_null(strstr(
		m.b.p, "tenantguard_events_total{kind=\"net\",verdict=\"deny\","
		       "tenant=\"ev\\\"il\\\\\\n} 1\\nfake 2\"} 2\n"));
	assert_null(strstr(m.b.p, "\nfake 2"));
	assert_non_null(strstr(
		m.b.p,
		"tenantguard_events_dropped_total{reason=\"ringbuf_full\"} 3\n"));
	assert_non_null(strstr(
		m.b.p,
		"tenantguard_events_dropped_total{reason=\"spool_full\"} 0\n"));
	assert_non_null(strstr(
		m.b.p, "tenantguard_policy_reloads_total{result=\"ok\"} 2\n"));
	assert_non_null(
		strstr(m.b.p, "# TYPE tenantguard_collector_lag_seconds gauge\n"
			      "tenantguard_collector_lag_seconds 0.000000\n"));
	tg_metrics_free(&m);
	tg_delivery_free(&d);
	tg_sink_free(s);
}

/*
 * Backends (enforced or not), what is unenforced, suppression by tenant and
 * the time of writing, each as its own family.
 */
static void test_agent_metrics_backends(void **state)
{
	struct tg_sink *s =
		tg_sink_new("/nonexistent-tg/events.sock", 4, geteuid());
	const struct tg_backend_state be[] = {
		{"file", "fanotify", 0},
		{"net", "bpf-lsm", 1},
	};
	const char *const un[] = {"file:open", "guard", NULL};
	struct tg_delivery_extra x = {.backends = be,
				      .nbackends = 2,
				      .unenforced = un,
				      .now = 1700000000.5};
	struct tg_counts supp;
	struct tg_delivery d;
	struct tg_metrics m;

	(void)state;
	assert_non_null(s);
	tg_counts_init(&supp);
	assert_int_equal(tg_counts_add(&supp, "acme", 7), 0);
	x.suppressed = &supp;
	tg_delivery_init(&d, s, NULL);
	tg_metrics_init(&m);
	tg_delivery_metrics(&d, &x, &m);
	assert_int_equal(m.err, 0);
	assert_non_null(strstr(m.b.p,
			       "# TYPE tenantguard_backend_enforced gauge\n"
			       "tenantguard_backend_enforced{feature=\"file\","
			       "backend=\"fanotify\"} 0\n"
			       "tenantguard_backend_enforced{feature=\"net\","
			       "backend=\"bpf-lsm\"} 1\n"));
	assert_non_null(strstr(m.b.p,
			       "tenantguard_unenforced{what=\"file:open\"} 1\n"
			       "tenantguard_unenforced{what=\"guard\"} 1\n"));
	assert_non_null(strstr(
		m.b.p, "# TYPE tenantguard_events_suppressed_total counter\n"
		       "tenantguard_events_suppressed_total{tenant=\"acme\"} "
		       "7\n"));
	assert_non_null(strstr(m.b.p,
			       "tenantguard_metrics_written_timestamp_seconds "
			       "1700000000.500000\n"));
	tg_metrics_free(&m);
	/* Without a clock given, the time is now's. */
	x.now = 0;
	x.suppressed = NULL;
	tg_metrics_init(&m);
	tg_delivery_metrics(&d, &x, &m);
	assert_non_null(strstr(m.b.p,
			       "# TYPE tenantguard_events_suppressed_total "
			       "counter\n# HELP"));
	assert_non_null(strstr(
		m.b.p, "tenantguard_metrics_written_timestamp_seconds 1"));
	tg_metrics_free(&m);
	tg_counts_free(&supp);
	tg_delivery_free(&d);
	tg_sink_free(s);
}

static void collect_event(void *ctx, struct json_object *ev)
{
	struct json_object **out = ctx, *v;

	assert_true(json_object_object_get_ex(ev, "tenant", &v));
	if (!strcmp(json_object_get_string(v), "acme"))
		out[0] = ev;
	else
		out[1] = ev;
}

static void no_sink_drop(void *ctx, __u64 n, const char *reason,
			 const char *why)
{
	fail_msg("unexpected drop report %s", reason);
}

static const char *field(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v)
						   : "";
}

/* Records the agent cannot decode: one drop event per tenant, counted. */
static void test_malformed_reported(void **state)
{
	struct tg_sink *s =
		tg_sink_new("/nonexistent-tg/events.sock", 4, geteuid());
	struct tg_delivery_extra x = {};
	struct json_object *got[2] = {}, *st, *dr, *v;
	struct tg_event_fmt fmt = {.host = "node-1"};
	struct tg_delivery d;

	assert_non_null(s);
	tg_delivery_init(&d, s, NULL);
	tg_delivery_malformed(&d, "acme");
	tg_delivery_malformed(&d, "acme");
	tg_delivery_malformed(&d, "host");
	tg_delivery_report(&d, &fmt, no_sink_drop, collect_event, got);
	assert_non_null(got[0]);
	assert_non_null(got[1]);
	assert_string_equal(field(got[0], "kind"), "agent");
	assert_string_equal(field(got[0], "op"), "drop");
	assert_string_equal(field(got[0], "reason"), "malformed");
	assert_string_equal(field(got[0], "dropped"), "2");
	assert_string_equal(field(got[1], "tenant"), "host");
	assert_string_equal(field(got[1], "dropped"), "1");
	json_object_put(got[0]);
	json_object_put(got[1]);
	/* Reported once only; the total stays in status. */
	got[0] = got[1] = NULL;
	tg_delivery_report(&d, &fmt, no_sink_drop, collect_event, got);
	assert_null(got[0]);
	assert_null(got[1]);
	st = tg_delivery_status(&d, &x);
	assert_true(json_object_object_get_ex(st, "dropped", &dr));
	assert_true(json_object_object_get_ex(dr, "malformed", &v));
	assert_int_equal(json_object_get_int64(v), 3);
	json_object_put(st);
	tg_delivery_free(&d);
	tg_sink_free(s);
}

static void test_parse_size(void **state)
{
	__u64 v;

	assert_int_equal(tg_parse_size("0", &v), 0);
	assert_true(v == 0);
	assert_int_equal(tg_parse_size("512M", &v), 0);
	assert_true(v == 512ULL << 20);
	assert_int_equal(tg_parse_size("2GiB", &v), 0);
	assert_true(v == 2ULL << 30);
	assert_int_equal(tg_parse_size("4096", &v), 0);
	assert_true(v == 4096);
	assert_int_equal(tg_parse_size("1x", &v), -EINVAL);
	assert_int_equal(tg_parse_size("-1", &v), -EINVAL);
	assert_int_equal(tg_parse_size("", &v), -EINVAL);
	assert_int_equal(tg_parse_size("99999999999T", &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agent_metrics),
		cmocka_unit_test(test_agent_metrics_backends),
		cmocka_unit_test(test_malformed_reported),
		cmocka_unit_test(test_parse_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
