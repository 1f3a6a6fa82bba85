// SPDX-License-Identifier: GPL-2.0
/* The agent's account of its events: counts, drops, stalls, metrics. */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agentd/delivery.h"
#include "agentd/event_text.h"
#include "common/clock.h"
#include "common/event_filter.h"
#include "common/version.h"
#include "tenantguard/map_abi.h"

int tg_delivery_init(struct tg_delivery *d, struct tg_sink *sink,
		     const char *metrics_path)
{
	memset(d, 0, sizeof(*d));
	d->sink = sink;
	d->metrics_path = metrics_path;
	tg_counts_init(&d->events);
	tg_counts_init(&d->malformed);
	d->denials = calloc(TG_MAX_TENANTS + 1, sizeof(*d->denials));
	d->audits = calloc(TG_MAX_TENANTS + 1, sizeof(*d->audits));
	if (!d->denials || !d->audits) {
		tg_delivery_free(d);
		return -ENOMEM;
	}
	return 0;
}

void tg_delivery_free(struct tg_delivery *d)
{
	tg_counts_free(&d->events);
	tg_counts_free(&d->malformed);
	free(d->denials);
	free(d->audits);
	d->denials = d->audits = NULL;
}

void tg_delivery_count_verdict(struct tg_delivery *d, __u32 tenant,
			       __u32 verdict, __u64 n)
{
	if (tenant > TG_MAX_TENANTS)
		return;
	if (verdict == TG_VERDICT_DENY)
		d->denials[tenant] += n;
	else if (verdict == TG_VERDICT_AUDIT)
		d->audits[tenant] += n;
}

__u64 tg_delivery_denials(const struct tg_delivery *d, __u32 tenant)
{
	return tenant <= TG_MAX_TENANTS ? d->denials[tenant] : 0;
}

__u64 tg_delivery_audits(const struct tg_delivery *d, __u32 tenant)
{
	return tenant <= TG_MAX_TENANTS ? d->audits[tenant] : 0;
}

void tg_delivery_malformed(struct tg_delivery *d, const char *tenant)
{
	d->malformed_total++;
	tg_counts_add(&d->malformed, tenant, 1);
}

struct malformed_ctx {
	const struct tg_event_fmt *f;
	void (*emit)(void *ctx, struct json_object *ev);
	void *ctx;
};

/* One drop event for the malformed records of one tenant. */
static void report_malformed(void *arg, const char *tenant, __u64 n)
{
	struct malformed_ctx *m = arg;
	struct json_object *o;
	char msg[160];

	snprintf(msg, sizeof(msg),
		 "%llu events of tenant %s dropped: the agent could not decode "
		 "the kernel's record",
		 (unsigned long long)n, tenant);
	o = tg_agent_event(m->f, "drop", TG_VERDICT_DROPPED, msg);
	if (!o)
		return;
	json_object_object_add(o, "tenant", json_object_new_string(tenant));
	json_object_object_add(o, "dropped", json_object_new_int64((int64_t)n));
	json_object_object_add(o, "reason",
			       json_object_new_string("malformed"));
	m->emit(m->ctx, o);
}

void tg_delivery_count_names(struct tg_delivery *d, const char *kind,
			     const char *verdict, const char *tenant)
{
	char key[TG_COUNTS_KEY_MAX + 1];

	/* Tabs never occur in kinds, verdicts or tenant names. */
	snprintf(key, sizeof(key), "%s\t%s\t%s", kind, verdict, tenant);
	tg_counts_add(&d->events, key, 1);
}

void tg_delivery_count(struct tg_delivery *d, struct json_object *ev)
{
	tg_delivery_count_names(d, tg_json_str(ev, "kind"),
				tg_json_str(ev, "verdict"),
				tg_json_str(ev, "tenant"));
}

/* One drop reason: its counter in the sink's stats and the text. */
struct reason {
	const char *name;
	const char *why;
	size_t stat;	 /* offset in struct tg_sink_stats */
	size_t reported; /* offset in struct tg_delivery */
};

#define REASON(n, w, s, r)                                                     \
	{                                                                      \
		n, w, offsetof(struct tg_sink_stats, s),                       \
			offsetof(struct tg_delivery, r)                        \
	}

static const struct reason reasons[] = {
	REASON("collector_queue_full",
	       "the collector did not take them in time", dropped_queue_full,
	       rep_queue_full),
	REASON("spool_full",
	       "the collector did not take them in time and the spool was full",
	       dropped_spool_full, rep_spool_full),
	REASON("spool_error", "the spool could not be written",
	       dropped_spool_error, rep_spool_error),
	REASON("too_large", "larger than the collector accepts", oversized,
	       rep_oversized),
	REASON("no_memory", "out of memory", nomem, rep_nomem),
};

