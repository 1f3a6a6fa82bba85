/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COMMON_CONTROL_H
#define TG_COMMON_CONTROL_H

#include <stddef.h>
#include <linux/types.h>
#include <sys/types.h>

#include "common/peer.h"

struct json_object;
struct tg_peer;
struct pollfd;

#define TG_CONTROL_MAX_REQUEST 4096
/* Descriptors a request may carry (SCM_RIGHTS): a caller's 0, 1 and 2. */
#define TG_CONTROL_MAX_FDS    3
#define TG_CONTROL_MAX_REPLY  (64u << 20)
#define TG_CONTROL_MAX_HEADER 4096 /* the reply that heads a stream */
/* The error for a request that is not one JSON object. */
#define TG_CONTROL_BAD_REQUEST                                                 \
	"bad request: expected one JSON object and a newline"

/*
 * The control socket: AF_UNIX stream, owned by root; mode 0660 and owned by
 * group (the members of that group may connect), or 0600 (root only) when
 * group is (gid_t)-1. It is never reachable by anybody else meanwhile. A
 * client sends one JSON object and a newline ({"cmd":"status"}), the agent
 * answers with one JSON object and closes.
 */
int tg_control_listen(const char *path, gid_t group);

/*
 * What came with a request besides its text. fds: the descriptors the
 * client passed (SCM_RIGHTS), in order, n_fds of them, the others -1; a
 * handler keeps one by setting it to -1, the rest are closed. conn: the
 * client's connection; a handler that takes it (sets it to -1) sends the
 * reply itself (tg_control_reply), or has it sent.
 */
struct tg_control_io {
	int fds[TG_CONTROL_MAX_FDS];
	unsigned int n_fds;
	int conn;
	int fds_wanted; /* the verb takes descriptors (its handler says so):
			   else they are reset as they are closed */
};

/*
 * Builds the reply (a new JSON object) to req, from peer (any process that
 * could connect: its credentials, and its cgroup unless peer->err says why
 * not; the handler judges what it may ask). req is
 * NULL when the request was not one JSON object (the reply says so:
 * TG_CONTROL_BAD_REQUEST). A handler that answers on io->conn itself (a
 * stream of lines after the reply, served by another process) takes it
 * by setting io->conn to -1; the reply it returns is then only its record.
 */
typedef struct json_object *(*tg_control_handler)(void *ctx,
						  const struct tg_peer *peer,
						  struct json_object *req,
						  struct tg_control_io *io);

/* {"ok": false, "error": msg}: a new JSON object. */
struct json_object *tg_control_error(const char *msg);

/*
 * The server of a control socket: up to TG_CONTROL_CLIENTS clients at
 * once, each read and answered as its bytes come and go (never waiting on
 * one), each given TG_CONTROL_DEADLINE_MS to send its request and, once
 * its reply is queued, as long between two parts of it taken, and then
 * cut off; when the table is full, a new client takes the slot of the uid
 * holding the most (its client whose time ends first). A slow or silent
 * caller thus delays nobody: not the others, not the loop that polls them.
 */
#define TG_CONTROL_CLIENTS     16
#define TG_CONTROL_DEADLINE_MS 2000

struct tg_control_client {
	struct tg_control_io io; /* io.conn -1: the slot is free */
	struct tg_peer peer;
	int creds_err; /* its credentials could not be read */
	char in[TG_CONTROL_MAX_REQUEST + 1];
	size_t have;
	char *out; /* the reply and its newline, once built */
	size_t out_len, out_off;
	__s64 deadline_ms; /* monotonic */
};

struct tg_control_server {
	int listen_fd;
	tg_control_handler handle;
	void *ctx;
	struct tg_control_client c[TG_CONTROL_CLIENTS];
	__u64 cut; /* clients cut off: out of time, or pushed out */
};

void tg_control_server_init(struct tg_control_server *s, int listen_fd,
			    tg_control_handler handle, void *ctx);
/* The clients' descriptors to poll (POLLIN or POLLOUT) into p; how many. */
unsigned int tg_control_server_pollfds(const struct tg_control_server *s,
				       struct pollfd *p);
/*
 * Accept who connected, read, answer and send what is ready, cut off who
 * is out of time; never blocks. How many requests were answered.
 */
int tg_control_server_run(struct tg_control_server *s, __s64 now_ms);
/* Send what replies are left, waiting at most ms for each client. */
void tg_control_server_flush(struct tg_control_server *s, int ms);
void tg_control_server_close(struct tg_control_server *s);

/* reply and a newline onto conn (waiting at most about a second); 0 or -errno.
 */
int tg_control_reply(int conn, struct json_object *reply);
/*
 * Client of a stream: send req, read the reply, the first line, into
 * *reply; what follows on the returned socket are the lines of the stream,
 * until the server closes it. The socket (the caller closes it), or -errno.
 */
int tg_control_stream(const char *path, struct json_object *req,
		      struct json_object **reply);

/* Client: send req, return the reply (NULL with errno). */
struct json_object *tg_control_call(const char *path, struct json_object *req);

/* The same, passing fd (>= 0) along with the request. */
struct json_object *tg_control_call_fd(const char *path,
				       struct json_object *req, int fd);
/* The same, passing the n_fds descriptors fds (at most TG_CONTROL_MAX_FDS). */
struct json_object *tg_control_call_fds(const char *path,
					struct json_object *req, const int *fds,
					unsigned int n_fds);

/*
 * Client: connect to path and send req with the n descriptors fds
 * (at most TG_CONTROL_MAX_FDS); the connection, to read the replies from
 * (it may be more than one line), or -errno.
 */
int tg_control_send(const char *path, struct json_object *req, const int *fds,
		    unsigned int n);

/*
 * One sendmsg of len bytes with the n descriptors fds attached (n 0 to
 * TG_CONTROL_MAX_FDS); bytes sent or -errno. One recvmsg into buf; the
 * descriptors attached go to the slots of fds still -1, in order (max
 * slots), the others are closed. Bytes received or -errno.
 */
ssize_t tg_send_fds(int sock, const void *buf, size_t len, const int *fds,
		    unsigned int n);
ssize_t tg_recv_fds(int sock, void *buf, size_t len, int *fds,
		    unsigned int max);

/* The same with one descriptor (fd -1: none). */
ssize_t tg_send_fd(int sock, const void *buf, size_t len, int fd);
ssize_t tg_recv_fd(int sock, void *buf, size_t len, int *fd);

#endif /* TG_COMMON_CONTROL_H */
