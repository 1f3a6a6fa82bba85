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
	 "print the last 10 (or -n) events, then new ones, also across "
	 "rotation"},
	{"--tenant", "T", NULL, "events whose actor or target is tenant T"},
	{"--actor", "T", NULL, "events whose actor is tenant T"},
	{"--target", "T", NULL, "events whose target is tenant T"},
	{"--kind", "K", "file net unix proc seccomp agent guard admin",
	 "events of kind K (with the suppressed summaries of that kind)"},
	{"--op", "OP", NULL, "events of operation OP (connect, open, ...)"},
	{"--verdict", "V", "deny audit allow suppressed dropped",
	 "events with verdict V (suppressed, dropped: the summaries)"},
	{"--since", "TIME", NULL,
	 "from TIME: -1h30m, '1h30m ago', 90m, today, yesterday, now, "
	 "'2026-12-07 10:00' (local), RFC 3339, @SECONDS"},
	{"--until", "TIME", NULL, "up to TIME (the forms of --since)"},
	{"--lines|-n", "N", "all", "only the last N events (or all)"},
	{"--reverse|-r", NULL, NULL, "newest first"},
	{"--summary", NULL, NULL,
	 "counts per group: events stored, suppressed, dropped"},
	{"--by", "KEYS", "tenant kind op target verdict",
	 "the groups of --summary (default tenant,kind,op)"},
	{"--json", NULL, NULL,
	 "print the stored JSON lines (the summary as JSON)"},
	{}};

