// SPDX-License-Identifier: GPL-2.0
/* Ring buffer records and agent notices as JSON event objects. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agentd/event_text.h"
#include "agentd/guard.h"
#include "agentd/actor_names.h"
#include "common/procfs.h"
#include "common/text.h"
#include "agentd/mountpath.h"

static int add_str(struct json_object *o, const char *key, const char *s,
		   size_t n)
{
	struct json_object *v;
	char *clean = NULL;
	size_t i;

	/* Plain ASCII (most names) needs no copy to be valid UTF-8. */
	n = strnlen(s, n);
	for (i = 0; i < n && !((unsigned char)s[i] & 0x80); i++)
		;
	if (i == n) {
		v = json_object_new_string_len(s, (int)n);
		goto out_add;
	}
	clean = tg_utf8_sanitize(s, n);
	if (!clean)
		return -ENOMEM;
	v = json_object_new_string(clean);
	free(clean);
out_add:
	if (!v)
		return -ENOMEM;
	return json_object_object_add(o, key, v) ? -ENOMEM : 0;
}

static int add_int(struct json_object *o, const char *key, __s64 n)
{
	struct json_object *v = json_object_new_int64(n);

	if (!v)
		return -ENOMEM;
	return json_object_object_add(o, key, v) ? -ENOMEM : 0;
}

static const char *kind_name(__u32 kind)
{
	switch (kind) {
	case TG_KIND_FILE: return "file";
	case TG_KIND_NET: return "net";
	case TG_KIND_UNIX: return "unix";
	case TG_KIND_PROC: return "proc";
	case TG_KIND_SECCOMP: return "seccomp";
	case TG_KIND_AGENT: return "agent";
	case TG_KIND_GUARD: return "guard";
	}
	return NULL;
}

static const char *verdict_name(__u32 v)
{
	switch (v) {
	case TG_VERDICT_DENY: return "deny";
	case TG_VERDICT_AUDIT: return "audit";
	case TG_VERDICT_ALLOW: return "allow";
	}
	return NULL;
}

/* What a watch (op watch) covers, from the event's port. */
static const char *watch_name(__u32 what)
{
	switch (what) {
	case 0: return "object";
	case 1: return "mount";
	case 2: return "filesystem";
	}
	return "other";
}

static const char *op_name(__u32 op)
{
	switch (op) {
	case TG_OP_OPEN: return "open";
	case TG_OP_CONNECT: return "connect";
	case TG_OP_BIND: return "bind";
	case TG_OP_SENDMSG: return "sendmsg";
	case TG_OP_CREATE: return "create";
	case TG_OP_MKDIR: return "mkdir";
	case TG_OP_MKNOD: return "mknod";
	case TG_OP_SYMLINK: return "symlink";
	case TG_OP_LINK: return "link";
	case TG_OP_UNLINK: return "unlink";
	case TG_OP_RMDIR: return "rmdir";
	case TG_OP_RENAME: return "rename";
	case TG_OP_TRUNCATE: return "truncate";
	case TG_OP_CHMOD: return "chmod";
	case TG_OP_CHOWN: return "chown";
	case TG_OP_SETATTR: return "setattr";
	case TG_OP_SETXATTR: return "setxattr";
	case TG_OP_REMOVEXATTR: return "removexattr";
	case TG_OP_RECEIVE: return "receive";
	case TG_OP_EXEC: return "exec";
	case TG_OP_IOCTL: return "ioctl";
	case TG_OP_WATCH: return "watch";
	case TG_OP_READ: return "read";
	case TG_OP_WRITE: return "write";
	case TG_OP_MMAP: return "mmap";
	case TG_OP_LISTEN: return "listen";
	case TG_OP_ACCEPT: return "accept";
	case TG_OP_RECVMSG: return "recvmsg";
	case TG_OP_GETSCHEDULER: return "getscheduler";
	case TG_OP_GETIOPRIO: return "getioprio";
	case TG_OP_SIGNAL: return "signal";
	case TG_OP_PROC_OPEN: return "proc_open";
	case TG_OP_SETNICE: return "setnice";
	case TG_OP_SETIOPRIO: return "setioprio";
	case TG_OP_SETSCHEDULER: return "setscheduler";
	case TG_OP_SETRLIMIT: return "setrlimit";
	case TG_OP_MOVEMEMORY: return "movememory";
	case TG_OP_IPC: return "ipc";
	case TG_OP_PTRACE: return "ptrace";
	case TG_OP_KILL: return "kill";
	case TG_OP_BPF: return "bpf";
	case TG_OP_CAPABLE: return "capable";
	case TG_OP_MOUNT: return "mount";
	case TG_OP_UMOUNT: return "umount";
	case TG_OP_MOVE_MOUNT: return "move_mount";
	case TG_OP_CGROUP_WRITE: return "cgroup_write";
	case TG_OP_PERF: return "perf_event_open";
	case TG_OP_SUPPRESSED: return "suppressed";
	}
	return NULL;
}

