/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nlsock.h - what every netlink socket of ctsweep does alike: open and
 * bind (ct.c, nft.c, netenv_load.c, nlmon.c), and a receive buffer past
 * net.core.rmem_max.
 */
#ifndef CTSWEEP_NLSOCK_H
#define CTSWEEP_NLSOCK_H

#include <sys/types.h>
#include <libmnl/libmnl.h>

/* A socket of netlink @bus bound to the multicast @groups (0: none) with
 * a port id of the kernel's choosing, in *@nl.  0 or -errno; on error
 * nothing is left open. */
int nlsock_open(int bus, unsigned int groups, struct mnl_socket **nl);

/* Ask for a receive buffer of @size bytes: SO_RCVBUFFORCE goes past
 * net.core.rmem_max, as root may (and is the only way to a buffer smaller
 * than the default, for tests); without CAP_NET_ADMIN, SO_RCVBUF gets what
 * rmem_max allows.  Best effort: a smaller buffer loses events sooner,
 * which the callers notice (ENOBUFS). */
void nlsock_set_rcvbuf(struct mnl_socket *nl, int size);

/* One datagram into @buf (mnl_socket_recvfrom), again when a signal cut
 * the wait short: its length, or -errno. */
ssize_t nlsock_recv(struct mnl_socket *nl, void *buf, size_t size);

#endif
