// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_marks.c - the packet mark and the ct mark of a first packet,
 * followed through every hook it traverses (eval.c), and the sets and
 * matches that may go either way.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "mkmodel.h"
#include "judgefx.h"

#define PODS	4

static void router_env(struct netenv *env)
{
	fx_home_router(env, "wan", "lan");
	mk_iface(env, PODS, "pods", "10.244.0.1", 16);
}

FX_SETUP(router_env)

/* A filter-type chain: the evaluator runs it only for the mark. */
static struct nm_chain *mk_mark_chain(struct nm_model *m, uint8_t family,
				      const char *name, int hook, int prio)
{
	struct nm_chain *c = mk_chain(m, family, name, hook, prio);

	c->nat = false;
	return c;
}

/* A mangle chain at prerouting (priority mangle), then a nat chain
 * (dstnat), in *@mangle and *@nat. */
static void mangle_and_nat(struct nm_model *m, struct nm_chain **mangle,
			   struct nm_chain **nat)
{
	mk_mark_chain(m, NFPROTO_IPV4, "mangle", PRE, -150);
	mk_chain(m, NFPROTO_IPV4, "nat", PRE, -100);
	/* the second mk_chain may have moved the array */
	*mangle = &m->chains[0];
	*nat = &m->chains[1];
}

/* "meta mark set mark and ~@mask xor @xor", as nft compiles or/xor/set */
static void mk_mark_op(struct nm_rule *r, uint32_t mask, uint32_t xor)
{
	struct nm_expr *e;

	mk_meta(r, NFT_META_MARK, NFT_REG_1);
	mk_bitwise(r, NFT_REG_1, NFT_REG_1, &mask, &xor, 4);
	e = mk_expr(r, NM_OP_META_SET);
	e->set_stmt.key = NFT_META_MARK;
	e->sreg = NFT_REG_1;
}

/* "meta mark set @v" */
static void mk_mark_set(struct nm_rule *r, uint32_t v)
{
	struct nm_expr *e;

	mk_imm(r, NFT_REG_1, &v, 4);
	e = mk_expr(r, NM_OP_META_SET);
	e->set_stmt.key = NFT_META_MARK;
	e->sreg = NFT_REG_1;
}

/* "meta mark and @mask == @v" (a mask of ~0: "meta mark @v") */
static void mk_mark_is(struct nm_rule *r, uint32_t mask, uint32_t v)
{
	uint32_t zero = 0;

	mk_meta(r, NFT_META_MARK, NFT_REG_1);
	if (mask != ~0u)
		mk_bitwise(r, NFT_REG_1, NFT_REG_1, &mask, &zero, 4);
	mk_cmp_u32(r, NFT_REG_1, NFT_CMP_EQ, v);
}

/* A new rule in @nat: meta mark 1 dnat to @addr:53820 */
static void mk_marked_forward(struct nm_chain *nat, const char *addr)
{
	struct nm_rule *r = mk_rule(nat);

	mk_mark_is(r, ~0u, 1);
	mk_dnat_to(r, addr, 53820);
}

static struct nm_expr *mk_xt_mark(struct nm_rule *r, enum nm_op op, bool ct,
				  uint32_t value, uint32_t mask)
{
	struct nm_expr *e = mk_expr(r, op);

	e->mark.ct = ct;
	e->mark.value = value;
	e->mark.mask = mask;
	return e;
}

/*
 * kube-proxy's nftables masquerade: "mark set mark or 0x4000" for traffic
 * from outside the cluster before the DNAT to an endpoint, and in
 * postrouting "mark and 0x4000 == 0 return; mark set mark xor 0x4000;
 * masquerade fully-random".
 */
