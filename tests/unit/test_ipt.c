// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_ipt.c - ipt_parse() and ipt_parse_table() on raw iptables-legacy
 * tables captured from the kernel (the .iptbin files in fixtures/, made by
 * capture-ipt.sh there; the rules are in the .save file beside each), on
 * truncated and mutated copies of them, and, when run as root, ipt_read()
 * against the same rules loaded into a namespace of its own.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_connmark.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/rtnetlink.h>
#include "ipt.h"
#include "fixture.h"
#include "exprassert.h"

/* Every fixture, and the table it is (the file does not say). */
static const struct { const char *name, *table; } fixtures[] = {
	{ "asus", "nat" }, { "docker", "nat" }, { "misc", "nat" },
	{ "v6", "nat" }, { "kube", "nat" }, { "mangle", "mangle" },
	{ "raw", "raw" }, { "filter6", "filter" },
};

#define NFIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

static const char *table_of(const char *name)
{
	unsigned int i;

	for (i = 0; i < NFIXTURES; i++)
		if (!strcmp(fixtures[i].name, name))
			return fixtures[i].table;
	fail_msg("no fixture %s", name);
	return NULL;
}

static void load(const char *name, struct iptbin *fx)
{
	iptbin_load(name, fx);
	fx->table = table_of(name);
}

static int parse(const struct iptbin *fx, struct nm_model *m)
{
	return ipt_parse_table(fx->family, fx->table, fx->entries, fx->size,
			       fx->hook_entry, fx->underflow, fx->valid_hooks,
			       m);
}

/* Where the last hook's policy starts: a blob cut before it is bad. */
static unsigned int last_underflow(const struct iptbin *fx)
{
	unsigned int h, max = 0;

	for (h = 0; h < 5; h++)
		if ((fx->valid_hooks & (1u << h)) && fx->underflow[h] > max)
			max = fx->underflow[h];
	return max;
}

static void load_parse(const char *name, struct nm_model *m)
{
	struct iptbin fx;

	load(name, &fx);
	memset(m, 0, sizeof(*m));
	assert_int_equal(parse(&fx, m), 0);
	free(fx.entries);
}

static const struct nm_chain *chain(const struct nm_model *m, const char *name)
{
	unsigned int i;

	for (i = 0; i < m->nchains; i++)
		if (!strcmp(m->chains[i].name, name))
			return &m->chains[i];
	fail_msg("no chain %s", name);
	return NULL;
}

static int chain_idx(const struct nm_model *m, const char *name)
{
	return chain(m, name) - m->chains;
}

