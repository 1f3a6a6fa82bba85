// SPDX-License-Identifier: GPL-2.0
/* A growable byte buffer (see buf.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

int tg_buf_put(struct tg_buf *b, const void *data, size_t n)
{
	size_t cap;
	char *p;

	if (b->len + n > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	return 0;
}

void tg_buf_free(struct tg_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
