// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * expr/xt_ports.c - xt udp, tcp and multiport.
 */
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/rtnetlink.h>
#include "exprint.h"

static int port_in(const uint16_t (*list)[2], unsigned int n, uint16_t port)
{
	unsigned int i;

	for (i = 0; i < n && i < NM_MAX_PORTS; i++)
		if (port >= list[i][0] && port <= list[i][1])
			return 1;
	return 0;
}

static int ports_match(struct ev_run *r, const struct nm_xt_ports *p)
{
	uint16_t sp, dp;
	int in;

	if (p->proto && p->proto != r->pkt.l4proto)
		return 0;
	if (!proto_has_ports(r->pkt.l4proto)) {
		ev_unknown(r, "xt ports on protocol %u", r->pkt.l4proto);
		return EV_MATCH_UNKNOWN;
	}
	if (!ev_pkt_port(&r->pkt, 0, &sp) || !ev_pkt_port(&r->pkt, 1, &dp)) {
		ev_unknown(r, "xt ports after a dnat port range");
		return EV_MATCH_UNKNOWN;
	}
	sp = ntohs(sp);
	dp = ntohs(dp);
	if (p->either) {
		in = port_in(p->src, p->nsrc, sp) || port_in(p->src, p->nsrc, dp) ||
		     port_in(p->dst, p->ndst, sp) || port_in(p->dst, p->ndst, dp);
		return in ^ !!p->either_inv;
	}
	if (p->nsrc && !(port_in(p->src, p->nsrc, sp) ^ !!p->src_inv))
		return 0;
	if (p->ndst && !(port_in(p->dst, p->ndst, dp) ^ !!p->dst_inv))
		return 0;
	return 1;
}

static void eval_ports(struct ev_run *r, struct ev_regs *regs,
		       const struct nm_expr *e)
{
	ev_match(regs, ports_match(r, &e->ports));
}

static unsigned int ports_keys(uint8_t family, const struct nm_expr *e)
{
	return JK_SPORT | JK_DPORT;
}

static int ports_print(char *buf, size_t len, const struct nm_expr *e)
{
	const struct nm_xt_ports *p = &e->ports;

	return snprintf(buf, len,
			"xt ports proto %u spts %u:%u%s dpts %u:%u%s%s",
			p->proto, p->nsrc ? p->src[0][0] : 0,
			p->nsrc ? p->src[0][1] : 0, p->nsrc > 1 ? ",..." : "",
			p->ndst ? p->dst[0][0] : 0,
			p->ndst ? p->dst[0][1] : 0, p->ndst > 1 ? ",..." : "",
			p->either ? " (either)" : "");
}

static const struct nm_field ports_fields[] = {
	NM_FIELD(ports.proto, NM_F_PLAIN),
	NM_FIELD(ports.nsrc, NM_F_PLAIN),
	NM_FIELD(ports.ndst, NM_F_PLAIN),
	NM_FIELD(ports.src, NM_F_PLAIN),
	NM_FIELD(ports.dst, NM_F_PLAIN),
	NM_FIELD(ports.src_inv, NM_F_PLAIN),
	NM_FIELD(ports.dst_inv, NM_F_PLAIN),
	NM_FIELD(ports.either, NM_F_PLAIN),
	NM_FIELD(ports.either_inv, NM_F_PLAIN),
};

/* An xt port match names its ports itself, no register needed. */
static int ports_dports(const struct nm_expr *e, const struct nm_model *m,
			bool dport, struct nm_ports *out)
{
	unsigned int i;

	if (e->ports.dst_inv || e->ports.either || !e->ports.ndst)
		return 0;
	for (i = 0; i < e->ports.ndst; i++)
		out->add(out, htons(e->ports.dst[i][0]),
			 htons(e->ports.dst[i][1]));
	return 1;
}

const struct nm_expr_ops expr_xt_ports = {
	.op = NM_OP_XT_PORTS, .name = "xt ports",
	.fields = ports_fields, .nfields = NM_NFIELDS(ports_fields),
	.member = NM_MEMBER(ports),
	.eval = eval_ports, .keys = ports_keys, .print = ports_print,
	.role = nm_role_none, .dports = ports_dports,
	.next = nm_next_none,
};