static const struct nm_rule *rule(const struct nm_model *m, const char *c,
				  unsigned int n)
{
	const struct nm_chain *ch = chain(m, c);

	assert_true(n >= 1 && n <= ch->nrules);
	assert_int_equal(ch->rules[n - 1].handle, n);
	return &ch->rules[n - 1];
}
static uint32_t ip4(const char *s)
{
	uint32_t a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void assert_ip6(const union addr *a, const char *s)
{
	struct in6_addr b;

	assert_int_equal(inet_pton(AF_INET6, s, &b), 1);
	assert_memory_equal(a, &b, 16);
}

static void assert_jump(const struct nm_expr *e, int verdict, int chain_index)
{
	assert_int_equal(e->op, NM_OP_IMMEDIATE);
	assert_int_equal(e->dreg, NFT_REG_VERDICT);
	assert_int_equal(e->imm.verdict, verdict);
	assert_int_equal(e->imm.chain, chain_index);
}

static void assert_builtins(const struct nm_model *m, uint8_t nfproto)
{
	static const struct { const char *name; int hook, prio; } b[] = {
		{ "PREROUTING", NF_INET_PRE_ROUTING, -100 },
		{ "INPUT", NF_INET_LOCAL_IN, 100 },
		{ "OUTPUT", NF_INET_LOCAL_OUT, -100 },
		{ "POSTROUTING", NF_INET_POST_ROUTING, 100 },
	};
	unsigned int i;

	for (i = 0; i < 4; i++) {
		const struct nm_chain *c = &m->chains[i];

		assert_string_equal(c->name, b[i].name);
		assert_string_equal(c->table, "nat");
		assert_int_equal(c->family, nfproto);
		assert_int_equal(c->source, NM_SRC_LEGACY);
		assert_true(c->nat);
		assert_int_equal(c->hook, b[i].hook);
		assert_int_equal(c->prio, b[i].prio);
		assert_int_equal(c->policy, NF_ACCEPT);
	}
}

static void assert_user_chain(const struct nm_chain *c, const char *table)
{
	assert_false(c->nat);
	assert_int_equal(c->hook, -1);
	assert_int_equal(c->source, NM_SRC_LEGACY);
	assert_string_equal(c->table, table);
}

/* Built-in chains of a table other than nat: plain chains at its hooks. */
static void assert_plain_builtin(const struct nm_chain *c, const char *table,
				 const char *name, uint8_t nfproto, int hook,
				 int prio, int policy)
{
	assert_string_equal(c->table, table);
	assert_string_equal(c->name, name);
	assert_int_equal(c->family, nfproto);
	assert_int_equal(c->source, NM_SRC_LEGACY);
	assert_false(c->nat);
	assert_int_equal(c->hook, hook);
	assert_int_equal(c->prio, prio);
	assert_int_equal(c->policy, policy);
}

static void test_asus(void **state)
{
	const struct nm_rule *r;
	const struct nm_expr *e;
	struct nm_model m;

	(void)state;
	load_parse("asus", &m);
	assert_int_equal(m.nchains, 6);
	assert_builtins(&m, NFPROTO_IPV4);
	assert_string_equal(m.chains[4].name, "VSERVER");
	assert_string_equal(m.chains[5].name, "VUPNP");
	assert_user_chain(&m.chains[4], "nat");
	assert_int_equal(chain(&m, "INPUT")->nrules, 0);

	/* -A PREROUTING -d 203.0.113.1/32 -j VSERVER */
	r = rule(&m, "PREROUTING", 1);
	assert_ops(r, 2, NM_OP_IPHDR, NM_OP_IMMEDIATE);
	e = &r->exprs[0];
	assert_int_equal(e->iphdr.family, AF_INET);
	assert_int_equal(e->iphdr.dst.ip, ip4("203.0.113.1"));
	assert_int_equal(e->iphdr.dmsk.ip, 0xffffffff);
	assert_int_equal(e->iphdr.smsk.ip, 0);
	assert_int_equal(e->iphdr.proto, 0);
	assert_int_equal(e->iphdr.invflags, 0);
	assert_int_equal(e->iphdr.iniface_len, 0);
	assert_jump(&r->exprs[1], NFT_JUMP, chain_idx(&m, "VSERVER"));

	/* -A VSERVER -p udp -m udp --dport 53820
	 *   -j DNAT --to-destination 192.168.50.3:53820 */
	r = rule(&m, "VSERVER", 1);
	assert_ops(r, 3, NM_OP_IPHDR, NM_OP_XT_PORTS, NM_OP_NATSPEC);
	assert_int_equal(r->exprs[0].iphdr.proto, IPPROTO_UDP);
	e = &r->exprs[1];
	assert_int_equal(e->ports.proto, IPPROTO_UDP);
	assert_int_equal(e->ports.nsrc, 0);
	assert_int_equal(e->ports.ndst, 1);
	assert_int_equal(e->ports.dst[0][0], 53820);
	assert_int_equal(e->ports.dst[0][1], 53820);
	e = &r->exprs[2];
	assert_int_equal(e->natspec.type, NFT_NAT_DNAT);
	assert_int_equal(e->natspec.family, AF_INET);
	assert_true(e->natspec.flags & NF_NAT_RANGE_MAP_IPS);
	assert_true(e->natspec.flags & NF_NAT_RANGE_PROTO_SPECIFIED);
	assert_int_equal(e->natspec.addr_min.ip, ip4("192.168.50.3"));
	assert_int_equal(e->natspec.addr_max.ip, ip4("192.168.50.3"));
	assert_int_equal(e->natspec.port_min, htons(53820));
	assert_int_equal(e->natspec.port_max, htons(53820));

	r = rule(&m, "VSERVER", 2);
	assert_int_equal(r->exprs[2].natspec.port_min, htons(443));
	assert_int_equal(r->exprs[1].ports.dst[0][0], 8443);
	r = rule(&m, "VSERVER", 3);
	assert_ops(r, 2, NM_OP_IPHDR, NM_OP_IMMEDIATE);
	assert_jump(&r->exprs[1], NFT_JUMP, chain_idx(&m, "VUPNP"));
	assert_int_equal(chain(&m, "VUPNP")->nrules, 1);

	/* -A POSTROUTING ! -s 203.0.113.1/32 -o eth0 -j MASQUERADE */
	r = rule(&m, "POSTROUTING", 1);
	assert_ops(r, 2, NM_OP_IPHDR, NM_OP_NATSPEC);
	e = &r->exprs[0];
	assert_int_equal(e->iphdr.src.ip, ip4("203.0.113.1"));
	assert_int_equal(e->iphdr.invflags, IPT_INV_SRCIP);
	assert_string_equal(e->iphdr.outiface, "eth0");
	assert_int_equal(e->iphdr.outiface_len, 5);	/* the NUL counts */
	assert_int_equal(r->exprs[1].natspec.type, NM_NAT_MASQ);
	/* -m mark --mark 0x8000/0x8000 -j MASQUERADE */
	r = rule(&m, "POSTROUTING", 3);
	assert_ops(r, 3, NM_OP_IPHDR, NM_OP_XT_MARK_MATCH, NM_OP_NATSPEC);
	e = &r->exprs[1];
	assert_int_equal(e->mark.ct, 0);
	assert_int_equal(e->mark.inv, 0);
	assert_int_equal(e->mark.value, 0x8000);
	assert_int_equal(e->mark.mask, 0x8000);
	nm_model_free(&m);
}

static void test_docker(void **state)
{
	const struct nm_rule *r;
	const struct nm_expr *e;
	struct nm_model m;
	int docker;

	(void)state;
	load_parse("docker", &m);
	assert_int_equal(m.nchains, 5);
	assert_builtins(&m, NFPROTO_IPV4);
	docker = chain_idx(&m, "DOCKER");
	assert_user_chain(&m.chains[docker], "nat");

	/* -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER */
	r = rule(&m, "PREROUTING", 1);
	assert_ops(r, 3, NM_OP_IPHDR, NM_OP_XT_ADDRTYPE, NM_OP_IMMEDIATE);
	assert_int_equal(r->exprs[1].addrtype.dst_type, 1 << RTN_LOCAL);
	assert_int_equal(r->exprs[1].addrtype.src_type, 0);
	assert_int_equal(r->exprs[1].addrtype.dst_inv, 0);
	assert_jump(&r->exprs[2], NFT_JUMP, docker);

	/* -A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER */
	r = rule(&m, "OUTPUT", 1);
	assert_ops(r, 3, NM_OP_IPHDR, NM_OP_XT_ADDRTYPE, NM_OP_IMMEDIATE);
	assert_int_equal(r->exprs[0].iphdr.dst.ip, ip4("127.0.0.0"));
	assert_int_equal(r->exprs[0].iphdr.dmsk.ip, ip4("255.0.0.0"));
	assert_int_equal(r->exprs[0].iphdr.invflags, IPT_INV_DSTIP);

	/* -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE */
	r = rule(&m, "POSTROUTING", 1);
	assert_int_equal(r->exprs[0].iphdr.invflags, IPT_INV_VIA_OUT);
	assert_string_equal(r->exprs[0].iphdr.outiface, "docker0");
	assert_int_equal(r->exprs[0].iphdr.outiface_len, 8);

	/* -A DOCKER -i docker0 -j RETURN */
	r = rule(&m, "DOCKER", 1);
	assert_ops(r, 2, NM_OP_IPHDR, NM_OP_IMMEDIATE);
	assert_jump(&r->exprs[1], NFT_RETURN, -1);

	/* -A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080
	 *   -j DNAT --to-destination 172.17.0.2:80 */
	r = rule(&m, "DOCKER", 2);
	assert_ops(r, 3, NM_OP_IPHDR, NM_OP_XT_PORTS, NM_OP_NATSPEC);
	e = &r->exprs[0];
	assert_string_equal(e->iphdr.iniface, "docker0");
	assert_int_equal(e->iphdr.iniface_len, 8);
	assert_int_equal(e->iphdr.invflags, IPT_INV_VIA_IN);
	assert_int_equal(e->iphdr.proto, IPPROTO_TCP);
	assert_int_equal(r->exprs[1].ports.proto, IPPROTO_TCP);
	assert_int_equal(r->exprs[1].ports.dst[0][0], 8080);
	e = &r->exprs[2];
	assert_int_equal(e->natspec.type, NFT_NAT_DNAT);
	assert_int_equal(e->natspec.addr_min.ip, ip4("172.17.0.2"));
	assert_int_equal(e->natspec.port_min, htons(80));
	assert_int_equal(e->natspec.port_max, htons(80));
	nm_model_free(&m);
}

static void test_misc(void **state)
{
	const struct nm_rule *r;
	const struct nm_expr *e;
	struct nm_model m;

	(void)state;
	load_parse("misc", &m);
	assert_int_equal(m.nchains, 5);
	assert_builtins(&m, NFPROTO_IPV4);

	/* -i eth+ -p tcp -m multiport --dports 80,443,8000:8080
	 *   -j DNAT --to-destination 192.168.50.10-192.168.50.12:8080-8090 */
	r = rule(&m, "PREROUTING", 1);
	assert_ops(r, 3, NM_OP_IPHDR, NM_OP_XT_PORTS, NM_OP_NATSPEC);
	assert_int_equal(r->exprs[0].iphdr.iniface_len, 3);
	assert_memory_equal(r->exprs[0].iphdr.iniface, "eth", 3);
	e = &r->exprs[1];
	assert_int_equal(e->ports.proto, IPPROTO_TCP);
	assert_int_equal(e->ports.ndst, 3);
	assert_int_equal(e->ports.dst[2][0], 8000);
	assert_int_equal(e->ports.dst[2][1], 8080);
	e = &r->exprs[2];
	assert_int_equal(e->natspec.addr_min.ip, ip4("192.168.50.10"));
	assert_int_equal(e->natspec.addr_max.ip, ip4("192.168.50.12"));
	assert_int_equal(e->natspec.port_min, htons(8080));
	assert_int_equal(e->natspec.port_max, htons(8090));

	/* -m multiport --sports 53,123 -j RETURN */
	r = rule(&m, "PREROUTING", 2);
	assert_int_equal(r->exprs[1].ports.nsrc, 2);
	assert_int_equal(r->exprs[1].ports.src[1][0], 123);
	assert_jump(&r->exprs[2], NFT_RETURN, -1);
	/* -m multiport ! --ports 22 -j ACCEPT */
	r = rule(&m, "PREROUTING", 3);
	assert_int_equal(r->exprs[1].ports.either, 1);
	assert_int_equal(r->exprs[1].ports.either_inv, 1);
	assert_jump(&r->exprs[2], NF_ACCEPT, -1);
	/* --dport 2222 --syn -j REDIRECT --to-ports 22 */
	r = rule(&m, "PREROUTING", 4);
	assert_ops(r, 3, NM_OP_IPHDR, NM_OP_XT_PORTS, NM_OP_NATSPEC);
	assert_int_equal(r->exprs[2].natspec.type, NM_NAT_REDIR);
	assert_int_equal(r->exprs[2].natspec.port_min, htons(22));
	/* --tcp-flags SYN,ACK ACK */
	r = rule(&m, "PREROUTING", 5);
	assert_ops(r, 3, NM_OP_IPHDR, NM_OP_UNKNOWN, NM_OP_IMMEDIATE);
	/* -m conntrack --ctstate NEW -m comment ... -g FWD */
	r = rule(&m, "PREROUTING", 6);
	assert_ops(r, 4, NM_OP_IPHDR, NM_OP_XT_CTSTATE, NM_OP_NOP,
		   NM_OP_IMMEDIATE);
	assert_int_equal(r->exprs[1].ctstate.statemask,
			 XT_CONNTRACK_STATE_BIT(IP_CT_NEW));
	assert_jump(&r->exprs[3], NFT_GOTO, chain_idx(&m, "FWD"));
	assert_non_null(r->comment);
	assert_string_equal(r->comment, "to fwd");
	assert_null(rule(&m, "PREROUTING", 7)->comment);
	/* -m state --state NEW,ESTABLISHED */
	r = rule(&m, "PREROUTING", 7);
	assert_ops(r, 3, NM_OP_IPHDR, NM_OP_XT_CTSTATE, NM_OP_IMMEDIATE);
	assert_int_equal(r->exprs[1].ctstate.statemask,
			 XT_CONNTRACK_STATE_BIT(IP_CT_NEW) |
			 XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED));
	/* -m addrtype ! --src-type LOCAL --dst-type LOCAL --limit-iface-in */
	r = rule(&m, "PREROUTING", 8);
	e = &r->exprs[1];
	assert_int_equal(e->op, NM_OP_XT_ADDRTYPE);
	assert_int_equal(e->addrtype.src_type, 1 << RTN_LOCAL);
	assert_int_equal(e->addrtype.src_inv, 1);
	assert_int_equal(e->addrtype.dst_type, 1 << RTN_LOCAL);
	assert_int_equal(e->addrtype.dst_inv, 0);
	assert_int_equal(e->addrtype.limit_iface_in, 1);
	r = rule(&m, "PREROUTING", 9);
	assert_string_equal(r->exprs[1].unknown, "xt match iprange");
	r = rule(&m, "PREROUTING", 10);
	assert_int_equal(r->exprs[1].op, NM_OP_UNKNOWN);	/* --ctproto */

	/* -A OUTPUT -d 203.0.113.1/32 -p tcp -j REDIRECT */
	r = rule(&m, "OUTPUT", 1);
	assert_ops(r, 2, NM_OP_IPHDR, NM_OP_NATSPEC);
	assert_int_equal(r->exprs[1].natspec.type, NM_NAT_REDIR);
	assert_int_equal(r->exprs[1].natspec.flags, 0);

	/* -o eth0 -p udp -j SNAT --to-source 203.0.113.5:1024-65535 */
	r = rule(&m, "POSTROUTING", 1);
	e = &r->exprs[1];
	assert_int_equal(e->natspec.type, NFT_NAT_SNAT);
	assert_int_equal(e->natspec.addr_min.ip, ip4("203.0.113.5"));
	assert_int_equal(e->natspec.port_min, htons(1024));
	assert_int_equal(e->natspec.port_max, htons(65535));
	/* -j MASQUERADE --to-ports 20000-30000 --random-fully */
	r = rule(&m, "POSTROUTING", 2);
	e = &r->exprs[1];
	assert_int_equal(e->natspec.type, NM_NAT_MASQ);
	assert_int_equal(e->natspec.flags, NF_NAT_RANGE_PROTO_SPECIFIED |
			 NF_NAT_RANGE_PROTO_RANDOM_FULLY);
	assert_int_equal(e->natspec.port_min, htons(20000));
	assert_int_equal(e->natspec.port_max, htons(30000));
	/* -f: fragments never reach nat */
	r = rule(&m, "POSTROUTING", 3);
	assert_ops(r, 3, NM_OP_IPHDR, NM_OP_UNKNOWN, NM_OP_IMMEDIATE);

	r = rule(&m, "FWD", 1);
	assert_ops(r, 2, NM_OP_IPHDR, NM_OP_UNKNOWN);
	assert_string_equal(r->exprs[1].unknown, "xt target NETMAP");
	r = rule(&m, "FWD", 2);
	assert_int_equal(r->exprs[1].ports.dst_inv, 1);
	assert_int_equal(r->exprs[2].natspec.port_min, 0);
	r = rule(&m, "FWD", 3);
	assert_int_equal(r->exprs[1].ports.src[0][0], 1000);
	assert_int_equal(r->exprs[1].ports.src[0][1], 2000);
	assert_true(r->exprs[2].natspec.flags & NF_NAT_RANGE_PERSISTENT);
	assert_true(r->exprs[2].natspec.flags & NF_NAT_RANGE_PROTO_RANDOM);
	/* -A FWD -d 10.0.0.0/8: no target, no verdict */
	r = rule(&m, "FWD", 4);
	assert_ops(r, 1, NM_OP_IPHDR);
	assert_int_equal(chain(&m, "FWD")->nrules, 4);
	nm_model_free(&m);
}

