// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard report --tenant T --grants: what support staff did with the
 * grants to tenant T, for the tenant to read. The events of the grants
 * (docs/events.md, "Grants in the log") are gathered per grant id, in the
 * log's order: the request, the approvers, the window, the sessions, how
 * it ended, the refusals, and every access made under it (counted by op,
 * listed one by one). A break-glass grant is said loudly. The report is
 * kept as the JSON --json prints; the text is written from it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/events.h"
#include "cli/report_grants.h"
#include "common/event_filter.h"

#define ID_MAX 65 /* bytes of a grant id kept (with NUL); longer: none */

/* A grant's place in the index. */
struct grant_slot {
	char id[ID_MAX];
	struct json_object *g; /* in root's grants */
};

static int slot_cmp(const void *a, const void *b)
{
	return strcmp(((const struct grant_slot *)a)->id,
		      ((const struct grant_slot *)b)->id);
}

/* o[k] += by (o[k] made if absent). */
static void add_count(struct json_object *o, const char *k, long long by)
{
	struct json_object *v;

	if (json_object_object_get_ex(o, k, &v) && v)
		json_object_set_int64(v, json_object_get_int64(v) + by);
	else
		json_object_object_add(o, k, json_object_new_int64(by));
}

static struct json_object *get(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, k, &v);
	return v;
}

/* The keys of ev that are present and not null, into a new object. */
static struct json_object *pick(struct json_object *ev, const char *const *keys)
{
	struct json_object *o = json_object_new_object(), *v;

	for (; o && *keys; keys++)
		if ((v = get(ev, *keys)))
			json_object_object_add(o, *keys, json_object_get(v));
	return o;
}

int report_grants_init(struct report_grants *rg, const char *tenant,
		       const char *since, const char *until)
{
	static const char *const totals[] = {
		"grants", "break_glass", "accesses", "refused", "not_listed"};
	size_t i;

	memset(rg, 0, sizeof(*rg));
	rg->root = json_object_new_object();
	rg->grants = json_object_new_array();
	rg->refused = json_object_new_array();
	rg->total = json_object_new_object();
	if (!rg->root || !rg->grants || !rg->refused || !rg->total) {
		json_object_put(rg->root);
		json_object_put(rg->grants);
		json_object_put(rg->refused);
		json_object_put(rg->total);
		memset(rg, 0, sizeof(*rg));
		return -ENOMEM;
	}
	json_object_object_add(rg->root, "tenantguard_grants_report",
			       json_object_new_int(1));
	json_object_object_add(rg->root, "tenant",
			       json_object_new_string(tenant));
	json_object_object_add(rg->root, "since",
			       since ? json_object_new_string(since) : NULL);
	json_object_object_add(rg->root, "until",
			       until ? json_object_new_string(until) : NULL);
	json_object_object_add(rg->root, "view", json_object_new_string("all"));
	json_object_object_add(rg->root, "grants", rg->grants);
	json_object_object_add(rg->root, "refused", rg->refused);
	json_object_object_add(rg->root, "total", rg->total);
	for (i = 0; i < sizeof(totals) / sizeof(totals[0]); i++)
		json_object_object_add(rg->total, totals[i],
				       json_object_new_int64(0));
	return 0;
}

void report_grants_view(struct report_grants *rg, struct json_object *view)
{
	if (view)
		json_object_object_add(rg->root, "view", json_object_get(view));
}

/* A grant as the report starts it: known by its id only. */
static struct json_object *new_grant(const char *id)
{
	static const char *const unknown[] = {
		"login_uid", "user",	  "ops",       "paths", "reason",
		"window",    "requested", "activated", "ended"};
	struct json_object *g = json_object_new_object(), *acc;
	size_t i;

