/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_CLI_USAGE_H
#define TG_CLI_USAGE_H

/*
 * The CLI's commands and options, in one table (usage.c) from which
 * `tenantguard help` prints --help, `tenantguard help --man` the manual
 * page tenantguard(1) and `tenantguard completion bash` the completion.
 */
#include <stdio.h>

/* An option of a command: what completion offers and the manual lists. */
struct cli_opt_doc {
	const char *name;   /* "--log", or "--follow|-f" */
	const char *arg;    /* "PATH", or NULL for a flag */
	const char *values; /* words completed after it ("oci bpf pfc"), a
			     * completion class ("@file", "@dir"), or NULL */
	const char *help;   /* one line, for the manual */
};

/* A command: its synopsis and help as --help prints them. */
struct cli_cmd_doc {
	const char *name;     /* "status", "seccomp export" */
	const char *synopsis; /* what follows the name; lines at indent 6 */
	const char *help;     /* lines at indent 9 (--help) */
	const struct cli_opt_doc *opts;
};

extern const struct cli_cmd_doc cli_cmd_docs[];
extern const struct cli_opt_doc cli_global_opts[];

void cli_usage(FILE *out);
/* The help of the commands named name ("events") or below it ("policy":
 * "policy check", ...), with their options; how many (0: none is). */
int cli_usage_of(FILE *out, const char *name);
void cli_manual(FILE *out);
void cli_completion_bash(FILE *out);

#endif /* TG_CLI_USAGE_H */
