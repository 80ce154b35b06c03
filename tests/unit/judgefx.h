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

#endif
