/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_CLI_REPORT_GRANTS_H
#define TG_CLI_REPORT_GRANTS_H

#include <stdio.h>

struct json_object;

/*
 * tenantguard report --tenant T --grants (report_grants.c): the events of
 * the grants to tenant T (the filter's --grants), gathered per grant:
 * its request, approvers, window, sessions and end, its refusals, and the
 * accesses made under it, counted by op and listed one by one.
 */

#define REPORT_GRANTS_MAX	   4096	 /* grants gathered; more: counted */
#define REPORT_GRANT_ACCESSES_MAX  10000 /* accesses listed a grant */
#define REPORT_GRANTS_REFUSALS_MAX 1000	 /* refusals naming no grant, listed */

struct report_grants {
	void *index;		  /* of the grants by id, tsearch */
	struct json_object *root; /* the report as --json prints it */
	struct json_object *grants, *refused, *total; /* parts of root */
	unsigned long long events;		      /* events added */
};

/*
 * An empty report of tenant's grants between since and until (RFC 3339
 * times, or NULL: from the log's start, up to its end); 0 or -ENOMEM.
 */
int report_grants_init(struct report_grants *rg, const char *tenant,
		       const char *since, const char *until);

/* Event ev of a grant (tg_event_of_grant) added, in the log's order; 0. */
int report_grants_add(struct report_grants *rg, struct json_object *ev);

/* The caller's view ("all", or names): said in the report. */
void report_grants_view(struct report_grants *rg, struct json_object *view);

/* The report as text for the tenant to read, or as JSON. */
void report_grants_print(FILE *out, const struct report_grants *rg, int json);

void report_grants_free(struct report_grants *rg);

#endif /* TG_CLI_REPORT_GRANTS_H */
