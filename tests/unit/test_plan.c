// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for plan.c: which conntrack walks a sweep asks for. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "plan.h"
#include "mkmodel.h"
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_conntrack_common.h>

static struct nm_chain *base_chain(struct nm_model *m, int hook)
{
	struct nm_chain *c = nm_add_chain(m);

	c->table = strdup("nat");
	c->name = strdup(hook == NF_INET_PRE_ROUTING ? "pre" : "post");
	c->family = NFPROTO_IPV4;
	c->nat = true;
	c->hook = hook;
	return c;
}

/* udp dport @port dnat to 192.168.50.3 */
static void add_dnat_rule(struct nm_chain *c, uint16_t port)
{
	struct nm_rule *r = nm_add_rule(c);
	struct nm_expr *e;
	uint16_t p = htons(port);

	e = nm_add_expr(r);
	e->op = NM_OP_PAYLOAD;
	e->dreg = NFT_REG_1;
	e->len = 2;
	e->payload.base = NFT_PAYLOAD_TRANSPORT_HEADER;
	e->payload.offset = 2;
	e = nm_add_expr(r);
	e->op = NM_OP_CMP;
	e->sreg = NFT_REG_1;
	e->cmp.op = NFT_CMP_EQ;
	e->cmp.data.len = 2;
	memcpy(e->cmp.data.val, &p, 2);
	e = nm_add_expr(r);
	e->op = NM_OP_NATSPEC;
	e->natspec.type = NFT_NAT_DNAT;
}

static void add_action(struct nm_chain *c, uint8_t type)
{
	struct nm_expr *e = nm_add_expr(nm_add_rule(c));

	e->op = NM_OP_NATSPEC;
	e->natspec.type = type;
}

static const struct ct_filter *find_walk(const struct plan *p, uint32_t status,
					 uint32_t mask, int port)
{
	unsigned int i;

	for (i = 0; i < p->n; i++) {
		const struct ct_filter *f = &p->walk[i];

		if (f->status != status || f->status_mask != mask)
			continue;
		if (port < 0 && !f->has_orig_dport && !f->family &&
		    !f->l4proto)
			return f;
		if (port >= 0 && f->has_orig_dport &&
		    f->orig_dport == htons(port) && f->family == AF_INET &&
		    f->l4proto == IPPROTO_UDP)
			return f;
	}
	return NULL;
}

static const uint32_t BOTH = IPS_DST_NAT | IPS_SRC_NAT;
/* No table figures: the plan narrows all it can. */
static const struct plan_in narrow_all = { 0 };

static void test_no_rules_only_dnated(void **state)
{
	struct nm_model m = { 0 };
	struct plan p = { 0 };

	assert_int_equal(plan_build(&m, &narrow_all, &p), 0);
	/* DNATed flows (DNAT removed) and SNATed ones (snat removed). */
	assert_int_equal(p.n, 2);
	assert_non_null(find_walk(&p, IPS_DST_NAT, IPS_DST_NAT, -1));
	assert_non_null(find_walk(&p, IPS_SRC_NAT, BOTH, -1));
	/* no port: one walk for both families and every protocol */
	assert_int_equal(p.walk[0].family, 0);
	assert_int_equal(p.walk[0].l4proto, 0);
	nm_model_free(&m);
}

static void test_dnat_with_masquerade_narrows_by_port(void **state)
{
	struct nm_model m = { 0 };
	struct plan p = { 0 };

	add_dnat_rule(base_chain(&m, NF_INET_PRE_ROUTING), 53820);
	add_action(base_chain(&m, NF_INET_POST_ROUTING), NM_NAT_MASQ);
	assert_int_equal(plan_build(&m, &narrow_all, &p), 0);
	assert_int_equal(p.n, 3);
	assert_non_null(find_walk(&p, IPS_DST_NAT, IPS_DST_NAT, -1));
	/* masqueraded flows only where a DNAT rule could catch them */
	assert_non_null(find_walk(&p, IPS_SRC_NAT, BOTH, 53820));
	/* flows not NATed at all: masquerade may now apply to any */
	assert_non_null(find_walk(&p, 0, BOTH, -1));
	nm_model_free(&m);
}

