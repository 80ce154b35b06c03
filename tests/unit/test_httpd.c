// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for httpd.c: --listen's addresses, the health verdict, and
 * the server itself, both fed a connection at a time (as the fuzzer does)
 * and in its own thread on a loopback port, where idle clients holding
 * every connection slot neither block a publish nor keep the server from
 * answering once they time out.  Under make check SANITIZE=1 this runs
 * libmicrohttpd's callbacks into our code under ASan and UBSan.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "clock.h"
#include "httpd.h"

static void test_addr(void **state)
{
	static const char *const good[] = {
		"127.0.0.1:10259", "0.0.0.0:1", "[::1]:10259", "[::]:65535",
		"[fe80::1]:80",
	};
	static const char *const bad[] = {
		"", ":", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0",
		"127.0.0.1:65536", "127.0.0.1:+80", "127.0.0.1:80x",
		"127.0.0.1: 80", "::1:10259", "[::1]", "[::1]10259",
		"[127.0.0.1]:80", "localhost:80", "[]:80", "1.2.3:80",
		"127.0.0.1:000080", "[::1]:", "[", "]:80",
	};
	struct sockaddr_storage ss;
	socklen_t len;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (httpd_parse_addr(good[i], &ss, &len))
			fail_msg("'%s' refused", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (httpd_parse_addr(bad[i], &ss, &len) != -EINVAL)
			fail_msg("'%s' taken", bad[i]);
	assert_int_equal(httpd_parse_addr("127.0.0.1:10259", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 10259);
	assert_int_equal(httpd_parse_addr("[::1]:443", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 443);
}

static void test_health(void **state)
{
	struct httpd_state st = { .tick_us = 1000000 };
	char why[192];

	(void)state;
	assert_true(httpd_healthy(&st, 1000000, why, sizeof(why)));
	assert_string_equal(why, "ok");
	/* a clock read before the tick was taken is not a stall */
	assert_true(httpd_healthy(&st, 999999, why, sizeof(why)));
	assert_true(httpd_healthy(&st, 1000000 + HTTPD_STALL_US, why,
				  sizeof(why)));
	assert_false(httpd_healthy(&st, 1000001 + HTTPD_STALL_US, why,
				   sizeof(why)));
	assert_string_equal(why, "the reaction loop has not run for 60 s "
			    "(bound 60 s)");
	/* --stall's bound */
	st.stall_us = 2000000;
	assert_true(httpd_healthy(&st, 3000000, why, sizeof(why)));
	assert_false(httpd_healthy(&st, 3000001, why, sizeof(why)));
	assert_string_equal(why, "the reaction loop has not run for 2 s "
			    "(bound 2 s)");
	st.stall_us = 0;

	st.lost = true;
	assert_false(httpd_healthy(&st, 1000000, why, sizeof(why)));
	assert_non_null(strstr(why, "lost and no resync has completed"));

	st.lost = false;
	st.err = -EACCES;
	snprintf(st.failed, sizeof(st.failed), "the nftables ruleset");
	assert_false(httpd_healthy(&st, 1000000, why, sizeof(why)));
	assert_string_equal(why, "cannot read the nftables ruleset: "
			    "Permission denied");
	st.deleting = true;
	assert_false(httpd_healthy(&st, 1000000, why, sizeof(why)));
	assert_string_equal(why, "deleting stale flows from conntrack failed: "
			    "Permission denied");
	st.deleting = false;
	/* not NUL-terminated: bounded all the same */
	memset(st.failed, 'x', sizeof(st.failed));
	assert_false(httpd_healthy(&st, 1000000, why, sizeof(why)));
	assert_int_equal(strlen(why), strlen("cannot read : Permission "
			 "denied") + sizeof(st.failed));

	st = (struct httpd_state){ 0 };
	assert_false(httpd_healthy(&st, 1000000, why, sizeof(why)));
	assert_string_equal(why, "not started yet");
}

static void publish(struct httpd *h, bool ok)
{
	struct httpd_state st = { .tick_us = mono_us() };
	char *text = strdup("# TYPE ctsweep_x counter\nctsweep_x 7\n");

	assert_non_null(text);
	if (!ok) {
		st.err = -EACCES;
		snprintf(st.failed, sizeof(st.failed), "the rules");
	}
	httpd_publish(h, &st, text, strlen(text));
}

/* Read all @fd has until EOF into @buf. */
static size_t read_all(int fd, char *buf, size_t len)
{
	size_t off = 0;
	ssize_t n;

	while (off + 1 < len && (n = read(fd, buf + off, len - 1 - off)) > 0)
		off += (size_t)n;
	buf[off] = '\0';
	return off;
}

static void assert_status(const char *answer, const char *status)
{
	if (strncmp(answer, status, strlen(status)))
		fail_msg("expected '%s', got:\n%s", status, answer);
}

#define ANSWER_MAX 4096
/* A request with nothing beyond its line and Host. */
#define REQ(method, path) method " " path " HTTP/1.1\r\nHost: x\r\n\r\n"

/* One request through httpd_serve(); the whole answer into @buf
 * (ANSWER_MAX bytes), which must begin with @status unless it is NULL. */
static void serve(struct httpd *h, const char *req, const char *status,
		  char *buf)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0], req, strlen(req)), (ssize_t)strlen(req));
	shutdown(sv[0], SHUT_WR);
	assert_int_equal(httpd_serve(h, sv[1]), 0);
	read_all(sv[0], buf, ANSWER_MAX);
	close(sv[0]);
	if (status)
		assert_status(buf, status);
}

