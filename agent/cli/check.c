// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard policy check [--json] [FILE [DROPIN...]] and tenantguard seccomp
 * check FILE...: validate without touching the kernel, errors as
 * file:line:column.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/log.h"
#include "launcher/launch.h"
#include "policy/policy.h"
#include "seccomp/profile.h"

void print_diag(const struct tg_diag *d)
{
	unsigned int i;

	for (i = 0; i < d->n; i++)
		tg_plain("%s", d->msgs[i]);
	if (d->dropped)
		tg_info("%u more errors not shown", d->dropped);
}

#define POLICY_FILE "/etc/tenantguard/policy.yaml"
#define POLICY_DIR  "/etc/tenantguard/policy.d"

/*
 * A located message, then its source line with a caret under the token
 * (as nft prints them): "FILE:LINE:COL: text" whose FILE can be read.
 */
static void print_located(const char *m, const char *prefix)
{
	unsigned int line, col, l = 1, i;
	char file[PATH_MAX], *src = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	tg_plain("%s%s", prefix, m);
	if (sscanf(m, "%4095[^:]:%u:%u: ", file, &line, &col) != 3 ||
	    !(f = fopen(file, "r")))
		return;
	while ((n = getline(&src, &cap, f)) >= 0 && l < line)
		l++;
	fclose(f);
	if (n >= 0 && l == line && col >= 1 && (size_t)col <= (size_t)n + 1) {
		src[strcspn(src, "\n")] = '\0';
		fprintf(stderr, "    %s\n    ", src);
		for (i = 0; i + 1 < col; i++)
			fputc(src[i] == '\t' ? '\t' : ' ', stderr);
		fputc('^', stderr);
		/* The rest of the token: a key ends at ": ". */
		for (i = col; src[i] && (isalnum((unsigned char)src[i]) ||
					 strchr("_-./", src[i]) ||
					 (src[i] == ':' && src[i + 1] &&
					  src[i + 1] != ' '));
		     i++)
			fputc('~', stderr);
		fputc('\n', stderr);
	}
	free(src);
}

/* "FILE:LINE:COL: text" as an object of those fields (text alone when the
 * message has no position). */
static struct json_object *diag_json(const char *m)
{
	struct json_object *o = json_object_new_object();
	unsigned int line, col;
	char file[PATH_MAX];
	int at = 0;

	if (sscanf(m, "%4095[^:]:%u:%u: %n", file, &line, &col, &at) == 3 &&
	    at > 0) {
		json_object_object_add(o, "file", json_object_new_string(file));
		json_object_object_add(o, "line", json_object_new_int64(line));
		json_object_object_add(o, "column", json_object_new_int64(col));
		m += at;
	}
	json_object_object_add(o, "message", json_object_new_string(m));
	return o;
}

static struct json_object *diag_array(const struct tg_diag *d)
{
	struct json_object *arr = json_object_new_array();
	unsigned int i;

	for (i = 0; i < d->n; i++)
		json_object_array_add(arr, diag_json(d->msgs[i]));
	return arr;
}

/*
 * The outcome of a check: text (errors, warnings, a summary line when ok)
 * or one JSON object. 0 when ok, else 1.
 */
static int strict;

