// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctchurn - steady conntrack churn, for benchmarks: RATE new UDP flows a
 * second for SECONDS, each deleted again LIFE seconds after it was made,
 * so the table holds about RATE * LIFE extra entries and every second
 * brings RATE NEW and RATE DESTROY events, as on a busy router.
 *
 * Flows go in through ctnetlink (IPCTNL_MSG_CT_NEW, as bench/ctfill does),
 * alternating two kinds that no rule change in the bench touches:
 *   masq   LAN 192.168.51.x:sport -> 198.51.100.y:4433, source-NATed to
 *          --masq-addr (IPS_SRC_NAT)
 *   dnat   10.128.x.y:sport -> VIP:PORT2, DNATed to BACKEND2:PORT2
 * Tuples never repeat within a run (up to 14 million flows).  Work is
 * paced in 100 slices a second on absolute deadlines; each slice sends
 * its creates and its deletes as one batch each, without acks (errors
 * come back as error messages and are counted).
 *
 *   ctchurn --netns NAME --rate 10000 --seconds 20 --life 1 \
 *           --vip 203.0.113.1 --port2 51821 --backend2 192.168.50.4 \
 *           --masq-addr 203.0.113.1
 *
 * Prints "created N deleted M failed K in T s: R flows/s".
 *
 * Build: gcc -O2 -std=gnu11 -D_GNU_SOURCE -o ctchurn bench/ctchurn.c -lmnl
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
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

#define MSG_MAX		256
#define SLICES		100	/* per second */

struct opts {
	unsigned char vip[4], be2[4], masq[4];
	uint16_t port2;
	uint32_t timeout;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void put_tuple(struct nlmsghdr *nlh, uint16_t type, const void *src,
		      const void *dst, uint16_t sport, uint16_t dport)
{
	struct nlattr *nest, *sub;

	nest = mnl_attr_nest_start(nlh, type);
	sub = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, src);
	mnl_attr_put(nlh, CTA_IP_V4_DST, 4, dst);
	mnl_attr_nest_end(nlh, sub);
	sub = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_UDP);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
	mnl_attr_nest_end(nlh, sub);
	mnl_attr_nest_end(nlh, nest);
}

static void put_nat(struct nlmsghdr *nlh, uint16_t type,
		    const unsigned char *addr, uint16_t port)
{
	struct nlattr *nat, *pr;

	nat = mnl_attr_nest_start(nlh, type);
	mnl_attr_put(nlh, CTA_NAT_V4_MINIP, 4, addr);
	mnl_attr_put(nlh, CTA_NAT_V4_MAXIP, 4, addr);
	if (port) {
		pr = mnl_attr_nest_start(nlh, CTA_NAT_PROTO);
		mnl_attr_put_u16(nlh, CTA_PROTONAT_PORT_MIN, htons(port));
		mnl_attr_put_u16(nlh, CTA_PROTONAT_PORT_MAX, htons(port));
		mnl_attr_nest_end(nlh, pr);
	}
	mnl_attr_nest_end(nlh, nat);
}

/* Flow @i's original tuple; odd flows are masqueraded, even DNATed. */
static void tuple_of(const struct opts *o, uint64_t i, unsigned char *src,
		     unsigned char *dst, uint16_t *sport, uint16_t *dport)
{
	uint64_t k = i / 2;

	*sport = 1024 + k % 60000;
	if (i & 1) {
		src[0] = 192; src[1] = 168; src[2] = 51;
		src[3] = 10 + (k / 60000) % 240;
		dst[0] = 198; dst[1] = 51; dst[2] = 100;
		dst[3] = 1 + (k / (60000 * 240)) % 254;
		*dport = 4433;
	} else {
		uint32_t c = 0x0a800000u + (uint32_t)(k / 60000) + 1;

		c = htonl(c);
		memcpy(src, &c, 4);
		memcpy(dst, o->vip, 4);
		*dport = o->port2;
	}
}

static size_t put_msg(char *buf, const struct opts *o, uint64_t i, bool del,
		      uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	unsigned char src[4], dst[4];
	uint16_t sport, dport;

	tuple_of(o, i, src, dst, &sport, &dport);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) |
			  (del ? IPCTNL_MSG_CT_DELETE : IPCTNL_MSG_CT_NEW);
	nlh->nlmsg_flags = NLM_F_REQUEST |
			   (del ? 0 : NLM_F_CREATE | NLM_F_EXCL);
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	put_tuple(nlh, CTA_TUPLE_ORIG, src, dst, sport, dport);
	if (del)
		return nlh->nlmsg_len;
	put_tuple(nlh, CTA_TUPLE_REPLY, dst, src, dport, sport);
	if (i & 1)
		put_nat(nlh, CTA_NAT_SRC, o->masq, 0);
	else
		put_nat(nlh, CTA_NAT_DST, o->be2, o->port2);
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(o->timeout));
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(IPS_CONFIRMED |
						IPS_SEEN_REPLY | IPS_ASSURED));
	return nlh->nlmsg_len;
}

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
				errs++;
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

