/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Paths relative to a filesystem's root (what LSM hooks without a mount
 * see) made into paths of the agent's mount tree, from a mountinfo file.
 */
#ifndef TG_AGENTD_MOUNTPATH_H
#define TG_AGENTD_MOUNTPATH_H

#include <stddef.h>
#include <linux/types.h>

/*
 * Into out: fspath (absolute, from the root of the filesystem whose kernel
 * dev_t is kdev) as seen through the mount of that filesystem, listed in
 * mountinfo, whose root is the shortest prefix of fspath (the most direct
 * name; bind mounts of subtrees lose to the whole filesystem). Without such
 * a mount: "fs:MAJOR:MINOR" followed by fspath. The parsed file is kept and
 * read again when a device is not found in it or after a second.
 */
void tg_mount_path(const char *mountinfo, __u32 kdev, const char *fspath,
		   char *out, size_t len);

/* Forget the parsed mountinfo (tests, and the end of the agent). */
void tg_mount_path_reset(void);

#endif /* TG_AGENTD_MOUNTPATH_H */
