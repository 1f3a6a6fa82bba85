// SPDX-License-Identifier: GPL-2.0
/*
 * Where each agent's stream stands in the log (the last agent_seq stored,
 * whether its last event was the agent's stop), found again in the log's
 * tail after a crash; and the collector's own record of a connection that
 * ended.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "collector/server.h"
#include "collector/streams.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/text.h"

struct tg_collector_stream *tg_collector_stream(struct tg_collector *c,
						__u64 id)
{
	unsigned int i, k;
	int used;

	for (i = 0; i < TG_COLLECTOR_STREAMS; i++)
		if (c->streams[i].id == id)
			return &c->streams[i];
	/* A new stream takes the next slot no connected client is using. */
	for (k = 0; k < TG_COLLECTOR_STREAMS; k++) {
		struct tg_collector_stream *s;

		s = &c->streams[c->next_stream++ % TG_COLLECTOR_STREAMS];
		used = 0;
		for (i = 0; i < TG_COLLECTOR_MAX_CLIENTS; i++)
			used |= (c->clients[i].fd >= 0 ||
				 c->clients[i].ended) &&
				c->clients[i].stream == s;
		if (!used) {
			*s = (struct tg_collector_stream){.id = id};
			return s;
		}
	}
	return NULL;
}

/*
 * Whether the JSON object text (checked, or a stored line) is the agent's
 * own "kind": "agent", "op": "stop" event, which it sends last when it
 * stops, or "op": "detach", which `tenantguard-agent --detach` sends last
 * before it exits. Only a text holding either string is parsed.
 */
int tg_collector_is_stop(const char *s, size_t len)
{
	struct json_tokener *tok;
	struct json_object *o;
	int stop;

	if ((!memmem(s, len, "\"stop\"", 6) &&
	     !memmem(s, len, "\"detach\"", 8)) ||
	    len > TG_EVENTLOG_MAX_LINE)
		return 0;
	tok = json_tokener_new();
	if (!tok)
		return 0;
	o = json_tokener_parse_ex(tok, s, (int)len);
	stop = o && strcmp(tg_json_str(o, "kind"), "agent") == 0 &&
	       (strcmp(tg_json_str(o, "op"), "stop") == 0 ||
		strcmp(tg_json_str(o, "op"), "detach") == 0);
	json_object_put(o);
	json_tokener_free(tok);
	return stop;
}

/*
 * One stored line: where its stream stood. The collector writes the stream
 * and its seq as the line's last keys, so the last occurrence is ours.
 */
static void seed_line(void *ctx, const char *line, size_t len)
{
	static const char key[] = ",\"agent_stream\":\"";
	struct tg_collector *c = ctx;
	struct tg_collector_stream *s;
	unsigned long long id, seq;
	const char *p = NULL, *q;
	char tail[96];
	int n = 0;

	for (q = line;
	     (q = memmem(q, (size_t)(line + len - q), key, sizeof(key) - 1));
	     q++)
		p = q;
	if (!p || (size_t)(line + len - p) >= sizeof(tail))
		return;
	snprintf(tail, sizeof(tail), "%.*s", (int)(line + len - p), p);
	if (sscanf(tail, ",\"agent_stream\":\"%16llx\",\"agent_seq\":%llu}%n",
		   &id, &seq, &n) != 2 ||
	    !id || (size_t)n != strlen(tail))
		return;
	s = tg_collector_stream(c, id);
	if (!s || seq <= s->now.seq)
		return;
	s->now.seq = s->now.stored_seq = seq;
	s->now.stopped = tg_collector_is_stop(line, len);
	s->durable = s->now;
}

void tg_collector_seed_streams(struct tg_collector *c, size_t bytes)
{
	tg_eventlog_tail(&c->log, bytes, seed_line, c);
}

/* Add v (NULL: out of memory) to o as key. */
static int add(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(o, key, v)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/*
 * The collector's own event for a connection that ended after its HELLO:
 * which stream it carried, where the stream stands in the log, and whether
 * the agent had stopped (its "stop" event stored last) or was lost.
 */
struct json_object *tg_collector_own_event(const struct tg_collector *c,
					  pid_t pid, const char *comm,
					  const char *op, const char *verdict,
					  char *time, size_t time_cap)
{
	struct json_object *o = json_object_new_object();
	int err = 0;

	if (!o)
		return NULL;
	tg_format_time(time, time_cap, tg_clock_ns(CLOCK_REALTIME));
	err = err ?: add(o, "time", json_object_new_string(time));
	err = err ?: add(o, "host", json_object_new_string(c->host));
	err = err ?: add(o, "kind", json_object_new_string("agent"));
	err = err ?: add(o, "verdict", json_object_new_string(verdict));
	err = err ?: add(o, "tenant", json_object_new_string("host"));
	err = err ?: add(o, "target_tenant", json_object_new_string("host"));
	err = err ?: add(o, "pid", json_object_new_int64(pid));
	err = err ?: add(o, "comm", json_object_new_string(comm));
	err = err ?: add(o, "op", json_object_new_string(op));
	if (err) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *ended_event(const struct tg_collector *c,
				       const struct tg_collector_client *cl)
{
	const struct tg_collector_pos *p = &cl->stream->now;
	struct json_object *o;
	char t[48], id[20], msg[256];
	int err = 0;

	o = tg_collector_own_event(c, cl->pid, cl->comm, "disconnected",
				   "allow", t, sizeof(t));
	if (!o)
		return NULL;
	snprintf(id, sizeof(id), "%016llx", (unsigned long long)cl->stream->id);
	if (p->stopped)
		snprintf(msg, sizeof(msg),
			 "the agent's connection ended after it stopped");
	else
		snprintf(
			msg, sizeof(msg),
			"the agent's connection was lost: events it produced after agent_seq %llu reach the log only when it comes back (kept in the kernel's ring buffer or the agent's spool)",
			(unsigned long long)p->stored_seq);
	err = err ?: add(o, "agent_stream", json_object_new_string(id));
	err = err
		      ?: add(o, "last_agent_seq",
			     json_object_new_int64((int64_t)p->stored_seq));
	err = err ?: add(o, "clean", json_object_new_boolean(p->stopped));
	err = err
		      ?: add(o, "events_stored",
			     json_object_new_int64((int64_t)cl->stored));
	err = err ?: add(o, "message", json_object_new_string(msg));
	if (err) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

void tg_collector_record_ended(struct tg_collector *c)
{
	struct tg_collector_client *cl;
	struct json_object *o;
	__u64 seq;
	int i, err;

	for (i = 0; i < TG_COLLECTOR_MAX_CLIENTS; i++) {
		cl = &c->clients[i];
		if (!cl->ended)
			continue;
		o = ended_event(c, cl);
		err = o ? tg_eventlog_append(&c->log, o, &seq) : -ENOMEM;
		json_object_put(o);
		if (err)
			tg_info("cannot record the end of agent pid %d's connection in %s: %s",
				(int)cl->pid, c->log.path, strerror(-err));
		else if (!cl->stream->now.stopped)
			tg_info("agent pid %d: connection lost after agent_seq %llu of stream %016llx",
				(int)cl->pid,
				(unsigned long long)cl->stream->now.stored_seq,
				(unsigned long long)cl->stream->id);
		cl->ended = 0;
		cl->stream = NULL;
	}
	if (c->log.w.len && !c->commit_due_ms)
		c->commit_due_ms = tg_now_ms() + COMMIT_WAIT_MS;
}
