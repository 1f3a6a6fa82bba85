// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard-agent: loads the BPF programs, keeps their maps in step with
 * the tenants on this host, and streams every violation to the collector.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
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

#include "agentd/bpf_loader.h"
#include "common/cgroupfs.h"
#include "common/control.h"
#include "agentd/delivery.h"
#include "agentd/event_text.h"
#include "agentd/local_addrs.h"
#include "agentd/fanotify.h"
#include "seccomp/notify.h"
#include "policy/policy.h"
#include "agentd/ratelimit.h"
#include "agentd/reserved_ports.h"
#include "agentd/socket_seed.h"
#include "agentd/sink.h"
#include "agentd/spool.h"
#include "policy/registry.h"
#include "tenantguard/map_abi.h"

#define PROG "tenantguard-agent"
#define TG_SINK_QUEUE 65536	/* events held for the collector */
#define TG_RL_POLL_MS 1000	/* kernel counters read at most this often */
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
	const char *file_backend_opt;	/* --file-backend */
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
	struct tg_notify *notify;	/* seccomp listeners from the launcher */
	__u64 seccomp_denials;
	struct tg_ratelimit *rl;	/* rate limits, suppressed and dropped */
	double rl_polled_ms;
	struct tg_netlink *nl;		/* host addresses from rtnetlink */
	struct tg_resports resports;	/* reserved ports in the sysctl */
	int resports_err;		/* last error writing it, 0 if none */
	struct tg_seed_stats seed;	/* sockets found at start */
	struct tg_fan *fan;		/* the fanotify file backend, if used */
	int fan_unmarked;		/* filesystems not marked, last reported */
	int started;			/* the start event is out */
	__u64 fan_drops_reported;
	const char *spool_dir;		/* --spool-dir (unused with --spool-size 0) */
	__u64 spool_size;
	const char *metrics_file;
	struct tg_delivery dlv;		/* event counts, drops, metrics */
	struct tg_pending reported;	/* cgroups left pending, as last reported */
	int rescan_err;			/* the last rescan's error, 0 if none */
	struct tg_links_stats links_told;	/* hard links, last reported */
	__u32 links_per_tenant;		/* --links-per-tenant */
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
		"  --links-per-tenant N    hard-linked objects recorded per tenant (named below\n"
		"                          several tenants' paths, or also outside every owned\n"
		"                          path; default 65536; more: reported)\n"
		"  --require-file-isolation  refuse to start without full file isolation (BPF LSM)\n"
		"  --file-backend auto|bpf-lsm|fanotify|none\n"
		"                          auto (default): BPF LSM, else fanotify (opens only),\n"
		"                          else none; the others: that one, or refuse to start\n"
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
	       O_HOST, O_REQFILE, O_POLICY, O_POLICYDIR, O_CONTROL, O_FILEBE,
	       O_SPOOLDIR, O_SPOOLSIZE, O_METRICS, O_LINKS };
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
		{ "file-backend", required_argument, NULL, O_FILEBE },
		{ "spool-dir", required_argument, NULL, O_SPOOLDIR },
		{ "spool-size", required_argument, NULL, O_SPOOLSIZE },
		{ "metrics-file", required_argument, NULL, O_METRICS },
		{ "links-per-tenant", required_argument, NULL, O_LINKS },
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
		case O_FILEBE: a->file_backend_opt = optarg; break;
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
		case O_LINKS:
			if (parse_u32(optarg, &a->links_per_tenant)) {
				say("--links-per-tenant: '%s' is not a number", optarg);
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
	if (strcmp(a->file_backend_opt, "auto") && strcmp(a->file_backend_opt, "bpf-lsm") &&
	    strcmp(a->file_backend_opt, "fanotify") && strcmp(a->file_backend_opt, "none")) {
		say("--file-backend: '%s' is not one of auto, bpf-lsm, fanotify, none",
		    a->file_backend_opt);
		return -EINVAL;
	}
	if (a->require_file && strcmp(a->file_backend_opt, "auto") &&
	    strcmp(a->file_backend_opt, "bpf-lsm")) {
		say("--require-file-isolation and --file-backend %s contradict each other",
		    a->file_backend_opt);
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
	const char *who = "host";
	struct agent *a = ctx;
	char buf[32];
	int err;

	a->events_seen++;
	if (size >= TG_EVENT_HDR_LEN) {
		const struct tg_event *ev = data;

		if (ev->tenant <= TG_MAX_TENANTS) {
			who = tg_registry_name(&a->reg, ev->tenant, buf, sizeof(buf));
			if (ev->verdict == TG_VERDICT_DENY)
				a->denials[ev->tenant]++;
			else if (ev->verdict == TG_VERDICT_AUDIT)
				a->audits[ev->tenant]++;
		}
	}
	/* Straight to text: no json-c object for the events of a flood. */
	if (tg_event_text(data, size, &a->fmt, &text, &names)) {
		/* Lost all the same: counted and reported, never silent. */
		a->events_bad++;
		tg_delivery_malformed(&a->dlv, who);
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

/* The file operations enforced, as a JSON array. */
static struct json_object *file_ops_json(struct agent *a)
{
	const char *const *ops = tg_file_ops(a->bpf.file_backend);
	struct json_object *arr = json_object_new_array();

	for (; *ops; ops++)
		json_object_array_add(arr, json_object_new_string(*ops));
	return arr;
}

/*
 * "backends" (feature -> backend), "file_ops" (the file operations
 * enforced) and "unenforced" into o: a feature without a backend by name
 * ("file"), else "file:<op>" for each operation the file backend leaves out
 * ("file:open" too while a filesystem holding owned paths is not marked).
 * With reasons, also "<feature>_reason" for each feature not fully enforced.
 */
static void add_backends(struct agent *a, struct json_object *o, int reasons)
{
	const struct {
		const char *name;
		enum tg_backend be;
		const char *reason;
	} f[] = {
		{ "file", a->bpf.file_backend, a->bpf.file_reason },
		{ "net", a->bpf.net_backend, "" },
		{ "unix", a->bpf.unix_backend, a->bpf.unix_reason },
	};
	struct json_object *be = json_object_new_object();
	struct json_object *un = json_object_new_array();
	struct tg_fan_stats fs;
	char key[32];
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		add_field(be, f[i].name, tg_backend_name(f[i].be));
		snprintf(key, sizeof(key), "%s_reason", f[i].name);
		if (f[i].be == TG_BACKEND_NONE)
			json_object_array_add(un, json_object_new_string(f[i].name));
		else if (f[i].be != TG_BACKEND_FANOTIFY)
			continue;
		if (reasons)
			add_field(o, key, f[i].reason);
	}
	if (a->bpf.file_backend == TG_BACKEND_FANOTIFY) {
		tg_fan_stats(a->fan, &fs);
		if (fs.unmarked)
			json_object_array_add(un, json_object_new_string("file:open"));
		for (i = 0; tg_fan_unenforced[i]; i++)
			json_object_array_add(un, json_object_new_string(tg_fan_unenforced[i]));
	}
	json_object_object_add(o, "backends", be);
	json_object_object_add(o, "file_ops", file_ops_json(a));
	json_object_object_add(o, "unenforced", un);
}

/*
 * The strings of a JSON array (those starting with prefix, if not NULL),
 * joined by ", ", into buf at n; the new n.
 */
static size_t join_strings(char *buf, size_t len, size_t n,
			   struct json_object *arr, const char *prefix)
{
	size_t i;

	size_t k = 0;
	const char *v;

	for (i = 0; arr && i < json_object_array_length(arr) && n < len; i++) {
		v = json_object_get_string(json_object_array_get_idx(arr, i));
		if (prefix && strncmp(v, prefix, strlen(prefix)) != 0)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s", k++ ? ", " : "", v);
	}
	return n;
}

/*
 * "name: UNENFORCED (reason)", or "name: backend (ops)", or with unenf
 * (the parts left out) "name: backend (ops; UNENFORCED: unenf)", into buf.
 */
static void backend_text(char *buf, size_t len, const char *name,
			 enum tg_backend be, const char *reason,
			 struct json_object *ops, struct json_object *unenf)
{
	size_t n;

	if (be == TG_BACKEND_NONE) {
		snprintf(buf, len, "%s: UNENFORCED (%s)", name, reason);
		return;
	}
	n = (size_t)snprintf(buf, len, "%s: %s", name, tg_backend_name(be));
	if (ops && json_object_array_length(ops) && n < len) {
		n += (size_t)snprintf(buf + n, len - n, " (");
		n = join_strings(buf, len, n, ops, NULL);
		if (unenf && json_object_array_length(unenf) && n < len) {
			n += (size_t)snprintf(buf + n, len - n, "; UNENFORCED: ");
			n = join_strings(buf, len, n, unenf, "file:");
		}
		if (n < len)
			snprintf(buf + n, len - n, ")");
	}
}

/* The agent event stating what is enforced and by what. */
static void emit_backends(struct agent *a, const char *op)
{
	struct json_object *o, *ops = NULL, *un = NULL;
	char file[1024], usock[360], msg[1500];

	o = tg_agent_event(&a->fmt, op, "allow", NULL);
	if (!o)
		return;
	add_backends(a, o, 0);
	json_object_object_get_ex(o, "file_ops", &ops);
	if (a->bpf.file_backend == TG_BACKEND_FANOTIFY)
		json_object_object_get_ex(o, "unenforced", &un);
	backend_text(file, sizeof(file), "file isolation", a->bpf.file_backend,
		     a->bpf.file_reason, ops, un);
	backend_text(usock, sizeof(usock),
		     "unix sockets and other tenants' sockets in use",
		     a->bpf.unix_backend, a->bpf.unix_reason, NULL, NULL);
	snprintf(msg, sizeof(msg), "%s; %s; network isolation: %s", file, usock,
		 tg_backend_name(a->bpf.net_backend));
	add_field(o, "message", msg);
	say("%s", msg);
	emit(a, o);
	a->started = 1;
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

static double now_ms(void);

/* A summary of suppressed or dropped events, if the sink has room for it. */
static int emit_rl(void *ctx, const struct tg_rl_record *r)
{
	struct agent *a = ctx;

	if (!tg_sink_has_room(a->sink))
		return -ENOBUFS;
	emit(a, tg_rl_record_json(&a->fmt, r));
	/* A suppressed denial is a denial all the same. */
	if (r->type == TG_RL_SUPPRESSED && r->tenant <= TG_MAX_TENANTS) {
		if (r->verdict == TG_VERDICT_DENY)
			a->denials[r->tenant] += r->count;
		else if (r->verdict == TG_VERDICT_AUDIT)
			a->audits[r->tenant] += r->count;
	}
	return 0;
}

/*
 * Report losses since the last report as agent events: loss is never
 * silent. The kernel's counters are read once a second, or now if force.
 */
static void report_drops(struct agent *a, int force)
{
	int err;

	tg_delivery_report(&a->dlv, &a->fmt, sink_drop, emit_cb, a);
	if (a->fan) {
		struct tg_fan_stats fs;

		tg_fan_stats(a->fan, &fs);
		if (fs.record_drops != a->fan_drops_reported &&
		    tg_sink_has_room(a->sink)) {
			emit_drop(a, fs.record_drops - a->fan_drops_reported,
				  "fanotify_queue_full",
				  "fanotify decisions came faster than they were reported");
			a->fan_drops_reported = fs.record_drops;
		}
	}
	if (!a->rl || (!force && now_ms() - a->rl_polled_ms < TG_RL_POLL_MS))
		return;
	a->rl_polled_ms = now_ms();
	err = tg_ratelimit_poll(a->rl, a->reg.next_id - 1, emit_rl, a);
	if (err && a->verbose)
		say("events: cannot read the kernel's counters: %s", strerror(-err));
}

static void emit_backends(struct agent *a, const char *op);

/* When a filesystem holding owned paths cannot be marked, or can again. */
static void report_unmarked(struct agent *a)
{
	struct tg_fan_stats fs;

	tg_fan_stats(a->fan, &fs);
	if ((int)fs.unmarked == a->fan_unmarked)
		return;
	a->fan_unmarked = (int)fs.unmarked;
	if (a->started)
		emit_backends(a, "backends");
}

/* One cgroup below the tenants cgroup newly left pending: told, once. */
static void report_unreg(void *ctx, const struct tg_unreg *u)
{
	struct agent *a = ctx;
	struct json_object *o;
	char msg[PATH_MAX + 256];

	tg_unreg_text(u, msg, sizeof(msg));
	say("%s", msg);
	o = tg_agent_event(&a->fmt, "pending", "deny", msg);
	if (o) {
		add_field(o, "cgroup", u->cgroup);
		add_field(o, "reason", tg_unreg_reason_name(u->reason));
	}
	emit(a, o);
}

/* Tell what the last apply left pending that was not told before. */
static void report_pending(struct agent *a)
{
	const struct tg_pending *now = &a->reg.pending;
	char msg[160];

	tg_pending_news(&a->reported, now, report_unreg, a);
	if (now->more > a->reported.more) {
		snprintf(msg, sizeof(msg),
			 "%zu more cgroups below the tenants cgroup are no tenant (not listed); their processes are pending",
			 now->more);
		say("%s", msg);
		emit(a, tg_agent_event(&a->fmt, "pending", "deny", msg));
	}
	if (tg_pending_copy_list(&a->reported, now))
		say("pending cgroups: out of memory; they may be reported again");
}

/* The registry into the kernel: fanotify's and the BPF programs' maps. */
static int apply_maps(struct agent *a, struct tg_apply_stats *st)
{
	int err = 0;

	/* Hard links are looked for again when the owned roots change. */
	if (a->fan)
		err = tg_fan_apply(a->fan, &a->reg, 0);
	return err ?: tg_bpf_apply(&a->bpf, &a->reg, st);
}

/* Bring the kernel in line with a->policy and the cgroups that exist now. */
static int apply(struct agent *a)
{
	struct tg_apply_stats st;
	int err, rl_err;

	err = tg_registry_apply(&a->reg, &a->policy, a->cgroup_root,
				a->builtin ? a->paths_root : NULL);
	if (!err)
		err = apply_maps(a, &st);
	/* A zero-config tenant on another's cgroup or path stays pending. */
	if (err == -EEXIST && tg_registry_resolve_conflicts(&a->reg) > 0)
		err = apply_maps(a, &st);
	if (!err)
		report_pending(a);
	if (!err && tg_links_stats_differ(&a->bpf.links.st, &a->links_told)) {
		emit(a, tg_links_event(&a->bpf.links, &a->fmt));
		a->links_told = a->bpf.links.st;
	}
	if (!err) {
		a->last_changes = st.changes;
		a->resports_err = tg_resports_apply(&a->resports, &a->reg);
		if (a->resports_err)
			say("reserved ports: cannot update %s: %s (ports the kernel picks may fall in reserved ranges)",
			    a->resports.path, strerror(-a->resports_err));
	}
	/* Limits are not isolation: a failure to set them is only told. */
	if (!err && a->rl && (rl_err = tg_ratelimit_apply(a->rl, &a->reg, &a->policy)))
		say("events: cannot set rate limits: %s", strerror(-rl_err));
	if (!err && a->fan)
		report_unmarked(a);
	if (err == -EEXIST)
		say("policy: two tenants resolve to the same cgroup or directory");
	else if (err)
		say("policy: cannot apply: %s", strerror(-err));
	return err;
}

/*
 * Apply again for the cgroups that exist now. While that fails, new
 * cgroups below the tenants cgroup stay pending: told once per error.
 */
static int rescan(struct agent *a)
{
	int err = apply(a);
	char msg[200];

	if (err && err != a->rescan_err) {
		snprintf(msg, sizeof(msg),
			 "cannot register the cgroups below the tenants cgroup: %s; new ones stay pending",
			 err == -EEXIST ? "two tenants resolve to the same cgroup or directory" :
					  strerror(-err));
		emit(a, tg_agent_event(&a->fmt, "pending", "deny", msg));
	}
	a->rescan_err = err;
	return err;
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
			if (a->fan)
				tg_fan_apply(a->fan, &a->reg, 0);
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

/* A tenant's event rate limit and its events not delivered, for status. */
static void add_rl_status(struct agent *a, struct json_object *t,
			  const struct tg_tenant_entry *e)
{
	const struct tg_rate *r = tg_policy_tenant_rate(&a->policy, e->defined ?
				  tg_policy_find(&a->policy, e->name) : NULL);

	json_object_object_add(t, "event_rate", r->rate ?
			       json_object_new_int64(r->rate) :
			       json_object_new_string("unlimited"));
	json_object_object_add(t, "event_burst", json_object_new_int64(r->burst));
	json_object_object_add(t, "events_suppressed", json_object_new_int64(
		(int64_t)tg_ratelimit_suppressed(a->rl, e->id)));
	json_object_object_add(t, "events_dropped", json_object_new_int64(
		(int64_t)tg_ratelimit_dropped(a->rl, e->id)));
}

/* Events reported as suppressed so far, every tenant. */
static __u64 suppressed_total(struct agent *a)
{
	__u64 n = 0;
	__u32 id;

	for (id = 0; id < a->reg.next_id && id < TG_TENANT_PENDING; id++)
		n += tg_ratelimit_suppressed(a->rl, id);
	return n + tg_ratelimit_suppressed(a->rl, TG_TENANT_PENDING);
}

static struct json_object *fan_status_json(struct tg_fan *f)
{
	struct json_object *o = json_object_new_object();
	struct tg_fan_stats s;

	tg_fan_stats(f, &s);
	json_object_object_add(o, "filesystems", tg_fan_filesystems_json(f));
	json_object_object_add(o, "answered", json_object_new_int64((int64_t)s.answered));
	json_object_object_add(o, "denied", json_object_new_int64((int64_t)s.denied));
	json_object_object_add(o, "audited", json_object_new_int64((int64_t)s.audited));
	json_object_object_add(o, "undecidable", json_object_new_int64((int64_t)s.failed));
	json_object_object_add(o, "ignore_marks", json_object_new_int64((int64_t)s.ignore_marks));
	json_object_object_add(o, "cache_hits", json_object_new_int64((int64_t)s.cache_hits));
	json_object_object_add(o, "cache_misses", json_object_new_int64((int64_t)s.cache_misses));
	return o;
}

/* The pending actor: where, its mode, its denials, the cgroups left so. */
static struct json_object *pending_json(struct agent *a)
{
	const struct tg_pending *p = &a->reg.pending;
	struct json_object *o = json_object_new_object(), *arr, *u;
	char msg[PATH_MAX + 256];
	size_t i;

	add_field(o, "name", "(pending)");
	add_field(o, "cgroup", p->cgroup);
	json_object_object_add(o, "present", json_object_new_boolean(p->cgroup_id != 0));
	add_field(o, "mode", mode_name(p->flags));
	json_object_object_add(o, "denials", json_object_new_int64(
		(int64_t)a->denials[TG_TENANT_PENDING]));
	json_object_object_add(o, "audits", json_object_new_int64(
		(int64_t)a->audits[TG_TENANT_PENDING]));
	json_object_object_add(o, "events_suppressed", json_object_new_int64(
		(int64_t)tg_ratelimit_suppressed(a->rl, TG_TENANT_PENDING)));
	json_object_object_add(o, "events_dropped", json_object_new_int64(
		(int64_t)tg_ratelimit_dropped(a->rl, TG_TENANT_PENDING)));
	arr = json_object_new_array();
	for (i = 0; i < p->n; i++) {
		u = json_object_new_object();
		add_field(u, "cgroup", p->v[i].cgroup);
		add_field(u, "reason", tg_unreg_reason_name(p->v[i].reason));
		tg_unreg_text(&p->v[i], msg, sizeof(msg));
		add_field(u, "message", msg);
		json_object_array_add(arr, u);
	}
	json_object_object_add(o, "unregistered", arr);
	json_object_object_add(o, "unregistered_more", json_object_new_int64((int64_t)p->more));
	return o;
}

static struct json_object *status_json(struct agent *a)
{
	struct json_object *o = json_object_new_object(), *ts, *t, *ps;
	struct tg_sink_stats ss;
	unsigned int j;
	size_t i;

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "policy", json_object_new_string(
		a->builtin ? "built-in" : a->policy.source));
	json_object_object_add(o, "generation", json_object_new_int64(a->bpf.gen));
	json_object_object_add(o, "mode", json_object_new_string(
		a->policy.mode == TG_MODE_AUDIT ? "audit" : "enforce"));
	add_backends(a, o, 1);
	if (a->fan)
		json_object_object_add(o, "fanotify", fan_status_json(a->fan));
	ts = json_object_new_array();
	for (i = 0; i < a->reg.n; i++) {
		const struct tg_tenant_entry *e = &a->reg.v[i];

		if (!tg_tenant_in_force(e))
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
		add_rl_status(a, t, e);
		json_object_array_add(ts, t);
	}
	json_object_object_add(o, "tenants", ts);
	json_object_object_add(o, "pending", pending_json(a));
	tg_sink_stats(a->sink, &ss);
	t = json_object_new_object();
	json_object_object_add(t, "kernel_events", json_object_new_int64((int64_t)a->events_seen));
	json_object_object_add(t, "kernel_drops",
			       json_object_new_int64((int64_t)tg_bpf_event_drops(&a->bpf)));
	json_object_object_add(t, "kernel_suppressed",
			       json_object_new_int64((int64_t)suppressed_total(a)));
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
	t = json_object_new_object();
	json_object_object_add(t, "local_addresses",
			       json_object_new_int64(tg_netlink_count(a->nl)));
	json_object_object_add(t, "reserved_ports_added",
			       json_object_new_int64(a->resports.n_mine));
	json_object_object_add(t, "reserved_ports_error", json_object_new_string(
		a->resports_err ? strerror(-a->resports_err) : ""));
	json_object_object_add(t, "seeded_sockets", json_object_new_int64(a->seed.sockets));
	json_object_object_add(t, "seeded_ports", json_object_new_int64(a->seed.ports));
	json_object_object_add(t, "seed_conflicts", json_object_new_int64(a->seed.conflicts));
	json_object_object_add(o, "net", t);
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
	if (mkdir(a->tenants_dir, 0755) == 0) {
		/* A new tenants cgroup (reload): pending below it from now. */
		if (a->started)
			apply(a);
	} else if (errno != EEXIST) {
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
	struct pollfd p[8];
	double next_metrics = 0;
	int n, err;

	for (;;) {
		p[0] = (struct pollfd){ .fd = ring_buffer__epoll_fd(a->bpf.rb),
					.events = POLLIN };
		p[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		p[2] = (struct pollfd){ .fd = *ifd, .events = POLLIN };
		p[3] = (struct pollfd){ .fd = tg_sink_fd(a->sink), .events = POLLIN };
		p[4] = (struct pollfd){ .fd = cfd, .events = POLLIN };
		p[5] = (struct pollfd){ .fd = tg_notify_fd(a->notify), .events = POLLIN };
		p[6] = (struct pollfd){ .fd = tg_netlink_fd(a->nl), .events = POLLIN };
		p[7] = (struct pollfd){ .fd = a->fan ? tg_fan_fd(a->fan) : -1,
					.events = POLLIN };
		n = poll(p, 8, 1000);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (p[0].revents)
			ring_buffer__consume(a->bpf.rb);
		if (p[5].revents)
			tg_notify_process(a->notify, on_seccomp_denial, a);
		if (p[6].revents) {
			err = tg_netlink_process(a->nl);
			if (err)
				say("local addresses: %s", strerror(-err));
		}
		if (p[7].revents)
			tg_fan_drain(a->fan, on_event, a);
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
		report_drops(a, 0);
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

/* Without BPF LSM: the fanotify backend, unless told otherwise. */
static int start_fanotify(struct agent *a)
{
	char why[256];
	size_t n;

	if (a->bpf.file_backend != TG_BACKEND_NONE || !strcmp(a->file_backend_opt, "none"))
		return 0;
	a->fan = tg_fan_new(a->cgroup_root, why, sizeof(why));
	if (a->fan) {
		a->bpf.file_backend = TG_BACKEND_FANOTIFY;
		return 0;
	}
	if (!strcmp(a->file_backend_opt, "fanotify")) {
		say("--file-backend fanotify: %s", why);
		return -EOPNOTSUPP;
	}
	n = strlen(a->bpf.file_reason);
	snprintf(a->bpf.file_reason + n, sizeof(a->bpf.file_reason) - n, "; %s", why);
	return 0;
}

/* Stop answering opens (the kernel allows what is pending), report the rest. */
static void stop_fanotify(struct agent *a)
{
	if (!a->fan)
		return;
	tg_fan_drain(a->fan, on_event, a);
	tg_fan_free(a->fan);
	a->fan = NULL;
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
		.file_backend_opt = "auto",
		.spool_dir = "/var/lib/tenantguard/spool",
		.spool_size = 512ULL << 20,
		.links_per_tenant = TG_LINKS_PER_TENANT,
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
	tg_pending_init(&a.reported);
	tg_resports_init(&a.resports, "/proc/sys/net/ipv4/ip_local_reserved_ports");
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
	bo.host_netns = tg_netns_cookie();
	if (!bo.host_netns) {
		say("cannot read this network namespace's cookie (SO_NETNS_COOKIE)");
		err = 1;
		goto out_free_sink;
	}
	bo.attach_cgroup = a.attach_cgroup_opt ?: a.cgroup_root;
	bo.ringbuf_size = a.ringbuf_size;
	bo.on_event = on_event;
	bo.ctx = &a;
	if (!strcmp(a.file_backend_opt, "fanotify") || !strcmp(a.file_backend_opt, "none"))
		bo.no_file_lsm = "BPF LSM not tried (--file-backend)";
	if (tg_bpf_start(&a.bpf, &bo, errbuf, sizeof(errbuf))) {
		say("bpf: %s", errbuf);
		err = 1;
		goto out_free_sink;
	}
	a.bpf.links.max_per_tenant = a.links_per_tenant;
	a.rl = tg_ratelimit_new(tg_bpf_map_fd(&a.bpf, "event_limits"),
				tg_bpf_map_fd(&a.bpf, "event_gates"),
				tg_bpf_map_fd(&a.bpf, "tenant_counts"),
				tg_bpf_map_fd(&a.bpf, "suppressed"));
	if (!a.rl) {
		say("events: %s", strerror(errno));
		err = 1;
		goto out_stop_bpf;
	}
	if ((a.require_file || !strcmp(a.file_backend_opt, "bpf-lsm")) &&
	    a.bpf.file_backend != TG_BACKEND_BPF_LSM) {
		say("full file isolation (BPF LSM) unavailable and %s given: %s; "
		    "the fanotify backend would enforce opens only (--file-backend fanotify accepts that)",
		    a.require_file ? "--require-file-isolation" : "--file-backend bpf-lsm",
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
	if (start_fanotify(&a)) {
		err = 1;
		goto out_stop_bpf;
	}
	a.nl = tg_netlink_open(tg_bpf_local_addrs_fd(&a.bpf),
			       tg_bpf_net_epoch_fd(&a.bpf));
	if (!a.nl) {
		say("local addresses from rtnetlink: %s", strerror(errno));
		err = 1;
		goto out_stop_bpf;
	}
	if (prepare_tenants_dir(&a, &ifd) || apply(&a) ||
	    prepare_tenants_dir(&a, &ifd)) {
		err = 1;
		goto out_close_ifd;
	}
	err = tg_seed_sockets(&a.bpf, "/proc", "/run/netns", &a.seed);
	if (err) {
		say("sockets open before start: %s", strerror(-err));
		err = 1;
		goto out_close_ifd;
	}
	say("sockets open before start: %u of tenants found in %u network namespace(s), %u port(s) held%s%s",
	    a.seed.sockets, a.seed.netns, a.seed.ports,
	    a.seed.conflicts ? "; conflict: " : "", a.seed.conflict);
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
	report_drops(&a, 1);
	stop_fanotify(&a);
	tg_notify_process(a.notify, on_seccomp_denial, &a);
	if (a.metrics_file)
		write_metrics(&a);
	close(cfd);
	unlink(a.control_socket);
out_close_ifd:
	close(ifd);
	tg_resports_restore(&a.resports);
	tg_netlink_free(a.nl);
out_stop_bpf:
	stop_fanotify(&a);
	tg_bpf_stop(&a.bpf);
	tg_ratelimit_free(a.rl);
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
	tg_pending_free(&a.reported);
	tg_policy_free(&a.policy);
	return err;
}
