// SPDX-License-Identifier: GPL-2.0
/*
 * Which stored events a reader gets: RFC 3339 times, --since and --until
 * as journalctl reads them, the filters of tenantguard events (the same
 * whether the CLI reads the log or the agent serves it), the last lines
 * kept, and what a restricted viewer sees.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/event_filter.h"
#include "common/roles.h"

#define NS 1000000000LL

static int digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

int tg_parse_time(const char *s, __s64 *ns)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om, i, off = 0;
	__s64 frac = 0, scale = NS;
	struct tm tm = {};
	time_t t;

	if (strlen(s) < 10 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d))
		return -EINVAL;
	s += 10;
	if (*s) {
		if ((*s != 'T' && *s != 't' && *s != ' ') ||
		    digits(s + 1, 2, &h) || s[3] != ':' ||
		    digits(s + 4, 2, &mi) || s[6] != ':' ||
		    digits(s + 7, 2, &sec))
			return -EINVAL;
		s += 9;
		if (*s == '.') {
			for (i = 1; s[i] >= '0' && s[i] <= '9'; i++) {
				if (scale > 1) {
					scale /= 10;
					frac += (s[i] - '0') * scale;
				}
			}
			if (i == 1)
				return -EINVAL;
			s += i;
		}
		if (*s == 'Z' || *s == 'z') {
			s++;
		} else if ((*s == '+' || *s == '-') && !digits(s + 1, 2, &oh) &&
			   s[3] == ':' && !digits(s + 4, 2, &om) && oh < 24 &&
			   om < 60) {
			/* Local time = UTC + offset: subtract it. */
			off = (*s == '+' ? 1 : -1) * (oh * 3600 + om * 60);
			s += 6;
		} else {
			return -EINVAL;
		}
		if (*s)
			return -EINVAL;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60 || y < 1970)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	/* timegm normalises 31 February: refuse what it had to move. */
	if (tm.tm_mday != d || tm.tm_mon != mo - 1)
		return -EINVAL;
	/* Past 2262 nanoseconds do not fit: as late as can be. */
	if ((__s64)t - off > INT64_MAX / NS - 1)
		*ns = INT64_MAX;
	else
		*ns = ((__s64)t - off) * NS + frac;
	return 0;
}

int tg_parse_duration(const char *s, __s64 *seconds)
{
	unsigned long long v;
	char *end = NULL;
	__s64 unit;

	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end[0] == '\0' || end[1] != '\0')
		return -EINVAL;
	switch (end[0]) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 7 * 86400; break;
	default: return -EINVAL;
	}
	if (v > (unsigned long long)(INT64_MAX / NS / unit))
		return -EINVAL;
	*seconds = (__s64)v * unit;
	return 0;
}

/* The seconds of the unit *s starts with, *s past it; 0 if none. */
static __s64 span_unit(const char **s)
{
	static const struct {
		const char *name;
		__s64 secs;
	} units[] = {
		{"seconds", 1},	     {"second", 1},
		{"sec", 1},	     {"s", 1},
		{"minutes", 60},     {"minute", 60},
		{"min", 60},	     {"m", 60},
		{"hours", 3600},     {"hour", 3600},
		{"hr", 3600},	     {"h", 3600},
		{"days", 86400},     {"day", 86400},
		{"d", 86400},	     {"weeks", 604800},
		{"week", 604800},    {"w", 604800},
		{"months", 2629800}, {"month", 2629800},
		{"M", 2629800},	     {"years", 31557600},
		{"year", 31557600},  {"y", 31557600},
	};
	size_t i, n;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		n = strlen(units[i].name);
		if (!strncmp(*s, units[i].name, n) && !isalpha((*s)[n])) {
			*s += n;
			return units[i].secs;
		}
	}
	return 0;
}

/* A span of len bytes of s ("1h30m", "1h 30min") into *secs; 0 or -EINVAL. */
static int parse_span(const char *s, size_t len, __s64 *secs)
{
	const char *end = s + len;
	unsigned long long v;
	__s64 total = 0, unit;
	char *e = NULL;

	if (!len)
		return -EINVAL;
	while (s < end) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		errno = 0;
		v = strtoull(s, &e, 10);
		if (errno)
			return -EINVAL;
		s = e;
		while (s < end && *s == ' ')
			s++;
		unit = span_unit(&s);
		if (!unit || s > end ||
		    v > (unsigned long long)((INT64_MAX / NS - total) / unit))
			return -EINVAL;
		total += (__s64)v * unit;
		while (s < end && *s == ' ')
			s++;
	}
	*secs = total;
	return 0;
}

