// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: rate limits into the kernel's form and maps, the kernel's
 * counters out as records of what grew (on real BPF maps, filled from
 * here: skipped without the privilege to create them), and their events;
 * the events the agent raises itself asking the kernel's limiter.
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

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agentd/ratelimit.h"
#include "tenantguard/map_abi.h"

static void test_limit_of(void **state)
{
	struct tg_rate r = {.set = 1, .rate = 1000, .burst = 5000};
	struct tg_event_limit l;

	tg_event_limit_of(&r, &l);
	assert_int_equal(l.interval_ns, 1000000);
	assert_int_equal(l.tolerance_ns, 4999ULL * 1000000);
	r = (struct tg_rate){.set = 1, .rate = TG_RATE_MAX, .burst = 1};
	tg_event_limit_of(&r, &l);
	assert_int_equal(l.interval_ns, 1000);
	assert_int_equal(l.tolerance_ns, 0); /* one at a time */
	r = (struct tg_rate){.set = 1, .rate = 3, .burst = TG_BURST_MAX};
	tg_event_limit_of(&r, &l);
	assert_int_equal(l.interval_ns, 333333333);
	assert_int_equal(l.tolerance_ns, (TG_BURST_MAX - 1ULL) * 333333333);
	r = (struct tg_rate){.set = 1}; /* unlimited */
	tg_event_limit_of(&r, &l);
	assert_int_equal(l.interval_ns, 0);
	assert_int_equal(l.tolerance_ns, 0);
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static void test_record_json(void **state)
{
	struct tg_registry reg;
	struct tg_event_fmt f = {.reg = &reg, .host = "h1"};
	__u64 cpus[3] = {0, 5, 2};
	struct tg_rl_record r = {
		.type = TG_RL_SUPPRESSED,
		.tenant = 7,
		.kind = TG_KIND_NET,
		.op = TG_OP_CONNECT,
		.verdict = TG_VERDICT_DENY,
		.count = 12,
		.ncpu = 3,
		.window_start_ns = 1000000000LL,
		.window_end_ns = 2500000000LL,
	};
	struct json_object *o;

	tg_registry_init(&reg);
	o = tg_rl_record_json(&f, &r);
	assert_non_null(o);
	assert_string_equal(str(o, "kind"), "agent");
	assert_string_equal(str(o, "op"), "suppressed");
	assert_string_equal(str(o, "tenant"), "tenant-7");
	assert_string_equal(str(o, "event_kind"), "net");
	assert_string_equal(str(o, "event_op"), "connect");
	assert_string_equal(str(o, "event_verdict"), "deny");
	assert_string_equal(str(o, "suppressed"), "12");
	assert_string_equal(str(o, "window_start"),
			    "1970-01-01T00:00:01.000000000Z");
	assert_string_equal(str(o, "window_end"),
			    "1970-01-01T00:00:02.500000000Z");
	assert_non_null(strstr(str(o, "message"),
			       "12 more events (net connect, deny)"));
	json_object_put(o);

	/* Kind and op unknown: the count had no room for its key. */
	r.kind = r.op = r.verdict = 0;
	o = tg_rl_record_json(&f, &r);
	assert_string_equal(str(o, "event_kind"), "any");
	assert_string_equal(str(o, "event_op"), "any");
	json_object_put(o);

	r = (struct tg_rl_record){
		.type = TG_RL_DROPPED,
		.tenant = 7,
		.reason = "ringbuf_full",
		.count = 7,
		.ncpu = 3,
		.per_cpu = cpus,
	};
	o = tg_rl_record_json(&f, &r);
	assert_string_equal(str(o, "op"), "drop");
	assert_string_equal(str(o, "reason"), "ringbuf_full");
	assert_string_equal(str(o, "dropped"), "7");
	assert_string_equal(json_object_to_json_string_ext(
				    json_object_object_get(o, "cpus"),
				    JSON_C_TO_STRING_PLAIN),
			    "{\"1\":5,\"2\":2}");
	json_object_put(o);
	tg_registry_free(&reg);
}

/* Real maps shaped like bpf/ratelimit.bpf.h's. */
struct maps {
	int limits, gates, counts, supp;
	unsigned int ncpu;
	struct tg_ratelimit *rl;
};

static int maps_setup(void **state)
{
	struct maps *m = calloc(1, sizeof(*m));

	m->ncpu = (unsigned int)libbpf_num_possible_cpus();
	m->limits = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4,
				   sizeof(struct tg_event_limit),
				   TG_MAX_TENANTS + 1, NULL);
	m->gates = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4,
				  sizeof(struct tg_event_gate),
				  TG_MAX_TENANTS + 1, NULL);
	m->counts = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, NULL, 4,
				   sizeof(struct tg_tenant_counts),
				   TG_MAX_TENANTS + 1, NULL);
	m->supp = bpf_map_create(BPF_MAP_TYPE_PERCPU_HASH, NULL,
				 sizeof(struct tg_suppress_key), sizeof(__u64),
				 TG_MAX_SUPPRESS_KEYS, NULL);
	if (m->limits >= 0 && m->gates >= 0 && m->counts >= 0 && m->supp >= 0)
		m->rl = tg_ratelimit_new(
			&(struct tg_rl_maps){.limits_fd = m->limits,
					     .gates_fd = m->gates,
					     .counts_fd = m->counts,
					     .suppressed_fd = m->supp,
					     .reported_counts_fd = -1,
					     .reported_supp_fd = -1,
					     .admit_fd = -1});
	*state = m;
	return 0;
}

