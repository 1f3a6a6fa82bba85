// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard report [--since T] [--tenant T] [--kind K] [--json]: how
 * many of the events the caller may see there are, by tenant, kind, op
 * and verdict; counted here from the events tenantguard events would
 * print (the log read here, or served by the agent for the caller's view).
 * With --chain, those events with the hash chain over them instead, and
 * --verify FILE [--key KEY] checks such a report (report_chain.c). With
 * --tenant T --grants, the events of the grants to T only: gathered per
 * grant (report_grants.c), or with --chain, chained like any other.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/events.h"
#include "cli/report_chain.h"
#include "cli/report_grants.h"
#include "common/control.h"
#include "common/log.h"
#include "common/text.h"

#define REPORT_ROWS_MAX 65536 /* distinct rows counted; more: "(other)" */
#define FIELD_MAX	64    /* bytes of a field kept (with NUL) */

struct row {
	char tenant[FIELD_MAX], kind[FIELD_MAX], op[FIELD_MAX],
		verdict[FIELD_MAX];
	unsigned long long count;
};

struct report {
	void *tree; /* of struct row, tsearch */
	struct row **rows;
	size_t n;
	unsigned long long total;
	struct row other; /* past REPORT_ROWS_MAX */
};

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return strcmp(x->tenant, y->tenant) ?: strcmp(x->kind, y->kind)
						?: strcmp(x->op, y->op)
						?: strcmp(x->verdict, y->verdict);
}

static int row_ptr_cmp(const void *a, const void *b)
{
	return row_cmp(*(const struct row *const *)a,
		       *(const struct row *const *)b);
}

/* One event the filters passed: counted under its row. */
static int count_event(void *ctx, const char *line, size_t len,
		       struct json_object *ev)
{
	struct report *rp = ctx;
	struct row key = {}, *r, **found;

	const char *kind, *op, *verdict;

	/* A summary: the kind and verdict it counts, its own op. */
	tg_event_shown(ev, &kind, &op, &verdict);
	snprintf(key.tenant, FIELD_MAX, "%s", tg_events_field(ev, "tenant"));
	snprintf(key.kind, FIELD_MAX, "%s", kind);
	snprintf(key.op, FIELD_MAX, "%s", tg_events_field(ev, "op"));
	snprintf(key.verdict, FIELD_MAX, "%s", verdict);
	rp->total++;
	found = tfind(&key, &rp->tree, row_cmp);
	if (found) {
		(*found)->count++;
		return 0;
	}
	if (rp->n >= REPORT_ROWS_MAX) {
		rp->other.count++;
		return 0;
	}
	/* Filled before tsearch compares it with the others. */
	r = malloc(sizeof(*r));
	if (r) {
		*r = key;
		r->count = 1;
	}
	if (!r || !tsearch(r, &rp->tree, row_cmp)) {
		free(r);
		rp->other.count++;
		return 0;
	}
	/* rows grows by doubling. */
	if (!(rp->n & (rp->n - 1))) {
		struct row **nr = reallocarray(rp->rows, rp->n ? 2 * rp->n : 1,
					       sizeof(*nr));

		if (!nr)
			return -ECANCELED;
		rp->rows = nr;
	}
	rp->rows[rp->n++] = r;
	return 0;
}

static void print_view(struct json_object *view)
{
	size_t i;

	if (!view || json_object_is_type(view, json_type_string))
		return;
	printf("view:");
	for (i = 0; i < json_object_array_length(view); i++)
		printf("%s %s", i ? "," : "",
		       json_object_get_string(
			       json_object_array_get_idx(view, i)));
	printf(" (restricted: the events of these tenants only)\n");
}

static void print_table(const struct report *rp, struct json_object *view)
{
	size_t i;

	print_view(view);
	printf("%-20s %-8s %-20s %-8s %s\n", "TENANT", "KIND", "OP", "VERDICT",
	       "COUNT");
	for (i = 0; i < rp->n; i++) {
		/* Fixed columns: a longer value is cut, marked. */
		tg_events_col(stdout, rp->rows[i]->tenant, 20, "", "");
		tg_events_col(stdout, rp->rows[i]->kind, 8, "", "");
		tg_events_col(stdout, rp->rows[i]->op, 20, "", "");
		tg_events_col(stdout, rp->rows[i]->verdict, 8, "", "");
		printf("%llu\n", rp->rows[i]->count);
	}
	if (rp->other.count)
		printf("%-20s %-8s %-20s %-8s %llu\n", "(other)", "", "", "",
		       rp->other.count);
	printf("total: %llu events\n", rp->total);
}

