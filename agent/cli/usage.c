// SPDX-License-Identifier: GPL-2.0
/*
 * The CLI's commands and options in one table, and what is made of it:
 * the --help text, the manual page tenantguard(1) (roff) and the bash
 * completion. A command or option added here appears in all three.
 */
#include <stdio.h>
#include <string.h>

#include "cli/usage.h"

#define PROG "tenantguard"

static const struct cli_opt_doc status_opts[] = {
	{"--json", NULL, NULL, "print the agent's reply as JSON"}, {}};

static const struct cli_opt_doc events_opts[] = {
	{"--log", "PATH", "@file",
	 "the collector's log (default /var/log/tenantguard/events.jsonl)"},
	{"--follow|-f", NULL, NULL,
	 "keep printing new events, also across rotation"},
	{"--tenant", "T", NULL, "events whose actor or target is tenant T"},
	{"--kind", "K", "file net unix proc seccomp agent guard admin",
	 "events of kind K"},
	{"--since", "TIME", NULL,
	 "an RFC 3339 time or a duration back from now (90s, 10m, 2h, 1d)"},
	{"--json", NULL, NULL, "print the stored JSON lines"},
	{}};

static const struct cli_opt_doc report_opts[] = {
	{"--log", "PATH", "@file",
	 "the collector's log (default /var/log/tenantguard/events.jsonl)"},
	{"--tenant", "T", NULL, "events whose actor or target is tenant T"},
	{"--kind", "K", "file net unix proc seccomp agent guard admin",
	 "events of kind K"},
	{"--since", "TIME", NULL,
	 "an RFC 3339 time or a duration back from now (90s, 10m, 2h, 1d)"},
	{"--json", NULL, NULL, "print the counts as JSON"},
	{"--chain", NULL, NULL,
	 "the events with the log's hash chain over them, to verify"},
	{"--verify", "FILE", "@file",
	 "check a --chain report (no agent needed); exit 1 if changed"},
	{"--key", "HEX|FILE", NULL,
	 "with --verify: the collector's public key to check against"},
	{}};

static const struct cli_opt_doc run_opts[] = {
	{"--tenant", "NAME", NULL, "the tenant whose cgroup CMD starts in"},
	{"--uid", "U", NULL, "the user id CMD runs as (0 only when given)"},
	{"--gid", "G", NULL, "the group id CMD runs as"},
	{"--profile", "NAME|FILE", "default strict @file",
	 "the seccomp profile (default: the tenant's)"},
	{"--seccomp-dir", "DIR", "@dir",
	 "where named profiles are (default /etc/tenantguard/seccomp)"},
	{"--policy", "FILE", "@file",
	 "the policy naming the tenant (default /etc/tenantguard/policy.yaml)"},
	{"--no-pid-namespace", NULL, NULL,
	 "the host's PID namespace and /proc"},
	{"--via-agent", NULL, NULL,
	 "ask the agent to launch (the default when not root)"},
	{"-v", NULL, NULL, "say what the launcher does"},
	{}};

static const struct cli_opt_doc export_opts[] = {
	{"--profile", "NAME|FILE", "default strict @file", "the profile"},
	{"--format", "F", "oci bpf pfc", "oci, bpf or pfc"},
	{"--seccomp-dir", "DIR", "@dir",
	 "where named profiles are (default /etc/tenantguard/seccomp)"},
	{"--output", "FILE", "@file", "write there (default: stdout)"},
	{}};

static const struct cli_opt_doc no_opts[] = {{}};

const struct cli_opt_doc cli_global_opts[] = {
	{"--control-socket", "PATH", "@file",
	 "the agent's control socket (default /run/tenantguard/control.sock)"},
	{}};

