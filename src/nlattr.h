/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nlattr.h - a strict netlink attribute walker, shared by the parsers of
 * kernel replies (ct_parse.c, netenv_parse.c, nft_parse.c; nft.c for the
 * capture), and a strict message walker.
 *
 * libmnl's walkers (mnl_attr_parse(), mnl_attr_for_each_nested()) stop at
 * the first attribute that does not fit without saying so, which would
 * read a cut message as a shorter one: a rule with an expression missing.
 * Here any attribute that does not fit, or bytes left over after the last
 * one, make the message malformed (-EBADMSG).  The last attribute may
 * lack its padding (NLA_ALIGN); every other one steps over it.
 *
 * The names take the file's prefix, nlattr_: the kernel's and libnl's
 * nla_parse_nested(), nla_ok() take other arguments and mean other checks.
 */
#ifndef CTSWEEP_NLATTR_H
#define CTSWEEP_NLATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libmnl/libmnl.h>

/* A cursor over the attributes in a buffer: a list walk (expressions,
 * set elements) that must see every member or fail. */
struct nlattr_iter {
	const char *p;
	size_t len;
};

static inline void nlattr_iter_init(struct nlattr_iter *it, const void *start,
				    size_t len)
{
	it->p = start;
	it->len = len;
}

/* The payload of @nest; a NULL @nest is an empty list. */
void nlattr_iter_nested(struct nlattr_iter *it, const struct nlattr *nest);

/* The next attribute in *@a: 1, or 0 at the end, or -EBADMSG. */
int nlattr_next(struct nlattr_iter *it, const struct nlattr **a);

/* What an attribute's payload must look like: a policy, per type. */
enum nlattr_kind {
	NLATTR_ANY,		/* not checked */
	NLATTR_U8,
	NLATTR_U32,
	NLATTR_U64,
	NLATTR_STR,		/* NUL-terminated */
	NLATTR_NEST,		/* empty, or room for one attribute */
	NLATTR_BIN,		/* at most .max bytes, 0 = any */
};

struct nlattr_pol {
	uint8_t kind;
	uint8_t max;
};

bool nlattr_ok(const struct nlattr *a, const struct nlattr_pol *pol);

/* Walk the attributes in [@start, @start + @len) into tb[0..max].
 * Unknown types (above @max) are skipped, as the kernel adds new ones;
 * with a @pol (max + 1 entries) every known one must also pass it. */
int nlattr_parse_pol(const void *start, size_t len, const struct nlattr **tb,
		     unsigned int max, const struct nlattr_pol *pol);

static inline int nlattr_parse_strict(const void *start, size_t len,
				      const struct nlattr **tb, unsigned int max)
{
	return nlattr_parse_pol(start, len, tb, max, NULL);
}

/* The same over the payload of @nest; a NULL @nest is empty. */
int nlattr_parse_nested(const struct nlattr *nest, const struct nlattr **tb,
			unsigned int max, const struct nlattr_pol *pol);

/* Calls @cb for each netlink message of @buf (aligned, as libmnl's
 * getters read in place) until it returns non-zero, which is returned;
 * -EBADMSG on broken framing (a message that does not fit what is left),
 * 0 at the end.  The last message may lack its padding. */
int nlattr_walk_msgs(const void *buf, size_t len,
		     int (*cb)(const struct nlmsghdr *nlh, void *data),
		     void *data);

/* Whether @nlh, a reply to a dump, ends it, and how: 1 for any other
 * message (the dump goes on); for NLMSG_DONE, 0 or the error the kernel
 * put in it (a dump that failed midway: what came before is partial); for
 * NLMSG_ERROR, its error, -EBADMSG when cut short, and @ack for an error
 * of 0 (an ack, which a dump asked without NLM_F_ACK should not get). */
int nlattr_dump_end(const struct nlmsghdr *nlh, int ack);

/* libmnl's getters, inline: the dump parser calls them a few dozen times
 * a flow, and through the PLT that showed in profiles. */
static inline const void *nlattr_data(const struct nlattr *a)
{
	return (const char *)a + MNL_ATTR_HDRLEN;
}

static inline size_t nlattr_len(const struct nlattr *a)
{
	return a->nla_len - MNL_ATTR_HDRLEN;
}

#endif
