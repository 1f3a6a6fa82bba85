// SPDX-License-Identifier: GPL-2.0
/* The agent's control socket: status and reload for the CLI. */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"

static int make_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

int tg_control_listen(const char *path)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, err;

	err = make_addr(path, &sa);
	if (err)
		return err;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0600) < 0 || listen(fd, 8) < 0) {
		err = -errno;
		close(fd);
		unlink(path);
		return err;
	}
	return fd;
}

/* Wait up to ms for fd to be ready for events. */
static int wait_fd(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n = poll(&p, 1, ms);

	return n > 0 ? 0 : n == 0 ? -ETIMEDOUT : -errno;
}

static int send_all(int fd, const char *s, size_t n)
{
	ssize_t w;
	int err;

	while (n) {
		w = send(fd, s, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EAGAIN) {
			err = wait_fd(fd, POLLOUT, 1000);
			if (err)
				return err;
			continue;
		}
		if (w < 0)
			return -errno;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static struct json_object *error_reply(const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

int tg_control_serve(int listen_fd,
		     struct json_object *(*handle)(void *ctx,
						   struct json_object *req),
		     void *ctx)
{
	char buf[TG_CONTROL_MAX_REQUEST + 1];
	struct json_object *req = NULL, *reply;
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	size_t have = 0;
	const char *s;
	ssize_t n;
	int fd, err = 0;

	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 || cred.uid != 0) {
		reply = error_reply("permission denied: the control socket serves root only");
		goto out_reply;
	}
	while (have < TG_CONTROL_MAX_REQUEST && !memchr(buf, '\n', have)) {
		err = wait_fd(fd, POLLIN, 1000);
		if (err)
			break;
		n = recv(fd, buf + have, TG_CONTROL_MAX_REQUEST - have, 0);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	buf[have] = '\0';
	req = json_tokener_parse(buf);
	if (!req || !json_object_is_type(req, json_type_object))
		reply = error_reply("bad request: expected one JSON object and a newline");
	else
		reply = handle(ctx, req);
out_reply:
	s = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN);
	err = send_all(fd, s, strlen(s));
	if (!err)
		err = send_all(fd, "\n", 1);
	json_object_put(reply);
	json_object_put(req);
	close(fd);
	return err;
}

struct json_object *tg_control_call(const char *path, struct json_object *req)
{
	struct json_tokener *tok = NULL;
	struct json_object *reply = NULL;
	struct sockaddr_un sa;
	char buf[65536];
	const char *s;
	size_t total = 0;
	ssize_t n;
	int fd, err;

	err = make_addr(path, &sa);
	if (err) {
		errno = -err;
		return NULL;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out_close;
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	if (send_all(fd, s, strlen(s)) || send_all(fd, "\n", 1))
		goto out_close;
	tok = json_tokener_new();
	while (!reply && (n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		total += (size_t)n;
		if (total > TG_CONTROL_MAX_REPLY) {
			errno = EMSGSIZE;
			break;
		}
		reply = json_tokener_parse_ex(tok, buf, (int)n);
		if (!reply && json_tokener_get_error(tok) != json_tokener_continue) {
			errno = EBADMSG;
			break;
		}
	}
	if (!reply && !errno)
		errno = ECONNRESET;
	json_tokener_free(tok);
out_close:
	err = errno;
	close(fd);
	errno = err;
	return reply;
}
