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

void plan_nat_caps(const struct nm_model *m, uint8_t l4proto,
		   struct nat_caps *caps)
{
	struct walker w = { .m = m, .caps = caps };
	struct pset any = { .n = ANY_PORT };
	unsigned int i;

	(void)l4proto;
	memset(caps, 0, sizeof(*caps));
	for (i = 0; i < m->nchains; i++)
		if (m->chains[i].nat && m->chains[i].hook >= 0)
			walk_chain(&w, i, &any, 0);
	caps->nports = w.dports.n;
	if (w.dports.n > 0)
		memcpy(caps->ports, w.dports.p, w.dports.n * 2);
}

static int add_walk(struct plan *p, uint8_t l4proto, uint32_t status,
		    uint32_t mask, const uint16_t *port)
{
	struct ct_filter *f;

	if (p->n == PLAN_MAX_WALKS)
		return -E2BIG;
	f = &p->walk[p->n++];
	memset(f, 0, sizeof(*f));
	f->l4proto = l4proto;
	f->status = status;
	f->status_mask = mask;
	if (port) {
		f->has_orig_dport = true;
		f->orig_dport = *port;
	}
	return 0;
}

/* One walk per DNAT port, or one unnarrowed walk when ports are many. */
static int add_port_walks(struct plan *p, uint8_t l4proto, uint32_t status,
			  uint32_t mask, const struct nat_caps *c)
{
	int i, ret = 0;

	if (c->nports < 0)
		return add_walk(p, l4proto, status, mask, NULL);
	for (i = 0; i < c->nports && !ret; i++)
		ret = add_walk(p, l4proto, status, mask, &c->ports[i]);
	return ret;
}

int plan_build(const struct nm_model *m, uint8_t l4proto, struct plan *p)
{
	const uint32_t both = IPS_DST_NAT | IPS_SRC_NAT;
	struct nat_caps c;
	bool snat_any;
	int ret;

	plan_nat_caps(m, l4proto, &c);
	snat_any = c.snat_static || c.masq;

	/* Every DNATed flow: a forward may have changed or gone. */
	ret = add_walk(p, l4proto, IPS_DST_NAT, IPS_DST_NAT, NULL);
	if (ret)
		return ret;

	/* Source-NATed only.  With static SNAT any may have changed; with
	 * none at all every one is left over.  With masquerade alone the
	 * kernel handles them, and only a new forward's port matters. */
	if (c.snat_static || !snat_any)
		ret = add_walk(p, l4proto, IPS_SRC_NAT, both, NULL);
	else if (c.dnat)
		ret = add_port_walks(p, l4proto, IPS_SRC_NAT, both, &c);
	if (ret)
		return ret;

	/* Not NATed at all: a new source NAT may apply to any of them, a
	 * new forward only to its ports. */
	if (snat_any)
		ret = add_walk(p, l4proto, 0, both, NULL);
	else if (c.dnat)
		ret = add_port_walks(p, l4proto, 0, both, &c);
	return ret;
}
