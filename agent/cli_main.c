// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard: the operator's command line.
 *
 *   tenantguard events [--log PATH] [--tenant T] [--kind K] [--json]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "policy.h"

#define PROG "tenantguard"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: " PROG " COMMAND [options]\n"
		"commands:\n"
		"  status [--json]     policy, generation, backends, tenants, denials\n"
		"  reload              load the agent's policy files again; errors are\n"
		"                      printed and the policy in force stays\n"
		"  policy check FILE [DROPIN...]\n"
		"         validate a policy (and drop-ins, merged in the order given)\n"
		"         without touching the kernel; errors as file:line:column\n"
		"  events [--log PATH] [--tenant T] [--kind K] [--json]\n"
		"         print the events the collector stored\n"
		"         (default log /var/log/tenantguard/events.jsonl)\n"
		"  help   this text\n"
		"global option (before COMMAND): --control-socket PATH\n"
		"  (default /run/tenantguard/control.sock)\n");
}

static const char *field(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		return "-";
	return json_object_get_string(v);
}

/* One event as an aligned human-readable line. */
static void print_human(struct json_object *o)
{
	const char *kind = field(o, "kind");
	char detail[4200];

	if (strcmp(kind, "net") == 0)
		snprintf(detail, sizeof(detail), "%s %s port %s", field(o, "proto"),
			 field(o, "addr"), field(o, "port"));
	else if (strcmp(kind, "agent") == 0)
		snprintf(detail, sizeof(detail), "%s", field(o, "message"));
	else
		snprintf(detail, sizeof(detail), "%s", field(o, "path"));
	printf("%-8s %-30s %-7s %-6s %-12s -> %-12s %-8s %-7s %-16s %s\n",
	       field(o, "seq"), field(o, "time"), kind, field(o, "verdict"),
	       field(o, "tenant"), field(o, "target_tenant"), field(o, "op"),
	       field(o, "pid"), field(o, "comm"), detail);
}

static int cmd_events(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "log", required_argument, NULL, 'l' },
		{ "tenant", required_argument, NULL, 't' },
		{ "kind", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{}
	};
	const char *log = "/var/log/tenantguard/events.jsonl";
	const char *tenant = NULL, *kind = NULL;
	struct json_object *o;
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0;
	int c, json = 0, err = 0;
	FILE *f;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': log = optarg; break;
		case 't': tenant = optarg; break;
		case 'k': kind = optarg; break;
		case 'j': json = 1; break;
		default:
			fprintf(stderr, PROG ": events: unknown option %s\n",
				argv[optind - 1]);
			return 2;
		}
	}
	f = fopen(log, "re");
	if (!f) {
		fprintf(stderr, PROG ": events: cannot open %s: %s\n", log,
			strerror(errno));
		return 1;
	}
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		o = json_tokener_parse(line);
		if (!o || !json_object_is_type(o, json_type_object)) {
			fprintf(stderr, PROG ": events: %s:%lu: not a JSON object\n",
				log, lineno);
			json_object_put(o);
			err = 1;
			continue;
		}
		if ((!tenant || strcmp(field(o, "tenant"), tenant) == 0 ||
		     strcmp(field(o, "target_tenant"), tenant) == 0) &&
		    (!kind || strcmp(field(o, "kind"), kind) == 0)) {
			if (json)
				fputs(line, stdout);
			else
				print_human(o);
		}
		json_object_put(o);
	}
	free(line);
	fclose(f);
	return err;
}

/* Merge FILE and its drop-ins like the agent does, report every error. */
static int cmd_policy_check(int argc, char **argv)
{
	unsigned int i, paths = 0, ports = 0, nets = 0;
	struct tg_policy p;
	struct tg_diag d = {};
	int k, err = 0;

	if (argc < 1) {
		fprintf(stderr, PROG ": policy check: no policy file given\n");
		return 2;
	}
	tg_policy_init(&p);
	snprintf(p.source, sizeof(p.source), "%s", argv[0]);
	for (k = 0; k < argc; k++)
		if (tg_policy_load_file(&p, argv[k], k == 0, &d))
			err = -EINVAL;
	if (tg_policy_finish(&p, &d))
		err = -EINVAL;
	for (i = 0; i < d.n; i++)
		fprintf(stderr, "%s\n", d.msgs[i]);
	if (d.dropped)
		fprintf(stderr, PROG ": %u more errors not shown\n", d.dropped);
	if (!err) {
		for (i = 0; i < p.n_tenants; i++) {
			paths += p.tenants[i].n_paths;
			ports += p.tenants[i].n_ports;
			nets += p.tenants[i].n_networks;
		}
		printf("%s: ok: version %d, mode %s, tenants_cgroup %s, %u tenants, "
		       "%u paths, %u port ranges, %u networks\n",
		       argv[0], p.version, p.mode == TG_MODE_AUDIT ? "audit" : "enforce",
		       p.tenants_cgroup, p.n_tenants, paths, ports, nets);
	}
	tg_diag_free(&d);
	tg_policy_free(&p);
	return err ? 1 : 0;
}

