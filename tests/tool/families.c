// SPDX-License-Identifier: GPL-2.0
/*
 * tg-try: sockets of any family, made by each call that makes one, and
 * netlink dumps.
 *
 *   tg-try [--cgroup DIR] [--expect ok|ERRNO] socket-of FAMILY TYPE PROTO
 *          socket(); FAMILY: inet, inet6, unix, netlink, packet, key, alg,
 *          vsock, tipc, rds, xdp or a number; TYPE: stream, dgram, raw,
 *          seqpacket, packet or a number; PROTO: a number (an ethertype in
 *          host byte order for packet, sent in network byte order)
 *   tg-try [--cgroup DIR] [--expect ok|ERRNO] socketpair-of FAMILY TYPE PROTO
 *   tg-try [--cgroup DIR] [--expect ok|ERRNO] uring-socket FAMILY TYPE PROTO
 *          (io_uring's socket request; exit 3 if io_uring is unavailable)
 *   tg-try [--cgroup DIR] [--expect ok|ERRNO] netlink-dump route|sock_diag
 *          a dump (links; TCP sockets over IPv4) read to its end
 */
#define _GNU_SOURCE
#include <errno.h>
#include <liburing.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tool.h"

static const struct {
	const char *name;
	int value;
} families[] = {
	{"unix", AF_UNIX},	 {"inet", AF_INET},	{"inet6", AF_INET6},
	{"netlink", AF_NETLINK}, {"packet", AF_PACKET}, {"key", AF_KEY},
	{"alg", AF_ALG},	 {"vsock", AF_VSOCK},	{"tipc", AF_TIPC},
	{"rds", AF_RDS},	 {"xdp", AF_XDP},
};

static const struct {
	const char *name;
	int value;
} types[] = {
	{"stream", SOCK_STREAM}, {"dgram", SOCK_DGRAM},
	{"raw", SOCK_RAW},	 {"seqpacket", SOCK_SEQPACKET},
	{"packet", SOCK_PACKET}, {"rdm", SOCK_RDM},
};

/* FAMILY TYPE PROTO into *f, *t, *p; -EINVAL if one is not known. */
static int parse_socket(char **argv, int *f, int *t, int *p)
{
	char *end;
	size_t i;

	*f = (int)strtol(argv[0], &end, 10);
	for (i = 0; *end && i < sizeof(families) / sizeof(families[0]); i++)
		if (strcmp(argv[0], families[i].name) == 0) {
			*f = families[i].value;
			end = "";
		}
	if (*end)
		return -EINVAL;
	*t = (int)strtol(argv[1], &end, 10);
	for (i = 0; *end && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(argv[1], types[i].name) == 0) {
			*t = types[i].value;
			end = "";
		}
	if (*end)
		return -EINVAL;
	*p = (int)strtol(argv[2], &end, 10);
	if (*end)
		return -EINVAL;
	if (*f == AF_PACKET || (*f == AF_INET && *t == SOCK_PACKET))
		*p = htons((unsigned short)*p);
	return 0;
}

static int do_socket_of(int argc, char **argv)
{
	char what[256];
	int f, t, p, fd;

	if (argc < 3 || parse_socket(argv, &f, &t, &p))
		return usage();
	snprintf(what, sizeof(what), "socket-of %s %s %s", argv[0], argv[1],
		 argv[2]);
	fd = socket(f, t | SOCK_CLOEXEC, p);
	if (fd < 0)
		return outcome(what, errno);
	close(fd);
	return outcome(what, 0);
}

static int do_socketpair_of(int argc, char **argv)
{
	char what[256];
	int f, t, p, sv[2];

	if (argc < 3 || parse_socket(argv, &f, &t, &p))
		return usage();
	snprintf(what, sizeof(what), "socketpair-of %s %s %s", argv[0], argv[1],
		 argv[2]);
	if (socketpair(f, t | SOCK_CLOEXEC, p, sv) < 0)
		return outcome(what, errno);
	close(sv[0]);
	close(sv[1]);
	return outcome(what, 0);
}

static int do_uring_socket(int argc, char **argv)
{
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	char what[256];
	int f, t, p, err, res;

	if (argc < 3 || parse_socket(argv, &f, &t, &p))
		return usage();
	snprintf(what, sizeof(what), "uring-socket %s %s %s", argv[0], argv[1],
		 argv[2]);
	err = io_uring_queue_init(4, &ring, 0);
	if (err < 0) {
		fprintf(stderr, "tg-try: io_uring: %s\n", strerror(-err));
		return 3; /* io_uring unavailable */
	}
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_socket(sqe, f, t | SOCK_CLOEXEC, p, 0);
	err = io_uring_submit_and_wait(&ring, 1);
	if (err >= 0)
		err = io_uring_wait_cqe(&ring, &cqe);
	if (err < 0) {
		io_uring_queue_exit(&ring);
		return outcome(what, -err);
	}
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	if (res == -EINVAL || res == -EOPNOTSUPP) {
		fprintf(stderr, "tg-try: io_uring has no socket request\n");
		return 3;
	}
	if (res >= 0)
		close(res);
	return outcome(what, res < 0 ? -res : 0);
}

/* Read netlink replies on fd until NLMSG_DONE: 0, or an errno. */
static int read_dump(int fd)
{
	static char buf[32768];
	struct nlmsghdr *h;
	ssize_t n;
	int len;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return errno;
		len = (int)n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR)
				return -((struct nlmsgerr *)NLMSG_DATA(h))
						->error;
		}
	}
}

static int do_netlink_dump(int argc, char **argv)
{
	struct {
		struct nlmsghdr h;
		union {
			struct ifinfomsg link;
			struct inet_diag_req_v2 diag;
		};
	} req;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	int diag, fd, err = 0;
	char what[128];

	if (argc < 1)
		return usage();
	diag = strcmp(argv[0], "sock_diag") == 0;
	if (!diag && strcmp(argv[0], "route") != 0)
		return usage();
	snprintf(what, sizeof(what), "netlink-dump %s", argv[0]);
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	if (diag) {
		req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.diag));
		req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
		req.diag.sdiag_family = AF_INET;
		req.diag.sdiag_protocol = IPPROTO_TCP;
		req.diag.idiag_states = ~0u;
	} else {
		req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.link));
		req.h.nlmsg_type = RTM_GETLINK;
		req.link.ifi_family = AF_UNSPEC;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
		    diag ? NETLINK_SOCK_DIAG : NETLINK_ROUTE);
	if (fd < 0)
		return outcome(what, errno);
	if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		err = errno;
	else
		err = read_dump(fd);
	close(fd);
	return outcome(what, err);
}

const struct tool_cmd tool_families_cmds[] = {
	{"socket-of", do_socket_of},
	{"socketpair-of", do_socketpair_of},
	{"uring-socket", do_uring_socket},
	{"netlink-dump", do_netlink_dump},
	{}};