	if (!g)
		return NULL;
	json_object_object_add(g, "grant", json_object_new_string(id));
	json_object_object_add(g, "break_glass", json_object_new_boolean(0));
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		json_object_object_add(g, unknown[i], NULL);
	json_object_object_add(g, "sessions", json_object_new_array());
	json_object_object_add(g, "refused", json_object_new_array());
	json_object_object_add(g, "other", json_object_new_array());
	acc = json_object_new_object();
	json_object_object_add(acc, "count", json_object_new_int64(0));
	json_object_object_add(acc, "by_op", json_object_new_object());
	json_object_object_add(acc, "events", json_object_new_array());
	json_object_object_add(acc, "not_listed", json_object_new_int64(0));
	json_object_object_add(g, "accesses", acc);
	return g;
}

/* The grant of that id, made at its first event; NULL past the most. */
static struct json_object *grant_of(struct report_grants *rg, const char *id)
{
	struct grant_slot key, *s, **found;

	if (snprintf(key.id, sizeof(key.id), "%s", id) >= (int)sizeof(key.id))
		return NULL;
	found = tfind(&key, &rg->index, slot_cmp);
	if (found)
		return (*found)->g;
	if (json_object_array_length(rg->grants) >= REPORT_GRANTS_MAX)
		return NULL;
	s = malloc(sizeof(*s));
	if (!s)
		return NULL;
	*s = key;
	s->g = new_grant(id);
	if (!s->g || !tsearch(s, &rg->index, slot_cmp)) {
		json_object_put(s->g);
		free(s);
		return NULL;
	}
	json_object_array_add(rg->grants, s->g);
	add_count(rg->total, "grants", 1);
	return s->g;
}

/* Whose and what the grant is, from the first event that says it. */
static void fill(struct json_object *g, struct json_object *ev)
{
	static const char *const keys[] = {"login_uid", "user", "ops", "paths",
					   "reason"};
	struct json_object *have, *v, *w;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		have = get(g, keys[i]);
		v = get(ev, keys[i]);
		/* An agent restarted may no longer know the user: "". */
		if (v &&
		    (!have || (json_object_is_type(have, json_type_string) &&
			       !json_object_get_string_len(have))))
			json_object_object_add(g, keys[i], json_object_get(v));
	}
	if (!get(g, "window") && get(ev, "from") && get(ev, "until")) {
		w = json_object_new_object();
		json_object_object_add(w, "from",
				       json_object_get(get(ev, "from")));
		json_object_object_add(w, "until",
				       json_object_get(get(ev, "until")));
		json_object_object_add(g, "window", w);
	}
}

/* An access made under grant g, counted, and listed up to the most. */
static void add_access(struct report_grants *rg, struct json_object *g,
		       struct json_object *ev)
{
	static const char *const keys[] = {"time",	"seq", "kind", "op",
					   "verdict",	"pid", "comm", "user",
					   "login_uid", NULL};
	struct json_object *acc = get(g, "accesses"), *events, *o;
	char object[4400];

	add_count(acc, "count", 1);
	add_count(get(acc, "by_op"), tg_events_field(ev, "op"), 1);
	events = get(acc, "events");
	if (json_object_array_length(events) >= REPORT_GRANT_ACCESSES_MAX) {
		add_count(acc, "not_listed", 1);
		add_count(rg->total, "not_listed", 1);
		return;
	}
	o = pick(ev, keys);
	tg_events_detail(ev, object, sizeof(object));
	json_object_object_add(o, "object", json_object_new_string(object));
	json_object_array_add(events, o);
}

static const char *const by_keys[] = {"by_uid", "by_login_uid", "by_user"};

/* A lifecycle event's part, with who asked: the keys, then by_*. */
static struct json_object *pick_by(struct json_object *ev,
				   const char *const *keys)
{
	struct json_object *o = pick(ev, keys), *v;
	size_t i;

	for (i = 0; o && i < sizeof(by_keys) / sizeof(by_keys[0]); i++)
		if ((v = get(ev, by_keys[i])))
			json_object_object_add(o, by_keys[i],
					       json_object_get(v));
	return o;
}

