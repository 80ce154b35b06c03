// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for judge.c and eval.c: models built by hand (mkmodel.h) as
 * nft --debug=netlink would show the rules, a router's network snapshot,
 * and flows as conntrack would list them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "mkmodel.h"
#include "judgefx.h"
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include "eval.h"
#include "judge.h"

/*
 * The router: wan (2) 203.0.113.1/24, default via 203.0.113.254;
 * lan (3) 192.168.50.1/24 with the services behind it; dmz (4)
 * 192.168.60.1/24.  IPv6: wan 2001:db8::1/64, lan fd00:50::1/64.
 */
#define LO	1
#define WAN	2
#define LAN	3
#define DMZ	4

#define PRE	NF_INET_PRE_ROUTING
#define IN	NF_INET_LOCAL_IN
#define OUT	NF_INET_LOCAL_OUT
#define POST	NF_INET_POST_ROUTING
#define UDP	IPPROTO_UDP
#define TCP	IPPROTO_TCP


static void router_env(struct netenv *env)
{
	mk_link(env, LO, "lo");
	mk_link(env, WAN, "wan");
	mk_link(env, LAN, "lan");
	mk_link(env, DMZ, "dmz");
	mk_addr(env, LO, "127.0.0.1", 8);
	mk_addr(env, WAN, "203.0.113.1", 24);
	mk_addr(env, LAN, "192.168.50.1", 24);
	mk_addr(env, DMZ, "192.168.60.1", 24);
	mk_addr(env, LO, "::1", 128);
	mk_addr(env, WAN, "2001:db8::1", 64);
	mk_addr(env, WAN, "fe80::2", 64);
	mk_addr(env, LAN, "fd00:50::1", 64);
	mk_addr(env, LAN, "fe80::3", 64);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "203.0.113.0", 24, WAN, NULL,
		 "203.0.113.1", 0);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "192.168.50.0", 24, LAN,
		 NULL, "192.168.50.1", 0);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "192.168.60.0", 24, DMZ,
		 NULL, "192.168.60.1", 0);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "0.0.0.0", 0, WAN,
		 "203.0.113.254", NULL, 0);
	mk_route(env, RT_TABLE_LOCAL, RTN_LOCAL, "127.0.0.0", 8, LO, NULL,
		 "127.0.0.1", 0);
	mk_route(env, RT_TABLE_LOCAL, RTN_LOCAL, "203.0.113.1", 32, WAN, NULL,
		 "203.0.113.1", 0);
	mk_route(env, RT_TABLE_LOCAL, RTN_LOCAL, "192.168.50.1", 32, LAN,
		 NULL, "192.168.50.1", 0);
	mk_route(env, RT_TABLE_LOCAL, RTN_BROADCAST, "192.168.50.255", 32,
		 LAN, NULL, "192.168.50.1", 0);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "2001:db8::", 64, WAN, NULL,
		 NULL, 256);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "fd00:50::", 64, LAN, NULL,
		 NULL, 256);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "fe80::", 64, WAN, NULL,
		 NULL, 256);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "fe80::", 64, LAN, NULL,
		 NULL, 256);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "::", 0, WAN, "2001:db8::fe",
		 NULL, 1024);
	mk_route(env, RT_TABLE_LOCAL, RTN_LOCAL, "2001:db8::1", 128, WAN,
		 NULL, NULL, 0);
	mk_route(env, RT_TABLE_LOCAL, RTN_LOCAL, "fd00:50::1", 128, LAN, NULL,
		 NULL, 0);
	mk_route(env, RT_TABLE_LOCAL, RTN_LOCAL, "::1", 128, LO, NULL, NULL,
		 0);
}

static int setup(void **state)
{
	return fx_setup(state, router_env);
}

static int teardown(void **state)
{
	return fx_teardown(state);
}

/* The seed: a WireGuard forward moved from 192.168.50.2:51820 to
 * 192.168.50.3:53820; a peer at 198.51.100.7 keeps talking. */
static struct flow seed_flow_old(void)
{
	return mk_flow(UDP, "198.51.100.7", 40000, "203.0.113.1", 53820,
		       "192.168.50.2", 51820, "198.51.100.7", 40000);
}

/* table ip nat { chain prerouting { type nat hook prerouting priority
 * dstnat; udp dport 53820 dnat to 192.168.50.3:53820 } } */
static struct nm_chain *seed_model(struct nm_model *m)
{
	struct nm_chain *c = mk_chain(m, NFPROTO_IPV4, "prerouting", PRE,
				      -100);
	struct nm_rule *r = mk_rule(c);

	mk_dport(r, UDP, 53820);
	mk_dnat_to(r, "192.168.50.3", 53820);
	return c;
}

static void judge(struct fx *fx, const struct flow *f)
{
	judge_flow(&fx->m, &fx->env, f, &fx->j);
}

#define assert_verdict(fx, v, r) do {					\
	assert_string_equal(judge_verdict_str((fx)->j.verdict),		\
			    judge_verdict_str(v));			\
	assert_string_equal(judge_reason_str((fx)->j.reason),		\
			    judge_reason_str(r));			\
} while (0)

/* ---- the seed ---- */

static void test_seed_forward_changed(void **state)
{
	struct fx *fx = *state;
	struct flow f = seed_flow_old();
	char a[INET_ADDRSTRLEN];

	seed_model(&fx->m);
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_CHANGED);
	assert_int_equal(fx->j.chain, 0);
	assert_int_equal(fx->j.rule, 0);
	assert_int_equal(fx->j.dnat.ncand, 1);
	assert_int_equal(fx->j.snat.ncand, 0);
	assert_true(fx->j.dnat.cand[0].flags & NF_NAT_RANGE_MAP_IPS);
	assert_true(fx->j.dnat.cand[0].flags & NF_NAT_RANGE_PROTO_SPECIFIED);
	assert_int_equal(fx->j.dnat.cand[0].family, AF_INET);
	inet_ntop(AF_INET, fx->j.dnat.cand[0].addr_min.b, a, sizeof(a));
	assert_string_equal(a, "192.168.50.3");
	assert_int_equal(ntohs(fx->j.dnat.cand[0].port_min), 53820);
	assert_int_equal(ntohs(fx->j.dnat.cand[0].port_max), 53820);
}

static void test_seed_consistent(void **state)
{
	struct fx *fx = *state;
	struct flow f = mk_flow(UDP, "198.51.100.7", 40000, "203.0.113.1",
				53820, "192.168.50.3", 53820, "198.51.100.7",
				40000);

	seed_model(&fx->m);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.chain, 0);
	assert_int_equal(fx->j.rule, 0);
}

static void test_seed_same_addr_old_port(void **state)
{
	struct fx *fx = *state;
	struct flow f = mk_flow(UDP, "198.51.100.7", 40000, "203.0.113.1",
				53820, "192.168.50.3", 51820, "198.51.100.7",
				40000);

	seed_model(&fx->m);
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_CHANGED);
}

static void test_seed_forward_removed(void **state)
{
	struct fx *fx = *state;
	struct flow f = seed_flow_old();

	mk_chain(&fx->m, NFPROTO_IPV4, "prerouting", PRE, -100);
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_REMOVED);
	assert_int_equal(fx->j.dnat.ncand, 0);
	assert_int_equal(fx->j.chain, -1);
	assert_string_equal(judge_reason_text(fx->j.reason),
			    "forward removed");
}

