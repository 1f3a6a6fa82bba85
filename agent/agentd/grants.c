// SPDX-License-Identifier: GPL-2.0
/*
 * Grants (docs/grants.md): a support actor's request (grant-request), its
 * activation with the tenant's signed approvals (grant-activate: checked
 * against the policy's approver keys, the host, the boot and the replay
 * cache, then written to the pinned grants map with a deadline in
 * boot-time nanoseconds), the sessions bound to a grant (grant-shell: a
 * cgroup of their own), revocation (grant-revoke) and expiry, each an
 * event of kind "grant". The kernel programs enforce the map; the agent
 * ends what it can (deletes the entry, kills the sessions) when a grant
 * ends, and the programs refuse a grant past its deadline without it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "agentd/actor_names.h"
#include "agentd/agent.h"
#include "agentd/event_text.h"
#include "common/cgroupfs.h"
#include "common/clock.h"
#include "common/control.h"
#include "common/event_filter.h"
#include "common/grant_doc.h"
#include "common/grant_key.h"
#include "common/grant_verify.h"
#include "common/log.h"
#include "common/replay_cache.h"
#include "common/roles.h"
#include "common/text.h"

#define REPLAY_FILE	 "grants.replay"
#define SESSIONS_DIR	 "tenantguard.grants"
#define ACTIVATE_DEFAULT (24 * 3600) /* a request's activate_by - created */
#define ENDED_KEPT	 256	     /* ended grants kept to name late events */
#define TG_BREAK_GLASS_MAX                                                     \
	3600 /* seconds a break-glass grant lasts, at most                     \
	      */

_Static_assert(TG_GRANT_OP_CONNECT == TG_GRANT_CONNECT &&
		       TG_GRANT_OP_EXEC == TG_GRANT_EXEC &&
		       TG_GRANT_OP_PTRACE == TG_GRANT_PTRACE &&
		       TG_GRANT_OP_READ == TG_GRANT_READ &&
		       TG_GRANT_OP_SIGNAL == TG_GRANT_SIGNAL &&
		       TG_GRANT_OP_WRITE == TG_GRANT_WRITE,
	       "the request's op bits are the kernel's");

static int map_fd(struct agent *a, int which)
{
	return tg_bpf_grant_fd(&a->bpf, which);
}

static __u64 boot_ns(void)
{
	return (__u64)tg_clock_ns(CLOCK_BOOTTIME);
}

static int hex_id(const char *hex, __u8 out[16])
{
	unsigned int i, b;

	for (i = 0; i < 16; i++) {
		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return -EINVAL;
		out[i] = (__u8)b;
	}
	return 0;
}

