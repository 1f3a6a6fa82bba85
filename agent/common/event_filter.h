/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which stored events a reader gets: its filters (tenants, kind, op,
 * verdict, since, until, the last lines) and
 * its view (common/roles.h), whoever serves them (the CLI reading the log
 * itself, or the agent for a caller that may not read it).
 */
#ifndef TG_COMMON_EVENT_FILTER_H
#define TG_COMMON_EVENT_FILTER_H

#include <linux/types.h>

struct json_object;
struct tg_view;

/* The string value of key k in event ev; "-" if absent or null. */
const char *tg_events_field(struct json_object *ev, const char *k);

/*
 * An RFC 3339 time (2024-05-01T10:00:00Z, fractions and +hh:mm offsets
 * allowed, 't' and ' ' as separator) or a date (2024-05-01, midnight UTC)
 * as nanoseconds since the epoch. 0 or -EINVAL.
 */
int tg_parse_time(const char *s, __s64 *ns);

/*
 * A duration: a number with the unit s, m, h, d or w (90s, 10m, 2h, 1d),
 * into *seconds (at most what fits in nanoseconds). 0 or -EINVAL.
 */
int tg_parse_duration(const char *s, __s64 *seconds);

/*
 * --since or --until, as journalctl reads them, against now_ns: "now",
 * "today", "yesterday", "tomorrow" (local midnight); an RFC 3339 time as
 * above; a local date and time ("2026-12-07", its midnight; "2026-12-07
 * 10:00", "2026-12-07 10:00:30"; "10:00" today); "@SECONDS" since the
 * epoch; a span back ("-1h30m", "1h30m ago", or bare: "90s") or ahead
 * ("+10m", "10m left"). A span is numbers each with its unit, spaces
 * allowed between: s, sec, second(s); m, min, minute(s); h, hr, hour(s);
 * d, day(s); w, week(s); M, month(s) (30.44 days); y, year(s) (365.25
 * days). 0 or -EINVAL.
 */
int tg_parse_when(const char *s, __s64 now_ns, __s64 *ns);

#define TG_FILTER_VALUES_MAX 16	     /* values of one filter */
#define TG_EVENT_LINES_MAX   1000000 /* --lines N at most */

/* The values given for one filter: any of them matches; none: no filter. */
struct tg_filter_values {
	const char *v[TG_FILTER_VALUES_MAX];
	unsigned int n;
};

/*
 * What a reader asked for: a filter given passes an event if one of its
 * values matches (values of one filter OR, filters AND, as journalctl's).
 */
struct tg_event_filter {
	struct tg_filter_values tenant;		   /* tenant or target_tenant */
	struct tg_filter_values actor;		   /* tenant */
	struct tg_filter_values target;		   /* target_tenant */
	struct tg_filter_values kind, op, verdict; /* as tg_event_shown */
	__s64 since, until; /* ns since the epoch, with have_since, _until */
	int have_since, have_until;
	long lines; /* with lines_given: only the last lines that pass */
	int lines_given;
	int grants; /* only the events of grants (tg_event_of_grant) */
};

/* v added to fv; 0, or -E2BIG past TG_FILTER_VALUES_MAX. */
int tg_filter_add(struct tg_filter_values *fv, const char *v);

/*
 * Whether ev is an event of a grant: a grant's lifecycle (kind grant:
 * requested, activated, refused, ...) or an access made under one (any
 * other kind with a "grant" id).
 */
int tg_event_of_grant(struct json_object *ev);

/* Whether event ev passes f (lines apart). */
int tg_event_filter_match(const struct tg_event_filter *f,
			  struct json_object *ev);

/*
 * The verdict stored with a summary of events not stored one by one: what
 * it is, never "allow" (logs before them stored "allow"; tg_event_summary
 * goes by the op, so that they read alike).
 */
/* op suppressed and admin_suppressed; op drop */
#define TG_VERDICT_SUPPRESSED "suppressed"
#define TG_VERDICT_DROPPED    "dropped"

/*
 * TG_VERDICT_SUPPRESSED or TG_VERDICT_DROPPED when ev is such a summary
 * (kind agent, by its op), else NULL.
 */
const char *tg_event_summary(struct json_object *ev);

/*
 * The kind, op and verdict event ev stands for: its own, except for the
 * summaries of events not stored one by one (kind agent): a suppressed
 * summary (op suppressed) stands for the events it counts (event_kind,
 * event_op, and event_verdict when deny or audit, else "-"), a drop
 * summary (op drop) for events whose verdict is unknown ("-"); never
 * "allow" for either.
 */
void tg_event_shown(struct json_object *ev, const char **kind, const char **op,
		    const char **verdict);

/* f into the request req to the agent (tenant, actor, ..., lines, grants). */
void tg_event_filter_to_json(const struct tg_event_filter *f,
			     struct json_object *req);

/*
 * The filters of request req into f (its strings stay req's); NULL, or
 * what is wrong with them.
 */
const char *tg_event_filter_from_json(struct json_object *req,
				      struct tg_event_filter *f);

/*
 * The last lines of a reading, kept until it is caught up (what --lines
 * and --follow print first): at most max lines and max_bytes bytes, the
 * oldest dropped to make room (a line longer than max_bytes not kept).
 */
struct tg_event_tail {
	size_t max;	  /* at most so many lines (SIZE_MAX: all) */
	size_t max_bytes; /* and so many bytes of them (0: no limit) */
	char **line;
	size_t *len;
	size_t cap, n, first, bytes; /* slots, kept, the oldest's slot */
};

/* What the agent keeps for a caller's last lines at most (bytes). */
#define TG_EVENT_TAIL_BYTES_MAX (64 << 20)

/* A copy of line kept in t; 0 or -ENOMEM. */
int tg_event_tail_add(struct tg_event_tail *t, const char *line, size_t len);

/*
 * Each line kept, oldest first (newest first with reverse), handed to fn
 * (nonzero stops and is returned); t emptied either way.
 */
int tg_event_tail_flush(struct tg_event_tail *t, int reverse,
			int (*fn)(void *ctx, const char *line, size_t len),
			void *ctx);

void tg_event_tail_free(struct tg_event_tail *t);

/*
 * Whether the holder of view v may see event ev. All: every event. A
 * restricted view: an event whose tenant or target_tenant is one of v's,
 * and whose every other field that names a tenant (object.owner,
 * dropped_tenant, the tenants_added, _removed, _changed of a reload) names
 * one of v's, "host", "" or the event's tenant or target_tenant; an event that
 * is no JSON object or lacks both names is never seen.
 */
int tg_view_event(const struct tg_view *v, struct json_object *ev);

#endif /* TG_COMMON_EVENT_FILTER_H */
