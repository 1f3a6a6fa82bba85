// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard: the operator's command line.
 *
 *   tenantguard events [--log PATH] [--follow] [--tenant T] [--kind K]
 *                      [--since TIME] [--json]
 *   tenantguard report [--log PATH] [--tenant T] [--kind K] [--since TIME]
 *                      [--json]
 *   tenantguard run --tenant NAME [--profile P] [--uid U --gid G]
 *                   [--no-pid-namespace] [--via-agent] -- CMD...
 *   tenantguard seccomp check FILE... | export --profile P --format F
 *   tenantguard grant keygen --out FILE
 *                     | approve REQUESTFILE --key KEYFILE [--valid DURATION]
 *                     | verify REQUESTFILE APPROVAL... --policy FILE
 *   tenantguard tenant retire T [--keep DURATION] | export T --to FILE
 *                      | verify FILE [--key PUB] | erase T [--now]
 *   tenantguard completion bash | help [--man]
 *
 * This file parses the global option and picks the subcommand; each
 * subcommand lives in a file of its own, and the text of them all in one
 * table (usage.c).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/usage.h"
#include "common/log.h"
#include "common/version.h"

#define PROG "tenantguard"

/* help [--man]: --help, or the manual page tenantguard(1). */
static int cmd_help(const struct cli_opts *o, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[0], "help") == 0 &&
	    strcmp(argv[1], "--man") == 0)
		cli_manual(stdout);
	else if (argc == 1)
		cli_usage(stdout);
	else
		return tg_err(2, "help: unexpected argument (help [--man])");
	return 0;
}

/* completion bash: the bash completion. */
static int cmd_completion(const struct cli_opts *o, int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[1], "bash"))
		return tg_err(2, "completion: only bash (completion bash)");
	cli_completion_bash(stdout);
	return 0;
}

/*
 * Run the command of cmds named argv[0]. A command that is not there is
 * reported by the name given at the top (argv[0] of "policy frob" is
 * "frob", but the message names "policy").
 */
static int cmd_select(const struct cli_cmd *cmds, const struct cli_opts *o,
		      int argc, char **argv, const char *top)
{
	const struct cli_cmd *c;

	for (c = cmds; argc > 0 && c->name; c++)
		if (strcmp(argv[0], c->name) == 0)
			return c->func(o, argc, argv);
	return tg_err(2, "unknown command '%s' (see " PROG " help)", top);
}

static const struct cli_cmd policy_cmds[] = {{"check", cmd_policy_check},
					     {"show", cmd_policy_show},
					     {}};

static const struct cli_cmd seccomp_cmds[] = {
	{"check", cmd_seccomp_check}, {"export", cmd_seccomp_export}, {}};

static const struct cli_cmd grant_cmds[] = {{"keygen", cmd_grant_keygen},
					    {"approve", cmd_grant_approve},
					    {"verify", cmd_grant_verify},
					    {"request", cmd_grant_request},
					    {"activate", cmd_grant_activate},
					    {"revoke", cmd_grant_revoke},
					    {"revoke-sign", cmd_grant_revoke_sign},
					    {"approvers-update", cmd_grant_approvers_update},
					    {"approvers-set", cmd_grant_approvers_set},
					    {"shell", cmd_grant_shell},
					    {"list", cmd_grant_list},
					    {"break-glass", cmd_grant_break_glass},
					    {}};

static const struct cli_cmd tenant_cmds[] = {{"retire", cmd_tenant_retire},
					     {"export", cmd_tenant_export},
					     {"verify", cmd_tenant_verify},
					     {"erase", cmd_tenant_erase},
					     {}};

/* tenant SUBCOMMAND ... */
static int cmd_tenant(const struct cli_opts *o, int argc, char **argv)
{
	return cmd_select(tenant_cmds, o, argc - 1, argv + 1, argv[0]);
}

/* policy SUBCOMMAND ... */
static int cmd_policy(const struct cli_opts *o, int argc, char **argv)
{
	return cmd_select(policy_cmds, o, argc - 1, argv + 1, argv[0]);
}

/* seccomp SUBCOMMAND ... */
static int cmd_seccomp(const struct cli_opts *o, int argc, char **argv)
{
	return cmd_select(seccomp_cmds, o, argc - 1, argv + 1, argv[0]);
}

/* grant SUBCOMMAND ... */
static int cmd_grant(const struct cli_opts *o, int argc, char **argv)
{
	return cmd_select(grant_cmds, o, argc - 1, argv + 1, argv[0]);
}

static const struct cli_cmd cmds[] = {{"help", cmd_help},
				      {"--help", cmd_help},
				      {"-h", cmd_help},
				      {"events", cmd_events},
				      {"status", cmd_status},
				      {"reload", cmd_reload},
				      {"policy", cmd_policy},
				      {"run", cmd_run},
				      {"seccomp", cmd_seccomp},
				      {"grant", cmd_grant},
				      {"tenant", cmd_tenant},
				      {"detach", cmd_detach},
				      {"confirm", cmd_confirm},
				      {"report", cmd_report},
				      {"probe", cmd_probe},
				      {"completion", cmd_completion},
				      {}};

/*
 * COMMAND [SUBCOMMAND] ... --help (or -h), before any "--": that command's
 * help (of the two words, the longest that names commands), printed; 1 if
 * it was asked for.
 */
static int help_asked(int argc, char **argv)
{
	char name[128];
	int i, words = 0;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (strcmp(argv[i], "--help") && strcmp(argv[i], "-h"))
			continue;
		while (words < 2 && 1 + words < argc &&
		       argv[1 + words][0] != '-')
			words++;
		for (; words > 0; words--) {
			snprintf(name, sizeof(name), "%s%s%s", argv[1],
				 words > 1 ? " " : "",
				 words > 1 ? argv[2] : "");
			if (cli_usage_of(stdout, name))
				return 1;
		}
		cli_usage(stdout);
		return 1;
	}
	return 0;
}

/*
 * --control-socket PATH (or --control-socket=PATH) anywhere before "--",
 * before or after the command: taken out of argv into o. 0, or 2 (told)
 * when it has no value.
 */
static int take_global(int *argc, char **argv, struct cli_opts *o)
{
#define OPT "--control-socket"
	static const char opt[] = OPT;
	int i, j, n;

	for (i = 1; i < *argc && strcmp(argv[i], "--"); i++) {
		if (!strncmp(argv[i], OPT "=", sizeof(opt))) {
			o->control_socket = argv[i] + sizeof(opt);
			n = 1;
		} else if (!strcmp(argv[i], opt)) {
			if (i + 1 >= *argc)
				return tg_err(2, "%s needs a value", opt);
			o->control_socket = argv[i + 1];
			n = 2;
		} else {
			continue;
		}
		for (j = i; j + n <= *argc; j++)
			argv[j] = argv[j + n];
		*argc -= n;
		i--;
	}
	return 0;
#undef OPT
}

int main(int argc, char **argv)
{
	struct cli_opts o = {.control_socket = "/run/tenantguard/control.sock"};

	tg_log_init(PROG, 0);
	if (take_global(&argc, argv, &o))
		return 2;
	if (argc < 2) {
		cli_usage(stderr);
		return 2;
	}
	if (help_asked(argc, argv))
		return 0;
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf(PROG " %s\n", tg_version());
		return 0;
	}
	return cmd_select(cmds, &o, argc - 1, argv + 1, argv[1]);
}
