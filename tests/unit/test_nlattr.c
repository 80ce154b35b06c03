// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for nlattr.c's message helpers: the strict message walker
 * every parser and the fuzzers use (broken framing is an error, a callback
 * that says stop stops it) and how a dump's reply ends.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>
#include <linux/netlink.h>
#include "nlattr.h"

/* Messages of @n payload bytes each, back to back, aligned as a socket
 * hands them over. */
static size_t put_msgs(void *buf, const unsigned int *n, unsigned int count)
{
	char *p = buf;
	unsigned int i;

	for (i = 0; i < count; i++) {
		struct nlmsghdr *h = (struct nlmsghdr *)p;

		memset(h, 0, NLMSG_SPACE(n[i]));
		h->nlmsg_len = NLMSG_LENGTH(n[i]);
		h->nlmsg_type = 100 + i;
		p += NLMSG_SPACE(n[i]);
	}
	return p - (char *)buf;
}

struct seen {
	unsigned int n;
	uint16_t types[8];
	unsigned int stop_at;	/* 1-based; 0: never */
};

static int note(const struct nlmsghdr *nlh, void *data)
{
	struct seen *s = data;

	s->types[s->n++] = nlh->nlmsg_type;
	return s->n == s->stop_at ? -EINTR : 0;
}

static void test_walk(void **state)
{
	static const unsigned int sizes[] = { 4, 0, 13 };
	uint32_t buf[64];
	struct seen s = { 0 };
	size_t len;

	(void)state;
	len = put_msgs(buf, sizes, 3);
	assert_int_equal(nlattr_walk_msgs(buf, len, note, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.types[2], 102);
	/* the last message may lack its padding */
	memset(&s, 0, sizeof(s));
	assert_int_equal(nlattr_walk_msgs(buf, len - 3, note, &s), 0);
	assert_int_equal(s.n, 3);
	/* a message cut short, or a stray tail: malformed, after the whole
	 * ones before it */
	memset(&s, 0, sizeof(s));
	assert_int_equal(nlattr_walk_msgs(buf, len - 4, note, &s), -EBADMSG);
	assert_int_equal(s.n, 2);
	memset(&s, 0, sizeof(s));
	assert_int_equal(nlattr_walk_msgs(buf, 20 + 4, note, &s), -EBADMSG);
	assert_int_equal(s.n, 1);
	/* a callback's non-zero stops the walk and is returned */
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	assert_int_equal(nlattr_walk_msgs(buf, len, note, &s), -EINTR);
	assert_int_equal(s.n, 2);
	/* a length below the header's is no message */
	memset(&s, 0, sizeof(s));
	((struct nlmsghdr *)buf)->nlmsg_len = 8;
	assert_int_equal(nlattr_walk_msgs(buf, len, note, &s), -EBADMSG);
	assert_int_equal(s.n, 0);
	assert_int_equal(nlattr_walk_msgs(buf, 0, note, &s), 0);
}

static const struct nlmsghdr *msg(uint32_t *buf, uint16_t type, int err,
				  size_t payload)
{
	struct nlmsghdr *h = (struct nlmsghdr *)buf;

	memset(buf, 0, NLMSG_SPACE(sizeof(struct nlmsgerr)));
	h->nlmsg_len = NLMSG_LENGTH(payload);
	h->nlmsg_type = type;
	memcpy(NLMSG_DATA(h), &err, sizeof(err));
	return h;
}

static void test_dump_end(void **state)
{
	const size_t elen = sizeof(struct nlmsgerr);
	uint32_t buf[32];

	(void)state;
	/* NLMSG_DONE: its error, 0 without one or with a short payload */
	assert_int_equal(nlattr_dump_end(msg(buf, NLMSG_DONE, 0, 4), -1), 0);
	assert_int_equal(nlattr_dump_end(msg(buf, NLMSG_DONE, -ENOMEM, 4), -1),
			 -ENOMEM);
	assert_int_equal(nlattr_dump_end(msg(buf, NLMSG_DONE, -ENOMEM, 0), -1),
			 0);
	/* NLMSG_ERROR: its error; an ack (0) gives what the caller says */
	assert_int_equal(nlattr_dump_end(msg(buf, NLMSG_ERROR, -EPERM, elen),
					 0), -EPERM);
	assert_int_equal(nlattr_dump_end(msg(buf, NLMSG_ERROR, 0, elen),
					 -EBADMSG), -EBADMSG);
	assert_int_equal(nlattr_dump_end(msg(buf, NLMSG_ERROR, 0, elen), 0), 0);
	assert_int_equal(nlattr_dump_end(msg(buf, NLMSG_ERROR, -EPERM, 4), 0),
			 -EBADMSG);
	/* anything else: the dump goes on */
	assert_int_equal(nlattr_dump_end(msg(buf, 0x100, -EPERM, 4), 0), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_dump_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
