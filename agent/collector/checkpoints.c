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
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/checkpoints.h"
#include "collector/streams.h"
#include "common/chain.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/sign_key.h"

#define KEY_NAME       "signing.key" /* in the state directory */
#define OLD_KEY_SUFFIX ".key"	     /* beside the log, before */
#define COMM	       "tenantguard-collector"
#define KEY_HEX	       (2 * TG_CHAIN_SECRET)
#define HEAD_SUFFIX    ".head"
#define HEAD_MAGIC     "tenantguard-log-head-v1"
/* HEAD_MAGIC, a space, 20 digits, a space, 64 hex, a newline. */
#define HEAD_LEN (sizeof(HEAD_MAGIC) + 21 + TG_CHAIN_HEX + 1)

/* The public key in the key file at dir_fd/name as hex; 0 or -errno. */
static int public_key_at(int dir_fd, const char *name,
			 char hex[TG_CHAIN_HEX + 1])
{
	unsigned char sk[TG_CHAIN_SECRET], pk[TG_CHAIN_KEY];
	int fd, err;

	fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = tg_sign_key_read(fd, sk, pk);
	close(fd);
	sodium_memzero(sk, sizeof(sk));
	if (!err)
		tg_chain_hex(pk, sizeof(pk), hex);
	return err;
}

int tg_collector_public_key(const char *state_dir, const char *log_path,
			    char hex[TG_CHAIN_HEX + 1], int *old_place)
{
	char name[PATH_MAX];
	int err;

	if (sodium_init() < 0)
		return -EIO;
	*old_place = 0;
	if (snprintf(name, sizeof(name), "%s/" KEY_NAME, state_dir) >=
	    (int)sizeof(name))
		return -ENAMETOOLONG;
	err = public_key_at(AT_FDCWD, name, hex);
	if (err != -ENOENT)
		return err;
	/* Not moved yet: the collector moves it at its next start. */
	if (snprintf(name, sizeof(name), "%s" OLD_KEY_SUFFIX, log_path) >=
	    (int)sizeof(name))
		return -ENAMETOOLONG;
	err = public_key_at(AT_FDCWD, name, hex);
	*old_place = !err;
	return err;
}

/*
 * Put sk in the state directory as KEY_NAME, whole or not at all: written
 * to a name of this process's, made durable, then linked (-EEXIST when a
 * key is there already, which then stands).
 */
