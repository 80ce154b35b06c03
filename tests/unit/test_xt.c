// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_xt.c - the x_tables blob decoders on hand-built blobs: every layout
 * we decode, the lengths both readers pass (XT_ALIGN'd from legacy tables,
 * exact from nft compat), short blobs, and random bytes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <linux/rtnetlink.h>
#include <linux/netfilter.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter/xt_multiport.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_state.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_mark.h>
#include <linux/netfilter/xt_connmark.h>
#include <linux/netfilter/xt_statistic.h>
#include <linux/netfilter/xt_recent.h>
#include "xt.h"
#include "exprassert.h"

/* Pad like iptables-legacy does. */
#define ALIGNED(x) XT_ALIGN(sizeof(x))

static uint32_t ip4(const char *s)
{
	uint32_t a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void assert_unknown(const struct nm_expr *e, const char *what)
{
	assert_int_equal(e->op, NM_OP_UNKNOWN);
	if (what)
		assert_string_equal(e->unknown, what);
}

/* Decode @info with every length from 0 up to one short of @size and
 * expect NM_OP_UNKNOWN each time. */
static void assert_short_target(uint8_t family, const char *name,
				uint32_t rev, const void *info, size_t size)
{
	struct nm_expr e;
	size_t len;

	for (len = 0; len < size; len++) {
		assert_int_equal(xt_decode_target(family, name, rev, info,
						  len, &e), 0);
		assert_int_equal(e.op, NM_OP_UNKNOWN);
	}
}

static void assert_short_match(uint8_t family, uint16_t proto,
			       const char *name, uint32_t rev,
			       const void *info, size_t size)
{
	struct nm_expr e;
	size_t len;

	for (len = 0; len < size; len++) {
		assert_int_equal(xt_decode_match(family, proto, name, rev,
						 info, len, &e), 0);
		assert_int_equal(e.op, NM_OP_UNKNOWN);
	}
}

/* ---- targets ---------------------------------------------------------- */

static void test_dnat_rev0(void **state)
{
	struct nf_nat_ipv4_multi_range_compat mr;
	unsigned char buf[ALIGNED(mr)];
	struct nm_expr e;

	(void)state;
	memset(&mr, 0, sizeof(mr));
	mr.rangesize = 1;
	mr.range[0].flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED;
	mr.range[0].min_ip = ip4("192.168.50.3");
	mr.range[0].max_ip = ip4("192.168.50.4");
	mr.range[0].min.all = htons(53820);
	mr.range[0].max.all = htons(53821);
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &mr, sizeof(mr));

	assert_int_equal(xt_decode_target(AF_INET, "DNAT", 0, buf, sizeof(buf),
					  &e), 0);
	assert_int_equal(e.op, NM_OP_NATSPEC);
	assert_int_equal(e.natspec.type, NFT_NAT_DNAT);
	assert_int_equal(e.natspec.family, AF_INET);
	assert_int_equal(e.natspec.flags, NF_NAT_RANGE_MAP_IPS |
			 NF_NAT_RANGE_PROTO_SPECIFIED);
	assert_int_equal(e.natspec.addr_min.ip, ip4("192.168.50.3"));
	assert_int_equal(e.natspec.addr_max.ip, ip4("192.168.50.4"));
	assert_int_equal(e.natspec.port_min, htons(53820));
	assert_int_equal(e.natspec.port_max, htons(53821));

	/* The exact size, as nft compat hands it over, is enough. */
	assert_int_equal(xt_decode_target(AF_INET, "SNAT", 0, &mr, sizeof(mr),
					  &e), 0);
	assert_int_equal(e.op, NM_OP_NATSPEC);
	assert_int_equal(e.natspec.type, NFT_NAT_SNAT);

	assert_short_target(AF_INET, "DNAT", 0, buf, sizeof(mr));
	/* The compat layout is IPv4's alone. */
	xt_decode_target(AF_INET6, "DNAT", 0, buf, sizeof(buf), &e);
	assert_unknown(&e, NULL);
	/* The kernel takes exactly one range. */
	mr.rangesize = 2;
	xt_decode_target(AF_INET, "DNAT", 0, &mr, sizeof(mr), &e);
	assert_unknown(&e, NULL);
}

static void test_nat_rev1(void **state)
{
	struct nf_nat_range r;
	struct nm_expr e;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.flags = NF_NAT_RANGE_MAP_IPS;
	inet_pton(AF_INET6, "fd00:50::2", &r.min_addr.in6);
	inet_pton(AF_INET6, "fd00:50::9", &r.max_addr.in6);
	assert_int_equal(xt_decode_target(AF_INET6, "DNAT", 1, &r, sizeof(r),
					  &e), 0);
	assert_int_equal(e.op, NM_OP_NATSPEC);
	assert_int_equal(e.natspec.type, NFT_NAT_DNAT);
	assert_int_equal(e.natspec.family, AF_INET6);
	assert_memory_equal(&e.natspec.addr_min.ip6, &r.min_addr.in6, 16);
	assert_memory_equal(&e.natspec.addr_max.ip6, &r.max_addr.in6, 16);
	assert_int_equal(e.natspec.port_min, 0);

	memset(&r, 0, sizeof(r));
	r.flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED |
		  NF_NAT_RANGE_PROTO_RANDOM_FULLY;
	r.min_addr.ip = ip4("203.0.113.5");
	r.max_addr.ip = ip4("203.0.113.5");
	r.min_proto.all = htons(1024);
	r.max_proto.all = htons(65535);
	assert_int_equal(xt_decode_target(AF_INET, "SNAT", 1, &r, sizeof(r),
					  &e), 0);
	assert_int_equal(e.op, NM_OP_NATSPEC);
	assert_int_equal(e.natspec.type, NFT_NAT_SNAT);
	assert_int_equal(e.natspec.family, AF_INET);
	assert_int_equal(e.natspec.flags, r.flags);
	assert_int_equal(e.natspec.addr_min.ip, ip4("203.0.113.5"));
	assert_int_equal(e.natspec.port_min, htons(1024));
	assert_int_equal(e.natspec.port_max, htons(65535));
	assert_short_target(AF_INET, "SNAT", 1, &r, sizeof(r));
}

