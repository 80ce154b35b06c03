// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_ct.c - ct_parse_msg on hand-built ctnetlink messages (good, truncated,
 * malformed) and the userspace half of the dump filter.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>

#include "ct.h"
#include "mkmodel.h"

#define BUFSZ 1024

struct spec {
	uint8_t family, proto;
	const char *osrc, *odst, *rsrc, *rdst;
	uint16_t osport, odport, rsport, rdport;
	uint32_t status, id, mark, timeout;
	uint16_t zone;
	int tcp_state;		/* -1: no CTA_PROTOINFO */
	uint8_t rproto;		/* 0: same as proto */
};

static void put_ip(struct nlmsghdr *nlh, uint8_t family, const char *s,
		   const char *d)
{
	unsigned char a[16];
	struct nlattr *n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	bool v4 = family == AF_INET;

	inet_pton(family, s, a);
	mnl_attr_put(nlh, v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, v4 ? 4 : 16, a);
	inet_pton(family, d, a);
	mnl_attr_put(nlh, v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST, v4 ? 4 : 16, a);
	mnl_attr_nest_end(nlh, n);
}

static void put_tuple(struct nlmsghdr *nlh, uint16_t type, uint8_t family,
		      uint8_t proto, const char *s, const char *d,
		      uint16_t sp, uint16_t dp)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, type), *p;

	put_ip(nlh, family, s, d);
	p = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, proto);
	if (proto == IPPROTO_ICMP) {
		mnl_attr_put_u16(nlh, CTA_PROTO_ICMP_ID, htons(sp));
		mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_TYPE, dp >> 8);
		mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_CODE, dp & 0xff);
	} else {
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sp));
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dp));
	}
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, t);
}

static struct nlmsghdr *build(char *buf, const struct spec *s)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = s->family;
	put_tuple(nlh, CTA_TUPLE_ORIG, s->family, s->proto, s->osrc, s->odst,
		  s->osport, s->odport);
	put_tuple(nlh, CTA_TUPLE_REPLY, s->family,
		  s->rproto ? s->rproto : s->proto, s->rsrc, s->rdst,
		  s->rsport, s->rdport);
	mnl_attr_put_u16(nlh, CTA_ZONE, htons(s->zone));
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(s->status));
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(s->timeout));
	if (s->tcp_state >= 0) {
		struct nlattr *pi = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
		struct nlattr *tcp = mnl_attr_nest_start(nlh,
							 CTA_PROTOINFO_TCP);

		mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE, s->tcp_state);
		mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_WSCALE_ORIGINAL, 7);
		mnl_attr_nest_end(nlh, tcp);
		mnl_attr_nest_end(nlh, pi);
	}
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(s->mark));
	mnl_attr_put_u32(nlh, CTA_ID, htonl(s->id));
	mnl_attr_put_u32(nlh, CTA_USE, htonl(1));	/* not modelled */
	return nlh;
}

static const struct spec udp4 = {
	.family = AF_INET, .proto = IPPROTO_UDP,
	.osrc = "203.0.113.10", .odst = "203.0.113.1",
	.rsrc = "192.168.50.2", .rdst = "203.0.113.10",
	.osport = 51820, .odport = 53820, .rsport = 51820, .rdport = 51820,
	.status = IPS_CONFIRMED | IPS_SEEN_REPLY | IPS_ASSURED | IPS_DST_NAT,
	.id = 0xdeadbeef, .mark = 42, .timeout = 117, .zone = 0,
	.tcp_state = -1,
};

static const struct spec tcp4 = {
	.family = AF_INET, .proto = IPPROTO_TCP,
	.osrc = "198.51.100.7", .odst = "203.0.113.1",
	.rsrc = "192.168.50.3", .rdst = "198.51.100.7",
	.osport = 40000, .odport = 443, .rsport = 8443, .rdport = 40000,
	.status = IPS_CONFIRMED | IPS_SEEN_REPLY | IPS_DST_NAT,
	.id = 7, .timeout = 431999, .zone = 3,
	.tcp_state = TCP_CONNTRACK_ESTABLISHED,
};

static const struct spec udp6 = {
	.family = AF_INET6, .proto = IPPROTO_UDP,
	.osrc = "2001:db8::10", .odst = "2001:db8::1",
	.rsrc = "fd00:50::2", .rdst = "2001:db8::10",
	.osport = 5000, .odport = 53, .rsport = 53, .rdport = 5000,
	.status = IPS_CONFIRMED | IPS_DST_NAT, .id = 1, .timeout = 30,
	.tcp_state = -1,
};

