/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COMMON_CGROUPFS_H
#define TG_COMMON_CGROUPFS_H

#include <stddef.h>
#include <linux/types.h>

/*
 * Find the cgroup v2 mount point listed in a mountinfo file (normally
 * /proc/self/mountinfo) whose root is the hierarchy's root. Writes it to buf.
 * Returns 0, -ENOENT when there is none, -ENAMETOOLONG, or another -errno.
 */
int tg_cgroup2_find(const char *mountinfo, char *buf, size_t len);

/* The cgroup id (kernfs node id) of the cgroup directory at path. */
int tg_cgroup_id(const char *path, __u64 *id);

/*
 * Whether the cgroup v2 hierarchy is mounted with nsdelegate: only then is a
 * cgroup namespace a boundary for moving processes.
 */
int tg_cgroup2_nsdelegate(const char *mountinfo);

/* Join path a and b with exactly one '/' between them into buf. */
int tg_path_join(char *buf, size_t len, const char *a, const char *b);

/*
 * Whether path is dir or lies below it, compared component by component:
 * "/t/a" and "/t" are within "/t" (or "/t/"), "/t-x" is not; everything
 * absolute is within "/".
 */
int tg_path_within(const char *path, const char *dir);

#endif /* TG_COMMON_CGROUPFS_H */
