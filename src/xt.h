/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xt.h - decode x_tables match and target blobs into neutral expressions.
 *
 * The same blobs sit in iptables-legacy tables and in nftables compat
 * expressions written by iptables-nft ("match"/"target" with name, revision
 * and info), so one decoder serves both readers.
 *
 * @info may be XT_ALIGN padded (legacy) or exactly the kernel struct's size
 * (nft compat); anything shorter, an unknown name, revision or flag gives
 * NM_OP_UNKNOWN ("xt match NAME", "xt target NAME [why]").  What the decoded
 * expressions mean:
 *  - NM_OP_NATSPEC: DNAT/SNAT rev 0-2, MASQUERADE and REDIRECT rev 0.
 *    family is the @family passed in; flags, addresses and ports exactly as
 *    in the blob (addresses and ports network order).  A rev 2 port offset
 *    (NF_NAT_RANGE_PROTO_OFFSET) is unknown.
 *  - NM_OP_XT_PORTS (udp, tcp, multiport rev 0/1): ports host order.
 *    nsrc/ndst == 0 means no test on that side; src_inv/dst_inv apply when
 *    the count is non-zero.  multiport --ports sets either = 1 and puts the
 *    same ranges in src and dst: match if src or dst is in them, the result
 *    inverted by either_inv (src_inv/dst_inv stay 0).  proto is UDP/TCP for
 *    udp/tcp, the rule's @proto for multiport.  tcp --tcp-flags is kept only
 *    when every first SYN (plain or ECN) satisfies it, e.g. --syn;
 *    --tcp-option is unknown.
 *  - NM_OP_XT_ADDRTYPE (rev 0 IPv4, rev 1): types are 1 << RTN_* masks.
 *  - NM_OP_XT_CTSTATE: state and conntrack rev 1-3 with --ctstate only, in
 *    XT_CONNTRACK_STATE_* bits (state's UNTRACKED bit is moved there).
 *    conntrack with no test at all, and comment, give NM_OP_NOP.
 *  - NM_OP_XT_MARK (targets; values host order, as skb->mark):
 *    MARK rev 2 (the only one left in the kernel): ct = 0, value = mark,
 *    mask = mask, i.e. mark = (mark & ~mask) ^ value; --set-mark X is
 *    mask 0xffffffff, --or-mark X mask = value = X, --and-mark X value 0,
 *    mask ~X, --xor-mark X mask 0.  CONNMARK rev 1/2 --set-xmark
 *    (XT_CONNMARK_SET): ct = 1, value = ctmark, mask = ctmask; rev 2
 *    shifts that whole result, so a non-zero shift_bits is unknown.
 *  - NM_OP_XT_CONNMARK: CONNMARK rev 1 (no shift) and rev 2, modes SAVE
 *    (ct = (ct & ~ctmask) ^ shift(mark & nfmask)) and RESTORE
 *    (mark = (mark & ~nfmask) ^ shift(ct & ctmask)); shift_dir is
 *    D_SHIFT_LEFT/RIGHT, shift_bits < 32.  Any other mode, direction or
 *    width is unknown.  CONNMARK, in every mode, does nothing to a
 *    packet without a conntrack entry.
 *  - NM_OP_XT_MARK_MATCH: mark rev 1 (ct = 0) and connmark rev 1 (ct = 1):
 *    ((mark & mask) == value) != inv; invert bytes above 1 are unknown.
 *    connmark never matches a packet without a conntrack entry, inverted
 *    or not.
 *  - NM_OP_XT_EITHER: statistic rev 0 (random and nth, inverted or not),
 *    recent rev 0/1 with --rcheck, --update or --remove: may match or not.
 *    recent --set always matches (it only records the address) and gives
 *    NM_OP_NOP; "! --set" never matches and is unknown.  Blobs the kernel
 *    would refuse (several commands, modifiers with --set) are unknown.
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
/* Targets: DNAT, SNAT, REDIRECT, MASQUERADE (NM_OP_NATSPEC), MARK and
 * CONNMARK; standard verdicts are the readers' business.  As for
 * matches: anything else is NM_OP_UNKNOWN and 0; -EINVAL only for a NULL
 * @name or @e. */
int xt_decode_target(uint8_t family, const char *name, uint32_t rev,
		     const void *info, size_t len, struct nm_expr *e);

#endif
