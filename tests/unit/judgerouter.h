/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * judgerouter.h - what the test_judge_*.c files share: the router they
 * judge flows on, the seed forward (a model and a flow it left stale), a
 * masquerade model, and judging and checking a verdict on the fixture of
 * judgefx.h.  The models are built by hand (mkmodel.h) as
 * nft --debug=netlink would show the rules, the flows as conntrack would
 * list them.  Include after cmocka.h.
 */
#ifndef CTSWEEP_JUDGEROUTER_H
#define CTSWEEP_JUDGEROUTER_H

#include <string.h>
#include "mkmodel.h"
#include "judgefx.h"
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include "eval.h"
#include "judge.h"

/*
 * The router: wan (2) 203.0.113.1/24, default via 203.0.113.254;
 * lan (3) 192.168.50.1/24 with the services behind it; dmz (4)
 * 192.168.60.1/24.  IPv6: wan 2001:db8::1/64, lan fd00:50::1/64.
 */
#define DMZ	4	/* LO, WAN, LAN: judgefx.h */

static inline void router_env(struct netenv *env)
{
	mk_link(env, LO, "lo");
	mk_link(env, WAN, "wan");
	mk_link(env, LAN, "lan");
	mk_link(env, DMZ, "dmz");
	mk_addr(env, LO, "127.0.0.1", 8);
	mk_addr(env, WAN, "203.0.113.1", 24);
	mk_addr(env, LAN, "192.168.50.1", 24);
	mk_addr(env, DMZ, "192.168.60.1", 24);
	mk_addr(env, LO, "::1", 128);
	mk_addr(env, WAN, "2001:db8::1", 64);
	mk_addr(env, WAN, "fe80::2", 64);
	mk_addr(env, LAN, "fd00:50::1", 64);
	mk_addr(env, LAN, "fe80::3", 64);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "203.0.113.0", 24, WAN, NULL,
		 "203.0.113.1", 0);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "192.168.50.0", 24, LAN,
		 NULL, "192.168.50.1", 0);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "192.168.60.0", 24, DMZ,
		 NULL, "192.168.60.1", 0);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "0.0.0.0", 0, WAN,
		 "203.0.113.254", NULL, 0);
	mk_route(env, RT_TABLE_LOCAL, RTN_LOCAL, "127.0.0.0", 8, LO, NULL,
		 "127.0.0.1", 0);
	mk_route(env, RT_TABLE_LOCAL, RTN_LOCAL, "203.0.113.1", 32, WAN, NULL,
		 "203.0.113.1", 0);
	mk_route(env, RT_TABLE_LOCAL, RTN_LOCAL, "192.168.50.1", 32, LAN,
		 NULL, "192.168.50.1", 0);
	mk_route(env, RT_TABLE_LOCAL, RTN_BROADCAST, "192.168.50.255", 32,
		 LAN, NULL, "192.168.50.1", 0);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "2001:db8::", 64, WAN, NULL,
		 NULL, 256);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "fd00:50::", 64, LAN, NULL,
		 NULL, 256);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "fe80::", 64, WAN, NULL,
		 NULL, 256);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "fe80::", 64, LAN, NULL,
		 NULL, 256);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "::", 0, WAN, "2001:db8::fe",
		 NULL, 1024);
	mk_route(env, RT_TABLE_LOCAL, RTN_LOCAL, "2001:db8::1", 128, WAN,
		 NULL, NULL, 0);
	mk_route(env, RT_TABLE_LOCAL, RTN_LOCAL, "fd00:50::1", 128, LAN, NULL,
		 NULL, 0);
	mk_route(env, RT_TABLE_LOCAL, RTN_LOCAL, "::1", 128, LO, NULL, NULL,
		 0);
}

FX_SETUP(router_env)

/* A new ip chain "pre" at prerouting, priority dstnat. */
static inline struct nm_chain *pre_chain(struct fx *fx)
{
	return mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, -100);
}

/* The first rule of a new pre_chain(). */
static inline struct nm_rule *pre_rule(struct fx *fx)
{
	return mk_rule(pre_chain(fx));
}

/* The first rule of a new ip chain "post" at postrouting, srcnat. */
static inline struct nm_rule *post_rule(struct fx *fx)
{
	return mk_rule(mk_chain(&fx->m, NFPROTO_IPV4, "post", POST, 100));
}

/* The seed: a WireGuard forward moved from 192.168.50.2:51820 to
 * 192.168.50.3:53820; a peer at 198.51.100.7 keeps talking. */
static inline struct flow seed_flow_old(void)
{
	return peer_flow("192.168.50.2", 51820);
}

/* table ip nat { chain prerouting { type nat hook prerouting priority
 * dstnat; udp dport 53820 dnat to 192.168.50.3:53820 } } */
static inline struct nm_chain *seed_model(struct nm_model *m)
{
	struct nm_chain *c = mk_chain(m, NFPROTO_IPV4, "prerouting", PRE,
				      -100);
	struct nm_rule *r = mk_rule(c);

	mk_forward(r, UDP, 53820, "192.168.50.3", 53820);
	return c;
}

/* oifname "wan" masquerade */
static inline struct nm_chain *masq_model(struct nm_model *m)
{
	struct nm_chain *c = mk_chain(m, NFPROTO_IPV4, "post", POST, 100);
	struct nm_rule *r = mk_rule(c);

	mk_ifname(r, 1, NFT_CMP_EQ, "wan");
	mk_masq(r);
	return c;
}

#endif
