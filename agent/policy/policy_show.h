/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_POLICY_POLICY_SHOW_H
#define TG_POLICY_POLICY_SHOW_H

#include "policy/policy.h"

struct json_object;

/*
 * Policy p as JSON: its mode, tenants_cgroup, event limits and its tenants
 * (those keep(name, arg) keeps, every one when keep is NULL). Only when
 * full (for who may see the whole policy) its files, each one's SHA-256,
 * the digest, and where each setting is written ({"value", "where":
 * "file:line:column"}, "" where derived): to a restricted view a part of
 * them would tell of the tenants left out.
 */
struct json_object *tg_policy_show_json(const struct tg_policy *p,
					int (*keep)(const char *name,
						    const void *arg),
					const void *arg, int full);

#endif /* TG_POLICY_POLICY_SHOW_H */
