// SPDX-License-Identifier: GPL-2.0
/*
 * tg-try: datagrams whose destination the kernel decides, ports the
 * kernel gives and takes back, and sockets made in bulk.
 *
 *   tg-try [--cgroup DIR] [--expect ok|ERRNO] sendmsg-pktinfo udp ADDR PORT
 * SRC one datagram to ADDR:PORT with IP_PKTINFO (ipi_spec_dst) or IPV6_PKTINFO
 * (ipi6_addr) set to SRC. tg-try [--cgroup DIR] [--expect ok|ERRNO] socket
 * 4|6 dgram|stream PROTO socket() alone (PROTO: a protocol number). tg-try
 * [--cgroup DIR] rebind udp|tcp ADDR PEERPORT READY_FILE udp: bind ADDR:0,
 * connect to ADDR:PEERPORT, disconnect (AF_UNSPEC), send to ADDR:PEERPORT; tcp:
 * listen (no bind), disconnect, listen again. The kernel picks a port each
 * time; READY_FILE gets "OLD NEW" (the ports before and after); then the socket
 * is kept until killed. tg-try [--cgroup DIR] bind-many udp|tcp N PORT
 * READY_FILE in a new network namespace, bind up to N sockets to 0.0.0.0:PORT,
 *       PORT+1, ... until one fails; READY_FILE gets "ok=K err=ERRNO" (err=ok
 *       if none failed); the sockets are kept until killed.
 * tg-try [--cgroup DIR] [--expect ok|ERRNO] ping ADDR [reply]   one ICMP
 *       (ICMPv6) echo request to ADDR from a ping socket (needs the caller's
 *       group in net.ipv4.ping_group_range); the send's outcome, or with
 *       "reply" whether a reply came within 2 s (ETIMEDOUT if none: an
 *       ICMPv6 message dropped on its way out is no error of the send).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tool.h"

int write_ready(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -1;
	fputs(text, f);
	if (fclose(f) || rename(tmp, path))
		return -1;
	return 0;
}

static int port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	return ntohs(ss.ss_family == AF_INET
			     ? ((struct sockaddr_in *)&ss)->sin_port
			     : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void hold_forever(void)
{
	for (;;)
		pause();
}

/* One control message at buf; returns the space it takes. */
static size_t put_cmsg(void *buf, int level, int type, const void *data,
		       size_t len)
{
	struct cmsghdr *cm = buf;

	cm->cmsg_level = level;
	cm->cmsg_type = type;
	cm->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(cm), data, len);
	return CMSG_SPACE(len);
}

static int do_sendmsg_pktinfo(int argc, char **argv)
{
	struct sockaddr_storage ss, src;
	struct iovec iov = {.iov_base = "x", .iov_len = 1};
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} c;
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf};
	socklen_t len, slen;
	char what[256];
	int fd, err = 0;

	if (argc < 4 || strcmp(argv[0], "udp") ||
	    make_addr(argv[1], argv[2], &ss, &len) ||
	    make_addr(argv[3], "0", &src, &slen) ||
	    src.ss_family != ss.ss_family)
		return usage();
	memset(&c, 0, sizeof(c));
	mh.msg_name = &ss;
	mh.msg_namelen = len;
	if (ss.ss_family == AF_INET) {
		struct in_pktinfo pi = {
			.ipi_spec_dst = ((struct sockaddr_in *)&src)->sin_addr,
		};

		mh.msg_controllen = put_cmsg(c.buf, IPPROTO_IP, IP_PKTINFO, &pi,
					     sizeof(pi));
	} else {
		struct in6_pktinfo pi = {
			.ipi6_addr = ((struct sockaddr_in6 *)&src)->sin6_addr,
		};

		mh.msg_controllen = put_cmsg(c.buf, IPPROTO_IPV6, IPV6_PKTINFO,
					     &pi, sizeof(pi));
	}
	snprintf(what, sizeof(what), "sendmsg-pktinfo %s %s from %s", argv[1],
		 argv[2], argv[3]);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return outcome(what, errno);
	if (sendmsg(fd, &mh, 0) < 0)
		err = errno;
	close(fd);
	return outcome(what, err);
}

