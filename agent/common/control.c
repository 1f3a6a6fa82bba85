// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's control socket: status and reload for the CLI, seccomp
 * listeners handed over by the launcher.
 */
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

#include "common/clock.h"
#include "common/closer.h"
#include "common/control.h"
#include "common/peer.h"

static int make_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

int tg_control_listen(const char *path, gid_t group)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t mask;
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
	/* Made 0600, then given to the group: never open to others. */
	mask = umask(0177);
	err = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(mask);
	if (err < 0 || chmod(path, 0600) < 0 ||
	    (group != (gid_t)-1 &&
	     (chown(path, 0, group) < 0 || chmod(path, 0660) < 0)) ||
	    listen(fd, 8) < 0) {
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
	struct pollfd p = {.fd = fd, .events = events};
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

struct json_object *tg_control_error(const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

ssize_t tg_recv_fds(int sock, void *buf, size_t len, int *fds, unsigned int max)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm;
	unsigned int j;
	ssize_t n;

	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t i, k;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			int f;

			memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof(f));
			for (j = 0; j < max && fds[j] >= 0; j++)
				;
			if (j < max)
				fds[j] = f;
			else
				tg_close_later_reset(f);
		}
	}
	/* More than the buffer held: the kernel closed them; say so. */
	if (mh.msg_flags & MSG_CTRUNC)
		return -EMSGSIZE;
	return n;
}

ssize_t tg_recv_fd(int sock, void *buf, size_t len, int *fd)
{
	return tg_recv_fds(sock, buf, len, fd, 1);
}

ssize_t tg_send_fds(int sock, const void *buf, size_t len, const int *fds,
		    unsigned int n)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * TG_CONTROL_MAX_FDS)];
		struct cmsghdr align;
	} u = {};
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;
	ssize_t w;

	if (n > TG_CONTROL_MAX_FDS)
		return -EINVAL;
	if (n) {
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
	}
	w = sendmsg(sock, &mh, MSG_NOSIGNAL);
	return w < 0 ? -errno : w;
}

ssize_t tg_send_fd(int sock, const void *buf, size_t len, int fd)
{
	return tg_send_fds(sock, buf, len, &fd, fd >= 0 ? 1 : 0);
}

int tg_control_reply(int conn, struct json_object *reply)
{
	const char *s =
		json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN);
	int err = send_all(conn, s, strlen(s));

	return err ? err : send_all(conn, "\n", 1);
}

/* The descriptors io still holds closed. */
static void close_io(struct tg_control_io *io)
{
	unsigned int i;

	/* A caller's descriptor may block its last close: not here. */
	for (i = 0; i < TG_CONTROL_MAX_FDS; i++)
		if (io->fds_wanted)
			tg_close_later(io->fds[i]);
		else
			tg_close_later_reset(io->fds[i]);
	if (io->conn >= 0)
		close(io->conn);
}

/* The slot of c free again, what it holds closed and freed. */
static void client_end(struct tg_control_client *c)
{
	close_io(&c->io);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->io.conn = -1;
}

void tg_control_server_init(struct tg_control_server *s, int listen_fd,
			    tg_control_handler handle, void *ctx)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	s->listen_fd = listen_fd;
	s->handle = handle;
	s->ctx = ctx;
	for (i = 0; i < TG_CONTROL_CLIENTS; i++)
		s->c[i].io.conn = -1;
}

void tg_control_server_close(struct tg_control_server *s)
{
	unsigned int i;

	for (i = 0; i < TG_CONTROL_CLIENTS; i++)
		if (s->c[i].io.conn >= 0)
			client_end(&s->c[i]);
}

/* How many slots clients of uid hold. */
static unsigned int slots_of(const struct tg_control_server *s, uid_t uid)
{
	unsigned int i, k = 0;

	for (i = 0; i < TG_CONTROL_CLIENTS; i++)
		k += s->c[i].io.conn >= 0 && s->c[i].peer.uid == uid;
	return k;
}

/*
 * A slot for a new client: a free one, else one of the uid that holds the
 * most, the one whose time ends first, cut off: a caller that connects
 * again and again pushes out its own clients, not the others'.
 */
static struct tg_control_client *client_slot(struct tg_control_server *s)
{
	struct tg_control_client *old = NULL;
	unsigned int i, most = 0, k;

