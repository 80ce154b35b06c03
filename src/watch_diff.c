// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * watch_diff.c - digests of the NAT model and the routing snapshot.
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
#include "watch_diff.h"
#include "expr.h"
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#define FNV_INIT 14695981039346656037ull

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 1099511628211ull;
	return h;
}

#define H(h, v) ((h) = fnv((h), &(v), sizeof(v)))

static uint64_t hstr(uint64_t h, const char *s)
{
	return s ? fnv(h, s, strlen(s) + 1) : fnv(h, "", 1);
}

static uint64_t hdata(uint64_t h, const struct nm_data *d)
{
	uint8_t len = d->len > NM_DATA_MAX ? NM_DATA_MAX : d->len;

	H(h, len);
	return fnv(h, d->val, len);
}

static uint64_t hchain(const struct nm_chain *c)
{
	uint64_t h = FNV_INIT;
	unsigned int i, k;

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
	h = fnv(h, c->devs, sizeof(c->devs));
	H(h, c->nrules);
	for (i = 0; i < c->nrules; i++) {
		const struct nm_rule *r = &c->rules[i];

		H(h, r->nexprs);
		for (k = 0; k < r->nexprs; k++)
			h = nm_expr_digest(h, &r->exprs[k]);
	}
	return h;
}

static uint64_t hset(const struct nm_set *s)
{
	uint64_t h = FNV_INIT;
	unsigned int i;

	h = hstr(h, s->table);
	h = hstr(h, s->name);
	H(h, s->family);
	H(h, s->flags);
	H(h, s->key_len);
	H(h, s->data_len);
	H(h, s->data_type);
	H(h, s->nfields);
	h = fnv(h, s->field_len, sizeof(s->field_len));
	H(h, s->nelems);
	for (i = 0; i < s->nelems; i++) {
		const struct nm_elem *e = &s->elems[i];

		h = hdata(h, &e->key);
		h = hdata(h, &e->key_end);
		h = hdata(h, &e->data);
		H(h, e->verdict);
		H(h, e->chain);
	}
	return h;
}

static const struct mdigest_ent *find(const struct mdigest *d,
				      const char *name);

/* ---- port hints ---- */

static void port_add(struct mdigest_ent *e, uint16_t p)
{
	unsigned int i;

	for (i = 0; i < e->nports; i++)
		if (e->ports[i] == p)
			return;
	if (e->nports == MD_PORTS)
		e->any_port = true;
	else
		e->ports[e->nports++] = p;
}

/* Ports from..to (network byte order, inclusive); a wide range is any. */
static void port_range(struct mdigest_ent *e, uint16_t from, uint16_t to)
{
	uint32_t a = ntohs(from), b = ntohs(to);

	if (b < a || b - a >= MD_PORTS) {
		e->any_port = true;
		return;
	}
	for (; a <= b; a++)
		port_add(e, htons((uint16_t)a));
}

static uint16_t data_port(const struct nm_data *d)
{
	uint16_t p;

	memcpy(&p, d->val, 2);
	return p;
}

static void set_ports(struct mdigest_ent *e, const struct nm_set *s)
{
	unsigned int i;

	if (s->key_len != 2 || s->nfields > 1) {
		e->any_port = true;
		return;
	}
	for (i = 0; i < s->nelems && !e->any_port; i++) {
		const struct nm_elem *el = &s->elems[i];

		if (el->key_end.len == 2)
			port_range(e, data_port(&el->key), data_port(&el->key_end));
		else if (el->key.len == 2)
			port_add(e, data_port(&el->key));
	}
}

static bool is_dport_load(const struct nm_expr *x)
{
	return x->op == NM_OP_PAYLOAD && x->len == 2 &&
	       x->payload.base == NFT_PAYLOAD_TRANSPORT_HEADER &&
	       x->payload.offset == 2;
}

/* Does the rule decide anything (NAT, a verdict, a jump, a mark a nat
 * rule may read)?  Rules that only count or log change nothing a flow's
 * NAT depends on. */
static bool rule_decides(const struct nm_rule *r)
{
	unsigned int k;

	for (k = 0; k < r->nexprs; k++) {
		const struct nm_expr *x = &r->exprs[k];

		if (nm_expr_writes_mark(x))
			return true;
		switch (x->op) {
		case NM_OP_NAT: case NM_OP_REDIR: case NM_OP_MASQ:
		case NM_OP_NATSPEC: case NM_OP_UNKNOWN:
			return true;
		case NM_OP_IMMEDIATE:
			if (x->dreg == NFT_REG_VERDICT)
				return true;
			break;
		case NM_OP_LOOKUP:
			if (x->lookup.has_dreg && x->dreg == NFT_REG_VERDICT)
				return true;
			break;
		}
	}
	return false;
}

/* The ports one deciding rule is limited to: equality or small ranges on
 * a loaded destination port, a lookup of it in a port set, an xt port
 * match.  None found: any port. */
