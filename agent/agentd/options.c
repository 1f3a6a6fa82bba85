// SPDX-License-Identifier: GPL-2.0
/* The agent's command line: defaults, --help, and every option checked. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentd/agent.h"
#include "agentd/delivery.h"
#include "common/log.h"
#include "common/text.h"
#include "common/version.h"
#include "tenantguard/map_abi.h"

void agent_opts_init(struct agent_opts *o)
{
	*o = (struct agent_opts){
		.policy_file = "/etc/tenantguard/policy.yaml",
		.policy_dir = "/etc/tenantguard/policy.d",
		.control_socket = "/run/tenantguard/control.sock",
		.control_group = TG_CONTROL_GROUP_DEFAULT,
		.tenants_cgroup = "/tenants",
		.paths_root = "/srv/tenants",
		.event_socket = "/run/tenantguard/events.sock",
		.ringbuf_size = 1 << 20,
		.file_backend = "auto",
		.spool_dir = "/var/lib/tenantguard/spool",
		.state_dir = "/var/lib/tenantguard/state",
		.spool_size = 512ULL << 20,
		.links_per_tenant = TG_LINKS_PER_TENANT,
		.local_routes_max = TG_MAX_LOCAL_ROUTES,
		.pin_dir = TG_PIN_DIR_DEFAULT,
		.event_log = "/var/log/tenantguard/events.jsonl",
		.collector_user = TG_COLLECTOR_USER_DEFAULT,
	};
}

void agent_usage(FILE *out)
{
	fprintf(out,
		"usage: " TG_AGENT_PROG " [options]\n"
		"  --policy FILE|builtin   policy (default /etc/tenantguard/policy.yaml; if that\n"
		"                          does not exist, the built-in zero-config policy)\n"
		"  --policy-dir DIR        drop-ins merged in name order (default\n"
		"                          /etc/tenantguard/policy.d)\n"
		"  --control-socket PATH   (default /run/tenantguard/control.sock)\n"
		"  --control-group NAME    the control socket's group: mode 0660, so that its\n"
		"                          members may connect (their role, from the policy's\n"
		"                          roles, says what they may ask); when the default\n"
		"                          group does not exist, 0600: root only (default\n"
		"                          " TG_CONTROL_GROUP_DEFAULT ")\n"
		"  --tenants-cgroup PATH   built-in policy: cgroup (below the cgroup v2 root)\n"
		"                          whose children are tenants (default /tenants)\n"
		"  --paths-root DIR        built-in policy: each tenant owns DIR/<name>\n"
		"                          (default /srv/tenants)\n"
		"  --event-socket PATH     collector socket (default /run/tenantguard/events.sock)\n"
		"  --collector-user NAME|UID  the user the collector runs as: a socket\n"
		"                          another uid listens on is refused, nothing is sent\n"
		"                          to it and events wait in the spool (default\n"
		"                          " TG_COLLECTOR_USER_DEFAULT ")\n"
		"  --cgroup-root DIR       cgroup v2 mount point (default: from mountinfo)\n"
		"  --attach-cgroup DIR     cgroup for the network programs (default: cgroup v2 root)\n"
		"  --ringbuf-size SIZE     kernel event ring buffer, a power of two, bytes or with\n"
		"                          K, M, G (default 1M)\n"
		"  --spool-dir DIR         events the collector has not acknowledged go there\n"
		"                          when it is down or slow (default /var/lib/tenantguard/spool);\n"
		"                          owned by root, writable by no group or others\n"
		"  --state-dir DIR         the host's signing key (made at the first start) and the\n"
		"                          record of retired tenants (default\n"
		"                          /var/lib/tenantguard/state); owned by root, 0700\n"
		"  --spool-size BYTES      spool limit, suffix K, M, G allowed (default 512M;\n"
		"                          0: no spool, events wait in memory only)\n"
		"  --metrics-file PATH     write Prometheus metrics there every 5 s, e.g.\n"
		"                          /var/lib/prometheus/node-exporter/tenantguard.prom\n"
		"                          (default: none)\n"
		"  --event-log PATH        the collector's log: it and its directory are\n"
		"                          protected from tenants (default\n"
		"                          /var/log/tenantguard/events.jsonl)\n"
		"  --host NAME             host name in events (default: gethostname)\n"
		"  --links-per-tenant N    hard-linked objects recorded per tenant (named below\n"
		"                          several tenants' paths, or also outside every owned\n"
		"                          path; default 65536; more: reported)\n"
		"  --pin-dir DIR           bpffs directory where programs and maps stay pinned,\n"
		"                          enforcing while no agent runs; protected from\n"
		"                          tenants (default " TG_PIN_DIR_DEFAULT
		")\n"
		"  --detach                remove the programs and pins of --pin-dir (no agent\n"
		"                          may be running), tell the collector, and exit:\n"
		"                          a stop (SIGTERM) leaves enforcement in force\n"
		"  --require-file-isolation  refuse to start without full file isolation (BPF LSM)\n"
		"  --file-backend auto|bpf-lsm|fanotify|none\n"
		"                          auto (default): BPF LSM, else fanotify (opens only),\n"
		"                          else none; the others: that one, or refuse to start\n"
		"  --fanotify-wait-ms MS   fanotify: how long a tenant's open of a file with\n"
		"                          several links waits for a link scan, then is\n"
		"                          refused (default 500)\n"
		"  --link-scan-max N       for tests only: entries the fanotify backend's link\n"
		"                          scan looks at (default 200000)\n"
		"  --local-routes-max N    for tests only: mirror at most N routes of the local\n"
		"                          routing table (default and most: %u), to see what\n"
		"                          a table that does not fit does\n"
		"  -v, --verbose           log libbpf warnings and every event\n"
		"  -h, --help              this text\n"
		"      --version           the release, then exit\n",
		TG_MAX_LOCAL_ROUTES);
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

enum {
	O_TENANTS = 256,
	O_PATHS,
	O_SOCK,
	O_CGROOT,
	O_ATTACH,
	O_RB,
	O_HOST,
	O_REQFILE,
	O_POLICY,
	O_POLICYDIR,
	O_CONTROL,
	O_FILEBE,
	O_SPOOLDIR,
	O_STATEDIR,
	O_SPOOLSIZE,
	O_METRICS,
	O_LINKS,
	O_PINDIR,
	O_DETACH,
	O_EVENTLOG,
	O_COLLUSER,
	O_LOCALMAX,
	O_FANWAIT,
	O_FANSCAN,
	O_CTLGROUP,
	O_VERSION,
};

/* The options that take a number: 0, or -EINVAL (logged). */
static int parse_number(struct agent_opts *o, int c, const char *arg)
{
	__u64 size = 0;

	switch (c) {
	case O_SPOOLSIZE:
		if (tg_parse_size(arg, &size) || (size && size < (1 << 20)))
			return tg_err(
				-EINVAL,
				"--spool-size: '%s' is not 0 or a size of at least 1M",
				arg);
		o->spool_size = size;
		return 0;
	case O_LINKS:
		if (parse_u32(arg, &o->links_per_tenant))
			return tg_err(
				-EINVAL,
				"--links-per-tenant: '%s' is not a number",
				arg);
		return 0;
	case O_LOCALMAX:
		if (parse_u32(arg, &o->local_routes_max) ||
		    !o->local_routes_max ||
		    o->local_routes_max > TG_MAX_LOCAL_ROUTES)
			return tg_err(
				-EINVAL,
				"--local-routes-max: '%s' is not a number from 1 to %u",
				arg, TG_MAX_LOCAL_ROUTES);
		return 0;
	case O_FANWAIT:
		if (parse_u32(arg, &o->fan_decision_ms) ||
		    !o->fan_decision_ms || o->fan_decision_ms > 60000)
			return tg_err(
				-EINVAL,
				"--fanotify-wait-ms: '%s' is not a number from 1 to 60000",
				arg);
		return 0;
	case O_FANSCAN:
		if (parse_u32(arg, &o->fan_link_scan_max) ||
		    !o->fan_link_scan_max)
			return tg_err(
				-EINVAL,
				"--link-scan-max: '%s' is not a positive number",
				arg);
		return 0;
	default:
		if (tg_parse_size(arg, &size) || size > 1U << 31)
			size = 1; /* refused below */
		o->ringbuf_size = (__u32)size;
		if (o->ringbuf_size < 4096 ||
		    (o->ringbuf_size & (o->ringbuf_size - 1)))
			return tg_err(
				-EINVAL,
				"--ringbuf-size: '%s' is not a power of two >= 4096",
				arg);
		return 0;
	}
}

