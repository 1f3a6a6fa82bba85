/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The filesystems the fanotify backend marks: for each filesystem holding
 * an owned path, a private clone of a mount of it (the ownership walks start
 * from its root), a permission mark and, where file ids are reported, a
 * rename watch. For the main thread, never under the backend's lock: setting
 * a filesystem up opens files on it.
 */
#ifndef TG_AGENTD_FANOTIFY_MARKS_H
#define TG_AGENTD_FANOTIFY_MARKS_H

#include <limits.h>
#include <stddef.h>
#include <sys/fanotify.h>
#include <sys/types.h>
#include <linux/types.h>

#include "agentd/fanotify_owner.h"

#define TG_FAN_PERM_MASK  (FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM | FAN_ONDIR)
#define TG_FAN_NOTIF_MASK (FAN_RENAME | FAN_CREATE | FAN_DELETE | FAN_ONDIR)
#define TG_FAN_UNWATCHED_AGE_MS                                                \
	1000 /* answer lifetime without a rename watch */

/* A filesystem holding owned paths. */
struct tg_fan_fs {
	dev_t dev;
	int root_fd; /* its root, in a private clone of a mount */
	__kernel_fsid_t fsid;
	int marked;	      /* permission events on */
	int watched;	      /* rename watch on: ignore marks allowed */
	int used;	      /* tg_fan_fs_prepare: still needed */
	char mount[PATH_MAX]; /* where that mount is, for status */
	char reason[160];     /* why not marked or not watched */
};

struct tg_fan_fs_list {
	struct tg_fan_fs *v;
	size_t n;
};

/* The filesystem of l with device dev, or NULL. */
struct tg_fan_fs *tg_fan_fs_find(const struct tg_fan_fs_list *l, dev_t dev);

/*
 * Into out: the filesystems of the objects of owned, marked on perm_fd
 * (permission events) and notif_fd (renames; -1: none). Those old has marked
 * are taken over (their entries in old get used set, the others cleared);
 * the others are set up, what failed said in their reason. 0 or -ENOMEM.
 */
int tg_fan_fs_prepare(int perm_fd, int notif_fd, struct tg_fan_fs_list *old,
		      const struct tg_fo_owned *owned,
		      struct tg_fan_fs_list *out);

/* Unmark and close the filesystems of old not taken over; free old. */
void tg_fan_fs_release(int perm_fd, int notif_fd, struct tg_fan_fs_list *old);

/* Close every filesystem of l (the groups are closed: no unmarking); free l. */
void tg_fan_fs_close_all(struct tg_fan_fs_list *l);

struct json_object;

/*
 * [{"mount", "dev", "marked", "renames_watched", "reason"}] for the
 * filesystems of l. NULL on allocation failure.
 */
struct json_object *tg_fan_fs_json(const struct tg_fan_fs_list *l);

#endif /* TG_AGENTD_FANOTIFY_MARKS_H */