/* The name of protocol proto of an inet or inet6 socket, or "other". */
static const char *inet_proto_name(__u16 proto)
{
	switch (proto) {
	case 1: return "icmp";	    /* IPPROTO_ICMP */
	case 6: return "tcp";	    /* IPPROTO_TCP */
	case 17: return "udp";	    /* IPPROTO_UDP */
	case 33: return "dccp";	    /* IPPROTO_DCCP */
	case 58: return "icmpv6";   /* IPPROTO_ICMPV6 */
	case 115: return "l2tp";    /* IPPROTO_L2TP */
	case 132: return "sctp";    /* IPPROTO_SCTP */
	case 136: return "udplite"; /* IPPROTO_UDPLITE */
	case 255: return "raw";	    /* IPPROTO_RAW */
	case 256: return "smc";	    /* IPPROTO_SMC */
	case 262: return "mptcp";   /* IPPROTO_MPTCP */
	}
	return "other";
}

/* The name of netlink protocol proto, or "other". */
static const char *netlink_proto_name(__u16 proto)
{
	static const char *const names[] = {
		"route",	  "unused",	"usersock",
		"firewall",	  "sock_diag",	"nflog",
		"xfrm",		  "selinux",	"iscsi",
		"audit",	  "fib_lookup", "connector",
		"netfilter",	  "ip6_fw",	"dnrtmsg",
		"kobject_uevent", "generic",	"other",
		"scsitransport",  "ecryptfs",	"rdma",
		"crypto",	  "smc"};

	return proto < sizeof(names) / sizeof(names[0]) ? names[proto]
							: "other";
}

/* The name of protocol proto of a socket of family family, or "other". */
static const char *proto_name(__u16 family, __u16 proto)
{
	if (family == AF_INET || family == AF_INET6)
		return inet_proto_name(proto);
	if (family == AF_NETLINK)
		return netlink_proto_name(proto);
	return "other";
}

/* The name of socket family family, or NULL. */
static const char *family_name(__u16 family)
{
	switch (family) {
	case AF_UNIX: return "unix";
	case AF_INET: return "inet";
	case AF_INET6: return "inet6";
	case AF_NETLINK: return "netlink";
	case AF_PACKET: return "packet";
	case AF_KEY: return "key";
	case AF_ALG: return "alg";
	case AF_VSOCK: return "vsock";
	case AF_TIPC: return "tipc";
	case AF_RDS: return "rds";
	case AF_XDP: return "xdp";
	}
	return NULL;
}

/* The name of socket type type, or "other". */
static const char *type_name(__u16 type)
{
	switch (type) {
	case SOCK_STREAM: return "stream";
	case SOCK_DGRAM: return "dgram";
	case SOCK_RAW: return "raw";
	case SOCK_RDM: return "rdm";
	case SOCK_SEQPACKET: return "seqpacket";
	case SOCK_DCCP: return "dccp";
	case SOCK_PACKET: return "packet";
	}
	return "other";
}

/* Start a JSON object with the fields every event has. */
static struct json_object *
common_fields(const struct tg_event_fmt *f, __s64 real_ns, const char *kind,
	      const char *verdict, const char *tenant, const char *target,
	      __u32 pid, const char *comm, size_t comm_len, const char *op)
{
	struct json_object *o = json_object_new_object();
	char t[48];
	int err = 0;

	if (!o)
		return NULL;
	tg_format_time(t, sizeof(t), real_ns);
	err = err ?: add_str(o, "time", t, sizeof(t));
	err = err ?: add_str(o, "host", f->host, strlen(f->host));
	err = err ?: add_str(o, "kind", kind, strlen(kind));
	err = err ?: add_str(o, "verdict", verdict, strlen(verdict));
	err = err ?: add_str(o, "tenant", tenant, strlen(tenant));
	err = err ?: add_str(o, "target_tenant", target, strlen(target));
	err = err ?: add_int(o, "pid", pid);
	err = err ?: add_str(o, "comm", comm, comm_len);
	err = err ?: add_str(o, "op", op, strlen(op));
	if (err) {
		json_object_put(o);
		errno = -err;
		return NULL;
	}
	return o;
}

/*
 * Join the leaf-first NUL-separated names of the max bytes at p into out:
 * "/c/b/a" with lead, else "c/b/a"; no name: "/" with lead, else ".";
 * "..." first if truncated.
 */
