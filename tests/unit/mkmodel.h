/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mkmodel.h - terse builders of models, network snapshots and flows for
 * unit tests.  Each expression helper mirrors what nft --debug=netlink
 * shows for the rule it stands for.  Allocation failures abort the test.
 */
#ifndef CTSWEEP_MKMODEL_H
#define CTSWEEP_MKMODEL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/rtnetlink.h>
#include "model.h"
#include "netenv.h"

static inline void *mk_check(void *p)
{
	if (!p) {
		fprintf(stderr, "mkmodel: out of memory\n");
		abort();
	}
	return p;
}

/* "192.168.50.1" or "fd00:50::1" */
static inline union addr A(const char *s)
{
	union addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(strchr(s, ':') ? AF_INET6 : AF_INET, s, a.b) != 1)
		abort();
	return a;
}

static inline uint8_t FAM(const char *s)
{
	return strchr(s, ':') ? AF_INET6 : AF_INET;
}

/* ---- model ---- */

static inline struct nm_chain *mk_chain(struct nm_model *m, uint8_t family,
					const char *name, int hook, int prio)
{
	struct nm_chain *c = mk_check(nm_add_chain(m));

	c->table = mk_check(strdup("t"));
	c->name = mk_check(strdup(name));
	c->family = family;
	c->source = NM_SRC_NFT;
	c->nat = hook >= 0;
	c->hook = hook;
	c->prio = prio;
	c->policy = NF_ACCEPT;
	return c;
}

static inline int mk_chain_index(const struct nm_model *m,
				 const struct nm_chain *c)
{
	return (int)(c - m->chains);
}

static inline struct nm_rule *mk_rule(struct nm_chain *c)
{
	struct nm_rule *r = mk_check(nm_add_rule(c));

	r->handle = c->nrules;
	return r;
}

static inline struct nm_expr *mk_expr(struct nm_rule *r, enum nm_op op)
{
	struct nm_expr *e = mk_check(nm_add_expr(r));

	e->op = op;
	return e;
}

static inline void mk_data(struct nm_data *d, const void *v, unsigned int len)
{
	d->len = len;
	memcpy(d->val, v, len);
}

static inline void mk_payload(struct nm_rule *r, int base, int off, int len,
			      int dreg)
{
	struct nm_expr *e = mk_expr(r, NM_OP_PAYLOAD);

	e->payload.base = base;
	e->payload.offset = off;
	e->len = len;
	e->dreg = dreg;
}

static inline void mk_meta(struct nm_rule *r, int key, int dreg)
{
	struct nm_expr *e = mk_expr(r, NM_OP_META);

	e->meta.key = key;
	e->dreg = dreg;
}

/* ct @key => reg @dreg */
static inline struct nm_expr *mk_ct(struct nm_rule *r, int key, int dreg)
{
	struct nm_expr *e = mk_expr(r, NM_OP_CT);

	e->ct.key = key;
	e->dreg = dreg;
	return e;
}

/* ct @key set reg @sreg */
static inline void mk_ct_set(struct nm_rule *r, int key, int sreg)
{
	struct nm_expr *e = mk_expr(r, NM_OP_CT_SET);

	e->set_stmt.key = key;
	e->sreg = sreg;
}

static inline void mk_cmp(struct nm_rule *r, int sreg, int op, const void *v,
			  unsigned int len)
{
	struct nm_expr *e = mk_expr(r, NM_OP_CMP);

	e->sreg = sreg;
	e->cmp.op = op;
	e->len = len;
	mk_data(&e->cmp.data, v, len);
}

static inline void mk_cmp_u8(struct nm_rule *r, int sreg, int op, uint8_t v)
{
	mk_cmp(r, sreg, op, &v, 1);
}

static inline void mk_cmp_be16(struct nm_rule *r, int sreg, int op,
			       uint16_t host)
{
	uint16_t v = htons(host);

	mk_cmp(r, sreg, op, &v, 2);
}

static inline void mk_cmp_u32(struct nm_rule *r, int sreg, int op, uint32_t v)
{
	mk_cmp(r, sreg, op, &v, 4);
}

static inline void mk_cmp_addr(struct nm_rule *r, int sreg, int op,
			       const char *s)
{
	union addr a = A(s);

	mk_cmp(r, sreg, op, a.b, FAM(s) == AF_INET6 ? 16 : 4);
}

static inline void mk_cmp_ifname(struct nm_rule *r, int sreg, int op,
				 const char *name)
{
	char buf[16] = { 0 };

	strncpy(buf, name, sizeof(buf) - 1);
	mk_cmp(r, sreg, op, buf, 16);
}