/* kube-proxy's nat rules: the masquerade mark, session affinity, load
 * balancing, all as iptables really writes them. */
static void test_kube(void **state)
{
	const struct nm_rule *r;
	const struct nm_expr *e;
	struct nm_model m;

	(void)state;
	load_parse("kube", &m);
	assert_int_equal(m.nchains, 10);
	assert_builtins(&m, NFPROTO_IPV4);

	/* -j MARK --or-mark 0x4000 (written as --set-xmark 0x4000/0x4000) */
	r = rule(&m, "KUBE-MARK-MASQ", 1);
	assert_ops(r, 2, NM_OP_IPHDR, NM_OP_XT_MARK);
	e = &r->exprs[1];
	assert_int_equal(e->mark.ct, 0);
	assert_int_equal(e->mark.value, 0x4000);
	assert_int_equal(e->mark.mask, 0x4000);

	/* -m mark ! --mark 0x4000/0x4000 -j RETURN */
	r = rule(&m, "KUBE-POSTROUTING", 1);
	assert_ops(r, 3, NM_OP_IPHDR, NM_OP_XT_MARK_MATCH, NM_OP_IMMEDIATE);
	e = &r->exprs[1];
	assert_int_equal(e->mark.ct, 0);
	assert_int_equal(e->mark.inv, 1);
	assert_int_equal(e->mark.value, 0x4000);
	assert_int_equal(e->mark.mask, 0x4000);
	assert_jump(&r->exprs[2], NFT_RETURN, -1);
	/* -j MARK --xor-mark 0x4000 (--set-xmark 0x4000/0x0) */
	r = rule(&m, "KUBE-POSTROUTING", 2);
	assert_ops(r, 2, NM_OP_IPHDR, NM_OP_XT_MARK);
	assert_int_equal(r->exprs[1].mark.value, 0x4000);
	assert_int_equal(r->exprs[1].mark.mask, 0);
	r = rule(&m, "KUBE-POSTROUTING", 3);
	assert_ops(r, 3, NM_OP_IPHDR, NM_OP_NOP, NM_OP_NATSPEC);
	assert_int_equal(r->exprs[2].natspec.type, NM_NAT_MASQ);

	/* -m recent --rcheck --seconds 10800 --reap: either way */
	r = rule(&m, "KUBE-SVC-WEB", 2);
	assert_ops(r, 3, NM_OP_IPHDR, NM_OP_XT_EITHER, NM_OP_IMMEDIATE);
	assert_string_equal(r->exprs[1].either, "xt match recent");
	assert_jump(&r->exprs[2], NFT_JUMP, chain_idx(&m, "KUBE-SEP-A"));
	/* -m statistic --mode random --probability 0.5: either way */
	r = rule(&m, "KUBE-SVC-WEB", 4);
	assert_ops(r, 3, NM_OP_IPHDR, NM_OP_XT_EITHER, NM_OP_IMMEDIATE);
	assert_string_equal(r->exprs[1].either, "xt match statistic");
	r = rule(&m, "KUBE-SVC-WEB", 5);
	assert_ops(r, 2, NM_OP_IPHDR, NM_OP_IMMEDIATE);
	assert_jump(&r->exprs[1], NFT_JUMP, chain_idx(&m, "KUBE-SEP-B"));

	/* -p tcp -m recent --set ... -m tcp -j DNAT: --set always matches */
	r = rule(&m, "KUBE-SEP-A", 2);
	assert_ops(r, 4, NM_OP_IPHDR, NM_OP_NOP, NM_OP_XT_PORTS,
		   NM_OP_NATSPEC);
	assert_int_equal(r->exprs[3].natspec.addr_min.ip, ip4("10.244.1.5"));
	assert_int_equal(r->exprs[3].natspec.port_min, htons(8080));
	nm_model_free(&m);
}

