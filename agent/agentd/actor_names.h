/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names for what the kernel records of an event's actor by number: its
 * executable (device and inode), its cgroup (id) and its login user (uid),
 * resolved when the event is read, with a few remembered.
 */
#ifndef TG_AGENTD_ACTOR_NAMES_H
#define TG_AGENTD_ACTOR_NAMES_H

#include <stddef.h>
#include <linux/types.h>

#include "tenantguard/event_abi.h"

/*
 * The path of pid's executable into out if it is still the file dev
 * (kernel dev_t) ino; else "(exited)" (the process or that image is gone).
 */
void tg_actor_exe(__u32 pid, __u32 dev, __u64 ino, char *out, size_t len);

/*
 * The path of cgroup id below cgroup_root (a cgroup v2 mount), "/" for the
 * root; "(removed)" when no such cgroup exists any more; "" when it cannot
 * be told (no mount given, not permitted).
 */
void tg_actor_cgroup(const char *cgroup_root, __u64 id, char *out, size_t len);

/* The user name of uid through NSS, "" if it has none. */
void tg_actor_user(__u32 uid, char *out, size_t len);

/*
 * Fill ev's actor fields (version 3, TG_ACTOR_F_TASK) for process pid from
 * /proc, for events that user space makes (the fanotify backend); the
 * cgroup's id through cgroup_root (NULL: left 0). Nothing if pid is gone.
 */
void tg_actor_from_proc(__u32 pid, const char *cgroup_root,
			struct tg_event *ev);

#endif /* TG_AGENTD_ACTOR_NAMES_H */
