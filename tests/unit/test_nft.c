// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_nft.c - nft_parse() on raw nftables captures taken from the kernel
 * (the .nlbin files in fixtures/, made by capture.sh there from the .nft and
 * .ipt-nft files beside them; .netlink.txt shows each at the netlink level),
 * on hand-built captures for the corners, and on truncated and mutated
 * copies.  Pure: no sockets, no root.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/rtnetlink.h>
#include "nft.h"
#include "fixture.h"
#include "exprassert.h"

static void *load(const char *name, size_t *len)
{
	void *buf = read_fixture(name, ".nlbin", len);

	assert_true(*len > 0);
	return buf;
}

static void load_parse(const char *name, struct nm_model *m)
{
	size_t len;
	void *buf = load(name, &len);

	memset(m, 0, sizeof(*m));
	assert_int_equal(nft_parse(buf, len, m), 0);
	free(buf);
}

static int chain_idx(const struct nm_model *m, const char *table,
		     uint8_t family, const char *name)
{
	int i = nm_find_chain(m, table, family, name);

	if (i < 0)
		fail_msg("no chain %s %s", table, name);
	return i;
}

static const struct nm_chain *chain(const struct nm_model *m,
				    const char *table, uint8_t family,
				    const char *name)
{
	return &m->chains[chain_idx(m, table, family, name)];
}

static const struct nm_set *set(const struct nm_model *m, const char *table,
				uint8_t family, const char *name)
{
	int i = nm_find_set(m, table, family, name);

	if (i < 0)
		fail_msg("no set %s %s", table, name);
	return &m->sets[i];
}
/* The last expression of @op in @r. */
static const struct nm_expr *last_op(const struct nm_rule *r, int op)
{
	int i;

	for (i = r->nexprs - 1; i >= 0; i--)
		if (r->exprs[i].op == op)
			return &r->exprs[i];
	fail_msg("no op %d in rule %llu", op, (unsigned long long)r->handle);
	return NULL;
}

static void assert_data(const struct nm_data *d, const void *want, int len)
{
	assert_int_equal(d->len, len);
	assert_memory_equal(d->val, want, len);
}

static void assert_ip4(const struct nm_data *d, const char *a)
{
	uint32_t ip;

	assert_int_equal(inet_pton(AF_INET, a, &ip), 1);
	assert_data(d, &ip, 4);
}

static void assert_ip6(const struct nm_data *d, const char *a)
{
	struct in6_addr ip;

	assert_int_equal(inet_pton(AF_INET6, a, &ip), 1);
	assert_data(d, &ip, 16);
}

static void assert_port(const struct nm_data *d, uint16_t port)
{
	uint16_t p = htons(port);

	assert_data(d, &p, 2);
}

/* An element [lo, hi] of a set keyed by IPv4 addresses. */
static void assert_ip4_elem(const struct nm_elem *e, const char *lo,
			    const char *hi)
{
	assert_ip4(&e->key, lo);
	assert_ip4(&e->key_end, hi);
}

static void assert_port_elem(const struct nm_elem *e, uint16_t lo,
			     uint16_t hi)
{
	assert_port(&e->key, lo);
	assert_port(&e->key_end, hi);
}

static const struct nm_elem *find_elem(const struct nm_set *s,
				       const void *key, int len)
{
	unsigned int i;

	for (i = 0; i < s->nelems; i++)
		if (s->elems[i].key.len == len &&
		    !memcmp(s->elems[i].key.val, key, len))
			return &s->elems[i];
	fail_msg("no such element in %s", s->name);
	return NULL;
}

/* Every index in the model points inside it. */
static void assert_sane(const struct nm_model *m)
{
	unsigned int i, j, k;

	for (i = 0; i < m->nchains; i++) {
		const struct nm_chain *c = &m->chains[i];

		assert_non_null(c->table);
		assert_non_null(c->name);
		for (j = 0; j < c->nrules; j++) {
			for (k = 0; k < c->rules[j].nexprs; k++) {
				const struct nm_expr *e = &c->rules[j].exprs[k];

				assert_true(e->op <= NM_OP_UNKNOWN);
				assert_true(e->sreg <= NFT_REG32_15);
				assert_true(e->dreg <= NFT_REG32_15);
				assert_true(e->len <= NM_DATA_MAX);
				if (e->op == NM_OP_LOOKUP)
					assert_true(e->lookup.set >= 0 &&
						    (unsigned int)e->lookup.set <
						    m->nsets);
				if (e->op == NM_OP_IMMEDIATE)
					assert_true(e->imm.chain >= -1 &&
						    e->imm.chain <
						    (int)m->nchains);
			}
		}
	}
	for (i = 0; i < m->nsets; i++) {
		const struct nm_set *s = &m->sets[i];

		assert_true(s->key_len <= NM_DATA_MAX);
		for (j = 0; j < s->nelems; j++) {
			assert_int_equal(s->elems[j].key.len, s->key_len);
			assert_int_equal(s->elems[j].key_end.len, s->key_len);
			assert_true(memcmp(s->elems[j].key.val,
					   s->elems[j].key_end.val,
					   s->key_len) <= 0);
			assert_true(s->elems[j].chain >= -1 &&
				    s->elems[j].chain < (int)m->nchains);
		}
	}
}

/* ---- the fixtures ------------------------------------------------------ */

static void test_seed(void **state)
{
	const struct nm_chain *nat_c[4], *pre, *post, *fwd;
	const struct nm_expr *e;
	const struct nm_rule *r;
	struct nm_model m;

	load_parse("seed", &m);
	assert_sane(&m);
	assert_true(m.genid > 0);
	assert_int_equal(m.nchains, 4);
	assert_int_equal(m.nsets, 0);

	pre = chain(&m, "nat", NFPROTO_IPV4, "prerouting");
	assert_true(pre->nat);
	assert_int_equal(pre->hook, NF_INET_PRE_ROUTING);
	assert_int_equal(pre->prio, -100);
	assert_int_equal(pre->policy, NF_ACCEPT);
	assert_int_equal(pre->source, NM_SRC_NFT);
	assert_int_equal(pre->nrules, 1);

	/* udp dport 53820 dnat to 192.168.50.3:53820 */
	r = &pre->rules[0];
	assert_true(r->handle > 0);
	assert_null(r->comment);
	assert_ops(r, 7, NM_OP_META, NM_OP_CMP, NM_OP_PAYLOAD, NM_OP_CMP,
		   NM_OP_IMMEDIATE, NM_OP_IMMEDIATE, NM_OP_NAT);
	assert_int_equal(r->exprs[0].meta.key, NFT_META_L4PROTO);
	assert_int_equal(r->exprs[0].dreg, NFT_REG_1);
	assert_int_equal(r->exprs[1].sreg, NFT_REG_1);
	assert_int_equal(r->exprs[1].cmp.op, NFT_CMP_EQ);
	assert_int_equal(r->exprs[1].cmp.data.len, 1);
	assert_int_equal(r->exprs[1].cmp.data.val[0], IPPROTO_UDP);
	assert_int_equal(r->exprs[2].payload.base,
			 NFT_PAYLOAD_TRANSPORT_HEADER);
	assert_int_equal(r->exprs[2].payload.offset, 2);
	assert_int_equal(r->exprs[2].len, 2);
	assert_port(&r->exprs[3].cmp.data, 53820);
	assert_int_equal(r->exprs[4].dreg, NFT_REG_1);
	assert_ip4(&r->exprs[4].imm.data, "192.168.50.3");
	assert_int_equal(r->exprs[4].imm.chain, -1);
	assert_int_equal(r->exprs[5].dreg, NFT_REG_2);
	assert_port(&r->exprs[5].imm.data, 53820);
	e = &r->exprs[6];
	assert_int_equal(e->nat.type, NFT_NAT_DNAT);
	assert_int_equal(e->nat.family, NFPROTO_IPV4);
	assert_int_equal(e->nat.reg_addr_min, NFT_REG_1);
	assert_int_equal(e->nat.reg_addr_max, NFT_REG_1);
	assert_int_equal(e->nat.reg_proto_min, NFT_REG_2);
	assert_int_equal(e->nat.reg_proto_max, NFT_REG_2);
	assert_int_equal(e->nat.flags,
			 NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED);

	post = chain(&m, "nat", NFPROTO_IPV4, "postrouting");
	assert_true(post->nat);
	assert_int_equal(post->hook, NF_INET_POST_ROUTING);
	assert_int_equal(post->prio, 100);
	assert_ops(&post->rules[0], 3, NM_OP_META, NM_OP_CMP, NM_OP_MASQ);
	assert_int_equal(post->rules[0].exprs[0].meta.key, NFT_META_OIFNAME);
	assert_int_equal(post->rules[0].exprs[2].redir.reg_proto_min, 0);

	/* The filter table is there, as filter. */
	fwd = chain(&m, "filter", NFPROTO_INET, "forward");
	assert_false(fwd->nat);
	assert_int_equal(fwd->hook, NF_INET_FORWARD);
	assert_int_equal(fwd->policy, NF_DROP);
	assert_int_equal(fwd->nrules, 3);
	/* ct state established,related accept */
	r = &fwd->rules[0];
	assert_ops(r, 4, NM_OP_CT, NM_OP_BITWISE, NM_OP_CMP,
		   NM_OP_IMMEDIATE);
	assert_int_equal(r->exprs[0].ct.key, NFT_CT_STATE);
	assert_int_equal(r->exprs[1].bitwise.op, NFT_BITWISE_BOOL);
	assert_int_equal(r->exprs[2].cmp.op, NFT_CMP_NEQ);
	assert_int_equal(r->exprs[3].dreg, NFT_REG_VERDICT);
	assert_int_equal(r->exprs[3].imm.verdict, NF_ACCEPT);
	assert_int_equal(r->exprs[3].imm.chain, -1);

	assert_int_equal(nm_nat_chains(&m, NF_INET_PRE_ROUTING, AF_INET,
				       nat_c, 4), 1);
	assert_ptr_equal(nat_c[0], pre);
	assert_int_equal(nm_nat_chains(&m, NF_INET_PRE_ROUTING, AF_INET6,
				       nat_c, 4), 0);
	nm_model_free(&m);
}

