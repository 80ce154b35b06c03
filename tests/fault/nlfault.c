// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nlfault.c - an LD_PRELOAD shim that injects faults into a program's
 * netlink traffic, for tests/netns/30-faults.sh.
 *
 * It wraps socket, send, sendto, sendmsg, recv, recvfrom, recvmsg and close
 * on AF_NETLINK sockets, remembers for each socket what its last request
 * was (a class, below), and applies the rules of $NLFAULT.  It also wraps
 * getsockopt, for the iptables-legacy reads (libiptc's and ctsweep's own
 * fingerprint), which are no netlink at all:
 *
 *   NLFAULT="RULE[,RULE...]"   RULE = OP[=ARG][@CLASS][#N[+]]
 *
 * The rule fires on the N-th matching event (default 1), or on that one
 * and every later one with "+".  Events are socket() calls for "socket",
 * send calls for "send" and "exec", receive calls for the others.
 *
 *   socket=ERR    socket() fails with ERR (EPERM, EACCES, ENOMEM, ...)
 *   send=ERR      the send fails with ERR; nothing reaches the kernel
 *   recv=ERR      the receive fails with ERR; the data stays queued
 *   empty         the receive returns 0 bytes
 *   truncate      the datagram is cut in the middle of its last message
 *   corrupt       the first message answering the request gets an
 *                 attribute longer than the message
 *   intr          every message of the datagram gets NLM_F_DUMP_INTR
 *   eof[=K]       dump cut short: keep the first K messages answering the
 *                 request (default 0), then a fake NLMSG_DONE; the rest of
 *                 the dump is read from the socket and thrown away, so
 *                 the program cannot see it (the worst case)
 *   doneerr=ERR   as eof, but the DONE carries -ERR, as the kernel's does
 *                 when a dump fails midway
 *   errmsg=ERR    as eof, but the dump ends in an NLMSG_ERROR with -ERR
 *   exec          run $NLFAULT_EXEC with system() before the request
 *                 is sent (inside the program's network namespace): the
 *                 world changes under the program's feet
 *   getsockopt=ERR  an x_tables getsockopt fails with ERR, as the kernel's
 *                 does with EAGAIN when the table was replaced between
 *                 GET_INFO and GET_ENTRIES
 *   stall=MS      a poll() that only looks (timeout 0) first sleeps MS
 *                 milliseconds: watch's look for a waiting rule change
 *                 between two parts of a whole pass, so a test can make
 *                 a change arrive while a pass is under way
 *
 * ERR is an errno name (ENOBUFS) or number.  CLASS, matched as a prefix
 * ("nft" matches every nftables request, "any" everything):
 *   nft-gen nft-table nft-chain nft-set nft-elem nft-rule nft-other
 *   ct-dump ct-del ct-new ct-other
 *   route-link route-addr route-route route-other
 * For "socket" the class is the protocol: nft and ct (NETLINK_NETFILTER
 * both), route.  For "getsockopt": xt4-info xt4-entries xt6-info
 * xt6-entries (IPT_SO_GET_INFO / _ENTRIES, IPv4 and IPv6).  For "stall":
 * poll.
 *
 * With $NLFAULT_ARM set, rules fire (and count events) only while the file
 * it names exists, so a test can switch a fault on and off while the
 * program runs.
 *
 * Every fired fault is logged to stderr as "nlfault: ..." and, when
 * $NLFAULT_LOG names a file, appended there, so a test can tell that the
 * fault really happened.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <poll.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#define MAX_RULES	16
#define MAX_FD		4096

enum op {
	OP_SOCKET, OP_SEND, OP_RECV, OP_EMPTY, OP_TRUNCATE, OP_CORRUPT,
	OP_INTR, OP_EOF, OP_DONEERR, OP_ERRMSG, OP_EXEC, OP_GETSOCKOPT,
	OP_STALL,
};

static const char *const op_names[] = {
	"socket", "send", "recv", "empty", "truncate", "corrupt", "intr",
	"eof", "doneerr", "errmsg", "exec", "getsockopt", "stall",
};

struct rule {
	enum op op;
	int arg;
	char cls[32];
	unsigned int nth;
	bool and_later;
	unsigned int seen;
};

struct fdstate {
	bool netlink;
	int proto;
	char cls[32];
	uint32_t seq;		/* of the last request */
};

static struct rule rules[MAX_RULES];
static unsigned int nrules;
static struct fdstate fds[MAX_FD];
static bool inited;

static int (*real_socket)(int, int, int);
static ssize_t (*real_send)(int, const void *, size_t, int);
static ssize_t (*real_sendto)(int, const void *, size_t, int,
			      const struct sockaddr *, socklen_t);
static ssize_t (*real_sendmsg)(int, const struct msghdr *, int);
static ssize_t (*real_recv)(int, void *, size_t, int);
static ssize_t (*real_recvfrom)(int, void *, size_t, int, struct sockaddr *,
				socklen_t *);
static ssize_t (*real_recvmsg)(int, struct msghdr *, int);
static int (*real_close)(int);
static int (*real_getsockopt)(int, int, int, void *, socklen_t *);
static int (*real_poll)(struct pollfd *, nfds_t, int);

static void note(const char *fmt, ...)
{
	char line[512];
	const char *log = getenv("NLFAULT_LOG");
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	fprintf(stderr, "nlfault: %s\n", line);
	if (log) {
		FILE *f = fopen(log, "a");

		if (f) {
			fprintf(f, "%s\n", line);
			fclose(f);
		}
	}
}

static int parse_errno(const char *s)
{
	static const struct { const char *n; int v; } names[] = {
		{ "EPERM", EPERM }, { "EACCES", EACCES }, { "ENOBUFS", ENOBUFS },
		{ "EINTR", EINTR }, { "ENOMEM", ENOMEM }, { "EBUSY", EBUSY },
		{ "ENOENT", ENOENT }, { "EAGAIN", EAGAIN }, { "EIO", EIO },
		{ "EINVAL", EINVAL }, { "EOPNOTSUPP", EOPNOTSUPP },
		{ "EMSGSIZE", EMSGSIZE }, { "ENOSPC", ENOSPC },
		{ "EPROTONOSUPPORT", EPROTONOSUPPORT },
		{ "ECONNREFUSED", ECONNREFUSED }, { "ETIMEDOUT", ETIMEDOUT },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].n))
			return names[i].v;
	return atoi(s);
}

