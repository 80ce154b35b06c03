// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_fuzz.c - replay every input the fuzzers keep through the fuzz
 * targets' own entry points: fuzz/regressions/TARGET/ (inputs that once
 * crashed or hung a target; each must now run clean) and the seed corpora
 * fuzz/corpus/TARGET/.  Under make check SANITIZE=1 this is the same check
 * libFuzzer makes, without clang.
 *
 * A target must return 0 (libFuzzer's contract; -1 would drop the input
 * from a corpus): anything else fails the test, naming the input.
 * fuzz/regressions/nft/bad-* (fuzz/seeds.py) are captures with a nest cut
 * short: beyond running clean, nft_parse() must refuse each.  A
 * target's own check (fuzz_mirror's __builtin_trap) raises SIGILL, which
 * cmocka turns into this test's failure ("Test failed with exception:
 * Illegal instruction"), after the "replay" line that names the input.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <stdint.h>
#include "fixture.h"

#define FUZZ_TARGET nft
#include "fuzztarget.h"
#define FUZZ_TARGET ct
#include "fuzztarget.h"
#define FUZZ_TARGET route
#include "fuzztarget.h"
#define FUZZ_TARGET ipt
#include "fuzztarget.h"
#define FUZZ_TARGET xt
#include "fuzztarget.h"
#define FUZZ_TARGET mirror
#include "fuzztarget.h"
#define FUZZ_TARGET opts
#include "fuzztarget.h"
#define FUZZ_TARGET http
#include "fuzztarget.h"

typedef int (*entry_fn)(const uint8_t *, size_t);

/* Feed every file of @dir (whose name starts with @prefix) to @fn;
 * returns how many. */
static unsigned int replay_dir(const char *dir, const char *prefix,
			       entry_fn fn)
{
	struct dirent *d;
	unsigned int n = 0;
	DIR *D = opendir(dir);

	if (!D)
		return 0;
	while ((d = readdir(D))) {
		char path[4096];
		struct stat st;
		uint8_t *buf = NULL;
		size_t len = 0;
		int rc;

		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (stat(path, &st) || !S_ISREG(st.st_mode) ||
		    strncmp(d->d_name, prefix, strlen(prefix)))
			continue;
		buf = read_whole(path, &len);
		/* a crash or a sanitizer report ends the test binary here,
		 * naming the input in the log */
		print_message("replay %s\n", path);
		rc = fn(buf, len);
		free(buf);
		if (rc != 0) {
			closedir(D);
			fail_msg("%s: the target returned %d, not 0", path, rc);
		}
		n++;
	}
	closedir(D);
	return n;
}

static void replay(const char *target, entry_fn fn, bool need_seeds)
{
	char dir[4096];
	unsigned int n;

	snprintf(dir, sizeof(dir), "%s/fuzz/regressions/%s", src_top(), target);
	n = replay_dir(dir, "", fn);
	snprintf(dir, sizeof(dir), "%s/fuzz/corpus/%s", src_top(), target);
	n += replay_dir(dir, "", fn);
	if (need_seeds && !n)
		fail_msg("no inputs for fuzz target %s under %s/fuzz", target,
			 src_top());
}

struct target {
	const char *name;
	entry_fn fn;
};

/* The inputs of one target (*state, a struct target). */
static void test_target(void **state)
{
	const struct target *t = *state;

	replay(t->name, t->fn, true);
}

/* The test "test_<t>" replays target @t. */
#define TARGET(t) { "test_" #t, test_target, NULL, NULL,		\
		    &(struct target){ #t, FUZZ_ONE(t) } }

/* 0 when nft_parse() refuses the capture as malformed. */
static int nft_refuses(const uint8_t *data, size_t size)
{
	struct nm_model m = { 0 };
	int err = nft_parse(data, size, &m);

	if (!err)
		nm_model_free(&m);
	return err == -EBADMSG ? 0 : 1;
}

static void test_nft_bad(void **state)
{
	char dir[4096];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/fuzz/regressions/nft", src_top());
	if (!replay_dir(dir, "bad-", nft_refuses))
		fail_msg("no bad-* inputs under %s", dir);
}

/* Each opts input as a real command line, with a fake command so that
 * nothing touches the kernel: only option parsing runs, and it must end
 * (the regression: "ctsweep status --" spun forever). */
static int opts_one(const uint8_t *data, size_t size)
{
	char cmd[8192], *p = cmd;
	size_t i;
	int rc;

	p += snprintf(p, sizeof(cmd), "timeout 10 %s", ctsweep_bin());
	/* words are NUL-separated; quote each for the shell */
	*p++ = ' ';
	*p++ = '\'';
	for (i = 0; i < size && p < cmd + sizeof(cmd) - 16; i++) {
		if (!data[i]) {
			p += sprintf(p, "' '");
		} else if (data[i] == '\'') {
			p += sprintf(p, "'\\''");
		} else if (data[i] == '\n') {
			*p++ = ' ';
		} else {
			*p++ = data[i];
		}
	}
	/* "--version" first: a command that would run exits before any
	 * socket once parsing is done */
	p += sprintf(p, "' --version >/dev/null 2>&1");
	rc = system(cmd);
	/* 124: timeout's status for a hang */
	assert_int_not_equal(WEXITSTATUS(rc), 124);
	assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) <= 2);
	return 0;
}

/* The opts inputs twice: through the parsers in this process (what the
 * fuzzer runs, under the sanitizers of this build), then as the real
 * binary's command line. */
static void test_opts(void **state)
{
	(void)state;
	replay("opts", fuzz_opts_one, true);
	replay("opts", opts_one, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TARGET(nft),
		cmocka_unit_test(test_nft_bad),
		TARGET(ct),
		TARGET(route),
		TARGET(ipt),
		TARGET(xt),
		TARGET(mirror),
		cmocka_unit_test(test_opts),
		TARGET(http),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