static void test_fw4(void **state)
{
	const struct nm_chain *dst, *wan, *in;
	const struct nm_set *s;
	const struct nm_elem *el;
	const struct nm_expr *e;
	const struct nm_rule *r;
	struct nm_model m;
	uint8_t key[8];
	char lan[16] = "lan", wanif[16] = "wan";

	load_parse("fw4", &m);
	assert_sane(&m);

	dst = chain(&m, "fw4", NFPROTO_INET, "dstnat");
	assert_true(dst->nat);
	assert_int_equal(dst->family, NFPROTO_INET);
	assert_int_equal(dst->hook, NF_INET_PRE_ROUTING);
	assert_int_equal(dst->prio, -100);
	assert_true(chain(&m, "fw4", NFPROTO_INET, "srcnat")->nat);
	assert_false(chain(&m, "fw4", NFPROTO_INET, "input")->nat);

	/* iifname "wan" jump dstnat_wan */
	r = &dst->rules[0];
	assert_ops(r, 3, NM_OP_META, NM_OP_CMP, NM_OP_IMMEDIATE);
	assert_int_equal(r->exprs[0].meta.key, NFT_META_IIFNAME);
	assert_data(&r->exprs[1].cmp.data, wanif, 16);
	assert_int_equal(r->exprs[2].imm.verdict, NFT_JUMP);
	assert_int_equal(r->exprs[2].imm.chain,
			 chain_idx(&m, "fw4", NFPROTO_INET, "dstnat_wan"));

	wan = chain(&m, "fw4", NFPROTO_INET, "dstnat_wan");
	assert_false(wan->nat);
	assert_int_equal(wan->hook, -1);
	assert_int_equal(wan->nrules, 11);

	/* meta nfproto ipv4 udp dport 53820 counter dnat ip to ...  */
	r = &wan->rules[0];
	assert_string_equal(r->comment, "!fw4: wireguard");
	assert_ops(r, 10, NM_OP_META, NM_OP_CMP, NM_OP_META, NM_OP_CMP,
		   NM_OP_PAYLOAD, NM_OP_CMP, NM_OP_NOP, NM_OP_IMMEDIATE,
		   NM_OP_IMMEDIATE, NM_OP_NAT);
	assert_int_equal(r->exprs[0].meta.key, NFT_META_NFPROTO);
	assert_int_equal(r->exprs[1].cmp.data.val[0], NFPROTO_IPV4);
	assert_ip4(&r->exprs[7].imm.data, "192.168.50.3");
	assert_int_equal(r->exprs[9].nat.family, NFPROTO_IPV4);

	/* ip saddr @blocked_v4 return */
	r = &wan->rules[2];
	e = last_op(r, NM_OP_LOOKUP);
	assert_int_equal(e->lookup.set,
			 nm_find_set(&m, "fw4", NFPROTO_INET, "blocked_v4"));
	assert_false(e->lookup.invert);
	assert_false(e->lookup.has_dreg);
	assert_int_equal(e->len, 4);
	assert_int_equal(last_op(r, NM_OP_IMMEDIATE)->imm.verdict, NFT_RETURN);

	/* dnat ip to ip daddr . tcp dport map @dnat_wan_map: the concat key
	 * is in r1 and r9 (NFT_REG32_01), the value goes to r1. */
	r = &wan->rules[3];
	e = last_op(r, NM_OP_LOOKUP);
	assert_int_equal(e->lookup.set,
			 nm_find_set(&m, "fw4", NFPROTO_INET, "dnat_wan_map"));
	assert_true(e->lookup.has_dreg);
	assert_int_equal(e->sreg, NFT_REG_1);
	assert_int_equal(e->dreg, NFT_REG_1);
	assert_int_equal(e->len, 8);
	e = last_op(r, NM_OP_NAT);
	assert_int_equal(e->nat.reg_addr_min, NFT_REG_1);
	assert_int_equal(e->nat.reg_proto_min, NFT_REG32_01);

	s = set(&m, "fw4", NFPROTO_INET, "dnat_wan_map");
	assert_true(s->flags & NFT_SET_MAP);
	assert_int_equal(s->key_len, 8);
	assert_int_equal(s->data_len, 8);
	assert_int_equal(s->nelems, 2);
	/* 203.0.113.10 . 8080 : 192.168.50.10 . 80, each field padded to 4 */
	memcpy(key, "\xcb\x00\x71\x0a\x1f\x90\x00\x00", 8);
	el = find_elem(s, key, 8);
	assert_data(&el->key_end, key, 8);
	assert_data(&el->data, "\xc0\xa8\x32\x0a\x00\x50\x00\x00", 8);

	/* rbtree intervals, dumped descending with exclusive ends */
	s = set(&m, "fw4", NFPROTO_INET, "blocked_v4");
	assert_true(s->flags & NFT_SET_INTERVAL);
	assert_int_equal(s->nelems, 4);
	assert_ip4_elem(&s->elems[0], "10.0.0.1", "10.0.0.1");
	assert_ip4_elem(&s->elems[1], "198.51.100.0", "198.51.100.255");
	assert_ip4_elem(&s->elems[2], "203.0.113.64", "203.0.113.127");
	/* the last one runs to the top: no end element exists for it */
	assert_ip4_elem(&s->elems[3], "255.255.255.0", "255.255.255.255");

	/* adjacent ranges: the end of one is the start of the next */
	s = set(&m, "fw4", NFPROTO_INET, "fwd_ports");
	assert_int_equal(s->nelems, 3);
	assert_port_elem(&s->elems[0], 1000, 2000);
	assert_port_elem(&s->elems[1], 2001, 2100);
	assert_port_elem(&s->elems[2], 8000, 8080);

	/* pipapo: concatenated ranges, ends given inclusive */
	s = set(&m, "fw4", NFPROTO_INET, "lan_svc");
	assert_true(s->flags & NFT_SET_CONCAT);
	assert_int_equal(s->nfields, 2);
	assert_int_equal(s->field_len[0], 4);
	assert_int_equal(s->field_len[1], 2);
	assert_int_equal(s->nelems, 2);
	el = find_elem(s, "\xc0\xa8\x32\x00\x03\xe8\x00\x00", 8);
	assert_data(&el->key_end, "\xc0\xa8\x32\xff\x07\xd0\x00\x00", 8);

	/* iifname vmap { "wan" : jump input_wan, "lan" : jump input_lan } */
	in = chain(&m, "fw4", NFPROTO_INET, "input");
	e = last_op(&in->rules[2], NM_OP_LOOKUP);
	assert_true(e->lookup.has_dreg);
	assert_int_equal(e->dreg, NFT_REG_VERDICT);
	s = &m.sets[e->lookup.set];
	assert_true(s->flags & NFT_SET_ANONYMOUS);
	assert_int_equal(s->data_type, NFT_DATA_VERDICT);
	el = find_elem(s, wanif, 16);
	assert_int_equal(el->verdict, NFT_JUMP);
	assert_int_equal(el->chain,
			 chain_idx(&m, "fw4", NFPROTO_INET, "input_wan"));
	el = find_elem(s, lan, 16);
	assert_int_equal(el->chain,
			 chain_idx(&m, "fw4", NFPROTO_INET, "input_lan"));

	/* numgen inc mod 2 map { 0 : .5, 1 : .6 } */
	r = &wan->rules[6];
	e = last_op(r, NM_OP_NUMGEN);
	assert_int_equal(e->gen.mod, 2);
	assert_int_equal(e->gen.offset, 0);
	e = last_op(r, NM_OP_LOOKUP);
	s = &m.sets[e->lookup.set];
	assert_int_equal(s->nelems, 2);
	el = find_elem(s, "\x01\x00\x00\x00", 4);	/* host order u32 */
	assert_ip4(&el->data, "192.168.50.6");
	/* hash sets come sorted by key, whatever the dump order */
	assert_data(&s->elems[0].key, "\x00\x00\x00\x00", 4);
	assert_ptr_equal(&s->elems[1], el);

	/* jhash ip saddr mod 2 */
	e = last_op(&wan->rules[7], NM_OP_HASH);
	assert_int_equal(e->gen.mod, 2);
	assert_int_equal(e->len, 4);
	assert_int_equal(e->sreg, NFT_REG_2);

	/* limit is not modelled */
	e = &wan->rules[8].exprs[6];
	assert_int_equal(e->op, NM_OP_UNKNOWN);
	assert_string_equal(e->unknown, "limit");

	/* dnat ip to 192.168.50.9:8000-8010 */
	e = last_op(&wan->rules[9], NM_OP_NAT);
	assert_int_equal(e->nat.reg_proto_min, NFT_REG_2);
	assert_int_equal(e->nat.reg_proto_max, NFT_REG_3);

	/* tcp dport != { 22, 80, 443 } ... redirect to :8080 */
	r = &wan->rules[10];
	e = last_op(r, NM_OP_LOOKUP);
	assert_true(e->lookup.invert);
	s = &m.sets[e->lookup.set];
	assert_true(s->flags & NFT_SET_ANONYMOUS);
	assert_int_equal(s->nelems, 3);
	e = last_op(r, NM_OP_REDIR);
	assert_int_equal(e->redir.reg_proto_min, NFT_REG_1);
	assert_port(&last_op(r, NM_OP_IMMEDIATE)->imm.data, 8080);

	assert_int_equal(last_op(&chain(&m, "fw4", NFPROTO_INET,
					"srcnat_wan")->rules[0],
				 NM_OP_MASQ)->op, NM_OP_MASQ);
	nm_model_free(&m);
}

