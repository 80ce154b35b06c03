// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mdigest.c - digests of the NAT model and the routing snapshot.
 *
 * Hashes are taken field by field, never over whole structs, so padding
 * cannot make equal models differ.  A false "changed" only costs a walk;
 * a false "equal" would skip a needed one, so everything the judge reads
 * goes in.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mdigest.h"
#include "expr.h"
#include "hash.h"
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#define H(h, v) ((h) = fnv64((h), &(v), sizeof(v)))

static uint64_t hstr(uint64_t h, const char *s)
{
	return s ? fnv64(h, s, strlen(s) + 1) : fnv64(h, "", 1);
}

static uint64_t hdata(uint64_t h, const struct nm_data *d)
{
	uint8_t len = d->len > NM_DATA_MAX ? NM_DATA_MAX : d->len;

	H(h, len);
	return fnv64(h, d->val, len);
}

/*
 * Rules and elements are hashed in a canonical form: a jump target or a
 * set by its name, not by its index in this read of the model, so a reload
 * that re-creates chains in another order changes nothing here.
 */
static uint64_t hchain_ref(uint64_t h, const struct nm_model *m, int ci)
{
	if (ci < 0 || (unsigned int)ci >= m->nchains)
		return H(h, ci);
	h = hstr(h, m->chains[ci].table);
	return hstr(h, m->chains[ci].name);
}

static uint64_t helem(const struct nm_model *m, const struct nm_elem *e);

/*
 * An anonymous set (a rule's own "{ ... }", a vmap of numgen) has a name
 * nft makes up anew whenever the rule is created: it is part of its rule,
 * hashed by its elements in any order.
 */
static uint64_t hanon(const struct nm_model *m, const struct nm_set *s)
{
	uint64_t h = FNV64_INIT, sum = 0, x = 0;
	unsigned int i;

	for (i = 0; i < s->nelems; i++) {
		uint64_t e = helem(m, &s->elems[i]);

		sum += e;
		x ^= e * 0x9e3779b97f4a7c15ull;
	}
	H(h, s->flags);
	H(h, s->key_len);
	H(h, s->data_len);
	H(h, s->nelems);
	H(h, sum);
	return H(h, x);
}

static uint64_t hset_ref(uint64_t h, const struct nm_model *m, int si)
{
	const struct nm_set *s;

	if (si < 0 || (unsigned int)si >= m->nsets)
		return H(h, si);
	s = &m->sets[si];
	if (s->flags & NFT_SET_ANONYMOUS) {
		uint64_t a = hanon(m, s);

		return H(h, a);
	}
	return hstr(h, s->name);
}

static uint64_t hrule(const struct nm_model *m, const struct nm_rule *r)
{
	uint64_t h = FNV64_INIT;
	unsigned int k;

	H(h, r->nexprs);
	for (k = 0; k < r->nexprs; k++) {
		struct nm_expr x = r->exprs[k];
		int *ci = nm_expr_index(&x, NM_F_CHAIN);
		int *si = nm_expr_index(&x, NM_F_SET);

		/* a chain or a set by what it is, not where it lies */
		if (ci) {
			h = hchain_ref(h, m, *ci);
			*ci = 0;
		}
		if (si) {
			h = hset_ref(h, m, *si);
			*si = 0;
		}
		h = nm_expr_digest(h, &x);
	}
	return h;
}

/* What a chain is apart from its rules. */
static uint64_t hchain_head(const struct nm_chain *c)
{
	uint64_t h = FNV64_INIT;

	h = hstr(h, c->table);
	h = hstr(h, c->name);
	H(h, c->family);
	H(h, c->source);
	H(h, c->nat);
	H(h, c->hook);
	H(h, c->prio);
	H(h, c->policy);
	H(h, c->ndevs);
	H(h, c->devs_more);
	return fnv64(h, c->devs, sizeof(c->devs));
}

static uint64_t hset_head(const struct nm_set *s)
{
	uint64_t h = FNV64_INIT;

	h = hstr(h, s->table);
	h = hstr(h, s->name);
	H(h, s->family);
	H(h, s->flags);
	H(h, s->key_len);
	H(h, s->data_len);
	H(h, s->data_type);
	H(h, s->nfields);
	return fnv64(h, s->field_len, sizeof(s->field_len));
}

