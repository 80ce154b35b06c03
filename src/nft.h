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

struct mnl_socket;
struct nlmsghdr;

/* The netlink socket the reads go through, owned by the caller (struct
 * scan holds one): zeroed, it is closed; the first read opens it and it
 * stays open until nft_close(), which also drops it after a failed read.
 * Closing a NETLINK_NETFILTER socket waits for the deferred cleanup of the
 * last commit that removed something (13 ms idle, hundreds under load,
 * measured with strace), and watch reads the ruleset right after such
 * commits: keeping the socket open takes that wait out of every reaction.
 * Close it before entering another network namespace. */
struct nft_sock {
	struct mnl_socket *sock;
	uint32_t portid, seq;
	char *rbuf;
};
void nft_close(struct nft_sock *nl);

/* Read the nat-relevant part of the ruleset (all tables: chains, rules,
 * sets and elements) in one consistent generation: re-read when the
 * generation moved meanwhile.  0 or -errno; -EAGAIN when the ruleset kept
 * moving through 10 reads.  Tables of families other than ip, ip6 and inet,
 * and dormant tables, are left out.  @m is overwritten: pass it empty. */
int nft_read(struct nft_sock *nl, struct nm_model *m);

/* Capture the raw netlink replies (for fixtures and fuzz seeds) and build
 * a model from such a capture without I/O (nft_parse.c). The capture
 * format: a sequence of netlink messages as the kernel sent them (tables,
 * chains, sets, elements, rules, each dump ending in NLMSG_DONE) preceded
 * by the NEWGEN message.  There is one element dump per set of family ip,
 * ip6 or inet, in the order of the set dump; nlmsg_seq and nlmsg_pid are
 * zeroed so that captures of one ruleset compare equal.  nft_capture()
 * gives a malloc()ed buffer.  nft_parse() takes any bytes at any
 * alignment: -EINVAL for NULL arguments, -EBADMSG for anything that is not
 * such a capture (a truncated one included), -ENOMEM; on error @m is left
 * empty. */
int nft_capture(struct nft_sock *nl, void **buf, size_t *len);
int nft_parse(const void *buf, size_t len, struct nm_model *m);

/* The current ruleset generation (NFT_MSG_GETGEN) into @genid.  0,
 * -EBADMSG when the kernel's answer has none, or -errno. */
int nft_genid(struct nft_sock *nl, uint32_t *genid);

/* What the reader (nft.c) takes from the parser (nft_parse.c) while it
 * captures: the generation of a NEWGEN message (0 or -EBADMSG), and the
 * family, table and name of a NEWSET message, pointing into @nlh (1; 0
 * for NLMSG_DONE or a family the parser leaves out; -EBADMSG). */
int nft_msg_genid(const struct nlmsghdr *nlh, uint32_t *genid);
int nft_msg_set_ref(const struct nlmsghdr *nlh, uint8_t *family,
		    const char **table, const char **name);

#endif
