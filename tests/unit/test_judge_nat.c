// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for judge.c and eval.c: source NAT (masquerade, snat to,
 * redirect, hairpin, the router's own flows) and DNAT to a range.
 * The router and the shared helpers are in judgerouter.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "judgerouter.h"

/* ---- source NAT ---- */


static void test_masquerade(void **state)
{
	struct fx *fx = *state;
	struct flow f = mk_flow(UDP, "192.168.50.9", 5000, "198.51.100.7", 53,
				"198.51.100.7", 53, "203.0.113.1", 5000);

	masq_model(&fx->m);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.snat.ncand, 1);
	assert_int_equal(fx->j.snat.cand[0].type, NM_NAT_MASQ);
	assert_int_equal(fx->j.chain, 0);
	/* the kernel may remap the port without one in the rule */
	f.reply.dport = htons(5001);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	/* masqueraded to an address the interface no longer picks */
	f.reply.dst = A("203.0.113.2");
	assert_judged(fx, &f, JV_STALE, JR_SNAT_CHANGED);
	/* not masqueraded at all */
	f.reply.dst = f.orig.src;
	assert_judged(fx, &f, JV_STALE, JR_SNAT_ADDED);
	/* lan to dmz is not masqueraded */
	f = mk_flow(UDP, "192.168.50.9", 5000, "192.168.60.7", 53,
		    "192.168.60.7", 53, "192.168.50.9", 5000);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.snat.ncand, 0);
	f.reply.dst = A("192.168.60.1");
	assert_judged(fx, &f, JV_STALE, JR_SNAT_REMOVED);
	assert_int_equal(fx->j.chain, -1);
}

/* masquerade picks the primary address in the gateway's subnet */
static void test_masquerade_address_choice(void **state)
{
	struct fx *fx = *state;
	struct flow f = mk_flow(UDP, "192.168.50.9", 5000, "198.51.100.7", 53,
				"198.51.100.7", 53, "203.0.113.1", 5000);
	char a[INET_ADDRSTRLEN];

	masq_model(&fx->m);
	/* wan: 10.9.9.9/8, then 203.0.113.77/24, then 203.0.113.1/24 (a
	 * secondary of .77); the gateway is in 203.0.113.0/24 */
	fx->env.addrs[1].addr = A("10.9.9.9");
	fx->env.addrs[1].prefixlen = 8;
	mk_addr(&fx->env, WAN, "203.0.113.77", 24);
	mk_addr(&fx->env, WAN, "203.0.113.1", 24);
	judge(fx, &f);
	inet_ntop(AF_INET, fx->j.snat.cand[0].addr_min.b, a, sizeof(a));
	assert_string_equal(a, "203.0.113.77");
	assert_verdict(fx, JV_STALE, JR_SNAT_CHANGED);
	/* towards a host with no gateway: no address in its subnet */
	f = mk_flow(UDP, "192.168.50.9", 5000, "203.0.113.50", 53,
		    "203.0.113.50", 53, "203.0.113.77", 5000);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
}

/* oifname "wan" snat to 203.0.113.5, with ports */
static void test_snat_to(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *c = mk_chain(&fx->m, NFPROTO_IPV4, "post", POST, 100);
	struct nm_rule *r = mk_rule(c);
	struct flow f = mk_flow(TCP, "192.168.50.9", 5000, "198.51.100.7", 443,
				"198.51.100.7", 443, "203.0.113.1", 5000);

	mk_ifname(r, 1, NFT_CMP_EQ, "wan");
	mk_snat_to(r, "203.0.113.5", 0);
	assert_judged(fx, &f, JV_STALE, JR_SNAT_CHANGED);
	assert_string_equal(judge_reason_str(fx->j.reason), "snat-changed");
	f.reply.dst = A("203.0.113.5");
	f.reply.dport = htons(6000);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	/* snat to 203.0.113.5:10000-20000 */
	r = &c->rules[0];
	r->nexprs = 2;
	mk_imm_addr(r, NFT_REG_1, "203.0.113.5");
	mk_imm_be16(r, NFT_REG_2, 10000);
	mk_imm_be16(r, NFT_REG_3, 20000);
	mk_nat(r, NFT_NAT_SNAT, NFPROTO_IPV4, NFT_REG_1, 0, NFT_REG_2,
	       NFT_REG_3, 0);
	assert_judged(fx, &f, JV_STALE, JR_SNAT_CHANGED);
	f.reply.dport = htons(12345);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
}

/* DNAT at prerouting, then masquerade on the way to the lan (hairpin):
 * postrouting sees the translated destination. */