static int send_batch(struct mnl_socket *nl, const struct opts *o,
		      char *batch, uint64_t from, uint64_t to, bool del,
		      uint32_t *seq)
{
	size_t off = 0;
	uint64_t i;

	for (i = from; i < to; i++) {
		off += put_msg(batch + off, o, i, del, ++*seq);
		if (off + MSG_MAX > 64 * 1024 || i + 1 == to) {
			if (mnl_socket_sendto(nl, batch, off) < 0)
				return -errno;
			off = 0;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "netns", 1, NULL, 'N' }, { "rate", 1, NULL, 'r' },
		{ "seconds", 1, NULL, 's' }, { "life", 1, NULL, 'l' },
		{ "vip", 1, NULL, 'v' }, { "port2", 1, NULL, 'q' },
		{ "backend2", 1, NULL, 'B' }, { "masq-addr", 1, NULL, 'A' },
		{ "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct opts o = { .timeout = 600 };
	const char *netns = NULL, *vip = NULL, *be2 = NULL, *masq = NULL;
	double rate = 10000, seconds = 20, life = 1;
	uint64_t total, made = 0, gone = 0, lag, t0, t;
	unsigned long slice, nslices, errs = 0;
	struct mnl_socket *nl;
	char *batch, *rbuf;
	uint32_t seq = 1;
	int c, first_err = 0, snd = 4 << 20, rcv = 4 << 20;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'N': netns = optarg; break;
		case 'r': rate = atof(optarg); break;
		case 's': seconds = atof(optarg); break;
		case 'l': life = atof(optarg); break;
		case 'v': vip = optarg; break;
		case 'q': o.port2 = atoi(optarg); break;
		case 'B': be2 = optarg; break;
		case 'A': masq = optarg; break;
		default:
			fprintf(c == 'h' ? stdout : stderr,
				"usage: ctchurn --netns NAME [--rate N] "
				"[--seconds S] [--life S] --vip A --port2 P "
				"--backend2 A --masq-addr A\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (!vip || !be2 || !masq || !o.port2 || rate <= 0 || life < 0 ||
	    inet_pton(AF_INET, vip, o.vip) != 1 ||
	    inet_pton(AF_INET, be2, o.be2) != 1 ||
	    inet_pton(AF_INET, masq, o.masq) != 1) {
		fprintf(stderr, "ctchurn: bad or missing arguments\n");
		return 2;
	}
	if (netns) {
		char path[256];
		int fd;

		snprintf(path, sizeof(path), "/run/netns/%s", netns);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET)) {
			fprintf(stderr, "ctchurn: netns %s: %s\n", netns,
				strerror(errno));
			return 1;
		}
		close(fd);
	}
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("ctchurn: netlink");
		return 1;
	}
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &snd,
		   sizeof(snd));
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcv,
		   sizeof(rcv));
	c = 1;
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &c, sizeof(c));
	batch = malloc(64 * 1024 + MSG_MAX);
	rbuf = malloc(1 << 16);
	if (!batch || !rbuf)
		return 1;

	total = (uint64_t)(rate * seconds);
	lag = (uint64_t)(rate * life);
	nslices = (unsigned long)(seconds * SLICES);
	t0 = now_ns();
	for (slice = 1; slice <= nslices; slice++) {
		uint64_t want = total * slice / nslices;
		struct timespec ts;
		int err;

		err = send_batch(nl, &o, batch, made, want, false, &seq);
		if (!err && made >= lag)
			err = send_batch(nl, &o, batch, gone,
					 want > lag ? want - lag : 0, true,
					 &seq);
		if (err) {
			fprintf(stderr, "ctchurn: sendto: %s\n",
				strerror(-err));
			return 1;
		}
		made = want;
		if (want > lag)
			gone = want - lag;
		errs += drain_errors(nl, rbuf, 1 << 16, &first_err);
		t = t0 + (uint64_t)slice * (1000000000u / SLICES);
		ts.tv_sec = t / 1000000000u;
		ts.tv_nsec = t % 1000000000u;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
				       NULL) == EINTR)
			;
	}
	t = now_ns();
	/* the flows still alive go too, so the table is as it was */
	send_batch(nl, &o, batch, gone, made, true, &seq);
	errs += drain_errors(nl, rbuf, 1 << 16, &first_err);
	printf("created %llu deleted %llu failed %lu in %.3f s: %.0f new "
	       "flows/s\n", (unsigned long long)made,
	       (unsigned long long)made, errs, (t - t0) / 1e9,
	       made / ((t - t0) / 1e9));
	if (first_err)
		fprintf(stderr, "ctchurn: first error: %s\n",
			strerror(-first_err));
	mnl_socket_close(nl);
	return errs ? 1 : 0;
}
