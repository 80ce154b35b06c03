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
		ssize_t n = mnl_socket_recvfrom(nl, buf, RECV_BUF);
		const struct nlmsghdr *m = (const struct nlmsghdr *)buf;
		int rem;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		rem = (int)n;
		for (; mnl_nlmsg_ok(m, rem); m = mnl_nlmsg_next(m, &rem)) {
			if (m->nlmsg_seq != seq || m->nlmsg_pid != portid)
				continue;
			if (m->nlmsg_flags & NLM_F_DUMP_INTR)
				return -EAGAIN;
			if (m->nlmsg_type == NLMSG_DONE) {
				int derr = 0;

				/* A dump that failed midway (ENOMEM,
				 * EMSGSIZE ...) ends in a DONE carrying the
				 * error: what came before is partial. */
				if (m->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
					memcpy(&derr, mnl_nlmsg_get_payload(m),
					       sizeof(int));
				return derr < 0 ? derr : 0;
			}
			if (m->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e =
					mnl_nlmsg_get_payload(m);

				if (m->nlmsg_len < NLMSG_HDRLEN + sizeof(*e))
					return -EBADMSG;
				/* a zero "error" ends no dump */
				return e->error ? e->error : -EBADMSG;
			}
			ret = netenv_add_msg(env, m);
			if (ret)
				return ret;
		}
		/* bytes that are no whole message: a reply cut short */
		if (rem > 0)
			return -EBADMSG;
	}
}

/* After the links: add_qdisc marks links already in the snapshot. */
static int dump_qdiscs(struct mnl_socket *nl, char *buf, uint32_t seq,
		       struct netenv *env)
{
	int err = dump(nl, buf, RTM_GETQDISC, sizeof(struct tcmsg), seq, env);

	/* A kernel without CONFIG_NET_SCHED has no RTM_GETQDISC: and no
	 * ingress qdisc either. */
	if (err == -EOPNOTSUPP || err == -ENOENT)
		return 0;
	return err;
}

static int read_env(void *ctx, void *snap)
{
	struct netenv *env = snap;
	struct mnl_socket *nl;
	char *buf;
	uint32_t seq = (uint32_t)time(NULL);
	int err, tries;

	memset(env, 0, sizeof(*env));
	buf = malloc(RECV_BUF);
	if (!buf)
		return -ENOMEM;
	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl) {
		free(buf);
		return -errno;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out;
	}
	/* A change during a dump sets NLM_F_DUMP_INTR: start over. */
	for (tries = 0; tries < 3; tries++) {
		err = dump(nl, buf, RTM_GETLINK, sizeof(struct ifinfomsg),
			   ++seq, env);
		if (!err)
			err = dump(nl, buf, RTM_GETADDR,
				   sizeof(struct ifaddrmsg), ++seq, env);
		if (!err)
			err = dump(nl, buf, RTM_GETROUTE, sizeof(struct rtmsg),
				   ++seq, env);
		if (!err)
			err = dump(nl, buf, RTM_GETRULE,
				   sizeof(struct fib_rule_hdr), ++seq, env);
		if (!err)
			err = dump_qdiscs(nl, buf, ++seq, env);
		if (err != -EAGAIN)
			break;
		netenv_free(env);
		/* the aborted dump may still be queued: new socket */
		mnl_socket_close(nl);
		nl = mnl_socket_open(NETLINK_ROUTE);
		if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
			err = -errno;
			break;
		}
	}
out:
	if (nl)
		mnl_socket_close(nl);
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
