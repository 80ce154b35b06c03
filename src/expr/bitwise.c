// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * expr/bitwise.c - and/xor masks and shifts of a register, and the
 * and/or/xor of two registers (kernel 6.13, written by nft 1.1.2+).
 */
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/rtnetlink.h>
#include "exprint.h"

static void bitwise_bool(const struct nm_expr *e, uint8_t *val, uint8_t *kn,
			 unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint8_t m = i < e->bitwise.mask.len ? e->bitwise.mask.val[i] : 0;
		uint8_t x = i < e->bitwise.xor.len ? e->bitwise.xor.val[i] : 0;

		val[i] = (val[i] & m) ^ x;
		kn[i] = (kn[i] & m) | (uint8_t)~m;
	}
}

/* Shifts work on host-order words, as nft_bitwise_eval_[lr]shift(). */
static void bitwise_shift(int left, uint32_t shift, uint32_t *v, uint32_t *k,
			  unsigned int nw)
{
	uint32_t carry = 0, kcarry;
	unsigned int i;

	if (!shift)
		return;
	if (left) {
		kcarry = (1u << shift) - 1;	/* zeros shifted in */
		for (i = nw; i > 0; i--) {
			uint32_t s = v[i - 1], ks = k[i - 1];

			v[i - 1] = (s << shift) | carry;
			k[i - 1] = (ks << shift) | kcarry;
			carry = s >> (32 - shift);
			kcarry = ks >> (32 - shift);
		}
	} else {
		kcarry = ~0u << (32 - shift);
		for (i = 0; i < nw; i++) {
			uint32_t s = v[i], ks = k[i];

			v[i] = carry | (s >> shift);
			k[i] = kcarry | (ks >> shift);
			carry = s << (32 - shift);
			kcarry = ks << (32 - shift);
		}
	}
}

/*
 * Two registers, bit by bit: a known 0 decides an and, a known 1 an or,
 * whatever the other side holds; an xor needs both.  The words take the
 * origin of the operand whose unknown bits they carry, so the message of
 * a rule that reads them names what made them unknown.
 */
static int bitwise_two(struct ev_run *r, const struct ev_regs *regs,
		       const struct nm_expr *e, uint32_t *v, uint32_t *k,
		       unsigned int n, uint8_t *origin, uint8_t *obase,
		       uint8_t *ooff)
{
	uint32_t v2[NM_DATA_MAX / 4], k2[NM_DATA_MAX / 4];
	unsigned int off2 = 0, w;

	if (!ev_reg_load(r, regs, e->bitwise.sreg2, n, (uint8_t *)v2,
			 (uint8_t *)k2, &off2))
		return 0;
	for (w = 0; w < n / 4; w++) {
		uint32_t a = v[w], ka = k[w], b = v2[w], kb = k2[w];

		switch (e->bitwise.op) {
		case NM_BITWISE_AND:
			v[w] = a & b;
			k[w] = (ka & kb) | (ka & ~a) | (kb & ~b);
			break;
		case NM_BITWISE_OR:
			v[w] = a | b;
			k[w] = (ka & kb) | (ka & a) | (kb & b);
			break;
		default:
			v[w] = a ^ b;
			k[w] = ka & kb;
			break;
		}
		if (~k[w] & ~kb) {
			origin[w] = regs->origin[off2 / 4 + w];
			obase[w] = regs->obase[off2 / 4 + w];
			ooff[w] = regs->ooff[off2 / 4 + w];
		}
	}
	return 1;
}

