// SPDX-License-Identifier: GPL-2.0
/* Unit tests: ring buffer records to JSON events. */
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "agentd/event_text.h"
#include "tenantguard/guard_abi.h"
#include "collector/jsoncheck.h"

static struct tg_registry reg;
static struct tg_event_fmt fmt;
static struct tg_event ev;

static int setup(void **state)
{
	tg_registry_init(&reg);
	reg.v = calloc(2, sizeof(*reg.v));
	reg.n = reg.cap = 2;
	reg.v[0].id = 1;
	strcpy(reg.v[0].name, "acme");
	reg.v[1].id = 2;
	strcpy(reg.v[1].name, "globex");
	fmt.reg = &reg;
	fmt.host = "node-1";
	fmt.boot_to_real_ns = 1700000000LL * 1000000000LL;
	memset(&ev, 0, sizeof(ev));
	ev.version = TG_EVENT_VERSION;
	ev.ts_boot_ns = 5 * 1000000000ULL + 42;
	ev.verdict = TG_VERDICT_DENY;
	ev.pid = 4242;
	ev.tenant = 2;
	ev.target_tenant = 1;
	strcpy((char *)ev.comm, "cat");
	return 0;
}

static int teardown(void **state)
{
	tg_registry_free(&reg);
	return 0;
}

static const char *get(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		return NULL;
	return json_object_get_string(v);
}

/* Serialise o and parse it back strictly (valid UTF-8 JSON, one line). */
static struct json_object *roundtrip(struct json_object *o)
{
	const char *s =
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	struct json_tokener *tok = json_tokener_new();
	struct json_object *back;

	assert_null(strchr(s, '\n'));
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
	back = json_tokener_parse_ex(tok, s, (int)strlen(s) + 1);
	assert_non_null(back);
	json_tokener_free(tok);
	return back;
}

static void expect_text_as_json_c(size_t size);

static void put_components(const char *const *names, int n)
{
	int i;

	ev.path_len = 0;
	for (i = 0; i < n; i++) {
		strcpy((char *)ev.path + ev.path_len, names[i]);
		ev.path_len += strlen(names[i]) + 1;
	}
	ev.path_flags = TG_PATH_F_COMPONENTS;
}

static void test_file_event(void **state)
{
	static const char *const names[] = {"data", "acme", "tenants", "srv"};
	struct json_object *o;

	ev.kind = TG_KIND_FILE;
	ev.op = TG_OP_OPEN;
	put_components(names, 4);
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN + ev.path_len, &fmt);
	assert_non_null(o);
	assert_string_equal(get(o, "kind"), "file");
	assert_string_equal(get(o, "verdict"), "deny");
	assert_string_equal(get(o, "op"), "open");
	assert_string_equal(get(o, "tenant"), "globex");
	assert_string_equal(get(o, "target_tenant"), "acme");
	assert_string_equal(get(o, "pid"), "4242");
	assert_string_equal(get(o, "comm"), "cat");
	assert_string_equal(get(o, "host"), "node-1");
	assert_string_equal(get(o, "path"), "/srv/tenants/acme/data");
	assert_string_equal(get(o, "time"), "2023-11-14T22:13:25.000000042Z");
	assert_null(get(o, "seq")); /* the collector assigns it */
	json_object_put(o);
}

static void test_truncated_and_root_paths(void **state)
{
	static const char *const names[] = {"f", "d"};
	struct json_object *o;

	ev.kind = TG_KIND_FILE;
	ev.op = TG_OP_OPEN;
	put_components(names, 2);
	ev.path_flags |= TG_PATH_F_TRUNCATED;
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN + ev.path_len, &fmt);
	assert_string_equal(get(o, "path"), ".../d/f");
	assert_string_equal(get(o, "path_truncated"), "true");
	json_object_put(o);

	put_components(names, 0);
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN, &fmt);
	assert_string_equal(get(o, "path"), "/");
	json_object_put(o);
}

/* kind unix: the sun_path bytes as the kernel keeps them. */
static struct json_object *unix_event(const void *sun_path, size_t len)
{
	struct json_object *o, *back;

