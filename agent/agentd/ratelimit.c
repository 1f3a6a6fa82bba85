// SPDX-License-Identifier: GPL-2.0
/*
 * Per-tenant event rate limits into the kernel, and the kernel's counts of
 * suppressed and dropped events out of it, as records of what changed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agentd/policy_maps.h"
#include "agentd/ratelimit.h"
#include "common/clock.h"
#include "common/event_filter.h"
#include "common/text.h"
#include "tenantguard/map_abi.h"

#define NREASONS 3   /* the fields of struct tg_tenant_counts */
#define BATCH	 256 /* tenant ids read per system call */

/* What was last emitted for one key of suppressed. */
struct key_state {
	struct tg_suppress_key key;
	__u64 reported; /* sum over CPUs when last emitted */
	__s64 since_ns; /* poll time of that sum */
};

/* What was last emitted of one tenant's tenant_counts, per CPU. */
struct tenant_state {
	__s64 since_ns[NREASONS];
	__u64 prev[]; /* [cpu * NREASONS + reason] */
};

struct tg_ratelimit {
	int limits_fd, gates_fd, counts_fd, supp_fd;
	int rep_counts_fd, rep_supp_fd; /* what was reported, kept; or -1 */
	int admit_fd;			/* tg_admit_event, or -1 */
	unsigned int ncpu;
	struct tg_event_limit *mirror; /* event_limits as written, per id */
	void *keys;		       /* tsearch tree of struct key_state */
	struct tenant_state **tenants; /* per id; NULL while all zero */
	__u64 *suppressed, *dropped;   /* per id: totals emitted */
	__s64 last_poll_ns;
	__u64 *cur;   /* scratch: BATCH ids of per-CPU counts */
	__u32 *ids;   /* scratch: BATCH ids */
	__u64 *vals;  /* scratch: one key's per-CPU values */
	__u64 *delta; /* scratch: growth per CPU */
};

static int key_cmp(const void *a, const void *b);

/*
 * What an earlier agent reported, so that its counts are not reported
 * again and what grew since is: the per-CPU counts of each tenant and the
 * total of each suppressed key.
 */
static int restore(struct tg_ratelimit *rl)
{
	struct tg_suppress_key key, next;
	struct key_state *ks;
	void *prev = NULL;
	unsigned int c;
	__u64 sum;
	__u32 id;

	for (id = 0; rl->rep_counts_fd >= 0 && id <= TG_MAX_TENANTS; id++) {
		if (bpf_map_lookup_elem(rl->rep_counts_fd, &id, rl->cur))
			continue;
		for (sum = 0, c = 0; c < rl->ncpu * NREASONS; c++)
			sum += rl->cur[c];
		if (!sum)
			continue;
		rl->tenants[id] =
			calloc(1, sizeof(struct tenant_state) +
					  sizeof(__u64) * NREASONS * rl->ncpu);
		if (!rl->tenants[id])
			return -ENOMEM;
		memcpy(rl->tenants[id]->prev, rl->cur,
		       sizeof(__u64) * NREASONS * rl->ncpu);
		for (c = 0; c < NREASONS; c++)
			rl->tenants[id]->since_ns[c] = rl->last_poll_ns;
	}
	while (rl->rep_supp_fd >= 0 &&
	       !bpf_map_get_next_key(rl->rep_supp_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(rl->rep_supp_fd, &key, &sum))
			continue;
		ks = calloc(1, sizeof(*ks));
		if (!ks)
			return -ENOMEM;
		ks->key = key;
		ks->reported = sum;
		ks->since_ns = rl->last_poll_ns;
		if (!tsearch(ks, &rl->keys, key_cmp)) {
			free(ks);
			return -ENOMEM;
		}
	}
	return 0;
}

struct tg_ratelimit *tg_ratelimit_new(const struct tg_rl_maps *m)
{
	struct tg_ratelimit *rl;
	int ncpu = libbpf_num_possible_cpus();

