// SPDX-License-Identifier: GPL-2.0
/*
 * Grant requests and approvals as canonical documents: built, written in
 * their one canonical form, and parsed strictly (json-c parses; the result
 * is written again and must equal the bytes read, so that whitespace, key
 * order, escapes, duplicate keys and number forms other than the canonical
 * ones are all refused).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <json-c/json.h>
#include <sodium.h>

#include "common/buf.h"
#include "common/grant_doc.h"
#include "common/grant_key.h"
#include "common/text.h"

static const char *const op_names[] = {"connect", "exec",   "ptrace",
				       "read",	  "signal", "write"};
#define N_OPS (sizeof(op_names) / sizeof(op_names[0]))

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

const char *tg_grant_op_name(unsigned int op)
{
	size_t i;

	for (i = 0; i < N_OPS; i++)
		if (op == 1u << i)
			return op_names[i];
	return NULL;
}

static int op_bit(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < N_OPS; i++)
		if (strlen(op_names[i]) == n && !strncmp(op_names[i], s, n))
			return (int)(1u << i);
	return 0;
}

int tg_grant_ops_parse(const char *s, unsigned int *ops, char *err,
		       size_t errlen)
{
	const char *comma;
	size_t n;
	int bit;

	*ops = 0;
	for (;;) {
		comma = strchr(s, ',');
		n = comma ? (size_t)(comma - s) : strlen(s);
		bit = op_bit(s, n);
		if (!bit)
			return fail(
				err, errlen,
				"unknown op '%.*s' (read, write, exec, connect, signal, ptrace)",
				(int)(n > 32 ? 32 : n), s);
		*ops |= (unsigned int)bit;
		if (!comma)
			return 0;
		s = comma + 1;
	}
}

/* Printable ASCII (utf8: or valid UTF-8 without control characters). */
static int text_ok(const char *s, int utf8)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), k;

	while (n) {
		if (*p < 0x20 || *p == 0x7f || (*p >= 0x80 && !utf8))
			return 0;
		k = tg_utf8_seq_len(p, n);
		if (!k)
			return 0;
		p += k;
		n -= k;
	}
	return 1;
}

static int is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[n] == '\0';
}

int tg_grant_id_valid(const char *id)
{
	return is_hex(id, TG_GRANT_ID_HEX);
}

/* A lowercase UUID, as the kernel writes the boot id. */
static int is_uuid(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
			     (s[i] >= 'a' && s[i] <= 'f'))) {
			return 0;
		}
	}
	return 1;
}

/* An absolute path without //, /./, /../ or a trailing / (but "/"). */
static int path_ok(const char *s)
{
	const char *p;

	if (s[0] != '/' || strlen(s) >= TG_GRANT_PATH_MAX || !text_ok(s, 1))
		return 0;
	for (p = s; *p; p++) {
		if (*p != '/')
			continue;
		if (p[1] == '/' || (p[1] == '.' && (p[2] == '/' || !p[2])) ||
		    (p[1] == '.' && p[2] == '.' && (p[3] == '/' || !p[3])) ||
		    (!p[1] && p != s))
			return 0;
	}
	return 1;
}

