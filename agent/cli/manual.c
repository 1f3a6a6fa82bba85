// SPDX-License-Identifier: GPL-2.0
/*
 * The manual page tenantguard(1) and the bash completion, both made from
 * the table of usage.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli/usage.h"

/* Text for roff: backslashes and minus signs escaped, lines joined. */
static void roff_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else if (*s == '\n')
			fputc(' ', out);
		else
			fputc(*s, out);
	}
}

static void man_option(FILE *out, const struct cli_opt_doc *o)
{
	const char *bar = strchr(o->name, '|');

	fputs(".TP\n\\fB", out);
	if (bar) {
		fprintf(out, "%.*s", (int)(bar - o->name), o->name);
		fputs("\\fR, \\fB", out);
		roff_text(out, bar + 1);
	} else {
		roff_text(out, o->name);
	}
	fputs("\\fR", out);
	if (o->arg) {
		fputs(" \\fI", out);
		roff_text(out, o->arg);
		fputs("\\fR", out);
	}
	fputc('\n', out);
	roff_text(out, o->help);
	fputc('\n', out);
}

static void man_command(FILE *out, const struct cli_cmd_doc *c)
{
	const struct cli_opt_doc *o;

	fputs(".SS \"", out);
	roff_text(out, c->name);
	fputs("\"\n.B tenantguard ", out);
	roff_text(out, c->name);
	fputc(' ', out);
	roff_text(out, c->synopsis);
	fputs("\n.PP\n", out);
	roff_text(out, c->help);
	fputc('\n', out);
	if (!c->opts[0].name)
		return;
	fputs(".RS\n", out);
	for (o = c->opts; o->name; o++)
		man_option(out, o);
	fputs(".RE\n", out);
}

void cli_manual(FILE *out)
{
	const struct cli_cmd_doc *c;
	const struct cli_opt_doc *o;

	fputs(".TH TENANTGUARD 1 \"\" \"tenantguard\" \"User Commands\"\n"
	      ".SH NAME\ntenantguard \\- the tenantguard operator's command line\n"
	      ".SH SYNOPSIS\n.B tenantguard\n[\\fB\\-\\-control\\-socket\\fR "
	      "\\fIPATH\\fR] \\fICOMMAND\\fR [\\fIoptions\\fR]\n"
	      ".SH DESCRIPTION\n"
	      "Asks the running \\fBtenantguard\\-agent\\fR(8) for its status and "
	      "a policy reload over its control socket (by the caller's role: "
	      "see \\fBtenantguard\\-policy\\fR(5)), checks policies and seccomp "
	      "profiles without touching the kernel, reads the events the "
	      "collector stored, and launches commands as a tenant.\n"
	      ".SH COMMANDS\n",
	      out);
	for (c = cli_cmd_docs; c->name; c++)
		man_command(out, c);
	fputs(".SH GLOBAL OPTIONS\n", out);
	for (o = cli_global_opts; o->name; o++)
		man_option(out, o);
	fputs(".SH EXIT STATUS\n0 on success, 1 on failure, 2 for a usage "
	      "error; \\fBrun\\fR exits with the command's status.\n"
	      ".SH FILES\n.TP\n/run/tenantguard/control.sock\nthe agent's "
	      "control socket (group \\fBtenantguard\\fR)\n.TP\n"
	      "/var/log/tenantguard/events.jsonl\nthe collector's log\n.TP\n"
	      "/etc/tenantguard/seccomp/\nseccomp profiles\n"
	      ".SH SEE ALSO\n\\fBtenantguard\\-agent\\fR(8), "
	      "\\fBtenantguard\\-collector\\fR(8), \\fBtenantguard\\-policy\\fR(5)\n",
	      out);
}

/* The options of c, as words for compgen, and the case of their values. */
static void bash_values(FILE *out, const struct cli_opt_doc *opts)
{
	const struct cli_opt_doc *o;

	for (o = opts; o->name; o++) {
		if (!o->arg)
			continue;
		fprintf(out, "\t%s)\n\t\t", o->name);
		if (o->values && strstr(o->values, "@file"))
			fprintf(out,
				"COMPREPLY=($(compgen -f -W \"%.*s\" -- \"$cur\"))",
				(int)(strstr(o->values, "@file") - o->values),
				o->values);
		else if (o->values && !strcmp(o->values, "@dir"))
			fputs("COMPREPLY=($(compgen -d -- \"$cur\"))", out);
		else if (o->values)
			fprintf(out,
				"COMPREPLY=($(compgen -W \"%s\" -- \"$cur\"))",
				o->values);
		else
			fputs("COMPREPLY=()", out);
		fputs("\n\t\treturn;;\n", out);
	}
}

