// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard events --summary [--by tenant,kind,op,target,verdict]: the
 * events the filters pass, counted per group, with the events the rate
 * limit suppressed and those dropped (their summaries' counts), so that
 * what happened is whole: stored + suppressed + dropped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/events.h"

static const char *const key_names[TG_SUMMARY_KEYS] = {"tenant", "kind", "op",
						       "target", "verdict"};

int tg_summary_by(struct tg_summary *s, const char *list)
{
	const char *p = list, *end;
	unsigned int i, j;
	size_t n;

	s->n_by = 0;
	for (;;) {
		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		for (i = 0; i < TG_SUMMARY_KEYS; i++)
			if (strlen(key_names[i]) == n &&
			    !strncmp(p, key_names[i], n))
				break;
		if (i == TG_SUMMARY_KEYS)
			return -EINVAL;
		for (j = 0; j < s->n_by; j++)
			if (s->by[j] == (enum tg_summary_key)i)
				return -EINVAL;
		s->by[s->n_by++] = (enum tg_summary_key)i;
		if (!end)
			return 0;
		p = end + 1;
	}
}

static int row_cmp(const void *a, const void *b)
{
	const struct tg_summary_row *x = a, *y = b;
	unsigned int i;
	int c;

	for (i = 0; i < TG_SUMMARY_KEYS; i++) {
		c = strcmp(x->key[i], y->key[i]);
		if (c)
			return c;
	}
	return 0;
}

static int row_ptr_cmp(const void *a, const void *b)
{
	return row_cmp(*(const struct tg_summary_row *const *)a,
		       *(const struct tg_summary_row *const *)b);
}

/* The row of key in s, made if new; NULL when no more fit. */
static struct tg_summary_row *row_of(struct tg_summary *s,
				     const struct tg_summary_row *key)
{
	struct tg_summary_row *r, **found, **nr;

	found = tfind(key, &s->tree, row_cmp);
	if (found)
		return *found;
	if (s->n >= TG_SUMMARY_ROWS_MAX)
		return NULL;
	/* rows grows by doubling. */
	if (!(s->n & (s->n - 1))) {
		nr = reallocarray(s->rows, s->n ? 2 * s->n : 1, sizeof(*nr));
		if (!nr)
			return NULL;
		s->rows = nr;
	}
	r = malloc(sizeof(*r));
	if (r)
		*r = *key;
	if (!r || !tsearch(r, &s->tree, row_cmp)) {
		free(r);
		return NULL;
	}
	s->rows[s->n++] = r;
	return r;
}

/* A count field of ev (suppressed, dropped), 0 if none. */
static unsigned long long count_of(struct json_object *ev, const char *k)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(ev, k, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	n = json_object_get_int64(v);
	return n > 0 ? (unsigned long long)n : 0;
}

int tg_summary_add(struct tg_summary *s, struct json_object *ev)
{
	struct tg_summary_row key = {}, *r;
	const char *vals[TG_SUMMARY_KEYS];
	unsigned long long ev_n = 1, sup = 0, drop = 0;
	unsigned int i;

	vals[TG_SUMMARY_TENANT] = tg_events_field(ev, "tenant");
	vals[TG_SUMMARY_TARGET] = tg_events_field(ev, "target_tenant");
	tg_event_shown(ev, &vals[TG_SUMMARY_KIND], &vals[TG_SUMMARY_OP],
		       &vals[TG_SUMMARY_VERDICT]);
	if (!strcmp(tg_events_field(ev, "kind"), "agent")) {
		if (!strcmp(tg_events_field(ev, "op"), "suppressed")) {
			sup = count_of(ev, "suppressed");
			ev_n = 0;
		} else if (!strcmp(tg_events_field(ev, "op"), "drop")) {
			drop = count_of(ev, "dropped");
			ev_n = 0;
		}
	}
	for (i = 0; i < s->n_by; i++)
		snprintf(key.key[i], TG_SUMMARY_FIELD_MAX, "%s",
			 vals[s->by[i]]);
	r = row_of(s, &key);
	if (!r)
		r = &s->other;
	r->events += ev_n;
	r->suppressed += sup;
	r->dropped += drop;
	s->total.events += ev_n;
	s->total.suppressed += sup;
	s->total.dropped += drop;
	return 0;
}

static void print_table(FILE *out, const struct tg_summary *s)
{
	static const int widths[TG_SUMMARY_KEYS] = {16, 8, 16, 16, 8};
	const struct tg_summary_row *r;
	unsigned int i;
	size_t j;
	char up[16];
	size_t k;

	for (i = 0; i < s->n_by; i++) {
		for (k = 0; key_names[s->by[i]][k] && k < sizeof(up) - 1; k++)
			up[k] = (char)(key_names[s->by[i]][k] - 'a' + 'A');
		up[k] = '\0';
		fprintf(out, "%-*s ", widths[s->by[i]], up);
	}
	fprintf(out, "%10s %10s %10s\n", "EVENTS", "SUPPRESSED", "DROPPED");
	for (j = 0; j <= s->n; j++) {
		r = j < s->n ? s->rows[j] : &s->other;
		if (j == s->n && !r->events && !r->suppressed && !r->dropped)
			break;
		for (i = 0; i < s->n_by; i++)
			tg_events_col(out,
				      j < s->n ? r->key[i]
				      : i      ? ""
					       : "(other)",
				      widths[s->by[i]], "", "");
		fprintf(out, "%10llu %10llu %10llu\n", r->events, r->suppressed,
			r->dropped);
	}
	fprintf(out,
		"total: %llu events stored, %llu suppressed, %llu "
		"dropped\n",
		s->total.events, s->total.suppressed, s->total.dropped);
}

/* The counts of r into o. */
static void add_counts(struct json_object *o, const struct tg_summary_row *r)
{
	json_object_object_add(o, "events",
			       json_object_new_int64((int64_t)r->events));
	json_object_object_add(o, "suppressed",
			       json_object_new_int64((int64_t)r->suppressed));
	json_object_object_add(o, "dropped",
			       json_object_new_int64((int64_t)r->dropped));
}

static void print_json(FILE *out, const struct tg_summary *s)
{
	struct json_object *o = json_object_new_object(), *a, *g;
	unsigned int i;
	size_t j;

	a = json_object_new_array();
	for (i = 0; i < s->n_by; i++)
		json_object_array_add(
			a, json_object_new_string(key_names[s->by[i]]));
	json_object_object_add(o, "by", a);
	a = json_object_new_array();
	for (j = 0; j < s->n; j++) {
		g = json_object_new_object();
		for (i = 0; i < s->n_by; i++)
			json_object_object_add(
				g, key_names[s->by[i]],
				json_object_new_string(s->rows[j]->key[i]));
		add_counts(g, s->rows[j]);
		json_object_array_add(a, g);
	}
	json_object_object_add(o, "groups", a);
	g = json_object_new_object();
	add_counts(g, &s->other);
	json_object_object_add(o, "other", g);
	g = json_object_new_object();
	add_counts(g, &s->total);
	json_object_object_add(o, "total", g);
	fprintf(out, "%s\n",
		json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_PRETTY |
				   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

void tg_summary_print(FILE *out, struct tg_summary *s, int json)
{
	qsort(s->rows, s->n, sizeof(*s->rows), row_ptr_cmp);
	if (json)
		print_json(out, s);
	else
		print_table(out, s);
}

void tg_summary_free(struct tg_summary *s)
{
	tdestroy(s->tree, free);
	free(s->rows);
	s->tree = NULL;
	s->rows = NULL;
	s->n = 0;
}