int tg_grant_request_check(const struct tg_grant_request *r, char *err,
			   size_t errlen)
{
	unsigned int i;

	if (!is_hex(r->id, TG_GRANT_ID_HEX))
		return fail(err, errlen, "id: not 32 lowercase hex digits");
	/* The policy's rules for names are checked where it is at hand. */
	if (!r->tenant[0] || !text_ok(r->tenant, 0))
		return fail(err, errlen,
			    "tenant: empty or not printable ASCII");
	if (r->login_uid == 4294967295u)
		return fail(err, errlen, "login_uid: unset (4294967295)");
	if (!r->user[0] || !text_ok(r->user, 0))
		return fail(err, errlen, "user: empty or not printable ASCII");
	if (!r->ops || r->ops >= 1u << N_OPS)
		return fail(err, errlen, "ops: none, or an unknown op");
	if (r->n_paths && !(r->ops & TG_GRANT_OPS_FILE))
		return fail(
			err, errlen,
			"paths: given without a file op (read, write, exec)");
	if (r->n_paths > TG_GRANT_MAX_PATHS)
		return fail(err, errlen, "paths: more than %u",
			    TG_GRANT_MAX_PATHS);
	for (i = 0; i < r->n_paths; i++) {
		if (!path_ok(r->paths[i]))
			return fail(
				err, errlen,
				"paths: '%.64s' is not an absolute, normalised path",
				r->paths[i]);
		if (i && strcmp(r->paths[i - 1], r->paths[i]) >= 0)
			return fail(err, errlen,
				    "paths: not sorted and distinct");
	}
	if (r->duration < 1 || r->duration > TG_GRANT_MAX_DURATION)
		return fail(err, errlen,
			    "duration: %u s is out of 1..%u (at most 8 h)",
			    r->duration, TG_GRANT_MAX_DURATION);
	if (!r->reason[0] || !text_ok(r->reason, 1))
		return fail(
			err, errlen,
			"reason: empty, or not UTF-8 text without control characters");
	if (!r->created || r->created > INT64_MAX)
		return fail(err, errlen, "created: out of range");
	if (r->activate_by <= r->created ||
	    r->activate_by - r->created > TG_GRANT_MAX_ACTIVATE)
		return fail(err, errlen,
			    "activate_by: not within 7 days after created");
	if (!r->host[0] || !text_ok(r->host, 0))
		return fail(err, errlen, "host: empty or not printable ASCII");
	if (!is_uuid(r->boot_id))
		return fail(err, errlen, "boot_id: not a lowercase UUID");
	return 0;
}

int tg_grant_new_id(char id[TG_GRANT_ID_HEX + 1])
{
	unsigned char b[TG_GRANT_ID_HEX / 2];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -EIO;
	sodium_bin2hex(id, TG_GRANT_ID_HEX + 1, b, sizeof(b));
	return 0;
}