static void test_nat_rev2(void **state)
{
	struct nf_nat_range2 r;
	unsigned char buf[ALIGNED(r)];
	struct nm_expr e;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED;
	r.min_addr.ip = r.max_addr.ip = ip4("172.17.0.2");
	r.min_proto.all = r.max_proto.all = htons(80);
	r.base_proto.all = htons(8080);		/* ignored without OFFSET */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &r, sizeof(r));
	assert_int_equal(xt_decode_target(AF_INET, "DNAT", 2, buf, sizeof(buf),
					  &e), 0);
	assert_int_equal(e.op, NM_OP_NATSPEC);
	assert_int_equal(e.natspec.type, NFT_NAT_DNAT);
	assert_int_equal(e.natspec.addr_min.ip, ip4("172.17.0.2"));
	assert_int_equal(e.natspec.port_min, htons(80));
	assert_int_equal(e.natspec.port_max, htons(80));
	assert_int_equal(xt_decode_target(AF_INET6, "SNAT", 2, &r, sizeof(r),
					  &e), 0);
	assert_int_equal(e.op, NM_OP_NATSPEC);
	assert_int_equal(e.natspec.type, NFT_NAT_SNAT);
	assert_int_equal(e.natspec.family, AF_INET6);
	assert_short_target(AF_INET, "DNAT", 2, buf, sizeof(r));

	/* A port offset ("--to-destination :1000-2000/3000") is not modelled. */
	r.flags |= NF_NAT_RANGE_PROTO_OFFSET;
	xt_decode_target(AF_INET, "DNAT", 2, &r, sizeof(r), &e);
	assert_unknown(&e, NULL);
	/* Nor flags the kernel does not know. */
	r.flags = 1u << 20;
	xt_decode_target(AF_INET, "DNAT", 2, &r, sizeof(r), &e);
	assert_unknown(&e, NULL);
	/* Nor a revision that does not exist. */
	xt_decode_target(AF_INET, "DNAT", 3, buf, sizeof(buf), &e);
	assert_unknown(&e, "xt target DNAT rev");
}

static void test_masq_redirect(void **state)
{
	struct nf_nat_ipv4_multi_range_compat mr;
	struct nf_nat_range r;
	struct nm_expr e;

	(void)state;
	memset(&mr, 0, sizeof(mr));
	mr.rangesize = 1;
	assert_int_equal(xt_decode_target(AF_INET, "MASQUERADE", 0, &mr,
					  sizeof(mr), &e), 0);
	assert_int_equal(e.op, NM_OP_NATSPEC);
	assert_int_equal(e.natspec.type, NM_NAT_MASQ);
	assert_int_equal(e.natspec.flags, 0);

	mr.range[0].flags = NF_NAT_RANGE_PROTO_SPECIFIED;
	mr.range[0].min.all = mr.range[0].max.all = htons(22);
	assert_int_equal(xt_decode_target(AF_INET, "REDIRECT", 0, &mr,
					  sizeof(mr), &e), 0);
	assert_int_equal(e.op, NM_OP_NATSPEC);
	assert_int_equal(e.natspec.type, NM_NAT_REDIR);
	assert_int_equal(e.natspec.port_min, htons(22));
	assert_int_equal(e.natspec.port_max, htons(22));
	assert_short_target(AF_INET, "REDIRECT", 0, &mr, sizeof(mr));

	/* ip6t_MASQUERADE and ip6t_REDIRECT take an nf_nat_range. */
	memset(&r, 0, sizeof(r));
	r.flags = NF_NAT_RANGE_PROTO_SPECIFIED;
	r.min_proto.all = htons(53);
	r.max_proto.all = htons(53);
	assert_int_equal(xt_decode_target(AF_INET6, "REDIRECT", 0, &r,
					  sizeof(r), &e), 0);
	assert_int_equal(e.op, NM_OP_NATSPEC);
	assert_int_equal(e.natspec.type, NM_NAT_REDIR);
	assert_int_equal(e.natspec.family, AF_INET6);
	assert_int_equal(e.natspec.port_min, htons(53));
	assert_int_equal(xt_decode_target(AF_INET6, "MASQUERADE", 0, &r,
					  sizeof(r), &e), 0);
	assert_int_equal(e.natspec.type, NM_NAT_MASQ);
	assert_short_target(AF_INET6, "MASQUERADE", 0, &r, sizeof(r));
	xt_decode_target(AF_INET6, "MASQUERADE", 1, &r, sizeof(r), &e);
	assert_unknown(&e, NULL);
}

static void test_other_targets(void **state)
{
	unsigned char buf[64] = { 0 };
	struct nm_expr e;

	(void)state;
	assert_int_equal(xt_decode_target(AF_INET, "NETMAP", 0, buf,
					  sizeof(buf), &e), 0);
	assert_unknown(&e, "xt target NETMAP");
	assert_int_equal(xt_decode_target(AF_INET, "TPROXY", 1, buf,
					  sizeof(buf), &e), 0);
	assert_unknown(&e, "xt target TPROXY");
	assert_int_equal(xt_decode_target(AF_INET, NULL, 0, buf, sizeof(buf),
					  &e), -EINVAL);
	xt_decode_target(AF_INET, "DNAT", 1, NULL, 0, &e);
	assert_unknown(&e, NULL);
}

/* Decode a MARK/CONNMARK blob and expect NM_OP_XT_MARK with these values. */
static void assert_xt_mark(const char *name, uint32_t rev, const void *info,
			   size_t len, bool ct, uint32_t value, uint32_t mask)
{
	struct nm_expr e;

	assert_int_equal(xt_decode_target(AF_INET, name, rev, info, len, &e),
			 0);
	assert_int_equal(e.op, NM_OP_XT_MARK);
	assert_int_equal(e.mark.ct, ct);
	assert_int_equal(e.mark.inv, 0);
	assert_int_equal(e.mark.value, value);
	assert_int_equal(e.mark.mask, mask);
}

