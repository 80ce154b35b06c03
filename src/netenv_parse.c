// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * netenv_parse.c - one rtnetlink message (RTM_NEWLINK/NEWADDR/NEWROUTE/
 * NEWRULE/NEWQDISC) into a struct netenv snapshot, without I/O, so the
 * fuzzer and unit tests feed it hand-made messages and tests/layers.sh
 * keeps it in the pure layer; netenv_load.c dumps them from the kernel.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include "netenv.h"
#include "nlattr.h"

/* Grow an array about to hold element @n: the capacity is not kept in
 * struct netenv, so reallocate at 0 and at every power of two from 16. */
static int grow(void **arr, unsigned int n, size_t size)
{
	unsigned int cap;
	void *p;

	if (n && (n < 16 || (n & (n - 1))))
		return 0;
	cap = n ? n * 2 : 16;
	p = realloc(*arr, (size_t)cap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	return 0;
}

/* Attributes of one message after its @hdrlen-byte header into
 * tb[0..max]; any attribute that does not fit makes it malformed. */
static int parse_attrs(const struct nlmsghdr *nlh, size_t hdrlen,
		       const struct nlattr **tb, unsigned int max)
{
	if (nlh->nlmsg_len < NLMSG_HDRLEN + MNL_ALIGN(hdrlen)) {
		memset(tb, 0, (max + 1) * sizeof(*tb));
		return -EBADMSG;
	}
	return nlattr_parse_strict((const char *)mnl_nlmsg_get_payload(nlh) +
				   MNL_ALIGN(hdrlen), nlh->nlmsg_len -
				   NLMSG_HDRLEN - MNL_ALIGN(hdrlen), tb, max);
}

static int get_addr(const struct nlattr *a, uint8_t family, union addr *out)
{
	size_t alen = addr_len(family);

	if (mnl_attr_get_payload_len(a) != alen)
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	memcpy(out->b, mnl_attr_get_payload(a), alen);
	return 0;
}

static int get_u32(const struct nlattr *a, uint32_t *v)
{
	if (mnl_attr_get_payload_len(a) != sizeof(uint32_t))
		return -EBADMSG;
	*v = mnl_attr_get_u32(a);
	return 0;
}

static int add_link(struct netenv *env, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[IFLA_MAX + 1];
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct ne_link *l;
	size_t n;
	int err;

	err = parse_attrs(nlh, sizeof(*ifi), tb, IFLA_MAX);
	if (err)
		return err;
	if (!tb[IFLA_IFNAME] || ifi->ifi_index <= 0)
		return -EBADMSG;
	n = mnl_attr_get_payload_len(tb[IFLA_IFNAME]);
	if (grow((void **)&env->links, env->nlinks, sizeof(*l)))
		return -ENOMEM;
	l = &env->links[env->nlinks];
	memset(l, 0, sizeof(*l));
	l->index = ifi->ifi_index;
	if (n >= sizeof(l->name))
		n = sizeof(l->name) - 1;
	/* the kernel NUL-terminates; do not rely on it */
	memcpy(l->name, mnl_attr_get_payload(tb[IFLA_IFNAME]), n);
	l->name[strnlen(l->name, n)] = '\0';
	env->nlinks++;
	return 0;
}

static int add_addr(struct netenv *env, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[IFA_MAX + 1];
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	struct ne_addr *e;
	int err;

	err = parse_attrs(nlh, sizeof(*ifa), tb, IFA_MAX);
	if (err)
		return err;
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return 0;
	/* IFA_LOCAL is the own address; IFA_ADDRESS is the peer on
	 * point-to-point links (and the same as IFA_LOCAL elsewhere). */
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a)
		return -EBADMSG;
	if (ifa->ifa_prefixlen > addr_len(ifa->ifa_family) * 8)
		return -EBADMSG;
	if (grow((void **)&env->addrs, env->naddrs, sizeof(*e)))
		return -ENOMEM;
	e = &env->addrs[env->naddrs];
	memset(e, 0, sizeof(*e));
	e->family = ifa->ifa_family;
	e->prefixlen = ifa->ifa_prefixlen;
	e->ifindex = ifa->ifa_index;
	err = get_addr(a, e->family, &e->addr);
	if (err)
		return err;
	env->naddrs++;
	return 0;
}

/* First nexthop of RTA_MULTIPATH: its oif, and its gateway if any. */
static int first_nexthop(const struct nlattr *mp, struct ne_route *r)
{
	const struct rtnexthop *nh = mnl_attr_get_payload(mp);
	size_t len = mnl_attr_get_payload_len(mp);
	const struct nlattr *a;
	struct nlattr_iter it;
	int n;

	if (len < sizeof(*nh))
		return len ? -EBADMSG : 0;
	if (nh->rtnh_len < sizeof(*nh) || nh->rtnh_len > len)
		return -EBADMSG;
	r->oif = nh->rtnh_ifindex;
	/* the nexthop's own attributes, walked as strictly as the rest */
	nlattr_iter_init(&it, (const char *)nh + RTNH_ALIGN(sizeof(*nh)),
			 nh->rtnh_len > RTNH_ALIGN(sizeof(*nh)) ?
			 nh->rtnh_len - RTNH_ALIGN(sizeof(*nh)) : 0);
	while ((n = nlattr_next(&it, &a)) > 0)
		if (mnl_attr_get_type(a) == RTA_GATEWAY &&
		    get_addr(a, r->family, &r->gw))
			return -EBADMSG;
	return n;
}

