/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nlattr.h - a strict netlink attribute walker, shared by the parsers of
 * kernel replies (ct.c, route.c).
 */
#ifndef CTSWEEP_NLATTR_H
#define CTSWEEP_NLATTR_H

#include <stddef.h>
#include <libmnl/libmnl.h>

/* Walk the attributes in [@start, @start + @len) into tb[0..max]; any
 * attribute that does not fit, or bytes left over, make the message
 * malformed (-EBADMSG).  Unknown types are skipped, as the kernel adds
 * new ones.  libmnl's mnl_attr_parse() stops at the first short attribute
 * without saying so, which would read a cut message as a shorter one. */
int nla_parse_strict(const void *start, size_t len, const struct nlattr **tb,
		     unsigned int max);

/* libmnl's getters, inline: the dump parser calls them a few dozen times
 * a flow, and through the PLT that showed in profiles. */
static inline const void *nla_data_of(const struct nlattr *a)
{
	return (const char *)a + MNL_ATTR_HDRLEN;
}

static inline size_t nla_len_of(const struct nlattr *a)
{
	return a->nla_len - MNL_ATTR_HDRLEN;
}

#endif