static const char *control_path = "/run/tenantguard/control.sock";

static struct json_object *call(const char *cmd)
{
	struct json_object *req = json_object_new_object(), *reply;

	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	reply = tg_control_call(control_path, req);
	json_object_put(req);
	if (!reply)
		fprintf(stderr, PROG ": %s: cannot reach the agent at %s: %s\n", cmd,
			control_path, strerror(errno));
	return reply;
}

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "-";
}

static int cmd_status(int argc, char **argv)
{
	struct json_object *r, *ts, *t, *v;
	size_t i, n;
	int json = argc > 1 && strcmp(argv[1], "--json") == 0;

	if (argc > 1 && !json) {
		fprintf(stderr, PROG ": status: unknown option %s\n", argv[1]);
		return 2;
	}
	r = call("status");
	if (!r)
		return 1;
	if (json) {
		printf("%s\n", json_object_to_json_string_ext(r, JSON_C_TO_STRING_PRETTY));
		json_object_put(r);
		return 0;
	}
	printf("policy:      %s (generation %s, default mode %s)\n", jstr(r, "policy"),
	       jstr(r, "generation"), jstr(r, "mode"));
	json_object_object_get_ex(r, "backends", &v);
	printf("backends:    file %s, net %s\n", jstr(v, "file"), jstr(v, "net"));
	if (json_object_object_get_ex(r, "file_reason", &v))
		printf("UNENFORCED:  file isolation (%s)\n", json_object_get_string(v));
	printf("%-20s %-5s %-8s %-8s %-9s %s\n", "TENANT", "ID", "MODE", "DENIALS",
	       "PRESENT", "CGROUP");
	json_object_object_get_ex(r, "tenants", &ts);
	n = ts ? json_object_array_length(ts) : 0;
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(ts, i);
		printf("%-20s %-5s %-8s %-8s %-9s %s\n", jstr(t, "name"), jstr(t, "id"),
		       jstr(t, "mode"), jstr(t, "denials"), jstr(t, "present"),
		       jstr(t, "cgroup"));
	}
	json_object_put(r);
	return 0;
}

static int cmd_reload(void)
{
	struct json_object *r = call("reload"), *errs, *ok;
	size_t i, n;
	int good;

	if (!r)
		return 1;
	good = json_object_object_get_ex(r, "ok", &ok) && json_object_get_boolean(ok);
	json_object_object_get_ex(r, "errors", &errs);
	n = errs ? json_object_array_length(errs) : 0;
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s\n", json_object_get_string(json_object_array_get_idx(errs, i)));
	if (good)
		printf("reloaded: generation %s in force (%s map changes, %s ms)\n",
		       jstr(r, "generation"), jstr(r, "map_changes"), jstr(r, "elapsed_ms"));
	else
		fprintf(stderr, PROG ": reload rejected; generation %s stays in force\n",
			jstr(r, "generation"));
	json_object_put(r);
	return good ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "--control-socket") == 0) {
		control_path = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "events") == 0)
		return cmd_events(argc - 1, argv + 1);
	if (strcmp(argv[1], "status") == 0)
		return cmd_status(argc - 1, argv + 1);
	if (strcmp(argv[1], "reload") == 0)
		return cmd_reload();
	if (strcmp(argv[1], "policy") == 0 && argc > 2 &&
	    strcmp(argv[2], "check") == 0)
		return cmd_policy_check(argc - 3, argv + 3);
	fprintf(stderr, PROG ": unknown command '%s' (see " PROG " help)\n",
		argv[1]);
	return 2;
}
