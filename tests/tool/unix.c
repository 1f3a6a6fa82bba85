// SPDX-License-Identifier: GPL-2.0
/*
 * tg-try: unix sockets, and sockets used by a tenant other than their
 * creator.
 *
 *   tg-try [--cgroup DIR] sock-listen TYPE ADDR READY_FILE [netns]
 *       bind ADDR (and listen), write the name bound to READY_FILE, then
 *       serve until killed: accepted connections are kept open, datagrams
 *       read. netns: in a new network namespace.
 *   tg-try [--cgroup DIR] [--expect ok|ERRNO] sock TYPE ADDR STEP[,STEP...]
 *       run the steps on one socket; --expect is the outcome of the last
 *       one, every earlier one must succeed.
 *   tg-try [--expect ok|MSG_CTRUNC|ERRNO] sock-pass scm|getfd FROM TO TYPE ADDR
 * [STEPS] a child in cgroup FROM ("-": this one) makes a socket (connected to
 *       ADDR, or a socketpair end for unix-pair-*) and a child in TO takes
 *       it: over SCM_RIGHTS on a socketpair made here (scm), or with
 *       pidfd_getfd (getfd); then runs STEPS on it. --expect is the outcome
 *       of the last step, or of the receipt without steps.
 *
 * TYPE: unix-stream, unix-dgram, unix-seqpacket, tcp, udp (sock-pass also
 * unix-pair-stream, unix-pair-dgram). ADDR: a unix pathname, "@name" for an
 * abstract one (\xHH for any byte), "@" to autobind; IP:PORT for tcp/udp.
 * STEP: socket | connect | connect-opath (through /proc/self/fd/N of an
 * O_PATH fd of ADDR) | send | sendto[=ADDR] | write | sendfile | recv | read
 * | splice-read | mmap | bind (to ADDR) | listen | accept | accept-conn (the
 * steps after work on the connection accepted) | uring-send[=ADDR] |
 * uring-wq-send[=ADDR] (io_uring, inline or from its worker threads) |
 * dstopts (IPv6 destination options on what it sends; needs CAP_NET_RAW) |
 * move=DIR (join cgroup DIR) | netns (unshare the network namespace) |
 * wait=FILE (until FILE exists, at most 60 s) | ready=FILE (create FILE).
 * Reading steps do not wait: EAGAIN is their success without data.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tool.h"

struct target {
	int family;
	int type;
	int pair; /* unix-pair-*: a socketpair */
	struct sockaddr_storage ss;
	socklen_t len;
};

static int parse_type(const char *s, struct target *t)
{
	static const struct {
		const char *name;
		int family, type, pair;
	} types[] = {
		{"unix-stream", AF_UNIX, SOCK_STREAM, 0},
		{"unix-dgram", AF_UNIX, SOCK_DGRAM, 0},
		{"unix-seqpacket", AF_UNIX, SOCK_SEQPACKET, 0},
		{"unix-pair-stream", AF_UNIX, SOCK_STREAM, 1},
		{"unix-pair-dgram", AF_UNIX, SOCK_DGRAM, 1},
		{"tcp", 0, SOCK_STREAM, 0},
		{"udp", 0, SOCK_DGRAM, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(s, types[i].name) == 0) {
			t->family = types[i].family;
			t->type = types[i].type;
			t->pair = types[i].pair;
			return 0;
		}
	return -EINVAL;
}

/* A unix name: pathname, "@abstract" with \xHH escapes, "@" (autobind). */
static int unix_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_un *un = (struct sockaddr_un *)ss;
	size_t n = 0;
	unsigned int b;

	memset(ss, 0, sizeof(*ss));
	un->sun_family = AF_UNIX;
	if (s[0] != '@') {
		if (strlen(s) >= sizeof(un->sun_path))
			return -ENAMETOOLONG;
		strcpy(un->sun_path, s);
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				   strlen(s) + 1);
		return 0;
	}
	if (!s[1]) {
		*len = sizeof(sa_family_t); /* autobind */
		return 0;
	}
	un->sun_path[n++] = '\0';
	for (s++; *s; s++) {
		if (n >= sizeof(un->sun_path))
			return -ENAMETOOLONG;
		if (s[0] == '\\' && s[1] == 'x' &&
		    sscanf(s + 2, "%2x", &b) == 1) {
			un->sun_path[n++] = (char)b;
			s += 3;
		} else {
			un->sun_path[n++] = *s;
		}
	}
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	return 0;
}