static void kube_model(struct nm_model *m)
{
	struct nm_chain *pre = mk_chain(m, NFPROTO_IPV4, "nat-prerouting",
					PRE, -100);
	struct nm_chain *post = mk_chain(m, NFPROTO_IPV4, "nat-postrouting",
					 POST, 100);
	uint32_t m16 = htonl(0xffff0000), zero = 0;
	union addr pods = A("10.244.0.0");
	struct nm_rule *r;
	struct nm_expr *e;

	pre = &m->chains[0];	/* mk_chain may have moved the array */
	post = &m->chains[1];

	/* udp dport 53 ip saddr & 255.255.0.0 != 10.244.0.0 */
	r = mk_rule(pre);
	mk_dport(r, UDP, 53);
	mk_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG_1);
	mk_bitwise(r, NFT_REG_1, NFT_REG_1, &m16, &zero, 4);
	mk_cmp(r, NFT_REG_1, NFT_CMP_NEQ, pods.b, 4);
	mk_mark_op(r, ~0x4000u, 0x4000);
	r = mk_rule(pre);
	mk_forward(r, UDP, 53, "192.168.50.2", 53);

	r = mk_rule(post);
	mk_mark_is(r, 0x4000, 0);
	mk_verdict(r, NFT_RETURN, -1);
	r = mk_rule(post);
	mk_mark_op(r, ~0u, 0x4000);
	e = mk_expr(r, NM_OP_MASQ);
	e->redir.flags = NF_NAT_RANGE_PROTO_RANDOM_FULLY;
}

static const struct jcase kube_cases[] = {
	{ "from outside: marked, DNATed and masqueraded", UDP,
	  "198.51.100.7", 40000, "203.0.113.1", 53, "192.168.50.2", 53,
	  "192.168.50.1", 61000, JV_CONSISTENT, JR_NONE },
	{ "the same flow left unmasqueraded: the rules masquerade it now",
	  UDP, "198.51.100.7", 40000, "203.0.113.1", 53, "192.168.50.2", 53,
	  "198.51.100.7", 40000, JV_STALE, JR_SNAT_ADDED },
	{ "from a pod: not marked, so not masqueraded", UDP, "10.244.0.5",
	  40000, "203.0.113.1", 53, "192.168.50.2", 53, "10.244.0.5", 40000,
	  JV_CONSISTENT, JR_NONE },
	{ "to an endpoint that is gone", UDP, "198.51.100.7", 40000,
	  "203.0.113.1", 53, "192.168.50.9", 53, "192.168.50.1", 61000,
	  JV_STALE, JR_DNAT_CHANGED },
};

static void test_kube_masquerade(void **state)
{
	struct fx *fx = *state;

	kube_model(&fx->m);
	FX_CASES(fx, kube_cases);
}

/* A local packet carries its socket's mark: postrouting's test of it is
 * unknown, and so is the verdict of a flow the rules do not DNAT. */
static void test_socket_mark(void **state)
{
	struct fx *fx = *state;
	struct flow f = mk_flow(UDP, "203.0.113.1", 40000, "198.51.100.7", 53,
				"198.51.100.7", 53, "203.0.113.1", 40000);

	kube_model(&fx->m);
	assert_judged(fx, &f, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "meta mark: socket mark");
}

/* mangle marks, nat reads: the order of the hooks decides. */
static void test_mangle_then_nat(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *mangle, *nat;
	struct flow a = peer_flow("192.168.50.2", 51820);
	struct flow b = peer_flow("192.168.50.3", 53820);
	struct nm_rule *r;

	mangle_and_nat(&fx->m, &mangle, &nat);
	r = mk_rule(mangle);
	mk_dport(r, UDP, 53820);
	mk_mark_set(r, 1);
	mk_marked_forward(nat, "192.168.50.3");
	nm_model_finish(&fx->m);
	assert_judged(fx, &a, JV_STALE, JR_DNAT_CHANGED);
	assert_judged(fx, &b, JV_CONSISTENT, JR_NONE);
	/* after the nat core (priority -100): the mark comes too late */
	fx->m.chains[0].prio = 0;
	assert_judged(fx, &b, JV_STALE, JR_DNAT_REMOVED);
	/* a nat chain's own priority does not move it past the nat core */
	fx->m.chains[1].prio = -300;
	assert_judged(fx, &b, JV_STALE, JR_DNAT_REMOVED);
	/* at the nat core's priority either may go first: both kept */
	fx->m.chains[0].prio = -100;
	assert_judged(fx, &b, JV_CONSISTENT, JR_NONE);
	assert_judged(fx, &a, JV_STALE, JR_DNAT_CHANGED);
	mk_reply_from(&a, "203.0.113.1", 53820);
	assert_judged(fx, &a, JV_CONSISTENT, JR_NONE);
}