	ev.kind = TG_KIND_UNIX;
	ev.op = TG_OP_CONNECT;
	memcpy(ev.path, sun_path, len);
	ev.path_len = (__u32)len;
	ev.path_flags = 0;
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN + len, &fmt);
	assert_non_null(o);
	back = roundtrip(o);
	json_object_put(o);
	assert_string_equal(get(back, "kind"), "unix");
	return back;
}

static void test_unix_event(void **state)
{
	static const char path[] = "/run/acme/db.sock"; /* with its NUL */
	static const char abstract[] = "\0acme\x01\n\\x\0y\xff\xc3\xa9";
	static const char maxlen[TG_UNIX_NAME_MAX] = "/a";
	char full[TG_UNIX_NAME_MAX];
	struct json_object *o;

	o = unix_event(path, sizeof(path));
	assert_string_equal(get(o, "path"), "/run/acme/db.sock");
	assert_string_equal(get(o, "op"), "connect");
	json_object_put(o);
	/* Abstract: "@", then every byte shown, NULs and invalid UTF-8 escaped.
	 */
	o = unix_event(abstract, sizeof(abstract) - 1);
	assert_string_equal(get(o, "path"),
			    "@acme\\x01\\x0a\\x5cx\\x00y\\xff\xc3\xa9");
	json_object_put(o);
	/* Autobound: "@" and five hex digits. */
	o = unix_event("\0"
		       "0001f",
		       6);
	assert_string_equal(get(o, "path"), "@0001f");
	json_object_put(o);
	/* Unnamed (a socketpair end). */
	o = unix_event("", 0);
	assert_string_equal(get(o, "path"), "");
	json_object_put(o);
	/* A pathname filling sun_path without a NUL; an abstract one too. */
	o = unix_event(maxlen, sizeof(maxlen));
	assert_string_equal(get(o, "path"), "/a");
	json_object_put(o);
	memset(full, 0x01, sizeof(full));
	full[0] = '\0';
	o = unix_event(full, sizeof(full));
	assert_int_equal(strlen(get(o, "path")),
			 1 + 4 * (TG_UNIX_NAME_MAX - 1));
	json_object_put(o);
}

static void test_net_event(void **state)
{
	struct json_object *o;

	ev.kind = TG_KIND_NET;
	ev.op = TG_OP_CONNECT;
	ev.family = AF_INET6;
	ev.proto = 6;
	ev.port = 8080;
	inet_pton(AF_INET6, "::ffff:127.0.0.1", ev.addr);
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN, &fmt);
	assert_string_equal(get(o, "kind"), "net");
	assert_string_equal(get(o, "op"), "connect");
	assert_string_equal(get(o, "proto"), "tcp");
	assert_string_equal(get(o, "addr"), "::ffff:127.0.0.1");
	assert_string_equal(get(o, "port"), "8080");
	assert_null(get(o, "path"));
	json_object_put(o);

	ev.family = AF_INET;
	ev.proto = 17;
	memset(ev.addr, 0, sizeof(ev.addr));
	inet_pton(AF_INET, "10.1.2.3", ev.addr);
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN, &fmt);
	assert_string_equal(get(o, "addr"), "10.1.2.3");
	assert_string_equal(get(o, "proto"), "udp");
	assert_null(get(o, "type"));
	json_object_put(o);
}