static void test_ipv6(void **state)
{
	const struct nm_chain *nat_c[4], *pre, *post, *mixed;
	const struct nm_set *s;
	const struct nm_expr *e;
	struct nm_model m;

	load_parse("ipv6-dnat", &m);
	assert_sane(&m);

	pre = chain(&m, "nat6", NFPROTO_IPV6, "prerouting");
	assert_true(pre->nat);
	assert_int_equal(pre->family, NFPROTO_IPV6);
	assert_int_equal(pre->nrules, 2);
	e = &pre->rules[0].exprs[4];
	assert_int_equal(e->op, NM_OP_IMMEDIATE);
	assert_ip6(&e->imm.data, "fd00:50::3");
	e = last_op(&pre->rules[0], NM_OP_NAT);
	assert_int_equal(e->nat.family, NFPROTO_IPV6);
	assert_int_equal(e->nat.type, NFT_NAT_DNAT);
	/* ip6 daddr 2001:db8::1 */
	e = &pre->rules[1].exprs[0];
	assert_int_equal(e->op, NM_OP_PAYLOAD);
	assert_int_equal(e->payload.offset, 24);
	assert_int_equal(e->len, 16);
	assert_ip6(&pre->rules[1].exprs[1].cmp.data, "2001:db8::1");

	post = chain(&m, "nat6", NFPROTO_IPV6, "postrouting");
	e = last_op(&post->rules[0], NM_OP_NAT);
	assert_int_equal(e->nat.type, NFT_NAT_SNAT);
	assert_ip6(&last_op(&post->rules[0], NM_OP_IMMEDIATE)->imm.data,
		   "2001:db8::1");

	mixed = chain(&m, "mixed", NFPROTO_INET, "prerouting");
	assert_int_equal(mixed->prio, -110);
	assert_int_equal(last_op(&mixed->rules[1], NM_OP_NAT)->nat.family,
			 NFPROTO_IPV6);
	assert_int_equal(last_op(&mixed->rules[2], NM_OP_REDIR)->op,
			 NM_OP_REDIR);

	s = set(&m, "mixed", NFPROTO_INET, "v6_blocked");
	assert_int_equal(s->key_len, 16);
	assert_int_equal(s->nelems, 2);
	assert_ip6(&s->elems[0].key, "2001:db8:bad::");
	assert_ip6(&s->elems[0].key_end,
		   "2001:db8:bad:ffff:ffff:ffff:ffff:ffff");
	assert_ip6(&s->elems[1].key, "2001:db8:dead::1");
	assert_ip6(&s->elems[1].key_end, "2001:db8:dead::1");

	/* inet applies to both; priority order: mixed (-110) first */
	assert_int_equal(nm_nat_chains(&m, NF_INET_PRE_ROUTING, AF_INET6,
				       nat_c, 4), 2);
	assert_ptr_equal(nat_c[0], mixed);
	assert_ptr_equal(nat_c[1], pre);
	assert_int_equal(nm_nat_chains(&m, NF_INET_PRE_ROUTING, AF_INET,
				       nat_c, 4), 1);
	nm_model_free(&m);
}

static void assert_natspec4(const struct nm_expr *e, uint8_t type,
			    const char *addr, uint16_t port)
{
	uint32_t ip = 0;

	assert_int_equal(e->op, NM_OP_NATSPEC);
	assert_int_equal(e->natspec.type, type);
	if (addr) {
		assert_int_equal(inet_pton(AF_INET, addr, &ip), 1);
		assert_true(e->natspec.flags & NF_NAT_RANGE_MAP_IPS);
		assert_int_equal(e->natspec.addr_min.ip, ip);
		assert_int_equal(e->natspec.addr_max.ip, ip);
	}
	if (port) {
		assert_true(e->natspec.flags & NF_NAT_RANGE_PROTO_SPECIFIED);
		assert_int_equal(e->natspec.port_min, htons(port));
		assert_int_equal(e->natspec.port_max, htons(port));
	}
}

