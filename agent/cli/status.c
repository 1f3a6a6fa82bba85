// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard status [--json] and tenantguard reload: ask the agent over
 * its control socket, print its answer.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/control.h"
#include "common/log.h"

const char *cli_unreachable_hint(int err)
{
	switch (err < 0 ? -err : err) {
	case ENOENT:
	case ECONNREFUSED:
		return "; is tenantguard-agent running? (systemctl status "
		       "tenantguard-agent; another socket: --control-socket "
		       "PATH)";
	case EACCES:
		return "; the socket is root's and its group's (tenantguard, or "
		       "the agent's --control-group): a member of it may "
		       "connect, with the role the policy gives";
	default: return "";
	}
}

/*
 * The agent's reply to {"cmd": cmd} in *reply; 0, or -errno (reported):
 * also when the agent refused the request ({"ok": false, "error": ...}).
 */
int cli_call(const struct cli_opts *o, struct json_object *req,
	     struct json_object **reply)
{
	const char *cmd = jstr(req, "cmd");
	struct json_object *v;
	int err = 0;

	*reply = tg_control_call(o->control_socket, req);
	if (!*reply)
		err = -errno;
	if (err)
		return tg_err(err, "%s: cannot reach the agent at %s: %s%s",
			      cmd, o->control_socket, strerror(-err),
			      cli_unreachable_hint(err));
	if (json_object_object_get_ex(*reply, "error", &v)) {
		err = tg_err(-EPERM, "%s: %s", cmd, json_object_get_string(v));
		json_object_put(*reply);
		*reply = NULL;
	}
	return err;
}

static int call(const struct cli_opts *o, const char *cmd,
		struct json_object **reply)
{
	struct json_object *req = json_object_new_object();
	int err;

	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	err = cli_call(o, req, reply);
	json_object_put(req);
	return err;
}

int cli_pending(struct json_object *r)
{
	struct json_object *v;

	if (!json_object_object_get_ex(r, "pending", &v) ||
	    !json_object_get_boolean(v))
		return 0;
	printf("pending: %s\n", jstr(r, "message"));
	return 1;
}

const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v)
						   : "-";
}

/* The strings of JSON array arr, joined by ", ", on stdout. */
static void print_list(struct json_object *arr)
{
	size_t i, n = arr ? json_object_array_length(arr) : 0;

	for (i = 0; i < n; i++)
		printf("%s%s", i ? ", " : "",
		       json_object_get_string(
			       json_object_array_get_idx(arr, i)));
}

/* Self-protection: the checks enforced, or UNENFORCED and why. */
static void print_guard(struct json_object *r)
{
	struct json_object *g, *v = NULL;

	if (!json_object_object_get_ex(r, "self_protection", &g))
		return;
	if (!strcmp(jstr(g, "backend"), "none")) {
		printf("UNENFORCED:  self-protection (");
		json_object_object_get_ex(g, "unenforced", &v);
		print_list(v);
		printf(": %s)\n", jstr(g, "reason"));
		return;
	}
	printf("guard:       %s (", jstr(g, "backend"));
	json_object_object_get_ex(g, "enforced", &v);
	print_list(v);
	printf("); capabilities refused: ");
	json_object_object_get_ex(g, "capabilities", &v);
	print_list(v);
	printf("; %s path(s) protected, %s missing; %s daemon socket(s) and spool(s) closed to support staff\n",
	       jstr(g, "protected_paths"), jstr(g, "missing_paths"),
	       jstr(g, "delegation_paths"));
}

