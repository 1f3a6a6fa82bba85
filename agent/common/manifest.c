// SPDX-License-Identifier: GPL-2.0
/*
 * Export manifests in canonical JSON (manifest.h): written from what the
 * export found, parsed back (json-c) and accepted only when writing what
 * was parsed gives the same bytes.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/manifest.h"
#include "common/text.h"

static const char *const type_names[] = {
	[TG_MANIFEST_FILE] = "file",
	[TG_MANIFEST_DIR] = "dir",
	[TG_MANIFEST_SYMLINK] = "symlink",
};

int tg_manifest_type_parse(const char *s)
{
	unsigned int i;

	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (!strcmp(s, type_names[i]))
			return (int)i;
	return -1;
}

const char *tg_manifest_type_name(int type)
{
	return type >= TG_MANIFEST_FILE && type <= TG_MANIFEST_SYMLINK
		       ? type_names[type]
		       : "?";
}

int tg_manifest_add(struct tg_manifest *m, const struct tg_manifest_entry *e)
{
	struct tg_manifest_entry *v, c = *e;

	if (m->n == m->cap) {
		v = realloc(m->v, (m->cap ? 2 * m->cap : 64) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		m->v = v;
		m->cap = m->cap ? 2 * m->cap : 64;
	}
	c.path = strdup(e->path);
	c.target = e->target ? strdup(e->target) : NULL;
	if (!c.path || (e->target && !c.target)) {
		free(c.path);
		free(c.target);
		return -ENOMEM;
	}
	m->v[m->n++] = c;
	return 0;
}

int tg_manifest_add_root(struct tg_manifest *m, const char *root)
{
	char **r = realloc(m->roots, (m->n_roots + 1) * sizeof(*r));

	if (!r)
		return -ENOMEM;
	m->roots = r;
	r[m->n_roots] = strdup(root);
	if (!r[m->n_roots])
		return -ENOMEM;
	m->n_roots++;
	return 0;
}

void tg_manifest_free(struct tg_manifest *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].path);
		free(m->v[i].target);
	}
	for (i = 0; i < m->n_roots; i++)
		free(m->roots[i]);
	free(m->v);
	free(m->roots);
	memset(m, 0, sizeof(*m));
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct tg_manifest_entry *)a)->path,
		      ((const struct tg_manifest_entry *)b)->path);
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct tg_manifest_entry *tg_manifest_find(const struct tg_manifest *m,
					   const char *path)
{
	struct tg_manifest_entry key = {.path = (char *)path};

	return m->n ? bsearch(&key, m->v, m->n, sizeof(key), by_path) : NULL;
}

/* Whether s is valid UTF-8. */
static int utf8_ok(const char *s)
{
	size_t n = strlen(s), k;

	while (n) {
		k = tg_utf8_seq_len((const unsigned char *)s, n);
		if (!k)
			return 0;
		s += k;
		n -= k;
	}
	return 1;
}

/* s as a JSON string, escaped as RFC 8785 does. */
static int put_str(struct tg_buf *b, const char *s)
{
	char u[8];
	int err = tg_buf_put(b, "\"", 1);

	for (; !err && *s; s++) {
		switch (*s) {
		case '"': err = tg_buf_put(b, "\\\"", 2); break;
		case '\\': err = tg_buf_put(b, "\\\\", 2); break;
		case '\b': err = tg_buf_put(b, "\\b", 2); break;
		case '\f': err = tg_buf_put(b, "\\f", 2); break;
		case '\n': err = tg_buf_put(b, "\\n", 2); break;
		case '\r': err = tg_buf_put(b, "\\r", 2); break;
		case '\t': err = tg_buf_put(b, "\\t", 2); break;
		default:
			if ((unsigned char)*s < 0x20) {
				snprintf(u, sizeof(u), "\\u%04x",
					 (unsigned char)*s);
				err = tg_buf_put(b, u, 6);
			} else {
				err = tg_buf_put(b, s, 1);
			}
		}
	}
	return err ?: tg_buf_put(b, "\"", 1);
}

