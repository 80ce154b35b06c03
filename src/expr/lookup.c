// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * expr/lookup.c - set and map lookups, dynamic sets either way.
 */
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/rtnetlink.h>
#include "exprint.h"

static int in_bytes(const uint8_t *v, const uint8_t *lo, const uint8_t *hi,
		    unsigned int len)
{
	return memcmp(v, lo, len) >= 0 && memcmp(v, hi, len) <= 0;
}

/* Concatenations: each field starts on a 4-byte boundary and is a range
 * of its own (the pipapo set); plain keys compare as a whole. */
static int elem_match(const struct nm_set *s, const struct nm_elem *el,
		      const uint8_t *key, unsigned int klen)
{
	const uint8_t *hi = el->key_end.len ? el->key_end.val : el->key.val;
	unsigned int f, off = 0;

	if (!s->nfields)
		return in_bytes(key, el->key.val, hi, klen);
	for (f = 0; f < s->nfields && f < 16; f++) {
		unsigned int fl = s->field_len[f];

		if (off + fl > klen)
			return 0;
		if (!in_bytes(key + off, el->key.val + off, hi + off, fl))
			return 0;
		off += (fl + 3) & ~3u;
	}
	return 1;
}

/*
 * Elements of a set that rules fill (flags dynamic: kube-proxy's session
 * affinity) or that time out come and go with traffic and time: the first
 * packet may find its key or not, so both are paths.  A map's value for a
 * key it has no element for now cannot be known.
 */
static int lookup_dynamic(struct ev_run *r, const struct nm_set *s,
			  const struct nm_expr *e, const struct nm_elem **el)
{
	uint32_t found;

	if (!(s->flags & (NFT_SET_EVAL | NFT_SET_TIMEOUT)))
		return 1;
	if (!ev_choose(r, 2, "dynamic set", &found))
		return 0;
	if (!e->lookup.has_dreg) {
		/* The verdict follows from whether it was found. */
		static const struct nm_elem any;

		*el = found ? (*el ?: &any) : NULL;
		return 1;
	}
	if (!found) {
		*el = NULL;
		return 1;
	}
	if (!*el) {
		ev_unknown(r, "value of a dynamic map");
		return 0;
	}
	return 1;
}

static void eval_lookup(struct ev_run *r, struct ev_regs *regs,
			const struct nm_expr *e)
{
	const struct nm_model *m = r->cx->m;
	const struct nm_set *s;
	const struct nm_elem *el = NULL;
	uint8_t key[NM_DATA_MAX];
	unsigned int klen, i;

	if (e->lookup.set < 0 || (unsigned int)e->lookup.set >= m->nsets) {
		ev_unknown(r, "lookup in a set not read");
		return;
	}
	s = &m->sets[e->lookup.set];
	klen = s->key_len ? s->key_len : e->len;
	if (!klen || klen > NM_DATA_MAX) {
		ev_unknown(r, "lookup key of %u bytes", klen);
		return;
	}
	if (!ev_reg_get(r, regs, e->sreg, klen, key))
		return;
	for (i = 0; i < s->nelems && !el; i++)
		if (elem_match(s, &s->elems[i], key, klen))
			el = &s->elems[i];
	if (el && r->cx->trace) {
		struct ev_step st = {
			.chain = r->chain, .rule = r->rule,
			.set = e->lookup.set, .elem = (int)(el - s->elems),
		};

		ev_trace_step(r, EVS_ELEM, &st);
	}
	if (!lookup_dynamic(r, s, e, &el))
		return;
	if (!e->lookup.has_dreg) {
		if (!el == !e->lookup.invert)
			regs->verdict = NFT_BREAK;
		return;
	}
	if (!el) {
		regs->verdict = NFT_BREAK;
		return;
	}
	if (e->dreg == NFT_REG_VERDICT) {
		regs->verdict = el->verdict;
		regs->chain = el->chain;
		return;
	}
	i = s->data_len ? s->data_len : el->data.len;
	if (i > NM_DATA_MAX) {
		ev_unknown(r, "map value of %u bytes", i);
		return;
	}
	ev_reg_store(r, regs, e->dreg, el->data.val, NULL, i);
}

static int lookup_print(char *buf, size_t len, const struct nm_expr *e)
{
	char s[12], d[12];

	if (!e->lookup.has_dreg)
		return snprintf(buf, len, "lookup %s set #%d%s",
				expr_reg(e->sreg, s), e->lookup.set,
				e->lookup.invert ? " 0x1" : "");
	return snprintf(buf, len, "lookup %s set #%d dreg %s",
			expr_reg(e->sreg, s), e->lookup.set,
			expr_reg(e->dreg, d));
}

static const struct nm_field lookup_fields[] = {
	NM_FIELD(lookup.set, NM_F_SET),
	NM_FIELD(lookup.invert, NM_F_PLAIN),
	NM_FIELD(lookup.has_dreg, NM_F_PLAIN),
};

/* A verdict map decides what runs next. */
static unsigned int lookup_role(const struct nm_expr *e)
{
	return e->lookup.has_dreg && e->dreg == NFT_REG_VERDICT ?
	       NM_ROLE_VERDICT : 0;
}

/* A verdict map goes on in the chains its elements name. */
static void lookup_next(const struct nm_expr *e, struct nm_next *out)
{
	out->chain = -1;
	out->set = lookup_role(e) & NM_ROLE_VERDICT ? e->lookup.set : -1;
}

/* The port an element's key stands for; every port when the key is not
 * one (a concatenation, a wider key). */
void nm_elem_dports(const struct nm_set *s, const struct nm_elem *el,
		    struct nm_ports *out)
{
	uint16_t lo, hi;

	if (s->key_len != 2 || s->nfields > 1 ||
	    (el->key_end.len != 2 && el->key.len != 2)) {
		out->add(out, 0, 0xffff);
		return;
	}
	memcpy(&lo, el->key.val, 2);
	hi = lo;
	if (el->key_end.len == 2)
		memcpy(&hi, el->key_end.val, 2);
	out->add(out, lo, hi);
}

static int lookup_dports(const struct nm_expr *e, const struct nm_model *m,
			 bool dport, struct nm_ports *out)
{
	const struct nm_set *s;
	unsigned int i;

	if (!dport || e->lookup.invert || e->lookup.set < 0 ||
	    (unsigned int)e->lookup.set >= m->nsets)
		return 0;
	s = &m->sets[e->lookup.set];
	for (i = 0; i < s->nelems; i++)
		nm_elem_dports(s, &s->elems[i], out);
	return 1;
}

const struct nm_expr_ops expr_lookup = {
	.op = NM_OP_LOOKUP, .name = "lookup",
	.fields = lookup_fields, .nfields = NM_NFIELDS(lookup_fields),
	.member = NM_MEMBER(lookup),
	.eval = eval_lookup, .keys = nm_keys_none, .print = lookup_print,
	.role = lookup_role, .dports = lookup_dports,
	.next = lookup_next,
};
