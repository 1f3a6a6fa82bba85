/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The two-person rule: a request the policy marks sensitive does not take
 * effect when it is made; it waits here, under a random id, until a
 * different person (another audit login uid) with the role it needs
 * confirms it within the window. One store for every such verb.
 */
#ifndef TG_COMMON_CONFIRM_H
#define TG_COMMON_CONFIRM_H

#include <linux/types.h>
#include <sys/types.h>

#define TG_CONFIRM_MAX	      64 /* requests waiting at once */
#define TG_CONFIRM_PER_PERSON 8	 /* of them, by one login uid */
#define TG_CONFIRM_ID_LEN     16 /* hex digits of an id */
#define TG_CONFIRM_REQ_MAX    4096

/* The window when the policy names none: 10 minutes. */
#define TG_CONFIRM_WINDOW_DEFAULT_S 600

struct tg_confirm_req {
	char id[TG_CONFIRM_ID_LEN + 1];
	char verb[32];
	char request[TG_CONFIRM_REQ_MAX]; /* the request as made (JSON) */
	char digest[65]; /* what it would apply (a policy's), "" if nothing */
	int role;	 /* the role the verb needs */
	/* Who asked. */
	uid_t uid;
	long loginuid;
	pid_t pid;
	char comm[16];
	char user[64];
	__s64 made_ms, expires_ms; /* monotonic */
};

struct tg_confirm_store {
	struct tg_confirm_req *v[TG_CONFIRM_MAX];
	unsigned int n;
};

/*
 * Keep a copy of r (its id, made_ms and expires_ms filled in by the
 * caller) until it is confirmed or forgotten. Requests that expired
 * before now_ms are forgotten first. 0, -ENOSPC when TG_CONFIRM_MAX wait
 * (or TG_CONFIRM_PER_PERSON of r's login uid),
 * -EPERM without a login uid (nobody could tell the second person apart),
 * -EEXIST for an id already waiting, -ENOMEM.
 */
int tg_confirm_add(struct tg_confirm_store *s, const struct tg_confirm_req *r,
		   __s64 now_ms);

/*
 * May the caller (uid, login uid loginuid, role role) confirm request id
 * now?
 * 0: yes, and *out is the request, no longer waiting. Otherwise, and the
 * request stays waiting unless said:
 *   -ENOENT  no such request waits (never made, confirmed, or forgotten);
 *   -ETIME   it expired (*out is it, and it is forgotten);
 *   -EPERM   the caller has no login uid;
 *   -EBUSY   the caller is the person who asked (same login uid, or
 *            the same uid other than 0);
 *   -EACCES  the caller's role is below the one the request needs.
 * *out is filled for every answer but -ENOENT, for the caller's message.
 */
int tg_confirm_take(struct tg_confirm_store *s, const char *id, uid_t uid,
		    long loginuid, int role, __s64 now_ms,
		    struct tg_confirm_req *out);

/* Forget the requests that expired before now_ms; how many. */
unsigned int tg_confirm_expire(struct tg_confirm_store *s, __s64 now_ms);

void tg_confirm_free(struct tg_confirm_store *s);

#endif /* TG_COMMON_CONFIRM_H */
