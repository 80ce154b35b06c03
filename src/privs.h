/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * privs.h - drop every capability but CAP_NET_ADMIN and CAP_NET_RAW, and
 * set no_new_privs (libcap-ng).  See privs.c for why those two.
 */
#ifndef CTSWEEP_PRIVS_H
#define CTSWEEP_PRIVS_H

#include <stdbool.h>

struct privs_result {
	bool bounding;		/* the bounding set was narrowed too */
	bool net_admin;		/* held afterwards */
	bool net_raw;
};

/* 0, or -errno when the capabilities could not be changed (then the
 * process may hold more than it should: the caller stops). */
int privs_drop(struct privs_result *res);

#endif
