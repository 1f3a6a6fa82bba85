/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hash chain over the collector's log, and its signed checkpoints.
 *
 * Each stored line carries, right after its "seq", the member
 * "chain":"<64 hex>": the chain's value up to and including that line,
 *
 *   line_hash = SHA-256(the line without that member)
 *   chain     = SHA-256("tenantguard-chain-v1" || chain of the line before
 *                       || line_hash)
 *
 * (32 zero bytes before the first chained line). Since chain format 2 each
 * line also carries, right after its chain member, "salt":"<32 hex>": 16
 * random bytes of its own, which line_hash covers like every other member.
 * So a line's hash, all a report shows of another tenant's line, cannot be
 * tested against a guess of that line (its every field guessed right still
 * misses the salt); the chain, the stubs and the checker are as in format
 * 1, whose lines (without salt) verify as before. A checkpoint is a line of
 * the collector's own ("kind":"agent","op":"checkpoint") whose Ed25519
 * signature covers its host, "position" (the seq of the line before it),
 * "head" (the chain after that line) and "time". A report carries the
 * lines of one tenant in full and every other line only as its line_hash,
 * {"seq":N,"line_sha256":"<64 hex>"}: enough to recompute the chain.
 */
#ifndef TG_COMMON_CHAIN_H
#define TG_COMMON_CHAIN_H

#include <stddef.h>
#include <linux/types.h>

#define TG_CHAIN_BYTES	32
#define TG_CHAIN_HEX	64
#define TG_CHAIN_KEY	32 /* Ed25519 public key */
#define TG_CHAIN_SECRET 64 /* Ed25519 secret key (libsodium's form) */
#define TG_CHAIN_SIG	64
/* ,"chain":"<64 hex>" */
#define TG_CHAIN_MEMBER	  (sizeof(",\"chain\":\"") - 1 + TG_CHAIN_HEX + 1)
#define TG_CHAIN_STUB_MAX 128 /* a stub line, with its NUL */
#define TG_CHAIN_FORMAT	  2   /* lines carry a salt (see above) */
#define TG_CHAIN_SALT	  16  /* random bytes of a line's salt */
/* ,"salt":"<32 hex>" */
#define TG_CHAIN_SALT_MEMBER                                                   \
	(sizeof(",\"salt\":\"") - 1 + 2 * TG_CHAIN_SALT + 1)

/* A new salt member, ,"salt":"<32 hex>", into out (with its NUL). */
void tg_chain_salt_member(char out[TG_CHAIN_SALT_MEMBER + 1]);

/* The chain after a line whose line_hash is lh, following prev. */
void tg_chain_link(const unsigned char prev[TG_CHAIN_BYTES],
		   const unsigned char lh[TG_CHAIN_BYTES],
		   unsigned char out[TG_CHAIN_BYTES]);

/*
 * Where a stored line's chain member starts (*at, past the digits of its
 * seq) and its value (*hex, 64 characters); *seq its seq. 1 when it has
 * one, 0 when it is a line of the log without (*at and *hex unset), -1
 * when it does not start as a line of the log ({"seq":N).
 */
int tg_chain_parse(const char *line, size_t len, __u64 *seq, size_t *at,
		   const char **hex);

/* line_hash of a stored line: without its chain member, if any. */
void tg_chain_line_hash(const char *line, size_t len,
			unsigned char out[TG_CHAIN_BYTES]);

/* The stub of a stored line in a report, into out; its length or -EINVAL. */
int tg_chain_stub(const char *line, size_t len, char out[TG_CHAIN_STUB_MAX]);

/* Whether a stored line is a checkpoint (cheap, by its text). */
int tg_chain_is_checkpoint(const char *line, size_t len);

/*
 * Whether a stored line anchors a report: a checkpoint, or the first line
 * of a chain (its value follows from zero), which is always one of the
 * collector's own (kind agent, tenant host: its start). Such lines go in
 * full into every report.
 */
int tg_chain_is_anchor(const char *line, size_t len);

/*
 * Whether a stored line is one in which the collector recorded that the
 * log was changed behind it: its own op chain_break, log_truncated or
 * log_tampered. Such lines go in full into every report that spans them
 * (never as a stub), and a report that holds one does not verify.
 */
int tg_chain_is_notice(const char *line, size_t len);

/* hex (2n characters) to n bytes; 0 or -EINVAL. */
int tg_chain_unhex(const char *hex, size_t hexlen, unsigned char *out,
		   size_t n);
/* n bytes as hex into out (2n + 1 bytes). */
void tg_chain_hex(const unsigned char *in, size_t n, char *out);

/* The bytes a checkpoint's signature covers, into out; their length. */
size_t tg_chain_checkpoint_msg(char *out, size_t cap, const char *host,
			       __u64 position,
			       const unsigned char head[TG_CHAIN_BYTES],
			       const char *time);

/* The checker of a sequence of lines: a report, or the log's tail. */
struct tg_chain_verify {
	/* Set before the first line. */
	unsigned char key[TG_CHAIN_KEY]; /* checkpoints must be signed so */
	int key_pinned;			 /* key set by the caller */
	int trust_start; /* the log's tail: the first chained line anchors */
	/* State. */
	unsigned char head[TG_CHAIN_BYTES];
	int anchored, have_key, seen, last_checkpoint;
	__u64 last_seq, last_cp_seq;
	unsigned long entries, full, stubs, checkpoints, breaks;
	/* The first failure: where (entry number, 1 = first line fed) and why.
	 */
	unsigned long bad_entry;
	__u64 bad_seq;
	char why[512];
};

/*
 * Feed the next line (a stored line, a stub, or a report's header, which is
 * skipped); n numbers it. 0, or -EBADMSG with bad_entry, bad_seq and why
 * set (then stop feeding).
 */
int tg_chain_verify_line(struct tg_chain_verify *v, unsigned long n,
			 const char *line, size_t len);

#endif /* TG_COMMON_CHAIN_H */