static void test_iptables_nft(void **state)
{
	const struct nm_chain *pre, *post, *custom, *pre6;
	const struct nm_expr *e;
	const struct nm_rule *r;
	struct nm_model m;
	struct in6_addr a6;

	load_parse("iptables-nft", &m);
	assert_sane(&m);

	pre = chain(&m, "nat", NFPROTO_IPV4, "PREROUTING");
	assert_true(pre->nat);
	assert_int_equal(pre->nrules, 4);

	/* -p udp --dport 53820 -j DNAT --to-destination 192.168.50.3:53820:
	 * native matches, the target as an xt blob. */
	r = &pre->rules[0];
	assert_ops(r, 6, NM_OP_META, NM_OP_CMP, NM_OP_PAYLOAD, NM_OP_CMP,
		   NM_OP_NOP, NM_OP_NATSPEC);
	assert_natspec4(&r->exprs[5], NFT_NAT_DNAT, "192.168.50.3", 53820);

	/* -p tcp -m multiport --dports 80,443,8000:8080: the match learns
	 * the protocol from the rule's meta l4proto. */
	r = &pre->rules[1];
	e = &r->exprs[2];
	assert_int_equal(e->op, NM_OP_XT_PORTS);
	assert_int_equal(e->ports.proto, IPPROTO_TCP);
	assert_int_equal(e->ports.ndst, 3);
	assert_int_equal(e->ports.dst[0][0], 80);
	assert_int_equal(e->ports.dst[2][0], 8000);
	assert_int_equal(e->ports.dst[2][1], 8080);
	assert_natspec4(last_op(r, NM_OP_NATSPEC), NFT_NAT_DNAT,
			"192.168.50.4", 0);

	/* -m addrtype --dst-type LOCAL ... -j REDIRECT --to-ports 22 */
	r = &pre->rules[2];
	e = last_op(r, NM_OP_XT_ADDRTYPE);
	assert_int_equal(e->addrtype.dst_type, 1 << RTN_LOCAL);
	assert_int_equal(e->addrtype.src_type, 0);
	assert_natspec4(last_op(r, NM_OP_NATSPEC), NM_NAT_REDIR, NULL, 22);

	/* -i wan -j custom: a native jump */
	r = &pre->rules[3];
	e = last_op(r, NM_OP_IMMEDIATE);
	assert_int_equal(e->imm.verdict, NFT_JUMP);
	assert_int_equal(e->imm.chain,
			 chain_idx(&m, "nat", NFPROTO_IPV4, "custom"));
	custom = chain(&m, "nat", NFPROTO_IPV4, "custom");
	assert_false(custom->nat);
	assert_natspec4(last_op(&custom->rules[0], NM_OP_NATSPEC),
			NFT_NAT_DNAT, "192.168.50.5", 443);

	/* -m comment --comment "lan out" -j SNAT --to-source 203.0.113.1 */
	post = chain(&m, "nat", NFPROTO_IPV4, "POSTROUTING");
	r = &post->rules[0];
	assert_string_equal(r->comment, "lan out");
	assert_natspec4(last_op(r, NM_OP_NATSPEC), NFT_NAT_SNAT,
			"203.0.113.1", 0);
	/* -s 192.168.50.0/24: a 3-byte payload compare */
	e = &r->exprs[2];
	assert_int_equal(e->op, NM_OP_PAYLOAD);
	assert_int_equal(e->payload.offset, 12);
	assert_int_equal(e->len, 3);
	assert_natspec4(last_op(&post->rules[1], NM_OP_NATSPEC), NM_NAT_MASQ,
			NULL, 0);

	e = &chain(&m, "filter", NFPROTO_IPV4, "FORWARD")->rules[0].exprs[0];
	assert_int_equal(e->op, NM_OP_XT_CTSTATE);

	pre6 = chain(&m, "nat", NFPROTO_IPV6, "PREROUTING");
	assert_true(pre6->nat);
	e = last_op(&pre6->rules[0], NM_OP_NATSPEC);
	assert_int_equal(e->natspec.type, NFT_NAT_DNAT);
	assert_int_equal(inet_pton(AF_INET6, "fd00:50::3", &a6), 1);
	assert_memory_equal(&e->natspec.addr_min.ip6, &a6, 16);
	assert_int_equal(e->natspec.port_min, htons(53820));
	nm_model_free(&m);
}

static void test_edge(void **state)
{
	const struct nm_chain *pre;
	const struct nm_set *s;
	const struct nm_elem *el;
	const struct nm_expr *e;
	struct nm_model m;
	int bind;

	load_parse("edge", &m);
	assert_sane(&m);

	/* flags dormant: never hooked, so not in the model */
	assert_true(nm_find_chain(&m, "dormant_nat", NFPROTO_IPV4, "pre") < 0);
	pre = chain(&m, "edge", NFPROTO_IPV4, "pre");
	assert_int_equal(pre->prio, -105);
	assert_int_equal(pre->nrules, 13);

	/* ip daddr vmap @vm */
	e = last_op(&pre->rules[0], NM_OP_LOOKUP);
	s = &m.sets[e->lookup.set];
	assert_string_equal(s->name, "vm");
	el = find_elem(s, "\xcb\x00\x71\x01", 4);
	assert_int_equal(el->verdict, NFT_GOTO);
	assert_int_equal(el->chain, chain_idx(&m, "edge", NFPROTO_IPV4, "to_a"));
	el = find_elem(s, "\xcb\x00\x71\x02", 4);
	assert_int_equal(el->verdict, NFT_JUMP);
	assert_int_equal(el->chain, chain_idx(&m, "edge", NFPROTO_IPV4, "to_b"));
	el = find_elem(s, "\xcb\x00\x71\x03", 4);
	assert_int_equal(el->verdict, NF_DROP);
	assert_int_equal(el->chain, -1);

	/* jump { ... }: a binding chain, dumped like any other */
	e = last_op(&pre->rules[1], NM_OP_IMMEDIATE);
	assert_int_equal(e->imm.verdict, NFT_JUMP);
	bind = e->imm.chain;
	assert_true(bind >= 0);
	assert_memory_equal(m.chains[bind].name, "__chain", 7);
	assert_int_equal(m.chains[bind].nrules, 1);

	/* meta mark set meta mark << 8 */
	e = &pre->rules[2].exprs[1];
	assert_int_equal(e->op, NM_OP_BITWISE);
	assert_int_equal(e->bitwise.op, NFT_BITWISE_LSHIFT);
	assert_int_equal(e->bitwise.shift, 8);
	e = &pre->rules[2].exprs[2];
	assert_int_equal(e->op, NM_OP_META_SET);
	assert_int_equal(e->set_stmt.key, NFT_META_MARK);
	assert_int_equal(e->sreg, NFT_REG_1);
	e = last_op(&pre->rules[3], NM_OP_CT_SET);
	assert_int_equal(e->set_stmt.key, NFT_CT_MARK);
	assert_string_equal(last_op(&pre->rules[4], NM_OP_UNKNOWN)->unknown,
			    "quota");
	assert_string_equal(last_op(&pre->rules[7], NM_OP_UNKNOWN)->unknown,
			    "payload set");

	/* ip saddr & 255.255.255.0 == 198.51.100.0 */
	e = &pre->rules[5].exprs[1];
	assert_int_equal(e->op, NM_OP_BITWISE);
	assert_int_equal(e->bitwise.op, NFT_BITWISE_BOOL);
	assert_ip4(&e->bitwise.mask, "255.255.255.0");
	assert_ip4(&e->bitwise.xor, "0.0.0.0");

	/* a map with a catch-all element: last, covering everything */
	s = set(&m, "edge", NFPROTO_IPV4, "port_map");
	assert_int_equal(s->nelems, 2);
	assert_port_elem(&s->elems[0], 80, 80);
	assert_ip4(&s->elems[0].data, "192.168.50.20");
	assert_port_elem(&s->elems[1], 0, 65535);
	assert_ip4(&s->elems[1].data, "192.168.50.21");

	/* fib daddr type local */
	e = &pre->rules[8].exprs[0];
	assert_int_equal(e->op, NM_OP_FIB);
	assert_int_equal(e->fib.result, NFT_FIB_RESULT_ADDRTYPE);
	assert_true(e->fib.flags & NFTA_FIB_F_DADDR);

	/* ip protocol udp: a payload load, not meta l4proto */
	e = &pre->rules[9].exprs[0];
	assert_int_equal(e->op, NM_OP_PAYLOAD);
	assert_int_equal(e->payload.base, NFT_PAYLOAD_NETWORK_HEADER);
	assert_int_equal(e->payload.offset, 9);

	/* ct original ip saddr */
	e = &pre->rules[10].exprs[0];
	assert_int_equal(e->op, NM_OP_CT);
	assert_int_equal(e->ct.key, NFT_CT_SRC_IP);
	assert_int_equal(e->ct.dir, IP_CT_DIR_ORIGINAL);

	/* dnat to .45-.46:9000-9001 random,persistent */
	e = last_op(&pre->rules[11], NM_OP_NAT);
	assert_int_equal(e->nat.reg_addr_min, NFT_REG_1);
	assert_int_equal(e->nat.reg_addr_max, NFT_REG_2);
	assert_int_equal(e->nat.reg_proto_min, NFT_REG_3);
	assert_int_equal(e->nat.reg_proto_max, NFT_REG_4);
	assert_true(e->nat.flags & NF_NAT_RANGE_PERSISTENT);
	assert_true(e->nat.flags & NF_NAT_RANGE_PROTO_RANDOM);
	nm_model_free(&m);
}

