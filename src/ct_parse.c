// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ct_parse.c - a ctnetlink message into a struct flow, and the userspace
 * half of the dump filter: no I/O, so fuzz/fuzz_ct.c reaches nothing but
 * this (tests/layers.sh checks it), apart from ct.c's sockets and its
 * fork()ing flush probe.
 *
 * Dumps are parsed here rather than through libnetfilter_conntrack: a
 * struct flow on the stack, no allocation per entry, which is what makes
 * a 1M-entry table cheap to walk.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "ct.h"
#include "nlattr.h"

static bool len_is(const struct nlattr *a, size_t len)
{
	return nlattr_len(a) == len;
}

static int get_u8(const struct nlattr *a, uint8_t *v)
{
	if (!len_is(a, 1))
		return -EBADMSG;
	*v = *(const uint8_t *)nlattr_data(a);
	return 0;
}

/* Ports and ICMP ids stay in network byte order. */
static int get_be16(const struct nlattr *a, uint16_t *v)
{
	if (!len_is(a, 2))
		return -EBADMSG;
	memcpy(v, nlattr_data(a), 2);
	return 0;
}

static int get_be32(const struct nlattr *a, uint32_t *v)
{
	if (!len_is(a, 4))
		return -EBADMSG;
	memcpy(v, nlattr_data(a), 4);
	*v = ntohl(*v);
	return 0;
}

static int parse_ip(const struct nlattr *nest, struct tuple *t)
{
	const struct nlattr *tb[CTA_IP_MAX + 1];
	const struct nlattr *src, *dst;
	size_t alen = addr_len(t->family);
	int err;

	err = nlattr_parse_nested(nest, tb, CTA_IP_MAX, NULL);
	if (err)
		return err;
	if (t->family == AF_INET) {
		src = tb[CTA_IP_V4_SRC];
		dst = tb[CTA_IP_V4_DST];
	} else {
		src = tb[CTA_IP_V6_SRC];
		dst = tb[CTA_IP_V6_DST];
	}
	if (!src || !dst || !len_is(src, alen) || !len_is(dst, alen))
		return -EBADMSG;
	memcpy(t->src.b, nlattr_data(src), alen);
	memcpy(t->dst.b, nlattr_data(dst), alen);
	return 0;
}

static int parse_proto(const struct nlattr *nest, struct tuple *t)
{
	const struct nlattr *tb[CTA_PROTO_MAX + 1];
	uint8_t type = 0, code = 0;
	int err;

	err = nlattr_parse_nested(nest, tb, CTA_PROTO_MAX, NULL);
	if (err)
		return err;
	if (!tb[CTA_PROTO_NUM] || get_u8(tb[CTA_PROTO_NUM], &t->l4proto))
		return -EBADMSG;

	switch (t->l4proto) {
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		int id_a = t->l4proto == IPPROTO_ICMP ? CTA_PROTO_ICMP_ID :
							CTA_PROTO_ICMPV6_ID;
		int ty_a = t->l4proto == IPPROTO_ICMP ? CTA_PROTO_ICMP_TYPE :
							CTA_PROTO_ICMPV6_TYPE;
		int co_a = t->l4proto == IPPROTO_ICMP ? CTA_PROTO_ICMP_CODE :
							CTA_PROTO_ICMPV6_CODE;

		if ((tb[id_a] && get_be16(tb[id_a], &t->sport)) ||
		    (tb[ty_a] && get_u8(tb[ty_a], &type)) ||
		    (tb[co_a] && get_u8(tb[co_a], &code)))
			return -EBADMSG;
		/* dport mirrors the kernel's tuple->dst.u.all: type, code */
		((uint8_t *)&t->dport)[0] = type;
		((uint8_t *)&t->dport)[1] = code;
		return 0;
	}
	default:
		if ((tb[CTA_PROTO_SRC_PORT] &&
		     get_be16(tb[CTA_PROTO_SRC_PORT], &t->sport)) ||
		    (tb[CTA_PROTO_DST_PORT] &&
		     get_be16(tb[CTA_PROTO_DST_PORT], &t->dport)))
			return -EBADMSG;
		return 0;
	}
}

static int parse_tuple(const struct nlattr *nest, uint8_t family,
		       struct tuple *t)
{
	const struct nlattr *tb[CTA_TUPLE_MAX + 1];
	int err;

