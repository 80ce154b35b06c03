// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * expr/expr.c - the table of expression types, and what is done the same
 * way for all of them: the digest over their fields, printing.
 */
#include <string.h>
#include <linux/netfilter/nf_tables.h>
#include "exprint.h"
#include "hash.h"

/* A counter, a comment, log, a dynset's side effect: nothing NAT sees. */
const struct nm_expr_ops expr_nop = {
	.op = NM_OP_NOP, .name = "nop",
	.eval = nm_eval_none, .keys = nm_keys_none, .print = nm_print_name,
	.role = nm_role_none, .dports = nm_dports_none,
	.next = nm_next_none,
};

void nm_eval_none(struct ev_run *r, struct ev_regs *regs,
		  const struct nm_expr *e)
{
}

unsigned int nm_keys_none(uint8_t family, const struct nm_expr *e)
{
	return 0;
}

unsigned int nm_role_none(const struct nm_expr *e)
{
	return 0;
}

int nm_dports_none(const struct nm_expr *e, const struct nm_model *m,
		   bool dport, struct nm_ports *out)
{
	return 0;
}

void nm_next_none(const struct nm_expr *e, struct nm_next *out)
{
	out->chain = out->set = -1;
}

int nm_print_name(char *buf, size_t len, const struct nm_expr *e)
{
	return snprintf(buf, len, "%s", nm_expr_ops(e->op)->name);
}

/* It may be a target we cannot read: one that NATs or marks (TPROXY, a
 * MARK revision we do not know); a match cannot mark. */
static unsigned int unknown_role(const struct nm_expr *e)
{
	return NM_ROLE_NAT |
	       (!strncmp(e->unknown, "xt target", 9) ? NM_ROLE_MARK : 0);
}

static void eval_unknown(struct ev_run *r, struct ev_regs *regs,
			 const struct nm_expr *e)
{
	ev_unknown(r, "%.48s", e->unknown[0] ? e->unknown : "unknown");
}

static unsigned int unknown_keys(uint8_t family, const struct nm_expr *e)
{
	return JK_ALL;
}

static int unknown_print(char *buf, size_t len, const struct nm_expr *e)
{
	return snprintf(buf, len, "%.*s (not modelled)",
			(int)sizeof(e->unknown), e->unknown);
}

static const struct nm_field unknown_fields[] = {
	NM_FIELD(unknown, NM_F_STR),
};

const struct nm_expr_ops expr_unknown = {
	.op = NM_OP_UNKNOWN, .name = "unknown",
	.fields = unknown_fields, .nfields = NM_NFIELDS(unknown_fields),
	.member = NM_MEMBER(unknown),
	.eval = eval_unknown, .keys = unknown_keys, .print = unknown_print,
	.role = unknown_role, .dports = nm_dports_none,
	.next = nm_next_none,
};

static const struct nm_expr_ops *const table[] = {
	[NM_OP_NOP] = &expr_nop,
	[NM_OP_META] = &expr_meta,
	[NM_OP_PAYLOAD] = &expr_payload,
	[NM_OP_CMP] = &expr_cmp,
	[NM_OP_BITWISE] = &expr_bitwise,
	[NM_OP_RANGE] = &expr_range,
	[NM_OP_LOOKUP] = &expr_lookup,
	[NM_OP_IMMEDIATE] = &expr_immediate,
	[NM_OP_FIB] = &expr_fib,
	[NM_OP_CT] = &expr_ct,
	[NM_OP_NAT] = &expr_nat,
	[NM_OP_REDIR] = &expr_redir,
	[NM_OP_MASQ] = &expr_masq,
	[NM_OP_NUMGEN] = &expr_numgen,
	[NM_OP_HASH] = &expr_hash,
	[NM_OP_NATSPEC] = &expr_natspec,
	[NM_OP_IPHDR] = &expr_iphdr,
	[NM_OP_XT_PORTS] = &expr_xt_ports,
	[NM_OP_XT_ADDRTYPE] = &expr_xt_addrtype,
	[NM_OP_XT_CTSTATE] = &expr_xt_ctstate,
	[NM_OP_META_SET] = &expr_meta_set,
	[NM_OP_CT_SET] = &expr_ct_set,
	[NM_OP_XT_MARK] = &expr_xt_mark,
	[NM_OP_XT_MARK_MATCH] = &expr_xt_mark_match,
	[NM_OP_XT_CONNMARK] = &expr_xt_connmark,
	[NM_OP_XT_EITHER] = &expr_xt_either,
	[NM_OP_UNKNOWN] = &expr_unknown,
};