static void id_hex(const __u8 id[16], char out[TG_GRANT_ID_HEX + 1])
{
	unsigned int i;

	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

static struct agent_grant *find_active(struct agent *a, __u32 login_uid,
				       __u32 tenant)
{
	unsigned int i;

	for (i = 0; i < a->n_grants; i++)
		if (!a->grants[i].ended &&
		    a->grants[i].login_uid == login_uid &&
		    a->grants[i].tenant_id == tenant)
			return &a->grants[i];
	return NULL;
}

static struct agent_grant *find_id(struct agent *a, const char *id)
{
	unsigned int i;

	for (i = 0; i < a->n_grants; i++)
		if (!strcmp(a->grants[i].id, id))
			return &a->grants[i];
	return NULL;
}

/* Room for one more grant: the oldest ended one goes when all are used. */
static struct agent_grant *grant_new(struct agent *a)
{
	struct agent_grant *g;
	unsigned int i, oldest = 0, n_ended = 0;

	for (i = 0; i < a->n_grants; i++)
		if (a->grants[i].ended) {
			if (!n_ended++ ||
			    a->grants[i].ended_ns < a->grants[oldest].ended_ns)
				oldest = i;
		}
	if (n_ended >= ENDED_KEPT) {
		g = &a->grants[oldest];
		free(g->paths);
		memset(g, 0, sizeof(*g));
		return g;
	}
	if (a->n_grants == a->cap_grants) {
		g = realloc(a->grants, (a->cap_grants + 16) * sizeof(*g));
		if (!g)
			return NULL;
		a->grants = g;
		a->cap_grants += 16;
	}
	g = &a->grants[a->n_grants++];
	memset(g, 0, sizeof(*g));
	return g;
}

const char *agent_grant_allows(struct agent *a, __u32 login_uid,
			       const char *tenant, __u32 ops)
{
	unsigned int i;
	__u64 now = boot_ns();

	for (i = 0; i < a->n_grants; i++)
		if (!a->grants[i].ended &&
		    a->grants[i].login_uid == login_uid &&
		    !strcmp(a->grants[i].tenant, tenant) &&
		    (a->grants[i].ops & ops) == ops && !a->grants[i].n_paths &&
		    a->grants[i].deadline_ns > now)
			return a->grants[i].id;
	return NULL;
}

const char *agent_grant_of(const void *ctx, __u32 login_uid, __u32 tenant,
			   __u64 ts)
{
	const struct agent *a = ctx;
	const struct agent_grant *g;
	unsigned int i;

	for (i = 0; i < a->n_grants; i++) {
		g = &a->grants[i];
		if (g->login_uid == login_uid && g->tenant_id == tenant &&
		    ts >= g->from_ns && (!g->ended || ts <= g->ended_ns) &&
		    ts < g->deadline_ns)
			return g->id;
	}
	return NULL;
}

static struct json_object *ops_json(__u32 ops)
{
	struct json_object *o = json_object_new_array();
	unsigned int bit;

	for (bit = 1; bit <= TG_GRANT_WRITE; bit <<= 1)
		if (ops & bit)
			json_object_array_add(
				o,
				json_object_new_string(tg_grant_op_name(bit)));
	return o;
}

static void add_str(struct json_object *o, const char *k, const char *v)
{
	tg_event_add_str(o, k, v, strlen(v));
}

/* The boot-time ns t as unix ns. */
static __s64 real_ns(__u64 t)
{
	return tg_boot_to_real_ns() + (__s64)t;
}

/* A kind "grant" event about g (op: activated, expired, ...). */
static struct json_object *grant_event(struct agent *a, const char *op,
				       const char *verdict,
				       const struct agent_grant *g)
{
	const struct tg_peer *p = a->peer;
	struct json_object *o, *paths;
	unsigned int i;

	o = tg_grant_event(&a->fmt, op, verdict, g ? g->tenant : "",
			   p ? (__u32)p->pid : 0, p ? p->comm : "");
	if (!o)
		return NULL;
	if (p) {
		json_object_object_add(o, "by_uid",
				       json_object_new_int64(p->uid));
		json_object_object_add(o, "by_login_uid",
				       json_object_new_int64(p->loginuid));
		if (a->peer_user)
			add_str(o, "by_user", a->peer_user);
	}
	if (!g)
		return o;
	add_str(o, "grant", g->id);
	json_object_object_add(o, "login_uid",
			       json_object_new_int64(g->login_uid));
	add_str(o, "user", g->user);
	json_object_object_add(o, "ops", ops_json(g->ops));
	if (g->n_paths) {
		paths = json_object_new_array();
		for (i = 0; i < g->n_paths; i++)
			json_object_array_add(
				paths, json_object_new_string(g->paths[i]));
		json_object_object_add(o, "paths", paths);
	}
	/* A grant found pinned at start: its beginning is not known. */
	if (g->from_ns > 1)
		tg_json_add_time(o, "from", real_ns(g->from_ns));
	if (g->deadline_ns)
		tg_json_add_time(o, "until", real_ns(g->deadline_ns));
	if (g->break_glass)
		json_object_object_add(o, "break_glass",
				       json_object_new_boolean(1));
	return o;
}

/* Delete g's kernel entries (the grant, if still g's, and its scopes). */
static void unmap(struct agent *a, const struct agent_grant *g)
{
	struct tg_grant_key k = {.login_uid = g->login_uid,
				 .tenant = g->tenant_id};
	struct tg_grant v;
	unsigned int i;

	if (map_fd(a, 0) < 0)
		return;
	if (!bpf_map_lookup_elem(map_fd(a, 0), &k, &v) &&
	    !memcmp(v.id, g->bin_id, sizeof(v.id)))
		bpf_map_delete_elem(map_fd(a, 0), &k);
	for (i = 0; i < g->n_scopes; i++)
		bpf_map_delete_elem(map_fd(a, 1), &g->scopes[i]);
}

/* Kill g's sessions (cgroup.kill) and forget them: how many were killed. */
static unsigned int kill_sessions(struct agent *a, struct agent_grant *g)
{
	char path[PATH_MAX];
	unsigned int i, n = 0;
	int fd;

	for (i = 0; i < g->n_sessions; i++) {
		snprintf(path, sizeof(path), "%s/cgroup.kill",
			 g->sessions[i].path);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, "1", 1) == 1)
				n++;
			else
				tg_warn("grant %s: session %s not killed: %s",
					g->id, g->sessions[i].path,
					strerror(errno));
			close(fd);
		}
		if (map_fd(a, 2) >= 0)
			bpf_map_delete_elem(map_fd(a, 2), &g->sessions[i].cgid);
		g->sessions[i].dead = 1;
	}
	return n;
}

/* End g (op: expired, revoked): its entries, its sessions, its event. */
static void end_grant(struct agent *a, struct agent_grant *g, const char *op)
{
	struct json_object *o;
	unsigned int killed;

	unmap(a, g);
	killed = kill_sessions(a, g);
	g->ended = 1;
	g->ended_ns = boot_ns();
	o = grant_event(a, op, "allow", g);
	if (o) {
		if (g->revoked_by_key)
			add_str(o, "by_tenant_key", g->revoked_by_key);
		json_object_object_add(o, "sessions_killed",
				       json_object_new_int64(killed));
		tg_json_add_time(o, "ended", real_ns(g->ended_ns));
		agent_emit(a, o);
	}
	tg_info("grant %s of %s (login uid %u) to tenant %s %s", g->id, g->user,
		g->login_uid, g->tenant, op);
}

int agent_grants_timeout(struct agent *a, int ms)
{
	__u64 now = boot_ns(), next = 0;
	unsigned int i;
	__s64 left;

	for (i = 0; i < a->n_grants; i++)
		if (!a->grants[i].ended &&
		    (!next || a->grants[i].deadline_ns < next))
			next = a->grants[i].deadline_ns;
	if (!next)
		return ms;
	left = next > now ? (__s64)((next - now + 999999) / 1000000) : 0;
	return ms < 0 || left < ms ? (int)left : ms;
}

void agent_grants_tick(struct agent *a)
{
	__u64 now = boot_ns();
	unsigned int i, j;
	char path[PATH_MAX];

	for (i = 0; i < a->n_grants; i++) {
		if (!a->grants[i].ended && a->grants[i].deadline_ns <= now)
			end_grant(a, &a->grants[i], "expired");
		/* Sessions killed: their cgroups go once empty. */
		for (j = 0; j < a->grants[i].n_sessions; j++) {
			if (!a->grants[i].sessions[j].dead ||
			    !a->grants[i].sessions[j].path[0])
				continue;
			snprintf(path, sizeof(path), "%s",
				 a->grants[i].sessions[j].path);
			if (!rmdir(path) || errno == ENOENT)
				a->grants[i].sessions[j].path[0] = 0;
		}
	}
}

/*
 * The grants pinned by an earlier agent (they held while it was down):
 * known again from the maps; the ended ones are ended now.
 */