static void test_v6(void **state)
{
	const struct nm_rule *r;
	const struct nm_expr *e;
	struct nm_model m;

	(void)state;
	load_parse("v6", &m);
	assert_int_equal(m.nchains, 5);
	assert_builtins(&m, NFPROTO_IPV6);

	r = rule(&m, "PREROUTING", 1);
	assert_int_equal(r->exprs[0].iphdr.family, AF_INET6);
	assert_ip6(&r->exprs[0].iphdr.dst, "2001:db8::1");
	assert_ip6(&r->exprs[0].iphdr.dmsk,
		   "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	assert_jump(&r->exprs[1], NFT_JUMP, chain_idx(&m, "PORTFW"));
	/* -p udp -m udp --dport 5353 -j REDIRECT --to-ports 53 */
	r = rule(&m, "PREROUTING", 2);
	assert_ops(r, 3, NM_OP_IPHDR, NM_OP_XT_PORTS, NM_OP_NATSPEC);
	assert_int_equal(r->exprs[0].iphdr.proto, IPPROTO_UDP);
	assert_int_equal(r->exprs[2].natspec.type, NM_NAT_REDIR);
	assert_int_equal(r->exprs[2].natspec.family, AF_INET6);
	assert_int_equal(r->exprs[2].natspec.port_min, htons(53));

	/* -i eth0 -p tcp --dport 8080 -j DNAT --to-destination [fd00:50::2]:80 */
	r = rule(&m, "PORTFW", 1);
	e = &r->exprs[2];
	assert_int_equal(e->natspec.type, NFT_NAT_DNAT);
	assert_ip6(&e->natspec.addr_min, "fd00:50::2");
	assert_ip6(&e->natspec.addr_max, "fd00:50::2");
	assert_int_equal(e->natspec.port_min, htons(80));
	r = rule(&m, "PORTFW", 2);
	assert_int_equal(r->exprs[1].ports.ndst, 2);
	assert_int_equal(r->exprs[1].ports.dst[1][0], 51821);
	assert_false(r->exprs[2].natspec.flags & NF_NAT_RANGE_PROTO_SPECIFIED);

	r = rule(&m, "POSTROUTING", 1);
	assert_ip6(&r->exprs[0].iphdr.src, "fd00:50::");
	assert_ip6(&r->exprs[0].iphdr.smsk, "ffff:ffff:ffff:ffff::");
	assert_int_equal(r->exprs[1].natspec.type, NM_NAT_MASQ);
	r = rule(&m, "POSTROUTING", 2);
	assert_int_equal(r->exprs[1].natspec.type, NFT_NAT_SNAT);
	assert_ip6(&r->exprs[1].natspec.addr_min, "2001:db8::5");
	/* ! -p udp */
	r = rule(&m, "POSTROUTING", 3);
	assert_int_equal(r->exprs[0].iphdr.proto, IPPROTO_UDP);
	assert_int_equal(r->exprs[0].iphdr.invflags, IPT_INV_PROTO);
	assert_jump(&r->exprs[1], NFT_RETURN, -1);
	nm_model_free(&m);
}

static void assert_xt_mark(const struct nm_expr *e, bool ct, uint32_t value,
			   uint32_t mask)
{
	assert_int_equal(e->op, NM_OP_XT_MARK);
	assert_int_equal(e->mark.ct, ct);
	assert_int_equal(e->mark.value, value);
	assert_int_equal(e->mark.mask, mask);
}

static void test_mangle(void **state)
{
	static const char *const hooks[] = {
		"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING",
	};
	const struct nm_rule *r;
	struct nm_model m;
	int h;

	(void)state;
	load_parse("mangle", &m);
	assert_int_equal(m.nchains, 6);
	for (h = 0; h < 5; h++)
		assert_plain_builtin(&m.chains[h], "mangle", hooks[h],
				     NFPROTO_IPV4, h, NF_IP_PRI_MANGLE,
				     NF_ACCEPT);
	assert_string_equal(m.chains[5].name, "MARKS");
	assert_user_chain(&m.chains[5], "mangle");

	/* -j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xff */
	r = rule(&m, "PREROUTING", 1);
	assert_ops(r, 2, NM_OP_IPHDR, NM_OP_XT_CONNMARK);
	assert_connmark(&r->exprs[1], NM_CONNMARK_RESTORE, D_SHIFT_LEFT, 0,
			0xff, 0xff);
	/* -m mark ! --mark 0x0/0xff -j RETURN */
	r = rule(&m, "PREROUTING", 2);
	assert_ops(r, 3, NM_OP_IPHDR, NM_OP_XT_MARK_MATCH, NM_OP_IMMEDIATE);
	assert_int_equal(r->exprs[1].mark.inv, 1);
	assert_int_equal(r->exprs[1].mark.mask, 0xff);
	assert_jump(&r->exprs[2], NFT_RETURN, -1);
	/* -i eth0 -j MARKS: a jump within the table */
	r = rule(&m, "PREROUTING", 3);
	assert_jump(&r->exprs[1], NFT_JUMP, 5);
	r = rule(&m, "PREROUTING", 4);
	assert_connmark(&r->exprs[1], NM_CONNMARK_SAVE, D_SHIFT_LEFT, 0,
			0xff, 0xff);

	/* -p tcp --dport 443 -j MARK --set-mark 0x1 */
	r = rule(&m, "MARKS", 1);
	assert_ops(r, 3, NM_OP_IPHDR, NM_OP_XT_PORTS, NM_OP_XT_MARK);
	assert_xt_mark(&r->exprs[2], false, 0x1, 0xffffffff);
	/* -m statistic --mode nth ... -j MARK --or-mark 0x2 */
	r = rule(&m, "MARKS", 2);
	assert_ops(r, 3, NM_OP_IPHDR, NM_OP_XT_EITHER, NM_OP_XT_MARK);
	assert_xt_mark(&r->exprs[2], false, 0x2, 0x2);
	/* -m connmark --mark 0x10/0x10 -j MARK --and-mark 0xfffffff0 */
	r = rule(&m, "MARKS", 3);
	assert_ops(r, 3, NM_OP_IPHDR, NM_OP_XT_MARK_MATCH, NM_OP_XT_MARK);
	assert_int_equal(r->exprs[1].mark.ct, 1);
	assert_int_equal(r->exprs[1].mark.value, 0x10);
	assert_xt_mark(&r->exprs[2], false, 0, 0xf);
	/* -j CONNMARK --set-xmark 0x100/0xf00 */
	r = rule(&m, "MARKS", 4);
	assert_xt_mark(&r->exprs[1], true, 0x100, 0xf00);
	/* -j CONNMARK --save-mark --ctmask 0xff00 --left-shift-mark 8 */
	r = rule(&m, "MARKS", 5);
	assert_connmark(&r->exprs[1], NM_CONNMARK_SAVE, D_SHIFT_LEFT, 8,
			0xff00, 0xffffffff);

	/* -A OUTPUT -j MARK --xor-mark 0x4000 */
	r = rule(&m, "OUTPUT", 1);
	assert_xt_mark(&r->exprs[1], false, 0x4000, 0);
	/* --restore-mark --nfmask 0xff --ctmask 0xff0000
	 *   --right-shift-mark 16 */
	r = rule(&m, "POSTROUTING", 1);
	assert_connmark(&r->exprs[1], NM_CONNMARK_RESTORE, D_SHIFT_RIGHT, 16,
			0xff0000, 0xff);
	nm_model_free(&m);
}

static void test_raw(void **state)
{
	const struct nm_rule *r;
	struct nm_model m;

	(void)state;
	load_parse("raw", &m);
	assert_int_equal(m.nchains, 2);
	assert_plain_builtin(&m.chains[0], "raw", "PREROUTING", NFPROTO_IPV4,
			     NF_INET_PRE_ROUTING, NF_IP_PRI_RAW, NF_ACCEPT);
	assert_plain_builtin(&m.chains[1], "raw", "OUTPUT", NFPROTO_IPV4,
			     NF_INET_LOCAL_OUT, NF_IP_PRI_RAW, NF_ACCEPT);
	r = rule(&m, "PREROUTING", 1);
	assert_ops(r, 3, NM_OP_IPHDR, NM_OP_XT_PORTS, NM_OP_UNKNOWN);
	assert_string_equal(r->exprs[2].unknown, "xt target CT");
	r = rule(&m, "PREROUTING", 2);
	assert_xt_mark(&r->exprs[1], false, 0x8, 0x8);
	r = rule(&m, "OUTPUT", 1);
	assert_ops(r, 3, NM_OP_IPHDR, NM_OP_XT_EITHER, NM_OP_IMMEDIATE);
	nm_model_free(&m);
}

static void test_filter6(void **state)
{
	const struct nm_rule *r;
	struct nm_model m;

	(void)state;
	load_parse("filter6", &m);
	assert_int_equal(m.nchains, 4);
	assert_plain_builtin(&m.chains[0], "filter", "INPUT", NFPROTO_IPV6,
			     NF_INET_LOCAL_IN, NF_IP6_PRI_FILTER, NF_ACCEPT);
	assert_plain_builtin(&m.chains[1], "filter", "FORWARD", NFPROTO_IPV6,
			     NF_INET_FORWARD, NF_IP6_PRI_FILTER, NF_DROP);
	assert_plain_builtin(&m.chains[2], "filter", "OUTPUT", NFPROTO_IPV6,
			     NF_INET_LOCAL_OUT, NF_IP6_PRI_FILTER, NF_ACCEPT);
	assert_user_chain(&m.chains[3], "filter");
	assert_jump(&rule(&m, "FORWARD", 1)->exprs[1], NFT_JUMP, 3);
	/* -m mark --mark 0x4000/0x4000 -j ACCEPT */
	r = rule(&m, "FWD", 1);
	assert_ops(r, 3, NM_OP_IPHDR, NM_OP_XT_MARK_MATCH, NM_OP_IMMEDIATE);
	assert_jump(&r->exprs[2], NF_ACCEPT, -1);
	/* -m connmark ! --mark 0x1/0x1 -j DROP */
	r = rule(&m, "FWD", 2);
	assert_int_equal(r->exprs[1].mark.ct, 1);
	assert_int_equal(r->exprs[1].mark.inv, 1);
	assert_jump(&r->exprs[2], NF_DROP, -1);
	/* -m recent --set: always matches, no target */
	r = rule(&m, "FWD", 3);
	assert_ops(r, 2, NM_OP_IPHDR, NM_OP_NOP);
	r = rule(&m, "FWD", 4);
	assert_ops(r, 3, NM_OP_IPHDR, NM_OP_XT_EITHER, NM_OP_IMMEDIATE);
	nm_model_free(&m);
}

/* Several tables in one model: each one's jumps stay inside it, and a
 * blob is read only for the hooks its table has. */
static void test_tables(void **state)
{
	struct nm_model m = { 0 };
	struct iptbin fx;
	unsigned int h;

	(void)state;
	load("asus", &fx);
	assert_int_equal(parse(&fx, &m), 0);
	free(fx.entries);
	load("mangle", &fx);
	assert_int_equal(parse(&fx, &m), 0);
	assert_int_equal(m.nchains, 12);
	assert_string_equal(m.chains[6].table, "mangle");
	/* mangle PREROUTING rule 3 jumps to mangle's MARKS, not nat's. */
	assert_jump(&m.chains[6].rules[2].exprs[1], NFT_JUMP, 11);
	assert_int_equal(nm_find_chain(&m, "mangle", NFPROTO_IPV4, "MARKS"),
			 11);

	/* Read as nat, the mangle blob has no FORWARD chain. */
	fx.table = "nat";
	assert_int_equal(parse(&fx, &m), 0);
	assert_int_equal(m.nchains, 12 + 5);
	for (h = 12; h < m.nchains; h++) {
		assert_int_not_equal(m.chains[h].hook, NF_INET_FORWARD);
		assert_string_equal(m.chains[h].table, "nat");
	}
	/* Tables we do not read. */
	assert_int_equal(ipt_parse_table(AF_INET, "security", fx.entries,
					 fx.size, fx.hook_entry, fx.underflow,
					 fx.valid_hooks, &m), -EINVAL);
	assert_int_equal(ipt_parse_table(AF_INET, NULL, fx.entries, fx.size,
					 fx.hook_entry, fx.underflow,
					 fx.valid_hooks, &m), -EINVAL);
	assert_int_equal(m.nchains, 17);
	free(fx.entries);
	nm_model_free(&m);
}

/* Appending to a model that already has chains (nft's, say, with the same
 * names) must point jumps at the new chains. */
static void test_append(void **state)
{
	struct iptbin fx;
	struct nm_model m = { 0 };
	struct nm_chain *c;
	const struct nm_rule *r;

	(void)state;
	c = nm_add_chain(&m);
	c->table = strdup("nat");
	c->name = strdup("VSERVER");
	c->family = NFPROTO_IPV4;
	load("asus", &fx);
	assert_int_equal(parse(&fx, &m), 0);
	assert_int_equal(m.nchains, 7);
	assert_string_equal(m.chains[5].name, "VSERVER");
	r = &m.chains[1].rules[0];		/* PREROUTING rule 1 */
	assert_jump(&r->exprs[1], NFT_JUMP, 5);
	/* Again, for two tables in one model. */
	assert_int_equal(parse(&fx, &m), 0);
	assert_int_equal(m.nchains, 13);
	assert_jump(&m.chains[7].rules[0].exprs[1], NFT_JUMP, 11);
	free(fx.entries);
	nm_model_free(&m);
}

static void test_bad_args(void **state)
{
	struct iptbin fx;
	struct nm_model m = { 0 };
	unsigned int hooks[5];

	(void)state;
	load("docker", &fx);
	assert_int_equal(ipt_parse(AF_PACKET, fx.entries, fx.size,
				   fx.hook_entry, fx.underflow,
				   fx.valid_hooks, &m), -EINVAL);
	/* IPv4 entries read as IPv6 ones do not add up. */
	assert_int_not_equal(ipt_parse(AF_INET6, fx.entries, fx.size,
				       fx.hook_entry, fx.underflow,
				       fx.valid_hooks, &m), 0);
	assert_int_equal(m.nchains, 0);
	/* A hook entry that is not an entry's offset. */
	memcpy(hooks, fx.hook_entry, sizeof(hooks));
	hooks[NF_INET_LOCAL_OUT] += 8;
	assert_int_equal(ipt_parse(AF_INET, fx.entries, fx.size, hooks,
				   fx.underflow, fx.valid_hooks, &m), -EINVAL);
	assert_int_equal(m.nchains, 0);
	/* An empty table is no table. */
	assert_int_equal(ipt_parse(AF_INET, NULL, 0, fx.hook_entry,
				   fx.underflow, 0, &m), 0);
	assert_int_equal(m.nchains, 0);
	assert_null(m.chains);
	free(fx.entries);
}

/* After any parse: an error leaves the model as it was, a success leaves
 * jumps pointing inside it. */
static void check_outcome(int err, const struct nm_model *m,
			  unsigned int before)
{
	unsigned int i, j, k;

	if (err) {
		assert_true(err == -EINVAL || err == -ENOMEM);
		assert_int_equal(m->nchains, before);
		return;
	}
	for (i = 0; i < m->nchains; i++)
		for (j = 0; j < m->chains[i].nrules; j++)
			for (k = 0; k < m->chains[i].rules[j].nexprs; k++) {
				const struct nm_expr *e =
					&m->chains[i].rules[j].exprs[k];

				if (e->op == NM_OP_IMMEDIATE)
					assert_true(e->imm.chain >= -1 &&
						    e->imm.chain <
						    (int)m->nchains);
			}
}

static void test_truncated(void **state)
{
	unsigned int i;
	size_t len;

	(void)state;
	for (i = 0; i < NFIXTURES; i++) {
		struct iptbin fx;

		load(fixtures[i].name, &fx);
		for (len = 0; len < fx.size; len++) {
			struct nm_model m = { 0 };
			/* Exactly sized, so ASan catches a read past it. */
			unsigned char *b = malloc(len ? len : 1);
			int err;

			memcpy(b, fx.entries, len);
			err = ipt_parse_table(fx.family, fx.table, b, len,
					      fx.hook_entry, fx.underflow,
					      fx.valid_hooks, &m);
			/* Every hook offset must be inside the blob. */
			if (len <= last_underflow(&fx))
				assert_int_not_equal(err, 0);
			check_outcome(err, &m, 0);
			nm_model_free(&m);
			free(b);
		}
		free(fx.entries);
	}
}

/* Random damage to real tables: the fuzzer's job in small. */
static void test_mutated(void **state)
{
	unsigned int seed = 77, i, n, k;

	(void)state;
	for (i = 0; i < NFIXTURES; i++) {
		struct iptbin fx;

		load(fixtures[i].name, &fx);
		for (n = 0; n < 3000; n++) {
			struct nm_model m = { 0 };
			unsigned char *b = malloc(fx.size);
			unsigned int flips = 1 + rand_r(&seed) % 8;
			unsigned int hooks[5], under[5];
			int err;

			memcpy(b, fx.entries, fx.size);
			memcpy(hooks, fx.hook_entry, sizeof(hooks));
			memcpy(under, fx.underflow, sizeof(under));
			for (k = 0; k < flips; k++)
				b[rand_r(&seed) % fx.size] = rand_r(&seed);
			if (n % 10 == 0)
				hooks[rand_r(&seed) % 5] = rand_r(&seed) %
							   fx.size;
			if (n % 10 == 1)
				under[rand_r(&seed) % 5] = rand_r(&seed) %
							   fx.size;
			err = ipt_parse_table(fx.family, fx.table, b, fx.size,
					      hooks, under, fx.valid_hooks, &m);
			check_outcome(err, &m, 0);
			nm_model_free(&m);
			free(b);
		}
		free(fx.entries);
	}
}

static bool same_model(const struct nm_model *a, const struct nm_model *b)
{
	unsigned int i, j;

	if (a->nchains != b->nchains)
		return false;
	for (i = 0; i < a->nchains; i++) {
		const struct nm_chain *x = &a->chains[i], *y = &b->chains[i];

		if (strcmp(x->name, y->name) || strcmp(x->table, y->table) ||
		    x->family != y->family || x->hook != y->hook ||
		    x->prio != y->prio || x->nat != y->nat ||
		    x->policy != y->policy || x->nrules != y->nrules)
			return false;
		for (j = 0; j < x->nrules; j++)
			if (x->rules[j].nexprs != y->rules[j].nexprs ||
			    x->rules[j].handle != y->rules[j].handle ||
			    !x->rules[j].comment != !y->rules[j].comment ||
			    (x->rules[j].comment &&
			     strcmp(x->rules[j].comment,
				    y->rules[j].comment)) ||
			    memcmp(x->rules[j].exprs, y->rules[j].exprs,
				   x->rules[j].nexprs *
				   sizeof(struct nm_expr)))
				return false;
	}
	return true;
}

static bool table_listed(const char *file, const char *table)
{
	char line[64], want[64];
	bool found = false;
	FILE *f = fopen(file, "r");

	if (!f)
		return false;
	snprintf(want, sizeof(want), "%s\n", table);
	while (fgets(line, sizeof(line), f))
		found |= !strcmp(line, want);
	fclose(f);
	return found;
}

static bool nat_listed(const char *file)
{
	return table_listed(file, "nat");
}

/*
 * ipt_read through libiptc gives what ipt_parse gives from the raw blob.
 * Needs root; moves this process into a fresh network namespace, so it and
 * test_live_tables run last.
 */
static void test_live(void **state)
{
	static const struct { const char *name, *restore; int family; } t[] = {
		{ "asus", "iptables-legacy-restore", AF_INET },
		{ "docker", "iptables-legacy-restore", AF_INET },
		{ "misc", "iptables-legacy-restore", AF_INET },
		{ "v6", "ip6tables-legacy-restore", AF_INET6 },
	};
	char cmd[8192];
	unsigned int i;

	(void)state;
	if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0 ||
	    system("command -v iptables-legacy-restore >/dev/null 2>&1 && "
		   "command -v ip6tables-legacy-restore >/dev/null 2>&1"))
		skip();
	for (i = 0; i < 4; i++) {
		struct nm_model live = { 0 }, raw = { 0 };
		uint64_t fp0, fp1, fp2;
		const char *names = t[i].family == AF_INET6 ?
				    "/proc/self/net/ip6_tables_names" :
				    "/proc/self/net/ip_tables_names";

		/* No nat table here yet: nothing, and nothing created. */
		if (!nat_listed(names)) {
			assert_int_equal(ipt_read(&live, t[i].family), 0);
			assert_int_equal(live.nchains, 0);
			assert_int_equal(ipt_fingerprint(t[i].family, &fp0), 0);
			assert_int_equal(fp0, 0);
			assert_false(nat_listed(names));
		}
		snprintf(cmd, sizeof(cmd), "%s < %s/%s.save", t[i].restore,
			 fixture_dir(), t[i].name);
		assert_int_equal(system(cmd), 0);
		assert_int_equal(ipt_read(&live, t[i].family), 0);
		load_parse(t[i].name, &raw);
		assert_true(same_model(&live, &raw));

		assert_int_equal(ipt_fingerprint(t[i].family, &fp1), 0);
		assert_int_not_equal(fp1, 0);
		assert_int_equal(ipt_fingerprint(t[i].family, &fp2), 0);
		assert_int_equal(fp1, fp2);
		snprintf(cmd, sizeof(cmd), "%s -t nat -A OUTPUT -j RETURN",
			 t[i].family == AF_INET6 ? "ip6tables-legacy" :
			 "iptables-legacy");
		assert_int_equal(system(cmd), 0);
		assert_int_equal(ipt_fingerprint(t[i].family, &fp2), 0);
		assert_int_not_equal(fp1, fp2);
		nm_model_free(&live);
		nm_model_free(&raw);
	}
}