const struct cli_cmd_doc cli_cmd_docs[] = {
	{"status", "[--json]", "policy, generation, backends, tenants, denials",
	 status_opts},
	{"reload", "",
	 "load the agent's policy files again; errors are\n"
	 "printed and the policy in force stays",
	 no_opts},
	{"detach", "", "stop the agent and remove every check it made",
	 no_opts},
	{"confirm", "ID",
	 "carry out request ID, which waits for a second\n"
	 "person (policy confirm:); exit status 3 means a\n"
	 "request waits, its id printed",
	 no_opts},
	{"policy check", "FILE [DROPIN...]",
	 "validate a policy (and drop-ins, merged in the order given)\n"
	 "without touching the kernel; errors as file:line:column",
	 no_opts},
	{"events",
	 "[--log PATH] [-f|--follow] [--tenant T] [--kind K]\n"
	 "[--since TIME] [--json]",
	 "print the events the collector stored, its rotated files\n"
	 "first (default log /var/log/tenantguard/events.jsonl);\n"
	 "--follow keeps printing new events, also across rotation;\n"
	 "--tenant matches actor or target; --kind file|net|unix|\n"
	 "proc|seccomp|agent|guard|admin; --since an RFC 3339 time or\n"
	 "a duration back from now (90s, 10m, 2h, 1d); --json prints the\n"
	 "stored JSON lines; colour only on a terminal and without NO_COLOR;\n"
	 "a user who may not read the log (not root) gets the events its\n"
	 "role lets it see from the agent (--control-socket)",
	 events_opts},
	{"report",
	 "[--log PATH] [--tenant T] [--kind K] [--since TIME] [--json]\n"
	 "[--chain] | --verify FILE [--key HEX|FILE]",
	 "how many of those events there are, by tenant, kind, op and\n"
	 "verdict; --chain: the events themselves, each other line of the\n"
	 "log as its hash and the signed checkpoints around them; --verify\n"
	 "recomputes that chain and names the first line that breaks it",
	 report_opts},
	{"run",
	 "--tenant NAME --uid U --gid G [--profile NAME|FILE]\n"
	 "[--seccomp-dir DIR] [--policy FILE] [--no-pid-namespace]\n"
	 "[--via-agent] [-v] -- CMD [ARGS...]",
	 "start CMD as U:G in the tenant's cgroup (and a cgroup namespace\n"
	 "rooted there), without capabilities, with no_new_privs and the\n"
	 "tenant's seccomp profile, in mount and IPC namespaces of its\n"
	 "own (private /dev/shm, /dev/mqueue) and a PID namespace whose\n"
	 "pid 1 is a small init, with a /proc showing only its tasks\n"
	 "(--no-pid-namespace: the host's PID namespace and /proc);\n"
	 "on a terminal, CMD gets a pseudo-terminal of its own, relayed;\n"
	 "exits with CMD's status (125: launcher failure, 126/127: CMD\n"
	 "not run). Root launches itself; any other caller (or\n"
	 "--via-agent) asks the agent, which needs the operator role,\n"
	 "takes a profile's name only (no --seccomp-dir, no file),\n"
	 "gets this process's stdin, stdout and stderr for CMD, and\n"
	 "kills CMD if this process goes away",
	 run_opts},
	{"seccomp check", "FILE...",
	 "validate seccomp profiles; errors as file:line:column", no_opts},
	{"seccomp export",
	 "--profile NAME|FILE --format oci|bpf|pfc\n"
	 "[--seccomp-dir DIR] [--output FILE]",
	 "the profile as an OCI runtime \"seccomp\" section (runc, crun,\n"
	 "podman), as the raw BPF filter, or as libseccomp's readable form",
	 export_opts},
	{"completion", "bash", "print the bash completion of " PROG, no_opts},
	{"help", "[--man]", "this text (--man: the manual page, roff)",
	 no_opts},
	{}};

/* Each line of text, after indent spaces (the first after first). */
static void put_lines(FILE *out, const char *text, int first, int indent)
{
	const char *nl;

	for (;;) {
		nl = strchr(text, '\n');
		fprintf(out, "%*s%.*s\n", first, "",
			nl ? (int)(nl - text) : (int)strlen(text), text);
		if (!nl)
			return;
		text = nl + 1;
		first = indent;
	}
}

void cli_usage(FILE *out)
{
	const struct cli_cmd_doc *c;

	fprintf(out, "usage: " PROG " COMMAND [options]\ncommands:\n");
	for (c = cli_cmd_docs; c->name; c++) {
		fprintf(out, "  %s%s", c->name, c->synopsis[0] ? " " : "");
		put_lines(out, c->synopsis, 0, 6);
		put_lines(out, c->help, 9, 9);
	}
	fprintf(out, "global option (before COMMAND): %s %s\n",
		cli_global_opts[0].name, cli_global_opts[0].arg);
	fprintf(out, "  (default /run/tenantguard/control.sock)\n");
}
