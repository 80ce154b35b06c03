/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CTSWEEP_CTFILTER_H
#define CTSWEEP_CTFILTER_H

#include <stdbool.h>

/* Let only UDP (and TCP with @tcp) conntrack events through to @fd.
 * 0 or -errno; without it every event still arrives, which is correct,
 * only dearer. */
int ct_events_protos(int fd, bool tcp);

#endif