static void test_seed_forward_added(void **state)
{
	struct fx *fx = *state;
	/* Reached the router itself before the forward existed. */
	struct flow f = mk_flow(UDP, "198.51.100.7", 40000, "203.0.113.1",
				53820, "203.0.113.1", 53820, "198.51.100.7",
				40000);

	seed_model(&fx->m);
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_ADDED);
	assert_string_equal(judge_reason_text(fx->j.reason),
			    "flow started before the forward existed");
}

static void test_seed_other_port_untouched(void **state)
{
	struct fx *fx = *state;
	struct flow f = mk_flow(UDP, "198.51.100.7", 40000, "203.0.113.1", 443,
				"203.0.113.1", 443, "198.51.100.7", 40000);

	seed_model(&fx->m);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.dnat.ncand, 0);
	assert_int_equal(fx->j.chain, -1);
	/* TCP to the same port is not matched by "udp dport". */
	f = mk_flow(TCP, "198.51.100.7", 40000, "203.0.113.1", 53820,
		    "192.168.50.2", 51820, "198.51.100.7", 40000);
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_REMOVED);
}

/* judge_eval once, judge_compare per flow, as a cache would. */
static void test_eval_then_compare(void **state)
{
	struct fx *fx = *state;
	struct flow f1 = seed_flow_old();
	struct flow f2 = mk_flow(UDP, "198.51.100.7", 40000, "203.0.113.1",
				 53820, "192.168.50.3", 53820, "198.51.100.7",
				 40000);
	struct judgement j, copy;

	seed_model(&fx->m);
	judge_eval(&fx->m, &fx->env, &f1.orig, &j);
	assert_int_equal(j.verdict, JV_CONSISTENT);
	copy = j;
	judge_compare(&f1, &copy);
	assert_int_equal(copy.verdict, JV_STALE);
	copy = j;
	judge_compare(&f2, &copy);
	assert_int_equal(copy.verdict, JV_CONSISTENT);
}

/* ---- sets and maps ---- */

/* udp dport { 53820, 53821 } dnat to 192.168.50.3 */
static void test_anonymous_set(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *c = mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
	struct nm_rule *r = mk_rule(c);
	struct nm_set *s = mk_set(&fx->m, "__set0", 0, 2, 0);
	uint16_t p1 = htons(53820), p2 = htons(53821);
	struct flow f;

	mk_elem(s, &p1, NULL, NULL, 0);
	mk_elem(s, &p2, NULL, NULL, 0);
	mk_l4proto(r, UDP);
	mk_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	mk_lookup(r, NFT_REG_1, 0, -1, false);
	mk_dnat_to(r, "192.168.50.3", 0);

	/* dnat without a port keeps the port */
	f = mk_flow(UDP, "198.51.100.7", 1000, "203.0.113.1", 53821,
		    "192.168.50.3", 53821, "198.51.100.7", 1000);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	assert_false(fx->j.dnat.cand[0].flags & NF_NAT_RANGE_PROTO_SPECIFIED);
	f.reply.sport = htons(53820);
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_CHANGED);
	f = mk_flow(UDP, "198.51.100.7", 1000, "203.0.113.1", 53822,
		    "203.0.113.1", 53822, "198.51.100.7", 1000);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);

	/* "udp dport != { ... }" */
	c->rules[0].exprs[3].lookup.invert = true;
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_ADDED);
}

/* ip saddr { 198.51.100.0/24 } dnat to 192.168.50.3: an interval set */
static void test_interval_set(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *c = mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
	struct nm_rule *r = mk_rule(c);
	struct nm_set *s = mk_set(&fx->m, "__set0", NFT_SET_INTERVAL, 4, 0);
	union addr lo = A("198.51.100.0"), hi = A("198.51.100.255");
	struct flow f;

	mk_elem(s, lo.b, hi.b, NULL, 0);
	mk_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG_1);
	mk_lookup(r, NFT_REG_1, 0, -1, false);
	mk_dnat_to(r, "192.168.50.3", 0);

	f = mk_flow(TCP, "198.51.100.255", 1000, "203.0.113.1", 22,
		    "192.168.50.2", 22, "198.51.100.255", 1000);
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_CHANGED);
	f = mk_flow(TCP, "198.51.101.0", 1000, "203.0.113.1", 22,
		    "192.168.50.2", 22, "198.51.101.0", 1000);
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_REMOVED);
}

/*
 * map fwd { type inet_service : ipv4_addr . inet_service; }
 * dnat ip to udp dport map @fwd
 *   [ payload load 2b @ transport header + 2 => reg 1 ]
 *   [ lookup reg 1 set fwd dreg 1 ]
 *   [ nat dnat ip addr_min reg 1 proto_min reg 9 ]
 */
static void test_map_concat_value(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *c = mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
	struct nm_rule *r = mk_rule(c);
	struct nm_set *s = mk_set(&fx->m, "fwd", NFT_SET_MAP, 2, 8);
	uint16_t k1 = htons(53820), k2 = htons(2222);
	uint8_t v1[8] = { 192, 168, 50, 3, 0xd2, 0x3c, 0, 0 };	/* :53820 */
	uint8_t v2[8] = { 192, 168, 60, 5, 0, 22, 0, 0 };
	struct flow f;

	mk_elem(s, &k1, NULL, v1, 8);
	mk_elem(s, &k2, NULL, v2, 8);
	mk_l4proto(r, UDP);
	mk_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	mk_lookup(r, NFT_REG_1, 0, NFT_REG_1, false);
	mk_nat(r, NFT_NAT_DNAT, NFPROTO_IPV4, NFT_REG_1, 0, NFT_REG32_01, 0, 0);

	f = seed_flow_old();
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_CHANGED);
	assert_int_equal(ntohs(fx->j.dnat.cand[0].port_min), 53820);
	f = mk_flow(UDP, "198.51.100.7", 1000, "203.0.113.1", 2222,
		    "192.168.60.5", 22, "198.51.100.7", 1000);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	/* not in the map: no DNAT */
	f = mk_flow(UDP, "198.51.100.7", 1000, "203.0.113.1", 2223,
		    "203.0.113.1", 2223, "198.51.100.7", 1000);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.dnat.ncand, 0);
}

/*
 * map fwd { type ipv4_addr . inet_service : ipv4_addr; flags interval; }
 * dnat ip to ip saddr . udp dport map @fwd
 *   [ payload load 4b @ network header + 12 => reg 1 ]
 *   [ payload load 2b @ transport header + 2 => reg 9 ]
 *   [ lookup reg 1 set fwd dreg 1 ]
 */
