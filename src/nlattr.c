// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nlattr.c - a strict netlink attribute walker, and its message walker.
 */
#include <errno.h>
#include <string.h>
#include "nlattr.h"

void nlattr_iter_nested(struct nlattr_iter *it, const struct nlattr *nest)
{
	if (nest)
		nlattr_iter_init(it, mnl_attr_get_payload(nest),
				 mnl_attr_get_payload_len(nest));
	else
		nlattr_iter_init(it, NULL, 0);
}

int nlattr_next(struct nlattr_iter *it, const struct nlattr **a)
{
	size_t alen, step;

	if (!it->len)
		return 0;
	if (it->len < sizeof(struct nlattr))
		return -EBADMSG;
	*a = (const struct nlattr *)it->p;
	alen = (*a)->nla_len;
	if (alen < sizeof(struct nlattr) || alen > it->len)
		return -EBADMSG;
	step = MNL_ALIGN(alen);
	if (step > it->len)
		step = it->len;
	it->p += step;
	it->len -= step;
	return 1;
}

bool nlattr_ok(const struct nlattr *a, const struct nlattr_pol *pol)
{
	uint16_t len = mnl_attr_get_payload_len(a);
	const char *s = mnl_attr_get_payload(a);

	switch (pol->kind) {
	case NLATTR_U8:
		return len == 1;
	case NLATTR_U32:
		return len == 4;
	case NLATTR_U64:
		return len == 8;
	case NLATTR_STR:
		return len > 0 && s[len - 1] == '\0';
	case NLATTR_NEST:
		return len == 0 || len >= MNL_ATTR_HDRLEN;
	case NLATTR_BIN:
		return !pol->max || len <= pol->max;
	}
	return true;
}

int nlattr_parse_pol(const void *start, size_t len, const struct nlattr **tb,
		     unsigned int max, const struct nlattr_pol *pol)
{
	struct nlattr_iter it;
	const struct nlattr *a;
	uint16_t type;
	int n;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	nlattr_iter_init(&it, start, len);
	while ((n = nlattr_next(&it, &a)) > 0) {
		type = mnl_attr_get_type(a);
		if (type > max)
			continue;
		if (pol && !nlattr_ok(a, &pol[type]))
			return -EBADMSG;
		tb[type] = a;
	}
	return n;
}

int nlattr_parse_nested(const struct nlattr *nest, const struct nlattr **tb,
			unsigned int max, const struct nlattr_pol *pol)
{
	struct nlattr_iter it;

	nlattr_iter_nested(&it, nest);
	return nlattr_parse_pol(it.p, it.len, tb, max, pol);
}

int nlattr_walk_msgs(const void *buf, size_t len,
		     int (*cb)(const struct nlmsghdr *nlh, void *data),
		     void *data)
{
	const char *p = buf;
	int err;

	while (len > 0) {
		const struct nlmsghdr *nlh = (const void *)p;
		size_t step;

		if (len < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) ||
		    nlh->nlmsg_len > len)
			return -EBADMSG;
		err = cb(nlh, data);
		if (err)
			return err;
		step = NLMSG_ALIGN(nlh->nlmsg_len);
		if (step > len)
			step = len;
		p += step;
		len -= step;
	}
	return 0;
}

int nlattr_dump_end(const struct nlmsghdr *nlh, int ack)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	int derr = 0;

	switch (nlh->nlmsg_type) {
	case NLMSG_DONE:
		if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
			memcpy(&derr, mnl_nlmsg_get_payload(nlh), sizeof(int));
		return derr < 0 ? derr : 0;
	case NLMSG_ERROR:
		if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e))
			return -EBADMSG;
		return e->error ? e->error : ack;
	default:
		return 1;
	}
}
