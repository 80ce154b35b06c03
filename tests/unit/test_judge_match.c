// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for judge.c and eval.c: what a first packet is matched on
 * (interfaces, fib and routes, payload, bitwise, ranges, ct keys,
 * families), and what the evaluator cannot know: unknown, never a guess.
 * The router and the shared helpers are in judgerouter.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "judgerouter.h"

/* ---- interfaces, fib, routes ---- */

/* iifname "wan" udp dport 53820 dnat to 192.168.50.3:53820 */
static void test_iifname(void **state)
{
	struct fx *fx = *state;
	struct nm_rule *r = pre_rule(fx);
	struct flow f = seed_flow_old();

	mk_ifname(r, 0, NFT_CMP_EQ, "wan");
	mk_forward(r, UDP, 53820, "192.168.50.3", 53820);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	/* from the lan side the rule does not apply */
	f = mk_flow(UDP, "192.168.50.9", 1000, "203.0.113.1", 53820,
		    "192.168.50.2", 51820, "192.168.50.9", 1000);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_REMOVED);
	f.reply.src = f.orig.dst;
	f.reply.sport = f.orig.dport;
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
}

/* With routing rules beyond the defaults (mwan3's fwmark rules) the main
 * table may not be the way back: an iifname match is then unknown, and
 * the flow is kept rather than judged on a guessed interface. */
static void test_iifname_policy_routing(void **state)
{
	struct fx *fx = *state;
	struct nm_rule *r = pre_rule(fx);
	struct flow f = seed_flow_old();

	mk_ifname(r, 0, NFT_CMP_EQ, "wan");
	mk_forward(r, UDP, 53820, "192.168.50.3", 53820);
	fx->env.policy = NE_POLICY_V4;
	assert_judged(fx, &f, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "input interface (policy routing)");
	/* IPv6 rules say nothing about IPv4 routing */
	fx->env.policy = NE_POLICY_V6;
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
}

/* meta iif: the ifindex in host order */
static void test_meta_iif_index(void **state)
{
	struct fx *fx = *state;
	struct nm_rule *r = pre_rule(fx);
	struct flow f = seed_flow_old();

	mk_meta(r, NFT_META_IIF, NFT_REG_1);
	mk_cmp_u32(r, NFT_REG_1, NFT_CMP_EQ, WAN);
	mk_dnat_to(r, "192.168.50.2", 51820);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	/* no route back to the source: the input interface is unknown */
	fx->env.nroutes = 0;
	assert_judged(fx, &f, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown,
			    "input interface (no single route back)");
}

/* fib daddr type local udp dport 53820 dnat to ... */
static void test_fib_daddr_local(void **state)
{
	struct fx *fx = *state;
	struct nm_rule *r = pre_rule(fx);
	struct nm_expr *e = mk_expr(r, NM_OP_FIB);
	struct flow f = seed_flow_old();

	e->fib.result = NFT_FIB_RESULT_ADDRTYPE;
	e->fib.flags = NFTA_FIB_F_DADDR;
	e->dreg = NFT_REG_1;
	mk_cmp_u32(r, NFT_REG_1, NFT_CMP_EQ, RTN_LOCAL);
	mk_forward(r, UDP, 53820, "192.168.50.3", 53820);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	/* a forwarded flow to an outside address keeps its destination */
	f = mk_flow(UDP, "192.168.50.9", 1000, "198.51.100.7", 53820,
		    "198.51.100.7", 53820, "192.168.50.9", 1000);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	/* . iif: 203.0.113.1 is on wan, the packet from lan: not local */
	r->exprs[0].fib.flags |= NFTA_FIB_F_IIF;
	f = mk_flow(UDP, "192.168.50.9", 1000, "203.0.113.1", 53820,
		    "203.0.113.1", 53820, "192.168.50.9", 1000);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	f = seed_flow_old();
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
}

/* ---- what we cannot know ---- */

/* A locally generated packet carries its socket's mark, which no rule
 * shows; one from outside starts with 0 (test_marks.c has the rest). */
