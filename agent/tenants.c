// SPDX-License-Identifier: GPL-2.0
/* The tenants the agent knows, with their cgroups and owned paths. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroupfs.h"
#include "tenants.h"
#include "tenantguard/event_abi.h"
#include "tenantguard/map_abi.h"

int tg_tenant_name_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n >= TG_TENANT_NAME_MAX || strcmp(name, "host") == 0)
		return 0;
	if (name[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == '.'))
			return 0;
	}
	return 1;
}

void tg_registry_init(struct tg_registry *r)
{
	memset(r, 0, sizeof(*r));
	r->next_id = 1;
}

static void entry_free_paths(struct tg_tenant_entry *e)
{
	unsigned int i;

	for (i = 0; i < e->n_paths; i++)
		free(e->paths[i]);
	e->n_paths = 0;
}

void tg_registry_free(struct tg_registry *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		entry_free_paths(&r->v[i]);
	free(r->v);
	tg_registry_init(r);
}

struct tg_tenant_entry *tg_registry_find(struct tg_registry *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i].name, name) == 0)
			return &r->v[i];
	return NULL;
}

const struct tg_tenant_entry *tg_registry_by_id(const struct tg_registry *r,
					       __u32 id)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->v[i].id == id)
			return &r->v[i];
	return NULL;
}

const char *tg_registry_name(const struct tg_registry *r, __u32 id, char *buf,
			     size_t len)
{
	const struct tg_tenant_entry *e;

	if (id == TG_TENANT_HOST)
		return "host";
	e = tg_registry_by_id(r, id);
	if (e)
		return e->name;
	snprintf(buf, len, "tenant-%u", id);
	return buf;
}

static struct tg_tenant_entry *registry_add(struct tg_registry *r,
					    const char *name)
{
	struct tg_tenant_entry *e;

	if (r->next_id > TG_MAX_TENANTS) {
		errno = ENOSPC;
		return NULL;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		void *v = reallocarray(r->v, cap, sizeof(*r->v));

		if (!v)
			return NULL;
		r->v = v;
		r->cap = cap;
	}
	e = &r->v[r->n++];
	memset(e, 0, sizeof(*e));
	e->id = r->next_id++;
	snprintf(e->name, sizeof(e->name), "%s", name);
	return e;
}

/* (Re)fill one zero-config tenant found at tenants_dir/name. */
static int scan_one(struct tg_registry *r, const char *tenants_dir,
		    const char *paths_root, const char *name)
{
	struct tg_tenant_entry *e;
	char owned[PATH_MAX];
	int err;

	e = tg_registry_find(r, name);
	if (!e) {
		e = registry_add(r, name);
		if (!e)
			return -errno;
	}
	err = tg_path_join(e->cgroup, sizeof(e->cgroup), tenants_dir, name);
	if (err)
		return err;
	err = tg_cgroup_id(e->cgroup, &e->cgroup_id);
	if (err)
		return err;
	entry_free_paths(e);
	if (paths_root) {
		err = tg_path_join(owned, sizeof(owned), paths_root, name);
		if (err)
			return err;
		e->paths[0] = strdup(owned);
		if (!e->paths[0])
			return -ENOMEM;
		e->n_paths = 1;
	}
	e->present = 1;
	return 0;
}

int tg_registry_scan(struct tg_registry *r, const char *tenants_dir,
		     const char *paths_root)
{
	struct dirent *de;
	size_t i;
	DIR *d;
	int err = 0;

	for (i = 0; i < r->n; i++) {
		r->v[i].present = 0;
		r->v[i].cgroup_id = 0;
	}
	d = opendir(tenants_dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || !tg_tenant_name_valid(de->d_name))
			continue;
		err = scan_one(r, tenants_dir, paths_root, de->d_name);
		/* A cgroup removed while scanning is simply absent. */
		if (err == -ENOENT)
			err = 0;
		if (err)
			break;
	}
	closedir(d);
	return err;
}