static void test_mark_target(void **state)
{
	struct xt_mark_tginfo2 m = { .mark = 0x4000, .mask = 0x4000 };
	unsigned char buf[ALIGNED(m)] = { 0 };
	struct nm_expr e;

	(void)state;
	/* kube-proxy's -j MARK --or-mark 0x4000, as iptables writes it. */
	memcpy(buf, &m, sizeof(m));
	assert_xt_mark("MARK", 2, buf, sizeof(buf), false, 0x4000, 0x4000);
	assert_xt_mark("MARK", 2, &m, sizeof(m), false, 0x4000, 0x4000);
	/* --xor-mark 0x4000: nothing cleared, the bit flipped. */
	m.mask = 0;
	assert_xt_mark("MARK", 2, &m, sizeof(m), false, 0x4000, 0);
	assert_int_equal(xt_decode_target(AF_INET6, "MARK", 2, &m, sizeof(m),
					  &e), 0);
	assert_int_equal(e.op, NM_OP_XT_MARK);

	assert_short_target(AF_INET, "MARK", 2, buf, sizeof(m));
	/* Revisions 0 and 1 are gone from the kernel; 3 never was. */
	xt_decode_target(AF_INET, "MARK", 0, buf, sizeof(buf), &e);
	assert_unknown(&e, "xt target MARK rev");
	xt_decode_target(AF_INET, "MARK", 1, buf, sizeof(buf), &e);
	assert_unknown(&e, "xt target MARK rev");
	xt_decode_target(AF_INET, "MARK", 3, buf, sizeof(buf), &e);
	assert_unknown(&e, "xt target MARK rev");
}

static void test_connmark_rev1(void **state)
{
	struct xt_connmark_tginfo1 c = {
		.ctmark = 0x100, .ctmask = 0xf00, .nfmask = 0xff,
		.mode = XT_CONNMARK_SET,
	};
	unsigned char buf[ALIGNED(c)] = { 0 };
	struct nm_expr e;

	(void)state;
	/* --set-xmark 0x100/0xf00: ct mark = (ct & ~0xf00) ^ 0x100 */
	memcpy(buf, &c, sizeof(c));
	assert_xt_mark("CONNMARK", 1, buf, sizeof(buf), true, 0x100, 0xf00);
	assert_xt_mark("CONNMARK", 1, &c, sizeof(c), true, 0x100, 0xf00);
	assert_short_target(AF_INET, "CONNMARK", 1, buf, sizeof(c));

	c.mode = XT_CONNMARK_SAVE;
	xt_decode_target(AF_INET6, "CONNMARK", 1, &c, sizeof(c), &e);
	assert_connmark(&e, NM_CONNMARK_SAVE, 0, 0, 0xf00, 0xff);
	c.mode = XT_CONNMARK_RESTORE;
	xt_decode_target(AF_INET, "CONNMARK", 1, &c, sizeof(c), &e);
	assert_connmark(&e, NM_CONNMARK_RESTORE, 0, 0, 0xf00, 0xff);

	/* A mode the kernel would ignore, and revisions it never had. */
	c.mode = XT_CONNMARK_RESTORE + 1;
	xt_decode_target(AF_INET, "CONNMARK", 1, &c, sizeof(c), &e);
	assert_unknown(&e, "xt target CONNMARK mode");
	c.mode = XT_CONNMARK_SET;
	xt_decode_target(AF_INET, "CONNMARK", 0, &c, sizeof(c), &e);
	assert_unknown(&e, "xt target CONNMARK rev");
	xt_decode_target(AF_INET, "CONNMARK", 3, buf, sizeof(buf), &e);
	assert_unknown(&e, "xt target CONNMARK rev");
}

static void test_connmark_rev2(void **state)
{
	struct xt_connmark_tginfo2 c = {
		.ctmark = 0, .ctmask = 0xff00, .nfmask = 0xffffffff,
		.shift_dir = D_SHIFT_LEFT, .shift_bits = 8,
		.mode = XT_CONNMARK_SAVE,
	};
	unsigned char buf[ALIGNED(c)] = { 0 };
	struct nm_expr e;

	(void)state;
	/* --save-mark --ctmask 0xff00 --left-shift-mark 8 */
	memcpy(buf, &c, sizeof(c));
	xt_decode_target(AF_INET, "CONNMARK", 2, buf, sizeof(buf), &e);
	assert_connmark(&e, NM_CONNMARK_SAVE, D_SHIFT_LEFT, 8, 0xff00,
			0xffffffff);
	c.mode = XT_CONNMARK_RESTORE;
	c.shift_dir = D_SHIFT_RIGHT;
	c.shift_bits = 31;
	xt_decode_target(AF_INET, "CONNMARK", 2, &c, sizeof(c), &e);
	assert_connmark(&e, NM_CONNMARK_RESTORE, D_SHIFT_RIGHT, 31, 0xff00,
			0xffffffff);
	assert_short_target(AF_INET, "CONNMARK", 2, buf, sizeof(c));

	/* Shifts C leaves undefined, and directions iptables cannot write. */
	c.shift_bits = 32;
	xt_decode_target(AF_INET, "CONNMARK", 2, &c, sizeof(c), &e);
	assert_unknown(&e, "xt target CONNMARK shift");
	c.shift_bits = 0;
	c.shift_dir = 2;
	xt_decode_target(AF_INET, "CONNMARK", 2, &c, sizeof(c), &e);
	assert_unknown(&e, "xt target CONNMARK shift");

	/* --set-xmark without a shift is revision 1's. */
	c.shift_dir = D_SHIFT_LEFT;
	c.mode = XT_CONNMARK_SET;
	c.ctmark = 0x1;
	c.ctmask = 0xff;
	assert_xt_mark("CONNMARK", 2, &c, sizeof(c), true, 0x1, 0xff);
	/* With one, the kernel shifts the old bits too. */
	c.shift_bits = 4;
	xt_decode_target(AF_INET, "CONNMARK", 2, &c, sizeof(c), &e);
	assert_unknown(&e, "xt target CONNMARK set shift");
	c.shift_bits = 0;
	c.mode = 7;
	xt_decode_target(AF_INET, "CONNMARK", 2, &c, sizeof(c), &e);
	assert_unknown(&e, "xt target CONNMARK mode");
}

