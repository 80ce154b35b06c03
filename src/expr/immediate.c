// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * expr/immediate.c - data or a verdict into a register.
 */
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/rtnetlink.h>
#include "exprint.h"

static void eval_immediate(struct ev_run *r, struct ev_regs *regs,
			   const struct nm_expr *e)
{
	unsigned int len = e->imm.data.len ? e->imm.data.len : e->len;

	if (e->dreg == NFT_REG_VERDICT) {
		regs->verdict = e->imm.verdict;
		regs->chain = e->imm.chain;
		return;
	}
	if (len > NM_DATA_MAX) {
		ev_unknown(r, "immediate of %u bytes", len);
		return;
	}
	ev_reg_store(r, regs, e->dreg, e->imm.data.val, NULL, len);
}

static const char *verdict_name(int v)
{
	switch (v) {
	case NF_ACCEPT: return "accept";
	case NF_DROP: return "drop";
	case NFT_CONTINUE: return "continue";
	case NFT_BREAK: return "break";
	case NFT_JUMP: return "jump";
	case NFT_GOTO: return "goto";
	case NFT_RETURN: return "return";
	}
	return "?";
}

static int immediate_print(char *buf, size_t len, const struct nm_expr *e)
{
	char r[12], d[3 * NM_DATA_MAX];

	if (e->dreg == NFT_REG_VERDICT && e->imm.chain >= 0)
		return snprintf(buf, len, "immediate reg 0 %s -> chain #%d",
				verdict_name(e->imm.verdict), e->imm.chain);
	if (e->dreg == NFT_REG_VERDICT)
		return snprintf(buf, len, "immediate reg 0 %s",
				verdict_name(e->imm.verdict));
	expr_data(d, sizeof(d), &e->imm.data);
	return snprintf(buf, len, "immediate %s %s", expr_reg(e->dreg, r), d);
}

static const struct nm_field immediate_fields[] = {
	NM_FIELD(imm.data, NM_F_DATA),
	NM_FIELD(imm.verdict, NM_F_PLAIN),
	NM_FIELD(imm.chain, NM_F_CHAIN),
};

static unsigned int immediate_role(const struct nm_expr *e)
{
	return e->dreg == NFT_REG_VERDICT ? NM_ROLE_VERDICT : 0;
}

/* A jump or a goto goes on in its chain; other verdicts end the rule. */
static void immediate_next(const struct nm_expr *e, struct nm_next *out)
{
	out->set = -1;
	out->chain = e->dreg == NFT_REG_VERDICT &&
		     (e->imm.verdict == NFT_JUMP ||
		      e->imm.verdict == NFT_GOTO) ? e->imm.chain : -1;
}

const struct nm_expr_ops expr_immediate = {
	.op = NM_OP_IMMEDIATE, .name = "immediate",
	.fields = immediate_fields, .nfields = NM_NFIELDS(immediate_fields),
	.member = NM_MEMBER(imm),
	.eval = eval_immediate, .keys = nm_keys_none, .print = immediate_print,
	.role = immediate_role, .dports = nm_dports_none,
	.next = immediate_next,
};
