// SPDX-License-Identifier: GPL-2.0
/* Self-protection: filling the guard object's maps (see guard.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "agentd/guard.h"
#include "common/peer.h"
#include "common/procfs.h"
#include "tenantguard/guard_abi.h"

const char *tg_guard_check_name(unsigned int check)
{
	static const char *const names[TG_GUARD_CHECKS] = {
		[TG_GUARD_SIGNAL] = "signal",
		[TG_GUARD_PTRACE] = "ptrace",
		[TG_GUARD_BPF] = "bpf",
		[TG_GUARD_CAP] = "capability",
		[TG_GUARD_PATH] = "path",
		[TG_GUARD_MOUNT] = "mount",
		[TG_GUARD_CGROUP] = "cgroup",
		[TG_GUARD_PERF] = "perf",
		[TG_GUARD_LOGINUID] = "loginuid",
		[TG_GUARD_DELEGATION] = "delegation",
	};

	return check < TG_GUARD_CHECKS ? names[check] : NULL;
}

const char *tg_cap_name(unsigned int cap)
{
	static const char *const names[] = {
		"CAP_CHOWN",
		"CAP_DAC_OVERRIDE",
		"CAP_DAC_READ_SEARCH",
		"CAP_FOWNER",
		"CAP_FSETID",
		"CAP_KILL",
		"CAP_SETGID",
		"CAP_SETUID",
		"CAP_SETPCAP",
		"CAP_LINUX_IMMUTABLE",
		"CAP_NET_BIND_SERVICE",
		"CAP_NET_BROADCAST",
		"CAP_NET_ADMIN",
		"CAP_NET_RAW",
		"CAP_IPC_LOCK",
		"CAP_IPC_OWNER",
		"CAP_SYS_MODULE",
		"CAP_SYS_RAWIO",
		"CAP_SYS_CHROOT",
		"CAP_SYS_PTRACE",
		"CAP_SYS_PACCT",
		"CAP_SYS_ADMIN",
		"CAP_SYS_BOOT",
		"CAP_SYS_NICE",
		"CAP_SYS_RESOURCE",
		"CAP_SYS_TIME",
		"CAP_SYS_TTY_CONFIG",
		"CAP_MKNOD",
		"CAP_LEASE",
		"CAP_AUDIT_WRITE",
		"CAP_AUDIT_CONTROL",
		"CAP_SETFCAP",
		"CAP_MAC_OVERRIDE",
		"CAP_MAC_ADMIN",
		"CAP_SYSLOG",
		"CAP_WAKE_ALARM",
		"CAP_BLOCK_SUSPEND",
		"CAP_AUDIT_READ",
		"CAP_PERFMON",
		"CAP_BPF",
		"CAP_CHECKPOINT_RESTORE",
	};

	return cap < sizeof(names) / sizeof(names[0]) ? names[cap] : NULL;
}

/* A growing list of rows, merged by key before they become a set. */
struct rows {
	struct {
		struct tg_inode_key key;
		struct tg_guard_inode val;
	} * v;
	size_t n, cap;
};

static int rows_add(struct rows *r, const struct stat *st, __u32 flags)
{
	struct tg_inode_key key = tg_inode_key_of(st);
	size_t i;
	void *p;

	if (flags & TG_GUARD_F_DEVICE)
		key.ino = 0;
	for (i = 0; i < r->n; i++)
		if (!memcmp(&r->v[i].key, &key, sizeof(key))) {
			r->v[i].val.flags |= flags;
			return 0;
		}
	if (r->n >= TG_GUARD_MAX_INODES)
		return -E2BIG;
	if (r->n == r->cap) {
		p = reallocarray(r->v, r->cap ? r->cap * 2 : 16,
				 sizeof(r->v[0]));
		if (!p)
			return -ENOMEM;
		r->v = p;
		r->cap = r->cap ? r->cap * 2 : 16;
	}
	memset(&r->v[r->n], 0, sizeof(r->v[0]));
	r->v[r->n].key = key;
	r->v[r->n].val.flags = flags;
	r->n++;
	return 0;
}

const struct tg_guard_path tg_guard_delegation[] = {
	{"/run/systemd/private", TG_GUARD_DELEGATE},
	{"/run/dbus/system_bus_socket", TG_GUARD_DELEGATE},
	{"/run/docker.sock", TG_GUARD_DELEGATE},
	{"/run/containerd/containerd.sock", TG_GUARD_DELEGATE},
	{"/run/crio/crio.sock", TG_GUARD_DELEGATE},
	{"/run/podman/podman.sock", TG_GUARD_DELEGATE},
	{"/var/spool/cron/crontabs", TG_GUARD_DELEGATE},
	{"/var/spool/cron/atjobs", TG_GUARD_DELEGATE},
	{"/etc/cron.d", TG_GUARD_DELEGATE},
	{NULL, TG_GUARD_OBJECT},
};

static int is_delegation(const struct tg_guard_path *p)
{
	return p->what == TG_GUARD_DELEGATE;
}

/*
 * One path: itself, its filesystem, and every directory above it; a
 * delegation path itself only (it protects nothing from tenants).
 */
