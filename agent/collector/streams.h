/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COLLECTOR_STREAMS_H
#define TG_COLLECTOR_STREAMS_H

#include <stddef.h>
#include <linux/types.h>

#include "collector/server.h"

/* Lines wait up to this long for more to share their fdatasync. */
#define COMMIT_WAIT_MS 2

/*
 * The stream with id, or a new one in the next slot no connected client
 * uses; NULL if every slot is in use.
 */
struct tg_collector_stream *tg_collector_stream(struct tg_collector *c,
						__u64 id);

/*
 * Whether the JSON object text (checked, or a stored line) is the agent's
 * own "kind": "agent", "op": "stop" event, which it sends last when it
 * stops. Only a text holding the string "stop" is parsed.
 */
int tg_collector_is_stop(const char *s, size_t len);

/* Where the streams of the last stored events stood, from the log's last
 * bytes (crash recovery). */
void tg_collector_seed_streams(struct tg_collector *c, size_t bytes);

/*
 * Put the end of each connection dropped since the last call in the log
 * (appended: the next commit makes it durable).
 */
void tg_collector_record_ended(struct tg_collector *c);

/*
 * A new event of the collector's own: time (also into time, time_cap
 * bytes), host, kind agent, verdict, tenant and target_tenant host, pid,
 * comm, op; the caller adds the rest. NULL when out of memory.
 */
struct json_object *tg_collector_own_event(const struct tg_collector *c,
					  pid_t pid, const char *comm,
					  const char *op, const char *verdict,
					  char *time, size_t time_cap);

#endif /* TG_COLLECTOR_STREAMS_H */