/* The options together: 0, or -EINVAL (logged). */
static int check_opts(const struct agent_opts *o)
{
	if (strcmp(o->file_backend, "auto") &&
	    strcmp(o->file_backend, "bpf-lsm") &&
	    strcmp(o->file_backend, "fanotify") &&
	    strcmp(o->file_backend, "none"))
		return tg_err(
			-EINVAL,
			"--file-backend: '%s' is not one of auto, bpf-lsm, fanotify, none",
			o->file_backend);
	if (o->require_file && strcmp(o->file_backend, "auto") &&
	    strcmp(o->file_backend, "bpf-lsm"))
		return tg_err(
			-EINVAL,
			"--require-file-isolation and --file-backend %s contradict each other",
			o->file_backend);
	if (!o->spool_dir[0] || (o->metrics_file && !o->metrics_file[0]))
		return tg_err(-EINVAL,
			      "--spool-dir and --metrics-file need a path");
	if (o->state_dir[0] != '/')
		return tg_err(-EINVAL,
			      "--state-dir: '%s' is not an absolute path",
			      o->state_dir);
	if (o->pin_dir[0] != '/' || strlen(o->pin_dir) > 3000)
		return tg_err(-EINVAL,
			      "--pin-dir: '%s' is not an absolute path",
			      o->pin_dir);
	if (o->tenants_cgroup[0] != '/' || o->paths_root[0] != '/')
		return tg_err(
			-EINVAL,
			"--tenants-cgroup and --paths-root must be absolute paths");
	return 0;
}

