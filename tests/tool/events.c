// SPDX-License-Identifier: GPL-2.0
/* tg-try: reading the collector's log. */
#define _GNU_SOURCE
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/chain.h"
#include "tool.h"

/*
 * The value of key in o; a dotted key names a field of a nested object
 * ("object.root": the "root" of the "object"). NULL if absent.
 */
static struct json_object *field(struct json_object *o, char *key)
{
	char *dot;

	while ((dot = strchr(key, '.'))) {
		*dot = '\0';
		if (!json_object_object_get_ex(o, key, &o) ||
		    !json_object_is_type(o, json_type_object))
			return NULL;
		key = dot + 1;
	}
	return json_object_object_get_ex(o, key, &o) ? o : NULL;
}

/*
 * Whether the JSON line has every KEY=VALUE (KEY may be dotted, see
 * field): strings compared as they are, other values as their compact
 * JSON text (numbers, ["a"], true).
 */
static int line_matches(const char *line, int n, char **kv)
{
	struct json_object *o = json_tokener_parse(line), *v;
	int i, ok = o != NULL;

	for (i = 0; ok && i < n; i++) {
		const char *eq = strchr(kv[i], '=');
		char key[128];

		if (!eq || (size_t)(eq - kv[i]) >= sizeof(key)) {
			ok = 0;
			break;
		}
		snprintf(key, sizeof(key), "%.*s", (int)(eq - kv[i]), kv[i]);
		if (!(v = field(o, key)))
			ok = 0;
		else if (json_object_is_type(v, json_type_string))
			ok = strcmp(json_object_get_string(v), eq + 1) == 0;
		else
			ok = strcmp(json_object_to_json_string_ext(
					    v, JSON_C_TO_STRING_PLAIN),
				    eq + 1) == 0;
	}
	json_object_put(o);
	return ok;
}

static int count_matches(const char *log, int n, char **kv, int print)
{
	char *line = NULL;
	size_t cap = 0;
	int count = 0;
	FILE *f;

	f = fopen(log, "re");
	if (!f)
		return 0;
	while (getline(&line, &cap, f) > 0) {
		if (line_matches(line, n, kv)) {
			count++;
			if (print)
				fputs(line, stdout);
		}
	}
	free(line);
	fclose(f);
	return count;
}

static int do_wait_event(int argc, char **argv)
{
	double timeout = 10;
	int want = 1, i = 1, got = 0;
	struct timespec start, now;

	if (argc < 1)
		return usage();
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "--timeout") == 0)
			timeout = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--count") == 0)
			want = atoi(argv[i + 1]);
		else
			return usage();
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		got = count_matches(argv[0], argc - i, argv + i, 0);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (got >= want ||
		    (double)(now.tv_sec - start.tv_sec) +
				    (double)(now.tv_nsec - start.tv_nsec) /
					    1e9 >
			    timeout)
			break;
		usleep(50 * 1000);
	}
	if (got >= want) {
		count_matches(argv[0], argc - i, argv + i, 1);
		return 0;
	}
	printf("FAIL: %d of %d matching event(s) in %s after %.0fs\n", got,
	       want, argv[0], timeout);
	return 1;
}

static int do_count_events(int argc, char **argv)
{
	if (argc < 1)
		return usage();
	printf("%d\n", count_matches(argv[0], argc - 1, argv + 1, 0));
	return 0;
}

/*
 * rechain: what someone who can write the log, but has no key, can do to
 * a line: stdin holds a stored line, then a body ("{"seq":N,...}" with no
 * chain member); stdout gets the body chained after that line, its chain
 * value made to follow.
 */
static int do_rechain(int argc, char **argv)
{
	unsigned char prev[TG_CHAIN_BYTES] = {}, lh[TG_CHAIN_BYTES];
	char line[65536], body[65536], hex[TG_CHAIN_HEX + 1];
	const char *ph = NULL, *rest;
	size_t at;
	__u64 seq;

	(void)argv;
	if (argc || !fgets(line, sizeof(line), stdin) ||
	    !fgets(body, sizeof(body), stdin))
		return usage();
	line[strcspn(line, "\n")] = '\0';
	body[strcspn(body, "\n")] = '\0';
	if (tg_chain_parse(line, strlen(line), &seq, &at, &ph) != 1 ||
	    tg_chain_unhex(ph, TG_CHAIN_HEX, prev, sizeof(prev)))
		return usage();
	rest = strchr(body, ',');
	if (!rest)
		return usage();
	tg_chain_line_hash(body, strlen(body), lh);
	tg_chain_link(prev, lh, prev);
	tg_chain_hex(prev, sizeof(prev), hex);
	printf("%.*s,\"chain\":\"%s\"%s\n", (int)(rest - body), body, hex,
	       rest);
	return 0;
}

const struct tool_cmd tool_event_cmds[] = {{"wait-event", do_wait_event},
					   {"count-events", do_count_events},
					   {"rechain", do_rechain},
					   {}};