	if (ncpu <= 0) {
		errno = ncpu ? -ncpu : EINVAL;
		return NULL;
	}
	rl = calloc(1, sizeof(*rl));
	if (!rl)
		return NULL;
	rl->limits_fd = m->limits_fd;
	rl->gates_fd = m->gates_fd;
	rl->counts_fd = m->counts_fd;
	rl->supp_fd = m->suppressed_fd;
	rl->rep_counts_fd = m->reported_counts_fd;
	rl->rep_supp_fd = m->reported_supp_fd;
	rl->admit_fd = m->admit_fd;
	rl->ncpu = (unsigned int)ncpu;
	rl->last_poll_ns = m->since_ns ?: tg_clock_ns(CLOCK_REALTIME);
	rl->mirror = calloc(TG_MAX_TENANTS + 1, sizeof(*rl->mirror));
	rl->tenants = calloc(TG_MAX_TENANTS + 1, sizeof(*rl->tenants));
	rl->suppressed = calloc(TG_MAX_TENANTS + 1, sizeof(__u64));
	rl->dropped = calloc(TG_MAX_TENANTS + 1, sizeof(__u64));
	rl->cur = calloc((size_t)BATCH * rl->ncpu,
			 sizeof(struct tg_tenant_counts));
	rl->ids = calloc(BATCH, sizeof(__u32));
	rl->vals = calloc(rl->ncpu, sizeof(__u64));
	rl->delta = calloc(rl->ncpu, sizeof(__u64));
	if (!rl->mirror || !rl->tenants || !rl->suppressed || !rl->dropped ||
	    !rl->cur || !rl->ids || !rl->vals || !rl->delta) {
		tg_ratelimit_free(rl);
		errno = ENOMEM;
		return NULL;
	}
	if (restore(rl)) {
		tg_ratelimit_free(rl);
		errno = ENOMEM;
		return NULL;
	}
	return rl;
}

void tg_ratelimit_free(struct tg_ratelimit *rl)
{
	unsigned int i;

	if (!rl)
		return;
	tdestroy(rl->keys, free);
	for (i = 0; rl->tenants && i <= TG_MAX_TENANTS; i++)
		free(rl->tenants[i]);
	free(rl->tenants);
	free(rl->mirror);
	free(rl->suppressed);
	free(rl->dropped);
	free(rl->cur);
	free(rl->ids);
	free(rl->vals);
	free(rl->delta);
	free(rl);
}

void tg_event_limit_of(const struct tg_rate *r, struct tg_event_limit *out)
{
	memset(out, 0, sizeof(*out));
	if (!r->rate)
		return;
	out->interval_ns = 1000000000ULL / r->rate;
	out->tolerance_ns = (r->burst ? r->burst - 1ULL : 0) * out->interval_ns;
}

/* Id's limit r into limits (and a fresh bucket into gates) if it changed. */
static int add_limit(struct tg_ratelimit *rl, struct tg_kv_set *limits,
		     struct tg_kv_set *gates, __u32 id, const struct tg_rate *r)
{
	static const struct tg_event_gate fresh;
	struct tg_event_limit lim;
	int err;

	if (id > TG_MAX_TENANTS)
		return 0;
	tg_event_limit_of(r, &lim);
	if (!memcmp(&lim, &rl->mirror[id], sizeof(lim)))
		return 0;
	err = tg_kv_add(limits, &id, &lim);
	return err ?: tg_kv_add(gates, &id, &fresh);
}

