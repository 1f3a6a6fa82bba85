/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_AGENTD_RATELIMIT_H
#define TG_AGENTD_RATELIMIT_H

#include <linux/types.h>

#include "agentd/event_text.h"
#include "policy/policy.h"
#include "policy/registry.h"
#include "tenantguard/ratelimit_abi.h"

/*
 * The agent's side of bpf/ratelimit.bpf.h: writes each tenant's rate limit
 * into the kernel, and turns the kernel's monotonic counters of suppressed
 * and dropped events into records of what changed since the last poll.
 */
struct tg_ratelimit;

enum tg_rl_type {
	TG_RL_SUPPRESSED, /* held back by the tenant's rate limit */
	TG_RL_DROPPED,	  /* no room in the ring buffer */
};

/* What happened to count events of tenant between two polls. */
struct tg_rl_record {
	enum tg_rl_type type;
	__u32 tenant;		 /* tenant id */
	__u32 kind, op, verdict; /* suppressed: of the events; 0 when unknown */
	const char *reason; /* dropped: "ringbuf_full" or "ringbuf_share" */
	__u64 count;
	unsigned int ncpu;
	const __u64 *per_cpu;  /* dropped: count per CPU, ncpu entries */
	__s64 window_start_ns; /* CLOCK_REALTIME of the previous poll */
	__s64 window_end_ns;   /* CLOCK_REALTIME of this poll */
};

/*
 * Hand one record on (as an event). Non-zero if it cannot be taken now:
 * the poll stops and the record comes again, larger, at the next poll.
 */
typedef int (*tg_rl_emit_fn)(void *ctx, const struct tg_rl_record *r);

/*
 * A rate limiter on the kernel maps event_limits, event_gates, tenant_counts
 * and suppressed, given as fds (not taken over). NULL with errno.
 */
/* The descriptors of the rate limit maps (the loader fills them in). */
struct tg_rl_maps {
	int limits_fd;	   /* event_limits */
	int gates_fd;	   /* event_gates */
	int counts_fd;	   /* tenant_counts */
	int suppressed_fd; /* suppressed */
	/*
	 * Where the counts already reported are kept across restarts (the
	 * pin directory's reported_counts and reported_suppressed), or -1;
	 * since_ns: when the last agent reported them.
	 */
	int reported_counts_fd, reported_supp_fd;
	__s64 since_ns;
	/*
	 * The program tg_admit_event, through which the events the agent
	 * raises itself pass the same rate limits; -1 if none.
	 */
	int admit_fd;
};

struct tg_ratelimit *tg_ratelimit_new(const struct tg_rl_maps *m);
void tg_ratelimit_free(struct tg_ratelimit *rl);

/* The kernel form of a policy rate limit. */
void tg_event_limit_of(const struct tg_rate *r, struct tg_event_limit *out);

/*
 * Give every tenant of the registry its rate limit from policy p (its own,
 * else the policy's), and the pending actor the policy's. Only changed
 * limits are written; a tenant whose limit
 * changes starts again with a full bucket. 0 or -errno.
 */
int tg_ratelimit_apply(struct tg_ratelimit *rl, const struct tg_registry *reg,
		       const struct tg_policy *p);

/*
 * Read the kernel's counters for tenant ids 0..max_id and TG_TENANT_PENDING
 * and emit a record for every count that grew since it was last emitted.
 * 0 or -errno.
 */
int tg_ratelimit_poll(struct tg_ratelimit *rl, __u32 max_id, tg_rl_emit_fn emit,
		      void *ctx);

/*
 * Whether an event the agent raises itself (kind, op, verdict, of tenant id:
 * a fanotify or seccomp refusal) may be reported: 1, or 0 when its tenant's
 * rate limit holds it back, counted in the kernel's suppressed map like the
 * kernel's own events and summarised by tg_ratelimit_poll. Same bucket as
 * the tenant's kernel events. 1 without a rate limiter or when the check
 * cannot run (the event is then reported or counted as dropped). Safe from
 * any thread.
 */
int tg_ratelimit_admit(const struct tg_ratelimit *rl, __u32 id, __u32 kind,
		       __u32 op, __u32 verdict);

/* Events of tenant id reported so far as suppressed, and as dropped. */
__u64 tg_ratelimit_suppressed(const struct tg_ratelimit *rl, __u32 id);
__u64 tg_ratelimit_dropped(const struct tg_ratelimit *rl, __u32 id);

/* The "kind: agent" event of a record. NULL with errno. */
struct json_object *tg_rl_record_json(const struct tg_event_fmt *f,
				      const struct tg_rl_record *r);

#endif /* TG_AGENTD_RATELIMIT_H */