void agent_grants_restore(struct agent *a)
{
	struct tg_grant_key k, next, *prev = NULL;
	struct agent_grant *g;
	const struct tg_tenant_entry *t;
	struct passwd *pw;
	struct tg_grant v;
	__u64 cg, *pc = NULL;
	char nb[32];

	if (map_fd(a, 0) < 0)
		return;
	while (!bpf_map_get_next_key(map_fd(a, 0), prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(map_fd(a, 0), &k, &v))
			continue;
		g = grant_new(a);
		if (!g)
			break;
		id_hex(v.id, g->id);
		memcpy(g->bin_id, v.id, sizeof(g->bin_id));
		g->login_uid = k.login_uid;
		g->tenant_id = k.tenant;
		t = tg_registry_by_id(&a->reg, k.tenant);
		snprintf(g->tenant, sizeof(g->tenant), "%s",
			 t ? t->name
			   : tg_registry_name(&a->reg, k.tenant, nb,
					      sizeof(nb)));
		pw = getpwuid(k.login_uid);
		snprintf(g->user, sizeof(g->user), "%s",
			 pw ? pw->pw_name : "(unknown)");
		g->ops = v.ops;
		g->deadline_ns = v.deadline_ns;
		g->from_ns = 1; /* before this agent: not known */
		tg_info("grant %s of login uid %u to tenant %s: found pinned, %s",
			g->id, g->login_uid, g->tenant,
			v.deadline_ns > boot_ns() ? "in force" : "ended");
	}
	/* Sessions: bound to the grant of their key. */
	while (map_fd(a, 2) >= 0 &&
	       !bpf_map_get_next_key(map_fd(a, 2), pc, &cg)) {
		static __u64 c;

		c = cg;
		pc = &c;
		if (bpf_map_lookup_elem(map_fd(a, 2), &c, &k))
			continue;
		g = find_active(a, k.login_uid, k.tenant);
		if (!g || g->n_sessions >= AGENT_GRANT_SESSIONS) {
			bpf_map_delete_elem(map_fd(a, 2), &c);
			pc = NULL; /* start over: the key is gone */
			continue;
		}
		g->sessions[g->n_sessions].cgid = c;
		{
			char rel[PATH_MAX];

			tg_actor_cgroup(a->cgroup_root, c, rel, sizeof(rel));
			if (rel[0] != '/' ||
			    tg_path_join(g->sessions[g->n_sessions].path,
					 sizeof(g->sessions[0].path),
					 a->cgroup_root, rel + 1))
				g->sessions[g->n_sessions].path[0] = 0;
		}
		g->n_sessions++;
	}
	agent_grants_tick(a);
}

/* The caller's login uid as a support actor's, or -1 (not support staff). */
static long support_caller(struct agent *a)
{
	const struct tg_peer *p = a->peer;

	if (!p || p->loginuid < 0 ||
	    !tg_support_has(&a->reg.support, (__u32)p->loginuid))
		return -1;
	return p->loginuid;
}

static struct json_object *refuse(struct agent *a, const char *verb,
				  const char *tenant, const char *id,
				  const char *why)
{
	struct json_object *o;
	char msg[768];

	o = grant_event(a, "refused", "deny", NULL);
	if (o) {
		json_object_object_add(o, "target_tenant",
				       json_object_new_string(tenant));
		json_object_object_add(o, "request",
				       json_object_new_string(verb));
		if (id && *id)
			add_str(o, "grant", id);
		add_str(o, "error", why);
		agent_emit(a, o);
	}
	snprintf(msg, sizeof(msg), "%s: %s", verb, why);
	a->peer_refused = 1;
	return tg_control_error(msg);
}

/* grant-request {tenant, ops, paths, for, reason, activate_within}. */
struct json_object *agent_grant_request(struct agent *a,
					struct json_object *req,
					struct tg_control_io *io)
{
	const char *tenant = tg_json_str(req, "tenant"),
		   *ops = tg_json_str(req, "ops"),
		   *dur = tg_json_str(req, "for"),
		   *reason = tg_json_str(req, "reason"),
		   *within = tg_json_str(req, "activate_within");
	const struct tg_policy_tenant *pt;
	struct tg_grant_request r = {0};
	struct json_object *paths, *o;
	char err[TG_GRANT_ERR_MAX], why[512];
	struct agent_grant shown = {0};
	__s64 d = 0, w = ACTIVATE_DEFAULT;
	struct passwd *pw;
	char *doc = NULL;
	size_t len, i;
	long luid;

