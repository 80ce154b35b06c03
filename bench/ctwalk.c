// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctwalk - the least kernel-filtered conntrack walks cost: dumps
 * (IPCTNL_MSG_CT_GET) whose messages are counted and nothing else done
 * with, or filtered flushes (IPCTNL_MSG_CT_DELETE with CTA_FILTER, kernel
 * 6.12), each a walk of the whole table inside the kernel.
 *
 *   ctwalk --netns NAME [--repeat N] [--flush] WALK...
 *   ctwalk --netns NAME --status VALUE --mask MASK [--repeat N] [--flush]
 *
 * WALK is STATUS/MASK[/PROTO/PORT[/REPLY_SRC]]: IPS_* bit masks (decimal
 * or 0x...), then optionally "udp" or "tcp" and an original destination
 * port, then an IPv4 reply source (the backend).  0x20/0x20 returns every
 * DNATed flow; 0x400/0x400 (IPS_TEMPLATE, never in the table) returns
 * nothing and so measures the walk alone.  Several WALKs are one plan
 * (bench/sweep gives ctsweep's): each run walks them all.  A walk with a
 * protocol uses family AF_INET (the kernel's tuple filter needs one); 0/0
 * is a dump of everything.
 *
 * Prints, per run, "returned N in W s wall, CPU C s" (dumps) or "deleted
 * N in W s wall, CPU C s" (--flush; N from nf_conntrack_count); with
 * several WALKs, then one line per walk: "  walk WALK: N, CPU C s".
 *
 * Build: gcc -O2 -std=gnu11 -D_GNU_SOURCE -o ctwalk bench/ctwalk.c -lmnl
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#define BUF (256 * 1024)
#define MAX_WALKS 32

/* From the kernel's nf_internals.h; not in the uapi headers. */
#define CTF_IP_SRC	(1u << 0)
#define CTF_PROTO_NUM	(1u << 3)
#define CTF_PROTO_DPORT	(1u << 5)

struct walk {
	uint32_t status, mask;
	uint8_t proto;		/* 0: no tuple filter */
	uint16_t port;		/* network byte order */
	uint32_t reply_src;	/* network byte order, 0: none */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static long ct_count(void)
{
	FILE *f = fopen("/proc/sys/net/netfilter/nf_conntrack_count", "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(*(unsigned long *)data)++;
	return MNL_CB_OK;
}

static void put_filter(struct nlmsghdr *nlh, const struct walk *w)
{
	struct nlattr *nest, *sub;

	if (w->proto) {
		nest = mnl_attr_nest_start(nlh, CTA_FILTER);
		mnl_attr_put_u32(nlh, CTA_FILTER_ORIG_FLAGS,
				 CTF_PROTO_NUM | CTF_PROTO_DPORT);
		if (w->reply_src)
			mnl_attr_put_u32(nlh, CTA_FILTER_REPLY_FLAGS,
					 CTF_IP_SRC);
		mnl_attr_nest_end(nlh, nest);
		nest = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
		sub = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
		mnl_attr_put_u8(nlh, CTA_PROTO_NUM, w->proto);
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, w->port);
		mnl_attr_nest_end(nlh, sub);
		mnl_attr_nest_end(nlh, nest);
	}
	if (w->reply_src) {
		nest = mnl_attr_nest_start(nlh, CTA_TUPLE_REPLY);
		sub = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
		mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, w->reply_src);
		mnl_attr_nest_end(nlh, sub);
		mnl_attr_nest_end(nlh, nest);
	}
	if (!w->mask)
		return;		/* a zero mask is EINVAL: a plain dump */
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(w->status));
	mnl_attr_put_u32(nlh, CTA_STATUS_MASK, htonl(w->mask));
}

/* Flows returned by a dump, or 0 after a flush (acked); -errno. */
static long walk(struct mnl_socket *nl, char *buf, const struct walk *w,
		 int flush)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	unsigned long n = 0;
	uint32_t seq = time(NULL);
	int ret;

	memset(buf, 0, 512);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) |
			  (flush ? IPCTNL_MSG_CT_DELETE : IPCTNL_MSG_CT_GET);
	nlh->nlmsg_flags = NLM_F_REQUEST | (flush ? NLM_F_ACK : NLM_F_DUMP);
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = w->proto || w->reply_src ? AF_INET : AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	put_filter(nlh, w);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		ssize_t len = mnl_socket_recvfrom(nl, buf, BUF);

		if (len < 0)
			return -errno;
		ret = mnl_cb_run(buf, len, seq, mnl_socket_get_portid(nl),
				 count_cb, &n);
	} while (ret > 0);
	return ret < 0 ? -errno : (long)n;
}

