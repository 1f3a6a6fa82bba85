/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COMMON_VERSION_H
#define TG_COMMON_VERSION_H

/* The release of this build (debian/changelog's first entry), "0.1.0". */
const char *tg_version(void);

#endif /* TG_COMMON_VERSION_H */
