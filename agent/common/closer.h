/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Closing descriptors a caller passed, off the poll loop. A close can
 * block: the last reference to a TCP socket with SO_LINGER waits for its
 * data to be taken (up to the linger time), a FUSE file's flush waits for
 * its server to answer. A thread of its own closes them, one after
 * another, so that the loop never waits for a caller's file system or peer.
 * Until tg_closer_start, and in a forked child, tg_close_later closes at
 * once.
 */
#ifndef TG_COMMON_CLOSER_H
#define TG_COMMON_CLOSER_H

#include <linux/types.h>

#define TG_CLOSER_QUEUE 1024 /* descriptors waiting to be closed, at most */

struct tg_closer_stats {
	__u64 handed;  /* closed by the thread, or waiting for it */
	__u64 at_once; /* closed by the caller: no thread, or queue full */
	unsigned int waiting; /* in the queue now */
};

/* Start the thread (every signal blocked in it): 0 or -errno. */
int tg_closer_start(void);

/* Close fd (if >= 0) on the thread; at once if it cannot take it. */
void tg_close_later(int fd);

/*
 * The same for a descriptor nobody asked for (passed with a request that
 * takes none): a socket is reset first (SO_LINGER 0), so that its close
 * never waits for unsent data. Never for a descriptor in use elsewhere (a
 * caller's stdio): the option is the socket's, its other holders' too.
 */
void tg_close_later_reset(int fd);

void tg_closer_stats(struct tg_closer_stats *s);

#endif /* TG_COMMON_CLOSER_H */