static void join_names(const __u8 *p, size_t max, int truncated, int lead,
		       char *out, size_t len)
{
	const char *names[TG_PATH_LEN / 2];
	size_t lens[TG_PATH_LEN / 2];
	size_t n = 0, i = 0, o = 0;
	int k;

	if (max > TG_PATH_LEN)
		max = TG_PATH_LEN;
	/* The last name may lack its NUL: never read past max. */
	while (i < max && n < TG_PATH_LEN / 2) {
		names[n] = (const char *)p + i;
		lens[n] = strnlen(names[n], max - i);
		i += lens[n++] + 1;
	}
	if (truncated)
		o += (size_t)snprintf(out, len, lead ? "..." : ".../");
	if (n == 0 && !truncated)
		o += (size_t)snprintf(out + o, len - o, lead ? "/" : ".");
	for (k = (int)n - 1; k >= 0 && o < len; k--)
		o += (size_t)snprintf(out + o, len - o, "%s%.*s",
				      lead || k < (int)n - 1 ? "/" : "",
				      (int)lens[k], names[k]);
	out[len - 1] = '\0';
}

/* Join the leaf-first NUL-separated components of ev->path into out. */
static void join_components(const struct tg_event *ev, char *out, size_t len)
{
	join_names(ev->path, ev->path_len, ev->path_flags & TG_PATH_F_TRUNCATED,
		   1, out, len);
}

/* s (at most n bytes, up to a NUL) as a JSON string, valid UTF-8. */
static int put_str(struct tg_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	char esc[8];
	size_t i = 0, k, run;
	int err = tg_buf_put(b, "\"", 1);

	n = strnlen(s, n);
	while (!err && i < n) {
		/* A run of bytes that go out as they are. */
		for (run = i; run < n && p[run] >= 0x20 && p[run] < 0x80 &&
			      p[run] != '"' && p[run] != '\\';
		     run++)
			;
		err = tg_buf_put(b, s + i, run - i);
		i = run;
		if (err || i == n)
			break;
		if (p[i] >= 0x80) {
			k = tg_utf8_seq_len(p + i, n - i);
			err = k ? tg_buf_put(b, s + i, k)
				: tg_buf_put(b, "\xef\xbf\xbd", 3);
			i += k ? k : 1;
			continue;
		}
		/* As json-c writes them. */
		esc[0] = '\\';
		switch (p[i]) {
		case '"':
			esc[1] = '"';
			k = 2;
			break;
		case '\\':
			esc[1] = '\\';
			k = 2;
			break;
		case '\b':
			esc[1] = 'b';
			k = 2;
			break;
		case '\f':
			esc[1] = 'f';
			k = 2;
			break;
		case '\n':
			esc[1] = 'n';
			k = 2;
			break;
		case '\r':
			esc[1] = 'r';
			k = 2;
			break;
		case '\t':
			esc[1] = 't';
			k = 2;
			break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[p[i] >> 4];
			esc[5] = hex[p[i] & 0xf];
			k = 6;
		}
		err = tg_buf_put(b, esc, k);
		i++;
	}
	return err ?: tg_buf_put(b, "\"", 1);
}

/*
 * The path of a file event into out: components joined, and for a path
 * recorded from its filesystem's root (inode hooks see no mount), placed
 * in this agent's mount tree by the device in ev->addr.
 */
static void file_path(const struct tg_event *ev, const struct tg_event_fmt *f,
		      char *out, size_t len)
{
	char fspath[TG_PATH_LEN + 8];
	__u32 dev;

	if ((ev->path_flags &
	     (TG_PATH_F_COMPONENTS | TG_PATH_F_FSROOT | TG_PATH_F_TRUNCATED)) ==
	    (TG_PATH_F_COMPONENTS | TG_PATH_F_FSROOT)) {
		join_components(ev, fspath, sizeof(fspath));
		memcpy(&dev, ev->addr, sizeof(dev));
		tg_mount_path(f->mountinfo ?: "/proc/self/mountinfo", dev,
			      fspath, out, len);
	} else if (ev->path_flags & TG_PATH_F_COMPONENTS) {
		join_components(ev, out, len);
	} else {
		snprintf(out, len, "%.*s", (int)ev->path_len,
			 (const char *)ev->path);
	}
}

/*
 * A unix socket's name from its sun_path bytes (path_len of them) into out:
 * "@name" for an abstract one (leading NUL), a pathname up to its NUL, ""
 * for an unnamed one. Control bytes, DEL, backslash and bytes that are not
 * UTF-8 are written as \xHH, so every name prints and none is mistaken for
 * another. out holds at least TG_UNIX_NAME_MAX * 4 + 2 bytes.
 */
