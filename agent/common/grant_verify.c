// SPDX-License-Identifier: GPL-2.0
/*
 * Approvals of grant requests: signing with an approver's Ed25519 key and
 * the offline check of a request and its approvals against a tenant's
 * approver set, the clock, this host and this boot.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "common/grant_key.h"
#include "common/grant_verify.h"

static const char *const result_names[] = {
	[TG_GRANT_OK] = "ok",
	[TG_GRANT_BAD_REQUEST] = "bad-request",
	[TG_GRANT_NO_APPROVERS] = "no-approvers",
	[TG_GRANT_WRONG_TENANT] = "wrong-tenant",
	[TG_GRANT_WRONG_HOST] = "wrong-host",
	[TG_GRANT_WRONG_BOOT] = "wrong-boot",
	[TG_GRANT_TOO_LATE] = "too-late",
	[TG_GRANT_BAD_APPROVAL] = "bad-approval",
	[TG_GRANT_OTHER_REQUEST] = "other-request",
	[TG_GRANT_UNKNOWN_KEY] = "unknown-key",
	[TG_GRANT_FORGED] = "forged",
	[TG_GRANT_EXPIRED] = "expired",
	[TG_GRANT_DUPLICATE] = "duplicate",
	[TG_GRANT_TOO_FEW] = "too-few",
};

const char *tg_grant_result_name(int result)
{
	if (result < 0 ||
	    (size_t)result >= sizeof(result_names) / sizeof(result_names[0]))
		return "?";
	return result_names[result];
}

static int set(int *result, char *why, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int set(int *result, char *why, int r, const char *fmt, ...)
{
	va_list ap;

	*result = r;
	va_start(ap, fmt);
	vsnprintf(why, TG_GRANT_ERR_MAX, fmt, ap);
	va_end(ap);
	return r;
}

int tg_grant_signed_bytes(const char *req, size_t len, __u64 expires,
			  unsigned char **out, size_t *outlen)
{
	unsigned char *m;
	int i;

	m = malloc(TG_GRANT_DOMAIN_LEN + 8 + len);
	if (!m)
		return -ENOMEM;
	memcpy(m, TG_GRANT_DOMAIN, TG_GRANT_DOMAIN_LEN);
	for (i = 0; i < 8; i++)
		m[TG_GRANT_DOMAIN_LEN + i] =
			(unsigned char)(expires >> (56 - 8 * i));
	memcpy(m + TG_GRANT_DOMAIN_LEN + 8, req, len);
	*out = m;
	*outlen = TG_GRANT_DOMAIN_LEN + 8 + len;
	return 0;
}

/* A file may end with one newline; the signed bytes never hold it. */
static size_t doc_len(const char *buf, size_t len)
{
	return len && buf[len - 1] == '\n' ? len - 1 : len;
}

static void sha256_hex(const char *buf, size_t len, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)buf, len);
	sodium_bin2hex(out, 65, h, sizeof(h));
}

/*
 * a: the approval of document doc (len bytes, its newline not signed) of
 * id, by sk until expires. 0 or -ENOMEM.
 */
static int approve_doc(const char *doc, size_t len, const char *id,
		       const unsigned char sk[64], __u64 expires,
		       struct tg_grant_approval *a)
{
	unsigned char *m = NULL;
	size_t mlen = 0;
	int ret;

	len = doc_len(doc, len);
	ret = tg_grant_signed_bytes(doc, len, expires, &m, &mlen);
	if (ret)
		return ret;
	memcpy(a->request_id, id, sizeof(a->request_id));
	sha256_hex(doc, len, a->request_sha256);
	crypto_sign_ed25519_sk_to_pk(a->key, sk);
	crypto_sign_detached(a->sig, NULL, m, mlen, sk);
	a->expires = expires;
	free(m);
	return 0;
}

int tg_grant_approve(const char *req, size_t len, const unsigned char sk[64],
		     __u64 expires, struct tg_grant_approval *a, char *err,
		     size_t errlen)
{
	struct tg_grant_request r;
	int ret;

	memset(a, 0, sizeof(*a));
	if (sodium_init() < 0)
		return -ENOMEM;
	ret = tg_grant_request_parse(req, len, &r, err, errlen);
	if (ret)
		return ret;
	ret = approve_doc(req, len, r.id, sk, expires, a);
	tg_grant_request_free(&r);
	return ret;
}