/*
 * --collector-user looked up: a user named that is unknown is refused, the
 * default's absence only noted (the agent starts; every listener is
 * refused until it runs with the collector's user). 0 or -EINVAL (logged).
 */
static int lookup_collector(struct agent_opts *o, int given)
{
	int err = tg_user_lookup(o->collector_user, &o->collector);

	o->collector_known = !err;
	if (err == -ENOENT && given)
		return tg_err(-EINVAL,
			      "--collector-user: no user '%s' in the passwd "
			      "database",
			      o->collector_user);
	if (err == -EINVAL)
		return tg_err(-EINVAL,
			      "--collector-user: '%s' is neither a user name "
			      "nor a uid (0..4294967294)",
			      o->collector_user);
	return 0;
}

/*
 * --control-group looked up: a group named that is unknown is refused, the
 * default's absence only noted (the socket is root's alone). 0 or -EINVAL
 * (logged).
 */
static int lookup_control_group(struct agent_opts *o, int given)
{
	struct group *g =
		o->control_group[0] ? getgrnam(o->control_group) : NULL;

	o->control_group_known = g != NULL;
	o->control_gid = g ? g->gr_gid : (gid_t)-1;
	if (!g && given)
		return tg_err(-EINVAL,
			      "--control-group: no group '%s' in the group "
			      "database",
			      o->control_group);
	return 0;
}

