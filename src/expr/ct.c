// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * expr/ct.c - ct load and ct set (the mark is modelled).
 */
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/rtnetlink.h>
#include "exprint.h"

static const char *const ct_names[] = {
	[NFT_CT_STATE] = "state", [NFT_CT_DIRECTION] = "direction",
	[NFT_CT_STATUS] = "status", [NFT_CT_MARK] = "mark",
	[NFT_CT_SECMARK] = "secmark", [NFT_CT_EXPIRATION] = "expiration",
	[NFT_CT_HELPER] = "helper", [NFT_CT_L3PROTOCOL] = "l3proto",
	[NFT_CT_SRC] = "saddr", [NFT_CT_DST] = "daddr",
	[NFT_CT_PROTOCOL] = "protocol", [NFT_CT_PROTO_SRC] = "proto-src",
	[NFT_CT_PROTO_DST] = "proto-dst", [NFT_CT_LABELS] = "label",
	[NFT_CT_PKTS] = "packets", [NFT_CT_BYTES] = "bytes",
	[NFT_CT_AVGPKT] = "avgpkt", [NFT_CT_ZONE] = "zone",
	[NFT_CT_EVENTMASK] = "event", [NFT_CT_SRC_IP] = "ip saddr",
	[NFT_CT_DST_IP] = "ip daddr", [NFT_CT_SRC_IP6] = "ip6 saddr",
	[NFT_CT_DST_IP6] = "ip6 daddr", [NFT_CT_ID] = "id",
};

static void eval_ct(struct ev_run *r, struct ev_regs *regs,
		    const struct nm_expr *e)
{
	const struct tuple *o = r->cx->orig;
	uint8_t buf[16] = { 0 };
	unsigned int len, alen = addr_len(o->family);
	uint32_t key = e->ct.key, v;

	switch (key) {
	case NFT_CT_STATE:
		v = IP_CT_NEW_BIT;
		memcpy(buf, &v, 4);
		len = 4;
		break;
	case NFT_CT_DIRECTION:
		buf[0] = 0;	/* IP_CT_DIR_ORIGINAL */
		len = 1;
		break;
	case NFT_CT_L3PROTOCOL:
		buf[0] = o->family;
		len = 1;
		break;
	case NFT_CT_PROTOCOL:
		buf[0] = o->l4proto;
		len = 1;
		break;
	case NFT_CT_MARK:
		ev_reg_store_mark(r, regs, e->dreg, &r->ctmark, OR_CTMARK);
		return;
	case NFT_CT_SRC: case NFT_CT_SRC_IP: case NFT_CT_SRC_IP6:
	case NFT_CT_DST: case NFT_CT_DST_IP: case NFT_CT_DST_IP6:
	case NFT_CT_PROTO_SRC: case NFT_CT_PROTO_DST:
		/* The reply tuple is being rewritten by NAT right now. */
		if (e->ct.dir != 0)
			goto unmodelled;
		if (key == NFT_CT_PROTO_SRC || key == NFT_CT_PROTO_DST) {
			if (!proto_has_ports(o->l4proto))
				goto unmodelled;
			memcpy(buf, key == NFT_CT_PROTO_SRC ? &o->sport :
			       &o->dport, 2);
			len = 2;
			break;
		}
		memcpy(buf, key == NFT_CT_SRC || key == NFT_CT_SRC_IP ||
		       key == NFT_CT_SRC_IP6 ? o->src.b : o->dst.b, alen);
		len = e->len && e->len <= 16 ? e->len : alen;
		break;
	default:
		goto unmodelled;
	}
	ev_reg_store(r, regs, e->dreg, buf, NULL, len);
	return;
unmodelled:
	ev_unknown(r, "ct %s%s", e->ct.dir ? "reply " : "",
		NAME_OF(ct_names, key) ?: "?");
}

static void eval_ct_set(struct ev_run *r, struct ev_regs *regs,
			const struct nm_expr *e)
{
	switch (e->set_stmt.key) {
	case NFT_CT_MARK:
		ev_mark_from_reg(r, regs, e->sreg, &r->ctmark);
		return;
	case NFT_CT_LABELS:
	case NFT_CT_EVENTMASK:
	case NFT_CT_SECMARK:
	case NFT_CT_EXPIRATION:
		return;
	}
	/* ct zone set changes the tuple's zone: not modelled. */
	ev_unknown(r, "ct %s set",
		   NAME_OF(ct_names, e->set_stmt.key) ?: "?");
}

static unsigned int ct_key(uint32_t key)
{
	switch (key) {
	case NFT_CT_STATE:
	case NFT_CT_DIRECTION:
	case NFT_CT_L3PROTOCOL:
	case NFT_CT_PROTOCOL:
		return 0;
	case NFT_CT_MARK:	/* 0, or what rules set from the mark */
		return JK_MARK;
	case NFT_CT_SRC:
	case NFT_CT_SRC_IP:
	case NFT_CT_SRC_IP6:
		return JK_SADDR;
	case NFT_CT_DST:
	case NFT_CT_DST_IP:
	case NFT_CT_DST_IP6:
		return JK_DADDR;
	case NFT_CT_PROTO_SRC:
		return JK_SPORT;
	case NFT_CT_PROTO_DST:
		return JK_DPORT;
	}
	return JK_ALL;
}

static unsigned int ct_keys(uint8_t family, const struct nm_expr *e)
{
	return ct_key(e->ct.key);
}

static int ct_print(char *buf, size_t len, const struct nm_expr *e)
{
	char r[12];

	return snprintf(buf, len, "ct load %s => %s%s",
			NAME_OF(ct_names, e->ct.key) ?: "?",
			expr_reg(e->dreg, r),
			e->ct.dir ? " , dir reply" : "");
}

static int ct_set_print(char *buf, size_t len, const struct nm_expr *e)
{
	char r[12];

	return snprintf(buf, len, "ct set %s with %s",
			NAME_OF(ct_names, e->set_stmt.key) ?: "?",
			expr_reg(e->sreg, r));
}

static const struct nm_field ct_fields[] = {
	NM_FIELD(ct.key, NM_F_PLAIN),
	NM_FIELD(ct.dir, NM_F_PLAIN),
};

static const struct nm_field ct_set_fields[] = {
	NM_FIELD(set_stmt.key, NM_F_PLAIN),
	NM_FIELD(set_stmt.dir, NM_F_PLAIN),
};

const struct nm_expr_ops expr_ct = {
	.op = NM_OP_CT, .name = "ct",
	.fields = ct_fields, .nfields = NM_NFIELDS(ct_fields),
	.member = NM_MEMBER(ct),
	.eval = eval_ct, .keys = ct_keys, .print = ct_print,
	.role = nm_role_none, .dports = nm_dports_none,
	.next = nm_next_none,
};

static unsigned int ct_set_role(const struct nm_expr *e)
{
	return e->set_stmt.key == NFT_CT_MARK ? NM_ROLE_MARK : 0;
}

const struct nm_expr_ops expr_ct_set = {
	.op = NM_OP_CT_SET, .name = "ct set",
	.fields = ct_set_fields, .nfields = NM_NFIELDS(ct_set_fields),
	.member = NM_MEMBER(set_stmt),
	.eval = eval_ct_set, .keys = nm_keys_none, .print = ct_set_print,
	.role = ct_set_role, .dports = nm_dports_none,
	.next = nm_next_none,
};
