// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * expr/fib.c - fib saddr/daddr type (address types by the snapshot).
 */
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/rtnetlink.h>
#include "exprint.h"

static void eval_fib(struct ev_run *r, struct ev_regs *regs,
		     const struct nm_expr *e)
{
	uint32_t flags = e->fib.flags, dev = 0, t;
	union addr a;
	int dst;

	if (e->fib.result != NFT_FIB_RESULT_ADDRTYPE ||
	    (flags & ~(NFTA_FIB_F_SADDR | NFTA_FIB_F_DADDR | NFTA_FIB_F_IIF)) ||
	    !(flags & NFTA_FIB_F_SADDR) == !(flags & NFTA_FIB_F_DADDR)) {
		ev_unknown(r, "fib result %u flags 0x%x", e->fib.result, flags);
		return;
	}
	dst = !!(flags & NFTA_FIB_F_DADDR);
	if (!ev_pkt_addr(&r->pkt, dst, &a)) {
		ev_unknown(r, "fib daddr type (dnat to a range)");
		return;
	}
	if ((flags & NFTA_FIB_F_IIF) && !ev_get_iif(r, &dev))
		return;
	t = ev_addr_type(r->cx->env, r->pkt.family, &a, dev);
	ev_reg_store(r, regs, e->dreg, (uint8_t *)&t, NULL, 4);
}

static unsigned int fib_keys(uint8_t family, const struct nm_expr *e)
{
	unsigned int keys = 0;

	if (e->fib.result != NFT_FIB_RESULT_ADDRTYPE)
		return JK_ALL;
	if (e->fib.flags & NFTA_FIB_F_SADDR)
		keys |= JK_SADDR;
	if (e->fib.flags & NFTA_FIB_F_DADDR)
		keys |= JK_DADDR;
	if (e->fib.flags & NFTA_FIB_F_IIF)
		keys |= EXPR_KEYS_IIF;
	if (e->fib.flags & ~(NFTA_FIB_F_SADDR | NFTA_FIB_F_DADDR |
			     NFTA_FIB_F_IIF))
		keys = JK_ALL;
	return keys;
}

static int fib_print(char *buf, size_t len, const struct nm_expr *e)
{
	char r[12];
	uint32_t f = e->fib.flags;

	return snprintf(buf, len, "fib %s%s%s result %u => %s",
			f & NFTA_FIB_F_SADDR ? "saddr" : "",
			f & NFTA_FIB_F_DADDR ? "daddr" : "",
			f & NFTA_FIB_F_IIF ? " . iif" : "", e->fib.result,
			expr_reg(e->dreg, r));
}

static const struct nm_field fib_fields[] = {
	NM_FIELD(fib.result, NM_F_PLAIN),
	NM_FIELD(fib.flags, NM_F_PLAIN),
};

const struct nm_expr_ops expr_fib = {
	.op = NM_OP_FIB, .name = "fib",
	.fields = fib_fields, .nfields = NM_NFIELDS(fib_fields),
	.member = NM_MEMBER(fib),
	.eval = eval_fib, .keys = fib_keys, .print = fib_print,
	.role = nm_role_none, .dports = nm_dports_none,
	.next = nm_next_none,
};
