// SPDX-License-Identifier: GPL-2.0
/* Prometheus text format and string-keyed counters (see metrics.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/text.h"
#include "common/metrics.h"

void tg_metrics_init(struct tg_metrics *m)
{
	memset(m, 0, sizeof(*m));
}

void tg_metrics_free(struct tg_metrics *m)
{
	tg_buf_free(&m->b);
	m->err = 0;
}

static void put(struct tg_metrics *m, const char *s, size_t n)
{
	/* Kept NUL-terminated: the NUL is put, then not counted. */
	if (!m->err && (tg_buf_put(&m->b, s, n) || tg_buf_put(&m->b, "", 1)))
		m->err = -ENOMEM;
	else if (!m->err)
		m->b.len--;
}

static void puts_(struct tg_metrics *m, const char *s)
{
	put(m, s, strlen(s));
}

static void putf(struct tg_metrics *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void putf(struct tg_metrics *m, const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	put(m, buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/*
 * s escaped: backslash and newline always, double quote in label values
 * (quote set); invalid UTF-8 becomes U+FFFD.
 */
static void put_escaped(struct tg_metrics *m, const char *s, int quote)
{
	char *clean = tg_utf8_sanitize(s, strlen(s));
	const char *p;

	if (!clean) {
		m->err = -ENOMEM;
		return;
	}
	for (p = clean; *p; p++) {
		if (*p == '\\')
			puts_(m, "\\\\");
		else if (*p == '\n')
			puts_(m, "\\n");
		else if (*p == '"' && quote)
			puts_(m, "\\\"");
		else
			put(m, p, 1);
	}
	free(clean);
}

void tg_metrics_family(struct tg_metrics *m, const char *name, const char *type,
		       const char *help)
{
	puts_(m, "# HELP ");
	puts_(m, name);
	puts_(m, " ");
	put_escaped(m, help, 0);
	puts_(m, "\n# TYPE ");
	puts_(m, name);
	puts_(m, " ");
	puts_(m, type);
	puts_(m, "\n");
}

static void sample_head(struct tg_metrics *m, const char *name,
			const char *const *labels)
{
	int i;

	puts_(m, name);
	if (!labels || !labels[0]) {
		puts_(m, " ");
		return;
	}
	puts_(m, "{");
	for (i = 0; labels[i] && labels[i + 1]; i += 2) {
		if (i)
			puts_(m, ",");
		puts_(m, labels[i]);
		puts_(m, "=\"");
		put_escaped(m, labels[i + 1], 1);
		puts_(m, "\"");
	}
	puts_(m, "} ");
}

void tg_metrics_u64(struct tg_metrics *m, const char *name,
		    const char *const *labels, __u64 v)
{
	sample_head(m, name, labels);
	putf(m, "%llu\n", (unsigned long long)v);
}

void tg_metrics_double(struct tg_metrics *m, const char *name,
		       const char *const *labels, double v)
{
	sample_head(m, name, labels);
	putf(m, "%.6f\n", v);
}

int tg_metrics_write(const struct tg_metrics *m, const char *path)
{
	char tmp[PATH_MAX];
	ssize_t n = 0;
	int fd, err = 0;

	if (m->err)
		return m->err;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0)
		return -errno;
	if (m->b.len)
		n = write(fd, m->b.p, m->b.len);
	if (n != (ssize_t)m->b.len)
		err = n < 0 ? -errno : -ENOSPC;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

struct tg_count_slot {
	char *key; /* NULL: free */
	__u64 v;
};

void tg_counts_init(struct tg_counts *c)
{
	memset(c, 0, sizeof(*c));
}

void tg_counts_free(struct tg_counts *c)
{
	size_t i;

	for (i = 0; i < c->cap; i++)
		free(c->slots[i].key);
	free(c->slots);
	memset(c, 0, sizeof(*c));
}

/* FNV-1a */
static size_t hash(const char *s)
{
	size_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct tg_count_slot *slot(struct tg_count_slot *slots, size_t cap,
				  const char *key)
{
	size_t i = hash(key) & (cap - 1);

	while (slots[i].key && strcmp(slots[i].key, key))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int grow(struct tg_counts *c)
{
	size_t i, cap = c->cap ? c->cap * 2 : 64;
	struct tg_count_slot *n = calloc(cap, sizeof(*n)), *s;

	if (!n)
		return -ENOMEM;
	for (i = 0; i < c->cap; i++) {
		if (!c->slots[i].key)
			continue;
		s = slot(n, cap, c->slots[i].key);
		*s = c->slots[i];
	}
	free(c->slots);
	c->slots = n;
	c->cap = cap;
	return 0;
}

int tg_counts_add(struct tg_counts *c, const char *key, __u64 v)
{
	struct tg_count_slot *s;

	if (strlen(key) > TG_COUNTS_KEY_MAX)
		key = "overflow";
	if ((c->n + 1) * 2 > c->cap && grow(c))
		return -ENOMEM;
	s = slot(c->slots, c->cap, key);
	if (!s->key) {
		if (c->n >= TG_COUNTS_MAX && strcmp(key, "overflow"))
			return tg_counts_add(c, "overflow", v);
		s->key = strdup(key);
		if (!s->key)
			return -ENOMEM;
		c->n++;
	}
	s->v += v;
	return 0;
}

void tg_counts_each(const struct tg_counts *c,
		    void (*fn)(void *ctx, const char *key, __u64 v), void *ctx)
{
	size_t i;

	for (i = 0; i < c->cap; i++)
		if (c->slots[i].key)
			fn(ctx, c->slots[i].key, c->slots[i].v);
}