/* A socket refused as it is made: its family and type; port shows 0. */
static void test_net_create_event(void **state)
{
	struct json_object *o;

	ev.kind = TG_KIND_NET;
	ev.op = TG_OP_CREATE;
	ev.family = AF_INET;
	ev.proto = 255; /* IPPROTO_RAW */
	ev.port = SOCK_RAW;
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN, &fmt);
	assert_string_equal(get(o, "op"), "create");
	assert_string_equal(get(o, "family"), "inet");
	assert_string_equal(get(o, "type"), "raw");
	assert_string_equal(get(o, "proto"), "raw");
	assert_string_equal(get(o, "addr"), "0.0.0.0");
	assert_string_equal(get(o, "port"), "0");
	json_object_put(o);

	ev.family = AF_NETLINK;
	ev.proto = 2; /* NETLINK_USERSOCK */
	ev.port = SOCK_DGRAM;
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN, &fmt);
	assert_string_equal(get(o, "family"), "netlink");
	assert_string_equal(get(o, "type"), "dgram");
	assert_string_equal(get(o, "proto"), "usersock");
	assert_string_equal(get(o, "addr"), "family-16");
	json_object_put(o);

	/* An ethertype is no IP protocol; unknown families are numbers. */
	ev.family = AF_PACKET;
	ev.proto = 6;
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN, &fmt);
	assert_string_equal(get(o, "family"), "packet");
	assert_string_equal(get(o, "proto"), "other");
	json_object_put(o);
	ev.family = 39;
	ev.proto = 999;
	ev.port = 77;
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN, &fmt);
	assert_string_equal(get(o, "family"), "39");
	assert_string_equal(get(o, "type"), "other");
	json_object_put(o);
}

static void test_guard_events(void **state)
{
	static const char *const names[] = {"events.jsonl", "log", "var"};
	struct json_object *o;
	__u32 pid = 777;

	ev.kind = TG_KIND_GUARD;
	ev.target_tenant = 0;
	ev.op = TG_OP_KILL;
	ev.family = TG_GUARD_SIGNAL;
	ev.port = 9;
	memcpy(ev.addr + 4, &pid, sizeof(pid));
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN, &fmt);
	assert_non_null(o);
	assert_string_equal(get(o, "kind"), "guard");
	assert_string_equal(get(o, "op"), "kill");
	assert_string_equal(get(o, "check"), "signal");
	assert_string_equal(get(o, "target_pid"), "777");
	assert_string_equal(get(o, "signal"), "9");
	assert_string_equal(get(o, "target_tenant"), "host");
	json_object_put(o);

	memset(ev.addr, 0, sizeof(ev.addr));
	ev.op = TG_OP_CAPABLE;
	ev.family = TG_GUARD_CAP;
	ev.port = 16;
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN, &fmt);
	assert_string_equal(get(o, "check"), "capability");
	assert_string_equal(get(o, "capability"), "CAP_SYS_MODULE");
	assert_string_equal(get(o, "cap"), "16");
	assert_null(get(o, "path"));
	json_object_put(o);

	ev.op = TG_OP_UNLINK;
	ev.family = TG_GUARD_PATH;
	ev.port = 0;
	put_components(names, 3);
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN + ev.path_len, &fmt);
	assert_string_equal(get(o, "check"), "path");
	assert_string_equal(get(o, "op"), "unlink");
	assert_string_equal(get(o, "path"), "/var/log/events.jsonl");
	json_object_put(o);

	ev.op = TG_OP_CGROUP_WRITE;
	ev.family = TG_GUARD_CGROUP;
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN + ev.path_len, &fmt);
	assert_string_equal(get(o, "op"), "cgroup_write");
	json_object_put(o);

	/* An unknown check is a malformed record, never a guess. */
	ev.family = TG_GUARD_CHECKS;
	assert_null(tg_event_json(&ev, TG_EVENT_HDR_LEN + ev.path_len, &fmt));
}

static void test_hostile_strings(void **state)
{
	static const char *const names[] = {"a\"b\\c\n\x01\x7f",
					    "\xff\xfe"
					    "bad",
					    "\xc0\xaf", "ok\xe2\x82\xac"};
	struct json_object *o, *back;

	ev.kind = TG_KIND_FILE;
	ev.op = TG_OP_OPEN;
	memcpy(ev.comm, "ev\"il\n\xff\x1b[31m", sizeof("ev\"il\n\xff\x1b[31m"));
	put_components(names, 4);
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN + ev.path_len, &fmt);
	assert_non_null(o);
	back = roundtrip(o);
	assert_string_equal(get(back, "comm"), "ev\"il\n\xef\xbf\xbd\x1b[31m");
	assert_string_equal(get(back, "path"),
			    "/ok\xe2\x82\xac/\xef\xbf\xbd\xef\xbf\xbd/"
			    "\xef\xbf\xbd\xef\xbf\xbd"
			    "bad/a\"b\\c\n\x01\x7f");
	json_object_put(back);
	json_object_put(o);
}

