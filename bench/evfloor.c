// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * evfloor - the least a process can spend on conntrack events: subscribe to
 * NEW and DESTROY, read them the way ctsweep watch does (wake at most every
 * INTERVAL ms, recvmmsg BATCH datagrams a call) and do nothing with them.
 * What this costs is the floor under any event-fed index on this kernel:
 * the kernel's per-event work in the reader's context (dequeue, copy to
 * user, free of the skb) plus the system calls.
 *
 *   evfloor --netns NAME --seconds 20 [--interval 20] [--batch 32] [--parse]
 *
 * --parse also walks each message's attributes (mnl_attr_parse), about
 * what any reader must do to learn the tuple.
 *
 * Prints "events N in T s: CPU C s (user U, sys S) = P% of a core, X us an
 * event".
 *
 * Build: gcc -O2 -std=gnu11 -D_GNU_SOURCE -o evfloor bench/evfloor.c -lmnl
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#define DGRAM	4096

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double tv(const struct timeval *t)
{
	return t->tv_sec + t->tv_usec / 1e6;
}

static int count_attr(const struct nlattr *a, void *data)
{
	(*(unsigned long *)data)++;
	return MNL_CB_OK;
}

static int enter_netns(const char *name)
{
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = setns(fd, CLONE_NEWNET);
	close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "netns", 1, 0, 'n' }, { "seconds", 1, 0, 's' },
		{ "interval", 1, 0, 'i' }, { "batch", 1, 0, 'b' },
		{ "parse", 0, 0, 'p' }, { 0 }
	};
	const char *ns = NULL;
	double secs = 20, t0, t;
	int interval = 20, batch = 32, parse = 0, c, fd, i, rcv = 32 << 20;
	unsigned long events = 0, attrs = 0, lost = 0;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct mmsghdr *mm;
	struct iovec *iov;
	struct rusage ru;
	char *buf;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'n': ns = optarg; break;
		case 's': secs = atof(optarg); break;
		case 'i': interval = atoi(optarg); break;
		case 'b': batch = atoi(optarg); break;
		case 'p': parse = 1; break;
		default: return 2;
		}
	}
	if (batch < 1 || batch > 1024 || (ns && enter_netns(ns))) {
		fprintf(stderr, "evfloor: bad --batch or --netns\n");
		return 2;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	sa.nl_groups = NF_NETLINK_CONNTRACK_NEW | NF_NETLINK_CONNTRACK_DESTROY;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("evfloor: netlink");
		return 2;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
	buf = malloc((size_t)batch * DGRAM);
	mm = calloc(batch, sizeof(*mm));
	iov = calloc(batch, sizeof(*iov));
	for (i = 0; i < batch; i++) {
		iov[i].iov_base = buf + (size_t)i * DGRAM;
		iov[i].iov_len = DGRAM;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now();
	while ((t = now()) - t0 < secs) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		while ((n = recvmmsg(fd, mm, batch, MSG_DONTWAIT, NULL)) > 0) {
			events += n;
			for (i = 0; parse && i < n; i++) {
				const struct nlmsghdr *h = iov[i].iov_base;

				mnl_attr_parse(h, sizeof(struct nfgenmsg),
					       count_attr, &attrs);
			}
		}
		if (n < 0 && errno == ENOBUFS)
			lost++;
		if (interval)
			usleep(interval * 1000);
	}
	t = now() - t0;
	getrusage(RUSAGE_SELF, &ru);
	printf("events %lu in %.1f s (lost %lu): CPU %.3f s (user %.3f, sys %.3f) = %.2f%% of a core, %.2f us an event\n",
	       events, t, lost, tv(&ru.ru_utime) + tv(&ru.ru_stime),
	       tv(&ru.ru_utime), tv(&ru.ru_stime),
	       100 * (tv(&ru.ru_utime) + tv(&ru.ru_stime)) / t,
	       events ? 1e6 * (tv(&ru.ru_utime) + tv(&ru.ru_stime)) / events
		      : 0);
	return 0;
}
