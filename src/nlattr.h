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

#endif
