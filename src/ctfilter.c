// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctfilter.c - a BPF filter on the conntrack event socket.
 *
 * Every event the kernel queues costs a copy and a wakeup; a router's
 * table churns TCP and ICMP flows that watch never indexes without --tcp.
 * libnetfilter_conntrack's nfct_filter builds the classic BPF program that
 * drops them in the kernel (conntrackd uses the same).  Kept apart from
 * ct.c because the library brings its own copies of the ctnetlink headers.
 */
#include <errno.h>
#include <netinet/in.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include "ctfilter.h"

int ct_events_protos(int fd, bool tcp)
{
	struct nfct_filter *f = nfct_filter_create();
	int ret = 0;

	if (!f)
		return -ENOMEM;
	nfct_filter_add_attr_u32(f, NFCT_FILTER_L4PROTO, IPPROTO_UDP);
	if (tcp)
		nfct_filter_add_attr_u32(f, NFCT_FILTER_L4PROTO, IPPROTO_TCP);
	if (nfct_filter_attach(fd, f) < 0)
		ret = errno ? -errno : -EINVAL;
	nfct_filter_destroy(f);
	return ret;
}
