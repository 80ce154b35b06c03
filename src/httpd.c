// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * httpd.c - /metrics and /healthz over libmicrohttpd (see httpd.h).
 *
 * The limits are what keeps a client from costing more than a slot: a few
 * connections at once, each cut off after a few idle seconds, small
 * request buffers, GET and HEAD only, nothing read from a request body.
 * libmicrohttpd's thread is made after watch dropped its capabilities
 * (capabilities are per thread, and a new thread inherits its maker's),
 * while the socket was bound before, so a port below 1024 needs nothing
 * the daemon keeps.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <microhttpd.h>
#include "clock.h"
#include "httpd.h"

#define CONN_LIMIT	16	/* connections at once */
#define CONN_TIMEOUT_S	5	/* idle this long: closed */
#define CONN_MEMORY	16384	/* per connection: request line, headers */
#define SERVE_ROUNDS	256	/* httpd_serve(): MHD_run() at most */

struct httpd {
	int lfd;		/* -1: unlistened, or handed to MHD */
	struct MHD_Daemon *d;
	pthread_mutex_t mu;
	struct httpd_state st;	/* under mu */
	char *metrics;		/* under mu */
	size_t mlen;
};

static const char metrics_type[] = "text/plain; version=0.0.4; charset=utf-8";

/* ---- addresses ---------------------------------------------------------- */

static int parse_port(const char *s, in_port_t *port)
{
	unsigned long v = 0;
	const char *p;

	if (!*s || strlen(s) > 5)
		return -EINVAL;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v == 0 || v > 65535)
		return -EINVAL;
	*port = htons((uint16_t)v);
	return 0;
}

int httpd_parse_addr(const char *s, struct sockaddr_storage *ss,
		     socklen_t *len)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	bool v6 = s[0] == '[';
	const char *end, *port;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	if (v6) {
		s++;
		end = strstr(s, "]:");
		port = end ? end + 2 : NULL;
	} else {
		end = strrchr(s, ':');
		port = end ? end + 1 : NULL;
	}
	if (!end)
		return -EINVAL;
	n = (size_t)(end - s);
	if (n == 0 || n >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	if (!v6 && inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		*len = sizeof(*a4);
		return parse_port(port, &a4->sin_port);
	}
	if (v6 && inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		*len = sizeof(*a6);
		return parse_port(port, &a6->sin6_port);
	}
	return -EINVAL;
}

/* ---- health ------------------------------------------------------------- */

bool httpd_healthy(const struct httpd_state *st, uint64_t now, char *why,
		   size_t len)
{
	uint64_t bound = st->stall_us ? st->stall_us : HTTPD_STALL_US;

	if (!st->tick_us) {
		snprintf(why, len, "not started yet");
		return false;
	}
	if (now > st->tick_us && now - st->tick_us > bound) {
		snprintf(why, len, "the reaction loop has not run for %llu s "
			 "(bound %llu s)",
			 (unsigned long long)((now - st->tick_us) / 1000000),
			 (unsigned long long)(bound / 1000000));
		return false;
	}
	if (st->lost) {
		snprintf(why, len, "notifications or conntrack events were "
			 "lost and no resync has completed since");
		return false;
	}
	if (st->err) {
		const char *err = strerror(st->err < 0 ? -st->err : st->err);

		/* Not "cannot read" after a delete: the rules were read, and
		 * some of the stale flows may be gone already. */
		if (st->deleting)
			snprintf(why, len, "deleting stale flows from "
				 "conntrack failed: %s", err);
		else
			snprintf(why, len, "cannot read %.*s: %s",
				 (int)sizeof(st->failed), st->failed[0] ?
				 st->failed : "the kernel state", err);
		return false;
	}
	snprintf(why, len, "ok");
	return true;
}

/* ---- requests ----------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status,
			     const char *type, char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) !=
	    MHD_YES ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
				    "no-store") != MHD_YES) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *c,
				  unsigned int status, const char *text)
{
	char *body = strdup(text);

	if (!body)
		return MHD_NO;
	return reply(c, status, "text/plain; charset=utf-8", body,
		     strlen(body));
}

static enum MHD_Result metrics(struct httpd *h, struct MHD_Connection *c)
{
	char *body;
	size_t len;

	pthread_mutex_lock(&h->mu);
	len = h->mlen;
	body = malloc(len ? len : 1);
	if (body && len)
		memcpy(body, h->metrics, len);
	pthread_mutex_unlock(&h->mu);
	if (!body)
		return MHD_NO;
	return reply(c, MHD_HTTP_OK, metrics_type, body, len);
}

static enum MHD_Result healthz(struct httpd *h, struct MHD_Connection *c)
{
	struct httpd_state st;
	char why[192], text[224];
	bool ok;

	pthread_mutex_lock(&h->mu);
	st = h->st;
	pthread_mutex_unlock(&h->mu);
	ok = httpd_healthy(&st, mono_us(), why, sizeof(why));
	snprintf(text, sizeof(text), "%s%s\n", ok ? "" : "unhealthy: ", why);
	return reply_text(c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
			  text);
}

/* One call per request, on its first: a body, if any, is never read (the
 * answer to anything but GET and HEAD is 405, and MHD closes). */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_len, void **req)
{
	struct httpd *h = cls;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)req;
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "only GET and HEAD\n");
	if (!strcmp(url, "/metrics"))
		return metrics(h, c);
	if (!strcmp(url, "/healthz"))
		return healthz(h, c);
	return reply_text(c, MHD_HTTP_NOT_FOUND,
			  "not found: /metrics and /healthz are served\n");
}