static void test_malformed_records(void **state)
{
	struct json_object *o;

	ev.kind = TG_KIND_FILE;
	ev.op = TG_OP_OPEN;
	ev.path_len = 100;
	errno = 0;
	assert_null(tg_event_json(&ev, TG_EVENT_HDR_LEN - 1, &fmt));
	assert_int_equal(errno, EINVAL);
	/* path_len beyond the record */
	assert_null(tg_event_json(&ev, TG_EVENT_HDR_LEN + 10, &fmt));
	ev.path_len = 0;
	ev.kind = 99;
	assert_null(tg_event_json(&ev, TG_EVENT_HDR_LEN, &fmt));
	ev.kind = TG_KIND_FILE;
	ev.verdict = 0;
	assert_null(tg_event_json(&ev, TG_EVENT_HDR_LEN, &fmt));
	ev.verdict = TG_VERDICT_DENY;
	assert_null(tg_event_json(&ev, sizeof(ev) + 1, &fmt));
	/* a layout this agent does not know (a later build's programs) */
	ev.version = TG_EVENT_VERSION + 1;
	errno = 0;
	assert_null(tg_event_json(&ev, TG_EVENT_HDR_LEN, &fmt));
	ev.version = 0;
	assert_null(tg_event_json(&ev, TG_EVENT_HDR_LEN, &fmt));
	ev.version = TG_EVENT_VERSION;
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN, &fmt);
	assert_non_null(o);
	json_object_put(o);
}

/*
 * A path that fills the record: path_len TG_PATH_LEN (15 names of 255
 * bytes and one of 223, each with its NUL) is a full record, not a
 * malformed one; a header alone claiming that many path bytes is malformed
 * (the agent reports it).
 */
static void test_path_of_full_length(void **state)
{
	char want[TG_PATH_LEN + 1], *w = want;
	struct tg_buf b = {};
	struct tg_event_names names;
	struct json_object *o;
	size_t last = TG_PATH_LEN - 15 * 256 - 1, l;
	int i;

	ev.kind = TG_KIND_FILE;
	ev.op = TG_OP_OPEN;
	ev.path_flags = TG_PATH_F_COMPONENTS;
	for (i = 0; i < 16; i++) {
		l = i < 15 ? 255 : last;
		memset(ev.path + i * 256, 'a' + i, l);
		ev.path[i * 256 + l] = '\0';
	}
	ev.path_len = TG_PATH_LEN;
	for (i = 15; i >= 0; i--) {
		l = i < 15 ? 255 : last;
		*w++ = '/';
		memset(w, 'a' + i, l);
		w += l;
	}
	*w = '\0';
	assert_int_equal(strlen(want), TG_PATH_LEN);
	o = tg_event_json(&ev, sizeof(ev), &fmt);
	assert_non_null(o);
	assert_string_equal(get(o, "path"), want);
	assert_null(get(o, "path_truncated"));
	json_object_put(o);
	/* The last (topmost) name without its NUL: read up to path_len only. */
	ev.path[TG_PATH_LEN - 1] = 'a' + 15;
	o = tg_event_json(&ev, sizeof(ev), &fmt);
	assert_non_null(o);
	assert_int_equal(strlen(get(o, "path")), TG_PATH_LEN + 1);
	assert_int_equal(strncmp(get(o, "path"), "/", 1), 0);
	assert_int_equal(strspn(get(o, "path") + 1, "p"), last + 1);
	json_object_put(o);
	/* What a mask of path_len used to send: the header alone. */
	assert_int_equal(tg_event_text(&ev, TG_EVENT_HDR_LEN, &fmt, &b, &names),
			 -EINVAL);
	tg_buf_free(&b);
}

static const char *get_in(struct json_object *o, const char *obj, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, obj, &v))
		return NULL;
	return get(v, k);
}

/*
 * Version 2: the object as the host sees it, its root by the policy's
 * path (or by its inode when no policy path has it), the names below it.
 */
