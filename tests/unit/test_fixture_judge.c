// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The judge on rulesets as the kernel held them: each fixture is a capture
 * of a real ruleset loaded with nft or iptables-nft (tests/unit/fixtures,
 * see capture.sh), read with nft_parse() and judged against flows of a
 * router with wan 203.0.113.1/24 and lan 192.168.50.1/24.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include "mkmodel.h"
#include "judgefx.h"
#include "judge.h"
#include "nft.h"
#include "fixture.h"
#include <linux/rtnetlink.h>


static void router(struct netenv *env)
{
	fx_home_router(env, "wan", "lan");
	fx_home_router6(env, "wan", "lan");
}

static void load(struct fx *fx, const char *name)
{
	size_t len;
	void *buf = read_fixture(name, "", &len);

	assert_true(len > 0);
	assert_int_equal(nft_parse(buf, len, &fx->m), 0);
	free(buf);
}

FX_SETUP(router)

/* The name of the chain a step is about. */
static const char *step_chain(const struct fx *fx, const struct ev_step *st)
{
	assert_non_null(st);
	assert_true(st->chain >= 0 && (unsigned int)st->chain < fx->m.nchains);
	return fx->m.chains[st->chain].name;
}

/* A fixture and the flows to judge on it. */
struct ftable {
	const char *file;
	const struct jcase *cases;
	size_t n;
};

static void test_table(void **state)
{
	struct fx *fx = *state;
	const struct ftable *t = fx->arg;

	load(fx, t->file);
	fx_judge_cases(fx, t->cases, t->n);
}

#define TABLE(name, file, cases)					\
	{ #name, test_table, setup, fx_teardown,			\
	  &(struct ftable){ file, cases, sizeof(cases) / sizeof(cases[0]) } }

static const struct jcase seed[] = {
	{ "the peer, still at A", UDP, "198.51.100.7", 51820, "203.0.113.1",
	  53820, "192.168.50.2", 51820, "198.51.100.7", 51820,
	  JV_STALE, JR_DNAT_CHANGED },
	{ "the peer at B", UDP, "198.51.100.7", 51820, "203.0.113.1", 53820,
	  "192.168.50.3", 53820, "198.51.100.7", 51820,
	  JV_CONSISTENT, JR_NONE },
	{ "started when the service ran on the router itself", UDP,
	  "198.51.100.7", 51820, "203.0.113.1", 53820, "203.0.113.1", 53820,
	  "198.51.100.7", 51820, JV_STALE, JR_DNAT_ADDED },
	{ "the lan's own traffic, masqueraded out of wan", UDP,
	  "192.168.50.9", 5000, "198.51.100.7", 53, "198.51.100.7", 53,
	  "203.0.113.1", 5000, JV_CONSISTENT, JR_NONE },
	{ "... and one that left before the masquerade rule existed", UDP,
	  "192.168.50.9", 5000, "198.51.100.7", 53, "198.51.100.7", 53,
	  "192.168.50.9", 5000, JV_STALE, JR_SNAT_ADDED },
};

