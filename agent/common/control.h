/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COMMON_CONTROL_H
#define TG_COMMON_CONTROL_H

#include <stddef.h>
#include <sys/types.h>

struct json_object;
struct tg_peer;

#define TG_CONTROL_MAX_REQUEST 4096
#define TG_CONTROL_MAX_REPLY   (64u << 20)
#define TG_CONTROL_MAX_HEADER  4096 /* the reply that heads a stream */
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
 * Builds the reply (a new JSON object) to req, from peer (any process that
 * could connect: its credentials, and its cgroup unless peer->err says why
 * not; the handler judges what it may ask). req is
 * NULL when the request was not one JSON object (the reply says so:
 * TG_CONTROL_BAD_REQUEST). *fd is a descriptor the client passed with the
 * request (SCM_RIGHTS), or -1; the handler may keep it by setting *fd to
 * -1, else it is closed. *conn is the client's socket: a handler that
 * answers it itself (a stream of lines after the reply, served by another
 * process) takes it by setting *conn to -1, and then the reply it returns
 * is only its record: nothing more is sent.
 */
typedef struct json_object *(*tg_control_handler)(void *ctx,
						  const struct tg_peer *peer,
						  struct json_object *req,
						  int *fd, int *conn);

/* {"ok": false, "error": msg}: a new JSON object. */
struct json_object *tg_control_error(const char *msg);

/*
 * Serve one pending client on listen_fd: read its request, let handle build
 * the reply, send it. Never blocks for more than about a second on a slow
 * peer. Returns 0 or -errno.
 */
int tg_control_serve(int listen_fd, tg_control_handler handle, void *ctx);

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

/*
 * One sendmsg of len bytes with fd (if >= 0) attached; bytes sent or -errno.
 * One recvmsg into buf; the first descriptor attached goes to *fd (if it is
 * still -1), others are closed. Bytes received or -errno.
 */
ssize_t tg_send_fd(int sock, const void *buf, size_t len, int fd);
ssize_t tg_recv_fd(int sock, void *buf, size_t len, int *fd);

#endif /* TG_COMMON_CONTROL_H */