static void bash_words(FILE *out, const struct cli_opt_doc *opts)
{
	const struct cli_opt_doc *o;
	const char *bar;

	for (o = opts; o->name; o++) {
		bar = strchr(o->name, '|');
		if (bar)
			fprintf(out, " %.*s %s", (int)(bar - o->name), o->name,
				bar + 1);
		else
			fprintf(out, " %s", o->name);
	}
}

/* The commands that take a subcommand, and theirs: policy) subs="check";; */
static void bash_subcommands(FILE *out)
{
	const struct cli_cmd_doc *c;
	const char *sp, *prev = "";
	size_t n;

	for (c = cli_cmd_docs; c->name; c++) {
		sp = strchr(c->name, ' ');
		if (!sp)
			continue;
		n = (size_t)(sp - c->name);
		if (strncmp(prev, c->name, n) || prev[n] != ' ')
			fprintf(out, "%s\t%.*s) subs=\"",
				prev[0] ? "\";;\n" : "", (int)n, c->name);
		else
			fputc(' ', out);
		fputs(sp + 1, out);
		prev = c->name;
	}
	if (prev[0])
		fputs("\";;\n", out);
}

/* The first words of the commands, each once. */
static void bash_commands(FILE *out)
{
	const struct cli_cmd_doc *c;
	size_t n;

	for (c = cli_cmd_docs; c->name; c++) {
		n = strcspn(c->name, " ");
		if (c == cli_cmd_docs || strncmp(c[-1].name, c->name, n) ||
		    (c[-1].name[n] != ' ' && c[-1].name[n] != '\0'))
			fprintf(out, " %.*s", (int)n, c->name);
	}
}

void cli_completion_bash(FILE *out)
{
	const struct cli_cmd_doc *c;

	fputs("# bash completion for tenantguard (tenantguard completion bash)\n"
	      "_tenantguard()\n{\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	      "\tlocal i=1 cmd subs=\"\"\n"
	      "\t[ \"${COMP_WORDS[1]}\" = --control-socket ] && i=3\n"
	      "\tif [ \"$prev\" = --control-socket ]; then\n"
	      "\t\tCOMPREPLY=($(compgen -f -- \"$cur\")); return\n\tfi\n"
	      "\tif [ \"$COMP_CWORD\" -le \"$i\" ]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"--control-socket",
	      out);
	bash_commands(out);
	fputs("\" -- \"$cur\")); return\n\tfi\n"
	      "\tcmd=${COMP_WORDS[i]}\n\tcase $cmd in\n",
	      out);
	bash_subcommands(out);
	fputs("\tesac\n\tif [ -n \"$subs\" ]; then\n"
	      "\t\tif [ \"$COMP_CWORD\" -eq $((i + 1)) ]; then\n"
	      "\t\t\tCOMPREPLY=($(compgen -W \"$subs\" -- \"$cur\")); return\n"
	      "\t\tfi\n\t\tcmd=\"$cmd ${COMP_WORDS[i+1]}\"\n\tfi\n"
	      "\tcase $cmd in\n",
	      out);
	for (c = cli_cmd_docs; c->name; c++) {
		fprintf(out, "\t\"%s\")\n\t\tcase $prev in\n", c->name);
		bash_values(out, c->opts);
		fputs("\t\tesac\n\t\tCOMPREPLY=($(compgen -W \"", out);
		bash_words(out, c->opts);
		fputs("\" -- \"$cur\"))\n\t\t[ \"${cur#-}\" = \"$cur\" ] && "
		      "COMPREPLY+=($(compgen -f -- \"$cur\"))\n\t\t;;\n",
		      out);
	}
	fputs("\tesac\n}\ncomplete -F _tenantguard tenantguard\n", out);
}
