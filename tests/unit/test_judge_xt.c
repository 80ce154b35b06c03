// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for judge.c and eval.c: iptables rules in the neutral form
 * (ip header match, multiport, addrtype, conntrack state, an unknown
 * match), and expected flows.
 * The router and the shared helpers are in judgerouter.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "judgerouter.h"

/* ---- iptables rules in the neutral form ---- */

/* A new chain PREROUTING (-100), as iptables-nft names it. */
static struct nm_chain *prerouting(struct fx *fx)
{
	return mk_chain(&fx->m, NFPROTO_IPV4, "PREROUTING", PRE, -100);
}

/* -p @proto: a rule's ip header match */
static struct nm_expr *mk_iphdr(struct nm_rule *r, uint8_t proto)
{
	struct nm_expr *e = mk_expr(r, NM_OP_IPHDR);

	e->iphdr.family = AF_INET;
	e->iphdr.proto = proto;
	return e;
}

/* -m multiport (or udp, tcp) on @proto */
static struct nm_expr *mk_xt_ports(struct nm_rule *r, uint8_t proto)
{
	struct nm_expr *e = mk_expr(r, NM_OP_XT_PORTS);

	e->ports.proto = proto;
	return e;
}

/* -A PREROUTING -i wan -p udp --dport 53820 -j DNAT --to 192.168.50.3 */
static void test_xt_dnat(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *pre = prerouting(fx);
	struct nm_rule *r = mk_rule(pre);
	struct nm_expr *e;
	struct flow f = seed_flow_old();

	pre->source = NM_SRC_LEGACY;
	e = mk_iphdr(r, UDP);
	strcpy(e->iphdr.iniface, "wan");
	e->iphdr.iniface_len = 4;
	e = mk_xt_ports(r, UDP);
	e->ports.nsrc = 1;
	e->ports.src[0][1] = 65535;
	e->ports.ndst = 1;
	e->ports.dst[0][0] = e->ports.dst[0][1] = 53820;
	mk_natspec(r, NFT_NAT_DNAT, "192.168.50.3", NULL, 0, 0);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	f.reply.src = A("192.168.50.3");
	f.reply.sport = f.orig.dport;
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	/* ! -i wan */
	r->exprs[0].iphdr.invflags = IPT_INV_VIA_IN;
	assert_judged(fx, &f, JV_STALE, JR_DNAT_REMOVED);
	/* -i wa+ */
	r->exprs[0].iphdr.invflags = 0;
	r->exprs[0].iphdr.iniface_len = 2;
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	/* -i lan */
	strcpy(r->exprs[0].iphdr.iniface, "lan");
	r->exprs[0].iphdr.iniface_len = 4;
	assert_judged(fx, &f, JV_STALE, JR_DNAT_REMOVED);
}

/* -s 198.51.100.0/24 ! -d 192.168.0.0/16 -p tcp -m multiport --ports */
static void test_xt_iphdr_multiport(void **state)
{
	struct fx *fx = *state;
	struct nm_rule *r = mk_rule(prerouting(fx));
	struct nm_expr *e;
	struct flow f = mk_flow(TCP, "198.51.100.7", 1000, "203.0.113.1", 8443,
				"192.168.50.2", 443, "198.51.100.7", 1000);

	e = mk_iphdr(r, TCP);
	e->iphdr.src = A("198.51.100.0");
	e->iphdr.smsk = A("255.255.255.0");
	e->iphdr.dst = A("192.168.0.0");
	e->iphdr.dmsk = A("255.255.0.0");
	e->iphdr.invflags = IPT_INV_DSTIP;
	e = mk_xt_ports(r, TCP);
	e->ports.either = 1;
	e->ports.ndst = 2;
	e->ports.dst[0][0] = e->ports.dst[0][1] = 8080;
	e->ports.dst[1][0] = 8443;
	e->ports.dst[1][1] = 8444;
	mk_natspec(r, NFT_NAT_DNAT, "192.168.50.2", NULL, 443, 0);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	f.orig.src = A("198.51.101.7");
	assert_judged(fx, &f, JV_STALE, JR_DNAT_REMOVED);
	f.orig.src = A("198.51.100.7");
	f.orig.dport = htons(8445);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_REMOVED);
	r->exprs[1].ports.either_inv = 1;
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
}

/* -m addrtype --dst-type LOCAL -m conntrack --ctstate NEW */
static void test_xt_addrtype_ctstate(void **state)
{
	struct fx *fx = *state;
	struct nm_rule *r = mk_rule(prerouting(fx));
	struct nm_expr *e;
	struct flow f = seed_flow_old();

	e = mk_expr(r, NM_OP_XT_ADDRTYPE);
	e->addrtype.dst_type = 1 << RTN_LOCAL;
	e = mk_expr(r, NM_OP_XT_CTSTATE);
	e->ctstate.statemask = 1 << 3;	/* NEW */
	mk_expr(r, NM_OP_NOP);
	mk_natspec(r, NFT_NAT_DNAT, "192.168.50.2", NULL, 51820, 0);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	/* --ctstate ESTABLISHED does not match a first packet */
	r->exprs[1].ctstate.statemask = 1 << 1;
	assert_judged(fx, &f, JV_STALE, JR_DNAT_REMOVED);
	/* --ctstate DNAT depends on what NAT did so far */
	r->exprs[1].ctstate.statemask = 1 << 7;
	assert_judged(fx, &f, JV_UNKNOWN, JR_UNMODELLED);
	/* ! --dst-type LOCAL */
	r->exprs[1].ctstate.statemask = 1 << 3;
	r->exprs[0].addrtype.dst_inv = 1;
	assert_judged(fx, &f, JV_STALE, JR_DNAT_REMOVED);
	/* --dst-type LOCAL --limit-iface-in: 203.0.113.1 is on wan */
	r->exprs[0].addrtype.dst_inv = 0;
	r->exprs[0].addrtype.limit_iface_in = 1;
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	/* --src-type UNICAST */
	r->exprs[0].addrtype.src_type = 1 << RTN_UNICAST;
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	r->exprs[0].addrtype.src_type = 1 << RTN_LOCAL;
	assert_judged(fx, &f, JV_STALE, JR_DNAT_REMOVED);
}

static void test_xt_unknown_match(void **state)
{
	struct fx *fx = *state;
	struct nm_rule *r = mk_rule(prerouting(fx));
	struct nm_expr *e = mk_expr(r, NM_OP_UNKNOWN);
	struct flow f = seed_flow_old();

	strcpy(e->unknown, "xt match recent");
	assert_judged(fx, &f, JV_UNKNOWN, JR_UNMODELLED);
	assert_string_equal(fx->j.unknown, "xt match recent");
}

static void test_expected_flow_unknown(void **state)
{
	struct fx *fx = *state;
	struct flow f = seed_flow_old();

	seed_model(&fx->m);
	f.status = IPS_EXPECTED;
	assert_judged(fx, &f, JV_UNKNOWN, JR_UNMODELLED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_xt_dnat),
		T(test_xt_iphdr_multiport),
		T(test_xt_addrtype_ctstate),
		T(test_xt_unknown_match),
		T(test_expected_flow_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
