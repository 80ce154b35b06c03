// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * expr/range.c - a register within (or outside) [from, to].
 */
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/rtnetlink.h>
#include "exprint.h"

static void eval_range(struct ev_run *r, struct ev_regs *regs,
		       const struct nm_expr *e)
{
	uint8_t val[NM_DATA_MAX];
	unsigned int len = e->len ? e->len : e->range.from.len;
	int d1, d2, in;

	if (len > NM_DATA_MAX) {
		ev_unknown(r, "range of %u bytes", len);
		return;
	}
	if (!ev_reg_get(r, regs, e->sreg, len, val))
		return;
	d1 = memcmp(val, e->range.from.val, len);
	d2 = memcmp(val, e->range.to.val, len);
	in = d1 >= 0 && d2 <= 0;
	switch (e->range.op) {
	case NFT_RANGE_EQ:
		break;
	case NFT_RANGE_NEQ:
		in = !in;
		break;
	default:
		ev_unknown(r, "range op %u", e->range.op);
		return;
	}
	if (!in)
		regs->verdict = NFT_BREAK;
}

static int range_print(char *buf, size_t len, const struct nm_expr *e)
{
	char r[12], f[3 * NM_DATA_MAX], t[3 * NM_DATA_MAX];

	expr_data(f, sizeof(f), &e->range.from);
	expr_data(t, sizeof(t), &e->range.to);
	return snprintf(buf, len, "range %s %s %s %s",
			e->range.op == NFT_RANGE_NEQ ? "neq" : "eq",
			expr_reg(e->sreg, r), f, t);
}

static const struct nm_field range_fields[] = {
	NM_FIELD(range.op, NM_F_PLAIN),
	NM_FIELD(range.from, NM_F_DATA),
	NM_FIELD(range.to, NM_F_DATA),
};

static int range_dports(const struct nm_expr *e, const struct nm_model *m,
			bool dport, struct nm_ports *out)
{
	uint16_t lo, hi;

	if (!dport || e->range.op != NFT_RANGE_EQ)
		return 0;
	memcpy(&lo, e->range.from.val, 2);
	memcpy(&hi, e->range.to.val, 2);
	out->add(out, lo, hi);
	return 1;
}

const struct nm_expr_ops expr_range = {
	.op = NM_OP_RANGE, .name = "range",
	.fields = range_fields, .nfields = NM_NFIELDS(range_fields),
	.member = NM_MEMBER(range),
	.eval = eval_range, .keys = nm_keys_none, .print = range_print,
	.role = nm_role_none, .dports = range_dports,
	.next = nm_next_none,
};
