// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard grant request|activate|revoke|shell|list: the host's side of
 * grants, through the agent's control socket (docs/grants.md). request and
 * shell are for support staff, activate for whoever holds the tenant's
 * approvals, revoke for an operator or the grant's holder.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/grant_doc.h"
#include "common/log.h"
#include "common/text.h"
#include "policy/policy.h"

/* Write doc and a newline to out (never over a file): 0 or 1 (reported). */
static int write_new(const char *out, const char *doc)
{
	size_t len = strlen(doc);
	int fd;

	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0)
		return tg_err(1, "%s: %s%s", out, strerror(errno),
			      errno == EEXIST ? " (never replaced)" : "");
	if (write(fd, doc, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    close(fd) < 0) {
		unlink(out);
		return tg_err(1, "%s: %s", out, strerror(errno));
	}
	return 0;
}

/*
 * What grant request and grant break-glass are asked: the request's
 * fields from argv into *req ({"cmd": cmd, ...}), the last option of each
 * kind kept; extra names the one option of its own (its value in *extra).
 * 0, or 2 (reported) for a usage error.
 */
static int grant_fields(int argc, char **argv, const char *verb,
			const char *usage, const char *extra_name,
			const char **extra, const char *extra_key,
			struct json_object **req)
{
	static const struct option base[] = {
		{"tenant", required_argument, NULL, 't'},
		{"ops", required_argument, NULL, 'o'},
		{"path", required_argument, NULL, 'p'},
		{"for", required_argument, NULL, 'f'},
		{"reason", required_argument, NULL, 'r'},
		{"x", required_argument, NULL, 'x'},
		{"activate-within", required_argument, NULL, 'w'},
		{}};
	struct option opts[sizeof(base) / sizeof(base[0])];
	const char *v[128] = {0}, *within = NULL;
	struct json_object *paths = json_object_new_array();
	int c;

	memcpy(opts, base, sizeof(opts));
	opts[5].name = extra_name;
	if (strcmp(verb, "request")) /* --activate-within: requests only */
		memset(&opts[6], 0, sizeof(opts[6]));
	*extra = NULL;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'p')
			json_object_array_add(paths,
					      json_object_new_string(optarg));
		else if (c == 'x')
			*extra = optarg;
		else if (c == 'w')
			within = optarg;
		else if (c != '?' && c != ':')
			v[c] = optarg;
		else {
			json_object_put(paths);
			return tg_err(
				2,
				"grant %s: unknown option or missing value '%s' (%s)",
				verb, argv[optind - 1], usage);
		}
	}
	if (!v['t'] || !v['o'] || !v['f'] || !v['r'] || optind != argc) {
		json_object_put(paths);
		return tg_err(2, "grant %s: %s (%s)", verb,
			      optind != argc ? "unexpected argument"
			      : !v['t']	     ? "--tenant T is needed"
			      : !v['o']	     ? "--ops OPS is needed"
			      : !v['f']	     ? "--for DURATION is needed"
					     : "--reason TEXT is needed",
			      usage);
	}
	*req = json_object_new_object();
	json_object_object_add(
		*req, "cmd",
		json_object_new_string(strcmp(verb, "request")
					       ? "break-glass"
					       : "grant-request"));
	json_object_object_add(*req, "tenant", json_object_new_string(v['t']));
	json_object_object_add(*req, "ops", json_object_new_string(v['o']));
	json_object_object_add(*req, "paths", paths);
	json_object_object_add(*req, "for", json_object_new_string(v['f']));
	json_object_object_add(*req, "reason", json_object_new_string(v['r']));
	if (within)
		json_object_object_add(*req, "activate_within",
				       json_object_new_string(within));
	if (*extra && extra_key)
		json_object_object_add(*req, extra_key,
				       json_object_new_string(*extra));
	return 0;
}

#define REQUEST_USAGE                                                          \
	"grant request --tenant T --ops OPS [--path P]... --for DURATION "     \
	"--reason TEXT --out FILE [--activate-within DURATION]"

