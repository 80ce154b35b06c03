// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nlmon.c - notification sockets for watch.
 *
 * Each transaction on the nftables ruleset is announced as a series of
 * NEW/DEL messages ending with NFT_MSG_NEWGEN, so a NEWGEN seen when the
 * socket is drained means "a whole transaction is in": the moment to react,
 * with a burst of transactions folded into one reaction.  rtnetlink has no
 * such marker; the caller lets a burst settle for a few milliseconds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>
#include "nlmon.h"
#include "nlsock.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define NLMON_BUF	(64 * 1024)
#define NLMON_RCVBUF	(8 * 1024 * 1024)

struct nlmon {
	struct mnl_socket *nl;
	enum nlmon_kind kind;
	char *buf;
};

int nlmon_open(struct nlmon **mp, enum nlmon_kind kind, int rcvbuf)
{
	struct nlmon *m;
	unsigned int groups = 0;
	int err, fd, grp = NFNLGRP_NFTABLES;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->kind = kind;
	m->buf = malloc(NLMON_BUF);
	if (!m->buf) {
		err = -ENOMEM;
		goto fail;
	}
	/* Everything netenv_load.c reads, since watch rereads the routes only
	 * when this socket speaks: links, addresses, routes, the policy
	 * rules (IPv6's group has no bind mask bit: joined below) and, by
	 * RTMGRP_TC, the ingress and clsact qdiscs. */
	if (kind == NLMON_ROUTE) {
		groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR |
			 RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE |
			 RTMGRP_IPV6_ROUTE | RTMGRP_IPV4_RULE | RTMGRP_TC;
		grp = RTNLGRP_IPV6_RULE;
	}
	err = nlsock_open(kind == NLMON_NFT ? NETLINK_NETFILTER :
			  NETLINK_ROUTE, groups, &m->nl);
	if (err)
		goto fail;
	fd = mnl_socket_get_fd(m->nl);
	/* NFNLGRP_NFTABLES is group 7: beyond what a legacy bind mask
	 * names reliably for every subsystem, so join it explicitly. */
	if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp,
		       sizeof(grp))) {
		err = -errno;
		goto fail;
	}
	nlsock_set_rcvbuf(m->nl, rcvbuf > 0 ? rcvbuf : NLMON_RCVBUF);
	*mp = m;
	return 0;
fail:
	nlmon_close(m);
	return err;
}

void nlmon_close(struct nlmon *m)
{
	if (!m)
		return;
	if (m->nl)
		mnl_socket_close(m->nl);
	free(m->buf);
	free(m);
}

int nlmon_fd(const struct nlmon *m)
{
	return mnl_socket_get_fd(m->nl);
}

static void seen_nft(const struct nlmsghdr *nlh, struct nlmon_seen *seen)
{
	if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES)
		return;
	switch (nlh->nlmsg_type & 0xff) {
	case NFT_MSG_NEWGEN:
		seen->newgen = true;
		return;
	case NFT_MSG_NEWRULE:
	case NFT_MSG_DELRULE:
		seen->rules++;
		return;
	case NFT_MSG_NEWSETELEM:
	case NFT_MSG_DELSETELEM:
		seen->elems++;
		return;
	default:
		seen->other++;
	}
}

/* RTNLGRP_TC also carries classes, filters, actions and chains: netenv_load.c
 * reads none of them, and a daemon churning tc filters must not set off
 * a pass each time.  Only qdiscs count. */
static bool tc_noise(const struct nlmsghdr *nlh)
{
	switch (nlh->nlmsg_type) {
	case RTM_NEWTCLASS:
	case RTM_DELTCLASS:
	case RTM_NEWTFILTER:
	case RTM_DELTFILTER:
	case RTM_NEWACTION:
	case RTM_DELACTION:
	case RTM_NEWCHAIN:
	case RTM_DELCHAIN:
		return true;
	}
	return false;
}

int nlmon_drain(struct nlmon *m, struct nlmon_seen *seen)
{
	int fd = mnl_socket_get_fd(m->nl);

	for (;;) {
		ssize_t len = recv(fd, m->buf, NLMON_BUF, MSG_DONTWAIT);
		const struct nlmsghdr *nlh = (const void *)m->buf;
		int rem;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == ENOBUFS) {
				/* The error is reported once; what is
				 * still queued can be read after it. */
				seen->lost = true;
				continue;
			}
			return -errno;
		}
		rem = (int)len;
		if (rem > NLMON_BUF)	/* truncated: the types we have */
			rem = NLMON_BUF;
		for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
			if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
				continue;
			if (m->kind == NLMON_ROUTE && tc_noise(nlh))
				continue;
			seen->msgs++;
			if (m->kind == NLMON_NFT)
				seen_nft(nlh, seen);
		}
	}
}