static void test_serve(void **state)
{
	struct httpd *h;
	char buf[ANSWER_MAX];

	(void)state;
	assert_int_equal(httpd_open_unlistened(&h), 0);
	/* nothing published yet */
	serve(h, REQ("GET", "/healthz"), "HTTP/1.1 503", buf);
	assert_non_null(strstr(buf, "unhealthy: not started yet"));

	publish(h, true);
	serve(h, REQ("GET", "/metrics"), "HTTP/1.1 200", buf);
	assert_non_null(strstr(buf, "text/plain; version=0.0.4"));
	assert_non_null(strstr(buf, "\r\n\r\n# TYPE ctsweep_x counter\n"
			       "ctsweep_x 7\n"));
	serve(h, REQ("HEAD", "/metrics"), "HTTP/1.1 200", buf);
	assert_null(strstr(buf, "ctsweep_x 7"));
	serve(h, "GET /healthz HTTP/1.0\r\n\r\n", "HTTP/1.1 200", buf);
	assert_non_null(strstr(buf, "\r\n\r\nok\n"));

	publish(h, false);
	serve(h, REQ("GET", "/healthz"), "HTTP/1.1 503", buf);
	assert_non_null(strstr(buf, "unhealthy: cannot read the rules: "
			       "Permission denied\n"));

	serve(h, REQ("GET", "/metricsx"), "HTTP/1.1 404", buf);
	serve(h, REQ("GET", "/metrics?x=1"), "HTTP/1.1 200", buf);
	serve(h, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
	      "\r\nhello", "HTTP/1.1 405", buf);
	serve(h, REQ("DELETE", "/healthz"), "HTTP/1.1 405", buf);
	/* broken requests: an error status or nothing, never a crash */
	serve(h, "GET\r\n\r\n", NULL, buf);
	assert_null(strstr(buf, " 200 "));
	serve(h, "", NULL, buf);
	assert_string_equal(buf, "");
	httpd_close(h);
}

/* A free loopback port: bound to 0, read back, let go.  0 when loopback
 * cannot be reached (a package build in a network namespace whose lo is
 * down). */
static unsigned int free_port(void)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), c = -1;
	unsigned int port = 0;

	assert_true(s >= 0);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 1) ||
	    getsockname(s, (struct sockaddr *)&a, &len))
		goto out;
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c >= 0 && !connect(c, (struct sockaddr *)&a, sizeof(a)))
		port = ntohs(a.sin_port);
out:
	if (c >= 0)
		close(c);
	close(s);
	return port;
}

static int dial(unsigned int port)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int s = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(s >= 0);
	if (connect(s, (struct sockaddr *)&a, sizeof(a))) {
		close(s);
		return -1;
	}
	return s;
}

/* GET @path over TCP; the answer into @buf, or "" when refused. */
static void get(unsigned int port, const char *path, char *buf, size_t len)
{
	char req[128];
	int s = dial(port);

	buf[0] = '\0';
	if (s < 0)
		return;
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n"
		 "Connection: close\r\n\r\n", path);
	if (write(s, req, strlen(req)) == (ssize_t)strlen(req))
		read_all(s, buf, len);
	close(s);
}

static void test_thread(void **state)
{
	enum { IDLE = 24 };
	char addr[32], buf[4096];
	int idle[IDLE], i, tries;
	unsigned int port;
	struct httpd *h;

	(void)state;
	port = free_port();
	if (!port)
		skip();
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
	assert_int_equal(httpd_open(&h, addr), 0);
	assert_int_equal(httpd_port(h), port);
	assert_int_equal(httpd_start(h), 0);
	publish(h, true);
	get(port, "/healthz", buf, sizeof(buf));
	assert_status(buf, "HTTP/1.1 200");

	/* More idle clients than slots, each with half a request line. */
	for (i = 0; i < IDLE; i++) {
		idle[i] = dial(port);
		if (idle[i] >= 0 && write(idle[i], "GET /met", 8) != 8)
			fail_msg("write");
	}
	/* The loop's side goes on regardless (it would hang here if a
	 * client could hold the snapshot's lock). */
	for (i = 0; i < 1000; i++)
		publish(h, i % 2);
	/* Once they time out, the server answers again. */
	for (tries = 0; tries < 300; tries++) {
		get(port, "/metrics", buf, sizeof(buf));
		if (buf[0])
			break;
		usleep(100000);
	}
	assert_status(buf, "HTTP/1.1 200");
	assert_non_null(strstr(buf, "ctsweep_x 7\n"));
	for (i = 0; i < IDLE; i++)
		if (idle[i] >= 0)
			close(idle[i]);
	httpd_close(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_health),
		cmocka_unit_test(test_serve),
		cmocka_unit_test(test_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