static int add_path(struct rows *r, const struct tg_guard_path *p,
		    unsigned int *missing)
{
	char real[PATH_MAX], *slash;
	struct stat st;
	__u32 flags = TG_GUARD_F_SELF;
	int err;

	if (!p->path || !p->path[0])
		return 0;
	if (!realpath(p->path, real) || stat(real, &st) < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			return -errno;
		(*missing)++;
		return 0;
	}
	if (p->what == TG_GUARD_DELEGATE)
		return rows_add(r, &st,
				S_ISDIR(st.st_mode)
					? TG_GUARD_F_DELEGATE |
						  TG_GUARD_F_DELEGATE_CHILDREN
					: TG_GUARD_F_DELEGATE);
	if (p->what == TG_GUARD_DIRECTORY && S_ISDIR(st.st_mode))
		flags |= TG_GUARD_F_CHILDREN;
	err = rows_add(r, &st, flags) ?: rows_add(r, &st, TG_GUARD_F_DEVICE);
	while (!err && (slash = strrchr(real, '/'))) {
		if (slash == real) {
			if (!real[1])
				break;
			real[1] = '\0';
		} else {
			*slash = '\0';
		}
		if (stat(real, &st) < 0)
			return -errno;
		err = rows_add(r, &st, TG_GUARD_F_ANCESTOR);
	}
	return err;
}

int tg_guard_rows(const struct tg_guard_path *paths, size_t n,
		  struct tg_kv_set *out, unsigned int *missing)
{
	unsigned int deleg_missing = 0;
	struct rows r = {};
	size_t i;
	int err = 0;

	*missing = 0;
	for (i = 0; i < n && !err; i++)
		err = add_path(&r, &paths[i],
			       is_delegation(&paths[i]) ? &deleg_missing
							: missing);
	for (i = 0; i < r.n && !err; i++)
		err = tg_kv_add(out, &r.v[i].key, &r.v[i].val);
	free(r.v);
	return err ?: tg_kv_finish(out);
}

void tg_guard_init(struct tg_guard_maps *g, int procs_fd, int inodes_fd)
{
	memset(g, 0, sizeof(*g));
	g->procs_fd = procs_fd;
	g->inodes_fd = inodes_fd;
	tg_kv_init(&g->inodes, sizeof(struct tg_inode_key),
		   sizeof(struct tg_guard_inode));
}

void tg_guard_free(struct tg_guard_maps *g)
{
	tg_kv_free(&g->inodes);
}

int tg_guard_process(struct tg_guard_maps *g, pid_t pid, int pidfd)
{
	struct tg_guard_proc v = {};
	unsigned long long ticks;
	__u32 key = (__u32)pid;
	long hz = sysconf(_SC_CLK_TCK);
	int err;

	if (!tg_guard_loaded(g))
		return 0;
	if (hz <= 0 || pid <= 0)
		return -EINVAL;
	err = tg_proc_starttime(pid, &ticks);
	if (err)
		return err;
	/* Read while the pidfd pins the process: the pid was its own. */
	if (pidfd >= 0 && tg_pidfd_exited(pidfd))
		return -ESRCH;
	v.start_ticks = ticks;
	v.tick_ns = 1000000000ULL / (unsigned long long)hz;
	return bpf_map_update_elem(g->procs_fd, &key, &v, BPF_ANY) ? -errno : 0;
}

int tg_guard_peer(struct tg_guard_maps *g, int sock)
{
	struct ucred c;
	socklen_t l = sizeof(c);
	__u32 old = (__u32)g->collector;
	int pidfd, err;

	if (!tg_guard_loaded(g))
		return 0;
	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &c, &l) < 0)
		return -errno;
	if (c.pid == g->collector)
		return 0;
	if (c.pid <= 0)
		return -ESRCH;
	pidfd = tg_peer_pidfd(sock, c.pid);
	if (pidfd < 0)
		return pidfd;
	err = tg_guard_process(g, c.pid, pidfd);
	close(pidfd);
	if (err)
		return err;
	if (old && old != (__u32)getpid())
		bpf_map_delete_elem(g->procs_fd, &old);
	g->collector = c.pid;
	return 0;
}

int tg_guard_protect(struct tg_guard_maps *g, const struct tg_guard_path *paths,
		     size_t n)
{
	struct tg_kv_set target;
	unsigned int missing = 0;
	size_t i;
	long r;
	int err;

	if (!tg_guard_loaded(g))
		return 0;
	tg_kv_init(&target, sizeof(struct tg_inode_key),
		   sizeof(struct tg_guard_inode));
	err = tg_guard_rows(paths, n, &target, &missing);
	if (!err) {
		r = tg_kv_sync(g->inodes_fd, &g->inodes, &target);
		err = r < 0 ? (int)r : 0;
	}
	if (!err) {
		g->missing = missing;
		g->protected_n = g->delegate_n = g->delegate_missing = 0;
		for (i = 0; i < n; i++) {
			if (!paths[i].path || !paths[i].path[0])
				continue;
			if (!is_delegation(&paths[i])) {
				g->protected_n++;
			} else if (access(paths[i].path, F_OK)) {
				g->delegate_missing++;
			} else {
				g->delegate_n++;
			}
		}
		g->protected_n -= missing;
	}
	tg_kv_free(&target);
	return err;
}
