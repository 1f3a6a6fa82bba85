// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard: the operator's command line.
 *
 *   tenantguard events [--log PATH] [--follow] [--tenant T] [--kind K]
 *                      [--since TIME] [--json]
 *   tenantguard run --tenant NAME [--profile P] [--uid U --gid G] -- CMD...
 *   tenantguard seccomp check FILE... | export --profile P --format F
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <json-c/json.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cgroupfs.h"
#include "common/control.h"
#include "common/log.h"
#include "cli/events.h"
#include "cli/launch.h"
#include "policy/policy.h"
#include "seccomp/profile.h"
#include "policy/registry.h"

#define PROG "tenantguard"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: " PROG " COMMAND [options]\n"
		"commands:\n"
		"  status [--json]     policy, generation, backends, tenants, denials\n"
		"  reload              load the agent's policy files again; errors are\n"
		"                      printed and the policy in force stays\n"
		"  policy check FILE [DROPIN...]\n"
		"         validate a policy (and drop-ins, merged in the order given)\n"
		"         without touching the kernel; errors as file:line:column\n"
		"  events [--log PATH] [-f|--follow] [--tenant T] [--kind K]\n"
		"         [--since TIME] [--json]\n"
		"         print the events the collector stored, its rotated files\n"
		"         first (default log /var/log/tenantguard/events.jsonl);\n"
		"         --follow keeps printing new events, also across rotation;\n"
		"         --tenant matches actor or target; --kind file|net|unix|\n"
		"         proc|seccomp|agent; --since an RFC 3339 time or a duration\n"
		"         back from now (90s, 10m, 2h, 1d); --json prints the stored\n"
		"         JSON lines; colour only on a terminal and without NO_COLOR\n"
		"  run --tenant NAME --uid U --gid G [--profile NAME|FILE]\n"
		"      [--seccomp-dir DIR] [--policy FILE] [-v] -- CMD [ARGS...]\n"
		"         start CMD as U:G in the tenant's cgroup (and a cgroup namespace\n"
		"         rooted there), without capabilities, with no_new_privs and the\n"
		"         tenant's seccomp profile; exits with CMD's status (125:\n"
		"         launcher failure, 126/127: CMD not run)\n"
		"  seccomp check FILE...\n"
		"         validate seccomp profiles; errors as file:line:column\n"
		"  seccomp export --profile NAME|FILE --format oci|bpf|pfc\n"
		"      [--seccomp-dir DIR] [--output FILE]\n"
		"         the profile as an OCI runtime \"seccomp\" section (runc, crun,\n"
		"         podman), as the raw BPF filter, or as libseccomp's readable form\n"
		"  help   this text\n"
		"global option (before COMMAND): --control-socket PATH\n"
		"  (default /run/tenantguard/control.sock)\n");
}

/* Merge FILE and its drop-ins like the agent does, report every error. */
static int cmd_policy_check(int argc, char **argv)
{
	unsigned int i, paths = 0, ports = 0, nets = 0;
	struct tg_policy p;
	struct tg_diag d = {};
	int k, err = 0;

	if (argc < 1) {
		fprintf(stderr, PROG ": policy check: no policy file given\n");
		return 2;
	}
	tg_policy_init(&p);
	snprintf(p.source, sizeof(p.source), "%s", argv[0]);
	for (k = 0; k < argc; k++)
		if (tg_policy_load_file(&p, argv[k], k == 0, &d))
			err = -EINVAL;
	if (tg_policy_finish(&p, &d))
		err = -EINVAL;
	for (i = 0; i < d.n; i++)
		fprintf(stderr, "%s\n", d.msgs[i]);
	if (d.dropped)
		fprintf(stderr, PROG ": %u more errors not shown\n", d.dropped);
	if (!err) {
		for (i = 0; i < p.n_tenants; i++) {
			paths += p.tenants[i].n_paths;
			ports += p.tenants[i].n_ports;
			nets += p.tenants[i].n_networks;
		}
		printf("%s: ok: version %d, mode %s, tenants_cgroup %s, %u tenants, "
		       "%u paths, %u port ranges, %u networks\n",
		       argv[0], p.version, p.mode == TG_MODE_AUDIT ? "audit" : "enforce",
		       p.tenants_cgroup, p.n_tenants, paths, ports, nets);
	}
	tg_diag_free(&d);
	tg_policy_free(&p);
	return err ? 1 : 0;
}

static const char *control_path = "/run/tenantguard/control.sock";

