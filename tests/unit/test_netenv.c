// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for netenv.c: lookups on a hand-built snapshot; and netenv_load.c's
 * netenv_add_msg() on the qdisc messages it takes in. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/gen_stats.h>
#include <linux/pkt_sched.h>
#include "mkmodel.h"
#include "netenv.h"
#include "fixture.h"


#define LO	1
#define WAN	2
#define LAN	3
#define WAN2	5

static int setup(void **state)
{
	struct netenv *env = calloc(1, sizeof(*env));

	if (!env)
		return -1;
	mk_link(env, LO, "lo");
	mk_link(env, WAN, "wan");
	mk_link(env, LAN, "lan");
	mk_link(env, WAN2, "wan2");
	mk_addr(env, LO, "127.0.0.1", 8);
	mk_addr(env, WAN, "203.0.113.1", 24);
	mk_addr(env, WAN, "203.0.113.9", 24);
	mk_addr(env, LAN, "192.168.50.1", 24);
	mk_addr(env, WAN2, "198.51.100.2", 24);
	mk_addr(env, LAN, "fe80::1", 64);
	mk_addr(env, LAN, "fd00:50::1", 64);
	mk_addr(env, WAN, "fe80::2", 64);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "203.0.113.0", 24, WAN, NULL,
		 "203.0.113.1", 0);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "192.168.50.0", 24, LAN,
		 NULL, "192.168.50.1", 0);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "198.51.100.0", 24, WAN2,
		 NULL, "198.51.100.2", 0);
	/* two defaults: the lower metric wins */
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "0.0.0.0", 0, WAN2,
		 "198.51.100.254", NULL, 200);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "0.0.0.0", 0, WAN,
		 "203.0.113.254", NULL, 100);
	mk_route(env, RT_TABLE_MAIN, RTN_BLACKHOLE, "10.0.0.0", 8, 0, NULL,
		 NULL, 0);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "10.1.0.0", 16, LAN,
		 "192.168.50.10", NULL, 0);
	/* a route of another table is ignored */
	mk_route(env, 100, RTN_UNICAST, "9.9.9.0", 24, LAN, NULL, NULL, 0);
	mk_route(env, RT_TABLE_LOCAL, RTN_LOCAL, "127.0.0.0", 8, LO, NULL,
		 "127.0.0.1", 0);
	mk_route(env, RT_TABLE_LOCAL, RTN_LOCAL, "203.0.113.1", 32, WAN, NULL,
		 "203.0.113.1", 0);
	mk_route(env, RT_TABLE_LOCAL, RTN_BROADCAST, "203.0.113.255", 32, WAN,
		 NULL, "203.0.113.1", 0);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "fd00:50::", 64, LAN, NULL,
		 NULL, 256);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "fd00:50:1::", 48, LAN,
		 "fd00:50::99", "fd00:50::1", 1024);
	*state = env;
	return 0;
}

static int teardown(void **state)
{
	struct netenv *env = *state;

	mk_env_free(env);
	free(env);
	return 0;
}

static void test_links(void **state)
{
	struct netenv *env = *state;

	assert_string_equal(netenv_ifname(env, WAN), "wan");
	assert_string_equal(netenv_ifname(env, WAN2), "wan2");
	assert_null(netenv_ifname(env, 42));
	assert_int_equal(netenv_ifindex(env, "lan"), LAN);
	assert_int_equal(netenv_ifindex(env, "wan2"), WAN2);
	assert_int_equal(netenv_ifindex(env, "wan3"), 0);
	assert_int_equal(netenv_ifindex(env, "wa"), 0);
}

/* The route to @addr, either family; NULL when none. */
static const struct ne_route *route_to(const struct netenv *env,
				       const char *addr)
{
	union addr a = A(addr);

	return netenv_route(env, FAM(addr), &a);
}

static void test_route_longest_prefix(void **state)
{
	struct netenv *env = *state;
	const struct ne_route *r = route_to(env, "192.168.50.77");

	assert_non_null(r);
	assert_int_equal(r->oif, LAN);
	assert_int_equal(r->dst_len, 24);
	assert_int_equal(route_to(env, "198.51.100.1")->oif, WAN2);
	/* 10.1.0.0/16 beats the blackhole 10.0.0.0/8 */
	r = route_to(env, "10.1.2.3");
	assert_non_null(r);
	assert_int_equal(r->oif, LAN);
}