int tg_ratelimit_apply(struct tg_ratelimit *rl, const struct tg_registry *reg,
		       const struct tg_policy *p)
{
	struct tg_kv_set limits, gates;
	struct tg_event_limit lim;
	size_t i;
	int err = 0;

	tg_kv_init(&limits, sizeof(__u32), sizeof(lim));
	tg_kv_init(&gates, sizeof(__u32), sizeof(struct tg_event_gate));
	for (i = 0; i < reg->n && !err; i++) {
		const struct tg_tenant_entry *e = &reg->v[i];

		err = add_limit(rl, &limits, &gates, e->id,
				tg_policy_tenant_rate(
					p, e->defined
						   ? tg_policy_find(p, e->name)
						   : NULL));
	}
	/* The pending actor: the limit of tenants without one of their own. */
	err = err
		      ?: add_limit(rl, &limits, &gates, TG_TENANT_PENDING,
				   tg_policy_tenant_rate(p, NULL));
	/* New limits first, then empty buckets that follow them. */
	err = err ?: tg_kv_write(rl->limits_fd, &limits);
	err = err ?: tg_kv_write(rl->gates_fd, &gates);
	for (i = 0; !err && i < limits.n; i++) {
		const unsigned char *row =
			limits.rows + i * (limits.ksz + limits.vsz);
		__u32 id;

		memcpy(&id, row, sizeof(id));
		memcpy(&rl->mirror[id], row + sizeof(id), sizeof(lim));
	}
	tg_kv_free(&limits);
	tg_kv_free(&gates);
	return err;
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct key_state *)a)->key,
		      &((const struct key_state *)b)->key,
		      sizeof(struct tg_suppress_key));
}

/* Emit the growth of every key of suppressed; -EAGAIN if emit refused. */
static int poll_suppressed(struct tg_ratelimit *rl, __s64 now,
			   tg_rl_emit_fn emit, void *ctx)
{
	struct tg_suppress_key key, next;
	struct key_state probe, *ks, **slot;
	struct tg_rl_record r;
	void *prev = NULL;
	unsigned int c;
	__u64 sum;

	while (bpf_map_get_next_key(rl->supp_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(rl->supp_fd, &key, rl->vals))
			continue;
		for (sum = 0, c = 0; c < rl->ncpu; c++)
			sum += rl->vals[c];
		probe.key = key;
		slot = tfind(&probe, &rl->keys, key_cmp);
		if (!slot) {
			ks = calloc(1, sizeof(*ks));
			if (!ks)
				return -ENOMEM;
			ks->key = key;
			ks->since_ns = rl->last_poll_ns;
			if (!tsearch(ks, &rl->keys, key_cmp)) {
				free(ks);
				return -ENOMEM;
			}
		} else {
			ks = *slot;
		}
		if (sum == ks->reported)
			continue;
		r = (struct tg_rl_record){
			.type = TG_RL_SUPPRESSED,
			.tenant = key.tenant,
			.kind = key.kind,
			.op = key.op,
			.verdict = key.verdict,
			.count = sum - ks->reported,
			.ncpu = rl->ncpu,
			.window_start_ns = ks->since_ns,
			.window_end_ns = now,
		};
		if (emit(ctx, &r))
			return -EAGAIN;
		ks->reported = sum;
		ks->since_ns = now;
		if (rl->rep_supp_fd >= 0)
			bpf_map_update_elem(rl->rep_supp_fd, &key, &sum,
					    BPF_ANY);
		if (key.tenant <= TG_MAX_TENANTS)
			rl->suppressed[key.tenant] += r.count;
	}
	return 0;
}