/* ADDR for t's family: a unix name, or IP:PORT. */
static int parse_addr(const char *s, const struct target *t,
		      struct sockaddr_storage *ss, socklen_t *len)
{
	char ip[64];
	const char *colon;

	if (t->family == AF_UNIX)
		return unix_addr(s, ss, len);
	colon = strrchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(ip))
		return -EINVAL;
	snprintf(ip, sizeof(ip), "%.*s", (int)(colon - s), s);
	return make_addr(ip, colon + 1, ss, len);
}

static int new_socket(const struct target *t)
{
	int family = t->family ? t->family : t->ss.ss_family;

	return socket(family, t->type | SOCK_CLOEXEC, 0);
}

/* The name sk is bound to, as events show it ("@name" for abstract). */
static void bound_name(int fd, char *out, size_t len)
{
	struct sockaddr_un un;
	socklen_t sl = sizeof(un);
	size_t i, n, o = 0;

	out[0] = '\0';
	if (getsockname(fd, (struct sockaddr *)&un, &sl) < 0 ||
	    un.sun_family != AF_UNIX ||
	    sl <= offsetof(struct sockaddr_un, sun_path))
		return;
	n = sl - offsetof(struct sockaddr_un, sun_path);
	if (un.sun_path[0]) {
		snprintf(out, len, "%.*s", (int)n, un.sun_path);
		return;
	}
	out[o++] = '@';
	for (i = 1; i < n && o + 5 < len; i++) {
		unsigned char c = (unsigned char)un.sun_path[i];

		if (c < 0x20 || c >= 0x7f || c == '\\')
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

/* One io_uring SENDMSG of msg on fd; wq: from io_uring's worker threads. */
static int uring_sendmsg(int fd, struct msghdr *msg, int wq)
{
	struct io_uring_params p;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	size_t sq_len, cq_len;
	void *sq = MAP_FAILED, *sqes = MAP_FAILED;
	__u32 *tail, head;
	int ring, err = 0;

	memset(&p, 0, sizeof(p));
	ring = (int)syscall(__NR_io_uring_setup, 1, &p);
	if (ring < 0)
		return errno;
	if (!(p.features & IORING_FEAT_SINGLE_MMAP)) {
		err = ENOSYS;
		goto out_close;
	}
	sq_len = p.sq_off.array + p.sq_entries * sizeof(__u32);
	cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (cq_len > sq_len)
		sq_len = cq_len;
	sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(*sqe), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
	if (sq == MAP_FAILED || sqes == MAP_FAILED) {
		err = errno;
		goto out_unmap;
	}
	sqe = sqes;
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_SENDMSG;
	sqe->fd = fd;
	sqe->addr = (__u64)(unsigned long)msg;
	sqe->len = 1;
	sqe->flags = wq ? IOSQE_ASYNC : 0;
	((__u32 *)((char *)sq + p.sq_off.array))[0] = 0;
	tail = (__u32 *)((char *)sq + p.sq_off.tail);
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS,
		    NULL, 0) < 0) {
		err = errno;
		goto out_unmap;
	}
	head = __atomic_load_n((__u32 *)((char *)sq + p.cq_off.head),
			       __ATOMIC_ACQUIRE);
	cqe = (struct io_uring_cqe *)((char *)sq + p.cq_off.cqes) +
	      (head & *(__u32 *)((char *)sq + p.cq_off.ring_mask));
	err = cqe->res < 0 ? -cqe->res : 0;
out_unmap:
	if (sqes != MAP_FAILED)
		munmap(sqes, p.sq_entries * sizeof(*sqe));
	if (sq != MAP_FAILED)
		munmap(sq, sq_len);
out_close:
	close(ring);
	return err;
}

/* What a step works on: the socket, and the address its =ADDR names. */
struct step_ctx {
	int fd;
	int newfd; /* >= 0: the steps after go on with this socket */
	const char *arg;	    /* after "=", or NULL */
	struct sockaddr_storage ss; /* ADDR, or the step's =ADDR */
	socklen_t len;
};