static void test_route_metric(void **state)
{
	struct netenv *env = *state;
	const struct ne_route *r = route_to(env, "8.8.8.8");

	assert_non_null(r);
	assert_int_equal(r->oif, WAN);
	assert_int_equal(r->priority, 100);
	/* the main table only: 9.9.9.9 follows the default */
	assert_int_equal(route_to(env, "9.9.9.9")->oif, WAN);
}

static void test_route_blackhole_hides_default(void **state)
{
	struct netenv *env = *state;
	union addr a = A("10.9.9.9");

	assert_null(netenv_route(env, AF_INET, &a));
	assert_int_equal(netenv_addr_type(env, AF_INET, &a), RTN_UNREACHABLE);
}

static void test_route_none(void **state)
{
	struct netenv *env = *state;

	/* no IPv6 default route */
	assert_null(route_to(env, "2001:db8::1"));
	assert_non_null(route_to(env, "fd00:50::7"));
	assert_int_equal(route_to(env, "fd00:50::7")->dst_len, 64);
	assert_int_equal(route_to(env, "fd00:50:1::7")->dst_len, 48);
}

static void test_addr_type(void **state)
{
	struct netenv *env = *state;
	union addr a;

	a = A("203.0.113.1");
	assert_int_equal(netenv_addr_type(env, AF_INET, &a), RTN_LOCAL);
	/* local without a local-table route: from the address list */
	a = A("192.168.50.1");
	assert_int_equal(netenv_addr_type(env, AF_INET, &a), RTN_LOCAL);
	a = A("127.0.0.53");
	assert_int_equal(netenv_addr_type(env, AF_INET, &a), RTN_LOCAL);
	a = A("203.0.113.255");
	assert_int_equal(netenv_addr_type(env, AF_INET, &a), RTN_BROADCAST);
	a = A("255.255.255.255");
	assert_int_equal(netenv_addr_type(env, AF_INET, &a), RTN_BROADCAST);
	a = A("0.0.0.0");
	assert_int_equal(netenv_addr_type(env, AF_INET, &a), RTN_BROADCAST);
	a = A("239.1.2.3");
	assert_int_equal(netenv_addr_type(env, AF_INET, &a), RTN_MULTICAST);
	a = A("203.0.113.7");
	assert_int_equal(netenv_addr_type(env, AF_INET, &a), RTN_UNICAST);
	a = A("ff02::1");
	assert_int_equal(netenv_addr_type(env, AF_INET6, &a), RTN_MULTICAST);
	a = A("fd00:50::1");
	assert_int_equal(netenv_addr_type(env, AF_INET6, &a), RTN_LOCAL);
	a = A("fd00:50::2");
	assert_int_equal(netenv_addr_type(env, AF_INET6, &a), RTN_UNICAST);
	a = A("2001:db8::2");
	assert_int_equal(netenv_addr_type(env, AF_INET6, &a), RTN_UNREACHABLE);
	/* an IPv4 address is not local as IPv6 */
	a = A("203.0.113.1");
	assert_int_equal(netenv_addr_type(env, AF_INET6, &a), RTN_UNREACHABLE);
}

static void test_addr_on(void **state)
{
	struct netenv *env = *state;
	union addr a = A("203.0.113.9");

	assert_int_equal(netenv_addr_on(env, AF_INET, WAN, &a), 1);
	assert_int_equal(netenv_addr_on(env, AF_INET, LAN, &a), 0);
	a = A("fe80::1");
	assert_int_equal(netenv_addr_on(env, AF_INET6, LAN, &a), 1);
	assert_int_equal(netenv_addr_on(env, AF_INET6, WAN, &a), 0);
}