static void test_meta_mark_unknown(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *out = mk_chain(&fx->m, NFPROTO_IPV4, "out", OUT, -100);
	struct nm_rule *r = mk_rule(out);
	struct flow f = mk_flow(UDP, "203.0.113.1", 40000, "198.51.100.7",
				53820, "192.168.50.2", 51820, "203.0.113.1",
				40000);

	mk_meta(r, NFT_META_MARK, NFT_REG_1);
	mk_cmp_u32(r, NFT_REG_1, NFT_CMP_EQ, 1);
	mk_dnat_to(r, "192.168.50.3", 53820);
	assert_judged(fx, &f, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "meta mark: socket mark");
	assert_int_equal(fx->j.chain, 0);
	assert_int_equal(fx->j.rule, 0);
	assert_string_equal(judge_verdict_str(fx->j.verdict), "unknown");
}

/* A rule before the mark rule decides: the mark is never looked at. */
static void test_unknown_not_reached(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = pre_chain(fx);
	struct nm_rule *r = mk_rule(pre);
	struct flow f = seed_flow_old();

	mk_forward(r, UDP, 53820, "192.168.50.3", 53820);
	r = mk_rule(pre);
	mk_meta(r, NFT_META_CPU, NFT_REG_1);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	/* other flows do reach it */
	f = mk_flow(UDP, "198.51.100.7", 1000, "203.0.113.1", 1,
		    "203.0.113.1", 1, "198.51.100.7", 1000);
	assert_judged(fx, &f, JV_UNKNOWN, JR_UNMODELLED);
}

/*
 * Something unmodelled in postrouting (here the cpu the packet is on)
 * leaves the source NAT unknown, not the DNAT: a forward that now points
 * elsewhere is still proven stale.
 */
static void test_snat_unknown_dnat_exact(void **state)
{
	struct fx *fx = *state;
	struct nm_rule *r;
	struct flow f = seed_flow_old();

	seed_model(&fx->m);
	r = post_rule(fx);
	mk_meta(r, NFT_META_CPU, NFT_REG_1);
	mk_cmp_u32(r, NFT_REG_1, NFT_CMP_EQ, 1);
	mk_masq(r);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	assert_true(fx->j.snat_unknown);
	/* the same flow already at B: its DNAT fits, its SNAT is unknown */
	f = mk_flow(UDP, "203.0.113.10", 51820, "203.0.113.1", 53820,
		    "192.168.50.3", 53820, "203.0.113.10", 51820);
	assert_judged(fx, &f, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "meta cpu");
}

static void test_unknown_payload(void **state)
{
	struct fx *fx = *state;
	struct nm_rule *r = pre_rule(fx);
	struct flow f = seed_flow_old();

	/* ip ttl 64 */
	mk_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 8, 1, NFT_REG_1);
	mk_cmp_u8(r, NFT_REG_1, NFT_CMP_EQ, 64);
	assert_judged(fx, &f, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "payload @nh+8");
	/* ether saddr */
	r->exprs[0].payload.base = NFT_PAYLOAD_LL_HEADER;
	r->exprs[0].payload.offset = 6;
	judge(fx, &f);
	assert_string_equal(fx->j.unknown, "payload @ll+6");
	/* udp length is beyond what a first packet tells */
	r->exprs[0].payload.base = NFT_PAYLOAD_TRANSPORT_HEADER;
	r->exprs[0].payload.offset = 4;
	judge(fx, &f);
	assert_string_equal(fx->j.unknown, "payload @th+4");
}

/* Registers read before written are unknown, not zero. */
static void test_unwritten_register(void **state)
{
	struct fx *fx = *state;
	struct nm_rule *r = pre_rule(fx);
	struct flow f = seed_flow_old();

	mk_cmp_u32(r, NFT_REG32_05, NFT_CMP_EQ, 0);
	assert_judged(fx, &f, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown,
			    "register read before it was written");
}

/* ip version 4 (a nibble of a byte whose other half is unknown),
 * ip hdrlength 5 (the unknown half) */
static void test_partly_known_byte(void **state)
{
	struct fx *fx = *state;
	struct nm_rule *r = pre_rule(fx);
	struct flow f = seed_flow_old();
	uint8_t hi = 0xf0, lo = 0x0f, zero = 0;

	mk_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 0, 1, NFT_REG_1);
	mk_bitwise(r, NFT_REG_1, NFT_REG_1, &hi, &zero, 1);
	mk_cmp_u8(r, NFT_REG_1, NFT_CMP_EQ, 0x40);
	mk_dnat_to(r, "192.168.50.2", 51820);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	/* "ip version 6" fails on the known bits alone, unmasked */
	r->exprs[1].op = NM_OP_NOP;
	r->exprs[2].cmp.data.val[0] = 0x65;
	assert_judged(fx, &f, JV_STALE, JR_DNAT_REMOVED);
	/* the header length is not known */
	r->exprs[1].op = NM_OP_BITWISE;
	r->exprs[1].bitwise.mask.val[0] = lo;
	r->exprs[2].cmp.data.val[0] = 5;
	assert_judged(fx, &f, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "payload @nh+0");
}

