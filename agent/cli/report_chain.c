// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard report --chain: the events listed with the hash chain over
 * them (common/chain.h): from the checkpoint before the first event listed
 * to the checkpoint after the last one, each line listed in full, each
 * other line only as its hash, each checkpoint in full. tenantguard report
 * --verify FILE [--key KEY]: recompute that chain, check the checkpoints'
 * signatures, name the first line that breaks it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/report_chain.h"
#include "common/chain.h"
#include "common/log.h"
#include "common/logread.h"

static int put_line(struct tg_buf *b, const char *line, size_t len)
{
	return tg_buf_put(b, line, len) ?: tg_buf_put(b, "\n", 1);
}

static int flush(struct report_chain *rc)
{
	if (rc->seg.len &&
	    fwrite(rc->seg.p, 1, rc->seg.len, stdout) != rc->seg.len)
		return -EIO;
	rc->seg.len = 0;
	rc->seg_match = 0;
	return 0;
}

int report_chain_header(const char *tenant, const char *selection)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "tenantguard_report",
			       json_object_new_string("chain-v2"));
	json_object_object_add(o, "tenant",
			       tenant ? json_object_new_string(tenant) : NULL);
	if (selection)
		json_object_object_add(o, "selection",
				       json_object_new_string(selection));
	printf("%s\n", json_object_to_json_string_ext(
			       o, JSON_C_TO_STRING_PLAIN |
					  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return 0;
}

int report_chain_line(struct report_chain *rc, const char *line, size_t len,
		      int match)
{
	char stub[TG_CHAIN_STUB_MAX];
	int n, err;

	if (tg_chain_is_anchor(line, len)) {
		/* Before the first event listed, only the last one counts. */
		if (!rc->started)
			rc->seg.len = 0;
		err = put_line(&rc->seg, line, len);
		return err ?: rc->seg_match ? flush(rc) : 0;
	}
	if (match) {
		rc->started = rc->seg_match = 1;
		rc->listed++;
		return put_line(&rc->seg, line, len);
	}
	/*
	 * What the collector recorded of a change behind it, in full: within
	 * the report's span (once it started, up to the checkpoint after),
	 * and so is the span up to the next checkpoint.
	 */
	if (tg_chain_is_notice(line, len)) {
		rc->seg_match |= rc->started;
		return put_line(&rc->seg, line, len);
	}
	/* A stub the agent sent stays one; other lines become one. */
	if (memmem(line, len, "\"line_sha256\"", 13) && len < sizeof(stub))
		return put_line(&rc->seg, line, len);
	n = tg_chain_stub(line, len, stub);
	return n < 0 ? 0 : put_line(&rc->seg, stub, (size_t)n);
}

int report_chain_end(struct report_chain *rc)
{
	int err = rc->seg_match ? flush(rc) : 0;

	tg_buf_free(&rc->seg);
	fflush(stdout);
	return err;
}

/* --key: 64 hex characters, or a file that holds them. */
static int read_key(const char *arg, unsigned char key[TG_CHAIN_KEY])
{
	char buf[TG_CHAIN_HEX + 2] = "";
	ssize_t n;
	int fd;

	if (!tg_chain_unhex(arg, strlen(arg), key, TG_CHAIN_KEY))
		return 0;
	fd = open(arg, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < TG_CHAIN_HEX)
		return -EINVAL;
	return tg_chain_unhex(buf, TG_CHAIN_HEX, key, TG_CHAIN_KEY);
}

static int verify_line(void *ctx, const char *file, unsigned long n,
		       const char *line, size_t len)
{
	struct tg_chain_verify *v = ctx;

	return tg_chain_verify_line(v, n, line, len) ? -ECANCELED : 0;
}

int report_chain_verify(const char *file, const char *key_arg)
{
	struct tg_chain_verify v = {};
	struct tg_logread r = {.line = verify_line, .ctx = &v};
	char key[TG_CHAIN_HEX + 1];
	unsigned long lineno = 0;
	int fd, err;

	if (sodium_init() < 0)
		return tg_err(2, "libsodium cannot start");
	if (key_arg) {
		err = read_key(key_arg, v.key);
		if (err)
			return tg_err(2,
				      "--key '%s': not an Ed25519 public key "
				      "(64 hex characters, or a file holding "
				      "them): %s",
				      key_arg, strerror(-err));
		v.key_pinned = 1;
	}
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return tg_err(2, "cannot open %s: %s", file, strerror(errno));
	err = tg_logread_fd(&r, fd, file, &lineno);
	close(fd);
	if (!err && r.carry.len)
		err = verify_line(&v, file, ++lineno, r.carry.p, r.carry.len);
	tg_buf_free(&r.carry);
	if (v.bad_entry) {
		printf("%s: line %lu: REFUSED: %s\n", file, v.bad_entry, v.why);
		return 1;
	}
	if (err || r.bad)
		return tg_err(2, "%s: cannot be read whole", file);
	if (!v.entries || !v.checkpoints) {
		printf("%s: REFUSED: %s\n", file,
		       v.entries ? "no signed checkpoint in it"
				 : "no line of the log in it");
		return 1;
	}
	tg_chain_hex(v.key, sizeof(v.key), key);
	printf("%s: verified: %lu lines (%lu in full, %lu as hashes) up to "
	       "seq %llu, %lu checkpoints signed by %s key %s\n",
	       file, v.entries, v.full, v.stubs, (unsigned long long)v.last_seq,
	       v.checkpoints,
	       v.key_pinned ? "the given"
			    : "the report's own (unpinned: "
			      "compare it with the collector's)",
	       key);
	if (!v.last_checkpoint)
		printf("%s: note: the lines after seq %llu are under no "
		       "checkpoint yet: chained, not signed\n",
		       file, (unsigned long long)v.last_cp_seq);
	return 0;
}