static void test_dnat_only_narrows_unnated(void **state)
{
	struct nm_model m = { 0 };
	struct plan p = { 0 };
	struct nm_chain *c = base_chain(&m, NF_INET_PRE_ROUTING);

	add_dnat_rule(c, 53820);
	add_dnat_rule(c, 4500);
	assert_int_equal(plan_build(&m, &narrow_all, &p), 0);
	assert_non_null(find_walk(&p, IPS_SRC_NAT, BOTH, -1));
	assert_non_null(find_walk(&p, 0, BOTH, 53820));
	assert_non_null(find_walk(&p, 0, BOTH, 4500));
	assert_null(find_walk(&p, 0, BOTH, -1));
	nm_model_free(&m);
}

static void test_static_snat_takes_all(void **state)
{
	struct nm_model m = { 0 };
	struct plan p = { 0 };

	add_dnat_rule(base_chain(&m, NF_INET_PRE_ROUTING), 53820);
	add_action(base_chain(&m, NF_INET_POST_ROUTING), NFT_NAT_SNAT);
	assert_int_equal(plan_build(&m, &narrow_all, &p), 0);
	assert_int_equal(p.n, 3);
	assert_non_null(find_walk(&p, IPS_SRC_NAT, BOTH, -1));
	assert_non_null(find_walk(&p, 0, BOTH, -1));
	nm_model_free(&m);
}

static void test_unconstrained_dnat_is_unnarrowed(void **state)
{
	struct nm_model m = { 0 };
	struct plan p = { 0 };

	add_action(base_chain(&m, NF_INET_PRE_ROUTING), NFT_NAT_DNAT);
	assert_int_equal(plan_build(&m, &narrow_all, &p), 0);
	assert_non_null(find_walk(&p, 0, BOTH, -1));
	nm_model_free(&m);
}

static void test_jump_keeps_port_constraint(void **state)
{
	struct nm_model m = { 0 };
	struct plan p = { 0 };
	struct nm_chain *sub;
	struct nm_rule *r;
	int si;

	(void)state;
	base_chain(&m, NF_INET_PRE_ROUTING);
	sub = nm_add_chain(&m);
	si = sub - m.chains;
	sub->table = strdup("nat");
	sub->name = strdup("sub");
	sub->family = NFPROTO_IPV4;
	add_action(sub, NFT_NAT_DNAT);
	/* udp dport 500 jump sub; m.chains may have moved */
	r = nm_add_rule(&m.chains[0]);
	mk_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_00);
	mk_cmp_be16(r, NFT_REG32_00, NFT_CMP_EQ, 500);
	mk_verdict(r, NFT_JUMP, si);
	assert_int_equal(plan_build(&m, &narrow_all, &p), 0);
	assert_non_null(find_walk(&p, 0, BOTH, 500));
	assert_null(find_walk(&p, 0, BOTH, -1));
	nm_model_free(&m);
}

static void test_unknown_widens(void **state)
{
	struct nm_model m = { 0 };
	struct plan p = { 0 };
	struct nm_expr *e;

	e = nm_add_expr(nm_add_rule(base_chain(&m, NF_INET_PRE_ROUTING)));
	e->op = NM_OP_UNKNOWN;
	strcpy(e->unknown, "xt target FOO");
	assert_int_equal(plan_build(&m, &narrow_all, &p), 0);
	assert_non_null(find_walk(&p, IPS_SRC_NAT, BOTH, -1));
	assert_non_null(find_walk(&p, 0, BOTH, -1));
	nm_model_free(&m);
}

static void test_xt_dport_narrows(void **state)
{
	struct nm_model m = { 0 };
	struct plan p = { 0 };
	struct nm_rule *r = nm_add_rule(base_chain(&m, NF_INET_PRE_ROUTING));
	struct nm_expr *e = nm_add_expr(r);

	e->op = NM_OP_XT_PORTS;
	e->ports.proto = IPPROTO_UDP;
	e->ports.ndst = 1;
	e->ports.dst[0][0] = e->ports.dst[0][1] = 53820;
	e = nm_add_expr(r);
	e->op = NM_OP_NATSPEC;
	e->natspec.type = NFT_NAT_DNAT;
	assert_int_equal(plan_build(&m, &narrow_all, &p), 0);
	assert_non_null(find_walk(&p, 0, BOTH, 53820));
	assert_null(find_walk(&p, 0, BOTH, -1));
	nm_model_free(&m);
}

