// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for mirror.c: which deleted flows can be mirrored, matching
 * a mirror to its candidate (tuples swapped, zone equal), the forward
 * direction coming back, expiry, the MIRROR_MAX bound, and the file
 * (round trip, foreign or malformed files refused).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "mirror.h"

static void tup(struct tuple *t, const char *s, uint16_t sp, const char *d,
		uint16_t dp)
{
	memset(t, 0, sizeof(*t));
	t->family = AF_INET;
	t->l4proto = IPPROTO_UDP;
	inet_pton(AF_INET, s, &t->src.ip);
	inet_pton(AF_INET, d, &t->dst.ip);
	t->sport = htons(sp);
	t->dport = htons(dp);
}

/* peer 203.0.113.10:51820 > router 203.0.113.1:53820, DNAT to @b:@bp */
static void dnat_flow(struct flow *f, const char *b, uint16_t bp)
{
	memset(f, 0, sizeof(*f));
	tup(&f->orig, "203.0.113.10", 51820, "203.0.113.1", 53820);
	tup(&f->reply, b, bp, "203.0.113.10", 51820);
	f->id = 7;
}

/* what B's late reply starts: B:53820 > peer, masqueraded to 53820 */
static void mirror_of(struct flow *m, const char *b)
{
	memset(m, 0, sizeof(*m));
	tup(&m->orig, b, 53820, "203.0.113.10", 51820);
	tup(&m->reply, "203.0.113.10", 51820, "203.0.113.1", 53820);
	m->id = 9;
}

static void test_possible(void **state)
{
	struct flow f;

	(void)state;
	dnat_flow(&f, "192.168.50.3", 53820);
	assert_true(mirror_possible(&f));
	/* backend port differs: masquerade keeps 51820, not the peer's */
	dnat_flow(&f, "192.168.50.2", 51820);
	assert_false(mirror_possible(&f));
	/* not forwarded at all */
	dnat_flow(&f, "203.0.113.1", 53820);
	assert_false(mirror_possible(&f));
	/* NAT loopback: source rewritten too */
	dnat_flow(&f, "192.168.50.3", 53820);
	inet_pton(AF_INET, "192.168.50.1", &f.reply.dst.ip);
	assert_false(mirror_possible(&f));
	/* ICMP never */
	dnat_flow(&f, "192.168.50.3", 53820);
	f.orig.l4proto = f.reply.l4proto = IPPROTO_ICMP;
	assert_false(mirror_possible(&f));
}

static void test_find(void **state)
{
	struct mirror_set ms = { 0 };
	struct flow f, m, cand, img;

	(void)state;
	dnat_flow(&f, "192.168.50.3", 53820);
	assert_int_equal(mirror_add(&ms, &f, 1000), 0);
	assert_int_equal(mirror_count(&ms), 1);
	mirror_of(&m, "192.168.50.3");
	assert_non_null(mirror_find(&ms, &m));
	mirror_cand_flow(&ms.c[0], &cand);
	flow_reversed(&cand, &img);
	assert_memory_equal(&img.orig, &m.orig, sizeof(m.orig));
	assert_memory_equal(&img.reply, &m.reply, sizeof(m.reply));
	/* another backend's outbound flow is not a mirror */
	mirror_of(&m, "192.168.50.4");
	assert_null(mirror_find(&ms, &m));
	/* masquerade picked another port: not the peer's stream */
	mirror_of(&m, "192.168.50.3");
	m.reply.dport = htons(40000);
	assert_null(mirror_find(&ms, &m));
	/* another zone */
	mirror_of(&m, "192.168.50.3");
	m.zone = 2;
	assert_null(mirror_find(&ms, &m));
	/* the forward itself is found by its original tuple, not as mirror */
	assert_null(mirror_find(&ms, &f));
	assert_non_null(mirror_find_orig(&ms, &f));
	/* the same forward deleted from two backends: two candidates, and
	 * deleting either again adds none */
	dnat_flow(&f, "192.168.50.4", 53820);
	assert_int_equal(mirror_add(&ms, &f, 1001), 0);
	dnat_flow(&f, "192.168.50.3", 53820);
	assert_int_equal(mirror_add(&ms, &f, 1002), 0);
	dnat_flow(&f, "192.168.50.4", 53820);
	assert_int_equal(mirror_add(&ms, &f, 1003), 0);
	assert_int_equal(mirror_count(&ms), 2);
	mirror_of(&m, "192.168.50.4");
	assert_int_equal(mirror_find(&ms, &m)->when, 1003);
	mirror_of(&m, "192.168.50.3");
	assert_int_equal(mirror_find(&ms, &m)->when, 1002);
	/* only what can be mirrored is a candidate */
	dnat_flow(&f, "192.168.50.3", 51820);
	assert_int_equal(mirror_add(&ms, &f, 1004), -EINVAL);
	assert_int_equal(mirror_count(&ms), 2);
	mirror_free(&ms);
}