static int err_of(long r)
{
	return r < 0 ? errno : 0;
}

static int st_socket(struct step_ctx *c)
{
	return 0;
}

static int st_connect(struct step_ctx *c)
{
	return err_of(connect(c->fd, (struct sockaddr *)&c->ss, c->len));
}

/* connect through /proc/self/fd/N of an O_PATH fd of the unix name. */
static int st_connect_opath(struct step_ctx *c)
{
	char path[64];
	int o, r;

	o = open(((struct sockaddr_un *)&c->ss)->sun_path, O_PATH | O_CLOEXEC);
	if (o < 0)
		return errno;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", o);
	r = unix_addr(path, &c->ss, &c->len);
	r = r ?: st_connect(c);
	close(o);
	return r;
}

static int st_send(struct step_ctx *c)
{
	return err_of(send(c->fd, "x", 1, MSG_NOSIGNAL));
}

static int st_sendto(struct step_ctx *c)
{
	return err_of(sendto(c->fd, "x", 1, MSG_NOSIGNAL,
			     (struct sockaddr *)&c->ss, c->len));
}

static int st_write(struct step_ctx *c)
{
	return err_of(write(c->fd, "x", 1));
}

static int st_sendfile(struct step_ctx *c)
{
	int m = memfd_create("tg-try", MFD_CLOEXEC), r;

	if (m < 0 || write(m, "x", 1) != 1)
		return errno;
	r = err_of(sendfile(c->fd, m, &(off_t){0}, 1));
	close(m);
	return r;
}

static int st_recv(struct step_ctx *c)
{
	char buf[64];

	return err_of(recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT));
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return err_of(fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK));
}

static int st_read(struct step_ctx *c)
{
	char buf[64];

	return set_nonblock(c->fd) ?: err_of(read(c->fd, buf, sizeof(buf)));
}

static int st_splice_read(struct step_ctx *c)
{
	int p[2], r;

	r = set_nonblock(c->fd) ?: err_of(pipe2(p, O_CLOEXEC));
	if (r)
		return r;
	r = err_of(splice(c->fd, NULL, p[1], NULL, 64, SPLICE_F_NONBLOCK));
	close(p[0]);
	close(p[1]);
	return r;
}

static int st_mmap(struct step_ctx *c)
{
	void *m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, c->fd, 0);

	if (m == MAP_FAILED)
		return errno;
	munmap(m, 4096);
	return 0;
}

static int st_listen(struct step_ctx *c)
{
	return err_of(listen(c->fd, 8));
}

