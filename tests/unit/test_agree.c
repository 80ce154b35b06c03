// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for agree.c: a snapshot is believed when two reads in a row
 * agree; what each read made is freed once, the agreed one excepted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <cmocka.h>
#include "agree.h"

struct snap {
	int value;
	int *alloc;		/* what read "made": freed by free */
};

static unsigned int reads, frees;

/* @ctx: the values the reads return (-1: an error), as read_agreed's
 * caller handed it over. */
static int fake_read(void *ctx, void *p)
{
	const int *script = ctx;
	struct snap *s = p;
	int v = script[reads++];

	if (v < 0)
		return -EIO;
	s->value = v;
	s->alloc = malloc(sizeof(int));
	return s->alloc ? 0 : -ENOMEM;
}

static bool fake_same(const void *a, const void *b)
{
	return ((const struct snap *)a)->value == ((const struct snap *)b)->value;
}

static void fake_free(void *p)
{
	struct snap *s = p;

	free(s->alloc);
	s->alloc = NULL;
	frees++;
}

static const struct agree_ops ops = {
	.size = sizeof(struct snap), .read = fake_read, .same = fake_same,
	.free = fake_free,
};

static int run(const int *values, unsigned int tries, struct snap *out)
{
	reads = frees = 0;
	return read_agreed(&ops, (void *)values, tries, out);
}

static void test_agree(void **state)
{
	static const int steady[] = { 7, 7 }, moving[] = { 1, 2, 3, 3 },
		     never[] = { 1, 2, 3, 4, 5 }, broken[] = { 1, -1 };
	struct snap out = { 0 };

	(void)state;
	assert_int_equal(run(steady, 5, &out), 0);
	assert_int_equal(out.value, 7);
	assert_int_equal(reads, 2);
	assert_int_equal(frees, 1);	/* the first; the second is out */
	fake_free(&out);
	assert_int_equal(run(moving, 5, &out), 0);
	assert_int_equal(out.value, 3);
	assert_int_equal(reads, 4);
	assert_int_equal(frees, 3);
	fake_free(&out);
	assert_int_equal(run(never, 5, &out), -EAGAIN);
	assert_int_equal(reads, 5);
	assert_int_equal(frees, 5);
	assert_int_equal(run(broken, 5, &out), -EIO);
	assert_int_equal(reads, 2);
	assert_int_equal(frees, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
