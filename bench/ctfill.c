// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctfill - fill a namespace's conntrack table fast, for benchmarks.
 *
 * Creates COUNT UDP (or TCP) flows client:sport -> VIP:PORT, each DNATed to
 * a backend (reply source BACKEND:BPORT) through CTA_NAT_DST, so the
 * kernel sets IPS_DST_NAT as a real DNAT would (needs the nf_nat module).  A given fraction goes to the OLD backend (the stale ones),
 * spread evenly over the table; the rest to NEW.  Optionally a share of
 * unrelated, un-NATed flows to another port dilutes the table.
 *
 * Many IPCTNL_MSG_CT_NEW messages go out per sendto, without NLM_F_ACK:
 * the kernel handles a datagram inside sendto and only queues an ack for
 * the ones that fail, so those are read afterwards without blocking.
 *
 *   ctfill --netns NAME -n 1000000 --stale 0.1 --vip 203.0.113.1 \
 *          --port 53820 --old 192.168.50.2 --new 192.168.50.3
 *
 * Clients are 10.x.y.z (or fd00:99::x:y) with source ports 1024..60999.
 * Prints "created N failed M" and exits 0 if every flow was created.
 *
 * Build: gcc -O2 -std=gnu11 -D_GNU_SOURCE -o ctfill bench/ctfill.c -lmnl
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>

#define BATCH_BYTES	(160 * 1024)
#define MSG_MAX		256
#define PORTS_PER_CLIENT 59976u

struct opts {
	const char *netns;
	unsigned long count;
	double stale;
	double other;
	int family;
	uint8_t proto;
	unsigned char vip[16], old_be[16], new_be[16];
	uint16_t port, bport, other_port;
	uint32_t timeout;
};

static void usage(FILE *out)
{
	fprintf(out,
"usage: ctfill [--netns NAME] -n COUNT [--stale FRACTION] [--other FRACTION]\n"
"              [-6] [--tcp] --vip ADDR --port P --old ADDR --new ADDR\n"
"              [--backend-port P] [--other-port P] [--timeout SECONDS]\n"
"  --stale   share of flows DNATed to --old (default 0.1), rest to --new\n"
"  --other   share of flows to --other-port (default 9), no NAT (default 0)\n");
}

static int enter_netns(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "ctfill: netns %s: %s\n", name,
			strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static void put_tuple(struct nlmsghdr *nlh, uint16_t type, int family,
		      uint8_t proto, const void *src, const void *dst,
		      uint16_t sport, uint16_t dport)
{
	bool v4 = family == AF_INET;
	size_t alen = v4 ? 4 : 16;
	struct nlattr *nest, *sub;

	nest = mnl_attr_nest_start(nlh, type);
	sub = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put(nlh, v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, alen, src);
	mnl_attr_put(nlh, v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST, alen, dst);
	mnl_attr_nest_end(nlh, sub);
	sub = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
	mnl_attr_nest_end(nlh, sub);
	mnl_attr_nest_end(nlh, nest);
}

static void client_addr(int family, unsigned long client, unsigned char *a)
{
	memset(a, 0, 16);
	if (family == AF_INET) {
		uint32_t ip = htonl(0x0a000000u | (uint32_t)(client + 1));

		memcpy(a, &ip, 4);
	} else {
		a[0] = 0xfd; a[1] = 0x00; a[2] = 0x00; a[3] = 0x99;
		a[12] = client >> 24; a[13] = client >> 16;
		a[14] = client >> 8; a[15] = client + 1;
	}
}

/* Flow @i: which kind it is, spread evenly (Bresenham) over the index. */
static int kind_of(unsigned long i, double share)
{
	return (unsigned long)((i + 1) * share) != (unsigned long)(i * share);
}

static size_t put_flow(char *buf, const struct opts *o, unsigned long i,
		       uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	unsigned char cli[16];
	uint16_t sport = 1024 + i % PORTS_PER_CLIENT;
	uint32_t status = IPS_CONFIRMED | IPS_SEEN_REPLY | IPS_ASSURED;
	const unsigned char *be;

	client_addr(o->family, i / PORTS_PER_CLIENT, cli);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = o->family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;

	if (o->other > 0 && kind_of(i, o->other)) {
		put_tuple(nlh, CTA_TUPLE_ORIG, o->family, o->proto, cli, o->vip,
			  sport, o->other_port);
		put_tuple(nlh, CTA_TUPLE_REPLY, o->family, o->proto, o->vip,
			  cli, o->other_port, sport);
	} else {
		bool v4 = o->family == AF_INET;
		struct nlattr *nat, *pr;

		be = kind_of(i, o->stale) ? o->old_be : o->new_be;
		/* The reply tuple as if un-NATed, plus a DNAT range: the
		 * kernel rewrites the reply and sets IPS_DST_NAT itself,
		 * which CTA_STATUS cannot. */
		put_tuple(nlh, CTA_TUPLE_ORIG, o->family, o->proto, cli, o->vip,
			  sport, o->port);
		put_tuple(nlh, CTA_TUPLE_REPLY, o->family, o->proto, o->vip,
			  cli, o->port, sport);
		nat = mnl_attr_nest_start(nlh, CTA_NAT_DST);
		mnl_attr_put(nlh, v4 ? CTA_NAT_V4_MINIP : CTA_NAT_V6_MINIP,
			     v4 ? 4 : 16, be);
		mnl_attr_put(nlh, v4 ? CTA_NAT_V4_MAXIP : CTA_NAT_V6_MAXIP,
			     v4 ? 4 : 16, be);
		pr = mnl_attr_nest_start(nlh, CTA_NAT_PROTO);
		mnl_attr_put_u16(nlh, CTA_PROTONAT_PORT_MIN, htons(o->bport));
		mnl_attr_put_u16(nlh, CTA_PROTONAT_PORT_MAX, htons(o->bport));
		mnl_attr_nest_end(nlh, pr);
		mnl_attr_nest_end(nlh, nat);
	}
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(o->timeout));
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(status));
	return nlh->nlmsg_len;
}