static void test_src_addr_prefsrc(void **state)
{
	struct netenv *env = *state;
	union addr dst = A("203.0.113.50"), out;
	char s[INET6_ADDRSTRLEN];

	assert_int_equal(netenv_src_addr(env, AF_INET, WAN, &dst, &out), 0);
	inet_ntop(AF_INET, out.b, s, sizeof(s));
	assert_string_equal(s, "203.0.113.1");
	/* the route's prefsrc wins over the first address */
	env->routes[0].prefsrc = A("203.0.113.9");
	assert_int_equal(netenv_src_addr(env, AF_INET, WAN, &dst, &out), 0);
	inet_ntop(AF_INET, out.b, s, sizeof(s));
	assert_string_equal(s, "203.0.113.9");
	/* a default route without prefsrc: the first address */
	dst = A("8.8.8.8");
	assert_int_equal(netenv_src_addr(env, AF_INET, WAN, &dst, &out), 0);
	inet_ntop(AF_INET, out.b, s, sizeof(s));
	assert_string_equal(s, "203.0.113.1");
	/* a prefsrc of a route through another interface does not count */
	dst = A("198.51.100.50");
	assert_int_equal(netenv_src_addr(env, AF_INET, WAN, &dst, &out), 0);
	inet_ntop(AF_INET, out.b, s, sizeof(s));
	assert_string_equal(s, "203.0.113.1");
	/* ifindex 0: the interface of the route */
	assert_int_equal(netenv_src_addr(env, AF_INET, 0, &dst, &out), 0);
	inet_ntop(AF_INET, out.b, s, sizeof(s));
	assert_string_equal(s, "198.51.100.2");
	/* without a destination: the first address */
	assert_int_equal(netenv_src_addr(env, AF_INET, LAN, NULL, &out), 0);
	inet_ntop(AF_INET, out.b, s, sizeof(s));
	assert_string_equal(s, "192.168.50.1");
}

static void test_src_addr_ipv6(void **state)
{
	struct netenv *env = *state;
	union addr dst = A("fd00:50::9"), out;
	char s[INET6_ADDRSTRLEN];

	/* fe80::1 comes first on lan but a global address exists */
	assert_int_equal(netenv_src_addr(env, AF_INET6, LAN, &dst, &out), 0);
	inet_ntop(AF_INET6, out.b, s, sizeof(s));
	assert_string_equal(s, "fd00:50::1");
	/* only link-local on wan */
	assert_int_equal(netenv_src_addr(env, AF_INET6, WAN, NULL, &out), 0);
	inet_ntop(AF_INET6, out.b, s, sizeof(s));
	assert_string_equal(s, "fe80::2");
	/* prefsrc of an IPv6 route */
	dst = A("fd00:50:1::5");
	env->addrs[5].addr = A("fd00:50::aa");	/* fe80::1 -> global */
	assert_int_equal(netenv_src_addr(env, AF_INET6, LAN, &dst, &out), 0);
	inet_ntop(AF_INET6, out.b, s, sizeof(s));
	assert_string_equal(s, "fd00:50::1");
}

static void test_src_addr_none(void **state)
{
	struct netenv *env = *state;
	union addr out;

	assert_int_equal(netenv_src_addr(env, AF_INET6, WAN2, NULL, &out),
			 -ENOENT);
	assert_int_equal(netenv_src_addr(env, AF_INET, 42, NULL, &out),
			 -ENOENT);
}

static void test_empty_env(void **state)
{
	struct netenv env;
	union addr a = A("192.0.2.1"), out;

	(void)state;
	memset(&env, 0, sizeof(env));
	assert_null(netenv_route(&env, AF_INET, &a));
	assert_int_equal(netenv_addr_type(&env, AF_INET, &a), RTN_UNREACHABLE);
	assert_int_equal(netenv_src_addr(&env, AF_INET, 1, &a, &out), -ENOENT);
	assert_null(netenv_ifname(&env, 1));
	assert_int_equal(netenv_ifindex(&env, "lo"), 0);
	assert_int_equal(netenv_addr_on(&env, AF_INET, 1, &a), 0);
}

/* Odd prefix lengths compare bit by bit. */
static void test_odd_prefix(void **state)
{
	struct netenv *env = *state;

	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "172.16.0.0", 12, LAN, NULL,
		 NULL, 0);
	assert_int_equal(route_to(env, "172.31.255.255")->oif, LAN);
	assert_int_equal(route_to(env, "172.32.0.0")->oif, WAN);
}

/* ---- netenv_load.c: a multipath route ---------------------------------------- */

/* An RTM_NEWROUTE for 0.0.0.0/0 in the main table with two nexthops (as
 * `ip route add default nexthop via 203.0.113.254 dev wan nexthop via
 * 198.51.100.254 dev wan2`): the first one's device and gateway are the
 * route's. */
