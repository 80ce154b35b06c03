// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * plan.c - decide which conntrack dumps a sweep needs.
 *
 * The analysis is conservative: it may ask for more flows than needed,
 * never fewer.  A constraint it cannot read (a concatenated map key, an
 * unknown expression) only widens the dump.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include "plan.h"	/* before linux/: glibc's netinet/in.h must come first */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_conntrack_common.h>

#define ANY_PORT (-1)
#define MAX_DEPTH 16		/* the kernel's NFT_JUMP_STACK_SIZE */
#define NREGS 24

struct pset {
	int n;			/* ANY_PORT, or number of ports */
	uint16_t p[PLAN_MAX_PORTS];
};

static void pset_add(struct pset *s, uint16_t port)
{
	int i;

	if (s->n == ANY_PORT)
		return;
	for (i = 0; i < s->n; i++)
		if (s->p[i] == port)
			return;
	if (s->n == PLAN_MAX_PORTS) {
		s->n = ANY_PORT;
		return;
	}
	s->p[s->n++] = port;
}

/* @rc &= @with.  An intersection never grows, so it cannot overflow. */
static void pset_narrow(struct pset *rc, const struct pset *with)
{
	struct pset out = { 0 };
	int i, j;

	if (with->n == ANY_PORT)
		return;
	if (rc->n == ANY_PORT) {
		*rc = *with;
		return;
	}
	for (i = 0; i < rc->n; i++)
		for (j = 0; j < with->n; j++)
			if (rc->p[i] == with->p[j])
				out.p[out.n++] = rc->p[i];
	*rc = out;
}

static uint16_t be16_at(const uint8_t *v)
{
	uint16_t x;

	memcpy(&x, v, 2);
	return x;
}

/* Ports a set keyed by a bare port holds; ANY_PORT when it is not that. */
static void pset_from_set(const struct nm_set *s, struct pset *out)
{
	unsigned int i;

	out->n = ANY_PORT;
	if (s->key_len != 2 || s->nfields > 1)
		return;
	out->n = 0;
	for (i = 0; i < s->nelems && out->n != ANY_PORT; i++) {
		uint16_t lo = ntohs(be16_at(s->elems[i].key.val));
		uint16_t hi = ntohs(be16_at(s->elems[i].key_end.val));
		uint32_t p;

		if (hi < lo || hi - lo >= PLAN_MAX_PORTS) {
			out->n = ANY_PORT;
			return;
		}
		for (p = lo; p <= hi; p++)
			pset_add(out, htons(p));
	}
}

struct walker {
	const struct nm_model *m;
	struct nat_caps *caps;
	struct pset dports;	/* union over every DNAT path */
};

static void note_dnat(struct walker *w, const struct pset *rc)
{
	int i;

	w->caps->dnat = true;
	if (rc->n == ANY_PORT) {
		w->dports.n = ANY_PORT;
		return;
	}
	for (i = 0; i < rc->n; i++)
		pset_add(&w->dports, rc->p[i]);
}

static void walk_chain(struct walker *w, int ci, const struct pset *c,
		       int depth);

static void note_natspec(struct walker *w, const struct nm_natspec *n,
			 const struct pset *rc)
{
	switch (n->type) {
	case NFT_NAT_DNAT:
	case NM_NAT_REDIR:
		note_dnat(w, rc);
		break;
	case NFT_NAT_SNAT:
		w->caps->snat_static = true;
		break;
	case NM_NAT_MASQ:
		w->caps->masq = true;
		break;
	}
}

static void walk_lookup(struct walker *w, const struct nm_expr *e,
			bool is_dport, struct pset *rc, int depth)
{
	const struct nm_set *s;
	struct pset keys;
	unsigned int i;

	if (e->lookup.set < 0 || (unsigned int)e->lookup.set >= w->m->nsets)
		return;
	s = &w->m->sets[e->lookup.set];
	if (e->dreg == NFT_REG_VERDICT && e->lookup.has_dreg) {
		/* A verdict map: each element jumps under its own key. */
		for (i = 0; i < s->nelems; i++) {
			struct pset ec = *rc;

			if (s->elems[i].chain < 0)
				continue;
			if (is_dport && s->key_len == 2) {
				struct pset one = { .n = 1 };

				one.p[0] = be16_at(s->elems[i].key.val);
				if (!memcmp(s->elems[i].key.val,
					    s->elems[i].key_end.val, 2))
					pset_narrow(&ec, &one);
			}
			walk_chain(w, s->elems[i].chain, &ec, depth + 1);
		}
		return;
	}
	if (is_dport && !e->lookup.invert) {
		pset_from_set(s, &keys);
		pset_narrow(rc, &keys);
	}
}

