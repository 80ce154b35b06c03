// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * expr/numgen.c - numgen and hash: every value is a path.
 */
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/rtnetlink.h>
#include "exprint.h"

static void eval_gen(struct ev_run *r, struct ev_regs *regs,
		     const struct nm_expr *e)
{
	uint32_t v;

	if (!ev_choose(r, e->gen.mod, e->op == NM_OP_NUMGEN ? "numgen" : "hash",
		    &v))
		return;
	v += e->gen.offset;
	ev_reg_store(r, regs, e->dreg, (uint8_t *)&v, NULL, 4);
}

static int gen_print(char *buf, size_t len, const struct nm_expr *e)
{
	char r[12];

	return snprintf(buf, len, "%s %s = mod %u offset %u",
			e->op == NM_OP_NUMGEN ? "numgen" : "hash",
			expr_reg(e->dreg, r), e->gen.mod, e->gen.offset);
}

static const struct nm_field gen_fields[] = {
	NM_FIELD(gen.mod, NM_F_PLAIN),
	NM_FIELD(gen.offset, NM_F_PLAIN),
};

const struct nm_expr_ops expr_numgen = {
	.op = NM_OP_NUMGEN, .name = "numgen",
	.fields = gen_fields, .nfields = NM_NFIELDS(gen_fields),
	.member = NM_MEMBER(gen),
	.eval = eval_gen, .keys = nm_keys_none, .print = gen_print,
	.role = nm_role_none, .dports = nm_dports_none,
	.next = nm_next_none,
};

/* The hash's inputs do not matter: every value is tried. */
const struct nm_expr_ops expr_hash = {
	.op = NM_OP_HASH, .name = "hash",
	.fields = gen_fields, .nfields = NM_NFIELDS(gen_fields),
	.member = NM_MEMBER(gen),
	.eval = eval_gen, .keys = nm_keys_none, .print = gen_print,
	.role = nm_role_none, .dports = nm_dports_none,
	.next = nm_next_none,
};
