/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fixture.h - finding and reading the files the unit tests replay or
 * read back: the source tree, the binary, tests/unit/fixtures/, a whole
 * file, and an .iptbin (format: fixtures/README.md).  Each reader fails the test,
 * naming the file, when it cannot read it.  Include after cmocka.h.
 */
#ifndef CTSWEEP_FIXTURE_H
#define CTSWEEP_FIXTURE_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The Makefile says where the tree and the binary are; the environment
 * (tests/run, make check SANITIZE=1 BUILD=...) may say otherwise. */
#ifndef CTSWEEP_TOP
#define CTSWEEP_TOP "."
#endif
#ifndef CTSWEEP_BIN
#define CTSWEEP_BIN "build/ctsweep"
#endif

static inline const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v ? v : dflt;
}

/* The source tree. */
static inline const char *src_top(void)
{
	return env_or("CTSWEEP_TOP", CTSWEEP_TOP);
}

/* The ctsweep under test. */
static inline const char *ctsweep_bin(void)
{
	return env_or("CTSWEEP", CTSWEEP_BIN);
}

/* tests/unit/fixtures of the source tree. */
static inline const char *fixture_dir(void)
{
	static char dir[4096];

	snprintf(dir, sizeof(dir), "%s/tests/unit/fixtures", src_top());
	return env_or("CTSWEEP_FIXTURES", dir);
}

/* The whole of @path (it may be empty), NUL-terminated, in malloc's
 * alignment, which is a socket buffer's; free() it.  Its length in *len. */
static inline void *read_whole(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t got;

	if (!f)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	*len = 0;
	do {
		buf = realloc(buf, *len + 65536 + 1);
		assert_non_null(buf);
		got = fread(buf + *len, 1, 65536, f);
		*len += got;
	} while (got);
	if (ferror(f))
		fail_msg("cannot read %s", path);
	fclose(f);
	buf[*len] = '\0';
	return buf;
}

/* @rel in the source tree. */
static inline void *read_top(const char *rel, size_t *len)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", src_top(), rel);
	return read_whole(path, len);
}

/* The fixture @name@ext. */
static inline void *read_fixture(const char *name, const char *ext,
				 size_t *len)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s%s", fixture_dir(), name, ext);
	return read_whole(path, len);
}

/* An x_tables table as getsockopt hands it over; table is the caller's
 * to set (the file does not say). */
struct iptbin {
	const char *table;
	uint32_t family, valid_hooks;
	unsigned int hook_entry[5], underflow[5];
	uint32_t num_entries, size;
	unsigned char *entries;		/* free() */
};

/* NAME.iptbin: "CTSIPTB1", 14 header words, the entries. */
static inline void iptbin_load(const char *name, struct iptbin *t)
{
	size_t len;
	unsigned char *buf = read_fixture(name, ".iptbin", &len);
	uint32_t hdr[14];

	assert_true(len >= 8 + sizeof(hdr));
	assert_memory_equal(buf, "CTSIPTB1", 8);
	memcpy(hdr, buf + 8, sizeof(hdr));
	memset(t, 0, sizeof(*t));
	t->family = hdr[0];
	t->valid_hooks = hdr[1];
	memcpy(t->hook_entry, &hdr[2], sizeof(t->hook_entry));
	memcpy(t->underflow, &hdr[7], sizeof(t->underflow));
	t->num_entries = hdr[12];
	t->size = hdr[13];
	assert_true(len - 8 - sizeof(hdr) >= t->size);
	t->entries = malloc(t->size);
	assert_non_null(t->entries);
	memcpy(t->entries, buf + 8 + sizeof(hdr), t->size);
	free(buf);
}

#endif