static void test_object_fields(void **state)
{
	static const char *const names[] = {"f", "mnt", "globex", "srv"};
	struct tg_root_path rv[] = {
		{.ino = 77, .dev = (8 << 20) | 1, .path = "/srv/acme"}};
	struct tg_root_paths roots = {.v = rv, .n = 1};
	const char below[] = "f\0dir\0sub";
	struct json_object *o;

	fmt.roots = &roots;
	ev.kind = TG_KIND_FILE;
	ev.op = TG_OP_OPEN;
	put_components(names, 4);
	memcpy(ev.path + ev.path_len, below, sizeof(below));
	ev.below_len = sizeof(below);
	ev.obj_flags = TG_OBJ_F_INODE | TG_OBJ_F_ROOT | TG_OBJ_F_NAMES;
	ev.obj_dev = (8 << 20) | 1;
	ev.obj_ino = 4242;
	ev.root_dev = (8 << 20) | 1;
	ev.root_ino = 77;
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN + ev.path_len + ev.below_len,
			  &fmt);
	assert_non_null(o);
	assert_string_equal(get(o, "path"), "/srv/globex/mnt/f");
	assert_string_equal(get_in(o, "object", "dev"), "8:1");
	assert_string_equal(get_in(o, "object", "ino"), "4242");
	assert_string_equal(get_in(o, "object", "owner"), "acme");
	assert_string_equal(get_in(o, "object", "root"), "/srv/acme");
	assert_string_equal(get_in(o, "object", "path"), "sub/dir/f");
	assert_null(get_in(o, "object", "path_truncated"));
	json_object_put(o);
	expect_text_as_json_c(TG_EVENT_HDR_LEN + ev.path_len + ev.below_len);

	/* A root no policy path has (any more): named by its inode. */
	ev.root_ino = 78;
	ev.obj_flags |= TG_OBJ_F_TRUNCATED;
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN + ev.path_len + ev.below_len,
			  &fmt);
	assert_string_equal(get_in(o, "object", "root"), "(inode 8:1:78)");
	assert_string_equal(get_in(o, "object", "path"), ".../sub/dir/f");
	assert_string_equal(get_in(o, "object", "path_truncated"), "true");
	json_object_put(o);

	/* As text (fanotify); nothing below: the root itself. */
	ev.root_ino = 77;
	ev.obj_flags = TG_OBJ_F_INODE | TG_OBJ_F_ROOT;
	strcpy((char *)ev.path, "/x");
	ev.path_len = 2;
	ev.path_flags = 0;
	memcpy(ev.path + 2, "a/b", 3);
	ev.below_len = 3;
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN + 5, &fmt);
	assert_string_equal(get(o, "path"), "/x");
	assert_string_equal(get_in(o, "object", "path"), "a/b");
	json_object_put(o);
	ev.obj_flags |= TG_OBJ_F_TRUNCATED; /* the end of a longer one */
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN + 5, &fmt);
	assert_string_equal(get_in(o, "object", "path"), ".../a/b");
	json_object_put(o);
	ev.obj_flags &= ~TG_OBJ_F_TRUNCATED;
	ev.below_len = 0;
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN + 2, &fmt);
	assert_string_equal(get_in(o, "object", "path"), ".");
	json_object_put(o);

	/* No root above it (a host object): no root, no path. */
	ev.obj_flags = TG_OBJ_F_INODE;
	ev.target_tenant = 0;
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN + 2, &fmt);
	assert_string_equal(get_in(o, "object", "owner"), "host");
	assert_null(get_in(o, "object", "root"));
	assert_null(get_in(o, "object", "path"));
	json_object_put(o);

	/* No object at all (guard events, a refusal without a policy). */
	ev.obj_flags = 0;
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN + 2, &fmt);
	assert_null(get(o, "object"));
	json_object_put(o);

	/* The names below beyond the record: malformed. */
	ev.obj_flags = TG_OBJ_F_INODE | TG_OBJ_F_ROOT;
	ev.below_len = 3;
	assert_null(tg_event_json(&ev, TG_EVENT_HDR_LEN + 4, &fmt));
	assert_int_equal(errno, EINVAL);
	fmt.roots = NULL;
}

