// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * expr/payload.c - payload load: header bytes of the synthetic packet.
 */
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/rtnetlink.h>
#include "exprint.h"

static void eval_payload(struct ev_run *r, struct ev_regs *regs,
			 const struct nm_expr *e)
{
	const struct ev_pkt *p = &r->pkt;
	uint32_t base = e->payload.base, off = e->payload.offset;
	const uint8_t *b, *k;
	unsigned int hlen, reg = 0, w;

	switch (base) {
	case NFT_PAYLOAD_NETWORK_HEADER:
		b = p->nh, k = p->nhk, hlen = p->nhlen;
		break;
	case NFT_PAYLOAD_TRANSPORT_HEADER:
		b = p->th, k = p->thk, hlen = p->thlen;
		break;
	default:
		hlen = 0, b = k = NULL;
	}
	if (!e->len || off + e->len > hlen || off > 255) {
		ev_unknown(r, "payload @%s+%u",
			NAME_OF(ev_base_names, base) ?: "?", off);
		return;
	}
	if (!ev_reg_store(r, regs, e->dreg, b + off, k + off, e->len))
		return;
	ev_reg_off(e->dreg, e->len, &reg);
	for (w = 0; w < (e->len + 3u) / 4; w++) {
		regs->origin[reg / 4 + w] = OR_PAYLOAD;
		regs->obase[reg / 4 + w] = base;
		regs->ooff[reg / 4 + w] = off + 4 * w;
	}
}

/* Which address of which layout bytes [off, off+len) of the network
 * header touch. */
static unsigned int nh_keys(uint8_t family, uint32_t off, uint32_t len)
{
	static const struct { uint8_t fam, lo, hi; unsigned int key; } f[] = {
		{ AF_INET, 12, 16, JK_SADDR }, { AF_INET, 16, 20, JK_DADDR },
		{ AF_INET6, 8, 24, JK_SADDR }, { AF_INET6, 24, 40, JK_DADDR },
	};
	unsigned int i, keys = 0;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (family != NFPROTO_INET && family != NFPROTO_NETDEV &&
		    family != f[i].fam)
			continue;
		if (off < f[i].hi && off + len > f[i].lo)
			keys |= f[i].key;
	}
	return keys;
}

/*
 * Other bytes of the headers are either the same for every flow of a
 * family and protocol (version, protocol, the SYN bit) or unknown to the
 * evaluation, whatever their value: they add no key.  Callers key their
 * cache on family and l4proto in any case.
 */
static unsigned int payload_keys(uint8_t family, const struct nm_expr *e)
{
	uint32_t off = e->payload.offset, len = e->len;
	unsigned int keys = 0;

	switch (e->payload.base) {
	case NFT_PAYLOAD_NETWORK_HEADER:
		return nh_keys(family, off, len);
	case NFT_PAYLOAD_TRANSPORT_HEADER:
		if (off < 2 && off + len > 0)
			keys |= JK_SPORT;
		if (off < 4 && off + len > 2)
			keys |= JK_DPORT;
		return keys;
	}
	return JK_ALL;
}

static int payload_print(char *buf, size_t len, const struct nm_expr *e)
{
	static const char *const base[] = {
		"link layer", "network header", "transport header",
		"inner header", "tunnel header",
	};
	char r[12];

	return snprintf(buf, len, "payload load %ub @ %s + %u => %s", e->len,
			NAME_OF(base, e->payload.base) ?: "?",
			e->payload.offset, expr_reg(e->dreg, r));
}

static const struct nm_field payload_fields[] = {
	NM_FIELD(payload.base, NM_F_PLAIN),
	NM_FIELD(payload.offset, NM_F_PLAIN),
};

/* th+2, two bytes: the destination port, for UDP, TCP, SCTP and DCCP alike. */
static unsigned int payload_role(const struct nm_expr *e)
{
	return e->payload.base == NFT_PAYLOAD_TRANSPORT_HEADER &&
	       e->payload.offset == 2 && e->len == 2 ? NM_ROLE_DPORT : 0;
}

const struct nm_expr_ops expr_payload = {
	.op = NM_OP_PAYLOAD, .name = "payload",
	.fields = payload_fields, .nfields = NM_NFIELDS(payload_fields),
	.member = NM_MEMBER(payload),
	.eval = eval_payload, .keys = payload_keys, .print = payload_print,
	.role = payload_role, .dports = nm_dports_none,
	.next = nm_next_none,
};
