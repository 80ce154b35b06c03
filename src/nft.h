/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nft.h - read the nftables ruleset as the kernel holds it (libnftnl), so
 * rules written with iptables-nft keep their xt targets and matches.
 */
#ifndef CTSWEEP_NFT_H
#define CTSWEEP_NFT_H

#include <stddef.h>
#include <stdint.h>
#include "model.h"

/* Read the nat-relevant part of the ruleset (all tables: chains, rules,
 * sets and elements) in one consistent generation: re-read when the
 * generation moved meanwhile.  0 or -errno; -EAGAIN when the ruleset kept
 * moving through 10 reads.  Tables of families other than ip, ip6 and inet,
 * and dormant tables, are left out.  @m is overwritten: pass it empty. */
int nft_read(struct nm_model *m);

/* Capture the raw netlink replies (for fixtures and fuzz seeds) and build
 * a model from such a capture without I/O. The capture format: a sequence
 * of netlink messages as the kernel sent them (tables, chains, sets,
 * elements, rules, each dump ending in NLMSG_DONE) preceded by the
 * NEWGEN message.  There is one element dump per set of family ip, ip6 or
 * inet, in the order of the set dump; nlmsg_seq and nlmsg_pid are zeroed so
 * that captures of one ruleset compare equal.  nft_capture() gives a
 * malloc()ed buffer.  nft_parse() takes any bytes at any alignment:
 * -EINVAL for NULL arguments, -EBADMSG for anything that is not such a
 * capture (a truncated one included), -ENOMEM; on error @m is left empty. */
int nft_capture(void **buf, size_t *len);
int nft_parse(const void *buf, size_t len, struct nm_model *m);

/* The current ruleset generation (NFT_MSG_GETGEN) into @genid.  0,
 * -EBADMSG when the kernel's answer has none, or -errno. */
int nft_genid(uint32_t *genid);

/* The reader keeps one netlink socket open between calls; this closes
 * it (at exit, or before entering another network namespace). */
void nft_close(void);

#endif