/* A version 1 record (80-byte header, path after it), as programs pinned by
 * an older build write them: decoded as before, without an object. */
static void test_version_1(void **state)
{
	static const char *const names[] = {"data", "acme", "srv"};
	static unsigned char rec[TG_EVENT_SIZE];
	struct json_object *o;
	char want[TG_PATH_V1_LEN + 8];
	size_t n = 0;
	int i;

	ev.kind = TG_KIND_FILE;
	ev.op = TG_OP_OPEN;
	ev.version = 1;
	put_components(names, 3);
	memcpy(rec, &ev, TG_EVENT_HDR_V1_LEN);
	memcpy(rec + TG_EVENT_HDR_V1_LEN, ev.path, ev.path_len);
	o = tg_event_json(rec, TG_EVENT_HDR_V1_LEN + ev.path_len, &fmt);
	assert_non_null(o);
	assert_string_equal(get(o, "path"), "/srv/acme/data");
	assert_string_equal(get(o, "tenant"), "globex");
	assert_null(get(o, "object"));
	json_object_put(o);
	/* Its path beyond the record: malformed. */
	assert_null(tg_event_json(rec, TG_EVENT_HDR_V1_LEN + 3, &fmt));
	/* A version 2 header is longer than what a version 1 record may be. */
	ev.version = TG_EVENT_VERSION;
	memcpy(rec, &ev, TG_EVENT_HDR_V1_LEN);
	assert_null(tg_event_json(rec, TG_EVENT_HDR_V1_LEN, &fmt));

	/*
	 * A full version 1 path (16 names of 255 bytes) is longer than version
	 * 2 holds: its topmost names are left out, said so.
	 */
	ev.version = 1;
	ev.path_len = TG_PATH_V1_LEN;
	ev.path_flags = TG_PATH_F_COMPONENTS;
	memcpy(rec, &ev, TG_EVENT_HDR_V1_LEN);
	for (i = 0; i < 16; i++) {
		memset(rec + TG_EVENT_HDR_V1_LEN + i * 256, 'a' + i, 255);
		rec[TG_EVENT_HDR_V1_LEN + i * 256 + 255] = '\0';
	}
	n = (size_t)snprintf(want, sizeof(want), "...");
	for (i = 14; i >= 0; i--) {
		want[n++] = '/';
		memset(want + n, 'a' + i, 255);
		n += 255;
	}
	want[n] = '\0';
	o = tg_event_json(rec, sizeof(rec), &fmt);
	assert_non_null(o);
	assert_string_equal(get(o, "path"), want);
	assert_string_equal(get(o, "path_truncated"), "true");
	json_object_put(o);
}

/*
 * A version 2 record (112-byte header, no actor): decoded with no actor
 * fields; a path and names below its root that version 3 cannot hold
 * lose names at the ends, said so.
 */
static void test_version_2(void **state)
{
	static unsigned char rec[TG_EVENT_SIZE];
	struct json_object *o, *obj;
	const char *path;
	size_t below = 200;
	int i;

	ev.kind = TG_KIND_FILE;
	ev.op = TG_OP_OPEN;
	ev.version = 2;
	ev.path_flags = TG_PATH_F_COMPONENTS;
	ev.obj_flags = TG_OBJ_F_INODE | TG_OBJ_F_ROOT | TG_OBJ_F_NAMES;
	ev.obj_dev = (8 << 20) | 1;
	ev.obj_ino = 77;
	/* 15 names of 255 bytes, then 200 bytes of names below the root. */
	ev.path_len = 15 * 256;
	ev.below_len = (__u32)below;
	memcpy(rec, &ev, TG_EVENT_HDR_V2_LEN);
	for (i = 0; i < 15; i++) {
		memset(rec + TG_EVENT_HDR_V2_LEN + i * 256, 'a' + i, 255);
		rec[TG_EVENT_HDR_V2_LEN + i * 256 + 255] = '\0';
	}
	for (i = 0; i < 2; i++) {
		memset(rec + TG_EVENT_HDR_V2_LEN + ev.path_len + i * 100,
		       'x' + i, 99);
		rec[TG_EVENT_HDR_V2_LEN + ev.path_len + i * 100 + 99] = '\0';
	}
	o = tg_event_json(rec, TG_EVENT_HDR_V2_LEN + ev.path_len + below, &fmt);
	assert_non_null(o);
	path = get(o, "path");
	assert_non_null(path);
	assert_int_equal(strlen(path), 15 * 256);
	assert_true(json_object_object_get_ex(o, "object", &obj));
	assert_string_equal(get(obj, "ino"), "77");
	/* 4008 - 3840 = 168 bytes below: one name of 100 kept. */
	assert_string_equal(get(obj, "path_truncated"), "true");
	assert_null(get(o, "uid"));
	assert_null(get(o, "login_uid"));
	json_object_put(o);
	/* Names below beyond the record: malformed. */
	assert_null(tg_event_json(rec, TG_EVENT_HDR_V2_LEN + ev.path_len + 10,
				  &fmt));
}