static void test_map_concat_key_ranges(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *c = mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
	struct nm_rule *r = mk_rule(c);
	struct nm_set *s = mk_set(&fx->m, "fwd",
				  NFT_SET_MAP | NFT_SET_INTERVAL |
				  NFT_SET_CONCAT, 8, 4);
	/* 198.51.100.0-198.51.100.127 . 53000-54000 : 192.168.50.3 */
	uint8_t k1[8] = { 198, 51, 100, 0, 0xcf, 0x08, 0, 0 };
	uint8_t e1[8] = { 198, 51, 100, 127, 0xd2, 0xf0, 0, 0 };
	uint8_t d1[4] = { 192, 168, 50, 3 };
	/* 198.51.100.128-198.51.100.255 . 53000-54000 : 192.168.50.4 */
	uint8_t k2[8] = { 198, 51, 100, 128, 0xcf, 0x08, 0, 0 };
	uint8_t e2[8] = { 198, 51, 100, 255, 0xd2, 0xf0, 0, 0 };
	uint8_t d2[4] = { 192, 168, 50, 4 };
	struct flow f;

	s->nfields = 2;
	s->field_len[0] = 4;
	s->field_len[1] = 2;
	mk_elem(s, k1, e1, d1, 4);
	mk_elem(s, k2, e2, d2, 4);
	mk_l4proto(r, UDP);
	mk_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG_1);
	mk_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_01);
	mk_lookup(r, NFT_REG_1, 0, NFT_REG_1, false);
	mk_nat(r, NFT_NAT_DNAT, NFPROTO_IPV4, NFT_REG_1, 0, 0, 0, 0);

	f = mk_flow(UDP, "198.51.100.7", 1000, "203.0.113.1", 53820,
		    "192.168.50.3", 53820, "198.51.100.7", 1000);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	f = mk_flow(UDP, "198.51.100.200", 1000, "203.0.113.1", 53820,
		    "192.168.50.3", 53820, "198.51.100.200", 1000);
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_CHANGED);
	/* port outside every field range */
	f = mk_flow(UDP, "198.51.100.7", 1000, "203.0.113.1", 54001,
		    "192.168.50.3", 54001, "198.51.100.7", 1000);
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_REMOVED);
}

/* udp dport vmap { 53820 : jump fwd } with a verdict map */
static void test_verdict_map(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
	struct nm_chain *fwd;
	struct nm_set *s = mk_set(&fx->m, "vm", NFT_SET_MAP, 2, 0);
	struct nm_elem *el;
	uint16_t k = htons(53820);
	struct nm_rule *r;
	struct flow f = seed_flow_old();

	s->data_type = NFT_DATA_VERDICT;
	el = mk_elem(s, &k, NULL, NULL, 0);
	el->verdict = NFT_JUMP;
	el->chain = 1;
	r = mk_rule(pre);
	mk_l4proto(r, UDP);
	mk_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	mk_lookup(r, NFT_REG_1, 0, NFT_REG_VERDICT, false);
	fwd = mk_chain(&fx->m, NFPROTO_IPV4, "fwd", -1, 0);
	mk_dnat_to(mk_rule(fwd), "192.168.50.2", 51820);

	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.chain, 1);
	assert_int_equal(fx->j.rule, 0);
}

/* ---- control flow ---- */

/*
 * chain pre { jump fwd; dnat to 192.168.50.9 }
 * chain fwd { udp dport != 53820 return; dnat to 192.168.50.3:53820 }
 */
static void test_jump_return(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
	struct nm_chain *fwd;
	struct nm_rule *r;
	struct flow f;

	mk_verdict(mk_rule(pre), NFT_JUMP, 1);
	r = mk_rule(pre);
	mk_l4proto(r, UDP);
	mk_dnat_to(r, "192.168.50.9", 0);
	fwd = mk_chain(&fx->m, NFPROTO_IPV4, "fwd", -1, 0);
	r = mk_rule(fwd);
	mk_l4proto(r, UDP);
	mk_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	mk_cmp_be16(r, NFT_REG_1, NFT_CMP_NEQ, 53820);
	mk_verdict(r, NFT_RETURN, -1);
	mk_dnat_to(mk_rule(fwd), "192.168.50.3", 53820);

	f = seed_flow_old();
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_CHANGED);
	assert_int_equal(fx->j.chain, 1);
	assert_int_equal(fx->j.rule, 1);
	/* other ports return and reach the second rule of pre */
	f = mk_flow(UDP, "198.51.100.7", 1000, "203.0.113.1", 7,
		    "192.168.50.9", 7, "198.51.100.7", 1000);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.chain, 0);
	assert_int_equal(fx->j.rule, 1);
}

/* goto: the end of the target chain ends the base chain (policy). */
static void test_goto(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
	struct nm_chain *empty;
	struct nm_rule *r;
	struct flow f = seed_flow_old();

	mk_verdict(mk_rule(pre), NFT_GOTO, 1);
	r = mk_rule(pre);
	mk_dnat_to(r, "192.168.50.2", 51820);
	empty = mk_chain(&fx->m, NFPROTO_IPV4, "empty", -1, 0);
	(void)empty;
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_REMOVED);
	/* jump instead: returns and the dnat applies */
	fx->m.chains[0].rules[0].exprs[0].imm.verdict = NFT_JUMP;
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
}

static void test_jump_loop_unknown(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
	struct nm_chain *a;
	struct flow f = seed_flow_old();

	mk_verdict(mk_rule(pre), NFT_JUMP, 1);
	a = mk_chain(&fx->m, NFPROTO_IPV4, "a", -1, 0);
	mk_verdict(mk_rule(a), NFT_JUMP, 1);
	judge(fx, &f);
	assert_verdict(fx, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "jump stack overflow");
	/* a goto loop never overflows the stack: the step limit stops it */
	fx->m.chains[1].rules[0].exprs[0].imm.verdict = NFT_GOTO;
	judge(fx, &f);
	assert_verdict(fx, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "rules loop");
}

static void test_drop_is_unknown(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
	struct flow f = seed_flow_old();
	struct nm_rule *r = mk_rule(pre);

	mk_dport(r, UDP, 53820);
	mk_verdict(r, NF_DROP, -1);
	judge(fx, &f);
	assert_verdict(fx, JV_UNKNOWN, JR_DROPPED);
	assert_int_equal(fx->j.chain, 0);
	assert_int_equal(fx->j.rule, 0);
	/* policy drop */
	pre->rules[0].exprs[4].imm.verdict = NFT_CONTINUE;
	pre->policy = NF_DROP;
	judge(fx, &f);
	assert_verdict(fx, JV_UNKNOWN, JR_DROPPED);
}

/* Two nat chains at prerouting: the first accepts, the second DNATs. */
static void test_two_chains_accept_then_dnat(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *a, *b;
	struct nm_rule *r;
	struct flow f = seed_flow_old();

	mk_chain(&fx->m, NFPROTO_IPV4, "b", PRE, -90);
	mk_chain(&fx->m, NFPROTO_IPV4, "a", PRE, -100);
	b = &fx->m.chains[0];
	a = &fx->m.chains[1];

	r = mk_rule(a);
	mk_dport(r, UDP, 53820);
	mk_verdict(r, NF_ACCEPT, -1);
	mk_dnat_to(mk_rule(b), "192.168.50.3", 53820);
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_CHANGED);
	assert_int_equal(fx->j.chain, 0);	/* "b", read first */
	/* the first chain to bind wins: the second is not consulted */
	r = mk_rule(a);
	mk_dnat_to(r, "192.168.50.2", 51820);
	a->rules[0].exprs[4].imm.verdict = NFT_CONTINUE;
	mk_expr(mk_rule(b), NM_OP_UNKNOWN);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.chain, 1);
	assert_int_equal(fx->j.rule, 1);
}