static size_t unix_path(const struct tg_event *ev, char *out)
{
	const unsigned char *p = ev->path;
	size_t n = ev->path_len, i = 0, o_len = 0, k;

	if (n > TG_UNIX_NAME_MAX)
		n = TG_UNIX_NAME_MAX;
	if (n && p[0] == '\0') {
		out[o_len++] = '@';
		i = 1;
	} else {
		n = strnlen((const char *)p, n);
	}
	while (i < n) {
		k = p[i] > 0x7f ? tg_utf8_seq_len(p + i, n - i) : 0;
		if (k) {
			memcpy(out + o_len, p + i, k);
			o_len += k;
			i += k;
		} else if (p[i] < 0x20 || p[i] >= 0x7f || p[i] == '\\') {
			o_len += (size_t)snprintf(out + o_len, 5, "\\x%02x",
						  p[i]);
			i++;
		} else {
			out[o_len++] = (char)p[i++];
		}
	}
	out[o_len] = '\0';
	return o_len;
}

/* ,"key": (or {"key": for the first); no printf: it is per field. */
static int put_key(struct tg_buf *b, const char *key)
{
	return tg_buf_put(b, b->len ? ",\"" : "{\"", 2) ?:
	       tg_buf_put(b, key, strlen(key)) ?: tg_buf_put(b, "\":", 2);
}

/* ,"key":"value" */
static int put_field(struct tg_buf *b, const char *key, const char *s, size_t n)
{
	return put_key(b, key) ?: put_str(b, s, n);
}

/* ,"key":v */
static int put_int(struct tg_buf *b, const char *key, unsigned long v)
{
	char d[24];
	int i = sizeof(d);

	do
		d[--i] = (char)('0' + v % 10);
	while (v /= 10);
	return put_key(b, key) ?: tg_buf_put(b, d + i, sizeof(d) - (size_t)i);
}

/*
 * The fields of a socket refused at creation (kind net, op create): its
 * family and type (which the event's port holds, see event_abi.h).
 */
static int create_fields(struct tg_buf *out, const struct tg_event *ev)
{
	const char *family = family_name(ev->family);
	const char *type = type_name(ev->port);
	char num[24];
	int err;

	if (!family) {
		snprintf(num, sizeof(num), "%u", ev->family);
		family = num;
	}
	err = put_field(out, "family", family, strlen(family));
	return err ?: put_field(out, "type", type, strlen(type));
}

/* ,"key":v for a value that may be negative */
static int put_signed(struct tg_buf *b, const char *key, long v)
{
	char d[24];
	int n = snprintf(d, sizeof(d), "%ld", v);

	return put_key(b, key) ?: tg_buf_put(b, d, (size_t)n);
}

/* "MAJ:MIN" of a kernel dev_t (MAJOR << 20 | MINOR). */
static void dev_text(__u32 dev, char *out, size_t len)
{
	snprintf(out, len, "%u:%u", dev >> 20, dev & 0xfffff);
}

/*
 * The fields of a guard event after op: "check", then what it names (see
 * event_abi.h): the target's pid and the signal or ptrace mode, the bpf
 * command, the capability, the perf event type, or the path.
 */
static int guard_fields(struct tg_buf *out, const struct tg_event *ev,
			const struct tg_event_fmt *f, char *path, size_t len)
{
	const char *check = tg_guard_check_name(ev->family);
	const char *cap;
	__u32 pid;
	int err;

	if (!check)
		return -EINVAL;
	err = put_field(out, "check", check, strlen(check));
	memcpy(&pid, ev->addr + 4, sizeof(pid));
	switch (ev->family) {
	case TG_GUARD_SIGNAL:
		err = err ?: put_int(out, "target_pid", pid);
		return err ?: put_int(out, "signal", ev->port);
	case TG_GUARD_PTRACE:
		err = err ?: put_int(out, "target_pid", pid);
		return err ?: put_int(out, "ptrace_mode", ev->port);
	case TG_GUARD_BPF: return err ?: put_int(out, "bpf_cmd", ev->port);
	case TG_GUARD_PERF: return err ?: put_int(out, "perf_type", ev->port);
	case TG_GUARD_CAP:
		cap = tg_cap_name(ev->port);
		err = err ?: put_int(out, "cap", ev->port);
		return err
			       ?: put_field(out, "capability", cap ?: "unknown",
					    strlen(cap ?: "unknown"));
	}
	file_path(ev, f, path, len);
	err = err ?: put_field(out, "path", path, len);
	if (!err && (ev->path_flags & TG_PATH_F_TRUNCATED))
		err = tg_buf_put(out, ",\"path_truncated\":true", 22);
	/* A socket named by its inode (a connect: no path is known). */
	if (!err && !ev->path_len && (ev->obj_flags & TG_OBJ_F_INODE)) {
		char dev[48];

		dev_text(ev->obj_dev, dev, sizeof(dev));
		err = put_field(out, "dev", dev, sizeof(dev));
		err = err ?: put_int(out, "ino", ev->obj_ino);
	}
	return err;
}

/*
 * The fields of a proc event after op (see event_abi.h): the target task,
 * then what the op names.
 */
