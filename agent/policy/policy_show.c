// SPDX-License-Identifier: GPL-2.0
/*
 * The merged policy as JSON, each setting with the file, line and column it
 * came from (`tenantguard policy show`, served by the agent from the policy
 * in force).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "policy/policy_show.h"

static void add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

/* Whether positions are shown (not to a restricted view). */
static __thread int show_where;

/* {"value": v, "where": "file:line:col"} (where "" when derived, or not
 * shown). */
static struct json_object *at(struct json_object *v, const char *where)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "value", v);
	add_str(o, "where", show_where ? where : "");
	return o;
}

static const char *mode_name(int mode)
{
	return mode == TG_MODE_AUDIT	 ? "audit"
	       : mode == TG_MODE_ENFORCE ? "enforce"
					 : "inherit";
}

static struct json_object *rate_json(const struct tg_rate *r)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "rate", json_object_new_int64(r->rate));
	json_object_object_add(o, "burst", json_object_new_int64(r->burst));
	return o;
}

static struct json_object *tenant_show(const struct tg_policy *p,
				       const struct tg_policy_tenant *t)
{
	struct json_object *o = json_object_new_object(), *a;
	char where[PATH_MAX + 32], addr[INET6_ADDRSTRLEN], s[80];
	const char *w;
	unsigned int i;

	add_str(o, "name", t->name);
	add_str(o, "where", show_where ? t->where : "");
	json_object_object_add(
		o, "cgroup",
		at(json_object_new_string(t->cgroup ? t->cgroup : ""),
		   t->cgroup_where));
	json_object_object_add(
		o, "mode",
		json_object_new_string(mode_name(
			t->mode == TG_MODE_INHERIT ? p->mode : t->mode)));
	a = json_object_new_array();
	for (i = 0; i < t->n_paths; i++)
		json_object_array_add(a, json_object_new_string(t->paths[i]));
	json_object_object_add(o, "paths", a);
	a = json_object_new_array();
	for (i = 0; i < t->n_ports; i++) {
		const struct tg_port_range *r = &t->ports[i];

		if (r->lo == r->hi)
			snprintf(s, sizeof(s), "%s:%u",
				 r->proto == IPPROTO_TCP ? "tcp" : "udp",
				 r->lo);
		else
			snprintf(s, sizeof(s), "%s:%u-%u",
				 r->proto == IPPROTO_TCP ? "tcp" : "udp", r->lo,
				 r->hi);
		tg_policy_where_in(where, sizeof(where), t->where, r->line,
				   r->col);
		json_object_array_add(a, at(json_object_new_string(s), where));
	}
	json_object_object_add(o, "ports", a);
	a = json_object_new_array();
	for (i = 0; i < t->n_networks; i++) {
		const struct tg_cidr *c = &t->networks[i];
		static const unsigned char v4[12] = {0, 0, 0, 0, 0,    0,
						     0, 0, 0, 0, 0xff, 0xff};

		if (!memcmp(c->addr, v4, 12) && c->prefix >= 96) {
			inet_ntop(AF_INET, c->addr + 12, addr, sizeof(addr));
			snprintf(s, sizeof(s), "%s/%u", addr, c->prefix - 96);
		} else {
			inet_ntop(AF_INET6, c->addr, addr, sizeof(addr));
			snprintf(s, sizeof(s), "%s/%u", addr, c->prefix);
		}
		tg_policy_where_in(where, sizeof(where), t->where, c->line,
				   c->col);
		json_object_array_add(a, at(json_object_new_string(s), where));
	}
	json_object_object_add(o, "networks", a);
	a = json_object_new_array();
	for (i = 0; i < t->n_allow_from; i++) {
		/* Each name is followed by where it is written. */
		w = t->allow_from[i] + strlen(t->allow_from[i]) + 1;
		json_object_array_add(
			a, at(json_object_new_string(t->allow_from[i]), w));
	}
	json_object_object_add(o, "allow_from", a);
	add_str(o, "seccomp", t->seccomp[0] ? t->seccomp : "default");
	json_object_object_add(
		o, "events",
		rate_json(t->events.set ? &t->events : &p->events));
	json_object_object_add(
		o, "events_from",
		json_object_new_string(t->events.set ? "tenant" : "policy"));
	json_object_object_add(
		o, "auditors",
		json_object_new_int64(t->auditors.n_uids + t->auditors.n_gids));
	json_object_object_add(o, "approvers_need",
			       json_object_new_int64(t->approvers.need));
	json_object_object_add(o, "approvers_keys",
			       json_object_new_int64(t->approvers.n_keys));
	return o;
}

/*
 * support: its login uids, groups and delegation paths as written, each
 * {"value", "where"} with the support entry's place (lists are written in
 * one place).
 */
static struct json_object *support_json(const struct tg_policy *p)
{
	struct json_object *o = json_object_new_object(), *a;
	char b[32];
	unsigned int i;

	a = json_object_new_array();
	for (i = 0; i < p->n_support_uids; i++) {
		if (p->support_uids[i].lo == p->support_uids[i].hi)
			snprintf(b, sizeof(b), "%u", p->support_uids[i].lo);
		else
			snprintf(b, sizeof(b), "%u-%u", p->support_uids[i].lo,
				 p->support_uids[i].hi);
		json_object_array_add(
			a, at(json_object_new_string(b), p->support_where));
	}
	json_object_object_add(o, "login_uids", a);
	a = json_object_new_array();
	for (i = 0; i < p->n_support_groups; i++)
		json_object_array_add(
			a, at(json_object_new_string(p->support_groups[i].name),
			      p->support_where));
	json_object_object_add(o, "groups", a);
	a = json_object_new_array();
	for (i = 0; i < p->n_support_delegation; i++)
		json_object_array_add(
			a, at(json_object_new_string(p->support_delegation[i]),
			      p->support_where));
	json_object_object_add(o, "delegation", a);
	return o;
}

struct json_object *tg_policy_show_json(const struct tg_policy *p,
					int (*keep)(const char *name,
						    const void *arg),
					const void *arg, int full)
{
	struct json_object *o = json_object_new_object(), *a, *f;
	unsigned int i;

	show_where = full;
	add_str(o, "source", p->source[0] ? p->source : "built-in");
	/*
	 * Restricted (not full): no digest, file list, hash or position:
	 * each says something of the tenants left out (a drop-in's name, a
	 * hash to test guesses of its settings against, the length of their
	 * sections in a shared file).
	 */
	if (full) {
		add_str(o, "digest", p->digest);
		a = json_object_new_array();
		for (i = 0; i < p->n_read; i++) {
			f = json_object_new_object();
			add_str(f, "path", p->read[i].path);
			add_str(f, "sha256", p->read[i].sha256);
			json_object_array_add(a, f);
		}
		json_object_object_add(o, "files", a);
	}
	json_object_object_add(o, "mode",
			       json_object_new_string(mode_name(p->mode)));
	json_object_object_add(o, "tenants_cgroup",
			       at(json_object_new_string(p->tenants_cgroup),
				  p->tenants_cgroup_where));
	json_object_object_add(o, "events", rate_json(&p->events));
	if (full && p->support_where[0])
		json_object_object_add(o, "support", support_json(p));
	a = json_object_new_array();
	for (i = 0; i < p->n_tenants; i++)
		if (!keep || keep(p->tenants[i].name, arg))
			json_object_array_add(a,
					      tenant_show(p, &p->tenants[i]));
	json_object_object_add(o, "tenants", a);
	return o;
}
