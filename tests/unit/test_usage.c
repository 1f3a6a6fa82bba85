// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the CLI's one table of commands and options (usage.c) and
 * what is made of it: --help, the manual page and the bash completion
 * each hold every command and option of the table.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/usage.h"

/* What f writes, in a string to free. */
static char *capture(void (*f)(FILE *))
{
	char *s = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&s, &n);

	assert_non_null(m);
	f(m);
	fclose(m);
	return s;
}

/* name as roff writes it: every '-' as "\-". */
static void roff_name(const char *name, char *out, size_t len)
{
	size_t o = 0;

	for (; *name && o + 3 < len; name++) {
		if (*name == '-')
			out[o++] = '\\';
		out[o++] = *name;
	}
	out[o] = '\0';
}

/* Each alternative of "--follow|-f", in turn. */
static void each_name(const char *names, void (*f)(const char *, void *),
		      void *ctx)
{
	char buf[64], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", names);
	for (tok = strtok_r(buf, "|", &save); tok;
	     tok = strtok_r(NULL, "|", &save))
		f(tok, ctx);
}

static void in_help(const char *name, void *text)
{
	if (!strstr(text, name))
		fail_msg("--help lacks %s", name);
}

static void in_man(const char *name, void *text)
{
	char r[128];

	roff_name(name, r, sizeof(r));
	if (!strstr(text, r))
		fail_msg("tenantguard(1) lacks %s", name);
}

static void in_completion(const char *name, void *text)
{
	char w[80];

	snprintf(w, sizeof(w), " %s", name);
	if (!strstr(text, w))
		fail_msg("the completion lacks %s", name);
}

static void test_every_command_everywhere(void **state)
{
	char *help = capture(cli_usage), *man = capture(cli_manual),
	     *comp = capture(cli_completion_bash);
	const struct cli_cmd_doc *c;
	char quoted[80];

	for (c = cli_cmd_docs; c->name; c++) {
		in_help(c->name, help);
		in_man(c->name, man);
		snprintf(quoted, sizeof(quoted), "\"%s\")", c->name);
		assert_non_null(strstr(comp, quoted));
	}
	free(help);
	free(man);
	free(comp);
}

/*
 * Every option in the manual and the completion; in --help, those the
 * synopsis names (the synopsis lists them all but short aliases).
 */
static void test_every_option_everywhere(void **state)
{
	char *help = capture(cli_usage), *man = capture(cli_manual),
	     *comp = capture(cli_completion_bash);
	const struct cli_cmd_doc *c;
	const struct cli_opt_doc *o;

	for (c = cli_cmd_docs; c->name; c++)
		for (o = c->opts; o->name; o++) {
			each_name(o->name, in_man, man);
			each_name(o->name, in_completion, comp);
			each_name(o->name, in_help, help);
		}
	free(help);
	free(man);
	free(comp);
}

/* Completion offers an option's values: --format's, --kind's. */
static void test_completion_values(void **state)
{
	char *comp = capture(cli_completion_bash);

	assert_non_null(strstr(comp, "--format)"));
	assert_non_null(strstr(comp, "compgen -W \"oci bpf pfc\""));
	assert_non_null(strstr(
		comp,
		"compgen -W \"file net unix proc seccomp agent guard admin\""));
	assert_non_null(strstr(comp, "seccomp) subs=\"check export\""));
	free(comp);
}

/* The manual page starts as roff and names its section. */
static void test_manual_header(void **state)
{
	char *man = capture(cli_manual);

	assert_int_equal(strncmp(man, ".TH TENANTGUARD 1 ", 18), 0);
	assert_non_null(strstr(man, "\n.SH SYNOPSIS\n"));
	assert_non_null(strstr(man, "\n.SH SEE ALSO\n"));
	free(man);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_command_everywhere),
		cmocka_unit_test(test_every_option_everywhere),
		cmocka_unit_test(test_completion_values),
		cmocka_unit_test(test_manual_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
