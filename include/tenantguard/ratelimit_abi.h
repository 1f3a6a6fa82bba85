/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Per-tenant event rate limits and the counters of events that did not
 * reach the agent (suppressed by a rate limit, or dropped at the ring
 * buffer). Keys and values of the maps in bpf/ratelimit.bpf.h; shared by
 * bpf/ and agent/.
 */
#ifndef TENANTGUARD_RATELIMIT_ABI_H
#define TENANTGUARD_RATELIMIT_ABI_H

#include <linux/types.h>

#define TG_MAX_SUPPRESS_KEYS 16384 /* entries of suppressed */

/*
 * The ring buffer's reserve: once fewer than size >> TG_RB_RESERVE_SHIFT
 * bytes are free, a tenant may add a record only while its bytes in flight
 * (written since the agent last consumed all of its records) stay within
 * one share, reserve >> TG_RB_SHARE_SHIFT.
 */
#define TG_RB_RESERVE_SHIFT 2 /* reserve: a quarter of the ring */
#define TG_RB_SHARE_SHIFT   2 /* share: a quarter of the reserve */

/* Value of event_limits (key: __u32 tenant id), written by the agent. */
struct tg_event_limit {
	__u64 interval_ns;  /* 1e9 / rate; 0: no rate limit */
	__u64 tolerance_ns; /* (burst - 1) * interval_ns */
};

/* Value of event_gates (key: __u32 tenant id); the kernel's state. */
struct tg_event_gate {
	__u64 tat; /* token bucket as GCRA: theoretical arrival time, ktime ns
		    */
	__u64 last_end; /* ring producer position after its last record */
	__u64 inflight; /* ring bytes written since all its records were
			   consumed */
	__u64 pad;	/* zero */
};

/* Key of suppressed (per-CPU hash, value __u64 count). */
struct tg_suppress_key {
	__u32 tenant; /* actor's tenant id */
	__u16 op;     /* enum tg_op */
	__u8 kind;    /* enum tg_kind */
	__u8 verdict; /* enum tg_verdict */
};

/* Value of tenant_counts (per-CPU array, key: __u32 tenant id). */
struct tg_tenant_counts {
	__u64 ringbuf_full;  /* bpf_ringbuf_output failed: no room */
	__u64 ringbuf_share; /* refused: ring in its reserve, tenant's share
				used */
	__u64 suppressed_unkeyed; /* suppressed while suppressed had no room */
};

/*
 * Context of the program tg_admit_event (BPF_PROG_TEST_RUN): an event the
 * agent itself raises (a fanotify refusal, a seccomp refusal) passes its
 * tenant's rate limit there, as the kernel's own events do. Return value:
 * 1 to report it, 0 if it was suppressed (and counted).
 */
struct tg_admit_args {
	__u32 tenant; /* actor's tenant id */
	__u16 op;     /* enum tg_op; 0 when no op names it */
	__u8 kind;    /* enum tg_kind */
	__u8 verdict; /* enum tg_verdict */
};

_Static_assert(sizeof(struct tg_event_limit) == 16, "tg_event_limit");
_Static_assert(sizeof(struct tg_event_gate) == 32, "tg_event_gate");
_Static_assert(__builtin_offsetof(struct tg_event_gate, inflight) == 16,
	       "inflight");
_Static_assert(sizeof(struct tg_suppress_key) == 8, "tg_suppress_key");
_Static_assert(__builtin_offsetof(struct tg_suppress_key, kind) == 6, "kind");
_Static_assert(sizeof(struct tg_tenant_counts) == 24, "tg_tenant_counts");
_Static_assert(sizeof(struct tg_admit_args) == 8, "tg_admit_args");
_Static_assert(__builtin_offsetof(struct tg_admit_args, kind) == 6,
	       "tg_admit_args.kind");

#endif /* TENANTGUARD_RATELIMIT_ABI_H */