/* ---- interfaces, fib, routes ---- */

/* iifname "wan" udp dport 53820 dnat to 192.168.50.3:53820 */
static void test_iifname(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
	struct nm_rule *r = mk_rule(pre);
	struct flow f = seed_flow_old();

	mk_ifname(r, 0, NFT_CMP_EQ, "wan");
	mk_dport(r, UDP, 53820);
	mk_dnat_to(r, "192.168.50.3", 53820);
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_CHANGED);
	/* from the lan side the rule does not apply */
	f = mk_flow(UDP, "192.168.50.9", 1000, "203.0.113.1", 53820,
		    "192.168.50.2", 51820, "192.168.50.9", 1000);
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_REMOVED);
	f.reply.src = f.orig.dst;
	f.reply.sport = f.orig.dport;
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
}

/* With routing rules beyond the defaults (mwan3's fwmark rules) the main
 * table may not be the way back: an iifname match is then unknown, and
 * the flow is kept rather than judged on a guessed interface. */
static void test_iifname_policy_routing(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
	struct nm_rule *r = mk_rule(pre);
	struct flow f = seed_flow_old();

	mk_ifname(r, 0, NFT_CMP_EQ, "wan");
	mk_dport(r, UDP, 53820);
	mk_dnat_to(r, "192.168.50.3", 53820);
	fx->env.policy = NE_POLICY_V4;
	judge(fx, &f);
	assert_verdict(fx, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "input interface (policy routing)");
	/* IPv6 rules say nothing about IPv4 routing */
	fx->env.policy = NE_POLICY_V6;
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_CHANGED);
}

/* meta iif: the ifindex in host order */
static void test_meta_iif_index(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
	struct nm_rule *r = mk_rule(pre);
	struct flow f = seed_flow_old();

	mk_meta(r, NFT_META_IIF, NFT_REG_1);
	mk_cmp_u32(r, NFT_REG_1, NFT_CMP_EQ, WAN);
	mk_dnat_to(r, "192.168.50.2", 51820);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	/* no route back to the source: the input interface is unknown */
	fx->env.nroutes = 0;
	judge(fx, &f);
	assert_verdict(fx, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown,
			    "input interface (no single route back)");
}

/* fib daddr type local udp dport 53820 dnat to ... */
static void test_fib_daddr_local(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
	struct nm_rule *r = mk_rule(pre);
	struct nm_expr *e = mk_expr(r, NM_OP_FIB);
	struct flow f = seed_flow_old();

	e->fib.result = NFT_FIB_RESULT_ADDRTYPE;
	e->fib.flags = NFTA_FIB_F_DADDR;
	e->dreg = NFT_REG_1;
	mk_cmp_u32(r, NFT_REG_1, NFT_CMP_EQ, RTN_LOCAL);
	mk_dport(r, UDP, 53820);
	mk_dnat_to(r, "192.168.50.3", 53820);
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_CHANGED);
	/* a forwarded flow to an outside address keeps its destination */
	f = mk_flow(UDP, "192.168.50.9", 1000, "198.51.100.7", 53820,
		    "198.51.100.7", 53820, "192.168.50.9", 1000);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	/* . iif: 203.0.113.1 is on wan, the packet from lan: not local */
	r->exprs[0].fib.flags |= NFTA_FIB_F_IIF;
	f = mk_flow(UDP, "192.168.50.9", 1000, "203.0.113.1", 53820,
		    "203.0.113.1", 53820, "192.168.50.9", 1000);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	f = seed_flow_old();
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_CHANGED);
}

/* ---- nondeterminism ---- */

/* dnat to numgen inc mod 2 map { 0 : 192.168.50.2, 1 : 192.168.50.3 } */
static void test_numgen_map(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
	struct nm_rule *r = mk_rule(pre);
	struct nm_set *s = mk_set(&fx->m, "__map0", NFT_SET_MAP, 4, 4);
	uint32_t k0 = 0, k1 = 1;
	union addr a0 = A("192.168.50.2"), a1 = A("192.168.50.3");
	struct nm_expr *e;
	struct flow f;

	mk_elem(s, &k0, NULL, a0.b, 4);
	mk_elem(s, &k1, NULL, a1.b, 4);
	mk_dport(r, TCP, 80);
	e = mk_expr(r, NM_OP_NUMGEN);
	e->dreg = NFT_REG_1;
	e->gen.mod = 2;
	mk_lookup(r, NFT_REG_1, 0, NFT_REG_1, false);
	mk_nat(r, NFT_NAT_DNAT, NFPROTO_IPV4, NFT_REG_1, 0, 0, 0, 0);

	f = mk_flow(TCP, "198.51.100.7", 1000, "203.0.113.1", 80,
		    "192.168.50.2", 80, "198.51.100.7", 1000);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.dnat.ncand, 2);
	f.reply.src = A("192.168.50.3");
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	f.reply.src = A("192.168.50.4");
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_CHANGED);

	/* mod 3: value 2 misses the map, so "not NATed" is possible too */
	r->exprs[4].gen.mod = 3;
	f.reply.src = f.orig.dst;
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.dnat.ncand, 3);
	f.reply.src = A("192.168.50.4");
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_CHANGED);
}

/* jhash ... mod 1000: too many paths to explore */
static void test_hash_too_wide(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
	struct nm_rule *r = mk_rule(pre);
	struct nm_expr *e = mk_expr(r, NM_OP_HASH);
	struct flow f = seed_flow_old();
	struct ev_result res;

	e->dreg = NFT_REG_1;
	e->gen.mod = 1000;
	judge(fx, &f);
	assert_verdict(fx, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "hash mod 1000");
	/* three binary choices: eight paths, all explored */
	e->gen.mod = 2;
	e = mk_expr(r, NM_OP_HASH);
	e->gen.mod = 2;
	e->dreg = NFT_REG_2;
	e = mk_expr(r, NM_OP_NUMGEN);
	e->gen.mod = 2;
	e->dreg = NFT_REG_3;
	eval_first_packet(&fx->m, &fx->env, &f.orig, &res);
	assert_string_equal(res.unknown, "");
	assert_int_equal(res.status, EV_OK);
	assert_int_equal(res.runs, 8);
}

/* numgen vmap { 0 : jump a, 1 : drop }: the flow took the other path */
static void test_numgen_partial_drop(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
	struct nm_chain *a;
	struct nm_rule *r = mk_rule(pre);
	struct nm_set *s = mk_set(&fx->m, "vm", NFT_SET_MAP, 4, 0);
	uint32_t k0 = 0, k1 = 1;
	struct nm_elem *el;
	struct nm_expr *e;
	struct flow f = seed_flow_old();

	s->data_type = NFT_DATA_VERDICT;
	el = mk_elem(s, &k0, NULL, NULL, 0);
	el->verdict = NFT_JUMP;
	el->chain = 1;
	el = mk_elem(s, &k1, NULL, NULL, 0);
	el->verdict = NF_DROP;
	e = mk_expr(r, NM_OP_NUMGEN);
	e->dreg = NFT_REG_1;
	e->gen.mod = 2;
	mk_lookup(r, NFT_REG_1, 0, NFT_REG_VERDICT, false);
	a = mk_chain(&fx->m, NFPROTO_IPV4, "a", -1, 0);
	mk_dnat_to(mk_rule(a), "192.168.50.2", 51820);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.dnat.ncand, 1);
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
	judge(fx, &f);
	assert_verdict(fx, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "meta mark: socket mark");
	assert_int_equal(fx->j.chain, 0);
	assert_int_equal(fx->j.rule, 0);
	assert_string_equal(judge_verdict_str(fx->j.verdict), "unknown");
}

