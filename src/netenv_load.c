// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * netenv_load.c - fill a struct netenv from rtnetlink: links and their ingress
 * qdiscs, addresses, and the main and local routing tables of the current
 * network namespace.
 *
 * The dumps' messages go into the snapshot through netenv_add_msg()
 * (netenv_parse.c, no I/O, fuzzed).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include "agree.h"
#include "netenv.h"
#include "nlattr.h"
#include "nlsock.h"

#define RECV_BUF	(64 * 1024)

static int dump(struct mnl_socket *nl, char *buf, uint16_t type,
		size_t hdrlen, uint32_t seq, struct netenv *env)
{
	unsigned int portid = mnl_socket_get_portid(nl);
	struct nlmsghdr *nlh;
	void *hdr;
	int ret;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	hdr = mnl_nlmsg_put_extra_header(nlh, hdrlen);
	((unsigned char *)hdr)[0] = AF_UNSPEC;	/* family: first byte */
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;

	for (;;) {
		ssize_t n = nlsock_recv(nl, buf, RECV_BUF);
		const struct nlmsghdr *m = (const struct nlmsghdr *)buf;
		int rem;

		if (n < 0)
			return n;
		rem = (int)n;
		for (; mnl_nlmsg_ok(m, rem); m = mnl_nlmsg_next(m, &rem)) {
			if (m->nlmsg_seq != seq || m->nlmsg_pid != portid)
				continue;
			if (m->nlmsg_flags & NLM_F_DUMP_INTR)
				return -EAGAIN;
			ret = nlattr_dump_end(m, -EBADMSG);
			if (ret <= 0)
				return ret;
			ret = netenv_add_msg(env, m);
			if (ret)
				return ret;
		}
		/* bytes that are no whole message: a reply cut short */
		if (rem > 0)
			return -EBADMSG;
	}
}

_Static_assert(RTM_GETLINK == RTM_NEWLINK + 2 &&
	       RTM_GETADDR == RTM_NEWADDR + 2 &&
	       RTM_GETROUTE == RTM_NEWROUTE + 2 &&
	       RTM_GETRULE == RTM_NEWRULE + 2 &&
	       RTM_GETQDISC == RTM_NEWQDISC + 2, "rtnetlink's layout");

static int dump_all(struct mnl_socket *nl, char *buf, uint32_t *seq,
		    struct netenv *env)
{
	const struct netenv_msg *k;
	int err = 0;

	for (k = netenv_msgs; !err && k < netenv_msgs + NETENV_NMSGS; k++) {
		/* rtnetlink.h: RTM_GETX is RTM_NEWX + 2 (asserted below) */
		err = dump(nl, buf, k->type + 2, k->hdrlen, ++*seq, env);
		/* A kernel without CONFIG_NET_SCHED has no RTM_GETQDISC: and
		 * no ingress qdisc either. */
		if (k->type == RTM_NEWQDISC &&
		    (err == -EOPNOTSUPP || err == -ENOENT))
			err = 0;
	}
	return err;
}

static int read_env(void *ctx, void *snap)
{
	struct netenv *env = snap;
	struct mnl_socket *nl;
	char *buf;
	uint32_t seq = (uint32_t)time(NULL);
	int err = 0, tries;

	memset(env, 0, sizeof(*env));
	buf = malloc(RECV_BUF);
	if (!buf)
		return -ENOMEM;
	/* A change during a dump sets NLM_F_DUMP_INTR: start over, on a new
	 * socket, as the aborted dump may still be queued on the old one. */
	for (tries = 0; tries < 3; tries++) {
		err = nlsock_open(NETLINK_ROUTE, 0, &nl);
		if (err)
			break;
		err = dump_all(nl, buf, &seq, env);
		mnl_socket_close(nl);
		if (err != -EAGAIN)
			break;
		netenv_free(env);
	}
	free(buf);
	if (err)
		netenv_free(env);
	return err;
}

static bool same_env(const void *pa, const void *pb)
{
	const struct netenv *a = pa, *b = pb;

	return a->policy == b->policy &&
	       a->nlinks == b->nlinks && a->naddrs == b->naddrs &&
	       a->nroutes == b->nroutes &&
	       (!a->nlinks || !memcmp(a->links, b->links,
				      a->nlinks * sizeof(*a->links))) &&
	       (!a->naddrs || !memcmp(a->addrs, b->addrs,
				      a->naddrs * sizeof(*a->addrs))) &&
	       (!a->nroutes || !memcmp(a->routes, b->routes,
				       a->nroutes * sizeof(*a->routes)));
}

static void free_env(void *snap)
{
	netenv_free(snap);
}

/*
 * A missing route or address changes the interfaces and local addresses
 * the judge infers, and with them verdicts; a dump cut short without a
 * word would go unnoticed.  So, as for the ruleset, a snapshot is
 * believed when two reads in a row agree; fewer tries than the ruleset's,
 * since each is five dumps under RTNL.
 */
int netenv_load(struct netenv *env)
{
	static const struct agree_ops ops = {
		.size = sizeof(*env), .read = read_env, .same = same_env,
		.free = free_env,
	};

	memset(env, 0, sizeof(*env));
	return read_agreed(&ops, NULL, 5, env);
}