	for (i = 0; i < TG_CONTROL_CLIENTS; i++) {
		if (s->c[i].io.conn < 0)
			return &s->c[i];
		k = slots_of(s, s->c[i].peer.uid);
		if (!old || k > most ||
		    (k == most && s->c[i].deadline_ms < old->deadline_ms)) {
			old = &s->c[i];
			most = k;
		}
	}
	s->cut++;
	client_end(old);
	return old;
}

static void client_accept(struct tg_control_server *s, int fd, __s64 now_ms)
{
	struct tg_control_client *c = client_slot(s);
	unsigned int i;

	c->io.conn = fd;
	c->io.fds_wanted = 0;
	for (i = 0; i < TG_CONTROL_MAX_FDS; i++)
		c->io.fds[i] = -1;
	c->deadline_ms = now_ms + TG_CONTROL_DEADLINE_MS;
	/* Who it is, as the kernel sees it, now: the handler judges. */
	c->creds_err = tg_peer_creds(fd, &c->peer);
	if (c->creds_err)
		c->peer.uid = (uid_t)-1; /* unknown: one uid of its own */
	if (!c->creds_err)
		tg_peer_cgroup(fd, &c->peer);
}

/* The reply to c's request (now complete) built, and queued to send. */
static int client_answer(struct tg_control_server *s,
			 struct tg_control_client *c)
{
	struct json_object *req = NULL, *reply;
	unsigned int i;
	const char *t;

	c->in[c->have] = '\0';
	for (i = 0; i < TG_CONTROL_MAX_FDS && c->io.fds[i] >= 0; i++)
		c->io.n_fds++;
	if (c->creds_err) {
		reply = tg_control_error(
			"refused: the caller's credentials cannot be read");
	} else {
		req = json_tokener_parse(c->in);
		if (req && !json_object_is_type(req, json_type_object)) {
			json_object_put(req);
			req = NULL;
		}
		reply = s->handle(s->ctx, &c->peer, req, &c->io);
	}
	json_object_put(req);
	/* A handler that took the connection has answered on it. */
	if (c->io.conn < 0) {
		json_object_put(reply);
		client_end(c);
		return 1;
	}
	t = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN);
	c->out_len = strlen(t) + 1;
	c->out = malloc(c->out_len);
	if (c->out) {
		memcpy(c->out, t, c->out_len - 1);
		c->out[c->out_len - 1] = '\n';
	}
	json_object_put(reply);
	if (!c->out) {
		client_end(c);
		return 1;
	}
	/* The handler's time (a long reload) is not the client's to lose. */
	c->deadline_ms = tg_now_ms() + TG_CONTROL_DEADLINE_MS;
	return 1;
}

/* Read what c sent; its request answered once complete. 1 if answered. */
static int client_read(struct tg_control_server *s, struct tg_control_client *c)
{
	ssize_t n;

	while (c->have < TG_CONTROL_MAX_REQUEST &&
	       !memchr(c->in, '\n', c->have)) {
		n = tg_recv_fds(c->io.conn, c->in + c->have,
				TG_CONTROL_MAX_REQUEST - c->have, c->io.fds,
				TG_CONTROL_MAX_FDS);
		if (n == -EAGAIN || n == -EINTR)
			return 0;
		if (n <= 0)
			break; /* the end: what came is the request */
		c->have += (size_t)n;
	}
	return client_answer(s, c);
}