/* ---- matches ---------------------------------------------------------- */

static void test_udp(void **state)
{
	struct xt_udp u;
	unsigned char buf[ALIGNED(u)];
	struct nm_expr e;

	(void)state;
	memset(&u, 0, sizeof(u));
	u.spts[0] = 0;
	u.spts[1] = 0xffff;
	u.dpts[0] = u.dpts[1] = 53820;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &u, sizeof(u));
	assert_int_equal(xt_decode_match(AF_INET, IPPROTO_UDP, "udp", 0, buf,
					 sizeof(buf), &e), 0);
	assert_int_equal(e.op, NM_OP_XT_PORTS);
	assert_int_equal(e.ports.proto, IPPROTO_UDP);
	assert_int_equal(e.ports.nsrc, 0);	/* 0:65535 is no test */
	assert_int_equal(e.ports.ndst, 1);
	assert_int_equal(e.ports.dst[0][0], 53820);
	assert_int_equal(e.ports.dst[0][1], 53820);
	assert_int_equal(e.ports.dst_inv, 0);

	u.spts[0] = 1000;
	u.spts[1] = 2000;
	u.invflags = XT_UDP_INV_SRCPT | XT_UDP_INV_DSTPT;
	assert_int_equal(xt_decode_match(AF_INET6, IPPROTO_UDP, "udp", 0, &u,
					 sizeof(u), &e), 0);
	assert_int_equal(e.op, NM_OP_XT_PORTS);
	assert_int_equal(e.ports.nsrc, 1);
	assert_int_equal(e.ports.src[0][0], 1000);
	assert_int_equal(e.ports.src[0][1], 2000);
	assert_int_equal(e.ports.src_inv, 1);
	assert_int_equal(e.ports.dst_inv, 1);

	u.invflags = 0x80;
	xt_decode_match(AF_INET, IPPROTO_UDP, "udp", 0, &u, sizeof(u), &e);
	assert_unknown(&e, NULL);
	assert_short_match(AF_INET, IPPROTO_UDP, "udp", 0, buf, sizeof(u));
	xt_decode_match(AF_INET, IPPROTO_UDP, "udp", 1, buf, sizeof(buf), &e);
	assert_unknown(&e, "xt match udp rev");
}

static void test_tcp(void **state)
{
	struct xt_tcp t;
	struct nm_expr e;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.spts[1] = 0xffff;
	t.dpts[0] = t.dpts[1] = 8080;
	assert_int_equal(xt_decode_match(AF_INET, IPPROTO_TCP, "tcp", 0, &t,
					 sizeof(t), &e), 0);
	assert_int_equal(e.op, NM_OP_XT_PORTS);
	assert_int_equal(e.ports.proto, IPPROTO_TCP);
	assert_int_equal(e.ports.ndst, 1);
	assert_int_equal(e.ports.dst[0][0], 8080);

	/* --syn: FIN,SYN,RST,ACK SYN holds for every first packet. */
	t.flg_mask = 0x17;
	t.flg_cmp = 0x02;
	xt_decode_match(AF_INET, IPPROTO_TCP, "tcp", 0, &t, sizeof(t), &e);
	assert_int_equal(e.op, NM_OP_XT_PORTS);
	/* ! --syn never does. */
	t.invflags = XT_TCP_INV_FLAGS;
	xt_decode_match(AF_INET, IPPROTO_TCP, "tcp", 0, &t, sizeof(t), &e);
	assert_unknown(&e, "xt match tcp --tcp-flags");
	/* ALL SYN fails for an ECN SYN. */
	t.invflags = 0;
	t.flg_mask = 0xff;
	xt_decode_match(AF_INET, IPPROTO_TCP, "tcp", 0, &t, sizeof(t), &e);
	assert_unknown(&e, NULL);
	/* SYN,ACK ACK is for established traffic. */
	t.flg_mask = 0x12;
	t.flg_cmp = 0x10;
	xt_decode_match(AF_INET, IPPROTO_TCP, "tcp", 0, &t, sizeof(t), &e);
	assert_unknown(&e, NULL);
	/* --tcp-option depends on the client. */
	t.flg_mask = t.flg_cmp = 0;
	t.option = 2;
	xt_decode_match(AF_INET, IPPROTO_TCP, "tcp", 0, &t, sizeof(t), &e);
	assert_unknown(&e, "xt match tcp --tcp-option");
	t.option = 0;
	t.invflags = XT_TCP_INV_DSTPT;
	xt_decode_match(AF_INET, IPPROTO_TCP, "tcp", 0, &t, sizeof(t), &e);
	assert_int_equal(e.op, NM_OP_XT_PORTS);
	assert_int_equal(e.ports.dst_inv, 1);
	assert_short_match(AF_INET, IPPROTO_TCP, "tcp", 0, &t, sizeof(t));
}

