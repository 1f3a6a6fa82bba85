// SPDX-License-Identifier: GPL-2.0
/* A thread that closes descriptors, off the poll loop. */
#include <errno.h>
#include <pthread.h>
#include <sys/socket.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "common/closer.h"

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int q[TG_CLOSER_QUEUE];
	unsigned int head, n;
	int started;
	struct tg_closer_stats st;
} closer = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void *closer_run(void *arg)
{
	int fd;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&closer.mu);
		while (!closer.n)
			pthread_cond_wait(&closer.cv, &closer.mu);
		fd = closer.q[closer.head];
		closer.head = (closer.head + 1) % TG_CLOSER_QUEUE;
		closer.n--;
		pthread_mutex_unlock(&closer.mu);
		close(fd);
	}
	return NULL;
}

/* A forked child has no closer thread (and maybe a lock held by it). */
static void closer_child(void)
{
	pthread_mutex_init(&closer.mu, NULL);
	pthread_cond_init(&closer.cv, NULL);
	closer.started = 0;
	closer.n = 0;
}

int tg_closer_start(void)
{
	sigset_t all, old;
	pthread_t t;
	int err;

	if (closer.started)
		return 0;
	err = pthread_atfork(NULL, NULL, closer_child);
	if (err)
		return -err;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&t, NULL, closer_run, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return -err;
	pthread_detach(t);
	pthread_mutex_lock(&closer.mu);
	closer.started = 1;
	pthread_mutex_unlock(&closer.mu);
	return 0;
}

void tg_close_later_reset(int fd)
{
	struct linger now = {.l_onoff = 1, .l_linger = 0};

	/*
	 * A socket is reset rather than drained: its close never waits for
	 * unsent data (SO_LINGER set by whoever passed it), here or on the
	 * loop. Not a socket: ENOTSOCK, nothing done.
	 */
	if (fd >= 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &now, sizeof(now));
	tg_close_later(fd);
}

void tg_close_later(int fd)
{
	if (fd < 0)
		return;
	pthread_mutex_lock(&closer.mu);
	if (!closer.started || closer.n >= TG_CLOSER_QUEUE) {
		closer.st.at_once++;
		pthread_mutex_unlock(&closer.mu);
		close(fd);
		return;
	}
	closer.q[(closer.head + closer.n) % TG_CLOSER_QUEUE] = fd;
	closer.n++;
	closer.st.handed++;
	pthread_cond_signal(&closer.cv);
	pthread_mutex_unlock(&closer.mu);
}

void tg_closer_stats(struct tg_closer_stats *s)
{
	pthread_mutex_lock(&closer.mu);
	*s = closer.st;
	s->waiting = closer.n;
	pthread_mutex_unlock(&closer.mu);
}
