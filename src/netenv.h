/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netenv.h - a snapshot of links, addresses and routes.
 *
 * netenv_load.c fills it from rtnetlink; everything else here is a pure function of
 * the snapshot, so the judge can ask "which interface would this packet come
 * in on" or "is this address local" without touching a socket, and unit tests
 * can build an environment by hand.
 */
#ifndef CTSWEEP_NETENV_H
#define CTSWEEP_NETENV_H

#include <stdint.h>
#include "flow.h"

struct ne_link {
	uint32_t index;
	char name[16];
	uint8_t tc_ingress;	/* 1: an ingress or clsact qdisc is attached:
				 * its filters may set the mark */
};

struct ne_addr {
	uint8_t family;
	uint8_t prefixlen;
	uint32_t ifindex;
	union addr addr;
};

struct ne_route {
	uint8_t family;
	uint8_t dst_len;
	uint8_t type;		/* RTN_UNICAST, RTN_LOCAL, RTN_BLACKHOLE ... */
	uint32_t table;		/* RT_TABLE_MAIN, RT_TABLE_LOCAL, ... */
	uint32_t oif;
	uint32_t priority;	/* metric: lower wins among equal prefixes */
	union addr dst, gw, prefsrc;
};

struct netenv {
	struct ne_link *links;
	unsigned int nlinks;
	struct ne_addr *addrs;
	unsigned int naddrs;
	struct ne_route *routes;
	unsigned int nroutes;
	uint8_t policy;		/* NE_POLICY_*: routing rules beyond the
				 * kernel's defaults, per family */
};
#define NE_POLICY_V4	1
#define NE_POLICY_V6	2

/* 1 when rules beyond the defaults may route @family's packets by a table
 * other than main: inferred interfaces are then a guess. */
static inline int netenv_policy(const struct netenv *env, uint8_t family)
{
	return !!(env->policy & (family == AF_INET6 ? NE_POLICY_V6 :
				 NE_POLICY_V4));
}

/* 1 for an IPv6 link-local address (fe80::/10): scoped to one link. */
static inline int netenv_link_local(uint8_t family, const union addr *a)
{
	return family == AF_INET6 && a->b[0] == 0xfe &&
	       (a->b[1] & 0xc0) == 0x80;
}

/* netenv_load.c: read the current namespace's links (with their ingress
 * qdiscs), addresses and the main and local routing tables. Returns 0 or
 * -errno. */
int netenv_load(struct netenv *env);

/* netenv_parse.c, no I/O: add what one RTM_NEWLINK/NEWADDR/NEWROUTE/
 * NEWRULE/NEWQDISC message says to @env (any other type is skipped).
 * 0, -EBADMSG for a malformed message, -ENOMEM. */
struct nlmsghdr;
int netenv_add_msg(struct netenv *env, const struct nlmsghdr *nlh);
/* The messages a snapshot is made of, in the order netenv_load() dumps
 * them (the qdiscs after the links they mark): the RTM_NEW* type, the size
 * of its fixed header, and what adds one to @env. */
struct netenv_msg {
	uint16_t type;
	uint16_t hdrlen;
	int (*add)(struct netenv *env, const struct nlmsghdr *nlh);
};
#define NETENV_NMSGS	5
extern const struct netenv_msg netenv_msgs[NETENV_NMSGS];
/* Free what netenv_load() or netenv_add_msg() allocated and zero @env. */
void netenv_free(struct netenv *env);

/* netenv.c: pure lookups. */
/* The name of link @ifindex, or NULL when there is none. */
const char *netenv_ifname(const struct netenv *env, uint32_t ifindex);
/* The index of link @name, or 0 when there is none. */
uint32_t netenv_ifindex(const struct netenv *env, const char *name);
/* RTN_LOCAL for an address of this host, RTN_BROADCAST, RTN_MULTICAST,
 * else RTN_UNICAST (RTN_UNREACHABLE when no route at all). */
int netenv_addr_type(const struct netenv *env, uint8_t family,
		     const union addr *a);
/* Best route (longest prefix, then lowest metric) in the main table to @a;
 * NULL if none. */
const struct ne_route *netenv_route(const struct netenv *env, uint8_t family,
				    const union addr *a);
/* The address the kernel would pick as source on @ifindex towards @dst
 * (masquerade, redirect): prefsrc of the route, else the first address of
 * the interface. Returns 0 or -ENOENT. */
int netenv_src_addr(const struct netenv *env, uint8_t family,
		    uint32_t ifindex, const union addr *dst, union addr *out);
/* 1 if @a is configured on interface @ifindex. */
int netenv_addr_on(const struct netenv *env, uint8_t family, uint32_t ifindex,
		   const union addr *a);
/* 1 if @ifindex has an ingress or clsact qdisc (the mark of a packet
 * arriving there is unknown), 0 if not or if @ifindex is not a link. */
int netenv_tc_ingress(const struct netenv *env, uint32_t ifindex);

#endif
