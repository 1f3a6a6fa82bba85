/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_CLI_EVENTS_H
#define TG_CLI_EVENTS_H

#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include "common/event_filter.h"

struct json_object;

/*
 * The parts of tenantguard events that need no log (events_format.c); the
 * command itself is cmd_events (cli.h, events.c).
 */

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