/* ,"key": (first: without the comma) */
static int put_key(struct tg_buf *b, const char *key, int first)
{
	return (first ? 0 : tg_buf_put(b, ",", 1)) ?: put_str(b, key)
		?: tg_buf_put(b, ":", 1);
}

static int put_u64(struct tg_buf *b, const char *key, __u64 v, int first)
{
	char n[24];

	snprintf(n, sizeof(n), "%" PRIu64, (uint64_t)v);
	return put_key(b, key, first) ?: tg_buf_put(b, n, strlen(n));
}

static int put_kv(struct tg_buf *b, const char *key, const char *v, int first)
{
	return put_key(b, key, first) ?: put_str(b, v);
}

static int put_entry(struct tg_buf *b, const struct tg_manifest_entry *e)
{
	char mode[8];
	int err;

	snprintf(mode, sizeof(mode), "%04o", e->mode & 07777);
	err = tg_buf_put(b, "{", 1) ?: put_kv(b, "mode", mode, 1)
		?: put_u64(b, "mtime", e->mtime, 0)
		?: put_kv(b, "path", e->path, 0);
	if (!err && e->type == TG_MANIFEST_FILE)
		err = put_kv(b, "sha256", e->sha256, 0);
	err = err ?: put_u64(b, "size", e->size, 0);
	if (!err && e->type == TG_MANIFEST_SYMLINK)
		err = put_kv(b, "target", e->target ? e->target : "", 0);
	return err ?: put_kv(b, "type", tg_manifest_type_name(e->type), 0)
		?: tg_buf_put(b, "}", 1);
}

/* Sorted, distinct, valid UTF-8 names; the totals counted. */
static int prepare(struct tg_manifest *m, char *err, size_t errlen)
{
	size_t i;

	qsort(m->v, m->n, sizeof(*m->v), by_path);
	qsort(m->roots, m->n_roots, sizeof(*m->roots), by_str);
	m->total_files = m->total_bytes = 0;
	for (i = 0; i < m->n; i++) {
		if (!utf8_ok(m->v[i].path) ||
		    (m->v[i].target && !utf8_ok(m->v[i].target))) {
			snprintf(err, errlen, "%s: the name is not valid UTF-8",
				 m->v[i].path);
			return -EINVAL;
		}
		if (i && !strcmp(m->v[i - 1].path, m->v[i].path)) {
			snprintf(err, errlen, "%s: listed twice", m->v[i].path);
			return -EINVAL;
		}
		if (m->v[i].type == TG_MANIFEST_FILE) {
			m->total_files++;
			m->total_bytes += m->v[i].size;
		}
	}
	for (i = 0; i < m->n_roots; i++)
		if (!utf8_ok(m->roots[i])) {
			snprintf(err, errlen, "%s: the path is not valid UTF-8",
				 m->roots[i]);
			return -EINVAL;
		}
	if (!utf8_ok(m->tenant) || !utf8_ok(m->host)) {
		snprintf(err, errlen, "the tenant or host name is not UTF-8");
		return -EINVAL;
	}
	return 0;
}

int tg_manifest_write(struct tg_manifest *m, char **out, size_t *len, char *err,
		      size_t errlen)
{
	struct tg_buf b = {0};
	size_t i;
	int r = prepare(m, err, errlen);

	if (r)
		return r;
	r = tg_buf_put(&b, "{", 1) ?: put_u64(&b, "created", m->created, 1)
		?: put_key(&b, "files", 0) ?: tg_buf_put(&b, "[", 1);
	for (i = 0; !r && i < m->n; i++)
		r = (i ? tg_buf_put(&b, ",", 1) : 0) ?: put_entry(&b, &m->v[i]);
	r = r ?: tg_buf_put(&b, "]", 1) ?: put_kv(&b, "host", m->host, 0)
		?: put_key(&b, "roots", 0) ?: tg_buf_put(&b, "[", 1);
	for (i = 0; !r && i < m->n_roots; i++)
		r = (i ? tg_buf_put(&b, ",", 1) : 0)
			    ?: put_str(&b, m->roots[i]);
	r = r ?: tg_buf_put(&b, "]", 1) ?: put_kv(&b, "tenant", m->tenant, 0)
		?: put_u64(&b, "total_bytes", m->total_bytes, 0)
		?: put_u64(&b, "total_files", m->total_files, 0)
		?: put_kv(&b, "type", TG_MANIFEST_TYPE, 0)
		?: put_u64(&b, "version", TG_MANIFEST_VERSION, 0)
		?: tg_buf_put(&b, "}", 2); /* with the NUL */
	if (r) {
		tg_buf_free(&b);
		snprintf(err, errlen, "out of memory");
		return r;
	}
	*out = b.p;
	*len = b.len - 1;
	return 0;
}

