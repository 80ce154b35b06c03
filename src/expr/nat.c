// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * expr/nat.c - snat, dnat, masquerade, redirect, and xt's ready-made nat specs.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/rtnetlink.h>
#include "exprint.h"

/* dnat and redirect belong to prerouting and output, the rest to
 * postrouting and input (masquerade: postrouting only). */
static int hook_allows(int hook, int type)
{
	switch (type) {
	case NFT_NAT_DNAT:
	case NM_NAT_REDIR:
		return hook == NF_INET_PRE_ROUTING || hook == NF_INET_LOCAL_OUT;
	case NFT_NAT_SNAT:
		return hook == NF_INET_POST_ROUTING || hook == NF_INET_LOCAL_IN;
	case NM_NAT_MASQ:
		return hook == NF_INET_POST_ROUTING;
	}
	return 0;
}

static const char *nat_name(int type)
{
	switch (type) {
	case NFT_NAT_DNAT:
		return "dnat";
	case NFT_NAT_SNAT:
		return "snat";
	case NM_NAT_REDIR:
		return "redirect";
	case NM_NAT_MASQ:
		return "masquerade";
	}
	return "nat";
}

static int is_ll6(const union addr *a)
{
	return a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80;
}

/*
 * IPv6 picks a source by RFC 6724 rules we do not model: any address of
 * the interface may be the one, so each is a path of its own.  A
 * link-local peer gets a link-local address, others a wider one when the
 * interface has it.
 */
static int v6_pick(struct ev_run *r, uint32_t ifindex, const union addr *peer,
		   union addr *out)
{
	const struct netenv *env = r->cx->env;
	union addr c[EV_MAX_V6CAND];
	unsigned int i, n = 0, pass;
	uint32_t v;

	for (pass = 0; pass < 2 && !n; pass++) {
		int want_ll = is_ll6(peer) ? !pass : pass;

		for (i = 0; i < env->naddrs && n < EV_MAX_V6CAND; i++) {
			const struct ne_addr *x = &env->addrs[i];

			if (x->family == AF_INET6 && x->ifindex == ifindex &&
			    is_ll6(&x->addr) == want_ll)
				c[n++] = x->addr;
		}
	}
	if (!n) {
		ev_unknown(r, "no IPv6 address on interface %u", ifindex);
		return 0;
	}
	if (!ev_choose(r, n, "source address", &v))
		return 0;
	*out = c[v];
	return 1;
}

/* inet_select_addr(): the first primary address of @ifindex in the
 * nexthop's subnet, else the first primary one of universe scope. */
static int v4_select(const struct netenv *env, uint32_t ifindex,
		     const union addr *nh, union addr *out)
{
	const struct ne_addr *first = NULL;
	unsigned int i, j;

	for (i = 0; i < env->naddrs; i++) {
		const struct ne_addr *x = &env->addrs[i];
		int secondary = 0;

		if (x->family != AF_INET || x->ifindex != ifindex ||
		    x->prefixlen > 32 || (ntohl(x->addr.ip) >> 24) == 127)
			continue;
		for (j = 0; j < i && !secondary; j++) {
			const struct ne_addr *y = &env->addrs[j];

			secondary = y->family == AF_INET &&
				    y->ifindex == ifindex &&
				    y->prefixlen == x->prefixlen &&
				    ev_prefix_has(&y->addr, y->prefixlen, &x->addr);
		}
		if (secondary)
			continue;
		if (ev_prefix_has(&x->addr, x->prefixlen, nh)) {
			*out = x->addr;
			return 0;
		}
		if (!first)
			first = x;
	}
	if (!first)
		return -ENOENT;
	*out = first->addr;
	return 0;
}

static int masq_addr(struct ev_run *r, union addr *out)
{
	const struct netenv *env = r->cx->env;
	const struct ne_route *rt;
	union addr dst, nh;
	static const union addr zero;

	if (!ev_pkt_addr(&r->pkt, 1, &dst) ||
	    netenv_addr_type(env, r->pkt.family, &dst) == RTN_LOCAL) {
		ev_unknown(r, "masquerade towards a local or ranged address");
		return 0;
	}
	rt = ev_out_route(r);
	if (!rt)
		return 0;
	if (r->pkt.family == AF_INET6)
		return v6_pick(r, rt->oif, &dst, out);
	nh = memcmp(rt->gw.b, zero.b, 4) ? rt->gw : dst;
	if (v4_select(env, rt->oif, &nh, out)) {
		ev_unknown(r, "masquerade: no address on interface %u", rt->oif);
		return 0;
	}
	return 1;
}