/* ---- the server ----------------------------------------------------------- */

static int alloc(struct httpd **hp)
{
	struct httpd *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->lfd = -1;
	if (pthread_mutex_init(&h->mu, NULL)) {
		free(h);
		return -ENOMEM;
	}
	*hp = h;
	return 0;
}

static int listen_on(const char *addr, int *fd)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, s, e;

	if (httpd_parse_addr(addr, &ss, &len))
		return -EINVAL;
	s = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		   0);
	if (s < 0)
		return -errno;
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (ss.ss_family == AF_INET6 &&
	     setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    bind(s, (struct sockaddr *)&ss, len) || listen(s, CONN_LIMIT)) {
		e = -errno;
		close(s);
		return e;
	}
	*fd = s;
	return 0;
}

int httpd_open(struct httpd **hp, const char *addr)
{
	int ret = alloc(hp);

	if (ret)
		return ret;
	ret = listen_on(addr, &(*hp)->lfd);
	if (ret) {
		httpd_close(*hp);
		*hp = NULL;
	}
	return ret;
}

unsigned int httpd_port(const struct httpd *h)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (h->lfd < 0 || getsockname(h->lfd, (struct sockaddr *)&ss, &len))
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static struct MHD_Daemon *start(struct httpd *h, unsigned int flags)
{
	struct MHD_OptionItem opts[] = {
		{ MHD_OPTION_CONNECTION_LIMIT, CONN_LIMIT, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, CONN_TIMEOUT_S, NULL },
		{ MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONN_MEMORY, NULL },
		/* last: left out when there is no socket */
		{ MHD_OPTION_LISTEN_SOCKET, h->lfd, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};

	if (h->lfd < 0)
		opts[3].option = MHD_OPTION_END;
	return MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
				MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
}

int httpd_start(struct httpd *h)
{
	if (h->lfd < 0 || h->d)
		return -EINVAL;
	h->d = start(h, MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL);
	return h->d ? 0 : -EIO;
}

int httpd_open_unlistened(struct httpd **hp)
{
	int ret = alloc(hp);

	if (ret)
		return ret;
	(*hp)->d = start(*hp, MHD_USE_NO_LISTEN_SOCKET);
	if (!(*hp)->d) {
		httpd_close(*hp);
		*hp = NULL;
		return -EIO;
	}
	return 0;
}

static unsigned int connections(struct httpd *h)
{
	const union MHD_DaemonInfo *i;

	i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	return i ? i->num_connections : 0;
}

int httpd_serve(struct httpd *h, int fd)
{
	struct sockaddr_in peer = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int rounds;

	if (!h->d || h->lfd >= 0) {
		close(fd);
		return -EINVAL;
	}
	if (MHD_add_connection(h->d, fd, (struct sockaddr *)&peer,
			       sizeof(peer)) != MHD_YES)
		return -EIO;	/* MHD closed it */
	for (rounds = 0; rounds < SERVE_ROUNDS && connections(h); rounds++)
		if (MHD_run(h->d) != MHD_YES)
			return -EIO;
	return connections(h) ? -ETIMEDOUT : 0;
}

void httpd_publish(struct httpd *h, const struct httpd_state *st,
		   char *text, size_t len)
{
	char *old;

	pthread_mutex_lock(&h->mu);
	h->st = *st;
	old = h->metrics;
	h->metrics = text;
	h->mlen = len;
	pthread_mutex_unlock(&h->mu);
	free(old);
}

void httpd_close(struct httpd *h)
{
	if (!h)
		return;
	/* MHD closes the listen socket it was given */
	if (h->d)
		MHD_stop_daemon(h->d);
	else if (h->lfd >= 0)
		close(h->lfd);
	pthread_mutex_destroy(&h->mu);
	free(h->metrics);
	free(h);
}