#define AT(base, off) (*(__u64 *)((char *)(base) + (off)))

void tg_delivery_report(struct tg_delivery *d, const struct tg_event_fmt *f,
			void (*drop)(void *ctx, __u64 n, const char *reason,
				     const char *why),
			void (*emit)(void *ctx, struct json_object *ev),
			void *ctx)
{
	char msg[512], since[40], until[40];
	struct tg_sink_stats ss;
	struct json_object *o;
	__u64 *rep, now;
	size_t i;

	tg_sink_stats(d->sink, &ss);
	/* Only once there is room again, or the report is lost too. */
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		rep = &AT(d, reasons[i].reported);
		now = AT(&ss, reasons[i].stat);
		if (now == *rep || !tg_sink_has_room(d->sink))
			continue;
		drop(ctx, now - *rep, reasons[i].name, reasons[i].why);
		*rep = now;
	}
	if (d->malformed.n && tg_sink_has_room(d->sink)) {
		struct malformed_ctx m = {f, emit, ctx};

		tg_counts_each(&d->malformed, report_malformed, &m);
		tg_counts_free(&d->malformed);
		tg_counts_init(&d->malformed);
	}
	if (ss.stalls == d->rep_stalls)
		return;
	d->rep_stalls = ss.stalls;
	tg_format_time(since, sizeof(since), (__s64)ss.last_stall_since_ns);
	tg_format_time(until, sizeof(until), (__s64)ss.last_stall_until_ns);
	snprintf(msg, sizeof(msg),
		 "the collector could not write its log from %s to %s (%s); "
		 "events were kept by the agent meanwhile",
		 since, until, ss.last_stall_why);
	o = tg_agent_event(f, "log_stalled", "allow", msg);
	if (!o)
		return;
	json_object_object_add(o, "since", json_object_new_string(since));
	json_object_object_add(o, "until", json_object_new_string(until));
	json_object_object_add(o, "error",
			       json_object_new_string(ss.last_stall_why));
	emit(ctx, o);
}

static double lag_seconds(const struct tg_sink_stats *ss)
{
	__u64 now = (__u64)tg_clock_ns(CLOCK_REALTIME);

	if (!ss->oldest_ns || ss->oldest_ns > now)
		return 0;
	return (double)(now - ss->oldest_ns) / 1e9;
}