/* A rule before the mark rule decides: the mark is never looked at. */
static void test_unknown_not_reached(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
	struct nm_rule *r = mk_rule(pre);
	struct flow f = seed_flow_old();

	mk_dport(r, UDP, 53820);
	mk_dnat_to(r, "192.168.50.3", 53820);
	r = mk_rule(pre);
	mk_meta(r, NFT_META_CPU, NFT_REG_1);
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_CHANGED);
	/* other flows do reach it */
	f = mk_flow(UDP, "198.51.100.7", 1000, "203.0.113.1", 1,
		    "203.0.113.1", 1, "198.51.100.7", 1000);
	judge(fx, &f);
	assert_verdict(fx, JV_UNKNOWN, JR_UNMODELLED);
}

/*
 * Something unmodelled in postrouting (here the cpu the packet is on)
 * leaves the source NAT unknown, not the DNAT: a forward that now points
 * elsewhere is still proven stale.
 */
static void test_snat_unknown_dnat_exact(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *post;
	struct nm_rule *r;
	struct flow f = seed_flow_old();

	seed_model(&fx->m);
	post = mk_chain(&fx->m, NFPROTO_IPV4, "post", POST, 100);
	r = mk_rule(post);
	mk_meta(r, NFT_META_CPU, NFT_REG_1);
	mk_cmp_u32(r, NFT_REG_1, NFT_CMP_EQ, 1);
	mk_masq(r);
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_CHANGED);
	assert_true(fx->j.snat_unknown);
	/* the same flow already at B: its DNAT fits, its SNAT is unknown */
	f = mk_flow(UDP, "203.0.113.10", 51820, "203.0.113.1", 53820,
		    "192.168.50.3", 53820, "203.0.113.10", 51820);
	judge(fx, &f);
	assert_verdict(fx, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "meta cpu");
}

static void test_unknown_payload(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
	struct nm_rule *r = mk_rule(pre);
	struct flow f = seed_flow_old();

	/* ip ttl 64 */
	mk_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 8, 1, NFT_REG_1);
	mk_cmp_u8(r, NFT_REG_1, NFT_CMP_EQ, 64);
	judge(fx, &f);
	assert_verdict(fx, JV_UNKNOWN, JR_UNMODELLED);
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
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
	struct nm_rule *r = mk_rule(pre);
	struct flow f = seed_flow_old();

	mk_cmp_u32(r, NFT_REG32_05, NFT_CMP_EQ, 0);
	judge(fx, &f);
	assert_verdict(fx, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown,
			    "register read before it was written");
}

/* ip version 4 (a nibble of a byte whose other half is unknown),
 * ip hdrlength 5 (the unknown half) */
static void test_partly_known_byte(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
	struct nm_rule *r = mk_rule(pre);
	struct flow f = seed_flow_old();
	uint8_t hi = 0xf0, lo = 0x0f, zero = 0;

	mk_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 0, 1, NFT_REG_1);
	mk_bitwise(r, NFT_REG_1, NFT_REG_1, &hi, &zero, 1);
	mk_cmp_u8(r, NFT_REG_1, NFT_CMP_EQ, 0x40);
	mk_dnat_to(r, "192.168.50.2", 51820);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	/* "ip version 6" fails on the known bits alone, unmasked */
	r->exprs[1].op = NM_OP_NOP;
	r->exprs[2].cmp.data.val[0] = 0x65;
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_REMOVED);
	/* the header length is not known */
	r->exprs[1].op = NM_OP_BITWISE;
	r->exprs[1].bitwise.mask.val[0] = lo;
	r->exprs[2].cmp.data.val[0] = 5;
	judge(fx, &f);
	assert_verdict(fx, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "payload @nh+0");
}

/* tcp flags & (fin|syn|rst|ack) == syn */
static void test_tcp_syn(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
	struct nm_rule *r = mk_rule(pre);
	uint8_t mask = 0x17, zero = 0;
	struct flow f = mk_flow(TCP, "198.51.100.7", 1000, "203.0.113.1", 22,
				"192.168.50.2", 22, "198.51.100.7", 1000);

	mk_l4proto(r, TCP);
	mk_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1, NFT_REG_1);
	mk_bitwise(r, NFT_REG_1, NFT_REG_1, &mask, &zero, 1);
	mk_cmp_u8(r, NFT_REG_1, NFT_CMP_EQ, 0x02);
	mk_dnat_to(r, "192.168.50.2", 0);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	/* the ECN bits of a SYN vary */
	r->exprs[3].bitwise.mask.val[0] = 0xff;
	judge(fx, &f);
	assert_verdict(fx, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "payload @th+13");
}

/* ip saddr & 255.255.255.0 == 198.51.100.0, and shifts */
static void test_bitwise_and_shift(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
	struct nm_rule *r = mk_rule(pre);
	union addr mask = A("255.255.255.0"), zero = A("0.0.0.0");
	struct flow f = seed_flow_old();
	uint32_t v;

	mk_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG_1);
	mk_bitwise(r, NFT_REG_1, NFT_REG_1, mask.b, zero.b, 4);
	mk_cmp_addr(r, NFT_REG_1, NFT_CMP_EQ, "198.51.100.0");
	mk_dnat_to(r, "192.168.50.2", 51820);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);

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
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_CHANGED);
	assert_int_equal(fx->j.chain, 1);
}

/* udp dport 53000-54000, and ordered cmp */
static void test_range_and_order(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
	struct nm_rule *r = mk_rule(pre);
	struct flow f = seed_flow_old();

	mk_l4proto(r, UDP);
	mk_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	mk_range_be16(r, NFT_REG_1, NFT_RANGE_EQ, 53000, 54000);
	mk_dnat_to(r, "192.168.50.2", 0);
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_CHANGED);	/* port kept */
	r->exprs[3].range.op = NFT_RANGE_NEQ;
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_REMOVED);
	/* udp dport >= 53820 */
	r->exprs[3].op = NM_OP_CMP;
	r->exprs[3].cmp.op = NFT_CMP_GTE;
	mk_data(&r->exprs[3].cmp.data, "\xd2\x3c", 2);
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_CHANGED);
	r->exprs[3].cmp.op = NFT_CMP_GT;
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_REMOVED);
	r->exprs[3].cmp.op = NFT_CMP_LTE;
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_CHANGED);
	r->exprs[3].cmp.op = NFT_CMP_LT;
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_REMOVED);
}

