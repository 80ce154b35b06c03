// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_ct - conntrack netlink messages: ct_parse_msg() on each message of
 * a datagram (dumps and events), then the userspace filter on the flow.
 * Seeds: fuzz/corpus/ct/, real dump replies captured in a namespace
 * (fuzz/capture.py).
 */
#include "fuzz.h"
#include "ct.h"

static int one_ct(const struct nlmsghdr *nlh, void *arg)
{
	struct ct_filter flt = { .family = AF_INET, .l4proto = IPPROTO_UDP,
				 .has_orig_dport = true, .orig_dport = 0x3500,
				 .status = 0, .status_mask = 0x180 };
	struct flow f;

	(void)arg;
	if (ct_parse_msg(nlh, &f) == 0) {
		(void)ct_filter_match(&flt, &f);
		flt.family = f.orig.family;
		flt.has_orig_dst = flt.has_reply_src = true;
		(void)ct_filter_match(&flt, &f);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_walk_msgs(data, size, one_ct, NULL);
	return 0;
}