/* o's member k, of type t: or NULL with err set. */
static struct json_object *member(struct json_object *o, const char *k,
				  json_type t, const char *where, char *err,
				  size_t errlen)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, t)) {
		snprintf(err, errlen, "%s: \"%s\" is missing or not a%s %s",
			 where, k, t == json_type_int ? "n" : "",
			 t == json_type_int	? "integer"
			 : t == json_type_array ? "array"
						: "string");
		return NULL;
	}
	return v;
}

static int get_u64(struct json_object *o, const char *k, __u64 *v,
		   const char *where, char *err, size_t errlen)
{
	struct json_object *j = member(o, k, json_type_int, where, err, errlen);

	if (!j)
		return -EINVAL;
	if (json_object_get_int64(j) < 0) {
		snprintf(err, errlen, "%s: \"%s\" is negative", where, k);
		return -EINVAL;
	}
	*v = (__u64)json_object_get_int64(j);
	return 0;
}

static const char *get_str(struct json_object *o, const char *k,
			   const char *where, char *err, size_t errlen)
{
	struct json_object *j =
		member(o, k, json_type_string, where, err, errlen);

	return j ? json_object_get_string(j) : NULL;
}

static int parse_entry(struct json_object *f, size_t i, struct tg_manifest *m,
		       char *err, size_t errlen)
{
	struct tg_manifest_entry e = {0};
	const char *path, *type, *mode, *sha = NULL, *target = NULL;
	char where[64], *end;
	unsigned long md;

	snprintf(where, sizeof(where), "files[%zu]", i);
	if (!json_object_is_type(f, json_type_object)) {
		snprintf(err, errlen, "%s: not an object", where);
		return -EINVAL;
	}
	if (!(path = get_str(f, "path", where, err, errlen)) ||
	    !(type = get_str(f, "type", where, err, errlen)) ||
	    !(mode = get_str(f, "mode", where, err, errlen)) ||
	    get_u64(f, "mtime", &e.mtime, where, err, errlen) ||
	    get_u64(f, "size", &e.size, where, err, errlen))
		return -EINVAL;
	e.type = tg_manifest_type_parse(type);
	md = strtoul(mode, &end, 8);
	if (e.type < 0 || *end || strlen(mode) != 4 || md > 07777 || !*path ||
	    strlen(path) >= TG_MANIFEST_PATH) {
		snprintf(err, errlen, "%s (%s): a bad type, mode or path",
			 where, path);
		return -EINVAL;
	}
	e.mode = md;
	if (e.type == TG_MANIFEST_FILE) {
		if (!(sha = get_str(f, "sha256", where, err, errlen)))
			return -EINVAL;
		if (strlen(sha) != 64 ||
		    strspn(sha, "0123456789abcdef") != 64) {
			snprintf(err, errlen, "%s (%s): a bad sha256", where,
				 path);
			return -EINVAL;
		}
	}
	if (sha)
		snprintf(e.sha256, sizeof(e.sha256), "%s", sha);
	if (e.type == TG_MANIFEST_SYMLINK &&
	    !(target = get_str(f, "target", where, err, errlen)))
		return -EINVAL;
	e.path = (char *)path;
	e.target = (char *)target;
	return tg_manifest_add(m, &e);
}