/* Something unmodelled on the way to a mark write: the mark is unknown,
 * and only rules that read it are. */
static void mark_lost_model(struct nm_model *m, bool read_first)
{
	struct nm_chain *mangle, *nat;
	struct nm_rule *r;

	mangle_and_nat(m, &mangle, &nat);
	r = mk_rule(mangle);
	mk_meta(r, NFT_META_CPU, NFT_REG_1);
	mk_cmp_u32(r, NFT_REG_1, NFT_CMP_EQ, 1);
	mk_mark_set(r, 1);
	if (read_first) {
		mk_marked_forward(nat, "192.168.50.4");
	}
	r = mk_rule(nat);
	mk_forward(r, UDP, 53820, "192.168.50.3", 53820);
	nm_model_finish(m);
}

static void test_mark_lost(void **state)
{
	struct fx *fx = *state;
	struct flow f = peer_flow("192.168.50.2", 51820);

	mark_lost_model(&fx->m, false);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	/* a rule before the forward that reads the mark */
	nm_model_free(&fx->m);
	mark_lost_model(&fx->m, true);
	assert_judged(fx, &f, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown,
			    "meta mark: mark set in t/mangle after 'meta cpu'");
}

/* tc filters on the input device may set the mark; other devices not. */
static void test_tc_ingress(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *nat = mk_chain(&fx->m, NFPROTO_IPV4, "nat", PRE,
					-100);
	struct flow wan = peer_flow("203.0.113.1", 53820);
	struct flow lan = mk_flow(UDP, "192.168.50.7", 40000, "203.0.113.1",
				  53820, "203.0.113.1", 53820, "192.168.50.7",
				  40000);

	mk_marked_forward(nat, "192.168.50.3");
	nm_model_finish(&fx->m);
	assert_judged(fx, &wan, JV_CONSISTENT, JR_NONE);
	fx->env.links[1].tc_ingress = 1;	/* wan */
	assert_judged(fx, &wan, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "meta mark: tc filter on wan");
	assert_judged(fx, &lan, JV_CONSISTENT, JR_NONE);
}

/* An nftables netdev ingress chain on wan marks before prerouting. */
static void test_netdev_ingress(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *ing = mk_mark_chain(&fx->m, NFPROTO_NM_NETDEV, "ing",
					     NM_HOOK_INGRESS, 0);
	struct nm_chain *nat = mk_chain(&fx->m, NFPROTO_IPV4, "nat", PRE,
					-100);
	struct flow wan = peer_flow("192.168.50.3", 53820);
	struct flow lan = mk_flow(UDP, "192.168.50.7", 40000, "203.0.113.1",
				  53820, "192.168.50.3", 53820,
				  "192.168.50.7", 40000);

	/* mk_chain may have moved the array */
	ing = &fx->m.chains[0];
	nat = &fx->m.chains[1];
	strcpy(ing->devs[0], "wan");
	ing->ndevs = 1;
	mk_mark_set(mk_rule(ing), 1);
	mk_marked_forward(nat, "192.168.50.3");
	nm_model_finish(&fx->m);
	assert_judged(fx, &wan, JV_CONSISTENT, JR_NONE);
	assert_judged(fx, &lan, JV_STALE, JR_DNAT_REMOVED);
	assert_int_equal(judge_keys(&fx->m) & (JK_IIF | JK_SADDR),
			 JK_IIF | JK_SADDR);
}

/* xt MARK, CONNMARK --save-mark / --restore-mark and the mark match:
 * the packet mark goes to the ct mark and back. */