static uint64_t helem(const struct nm_model *m, const struct nm_elem *e)
{
	uint64_t h = FNV64_INIT;

	h = hdata(h, &e->key);
	h = hdata(h, &e->key_end);
	h = hdata(h, &e->data);
	H(h, e->verdict);
	return hchain_ref(h, m, e->chain);
}

/* ---- port hints ---- */

static void port_add(struct md_ports *pp, uint16_t p)
{
	unsigned int i;

	for (i = 0; i < pp->n; i++)
		if (pp->p[i] == p)
			return;
	if (pp->n == MD_PORTS)
		pp->any = true;
	else
		pp->p[pp->n++] = p;
}

/* Ports from..to (network byte order, inclusive); a wide range is any. */
static void port_range(struct md_ports *pp, uint16_t from, uint16_t to)
{
	uint32_t a = ntohs(from), b = ntohs(to);

	if (b < a || b - a >= MD_PORTS) {
		pp->any = true;
		return;
	}
	for (; a <= b; a++)
		port_add(pp, htons((uint16_t)a));
}

static void ports_merge(struct md_ports *to, const struct md_ports *from)
{
	unsigned int i;

	to->any |= from->any;
	for (i = 0; i < from->n && !to->any; i++)
		port_add(to, from->p[i]);
}

/* Where a type's answer goes (struct nm_ports): this rule's ports. */
struct port_sink {
	struct nm_ports ports;
	struct md_ports *pp;
};

static void sink_add(struct nm_ports *p, uint16_t lo, uint16_t hi)
{
	port_range(((struct port_sink *)p)->pp, lo, hi);
}

static void elem_ports(struct md_ports *pp, const struct nm_set *s,
		       const struct nm_elem *el)
{
	struct port_sink sink = { .ports.add = sink_add, .pp = pp };

	nm_elem_dports(s, el, &sink.ports);
}

/* Does the rule decide anything (NAT, a verdict, a jump, a mark a nat
 * rule may read)?  Rules that only count or log change nothing a flow's
 * NAT depends on.  Each type says what it is (nm_expr_ops.role). */
static bool rule_decides(const struct nm_rule *r)
{
	unsigned int k;

	for (k = 0; k < r->nexprs; k++)
		if (nm_expr_role(&r->exprs[k]) &
		    (NM_ROLE_NAT | NM_ROLE_VERDICT | NM_ROLE_MARK))
			return true;
	return false;
}

/* The ports one deciding rule is limited to, as its expressions tell
 * (nm_expr_ops.dports: equality or a range on the loaded destination
 * port, a lookup of it in a port set, an xt port match).  None found:
 * any port.  A rule that decides nothing: none. */
static void rule_ports(struct md_ports *pp, const struct nm_model *m,
		       const struct nm_rule *r)
{
	struct port_sink sink = { .ports.add = sink_add, .pp = pp };
	uint32_t dport_regs = 0;	/* registers holding the dport */
	bool limited = false;
	unsigned int k;

	if (!rule_decides(r))
		return;
	for (k = 0; k < r->nexprs && !pp->any; k++) {
		const struct nm_expr *x = &r->exprs[k];
		uint32_t sbit = x->sreg < 32 ? 1u << x->sreg : 0;

		if (nm_expr_dports(x, m, dport_regs & sbit, &sink.ports))
			limited = true;
		/* Whatever writes a register overwrites the port in it. */
		if (!x->dreg || x->dreg >= 32)
			continue;
		if (nm_expr_role(x) & NM_ROLE_DPORT)
			dport_regs |= 1u << x->dreg;
		else
			dport_regs &= ~(1u << x->dreg);
	}
	if (!limited)
		pp->any = true;
}

/* ---- building ---- */

/* An entry of @n items, headed by @head: 0 or -ENOMEM. */
static int ent_init(struct mdigest_ent *e, uint64_t head, unsigned int n)
{
	e->head = head;
	e->hash = head;
	e->nitems = n;
	e->items = n ? calloc(n, sizeof(*e->items)) : NULL;
	return n && !e->items ? -ENOMEM : 0;
}