static int path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int tg_grant_request_add_path(struct tg_grant_request *r, const char *path)
{
	char **v;
	unsigned int i;

	for (i = 0; i < r->n_paths; i++)
		if (!strcmp(r->paths[i], path))
			return -EEXIST;
	if (r->n_paths >= TG_GRANT_MAX_PATHS)
		return -E2BIG;
	v = realloc(r->paths, (r->n_paths + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	r->paths = v;
	v[r->n_paths] = strdup(path);
	if (!v[r->n_paths])
		return -ENOMEM;
	r->n_paths++;
	qsort(r->paths, r->n_paths, sizeof(*r->paths), path_cmp);
	return 0;
}

void tg_grant_request_free(struct tg_grant_request *r)
{
	unsigned int i;

	for (i = 0; i < r->n_paths; i++)
		free(r->paths[i]);
	free(r->paths);
	r->paths = NULL;
	r->n_paths = 0;
}

/* The canonical writer: keys are written in sorted order by the callers. */
struct cw {
	struct tg_buf b;
	int err;
	int n; /* members written */
};

static void cw_raw(struct cw *w, const char *s, size_t n)
{
	if (!w->err)
		w->err = tg_buf_put(&w->b, s, n);
}

static void cw_str(struct cw *w, const char *s)
{
	const char *p;

	cw_raw(w, "\"", 1);
	for (p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			cw_raw(w, "\\", 1);
		cw_raw(w, p, 1);
	}
	cw_raw(w, "\"", 1);
}

static void cw_key(struct cw *w, const char *k)
{
	cw_raw(w, w->n++ ? "," : "{", 1);
	cw_str(w, k);
	cw_raw(w, ":", 1);
}

static void cw_kstr(struct cw *w, const char *k, const char *v)
{
	cw_key(w, k);
	cw_str(w, v);
}

static void cw_kint(struct cw *w, const char *k, __u64 v)
{
	char num[24];

	cw_key(w, k);
	cw_raw(w, num,
	       (size_t)snprintf(num, sizeof(num), "%" PRIu64, (uint64_t)v));
}

static void cw_kstrv(struct cw *w, const char *k, const char *const *v,
		     unsigned int n)
{
	unsigned int i;

	cw_key(w, k);
	cw_raw(w, "[", 1);
	for (i = 0; i < n; i++) {
		if (i)
			cw_raw(w, ",", 1);
		cw_str(w, v[i]);
	}
	cw_raw(w, "]", 1);
}

static int cw_end(struct cw *w, char **out, size_t *len)
{
	cw_raw(w, "}", 2); /* and a NUL, not counted */
	if (w->err) {
		tg_buf_free(&w->b);
		return w->err;
	}
	*out = w->b.p;
	*len = w->b.len - 1;
	return 0;
}

int tg_grant_request_serialise(const struct tg_grant_request *r, char **out,
			       size_t *len, char *err, size_t errlen)
{
	const char *ops[N_OPS];
	struct cw w = {};
	unsigned int n = 0;
	size_t i;

	if (tg_grant_request_check(r, err, errlen))
		return -EINVAL;
	for (i = 0; i < N_OPS; i++)
		if (r->ops & (1u << i))
			ops[n++] = op_names[i];
	cw_kint(&w, "activate_by", r->activate_by);
	cw_kstr(&w, "boot_id", r->boot_id);
	cw_kint(&w, "created", r->created);
	cw_kint(&w, "duration", r->duration);
	cw_kstr(&w, "host", r->host);
	cw_kstr(&w, "id", r->id);
	cw_kint(&w, "login_uid", r->login_uid);
	cw_kstrv(&w, "ops", ops, n);
	if (r->n_paths)
		cw_kstrv(&w, "paths", (const char *const *)r->paths,
			 r->n_paths);
	cw_kstr(&w, "reason", r->reason);
	cw_kstr(&w, "tenant", r->tenant);
	cw_kstr(&w, "type", TG_GRANT_REQUEST_TYPE);
	cw_kstr(&w, "user", r->user);
	cw_kint(&w, "version", TG_GRANT_VERSION);
	return cw_end(&w, out, len);
}

/* The fields of a document: name, JSON type, required. */
struct field {
	const char *name;
	enum json_type type;
	int required;
};

/*
 * Parse buf as one JSON object with exactly the fields of want (n of them):
 * *o, or -EINVAL (err). One trailing newline is dropped from *len.
 */
static int parse_object(const char *buf, size_t *len, const struct field *want,
			size_t n, struct json_object **o, char *err,
			size_t errlen)
{
	struct json_tokener *tok = NULL;
	struct json_object *v;
	size_t i;

	*o = NULL;
	if (*len && buf[*len - 1] == '\n')
		(*len)--;
	if (*len > TG_GRANT_MAX_DOC)
		return fail(err, errlen, "larger than %u bytes",
			    TG_GRANT_MAX_DOC);
	if (memchr(buf, '\0', *len))
		return fail(err, errlen, "not JSON (a NUL byte)");
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	*o = json_tokener_parse_ex(tok, buf, (int)*len);
	if (!*o || tok->char_offset != (int)*len) {
		i = (size_t)tok->char_offset;
		json_object_put(*o);
		*o = NULL;
		json_tokener_free(tok);
		return fail(err, errlen, "not JSON (at byte %zu)", i);
	}
	json_tokener_free(tok);
	if (!json_object_is_type(*o, json_type_object))
		return fail(err, errlen, "not a JSON object");
	json_object_object_foreach(*o, key, val)
	{
		for (i = 0; i < n && strcmp(want[i].name, key); i++)
			;
		if (i == n)
			return fail(err, errlen, "unknown field '%.32s'", key);
		if (!json_object_is_type(val, want[i].type))
			return fail(err, errlen, "%s: not %s", key,
				    want[i].type == json_type_int ? "an integer"
				    : want[i].type == json_type_array
					    ? "an array"
					    : "a string");
	}
	for (i = 0; i < n; i++)
		if (want[i].required &&
		    !json_object_object_get_ex(*o, want[i].name, &v))
			return fail(err, errlen, "missing field '%s'",
				    want[i].name);
	return 0;
}

/* The string field k of o into out (size n): 0, or -EINVAL (err). */
static int get_str(struct json_object *o, const char *k, char *out, size_t n,
		   char *err, size_t errlen)
{
	struct json_object *v;
	size_t len;

	if (!json_object_object_get_ex(o, k, &v))
		return 0;
	len = (size_t)json_object_get_string_len(v);
	if (len >= n || strlen(json_object_get_string(v)) != len)
		return fail(err, errlen,
			    "%s: longer than %zu bytes or holds NUL", k, n - 1);
	memcpy(out, json_object_get_string(v), len + 1);
	return 0;
}

static int get_int(struct json_object *o, const char *k, __u64 max, __u64 *out,
		   char *err, size_t errlen)
{
	struct json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(o, k, &v))
		return 0;
	errno = 0;
	x = json_object_get_int64(v);
	if (x < 0 || (__u64)x > max || errno)
		return fail(err, errlen, "%s: out of 0..%llu", k,
			    (unsigned long long)max);
	*out = (__u64)x;
	return 0;
}

static const struct field request_fields[] = {
	{"activate_by", json_type_int, 1}, {"boot_id", json_type_string, 1},
	{"created", json_type_int, 1},	   {"duration", json_type_int, 1},
	{"host", json_type_string, 1},	   {"id", json_type_string, 1},
	{"login_uid", json_type_int, 1},   {"ops", json_type_array, 1},
	{"paths", json_type_array, 0},	   {"reason", json_type_string, 1},
	{"tenant", json_type_string, 1},   {"type", json_type_string, 1},
	{"user", json_type_string, 1},	   {"version", json_type_int, 1},
};

/* type and version of a document, against what is wanted. */
static int check_head(struct json_object *o, const char *type, char *err,
		      size_t errlen)
{
	char t[64] = "";
	__u64 v = 0;

	if (get_str(o, "type", t, sizeof(t), err, errlen) ||
	    get_int(o, "version", 1000, &v, err, errlen))
		return -EINVAL;
	if (strcmp(t, type))
		return fail(err, errlen, "type: '%s', not '%s'", t, type);
	if (v != TG_GRANT_VERSION)
		return fail(err, errlen, "version: %llu is not %d",
			    (unsigned long long)v, TG_GRANT_VERSION);
	return 0;
}

/* The canonical form of what was parsed must be the bytes read. */
static int same_bytes(const char *buf, size_t len, const char *canon,
		      size_t clen, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < len && i < clen && buf[i] == canon[i]; i++)
		;
	if (i == len && i == clen)
		return 0;
	return fail(
		err, errlen,
		"not in canonical form (differs at byte %zu: sorted keys, no whitespace, only \\\" and \\\\ escaped)",
		i);
}

