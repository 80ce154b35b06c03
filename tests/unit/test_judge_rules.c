// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for judge.c and eval.c: how the rules are walked.  Sets and
 * maps (anonymous, interval, concatenated, verdict maps), jumps, gotos,
 * returns, drops, chains at the same hook, and the nondeterministic rules
 * (numgen, hash).
 * The router and the shared helpers are in judgerouter.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "judgerouter.h"

/* ---- sets and maps ---- */

/* udp dport { 53820, 53821 } dnat to 192.168.50.3 */
static void test_anonymous_set(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *c = pre_chain(fx);
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
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	assert_false(fx->j.dnat.cand[0].flags & NF_NAT_RANGE_PROTO_SPECIFIED);
	f.reply.sport = htons(53820);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	f = mk_flow(UDP, "198.51.100.7", 1000, "203.0.113.1", 53822,
		    "203.0.113.1", 53822, "198.51.100.7", 1000);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);

	/* "udp dport != { ... }" */
	c->rules[0].exprs[3].lookup.invert = true;
	assert_judged(fx, &f, JV_STALE, JR_DNAT_ADDED);
}

/* ip saddr { 198.51.100.0/24 } dnat to 192.168.50.3: an interval set */
static void test_interval_set(void **state)
{
	struct fx *fx = *state;
	struct nm_rule *r = pre_rule(fx);
	struct nm_set *s = mk_set(&fx->m, "__set0", NFT_SET_INTERVAL, 4, 0);
	union addr lo = A("198.51.100.0"), hi = A("198.51.100.255");
	struct flow f;

	mk_elem(s, lo.b, hi.b, NULL, 0);
	mk_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG_1);
	mk_lookup(r, NFT_REG_1, 0, -1, false);
	mk_dnat_to(r, "192.168.50.3", 0);

	f = mk_flow(TCP, "198.51.100.255", 1000, "203.0.113.1", 22,
		    "192.168.50.2", 22, "198.51.100.255", 1000);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	f = mk_flow(TCP, "198.51.101.0", 1000, "203.0.113.1", 22,
		    "192.168.50.2", 22, "198.51.101.0", 1000);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_REMOVED);
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
	struct nm_rule *r = pre_rule(fx);
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
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	assert_int_equal(ntohs(fx->j.dnat.cand[0].port_min), 53820);
	f = mk_flow(UDP, "198.51.100.7", 1000, "203.0.113.1", 2222,
		    "192.168.60.5", 22, "198.51.100.7", 1000);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	/* not in the map: no DNAT */
	f = mk_flow(UDP, "198.51.100.7", 1000, "203.0.113.1", 2223,
		    "203.0.113.1", 2223, "198.51.100.7", 1000);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
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
	struct nm_rule *r = pre_rule(fx);
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
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	f = mk_flow(UDP, "198.51.100.200", 1000, "203.0.113.1", 53820,
		    "192.168.50.3", 53820, "198.51.100.200", 1000);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	/* port outside every field range */
	f = mk_flow(UDP, "198.51.100.7", 1000, "203.0.113.1", 54001,
		    "192.168.50.3", 54001, "198.51.100.7", 1000);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_REMOVED);
}

/* udp dport vmap { 53820 : jump fwd } with a verdict map */
static void test_verdict_map(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = pre_chain(fx);
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

	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
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
	struct nm_chain *pre = pre_chain(fx);
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
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	assert_int_equal(fx->j.chain, 1);
	assert_int_equal(fx->j.rule, 1);
	/* other ports return and reach the second rule of pre */
	f = mk_flow(UDP, "198.51.100.7", 1000, "203.0.113.1", 7,
		    "192.168.50.9", 7, "198.51.100.7", 1000);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.chain, 0);
	assert_int_equal(fx->j.rule, 1);
}

/* goto: the end of the target chain ends the base chain (policy). */
static void test_goto(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = pre_chain(fx);
	struct nm_chain *empty;
	struct nm_rule *r;
	struct flow f = seed_flow_old();

	mk_verdict(mk_rule(pre), NFT_GOTO, 1);
	r = mk_rule(pre);
	mk_dnat_to(r, "192.168.50.2", 51820);
	empty = mk_chain(&fx->m, NFPROTO_IPV4, "empty", -1, 0);
	(void)empty;
	assert_judged(fx, &f, JV_STALE, JR_DNAT_REMOVED);
	/* jump instead: returns and the dnat applies */
	fx->m.chains[0].rules[0].exprs[0].imm.verdict = NFT_JUMP;
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
}

static void test_jump_loop_unknown(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = pre_chain(fx);
	struct nm_chain *a;
	struct flow f = seed_flow_old();

	mk_verdict(mk_rule(pre), NFT_JUMP, 1);
	a = mk_chain(&fx->m, NFPROTO_IPV4, "a", -1, 0);
	mk_verdict(mk_rule(a), NFT_JUMP, 1);
	assert_judged(fx, &f, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "jump stack overflow");
	/* a goto loop never overflows the stack: the step limit stops it */
	fx->m.chains[1].rules[0].exprs[0].imm.verdict = NFT_GOTO;
	assert_judged(fx, &f, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "rules loop");
}

static void test_drop_is_unknown(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = pre_chain(fx);
	struct flow f = seed_flow_old();
	struct nm_rule *r = mk_rule(pre);

	mk_dport(r, UDP, 53820);
	mk_verdict(r, NF_DROP, -1);
	assert_judged(fx, &f, JV_UNKNOWN, JR_DROPPED);
	assert_int_equal(fx->j.chain, 0);
	assert_int_equal(fx->j.rule, 0);
	/* policy drop */
	pre->rules[0].exprs[4].imm.verdict = NFT_CONTINUE;
	pre->policy = NF_DROP;
	assert_judged(fx, &f, JV_UNKNOWN, JR_DROPPED);
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
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	assert_int_equal(fx->j.chain, 0);	/* "b", read first */
	/* the first chain to bind wins: the second is not consulted */
	r = mk_rule(a);
	mk_dnat_to(r, "192.168.50.2", 51820);
	a->rules[0].exprs[4].imm.verdict = NFT_CONTINUE;
	mk_expr(mk_rule(b), NM_OP_UNKNOWN);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.chain, 1);
	assert_int_equal(fx->j.rule, 1);
}

/* ---- nondeterminism ---- */

/* dnat to numgen inc mod 2 map { 0 : 192.168.50.2, 1 : 192.168.50.3 } */
static void test_numgen_map(void **state)
{
	struct fx *fx = *state;
	struct nm_rule *r = pre_rule(fx);
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
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.dnat.ncand, 2);
	f.reply.src = A("192.168.50.3");
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	f.reply.src = A("192.168.50.4");
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);

	/* mod 3: value 2 misses the map, so "not NATed" is possible too */
	r->exprs[4].gen.mod = 3;
	f.reply.src = f.orig.dst;
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.dnat.ncand, 3);
	f.reply.src = A("192.168.50.4");
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
}

/* jhash ... mod 1000: too many paths to explore */
static void test_hash_too_wide(void **state)
{
	struct fx *fx = *state;
	struct nm_rule *r = pre_rule(fx);
	struct nm_expr *e = mk_expr(r, NM_OP_HASH);
	struct flow f = seed_flow_old();
	struct ev_result res;

	e->dreg = NFT_REG_1;
	e->gen.mod = 1000;
	assert_judged(fx, &f, JV_UNKNOWN, JR_UNMODELLED);
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
	struct nm_chain *pre = pre_chain(fx);
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
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.dnat.ncand, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
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
		T(test_numgen_map),
		T(test_hash_too_wide),
		T(test_numgen_partial_drop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