static int chain_ent(struct mdigest_ent *e, const struct nm_model *m,
		     const struct nm_chain *c)
{
	unsigned int i;

	e->ordered = true;
	if (ent_init(e, hchain_head(c), c->nrules))
		return -ENOMEM;
	for (i = 0; i < c->nrules; i++) {
		e->items[i].hash = hrule(m, &c->rules[i]);
		rule_ports(&e->items[i].ports, m, &c->rules[i]);
		ports_merge(&e->ports, &e->items[i].ports);
		H(e->hash, e->items[i].hash);
	}
	return 0;
}

static int item_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct md_item *)a)->hash;
	uint64_t y = ((const struct md_item *)b)->hash;

	return x < y ? -1 : x > y;
}

/* A set is its elements in any order: sorted by hash. */
static int set_ent(struct mdigest_ent *e, const struct nm_model *m,
		   const struct nm_set *s)
{
	unsigned int i;

	if (ent_init(e, hset_head(s), s->nelems))
		return -ENOMEM;
	for (i = 0; i < s->nelems; i++) {
		e->items[i].hash = helem(m, &s->elems[i]);
		elem_ports(&e->items[i].ports, s, &s->elems[i]);
		ports_merge(&e->ports, &e->items[i].ports);
	}
	if (e->nitems)	/* qsort's base may not be NULL, even for none */
		qsort(e->items, e->nitems, sizeof(*e->items), item_cmp);
	for (i = 0; i < e->nitems; i++)
		H(e->hash, e->items[i].hash);
	return 0;
}

static void chain_name(char *buf, size_t len, const struct nm_chain *c)
{
	if (c->source == NM_SRC_LEGACY)
		snprintf(buf, len, "%s chain %s %s",
			 c->family == NFPROTO_IPV6 ? "ip6tables-legacy" :
			 "iptables-legacy", c->table ? c->table : "nat",
			 c->name);
	else
		snprintf(buf, len, "chain %s %s %s", nm_family_name(c->family),
			 c->table, c->name);
}

static const struct mdigest *sort_ctx;

static int byname_cmp(const void *a, const void *b)
{
	return strcmp(sort_ctx->ent[*(const unsigned int *)a].name,
		      sort_ctx->ent[*(const unsigned int *)b].name);
}

int mdigest_build(const struct nm_model *m, struct mdigest *d)
{
	unsigned int i, n = m->nchains + m->nsets;
	int ret = 0;

	memset(d, 0, sizeof(*d));
	d->all = FNV64_INIT;
	if (!n)
		return 0;
	d->ent = calloc(n, sizeof(*d->ent));
	d->byname = calloc(n, sizeof(*d->byname));
	if (!d->ent || !d->byname) {
		ret = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < m->nchains && !ret; i++) {
		struct mdigest_ent *e = &d->ent[d->n++];

		chain_name(e->name, sizeof(e->name), &m->chains[i]);
		ret = chain_ent(e, m, &m->chains[i]);
	}
	for (i = 0; i < m->nsets && !ret; i++) {
		const struct nm_set *s = &m->sets[i];
		struct mdigest_ent *e;

		/* part of the rule that holds it (hanon) */
		if (s->flags & NFT_SET_ANONYMOUS)
			continue;
		e = &d->ent[d->n++];

		snprintf(e->name, sizeof(e->name), "%s %s %s %s",
			 (s->flags & NFT_SET_MAP) ? "map" : "set",
			 nm_family_name(s->family), s->table, s->name);
		ret = set_ent(e, m, s);
	}
	if (ret)
		goto fail;
	for (i = 0; i < d->n; i++)
		d->byname[i] = i;
	/* qsort has no context argument in C11: the digest is built by one
	 * thread, so a file-scope pointer will do. */
	sort_ctx = d;
	qsort(d->byname, d->n, sizeof(*d->byname), byname_cmp);
	sort_ctx = NULL;
	/* By name: chains re-created in another order are the same rules. */
	for (i = 0; i < d->n; i++) {
		d->all = hstr(d->all, d->ent[d->byname[i]].name);
		H(d->all, d->ent[d->byname[i]].hash);
	}
	return 0;
fail:
	mdigest_free(d);
	return ret;
}

