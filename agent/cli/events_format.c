// SPDX-License-Identifier: GPL-2.0
/*
 * What tenantguard events reads and prints, apart from the log itself:
 * RFC 3339 times, --since durations, the human-readable line of an event.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/events.h"

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

int tg_parse_since(const char *s, __s64 now_ns, __s64 *ns)
{
	unsigned long long v;
	char *end = NULL;
	__s64 unit;

	if (!tg_parse_time(s, ns))
		return 0;
	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end[0] == '\0' || end[1] != '\0')
		return -EINVAL;
	switch (end[0]) {
	case 's': unit = NS; break;
	case 'm': unit = 60 * NS; break;
	case 'h': unit = 3600 * NS; break;
	case 'd': unit = 86400 * NS; break;
	case 'w': unit = 7 * 86400 * NS; break;
	default: return -EINVAL;
	}
	if (v > (unsigned long long)(now_ns / unit))
		return -EINVAL;
	*ns = now_ns - (__s64)v * unit;
	return 0;
}

const char *tg_events_field(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !v)
		return "-";
	return json_object_get_string(v);
}

/* s with control characters (terminal escapes) replaced by '?'. */
static void clean(char *out, size_t cap, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < cap; i++)
		out[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?'
								      : s[i];
	out[i] = '\0';
}

/* Print s in a column at least *w wide (which grows to fit s). */
static void col(FILE *out, const char *s, int *w, const char *on,
		const char *off)
{
	char buf[4200];
	int n;

	clean(buf, sizeof(buf), s);
	n = (int)strlen(buf);
	if (n > *w)
		*w = n;
	fprintf(out, "%s%s%s%*s ", on, buf, off, *w - n, "");
}

/* What a guard event names: its check and the target, capability or path. */
static void guard_detail(struct json_object *ev, char *out, size_t len)
{
	const char *check = tg_events_field(ev, "check");

	if (!strcmp(check, "signal") || !strcmp(check, "ptrace"))
		snprintf(out, len, "%s: pid %s", check,
			 tg_events_field(ev, "target_pid"));
	else if (!strcmp(check, "capability"))
		snprintf(out, len, "%s: %s", check,
			 tg_events_field(ev, "capability"));
	else if (!strcmp(check, "bpf"))
		snprintf(out, len, "%s: command %s", check,
			 tg_events_field(ev, "bpf_cmd"));
	else if (!strcmp(check, "perf"))
		snprintf(out, len, "%s: type %s", check,
			 tg_events_field(ev, "perf_type"));
	else
		snprintf(out, len, "%s: %s", check,
			 tg_events_field(ev, "path"));
}

void tg_events_print_human(FILE *out, struct json_object *ev,
			   struct tg_events_cols *w, int colour)
{
	const char *kind = tg_events_field(ev, "kind");
	const char *verdict = tg_events_field(ev, "verdict");
	const char *op = tg_events_field(ev, "op"), *on = "", *off = "";
	char when[40], detail[4400], buf[4400];
	int tw = 24;

	if (colour) {
		off = "\033[0m";
		on = strcmp(verdict, "deny") == 0    ? "\033[31m"
		     : strcmp(verdict, "audit") == 0 ? "\033[33m"
						     : "\033[32m";
		if (strcmp(kind, "agent") == 0 &&
		    (!strcmp(op, "drop") || !strcmp(op, "suppressed") ||
		     !strcmp(op, "log_stalled")))
			on = "\033[1;35m";
	}
	/* Milliseconds are enough on screen; the log keeps nanoseconds. */
	snprintf(when, sizeof(when), "%.23s%s", tg_events_field(ev, "time"),
		 strlen(tg_events_field(ev, "time")) > 23 ? "Z" : "");
	if (strcmp(kind, "net") == 0)
		snprintf(detail, sizeof(detail),
			 strchr(tg_events_field(ev, "addr"), ':') ? "%s [%s]:%s"
								  : "%s %s:%s",
			 tg_events_field(ev, "proto"),
			 tg_events_field(ev, "addr"),
			 tg_events_field(ev, "port"));
	else if (strcmp(kind, "agent") == 0)
		snprintf(detail, sizeof(detail), "%s",
			 tg_events_field(ev, "message"));
	else if (strcmp(kind, "seccomp") == 0)
		snprintf(detail, sizeof(detail), "%s call, profile %s",
			 tg_events_field(ev, "arch"),
			 tg_events_field(ev, "profile"));
	else if (strcmp(kind, "guard") == 0)
		guard_detail(ev, detail, sizeof(detail));
	else
		snprintf(detail, sizeof(detail), "%s",
			 tg_events_field(ev, "path"));
	col(out, tg_events_field(ev, "seq"), &w->seq, "", "");
	col(out, when, &tw, "", "");
	col(out, kind, &w->kind, "", "");
	col(out, verdict, &w->verdict, on, off);
	col(out, tg_events_field(ev, "tenant"), &w->tenant, "", "");
	fputs("-> ", out);
	col(out, tg_events_field(ev, "target_tenant"), &w->target, "", "");
	col(out, op, &w->op, "", "");
	col(out, tg_events_field(ev, "pid"), &w->pid, "", "");
	col(out, tg_events_field(ev, "comm"), &w->comm, "", "");
	clean(buf, sizeof(buf), detail);
	fprintf(out, "%s\n", buf);
}