/* tcp flags & (fin|syn|rst|ack) == syn */
static void test_tcp_syn(void **state)
{
	struct fx *fx = *state;
	struct nm_rule *r = pre_rule(fx);
	uint8_t mask = 0x17, zero = 0;
	struct flow f = mk_flow(TCP, "198.51.100.7", 1000, "203.0.113.1", 22,
				"192.168.50.2", 22, "198.51.100.7", 1000);

	mk_l4proto(r, TCP);
	mk_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1, NFT_REG_1);
	mk_bitwise(r, NFT_REG_1, NFT_REG_1, &mask, &zero, 1);
	mk_cmp_u8(r, NFT_REG_1, NFT_CMP_EQ, 0x02);
	mk_dnat_to(r, "192.168.50.2", 0);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	/* the ECN bits of a SYN vary */
	r->exprs[3].bitwise.mask.val[0] = 0xff;
	assert_judged(fx, &f, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "payload @th+13");
}

/* ip saddr & 255.255.255.0 == 198.51.100.0, and shifts */
static void test_bitwise_and_shift(void **state)
{
	struct fx *fx = *state;
	struct nm_rule *r = pre_rule(fx);
	union addr mask = A("255.255.255.0"), zero = A("0.0.0.0");
	struct flow f = seed_flow_old();
	uint32_t v;

	mk_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG_1);
	mk_bitwise(r, NFT_REG_1, NFT_REG_1, mask.b, zero.b, 4);
	mk_cmp_addr(r, NFT_REG_1, NFT_CMP_EQ, "198.51.100.0");
	mk_dnat_to(r, "192.168.50.2", 51820);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);

	/* meta l4proto << 8 == 17 << 8 (host order word) */
	r = mk_rule(mk_chain(&fx->m, NFPROTO_IPV4, "pre0", PRE, -200));
	mk_meta(r, NFT_META_L4PROTO, NFT_REG_2);
	mk_shift(r, NFT_BITWISE_LSHIFT, NFT_REG_2, NFT_REG_2, 4, 8);
	v = UDP << 8;
	mk_cmp_u32(r, NFT_REG_2, NFT_CMP_EQ, v);
	mk_shift(r, NFT_BITWISE_RSHIFT, NFT_REG_2, NFT_REG_2, 4, 4);
	v = UDP << 4;
	mk_cmp_u32(r, NFT_REG_2, NFT_CMP_EQ, v);
	mk_dnat_to(r, "192.168.50.9", 0);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	assert_int_equal(fx->j.chain, 1);
}

/* udp dport 53000-54000, and ordered cmp */
static void test_range_and_order(void **state)
{
	struct fx *fx = *state;
	struct nm_rule *r = pre_rule(fx);
	struct flow f = seed_flow_old();

	mk_l4proto(r, UDP);
	mk_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	mk_range_be16(r, NFT_REG_1, NFT_RANGE_EQ, 53000, 54000);
	mk_dnat_to(r, "192.168.50.2", 0);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);	/* port kept */
	r->exprs[3].range.op = NFT_RANGE_NEQ;
	assert_judged(fx, &f, JV_STALE, JR_DNAT_REMOVED);
	/* udp dport >= 53820 */
	r->exprs[3].op = NM_OP_CMP;
	r->exprs[3].cmp.op = NFT_CMP_GTE;
	mk_data(&r->exprs[3].cmp.data, "\xd2\x3c", 2);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	r->exprs[3].cmp.op = NFT_CMP_GT;
	assert_judged(fx, &f, JV_STALE, JR_DNAT_REMOVED);
	r->exprs[3].cmp.op = NFT_CMP_LTE;
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	r->exprs[3].cmp.op = NFT_CMP_LT;
	assert_judged(fx, &f, JV_STALE, JR_DNAT_REMOVED);
}

