// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard-agent: loads the BPF programs, keeps their maps in step with
 * the tenants on this host, and streams every violation to the collector.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <json-c/json.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bpf_loader.h"
#include "cgroupfs.h"
#include "control.h"
#include "delivery.h"
#include "event_json.h"
#include "notify.h"
#include "policy.h"
#include "sink.h"
#include "spool.h"
#include "tenants.h"
#include "tenantguard/map_abi.h"

#define PROG "tenantguard-agent"
#define TG_SINK_QUEUE 65536	/* events held for the collector */
#define METRICS_MS 5000		/* metrics file written this often */

struct agent {
	const char *policy_file;
	const char *policy_dir;
	const char *control_socket;
	int policy_explicit;		/* --policy given: it must load */
	int builtin;			/* no policy file: the built-in policy */
	struct tg_policy policy;	/* the policy in force */
	__u64 denials[TG_MAX_TENANTS + 1];	/* per tenant id */
	__u64 audits[TG_MAX_TENANTS + 1];
	__u64 reloads_ok, reloads_failed;
	double last_reload_ms;		/* file to enforced, last good reload */
	long last_changes;		/* map keys written by the last apply */
	const char *tenants_cgroup;
	const char *paths_root;
	const char *event_socket;
	const char *cgroup_root_opt;
	const char *attach_cgroup_opt;
	const char *host_opt;
	__u32 ringbuf_size;
	int require_file;
	int verbose;

	char cgroup_root[PATH_MAX];
	char tenants_dir[PATH_MAX];
	char host[256];
	struct tg_registry reg;
	struct tg_bpf bpf;
	struct tg_sink *sink;
	struct tg_event_fmt fmt;
	__u64 events_seen;
	__u64 events_bad;
	__u64 drops_reported;
	struct tg_notify *notify;	/* seccomp listeners from the launcher */
	__u64 seccomp_denials;
	const char *spool_dir;		/* --spool-dir (unused with --spool-size 0) */
	__u64 spool_size;
	const char *metrics_file;
	struct tg_delivery dlv;		/* event counts, drops, metrics */
};

static int verbose;

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, PROG ": ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (!verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: " PROG " [options]\n"
		"  --policy FILE|builtin   policy (default /etc/tenantguard/policy.yaml; if that\n"
		"                          does not exist, the built-in zero-config policy)\n"
		"  --policy-dir DIR        drop-ins merged in name order (default\n"
		"                          /etc/tenantguard/policy.d)\n"
		"  --control-socket PATH   (default /run/tenantguard/control.sock)\n"
		"  --tenants-cgroup PATH   built-in policy: cgroup (below the cgroup v2 root)\n"
		"                          whose children are tenants (default /tenants)\n"
		"  --paths-root DIR        built-in policy: each tenant owns DIR/<name>\n"
		"                          (default /srv/tenants)\n"
		"  --event-socket PATH     collector socket (default /run/tenantguard/events.sock)\n"
		"  --cgroup-root DIR       cgroup v2 mount point (default: from mountinfo)\n"
		"  --attach-cgroup DIR     cgroup for the network programs (default: cgroup v2 root)\n"
		"  --ringbuf-size BYTES    kernel event ring buffer, power of two (default 1048576)\n"
		"  --spool-dir DIR         events the collector has not acknowledged go there\n"
		"                          when it is down or slow (default /var/lib/tenantguard/spool)\n"
		"  --spool-size BYTES      spool limit, suffix K, M, G allowed (default 512M;\n"
		"                          0: no spool, events wait in memory only)\n"
		"  --metrics-file PATH     write Prometheus metrics there every 5 s, e.g.\n"
		"                          /var/lib/prometheus/node-exporter/tenantguard.prom\n"
		"                          (default: none)\n"
		"  --host NAME             host name in events (default: gethostname)\n"
		"  --require-file-isolation  refuse to start without BPF LSM file isolation\n"
		"  -v, --verbose           log libbpf warnings and every event\n"
		"  -h, --help              this text\n");
}

static int parse_u32(const char *s, __u32 *out)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !end || *end || end == s || v > UINT32_MAX || s[0] == '-')
		return -EINVAL;
	*out = (__u32)v;
	return 0;
}

