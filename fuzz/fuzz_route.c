// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_route - rtnetlink: netenv_add_msg() on RTM_NEWLINK/NEWADDR/NEWROUTE/
 * NEWRULE/NEWQDISC messages, one snapshot per input, then the lookups the
 * judge makes on the snapshot.  Seeds: link, address, route and qdisc
 * dumps of a namespace.
 */
#include "fuzz.h"
#include "netenv.h"

static int one_rt(const struct nlmsghdr *nlh, void *arg)
{
	return netenv_add_msg(arg, nlh) ? 1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netenv env = { 0 };
	union addr a = { 0 }, out;
	unsigned int i;

	fuzz_walk_msgs(data, size, one_rt, &env);
	/* the lookups must hold on whatever the snapshot took in */
	a.ip = htonl(0xcb00710a);	/* 203.0.113.10 */
	(void)netenv_route(&env, AF_INET, &a);
	(void)netenv_addr_type(&env, AF_INET, &a);
	for (i = 0; i < env.nlinks; i++) {
		(void)netenv_ifindex(&env, env.links[i].name);
		(void)netenv_tc_ingress(&env, env.links[i].index);
		(void)netenv_src_addr(&env, AF_INET6, env.links[i].index, &a,
				      &out);
	}
	for (i = 0; i < env.naddrs && i < 16; i++) {
		(void)netenv_route(&env, env.addrs[i].family,
				   &env.addrs[i].addr);
		(void)netenv_addr_on(&env, env.addrs[i].family,
				     env.addrs[i].ifindex, &env.addrs[i].addr);
	}
	netenv_free(&env);
	return 0;
}