static const struct cli_opt_doc report_opts[] = {
	{"--log", "PATH", "@file",
	 "the collector's log (default /var/log/tenantguard/events.jsonl)"},
	{"--tenant", "T", NULL, "events whose actor or target is tenant T"},
	{"--actor", "T", NULL, "events whose actor is tenant T"},
	{"--target", "T", NULL, "events whose target is tenant T"},
	{"--kind", "K", "file net unix proc seccomp agent guard admin",
	 "events of kind K"},
	{"--op", "OP", NULL, "events of operation OP"},
	{"--verdict", "V", "deny audit allow suppressed dropped",
	 "events with verdict V (suppressed, dropped: the summaries)"},
	{"--since", "TIME", NULL, "from TIME (as tenantguard events --since)"},
	{"--until", "TIME", NULL, "up to TIME (as --since)"},
	{"--json", NULL, NULL,
	 "print the counts (with --grants, the grants report) as JSON"},
	{"--grants", NULL, NULL,
	 "with --tenant T: the grants to T, each with its request, "
	 "approvers, window, end, refusals and every access made under it"},
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

static const struct cli_opt_doc grant_keygen_opts[] = {
	{"--out", "FILE", "@file",
	 "the new secret key (mode 0600; an existing file is never replaced)"},
	{}};

static const struct cli_opt_doc grant_approve_opts[] = {
	{"--key", "KEYFILE", "@file",
	 "the approver's secret key (grant keygen)"},
	{"--valid", "DURATION", NULL,
	 "how long the approval may be used (default 1d, at most 30d)"},
	{}};

static const struct cli_opt_doc grant_verify_opts[] = {
	{"--policy", "FILE", "@file", "the policy whose approvers count"},
	{"--tenant", "T", NULL,
	 "whose approvers (default: the tenant the request names)"},
	{"--host", "ID", NULL,
	 "the host to check for (default: this one's /etc/machine-id)"},
	{"--boot-id", "ID", NULL, "the boot to check for (default: this one)"},
	{}};

static const struct cli_opt_doc grant_request_opts[] = {
	{"--tenant", "T", NULL, "the tenant whose objects are asked for"},
	{"--ops", "OPS", NULL,
	 "comma-separated: read, write, exec, connect, signal, ptrace"},
	{"--path", "P", NULL,
	 "limit the file ops to P and below (repeatable; below the tenant's paths)"},
	{"--for", "DURATION", NULL, "how long, once active (at most 8h)"},
	{"--reason", "TEXT", NULL, "why (a ticket): shown to the approvers"},
	{"--out", "FILE", "@file", "the request (never over a file)"},
	{"--activate-within", "DURATION", NULL,
	 "how long it may wait for approval (default 1d, at most 7d)"},
	{}};

static const struct cli_opt_doc break_glass_opts[] = {
	{"--tenant", "T", NULL, "the tenant"},
	{"--ops", "OPS", NULL,
	 "comma-separated: read, write, exec, connect, signal, ptrace"},
	{"--path", "P", NULL, "limit the file ops to P and below (repeatable)"},
	{"--for", "DURATION", NULL, "how long (at most 1h)"},
	{"--reason", "TEXT", NULL,
	 "why: in the events and the tenant's report"},
	{"--login-uid", "N", NULL,
	 "whose access (support staff; default: the requester's login uid)"},
	{}};

static const struct cli_opt_doc retire_opts[] = {
	{"--keep", "DURATION", NULL,
	 "how long its data is kept before it may be erased (default 90d)"},
	{}};

static const struct cli_opt_doc tenant_export_opts[] = {
	{"--to", "FILE", "@file",
	 "the archive; FILE.manifest.json, FILE.manifest.sig and FILE.pub "
	 "beside it (never over a file, never in a tenant's tree)"},
	{}};

static const struct cli_opt_doc tenant_verify_opts[] = {
	{"--key", "PUB|FILE", "@file",
	 "the host's public key (base64, as status shows it; default "
	 "FILE.pub)"},
	{}};

static const struct cli_opt_doc erase_opts[] = {
	{"--now", NULL, NULL,
	 "before the retention has passed: only when a second person "
	 "confirms it (tenant-erase in the policy's confirm:)"},
	{}};

static const struct cli_opt_doc no_opts[] = {{}};
static const struct cli_opt_doc show_opts[] = {
	{"--tenant", "T", NULL, "that tenant only"},
	{"--json", NULL, NULL, "one JSON object"},
	{}};
static const struct cli_opt_doc json_opts[] = {
	{"--json", NULL, NULL, "one JSON object"}, {}};
static const struct cli_opt_doc sc_check_opts[] = {
	{"--no-pid-namespace", NULL, NULL,
	 "check for run --no-pid-namespace (no init in the profile)"},
	{"--json", NULL, NULL,
	 "one JSON object per profile: ok, errors (file, line, column, "
	 "message), rules, default"},
	{}};
static const struct cli_opt_doc check_opts[] = {
	{"--json", NULL, NULL,
	 "one JSON object: ok, errors and warnings (file, line, column, "
	 "message)"},
	{"--strict", NULL, NULL, "warnings fail the check as errors do"},
	{"--policy", "FILE", "@file", "the main file, as the agent's --policy"},
	{"--policy-dir", "DIR", "@dir",
	 "the drop-in directory, as the agent's --policy-dir"},
	{}};

const struct cli_opt_doc cli_global_opts[] = {
	{"--control-socket", "PATH", "@file",
	 "the agent's control socket (default /run/tenantguard/control.sock)"},
	{"--version", NULL, NULL, "the release, then exit"},
	{"--help", NULL, NULL,
	 "after COMMAND (anywhere before --): that command's help, with its "
	 "options (-h alike)"},
	{}};

const struct cli_cmd_doc cli_cmd_docs[] = {
	{"status", "[--json]", "policy, generation, backends, tenants, denials",
	 status_opts},
	{"reload", "[--json]",
	 "load the agent's policy files again; errors are\n"
	 "printed and the policy in force stays (--json: the\n"
	 "agent's reply)",
	 json_opts},
	{"detach", "", "stop the agent and remove every check it made",
	 no_opts},
	{"confirm", "ID",
	 "carry out request ID, which waits for a second\n"
	 "person (policy confirm:); exit status 3 means a\n"
	 "request waits, its id printed",
	 no_opts},
	{"policy show", "[--tenant T] [--json]",
	 "the policy in force, from the agent: each setting with the\n"
	 "file, line and column it came from, the files read and their\n"
	 "SHA-256 (a viewer sees only the tenants it may)",
	 show_opts},
	{"probe", "[--json]",
	 "what this kernel and host would enforce, feature by feature,\n"
	 "and what to change to get the rest (lsm=...,bpf, ...), asked\n"
	 "the way the agent asks (probe programs that return 0, attached\n"
	 "nowhere); with an agent running, also what is in force now",
	 json_opts},
	{"policy check",
	 "[--json] [--strict] [FILE [DROPIN...] | [--policy FILE]\n"
	 "[--policy-dir DIR]]",
	 "validate a policy (and drop-ins, merged in the order given)\n"
	 "without touching the kernel; errors as file:line:column,\n"
	 "warnings for what is valid but dangerous (errors with --strict);\n"
	 "without FILE, the tree the agent reads, as it reads it\n"
	 "(/etc/tenantguard/policy.yaml and policy.d/*.yaml, or the\n"
	 "agent's --policy and --policy-dir)",
	 check_opts},
	{"events",
	 "[--log PATH] [-f|--follow] [-n|--lines N] [-r|--reverse]\n"
	 "[--tenant T] [--actor T] [--target T] [--kind K] [--op OP]\n"
	 "[--verdict V] [--since TIME] [--until TIME] [--json]\n"
	 "[--summary [--by tenant,kind,op,target,verdict]]",
	 "print the events the collector stored, its rotated files\n"
	 "first (default log /var/log/tenantguard/events.jsonl);\n"
	 "a filter given more than once matches any of its values,\n"
	 "different filters all (--actor a --actor b --verdict deny);\n"
	 "--tenant matches actor or target; --kind file|net|unix|\n"
	 "proc|seccomp|agent|guard|admin; --verdict deny|audit|allow|\n"
	 "suppressed|dropped (the last two: the summaries as such);\n"
	 "a summary of suppressed events counts as the kind, op and\n"
	 "verdict it counts, a drop with verdict -; --since and --until\n"
	 "as journalctl: -1h30m, '1h30m ago', 90m (ago), +10m, now,\n"
	 "today, yesterday, '2026-12-07 10:00[:00]' (local), RFC 3339,\n"
	 "@SECONDS; -n the last N; --follow from the last 10 (or -n),\n"
	 "then new events, also across rotation; --summary counts per\n"
	 "group (--by) events stored, suppressed and dropped; columns\n"
	 "of fixed width, a longer value cut with '\u2026', the header\n"
	 "again every screenful on a terminal; --json prints the stored\n"
	 "JSON lines; colour only on a terminal and without NO_COLOR;\n"
	 "a user who may not read the log (not root) gets the events its\n"
	 "role lets it see from the agent (--control-socket), the\n"
	 "filters applied there\n"
	 "examples:\n"
	 "  tenantguard events --actor globex --since '1h ago'\n"
	 "  tenantguard events --kind net --verdict deny -n 50\n"
	 "  tenantguard events --summary --by tenant,op --since today",
	 events_opts},
	{"report",
	 "[--log PATH] [--tenant T] [--actor T] [--target T] [--kind K]\n"
	 "[--op OP] [--verdict V] [--since TIME] [--until TIME] [--json]\n"
	 "[--chain] | --tenant T --grants [--since TIME] [--until TIME]\n"
	 "[--json | --chain] | --verify FILE [--key HEX|FILE]",
	 "how many of those events there are, by tenant, kind, op and\n"
	 "verdict; --chain: the events themselves, each other line of the\n"
	 "log as its hash and the signed checkpoints around them; --verify\n"
	 "recomputes that chain and names the first line that breaks it;\n"
	 "--grants: what support staff did under grants to tenant T (each\n"
	 "grant's request, approvers, window and end, its accesses counted\n"
	 "by op and listed; break-glass grants marked), with --chain its\n"
	 "events chained for --verify (docs/events.md)",
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
	{"seccomp check", "[--no-pid-namespace] [--json] FILE...",
	 "validate seccomp profiles, and what run asks of them (ok: run\n"
	 "takes it); errors as file:line:column",
	 sc_check_opts},
	{"seccomp export",
	 "--profile NAME|FILE --format oci|bpf|pfc\n"
	 "[--seccomp-dir DIR] [--output FILE]",
	 "the profile as an OCI runtime \"seccomp\" section (runc, crun,\n"
	 "podman), as the raw BPF filter, or as libseccomp's readable form",
	 export_opts},
	{"grant keygen", "--out FILE",
	 "make an approver's Ed25519 key: the secret key into FILE (0600,\n"
	 "never over an existing file), the public key printed (base64,\n"
	 "for the policy's approvers: keys)",
	 grant_keygen_opts},
	{"grant approve", "REQUESTFILE --key KEYFILE [--valid DURATION]",
	 "approve a grant request (runs anywhere, needs no agent): the\n"
	 "approval, signed over the request's canonical bytes and its own\n"
	 "expiry, is printed; a request not in canonical form is refused\n"
	 "(docs/grants.md)",
	 grant_approve_opts},
	{"grant verify",
	 "REQUESTFILE APPROVAL... --policy FILE [--tenant T]\n"
	 "[--host ID] [--boot-id ID]",
	 "check a request and its approvals offline against the policy's\n"
	 "approvers (N of M, a key counted once), the clock, this host and\n"
	 "this boot; prints each approval's result and the conclusion;\n"
	 "exit status 0 approved, 1 refused. It activates nothing\n"
	 "(grant activate does)",
	 grant_verify_opts},
	{"grant request",
	 "--tenant T --ops OPS [--path P]... --for DURATION\n"
	 "--reason TEXT --out FILE [--activate-within DURATION]",
	 "as support staff: ask for a grant to tenant T (ops: read, write,\n"
	 "exec, connect, signal, ptrace; --path scopes the file ops); the\n"
	 "agent writes the request (an event), for the tenant to approve",
	 grant_request_opts},
	{"grant activate", "REQUESTFILE APPROVAL...",
	 "activate an approved request: the agent checks the approvals\n"
	 "against the tenant's approver keys, the host, the boot and its\n"
	 "replay cache, then the kernel allows exactly the granted ops\n"
	 "until the deadline (every access an event)",
	 no_opts},
	{"grant revoke", "ID [--signed FILE]",
	 "end grant ID now: its ops refused, its sessions killed; by an\n"
	 "operator or the grant's holder, or by anyone with the tenant's\n"
	 "signed revocation FILE (grant revoke-sign)",
	 no_opts},
	{"grant approvers-update", "--tenant T --keys K1,K2,... --need N",
	 "a change of tenant T's approver keys (runs anywhere), printed:\n"
	 "need of the current keys approve it (grant approve), then\n"
	 "grant approvers-set hands it to the agent; the policy's\n"
	 "approvers: must then say the new keys",
	 no_opts},
	{"grant approvers-set", "UPDATEFILE APPROVAL...",
	 "enrol the new approver keys of an update approved by need of\n"
	 "the tenant's current keys",
	 no_opts},
	{"grant revoke-sign", "ID --tenant T --key KEYFILE",
	 "the tenant's revocation of grant ID, signed with one of its\n"
	 "approver keys (runs anywhere, needs no agent), printed",
	 no_opts},
	{"grant shell", "ID [-- CMD [ARG...]]",
	 "as the grant's holder: run CMD (default $SHELL) in a session\n"
	 "cgroup bound to the grant, killed when it ends",
	 no_opts},
	{"grant list", "[--json]", "the grants in force and lately ended",
	 no_opts},
	{"grant break-glass",
	 "--tenant T --ops OPS [--path P]... --for DURATION\n"
	 "--reason TEXT [--login-uid N]",
	 "an emergency grant without the tenant's approval (admin): waits\n"
	 "for a second person's tenantguard confirm (another login uid),\n"
	 "lasts at most 1h, for support staff login uid N (default: the\n"
	 "requester's); told at alert severity in syslog and the events",
	 break_glass_opts},
	{"tenant retire", "T [--keep DURATION]",
	 "retire tenant T (admin): recorded durably in the agent's state,\n"
	 "its cgroup frozen (nothing put in it runs) and its processes\n"
	 "killed, its paths kept its own; every step an event\n"
	 "(docs/offboarding.md)",
	 retire_opts},
	{"tenant export", "T --to FILE",
	 "a retired tenant's owned paths (admin), read by the agent: a\n"
	 "tar archive (pax) into FILE, its manifest (every member's\n"
	 "path, type, mode, mtime, size, SHA-256; totals) in canonical\n"
	 "JSON into FILE.manifest.json, the host key's Ed25519 signature\n"
	 "of it into FILE.manifest.sig and that key into FILE.pub; a\n"
	 "live tenant is refused (grants are not active yet), as is a\n"
	 "FILE inside any tenant's tree",
	 tenant_export_opts},
	{"tenant verify", "FILE [--key PUB|FILE]",
	 "check an export (runs anywhere, needs no agent): the\n"
	 "manifest's signature by the key (compare it with the key\n"
	 "status shows), then every member byte for byte, nothing\n"
	 "missing, nothing added; exit 0 only when all match, else 1\n"
	 "naming the first file that differs and how",
	 tenant_verify_opts},
	{"tenant erase", "T [--now]",
	 "remove a retired tenant's owned trees (admin) once its\n"
	 "retention has passed by the wall clock and by the host's\n"
	 "uptime since the retirement (never automatically); files are\n"
	 "unlinked: \"deleted, storage not sanitized\"; the erasure\n"
	 "certificate, signed with the host key, goes to the agent's\n"
	 "state directory and into an event",
	 erase_opts},
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

static void put_command(FILE *out, const struct cli_cmd_doc *c, int opts)
{
	const struct cli_opt_doc *o;

	fprintf(out, "  %s%s", c->name, c->synopsis[0] ? " " : "");
	put_lines(out, c->synopsis, 0, 6);
	put_lines(out, c->help, 9, 9);
	for (o = c->opts; opts && o && o->name; o++)
		fprintf(out, "         %s%s%s: %s\n", o->name,
			o->arg ? " " : "", o->arg ? o->arg : "", o->help);
}

int cli_usage_of(FILE *out, const char *name)
{
	const struct cli_cmd_doc *c;
	size_t n = strlen(name);
	int found = 0;

	for (c = cli_cmd_docs; c->name; c++) {
		if (strncmp(c->name, name, n) ||
		    (c->name[n] != '\0' && c->name[n] != ' '))
			continue;
		if (!found++)
			fprintf(out,
				"usage: " PROG " [--control-socket PATH] "
				"%s ...\n",
				name);
		put_command(out, c, 1);
	}
	return found;
}

void cli_usage(FILE *out)
{
	const struct cli_cmd_doc *c;

	fprintf(out, "usage: " PROG " COMMAND [options]\ncommands:\n");
	for (c = cli_cmd_docs; c->name; c++)
		put_command(out, c, 0);
	fprintf(out, "COMMAND --help: one command's help, with its options\n");
	fprintf(out, "global option (anywhere before --): %s %s\n",
		cli_global_opts[0].name, cli_global_opts[0].arg);
	fprintf(out, "  (default /run/tenantguard/control.sock)\n");
	fprintf(out, PROG " --version: the release\n");
}
