// SPDX-License-Identifier: GPL-2.0
/*
 * tg-try: sockets. PROTO is tcp, udp, udplite or mptcp (a TCP-like
 * stream over IPPROTO_MPTCP). Options after the port of bind, connect and
 * listen: reuseaddr, reuseport, freebind, transparent, broadcast, dual
 * (clear IPV6_V6ONLY), dev=IFNAME (SO_BINDTODEVICE).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tool.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

/* Socket type and protocol of a PROTO word; -1 if unknown. */
static int proto_of(const char *w, int *type, int *proto)
{
	*proto = 0;
	if (strcmp(w, "udplite") == 0) {
		*type = SOCK_DGRAM;
		*proto = IPPROTO_UDPLITE;
		return 0;
	}
	if (strcmp(w, "mptcp") == 0) {
		*type = SOCK_STREAM;
		*proto = IPPROTO_MPTCP;
		return 0;
	}
	*type = sock_type(w);
	return *type < 0 ? -1 : 0;
}

/*
 * Apply the option words opts[0..n) to fd (IPv6 sockets first get
 * IPV6_V6ONLY if v6only); -errno on failure.
 */
static int apply_opts(int fd, int family, char **opts, int n, int v6only)
{
	int one = 1, zero = 0, i, r = 0;

	if (family == AF_INET6 && v6only)
		r = setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			       sizeof(one));
	for (i = 0; i < n && r == 0; i++) {
		const char *o = opts[i];

		if (strcmp(o, "reuseaddr") == 0)
			r = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				       sizeof(one));
		else if (strcmp(o, "reuseport") == 0)
			r = setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
				       sizeof(one));
		else if (strcmp(o, "freebind") == 0)
			r = setsockopt(fd,
				       family == AF_INET6 ? IPPROTO_IPV6
							  : IPPROTO_IP,
				       family == AF_INET6 ? IPV6_FREEBIND
							  : IP_FREEBIND,
				       &one, sizeof(one));
		else if (strcmp(o, "transparent") == 0)
			r = setsockopt(fd,
				       family == AF_INET6 ? IPPROTO_IPV6
							  : IPPROTO_IP,
				       family == AF_INET6 ? IPV6_TRANSPARENT
							  : IP_TRANSPARENT,
				       &one, sizeof(one));
		else if (strcmp(o, "broadcast") == 0)
			r = setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one,
				       sizeof(one));
		else if (strcmp(o, "dual") == 0)
			r = setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
				       sizeof(zero));
		else if (strncmp(o, "dev=", 4) == 0)
			r = setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o + 4,
				       (socklen_t)strlen(o + 4));
		else
			return -EINVAL;
	}
	return r ? -errno : 0;
}

/*
 * A socket for PROTO ADDR PORT [OPTS...] (argv[0..2], options after):
 * fills ss/len; -1 (after printing why) on failure, -2 on bad usage, -3
 * if socket() failed (errno set).
 */
static int make_sock(int argc, char **argv, int v6only,
		     struct sockaddr_storage *ss, socklen_t *len)
{
	int type, proto, fd, err;