static void print_json(const struct report *rp, struct json_object *view)
{
	struct json_object *o = json_object_new_object(), *arr, *e;
	size_t i;

	json_object_object_add(o, "view",
			       view ? json_object_get(view)
				    : json_object_new_string("all"));
	json_object_object_add(o, "total",
			       json_object_new_int64((int64_t)rp->total));
	arr = json_object_new_array();
	for (i = 0; i < rp->n; i++) {
		e = json_object_new_object();
		json_object_object_add(
			e, "tenant",
			json_object_new_string(rp->rows[i]->tenant));
		json_object_object_add(
			e, "kind", json_object_new_string(rp->rows[i]->kind));
		json_object_object_add(e, "op",
				       json_object_new_string(rp->rows[i]->op));
		json_object_object_add(
			e, "verdict",
			json_object_new_string(rp->rows[i]->verdict));
		json_object_object_add(
			e, "count",
			json_object_new_int64((int64_t)rp->rows[i]->count));
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "counts", arr);
	json_object_object_add(o, "other",
			       json_object_new_int64((int64_t)rp->other.count));
	printf("%s\n", json_object_to_json_string_ext(
			       o, JSON_C_TO_STRING_PRETTY |
					  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* report --chain: the report, and the filters that list a line in full. */
struct chain_ctx {
	struct report_chain rc;
	const struct tg_event_filter *filter;
};

/* Each line of the log (or the agent's: a line of another as a hash). */
static int chain_event(void *ctx, const char *line, size_t len,
		       struct json_object *ev)
{
	struct chain_ctx *c = ctx;
	int listed = !json_object_object_get_ex(ev, "line_sha256", NULL) &&
		     tg_event_filter_match(c->filter, ev);

	return report_chain_line(&c->rc, line, len, listed) ? -ECANCELED : 0;
}

/* What report takes besides events' options. */
struct report_args {
	int chain, grants;
	const char *verify, *key;
};

/*
 * --chain, --grants, --verify FILE and --key KEY taken out of argv (the
 * rest is events' options); 0 or 2 (reported).
 */
static int chain_args(int *argc, char **argv, struct report_args *a)
{
	const char **verify = &a->verify, **key = &a->key;
	int i, n = 1;

	for (i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--chain")) {
			a->chain = 1;
		} else if (!strcmp(argv[i], "--grants")) {
			a->grants = 1;
		} else if (!strcmp(argv[i], "--verify") ||
			   !strcmp(argv[i], "--key")) {
			if (i + 1 >= *argc)
				return tg_err(2,
					      "option %s needs a value "
					      "(see tenantguard help)",
					      argv[i]);
			*(argv[i][2] == 'v' ? verify : key) = argv[i + 1];
			i++;
		} else {
			argv[n++] = argv[i];
		}
	}
	*argc = n;
	argv[n] = NULL;
	if (*key && !*verify)
		return tg_err(2, "--key goes with --verify FILE "
				 "(see tenantguard help)");
	if (a->grants && *verify)
		return tg_err(2, "--verify checks a report file: not with "
				 "--grants (see tenantguard help)");
	return 0;
}

/*
 * --grants: one --tenant, and none of the filters that would leave some
 * of its grant events out; then the filter passes only those. 0 or 2.
 */
static int grants_args(struct cli_events *s)
{
	static const char *const opts[] = {"--actor", "--target", "--kind",
					   "--op", "--verdict"};
	const struct tg_filter_values *given[] = {
		&s->filter.actor, &s->filter.target, &s->filter.kind,
		&s->filter.op, &s->filter.verdict};
	size_t i;

	if (s->filter.tenant.n != 1)
		return tg_err(2, "--grants needs --tenant T, once: the tenant "
				 "whose grants are reported (see tenantguard "
				 "help)");
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (given[i]->n)
			return tg_err(2,
				      "--grants reports every event of the "
				      "tenant's grants: not with %s (see "
				      "tenantguard help)",
				      opts[i]);
	s->filter.grants = 1;
	return 0;
}

/*
 * Whether the agent knows no tenant T, in its policy or retired: 1 (said),
 * 0 when it knows T or cannot be asked (then a warning).
 */
static int tenant_unknown(const struct cli_opts *copts, const char *tenant)
{
	static const char *const lists[] = {"tenants", "retired"};
	struct json_object *req = json_object_new_object(), *r, *a, *t;
	size_t i, j;

	json_object_object_add(req, "cmd", json_object_new_string("status"));
	r = tg_control_call(copts->control_socket, req);
	json_object_put(req);
	if (!r || json_object_object_get_ex(r, "error", NULL)) {
		tg_warn("no event of a grant to tenant '%s', and the agent at "
			"%s cannot say whether it has such a tenant: %s",
			tenant, copts->control_socket,
			r ? jstr(r, "error") : strerror(errno));
		json_object_put(r);
		return 0;
	}
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		if (!json_object_object_get_ex(r, lists[i], &a) ||
		    !json_object_is_type(a, json_type_array))
			continue;
		for (j = 0; j < json_object_array_length(a); j++) {
			t = json_object_array_get_idx(a, j);
			if (!strcmp(jstr(t, "name"), tenant)) {
				json_object_put(r);
				return 0;
			}
		}
	}
	json_object_put(r);
	tg_err(2,
	       "no tenant '%s': the agent has none of that name (in its "
	       "policy or retired, in the caller's view), and the log no "
	       "event of a grant to it",
	       tenant);
	return 1;
}

/* The events with the chain over them, as a report to hand over. */
static int chain_report(const struct cli_opts *copts, int argc, char **argv,
			int grants)
{
	struct chain_ctx c = {};
	struct cli_events s = {
		.cmd = "report", .chain = 1, .event = chain_event, .ctx = &c};
	int err;

	c.filter = &s.filter;
	if (cli_events_args(argc, argv, &s) || (grants && grants_args(&s)))
		return 2;
	/* Whose: the one tenant asked for, else none named. */
	report_chain_header(s.filter.tenant.n == 1 ? s.filter.tenant.v[0]
						   : NULL,
			    grants ? "grants" : NULL);
	err = cli_events_read(copts, &s);
	err = report_chain_end(&c.rc) ?: err;
	json_object_put(s.view);
	if (!err && grants && !c.rc.listed &&
	    tenant_unknown(copts, s.filter.tenant.v[0]))
		return 2;
	return err ? 1 : 0;
}

/* One event of a grant (the filter passed it), into the grants report. */
static int grant_event(void *ctx, const char *line, size_t len,
		       struct json_object *ev)
{
	(void)line;
	(void)len;
	return report_grants_add(ctx, ev);
}

/* --since or --until as the report states it, into buf; or NULL. */
static const char *when_text(char *buf, size_t len, int have, __s64 ns)
{
	if (!have)
		return NULL;
	tg_format_time(buf, len, ns);
	return buf;
}

/* --tenant T --grants: the grants to T, gathered per grant. */
static int grants_report(const struct cli_opts *copts, struct cli_events *s)
{
	struct report_grants rg;
	char since[64], until[64];
	int err;

	if (report_grants_init(&rg, s->filter.tenant.v[0],
			       when_text(since, sizeof(since),
					 s->filter.have_since, s->filter.since),
			       when_text(until, sizeof(until),
					 s->filter.have_until,
					 s->filter.until)))
		return tg_err(1, "out of memory");
	s->event = grant_event;
	s->ctx = &rg;
	err = cli_events_read(copts, s);
	if (!err && !rg.events && tenant_unknown(copts, s->filter.tenant.v[0]))
		err = 2;
	else if (!err || rg.events) {
		report_grants_view(&rg, s->view);
		if (!s->json)
			print_view(s->view);
		report_grants_print(stdout, &rg, s->json);
	}
	report_grants_free(&rg);
	json_object_put(s->view);
	return err;
}

int cmd_report(const struct cli_opts *copts, int argc, char **argv)
{
	struct report rp = {};
	struct cli_events s = {
		.cmd = "report", .event = count_event, .ctx = &rp};
	struct report_args a = {};
	int err;

	tg_log_init("tenantguard report", 0);
	if (chain_args(&argc, argv, &a))
		return 2;
	if (a.verify)
		return report_chain_verify(a.verify, a.key);
	if (a.chain)
		return chain_report(copts, argc, argv, a.grants);
	if (cli_events_args(argc, argv, &s) || (a.grants && grants_args(&s)))
		return 2;
	if (a.grants)
		return grants_report(copts, &s);
	err = cli_events_read(copts, &s);
	if (!err || rp.total) {
		qsort(rp.rows, rp.n, sizeof(*rp.rows), row_ptr_cmp);
		if (s.json)
			print_json(&rp, s.view);
		else
			print_table(&rp, s.view);
	}
	tdestroy(rp.tree, free);
	free(rp.rows);
	json_object_put(s.view);
	return err;
}