/* ct state new, ct direction original, ct original daddr */
static void test_ct(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = pre_chain(fx);
	struct nm_rule *r = mk_rule(pre);
	struct nm_expr *e;
	struct flow f = seed_flow_old();

	mk_ct(r, NFT_CT_STATE, NFT_REG_1);
	mk_cmp_u32(r, NFT_REG_1, NFT_CMP_EQ, 8);
	mk_ct(r, NFT_CT_DIRECTION, NFT_REG_1);
	mk_cmp_u8(r, NFT_REG_1, NFT_CMP_EQ, 0);
	e = mk_ct(r, NFT_CT_DST, NFT_REG_1);
	e->len = 4;
	mk_cmp_addr(r, NFT_REG_1, NFT_CMP_EQ, "203.0.113.1");
	mk_dnat_to(r, "192.168.50.2", 51820);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	/* a new entry's ct mark is 0, not 8: the forward no longer
	 * applies to it */
	pre->rules[0].exprs[0].ct.key = NFT_CT_MARK;
	assert_judged(fx, &f, JV_STALE, JR_DNAT_REMOVED);
	/* the ct zone is not modelled */
	pre->rules[0].exprs[0].ct.key = NFT_CT_ZONE;
	assert_judged(fx, &f, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "ct zone");
}

/* ---- families ---- */

/* A chain of family ip does not see IPv6; inet sees both, and its
 * "dnat ip to" is skipped for IPv6 packets. */
static void test_families(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *c4 = mk_chain(&fx->m, NFPROTO_IPV4, "pre4", PRE, -100);
	struct nm_chain *ci;
	struct nm_rule *r;
	struct flow f6 = mk_flow(UDP, "2001:db8::7", 1000, "2001:db8::1",
				 53820, "fd00:50::3", 53820, "2001:db8::7",
				 1000);

	r = mk_rule(c4);
	mk_forward(r, UDP, 53820, "192.168.50.3", 53820);
	assert_judged(fx, &f6, JV_STALE, JR_DNAT_REMOVED);

	ci = mk_chain(&fx->m, NFPROTO_INET, "prei", PRE, -50);
	r = mk_rule(ci);
	mk_forward(r, UDP, 53820, "192.168.50.9", 53820);	/* dnat ip to */
	r = mk_rule(ci);
	mk_forward(r, UDP, 53820, "fd00:50::3", 53820);	/* dnat ip6 to */
	assert_judged(fx, &f6, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.chain, 1);
	assert_int_equal(fx->j.rule, 1);
	/* IPv4: the ip chain comes first by priority and binds */
	{
		struct flow f4 = peer_flow("192.168.50.3", 53820);
		assert_judged(fx, &f4, JV_CONSISTENT, JR_NONE);
		assert_int_equal(fx->j.chain, 0);
	}
}

/* meta nfproto ipv6 ip6 daddr fd00:50::/64 ... in an inet chain */
static void test_ipv6_dnat(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *c = mk_chain(&fx->m, NFPROTO_INET, "pre", PRE, -100);
	struct nm_rule *r = mk_rule(c);
	struct flow f = mk_flow(TCP, "2001:db8::7", 1000, "2001:db8::1", 443,
				"fd00:50::2", 443, "2001:db8::7", 1000);

	mk_meta(r, NFT_META_NFPROTO, NFT_REG_1);
	mk_cmp_u8(r, NFT_REG_1, NFT_CMP_EQ, NFPROTO_IPV6);
	mk_addr_match(r, 1, NFT_CMP_EQ, "2001:db8::1");
	mk_forward(r, TCP, 443, "fd00:50::3", 0);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	assert_int_equal(fx->j.dnat.cand[0].family, AF_INET6);
	f.reply.src = A("fd00:50::3");
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	/* IPv4 flows fail "meta nfproto ipv6" */
	f = seed_flow_old();
	assert_judged(fx, &f, JV_STALE, JR_DNAT_REMOVED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_iifname),
		T(test_iifname_policy_routing),
		T(test_meta_iif_index),
		T(test_fib_daddr_local),
		T(test_meta_mark_unknown),
		T(test_unknown_not_reached),
		T(test_snat_unknown_dnat_exact),
		T(test_unknown_payload),
		T(test_unwritten_register),
		T(test_partly_known_byte),
		T(test_tcp_syn),
		T(test_bitwise_and_shift),
		T(test_range_and_order),
		T(test_ct),
		T(test_families),
		T(test_ipv6_dnat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