/* mirror_match, the one question a pass asks of every flow: a mirror, a
 * candidate's DNATed flow back, or neither; the mirror first. */
static void test_match(void **state)
{
	struct mirror_set ms = { 0 };
	struct mirror_cand *c = (void *)1;
	struct flow f, m;

	(void)state;
	dnat_flow(&f, "192.168.50.3", 53820);
	mirror_of(&m, "192.168.50.3");
	/* no candidate at all */
	assert_int_equal(mirror_match(&ms, &f, &c), MM_NONE);
	assert_null(c);
	assert_int_equal(mirror_add(&ms, &f, 1000), 0);
	assert_int_equal(mirror_match(&ms, &m, &c), MM_MIRROR);
	assert_ptr_equal(c, &ms.c[0]);
	assert_int_equal(mirror_match(&ms, &f, &c), MM_DNAT_BACK);
	assert_ptr_equal(c, &ms.c[0]);
	/* the DNATed flow back to another backend is back all the same */
	dnat_flow(&f, "192.168.50.4", 53820);
	assert_int_equal(mirror_match(&ms, &f, &c), MM_DNAT_BACK);
	/* another backend's outbound flow: neither */
	mirror_of(&m, "192.168.50.4");
	assert_int_equal(mirror_match(&ms, &m, &c), MM_NONE);
	assert_null(c);
	/* a dropped candidate matches nothing */
	mirror_drop(&ms, &ms.c[0]);
	mirror_of(&m, "192.168.50.3");
	assert_int_equal(mirror_match(&ms, &m, &c), MM_NONE);
	assert_int_equal(mirror_match(&ms, &f, &c), MM_NONE);
	mirror_free(&ms);
}

static void test_drop_wait_expire(void **state)
{
	struct mirror_set ms = { 0 };
	struct flow f, m;

	(void)state;
	dnat_flow(&f, "192.168.50.3", 53820);
	assert_int_equal(mirror_add(&ms, &f, 1000), 0);
	/* the same delete again refreshes, it does not duplicate */
	assert_int_equal(mirror_add(&ms, &f, 1200), 0);
	assert_int_equal(mirror_count(&ms), 1);
	mirror_wait(&ms, &ms.c[0]);
	mirror_wait(&ms, &ms.c[0]);
	assert_int_equal(ms.nwaiting, 1);
	mirror_drop(&ms, &ms.c[0]);
	assert_int_equal(ms.nwaiting, 0);
	assert_int_equal(mirror_count(&ms), 0);
	mirror_of(&m, "192.168.50.3");
	assert_null(mirror_find(&ms, &m));

	assert_int_equal(mirror_add(&ms, &f, 1000), 0);
	mirror_expire(&ms, 1000 + MIRROR_TTL - 1, MIRROR_TTL);
	assert_int_equal(mirror_count(&ms), 1);
	mirror_expire(&ms, 1000 + MIRROR_TTL, MIRROR_TTL);
	assert_int_equal(mirror_count(&ms), 0);
	assert_null(mirror_find(&ms, &m));
	mirror_free(&ms);
}

/* A sweep that deletes many more forwards than the set keeps: the set
 * is rebuilt once per MIRROR_MAX / 8 adds, not once per add. */
