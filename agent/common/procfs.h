/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COMMON_PROCFS_H
#define TG_COMMON_PROCFS_H

#include <stddef.h>
#include <sys/types.h>

#define TG_PROC_COMM_MAX  15 /* bytes of a task's comm (TASK_COMM_LEN - 1) */
#define TG_PROC_COMM_READ 80 /* bytes read: a kernel thread shows up to 64 */

/*
 * The comm of process pid (0: this process) from /proc, into comm (len
 * bytes; 16 hold any comm): cut as the BPF programs see it
 * (bpf_get_current_comm), at most TG_PROC_COMM_MAX bytes, every byte kept
 * (a newline too: only the one the kernel appends is dropped), so that
 * both file backends report one comm alike. Returns 0, or -errno with comm
 * "" (the process is gone, /proc is not mounted...).
 */
int tg_proc_comm(pid_t pid, char *comm, size_t len);

/*
 * The executable of process pid (readlink of /proc/PID/exe: a path, which
 * ends in " (deleted)" when the file was removed) into exe (len bytes).
 * 0, or -errno with exe "" (a kernel thread, the process gone...);
 * -ENAMETOOLONG if it does not fit.
 */
int tg_proc_exe(pid_t pid, char *exe, size_t len);

/*
 * The login uid of process pid (0: this process): who logged in, whatever
 * the uid now (audit); -1 if unset or unreadable.
 */
long tg_proc_loginuid(pid_t pid);

/*
 * The start time of a process, in clock ticks after boot (field 22 of
 * /proc/PID/stat), from the text of that file: after the last ')', as comm
 * may hold anything. 0, or -EBADMSG.
 */
int tg_proc_stat_starttime(const char *text, unsigned long long *ticks);

/* The same read from /proc/PID/stat. 0 or -errno. */
int tg_proc_starttime(pid_t pid, unsigned long long *ticks);

#endif /* TG_COMMON_PROCFS_H */
