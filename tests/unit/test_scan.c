// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for scan.c's way of one flow through a pass (scan_feed):
 * mirror or not (a mirror judged as the DNATed flow it mirrors, that flow
 * back ending its candidate), judge, account (counts, reasons, recs, the
 * flush class); and the entries outside a pass that delete nothing
 * (scan_catch_mirror of a consistent mirror, scan_judge_one,
 * scan_add_result).  The pass is built by hand on the seed router
 * (judgerouter.h): no socket, no rules read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "judgerouter.h"
#include "scan.h"

/* The seed moved: udp dport 53820 dnat to 192.168.50.3:53820; oifname
 * "wan" masquerade. */
static int scan_setup(void **state)
{
	struct scan *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	s->cache = calloc(JCACHE_SIZE, sizeof(*s->cache));
	if (!s->cache)
		return -1;
	s->cache_gen = 1;
	router_env(&s->env);
	seed_model(&s->model);
	masq_model(&s->model);
	nm_model_finish(&s->model);
	s->keys = judge_keys(&s->model);
	s->pass = 1;
	*state = s;
	return 0;
}

static int scan_teardown(void **state)
{
	struct scan *s = *state;

	nm_model_free(&s->model);
	mk_env_free(&s->env);
	mirror_free(&s->mirrors);
	free(s->cache);
	free(s->recs);
	free(s);
	return 0;
}

/* The peer's flow as it was, DNATed to @backend:53820. */
static struct flow dnated(const char *backend)
{
	struct flow f = mk_flow(UDP, "198.51.100.7", 40000, "203.0.113.1",
				53820, backend, 53820, "198.51.100.7", 40000);

	f.status = IPS_DST_NAT | IPS_CONFIRMED;
	return f;
}

/* What @backend's late reply starts once that flow is deleted: backend
 * -> peer, masqueraded to the router's 53820. */
static struct flow mirror_from(const char *backend)
{
	struct flow f = mk_flow(UDP, backend, 53820, "198.51.100.7", 40000,
				"198.51.100.7", 40000, "203.0.113.1", 53820);

	f.status = IPS_SRC_NAT | IPS_CONFIRMED;
	return f;
}

static void test_plain_flow(void **state)
{
	struct scan *s = *state;
	struct flow old = dnated("192.168.50.2"), now = dnated("192.168.50.3");
	struct flow tcp = old;

	tcp.orig.l4proto = tcp.reply.l4proto = TCP;
	assert_int_equal(scan_feed(s, &now), 0);
	assert_int_equal(scan_feed(s, &old), 0);
	/* not swept without --tcp */
	assert_int_equal(scan_feed(s, &tcp), 0);
	assert_int_equal(s->judged, 2);
	assert_int_equal(s->consistent, 1);
	assert_int_equal(s->stale, 1);
	assert_int_equal(s->by_reason[JR_DNAT_CHANGED], 1);
	/* only what is worth reporting is kept */
	assert_int_equal(s->nrecs, 1);
	assert_int_equal(s->recs[0].verdict, JV_STALE);
	assert_int_equal(s->recs[0].reason, JR_DNAT_CHANGED);
	assert_false(s->recs[0].mirror);
	assert_false(s->recs[0].deleted);
	assert_memory_equal(&s->recs[0].f, &old, sizeof(old));
}

/* A mirror is judged as the DNATed flow it mirrors; that flow back (a new
 * entry with its original tuple) ends the candidate without a lookup. */
static void test_mirror_then_back(void **state)
{
	struct scan *s = *state;
	struct flow old = dnated("192.168.50.2");
	struct flow m = mirror_from("192.168.50.2");

	assert_int_equal(mirror_add(&s->mirrors, &old, 1000), 0);
	/* alone, the mirror is an outbound flow the rules leave as it is */
	assert_int_equal(scan_feed(s, &m), 0);
	assert_int_equal(s->judged, 1);
	assert_int_equal(s->stale, 1);
	assert_int_equal(s->by_reason[JR_DNAT_MIRRORED], 1);
	assert_int_equal(s->nrecs, 1);
	assert_true(s->recs[0].mirror);
	assert_int_equal(s->recs[0].reason, JR_DNAT_MIRRORED);
	/* seen in this pass: check_mirrors looks it up no more */
	assert_int_equal(s->mirrors.c[0].mark, s->pass);
	assert_int_equal(mirror_count(&s->mirrors), 1);
	assert_false(s->mirrors_dirty);
	/* the DNATed flow back: judged as any flow, the candidate ends */
	assert_int_equal(scan_feed(s, &old), 0);
	assert_int_equal(mirror_count(&s->mirrors), 0);
	assert_true(s->mirrors_dirty);
	assert_int_equal(s->judged, 2);
	assert_int_equal(s->by_reason[JR_DNAT_CHANGED], 1);
	assert_false(s->recs[1].mirror);
	/* and the mirror is one no more */
	assert_int_equal(scan_feed(s, &m), 0);
	assert_int_equal(s->consistent, 1);
	assert_int_equal(s->nrecs, 2);
}

