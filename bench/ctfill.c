// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctfill - fill a namespace's conntrack table fast, for benchmarks.
 *
 * Creates COUNT UDP (or TCP) flows.  By default each is client:sport ->
 * VIP:PORT, DNATed to a backend (reply source BACKEND:BPORT) through
 * CTA_NAT_DST, so the kernel sets IPS_DST_NAT as a real DNAT would (needs
 * the nf_nat module).  A given share goes to the OLD backend (the stale
 * ones); the rest to NEW.  Other kinds of flow can take a share of the
 * table, to make it look like a router's:
 *
 *   --dnat2 F   DNATed through a second forward: client -> VIP:PORT2,
 *               to BACKEND2:PORT2 (--port2, --backend2)
 *   --masq F    outbound LAN flows, source-NATed only (CTA_NAT_SRC, so
 *               IPS_SRC_NAT): LAN.10-249:sport -> INET.1-254:INET_PORT,
 *               reply destination --masq-addr (--lan, --inet, --inet-port)
 *   --other F   un-NATed flows client -> VIP:OTHER_PORT
 *
 * Shares are of the whole table; every kind is spread evenly over it
 * (the kinds are peeled off one after the other: stale, dnat2, masq,
 * other; what is left goes to NEW).  Flow number i always gets the same
 * tuple and kind, so "--only stale" after a deletion re-creates exactly
 * the deleted stale flows.
 *
 * Many IPCTNL_MSG_CT_NEW messages go out per sendto, without NLM_F_ACK:
 * the kernel handles a datagram inside sendto and only queues an ack for
 * the ones that fail, so those are read afterwards without blocking.
 *
 *   ctfill --netns NAME -n 1000000 --stale 0.1 --vip 203.0.113.1 \
 *          --port 53820 --old 192.168.50.2 --new 192.168.50.3
 *
 * Clients are 10.x.y.z (or fd00:99::x:y) with source ports 1024..60999.
 * Masqueraded flows are IPv4 only.  Prints "created N failed M in T s"
 * and the count of each kind, and exits 0 if every flow was created.
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

enum kind { K_STALE, K_DNAT2, K_MASQ, K_OTHER, K_NEW, K__MAX };
static const char *const kind_name[K__MAX] = {
	"stale", "dnat2", "masq", "other", "new",
};

struct opts {
	const char *netns;
	unsigned long count;
	double share[K_NEW];	/* of the whole table, by kind */
	int only;		/* -1, or the one kind to create */
	int family;
	uint8_t proto;
	unsigned char vip[16], old_be[16], new_be[16], be2[16];
	unsigned char masq_addr[16], lan[16], inet[16];
	uint16_t port, bport, other_port, port2, inet_port;
	uint32_t timeout;
};