static const struct spec icmp4 = {
	.family = AF_INET, .proto = IPPROTO_ICMP,
	.osrc = "203.0.113.10", .odst = "203.0.113.1",
	.rsrc = "203.0.113.1", .rdst = "203.0.113.10",
	.osport = 0x1234, .odport = 0x0800, .rsport = 0x1234,
	.rdport = 0x0000, .status = IPS_CONFIRMED, .id = 9, .timeout = 29,
	.tcp_state = -1,
};

static void check_tuple(const struct tuple *t, uint8_t family, uint8_t proto,
			const char *s, const char *d, uint16_t sp, uint16_t dp)
{
	union addr a;

	assert_int_equal(t->family, family);
	assert_int_equal(t->l4proto, proto);
	memset(&a, 0, sizeof(a));
	inet_pton(family, s, a.b);
	assert_memory_equal(t->src.b, a.b, sizeof(a));
	memset(&a, 0, sizeof(a));
	inet_pton(family, d, a.b);
	assert_memory_equal(t->dst.b, a.b, sizeof(a));
	if (proto == IPPROTO_ICMP) {
		assert_int_equal(ntohs(t->sport), sp);
		assert_int_equal(((const uint8_t *)&t->dport)[0], dp >> 8);
		assert_int_equal(((const uint8_t *)&t->dport)[1], dp & 0xff);
	} else {
		assert_int_equal(ntohs(t->sport), sp);
		assert_int_equal(ntohs(t->dport), dp);
	}
}

static void check_spec(const struct spec *s)
{
	char buf[BUFSZ];
	struct nlmsghdr *nlh = build(buf, s);
	struct flow f;

	assert_int_equal(ct_parse_msg(nlh, &f), 0);
	check_tuple(&f.orig, s->family, s->proto, s->osrc, s->odst,
		    s->osport, s->odport);
	check_tuple(&f.reply, s->family, s->proto, s->rsrc, s->rdst,
		    s->rsport, s->rdport);
	assert_int_equal(f.status, s->status);
	assert_int_equal(f.id, s->id);
	assert_int_equal(f.mark, s->mark);
	assert_int_equal(f.timeout, s->timeout);
	assert_int_equal(f.zone, s->zone);
	assert_int_equal(f.tcp_state, s->tcp_state < 0 ? 0 : s->tcp_state);
}

static void test_parse_udp4(void **state) { (void)state; check_spec(&udp4); }
static void test_parse_tcp4(void **state) { (void)state; check_spec(&tcp4); }
static void test_parse_udp6(void **state) { (void)state; check_spec(&udp6); }
static void test_parse_icmp4(void **state) { (void)state; check_spec(&icmp4); }

/* Every shorter nlmsg_len, in a buffer of exactly that size (so ASan sees
 * any read past it): an error, or success only with both tuples intact. */
static void truncate_all(const struct spec *s)
{
	char buf[BUFSZ];
	struct nlmsghdr *full = build(buf, s);
	struct flow ref, f;
	uint32_t len;

	assert_int_equal(ct_parse_msg(full, &ref), 0);
	for (len = sizeof(struct nlmsghdr); len < full->nlmsg_len; len++) {
		char *copy = malloc(len);
		int ret;

		assert_non_null(copy);
		memcpy(copy, buf, len);
		((struct nlmsghdr *)copy)->nlmsg_len = len;
		ret = ct_parse_msg((struct nlmsghdr *)copy, &f);
		if (ret == 0) {
			assert_memory_equal(&f.orig, &ref.orig,
					    sizeof(f.orig));
			assert_memory_equal(&f.reply, &ref.reply,
					    sizeof(f.reply));
		} else {
			assert_true(ret == -EBADMSG || ret == -EPROTO);
		}
		free(copy);
	}
}

static void test_truncated(void **state)
{
	(void)state;
	truncate_all(&udp4);
	truncate_all(&tcp4);
	truncate_all(&udp6);
	truncate_all(&icmp4);
}

/* Cutting inside the tuples must always fail: they are required. */
static void test_truncated_in_tuples(void **state)
{
	char buf[BUFSZ];
	struct nlmsghdr *nlh = build(buf, &udp4);
	struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	struct nlattr *orig = (struct nlattr *)((char *)nfg + sizeof(*nfg));
	uint32_t end_tuples = (uint32_t)((char *)orig - buf) +
			      MNL_ALIGN(orig->nla_len);
	struct nlattr *reply = (struct nlattr *)(buf + end_tuples);
	uint32_t len;
	struct flow f;

	(void)state;
	end_tuples += MNL_ALIGN(reply->nla_len);
	for (len = sizeof(struct nlmsghdr); len < end_tuples; len++) {
		char *copy = malloc(len);

		memcpy(copy, buf, len);
		((struct nlmsghdr *)copy)->nlmsg_len = len;
		assert_int_not_equal(ct_parse_msg((struct nlmsghdr *)copy, &f),
				     0);
		free(copy);
	}
}