static void test_connmark(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *mangle, *nat;
	struct flow f = peer_flow("192.168.50.2", 51820);
	struct nm_rule *r;
	struct nm_expr *e;

	mangle_and_nat(&fx->m, &mangle, &nat);
	r = mk_rule(mangle);
	mk_xt_mark(r, NM_OP_XT_MARK, false, 0x10, 0xff);
	e = mk_expr(r, NM_OP_XT_CONNMARK);
	e->connmark.mode = NM_CONNMARK_SAVE;
	e->connmark.nfmask = e->connmark.ctmask = 0xff;
	mk_xt_mark(r, NM_OP_XT_MARK, false, 0, ~0u);
	e = mk_expr(r, NM_OP_XT_CONNMARK);
	e->connmark.mode = NM_CONNMARK_RESTORE;
	e->connmark.nfmask = e->connmark.ctmask = 0xff;
	e->connmark.shift_dir = 0;
	e->connmark.shift_bits = 4;	/* 0x10 << 4 */
	r = mk_rule(nat);
	mk_xt_mark(r, NM_OP_XT_MARK_MATCH, false, 0x100, 0xff00);
	mk_xt_mark(r, NM_OP_XT_MARK_MATCH, true, 0x10, 0xff);
	mk_dnat_to(r, "192.168.50.3", 53820);
	nm_model_finish(&fx->m);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	/* inverted, the match fails and the forward no longer applies */
	nat->rules[0].exprs[1].mark.inv = 1;
	assert_judged(fx, &f, JV_STALE, JR_DNAT_REMOVED);
}

/* "ct mark set meta mark" of an unknown socket mark, read back later:
 * the reason travels with the bits. */
static void test_ct_mark_from_socket(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *out = mk_chain(&fx->m, NFPROTO_IPV4, "out", OUT,
					-100);
	struct flow f = mk_flow(UDP, "203.0.113.1", 40000, "198.51.100.7", 53,
				"198.51.100.7", 53, "203.0.113.1", 40000);
	struct nm_rule *r = mk_rule(out);

	mk_meta(r, NFT_META_MARK, NFT_REG_1);
	mk_ct_set(r, NFT_CT_MARK, NFT_REG_1);
	r = mk_rule(out);
	mk_ct(r, NFT_CT_MARK, NFT_REG_1);
	mk_cmp_u32(r, NFT_REG_1, NFT_CMP_EQ, 7);
	mk_dnat_to(r, "192.168.50.3", 53);
	assert_judged(fx, &f, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "ct mark: socket mark");
}

/*
 * nft 1.1.2+ on kernel 6.13+: "bitwise reg 1 = ( reg 1 OP reg 2 )".  A
 * local packet's mark (its socket's) is unknown; @imm is the other
 * operand (the mark first when @mark_first, else second), @mask and @want
 * what the nat rule then compares: "dnat to 192.168.50.3:53" if equal.
 */
static void judge_two(struct fx *fx, int op, bool mark_first, uint32_t imm,
		      uint32_t mask, uint32_t want)
{
	struct flow f = mk_flow(UDP, "203.0.113.1", 40000, "198.51.100.7", 53,
				"198.51.100.7", 53, "203.0.113.1", 40000);
	struct nm_chain *out;
	struct nm_rule *r;
	uint32_t zero = 0;

	nm_model_free(&fx->m);
	memset(&fx->m, 0, sizeof(fx->m));
	out = mk_chain(&fx->m, NFPROTO_IPV4, "out", OUT, -100);
	r = mk_rule(out);
	mk_meta(r, NFT_META_MARK, mark_first ? NFT_REG_1 : NFT_REG_2);
	mk_imm(r, mark_first ? NFT_REG_2 : NFT_REG_1, &imm, 4);
	mk_bitwise2(r, op, NFT_REG_1, NFT_REG_2, NFT_REG_1, 4);
	mask = htonl(mask);
	mk_bitwise(r, NFT_REG_1, NFT_REG_1, &mask, &zero, 4);
	mk_cmp_u32(r, NFT_REG_1, NFT_CMP_EQ, htonl(want));
	mk_dnat_to(r, "192.168.50.3", 53);
	judge(fx, &f);
}

#define assert_socket_mark(fx) do {					\
	assert_verdict(fx, JV_UNKNOWN, JR_UNMODELLED);			\
	assert_string_equal((fx)->j.unknown, "meta mark: socket mark");	\
} while (0)

/* Per bit: a known 0 decides an and, a known 1 an or; an xor needs both
 * sides; the other bits stay unknown, named by the operand they came
 * from, whichever register it was in. */
