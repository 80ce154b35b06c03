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

int fuzz_nft_one(const uint8_t *data, size_t size);
#define LLVMFuzzerTestOneInput fuzz_nft_one
#include "../../fuzz/fuzz_nft.c"
#undef LLVMFuzzerTestOneInput
int fuzz_ct_one(const uint8_t *data, size_t size);
#define LLVMFuzzerTestOneInput fuzz_ct_one
#include "../../fuzz/fuzz_ct.c"
#undef LLVMFuzzerTestOneInput
int fuzz_route_one(const uint8_t *data, size_t size);
#define LLVMFuzzerTestOneInput fuzz_route_one
#include "../../fuzz/fuzz_route.c"
#undef LLVMFuzzerTestOneInput
int fuzz_ipt_one(const uint8_t *data, size_t size);
#define LLVMFuzzerTestOneInput fuzz_ipt_one
#include "../../fuzz/fuzz_ipt.c"
#undef LLVMFuzzerTestOneInput
int fuzz_xt_one(const uint8_t *data, size_t size);
#define LLVMFuzzerTestOneInput fuzz_xt_one
#include "../../fuzz/fuzz_xt.c"
#undef LLVMFuzzerTestOneInput
int fuzz_mirror_one(const uint8_t *data, size_t size);
#define LLVMFuzzerTestOneInput fuzz_mirror_one
#include "../../fuzz/fuzz_mirror.c"
#undef LLVMFuzzerTestOneInput

int fuzz_opts_one(const uint8_t *data, size_t size);
#define LLVMFuzzerTestOneInput fuzz_opts_one
#include "../../fuzz/fuzz_opts.c"
#undef LLVMFuzzerTestOneInput

int fuzz_http_one(const uint8_t *data, size_t size);
#define LLVMFuzzerTestOneInput fuzz_http_one
#include "../../fuzz/fuzz_http.c"
#undef LLVMFuzzerTestOneInput

#ifndef CTSWEEP_BIN
#define CTSWEEP_BIN "build/ctsweep"
#endif
#ifndef CTSWEEP_TOP
#define CTSWEEP_TOP "."
#endif

typedef int (*entry_fn)(const uint8_t *, size_t);

static const char *top(void)
{
	const char *t = getenv("CTSWEEP_TOP");

	return t ? t : CTSWEEP_TOP;
}

static int read_all(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		return -errno;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	*buf = malloc(n ? n : 1);
	if (!*buf || (n && fread(*buf, n, 1, f) != 1)) {
		fclose(f);
		free(*buf);
		return -EIO;
	}
	fclose(f);
	*len = n;
	return 0;
}

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
		if (read_all(path, &buf, &len))
			fail_msg("cannot read %s", path);
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

	snprintf(dir, sizeof(dir), "%s/fuzz/regressions/%s", top(), target);
	n = replay_dir(dir, "", fn);
	snprintf(dir, sizeof(dir), "%s/fuzz/corpus/%s", top(), target);
	n += replay_dir(dir, "", fn);
	if (need_seeds && !n)
		fail_msg("no inputs for fuzz target %s under %s/fuzz", target,
			 top());
}

static void test_nft(void **state) { (void)state; replay("nft", fuzz_nft_one, true); }
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
	snprintf(dir, sizeof(dir), "%s/fuzz/regressions/nft", top());
	if (!replay_dir(dir, "bad-", nft_refuses))
		fail_msg("no bad-* inputs under %s", dir);
}

static void test_ct(void **state) { (void)state; replay("ct", fuzz_ct_one, true); }
static void test_route(void **state) { (void)state; replay("route", fuzz_route_one, true); }
static void test_ipt(void **state) { (void)state; replay("ipt", fuzz_ipt_one, true); }
static void test_xt(void **state) { (void)state; replay("xt", fuzz_xt_one, true); }
static void test_mirror(void **state) { (void)state; replay("mirror", fuzz_mirror_one, true); }
static void test_http(void **state) { (void)state; replay("http", fuzz_http_one, true); }

/* Each opts input as a real command line, with a fake command so that
 * nothing touches the kernel: only option parsing runs, and it must end
 * (the regression: "ctsweep status --" spun forever). */
static int opts_one(const uint8_t *data, size_t size)
{
	char cmd[8192], *p = cmd;
	size_t i;
	int rc;

	p += snprintf(p, sizeof(cmd), "timeout 10 %s",
		      getenv("CTSWEEP") ? getenv("CTSWEEP") : CTSWEEP_BIN);
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
		cmocka_unit_test(test_nft),
		cmocka_unit_test(test_nft_bad),
		cmocka_unit_test(test_ct),
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_ipt),
		cmocka_unit_test(test_xt),
		cmocka_unit_test(test_mirror),
		cmocka_unit_test(test_opts),
		cmocka_unit_test(test_http),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
