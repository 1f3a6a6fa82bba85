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

/*
 * Column widths of the human-readable listing, fixed so that columns never
 * drift: a longer value is cut, its last column a '…' (a seq is never
 * cut; the detail, last, never either).
 */
struct tg_events_cols {
	int seq, time, kind, verdict, tenant, target, op, pid, comm;
};

#define TG_EVENTS_COLS_DEFAULT                                                 \
	{                                                                      \
		9, 24, 7, 7, 12, 12, 12, 7, 15                                 \
	}

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
 * s escaped (tg_events_escape) in a column w wide and a space: cut to w - 1
 * code points and a '…' when longer; between on and off (colour).
 */
void tg_events_col(FILE *out, const char *s, int w, const char *on,
		   const char *off);

/* The header line of the listing in columns w. */
void tg_events_print_header(FILE *out, const struct tg_events_cols *w,
			    int colour);

/*
 * What event ev is about, into out (len bytes, unescaped): the address of a
 * net event, the path of a file event, the message of the agent's, ...
 * (the listing's DETAIL).
 */
void tg_events_detail(struct json_object *ev, char *out, size_t len);

/*
 * One event as a line in columns w, every field escaped (tg_events_escape),
 * with ANSI colour when colour is set; a summary of suppressed events with
 * the kind, op and verdict of what it counts (tg_event_shown).
 */
void tg_events_print_human(FILE *out, struct json_object *ev,
			   const struct tg_events_cols *w, int colour);

/* tenantguard events --summary (events_summary.c). */

enum tg_summary_key {
	TG_SUMMARY_TENANT,
	TG_SUMMARY_KIND,
	TG_SUMMARY_OP,
	TG_SUMMARY_TARGET,
	TG_SUMMARY_VERDICT,
	TG_SUMMARY_KEYS
};

#define TG_SUMMARY_ROWS_MAX  65536 /* groups counted; more: "(other)" */
#define TG_SUMMARY_FIELD_MAX 64	   /* bytes of a key kept (with NUL) */

/* One group: its keys (those of --by, in its order) and its counts. */
struct tg_summary_row {
	char key[TG_SUMMARY_KEYS][TG_SUMMARY_FIELD_MAX];
	unsigned long long events, suppressed, dropped;
};

/*
 * Counts per group of the events passed to tg_summary_add: events stored
 * one by one, those a suppressed summary counts (under the kind, op and
 * verdict it names) and those a drop summary counts (kind agent, op drop).
 */
struct tg_summary {
	enum tg_summary_key by[TG_SUMMARY_KEYS];
	unsigned int n_by;
	void *tree; /* of struct tg_summary_row, tsearch */
	struct tg_summary_row **rows;
	size_t n;
	struct tg_summary_row total, other; /* other: past ROWS_MAX */
};

/*
 * --by LIST ("tenant,kind,op": keys tenant, kind, op, target, verdict,
 * each once) into s; 0 or -EINVAL.
 */
int tg_summary_by(struct tg_summary *s, const char *list);

/* Event ev counted; 0 or -ENOMEM. */
int tg_summary_add(struct tg_summary *s, struct json_object *ev);

/* The groups sorted, then printed as a table with a total, or as JSON. */
void tg_summary_print(FILE *out, struct tg_summary *s, int json);

void tg_summary_free(struct tg_summary *s);

#endif /* TG_CLI_EVENTS_H */
