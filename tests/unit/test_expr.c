// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_expr.c - the table of expression types (src/expr/): every op has
 * its entry and every entry answers every question, every field of every
 * type changes the digest watch compares, each evaluates and prints, and
 * each says what it means to the static looks at the rules (its role, the
 * tuple fields it sees, the ports it limits a rule to).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "mkmodel.h"
#include "evalint.h"
#include "expr.h"
#include "judge.h"
#include "mdigest.h"

static void base_expr(struct nm_expr *e, enum nm_op op)
{
	const struct nm_expr_ops *ops = nm_expr_ops(op);
	unsigned int i;

	memset(e, 0, sizeof(*e));
	e->op = op;
	e->sreg = NFT_REG_1;
	e->dreg = NFT_REG_2;
	e->len = 4;
	/* data fields hold a few bytes, strings a word */
	for (i = 0; ops && i < ops->nfields; i++) {
		uint8_t *p = (uint8_t *)e + ops->fields[i].off;

		if (ops->fields[i].kind == NM_F_DATA) {
			struct nm_data d = { .len = 4, .val = { 1, 2, 3, 4 } };

			memcpy(p, &d, sizeof(d));
		} else if (ops->fields[i].kind == NM_F_STR) {
			memcpy(p, "abc", 4);
		}
	}
}

/* A type cannot be half added: every entry answers every question the
 * core asks, and says which fields make it what it is.  Only the nop
 * does nothing to the packet, has no fields and prints as its name. */
static void test_every_op_has_an_entry(void **state)
{
	unsigned int op;

	(void)state;
	for (op = 0; op <= NM_OP_UNKNOWN; op++) {
		const struct nm_expr_ops *ops = nm_expr_ops(op);
		bool nop = op == NM_OP_NOP;

		assert_non_null(ops);
		assert_int_equal(ops->op, op);
		assert_true(ops->name && *ops->name);
		if (!ops->eval || !ops->keys || !ops->print || !ops->role ||
		    !ops->dports || !ops->next)
			fail_msg("op %s: an answer is missing (eval, keys, "
				 "print, role, dports or next)", ops->name);
		if (!nop && (!ops->nfields || !ops->fields || !ops->member))
			fail_msg("op %s: no fields for the digest", ops->name);
		assert_int_equal(ops->eval == nm_eval_none, nop);
		assert_int_equal(ops->print == nm_print_name, nop);
		assert_int_equal(!ops->nfields, nop);
	}
	assert_null(nm_expr_ops(NM_OP_UNKNOWN + 1));
	assert_null(nm_expr_ops(255));
}

/*
 * What each type is, asked of the type: mdigest.c's "does this rule
 * decide anything", model.c's "does it write a mark" and judge_keys have
 * no list of their own to forget a type in.  Every op is here, with its
 * role and the tuple fields it sees as base_expr() makes it (its fields
 * zero: meta key 0 is len, payload base 0 the link layer, neither
 * modelled, so they see everything; nat type 0 is snat).
 */
static const struct {
	enum nm_op op;
	unsigned int role, keys;
} answers[] = {
	{ NM_OP_NOP, 0, 0 },
	{ NM_OP_META, 0, JK_ALL },
	{ NM_OP_PAYLOAD, 0, JK_ALL },
	{ NM_OP_CMP, 0, 0 },
	{ NM_OP_BITWISE, 0, 0 },
	{ NM_OP_RANGE, 0, 0 },
	{ NM_OP_LOOKUP, 0, 0 },
	{ NM_OP_IMMEDIATE, 0, 0 },
	{ NM_OP_FIB, 0, JK_ALL },
	{ NM_OP_CT, 0, 0 },
	{ NM_OP_NAT, NM_ROLE_NAT, 0 },
	{ NM_OP_REDIR, NM_ROLE_NAT, JK_SADDR | JK_IIF },
	{ NM_OP_MASQ, NM_ROLE_NAT, JK_DADDR | JK_OIF },
	{ NM_OP_NUMGEN, 0, 0 },
	{ NM_OP_HASH, 0, 0 },
	{ NM_OP_NATSPEC, NM_ROLE_NAT, 0 },
	{ NM_OP_IPHDR, 0, 0 },
	{ NM_OP_XT_PORTS, 0, JK_SPORT | JK_DPORT },
	{ NM_OP_XT_ADDRTYPE, 0, 0 },
	{ NM_OP_XT_CTSTATE, 0, 0 },
	{ NM_OP_META_SET, 0, 0 },
	{ NM_OP_CT_SET, 0, 0 },
	{ NM_OP_XT_MARK, NM_ROLE_MARK, 0 },
	{ NM_OP_XT_MARK_MATCH, 0, JK_MARK },
	{ NM_OP_XT_CONNMARK, NM_ROLE_MARK, 0 },
	{ NM_OP_XT_EITHER, 0, 0 },
	{ NM_OP_UNKNOWN, NM_ROLE_NAT, JK_ALL },
};

