// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: any bytes through the policy parser and validator. */
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_diag d = {};
	struct tg_policy p;

	tg_policy_init(&p);
	/* As main file, then the same bytes again as a drop-in. */
	tg_policy_parse(&p, "fuzz.yaml", (const char *)data, size, 1, &d);
	tg_policy_parse(&p, "fuzz.d.yaml", (const char *)data, size, 0, &d);
	tg_policy_finish(&p, &d);
	tg_diag_free(&d);
	tg_policy_free(&p);
	return 0;
}
