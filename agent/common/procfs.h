/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COMMON_PROCFS_H
#define TG_COMMON_PROCFS_H

#include <stddef.h>
#include <sys/types.h>

/*
 * The comm of process pid (0: this process) from /proc, without its
 * newline, into comm (len bytes, 16 hold any comm). Returns 0, or -errno
 * with comm "" (the process is gone, /proc is not mounted...).
 */
int tg_proc_comm(pid_t pid, char *comm, size_t len);

/*
 * The login uid of process pid (0: this process): who logged in, whatever
 * the uid now (audit); -1 if unset or unreadable.
 */
long tg_proc_loginuid(pid_t pid);

#endif /* TG_COMMON_PROCFS_H */