	if (argc < 3 || proto_of(argv[0], &type, &proto) ||
	    make_addr(argv[1], argv[2], ss, len))
		return -2;
	fd = socket(ss->ss_family, type | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return -3; /* errno says why */
	err = apply_opts(fd, ss->ss_family, argv + 3, argc - 3, v6only);
	if (err) {
		fprintf(stderr, "tg-try: socket option: %s\n", strerror(-err));
		close(fd);
		return err == -EINVAL ? -2 : -1;
	}
	return fd;
}

/* Bind fd to bind_src (port 0) if --bind was given. */
static int bind_source(int fd)
{
	struct sockaddr_storage src;
	socklen_t slen;

	if (!bind_src)
		return 0;
	if (make_addr(bind_src, "0", &src, &slen) ||
	    bind(fd, (struct sockaddr *)&src, slen) < 0) {
		perror("tg-try: bind");
		return -1;
	}
	return 0;
}

/* --move-to: join that cgroup after creating the socket, before using it. */
static int move_now(void)
{
	if (move_to && join_cgroup(move_to)) {
		perror("tg-try: move");
		return -1;
	}
	return 0;
}

static int op_bind(int fd, struct sockaddr *sa, socklen_t len);
static int ready(const char *path, int port);

/* Run op on a fresh socket from argv; report its outcome. */
static int sock_op(int argc, char **argv, const char *name,
		   int (*op)(int fd, struct sockaddr *sa, socklen_t len))
{
	struct sockaddr_storage ss;
	char what[256];
	socklen_t len;
	int fd, err;

	fd = make_sock(argc, argv, op == op_bind, &ss, &len);
	if (fd == -2)
		return usage();
	snprintf(what, sizeof(what), "%s %s %s %s", name, argv[0], argv[1],
		 argv[2]);
	if (fd == -3)
		return outcome(what, errno);
	if (fd < 0)
		return 2;
	if (bind_source(fd) || move_now()) {
		close(fd);
		return 2;
	}
	err = op(fd, (struct sockaddr *)&ss, len);
	close(fd);
	return outcome(what, err);
}

int connect_counted(const struct sockaddr_storage *ss, socklen_t len, int type,
		    struct connect_counts *c)
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

void print_connect_counts(const struct connect_counts *c)
{
	printf("attempts=%lu eperm=%lu ok=%lu other=%lu\n", c->attempts,
	       c->eperm, c->ok, c->other);
}

static int op_connect(int fd, struct sockaddr *sa, socklen_t len)
{
	return connect(fd, sa, len) < 0 ? errno : 0;
}

static int op_bind(int fd, struct sockaddr *sa, socklen_t len)
{
	return bind(fd, sa, len) < 0 ? errno : 0;
}

static int op_sendto(int fd, struct sockaddr *sa, socklen_t len)
{
	return sendto(fd, "x", 1, 0, sa, len) < 0 ? errno : 0;
}

static int op_sendmsg(int fd, struct sockaddr *sa, socklen_t len)
{
	struct iovec iov = {.iov_base = "x", .iov_len = 1};
	struct msghdr mh = {.msg_name = sa,
			    .msg_namelen = len,
			    .msg_iov = &iov,
			    .msg_iovlen = 1};

	return sendmsg(fd, &mh, 0) < 0 ? errno : 0;
}

static int op_sendmmsg(int fd, struct sockaddr *sa, socklen_t len)
{
	struct iovec iov = {.iov_base = "x", .iov_len = 1};
	struct mmsghdr mm[2];
	int i;

	memset(mm, 0, sizeof(mm));
	for (i = 0; i < 2; i++) {
		mm[i].msg_hdr.msg_name = sa;
		mm[i].msg_hdr.msg_namelen = len;
		mm[i].msg_hdr.msg_iov = &iov;
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	return sendmmsg(fd, mm, 2, 0) < 0 ? errno : 0;
}

/* TCP fast open: the SYN carries data; sendto() connects. */
static int op_fastopen(int fd, struct sockaddr *sa, socklen_t len)
{
	return sendto(fd, "x", 1, MSG_FASTOPEN, sa, len) < 0 ? errno : 0;
}

/* TCP_FASTOPEN_CONNECT, then connect() and a write. */
static int op_fastopen_connect(int fd, struct sockaddr *sa, socklen_t len)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one,
		       sizeof(one)) < 0)
		return errno;
	if (connect(fd, sa, len) < 0)
		return errno;
	return write(fd, "x", 1) < 0 ? errno : 0;
}

/* UDP connect, then send() without an address. */
static int op_connect_send(int fd, struct sockaddr *sa, socklen_t len)
{
	if (connect(fd, sa, len) < 0)
		return errno;
	return send(fd, "x", 1, 0) < 0 ? errno : 0;
}