static inline void mk_bitwise(struct nm_rule *r, int sreg, int dreg,
			      const void *mask, const void *xor,
			      unsigned int len)
{
	struct nm_expr *e = mk_expr(r, NM_OP_BITWISE);

	e->sreg = sreg;
	e->dreg = dreg;
	e->len = len;
	e->bitwise.op = NFT_BITWISE_BOOL;
	mk_data(&e->bitwise.mask, mask, len);
	mk_data(&e->bitwise.xor, xor, len);
}

static inline void mk_shift(struct nm_rule *r, int op, int sreg, int dreg,
			    unsigned int len, uint32_t shift)
{
	struct nm_expr *e = mk_expr(r, NM_OP_BITWISE);

	e->sreg = sreg;
	e->dreg = dreg;
	e->len = len;
	e->bitwise.op = op;
	e->bitwise.shift = shift;
}

/* "bitwise @dreg = ( @sreg OP @sreg2 )", OP NM_BITWISE_AND/_OR/_XOR */
static inline void mk_bitwise2(struct nm_rule *r, int op, int sreg,
			       int sreg2, int dreg, unsigned int len)
{
	struct nm_expr *e = mk_expr(r, NM_OP_BITWISE);

	e->sreg = sreg;
	e->dreg = dreg;
	e->len = len;
	e->bitwise.op = op;
	e->bitwise.sreg2 = sreg2;
}

static inline void mk_range_be16(struct nm_rule *r, int sreg, int op,
				 uint16_t lo, uint16_t hi)
{
	struct nm_expr *e = mk_expr(r, NM_OP_RANGE);
	uint16_t a = htons(lo), b = htons(hi);

	e->sreg = sreg;
	e->len = 2;
	e->range.op = op;
	mk_data(&e->range.from, &a, 2);
	mk_data(&e->range.to, &b, 2);
}

static inline void mk_imm(struct nm_rule *r, int dreg, const void *v,
			  unsigned int len)
{
	struct nm_expr *e = mk_expr(r, NM_OP_IMMEDIATE);

	e->dreg = dreg;
	e->len = len;
	mk_data(&e->imm.data, v, len);
	e->imm.chain = -1;
}

static inline void mk_imm_addr(struct nm_rule *r, int dreg, const char *s)
{
	union addr a = A(s);

	mk_imm(r, dreg, a.b, FAM(s) == AF_INET6 ? 16 : 4);
}

static inline void mk_imm_be16(struct nm_rule *r, int dreg, uint16_t host)
{
	uint16_t v = htons(host);

	mk_imm(r, dreg, &v, 2);
}

static inline void mk_verdict(struct nm_rule *r, int verdict, int chain)
{
	struct nm_expr *e = mk_expr(r, NM_OP_IMMEDIATE);

	e->dreg = NFT_REG_VERDICT;
	e->imm.verdict = verdict;
	e->imm.chain = chain;
}

static inline void mk_lookup(struct nm_rule *r, int sreg, int set, int dreg,
			     bool invert)
{
	struct nm_expr *e = mk_expr(r, NM_OP_LOOKUP);

	e->sreg = sreg;
	e->lookup.set = set;
	e->lookup.invert = invert;
	e->lookup.has_dreg = dreg >= 0;
	e->dreg = dreg >= 0 ? dreg : 0;
}

static inline void mk_nat(struct nm_rule *r, int type, int family,
			  int reg_addr, int reg_addr_max, int reg_port,
			  int reg_port_max, uint32_t flags)
{
	struct nm_expr *e = mk_expr(r, NM_OP_NAT);

	e->nat.type = type;
	e->nat.family = family;
	e->nat.reg_addr_min = reg_addr;
	e->nat.reg_addr_max = reg_addr_max;
	e->nat.reg_proto_min = reg_port;
	e->nat.reg_proto_max = reg_port_max;
	e->nat.flags = flags;
}

/* "dnat to ADDR[:PORT]" as nft compiles it; port 0 = none. */
static inline void mk_nat_to(struct nm_rule *r, int type, const char *addr,
			     uint16_t port)
{
	int reg_port = 0;

	mk_imm_addr(r, NFT_REG_1, addr);
	if (port) {
		mk_imm_be16(r, NFT_REG_2, port);
		reg_port = NFT_REG_2;
	}
	mk_nat(r, type, FAM(addr), NFT_REG_1, 0, reg_port, 0, 0);
}

