// SPDX-License-Identifier: GPL-2.0
/*
 * Seccomp user notifications: the profile's "notify" rules park the calling
 * thread until a listener answers. Every answer here is the same, EPERM; the
 * point of the round trip is the event that reports it. A listener that has
 * no more tasks (all exited) reads as hung up and is dropped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/closer.h"
#include "common/procfs.h"
#include "common/peer.h"
#include "seccomp/notify.h"

int tg_notify_is_listener(int fd)
{
	char link[64], target[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	return strcmp(target, "anon_inode:seccomp notify") == 0;
}

int tg_notify_answer(int fd, struct tg_sc_denial *d)
{
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	uint32_t arch;
	char *name;
	int nr, err;

	if (seccomp_notify_alloc(&req, &resp))
		return -ENOMEM;
	err = seccomp_notify_receive(fd, req);
	if (err) {
		err = err == -ECANCELED ? -errno : err;
		goto out;
	}
	memset(d, 0, sizeof(*d));
	d->pid = (pid_t)req->pid;
	arch = req->data.arch;
	nr = req->data.nr;
	d->arch = arch == AUDIT_ARCH_X86_64 && (nr & 0x40000000) ? "x32"
		  : arch == AUDIT_ARCH_X86_64			 ? "x86_64"
		  : arch == AUDIT_ARCH_I386			 ? "x86"
		  : arch == AUDIT_ARCH_AARCH64			 ? "aarch64"
		  : arch == AUDIT_ARCH_ARM			 ? "arm"
								 : "unknown";
	if (strcmp(d->arch, "x32") == 0)
		arch = SCMP_ARCH_X32;
	name = seccomp_syscall_resolve_num_arch(arch, nr);
	if (name)
		snprintf(d->syscall, sizeof(d->syscall), "%s", name);
	else
		snprintf(d->syscall, sizeof(d->syscall), "syscall-%d", nr);
	free(name);
	/* The comm is read while the caller is still parked, then checked. */
	tg_proc_comm(d->pid, d->comm, sizeof(d->comm));
	if (seccomp_notify_id_valid(fd, req->id))
		d->comm[0] = '\0';
	resp->id = req->id;
	resp->val = 0;
	resp->error = -EPERM;
	resp->flags = 0;
	err = seccomp_notify_respond(fd, resp);
	if (err == -ECANCELED)
		err = -errno;
	if (err == -ENOENT) {
		/* Gone before the answer; the call never completed. */
		err = -ENOENT;
	}
out:
	seccomp_notify_free(req, resp);
	return err;
}

struct listener {
	int fd;
	char tenant[64];
	char profile[64];
};

struct tg_notify {
	int epfd;
	struct listener *v[TG_NOTIFY_MAX];
	unsigned int n;
};

struct tg_notify *tg_notify_new(void)
{
	struct tg_notify *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (n->epfd < 0) {
		free(n);
		return NULL;
	}
	return n;
}

static void drop(struct tg_notify *n, unsigned int i)
{
	epoll_ctl(n->epfd, EPOLL_CTL_DEL, n->v[i]->fd, NULL);
	close(n->v[i]->fd);
	free(n->v[i]);
	n->v[i] = n->v[--n->n];
	n->v[n->n] = NULL;
}

void tg_notify_free(struct tg_notify *n)
{
	if (!n)
		return;
	while (n->n)
		drop(n, 0);
	close(n->epfd);
	free(n);
}

int tg_notify_fd(const struct tg_notify *n)
{
	return n->epfd;
}

unsigned int tg_notify_count(const struct tg_notify *n)
{
	return n->n;
}

int tg_notify_add(struct tg_notify *n, int fd, const char *tenant,
		  const char *profile)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct listener *l;
	int err;

	if (!tg_notify_is_listener(fd)) {
		err = -EBADF;
		goto fail;
	}
	if (n->n >= TG_NOTIFY_MAX) {
		err = -ENOSPC;
		goto fail;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		err = -ENOMEM;
		goto fail;
	}
	l->fd = fd;
	snprintf(l->tenant, sizeof(l->tenant), "%s", tenant);
	snprintf(l->profile, sizeof(l->profile), "%s", profile);
	ev.data.ptr = l;
	if (epoll_ctl(n->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		err = -errno;
		free(l);
		goto fail;
	}
	n->v[n->n++] = l;
	return 0;
fail:
	/* Anything a caller passed: its close may block (common/closer.h). */
	tg_close_later(fd);
	return err;
}

void tg_notify_process(struct tg_notify *n, tg_notify_cb cb, void *ctx)
{
	struct epoll_event evs[64];
	struct tg_sc_denial d;
	unsigned int i;
	int k, j;

	k = epoll_wait(n->epfd, evs, 64, 0);
	for (j = 0; j < k; j++) {
		struct listener *l = evs[j].data.ptr;

		if (evs[j].events & EPOLLIN) {
			if (tg_notify_answer(l->fd, &d) == 0)
				cb(ctx, l->tenant, l->profile, &d);
			continue;
		}
		if (evs[j].events & (EPOLLHUP | EPOLLERR)) {
			for (i = 0; i < n->n; i++)
				if (n->v[i] == l) {
					drop(n, i);
					break;
				}
		}
	}
}
