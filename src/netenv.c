// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * netenv.c - pure lookups on a snapshot of links, addresses and routes.
 *
 * The snapshot comes from netenv_load.c (or a unit test).  Policy routing rules
 * are not part of it: lookups use the main table for forwarding and the
 * local table for address types, which is what the kernel does when no ip
 * rule says otherwise.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include "netenv.h"

const char *netenv_ifname(const struct netenv *env, uint32_t ifindex)
{
	unsigned int i;

	for (i = 0; i < env->nlinks; i++)
		if (env->links[i].index == ifindex)
			return env->links[i].name;
	return NULL;
}

uint32_t netenv_ifindex(const struct netenv *env, const char *name)
{
	unsigned int i;

	for (i = 0; i < env->nlinks; i++)
		if (!strncmp(env->links[i].name, name,
			     sizeof(env->links[i].name)))
			return env->links[i].index;
	return 0;
}

int netenv_tc_ingress(const struct netenv *env, uint32_t ifindex)
{
	unsigned int i;

	for (i = 0; i < env->nlinks; i++)
		if (env->links[i].index == ifindex)
			return !!env->links[i].tc_ingress;
	return 0;
}

/* Do the first @bits bits of @a and @p agree? */
static int prefix_match(const union addr *a, const union addr *p,
			unsigned int bits)
{
	unsigned int bytes = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(a->b, p->b, bytes))
		return 0;
	if (!rest)
		return 1;
	mask = (uint8_t)(0xff00 >> rest);
	return !((a->b[bytes] ^ p->b[bytes]) & mask);
}

/* Longest prefix, then lowest metric, among routes of @table. */
static const struct ne_route *lpm(const struct netenv *env, uint32_t table,
				  uint8_t family, const union addr *a)
{
	const struct ne_route *best = NULL;
	unsigned int i, maxlen = family == AF_INET6 ? 128 : 32;

	for (i = 0; i < env->nroutes; i++) {
		const struct ne_route *r = &env->routes[i];

		if (r->family != family || r->table != table ||
		    r->dst_len > maxlen || !prefix_match(a, &r->dst, r->dst_len))
			continue;
		if (best && (r->dst_len < best->dst_len ||
			     (r->dst_len == best->dst_len &&
			      r->priority >= best->priority)))
			continue;
		best = r;
	}
	return best;
}

/*
 * Every route type competes for the longest prefix, as in the kernel's
 * FIB: a more specific blackhole or unreachable route hides a default
 * route, and then there is no usable route at all.
 */
const struct ne_route *netenv_route(const struct netenv *env, uint8_t family,
				    const union addr *a)
{
	const struct ne_route *r = lpm(env, RT_TABLE_MAIN, family, a);

	return r && r->type == RTN_UNICAST ? r : NULL;
}

int netenv_addr_on(const struct netenv *env, uint8_t family, uint32_t ifindex,
		   const union addr *a)
{
	unsigned int i;

	for (i = 0; i < env->naddrs; i++) {
		const struct ne_addr *x = &env->addrs[i];

		if (x->family == family && x->ifindex == ifindex &&
		    addr_eq(family, &x->addr, a))
			return 1;
	}
	return 0;
}

static int addr_is_ours(const struct netenv *env, uint8_t family,
			const union addr *a)
{
	unsigned int i;

	for (i = 0; i < env->naddrs; i++) {
		const struct ne_addr *x = &env->addrs[i];

		if (x->family == family &&
		    addr_eq(family, &x->addr, a))
			return 1;
	}
	return 0;
}

int netenv_addr_type(const struct netenv *env, uint8_t family,
		     const union addr *a)
{
	const struct ne_route *r;

	if (family == AF_INET) {
		uint32_t ip = ntohl(a->ip);

		if (ip == 0 || ip == 0xffffffff)
			return RTN_BROADCAST;
		if ((ip >> 28) == 0xe)
			return RTN_MULTICAST;
	} else if (a->b[0] == 0xff) {
		return RTN_MULTICAST;
	}
	/* The local table holds local, broadcast and anycast routes, and
	 * prefixes such as 127.0.0.0/8 that are local as a whole. */
	r = lpm(env, RT_TABLE_LOCAL, family, a);
	if (r)
		return r->type;
	/* A hand-built snapshot may lack the local table. */
	if (addr_is_ours(env, family, a))
		return RTN_LOCAL;
	return netenv_route(env, family, a) ? RTN_UNICAST : RTN_UNREACHABLE;
}

/*
 * First address of the family on @ifindex; for IPv6 a link-local one only
 * when the interface has nothing else.
 */
static int first_addr(const struct netenv *env, uint8_t family,
		      uint32_t ifindex, union addr *out)
{
	const struct ne_addr *ll = NULL;
	unsigned int i;

	for (i = 0; i < env->naddrs; i++) {
		const struct ne_addr *x = &env->addrs[i];

		if (x->family != family || x->ifindex != ifindex)
			continue;
		if (netenv_link_local(family, &x->addr)) {
			if (!ll)
				ll = x;
			continue;
		}
		*out = x->addr;
		return 0;
	}
	if (!ll)
		return -ENOENT;
	*out = ll->addr;
	return 0;
}

int netenv_src_addr(const struct netenv *env, uint8_t family,
		    uint32_t ifindex, const union addr *dst, union addr *out)
{
	static const union addr zero;
	const struct ne_route *r = dst ? netenv_route(env, family, dst) : NULL;

	memset(out, 0, sizeof(*out));
	/* A preferred source only speaks for the interface it routes via. */
	if (r && (!ifindex || r->oif == ifindex) &&
	    memcmp(r->prefsrc.b, zero.b, addr_len(family))) {
		*out = r->prefsrc;
		return 0;
	}
	if (!ifindex && r)
		ifindex = r->oif;
	return first_addr(env, family, ifindex, out);
}