static struct nlmsghdr *mk_multipath(char *buf, struct rtnexthop **first)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	static const char *const gw[2] = { "203.0.113.254", "198.51.100.254" };
	static const int dev[2] = { WAN, WAN2 };
	struct rtnexthop *nh;
	struct nlattr *mp;
	struct rtmsg *rtm;
	union addr a;
	int i;

	nlh->nlmsg_type = RTM_NEWROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_TABLE, RT_TABLE_MAIN);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, 50);
	mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
	for (i = 0; i < 2; i++) {
		nh = (struct rtnexthop *)mnl_nlmsg_get_payload_tail(nlh);
		if (!i)
			*first = nh;
		memset(nh, 0, sizeof(*nh));
		nh->rtnh_ifindex = dev[i];
		nlh->nlmsg_len += RTNH_ALIGN(sizeof(*nh));
		a = A(gw[i]);
		mnl_attr_put(nlh, RTA_GATEWAY, 4, a.b);
		nh->rtnh_len = (char *)mnl_nlmsg_get_payload_tail(nlh) -
			       (char *)nh;
	}
	mnl_attr_nest_end(nlh, mp);
	return nlh;
}

static void test_route_multipath(void **state)
{
	/* netenv_load.c's own snapshot: its arrays grow its way */
	struct netenv e = { 0 }, *env = &e;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	union addr a = A("8.8.8.8"), gw = A("203.0.113.254");
	const struct ne_route *r;
	struct rtnexthop *nh;

	assert_int_equal(netenv_add_msg(env, mk_multipath(buf, &nh)), 0);
	r = netenv_route(env, AF_INET, &a);
	assert_non_null(r);
	assert_int_equal(r->priority, 50);
	assert_int_equal(r->oif, WAN);
	assert_memory_equal(r->gw.b, gw.b, 4);
	/* the first nexthop's gateway attribute cut short inside it: the
	 * whole message is malformed, not a nexthop without a gateway */
	mk_multipath(buf, &nh);
	nh->rtnh_len -= 2;
	assert_int_equal(netenv_add_msg(env, (struct nlmsghdr *)buf),
			 -EBADMSG);
	/* a nexthop longer than the list */
	mk_multipath(buf, &nh);
	nh->rtnh_len = 200;
	assert_int_equal(netenv_add_msg(env, (struct nlmsghdr *)buf),
			 -EBADMSG);
	netenv_free(env);
}

/* ---- netenv_load.c: qdiscs ---------------------------------------------------- */

/* An RTM_NEWQDISC as the kernel dumps it: tcmsg, TCA_KIND, TCA_OPTIONS
 * (empty for clsact and ingress) and a TCA_STATS2 nest. */
static struct nlmsghdr *mk_qdisc(char *buf, int ifindex, uint32_t handle,
				 uint32_t parent, const char *kind)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct tcmsg *tcm;
	struct nlattr *nest;

	nlh->nlmsg_type = RTM_NEWQDISC;
	nlh->nlmsg_flags = NLM_F_MULTI;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_handle = handle;
	tcm->tcm_parent = parent;
	tcm->tcm_info = 1;
	mnl_attr_put_strz(nlh, TCA_KIND, kind);
	mnl_attr_put_u32(nlh, TCA_CHAIN, 0);
	nest = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_nest_end(nlh, nest);
	nest = mnl_attr_nest_start(nlh, TCA_STATS2);
	mnl_attr_put_u64(nlh, TCA_STATS_PKT64, 0);
	mnl_attr_nest_end(nlh, nest);
	return nlh;
}

static void test_qdisc_ingress(void **state)
{
	struct netenv *env = *state;
	char buf[MNL_SOCKET_BUFFER_SIZE];

	assert_int_equal(netenv_tc_ingress(env, WAN), 0);
	/* clsact on wan: its filters may set the mark */
	assert_int_equal(netenv_add_msg(env, mk_qdisc(buf, WAN, 0xffff0000,
						      TC_H_CLSACT, "clsact")),
			 0);
	assert_int_equal(netenv_tc_ingress(env, WAN), 1);
	assert_int_equal(netenv_tc_ingress(env, LAN), 0);
	/* the old ingress qdisc sits at the same parent */
	assert_int_equal(netenv_add_msg(env, mk_qdisc(buf, WAN2, 0xffff0000,
						      TC_H_INGRESS,
						      "ingress")), 0);
	assert_int_equal(netenv_tc_ingress(env, WAN2), 1);
	/* a link the snapshot does not know: nothing to mark, no error */
	assert_int_equal(netenv_add_msg(env, mk_qdisc(buf, 42, 0xffff0000,
						      TC_H_INGRESS, "clsact")),
			 0);
	assert_int_equal(netenv_tc_ingress(env, 42), 0);
}