/* A mirror of a DNATed flow the rules still send where it went is the
 * outbound flow it looks like: consistent, not marked a mirror. */
static void test_consistent_mirror(void **state)
{
	struct scan *s = *state;
	struct flow now = dnated("192.168.50.3");
	struct flow m = mirror_from("192.168.50.3");
	struct rec r;

	assert_int_equal(mirror_add(&s->mirrors, &now, 1000), 0);
	s->keep_all = true;
	assert_int_equal(scan_feed(s, &m), 0);
	assert_int_equal(s->consistent, 1);
	assert_int_equal(s->nrecs, 1);
	assert_false(s->recs[0].mirror);
	/* the same as an event: judged, nothing to delete */
	assert_int_equal(scan_catch_mirror(s, &m, &r), 1);
	assert_int_equal(r.verdict, JV_CONSISTENT);
	assert_false(r.mirror);
	assert_false(r.deleted);
	/* and put among the results as sweep does */
	assert_int_equal(scan_add_result(s, &r), 0);
	assert_int_equal(s->judged, 2);
	assert_int_equal(s->consistent, 2);
	assert_int_equal(s->nrecs, 2);
}

static void test_judge_one(void **state)
{
	struct scan *s = *state;
	struct flow old = dnated("192.168.50.2"), tcp = old;
	struct rec r;

	assert_int_equal(scan_judge_one(s, &old, &r), 1);
	assert_int_equal(r.verdict, JV_STALE);
	assert_int_equal(r.reason, JR_DNAT_CHANGED);
	assert_false(r.mirror);
	assert_false(r.deleted);
	/* outside a pass: nothing counted */
	assert_int_equal(s->judged, 0);
	assert_int_equal(s->nrecs, 0);
	tcp.orig.l4proto = tcp.reply.l4proto = TCP;
	assert_int_equal(scan_judge_one(s, &tcp, &r), 0);
	/* not a mirror: nothing caught */
	assert_int_equal(scan_catch_mirror(s, &old, &r), 0);
}

/* While the dumps feed the pass, every DNATed IPv4 flow goes to its flush
 * class: stale ones count, anything else (a mirror too) mixes it. */
static void test_classes(void **state)
{
	struct scan *s = *state;
	struct flow a = dnated("192.168.50.2"), b = a;

	s->classes_on = true;
	b.orig.sport = b.reply.dport = htons(40001);
	assert_int_equal(scan_feed(s, &a), 0);
	assert_int_equal(scan_feed(s, &b), 0);
	assert_int_equal(s->nclasses, 1);
	assert_int_equal(s->classes[0].stale, 2);
	assert_false(s->classes[0].mixed);
	assert_int_equal(s->classes[0].k.orig_dport, htons(53820));
	/* one that is not stale in the class mixes it */
	s->keep_all = true;
	s->model.chains[0].rules[0].exprs[0].op = NM_OP_UNKNOWN;
	s->cache_gen++;
	assert_int_equal(scan_feed(s, &a), 0);
	assert_int_equal(s->unknown, 1);
	assert_true(s->classes[0].mixed);
	/* off between the dumps: nothing more noted */
	s->classes_on = false;
	b.reply.src = A("192.168.50.4");
	assert_int_equal(scan_feed(s, &b), 0);
	assert_int_equal(s->nclasses, 1);
}

#define TS(f) cmocka_unit_test_setup_teardown(f, scan_setup, scan_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TS(test_plain_flow),
		TS(test_mirror_then_back),
		TS(test_consistent_mirror),
		TS(test_judge_one),
		TS(test_classes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