static int proc_fields(struct tg_buf *out, const struct tg_event *ev)
{
	static const char *const ipc[] = {"?", "shm", "msg", "sem"};
	__u32 tid, tgid;
	__s32 key;
	int err;

	if (ev->op == TG_OP_IPC) {
		memcpy(&tid, ev->addr, sizeof(tid));
		memcpy(&key, ev->addr + 4, sizeof(key));
		err = put_field(out, "ipc",
				ipc[ev->family < 4 ? ev->family : 0], 3);
		err = err ?: put_int(out, "ipc_id", tid);
		err = err ?: put_signed(out, "ipc_key", key);
		if (ev->port & 0x8000)
			return err
				       ?: put_int(out, "ctl_cmd",
						  ev->port & 0x7fff);
		return err ?: put_int(out, "access", ev->port);
	}
	memcpy(&tid, ev->addr, sizeof(tid));
	memcpy(&tgid, ev->addr + 4, sizeof(tgid));
	err = put_int(out, "target_pid", tgid);
	err = err ?: put_int(out, "target_tid", tid);
	err = err
		      ?: put_field(out, "target_comm", (const char *)ev->path,
				   ev->path_len < TG_COMM_LEN ? ev->path_len
							      : TG_COMM_LEN);
	switch (ev->op) {
	case TG_OP_SIGNAL:
		err = err ?: put_int(out, "signal", ev->port);
		return err
			       ?: put_field(out, "via",
					    ev->family ? "file_owner"
						       : "syscall",
					    ev->family ? 10 : 7);
	case TG_OP_PTRACE: return err ?: put_int(out, "ptrace_mode", ev->port);
	case TG_OP_PROC_OPEN: return err ?: put_int(out, "mask", ev->port);
	case TG_OP_SETNICE:
		return err ?: put_signed(out, "nice", ev->port - 20);
	case TG_OP_SETIOPRIO: return err ?: put_int(out, "ioprio", ev->port);
	case TG_OP_SETRLIMIT: return err ?: put_int(out, "resource", ev->port);
	}
	return err;
}

/*
 * Keep the first max bytes of a path of len bytes at p: with components
 * (names ending in a NUL), whole names only. Returns the bytes kept.
 */
static __u32 keep_names(__u8 *p, __u32 len, __u32 max, int components)
{
	__u32 n = len < max ? len : max;

	if (n < len)
		while (components && n && p[n - 1])
			p[--n] = '\0';
	return n;
}

/*
 * A record of an older version (header hdr bytes, then path_len +
 * below_len bytes of path, below_len from version 2 on) into ev as the
 * current version: the fields it lacks 0, a path longer than TG_PATH_LEN
 * cut (its topmost names, TG_PATH_F_TRUNCATED; names below the owned root
 * beyond it, TG_OBJ_F_TRUNCATED).
 */
static int decode_old(const void *rec, size_t size, size_t hdr,
		      struct tg_event *ev)
{
	const __u8 *src = (const __u8 *)rec + hdr;
	__u64 len;
	__u32 n;

	memset(ev, 0, sizeof(*ev));
	memcpy(ev, rec, hdr);
	len = (__u64)ev->path_len + ev->below_len;
	if (len > size - hdr)
		return -EINVAL;
	n = (__u32)(len < TG_PATH_LEN ? len : TG_PATH_LEN);
	memcpy(ev->path, src, n);
	if (ev->path_len > TG_PATH_LEN) {
		ev->path_len =
			keep_names(ev->path, ev->path_len, TG_PATH_LEN,
				   ev->path_flags & TG_PATH_F_COMPONENTS);
		ev->path_flags |= TG_PATH_F_TRUNCATED;
		if (ev->below_len)
			ev->obj_flags |= TG_OBJ_F_TRUNCATED;
		ev->below_len = 0;
	} else if (len > TG_PATH_LEN) {
		ev->below_len =
			keep_names(ev->path + ev->path_len, ev->below_len,
				   TG_PATH_LEN - ev->path_len,
				   ev->obj_flags & TG_OBJ_F_NAMES);
		ev->obj_flags |= TG_OBJ_F_TRUNCATED;
	}
	memset(ev->path + ev->path_len + ev->below_len, 0,
	       TG_PATH_LEN - ev->path_len - ev->below_len);
	return 0;
}

/*
 * The size bytes of record rec into ev as the current version, every byte
 * after them 0. Versions 1 (no object) and 2 (no actor) are decoded too.
 * -EPROTO for a version not known, -EINVAL if the path is longer than the
 * record.
 */
