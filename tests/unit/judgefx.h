/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * judgefx.h - the fixture the judge tests share: a model, a router
 * snapshot built by the test's own function (most start from
 * fx_home_router), and the last judgement; judging a flow and checking
 * its verdict (assert_judged).  Include after cmocka.h.
 */
#ifndef CTSWEEP_JUDGEFX_H
#define CTSWEEP_JUDGEFX_H

#include <stdlib.h>
#include <linux/netfilter.h>
#include <linux/rtnetlink.h>
#include "judge.h"
#include "mkmodel.h"

/* The words of the judge files: interfaces of fx_home_router, hooks,
 * protocols. */
#define LO	1
#define WAN	2
#define LAN	3

#define PRE	NF_INET_PRE_ROUTING
#define IN	NF_INET_LOCAL_IN
#define FWD	NF_INET_FORWARD
#define OUT	NF_INET_LOCAL_OUT
#define POST	NF_INET_POST_ROUTING
#define UDP	IPPROTO_UDP
#define TCP	IPPROTO_TCP

struct fx {
	struct nm_model m;
	struct netenv env;
	struct judgement j;
	const void *arg;	/* the test's initial state, if any */
};

static inline int fx_setup(void **state, void (*router)(struct netenv *))
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	router(&fx->env);
	fx->arg = *state;
	*state = fx;
	return 0;
}

static inline int fx_teardown(void **state)
{
	struct fx *fx = *state;

	nm_model_free(&fx->m);
	mk_env_free(&fx->env);
	free(fx);
	return 0;
}

/* The home router the judge files build on: lo (1), @wan (2)
 * 203.0.113.1/24 with the default route via 203.0.113.254, @lan (3)
 * 192.168.50.1/24.  Each file adds its own interfaces. */
static inline void fx_home_router(struct netenv *env, const char *wan,
				  const char *lan)
{
	mk_iface(env, LO, "lo", "127.0.0.1", 8);
	mk_iface(env, WAN, wan, "203.0.113.1", 24);
	mk_iface(env, LAN, lan, "192.168.50.1", 24);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "0.0.0.0", 0, WAN,
		 "203.0.113.254", NULL, 0);
}

/* Its IPv6: 2001:db8::1/64 on @wan with the default via 2001:db8::fe,
 * fd00:50::1/64 on @lan. */
static inline void fx_home_router6(struct netenv *env, const char *wan,
				   const char *lan)
{
	mk_iface(env, WAN, wan, "2001:db8::1", 64);
	mk_iface(env, LAN, lan, "fd00:50::1", 64);
	mk_route(env, RT_TABLE_MAIN, RTN_UNICAST, "::", 0, WAN, "2001:db8::fe",
		 NULL, 1024);
}

/* A test file's setup(): a fixture on the router @router_fn builds.  The
 * teardown needs nothing of the file's own, so T() names fx_teardown. */
#define FX_SETUP(router_fn)						\
static int setup(void **state)						\
{									\
	return fx_setup(state, router_fn);				\
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, fx_teardown)

static inline void judge(struct fx *fx, const struct flow *f)
{
	judge_flow(&fx->m, &fx->env, f, &fx->j);
}

/* The verdict and reason of the last judgement, compared as the strings
 * ctsweep prints (a failure then names both).  A macro: cmocka reports
 * the caller's line. */
#define assert_verdict(fx, v, r) do {					\
	assert_string_equal(judge_verdict_str((fx)->j.verdict),		\
			    judge_verdict_str(v));			\
	assert_string_equal(judge_reason_str((fx)->j.reason),		\
			    judge_reason_str(r));			\
} while (0)

/* Judge @f and check the verdict and reason (a macro, as above). */
#define assert_judged(fx, f, v, r) do {					\
	judge(fx, f);							\
	assert_verdict(fx, v, r);					\
} while (0)

/* A flow and what the judge must say of it: one step of a scenario
 * written as a table (fx_judge_cases). */
struct jcase {
	const char *what;		/* named when the judge differs */
	uint8_t proto;
	const char *src;
	uint16_t sport;
	const char *dst;
	uint16_t dport;
	const char *rsrc;		/* the reply */
	uint16_t rsport;
	const char *rdst;
	uint16_t rdport;
	enum jverdict verdict;
	enum jreason reason;
};

/* Judge each of @n cases on the fixture, in order (FX_CASES: all of an
 * array). */
#define FX_CASES(fx, cases)						\
	fx_judge_cases(fx, cases, sizeof(cases) / sizeof((cases)[0]))

static inline void fx_judge_cases(struct fx *fx, const struct jcase *c,
				  size_t n)
{
	for (; n--; c++) {
		struct flow f = mk_flow(c->proto, c->src, c->sport, c->dst,
					c->dport, c->rsrc, c->rsport, c->rdst,
					c->rdport);

		judge(fx, &f);
		if (fx->j.verdict != c->verdict || fx->j.reason != c->reason)
			fail_msg("%s: %s (%s), want %s (%s)", c->what,
				 judge_verdict_str(fx->j.verdict),
				 judge_reason_str(fx->j.reason),
				 judge_verdict_str(c->verdict),
				 judge_reason_str(c->reason));
	}
}

/* ---- explain's trace ---- */

#include "eval.h"

/* Run @t through the model recording every step; free() the steps. */
static inline struct ev_trace fx_trace(struct fx *fx, const struct tuple *t)
{
	struct ev_trace tr = { 0 };

	tr.steps = mk_check(calloc(EV_TRACE_MAX, sizeof(*tr.steps)));
	judge_eval_traced(&fx->m, &fx->env, t, &fx->j, &tr);
	return tr;
}

/* The @nth (0-based) step of @kind in @path (0: any), or NULL. */
static inline const struct ev_step *fx_step(const struct ev_trace *tr,
					    unsigned int path, int kind,
					    unsigned int nth)
{
	unsigned int i;

	for (i = 0; i < tr->n; i++)
		if (tr->steps[i].kind == kind &&
		    (!path || tr->steps[i].path == path) && !nth--)
			return &tr->steps[i];
	return NULL;
}

/* How many steps of @kind in @path (0: any). */
static inline unsigned int fx_count(const struct ev_trace *tr,
				    unsigned int path, int kind)
{
	unsigned int i, n = 0;

	for (i = 0; i < tr->n; i++)
		n += tr->steps[i].kind == kind &&
		     (!path || tr->steps[i].path == path);
	return n;
}

#endif