static int check_outcome(const char *name, struct tg_policy *p,
			 const struct tg_diag *d, int err, int json)
{
	/* --strict: a warning fails the check as an error would. */
	if (strict && p->warnings.n)
		err = -EINVAL;
	unsigned int i, paths = 0, ports = 0, nets = 0;
	struct json_object *o;

	for (i = 0; i < p->n_tenants; i++) {
		paths += p->tenants[i].n_paths;
		ports += p->tenants[i].n_ports;
		nets += p->tenants[i].n_networks;
	}
	if (json) {
		o = json_object_new_object();
		json_object_object_add(o, "policy",
				       json_object_new_string(name));
		json_object_object_add(o, "ok", json_object_new_boolean(!err));
		json_object_object_add(o, "errors", diag_array(d));
		json_object_object_add(o, "warnings", diag_array(&p->warnings));
		if (!err)
			json_object_object_add(
				o, "tenants",
				json_object_new_int64(p->n_tenants));
		printf("%s\n",
		       json_object_to_json_string_ext(
			       o, JSON_C_TO_STRING_PLAIN |
					  JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		return err ? 1 : 0;
	}
	for (i = 0; i < d->n; i++)
		print_located(d->msgs[i], "");
	if (d->dropped)
		tg_info("%u more errors not shown", d->dropped);
	for (i = 0; i < p->warnings.n; i++)
		print_located(p->warnings.msgs[i],
			      strict ? "error (--strict): " : "warning: ");
	if (!err)
		printf("%s: ok: version %d, mode %s, tenants_cgroup %s, %u tenants, "
		       "%u paths, %u port ranges, %u networks\n",
		       name, p->version,
		       p->mode == TG_MODE_AUDIT ? "audit" : "enforce",
		       p->tenants_cgroup, p->n_tenants, paths, ports, nets);
	return err ? 1 : 0;
}

/*
 * The installed tree as the agent reads it: file and the *.yaml of dir
 * (what is skipped there warned about); without the file, the built-in
 * policy, whose drop-ins go unread.
 */
static int check_installed(const char *file, const char *dir,
			   struct tg_policy *p, struct tg_diag *d, int json)
{
	unsigned int i;
	int err;

	err = tg_policy_load(p, file, dir, d);
	if (err != -ENOENT)
		return check_outcome(file, p, d, err, json);
	tg_diag_free(d);
	tg_policy_free(p);
	tg_policy_warn_unread(p, file, dir);
	if (json)
		return check_outcome("built-in", p, d, 0, json);
	printf("no %s: the agent would run the built-in policy (zero-config "
	       "tenants)\n",
	       file);
	for (i = 0; i < p->warnings.n; i++)
		tg_plain("warning: %s", p->warnings.msgs[i]);
	return 0;
}

/*
 * tenantguard policy check [--json] [FILE [DROPIN...] | [--policy FILE]
 * [--policy-dir DIR]]: FILE and its drop-ins merged in the order given, or
 * the tree the agent reads (its defaults, or the agent's options of the
 * same names); every error.
 */
int cmd_policy_check(const struct cli_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"policy", required_argument, NULL, 'p'},
		{"policy-dir", required_argument, NULL, 'd'},
		{"strict", no_argument, NULL, 's'},
		{}};
	const char *file = POLICY_FILE, *dir = POLICY_DIR;
	struct tg_policy p;
	struct tg_diag d = {};
	int k, c, json = 0, err = 0, rc, tree = 0;

	(void)o;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 's': strict = 1; break;
		case 'p':
			file = optarg;
			tree = 1;
			break;
		case 'd':
			dir = optarg;
			tree = 1;
			break;
		default:
			return tg_err(2,
				      "policy check: bad option '%s' (see "
				      "tenantguard help)",
				      argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	if (tree && argc > 0)
		return tg_err(2, "policy check: --policy and --policy-dir "
				 "name the tree to check: no FILE with them");
	tg_policy_init(&p);
	if (argc < 1) {
		rc = check_installed(file, dir, &p, &d, json);
		goto out;
	}
	snprintf(p.source, sizeof(p.source), "%s", argv[0]);
	for (k = 0; k < argc; k++)
		if (tg_policy_load_file(&p, argv[k], k == 0, &d))
			err = -EINVAL;
	if (tg_policy_finish(&p, &d))
		err = -EINVAL;
	rc = check_outcome(argv[0], &p, &d, err, json);
out:
	tg_diag_free(&d);
	tg_policy_free(&p);
	return rc;
}

/* A profile's default action, as the profile names it. */
static const char *sc_default(int action)
{
	return action == TG_SC_NOTIFY  ? "notify"
	       : action == TG_SC_ALLOW ? "allow"
	       : action == TG_SC_ERRNO ? "errno"
	       : action == TG_SC_LOG   ? "log"
				       : "kill";
}

/*
 * tenantguard seccomp check [--no-pid-namespace] FILE...: parse and compile
 * each profile and check what the launcher asks of it, as `run` (with or
 * without --no-pid-namespace) would: ok means `run` takes it.
 */
int cmd_seccomp_check(const struct cli_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{"no-pid-namespace", no_argument, NULL, 'P'},
		{"json", no_argument, NULL, 'j'},
		{}};
	struct tg_sc_profile p;
	struct json_object *jo;
	char err[512];
	int k, c, bad = 0, pid_ns = 1, json = 0;

	(void)o;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'P')
			pid_ns = 0;
		else if (c == 'j')
			json = 1;
		else
			return tg_err(2,
				      "seccomp check: bad option '%s' (see "
				      "tenantguard help)",
				      argv[optind - 1]);
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return tg_err(2, "seccomp check: no profile file given");
	for (k = 0; k < argc; k++) {
		struct tg_diag d = {};
		scmp_filter_ctx ctx = NULL;

		if (tg_sc_load_file(&p, argv[k], &d) == 0) {
			if (tg_launch_profile_check(&p, pid_ns, err,
						    sizeof(err)) ||
			    !(ctx = tg_sc_compile(&p, 1, err, sizeof(err))))
				tg_diag_add(&d, argv[k], 1, 1, "%s", err);
		}
		if (json) {
			jo = json_object_new_object();
			json_object_object_add(jo, "profile",
					       json_object_new_string(argv[k]));
			json_object_object_add(jo, "ok",
					       json_object_new_boolean(!!ctx));
			json_object_object_add(jo, "errors", diag_array(&d));
			if (ctx) {
				json_object_object_add(
					jo, "rules",
					json_object_new_int64(p.n_rules));
				json_object_object_add(
					jo, "default",
					json_object_new_string(
						sc_default(p.def_action)));
			}
			printf("%s\n",
			       json_object_to_json_string_ext(
				       jo,
				       JSON_C_TO_STRING_PLAIN |
					       JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(jo);
		} else {
			print_diag(&d);
		}
		if (ctx && !json)
			printf("%s: ok: %u rules, default %s%s\n", argv[k],
			       p.n_rules, sc_default(p.def_action),
			       p.def_action == TG_SC_NOTIFY
				       ? " (EPERM, reported)"
				       : "");
		else if (!ctx)
			bad = 1;
		seccomp_release(ctx);
		tg_diag_free(&d);
		tg_sc_profile_free(&p);
	}
	return bad;
}

/* "VALUE" padded, then "# where" when the setting is written somewhere. */
static void show_line(int indent, const char *text, const char *where)
{
	int n = printf("%*s%s", indent, "", text);

	if (where && where[0])
		printf("%*s# %s", n < 48 ? 48 - n : 1, "", where);
	printf("\n");
}

/* One {"value", "where"} setting as "key: value  # where". */
static void show_at(int indent, const char *key, struct json_object *o)
{
	char buf[PATH_MAX + 64];

	snprintf(buf, sizeof(buf), "%s: %s", key, jstr(o, "value"));
	show_line(indent, buf, jstr(o, "where"));
}

/* A list of {"value", "where"} as "- value  # where" lines. */
static void show_list(int indent, const char *key, struct json_object *arr)
{
	char buf[PATH_MAX + 64];
	size_t i, n = json_object_array_length(arr);
	struct json_object *e;

	if (!n)
		return;
	printf("%*s%s:\n", indent, "", key);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(arr, i);
		snprintf(buf, sizeof(buf), "- %s", jstr(e, "value"));
		show_line(indent + 2, buf, jstr(e, "where"));
	}
}

