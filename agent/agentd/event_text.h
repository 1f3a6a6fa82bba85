/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_AGENTD_EVENT_TEXT_H
#define TG_AGENTD_EVENT_TEXT_H

#include <stddef.h>
#include <linux/types.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/text.h"
#include "agentd/root_paths.h"
#include "policy/registry.h"
#include "tenantguard/event_abi.h"

struct json_object;

struct tg_event_fmt {
	const struct tg_registry *reg; /* tenant id -> name */
	const char *host;	       /* "host" field */
	__s64 boot_to_real_ns;	       /* CLOCK_REALTIME - CLOCK_BOOTTIME */
	const char *mountinfo;	       /* where filesystem-relative paths are
					  placed; NULL: /proc/self/mountinfo */
	const struct tg_root_paths *roots; /* owned roots' policy paths */
	const char *cgroup_root; /* cgroup v2 mount, for actors' cgroups;
				    NULL: not named */
	/*
	 * The id of the grant of (login_uid, tenant) in force at boot time
	 * ts (an access allowed under a grant, TG_ACTOR_F_GRANT), or NULL;
	 * no callback: not named.
	 */
	const char *(*grant_of)(const void *ctx, __u32 login_uid,
				__u32 tenant, __u64 ts);
	const void *grant_ctx;
};

/* Names of a record's kind, verdict and actor's tenant (until the next call).
 */
struct tg_event_names {
	const char *kind, *verdict, *tenant;
};

/*
 * The JSON text (one compact object without "seq", valid UTF-8, the fields
 * in the order of the other events) for the size bytes of a ring buffer
 * record of version 1, 2 or 3 into out (replacing what it held), with its
 * names. -EINVAL for a malformed record, -EPROTO for another version,
 * -ENOMEM. Written directly: building a json-c object
 * costs several times more, for every event of a flood.
 */
int tg_event_text(const void *rec, size_t size, const struct tg_event_fmt *f,
		  struct tg_buf *out, struct tg_event_names *names);

/*
 * The JSON object (without "seq") for the size bytes of a ring buffer record
 * (tg_event_text, parsed). NULL with errno EINVAL for a malformed record,
 * ENOMEM.
 */
struct json_object *tg_event_json(const void *rec, size_t size,
				  const struct tg_event_fmt *f);

/*
 * A kind "agent" event: the common fields with op and a message; more fields
 * may be added by the caller. NULL with errno on failure.
 */
struct json_object *tg_agent_event(const struct tg_event_fmt *f, const char *op,
				   const char *verdict, const char *message);

/*
 * A kind "agent" event on what another process did: pid (comm) of tenant (a
 * tenant's name, "(pending)" or "(unknown)") was given verdict for op, and
 * a message. NULL with errno on failure.
 */
struct json_object *tg_agent_event_by(const struct tg_event_fmt *f,
				      const char *op, const char *verdict,
				      const char *tenant, __u32 pid,
				      const char *comm, const char *message);

/*
 * A kind "admin" event: a control request op (its verb) from pid (comm) of
 * tenant ("host", a tenant's name, "(pending)" or "(unknown)") was given
 * verdict; the caller adds the rest. NULL with errno on failure.
 */
struct json_object *tg_admin_event(const struct tg_event_fmt *f, const char *op,
				   const char *verdict, const char *tenant,
				   __u32 pid, const char *comm);

/*
 * A kind "tenant" event: a step of a tenant's offboarding (op: retire,
 * export, ...) of tenant target, asked by pid (comm) of the host; the
 * caller adds the rest. NULL with errno on failure.
 */
struct json_object *tg_tenant_event(const struct tg_event_fmt *f,
				    const char *op, const char *verdict,
				    const char *target, __u32 pid,
				    const char *comm);

/*
 * A kind "grant" event: a step of a grant's life (op: requested, activated,
 * refused, session, expired, revoked, break_glass) about tenant target,
 * asked by pid (comm) of the host, or the agent itself (pid 0); the caller
 * adds the rest. NULL with errno on failure.
 */
struct json_object *tg_grant_event(const struct tg_event_fmt *f,
				   const char *op, const char *verdict,
				   const char *target, __u32 pid,
				   const char *comm);

/*
 * Add key with (up to n bytes of) s to event o, made valid UTF-8 (every
 * invalid byte U+FFFD). 0 or -ENOMEM.
 */
int tg_event_add_str(struct json_object *o, const char *key, const char *s,
		     size_t n);

/*
 * A kind "seccomp" event: tenant's process pid (comm) was refused syscall
 * (named for arch) by its seccomp profile. NULL with errno on failure.
 */
struct json_object *tg_seccomp_event(const struct tg_event_fmt *f,
				     const char *tenant, const char *profile,
				     __u32 pid, const char *comm,
				     const char *syscall, const char *arch);

/* Names of enum tg_kind, tg_op and tg_verdict values; NULL if unknown. */
const char *tg_kind_name(__u32 kind);
const char *tg_op_name(__u32 op);
const char *tg_verdict_name(__u32 verdict);

#endif /* TG_AGENTD_EVENT_TEXT_H */
