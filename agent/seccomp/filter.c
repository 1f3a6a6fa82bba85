// SPDX-License-Identifier: GPL-2.0
/*
 * A parsed seccomp profile as a filter: compiled with libseccomp for the
 * native architecture and its compat ones, or written as an OCI runtime
 * "seccomp" section for runc and crun.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <linux/audit.h>
#include <stdio.h>
#include <string.h>

#include "seccomp/profile.h"

static uint32_t scmp_action(int action, int err, int notify)
{
	switch (action) {
	case TG_SC_ALLOW: return SCMP_ACT_ALLOW;
	case TG_SC_ERRNO: return SCMP_ACT_ERRNO((uint32_t)err);
	case TG_SC_NOTIFY:
		return notify ? SCMP_ACT_NOTIFY : SCMP_ACT_ERRNO(EPERM);
	case TG_SC_LOG: return SCMP_ACT_LOG;
	default: return SCMP_ACT_KILL_PROCESS;
	}
}

/* Calls that 32-bit x86 also reaches through socketcall(2) or ipc(2). */
static int multiplexed(const char *name)
{
	static const char *const names[] = {
		"socket",     "bind",	  "connect",	 "listen",
		"accept",     "accept4",  "getsockname", "getpeername",
		"socketpair", "send",	  "recv",	 "sendto",
		"recvfrom",   "shutdown", "setsockopt",	 "getsockopt",
		"sendmsg",    "recvmsg",  "recvmmsg",	 "sendmmsg",
		"semop",      "semget",	  "semctl",	 "semtimedop",
		"msgsnd",     "msgrcv",	  "msgget",	 "msgctl",
		"shmat",      "shmdt",	  "shmget",	 "shmctl",
		NULL};
	unsigned int i;

	for (i = 0; names[i]; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

static scmp_filter_ctx new_ctx(const struct tg_sc_profile *p, uint32_t def,
			       char *why, size_t len)
{
	scmp_filter_ctx ctx = seccomp_init(def);
	int rc;

	if (!ctx) {
		snprintf(why, len, "seccomp_init failed");
		return NULL;
	}
	rc = seccomp_attr_set(
		ctx, SCMP_FLTATR_ACT_BADARCH,
		scmp_action(p->badarch_action, p->badarch_err, 0));
	if (rc) {
		snprintf(why, len, "bad_arch action: %s", strerror(-rc));
		seccomp_release(ctx);
		return NULL;
	}
	/* A binary tree over system call numbers: O(log n) per call. */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	return ctx;
}

/*
 * compat32: ctx is for 32-bit x86 only, where libseccomp would turn a
 * conditional rule on a multiplexed call into an unconditional one on
 * socketcall(2)/ipc(2) (the real arguments are in memory, out of a filter's
 * reach): a condition narrowing "socket" would allow every socket. Those
 * rules are left out there, so the default action applies.
 */
static int add_rules(scmp_filter_ctx ctx, const struct tg_sc_profile *p,
		     uint32_t def, int notify, int compat32, char *why,
		     size_t len)
{
	unsigned int i;
	int rc;

	for (i = 0; i < p->n_rules; i++) {
		const struct tg_sc_rule *r = &p->rules[i];
		uint32_t act = scmp_action(r->action, r->err, notify);

		if (act == def)
			continue; /* the default already does it */
		if (compat32 && r->n_args && multiplexed(r->name))
			continue;
		rc = seccomp_rule_add_array(
			ctx, act, seccomp_syscall_resolve_name(r->name),
			r->n_args, r->args);
		if (rc) {
			snprintf(why, len, "%s:%u:%u: rule for '%s': %s",
				 p->source, r->line, r->col, r->name,
				 strerror(-rc));
			return rc;
		}
	}
	return 0;
}

scmp_filter_ctx tg_sc_compile(const struct tg_sc_profile *p, int notify,
			      char *why, size_t len)
{
	uint32_t def = scmp_action(p->def_action, p->def_err, notify);
	uint32_t native = seccomp_arch_native();
	scmp_filter_ctx ctx, ctx32 = NULL;
	int rc = 0;

	ctx = new_ctx(p, def, why, len);
	if (!ctx)
		return NULL;
	if (native == SCMP_ARCH_X86_64) {
		rc = seccomp_arch_add(ctx, SCMP_ARCH_X32);
		ctx32 = new_ctx(p, def, why, len);
		if (!ctx32)
			goto fail;
		if (!rc)
			rc = seccomp_arch_add(ctx32, SCMP_ARCH_X86);
		if (!rc)
			rc = seccomp_arch_remove(ctx32, native);
	} else if (native == SCMP_ARCH_AARCH64) {
		rc = seccomp_arch_add(ctx, SCMP_ARCH_ARM);
	}
	if (rc) {
		snprintf(why, len, "adding compat architectures: %s",
			 strerror(-rc));
		goto fail;
	}
	if (add_rules(ctx, p, def, notify, 0, why, len))
		goto fail;
	if (ctx32) {
		if (add_rules(ctx32, p, def, notify, 1, why, len))
			goto fail;
		rc = seccomp_merge(ctx, ctx32);
		if (rc) {
			snprintf(why, len, "merging the x86 filter: %s",
				 strerror(-rc));
			goto fail;
		}
	}
	return ctx;
fail:
	seccomp_release(ctx32);
	seccomp_release(ctx);
	return NULL;
}

static const char *oci_action(int action)
{
	switch (action) {
	case TG_SC_ALLOW: return "SCMP_ACT_ALLOW";
	case TG_SC_ERRNO:
	case TG_SC_NOTIFY: return "SCMP_ACT_ERRNO";
	case TG_SC_LOG: return "SCMP_ACT_LOG";
	default: return "SCMP_ACT_KILL_PROCESS";
	}
}

static int rule_errno(int action, int err)
{
	return action == TG_SC_NOTIFY ? EPERM : err;
}

static const char *oci_op(enum scmp_compare op)
{
	switch (op) {
	case SCMP_CMP_NE: return "SCMP_CMP_NE";
	case SCMP_CMP_LT: return "SCMP_CMP_LT";
	case SCMP_CMP_LE: return "SCMP_CMP_LE";
	case SCMP_CMP_EQ: return "SCMP_CMP_EQ";
	case SCMP_CMP_GE: return "SCMP_CMP_GE";
	case SCMP_CMP_GT: return "SCMP_CMP_GT";
	default: return "SCMP_CMP_MASKED_EQ";
	}
}

static int same_group(const struct tg_sc_rule *a, const struct tg_sc_rule *b)
{
	return a->action == b->action && a->err == b->err && !a->n_args &&
	       !b->n_args;
}

struct json_object *tg_sc_oci(const struct tg_sc_profile *p)
{
	struct json_object *o = json_object_new_object(), *archs, *calls;
	uint32_t native = seccomp_arch_native();
	unsigned int i, j, k;

	json_object_object_add(
		o, "defaultAction",
		json_object_new_string(oci_action(p->def_action)));
	if (p->def_action == TG_SC_ERRNO || p->def_action == TG_SC_NOTIFY)
		json_object_object_add(o, "defaultErrnoRet",
				       json_object_new_int(rule_errno(
					       p->def_action, p->def_err)));
	archs = json_object_new_array();
	if (native == SCMP_ARCH_X86_64) {
		json_object_array_add(
			archs, json_object_new_string("SCMP_ARCH_X86_64"));
		json_object_array_add(archs,
				      json_object_new_string("SCMP_ARCH_X86"));
		json_object_array_add(archs,
				      json_object_new_string("SCMP_ARCH_X32"));
	} else if (native == SCMP_ARCH_AARCH64) {
		json_object_array_add(
			archs, json_object_new_string("SCMP_ARCH_AARCH64"));
		json_object_array_add(archs,
				      json_object_new_string("SCMP_ARCH_ARM"));
	}
	json_object_object_add(o, "architectures", archs);
	calls = json_object_new_array();
	/* Unconditional rules grouped by action; conditional ones one by one.
	 */
	for (i = 0; i < p->n_rules; i++) {
		const struct tg_sc_rule *r = &p->rules[i];
		struct json_object *e, *names, *args;

		if (!r->n_args) {
			for (j = 0; j < i; j++)
				if (same_group(&p->rules[j], r))
					break;
			if (j < i)
				continue;
		}
		e = json_object_new_object();
		names = json_object_new_array();
		json_object_array_add(names, json_object_new_string(r->name));
		for (j = i + 1; !r->n_args && j < p->n_rules; j++)
			if (same_group(&p->rules[j], r))
				json_object_array_add(
					names, json_object_new_string(
						       p->rules[j].name));
		json_object_object_add(e, "names", names);
		json_object_object_add(
			e, "action",
			json_object_new_string(oci_action(r->action)));
		if (r->action == TG_SC_ERRNO || r->action == TG_SC_NOTIFY)
			json_object_object_add(e, "errnoRet",
					       json_object_new_int(rule_errno(
						       r->action, r->err)));
		if (r->n_args) {
			args = json_object_new_array();
			for (k = 0; k < r->n_args; k++) {
				const struct scmp_arg_cmp *a = &r->args[k];
				struct json_object *ao =
					json_object_new_object();

				json_object_object_add(
					ao, "index",
					json_object_new_int((int)a->arg));
				json_object_object_add(
					ao, "value",
					json_object_new_uint64(a->datum_a));
				json_object_object_add(
					ao, "valueTwo",
					json_object_new_uint64(a->datum_b));
				json_object_object_add(
					ao, "op",
					json_object_new_string(oci_op(a->op)));
				json_object_array_add(args, ao);
			}
			json_object_object_add(e, "args", args);
		}
		json_object_array_add(calls, e);
	}
	json_object_object_add(o, "syscalls", calls);
	return o;
}

const char *tg_sc_arch_name(uint32_t arch)
{
	switch (arch) {
	case AUDIT_ARCH_X86_64: return "x86_64";
	case AUDIT_ARCH_I386: return "x86";
	case AUDIT_ARCH_AARCH64: return "aarch64";
	case AUDIT_ARCH_ARM: return "arm";
	default: return "unknown";
	}
}