static int add_route(struct netenv *env, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[RTA_MAX + 1];
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct ne_route r;
	uint32_t table;
	int err;

	/* padding too: netenv_load compares snapshots bytewise */
	memset(&r, 0, sizeof(r));
	err = parse_attrs(nlh, sizeof(*rtm), tb, RTA_MAX);
	if (err)
		return err;
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return 0;
	if (rtm->rtm_flags & RTM_F_CLONED)
		return 0;	/* route cache / exceptions */
	table = rtm->rtm_table;
	if (tb[RTA_TABLE] && get_u32(tb[RTA_TABLE], &table))
		return -EBADMSG;
	if (table != RT_TABLE_MAIN && table != RT_TABLE_LOCAL)
		return 0;
	if (rtm->rtm_dst_len > addr_len(rtm->rtm_family) * 8)
		return -EBADMSG;

	r.family = rtm->rtm_family;
	r.dst_len = rtm->rtm_dst_len;
	r.type = rtm->rtm_type;
	r.table = table;
	if ((tb[RTA_DST] && get_addr(tb[RTA_DST], r.family, &r.dst)) ||
	    (tb[RTA_GATEWAY] && get_addr(tb[RTA_GATEWAY], r.family, &r.gw)) ||
	    (tb[RTA_PREFSRC] &&
	     get_addr(tb[RTA_PREFSRC], r.family, &r.prefsrc)) ||
	    (tb[RTA_OIF] && get_u32(tb[RTA_OIF], &r.oif)) ||
	    (tb[RTA_PRIORITY] && get_u32(tb[RTA_PRIORITY], &r.priority)))
		return -EBADMSG;
	if (tb[RTA_MULTIPATH] && !tb[RTA_OIF]) {
		err = first_nexthop(tb[RTA_MULTIPATH], &r);
		if (err)
			return err;
	}
	if (grow((void **)&env->routes, env->nroutes, sizeof(r)))
		return -ENOMEM;
	env->routes[env->nroutes++] = r;
	return 0;
}

/*
 * The kernel's own rules: local at 0, main at 32766, default at 32767.
 * Any other rule (mwan3's fwmark rules, source routing) can send a packet
 * by a route the main table does not show; the judge then cannot infer
 * interfaces and says unknown rather than guess.
 */
static int add_rule(struct netenv *env, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[FRA_MAX + 1];
	const struct fib_rule_hdr *frh = mnl_nlmsg_get_payload(nlh);
	uint32_t prio = 0, table = frh->table;
	int err;

	err = parse_attrs(nlh, sizeof(*frh), tb, FRA_MAX);
	if (err)
		return err;
	if (tb[FRA_PRIORITY]) {
		if (mnl_attr_get_payload_len(tb[FRA_PRIORITY]) != 4)
			return -EBADMSG;
		prio = mnl_attr_get_u32(tb[FRA_PRIORITY]);
	}
	if (tb[FRA_TABLE]) {
		if (mnl_attr_get_payload_len(tb[FRA_TABLE]) != 4)
			return -EBADMSG;
		table = mnl_attr_get_u32(tb[FRA_TABLE]);
	}
	if (frh->action == FR_ACT_TO_TBL && !frh->src_len && !frh->dst_len &&
	    !tb[FRA_FWMARK] && !tb[FRA_IIFNAME] && !tb[FRA_OIFNAME] &&
	    ((prio == 0 && table == RT_TABLE_LOCAL) ||
	     (prio == 32766 && table == RT_TABLE_MAIN) ||
	     (prio == 32767 && table == RT_TABLE_DEFAULT)))
		return 0;
	if (frh->family == AF_INET)
		env->policy |= NE_POLICY_V4;
	else if (frh->family == AF_INET6)
		env->policy |= NE_POLICY_V6;
	return 0;
}

/*
 * An ingress or clsact qdisc (both sit at TC_H_INGRESS) runs tc filters on
 * every packet arriving on its device before netfilter sees it, and they
 * may set the mark.  Its filters are not read: the qdisc alone makes the
 * mark unknown.  Links come first in a load; a qdisc of a link the link
 * dump did not see (one added since) has nothing to mark.
 */
static int add_qdisc(struct netenv *env, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[TCA_MAX + 1];
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	unsigned int i;
	int err;

	err = parse_attrs(nlh, sizeof(*tcm), tb, TCA_MAX);
	if (err)
		return err;
	if (tcm->tcm_ifindex <= 0)
		return -EBADMSG;
	if (tcm->tcm_parent != TC_H_INGRESS)
		return 0;
	for (i = 0; i < env->nlinks; i++)
		if (env->links[i].index == (uint32_t)tcm->tcm_ifindex)
			env->links[i].tc_ingress = 1;
	return 0;
}

const struct netenv_msg netenv_msgs[NETENV_NMSGS] = {
	{ RTM_NEWLINK, sizeof(struct ifinfomsg), add_link },
	{ RTM_NEWADDR, sizeof(struct ifaddrmsg), add_addr },
	{ RTM_NEWROUTE, sizeof(struct rtmsg), add_route },
	{ RTM_NEWRULE, sizeof(struct fib_rule_hdr), add_rule },
	{ RTM_NEWQDISC, sizeof(struct tcmsg), add_qdisc },
};

int netenv_add_msg(struct netenv *env, const struct nlmsghdr *nlh)
{
	const struct netenv_msg *k;

	if (nlh->nlmsg_len < NLMSG_HDRLEN)
		return -EBADMSG;
	for (k = netenv_msgs; k < netenv_msgs + NETENV_NMSGS; k++) {
		if (nlh->nlmsg_type != k->type)
			continue;
		if (nlh->nlmsg_len < NLMSG_SPACE(k->hdrlen))
			return -EBADMSG;
		return k->add(env, nlh);
	}
	return 0;	/* not ours */
}

void netenv_free(struct netenv *env)
{
	free(env->links);
	free(env->addrs);
	free(env->routes);
	memset(env, 0, sizeof(*env));
}