static int request_ops(struct json_object *a, struct tg_grant_request *r,
		       char *err, size_t errlen)
{
	size_t i, n = json_object_array_length(a);
	struct json_object *v;
	int bit;

	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(a, i);
		if (!json_object_is_type(v, json_type_string))
			return fail(err, errlen,
				    "ops: an entry is not a string");
		bit = op_bit(json_object_get_string(v),
			     strlen(json_object_get_string(v)));
		if (!bit)
			return fail(err, errlen, "ops: unknown op '%.32s'",
				    json_object_get_string(v));
		r->ops |= (unsigned int)bit;
	}
	return 0;
}

static int request_paths(struct json_object *a, struct tg_grant_request *r,
			 char *err, size_t errlen)
{
	size_t i, n = json_object_array_length(a);
	struct json_object *v;

	if (n == 0)
		return fail(err, errlen, "paths: empty (leave it out instead)");
	if (n > TG_GRANT_MAX_PATHS)
		return fail(err, errlen, "paths: more than %u",
			    TG_GRANT_MAX_PATHS);
	r->paths = calloc(n, sizeof(*r->paths));
	if (!r->paths)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(a, i);
		if (!json_object_is_type(v, json_type_string) ||
		    strlen(json_object_get_string(v)) !=
			    (size_t)json_object_get_string_len(v))
			return fail(err, errlen,
				    "paths: an entry is not a string");
		r->paths[i] = strdup(json_object_get_string(v));
		if (!r->paths[i])
			return -ENOMEM;
		r->n_paths++;
	}
	return 0;
}

