// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_fileio.c - file_replace(): whole, with its mode, and never through
 * a symlink; file_replace_fill(): the same, piece by piece.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "fileio.h"
#include "fixture.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ctsweep-fileio.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

/* The start of @path, as much as @buf holds, terminated. */
static void slurp(const char *path, char *buf, size_t len)
{
	size_t n;
	char *all = read_whole(path, &n);

	snprintf(buf, len, "%s", all);
	free(all);
}

static void test_replace(void **state)
{
	char path[128], buf[64];
	struct stat st, st2;

	(void)state;
	snprintf(path, sizeof(path), "%s/stats.prom", dir);
	assert_int_equal(file_replace(path, "one\n", 4, 0644, NULL), 0);
	slurp(path, buf, sizeof(buf));
	assert_string_equal(buf, "one\n");
	assert_int_equal(file_replace(path, "two\n", 4, 0600, &st), 0);
	slurp(path, buf, sizeof(buf));
	assert_string_equal(buf, "two\n");
	assert_int_equal(lstat(path, &st2), 0);
	assert_int_equal(st2.st_mode & 07777, 0600);
	assert_int_equal(st.st_ino, st2.st_ino);
}

/* A symlink at the path is replaced, its target left alone. */
static void test_no_symlink_follow(void **state)
{
	char path[128], target[128], buf[64];
	struct stat st;
	FILE *f;

	(void)state;
	snprintf(target, sizeof(target), "%s/precious", dir);
	snprintf(path, sizeof(path), "%s/link", dir);
	f = fopen(target, "w");
	assert_non_null(f);
	fputs("keep\n", f);
	fclose(f);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(file_replace(path, "new\n", 4, 0644, NULL), 0);
	slurp(target, buf, sizeof(buf));
	assert_string_equal(buf, "keep\n");
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	slurp(path, buf, sizeof(buf));
	assert_string_equal(buf, "new\n");
}

/* A directory that is not there: an error, nothing left behind. */
static void test_error(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/missing/x", dir);
	assert_int_equal(file_replace(path, "x", 1, 0644, NULL), -ENOENT);
}

/* 10,000 bytes, 1000 a piece, then @fail_at's error if not 0 */
struct pieces {
	int n, fail_at;
};

static ssize_t fill_pieces(void *arg, void *buf, size_t len)
{
	struct pieces *p = arg;

	assert_true(len >= FILE_FILL_LEN);
	if (p->n == 10)
		return p->fail_at ? -EIO : 0;
	memset(buf, 'a' + p->n++, 1000);
	return 1000;
}

static void test_fill(void **state)
{
	char path[128], buf[12000];
	struct pieces p = { 0, 0 };
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/pieces", dir);
	assert_int_equal(file_replace_fill(path, fill_pieces, &p, 0600, &st),
			 0);
	assert_int_equal(st.st_size, 10000);
	slurp(path, buf, sizeof(buf));
	assert_int_equal(strlen(buf), 10000);
	assert_int_equal(buf[0], 'a');
	assert_int_equal(buf[9999], 'j');
	/* a piece that fails leaves the old file */
	p.n = 0;
	p.fail_at = 1;
	assert_int_equal(file_replace_fill(path, fill_pieces, &p, 0600, NULL),
			 -EIO);
	slurp(path, buf, sizeof(buf));
	assert_int_equal(strlen(buf), 10000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_no_symlink_follow),
		cmocka_unit_test(test_error),
		cmocka_unit_test(test_fill),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
