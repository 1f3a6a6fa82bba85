/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COMMON_BUF_H
#define TG_COMMON_BUF_H

#include <stddef.h>

/* A growable byte buffer; zero-initialised it is empty. */
struct tg_buf {
	char *p;
	size_t len, cap;
};

/* Append n bytes; 0, or -ENOMEM (the buffer is unchanged). */
int tg_buf_put(struct tg_buf *b, const void *data, size_t n);

void tg_buf_free(struct tg_buf *b);

#endif /* TG_COMMON_BUF_H */