/* A kind grant event about grant g. */
static void add_lifecycle(struct report_grants *rg, struct json_object *g,
			  struct json_object *ev, const char *op)
{
	static const char *const requested[] = {"time", "duration",
						"activate_by", NULL};
	static const char *const activated[] = {"time", "from", "until",
						"approvers", NULL};
	static const char *const session[] = {"time", "session_pid", "cgroup",
					      NULL};
	static const char *const ended[] = {"time", "ended", "sessions_killed",
					    NULL};
	static const char *const refused[] = {"time", "request", "error", NULL};
	static const char *const other[] = {"time", "op", NULL};
	struct json_object *o, *bg = get(ev, "break_glass");

	fill(g, ev);
	if (!strcmp(op, "break_glass") ||
	    (json_object_is_type(bg, json_type_boolean) &&
	     json_object_get_boolean(bg))) {
		if (!json_object_get_boolean(get(g, "break_glass")))
			add_count(rg->total, "break_glass", 1);
		json_object_object_add(g, "break_glass",
				       json_object_new_boolean(1));
	}
	if (!strcmp(op, "requested")) {
		json_object_object_add(g, "requested", pick_by(ev, requested));
	} else if (!strcmp(op, "activated") || !strcmp(op, "break_glass")) {
		json_object_object_add(g, "activated", pick_by(ev, activated));
	} else if (!strcmp(op, "session")) {
		json_object_array_add(get(g, "sessions"), pick(ev, session));
	} else if (!strcmp(op, "expired") || !strcmp(op, "revoked")) {
		o = pick_by(ev, ended);
		if (o)
			json_object_object_add(o, "how",
					       json_object_new_string(op));
		json_object_object_add(g, "ended", o);
	} else if (!strcmp(op, "refused")) {
		json_object_array_add(get(g, "refused"), pick_by(ev, refused));
	} else {
		json_object_array_add(get(g, "other"), pick(ev, other));
	}
}

int report_grants_add(struct report_grants *rg, struct json_object *ev)
{
	static const char *const refused[] = {"time", "request", "error", NULL};
	const char *kind = tg_events_field(ev, "kind"),
		   *op = tg_events_field(ev, "op");
	int lifecycle = !strcmp(kind, "grant");
	struct json_object *g = NULL, *id = get(ev, "grant");

	rg->events++;
	if (lifecycle && !strcmp(op, "refused"))
		add_count(rg->total, "refused", 1);
	if (!lifecycle)
		add_count(rg->total, "accesses", 1);
	if (json_object_is_type(id, json_type_string))
		g = grant_of(rg, json_object_get_string(id));
	if (g && lifecycle)
		add_lifecycle(rg, g, ev, op);
	else if (g)
		add_access(rg, g, ev);
	else if (!id && lifecycle && !strcmp(op, "refused") &&
		 json_object_array_length(rg->refused) <
			 REPORT_GRANTS_REFUSALS_MAX)
		json_object_array_add(rg->refused, pick_by(ev, refused));
	else
		add_count(rg->total, "not_listed", 1);
	return 0;
}

/*
 * s escaped for a terminal (tg_events_escape), in one of a few buffers
 * that stay valid until as many calls later: enough for one printf.
 */
static const char *esc(const char *s)
{
	static char buf[8][4 * 4400];
	static unsigned int next;
	char *b = buf[next++ % 8];

	tg_events_escape(b, sizeof(buf[0]), s);
	return b;
}

/* Key k of o, escaped; "-" when absent or null. */
static const char *f(struct json_object *o, const char *k)
{
	return esc(o ? tg_events_field(o, k) : "-");
}

/* A stored time to the millisecond, as events shows it, escaped. */
static const char *when(struct json_object *o, const char *k)
{
	const char *t = o ? tg_events_field(o, k) : "-";
	char b[40];

	snprintf(b, sizeof(b), "%.23s%s", t, strlen(t) > 23 ? "Z" : "");
	return esc(b);
}