void mdigest_free(struct mdigest *d)
{
	unsigned int i;

	for (i = 0; d->ent && i < d->n; i++)
		free(d->ent[i].items);
	free(d->ent);
	free(d->byname);
	memset(d, 0, sizeof(*d));
}

static const struct mdigest_ent *find(const struct mdigest *d,
				      const char *name)
{
	unsigned int lo = 0, hi = d->n;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;
		const struct mdigest_ent *e = &d->ent[d->byname[mid]];
		int c = strcmp(e->name, name);

		if (!c)
			return e;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- what changed ---- */

static int out_ports(const struct md_ports *pp, uint16_t *out, int *n,
		     int max)
{
	int j, k;

	if (pp->any)
		return -1;
	for (j = 0; j < pp->n; j++) {
		for (k = 0; k < *n && out[k] != pp->p[j]; k++)
			;
		if (k < *n)
			continue;
		if (*n == max)
			return -1;
		out[(*n)++] = pp->p[j];
	}
	return 0;
}

#define MD_LCS_MAX	65536	/* cells of the table for a rule diff */

/*
 * Rules of a chain whose place in the order changed: a longest common
 * subsequence of the two rule lists (after the common head and tail) is
 * what stayed; every other rule was added, removed or moved, and the
 * flows it decides for are the ones whose decision may differ (a rule
 * that now shadows others, or no longer does, is among them itself).
 */
static int chain_changed(const struct mdigest_ent *o,
			 const struct mdigest_ent *e, uint16_t *out, int *n,
			 int max)
{
	unsigned int p = 0, so = o->nitems, se = e->nitems, a, b, i, j;
	uint16_t *t = NULL;
	bool *keep_o, *keep_e;
	int ret = 0;

	while (p < so && p < se && o->items[p].hash == e->items[p].hash)
		p++;
	while (so > p && se > p &&
	       o->items[so - 1].hash == e->items[se - 1].hash)
		so--, se--;
	a = so - p;
	b = se - p;
	keep_o = calloc(a + 1, sizeof(*keep_o));
	keep_e = calloc(b + 1, sizeof(*keep_e));
	if (!keep_o || !keep_e)
		goto all;
	if (a && b && (size_t)(a + 1) * (b + 1) <= MD_LCS_MAX) {
		t = calloc((size_t)(a + 1) * (b + 1), sizeof(*t));
		if (!t)
			goto all;
#define T(x, y) t[(size_t)(x) * (b + 1) + (y)]
		for (i = a; i-- > 0;)
			for (j = b; j-- > 0;)
				T(i, j) = o->items[p + i].hash ==
					  e->items[p + j].hash ?
					  T(i + 1, j + 1) + 1 :
					  T(i + 1, j) > T(i, j + 1) ?
					  T(i + 1, j) : T(i, j + 1);
		for (i = j = 0; i < a && j < b;) {
			if (o->items[p + i].hash == e->items[p + j].hash) {
				keep_o[i++] = keep_e[j++] = true;
			} else if (T(i + 1, j) >= T(i, j + 1)) {
				i++;
			} else {
				j++;
			}
		}
#undef T
	}
	for (i = 0; i < a && !ret; i++)
		if (!keep_o[i])
			ret = out_ports(&o->items[p + i].ports, out, n, max);
	for (j = 0; j < b && !ret; j++)
		if (!keep_e[j])
			ret = out_ports(&e->items[p + j].ports, out, n, max);
	free(t);
	free(keep_o);
	free(keep_e);
	return ret;
all:
	free(keep_o);
	free(keep_e);
	ret = out_ports(&o->ports, out, n, max);
	return ret ? ret : out_ports(&e->ports, out, n, max);
}

/* Elements added, removed or with another value: both sorted by hash. */
static int set_changed(const struct mdigest_ent *o,
		       const struct mdigest_ent *e, uint16_t *out, int *n,
		       int max)
{
	unsigned int i = 0, j = 0;
	int ret = 0;

	while (!ret && (i < o->nitems || j < e->nitems)) {
		if (j == e->nitems ||
		    (i < o->nitems && o->items[i].hash < e->items[j].hash))
			ret = out_ports(&o->items[i++].ports, out, n, max);
		else if (i == o->nitems || e->items[j].hash < o->items[i].hash)
			ret = out_ports(&e->items[j++].ports, out, n, max);
		else
			i++, j++;
	}
	return ret;
}

static int entry_changed(const struct mdigest_ent *o,
			 const struct mdigest_ent *e, uint16_t *out, int *n,
			 int max)
{
	int ret;

	if (o->head != e->head || o->ordered != e->ordered) {
		ret = out_ports(&o->ports, out, n, max);
		return ret ? ret : out_ports(&e->ports, out, n, max);
	}
	return e->ordered ? chain_changed(o, e, out, n, max) :
	       set_changed(o, e, out, n, max);
}

int mdigest_changed_ports(const struct mdigest *old,
			  const struct mdigest *new, uint16_t *out, int max)
{
	const struct mdigest_ent *e, *o;
	unsigned int i;
	int n = 0;

	for (i = 0; i < new->n; i++) {
		e = &new->ent[i];
		o = find(old, e->name);
		if (o && o->hash == e->hash)
			continue;
		if (!o ? out_ports(&e->ports, out, &n, max) :
		    entry_changed(o, e, out, &n, max))
			return -1;
	}
	for (i = 0; i < old->n; i++) {
		o = &old->ent[i];
		if (!find(new, o->name) && out_ports(&o->ports, out, &n, max))
			return -1;
	}
	return n;
}

static void add(char *buf, size_t len, size_t *off, unsigned int *more,
		const char *name, const char *what)
{
	int n;

	if (*more || *off + strlen(name) + strlen(what) + 24 >= len) {
		(*more)++;
		return;
	}
	n = snprintf(buf + *off, len - *off, "%s%s %s", *off ? ", " : "",
		     name, what);
	if (n > 0)
		*off += (size_t)n;
}

void mdigest_diff(const struct mdigest *old, const struct mdigest *new,
		  char *buf, size_t len)
{
	unsigned int i, more = 0;
	size_t off = 0;

	if (!len)
		return;		/* not even room for the terminator */
	buf[0] = 0;
	for (i = 0; i < new->n; i++) {
		const struct mdigest_ent *o = find(old, new->ent[i].name);

		if (!o)
			add(buf, len, &off, &more, new->ent[i].name, "added");
		else if (o->hash != new->ent[i].hash)
			add(buf, len, &off, &more, new->ent[i].name,
			    "changed");
	}
	for (i = 0; i < old->n; i++)
		if (!find(new, old->ent[i].name))
			add(buf, len, &off, &more, old->ent[i].name,
			    "removed");
	if (more)
		snprintf(buf + off, len - off, "%sand %u more",
			 off ? ", " : "", more);
}

uint64_t mdigest_netenv(const struct netenv *env)
{
	uint64_t h = FNV64_INIT;
	unsigned int i;

	for (i = 0; i < env->nlinks; i++) {
		H(h, env->links[i].index);
		H(h, env->links[i].tc_ingress);
		h = fnv64(h, env->links[i].name, strnlen(env->links[i].name,
						       sizeof(env->links[i].name)));
	}
	for (i = 0; i < env->naddrs; i++) {
		const struct ne_addr *a = &env->addrs[i];

		H(h, a->family);
		H(h, a->prefixlen);
		H(h, a->ifindex);
		h = fnv64(h, &a->addr, sizeof(a->addr));
	}
	for (i = 0; i < env->nroutes; i++) {
		const struct ne_route *r = &env->routes[i];

		H(h, r->family);
		H(h, r->dst_len);
		H(h, r->type);
		H(h, r->table);
		H(h, r->oif);
		H(h, r->priority);
		h = fnv64(h, &r->dst, sizeof(r->dst));
		h = fnv64(h, &r->gw, sizeof(r->gw));
		h = fnv64(h, &r->prefsrc, sizeof(r->prefsrc));
	}
	return h;
}
