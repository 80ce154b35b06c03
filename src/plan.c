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
#include "expr.h"
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>

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

/* Where a type puts the ports it limits a rule to (struct nm_ports): a
 * pset, every port once a range is wider than a pset holds. */
struct pset_sink {
	struct nm_ports ports;
	struct pset *ps;
};

static void sink_add(struct nm_ports *p, uint16_t lo, uint16_t hi)
{
	struct pset *ps = ((struct pset_sink *)p)->ps;
	uint32_t a = ntohs(lo), b = ntohs(hi), x;

	if (b < a || b - a >= PLAN_MAX_PORTS) {
		ps->n = ANY_PORT;
		return;
	}
	for (x = a; x <= b; x++)
		pset_add(ps, htons((uint16_t)x));
}

struct walker {
	const struct nm_model *m;
	uint8_t family;
	struct nat_caps *caps;
	struct pset dports;	/* union over every DNAT path */
};

/* What a rule's registers are known to hold, as far as the plan cares: a
 * destination port loaded from the packet, or a constant address put
 * there by an immediate (where a dnat takes its target from). */
struct areg {
	bool known;
	uint8_t len;
	union addr v;
};

struct rstate {
	bool dport[NREGS];
	struct areg a[NREGS];
};

/* The kernel's layout: NFT_REG_1..4 are 16 bytes each after the verdict,
 * NFT_REG32_00.. 4 bytes each from the same place, so they overlap. */
static unsigned int reg_word(unsigned int reg)
{
	return reg <= NFT_REG_4 ? reg * 4 : reg - NFT_REG32_00 + 4;
}

/* Forget every constant a write of @len bytes at @reg may overwrite. */
static void areg_clobber(struct rstate *rs, unsigned int reg, unsigned int len)
{
	unsigned int w0 = reg_word(reg), w1 = w0 + (len + 3) / 4, i;

	for (i = 1; i < NREGS; i++) {
		unsigned int v0 = reg_word(i);
		unsigned int v1 = v0 + (rs->a[i].len + 3) / 4;

		if (rs->a[i].known && v0 < w1 && w0 < v1)
			rs->a[i].known = false;
	}
}

static void note_target_any(struct walker *w)
{
	w->caps->ntargets = -1;
}

static void note_target(struct walker *w, const union addr *lo,
			const union addr *hi)
{
	struct nat_caps *c = w->caps;

	if (c->ntargets < 0)
		return;
	if (c->ntargets == PLAN_MAX_TARGETS) {
		note_target_any(w);
		return;
	}
	c->targets[c->ntargets].lo = *lo;
	c->targets[c->ntargets].hi = *hi;
	c->ntargets++;
}

/* nft's dnat: its addresses from registers an immediate filled. */
static void note_nat_target(struct walker *w, const struct nm_expr *e,
			    const struct rstate *rs)
{
	unsigned int alen = addr_len(w->family);
	const struct areg *lo, *hi;
	uint8_t hreg = e->nat.reg_addr_max ? e->nat.reg_addr_max :
					     e->nat.reg_addr_min;

	if (e->nat.family && e->nat.family != NFPROTO_INET &&
	    e->nat.family != w->family)
		return;		/* the evaluator skips it for this family */
	if (!e->nat.reg_addr_min || e->nat.reg_addr_min >= NREGS ||
	    hreg >= NREGS) {
		note_target_any(w);	/* address unchanged: any */
		return;
	}
	lo = &rs->a[e->nat.reg_addr_min];
	hi = &rs->a[hreg];
	if (!lo->known || !hi->known || lo->len < alen || hi->len < alen) {
		note_target_any(w);
		return;
	}
	note_target(w, &lo->v, &hi->v);
}

/* iptables' DNAT: a range given as such, or the address unchanged. */
static void note_natspec_target(struct walker *w, const struct nm_natspec *n)
{
	if (n->type == NM_NAT_REDIR || !(n->flags & NF_NAT_RANGE_MAP_IPS)) {
		note_target_any(w);
		return;
	}
	if (n->family && n->family != w->family)
		return;
	note_target(w, &n->addr_min, &n->addr_max);
}

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
		note_natspec_target(w, n);
		break;
	case NFT_NAT_SNAT:
		w->caps->snat_static = true;
		break;
	case NM_NAT_MASQ:
		w->caps->masq = true;
		break;
	}
}

/* A verdict map: each element goes on in its chain, under its own key
 * when that is the destination port. */
static void walk_vmap(struct walker *w, int set, bool is_dport,
		      const struct pset *rc, int depth)
{
	const struct nm_set *s;
	unsigned int i;

	if (set < 0 || (unsigned int)set >= w->m->nsets)
		return;
	s = &w->m->sets[set];
	for (i = 0; i < s->nelems; i++) {
		struct pset ec = *rc, key = { 0 };
		struct pset_sink sink = { .ports.add = sink_add, .ps = &key };

		if (s->elems[i].chain < 0)
			continue;
		if (is_dport) {
			nm_elem_dports(s, &s->elems[i], &sink.ports);
			pset_narrow(&ec, &key);
		}
		walk_chain(w, s->elems[i].chain, &ec, depth + 1);
	}
}