static int redir_addr(struct ev_run *r, union addr *out)
{
	const struct netenv *env = r->cx->env;
	uint32_t iif;

	memset(out, 0, sizeof(*out));
	if (r->hook == NF_INET_LOCAL_OUT) {
		if (r->pkt.family == AF_INET6)
			out->b[15] = 1;
		else
			out->ip = htonl(INADDR_LOOPBACK);
		return 1;
	}
	if (!ev_get_iif(r, &iif))
		return 0;
	if (r->pkt.family == AF_INET6)
		return v6_pick(r, iif, &r->cx->orig->src, out);
	/* The first address of the input interface, whatever its subnet. */
	if (netenv_src_addr(env, AF_INET, iif, NULL, out)) {
		ev_unknown(r, "redirect: no address on interface %u", iif);
		return 0;
	}
	return 1;
}

/* NF_NAT_RANGE_NETMAP: keep the host part, take the network part. */
static void netmap(struct nm_natspec *s, const union addr *cur,
		   unsigned int alen)
{
	unsigned int i;

	for (i = 0; i < alen; i++) {
		uint8_t mask = ~(s->addr_min.b[i] ^ s->addr_max.b[i]);

		s->addr_min.b[i] = (cur->b[i] & ~mask) | (s->addr_min.b[i] & mask);
	}
	s->addr_max = s->addr_min;
	s->flags &= ~NF_NAT_RANGE_NETMAP;
}

/* Resolve @s (type, flags, ranges as far as given) and bind it. */
static void nat_bind(struct ev_run *r, struct ev_regs *regs,
		     struct nm_natspec *s)
{
	int dnat = s->type == NFT_NAT_DNAT || s->type == NM_NAT_REDIR;
	struct ev_nat *n = dnat ? &r->dnat : &r->snat;
	union addr cur;

	if (!hook_allows(r->hook, s->type)) {
		ev_unknown(r, "%s at %s", nat_name(s->type), nm_hook_name(r->hook));
		return;
	}
	if (s->flags & NF_NAT_RANGE_PROTO_OFFSET) {
		ev_unknown(r, "%s with a port offset", nat_name(s->type));
		return;
	}
	if (s->type == NM_NAT_REDIR || s->type == NM_NAT_MASQ) {
		if (s->type == NM_NAT_MASQ && r->pkt.family == AF_INET &&
		    !r->cx->orig->src.ip) {
			/* The kernel leaves 0.0.0.0 sources alone. */
			regs->verdict = NF_ACCEPT;
			return;
		}
		if (!(s->type == NM_NAT_REDIR ? redir_addr(r, &s->addr_min) :
		      masq_addr(r, &s->addr_min)))
			return;
		s->addr_max = s->addr_min;
		s->flags |= NF_NAT_RANGE_MAP_IPS;
	} else if (s->flags & NF_NAT_RANGE_NETMAP) {
		if (!ev_pkt_addr(&r->pkt, dnat, &cur)) {
			ev_unknown(r, "netmap of a ranged address");
			return;
		}
		netmap(s, &cur, addr_len(r->pkt.family));
	}
	s->family = r->pkt.family;
	if (!(s->flags & NF_NAT_RANGE_PROTO_SPECIFIED))
		s->port_min = s->port_max = 0;
	if (!(s->flags & NF_NAT_RANGE_MAP_IPS)) {
		memset(&s->addr_min, 0, sizeof(s->addr_min));
		memset(&s->addr_max, 0, sizeof(s->addr_max));
	}
	n->set = 1;
	n->spec = *s;
	n->chain = r->chain;
	n->rule = r->rule;
	r->hook_bound = true;
	if (r->cx->trace) {
		struct ev_step st = { .chain = r->chain, .rule = r->rule,
				      .nat = *s };

		ev_trace_step(r, EVS_NAT, &st);
	}
	regs->verdict = NF_ACCEPT;
}

/* nft_nat_inet_eval(): a nat of the other family does nothing. */
static int family_skips(uint32_t nat_family, uint8_t family)
{
	return nat_family && nat_family != NFPROTO_INET &&
	       nat_family != family;
}

static int reg_port(struct ev_run *r, struct ev_regs *regs, uint8_t lo,
		    uint8_t hi, struct nm_natspec *s)
{
	if (!ev_reg_get(r, regs, lo, 2, (uint8_t *)&s->port_min) ||
	    !ev_reg_get(r, regs, hi ? hi : lo, 2, (uint8_t *)&s->port_max))
		return 0;
	s->flags |= NF_NAT_RANGE_PROTO_SPECIFIED;
	return 1;
}