/* udp dport 53820-53821 dnat (nft >= 1.1.2 writes a range so): the
 * range's type names its ports (nm_expr_dports), and the plan walks
 * those; a range wider than a plan holds walks every port. */
static void test_range_narrows(void **state)
{
	struct nm_model m = { 0 };
	struct plan p = { 0 };
	struct nm_rule *r;

	(void)state;
	r = nm_add_rule(base_chain(&m, NF_INET_PRE_ROUTING));
	mk_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	mk_range_be16(r, NFT_REG_1, NFT_RANGE_EQ, 53820, 53821);
	mk_natspec(r, NFT_NAT_DNAT, "192.168.50.3", NULL, 0, 0);
	assert_int_equal(plan_build(&m, &narrow_all, &p), 0);
	assert_non_null(find_walk(&p, 0, BOTH, 53820));
	assert_non_null(find_walk(&p, 0, BOTH, 53821));
	assert_null(find_walk(&p, 0, BOTH, -1));
	nm_model_free(&m);

	memset(&m, 0, sizeof(m));
	r = nm_add_rule(base_chain(&m, NF_INET_PRE_ROUTING));
	mk_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	mk_range_be16(r, NFT_REG_1, NFT_RANGE_EQ, 1000, 2000);
	mk_natspec(r, NFT_NAT_DNAT, "192.168.50.3", NULL, 0, 0);
	assert_int_equal(plan_build(&m, &narrow_all, &p), 0);
	assert_non_null(find_walk(&p, 0, BOTH, -1));
	nm_model_free(&m);
}

/* A map lookup that writes over the port's register: what a later cmp
 * reads there is the map's value, not a port, and limits nothing. */
static void test_map_overwrites_port(void **state)
{
	struct nm_model m = { 0 };
	struct plan p = { 0 };
	uint16_t k = htons(53), v = htons(5353);
	struct nm_set *set = mk_set(&m, "m", 0, 2, 2);
	struct nm_rule *r;

	(void)state;
	mk_elem(set, &k, NULL, &v, 2);
	r = nm_add_rule(base_chain(&m, NF_INET_PRE_ROUTING));
	mk_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	mk_lookup(r, NFT_REG_1, 0, NFT_REG_1, false);
	mk_cmp_be16(r, NFT_REG_1, NFT_CMP_EQ, 5353);
	mk_natspec(r, NFT_NAT_DNAT, "192.168.50.3", NULL, 0, 0);
	assert_int_equal(plan_build(&m, &narrow_all, &p), 0);
	/* the lookup itself limits to its keys (53), not the cmp's 5353 */
	assert_non_null(find_walk(&p, 0, BOTH, 53));
	assert_null(find_walk(&p, 0, BOTH, 5353));
	nm_model_free(&m);
}

static void test_tcp_and_family(void **state)
{
	struct nm_model m = { 0 };
	struct plan p = { 0 };
	struct plan_in in = { .tcp = true };
	unsigned int i, v4udp = 0, v4tcp = 0, v6 = 0;

	add_dnat_rule(base_chain(&m, NF_INET_PRE_ROUTING), 53820);
	assert_int_equal(plan_build(&m, &in, &p), 0);
	for (i = 0; i < p.n; i++) {
		if (!p.walk[i].has_orig_dport)
			continue;
		v4udp += p.walk[i].family == AF_INET &&
			 p.walk[i].l4proto == IPPROTO_UDP;
		v4tcp += p.walk[i].family == AF_INET &&
			 p.walk[i].l4proto == IPPROTO_TCP;
		v6 += p.walk[i].family == AF_INET6;
	}
	/* an ip (IPv4) chain cannot DNAT IPv6 flows: no IPv6 port walk */
	assert_int_equal(v4udp, 1);
	assert_int_equal(v4tcp, 1);
	assert_int_equal(v6, 0);
	nm_model_free(&m);
}

