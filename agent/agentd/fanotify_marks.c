// SPDX-License-Identifier: GPL-2.0
/* The filesystems the fanotify backend marks, set up and released. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/mountinfo.h"
#include "agentd/fanotify_marks.h"

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif

struct tg_fan_fs *tg_fan_fs_find(const struct tg_fan_fs_list *l, dev_t dev)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].dev == dev)
			return &l->v[i];
	return NULL;
}

static void fs_close(struct tg_fan_fs *fs)
{
	if (fs->root_fd >= 0)
		close(fs->root_fd);
	fs->root_fd = -1;
}

/* What find_mount looks for, and where it writes what it found. */
struct mount_of {
	dev_t dev;
	char *out;
	size_t len;
	int found;
};

static int mount_of_dev(void *ctx, const struct tg_mount *m)
{
	struct mount_of *mo = ctx;

	if (makedev(m->major, m->minor) != mo->dev)
		return 0;
	if (!mo->found &&
	    snprintf(mo->out, mo->len, "%s", m->point) < (int)mo->len)
		mo->found = 1;
	if (strcmp(m->root, "/") != 0)
		return 0;
	snprintf(mo->out, mo->len, "%s", m->point);
	return 1;
}

/*
 * Where a mount of dev is: the one showing the filesystem's root if there is
 * one, else the first. 0 or -ENOENT.
 */
static int find_mount(dev_t dev, char *out, size_t len)
{
	struct mount_of mo = {.dev = dev, .out = out, .len = len};
	int err = tg_mountinfo_each("/proc/self/mountinfo", mount_of_dev, &mo);

	if (err < 0)
		return err;
	return mo.found ? 0 : -ENOENT;
}

/*
 * Get filesystem dev ready: a private clone of its mount (no submounts, so
 * nothing mounted on top changes what ".." means), the root of that clone,
 * the marks. Failures are recorded in fs->reason.
 */
