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
 *
 * This file parses the global option and picks the subcommand; each
 * subcommand lives in a file of its own.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"

#define PROG "tenantguard"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: " PROG " COMMAND [options]\n"
		"commands:\n"
		"  status [--json]     policy, generation, backends, tenants, denials\n"
		"  reload              load the agent's policy files again; errors are\n"
		"                      printed and the policy in force stays\n"
		"  detach              stop the agent and remove every check it made\n"
		"  confirm ID          carry out request ID, which waits for a second\n"
		"                      person (policy confirm:); exit status 3 means a\n"
		"                      request waits, its id printed\n"
		"  policy check FILE [DROPIN...]\n"
		"         validate a policy (and drop-ins, merged in the order given)\n"
		"         without touching the kernel; errors as file:line:column\n"
		"  events [--log PATH] [-f|--follow] [--tenant T] [--kind K]\n"
		"         [--since TIME] [--json]\n"
		"         print the events the collector stored, its rotated files\n"
		"         first (default log /var/log/tenantguard/events.jsonl);\n"
		"         --follow keeps printing new events, also across rotation;\n"
		"         --tenant matches actor or target; --kind file|net|unix|\n"
		"         proc|seccomp|agent|guard|admin; --since an RFC 3339 time or\n"
		"         a duration back from now (90s, 10m, 2h, 1d); --json prints the\n"
		"         stored JSON lines; colour only on a terminal and without NO_COLOR;\n"
		"         a user who may not read the log (not root) gets the events its\n"
		"         role lets it see from the agent (--control-socket)\n"
		"  report [--log PATH] [--tenant T] [--kind K] [--since TIME] [--json]\n"
		"         how many of those events there are, by tenant, kind, op and\n"
		"         verdict\n"
		"  run --tenant NAME --uid U --gid G [--profile NAME|FILE]\n"
		"      [--seccomp-dir DIR] [--policy FILE] [--no-pid-namespace]\n"
		"      [--via-agent] [-v] -- CMD [ARGS...]\n"
		"         start CMD as U:G in the tenant's cgroup (and a cgroup namespace\n"
		"         rooted there), without capabilities, with no_new_privs and the\n"
		"         tenant's seccomp profile, in mount and IPC namespaces of its\n"
		"         own (private /dev/shm, /dev/mqueue) and a PID namespace whose\n"
		"         pid 1 is a small init, with a /proc showing only its tasks\n"
		"         (--no-pid-namespace: the host's PID namespace and /proc);\n"
		"         on a terminal, CMD gets a pseudo-terminal of its own, relayed;\n"
		"         exits with CMD's status (125: launcher failure, 126/127: CMD\n"
		"         not run). Root launches itself; any other caller (or\n"
		"         --via-agent) asks the agent, which needs the operator role,\n"
		"         takes a profile's name only (no --seccomp-dir, no file),\n"
		"         gets this process's stdin, stdout and stderr for CMD, and\n"
		"         kills CMD if this process goes away\n"
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

static int cmd_help(const struct cli_opts *o, int argc, char **argv)
{
	usage(stdout);
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

static const struct cli_cmd policy_cmds[] = {{"check", cmd_policy_check}, {}};

static const struct cli_cmd seccomp_cmds[] = {
	{"check", cmd_seccomp_check}, {"export", cmd_seccomp_export}, {}};

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

static const struct cli_cmd cmds[] = {{"help", cmd_help},
				      {"--help", cmd_help},
				      {"-h", cmd_help},
				      {"events", cmd_events},
				      {"status", cmd_status},
				      {"reload", cmd_reload},
				      {"policy", cmd_policy},
				      {"run", cmd_run},
				      {"seccomp", cmd_seccomp},
				      {"detach", cmd_detach},
				      {"confirm", cmd_confirm},
				      {"report", cmd_report},
				      {}};

int main(int argc, char **argv)
{
	struct cli_opts o = {.control_socket = "/run/tenantguard/control.sock"};

	tg_log_init(PROG, 0);
	if (argc > 2 && strcmp(argv[1], "--control-socket") == 0) {
		o.control_socket = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	return cmd_select(cmds, &o, argc - 1, argv + 1, argv[1]);
}