int tg_grant_request_parse(const char *buf, size_t len,
			   struct tg_grant_request *r, char *err, size_t errlen)
{
	struct json_object *o = NULL, *v;
	__u64 uid = 0, duration = 0;
	char *canon = NULL;
	size_t clen = 0;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = parse_object(buf, &len, request_fields,
			   sizeof(request_fields) / sizeof(request_fields[0]),
			   &o, err, errlen);
	if (ret)
		goto out_put;
	ret = -EINVAL;
	if (check_head(o, TG_GRANT_REQUEST_TYPE, err, errlen) ||
	    get_str(o, "id", r->id, sizeof(r->id), err, errlen) ||
	    get_str(o, "tenant", r->tenant, sizeof(r->tenant), err, errlen) ||
	    get_str(o, "user", r->user, sizeof(r->user), err, errlen) ||
	    get_str(o, "reason", r->reason, sizeof(r->reason), err, errlen) ||
	    get_str(o, "host", r->host, sizeof(r->host), err, errlen) ||
	    get_str(o, "boot_id", r->boot_id, sizeof(r->boot_id), err,
		    errlen) ||
	    get_int(o, "login_uid", 4294967295u, &uid, err, errlen) ||
	    get_int(o, "duration", 4294967295u, &duration, err, errlen) ||
	    get_int(o, "created", INT64_MAX, &r->created, err, errlen) ||
	    get_int(o, "activate_by", INT64_MAX, &r->activate_by, err, errlen))
		goto out_put;
	r->login_uid = (__u32)uid;
	r->duration = (__u32)duration;
	json_object_object_get_ex(o, "ops", &v);
	ret = request_ops(v, r, err, errlen);
	if (!ret && json_object_object_get_ex(o, "paths", &v))
		ret = request_paths(v, r, err, errlen);
	if (ret)
		goto out_put;
	ret = tg_grant_request_serialise(r, &canon, &clen, err, errlen);
	if (!ret)
		ret = same_bytes(buf, len, canon, clen, err, errlen);
	free(canon);
out_put:
	json_object_put(o);
	if (ret)
		tg_grant_request_free(r);
	return ret;
}

int tg_grant_approval_serialise(const struct tg_grant_approval *a, char **out,
				size_t *len)
{
	char key[45], sig[129];
	struct cw w = {};

	tg_grant_key_b64(a->key, key);
	sodium_bin2hex(sig, sizeof(sig), a->sig, sizeof(a->sig));
	cw_kint(&w, "expires", a->expires);
	cw_kstr(&w, "key", key);
	cw_kstr(&w, "request_id", a->request_id);
	cw_kstr(&w, "request_sha256", a->request_sha256);
	cw_kstr(&w, "signature", sig);
	cw_kstr(&w, "type", TG_GRANT_APPROVAL_TYPE);
	cw_kint(&w, "version", TG_GRANT_VERSION);
	return cw_end(&w, out, len);
}

static const struct field approval_fields[] = {
	{"expires", json_type_int, 1},
	{"key", json_type_string, 1},
	{"request_id", json_type_string, 1},
	{"request_sha256", json_type_string, 1},
	{"signature", json_type_string, 1},
	{"type", json_type_string, 1},
	{"version", json_type_int, 1},
};

int tg_grant_approval_parse(const char *buf, size_t len,
			    struct tg_grant_approval *a, char *err,
			    size_t errlen)
{
	struct json_object *o = NULL;
	char key[64] = "", sig[160] = "", *canon = NULL;
	size_t clen = 0;
	int ret;

	memset(a, 0, sizeof(*a));
	ret = parse_object(buf, &len, approval_fields,
			   sizeof(approval_fields) / sizeof(approval_fields[0]),
			   &o, err, errlen);
	if (ret)
		goto out_put;
	ret = -EINVAL;
	if (check_head(o, TG_GRANT_APPROVAL_TYPE, err, errlen) ||
	    get_int(o, "expires", INT64_MAX, &a->expires, err, errlen) ||
	    get_str(o, "key", key, sizeof(key), err, errlen) ||
	    get_str(o, "request_id", a->request_id, sizeof(a->request_id), err,
		    errlen) ||
	    get_str(o, "request_sha256", a->request_sha256,
		    sizeof(a->request_sha256), err, errlen) ||
	    get_str(o, "signature", sig, sizeof(sig), err, errlen))
		goto out_put;
	if (tg_grant_key_parse(key, a->key)) {
		fail(err, errlen, "key: not a base64 Ed25519 public key");
		goto out_put;
	}
	if (!is_hex(a->request_id, TG_GRANT_ID_HEX) ||
	    !is_hex(a->request_sha256, 64)) {
		fail(err, errlen,
		     "request_id or request_sha256: not lowercase hex");
		goto out_put;
	}
	if (!is_hex(sig, 128) || sodium_hex2bin(a->sig, sizeof(a->sig), sig,
						128, NULL, NULL, NULL)) {
		fail(err, errlen, "signature: not 128 lowercase hex digits");
		goto out_put;
	}
	ret = tg_grant_approval_serialise(a, &canon, &clen);
	if (!ret)
		ret = same_bytes(buf, len, canon, clen, err, errlen);
	free(canon);
out_put:
	json_object_put(o);
	return ret;
}