static void test_range(void **state)
{
	const struct nm_chain *pre;
	const struct nm_expr *e;
	const struct nm_rule *r;
	struct nm_model m;

	load_parse("edge", &m);
	pre = chain(&m, "edge", NFPROTO_IPV4, "pre");
	r = &pre->rules[pre->nrules - 1];
	e = last_op(r, NM_OP_RANGE);
	assert_int_equal(e->range.op, NFT_RANGE_NEQ);
	assert_int_equal(e->sreg, NFT_REG_1);
	assert_int_equal(e->len, 4);
	assert_ip4(&e->range.from, "198.51.100.10");
	assert_ip4(&e->range.to, "198.51.100.20");
	nm_model_free(&m);
}

/* Debian 13's nft 1.1.3 (fixture writer13, captured with it): mark math
 * as a two-register or, port ranges as "range eq". */
static void test_writer13(void **state)
{
	const struct nm_chain *c;
	const struct nm_expr *e;
	const struct nm_rule *r;
	struct nm_model m;

	load_parse("writer13", &m);
	assert_sane(&m);
	c = chain(&m, "writer13", NFPROTO_IPV4, "mangle");
	assert_false(c->nat);
	r = &c->rules[0];
	assert_ops(r, 6, NM_OP_CT, NM_OP_BITWISE, NM_OP_META, NM_OP_BITWISE,
		   NM_OP_BITWISE, NM_OP_CT_SET);
	e = &r->exprs[4];
	assert_int_equal(e->bitwise.op, NM_BITWISE_OR);
	assert_int_equal(e->sreg, NFT_REG_1);
	assert_int_equal(e->bitwise.sreg2, NFT_REG_2);
	assert_int_equal(e->dreg, NFT_REG_1);
	assert_int_equal(e->len, 4);
	assert_int_equal(e->bitwise.mask.len, 0);
	assert_int_equal(e->bitwise.xor.len, 0);
	assert_int_equal(r->exprs[3].bitwise.op, NFT_BITWISE_BOOL);
	assert_int_equal(r->exprs[3].sreg, NFT_REG_2);
	c = chain(&m, "writer13", NFPROTO_IPV4, "pre");
	e = last_op(&c->rules[0], NM_OP_RANGE);
	assert_int_equal(e->range.op, NFT_RANGE_EQ);
	assert_port(&e->range.from, 1000);
	assert_port(&e->range.to, 2000);
	nm_model_free(&m);
}

/* ---- hand-built captures ----------------------------------------------- */

struct cap {
	char buf[16384];
	size_t len;
};

static struct nlmsghdr *put(struct cap *c, uint16_t msg, uint8_t family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(c->buf + c->len);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | msg;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	return nlh;
}

static void done(struct cap *c, struct nlmsghdr *nlh)
{
	c->len += NLMSG_ALIGN(nlh->nlmsg_len);
	assert_true(c->len < sizeof(c->buf) - 4096);
}

static void put_done(struct cap *c)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(c->buf + c->len);

	/* Not put(): NLMSG_DONE is 3, and so is NFT_MSG_NEWCHAIN. */
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	done(c, nlh);
}

static void put_value(struct nlmsghdr *nlh, uint16_t type, const void *v,
		      size_t len)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, type);

	mnl_attr_put(nlh, NFTA_DATA_VALUE, len, v);
	mnl_attr_nest_end(nlh, n);
}

static void put_u32(struct nlmsghdr *nlh, uint16_t type, uint32_t v)
{
	mnl_attr_put_u32(nlh, type, htonl(v));
}

/* Knobs that break one thing at a time. */
enum variant {
	V_GOOD,
	V_SHORT_U32,		/* NFTA_CMP_OP of 2 bytes */
	V_UNTERMINATED,		/* a chain name without its NUL */
	V_NO_CHAIN,		/* a rule for a chain never dumped */
	V_BAD_JUMP,		/* a jump to a chain never dumped */
	V_NO_ELEMS,		/* the set's element section missing */
	V_TRAILING,		/* bytes after the last DONE */
	V_BAD_REG,		/* register 7 does not exist */
	V_BIG_DATA,		/* a 65-byte value */
	V_ARP,			/* everything in an arp table */
	V_OR_MASK,		/* a two-register or with a mask */
	V_OR_NO_SREG2,		/* a two-register or without its sreg2 */
	V_BITWISE_OP6,		/* a bitwise op no kernel has yet */
};

/* A two-register bitwise, as nft 1.1.2+ writes mark math; broken by @v. */
static void put_bitwise2(struct nlmsghdr *nlh, enum variant v)
{
	struct nlattr *el, *data;
	uint32_t mask = ~0u;

	el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, "bitwise");
	data = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
	put_u32(nlh, NFTA_BITWISE_SREG, NFT_REG_1);
	put_u32(nlh, NFTA_BITWISE_DREG, NFT_REG_1);
	put_u32(nlh, NFTA_BITWISE_LEN, 4);
	put_u32(nlh, NFTA_BITWISE_OP, v == V_BITWISE_OP6 ? 6 : NM_BITWISE_OR);
	if (v != V_OR_NO_SREG2)
		put_u32(nlh, NM_NFTA_BITWISE_SREG2, NFT_REG_2);
	if (v == V_OR_MASK)
		put_value(nlh, NFTA_BITWISE_MASK, &mask, 4);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, el);
}

/* u16 big-endian keys of an rbtree interval set, in scrambled order:
 * the 0 end marker, [10, 20], [21, 30], [100, top). */
static const struct {
	uint16_t key;
	bool end;
} rb_elems[] = {
	{ 21, false }, { 0, true }, { 100, false }, { 31, true },
	{ 10, false }, { 21, true },
};