static void test_bitwise_two_registers(void **state)
{
	struct fx *fx = *state;
	unsigned int first;

	for (first = 0; first < 2; first++) {
		judge_two(fx, NM_BITWISE_AND, first, htonl(0xff00),
			  0xffff00ff, 0);
		assert_verdict(fx, JV_STALE, JR_DNAT_ADDED);
		judge_two(fx, NM_BITWISE_AND, first, htonl(0xff00), 0xff00,
			  0x100);
		assert_socket_mark(fx);
		judge_two(fx, NM_BITWISE_OR, first, htonl(0xffff0000),
			  0xffff0000, 0xffff0000);
		assert_verdict(fx, JV_STALE, JR_DNAT_ADDED);
		judge_two(fx, NM_BITWISE_OR, first, htonl(0xffff0000),
			  0xffff0000, 0);
		assert_verdict(fx, JV_CONSISTENT, JR_NONE);
		judge_two(fx, NM_BITWISE_OR, first, htonl(0xffff0000), ~0u,
			  0xffff0000);
		assert_socket_mark(fx);
		judge_two(fx, NM_BITWISE_XOR, first, 0, 1, 0);
		assert_socket_mark(fx);
		judge_two(fx, NM_BITWISE_XOR, first, ~0u, 0, 0);
		assert_verdict(fx, JV_STALE, JR_DNAT_ADDED);
	}
}

/*
 * "ct mark set ct mark & 0xffff0000 | meta mark & 0xffff" as nft 1.1.2+
 * writes it, in mangle, after "meta mark set 0x1234" when @set_mark; nat
 * forwards by the low half of the ct mark.
 */
static void ct_mark_math_model(struct fx *fx, bool set_mark)
{
	uint32_t hi = htonl(0xffff0000), lo = htonl(0xffff), zero = 0;
	struct nm_chain *mangle, *nat;
	struct nm_rule *r;

	nm_model_free(&fx->m);
	memset(&fx->m, 0, sizeof(fx->m));
	mangle_and_nat(&fx->m, &mangle, &nat);
	if (set_mark)
		mk_mark_set(mk_rule(mangle), htonl(0x1234));
	r = mk_rule(mangle);
	mk_ct(r, NFT_CT_MARK, NFT_REG_1);
	mk_bitwise(r, NFT_REG_1, NFT_REG_1, &hi, &zero, 4);
	mk_meta(r, NFT_META_MARK, NFT_REG_2);
	mk_bitwise(r, NFT_REG_2, NFT_REG_2, &lo, &zero, 4);
	mk_bitwise2(r, NM_BITWISE_OR, NFT_REG_1, NFT_REG_2, NFT_REG_1, 4);
	mk_ct_set(r, NFT_CT_MARK, NFT_REG_1);
	r = mk_rule(nat);
	mk_ct(r, NFT_CT_MARK, NFT_REG_1);
	mk_bitwise(r, NFT_REG_1, NFT_REG_1, &lo, &zero, 4);
	mk_cmp_u32(r, NFT_REG_1, NFT_CMP_EQ, htonl(0x1234));
	mk_dnat_to(r, "192.168.50.3", 53820);
	nm_model_finish(&fx->m);
}

/* Every bit known: the forward is judged exactly; with the mark from a
 * tc filter, the low half is unknown and says so. */
static void test_ct_mark_math(void **state)
{
	struct fx *fx = *state;
	struct flow f = peer_flow("192.168.50.3", 53820);

	ct_mark_math_model(fx, true);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	f.reply.src = A("192.168.50.2");
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	/* without the mangle rule: mark 0, the forward is gone */
	ct_mark_math_model(fx, false);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_REMOVED);
	fx->env.links[1].tc_ingress = 1;	/* wan */
	assert_judged(fx, &f, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "ct mark: tc filter on wan");
}

/* A lookup in a set the rules fill (kube-proxy's affinity) or whose
 * elements time out may find the key or not: both are consistent. */
