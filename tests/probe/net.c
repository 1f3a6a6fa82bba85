// SPDX-License-Identifier: GPL-2.0
/* tg-probe: sockets. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"

static int do_connect(int argc, char **argv)
{
	struct sockaddr_storage ss;
	char what[256];
	socklen_t len;
	int fd, type, err = 0;

	if (argc < 3 || (type = sock_type(argv[0])) < 0 ||
	    make_addr(argv[1], argv[2], &ss, &len))
		return usage();
	snprintf(what, sizeof(what), "connect %s %s %s", argv[0], argv[1],
		 argv[2]);
	fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return outcome(what, errno);
	if (bind_src) {
		struct sockaddr_storage src;
		socklen_t slen;

		if (make_addr(bind_src, "0", &src, &slen) ||
		    bind(fd, (struct sockaddr *)&src, slen) < 0) {
			perror("tg-probe: bind");
			close(fd);
			return 2;
		}
	}
	if (move_to && join_cgroup(move_to)) {
		perror("tg-probe: move");
		return 2;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		err = errno;
	close(fd);
	return outcome(what, err);
}

/* bind tcp|udp ADDR PORT [reuseport]: bind (and listen for tcp), report. */
static int do_bind(int argc, char **argv)
{
	struct sockaddr_storage ss;
	char what[256];
	socklen_t len;
	int fd, type, one = 1, err = 0;

	if (argc < 3 || (type = sock_type(argv[0])) < 0 ||
	    make_addr(argv[1], argv[2], &ss, &len))
		return usage();
	snprintf(what, sizeof(what), "bind %s %s %s", argv[0], argv[1], argv[2]);
	fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return outcome(what, errno);
	if (argc > 3 && strcmp(argv[3], "reuseport") == 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		err = errno;
	close(fd);
	return outcome(what, err);
}

/* sendto udp ADDR PORT: one datagram without connecting. */
static int do_sendto(int argc, char **argv)
{
	struct sockaddr_storage ss;
	char what[256];
	socklen_t len;
	int fd, err = 0;

	if (argc < 3 || sock_type(argv[0]) != SOCK_DGRAM ||
	    make_addr(argv[1], argv[2], &ss, &len))
		return usage();
	snprintf(what, sizeof(what), "sendto %s %s %s", argv[0], argv[1], argv[2]);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return outcome(what, errno);
	if (move_to && join_cgroup(move_to)) {
		perror("tg-probe: move");
		return 2;
	}
	if (sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len) < 0)
		err = errno;
	close(fd);
	return outcome(what, err);
}

int connect_counted(const struct sockaddr_storage *ss, socklen_t len,
		    int type, struct connect_counts *c)
{
	int fd = socket(ss->ss_family, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	c->attempts++;
	if (connect(fd, (const struct sockaddr *)ss, len) == 0)
		c->ok++;
	else if (errno == EPERM)
		c->eperm++;
	else
		c->other++;
	close(fd);
	return 0;
}

void print_counts(const struct connect_counts *c)
{
	printf("attempts=%lu eperm=%lu ok=%lu other=%lu\n", c->attempts,
	       c->eperm, c->ok, c->other);
}

static int do_connect_loop(int argc, char **argv)
{
	struct connect_counts c = {};
	struct sockaddr_storage ss;
	socklen_t len;
	int type;

	if (argc < 4 || (type = sock_type(argv[0])) < 0 ||
	    make_addr(argv[1], argv[2], &ss, &len))
		return usage();
	while (access(argv[3], F_OK) != 0)
		if (connect_counted(&ss, len, type, &c))
			return 1;
	print_counts(&c);
	return 0;
}

static int do_listen(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, type, one = 1, c;

	if (argc < 3 || (type = sock_type(argv[0])) < 0 ||
	    make_addr(argv[1], argv[2], &ss, &len))
		return usage();
	fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				 sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		perror("tg-probe: listen");
		return 1;
	}
	if (argc > 3) {
		FILE *f = fopen(argv[3], "we");

		if (!f)
			return 1;
		fclose(f);
	}
	for (;;) {
		if (type == SOCK_STREAM) {
			c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0)
				close(c);
		} else {
			char buf[512];

			if (recv(fd, buf, sizeof(buf), 0) < 0)
				pause();
		}
	}
}

const struct probe_cmd probe_net_cmds[] = {
	{ "connect", do_connect },
	{ "connect-loop", do_connect_loop },
	{ "listen", do_listen },
	{ "bind", do_bind },
	{ "sendto", do_sendto },
	{}
};