static void eval_nat(struct ev_run *r, struct ev_regs *regs,
		     const struct nm_expr *e)
{
	unsigned int alen = addr_len(r->pkt.family);
	struct nm_natspec s;

	if (family_skips(e->nat.family, r->pkt.family))
		return;
	memset(&s, 0, sizeof(s));
	s.type = e->nat.type;
	s.flags = e->nat.flags & ~(NF_NAT_RANGE_MAP_IPS |
				   NF_NAT_RANGE_PROTO_SPECIFIED);
	if (s.type != NFT_NAT_SNAT && s.type != NFT_NAT_DNAT) {
		ev_unknown(r, "nat type %u", e->nat.type);
		return;
	}
	if (e->nat.reg_addr_min) {
		if (!ev_reg_get(r, regs, e->nat.reg_addr_min, alen,
			     s.addr_min.b) ||
		    !ev_reg_get(r, regs, e->nat.reg_addr_max ?: e->nat.reg_addr_min,
			     alen, s.addr_max.b))
			return;
		s.flags |= NF_NAT_RANGE_MAP_IPS;
	} else if (e->nat.flags & NF_NAT_RANGE_NETMAP) {
		ev_unknown(r, "%s prefix without address", nat_name(s.type));
		return;
	}
	if (e->nat.reg_proto_min &&
	    !reg_port(r, regs, e->nat.reg_proto_min, e->nat.reg_proto_max, &s))
		return;
	nat_bind(r, regs, &s);
}

static void eval_redir_masq(struct ev_run *r, struct ev_regs *regs,
			    const struct nm_expr *e)
{
	struct nm_natspec s;

	memset(&s, 0, sizeof(s));
	s.type = e->op == NM_OP_REDIR ? NM_NAT_REDIR : NM_NAT_MASQ;
	s.flags = e->redir.flags & ~(NF_NAT_RANGE_MAP_IPS |
				     NF_NAT_RANGE_PROTO_SPECIFIED);
	if (e->redir.reg_proto_min &&
	    !reg_port(r, regs, e->redir.reg_proto_min, e->redir.reg_proto_max,
		      &s))
		return;
	nat_bind(r, regs, &s);
}

static void eval_natspec(struct ev_run *r, struct ev_regs *regs,
			 const struct nm_expr *e)
{
	struct nm_natspec s = e->natspec;

	if (s.family && s.family != r->pkt.family)
		return;
	switch (s.type) {
	case NFT_NAT_SNAT:
	case NFT_NAT_DNAT:
	case NM_NAT_REDIR:
	case NM_NAT_MASQ:
		break;
	default:
		ev_unknown(r, "nat type %u", s.type);
		return;
	}
	if (s.type == NM_NAT_REDIR || s.type == NM_NAT_MASQ)
		s.flags &= ~NF_NAT_RANGE_MAP_IPS;
	nat_bind(r, regs, &s);
}

static unsigned int natspec_keys(uint8_t type, uint32_t flags)
{
	unsigned int keys = 0;

	if (type == NM_NAT_REDIR)
		keys |= EXPR_KEYS_IIF;
	if (type == NM_NAT_MASQ)
		keys |= EXPR_KEYS_OIF;
	if (flags & NF_NAT_RANGE_NETMAP)
		keys |= type == NFT_NAT_SNAT ? JK_SADDR : JK_DADDR;
	return keys;
}

static unsigned int nat_keys(uint8_t family, const struct nm_expr *e)
{
	return natspec_keys(e->nat.type, e->nat.flags);
}

static unsigned int redir_keys(uint8_t family, const struct nm_expr *e)
{
	return natspec_keys(NM_NAT_REDIR, 0);
}

static unsigned int masq_keys(uint8_t family, const struct nm_expr *e)
{
	return natspec_keys(NM_NAT_MASQ, 0);
}

static unsigned int natspec_expr_keys(uint8_t family, const struct nm_expr *e)
{
	return natspec_keys(e->natspec.type, e->natspec.flags);
}

static int nat_print(char *buf, size_t len, const struct nm_expr *e)
{
	return snprintf(buf, len,
			"nat %s family %u addr_min reg %u addr_max reg %u "
			"proto_min reg %u proto_max reg %u flags 0x%x",
			nat_name(e->nat.type), e->nat.family,
			e->nat.reg_addr_min, e->nat.reg_addr_max,
			e->nat.reg_proto_min, e->nat.reg_proto_max,
			e->nat.flags);
}