/* "HH:MM" or "HH:MM:SS" and nothing more; 0 or -EINVAL. */
static int parse_hms(const char *s, struct tm *tm)
{
	int h, mi, sec = 0;

	if (digits(s, 2, &h) || s[2] != ':' || digits(s + 3, 2, &mi))
		return -EINVAL;
	s += 5;
	if (*s == ':') {
		if (digits(s + 1, 2, &sec))
			return -EINVAL;
		s += 3;
	}
	if (*s || h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	tm->tm_hour = h;
	tm->tm_min = mi;
	tm->tm_sec = sec;
	return 0;
}

/* tm (local) as ns, if mktime did not have to move its day; 0 or -EINVAL. */
static int local_ns(struct tm *tm, __s64 *ns)
{
	int d = tm->tm_mday, mo = tm->tm_mon;
	time_t t;

	tm->tm_isdst = -1;
	t = mktime(tm);
	if (t == (time_t)-1 || t < 0 || tm->tm_mday != d || tm->tm_mon != mo ||
	    (__s64)t > INT64_MAX / NS - 1)
		return -EINVAL;
	*ns = (__s64)t * NS;
	return 0;
}

/*
 * A local "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" (or with 'T'), "HH:MM[:SS]"
 * (today), or today (day 0), yesterday (-1), tomorrow (1) at midnight.
 */
static int parse_local(const char *s, __s64 now_ns, __s64 *ns)
{
	static const char *const days[] = {"yesterday", "today", "tomorrow"};
	time_t now = (time_t)(now_ns / NS);
	int y, mo, d, i;
	struct tm tm;

	if (!localtime_r(&now, &tm))
		return -EINVAL;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	for (i = 0; i < 3; i++) {
		if (!strcmp(s, days[i])) {
			tm.tm_mday += i - 1;
			return local_ns(&tm, ns);
		}
	}
	if (strlen(s) >= 10 && !digits(s, 4, &y) && s[4] == '-' &&
	    !digits(s + 5, 2, &mo) && s[7] == '-' && !digits(s + 8, 2, &d)) {
		if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31)
			return -EINVAL;
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		s += 10;
		if (*s && ((*s != ' ' && *s != 'T') || parse_hms(s + 1, &tm)))
			return -EINVAL;
		return local_ns(&tm, ns);
	}
	if (parse_hms(s, &tm))
		return -EINVAL;
	return local_ns(&tm, ns);
}

/* Whether s (len bytes) ends with suffix: then len is cut before it. */
static int ends_with(const char *s, size_t *len, const char *suffix)
{
	size_t n = strlen(suffix);

	if (*len < n || strcmp(s + *len - n, suffix))
		return 0;
	*len -= n;
	return 1;
}

int tg_parse_when(const char *s, __s64 now_ns, __s64 *ns)
{
	size_t len = strlen(s);
	__s64 secs, sign = -1;
	char *end = NULL;
	long long v;

	if (!strcmp(s, "now")) {
		*ns = now_ns;
		return 0;
	}
	if (!parse_local(s, now_ns, ns) || !tg_parse_time(s, ns))
		return 0;
	if (s[0] == '@' && s[1] >= '0' && s[1] <= '9') {
		errno = 0;
		v = strtoll(s + 1, &end, 10);
		if (errno || *end || v > INT64_MAX / NS - 1)
			return -EINVAL;
		*ns = (__s64)v * NS;
		return 0;
	}
	if (s[0] == '-' || s[0] == '+') {
		sign = s[0] == '-' ? -1 : 1;
		s++;
		len--;
	} else if (ends_with(s, &len, " ago")) {
		sign = -1;
	} else if (ends_with(s, &len, " left")) {
		sign = 1;
	}
	if (parse_span(s, len, &secs))
		return -EINVAL;
	if (sign < 0 && secs > now_ns / NS)
		return -EINVAL;
	if (sign > 0 && secs > (INT64_MAX - now_ns) / NS)
		return -EINVAL;
	*ns = now_ns + sign * secs * NS;
	return 0;
}