static void test_roles(void **state)
{
	unsigned char seen[NM_OP_UNKNOWN + 1] = { 0 };
	struct nm_expr e;
	unsigned int i, op;

	(void)state;
	for (i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		base_expr(&e, answers[i].op);
		seen[answers[i].op]++;
		if (nm_expr_role(&e) != answers[i].role ||
		    nm_expr_keys(AF_INET, &e) != answers[i].keys ||
		    nm_expr_keys(AF_INET6, &e) != answers[i].keys)
			fail_msg("op %s: role %#x keys %#x",
				 nm_expr_ops(answers[i].op)->name,
				 nm_expr_role(&e), nm_expr_keys(AF_INET, &e));
	}
	for (op = 0; op <= NM_OP_UNKNOWN; op++)
		if (seen[op] != 1)
			fail_msg("op %s: %u rows in answers[], not one",
				 nm_expr_ops(op)->name, seen[op]);
	/* an unreadable target may mark, an unreadable match cannot */
	base_expr(&e, NM_OP_UNKNOWN);
	snprintf(e.unknown, sizeof(e.unknown), "xt target TPROXY");
	assert_int_equal(nm_expr_role(&e), NM_ROLE_NAT | NM_ROLE_MARK);
	/* by their fields */
	base_expr(&e, NM_OP_IMMEDIATE);
	assert_int_equal(nm_expr_role(&e), 0);
	e.dreg = NFT_REG_VERDICT;
	assert_int_equal(nm_expr_role(&e), NM_ROLE_VERDICT);
	base_expr(&e, NM_OP_LOOKUP);
	assert_int_equal(nm_expr_role(&e), 0);
	e.lookup.has_dreg = true;
	e.dreg = NFT_REG_VERDICT;
	assert_int_equal(nm_expr_role(&e), NM_ROLE_VERDICT);
	base_expr(&e, NM_OP_META_SET);
	e.set_stmt.key = NFT_META_MARK;
	assert_int_equal(nm_expr_role(&e), NM_ROLE_MARK);
	e.set_stmt.key = NFT_META_PRIORITY;
	assert_int_equal(nm_expr_role(&e), 0);
	base_expr(&e, NM_OP_CT_SET);
	e.set_stmt.key = NFT_CT_MARK;
	assert_int_equal(nm_expr_role(&e), NM_ROLE_MARK);
	base_expr(&e, NM_OP_PAYLOAD);
	e.payload.base = NFT_PAYLOAD_TRANSPORT_HEADER;
	e.payload.offset = 2;
	e.len = 2;
	assert_int_equal(nm_expr_role(&e), NM_ROLE_DPORT);
	e.payload.offset = 0;		/* the source port */
	assert_int_equal(nm_expr_role(&e), 0);
	/* an op no reader makes is the worst */
	e.op = NM_OP_UNKNOWN + 1;
	assert_int_equal(nm_expr_role(&e), NM_ROLE_NAT);
	assert_int_equal(nm_expr_keys(AF_INET, &e), JK_ALL);
}

struct got_ports {
	struct nm_ports ports;
	unsigned int n;
	uint16_t lo[8], hi[8];
};

static void got_add(struct nm_ports *p, uint16_t lo, uint16_t hi)
{
	struct got_ports *g = (struct got_ports *)p;

	if (g->n < 8) {
		g->lo[g->n] = ntohs(lo);
		g->hi[g->n++] = ntohs(hi);
	}
}

/* The ports a type limits a rule to, with the destination port in its
 * source register or not.  Every type that can limit them is below; the
 * others say nothing of ports whatever they hold. */
