// SPDX-License-Identifier: GPL-2.0
/*
 * emit.c: the accounting behind "stored + suppressed + dropped = what
 * happened". A kernel record is one event and one denial (or audit) of its
 * tenant; a record the agent cannot decode is no event but a counted
 * "drop" (reason malformed) of its tenant; what the sink dropped is
 * reported once per reason with its count, never twice; a seccomp refusal
 * is an event and a denial, unless its tenant's rate limit holds it back
 * (then the summary counts it). The sink and the rate limit are mocked.
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
#include <cmocka.h>

#include "agentd/agent.h"
#include "agentd/ratelimit.h"
#include "agentd/sink.h"

static char *sent[64]; /* event texts given to the sink */
static unsigned int n_sent;
static struct tg_sink_stats stats; /* what the sink says it dropped */

int __wrap_tg_sink_submit(struct tg_sink *s, const char *json, size_t len)
{
	if (n_sent < sizeof(sent) / sizeof(sent[0]))
		sent[n_sent++] = strndup(json, len);
	return 0;
}

int __wrap_tg_sink_has_room(const struct tg_sink *s)
{
	return 1;
}

void __wrap_tg_sink_stats(const struct tg_sink *s, struct tg_sink_stats *st)
{
	*st = stats;
}

/* What the rate limit says, and what it was last asked. */
static int admit = 1;
static struct tg_suppress_key asked;
static unsigned int n_asked;

int __wrap_tg_ratelimit_admit(const struct tg_ratelimit *rl, __u32 id,
			      __u32 kind, __u32 op, __u32 verdict)
{
	asked = (struct tg_suppress_key){.tenant = id,
					 .op = (__u16)op,
					 .kind = (__u8)kind,
					 .verdict = (__u8)verdict};
	n_asked++;
	return admit;
}

static struct agent a;
static __u32 acme;

static void forget_events(void)
{
	while (n_sent)
		free(sent[--n_sent]);
}

/* How many events sent hold every one of the strings (NULL-ended). */
static unsigned int count_sent(const char *want, ...)
{
	unsigned int i, n = 0;
	const char *w;
	va_list ap;

	for (i = 0; i < n_sent; i++) {
		int all = 1;

		va_start(ap, want);
		for (w = want; w && all; w = va_arg(ap, const char *))
			all = strstr(sent[i], w) != NULL;
		va_end(ap);
		n += all;
	}
	return n;
}

static int setup(void **state)
{
	static const char doc[] =
		"version: 1\ntenants:\n  acme: {cgroup: /t/acme}\n"
		"  globex: {cgroup: /t/globex}\n";
	struct tg_diag d = {};

	memset(&a, 0, sizeof(a));
	memset(&stats, 0, sizeof(stats));
	admit = 1;
	n_asked = 0;
	agent_opts_init(&a.opt);
	snprintf(a.host, sizeof(a.host), "testhost");
	tg_registry_init(&a.reg);
	tg_policy_init(&a.policy);
	assert_int_equal(
		tg_policy_parse(&a.policy, "p.yaml", doc, strlen(doc), 1, &d),
		0);
	assert_int_equal(
		tg_registry_apply(&a.reg, &a.policy, "/nonexistent", NULL), 0);
	acme = tg_registry_find(&a.reg, "acme")->id;
	assert_int_equal(tg_delivery_init(&a.dlv, NULL, NULL), 0);
	a.fmt.reg = &a.reg;
	a.fmt.host = a.host;
	return 0;
}

static int teardown(void **state)
{
	forget_events();
	tg_registry_free(&a.reg);
	tg_policy_free(&a.policy);
	tg_delivery_free(&a.dlv);
	return 0;
}

static struct tg_event record(__u32 tenant, __u32 verdict)
{
	struct tg_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.version = TG_EVENT_VERSION;
	ev.kind = TG_KIND_NET;
	ev.verdict = verdict;
	ev.op = TG_OP_CONNECT;
	ev.pid = 42;
	ev.tenant = tenant;
	ev.target_tenant = TG_TENANT_HOST;
	memcpy(ev.comm, "curl", 4);
	ev.family = 2;
	ev.proto = 6;
	ev.port = 8000;
	return ev;
}

