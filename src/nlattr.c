// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nlattr.c - a strict netlink attribute walker.
 */
#include <errno.h>
#include <string.h>
#include "nlattr.h"

int nla_parse_strict(const void *start, size_t len, const struct nlattr **tb,
		     unsigned int max)
{
	const char *p = start;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	while (len >= sizeof(struct nlattr)) {
		const struct nlattr *a = (const struct nlattr *)p;
		size_t alen = a->nla_len, step;
		/* not mnl_attr_get_type(): a library call per attribute */
		uint16_t type = a->nla_type & NLA_TYPE_MASK;

		if (alen < sizeof(struct nlattr) || alen > len)
			return -EBADMSG;
		if (type <= max)
			tb[type] = a;
		step = MNL_ALIGN(alen);
		if (step > len)
			step = len;
		p += step;
		len -= step;
	}
	return len ? -EBADMSG : 0;
}
