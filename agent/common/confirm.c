// SPDX-License-Identifier: GPL-2.0
/* The store of requests waiting for a second person. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/confirm.h"

static void forget(struct tg_confirm_store *s, unsigned int i)
{
	free(s->v[i]);
	s->v[i] = s->v[--s->n];
	s->v[s->n] = NULL;
}

static int find(const struct tg_confirm_store *s, const char *id)
{
	unsigned int i;

	for (i = 0; id && i < s->n; i++)
		if (strcmp(s->v[i]->id, id) == 0)
			return (int)i;
	return -ENOENT;
}

/* How many requests of login uid lu wait. */
static unsigned int waiting_of(const struct tg_confirm_store *s, long lu)
{
	unsigned int i, k = 0;

	for (i = 0; i < s->n; i++)
		k += s->v[i]->loginuid == lu;
	return k;
}

unsigned int tg_confirm_expire(struct tg_confirm_store *s, __s64 now_ms)
{
	unsigned int i = 0, k = 0;

	while (i < s->n) {
		if (s->v[i]->expires_ms < now_ms) {
			forget(s, i);
			k++;
		} else {
			i++;
		}
	}
	return k;
}

int tg_confirm_add(struct tg_confirm_store *s, const struct tg_confirm_req *r,
		   __s64 now_ms)
{
	struct tg_confirm_req *c;

	if (r->loginuid < 0)
		return -EPERM;
	tg_confirm_expire(s, now_ms);
	if (find(s, r->id) >= 0)
		return -EEXIST;
	if (s->n >= TG_CONFIRM_MAX ||
	    waiting_of(s, r->loginuid) >= TG_CONFIRM_PER_PERSON)
		return -ENOSPC;
	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	*c = *r;
	s->v[s->n++] = c;
	return 0;
}

int tg_confirm_take(struct tg_confirm_store *s, const char *id, uid_t uid,
		    long loginuid, int role, __s64 now_ms,
		    struct tg_confirm_req *out)
{
	int i = find(s, id);

	if (i < 0)
		return -ENOENT;
	*out = *s->v[i];
	if (out->expires_ms < now_ms) {
		forget(s, (unsigned int)i);
		return -ETIME;
	}
	if (loginuid < 0)
		return -EPERM;
	/*
	 * One account is one person, whatever login uids its processes
	 * set (an unset one may be set once, by anybody); uid 0 is shared
	 * by every admin who used sudo, told apart by login uid alone.
	 */
	if (loginuid == out->loginuid || (uid != 0 && uid == out->uid))
		return -EBUSY;
	if (role < out->role)
		return -EACCES;
	forget(s, (unsigned int)i);
	return 0;
}

void tg_confirm_free(struct tg_confirm_store *s)
{
	while (s->n)
		forget(s, s->n - 1);
}