static int maps_teardown(void **state)
{
	struct maps *m = *state;

	tg_ratelimit_free(m->rl);
	close(m->limits);
	close(m->gates);
	close(m->counts);
	close(m->supp);
	free(m);
	return 0;
}

#define MAX_RECS 16

struct sink {
	int refuse; /* emit says no */
	unsigned int n;
	struct tg_rl_record r[MAX_RECS];
	__u64 per_cpu[MAX_RECS][4];
};

static int collect(void *ctx, const struct tg_rl_record *r)
{
	struct sink *s = ctx;
	unsigned int c;

	if (s->refuse)
		return -ENOBUFS;
	assert_true(s->n < MAX_RECS);
	s->r[s->n] = *r;
	for (c = 0; r->per_cpu && c < r->ncpu && c < 4; c++)
		s->per_cpu[s->n][c] = r->per_cpu[c];
	s->n++;
	return 0;
}

static void test_poll_counts(void **state)
{
	struct maps *m = *state;
	struct tg_suppress_key k = {.tenant = 3,
				    .op = TG_OP_CONNECT,
				    .kind = TG_KIND_NET,
				    .verdict = TG_VERDICT_DENY};
	struct tg_tenant_counts *tc;
	struct sink s = {};
	__u64 *v;
	__u32 id = 2;
	__s64 end;

	if (!m->rl)
		skip(); /* no privilege to create BPF maps */
	v = calloc(m->ncpu, sizeof(*v));
	tc = calloc(m->ncpu, sizeof(*tc));

	assert_int_equal(tg_ratelimit_poll(m->rl, 10, collect, &s), 0);
	assert_int_equal(s.n, 0); /* nothing happened */

	v[0] = 5;
	v[m->ncpu - 1] += 7;
	assert_int_equal(bpf_map_update_elem(m->supp, &k, v, BPF_ANY), 0);
	tc[0].ringbuf_full = 3;
	tc[m->ncpu - 1].ringbuf_share = 4;
	assert_int_equal(bpf_map_update_elem(m->counts, &id, tc, BPF_ANY), 0);

	/* Refused: nothing counts as reported; all of it comes again. */
	s.refuse = 1;
	assert_int_equal(tg_ratelimit_poll(m->rl, 10, collect, &s), 0);
	assert_int_equal(tg_ratelimit_suppressed(m->rl, 3), 0);
	s.refuse = 0;
	assert_int_equal(tg_ratelimit_poll(m->rl, 10, collect, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.r[0].type, TG_RL_SUPPRESSED);
	assert_int_equal(s.r[0].tenant, 3);
	assert_int_equal(s.r[0].kind, TG_KIND_NET);
	assert_int_equal(s.r[0].op, TG_OP_CONNECT);
	assert_int_equal(s.r[0].count, 12);
	assert_int_equal(s.r[1].type, TG_RL_DROPPED);
	assert_int_equal(s.r[1].tenant, 2);
	assert_string_equal(s.r[1].reason, "ringbuf_full");
	assert_int_equal(s.r[1].count, 3);
	assert_int_equal(s.per_cpu[1][0], 3);
	assert_string_equal(s.r[2].reason, "ringbuf_share");
	assert_int_equal(s.r[2].count, 4);
	if (m->ncpu > 1 && m->ncpu <= 4)
		assert_int_equal(s.per_cpu[2][m->ncpu - 1], 4);
	end = s.r[0].window_end_ns;

	/* Only growth is reported, from where the last report ended. */
	s.n = 0;
	assert_int_equal(tg_ratelimit_poll(m->rl, 10, collect, &s), 0);
	assert_int_equal(s.n, 0);
	v[0] = 6;
	assert_int_equal(bpf_map_update_elem(m->supp, &k, v, BPF_ANY), 0);
	tc[0].suppressed_unkeyed = 2;
	assert_int_equal(bpf_map_update_elem(m->counts, &id, tc, BPF_ANY), 0);
	assert_int_equal(tg_ratelimit_poll(m->rl, 10, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.r[0].count, 1);
	assert_true(s.r[0].window_start_ns >= end);
	assert_int_equal(s.r[1].type, TG_RL_SUPPRESSED); /* without its key */
	assert_int_equal(s.r[1].tenant, 2);
	assert_int_equal(s.r[1].kind, 0);
	assert_int_equal(s.r[1].count, 2);
	assert_int_equal(tg_ratelimit_suppressed(m->rl, 3), 13);
	assert_int_equal(tg_ratelimit_suppressed(m->rl, 2), 2);
	assert_int_equal(tg_ratelimit_dropped(m->rl, 2), 7);

	/* Ids past max_id are not read. */
	id = 300;
	assert_int_equal(bpf_map_update_elem(m->counts, &id, tc, BPF_ANY), 0);
	s.n = 0;
	assert_int_equal(tg_ratelimit_poll(m->rl, 299, collect, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(tg_ratelimit_poll(m->rl, 300, collect, &s), 0);
	assert_int_equal(s.n, 3);
	free(v);
	free(tc);
}

/*
 * A restarted agent given the maps where its predecessor kept what it
 * reported reports what grew since, not the same counts again.
 */
static void test_restart_reports_only_growth(void **state)
{
	struct maps *m = *state;
	struct tg_suppress_key k = {.tenant = 4,
				    .op = TG_OP_OPEN,
				    .kind = TG_KIND_FILE,
				    .verdict = TG_VERDICT_DENY};
	struct tg_rl_maps rm = {.limits_fd = m->limits,
				.gates_fd = m->gates,
				.counts_fd = m->counts,
				.suppressed_fd = m->supp,
				.since_ns = 1000,
				.admit_fd = -1};
	struct tg_tenant_counts *tc;
	struct sink s = {};
	__u64 *v;
	__u32 id = 5;

	if (!m->rl)
		skip();
	rm.reported_counts_fd = bpf_map_create(
		BPF_MAP_TYPE_PERCPU_ARRAY, NULL, 4,
		sizeof(struct tg_tenant_counts), TG_MAX_TENANTS + 1, NULL);
	rm.reported_supp_fd = bpf_map_create(
		BPF_MAP_TYPE_HASH, NULL, sizeof(struct tg_suppress_key),
		sizeof(__u64), TG_MAX_SUPPRESS_KEYS, NULL);
	assert_true(rm.reported_counts_fd >= 0 && rm.reported_supp_fd >= 0);
	v = calloc(m->ncpu, sizeof(*v));
	tc = calloc(m->ncpu, sizeof(*tc));
	tg_ratelimit_free(m->rl);
	m->rl = tg_ratelimit_new(&rm);
	assert_non_null(m->rl);

	v[0] = 9;
	tc[m->ncpu - 1].ringbuf_full = 6;
	assert_int_equal(bpf_map_update_elem(m->supp, &k, v, BPF_ANY), 0);
	assert_int_equal(bpf_map_update_elem(m->counts, &id, tc, BPF_ANY), 0);
	assert_int_equal(tg_ratelimit_poll(m->rl, 10, collect, &s), 0);
	assert_int_equal(s.n, 2);

	/* The next agent: nothing new, nothing reported. */
	tg_ratelimit_free(m->rl);
	m->rl = tg_ratelimit_new(&rm);
	assert_non_null(m->rl);
	s.n = 0;
	assert_int_equal(tg_ratelimit_poll(m->rl, 10, collect, &s), 0);
	assert_int_equal(s.n, 0);

	/* What grew while it was down: only that, from its predecessor's end.
	 */
	v[0] = 11;
	tc[0].ringbuf_full = 1;
	assert_int_equal(bpf_map_update_elem(m->supp, &k, v, BPF_ANY), 0);
	assert_int_equal(bpf_map_update_elem(m->counts, &id, tc, BPF_ANY), 0);
	tg_ratelimit_free(m->rl);
	m->rl = tg_ratelimit_new(&rm);
	assert_int_equal(tg_ratelimit_poll(m->rl, 10, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.r[0].count, 2);
	assert_int_equal(s.r[0].window_start_ns, 1000);
	assert_int_equal(s.r[1].count, 1);
	assert_int_equal(s.per_cpu[1][0], 1);

	/* Without those maps (-1), every count is new again. */
	tg_ratelimit_free(m->rl);
	close(rm.reported_counts_fd);
	close(rm.reported_supp_fd);
	rm.reported_counts_fd = rm.reported_supp_fd = -1;
	m->rl = tg_ratelimit_new(&rm);
	s.n = 0;
	assert_int_equal(tg_ratelimit_poll(m->rl, 10, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.r[0].count, 11);
	free(v);
	free(tc);
}

static void test_apply_limits(void **state)
{
	static const char doc[] =
		"version: 1\nevents: {rate: 100, burst: 10}\n"
		"tenants:\n  acme: {events: {rate: unlimited}}\n"
		"  globex: {}\n";
	static const char doc2[] =
		"version: 1\nevents: {rate: 100, burst: 10}\n"
		"tenants:\n  acme: {events: {rate: 50}}\n  globex: {}\n";
	struct tg_event_gate used = {.tat = 123, .inflight = 9}, g;
	struct tg_tenant_entry e[3] = {};
	struct tg_registry reg = {};
	struct maps *m = *state;
	struct tg_event_limit l;
	struct tg_diag d = {};
	struct tg_policy p;
	__u32 id;

	if (!m->rl)
		skip();
	tg_policy_init(&p);
	assert_int_equal(
		tg_policy_parse(&p, "p.yaml", doc, sizeof(doc) - 1, 1, &d), 0);
	/* acme and globex as named in the policy, zc a zero-config tenant. */
	e[0] = (struct tg_tenant_entry){.id = 1, .name = "acme", .defined = 1};
	e[1] = (struct tg_tenant_entry){
		.id = 2, .name = "globex", .defined = 1};
	e[2] = (struct tg_tenant_entry){.id = 3, .name = "zc"};
	reg.v = e;
	reg.n = 3;
	for (id = 1; id <= 3; id++)
		assert_int_equal(
			bpf_map_update_elem(m->gates, &id, &used, BPF_ANY), 0);
	assert_int_equal(tg_ratelimit_apply(m->rl, &reg, &p), 0);
	id = 1;
	assert_int_equal(bpf_map_lookup_elem(m->limits, &id, &l), 0);
	assert_int_equal(l.interval_ns, 0); /* unlimited: as never written */
	assert_int_equal(bpf_map_lookup_elem(m->gates, &id, &g), 0);
	assert_int_equal(g.tat, 123); /* unchanged limit: untouched */
	for (id = 2; id <= 3; id++) {
		assert_int_equal(bpf_map_lookup_elem(m->limits, &id, &l), 0);
		assert_int_equal(l.interval_ns, 10000000);
		assert_int_equal(l.tolerance_ns, 9 * 10000000ULL);
		assert_int_equal(bpf_map_lookup_elem(m->gates, &id, &g), 0);
		assert_int_equal(g.tat, 0); /* new limit: a full bucket */
		assert_int_equal(g.inflight, 0);
	}
	/* Only a changed limit is written again. */
	for (id = 1; id <= 3; id++)
		assert_int_equal(
			bpf_map_update_elem(m->gates, &id, &used, BPF_ANY), 0);
	tg_policy_free(&p);
	assert_int_equal(
		tg_policy_parse(&p, "p.yaml", doc2, sizeof(doc2) - 1, 1, &d),
		0);
	assert_int_equal(tg_ratelimit_apply(m->rl, &reg, &p), 0);
	id = 1;
	assert_int_equal(bpf_map_lookup_elem(m->limits, &id, &l), 0);
	assert_int_equal(l.interval_ns, 20000000);
	assert_int_equal(bpf_map_lookup_elem(m->gates, &id, &g), 0);
	assert_int_equal(g.tat, 0);
	id = 2;
	assert_int_equal(bpf_map_lookup_elem(m->gates, &id, &g), 0);
	assert_int_equal(g.tat, 123);
	tg_policy_free(&p);
	tg_diag_free(&d);
}

/*
 * tg_ratelimit_admit runs the program it is given with the event's key as
 * its context and follows its answer; without a program every event passes.
 */
static void test_admit_asks_the_program(void **state)
{
	/* r0 = the context's tenant; exit: admits every tenant but 0. */
	struct bpf_insn insns[] = {
		{.code = BPF_LDX | BPF_MEM | BPF_W,
		 .dst_reg = BPF_REG_0,
		 .src_reg = BPF_REG_1,
		 .off = offsetof(struct tg_admit_args, tenant)},
		{.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, po, .prog_flags = BPF_F_SLEEPABLE);
	struct maps *m = *state;
	struct tg_ratelimit *rl;
	int fd;

	assert_int_equal(tg_ratelimit_admit(NULL, 0, TG_KIND_FILE, TG_OP_OPEN,
					    TG_VERDICT_DENY),
			 1);
	if (!m->rl)
		skip();
	/* No program (admit_fd -1): passes. */
	assert_int_equal(tg_ratelimit_admit(m->rl, 0, TG_KIND_FILE, TG_OP_OPEN,
					    TG_VERDICT_DENY),
			 1);
	fd = bpf_prog_load(BPF_PROG_TYPE_SYSCALL, NULL, "GPL", insns,
			   sizeof(insns) / sizeof(insns[0]), &po);
	if (fd < 0)
		skip();
	rl = tg_ratelimit_new(&(struct tg_rl_maps){.limits_fd = m->limits,
						   .gates_fd = m->gates,
						   .counts_fd = m->counts,
						   .suppressed_fd = m->supp,
						   .reported_counts_fd = -1,
						   .reported_supp_fd = -1,
						   .admit_fd = fd});
	assert_non_null(rl);
	assert_int_equal(tg_ratelimit_admit(rl, 0, TG_KIND_FILE, TG_OP_OPEN,
					    TG_VERDICT_DENY),
			 0);
	assert_int_equal(
		tg_ratelimit_admit(rl, 7, TG_KIND_SECCOMP, 0, TG_VERDICT_DENY),
		1);
	tg_ratelimit_free(rl);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_of),
		cmocka_unit_test(test_record_json),
		cmocka_unit_test_setup_teardown(test_poll_counts, maps_setup,
						maps_teardown),
		cmocka_unit_test_setup_teardown(
			test_restart_reports_only_growth, maps_setup,
			maps_teardown),
		cmocka_unit_test_setup_teardown(test_apply_limits, maps_setup,
						maps_teardown),
		cmocka_unit_test_setup_teardown(test_admit_asks_the_program,
						maps_setup, maps_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
