/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_AGENTD_AGENT_H
#define TG_AGENTD_AGENT_H

/*
 * The agent daemon's state, shared by its parts: options.c (the command
 * line), lifecycle.c (start and stop), reconcile.c (the policy taking
 * effect), emit.c (the outgoing event stream), control_cmds.c (the control
 * socket's commands) and main.c (the poll loop).
 */
#include <limits.h>
#include <stdio.h>
#include <sys/types.h>
#include <linux/types.h>
#include "tenantguard/map_abi.h"

#include "agentd/bpf_loader.h"
#include "agentd/delivery.h"
#include "agentd/event_text.h"
#include "agentd/guard.h"
#include "agentd/hardlinks.h"
#include "agentd/service.h"
#include "agentd/reserved_ports.h"
#include "agentd/socket_seed.h"
#include "common/buckets.h"
#include "common/confirm.h"
#include "common/control.h"
#include "common/peer.h"
#include "common/privileges.h"
#include "common/replay_cache.h"
#include "common/slots.h"
#include "policy/pending.h"
#include "policy/policy.h"
#include "policy/registry.h"
#include "seccomp/notify.h"

#define TG_AGENT_PROG "tenantguard-agent"
/* The user the packages create for the collector. */
#define TG_COLLECTOR_USER_DEFAULT "tenantguard-collector"
/* The group whose members may connect to the control socket. */
#define TG_CONTROL_GROUP_DEFAULT "tenantguard"

struct json_object;
struct tg_fan;
struct tg_local_routes;
struct tg_notify;
struct tg_peer;
struct tg_view;

#define AGENT_STREAMS_MAX     16 /* event streams served at once */
#define AGENT_STREAMS_PER_UID 4	 /* of them, to one caller uid */
/* Workloads run through the agent at once: of one caller uid, in all. */
#define AGENT_RUNS_PER_UID 8
#define AGENT_RUNS_MAX	   64
struct tg_ratelimit;
struct tg_sink;

/* What the command line says; see usage() in options.c. */
struct agent_opts {
	const char *policy_file;
	const char *policy_dir;
	int policy_explicit; /* --policy given: it must load */
	const char *control_socket;
	/* The control socket's group (mode 0660), if it exists. */
	const char *control_group;
	gid_t control_gid;
	int control_group_known;    /* 0: no such group, the socket is 0600 */
	const char *tenants_cgroup; /* built-in policy */
	const char *paths_root;	    /* built-in policy */
	const char *event_socket;
	const char *cgroup_root;   /* NULL: from mountinfo */
	const char *attach_cgroup; /* NULL: the cgroup v2 root */
	const char *host;	   /* NULL: gethostname */
	__u32 ringbuf_size;
	int require_file;
	const char *file_backend; /* auto, bpf-lsm, fanotify, none */
	const char *spool_dir;	  /* unused with spool_size 0 */
	const char *state_dir;	  /* host key, retired tenants (offboard.c) */
	__u64 spool_size;
	const char *metrics_file; /* NULL: none */
	__u32 links_per_tenant;
	__u32 local_routes_max;	 /* for tests: local routes mirrored at most */
	__u32 fan_decision_ms;	 /* fanotify: a tenant's open waits at most */
	__u32 fan_link_scan_max; /* for tests: entries a link scan looks at */
	const char *pin_dir; /* where the programs and maps stay (protected) */
	int detach;	     /* --detach: remove them and exit */
	const char *event_log; /* protected (self-protection) */
	/* The user the collector runs as: only its listener is trusted. */
	const char *collector_user;
	struct tg_user collector; /* collector_user looked up */
	int collector_known;	  /* 0: no such user (the default's) */
	int verbose;
};

/*
 * Who asked for something over the control socket, for its record, and
 * who confirmed it when the two-person rule made it wait.
 */
