// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard detach and tenantguard confirm ID: the verbs of the
 * two-person rule. A sensitive request is answered with a request id;
 * another person confirms it, and the reply is then the request's own.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"

/* A reply that carried out a request: what it did; the exit status. */
static int print_done(struct json_object *r)
{
	struct json_object *c = NULL, *by;

	if (json_object_object_get_ex(r, "confirmed", &c) &&
	    json_object_object_get_ex(c, "requested_by", &by))
		printf("confirmed: request %s (%s) asked by uid %s (login uid %s%s%s)\n",
		       jstr(c, "request_id"), jstr(c, "verb"), jstr(by, "uid"),
		       jstr(by, "login_uid"), *jstr(by, "user") ? ", " : "",
		       jstr(by, "user"));
	if (c && !strcmp(jstr(c, "verb"), "reload"))
		return cli_reload_reply(r);
	printf("%s\n", jstr(r, "message"));
	return 0;
}

/* {"cmd": cmd, "id": id (if not NULL)}: sent, the reply printed. */
static int ask(const struct cli_opts *o, const char *cmd, const char *id)
{
	struct json_object *req = json_object_new_object(), *r;
	int ret;

	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	if (id)
		json_object_object_add(req, "id", json_object_new_string(id));
	ret = cli_call(o, req, &r);
	json_object_put(req);
	if (ret)
		return 1;
	ret = cli_pending(r) ? CLI_PENDING : print_done(r);
	json_object_put(r);
	return ret;
}

int cmd_detach(const struct cli_opts *o, int argc, char **argv)
{
	if (argc != 1) {
		tg_plain("usage: tenantguard detach");
		return 2;
	}
	return ask(o, "detach", NULL);
}

int cmd_confirm(const struct cli_opts *o, int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		tg_plain(
			"usage: tenantguard confirm ID (the id a waiting request was given; tenantguard status lists them)");
		return 2;
	}
	return ask(o, "confirm", argv[1]);
}