/* A jump, a goto or a verdict map: the chains it may go on in, as the
 * type says (nm_expr_next). */
static void walk_verdict(struct walker *w, const struct nm_expr *e,
			 bool is_dport, const struct pset *rc, int depth)
{
	struct nm_next n = nm_expr_next(e);

	walk_vmap(w, n.set, is_dport, rc, depth);
	if (n.chain >= 0)
		walk_chain(w, n.chain, rc, depth + 1);
}

/* The ports @e limits its rule to (nm_expr_ops.dports: a match on the
 * loaded destination port, a port set, an xt port match). */
static void narrow(const struct walker *w, const struct nm_expr *e,
		   bool is_dport, struct pset *rc)
{
	struct pset keys = { 0 };
	struct pset_sink sink = { .ports.add = sink_add, .ps = &keys };

	if (nm_expr_dports(e, w->m, is_dport, &sink.ports))
		pset_narrow(rc, &keys);
}

/* What a NAT binding can do, from the type's own fields: DNAT or source
 * NAT, and to where.  A type not named here (an expression we cannot
 * read, or one added later) is taken for the worst: the plan widens. */
static void note_nat(struct walker *w, const struct nm_expr *e,
		     const struct rstate *rs, const struct pset *rc)
{
	switch (e->op) {
	case NM_OP_NAT:
		if (e->nat.type == NFT_NAT_DNAT) {
			note_dnat(w, rc);
			note_nat_target(w, e, rs);
		} else {
			w->caps->snat_static = true;
		}
		return;
	case NM_OP_REDIR:
		note_dnat(w, rc);
		note_target_any(w);
		return;
	case NM_OP_MASQ:
		w->caps->masq = true;
		return;
	case NM_OP_NATSPEC:
		note_natspec(w, &e->natspec, rc);
		return;
	default:
		note_dnat(w, rc);
		note_target_any(w);
		w->caps->snat_static = true;
		return;
	}
}

/* An immediate's constant, kept for a dnat that may read it. */
static void note_immediate(struct rstate *rs, const struct nm_expr *e)
{
	struct areg *a = &rs->a[e->dreg];

	areg_clobber(rs, e->dreg, e->imm.data.len);
	rs->dport[e->dreg] = false;
	if (e->imm.data.len > sizeof(a->v))
		return;
	memset(a, 0, sizeof(*a));
	a->known = true;
	a->len = e->imm.data.len;
	memcpy(a->v.b, e->imm.data.val, a->len);
}

/* What @e leaves in its register for the expressions after it: the
 * destination port (a load the type says is one), an immediate's
 * constant, or nothing the plan can use. */
static void note_dreg(struct rstate *rs, const struct nm_expr *e,
		      unsigned int role)
{
	if (e->dreg == NFT_REG_VERDICT || e->dreg >= NREGS)
		return;
	rs->dport[e->dreg] = role & NM_ROLE_DPORT;
	if (e->op == NM_OP_IMMEDIATE)
		note_immediate(rs, e);
	else	/* a 16-byte register spans four 4-byte ones */
		areg_clobber(rs, e->dreg, e->len > 16 ? e->len : 16);
}

/* Each type says what it is (nm_expr_role) and which ports it limits its
 * rule to (nm_expr_dports). */
static void walk_expr(struct walker *w, const struct nm_expr *e,
		      struct rstate *rs, struct pset *rc, int depth)
{
	unsigned int role = nm_expr_role(e);
	bool is_dport = e->sreg < NREGS && rs->dport[e->sreg];

	if (role & NM_ROLE_VERDICT)
		walk_verdict(w, e, is_dport, rc, depth);
	else
		narrow(w, e, is_dport, rc);
	if (role & NM_ROLE_NAT)
		note_nat(w, e, rs, rc);
	note_dreg(rs, e, role);
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
		note_target_any(w);
		return;
	}
	ch = &w->m->chains[ci];
	for (r = 0; r < ch->nrules; r++) {
		struct rstate rs = { 0 };
		struct pset rc = *c;

		for (k = 0; k < ch->rules[r].nexprs; k++)
			walk_expr(w, &ch->rules[r].exprs[k], &rs, &rc, depth);
	}
}

static bool sees_family(uint8_t chain_family, uint8_t family)
{
	return chain_family == NFPROTO_INET || chain_family == family;
}

void plan_nat_caps(const struct nm_model *m, uint8_t family,
		   struct nat_caps *caps)
{
	struct walker w = { .m = m, .family = family, .caps = caps };
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
	const struct nat_caps *c = p->caps;
	struct nat_caps all = { 0 };
	int f, ret;

	for (f = 0; f < 2; f++) {
		plan_nat_caps(m, families[f], &p->caps[f]);
		all.dnat |= c[f].dnat;
		all.snat_static |= c[f].snat_static;
		all.masq |= c[f].masq;
	}

