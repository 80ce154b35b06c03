// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * expr/either.c - xt matches that go either way (statistic, recent).
 */
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/rtnetlink.h>
#include "exprint.h"

/* statistic, recent --rcheck: this packet may match or not. */
static void eval_either(struct ev_run *r, struct ev_regs *regs,
			const struct nm_expr *e)
{
	char what[sizeof(e->either) + 1];
	uint32_t v;

	snprintf(what, sizeof(what), "%.*s", (int)sizeof(e->either),
		 e->either);
	if (ev_choose(r, 2, what, &v) && !v)
		regs->verdict = NFT_BREAK;
}

static int either_print(char *buf, size_t len, const struct nm_expr *e)
{
	return snprintf(buf, len, "%.*s (either way)", (int)sizeof(e->either),
			e->either);
}

static const struct nm_field either_fields[] = {
	NM_FIELD(either, NM_F_STR),
};

const struct nm_expr_ops expr_xt_either = {
	.op = NM_OP_XT_EITHER, .name = "xt either",
	.fields = either_fields, .nfields = NM_NFIELDS(either_fields),
	.member = NM_MEMBER(either),
	.eval = eval_either, .keys = nm_keys_none, .print = either_print,
	.role = nm_role_none, .dports = nm_dports_none,
	.next = nm_next_none,
};
