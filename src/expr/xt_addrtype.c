// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * expr/xt_addrtype.c - xt addrtype.
 */
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/rtnetlink.h>
#include "exprint.h"

static int addrtype_match(struct ev_run *r, const struct nm_xt_addrtype *at)
{
	uint32_t dev = 0;
	union addr a;
	int t;

	if (at->limit_iface_in && !ev_get_iif(r, &dev))
		return EV_MATCH_UNKNOWN;
	if (!at->limit_iface_in && at->limit_iface_out && !ev_get_oif(r, &dev))
		return EV_MATCH_UNKNOWN;
	if (at->src_type) {
		ev_pkt_addr(&r->pkt, 0, &a);
		t = ev_addr_type(r->cx->env, r->pkt.family, &a, dev);
		if (!(!!(at->src_type & (1u << t)) ^ !!at->src_inv))
			return 0;
	}
	if (at->dst_type) {
		if (!ev_pkt_addr(&r->pkt, 1, &a)) {
			ev_unknown(r, "addrtype after a dnat range");
			return EV_MATCH_UNKNOWN;
		}
		t = ev_addr_type(r->cx->env, r->pkt.family, &a, dev);
		if (!(!!(at->dst_type & (1u << t)) ^ !!at->dst_inv))
			return 0;
	}
	return 1;
}

static unsigned int addrtype_keys(uint8_t family, const struct nm_expr *e)
{
	const struct nm_xt_addrtype *at = &e->addrtype;
	unsigned int keys = 0;

	if (at->src_type)
		keys |= JK_SADDR;
	if (at->dst_type)
		keys |= JK_DADDR;
	if (at->limit_iface_in)
		keys |= EXPR_KEYS_IIF;
	if (at->limit_iface_out)
		keys |= EXPR_KEYS_OIF;
	return keys;
}

static void eval_addrtype(struct ev_run *r, struct ev_regs *regs,
			  const struct nm_expr *e)
{
	ev_match(regs, addrtype_match(r, &e->addrtype));
}

static int addrtype_print(char *buf, size_t len, const struct nm_expr *e)
{
	const struct nm_xt_addrtype *at = &e->addrtype;

	return snprintf(buf, len, "xt addrtype src %s0x%x dst %s0x%x%s%s",
			at->src_inv ? "! " : "", at->src_type,
			at->dst_inv ? "! " : "", at->dst_type,
			at->limit_iface_in ? " limit-iface-in" : "",
			at->limit_iface_out ? " limit-iface-out" : "");
}

static const struct nm_field addrtype_fields[] = {
	NM_FIELD(addrtype.src_type, NM_F_PLAIN),
	NM_FIELD(addrtype.dst_type, NM_F_PLAIN),
	NM_FIELD(addrtype.src_inv, NM_F_PLAIN),
	NM_FIELD(addrtype.dst_inv, NM_F_PLAIN),
	NM_FIELD(addrtype.limit_iface_in, NM_F_PLAIN),
	NM_FIELD(addrtype.limit_iface_out, NM_F_PLAIN),
};

const struct nm_expr_ops expr_xt_addrtype = {
	.op = NM_OP_XT_ADDRTYPE, .name = "xt addrtype",
	.fields = addrtype_fields, .nfields = NM_NFIELDS(addrtype_fields),
	.member = NM_MEMBER(addrtype),
	.eval = eval_addrtype, .keys = addrtype_keys, .print = addrtype_print,
	.role = nm_role_none, .dports = nm_dports_none,
	.next = nm_next_none,
};