static void test_rebuilds_amortised(void **state)
{
	struct mirror_set ms = { 0 };
	uint32_t i, n = 5 * MIRROR_MAX;
	struct flow f;

	(void)state;
	for (i = 0; i < n; i++) {
		dnat_flow(&f, "192.168.50.3", 53820);
		f.orig.sport = f.reply.dport = htons(i);
		f.orig.src.ip = f.reply.dst.ip = htonl(0xcb007100 + (i >> 16));
		assert_int_equal(mirror_add(&ms, &f, 1000 + i), 0);
	}
	print_message("%u adds, %u rebuilds\n", n, ms.rebuilds);
	/* the growth's (bucket counts doubling to MIRROR_MAX) and one per
	 * eighth shed */
	assert_true(ms.rebuilds <= 16 + (n - MIRROR_MAX) / (MIRROR_MAX / 8) + 1);
	/* the newest stay */
	assert_non_null(mirror_find_orig(&ms, &f));
	mirror_free(&ms);
}

/* Many candidates: every one found, and never more than MIRROR_MAX kept
 * (the oldest go). */
static void test_many(void **state)
{
	struct mirror_set ms = { 0 };
	uint32_t i, n = MIRROR_MAX + 100;
	struct flow f, m;

	(void)state;
	for (i = 0; i < n; i++) {
		dnat_flow(&f, "192.168.50.3", 53820);
		f.orig.sport = f.reply.dport = htons(1000 + i);
		assert_int_equal(mirror_add(&ms, &f, 1000 + i), 0);
		if (i % 3 == 0)
			mirror_drop(&ms, mirror_find_orig(&ms, &f));
	}
	mirror_expire(&ms, 1000, MIRROR_TTL);	/* compacts */
	assert_true(mirror_count(&ms) <= MIRROR_MAX);
	/* the newest live ones are all there */
	for (i = n - 1000; i < n; i++) {
		mirror_of(&m, "192.168.50.3");
		m.orig.dport = m.reply.sport = htons(1000 + i);
		if (i % 3 == 0)
			assert_null(mirror_find(&ms, &m));
		else
			assert_non_null(mirror_find(&ms, &m));
	}
	mirror_free(&ms);
}

/*
 * What candidates cost: the key fields of a deleted forward (72 bytes, the
 * budget: a field added to struct mirror_cand is a choice to make here),
 * the array's slack (it grows by half) and a word or two of index each;
 * never more than MIRROR_MAX of them, whatever is added.
 */
static void test_cost(void **state)
{
	/* slack of half the array; up to two buckets a candidate, each
	 * with its byte of filter */
	const size_t per = sizeof(struct mirror_cand) * 3 / 2 +
			   2 * (sizeof(uint32_t) + 1);
	struct mirror_set ms = { 0 };
	uint32_t i, n = MIRROR_MAX + 5000;
	size_t worst = 0;
	struct flow f;

	(void)state;
	assert_true(sizeof(struct mirror_cand) <= 72);
	for (i = 0; i < n; i++) {
		dnat_flow(&f, "192.168.50.3", 53820);
		f.orig.sport = f.reply.dport = htons(i);
		f.orig.src.ip = f.reply.dst.ip = htonl(0xcb007100 + (i >> 16));
		assert_int_equal(mirror_add(&ms, &f, 1000 + i), 0);
		assert_true(mirror_count(&ms) <= MIRROR_MAX);
		assert_true(ms.cap <= MIRROR_MAX);
		/* 16 slots and buckets are the least a set allocates */
		assert_true(mirror_mem(&ms) <=
			    per * mirror_count(&ms) + 16 * per);
		if (mirror_count(&ms) >= 1000 &&
		    mirror_mem(&ms) / mirror_count(&ms) > worst)
			worst = mirror_mem(&ms) / mirror_count(&ms);
	}
	assert_true(mirror_count(&ms) > MIRROR_MAX - MIRROR_MAX / 8);
	print_message("candidate: %zu bytes, at most %zu bytes each with "
		      "slack and index (1000 or more); %zu for %u\n",
		      sizeof(struct mirror_cand), worst, mirror_mem(&ms),
		      mirror_count(&ms));
	/* the newest stay */
	assert_non_null(mirror_find_orig(&ms, &f));
	mirror_free(&ms);
}