static int parse_obj(struct json_object *o, struct tg_manifest *m, char *err,
		     size_t errlen)
{
	struct json_object *files, *roots, *r;
	const char *s;
	__u64 version = 0, tb = 0, tf = 0;
	size_t i;
	int ret;

	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "not a JSON object");
		return -EINVAL;
	}
	if (!(s = get_str(o, "type", "manifest", err, errlen)))
		return -EINVAL;
	if (strcmp(s, TG_MANIFEST_TYPE) ||
	    get_u64(o, "version", &version, "manifest", err, errlen) ||
	    version != TG_MANIFEST_VERSION) {
		if (!err[0])
			snprintf(err, errlen,
				 "not a " TG_MANIFEST_TYPE " of version %d",
				 TG_MANIFEST_VERSION);
		return -EINVAL;
	}
	if (!(s = get_str(o, "tenant", "manifest", err, errlen)))
		return -EINVAL;
	snprintf(m->tenant, sizeof(m->tenant), "%s", s);
	if (!(s = get_str(o, "host", "manifest", err, errlen)))
		return -EINVAL;
	snprintf(m->host, sizeof(m->host), "%s", s);
	if (get_u64(o, "created", &m->created, "manifest", err, errlen) ||
	    get_u64(o, "total_bytes", &tb, "manifest", err, errlen) ||
	    get_u64(o, "total_files", &tf, "manifest", err, errlen) ||
	    !(files = member(o, "files", json_type_array, "manifest", err,
			     errlen)) ||
	    !(roots = member(o, "roots", json_type_array, "manifest", err,
			     errlen)))
		return -EINVAL;
	for (i = 0; i < json_object_array_length(roots); i++) {
		r = json_object_array_get_idx(roots, i);
		if (!json_object_is_type(r, json_type_string)) {
			snprintf(err, errlen, "roots[%zu]: not a string", i);
			return -EINVAL;
		}
		if ((ret = tg_manifest_add_root(m, json_object_get_string(r))))
			return ret;
	}
	for (i = 0; i < json_object_array_length(files); i++)
		if ((ret = parse_entry(json_object_array_get_idx(files, i), i,
				       m, err, errlen)))
			return ret;
	m->total_bytes = tb;
	m->total_files = tf;
	return 0;
}

int tg_manifest_parse(const char *buf, size_t len, struct tg_manifest *m,
		      char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *o;
	__u64 tb, tf;
	char *canon = NULL;
	size_t clen = 0;
	int ret;

	memset(m, 0, sizeof(*m));
	err[0] = '\0';
	if (len && buf[len - 1] == '\n')
		len--;
	if (len > TG_MANIFEST_MAX || memchr(buf, '\0', len)) {
		snprintf(err, errlen,
			 len > TG_MANIFEST_MAX ? "larger than %u bytes"
					       : "holds a NUL byte",
			 TG_MANIFEST_MAX);
		return -EINVAL;
	}
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, buf, (int)len);
	if (!o || json_tokener_get_parse_end(tok) != len) {
		snprintf(err, errlen, "not one JSON object: %s",
			 json_tokener_error_desc(json_tokener_get_error(tok)));
		json_object_put(o);
		json_tokener_free(tok);
		return -EINVAL;
	}
	json_tokener_free(tok);
	ret = parse_obj(o, m, err, errlen);
	json_object_put(o);
	if (ret)
		goto out_free;
	tb = m->total_bytes;
	tf = m->total_files;
	ret = tg_manifest_write(m, &canon, &clen, err, errlen);
	if (ret)
		goto out_free;
	if (tb != m->total_bytes || tf != m->total_files) {
		snprintf(
			err, errlen,
			"the totals (%llu files, %llu bytes) are not those of its files (%llu, %llu)",
			(unsigned long long)tf, (unsigned long long)tb,
			(unsigned long long)m->total_files,
			(unsigned long long)m->total_bytes);
		ret = -EINVAL;
	} else if (clen != len || memcmp(canon, buf, len)) {
		snprintf(err, errlen, "not in canonical form");
		ret = -EINVAL;
	}
	free(canon);
	if (!ret)
		return 0;
out_free:
	tg_manifest_free(m);
	return ret;
}
