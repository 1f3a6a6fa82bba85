/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_CLI_REPORT_CHAIN_H
#define TG_CLI_REPORT_CHAIN_H

#include <stddef.h>

#include "common/buf.h"

/* A report that carries the chain (report_chain.c), written to stdout. */
struct report_chain {
	struct tg_buf seg; /* held lines since the last output */
	int started;	   /* an event was listed */
	int seg_match;	   /* seg holds a listed event */
	unsigned long listed;
};

/*
 * The report's first line: what it is, whose (tenant or NULL), and which
 * of its events it lists in full ("grants", or NULL: as filtered). Not
 * under the chain: what it says, the lines show.
 */
int report_chain_header(const char *tenant, const char *selection);

/* Each line of the log in order; match: listed in full. 0 or -errno. */
int report_chain_line(struct report_chain *rc, const char *line, size_t len,
		      int match);

/* After the last line: what is held and listed goes out. 0 or -errno. */
int report_chain_end(struct report_chain *rc);

/*
 * Check a report: 0 (verified, told on stdout), 1 (refused, the line and
 * why on stdout), 2 (cannot be read, a bad key: reported).
 */
int report_chain_verify(const char *file, const char *key_arg);

#endif /* TG_CLI_REPORT_CHAIN_H */
