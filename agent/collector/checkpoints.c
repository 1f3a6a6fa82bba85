// SPDX-License-Identifier: GPL-2.0
/*
 * The collector's signed checkpoints over the log's hash chain (the chain
 * itself is eventlog.c's, common/chain.h says what it is): its Ed25519 key,
 * the check of the chain at start, and a checkpoint every N lines, every T
 * seconds after a line, and at a clean stop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "collector/checkpoints.h"
#include "collector/streams.h"
#include "common/chain.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/sign_key.h"

#define KEY_SUFFIX ".key"
#define COMM	   "tenantguard-collector"

int tg_collector_public_key(const char *log_path, char hex[TG_CHAIN_HEX + 1])
{
	unsigned char sk[TG_CHAIN_SECRET], pk[TG_CHAIN_KEY];
	char path[PATH_MAX];
	int fd, err;

	if (sodium_init() < 0)
		return -EIO;
	if (snprintf(path, sizeof(path), "%s" KEY_SUFFIX, log_path) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = tg_sign_key_read(fd, sk, pk);
	close(fd);
	sodium_memzero(sk, sizeof(sk));
	if (!err)
		tg_chain_hex(pk, sizeof(pk), hex);
	return err;
}

static int make_key(struct tg_collector *c)
{
	int fd, err;

	fd = tg_eventlog_open_file(&c->log, KEY_SUFFIX,
				   O_WRONLY | O_CREAT | O_EXCL);
	if (fd < 0)
		return -errno;
	err = tg_sign_key_make(fd, c->sign_key, c->public_key);
	if (!err && fsync(c->log.dir_fd) < 0)
		err = -errno;
	close(fd);
	c->key_created = !err;
	return err;
}

int tg_collector_load_key(struct tg_collector *c)
{
	int fd, err;

	if (sodium_init() < 0)
		return -EIO;
	fd = tg_eventlog_open_file(&c->log, KEY_SUFFIX, O_RDWR);
	if (fd < 0 && errno == ENOENT)
		err = make_key(c);
	else if (fd < 0)
		err = -errno;
	else {
		err = tg_sign_key_read(fd, c->sign_key, c->public_key);
		close(fd);
	}
	if (!err)
		tg_chain_hex(c->public_key, sizeof(c->public_key),
			     c->public_hex);
	if (!c->checkpoint_lines)
		c->checkpoint_lines = TG_CHECKPOINT_LINES;
	if (!c->checkpoint_ms)
		c->checkpoint_ms = TG_CHECKPOINT_MS;
	return err;
}

/* What the check of the tail found. */
struct tail_check {
	struct tg_chain_verify v;
	unsigned long n, chained;
	__u64 first_seq, last_seq;
};

static void check_line(void *ctx, const char *line, size_t len)
{
	struct tail_check *t = ctx;
	const char *hex;
	size_t at;
	__u64 seq = 0;

	t->n++;
	if (tg_chain_parse(line, len, &seq, &at, &hex) == 1)
		t->chained++;
	if (seq && !t->first_seq)
		t->first_seq = seq;
	t->last_seq = seq ?: t->last_seq;
	tg_chain_verify_line(&t->v, t->n, line, len);
}

/* Append one of the collector's own events; 0 or -errno (logged). */
static int append(struct tg_collector *c, struct json_object *o,
		  const char *what)
{
	__u64 seq;
	int err = o ? tg_eventlog_append(&c->log, o, &seq) : -ENOMEM;

	json_object_put(o);
	if (err)
		tg_info("cannot record %s in %s: %s", what, c->log.path,
			strerror(-err));
	return err;
}

static void add_str(struct json_object *o, const char *k, const char *v)
{
	if (o)
		json_object_object_add(o, k, json_object_new_string(v));
}

