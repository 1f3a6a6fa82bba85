/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_AGENTD_DELIVERY_H
#define TG_AGENTD_DELIVERY_H

#include <linux/types.h>

#include "common/metrics.h"
#include "agentd/sink.h"

struct json_object;
struct tg_event_fmt;

/*
 * The agent's account of its events: how many of each kind, verdict and
 * tenant it produced, what the sink dropped and why (reported as
 * "kind: agent, op: drop" events), when the collector could not write its
 * log (reported as "op: log_stalled" once it stores again), for status and
 * the metrics file.
 */
struct tg_delivery {
	struct tg_sink *sink;
	struct tg_counts events; /* "kind\tverdict\ttenant" -> count */
	/* Sink counters already reported as events. */
	__u64 rep_queue_full, rep_spool_full, rep_spool_error, rep_oversized,
		rep_nomem, rep_stalls;
	/* Kernel records the agent could not decode, by actor's tenant. */
	struct tg_counts malformed; /* tenant name -> count not reported */
	__u64 malformed_total;	    /* all of them, reported or not */
	const char *metrics_path;   /* NULL: no metrics file */
	int metrics_err;	    /* last write's result */
	/* Denials and audits (suppressed ones included), by tenant id. */
	__u64 *denials, *audits; /* TG_MAX_TENANTS + 1 each */
};

/* One enforcement feature's backend, for the metrics file. */
struct tg_backend_state {
	const char *feature; /* "file", "net", "unix", "proc", "guard" */
	const char *backend; /* tg_backend_name: "bpf-lsm", "none" ... */
	int enforced;	     /* 0: no backend, or a part left unenforced */
};

/* Counters the agent keeps elsewhere, for the metrics file. */
struct tg_delivery_extra {
	__u64 kernel_drops; /* kernel ring buffer full */
	__u64 reloads_ok, reloads_failed;
	/* The control socket's (agentd/control_cmds.c). */
	__u64 control_cut;	  /* clients cut off */
	__u64 admin_held;	  /* request records held back */
	__u64 admin_held_evicted; /* of them, of uids pushed out */
	__u64 admin_dropped;	  /* request records dropped */
	__u64 runs_refused;	  /* runs refused: too many at once */
	__u64 streams_refused;	  /* event streams refused: too many */
	const struct tg_backend_state *backends; /* nbackends of them */
	size_t nbackends;
	/* What status lists as "unenforced" ("file:open" ...); NULL-ended. */
	const char *const *unenforced;
	/* Events held back by the rate limit, by tenant name; may be NULL. */
	const struct tg_counts *suppressed;
	double now; /* CLOCK_REALTIME seconds; 0: read the clock */
};

/* 0, or -ENOMEM (d then needs no free). */
int tg_delivery_init(struct tg_delivery *d, struct tg_sink *sink,
		     const char *metrics_path);
void tg_delivery_free(struct tg_delivery *d);

/*
 * Count n denials or audits (verdict, enum tg_verdict) of tenant id (up to
 * TG_MAX_TENANTS; others are not counted): the status shows them.
 */
void tg_delivery_count_verdict(struct tg_delivery *d, __u32 tenant,
			       __u32 verdict, __u64 n);
__u64 tg_delivery_denials(const struct tg_delivery *d, __u32 tenant);
__u64 tg_delivery_audits(const struct tg_delivery *d, __u32 tenant);

/* Count one event about to be sent (its kind, verdict and tenant). */
void tg_delivery_count(struct tg_delivery *d, struct json_object *ev);
void tg_delivery_count_names(struct tg_delivery *d, const char *kind,
			     const char *verdict, const char *tenant);

/*
 * Count one record the agent could not decode (tenant: the actor's, as far
 * as its header tells, else "host"); tg_delivery_report reports it as a
 * "kind: agent, op: drop, reason: malformed" event of that tenant.
 */
void tg_delivery_malformed(struct tg_delivery *d, const char *tenant);

/*
 * Report what the sink dropped since the last call, one call of drop per
 * reason (n events, reason, why), and a stall of the collector that ended
 * (as an event for emit), once the sink can take them.
 */
void tg_delivery_report(struct tg_delivery *d, const struct tg_event_fmt *f,
			void (*drop)(void *ctx, __u64 n, const char *reason,
				     const char *why),
			void (*emit)(void *ctx, struct json_object *ev),
			void *ctx);

/* The "delivery" object of the agent's status. */
struct json_object *tg_delivery_status(struct tg_delivery *d,
				       const struct tg_delivery_extra *x);

/* Everything as Prometheus text into m. */
void tg_delivery_metrics(struct tg_delivery *d,
			 const struct tg_delivery_extra *x,
			 struct tg_metrics *m);

/* Write the metrics file if one is set; 0 or -errno (also kept). */
int tg_delivery_write_metrics(struct tg_delivery *d,
			      const struct tg_delivery_extra *x);

#endif /* TG_AGENTD_DELIVERY_H */