static void parse_rules(void)
{
	const char *env = getenv("NLFAULT");
	char buf[1024], *save = NULL, *tok;

	if (!env)
		return;
	snprintf(buf, sizeof(buf), "%s", env);
	for (tok = strtok_r(buf, ",;", &save); tok && nrules < MAX_RULES;
	     tok = strtok_r(NULL, ",;", &save)) {
		struct rule *r = &rules[nrules];
		char *at = strchr(tok, '@'), *hash = strchr(tok, '#'), *eq;
		size_t i;

		memset(r, 0, sizeof(*r));
		r->nth = 1;
		snprintf(r->cls, sizeof(r->cls), "any");
		if (hash) {
			*hash++ = 0;
			r->nth = strtoul(hash, NULL, 10);
			r->and_later = strchr(hash, '+') != NULL;
		}
		if (at) {
			*at++ = 0;
			snprintf(r->cls, sizeof(r->cls), "%s", at);
		}
		eq = strchr(tok, '=');
		if (eq)
			*eq++ = 0;
		for (i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
			if (!strcmp(tok, op_names[i]))
				break;
		if (i == sizeof(op_names) / sizeof(op_names[0])) {
			note("unknown operation '%s' in NLFAULT", tok);
			continue;
		}
		r->op = i;
		r->arg = eq ? (i == OP_EOF || i == OP_STALL ? atoi(eq) :
			       parse_errno(eq)) : 0;
		nrules++;
	}
}

static void init(void)
{
	if (inited)
		return;
	inited = true;
	real_socket = dlsym(RTLD_NEXT, "socket");
	real_send = dlsym(RTLD_NEXT, "send");
	real_sendto = dlsym(RTLD_NEXT, "sendto");
	real_sendmsg = dlsym(RTLD_NEXT, "sendmsg");
	real_recv = dlsym(RTLD_NEXT, "recv");
	real_recvfrom = dlsym(RTLD_NEXT, "recvfrom");
	real_recvmsg = dlsym(RTLD_NEXT, "recvmsg");
	real_close = dlsym(RTLD_NEXT, "close");
	real_getsockopt = dlsym(RTLD_NEXT, "getsockopt");
	real_poll = dlsym(RTLD_NEXT, "poll");
	parse_rules();
}

static bool cls_match(const char *want, const char *have)
{
	return !strcmp(want, "any") || !strncmp(have, want, strlen(want));
}

/* $NLFAULT_ARM unset, or the file it names exists. */
static bool armed(void)
{
	const char *arm = getenv("NLFAULT_ARM");

	return !arm || !access(arm, F_OK);
}

/* The rule of operation in @ops (bitmask) that fires on this event. */
static struct rule *fire(unsigned int ops, const char *cls)
{
	struct rule *hit = NULL;
	unsigned int i;

	if (!armed())
		return NULL;
	for (i = 0; i < nrules; i++) {
		struct rule *r = &rules[i];

		if (!(ops & (1u << r->op)) || !cls_match(r->cls, cls))
			continue;
		r->seen++;
		if (!hit && (r->seen == r->nth ||
			     (r->and_later && r->seen > r->nth)))
			hit = r;
	}
	return hit;
}

static struct fdstate *nlfd(int fd)
{
	if (fd < 0 || fd >= MAX_FD || !fds[fd].netlink)
		return NULL;
	return &fds[fd];
}

static void classify(struct fdstate *s, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	unsigned int type, sub, msg;
	const char *c = "other";

	if (len < sizeof(*nlh))
		return;
	s->seq = nlh->nlmsg_seq;
	type = nlh->nlmsg_type;
	if (s->proto == NETLINK_ROUTE) {
		switch (type) {
		case RTM_GETLINK: c = "route-link"; break;
		case RTM_GETADDR: c = "route-addr"; break;
		case RTM_GETROUTE: c = "route-route"; break;
		default: c = "route-other"; break;
		}
		snprintf(s->cls, sizeof(s->cls), "%s", c);
		return;
	}
	sub = type >> 8;
	msg = type & 0xff;
	if (sub == 10) {	/* NFNL_SUBSYS_NFTABLES */
		switch (msg) {
		case 16: c = "nft-gen"; break;		/* GETGEN */
		case 1: c = "nft-table"; break;
		case 4: c = "nft-chain"; break;
		case 10: c = "nft-set"; break;
		case 13: c = "nft-elem"; break;
		case 7: c = "nft-rule"; break;
		default: c = "nft-other"; break;
		}
	} else if (sub == 1) {	/* NFNL_SUBSYS_CTNETLINK */
		switch (msg) {
		case 1: c = "ct-dump"; break;		/* IPCTNL_MSG_CT_GET */
		case 2: c = "ct-del"; break;
		case 0: c = "ct-new"; break;
		default: c = "ct-other"; break;
		}
	} else if (type == NLMSG_DONE || type < NLMSG_MIN_TYPE) {
		return;
	} else {
		c = "nfnl-other";
	}
	snprintf(s->cls, sizeof(s->cls), "%s", c);
}

/* ---- socket and send ---------------------------------------------------- */

int socket(int domain, int type, int protocol)
{
	int fd;

	init();
	if (domain == AF_NETLINK) {
		const char *cls = protocol == NETLINK_ROUTE ? "route" :
				  protocol == NETLINK_NETFILTER ? "nft/ct" :
				  "other";
		struct rule *r = NULL;
		unsigned int i;

		/* "nft" and "ct" both mean NETLINK_NETFILTER here */
		for (i = 0; i < nrules && !r && armed(); i++) {
			struct rule *q = &rules[i];
			bool m = q->op == OP_SOCKET &&
				 (!strcmp(q->cls, "any") ||
				  (protocol == NETLINK_ROUTE &&
				   !strncmp(q->cls, "route", 5)) ||
				  (protocol == NETLINK_NETFILTER &&
				   (!strncmp(q->cls, "nft", 3) ||
				    !strncmp(q->cls, "ct", 2))));

			if (!m)
				continue;
			q->seen++;
			if (q->seen == q->nth ||
			    (q->and_later && q->seen > q->nth))
				r = q;
		}
		if (r) {
			note("socket(AF_NETLINK, %s) -> %s", cls,
			     strerror(r->arg));
			errno = r->arg;
			return -1;
		}
	}
	fd = real_socket(domain, type, protocol);
	if (fd >= 0 && fd < MAX_FD) {
		memset(&fds[fd], 0, sizeof(fds[fd]));
		fds[fd].netlink = domain == AF_NETLINK;
		fds[fd].proto = protocol;
		snprintf(fds[fd].cls, sizeof(fds[fd].cls), "none");
	}
	return fd;
}

int close(int fd)
{
	init();
	if (fd >= 0 && fd < MAX_FD)
		fds[fd].netlink = false;
	return real_close(fd);
}

/* Before a request goes out: classify it, run exec, inject send errors.
 * Returns 0 to send, else -1 with errno set. */
static int before_send(int fd, const void *buf, size_t len)
{
	struct fdstate *s = nlfd(fd);
	struct rule *r;

	if (!s)
		return 0;
	classify(s, buf, len);
	r = fire(1u << OP_EXEC | 1u << OP_SEND, s->cls);
	if (!r)
		return 0;
	if (r->op == OP_EXEC) {
		const char *cmd = getenv("NLFAULT_EXEC");
		char *saved = getenv("LD_PRELOAD");
		int rc = -1;

		/* the command must not run under the shim itself: its own
		 * requests would fire the rule again, and again ... */
		if (saved)
			saved = strdup(saved);
		unsetenv("LD_PRELOAD");
		if (cmd)
			rc = system(cmd);
		if (saved) {
			setenv("LD_PRELOAD", saved, 1);
			free(saved);
		}

		note("exec before %s request: '%s' -> %d", s->cls,
		     cmd ? cmd : "(NLFAULT_EXEC unset)", rc);
		return 0;
	}
	note("send of %s request -> %s", s->cls, strerror(r->arg));
	errno = r->arg;
	return -1;
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	init();
	if (before_send(fd, buf, len))
		return -1;
	return real_send(fd, buf, len, flags);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags,
	       const struct sockaddr *to, socklen_t tolen)
{
	init();
	if (before_send(fd, buf, len))
		return -1;
	return real_sendto(fd, buf, len, flags, to, tolen);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	init();
	if (msg->msg_iovlen >= 1 &&
	    before_send(fd, msg->msg_iov[0].iov_base, msg->msg_iov[0].iov_len))
		return -1;
	return real_sendmsg(fd, msg, flags);
}

/* ---- x_tables reads ----------------------------------------------------- */

/* IPT_SO_GET_INFO and IPT_SO_GET_ENTRIES (IPT_BASE_CTL + 0, + 1); ip6t's
 * have the same numbers on SOL_IPV6. */
#define XT_GET_INFO	64
#define XT_GET_ENTRIES	65

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	const char *cls = NULL;
	struct rule *r;

	init();
	if ((level == 0 /* SOL_IP */ || level == 41 /* SOL_IPV6 */) &&
	    (name == XT_GET_INFO || name == XT_GET_ENTRIES))
		cls = level == 0 ? (name == XT_GET_INFO ? "xt4-info" :
				    "xt4-entries") :
				   (name == XT_GET_INFO ? "xt6-info" :
				    "xt6-entries");
	r = cls ? fire(1u << OP_GETSOCKOPT, cls) : NULL;
	if (r) {
		note("getsockopt %s -> %s", cls, strerror(r->arg));
		errno = r->arg;
		return -1;
	}
	return real_getsockopt(fd, level, name, val, len);
}