static inline void mk_dnat_to(struct nm_rule *r, const char *addr,
			      uint16_t port)
{
	mk_nat_to(r, NFT_NAT_DNAT, addr, port);
}

static inline void mk_snat_to(struct nm_rule *r, const char *addr,
			      uint16_t port)
{
	mk_nat_to(r, NFT_NAT_SNAT, addr, port);
}

static inline void mk_masq(struct nm_rule *r)
{
	mk_expr(r, NM_OP_MASQ);
}

static inline void mk_redir(struct nm_rule *r, uint16_t port)
{
	struct nm_expr *e;

	if (port)
		mk_imm_be16(r, NFT_REG_1, port);
	e = mk_expr(r, NM_OP_REDIR);
	e->redir.reg_proto_min = port ? NFT_REG_1 : 0;
}

/* "meta l4proto P" */
static inline void mk_l4proto(struct nm_rule *r, uint8_t proto)
{
	mk_meta(r, NFT_META_L4PROTO, NFT_REG_1);
	mk_cmp_u8(r, NFT_REG_1, NFT_CMP_EQ, proto);
}

/* "udp dport P" / "tcp dport P" */
static inline void mk_dport(struct nm_rule *r, uint8_t proto, uint16_t port)
{
	mk_l4proto(r, proto);
	mk_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	mk_cmp_be16(r, NFT_REG_1, NFT_CMP_EQ, port);
}

/* @proto dport @dport dnat to @addr:@port (port 0: the port is kept) */
static inline void mk_forward(struct nm_rule *r, uint8_t proto,
			      uint16_t dport, const char *addr, uint16_t port)
{
	mk_dport(r, proto, dport);
	mk_dnat_to(r, addr, port);
}

/* "ip saddr ADDR" / "ip6 daddr ADDR" */
static inline void mk_addr_match(struct nm_rule *r, int dst, int op,
				 const char *s)
{
	int v6 = FAM(s) == AF_INET6;

	mk_payload(r, NFT_PAYLOAD_NETWORK_HEADER,
		   v6 ? (dst ? 24 : 8) : (dst ? 16 : 12), v6 ? 16 : 4,
		   NFT_REG_1);
	mk_cmp_addr(r, NFT_REG_1, op, s);
}

/* "iifname NAME" / "oifname NAME" */
static inline void mk_ifname(struct nm_rule *r, int out, int op,
			     const char *name)
{
	mk_meta(r, out ? NFT_META_OIFNAME : NFT_META_IIFNAME, NFT_REG_1);
	mk_cmp_ifname(r, NFT_REG_1, op, name);
}

static inline struct nm_expr *mk_natspec(struct nm_rule *r, int type,
					 const char *lo, const char *hi,
					 uint16_t plo, uint16_t phi)
{
	struct nm_expr *e = mk_expr(r, NM_OP_NATSPEC);

	e->natspec.type = type;
	if (lo) {
		e->natspec.family = FAM(lo);
		e->natspec.flags |= NF_NAT_RANGE_MAP_IPS;
		e->natspec.addr_min = A(lo);
		e->natspec.addr_max = A(hi ? hi : lo);
	}
	if (plo) {
		e->natspec.flags |= NF_NAT_RANGE_PROTO_SPECIFIED;
		e->natspec.port_min = htons(plo);
		e->natspec.port_max = htons(phi ? phi : plo);
	}
	return e;
}

static inline struct nm_set *mk_set(struct nm_model *m, const char *name,
				    uint32_t flags, uint32_t key_len,
				    uint32_t data_len)
{
	struct nm_set *s = mk_check(nm_add_set(m));

	s->table = mk_check(strdup("t"));
	s->name = mk_check(strdup(name));
	s->family = NFPROTO_INET;
	s->flags = flags;
	s->key_len = key_len;
	s->data_len = data_len;
	return s;
}

static inline struct nm_elem *mk_elem(struct nm_set *s, const void *key,
				      const void *key_end, const void *data,
				      unsigned int dlen)
{
	struct nm_elem *el = mk_check(nm_add_elem(s));

	mk_data(&el->key, key, s->key_len);
	mk_data(&el->key_end, key_end ? key_end : key, s->key_len);
	if (data)
		mk_data(&el->data, data, dlen);
	return el;
}

/* ---- network snapshot ---- */

static inline void mk_link(struct netenv *env, uint32_t index,
			   const char *name)
{
	struct ne_link *l;

	env->links = mk_check(realloc(env->links,
				      (env->nlinks + 1) * sizeof(*l)));
	l = &env->links[env->nlinks++];
	memset(l, 0, sizeof(*l));
	l->index = index;
	strncpy(l->name, name, sizeof(l->name) - 1);
}

