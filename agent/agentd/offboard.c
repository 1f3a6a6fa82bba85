// SPDX-License-Identifier: GPL-2.0
/*
 * The end of a tenant (docs/offboarding.md): the agent's state directory
 * (--state-dir) with the host's Ed25519 signing key, made at the first
 * start, and the record of the retired tenants; the verbs tenant-retire
 * (recorded durably first, then the tenant's cgroup frozen and its
 * processes killed, each step an event) and, in export.c, tenant-export.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agentd/agent.h"
#include "agentd/event_text.h"
#include "agentd/fanotify.h"
#include "common/cgroupfs.h"
#include "common/control.h"
#include "common/event_filter.h"
#include "common/clock.h"
#include "common/grant_key.h"
#include "common/grant_verify.h"
#include "common/log.h"
#include "common/private_dir.h"
#include "common/sign_key.h"
#include "common/text.h"

#define HOST_KEY     "host.key"
#define RETIRED	     "retired.json"
#define RETIRED_TMP  "retired.json.tmp"
#define KEEP_DEFAULT (90LL * 86400)
#define RETIRED_MAX  (1u << 20) /* bytes of the record */

static int make_key(struct agent *a)
{
	int fd, err;

	fd = openat(a->state_fd, HOST_KEY,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = tg_sign_key_make(fd, a->host_sk, a->host_pk);
	if (!err && fsync(a->state_fd) < 0)
		err = -errno;
	close(fd);
	a->host_key_created = !err;
	return err;
}

/* The host key, made if there is none: 0, or -errno (logged). */
static int load_host_key(struct agent *a)
{
	struct stat st = {0};
	int fd, err = 0, loose = 0;

	fd = openat(a->state_fd, HOST_KEY, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		err = make_key(a);
	else if (fd < 0)
		err = -errno;
	else if (fstat(fd, &st) < 0)
		err = -errno;
	else if ((st.st_mode & 077) || st.st_uid != geteuid())
		loose = 1;
	else
		err = tg_sign_key_read(fd, a->host_sk, a->host_pk);
	if (fd >= 0)
		close(fd);
	if (loose)
		return tg_err(
			-EPERM,
			"state: %s/" HOST_KEY
			": mode %04o, owner uid %u: the host key must be the agent's alone (0600); fix or remove it",
			a->opt.state_dir, st.st_mode & 07777,
			(unsigned int)st.st_uid);
	if (err)
		return tg_err(err, "state: host key %s/" HOST_KEY ": %s",
			      a->opt.state_dir,
			      err == -EINVAL ? "not a key (128 hex digits)"
					     : strerror(-err));
	tg_grant_key_b64(a->host_pk, a->host_pub);
	tg_debug("state: exports signed with the host's Ed25519 key %s%s",
		 a->host_pub, a->host_key_created ? " (made now)" : "");
	return 0;
}

static void retired_free(struct agent_retired *r)
{
	unsigned int i;

	for (i = 0; i < r->n_paths; i++)
		free(r->paths[i]);
	free(r->paths);
	free(r->cgroup);
	memset(r, 0, sizeof(*r));
}

static struct json_object *retired_one_json(const struct agent_retired *r)
{
	struct json_object *o = json_object_new_object(),
			   *p = json_object_new_array();
	unsigned int i;

	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "since", json_object_new_int64(r->since));
	json_object_object_add(o, "keep_s", json_object_new_int64(r->keep_s));
	json_object_object_add(o, "cgroup", json_object_new_string(r->cgroup));
	for (i = 0; i < r->n_paths; i++)
		json_object_array_add(p, json_object_new_string(r->paths[i]));
	json_object_object_add(o, "paths", p);
	json_object_object_add(o, "by_uid", json_object_new_int64(r->by_uid));
	json_object_object_add(o, "by_login_uid",
			       json_object_new_int64(r->by_loginuid));
	json_object_object_add(o, "uptime_s",
			       json_object_new_int64(r->uptime_s));
	json_object_object_add(o, "boot_mark_s",
			       json_object_new_int64(r->boot_mark_s));
	json_object_object_add(o, "boot_id",
			       json_object_new_string(r->boot_id));
	json_object_object_add(o, "erased_at",
			       json_object_new_int64(r->erased_at));
	return o;
}

struct json_object *agent_retired_json(const struct agent *a)
{
	struct json_object *arr = json_object_new_array();
	unsigned int i;

	for (i = 0; i < a->n_retired; i++)
		json_object_array_add(arr, retired_one_json(&a->retired[i]));
	return arr;
}

/* One record of the file: 0, or -EINVAL with why. */
static int retired_parse(struct json_object *o, struct agent_retired *r,
			 char *why, size_t len)
{
	struct json_object *v, *p;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (!json_object_object_get_ex(o, "name", &v) ||
	    snprintf(r->name, sizeof(r->name), "%s",
		     json_object_get_string(v)) >= (int)sizeof(r->name) ||
	    !r->name[0] || !json_object_object_get_ex(o, "cgroup", &v) ||
	    !json_object_object_get_ex(o, "paths", &p) ||
	    !json_object_is_type(p, json_type_array)) {
		snprintf(why, len, "a record without name, cgroup or paths");
		return -EINVAL;
	}
	r->cgroup = strdup(json_object_get_string(v));
	r->since = json_object_object_get_ex(o, "since", &v)
			   ? json_object_get_int64(v)
			   : 0;
	r->keep_s = json_object_object_get_ex(o, "keep_s", &v)
			    ? json_object_get_int64(v)
			    : KEEP_DEFAULT;
	r->by_uid = json_object_object_get_ex(o, "by_uid", &v)
			    ? (uid_t)json_object_get_int64(v)
			    : 0;
	r->by_loginuid = json_object_object_get_ex(o, "by_login_uid", &v)
				 ? (long)json_object_get_int64(v)
				 : -1;
	r->uptime_s = json_object_object_get_ex(o, "uptime_s", &v)
			      ? json_object_get_int64(v)
			      : 0;
	r->boot_mark_s = json_object_object_get_ex(o, "boot_mark_s", &v)
				 ? json_object_get_int64(v)
				 : 0;
	r->erased_at = json_object_object_get_ex(o, "erased_at", &v)
			       ? json_object_get_int64(v)
			       : 0;
	if (json_object_object_get_ex(o, "boot_id", &v))
		snprintf(r->boot_id, sizeof(r->boot_id), "%s",
			 json_object_get_string(v));
	r->paths = calloc(json_object_array_length(p) + 1, sizeof(char *));
	if (!r->cgroup || !r->paths)
		goto out_nomem;
	for (i = 0; i < json_object_array_length(p); i++) {
		r->paths[i] = strdup(json_object_get_string(
			json_object_array_get_idx(p, i)));
		if (!r->paths[i])
			goto out_nomem;
		r->n_paths++;
	}
	return 0;
out_nomem:
	retired_free(r);
	snprintf(why, len, "out of memory");
	return -ENOMEM;
}

/* The retired tenants the state keeps: 0, or -errno (logged). */
static int load_retired(struct agent *a)
{
	struct json_object *o = NULL, *arr;
	char why[256] = "", *buf = NULL;
	struct agent_retired *v;
	struct stat st;
	size_t i, n;
	ssize_t got;
	int fd, err = 0;

	fd = openat(a->state_fd, RETIRED, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT
			       ? 0
			       : tg_err(-errno, "state: %s/" RETIRED ": %s",
					a->opt.state_dir, strerror(errno));
	if (fstat(fd, &st) < 0 || st.st_size > RETIRED_MAX) {
		err = -EFBIG;
		snprintf(why, sizeof(why), "larger than %u bytes", RETIRED_MAX);
		goto out;
	}
	buf = calloc(1, st.st_size + 1);
	got = buf ? pread(fd, buf, st.st_size, 0) : -1;
	if (got != st.st_size) {
		err = -EIO;
		snprintf(why, sizeof(why), "cannot be read");
		goto out;
	}
	o = json_tokener_parse(buf);
	if (!o || !json_object_object_get_ex(o, "retired", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		err = -EINVAL;
		snprintf(why, sizeof(why), "not a record of retired tenants");
		goto out;
	}
	n = json_object_array_length(arr);
	v = calloc(n + 1, sizeof(*v));
	if (!v) {
		err = -ENOMEM;
		goto out;
	}
	a->retired = v;
	for (i = 0; !err && i < n; i++) {
		err = retired_parse(json_object_array_get_idx(arr, i), &v[i],
				    why, sizeof(why));
		if (!err)
			a->n_retired++;
	}
out:
	json_object_put(o);
	free(buf);
	close(fd);
	/* A damaged record never un-retires a tenant: the agent stops. */
	if (err)
		return tg_err(
			err,
			"state: %s/" RETIRED
			": %s; the agent does not start without its record of retired tenants",
			a->opt.state_dir, why[0] ? why : strerror(-err));
	return 0;
}

/* This boot's id into id: 0, or -errno. */
static int this_boot(char id[37])
{
	char host[65];

	return tg_grant_this_host(host, id);
}

/* r's uptime counted up to now (boot_now: this boot's id). */
static void account(struct agent_retired *r, const char *boot_now)
{
	__s64 now = tg_clock_ns(CLOCK_BOOTTIME) / 1000000000LL;

	if (!strcmp(r->boot_id, boot_now))
		r->uptime_s += now > r->boot_mark_s ? now - r->boot_mark_s : 0;
	else
		r->uptime_s += now; /* a boot since: all of this one's */
	r->boot_mark_s = now;
	snprintf(r->boot_id, sizeof(r->boot_id), "%s", boot_now);
}

int agent_retired_account(struct agent *a)
{
	char boot[37];
	unsigned int i;
	int err = this_boot(boot);

	if (err)
		return err;
	for (i = 0; i < a->n_retired; i++)
		account(&a->retired[i], boot);
	return a->n_retired ? agent_save_retired(a) : 0;
}

/* The record written anew (a temporary file renamed over it): 0 or -errno. */
int agent_state_write(struct agent *a, const char *name, const char *tmp,
		      struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(s);
	int fd, err = 0;

	fd = openat(a->state_fd, tmp,
		    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	errno = 0;
	if (fd < 0 || write(fd, s, len) != (ssize_t)len ||
	    write(fd, "\n", 1) != 1 || fsync(fd) < 0 ||
	    renameat(a->state_fd, tmp, a->state_fd, name) < 0 ||
	    fsync(a->state_fd) < 0)
		err = errno ? -errno : -EIO;
	if (fd >= 0)
		close(fd);
	return err;
}

int agent_save_retired(struct agent *a)
{
	struct json_object *o = json_object_new_object();
	int err;

	json_object_object_add(o, "version", json_object_new_int(1));
	json_object_object_add(o, "retired", agent_retired_json(a));
	err = agent_state_write(a, RETIRED, RETIRED_TMP, o);
	json_object_put(o);
	return err;
}

int agent_state_open(struct agent *a)
{
	char why[256] = "";
	int err;

	a->state_fd = -1;
	if (sodium_init() < 0)
		return tg_err(-EIO, "state: libsodium does not start");
	err = tg_private_dir_make(a->opt.state_dir);
	if (err)
		return tg_err(err, "state: cannot make %s: %s",
			      a->opt.state_dir, strerror(-err));
	a->state_fd = open(a->opt.state_dir,
			   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (a->state_fd < 0)
		return tg_err(-errno, "state: %s: %s", a->opt.state_dir,
			      strerror(errno));
	err = tg_private_dir_check(a->state_fd, geteuid(), why, sizeof(why));
	if (err)
		return tg_err(err, "state: %s refused: %s", a->opt.state_dir,
			      why[0] ? why : strerror(-err));
	err = load_host_key(a);
	if (!err)
		err = load_retired(a);
	if (!err && agent_retired_account(a))
		tg_warn("state: the retired tenants' uptime cannot be counted now");
	return err;
}

void agent_state_close(struct agent *a)
{
	unsigned int i;

	sodium_memzero(a->host_sk, sizeof(a->host_sk));
	if (a->state_fd >= 0 && a->n_retired && agent_retired_account(a))
		tg_warn("state: the retired tenants' uptime cannot be written");
	for (i = 0; i < a->n_retired; i++)
		retired_free(&a->retired[i]);
	free(a->retired);
	a->retired = NULL;
	a->n_retired = 0;
	if (a->state_fd >= 0)
		close(a->state_fd);
	a->state_fd = -1;
}

const struct agent_retired *agent_retired_find(const struct agent *a,
					       const char *name)
{
	unsigned int i;

	for (i = 0; i < a->n_retired; i++)
		if (!strcmp(a->retired[i].name, name))
			return &a->retired[i];
	return NULL;
}

/* "1" into the cgroup's file: 0, or -errno. */
static int cgroup_set(struct agent *a, const char *cgroup, const char *file)
{
	char path[PATH_MAX];
	int fd, err = 0;

	if (tg_path_join(path, sizeof(path), cgroup, file))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "1", 1) != 1)
		err = -errno;
	close(fd);
	return err;
}

/* A step of a retirement: its event (result ok, or the error). */
static void step_event(struct agent *a, const struct agent_retired *r,
		       const char *op, int err, const char *detail)
{
	struct agent_by by;
	struct json_object *o;

	o = tg_tenant_event(&a->fmt, op, err ? "deny" : "allow", r->name,
			    a->peer ? (__u32)a->peer->pid : (__u32)getpid(),
			    a->peer ? a->peer->comm : "tenantguard-age");
	if (!o)
		return;
	agent_by_peer(a, &by);
	if (by.asked)
		agent_by_json(&by, o);
	json_object_object_add(o, "cgroup", json_object_new_string(r->cgroup));
	json_object_object_add(o, "ok", json_object_new_boolean(!err));
	if (err)
		json_object_object_add(o, "error",
				       json_object_new_string(strerror(-err)));
	if (detail)
		json_object_object_add(o, "message",
				       json_object_new_string(detail));
	agent_emit(a, o);
}

/*
 * Freeze the retired tenant's cgroup (a process moved into it later stops
 * at once, whoever moved it), then kill what is in it. A cgroup that is
 * gone holds nothing: ENOENT is no error.
 */
static int hold_cgroup(struct agent *a, const struct agent_retired *r)
{
	int ef = cgroup_set(a, r->cgroup, "cgroup.freeze");
	int ek = cgroup_set(a, r->cgroup, "cgroup.kill");

	ef = ef == -ENOENT ? 0 : ef;
	ek = ek == -ENOENT ? 0 : ek;
	step_event(
		a, r, "freeze", ef,
		"the tenant's cgroup is frozen: a process put in it does not run");
	step_event(
		a, r, "kill", ek,
		"every process of the tenant's cgroup is killed (cgroup.kill)");
	return ef ?: ek;
}

void agent_retired_hold(struct agent *a)
{
	unsigned int i;
	int err;

	for (i = 0; i < a->n_retired; i++) {
		err = hold_cgroup(a, &a->retired[i]);
		if (err)
			tg_warn("state: retired tenant %s: cgroup %s: %s",
				a->retired[i].name, a->retired[i].cgroup,
				strerror(-err));
	}
}

void agent_retired_fan(struct agent *a)
{
	const struct tg_tenant_entry *e;
	__u32 ids[64];
	unsigned int i, n = 0;

	if (!a->fan)
		return;
	for (i = 0; i < a->n_retired && n < sizeof(ids) / sizeof(ids[0]); i++) {
		e = tg_registry_find_const(&a->reg, a->retired[i].name);
		if (e && e->id)
			ids[n++] = e->id;
	}
	if (n < a->n_retired)
		tg_warn("state: fanotify refuses the files of %u retired tenant(s) only, not of %u",
			n, a->n_retired);
	tg_fan_set_retired(a->fan, ids, n);
}

/* The record of t's retirement, added to a's: 0 or -ENOMEM. */
static int retired_add(struct agent *a, const struct tg_tenant_entry *t,
		       __s64 since, __s64 keep_s)
{
	struct agent_retired *v, *r;
	unsigned int i;

	v = realloc(a->retired, (a->n_retired + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	a->retired = v;
	r = &v[a->n_retired];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", t->name);
	r->since = since;
	r->keep_s = keep_s;
	if (this_boot(r->boot_id) == 0)
		r->boot_mark_s = tg_clock_ns(CLOCK_BOOTTIME) / 1000000000LL;
	r->by_uid = a->peer ? a->peer->uid : 0;
	r->by_loginuid = a->peer ? a->peer->loginuid : -1;
	r->cgroup = strdup(t->cgroup);
	r->paths = calloc(t->n_paths + 1, sizeof(char *));
	if (!r->cgroup || !r->paths)
		goto out_nomem;
	for (i = 0; i < t->n_paths; i++) {
		r->paths[i] = strdup(t->paths[i]);
		if (!r->paths[i])
			goto out_nomem;
		r->n_paths++;
	}
	a->n_retired++;
	return 0;
out_nomem:
	retired_free(r);
	return -ENOMEM;
}

/*
 * Retire tenant t: its record written first (an error there, and nothing
 * is done: -errno), then its cgroup frozen and emptied (that outcome in
 * a->retire_err); *out: the record.
 */
static int retire(struct agent *a, const struct tg_tenant_entry *t, __s64 since,
		  __s64 keep_s, const struct agent_retired **out)
{
	const struct agent_retired *r;
	int err = retired_add(a, t, since, keep_s);

	if (!err) {
		err = agent_save_retired(a);
		if (err)
			retired_free(&a->retired[--a->n_retired]);
	}
	if (err)
		return err;
	r = &a->retired[a->n_retired - 1];
	agent_retired_fan(a);
	step_event(
		a, r, "retire", 0,
		"retirement recorded in the agent's state: the tenant's paths stay its own");
	a->retire_err = hold_cgroup(a, r);
	*out = r;
	return 0;
}

void agent_retire_from_policy(struct agent *a)
{
	const struct tg_policy_tenant *t;
	const struct tg_tenant_entry *e;
	const struct agent_retired *r;
	unsigned int i;
	int err;

	for (i = 0; i < a->policy.n_tenants; i++) {
		t = &a->policy.tenants[i];
		if (!t->retired || agent_retired_find(a, t->name))
			continue;
		e = tg_registry_find_const(&a->reg, t->name);
		if (!e)
			continue;
		err = retire(a, e, t->retired_since, t->retired_keep_s, &r);
		if (err)
			tg_warn("state: tenant %s (retired: at %s) not recorded as retired: %s",
				t->name, t->retired_where, strerror(-err));
		else
			tg_info("state: tenant %s retired (the policy's retired: at %s)",
				t->name, t->retired_where);
	}
}

int agent_retired_check(const struct agent *a, const struct tg_policy *p,
			struct tg_diag *d)
{
	const struct tg_policy_tenant *t;
	const struct agent_retired *r;
	char since[48], day[16];
	unsigned int i, j, k;
	int err = 0;

	for (i = 0; !a->builtin && i < a->n_retired; i++) {
		r = &a->retired[i];
		if (r->erased_at)
			continue; /* nothing of it is left to keep */
		tg_format_time(since, sizeof(since), r->since * 1000000000LL);
		snprintf(day, sizeof(day), "%.10s", since);
		t = tg_policy_find(p, r->name);
		if (!t) {
			tg_diag_msg(
				d,
				"%s: tenant '%s' is retired (since %s, %s/" RETIRED
				") and stays so: a policy without it is refused; keep it, with retired: {since: %s, keep: %llds}",
				p->source, r->name, since, a->opt.state_dir,
				day, (long long)r->keep_s);
			err = -EINVAL;
			continue;
		}
		if (!t->retired) {
			tg_diag_msg(
				d,
				"%s: tenant '%s' is retired (since %s, %s/" RETIRED
				") and stays so: its retired: entry cannot be left out; add retired: {since: %s, keep: %llds}",
				t->where, r->name, since, a->opt.state_dir, day,
				(long long)r->keep_s);
			err = -EINVAL;
		}
		for (j = 0; j < r->n_paths; j++) {
			for (k = 0; k < t->n_paths; k++)
				if (!strcmp(t->paths[k], r->paths[j]))
					break;
			if (k == t->n_paths) {
				tg_diag_msg(
					d,
					"%s: tenant '%s' is retired: its path %s stays its own and cannot be left out of its paths",
					t->where, r->name, r->paths[j]);
				err = -EINVAL;
			}
		}
	}
	return err;
}

struct json_object *agent_tenant_retire(struct agent *a,
					struct json_object *req,
					struct tg_control_io *io)
{
	const char *name = tg_json_str(req, "tenant"),
		   *keep = tg_json_str(req, "keep");
	const struct agent_retired *r = agent_retired_find(a, name);
	const struct tg_tenant_entry *t;
	struct json_object *o;
	__s64 keep_s = KEEP_DEFAULT;
	char msg[512], since[48];
	int err;

	if (r) {
		tg_format_time(since, sizeof(since), r->since * 1000000000LL);
		snprintf(
			msg, sizeof(msg),
			"tenant-retire: tenant '%s' is retired already (since %s)",
			name, since);
		return tg_control_error(msg);
	}
	t = tg_registry_find_const(&a->reg, name);
	if (!t || (!t->defined && !t->present)) {
		snprintf(msg, sizeof(msg),
			 "tenant-retire: no tenant '%s' in the policy in force",
			 name);
		return tg_control_error(msg);
	}
	if (keep[0] && (tg_parse_duration(keep, &keep_s) || keep_s <= 0)) {
		snprintf(
			msg, sizeof(msg),
			"tenant-retire: --keep '%s' is no duration (90d, 12h, 30m, 10s)",
			keep);
		return tg_control_error(msg);
	}
	err = retire(a, t, time(NULL), keep_s, &r);
	if (err) {
		snprintf(
			msg, sizeof(msg),
			"tenant-retire: %s not retired: its record in %s/" RETIRED
			" cannot be written: %s",
			name, a->opt.state_dir, strerror(-err));
		return tg_control_error(msg);
	}
	err = a->retire_err;
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "retired", retired_one_json(r));
	snprintf(
		msg, sizeof(msg),
		"tenant %s retired: recorded; cgroup %s frozen and its processes killed%s%s%s; kept %llds",
		name, r->cgroup, err ? " (not all: " : "",
		err ? strerror(-err) : "", err ? ")" : "",
		(long long)r->keep_s);
	json_object_object_add(o, "message", json_object_new_string(msg));
	return o;
}
