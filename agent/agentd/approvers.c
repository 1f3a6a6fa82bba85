// SPDX-License-Identifier: GPL-2.0
/*
 * The tenants' approver keys as enrolled (docs/grants.md, "Approver keys
 * change only by the tenant"): the first keys a tenant has in the policy
 * are enrolled in the agent's state (approvers.json); from then on a
 * policy whose approvers: differ from the enrolled ones is refused, with a
 * located error, until need of the enrolled keys approve an update
 * (approvers-set) that enrols the new ones. A tenant that leaves the
 * policy leaves its enrolment with it (a tenant of that name later is a
 * new tenant).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agentd/agent.h"
#include "agentd/event_text.h"
#include "common/control.h"
#include "common/grant_doc.h"
#include "common/grant_key.h"
#include "common/grant_verify.h"
#include "common/log.h"
#include "common/text.h"

#define ENROLLED     "approvers.json"
#define ENROLLED_TMP "approvers.json.tmp"
#define ENROLLED_MAX (4u << 20) /* bytes of the record */

static struct agent_enrolled *find(struct agent *a, const char *tenant)
{
	unsigned int i;

	for (i = 0; i < a->n_enrolled; i++)
		if (!strcmp(a->enrolled[i].tenant, tenant))
			return &a->enrolled[i];
	return NULL;
}

static int same(const struct tg_approvers *x, const struct tg_approvers *y)
{
	unsigned int i, j;

	if (x->need != y->need || x->n_keys != y->n_keys)
		return 0;
	for (i = 0; i < x->n_keys; i++) {
		for (j = 0; j < y->n_keys; j++)
			if (!memcmp(x->keys[i], y->keys[j], 32))
				break;
		if (j == y->n_keys)
			return 0;
	}
	return 1;
}

static struct json_object *keys_json(const struct tg_approvers *ap)
{
	struct json_object *arr = json_object_new_array();
	unsigned int i;
	char b[45];

	for (i = 0; i < ap->n_keys; i++) {
		tg_grant_key_b64(ap->keys[i], b);
		json_object_array_add(arr, json_object_new_string(b));
	}
	return arr;
}

static int save(struct agent *a)
{
	struct json_object *o = json_object_new_object(),
			   *t = json_object_new_object(), *e;
	unsigned int i;
	int err;

	json_object_object_add(o, "version", json_object_new_int(1));
	for (i = 0; i < a->n_enrolled; i++) {
		e = json_object_new_object();
		json_object_object_add(e, "keys",
				       keys_json(&a->enrolled[i].ap));
		json_object_object_add(
			e, "need",
			json_object_new_int64(a->enrolled[i].ap.need));
		json_object_object_add(
			e, "since",
			json_object_new_int64(a->enrolled[i].since));
		json_object_object_add(
			e, "how", json_object_new_string(a->enrolled[i].how));
		json_object_object_add(t, a->enrolled[i].tenant, e);
	}
	json_object_object_add(o, "tenants", t);
	err = agent_state_write(a, ENROLLED, ENROLLED_TMP, o);
	json_object_put(o);
	return err;
}

static struct agent_enrolled *add(struct agent *a, const char *tenant)
{
	struct agent_enrolled *e;

	e = realloc(a->enrolled, (a->n_enrolled + 1) * sizeof(*e));
	if (!e)
		return NULL;
	a->enrolled = e;
	e = &a->enrolled[a->n_enrolled++];
	memset(e, 0, sizeof(*e));
	snprintf(e->tenant, sizeof(e->tenant), "%s", tenant);
	return e;
}

