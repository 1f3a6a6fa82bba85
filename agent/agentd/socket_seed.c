// SPDX-License-Identifier: GPL-2.0
/*
 * Seeding at start: what tenants bound before the agent ran. A socket is
 * its creator's tenant's without any help (the kernel keeps the creator's
 * cgroup with it); the socket iterators of net.bpf.c record the ports such
 * sockets listen or receive on in port_bound and tag them in the same
 * step, so that the per-socket tag and the port's holder count agree (the
 * count drops when the socket closes). A socket iterator walks the network
 * namespace of the task that creates it, so the agent enters each
 * namespace in use in turn.
 * sock_diag could list the sockets too, but could not tag them: a port
 * recorded from it would never be released.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentd/bpf_loader.h"
#include "agentd/socket_seed.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

#define TG_SEED_MAX_NETNS 65536 /* namespaces visited at most */

__u64 tg_netns_cookie(void)
{
	socklen_t len = sizeof(__u64);
	__u64 cookie = 0;
	int fd;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) < 0)
		cookie = 0;
	close(fd);
	return cookie;
}

int tg_seed_line(const char *line, struct tg_seed_stats *st)
{
	unsigned int proto, port, tenant, holder;
	char extra;

	if (sscanf(line, "%u %u %u %u %c", &proto, &port, &tenant, &holder,
		   &extra) != 4 ||
	    port > 65535 || !tenant)
		return -EINVAL;
	st->sockets++;
	if (!holder)
		return 0;
	if (holder == tenant) {
		st->ports++;
		return 0;
	}
	if (!st->conflicts++)
		snprintf(st->conflict, sizeof(st->conflict),
			 "%s port %u of tenant id %u is held by tenant id %u",
			 proto == 6 ? "tcp" : "udp", port, tenant, holder);
	return 0;
}

/* Run one iterator in the current namespace and account its lines. */
static int run_iter(struct tg_bpf *b, int udp, struct tg_seed_stats *st)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f;
	int fd, err = 0;

	fd = tg_bpf_seed_iter(b, udp);
	if (fd < 0)
		return fd;
	f = fdopen(fd, "re");
	if (!f) {
		err = -errno;
		close(fd);
		return err;
	}
	errno = 0;
	while (getline(&line, &cap, f) > 0)
		if (tg_seed_line(line, st))
			err = -EINVAL;
	if (!err && ferror(f))
		err = errno ? -errno : -EIO;
	free(line);
	fclose(f);
	return err;
}

struct seen {
	ino_t *v;
	size_t n, cap;
};

/* 1 if ino is new (and now remembered), 0 if seen, -ENOMEM. */
static int remember(struct seen *s, ino_t ino)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] == ino)
			return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		ino_t *v = reallocarray(s->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = ino;
	return 1;
}

/* Seed in the namespace of path if not done yet. */
static int seed_path(struct tg_bpf *b, const char *path, struct seen *s,
		     struct tg_seed_stats *st)
{
	struct stat sb;
	int fd, err;

	if (s->n >= TG_SEED_MAX_NETNS)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* the process is gone */
	if (fstat(fd, &sb) < 0) {
		close(fd);
		return 0;
	}
	err = remember(s, sb.st_ino);
	if (err <= 0) {
		close(fd);
		return err;
	}
	st->netns++;
	if (setns(fd, CLONE_NEWNET) < 0) {
		st->netns_failed++;
		close(fd);
		return 0;
	}
	close(fd);
	err = run_iter(b, 0, st);
	if (!err)
		err = run_iter(b, 1, st);
	return err;
}

static int seed_dir(struct tg_bpf *b, const char *dir, int procfs,
		    struct seen *s, struct tg_seed_stats *st)
{
	char path[512];
	struct dirent *de;
	DIR *d;
	int err = 0;

	d = opendir(dir);
	if (!d)
		return 0;
	while (!err && (de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    (procfs && (de->d_name[0] < '0' || de->d_name[0] > '9')))
			continue;
		snprintf(path, sizeof(path), procfs ? "%s/%s/ns/net" : "%s/%s",
			 dir, de->d_name);
		err = seed_path(b, path, s, st);
	}
	closedir(d);
	return err;
}

int tg_seed_sockets(struct tg_bpf *b, const char *proc, const char *netns_dir,
		    struct tg_seed_stats *st)
{
	struct seen s = {};
	char path[512];
	int self, err;

	memset(st, 0, sizeof(*st));
	snprintf(path, sizeof(path), "%s/self/ns/net", proc);
	self = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	err = seed_path(b, path, &s, st); /* ours first */
	if (!err)
		err = seed_dir(b, proc, 1, &s, st);
	if (!err && netns_dir)
		err = seed_dir(b, netns_dir, 0, &s, st);
	if (setns(self, CLONE_NEWNET) < 0)
		err = -errno;
	close(self);
	free(s.v);
	tg_bpf_seed_done(b);
	return err;
}
