// SPDX-License-Identifier: GPL-2.0
/*
 * Names of an event's actor (actor_names.h). Cgroups are found by id
 * through a kernfs file handle (the id is the handle, open_by_handle_at on
 * the cgroup v2 mount, then the descriptor's path), as cgroup ids are
 * what the kernel exports; executables through /proc/PID/exe, checked
 * against the inode the kernel recorded so that a pid reused or a new
 * image is never named for the one that acted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "agentd/actor_names.h"

#define TG_NAMES_CACHE	 32 /* entries of each cache */
#define TG_FILEID_KERNFS 0xfe

/* The kernel's encoding of a dev_t (MAJOR << 20 | MINOR). */
static __u32 kdev(dev_t d)
{
	return (__u32)(major(d) << 20 | (minor(d) & 0xfffff));
}

struct exe_entry {
	__u32 pid, dev;
	__u64 ino;
	char path[256];
};

/*
 * Remembered by pid and the file the kernel recorded: a flood of events
 * from one process costs its two system calls once. A reused pid running
 * another file is another key; running the same file, the same answer.
 */
void tg_actor_exe(__u32 pid, __u32 dev, __u64 ino, char *out, size_t len)
{
	static struct exe_entry cache[TG_NAMES_CACHE];
	static unsigned int next;
	struct exe_entry *e;
	char link[64];
	struct stat st;
	unsigned int i;
	ssize_t n;

	snprintf(out, len, "(exited)");
	if (!pid || len < 2)
		return;
	for (i = 0; i < TG_NAMES_CACHE; i++) {
		e = &cache[i];
		if (e->pid == pid && e->dev == dev && e->ino == ino) {
			snprintf(out, len, "%s", e->path);
			return;
		}
	}
	snprintf(link, sizeof(link), "/proc/%u/exe", pid);
	if (stat(link, &st) || st.st_ino != ino || kdev(st.st_dev) != dev)
		return;
	n = readlink(link, out, len - 1);
	if (n <= 0) {
		snprintf(out, len, "(exited)");
		return;
	}
	out[n] = '\0';
	if ((size_t)n >= sizeof(e->path))
		return; /* too long to remember */
	e = &cache[next++ % TG_NAMES_CACHE];
	e->pid = pid;
	e->dev = dev;
	e->ino = ino;
	memcpy(e->path, out, (size_t)n + 1);
}

struct cg_entry {
	__u64 id;
	char path[256];
};

void tg_actor_cgroup(const char *cgroup_root, __u64 id, char *out, size_t len)
{
	static struct cg_entry cache[TG_NAMES_CACHE];
	static unsigned int next;
	static int mnt = -1;
	static char mnt_path[4096];
	struct {
		struct file_handle fh;
		__u64 id;
	} h;
	char link[64], buf[4096];
	size_t rl = strlen(cgroup_root ? cgroup_root : "");
	unsigned int i;
	ssize_t n;
	int fd;

	*out = '\0';
	if (!cgroup_root || !*cgroup_root || !id)
		return;
	for (i = 0; i < TG_NAMES_CACHE; i++)
		if (cache[i].id == id) {
			snprintf(out, len, "%s", cache[i].path);
			return;
		}
	if (mnt < 0 || strcmp(mnt_path, cgroup_root)) {
		if (mnt >= 0)
			close(mnt);
		mnt = open(cgroup_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (mnt < 0)
			return;
		snprintf(mnt_path, sizeof(mnt_path), "%s", cgroup_root);
	}
	h.fh.handle_bytes = sizeof(h.id);
	h.fh.handle_type = TG_FILEID_KERNFS;
	h.id = id;
	fd = open_by_handle_at(mnt, &h.fh, O_RDONLY | O_PATH | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ESTALE || errno == ENOENT)
			snprintf(out, len, "(removed)");
		return;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	/* The path below the mount: "/" for the root itself. */
	if (!strncmp(buf, cgroup_root, rl) && (buf[rl] == '/' || !buf[rl]))
		snprintf(out, len, "%s", buf[rl] ? buf + rl : "/");
	else
		snprintf(out, len, "%s", buf);
	i = next++ % TG_NAMES_CACHE;
	cache[i].id = id;
	snprintf(cache[i].path, sizeof(cache[i].path), "%s", out);
}

struct user_entry {
	__u32 uid;
	int valid;
	char name[64];
};

void tg_actor_user(__u32 uid, char *out, size_t len)
{
	static struct user_entry cache[TG_NAMES_CACHE];
	static unsigned int next;
	struct passwd pw, *res = NULL;
	char buf[1024];
	unsigned int i;

	for (i = 0; i < TG_NAMES_CACHE; i++)
		if (cache[i].valid && cache[i].uid == uid) {
			snprintf(out, len, "%s", cache[i].name);
			return;
		}
	*out = '\0';
	if (!getpwuid_r(uid, &pw, buf, sizeof(buf), &res) && res)
		snprintf(out, len, "%s", res->pw_name);
	i = next++ % TG_NAMES_CACHE;
	cache[i].uid = uid;
	cache[i].valid = 1;
	snprintf(cache[i].name, sizeof(cache[i].name), "%s", out);
}

/* The first number after "key:" in /proc/pid/status, or -1. */
static long status_field(const char *status, const char *key)
{
	const char *p = strstr(status, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

void tg_actor_from_proc(__u32 pid, const char *cgroup_root, struct tg_event *ev)
{
	char path[64], buf[2048], cg[4096];
	struct stat st;
	long v;
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	fp = fopen(path, "re");
	if (!fp)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	ev->uid = (__u32)status_field(buf, "\nUid:");
	ev->gid = (__u32)status_field(buf, "\nGid:");
	v = status_field(buf, "\nPPid:");
	ev->ppid = v > 0 ? (__u32)v : 0;
	ev->login_uid = TG_NO_LOGIN_UID;
	snprintf(path, sizeof(path), "/proc/%u/loginuid", pid);
	fp = fopen(path, "re");
	if (fp) {
		if (fscanf(fp, "%ld", &v) == 1 && v >= 0)
			ev->login_uid = (__u32)v;
		fclose(fp);
	}
	if (ev->ppid) {
		snprintf(path, sizeof(path), "/proc/%u/comm", ev->ppid);
		fp = fopen(path, "re");
		if (fp) {
			if (fgets(buf, sizeof(buf), fp)) {
				buf[strcspn(buf, "\n")] = '\0';
				n = strlen(buf);
				if (n > sizeof(ev->parent_comm) - 1)
					n = sizeof(ev->parent_comm) - 1;
				memcpy(ev->parent_comm, buf, n);
			}
			fclose(fp);
		}
	}
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	if (!stat(path, &st)) {
		ev->exe_dev = kdev(st.st_dev);
		ev->exe_ino = st.st_ino;
	}
	/* The cgroup v2 line "0::/path"; its directory's inode is its id. */
	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	fp = cgroup_root ? fopen(path, "re") : NULL;
	if (fp) {
		while (fgets(buf, sizeof(buf), fp))
			if (!strncmp(buf, "0::", 3)) {
				buf[strcspn(buf, "\n")] = '\0';
				snprintf(cg, sizeof(cg), "%s%s", cgroup_root,
					 buf + 3);
				if (!stat(cg, &st))
					ev->cgroup_id = st.st_ino;
				break;
			}
		fclose(fp);
	}
	ev->actor_flags |= TG_ACTOR_F_TASK;
}