/* The request's own checks against the context. */
static int check_request(const char *req, size_t len,
			 const struct tg_grant_context *ctx,
			 struct tg_grant_verdict *v)
{
	char err[TG_GRANT_ERR_MAX] = "";
	const struct tg_grant_request *r = &v->req;

	if (tg_grant_request_parse(req, len, &v->req, err, sizeof(err)))
		return set(&v->result, v->why, TG_GRANT_BAD_REQUEST,
			   "request: %s", err);
	if (strcmp(r->tenant, ctx->tenant))
		return set(&v->result, v->why, TG_GRANT_WRONG_TENANT,
			   "request is for tenant '%s', not '%s'", r->tenant,
			   ctx->tenant);
	if (!ctx->approvers || !ctx->approvers->need)
		return set(&v->result, v->why, TG_GRANT_NO_APPROVERS,
			   "tenant '%s' has no approver keys", ctx->tenant);
	if (strcmp(r->host, ctx->host))
		return set(&v->result, v->why, TG_GRANT_WRONG_HOST,
			   "request is for host '%s', not this one ('%s')",
			   r->host, ctx->host);
	if (strcmp(r->boot_id, ctx->boot_id))
		return set(&v->result, v->why, TG_GRANT_WRONG_BOOT,
			   "request was made in boot %s, not this one (%s)",
			   r->boot_id, ctx->boot_id);
	if (ctx->now >= r->activate_by)
		return set(&v->result, v->why, TG_GRANT_TOO_LATE,
			   "request had to be activated before %llu (now %llu)",
			   (unsigned long long)r->activate_by,
			   (unsigned long long)ctx->now);
	return TG_GRANT_OK;
}

/* The index of key in the approver set, or -1. */
static int approver_index(const struct tg_approvers *s,
			  const unsigned char key[32])
{
	unsigned int i;

	for (i = 0; i < s->n_keys; i++)
		if (!memcmp(s->keys[i], key, 32))
			return (int)i;
	return -1;
}

/* One approval: its result into *res and why; the key's index if valid. */
static int check_approval(const char *req, size_t len, const char *sha,
			  const char *buf, size_t blen,
			  const struct tg_grant_context *ctx,
			  const struct tg_grant_request *r, int *res, char *why)
{
	char err[TG_GRANT_ERR_MAX] = "", key[45];
	struct tg_grant_approval a;
	unsigned char *m = NULL;
	size_t mlen = 0;
	int k, bad;

	if (tg_grant_approval_parse(buf, blen, &a, err, sizeof(err)))
		return set(res, why, TG_GRANT_BAD_APPROVAL, "%s", err), -1;
	tg_grant_key_b64(a.key, key);
	if (strcmp(a.request_id, r->id) || strcmp(a.request_sha256, sha))
		return set(res, why, TG_GRANT_OTHER_REQUEST,
			   "by %s: approves other request bytes (request %s, sha256 %.16s...): the request was edited, or this is another request's approval",
			   key, a.request_id, a.request_sha256),
		       -1;
	k = approver_index(ctx->approvers, a.key);
	if (k < 0)
		return set(res, why, TG_GRANT_UNKNOWN_KEY,
			   "key %s is not one of tenant '%s''s approvers", key,
			   ctx->tenant),
		       -1;
	if (tg_grant_signed_bytes(req, len, a.expires, &m, &mlen))
		return -ENOMEM;
	bad = crypto_sign_verify_detached(a.sig, m, mlen, a.key);
	free(m);
	if (bad)
		return set(res, why, TG_GRANT_FORGED,
			   "by %s: the signature does not verify (forged or altered)",
			   key),
		       -1;
	if (ctx->now >= a.expires)
		return set(res, why, TG_GRANT_EXPIRED,
			   "by %s: expired at %llu (now %llu)", key,
			   (unsigned long long)a.expires,
			   (unsigned long long)ctx->now),
		       -1;
	set(res, why, TG_GRANT_OK, "by %s: valid until %llu", key,
	    (unsigned long long)a.expires);
	return k;
}

