/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Slots that callers of the control socket hold for a while (a workload
 * run through the agent, an event stream it serves): at most per_uid of
 * one caller uid and max in all, so that one caller cannot take them all.
 * Each slot keeps a handle (a pid, a descriptor) its user frees it by.
 */
#ifndef TG_COMMON_SLOTS_H
#define TG_COMMON_SLOTS_H

#include <stddef.h>
#include <sys/types.h>

#define TG_SLOTS_MAX 64 /* slots a table can have */

struct tg_slot {
	uid_t uid;  /* the caller's */
	int handle; /* the user's: a pid, a descriptor */
};

struct tg_slots {
	unsigned int per_uid; /* of one uid at most */
	unsigned int max;     /* in all, at most TG_SLOTS_MAX */
	unsigned int n;
	struct tg_slot v[TG_SLOTS_MAX];
};

/* max above TG_SLOTS_MAX is TG_SLOTS_MAX. */
void tg_slots_init(struct tg_slots *s, unsigned int per_uid, unsigned int max);

/* How many slots uid holds. */
unsigned int tg_slots_of(const struct tg_slots *s, uid_t uid);

/*
 * May uid take one more slot: 0, -EUSERS when it holds per_uid, -EBUSY
 * when max are taken.
 */
int tg_slots_check(const struct tg_slots *s, uid_t uid);

/*
 * Why uid cannot take a slot (err: tg_slots_check's) into buf, for the
 * caller: "PREFIX: uid U has N WHAT already (at most P per uid, M in
 * all); HINT", or "PREFIX: N WHAT already (at most M in all, P per uid);
 * try again later".
 */
void tg_slots_why(const struct tg_slots *s, uid_t uid, int err,
		  const char *prefix, const char *what, const char *hint,
		  char *buf, size_t len);

/* One more slot for uid with handle: tg_slots_check's answer. */
int tg_slots_take(struct tg_slots *s, uid_t uid, int handle);

/* Free slot i (the last one takes its place). */
void tg_slots_free(struct tg_slots *s, unsigned int i);

#endif /* TG_COMMON_SLOTS_H */