/* iptables' --dport and multiport: ranges in host byte order. */
static void narrow_xt_ports(const struct nm_xt_ports *x, struct pset *rc)
{
	struct pset keys = { 0 };
	uint32_t p;
	int i;

	if (!x->ndst || x->dst_inv || x->either)
		return;
	for (i = 0; i < x->ndst && i < NM_MAX_PORTS; i++) {
		if (x->dst[i][1] < x->dst[i][0] ||
		    x->dst[i][1] - x->dst[i][0] >= PLAN_MAX_PORTS)
			return;
		for (p = x->dst[i][0]; p <= x->dst[i][1]; p++)
			pset_add(&keys, htons(p));
	}
	pset_narrow(rc, &keys);
}

static void walk_expr(struct walker *w, const struct nm_expr *e,
		      bool *dport_reg, struct pset *rc, int depth)
{
	struct pset one = { .n = 1 };
	bool is_dport = e->sreg < NREGS && dport_reg[e->sreg];

	switch (e->op) {
	case NM_OP_PAYLOAD:
		if (e->dreg < NREGS)
			dport_reg[e->dreg] =
				e->payload.base == NFT_PAYLOAD_TRANSPORT_HEADER &&
				e->payload.offset == 2 && e->len == 2;
		return;
	case NM_OP_CMP:
		if (is_dport && e->cmp.op == NFT_CMP_EQ) {
			one.p[0] = be16_at(e->cmp.data.val);
			pset_narrow(rc, &one);
		}
		return;
	case NM_OP_LOOKUP:
		walk_lookup(w, e, is_dport, rc, depth);
		return;
	case NM_OP_IMMEDIATE:
		if (e->dreg == NFT_REG_VERDICT &&
		    (e->imm.verdict == NFT_JUMP || e->imm.verdict == NFT_GOTO))
			walk_chain(w, e->imm.chain, rc, depth + 1);
		else if (e->dreg < NREGS)
			dport_reg[e->dreg] = false;
		return;
	case NM_OP_NAT:
		if (e->nat.type == NFT_NAT_DNAT)
			note_dnat(w, rc);
		else
			w->caps->snat_static = true;
		return;
	case NM_OP_REDIR:
		note_dnat(w, rc);
		return;
	case NM_OP_MASQ:
		w->caps->masq = true;
		return;
	case NM_OP_NATSPEC:
		note_natspec(w, &e->natspec, rc);
		return;
	case NM_OP_XT_PORTS:
		narrow_xt_ports(&e->ports, rc);
		return;
	case NM_OP_UNKNOWN:
		/* It may be a target we cannot read: assume the worst. */
		note_dnat(w, rc);
		w->caps->snat_static = true;
		return;
	default:
		if (e->dreg < NREGS && e->dreg != NFT_REG_VERDICT)
			dport_reg[e->dreg] = false;
		return;
	}
}

static void walk_chain(struct walker *w, int ci, const struct pset *c,
		       int depth)
{
	const struct nm_chain *ch;
	unsigned int r, k;

	if (ci < 0 || (unsigned int)ci >= w->m->nchains || depth > MAX_DEPTH) {
		/* A loop or a dangling jump: the judge will say unknown;
		 * the plan just widens. */
		w->dports.n = ANY_PORT;
		w->caps->dnat = w->caps->snat_static = true;
		return;
	}
	ch = &w->m->chains[ci];
	for (r = 0; r < ch->nrules; r++) {
		bool dport_reg[NREGS] = { false };
		struct pset rc = *c;

		for (k = 0; k < ch->rules[r].nexprs; k++)
			walk_expr(w, &ch->rules[r].exprs[k], dport_reg, &rc,
				  depth);
	}
}

static bool sees_family(uint8_t chain_family, uint8_t family)
{
	return chain_family == NFPROTO_INET || chain_family == family;
}

void plan_nat_caps(const struct nm_model *m, uint8_t family,
		   struct nat_caps *caps)
{
	struct walker w = { .m = m, .caps = caps };
	struct pset any = { .n = ANY_PORT };
	unsigned int i;

	memset(caps, 0, sizeof(*caps));
	for (i = 0; i < m->nchains; i++)
		if (m->chains[i].nat && m->chains[i].hook >= 0 &&
		    sees_family(m->chains[i].family, family))
			walk_chain(&w, i, &any, 0);
	caps->nports = w.dports.n;
	if (w.dports.n > 0)
		memcpy(caps->ports, w.dports.p, w.dports.n * 2);
}

static int add_walk(struct plan *p, uint8_t family, uint8_t l4proto,
		    uint32_t status, uint32_t mask, const uint16_t *port)
{
	struct ct_filter *f;

	if (p->n == PLAN_MAX_WALKS)
		return -E2BIG;
	f = &p->walk[p->n++];
	memset(f, 0, sizeof(*f));
	f->family = family;
	f->l4proto = l4proto;
	f->status = status;
	f->status_mask = mask;
	if (port) {
		f->has_orig_dport = true;
		f->orig_dport = *port;
	}
	return 0;
}

