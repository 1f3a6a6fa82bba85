/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_SECCOMP_PROFILE_H
#define TG_SECCOMP_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include <seccomp.h>

#include "policy/yaml_tree.h"

#define TG_SC_MAX_FILE	  (1u << 20) /* bytes per profile file */
#define TG_SC_MAX_RULES	  4096	     /* rules (one per name) per profile */
#define TG_SC_DEFAULT_DIR "/etc/tenantguard/seccomp"

/*
 * Profile actions. NOTIFY refuses the call with EPERM and reports it as a
 * kind "seccomp" event: through a user notification answered by the agent
 * (or by the launcher when the agent is unreachable).
 */
enum tg_sc_action {
	TG_SC_ALLOW = 1,
	TG_SC_ERRNO,  /* fail with errno, silently */
	TG_SC_NOTIFY, /* fail with EPERM, reported */
	TG_SC_LOG,    /* allowed, logged by the kernel's audit */
	TG_SC_KILL,   /* the whole process is killed */
};

struct tg_sc_rule {
	char name[48]; /* system call */
	int action;    /* enum tg_sc_action */
	int err;       /* TG_SC_ERRNO: the errno */
	unsigned int n_args;
	struct scmp_arg_cmp args[6]; /* all must hold (AND) */
	unsigned int line, col;	     /* of the name */
};

struct tg_sc_profile {
	char name[64];
	char source[4096]; /* file, or "built-in NAME" */
	int def_action;	   /* enum tg_sc_action */
	int def_err;
	int badarch_action; /* TG_SC_KILL or TG_SC_ERRNO */
	int badarch_err;
	struct tg_sc_rule *rules;
	unsigned int n_rules;
};

void tg_sc_profile_free(struct tg_sc_profile *p);

/* Parse a profile document named name (for messages); -EINVAL with d filled. */
int tg_sc_parse(struct tg_sc_profile *p, const char *name, const char *buf,
		size_t len, struct tg_diag *d);

/* Parse a profile file. */
int tg_sc_load_file(struct tg_sc_profile *p, const char *path,
		    struct tg_diag *d);

/*
 * The profile called name: a path if it contains '/', else dir/name.yaml
 * (dir NULL: TG_SC_DEFAULT_DIR) if that file exists, else the built-in one.
 * -ENOENT (with a message in d) if there is none.
 */
int tg_sc_find(struct tg_sc_profile *p, const char *name, const char *dir,
	       struct tg_diag *d);

/* The built-in profiles (policy/seccomp/NAME.yaml), ended by a NULL name. */
struct tg_sc_builtin {
	const char *name;
	const char *text;
};
extern const struct tg_sc_builtin tg_sc_builtins[];

/*
 * A libseccomp filter for the profile, for this machine's native
 * architecture and its compat ones (x86_64: also x86 and x32). notify = 0
 * turns NOTIFY into ERRNO(EPERM), for loaders that have no listener.
 * NULL with the reason in why (len bytes) on failure.
 */
scmp_filter_ctx tg_sc_compile(const struct tg_sc_profile *p, int notify,
			      char *why, size_t len);

/* Whether any call (or the default) is answered through a listener. */
int tg_sc_uses_notify(const struct tg_sc_profile *p);

/* The action for every call to name, or -1 if it depends on arguments. */
int tg_sc_action_of(const struct tg_sc_profile *p, const char *name);

/* The profile as the "seccomp" section of an OCI runtime config (new object).
 */
struct json_object *tg_sc_oci(const struct tg_sc_profile *p);

/* "x86_64", "x86", ... for an AUDIT_ARCH_* value; "unknown" otherwise. */
const char *tg_sc_arch_name(uint32_t arch);

#endif /* TG_SECCOMP_PROFILE_H */