static void test_multiport_v0(void **state)
{
	struct xt_multiport mp;
	struct nm_expr e;

	(void)state;
	memset(&mp, 0, sizeof(mp));
	mp.flags = XT_MULTIPORT_DESTINATION;
	mp.count = 3;
	mp.ports[0] = 80;
	mp.ports[1] = 443;
	mp.ports[2] = 8443;
	assert_int_equal(xt_decode_match(AF_INET, IPPROTO_TCP, "multiport", 0,
					 &mp, sizeof(mp), &e), 0);
	assert_int_equal(e.op, NM_OP_XT_PORTS);
	assert_int_equal(e.ports.proto, IPPROTO_TCP);
	assert_int_equal(e.ports.nsrc, 0);
	assert_int_equal(e.ports.ndst, 3);
	assert_int_equal(e.ports.dst[1][0], 443);
	assert_int_equal(e.ports.dst[1][1], 443);
	assert_int_equal(e.ports.dst[2][0], 8443);

	mp.flags = XT_MULTIPORT_EITHER;
	xt_decode_match(AF_INET, IPPROTO_SCTP, "multiport", 0, &mp, sizeof(mp),
			&e);
	assert_int_equal(e.op, NM_OP_XT_PORTS);
	assert_int_equal(e.ports.proto, IPPROTO_SCTP);
	assert_int_equal(e.ports.either, 1);
	assert_int_equal(e.ports.either_inv, 0);
	assert_int_equal(e.ports.nsrc, 3);
	assert_int_equal(e.ports.ndst, 3);

	mp.flags = 3;
	xt_decode_match(AF_INET, IPPROTO_TCP, "multiport", 0, &mp, sizeof(mp),
			&e);
	assert_unknown(&e, NULL);
	mp.flags = XT_MULTIPORT_SOURCE;
	mp.count = 16;
	xt_decode_match(AF_INET, IPPROTO_TCP, "multiport", 0, &mp, sizeof(mp),
			&e);
	assert_unknown(&e, NULL);
	mp.count = 0;
	xt_decode_match(AF_INET, IPPROTO_TCP, "multiport", 0, &mp, sizeof(mp),
			&e);
	assert_unknown(&e, NULL);
	assert_short_match(AF_INET, IPPROTO_TCP, "multiport", 0, &mp,
			   sizeof(mp));
}

static void test_multiport_v1(void **state)
{
	struct xt_multiport_v1 mp;
	unsigned char buf[ALIGNED(mp)];
	struct nm_expr e;

	(void)state;
	/* --sports 53,8000:8080,123 */
	memset(&mp, 0, sizeof(mp));
	mp.flags = XT_MULTIPORT_SOURCE;
	mp.count = 4;
	mp.ports[0] = 53;
	mp.ports[1] = 8000;
	mp.pflags[1] = 1;
	mp.ports[2] = 8080;
	mp.ports[3] = 123;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &mp, sizeof(mp));
	assert_int_equal(xt_decode_match(AF_INET, IPPROTO_UDP, "multiport", 1,
					 buf, sizeof(buf), &e), 0);
	assert_int_equal(e.op, NM_OP_XT_PORTS);
	assert_int_equal(e.ports.proto, IPPROTO_UDP);
	assert_int_equal(e.ports.nsrc, 3);
	assert_int_equal(e.ports.src[0][0], 53);
	assert_int_equal(e.ports.src[0][1], 53);
	assert_int_equal(e.ports.src[1][0], 8000);
	assert_int_equal(e.ports.src[1][1], 8080);
	assert_int_equal(e.ports.src[2][0], 123);
	assert_int_equal(e.ports.src_inv, 0);

	mp.flags = XT_MULTIPORT_DESTINATION;
	mp.invert = 1;
	xt_decode_match(AF_INET6, IPPROTO_UDP, "multiport", 1, &mp, sizeof(mp),
			&e);
	assert_int_equal(e.op, NM_OP_XT_PORTS);
	assert_int_equal(e.ports.ndst, 3);
	assert_int_equal(e.ports.dst_inv, 1);

	mp.flags = XT_MULTIPORT_EITHER;
	xt_decode_match(AF_INET, IPPROTO_TCP, "multiport", 1, &mp, sizeof(mp),
			&e);
	assert_int_equal(e.ports.either, 1);
	assert_int_equal(e.ports.either_inv, 1);
	assert_int_equal(e.ports.src[1][1], 8080);
	assert_int_equal(e.ports.dst[1][1], 8080);

	/* A range flag on the last port has no end. */
	mp.pflags[3] = 1;
	xt_decode_match(AF_INET, IPPROTO_TCP, "multiport", 1, &mp, sizeof(mp),
			&e);
	assert_unknown(&e, NULL);
	mp.pflags[3] = 0;
	mp.invert = 2;
	xt_decode_match(AF_INET, IPPROTO_TCP, "multiport", 1, &mp, sizeof(mp),
			&e);
	assert_unknown(&e, NULL);
	assert_short_match(AF_INET, IPPROTO_TCP, "multiport", 1, buf,
			   sizeof(mp));
	xt_decode_match(AF_INET, IPPROTO_TCP, "multiport", 2, buf, sizeof(buf),
			&e);
	assert_unknown(&e, "xt match multiport rev");
}

static void test_addrtype(void **state)
{
	struct xt_addrtype_info a0;
	struct xt_addrtype_info_v1 a1;
	struct nm_expr e;

	(void)state;
	/* XT_ADDRTYPE_* are 1 << RTN_* already. */
	assert_int_equal(XT_ADDRTYPE_LOCAL, 1 << RTN_LOCAL);
	assert_int_equal(XT_ADDRTYPE_BROADCAST, 1 << RTN_BROADCAST);

	memset(&a0, 0, sizeof(a0));
	a0.dest = XT_ADDRTYPE_LOCAL;
	a0.source = XT_ADDRTYPE_UNICAST;
	a0.invert_source = 1;
	assert_int_equal(xt_decode_match(AF_INET, 0, "addrtype", 0, &a0,
					 sizeof(a0), &e), 0);
	assert_int_equal(e.op, NM_OP_XT_ADDRTYPE);
	assert_int_equal(e.addrtype.dst_type, 1 << RTN_LOCAL);
	assert_int_equal(e.addrtype.src_type, 1 << RTN_UNICAST);
	assert_int_equal(e.addrtype.src_inv, 1);
	assert_int_equal(e.addrtype.dst_inv, 0);
	xt_decode_match(AF_INET6, 0, "addrtype", 0, &a0, sizeof(a0), &e);
	assert_unknown(&e, NULL);
	assert_short_match(AF_INET, 0, "addrtype", 0, &a0, sizeof(a0));

	memset(&a1, 0, sizeof(a1));
	a1.dest = XT_ADDRTYPE_LOCAL | XT_ADDRTYPE_BROADCAST;
	a1.flags = XT_ADDRTYPE_INVERT_DEST | XT_ADDRTYPE_LIMIT_IFACE_OUT;
	assert_int_equal(xt_decode_match(AF_INET6, 0, "addrtype", 1, &a1,
					 sizeof(a1), &e), 0);
	assert_int_equal(e.op, NM_OP_XT_ADDRTYPE);
	assert_int_equal(e.addrtype.dst_type,
			 (1 << RTN_LOCAL) | (1 << RTN_BROADCAST));
	assert_int_equal(e.addrtype.src_type, 0);
	assert_int_equal(e.addrtype.dst_inv, 1);
	assert_int_equal(e.addrtype.src_inv, 0);
	assert_int_equal(e.addrtype.limit_iface_out, 1);
	assert_int_equal(e.addrtype.limit_iface_in, 0);
	a1.flags = 0x10;
	xt_decode_match(AF_INET, 0, "addrtype", 1, &a1, sizeof(a1), &e);
	assert_unknown(&e, NULL);
	assert_short_match(AF_INET, 0, "addrtype", 1, &a1, sizeof(a1));
	xt_decode_match(AF_INET, 0, "addrtype", 2, &a1, sizeof(a1), &e);
	assert_unknown(&e, NULL);
}

