// SPDX-License-Identifier: GPL-2.0
/*
 * tg-try control SOCKET JSON [pass-stdin|pass-stdio]: one request on the
 * agent's control socket (with descriptor 0, or 0, 1 and 2, passed along
 * when asked), the reply
 * printed as compact JSON; exit 0 if it says ok, 1 if not, 2 if there was
 * none.
 *
 * tg-try control-stream SOCKET JSON: the same for a request answered by a
 * stream (events): the reply, then every line that follows it as it is,
 * until the agent closes the connection.
 *
 * tg-try control-slow SOCKET N silent|dribble|unread SECONDS: N clients
 * that misbehave for up to SECONDS: connect and send nothing (silent),
 * send a status request a byte every 200 ms (dribble), or send a request
 * for a large reply and never read it (unread); prints "closed N AFTER_MS"
 * for each client the agent cut off (or answered, for dribble), "open N"
 * for one still connected at the end.
 *
 * tg-try control-linger SOCKET SECONDS: a status request that passes the
 * agent a descriptor whose last close blocks for SECONDS: a TCP socket on
 * the loopback with SO_LINGER set and data its peer (a listener of this
 * process that never accepts) does not take. This process closes its own
 * copy once it is sent, prints the reply, and keeps the listener open for
 * SECONDS, so that the agent's close waits that long.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "common/control.h"
#include "tool.h"

/* req with descriptors 0, 1 and 2 passed; its first reply line, or NULL. */
static struct json_object *call_stdio(const char *path, struct json_object *req)
{
	static const int stdio[3] = {0, 1, 2};
	char buf[65536];
	size_t have = 0;
	ssize_t n;
	int fd = tg_control_send(path, req, stdio, 3);

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	while (have < sizeof(buf) - 1 &&
	       (n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
		have += (size_t)n;
		if (memchr(buf, '\n', have))
			break;
	}
	close(fd);
	buf[have] = '\0';
	errno = EBADMSG;
	return json_tokener_parse(buf);
}

static int do_control(int argc, char **argv)
{
	struct json_object *req, *reply, *ok;
	int good;

	if (argc < 2 || (argc > 2 && strcmp(argv[2], "pass-stdin") &&
			 strcmp(argv[2], "pass-stdio")))
		return usage();
	req = json_tokener_parse(argv[1]);
	if (!req) {
		fprintf(stderr, "control: '%s' is not JSON\n", argv[1]);
		return 2;
	}
	if (argc > 2 && !strcmp(argv[2], "pass-stdio"))
		reply = call_stdio(argv[0], req);
	else
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

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* A client connected to path, or -1. */
static int connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int do_control_slow(int argc, char **argv)
{
	static const char req[] = "{\"cmd\":\"status\"}\n";
	int n, i, fds[64], secs, mode;
	long long t0, closed[64] = {0};
	size_t sent[64] = {0};
	char buf[4096];

	if (argc != 4)
		return usage();
	n = atoi(argv[1]);
	secs = atoi(argv[3]);
	mode = !strcmp(argv[2], "silent")    ? 0
	       : !strcmp(argv[2], "dribble") ? 1
	       : !strcmp(argv[2], "unread")  ? 2
					     : -1;
	if (n < 1 || n > 64 || mode < 0 || secs < 1)
		return usage();
	for (i = 0; i < n; i++) {
		fds[i] = connect_to(argv[0]);
		if (fds[i] < 0) {
			fprintf(stderr, "control-slow: %s: %s\n", argv[0],
				strerror(errno));
			return 2;
		}
		if (mode == 2) {
			/* A small receive buffer: the reply cannot fit. */
			int one = 1;

			setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &one,
				   sizeof(one));
			if (write(fds[i], req, sizeof(req) - 1) < 0)
				return 2;
		}
	}
	t0 = now_ms();
	while (now_ms() - t0 < secs * 1000LL) {
		for (i = 0; i < n; i++) {
			struct pollfd p = {.fd = fds[i], .events = POLLIN};

			if (closed[i])
				continue;
			if (mode == 1 && sent[i] < sizeof(req) - 1 &&
			    send(fds[i], req + sent[i], 1, MSG_NOSIGNAL) == 1)
				sent[i]++;
			/* unread: only look whether it was closed. */
			if (poll(&p, 1, 0) > 0 &&
			    (mode != 2 || (p.revents & (POLLHUP | POLLERR)))) {
				ssize_t r = mode == 2 ? 0
						      : read(fds[i], buf,
							     sizeof(buf));

				if (r <= 0 || mode == 1)
					closed[i] = now_ms() - t0 + 1;
			}
		}
		usleep(200000);
	}
	for (i = 0; i < n; i++) {
		if (closed[i])
			printf("closed %d %lld\n", i, closed[i] - 1);
		else
			printf("open %d\n", i);
		close(fds[i]);
	}
	return 0;
}

/* A TCP socket whose last close lingers up to secs; -1 on error. */
static int lingering_socket(int secs, int *listener)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct linger lg = {.l_onoff = 1, .l_linger = secs};
	socklen_t len = sizeof(sa);
	static char junk[65536];
	int l, c, small = 4096;

	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0)
		return -1;
	setsockopt(l, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(l, (struct sockaddr *)&sa, &len) || listen(l, 1))
		return -1;
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	fcntl(c, F_SETFL, O_NONBLOCK);
	/* Until neither the peer's buffer nor ours takes any more. */
	while (write(c, junk, sizeof(junk)) > 0)
		;
	if (setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
		return -1;
	*listener = l;
	return c;
}

static int do_control_linger(int argc, char **argv)
{
	static const char req[] = "{\"cmd\":\"status\"}\n";
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = (void *)req,
			    .iov_len = sizeof(req) - 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm;
	int secs, l = -1, c, s;
	char buf[4096];
	ssize_t n;

	if (argc != 2 || (secs = atoi(argv[1])) < 1)
		return usage();
	c = lingering_socket(secs, &l);
	s = connect_to(argv[0]);
	if (c < 0 || s < 0) {
		fprintf(stderr, "control-linger: %s\n", strerror(errno));
		return 2;
	}
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &c, sizeof(int));
	if (sendmsg(s, &mh, MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "control-linger: send: %s\n", strerror(errno));
		return 2;
	}
	/* The agent's copy is the last one now. */
	close(c);
	while ((n = read(s, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	fflush(stdout);
	close(s);
	sleep((unsigned int)secs);
	close(l);
	return 0;
}

const struct tool_cmd tool_control_cmds[] = {
	{"control", do_control},
	{"control-stream", do_control_stream},
	{"control-slow", do_control_slow},
	{"control-linger", do_control_linger},
	{}};