static void test_dnat_then_snat(void **state)
{
	struct fx *fx = *state;
	struct nm_rule *r;
	struct flow f = mk_flow(UDP, "192.168.50.9", 5000, "203.0.113.1",
				53820, "192.168.50.3", 53820, "192.168.50.1",
				5000);

	seed_model(&fx->m);
	r = post_rule(fx);
	mk_addr_match(r, 1, NFT_CMP_EQ, "192.168.50.3");
	mk_ifname(r, 1, NFT_CMP_EQ, "lan");
	mk_masq(r);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.dnat.ncand, 1);
	assert_int_equal(fx->j.snat.ncand, 1);
	/* the snat side is stale, the dnat rule was named: no rule */
	f.reply.dst = f.orig.src;
	assert_judged(fx, &f, JV_STALE, JR_SNAT_ADDED);
	assert_int_equal(fx->j.chain, -1);
}

/* A flow to the router itself: input chains, not postrouting. */
static void test_input_snat(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *post = masq_model(&fx->m);
	struct nm_chain *in = mk_chain(&fx->m, NFPROTO_IPV4, "in", IN, 100);
	struct nm_rule *r = mk_rule(in);
	struct flow f = mk_flow(UDP, "198.51.100.7", 1000, "203.0.113.1", 53,
				"203.0.113.1", 53, "192.168.50.1", 1000);

	(void)post;
	mk_addr_match(r, 0, NFT_CMP_EQ, "198.51.100.7");
	mk_snat_to(r, "192.168.50.1", 0);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.chain, 1);
	/* masquerade in input is not allowed: unknown */
	r->exprs[2].op = NM_OP_MASQ;
	memset(&r->exprs[2].redir, 0, sizeof(r->exprs[2].redir));
	assert_judged(fx, &f, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "masquerade at input");
}

/* The router's own flows: output then postrouting. */
static void test_local_output(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *out;
	struct nm_rule *r;
	struct flow f = mk_flow(UDP, "192.168.50.1", 4000, "9.9.9.9", 53,
				"192.168.50.53", 53, "192.168.50.1", 4000);

	masq_model(&fx->m);
	out = mk_chain(&fx->m, NFPROTO_IPV4, "out", OUT, -100);
	r = mk_rule(out);
	mk_forward(r, UDP, 53, "192.168.50.53", 0);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.snat.ncand, 0);	/* oif lan: no masquerade */
	/* iifname in output is not known */
	out->rules[0].nexprs = 0;
	mk_ifname(&out->rules[0], 0, NFT_CMP_EQ, "lan");
	assert_judged(fx, &f, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "input interface of a local packet");
}

/* The router's own senders whose way out the socket chose: miniupnpd's
 * SSDP NOTIFY and NAT-PMP announcement, mDNS (IP_MULTICAST_IF,
 * IPV6_MULTICAST_IF), a DHCP-style broadcast (SO_BINDTODEVICE), a
 * unicast from an address of another interface.  "oifname wan
 * masquerade" cannot say whether they left by the wan: unknown, never
 * stale (issue 20). */
static void test_local_socket_oif(void **state)
{
	static const struct { const char *src, *dst; uint16_t port; } u[] = {
		{ "192.168.50.1", "239.255.255.250", 1900 },	/* SSDP */
		{ "192.168.50.1", "224.0.0.1", 5350 },		/* NAT-PMP */
		{ "192.168.50.1", "224.0.0.251", 5353 },	/* mDNS */
		{ "192.168.50.1", "255.255.255.255", 68 },	/* DHCP */
		{ "192.168.50.1", "192.168.50.255", 137 },	/* subnet */
		{ "fd00:50::1", "ff02::fb", 5353 },		/* mDNS6 */
		{ "fe80::3", "ff02::1", 547 },			/* RA, DHCPv6 */
		{ "fe80::3", "fe80::9", 546 },			/* scoped */
	};
	struct fx *fx = *state;
	struct nm_rule *r = mk_rule(mk_chain(&fx->m, NFPROTO_INET, "post",
					     POST, 100));
	unsigned int i;
	struct flow f;

	mk_ifname(r, 1, NFT_CMP_EQ, "wan");
	mk_masq(r);
	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		f = mk_flow(UDP, u[i].src, 4000, u[i].dst, u[i].port,
			    u[i].dst, u[i].port, u[i].src, 4000);
		assert_judged(fx, &f, JV_UNKNOWN, JR_UNMODELLED);
		assert_non_null(strstr(fx->j.unknown, "(the socket's"));
	}
	/* unicast out of the wan from the lan's address: a bound socket */
	f = mk_flow(UDP, "192.168.50.1", 4000, "198.51.100.9", 53,
		    "198.51.100.9", 53, "192.168.50.1", 4000);
	assert_judged(fx, &f, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "output interface of a local "
			    "packet whose source is not its route's (the "
			    "socket's)");
	/* from the wan's own address: the route's way, judged exactly */
	f = mk_flow(UDP, "203.0.113.1", 4000, "198.51.100.9", 53,
		    "198.51.100.9", 53, "203.0.113.1", 4000);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	f.reply.dst = A("203.0.113.7");
	assert_judged(fx, &f, JV_STALE, JR_SNAT_CHANGED);
	/* a lan host's multicast is the router's input: no masquerade */
	f = mk_flow(UDP, "192.168.50.9", 4000, "239.255.255.250", 1900,
		    "239.255.255.250", 1900, "192.168.50.9", 4000);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	/* where no rule reads the interface the verdict stays exact */
	r->nexprs = 0;
	mk_addr_match(r, 1, NFT_CMP_EQ, "198.51.100.9");
	mk_masq(r);
	f = mk_flow(UDP, "192.168.50.1", 4000, "239.255.255.250", 1900,
		    "239.255.255.250", 1900, "192.168.50.1", 4000);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
}