const char *tg_events_field(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !v)
		return "-";
	return json_object_get_string(v);
}

int tg_filter_add(struct tg_filter_values *fv, const char *v)
{
	if (fv->n >= TG_FILTER_VALUES_MAX)
		return -E2BIG;
	fv->v[fv->n++] = v;
	return 0;
}

/* Whether fv is no filter or s is one of its values. */
static int any_of(const struct tg_filter_values *fv, const char *s)
{
	unsigned int i;

	for (i = 0; i < fv->n; i++)
		if (!strcmp(fv->v[i], s))
			return 1;
	return !fv->n;
}

const char *tg_event_summary(struct json_object *ev)
{
	const char *op;

	if (strcmp(tg_events_field(ev, "kind"), "agent"))
		return NULL;
	op = tg_events_field(ev, "op");
	if (!strcmp(op, "drop"))
		return TG_VERDICT_DROPPED;
	if (!strcmp(op, "suppressed") || !strcmp(op, "admin_suppressed"))
		return TG_VERDICT_SUPPRESSED;
	return NULL;
}

void tg_event_shown(struct json_object *ev, const char **kind, const char **op,
		    const char **verdict)
{
	const char *v;

	*kind = tg_events_field(ev, "kind");
	*op = tg_events_field(ev, "op");
	*verdict = tg_events_field(ev, "verdict");
	if (strcmp(*kind, "agent"))
		return;
	if (!strcmp(*op, "drop")) {
		*verdict = "-";
	} else if (!strcmp(*op, "suppressed")) {
		v = tg_events_field(ev, "event_verdict");
		*verdict = !strcmp(v, "deny") || !strcmp(v, "audit") ? v : "-";
		if (strcmp(tg_events_field(ev, "event_kind"), "-")) {
			*kind = tg_events_field(ev, "event_kind");
			*op = tg_events_field(ev, "event_op");
		}
	}
}

int tg_event_of_grant(struct json_object *ev)
{
	struct json_object *id;

	if (!strcmp(tg_events_field(ev, "kind"), "grant"))
		return 1;
	return json_object_object_get_ex(ev, "grant", &id) &&
	       json_object_is_type(id, json_type_string);
}

int tg_event_filter_match(const struct tg_event_filter *f,
			  struct json_object *ev)
{
	const char *tenant = tg_events_field(ev, "tenant"),
		   *target = tg_events_field(ev, "target_tenant");
	const char *kind, *op, *verdict, *summary = tg_event_summary(ev);
	__s64 t;

	tg_event_shown(ev, &kind, &op, &verdict);
	if (f->grants && !tg_event_of_grant(ev))
		return 0;
	if (f->tenant.n && !any_of(&f->tenant, tenant) &&
	    !any_of(&f->tenant, target))
		return 0;
	if (!any_of(&f->actor, tenant) || !any_of(&f->target, target) ||
	    !any_of(&f->kind, kind))
		return 0;
	/* --verdict suppressed, dropped: the summaries, whatever they count. */
	if (!any_of(&f->verdict, verdict) &&
	    !(summary && any_of(&f->verdict, summary)))
		return 0;
	/* --op suppressed: the summaries, whatever they count. */
	if (!any_of(&f->op, op) && !any_of(&f->op, tg_events_field(ev, "op")))
		return 0;
	if (!f->have_since && !f->have_until)
		return 1;
	if (tg_parse_time(tg_events_field(ev, "time"), &t))
		return 0;
	return (!f->have_since || t >= f->since) &&
	       (!f->have_until || t <= f->until);
}

/* The request's keys for the filters, and the longest value each takes. */
static const struct {
	const char *key;
	size_t offset, max;
} filter_keys[] = {
	{"tenant", offsetof(struct tg_event_filter, tenant), TG_VIEW_NAME_MAX},
	{"actor", offsetof(struct tg_event_filter, actor), TG_VIEW_NAME_MAX},
	{"target", offsetof(struct tg_event_filter, target), TG_VIEW_NAME_MAX},
	{"kind", offsetof(struct tg_event_filter, kind), 16},
	{"op", offsetof(struct tg_event_filter, op), 64},
	{"verdict", offsetof(struct tg_event_filter, verdict), 16},
};

static struct tg_filter_values *values_at(const struct tg_event_filter *f,
					  size_t i)
{
	return (struct tg_filter_values *)((char *)f + filter_keys[i].offset);
}

