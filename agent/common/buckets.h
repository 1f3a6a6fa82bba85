/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Token buckets by key (a uid): at most TG_BUCKETS keys at once, the one
 * used least recently making room for a new one. Used to bound how many
 * records of control requests one caller can make the agent write.
 */
#ifndef TG_COMMON_BUCKETS_H
#define TG_COMMON_BUCKETS_H

#include <linux/types.h>

#define TG_BUCKETS 64

struct tg_bucket {
	__u32 key;
	int used;
	__u64 tokens_milli; /* tokens x 1000 */
	__s64 last_ms;	    /* last refill */
	__u64 held;	    /* taken away since last told (tg_buckets_held) */
};

struct tg_buckets {
	unsigned int rate;  /* tokens per second */
	unsigned int burst; /* bucket size */
	struct tg_bucket v[TG_BUCKETS];
	__u64 held_total;   /* every token refused, ever */
	__u64 held_evicted; /* refused counts of buckets made room of */
	__u64 evicted_told; /* of held_evicted, told (tg_buckets_evicted) */
};

void tg_buckets_init(struct tg_buckets *b, unsigned int rate,
		     unsigned int burst);

/* Take a token of key at now_ms: 1, or 0 (none left: counted as held). */
int tg_buckets_take(struct tg_buckets *b, __u32 key, __s64 now_ms);

/*
 * The i-th bucket with held tokens to tell (i from 0, NULL past the end):
 * its key and count; the caller resets held once told.
 */
struct tg_bucket *tg_buckets_held(struct tg_buckets *b, unsigned int *i);

/*
 * How many held tokens went with the buckets made room of since last
 * asked (never told by tg_buckets_held); they count as told from now.
 */
__u64 tg_buckets_evicted(struct tg_buckets *b);

#endif /* TG_COMMON_BUCKETS_H */