static void show_tenant(struct json_object *t)
{
	struct json_object *v;
	char buf[PATH_MAX + 64];
	size_t i, n;

	snprintf(buf, sizeof(buf), "%s:", jstr(t, "name"));
	show_line(2, buf, jstr(t, "where"));
	json_object_object_get_ex(t, "cgroup", &v);
	show_at(4, "cgroup", v);
	printf("    mode: %s\n", jstr(t, "mode"));
	json_object_object_get_ex(t, "paths", &v);
	n = json_object_array_length(v);
	printf("    paths: [");
	for (i = 0; i < n; i++)
		printf("%s%s", i ? ", " : "",
		       json_object_get_string(json_object_array_get_idx(v, i)));
	printf("]\n");
	json_object_object_get_ex(t, "ports", &v);
	show_list(4, "ports", v);
	json_object_object_get_ex(t, "networks", &v);
	show_list(4, "networks", v);
	json_object_object_get_ex(t, "allow_from", &v);
	show_list(4, "allow_from", v);
	printf("    seccomp: %s\n", jstr(t, "seccomp"));
	json_object_object_get_ex(t, "events", &v);
	snprintf(buf, sizeof(buf), "events: {rate: %s, burst: %s}",
		 jstr(v, "rate"), jstr(v, "burst"));
	show_line(4, buf,
		  strcmp(jstr(t, "events_from"), "policy") ? ""
							   : "(the policy's)");
	if (strcmp(jstr(t, "approvers_need"), "0"))
		printf("    approvers: %s of %s keys\n",
		       jstr(t, "approvers_need"), jstr(t, "approvers_keys"));
	if (strcmp(jstr(t, "auditors"), "0"))
		printf("    auditors: %s users and groups\n",
		       jstr(t, "auditors"));
}

