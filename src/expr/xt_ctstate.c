// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * expr/xt_ctstate.c - xt state and conntrack --ctstate.
 */
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/rtnetlink.h>
#include "exprint.h"

static int ctstate_match(struct ev_run *r, const struct nm_xt_ctstate *cs)
{
	int in = !!(cs->statemask & IP_CT_NEW_BIT);

	/* The SNAT/DNAT pseudo states depend on what NAT did so far. */
	if (!in && (cs->statemask & ~CTSTATE_MODELLED)) {
		ev_unknown(r, "xt conntrack state 0x%x", cs->statemask);
		return EV_MATCH_UNKNOWN;
	}
	return in ^ !!cs->inv;
}

static void eval_ctstate(struct ev_run *r, struct ev_regs *regs,
			 const struct nm_expr *e)
{
	ev_match(regs, ctstate_match(r, &e->ctstate));
}

static int ctstate_print(char *buf, size_t len, const struct nm_expr *e)
{
	return snprintf(buf, len, "xt ctstate %s0x%x",
			e->ctstate.inv ? "! " : "", e->ctstate.statemask);
}

static const struct nm_field ctstate_fields[] = {
	NM_FIELD(ctstate.statemask, NM_F_PLAIN),
	NM_FIELD(ctstate.inv, NM_F_PLAIN),
};

const struct nm_expr_ops expr_xt_ctstate = {
	.op = NM_OP_XT_CTSTATE, .name = "xt ctstate",
	.fields = ctstate_fields, .nfields = NM_NFIELDS(ctstate_fields),
	.member = NM_MEMBER(ctstate),
	.eval = eval_ctstate, .keys = nm_keys_none, .print = ctstate_print,
	.role = nm_role_none, .dports = nm_dports_none,
	.next = nm_next_none,
};