/* ---- receive ------------------------------------------------------------ */

/* Does @buf hold the end (DONE or ERROR) of request @seq? */
static bool has_end(const char *buf, size_t len, uint32_t seq)
{
	const struct nlmsghdr *nlh = (const void *)buf;
	int rem = (int)len;

	for (; NLMSG_OK(nlh, rem); nlh = NLMSG_NEXT(nlh, rem))
		if (nlh->nlmsg_seq == seq &&
		    (nlh->nlmsg_type == NLMSG_DONE ||
		     nlh->nlmsg_type == NLMSG_ERROR ||
		     !(nlh->nlmsg_flags & NLM_F_MULTI)))
			return true;
	return false;
}

/* Throw away the rest of request @seq's answer. */
static void swallow(int fd, uint32_t seq)
{
	static char junk[1 << 20];
	unsigned int n = 0;

	for (;;) {
		ssize_t len = real_recv(fd, junk, sizeof(junk), 0);

		if (len <= 0) {
			if (len < 0 && errno == EINTR)
				continue;
			break;
		}
		n++;
		if (has_end(junk, len, seq))
			break;
	}
	note("swallowed %u more datagrams of the dump", n);
}

/* Apply a receive-side rule to the datagram in @buf (@len bytes of
 * @size); returns the new length. */