	err = nlattr_parse_nested(nest, tb, CTA_TUPLE_MAX, NULL);
	if (err)
		return err;
	if (!tb[CTA_TUPLE_IP] || !tb[CTA_TUPLE_PROTO])
		return -EBADMSG;
	t->family = family;
	err = parse_ip(tb[CTA_TUPLE_IP], t);
	if (err)
		return err;
	return parse_proto(tb[CTA_TUPLE_PROTO], t);
}

static int parse_protoinfo(const struct nlattr *nest, struct flow *f)
{
	const struct nlattr *tb[CTA_PROTOINFO_MAX + 1];
	const struct nlattr *tcp[CTA_PROTOINFO_TCP_MAX + 1];
	int err;

	err = nlattr_parse_nested(nest, tb, CTA_PROTOINFO_MAX, NULL);
	if (err)
		return err;
	if (!tb[CTA_PROTOINFO_TCP])
		return 0;
	err = nlattr_parse_nested(tb[CTA_PROTOINFO_TCP], tcp,
				  CTA_PROTOINFO_TCP_MAX, NULL);
	if (err)
		return err;
	if (tcp[CTA_PROTOINFO_TCP_STATE])
		return get_u8(tcp[CTA_PROTOINFO_TCP_STATE], &f->tcp_state);
	return 0;
}

int ct_parse_msg(const struct nlmsghdr *nlh, struct flow *f)
{
	const struct nlattr *tb[CTA_MAX + 1];
	const struct nfgenmsg *nfg;
	uint8_t family;
	int err;

	memset(f, 0, sizeof(*f));
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*nfg))
		return -EBADMSG;
	if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_CTNETLINK)
		return -EPROTO;
	nfg = mnl_nlmsg_get_payload(nlh);
	family = nfg->nfgen_family;
	if (family != AF_INET && family != AF_INET6)
		return -EPROTO;

	err = nlattr_parse_strict((const char *)nfg + MNL_ALIGN(sizeof(*nfg)),
			  nlh->nlmsg_len - NLMSG_HDRLEN - MNL_ALIGN(sizeof(*nfg)),
			  tb, CTA_MAX);
	if (err)
		return err;
	if (!tb[CTA_TUPLE_ORIG] || !tb[CTA_TUPLE_REPLY])
		return -EBADMSG;
	err = parse_tuple(tb[CTA_TUPLE_ORIG], family, &f->orig);
	if (!err)
		err = parse_tuple(tb[CTA_TUPLE_REPLY], family, &f->reply);
	if (err)
		return err;
	if (f->orig.l4proto != f->reply.l4proto)
		return -EBADMSG;

	if ((tb[CTA_ID] && get_be32(tb[CTA_ID], &f->id)) ||
	    (tb[CTA_STATUS] && get_be32(tb[CTA_STATUS], &f->status)) ||
	    (tb[CTA_MARK] && get_be32(tb[CTA_MARK], &f->mark)) ||
	    (tb[CTA_TIMEOUT] && get_be32(tb[CTA_TIMEOUT], &f->timeout)))
		return -EBADMSG;
	if (tb[CTA_ZONE]) {
		uint16_t z;

		if (get_be16(tb[CTA_ZONE], &z))
			return -EBADMSG;
		f->zone = ntohs(z);
	}
	if (tb[CTA_PROTOINFO])
		return parse_protoinfo(tb[CTA_PROTOINFO], f);
	return 0;
}

/* ---- filter ----------------------------------------------------------- */

bool ct_filter_match(const struct ct_filter *flt, const struct flow *f)
{
	size_t alen = addr_len(f->orig.family);

	if (flt->family && f->orig.family != flt->family)
		return false;
	if (flt->l4proto && f->orig.l4proto != flt->l4proto)
		return false;
	if (flt->status_mask &&
	    (f->status & flt->status_mask) != flt->status)
		return false;
	if (flt->has_orig_dport &&
	    (!proto_has_ports(f->orig.l4proto) ||
	     f->orig.dport != flt->orig_dport))
		return false;
	if (flt->has_orig_dst && memcmp(f->orig.dst.b, flt->orig_dst.b, alen))
		return false;
	if (flt->has_reply_src &&
	    memcmp(f->reply.src.b, flt->reply_src.b, alen))
		return false;
	if (flt->zone && f->zone != flt->zone)
		return false;
	return true;
}

