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

/* status.c */
int cmd_status(const struct cli_opts *o, int argc, char **argv);
int cmd_reload(const struct cli_opts *o, int argc, char **argv);

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
