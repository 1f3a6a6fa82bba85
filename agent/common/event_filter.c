// SPDX-License-Identifier: GPL-2.0
/*
 * Which stored events a reader gets: RFC 3339 times, --since durations,
 * the filters of tenantguard events, and what a restricted viewer sees.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
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

int tg_parse_since(const char *s, __s64 now_ns, __s64 *ns)
{
	__s64 secs;

	if (!tg_parse_time(s, ns))
		return 0;
	if (tg_parse_duration(s, &secs) || secs > now_ns / NS)
		return -EINVAL;
	*ns = now_ns - secs * NS;
	return 0;
}

const char *tg_events_field(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !v)
		return "-";
	return json_object_get_string(v);
}

int tg_event_filter_match(const struct tg_event_filter *f,
			  struct json_object *ev)
{
	__s64 t;

	if (f->tenant && strcmp(tg_events_field(ev, "tenant"), f->tenant) &&
	    strcmp(tg_events_field(ev, "target_tenant"), f->tenant))
		return 0;
	if (f->kind && strcmp(tg_events_field(ev, "kind"), f->kind))
		return 0;
	if (f->have_since &&
	    (tg_parse_time(tg_events_field(ev, "time"), &t) || t < f->since))
		return 0;
	return 1;
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
