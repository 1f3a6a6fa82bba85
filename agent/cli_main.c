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

#define PROG "tenantguard"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: " PROG " COMMAND [options]\n"
		"commands:\n"
		"  events [--log PATH] [--tenant T] [--kind K] [--json]\n"
		"         print the events the collector stored\n"
		"         (default log /var/log/tenantguard/events.jsonl)\n"
		"  help   this text\n");
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

int main(int argc, char **argv)
{
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
	fprintf(stderr, PROG ": unknown command '%s' (see " PROG " help)\n",
		argv[1]);
	return 2;
}