int tg_grant_revocation_body(const struct tg_grant_revocation *r, char **out,
			     size_t *len)
{
	struct cw w = {};

	cw_kint(&w, "created", r->created);
	cw_kstr(&w, "grant", r->grant);
	cw_kstr(&w, "tenant", r->tenant);
	cw_kstr(&w, "type", TG_GRANT_REVOCATION_TYPE);
	cw_kint(&w, "version", TG_GRANT_VERSION);
	return cw_end(&w, out, len);
}

int tg_grant_revocation_serialise(const struct tg_grant_revocation *r,
				  char **out, size_t *len)
{
	char key[45], sig[129];
	struct cw w = {};

	tg_grant_key_b64(r->key, key);
	sodium_bin2hex(sig, sizeof(sig), r->sig, sizeof(r->sig));
	cw_kint(&w, "created", r->created);
	cw_kstr(&w, "grant", r->grant);
	cw_kstr(&w, "key", key);
	cw_kstr(&w, "signature", sig);
	cw_kstr(&w, "tenant", r->tenant);
	cw_kstr(&w, "type", TG_GRANT_REVOCATION_TYPE);
	cw_kint(&w, "version", TG_GRANT_VERSION);
	return cw_end(&w, out, len);
}

static const struct field revocation_fields[] = {
	{"created", json_type_int, 1},	 {"grant", json_type_string, 1},
	{"key", json_type_string, 1},	 {"signature", json_type_string, 1},
	{"tenant", json_type_string, 1}, {"type", json_type_string, 1},
	{"version", json_type_int, 1},
};

