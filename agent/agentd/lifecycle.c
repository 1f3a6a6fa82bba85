// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's start and stop: the policy checked before anything is
 * loaded, the event path (sink, spool, delivery), the kernel side (BPF
 * programs, rate limits, the file backend), the tenants registered, the
 * control socket; and back again, whatever the start got to.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "agentd/agent.h"
#include "agentd/fanotify.h"
#include "agentd/local_routes.h"
#include "agentd/ratelimit.h"
#include "agentd/sink.h"
#include "agentd/spool.h"
#include "common/cgroupfs.h"
#include "common/clock.h"
#include "common/control.h"
#include "common/log.h"
#include "common/procfs.h"
#include "seccomp/notify.h"
#include "tenantguard/map_abi.h"

#define TG_SINK_QUEUE 65536 /* events held for the collector */

static int setup_paths(struct agent *a)
{
	int err;

	if (a->opt.cgroup_root) {
		snprintf(a->cgroup_root, sizeof(a->cgroup_root), "%s",
			 a->opt.cgroup_root);
	} else {
		err = tg_cgroup2_find("/proc/self/mountinfo", a->cgroup_root,
				      sizeof(a->cgroup_root));
		if (err)
			return tg_err(
				err,
				"no cgroup v2 mount found in /proc/self/mountinfo: %s",
				strerror(-err));
	}
	if (a->opt.host)
		snprintf(a->host, sizeof(a->host), "%s", a->opt.host);
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

/* Without BPF LSM: the fanotify backend, unless told otherwise. */
static int start_fanotify(struct agent *a)
{
	char why[256];
	size_t n;

	if (a->bpf.file_backend != TG_BACKEND_NONE ||
	    !strcmp(a->opt.file_backend, "none"))
		return 0;
	a->fan = tg_fan_new(a->cgroup_root, a->rl, why, sizeof(why));
	if (a->fan) {
		tg_fan_set_limits(a->fan, a->opt.fan_decision_ms,
				  a->opt.fan_link_scan_max);
		a->bpf.file_backend = TG_BACKEND_FANOTIFY;
		return 0;
	}
	if (!strcmp(a->opt.file_backend, "fanotify"))
		return tg_err(-EOPNOTSUPP, "--file-backend fanotify: %s", why);
	n = strlen(a->bpf.file_reason);
	snprintf(a->bpf.file_reason + n, sizeof(a->bpf.file_reason) - n, "; %s",
		 why);
	return 0;
}

/* Stop answering opens (the kernel allows what is pending), report the rest. */
static void stop_fanotify(struct agent *a)
{
	if (!a->fan)
		return;
	tg_fan_drain(a->fan, agent_on_event, a);
	tg_fan_free(a->fan);
	a->fan = NULL;
}

/* Events each tenant's rate limit held back, by name (nonzero only). */
static void suppressed_counts(struct agent *a, struct tg_counts *c)
{
	char buf[32];
	__u64 n;
	__u32 id;

	if (!a->rl)
		return;
	for (id = 0; id < a->reg.next_id && id < TG_TENANT_PENDING; id++) {
		n = tg_ratelimit_suppressed(a->rl, id);
		if (n)
			tg_counts_add(
				c,
				tg_registry_name(&a->reg, id, buf, sizeof(buf)),
				n);
	}
	n = tg_ratelimit_suppressed(a->rl, TG_TENANT_PENDING);
	if (n)
		tg_counts_add(c,
			      tg_registry_name(&a->reg, TG_TENANT_PENDING, buf,
					       sizeof(buf)),
			      n);
}

void agent_write_metrics(struct agent *a)
{
	struct json_object *o =
		agent_backends_json(a, json_object_new_object(), 0);
	struct json_object *un = NULL;
	struct tg_backend_state be[5];
	const char **unenforced = NULL;
	struct tg_counts supp;
	int prev = a->dlv.metrics_err;
	size_t i, n = 0;
	int err;

	tg_counts_init(&supp);
	suppressed_counts(a, &supp);
	if (json_object_object_get_ex(o, "unenforced", &un))
		n = json_object_array_length(un);
	unenforced = calloc(n + 1, sizeof(*unenforced));
	for (i = 0; unenforced && i < n; i++)
		unenforced[i] = json_object_get_string(
			json_object_array_get_idx(un, i));
	err = tg_delivery_write_metrics(
		&a->dlv, &(struct tg_delivery_extra){
				 .kernel_drops = tg_bpf_event_drops(&a->bpf),
				 .reloads_ok = a->reloads_ok,
				 .reloads_failed = a->reloads_failed,
				 .control_cut = a->ctl.cut,
				 .admin_held = a->admin_rl.held_total,
				 .admin_held_evicted = a->admin_rl.held_evicted,
				 .admin_dropped = a->admin_dropped,
				 .runs_refused = a->runs_refused,
				 .streams_refused = a->streams_refused,
				 .backends = be,
				 .nbackends = agent_backend_states(a, o, be),
				 .unenforced = unenforced,
				 .suppressed = &supp});
	free(unenforced);
	tg_counts_free(&supp);
	json_object_put(o);
	if (err && err != prev)
		tg_info("metrics file %s: %s", a->opt.metrics_file,
			strerror(-err));
}

/* The kernel side: programs, maps, rate limits, the file backend. */
static int start_kernel(struct agent *a)
{
	struct tg_bpf_opts bo = {};
	char why[512];
	int err;

	bo.host_netns = tg_netns_cookie();
	if (!bo.host_netns)
		return tg_err(
			-EIO,
			"cannot read this network namespace's cookie (SO_NETNS_COOKIE)");
	bo.attach_cgroup = a->opt.attach_cgroup ?: a->cgroup_root;
	bo.ringbuf_size = a->opt.ringbuf_size;
	bo.on_event = agent_on_event;
	bo.ctx = a;
	bo.pins = &a->pins;
	if (!strcmp(a->opt.file_backend, "fanotify") ||
	    !strcmp(a->opt.file_backend, "none"))
		bo.no_file_lsm = "BPF LSM not tried (--file-backend)";
	err = tg_bpf_start(&a->bpf, &bo, why, sizeof(why));
	if (err)
		return tg_err(err, "bpf: %s", why);
	agent_pins_started(a);
	a->bpf.links.max_per_tenant = a->opt.links_per_tenant;
	a->bpf.rl_maps.reported_counts_fd = a->pins.am_fd[TG_AM_RL_COUNTS];
	a->bpf.rl_maps.reported_supp_fd = a->pins.am_fd[TG_AM_RL_SUPP];
	a->bpf.rl_maps.since_ns = a->pins.prev.heartbeat_real_ns;
	a->rl = tg_ratelimit_new(&a->bpf.rl_maps);
	if (!a->rl)
		return tg_err(-errno, "events: %s", strerror(errno));
	if ((a->opt.require_file || !strcmp(a->opt.file_backend, "bpf-lsm")) &&
	    a->bpf.file_backend != TG_BACKEND_BPF_LSM)
		return tg_err(
			-EOPNOTSUPP,
			"full file isolation (BPF LSM) unavailable and %s given: %s; "
			"the fanotify backend would enforce opens only (--file-backend fanotify accepts that)",
			a->opt.require_file ? "--require-file-isolation"
					    : "--file-backend bpf-lsm",
			a->bpf.file_reason);
	return start_fanotify(a);
}

/*
 * What tenants may not touch: the pin directory, the event log and its
 * directory, the spool, the policy file and its drop-ins. A path that does
 * not exist (yet) is counted; reloads look again.
 */
void agent_guard_paths(struct agent *a)
{
	char logdir[PATH_MAX], *slash;
	const struct tg_guard_path p[] = {
		{a->opt.pin_dir, TG_GUARD_DIRECTORY},
		{a->opt.event_log, TG_GUARD_OBJECT},
		{logdir, TG_GUARD_DIRECTORY},
		{a->opt.spool_size ? a->opt.spool_dir : NULL,
		 TG_GUARD_DIRECTORY},
		{a->builtin ? NULL : a->opt.policy_file, TG_GUARD_OBJECT},
		{a->opt.policy_dir, TG_GUARD_DIRECTORY},
		/* No support actor injects events into the collector. */
		{a->opt.event_socket, TG_GUARD_DELEGATE},
	};
	struct tg_guard_path
		all[sizeof(p) / sizeof(p[0]) + 16 + TG_SUPPORT_DELEGATION_MAX];
	size_t n = 0, i;
	int err;

	/* The log's directory: "" for a log named without one. */
	snprintf(logdir, sizeof(logdir), "%s", a->opt.event_log);
	slash = strrchr(logdir, '/');
	if (slash && slash != logdir)
		*slash = '\0';
	else
		logdir[0] = '\0';
	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		all[n++] = p[i];
	for (i = 0; tg_guard_delegation[i].path && i < 16; i++)
		all[n++] = tg_guard_delegation[i];
	for (i = 0; i < a->policy.n_support_delegation; i++)
		all[n++] = (struct tg_guard_path){
			a->policy.support_delegation[i], TG_GUARD_DELEGATE};
	err = tg_guard_protect(&a->guard, all, n);
	if (err)
		tg_info("self-protection: cannot record the protected paths: %s",
			strerror(-err));
}

/* The agent guarded from the start, the collector once connected. */
static int start_guard(struct agent *a)
{
	int pidfd, err;

	tg_guard_init(&a->guard, tg_bpf_guard_fd(&a->bpf, "guarded_procs"),
		      tg_bpf_guard_fd(&a->bpf, "guarded_inodes"));
	if (!tg_guard_loaded(&a->guard))
		return 0;
	pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	err = tg_guard_process(&a->guard, getpid(), pidfd);
	if (pidfd >= 0)
		close(pidfd);
	if (err)
		return tg_err(err,
			      "self-protection: cannot guard the agent: %s",
			      strerror(-err));
	return 0;
}

void agent_guard_collector(struct agent *a)
{
	int fd = tg_sink_fd(a->sink), err;

	if (fd < 0 || !tg_guard_loaded(&a->guard))
		return;
	/* A collector started anew listens on a new socket inode. */
	agent_guard_paths(a);
	err = tg_guard_peer(&a->guard, fd);
	if (err && err != a->guard.peer_err)
		tg_info("self-protection: cannot guard the collector: %s",
			strerror(-err));
	a->guard.peer_err = err;
}

/* The uid the collector's listener must have, (uid_t)-1 if unknown. */
static uid_t collector_uid(const struct agent *a)
{
	return a->opt.collector_known ? a->opt.collector.uid : (uid_t)-1;
}

/*
 * The collector's listener, its uid right, must also be the host's: never
 * a process of a tenant or of the pending actor, whatever its uid, nor one
 * whose cgroup cannot be read.
 */
static int judge_collector(void *ctx, const struct tg_peer *p, char *why,
			   size_t len)
{
	struct agent *a = ctx;
	char nb[32];
	__u32 id;
	int err = agent_peer_actor(a, p, &id);

	if (err)
		snprintf(why, len, "its cgroup cannot be read: %s",
			 err == -ENAMETOOLONG ? "path too long" : p->why);
	else if (id == TG_TENANT_PENDING)
		snprintf(why, len,
			 "it runs below the tenants cgroup, in no tenant (%s)",
			 p->cgroup);
	else if (id != TG_TENANT_HOST)
		snprintf(why, len, "it runs in tenant %s's cgroup (%s)",
			 tg_registry_name(&a->reg, id, nb, sizeof(nb)),
			 p->cgroup);
	else
		return 0;
	return -EPERM;
}

/* Say at start whom the event socket is trusted to, when it is unusual. */
static void collector_trust(const struct agent *a)
{
	if (!a->opt.collector_known)
		tg_warn("--collector-user: no user '%s' on this host: every "
			"listener on %s is refused and events wait in the "
			"spool; create that user for the collector, or name "
			"the collector's user with --collector-user, and "
			"restart the agent",
			a->opt.collector_user, a->opt.event_socket);
	else if (a->opt.collector.uid == 0)
		tg_warn("--collector-user %s: the collector runs as root, so "
			"any root process listening on %s is taken for it; "
			"run the collector as a user of its own",
			a->opt.collector_user, a->opt.event_socket);
}

/* The spool of events the collector has not acknowledged, if one is set. */
static int open_spool(struct agent *a)
{
	struct tg_spool_info si;
	struct tg_spool *spool;

	if (!a->opt.spool_size)
		return 0;
	spool = tg_spool_open(a->opt.spool_dir, a->opt.spool_size, 0, &si);
	if (!spool && si.why[0])
		return tg_err(-errno, "spool %s: refused: %s", a->opt.spool_dir,
			      si.why);
	if (!spool)
		return tg_err(-errno, "spool %s: %s", a->opt.spool_dir,
			      errno == EBUSY ? "in use by another agent"
					     : strerror(errno));
	tg_sink_set_spool(a->sink, spool);
	/* A killed agent loses no event it took from the kernel. */
	tg_sink_spool_all(a->sink, 1);
	if (si.torn)
		tg_info("spool %s: cut %u damaged record(s) (%llu bytes) left by a crash",
			a->opt.spool_dir, si.torn,
			(unsigned long long)si.torn_bytes);
	if (si.records)
		tg_info("spool %s: %llu event(s) of earlier runs to deliver",
			a->opt.spool_dir, (unsigned long long)si.records);
	return 0;
}

/*
 * The state directory, once the kernel's side is known to work; a policy
 * that leaves out a retired tenant stops the start.
 */
static int open_state(struct agent *a)
{
	struct tg_diag d = {};
	unsigned int i;
	int err = agent_state_open(a);

	if (!err)
		err = agent_approvers_load(a);
	if (!err && (agent_retired_check(a, &a->policy, &d) |
		     agent_approvers_check(a, &a->policy, &d))) {
		for (i = 0; i < d.n; i++)
			tg_info("%s", d.msgs[i]);
		err = tg_err(-EINVAL, "policy rejected: not starting");
	}
	tg_diag_free(&d);
	return err;
}

/* The policy in force, the tenants registered, the sockets of before. */
static int start_enforcing(struct agent *a)
{
	int err;

	a->nl = tg_local_routes_open(tg_bpf_local_routes_fd(&a->bpf),
				     tg_bpf_net_epoch_fd(&a->bpf),
				     a->opt.local_routes_max);
	if (!a->nl)
		return tg_err(-errno, "local routing table from rtnetlink: %s",
			      strerror(errno));
	err = agent_prepare_tenants_dir(a);
	if (!err)
		err = agent_apply(a);
	if (!err)
		err = agent_prepare_tenants_dir(a);
	if (err)
		return err;
	err = tg_seed_sockets(&a->bpf, "/proc", "/run/netns", &a->seed);
	if (err)
		return tg_err(err, "sockets open before start: %s",
			      strerror(-err));
	tg_info("sockets open before start: %u of tenants found in %u network namespace(s), %u port(s) held%s%s",
		a->seed.sockets, a->seed.netns, a->seed.ports,
		a->seed.conflicts ? "; conflict: " : "", a->seed.conflict);
	return 0;
}

int agent_start(struct agent *a)
{
	struct tg_diag d = {};
	unsigned int i;
	int err;

	a->signal_fd = a->inotify_fd = a->control_fd = a->state_fd = -1;
	a->guard.procs_fd = a->guard.inodes_fd = -1;
	a->bpf.cgroup_fd = -1;
	tg_registry_init(&a->reg);
	tg_pending_init(&a->reported);
	tg_pending_init(&a->reported_unowned);
	tg_resports_init(&a->resports,
			 "/proc/sys/net/ipv4/ip_local_reserved_ports");
	a->builtin = strcmp(a->opt.policy_file, "builtin") == 0 ||
		     (!a->opt.policy_explicit &&
		      access(a->opt.policy_file, F_OK) != 0);
	/* A bad policy stops the start here, before anything is loaded. */
	err = agent_load_policy(a, &a->policy, &d);
	if (err) {
		for (i = 0; i < d.n; i++)
			tg_info("%s", d.msgs[i]);
		tg_diag_free(&d);
		return tg_err(err, "policy rejected: not starting");
	}
	for (i = 0; i < a->policy.warnings.n; i++)
		tg_info("warning: %s", a->policy.warnings.msgs[i]);
	err = setup_paths(a);
	if (err)
		return err;
	a->fmt.reg = &a->reg;
	a->fmt.host = a->host;
	a->fmt.boot_to_real_ns = tg_boot_to_real_ns();
	a->fmt.cgroup_root = a->cgroup_root;
	a->signal_fd = open_signalfd();
	if (a->signal_fd < 0)
		return tg_err(-errno, "signalfd: %s", strerror(errno));
	collector_trust(a);
	a->sink = tg_sink_new(a->opt.event_socket, TG_SINK_QUEUE,
			      collector_uid(a));
	if (!a->sink)
		return tg_err(-errno, "collector socket %s: %s",
			      a->opt.event_socket, strerror(errno));
	tg_sink_set_judge(a->sink, judge_collector, a);
	if (tg_delivery_init(&a->dlv, a->sink, a->opt.metrics_file))
		return tg_err(-ENOMEM, "events: out of memory");
	/* Records of looking and refused requests: 10 a second per uid. */
	tg_buckets_init(&a->admin_rl, 10, 50);
	tg_slots_init(&a->runs, AGENT_RUNS_PER_UID, AGENT_RUNS_MAX);
	tg_slots_init(&a->streams, AGENT_STREAMS_PER_UID, AGENT_STREAMS_MAX);
	a->notify = tg_notify_new();
	if (!a->notify)
		return tg_err(-errno, "seccomp listeners: %s", strerror(errno));
	err = agent_pins_open(a);
	if (!err)
		err = start_kernel(a);
	/* The host key and the retired tenants, which the policy must keep. */
	if (!err)
		err = open_state(a);
	if (!err)
		err = start_guard(a);
	if (!err)
		err = agent_restore_tenants(a);
	if (!err) {
		agent_restore_ports(a);
		err = open_spool(a);
	}
	if (!err)
		agent_guard_paths(a);
	if (!err)
		err = start_enforcing(a);
	if (err)
		return err;
	make_parent_dir(a->opt.control_socket);
	a->control_fd =
		tg_control_listen(a->opt.control_socket, a->opt.control_gid);
	if (a->control_fd < 0)
		return tg_err(a->control_fd, "control socket %s: %s",
			      a->opt.control_socket, strerror(-a->control_fd));
	tg_control_server_init(&a->ctl, a->control_fd, agent_control, a);
	if (!a->opt.control_group_known)
		tg_warn("control socket %s: no group '%s' on this host: mode "
			"0600, root only; create the group (or name one with "
			"--control-group) and restart the agent for non-root "
			"viewers and operators",
			a->opt.control_socket, a->opt.control_group);
	agent_emit_backends(a, "start");
	/* A retired tenant's cgroup stays frozen and empty. */
	agent_retired_hold(a);
	agent_retire_from_policy(a);
	/* Grants: the replay cache, then those pinned while no agent ran. */
	agent_grants_open(a);
	agent_grants_restore(a);
	agent_approvers_enroll(a);
	agent_report_local_routes(a);
	/* What the kernel kept while no agent ran, then the record of it. */
	ring_buffer__consume(a->bpf.rb);
	agent_report_gap(a);
	tg_info("policy %s, generation %u",
		a->builtin ? "built-in" : a->policy.source, a->bpf.gen);
	tg_info("enforcing for %zu tenant(s) below %s; events to %s", a->reg.n,
		a->tenants_dir, a->opt.event_socket);
	return 0;
}

void agent_ready(struct agent *a)
{
	char status[256];
	int err;

	snprintf(status, sizeof(status),
		 "enforcing for %zu tenant(s), policy %.160s, generation %u",
		 a->reg.n, a->builtin ? "built-in" : a->policy.source,
		 a->bpf.gen);
	err = tg_service_ready(status);
	if (err)
		tg_warn("service manager: cannot notify readiness: %s",
			strerror(-err));
}

/* What is still queued: to the collector, else to the spool, else counted. */
static void flush_sink(struct agent *a)
{
	struct tg_sink_stats ss;
	size_t lost;

	if (!tg_sink_flush(a->sink, 2000))
		return;
	lost = tg_sink_save(a->sink);
	tg_sink_stats(a->sink, &ss);
	if (!ss.last_error[0])
		snprintf(ss.last_error, sizeof(ss.last_error),
			 "no acknowledgement in time");
	if (lost)
		tg_info("collector unreachable (%s): %zu event(s) lost at exit (no room in the spool)",
			ss.last_error, lost);
	else if (ss.spool_records)
		tg_info("collector unreachable (%s): %llu event(s) kept in the spool for the next run",
			ss.last_error, (unsigned long long)ss.spool_records);
}

/*
 * A first start that failed leaves nothing pinned; a set found pinned
 * stays as it was found, enforcing.
 */
static void undo_failed_start(struct agent *a)
{
	struct tg_detach_stats st;
	char dir[PATH_MAX], why[256];

	if (!a->pins.meta)
		return;
	snprintf(dir, sizeof(dir), "%s", a->pins.dir);
	tg_pins_close(&a->pins);
	if (tg_pins_detach(dir, &st, why, sizeof(why)))
		tg_info("%s", why);
}

/*
 * Undo agent_start, whatever it got to (every part checks its own state).
 * clean: the agent served and stops on request, so the last events are
 * read, reported and followed by a "stop" event.
 */
void agent_stop(struct agent *a, int clean)
{
	if (clean && a->bpf.rb) {
		/* Every event made so far in, so the last counts cover them. */
		ring_buffer__consume(a->bpf.rb);
		if (a->notify)
			tg_notify_process(a->notify, agent_on_seccomp_denial,
					  a);
		if (a->fan)
			tg_fan_drain(a->fan, agent_on_event, a);
		agent_report_drops(a, 1);
	}
	stop_fanotify(a);
	if (a->notify && clean)
		tg_notify_process(a->notify, agent_on_seccomp_denial, a);
	if (clean && a->opt.metrics_file)
		agent_write_metrics(a);
	if (a->control_fd >= 0) {
		tg_control_server_close(&a->ctl);
		close(a->control_fd);
		unlink(a->opt.control_socket);
	}
	if (a->inotify_fd >= 0)
		close(a->inotify_fd);
	/* The ports stay reserved: the programs still enforce them. */
	tg_local_routes_free(a->nl);
	if (a->pins.meta && (a->started || a->pins.found))
		agent_pins_stop(a, a->started);
	tg_bpf_stop(&a->bpf);
	undo_failed_start(a);
	tg_guard_free(&a->guard);
	tg_ratelimit_free(a->rl);
	if (a->sink) {
		if (clean)
			agent_emit(a, tg_agent_event(&a->fmt, "stop", "allow",
						     "agent stopped"));
		flush_sink(a);
	}
	tg_notify_free(a->notify);
	agent_grants_close(a);
	agent_approvers_free(a);
	agent_state_close(a);
	tg_sink_free(a->sink);
	tg_delivery_free(&a->dlv);
	if (a->signal_fd >= 0)
		close(a->signal_fd);
	tg_registry_free(&a->reg);
	tg_root_paths_free(&a->roots);
	tg_pending_free(&a->reported);
	tg_pending_free(&a->reported_unowned);
	tg_confirm_free(&a->confirm);
	agent_reap_runs(a, 1);
	tg_policy_free(&a->policy);
}

/* Who runs --detach: this process, asked from its parent. */
static void detach_by_self(struct agent_by *by)
{
	memset(by, 0, sizeof(*by));
	by->uid = getuid();
	by->loginuid = tg_proc_loginuid(0);
	by->pid = getppid();
	tg_proc_comm(by->pid, by->comm, sizeof(by->comm));
}

/*
 * --detach, or detach asked over the control socket (the agent stopped
 * first): remove every pin of --pin-dir, with it every check, and leave a
 * record of who did it with the collector (or in the spool).
 */
int agent_detach(struct agent *a, const struct agent_by *asked)
{
	const struct agent_by *by = asked;
	char why[512], msg[1024], hex[65];
	struct tg_detach_stats st;
	struct agent_by self;
	struct json_object *o;
	int err;

	if (!by) {
		detach_by_self(&self);
		by = &self;
	}
	tg_registry_init(&a->reg);
	err = setup_paths(a);
	if (err)
		return err;
	err = tg_pins_detach(a->opt.pin_dir, &st, why, sizeof(why));
	if (err)
		return tg_err(err, "--detach: %s", why);
	if (!st.found) {
		tg_info("--detach: nothing pinned in %s", a->opt.pin_dir);
		return 0;
	}
	tg_build_id_hex(st.build_id, hex);
	snprintf(
		msg, sizeof(msg),
		"enforcement removed: %u link(s) and %u map(s) unpinned from %s by uid %u (login uid %ld) %s pid %d (%s)%s%s",
		st.links, st.maps, a->opt.pin_dir, (unsigned int)by->uid,
		by->loginuid,
		asked ? "over the control socket, from" : "through",
		(int)by->pid, by->comm,
		by->confirmed_by[0] ? ", confirmed by " : "", by->confirmed_by);
	tg_info("%s", msg);
	a->fmt.reg = &a->reg;
	a->fmt.host = a->host;
	a->fmt.boot_to_real_ns = tg_boot_to_real_ns();
	a->sink = tg_sink_new(a->opt.event_socket, 16, collector_uid(a));
	if (!a->sink || tg_delivery_init(&a->dlv, a->sink, NULL) ||
	    open_spool(a)) {
		tg_info("--detach: the collector was not told: %s",
			strerror(errno));
		tg_sink_free(a->sink);
		return 0;
	}
	o = tg_agent_event(&a->fmt, "detach", "allow", msg);
	if (o) {
		json_object_object_add(o, "pin_dir",
				       json_object_new_string(a->opt.pin_dir));
		json_object_object_add(o, "links",
				       json_object_new_int64(st.links));
		json_object_object_add(o, "maps",
				       json_object_new_int64(st.maps));
		json_object_object_add(o, "build", json_object_new_string(hex));
		agent_by_json(by, o);
		agent_emit(a, o);
	}
	flush_sink(a);
	tg_sink_free(a->sink);
	tg_delivery_free(&a->dlv);
	a->sink = NULL;
	return 0;
}