static void test_file(void **state)
{
	char dir[] = "/tmp/ctsweep-mirror-XXXXXX", path[300], bad[64];
	struct mirror_set ms = { 0 }, back = { 0 };
	struct flow f, m;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub/mirrors-1", dir);
	dnat_flow(&f, "192.168.50.3", 53820);
	assert_int_equal(mirror_add(&ms, &f, 5000), 0);
	f.orig.sport = f.reply.dport = htons(1234);
	assert_int_equal(mirror_add(&ms, &f, 100), 0);	/* will be expired */
	assert_int_equal(mirror_save(&ms, path, 5001), 0);
	assert_int_equal(mirror_load(&back, path, 5001), 0);
	assert_int_equal(mirror_count(&back), 1);
	mirror_of(&m, "192.168.50.3");
	assert_non_null(mirror_find(&back, &m));
	mirror_free(&back);

	/* group- or world-writable: refused, nothing loaded */
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(mirror_load(&back, path, 5001), -EPERM);
	assert_int_equal(mirror_count(&back), 0);
	assert_int_equal(chmod(path, 0600), 0);

	/* malformed */
	assert_int_equal(mirror_parse(&back, "CTSMIR1\n\1", 9, 5001), -EBADMSG);
	memset(bad, 0, sizeof(bad));
	assert_int_equal(mirror_parse(&back, bad, 8, 5001), -EBADMSG);
	fp = fopen(path, "r+");
	assert_non_null(fp);
	fseek(fp, 8, SEEK_SET);
	fputc(99, fp);		/* family */
	fclose(fp);
	assert_int_equal(mirror_load(&back, path, 5001), -EBADMSG);
	/* a good record, then a bad one: none taken */
	{
		uint8_t buf[300], two[8 + 2 * 88];
		uint32_t pos = 0;

		/* in pieces of whole records, the header first */
		assert_int_equal(mirror_format(&ms, &pos, buf, 87), -EINVAL);
		assert_int_equal(mirror_format(&ms, &pos, buf, 100), 8 + 88);
		assert_int_equal(mirror_format(&ms, &pos, buf + 96, 100), 88);
		assert_int_equal(mirror_format(&ms, &pos, buf, 100), 0);
		memcpy(two, buf, 8 + 88);	/* the one at 5000 */
		memcpy(two + 8 + 88, buf + 8, 88);
		two[8 + 88 + 1] = 1;	/* ICMP */
		assert_int_equal(mirror_parse(&back, two, sizeof(two), 5001),
				 -EBADMSG);
		assert_int_equal(mirror_count(&back), 0);
		two[8 + 88 + 1] = IPPROTO_UDP;	/* the same one twice */
		assert_int_equal(mirror_parse(&back, two, sizeof(two), 5001),
				 0);
		assert_int_equal(mirror_count(&back), 1);
		mirror_free(&back);
	}

	/* files left by gone namespaces: pruned once older than the TTL */
	{
		char old[320], young[320];
		struct timespec t[2] = { { 0 }, { 0 } };

		snprintf(old, sizeof(old), "%s/sub/mirrors-2", dir);
		snprintf(young, sizeof(young), "%s/sub/mirrors-3", dir);
		fp = fopen(old, "w");
		assert_non_null(fp);
		fclose(fp);
		fp = fopen(young, "w");
		assert_non_null(fp);
		fclose(fp);
		t[0].tv_sec = t[1].tv_sec = time(NULL) - 3 * MIRROR_TTL;
		assert_int_equal(utimensat(AT_FDCWD, old, t, 0), 0);
		dnat_flow(&f, "192.168.50.3", 53820);
		assert_int_equal(mirror_add(&ms, &f, 5000), 0);
		assert_int_equal(mirror_save(&ms, path, 5001), 0);
		assert_int_equal(access(old, F_OK), -1);
		assert_int_equal(access(young, F_OK), 0);
		assert_int_equal(access(path, F_OK), 0);	/* ours stays */
		unlink(young);
	}

	/* an empty set keeps the file's live candidates (they may be
	 * another's); once those have expired too the file goes; a missing
	 * file is an empty set */
	mirror_free(&ms);
	assert_int_equal(mirror_save(&ms, path, 5001), 0);
	assert_int_equal(mirror_count(&ms), 1);
	mirror_free(&ms);
	assert_int_equal(mirror_save(&ms, path, 5000 + MIRROR_TTL), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(mirror_load(&back, path, 5001), 0);
	assert_int_equal(mirror_count(&back), 0);
	mirror_free(&back);
	snprintf(path, sizeof(path), "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
}

/*
 * A daemon and a sweep by hand share the file: each save merges what the
 * other wrote meanwhile instead of replacing it, and a reader notices a
 * file replaced since it last looked.
 */
static void test_merge(void **state)
{
	char dir[] = "/tmp/ctsweep-mirror-XXXXXX", path[300];
	struct mirror_set daemon = { 0 }, sweep = { 0 };
	struct flow f1, f2, f3, m;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/mirrors-1", dir);
	dnat_flow(&f1, "192.168.50.3", 53820);
	dnat_flow(&f2, "192.168.50.4", 53820);
	f2.orig.sport = f2.reply.dport = htons(1111);
	dnat_flow(&f3, "192.168.50.5", 53820);
	f3.orig.sport = f3.reply.dport = htons(2222);

	/* both start from no file */
	assert_int_equal(mirror_load(&daemon, path, 5000), 0);
	assert_int_equal(mirror_load(&sweep, path, 5000), 0);
	assert_false(mirror_file_changed(&daemon, path));

	assert_int_equal(mirror_add(&daemon, &f1, 5000), 0);
	assert_int_equal(mirror_save(&daemon, path, 5000), 0);
	assert_false(mirror_file_changed(&daemon, path));
	assert_true(mirror_file_changed(&sweep, path));

	/* the sweep never re-read the file: its save keeps f1 anyway */
	assert_int_equal(mirror_add(&sweep, &f2, 5001), 0);
	assert_int_equal(mirror_save(&sweep, path, 5001), 0);
	assert_int_equal(mirror_count(&sweep), 2);

	/* the daemon takes f2 before its next pass, then saves f3 */
	assert_true(mirror_file_changed(&daemon, path));
	assert_int_equal(mirror_load(&daemon, path, 5002), 0);
	assert_int_equal(mirror_count(&daemon), 2);
	mirror_of(&m, "192.168.50.4");
	m.orig.dport = m.reply.sport = htons(1111);
	assert_non_null(mirror_find(&daemon, &m));
	assert_int_equal(mirror_add(&daemon, &f3, 5002), 0);
	assert_int_equal(mirror_save(&daemon, path, 5002), 0);
	mirror_free(&sweep);
	assert_int_equal(mirror_load(&sweep, path, 5002), 0);
	assert_int_equal(mirror_count(&sweep), 3);

	/* merging twice adds nothing; a copy older than ours (f1 deleted
	 * again since) leaves our time alone */
	assert_int_equal(mirror_add(&daemon, &f1, 5003), 0);
	assert_int_equal(mirror_load(&daemon, path, 5003), 0);
	assert_int_equal(mirror_count(&daemon), 3);
	assert_int_equal(mirror_find_orig(&daemon, &f1)->when, 5003);

	/* one we dropped stays dropped: our own copy is not read back */
	mirror_drop(&daemon, mirror_find_orig(&daemon, &f2));
	assert_int_equal(mirror_save(&daemon, path, 5003), 0);
	assert_int_equal(mirror_count(&daemon), 2);
	mirror_free(&sweep);
	assert_int_equal(mirror_load(&sweep, path, 5003), 0);
	assert_int_equal(mirror_count(&sweep), 2);
	assert_null(mirror_find_orig(&sweep, &f2));

	/* once all have expired the file goes */
	mirror_expire(&daemon, 5003 + MIRROR_TTL, MIRROR_TTL);
	assert_int_equal(mirror_save(&daemon, path, 5003 + MIRROR_TTL), 0);
	assert_int_equal(mirror_count(&daemon), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_true(mirror_file_changed(&sweep, path));

	mirror_free(&daemon);
	mirror_free(&sweep);
	rmdir(dir);
}

static void test_path(void **state)
{
	char path[256];

	(void)state;
	setenv("RUNTIME_DIRECTORY", "/run/x:/run/y", 1);
	assert_int_equal(mirror_path(path, sizeof(path)), 0);
	assert_int_equal(strncmp(path, "/run/x/mirrors-", 15), 0);
	setenv("RUNTIME_DIRECTORY", "relative", 1);
	assert_int_equal(mirror_path(path, sizeof(path)), 0);
	assert_int_equal(strncmp(path, "/run/ctsweep/mirrors-", 21), 0);
	unsetenv("RUNTIME_DIRECTORY");
	assert_int_equal(mirror_path(path, 10), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_possible),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_drop_wait_expire),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_cost),
		cmocka_unit_test(test_rebuilds_amortised),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