static int redir_print(char *buf, size_t len, const struct nm_expr *e)
{
	return snprintf(buf, len,
			"%s proto_min reg %u proto_max reg %u flags 0x%x",
			e->op == NM_OP_REDIR ? "redir" : "masq",
			e->redir.reg_proto_min, e->redir.reg_proto_max,
			e->redir.flags);
}

static int natspec_print(char *buf, size_t len, const struct nm_expr *e)
{
	const struct nm_natspec *s = &e->natspec;
	char lo[INET6_ADDRSTRLEN] = "", hi[INET6_ADDRSTRLEN] = "";
	int fam = s->family == AF_INET6 ? AF_INET6 : AF_INET;

	if (s->flags & NF_NAT_RANGE_MAP_IPS) {
		inet_ntop(fam, &s->addr_min, lo, sizeof(lo));
		inet_ntop(fam, &s->addr_max, hi, sizeof(hi));
	}
	return snprintf(buf, len, "%s to %s-%s ports %u-%u flags 0x%x",
			nat_name(s->type), lo, hi, ntohs(s->port_min),
			ntohs(s->port_max), s->flags);
}

static const struct nm_field nat_fields[] = {
	NM_FIELD(nat.type, NM_F_PLAIN),
	NM_FIELD(nat.family, NM_F_PLAIN),
	NM_FIELD(nat.reg_addr_min, NM_F_PLAIN),
	NM_FIELD(nat.reg_addr_max, NM_F_PLAIN),
	NM_FIELD(nat.reg_proto_min, NM_F_PLAIN),
	NM_FIELD(nat.reg_proto_max, NM_F_PLAIN),
	NM_FIELD(nat.flags, NM_F_PLAIN),
};

static const struct nm_field redir_fields[] = {
	NM_FIELD(redir.reg_proto_min, NM_F_PLAIN),
	NM_FIELD(redir.reg_proto_max, NM_F_PLAIN),
	NM_FIELD(redir.flags, NM_F_PLAIN),
};

static const struct nm_field natspec_fields[] = {
	NM_FIELD(natspec.type, NM_F_PLAIN),
	NM_FIELD(natspec.family, NM_F_PLAIN),
	NM_FIELD(natspec.flags, NM_F_PLAIN),
	NM_FIELD(natspec.addr_min, NM_F_PLAIN),
	NM_FIELD(natspec.addr_max, NM_F_PLAIN),
	NM_FIELD(natspec.port_min, NM_F_PLAIN),
	NM_FIELD(natspec.port_max, NM_F_PLAIN),
};

static unsigned int nat_role(const struct nm_expr *e)
{
	return NM_ROLE_NAT;
}

const struct nm_expr_ops expr_nat = {
	.op = NM_OP_NAT, .name = "nat",
	.fields = nat_fields, .nfields = NM_NFIELDS(nat_fields),
	.member = NM_MEMBER(nat),
	.eval = eval_nat, .keys = nat_keys, .print = nat_print,
	.role = nat_role, .dports = nm_dports_none,
	.next = nm_next_none,
};

const struct nm_expr_ops expr_redir = {
	.op = NM_OP_REDIR, .name = "redir",
	.fields = redir_fields, .nfields = NM_NFIELDS(redir_fields),
	.member = NM_MEMBER(redir),
	.eval = eval_redir_masq, .keys = redir_keys, .print = redir_print,
	.role = nat_role, .dports = nm_dports_none,
	.next = nm_next_none,
};

const struct nm_expr_ops expr_masq = {
	.op = NM_OP_MASQ, .name = "masq",
	.fields = redir_fields, .nfields = NM_NFIELDS(redir_fields),
	.member = NM_MEMBER(redir),
	.eval = eval_redir_masq, .keys = masq_keys, .print = redir_print,
	.role = nat_role, .dports = nm_dports_none,
	.next = nm_next_none,
};

const struct nm_expr_ops expr_natspec = {
	.op = NM_OP_NATSPEC, .name = "natspec",
	.fields = natspec_fields, .nfields = NM_NFIELDS(natspec_fields),
	.member = NM_MEMBER(natspec),
	.eval = eval_natspec, .keys = natspec_expr_keys, .print = natspec_print,
	.role = nat_role, .dports = nm_dports_none,
	.next = nm_next_none,
};