static void add_u64(struct json_object *o, const char *k, __u64 v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

struct json_object *tg_delivery_status(struct tg_delivery *d,
				       const struct tg_delivery_extra *x)
{
	struct json_object *o = json_object_new_object(), *dr;
	struct tg_sink_stats ss;
	char since[40];
	size_t i;

	tg_sink_stats(d->sink, &ss);
	add_u64(o, "submitted", ss.submitted);
	add_u64(o, "acked", ss.acked);
	add_u64(o, "queued", ss.queued);
	add_u64(o, "spool_events", ss.spool_records);
	add_u64(o, "spool_bytes", ss.spool_bytes);
	add_u64(o, "spooled", ss.spooled);
	snprintf(since, sizeof(since), "%.3f", lag_seconds(&ss));
	json_object_object_add(
		o, "collector_lag_seconds",
		json_object_new_double_s(lag_seconds(&ss), since));
	json_object_object_add(o, "collector_connected",
			       json_object_new_boolean(ss.connected));
	json_object_object_add(o, "collector_stalled",
			       json_object_new_boolean(ss.stalled));
	add_u64(o, "collector_refused", ss.refused);
	if (ss.stalled) {
		tg_format_time(since, sizeof(since),
			       (__s64)ss.stalled_since_ns);
		json_object_object_add(o, "stalled_since",
				       json_object_new_string(since));
		json_object_object_add(o, "stalled_why",
				       json_object_new_string(ss.stalled_why));
	}
	if (ss.last_error[0])
		json_object_object_add(o, "last_error",
				       json_object_new_string(ss.last_error));
	dr = json_object_new_object();
	add_u64(dr, "ringbuf_full", x->kernel_drops);
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		add_u64(dr, reasons[i].name, AT(&ss, reasons[i].stat));
	add_u64(dr, "malformed", d->malformed_total);
	json_object_object_add(o, "dropped", dr);
	if (d->metrics_path) {
		json_object_object_add(o, "metrics_file",
				       json_object_new_string(d->metrics_path));
		if (d->metrics_err)
			json_object_object_add(o, "metrics_error",
					       json_object_new_string(strerror(
						       -d->metrics_err)));
	}
	return o;
}

static void event_sample(void *ctx, const char *key, __u64 v)
{
	char k[TG_COUNTS_KEY_MAX + 1], *verdict, *tenant;
	const char *labels[7];

	snprintf(k, sizeof(k), "%s", key);
	verdict = strchr(k, '\t');
	tenant = verdict ? strchr(verdict + 1, '\t') : NULL;
	if (!tenant)
		return; /* "overflow" */
	*verdict++ = '\0';
	*tenant++ = '\0';
	labels[0] = "kind";
	labels[1] = k;
	labels[2] = "verdict";
	labels[3] = verdict;
	labels[4] = "tenant";
	labels[5] = tenant;
	labels[6] = NULL;
	tg_metrics_u64(ctx, "tenantguard_events_total", labels, v);
}

/* The control socket's counters. */
static void control_metrics(const struct tg_delivery_extra *x,
			    struct tg_metrics *m)
{
	const char *l[3] = {"reason", NULL, NULL};

	tg_metrics_family(m, "tenantguard_control_clients_cut_total", "counter",
			  "Clients of the control socket cut off: out of "
			  "time, or pushed out by a newer client.");
	tg_metrics_u64(m, "tenantguard_control_clients_cut_total", NULL,
		       x->control_cut);
	tg_metrics_family(m, "tenantguard_admin_records_held_total", "counter",
			  "Records of control requests held back by the "
			  "per-uid rate limit, and of them those of uids "
			  "pushed out of the table before being told.");
	l[1] = "rate";
	tg_metrics_u64(m, "tenantguard_admin_records_held_total", l,
		       x->admin_held);
	l[1] = "uid_evicted";
	tg_metrics_u64(m, "tenantguard_admin_records_held_total", l,
		       x->admin_held_evicted);
	tg_metrics_family(m, "tenantguard_admin_records_dropped_total",
			  "counter",
			  "Records of control requests the agent dropped.");
	tg_metrics_u64(m, "tenantguard_admin_records_dropped_total", NULL,
		       x->admin_dropped);
	tg_metrics_family(m, "tenantguard_control_refused_total", "counter",
			  "Control requests refused for want of a slot, "
			  "by what.");
	l[1] = "runs";
	tg_metrics_u64(m, "tenantguard_control_refused_total", l,
		       x->runs_refused);
	l[1] = "event_streams";
	tg_metrics_u64(m, "tenantguard_control_refused_total", l,
		       x->streams_refused);
}

static void suppressed_sample(void *ctx, const char *tenant, __u64 v)
{
	const char *l[] = {"tenant", tenant, NULL};

	tg_metrics_u64(ctx, "tenantguard_events_suppressed_total", l, v);
}

/* Each feature's backend (1: fully enforced), and what is left unenforced. */
static void backend_metrics(const struct tg_delivery_extra *x,
			    struct tg_metrics *m)
{
	const char *l[] = {"feature", NULL, "backend", NULL, NULL};
	size_t i;

	tg_metrics_family(m, "tenantguard_backend_enforced", "gauge",
			  "1 while the feature is fully enforced by its "
			  "backend, 0 when it has none or leaves a part "
			  "unenforced (tenantguard status: unenforced).");
	for (i = 0; i < x->nbackends; i++) {
		l[1] = x->backends[i].feature;
		l[3] = x->backends[i].backend;
		tg_metrics_u64(m, "tenantguard_backend_enforced", l,
			       x->backends[i].enforced ? 1 : 0);
	}
	tg_metrics_family(m, "tenantguard_unenforced", "gauge",
			  "1 for each feature or part of one that is not "
			  "enforced, as tenantguard status lists them.");
	l[0] = "what";
	l[2] = NULL;
	for (i = 0; x->unenforced && x->unenforced[i]; i++) {
		l[1] = x->unenforced[i];
		tg_metrics_u64(m, "tenantguard_unenforced", l, 1);
	}
}

void tg_delivery_metrics(struct tg_delivery *d,
			 const struct tg_delivery_extra *x,
			 struct tg_metrics *m)
{
	const char *l[3] = {"reason", NULL, NULL};
	struct tg_sink_stats ss;
	size_t i;

	tg_sink_stats(d->sink, &ss);
	tg_metrics_family(m, "tenantguard_build_info", "gauge",
			  "The agent's release (label version); always 1.");
	l[0] = "version";
	l[1] = tg_version();
	tg_metrics_u64(m, "tenantguard_build_info", l, 1);
	l[0] = "reason";
	tg_metrics_family(m, "tenantguard_events_total", "counter",
			  "Events the agent produced, by kind, verdict and "
			  "the actor's tenant.");
	tg_counts_each(&d->events, event_sample, m);
	tg_metrics_family(m, "tenantguard_events_dropped_total", "counter",
			  "Events lost before the collector stored them, by "
			  "reason; each loss is also reported in the log.");
	l[1] = "ringbuf_full";
	tg_metrics_u64(m, "tenantguard_events_dropped_total", l,
		       x->kernel_drops);
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		l[1] = reasons[i].name;
		tg_metrics_u64(m, "tenantguard_events_dropped_total", l,
			       AT(&ss, reasons[i].stat));
	}
	l[1] = "malformed";
	tg_metrics_u64(m, "tenantguard_events_dropped_total", l,
		       d->malformed_total);
	tg_metrics_family(m, "tenantguard_events_acked_total", "counter",
			  "Events the collector acknowledged as durable.");
	tg_metrics_u64(m, "tenantguard_events_acked_total", NULL, ss.acked);
	tg_metrics_family(m, "tenantguard_events_spooled_total", "counter",
			  "Events written to the on-disk spool.");
	tg_metrics_u64(m, "tenantguard_events_spooled_total", NULL, ss.spooled);
	tg_metrics_family(m, "tenantguard_queue_events", "gauge",
			  "Events in the agent's memory queue, not yet "
			  "acknowledged.");
	tg_metrics_u64(m, "tenantguard_queue_events", NULL, ss.queued);
	tg_metrics_family(m, "tenantguard_spool_events", "gauge",
			  "Events in the on-disk spool, not yet acknowledged.");
	tg_metrics_u64(m, "tenantguard_spool_events", NULL, ss.spool_records);
	tg_metrics_family(m, "tenantguard_spool_bytes", "gauge",
			  "Size of the on-disk spool's files.");
	tg_metrics_u64(m, "tenantguard_spool_bytes", NULL, ss.spool_bytes);
	tg_metrics_family(m, "tenantguard_collector_lag_seconds", "gauge",
			  "Age of the oldest event not yet acknowledged by "
			  "the collector (0: none).");
	tg_metrics_double(m, "tenantguard_collector_lag_seconds", NULL,
			  lag_seconds(&ss));
	tg_metrics_family(m, "tenantguard_collector_connected", "gauge",
			  "1 while the agent is connected to the collector.");
	tg_metrics_u64(m, "tenantguard_collector_connected", NULL,
		       (__u64)ss.connected);
	tg_metrics_family(m, "tenantguard_collector_stalled", "gauge",
			  "1 while the collector reports that it cannot "
			  "write its log.");
	tg_metrics_u64(m, "tenantguard_collector_stalled", NULL,
		       (__u64)ss.stalled);
	tg_metrics_family(m, "tenantguard_collector_refused_total", "counter",
			  "Connections to the event socket closed unused: "
			  "its listener was not the collector's user.");
	tg_metrics_u64(m, "tenantguard_collector_refused_total", NULL,
		       ss.refused);
	tg_metrics_family(m, "tenantguard_policy_reloads_total", "counter",
			  "Policy reloads, by result.");
	l[0] = "result";
	l[1] = "ok";
	tg_metrics_u64(m, "tenantguard_policy_reloads_total", l, x->reloads_ok);
	l[1] = "failed";
	tg_metrics_u64(m, "tenantguard_policy_reloads_total", l,
		       x->reloads_failed);
	control_metrics(x, m);
	backend_metrics(x, m);
	tg_metrics_family(m, "tenantguard_events_suppressed_total", "counter",
			  "Events the tenant's rate limit held back (counted, "
			  "not sent), by the actor's tenant; a tenant appears "
			  "once it has one.");
	if (x->suppressed)
		tg_counts_each(x->suppressed, suppressed_sample, m);
	tg_metrics_family(m, "tenantguard_metrics_written_timestamp_seconds",
			  "gauge",
			  "When the agent wrote this file (Unix time): an old "
			  "value means the agent is down or stuck.");
	tg_metrics_double(
		m, "tenantguard_metrics_written_timestamp_seconds", NULL,
		x->now ? x->now : (double)tg_clock_ns(CLOCK_REALTIME) / 1e9);
}

int tg_delivery_write_metrics(struct tg_delivery *d,
			      const struct tg_delivery_extra *x)
{
	struct tg_metrics m;

	if (!d->metrics_path)
		return 0;
	tg_metrics_init(&m);
	tg_delivery_metrics(d, x, &m);
	d->metrics_err = tg_metrics_write(&m, d->metrics_path);
	tg_metrics_free(&m);
	return d->metrics_err;
}
