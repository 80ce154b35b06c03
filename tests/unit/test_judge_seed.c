// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for judge.c and eval.c: the seed, a WireGuard forward moved
 * to another host, judged on the flows it leaves behind; and judging once,
 * then comparing per flow, as the scan's cache does.
 * The router and the shared helpers are in judgerouter.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "judgerouter.h"

/* ---- the seed ---- */

static void test_seed_forward_changed(void **state)
{
	struct fx *fx = *state;
	struct flow f = seed_flow_old();
	char a[INET_ADDRSTRLEN];

	seed_model(&fx->m);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
	assert_int_equal(fx->j.chain, 0);
	assert_int_equal(fx->j.rule, 0);
	assert_int_equal(fx->j.dnat.ncand, 1);
	assert_int_equal(fx->j.snat.ncand, 0);
	assert_true(fx->j.dnat.cand[0].flags & NF_NAT_RANGE_MAP_IPS);
	assert_true(fx->j.dnat.cand[0].flags & NF_NAT_RANGE_PROTO_SPECIFIED);
	assert_int_equal(fx->j.dnat.cand[0].family, AF_INET);
	inet_ntop(AF_INET, fx->j.dnat.cand[0].addr_min.b, a, sizeof(a));
	assert_string_equal(a, "192.168.50.3");
	assert_int_equal(ntohs(fx->j.dnat.cand[0].port_min), 53820);
	assert_int_equal(ntohs(fx->j.dnat.cand[0].port_max), 53820);
}

static void test_seed_consistent(void **state)
{
	struct fx *fx = *state;
	struct flow f = peer_flow("192.168.50.3", 53820);

	seed_model(&fx->m);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.chain, 0);
	assert_int_equal(fx->j.rule, 0);
}

static void test_seed_same_addr_old_port(void **state)
{
	struct fx *fx = *state;
	struct flow f = peer_flow("192.168.50.3", 51820);

	seed_model(&fx->m);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_CHANGED);
}

static void test_seed_forward_removed(void **state)
{
	struct fx *fx = *state;
	struct flow f = seed_flow_old();

	mk_chain(&fx->m, NFPROTO_IPV4, "prerouting", PRE, -100);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_REMOVED);
	assert_int_equal(fx->j.dnat.ncand, 0);
	assert_int_equal(fx->j.chain, -1);
	assert_string_equal(judge_reason_text(fx->j.reason),
			    "forward removed");
}

static void test_seed_forward_added(void **state)
{
	struct fx *fx = *state;
	/* Reached the router itself before the forward existed. */
	struct flow f = peer_flow("203.0.113.1", 53820);

	seed_model(&fx->m);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_ADDED);
	assert_string_equal(judge_reason_text(fx->j.reason),
			    "flow started before the forward existed");
}

static void test_seed_other_port_untouched(void **state)
{
	struct fx *fx = *state;
	struct flow f = mk_flow(UDP, "198.51.100.7", 40000, "203.0.113.1", 443,
				"203.0.113.1", 443, "198.51.100.7", 40000);

	seed_model(&fx->m);
	assert_judged(fx, &f, JV_CONSISTENT, JR_NONE);
	assert_int_equal(fx->j.dnat.ncand, 0);
	assert_int_equal(fx->j.chain, -1);
	/* TCP to the same port is not matched by "udp dport". */
	f = mk_flow(TCP, "198.51.100.7", 40000, "203.0.113.1", 53820,
		    "192.168.50.2", 51820, "198.51.100.7", 40000);
	assert_judged(fx, &f, JV_STALE, JR_DNAT_REMOVED);
}

/* judge_eval once, judge_compare per flow, as a cache would. */
static void test_eval_then_compare(void **state)
{
	struct fx *fx = *state;
	struct flow f1 = seed_flow_old();
	struct flow f2 = peer_flow("192.168.50.3", 53820);
	struct judgement j, copy;

	seed_model(&fx->m);
	judge_eval(&fx->m, &fx->env, &f1.orig, &j);
	assert_int_equal(j.verdict, JV_CONSISTENT);
	copy = j;
	judge_compare(&f1, &copy);
	assert_int_equal(copy.verdict, JV_STALE);
	copy = j;
	judge_compare(&f2, &copy);
	assert_int_equal(copy.verdict, JV_CONSISTENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_seed_forward_changed),
		T(test_seed_consistent),
		T(test_seed_same_addr_old_port),
		T(test_seed_forward_removed),
		T(test_seed_forward_added),
		T(test_seed_other_port_untouched),
		T(test_eval_then_compare),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