static void add_u64(struct json_object *o, const char *k, __u64 v)
{
	if (o)
		json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

void tg_collector_check_chain(struct tg_collector *c, size_t bytes)
{
	struct tail_check t = {};
	__u64 recovered = c->log.chain_seq;
	char time[48], msg[768], head[TG_CHAIN_HEX + 1];
	struct json_object *o;

	memcpy(t.v.key, c->public_key, sizeof(t.v.key));
	t.v.key_pinned = 1;
	t.v.trust_start = 1;
	/* The live file, or, just after a rotation, the one before it. */
	tg_eventlog_tail_file(&c->log, 0, bytes, check_line, &t);
	if (!t.n)
		tg_eventlog_tail_file(&c->log, 1, bytes, check_line, &t);
	if (t.v.bad_entry) {
		snprintf(msg, sizeof(msg),
			 "the log's chain does not verify at start: %s; the "
			 "chain goes on from the value of its last line "
			 "(seq %llu): what is before this line is not vouched "
			 "for by the chain",
			 t.v.why, (unsigned long long)c->log.chain_seq);
		tg_warn("%s: %s", c->log.path, msg);
		o = tg_collector_own_event(c, getpid(), COMM, "chain_break",
					   "deny", time, sizeof(time));
		add_u64(o, "bad_seq", t.v.bad_seq);
		add_str(o, "message", msg);
		append(c, o, "the chain's break");
	} else if (t.n && !t.chained) {
		snprintf(msg, sizeof(msg),
			 "the chain starts here: the log's lines up to seq "
			 "%llu carry no chain (written before it)",
			 (unsigned long long)t.last_seq);
		tg_info("%s: %s", c->log.path, msg);
		o = tg_collector_own_event(c, getpid(), COMM, "chain_start",
					   "allow", time, sizeof(time));
		add_str(o, "message", msg);
		append(c, o, "the chain's start");
	}
	tg_chain_hex(c->log.chain, sizeof(c->log.chain), head);
	o = tg_collector_own_event(c, getpid(), COMM, "collector_start",
				   "allow", time, sizeof(time));
	add_str(o, "public_key", c->public_hex);
	add_u64(o, "chain_seq", c->log.chain_seq);
	add_str(o, "chain_head", head);
	if (o)
		json_object_object_add(o, "key_created",
				       json_object_new_boolean(c->key_created));
	append(c, o, "the collector's start");
	tg_info("checkpoints signed with Ed25519 public key %s%s",
		c->public_hex, c->key_created ? " (made now)" : "");
	/* The first checkpoint covers the start's events, when it is due. */
	c->checkpoint_seq = recovered;
}

int tg_collector_checkpoint_due(struct tg_collector *c, long long now_ms)
{
	if (c->log.chain_seq < c->checkpoint_seq)
		c->checkpoint_seq = c->log.chain_seq; /* a commit failed */
	if (c->stalled || c->log.chain_seq == c->checkpoint_seq) {
		c->checkpoint_due_ms = 0;
		return 0;
	}
	if (!c->checkpoint_due_ms)
		c->checkpoint_due_ms = now_ms + c->checkpoint_ms;
	return c->log.chain_seq - c->checkpoint_seq >= c->checkpoint_lines ||
	       now_ms >= c->checkpoint_due_ms;
}

int tg_collector_checkpoint(struct tg_collector *c)
{
	unsigned char sig[TG_CHAIN_SIG];
	char time[48], msg[512], hex[2 * TG_CHAIN_SIG + 1],
		head[TG_CHAIN_HEX + 1];
	struct json_object *o;
	size_t ml;
	int err;

	if (c->log.chain_seq == c->checkpoint_seq || !c->public_hex[0])
		return 0;
	o = tg_collector_own_event(c, getpid(), COMM, "checkpoint", "allow",
				   time, sizeof(time));
	ml = tg_chain_checkpoint_msg(msg, sizeof(msg), c->host,
				     c->log.chain_seq, c->log.chain, time);
	crypto_sign_detached(sig, NULL, (const unsigned char *)msg, ml,
			     c->sign_key);
	tg_chain_hex(sig, sizeof(sig), hex);
	tg_chain_hex(c->log.chain, sizeof(c->log.chain), head);
	add_u64(o, "position", c->log.chain_seq);
	add_str(o, "head", head);
	add_str(o, "public_key", c->public_hex);
	add_str(o, "signature", hex);
	err = append(c, o, "a checkpoint");
	c->checkpoint_due_ms = 0;
	if (!err)
		c->checkpoint_seq = c->log.chain_seq;
	return err;
}