static void test_dports(void **state)
{
	static const enum nm_op limits[] = {
		NM_OP_CMP, NM_OP_RANGE, NM_OP_LOOKUP, NM_OP_XT_PORTS,
	};
	struct got_ports g = { .ports.add = got_add };
	struct nm_model m = { 0 };
	struct nm_set *set;
	unsigned int op, i;
	uint16_t k;
	struct nm_expr e;

	(void)state;
	for (op = 0; op <= NM_OP_UNKNOWN; op++) {
		bool listed = false;

		for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
			listed |= limits[i] == op;
		if (listed != (nm_expr_ops(op)->dports != nm_dports_none))
			fail_msg("op %s: test its ports here",
				 nm_expr_ops(op)->name);
		if (!listed) {
			base_expr(&e, op);
			assert_int_equal(nm_expr_dports(&e, &m, true,
							&g.ports), 0);
			assert_int_equal(g.n, 0);
		}
	}
	base_expr(&e, NM_OP_CMP);
	e.cmp.op = NFT_CMP_EQ;
	e.cmp.data.len = 2;
	k = htons(53820);
	memcpy(e.cmp.data.val, &k, 2);
	assert_int_equal(nm_expr_dports(&e, &m, false, &g.ports), 0);
	assert_int_equal(nm_expr_dports(&e, &m, true, &g.ports), 1);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.lo[0], 53820);
	assert_int_equal(g.hi[0], 53820);
	e.cmp.op = NFT_CMP_NEQ;
	assert_int_equal(nm_expr_dports(&e, &m, true, &g.ports), 0);
	/* a range */
	base_expr(&e, NM_OP_RANGE);
	e.range.op = NFT_RANGE_EQ;
	k = htons(5000);
	memcpy(e.range.from.val, &k, 2);
	k = htons(5010);
	memcpy(e.range.to.val, &k, 2);
	g.n = 0;
	assert_int_equal(nm_expr_dports(&e, &m, true, &g.ports), 1);
	assert_int_equal(g.lo[0], 5000);
	assert_int_equal(g.hi[0], 5010);
	/* a port set's elements; a concatenation's are every port */
	set = mk_set(&m, "ports", 0, 2, 0);
	k = htons(7000);
	mk_elem(set, &k, NULL, NULL, 0);
	base_expr(&e, NM_OP_LOOKUP);
	e.lookup.set = 0;
	g.n = 0;
	assert_int_equal(nm_expr_dports(&e, &m, true, &g.ports), 1);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.lo[0], 7000);
	e.lookup.invert = true;
	assert_int_equal(nm_expr_dports(&e, &m, true, &g.ports), 0);
	e.lookup.invert = false;
	set->nfields = 2;
	g.n = 0;
	assert_int_equal(nm_expr_dports(&e, &m, true, &g.ports), 1);
	assert_int_equal(g.lo[0], 0);
	assert_int_equal(g.hi[0], 0xffff);
	/* an xt port match needs no register */
	base_expr(&e, NM_OP_XT_PORTS);
	e.ports.ndst = 1;
	e.ports.dst[0][0] = 8000;
	e.ports.dst[0][1] = 8001;
	g.n = 0;
	assert_int_equal(nm_expr_dports(&e, &m, false, &g.ports), 1);
	assert_int_equal(g.lo[0], 8000);
	assert_int_equal(g.hi[0], 8001);
	/* what says nothing of ports */
	base_expr(&e, NM_OP_META);
	assert_int_equal(nm_expr_dports(&e, &m, true, &g.ports), 0);
	nm_model_free(&m);
}

/* Where the walk goes on, asked of the type: a jump or a goto names its
 * chain, a verdict map its set, nothing else names either.  And the
 * indices a merge moves (nm_expr_index) are those fields, one of each
 * kind at most. */
static void test_next(void **state)
{
	unsigned int op, i, nchain, nset;
	struct nm_next n;
	struct nm_expr e;

	(void)state;
	for (op = 0; op <= NM_OP_UNKNOWN; op++) {
		const struct nm_expr_ops *ops = nm_expr_ops(op);
		bool names = op == NM_OP_IMMEDIATE || op == NM_OP_LOOKUP;

		if (names != (ops->next != nm_next_none))
			fail_msg("op %s: test where it goes on here", ops->name);
		nchain = nset = 0;
		for (i = 0; i < ops->nfields; i++) {
			nchain += ops->fields[i].kind == NM_F_CHAIN;
			nset += ops->fields[i].kind == NM_F_SET;
		}
		assert_int_equal(nchain, op == NM_OP_IMMEDIATE);
		assert_int_equal(nset, op == NM_OP_LOOKUP);
		base_expr(&e, op);
		assert_int_equal(nm_expr_index(&e, NM_F_CHAIN) != NULL, nchain);
		assert_int_equal(nm_expr_index(&e, NM_F_SET) != NULL, nset);
		if (!names) {
			n = nm_expr_next(&e);
			assert_int_equal(n.chain, -1);
			assert_int_equal(n.set, -1);
		}
	}
	base_expr(&e, NM_OP_IMMEDIATE);
	e.dreg = NFT_REG_VERDICT;
	e.imm.chain = 3;
	e.imm.verdict = NFT_JUMP;
	n = nm_expr_next(&e);
	assert_int_equal(n.chain, 3);
	assert_int_equal(n.set, -1);
	e.imm.verdict = NFT_GOTO;
	assert_int_equal(nm_expr_next(&e).chain, 3);
	assert_ptr_equal(nm_expr_index(&e, NM_F_CHAIN), &e.imm.chain);
	/* an accept's chain field says nothing; data is no verdict */
	e.imm.verdict = NF_ACCEPT;
	assert_int_equal(nm_expr_next(&e).chain, -1);
	e.imm.verdict = NFT_JUMP;
	e.dreg = NFT_REG_1;
	assert_int_equal(nm_expr_next(&e).chain, -1);

	base_expr(&e, NM_OP_LOOKUP);
	e.lookup.set = 2;
	e.lookup.has_dreg = true;
	e.dreg = NFT_REG_VERDICT;
	n = nm_expr_next(&e);
	assert_int_equal(n.set, 2);
	assert_int_equal(n.chain, -1);
	assert_ptr_equal(nm_expr_index(&e, NM_F_SET), &e.lookup.set);
	/* a set or a data map goes on in no chain */
	e.dreg = NFT_REG_1;
	assert_int_equal(nm_expr_next(&e).set, -1);
	e.lookup.has_dreg = false;
	e.dreg = NFT_REG_VERDICT;
	assert_int_equal(nm_expr_next(&e).set, -1);
}

