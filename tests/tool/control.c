// SPDX-License-Identifier: GPL-2.0
/*
 * tg-try control SOCKET JSON [pass-stdin]: one request on the agent's
 * control socket (with descriptor 0 passed along when asked), the reply
 * printed as compact JSON; exit 0 if it says ok, 1 if not, 2 if there was
 * none.
 *
 * tg-try control-stream SOCKET JSON: the same for a request answered by a
 * stream (events): the reply, then every line that follows it as it is,
 * until the agent closes the connection.
 */
#include <errno.h>
#include <unistd.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "common/control.h"
#include "tool.h"

static int do_control(int argc, char **argv)
{
	struct json_object *req, *reply, *ok;
	int good;

	if (argc < 2 || (argc > 2 && strcmp(argv[2], "pass-stdin")))
		return usage();
	req = json_tokener_parse(argv[1]);
	if (!req) {
		fprintf(stderr, "control: '%s' is not JSON\n", argv[1]);
		return 2;
	}
	reply = tg_control_call_fd(argv[0], req, argc > 2 ? 0 : -1);
	json_object_put(req);
	if (!reply) {
		fprintf(stderr, "control: %s: %s\n", argv[0], strerror(errno));
		return 2;
	}
	printf("%s\n", json_object_to_json_string_ext(
			       reply, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE));
	good = json_object_object_get_ex(reply, "ok", &ok) &&
	       json_object_get_boolean(ok);
	json_object_put(reply);
	return good ? 0 : 1;
}

static int do_control_stream(int argc, char **argv)
{
	struct json_object *req, *reply = NULL, *ok;
	char buf[65536];
	ssize_t n;
	int fd, good;

	if (argc != 2)
		return usage();
	req = json_tokener_parse(argv[1]);
	if (!req) {
		fprintf(stderr, "control-stream: '%s' is not JSON\n", argv[1]);
		return 2;
	}
	fd = tg_control_stream(argv[0], req, &reply);
	json_object_put(req);
	if (fd < 0) {
		fprintf(stderr, "control-stream: %s: %s\n", argv[0],
			strerror(-fd));
		return 2;
	}
	printf("%s\n", json_object_to_json_string_ext(
			       reply, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
	good = json_object_object_get_ex(reply, "ok", &ok) &&
	       json_object_get_boolean(ok);
	json_object_put(reply);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			break;
	close(fd);
	return good ? 0 : 1;
}

const struct tool_cmd tool_control_cmds[] = {
	{"control", do_control}, {"control-stream", do_control_stream}, {}};