struct agent_by {
	int asked;
	uid_t uid;
	long loginuid;
	pid_t pid;
	char comm[16];
	int confirmed; /* carried out on a second person's word */
	uid_t confirmed_uid;
	long confirmed_loginuid;
	pid_t confirmed_pid;
	char confirmed_comm[16];
	char request_id[TG_CONFIRM_ID_LEN + 1]; /* the one confirmed, or "" */
	char confirmed_by[96]; /* "uid 0 (bob, login uid 1001)", or "" */
};

/* A retired tenant, as the agent's state keeps it (offboard.c). */
struct agent_retired {
	char name[64];
	__s64 since;  /* unix seconds */
	__s64 keep_s; /* the retention, seconds */
	char *cgroup; /* its cgroup's directory */
	char **paths; /* the owned paths, still its */
	unsigned int n_paths;
	uid_t by_uid; /* who retired it */
	long by_loginuid;
	/*
	 * The host's uptime since the retirement, in seconds, counted up to
	 * boot_mark_s (CLOCK_BOOTTIME) of boot boot_id: what passed while the
	 * host was down is not counted, nor the end of a boot after the last
	 * count (the count errs short, never long).
	 */
	__s64 uptime_s, boot_mark_s;
	char boot_id[37];
	__s64 erased_at; /* unix seconds; 0 while not erased */
};

struct agent {
	struct agent_opts opt;
	int builtin;		 /* no policy file: the built-in policy */
	struct tg_policy policy; /* the policy in force */
	__u64 reloads_ok, reloads_failed;
	double last_reload_ms; /* file to enforced, last good reload */
	long last_changes;     /* map keys written by the last apply */

	char cgroup_root[PATH_MAX];
	char tenants_dir[PATH_MAX];
	char host[256];
	struct tg_registry reg;
	struct tg_bpf bpf;
	struct tg_sink *sink;
	struct tg_event_fmt fmt;
	struct tg_root_paths roots; /* owned roots' policy paths, for fmt */
	__u64 events_seen;
	__u64 admin_dropped; /* control requests' events the sink dropped */
	__u64 events_bad;
	struct tg_notify *notify; /* seccomp listeners from the launcher */
	__u64 seccomp_denials;
	struct tg_ratelimit *rl; /* rate limits, suppressed and dropped */
	__s64 rl_polled_ms;
	struct tg_local_routes *nl;  /* the local routing table, rtnetlink */
	int local_full_told;	     /* the table's state last reported */
	struct tg_resports resports; /* reserved ports in the sysctl */
	int resports_err;	     /* last error writing it, 0 if none */
	struct tg_seed_stats seed;   /* sockets found at start */
	struct tg_fan *fan;	     /* the fanotify file backend, if used */
	int fan_unmarked;	     /* filesystems not marked, last reported */
	__u64 fan_undecided_told;    /* fanotify undecidable refusals told */
	__s64 fan_undecided_ms;	     /* when last told */
	int started;		     /* the start event is out */
	__u64 collector_refusals_told; /* refused listeners reported */
	struct tg_delivery dlv;	    /* event counts, denials, drops, metrics */
	struct tg_pending reported; /* cgroups left pending, as last reported */
	struct tg_pending reported_unowned; /* paths no tenant's, as reported */
	int rescan_err; /* the last rescan's error, 0 if none */
	struct tg_links_stats links_told; /* hard links, last reported */
	struct tg_pins pins;		  /* the pin directory */
	const struct tg_peer *peer; /* the control peer being served, or NULL */
	int peer_role;		    /* its role (enum tg_role) */
	const char *peer_user;	    /* its uid's name, "" if none */
	int peer_refused; /* the command refused it (its event: deny) */
	/* Records of host callers' requests, by uid (control_cmds.c). */
	struct tg_buckets admin_rl;
	__s64 admin_rl_told_ms;
	__u64 cut_told; /* ctl.cut as last told in an event */
	__u64 runs_refused, streams_refused; /* refused: too many at once */
	/* The request being carried out on a second person's word, or NULL. */
	const struct tg_confirm_req *confirming;
	struct tg_confirm_store confirm; /* requests waiting for a second one */
	/* A confirmed reload applies the files asked about: their digest. */
	const char *reload_expect;
	struct agent_by detach_by;  /* detach asked over the control socket */
	const struct tg_view *view; /* what it may see, while served */
	int *conn;		    /* its socket, while served (control.h) */
	struct tg_slots streams;    /* processes serving events (pids) */
	struct tg_slots runs;	    /* workloads run through the agent */
	size_t ids_saved;	    /* tenant ids written to the pins */
	int ids_save_err;	    /* the last error saving one, 0 if none */
	__s64 start_boot_ns;	    /* CLOCK_BOOTTIME at the pins' opening */
	__u64 gap_kept;		    /* ring records made before that */
	struct tg_guard_maps guard; /* self-protection's maps */
	struct tg_service svc;	    /* the service manager's notifications */
	/* Descriptors of the poll loop. */
	int signal_fd, inotify_fd, control_fd;
	struct tg_control_server ctl; /* the clients of control_fd */
	/* The state directory (offboard.c): the host's signing key. */
	int state_fd;
	unsigned char host_sk[64], host_pk[32];
	char host_pub[45];	       /* host_pk in base64 */
	int host_key_created;	       /* made by this start */
	struct agent_retired *retired; /* the retired tenants */
	int retire_err; /* the last retirement's freeze and kill, 0 if done */
	unsigned int n_retired;
	/* Grants (grants.c): in force and lately ended. */
	struct agent_grant *grants;
	unsigned int n_grants, cap_grants;
	struct tg_replay_cache replay; /* activated request ids */
	int replay_ok;		       /* open: activations possible */
	/* The tenants' approver keys as enrolled (approvers.c). */
	struct agent_enrolled *enrolled;
	unsigned int n_enrolled;
};