/*
 * Every type's eval runs on a first packet, whatever its fields hold (here
 * the zeroes and short data of base_expr(), no sets, no routes): it ends
 * the path as known or as unknown with a cause, and reads nothing out of
 * bounds (the sanitizer build).  The nop leaves everything as it was.
 */
static void test_every_op_evaluates(void **state)
{
	struct nm_model m = { 0 };
	struct netenv env = { 0 };
	struct tuple t = {
		.family = AF_INET, .l4proto = IPPROTO_TCP,
		.src = A("203.0.113.7"), .dst = A("198.51.100.1"),
		.sport = htons(40000), .dport = htons(80),
	};
	struct ev_ctx cx = { .m = &m, .env = &env, .orig = &t };
	struct ev_regs regs, before;
	struct ev_run r;
	struct nm_expr e;
	unsigned int op;

	(void)state;
	for (op = 0; op <= NM_OP_UNKNOWN; op++) {
		memset(&r, 0, sizeof(r));
		r.cx = &cx;
		r.hook = NF_INET_PRE_ROUTING;
		r.status = EV_OK;
		r.mark.known = r.ctmark.known = ~0u;
		ev_pkt_init(&r.pkt, &t);
		memset(&regs, 0, sizeof(regs));
		regs.verdict = NFT_CONTINUE;
		before = regs;
		base_expr(&e, op);
		nm_expr_ops(op)->eval(&r, &regs, &e);
		if (r.status != EV_OK &&
		    (r.status != EV_UNKNOWN || !r.unknown[0]))
			fail_msg("op %s: status %d, cause '%s'",
				 nm_expr_ops(op)->name, r.status, r.unknown);
		if (op == NM_OP_NOP)
			assert_memory_equal(&regs, &before, sizeof(regs));
	}
	/* what cannot be modelled says what it was */
	assert_int_equal(r.status, EV_UNKNOWN);
	assert_string_equal(r.unknown, "abc");
}

/* Each change of one field, and of the header, must change the digest;
 * a copy must not. */
static void test_every_field_changes_the_digest(void **state)
{
	unsigned int op, i, b;

	(void)state;
	for (op = 0; op <= NM_OP_UNKNOWN; op++) {
		const struct nm_expr_ops *ops = nm_expr_ops(op);
		struct nm_expr e, x;
		uint64_t h;

		base_expr(&e, op);
		h = nm_expr_digest(1, &e);
		/* what no field names (a type without fields; a string's
		 * bytes after its NUL) does not count */
		x = e;
		if (!ops->nfields)
			memset(&x.ports, 0x5a, sizeof(x.ports));
		if (op == NM_OP_UNKNOWN)
			x.unknown[10] = 'z';
		assert_true(nm_expr_digest(1, &x) == h);
		for (b = 0; b < 4; b++) {
			x = e;
			((uint8_t *)&x.sreg)[0] ^= b == 0;
			x.dreg ^= b == 1;
			x.len ^= b == 2;
			x.op ^= b == 3 ? 0x80 : 0;
			assert_true(nm_expr_digest(1, &x) != h);
		}
		for (i = 0; i < ops->nfields; i++) {
			const struct nm_field *f = &ops->fields[i];
			uint8_t *p;

			for (b = 0; b < f->size; b++) {
				x = e;
				p = (uint8_t *)&x + f->off;
				if (f->kind == NM_F_DATA) {
					/* len, then a byte within it */
					if (b > 4)
						break;
					p[b] ^= 0x01;
				} else if (f->kind == NM_F_STR) {
					if (b > 2)
						break;
					p[b] ^= 0x20;
				} else {
					p[b] ^= 0x01;
				}
				if (nm_expr_digest(1, &x) == h)
					fail_msg("op %s: byte %u of %s does not "
						 "change the digest", ops->name,
						 b, f->name);
			}
		}
	}
}

