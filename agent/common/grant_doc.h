/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COMMON_GRANT_DOC_H
#define TG_COMMON_GRANT_DOC_H

/*
 * Grant requests and approvals as canonical documents (docs/grants.md): a
 * subset of RFC 8785 JSON: one object, keys sorted by byte, no whitespace,
 * values only strings (printable ASCII but in "reason", which may hold
 * UTF-8; only \" and \\ are escaped), non-negative integers without sign,
 * fraction or leading zero, and arrays of strings. A document is accepted
 * only when its bytes are exactly the canonical form of what they say.
 */
#include <stddef.h>
#include <linux/types.h>

#define TG_GRANT_VERSION       1
#define TG_GRANT_REQUEST_TYPE  "tenantguard-grant-request"
#define TG_GRANT_APPROVAL_TYPE "tenantguard-grant-approval"
#define TG_GRANT_REVOCATION_TYPE "tenantguard-grant-revocation"
#define TG_APPROVERS_UPDATE_TYPE "tenantguard-approvers-update"
#define TG_GRANT_MAX_DOC       16384	   /* bytes of one document */
#define TG_GRANT_MAX_DURATION  (8 * 3600)  /* seconds a grant may last */
#define TG_GRANT_MAX_ACTIVATE  (7 * 86400) /* created .. activate_by */
#define TG_GRANT_MAX_PATHS     32
#define TG_GRANT_PATH_MAX      1024 /* bytes of a path, with NUL */
#define TG_GRANT_REASON_MAX    512  /* bytes of the reason, with NUL */
#define TG_GRANT_ID_HEX	       32   /* 128 bits */
#define TG_GRANT_ERR_MAX       256  /* a message, with NUL */

/* The operations a grant may allow (the bits of tg_grant_request.ops). */
enum tg_grant_op {
	TG_GRANT_OP_CONNECT = 1u << 0,
	TG_GRANT_OP_EXEC = 1u << 1,
	TG_GRANT_OP_PTRACE = 1u << 2,
	TG_GRANT_OP_READ = 1u << 3,
	TG_GRANT_OP_SIGNAL = 1u << 4,
	TG_GRANT_OP_WRITE = 1u << 5,
};
#define TG_GRANT_OPS_FILE                                                      \
	(TG_GRANT_OP_READ | TG_GRANT_OP_WRITE | TG_GRANT_OP_EXEC)

struct tg_grant_request {
	char id[TG_GRANT_ID_HEX + 1]; /* lowercase hex */
	char tenant[64];
	__u32 login_uid;  /* of the support actor; not 4294967295 */
	char user[33];	  /* its name */
	unsigned int ops; /* enum tg_grant_op bits, at least one */
	char **paths;	  /* sorted, distinct; only with file ops */
	unsigned int n_paths;
	__u32 duration; /* seconds, 1..TG_GRANT_MAX_DURATION */
	char reason[TG_GRANT_REASON_MAX];
	__u64 created;	   /* unix seconds */
	__u64 activate_by; /* unix seconds, after created */
	char host[65];	   /* machine id, or the host name */
	char boot_id[37];  /* /proc/sys/kernel/random/boot_id */
};

struct tg_grant_approval {
	char request_id[TG_GRANT_ID_HEX + 1];
	char request_sha256[65]; /* of the request's canonical bytes, hex */
	unsigned char key[32];	 /* the approver's Ed25519 public key */
	unsigned char sig[64];	 /* over tg_grant_signed_bytes() */
	__u64 expires;		 /* unix seconds */
};

/*
 * A tenant's revocation of a grant, signed by one of its approver keys:
 * the signature is over TG_GRANT_REVOKE_DOMAIN and the canonical bytes of
 * the document without "key" and "signature" (tg_grant_revocation_body).
 */
