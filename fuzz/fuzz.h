/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz.h - what the fuzz targets share.  Each fuzz_<target>.c defines
 * LLVMFuzzerTestOneInput; tests/unit/test_fuzz.c includes them under other
 * names to replay fuzz/regressions/<target>/ and fuzz/corpus/<target>/
 * through the very same entry points under make check.
 */
#ifndef CTSWEEP_FUZZ_H
#define CTSWEEP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include "nlattr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Netlink messages as a socket hands them over: an aligned copy of the
 * input, walked by nlattr_walk_msgs() (the parsers' own message walker),
 * which calls @cb until it returns non-zero and stops at broken framing
 * (what a real reader does). */
static inline void fuzz_walk_msgs(const uint8_t *data, size_t size,
				  int (*cb)(const struct nlmsghdr *, void *),
				  void *arg)
{
	char *buf = calloc(1, size + 8);

	if (!buf)
		return;
	memcpy(buf, data, size);
	(void)nlattr_walk_msgs(buf, size, cb, arg);
	free(buf);
}

#endif
