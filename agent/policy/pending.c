// SPDX-License-Identifier: GPL-2.0
/*
 * The pending actor: the tenants cgroup's row in tenant_cgroups, and the
 * cgroups below it that stay pending, with the reason.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cgroupfs.h"
#include "policy/pending.h"
#include "tenantguard/map_abi.h"

void tg_pending_init(struct tg_pending *p)
{
	memset(p, 0, sizeof(*p));
}

void tg_pending_clear(struct tg_pending *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->v[i].cgroup);
	p->n = 0;
	p->more = 0;
}

void tg_pending_free(struct tg_pending *p)
{
	tg_pending_clear(p);
	free(p->v);
	tg_pending_init(p);
}

int tg_pending_locate(struct tg_pending *p, const char *tenants_dir, int audit)
{
	int err;

	p->cgroup[0] = '\0';
	p->cgroup_id = 0;
	p->flags = TG_TENANT_F_PENDING | (audit ? TG_TENANT_F_AUDIT : 0);
	if (!tenants_dir)
		return 0;
	if (snprintf(p->cgroup, sizeof(p->cgroup), "%s", tenants_dir) >=
	    (int)sizeof(p->cgroup))
		return -ENAMETOOLONG;
	err = tg_cgroup_id(tenants_dir, &p->cgroup_id);
	if (err == -ENOENT || err == -ENOTDIR) {
		p->cgroup_id = 0; /* made later: found then */
		err = 0;
	}
	return err;
}

int tg_pending_add(struct tg_pending *p, const char *dir, const char *name,
		   int reason, int err)
{
	struct tg_unreg *u;
	char *path;

	if (p->n >= TG_UNREG_MAX) {
		p->more++;
		return 0;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		void *v = reallocarray(p->v, cap, sizeof(*p->v));

		if (!v)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	if ((name ? asprintf(&path, "%s/%s", dir, name)
		  : asprintf(&path, "%s", dir)) < 0)
		return -ENOMEM;
	u = &p->v[p->n++];
	u->cgroup = path;
	u->reason = reason;
	u->err = err;
	return 0;
}

static int unreg_cmp(const void *a, const void *b)
{
	const struct tg_unreg *x = a, *y = b;
	int c = strcmp(x->cgroup, y->cgroup);

	return c ? c : x->reason - y->reason;
}

void tg_pending_finish(struct tg_pending *p)
{
	if (p->n)
		qsort(p->v, p->n, sizeof(*p->v), unreg_cmp);
}

const char *tg_unreg_reason_name(int reason)
{
	switch (reason) {
	case TG_UNREG_NAME: return "invalid_name";
	case TG_UNREG_IDS: return "no_tenant_ids";
	case TG_UNREG_POLICY_NAME: return "policy_tenant_name";
	case TG_UNREG_HOLDS: return "holds_policy_tenants";
	case TG_UNREG_CONFLICT: return "conflict";
	default: return "error";
	}
}

/* Why a name got no tenant id. */
static void ids_text(char *buf, size_t len)
{
	snprintf(buf, len,
		 "the %u tenant ids are used up (ids are never reused while "
		 "the pinned set lives; only --detach starts them again)",
		 TG_TENANT_PENDING - 1);
}

void tg_unreg_text(const struct tg_unreg *u, char *buf, size_t len)
{
	const char *why;
	char tmp[160];

	switch (u->reason) {
	case TG_UNREG_NAME:
		why = "its name is not a valid tenant name (1 to 63 of A-Z a-z "
		      "0-9 _ . -, not \"host\")";
		break;
	case TG_UNREG_IDS:
		ids_text(tmp, sizeof(tmp));
		why = tmp;
		break;
	case TG_UNREG_POLICY_NAME:
		why = "its name is a policy tenant's, whose cgroup is "
		      "elsewhere";
		break;
	case TG_UNREG_HOLDS:
		why = "it holds the cgroups of policy tenants";
		break;
	case TG_UNREG_CONFLICT:
		why = "its cgroup or owned path is also another tenant's";
		break;
	default:
		snprintf(tmp, sizeof(tmp), "it cannot be read: %s",
			 strerror(u->err));
		why = tmp;
		break;
	}
	snprintf(buf, len,
		 "cgroup %s is no tenant: %s; its processes are pending "
		 "(they own nothing and are refused what tenants own)",
		 u->cgroup, why);
}

void tg_unowned_text(const struct tg_unreg *u, char *buf, size_t len)
{
	const char *why;
	char tmp[160];

	switch (u->reason) {
	case TG_UNREG_NAME: why = "its name is not a valid tenant name"; break;
	case TG_UNREG_IDS:
		ids_text(tmp, sizeof(tmp));
		why = tmp;
		break;
	case TG_UNREG_POLICY_NAME:
		why = "its name is a policy tenant's, which does not own it";
		break;
	default:
		why = "the tenant of that name is no tenant now (a conflict)";
		break;
	}
	snprintf(buf, len,
		 "path %s is no tenant's: %s; it is refused to every tenant "
		 "(the host keeps access)",
		 u->cgroup, why);
}

void tg_pending_news(const struct tg_pending *before,
		     const struct tg_pending *now,
		     void (*fn)(void *ctx, const struct tg_unreg *u), void *ctx)
{
	size_t i = 0, j;
	int c;

	for (j = 0; j < now->n; j++) {
		c = -1;
		while (i < before->n &&
		       (c = unreg_cmp(&before->v[i], &now->v[j])) < 0)
			i++;
		if (i < before->n && c == 0)
			continue;
		fn(ctx, &now->v[j]);
	}
}

int tg_pending_copy_list(struct tg_pending *dst, const struct tg_pending *src)
{
	size_t i;
	int err = 0;

	tg_pending_clear(dst);
	for (i = 0; i < src->n && !err; i++)
		err = tg_pending_add(dst, src->v[i].cgroup, NULL,
				     src->v[i].reason, src->v[i].err);
	dst->more = src->more;
	if (err)
		tg_pending_clear(dst);
	return err;
}