/* udp dport 53 redirect to :5353 */
static void test_redirect(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_INET, "pre", PRE, -100);
	struct nm_rule *r = mk_rule(pre);
	struct flow f = mk_flow(UDP, "192.168.50.9", 4000, "9.9.9.9", 53,
				"192.168.50.1", 5353, "192.168.50.9", 4000);
	struct flow f6 = mk_flow(UDP, "fd00:50::9", 4000, "2001:db8:99::9", 53,
				 "fd00:50::1", 5353, "fd00:50::9", 4000);

	mk_dport(r, UDP, 53);
	mk_redir(r, 5353);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.dnat.cand[0].type, NM_NAT_REDIR);
	f.reply.sport = htons(53);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	assert_judged(fx, &f6, JV_CONSISTENT, JR_NONE);
	/* a link-local peer on the lan: the link-local address */
	f6 = mk_flow(UDP, "fe80::9", 4000, "fe80::3", 53, "fe80::3", 5353,
		     "fe80::9", 4000);
	/* unknown: fe80::/64 twice */
	assert_judged(fx, &f6, JV_UNKNOWN, JR_UNMODELLED);
}

/* IPv6 masquerade: every global address of the interface may be it. */
static void test_ipv6_masquerade(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *c = mk_chain(&fx->m, NFPROTO_INET, "post", POST, 100);
	struct nm_rule *r = mk_rule(c);
	struct flow f = mk_flow(TCP, "fd00:50::9", 4000, "2001:db8:99::9", 443,
				"2001:db8:99::9", 443, "2001:db8::1", 4000);

	mk_ifname(r, 1, NFT_CMP_EQ, "wan");
	mk_masq(r);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.snat.ncand, 1);
	mk_addr(&fx->env, WAN, "2001:db8::2", 64);
	f.reply.dst = A("2001:db8::2");
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.snat.ncand, 2);
	f.reply.dst = A("fe80::2");
	assert_judged(fx, &f, JV_STALE, JR_SNAT_CHANGED);
}

/* dnat to 192.168.50.2-192.168.50.4: a range; later hooks cannot know
 * the address. */
static void test_dnat_range(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = pre_chain(fx);
	struct nm_rule *r = mk_rule(pre);
	struct flow f = mk_flow(TCP, "198.51.100.7", 1000, "203.0.113.1", 80,
				"192.168.50.4", 80, "198.51.100.7", 1000);

	mk_dport(r, TCP, 80);
	mk_imm_addr(r, NFT_REG_1, "192.168.50.2");
	mk_imm_addr(r, NFT_REG_2, "192.168.50.4");
	mk_nat(r, NFT_NAT_DNAT, NFPROTO_IPV4, NFT_REG_1, NFT_REG_2, 0, 0, 0);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	f.reply.src = A("192.168.50.5");
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	r = post_rule(fx);
	mk_ifname(r, 1, NFT_CMP_EQ, "wan");
	mk_masq(r);
	/* outside the range: stale, whatever the source NAT would be */
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	assert_true(fx->j.snat_unknown);
	/* inside: the DNAT fits, the output interface is unknown */
	f.reply.src = A("192.168.50.3");
	assert_judged(fx, &f, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "output interface (dnat to a range)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_masquerade),
		T(test_masquerade_address_choice),
		T(test_snat_to),
		T(test_dnat_then_snat),
		T(test_input_snat),
		T(test_local_output),
		T(test_local_socket_oif),
		T(test_redirect),
		T(test_ipv6_masquerade),
		T(test_dnat_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
