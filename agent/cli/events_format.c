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

/* The code points of UTF-8 text s: the columns it takes, near enough. */
static int text_width(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

void tg_events_col(FILE *out, const char *s, int w, const char *on,
		   const char *off)
{
	char buf[4 * 4200];
	int n, i;

	tg_events_escape(buf, sizeof(buf), s);
	n = text_width(buf);
	if (n > w && w > 1) {
		/* Cut after w - 1 code points, then the mark of the cut. */
		for (i = 0, n = 0; buf[i] && n < w; i++)
			if (((unsigned char)buf[i] & 0xc0) != 0x80 && ++n == w)
				break;
		buf[i] = '\0';
		fprintf(out, "%s%s\u2026%s ", on, buf, off);
		return;
	}
	fprintf(out, "%s%s%s%*s ", on, buf, off, n < w ? w - n : 0, "");
}

void tg_events_print_header(FILE *out, const struct tg_events_cols *w,
			    int colour)
{
	fprintf(out, "%s%-*s %-*s %-*s %-*s %-*s    %-*s %-*s %-*s %-*s %s%s\n",
		colour ? "\033[1m" : "", w->seq, "SEQ", w->time, "TIME",
		w->kind, "KIND", w->verdict, "VERDICT", w->tenant, "TENANT",
		w->target, "TARGET", w->op, "OP", w->pid, "PID", w->comm,
		"COMM", "DETAIL", colour ? "\033[0m" : "");
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

void tg_events_detail(struct json_object *ev, char *out, size_t len)
{
	const char *kind, *op, *verdict;
	const char *stored_op = tg_events_field(ev, "op");

	tg_event_shown(ev, &kind, &op, &verdict);
	if (!strcmp(tg_events_field(ev, "kind"), "agent") &&
	    !strcmp(stored_op, "suppressed"))
		snprintf(out, len,
			 "suppressed: %s more by the rate limit, %s to %s",
			 tg_events_field(ev, "suppressed"),
			 tg_events_field(ev, "window_start"),
			 tg_events_field(ev, "window_end"));
	else if (strcmp(kind, "net") == 0)
		snprintf(out, len,
			 strchr(tg_events_field(ev, "addr"), ':') ? "%s [%s]:%s"
								  : "%s %s:%s",
			 tg_events_field(ev, "proto"),
			 tg_events_field(ev, "addr"),
			 tg_events_field(ev, "port"));
	else if (strcmp(kind, "agent") == 0)
		snprintf(out, len, "%s", tg_events_field(ev, "message"));
	else if (strcmp(kind, "seccomp") == 0)
		snprintf(out, len, "%s call, profile %s",
			 tg_events_field(ev, "arch"),
			 tg_events_field(ev, "profile"));
	else if (strcmp(kind, "guard") == 0)
		guard_detail(ev, out, len);
	else if (strcmp(kind, "admin") == 0)
		snprintf(out, len, "uid %s (%s) role %s%s%s",
			 tg_events_field(ev, "uid"),
			 tg_events_field(ev, "user"),
			 tg_events_field(ev, "role"),
			 *tg_events_field(ev, "error") ? ": " : "",
			 tg_events_field(ev, "error"));
	else
		snprintf(out, len, "%s", tg_events_field(ev, "path"));
}

void tg_events_print_human(FILE *out, struct json_object *ev,
			   const struct tg_events_cols *w, int colour)
{
	const char *kind, *verdict, *op, *on = "", *off = "";
	const char *stored_op = tg_events_field(ev, "op");
	char when[40], detail[4400], buf[4 * 4400];

	/* A summary shows the kind, op and verdict of what it counts. */
	tg_event_shown(ev, &kind, &op, &verdict);
	if (colour) {
		off = "\033[0m";
		on = strcmp(verdict, "deny") == 0    ? "\033[31m"
		     : strcmp(verdict, "audit") == 0 ? "\033[33m"
						     : "\033[32m";
		if (!strcmp(tg_events_field(ev, "kind"), "agent") &&
		    (!strcmp(stored_op, "drop") ||
		     !strcmp(stored_op, "suppressed") ||
		     !strcmp(stored_op, "log_stalled")))
			on = "\033[1;35m";
	}
	/* Milliseconds are enough on screen; the log keeps nanoseconds. */
	snprintf(when, sizeof(when), "%.23s%s", tg_events_field(ev, "time"),
		 strlen(tg_events_field(ev, "time")) > 23 ? "Z" : "");
	tg_events_detail(ev, detail, sizeof(detail));
	/* A seq is never cut: a longer one pushes the line over. */
	tg_events_escape(buf, sizeof(buf), tg_events_field(ev, "seq"));
	fprintf(out, "%-*s ", w->seq, buf);
	tg_events_col(out, when, w->time, "", "");
	tg_events_col(out, kind, w->kind, "", "");
	tg_events_col(out, verdict, w->verdict, on, off);
	tg_events_col(out, tg_events_field(ev, "tenant"), w->tenant, "", "");
	fputs("-> ", out);
	tg_events_col(out, tg_events_field(ev, "target_tenant"), w->target, "",
		      "");
	tg_events_col(out, op, w->op, "", "");
	tg_events_col(out, tg_events_field(ev, "pid"), w->pid, "", "");
	tg_events_col(out, tg_events_field(ev, "comm"), w->comm, "", "");
	tg_events_escape(buf, sizeof(buf), detail);
	fprintf(out, "%s\n", buf);
}