static int decode(const void *rec, size_t size, struct tg_event *ev)
{
	const struct tg_event *v = rec;

	if (size < TG_EVENT_HDR_V1_LEN || size > sizeof(*ev))
		return -EINVAL;
	if (v->version == 1) {
		/* A path only: no below_len, no object, no actor. */
		memset(ev, 0, sizeof(*ev));
		memcpy(ev, rec, TG_EVENT_HDR_V1_LEN);
		if (ev->path_len > size - TG_EVENT_HDR_V1_LEN)
			return -EINVAL;
		memcpy(ev->path, (const __u8 *)rec + TG_EVENT_HDR_V1_LEN,
		       ev->path_len < TG_PATH_LEN ? ev->path_len : TG_PATH_LEN);
		if (ev->path_len > TG_PATH_LEN) {
			ev->path_len = keep_names(
				ev->path, ev->path_len, TG_PATH_LEN,
				ev->path_flags & TG_PATH_F_COMPONENTS);
			ev->path_flags |= TG_PATH_F_TRUNCATED;
		}
		return 0;
	}
	if (v->version == 2) {
		if (size < TG_EVENT_HDR_V2_LEN)
			return -EINVAL;
		return decode_old(rec, size, TG_EVENT_HDR_V2_LEN, ev);
	}
	if (v->version != TG_EVENT_VERSION)
		return -EPROTO;
	if (size < TG_EVENT_HDR_LEN)
		return -EINVAL;
	memcpy(ev, rec, size);
	memset((char *)ev + size, 0, sizeof(*ev) - size);
	if ((__u64)ev->path_len + ev->below_len > size - TG_EVENT_HDR_LEN)
		return -EINVAL;
	return 0;
}

/*
 * ,"object":{...}: the object of a file event as the host sees it (see
 * event_abi.h), when the record has it: "dev" and "ino", "owner" (the
 * target tenant), the owned "root" above it by its policy path and the
 * "path" below that root. path (len bytes) is scratch.
 */
static int object_fields(struct tg_buf *out, const struct tg_event *ev,
			 const struct tg_event_fmt *f, char *path, size_t len)
{
	static struct tg_buf o;
	const __u8 *below = ev->path + ev->path_len;
	char b[32], dev[48];
	const char *root;
	int err = 0;

	if (!(ev->obj_flags & (TG_OBJ_F_INODE | TG_OBJ_F_ROOT)))
		return 0;
	o.len = 0;
	if (ev->obj_flags & TG_OBJ_F_INODE) {
		dev_text(ev->obj_dev, dev, sizeof(dev));
		err = put_field(&o, "dev", dev, sizeof(dev));
		err = err ?: put_int(&o, "ino", ev->obj_ino);
	}
	err = err
		      ?: put_field(&o, "owner",
				   tg_registry_name(f->reg, ev->target_tenant,
						    b, sizeof(b)),
				   sizeof(b));
	if (!err && (ev->obj_flags & TG_OBJ_F_ROOT)) {
		root = tg_root_paths_find(f->roots, ev->root_dev, ev->root_ino);
		if (!root) {
			/* Not an owned root (any more): its identity. */
			dev_text(ev->root_dev, dev, sizeof(dev));
			snprintf(path, len, "(inode %s:%llu)", dev,
				 (unsigned long long)ev->root_ino);
			root = path;
		}
		err = put_field(&o, "root", root, strlen(root));
		if (ev->obj_flags & TG_OBJ_F_NAMES)
			join_names(below, ev->below_len,
				   ev->obj_flags & TG_OBJ_F_TRUNCATED, 0, path,
				   len);
		else if (ev->below_len)
			snprintf(path, len, "%s%.*s",
				 ev->obj_flags & TG_OBJ_F_TRUNCATED ? ".../"
								    : "",
				 (int)ev->below_len, (const char *)below);
		else
			snprintf(path, len, "."); /* the root itself */
		err = err ?: put_field(&o, "path", path, len);
	}
	if (!err && (ev->obj_flags & TG_OBJ_F_TRUNCATED))
		err = tg_buf_put(&o, ",\"path_truncated\":true", 22);
	err = err ?: tg_buf_put(&o, "}", 1);
	err = err ?: tg_buf_put(out, ",\"object\":", 10);
	return err ?: tg_buf_put(out, o.p, o.len);
}

/*
 * Who acted, from a record that has it (TG_ACTOR_F_TASK): "actor" for a
 * support actor, "grant" for an access allowed under a grant, "login_uid" and
 * its "user" where the login uid is set, "uid", "gid", "ppid", "parent_comm",
 * "exe" (with "exe_dev", "exe_ino": the file the kernel recorded, named while
 * the process still runs it) and "cgroup".
 */
