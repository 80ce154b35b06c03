/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * judgefx.h - the fixture the judge tests share: a model, a router
 * snapshot built by the test's own function, and the last judgement.
 * Include after cmocka.h and mkmodel.h.
 */
#ifndef CTSWEEP_JUDGEFX_H
#define CTSWEEP_JUDGEFX_H

#include <stdlib.h>
#include "judge.h"
#include "mkmodel.h"

struct fx {
	struct nm_model m;
	struct netenv env;
	struct judgement j;
};

static inline int fx_setup(void **state, void (*router)(struct netenv *))
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	router(&fx->env);
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

/* The verdict and reason of the last judgement, compared as the strings
 * ctsweep prints (a failure then names both).  A macro: cmocka reports
 * the caller's line. */
#define assert_verdict(fx, v, r) do {					\
	assert_string_equal(judge_verdict_str((fx)->j.verdict),		\
			    judge_verdict_str(v));			\
	assert_string_equal(judge_reason_str((fx)->j.reason),		\
			    judge_reason_str(r));			\
} while (0)

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