/* What the agent does not enforce, and on which filesystems fanotify works. */
static void print_unenforced(struct json_object *r)
{
	struct json_object *un = NULL, *fan, *fss = NULL, *v;
	size_t i, n, ops = 0;

	json_object_object_get_ex(r, "unenforced", &un);
	n = un ? json_object_array_length(un) : 0;
	for (i = 0; i < n; i++) {
		const char *s = json_object_get_string(
			json_object_array_get_idx(un, i));

		if (strncmp(s, "file:", 5) != 0)
			continue;
		printf("%s %s", ops++ ? "" : "UNENFORCED: ", s);
	}
	if (ops)
		printf("\n");
	if (json_object_object_get_ex(r, "file_reason", &v))
		printf("UNENFORCED:  file isolation%s (%s)\n",
		       ops ? ", but opens" : "", json_object_get_string(v));
	if (json_object_object_get_ex(r, "unix_reason", &v))
		printf("UNENFORCED:  unix sockets and other tenants' sockets in use (%s)\n",
		       json_object_get_string(v));
	if (json_object_object_get_ex(r, "proc_reason", &v))
		printf("UNENFORCED:  other tenants' and the host's processes (%s)\n",
		       json_object_get_string(v));
	print_guard(r);
	if (!json_object_object_get_ex(r, "fanotify", &fan))
		return;
	json_object_object_get_ex(fan, "filesystems", &fss);
	n = fss ? json_object_array_length(fss) : 0;
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(fss, i);
		printf("fanotify:    %s (dev %s) %s%s%s\n", jstr(v, "mount"),
		       jstr(v, "dev"),
		       json_object_get_boolean(
			       json_object_object_get(v, "marked"))
			       ? "opens checked"
			       : "NOT MARKED",
		       json_object_object_get(v, "reason") ? ": " : "",
		       json_object_object_get(v, "reason") ? jstr(v, "reason")
							   : "");
	}
	printf("fanotify:    %s answered, %s denied, %s audited, %s undecidable, %s ignore marks\n",
	       jstr(fan, "answered"), jstr(fan, "denied"), jstr(fan, "audited"),
	       jstr(fan, "undecidable"), jstr(fan, "ignore_marks"));
	json_object_object_get_ex(fan, "renames", &v);
	json_object_object_get_ex(fan, "flushes", &fss);
	if (v && fss)
		printf("fanotify:    %s directory renames (%s changed no owner); answers forgotten: all %s, unowned %s, one tenant's %s, ignore marks at their limit %s\n",
		       jstr(v, "directories"), jstr(v, "owner_kept"),
		       jstr(fss, "all"), jstr(fss, "host"), jstr(fss, "tenant"),
		       jstr(fss, "ignore_limit"));
	json_object_object_get_ex(fan, "links", &v);
	if (v)
		printf("fanotify:    %s link scans; tenants' opens of files with several links: %s waited for one, %s refused at the end of the wait\n",
		       jstr(v, "scans"), jstr(v, "waited"),
		       jstr(v, "timed_out"));
}

/* The agent's delivery figures: queue, spool, collector, drops. */
static void print_delivery(struct json_object *r)
{
	struct json_object *d, *dr, *v;
	int first = 1;

	if (!json_object_object_get_ex(r, "delivery", &d))
		return;
	printf("events:      %s produced, %s acknowledged by the collector, %s in memory, "
	       "%s in the spool (%s bytes), oldest unacknowledged %s s old\n",
	       jstr(d, "submitted"), jstr(d, "acked"), jstr(d, "queued"),
	       jstr(d, "spool_events"), jstr(d, "spool_bytes"),
	       jstr(d, "collector_lag_seconds"));
	if (json_object_object_get_ex(d, "collector_stalled", &v) &&
	    json_object_get_boolean(v))
		printf("COLLECTOR:   cannot write its log since %s (%s); events wait in the agent\n",
		       jstr(d, "stalled_since"), jstr(d, "stalled_why"));
	else if (json_object_object_get_ex(d, "collector_connected", &v) &&
		 !json_object_get_boolean(v))
		printf("COLLECTOR:   not connected (%s); events wait in the agent\n",
		       jstr(d, "last_error"));
	else
		printf("collector:   connected\n");
	printf("dropped:     ");
	if (json_object_object_get_ex(d, "dropped", &dr)) {
		json_object_object_foreach(dr, k, n)
		{
			printf("%s%s %s", first ? "" : ", ", k,
			       json_object_get_string(n));
			first = 0;
		}
	}
	printf("\n");
	if (json_object_object_get_ex(d, "metrics_file", &v))
		printf("metrics:     %s%s%s\n", json_object_get_string(v),
		       json_object_object_get_ex(d, "metrics_error", NULL)
			       ? ": "
			       : "",
		       json_object_object_get_ex(d, "metrics_error", NULL)
			       ? jstr(d, "metrics_error")
			       : "");
}

/*
 * The pending actor's row (processes below the tenants cgroup in no
 * tenant), and every cgroup there the agent could not make a tenant.
 */