static void test_small_table_one_walk(void **state)
{
	struct nm_model m = { 0 };
	struct plan p = { 0 };
	struct plan_in in = { .entries = 10000, .buckets = 262144 };

	add_dnat_rule(base_chain(&m, NF_INET_PRE_ROUTING), 53820);
	add_action(base_chain(&m, NF_INET_POST_ROUTING), NM_NAT_MASQ);
	assert_int_equal(plan_build(&m, &in, &p), 0);
	assert_true(p.full);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.walk[0].status_mask, 0);
	assert_int_equal(p.walk[0].family, 0);
	nm_model_free(&m);
}

static void test_large_table_narrows(void **state)
{
	struct nm_model m = { 0 };
	struct plan p = { 0 };
	struct plan_in in = { .entries = 1000000, .buckets = 1048576 };

	add_dnat_rule(base_chain(&m, NF_INET_PRE_ROUTING), 53820);
	add_action(base_chain(&m, NF_INET_POST_ROUTING), NM_NAT_MASQ);
	assert_int_equal(plan_build(&m, &in, &p), 0);
	assert_false(p.full);
	assert_non_null(find_walk(&p, IPS_SRC_NAT, BOTH, 53820));
	nm_model_free(&m);
}

/* Forwards and masquerade on 1M entries: after the DNAT walk, one walk of
 * the flows not DNATed when few are left, the narrow ones otherwise. */
static void test_after_dnat_walk(void **state)
{
	struct nm_model m = { 0 };
	struct plan p = { 0 }, q;
	struct plan_in in = { .entries = 1000000, .buckets = 1048576 };

	add_dnat_rule(base_chain(&m, NF_INET_PRE_ROUTING), 53820);
	add_dnat_rule(&m.chains[0], 51821);
	add_action(base_chain(&m, NF_INET_POST_ROUTING), NM_NAT_MASQ);
	assert_int_equal(plan_build(&m, &in, &p), 0);
	assert_int_equal(p.n, 4);

	q = p;	/* a router: 80% masqueraded flows left */
	plan_after_dnat_walk(&q, 200000);
	assert_int_equal(q.n, 4);
	assert_memory_equal(&q, &p, sizeof(p));

	q = p;	/* every flow DNATed */
	plan_after_dnat_walk(&q, 1000000);
	assert_int_equal(q.n, 2);
	assert_memory_equal(&q.walk[0], &p.walk[0], sizeof(p.walk[0]));
	assert_int_equal(q.walk[1].status, 0);
	assert_int_equal(q.walk[1].status_mask, IPS_DST_NAT);
	assert_false(q.walk[1].has_orig_dport);
	assert_int_equal(q.walk[1].family, 0);
	/* it returns every flow the walks it replaces did */
	for (unsigned int i = 1; i < p.n; i++) {
		struct ct_filter k = p.walk[i];

		assert_true(plan_covers(&q, &k));
	}
	nm_model_free(&m);
}

/* ---- the filtered flush's pure part ---- */

/* A flow DNATed from 203.0.113.1:53820 to @backend. */
static struct flow dnated_to(const char *backend)
{
	struct flow f = { 0 };

	f.orig.family = f.reply.family = AF_INET;
	f.orig.l4proto = f.reply.l4proto = IPPROTO_UDP;
	f.orig.src = A("198.51.100.7");
	f.orig.dst = A("203.0.113.1");
	f.orig.sport = htons(40000);
	f.orig.dport = htons(53820);
	f.reply.src = A(backend);
	f.reply.dst = f.orig.src;
	f.reply.sport = f.orig.dport;
	f.reply.dport = f.orig.sport;
	f.status = IPS_DST_NAT | IPS_CONFIRMED;
	return f;
}

/* prerouting: udp dport 53820 dnat to 192.168.50.3 (nft registers) */
static struct nm_rule *nft_dnat_rule(struct nm_model *m)
{
	struct nm_chain *c = mk_chain(m, NFPROTO_IPV4, "pre",
				      NF_INET_PRE_ROUTING, -100);
	struct nm_rule *r = mk_rule(c);

