/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xt.h - decode x_tables match and target blobs into neutral expressions.
 *
 * The same blobs sit in iptables-legacy tables and in nftables compat
 * expressions written by iptables-nft ("match"/"target" with name, revision
 * and info), so one decoder serves both readers.
 */
#ifndef CTSWEEP_XT_H
#define CTSWEEP_XT_H

#include <stddef.h>
#include <stdint.h>
#include "model.h"

/* @family AF_INET/AF_INET6; @proto the rule's -p value (0 = any) for
 * matches like udp that take it from the rule.  Fills @e; an unknown name,
 * revision or a malformed blob gives NM_OP_UNKNOWN, never an error.
 * -EINVAL only for arguments that cannot be right (NULL name). */
int xt_decode_match(uint8_t family, uint16_t proto, const char *name,
		    uint32_t rev, const void *info, size_t len,
		    struct nm_expr *e);
/* Targets: DNAT, SNAT, REDIRECT, MASQUERADE (NM_OP_NATSPEC); standard
 * verdicts are the readers' business. */
int xt_decode_target(uint8_t family, const char *name, uint32_t rev,
		     const void *info, size_t len, struct nm_expr *e);

#endif