static void restore(const char *cmd, const char *name)
{
	char line[8192];

	snprintf(line, sizeof(line), "%s < %s/%s.save", cmd, fixture_dir(),
		 name);
	assert_int_equal(system(line), 0);
}

/* @names' tables, parsed from their fixtures one after the other, as
 * ipt_read appends them (nat, raw, mangle, filter). */
static void parse_all(const char *const *names, unsigned int n,
		      struct nm_model *m)
{
	unsigned int i;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < n; i++) {
		struct iptbin fx;

		load(names[i], &fx);
		assert_int_equal(parse(&fx, m), 0);
		free(fx.entries);
	}
}

static void assert_fingerprint_moves(int family, const char *cmd)
{
	uint64_t fp1, fp2;

	assert_int_equal(ipt_fingerprint(family, &fp1), 0);
	assert_int_not_equal(fp1, 0);
	assert_int_equal(ipt_fingerprint(family, &fp2), 0);
	assert_int_equal(fp1, fp2);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(ipt_fingerprint(family, &fp2), 0);
	assert_int_not_equal(fp1, fp2);
}

/*
 * raw, mangle and filter through libiptc, in a namespace of their own
 * without a nat table: what ipt_parse_table gives from the blobs, no table
 * created by reading, and a fingerprint that sees a change in any of them.
 */
