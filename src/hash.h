/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hash.h - FNV-1a, the one hash ctsweep uses: digests of rules and tables
 * (64 bits, compared across reads) and hash-table slots (32 bits).  Not
 * for anything an adversary could aim at: the inputs are the host's own
 * rules and the flows' tuples, and a collision only costs a walk.
 */
#ifndef CTSWEEP_HASH_H
#define CTSWEEP_HASH_H

#include <stddef.h>
#include <stdint.h>

#define FNV64_INIT	14695981039346656037ull
#define FNV32_INIT	2166136261u

static inline uint64_t fnv64(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 1099511628211ull;
	return h;
}

static inline uint32_t fnv32(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

#endif