	/* Every DNATed flow: its DNAT may have changed or gone. */
	ret = add_walk(p, AF_UNSPEC, 0, IPS_DST_NAT, IPS_DST_NAT, NULL);
	if (ret)
		return ret;

	/* Source-NATed only.  With static SNAT any may have changed; with
	 * no source NAT at all every one is left over.  With masquerade
	 * alone the kernel handles them, and only a new DNAT rule's ports
	 * matter. */
	if (all.snat_static || !all.masq)
		ret = add_walk(p, AF_UNSPEC, 0, IPS_SRC_NAT, both, NULL);
	else if (all.dnat)
		ret = add_class(p, c, in, IPS_SRC_NAT, both, true);
	if (ret)
		return ret;

	/* Not NATed at all: a new source NAT may apply to any of them, a
	 * new DNAT rule only to its ports. */
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
	p->entries = in->entries;
	p->buckets = in->buckets;
	ret = build_narrow(m, in, p);
	if (ret)
		return ret;
	/* On a small table every walk costs about the same whatever it
	 * returns (the buckets dominate): one walk of everything is then
	 * cheaper than several narrow ones. */
	if (in->entries && (p->n - 1) * walk_cost(in) >=
			   1.5e-6 * in->entries) {
		p->n = 0;
		p->full = true;
		return add_walk(p, AF_UNSPEC, 0, 0, 0, NULL);
	}
	return 0;
}

/*
 * The DNAT walk comes first; what it returned tells how much of the table
 * is left for the rest.  When little is (a table of DNATed flows, say), one
 * walk of every flow not DNATed costs less than the narrow walks after
 * it, each a whole walk that returns almost nothing.  It returns a
 * superset of theirs, still disjoint from the DNAT walk's.
 */
void plan_after_dnat_walk(struct plan *p, uint64_t returned)
{
	struct plan_in in = { .entries = p->entries, .buckets = p->buckets };
	uint64_t rest;

	if (p->full || p->n < 3 || !p->entries ||
	    p->walk[0].status != IPS_DST_NAT ||
	    p->walk[0].status_mask != IPS_DST_NAT || p->walk[0].family)
		return;
	rest = returned < p->entries ? p->entries - returned : 0;
	if (walk_cost(&in) + 1.5e-6 * rest >= (p->n - 1) * walk_cost(&in))
		return;
	p->n = 1;
	add_walk(p, AF_UNSPEC, 0, 0, IPS_DST_NAT, NULL);
}

void plan_flush_class(const struct flow *f, struct ct_filter *k)
{
	memset(k, 0, sizeof(*k));
	k->family = f->orig.family;
	k->l4proto = f->orig.l4proto;
	k->status = k->status_mask = IPS_DST_NAT;
	k->has_orig_dport = true;
	k->orig_dport = f->orig.dport;
	k->has_reply_src = true;
	k->reply_src = f->reply.src;
}

/* Does every flow @in matches pass @out?  Only the parts plan_build and
 * plan_flush_class use are compared; anything else makes the answer no. */
static bool filter_covers(const struct ct_filter *out,
			  const struct ct_filter *in)
{
	if (out->family && out->family != in->family)
		return false;
	if (out->l4proto && out->l4proto != in->l4proto)
		return false;
	if (out->has_orig_dport &&
	    (!in->has_orig_dport || out->orig_dport != in->orig_dport))
		return false;
	/* every status @in allows has @out's bits as @out wants them */
	if ((out->status_mask & ~in->status_mask) ||
	    (in->status & out->status_mask) != out->status)
		return false;
	return !out->has_orig_dst && !out->has_reply_src && !out->zone;
}

bool plan_covers(const struct plan *p, const struct ct_filter *k)
{
	unsigned int i;

	for (i = 0; i < p->n; i++)
		if (filter_covers(&p->walk[i], k))
			return true;
	return false;
}

bool plan_may_dnat_to(const struct plan *p, uint8_t family,
		      const union addr *a)
{
	const struct nat_caps *c = &p->caps[family == AF_INET6];
	size_t alen = addr_len(family);
	int i;

	if (family != AF_INET && family != AF_INET6)
		return true;
	if (c->ntargets < 0)
		return true;
	for (i = 0; i < c->ntargets; i++)
		if (memcmp(a->b, c->targets[i].lo.b, alen) >= 0 &&
		    memcmp(a->b, c->targets[i].hi.b, alen) <= 0)
			return true;
	return false;
}

/*
 * Measured on the 2-core x86 at 1M entries (kernel 6.18, bench/ctwalk
 * --flush and bench/sweep): a filtered flush walks the table at about
 * 0.31 us an entry and adds about 0.8 us per entry it deletes; a batched
 * delete costs about 2.5 us, kernel and userspace.  Without figures, the
 * deletes: they never walk the table again.
 */
bool plan_flush_pays(const struct plan *p, uint64_t n)
{
	double walk = 0.31e-6 * p->entries, b = 0.04e-6 * p->buckets;

	if (!p->entries)
		return false;
	if (b > walk)
		walk = b;
	return walk + 0.8e-6 * n < 2.5e-6 * n;
}