void tg_event_filter_to_json(const struct tg_event_filter *f,
			     struct json_object *req)
{
	const struct tg_filter_values *fv;
	struct json_object *a;
	size_t i;
	unsigned int j;

	for (i = 0; i < sizeof(filter_keys) / sizeof(filter_keys[0]); i++) {
		fv = values_at(f, i);
		if (!fv->n)
			continue;
		/* One value as a string, as agents before lists take it. */
		if (fv->n == 1) {
			json_object_object_add(
				req, filter_keys[i].key,
				json_object_new_string(fv->v[0]));
			continue;
		}
		a = json_object_new_array();
		for (j = 0; j < fv->n; j++)
			json_object_array_add(a,
					      json_object_new_string(fv->v[j]));
		json_object_object_add(req, filter_keys[i].key, a);
	}
	if (f->have_since)
		json_object_object_add(req, "since_ns",
				       json_object_new_int64(f->since));
	if (f->have_until)
		json_object_object_add(req, "until_ns",
				       json_object_new_int64(f->until));
	if (f->lines_given)
		json_object_object_add(req, "lines",
				       json_object_new_int64(f->lines));
	if (f->grants)
		json_object_object_add(req, "grants",
				       json_object_new_boolean(1));
}

/* A value of a filter from the request: a string not too long. */
static int value_ok(struct json_object *v, size_t max)
{
	return json_object_is_type(v, json_type_string) &&
	       (size_t)json_object_get_string_len(v) < max;
}

const char *tg_event_filter_from_json(struct json_object *req,
				      struct tg_event_filter *f)
{
	static char msg[96];
	struct tg_filter_values *fv;
	struct json_object *v;
	size_t i, j, n;

	for (i = 0; i < sizeof(filter_keys) / sizeof(filter_keys[0]); i++) {
		if (!json_object_object_get_ex(req, filter_keys[i].key, &v))
			continue;
		fv = values_at(f, i);
		snprintf(msg, sizeof(msg),
			 "bad request: '%s' is not a string or a list of at "
			 "most %d",
			 filter_keys[i].key, TG_FILTER_VALUES_MAX);
		if (value_ok(v, filter_keys[i].max)) {
			tg_filter_add(fv, json_object_get_string(v));
			continue;
		}
		if (!json_object_is_type(v, json_type_array))
			return msg;
		n = json_object_array_length(v);
		for (j = 0; j < n; j++)
			if (!value_ok(json_object_array_get_idx(v, j),
				      filter_keys[i].max) ||
			    tg_filter_add(fv, json_object_get_string(
						      json_object_array_get_idx(
							      v, j))))
				return msg;
	}
	if (json_object_object_get_ex(req, "since_ns", &v)) {
		if (!json_object_is_type(v, json_type_int))
			return "bad request: 'since_ns' is not a number";
		f->since = json_object_get_int64(v);
		f->have_since = 1;
	}
	if (json_object_object_get_ex(req, "until_ns", &v)) {
		if (!json_object_is_type(v, json_type_int))
			return "bad request: 'until_ns' is not a number";
		f->until = json_object_get_int64(v);
		f->have_until = 1;
	}
	if (json_object_object_get_ex(req, "lines", &v)) {
		if (!json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) < 0 ||
		    json_object_get_int64(v) > TG_EVENT_LINES_MAX)
			return "bad request: 'lines' is not a number from 0 to "
			       "1000000";
		f->lines = (long)json_object_get_int64(v);
		f->lines_given = 1;
	}
	if (json_object_object_get_ex(req, "grants", &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			return "bad request: 'grants' is not true or false";
		f->grants = json_object_get_boolean(v);
	}
	return NULL;
}

/* The oldest line kept, dropped. */
static void tail_drop_oldest(struct tg_event_tail *t)
{
	free(t->line[t->first]);
	t->bytes -= t->len[t->first];
	t->first = (t->first + 1) % t->cap;
	t->n--;
}