static int parse_args(struct agent *a, int argc, char **argv)
{
	enum { O_TENANTS = 256, O_PATHS, O_SOCK, O_CGROOT, O_ATTACH, O_RB,
	       O_HOST, O_REQFILE, O_POLICY, O_POLICYDIR, O_CONTROL, O_SPOOLDIR,
	       O_SPOOLSIZE, O_METRICS };
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, O_POLICY },
		{ "policy-dir", required_argument, NULL, O_POLICYDIR },
		{ "control-socket", required_argument, NULL, O_CONTROL },
		{ "tenants-cgroup", required_argument, NULL, O_TENANTS },
		{ "paths-root", required_argument, NULL, O_PATHS },
		{ "event-socket", required_argument, NULL, O_SOCK },
		{ "cgroup-root", required_argument, NULL, O_CGROOT },
		{ "attach-cgroup", required_argument, NULL, O_ATTACH },
		{ "ringbuf-size", required_argument, NULL, O_RB },
		{ "host", required_argument, NULL, O_HOST },
		{ "require-file-isolation", no_argument, NULL, O_REQFILE },
		{ "spool-dir", required_argument, NULL, O_SPOOLDIR },
		{ "spool-size", required_argument, NULL, O_SPOOLSIZE },
		{ "metrics-file", required_argument, NULL, O_METRICS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
		switch (c) {
		case O_POLICY:
			a->policy_file = optarg;
			a->policy_explicit = 1;
			break;
		case O_POLICYDIR: a->policy_dir = optarg; break;
		case O_CONTROL: a->control_socket = optarg; break;
		case O_TENANTS: a->tenants_cgroup = optarg; break;
		case O_PATHS: a->paths_root = optarg; break;
		case O_SOCK: a->event_socket = optarg; break;
		case O_CGROOT: a->cgroup_root_opt = optarg; break;
		case O_ATTACH: a->attach_cgroup_opt = optarg; break;
		case O_HOST: a->host_opt = optarg; break;
		case O_REQFILE: a->require_file = 1; break;
		case O_SPOOLDIR: a->spool_dir = optarg; break;
		case O_METRICS: a->metrics_file = optarg; break;
		case O_SPOOLSIZE:
			if (tg_parse_size(optarg, &a->spool_size) ||
			    (a->spool_size && a->spool_size < (1 << 20))) {
				say("--spool-size: '%s' is not 0 or a size of at least 1M",
				    optarg);
				return -EINVAL;
			}
			break;
		case 'v': a->verbose = 1; break;
		case 'h': usage(stdout); exit(0);
		case O_RB:
			if (parse_u32(optarg, &a->ringbuf_size) ||
			    a->ringbuf_size < 4096 ||
			    (a->ringbuf_size & (a->ringbuf_size - 1))) {
				say("--ringbuf-size: '%s' is not a power of two >= 4096",
				    optarg);
				return -EINVAL;
			}
			break;
		case ':':
			say("option %s needs a value", argv[optind - 1]);
			return -EINVAL;
		default:
			say("unknown option %s (see --help)", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		say("unexpected argument '%s' (see --help)", argv[optind]);
		return -EINVAL;
	}
	if (!a->spool_dir[0] || (a->metrics_file && !a->metrics_file[0])) {
		say("--spool-dir and --metrics-file need a path");
		return -EINVAL;
	}
	if (a->tenants_cgroup[0] != '/' || a->paths_root[0] != '/') {
		say("--tenants-cgroup and --paths-root must be absolute paths");
		return -EINVAL;
	}
	return 0;
}

/* Queue one JSON event object for the collector; takes the reference. */
static void emit(struct agent *a, struct json_object *o)
{
	const char *s;
	int err;

	if (!o)
		return;
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (a->verbose)
		say("event %s", s);
	tg_delivery_count(&a->dlv, o);
	err = tg_sink_submit(a->sink, s, strlen(s));
	if (err && err != -ENOBUFS && a->verbose)
		say("collector: %s", strerror(-err));
	json_object_put(o);
}

static int on_event(void *ctx, void *data, size_t size)
{
	static struct tg_buf text;
	struct tg_event_names names;
	struct agent *a = ctx;
	int err;

	a->events_seen++;
	if (size >= TG_EVENT_HDR_LEN) {
		const struct tg_event *ev = data;

		if (ev->tenant <= TG_MAX_TENANTS) {
			if (ev->verdict == TG_VERDICT_DENY)
				a->denials[ev->tenant]++;
			else if (ev->verdict == TG_VERDICT_AUDIT)
				a->audits[ev->tenant]++;
		}
	}
	/* Straight to text: no json-c object for the events of a flood. */
	if (tg_event_text(data, size, &a->fmt, &text, &names)) {
		a->events_bad++;
		return 0;
	}
	if (a->verbose)
		say("event %.*s", (int)text.len, text.p);
	tg_delivery_count_names(&a->dlv, names.kind, names.verdict, names.tenant);
	err = tg_sink_submit(a->sink, text.p, text.len);
	if (err && err != -ENOBUFS && a->verbose)
		say("collector: %s", strerror(-err));
	return 0;
}

static void add_field(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

/* The agent event stating what is enforced and by what. */
static void emit_backends(struct agent *a, const char *op)
{
	struct json_object *o, *be, *unenf;
	char msg[512];
	int file_ok = a->bpf.file_backend != TG_BACKEND_NONE;

	snprintf(msg, sizeof(msg), "file isolation: %s%s%s; network isolation: %s",
		 file_ok ? tg_backend_name(a->bpf.file_backend) : "UNENFORCED (",
		 file_ok ? "" : a->bpf.file_reason, file_ok ? "" : ")",
		 tg_backend_name(a->bpf.net_backend));
	o = tg_agent_event(&a->fmt, op, "allow", msg);
	if (!o)
		return;
	be = json_object_new_object();
	add_field(be, "file", tg_backend_name(a->bpf.file_backend));
	add_field(be, "net", tg_backend_name(a->bpf.net_backend));
	json_object_object_add(o, "backends", be);
	unenf = json_object_new_array();
	if (!file_ok)
		json_object_array_add(unenf, json_object_new_string("file"));
	json_object_object_add(o, "unenforced", unenf);
	say("%s", msg);
	emit(a, o);
}

/* One agent event counting events lost since the last report, and why. */
static void emit_drop(struct agent *a, __u64 n, const char *reason,
		      const char *why)
{
	struct json_object *o;
	char msg[160];

	snprintf(msg, sizeof(msg), "%llu events dropped: %s",
		 (unsigned long long)n, why);
	o = tg_agent_event(&a->fmt, "drop", "allow", msg);
	if (o) {
		json_object_object_add(o, "dropped", json_object_new_int64((int64_t)n));
		add_field(o, "reason", reason);
	}
	emit(a, o);
}

static void sink_drop(void *ctx, __u64 n, const char *reason, const char *why)
{
	emit_drop(ctx, n, reason, why);
}

static void emit_cb(void *ctx, struct json_object *o)
{
	emit(ctx, o);
}

/* Report losses since the last report as agent events: loss is never silent. */
static void report_drops(struct agent *a)
{
	__u64 drops = tg_bpf_event_drops(&a->bpf);

	tg_delivery_report(&a->dlv, &a->fmt, sink_drop, emit_cb, a);
	if (drops == a->drops_reported)
		return;
	emit_drop(a, drops - a->drops_reported, "ringbuf_full",
		  "the kernel ring buffer was full");
	a->drops_reported = drops;
}

static int add_local_addrs(struct agent *a)
{
	struct ifaddrs *ifa, *i;
	__u8 key[16];
	int err = 0;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i && !err; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		memset(key, 0, sizeof(key));
		if (i->ifa_addr->sa_family == AF_INET) {
			key[10] = key[11] = 0xff;
			memcpy(key + 12,
			       &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			memcpy(key,
			       &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		err = tg_bpf_add_local_addr(&a->bpf, key);
	}
	freeifaddrs(ifa);
	return err;
}

/* Bring the kernel in line with a->policy and the cgroups that exist now. */
static int apply(struct agent *a)
{
	struct tg_apply_stats st;
	int err;

	err = tg_registry_apply(&a->reg, &a->policy, a->cgroup_root,
				a->builtin ? a->paths_root : NULL);
	if (!err)
		err = tg_bpf_apply(&a->bpf, &a->reg, &st);
	if (!err)
		a->last_changes = st.changes;
	if (err == -EEXIST)
		say("policy: two tenants resolve to the same cgroup or directory");
	else if (err)
		say("policy: cannot apply: %s", strerror(-err));
	return err;
}

static int rescan(struct agent *a)
{
	return apply(a);
}

/* The policy from its files (or the built-in one) into p. */
static int load_policy(struct agent *a, struct tg_policy *p, struct tg_diag *d)
{
	int err;

	tg_policy_init(p);
	if (a->builtin) {
		snprintf(p->tenants_cgroup, sizeof(p->tenants_cgroup), "%s",
			 a->tenants_cgroup);
		return 0;
	}
	err = tg_policy_load(p, a->policy_file, a->policy_dir, d);
	if (err)
		tg_policy_free(p);
	return err;
}

/*
 * Load, validate and apply the policy files again. On any failure the
 * policy in force stays, and errs (if not NULL) gets the reasons.
 */
static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int reload(struct agent *a, struct json_object *errs)
{
	double t0 = now_ms();
	struct tg_policy next, prev;
	struct tg_diag d = {};
	struct json_object *o;
	char msg[256];
	unsigned int i;
	int err;

	err = load_policy(a, &next, &d);
	if (!err) {
		prev = a->policy;
		a->policy = next;
		err = apply(a);
		if (err) {
			/* Back to what is in force; the kernel never saw next. */
			a->policy = prev;
			tg_registry_apply(&a->reg, &a->policy, a->cgroup_root,
					  a->builtin ? a->paths_root : NULL);
			tg_policy_free(&next);
			snprintf(msg, sizeof(msg), "policy: cannot apply: %s",
				 err == -EEXIST ? "two tenants resolve to the same cgroup or directory" :
						  strerror(-err));
			d.msgs = calloc(1, sizeof(char *));
			if (d.msgs && (d.msgs[0] = strdup(msg)))
				d.n = 1;
		} else {
			tg_policy_free(&prev);
		}
	}
	if (err) {
		a->reloads_failed++;
		o = tg_agent_event(&a->fmt, "reload", "deny",
				   "policy rejected; the previous policy stays in force");
		struct json_object *arr = json_object_new_array();

		for (i = 0; i < d.n; i++) {
			say("%s", d.msgs[i]);
			json_object_array_add(arr, json_object_new_string(d.msgs[i]));
			if (errs)
				json_object_array_add(errs, json_object_new_string(d.msgs[i]));
		}
		if (o)
			json_object_object_add(o, "errors", arr);
		else
			json_object_put(arr);
		emit(a, o);
		say("reload rejected (%u error(s)); generation %u stays in force",
		    d.n, a->bpf.gen);
	} else {
		a->reloads_ok++;
		a->last_reload_ms = now_ms() - t0;
		snprintf(msg, sizeof(msg),
			 "policy generation %u in force (%u tenants, %ld map changes, %.1f ms)",
			 a->bpf.gen, a->policy.n_tenants, a->last_changes, a->last_reload_ms);
		o = tg_agent_event(&a->fmt, "reload", "allow", msg);
		if (o)
			json_object_object_add(o, "generation",
					       json_object_new_int64(a->bpf.gen));
		emit(a, o);
		say("%s", msg);
	}
	tg_diag_free(&d);
	return err;
}

static const char *mode_name(__u32 flags)
{
	return (flags & TG_TENANT_F_AUDIT) ? "audit" : "enforce";
}

static struct json_object *status_json(struct agent *a)
{
	struct json_object *o = json_object_new_object(), *be, *ts, *t, *ps, *un;
	struct tg_sink_stats ss;
	unsigned int j;
	size_t i;

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "policy", json_object_new_string(
		a->builtin ? "built-in" : a->policy.source));
	json_object_object_add(o, "generation", json_object_new_int64(a->bpf.gen));
	json_object_object_add(o, "mode", json_object_new_string(
		a->policy.mode == TG_MODE_AUDIT ? "audit" : "enforce"));
	be = json_object_new_object();
	json_object_object_add(be, "file", json_object_new_string(
		tg_backend_name(a->bpf.file_backend)));
	json_object_object_add(be, "net", json_object_new_string(
		tg_backend_name(a->bpf.net_backend)));
	json_object_object_add(o, "backends", be);
	un = json_object_new_array();
	if (a->bpf.file_backend == TG_BACKEND_NONE) {
		json_object_array_add(un, json_object_new_string("file"));
		json_object_object_add(o, "file_reason",
				       json_object_new_string(a->bpf.file_reason));
	}
	json_object_object_add(o, "unenforced", un);
	ts = json_object_new_array();
	for (i = 0; i < a->reg.n; i++) {
		const struct tg_tenant_entry *e = &a->reg.v[i];

		if (!e->defined && !e->present)
			continue;
		t = json_object_new_object();
		json_object_object_add(t, "name", json_object_new_string(e->name));
		json_object_object_add(t, "id", json_object_new_int64(e->id));
		json_object_object_add(t, "mode", json_object_new_string(mode_name(e->flags)));
		json_object_object_add(t, "cgroup", json_object_new_string(e->cgroup));
		json_object_object_add(t, "present", json_object_new_boolean(e->present));
		json_object_object_add(t, "source", json_object_new_string(
			e->defined ? "policy" : "zero-config"));
		ps = json_object_new_array();
		for (j = 0; j < e->n_paths; j++)
			json_object_array_add(ps, json_object_new_string(e->paths[j]));
		json_object_object_add(t, "paths", ps);
		json_object_object_add(t, "denials",
				       json_object_new_int64((int64_t)a->denials[e->id]));
		json_object_object_add(t, "audits",
				       json_object_new_int64((int64_t)a->audits[e->id]));
		json_object_array_add(ts, t);
	}
	json_object_object_add(o, "tenants", ts);
	tg_sink_stats(a->sink, &ss);
	t = json_object_new_object();
	json_object_object_add(t, "kernel_events", json_object_new_int64((int64_t)a->events_seen));
	json_object_object_add(t, "kernel_drops",
			       json_object_new_int64((int64_t)tg_bpf_event_drops(&a->bpf)));
	json_object_object_add(t, "sent_acked", json_object_new_int64((int64_t)ss.acked));
	json_object_object_add(t, "queued", json_object_new_int64((int64_t)ss.queued));
	json_object_object_add(t, "dropped", json_object_new_int64((int64_t)ss.dropped));
	json_object_object_add(t, "spool_events", json_object_new_int64((int64_t)ss.spool_records));
	json_object_object_add(t, "collector_connected", json_object_new_boolean(ss.connected));
	json_object_object_add(o, "events", t);
	json_object_object_add(o, "delivery", tg_delivery_status(&a->dlv, &(struct tg_delivery_extra){
		.kernel_drops = tg_bpf_event_drops(&a->bpf),
		.reloads_ok = a->reloads_ok, .reloads_failed = a->reloads_failed }));
	t = json_object_new_object();
	json_object_object_add(t, "listeners",
			       json_object_new_int64(tg_notify_count(a->notify)));
	json_object_object_add(t, "denials",
			       json_object_new_int64((int64_t)a->seccomp_denials));
	json_object_object_add(o, "seccomp", t);
	json_object_object_add(o, "reloads_ok", json_object_new_int64((int64_t)a->reloads_ok));
	json_object_object_add(o, "reloads_failed",
			       json_object_new_int64((int64_t)a->reloads_failed));
	return o;
}

/* Where and under which profile the launcher starts tenant name. */
static struct json_object *tenant_json(struct agent *a, const char *name)
{
	const struct tg_tenant_entry *e = tg_registry_find_const(&a->reg, name);
	const struct tg_policy_tenant *t = tg_policy_find(&a->policy, name);
	struct json_object *o = json_object_new_object();

	if (!e || (!e->defined && !e->present)) {
		json_object_object_add(o, "ok", json_object_new_boolean(0));
		json_object_object_add(o, "error", json_object_new_string(
			"no such tenant in the policy in force"));
		return o;
	}
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "name", json_object_new_string(e->name));
	json_object_object_add(o, "id", json_object_new_int64(e->id));
	json_object_object_add(o, "cgroup", json_object_new_string(e->cgroup));
	json_object_object_add(o, "present", json_object_new_boolean(e->present));
	json_object_object_add(o, "seccomp", json_object_new_string(
		t && t->seccomp[0] ? t->seccomp : "default"));
	return o;
}

static void on_seccomp_denial(void *ctx, const char *tenant, const char *profile,
			      const struct tg_sc_denial *d)
{
	struct agent *a = ctx;
	const struct tg_tenant_entry *e = tg_registry_find_const(&a->reg, tenant);

	a->seccomp_denials++;
	if (e && e->id <= TG_MAX_TENANTS)
		a->denials[e->id]++;
	emit(a, tg_seccomp_event(&a->fmt, tenant, profile, (__u32)d->pid, d->comm,
				 d->syscall, d->arch));
}

/* The launcher hands over the seccomp listener of a tenant's process tree. */
static struct json_object *take_listener(struct agent *a, struct json_object *req,
					 int *fd)
{
	struct json_object *o = json_object_new_object(), *v;
	const char *tenant = NULL, *profile = "";
	char msg[160];
	int err;

	if (json_object_object_get_ex(req, "tenant", &v))
		tenant = json_object_get_string(v);
	if (json_object_object_get_ex(req, "profile", &v))
		profile = json_object_get_string(v);
	if (!tenant || !tg_tenant_name_valid(tenant) || strlen(profile) >= 64) {
		err = -EINVAL;
		snprintf(msg, sizeof(msg), "seccomp-listener: 'tenant' missing or invalid");
	} else if (*fd < 0) {
		err = -EBADF;
		snprintf(msg, sizeof(msg), "seccomp-listener: no descriptor passed");
	} else {
		err = tg_notify_add(a->notify, *fd, tenant, profile);
		*fd = -1;	/* taken, or closed on error */
		snprintf(msg, sizeof(msg), "seccomp-listener: %s",
			 err == -EBADF ? "not a seccomp listener" : strerror(-err));
	}
	json_object_object_add(o, "ok", json_object_new_boolean(!err));
	if (err)
		json_object_object_add(o, "error", json_object_new_string(msg));
	else if (a->verbose)
		say("seccomp listener for tenant %s (profile %s), %u served", tenant,
		    profile, tg_notify_count(a->notify));
	return o;
}

static struct json_object *control_handle(void *ctx, struct json_object *req,
					  int *fd)
{
	struct agent *a = ctx;
	struct json_object *cmd, *o, *errs, *v;
	const char *c = "";

	if (json_object_object_get_ex(req, "cmd", &cmd))
		c = json_object_get_string(cmd);
	if (strcmp(c, "status") == 0)
		return status_json(a);
	if (strcmp(c, "tenant") == 0)
		return tenant_json(a, json_object_object_get_ex(req, "name", &v) ?
					      json_object_get_string(v) : "");
	if (strcmp(c, "seccomp-listener") == 0)
		return take_listener(a, req, fd);
	o = json_object_new_object();
	if (strcmp(c, "reload") == 0) {
		errs = json_object_new_array();
		json_object_object_add(o, "ok", json_object_new_boolean(!reload(a, errs)));
		json_object_object_add(o, "generation", json_object_new_int64(a->bpf.gen));
		json_object_object_add(o, "elapsed_ms", json_object_new_double(a->last_reload_ms));
		json_object_object_add(o, "map_changes", json_object_new_int64(a->last_changes));
		json_object_object_add(o, "errors", errs);
		return o;
	}
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string("unknown command"));
	return o;
}

static int setup_paths(struct agent *a)
{
	int err;

	if (a->cgroup_root_opt) {
		snprintf(a->cgroup_root, sizeof(a->cgroup_root), "%s",
			 a->cgroup_root_opt);
	} else {
		err = tg_cgroup2_find("/proc/self/mountinfo", a->cgroup_root,
				      sizeof(a->cgroup_root));
		if (err) {
			say("no cgroup v2 mount found in /proc/self/mountinfo: %s",
			    strerror(-err));
			return err;
		}
	}
	if (a->host_opt)
		snprintf(a->host, sizeof(a->host), "%s", a->host_opt);
	else if (gethostname(a->host, sizeof(a->host) - 1) < 0)
		snprintf(a->host, sizeof(a->host), "unknown");
	return 0;
}

/* Create the directory holding path (one level), as /run/tenantguard. */
static void make_parent_dir(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
}

static int open_signalfd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	sigdelset(&set, SIGPIPE);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Watch for v directory's children appearing or going (best effort). */
static void watch_dir(int fd, const char *dir)
{
	inotify_add_watch(fd, dir, IN_CREATE | IN_DELETE | IN_MOVED_FROM |
					   IN_MOVED_TO | IN_ONLYDIR);
}

/* Watch the nearest existing ancestor of path: its creation starts there. */
static void watch_parent(int fd, const char *path)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	for (;;) {
		slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			return;
		*slash = '\0';
		if (stat(dir, &st) == 0) {
			watch_dir(fd, dir);
			return;
		}
	}
}