/* approvers.c */
struct agent_enrolled {
	char tenant[64];
	struct tg_approvers ap;
	__s64 since;  /* unix seconds */
	char how[16]; /* "policy" (the first keys) or "update" */
};
int agent_approvers_load(struct agent *a);
/* Whether p's approvers are those enrolled: 0, or -EINVAL with d. */
int agent_approvers_check(struct agent *a, const struct tg_policy *p,
			  struct tg_diag *d);
void agent_approvers_enroll(struct agent *a);
void agent_approvers_free(struct agent *a);
struct json_object *agent_approvers_set(struct agent *a,
					struct json_object *req,
					struct tg_control_io *io);

/* grants.c */
#define AGENT_GRANT_SESSIONS 16 /* sessions of one grant */
struct agent_grant_session {
	char path[PATH_MAX]; /* its cgroup; "" once removed */
	__u64 cgid;
	int dead; /* killed (cgroup.kill), its entry deleted */
};
struct agent_grant {
	char id[TG_GRANT_ID_HEX + 1];
	__u8 bin_id[16];
	char tenant[64];
	__u32 tenant_id, login_uid;
	char user[33];
	__u32 ops; /* TG_GRANT_* */
	char **paths;
	unsigned int n_paths;
	struct tg_grant_scope_key scopes[TG_GRANT_MAX_PATHS];
	unsigned int n_scopes;
	__u64 from_ns, deadline_ns; /* boot-time ns */
	int ended;		    /* expired or revoked */
	__u64 ended_ns;
	int break_glass;
	const char *revoked_by_key; /* while ending: the tenant's key */
	struct agent_grant_session sessions[AGENT_GRANT_SESSIONS];
	unsigned int n_sessions;
};
int agent_grants_open(struct agent *a);
void agent_grants_close(struct agent *a);
void agent_grants_restore(struct agent *a);
void agent_grants_tick(struct agent *a);
/* ms, or less: the time until the next grant's deadline. */
int agent_grants_timeout(struct agent *a, int ms);
const char *agent_grant_of(const void *ctx, __u32 login_uid, __u32 tenant,
			   __u64 ts);
/*
 * The id of a grant in force of login_uid to tenant with every op of ops
 * (TG_GRANT_*), tenant-wide (no --path), or NULL.
 */
const char *agent_grant_allows(struct agent *a, __u32 login_uid,
			       const char *tenant, __u32 ops);
