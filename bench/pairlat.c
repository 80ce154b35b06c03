// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pairlat - time a conntrackd commit and the deletion of the stale entries
 * it writes, for bench/pair.
 *
 *   pairlat --netns NS --port 53820 --old 192.168.50.2 --expect N
 *           [--timeout-ms 30000] -- conntrackd -C CONF -c
 *
 * Inside NS it listens to conntrack NEW and DESTROY events (a 64 MiB
 * receive buffer; a lost event is reported), notes the CLOCK_MONOTONIC
 * time, runs the command (fork, exec) and notes when it returns.  An
 * entry is "stale" when it is UDP to --port and its reply comes from
 * --old (the backend the forward no longer names).  For each stale entry
 * it notes when its NEW arrived (the commit wrote it) and when its DESTROY
 * did (the daemon deleted it), and waits until N stale entries have come
 * and gone, or the timeout.
 *
 * Prints one line:
 *   "commit_ms C stale_new S stale_destroyed D lost L first_new_ms F
 *    last_new_ms X last_destroy_ms Y new_to_destroy_p50_ms P50 p99_ms P99
 *    max_ms M events E"
 * Times are from the command's start; new_to_destroy is per entry.
 * Exit 0 when N stale entries were written and deleted and no event was
 * lost, 1 otherwise, 2 on bad usage.
 *
 * Build: gcc -O2 -std=gnu11 -D_GNU_SOURCE -o pairlat bench/pairlat.c -lmnl
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/wait.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#define SLOTS	(1u << 19)	/* open addressing, > 2x any --expect here */

struct slot {
	uint32_t ip;		/* original source, network order; 0 = free */
	uint16_t sport;		/* network order */
	bool used;
	uint64_t t_new, t_destroy;
};

static struct slot *tab;
static uint64_t t0;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct slot *lookup(uint32_t ip, uint16_t sport, bool add)
{
	uint32_t h = (ip * 2654435761u) ^ (sport * 40503u);
	unsigned int i;

	for (i = 0; i < SLOTS; i++) {
		struct slot *s = &tab[(h + i) & (SLOTS - 1)];

		if (!s->used) {
			if (!add)
				return NULL;
			s->used = true;
			s->ip = ip;
			s->sport = sport;
			return s;
		}
		if (s->ip == ip && s->sport == sport)
			return s;
	}
	return NULL;
}

struct tuple {
	uint32_t src, dst;
	uint8_t proto;
	uint16_t sport, dport;
};

static int ip_cb(const struct nlattr *a, void *data)
{
	struct tuple *t = data;

	if (mnl_attr_get_type(a) == CTA_IP_V4_SRC)
		t->src = mnl_attr_get_u32(a);
	else if (mnl_attr_get_type(a) == CTA_IP_V4_DST)
		t->dst = mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int proto_cb(const struct nlattr *a, void *data)
{
	struct tuple *t = data;

	switch (mnl_attr_get_type(a)) {
	case CTA_PROTO_NUM: t->proto = mnl_attr_get_u8(a); break;
	case CTA_PROTO_SRC_PORT: t->sport = mnl_attr_get_u16(a); break;
	case CTA_PROTO_DST_PORT: t->dport = mnl_attr_get_u16(a); break;
	}
	return MNL_CB_OK;
}

static int tuple_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == CTA_TUPLE_IP)
		mnl_attr_parse_nested(a, ip_cb, data);
	else if (mnl_attr_get_type(a) == CTA_TUPLE_PROTO)
		mnl_attr_parse_nested(a, proto_cb, data);
	return MNL_CB_OK;
}

struct both {
	struct tuple orig, reply;
};

static int ct_cb(const struct nlattr *a, void *data)
{
	struct both *b = data;

	if (mnl_attr_get_type(a) == CTA_TUPLE_ORIG)
		mnl_attr_parse_nested(a, tuple_cb, &b->orig);
	else if (mnl_attr_get_type(a) == CTA_TUPLE_REPLY)
		mnl_attr_parse_nested(a, tuple_cb, &b->reply);
	return MNL_CB_OK;
}