static void build(struct cap *c, enum variant v)
{
	uint8_t fam = v == V_ARP ? NFPROTO_ARP : NFPROTO_IPV4;
	struct nlattr *list, *el, *ex, *data, *hook, *d, *vd;
	struct nlmsghdr *nlh;
	uint16_t key;
	unsigned int i;

	memset(c, 0, sizeof(*c));
	nlh = put(c, NFT_MSG_NEWGEN, AF_UNSPEC);
	put_u32(nlh, NFTA_GEN_ID, 7);
	done(c, nlh);

	nlh = put(c, NFT_MSG_NEWTABLE, fam);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, "t");
	put_u32(nlh, NFTA_TABLE_FLAGS, 0);
	done(c, nlh);
	put_done(c);

	nlh = put(c, NFT_MSG_NEWCHAIN, fam);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, "t");
	if (v == V_UNTERMINATED)
		mnl_attr_put(nlh, NFTA_CHAIN_NAME, 3, "pre");
	else
		mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, "pre");
	hook = mnl_attr_nest_start(nlh, NFTA_CHAIN_HOOK);
	put_u32(nlh, NFTA_HOOK_HOOKNUM, NF_INET_PRE_ROUTING);
	put_u32(nlh, NFTA_HOOK_PRIORITY, (uint32_t)-100);
	mnl_attr_nest_end(nlh, hook);
	put_u32(nlh, NFTA_CHAIN_POLICY, NF_ACCEPT);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TYPE, "nat");
	done(c, nlh);
	nlh = put(c, NFT_MSG_NEWCHAIN, fam);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, "t");
	mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, "sub");
	done(c, nlh);
	put_done(c);

	nlh = put(c, NFT_MSG_NEWSET, fam);
	mnl_attr_put_strz(nlh, NFTA_SET_TABLE, "t");
	mnl_attr_put_strz(nlh, NFTA_SET_NAME, "ports");
	put_u32(nlh, NFTA_SET_FLAGS, NFT_SET_INTERVAL);
	put_u32(nlh, NFTA_SET_KEY_LEN, 2);
	put_u32(nlh, NFTA_SET_ID, 1);
	done(c, nlh);
	put_done(c);

	/* The capture asks for no elements of sets it does not read. */
	if (v != V_NO_ELEMS && v != V_ARP) {
		nlh = put(c, NFT_MSG_NEWSETELEM, fam);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, "t");
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, "ports");
		list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
		for (i = 0; i < sizeof(rb_elems) / sizeof(rb_elems[0]); i++) {
			el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
			key = htons(rb_elems[i].key);
			put_value(nlh, NFTA_SET_ELEM_KEY, &key, 2);
			if (rb_elems[i].end)
				put_u32(nlh, NFTA_SET_ELEM_FLAGS,
					NFT_SET_ELEM_INTERVAL_END);
			mnl_attr_nest_end(nlh, el);
		}
		mnl_attr_nest_end(nlh, list);
		done(c, nlh);
		put_done(c);
	}

	nlh = put(c, NFT_MSG_NEWRULE, fam);
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, "t");
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, v == V_NO_CHAIN ? "gone" : "pre");
	mnl_attr_put_u64(nlh, NFTA_RULE_HANDLE, htobe64(42));
	/* libnftnl's udata: type 0 (comment), length, string */
	mnl_attr_put(nlh, NFTA_RULE_USERDATA, 7, "\x00\x05hey!");
	list = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);

	el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, "payload");
	data = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
	put_u32(nlh, NFTA_PAYLOAD_DREG, v == V_BAD_REG ? 7 : NFT_REG_1);
	put_u32(nlh, NFTA_PAYLOAD_BASE, NFT_PAYLOAD_TRANSPORT_HEADER);
	put_u32(nlh, NFTA_PAYLOAD_OFFSET, 2);
	put_u32(nlh, NFTA_PAYLOAD_LEN, 2);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, el);

	el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, "lookup");
	data = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
	mnl_attr_put_strz(nlh, NFTA_LOOKUP_SET, "ports");
	put_u32(nlh, NFTA_LOOKUP_SREG, NFT_REG_1);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, el);

	el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, "cmp");
	data = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
	put_u32(nlh, NFTA_CMP_SREG, NFT_REG_1);
	if (v == V_SHORT_U32)
		mnl_attr_put_u16(nlh, NFTA_CMP_OP, 0);
	else
		put_u32(nlh, NFTA_CMP_OP, NFT_CMP_NEQ);
	if (v == V_BIG_DATA) {
		static const char big[65];

		put_value(nlh, NFTA_CMP_DATA, big, sizeof(big));
	} else {
		key = htons(53);
		put_value(nlh, NFTA_CMP_DATA, &key, 2);
	}
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, el);

	el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, "frobnicate");
	data = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
	put_u32(nlh, 1, 1);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, el);

	put_bitwise2(nlh, v);

	el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, "immediate");
	ex = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
	put_u32(nlh, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
	d = mnl_attr_nest_start(nlh, NFTA_IMMEDIATE_DATA);
	vd = mnl_attr_nest_start(nlh, NFTA_DATA_VERDICT);
	put_u32(nlh, NFTA_VERDICT_CODE, (uint32_t)NFT_GOTO);
	mnl_attr_put_strz(nlh, NFTA_VERDICT_CHAIN,
			  v == V_BAD_JUMP ? "nowhere" : "sub");
	mnl_attr_nest_end(nlh, vd);
	mnl_attr_nest_end(nlh, d);
	mnl_attr_nest_end(nlh, ex);
	mnl_attr_nest_end(nlh, el);

	mnl_attr_nest_end(nlh, list);
	done(c, nlh);
	put_done(c);
	if (v == V_TRAILING) {
		memset(c->buf + c->len, 0, 16);
		c->len += 16;
	}
}

static void test_built(void **state)
{
	const struct nm_chain *pre;
	const struct nm_set *s;
	const struct nm_rule *r;
	struct nm_model m = { 0 };
	struct cap *c = malloc(sizeof(*c));

	assert_non_null(c);
	build(c, V_GOOD);
	assert_int_equal(nft_parse(c->buf, c->len, &m), 0);
	assert_sane(&m);
	assert_int_equal(m.genid, 7);
	assert_int_equal(m.nchains, 2);
	pre = chain(&m, "t", NFPROTO_IPV4, "pre");
	assert_true(pre->nat);
	assert_int_equal(pre->prio, -100);
	r = &pre->rules[0];
	assert_int_equal(r->handle, 42);
	assert_string_equal(r->comment, "hey!");
	assert_ops(r, 6, NM_OP_PAYLOAD, NM_OP_LOOKUP, NM_OP_CMP,
		   NM_OP_UNKNOWN, NM_OP_BITWISE, NM_OP_IMMEDIATE);
	assert_int_equal(r->exprs[1].len, 2);
	assert_string_equal(r->exprs[3].unknown, "frobnicate");
	assert_int_equal(r->exprs[4].bitwise.op, NM_BITWISE_OR);
	assert_int_equal(r->exprs[4].bitwise.sreg2, NFT_REG_2);
	assert_int_equal(r->exprs[5].imm.verdict, NFT_GOTO);
	assert_int_equal(r->exprs[5].imm.chain,
			 chain_idx(&m, "t", NFPROTO_IPV4, "sub"));

	/* scrambled starts and exclusive ends become inclusive ranges; the
	 * lone end at 0 opens nothing; the last start runs to the top */
	s = set(&m, "t", NFPROTO_IPV4, "ports");
	assert_int_equal(s->nelems, 3);
	assert_port_elem(&s->elems[0], 10, 20);
	assert_port_elem(&s->elems[1], 21, 30);
	assert_port_elem(&s->elems[2], 100, 65535);
	nm_model_free(&m);

	/* unaligned input parses the same */
	{
		char *u = malloc(c->len + 1);

		assert_non_null(u);
		memcpy(u + 1, c->buf, c->len);
		assert_int_equal(nft_parse(u + 1, c->len, &m), 0);
		assert_int_equal(m.sets[0].nelems, 3);
		nm_model_free(&m);
		free(u);
	}

	/* an op that no kernel we know has: named, the rule unknown */
	build(c, V_BITWISE_OP6);
	assert_int_equal(nft_parse(c->buf, c->len, &m), 0);
	r = &chain(&m, "t", NFPROTO_IPV4, "pre")->rules[0];
	assert_int_equal(r->exprs[4].op, NM_OP_UNKNOWN);
	assert_string_equal(r->exprs[4].unknown, "bitwise op 6");
	nm_model_free(&m);

	/* tables of families we do not read are skipped, whole */
	build(c, V_ARP);
	assert_int_equal(nft_parse(c->buf, c->len, &m), 0);
	assert_int_equal(m.nchains, 0);
	assert_int_equal(m.nsets, 0);
	assert_int_equal(m.genid, 7);
	nm_model_free(&m);
	free(c);
}

