/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_CLI_EVENTS_H
#define TG_CLI_EVENTS_H

#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

struct json_object;

/*
 * The parts of tenantguard events that need no log (events_format.c); the
 * command itself is cmd_events (cli.h, events.c).
 */

/* The string value of key k in event ev; "-" if absent or null. */
const char *tg_events_field(struct json_object *ev, const char *k);

/*
 * An RFC 3339 time (2024-05-01T10:00:00Z, fractions and +hh:mm offsets
 * allowed, 't' and ' ' as separator) or a date (2024-05-01, midnight UTC)
 * as nanoseconds since the epoch. 0 or -EINVAL.
 */
int tg_parse_time(const char *s, __s64 *ns);

/*
 * --since: a time as above, or a duration back from now_ns: a number with
 * the unit s, m, h, d or w (90s, 10m, 2h, 1d). 0 or -EINVAL.
 */
int tg_parse_since(const char *s, __s64 now_ns, __s64 *ns);

/* Column widths of the human-readable listing; they only grow. */
struct tg_events_cols {
	int seq, kind, verdict, tenant, target, op, pid, comm;
};

/*
 * Whether code point cp hides itself and changes how the text around it is
 * shown (controls, bidirectional overrides and isolates, zero-width and
 * other format characters): never printed as it is.
 */
int tg_events_hidden_cp(unsigned int cp);

/*
 * s for a terminal, into out (cap bytes, cut before an escape that does not
 * fit): each hiding character as visible text, \xNN for a control below
 * U+0080 or a byte that is not UTF-8, \uNNNN for the others; a backslash as
 * \\ so that the text stays unambiguous.
 */
void tg_events_escape(char *out, size_t cap, const char *s);

/*
 * A stored JSON line (len bytes) and a newline to out, each hiding
 * character inside its strings written as a \uNNNN escape (a byte that is
 * not UTF-8 as \ufffd): the same JSON values, nothing a terminal acts on.
 */
void tg_events_print_json(FILE *out, const char *line, size_t len);

/*
 * One event as an aligned line, every field escaped (tg_events_escape),
 * with ANSI colour when colour is set.
 */
void tg_events_print_human(FILE *out, struct json_object *ev,
			   struct tg_events_cols *w, int colour);

#endif /* TG_CLI_EVENTS_H */