static const char *key_b64(const unsigned char k[32], char out[45])
{
	tg_grant_key_b64(k, out);
	return out;
}

int tg_grant_verify(const char *req, size_t len, const char *const *approvals,
		    const size_t *lens, unsigned int n,
		    const struct tg_grant_context *ctx,
		    struct tg_grant_verdict *v)
{
	unsigned char counted[TG_APPROVERS_MAX] = {0};
	char sha[65], key[45];
	unsigned int i;
	int k, first = TG_GRANT_OK, first_i = -1;

	memset(v, 0, sizeof(*v));
	if (sodium_init() < 0)
		return -ENOMEM;
	if (n > TG_GRANT_MAX_APPROVALS)
		n = TG_GRANT_MAX_APPROVALS;
	v->n = n;
	v->need = ctx->approvers ? ctx->approvers->need : 0;
	if (check_request(req, len, ctx, v))
		return v->result;
	len = doc_len(req, len);
	sha256_hex(req, len, sha);
	for (i = 0; i < n; i++) {
		k = check_approval(req, len, sha, approvals[i], lens[i], ctx,
				   &v->req, &v->each[i].result, v->each[i].why);
		if (k == -ENOMEM)
			return -ENOMEM;
		if (k >= 0 && counted[k])
			set(&v->each[i].result, v->each[i].why,
			    TG_GRANT_DUPLICATE,
			    "by %s: the same key again, counted once",
			    key_b64(ctx->approvers->keys[k], key));
		else if (k >= 0)
			counted[k] = 1, v->n_valid++;
		if (v->each[i].result != TG_GRANT_OK &&
		    v->each[i].result != TG_GRANT_DUPLICATE && first_i < 0)
			first = v->each[i].result, first_i = (int)i;
	}
	if (v->n_valid >= v->need)
		return set(&v->result, v->why, TG_GRANT_OK,
			   "%u of %u needed approvers approve request %s",
			   v->n_valid, v->need, v->req.id);
	if (first_i >= 0)
		return set(&v->result, v->why, first,
			   "approval %d %s; %u of %u needed approvers",
			   first_i + 1, v->each[first_i].why, v->n_valid,
			   v->need);
	return set(&v->result, v->why, TG_GRANT_TOO_FEW,
		   "%u distinct approver(s) of %u needed", v->n_valid, v->need);
}

void tg_grant_verdict_free(struct tg_grant_verdict *v)
{
	tg_grant_request_free(&v->req);
}

/* The first line of a small file into out (n bytes): its length, or -errno. */
static int first_line(const char *path, char *out, size_t n)
{
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = read(fd, out, n - 1);
	close(fd);
	if (r < 0)
		return -EIO;
	out[r] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return (int)strlen(out);
}

int tg_grant_this_host(char host[65], char boot_id[37])
{
	char b[64];
	int r;

	r = first_line("/proc/sys/kernel/random/boot_id", b, sizeof(b));
	if (r < 0)
		return r;
	if (r != 36)
		return -EINVAL;
	memcpy(boot_id, b, 37);
	if (first_line("/etc/machine-id", host, 65) > 0)
		return 0;
	if (gethostname(host, 64) < 0)
		return -errno;
	host[64] = '\0';
	return 0;
}

/* TG_GRANT_REVOKE_DOMAIN and r's body: what a revocation signs. */
static int revoke_bytes(const struct tg_grant_revocation *r,
			unsigned char **out, size_t *outlen)
{
	char *body;
	size_t len;
	int err = tg_grant_revocation_body(r, &body, &len);

	if (err)
		return err;
	*out = malloc(TG_GRANT_REVOKE_DOMAIN_LEN + len);
	if (!*out) {
		free(body);
		return -ENOMEM;
	}
	memcpy(*out, TG_GRANT_REVOKE_DOMAIN, TG_GRANT_REVOKE_DOMAIN_LEN);
	memcpy(*out + TG_GRANT_REVOKE_DOMAIN_LEN, body, len);
	*outlen = TG_GRANT_REVOKE_DOMAIN_LEN + len;
	free(body);
	return 0;
}

int tg_grant_revoke_sign(const char *grant, const char *tenant, __u64 created,
			 const unsigned char sk[64],
			 struct tg_grant_revocation *r)
{
	unsigned char *m;
	size_t mlen;
	int err;