static void test_record_is_one_event_and_one_denial(void **state)
{
	struct tg_event ev = record(acme, TG_VERDICT_DENY);

	assert_int_equal(agent_on_event(&a, &ev, TG_EVENT_HDR_LEN), 0);
	assert_int_equal(n_sent, 1);
	assert_int_equal(count_sent("\"kind\":\"net\"", "\"verdict\":\"deny\"",
				    "\"tenant\":\"acme\"", NULL),
			 1);
	assert_int_equal(tg_delivery_denials(&a.dlv, acme), 1);
	assert_int_equal(tg_delivery_audits(&a.dlv, acme), 0);
	ev = record(acme, TG_VERDICT_AUDIT);
	assert_int_equal(agent_on_event(&a, &ev, TG_EVENT_HDR_LEN), 0);
	assert_int_equal(tg_delivery_denials(&a.dlv, acme), 1);
	assert_int_equal(tg_delivery_audits(&a.dlv, acme), 1);
	assert_int_equal(a.events_seen, 2);
	assert_int_equal(a.events_bad, 0);
}

static void test_malformed_record_is_counted_drop(void **state)
{
	struct tg_event ev = record(acme, TG_VERDICT_DENY);

	ev.kind = 999; /* no such kind */
	assert_int_equal(agent_on_event(&a, &ev, TG_EVENT_HDR_LEN), 0);
	ev = record(acme, TG_VERDICT_DENY);
	ev.path_len = 10; /* more path than the record holds */
	assert_int_equal(agent_on_event(&a, &ev, TG_EVENT_HDR_LEN), 0);
	assert_int_equal(agent_on_event(&a, &ev, 12), 0); /* truncated */
	assert_int_equal(n_sent, 0);
	assert_int_equal(a.events_bad, 3);
	agent_report_drops(&a, 1);
	/* Two of acme's, one whose header could not even name its tenant. */
	assert_int_equal(
		count_sent("\"op\":\"drop\"", "\"reason\":\"malformed\"",
			   "\"tenant\":\"acme\"", "\"dropped\":2", NULL),
		1);
	assert_int_equal(
		count_sent("\"op\":\"drop\"", "\"reason\":\"malformed\"",
			   "\"tenant\":\"host\"", "\"dropped\":1", NULL),
		1);
	forget_events();
	agent_report_drops(&a, 1);
	assert_int_equal(n_sent, 0); /* told once */
}

static void test_sink_drops_reported_once(void **state)
{
	stats.dropped_queue_full = 5;
	stats.dropped_spool_error = 2;
	stats.dropped = 7;
	agent_report_drops(&a, 1);
	assert_int_equal(n_sent, 2);
	assert_int_equal(count_sent("\"op\":\"drop\"",
				    "\"reason\":\"collector_queue_full\"",
				    "\"dropped\":5", NULL),
			 1);
	assert_int_equal(count_sent("\"op\":\"drop\"",
				    "\"reason\":\"spool_error\"",
				    "\"dropped\":2", NULL),
			 1);
	forget_events();
	agent_report_drops(&a, 1);
	assert_int_equal(n_sent, 0);
	/* Three more: reported as three, not eight. */
	stats.dropped_queue_full = 8;
	agent_report_drops(&a, 1);
	assert_int_equal(count_sent("\"reason\":\"collector_queue_full\"",
				    "\"dropped\":3", NULL),
			 1);
}

static void test_seccomp_refusal_is_event_and_denial(void **state)
{
	struct tg_sc_denial d = {
		.pid = 7, .comm = "sh", .syscall = "bpf", .arch = "x86_64"};

	agent_on_seccomp_denial(&a, "acme", "default", &d);
	assert_int_equal(a.seccomp_denials, 1);
	assert_int_equal(tg_delivery_denials(&a.dlv, acme), 1);
	assert_int_equal(count_sent("\"kind\":\"seccomp\"", "\"op\":\"bpf\"",
				    "\"tenant\":\"acme\"", NULL),
			 1);
	/* It passed acme's rate limit, keyed by kind without the call. */
	assert_int_equal(n_asked, 1);
	assert_int_equal(asked.tenant, acme);
	assert_int_equal(asked.kind, TG_KIND_SECCOMP);
	assert_int_equal(asked.op, 0);
	assert_int_equal(asked.verdict, TG_VERDICT_DENY);
}

static void test_seccomp_refusal_held_back_by_rate_limit(void **state)
{
	struct tg_sc_denial d = {
		.pid = 7, .comm = "sh", .syscall = "bpf", .arch = "x86_64"};

	admit = 0;
	agent_on_seccomp_denial(&a, "acme", "default", &d);
	/* Refused all the same; no event, and the summary counts it. */
	assert_int_equal(a.seccomp_denials, 1);
	assert_int_equal(tg_delivery_denials(&a.dlv, acme), 0);
	assert_int_equal(n_sent, 0);
	assert_int_equal(n_asked, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_record_is_one_event_and_one_denial, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_malformed_record_is_counted_drop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sink_drops_reported_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_seccomp_refusal_is_event_and_denial, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_seccomp_refusal_held_back_by_rate_limit, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