struct json_object *agent_grants_json(struct agent *a);
struct json_object *agent_grants_status(struct agent *a);
struct json_object *agent_grant_request(struct agent *a,
					struct json_object *req,
					struct tg_control_io *io);
struct json_object *agent_grant_activate(struct agent *a,
					 struct json_object *req,
					 struct tg_control_io *io);
struct json_object *agent_grant_revoke(struct agent *a, struct json_object *req,
				       struct tg_control_io *io);
struct json_object *agent_grant_shell(struct agent *a, struct json_object *req,
				      struct tg_control_io *io);
struct json_object *agent_break_glass(struct agent *a, struct json_object *req,
				      struct tg_control_io *io);
struct json_object *agent_grant_list(struct agent *a, struct json_object *req,
				     struct tg_control_io *io);

/* offboard.c: the state directory, retirement and export. */
int agent_state_open(struct agent *a);
/* o as one line into the state file name, atomically (through tmp). */
int agent_state_write(struct agent *a, const char *name, const char *tmp,
		      struct json_object *o);
void agent_state_close(struct agent *a);
const struct agent_retired *agent_retired_find(const struct agent *a,
					       const char *name);
/*
 * Whether policy p keeps every retired tenant, with its retired: entry and
 * its paths: 0, or -EINVAL with each problem in d (file:line:column).
 */
int agent_retired_check(const struct agent *a, const struct tg_policy *p,
			struct tg_diag *d);
/* The retired tenants' ids to the fanotify backend, if it runs. */
void agent_retired_fan(struct agent *a);
/* The policy's tenants with retired: that are not yet, retired. */
void agent_retire_from_policy(struct agent *a);
/* Every retired tenant's cgroup frozen again and emptied (at start). */
void agent_retired_hold(struct agent *a);
struct json_object *agent_retired_json(const struct agent *a);
struct json_object *agent_tenant_retire(struct agent *a,
					struct json_object *req,
					struct tg_control_io *io);
struct json_object *agent_tenant_erase(struct agent *a, struct json_object *req,
				       struct tg_control_io *io);
/* The record of the retired tenants written anew: 0 or -errno. */
int agent_save_retired(struct agent *a);
/* The retired tenants' uptime counted up to now, the record written. */
int agent_retired_account(struct agent *a);
struct json_object *agent_tenant_export(struct agent *a,
					struct json_object *req,
					struct tg_control_io *io);

/* options.c */
void agent_opts_init(struct agent_opts *o);
void agent_usage(FILE *out);
/* 0, 1 for --help (usage printed), or -EINVAL (the reason logged). */
int agent_parse_args(struct agent_opts *o, int argc, char **argv);

/* lifecycle.c: everything up to serving, and back; 0 or -errno (logged). */
int agent_start(struct agent *a);
void agent_stop(struct agent *a, int clean);
void agent_write_metrics(struct agent *a);
/* Tell the service manager that enforcement is in force (READY=1). */
void agent_ready(struct agent *a);

/* emit.c */
void agent_emit(struct agent *a, struct json_object *o);
int agent_on_event(void *ctx, void *data, size_t size);
void agent_emit_backends(struct agent *a, const char *op);
void agent_report_drops(struct agent *a, int force);
void agent_report_refused_collector(struct agent *a);
void agent_report_unmarked(struct agent *a);
void agent_report_pending(struct agent *a);
/* When the local routing table stops fitting in the map, or fits again. */
void agent_report_local_routes(struct agent *a);
/*
 * "" when every cgroup below the tenants cgroup, every directory below the
 * paths root and every policy tenant is a tenant's; else "; UNREGISTERED:
 * ..." with the counts, for the start and reload messages.
 */
void agent_unregistered_text(const struct agent *a, char *buf, size_t len);
void agent_report_links(struct agent *a);
struct json_object *agent_backends_json(struct agent *a, struct json_object *o,
					int reasons);
/* Each feature's backend from agent_backends_json's o; 5 entries. */
size_t agent_backend_states(struct agent *a, struct json_object *o,
			    struct tg_backend_state *out);