	mk_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	mk_cmp_be16(r, NFT_REG_1, NFT_CMP_EQ, 53820);
	return r;
}

static void test_flush_class_filter(void **state)
{
	struct flow f = dnated_to("192.168.50.2");
	struct ct_filter k;

	plan_flush_class(&f, &k);
	assert_int_equal(k.family, AF_INET);
	assert_int_equal(k.l4proto, IPPROTO_UDP);
	assert_int_equal(k.status, IPS_DST_NAT);
	assert_int_equal(k.status_mask, IPS_DST_NAT);
	assert_true(k.has_orig_dport);
	assert_int_equal(k.orig_dport, htons(53820));
	assert_true(k.has_reply_src);
	assert_memory_equal(k.reply_src.b, A("192.168.50.2").b, 4);
	/* exactly the flows it names pass it */
	assert_true(ct_filter_match(&k, &f));
	f.reply.src = A("192.168.50.3");
	assert_false(ct_filter_match(&k, &f));
	f = dnated_to("192.168.50.2");
	f.status &= ~IPS_DST_NAT;
	assert_false(ct_filter_match(&k, &f));
}

static void test_flush_targets_constant(void **state)
{
	struct nm_model m = { 0 };
	struct plan p = { 0 };
	union addr old = A("192.168.50.2"), now = A("192.168.50.3");

	mk_dnat_to(nft_dnat_rule(&m), "192.168.50.3", 53820);
	assert_int_equal(plan_build(&m, &narrow_all, &p), 0);
	assert_int_equal(p.caps[0].ntargets, 1);
	assert_false(plan_may_dnat_to(&p, AF_INET, &old));
	assert_true(plan_may_dnat_to(&p, AF_INET, &now));
	/* no IPv6 rule, no IPv6 target */
	assert_int_equal(p.caps[1].ntargets, 0);
	nm_model_free(&m);
}

static void test_flush_targets_range(void **state)
{
	struct nm_model m = { 0 };
	struct plan p = { 0 };
	union addr old = A("192.168.50.2"), out = A("192.168.50.9");
	struct nm_rule *r = nft_dnat_rule(&m);

	/* dnat to 192.168.50.1-192.168.50.4: the old backend is in it */
	mk_imm_addr(r, NFT_REG32_00, "192.168.50.1");
	mk_imm_addr(r, NFT_REG32_01, "192.168.50.4");
	mk_nat(r, NFT_NAT_DNAT, NFPROTO_IPV4, NFT_REG32_00, NFT_REG32_01, 0,
	       0, 0);
	assert_int_equal(plan_build(&m, &narrow_all, &p), 0);
	assert_true(plan_may_dnat_to(&p, AF_INET, &old));
	assert_false(plan_may_dnat_to(&p, AF_INET, &out));
	nm_model_free(&m);
}

/* Targets the plan cannot read are "any address": no flush. */
static void test_flush_targets_unknown(void **state)
{
	union addr old = A("192.168.50.2");
	int k;

	for (k = 0; k < 4; k++) {
		struct nm_model m = { 0 };
		struct plan p = { 0 };
		struct nm_rule *r = nft_dnat_rule(&m);

		switch (k) {
		case 0:	/* dnat to udp dport map { ... } */
			mk_lookup(r, NFT_REG_1, 0, NFT_REG_1, false);
			mk_nat(r, NFT_NAT_DNAT, NFPROTO_IPV4, NFT_REG_1, 0, 0,
			       0, 0);
			break;
		case 1:	/* the immediate's register overwritten before */
			mk_imm_addr(r, NFT_REG_1, "192.168.50.3");
			mk_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 4,
				   NFT_REG32_00);
			mk_nat(r, NFT_NAT_DNAT, NFPROTO_IPV4, NFT_REG_1, 0, 0,
			       0, 0);
			break;
		case 2:
			mk_redir(r, 8053);
			break;
		case 3:
			mk_expr(r, NM_OP_UNKNOWN);
			break;
		}
		assert_int_equal(plan_build(&m, &narrow_all, &p), 0);
		assert_int_equal(p.caps[0].ntargets, -1);
		assert_true(plan_may_dnat_to(&p, AF_INET, &old));
		nm_model_free(&m);
	}
}