_Static_assert(sizeof(table) / sizeof(table[0]) == NM_OP_UNKNOWN + 1,
	       "every op has an entry");

const struct nm_expr_ops *nm_expr_ops(enum nm_op op)
{
	return op < sizeof(table) / sizeof(table[0]) ? table[op] : NULL;
}

unsigned int nm_expr_role(const struct nm_expr *e)
{
	const struct nm_expr_ops *ops = nm_expr_ops(e->op);

	return ops ? ops->role(e) : NM_ROLE_NAT;
}

unsigned int nm_expr_keys(uint8_t family, const struct nm_expr *e)
{
	const struct nm_expr_ops *ops = nm_expr_ops(e->op);

	return ops ? ops->keys(family, e) : JK_ALL;
}

int nm_expr_dports(const struct nm_expr *e, const struct nm_model *m,
		   bool dport, struct nm_ports *out)
{
	const struct nm_expr_ops *ops = nm_expr_ops(e->op);

	return ops ? ops->dports(e, m, dport, out) : 0;
}

struct nm_next nm_expr_next(const struct nm_expr *e)
{
	const struct nm_expr_ops *ops = nm_expr_ops(e->op);
	struct nm_next n = { -1, -1 };

	if (ops)
		ops->next(e, &n);
	return n;
}

int *nm_expr_index(struct nm_expr *e, enum nm_field_kind kind)
{
	const struct nm_expr_ops *ops = nm_expr_ops(e->op);
	unsigned int i;

	for (i = 0; ops && i < ops->nfields; i++)
		if (ops->fields[i].kind == kind)
			return (int *)((char *)e + ops->fields[i].off);
	return NULL;
}

static uint64_t field_digest(uint64_t h, const struct nm_expr *e,
			     const struct nm_field *f)
{
	const uint8_t *p = (const uint8_t *)e + f->off;
	struct nm_data d;
	uint8_t len;

	switch (f->kind) {
	case NM_F_DATA:
		memcpy(&d, p, sizeof(d));
		len = d.len > NM_DATA_MAX ? NM_DATA_MAX : d.len;
		h = fnv64(h, &len, 1);
		return fnv64(h, d.val, len);
	case NM_F_STR:
		return fnv64(h, p, strnlen((const char *)p, f->size));
	}
	return fnv64(h, p, f->size);
}

uint64_t nm_expr_digest(uint64_t h, const struct nm_expr *e)
{
	const struct nm_expr_ops *ops = nm_expr_ops(e->op);
	unsigned int i;

	h = fnv64(h, &e->op, 1);
	h = fnv64(h, &e->sreg, 1);
	h = fnv64(h, &e->dreg, 1);
	h = fnv64(h, &e->len, 1);
	/* An op no reader makes: differ from everything. */
	if (!ops)
		return h ^ 0x9e3779b97f4a7c15ull;
	for (i = 0; i < ops->nfields; i++)
		h = field_digest(h, e, &ops->fields[i]);
	return h;
}

int nm_expr_print(char *buf, size_t len, const struct nm_expr *e)
{
	const struct nm_expr_ops *ops = nm_expr_ops(e->op);

	if (!ops)
		return snprintf(buf, len, "? op %u", e->op);
	return ops->print(buf, len, e);
}

const char *expr_reg(uint8_t reg, char buf[12])
{
	if (reg == NFT_REG_VERDICT)
		snprintf(buf, 12, "verdict");
	else if (reg <= NFT_REG_4)
		snprintf(buf, 12, "reg %u", reg);
	else
		snprintf(buf, 12, "reg %u", reg - NFT_REG32_00 + 8);
	return buf;
}

int expr_data(char *buf, size_t len, const struct nm_data *d)
{
	unsigned int i, n = d->len > NM_DATA_MAX ? NM_DATA_MAX : d->len;
	size_t off = 0;

	buf[0] = '\0';
	for (i = 0; i < n && off + 3 < len; i += 4) {
		unsigned int k, w = n - i < 4 ? n - i : 4;

		off += snprintf(buf + off, len - off, "%s0x", i ? " " : "");
		for (k = 0; k < w && off + 3 < len; k++)
			off += snprintf(buf + off, len - off, "%02x",
					d->val[i + w - 1 - k]);
	}
	return (int)off;
}