static void test_live_tables(void **state)
{
	static const char *const v4[] = { "raw", "mangle" };
	static const char *const v6[] = { "filter6" };
	const char *names4 = "/proc/self/net/ip_tables_names";
	const char *names6 = "/proc/self/net/ip6_tables_names";
	struct nm_model live = { 0 }, raw;
	uint64_t fp;

	(void)state;
	if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0 ||
	    system("command -v iptables-legacy-restore >/dev/null 2>&1 && "
		   "command -v ip6tables-legacy-restore >/dev/null 2>&1"))
		skip();
	assert_int_equal(ipt_read(&live, AF_INET), 0);
	assert_int_equal(live.nchains, 0);
	assert_int_equal(ipt_fingerprint(AF_INET, &fp), 0);
	assert_int_equal(fp, 0);

	restore("iptables-legacy-restore", "raw");
	restore("iptables-legacy-restore", "mangle");
	restore("ip6tables-legacy-restore", "filter6");
	assert_int_equal(ipt_read(&live, AF_INET), 0);
	parse_all(v4, 2, &raw);
	assert_true(same_model(&live, &raw));
	nm_model_free(&live);
	nm_model_free(&raw);
	assert_int_equal(ipt_read(&live, AF_INET6), 0);
	parse_all(v6, 1, &raw);
	assert_true(same_model(&live, &raw));
	nm_model_free(&live);
	nm_model_free(&raw);
	/* Reading asked for no table that was not there. */
	assert_false(table_listed(names4, "nat"));
	assert_false(table_listed(names4, "filter"));
	assert_false(table_listed(names6, "mangle"));

	assert_fingerprint_moves(AF_INET, "iptables-legacy -t mangle "
				 "-A FORWARD -j MARK --set-mark 1");
	assert_fingerprint_moves(AF_INET, "iptables-legacy -t raw "
				 "-A OUTPUT -j RETURN");
	assert_fingerprint_moves(AF_INET6, "ip6tables-legacy -t filter "
				 "-P INPUT DROP");
	assert_false(table_listed(names4, "nat"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_asus),
		cmocka_unit_test(test_docker),
		cmocka_unit_test(test_misc),
		cmocka_unit_test(test_v6),
		cmocka_unit_test(test_kube),
		cmocka_unit_test(test_mangle),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_filter6),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_mutated),
		cmocka_unit_test(test_live),
		cmocka_unit_test(test_live_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