struct state {
	uint16_t port;		/* network order */
	uint32_t old;		/* network order */
	unsigned long nnew, ndestroy, events;
	uint64_t first_new, last_new, last_destroy;
};

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct state *st = data;
	int type = nlh->nlmsg_type & 0xff;
	struct both b;
	struct slot *s;
	uint64_t t = now_ns();

	if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_CTNETLINK)
		return MNL_CB_OK;
	st->events++;
	memset(&b, 0, sizeof(b));
	mnl_attr_parse(nlh, sizeof(struct nfgenmsg), ct_cb, &b);
	if (b.orig.proto != IPPROTO_UDP || b.orig.dport != st->port ||
	    b.reply.src != st->old)
		return MNL_CB_OK;
	if (type == IPCTNL_MSG_CT_NEW && (nlh->nlmsg_flags & NLM_F_CREATE)) {
		s = lookup(b.orig.src, b.orig.sport, true);
		if (s && !s->t_new) {
			s->t_new = t;
			st->nnew++;
			if (!st->first_new)
				st->first_new = t;
			st->last_new = t;
		}
	} else if (type == IPCTNL_MSG_CT_DELETE) {
		s = lookup(b.orig.src, b.orig.sport, false);
		if (s && s->t_new && !s->t_destroy) {
			s->t_destroy = t;
			st->ndestroy++;
			st->last_destroy = t;
		}
	}
	return MNL_CB_OK;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double ms(uint64_t t)
{
	return t ? (double)(t - t0) / 1e6 : -1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: pairlat --netns NS --port P --old ADDR --expect N "
		"[--timeout-ms MS] -- COMMAND [ARG...]\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "netns", 1, NULL, 'N' }, { "port", 1, NULL, 'p' },
		{ "old", 1, NULL, 'o' }, { "expect", 1, NULL, 'e' },
		{ "timeout-ms", 1, NULL, 't' }, { "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *netns = NULL;
	struct state st = { 0 };
	unsigned long expect = 0, timeout_ms = 30000, lost = 0, n = 0, i;
	int c, fd, rcv = 64 << 20, status = 0;
	uint64_t t_cmd = 0, deadline, *lat;
	struct mnl_socket *nl;
	char path[256];
	static char buf[1 << 16];
	pid_t pid;
	bool running = true;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'N': netns = optarg; break;
		case 'p': st.port = htons(atoi(optarg)); break;
		case 'o':
			if (inet_pton(AF_INET, optarg, &st.old) != 1) {
				usage(stderr);
				return 2;
			}
			break;
		case 'e': expect = strtoul(optarg, NULL, 0); break;
		case 't': timeout_ms = strtoul(optarg, NULL, 0); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!st.port || !st.old || !expect || optind >= argc) {
		usage(stderr);
		return 2;
	}
	tab = calloc(SLOTS, sizeof(*tab));
	lat = calloc(expect, sizeof(*lat));
	if (!tab || !lat)
		return 1;
	if (netns) {
		snprintf(path, sizeof(path), "/run/netns/%s", netns);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
			fprintf(stderr, "pairlat: netns %s: %m\n", netns);
			return 1;
		}
		close(fd);
	}
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, (1 << (NFNLGRP_CONNTRACK_NEW - 1)) |
				   (1 << (NFNLGRP_CONNTRACK_DESTROY - 1)),
				   MNL_SOCKET_AUTOPID) < 0) {
		perror("pairlat: netlink");
		return 1;
	}
	fd = mnl_socket_get_fd(nl);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
	fcntl(fd, F_SETFL, O_NONBLOCK);

	t0 = now_ns();
	pid = fork();
	if (pid < 0) {
		perror("pairlat: fork");
		return 1;
	}
	if (pid == 0) {
		close(fd);
		execvp(argv[optind], argv + optind);
		perror("pairlat: exec");
		_exit(127);
	}
	deadline = t0 + (uint64_t)timeout_ms * 1000000u;
	while (now_ns() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (running && waitpid(pid, &status, WNOHANG) == pid) {
			running = false;
			t_cmd = now_ns();
		}
		if (!running && st.nnew >= expect && st.ndestroy >= expect)
			break;
		poll(&p, 1, 10);
		while ((r = recv(fd, buf, sizeof(buf), 0)) != 0) {
			if (r < 0) {
				if (errno == ENOBUFS) {
					lost++;
					continue;
				}
				break;
			}
			mnl_cb_run(buf, r, 0, 0, msg_cb, &st);
		}
	}
	if (running) {
		waitpid(pid, &status, 0);
		t_cmd = now_ns();
	}
	for (i = 0; i < SLOTS; i++)
		if (tab[i].used && tab[i].t_new && tab[i].t_destroy && n < expect)
			lat[n++] = tab[i].t_destroy - tab[i].t_new;
	qsort(lat, n, sizeof(*lat), cmp_u64);
	printf("commit_ms %.1f exit %d stale_new %lu stale_destroyed %lu lost %lu "
	       "first_new_ms %.1f last_new_ms %.1f last_destroy_ms %.1f "
	       "new_to_destroy_p50_ms %.2f p99_ms %.2f max_ms %.2f events %lu\n",
	       ms(t_cmd), WIFEXITED(status) ? WEXITSTATUS(status) : -1,
	       st.nnew, st.ndestroy, lost, ms(st.first_new), ms(st.last_new),
	       ms(st.last_destroy),
	       n ? lat[(n - 1) / 2] / 1e6 : -1,
	       n ? lat[(n * 99 + 99) / 100 - 1] / 1e6 : -1,
	       n ? lat[n - 1] / 1e6 : -1, st.events);
	return st.nnew >= expect && st.ndestroy >= expect && !lost ? 0 : 1;
}