/* ct state new, ct direction original, ct original daddr */
static void test_ct(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
	struct nm_rule *r = mk_rule(pre);
	struct nm_expr *e;
	struct flow f = seed_flow_old();

	e = mk_expr(r, NM_OP_CT);
	e->ct.key = NFT_CT_STATE;
	e->dreg = NFT_REG_1;
	mk_cmp_u32(r, NFT_REG_1, NFT_CMP_EQ, 8);
	e = mk_expr(r, NM_OP_CT);
	e->ct.key = NFT_CT_DIRECTION;
	e->dreg = NFT_REG_1;
	mk_cmp_u8(r, NFT_REG_1, NFT_CMP_EQ, 0);
	e = mk_expr(r, NM_OP_CT);
	e->ct.key = NFT_CT_DST;
	e->len = 4;
	e->dreg = NFT_REG_1;
	mk_cmp_addr(r, NFT_REG_1, NFT_CMP_EQ, "203.0.113.1");
	mk_dnat_to(r, "192.168.50.2", 51820);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	/* a new entry's ct mark is 0, not 8: the forward no longer
	 * applies to it */
	pre->rules[0].exprs[0].ct.key = NFT_CT_MARK;
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_REMOVED);
	/* the ct zone is not modelled */
	pre->rules[0].exprs[0].ct.key = NFT_CT_ZONE;
	judge(fx, &f);
	assert_verdict(fx, JV_UNKNOWN, JR_UNMODELLED);
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
	mk_dport(r, UDP, 53820);
	mk_dnat_to(r, "192.168.50.3", 53820);
	judge(fx, &f6);
	assert_verdict(fx, JV_STALE, JR_DNAT_REMOVED);

	ci = mk_chain(&fx->m, NFPROTO_INET, "prei", PRE, -50);
	r = mk_rule(ci);
	mk_dport(r, UDP, 53820);
	mk_dnat_to(r, "192.168.50.9", 53820);	/* dnat ip to */
	r = mk_rule(ci);
	mk_dport(r, UDP, 53820);
	mk_dnat_to(r, "fd00:50::3", 53820);	/* dnat ip6 to */
	judge(fx, &f6);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.chain, 1);
	assert_int_equal(fx->j.rule, 1);
	/* IPv4: the ip chain comes first by priority and binds */
	{
		struct flow f4 = mk_flow(UDP, "198.51.100.7", 40000,
					 "203.0.113.1", 53820, "192.168.50.3",
					 53820, "198.51.100.7", 40000);
		judge(fx, &f4);
		assert_verdict(fx, JV_CONSISTENT, JR_NONE);
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
	mk_dport(r, TCP, 443);
	mk_dnat_to(r, "fd00:50::3", 0);
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_CHANGED);
	assert_int_equal(fx->j.dnat.cand[0].family, AF_INET6);
	f.reply.src = A("fd00:50::3");
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	/* IPv4 flows fail "meta nfproto ipv6" */
	f = seed_flow_old();
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_REMOVED);
}

/* ---- source NAT ---- */

/* oifname "wan" masquerade */
static struct nm_chain *masq_model(struct nm_model *m)
{
	struct nm_chain *c = mk_chain(m, NFPROTO_IPV4, "post", POST, 100);
	struct nm_rule *r = mk_rule(c);

	mk_ifname(r, 1, NFT_CMP_EQ, "wan");
	mk_masq(r);
	return c;
}

static void test_masquerade(void **state)
{
	struct fx *fx = *state;
	struct flow f = mk_flow(UDP, "192.168.50.9", 5000, "198.51.100.7", 53,
				"198.51.100.7", 53, "203.0.113.1", 5000);

	masq_model(&fx->m);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.snat.ncand, 1);
	assert_int_equal(fx->j.snat.cand[0].type, NM_NAT_MASQ);
	assert_int_equal(fx->j.chain, 0);
	/* the kernel may remap the port without one in the rule */
	f.reply.dport = htons(5001);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	/* masqueraded to an address the interface no longer picks */
	f.reply.dst = A("203.0.113.2");
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_SNAT_CHANGED);
	/* not masqueraded at all */
	f.reply.dst = f.orig.src;
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_SNAT_ADDED);
	/* lan to dmz is not masqueraded */
	f = mk_flow(UDP, "192.168.50.9", 5000, "192.168.60.7", 53,
		    "192.168.60.7", 53, "192.168.50.9", 5000);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.snat.ncand, 0);
	f.reply.dst = A("192.168.60.1");
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_SNAT_REMOVED);
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
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
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
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_SNAT_CHANGED);
	assert_string_equal(judge_reason_str(fx->j.reason), "snat-changed");
	f.reply.dst = A("203.0.113.5");
	f.reply.dport = htons(6000);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	/* snat to 203.0.113.5:10000-20000 */
	r = &c->rules[0];
	r->nexprs = 2;
	mk_imm_addr(r, NFT_REG_1, "203.0.113.5");
	mk_imm_be16(r, NFT_REG_2, 10000);
	mk_imm_be16(r, NFT_REG_3, 20000);
	mk_nat(r, NFT_NAT_SNAT, NFPROTO_IPV4, NFT_REG_1, 0, NFT_REG_2,
	       NFT_REG_3, 0);
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_SNAT_CHANGED);
	f.reply.dport = htons(12345);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
}

/* DNAT at prerouting, then masquerade on the way to the lan (hairpin):
 * postrouting sees the translated destination. */
static void test_dnat_then_snat(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *c;
	struct nm_rule *r;
	struct flow f = mk_flow(UDP, "192.168.50.9", 5000, "203.0.113.1",
				53820, "192.168.50.3", 53820, "192.168.50.1",
				5000);

	seed_model(&fx->m);
	c = mk_chain(&fx->m, NFPROTO_IPV4, "post", POST, 100);
	r = mk_rule(c);
	mk_addr_match(r, 1, NFT_CMP_EQ, "192.168.50.3");
	mk_ifname(r, 1, NFT_CMP_EQ, "lan");
	mk_masq(r);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.dnat.ncand, 1);
	assert_int_equal(fx->j.snat.ncand, 1);
	/* the snat side is stale, the dnat rule was named: no rule */
	f.reply.dst = f.orig.src;
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_SNAT_ADDED);
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
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.chain, 1);
	/* masquerade in input is not allowed: unknown */
	r->exprs[2].op = NM_OP_MASQ;
	memset(&r->exprs[2].redir, 0, sizeof(r->exprs[2].redir));
	judge(fx, &f);
	assert_verdict(fx, JV_UNKNOWN, JR_UNMODELLED);
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
	mk_dport(r, UDP, 53);
	mk_dnat_to(r, "192.168.50.53", 0);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.snat.ncand, 0);	/* oif lan: no masquerade */
	/* iifname in output is not known */
	out->rules[0].nexprs = 0;
	mk_ifname(&out->rules[0], 0, NFT_CMP_EQ, "lan");
	judge(fx, &f);
	assert_verdict(fx, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "input interface of a local packet");
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
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.dnat.cand[0].type, NM_NAT_REDIR);
	f.reply.sport = htons(53);
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_CHANGED);
	judge(fx, &f6);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	/* a link-local peer on the lan: the link-local address */
	f6 = mk_flow(UDP, "fe80::9", 4000, "fe80::3", 53, "fe80::3", 5353,
		     "fe80::9", 4000);
	judge(fx, &f6);
	assert_verdict(fx, JV_UNKNOWN, JR_UNMODELLED);	/* fe80::/64 twice */
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
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.snat.ncand, 1);
	mk_addr(&fx->env, WAN, "2001:db8::2", 64);
	f.reply.dst = A("2001:db8::2");
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.snat.ncand, 2);
	f.reply.dst = A("fe80::2");
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_SNAT_CHANGED);
}