int tg_grant_revocation_parse(const char *buf, size_t len,
			      struct tg_grant_revocation *r, char *err,
			      size_t errlen)
{
	struct json_object *o = NULL;
	char key[64] = "", sig[160] = "", *canon = NULL;
	size_t clen = 0;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = parse_object(buf, &len, revocation_fields,
			   sizeof(revocation_fields) /
				   sizeof(revocation_fields[0]),
			   &o, err, errlen);
	if (ret)
		goto out_put;
	ret = -EINVAL;
	if (check_head(o, TG_GRANT_REVOCATION_TYPE, err, errlen) ||
	    get_int(o, "created", INT64_MAX, &r->created, err, errlen) ||
	    get_str(o, "grant", r->grant, sizeof(r->grant), err, errlen) ||
	    get_str(o, "tenant", r->tenant, sizeof(r->tenant), err, errlen) ||
	    get_str(o, "key", key, sizeof(key), err, errlen) ||
	    get_str(o, "signature", sig, sizeof(sig), err, errlen))
		goto out_put;
	if (!tg_grant_id_valid(r->grant)) {
		fail(err, errlen, "grant: not 32 lowercase hex digits");
		goto out_put;
	}
	if (!r->tenant[0] || !text_ok(r->tenant, 0)) {
		fail(err, errlen, "tenant: empty or not printable ASCII");
		goto out_put;
	}
	if (tg_grant_key_parse(key, r->key)) {
		fail(err, errlen, "key: not a base64 Ed25519 public key");
		goto out_put;
	}
	if (!is_hex(sig, 128) || sodium_hex2bin(r->sig, sizeof(r->sig), sig,
						128, NULL, NULL, NULL)) {
		fail(err, errlen, "signature: not 128 lowercase hex digits");
		goto out_put;
	}
	ret = tg_grant_revocation_serialise(r, &canon, &clen);
	if (!ret)
		ret = same_bytes(buf, len, canon, clen, err, errlen);
	free(canon);
out_put:
	json_object_put(o);
	return ret;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int tg_approvers_update_serialise(const struct tg_approvers_update *u,
				  char **out, size_t *len, char *err,
				  size_t errlen)
{
	const char *keys[TG_UPDATE_KEYS_MAX];
	unsigned char k[32];
	struct cw w = {};
	unsigned int i;

	if (!tg_grant_id_valid(u->id))
		return fail(err, errlen, "id: not 32 lowercase hex digits");
	if (!u->tenant[0] || !text_ok(u->tenant, 0))
		return fail(err, errlen,
			    "tenant: empty or not printable ASCII");
	if (!u->n_keys || u->n_keys > TG_UPDATE_KEYS_MAX)
		return fail(err, errlen, "keys: 1 to %d are needed",
			    TG_UPDATE_KEYS_MAX);
	if (!u->need || u->need > u->n_keys)
		return fail(err, errlen, "need: 1 to %u (the keys given)",
			    u->n_keys);
	for (i = 0; i < u->n_keys; i++) {
		if (tg_grant_key_parse(u->keys[i], k))
			return fail(
				err, errlen,
				"keys: '%.44s' is not a base64 Ed25519 public key",
				u->keys[i]);
		if (i && strcmp(u->keys[i - 1], u->keys[i]) >= 0)
			return fail(err, errlen,
				    "keys: not sorted or a key twice");
		keys[i] = u->keys[i];
	}
	cw_kint(&w, "created", u->created);
	cw_kstr(&w, "id", u->id);
	cw_kstrv(&w, "keys", keys, u->n_keys);
	cw_kint(&w, "need", u->need);
	cw_kstr(&w, "tenant", u->tenant);
	cw_kstr(&w, "type", TG_APPROVERS_UPDATE_TYPE);
	cw_kint(&w, "version", TG_GRANT_VERSION);
	return cw_end(&w, out, len);
}

static const struct field update_fields[] = {
	{"created", json_type_int, 1},	 {"id", json_type_string, 1},
	{"keys", json_type_array, 1},	 {"need", json_type_int, 1},
	{"tenant", json_type_string, 1}, {"type", json_type_string, 1},
	{"version", json_type_int, 1},
};

int tg_approvers_update_parse(const char *buf, size_t len,
			      struct tg_approvers_update *u, char *err,
			      size_t errlen)
{
	struct json_object *o = NULL, *a, *v;
	char *canon = NULL;
	size_t clen = 0, i, n;
	__u64 need = 0;
	int ret;

	memset(u, 0, sizeof(*u));
	ret = parse_object(buf, &len, update_fields,
			   sizeof(update_fields) / sizeof(update_fields[0]), &o,
			   err, errlen);
	if (ret)
		goto out_put;
	ret = -EINVAL;
	if (check_head(o, TG_APPROVERS_UPDATE_TYPE, err, errlen) ||
	    get_int(o, "created", INT64_MAX, &u->created, err, errlen) ||
	    get_int(o, "need", TG_UPDATE_KEYS_MAX, &need, err, errlen) ||
	    get_str(o, "id", u->id, sizeof(u->id), err, errlen) ||
	    get_str(o, "tenant", u->tenant, sizeof(u->tenant), err, errlen))
		goto out_put;
	u->need = (unsigned int)need;
	json_object_object_get_ex(o, "keys", &a);
	n = json_object_array_length(a);
	if (n > TG_UPDATE_KEYS_MAX) {
		fail(err, errlen, "keys: more than %d", TG_UPDATE_KEYS_MAX);
		goto out_put;
	}
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(a, i);
		if (!json_object_is_type(v, json_type_string) ||
		    json_object_get_string_len(v) != 44) {
			fail(err, errlen, "keys: an entry is not a base64 key");
			goto out_put;
		}
		memcpy(u->keys[i], json_object_get_string(v), 45);
	}
	u->n_keys = (unsigned int)n;
	ret = tg_approvers_update_serialise(u, &canon, &clen, err, errlen);
	if (!ret)
		ret = same_bytes(buf, len, canon, clen, err, errlen);
	free(canon);
out_put:
	json_object_put(o);
	return ret;
}

/* Sort an update's keys (as serialise wants them). */
void tg_approvers_update_sort(struct tg_approvers_update *u)
{
	qsort(u->keys, u->n_keys, sizeof(u->keys[0]), key_cmp);
}
