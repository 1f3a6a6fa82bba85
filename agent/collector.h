/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COLLECTOR_H
#define TG_COLLECTOR_H

#include <sys/types.h>

#include "eventlog.h"

#define TG_COLLECTOR_MAX_CLIENTS 16

struct tg_collector_client {
	int fd;
	uid_t uid;
	__u64 last_seq;		/* last frame seq accepted, 0 before the first */
	__u64 ack_pending;	/* highest seq appended but not yet acked */
	int drop_after_ack;	/* a frame of it could not be stored */
};

struct tg_collector {
	int listen_fd;
	uid_t agent_uid;
	char socket_path[108];
	struct tg_eventlog log;
	struct tg_collector_client clients[TG_COLLECTOR_MAX_CLIENTS];
	/* Called with a one-line notice (rejected peers and frames). */
	void (*warn)(const char *msg);
	unsigned long long stored, rejected_frames, rejected_peers;
};

/* Bind the socket (mode 0660) and open the log. -errno, nothing left on failure. */
int tg_collector_open(struct tg_collector *c, const char *socket_path,
		      const char *log_path, uid_t agent_uid, off_t rotate_size,
		      unsigned int rotate_keep, const char **what);

/* Serve until stop_fd is readable; commit and return. */
int tg_collector_run(struct tg_collector *c, int stop_fd);

/* Close clients, commit the log, remove the socket. */
void tg_collector_close(struct tg_collector *c);

#endif /* TG_COLLECTOR_H */
