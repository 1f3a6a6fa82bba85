/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Becoming another, unprivileged identity: a user named or numbered, file
 * operations as that user while still root (the fs ids), and the drop for
 * good, with every capability gone from every set and no way back.
 */
#ifndef TG_COMMON_PRIVILEGES_H
#define TG_COMMON_PRIVILEGES_H

#include <stddef.h>
#include <sys/types.h>

#define TG_USER_NAME_LEN 64

/* A user to run as. */
struct tg_user {
	uid_t uid;
	gid_t gid;		     /* its primary group */
	char name[TG_USER_NAME_LEN]; /* from passwd, else the number given */
	int in_passwd;		     /* the uid has a passwd entry */
};

/*
 * NAME or UID into u: a name from the passwd database; a decimal number
 * as it is, with the gid of its passwd entry where it has one, else the
 * same number as gid. -ENOENT for an unknown name, -EINVAL for a number out
 * of range (0..2^32-2).
 */
int tg_user_lookup(const char *spec, struct tg_user *u);

/*
 * File operations (opening, creating, access checks) as uid and gid from
 * now on, while the process keeps its other ids and, for everything but
 * the files, its capabilities; tg_fs_identity(0, 0) goes back to root.
 * -EPERM if the kernel did not switch.
 */
int tg_fs_identity(uid_t uid, gid_t gid);

/*
 * The effective uid and gid (and with them the fs ids) as uid and gid,
 * the real and saved ids kept, so that tg_effective_identity(0, 0) goes
 * back to root and its capabilities. A socket that listens meanwhile
 * records these as its credentials: what SO_PEERCRED tells those who
 * connect to it. Supplementary groups are dropped when uid is not 0.
 * -errno if the kernel did not switch.
 */
int tg_effective_identity(uid_t uid, gid_t gid);

/*
 * Whether no capability is left in any set (effective, permitted,
 * inheritable, bounding, ambient).
 */
int tg_caps_all_clear(void);

/*
 * Drop for good: securebits locked so that uid 0 gets nothing back
 * (through exec or setuid), every capability out of the bounding and
 * ambient sets; with switch_ids, no supplementary groups and every gid and
 * uid (real, effective, saved, fs) set to gid and uid; then every other
 * capability set emptied and no_new_privs. Checked after: no capability
 * left, and (for a uid other than 0) the ids are the ones asked for and
 * setuid(0) fails. 0, or -errno with what failed in why (len bytes).
 */
int tg_drop_privileges(uid_t uid, gid_t gid, int switch_ids, char *why,
		       size_t len);

#endif /* TG_COMMON_PRIVILEGES_H */
