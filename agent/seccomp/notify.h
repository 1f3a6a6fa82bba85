/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_SECCOMP_NOTIFY_H
#define TG_SECCOMP_NOTIFY_H

#include <stdint.h>
#include <sys/types.h>

#define TG_NOTIFY_MAX 4096 /* listeners one agent serves */

/* One system call refused through a seccomp user notification. */
struct tg_sc_denial {
	pid_t pid;
	char comm[16];
	char syscall[48]; /* name, or "syscall-<nr>" */
	const char *arch; /* "x86_64", "x86", "x32", ... */
};

/*
 * Receive one pending notification on listener fd and answer it: the call
 * fails with EPERM. Fills *d. Returns 0, -ENOENT if the caller went away
 * before the answer (nothing to report), or another -errno.
 */
int tg_notify_answer(int fd, struct tg_sc_denial *d);

/* Whether fd is a seccomp user-notification listener. */
int tg_notify_is_listener(int fd);

/* The listeners the agent answers for, behind one epoll descriptor. */
struct tg_notify;

typedef void (*tg_notify_cb)(void *ctx, const char *tenant, const char *profile,
			     const struct tg_sc_denial *d);

struct tg_notify *tg_notify_new(void);
void tg_notify_free(struct tg_notify *n);
/* An fd that is readable when some listener needs attention. */
int tg_notify_fd(const struct tg_notify *n);
unsigned int tg_notify_count(const struct tg_notify *n);
/* Take listener fd (closed on error) for tenant's processes under profile. */
int tg_notify_add(struct tg_notify *n, int fd, const char *tenant,
		  const char *profile);
/* Answer what is pending, cb once per refused call; drop finished listeners. */
void tg_notify_process(struct tg_notify *n, tg_notify_cb cb, void *ctx);

#endif /* TG_SECCOMP_NOTIFY_H */
