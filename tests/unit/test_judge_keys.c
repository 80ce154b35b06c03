// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for judge.c: which flow fields the rules can see (the keys
 * of the scan's judgement cache), and the verdict and reason strings.
 * The router and the shared helpers are in judgerouter.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "judgerouter.h"

/* ---- keys and strings ---- */

static void test_keys(void **state)
{
	struct fx *fx = *state;
	struct nm_chain *c;
	struct nm_rule *r;

	assert_int_equal(judge_keys(&fx->m), 0);
	seed_model(&fx->m);
	assert_int_equal(judge_keys(&fx->m), JK_DPORT);
	r = mk_rule(&fx->m.chains[0]);
	mk_ifname(r, 0, NFT_CMP_EQ, "wan");
	assert_int_equal(judge_keys(&fx->m), JK_SADDR | JK_DPORT | JK_IIF);
	masq_model(&fx->m);
	assert_int_equal(judge_keys(&fx->m), JK_SADDR | JK_DPORT | JK_IIF |
			 JK_OIF | JK_DADDR);
	/* fib saddr type local */
	r = mk_rule(&fx->m.chains[0]);
	mk_expr(r, NM_OP_FIB)->fib.result = NFT_FIB_RESULT_ADDRTYPE;
	r->exprs[0].fib.flags = NFTA_FIB_F_SADDR;
	assert_int_equal(judge_keys(&fx->m), JK_SADDR | JK_DPORT | JK_IIF |
			 JK_OIF | JK_DADDR);
	/* a regular chain reached by a jump counts, an orphan does not */
	c = mk_chain(&fx->m, NFPROTO_IPV4, "orphan", -1, 0);
	mk_payload(mk_rule(c), NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, NFT_REG_1);
	assert_false(judge_keys(&fx->m) & JK_SPORT);
	mk_verdict(mk_rule(&fx->m.chains[0]), NFT_JUMP, 2);
	assert_true(judge_keys(&fx->m) & JK_SPORT);
	mk_expr(mk_rule(c), NM_OP_UNKNOWN);
	assert_int_equal(judge_keys(&fx->m), JK_SADDR | JK_DADDR | JK_SPORT |
			 JK_DPORT | JK_IIF | JK_OIF);
}

static void test_keys_paths(void **state)
{
	struct fx *fx = *state;
	struct nm_rule *r;

	/* an input chain: the destination picks input or postrouting */
	mk_chain(&fx->m, NFPROTO_IPV4, "in", IN, 100);
	assert_int_equal(judge_keys(&fx->m), JK_DADDR);
	/* ip6 saddr in an inet chain; an ip chain reading nh+16 */
	r = mk_rule(mk_chain(&fx->m, NFPROTO_INET, "pre", PRE, 0));
	mk_addr_match(r, 0, NFT_CMP_EQ, "2001:db8::7");
	assert_int_equal(judge_keys(&fx->m), JK_DADDR | JK_SADDR);
	nm_model_free(&fx->m);
	r = mk_rule(mk_chain(&fx->m, NFPROTO_IPV4, "pre", PRE, 0));
	mk_addr_match(r, 1, NFT_CMP_EQ, "192.168.50.1");
	assert_int_equal(judge_keys(&fx->m), JK_DADDR);
	/* ct original saddr, xt ports, meta mark */
	r = mk_rule(&fx->m.chains[0]);
	mk_expr(r, NM_OP_CT)->ct.key = NFT_CT_SRC;
	mk_expr(r, NM_OP_XT_PORTS);
	assert_int_equal(judge_keys(&fx->m), JK_DADDR | JK_SADDR | JK_SPORT |
			 JK_DPORT);
	/* the mark of a first packet depends on where it came in */
	mk_meta(r, NFT_META_MARK, NFT_REG_1);
	assert_int_equal(judge_keys(&fx->m), JK_SADDR | JK_DADDR | JK_SPORT |
			 JK_DPORT | JK_IIF);
	mk_meta(r, NFT_META_CPU, NFT_REG_1);
	assert_int_equal(judge_keys(&fx->m), JK_SADDR | JK_DADDR | JK_SPORT |
			 JK_DPORT | JK_IIF | JK_OIF);
}

static void test_strings(void **state)
{
	(void)state;
	assert_string_equal(judge_reason_str(JR_DNAT_CHANGED),
			    "forward-changed");
	assert_string_equal(judge_reason_str(JR_DNAT_REMOVED),
			    "forward-removed");
	assert_string_equal(judge_reason_str(JR_DNAT_ADDED), "forward-added");
	assert_string_equal(judge_reason_str(JR_SNAT_CHANGED), "snat-changed");
	assert_string_equal(judge_reason_str(JR_SNAT_REMOVED), "snat-removed");
	assert_string_equal(judge_reason_str(JR_SNAT_ADDED), "snat-added");
	assert_string_equal(judge_reason_str(JR_UNMODELLED), "unmodelled");
	assert_string_equal(judge_reason_str(JR_DROPPED), "dropped");
	assert_string_equal(judge_reason_str(JR_NONE), "");
	assert_string_equal(judge_reason_str(JR__MAX), "?");
	assert_string_equal(judge_verdict_str(JV_CONSISTENT), "consistent");
	assert_string_equal(judge_verdict_str(JV_STALE), "stale");
	assert_string_equal(judge_verdict_str(JV_UNKNOWN), "unknown");
	assert_string_equal(judge_reason_text(JR_DNAT_CHANGED),
			    "forward now points elsewhere");
	for (int i = JR_DNAT_CHANGED; i < JR__MAX; i++)
		assert_true(strlen(judge_reason_text(i)) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_keys),
		T(test_keys_paths),
		T(test_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