/* A JSON array of strings as "a, b", escaped. */
static const char *list(struct json_object *a)
{
	char b[4400] = "";
	size_t i, n = 0;

	for (i = 0; json_object_is_type(a, json_type_array) &&
		    i < json_object_array_length(a) && n < sizeof(b);
	     i++)
		n += (size_t)snprintf(b + n, sizeof(b) - n, "%s%s",
				      i ? ", " : "",
				      json_object_get_string(
					      json_object_array_get_idx(a, i)));
	return esc(n ? b : "-");
}

/* Who asked, as " by login uid L (uid U, USER)"; "" when nobody did. */
static void print_by(FILE *out, struct json_object *o)
{
	if (!get(o, "by_uid") && !get(o, "by_login_uid"))
		return;
	fprintf(out, " by login uid %s (uid %s, %s)", f(o, "by_login_uid"),
		f(o, "by_uid"), f(o, "by_user"));
}

static void print_accesses(FILE *out, struct json_object *acc)
{
	struct json_object_iterator it, end;
	struct json_object *events = get(acc, "events"), *e;
	char object[4 * 4400];
	size_t i, n = json_object_array_length(events);

	fprintf(out, "  accesses    %s", f(acc, "count"));
	it = json_object_iter_begin(get(acc, "by_op"));
	end = json_object_iter_end(get(acc, "by_op"));
	for (i = 0; !json_object_iter_equal(&it, &end);
	     json_object_iter_next(&it), i++)
		fprintf(out, "%s%s %s", i ? ", " : " (",
			esc(json_object_iter_peek_name(&it)),
			esc(json_object_get_string(
				json_object_iter_peek_value(&it))));
	fprintf(out, "%s\n", i ? ")" : "");
	if (!n)
		return;
	fprintf(out, "    %-24s %-12s %-7s %-7s %-15s %-7s %-12s %s\n", "TIME",
		"OP", "VERDICT", "PID", "COMM", "LOGIN", "USER", "OBJECT");
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(events, i);
		fprintf(out, "    %-24s ", when(e, "time"));
		/* Fixed columns: a longer value is cut, marked. */
		tg_events_col(out, tg_events_field(e, "op"), 12, "", "");
		tg_events_col(out, tg_events_field(e, "verdict"), 7, "", "");
		tg_events_col(out, tg_events_field(e, "pid"), 7, "", "");
		tg_events_col(out, tg_events_field(e, "comm"), 15, "", "");
		tg_events_col(out, tg_events_field(e, "login_uid"), 7, "", "");
		tg_events_col(out, tg_events_field(e, "user"), 12, "", "");
		tg_events_escape(object, sizeof(object),
				 tg_events_field(e, "object"));
		fprintf(out, "%s\n", object);
	}
	if (json_object_get_int64(get(acc, "not_listed")))
		fprintf(out, "    ... and %s more, not listed (at most %d)\n",
			f(acc, "not_listed"), REPORT_GRANT_ACCESSES_MAX);
}

static void print_refusals(FILE *out, struct json_object *a, const char *indent)
{
	struct json_object *r;
	size_t i;

	for (i = 0; i < json_object_array_length(a); i++) {
		r = json_object_array_get_idx(a, i);
		fprintf(out, "%srefused     %s %s", indent, when(r, "time"),
			f(r, "request"));
		print_by(out, r);
		fprintf(out, ": %s\n", f(r, "error"));
	}
}