/* iptables' DNAT --to-destination: its range as given. */
static void test_flush_targets_natspec(void **state)
{
	struct nm_model m = { 0 };
	struct plan p = { 0 };
	struct nm_chain *c = base_chain(&m, NF_INET_PRE_ROUTING);
	union addr old = A("192.168.50.2");

	add_dnat_rule(c, 53820);	/* no address: unchanged, any */
	assert_int_equal(plan_build(&m, &narrow_all, &p), 0);
	assert_true(plan_may_dnat_to(&p, AF_INET, &old));
	nm_model_free(&m);

	memset(&m, 0, sizeof(m));
	c = base_chain(&m, NF_INET_PRE_ROUTING);
	add_dnat_rule(c, 53820);
	c->rules[0].exprs[2].natspec.flags = NF_NAT_RANGE_MAP_IPS;
	c->rules[0].exprs[2].natspec.addr_min = A("192.168.50.3");
	c->rules[0].exprs[2].natspec.addr_max = A("192.168.50.3");
	assert_int_equal(plan_build(&m, &narrow_all, &p), 0);
	assert_false(plan_may_dnat_to(&p, AF_INET, &old));
	nm_model_free(&m);
}

static void test_flush_covers(void **state)
{
	struct nm_model m = { 0 };
	struct plan p = { 0 };
	struct flow f = dnated_to("192.168.50.2");
	struct ct_filter k;

	mk_dnat_to(nft_dnat_rule(&m), "192.168.50.3", 53820);
	assert_int_equal(plan_build(&m, &narrow_all, &p), 0);
	plan_flush_class(&f, &k);
	/* the DNAT walk returns every flow of the class */
	assert_true(plan_covers(&p, &k));
	/* a plan without it does not see the whole class */
	memset(&p, 0, sizeof(p));
	p.n = 2;
	p.walk[0].status = IPS_SRC_NAT;
	p.walk[0].status_mask = BOTH;
	p.walk[1].family = AF_INET;
	p.walk[1].l4proto = IPPROTO_UDP;
	p.walk[1].has_orig_dport = true;
	p.walk[1].orig_dport = htons(4500);
	assert_false(plan_covers(&p, &k));
	/* one walk of everything does */
	p.walk[1].has_orig_dport = false;
	assert_true(plan_covers(&p, &k));
	nm_model_free(&m);
}

static void test_flush_pays(void **state)
{
	struct plan p = { .entries = 1000000, .buckets = 1048576 };

	/* 10% stale: the extra walk costs more than the deletes */
	assert_false(plan_flush_pays(&p, 100000));
	assert_true(plan_flush_pays(&p, 500000));
	/* no figures: never a walk more */
	p.entries = 0;
	assert_false(plan_flush_pays(&p, 500000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_rules_only_dnated),
		cmocka_unit_test(test_dnat_with_masquerade_narrows_by_port),
		cmocka_unit_test(test_dnat_only_narrows_unnated),
		cmocka_unit_test(test_static_snat_takes_all),
		cmocka_unit_test(test_unconstrained_dnat_is_unnarrowed),
		cmocka_unit_test(test_jump_keeps_port_constraint),
		cmocka_unit_test(test_unknown_widens),
		cmocka_unit_test(test_xt_dport_narrows),
		cmocka_unit_test(test_range_narrows),
		cmocka_unit_test(test_map_overwrites_port),
		cmocka_unit_test(test_tcp_and_family),
		cmocka_unit_test(test_small_table_one_walk),
		cmocka_unit_test(test_large_table_narrows),
		cmocka_unit_test(test_after_dnat_walk),
		cmocka_unit_test(test_flush_class_filter),
		cmocka_unit_test(test_flush_targets_constant),
		cmocka_unit_test(test_flush_targets_range),
		cmocka_unit_test(test_flush_targets_unknown),
		cmocka_unit_test(test_flush_targets_natspec),
		cmocka_unit_test(test_flush_covers),
		cmocka_unit_test(test_flush_pays),
	};

	return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
