// SPDX-License-Identifier: GPL-2.0
/*
 * YAML documents (policies, seccomp profiles) parsed with libyaml's event API
 * into a small tree that remembers where every node stands, so that every
 * error names file:line:column. Anchors and aliases are refused (no alias
 * bombs), nesting, node count and size are bounded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "policy/yaml_tree.h"

/* One message more in d (at most TG_DIAG_MAX, the rest counted). */
static void diag_push(struct tg_diag *d, const char *msg)
{
	char **v;

	v = reallocarray(d->msgs, d->n + 1, sizeof(*v));
	if (!v)
		return;
	d->msgs = v;
	d->msgs[d->n] = strdup(msg);
	if (d->msgs[d->n])
		d->n++;
}

void tg_diag_add(struct tg_diag *d, const char *name, unsigned int line,
		 unsigned int col, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	if (d->n >= TG_DIAG_MAX) {
		d->dropped++;
		return;
	}
	n = snprintf(msg, sizeof(msg), "%s:%u:%u: ", name, line, col);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	diag_push(d, msg);
}

void tg_diag_msg(struct tg_diag *d, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (d->n >= TG_DIAG_MAX) {
		d->dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_push(d, msg);
}

void tg_diag_free(struct tg_diag *d)
{
	unsigned int i;

	for (i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	memset(d, 0, sizeof(*d));
}

void ytree_free(struct ynode *y)
{
	unsigned int i;

	if (!y)
		return;
	for (i = 0; i < y->n; i++)
		ytree_free(y->kids[i]);
	free(y->kids);
	free(y->value);
	free(y);
}

static int ynode_add(struct ynode *parent, struct ynode *kid)
{
	if (parent->n == parent->cap) {
		unsigned int cap = parent->cap ? parent->cap * 2 : 4;
		void *k =
			reallocarray(parent->kids, cap, sizeof(*parent->kids));

		if (!k)
			return -ENOMEM;
		parent->kids = k;
		parent->cap = cap;
	}
	parent->kids[parent->n++] = kid;
	return 0;
}

static struct ynode *ynode_new(enum ytype t, const yaml_mark_t *m)
{
	struct ynode *y = calloc(1, sizeof(*y));

	if (y) {
		y->type = t;
		y->line = (unsigned int)m->line + 1;
		y->col = (unsigned int)m->column + 1;
	}
	return y;
}

/* An error at the start of libyaml mark m. */
#define MARK_ERR(c, m, ...)                                                    \
	tg_diag_add((c)->d, (c)->name, (unsigned int)(m).line + 1,             \
		    (unsigned int)(m).column + 1, __VA_ARGS__)

/* A tree under construction: the open collections, innermost last. */
struct ybuild {
	struct yctx *c;
	struct ynode *root;
	struct ynode *stack[TG_YAML_MAX_DEPTH + 1];
	int depth;
	int docs;
};

/* The node a scalar or collection start event opens; NULL if refused. */
static struct ynode *node_new(struct yctx *c, const yaml_event_t *ev)
{
	const yaml_char_t *anchor = ev->type == YAML_SCALAR_EVENT
					    ? ev->data.scalar.anchor
				    : ev->type == YAML_SEQUENCE_START_EVENT
					    ? ev->data.sequence_start.anchor
					    : ev->data.mapping_start.anchor;
	struct ynode *y;

	if (anchor) {
		MARK_ERR(c, ev->start_mark,
			 "YAML anchors are not allowed in a %s", c->doc);
		return NULL;
	}
	if (++c->nodes > TG_YAML_MAX_NODES) {
		MARK_ERR(c, ev->start_mark, "too many YAML nodes (limit %u)",
			 TG_YAML_MAX_NODES);
		return NULL;
	}
	y = ynode_new(ev->type == YAML_SCALAR_EVENT	      ? Y_SCALAR
		      : ev->type == YAML_SEQUENCE_START_EVENT ? Y_SEQ
							      : Y_MAP,
		      &ev->start_mark);
	if (!y || ev->type != YAML_SCALAR_EVENT)
		return y;
	y->value = strndup((const char *)ev->data.scalar.value,
			   ev->data.scalar.length);
	y->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
	if (!y->value || strlen(y->value) != ev->data.scalar.length) {
		tg_diag_add(c->d, c->name, y->line, y->col,
			    "NUL byte in a string");
		ytree_free(y);
		return NULL;
	}
	return y;
}

/* A scalar, or a collection that stays open until its end event. */
static int node_start(struct ybuild *b, const yaml_event_t *ev)
{
	struct ynode *y = node_new(b->c, ev);

	if (!y)
		return -EINVAL;
	if (b->depth > 0 && ynode_add(b->stack[b->depth - 1], y)) {
		ytree_free(y);
		return -ENOMEM;
	}
	if (b->depth == 0) {
		if (b->root)
			ytree_free(b->root);
		b->root = y;
	}
	if (y->type == Y_SCALAR)
		return 0;
	if (b->depth >= TG_YAML_MAX_DEPTH) {
		tg_diag_add(b->c->d, b->c->name, y->line, y->col,
			    "nested too deeply (limit %d levels)",
			    TG_YAML_MAX_DEPTH);
		return -EINVAL;
	}
	b->stack[b->depth++] = y;
	return 0;
}

/* One libyaml event into the tree: 0, 1 at the end of the stream, or -errno. */
static int add_event(struct ybuild *b, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_STREAM_END_EVENT: return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (++b->docs > 1) {
			MARK_ERR(b->c, ev->start_mark,
				 "only one YAML document is allowed");
			return -EINVAL;
		}
		return 0;
	case YAML_ALIAS_EVENT:
		MARK_ERR(b->c, ev->start_mark,
			 "YAML aliases are not allowed in a %s", b->c->doc);
		return -EINVAL;
	case YAML_SCALAR_EVENT:
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: return node_start(b, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth > 0)
			b->depth--;
		return 0;
	default: return 0;
	}
}

/* Build the tree of one YAML document; NULL with errors in d. */
static struct ynode *yaml_tree(struct yctx *c, const char *buf, size_t len)
{
	struct ybuild b = {.c = c};
	yaml_parser_t parser;
	yaml_event_t ev;
	int r = 0;

	if (!yaml_parser_initialize(&parser))
		return NULL;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (r == 0) {
		if (!yaml_parser_parse(&parser, &ev)) {
			size_t at = parser.problem_mark.index;

			/* libyaml's word for a tab is "cannot start any token". */
			if (at < len && buf[at] == '\t')
				MARK_ERR(c, parser.problem_mark,
					 "tabs are not allowed in YAML: indent with spaces");
			else
				MARK_ERR(c, parser.problem_mark,
					 "invalid YAML: %s%s%s",
					 parser.problem ? parser.problem
							: "error",
					 parser.context ? " " : "",
					 parser.context ? parser.context : "");
			r = -EINVAL;
			break;
		}
		r = add_event(&b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (r < 0) {
		ytree_free(b.root);
		return NULL;
	}
	return b.root;
}

/* ---- schema ---- */

const char *y_type_name(const struct ynode *y)
{
	return y->type == Y_MAP	  ? "a mapping"
	       : y->type == Y_SEQ ? "a list"
				  : "a scalar";
}

int y_want(struct yctx *c, const struct ynode *y, enum ytype t,
	   const char *what)
{
	if (y->type == t)
		return 0;
	YERR(c, y, "%s must be %s, not %s", what,
	     t == Y_MAP	  ? "a mapping"
	     : t == Y_SEQ ? "a list"
			  : "a string",
	     y_type_name(y));
	return -EINVAL;
}

static int key_cmp(const void *a, const void *b)
{
	const struct ynode *x = *(const struct ynode *const *)a;
	const struct ynode *y = *(const struct ynode *const *)b;
	int c = strcmp(x->value, y->value);

	if (c)
		return c;
	return x->line != y->line ? (x->line < y->line ? -1 : 1)
				  : (x->col < y->col ? -1 : x->col > y->col);
}

/* Report keys that appear twice in map, in document order; O(n log n). */
static int check_duplicates(struct yctx *c, const struct ynode *map)
{
	const struct ynode **keys;
	unsigned int i, n = 0;
	int err = 0;

	keys = calloc(map->n / 2 + 1, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (i = 0; i + 1 < map->n; i += 2)
		if (map->kids[i]->type == Y_SCALAR)
			keys[n++] = map->kids[i];
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (i = 1; i < n; i++) {
		unsigned int first = i - 1;

		while (i < n &&
		       strcmp(keys[i]->value, keys[first]->value) == 0) {
			YERR(c, keys[i],
			     "duplicate key '%s' (first at line %u)",
			     keys[i]->value, keys[first]->line);
			err = -EINVAL;
			i++;
		}
	}
	free(keys);
	return err;
}

/* Check a map's keys against allowed (NULL-terminated); flags duplicates. */
/* Edit distance of a and b (insertions, deletions, substitutions, and
 * swaps of neighbours), at most 64 bytes each; 99 beyond. */
static unsigned int distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	unsigned int d[65][65], v;

	if (la > 64 || lb > 64)
		return 99;
	for (i = 0; i <= la; i++)
		d[i][0] = (unsigned int)i;
	for (j = 0; j <= lb; j++)
		d[0][j] = (unsigned int)j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

const char *tg_nearest(const char *word, const char *const *known)
{
	unsigned int best = 3, dist, k;
	const char *near = NULL;

	/* Close enough to be a slip: 1 edit in short words, 2 in longer. */
	if (strlen(word) < 5)
		best = 2;
	for (k = 0; known && known[k]; k++) {
		dist = distance(word, known[k]);
		if (dist < best) {
			best = dist;
			near = known[k];
		}
	}
	return near;
}

int y_check_keys(struct yctx *c, const struct ynode *map,
		 const char *const *allowed, const char *what)
{
	unsigned int i, k;
	int err = check_duplicates(c, map);

	for (i = 0; i + 1 < map->n; i += 2) {
		const struct ynode *key = map->kids[i];

		if (key->type != Y_SCALAR) {
			YERR(c, key, "%s: keys must be strings", what);
			err = -EINVAL;
			continue;
		}
		if (!allowed)
			continue;
		for (k = 0; allowed[k]; k++)
			if (strcmp(allowed[k], key->value) == 0)
				break;
		if (!allowed[k]) {
			const char *near = tg_nearest(key->value, allowed);

			YERR(c, key, "unknown key '%s' in %s%s%s%s", key->value,
			     what, near ? ": did you mean '" : "",
			     near ? near : "", near ? "'?" : "");
			err = -EINVAL;
		}
	}
	return err;
}

const struct ynode *y_get(const struct ynode *map, const char *key)
{
	unsigned int i;

	for (i = 0; i + 1 < map->n; i += 2)
		if (map->kids[i]->type == Y_SCALAR &&
		    strcmp(map->kids[i]->value, key) == 0)
			return map->kids[i + 1];
	return NULL;
}

struct ynode *ytree_parse(struct yctx *c, const char *buf, size_t len,
			  size_t max)
{
	unsigned int before = c->d->n + c->d->dropped;
	struct ynode *root;

	if (len > max) {
		tg_diag_add(c->d, c->name, 1, 1,
			    "file is too large (%zu bytes, limit %zu)", len,
			    max);
		return NULL;
	}
	if (memchr(buf, '\0', len)) {
		tg_diag_add(c->d, c->name, 1, 1,
			    "not a text file (contains NUL bytes)");
		return NULL;
	}
	root = yaml_tree(c, buf, len);
	if (!root && c->d->n + c->d->dropped == before)
		tg_diag_add(c->d, c->name, 1, 1, "the %s is empty", c->doc);
	return root;
}

int tg_read_text_file(const char *path, size_t max, char **buf, size_t *len,
		      struct tg_diag *d)
{
	struct stat st;
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		tg_diag_add(d, path, 1, 1, "cannot open: %s", strerror(-err));
		return err;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		tg_diag_add(d, path, 1, 1, "not a regular file");
		err = -EINVAL;
		goto out_close;
	}
	if ((size_t)st.st_size > max) {
		tg_diag_add(d, path, 1, 1,
			    "file is too large (%lld bytes, limit %zu)",
			    (long long)st.st_size, max);
		err = -EFBIG;
		goto out_close;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		err = -ENOMEM;
		goto out_close;
	}
	n = read(fd, *buf, (size_t)st.st_size + 1);
	if (n < 0 || n > st.st_size) {
		tg_diag_add(d, path, 1, 1,
			    "cannot read (file changed while reading?)");
		free(*buf);
		*buf = NULL;
		err = -EIO;
		goto out_close;
	}
	*len = (size_t)n;
out_close:
	close(fd);
	return err;
}