/* Version 3: who acted; a support actor's event names the host as tenant. */
static void test_actor_fields(void **state)
{
	struct json_object *o;

	ev.kind = TG_KIND_NET;
	ev.op = TG_OP_CONNECT;
	ev.family = 2;
	ev.proto = 6;
	ev.port = 80;
	ev.actor_flags = TG_ACTOR_F_TASK;
	ev.login_uid = TG_NO_LOGIN_UID;
	ev.uid = 1001;
	ev.gid = 1002;
	ev.ppid = 1;
	strcpy((char *)ev.parent_comm, "systemd");
	ev.cgroup_id = 12345;
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN, &fmt);
	assert_non_null(o);
	assert_string_equal(get(o, "uid"), "1001");
	assert_string_equal(get(o, "gid"), "1002");
	assert_string_equal(get(o, "ppid"), "1");
	assert_string_equal(get(o, "parent_comm"), "systemd");
	assert_string_equal(get(o, "cgroup_id"), "12345");
	assert_null(get(o, "cgroup")); /* no cgroup mount in fmt */
	assert_null(get(o, "login_uid"));
	assert_null(get(o, "actor"));
	assert_null(get(o, "exe")); /* none recorded: a kernel thread */
	json_object_put(o);
	/* The executable by inode: gone with the process. */
	ev.exe_dev = (8 << 20) | 1;
	ev.exe_ino = 99;
	ev.pid = 0x7ffffff0;
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN, &fmt);
	assert_string_equal(get(o, "exe"), "(exited)");
	assert_string_equal(get(o, "exe_dev"), "8:1");
	assert_string_equal(get(o, "exe_ino"), "99");
	json_object_put(o);
	/* A support actor: login uid, actor, tenant host. */
	ev.tenant = TG_TENANT_HOST;
	ev.actor_flags |= TG_ACTOR_F_SUPPORT;
	ev.login_uid = 0;
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN, &fmt);
	assert_string_equal(get(o, "tenant"), "host");
	assert_string_equal(get(o, "actor"), "support");
	assert_string_equal(get(o, "login_uid"), "0");
	assert_string_equal(get(o, "user"), "root");
	json_object_put(o);
	/* Without TG_ACTOR_F_TASK (hooks outside the task): none of them. */
	ev.actor_flags = 0;
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN, &fmt);
	assert_null(get(o, "uid"));
	assert_null(get(o, "exe"));
	json_object_put(o);
}

static void test_unknown_tenant_id(void **state)
{
	struct json_object *o;

	ev.kind = TG_KIND_NET;
	ev.op = TG_OP_CONNECT;
	ev.tenant = 77;
	ev.target_tenant = 0;
	o = tg_event_json(&ev, TG_EVENT_HDR_LEN, &fmt);
	assert_string_equal(get(o, "tenant"), "tenant-77");
	assert_string_equal(get(o, "target_tenant"), "host");
	json_object_put(o);
}

