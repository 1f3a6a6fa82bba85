// SPDX-License-Identifier: GPL-2.0
/* Reserved ports into net.ipv4.ip_local_reserved_ports (see resports.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentd/reserved_ports.h"
#include "policy/registry.h"

#define TG_SYSCTL_MAX	(1u << 20) /* bytes read from the sysctl */
#define TG_SYSCTL_CHUNK 3072 /* bytes per write (the kernel takes < 4096) */

static void bit_set(__u8 *bm, unsigned int p)
{
	bm[p / 8] |= (__u8)(1u << (p % 8));
}

static int bit_get(const __u8 *bm, unsigned int p)
{
	return (bm[p / 8] >> (p % 8)) & 1;
}

int tg_ports_parse(const char *s, __u8 bm[TG_PORT_BITMAP])
{
	unsigned long lo, hi, p;
	char *end;

	while (*s == ' ' || *s == '\n')
		s++;
	while (*s) {
		errno = 0;
		lo = strtoul(s, &end, 10);
		if (end == s || errno || lo > 65535)
			return -EINVAL;
		hi = lo;
		s = end;
		if (*s == '-') {
			hi = strtoul(s + 1, &end, 10);
			if (end == s + 1 || errno || hi > 65535 || hi < lo)
				return -EINVAL;
			s = end;
		}
		for (p = lo; p <= hi; p++)
			bit_set(bm, (unsigned int)p);
		if (*s == ',')
			s++;
		else if (*s == '\n' || *s == '\0')
			while (*s == '\n')
				s++;
		else
			return -EINVAL;
	}
	return 0;
}

char *tg_ports_format(const __u8 bm[TG_PORT_BITMAP])
{
	size_t len = 0, cap = 4096;
	char *out = malloc(cap), *n;
	unsigned int p = 0, lo;
	int w;

	if (!out)
		return NULL;
	out[0] = '\0';
	while (p < 65536) {
		if (!bit_get(bm, p)) {
			p++;
			continue;
		}
		lo = p;
		while (p + 1 < 65536 && bit_get(bm, p + 1))
			p++;
		if (cap - len < 16) {
			n = realloc(out, cap * 2);
			if (!n) {
				free(out);
				return NULL;
			}
			out = n;
			cap *= 2;
		}
		w = lo == p ? snprintf(out + len, cap - len, "%s%u",
				       len ? "," : "", lo)
			    : snprintf(out + len, cap - len, "%s%u-%u",
				       len ? "," : "", lo, p);
		len += (size_t)w;
		p++;
	}
	return out;
}

/* The sysctl's value as a bitmap. */
static int read_ports(const char *path, __u8 bm[TG_PORT_BITMAP])
{
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd, err = 0;

	memset(bm, 0, TG_PORT_BITMAP);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(TG_SYSCTL_MAX + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (len < TG_SYSCTL_MAX &&
	       (n = read(fd, buf + len, TG_SYSCTL_MAX - len)) > 0)
		len += (size_t)n;
	if (n < 0)
		err = -errno;
	else if (len == TG_SYSCTL_MAX)
		err = -EFBIG;
	close(fd);
	buf[len] = '\0';
	if (!err)
		err = tg_ports_parse(buf, bm);
	free(buf);
	return err;
}

/*
 * Write bm in chunks cut after a comma: the kernel parses each write on
 * its own, replacing the value with the first and adding the others.
 */
static int write_ports(const char *path, const __u8 bm[TG_PORT_BITMAP])
{
	char *s = tg_ports_format(bm), *p;
	size_t left, n;
	int fd, err = 0;

	if (!s)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CLOEXEC | O_TRUNC);
	if (fd < 0) {
		err = -errno;
		goto out_free;
	}
	p = s;
	left = strlen(s);
	if (!left && write(fd, "\n", 1) != 1)
		err = -errno;
	while (!err && left) {
		n = left;
		if (n > TG_SYSCTL_CHUNK) {
			n = TG_SYSCTL_CHUNK;
			while (n && p[n - 1] != ',')
				n--;
		}
		if (write(fd, p, n) != (ssize_t)n)
			err = errno ? -errno : -EIO;
		p += n;
		left -= n;
	}
	if (close(fd) < 0 && !err)
		err = -errno;
out_free:
	free(s);
	return err;
}

void tg_resports_init(struct tg_resports *r, const char *path)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->path, sizeof(r->path), "%s", path);
}

/* Set the sysctl to (its value - what the agent added) | want. */
static int resports_set(struct tg_resports *r, const __u8 want[TG_PORT_BITMAP])
{
	__u8 cur[TG_PORT_BITMAP], others[TG_PORT_BITMAP], next[TG_PORT_BITMAP];
	unsigned int i;
	int err;

	err = read_ports(r->path, cur);
	if (err)
		return err;
	for (i = 0; i < TG_PORT_BITMAP; i++) {
		others[i] = cur[i] & (__u8)~r->mine[i];
		next[i] = others[i] | want[i];
	}
	if (memcmp(cur, next, sizeof(cur))) {
		err = write_ports(r->path, next);
		if (err)
			return err;
	}
	for (i = 0; i < TG_PORT_BITMAP; i++)
		next[i] = want[i] & (__u8)~others[i];
	tg_resports_adopt(r, next);
	return 0;
}

void tg_resports_adopt(struct tg_resports *r, const __u8 mine[TG_PORT_BITMAP])
{
	unsigned int n = 0;
	size_t i;

	memmove(r->mine, mine, TG_PORT_BITMAP);
	for (i = 0; i < TG_PORT_BITMAP; i++)
		n += (unsigned int)__builtin_popcount(r->mine[i]);
	r->n_mine = n;
}

int tg_resports_apply(struct tg_resports *r, const struct tg_registry *reg)
{
	__u8 want[TG_PORT_BITMAP] = {};
	unsigned int j, p;
	size_t i;

	for (i = 0; i < reg->n; i++) {
		const struct tg_tenant_entry *e = &reg->v[i];

		if (!e->present && !e->defined)
			continue;
		for (j = 0; j < e->n_ports; j++)
			for (p = e->ports[j].lo; p <= e->ports[j].hi; p++)
				bit_set(want, p);
	}
	return resports_set(r, want);
}

int tg_resports_restore(struct tg_resports *r)
{
	__u8 none[TG_PORT_BITMAP] = {};

	return resports_set(r, none);
}