static inline void mk_addr(struct netenv *env, uint32_t ifindex,
			   const char *s, uint8_t plen)
{
	struct ne_addr *a;

	env->addrs = mk_check(realloc(env->addrs,
				      (env->naddrs + 1) * sizeof(*a)));
	a = &env->addrs[env->naddrs++];
	memset(a, 0, sizeof(*a));
	a->family = FAM(s);
	a->prefixlen = plen;
	a->ifindex = ifindex;
	a->addr = A(s);
}

/* gw and prefsrc may be NULL. */
static inline struct ne_route *mk_route(struct netenv *env, uint32_t table,
					uint8_t type, const char *dst,
					uint8_t dst_len, uint32_t oif,
					const char *gw, const char *prefsrc,
					uint32_t prio)
{
	struct ne_route *r;

	env->routes = mk_check(realloc(env->routes,
				       (env->nroutes + 1) * sizeof(*r)));
	r = &env->routes[env->nroutes++];
	memset(r, 0, sizeof(*r));
	r->family = FAM(dst);
	r->dst_len = dst_len;
	r->type = type;
	r->table = table;
	r->oif = oif;
	r->priority = prio;
	r->dst = A(dst);
	if (gw)
		r->gw = A(gw);
	if (prefsrc)
		r->prefsrc = A(prefsrc);
	return r;
}

/*
 * An interface the way the kernel sets one up: the link, the address, the
 * connected route in main (IPv4 with the address as prefsrc, IPv6 at
 * metric 256) and the local route in local.
 */
static inline void mk_iface(struct netenv *env, uint32_t index,
			    const char *name, const char *addr, uint8_t plen)
{
	union addr net = A(addr);
	uint8_t fam = FAM(addr);
	char buf[INET6_ADDRSTRLEN];
	unsigned int i, alen = fam == AF_INET6 ? 16 : 4;
	unsigned int l;

	if (!netenv_ifname(env, index))
		mk_link(env, index, name);
	mk_addr(env, index, addr, plen);
	for (i = 0; i < alen; i++) {
		l = plen > i * 8 ? plen - i * 8 : 0;
		net.b[i] &= l >= 8 ? 0xff : (uint8_t)(0xff << (8 - l));
	}
	inet_ntop(fam, &net, buf, sizeof(buf));
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, buf, plen, index, NULL,
		 fam == AF_INET ? addr : NULL, fam == AF_INET ? 0 : 256);
	mk_route(env, RT_TABLE_LOCAL, RTN_LOCAL, addr, alen * 8, index, NULL,
		 fam == AF_INET ? addr : NULL, 0);
}

static inline void mk_env_free(struct netenv *env)
{
	free(env->links);
	free(env->addrs);
	free(env->routes);
	memset(env, 0, sizeof(*env));
}

/* ---- flows ---- */

static inline struct tuple mk_tuple(uint8_t proto, const char *src,
				    uint16_t sport, const char *dst,
				    uint16_t dport)
{
	struct tuple t;

	memset(&t, 0, sizeof(t));
	t.family = FAM(src);
	t.l4proto = proto;
	t.src = A(src);
	t.dst = A(dst);
	t.sport = htons(sport);
	t.dport = htons(dport);
	return t;
}

/* orig src:sport -> dst:dport, replies from rsrc:rsport to rdst:rdport. */
static inline struct flow mk_flow(uint8_t proto, const char *src,
				  uint16_t sport, const char *dst,
				  uint16_t dport, const char *rsrc,
				  uint16_t rsport, const char *rdst,
				  uint16_t rdport)
{
	struct flow f;

	memset(&f, 0, sizeof(f));
	f.orig = mk_tuple(proto, src, sport, dst, dport);
	f.reply = mk_tuple(proto, rsrc, rsport, rdst, rdport);
	f.id = 1;
	return f;
}

/* @f as answered by @addr:@port (what the flow was NATed to). */
static inline void mk_reply_from(struct flow *f, const char *addr,
				 uint16_t port)
{
	f->reply.src = A(addr);
	f->reply.sport = htons(port);
}

/* A peer's flow: 198.51.100.7:40000 to the wan address 203.0.113.1:53820,
 * answered by @backend:@port. */
static inline struct flow peer_flow(const char *backend, uint16_t port)
{
	return mk_flow(IPPROTO_UDP, "198.51.100.7", 40000, "203.0.113.1",
		       53820, backend, port, "198.51.100.7", 40000);
}

#endif