static int actor_fields(struct tg_buf *out, const struct tg_event *ev,
			const struct tg_event_fmt *f)
{
	char text[4096], dev[48];
	int err = 0;

	const char *grant;

	if (ev->actor_flags & TG_ACTOR_F_SUPPORT)
		err = put_field(out, "actor", "support", 8);
	if (ev->actor_flags & TG_ACTOR_F_GRANT) {
		grant = f->grant_of
				? f->grant_of(f->grant_ctx, ev->login_uid,
					      ev->target_tenant, ev->ts_boot_ns)
				: NULL;
		err = err
			      ?: put_field(out, "grant",
					   grant ? grant : "(unknown)",
					   grant ? strlen(grant) : 9);
	}
	if (!(ev->actor_flags & TG_ACTOR_F_TASK))
		return err;
	if (ev->login_uid != TG_NO_LOGIN_UID) {
		tg_actor_user(ev->login_uid, text, sizeof(text));
		err = err ?: put_int(out, "login_uid", ev->login_uid);
		if (*text)
			err = err ?: put_field(out, "user", text, sizeof(text));
	}
	err = err ?: put_int(out, "uid", ev->uid);
	err = err ?: put_int(out, "gid", ev->gid);
	err = err ?: put_int(out, "ppid", ev->ppid);
	err = err
		      ?: put_field(out, "parent_comm",
				   (const char *)ev->parent_comm,
				   sizeof(ev->parent_comm));
	if (ev->exe_dev || ev->exe_ino) {
		tg_actor_exe(ev->pid, ev->exe_dev, ev->exe_ino, text,
			     sizeof(text));
		dev_text(ev->exe_dev, dev, sizeof(dev));
		err = err ?: put_field(out, "exe", text, sizeof(text));
		err = err ?: put_field(out, "exe_dev", dev, sizeof(dev));
		err = err ?: put_int(out, "exe_ino", ev->exe_ino);
	}
	if (ev->cgroup_id) {
		tg_actor_cgroup(f->cgroup_root, ev->cgroup_id, text,
				sizeof(text));
		if (*text)
			err = err
				      ?: put_field(out, "cgroup", text,
						   sizeof(text));
		err = err ?: put_int(out, "cgroup_id", ev->cgroup_id);
	}
	return err;
}

int tg_event_text(const void *rec, size_t size, const struct tg_event_fmt *f,
		  struct tg_buf *out, struct tg_event_names *names)
{
	static struct tg_event ev;
	char t[48], path[TG_PATH_LEN + 8], addr[INET6_ADDRSTRLEN];
	const char *kind, *verdict, *op;
	static char b1[32], b2[32];
	int err;

	err = decode(rec, size, &ev);
	if (err)
		return err;
	kind = kind_name(ev.kind);
	verdict = verdict_name(ev.verdict);
	op = op_name(ev.op);
	if (!kind || !verdict || !op)
		return -EINVAL;
	names->kind = kind;
	names->verdict = verdict;
	names->tenant = tg_registry_name(f->reg, ev.tenant, b1, sizeof(b1));
	/* The fields and their order of common_fields(). */
	tg_format_time(t, sizeof(t), (__s64)ev.ts_boot_ns + f->boot_to_real_ns);
	out->len = 0;
	err = put_field(out, "time", t, sizeof(t));
	err = err ?: put_field(out, "host", f->host, strlen(f->host));
	err = err ?: put_field(out, "kind", kind, strlen(kind));
	err = err ?: put_field(out, "verdict", verdict, strlen(verdict));
	err = err ?: put_field(out, "tenant", names->tenant, 32);
	err = err
		      ?: put_field(out, "target_tenant",
				   tg_registry_name(f->reg, ev.target_tenant,
						    b2, sizeof(b2)),
				   32);
	err = err ?: put_int(out, "pid", ev.pid);
	err = err
		      ?: put_field(out, "comm", (const char *)ev.comm,
				   sizeof(ev.comm));
	err = err ?: put_field(out, "op", op, strlen(op));
	if (!err && ev.kind == TG_KIND_NET) {
		if (ev.family == AF_INET)
			inet_ntop(AF_INET, ev.addr, addr, sizeof(addr));
		else if (ev.family == AF_INET6)
			inet_ntop(AF_INET6, ev.addr, addr, sizeof(addr));
		else
			snprintf(addr, sizeof(addr), "family-%u", ev.family);
		err = put_field(out, "proto", proto_name(ev.family, ev.proto),
				16);
		err = err ?: put_field(out, "addr", addr, sizeof(addr));
		err = err
			      ?: put_int(out, "port",
					 ev.op == TG_OP_CREATE ? 0 : ev.port);
		if (!err && ev.op == TG_OP_CREATE)
			err = create_fields(out, &ev);
	} else if (!err && ev.kind == TG_KIND_FILE) {
		file_path(&ev, f, path, sizeof(path));
		err = put_field(out, "path", path, sizeof(path));
		if (!err && (ev.path_flags & TG_PATH_F_TRUNCATED))
			err = tg_buf_put(out, ",\"path_truncated\":true", 22);
		if (!err && ev.op == TG_OP_WATCH)
			err = put_field(out, "watch", watch_name(ev.port), 16);
		err = err ?: object_fields(out, &ev, f, path, sizeof(path));
	} else if (!err && ev.kind == TG_KIND_UNIX) {
		err = put_field(out, "path", path, unix_path(&ev, path));
	} else if (!err && ev.kind == TG_KIND_PROC) {
		err = proc_fields(out, &ev);
	} else if (!err && ev.kind == TG_KIND_GUARD) {
		err = guard_fields(out, &ev, f, path, sizeof(path));
	}
	err = err ?: actor_fields(out, &ev, f);
	return err ?: tg_buf_put(out, "}", 1);
}