/* Emit the growth of tenant id's counts (cur: per CPU); -EAGAIN if refused. */
static int poll_tenant(struct tg_ratelimit *rl, __u32 id,
		       const struct tg_tenant_counts *cur, __s64 now,
		       tg_rl_emit_fn emit, void *ctx)
{
	static const char *const reasons[NREASONS] = {"ringbuf_full",
						      "ringbuf_share", NULL};
	struct tenant_state *ts = rl->tenants[id];
	__u64 *delta = rl->delta, now_v, total;
	struct tg_rl_record r;
	unsigned int c, k;

	if (!ts) {
		for (c = 0; c < rl->ncpu; c++)
			if (cur[c].ringbuf_full || cur[c].ringbuf_share ||
			    cur[c].suppressed_unkeyed)
				break;
		if (c == rl->ncpu)
			return 0;
		ts = calloc(1,
			    sizeof(*ts) + sizeof(__u64) * NREASONS * rl->ncpu);
		if (!ts)
			return -ENOMEM;
		for (k = 0; k < NREASONS; k++)
			ts->since_ns[k] = rl->last_poll_ns;
		rl->tenants[id] = ts;
	}
	for (k = 0; k < NREASONS; k++) {
		for (total = 0, c = 0; c < rl->ncpu; c++) {
			now_v = ((const __u64 *)&cur[c])[k];
			delta[c] = now_v - ts->prev[c * NREASONS + k];
			total += delta[c];
		}
		if (!total)
			continue;
		r = (struct tg_rl_record){
			.type = reasons[k] ? TG_RL_DROPPED : TG_RL_SUPPRESSED,
			.tenant = id,
			.reason = reasons[k],
			.count = total,
			.ncpu = rl->ncpu,
			.per_cpu = delta,
			.window_start_ns = ts->since_ns[k],
			.window_end_ns = now,
		};
		if (emit(ctx, &r))
			return -EAGAIN;
		for (c = 0; c < rl->ncpu; c++)
			ts->prev[c * NREASONS + k] += delta[c];
		ts->since_ns[k] = now;
		if (reasons[k])
			rl->dropped[id] += total;
		else
			rl->suppressed[id] += total;
		if (rl->rep_counts_fd >= 0)
			bpf_map_update_elem(rl->rep_counts_fd, &id, ts->prev,
					    BPF_ANY);
	}
	return 0;
}

/* Read tenant_counts of ids first..first+n-1 into rl->cur (per id, per CPU). */
static int read_counts(struct tg_ratelimit *rl, __u32 first, __u32 n)
{
	size_t per_id = rl->ncpu * sizeof(struct tg_tenant_counts);
	__u32 count = n, i, prev = first - 1, out = 0;
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	int err;

	err = bpf_map_lookup_batch(rl->counts_fd, first ? &prev : NULL, &out,
				   rl->ids, rl->cur, &count, &bo);
	if ((!err || err == -ENOENT) && count == n) {
		for (i = 0; i < n; i++)
			if (rl->ids[i] != first + i)
				break;
		if (i == n)
			return 0;
	}
	/* Without batch lookups: one id at a time. */
	for (i = 0; i < n; i++) {
		__u32 id = first + i;

		if (bpf_map_lookup_elem(rl->counts_fd, &id,
					(char *)rl->cur + i * per_id))
			return -errno;
	}
	return 0;
}

int tg_ratelimit_poll(struct tg_ratelimit *rl, __u32 max_id, tg_rl_emit_fn emit,
		      void *ctx)
{
	size_t per_id = rl->ncpu * sizeof(struct tg_tenant_counts);
	__s64 now = tg_clock_ns(CLOCK_REALTIME);
	__u32 first, n, i;
	int err;

	if (max_id >= TG_TENANT_PENDING)
		max_id = TG_TENANT_PENDING - 1;
	err = poll_suppressed(rl, now, emit, ctx);
	for (first = 0; !err && first <= max_id; first += n) {
		n = max_id - first + 1 < BATCH ? max_id - first + 1 : BATCH;
		err = read_counts(rl, first, n);
		for (i = 0; !err && i < n; i++)
			err = poll_tenant(
				rl, first + i,
				(const struct tg_tenant_counts
					 *)((char *)rl->cur + i * per_id),
				now, emit, ctx);
	}
	/* And the pending actor's. */
	err = err ?: read_counts(rl, TG_TENANT_PENDING, 1);
	err = err
		      ?: poll_tenant(rl, TG_TENANT_PENDING,
				     (const struct tg_tenant_counts *)rl->cur,
				     now, emit, ctx);
	rl->last_poll_ns = now;
	return err == -EAGAIN ? 0 : err;
}

int tg_ratelimit_admit(const struct tg_ratelimit *rl, __u32 id, __u32 kind,
		       __u32 op, __u32 verdict)
{
	struct tg_admit_args args = {
		.tenant = id,
		.op = (__u16)op,
		.kind = (__u8)kind,
		.verdict = (__u8)verdict,
	};
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &args,
		    .ctx_size_in = sizeof(args));

	if (!rl || rl->admit_fd < 0)
		return 1;
	/* The limiter of the kernel's events, on the same maps. */
	if (bpf_prog_test_run_opts(rl->admit_fd, &o))
		return 1;
	return o.retval != 0;
}

