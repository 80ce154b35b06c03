// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_http - watch's /metrics and /healthz as a client reaches them: the
 * input is the raw bytes of one connection (request line, headers, a body
 * or garbage), written into a socketpair whose other end
 * httpd_serve() hands to libmicrohttpd with the server's own limits and
 * handler; the answer is read back and thrown away.  The same input also
 * goes through --listen's address parser.
 */
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
#include "fuzz.h"
#include "clock.h"
#include "httpd.h"

static struct httpd *fuzz_http_server(void)
{
	static struct httpd *h;
	struct httpd_state st = { 0 };
	char *text;

	if (h)
		return h;
	if (httpd_open_unlistened(&h))
		abort();
	text = strdup("# TYPE ctsweep_errors_total counter\n"
		      "ctsweep_errors_total 0\n");
	st.tick_us = mono_us();
	if (text)
		httpd_publish(h, &st, text, strlen(text));
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct httpd *h = fuzz_http_server();
	struct sockaddr_storage ss;
	char buf[4096], *addr;
	socklen_t len;
	int sv[2];

	addr = strndup((const char *)data, size < 128 ? size : 128);
	if (addr) {
		httpd_parse_addr(addr, &ss, &len);
		free(addr);
	}
	/* more than a socketpair holds would block the write: cut */
	if (size > 65536)
		size = 65536;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return 0;
	if (size && write(sv[0], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	shutdown(sv[0], SHUT_WR);
	httpd_serve(h, sv[1]);
	while (recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	close(sv[0]);
	return 0;
}
