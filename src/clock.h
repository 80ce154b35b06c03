/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * clock.h - the one clock for intervals and deadlines: CLOCK_MONOTONIC,
 * which neither NTP steps nor a changed date move.
 */
#ifndef CTSWEEP_CLOCK_H
#define CTSWEEP_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Microseconds since an arbitrary start (boot), for differences only. */
static inline uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

#endif
