// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard policy check [--json] [FILE [DROPIN...]] and tenantguard seccomp check
 * FILE...: validate without touching the kernel, errors as
 * file:line:column.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
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
		json_object_object_add(o, "column",
				       json_object_new_int64(col));
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
		json_object_object_add(o, "warnings",
				       diag_array(&p->warnings));
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
	print_diag(d);
	for (i = 0; i < p->warnings.n; i++)
		tg_plain("%s: %s", strict ? "error (--strict)" : "warning",
			 p->warnings.msgs[i]);
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
	struct dirent *de;
	unsigned int n = 0;
	DIR *dp;
	int err;

	err = tg_policy_load(p, file, dir, d);
	if (err != -ENOENT)
		return check_outcome(file, p, d, err, json);
	tg_diag_free(d);
	tg_policy_free(p);
	dp = opendir(dir);
	while (dp && (de = readdir(dp)))
		n += de->d_name[0] != '.';
	if (dp)
		closedir(dp);
	if (n)
		tg_diag_msg(&p->warnings,
			    "%s: %u file(s) not read: drop-ins complete %s, "
			    "which does not exist",
			    dir, n, file);
	if (json)
		return check_outcome("built-in", p, d, 0, json);
	printf("no %s: the agent would run the built-in policy (zero-config "
	       "tenants)\n",
	       file);
	for (n = 0; n < p->warnings.n; n++)
		tg_plain("warning: %s", p->warnings.msgs[n]);
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

/*
 * tenantguard seccomp check [--no-pid-namespace] FILE...: parse and compile
 * each profile and check what the launcher asks of it, as `run` (with or
 * without --no-pid-namespace) would: ok means `run` takes it.
 */
int cmd_seccomp_check(const struct cli_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{"no-pid-namespace", no_argument, NULL, 'P'}, {}};
	struct tg_sc_profile p;
	char err[512];
	int k, c, bad = 0, pid_ns = 1;

	(void)o;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c != 'P')
			return tg_err(2,
				      "seccomp check: bad option '%s' (see "
				      "tenantguard help)",
				      argv[optind - 1]);
		pid_ns = 0;
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
		print_diag(&d);
		if (ctx)
			printf("%s: ok: %u rules, default %s\n", argv[k],
			       p.n_rules,
			       p.def_action == TG_SC_NOTIFY
				       ? "notify (EPERM, reported)"
			       : p.def_action == TG_SC_ALLOW ? "allow"
			       : p.def_action == TG_SC_ERRNO ? "errno"
			       : p.def_action == TG_SC_LOG   ? "log"
							     : "kill");
		else
			bad = 1;
		seccomp_release(ctx);
		tg_diag_free(&d);
		tg_sc_profile_free(&p);
	}
	return bad;
}
