/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * exprint.h - what the expression files in src/expr/ share: the
 * evaluator's internals and the pieces of their printed forms.
 */
#ifndef CTSWEEP_EXPRINT_H
#define CTSWEEP_EXPRINT_H

#include <stdio.h>
#include "evalint.h"
#include "expr.h"
#include "judge.h"

#define NM_NFIELDS(a)	(sizeof(a) / sizeof((a)[0]))

/* What a type that reads an interface sees (keys): the input interface is
 * the route back to the source, the output one the route to the
 * destination (evalctx.c), so the address goes into the key with it. */
#define EXPR_KEYS_IIF	(JK_IIF | JK_SADDR)
#define EXPR_KEYS_OIF	(JK_OIF | JK_DADDR)

/* "reg 1", "reg 9" (NFT_REG32_01), "verdict" */
const char *expr_reg(uint8_t reg, char buf[12]);
/* 0x-prefixed bytes of @d, as nft --debug=netlink groups them in 32-bit
 * words; returns what snprintf returns. */
int expr_data(char *buf, size_t len, const struct nm_data *d);

/* The entries, one per file. */
extern const struct nm_expr_ops expr_nop, expr_unknown, expr_meta,
	expr_meta_set, expr_payload, expr_cmp, expr_bitwise, expr_range,
	expr_lookup, expr_immediate, expr_fib, expr_ct, expr_ct_set,
	expr_nat, expr_redir, expr_masq, expr_natspec, expr_numgen,
	expr_hash, expr_iphdr, expr_xt_ports, expr_xt_addrtype,
	expr_xt_ctstate, expr_xt_mark, expr_xt_mark_match, expr_xt_connmark,
	expr_xt_either;

#endif