int cmd_grant_request(const struct cli_opts *o, int argc, char **argv)
{
	struct json_object *req, *r;
	const char *out;
	int ret;

	ret = grant_fields(argc, argv, "request", REQUEST_USAGE, "out", &out,
			   NULL, &req);
	if (ret)
		return ret;
	if (!out) {
		json_object_put(req);
		return tg_err(
			2, "grant request: --out FILE is needed (" REQUEST_USAGE
			   ")");
	}
	if (access(out, F_OK) == 0) {
		json_object_put(req);
		return tg_err(1, "grant request: %s exists (never replaced)",
			      out);
	}
	ret = cli_call(o, req, &r);
	json_object_put(req);
	if (ret)
		return 1;
	ret = write_new(out, jstr(r, "request"));
	if (!ret)
		printf("request %s written to %s: have the tenant approve it (tenantguard grant approve %s --key KEY)\n",
		       jstr(r, "id"), out, out);
	json_object_put(r);
	return ret;
}

#define BREAK_GLASS_USAGE                                                      \
	"grant break-glass --tenant T --ops OPS [--path P]... --for DURATION " \
	"--reason TEXT [--login-uid N]"

/* break-glass: a grant without approval, once a second person confirms. */
int cmd_grant_break_glass(const struct cli_opts *o, int argc, char **argv)
{
	struct json_object *req, *r;
	const char *who;
	int ret;

	ret = grant_fields(argc, argv, "break-glass", BREAK_GLASS_USAGE,
			   "login-uid", &who, "login_uid", &req);
	if (ret)
		return ret;
	ret = cli_call(o, req, &r);
	json_object_put(req);
	if (ret)
		return 1;
	ret = cli_pending(r) ? CLI_PENDING : 0;
	printf("%s\n", jstr(r, "message"));
	json_object_put(r);
	return ret;
}

/*
 * cmd with argv[1]'s document as field and argv[2..] as "approvals": the
 * agent's message printed. 0, 1 (refused, reported) or 2 (usage).
 */
static int send_docs(const struct cli_opts *o, const char *cmd,
		     const char *field, int argc, char **argv,
		     const char *usage)
{
	struct json_object *req, *r, *arr;
	char *buf;
	size_t len;
	int i, ret;

	if (argc < 3)
		return tg_err(2, "%s", usage);
	if (cli_read_doc(argv[1], &buf, &len))
		return 1;
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	json_object_object_add(req, field,
			       json_object_new_string_len(buf, (int)len));
	free(buf);
	arr = json_object_new_array();
	json_object_object_add(req, "approvals", arr);
	for (i = 2; i < argc; i++) {
		if (cli_read_doc(argv[i], &buf, &len)) {
			json_object_put(req);
			return 1;
		}
		json_object_array_add(
			arr, json_object_new_string_len(buf, (int)len));
		free(buf);
	}
	ret = cli_call(o, req, &r);
	json_object_put(req);
	if (ret)
		return 1;
	printf("%s\n", jstr(r, "message"));
	json_object_put(r);
	return 0;
}

/* approvers-set UPDATE APPROVAL...: the change, to the agent. */
int cmd_grant_approvers_set(const struct cli_opts *o, int argc, char **argv)
{
	return send_docs(
		o, "approvers-set", "update", argc, argv,
		"grant approvers-set: an update and its approvals are needed (grant approvers-set UPDATEFILE APPROVAL...)");
}

int cmd_grant_activate(const struct cli_opts *o, int argc, char **argv)
{
	return send_docs(
		o, "grant-activate", "request", argc, argv,
		"grant activate: a request and at least one approval are needed (grant activate REQUESTFILE APPROVAL...)");
}

static int one_id(const struct cli_opts *o, const char *verb, int argc,
		  char **argv, struct json_object **r)
{
	struct json_object *req;
	char cmd[32];
	int ret;

	if (argc != 2 || !tg_grant_id_valid(argv[1]))
		return tg_err(
			2, "grant %s: one grant id (32 hex digits) is needed",
			verb);
	snprintf(cmd, sizeof(cmd), "grant-%s", verb);
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	json_object_object_add(req, "grant", json_object_new_string(argv[1]));
	ret = cli_call(o, req, r);
	json_object_put(req);
	return ret ? 1 : 0;
}