static const struct jcase fw4[] = {
	{ "iifname \"wan\" jump dstnat_wan; udp dport 53820 dnat ip to .3",
	  UDP, "203.0.113.50", 51820, "203.0.113.1", 53820, "192.168.50.2",
	  51820, "203.0.113.50", 51820, JV_STALE, JR_DNAT_CHANGED },
	{ "... at .3", UDP, "203.0.113.50", 51820, "203.0.113.1", 53820,
	  "192.168.50.3", 53820, "203.0.113.50", 51820,
	  JV_CONSISTENT, JR_NONE },
	{ "the same packet from the lan does not take the wan chain", UDP,
	  "192.168.50.9", 51820, "203.0.113.1", 53820, "192.168.50.2", 51820,
	  "192.168.50.9", 51820, JV_STALE, JR_DNAT_REMOVED },
	{ "ip daddr . tcp dport map @dnat_wan_map", TCP, "203.0.113.50",
	  40000, "203.0.113.10", 8080, "192.168.50.10", 80, "203.0.113.50",
	  40000, JV_CONSISTENT, JR_NONE },
	{ "... answered by another host", TCP, "203.0.113.50", 40000,
	  "203.0.113.10", 8080, "192.168.50.11", 80, "203.0.113.50", 40000,
	  JV_STALE, JR_DNAT_CHANGED },
	/* [FW4_NUMGEN] */
	{ "numgen inc mod 2 map { 0 : .5, 1 : .6 }: either is right", UDP,
	  "203.0.113.50", 40000, "203.0.113.1", 60000, "192.168.50.6", 60000,
	  "203.0.113.50", 40000, JV_CONSISTENT, JR_NONE },
	{ "... but not .7", UDP, "203.0.113.50", 40000, "203.0.113.1", 60000,
	  "192.168.50.7", 60000, "203.0.113.50", 40000,
	  JV_STALE, JR_DNAT_CHANGED },
	{ "a limit on the path: never judged", TCP, "203.0.113.50", 40000,
	  "203.0.113.1", 60002, "192.168.50.2", 60002, "203.0.113.50", 40000,
	  JV_UNKNOWN, JR_UNMODELLED },
	{ "from a blocked source the chain returns before any dnat", TCP,
	  "203.0.113.70", 40000, "203.0.113.10", 8080, "192.168.50.10", 80,
	  "203.0.113.70", 40000, JV_STALE, JR_DNAT_REMOVED },
};

#define FW4_NUMGEN 5

/* ... and the numgen map's two elements are both candidates. */
static void test_fw4(void **state)
{
	struct fx *fx = *state;

	load(fx, "fw4.nlbin");
	FX_CASES(fx, fw4);
	fx_judge_cases(fx, &fw4[FW4_NUMGEN], 1);
	assert_int_equal(fx->j.dnat.ncand, 2);
}

static const struct jcase iptables_nft[] = {
	{ "-p udp --dport 53820 -j DNAT --to-destination .3:53820", UDP,
	  "198.51.100.7", 51820, "203.0.113.1", 53820, "192.168.50.2", 51820,
	  "198.51.100.7", 51820, JV_STALE, JR_DNAT_CHANGED },
	{ "... at .3", UDP, "198.51.100.7", 51820, "203.0.113.1", 53820,
	  "192.168.50.3", 53820, "198.51.100.7", 51820,
	  JV_CONSISTENT, JR_NONE },
	{ "-m multiport --dports 80,443,8000:8080 -j DNAT --to .4", TCP,
	  "198.51.100.7", 40000, "203.0.113.1", 8001, "192.168.50.4", 8001,
	  "198.51.100.7", 40000, JV_CONSISTENT, JR_NONE },
	{ "... answered by .9", TCP, "198.51.100.7", 40000, "203.0.113.1",
	  8001, "192.168.50.9", 8001, "198.51.100.7", 40000,
	  JV_STALE, JR_DNAT_CHANGED },
	{ "the lan's traffic: SNAT --to-source 203.0.113.1 (-s lan -o wan)",
	  UDP, "192.168.50.9", 5000, "198.51.100.7", 53, "198.51.100.7", 53,
	  "203.0.113.1", 5000, JV_CONSISTENT, JR_NONE },
};

static const struct jcase ipv6[] = {
	{ "ip6tables-nft -p udp --dport 53820 -j DNAT --to "
	  "[fd00:50::3]:53820", UDP, "2001:db8:1::10", 51820, "2001:db8::1",
	  53820, "fd00:50::2", 51820, "2001:db8:1::10", 51820,
	  JV_STALE, JR_DNAT_CHANGED },
	{ "... at [fd00:50::3]:53820", UDP, "2001:db8:1::10", 51820,
	  "2001:db8::1", 53820, "fd00:50::3", 53820, "2001:db8:1::10", 51820,
	  JV_CONSISTENT, JR_NONE },
};

/* explain's trace of the seed: prerouting, the nat chain, the forward's
 * rule and the binding it set up. */
