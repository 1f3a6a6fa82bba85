/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COMMON_GRANT_VERIFY_H
#define TG_COMMON_GRANT_VERIFY_H

/*
 * Approvals of grant requests: Ed25519 (libsodium) signatures by a
 * tenant's approver keys over the request's canonical bytes, and their
 * offline check (docs/grants.md). The bytes signed are
 *
 *   "tenantguard grant approval v1" 0x00   (30 bytes, the domain)
 *   expires                                 (8 bytes, unsigned big-endian,
 *                                            unix seconds)
 *   the request's canonical bytes           (no trailing newline)
 */
#include <stddef.h>
#include <linux/types.h>

#include "common/grant_doc.h"

#define TG_GRANT_DOMAIN	       "tenantguard grant approval v1"
#define TG_GRANT_DOMAIN_LEN    30	    /* with its NUL */
#define TG_GRANT_REVOKE_DOMAIN	   "tenantguard grant revocation v1"
#define TG_GRANT_REVOKE_DOMAIN_LEN 32 /* with its NUL */
#define TG_APPROVERS_MAX       16	    /* keys of one tenant */
#define TG_GRANT_MAX_APPROVALS 16	    /* approvals checked at once */
#define TG_GRANT_MAX_VALID     (30 * 86400) /* --valid: 30 days at most */

/* A tenant's approvers: N (need) of these keys must approve. */
struct tg_approvers {
	unsigned char keys[TG_APPROVERS_MAX][32]; /* Ed25519 public keys */
	unsigned int n_keys;
	unsigned int need; /* 1..n_keys; 0: the tenant has no approvers */
};

/* What a check concluded, overall and per approval. */
enum tg_grant_result {
	TG_GRANT_OK = 0,
	TG_GRANT_BAD_REQUEST,	/* not a valid canonical request */
	TG_GRANT_NO_APPROVERS,	/* the tenant lists no approver keys */
	TG_GRANT_WRONG_TENANT,	/* the request names another tenant */
	TG_GRANT_WRONG_HOST,	/* made for another host */
	TG_GRANT_WRONG_BOOT,	/* made in another boot of this host */
	TG_GRANT_TOO_LATE,	/* now is past the request's activate_by */
	TG_GRANT_BAD_APPROVAL,	/* not a valid canonical approval */
	TG_GRANT_OTHER_REQUEST, /* over other request bytes (edited request) */
	TG_GRANT_UNKNOWN_KEY,	/* not one of the tenant's approver keys */
	TG_GRANT_FORGED,	/* the signature does not verify */
	TG_GRANT_EXPIRED,	/* now is past the approval's expires */
	TG_GRANT_DUPLICATE,	/* a key already counted: counts once */
	TG_GRANT_TOO_FEW,	/* fewer distinct valid approvers than need */
};

/* A short name of a result ("forged"), for messages and events. */
const char *tg_grant_result_name(int result);

struct tg_grant_verdict {
	int result; /* enum tg_grant_result */
	char why[TG_GRANT_ERR_MAX];
	unsigned int n_valid; /* distinct approvers whose approval holds */
	unsigned int need;
	unsigned int n; /* approvals checked */
	struct {
		int result;
		char why[TG_GRANT_ERR_MAX];
	} each[TG_GRANT_MAX_APPROVALS];
	struct tg_grant_request req; /* the request, when it parsed */
};

/* What a check is held against. */
struct tg_grant_context {
	const char *tenant; /* whose approvers these are */
	const struct tg_approvers *approvers;
	__u64 now;	     /* unix seconds */
	const char *host;    /* this host's, as requests name it */
	const char *boot_id; /* this boot's */
};

/*
 * The bytes an approval signs (see above) into *out (malloc'd): 0 or
 * -ENOMEM.
 */
int tg_grant_signed_bytes(const char *req, size_t len, __u64 expires,
			  unsigned char **out, size_t *outlen);

/*
 * Approve request req (len bytes, parsed strictly first) with secret key
 * sk (libsodium's 64-byte form), valid until expires: *a filled. 0,
 * -EINVAL (err) or -ENOMEM.
 */
int tg_grant_approve(const char *req, size_t len, const unsigned char sk[64],
		     __u64 expires, struct tg_grant_approval *a, char *err,
		     size_t errlen);

/*
 * Check request req and n approvals (approvals[i] of lens[i] bytes; only
 * the first TG_GRANT_MAX_APPROVALS are looked at) against ctx into *v:
 * TG_GRANT_OK when at least need distinct approver keys hold a valid
 * approval, else the first reason why not (the request's
 * own, or the first approval's that failed, or TG_GRANT_TOO_FEW). Every
 * approval's result is in v->each. Returns v->result, or -ENOMEM; free
 * v with tg_grant_verdict_free.
 */
int tg_grant_verify(const char *req, size_t len, const char *const *approvals,
		    const size_t *lens, unsigned int n,
		    const struct tg_grant_context *ctx,
		    struct tg_grant_verdict *v);
void tg_grant_verdict_free(struct tg_grant_verdict *v);

/*
 * Sign a revocation of grant (of tenant, at created) with secret key sk
 * into *r: 0 or -ENOMEM. Check r against the tenant's approvers: 0 when
 * its key is one of them and its signature holds, else -EINVAL with why.
 */
/*
 * Approve update (its bytes) with sk until expires: an approval of the
 * request format, its request_id the update's id. Check an update and n
 * approvals against the tenant's current approvers cur at now: 0 when
 * cur->need distinct current keys approve it, else -EINVAL with why.
 */
int tg_approvers_update_approve(const char *buf, size_t len,
				const unsigned char sk[64], __u64 expires,
				struct tg_grant_approval *a, char *err,
				size_t errlen);
int tg_approvers_update_verify(const char *buf, size_t len,
			       const char *const *approvals,
			       const size_t *lens, unsigned int n,
			       const struct tg_approvers *cur, __u64 now,
			       struct tg_approvers_update *u, char *why,
			       size_t whylen);

int tg_grant_revoke_sign(const char *grant, const char *tenant, __u64 created,
			 const unsigned char sk[64],
			 struct tg_grant_revocation *r);
int tg_grant_revoke_check(const struct tg_grant_revocation *r,
			  const struct tg_approvers *approvers, char *why,
			  size_t len);

/*
 * This host as requests name it (/etc/machine-id, else the host name) and
 * this boot's id (/proc/sys/kernel/random/boot_id): 0 or -errno.
 */
int tg_grant_this_host(char host[65], char boot_id[37]);

#endif /* TG_COMMON_GRANT_VERIFY_H */
