// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * expr/cmp.c - compare a register with data.
 */
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/rtnetlink.h>
#include "exprint.h"

/* A known bit that differs decides equality even next to unknown ones. */
static int cmp_eq(struct ev_run *r, const struct ev_regs *regs,
		  const uint8_t *val, const uint8_t *known, unsigned int off,
		  const uint8_t *data, unsigned int len, int *eq)
{
	unsigned int i;

	for (i = 0; i < len; i++) {
		if ((val[i] ^ data[i]) & known[i]) {
			*eq = 0;
			return 1;
		}
	}
	if (!ev_need_known(r, regs, known, off, len))
		return 0;
	*eq = 1;
	return 1;
}

static void eval_cmp(struct ev_run *r, struct ev_regs *regs,
		     const struct nm_expr *e)
{
	uint8_t val[NM_DATA_MAX], known[NM_DATA_MAX];
	unsigned int len = e->len ? e->len : e->cmp.data.len, off;
	const uint8_t *data = e->cmp.data.val;
	int d, eq, mismatch;

	if (len > NM_DATA_MAX || !ev_reg_load(r, regs, e->sreg, len, val, known,
					   &off)) {
		ev_unknown(r, "cmp of %u bytes", len);
		return;
	}
	if (e->cmp.op == NFT_CMP_EQ || e->cmp.op == NFT_CMP_NEQ) {
		if (!cmp_eq(r, regs, val, known, off, data, len, &eq))
			return;
		mismatch = e->cmp.op == NFT_CMP_EQ ? !eq : eq;
	} else {
		if (!ev_need_known(r, regs, known, off, len))
			return;
		d = memcmp(val, data, len);
		switch (e->cmp.op) {
		case NFT_CMP_LT:
			mismatch = d >= 0;
			break;
		case NFT_CMP_LTE:
			mismatch = d > 0;
			break;
		case NFT_CMP_GT:
			mismatch = d <= 0;
			break;
		case NFT_CMP_GTE:
			mismatch = d < 0;
			break;
		default:
			ev_unknown(r, "cmp op %u", e->cmp.op);
			return;
		}
	}
	if (mismatch)
		regs->verdict = NFT_BREAK;
}

static const char *const cmp_ops[] = {
	[NFT_CMP_EQ] = "eq", [NFT_CMP_NEQ] = "neq", [NFT_CMP_LT] = "lt",
	[NFT_CMP_LTE] = "lte", [NFT_CMP_GT] = "gt", [NFT_CMP_GTE] = "gte",
};

static int cmp_print(char *buf, size_t len, const struct nm_expr *e)
{
	char r[12], d[3 * NM_DATA_MAX];

	expr_data(d, sizeof(d), &e->cmp.data);
	return snprintf(buf, len, "cmp %s %s %s",
			NAME_OF(cmp_ops, e->cmp.op) ?: "?",
			expr_reg(e->sreg, r), d);
}

static const struct nm_field cmp_fields[] = {
	NM_FIELD(cmp.op, NM_F_PLAIN),
	NM_FIELD(cmp.data, NM_F_DATA),
};

static int cmp_dports(const struct nm_expr *e, const struct nm_model *m,
		      bool dport, struct nm_ports *out)
{
	uint16_t p;

	if (!dport || e->cmp.op != NFT_CMP_EQ || e->cmp.data.len != 2)
		return 0;
	memcpy(&p, e->cmp.data.val, 2);
	out->add(out, p, p);
	return 1;
}

const struct nm_expr_ops expr_cmp = {
	.op = NM_OP_CMP, .name = "cmp",
	.fields = cmp_fields, .nfields = NM_NFIELDS(cmp_fields),
	.member = NM_MEMBER(cmp),
	.eval = eval_cmp, .keys = nm_keys_none, .print = cmp_print,
	.role = nm_role_none, .dports = cmp_dports,
	.next = nm_next_none,
};