static void eval_bitwise(struct ev_run *r, struct ev_regs *regs,
			 const struct nm_expr *e)
{
	uint32_t v[NM_DATA_MAX / 4], k[NM_DATA_MAX / 4];
	unsigned int n = (e->len + 3u) & ~3u, soff = 0, doff = 0, w;
	uint8_t origin[NM_DATA_MAX / 4], obase[NM_DATA_MAX / 4];
	uint8_t ooff[NM_DATA_MAX / 4];

	if (!n || n > NM_DATA_MAX ||
	    !ev_reg_load(r, regs, e->sreg, n, (uint8_t *)v, (uint8_t *)k, &soff)) {
		ev_unknown(r, "bitwise of %u bytes", e->len);
		return;
	}
	for (w = 0; w < n / 4; w++) {
		origin[w] = regs->origin[soff / 4 + w];
		obase[w] = regs->obase[soff / 4 + w];
		ooff[w] = regs->ooff[soff / 4 + w];
	}
	switch (e->bitwise.op) {
	case NFT_BITWISE_BOOL:
		bitwise_bool(e, (uint8_t *)v, (uint8_t *)k, n);
		break;
	case NFT_BITWISE_LSHIFT:
	case NFT_BITWISE_RSHIFT:
		if (e->bitwise.shift >= 32) {
			ev_unknown(r, "bitwise shift %u", e->bitwise.shift);
			return;
		}
		bitwise_shift(e->bitwise.op == NFT_BITWISE_LSHIFT,
			      e->bitwise.shift, v, k, n / 4);
		break;
	case NM_BITWISE_AND:
	case NM_BITWISE_OR:
	case NM_BITWISE_XOR:
		if (!bitwise_two(r, regs, e, v, k, n, origin, obase, ooff))
			return;
		break;
	default:
		ev_unknown(r, "bitwise op %u", e->bitwise.op);
		return;
	}
	if (!ev_reg_store(r, regs, e->dreg, (uint8_t *)v, (uint8_t *)k, n))
		return;
	ev_reg_off(e->dreg, n, &doff);
	for (w = 0; w < n / 4; w++) {
		regs->origin[doff / 4 + w] = origin[w];
		regs->obase[doff / 4 + w] = obase[w];
		regs->ooff[doff / 4 + w] = ooff[w];
	}
}

static const char *const bitwise_two_ops[] = {
	[NM_BITWISE_AND] = "&", [NM_BITWISE_OR] = "|", [NM_BITWISE_XOR] = "^",
};

static int bitwise_print(char *buf, size_t len, const struct nm_expr *e)
{
	char s[12], d[12], m[3 * NM_DATA_MAX], x[3 * NM_DATA_MAX];

	switch (e->bitwise.op) {
	case NFT_BITWISE_BOOL:
		break;
	case NFT_BITWISE_LSHIFT:
	case NFT_BITWISE_RSHIFT:
		return snprintf(buf, len, "bitwise %s = ( %s %s 0x%08x )",
				expr_reg(e->dreg, d), expr_reg(e->sreg, s),
				e->bitwise.op == NFT_BITWISE_LSHIFT ? "<<" :
				">>", e->bitwise.shift);
	default:
		/* as nft --debug=netlink: "bitwise reg 1 = ( reg 1 | reg 2 )" */
		return snprintf(buf, len, "bitwise %s = ( %s %s %s )",
				expr_reg(e->dreg, d), expr_reg(e->sreg, s),
				NAME_OF(bitwise_two_ops, e->bitwise.op) ?: "?",
				expr_reg(e->bitwise.sreg2, m));
	}
	expr_data(m, sizeof(m), &e->bitwise.mask);
	expr_data(x, sizeof(x), &e->bitwise.xor);
	return snprintf(buf, len, "bitwise %s = ( %s & %s ) ^ %s",
			expr_reg(e->dreg, d), expr_reg(e->sreg, s), m, x);
}

static const struct nm_field bitwise_fields[] = {
	NM_FIELD(bitwise.op, NM_F_PLAIN),
	NM_FIELD(bitwise.mask, NM_F_DATA),
	NM_FIELD(bitwise.xor, NM_F_DATA),
	NM_FIELD(bitwise.shift, NM_F_PLAIN),
	NM_FIELD(bitwise.sreg2, NM_F_PLAIN),
};

const struct nm_expr_ops expr_bitwise = {
	.op = NM_OP_BITWISE, .name = "bitwise",
	.fields = bitwise_fields, .nfields = NM_NFIELDS(bitwise_fields),
	.member = NM_MEMBER(bitwise),
	.eval = eval_bitwise, .keys = nm_keys_none, .print = bitwise_print,
	.role = nm_role_none, .dports = nm_dports_none,
	.next = nm_next_none,
};