/* Room for twice as many (at most max), the oldest line first; 0 or -ENOMEM. */
static int tail_grow(struct tg_event_tail *t)
{
	size_t cap = t->cap ? 2 * t->cap : 64, i;
	size_t *nlen;
	char **nl;

	if (cap > t->max)
		cap = t->max;
	nl = calloc(cap, sizeof(*nl));
	nlen = calloc(cap, sizeof(*nlen));
	if (!nl || !nlen) {
		free(nl);
		free(nlen);
		return -ENOMEM;
	}
	for (i = 0; i < t->n; i++) {
		nl[i] = t->line[(t->first + i) % t->cap];
		nlen[i] = t->len[(t->first + i) % t->cap];
	}
	free(t->line);
	free(t->len);
	t->line = nl;
	t->len = nlen;
	t->cap = cap;
	t->first = 0;
	return 0;
}

int tg_event_tail_add(struct tg_event_tail *t, const char *line, size_t len)
{
	size_t slot;
	char *copy;

	if (!t->max || (t->max_bytes && len > t->max_bytes))
		return 0;
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, line, len);
	copy[len] = '\0';
	/* Full, in lines or in bytes: the oldest make room. */
	while (t->n && (t->n == t->max ||
			(t->max_bytes && t->bytes + len > t->max_bytes)))
		tail_drop_oldest(t);
	if (t->n == t->cap && tail_grow(t)) {
		free(copy);
		return -ENOMEM;
	}
	slot = (t->first + t->n++) % t->cap;
	t->line[slot] = copy;
	t->len[slot] = len;
	t->bytes += len;
	return 0;
}

int tg_event_tail_flush(struct tg_event_tail *t, int reverse,
			int (*fn)(void *ctx, const char *line, size_t len),
			void *ctx)
{
	size_t i, slot;
	int err = 0;

	for (i = 0; i < t->n; i++) {
		slot = (t->first + (reverse ? t->n - 1 - i : i)) % t->cap;
		if (!err && fn)
			err = fn(ctx, t->line[slot], t->len[slot]);
		free(t->line[slot]);
	}
	t->n = 0;
	t->first = 0;
	t->bytes = 0;
	return err;
}

void tg_event_tail_free(struct tg_event_tail *t)
{
	tg_event_tail_flush(t, 0, NULL, NULL);
	free(t->line);
	free(t->len);
	t->line = NULL;
	t->len = NULL;
	t->cap = 0;
}

/* Whether a name some other field of ev gives may be shown along with it. */
static int name_shown(const struct tg_view *v, struct json_object *ev,
		      struct json_object *name)
{
	const char *s;

	if (!json_object_is_type(name, json_type_string))
		return 0;
	s = json_object_get_string(name);
	return !s[0] || !strcmp(s, "host") || tg_view_has(v, s) ||
	       !strcmp(s, tg_events_field(ev, "tenant")) ||
	       !strcmp(s, tg_events_field(ev, "target_tenant"));
}

/* The fields other than tenant and target_tenant that name tenants. */
static int others_shown(const struct tg_view *v, struct json_object *ev)
{
	static const char *const lists[] = {"tenants_added", "tenants_removed",
					    "tenants_changed"};
	struct json_object *o, *x;
	size_t i, j;

	if (json_object_object_get_ex(ev, "object", &o) && o &&
	    json_object_object_get_ex(o, "owner", &x) && x &&
	    !name_shown(v, ev, x))
		return 0;
	if (json_object_object_get_ex(ev, "dropped_tenant", &x) && x &&
	    !name_shown(v, ev, x))
		return 0;
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		if (!json_object_object_get_ex(ev, lists[i], &o) || !o)
			continue;
		if (!json_object_is_type(o, json_type_array))
			return 0;
		for (j = 0; j < json_object_array_length(o); j++)
			if (!name_shown(v, ev, json_object_array_get_idx(o, j)))
				return 0;
	}
	return 1;
}

int tg_view_event(const struct tg_view *v, struct json_object *ev)
{
	struct json_object *t, *tt;

	if (v->all)
		return 1;
	if (!ev || !json_object_is_type(ev, json_type_object))
		return 0;
	/* Names given as strings only: anything else is no name. */
	if (!json_object_object_get_ex(ev, "tenant", &t) ||
	    !json_object_object_get_ex(ev, "target_tenant", &tt) ||
	    !json_object_is_type(t, json_type_string) ||
	    !json_object_is_type(tt, json_type_string))
		return 0;
	if (!tg_view_has(v, json_object_get_string(t)) &&
	    !tg_view_has(v, json_object_get_string(tt)))
		return 0;
	return others_shown(v, ev);
}
