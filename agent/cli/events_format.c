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
#include "common/text.h"

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

/*
 * Whether code point cp changes how a terminal shows the text around it
 * yet shows nothing itself: C0 and C1 controls, DEL, and the Unicode format
 * characters that reorder or hide text (bidirectional marks, embeddings,
 * overrides and isolates, zero-width characters, line and paragraph
 * separators, the byte order mark, interlinear annotation).
 */
int tg_events_hidden_cp(unsigned int cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c ||
	       (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff ||
	       (cp >= 0xfff9 && cp <= 0xfffb);
}

/* The code point of the valid k-byte UTF-8 sequence at p. */
static unsigned int utf8_cp(const unsigned char *p, size_t k)
{
	unsigned int cp = k == 1 ? p[0] : p[0] & (0x7f >> k);
	size_t i;

	for (i = 1; i < k; i++)
		cp = (cp << 6) | (p[i] & 0x3f);
	return cp;
}

void tg_events_escape(char *out, size_t cap, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0, k, n = strlen(s);
	unsigned int cp;
	char esc[16];
	int e;

	if (!cap)
		return;
	while (i < n) {
		k = tg_utf8_seq_len(p + i, n - i);
		cp = k ? utf8_cp(p + i, k) : 0;
		if (!k)
			e = snprintf(esc, sizeof(esc), "\\x%02x", p[i]);
		else if (cp == '\\')
			e = snprintf(esc, sizeof(esc), "\\\\");
		else if (cp < 0x80 && tg_events_hidden_cp(cp))
			e = snprintf(esc, sizeof(esc), "\\x%02x", cp);
		else if (tg_events_hidden_cp(cp))
			e = snprintf(esc, sizeof(esc), "\\u%04x", cp);
		else
			e = 0;
		if (!e) {
			if (o + k >= cap)
				break;
			memcpy(out + o, p + i, k);
			o += k;
		} else {
			if (o + (size_t)e >= cap)
				break;
			memcpy(out + o, esc, (size_t)e);
			o += (size_t)e;
		}
		i += k ? k : 1;
	}
	out[o] = '\0';
}

/*
 * Append to out what stands for byte run p[0..k) of a JSON string: the run
 * itself, or \uXXXX when it hides (k 0: an invalid byte, U+FFFD).
 */
static void json_char(FILE *out, const unsigned char *p, size_t k)
{
	unsigned int cp = k ? utf8_cp(p, k) : 0xfffd;

	if (!k || tg_events_hidden_cp(cp))
		fprintf(out, "\\u%04x", cp);
	else
		fwrite(p, 1, k, out);
}

void tg_events_print_json(FILE *out, const char *line, size_t len)
{
	const unsigned char *p = (const unsigned char *)line;
	size_t i = 0, k;
	int in_str = 0;

	while (i < len) {
		if (!in_str) {
			in_str = p[i] == '"';
			fputc(p[i++], out);
			continue;
		}
		if (p[i] == '"') {
			in_str = 0;
			fputc(p[i++], out);
		} else if (p[i] == '\\' && i + 1 < len) {
			fwrite(p + i, 1, 2, out);
			i += 2;
		} else {
			k = tg_utf8_seq_len(p + i, len - i);
			json_char(out, p + i, k);
			i += k ? k : 1;
		}
	}
	fputc('\n', out);
}

/* Print s in a column at least *w wide (which grows to fit s). */
static void col(FILE *out, const char *s, int *w, const char *on,
		const char *off)
{
	char buf[4 * 4200];
	int n;

	tg_events_escape(buf, sizeof(buf), s);
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
	char when[40], detail[4400], buf[4 * 4400];
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
	else if (strcmp(kind, "admin") == 0)
		snprintf(detail, sizeof(detail), "uid %s (%s) role %s%s%s",
			 tg_events_field(ev, "uid"),
			 tg_events_field(ev, "user"),
			 tg_events_field(ev, "role"),
			 *tg_events_field(ev, "error") ? ": " : "",
			 tg_events_field(ev, "error"));
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
	tg_events_escape(buf, sizeof(buf), detail);
	fprintf(out, "%s\n", buf);
}
