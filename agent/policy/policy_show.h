/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_POLICY_POLICY_SHOW_H
#define TG_POLICY_POLICY_SHOW_H

#include "policy/policy.h"

struct json_object;

/*
 * Policy p as JSON: its files (each one's SHA-256), mode, tenants_cgroup,
 * event limits and its tenants (those keep(name, arg) keeps, every one
 * when keep is NULL), each setting that is written somewhere as {"value",
 * "where": "file:line:column"} ("" where derived).
 */
struct json_object *tg_policy_show_json(const struct tg_policy *p,
					int (*keep)(const char *name,
						    const void *arg),
					const void *arg);

#endif /* TG_POLICY_POLICY_SHOW_H */
