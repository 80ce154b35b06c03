// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_expr.c - the table of expression types (src/expr/): every op has
 * its entry, every field of every type changes the digest watch compares,
 * and each prints.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "mkmodel.h"
#include "expr.h"
#include "mdigest.h"

static void base_expr(struct nm_expr *e, uint8_t op)
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

static void test_every_op_has_an_entry(void **state)
{
	unsigned int op;

	(void)state;
	for (op = 0; op <= NM_OP_UNKNOWN; op++) {
		const struct nm_expr_ops *ops = nm_expr_ops(op);

		assert_non_null(ops);
		assert_int_equal(ops->op, op);
		assert_true(ops->name && *ops->name);
	}
	assert_null(nm_expr_ops(NM_OP_UNKNOWN + 1));
	assert_null(nm_expr_ops(255));
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
	e->set.key = NFT_META_MARK;
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
		cmocka_unit_test(test_every_field_changes_the_digest),
		cmocka_unit_test(test_fields_cover_the_member),
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_mark_chain_change_is_seen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
