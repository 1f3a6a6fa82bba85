// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard probe [--json]: what this kernel and this host would enforce,
 * feature by feature, and what to change to get the rest (as bpftool
 * feature probe does for BPF), before rollout. The kernel is asked the way
 * the agent asks it (common/kfeatures.h: probe programs that return 0 and
 * are attached nowhere); a running agent is asked too, for what is in force
 * now.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/cgroupfs.h"
#include "common/control.h"
#include "common/kfeatures.h"
#include "common/log.h"

/* One feature: its backend here ("none" when unenforced), and why not, and
 * what to change, where it falls short. */
struct row {
	const char *feature, *backend;
	char why[640], fix[768];
};

/* Where BPF LSM is concerned: 1 when its programs would run, else 0 with
 * why and fix filled in. A program that loads runs only where bpf is in
 * the active LSM list. */
static int bpf_lsm(char *why, size_t wlen, char *fix, size_t flen)
{
	char list[256];
	int err = tg_kf_lsm_list(list, sizeof(list)),
	    active = err ? -1 : tg_bpf_lsm_active() == 1;

	if (active == 0) {
		snprintf(why, wlen, "bpf is not in the active LSM list (%s)",
			 list);
		snprintf(fix, flen,
			 "boot with lsm=%s,bpf (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub and reboot)",
			 list);
		return 0;
	}
	if (tg_kf_lsm_prog(why, wlen)) {
		snprintf(fix, flen,
			 "a kernel with CONFIG_BPF_LSM booted with bpf in its lsm= list, and root with CAP_BPF and CAP_SYS_ADMIN%s",
			 active < 0 ? " (the active LSM list is unreadable here: mount securityfs on /sys/kernel/security to see it)"
				    : "");
		return 0;
	}
	if (active < 0) {
		snprintf(why, wlen,
			 "BPF LSM programs load, but whether they run is unknown: the active LSM list is unreadable (/sys/kernel/security/lsm: %s)",
			 strerror(-err));
		snprintf(fix, flen,
			 "mount securityfs (mount -t securityfs securityfs /sys/kernel/security), then probe again");
		return 0;
	}
	return 1;
}

static unsigned int probe(struct row *r)
{
	char why[512], fix[640], cg[PATH_MAX];
	int lsm = bpf_lsm(why, sizeof(why), fix, sizeof(fix)), net;
	unsigned int n = 0;

	/* file: BPF LSM, else fanotify (opens only), else none. */
	r[n] = (struct row){.feature = "file", .backend = "bpf-lsm"};
	if (!lsm) {
		snprintf(r[n].fix, sizeof(r[n].fix), "%s", fix);
		if (tg_kf_fanotify_perm(r[n].why, sizeof(r[n].why)) == 0) {
			r[n].backend = "fanotify";
			snprintf(r[n].why, sizeof(r[n].why),
				 "opens only (every other file operation unenforced): %s",
				 why);
		} else {
			r[n].backend = "none";
		}
	}
	n++;
	/* net: cgroup BPF on the cgroup v2 hierarchy. */
	r[n] = (struct row){.feature = "net", .backend = "cgroup-bpf"};
	net = tg_cgroup2_find("/proc/self/mountinfo", cg, sizeof(cg)) == 0;
	if (!net) {
		r[n].backend = "none";
		snprintf(r[n].why, sizeof(r[n].why), "no cgroup v2 mount");
		snprintf(r[n].fix, sizeof(r[n].fix),
			 "mount cgroup2 (systemd does, or mount -t cgroup2 none /sys/fs/cgroup/unified)");
	} else if (tg_kf_cgroup_prog(r[n].why, sizeof(r[n].why))) {
		net = 0;
		r[n].backend = "none";
		snprintf(r[n].fix, sizeof(r[n].fix),
			 "run as root with CAP_BPF and CAP_NET_ADMIN");
	}
	n++;
	/* Sockets of families but inet and inet6: BPF trampolines. */
	r[n] = (struct row){.feature = "net:families", .backend = "fmod_ret"};
	if (!net || tg_kf_fmod_ret(r[n].why, sizeof(r[n].why))) {
		r[n].backend = "none";
		if (!net)
			snprintf(r[n].why, sizeof(r[n].why),
				 "no network isolation");
		snprintf(r[n].fix, sizeof(r[n].fix),
			 "a kernel with BPF trampolines (x86-64, 5.7+, CONFIG_FUNCTION_ERROR_INJECTION); inet and inet6 sockets stay checked");
	}
	n++;
	/* What only BPF LSM sees. */
	static const char *const lsm_features[] = {"unix", "proc", "guard",
						   "net:host_listeners"};
	for (unsigned int i = 0; i < 4; i++, n++) {
		r[n] = (struct row){.feature = lsm_features[i],
				    .backend = lsm ? "bpf-lsm" : "none"};
		if (!lsm) {
			snprintf(r[n].why, sizeof(r[n].why), "%s", why);
			snprintf(r[n].fix, sizeof(r[n].fix), "%s", fix);
		}
	}
	/* The launcher's confinement. */
	r[n] = (struct row){.feature = "run:seccomp_events",
			    .backend = "seccomp-notify"};
	if (tg_kf_seccomp_notify(r[n].why, sizeof(r[n].why))) {
		r[n].backend = "none";
		snprintf(r[n].fix, sizeof(r[n].fix),
			 "a kernel with seccomp user notification (5.0+): refused calls are still refused, unreported");
	}
	n++;
	r[n] = (struct row){.feature = "run:cgroup_from_start",
			    .backend = "clone3"};
	if (!tg_kf_kernel_at_least(5, 7)) {
		r[n].backend = "join-before-exec";
		snprintf(r[n].why, sizeof(r[n].why),
			 "no CLONE_INTO_CGROUP before 5.7: the child joins the tenant's cgroup before exec");
	}
	n++;
	r[n] = (struct row){.feature = "run:proc_subset", .backend = "procfs"};
	if (!tg_kf_kernel_at_least(5, 8)) {
		r[n].backend = "none";
		snprintf(r[n].why, sizeof(r[n].why),
			 "procfs subset=pid and hidepid=invisible need 5.8");
	}
	n++;
	return n;
}