static void test_state(void **state)
{
	struct xt_state_info s;
	struct nm_expr e;

	(void)state;
	s.statemask = XT_STATE_BIT(IP_CT_NEW) | XT_STATE_BIT(IP_CT_RELATED) |
		      XT_STATE_UNTRACKED;
	assert_int_equal(xt_decode_match(AF_INET, 0, "state", 0, &s, sizeof(s),
					 &e), 0);
	assert_int_equal(e.op, NM_OP_XT_CTSTATE);
	/* Same bits as conntrack's, UNTRACKED moved to conntrack's place. */
	assert_int_equal(e.ctstate.statemask,
			 XT_CONNTRACK_STATE_BIT(IP_CT_NEW) |
			 XT_CONNTRACK_STATE_BIT(IP_CT_RELATED) |
			 XT_CONNTRACK_STATE_UNTRACKED);
	assert_int_equal(e.ctstate.inv, 0);
	assert_short_match(AF_INET, 0, "state", 0, &s, sizeof(s));
}

static void test_conntrack(void **state)
{
	struct xt_conntrack_mtinfo1 c1;
	struct xt_conntrack_mtinfo2 c2;
	struct xt_conntrack_mtinfo3 c3;
	struct nm_expr e;

	(void)state;
	memset(&c1, 0, sizeof(c1));
	c1.match_flags = XT_CONNTRACK_STATE;
	c1.state_mask = XT_CONNTRACK_STATE_BIT(IP_CT_NEW) |
			XT_CONNTRACK_STATE_DNAT;
	assert_int_equal(xt_decode_match(AF_INET, 0, "conntrack", 1, &c1,
					 sizeof(c1), &e), 0);
	assert_int_equal(e.op, NM_OP_XT_CTSTATE);
	assert_int_equal(e.ctstate.statemask, c1.state_mask);
	assert_int_equal(e.ctstate.inv, 0);
	assert_short_match(AF_INET, 0, "conntrack", 1, &c1, sizeof(c1));

	memset(&c2, 0, sizeof(c2));
	c2.match_flags = XT_CONNTRACK_STATE | XT_CONNTRACK_STATE_ALIAS;
	c2.invert_flags = XT_CONNTRACK_STATE;
	c2.state_mask = XT_CONNTRACK_STATE_UNTRACKED;
	assert_int_equal(xt_decode_match(AF_INET6, 0, "conntrack", 2, &c2,
					 sizeof(c2), &e), 0);
	assert_int_equal(e.op, NM_OP_XT_CTSTATE);
	assert_int_equal(e.ctstate.statemask, XT_CONNTRACK_STATE_UNTRACKED);
	assert_int_equal(e.ctstate.inv, 1);
	assert_short_match(AF_INET, 0, "conntrack", 2, &c2, sizeof(c2));

	memset(&c3, 0, sizeof(c3));
	c3.match_flags = XT_CONNTRACK_STATE;
	c3.state_mask = XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED);
	assert_int_equal(xt_decode_match(AF_INET, 0, "conntrack", 3, &c3,
					 sizeof(c3), &e), 0);
	assert_int_equal(e.op, NM_OP_XT_CTSTATE);
	assert_int_equal(e.ctstate.statemask,
			 XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED));
	assert_short_match(AF_INET, 0, "conntrack", 3, &c3, sizeof(c3));

	/* Anything beside --ctstate is not modelled. */
	c3.match_flags |= XT_CONNTRACK_ORIGDST;
	xt_decode_match(AF_INET, 0, "conntrack", 3, &c3, sizeof(c3), &e);
	assert_unknown(&e, "xt match conntrack not --ctstate");
	/* No test at all matches everything. */
	c3.match_flags = 0;
	xt_decode_match(AF_INET, 0, "conntrack", 3, &c3, sizeof(c3), &e);
	assert_int_equal(e.op, NM_OP_NOP);
	xt_decode_match(AF_INET, 0, "conntrack", 0, &c3, sizeof(c3), &e);
	assert_unknown(&e, NULL);
}

static void assert_mark_match(const struct nm_expr *e, bool ct, bool inv,
			      uint32_t value, uint32_t mask)
{
	assert_int_equal(e->op, NM_OP_XT_MARK_MATCH);
	assert_int_equal(e->mark.ct, ct);
	assert_int_equal(e->mark.inv, inv);
	assert_int_equal(e->mark.value, value);
	assert_int_equal(e->mark.mask, mask);
}

