/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COMMON_KFEATURES_H
#define TG_COMMON_KFEATURES_H

#include <stddef.h>

/*
 * What the running kernel offers tenantguard, found the way the agent
 * finds it: shared by the agent's loader and `tenantguard probe`. Each
 * probe loads at most a program that returns 0 and attaches nothing.
 */

/* The active LSM list ("lockdown,capability,...") into buf: 0 or -errno. */
int tg_kf_lsm_list(char *buf, size_t len);

/* 1 if "bpf" is in the active LSM list, 0 if not, -errno if unreadable. */
int tg_bpf_lsm_active(void);

/*
 * Whether the kernel loads a BPF LSM program (on file_open): 0, or -errno
 * with the reason in why. Needs bpf in the LSM list to be of use.
 */
int tg_kf_lsm_prog(char *why, size_t len);

/*
 * Whether the kernel lets a program modify the return of
 * security_socket_create (fmod_ret: BPF trampolines, no BPF LSM needed):
 * 0, or -errno with the reason in why.
 */
int tg_kf_fmod_ret(char *why, size_t len);

/* Whether a BPF program of the cgroup connect hooks loads: 0 or -errno
 * (why says). */
int tg_kf_cgroup_prog(char *why, size_t len);

/* Whether fanotify permission events are there (fanotify_init with
 * FAN_CLASS_CONTENT): 0 or -errno (why says). */
int tg_kf_fanotify_perm(char *why, size_t len);

/* Whether seccomp user notification is there: 0 or -errno (why says). */
int tg_kf_seccomp_notify(char *why, size_t len);

/* Whether the running kernel is at least major.minor (uname). */
int tg_kf_kernel_at_least(int major, int minor);

#endif /* TG_COMMON_KFEATURES_H */
