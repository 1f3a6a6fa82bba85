/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COLLECTOR_CHECKPOINTS_H
#define TG_COLLECTOR_CHECKPOINTS_H

#include "collector/server.h"

#define TG_CHECKPOINT_LINES 1000  /* default: a checkpoint every N lines */
#define TG_CHECKPOINT_MS    60000 /* or this long after a line, at most */

/*
 * The collector's signing key, signing.key in its state directory (hex of
 * the Ed25519 secret key, mode 0600, the collector user's), made on first
 * use; a key an earlier version kept beside the log (<log>.key) is moved
 * there (key_moved). Called as that user once the log is recovered. 0 or
 * -errno.
 */
int tg_collector_load_key(struct tg_collector *c);

/*
 * The public key the collector signs with as hex, for --print-key: the
 * state directory's, else (*old_place set) the one beside the log at
 * log_path that the next start moves there; 0 or -errno.
 */
int tg_collector_public_key(const char *state_dir, const char *log_path,
			    char hex[TG_CHAIN_HEX + 1], int *old_place);

/*
 * The head of the log's chain kept in the state directory, <log name>.head
 * (one line: "tenantguard-log-head-v1 SEQ CHAIN", the seq and chain value
 * of the last durable line), opened, locked and read (head_found); called
 * as the collector's user once the log is recovered. 0, -EBUSY when another
 * collector holds it (a log of the same file name: open_why says so), or
 * -errno.
 */
int tg_collector_open_head(struct tg_collector *c);

/*
 * Write the head of what is durable in the log there, when it moved (sync:
 * and make it durable, as at a clean stop). Never ahead of the log.
 */
void tg_collector_save_head(struct tg_collector *c, int sync);

/*
 * Check the chain over the log's tail (its last bytes, with the
 * checkpoints signed by the collector's key) and put the start event in
 * the log: op collector_start with the public key; before it, when the
 * tail does not verify, op chain_break (and a warning on stderr), or, when
 * the log's lines carry no chain yet, op chain_start; and when the log's
 * end is not the head kept in the state directory, op log_truncated (lines
 * removed from its end) or log_tampered (its lines up to the head changed),
 * with a warning.
 */
void tg_collector_check_chain(struct tg_collector *c, size_t bytes);

/* Whether a checkpoint is due now (lines since the last one, time). */
int tg_collector_checkpoint_due(struct tg_collector *c, long long now_ms);

/* Append a checkpoint if any line came since the last; 0 or -errno. */
int tg_collector_checkpoint(struct tg_collector *c);

#endif /* TG_COLLECTOR_CHECKPOINTS_H */