static void usage(FILE *out)
{
	fprintf(out,
"usage: ctfill [--netns NAME] -n COUNT [--stale FRACTION] [--other FRACTION]\n"
"              [-6] [--tcp] --vip ADDR --port P --old ADDR --new ADDR\n"
"              [--backend-port P] [--other-port P] [--timeout SECONDS]\n"
"              [--dnat2 FRACTION --port2 P --backend2 ADDR]\n"
"              [--masq FRACTION --masq-addr ADDR [--lan A.B.C.0]\n"
"               [--inet A.B.C.0] [--inet-port P]] [--only KIND]\n"
"  --stale   share of flows DNATed to --old (default 0.1)\n"
"  --dnat2   share DNATed to --backend2 on --port2 (default 0)\n"
"  --masq    share of outbound LAN flows masqueraded to --masq-addr\n"
"            (default 0; LAN 192.168.50.0, INET 198.51.100.0, port 443)\n"
"  --other   share of flows to --other-port (default 9), no NAT (default 0)\n"
"            the rest is DNATed to --new\n"
"  --only    create only the flows of one kind (stale, dnat2, masq, other,\n"
"            new), with the tuples a full fill gives them\n");
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

/* Peel the kinds off in order: @i's rank among the flows the earlier kinds
 * left over decides the next one, so each kind gets floor(its share of
 * what is left) flows, evenly spread. */
static enum kind kind_at(const struct opts *o, unsigned long i)
{
	double left = 1.0;
	int k;

	for (k = 0; k < K_NEW; k++) {
		double s = o->share[k] / left;

		left -= o->share[k];
		if (o->share[k] <= 0)
			continue;
		if (s >= 1 - 1e-9)
			return k;
		if (kind_of(i, s))
			return k;
		i -= (unsigned long)(i * s);
	}
	return K_NEW;
}

static void put_nat(struct nlmsghdr *nlh, uint16_t type, int family,
		    const unsigned char *addr, uint16_t port)
{
	bool v4 = family == AF_INET;
	struct nlattr *nat, *pr;

	nat = mnl_attr_nest_start(nlh, type);
	mnl_attr_put(nlh, v4 ? CTA_NAT_V4_MINIP : CTA_NAT_V6_MINIP,
		     v4 ? 4 : 16, addr);
	mnl_attr_put(nlh, v4 ? CTA_NAT_V4_MAXIP : CTA_NAT_V6_MAXIP,
		     v4 ? 4 : 16, addr);
	if (port) {
		pr = mnl_attr_nest_start(nlh, CTA_NAT_PROTO);
		mnl_attr_put_u16(nlh, CTA_PROTONAT_PORT_MIN, htons(port));
		mnl_attr_put_u16(nlh, CTA_PROTONAT_PORT_MAX, htons(port));
		mnl_attr_nest_end(nlh, pr);
	}
	mnl_attr_nest_end(nlh, nat);
}

/* Outbound flow @i: LAN host -> internet host, unique in both directions
 * after SNAT to one address as long as @i < 59976 * 254. */
static void masq_tuple(const struct opts *o, unsigned long i,
		       unsigned char *src, unsigned char *dst, uint16_t *sport)
{
	memcpy(src, o->lan, 4);
	memcpy(dst, o->inet, 4);
	src[3] = 10 + i % 240;
	dst[3] = 1 + (i / PORTS_PER_CLIENT) % 254;
	*sport = 1024 + i % PORTS_PER_CLIENT;
}

static size_t put_flow(char *buf, const struct opts *o, unsigned long i,
		       enum kind kind, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	unsigned char cli[16], dst[16];
	uint16_t sport = 1024 + i % PORTS_PER_CLIENT;
	uint32_t status = IPS_CONFIRMED | IPS_SEEN_REPLY | IPS_ASSURED;

	client_addr(o->family, i / PORTS_PER_CLIENT, cli);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = o->family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;

	/* The reply tuple goes in as if un-NATed, plus a NAT range: the
	 * kernel rewrites the reply and sets IPS_DST_NAT/IPS_SRC_NAT itself,
	 * which CTA_STATUS cannot. */
	switch (kind) {
	case K_OTHER:
		put_tuple(nlh, CTA_TUPLE_ORIG, o->family, o->proto, cli, o->vip,
			  sport, o->other_port);
		put_tuple(nlh, CTA_TUPLE_REPLY, o->family, o->proto, o->vip,
			  cli, o->other_port, sport);
		break;
	case K_MASQ:
		masq_tuple(o, i, cli, dst, &sport);
		put_tuple(nlh, CTA_TUPLE_ORIG, o->family, o->proto, cli, dst,
			  sport, o->inet_port);
		put_tuple(nlh, CTA_TUPLE_REPLY, o->family, o->proto, dst, cli,
			  o->inet_port, sport);
		put_nat(nlh, CTA_NAT_SRC, o->family, o->masq_addr, 0);
		break;
	case K_DNAT2:
		put_tuple(nlh, CTA_TUPLE_ORIG, o->family, o->proto, cli, o->vip,
			  sport, o->port2);
		put_tuple(nlh, CTA_TUPLE_REPLY, o->family, o->proto, o->vip,
			  cli, o->port2, sport);
		put_nat(nlh, CTA_NAT_DST, o->family, o->be2, o->port2);
		break;
	default:
		put_tuple(nlh, CTA_TUPLE_ORIG, o->family, o->proto, cli, o->vip,
			  sport, o->port);
		put_tuple(nlh, CTA_TUPLE_REPLY, o->family, o->proto, o->vip,
			  cli, o->port, sport);
		put_nat(nlh, CTA_NAT_DST, o->family,
			kind == K_STALE ? o->old_be : o->new_be, o->bport);
		break;
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
		{ "dnat2", 1, NULL, 'D' }, { "port2", 1, NULL, 'q' },
		{ "backend2", 1, NULL, 'B' }, { "masq", 1, NULL, 'M' },
		{ "masq-addr", 1, NULL, 'A' }, { "lan", 1, NULL, 'L' },
		{ "inet", 1, NULL, 'I' }, { "inet-port", 1, NULL, 'i' },
		{ "only", 1, NULL, 'O' },
		{ "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct opts o = {
		.count = 1000, .share = { [K_STALE] = 0.1 }, .only = -1,
		.family = AF_INET, .proto = IPPROTO_UDP, .port = 53820,
		.other_port = 9, .inet_port = 443, .timeout = 600,
	};
	const char *vip = NULL, *old_be = NULL, *new_be = NULL, *be2 = NULL;
	const char *masq_addr = NULL, *lan = "192.168.50.0";
	const char *inet = "198.51.100.0";
	unsigned long made[K__MAX] = { 0 }, want = 0;
	double total = 0;
	int k;
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
		case 's': o.share[K_STALE] = atof(optarg); break;
		case 'x': o.share[K_OTHER] = atof(optarg); break;
		case 'D': o.share[K_DNAT2] = atof(optarg); break;
		case 'M': o.share[K_MASQ] = atof(optarg); break;
		case 'q': o.port2 = atoi(optarg); break;
		case 'B': be2 = optarg; break;
		case 'A': masq_addr = optarg; break;
		case 'L': lan = optarg; break;
		case 'I': inet = optarg; break;
		case 'i': o.inet_port = atoi(optarg); break;
		case 'O':
			for (k = 0; k < K__MAX; k++)
				if (!strcmp(optarg, kind_name[k]))
					o.only = k;
			if (o.only < 0) {
				usage(stderr);
				return 2;
			}
			break;
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
	for (k = 0; k < K_NEW; k++) {
		if (o.share[k] < 0 || o.share[k] > 1)
			total = 2;
		total += o.share[k];
	}
	if (!vip || !old_be || !new_be || total > 1 + 1e-9 ||
	    (o.share[K_DNAT2] > 0 && (!be2 || !o.port2)) ||
	    (o.share[K_MASQ] > 0 && (!masq_addr || o.family != AF_INET))) {
		usage(stderr);
		return 2;
	}
	if (!o.bport)
		o.bport = o.port;
	if (parse_addr(o.family, vip, o.vip) ||
	    parse_addr(o.family, old_be, o.old_be) ||
	    parse_addr(o.family, new_be, o.new_be) ||
	    (be2 && parse_addr(o.family, be2, o.be2)) ||
	    (masq_addr && parse_addr(AF_INET, masq_addr, o.masq_addr)) ||
	    parse_addr(AF_INET, lan, o.lan) || parse_addr(AF_INET, inet, o.inet))
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

		while (i < o.count && off + MSG_MAX <= BATCH_BYTES) {
			enum kind kind = kind_at(&o, i);

			if (o.only < 0 || (int)kind == o.only) {
				off += put_flow(batch + off, &o, i, kind, ++seq);
				made[kind]++;
				want++;
			}
			i++;
		}
		if (!off)
			continue;
		if (mnl_socket_sendto(nl, batch, off) < 0) {
			perror("ctfill: sendto");
			return 1;
		}
		errs += drain_errors(nl, rbuf, 1 << 16, &first_err);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("created %lu failed %lu in %.3f s:", want - errs, errs,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	for (k = 0; k < K__MAX; k++)
		printf(" %s %lu", kind_name[k], made[k]);
	printf("\n");
	if (first_err)
		fprintf(stderr, "ctfill: first error: %s\n",
			strerror(-first_err));
	mnl_socket_close(nl);
	free(batch);
	free(rbuf);
	return errs ? 1 : 0;
}