struct json_object *tg_event_json(const void *rec, size_t size,
				  const struct tg_event_fmt *f)
{
	struct tg_event_names names;
	struct tg_buf b = {};
	struct json_object *o = NULL;
	int err = tg_event_text(rec, size, f, &b, &names);

	if (!err)
		err = tg_buf_put(&b, "", 1);
	if (!err) {
		o = json_tokener_parse(b.p);
		err = o ? 0 : -ENOMEM;
	}
	tg_buf_free(&b);
	errno = -err;
	return o;
}

struct json_object *tg_agent_event(const struct tg_event_fmt *f, const char *op,
				   const char *verdict, const char *message)
{
	char comm[TG_COMM_LEN] = "";
	struct json_object *o;

	tg_proc_comm(0, comm, sizeof(comm));
	o = common_fields(f, tg_boot_to_real_ns() + tg_clock_ns(CLOCK_BOOTTIME),
			  "agent", verdict, "host", "host", (__u32)getpid(),
			  comm, sizeof(comm), op);
	if (o && message && add_str(o, "message", message, strlen(message))) {
		json_object_put(o);
		errno = ENOMEM;
		return NULL;
	}
	return o;
}

struct json_object *tg_agent_event_by(const struct tg_event_fmt *f,
				      const char *op, const char *verdict,
				      const char *tenant, __u32 pid,
				      const char *comm, const char *message)
{
	struct json_object *o;

	o = common_fields(f, tg_boot_to_real_ns() + tg_clock_ns(CLOCK_BOOTTIME),
			  "agent", verdict, tenant, "host", pid, comm,
			  strnlen(comm, TG_COMM_LEN), op);
	if (o && add_str(o, "message", message, strlen(message))) {
		json_object_put(o);
		errno = ENOMEM;
		return NULL;
	}
	return o;
}

struct json_object *tg_admin_event(const struct tg_event_fmt *f, const char *op,
				   const char *verdict, const char *tenant,
				   __u32 pid, const char *comm)
{
	return common_fields(f,
			     tg_boot_to_real_ns() + tg_clock_ns(CLOCK_BOOTTIME),
			     "admin", verdict, tenant, "host", pid, comm,
			     strnlen(comm, TG_COMM_LEN), op);
}

struct json_object *tg_tenant_event(const struct tg_event_fmt *f,
				    const char *op, const char *verdict,
				    const char *target, __u32 pid,
				    const char *comm)
{
	return common_fields(f,
			     tg_boot_to_real_ns() + tg_clock_ns(CLOCK_BOOTTIME),
			     "tenant", verdict, "host", target, pid, comm,
			     strnlen(comm, TG_COMM_LEN), op);
}

struct json_object *tg_grant_event(const struct tg_event_fmt *f, const char *op,
				   const char *verdict, const char *target,
				   __u32 pid, const char *comm)
{
	return common_fields(f,
			     tg_boot_to_real_ns() + tg_clock_ns(CLOCK_BOOTTIME),
			     "grant", verdict, "host", target, pid, comm,
			     strnlen(comm, TG_COMM_LEN), op);
}

int tg_event_add_str(struct json_object *o, const char *key, const char *s,
		     size_t n)
{
	return add_str(o, key, s, n);
}

struct json_object *tg_seccomp_event(const struct tg_event_fmt *f,
				     const char *tenant, const char *profile,
				     __u32 pid, const char *comm,
				     const char *syscall, const char *arch)
{
	struct json_object *o;
	int err = 0;

	o = common_fields(f, tg_boot_to_real_ns() + tg_clock_ns(CLOCK_BOOTTIME),
			  "seccomp", "deny", tenant, "host", pid, comm,
			  strlen(comm), syscall);
	if (!o)
		return NULL;
	err = err ?: add_str(o, "arch", arch, strlen(arch));
	err = err ?: add_str(o, "profile", profile, strlen(profile));
	if (err) {
		json_object_put(o);
		errno = -err;
		return NULL;
	}
	return o;
}

const char *tg_kind_name(__u32 kind)
{
	return kind_name(kind);
}

const char *tg_op_name(__u32 op)
{
	return op_name(op);
}

const char *tg_verdict_name(__u32 verdict)
{
	return verdict_name(verdict);
}