static int st_bind(struct step_ctx *c)
{
	int one = 1;

	if (setsockopt(c->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		return errno;
	return err_of(bind(c->fd, (struct sockaddr *)&c->ss, c->len));
}

/* Accept one connection; the steps after work on it (the listener stays). */
static int st_accept_conn(struct step_ctx *c)
{
	int a, r = set_nonblock(c->fd);

	if (r)
		return r;
	a = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (a < 0)
		return errno;
	c->newfd = a;
	return 0;
}

static int st_accept(struct step_ctx *c)
{
	int a, r = set_nonblock(c->fd);

	if (r)
		return r;
	a = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC);
	if (a < 0)
		return errno;
	close(a);
	return 0;
}

static int uring_send(struct step_ctx *c, int wq)
{
	struct iovec iov = {.iov_base = "x", .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	if (c->arg) {
		msg.msg_name = &c->ss;
		msg.msg_namelen = c->len;
	}
	return uring_sendmsg(c->fd, &msg, wq);
}

static int st_uring_send(struct step_ctx *c)
{
	return uring_send(c, 0);
}

static int st_uring_wq_send(struct step_ctx *c)
{
	return uring_send(c, 1);
}

/* An IPv6 destination options header (PadN) on every datagram sent. */
static int st_dstopts(struct step_ctx *c)
{
	unsigned char opt[8] = {0, 0, 1, 4}; /* next, length, PadN of 4 */

	return err_of(setsockopt(c->fd, IPPROTO_IPV6, IPV6_DSTOPTS, opt,
				 sizeof(opt)));
}

/* The steps that work on the socket; "NAME=ADDR" gives them another address. */
static const struct {
	const char *name;
	int (*fn)(struct step_ctx *c);
} steps[] = {
	{"socket", st_socket},
	{"connect", st_connect},
	{"connect-opath", st_connect_opath},
	{"send", st_send},
	{"sendto", st_sendto},
	{"write", st_write},
	{"sendfile", st_sendfile},
	{"recv", st_recv},
	{"read", st_read},
	{"splice-read", st_splice_read},
	{"mmap", st_mmap},
	{"bind", st_bind},
	{"listen", st_listen},
	{"accept", st_accept},
	{"accept-conn", st_accept_conn},
	{"uring-send", st_uring_send},
	{"uring-wq-send", st_uring_wq_send},
	{"dstopts", st_dstopts},
};

/* Wait until path exists, at most 60 s. */
static int wait_file(const char *path)
{
	int n;

	for (n = 0; access(path, F_OK) != 0; n++) {
		if (n > 600)
			return ETIMEDOUT;
		usleep(100 * 1000);
	}
	return 0;
}

/* Create path (empty): tells the test that the steps before are done. */
static int touch_file(const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return errno;
	return fclose(f) ? errno : 0;
}

/* One step s on *fd (the socket is made on first need); 0 or an errno. */
static int step(const char *s, const struct target *t, int *fd)
{
	struct step_ctx c = {.ss = t->ss, .len = t->len, .newfd = -1};
	int err;
	size_t i, n;

	if (strncmp(s, "move=", 5) == 0)
		return -join_cgroup(s + 5);
	if (strncmp(s, "wait=", 5) == 0)
		return wait_file(s + 5);
	if (strncmp(s, "ready=", 6) == 0)
		return touch_file(s + 6);
	if (strcmp(s, "netns") == 0)
		return err_of(unshare(CLONE_NEWNET));
	c.arg = strchr(s, '=');
	n = c.arg ? (size_t)(c.arg - s) : strlen(s);
	if (c.arg && parse_addr(++c.arg, t, &c.ss, &c.len))
		return EINVAL;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (strlen(steps[i].name) != n || strncmp(s, steps[i].name, n))
			continue;
		if (*fd < 0) {
			*fd = new_socket(t);
			if (*fd < 0)
				return errno;
		}
		c.fd = *fd;
		err = steps[i].fn(&c);
		if (c.newfd >= 0)
			*fd = c.newfd;
		return err;
	}
	return EINVAL;
}

/* Run the comma-separated steps on *fd; the last one's outcome is checked. */
static int run_steps(char *steps, const struct target *t, int *fd)
{
	char *save = NULL, *s, *next;
	int err;

	for (s = strtok_r(steps, ",", &save); s; s = next) {
		next = strtok_r(NULL, ",", &save);
		err = step(s, t, fd);
		if (!next)
			return outcome(s, err);
		if (err && err != EAGAIN) {
			printf("FAIL: step %s: %s\n", s,
			       strerrorname_np(err) ?: "?");
			return 1;
		}
		printf("%s: %s\n", s, err ? "EAGAIN" : "ok");
	}
	return 0;
}

static int do_sock(int argc, char **argv)
{
	struct target t;
	int fd = -1, rc;

	if (argc < 3 || parse_type(argv[0], &t) || t.pair ||
	    parse_addr(argv[1], &t, &t.ss, &t.len))
		return usage();
	rc = run_steps(argv[2], &t, &fd);
	if (fd >= 0)
		close(fd);
	return rc;
}

static int do_sock_listen(int argc, char **argv)
{
	char name[512], buf[512];
	struct target t;
	FILE *f;
	int fd, one = 1, c;

	if (argc < 3 || parse_type(argv[0], &t) || t.pair ||
	    parse_addr(argv[1], &t, &t.ss, &t.len))
		return usage();
	if (argc > 3 && strcmp(argv[3], "netns") == 0 &&
	    unshare(CLONE_NEWNET)) {
		perror("tg-try: unshare");
		return 1;
	}
	fd = new_socket(&t);
	if (fd < 0 ||
	    (t.family != AF_UNIX &&
	     setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one))) ||
	    bind(fd, (struct sockaddr *)&t.ss, t.len) ||
	    (t.type != SOCK_DGRAM && listen(fd, 64))) {
		perror("tg-try: sock-listen");
		return 1;
	}
	bound_name(fd, name, sizeof(name));
	f = fopen(argv[2], "we");
	if (!f)
		return 1;
	fprintf(f, "%s\n", name);
	fclose(f);
	for (;;) {
		if (t.type == SOCK_DGRAM) {
			if (recv(fd, buf, sizeof(buf), 0) < 0)
				pause();
			continue;
		}
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC); /* kept open */
		if (c < 0)
			pause();
	}
}