struct tg_grant_revocation {
	char grant[TG_GRANT_ID_HEX + 1]; /* the grant's (its request's) id */
	char tenant[64];
	__u64 created;		/* unix seconds */
	unsigned char key[32];	/* the approver's Ed25519 public key */
	unsigned char sig[64];
};

/*
 * A change of a tenant's approver keys, approved (tenantguard grant
 * approve, the approval format of requests) by need of its current keys.
 */
#define TG_UPDATE_KEYS_MAX 16
struct tg_approvers_update {
	char id[TG_GRANT_ID_HEX + 1];
	char tenant[64];
	__u64 created;			     /* unix seconds */
	char keys[TG_UPDATE_KEYS_MAX][45];   /* base64, sorted, distinct */
	unsigned int n_keys;
	unsigned int need;		     /* 1..n_keys */
};

/* The name of one op bit, or NULL. */
const char *tg_grant_op_name(unsigned int op);
/* "read,exec" into *ops: 0, or -EINVAL naming the bad word in err. */
int tg_grant_ops_parse(const char *s, unsigned int *ops, char *err,
		       size_t errlen);

/*
 * Checks r as a whole (every field in range, paths sorted and distinct and
 * only with file ops, activate_by after created): 0, or -EINVAL with the
 * reason in err.
 */
int tg_grant_request_check(const struct tg_grant_request *r, char *err,
			   size_t errlen);

/* Whether id is a request id: 32 lowercase hex digits. */
int tg_grant_id_valid(const char *id);

/* A fresh request id (128 bits from the kernel's random source). */
int tg_grant_new_id(char id[TG_GRANT_ID_HEX + 1]);

/* Sort paths and add one (a copy): 0, -EEXIST, -E2BIG or -ENOMEM. */
int tg_grant_request_add_path(struct tg_grant_request *r, const char *path);
void tg_grant_request_free(struct tg_grant_request *r);

/*
 * The canonical bytes of r (checked first) into *out (malloc'd, followed
 * by a NUL that *len does not count; no newline): 0, -EINVAL (err) or
 * -ENOMEM.
 */
int tg_grant_request_serialise(const struct tg_grant_request *r, char **out,
			       size_t *len, char *err, size_t errlen);

/*
 * Parse len bytes of a request strictly: valid JSON, exactly the fields
 * of version 1 with their types, every check of tg_grant_request_check,
 * and bytes equal to the canonical form (one trailing newline is allowed,
 * as files end with one). 0 or -EINVAL (err says what and which field);
 * free r with tg_grant_request_free.
 */
int tg_grant_request_parse(const char *buf, size_t len,
			   struct tg_grant_request *r, char *err,
			   size_t errlen);

/* The same for an approval: 0 or -ENOMEM. */
int tg_grant_approval_serialise(const struct tg_grant_approval *a, char **out,
				size_t *len);
int tg_grant_approval_parse(const char *buf, size_t len,
			    struct tg_grant_approval *a, char *err,
			    size_t errlen);

/*
 * A revocation's signed body into *out (malloc'd, NUL after *len), its
 * whole document, and the strict parse of one (canonical bytes only, as
 * for requests): 0, -EINVAL (err) or -ENOMEM.
 */
/* An update's canonical bytes, and its strict parse (as requests). */
int tg_approvers_update_serialise(const struct tg_approvers_update *u,
				  char **out, size_t *len, char *err,
				  size_t errlen);
int tg_approvers_update_parse(const char *buf, size_t len,
			      struct tg_approvers_update *u, char *err,
			      size_t errlen);
void tg_approvers_update_sort(struct tg_approvers_update *u);

int tg_grant_revocation_body(const struct tg_grant_revocation *r, char **out,
			     size_t *len);
int tg_grant_revocation_serialise(const struct tg_grant_revocation *r,
				  char **out, size_t *len);
int tg_grant_revocation_parse(const char *buf, size_t len,
			      struct tg_grant_revocation *r, char *err,
			      size_t errlen);

#endif /* TG_COMMON_GRANT_DOC_H */