static void test_trace_seed(void **state)
{
	struct fx *fx = *state;
	struct flow f = mk_flow(UDP, "203.0.113.50", 51820, "203.0.113.1",
				53820, "192.168.50.2", 51820, "203.0.113.50",
				51820);
	struct ev_trace tr;
	const struct ev_step *st;

	load(fx, "seed.nlbin");
	tr = fx_trace(fx, &f.orig);
	assert_false(tr.truncated);
	assert_int_equal(fx_count(&tr, 0, EVS_PATH), 1);
	st = fx_step(&tr, 1, EVS_HOOK, 0);
	assert_non_null(st);
	assert_int_equal(st->hook, NF_INET_PRE_ROUTING);
	assert_string_equal(step_chain(fx, fx_step(&tr, 1, EVS_CHAIN, 0)),
			    "prerouting");
	st = fx_step(&tr, 1, EVS_RULE, 0);
	assert_string_equal(step_chain(fx, st), "prerouting");
	/* the rule comes before what it did */
	assert_true(st < fx_step(&tr, 1, EVS_NAT, 0));
	st = fx_step(&tr, 1, EVS_NAT, 0);
	assert_int_equal(st->nat.type, NFT_NAT_DNAT);
	assert_memory_equal(&st->nat.addr_min, A("192.168.50.3").b, 4);
	/* the same run untraced decides the same */
	assert_int_equal(fx->j.dnat.ncand, 1);
	free(tr.steps);
}

/* fw4: the jump to dstnat_wan, the element of a concatenated map that
 * decided; numgen's two paths, each with its own element. */
static void test_trace_fw4(void **state)
{
	struct fx *fx = *state;
	struct tuple t = mk_flow(TCP, "203.0.113.50", 40000, "203.0.113.10",
				 8080, "192.168.50.10", 80, "203.0.113.50",
				 40000).orig;
	struct ev_trace tr;
	const struct ev_step *st;
	const struct nm_elem *el;

	load(fx, "fw4.nlbin");
	tr = fx_trace(fx, &t);
	assert_string_equal(step_chain(fx, fx_step(&tr, 1, EVS_CHAIN, 0)),
			    "dstnat");
	assert_string_equal(step_chain(fx, fx_step(&tr, 1, EVS_CHAIN, 1)),
			    "dstnat_wan");
	st = fx_step(&tr, 1, EVS_ELEM, 0);
	assert_non_null(st);
	assert_string_equal(fx->m.sets[st->set].name, "dnat_wan_map");
	el = &fx->m.sets[st->set].elems[st->elem];
	assert_memory_equal(el->key.val, A("203.0.113.10").b, 4);
	assert_int_equal(fx_count(&tr, 1, EVS_NAT), 1);
	free(tr.steps);

	/* numgen inc mod 2 map { 0 : .5, 1 : .6 } */
	t = mk_flow(UDP, "203.0.113.50", 40000, "203.0.113.1", 60000,
		    "192.168.50.6", 60000, "203.0.113.50", 40000).orig;
	tr = fx_trace(fx, &t);
	assert_int_equal(fx_count(&tr, 0, EVS_PATH), 2);
	assert_memory_equal(&fx_step(&tr, 1, EVS_NAT, 0)->nat.addr_min,
			    A("192.168.50.5").b, 4);
	assert_memory_equal(&fx_step(&tr, 2, EVS_NAT, 0)->nat.addr_min,
			    A("192.168.50.6").b, 4);
	assert_non_null(fx_step(&tr, 1, EVS_ELEM, 0));
	assert_non_null(fx_step(&tr, 2, EVS_ELEM, 0));
	free(tr.steps);

	/* a limit on the path: the trace says where */
	t = mk_flow(TCP, "203.0.113.50", 40000, "203.0.113.1", 60002,
		    "192.168.50.2", 60002, "203.0.113.50", 40000).orig;
	tr = fx_trace(fx, &t);
	st = fx_step(&tr, 0, EVS_UNKNOWN, 0);
	assert_non_null(st);
	assert_string_equal(st->what, "limit");
	free(tr.steps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TABLE(test_seed, "seed.nlbin", seed),
		T(test_trace_seed),
		T(test_trace_fw4),
		T(test_fw4),
		TABLE(test_iptables_nft, "iptables-nft.nlbin", iptables_nft),
		TABLE(test_ipv6, "iptables-nft.nlbin", ipv6),
	};

	return cmocka_run_group_tests_name("fixture_judge", tests, NULL, NULL);
}