static void rule_ports(struct mdigest_ent *e, const struct nm_model *m,
		       const struct nm_rule *r)
{
	uint32_t dport_regs = 0;	/* registers holding the dport */
	uint8_t before = e->nports;
	bool limited = false;
	unsigned int k, i;

	for (k = 0; k < r->nexprs && !e->any_port; k++) {
		const struct nm_expr *x = &r->exprs[k];
		uint32_t sbit = x->sreg < 32 ? 1u << x->sreg : 0;

		if (is_dport_load(x) && x->dreg < 32) {
			dport_regs |= 1u << x->dreg;
			continue;
		}
		if (x->op == NM_OP_PAYLOAD || x->op == NM_OP_META ||
		    x->op == NM_OP_IMMEDIATE || x->op == NM_OP_BITWISE)
			if (x->dreg < 32)
				dport_regs &= ~(1u << x->dreg);
		if (!(dport_regs & sbit) && x->op != NM_OP_XT_PORTS)
			continue;
		if (x->op == NM_OP_CMP && x->cmp.op == NFT_CMP_EQ &&
		    x->cmp.data.len == 2) {
			port_add(e, data_port(&x->cmp.data));
			limited = true;
		} else if (x->op == NM_OP_RANGE && x->range.op == NFT_RANGE_EQ) {
			port_range(e, data_port(&x->range.from),
				   data_port(&x->range.to));
			limited = true;
		} else if (x->op == NM_OP_LOOKUP && !x->lookup.invert &&
			   x->lookup.set >= 0 &&
			   (unsigned int)x->lookup.set < m->nsets) {
			set_ports(e, &m->sets[x->lookup.set]);
			limited = true;
		} else if (x->op == NM_OP_XT_PORTS && !x->ports.dst_inv &&
			   !x->ports.either && x->ports.ndst) {
			for (i = 0; i < x->ports.ndst; i++)
				port_range(e, htons(x->ports.dst[i][0]),
					   htons(x->ports.dst[i][1]));
			limited = true;
		}
	}
	if (!limited && e->nports == before)
		e->any_port = true;
}

static void chain_ports(struct mdigest_ent *e, const struct nm_model *m,
			const struct nm_chain *c)
{
	unsigned int i;

	for (i = 0; i < c->nrules && !e->any_port; i++)
		if (rule_decides(&c->rules[i]))
			rule_ports(e, m, &c->rules[i]);
}

int mdigest_changed_ports(const struct mdigest *old,
			  const struct mdigest *new, uint16_t *out, int max)
{
	const struct mdigest *side[2] = { new, old };
	int n = 0, s, j, k;
	unsigned int i;

	for (s = 0; s < 2; s++) {
		const struct mdigest *other = side[!s];

		for (i = 0; i < side[s]->n; i++) {
			const struct mdigest_ent *e = &side[s]->ent[i];
			const struct mdigest_ent *o = find(other, e->name);

			if (o && o->hash == e->hash)
				continue;
			if (e->any_port)
				return -1;
			for (j = 0; j < e->nports; j++) {
				for (k = 0; k < n && out[k] != e->ports[j]; k++)
					;
				if (k < n)
					continue;
				if (n == max)
					return -1;
				out[n++] = e->ports[j];
			}
		}
	}
	return n;
}

static const char *family_str(uint8_t f)
{
	switch (f) {
	case NFPROTO_INET: return "inet";
	case NFPROTO_IPV4: return "ip";
	case NFPROTO_IPV6: return "ip6";
	case NFPROTO_NETDEV: return "netdev";
	default: return "?";
	}
}

int mdigest_build(const struct nm_model *m, struct mdigest *d)
{
	unsigned int i, n = m->nchains + m->nsets;

	memset(d, 0, sizeof(*d));
	d->all = FNV_INIT;
	if (!n)
		return 0;
	d->ent = calloc(n, sizeof(*d->ent));
	if (!d->ent)
		return -ENOMEM;
	for (i = 0; i < m->nchains; i++) {
		const struct nm_chain *c = &m->chains[i];
		struct mdigest_ent *e = &d->ent[d->n++];

		if (c->source == NM_SRC_LEGACY)
			snprintf(e->name, sizeof(e->name),
				 "%s chain %s %s", c->family == NFPROTO_IPV6 ?
				 "ip6tables-legacy" : "iptables-legacy",
				 c->table ? c->table : "nat", c->name);
		else
			snprintf(e->name, sizeof(e->name), "chain %s %s %s",
				 family_str(c->family), c->table, c->name);
		e->hash = hchain(c);
		chain_ports(e, m, c);
		H(d->all, e->hash);
	}
	for (i = 0; i < m->nsets; i++) {
		const struct nm_set *s = &m->sets[i];
		struct mdigest_ent *e = &d->ent[d->n++];

		snprintf(e->name, sizeof(e->name), "%s %s %s %s",
			 (s->flags & NFT_SET_MAP) ? "map" : "set",
			 family_str(s->family), s->table, s->name);
		e->hash = hset(s);
		set_ports(e, s);
		H(d->all, e->hash);
	}
	return 0;
}

void mdigest_free(struct mdigest *d)
{
	free(d->ent);
	memset(d, 0, sizeof(*d));
}

static const struct mdigest_ent *find(const struct mdigest *d,
				      const char *name)
{
	unsigned int i;

	for (i = 0; i < d->n; i++)
		if (!strcmp(d->ent[i].name, name))
			return &d->ent[i];
	return NULL;
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

uint64_t netenv_hash(const struct netenv *env)
{
	uint64_t h = FNV_INIT;
	unsigned int i;

	for (i = 0; i < env->nlinks; i++) {
		H(h, env->links[i].index);
		H(h, env->links[i].tc_ingress);
		h = fnv(h, env->links[i].name, strnlen(env->links[i].name,
						       sizeof(env->links[i].name)));
	}
	for (i = 0; i < env->naddrs; i++) {
		const struct ne_addr *a = &env->addrs[i];

		H(h, a->family);
		H(h, a->prefixlen);
		H(h, a->ifindex);
		h = fnv(h, &a->addr, sizeof(a->addr));
	}
	for (i = 0; i < env->nroutes; i++) {
		const struct ne_route *r = &env->routes[i];

		H(h, r->family);
		H(h, r->dst_len);
		H(h, r->type);
		H(h, r->table);
		H(h, r->oif);
		H(h, r->priority);
		h = fnv(h, &r->dst, sizeof(r->dst));
		h = fnv(h, &r->gw, sizeof(r->gw));
		h = fnv(h, &r->prefsrc, sizeof(r->prefsrc));
	}
	return h;
}