static void test_qdisc_root(void **state)
{
	struct netenv *env = *state;
	char buf[MNL_SOCKET_BUFFER_SIZE];

	/* egress qdiscs leave the mark of arriving packets alone */
	assert_int_equal(netenv_add_msg(env, mk_qdisc(buf, LAN, 0, TC_H_ROOT,
						      "noqueue")), 0);
	assert_int_equal(netenv_add_msg(env, mk_qdisc(buf, LAN, 0x80010000,
						      TC_H_ROOT, "fq_codel")),
			 0);
	/* nor does a child qdisc (mq's per-queue ones) */
	assert_int_equal(netenv_add_msg(env, mk_qdisc(buf, LAN, 0x80020000,
						      0x80010001, "fq_codel")),
			 0);
	assert_int_equal(netenv_tc_ingress(env, LAN), 0);
}

static void test_qdisc_malformed(void **state)
{
	struct netenv *env = *state;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *a;
	uint32_t len;

	/* cut inside the tcmsg */
	nlh = mk_qdisc(buf, WAN, 0xffff0000, TC_H_INGRESS, "clsact");
	nlh->nlmsg_len = NLMSG_HDRLEN + sizeof(struct tcmsg) - 4;
	assert_int_equal(netenv_add_msg(env, nlh), -EBADMSG);
	/* cut inside an attribute */
	nlh = mk_qdisc(buf, WAN, 0xffff0000, TC_H_INGRESS, "clsact");
	nlh->nlmsg_len -= 6;
	assert_int_equal(netenv_add_msg(env, nlh), -EBADMSG);
	/* an attribute longer than the message */
	nlh = mk_qdisc(buf, WAN, 0xffff0000, TC_H_INGRESS, "clsact");
	a = (struct nlattr *)((char *)mnl_nlmsg_get_payload(nlh) +
			      MNL_ALIGN(sizeof(struct tcmsg)));
	len = nlh->nlmsg_len;
	a->nla_len = (uint16_t)(len + 8);
	assert_int_equal(netenv_add_msg(env, nlh), -EBADMSG);
	/* no device */
	nlh = mk_qdisc(buf, 0, 0xffff0000, TC_H_INGRESS, "clsact");
	assert_int_equal(netenv_add_msg(env, nlh), -EBADMSG);
	assert_int_equal(netenv_tc_ingress(env, WAN), 0);
}

/* A real link and qdisc dump (fuzz/capture.py's way, veth pairs): v1 (2)
 * has an ingress qdisc, v0 (3) clsact, lo (1) noqueue and v2 (5) pfifo. */
static void test_qdisc_captured(void **state)
{
	struct netenv env = { 0 };
	const struct nlmsghdr *nlh;
	size_t len;
	char *buf = read_top("fuzz/corpus/route/qdisc-veth", &len);
	int rem;

	(void)state;
	assert_true(len > 0);
	rem = (int)len;
	for (nlh = (const void *)buf; mnl_nlmsg_ok(nlh, rem);
	     nlh = mnl_nlmsg_next(nlh, &rem))
		assert_int_equal(netenv_add_msg(&env, nlh), 0);
	assert_int_equal(rem, 0);
	assert_int_equal(env.nlinks, 5);
	assert_int_equal(netenv_tc_ingress(&env, 1), 0);
	assert_int_equal(netenv_tc_ingress(&env, 2), 1);
	assert_int_equal(netenv_tc_ingress(&env, 3), 1);
	assert_int_equal(netenv_tc_ingress(&env, 4), 0);
	assert_int_equal(netenv_tc_ingress(&env, 5), 0);
	free(buf);
	netenv_free(&env);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_links),
		T(test_route_longest_prefix),
		T(test_route_metric),
		T(test_route_blackhole_hides_default),
		T(test_route_none),
		T(test_addr_type),
		T(test_addr_on),
		T(test_src_addr_prefsrc),
		T(test_src_addr_ipv6),
		T(test_src_addr_none),
		T(test_empty_env),
		T(test_odd_prefix),
		cmocka_unit_test(test_route_multipath),
		T(test_qdisc_ingress),
		T(test_qdisc_root),
		T(test_qdisc_malformed),
		cmocka_unit_test(test_qdisc_captured),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