/* revoke ID [--signed FILE]: by an operator or the holder, or by anyone
 * with the tenant's signed revocation (grant revoke-sign). */
int cmd_grant_revoke(const struct cli_opts *o, int argc, char **argv)
{
	struct json_object *r, *req;
	char *buf;
	size_t len;
	int ret;

	if (argc == 4 && !strcmp(argv[2], "--signed")) {
		if (!tg_grant_id_valid(argv[1]))
			return tg_err(
				2,
				"grant revoke: '%s' is no grant id (32 lowercase hex digits)",
				argv[1]);
		if (cli_read_doc(argv[3], &buf, &len))
			return 1;
		req = json_object_new_object();
		json_object_object_add(req, "cmd",
				       json_object_new_string("grant-revoke"));
		json_object_object_add(req, "grant",
				       json_object_new_string(argv[1]));
		json_object_object_add(
			req, "revocation",
			json_object_new_string_len(buf, (int)len));
		free(buf);
		ret = cli_call(o, req, &r);
		json_object_put(req);
		if (ret)
			return 1;
	} else if (argc > 2) {
		return tg_err(2,
			      "grant revoke: grant revoke ID [--signed FILE]");
	} else if (one_id(o, "revoke", argc, argv, &r)) {
		return 1;
	}
	printf("grant %s %s\n", jstr(r, "grant"), jstr(r, "message"));
	json_object_put(r);
	return 0;
}

/* shell ID [-- CMD...]: this process into the grant's session, then CMD. */
int cmd_grant_shell(const struct cli_opts *o, int argc, char **argv)
{
	char *sh[] = {getenv("SHELL") ? getenv("SHELL") : "/bin/sh", NULL};
	struct json_object *r;
	char **cmd = sh;
	int n = argc;

	if (argc > 2 && strcmp(argv[2], "--"))
		return tg_err(2,
			      "grant shell: grant shell ID [-- CMD [ARG...]]");
	if (argc > 3)
		cmd = argv + 3;
	else if (argc == 3)
		return tg_err(2, "grant shell: a command is needed after --");
	if (one_id(o, "shell", n > 2 ? 2 : n, argv, &r))
		return 1;
	fprintf(stderr,
		"tenantguard: grant %s: session %s (killed at the grant's end)\n",
		jstr(r, "grant"), jstr(r, "cgroup"));
	json_object_put(r);
	execvp(cmd[0], cmd);
	return tg_err(127, "grant shell: %s: %s", cmd[0], strerror(errno));
}

int cmd_grant_list(const struct cli_opts *o, int argc, char **argv)
{
	struct json_object *req, *r, *arr, *g;
	size_t i;
	int ret;

	int json = argc == 2 && !strcmp(argv[1], "--json");

	if (argc != 1 && !json)
		return tg_err(2, "grant list: grant list [--json]");
	req = json_object_new_object();
	json_object_object_add(req, "cmd",
			       json_object_new_string("grant-list"));
	ret = cli_call(o, req, &r);
	json_object_put(req);
	if (ret)
		return 1;
	if (json) {
		printf("%s\n", json_object_to_json_string_ext(
				       r, JSON_C_TO_STRING_PLAIN));
		json_object_put(r);
		return 0;
	}
	if (!json_object_object_get_ex(r, "grants", &arr) ||
	    !json_object_array_length(arr))
		printf("no grants\n");
	for (i = 0; arr && i < json_object_array_length(arr); i++) {
		g = json_object_array_get_idx(arr, i);
		printf("%s %s tenant %s login uid %s (%s) ops %s until %s\n",
		       jstr(g, "grant"), jstr(g, "state"), jstr(g, "tenant"),
		       jstr(g, "login_uid"), jstr(g, "user"), jstr(g, "ops"),
		       jstr(g, "until"));
	}
	json_object_put(r);
	return 0;
}