static struct json_object *call(const char *cmd)
{
	struct json_object *req = json_object_new_object(), *reply;

	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	reply = tg_control_call(control_path, req);
	json_object_put(req);
	if (!reply)
		fprintf(stderr, PROG ": %s: cannot reach the agent at %s: %s\n", cmd,
			control_path, strerror(errno));
	return reply;
}

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "-";
}

/* What the agent does not enforce, and on which filesystems fanotify works. */
static void print_unenforced(struct json_object *r)
{
	struct json_object *un = NULL, *fan, *fss = NULL, *v;
	size_t i, n, ops = 0;

	json_object_object_get_ex(r, "unenforced", &un);
	n = un ? json_object_array_length(un) : 0;
	for (i = 0; i < n; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(un, i));

		if (strncmp(s, "file:", 5) != 0)
			continue;
		printf("%s %s", ops++ ? "" : "UNENFORCED: ", s);
	}
	if (ops)
		printf("\n");
	if (json_object_object_get_ex(r, "file_reason", &v))
		printf("UNENFORCED:  file isolation%s (%s)\n", ops ? ", but opens" : "",
		       json_object_get_string(v));
	if (json_object_object_get_ex(r, "unix_reason", &v))
		printf("UNENFORCED:  unix sockets and other tenants' sockets in use (%s)\n",
		       json_object_get_string(v));
	if (!json_object_object_get_ex(r, "fanotify", &fan))
		return;
	json_object_object_get_ex(fan, "filesystems", &fss);
	n = fss ? json_object_array_length(fss) : 0;
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(fss, i);
		printf("fanotify:    %s (dev %s) %s%s%s\n", jstr(v, "mount"), jstr(v, "dev"),
		       json_object_get_boolean(json_object_object_get(v, "marked")) ?
			       "opens checked" : "NOT MARKED",
		       json_object_object_get(v, "reason") ? ": " : "",
		       json_object_object_get(v, "reason") ? jstr(v, "reason") : "");
	}
	printf("fanotify:    %s answered, %s denied, %s audited, %s undecidable, %s ignore marks\n",
	       jstr(fan, "answered"), jstr(fan, "denied"), jstr(fan, "audited"),
	       jstr(fan, "undecidable"), jstr(fan, "ignore_marks"));
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
		json_object_object_foreach(dr, k, n) {
			printf("%s%s %s", first ? "" : ", ", k, json_object_get_string(n));
			first = 0;
		}
	}
	printf("\n");
	if (json_object_object_get_ex(d, "metrics_file", &v))
		printf("metrics:     %s%s%s\n", json_object_get_string(v),
		       json_object_object_get_ex(d, "metrics_error", NULL) ? ": " : "",
		       json_object_object_get_ex(d, "metrics_error", NULL) ?
		       jstr(d, "metrics_error") : "");
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
}