#define SOCK_CMD(name, op)                                                     \
	static int do_##op(int argc, char **argv)                              \
	{                                                                      \
		return sock_op(argc, argv, name, op_##op);                     \
	}
SOCK_CMD("connect", connect)
SOCK_CMD("bind", bind)
SOCK_CMD("sendto", sendto)
SOCK_CMD("sendmsg", sendmsg)
SOCK_CMD("sendmmsg", sendmmsg)
SOCK_CMD("fastopen", fastopen)
SOCK_CMD("fastopen-connect", fastopen_connect)
SOCK_CMD("connect-send", connect_send)

static int do_connect_loop(int argc, char **argv)
{
	struct connect_counts c = {};
	struct sockaddr_storage ss;
	socklen_t len;
	int type;

	if (argc < 4 || (type = sock_type(argv[0])) < 0 ||
	    make_addr(argv[1], argv[2], &ss, &len))
		return usage();
	while (access(argv[3], F_OK) != 0) {
		if (connect_counted(&ss, len, type, &c))
			return 1;
		if (argc > 4) /* PAUSE_US: a gentler loop on a slow machine */
			usleep((useconds_t)strtoul(argv[4], NULL, 10));
	}
	print_connect_counts(&c);
	return 0;
}

/* Write the socket's local port to path (or just create it: port < 0). */
static int ready(const char *path, int port)
{
	char text[16] = "";

	if (port >= 0)
		snprintf(text, sizeof(text), "%d\n", port);
	return write_ready(path, text);
}

static int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	return ntohs(ss.ss_family == AF_INET
			     ? ((struct sockaddr_in *)&ss)->sin_port
			     : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* listen-hold: accepted connections kept open, at most this many. */
#define HOLD_MAX 64

/*
 * Accept (tcp) or receive (udp) until killed; with hold, the connections
 * accepted stay open (the oldest is closed to make room).
 */
static int serve(int fd, int type, int hold)
{
	int c, held[HOLD_MAX];
	unsigned int n = 0;
	char buf[512];

	for (;;) {
		if (type == SOCK_STREAM) {
			c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0 && hold) {
				if (n >= HOLD_MAX)
					close(held[n % HOLD_MAX]);
				held[n++ % HOLD_MAX] = c;
			} else if (c >= 0) {
				close(c);
			}
		} else if (recv(fd, buf, sizeof(buf), 0) < 0) {
			pause();
		}
	}
	return 0;
}

/*
 * listen PROTO ADDR PORT [READY_FILE [OPTS...]]: bind (PORT 0: the kernel
 * picks), listen for stream sockets, write the port to READY_FILE, serve.
 * PORT "-" does not bind: listen() (stream) or one sendto() to ADDR:9
 * (datagram) makes the kernel choose the port.
 */
static int listen_serve(int argc, char **argv, int hold)
{
	struct sockaddr_storage ss;
	int fd, type, proto, nobind, one = 1;
	socklen_t len;

	if (argc < 3 || proto_of(argv[0], &type, &proto))
		return usage();
	nobind = strcmp(argv[2], "-") == 0;
	if (make_addr(argv[1], nobind ? "9" : argv[2], &ss, &len))
		return usage();
	fd = socket(ss.ss_family, type | SOCK_CLOEXEC, proto);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (argc > 4 && apply_opts(fd, ss.ss_family, argv + 4, argc - 4, 0)) ||
	    (!nobind && bind(fd, (struct sockaddr *)&ss, len) < 0) ||
	    (nobind && type == SOCK_DGRAM &&
	     sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len) < 0) ||
	    (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		perror("tg-try: listen");
		return 1;
	}
	if (argc > 3 && strcmp(argv[3], "-") && ready(argv[3], local_port(fd)))
		return 1;
	return serve(fd, type, hold);
}

static int do_listen(int argc, char **argv)
{
	return listen_serve(argc, argv, 0);
}

/* listen-hold: as listen, the connections accepted kept open. */
static int do_listen_hold(int argc, char **argv)
{
	return listen_serve(argc, argv, 1);
}

/*
 * FILE.SUFFIX made, then wait until FILE exists (30 s at most): 0, or -1
 * if it could not be made or FILE did not come.
 */
static int signal_wait(const char *file, const char *suffix)
{
	char path[4096];
	int i;

	snprintf(path, sizeof(path), "%s.%s", file, suffix);
	if (ready(path, -1))
		return -1;
	for (i = 0; access(file, F_OK) != 0; i++) {
		if (i > 3000)
			return -1;
		usleep(10000);
	}
	return 0;
}

/*
 * connect-hold PROTO ADDR PORT FILE: connect and write one byte; then
 * FILE.up is made and the connection stays open until FILE exists (see
 * signal_wait). Reports the connect's outcome.
 */
static int do_connect_hold(int argc, char **argv)
{
	int fd = -2, err = 0;
	struct sockaddr_storage ss;
	char what[256];
	socklen_t len;

	if (argc >= 4)
		fd = make_sock(3, argv, 0, &ss, &len);
	if (fd < 0)
		return fd == -2 ? usage() : 2;
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 ||
	    write(fd, "x", 1) < 0)
		err = errno;
	signal_wait(argv[3], "up");
	close(fd);
	snprintf(what, sizeof(what), "connect-hold %s %s %s", argv[0], argv[1],
		 argv[2]);
	return outcome(what, err);
}

/*
 * bind-race CG1 CG2 PORT ROUNDS: each round, a process in CG1 binds
 * 127.0.0.1:P and one in CG2 binds 127.0.0.2:P (P = PORT + round % 64) at
 * the same instant. Prints how many rounds both binds succeeded.
 */