static int install_key(struct tg_collector *c,
		       const unsigned char sk[TG_CHAIN_SECRET])
{
	char hex[KEY_HEX + 2], tmp[64];
	int fd, err = 0;

	snprintf(tmp, sizeof(tmp), KEY_NAME ".%d", (int)getpid());
	unlinkat(c->state_fd, tmp, 0);
	fd = openat(c->state_fd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	tg_chain_hex(sk, TG_CHAIN_SECRET, hex);
	hex[KEY_HEX] = '\n';
	errno = 0;
	if (fchmod(fd, 0600) < 0 ||
	    write(fd, hex, KEY_HEX + 1) != KEY_HEX + 1 || fsync(fd) < 0)
		err = errno ? -errno : -EIO;
	sodium_memzero(hex, sizeof(hex));
	close(fd);
	if (!err && linkat(c->state_fd, tmp, c->state_fd, KEY_NAME, 0) < 0)
		err = -errno;
	unlinkat(c->state_fd, tmp, 0);
	if (!err && fsync(c->state_fd) < 0)
		err = -errno;
	return err;
}

/* A new key pair, kept in the state directory. */
static int make_key(struct tg_collector *c)
{
	int err;

	crypto_sign_keypair(c->public_key, c->sign_key);
	err = install_key(c, c->sign_key);
	c->key_created = !err;
	return err;
}

/*
 * The key an earlier version kept beside the log (<log>.key), moved to the
 * state directory: copied there, then removed from the log's directory.
 * -ENOENT when there is none.
 */
static int move_old_key(struct tg_collector *c)
{
	char name[PATH_MAX + 8];
	int fd, err;

	fd = tg_eventlog_open_file(&c->log, OLD_KEY_SUFFIX, O_RDONLY);
	if (fd < 0)
		return -errno;
	err = tg_sign_key_read(fd, c->sign_key, c->public_key);
	close(fd);
	if (!err)
		err = install_key(c, c->sign_key);
	if (err)
		return err == -ENOENT ? -EIO : err;
	snprintf(name, sizeof(name), "%s" OLD_KEY_SUFFIX, c->log.name);
	if (unlinkat(c->log.dir_fd, name, 0) < 0 || fsync(c->log.dir_fd) < 0)
		return -errno;
	c->key_moved = 1;
	return 0;
}

/*
 * A key left beside the log although the state directory has one (a move
 * cut short): removed when it is the same key, else left and warned of.
 */
static void old_key_left(struct tg_collector *c)
{
	unsigned char sk[TG_CHAIN_SECRET], pk[TG_CHAIN_KEY];
	char name[PATH_MAX + 8];
	int fd = tg_eventlog_open_file(&c->log, OLD_KEY_SUFFIX, O_RDONLY);
	int same;

	if (fd < 0)
		return;
	same = !tg_sign_key_read(fd, sk, pk) &&
	       !sodium_memcmp(sk, c->sign_key, sizeof(sk));
	close(fd);
	sodium_memzero(sk, sizeof(sk));
	snprintf(name, sizeof(name), "%s" OLD_KEY_SUFFIX, c->log.name);
	if (same && unlinkat(c->log.dir_fd, name, 0) == 0)
		fsync(c->log.dir_fd);
	else if (!same)
		tg_warn("%s" OLD_KEY_SUFFIX ": another signing key than the "
			"state directory's, left alone (remove it: the key "
			"is %s/" KEY_NAME ")",
			c->log.path, c->state_dir);
}

int tg_collector_load_key(struct tg_collector *c)
{
	int fd, err;

	if (sodium_init() < 0)
		return -EIO;
	fd = openat(c->state_fd, KEY_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		err = move_old_key(c);
		if (err == -ENOENT)
			err = make_key(c);
		/* Another collector sharing the directory made it first. */
		if (err == -EEXIST)
			fd = openat(c->state_fd, KEY_NAME,
				    O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (err == -EEXIST && fd < 0)
			err = -errno;
		else if (err == -EEXIST)
			c->key_created = c->key_moved = 0;
	} else {
		err = fd < 0 ? -errno : 0;
	}
	if (fd >= 0) {
		err = tg_sign_key_read(fd, c->sign_key, c->public_key);
		close(fd);
		if (!err)
			old_key_left(c);
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

int tg_collector_open_head(struct tg_collector *c)
{
	char name[PATH_MAX + 8], buf[HEAD_LEN + 2] = "", *end = NULL;
	ssize_t n;
	int fd;

	snprintf(name, sizeof(name), "%s" HEAD_SUFFIX, c->log.name);
	fd = openat(c->state_fd, name,
		    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	/* One collector per head: a log of the same name elsewhere is not. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		n = errno == EWOULDBLOCK ? -EBUSY : -errno;
		if (n == -EBUSY)
			snprintf(c->open_why, sizeof(c->open_why),
				 "%s/%s: in use by another collector: give "
				 "each log of that file name a state directory "
				 "of its own (--state-dir)",
				 c->state_dir, name);
		close(fd);
		return (int)n;
	}
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0 || fchmod(fd, 0600) < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	c->head_fd = fd;
	c->head_found = n ? -1 : 0;
	if ((size_t)n != HEAD_LEN ||
	    memcmp(buf, HEAD_MAGIC " ", sizeof(HEAD_MAGIC)) ||
	    buf[HEAD_LEN - 1] != '\n' ||
	    buf[HEAD_LEN - TG_CHAIN_HEX - 2] != ' ')
		return 0;
	c->head_seq = strtoull(buf + sizeof(HEAD_MAGIC), &end, 10);
	if (end != buf + HEAD_LEN - TG_CHAIN_HEX - 2 ||
	    tg_chain_unhex(end + 1, TG_CHAIN_HEX, c->head_chain,
			   sizeof(c->head_chain)))
		return 0;
	c->head_found = 1;
	c->head_saved = c->head_seq;
	return 0;
}

void tg_collector_save_head(struct tg_collector *c, int sync)
{
	char buf[HEAD_LEN + 1], hex[TG_CHAIN_HEX + 1];
	const struct tg_eventlog *l = &c->log;

	if (c->head_fd < 0 || (!sync && c->head_found > 0 &&
			       l->chain_seq_committed == c->head_saved))
		return;
	tg_chain_hex(l->chain_committed, sizeof(l->chain_committed), hex);
	snprintf(buf, sizeof(buf), HEAD_MAGIC " %020llu %s\n",
		 (unsigned long long)l->chain_seq_committed, hex);
	/* Cut to its length once: a file longer than a head was found. */
	if (pwrite(c->head_fd, buf, HEAD_LEN, 0) != (ssize_t)HEAD_LEN ||
	    (c->head_found < 1 && ftruncate(c->head_fd, HEAD_LEN) < 0) ||
	    (sync && fdatasync(c->head_fd) < 0))
		return; /* the next commit writes it again */
	c->head_saved = l->chain_seq_committed;
	c->head_found = 1;
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

/* The chain value of the line of seq seq, when found in the tail. */
struct find_seq {
	__u64 seq;
	int found;
	unsigned char chain[TG_CHAIN_BYTES];
};

static void find_line(void *ctx, const char *line, size_t len)
{
	struct find_seq *f = ctx;
	const char *hex = NULL;
	size_t at;
	__u64 seq = 0;
	int has = tg_chain_parse(line, len, &seq, &at, &hex);

	if (has < 0 || seq != f->seq)
		return;
	f->found = 1;
	memset(f->chain, 0, sizeof(f->chain));
	if (has == 1)
		tg_chain_unhex(hex, TG_CHAIN_HEX, f->chain, sizeof(f->chain));
}

/*
 * The log's end against the head kept in the state directory: NULL when
 * they agree (or no head is kept yet), else the op of the event to store,
 * its message in msg.
 */
static const char *head_differs(struct tg_collector *c, size_t bytes, char *msg,
				size_t cap)
{
	const struct tg_eventlog *l = &c->log;
	struct find_seq f = {.seq = c->head_seq};
	unsigned long long hs = c->head_seq, ls = l->chain_seq;

	if (c->head_found < 0) {
		snprintf(msg, cap,
			 "the chain's head kept in %s/%s" HEAD_SUFFIX " is not "
			 "one the collector writes (edited or damaged): "
			 "whether lines were removed from or changed at the "
			 "log's end cannot be told",
			 c->state_dir, l->name);
		return "log_tampered";
	}
	if (!c->head_found)
		return NULL;
	if (ls < hs) {
		snprintf(msg, cap,
			 "the log ends at seq %llu, but the collector had "
			 "stored up to seq %llu: lines %llu..%llu were removed "
			 "from its end while the collector was stopped",
			 ls, hs, ls + 1, hs);
		return "log_truncated";
	}
	if (ls == hs) {
		f.found = 1;
		memcpy(f.chain, l->chain, sizeof(f.chain));
	} else {
		/* Lines stored after the head (a crash before writing it). */
		tg_eventlog_tail_file(l, 0, bytes, find_line, &f);
		if (!f.found)
			tg_eventlog_tail_file(l, 1, bytes, find_line, &f);
	}
	if (!f.found) {
		snprintf(msg, cap,
			 "seq %llu, the last line the collector stored, is "
			 "not in the log's last files (it ends at seq %llu): "
			 "the log's end was replaced while the collector was "
			 "stopped",
			 hs, ls);
		return "log_tampered";
	}
	if (memcmp(f.chain, c->head_chain, sizeof(f.chain))) {
		snprintf(msg, cap,
			 "seq %llu is not the line the collector stored there "
			 "(its chain value differs from the head kept in the "
			 "state directory): lines up to it were changed or "
			 "replaced while the collector was stopped",
			 hs);
		return "log_tampered";
	}
	return NULL;
}

/* Store what head_differs found; the name of the result. */
static const char *check_head(struct tg_collector *c, size_t bytes)
{
	char time[48], msg[768], hex[TG_CHAIN_HEX + 1];
	const char *op = head_differs(c, bytes, msg, sizeof(msg));
	struct json_object *o;

	if (!op)
		return c->head_found ? "ok" : "none";
	tg_warn("%s: %s", c->log.path, msg);
	o = tg_collector_own_event(c, getpid(), COMM, op, "deny", time,
				   sizeof(time));
	if (c->head_found > 0) {
		tg_chain_hex(c->head_chain, sizeof(c->head_chain), hex);
		add_u64(o, "head_seq", c->head_seq);
		add_str(o, "head_chain", hex);
	}
	tg_chain_hex(c->log.chain, sizeof(c->log.chain), hex);
	add_u64(o, "log_seq", c->log.chain_seq);
	add_str(o, "log_chain", hex);
	add_str(o, "message", msg);
	append(c, o, op);
	return op;
}

void tg_collector_check_chain(struct tg_collector *c, size_t bytes)
{
	struct tail_check t = {};
	__u64 recovered = c->log.chain_seq;
	char time[48], msg[768], head[TG_CHAIN_HEX + 1];
	const char *head_check = check_head(c, bytes);
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
	if (o && c->key_moved)
		json_object_object_add(o, "key_moved",
				       json_object_new_boolean(1));
	add_str(o, "chain_head", head);
	add_str(o, "head_check", head_check);
	add_u64(o, "chain_format", TG_CHAIN_FORMAT);
	if (o)
		json_object_object_add(o, "key_created",
				       json_object_new_boolean(c->key_created));
	append(c, o, "the collector's start");
	tg_info("checkpoints signed with Ed25519 public key %s%s%s, kept in "
		"%s/" KEY_NAME,
		c->public_hex, c->key_created ? " (made now)" : "",
		c->key_moved ? " (moved there now from beside the log)" : "",
		c->state_dir);
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