	(void)io;
	luid = support_caller(a);
	if (luid < 0)
		return refuse(
			a, "grant-request", tenant, NULL,
			"only support staff (the policy's support:, by login uid) request grants; the caller's login uid is not one of them");
	pt = tg_policy_find(&a->policy, tenant);
	if (!pt || !tg_registry_find_const(&a->reg, tenant)) {
		snprintf(why, sizeof(why),
			 "no tenant '%s' in the policy in force", tenant);
		return refuse(a, "grant-request", tenant, NULL, why);
	}
	if (!pt->approvers.need) {
		snprintf(
			why, sizeof(why),
			"tenant '%s' lists no approvers (approvers: in the policy): no request of it can be approved",
			tenant);
		return refuse(a, "grant-request", tenant, NULL, why);
	}
	if (tg_grant_ops_parse(ops, &r.ops, err, sizeof(err)))
		return refuse(a, "grant-request", tenant, NULL, err);
	if (tg_parse_duration(dur, &d) || d <= 0 || d > TG_GRANT_MAX_DURATION) {
		snprintf(why, sizeof(why),
			 "--for '%s': a duration of 1s to %ds (8h) is needed",
			 dur, TG_GRANT_MAX_DURATION);
		return refuse(a, "grant-request", tenant, NULL, why);
	}
	if (*within && (tg_parse_duration(within, &w) || w <= 0 ||
			w > TG_GRANT_MAX_ACTIVATE)) {
		snprintf(
			why, sizeof(why),
			"--activate-within '%s': a duration of 1s to 7d is needed",
			within);
		return refuse(a, "grant-request", tenant, NULL, why);
	}
	snprintf(r.tenant, sizeof(r.tenant), "%s", tenant);
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	r.login_uid = (__u32)luid;
	pw = getpwuid((uid_t)luid);
	snprintf(r.user, sizeof(r.user), "%s", pw ? pw->pw_name : "(unknown)");
	r.duration = (__u32)d;
	r.created = (__u64)time(NULL);
	r.activate_by = r.created + (__u64)w;
	if (tg_grant_new_id(r.id) || tg_grant_this_host(r.host, r.boot_id)) {
		tg_grant_request_free(&r);
		return refuse(
			a, "grant-request", tenant, NULL,
			"the host's id, boot id or random bytes cannot be read");
	}
	if (json_object_object_get_ex(req, "paths", &paths) &&
	    json_object_is_type(paths, json_type_array)) {
		for (i = 0; i < json_object_array_length(paths); i++)
			if (tg_grant_request_add_path(
				    &r, json_object_get_string(
						json_object_array_get_idx(
							paths, i)))) {
				snprintf(
					why, sizeof(why),
					"--path '%s': not an absolute, normalised path, a duplicate or more than %d",
					json_object_get_string(
						json_object_array_get_idx(paths,
									  i)),
					TG_GRANT_MAX_PATHS);
				tg_grant_request_free(&r);
				return refuse(a, "grant-request", tenant, NULL,
					      why);
			}
	}
	if (tg_grant_request_check(&r, err, sizeof(err)) ||
	    tg_grant_request_serialise(&r, &doc, &len, err, sizeof(err))) {
		tg_grant_request_free(&r);
		return refuse(a, "grant-request", tenant, NULL, err);
	}
	snprintf(shown.id, sizeof(shown.id), "%s", r.id);
	snprintf(shown.tenant, sizeof(shown.tenant), "%s", r.tenant);
	snprintf(shown.user, sizeof(shown.user), "%s", r.user);
	shown.login_uid = r.login_uid;
	shown.ops = r.ops;
	shown.paths = r.paths;
	shown.n_paths = r.n_paths;
	o = grant_event(a, "requested", "allow", &shown);
	if (o) {
		add_str(o, "reason", r.reason);
		json_object_object_add(o, "duration",
				       json_object_new_int64(r.duration));
		tg_json_add_time(o, "activate_by",
				 (__s64)r.activate_by * 1000000000LL);
		agent_emit(a, o);
	}
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "id", json_object_new_string(r.id));
	json_object_object_add(o, "request",
			       json_object_new_string_len(doc, (int)len));
	free(doc);
	tg_grant_request_free(&r);
	return o;
}

/* The kernel dev_t of a device number: MAJOR << 20 | MINOR. */
static __u32 kdev(dev_t d)
{
	return (__u32)(major(d) << 20 | (minor(d) & 0xfffff));
}

/*
 * g's scope (the request's paths) into grant_scopes: each must be one of
 * the tenant's owned paths or below one, and exist. 0, or a message in why.
 */
static int map_scopes(struct agent *a, struct agent_grant *g,
		      const struct tg_tenant_entry *t, char *why, size_t len)
{
	char real[PATH_MAX];
	unsigned int i, j;
	struct stat st;

	for (i = 0; i < g->n_paths; i++) {
		for (j = 0; j < t->n_paths; j++)
			if (tg_path_within(g->paths[i], t->paths[j]))
				break;
		if (j == t->n_paths) {
			snprintf(
				why, len,
				"path %s is not below any of tenant %s's paths",
				g->paths[i], g->tenant);
			return -EINVAL;
		}
		/* What it names, symbolic links followed: still the tenant's.
		 */
		if (!realpath(g->paths[i], real) || stat(real, &st) < 0) {
			snprintf(why, len, "path %s: %s", g->paths[i],
				 strerror(errno));
			return -errno;
		}
		for (j = 0; j < t->n_paths; j++)
			if (tg_path_within(real, t->paths[j]))
				break;
		if (j == t->n_paths) {
			snprintf(
				why, len,
				"path %.200s is %.200s, not below any of tenant %s's paths",
				g->paths[i], real, g->tenant);
			return -EINVAL;
		}
		g->scopes[i].ino = st.st_ino;
		g->scopes[i].dev = kdev(st.st_dev);
		g->scopes[i].login_uid = g->login_uid;
		g->n_scopes = i + 1;
		if (bpf_map_update_elem(map_fd(a, 1), &g->scopes[i],
					&g->tenant_id, BPF_ANY)) {
			snprintf(why, len, "grant_scopes: %s", strerror(errno));
			return -errno;
		}
	}
	return 0;
}