static int cmd_status(int argc, char **argv)
{
	struct json_object *r, *ts, *t, *v;
	size_t i, n;
	int json = argc > 1 && strcmp(argv[1], "--json") == 0;

	if (argc > 1 && !json) {
		fprintf(stderr, PROG ": status: unknown option %s\n", argv[1]);
		return 2;
	}
	r = call("status");
	if (!r)
		return 1;
	if (json) {
		printf("%s\n", json_object_to_json_string_ext(r, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(r);
		return 0;
	}
	printf("policy:      %s (generation %s, default mode %s)\n", jstr(r, "policy"),
	       jstr(r, "generation"), jstr(r, "mode"));
	json_object_object_get_ex(r, "backends", &v);
	printf("backends:    file %s, net %s, unix %s\n", jstr(v, "file"),
	       jstr(v, "net"), jstr(v, "unix"));
	if (json_object_object_get_ex(r, "file_ops", &v) && json_object_array_length(v)) {
		printf("file ops:   ");
		for (i = 0; i < json_object_array_length(v); i++)
			printf(" %s", json_object_get_string(json_object_array_get_idx(v, i)));
		printf("\n");
	}
	print_unenforced(r);
	printf("%-20s %-5s %-8s %-8s %-9s %s\n", "TENANT", "ID", "MODE", "DENIALS",
	       "PRESENT", "CGROUP");
	json_object_object_get_ex(r, "tenants", &ts);
	n = ts ? json_object_array_length(ts) : 0;
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(ts, i);
		printf("%-20s %-5s %-8s %-8s %-9s %s\n", jstr(t, "name"), jstr(t, "id"),
		       jstr(t, "mode"), jstr(t, "denials"), jstr(t, "present"),
		       jstr(t, "cgroup"));
	}
	print_pending(r);
	print_delivery(r);
	json_object_put(r);
	return 0;
}

static int cmd_reload(void)
{
	struct json_object *r = call("reload"), *errs, *ok;
	size_t i, n;
	int good;

	if (!r)
		return 1;
	good = json_object_object_get_ex(r, "ok", &ok) && json_object_get_boolean(ok);
	json_object_object_get_ex(r, "errors", &errs);
	n = errs ? json_object_array_length(errs) : 0;
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s\n", json_object_get_string(json_object_array_get_idx(errs, i)));
	if (good)
		printf("reloaded: generation %s in force (%s map changes, %s ms)\n",
		       jstr(r, "generation"), jstr(r, "map_changes"), jstr(r, "elapsed_ms"));
	else
		fprintf(stderr, PROG ": reload rejected; generation %s stays in force\n",
			jstr(r, "generation"));
	json_object_put(r);
	return good ? 0 : 1;
}


static void print_diag(struct tg_diag *d)
{
	unsigned int i;

	for (i = 0; i < d->n; i++)
		fprintf(stderr, "%s\n", d->msgs[i]);
	if (d->dropped)
		fprintf(stderr, PROG ": %u more errors not shown\n", d->dropped);
}

/* Parse and compile each profile, as the launcher would. */
static int cmd_seccomp_check(int argc, char **argv)
{
	struct tg_sc_profile p;
	char err[512];
	int k, bad = 0;

	if (argc < 1) {
		fprintf(stderr, PROG ": seccomp check: no profile file given\n");
		return 2;
	}
	for (k = 0; k < argc; k++) {
		struct tg_diag d = {};
		scmp_filter_ctx ctx = NULL;

		if (tg_sc_load_file(&p, argv[k], &d) == 0 &&
		    !(ctx = tg_sc_compile(&p, 1, err, sizeof(err))))
			tg_diag_add(&d, argv[k], 1, 1, "%s", err);
		print_diag(&d);
		if (ctx)
			printf("%s: ok: %u rules, default %s\n", argv[k], p.n_rules,
			       p.def_action == TG_SC_NOTIFY ? "notify (EPERM, reported)" :
			       p.def_action == TG_SC_ALLOW ? "allow" :
			       p.def_action == TG_SC_ERRNO ? "errno" :
			       p.def_action == TG_SC_LOG ? "log" : "kill");
		else
			bad = 1;
		seccomp_release(ctx);
		tg_diag_free(&d);
		tg_sc_profile_free(&p);
	}
	return bad;
}

static int cmd_seccomp_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'f' },
		{ "seccomp-dir", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{}
	};
	const char *name = NULL, *format = NULL, *dir = NULL, *out = NULL;
	struct tg_sc_profile p;
	struct tg_diag d = {};
	struct json_object *o;
	scmp_filter_ctx ctx = NULL;
	char err[512];
	int c, fd = 1, rc = 1;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': name = optarg; break;
		case 'f': format = optarg; break;
		case 'd': dir = optarg; break;
		case 'o': out = optarg; break;
		default:
			fprintf(stderr, PROG ": seccomp export: bad option %s\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (!name || !format || (strcmp(format, "oci") && strcmp(format, "bpf") &&
				 strcmp(format, "pfc"))) {
		fprintf(stderr, PROG ": seccomp export: needs --profile NAME and --format oci|bpf|pfc\n");
		return 2;
	}
	if (tg_sc_find(&p, name, dir, &d)) {
		print_diag(&d);
		tg_diag_free(&d);
		tg_sc_profile_free(&p);
		return 1;
	}
	if (out) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, PROG ": seccomp export: %s: %s\n", out, strerror(errno));
			goto out;
		}
	}
	if (strcmp(format, "oci") == 0) {
		const char *s;

		o = tg_sc_oci(&p);
		s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_SPACED |
							      JSON_C_TO_STRING_NOSLASHESCAPE);
		rc = dprintf(fd, "%s\n", s) < 0;
		json_object_put(o);
		goto out;
	}
	/* Outside the launcher there is no listener: notify becomes EPERM. */
	ctx = tg_sc_compile(&p, 0, err, sizeof(err));
	if (!ctx) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	c = strcmp(format, "bpf") == 0 ? seccomp_export_bpf(ctx, fd) :
					 seccomp_export_pfc(ctx, fd);
	if (c)
		fprintf(stderr, PROG ": seccomp export: %s\n", strerror(-c));
	rc = c != 0;
out:
	if (out && fd >= 0 && close(fd) && !rc) {
		fprintf(stderr, PROG ": seccomp export: %s: %s\n", out, strerror(errno));
		rc = 1;
	}
	seccomp_release(ctx);
	tg_diag_free(&d);
	tg_sc_profile_free(&p);
	return rc;
}