static const uint8_t families[] = { AF_INET, AF_INET6 };

/* Walks of one status class narrowed to the DNAT ports, for each family
 * whose rules can DNAT; a port filter needs a family and a protocol. */
static int add_port_walks(struct plan *p, const struct nat_caps *c,
			  const struct plan_in *in, uint32_t status,
			  uint32_t mask)
{
	int f, i, ret = 0;

	for (f = 0; f < 2 && !ret; f++) {
		if (!c[f].dnat)
			continue;
		for (i = 0; i < c[f].nports && !ret; i++) {
			ret = add_walk(p, families[f], IPPROTO_UDP, status,
				       mask, &c[f].ports[i]);
			if (!ret && in->tcp)
				ret = add_walk(p, families[f], IPPROTO_TCP,
					       status, mask, &c[f].ports[i]);
		}
	}
	return ret;
}

static int port_walks(const struct nat_caps *c, const struct plan_in *in)
{
	int f, n = 0;

	for (f = 0; f < 2; f++) {
		if (!c[f].dnat)
			continue;
		if (c[f].nports < 0)
			return -1;
		n += c[f].nports * (in->tcp ? 2 : 1);
	}
	return n;
}

/* Seconds, from figures measured on a 2-core x86 at 1M entries: a walk
 * takes about 0.26 us an entry and at least 0.04 us a bucket; each flow
 * returned costs about 1.5 us. */
static double walk_cost(const struct plan_in *in)
{
	double e = 0.26e-6 * in->entries, b = 0.04e-6 * in->buckets;

	return e > b ? e : b;
}

/*
 * Is narrowing a class to @k port walks cheaper than one walk returning
 * the whole class?  Without figures, narrow: it never returns more.  The
 * class is guessed at half the table: on a router most flows are
 * masqueraded, elsewhere most are not NATed at all.
 */
static bool narrow_pays(int k, const struct plan_in *in)
{
	if (k < 0)
		return false;
	if (!in->entries)
		return true;
	return k * walk_cost(in) < walk_cost(in) + 1.5e-6 * in->entries / 2;
}

static int add_class(struct plan *p, const struct nat_caps *c,
		     const struct plan_in *in, uint32_t status, uint32_t mask,
		     bool narrow)
{
	if (narrow && narrow_pays(port_walks(c, in), in))
		return add_port_walks(p, c, in, status, mask);
	return add_walk(p, AF_UNSPEC, 0, status, mask, NULL);
}

static int build_narrow(const struct nm_model *m, const struct plan_in *in,
			struct plan *p)
{
	const uint32_t both = IPS_DST_NAT | IPS_SRC_NAT;
	struct nat_caps c[2], all = { 0 };
	int f, ret;

	for (f = 0; f < 2; f++) {
		plan_nat_caps(m, families[f], &c[f]);
		all.dnat |= c[f].dnat;
		all.snat_static |= c[f].snat_static;
		all.masq |= c[f].masq;
	}

	/* Every DNATed flow: a forward may have changed or gone. */
	ret = add_walk(p, AF_UNSPEC, 0, IPS_DST_NAT, IPS_DST_NAT, NULL);
	if (ret)
		return ret;

	/* Source-NATed only.  With static SNAT any may have changed; with
	 * no source NAT at all every one is left over.  With masquerade
	 * alone the kernel handles them, and only a new forward's ports
	 * matter. */
	if (all.snat_static || !all.masq)
		ret = add_walk(p, AF_UNSPEC, 0, IPS_SRC_NAT, both, NULL);
	else if (all.dnat)
		ret = add_class(p, c, in, IPS_SRC_NAT, both, true);
	if (ret)
		return ret;

	/* Not NATed at all: a new source NAT may apply to any of them, a
	 * new forward only to its ports. */
	if (all.snat_static || all.masq)
		return add_walk(p, AF_UNSPEC, 0, 0, both, NULL);
	if (all.dnat)
		return add_class(p, c, in, 0, both, true);
	return 0;
}

int plan_build(const struct nm_model *m, const struct plan_in *in,
	       struct plan *p)
{
	int ret;

	memset(p, 0, sizeof(*p));
	ret = build_narrow(m, in, p);
	if (ret)
		return ret;
	/* On a small table every walk costs about the same whatever it
	 * returns (the buckets dominate): one walk of everything is then
	 * cheaper than several narrow ones. */
	if (in->entries && (p->n - 1) * walk_cost(in) >=
			   1.5e-6 * in->entries) {
		memset(p, 0, sizeof(*p));
		p->full = true;
		return add_walk(p, AF_UNSPEC, 0, 0, 0, NULL);
	}
	return 0;
}