static void test_agent_event(void **state)
{
	struct json_object *o = tg_agent_event(&fmt, "start", "allow", "hello");
	char t[48];

	assert_string_equal(get(o, "kind"), "agent");
	assert_string_equal(get(o, "tenant"), "host");
	assert_string_equal(get(o, "target_tenant"), "host");
	assert_string_equal(get(o, "op"), "start");
	assert_string_equal(get(o, "message"), "hello");
	assert_non_null(get(o, "pid"));
	assert_non_null(get(o, "comm"));
	tg_format_time(t, sizeof(t), 0);
	assert_string_equal(t, "1970-01-01T00:00:00.000000000Z");
	json_object_put(o);
}

static void test_utf8_sanitize(void **state)
{
	char *s;

	s = tg_utf8_sanitize("h\xc3\xa9llo", 16);
	assert_string_equal(s, "h\xc3\xa9llo");
	free(s);
	/* surrogate, overlong, truncated sequence, beyond U+10FFFF */
	s = tg_utf8_sanitize(
		"\xed\xa0\x80|\xe0\x80\xaf|\xe2\x82|\xf4\x90\x80\x80", 32);
	assert_string_equal(s,
			    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|"
			    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|"
			    "\xef\xbf\xbd\xef\xbf\xbd|"
			    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	free(s);
	/* stops at n without a NUL */
	s = tg_utf8_sanitize("abcdef", 3);
	assert_string_equal(s, "abc");
	free(s);
}

/*
 * The text is what json-c prints for the same object, byte for byte, and the
 * collector's strict check takes it: hostile names, IPv6, a cut path.
 */
static void expect_text_as_json_c(size_t size)
{
	const char *reprint;
	char why[128] = "";
	struct tg_event_names names;
	struct tg_buf b = {};
	struct json_object *o;

	assert_int_equal(tg_event_text(&ev, size, &fmt, &b, &names), 0);
	assert_int_equal(tg_buf_put(&b, "", 1), 0);
	o = json_tokener_parse(b.p);
	assert_non_null(o);
	reprint = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	assert_string_equal(b.p, reprint);
	if (tg_json_check_object(b.p, b.len - 1, 8, NULL, why, sizeof(why)))
		fail_msg("%s: %s", why, b.p);
	assert_string_equal(names.tenant, "globex");
	json_object_put(o);
	tg_buf_free(&b);
}

static void test_text_matches_json_c(void **state)
{
	static const char *const names[] = {"a\"b\\c\n\x01\x1f\x7f/",
					    "\xff\xfe"
					    "bad",
					    "\xc0\xaf\t\b\f\r",
					    "ok\xe2\x82\xac\xf0\x9f\x98\x80"};
	struct in6_addr a6;

	ev.kind = TG_KIND_FILE;
	ev.op = TG_OP_OPEN;
	memcpy(ev.comm, "ev\"il\n\xff\x1b[31", sizeof("ev\"il\n\xff\x1b[31"));
	put_components(names, 4);
	ev.path_flags = TG_PATH_F_COMPONENTS | TG_PATH_F_TRUNCATED;
	expect_text_as_json_c(TG_EVENT_HDR_LEN + ev.path_len);
	ev.path_flags = 0;
	expect_text_as_json_c(TG_EVENT_HDR_LEN + ev.path_len);
	ev.kind = TG_KIND_NET;
	ev.op = TG_OP_CONNECT;
	ev.path_len = 0;
	ev.family = AF_INET6;
	ev.proto = 17;
	inet_pton(AF_INET6, "fd00::1", &a6);
	memcpy(ev.addr, &a6, 16);
	ev.port = 65535;
	expect_text_as_json_c(TG_EVENT_HDR_LEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file_event, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_truncated_and_root_paths,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_net_event, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_net_create_event, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_guard_events, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unix_event, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hostile_strings, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_malformed_records, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_object_fields, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_version_1, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_path_of_full_length, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_version_2, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_actor_fields, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_tenant_id, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_agent_event, setup,
						teardown),
		cmocka_unit_test(test_utf8_sanitize),
		cmocka_unit_test_setup_teardown(test_text_matches_json_c, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