/* Write g to the grants map: 0, or -errno with why. */
static int map_grant(struct agent *a, struct agent_grant *g,
		     const struct tg_tenant_entry *t, char *why, size_t len)
{
	struct tg_grant_key k = {.login_uid = g->login_uid,
				 .tenant = g->tenant_id};
	struct tg_grant v = {0};
	int err;

	if (map_fd(a, 0) < 0) {
		snprintf(why, len, "the kernel programs are not loaded");
		return -ENOENT;
	}
	err = map_scopes(a, g, t, why, len);
	if (err)
		return err;
	v.deadline_ns = g->deadline_ns;
	v.ops = g->ops;
	v.flags = g->n_paths ? TG_GRANT_F_SCOPED : 0;
	memcpy(v.id, g->bin_id, sizeof(v.id));
	if (bpf_map_update_elem(map_fd(a, 0), &k, &v, BPF_NOEXIST)) {
		snprintf(why, len, "grants map: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static const char *ops_text(__u32 ops);

static struct json_object *grant_reply(const struct agent_grant *g,
				       const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "grant", json_object_new_string(g->id));
	json_object_object_add(o, "message", json_object_new_string(msg));
	return o;
}

/* Activate the verified request v (approved by keys, or break-glass). */
static struct json_object *activate(struct agent *a, const char *verb,
				    const struct tg_grant_request *r,
				    struct json_object *approvers,
				    int break_glass)
{
	const struct tg_tenant_entry *t;
	struct agent_grant *g;
	struct json_object *o;
	char why[512], msg[512];
	unsigned int i;
	int err;

	t = tg_registry_find_const(&a->reg, r->tenant);
	if (!t || !t->id) {
		snprintf(why, sizeof(why), "no tenant '%s' in force",
			 r->tenant);
		json_object_put(approvers);
		return refuse(a, verb, r->tenant, r->id, why);
	}
	if (!a->replay_ok) {
		json_object_put(approvers);
		return refuse(
			a, verb, r->tenant, r->id,
			"the replay cache could not be opened at start (see the agent's log): no grant is activated unrecorded");
	}
	if (!break_glass && tg_replay_seen(&a->replay, r->id)) {
		snprintf(
			why, sizeof(why),
			"request %s was activated before in this boot (replayed)",
			r->id);
		json_object_put(approvers);
		return refuse(a, verb, r->tenant, r->id, why);
	}
	g = find_active(a, r->login_uid, t->id);
	if (g) {
		snprintf(
			why, sizeof(why),
			"login uid %u has grant %s to tenant %s in force already: one at a time (revoke it first)",
			r->login_uid, g->id, r->tenant);
		json_object_put(approvers);
		return refuse(a, verb, r->tenant, r->id, why);
	}
	if (!break_glass &&
	    (err = tg_replay_add(&a->replay, r->id, r->activate_by,
				 (__u64)time(NULL)))) {
		snprintf(
			why, sizeof(why),
			err == -EEXIST
				? "request %s was activated before in this boot (replayed)"
				: "request %s: the replay cache cannot record it (%s): nothing is activated unrecorded",
			r->id, strerror(-err));
		json_object_put(approvers);
		return refuse(a, verb, r->tenant, r->id, why);
	}
	g = grant_new(a);
	if (!g) {
		json_object_put(approvers);
		return refuse(a, verb, r->tenant, r->id, "out of memory");
	}
	snprintf(g->id, sizeof(g->id), "%s", r->id);
	hex_id(r->id, g->bin_id);
	snprintf(g->tenant, sizeof(g->tenant), "%s", r->tenant);
	snprintf(g->user, sizeof(g->user), "%s", r->user);
	g->tenant_id = t->id;
	g->login_uid = r->login_uid;
	g->ops = r->ops;
	g->break_glass = break_glass;
	g->n_paths = r->n_paths;
	if (r->n_paths) {
		g->paths = calloc(r->n_paths,
				  sizeof(*g->paths) + TG_GRANT_PATH_MAX);
		for (i = 0; g->paths && i < r->n_paths; i++) {
			g->paths[i] = (char *)(g->paths + r->n_paths) +
				      (size_t)i * TG_GRANT_PATH_MAX;
			snprintf(g->paths[i], TG_GRANT_PATH_MAX, "%s",
				 r->paths[i]);
		}
		if (!g->paths)
			g->n_paths = 0;
	}
	g->from_ns = boot_ns();
	g->deadline_ns = g->from_ns + (__u64)r->duration * 1000000000ULL;
	err = map_grant(a, g, t, why, sizeof(why));
	if (err) {
		unmap(a, g);
		g->ended = 1;
		g->ended_ns = g->from_ns;
		json_object_put(approvers);
		return refuse(a, verb, r->tenant, r->id, why);
	}
	o = grant_event(a, break_glass ? "break_glass" : "activated", "allow",
			g);
	if (o && break_glass && a->confirming) {
		json_object_object_add(
			o, "requested_by_login_uid",
			json_object_new_int64(a->confirming->loginuid));
		add_str(o, "requested_by_user", a->confirming->user);
		json_object_object_add(
			o, "confirmed_by_login_uid",
			json_object_new_int64(a->peer->loginuid));
	}
	if (break_glass) {
		openlog("tenantguard-agent", LOG_PID, LOG_AUTHPRIV);
		syslog(LOG_ALERT,
		       "BREAK-GLASS: grant %s: login uid %u (%s) may %s tenant %s's objects for %us without the tenant's approval; asked by login uid %ld, confirmed by login uid %ld; reason: %s",
		       g->id, g->login_uid, g->user, ops_text(g->ops),
		       g->tenant, r->duration,
		       a->confirming ? a->confirming->loginuid : -1L,
		       a->peer ? a->peer->loginuid : -1L, r->reason);
		closelog();
		tg_warn("BREAK-GLASS: grant %s to tenant %s for login uid %u (%s), %us",
			g->id, g->tenant, g->login_uid, g->user, r->duration);
	}
	if (o) {
		add_str(o, "reason", r->reason);
		json_object_object_add(o, "approvers", approvers);
		agent_emit(a, o);
	} else {
		json_object_put(approvers);
	}
	snprintf(
		msg, sizeof(msg),
		"grant %s active: login uid %u (%s) may %s%s to tenant %s for %us",
		g->id, g->login_uid, g->user, ops_text(g->ops),
		g->n_paths ? " (scoped)" : "", g->tenant, r->duration);
	tg_info("%s", msg);
	return grant_reply(g, msg);
}

static const char *ops_text(__u32 ops)
{
	static char b[64];
	unsigned int bit;
	size_t n = 0;

	b[0] = 0;
	for (bit = 1; bit <= TG_GRANT_WRITE; bit <<= 1)
		if (ops & bit)
			n += (size_t)snprintf(b + n, sizeof(b) - n, "%s%s",
					      n ? "," : "",
					      tg_grant_op_name(bit));
	return b;
}

/* grant-activate {request, approvals: [...]}. */
struct json_object *agent_grant_activate(struct agent *a,
					 struct json_object *req,
					 struct tg_control_io *io)
{
	const char *doc = tg_json_str(req, "request");
	const char *ap[TG_GRANT_MAX_APPROVALS];
	size_t lens[TG_GRANT_MAX_APPROVALS];
	const struct tg_policy_tenant *pt;
	struct tg_grant_context ctx = {0};
	struct tg_grant_request pre = {0};
	struct tg_grant_verdict v;
	struct json_object *arr, *keys, *o;
	char err[TG_GRANT_ERR_MAX], host[65], boot[37], kb[45], why[700];
	unsigned int i, n = 0;

	(void)io;
	if (tg_grant_request_parse(doc, strlen(doc), &pre, err, sizeof(err)))
		return refuse(a, "grant-activate", "", NULL, err);
	if (json_object_object_get_ex(req, "approvals", &arr) &&
	    json_object_is_type(arr, json_type_array))
		for (i = 0; i < json_object_array_length(arr) &&
			    n < TG_GRANT_MAX_APPROVALS;
		     i++)
			ap[n++] = json_object_get_string(
				json_object_array_get_idx(arr, i));
	pt = tg_policy_find(&a->policy, pre.tenant);
	if (!pt) {
		snprintf(why, sizeof(why),
			 "no tenant '%s' in the policy in force", pre.tenant);
		o = refuse(a, "grant-activate", pre.tenant, pre.id, why);
		tg_grant_request_free(&pre);
		return o;
	}
	if (tg_grant_this_host(host, boot)) {
		tg_grant_request_free(&pre);
		return refuse(a, "grant-activate", pt->name, NULL,
			      "the host's id or boot id cannot be read");
	}
	ctx.tenant = pt->name;
	ctx.approvers = &pt->approvers;
	ctx.now = (__u64)time(NULL);
	ctx.host = host;
	ctx.boot_id = boot;
	tg_grant_request_free(&pre);
	for (i = 0; i < n; i++)
		lens[i] = strlen(ap[i]);
	if (tg_grant_verify(doc, strlen(doc), ap, lens, n, &ctx, &v) ||
	    v.result != TG_GRANT_OK) {
		snprintf(why, sizeof(why), "refused (%s): %s",
			 tg_grant_result_name(v.result), v.why);
		for (i = 0; i < v.n && i < TG_GRANT_MAX_APPROVALS; i++)
			if (v.each[i].result != TG_GRANT_OK)
				snprintf(why + strlen(why),
					 sizeof(why) - strlen(why),
					 "; approval %u: %s", i + 1,
					 v.each[i].why);
		o = refuse(a, "grant-activate", pt->name, v.req.id, why);
		tg_grant_verdict_free(&v);
		return o;
	}
	keys = json_object_new_array();
	for (i = 0; i < v.n && i < TG_GRANT_MAX_APPROVALS; i++)
		if (v.each[i].result == TG_GRANT_OK && i < n) {
			struct tg_grant_approval ga;

			if (!tg_grant_approval_parse(ap[i], strlen(ap[i]), &ga,
						     err, sizeof(err))) {
				tg_grant_key_b64(ga.key, kb);
				json_object_array_add(
					keys, json_object_new_string(kb));
			}
		}
	o = activate(a, "grant-activate", &v.req, keys, 0);
	tg_grant_verdict_free(&v);
	return o;
}

/*
 * break-glass {tenant, ops, paths, for, reason, login_uid}: a grant
 * without the tenant's approval, for an emergency. Always waits for a
 * second person (control_cmds.c: agent_needs_confirm), lasts at most an
 * hour, and is told loudly: its event (op break_glass) and syslog at
 * alert severity; it is in the tenant's report as any grant is.
 */
struct json_object *agent_break_glass(struct agent *a, struct json_object *req,
				      struct tg_control_io *io)
{
	const char *tenant = tg_json_str(req, "tenant"),
		   *ops = tg_json_str(req, "ops"),
		   *dur = tg_json_str(req, "for"),
		   *reason = tg_json_str(req, "reason"),
		   *who = tg_json_str(req, "login_uid");
	const struct tg_confirm_req *c = a->confirming;
	struct tg_grant_request r = {0};
	struct json_object *paths, *o;
	char err[TG_GRANT_ERR_MAX], why[512];
	struct passwd *pw;
	unsigned long v;
	char *end;
	__s64 d = 0;
	size_t i;

	(void)io;
	if (!c || !a->peer)
		return refuse(
			a, "break-glass", tenant, NULL,
			"break-glass is carried out only once a second person confirms it");
	if (!tg_registry_find_const(&a->reg, tenant)) {
		snprintf(why, sizeof(why), "no tenant '%s' in force", tenant);
		return refuse(a, "break-glass", tenant, NULL, why);
	}
	if (tg_grant_ops_parse(ops, &r.ops, err, sizeof(err)))
		return refuse(a, "break-glass", tenant, NULL, err);
	if (tg_parse_duration(dur, &d) || d <= 0 || d > TG_BREAK_GLASS_MAX) {
		snprintf(why, sizeof(why),
			 "--for '%s': break-glass lasts 1s to %ds (1h)", dur,
			 TG_BREAK_GLASS_MAX);
		return refuse(a, "break-glass", tenant, NULL, why);
	}
	if (*who) {
		errno = 0;
		v = strtoul(who, &end, 10);
		if (errno || *end || v >= 0xffffffffUL) {
			snprintf(why, sizeof(why),
				 "--login-uid '%s': not a login uid", who);
			return refuse(a, "break-glass", tenant, NULL, why);
		}
		r.login_uid = (__u32)v;
	} else if (c->loginuid >= 0) {
		r.login_uid = (__u32)c->loginuid;
	}
	if (!tg_support_has(&a->reg.support, r.login_uid)) {
		snprintf(
			why, sizeof(why),
			"login uid %u is not support staff (the policy's support:): other host processes are not held back by tenantguard and need no grant",
			r.login_uid);
		return refuse(a, "break-glass", tenant, NULL, why);
	}
	snprintf(r.tenant, sizeof(r.tenant), "%s", tenant);
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	pw = getpwuid(r.login_uid);
	snprintf(r.user, sizeof(r.user), "%s", pw ? pw->pw_name : "(unknown)");
	r.duration = (__u32)d;
	r.created = (__u64)time(NULL);
	r.activate_by = r.created + 60;
	if (tg_grant_new_id(r.id) || tg_grant_this_host(r.host, r.boot_id))
		return refuse(
			a, "break-glass", tenant, NULL,
			"the host's id, boot id or random bytes cannot be read");
	if (json_object_object_get_ex(req, "paths", &paths) &&
	    json_object_is_type(paths, json_type_array))
		for (i = 0; i < json_object_array_length(paths); i++)
			if (tg_grant_request_add_path(
				    &r, json_object_get_string(
						json_object_array_get_idx(
							paths, i)))) {
				tg_grant_request_free(&r);
				return refuse(
					a, "break-glass", tenant, NULL,
					"--path: not an absolute, normalised path, or a duplicate");
			}
	if (tg_grant_request_check(&r, err, sizeof(err))) {
		tg_grant_request_free(&r);
		return refuse(a, "break-glass", tenant, NULL, err);
	}
	o = activate(a, "break-glass", &r, json_object_new_array(), 1);
	tg_grant_request_free(&r);
	return o;
}

/* grant-revoke {grant}: by an operator, or by the grant's own holder. */
struct json_object *agent_grant_revoke(struct agent *a, struct json_object *req,
				       struct tg_control_io *io)
{
	const char *id = tg_json_str(req, "grant"),
		   *signed_doc = tg_json_str(req, "revocation");
	struct agent_grant *g = find_id(a, id);
	const struct tg_policy_tenant *pt;
	struct tg_grant_revocation rv;
	char why[512], err[TG_GRANT_ERR_MAX], kb[45];

	(void)io;
	if (!g || g->ended) {
		snprintf(why, sizeof(why), "no grant '%s' in force", id);
		return refuse(a, "grant-revoke", g ? g->tenant : "", id, why);
	}
	if (*signed_doc) {
		/* The tenant's word: checked against its approvers in force. */
		pt = tg_policy_find(&a->policy, g->tenant);
		if (tg_grant_revocation_parse(signed_doc, strlen(signed_doc),
					      &rv, err, sizeof(err))) {
			snprintf(why, sizeof(why), "revocation: %s", err);
			return refuse(a, "grant-revoke", g->tenant, id, why);
		}
		if (strcmp(rv.grant, g->id) || strcmp(rv.tenant, g->tenant)) {
			snprintf(
				why, sizeof(why),
				"revocation: it is of grant %s of tenant %s, not of grant %s of tenant %s",
				rv.grant, rv.tenant, g->id, g->tenant);
			return refuse(a, "grant-revoke", g->tenant, id, why);
		}
		if (!pt || tg_grant_revoke_check(&rv, &pt->approvers, err,
						 sizeof(err))) {
			snprintf(why, sizeof(why), "revocation: %s",
				 pt ? err : "the tenant is not in the policy");
			return refuse(a, "grant-revoke", g->tenant, id, why);
		}
		tg_grant_key_b64(rv.key, kb);
		g->revoked_by_key = kb;
	} else if (a->peer_role < TG_ROLE_OPERATOR &&
		   (!a->peer || a->peer->loginuid != (long)g->login_uid)) {
		return refuse(
			a, "grant-revoke", g->tenant, id,
			"an operator, or the grant's own holder, revokes a grant; or anyone with the tenant's signed revocation (--signed)");
	}
	end_grant(a, g, "revoked");
	g->revoked_by_key = NULL;
	return grant_reply(
		g,
		"revoked: its operations are refused from now on, its sessions killed");
}

/*
 * Whether pid is still the caller p: its login uid the grant's and its
 * cgroup the one it connected from (a pid reused by another process, a
 * tenant's, is never moved).
 */
static int still_caller(const struct tg_peer *p, __u32 login_uid)
{
	char path[64], line[PATH_MAX + 8], want[PATH_MAX + 8];
	unsigned long lu = 0;
	int ok = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/loginuid", (int)p->pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	ok = fscanf(f, "%lu", &lu) == 1 && lu == login_uid;
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)p->pid);
	f = ok ? fopen(path, "re") : NULL;
	if (!f)
		return 0;
	snprintf(want, sizeof(want), "0::%s\n", p->cgroup);
	ok = 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3))
			ok = !strcmp(line, want);
	fclose(f);
	return ok;
}