/* Send what c can take of its reply; the slot freed once all is sent. */
static void client_write(struct tg_control_client *c)
{
	ssize_t w;

	while (c->out_off < c->out_len) {
		w = send(c->io.conn, c->out + c->out_off,
			 c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (w <= 0)
			break;
		c->out_off += (size_t)w;
		/*
		 * A reader that keeps taking keeps its slot (a large status
		 * in a slow guest); one that stops is cut 2 s later.
		 */
		c->deadline_ms = tg_now_ms() + TG_CONTROL_DEADLINE_MS;
	}
	client_end(c);
}

unsigned int tg_control_server_pollfds(const struct tg_control_server *s,
				       struct pollfd *p)
{
	unsigned int i, n = 0;

	for (i = 0; i < TG_CONTROL_CLIENTS; i++) {
		const struct tg_control_client *c = &s->c[i];

		if (c->io.conn < 0)
			continue;
		p[n++] = (struct pollfd){.fd = c->io.conn,
					 .events = c->out ? POLLOUT : POLLIN};
	}
	return n;
}

int tg_control_server_run(struct tg_control_server *s, __s64 now_ms)
{
	struct tg_control_client *c;
	unsigned int i, k;
	int fd, served = 0;

	/* At most a table's worth a turn: the loop has other work too. */
	for (k = 0; k < TG_CONTROL_CLIENTS; k++) {
		fd = accept4(s->listen_fd, NULL, NULL,
			     SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			break;
		client_accept(s, fd, now_ms);
	}
	for (i = 0; i < TG_CONTROL_CLIENTS; i++) {
		c = &s->c[i];
		if (c->io.conn < 0)
			continue;
		if (!c->out)
			served += client_read(s, c);
		if (c->io.conn >= 0 && c->out)
			client_write(c);
		if (c->io.conn >= 0 && now_ms >= c->deadline_ms) {
			s->cut++;
			client_end(c);
		}
	}
	return served;
}

void tg_control_server_flush(struct tg_control_server *s, int ms)
{
	struct pollfd p[TG_CONTROL_CLIENTS];
	unsigned int i;

	for (i = 0; i < TG_CONTROL_CLIENTS; i++)
		if (s->c[i].io.conn >= 0 && s->c[i].out) {
			p[0] = (struct pollfd){.fd = s->c[i].io.conn,
					       .events = POLLOUT};
			while (s->c[i].io.conn >= 0 && poll(p, 1, ms) > 0)
				client_write(&s->c[i]);
		}
}

/* All of s, with fds (SCM_RIGHTS) on its first bytes. */
static int send_with_fds(int sock, const char *s, size_t n, const int *fds,
			 unsigned int nfds)
{
	ssize_t w = tg_send_fds(sock, s, n, fds, nfds);

	if (w < 0)
		return (int)w;
	return send_all(sock, s + w, n - (size_t)w);
}

int tg_control_send(const char *path, struct json_object *req, const int *fds,
		    unsigned int n)
{
	struct sockaddr_un sa;
	const char *s;
	int fd, err;

	err = make_addr(path, &sa);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		goto out_close;
	}
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	err = n ? send_with_fds(fd, s, strlen(s), fds, n)
		: send_all(fd, s, strlen(s));
	if (!err)
		err = send_all(fd, "\n", 1);
	if (!err)
		return fd;
out_close:
	close(fd);
	return err;
}

int tg_control_stream(const char *path, struct json_object *req,
		      struct json_object **reply)
{
	char buf[TG_CONTROL_MAX_HEADER + 1];
	size_t n = 0;
	ssize_t r;
	int fd = tg_control_send(path, req, NULL, 0), err = -EBADMSG;

	*reply = NULL;
	if (fd < 0)
		return fd;
	/* Byte by byte: what follows the line is the stream's. */
	while (n < TG_CONTROL_MAX_HEADER) {
		r = recv(fd, buf + n, 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? -errno : -ECONNRESET;
			break;
		}
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	if (n < TG_CONTROL_MAX_HEADER && (err == -EBADMSG))
		*reply = json_tokener_parse(buf);
	if (*reply && json_object_is_type(*reply, json_type_object))
		return fd;
	json_object_put(*reply);
	*reply = NULL;
	close(fd);
	return err;
}

struct json_object *tg_control_call(const char *path, struct json_object *req)
{
	return tg_control_call_fd(path, req, -1);
}

struct json_object *tg_control_call_fd(const char *path,
				       struct json_object *req, int pass_fd)
{
	return tg_control_call_fds(path, req, &pass_fd, pass_fd >= 0 ? 1 : 0);
}

struct json_object *tg_control_call_fds(const char *path,
					struct json_object *req, const int *fds,
					unsigned int n_fds)
{
	struct json_tokener *tok = NULL;
	struct json_object *reply = NULL;
	char buf[65536];
	size_t total = 0;
	ssize_t n;
	int fd, err;

	fd = tg_control_send(path, req, fds, n_fds);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	tok = json_tokener_new();
	errno = 0;
	while (!reply && (n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		total += (size_t)n;
		if (total > TG_CONTROL_MAX_REPLY) {
			errno = EMSGSIZE;
			break;
		}
		reply = json_tokener_parse_ex(tok, buf, (int)n);
		if (!reply &&
		    json_tokener_get_error(tok) != json_tokener_continue) {
			errno = EBADMSG;
			break;
		}
	}
	if (!reply && !errno)
		errno = ECONNRESET;
	json_tokener_free(tok);
	err = errno;
	close(fd);
	errno = err;
	return reply;
}