static int do_bind_race(int argc, char **argv)
{
	volatile int *go;
	int rounds, round, both = 0, one = 0, none = 0, i;
	int base;

	if (argc < 4 || (base = atoi(argv[2])) <= 0 ||
	    (rounds = atoi(argv[3])) <= 0)
		return usage();
	go = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (go == MAP_FAILED)
		return 2;
	for (round = 0; round < rounds; round++) {
		int port = base + round % 64, ok = 0, st;
		pid_t pid[2];

		go[0] = 0;
		go[1] = 0;
		for (i = 0; i < 2; i++) {
			pid[i] = fork();
			if (pid[i] < 0)
				return 2;
			if (pid[i] == 0) {
				struct sockaddr_in sa = {
					.sin_family = AF_INET,
					.sin_port =
						htons((unsigned short)port)};
				int fd, r;

				if (join_cgroup(argv[i]))
					_exit(3);
				sa.sin_addr.s_addr =
					htonl(0x7f000001 + (unsigned int)i);
				fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC,
					    0);
				while (!go[0])
					;
				r = bind(fd, (struct sockaddr *)&sa,
					 sizeof(sa));
				/* Hold the port until both have tried. */
				__sync_fetch_and_add(&go[1], 1);
				while (go[1] < 2)
					usleep(100);
				_exit(r == 0 ? 0 : 1);
			}
		}
		usleep(2000);
		go[0] = 1;
		for (i = 0; i < 2; i++) {
			if (waitpid(pid[i], &st, 0) < 0 || !WIFEXITED(st) ||
			    WEXITSTATUS(st) > 1)
				return 2;
			ok += WEXITSTATUS(st) == 0;
		}
		both += ok == 2;
		one += ok == 1;
		none += ok == 0;
	}
	printf("rounds=%d both=%d one=%d none=%d\n", rounds, both, one, none);
	return 0;
}

/*
 * autobind PROTO N bind|connect|listen|send ADDR PORT: N sockets at once,
 * each given a port by the kernel (bind to ADDR:0; connect or send to
 * ADDR:PORT; listen without bind); prints each port, or the errno name of
 * a failure, one per line.
 */
static int do_autobind(int argc, char **argv)
{
	struct sockaddr_storage ss, any;
	int type, proto, n, i, *fds, r;
	socklen_t len, alen;
	const char *how;

	if (argc < 5 || proto_of(argv[0], &type, &proto) ||
	    (n = atoi(argv[1])) <= 0 || n > 4096 ||
	    make_addr(argv[3], argc > 4 ? argv[4] : "0", &ss, &len) ||
	    make_addr(argv[3], "0", &any, &alen))
		return usage();
	how = argv[2];
	fds = calloc((size_t)n, sizeof(*fds));
	if (!fds)
		return 2;
	for (i = 0; i < n; i++) {
		fds[i] = socket(ss.ss_family, type | SOCK_CLOEXEC, proto);
		if (fds[i] < 0)
			return 2;
		if (strcmp(how, "bind") == 0)
			r = bind(fds[i], (struct sockaddr *)&any, alen);
		else if (strcmp(how, "connect") == 0)
			r = connect(fds[i], (struct sockaddr *)&ss, len);
		else if (strcmp(how, "listen") == 0)
			r = listen(fds[i], 1);
		else if (strcmp(how, "send") == 0)
			r = (int)sendto(fds[i], "x", 1, 0,
					(struct sockaddr *)&ss, len);
		else
			return usage();
		if (r < 0)
			printf("%s\n", strerrorname_np(errno));
		else
			printf("%d\n", local_port(fds[i]));
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	return 0;
}

/*
 * sendto-again PROTO ADDR PORT FILE: one datagram (must pass), then
 * FILE.sent is created; once FILE exists, a second one from the same
 * socket, whose outcome is reported. With --bind, the socket is bound
 * first (its port claimed before the first send).
 */
static int do_sendto_again(int argc, char **argv)
{
	struct sockaddr_storage ss;
	char what[256];
	socklen_t len;
	int fd, err = 0;

	if (argc < 4)
		return usage();
	fd = make_sock(3, argv, 0, &ss, &len);
	if (fd < 0)
		return fd == -2 ? usage() : 2;
	if (bind_source(fd)) {
		close(fd);
		return 2;
	}
	if (sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len) < 0) {
		perror("tg-try: first sendto");
		return 2;
	}
	if (signal_wait(argv[3], "sent"))
		return 2;
	snprintf(what, sizeof(what), "sendto-again %s %s %s", argv[0], argv[1],
		 argv[2]);
	if (sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len) < 0)
		err = errno;
	close(fd);
	return outcome(what, err);
}

const struct tool_cmd tool_net_cmds[] = {
	{"connect", do_connect},
	{"connect-loop", do_connect_loop},
	{"connect-send", do_connect_send},
	{"listen", do_listen},
	{"listen-hold", do_listen_hold},
	{"connect-hold", do_connect_hold},
	{"bind", do_bind},
	{"bind-race", do_bind_race},
	{"autobind", do_autobind},
	{"sendto", do_sendto},
	{"sendto-again", do_sendto_again},
	{"sendmsg", do_sendmsg},
	{"sendmmsg", do_sendmmsg},
	{"fastopen", do_fastopen},
	{"fastopen-connect", do_fastopen_connect},
	{}};