/* Flip every byte of the message through a few values: no crash, and any
 * success still has the families right. */
static void test_byte_flips(void **state)
{
	static const uint8_t vals[] = { 0x00, 0xff, 0x01, 0x80, 0x04, 0x7f };
	char buf[BUFSZ];
	struct nlmsghdr *nlh = build(buf, &tcp4);
	uint32_t len = nlh->nlmsg_len, i, v;

	(void)state;
	for (i = sizeof(uint32_t); i < len; i++) {
		for (v = 0; v < sizeof(vals); v++) {
			char *copy = malloc(len);
			struct flow f;

			memcpy(copy, buf, len);
			copy[i] = vals[v];
			if (ct_parse_msg((struct nlmsghdr *)copy, &f) == 0) {
				assert_true(f.orig.family == AF_INET ||
					    f.orig.family == AF_INET6);
				assert_int_equal(f.orig.family,
						 f.reply.family);
			}
			free(copy);
		}
	}
}

static struct nlattr *find_attr(struct nlmsghdr *nlh, uint16_t type)
{
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

static void test_malformed(void **state)
{
	char buf[BUFSZ];
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	struct nlattr *a;
	struct flow f;
	struct spec s;

	(void)state;
	/* attribute longer than the message */
	nlh = build(buf, &udp4);
	a = find_attr(nlh, CTA_STATUS);
	a->nla_len = 200;
	assert_int_equal(ct_parse_msg(nlh, &f), -EBADMSG);

	/* attribute shorter than its own header */
	nlh = build(buf, &udp4);
	find_attr(nlh, CTA_TIMEOUT)->nla_len = 2;
	assert_int_equal(ct_parse_msg(nlh, &f), -EBADMSG);

	/* a u32 of the wrong size: CTA_STATUS with 2 bytes, then padding */
	nlh = build(buf, &udp4);
	find_attr(nlh, CTA_STATUS)->nla_len = 6;
	assert_int_equal(ct_parse_msg(nlh, &f), -EBADMSG);

	/* IPv4 addresses in a message that says IPv6 */
	nlh = build(buf, &udp4);
	nfg = mnl_nlmsg_get_payload(nlh);
	nfg->nfgen_family = AF_INET6;
	assert_int_equal(ct_parse_msg(nlh, &f), -EBADMSG);

	/* unknown family, other subsystem */
	nlh = build(buf, &udp4);
	nfg = mnl_nlmsg_get_payload(nlh);
	nfg->nfgen_family = AF_BRIDGE;
	assert_int_equal(ct_parse_msg(nlh, &f), -EPROTO);
	nlh = build(buf, &udp4);
	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | 0;
	assert_int_equal(ct_parse_msg(nlh, &f), -EPROTO);

	/* the two directions disagree on the protocol */
	s = udp4;
	s.rproto = IPPROTO_TCP;
	nlh = build(buf, &s);
	assert_int_equal(ct_parse_msg(nlh, &f), -EBADMSG);

	/* no reply tuple */
	nlh = build(buf, &udp4);
	a = find_attr(nlh, CTA_TUPLE_REPLY);
	a->nla_type = CTA_HELP;		/* unknown to us: skipped */
	assert_int_equal(ct_parse_msg(nlh, &f), -EBADMSG);

	/* nlmsg_len too short for the nfgenmsg */
	nlh = build(buf, &udp4);
	nlh->nlmsg_len = NLMSG_HDRLEN + 2;
	assert_int_equal(ct_parse_msg(nlh, &f), -EBADMSG);

	/* two trailing bytes that cannot be an attribute */
	nlh = build(buf, &udp4);
	memset(buf + nlh->nlmsg_len, 0, 2);
	nlh->nlmsg_len += 2;
	assert_int_equal(ct_parse_msg(nlh, &f), -EBADMSG);
}

static void test_unknown_attrs_skipped(void **state)
{
	char buf[BUFSZ];
	struct nlmsghdr *nlh = build(buf, &udp4);
	struct flow f;

	(void)state;
	mnl_attr_put_u32(nlh, CTA_MAX + 5, 1);	/* newer kernel */
	assert_int_equal(ct_parse_msg(nlh, &f), 0);
	assert_int_equal(f.id, udp4.id);
}

static void flow_of(const struct spec *s, struct flow *f)
{
	char buf[BUFSZ];

	assert_int_equal(ct_parse_msg(build(buf, s), f), 0);
}

/* The flows test_filter judges, as bits of a case's takes and refuses. */
enum { U4, T4, U6, I4, NFLOWS };

static const char *const flow_names[NFLOWS] = { "udp4", "tcp4", "udp6",
						"icmp4" };

/* A filter, and the flows it must take and refuse. */
struct fcase {
	const char *what;
	struct ct_filter flt;
	unsigned int takes, refuses;
};

static void check_filters(const struct flow fl[NFLOWS])
{
	const struct fcase cases[] = {
		{ "none", { 0 }, 1 << U4 | 1 << U6, 0 },
		{ "family", { .family = AF_INET }, 1 << U4, 1 << U6 },
		{ "protocol", { .family = AF_INET, .l4proto = IPPROTO_UDP },
		  0, 1 << T4 },
		{ "port", { .family = AF_INET, .l4proto = IPPROTO_UDP,
			    .has_orig_dport = true,
			    .orig_dport = htons(53820) }, 1 << U4, 0 },
		{ "other port", { .family = AF_INET, .l4proto = IPPROTO_UDP,
				  .has_orig_dport = true,
				  .orig_dport = htons(53821) }, 0, 1 << U4 },
		{ "a port filter, a protocol without ports",
		  { .has_orig_dport = true, .orig_dport = fl[I4].orig.dport },
		  0, 1 << I4 },
		{ "reply source", { .family = AF_INET, .has_reply_src = true,
				    .reply_src = A("192.168.50.2") },
		  1 << U4, 1 << T4 },
		{ "reply source and original destination",
		  { .family = AF_INET, .has_reply_src = true,
		    .reply_src = A("192.168.50.2"), .has_orig_dst = true,
		    .orig_dst = A("203.0.113.1") }, 1 << U4, 0 },
		{ "reply source and other original destination",
		  { .family = AF_INET, .has_reply_src = true,
		    .reply_src = A("192.168.50.2"), .has_orig_dst = true,
		    .orig_dst = A("203.0.113.2") }, 0, 1 << U4 },
		{ "IPv6 reply source", { .family = AF_INET6,
					 .has_reply_src = true,
					 .reply_src = A("fd00:50::2") },
		  1 << U6, 0 },
		{ "other IPv6 reply source",
		  { .family = AF_INET6, .has_reply_src = true,
		    .reply_src = A("fd00:50::3") }, 0, 1 << U6 },
		{ "DST_NAT set", { .status = IPS_DST_NAT,
				   .status_mask = IPS_DST_NAT },
		  1 << U4, 1 << I4 },
		{ "DST_NAT not set", { .status = 0,
				       .status_mask = IPS_DST_NAT },
		  1 << I4, 1 << U4 },
		/* udp4 is ASSURED */
		{ "DST_NAT set, not ASSURED",
		  { .status = IPS_DST_NAT,
		    .status_mask = IPS_DST_NAT | IPS_ASSURED },
		  1 << T4, 1 << U4 },
		{ "zone", { .zone = 3 }, 1 << T4, 1 << U4 },
	};
	unsigned int i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (k = 0; k < NFLOWS; k++) {
			const struct fcase *c = &cases[i];
			bool took = ct_filter_match(&c->flt, &fl[k]);

			if ((c->takes & 1u << k) && !took)
				fail_msg("%s: refuses %s", c->what,
					 flow_names[k]);
			if ((c->refuses & 1u << k) && took)
				fail_msg("%s: takes %s", c->what,
					 flow_names[k]);
		}
}

static void test_filter(void **state)
{
	struct flow fl[NFLOWS];

	(void)state;
	flow_of(&udp4, &fl[U4]);
	flow_of(&tcp4, &fl[T4]);
	flow_of(&udp6, &fl[U6]);
	flow_of(&icmp4, &fl[I4]);
	check_filters(fl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_udp4),
		cmocka_unit_test(test_parse_tcp4),
		cmocka_unit_test(test_parse_udp6),
		cmocka_unit_test(test_parse_icmp4),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_truncated_in_tuples),
		cmocka_unit_test(test_byte_flips),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_unknown_attrs_skipped),
		cmocka_unit_test(test_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