void agent_on_seccomp_denial(void *ctx, const char *tenant, const char *profile,
			     const struct tg_sc_denial *d);

/* lifecycle.c: the protected paths into the guard's map (start, reload). */
void agent_guard_paths(struct agent *a);
/* main.c's loop: guard the collector at the other end of the event socket. */
void agent_guard_collector(struct agent *a);

/* reconcile.c */
int agent_load_policy(struct agent *a, struct tg_policy *p, struct tg_diag *d);
int agent_apply(struct agent *a);
int agent_rescan(struct agent *a);
int agent_reload(struct agent *a, struct json_object *errs,
		 struct json_object *changes);
/*
 * What a reload would change now, without changing anything: the tenants
 * it would add, remove and change into changes, the digest of the files
 * it read into digest; 0, or -EINVAL with the reasons in errs.
 */
int agent_reload_preview(struct agent *a, struct json_object *changes,
			 struct json_object *errs, char *digest, size_t len);
int agent_prepare_tenants_dir(struct agent *a);

/* persist.c: what stays in the pin directory between agents */
int agent_pins_open(struct agent *a);
int agent_restore_tenants(struct agent *a);
void agent_restore_ports(struct agent *a);
void agent_save_state(struct agent *a);
void agent_pins_started(struct agent *a);
void agent_heartbeat(struct agent *a, int force);
void agent_report_gap(struct agent *a);
void agent_pins_stop(struct agent *a, int clean);
struct json_object *agent_pins_json(struct agent *a);
/* detach.c: --detach */
/*
 * Remove every pin of --pin-dir and tell the collector who did: by, or
 * NULL for --detach (this process's own uid, login uid and parent).
 */
int agent_detach(struct agent *a, const struct agent_by *by);

/* control_cmds.c */
/*
 * The actor (tenant id, TG_TENANT_PENDING or TG_TENANT_HOST) of a peer
 * whose cgroup was read: 0, or -errno when it cannot be told (p->why).
 */
int agent_peer_actor(struct agent *a, const struct tg_peer *p, __u32 *id);
/*
 * The control verb run (agentd/run_workload.c): a workload launched for
 * the caller, with its passed stdio; answers on io->conn itself.
 */
struct json_object *agent_run(struct agent *a, struct json_object *req,
			      struct tg_control_io *io);
/* Free the slots of the runs whose workload ended (all: every slot). */
void agent_reap_runs(struct agent *a, int all);

struct json_object *agent_control(void *ctx, const struct tg_peer *peer,
				  struct json_object *req,
				  struct tg_control_io *io);
/* Once a second at most: the records held back by the rate limit, told. */
void agent_control_tick(struct agent *a);
/* Whether the policy makes verb wait for a second person. */
int agent_needs_confirm(const struct agent *a, const char *verb);
/*
 * Who asked for the request being served (the one who made it, when it is
 * carried out on a second person's word) and who confirmed it, into *by.
 */
void agent_by_peer(const struct agent *a, struct agent_by *by);
/*
 * by's fields into event o (NULL: nothing): by_uid, by_login_uid, by_pid,
 * by_comm (who asked) and, for a confirmed request, confirmed_by (text),
 * confirmed_by_uid, confirmed_by_login_uid, confirmed_by_pid,
 * confirmed_by_comm and request_id.
 */
void agent_by_json(const struct agent_by *by, struct json_object *o);

/* event_streams.c */
/*
 * Serve request req ("events", or "report": no following) of a caller
 * that may see v: a process of its own takes the connection *conn (set to
 * -1) and sends the reply, then the stored events v lets it see and req's
 * filters pass, as JSON lines. The reply, kept as the request's record;
 * an error reply (nothing taken) when req is malformed or too many
 * streams are served.
 */
struct json_object *agent_serve_events(struct agent *a, struct json_object *req,
				       const struct tg_view *v, int *conn);

/* Collect the event streams that ended. */
void agent_reap_streams(struct agent *a);

#endif /* TG_AGENTD_AGENT_H */