static void print_pending(struct json_object *r)
{
	struct json_object *p, *un = NULL, *u, *v;
	size_t i, n;

	if (!json_object_object_get_ex(r, "pending", &p))
		return;
	printf("%-20s %-5s %-8s %-8s %-9s %s (and below it, in no tenant)\n",
	       "(pending)", "-", jstr(p, "mode"), jstr(p, "denials"),
	       jstr(p, "present"), jstr(p, "cgroup"));
	json_object_object_get_ex(p, "unregistered", &un);
	n = un ? json_object_array_length(un) : 0;
	for (i = 0; i < n; i++) {
		u = json_object_array_get_idx(un, i);
		printf("PENDING:     %s\n", jstr(u, "message"));
	}
	if (json_object_object_get_ex(p, "unregistered_more", &v) &&
	    json_object_get_int64(v) > 0)
		printf("PENDING:     %s more cgroups are no tenant (not listed)\n",
		       json_object_get_string(v));
	un = NULL;
	json_object_object_get_ex(p, "unregistered_paths", &un);
	n = un ? json_object_array_length(un) : 0;
	for (i = 0; i < n; i++) {
		u = json_object_array_get_idx(un, i);
		printf("REFUSED:     %s\n", jstr(u, "message"));
	}
	if (json_object_object_get_ex(p, "unregistered_paths_more", &v) &&
	    json_object_get_int64(v) > 0)
		printf("REFUSED:     %s more directories below %s are no tenant's (not listed), refused to every tenant\n",
		       json_object_get_string(v), jstr(p, "paths_root"));
}

/* What stays enforcing without an agent, and what this start adopted. */
static void print_pins(struct json_object *r)
{
	struct json_object *p, *l, *m, *keep;
	size_t i;

	if (!json_object_object_get_ex(r, "pins", &p))
		return;
	json_object_object_get_ex(p, "links", &l);
	json_object_object_get_ex(p, "maps", &m);
	printf("pinned:      %s (%s; build %.12s, stamp %s; links %s replaced, %s kept, %s swapped, %s new; maps %s reused, %s frozen)\n",
	       jstr(p, "dir"),
	       json_object_get_boolean(json_object_object_get(p, "upgraded"))
		       ? "adopted and upgraded"
	       : json_object_get_boolean(json_object_object_get(p, "adopted"))
		       ? "adopted"
		       : "new",
	       jstr(p, "build"), jstr(p, "stamp"), jstr(l, "replaced"),
	       jstr(l, "kept"), jstr(l, "swapped"), jstr(l, "attached"),
	       jstr(m, "reused"), jstr(m, "frozen"));
	printf("persists:   ");
	if (json_object_object_get_ex(p, "persist", &keep))
		for (i = 0; i < json_object_array_length(keep); i++)
			printf(" %s",
			       json_object_get_string(
				       json_object_array_get_idx(keep, i)));
	printf(" (enforced with no agent running; --detach removes it)\n");
}

/* The local routing table as the network programs see it. */
static void print_local_routes(struct json_object *r)
{
	struct json_object *net, *full;

	if (!json_object_object_get_ex(r, "net", &net))
		return;
	printf("local routes: %s mirrored (the local table has %s; at most %s)\n",
	       jstr(net, "local_routes"), jstr(net, "local_routes_table"),
	       jstr(net, "local_routes_max"));
	if (json_object_object_get_ex(net, "local_routes_full", &full) &&
	    json_object_get_boolean(full))
		printf("REFUSED:     the local routing table does not fit: tenants' connections and datagrams to addresses not mirrored are refused\n");
}

/*
 * The control socket: who may connect, and each role's groups (a group the
 * host does not have is marked "absent").
 */
/* The two-person rule: the verbs it holds, and the requests waiting. */
static void print_confirm(struct json_object *c)
{
	struct json_object *cf, *arr, *w;
	size_t i;

	if (!json_object_object_get_ex(c, "confirm", &cf))
		return;
	json_object_object_get_ex(cf, "verbs", &arr);
	printf("confirm:     ");
	if (arr && json_object_array_length(arr))
		print_list(arr);
	else
		printf("nothing");
	printf(" (second person within %ss)\n", jstr(cf, "window_s"));
	json_object_object_get_ex(cf, "waiting", &arr);
	for (i = 0; arr && i < json_object_array_length(arr); i++) {
		w = json_object_array_get_idx(arr, i);
		printf("  waiting:   %s %s by uid %s (login uid %s%s%s), needs %s, %ss left\n",
		       jstr(w, "id"), jstr(w, "verb"), jstr(w, "uid"),
		       jstr(w, "login_uid"), *jstr(w, "user") ? ", " : "",
		       jstr(w, "user"), jstr(w, "needs_role"),
		       jstr(w, "expires_in_s"));
	}
}

