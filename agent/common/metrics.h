/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COMMON_METRICS_H
#define TG_COMMON_METRICS_H

#include <stddef.h>
#include <linux/types.h>

#include "common/buf.h"

/*
 * Prometheus text exposition format (version 0.0.4), built in memory and
 * written atomically to a file for node_exporter's textfile collector.
 */
struct tg_metrics {
	struct tg_buf b; /* the text so far, NUL-terminated */
	int err;	 /* -ENOMEM once an append failed */
};

void tg_metrics_init(struct tg_metrics *m);
void tg_metrics_free(struct tg_metrics *m);

/* "# HELP" and "# TYPE" lines of a family (type: counter, gauge). */
void tg_metrics_family(struct tg_metrics *m, const char *name, const char *type,
		       const char *help);

/*
 * One sample: name{k1="v1",...} value. labels holds key, value pairs ending
 * with NULL (may be NULL). Values are escaped (backslash, double quote,
 * newline) and made valid UTF-8.
 */
void tg_metrics_u64(struct tg_metrics *m, const char *name,
		    const char *const *labels, __u64 v);
void tg_metrics_double(struct tg_metrics *m, const char *name,
		       const char *const *labels, double v);

/*
 * Write the text to path through path.tmp and rename (readers never see a
 * partial file). 0 or -errno.
 */
int tg_metrics_write(const struct tg_metrics *m, const char *path);

/*
 * Counters keyed by a short string (at most TG_COUNTS_KEY_MAX bytes, and
 * TG_COUNTS_MAX keys: further keys are counted under the key "overflow").
 */
#define TG_COUNTS_KEY_MAX 200
#define TG_COUNTS_MAX	  65536

struct tg_counts {
	struct tg_count_slot *slots;
	size_t cap, n;
};

void tg_counts_init(struct tg_counts *c);
void tg_counts_free(struct tg_counts *c);
/* Add v to key's counter; -ENOMEM if it could not be counted. */
int tg_counts_add(struct tg_counts *c, const char *key, __u64 v);
/* Call fn for every key, in no particular order. */
void tg_counts_each(const struct tg_counts *c,
		    void (*fn)(void *ctx, const char *key, __u64 v), void *ctx);

#endif /* TG_COMMON_METRICS_H */
