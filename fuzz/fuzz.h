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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Netlink messages as a socket hands them over: @buf is an aligned copy,
 * every message's nlmsg_len lies within what is left.  Calls @cb until it
 * returns non-zero; stops at broken framing (what a real reader does). */
static inline void fuzz_walk_msgs(const uint8_t *data, size_t size,
				  int (*cb)(const struct nlmsghdr *, void *),
				  void *arg)
{
	char *buf, *p;
	size_t len = size;

	buf = calloc(1, size + 8);
	if (!buf)
		return;
	memcpy(buf, data, size);
	p = buf;
	while (len >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nlh = (const void *)p;
		size_t step;

		if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len)
			break;
		if (cb(nlh, arg))
			break;
		step = NLMSG_ALIGN(nlh->nlmsg_len);
		if (step > len)
			step = len;
		p += step;
		len -= step;
	}
	free(buf);
}

#endif