static int parse_id(const char *s, int group, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s && !*end && !errno && v < 0xffffffffUL) {
		*out = (unsigned int)v;
		return 0;
	}
	if (group) {
		struct group *g = getgrnam(s);

		if (g) {
			*out = g->gr_gid;
			return 0;
		}
	} else {
		struct passwd *pw = getpwnam(s);

		if (pw) {
			*out = pw->pw_uid;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * The tenant's cgroup and profile from a policy file, for when the agent
 * cannot be asked. Without a policy file: the built-in layout, one cgroup
 * per tenant below /tenants.
 */
static int tenant_from_policy(const char *file, const char *name, char *cgroup,
			      size_t len, char *profile, size_t plen)
{
	const struct tg_tenant_entry *e;
	const struct tg_policy_tenant *t;
	char root[PATH_MAX], dropins[PATH_MAX + 16];
	const char *slash;
	struct tg_registry r;
	struct tg_policy p;
	struct tg_diag d = {};
	int err;

	err = tg_cgroup2_find("/proc/self/mountinfo", root, sizeof(root));
	if (err) {
		fprintf(stderr, PROG ": no cgroup v2 mount: %s\n", strerror(-err));
		return err;
	}
	if (access(file, F_OK) && errno == ENOENT) {
		if (snprintf(cgroup, len, "%s/tenants/%s", root, name) >= (int)len)
			return -ENAMETOOLONG;
		snprintf(profile, plen, "default");
		return 0;
	}
	tg_policy_init(&p);
	/* Drop-ins beside the file, as the agent reads them by default. */
	slash = strrchr(file, '/');
	snprintf(dropins, sizeof(dropins), "%.*spolicy.d",
		 slash ? (int)(slash - file + 1) : 0, file);
	err = tg_policy_load(&p, file, dropins, &d);
	print_diag(&d);
	tg_diag_free(&d);
	if (err) {
		tg_policy_free(&p);
		return err;
	}
	tg_registry_init(&r);
	err = tg_registry_apply(&r, &p, root, NULL);
	e = err ? NULL : tg_registry_find_const(&r, name);
	t = tg_policy_find(&p, name);
	if (!err && !e) {
		fprintf(stderr, PROG ": run: no tenant '%s' in %s\n", name, file);
		err = -ENOENT;
	}
	if (!err) {
		snprintf(cgroup, len, "%s", e->cgroup);
		snprintf(profile, plen, "%s", t && t->seccomp[0] ? t->seccomp : "default");
	}
	tg_registry_free(&r);
	tg_policy_free(&p);
	return err;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tenant", required_argument, NULL, 't' },
		{ "profile", required_argument, NULL, 'p' },
		{ "seccomp-dir", required_argument, NULL, 'd' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "policy", required_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{}
	};
	const char *tenant = NULL, *prof = NULL, *dir = NULL, *uid_s = NULL;
	const char *gid_s = NULL, *policy = "/etc/tenantguard/policy.yaml";
	char cgroup[PATH_MAX] = "", tprofile[64] = "default", err[512];
	struct tg_launch l = { .control_socket = control_path };
	struct json_object *req, *reply, *v;
	struct tg_sc_profile p;
	struct tg_diag d = {};
	unsigned int id;
	int c, rc, verbose = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+v", opts, NULL)) != -1) {
		switch (c) {
		case 't': tenant = optarg; break;
		case 'p': prof = optarg; break;
		case 'd': dir = optarg; break;
		case 'u': uid_s = optarg; break;
		case 'g': gid_s = optarg; break;
		case 'P': policy = optarg; break;
		case 'v': verbose = 1; break;
		default:
			fprintf(stderr, PROG ": run: bad option %s (see " PROG " help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (!tenant || optind >= argc) {
		fprintf(stderr, PROG ": run: needs --tenant NAME and a command after --\n");
		return 2;
	}
	if (!tg_tenant_name_valid(tenant)) {
		fprintf(stderr, PROG ": run: '%s' is not a tenant name\n", tenant);
		return 2;
	}
	if (!uid_s != !gid_s) {
		fprintf(stderr, PROG ": run: --uid and --gid go together\n");
		return 2;
	}
	/*
	 * Capabilities or not, uid 0 owns root's files and may signal root's
	 * processes (the agent among them): staying root must be asked for.
	 */
	if (!uid_s && geteuid() == 0) {
		fprintf(stderr, PROG ": run: give --uid and --gid: a workload left at uid 0 owns root's files and can signal root's processes, capabilities or not (--uid 0 --gid 0 to insist)\n");
		return 2;
	}
	if (uid_s) {
		if (parse_id(uid_s, 0, &id)) {
			fprintf(stderr, PROG ": run: --uid '%s' is not a user\n", uid_s);
			return 2;
		}
		l.uid = id;
		if (parse_id(gid_s, 1, &id)) {
			fprintf(stderr, PROG ": run: --gid '%s' is not a group\n", gid_s);
			return 2;
		}
		l.gid = id;
		l.switch_ids = 1;
	}
	if (geteuid() != 0) {
		fprintf(stderr, PROG ": run: must run as root (it places the process in the tenant's cgroup and drops its capabilities)\n");
		return 125;
	}
	if (l.switch_ids && l.uid == 0)
		fprintf(stderr, PROG ": run: warning: the workload stays uid 0: it owns root's files and can signal root's processes%s\n",
			tg_cgroup2_nsdelegate("/proc/self/mountinfo") ? "" :
			", and (cgroup2 is mounted without nsdelegate) can move itself out of the tenant's cgroup");
	l.tenant = tenant;
	l.argv = argv + optind;
	/* Where the tenant lives: the agent knows best. */
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("tenant"));
	json_object_object_add(req, "name", json_object_new_string(tenant));
	reply = tg_control_call(control_path, req);
	json_object_put(req);
	if (reply) {
		if (!json_object_object_get_ex(reply, "ok", &v) || !json_object_get_boolean(v)) {
			fprintf(stderr, PROG ": run: tenant '%s': %s\n", tenant, jstr(reply, "error"));
			json_object_put(reply);
			return 125;
		}
		snprintf(cgroup, sizeof(cgroup), "%s", jstr(reply, "cgroup"));
		snprintf(tprofile, sizeof(tprofile), "%s", jstr(reply, "seccomp"));
		if (json_object_object_get_ex(reply, "present", &v) && !json_object_get_boolean(v)) {
			fprintf(stderr, PROG ": run: tenant '%s' has no cgroup yet: create %s and let the agent pick it up\n",
				tenant, cgroup);
			json_object_put(reply);
			return 125;
		}
		json_object_put(reply);
	} else {
		fprintf(stderr, PROG ": run: cannot reach the agent at %s (%s): its network and file isolation is not in force\n",
			control_path, strerror(errno));
		if (tenant_from_policy(policy, tenant, cgroup, sizeof(cgroup), tprofile,
				       sizeof(tprofile)))
			return 125;
	}
	if (tg_sc_find(&p, prof ? prof : tprofile, dir, &d)) {
		print_diag(&d);
		tg_diag_free(&d);
		tg_sc_profile_free(&p);
		return 125;
	}
	l.profile = p.name;
	l.notify = tg_sc_uses_notify(&p);
	/* The child reports the listener with sendmsg after the filter is in. */
	if (l.notify && tg_sc_action_of(&p, "sendmsg") != TG_SC_ALLOW) {
		fprintf(stderr, PROG ": run: profile %s uses notify but does not allow sendmsg for every call, which the launcher needs to hand the listener over\n",
			p.source);
		tg_sc_profile_free(&p);
		return 125;
	}
	l.filter = tg_sc_compile(&p, 1, err, sizeof(err));
	if (!l.filter) {
		fprintf(stderr, PROG ": run: %s\n", err);
		tg_sc_profile_free(&p);
		return 125;
	}
	l.cgroup = cgroup;
	/* The launcher's own lines say "tenantguard run: ...". */
	tg_log_init("tenantguard run", verbose);
	rc = tg_launch(&l);
	seccomp_release(l.filter);
	tg_sc_profile_free(&p);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "--control-socket") == 0) {
		control_path = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "events") == 0)
		return tg_events_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "status") == 0)
		return cmd_status(argc - 1, argv + 1);
	if (strcmp(argv[1], "reload") == 0)
		return cmd_reload();
	if (strcmp(argv[1], "policy") == 0 && argc > 2 &&
	    strcmp(argv[2], "check") == 0)
		return cmd_policy_check(argc - 3, argv + 3);
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "seccomp") == 0 && argc > 2 &&
	    strcmp(argv[2], "check") == 0)
		return cmd_seccomp_check(argc - 3, argv + 3);
	if (strcmp(argv[1], "seccomp") == 0 && argc > 2 &&
	    strcmp(argv[2], "export") == 0)
		return cmd_seccomp_export(argc - 2, argv + 2);
	fprintf(stderr, PROG ": unknown command '%s' (see " PROG " help)\n",
		argv[1]);
	return 2;
}
