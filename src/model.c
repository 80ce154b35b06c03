// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * model.c - building and freeing the neutral NAT model.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include "model.h"
#include "expr.h"

/* Grow @*arr (of @*n elements of @size) by one zeroed element. */
static void *grow(void **arr, unsigned int *n, size_t size)
{
	unsigned int cap = *n ? *n : 0;
	char *p;

	/* Double at powers of two: amortised O(1) without a capacity field. */
	if (cap == 0 || (cap & (cap - 1)) == 0) {
		p = realloc(*arr, (cap ? cap * 2 : 1) * size);
		if (!p)
			return NULL;
		*arr = p;
	}
	p = (char *)*arr + (size_t)*n * size;
	memset(p, 0, size);
	(*n)++;
	return p;
}

struct nm_chain *nm_add_chain(struct nm_model *m)
{
	struct nm_chain *c = grow((void **)&m->chains, &m->nchains, sizeof(*c));

	if (c)
		c->hook = -1;
	return c;
}

struct nm_rule *nm_add_rule(struct nm_chain *c)
{
	return grow((void **)&c->rules, &c->nrules, sizeof(struct nm_rule));
}

struct nm_expr *nm_add_expr(struct nm_rule *r)
{
	return grow((void **)&r->exprs, &r->nexprs, sizeof(struct nm_expr));
}

struct nm_set *nm_add_set(struct nm_model *m)
{
	return grow((void **)&m->sets, &m->nsets, sizeof(struct nm_set));
}

struct nm_elem *nm_add_elem(struct nm_set *s)
{
	struct nm_elem *e = grow((void **)&s->elems, &s->nelems, sizeof(*e));

	if (e)
		e->chain = -1;
	return e;
}

static void free_chain(struct nm_chain *c)
{
	unsigned int i;

	for (i = 0; i < c->nrules; i++) {
		free(c->rules[i].exprs);
		free(c->rules[i].comment);
	}
	free(c->rules);
	free(c->table);
	free(c->name);
}

void nm_drop_chains(struct nm_model *m, unsigned int base)
{
	unsigned int i;

	for (i = base; i < m->nchains; i++)
		free_chain(&m->chains[i]);
	if (m->nchains > base)
		m->nchains = base;
	if (!base) {
		free(m->chains);
		m->chains = NULL;
	}
}

void nm_model_free(struct nm_model *m)
{
	unsigned int i;

	nm_drop_chains(m, 0);
	for (i = 0; i < m->nsets; i++) {
		free(m->sets[i].elems);
		free(m->sets[i].table);
		free(m->sets[i].name);
	}
	free(m->sets);
	memset(m, 0, sizeof(*m));
}

/* Chain and set indices inside @src's rules move by the counts of @dst. */
static void rebase(struct nm_model *src, unsigned int cbase, unsigned int sbase)
{
	unsigned int i, j, k;

	for (i = 0; i < src->nchains; i++) {
		struct nm_chain *c = &src->chains[i];

		for (j = 0; j < c->nrules; j++) {
			for (k = 0; k < c->rules[j].nexprs; k++) {
				struct nm_expr *e = &c->rules[j].exprs[k];
				int *ci = nm_expr_index(e, NM_F_CHAIN);
				int *si = nm_expr_index(e, NM_F_SET);

				if (ci && *ci >= 0)
					*ci += cbase;
				if (si && *si >= 0)
					*si += sbase;
			}
		}
	}
	for (i = 0; i < src->nsets; i++)
		for (j = 0; j < src->sets[i].nelems; j++)
			if (src->sets[i].elems[j].chain >= 0)
				src->sets[i].elems[j].chain += cbase;
}

int nm_model_merge(struct nm_model *dst, struct nm_model *src)
{
	struct nm_chain *c;
	struct nm_set *s;
	unsigned int nc = dst->nchains + src->nchains;
	unsigned int ns = dst->nsets + src->nsets;

	rebase(src, dst->nchains, dst->nsets);
	/* Allocate to the next power of two so grow() keeps working. */
	c = realloc(dst->chains, (nc ? 1u << (32 - __builtin_clz(nc)) : 1) *
		    sizeof(*c));
	if (!c)
		return -ENOMEM;
	dst->chains = c;
	s = realloc(dst->sets, (ns ? 1u << (32 - __builtin_clz(ns)) : 1) *
		    sizeof(*s));
	if (!s)
		return -ENOMEM;
	dst->sets = s;
	if (src->nchains)
		memcpy(dst->chains + dst->nchains, src->chains,
		       src->nchains * sizeof(*c));
	if (src->nsets)
		memcpy(dst->sets + dst->nsets, src->sets,
		       src->nsets * sizeof(*s));
	dst->nchains = nc;
	dst->nsets = ns;
	free(src->chains);
	free(src->sets);
	memset(src, 0, sizeof(*src));
	nm_model_finish(dst);
	return 0;
}

