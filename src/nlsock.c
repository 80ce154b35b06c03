// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nlsock.c - opening a netlink socket and sizing its buffer (nlsock.h).
 */
#include <errno.h>
#include <sys/socket.h>
#include "nlsock.h"

int nlsock_open(int bus, unsigned int groups, struct mnl_socket **nl)
{
	struct mnl_socket *s = mnl_socket_open(bus);
	int err;

	if (!s)
		return -errno;
	if (mnl_socket_bind(s, groups, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		mnl_socket_close(s);
		return err;
	}
	*nl = s;
	return 0;
}

void nlsock_set_rcvbuf(struct mnl_socket *nl, int size)
{
	int fd = mnl_socket_get_fd(nl);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

ssize_t nlsock_recv(struct mnl_socket *nl, void *buf, size_t size)
{
	ssize_t n;

	do
		n = mnl_socket_recvfrom(nl, buf, size);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}