static void test_mark_match(void **state)
{
	/* kube-proxy's -m mark ! --mark 0x4000/0x4000 */
	struct xt_mark_mtinfo1 m = { .mark = 0x4000, .mask = 0x4000,
				     .invert = 1 };
	struct xt_connmark_mtinfo1 c = { .mark = 0x1, .mask = 0xff };
	unsigned char buf[ALIGNED(m)] = { 0 };
	struct nm_expr e;

	(void)state;
	memcpy(buf, &m, sizeof(m));
	xt_decode_match(AF_INET, 0, "mark", 1, buf, sizeof(buf), &e);
	assert_mark_match(&e, false, true, 0x4000, 0x4000);
	m.invert = 0;
	xt_decode_match(AF_INET6, 0, "mark", 1, &m, sizeof(m), &e);
	assert_mark_match(&e, false, false, 0x4000, 0x4000);
	assert_short_match(AF_INET, 0, "mark", 1, buf, sizeof(m));

	xt_decode_match(AF_INET, 0, "connmark", 1, &c, sizeof(c), &e);
	assert_mark_match(&e, true, false, 0x1, 0xff);
	c.invert = 1;
	xt_decode_match(AF_INET, 0, "connmark", 1, &c, sizeof(c), &e);
	assert_mark_match(&e, true, true, 0x1, 0xff);
	assert_short_match(AF_INET, 0, "connmark", 1, &c, sizeof(c));

	/* The kernel xors invert into the result: 2 always matches. */
	m.invert = 2;
	xt_decode_match(AF_INET, 0, "mark", 1, &m, sizeof(m), &e);
	assert_unknown(&e, "xt match mark invert");
	c.invert = 2;
	xt_decode_match(AF_INET, 0, "connmark", 1, &c, sizeof(c), &e);
	assert_unknown(&e, "xt match connmark invert");
	/* Revision 0 is gone from the kernel. */
	m.invert = 0;
	xt_decode_match(AF_INET, 0, "mark", 0, &m, sizeof(m), &e);
	assert_unknown(&e, "xt match mark rev");
	xt_decode_match(AF_INET, 0, "connmark", 2, &c, sizeof(c), &e);
	assert_unknown(&e, "xt match connmark rev");
}

static void assert_either(const struct nm_expr *e, const char *name)
{
	assert_int_equal(e->op, NM_OP_XT_EITHER);
	assert_string_equal(e->either, name);
}

static void test_statistic(void **state)
{
	/* --mode random --probability 0.5, as iptables scales it */
	struct xt_statistic_info s = {
		.mode = XT_STATISTIC_MODE_RANDOM,
		.u.random.probability = 0x40000000,
	};
	unsigned char buf[ALIGNED(s)] = { 0 };
	struct nm_expr e;

	(void)state;
	memcpy(buf, &s, sizeof(s));
	xt_decode_match(AF_INET, 0, "statistic", 0, buf, sizeof(buf), &e);
	assert_either(&e, "xt match statistic");
	s.flags = XT_STATISTIC_INVERT;
	xt_decode_match(AF_INET6, 0, "statistic", 0, &s, sizeof(s), &e);
	assert_either(&e, "xt match statistic");
	s.mode = XT_STATISTIC_MODE_NTH;
	s.u.nth.every = 2;
	xt_decode_match(AF_INET, 0, "statistic", 0, &s, sizeof(s), &e);
	assert_either(&e, "xt match statistic");
	assert_short_match(AF_INET, 0, "statistic", 0, &s, sizeof(s));

	s.mode = XT_STATISTIC_MODE_MAX + 1;
	xt_decode_match(AF_INET, 0, "statistic", 0, &s, sizeof(s), &e);
	assert_unknown(&e, "xt match statistic mode");
	s.mode = XT_STATISTIC_MODE_RANDOM;
	s.flags = XT_STATISTIC_MASK + 1;
	xt_decode_match(AF_INET, 0, "statistic", 0, &s, sizeof(s), &e);
	assert_unknown(&e, "xt match statistic mode");
	s.flags = 0;
	xt_decode_match(AF_INET, 0, "statistic", 1, &s, sizeof(s), &e);
	assert_unknown(&e, "xt match statistic rev");
}

static void decode_recent(uint32_t rev, uint8_t check_set, uint8_t invert,
			  uint32_t seconds, struct nm_expr *e)
{
	struct xt_recent_mtinfo_v1 r;

	memset(&r, 0, sizeof(r));
	r.check_set = check_set;
	r.invert = invert;
	r.seconds = seconds;
	strcpy(r.name, "KUBE-SEP-A");
	r.side = XT_RECENT_SOURCE;
	memset(&r.mask, 0xff, sizeof(r.mask));
	assert_int_equal(xt_decode_match(AF_INET, 0, "recent", rev, &r,
					 rev == 1 ? sizeof(r) :
					 sizeof(struct xt_recent_mtinfo), e),
			 0);
}

static void test_recent(void **state)
{
	struct xt_recent_mtinfo_v1 r;
	struct nm_expr e;

	(void)state;
	/* kube-proxy: --rcheck --seconds 10800 --reap */
	decode_recent(1, XT_RECENT_CHECK | XT_RECENT_REAP, 0, 10800, &e);
	assert_either(&e, "xt match recent");
	decode_recent(1, XT_RECENT_UPDATE | XT_RECENT_TTL, 0, 0, &e);
	assert_either(&e, "xt match recent");
	decode_recent(0, XT_RECENT_REMOVE, 0, 0, &e);
	assert_either(&e, "xt match recent");
	decode_recent(1, XT_RECENT_CHECK, 1, 60, &e);
	assert_either(&e, "xt match recent");
	/* kube-proxy: --set always matches; inverted, never. */
	decode_recent(1, XT_RECENT_SET, 0, 0, &e);
	assert_int_equal(e.op, NM_OP_NOP);
	decode_recent(0, XT_RECENT_SET, 0, 0, &e);
	assert_int_equal(e.op, NM_OP_NOP);
	decode_recent(1, XT_RECENT_SET, 1, 0, &e);
	assert_unknown(&e, "xt match recent ! --set");

	/* What the kernel refuses at checkentry. */
	decode_recent(1, XT_RECENT_CHECK | XT_RECENT_SET, 0, 0, &e);
	assert_unknown(&e, "xt match recent flags");
	decode_recent(1, 0, 0, 0, &e);
	assert_unknown(&e, "xt match recent flags");
	decode_recent(1, XT_RECENT_SET | XT_RECENT_TTL, 0, 0, &e);
	assert_unknown(&e, "xt match recent flags");
	decode_recent(1, XT_RECENT_REMOVE, 0, 10, &e);
	assert_unknown(&e, "xt match recent flags");
	decode_recent(1, XT_RECENT_CHECK | 0x40, 0, 0, &e);
	assert_unknown(&e, "xt match recent flags");
	decode_recent(1, XT_RECENT_CHECK, 2, 0, &e);
	assert_unknown(&e, "xt match recent flags");
	decode_recent(2, XT_RECENT_CHECK, 0, 0, &e);
	assert_unknown(&e, "xt match recent rev");

	/* Revision 1 needs its mask, revision 0 does not. */
	memset(&r, 0, sizeof(r));
	r.check_set = XT_RECENT_CHECK;
	assert_short_match(AF_INET, 0, "recent", 1, &r, sizeof(r));
	assert_short_match(AF_INET, 0, "recent", 0, &r,
			   sizeof(struct xt_recent_mtinfo));
	xt_decode_match(AF_INET6, 0, "recent", 0, &r,
			sizeof(struct xt_recent_mtinfo), &e);
	assert_either(&e, "xt match recent");
}