/* dnat to 192.168.50.2-192.168.50.4: a range; later hooks cannot know
 * the address. */
static void test_dnat_range(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
	struct nm_chain *post;
	struct nm_rule *r = mk_rule(pre);
	struct flow f = mk_flow(TCP, "198.51.100.7", 1000, "203.0.113.1", 80,
				"192.168.50.4", 80, "198.51.100.7", 1000);

	mk_dport(r, TCP, 80);
	mk_imm_addr(r, NFT_REG_1, "192.168.50.2");
	mk_imm_addr(r, NFT_REG_2, "192.168.50.4");
	mk_nat(r, NFT_NAT_DNAT, NFPROTO_IPV4, NFT_REG_1, NFT_REG_2, 0, 0, 0);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	f.reply.src = A("192.168.50.5");
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_CHANGED);
	post = mk_chain(&fx->m, NFPROTO_IPV4, "post", POST, 100);
	r = mk_rule(post);
	mk_ifname(r, 1, NFT_CMP_EQ, "wan");
	mk_masq(r);
	/* outside the range: stale, whatever the source NAT would be */
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_CHANGED);
	assert_true(fx->j.snat_unknown);
	/* inside: the DNAT fits, the output interface is unknown */
	f.reply.src = A("192.168.50.3");
	judge(fx, &f);
	assert_verdict(fx, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "output interface (dnat to a range)");
}

/* ---- iptables rules in the neutral form ---- */

/* -A PREROUTING -i wan -p udp --dport 53820 -j DNAT --to 192.168.50.3 */
static void test_xt_dnat(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_IPV4, "PREROUTING",
					PRE, -100);
	struct nm_rule *r = mk_rule(pre);
	struct nm_expr *e;
	struct flow f = seed_flow_old();

	pre->source = NM_SRC_LEGACY;
	e = mk_expr(r, NM_OP_IPHDR);
	e->iphdr.family = AF_INET;
	strcpy(e->iphdr.iniface, "wan");
	e->iphdr.iniface_len = 4;
	e->iphdr.proto = UDP;
	e = mk_expr(r, NM_OP_XT_PORTS);
	e->ports.proto = UDP;
	e->ports.nsrc = 1;
	e->ports.src[0][1] = 65535;
	e->ports.ndst = 1;
	e->ports.dst[0][0] = e->ports.dst[0][1] = 53820;
	mk_natspec(r, NFT_NAT_DNAT, "192.168.50.3", NULL, 0, 0);
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_CHANGED);
	f.reply.src = A("192.168.50.3");
	f.reply.sport = f.orig.dport;
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	/* ! -i wan */
	r->exprs[0].iphdr.invflags = IPT_INV_VIA_IN;
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_REMOVED);
	/* -i wa+ */
	r->exprs[0].iphdr.invflags = 0;
	r->exprs[0].iphdr.iniface_len = 2;
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	/* -i lan */
	strcpy(r->exprs[0].iphdr.iniface, "lan");
	r->exprs[0].iphdr.iniface_len = 4;
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_REMOVED);
}

/* -s 198.51.100.0/24 ! -d 192.168.0.0/16 -p tcp -m multiport --ports */
static void test_xt_iphdr_multiport(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_IPV4, "PREROUTING",
					PRE, -100);
	struct nm_rule *r = mk_rule(pre);
	struct nm_expr *e;
	struct flow f = mk_flow(TCP, "198.51.100.7", 1000, "203.0.113.1", 8443,
				"192.168.50.2", 443, "198.51.100.7", 1000);

	e = mk_expr(r, NM_OP_IPHDR);
	e->iphdr.family = AF_INET;
	e->iphdr.src = A("198.51.100.0");
	e->iphdr.smsk = A("255.255.255.0");
	e->iphdr.dst = A("192.168.0.0");
	e->iphdr.dmsk = A("255.255.0.0");
	e->iphdr.invflags = IPT_INV_DSTIP;
	e->iphdr.proto = TCP;
	e = mk_expr(r, NM_OP_XT_PORTS);
	e->ports.proto = TCP;
	e->ports.either = 1;
	e->ports.ndst = 2;
	e->ports.dst[0][0] = e->ports.dst[0][1] = 8080;
	e->ports.dst[1][0] = 8443;
	e->ports.dst[1][1] = 8444;
	mk_natspec(r, NFT_NAT_DNAT, "192.168.50.2", NULL, 443, 0);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	f.orig.src = A("198.51.101.7");
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_REMOVED);
	f.orig.src = A("198.51.100.7");
	f.orig.dport = htons(8445);
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_REMOVED);
	r->exprs[1].ports.either_inv = 1;
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
}

/* -m addrtype --dst-type LOCAL -m conntrack --ctstate NEW */
static void test_xt_addrtype_ctstate(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_IPV4, "PREROUTING",
					PRE, -100);
	struct nm_rule *r = mk_rule(pre);
	struct nm_expr *e;
	struct flow f = seed_flow_old();

	e = mk_expr(r, NM_OP_XT_ADDRTYPE);
	e->addrtype.dst_type = 1 << RTN_LOCAL;
	e = mk_expr(r, NM_OP_XT_CTSTATE);
	e->ctstate.statemask = 1 << 3;	/* NEW */
	mk_expr(r, NM_OP_NOP);
	mk_natspec(r, NFT_NAT_DNAT, "192.168.50.2", NULL, 51820, 0);
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	/* --ctstate ESTABLISHED does not match a first packet */
	r->exprs[1].ctstate.statemask = 1 << 1;
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_REMOVED);
	/* --ctstate DNAT depends on what NAT did so far */
	r->exprs[1].ctstate.statemask = 1 << 7;
	judge(fx, &f);
	assert_verdict(fx, JV_UNKNOWN, JR_UNMODELLED);
	/* ! --dst-type LOCAL */
	r->exprs[1].ctstate.statemask = 1 << 3;
	r->exprs[0].addrtype.dst_inv = 1;
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_REMOVED);
	/* --dst-type LOCAL --limit-iface-in: 203.0.113.1 is on wan */
	r->exprs[0].addrtype.dst_inv = 0;
	r->exprs[0].addrtype.limit_iface_in = 1;
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	/* --src-type UNICAST */
	r->exprs[0].addrtype.src_type = 1 << RTN_UNICAST;
	judge(fx, &f);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	r->exprs[0].addrtype.src_type = 1 << RTN_LOCAL;
	judge(fx, &f);
	assert_verdict(fx, JV_STALE, JR_DNAT_REMOVED);
}