/* STATUS/MASK[/PROTO/PORT[/REPLY_SRC]] */
static int parse_walk(char *s, struct walk *w)
{
	char *f[5], *save = NULL;
	int n = 0;

	memset(w, 0, sizeof(*w));
	for (char *t = strtok_r(s, "/", &save); t && n < 5;
	     t = strtok_r(NULL, "/", &save))
		f[n++] = t;
	if (n < 2 || n == 3)
		return -1;
	w->status = strtoul(f[0], NULL, 0);
	w->mask = strtoul(f[1], NULL, 0);
	if (n >= 4) {
		if (!strcmp(f[2], "udp"))
			w->proto = IPPROTO_UDP;
		else if (!strcmp(f[2], "tcp"))
			w->proto = IPPROTO_TCP;
		else
			return -1;
		w->port = htons(atoi(f[3]));
	}
	if (n == 5 && inet_pton(AF_INET, f[4], &w->reply_src) != 1)
		return -1;
	return 0;
}

static int enter(const char *ns)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		fprintf(stderr, "ctwalk: cannot enter %s\n", path);
		return -1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "netns", 1, 0, 'n' }, { "status", 1, 0, 's' },
		{ "mask", 1, 0, 'm' }, { "repeat", 1, 0, 'r' },
		{ "flush", 0, 0, 'f' }, { 0 }
	};
	struct walk w[MAX_WALKS] = { 0 };
	const char *name[MAX_WALKS] = { "" };
	double wcpu[MAX_WALKS];
	long wn[MAX_WALKS];
	int c, i, k, nw = 0, repeat = 3, flush = 0, single = 0;
	const char *ns = NULL;
	struct mnl_socket *nl;
	char *buf = malloc(BUF);

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'n': ns = optarg; break;
		case 's': w[0].status = strtoul(optarg, NULL, 0); single = 1;
			  break;
		case 'm': w[0].mask = strtoul(optarg, NULL, 0); single = 1;
			  break;
		case 'r': repeat = atoi(optarg); break;
		case 'f': flush = 1; break;
		default: return 2;
		}
	}
	nw = single;
	for (; optind < argc && !single && nw < MAX_WALKS; optind++) {
		name[nw] = strdup(argv[optind]);
		if (!name[nw] || parse_walk(argv[optind], &w[nw++])) {
			fprintf(stderr, "ctwalk: bad walk '%s' (STATUS/MASK"
				"[/udp|tcp/PORT[/REPLY_SRC]])\n", argv[optind]);
			return 2;
		}
	}
	if (!nw || optind < argc) {
		fprintf(stderr, "ctwalk: give one to %d walks\n", MAX_WALKS);
		return 2;
	}
	if (ns && enter(ns))
		return 2;
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!buf || !nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("ctwalk: netlink");
		return 2;
	}
	for (i = 0; i < repeat; i++) {
		double w0 = now(), c0 = cpu();
		long n = 0, before = ct_count();

		for (k = 0; k < nw; k++) {
			double c1 = cpu();
			long r = walk(nl, buf, &w[k], flush);

			wcpu[k] = cpu() - c1;
			wn[k] = r;
			if (r < 0) {
				fprintf(stderr, "ctwalk: %s: %s\n",
					flush ? "flush" : "dump", strerror(-r));
				return 2;
			}
			n += r;
		}
		if (flush)
			n = before - ct_count();
		printf("%s %ld in %.3f s wall, CPU %.3f s\n",
		       flush ? "deleted" : "returned", n, now() - w0,
		       cpu() - c0);
		for (k = 0; nw > 1 && k < nw; k++)
			printf("  walk %s: %ld, CPU %.3f s\n", name[k], wn[k],
			       wcpu[k]);
	}
	return 0;
}