static ssize_t mangle(int fd, struct fdstate *s, struct rule *r, char *buf,
		      ssize_t len, size_t size)
{
	struct nlmsghdr *nlh = (void *)buf, *first = NULL, *cut = NULL;
	int rem = (int)len, kept = 0;
	bool ended = has_end(buf, len, s->seq);
	size_t at;

	for (; NLMSG_OK(nlh, rem); nlh = NLMSG_NEXT(nlh, rem)) {
		if (nlh->nlmsg_seq != s->seq)
			continue;
		if (!first)
			first = nlh;
		if (!cut && (kept >= r->arg || r->op != OP_EOF ||
			     nlh->nlmsg_type == NLMSG_DONE ||
			     nlh->nlmsg_type == NLMSG_ERROR))
			cut = nlh;
		if (!cut)
			kept++;
	}
	switch (r->op) {
	case OP_TRUNCATE: {
		/* the last message loses its second half */
		struct nlmsghdr *last = NULL;

		nlh = (void *)buf;
		rem = (int)len;
		for (; NLMSG_OK(nlh, rem); nlh = NLMSG_NEXT(nlh, rem))
			last = nlh;
		if (!last)
			return len / 2;
		at = (char *)last - buf + last->nlmsg_len / 2;
		note("%s reply truncated from %zd to %zu bytes", s->cls, len,
		     at);
		return at;
	}
	case OP_CORRUPT:
		if (first && first->nlmsg_len >= NLMSG_HDRLEN + 8) {
			/* the attribute after a 4-byte family header (nfnetlink)
			 * or the start of the payload: make it overrun */
			size_t off = NLMSG_HDRLEN + 4;	/* nfgenmsg */

			if (!strcmp(s->cls, "route-link"))
				off = NLMSG_HDRLEN + 16;	/* ifinfomsg */
			else if (!strcmp(s->cls, "route-addr"))
				off = NLMSG_HDRLEN + 8;		/* ifaddrmsg */
			else if (!strcmp(s->cls, "route-route"))
				off = NLMSG_HDRLEN + 12;	/* rtmsg */
			struct nlattr *a = (void *)((char *)first + off);

			if (first->nlmsg_len >= off + sizeof(*a)) {
				a->nla_len = 0xfff0;
				note("%s reply: first attribute of message "
				     "type %u corrupted", s->cls,
				     first->nlmsg_type);
				return len;
			}
		}
		note("%s reply: nothing to corrupt", s->cls);
		return len;
	case OP_INTR:
		nlh = (void *)buf;
		rem = (int)len;
		for (; NLMSG_OK(nlh, rem); nlh = NLMSG_NEXT(nlh, rem))
			nlh->nlmsg_flags |= NLM_F_DUMP_INTR;
		note("%s reply: NLM_F_DUMP_INTR set", s->cls);
		return len;
	case OP_EOF:
	case OP_DONEERR:
	case OP_ERRMSG: {
		struct nlmsghdr *end;
		uint32_t pid = first ? first->nlmsg_pid : 0;

		at = cut ? (size_t)((char *)cut - buf) :
		     (size_t)(len - rem);
		if (at + NLMSG_SPACE(sizeof(struct nlmsgerr)) > size)
			return len;	/* no room: leave it */
		end = (void *)(buf + at);
		memset(end, 0, NLMSG_SPACE(sizeof(struct nlmsgerr)));
		end->nlmsg_seq = s->seq;
		end->nlmsg_pid = pid;
		if (r->op == OP_ERRMSG) {
			struct nlmsgerr *e = NLMSG_DATA(end);

			end->nlmsg_type = NLMSG_ERROR;
			end->nlmsg_len = NLMSG_LENGTH(sizeof(*e));
			e->error = -r->arg;
			e->msg.nlmsg_seq = s->seq;
		} else {
			end->nlmsg_type = NLMSG_DONE;
			end->nlmsg_flags = NLM_F_MULTI;
			end->nlmsg_len = NLMSG_LENGTH(sizeof(int));
			*(int *)NLMSG_DATA(end) = r->op == OP_DONEERR ?
						  -r->arg : 0;
		}
		note("%s dump cut short after %d messages: fake %s%s%s",
		     s->cls, kept, r->op == OP_ERRMSG ? "NLMSG_ERROR" :
		     "NLMSG_DONE", r->arg && r->op != OP_EOF ? " with " : "",
		     r->arg && r->op != OP_EOF ? strerror(r->arg) : "");
		if (!ended)
			swallow(fd, s->seq);
		return at + NLMSG_ALIGN(end->nlmsg_len);
	}
	default:
		return len;
	}
}

