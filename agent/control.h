/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_CONTROL_H
#define TG_CONTROL_H

#include <stddef.h>

struct json_object;

#define TG_CONTROL_MAX_REQUEST 4096
#define TG_CONTROL_MAX_REPLY (64u << 20)

/*
 * The control socket: AF_UNIX stream, mode 0600, root peers only. A client
 * sends one JSON object and a newline ({"cmd":"status"}), the agent answers
 * with one JSON object and closes.
 */
int tg_control_listen(const char *path);

/*
 * Serve one pending client on listen_fd: read its request, let handle build
 * the reply (a new JSON object), send it. Never blocks for more than about a
 * second on a slow peer. Returns 0 or -errno.
 */
int tg_control_serve(int listen_fd,
		     struct json_object *(*handle)(void *ctx,
						   struct json_object *req),
		     void *ctx);

/* Client: send req, return the reply (NULL with errno). */
struct json_object *tg_control_call(const char *path, struct json_object *req);

#endif /* TG_CONTROL_H */