__u64 tg_ratelimit_suppressed(const struct tg_ratelimit *rl, __u32 id)
{
	return id <= TG_MAX_TENANTS ? rl->suppressed[id] : 0;
}

__u64 tg_ratelimit_dropped(const struct tg_ratelimit *rl, __u32 id)
{
	return id <= TG_MAX_TENANTS ? rl->dropped[id] : 0;
}

static const char *name_or_any(const char *name)
{
	return name ? name : "any";
}

/* Per-CPU counts as {"cpu": count}, CPUs without any left out. */
static struct json_object *cpus_json(const struct tg_rl_record *r)
{
	struct json_object *o = json_object_new_object();
	char cpu[16];
	unsigned int c;

	for (c = 0; o && r->per_cpu && c < r->ncpu; c++) {
		if (!r->per_cpu[c])
			continue;
		snprintf(cpu, sizeof(cpu), "%u", c);
		json_object_object_add(
			o, cpu, json_object_new_int64((int64_t)r->per_cpu[c]));
	}
	return o;
}

struct json_object *tg_rl_record_json(const struct tg_event_fmt *f,
				      const struct tg_rl_record *r)
{
	const char *kind = name_or_any(tg_kind_name(r->kind));
	const char *op = name_or_any(tg_op_name(r->op));
	const char *verdict = name_or_any(tg_verdict_name(r->verdict));
	unsigned long long n = (unsigned long long)r->count;
	struct json_object *o;
	char msg[256], buf[32];
	const char *tenant;
	int err = 0;

	tenant = tg_registry_name(f->reg, r->tenant, buf, sizeof(buf));
	if (r->type == TG_RL_SUPPRESSED) {
		snprintf(msg, sizeof(msg),
			 "%llu more events (%s %s, %s) of tenant %s suppressed "
			 "by its rate limit in this window",
			 n, kind, op, verdict, tenant);
		o = tg_agent_event(f, "suppressed", TG_VERDICT_SUPPRESSED, msg);
	} else {
		snprintf(msg, sizeof(msg),
			 "%llu events of tenant %s dropped: %s", n, tenant,
			 strcmp(r->reason, "ringbuf_full") == 0
				 ? "the kernel ring buffer was full"
				 : "the ring buffer was in its reserve and the "
				   "tenant had used its share");
		o = tg_agent_event(f, "drop", TG_VERDICT_DROPPED, msg);
	}
	if (!o)
		return NULL;
	err = err
		      ?: json_object_object_add(o, "tenant",
						json_object_new_string(tenant));
	if (r->type == TG_RL_SUPPRESSED) {
		err = err
			      ?: json_object_object_add(
					 o, "event_kind",
					 json_object_new_string(kind));
		err = err
			      ?: json_object_object_add(
					 o, "event_op",
					 json_object_new_string(op));
		err = err
			      ?: json_object_object_add(
					 o, "event_verdict",
					 json_object_new_string(verdict));
		err = err
			      ?: json_object_object_add(
					 o, "suppressed",
					 json_object_new_int64(
						 (int64_t)r->count));
	} else {
		err = err
			      ?: json_object_object_add(
					 o, "reason",
					 json_object_new_string(r->reason));
		err = err
			      ?: json_object_object_add(
					 o, "dropped",
					 json_object_new_int64(
						 (int64_t)r->count));
		err = err ?: json_object_object_add(o, "cpus", cpus_json(r));
	}
	err = err ?: tg_json_add_time(o, "window_start", r->window_start_ns);
	err = err ?: tg_json_add_time(o, "window_end", r->window_end_ns);
	if (err) {
		json_object_put(o);
		errno = ENOMEM;
		return NULL;
	}
	return o;
}