int agent_parse_args(struct agent_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{"policy", required_argument, NULL, O_POLICY},
		{"policy-dir", required_argument, NULL, O_POLICYDIR},
		{"control-socket", required_argument, NULL, O_CONTROL},
		{"tenants-cgroup", required_argument, NULL, O_TENANTS},
		{"paths-root", required_argument, NULL, O_PATHS},
		{"event-socket", required_argument, NULL, O_SOCK},
		{"cgroup-root", required_argument, NULL, O_CGROOT},
		{"attach-cgroup", required_argument, NULL, O_ATTACH},
		{"ringbuf-size", required_argument, NULL, O_RB},
		{"host", required_argument, NULL, O_HOST},
		{"require-file-isolation", no_argument, NULL, O_REQFILE},
		{"file-backend", required_argument, NULL, O_FILEBE},
		{"spool-dir", required_argument, NULL, O_SPOOLDIR},
		{"state-dir", required_argument, NULL, O_STATEDIR},
		{"spool-size", required_argument, NULL, O_SPOOLSIZE},
		{"metrics-file", required_argument, NULL, O_METRICS},
		{"links-per-tenant", required_argument, NULL, O_LINKS},
		{"pin-dir", required_argument, NULL, O_PINDIR},
		{"detach", no_argument, NULL, O_DETACH},
		{"event-log", required_argument, NULL, O_EVENTLOG},
		{"collector-user", required_argument, NULL, O_COLLUSER},
		{"local-routes-max", required_argument, NULL, O_LOCALMAX},
		{"fanotify-wait-ms", required_argument, NULL, O_FANWAIT},
		{"link-scan-max", required_argument, NULL, O_FANSCAN},
		{"control-group", required_argument, NULL, O_CTLGROUP},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, O_VERSION},
		{}};
	int c, user_given = 0, group_given = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
		switch (c) {
		case O_POLICY:
			o->policy_file = optarg;
			o->policy_explicit = 1;
			break;
		case O_POLICYDIR: o->policy_dir = optarg; break;
		case O_CONTROL: o->control_socket = optarg; break;
		case O_TENANTS: o->tenants_cgroup = optarg; break;
		case O_PATHS: o->paths_root = optarg; break;
		case O_SOCK: o->event_socket = optarg; break;
		case O_CGROOT: o->cgroup_root = optarg; break;
		case O_ATTACH: o->attach_cgroup = optarg; break;
		case O_HOST: o->host = optarg; break;
		case O_REQFILE: o->require_file = 1; break;
		case O_FILEBE: o->file_backend = optarg; break;
		case O_SPOOLDIR: o->spool_dir = optarg; break;
		case O_STATEDIR: o->state_dir = optarg; break;
		case O_METRICS: o->metrics_file = optarg; break;
		case O_PINDIR: o->pin_dir = optarg; break;
		case O_DETACH: o->detach = 1; break;
		case O_EVENTLOG: o->event_log = optarg; break;
		case O_COLLUSER:
			o->collector_user = optarg;
			user_given = 1;
			break;
		case O_CTLGROUP:
			o->control_group = optarg;
			group_given = 1;
			break;
		case O_SPOOLSIZE:
		case O_LINKS:
		case O_LOCALMAX:
		case O_FANWAIT:
		case O_FANSCAN:
		case O_RB:
			if (parse_number(o, c, optarg))
				return -EINVAL;
			break;
		case 'v': o->verbose = 1; break;
		case 'h': agent_usage(stdout); return 1;
		case O_VERSION:
			printf(TG_AGENT_PROG " %s\n", tg_version());
			return 1;
		case ':':
			return tg_err(-EINVAL, "option %s needs a value",
				      argv[optind - 1]);
		default:
			return tg_err(-EINVAL, "unknown option %s (see --help)",
				      argv[optind - 1]);
		}
	}
	if (optind < argc)
		return tg_err(-EINVAL, "unexpected argument '%s' (see --help)",
			      argv[optind]);
	return check_opts(o) ?: lookup_collector(o, user_given)
				   ?: lookup_control_group(o, group_given);
}
