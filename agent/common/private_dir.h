/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A directory that holds what one user alone may write (the agent's spool,
 * the collector's log): owned by that user or by root, and writable by no
 * group and no other user, so that nobody else can add, replace or remove
 * a file in it (a link in place of the log, say).
 */
#ifndef TG_COMMON_PRIVATE_DIR_H
#define TG_COMMON_PRIVATE_DIR_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Whether the directory open at fd is fit for uid's files alone. 0, or
 * -EPERM with the owner and mode found and what is needed in why (len
 * bytes); -errno if it cannot be told.
 */
int tg_private_dir_check(int fd, uid_t uid, char *why, size_t len);

/*
 * dir made with its parents (those 0755, dir itself 0700) where missing:
 * 0, or -errno.
 */
int tg_private_dir_make(const char *dir);

#endif /* TG_COMMON_PRIVATE_DIR_H */