static void test_built_bad(void **state)
{
	static const enum variant bad[] = {
		V_SHORT_U32, V_UNTERMINATED, V_NO_CHAIN, V_BAD_JUMP,
		V_NO_ELEMS, V_TRAILING, V_BAD_REG, V_BIG_DATA, V_OR_MASK,
		V_OR_NO_SREG2,
	};
	struct cap *c = malloc(sizeof(*c));
	struct nm_model m;
	unsigned int i;

	assert_non_null(c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		build(c, bad[i]);
		memset(&m, 0, sizeof(m));
		if (nft_parse(c->buf, c->len, &m) != -EBADMSG)
			fail_msg("variant %d parsed", bad[i]);
		assert_int_equal(m.nchains, 0);
		assert_null(m.chains);
	}
	free(c);
}

/* A netdev ingress chain on two devices, one with a 2-letter name (a
 * 3-byte attribute, shorter than an attribute header); with @cut, the
 * list's last name cut short inside it. */
static void build_ingress(struct cap *c, bool cut)
{
	struct nlattr *hook, *devs;
	struct nlmsghdr *nlh;

	memset(c, 0, sizeof(*c));
	nlh = put(c, NFT_MSG_NEWGEN, AF_UNSPEC);
	put_u32(nlh, NFTA_GEN_ID, 1);
	done(c, nlh);
	nlh = put(c, NFT_MSG_NEWTABLE, NFPROTO_NETDEV);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, "n");
	done(c, nlh);
	put_done(c);
	nlh = put(c, NFT_MSG_NEWCHAIN, NFPROTO_NETDEV);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, "n");
	mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, "in");
	hook = mnl_attr_nest_start(nlh, NFTA_CHAIN_HOOK);
	put_u32(nlh, NFTA_HOOK_HOOKNUM, NF_NETDEV_INGRESS);
	put_u32(nlh, NFTA_HOOK_PRIORITY, 0);
	devs = mnl_attr_nest_start(nlh, NFTA_HOOK_DEVS);
	mnl_attr_put_strz(nlh, NFTA_DEVICE_NAME, "br");
	mnl_attr_put_strz(nlh, NFTA_DEVICE_NAME, "wan0");
	mnl_attr_nest_end(nlh, devs);
	mnl_attr_nest_end(nlh, hook);
	if (cut) {
		/* "wan0\0" pads to 8 bytes; its nest, the hook and the
		 * message end 4 bytes sooner, the name does not */
		devs->nla_len -= 4;
		hook->nla_len -= 4;
		nlh->nlmsg_len -= 4;
	}
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TYPE, "filter");
	done(c, nlh);
	put_done(c);
	put_done(c);
	put_done(c);
}

static void test_ingress_devs(void **state)
{
	struct nm_model m = { 0 };
	struct cap *c = malloc(sizeof(*c));
	const struct nm_chain *in;

	(void)state;
	assert_non_null(c);
	build_ingress(c, false);
	assert_int_equal(nft_parse(c->buf, c->len, &m), 0);
	in = chain(&m, "n", NFPROTO_NETDEV, "in");
	assert_int_equal(in->hook, NM_HOOK_INGRESS);
	assert_int_equal(in->ndevs, 2);
	assert_string_equal(in->devs[0], "br");
	assert_string_equal(in->devs[1], "wan0");
	nm_model_free(&m);

	build_ingress(c, true);
	assert_int_equal(nft_parse(c->buf, c->len, &m), -EBADMSG);
	assert_null(m.chains);
	free(c);
}

static void test_bad_args(void **state)
{
	struct nm_model m = { 0 };
	char junk[64];
	unsigned int i;

	assert_int_equal(nft_parse(NULL, 4, &m), -EINVAL);
	assert_int_equal(nft_parse(junk, 4, NULL), -EINVAL);
	assert_int_equal(nft_parse(NULL, 0, &m), -EBADMSG);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = i * 37 + 11;
	assert_int_equal(nft_parse(junk, sizeof(junk), &m), -EBADMSG);
	memset(junk, 0xff, sizeof(junk));
	assert_int_equal(nft_parse(junk, sizeof(junk), &m), -EBADMSG);
	memset(junk, 0, sizeof(junk));
	assert_int_equal(nft_parse(junk, sizeof(junk), &m), -EBADMSG);
	assert_null(m.chains);
}

/* ---- truncated and mutated fixtures ------------------------------------ */

static const char *const fixtures[] = {
	"seed", "fw4", "ipv6-dnat", "iptables-nft", "edge", "writer13",
};

/* Every proper prefix is an error: the layout ends in the rules' DONE. */
static void test_truncated(void **state)
{
	unsigned int f;

	for (f = 0; f < sizeof(fixtures) / sizeof(fixtures[0]); f++) {
		struct nm_model m = { 0 };
		size_t len, i;
		char *buf = load(fixtures[f], &len);

		for (i = 0; i < len; i++) {
			char *cut = malloc(i ? i : 1);

			assert_non_null(cut);
			memcpy(cut, buf, i);
			if (nft_parse(cut, i, &m) >= 0)
				fail_msg("%s cut at %zu parsed", fixtures[f],
					 i);
			assert_null(m.chains);
			free(cut);
		}
		free(buf);
	}
}


/*
 * A dump cut short that still ends in NLMSG_DONE (the kernel never sends
 * one, but the parse must not rest on that): drop the first k messages of
 * the rule section, or of one chain's rules, keep the DONE.  Chains count
 * their rules in NFTA_CHAIN_USE, so a ruleset with rules missing is
 * refused (-EBADMSG) instead of passing for a smaller one, which would make
 * the flows of the missing rules look stale.
 */
static void test_rules_dropped(void **state)
{
	unsigned int f;

	(void)state;
	for (f = 0; f < sizeof(fixtures) / sizeof(fixtures[0]); f++) {
		size_t len, off = 0, first = 0, end = 0;
		char *buf = load(fixtures[f], &len);
		unsigned int nrules = 0;

		/* find the NEWRULE messages: the last section */
		while (off + sizeof(struct nlmsghdr) <= len) {
			const struct nlmsghdr *nlh = (void *)(buf + off);

			if ((nlh->nlmsg_type & 0xff) == NFT_MSG_NEWRULE &&
			    (nlh->nlmsg_type >> 8) == NFNL_SUBSYS_NFTABLES) {
				if (!nrules++)
					first = off;
				end = off + NLMSG_ALIGN(nlh->nlmsg_len);
			}
			off += NLMSG_ALIGN(nlh->nlmsg_len);
		}
		if (!nrules)
			continue;
		/* every rule gone, then only the last one */
		for (int k = 0; k < 2; k++) {
			size_t from = k ? end - NLMSG_ALIGN(((struct nlmsghdr *)
					(buf + first))->nlmsg_len) : first;
			struct nm_model m = { 0 };
			char *cut = malloc(len);

			if (k) {
				/* the last rule: walk to it */
				size_t o = first, last = first;

				while (o < end) {
					last = o;
					o += NLMSG_ALIGN(((struct nlmsghdr *)
						(buf + o))->nlmsg_len);
				}
				from = last;
			}
			assert_non_null(cut);
			memcpy(cut, buf, from);
			memcpy(cut + from, buf + end, len - end);
			if (nft_parse(cut, from + len - end, &m) != -EBADMSG)
				fail_msg("%s: %s dropped, still parsed",
					 fixtures[f], k ? "the last rule" :
					 "every rule");
			assert_null(m.chains);
			free(cut);
		}
		free(buf);
	}
}