static void test_comment_and_unknown(void **state)
{
	unsigned char buf[256] = "a comment";
	struct nm_expr e;

	(void)state;
	assert_int_equal(xt_decode_match(AF_INET, 0, "comment", 0, buf,
					 sizeof(buf), &e), 0);
	assert_int_equal(e.op, NM_OP_NOP);
	assert_int_equal(xt_decode_match(AF_INET, 0, "string", 0, buf,
					 sizeof(buf), &e), 0);
	assert_unknown(&e, "xt match string");
	assert_int_equal(xt_decode_match(AF_INET6, 0, "connlimit", 1, buf,
					 sizeof(buf), &e), 0);
	assert_unknown(&e, "xt match connlimit");
	/* The longest name an xt extension can have still fits. */
	xt_decode_match(AF_INET, 0, "abcdefghijklmnopqrstuvwxyz012", 0, buf,
			sizeof(buf), &e);
	assert_unknown(&e, "xt match abcdefghijklmnopqrstuvwxyz012");
	assert_int_equal(xt_decode_match(AF_INET, 0, NULL, 0, buf, sizeof(buf),
					 &e), -EINVAL);
	xt_decode_match(AF_PACKET, 0, "udp", 0, buf, sizeof(buf), &e);
	assert_unknown(&e, NULL);
}

/* Random bytes into every decoder: no crash (run under SANITIZE=1), and an
 * answer of one of the kinds the name allows. */
static void test_random_bytes(void **state)
{
	static const char *const matches[] = {
		"udp", "tcp", "multiport", "addrtype", "state", "conntrack",
		"comment", "recent", "mark", "connmark", "statistic", "string",
	};
	static const char *const targets[] = {
		"DNAT", "SNAT", "MASQUERADE", "REDIRECT", "NETMAP", "MARK",
		"CONNMARK",
	};
	uint8_t families[] = { AF_INET, AF_INET6 };
	unsigned char *buf;
	struct nm_expr e;
	unsigned int i, k, seed = 20240611;
	size_t len;

	(void)state;
	for (i = 0; i < 20000; i++) {
		const char *name;
		uint32_t rev = rand_r(&seed) % 4;
		uint8_t fam = families[rand_r(&seed) % 2];

		len = rand_r(&seed) % 320;
		/* Exactly sized heap blocks so ASan sees any overread. */
		buf = malloc(len ? len : 1);
		assert_non_null(buf);
		for (k = 0; k < len; k++)
			buf[k] = rand_r(&seed);
		name = matches[rand_r(&seed) % 12];
		assert_int_equal(xt_decode_match(fam, rand_r(&seed) % 300,
						 name, rev, buf, len, &e), 0);
		assert_true(e.op == NM_OP_UNKNOWN || e.op == NM_OP_NOP ||
			    e.op == NM_OP_XT_PORTS ||
			    e.op == NM_OP_XT_ADDRTYPE ||
			    e.op == NM_OP_XT_CTSTATE ||
			    e.op == NM_OP_XT_MARK_MATCH ||
			    e.op == NM_OP_XT_EITHER);
		if (e.op == NM_OP_XT_PORTS) {
			assert_true(e.ports.nsrc <= NM_MAX_PORTS);
			assert_true(e.ports.ndst <= NM_MAX_PORTS);
		}
		if (e.op == NM_OP_XT_MARK_MATCH)
			assert_true(e.mark.inv <= 1);
		if (e.op == NM_OP_XT_EITHER)
			assert_non_null(memchr(e.either, 0, sizeof(e.either)));
		assert_non_null(memchr(e.unknown, 0, sizeof(e.unknown)));
		name = targets[rand_r(&seed) % 7];
		assert_int_equal(xt_decode_target(fam, name, rev, buf, len,
						  &e), 0);
		assert_true(e.op == NM_OP_UNKNOWN || e.op == NM_OP_NATSPEC ||
			    e.op == NM_OP_XT_MARK || e.op == NM_OP_XT_CONNMARK);
		if (e.op == NM_OP_XT_CONNMARK)
			assert_true(e.connmark.shift_bits < 32 &&
				    e.connmark.shift_dir <= D_SHIFT_RIGHT);
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dnat_rev0),
		cmocka_unit_test(test_nat_rev1),
		cmocka_unit_test(test_nat_rev2),
		cmocka_unit_test(test_masq_redirect),
		cmocka_unit_test(test_other_targets),
		cmocka_unit_test(test_mark_target),
		cmocka_unit_test(test_connmark_rev1),
		cmocka_unit_test(test_connmark_rev2),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_multiport_v0),
		cmocka_unit_test(test_multiport_v1),
		cmocka_unit_test(test_addrtype),
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_conntrack),
		cmocka_unit_test(test_mark_match),
		cmocka_unit_test(test_statistic),
		cmocka_unit_test(test_recent),
		cmocka_unit_test(test_comment_and_unknown),
		cmocka_unit_test(test_random_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