/* The socket the owner hands over: connected to t's address, or a pair end. */
static int owner_socket(const struct target *t, int *keep)
{
	int sv[2], fd;

	if (t->pair) {
		if (socketpair(AF_UNIX, t->type | SOCK_CLOEXEC, 0, sv))
			return -1;
		*keep = sv[1];
		return sv[0];
	}
	fd = new_socket(t);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&t->ss, t->len)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The owner: make the socket, offer it on chan, wait to be killed. */
static void pass_owner(const char *cg, const struct target *t, int scm,
		       int chan)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;
	int fd, keep = -1;

	if (strcmp(cg, "-") != 0 && join_cgroup(cg)) {
		perror("tg-try: owner join");
		_exit(2);
	}
	fd = owner_socket(t, &keep);
	if (fd < 0) {
		perror("tg-try: owner socket");
		_exit(2);
	}
	iov.iov_base = &fd;
	iov.iov_len = sizeof(fd);
	if (scm) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	if (sendmsg(chan, &msg, 0) < 0) {
		perror("tg-try: owner sendmsg");
		_exit(2);
	}
	for (;;)
		pause();
}

/* The taker: receive (scm) or take (getfd) the owner's socket into *fd. */
static const char *pass_take(int scm, pid_t owner, int chan, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = fd, .iov_len = sizeof(*fd)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	int pidfd, ofd;

	if (recvmsg(chan, &msg, MSG_CMSG_CLOEXEC) != sizeof(int))
		return strerrorname_np(errno) ?: "?";
	ofd = *fd;
	*fd = -1;
	if (scm) {
		cm = CMSG_FIRSTHDR(&msg);
		if (cm && cm->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(cm), sizeof(int));
		if (msg.msg_flags & MSG_CTRUNC)
			return "MSG_CTRUNC";
		return *fd >= 0 ? "ok" : "no-fd";
	}
	pidfd = (int)syscall(SYS_pidfd_open, owner, 0);
	if (pidfd < 0)
		return strerrorname_np(errno) ?: "?";
	*fd = (int)syscall(SYS_pidfd_getfd, pidfd, ofd, 0);
	close(pidfd);
	return *fd >= 0 ? "ok" : strerrorname_np(errno) ?: "?";
}

static int do_sock_pass(int argc, char **argv)
{
	struct target t;
	int chan[2], scm, fd = -1, status = 0, rc;
	const char *got;
	pid_t owner, taker;

	if (argc < 5 || parse_type(argv[3], &t) ||
	    (strcmp(argv[0], "scm") && strcmp(argv[0], "getfd")) ||
	    (!t.pair && parse_addr(argv[4], &t, &t.ss, &t.len)))
		return usage();
	scm = strcmp(argv[0], "scm") == 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, chan))
		return 2;
	owner = fork();
	if (owner == 0)
		pass_owner(argv[1], &t, scm, chan[0]);
	taker = fork();
	if (taker == 0) {
		if (strcmp(argv[2], "-") != 0 && join_cgroup(argv[2])) {
			perror("tg-try: join");
			_exit(2);
		}
		got = pass_take(scm, owner, chan[1], &fd);
		if (argc < 6 || strcmp(got, "ok") != 0)
			_exit(outcome_name(scm ? "receive" : "pidfd_getfd",
					   got));
		printf("receive: ok\n");
		_exit(run_steps(argv[5], &t, &fd));
	}
	waitpid(taker, &status, 0);
	kill(owner, SIGKILL);
	waitpid(owner, NULL, 0);
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 2;
	return rc;
}

const struct tool_cmd tool_unix_cmds[] = {{"sock", do_sock},
					  {"sock-listen", do_sock_listen},
					  {"sock-pass", do_sock_pass},
					  {}};
