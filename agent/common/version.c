// SPDX-License-Identifier: GPL-2.0
/* The release of this build: TG_VERSION, set by the Makefile from
 * debian/changelog for this object alone. */
#include "common/version.h"

#ifndef TG_VERSION
#error "TG_VERSION: built outside the Makefile"
#endif

const char *tg_version(void)
{
	return TG_VERSION;
}
