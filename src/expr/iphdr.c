// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * expr/iphdr.c - iptables' ip header match (struct ipt_ip, ip6t_ip6).
 */
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/rtnetlink.h>
#include "exprint.h"

static int ifname_eq(const char name[16], const char *want, unsigned int len)
{
	return !memcmp(name, want, len > 16 ? 16 : len);
}

static int masked_eq(const union addr *a, const union addr *msk,
		     const union addr *want, unsigned int alen)
{
	unsigned int i;

	for (i = 0; i < alen; i++)
		if ((a->b[i] & msk->b[i]) != want->b[i])
			return 0;
	return 1;
}

static int addr_masked(const union addr *msk, unsigned int alen)
{
	unsigned int i;

	for (i = 0; i < alen; i++)
		if (msk->b[i])
			return 1;
	return 0;
}

/* -i or -o (@out) with @len bytes of @want (none: any interface): 1
 * match, 0 no match, or EV_MATCH_UNKNOWN. */
static int iface_match(struct ev_run *r, bool out, const char *want,
		       unsigned int len, bool inv)
{
	uint32_t ifindex;
	char name[16];

	if (!len)
		return 1;
	if (!(out ? ev_get_oif(r, &ifindex) : ev_get_iif(r, &ifindex)) ||
	    !ev_get_ifname(r, ifindex, name))
		return EV_MATCH_UNKNOWN;
	return ifname_eq(name, want, len) ^ inv;
}

/* ip_packet_match(): 1 match, 0 no match, or EV_MATCH_UNKNOWN. */
static int iphdr_match(struct ev_run *r, const struct nm_iphdr *ip)
{
	unsigned int alen = addr_len(r->pkt.family);
	uint8_t inv = ip->invflags;
	union addr src, dst;
	int m;

	ev_pkt_addr(&r->pkt, 0, &src);
	if (!masked_eq(&src, &ip->smsk, &ip->src, alen) ^ !!(inv & IPT_INV_SRCIP))
		return 0;
	if (addr_masked(&ip->dmsk, alen)) {
		if (!ev_pkt_addr(&r->pkt, 1, &dst)) {
			ev_unknown(r, "ip daddr after a dnat range");
			return EV_MATCH_UNKNOWN;
		}
		if (!masked_eq(&dst, &ip->dmsk, &ip->dst, alen) ^
		    !!(inv & IPT_INV_DSTIP))
			return 0;
	} else if (inv & IPT_INV_DSTIP) {
		return 0;
	}
	m = iface_match(r, false, ip->iniface, ip->iniface_len,
			inv & IPT_INV_VIA_IN);
	if (m != 1)
		return m;
	m = iface_match(r, true, ip->outiface, ip->outiface_len,
			inv & IPT_INV_VIA_OUT);
	if (m != 1)
		return m;
	if (ip->proto &&
	    (ip->proto != r->pkt.l4proto) ^ !!(inv & IPT_INV_PROTO))
		return 0;
	return 1;
}

static int any_byte(const union addr *a)
{
	unsigned int i;

	for (i = 0; i < sizeof(a->b); i++)
		if (a->b[i])
			return 1;
	return 0;
}

static unsigned int iphdr_keys(uint8_t family, const struct nm_expr *e)
{
	const struct nm_iphdr *ip = &e->iphdr;
	unsigned int keys = 0;

	if (any_byte(&ip->smsk) || (ip->invflags & IPT_INV_SRCIP))
		keys |= JK_SADDR;
	if (any_byte(&ip->dmsk) || (ip->invflags & IPT_INV_DSTIP))
		keys |= JK_DADDR;
	if (ip->iniface_len)
		keys |= EXPR_KEYS_IIF;
	if (ip->outiface_len)
		keys |= EXPR_KEYS_OIF;
	return keys;
}

static int iphdr_print(char *buf, size_t len, const struct nm_expr *e)
{
	const struct nm_iphdr *ip = &e->iphdr;
	int fam = ip->family == AF_INET6 ? AF_INET6 : AF_INET;
	char s[INET6_ADDRSTRLEN], sm[INET6_ADDRSTRLEN];
	char d[INET6_ADDRSTRLEN], dm[INET6_ADDRSTRLEN];

	inet_ntop(fam, &ip->src, s, sizeof(s));
	inet_ntop(fam, &ip->smsk, sm, sizeof(sm));
	inet_ntop(fam, &ip->dst, d, sizeof(d));
	inet_ntop(fam, &ip->dmsk, dm, sizeof(dm));
	return snprintf(buf, len,
			"ip -s %s/%s -d %s/%s -i %.*s -o %.*s -p %u inv 0x%x",
			s, sm, d, dm, ip->iniface_len, ip->iniface,
			ip->outiface_len, ip->outiface, ip->proto,
			ip->invflags);
}

static const struct nm_field iphdr_fields[] = {
	NM_FIELD(iphdr.family, NM_F_PLAIN),
	NM_FIELD(iphdr.src, NM_F_PLAIN),
	NM_FIELD(iphdr.smsk, NM_F_PLAIN),
	NM_FIELD(iphdr.dst, NM_F_PLAIN),
	NM_FIELD(iphdr.dmsk, NM_F_PLAIN),
	NM_FIELD(iphdr.iniface, NM_F_PLAIN),
	NM_FIELD(iphdr.outiface, NM_F_PLAIN),
	NM_FIELD(iphdr.iniface_len, NM_F_PLAIN),
	NM_FIELD(iphdr.outiface_len, NM_F_PLAIN),
	NM_FIELD(iphdr.proto, NM_F_PLAIN),
	NM_FIELD(iphdr.invflags, NM_F_PLAIN),
};

static void eval_iphdr(struct ev_run *r, struct ev_regs *regs,
		       const struct nm_expr *e)
{
	ev_match(regs, iphdr_match(r, &e->iphdr));
}

const struct nm_expr_ops expr_iphdr = {
	.op = NM_OP_IPHDR, .name = "ip header",
	.fields = iphdr_fields, .nfields = NM_NFIELDS(iphdr_fields),
	.member = NM_MEMBER(iphdr),
	.eval = eval_iphdr, .keys = iphdr_keys, .print = iphdr_print,
	.role = nm_role_none, .dports = nm_dports_none,
	.next = nm_next_none,
};
