// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard policy check FILE [DROPIN...] and tenantguard seccomp check
 * FILE...: validate without touching the kernel, errors as
 * file:line:column.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/log.h"
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

/* Merge FILE and its drop-ins like the agent does, report every error. */
int cmd_policy_check(const struct cli_opts *o, int argc, char **argv)
{
	unsigned int i, paths = 0, ports = 0, nets = 0;
	struct tg_policy p;
	struct tg_diag d = {};
	int k, err = 0;

	/* argv[0] is "check"; the files follow. */
	argc--;
	argv++;
	if (argc < 1)
		return tg_err(2, "policy check: no policy file given");
	tg_policy_init(&p);
	snprintf(p.source, sizeof(p.source), "%s", argv[0]);
	for (k = 0; k < argc; k++)
		if (tg_policy_load_file(&p, argv[k], k == 0, &d))
			err = -EINVAL;
	if (tg_policy_finish(&p, &d))
		err = -EINVAL;
	print_diag(&d);
	if (!err) {
		for (i = 0; i < p.n_tenants; i++) {
			paths += p.tenants[i].n_paths;
			ports += p.tenants[i].n_ports;
			nets += p.tenants[i].n_networks;
		}
		printf("%s: ok: version %d, mode %s, tenants_cgroup %s, %u tenants, "
		       "%u paths, %u port ranges, %u networks\n",
		       argv[0], p.version,
		       p.mode == TG_MODE_AUDIT ? "audit" : "enforce",
		       p.tenants_cgroup, p.n_tenants, paths, ports, nets);
	}
	tg_diag_free(&d);
	tg_policy_free(&p);
	return err ? 1 : 0;
}

/* Parse and compile each profile, as the launcher would. */
int cmd_seccomp_check(const struct cli_opts *o, int argc, char **argv)
{
	struct tg_sc_profile p;
	char err[512];
	int k, bad = 0;

	/* argv[0] is "check"; the files follow. */
	argc--;
	argv++;
	if (argc < 1)
		return tg_err(2, "seccomp check: no profile file given");
	for (k = 0; k < argc; k++) {
		struct tg_diag d = {};
		scmp_filter_ctx ctx = NULL;

		if (tg_sc_load_file(&p, argv[k], &d) == 0 &&
		    !(ctx = tg_sc_compile(&p, 1, err, sizeof(err))))
			tg_diag_add(&d, argv[k], 1, 1, "%s", err);
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