static void test_dynamic_set(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *nat = mk_chain(&fx->m, NFPROTO_IPV4, "nat", PRE,
					-100);
	struct nm_set *s = mk_set(&fx->m, "affinity", NFPROTO_IPV4, 4, 0);
	struct flow f = peer_flow("192.168.50.2", 53820);
	struct nm_rule *r;

	r = mk_rule(nat);
	mk_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG_1);
	mk_lookup(r, NFT_REG_1, 0, -1, false);
	mk_dnat_to(r, "192.168.50.3", 53820);
	r = mk_rule(nat);
	mk_dnat_to(r, "192.168.50.2", 53820);
	/* a static set without the element: only the second rule */
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	f.reply.src = A("192.168.50.3");
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	s->flags = NFT_SET_EVAL | NFT_SET_TIMEOUT;
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	f.reply.src = A("192.168.50.9");
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
}

/* xt statistic and recent --rcheck: either branch. */
static void test_xt_either(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *nat = mk_chain(&fx->m, NFPROTO_IPV4, "nat", PRE,
					-100);
	struct flow f = peer_flow("192.168.50.3", 53820);
	struct nm_rule *r = mk_rule(nat);

	snprintf(mk_expr(r, NM_OP_XT_EITHER)->either, 24, "xt match statistic");
	mk_dnat_to(r, "192.168.50.3", 53820);
	mk_dnat_to(mk_rule(nat), "192.168.50.2", 53820);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.dnat.ncand, 2);
	/* the rule named is the one of the branch the flow took */
	assert_int_equal(fx->j.rule, 0);
	f.reply.src = A("192.168.50.2");
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.rule, 1);
	f.reply.src = A("192.168.50.4");
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
}

/* A mark set in the forward hook reaches postrouting's source NAT. */
static void test_forward_mark(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *fwd = mk_mark_chain(&fx->m, NFPROTO_IPV4, "fwd", FWD,
					     0);
	struct nm_chain *post = mk_chain(&fx->m, NFPROTO_IPV4, "post", POST,
					 100);
	struct flow f = mk_flow(UDP, "192.168.50.2", 40000, "198.51.100.7",
				53, "198.51.100.7", 53, "203.0.113.5", 40000);
	struct nm_rule *r;

	/* mk_chain may have moved the array */
	fwd = &fx->m.chains[0];
	post = &fx->m.chains[1];
	r = mk_rule(fwd);
	mk_addr_match(r, 0, NFT_CMP_EQ, "192.168.50.2");
	mk_mark_set(r, 2);
	r = mk_rule(post);
	mk_mark_is(r, ~0u, 2);
	mk_snat_to(r, "203.0.113.5", 0);
	mk_masq(mk_rule(post));
	nm_model_finish(&fx->m);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	f.reply.dst = A("203.0.113.1");
	assert_judged(fx, &f, JV_STALE, JR_SNAT_CHANGED);
}

/* What the evaluator runs besides nat chains: chains that may write the
 * mark, found through jumps and verdict maps. */
static void test_writes_mark(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *flt = mk_mark_chain(&fx->m, NFPROTO_IPV4, "filter",
					     PRE, 0);
	struct nm_chain *mgl = mk_mark_chain(&fx->m, NFPROTO_IPV4, "mangle",
					     PRE, -150);
	struct nm_chain *sub = mk_mark_chain(&fx->m, NFPROTO_IPV4, "sub", -1,
					     0);
	struct nm_chain *tp = mk_mark_chain(&fx->m, NFPROTO_IPV4, "tproxy",
					    PRE, -140);
	const struct nm_chain *out[8];
	struct nm_expr *e;

	/* mk_chain may have moved the array */
	flt = &fx->m.chains[0];
	mgl = &fx->m.chains[1];
	sub = &fx->m.chains[2];
	tp = &fx->m.chains[3];
	mk_verdict(mk_rule(flt), NF_DROP, -1);
	mk_verdict(mk_rule(mgl), NFT_JUMP, 2);
	mk_mark_set(mk_rule(sub), 1);
	e = mk_expr(mk_rule(tp), NM_OP_UNKNOWN);
	snprintf(e->unknown, sizeof(e->unknown), "xt target TPROXY");
	/* before nm_model_finish, every non-nat base chain counts */
	assert_int_equal(nm_mark_chains(&fx->m, PRE, AF_INET, out, 8), 3);
	nm_model_finish(&fx->m);
	assert_false(fx->m.chains[0].writes_mark);
	assert_true(fx->m.chains[1].writes_mark);
	assert_true(fx->m.chains[2].writes_mark);
	assert_true(fx->m.chains[3].writes_mark);
	assert_int_equal(nm_mark_chains(&fx->m, PRE, AF_INET, out, 8), 2);
	assert_ptr_equal(out[0], &fx->m.chains[1]);
	assert_ptr_equal(out[1], &fx->m.chains[3]);
	assert_int_equal(nm_mark_chains(&fx->m, PRE, AF_INET, out, 1), -E2BIG);
}