/* The fields of a type cover its member of the union: what lies between
 * two of them is alignment padding, never a field left out. */
static void test_fields_cover_the_member(void **state)
{
	unsigned int op, i;

	(void)state;
	for (op = 0; op <= NM_OP_UNKNOWN; op++) {
		const struct nm_expr_ops *ops = nm_expr_ops(op);
		unsigned int end = offsetof(struct nm_expr, meta);

		for (i = 0; i < ops->nfields; i++) {
			const struct nm_field *f = &ops->fields[i];

			assert_true(f->off >= end);
			if (f->off - end >= 4)
				fail_msg("op %s: %u bytes before %s named by "
					 "no field", ops->name, f->off - end,
					 f->name);
			end = f->off + f->size;
		}
		/* up to the member's end, but for trailing padding */
		if (ops->nfields &&
		    offsetof(struct nm_expr, meta) + ops->member - end >= 4)
			fail_msg("op %s: the last %zu bytes of its member named "
				 "by no field", ops->name,
				 offsetof(struct nm_expr, meta) + ops->member -
				 end);
		assert_true(end <= sizeof(struct nm_expr));
	}
}

static void test_print(void **state)
{
	struct nm_expr e;
	char buf[256];
	unsigned int op;
	uint32_t mask = 0x4000;

	(void)state;
	for (op = 0; op <= NM_OP_UNKNOWN; op++) {
		base_expr(&e, op);
		assert_true(nm_expr_print(buf, sizeof(buf), &e) > 0);
		assert_true(strlen(buf) > 0);
	}
	base_expr(&e, NM_OP_META);
	e.meta.key = NFT_META_MARK;
	e.dreg = NFT_REG_1;
	nm_expr_print(buf, sizeof(buf), &e);
	assert_string_equal(buf, "meta load mark => reg 1");
	base_expr(&e, NM_OP_CMP);
	e.cmp.op = NFT_CMP_EQ;
	mk_data(&e.cmp.data, &mask, 4);
	nm_expr_print(buf, sizeof(buf), &e);
	assert_string_equal(buf, "cmp eq reg 1 0x00004000");
	base_expr(&e, NM_OP_PAYLOAD);
	e.payload.base = NFT_PAYLOAD_TRANSPORT_HEADER;
	e.payload.offset = 2;
	e.len = 2;
	e.dreg = NFT_REG_1;
	nm_expr_print(buf, sizeof(buf), &e);
	assert_string_equal(buf,
			    "payload load 2b @ transport header + 2 => reg 1");
	e.op = 200;
	nm_expr_print(buf, sizeof(buf), &e);
	assert_string_equal(buf, "? op 200");
}

/* watch reacts to a change of a chain that only writes the mark. */
static void test_mark_chain_change_is_seen(void **state)
{
	struct nm_model m = { 0 };
	struct nm_chain *c;
	struct nm_expr *e;
	struct mdigest a, b;
	uint16_t ports[8];
	uint32_t v = 1;

	(void)state;
	c = mk_chain(&m, NFPROTO_IPV4, "mangle", NF_INET_PRE_ROUTING, -150);
	c->nat = false;
	mk_imm(mk_rule(c), NFT_REG_1, &v, 4);
	e = mk_expr(&c->rules[0], NM_OP_META_SET);
	e->set_stmt.key = NFT_META_MARK;
	e->sreg = NFT_REG_1;
	nm_model_finish(&m);
	assert_int_equal(mdigest_build(&m, &a), 0);
	c->rules[0].exprs[0].imm.data.val[0] = 2;
	assert_int_equal(mdigest_build(&m, &b), 0);
	assert_true(a.all != b.all);
	/* not limited to a port: the whole table is judged early */
	assert_int_equal(mdigest_changed_ports(&a, &b, ports, 8), -1);
	mdigest_free(&a);
	mdigest_free(&b);
	nm_model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_op_has_an_entry),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_dports),
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_every_op_evaluates),
		cmocka_unit_test(test_every_field_changes_the_digest),
		cmocka_unit_test(test_fields_cover_the_member),
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_mark_chain_change_is_seen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
