/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_CLI_CLI_H
#define TG_CLI_CLI_H

/*
 * tenantguard, the operator's command line: one file per subcommand, each
 * behind a handler that main.c picks from a table by name.
 */

#include <stddef.h>

#include "common/event_filter.h"

struct json_object;
struct tg_diag;

/* The global options, given before the command. */
struct cli_opts {
	const char *control_socket; /* the agent's control socket */
};

/*
 * A subcommand: argv[0] is its name, the rest its arguments. Returns the
 * exit status (2 for a usage error).
 */
struct cli_cmd {
	const char *name;
	int (*func)(const struct cli_opts *o, int argc, char **argv);
};

/* The exit status of a request left waiting for a second person. */
#define CLI_PENDING 3

/* status.c */
int cmd_status(const struct cli_opts *o, int argc, char **argv);
int cmd_reload(const struct cli_opts *o, int argc, char **argv);
/*
 * The agent's reply to req in *reply: 0, or -errno (reported), also when
 * the agent refused it ({"ok": false, "error": ...}).
 */
/* What to do about a control socket that cannot be reached (err: an errno,
 * either sign): a clause starting "; ", or "". */
const char *cli_unreachable_hint(int err);
int cli_call(const struct cli_opts *o, struct json_object *req,
	     struct json_object **reply);
/* A reply that says the request waits: printed, 1; else 0. */
int cli_pending(struct json_object *r);
/* A reload's reply printed; its exit status. */
int cli_reload_reply(struct json_object *r);
/* The tenants a reload added, removed and changed. */
void print_changes(struct json_object *r);

/* tenant.c */
int cmd_tenant_retire(const struct cli_opts *o, int argc, char **argv);
int cmd_tenant_export(const struct cli_opts *o, int argc, char **argv);
int cmd_tenant_verify(const struct cli_opts *o, int argc, char **argv);
int cmd_tenant_erase(const struct cli_opts *o, int argc, char **argv);

/* confirm.c */
int cmd_confirm(const struct cli_opts *o, int argc, char **argv);
int cmd_detach(const struct cli_opts *o, int argc, char **argv);

/* check.c */
int cmd_policy_check(const struct cli_opts *o, int argc, char **argv);
int cmd_policy_show(const struct cli_opts *o, int argc, char **argv);
int cmd_seccomp_check(const struct cli_opts *o, int argc, char **argv);

/* export.c */
int cmd_seccomp_export(const struct cli_opts *o, int argc, char **argv);

/* grant.c */
int cmd_grant_keygen(const struct cli_opts *o, int argc, char **argv);
int cmd_grant_approve(const struct cli_opts *o, int argc, char **argv);
int cmd_grant_verify(const struct cli_opts *o, int argc, char **argv);
/* A grant document's file into *buf (malloc'd): 0, or 1 (reported). */
int cli_read_doc(const char *path, char **buf, size_t *len);
int cmd_grant_revoke_sign(const struct cli_opts *o, int argc, char **argv);
int cmd_grant_approvers_update(const struct cli_opts *o, int argc,
			       char **argv);
int cmd_grant_approvers_set(const struct cli_opts *o, int argc, char **argv);
/* grant_agent.c */
int cmd_grant_request(const struct cli_opts *o, int argc, char **argv);
int cmd_grant_activate(const struct cli_opts *o, int argc, char **argv);
int cmd_grant_revoke(const struct cli_opts *o, int argc, char **argv);
int cmd_grant_shell(const struct cli_opts *o, int argc, char **argv);
int cmd_grant_list(const struct cli_opts *o, int argc, char **argv);
int cmd_grant_break_glass(const struct cli_opts *o, int argc, char **argv);

/* run.c */
int cmd_run(const struct cli_opts *o, int argc, char **argv);

/* probe.c */
int cmd_probe(const struct cli_opts *o, int argc, char **argv);

/* events.c */
int cmd_events(const struct cli_opts *o, int argc, char **argv);

/* Reading stored events for events and report. */
struct cli_events {
	const char *cmd; /* the verb asked of the agent: events, report */
	const char *log; /* the log read when this user may */
	int log_given;	 /* --log */
	struct tg_event_filter filter;
	/* follow_ok: events' own options (--follow, --lines, --reverse,
	 * --summary, --by) taken */
	int follow, follow_ok, json, reverse, summary;
	const char *by; /* --by, with summary */
	/*
	 * report --chain: every line goes to event (the filters not
	 * applied), and the agent is asked for the others' lines as hashes.
	 */
	int chain;
	/* Each event the filters pass: its line and parsed; nonzero stops. */
	int (*event)(void *ctx, const char *line, size_t len,
		     struct json_object *ev);
	/* Before the first event: the agent's view ("all" or names), or
	 * NULL when the log is read here (every event). May be NULL. */
	void (*on_view)(void *ctx, struct json_object *view);
	void *ctx;
	struct json_object *view;  /* the agent's, when it served (put it) */
	int bad;		   /* a line could not be read */
	struct tg_event_tail tail; /* the last lines, until caught up */
	int buffered;		   /* kept in tail until caught up */
};

/*
 * --log, --tenant, --actor, --target, --kind, --op, --verdict, --since,
 * --until, --json, and (if follow_ok) --follow, --lines, --reverse,
 * --summary, --by into s; 0 or -EINVAL (reported).
 */
int cli_events_args(int argc, char **argv, struct cli_events *s);

/*
 * The events: from s->log when this user can open it, else (EACCES, or no
 * such file when --log was not given) from the agent; 0, or 1 on an error
 * (reported).
 */
int cli_events_read(const struct cli_opts *o, struct cli_events *s);

/* report.c */
int cmd_report(const struct cli_opts *o, int argc, char **argv);

/* The string value of key k in o, or "-" (status.c). */
const char *jstr(struct json_object *o, const char *k);

/* Every message of d on stderr as it is (file:line:column: ...), and how
 * many more there were (check.c). */
void print_diag(const struct tg_diag *d);

#endif /* TG_CLI_CLI_H */
