/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-tenant rate limits on events and exact counts of what did not reach
 * the agent. Included by common.bpf.h after the events ring buffer; every
 * map here is shared by every object like the ones in common.bpf.h.
 *
 * Every event a program starts is, exactly once, either written to the ring
 * buffer, counted in suppressed (its tenant's token bucket was empty), or
 * counted in tenant_counts (no room in the ring buffer, or the ring is in
 * its reserve and the tenant has used its share of it). The agent turns the
 * counters into events, so delivered + suppressed + dropped is what happened.
 */
#ifndef TG_RATELIMIT_BPF_H
#define TG_RATELIMIT_BPF_H

#include "tenantguard/ratelimit_abi.h"

#define TG_READ_ONCE_U64(x) (*(volatile __u64 *)&(x))
#define TG_CAS_TRIES	    4

/* Per tenant id: the rate limit in force, written by the agent. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TG_MAX_TENANTS + 1);
	__type(key, __u32);
	__type(value, struct tg_event_limit);
} event_limits SEC(".maps");

/* Per tenant id: token bucket and ring buffer share state. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TG_MAX_TENANTS + 1);
	__type(key, __u32);
	__type(value, struct tg_event_gate);
} event_gates SEC(".maps");

/* Per tenant id and CPU: events dropped, by reason (monotonic). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TG_MAX_TENANTS + 1);
	__type(key, __u32);
	__type(value, struct tg_tenant_counts);
} tenant_counts SEC(".maps");

/* Per (tenant, kind, op, verdict) and CPU: events suppressed (monotonic). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, TG_MAX_SUPPRESS_KEYS);
	__type(key, struct tg_suppress_key);
	__type(value, __u64);
} suppressed SEC(".maps");

/* This CPU's counters of tenant id (slot 0 if id is out of range). */
static __always_inline struct tg_tenant_counts *tg_tenant_counts(__u32 id)
{
	struct tg_tenant_counts *c;
	__u32 zero = 0;

	c = bpf_map_lookup_elem(&tenant_counts, &id);
	if (!c)
		c = bpf_map_lookup_elem(&tenant_counts, &zero);
	return c;
}

/* Count one suppressed event; atomic, as a program may be preempted. */
static __always_inline void tg_count_suppressed(__u32 id, __u32 kind, __u32 op,
						__u32 verdict)
{
	struct tg_suppress_key k = {
		.tenant = id,
		.op = (__u16)op,
		.kind = (__u8)kind,
		.verdict = (__u8)verdict,
	};
	struct tg_tenant_counts *c;
	__u64 one = 1, *n;

	n = bpf_map_lookup_elem(&suppressed, &k);
	if (!n) {
		/* The insert counts it, unless a racing one came first. */
		if (!bpf_map_update_elem(&suppressed, &k, &one, BPF_NOEXIST))
			return;
		n = bpf_map_lookup_elem(&suppressed, &k);
	}
	if (n) {
		__sync_fetch_and_add(n, 1);
		return;
	}
	/* No room for the key: still counted, per tenant without the kind. */
	c = tg_tenant_counts(id);
	if (c)
		__sync_fetch_and_add(&c->suppressed_unkeyed, 1);
}

/*
 * Whether tenant id's token bucket lets one more event through; if not,
 * the event is counted as suppressed. The bucket is GCRA over one 64-bit
 * word updated by compare-and-swap: no lock, exact under concurrency.
 */
static __always_inline int tg_event_admit(__u32 id, __u32 kind, __u32 op,
					  __u32 verdict)
{
	const struct tg_event_limit *lim;
	struct tg_event_gate *g;
	__u64 now, old, tat, interval;
	int i;

	lim = bpf_map_lookup_elem(&event_limits, &id);
	if (!lim)
		return 1;
	interval = TG_READ_ONCE_U64(lim->interval_ns);
	if (!interval)
		return 1;
	g = bpf_map_lookup_elem(&event_gates, &id);
	if (!g)
		return 1;
	now = bpf_ktime_get_ns();
	for (i = 0; i < TG_CAS_TRIES; i++) {
		old = TG_READ_ONCE_U64(g->tat);
		tat = old > now ? old : now;
		if (tat - now > TG_READ_ONCE_U64(lim->tolerance_ns)) {
			tg_count_suppressed(id, kind, op, verdict);
			return 0;
		}
		if (__sync_val_compare_and_swap(&g->tat, old, tat + interval) ==
		    old)
			return 1;
	}
	/* Lost every race: let it through (it is delivered or counted). */
	return 1;
}

/*
 * Write len bytes of rec (an event of tenant id) to the ring buffer, or
 * count why not. While more than the reserve is free anyone may write;
 * within the reserve only a tenant whose bytes in flight fit its share.
 * One tenant's flood thus leaves the reserve, less one share, to others.
 * Returns 0 when written, -1 when dropped (counted).
 */
static __always_inline int tg_event_output(void *rec, __u64 len, __u32 id)
{
	__u64 recsz = (len + BPF_RINGBUF_HDR_SZ + 7) & ~7ULL;
	__u64 size, cons, prod, reserve, share;
	struct tg_tenant_counts *c;
	struct tg_event_gate *g;
	__u32 zero = 0;
	__u64 *drops;

	g = bpf_map_lookup_elem(&event_gates, &id);
	if (g) {
		size = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);
		cons = bpf_ringbuf_query(&events, BPF_RB_CONS_POS);
		prod = bpf_ringbuf_query(&events, BPF_RB_PROD_POS);
		reserve = size >> TG_RB_RESERVE_SHIFT;
		/* All of its records consumed: nothing of it in flight. */
		if (TG_READ_ONCE_U64(g->last_end) <= cons)
			g->inflight = 0;
		share = reserve >> TG_RB_SHARE_SHIFT;
		if (prod - cons + recsz > size - reserve &&
		    TG_READ_ONCE_U64(g->inflight) + recsz > share) {
			c = tg_tenant_counts(id);
			if (c)
				__sync_fetch_and_add(&c->ringbuf_share, 1);
			goto out_dropped;
		}
	}
	if (bpf_ringbuf_output(&events, rec, len, 0) == 0) {
		if (g) {
			__sync_fetch_and_add(&g->inflight, recsz);
			g->last_end =
				bpf_ringbuf_query(&events, BPF_RB_PROD_POS);
		}
		return 0;
	}
	c = tg_tenant_counts(id);
	if (c)
		__sync_fetch_and_add(&c->ringbuf_full, 1);
out_dropped:
	drops = bpf_map_lookup_elem(&event_drops, &zero);
	if (drops)
		__sync_fetch_and_add(drops, 1);
	return -1;
}

#endif /* TG_RATELIMIT_BPF_H */