/*
 * tenantguard policy show [--tenant T] [--json]: the policy in force, from
 * the agent, each setting with the file and line it came from.
 */
int cmd_policy_show(const struct cli_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"tenant", required_argument, NULL, 't'},
		{}};
	struct json_object *req, *r, *v;
	const char *tenant = NULL;
	int c, json = 0;
	size_t i;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 't': tenant = optarg; break;
		default:
			return tg_err(2,
				      "policy show: bad option '%s' (see "
				      "tenantguard policy show --help)",
				      argv[optind - 1]);
		}
	}
	if (optind < argc)
		return tg_err(2, "policy show: unexpected argument '%s'",
			      argv[optind]);
	req = json_object_new_object();
	json_object_object_add(req, "cmd",
			       json_object_new_string("policy-show"));
	if (tenant)
		json_object_object_add(req, "tenant",
				       json_object_new_string(tenant));
	c = cli_call(o, req, &r);
	json_object_put(req);
	if (c)
		return 1;
	if (json) {
		printf("%s\n",
		       json_object_to_json_string_ext(
			       r, JSON_C_TO_STRING_PRETTY |
					  JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(r);
		return 0;
	}
	printf("# policy in force: %s, generation %s, sha256 %s\n",
	       jstr(r, "source"), jstr(r, "generation"), jstr(r, "digest"));
	json_object_object_get_ex(r, "files", &v);
	for (i = 0; v && i < json_object_array_length(v); i++)
		printf("#   read %s (sha256 %s)\n",
		       jstr(json_object_array_get_idx(v, i), "path"),
		       jstr(json_object_array_get_idx(v, i), "sha256"));
	printf("mode: %s\n", jstr(r, "mode"));
	json_object_object_get_ex(r, "tenants_cgroup", &v);
	show_at(0, "tenants_cgroup", v);
	json_object_object_get_ex(r, "events", &v);
	printf("events: {rate: %s, burst: %s}\n", jstr(v, "rate"),
	       jstr(v, "burst"));
	if (json_object_object_get_ex(r, "support", &v)) {
		struct json_object *l;

		printf("support:\n");
		json_object_object_get_ex(v, "login_uids", &l);
		show_list(2, "login_uids", l);
		json_object_object_get_ex(v, "groups", &l);
		show_list(2, "groups", l);
		json_object_object_get_ex(v, "delegation", &l);
		show_list(2, "delegation", l);
	}
	printf("tenants:\n");
	json_object_object_get_ex(r, "tenants", &v);
	for (i = 0; v && i < json_object_array_length(v); i++)
		show_tenant(json_object_array_get_idx(v, i));
	json_object_put(r);
	return 0;
}
