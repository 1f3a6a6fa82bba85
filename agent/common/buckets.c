// SPDX-License-Identifier: GPL-2.0
/* Token buckets by key, least recently used making room. */
#include <string.h>

#include "common/buckets.h"

void tg_buckets_init(struct tg_buckets *b, unsigned int rate,
		     unsigned int burst)
{
	memset(b, 0, sizeof(*b));
	b->rate = rate;
	b->burst = burst;
}

/* key's bucket, or a new full one in the slot used least recently. */
static struct tg_bucket *find(struct tg_buckets *b, __u32 key, __s64 now_ms)
{
	struct tg_bucket *old = &b->v[0];
	unsigned int i;

	for (i = 0; i < TG_BUCKETS; i++) {
		if (b->v[i].used && b->v[i].key == key)
			return &b->v[i];
		if (!b->v[i].used)
			old = &b->v[i];
		else if (old->used && b->v[i].last_ms < old->last_ms)
			old = &b->v[i];
	}
	b->held_evicted += old->held;
	old->key = key;
	old->used = 1;
	old->tokens_milli = (__u64)b->burst * 1000;
	old->last_ms = now_ms;
	old->held = 0;
	return old;
}

int tg_buckets_take(struct tg_buckets *b, __u32 key, __s64 now_ms)
{
	struct tg_bucket *k = find(b, key, now_ms);
	__u64 cap = (__u64)b->burst * 1000;

	if (now_ms > k->last_ms) {
		k->tokens_milli += (__u64)(now_ms - k->last_ms) * b->rate;
		if (k->tokens_milli > cap)
			k->tokens_milli = cap;
	}
	/* Keep the bucket's age up to date for eviction either way. */
	k->last_ms = now_ms > k->last_ms ? now_ms : k->last_ms;
	if (k->tokens_milli >= 1000) {
		k->tokens_milli -= 1000;
		return 1;
	}
	k->held++;
	b->held_total++;
	return 0;
}

struct tg_bucket *tg_buckets_held(struct tg_buckets *b, unsigned int *i)
{
	for (; *i < TG_BUCKETS; (*i)++)
		if (b->v[*i].used && b->v[*i].held)
			return &b->v[(*i)++];
	return NULL;
}

__u64 tg_buckets_evicted(struct tg_buckets *b)
{
	__u64 n = b->held_evicted - b->evicted_told;

	b->evicted_told = b->held_evicted;
	return n;
}