/* The agent's word on what is in force, or NULL when none answers. */
static struct json_object *agent_status(const struct cli_opts *o)
{
	struct json_object *req = json_object_new_object(), *r, *v;

	json_object_object_add(req, "cmd", json_object_new_string("status"));
	r = tg_control_call(o->control_socket, req);
	json_object_put(req);
	if (r && (!json_object_object_get_ex(r, "ok", &v) ||
		  !json_object_get_boolean(v))) {
		json_object_put(r);
		r = NULL;
	}
	return r;
}

int cmd_probe(const struct cli_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
					     {}};
	struct json_object *st, *out, *arr, *e, *v;
	struct row r[16];
	unsigned int i, n;
	int c, json = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c != 'j')
			return tg_err(2, "probe: bad option '%s' (see "
					 "tenantguard probe --help)",
				      argv[optind - 1]);
		json = 1;
	}
	if (optind < argc)
		return tg_err(2, "probe: unexpected argument '%s'",
			      argv[optind]);
	n = probe(r);
	st = agent_status(o);
	if (json) {
		out = json_object_new_object();
		arr = json_object_new_array();
		for (i = 0; i < n; i++) {
			e = json_object_new_object();
			json_object_object_add(
				e, "feature",
				json_object_new_string(r[i].feature));
			json_object_object_add(
				e, "backend",
				json_object_new_string(r[i].backend));
			if (r[i].why[0])
				json_object_object_add(
					e, "detail",
					json_object_new_string(r[i].why));
			if (r[i].fix[0])
				json_object_object_add(
					e, "to_get_it",
					json_object_new_string(r[i].fix));
			json_object_array_add(arr, e);
		}
		json_object_object_add(out, "kernel", arr);
		if (st && json_object_object_get_ex(st, "backends", &v))
			json_object_object_add(out, "agent_backends",
					       json_object_get(v));
		if (st && json_object_object_get_ex(st, "unenforced", &v))
			json_object_object_add(out, "agent_unenforced",
					       json_object_get(v));
		printf("%s\n", json_object_to_json_string_ext(
				       out, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(out);
		json_object_put(st);
		return 0;
	}
	printf("%-22s %-17s %s\n", "FEATURE", "HERE", "DETAIL");
	for (i = 0; i < n; i++) {
		printf("%-22s %-17s %s\n", r[i].feature, r[i].backend,
		       r[i].why[0] ? r[i].why : "enforced");
		if (r[i].fix[0])
			printf("%-22s %-17s to get it: %s\n", "", "", r[i].fix);
	}
	if (!st) {
		printf("agent: none answers at %s (what is above is what one would enforce here)\n",
		       o->control_socket);
		return 0;
	}
	if (json_object_object_get_ex(st, "backends", &v))
		printf("agent: in force now: file %s, net %s, unix %s, proc %s\n",
		       jstr(v, "file"), jstr(v, "net"), jstr(v, "unix"),
		       jstr(v, "proc"));
	if (json_object_object_get_ex(st, "unenforced", &v) &&
	    json_object_array_length(v)) {
		printf("agent: unenforced now:");
		for (i = 0; i < json_object_array_length(v); i++)
			printf(" %s", json_object_get_string(
					      json_object_array_get_idx(v, i)));
		printf("\n");
	}
	json_object_put(st);
	return 0;
}
