/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_CLI_CLI_H
#define TG_CLI_CLI_H

/*
 * tenantguard, the operator's command line: one file per subcommand, each
 * behind a handler that main.c picks from a table by name.
 */

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
int cli_call(const struct cli_opts *o, struct json_object *req,
	     struct json_object **reply);
/* A reply that says the request waits: printed, 1; else 0. */
int cli_pending(struct json_object *r);
/* A reload's reply printed; its exit status. */
int cli_reload_reply(struct json_object *r);
/* The tenants a reload added, removed and changed. */
void print_changes(struct json_object *r);

/* confirm.c */
int cmd_confirm(const struct cli_opts *o, int argc, char **argv);
int cmd_detach(const struct cli_opts *o, int argc, char **argv);

/* check.c */
int cmd_policy_check(const struct cli_opts *o, int argc, char **argv);
int cmd_seccomp_check(const struct cli_opts *o, int argc, char **argv);

/* export.c */
int cmd_seccomp_export(const struct cli_opts *o, int argc, char **argv);

/* run.c */
int cmd_run(const struct cli_opts *o, int argc, char **argv);

/* events.c */
int cmd_events(const struct cli_opts *o, int argc, char **argv);

/* The string value of key k in o, or "-" (status.c). */
const char *jstr(struct json_object *o, const char *k);

/* Every message of d on stderr as it is (file:line:column: ...), and how
 * many more there were (check.c). */
void print_diag(const struct tg_diag *d);

#endif /* TG_CLI_CLI_H */
