// SPDX-License-Identifier: GPL-2.0
/*
 * A process's cgroup v2 path and comm from /proc, pinned by a pidfd; the
 * peer of a unix socket.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/peer.h"
#include "common/procfs.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* asm-generic/socket.h, Linux 6.5 */
#endif

#define ID_DIGITS_MAX 10 /* a hierarchy id is an int */

/*
 * One line of a /proc/PID/cgroup file, without its newline:
 * "ID:CONTROLLERS:PATH". Its path in *path (plen bytes) and whether it is
 * the cgroup v2 line ("0::PATH"). 0 or -EBADMSG.
 */
static int parse_line(const char *l, size_t n, int *v2, const char **path,
		      size_t *plen)
{
	const char *end = l + n, *c1 = l, *c2;

	while (c1 < end && *c1 >= '0' && *c1 <= '9')
		c1++;
	if (c1 == l || c1 - l > ID_DIGITS_MAX || c1 == end || *c1 != ':' ||
	    (l[0] == '0' && c1 - l > 1))
		return -EBADMSG;
	c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
	if (!c2 || c2 + 1 == end || c2[1] != '/')
		return -EBADMSG;
	/* Hierarchy 0 is cgroup v2, which has no controller list. */
	if (l[0] == '0' && c2 != c1 + 1)
		return -EBADMSG;
	*v2 = l[0] == '0';
	*path = c2 + 1;
	*plen = (size_t)(end - c2 - 1);
	return 0;
}

int tg_cgroup_file_parse(const char *text, char *out, size_t len, char *why,
			 size_t wlen)
{
	const char *l = text, *nl, *path = NULL, *p;
	size_t plen = 0, pl, line = 0;
	int v2, found = 0;

	while (*l) {
		line++;
		nl = strchr(l, '\n');
		if (!nl) {
			snprintf(why, wlen, "line %zu does not end", line);
			return -EBADMSG;
		}
		if (parse_line(l, (size_t)(nl - l), &v2, &p, &pl)) {
			snprintf(why, wlen,
				 "line %zu is not ID:CONTROLLERS:/PATH", line);
			return -EBADMSG;
		}
		if (v2 && found++) {
			snprintf(why, wlen,
				 "more than one cgroup v2 line (0::)");
			return -EBADMSG;
		}
		if (v2) {
			path = p;
			plen = pl;
		}
		l = nl + 1;
	}
	if (!found) {
		snprintf(why, wlen, "no cgroup v2 line (0::)");
		return -EBADMSG;
	}
	if (plen >= len) {
		snprintf(why, wlen, "cgroup path longer than %zu bytes",
			 len - 1);
		return -ENAMETOOLONG;
	}
	memcpy(out, path, plen);
	out[plen] = '\0';
	return 0;
}

/*
 * All of the file at path into buf (len bytes, NUL-terminated): -EFBIG if
 * it has len - 1 bytes or more, -EBADMSG if it holds a NUL byte.
 */
static int read_whole(const char *path, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (n < len - 1) {
		r = read(fd, buf + n, len - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? -errno : 0;
			break;
		}
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	if (!err && n == len - 1)
		return -EFBIG;
	if (!err && strlen(buf) != n)
		return -EBADMSG;
	return err;
}

int tg_cgroup_file_read(const char *path, char *out, size_t len, char *why,
			size_t wlen)
{
	char text[TG_PROC_CGROUP_MAX];
	int err = read_whole(path, text, sizeof(text));

	if (err == -EFBIG)
		snprintf(why, wlen, "%s: %zu bytes or more", path,
			 sizeof(text) - 1);
	else if (err == -EBADMSG)
		snprintf(why, wlen, "%s: holds a NUL byte", path);
	else if (err)
		snprintf(why, wlen, "%s: %s", path, strerror(-err));
	else
		err = tg_cgroup_file_parse(text, out, len, why, wlen);
	return err;
}

int tg_pidfd_exited(int pidfd)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	return poll(&p, 1, 0) != 0;
}

int tg_proc_cgroup(pid_t pid, int pidfd, char *out, size_t len, char *why,
		   size_t wlen)
{
	char path[64];
	int err;

	if (pid <= 0) {
		snprintf(why, wlen, "no pid");
		return -ESRCH;
	}
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	err = tg_cgroup_file_read(path, out, len, why, wlen);
	if (err == -ENOENT || err == -ESRCH)
		err = -ESRCH;
	else if (!err && pidfd >= 0 && tg_pidfd_exited(pidfd))
		err = -ESRCH;
	if (err == -ESRCH)
		snprintf(why, wlen,
			 "process %d has exited (its pid may be another's now)",
			 (int)pid);
	return err;
}

int tg_peer_creds(int sock, struct tg_peer *p)
{
	struct ucred c;
	socklen_t l = sizeof(c);

	memset(p, 0, sizeof(*p));
	p->err = -ENODATA;
	snprintf(p->why, sizeof(p->why), "its cgroup was not read");
	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &c, &l) < 0)
		return -errno;
	p->pid = c.pid;
	p->uid = c.uid;
	p->gid = c.gid;
	l = sizeof(p->groups);
	if (getsockopt(sock, SOL_SOCKET, SO_PEERGROUPS, p->groups, &l) < 0)
		p->groups_err = -errno;
	else
		p->n_groups = l / sizeof(gid_t);
	return 0;
}

/* The kernel has no SO_PEERPIDFD (before 6.5): probed once. */
static int no_peerpidfd;

int tg_peer_pidfd(int sock, pid_t pid)
{
	socklen_t l = sizeof(int);
	int fd = -1;

	if (!no_peerpidfd) {
		if (getsockopt(sock, SOL_SOCKET, SO_PEERPIDFD, &fd, &l) == 0)
			return fd;
		if (errno != ENOPROTOOPT)
			return -errno;
		no_peerpidfd = 1;
	}
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	return fd < 0 ? -errno : fd;
}

static int peer_fail(struct tg_peer *p, int err, const char *why)
{
	snprintf(p->why, sizeof(p->why), "%s", why);
	p->cgroup[0] = '\0';
	return p->err = err;
}

int tg_peer_cgroup(int sock, struct tg_peer *p)
{
	char why[TG_PEER_WHY_LEN];
	int pidfd;

	p->cgroup[0] = p->comm[0] = p->exe[0] = '\0';
	p->loginuid = -1;
	if (p->pid <= 0)
		return peer_fail(p, -ESRCH,
				 "its pid is unknown (another pid namespace)");
	pidfd = tg_peer_pidfd(sock, p->pid);
	if (pidfd < 0) {
		snprintf(why, sizeof(why), "no pidfd for process %d: %s",
			 (int)p->pid, strerror(-pidfd));
		return peer_fail(p, pidfd, why);
	}
	/* All read while the pidfd pins the process, checked after. */
	tg_proc_comm(p->pid, p->comm, sizeof(p->comm));
	tg_proc_exe(p->pid, p->exe, sizeof(p->exe));
	p->loginuid = tg_proc_loginuid(p->pid);
	p->err = tg_proc_cgroup(p->pid, pidfd, p->cgroup, sizeof(p->cgroup),
				p->why, sizeof(p->why));
	close(pidfd);
	if (p->err)
		p->cgroup[0] = p->exe[0] = '\0';
	return p->err;
}
