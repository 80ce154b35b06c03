// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * expr/xt_mark.c - xt MARK, CONNMARK and the mark and connmark matches.
 */
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/rtnetlink.h>
#include "exprint.h"

static void eval_xt_mark(struct ev_run *r, const struct nm_xt_mark *x)
{
	struct ev_mark *mk = x->ct ? &r->ctmark : &r->mark;

	/* Bits under the mask are set, the others flip or stay: the
	 * result is known wherever the mask is or the old bit was. */
	mk->val = (mk->val & ~x->mask) ^ x->value;
	mk->known |= x->mask;
}

static int xt_mark_match(struct ev_run *r, const struct nm_xt_mark *x)
{
	const struct ev_mark *mk = x->ct ? &r->ctmark : &r->mark;

	if ((x->value & ~x->mask) ||
	    ((mk->val ^ x->value) & x->mask & mk->known))
		return !!x->inv;
	if (x->mask & ~mk->known) {
		ev_unknown(r, "%s mark: %s", x->ct ? "ct" : "meta", mk->why);
		return EV_MATCH_UNKNOWN;
	}
	return !x->inv;
}

/* xt_connmark's shift: zeros come in, and they are known. */
static void mark_shift(const struct nm_xt_connmark *c, uint32_t *v,
		       uint32_t *k)
{
	unsigned int b = c->shift_bits;

	if (!b)
		return;
	if (b > 31) {
		*v = 0;
		*k = ~0u;
	} else if (c->shift_dir) {
		*v >>= b;
		*k = (*k >> b) | ~(~0u >> b);
	} else {
		*v <<= b;
		*k = (*k << b) | ((1u << b) - 1);
	}
}

/* connmark_tg_shift(): save puts packet bits into the ct mark, restore
 * the other way round. */
static void eval_xt_connmark(struct ev_run *r, const struct nm_xt_connmark *c)
{
	int save = c->mode == NM_CONNMARK_SAVE;
	struct ev_mark *from = save ? &r->mark : &r->ctmark;
	struct ev_mark *to = save ? &r->ctmark : &r->mark;
	uint32_t fmask = save ? c->nfmask : c->ctmask;
	uint32_t tmask = save ? c->ctmask : c->nfmask;
	uint32_t v = from->val & fmask, k = from->known | ~fmask;

	if (c->mode != NM_CONNMARK_SAVE && c->mode != NM_CONNMARK_RESTORE) {
		ev_unknown(r, "xt target CONNMARK mode %u", c->mode);
		return;
	}
	mark_shift(c, &v, &k);
	if (k != ~0u)
		memcpy(to->why, from->why, sizeof(to->why));
	to->val = (to->val & ~tmask) ^ v;
	to->known = (to->known | tmask) & k;
}

static void eval_mark(struct ev_run *r, struct ev_regs *regs,
		      const struct nm_expr *e)
{
	eval_xt_mark(r, &e->mark);
}

static void eval_mark_match(struct ev_run *r, struct ev_regs *regs,
			    const struct nm_expr *e)
{
	ev_match(regs, xt_mark_match(r, &e->mark));
}

static void eval_connmark(struct ev_run *r, struct ev_regs *regs,
			  const struct nm_expr *e)
{
	eval_xt_connmark(r, &e->connmark);
}

static unsigned int mark_match_keys(uint8_t family, const struct nm_expr *e)
{
	return JK_MARK;
}

static int mark_print(char *buf, size_t len, const struct nm_expr *e)
{
	const struct nm_xt_mark *m = &e->mark;

	return snprintf(buf, len, "%s %s0x%x/0x%x",
			e->op == NM_OP_XT_MARK ?
			(m->ct ? "CONNMARK xset" : "MARK xset") :
			(m->ct ? "connmark match" : "mark match"),
			m->inv ? "! " : "", m->value, m->mask);
}

static int connmark_print(char *buf, size_t len, const struct nm_expr *e)
{
	const struct nm_xt_connmark *c = &e->connmark;

	return snprintf(buf, len,
			"CONNMARK %s nfmask 0x%x ctmask 0x%x shift %s %u",
			c->mode == NM_CONNMARK_SAVE ? "save" : "restore",
			c->nfmask, c->ctmask, c->shift_dir ? "right" : "left",
			c->shift_bits);
}

static const struct nm_field mark_fields[] = {
	NM_FIELD(mark.ct, NM_F_PLAIN),
	NM_FIELD(mark.inv, NM_F_PLAIN),
	NM_FIELD(mark.value, NM_F_PLAIN),
	NM_FIELD(mark.mask, NM_F_PLAIN),
};

static const struct nm_field connmark_fields[] = {
	NM_FIELD(connmark.mode, NM_F_PLAIN),
	NM_FIELD(connmark.shift_dir, NM_F_PLAIN),
	NM_FIELD(connmark.shift_bits, NM_F_PLAIN),
	NM_FIELD(connmark.ctmask, NM_F_PLAIN),
	NM_FIELD(connmark.nfmask, NM_F_PLAIN),
};

/* MARK and CONNMARK --set-xmark, --save-mark, --restore-mark. */
static unsigned int mark_role(const struct nm_expr *e)
{
	return NM_ROLE_MARK;
}

const struct nm_expr_ops expr_xt_mark = {
	.op = NM_OP_XT_MARK, .name = "xt MARK",
	.fields = mark_fields, .nfields = NM_NFIELDS(mark_fields),
	.member = NM_MEMBER(mark),
	.eval = eval_mark, .keys = nm_keys_none, .print = mark_print,
	.role = mark_role, .dports = nm_dports_none,
	.next = nm_next_none,
};

const struct nm_expr_ops expr_xt_mark_match = {
	.op = NM_OP_XT_MARK_MATCH, .name = "xt mark",
	.fields = mark_fields, .nfields = NM_NFIELDS(mark_fields),
	.member = NM_MEMBER(mark),
	.eval = eval_mark_match, .keys = mark_match_keys, .print = mark_print,
	.role = nm_role_none, .dports = nm_dports_none,
	.next = nm_next_none,
};

const struct nm_expr_ops expr_xt_connmark = {
	.op = NM_OP_XT_CONNMARK, .name = "xt CONNMARK",
	.fields = connmark_fields, .nfields = NM_NFIELDS(connmark_fields),
	.member = NM_MEMBER(connmark),
	.eval = eval_connmark, .keys = nm_keys_none, .print = connmark_print,
	.role = mark_role, .dports = nm_dports_none,
	.next = nm_next_none,
};