/* Failed creates come back as error acks, already queued when sendto
 * returns. */
static unsigned long drain_errors(struct mnl_socket *nl, char *buf,
				  size_t size, int *first_err)
{
	unsigned long errs = 0;

	for (;;) {
		ssize_t n = recv(mnl_socket_get_fd(nl), buf, size,
				 MSG_DONTWAIT);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int rem = (int)n;

		if (n < 0) {
			if (errno == ENOBUFS) {
				errs++;	/* at least one ack was lost */
				continue;
			}
			return errs;
		}
		for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_type != NLMSG_ERROR || !e->error)
				continue;
			if (!*first_err)
				*first_err = e->error;
			errs++;
		}
	}
}

static int parse_addr(int family, const char *s, unsigned char *a)
{
	memset(a, 0, 16);
	if (inet_pton(family, s, a) != 1) {
		fprintf(stderr, "ctfill: bad address '%s'\n", s);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "netns", 1, NULL, 'N' }, { "count", 1, NULL, 'n' },
		{ "stale", 1, NULL, 's' }, { "other", 1, NULL, 'x' },
		{ "tcp", 0, NULL, 'T' }, { "vip", 1, NULL, 'v' },
		{ "port", 1, NULL, 'p' }, { "old", 1, NULL, 'o' },
		{ "new", 1, NULL, 'w' }, { "backend-port", 1, NULL, 'b' },
		{ "other-port", 1, NULL, 'P' }, { "timeout", 1, NULL, 't' },
		{ "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct opts o = {
		.count = 1000, .stale = 0.1, .family = AF_INET,
		.proto = IPPROTO_UDP, .port = 53820, .other_port = 9,
		.timeout = 600,
	};
	const char *vip = NULL, *old_be = NULL, *new_be = NULL;
	struct mnl_socket *nl;
	char *batch, *rbuf;
	unsigned long i = 0, errs = 0;
	uint32_t seq = time(NULL);
	int c, first_err = 0, rcv = 32 << 20, snd = 4 << 20;
	struct timespec t0, t1;

	while ((c = getopt_long(argc, argv, "n:6h", lo, NULL)) != -1) {
		switch (c) {
		case 'N': o.netns = optarg; break;
		case 'n': o.count = strtoul(optarg, NULL, 0); break;
		case 's': o.stale = atof(optarg); break;
		case 'x': o.other = atof(optarg); break;
		case '6': o.family = AF_INET6; break;
		case 'T': o.proto = IPPROTO_TCP; break;
		case 'v': vip = optarg; break;
		case 'p': o.port = atoi(optarg); break;
		case 'o': old_be = optarg; break;
		case 'w': new_be = optarg; break;
		case 'b': o.bport = atoi(optarg); break;
		case 'P': o.other_port = atoi(optarg); break;
		case 't': o.timeout = strtoul(optarg, NULL, 0); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!vip || !old_be || !new_be || o.stale < 0 || o.stale > 1 ||
	    o.other < 0 || o.other > 1) {
		usage(stderr);
		return 2;
	}
	if (!o.bport)
		o.bport = o.port;
	if (parse_addr(o.family, vip, o.vip) ||
	    parse_addr(o.family, old_be, o.old_be) ||
	    parse_addr(o.family, new_be, o.new_be))
		return 2;
	if (o.netns && enter_netns(o.netns))
		return 1;

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("ctfill: netlink");
		return 1;
	}
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcv,
		   sizeof(rcv));
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &snd,
		   sizeof(snd));
	c = 1;
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &c, sizeof(c));
	batch = malloc(BATCH_BYTES);
	rbuf = malloc(1 << 16);
	if (!batch || !rbuf)
		return 1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (i < o.count) {
		size_t off = 0;

		while (i < o.count && off + MSG_MAX <= BATCH_BYTES)
			off += put_flow(batch + off, &o, i++, ++seq);
		if (mnl_socket_sendto(nl, batch, off) < 0) {
			perror("ctfill: sendto");
			return 1;
		}
		errs += drain_errors(nl, rbuf, 1 << 16, &first_err);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("created %lu failed %lu in %.3f s\n", o.count - errs, errs,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (first_err)
		fprintf(stderr, "ctfill: first error: %s\n",
			strerror(-first_err));
	mnl_socket_close(nl);
	free(batch);
	free(rbuf);
	return errs ? 1 : 0;
}