static void fs_setup(int perm_fd, int notif_fd, struct tg_fan_fs *fs, dev_t dev)
{
	struct {
		struct file_handle fh;
		unsigned char b[MAX_HANDLE_SZ];
	} h;
	struct statfs sf;
	struct stat st;
	int clone, mount_id;

	memset(fs, 0, sizeof(*fs));
	fs->dev = dev;
	fs->root_fd = -1;
	fs->used = 1;
	if (find_mount(dev, fs->mount, sizeof(fs->mount))) {
		snprintf(fs->reason, sizeof(fs->reason),
			 "no mount of it in /proc/self/mountinfo");
		return;
	}
	clone = (int)syscall(SYS_open_tree, AT_FDCWD, fs->mount,
			     OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (clone < 0) {
		snprintf(fs->reason, sizeof(fs->reason), "open_tree: %s",
			 strerror(errno));
		return;
	}
	fs->root_fd = openat(clone, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(clone);
	if (fs->root_fd < 0 || fstat(fs->root_fd, &st) < 0 ||
	    st.st_dev != dev || fstatfs(fs->root_fd, &sf) < 0) {
		snprintf(fs->reason, sizeof(fs->reason),
			 "its mount point shows another filesystem now");
		fs_close(fs);
		return;
	}
	if (sf.f_type == PROC_SUPER_MAGIC || sf.f_type == SYSFS_MAGIC ||
	    sf.f_type == CGROUP2_SUPER_MAGIC) {
		snprintf(fs->reason, sizeof(fs->reason),
			 "a kernel filesystem the agent reads itself");
		fs_close(fs);
		return;
	}
	memcpy(&fs->fsid, &sf.f_fsid, sizeof(fs->fsid));
	h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(fs->root_fd, "", &h.fh, &mount_id,
			      AT_EMPTY_PATH) < 0) {
		snprintf(fs->reason, sizeof(fs->reason),
			 "no file handles (%s): ownership cannot be walked",
			 strerror(errno));
		fs_close(fs);
		return;
	}
	if (fanotify_mark(perm_fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
			  TG_FAN_PERM_MASK, fs->root_fd, NULL) < 0) {
		snprintf(fs->reason, sizeof(fs->reason), "fanotify_mark: %s",
			 strerror(errno));
		fs_close(fs);
		return;
	}
	fs->marked = 1;
	if (notif_fd >= 0 &&
	    fanotify_mark(notif_fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
			  TG_FAN_NOTIF_MASK, fs->root_fd, NULL) == 0)
		fs->watched = 1;
	else
		snprintf(
			fs->reason, sizeof(fs->reason),
			"no rename watch (%s): answers kept %d ms, no ignore marks",
			notif_fd < 0 ? "no file id reporting" : strerror(errno),
			TG_FAN_UNWATCHED_AGE_MS);
}

int tg_fan_fs_prepare(int perm_fd, int notif_fd, struct tg_fan_fs_list *old,
		      const struct tg_fo_owned *owned,
		      struct tg_fan_fs_list *out)
{
	struct tg_fan_fs_list l = {};
	struct tg_fan_fs *o;
	size_t i;

	for (i = 0; i < old->n; i++)
		old->v[i].used = 0;
	for (i = 0; i < owned->n; i++) {
		dev_t dev = owned->v[i].dev;

		if (tg_fan_fs_find(&l, dev))
			continue;
		if (l.n % 8 == 0) {
			void *nv = reallocarray(l.v, l.n + 8, sizeof(*l.v));

			if (!nv) {
				free(l.v);
				return -ENOMEM;
			}
			l.v = nv;
		}
		o = tg_fan_fs_find(old, dev);
		if (o && o->marked) {
			/* Taken over: the old list forgets it. */
			l.v[l.n] = *o;
			o->used = 1;
		} else {
			fs_setup(perm_fd, notif_fd, &l.v[l.n], dev);
		}
		l.n++;
	}
	*out = l;
	return 0;
}

static void fs_unmark(int perm_fd, int notif_fd, struct tg_fan_fs *fs)
{
	if (fs->marked)
		fanotify_mark(perm_fd, FAN_MARK_REMOVE | FAN_MARK_FILESYSTEM,
			      TG_FAN_PERM_MASK, fs->root_fd, NULL);
	if (fs->watched)
		fanotify_mark(notif_fd, FAN_MARK_REMOVE | FAN_MARK_FILESYSTEM,
			      TG_FAN_NOTIF_MASK, fs->root_fd, NULL);
	fs_close(fs);
}

void tg_fan_fs_release(int perm_fd, int notif_fd, struct tg_fan_fs_list *old)
{
	size_t i;

	for (i = 0; i < old->n; i++)
		if (!old->v[i].used)
			fs_unmark(perm_fd, notif_fd, &old->v[i]);
	free(old->v);
	old->v = NULL;
	old->n = 0;
}

void tg_fan_fs_close_all(struct tg_fan_fs_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		fs_close(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

struct json_object *tg_fan_fs_json(const struct tg_fan_fs_list *l)
{
	struct json_object *a = json_object_new_array(), *o;
	char dev[32];
	size_t i;

	if (!a)
		return NULL;
	for (i = 0; i < l->n; i++) {
		const struct tg_fan_fs *fs = &l->v[i];

		o = json_object_new_object();
		if (!o)
			break;
		snprintf(dev, sizeof(dev), "%u:%u", major(fs->dev),
			 minor(fs->dev));
		json_object_object_add(o, "mount",
				       json_object_new_string(fs->mount));
		json_object_object_add(o, "dev", json_object_new_string(dev));
		json_object_object_add(o, "marked",
				       json_object_new_boolean(fs->marked));
		json_object_object_add(o, "renames_watched",
				       json_object_new_boolean(fs->watched));
		if (fs->reason[0])
			json_object_object_add(
				o, "reason",
				json_object_new_string(fs->reason));
		json_object_array_add(a, o);
	}
	return a;
}