/* kube-proxy's service chain: numgen random mod 2 vmap { 0 : goto ep4,
 * 1 : goto ep5 }; explain shows both paths, each with its element and
 * endpoint chain, and the mark set for masquerade. */
static void test_trace_numgen_vmap(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *svc, *ep[2];
	struct nm_set *map;
	struct nm_rule *r;
	struct nm_expr *e;
	struct ev_trace tr;
	struct flow f = mk_flow(UDP, "198.51.100.7", 40000, "203.0.113.1", 53,
				"192.168.50.5", 53, "198.51.100.7", 40000);
	uint32_t k;
	unsigned int i;

	mk_chain(&fx->m, NFPROTO_IPV4, "svc", PRE, -100);
	mk_chain(&fx->m, NFPROTO_IPV4, "ep4", -1, 0);
	mk_chain(&fx->m, NFPROTO_IPV4, "ep5", -1, 0);
	svc = &fx->m.chains[0];	/* mk_chain may have moved the array */
	ep[0] = &fx->m.chains[1];
	ep[1] = &fx->m.chains[2];
	map = mk_set(&fx->m, "__map0", NFT_SET_ANONYMOUS | NFT_SET_MAP, 4, 0);
	map->data_type = NFT_DATA_VERDICT;
	for (k = 0; k < 2; k++) {
		struct nm_elem *el = mk_elem(map, &k, NULL, NULL, 0);

		el->verdict = NFT_GOTO;
		el->chain = 1 + k;
	}
	r = mk_rule(svc);
	mk_dport(r, UDP, 53);
	mk_mark_op(r, ~0x4000u, 0x4000);
	r = mk_rule(svc);
	e = mk_expr(r, NM_OP_NUMGEN);
	e->dreg = NFT_REG_1;
	e->gen.mod = 2;
	mk_lookup(r, NFT_REG_1, 0, NFT_REG_VERDICT, false);
	for (i = 0; i < 2; i++)
		mk_dnat_to(mk_rule(ep[i]), i ? "192.168.50.5" : "192.168.50.4",
			   53);
	tr = fx_trace(fx, &f.orig);
	assert_int_equal(fx_count(&tr, 0, EVS_PATH), 2);
	for (i = 0; i < 2; i++) {
		const struct ev_step *st = fx_step(&tr, i + 1, EVS_ELEM, 0);

		assert_non_null(st);
		assert_int_equal(st->set, 0);
		assert_int_equal(st->elem, (int)i);
		assert_int_equal(fx_step(&tr, i + 1, EVS_CHAIN, 1)->chain,
				 (int)i + 1);
		st = fx_step(&tr, i + 1, EVS_MARK, 0);
		assert_non_null(st);
		assert_int_equal(st->mark, 0x4000);
		assert_int_equal(st->mark_known, ~0u);
	}
	free(tr.steps);
	judge_compare(&f, &fx->j);
	assert_verdict(fx, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.chain, 2);	/* ep5: the flow's branch */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_kube_masquerade),
		T(test_socket_mark),
		T(test_mangle_then_nat),
		T(test_mark_lost),
		T(test_tc_ingress),
		T(test_netdev_ingress),
		T(test_connmark),
		T(test_ct_mark_from_socket),
		T(test_bitwise_two_registers),
		T(test_ct_mark_math),
		T(test_dynamic_set),
		T(test_xt_either),
		T(test_forward_mark),
		T(test_writes_mark),
		T(test_trace_numgen_vmap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