/* grant-shell {grant}: the caller into a session cgroup of the grant. */
struct json_object *agent_grant_shell(struct agent *a, struct json_object *req,
				      struct tg_control_io *io)
{
	const char *id = tg_json_str(req, "grant");
	struct agent_grant *g = find_id(a, id);
	const struct tg_peer *p = a->peer;
	char dir[PATH_MAX], path[PATH_MAX + 16], why[PATH_MAX + 64], pid[24],
		name[40];
	struct tg_grant_key k;
	struct json_object *o;
	struct agent_grant_session *s;
	int fd, n;

	(void)io;
	if (!g || g->ended) {
		snprintf(why, sizeof(why), "no grant '%s' in force", id);
		return refuse(a, "grant-shell", g ? g->tenant : "", id, why);
	}
	if (!p || p->loginuid != (long)g->login_uid || p->pid <= 0)
		return refuse(
			a, "grant-shell", g->tenant, id,
			"only the grant's own holder (its login uid) opens a session of it");
	if (g->n_sessions >= AGENT_GRANT_SESSIONS)
		return refuse(a, "grant-shell", g->tenant, id,
			      "too many sessions of this grant");
	if (tg_path_join(dir, sizeof(dir), a->cgroup_root, SESSIONS_DIR))
		return refuse(a, "grant-shell", g->tenant, id,
			      "the cgroup mount's path is too long");
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		snprintf(why, sizeof(why), "%s: %s", dir, strerror(errno));
		return refuse(a, "grant-shell", g->tenant, id, why);
	}
	s = &g->sessions[g->n_sessions];
	memset(s, 0, sizeof(*s));
	snprintf(name, sizeof(name), "%.12s-%d", g->id, (int)p->pid);
	if (tg_path_join(s->path, sizeof(s->path), dir, name))
		return refuse(a, "grant-shell", g->tenant, id,
			      "the cgroup mount's path is too long");
	if (mkdir(s->path, 0755) < 0 && errno != EEXIST) {
		snprintf(why, sizeof(why), "%s: %s", s->path, strerror(errno));
		return refuse(a, "grant-shell", g->tenant, id, why);
	}
	if (tg_cgroup_id(s->path, &s->cgid)) {
		snprintf(why, sizeof(why), "%s: no cgroup id", s->path);
		rmdir(s->path);
		return refuse(a, "grant-shell", g->tenant, id, why);
	}
	k.login_uid = g->login_uid;
	k.tenant = g->tenant_id;
	if (map_fd(a, 2) < 0 ||
	    bpf_map_update_elem(map_fd(a, 2), &s->cgid, &k, BPF_ANY)) {
		snprintf(why, sizeof(why), "grant_sessions: %s",
			 strerror(errno));
		rmdir(s->path);
		return refuse(a, "grant-shell", g->tenant, id, why);
	}
	/* Bound before the move: never a session the kernel does not know. */
	g->n_sessions++;
	if (p->err || !still_caller(p, g->login_uid))
		return refuse(
			a, "grant-shell", g->tenant, id,
			"the caller's process is gone or changed (login uid or cgroup) since it asked");
	snprintf(path, sizeof(path), "%s/cgroup.procs", s->path);
	n = snprintf(pid, sizeof(pid), "%d", (int)p->pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, pid, (size_t)n) != n) {
		snprintf(why, sizeof(why), "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return refuse(a, "grant-shell", g->tenant, id, why);
	}
	close(fd);
	o = grant_event(a, "session", "allow", g);
	if (o) {
		add_str(o, "cgroup", s->path + strlen(a->cgroup_root));
		json_object_object_add(o, "session_pid",
				       json_object_new_int64(p->pid));
		agent_emit(a, o);
	}
	o = grant_reply(g, "session bound to the grant: killed at its end");
	json_object_object_add(o, "cgroup", json_object_new_string(s->path));
	return o;
}