/*
 * A fresh inotify fd watching what can bring a tenant into being: the
 * tenants cgroup, and the parents of tenant cgroups and owned paths that do
 * not exist yet.
 */
static int watch_dirs(struct agent *a)
{
	int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	struct stat st;
	unsigned int j;
	size_t i;

	if (fd < 0)
		return -errno;
	if (inotify_add_watch(fd, a->tenants_dir, IN_CREATE | IN_DELETE |
						  IN_MOVED_FROM | IN_MOVED_TO |
						  IN_ONLYDIR) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (a->builtin)
		watch_dir(fd, a->paths_root);
	for (i = 0; i < a->reg.n; i++) {
		const struct tg_tenant_entry *e = &a->reg.v[i];

		if (e->defined && !e->present)
			watch_parent(fd, e->cgroup);
		for (j = 0; j < e->n_paths; j++)
			if (stat(e->paths[j], &st) < 0)
				watch_parent(fd, e->paths[j]);
	}
	return fd;
}

/* Make the tenants cgroup of the policy in force exist, and watch. */
static int prepare_tenants_dir(struct agent *a, int *ifd)
{
	int err, fd;

	err = tg_path_join(a->tenants_dir, sizeof(a->tenants_dir),
			   a->cgroup_root, a->policy.tenants_cgroup);
	if (err)
		return err;
	if (mkdir(a->tenants_dir, 0755) < 0 && errno != EEXIST) {
		err = -errno;
		say("cannot create tenants cgroup %s: %s", a->tenants_dir,
		    strerror(-err));
		return err;
	}
	fd = watch_dirs(a);
	if (fd < 0) {
		say("inotify on %s: %s", a->tenants_dir, strerror(-fd));
		return fd;
	}
	if (*ifd >= 0)
		close(*ifd);
	*ifd = fd;
	return 0;
}

static void drain(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void write_metrics(struct agent *a)
{
	int prev = a->dlv.metrics_err;
	int err = tg_delivery_write_metrics(&a->dlv, &(struct tg_delivery_extra){
		.kernel_drops = tg_bpf_event_drops(&a->bpf),
		.reloads_ok = a->reloads_ok, .reloads_failed = a->reloads_failed });

	if (err && err != prev)
		say("metrics file %s: %s", a->metrics_file, strerror(-err));
}

/* Serve until SIGTERM or SIGINT. */
static int run(struct agent *a, int sfd, int *ifd, int cfd)
{
	struct signalfd_siginfo si;
	struct pollfd p[6];
	double next_metrics = 0;
	int n;

	for (;;) {
		p[0] = (struct pollfd){ .fd = ring_buffer__epoll_fd(a->bpf.rb),
					.events = POLLIN };
		p[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		p[2] = (struct pollfd){ .fd = *ifd, .events = POLLIN };
		p[3] = (struct pollfd){ .fd = tg_sink_fd(a->sink), .events = POLLIN };
		p[4] = (struct pollfd){ .fd = cfd, .events = POLLIN };
		p[5] = (struct pollfd){ .fd = tg_notify_fd(a->notify), .events = POLLIN };
		n = poll(p, 6, 1000);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (p[0].revents)
			ring_buffer__consume(a->bpf.rb);
		if (p[5].revents)
			tg_notify_process(a->notify, on_seccomp_denial, a);
		if (p[2].revents) {
			drain(*ifd);
			/*
			 * Watches move with what exists; look again after
			 * moving them, for what appeared in between.
			 */
			if (!rescan(a) && !prepare_tenants_dir(a, ifd))
				rescan(a);
		}
		if (p[4].revents) {
			/* Events first: a reload must not delay them. */
			ring_buffer__consume(a->bpf.rb);
			tg_control_serve(cfd, control_handle, a);
			prepare_tenants_dir(a, ifd);
		}
		tg_sink_process(a->sink);
		report_drops(a);
		if (a->metrics_file && now_ms() >= next_metrics) {
			write_metrics(a);
			next_metrics = now_ms() + METRICS_MS;
		}
		if (!(p[1].revents & POLLIN))
			continue;
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGHUP) {
				reload(a, NULL);
				prepare_tenants_dir(a, ifd);
				continue;
			}
			say("signal %u: stopping", si.ssi_signo);
			return 0;
		}
	}
}

int main(int argc, char **argv)
{
	struct agent a = {
		.policy_file = "/etc/tenantguard/policy.yaml",
		.policy_dir = "/etc/tenantguard/policy.d",
		.control_socket = "/run/tenantguard/control.sock",
		.tenants_cgroup = "/tenants",
		.paths_root = "/srv/tenants",
		.event_socket = "/run/tenantguard/events.sock",
		.ringbuf_size = 1 << 20,
		.spool_dir = "/var/lib/tenantguard/spool",
		.spool_size = 512ULL << 20,
	};
	struct tg_spool_info si;
	struct tg_spool *spool;
	struct tg_bpf_opts bo = {};
	char errbuf[512];
	struct tg_diag d = {};
	unsigned int i;
	int sfd = -1, ifd = -1, cfd = -1, err;

	a.bpf.cgroup_fd = -1;
	tg_registry_init(&a.reg);
	if (parse_args(&a, argc, argv))
		return 2;
	verbose = a.verbose;
	libbpf_set_print(libbpf_print);
	a.builtin = strcmp(a.policy_file, "builtin") == 0 ||
		    (!a.policy_explicit && access(a.policy_file, F_OK) != 0);
	/* A bad policy stops the start here, before anything is loaded. */
	if (load_policy(&a, &a.policy, &d)) {
		for (i = 0; i < d.n; i++)
			say("%s", d.msgs[i]);
		say("policy rejected: not starting");
		tg_diag_free(&d);
		return 1;
	}
	if (setup_paths(&a))
		return 1;
	a.fmt.reg = &a.reg;
	a.fmt.host = a.host;
	a.fmt.boot_to_real_ns = tg_boot_to_real_ns();

	sfd = open_signalfd();
	if (sfd < 0) {
		say("signalfd: %s", strerror(errno));
		return 1;
	}
	a.sink = tg_sink_new(a.event_socket, TG_SINK_QUEUE);
	if (!a.sink) {
		say("collector socket %s: %s", a.event_socket, strerror(errno));
		err = 1;
		goto out_close_sfd;
	}
	tg_delivery_init(&a.dlv, a.sink, a.metrics_file);
	a.notify = tg_notify_new();
	if (!a.notify) {
		say("seccomp listeners: %s", strerror(errno));
		err = 1;
		goto out_free_sink;
	}
	bo.attach_cgroup = a.attach_cgroup_opt ?: a.cgroup_root;
	bo.ringbuf_size = a.ringbuf_size;
	bo.on_event = on_event;
	bo.ctx = &a;
	if (tg_bpf_start(&a.bpf, &bo, errbuf, sizeof(errbuf))) {
		say("bpf: %s", errbuf);
		err = 1;
		goto out_free_sink;
	}
	if (a.require_file && a.bpf.file_backend == TG_BACKEND_NONE) {
		say("file isolation unavailable and --require-file-isolation given: %s",
		    a.bpf.file_reason);
		err = 1;
		goto out_stop_bpf;
	}
	if (a.spool_size) {
		spool = tg_spool_open(a.spool_dir, a.spool_size, 0, &si);
		if (!spool) {
			say("spool %s: %s", a.spool_dir, errno == EBUSY ?
			    "in use by another agent" : strerror(errno));
			err = 1;
			goto out_stop_bpf;
		}
		tg_sink_set_spool(a.sink, spool);
		if (si.torn)
			say("spool %s: cut %u damaged record(s) (%llu bytes) left by a crash",
			    a.spool_dir, si.torn, (unsigned long long)si.torn_bytes);
		if (si.records)
			say("spool %s: %llu event(s) of earlier runs to deliver",
			    a.spool_dir, (unsigned long long)si.records);
	}
	err = add_local_addrs(&a);
	if (err) {
		say("local addresses: %s", strerror(-err));
		err = 1;
		goto out_stop_bpf;
	}
	if (prepare_tenants_dir(&a, &ifd) || apply(&a) ||
	    prepare_tenants_dir(&a, &ifd)) {
		err = 1;
		goto out_stop_bpf;
	}
	make_parent_dir(a.control_socket);
	cfd = tg_control_listen(a.control_socket);
	if (cfd < 0) {
		say("control socket %s: %s", a.control_socket, strerror(-cfd));
		err = 1;
		goto out_close_ifd;
	}
	emit_backends(&a, "start");
	say("policy %s, generation %u", a.builtin ? "built-in" : a.policy.source,
	    a.bpf.gen);
	say("enforcing for %zu tenant(s) below %s; events to %s", a.reg.n,
	    a.tenants_dir, a.event_socket);
	err = run(&a, sfd, &ifd, cfd) ? 1 : 0;
	ring_buffer__consume(a.bpf.rb);
	tg_notify_process(a.notify, on_seccomp_denial, &a);
	if (a.metrics_file)
		write_metrics(&a);
	close(cfd);
	unlink(a.control_socket);
out_close_ifd:
	close(ifd);
out_stop_bpf:
	tg_bpf_stop(&a.bpf);
	if (!err)
		emit(&a, tg_agent_event(&a.fmt, "stop", "allow", "agent stopped"));
	if (tg_sink_flush(a.sink, 2000)) {
		size_t lost = tg_sink_save(a.sink);
		struct tg_sink_stats ss;

		tg_sink_stats(a.sink, &ss);
		if (lost)
			say("collector unreachable: %zu event(s) lost at exit (no room in the spool)",
			    lost);
		else if (ss.spool_records)
			say("collector unreachable: %llu event(s) kept in the spool for the next run",
			    (unsigned long long)ss.spool_records);
	}
out_free_sink:
	tg_notify_free(a.notify);
	tg_sink_free(a.sink);
	tg_delivery_free(&a.dlv);
out_close_sfd:
	close(sfd);
	tg_registry_free(&a.reg);
	tg_policy_free(&a.policy);
	return err;
}