int agent_approvers_load(struct agent *a)
{
	struct json_object *o = NULL, *t, *k, *v;
	struct agent_enrolled *e;
	char *buf = NULL;
	ssize_t n;
	size_t i;
	int fd, err = 0;

	fd = openat(a->state_fd, ENROLLED, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT
			       ? 0
			       : tg_err(-errno, "state: %s/" ENROLLED ": %s",
					a->opt.state_dir, strerror(errno));
	buf = malloc(ENROLLED_MAX + 1);
	n = buf ? read(fd, buf, ENROLLED_MAX + 1) : -1;
	close(fd);
	if (n < 0 || n > (ssize_t)ENROLLED_MAX) {
		free(buf);
		return tg_err(-EIO,
			      "state: %s/" ENROLLED ": unreadable or too large",
			      a->opt.state_dir);
	}
	buf[n] = 0;
	o = json_tokener_parse(buf);
	free(buf);
	if (!o || !json_object_object_get_ex(o, "tenants", &t) ||
	    !json_object_is_type(t, json_type_object)) {
		json_object_put(o);
		return tg_err(
			-EINVAL,
			"state: %s/" ENROLLED
			": not a record of enrolled approver keys; not starting (restore it, or remove it to enrol the policy's keys again)",
			a->opt.state_dir);
	}
	json_object_object_foreach(t, name, ent)
	{
		e = add(a, name);
		if (!e) {
			err = -ENOMEM;
			break;
		}
		if (json_object_object_get_ex(ent, "keys", &k) &&
		    json_object_is_type(k, json_type_array))
			for (i = 0; i < json_object_array_length(k) &&
				    i < TG_APPROVERS_MAX;
			     i++)
				if (!tg_grant_key_parse(
					    json_object_get_string(
						    json_object_array_get_idx(
							    k, i)),
					    e->ap.keys[e->ap.n_keys]))
					e->ap.n_keys++;
		if (json_object_object_get_ex(ent, "need", &v))
			e->ap.need = (unsigned int)json_object_get_int64(v);
		if (json_object_object_get_ex(ent, "since", &v))
			e->since = json_object_get_int64(v);
		snprintf(e->how, sizeof(e->how), "%s", tg_json_str(ent, "how"));
	}
	json_object_put(o);
	return err;
}

int agent_approvers_check(struct agent *a, const struct tg_policy *p,
			  struct tg_diag *d)
{
	const struct tg_policy_tenant *t;
	const struct agent_enrolled *e;
	char since[48];
	unsigned int i;
	int err = 0;

	if (a->state_fd < 0)
		return 0;
	for (i = 0; i < p->n_tenants; i++) {
		t = &p->tenants[i];
		e = find(a, t->name);
		if (!e || same(&e->ap, &t->approvers))
			continue;
		tg_format_time(since, sizeof(since), e->since * 1000000000LL);
		tg_diag_msg(
			d,
			"%s: tenant '%s': approvers differ from the %u key(s) (need %u) enrolled for it since %s (%s/" ENROLLED
			"): approver keys change only by the tenant: an update approved by %u of the enrolled keys (tenantguard grant approvers-update, grant approve, grant approvers-set), then the policy says the new keys",
			t->where ? t->where : p->source, t->name, e->ap.n_keys,
			e->ap.need, since, a->opt.state_dir, e->ap.need);
		err = -EINVAL;
	}
	return err;
}

static void event(struct agent *a, const char *op, const char *tenant,
		  const struct tg_approvers *ap, const char *how)
{
	struct json_object *o;

	o = tg_grant_event(&a->fmt, op, "allow", tenant,
			   a->peer ? (__u32)a->peer->pid : 0,
			   a->peer ? a->peer->comm : "");
	if (!o)
		return;
	if (ap) {
		json_object_object_add(o, "keys", keys_json(ap));
		json_object_object_add(o, "need",
				       json_object_new_int64(ap->need));
	}
	if (how)
		json_object_object_add(o, "how", json_object_new_string(how));
	agent_emit(a, o);
}

void agent_approvers_enroll(struct agent *a)
{
	const struct tg_policy_tenant *t;
	struct agent_enrolled *e;
	unsigned int i, j, changed = 0;
	int err;

	if (a->state_fd < 0 || a->builtin)
		return;
	for (i = 0; i < a->policy.n_tenants; i++) {
		t = &a->policy.tenants[i];
		if (!t->approvers.need || find(a, t->name))
			continue;
		e = add(a, t->name);
		if (!e)
			return;
		e->ap = t->approvers;
		e->since = time(NULL);
		snprintf(e->how, sizeof(e->how), "policy");
		changed = 1;
		event(a, "approvers_enrolled", t->name, &e->ap, "policy");
		tg_info("approvers of tenant %s enrolled from the policy (%u key(s), need %u)",
			t->name, e->ap.n_keys, e->ap.need);
	}
	for (i = 0; i < a->n_enrolled;) {
		if (tg_policy_find(&a->policy, a->enrolled[i].tenant)) {
			i++;
			continue;
		}
		event(a, "approvers_dropped", a->enrolled[i].tenant, NULL,
		      "the tenant left the policy");
		for (j = i; j + 1 < a->n_enrolled; j++)
			a->enrolled[j] = a->enrolled[j + 1];
		a->n_enrolled--;
		changed = 1;
	}
	if (changed && (err = save(a)))
		tg_warn("state: %s/" ENROLLED " not written: %s",
			a->opt.state_dir, strerror(-err));
}

/* approvers-set {update, approvals}: enrol an update's keys. */
struct json_object *agent_approvers_set(struct agent *a,
					struct json_object *req,
					struct tg_control_io *io)
{
	const char *doc = tg_json_str(req, "update");
	const char *ap[TG_GRANT_MAX_APPROVALS];
	size_t lens[TG_GRANT_MAX_APPROVALS];
	struct tg_approvers_update u;
	struct tg_approvers next = {0}, prev;
	struct agent_enrolled *e;
	struct json_object *arr, *o;
	char why[768], msg[512];
	unsigned int i, n = 0;
	int err;

	(void)io;
	if (json_object_object_get_ex(req, "approvals", &arr) &&
	    json_object_is_type(arr, json_type_array))
		for (i = 0; i < json_object_array_length(arr) &&
			    n < TG_GRANT_MAX_APPROVALS;
		     i++) {
			ap[n] = json_object_get_string(
				json_object_array_get_idx(arr, i));
			lens[n] = strlen(ap[n]);
			n++;
		}
	if (tg_approvers_update_parse(doc, strlen(doc), &u, why, sizeof(why))) {
		snprintf(msg, sizeof(msg), "approvers-set: %s", why);
		a->peer_refused = 1;
		return tg_control_error(msg);
	}
	e = find(a, u.tenant);
	err = tg_approvers_update_verify(doc, strlen(doc), ap, lens, n,
					 e ? &e->ap : NULL, (__u64)time(NULL),
					 &u, why, sizeof(why));
	if (err) {
		o = tg_grant_event(&a->fmt, "refused", "deny", u.tenant,
				   a->peer ? (__u32)a->peer->pid : 0,
				   a->peer ? a->peer->comm : "");
		if (o) {
			json_object_object_add(
				o, "request",
				json_object_new_string("approvers-set"));
			tg_event_add_str(o, "error", why, strlen(why));
			agent_emit(a, o);
		}
		snprintf(msg, sizeof(msg), "approvers-set: refused: %s", why);
		a->peer_refused = 1;
		return tg_control_error(msg);
	}
	for (i = 0; i < u.n_keys; i++)
		tg_grant_key_parse(u.keys[i], next.keys[next.n_keys++]);
	next.need = u.need;
	prev = e->ap;
	e->ap = next;
	e->since = time(NULL);
	snprintf(e->how, sizeof(e->how), "update");
	err = save(a);
	if (err) {
		e->ap = prev;
		snprintf(msg, sizeof(msg),
			 "approvers-set: %s/" ENROLLED
			 " not written (%s): nothing changed",
			 a->opt.state_dir, strerror(-err));
		a->peer_refused = 1;
		return tg_control_error(msg);
	}
	event(a, "approvers_changed", u.tenant, &next, "update");
	snprintf(
		msg, sizeof(msg),
		"tenant %s: %u approver key(s), need %u, enrolled; the policy's approvers: must now say them (a reload with other keys is refused)",
		u.tenant, next.n_keys, next.need);
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "message", json_object_new_string(msg));
	return o;
}

void agent_approvers_free(struct agent *a)
{
	free(a->enrolled);
	a->enrolled = NULL;
	a->n_enrolled = 0;
}