	memset(r, 0, sizeof(*r));
	if (sodium_init() < 0)
		return -ENOMEM;
	snprintf(r->grant, sizeof(r->grant), "%s", grant);
	snprintf(r->tenant, sizeof(r->tenant), "%s", tenant);
	r->created = created;
	crypto_sign_ed25519_sk_to_pk(r->key, sk);
	err = revoke_bytes(r, &m, &mlen);
	if (err)
		return err;
	crypto_sign_detached(r->sig, NULL, m, mlen, sk);
	free(m);
	return 0;
}

int tg_grant_revoke_check(const struct tg_grant_revocation *r,
			  const struct tg_approvers *approvers, char *why,
			  size_t len)
{
	unsigned char *m;
	char kb[45];
	size_t mlen;
	int err;

	if (sodium_init() < 0)
		return -ENOMEM;
	if (approver_index(approvers, r->key) < 0) {
		snprintf(why, len,
			 "key %s is not one of tenant %s's approver keys",
			 key_b64(r->key, kb), r->tenant);
		return -EINVAL;
	}
	err = revoke_bytes(r, &m, &mlen);
	if (err)
		return err;
	err = crypto_sign_verify_detached(r->sig, m, mlen, r->key) ? -EINVAL
								   : 0;
	free(m);
	if (err)
		snprintf(
			why, len,
			"the signature does not verify (forged, or the revocation was edited)");
	return err;
}

int tg_approvers_update_approve(const char *buf, size_t len,
				const unsigned char sk[64], __u64 expires,
				struct tg_grant_approval *a, char *err,
				size_t errlen)
{
	struct tg_approvers_update u;
	int ret;

	memset(a, 0, sizeof(*a));
	if (sodium_init() < 0)
		return -ENOMEM;
	ret = tg_approvers_update_parse(buf, len, &u, err, errlen);
	return ret ? ret : approve_doc(buf, len, u.id, sk, expires, a);
}

int tg_approvers_update_verify(const char *buf, size_t len,
			       const char *const *approvals, const size_t *lens,
			       unsigned int n, const struct tg_approvers *cur,
			       __u64 now, struct tg_approvers_update *u,
			       char *why, size_t whylen)
{
	unsigned char counted[TG_APPROVERS_MAX] = {0};
	struct tg_grant_context ctx = {0};
	struct tg_grant_request fake = {0};
	char err[TG_GRANT_ERR_MAX] = "", sha[65], each[TG_GRANT_ERR_MAX];
	unsigned int i, valid = 0;
	int k, res;

	if (sodium_init() < 0)
		return -ENOMEM;
	if (tg_approvers_update_parse(buf, len, u, err, sizeof(err))) {
		snprintf(why, whylen, "not an approvers update: %s", err);
		return -EINVAL;
	}
	if (!cur || !cur->need) {
		snprintf(
			why, whylen,
			"tenant %s has no approvers enrolled: its first keys come from the policy",
			u->tenant);
		return -EINVAL;
	}
	len = doc_len(buf, len);
	sha256_hex(buf, len, sha);
	memcpy(fake.id, u->id, sizeof(fake.id));
	ctx.tenant = u->tenant;
	ctx.approvers = cur;
	ctx.now = now;
	why[0] = 0;
	for (i = 0; i < n && i < TG_GRANT_MAX_APPROVALS; i++) {
		k = check_approval(buf, len, sha, approvals[i], lens[i], &ctx,
				   &fake, &res, each);
		if (k == -ENOMEM)
			return -ENOMEM;
		if (k >= 0 && !counted[k]) {
			counted[k] = 1;
			valid++;
		} else if (k < 0 && !why[0]) {
			snprintf(why, whylen, "approval %u: %s (%s)", i + 1,
				 each, tg_grant_result_name(res));
		}
	}
	if (valid >= cur->need)
		return 0;
	if (!why[0])
		snprintf(why, whylen,
			 "%u distinct current approver(s) of %u needed", valid,
			 cur->need);
	else
		snprintf(why + strlen(why), whylen - strlen(why),
			 "; %u distinct current approver(s) of %u needed",
			 valid, cur->need);
	return -EINVAL;
}
