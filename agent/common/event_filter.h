/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which stored events a reader gets: its filters (tenant, kind, since) and
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
 * --since: a time as above, or a duration back from now_ns: a number with
 * the unit s, m, h, d or w (90s, 10m, 2h, 1d). 0 or -EINVAL.
 */
int tg_parse_since(const char *s, __s64 now_ns, __s64 *ns);

/* What a reader asked for; NULL or 0: no filter. */
struct tg_event_filter {
	const char *tenant; /* tenant or target_tenant */
	const char *kind;
	__s64 since; /* ns since the epoch, with have_since */
	int have_since;
};

/* Whether event ev passes f. */
int tg_event_filter_match(const struct tg_event_filter *f,
			  struct json_object *ev);

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
