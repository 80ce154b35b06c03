/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * exprassert.h - checks on the model's expressions that the readers'
 * tests (test_nft.c, test_ipt.c, test_xt.c) share.  Include after
 * cmocka.h and <stdarg.h>.
 */
#ifndef CTSWEEP_EXPRASSERT_H
#define CTSWEEP_EXPRASSERT_H

#include "model.h"

/* The rule's expression ops, in order. */
static inline void assert_ops(const struct nm_rule *r, int n, ...)
{
	va_list ap;
	int i;

	assert_int_equal(r->nexprs, n);
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		int op = va_arg(ap, int);

		if (r->exprs[i].op != op)
			fail_msg("expr %d: op %d, want %d", i, r->exprs[i].op,
				 op);
	}
	va_end(ap);
}

/* CONNMARK, every field of it. */
static inline void assert_connmark(const struct nm_expr *e, uint8_t mode,
				   uint8_t dir, uint8_t bits, uint32_t ctmask,
				   uint32_t nfmask)
{
	assert_int_equal(e->op, NM_OP_XT_CONNMARK);
	assert_int_equal(e->connmark.mode, mode);
	assert_int_equal(e->connmark.shift_dir, dir);
	assert_int_equal(e->connmark.shift_bits, bits);
	assert_int_equal(e->connmark.ctmask, ctmask);
	assert_int_equal(e->connmark.nfmask, nfmask);
}

#endif
