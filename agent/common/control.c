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
				close(f);
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

	for (i = 0; i < TG_CONTROL_MAX_FDS; i++)
		if (io->fds[i] >= 0)
			close(io->fds[i]);
	if (io->conn >= 0)
		close(io->conn);
}

int tg_control_serve(int listen_fd, tg_control_handler handle, void *ctx)
{
	char buf[TG_CONTROL_MAX_REQUEST + 1];
	struct tg_control_io io = {.fds = {-1, -1, -1}};
	struct json_object *req = NULL, *reply;
	struct tg_peer peer;
	size_t have = 0;
	unsigned int i;
	ssize_t n;
	int err = 0;

	io.conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (io.conn < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (tg_peer_creds(io.conn, &peer)) {
		reply = tg_control_error(
			"refused: the caller's credentials cannot be read");
		goto out_reply;
	}
	/* Who it is, as the kernel sees it: the handler judges. */
	tg_peer_cgroup(io.conn, &peer);
	while (have < TG_CONTROL_MAX_REQUEST && !memchr(buf, '\n', have)) {
		err = wait_fd(io.conn, POLLIN, 1000);
		if (err)
			break;
		n = tg_recv_fds(io.conn, buf + have,
				TG_CONTROL_MAX_REQUEST - have, io.fds,
				TG_CONTROL_MAX_FDS);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	buf[have] = '\0';
	for (i = 0; i < TG_CONTROL_MAX_FDS && io.fds[i] >= 0; i++)
		io.n_fds++;
	req = json_tokener_parse(buf);
	if (req && !json_object_is_type(req, json_type_object)) {
		json_object_put(req);
		req = NULL;
	}
	reply = handle(ctx, &peer, req, &io);
out_reply:
	/* A handler that took the connection has answered on it. */
	if (io.conn >= 0)
		err = tg_control_reply(io.conn, reply);
	close_io(&io);
	json_object_put(reply);
	json_object_put(req);
	return err;
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
	struct json_tokener *tok = NULL;
	struct json_object *reply = NULL;
	char buf[65536];
	size_t total = 0;
	ssize_t n;
	int fd, err;

	fd = tg_control_send(path, req, &pass_fd, pass_fd >= 0 ? 1 : 0);
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