const char *nm_family_name(uint8_t family)
{
	switch (family) {
	case NFPROTO_INET: return "inet";
	case NFPROTO_IPV4: return "ip";
	case NFPROTO_IPV6: return "ip6";
	case NFPROTO_NM_NETDEV: return "netdev";
	}
	return "?";
}

const char *nm_hook_name(int hook)
{
	static const char *const names[] = {
		"prerouting", "input", "forward", "output", "postrouting",
		"ingress",
	};

	return hook >= 0 && hook < (int)(sizeof(names) / sizeof(names[0])) ?
	       names[hook] : "?";
}

static bool family_applies(uint8_t chain_family, uint8_t family)
{
	/* NFPROTO_INET (1) chains see both; NFPROTO_IPV4 = AF_INET (2),
	 * NFPROTO_IPV6 = AF_INET6 (10). */
	return chain_family == 1 || chain_family == NFPROTO_NM_NETDEV ||
	       chain_family == family;
}

/* Base chains at @hook for @family, nat or the mark chains, in priority
 * order (stable: equal priorities keep reading order). */
static int sorted_chains(const struct nm_model *m, int hook, uint8_t family,
			 bool nat, const struct nm_chain **out, int max)
{
	int n = 0, i;
	unsigned int k;

	for (k = 0; k < m->nchains; k++) {
		const struct nm_chain *c = &m->chains[k];

		if (c->nat != nat || c->hook != hook || hook < 0 ||
		    !family_applies(c->family, family) ||
		    (!nat && m->finished && !c->writes_mark))
			continue;
		if (n == max)
			return -E2BIG;
		for (i = n; i > 0 && out[i - 1]->prio > c->prio; i--)
			out[i] = out[i - 1];
		out[i] = c;
		n++;
	}
	return n;
}

int nm_nat_chains(const struct nm_model *m, int hook, uint8_t family,
		  const struct nm_chain **out, int max)
{
	return sorted_chains(m, hook, family, true, out, max);
}

int nm_mark_chains(const struct nm_model *m, int hook, uint8_t family,
		   const struct nm_chain **out, int max)
{
	return sorted_chains(m, hook, family, false, out, max);
}

bool nm_expr_writes_mark(const struct nm_expr *e)
{
	return nm_expr_role(e) & NM_ROLE_MARK;
}

static bool rule_writes(const struct nm_model *m, const struct nm_rule *r)
{
	unsigned int k, i;

	for (k = 0; k < r->nexprs; k++) {
		const struct nm_expr *e = &r->exprs[k];
		struct nm_next n = nm_expr_next(e);

		if (nm_expr_writes_mark(e))
			return true;
		if (n.chain >= 0 && (unsigned int)n.chain < m->nchains &&
		    m->chains[n.chain].writes_mark)
			return true;
		if (n.set < 0 || (unsigned int)n.set >= m->nsets)
			continue;
		for (i = 0; i < m->sets[n.set].nelems; i++) {
			int c = m->sets[n.set].elems[i].chain;

			if (c >= 0 && (unsigned int)c < m->nchains &&
			    m->chains[c].writes_mark)
				return true;
		}
	}
	return false;
}

/* A fixpoint over jumps, gotos and verdict maps: a chain writes the mark
 * when one of its rules does or leads to a chain that does. */
void nm_model_finish(struct nm_model *m)
{
	unsigned int i, j;
	bool changed = true;

	for (i = 0; i < m->nchains; i++)
		m->chains[i].writes_mark = false;
	while (changed) {
		changed = false;
		for (i = 0; i < m->nchains; i++) {
			struct nm_chain *c = &m->chains[i];

			for (j = 0; j < c->nrules && !c->writes_mark; j++) {
				if (rule_writes(m, &c->rules[j])) {
					c->writes_mark = true;
					changed = true;
				}
			}
		}
	}
	m->finished = true;
}

int nm_find_chain(const struct nm_model *m, const char *table, uint8_t family,
		  const char *name)
{
	unsigned int i;

	for (i = 0; i < m->nchains; i++) {
		const struct nm_chain *c = &m->chains[i];

		if (c->family == family && !strcmp(c->name, name) &&
		    !strcmp(c->table, table))
			return i;
	}
	return -ENOENT;
}

int nm_find_set(const struct nm_model *m, const char *table, uint8_t family,
		const char *name)
{
	unsigned int i;

	for (i = 0; i < m->nsets; i++) {
		const struct nm_set *s = &m->sets[i];

		if (s->family == family && !strcmp(s->name, name) &&
		    !strcmp(s->table, table))
			return i;
	}
	return -ENOENT;
}
