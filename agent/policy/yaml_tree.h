/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_POLICY_YAML_TREE_H
#define TG_POLICY_YAML_TREE_H

#include <stddef.h>

#define TG_YAML_MAX_DEPTH 16	  /* nesting */
#define TG_YAML_MAX_NODES 2000000 /* nodes per document */
#define TG_DIAG_MAX	  100	  /* errors reported; the rest counted */

/* Errors, each "file:line:column: message". */
struct tg_diag {
	char **msgs;
	unsigned int n;
	unsigned int dropped; /* beyond TG_DIAG_MAX */
};

void tg_diag_add(struct tg_diag *d, const char *name, unsigned int line,
		 unsigned int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* A message that no file position fits (printf-style). */
void tg_diag_msg(struct tg_diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tg_diag_free(struct tg_diag *d);

enum ytype { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ytype type;
	unsigned int line, col; /* 1-based */
	char *value;		/* scalars */
	int quoted;		/* scalar was quoted */
	struct ynode **kids;	/* seq items; map: key, value, key, ... */
	unsigned int n, cap;
};

struct yctx {
	const char *name; /* file name in messages */
	struct tg_diag *d;
	const char *doc; /* "policy", "profile": in messages */
	unsigned int nodes;
};

/* Of known (NULL-terminated), the word word is likely a slip for (one or
 * two edits away), or NULL. */
const char *tg_nearest(const char *word, const char *const *known);

#define YERR(c, y, ...)                                                        \
	tg_diag_add((c)->d, (c)->name, (y)->line, (y)->col, __VA_ARGS__)

/*
 * The tree of the one YAML document of len (at most max) bytes in buf; NULL
 * with every problem in c->d (an empty document is one).
 */
struct ynode *ytree_parse(struct yctx *c, const char *buf, size_t len,
			  size_t max);
void ytree_free(struct ynode *y);

const char *y_type_name(const struct ynode *y);
/* 0 if y is of type t, else an error naming what y should have been. */
int y_want(struct yctx *c, const struct ynode *y, enum ytype t,
	   const char *what);
/* Keys of map against allowed (NULL-terminated; NULL: any); duplicates too. */
int y_check_keys(struct yctx *c, const struct ynode *map,
		 const char *const *allowed, const char *what);
/* The value of key in map, or NULL. */
const struct ynode *y_get(const struct ynode *map, const char *key);

/* Read a whole regular file of at most max bytes into *buf (malloc'd). */
int tg_read_text_file(const char *path, size_t max, char **buf, size_t *len,
		      struct tg_diag *d);

#endif /* TG_POLICY_YAML_TREE_H */