static void print_grant(FILE *out, struct json_object *g)
{
	struct json_object *req = get(g, "requested"),
			   *act = get(g, "activated"), *end = get(g, "ended"),
			   *win = get(g, "window"), *a, *s;
	int bg = json_object_get_boolean(get(g, "break_glass"));
	size_t i;

	fprintf(out, "\n");
	if (bg)
		fprintf(out,
			"!!! BREAK-GLASS: grant %s was activated without "
			"the tenant's approvals !!!\n",
			f(g, "grant"));
	fprintf(out, "grant %s%s: login uid %s, user %s, ops %s%s%s\n",
		f(g, "grant"), bg ? " [BREAK-GLASS]" : "", f(g, "login_uid"),
		f(g, "user"), list(get(g, "ops")),
		get(g, "paths") ? ", paths " : "",
		get(g, "paths") ? list(get(g, "paths")) : "");
	if (req) {
		fprintf(out, "  requested   %s", when(req, "time"));
		print_by(out, req);
		fprintf(out, ", for %ss\n", f(req, "duration"));
	} else {
		fprintf(out, "  requested   (before this report's span)\n");
	}
	fprintf(out, "  reason      %s\n", f(g, "reason"));
	if (act) {
		fprintf(out, "  approved by %s\n",
			bg ? "NOBODY (break-glass)"
			   : list(get(act, "approvers")));
		fprintf(out, "  activated   %s", when(act, "time"));
		print_by(out, act);
		fprintf(out, "\n");
	} else {
		fprintf(out, "  activated   not in this report's span\n");
	}
	if (win)
		fprintf(out, "  window      %s to %s\n", when(win, "from"),
			when(win, "until"));
	a = get(g, "sessions");
	for (i = 0; i < json_object_array_length(a); i++) {
		s = json_object_array_get_idx(a, i);
		fprintf(out, "  session     %s pid %s, cgroup %s\n",
			when(s, "time"), f(s, "session_pid"), f(s, "cgroup"));
	}
	print_refusals(out, get(g, "refused"), "  ");
	a = get(g, "other");
	for (i = 0; i < json_object_array_length(a); i++) {
		s = json_object_array_get_idx(a, i);
		fprintf(out, "  %-11s %s\n", f(s, "op"), when(s, "time"));
	}
	if (end) {
		fprintf(out, "  ended       %s %s", f(end, "how"),
			when(end, "ended"));
		print_by(out, end);
		fprintf(out, ", %s session(s) killed\n",
			f(end, "sessions_killed"));
	} else if (act) {
		fprintf(out, "  ended       not in this report's span (in "
			     "force, or ended after it)\n");
	}
	print_accesses(out, get(g, "accesses"));
}

void report_grants_print(FILE *out, const struct report_grants *rg, int json)
{
	struct json_object *t = rg->total;
	size_t i;

	if (json) {
		fprintf(out, "%s\n",
			json_object_to_json_string_ext(
				rg->root,
				JSON_C_TO_STRING_PRETTY |
					JSON_C_TO_STRING_NOSLASHESCAPE));
		return;
	}
	fprintf(out, "grants to tenant %s, from %s to %s\n",
		f(rg->root, "tenant"),
		get(rg->root, "since") ? f(rg->root, "since")
				       : "the log's start",
		get(rg->root, "until") ? f(rg->root, "until")
				       : "the log's end");
	if (json_object_get_int64(get(t, "break_glass")))
		fprintf(out,
			"!!! %s BREAK-GLASS grant(s): activated without "
			"the tenant's approvals !!!\n",
			f(t, "break_glass"));
	for (i = 0; i < json_object_array_length(rg->grants); i++)
		print_grant(out, json_object_array_get_idx(rg->grants, i));
	if (json_object_array_length(rg->refused)) {
		fprintf(out, "\nrefused, naming no grant:\n");
		print_refusals(out, rg->refused, "  ");
	}
	fprintf(out,
		"\ntotal: %s grant(s) (%s break-glass), %s access(es), "
		"%s refusal(s)",
		f(t, "grants"), f(t, "break_glass"), f(t, "accesses"),
		f(t, "refused"));
	if (json_object_get_int64(get(t, "not_listed")))
		fprintf(out, "; %s event(s) counted, not listed",
			f(t, "not_listed"));
	fprintf(out, "\n");
}

void report_grants_free(struct report_grants *rg)
{
	tdestroy(rg->index, free);
	json_object_put(rg->root);
	memset(rg, 0, sizeof(*rg));
}
