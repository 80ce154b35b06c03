/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * httpd.h - watch's /metrics and /healthz (libmicrohttpd), for a
 * Prometheus scrape and a kubelet liveness probe.
 *
 * The server runs in libmicrohttpd's own thread and never touches the
 * daemon's state: the reaction loop publishes a snapshot (the metrics
 * text and the few facts health is judged on) under a mutex held only for
 * a pointer swap, and a request copies what it needs under the same
 * mutex.  A slow or hostile client can therefore hold a connection slot
 * (bounded in number and time), never the loop.
 */
#ifndef CTSWEEP_HTTPD_H
#define CTSWEEP_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* The loop publishes at least this often (a timer), so that a loop that
 * stopped turning shows as a stale tick. */
#define HTTPD_TICK_MS		1000
/* /healthz fails once the loop has not published for this long (unless
 * the snapshot says otherwise).  A full pass over 1M flows takes a few
 * seconds; this is far beyond any pass. */
#define HTTPD_STALL_US		(60 * 1000000ull)

/* What /healthz is judged on, as the loop last saw it. */
struct httpd_state {
	uint64_t tick_us;	/* mono_us() of this snapshot */
	uint64_t stall_us;	/* the bound on the next one; 0: HTTPD_STALL_US */
	bool lost;		/* notifications or events lost, and no pass
				 * has completed since */
	int err;		/* the last pass failed: -errno; 0: it did not */
	bool deleting;		/* it failed deleting, not reading */
	char failed[64];	/* what it could not read ("nftables rules") */
};

struct httpd;

/* Parse "IP:PORT" (IPv4 "127.0.0.1:10259", IPv6 "[::1]:10259") into
 * @ss.  0, or -EINVAL. */
int httpd_parse_addr(const char *s, struct sockaddr_storage *ss,
		     socklen_t *len);

/* Bind and listen on @addr (httpd_parse_addr()), no thread yet: done
 * before the privilege drop, so any port can be bound, while the thread
 * httpd_start() makes runs with the dropped set only.  0 or -errno. */
int httpd_open(struct httpd **h, const char *addr);
/* The same without a listen socket or thread: httpd_serve() feeds it
 * connections one at a time (the fuzzer, the unit tests). */
int httpd_open_unlistened(struct httpd **h);
/* The port bound (network byte order is not used: host order), or 0. */
unsigned int httpd_port(const struct httpd *h);
/* Start serving in libmicrohttpd's thread.  0 or -errno. */
int httpd_start(struct httpd *h);
/* Answer the requests on the connected socket @fd until the peer is done
 * (an unlistened server only); @fd is the server's afterwards and closed.
 * 0 or -errno. */
int httpd_serve(struct httpd *h, int fd);

/* Replace the snapshot: @st and the metrics text @metrics (malloc()ed,
 * @len bytes), which the server owns from now on. */
void httpd_publish(struct httpd *h, const struct httpd_state *st,
		   char *metrics, size_t len);

/* Stop the thread, close the socket, free.  NULL is fine. */
void httpd_close(struct httpd *h);

/* Pure: is the daemon healthy at @now (mono_us())?  When not, why: one
 * line into @why. */
bool httpd_healthy(const struct httpd_state *st, uint64_t now, char *why,
		   size_t len);

#endif
