// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * expr/meta.c - meta load and meta set (the mark is modelled).
 */
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/rtnetlink.h>
#include "exprint.h"

static const char *const meta_names[] = {
	[NFT_META_LEN] = "len", [NFT_META_PROTOCOL] = "protocol",
	[NFT_META_PRIORITY] = "priority", [NFT_META_MARK] = "mark",
	[NFT_META_IIF] = "iif", [NFT_META_OIF] = "oif",
	[NFT_META_IIFNAME] = "iifname", [NFT_META_OIFNAME] = "oifname",
	[NFT_META_IIFTYPE] = "iiftype", [NFT_META_OIFTYPE] = "oiftype",
	[NFT_META_SKUID] = "skuid", [NFT_META_SKGID] = "skgid",
	[NFT_META_NFTRACE] = "nftrace", [NFT_META_RTCLASSID] = "rtclassid",
	[NFT_META_SECMARK] = "secmark", [NFT_META_NFPROTO] = "nfproto",
	[NFT_META_L4PROTO] = "l4proto", [NFT_META_PKTTYPE] = "pkttype",
	[NFT_META_CPU] = "cpu", [NFT_META_IIFGROUP] = "iifgroup",
	[NFT_META_OIFGROUP] = "oifgroup", [NFT_META_CGROUP] = "cgroup",
	[NFT_META_PRANDOM] = "random", [NFT_META_SECPATH] = "secpath",
	[NFT_META_IIFKIND] = "iifkind", [NFT_META_OIFKIND] = "oifkind",
	[NFT_META_TIME_NS] = "time", [NFT_META_TIME_DAY] = "day",
	[NFT_META_TIME_HOUR] = "hour", [NFT_META_SDIF] = "sdif",
	[NFT_META_SDIFNAME] = "sdifname",
};

static void eval_meta(struct ev_run *r, struct ev_regs *regs,
		      const struct nm_expr *e)
{
	uint32_t key = e->meta.key, ifindex;
	uint8_t buf[16] = { 0 };
	unsigned int len;
	uint16_t proto;

	switch (key) {
	case NFT_META_L4PROTO:
		buf[0] = r->pkt.l4proto;
		len = 1;
		break;
	case NFT_META_NFPROTO:
		buf[0] = r->pkt.family;
		len = 1;
		break;
	case NFT_META_PROTOCOL:
		proto = htons(r->pkt.family == AF_INET6 ? 0x86dd : 0x0800);
		memcpy(buf, &proto, 2);
		len = 2;
		break;
	case NFT_META_IIF:
	case NFT_META_IIFNAME:
	case NFT_META_OIF:
	case NFT_META_OIFNAME:
		if (key == NFT_META_IIF || key == NFT_META_IIFNAME) {
			if (!ev_get_iif(r, &ifindex))
				return;
		} else if (!ev_get_oif(r, &ifindex)) {
			return;
		}
		if (key == NFT_META_IIF || key == NFT_META_OIF) {
			memcpy(buf, &ifindex, 4);	/* host order */
			len = 4;
		} else if (ev_get_ifname(r, ifindex, (char *)buf)) {
			len = 16;
		} else {
			return;
		}
		break;
	case NFT_META_MARK:
		ev_reg_store_mark(r, regs, e->dreg, &r->mark, OR_MARK);
		return;
	default:
		ev_unknown(r, "meta %s", NAME_OF(meta_names, key) ?: "?");
		return;
	}
	ev_reg_store(r, regs, e->dreg, buf, NULL, len);
}

/* meta KEY set: the mark is modelled; the rest has no bearing on NAT or
 * is not modelled. */
static void eval_meta_set(struct ev_run *r, struct ev_regs *regs,
			  const struct nm_expr *e)
{
	switch (e->set_stmt.key) {
	case NFT_META_MARK:
		ev_mark_from_reg(r, regs, e->sreg, &r->mark);
		return;
	case NFT_META_NFTRACE:
	case NFT_META_PRIORITY:
	case NFT_META_SECMARK:
		return;
	}
	ev_unknown(r, "meta %s set",
		   NAME_OF(meta_names, e->set_stmt.key) ?: "?");
}

static unsigned int meta_key(uint32_t key)
{
	switch (key) {
	case NFT_META_L4PROTO:
	case NFT_META_NFPROTO:
	case NFT_META_PROTOCOL:
		return 0;
	case NFT_META_IIF:
	case NFT_META_IIFNAME:
		return EXPR_KEYS_IIF;
	case NFT_META_OIF:
	case NFT_META_OIFNAME:
		return EXPR_KEYS_OIF;
	case NFT_META_MARK:
		return JK_MARK;
	}
	return JK_ALL;
}

static unsigned int meta_keys(uint8_t family, const struct nm_expr *e)
{
	return meta_key(e->meta.key);
}

static int meta_print(char *buf, size_t len, const struct nm_expr *e)
{
	char r[12];

	return snprintf(buf, len, "meta load %s => %s",
			NAME_OF(meta_names, e->meta.key) ?: "?",
			expr_reg(e->dreg, r));
}

static int meta_set_print(char *buf, size_t len, const struct nm_expr *e)
{
	char r[12];

	return snprintf(buf, len, "meta set %s with %s",
			NAME_OF(meta_names, e->set_stmt.key) ?: "?",
			expr_reg(e->sreg, r));
}

static const struct nm_field meta_fields[] = {
	NM_FIELD(meta.key, NM_F_PLAIN),
};

static const struct nm_field meta_set_fields[] = {
	NM_FIELD(set_stmt.key, NM_F_PLAIN),
	NM_FIELD(set_stmt.dir, NM_F_PLAIN),
};

const struct nm_expr_ops expr_meta = {
	.op = NM_OP_META, .name = "meta",
	.fields = meta_fields, .nfields = NM_NFIELDS(meta_fields),
	.member = NM_MEMBER(meta),
	.eval = eval_meta, .keys = meta_keys, .print = meta_print,
	.role = nm_role_none, .dports = nm_dports_none,
	.next = nm_next_none,
};

static unsigned int meta_set_role(const struct nm_expr *e)
{
	return e->set_stmt.key == NFT_META_MARK ? NM_ROLE_MARK : 0;
}

const struct nm_expr_ops expr_meta_set = {
	.op = NM_OP_META_SET, .name = "meta set",
	.fields = meta_set_fields, .nfields = NM_NFIELDS(meta_set_fields),
	.member = NM_MEMBER(set_stmt),
	.eval = eval_meta_set, .keys = nm_keys_none, .print = meta_set_print,
	.role = meta_set_role, .dports = nm_dports_none,
	.next = nm_next_none,
};
