// SPDX-License-Identifier: GPL-2.0
/* Slots capped per caller uid and in all. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/slots.h"

void tg_slots_init(struct tg_slots *s, unsigned int per_uid, unsigned int max)
{
	memset(s, 0, sizeof(*s));
	s->per_uid = per_uid;
	s->max = max > TG_SLOTS_MAX ? TG_SLOTS_MAX : max;
}

unsigned int tg_slots_of(const struct tg_slots *s, uid_t uid)
{
	unsigned int i, k = 0;

	for (i = 0; i < s->n; i++)
		k += s->v[i].uid == uid;
	return k;
}

int tg_slots_check(const struct tg_slots *s, uid_t uid)
{
	if (tg_slots_of(s, uid) >= s->per_uid)
		return -EUSERS;
	if (s->n >= s->max)
		return -EBUSY;
	return 0;
}

int tg_slots_take(struct tg_slots *s, uid_t uid, int handle)
{
	int err = tg_slots_check(s, uid);

	if (err)
		return err;
	s->v[s->n].uid = uid;
	s->v[s->n].handle = handle;
	s->n++;
	return 0;
}

void tg_slots_free(struct tg_slots *s, unsigned int i)
{
	if (i >= s->n)
		return;
	s->v[i] = s->v[--s->n];
}

void tg_slots_why(const struct tg_slots *s, uid_t uid, int err,
		  const char *prefix, const char *what, const char *hint,
		  char *buf, size_t len)
{
	if (err == -EUSERS)
		snprintf(
			buf, len,
			"%s: uid %u has %u %s already (at most %u per uid, %u in all); %s",
			prefix, (unsigned int)uid, tg_slots_of(s, uid), what,
			s->per_uid, s->max, hint);
	else
		snprintf(
			buf, len,
			"%s: %u %s already (at most %u in all, %u per uid); try again later",
			prefix, s->n, what, s->max, s->per_uid);
}