/* The support staff (policy support:), as resolved. */
static void print_support(struct json_object *c)
{
	struct json_object *s, *uids, *groups;

	if (!json_object_object_get_ex(c, "support", &s))
		return;
	json_object_object_get_ex(s, "login_uids", &uids);
	json_object_object_get_ex(s, "groups", &groups);
	if (!strcmp(jstr(s, "ranges"), "0")) {
		printf("support:     nobody (no support: in the policy)\n");
		return;
	}
	printf("support:     login uids ");
	if (uids && json_object_array_length(uids))
		print_list(uids);
	else
		printf("-");
	printf(", groups ");
	if (groups && json_object_array_length(groups))
		print_list(groups);
	else
		printf("-");
	printf(": %s login uid(s) in %s range(s), no standing access to tenants\n",
	       jstr(s, "uids"), jstr(s, "ranges"));
}

static void print_control(struct json_object *r)
{
	static const char *const roles[] = {"viewer", "operator", "admin"};
	struct json_object *c, *rs, *arr, *g, *gid;
	size_t i, j;

	if (!json_object_object_get_ex(r, "control", &c))
		return;
	if (!strcmp(jstr(c, "mode"), "0660"))
		printf("control:     %s (mode 0660, group %s)\n",
		       jstr(c, "socket"), jstr(c, "group"));
	else
		printf("CONTROL:     %s (mode 0600, root only: no group %s on this host)\n",
		       jstr(c, "socket"), jstr(c, "group"));
	if (json_object_object_get_ex(c, "records_held", NULL))
		printf("requests:    %s client(s) cut off; records %s held back (%s of uids pushed out), %s dropped; refused, too many at once: %s run(s), %s event stream(s)\n",
		       jstr(c, "clients_cut"), jstr(c, "records_held"),
		       jstr(c, "records_held_evicted"),
		       jstr(c, "records_dropped"), jstr(c, "runs_refused"),
		       jstr(c, "streams_refused"));
	print_confirm(c);
	print_support(c);
	if (json_object_object_get_ex(c, "grants", &g))
		printf("grants:      %s in force, %s session(s); a grant opens %s%s\n",
		       jstr(g, "in_force"), jstr(g, "sessions"),
		       jstr(g, "enforced"),
		       strcmp(jstr(g, "replay_cache"), "true")
			       ? "; NONE CAN BE ACTIVATED: the replay cache did not open"
			       : "");
	if (!json_object_object_get_ex(c, "roles", &rs))
		return;
	printf("roles:      ");
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		printf(" %s [", roles[i]);
		if (json_object_object_get_ex(rs, roles[i], &arr))
			for (j = 0; j < json_object_array_length(arr); j++) {
				g = json_object_array_get_idx(arr, j);
				printf("%s%s%s", j ? ", " : "", jstr(g, "name"),
				       json_object_object_get_ex(g, "gid",
								 &gid) &&
						       gid
					       ? ""
					       : " (absent)");
			}
		printf("]%s",
		       i + 1 < sizeof(roles) / sizeof(roles[0]) ? ";" : "");
	}
	printf("\n");
}

/* A viewer restricted to some tenants: which, on a line of its own. */
static void print_view(struct json_object *r)
{
	struct json_object *v;
	size_t i;

	if (!json_object_object_get_ex(r, "view", &v) ||
	    !json_object_is_type(v, json_type_array))
		return;
	printf("view:       ");
	for (i = 0; i < json_object_array_length(v); i++)
		printf("%s %s", i ? "," : "",
		       json_object_get_string(json_object_array_get_idx(v, i)));
	printf(" (restricted: these tenants only)\n");
}