/* ---- nests cut short or with bytes left over -------------------------- */

#define MSG(t)	((NFNL_SUBSYS_NFTABLES << 8) | (t))

/*
 * A copy of @buf with @delta zero bytes put in at @at (or -@delta bytes
 * taken out there), and the lengths of the message at @msg and of the
 * attributes at @outer[0..n) moved by as much: only what lies inside the
 * innermost of them is out of shape.
 */
static char *splice(const char *buf, size_t len, size_t at, int delta,
		    size_t msg, const size_t *outer, unsigned int n,
		    size_t *out_len)
{
	char *c = calloc(1, len + (delta > 0 ? delta : 0));
	unsigned int i;

	assert_non_null(c);
	memcpy(c, buf, at);
	if (delta > 0)
		memcpy(c + at + delta, buf + at, len - at);
	else
		memcpy(c + at, buf + at - delta, len - at + delta);
	((struct nlmsghdr *)(c + msg))->nlmsg_len += delta;
	for (i = 0; i < n; i++)
		((struct nlattr *)(c + outer[i]))->nla_len += delta;
	*out_len = len + delta;
	return c;
}

struct nest_walk {
	const char *name, *buf;
	size_t len, msg;
	const uint16_t *path;	/* nest types, outermost first */
	unsigned int depth;
	size_t outer[4];
	unsigned int cases;
};

static void expect_bad(struct nest_walk *w, unsigned int n, size_t at,
		       int delta, const char *what)
{
	struct nm_model m = { 0 };
	size_t len;
	char *c = splice(w->buf, w->len, at, delta, w->msg, w->outer, n, &len);
	int err = nft_parse(c, len, &m);

	if (err != -EBADMSG)
		fail_msg("%s: message at %zu, nest %u deep at %zu: %s: %d",
			 w->name, w->msg, n, n ? w->outer[n - 1] : w->msg,
			 what, err);
	assert_null(m.chains);
	free(c);
	w->cases++;
}

/* The attributes in [@p, @end) at nest depth @d of @w->path: in each nest
 * of the path's type, zeros after its last attribute, and its last
 * attribute cut short (the nest ends 4 bytes before it does). */
static void cut_nests(struct nest_walk *w, size_t p, size_t end,
		      unsigned int d)
{
	while (p + sizeof(struct nlattr) <= end) {
		const struct nlattr *a = (const void *)(w->buf + p);
		size_t in = p + MNL_ATTR_HDRLEN, stop = p + a->nla_len;
		const struct nlattr *last = NULL;

		if ((a->nla_type & NLA_TYPE_MASK) == w->path[d]) {
			w->outer[d] = p;
			expect_bad(w, d + 1, stop, 4, "zeros at the end");
			for (size_t q = in; q + MNL_ATTR_HDRLEN <= stop;
			     q += MNL_ALIGN(((struct nlattr *)(w->buf + q))->nla_len))
				last = (const void *)(w->buf + q);
			if (last && last->nla_len > MNL_ATTR_HDRLEN)
				expect_bad(w, d + 1, stop - 4, -4,
					   "last attribute cut short");
			if (d + 1 < w->depth)
				cut_nests(w, in, stop, d + 1);
		}
		p += MNL_ALIGN(a->nla_len);
	}
}

/*
 * libmnl's walkers stop at an attribute that does not fit, and at bytes
 * that are not one, without a word: a rule whose last expression is cut
 * would read as a rule without it.  In every message of every fixture,
 * each nest the parser reads, at every depth down to an expression's data
 * or a set element, cut or padded with junk: -EBADMSG every time.  And
 * the same at the message's own top level.
 */
static void test_nests_cut(void **state)
{
	static const uint16_t rule[] = {
		NFTA_RULE_EXPRESSIONS, NFTA_LIST_ELEM, NFTA_EXPR_DATA,
	};
	static const uint16_t elem[] = {
		NFTA_SET_ELEM_LIST_ELEMENTS, NFTA_LIST_ELEM, NFTA_SET_ELEM_KEY,
	};
	static const uint16_t hook[] = { NFTA_CHAIN_HOOK };
	static const uint16_t desc[] = { NFTA_SET_DESC };
	unsigned int f, total = 0;

	(void)state;
	for (f = 0; f < sizeof(fixtures) / sizeof(fixtures[0]); f++) {
		struct nest_walk w = { .name = fixtures[f] };
		size_t off = 0, hdr = NLMSG_HDRLEN + sizeof(struct nfgenmsg);
		char *buf = load(fixtures[f], &w.len);

		w.buf = buf;
		while (off + sizeof(struct nlmsghdr) <= w.len) {
			const struct nlmsghdr *nlh = (void *)(buf + off);
			uint16_t type = nlh->nlmsg_type;

			w.msg = off;
			w.path = NULL;
			if (type == MSG(NFT_MSG_NEWRULE))
				w.path = rule, w.depth = 3;
			else if (type == MSG(NFT_MSG_NEWSETELEM))
				w.path = elem, w.depth = 3;
			else if (type == MSG(NFT_MSG_NEWCHAIN))
				w.path = hook, w.depth = 1;
			else if (type == MSG(NFT_MSG_NEWSET))
				w.path = desc, w.depth = 1;
			if (w.path) {
				expect_bad(&w, 0, off + nlh->nlmsg_len, 4,
					   "zeros after the last attribute");
				cut_nests(&w, off + hdr,
					  off + nlh->nlmsg_len, 0);
			}
			off += NLMSG_ALIGN(nlh->nlmsg_len);
		}
		total += w.cases;
		free(buf);
	}
	/* the fixtures do hold nests down to every depth */
	assert_true(total > 200);
}

static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

/* Whatever the bytes, no crash, and a model that parses is sane. */
static void try_parse(const char *buf, size_t len, unsigned int *ok)
{
	struct nm_model m = { 0 };
	int err = nft_parse(buf, len, &m);

	if (err == 0) {
		assert_sane(&m);
		nm_model_free(&m);
		(*ok)++;
	} else {
		assert_true(err == -EBADMSG || err == -ENOMEM);
		assert_null(m.chains);
	}
}

static void test_mutated(void **state)
{
	unsigned int f, ok = 0, bad = 0;

	for (f = 0; f < sizeof(fixtures) / sizeof(fixtures[0]); f++) {
		size_t len, i, n;
		char *buf = load(fixtures[f], &len);
		char *mut = malloc(len);

		assert_non_null(mut);
		/* every byte inverted, one at a time */
		for (i = 0; i < len; i++) {
			unsigned int before = ok;

			memcpy(mut, buf, len);
			mut[i] ^= 0xff;
			try_parse(mut, len, &ok);
			bad += ok == before;
		}
		/* and a few random bytes at a time */
		for (i = 0; i < 2000; i++) {
			memcpy(mut, buf, len);
			for (n = 1 + rnd() % 8; n; n--)
				mut[rnd() % len] = rnd();
			try_parse(mut, len, &ok);
		}
		free(mut);
		free(buf);
	}
	/* Most flips hit a length, a type or a name and are caught; the
	 * count keeps the test honest about having parsed anything. */
	assert_true(bad > 0);
	assert_true(ok > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed),
		cmocka_unit_test(test_fw4),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_iptables_nft),
		cmocka_unit_test(test_edge),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_writer13),
		cmocka_unit_test(test_built),
		cmocka_unit_test(test_built_bad),
		cmocka_unit_test(test_ingress_devs),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_rules_dropped),
		cmocka_unit_test(test_nests_cut),
		cmocka_unit_test(test_mutated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