static void test_xt_unknown_match(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = mk_chain(&fx->m, NFPROTO_IPV4, "PREROUTING",
					PRE, -100);
	struct nm_rule *r = mk_rule(pre);
	struct nm_expr *e = mk_expr(r, NM_OP_UNKNOWN);
	struct flow f = seed_flow_old();

	strcpy(e->unknown, "xt match recent");
	judge(fx, &f);
	assert_verdict(fx, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "xt match recent");
}

static void test_expected_flow_unknown(void **state)
{
	struct fx *fx = *state;
	struct flow f = seed_flow_old();

	seed_model(&fx->m);
	f.status = IPS_EXPECTED;
	judge(fx, &f);
	assert_verdict(fx, JV_UNKNOWN, JR_UNMODELLED);
}

/* ---- keys and strings ---- */

static void test_keys(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *c;
	struct nm_rule *r;

	assert_int_equal(judge_keys(&fx->m), 0);
	seed_model(&fx->m);
	assert_int_equal(judge_keys(&fx->m), JK_DPORT);
	r = mk_rule(&fx->m.chains[0]);
	mk_ifname(r, 0, NFT_CMP_EQ, "wan");
	assert_int_equal(judge_keys(&fx->m), JK_SADDR | JK_DPORT | JK_IIF);
	masq_model(&fx->m);
	assert_int_equal(judge_keys(&fx->m), JK_SADDR | JK_DPORT | JK_IIF |
			 JK_OIF | JK_DADDR);
	/* fib saddr type local */
	r = mk_rule(&fx->m.chains[0]);
	mk_expr(r, NM_OP_FIB)->fib.result = NFT_FIB_RESULT_ADDRTYPE;
	r->exprs[0].fib.flags = NFTA_FIB_F_SADDR;
	assert_int_equal(judge_keys(&fx->m), JK_SADDR | JK_DPORT | JK_IIF |
			 JK_OIF | JK_DADDR);
	/* a regular chain reached by a jump counts, an orphan does not */
	c = mk_chain(&fx->m, NFPROTO_IPV4, "orphan", -1, 0);
	mk_payload(mk_rule(c), NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, NFT_REG_1);
	assert_false(judge_keys(&fx->m) & JK_SPORT);
	mk_verdict(mk_rule(&fx->m.chains[0]), NFT_JUMP, 2);
	assert_true(judge_keys(&fx->m) & JK_SPORT);
	mk_expr(mk_rule(c), NM_OP_UNKNOWN);
	assert_int_equal(judge_keys(&fx->m), JK_SADDR | JK_DADDR | JK_SPORT |
			 JK_DPORT | JK_IIF | JK_OIF);
}

static void test_keys_paths(void **state)
{
	struct fx *fx = *state;
	struct nm_rule *r;

	/* an input chain: the destination picks input or postrouting */
	mk_chain(&fx->m, NFPROTO_IPV4, "in", IN, 100);
	assert_int_equal(judge_keys(&fx->m), JK_DADDR);
	/* ip6 saddr in an inet chain; an ip chain reading nh+16 */
	r = mk_rule(mk_chain(&fx->m, NFPROTO_INET, "pre", PRE, 0));
	mk_addr_match(r, 0, NFT_CMP_EQ, "2001:db8::7");
	assert_int_equal(judge_keys(&fx->m), JK_DADDR | JK_SADDR);
	nm_model_free(&fx->m);
	r = mk_rule(mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, 0));
	mk_addr_match(r, 1, NFT_CMP_EQ, "192.168.50.1");
	assert_int_equal(judge_keys(&fx->m), JK_DADDR);
	/* ct original saddr, xt ports, meta mark */
	r = mk_rule(&fx->m.chains[0]);
	mk_expr(r, NM_OP_CT)->ct.key = NFT_CT_SRC;
	mk_expr(r, NM_OP_XT_PORTS);
	assert_int_equal(judge_keys(&fx->m), JK_DADDR | JK_SADDR | JK_SPORT |
			 JK_DPORT);
	/* the mark of a first packet depends on where it came in */
	mk_meta(r, NFT_META_MARK, NFT_REG_1);
	assert_int_equal(judge_keys(&fx->m), JK_SADDR | JK_DADDR | JK_SPORT |
			 JK_DPORT | JK_IIF);
	mk_meta(r, NFT_META_CPU, NFT_REG_1);
	assert_int_equal(judge_keys(&fx->m), JK_SADDR | JK_DADDR | JK_SPORT |
			 JK_DPORT | JK_IIF | JK_OIF);
}

static void test_strings(void **state)
{
	(void)state;
	assert_string_equal(judge_reason_str(JR_DNAT_CHANGED),
			    "forward-changed");
	assert_string_equal(judge_reason_str(JR_DNAT_REMOVED),
			    "forward-removed");
	assert_string_equal(judge_reason_str(JR_DNAT_ADDED), "forward-added");
	assert_string_equal(judge_reason_str(JR_SNAT_CHANGED), "snat-changed");
	assert_string_equal(judge_reason_str(JR_SNAT_REMOVED), "snat-removed");
	assert_string_equal(judge_reason_str(JR_SNAT_ADDED), "snat-added");
	assert_string_equal(judge_reason_str(JR_UNMODELLED), "unmodelled");
	assert_string_equal(judge_reason_str(JR_DROPPED), "dropped");
	assert_string_equal(judge_reason_str(JR_NONE), "");
	assert_string_equal(judge_reason_str(JR__MAX), "?");
	assert_string_equal(judge_verdict_str(JV_CONSISTENT), "consistent");
	assert_string_equal(judge_verdict_str(JV_STALE), "stale");
	assert_string_equal(judge_verdict_str(JV_UNKNOWN), "unknown");
	assert_string_equal(judge_reason_text(JR_DNAT_CHANGED),
			    "forward now points elsewhere");
	for (int i = JR_DNAT_CHANGED; i < JR__MAX; i++)
		assert_true(strlen(judge_reason_text(i)) > 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_seed_forward_changed),
		T(test_seed_consistent),
		T(test_seed_same_addr_old_port),
		T(test_seed_forward_removed),
		T(test_seed_forward_added),
		T(test_seed_other_port_untouched),
		T(test_eval_then_compare),
		T(test_anonymous_set),
		T(test_interval_set),
		T(test_map_concat_value),
		T(test_map_concat_key_ranges),
		T(test_verdict_map),
		T(test_jump_return),
		T(test_goto),
		T(test_jump_loop_unknown),
		T(test_drop_is_unknown),
		T(test_two_chains_accept_then_dnat),
		T(test_iifname),
		T(test_iifname_policy_routing),
		T(test_meta_iif_index),
		T(test_fib_daddr_local),
		T(test_numgen_map),
		T(test_hash_too_wide),
		T(test_numgen_partial_drop),
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
		T(test_masquerade),
		T(test_masquerade_address_choice),
		T(test_snat_to),
		T(test_dnat_then_snat),
		T(test_input_snat),
		T(test_local_output),
		T(test_redirect),
		T(test_ipv6_masquerade),
		T(test_dnat_range),
		T(test_xt_dnat),
		T(test_xt_iphdr_multiport),
		T(test_xt_addrtype_ctstate),
		T(test_xt_unknown_match),
		T(test_expected_flow_unknown),
		T(test_keys),
		T(test_keys_paths),
		T(test_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