struct json_object *agent_grants_json(struct agent *a)
{
	struct json_object *arr = json_object_new_array(), *o;
	const struct agent_grant *g;
	__u64 now = boot_ns();
	unsigned int i;

	for (i = 0; i < a->n_grants; i++) {
		g = &a->grants[i];
		o = json_object_new_object();
		json_object_object_add(o, "grant",
				       json_object_new_string(g->id));
		json_object_object_add(o, "tenant",
				       json_object_new_string(g->tenant));
		json_object_object_add(o, "login_uid",
				       json_object_new_int64(g->login_uid));
		json_object_object_add(o, "user",
				       json_object_new_string(g->user));
		json_object_object_add(o, "ops", ops_json(g->ops));
		json_object_object_add(
			o, "state",
			json_object_new_string(g->ended ? "ended" : "active"));
		tg_json_add_time(o, "until", real_ns(g->deadline_ns));
		if (!g->ended)
			json_object_object_add(
				o, "seconds_left",
				json_object_new_int64(
					g->deadline_ns > now
						? (__s64)((g->deadline_ns -
							   now) /
							  1000000000ULL)
						: 0));
		json_object_object_add(o, "sessions",
				       json_object_new_int64(g->n_sessions));
		if (g->break_glass)
			json_object_object_add(o, "break_glass",
					       json_object_new_boolean(1));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* For status: how many in force and sessions, and what enforces them. */
struct json_object *agent_grants_status(struct agent *a)
{
	struct json_object *o = json_object_new_object();
	unsigned int i, n = 0, sessions = 0, j;
	char where[128];

	for (i = 0; i < a->n_grants; i++) {
		if (a->grants[i].ended)
			continue;
		n++;
		for (j = 0; j < a->grants[i].n_sessions; j++)
			sessions += !a->grants[i].sessions[j].dead;
	}
	snprintf(where, sizeof(where), "connect to tenants' ports%s%s%s",
		 a->bpf.unix_backend == TG_BACKEND_BPF_LSM ? ", unix sockets"
							   : "",
		 a->bpf.file_backend == TG_BACKEND_BPF_LSM ? ", files" : "",
		 a->bpf.proc_backend == TG_BACKEND_BPF_LSM ? ", processes"
							   : "");
	json_object_object_add(o, "in_force", json_object_new_int64(n));
	json_object_object_add(o, "sessions", json_object_new_int64(sessions));
	json_object_object_add(o, "enforced", json_object_new_string(where));
	json_object_object_add(o, "replay_cache",
			       json_object_new_boolean(a->replay_ok));
	return o;
}

/* grant-list: the grants in force and those ended lately. */
struct json_object *agent_grant_list(struct agent *a, struct json_object *req,
				     struct tg_control_io *io)
{
	struct json_object *o = json_object_new_object();

	(void)req;
	(void)io;
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "grants", agent_grants_json(a));
	return o;
}

int agent_grants_open(struct agent *a)
{
	char host[65], boot[37], path[PATH_MAX];
	int err;

	a->fmt.grant_of = agent_grant_of;
	a->fmt.grant_ctx = a;
	if (tg_grant_this_host(host, boot))
		return tg_err(-EIO, "grants: the boot id cannot be read");
	snprintf(path, sizeof(path), "%s/" REPLAY_FILE, a->opt.state_dir);
	err = tg_replay_open(&a->replay, path, boot);
	if (err)
		return tg_err(
			err,
			"grants: replay cache %s: %s; no grant can be activated",
			path, strerror(-err));
	a->replay_ok = 1;
	return 0;
}

void agent_grants_close(struct agent *a)
{
	unsigned int i;

	if (a->replay_ok)
		tg_replay_close(&a->replay);
	for (i = 0; i < a->n_grants; i++)
		free(a->grants[i].paths);
	free(a->grants);
	a->grants = NULL;
	a->n_grants = a->cap_grants = 0;
}