int cmd_status(const struct cli_opts *o, int argc, char **argv)
{
	struct json_object *r, *ts, *t, *v;
	size_t i, n;
	int json = argc > 1 && strcmp(argv[1], "--json") == 0;

	if (argc > 1 && !json)
		return tg_err(2, "status: unknown option %s", argv[1]);
	if (call(o, "status", &r))
		return 1;
	if (json) {
		printf("%s\n",
		       json_object_to_json_string_ext(
			       r, JSON_C_TO_STRING_PRETTY |
					  JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(r);
		return 0;
	}
	print_view(r);
	printf("agent:       tenantguard-agent %s\n", jstr(r, "version"));
	printf("policy:      %s (generation %s, default mode %s)\n",
	       jstr(r, "policy"), jstr(r, "generation"), jstr(r, "mode"));
	if (json_object_object_get_ex(r, "host_key", &v))
		printf("host key:    ed25519 %s (signs exports; %s)\n",
		       jstr(v, "public_key"), jstr(v, "state_dir"));
	if (json_object_object_get_ex(r, "retired", &ts))
		for (i = 0; i < json_object_array_length(ts); i++) {
			t = json_object_array_get_idx(ts, i);
			printf("retired:     %s (since @%s, kept %ss, cgroup %s frozen)\n",
			       jstr(t, "name"), jstr(t, "since"),
			       jstr(t, "keep_s"), jstr(t, "cgroup"));
		}
	json_object_object_get_ex(r, "backends", &v);
	printf("backends:    file %s, net %s, unix %s, proc %s\n",
	       jstr(v, "file"), jstr(v, "net"), jstr(v, "unix"),
	       jstr(v, "proc"));
	if (json_object_object_get_ex(r, "file_ops", &v) &&
	    json_object_array_length(v)) {
		printf("file ops:   ");
		for (i = 0; i < json_object_array_length(v); i++)
			printf(" %s", json_object_get_string(
					      json_object_array_get_idx(v, i)));
		printf("\n");
	}
	print_unenforced(r);
	print_control(r);
	print_pins(r);
	print_local_routes(r);
	printf("%-20s %-5s %-8s %-8s %-9s %s\n", "TENANT", "ID", "MODE",
	       "DENIALS", "PRESENT", "CGROUP");
	json_object_object_get_ex(r, "tenants", &ts);
	n = ts ? json_object_array_length(ts) : 0;
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(ts, i);
		printf("%-20s %-5s %-8s %-8s %-9s %s\n", jstr(t, "name"),
		       jstr(t, "id"), jstr(t, "mode"), jstr(t, "denials"),
		       jstr(t, "present"), jstr(t, "cgroup"));
	}
	print_pending(r);
	print_delivery(r);
	json_object_put(r);
	return 0;
}

/* The policy tenants a reload added, removed and changed, if any. */
void print_changes(struct json_object *r)
{
	static const char *const keys[] = {"tenants_added", "tenants_removed",
					   "tenants_changed"};
	static const char *const what[] = {"added", "removed", "changed"};
	struct json_object *arr;
	size_t i, j;

	for (i = 0; i < 3; i++) {
		if (!json_object_object_get_ex(r, keys[i], &arr) ||
		    !json_object_array_length(arr))
			continue;
		printf("tenants %s:", what[i]);
		for (j = 0; j < json_object_array_length(arr); j++)
			printf(" %s",
			       json_object_get_string(
				       json_object_array_get_idx(arr, j)));
		printf("\n");
	}
}

int cmd_reload(const struct cli_opts *o, int argc, char **argv)
{
	struct json_object *r, *v;
	int json = argc > 1 && strcmp(argv[1], "--json") == 0, ok;

	if (argc > (json ? 2 : 1))
		return tg_err(2,
			      "reload: unexpected argument '%s' (reload "
			      "[--json])",
			      argv[json ? 2 : 1]);
	if (call(o, "reload", &r))
		return 1;
	if (json) {
		/* The agent's reply as it is; the exit status as for text. */
		ok = json_object_object_get_ex(r, "pending", &v) &&
				     json_object_get_boolean(v)
			     ? CLI_PENDING
		     : json_object_object_get_ex(r, "ok", &v) &&
				     json_object_get_boolean(v)
			     ? 0
			     : 1;
		printf("%s\n",
		       json_object_to_json_string_ext(
			       r, JSON_C_TO_STRING_PLAIN |
					  JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(r);
		return ok;
	}
	if (cli_pending(r)) {
		print_changes(r);
		json_object_put(r);
		return CLI_PENDING;
	}
	return cli_reload_reply(r);
}

int cli_reload_reply(struct json_object *r)
{
	struct json_object *errs, *ok;
	size_t i, n;
	int good;

	good = json_object_object_get_ex(r, "ok", &ok) &&
	       json_object_get_boolean(ok);
	json_object_object_get_ex(r, "errors", &errs);
	n = errs ? json_object_array_length(errs) : 0;
	/* The agent's messages as they are: most name file:line:column. */
	for (i = 0; i < n; i++)
		tg_plain("%s", json_object_get_string(
				       json_object_array_get_idx(errs, i)));
	json_object_object_get_ex(r, "warnings", &errs);
	n = errs ? json_object_array_length(errs) : 0;
	for (i = 0; good && i < n; i++)
		tg_plain("warning: %s",
			 json_object_get_string(
				 json_object_array_get_idx(errs, i)));
	if (good) {
		printf("reloaded: generation %s in force (%s map changes, %s ms)\n",
		       jstr(r, "generation"), jstr(r, "map_changes"),
		       jstr(r, "elapsed_ms"));
		print_changes(r);
	} else
		tg_err(1, "reload rejected; generation %s stays in force",
		       jstr(r, "generation"));
	json_object_put(r);
	return good ? 0 : 1;
}