static int do_socket(int argc, char **argv)
{
	int family, type, fd;
	char what[128];

	if (argc < 3)
		return usage();
	family = strcmp(argv[0], "6") == 0 ? AF_INET6 : AF_INET;
	type = strcmp(argv[1], "stream") == 0 ? SOCK_STREAM : SOCK_DGRAM;
	snprintf(what, sizeof(what), "socket %s %s %s", argv[0], argv[1],
		 argv[2]);
	fd = socket(family, type | SOCK_CLOEXEC, atoi(argv[2]));
	if (fd < 0)
		return outcome(what, errno);
	close(fd);
	return outcome(what, 0);
}

/* connect(AF_UNSPEC): the kernel gives back a port it picked. */
static int disconnect(int fd)
{
	struct sockaddr sa = {.sa_family = AF_UNSPEC};

	return connect(fd, &sa, sizeof(sa));
}

static int do_rebind(int argc, char **argv)
{
	struct sockaddr_storage peer, any;
	socklen_t plen, alen;
	int fd, tcp, before, after;
	char text[64];

	if (argc < 4 || make_addr(argv[1], argv[2], &peer, &plen) ||
	    make_addr(argv[1], "0", &any, &alen))
		return usage();
	tcp = strcmp(argv[0], "tcp") == 0;
	fd = socket(peer.ss_family,
		    (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 2;
	if (tcp) {
		if (listen(fd, 8) < 0)
			goto out_fail;
		before = port_of(fd);
		if (disconnect(fd) < 0 || listen(fd, 8) < 0)
			goto out_fail;
	} else {
		if (bind(fd, (struct sockaddr *)&any, alen) < 0 ||
		    connect(fd, (struct sockaddr *)&peer, plen) < 0)
			goto out_fail;
		before = port_of(fd);
		if (disconnect(fd) < 0 ||
		    sendto(fd, "x", 1, 0, (struct sockaddr *)&peer, plen) < 0)
			goto out_fail;
	}
	after = port_of(fd);
	snprintf(text, sizeof(text), "%d %d\n", before, after);
	if (write_ready(argv[3], text))
		return 2;
	hold_forever();
	return 0;
out_fail:
	perror("tg-try: rebind");
	return 1;
}

static int do_bind_many(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct rlimit rl;
	int n, port, i, fd, err = 0, tcp;
	char text[96];

	if (argc < 4 || (n = atoi(argv[1])) <= 0 || n > 60000 ||
	    (port = atoi(argv[2])) <= 0 || port + n > 65536)
		return usage();
	tcp = strcmp(argv[0], "tcp") == 0;
	rl.rlim_cur = rl.rlim_max = (rlim_t)n + 64;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || unshare(CLONE_NEWNET) < 0) {
		perror("tg-try: bind-many");
		return 2;
	}
	for (i = 0; i < n; i++) {
		fd = socket(AF_INET,
			    (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			err = errno;
			break;
		}
		sa.sin_port = htons((unsigned short)(port + i));
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			err = errno;
			close(fd);
			break;
		}
	}
	snprintf(text, sizeof(text), "ok=%d err=%s\n", i,
		 err ? strerrorname_np(err) ?: "?" : "ok");
	if (write_ready(argv[3], text))
		return 2;
	hold_forever();
	return 0;
}

/* ping ADDR */
static int do_ping(int argc, char **argv)
{
	/* Echo request: type 8 (ICMP) or 128 (ICMPv6), the rest filled in. */
	unsigned char msg[16] = {8};
	struct pollfd pfd = {.events = POLLIN};
	struct sockaddr_storage ss;
	char what[128];
	socklen_t len;
	int fd, err = 0;

	if (argc < 1 || argc > 2 || make_addr(argv[0], "0", &ss, &len) ||
	    (argc == 2 && strcmp(argv[1], "reply")))
		return usage();
	snprintf(what, sizeof(what), "ping %s", argv[0]);
	if (ss.ss_family == AF_INET6)
		msg[0] = 128;
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC,
		    ss.ss_family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	if (fd < 0)
		return outcome(what, errno);
	pfd.fd = fd;
	if (sendto(fd, msg, sizeof(msg), 0, (struct sockaddr *)&ss, len) < 0)
		err = errno;
	else if (argc == 2 && poll(&pfd, 1, 2000) <= 0)
		err = ETIMEDOUT;
	close(fd);
	return outcome(what, err);
}

const struct tool_cmd tool_netsend_cmds[] = {
	{"sendmsg-pktinfo", do_sendmsg_pktinfo},
	{"socket", do_socket},
	{"rebind", do_rebind},
	{"bind-many", do_bind_many},
	{"ping", do_ping},
	{}};