/* Before a receive: may fail it, then true with what to return in *@ret.
 * After: may mangle it (*@out). */
static bool before_recv(int fd, struct rule **out, ssize_t *ret)
{
	struct fdstate *s;
	struct rule *r;

	init();
	s = nlfd(fd);
	*out = NULL;
	if (!s)
		return false;
	r = fire(1u << OP_RECV | 1u << OP_EMPTY | 1u << OP_TRUNCATE |
		 1u << OP_CORRUPT | 1u << OP_INTR | 1u << OP_EOF |
		 1u << OP_DONEERR | 1u << OP_ERRMSG, s->cls);
	if (!r)
		return false;
	if (r->op == OP_RECV) {
		note("receive of %s reply -> %s", s->cls, strerror(r->arg));
		errno = r->arg;
		*ret = -1;
		return true;
	}
	if (r->op == OP_EMPTY) {
		note("receive of %s reply -> 0 bytes", s->cls);
		*ret = 0;
		return true;
	}
	*out = r;
	return false;
}

/* After a receive of @n bytes into @buf (room for @len): the rule's
 * mangling, if any. */
static ssize_t after_recv(int fd, struct rule *r, void *buf, ssize_t n,
			  size_t len)
{
	return n > 0 && r ? mangle(fd, nlfd(fd), r, buf, n, len) : n;
}

/* recv(2) is recvfrom(2) without an address. */
ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	return recvfrom(fd, buf, len, flags, NULL, NULL);
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
		 struct sockaddr *from, socklen_t *fromlen)
{
	struct rule *r;
	ssize_t n;

	if (before_recv(fd, &r, &n))
		return n;
	n = real_recvfrom(fd, buf, len, flags, from, fromlen);
	return after_recv(fd, r, buf, n, len);
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct rule *r;
	ssize_t n;

	if (before_recv(fd, &r, &n))
		return n;
	n = real_recvmsg(fd, msg, flags);
	if (msg->msg_iovlen != 1)
		return n;
	return after_recv(fd, r, msg->msg_iov[0].iov_base, n,
			  msg->msg_iov[0].iov_len);
}

int poll(struct pollfd *pfd, nfds_t n, int timeout)
{
	struct rule *r;

	init();
	if (!timeout && (r = fire(1u << OP_STALL, "poll"))) {
		note("stall %d ms in a poll that only looks", r->arg);
		usleep((useconds_t)r->arg * 1000);
	}
	return real_poll(pfd, n, timeout);
}
