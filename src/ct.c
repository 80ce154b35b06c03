// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ct.c - conntrack over ctnetlink with libmnl: filtered dumps, batched
 * deletes, filtered flush, events.
 *
 * Dumps are read into one receive buffer per handle and parsed by
 * ct_parse.c (no I/O, the fuzzed half) into a struct flow on the stack.
 *
 * Kernel facts this file relies on (net/netfilter/nf_conntrack_netlink.c):
 * - A tuple filter (CTA_FILTER) needs nfgen_family AF_INET or AF_INET6, else
 *   the dump fails with EOPNOTSUPP; so "both families" is two dumps.
 * - Port flags need CTA_FILTER_F_CTA_PROTO_NUM (EINVAL otherwise), and the
 *   kernel compares ports only for TCP and UDP: for other protocols the
 *   port filter passes everything.
 * - IPv6 address filters are inverted (ctnetlink_filter_match_tuple tests
 *   !ipv6_addr_cmp(), i.e. "equal" means "skip"); we never send them.
 * - Kernels parse ctnetlink requests liberally: attributes newer than the
 *   kernel (CTA_FILTER < 5.8, CTA_STATUS_MASK < 5.15) are ignored, which
 *   widens the dump.  Widening is harmless because every flow is checked
 *   again here; narrowing wrongly is not, hence the omissions above.
 * - CTA_STATUS with a zero mask is EINVAL, so a mask of 0 sends nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "ct.h"
#include "nlattr.h"
#include "nlsock.h"

/* From the kernel's nf_internals.h; not in the uapi headers. */
#define CTF_IP_SRC	(1u << 0)
#define CTF_IP_DST	(1u << 1)
#define CTF_PROTO_NUM	(1u << 3)
#define CTF_PROTO_SPORT	(1u << 4)
#define CTF_PROTO_DPORT	(1u << 5)

#define RCV_BUF_SIZE	(256u * 1024)	/* kernel sends <= 32 KiB per skb */
#define SND_BATCH_SIZE	(128u * 1024)	/* below the default sk_sndbuf */
#define SOCK_RCVBUF	(32 * 1024 * 1024)
#define MSG_MAX		512		/* one request message, generous */

struct ct_handle {
	struct mnl_socket *nl;
	unsigned int portid;
	uint32_t seq;
	char *buf;			/* RCV_BUF_SIZE, also the send batch */
	bool events;
	bool filter_reply;		/* reply tuple filter (fixed in 5.16) */
	bool tuple_rejected;		/* kernel said EINVAL/EOPNOTSUPP */
	bool status_rejected;
	bool zone_rejected;
	struct ct_probe flush_probe;	/* flush_supported's, once */
	int kmajor, kminor;
	unsigned int del_batch;		/* deletes per datagram */
	/* an incremental dump under way (ct_dump_start) */
	bool dumping, dump_intr;
	uint32_t dump_seq;
	struct ct_filter dump_flt;
};

/* What of a filter one request asks of the kernel. */
struct kfilter {
	uint32_t orig_flags, reply_flags;
	bool status;
	bool zone;	/* dump only: 6.8+, older kernels ignore it */
};

static void kernel_version(struct ct_handle *h)
{
	struct utsname u;

	if (uname(&u) == 0 &&
	    sscanf(u.release, "%d.%d", &h->kmajor, &h->kminor) == 2)
		return;
	h->kmajor = h->kminor = 0;
}

static bool kernel_at_least(const struct ct_handle *h, int major, int minor)
{
	return h->kmajor > major || (h->kmajor == major && h->kminor >= minor);
}

/* Deletes go without NLM_F_ACK: the kernel acks only the failures.  All
 * of them must fit in the receive buffer, as nothing reads it while the
 * kernel works through a datagram; an ack costs well under 1 KiB of
 * buffer (skb truesize), and getsockopt reports twice what may be used. */
#define ACK_TRUESIZE	1024u
static unsigned int del_batch_size(struct mnl_socket *nl)
{
	int rcv = 0;
	socklen_t len = sizeof(rcv);
	unsigned int n;

	if (getsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &rcv,
		       &len) || rcv <= 0)
		return 16;
	n = (unsigned int)rcv / 2 / ACK_TRUESIZE;
	return n < 16 ? 16 : n > 4096 ? 4096 : n;
}

static int sock_open(struct ct_handle *h, unsigned int groups)
{
	int one = 1;
	int err = nlsock_open(NETLINK_NETFILTER, groups, &h->nl);

	if (err)
		return err;
	h->portid = mnl_socket_get_portid(h->nl);
	nlsock_set_rcvbuf(h->nl, SOCK_RCVBUF);
	h->del_batch = del_batch_size(h->nl);
	/* Error acks for deletes would otherwise echo the whole request. */
	mnl_socket_setsockopt(h->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	return 0;
}

static int handle_new(struct ct_handle **hp, unsigned int groups)
{
	struct ct_handle *h;
	int err;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->buf = malloc(RCV_BUF_SIZE);
	if (!h->buf) {
		free(h);
		return -ENOMEM;
	}
	h->seq = (uint32_t)time(NULL);
	kernel_version(h);
	h->filter_reply = kernel_at_least(h, 5, 16);
	err = sock_open(h, groups);
	if (err) {
		ct_close(h);
		return err;
	}
	*hp = h;
	return 0;
}

int ct_open(struct ct_handle **h)
{
	return handle_new(h, 0);
}

void ct_close(struct ct_handle *h)
{
	if (!h)
		return;
	if (h->nl)
		mnl_socket_close(h->nl);
	free(h->buf);
	free(h);
}

/* A dump abandoned half way leaves its remaining parts queued on the
 * socket; a fresh socket is cheaper than draining a million entries. */
static int sock_reset(struct ct_handle *h)
{
	mnl_socket_close(h->nl);
	h->nl = NULL;
	return sock_open(h, 0);
}

/* One datagram if one is queued: its length, -EAGAIN when none, or
 * -errno. */
static ssize_t recv_queued(struct ct_handle *h)
{
	for (;;) {
		ssize_t n = recv(mnl_socket_get_fd(h->nl), h->buf,
				 RCV_BUF_SIZE, MSG_DONTWAIT);

		if (n >= 0)
			return n;
		if (errno != EINTR)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
}

/* ---- kernel filter ---------------------------------------------------- */

/* What of @flt one request for @family asks of the kernel. */

static void kfilter_plan(const struct ct_handle *h, const struct ct_filter *flt,
			 uint8_t family, struct kfilter *k)
{
	memset(k, 0, sizeof(*k));
	if (flt->status_mask && !h->status_rejected)
		k->status = true;
	if (flt->zone && !h->zone_rejected)
		k->zone = true;
	if (family == AF_UNSPEC || h->tuple_rejected)
		return;
	if (flt->l4proto) {
		k->orig_flags |= CTF_PROTO_NUM;
		if (flt->has_orig_dport &&
		    (flt->l4proto == IPPROTO_TCP || flt->l4proto == IPPROTO_UDP))
			k->orig_flags |= CTF_PROTO_DPORT;
	}
	if (family != AF_INET)
		return;		/* IPv6 address filters are inverted */
	if (flt->has_orig_dst)
		k->orig_flags |= CTF_IP_DST;
	if (flt->has_reply_src && h->filter_reply)
		k->reply_flags |= CTF_IP_SRC;
}

static void put_tuple(struct nlmsghdr *nlh, uint16_t type, uint8_t family,
		      uint32_t flags, const struct tuple *t)
{
	struct nlattr *nest, *sub;
	bool v4 = family == AF_INET;
	size_t alen = addr_len(family);

	nest = mnl_attr_nest_start(nlh, type);
	if (flags & (CTF_IP_SRC | CTF_IP_DST)) {
		sub = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
		if (flags & CTF_IP_SRC)
			mnl_attr_put(nlh, v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC,
				     alen, t->src.b);
		if (flags & CTF_IP_DST)
			mnl_attr_put(nlh, v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST,
				     alen, t->dst.b);
		mnl_attr_nest_end(nlh, sub);
	}
	if (flags & CTF_PROTO_NUM) {
		sub = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
		mnl_attr_put_u8(nlh, CTA_PROTO_NUM, t->l4proto);
		if (flags & CTF_PROTO_SPORT)
			mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, t->sport);
		if (flags & CTF_PROTO_DPORT)
			mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, t->dport);
		mnl_attr_nest_end(nlh, sub);
	}
	mnl_attr_nest_end(nlh, nest);
}

/* @buf has room for MSG_MAX bytes (every caller makes sure).  It is
 * zeroed first: libmnl leaves the alignment padding after an attribute
 * (the 3 bytes after a u8 like CTA_PROTO_NUM) as it found it, and stack
 * or heap garbage would go to the kernel (valgrind: "sendto(msg) points
 * to uninitialised byte(s)"). */
static struct nlmsghdr *put_header(void *buf, uint16_t msg, uint16_t flags,
				   uint8_t family, uint32_t seq)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	memset(buf, 0, MSG_MAX);
	nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | msg;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

/* The filter attributes shared by dump and flush. */
static void put_filter(struct nlmsghdr *nlh, const struct ct_filter *flt,
		       uint8_t family, const struct kfilter *k)
{
	if (k->orig_flags || k->reply_flags) {
		struct tuple o = { 0 }, r = { 0 };
		struct nlattr *nest;

		o.l4proto = flt->l4proto;
		o.dport = flt->orig_dport;
		o.dst = flt->orig_dst;
		r.src = flt->reply_src;
		nest = mnl_attr_nest_start(nlh, CTA_FILTER);
		if (k->orig_flags)
			mnl_attr_put_u32(nlh, CTA_FILTER_ORIG_FLAGS,
					 k->orig_flags);
		if (k->reply_flags)
			mnl_attr_put_u32(nlh, CTA_FILTER_REPLY_FLAGS,
					 k->reply_flags);
		mnl_attr_nest_end(nlh, nest);
		if (k->orig_flags)
			put_tuple(nlh, CTA_TUPLE_ORIG, family, k->orig_flags,
				  &o);
		if (k->reply_flags)
			put_tuple(nlh, CTA_TUPLE_REPLY, family, k->reply_flags,
				  &r);
	}
	if (k->status) {
		mnl_attr_put_u32(nlh, CTA_STATUS, htonl(flt->status));
		mnl_attr_put_u32(nlh, CTA_STATUS_MASK, htonl(flt->status_mask));
	}
}

/* ---- dump ------------------------------------------------------------- */

struct dump_ctx {
	const struct ct_filter *flt;
	ct_flow_cb cb;
	void *data;
	int cb_err;
	bool intr;
};

/* Process one datagram.  1: more to come, 0: done, <0: error. */
static int dump_datagram(struct ct_handle *h, uint32_t seq, const char *buf,
			 size_t len, struct dump_ctx *c)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int rem = (int)len, end;

	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		struct flow f;

		if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != h->portid)
			continue;	/* stale: not our request */
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			c->intr = true;
		end = nlattr_dump_end(nlh, 0);
		if (end <= 0)
			return end;
		if (c->cb_err || c->intr)
			continue;
		if (ct_parse_msg(nlh, &f))
			continue;	/* a kind we do not model */
		if (!ct_filter_match(c->flt, &f))
			continue;
		c->cb_err = c->cb(&f, c->data);
	}
	/* bytes that are no whole message: a reply cut short */
	if (rem > 0)
		return -EBADMSG;
	return 1;
}

static int dump_family(struct ct_handle *h, const struct ct_filter *flt,
		       uint8_t family, const struct kfilter *k, ct_flow_cb cb,
		       void *data)
{
	char req[MSG_MAX];
	struct nlmsghdr *nlh;
	struct dump_ctx c = { .flt = flt, .cb = cb, .data = data };
	uint32_t seq = ++h->seq;
	int ret;

	nlh = put_header(req, IPCTNL_MSG_CT_GET, NLM_F_DUMP, family, seq);
	put_filter(nlh, flt, family, k);
	if (k->zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(flt->zone));

	if (mnl_socket_sendto(h->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = nlsock_recv(h->nl, h->buf, RCV_BUF_SIZE);

		if (n < 0) {
			ret = n;
			break;
		}
		ret = dump_datagram(h, seq, h->buf, n, &c);
		if (c.cb_err && ret > 0) {
			/* stop early; drop what the kernel still holds */
			int err = sock_reset(h);

			return err ? err : c.cb_err;
		}
		if (ret <= 0)
			break;
	}

	if (ret < 0) {
		if (ret == -ENOBUFS)
			sock_reset(h);
		return ret;
	}
	if (c.cb_err)
		return c.cb_err;
	return c.intr ? -EAGAIN : 0;
}

static bool rejected(int err)
{
	return err == -EOPNOTSUPP || err == -EINVAL;
}

/* A kernel refuses the whole request when it dislikes one part (a flag it
 * does not know, a zero status mask on 5.15+ ...): fall back step by step.
 * Errors come before the first entry, so no flow is reported twice. */
static int dump_one(struct ct_handle *h, const struct ct_filter *flt,
		    uint8_t family, ct_flow_cb cb, void *data)
{
	struct kfilter k;
	int err;

	for (;;) {
		kfilter_plan(h, flt, family, &k);
		err = dump_family(h, flt, family, &k, cb, data);
		if (!rejected(err))
			return err;
		if (k.orig_flags || k.reply_flags)
			h->tuple_rejected = true;
		else if (k.status)
			h->status_rejected = true;
		else if (k.zone) {
			h->zone_rejected = true;
		} else {
			return err;
		}
	}
}

static bool filter_has_tuple(const struct ct_filter *flt)
{
	return flt->l4proto || flt->has_orig_dport || flt->has_orig_dst ||
	       flt->has_reply_src;
}

int ct_dump(struct ct_handle *h, const struct ct_filter *flt, ct_flow_cb cb,
	    void *data)
{
	static const struct ct_filter any;
	int err;

	if (h->events)
		return -EINVAL;
	if (!flt)
		flt = &any;
	if (flt->family != AF_UNSPEC && flt->family != AF_INET &&
	    flt->family != AF_INET6)
		return -EAFNOSUPPORT;
	/* An address without a family is ambiguous. */
	if (!flt->family && (flt->has_orig_dst || flt->has_reply_src))
		return -EINVAL;
	if (flt->status & ~flt->status_mask)
		return -EINVAL;

	if (flt->family || !filter_has_tuple(flt) || h->tuple_rejected)
		return dump_one(h, flt, flt->family, cb, data);
	/* The tuple filter needs a family: one walk per family. */
	err = dump_one(h, flt, AF_INET, cb, data);
	if (!err)
		err = dump_one(h, flt, AF_INET6, cb, data);
	return err;
}

/* ---- incremental dump ----------------------------------------------- */

int ct_dump_start(struct ct_handle *h, const struct ct_filter *flt)
{
	char req[MSG_MAX];
	struct nlmsghdr *nlh;
	struct kfilter k;

	if (h->events || h->dumping ||
	    (flt->family != AF_INET && flt->family != AF_INET6))
		return -EINVAL;
	h->dump_flt = *flt;
	kfilter_plan(h, flt, flt->family, &k);
	h->dump_seq = ++h->seq;
	nlh = put_header(req, IPCTNL_MSG_CT_GET, NLM_F_DUMP, flt->family,
			 h->dump_seq);
	put_filter(nlh, flt, flt->family, &k);
	if (k.zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(flt->zone));
	if (mnl_socket_sendto(h->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	h->dumping = true;
	h->dump_intr = false;
	return 0;
}

int ct_dump_step(struct ct_handle *h, unsigned int max, ct_flow_cb cb,
		 void *data)
{
	struct dump_ctx c = {
		.flt = &h->dump_flt, .cb = cb, .data = data,
	};
	unsigned int i;
	int ret = 1;

	if (!h->dumping)
		return -EINVAL;
	for (i = 0; i < max && ret > 0; i++) {
		ssize_t n = recv_queued(h);

		if (n == -EAGAIN)
			return 1;
		if (n < 0) {
			ret = (int)n;
			break;
		}
		ret = dump_datagram(h, h->dump_seq, h->buf, n, &c);
		if (c.cb_err)
			ret = c.cb_err;
	}
	if (c.intr)
		h->dump_intr = true;
	if (ret > 0)
		return 1;
	h->dumping = false;
	if (ret < 0) {
		sock_reset(h);	/* drop what the kernel still holds */
		return ret;
	}
	return h->dump_intr ? -EAGAIN : 0;
}

void ct_dump_abort(struct ct_handle *h)
{
	if (!h->dumping)
		return;
	h->dumping = false;
	sock_reset(h);
}

int ct_fd(const struct ct_handle *h)
{
	return mnl_socket_get_fd(h->nl);
}

/* ---- delete ----------------------------------------------------------- */

static void put_full_tuple(struct nlmsghdr *nlh, uint16_t type,
			   const struct tuple *t)
{
	bool v4 = t->family == AF_INET;
	size_t alen = addr_len(t->family);
	struct nlattr *nest, *sub;

	nest = mnl_attr_nest_start(nlh, type);
	sub = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put(nlh, v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, alen, t->src.b);
	mnl_attr_put(nlh, v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST, alen, t->dst.b);
	mnl_attr_nest_end(nlh, sub);

	sub = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, t->l4proto);
	if (t->l4proto == IPPROTO_ICMP || t->l4proto == IPPROTO_ICMPV6) {
		bool i4 = t->l4proto == IPPROTO_ICMP;
		const uint8_t *tc = (const uint8_t *)&t->dport;

		mnl_attr_put_u16(nlh, i4 ? CTA_PROTO_ICMP_ID :
				 CTA_PROTO_ICMPV6_ID, t->sport);
		mnl_attr_put_u8(nlh, i4 ? CTA_PROTO_ICMP_TYPE :
				CTA_PROTO_ICMPV6_TYPE, tc[0]);
		mnl_attr_put_u8(nlh, i4 ? CTA_PROTO_ICMP_CODE :
				CTA_PROTO_ICMPV6_CODE, tc[1]);
	} else if (proto_has_ports(t->l4proto)) {
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, t->sport);
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, t->dport);
	}
	mnl_attr_nest_end(nlh, sub);
	mnl_attr_nest_end(nlh, nest);
}

struct ack_state {
	uint32_t first_seq;
	size_t pending;		/* messages still owed an answer */
	size_t failed;		/* error acks seen, ENOENT included */
	size_t ok;		/* zero acks seen (NLM_F_ACK requests) */
	int err;		/* first error other than ENOENT */
	bool *kept;		/* NULL, or by message: an error other than
				 * ENOENT (the entry is still there) */
};

static void note_acks(struct ack_state *a, const char *buf, size_t len,
		      size_t n)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int rem = (int)len;

	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		const struct nlmsgerr *e;

		if (nlh->nlmsg_type != NLMSG_ERROR ||
		    nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e) ||
		    nlh->nlmsg_seq - a->first_seq >= n)
			continue;
		e = mnl_nlmsg_get_payload(nlh);
		if (a->pending)
			a->pending--;
		if (!e->error) {
			a->ok++;
			continue;
		}
		a->failed++;
		if (e->error == -ENOENT)
			continue;
		if (!a->err)
			a->err = e->error;
		if (a->kept)
			a->kept[nlh->nlmsg_seq - a->first_seq] = true;
	}
}

/* Wait for @a->pending answers (requests sent with NLM_F_ACK). */
static int read_acks(struct ct_handle *h, struct ack_state *a, size_t n)
{
	while (a->pending) {
		ssize_t len = nlsock_recv(h->nl, h->buf, RCV_BUF_SIZE);

		if (len < 0)
			return len;
		note_acks(a, h->buf, len, n);
	}
	return 0;
}

/* Collect the error acks of a batch sent without NLM_F_ACK.  The kernel
 * handles the whole datagram inside sendto (netlink_unicast_kernel ->
 * nfnetlink_rcv), so every ack is queued by now: read until empty. */
static int read_error_acks(struct ct_handle *h, struct ack_state *a, size_t n)
{
	for (;;) {
		ssize_t len = recv_queued(h);

		if (len == -EAGAIN)
			return 0;
		if (len < 0)
			return (int)len;	/* ENOBUFS: acks lost */
		note_acks(a, h->buf, len, n);
	}
}

static size_t put_delete(char *buf, const struct flow *f, uint32_t seq)
{
	struct nlmsghdr *nlh;

	/* no NLM_F_ACK: success is silence, half the cost per delete */
	nlh = put_header(buf, IPCTNL_MSG_CT_DELETE, 0, f->orig.family, seq);
	put_full_tuple(nlh, CTA_TUPLE_ORIG, &f->orig);
	/* the kernel compares CTA_ID: an entry re-created since survives */
	mnl_attr_put_u32(nlh, CTA_ID, htonl(f->id));
	if (f->zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(f->zone));
	return nlh->nlmsg_len;
}

/* A batch of deletes and what became of each: @sent and @kept by
 * message, for ct_delete_each's @gone. */
struct del_batch {
	char *buf;
	const struct flow **sent;
	bool *kept;
};

static int del_batch_alloc(struct del_batch *b, unsigned int n, bool each)
{
	b->buf = malloc(SND_BATCH_SIZE);
	if (each) {
		b->sent = calloc(n, sizeof(*b->sent));
		b->kept = calloc(n, sizeof(*b->kept));
	}
	if (!b->buf || (each && (!b->sent || !b->kept)))
		return -ENOMEM;
	return 0;
}

static void del_batch_free(struct del_batch *b)
{
	free(b->buf);
	free(b->sent);
	free(b->kept);
}

int ct_delete_each(struct ct_handle *h, ct_next_fn next, ct_gone_fn gone,
		   void *data, size_t *deleted)
{
	struct del_batch b = { 0 };
	const struct flow *f = NULL;
	size_t total = 0, i;
	int err = 0, first = 0;

	if (deleted)
		*deleted = 0;
	if (h->events)
		return -EINVAL;
	err = del_batch_alloc(&b, h->del_batch, gone);
	if (err)
		goto out;

	f = next(data);
	while (f && !err) {
		struct ack_state a = { .first_seq = h->seq + 1,
				       .kept = b.kept };
		size_t off = 0, count = 0;

		for (; f && off + MSG_MAX <= SND_BATCH_SIZE &&
		       count < h->del_batch; f = next(data)) {
			if (f->orig.family != AF_INET &&
			    f->orig.family != AF_INET6)
				continue;
			off += put_delete(b.buf + off, f, ++h->seq);
			if (gone) {
				b.sent[count] = f;
				b.kept[count] = false;
			}
			count++;
		}
		if (!count)
			break;
		if (mnl_socket_sendto(h->nl, b.buf, off) < 0) {
			err = -errno;
			break;
		}
		err = read_error_acks(h, &a, count);
		if (err)
			break;	/* unknown which of this batch went */
		total += count - a.failed;
		if (a.err && !first)
			first = a.err;
		for (i = 0; gone && i < count; i++)
			if (!b.kept[i])
				gone(data, b.sent[i]);
	}
	if (err == -ENOBUFS)
		sock_reset(h);
	if (deleted)
		*deleted = total;
out:
	del_batch_free(&b);
	return first ? first : err;
}

struct flow_array {
	const struct flow *f;
	size_t n, i;
};

static const struct flow *array_next(void *data)
{
	struct flow_array *a = data;

	return a->i < a->n ? &a->f[a->i++] : NULL;
}

int ct_delete(struct ct_handle *h, const struct flow *flows, size_t n,
	      size_t *deleted)
{
	struct flow_array a = { .f = flows, .n = n };

	return ct_delete_each(h, array_next, NULL, &a, deleted);
}

/* ---- get ---------------------------------------------------------------- */

#define GET_BATCH	256	/* lookups per datagram: their answers (an
				 * entry, ~1 KiB in the socket each) fit
				 * the receive buffer many times over */

static size_t put_get(char *buf, const struct ct_lookup *q, uint32_t seq)
{
	struct nlmsghdr *nlh;

	nlh = put_header(buf, IPCTNL_MSG_CT_GET, 0, q->orig.family, seq);
	put_full_tuple(nlh, CTA_TUPLE_ORIG, &q->orig);
	if (q->zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(q->zone));
	return nlh->nlmsg_len;
}

/* Take the answers to requests first..first+n-1: an entry or an error
 * each.  Returns when all are in. */
static int get_answers(struct ct_handle *h, struct ct_lookup *q, size_t n,
		       uint32_t first)
{
	size_t left = n;

	while (left) {
		ssize_t len = nlsock_recv(h->nl, h->buf, RCV_BUF_SIZE);
		const struct nlmsghdr *m = (const struct nlmsghdr *)h->buf;
		int rem;

		if (len < 0)
			return len;
		rem = (int)len;
		for (; mnl_nlmsg_ok(m, rem); m = mnl_nlmsg_next(m, &rem)) {
			uint32_t i = m->nlmsg_seq - first;

			if (i >= n || q[i].err != 1)
				continue;	/* not ours, or answered */
			if (m->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e;

				if (m->nlmsg_len < NLMSG_HDRLEN + sizeof(*e))
					return -EBADMSG;
				e = mnl_nlmsg_get_payload(m);
				q[i].err = e->error ? e->error : -ENOENT;
			} else {
				q[i].err = ct_parse_msg(m, &q[i].f);
			}
			left--;
		}
	}
	return 0;
}

int ct_get_many(struct ct_handle *h, struct ct_lookup *q, size_t n)
{
	size_t i = 0, k;
	char *batch;
	int err = 0;

	if (h->events)
		return -EINVAL;
	batch = malloc(SND_BATCH_SIZE);
	if (!batch)
		return -ENOMEM;
	while (i < n && !err) {
		uint32_t first = h->seq + 1;
		size_t off = 0, count = 0;

		while (i + count < n && count < GET_BATCH &&
		       off + MSG_MAX <= SND_BATCH_SIZE) {
			struct ct_lookup *l = &q[i + count];

			if (l->orig.family != AF_INET &&
			    l->orig.family != AF_INET6) {
				err = -EAFNOSUPPORT;
				goto out;
			}
			l->err = 1;	/* waiting */
			off += put_get(batch + off, l, ++h->seq);
			count++;
		}
		if (mnl_socket_sendto(h->nl, batch, off) < 0) {
			err = -errno;
			break;
		}
		err = get_answers(h, q + i, count, first);
		for (k = i; !err && k < i + count; k++)
			if (q[k].err && q[k].err != -ENOENT)
				err = q[k].err;
		i += count;
	}
out:
	if (err == -ENOBUFS)
		sock_reset(h);
	free(batch);
	return err;
}

/* ---- filtered flush --------------------------------------------------- */

/* Send one request and wait for its ack. */
static int request_ack(struct ct_handle *h, struct nlmsghdr *nlh)
{
	struct ack_state a = { .first_seq = nlh->nlmsg_seq, .pending = 1 };
	int err;

	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(h->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	err = read_acks(h, &a, 1);
	if (err)
		return err;
	return a.ok ? 0 : (a.err ? a.err : -ENOENT);
}

static int flush_family(struct ct_handle *h, const struct ct_filter *flt,
			uint8_t family)
{
	char req[MSG_MAX];
	struct nlmsghdr *nlh;
	struct kfilter k;

	kfilter_plan(h, flt, family, &k);
	nlh = put_header(req, IPCTNL_MSG_CT_DELETE, 0, family, ++h->seq);
	put_filter(nlh, flt, family, &k);
	return request_ack(h, nlh);
}

/* A UDP entry 192.0.2.1:@sport -> 192.0.2.2:@dport, replied from
 * @reply_src (host order); each probe entry gets its own source port so
 * that both of its tuples are unique. */
static int create_probe_entry(struct ct_handle *h, uint16_t sport,
			      uint16_t dport, uint32_t reply_src,
			      uint32_t status)
{
	char req[MSG_MAX];
	struct nlmsghdr *nlh;
	struct tuple o = { .family = AF_INET, .l4proto = IPPROTO_UDP };
	struct tuple r = o;

	o.src.ip = htonl(0xc0000201);
	o.dst.ip = htonl(0xc0000202);
	o.sport = htons(sport);
	o.dport = htons(dport);
	r.src.ip = htonl(reply_src);
	r.dst.ip = o.src.ip;
	r.sport = o.dport;
	r.dport = o.sport;

	nlh = put_header(req, IPCTNL_MSG_CT_NEW, NLM_F_CREATE | NLM_F_EXCL,
			 AF_INET, ++h->seq);
	put_full_tuple(nlh, CTA_TUPLE_ORIG, &o);
	put_full_tuple(nlh, CTA_TUPLE_REPLY, &r);
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(300));
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(status));
	return request_ack(h, nlh);
}

static int probe_collect(const struct flow *f, void *data)
{
	uint32_t *seen = data;
	unsigned int sp = ntohs(f->orig.sport);

	if (sp >= 40001 && sp <= 40004)
		*seen |= 1u << (sp - 40001);
	return 0;
}

/* Where @p stopped, with the errno of the step (0 when it has none). */
static int probe_stop(struct ct_probe *p, enum ct_flush_probe result,
		      enum ct_probe_step step, int err)
{
	p->result = result;
	p->step = step;
	p->err = err;
	return err;
}

/* In a fresh network namespace: four entries, a flush whose filter matches
 * exactly the first, and a dump to see that exactly the other three
 * survived.  The outcome goes into @p, a page the parent shares: the
 * step a failure stopped at and its errno, which an exit status could not
 * carry both of.
 * The status bit is ASSURED because CTA_STATUS cannot set the NAT bits
 * (IPS_UNCHANGEABLE_MASK); the kernel's status match is the same for any
 * bit. */
static void probe_child(struct ct_probe *p)
{
	struct ct_filter flt = {
		.family = AF_INET, .l4proto = IPPROTO_UDP,
		.status = IPS_ASSURED, .status_mask = IPS_ASSURED,
		.has_orig_dport = true, .orig_dport = htons(53),
		.has_reply_src = true,
	};
	const uint32_t st = IPS_CONFIRMED | IPS_SEEN_REPLY;
	struct ct_handle *h;
	uint32_t seen = 0;
	int err;

	flt.reply_src.ip = htonl(0xc0000203);
	if (unshare(CLONE_NEWNET)) {
		probe_stop(p, CT_FLUSH_NO_PROBE, CT_PROBE_NETNS, -errno);
		return;
	}
	err = ct_open(&h);
	if (err) {
		probe_stop(p, CT_FLUSH_NO_PROBE, CT_PROBE_OPEN, err);
		return;
	}
	err = create_probe_entry(h, 40001, 53, 0xc0000203, st | IPS_ASSURED);
	if (!err)
		err = create_probe_entry(h, 40002, 53, 0xc0000204,
					 st | IPS_ASSURED);
	if (!err)
		err = create_probe_entry(h, 40003, 53, 0xc0000203, st);
	if (!err)
		err = create_probe_entry(h, 40004, 54, 0xc0000203,
					 st | IPS_ASSURED);
	if (err)
		goto out_stop_create;
	err = ct_dump(h, NULL, probe_collect, &seen);
	if (err || seen != 0xf)
		goto out_stop_dump;
	seen = 0;
	err = flush_family(h, &flt, AF_INET);
	if (err) {
		probe_stop(p, CT_FLUSH_REFUSED, CT_PROBE_FLUSH, err);
		goto out;
	}
	err = ct_dump(h, NULL, probe_collect, &seen);
	if (err)
		goto out_stop_dump;
	probe_stop(p, seen == 0xe ? CT_FLUSH_EXACT : CT_FLUSH_WIDER,
		   CT_PROBE_DONE, 0);
	goto out;
out_stop_create:
	probe_stop(p, CT_FLUSH_NO_PROBE, CT_PROBE_CREATE, err);
	goto out;
out_stop_dump:
	/* err 0: the dump went, but the entries just made were not in it */
	probe_stop(p, CT_FLUSH_NO_PROBE, CT_PROBE_DUMP, err);
out:
	ct_close(h);
}

/* Runs probe_child in a child process (unshare() would move this one)
 * and takes its outcome from a shared page. */
static void run_probe(struct ct_probe *out)
{
	struct ct_probe *p;
	pid_t pid;
	int status;

	p = mmap(NULL, sizeof(*p), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		probe_stop(out, CT_FLUSH_NO_PROBE, CT_PROBE_START, -errno);
		return;
	}
	/* what a child that ends without a word leaves */
	probe_stop(p, CT_FLUSH_NO_PROBE, CT_PROBE_CHILD, 0);
	pid = fork();
	if (pid < 0) {
		probe_stop(out, CT_FLUSH_NO_PROBE, CT_PROBE_START, -errno);
		goto out;
	}
	if (pid == 0) {
		probe_child(p);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			probe_stop(out, CT_FLUSH_NO_PROBE, CT_PROBE_WAIT,
				   -errno);
			goto out;
		}
	}
	*out = *p;
	if (out->step == CT_PROBE_CHILD)
		out->err = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
out:
	munmap(p, sizeof(*p));
}

static bool flush_supported(struct ct_handle *h)
{
	struct ct_probe *p = &h->flush_probe;

	if (p->result != CT_FLUSH_UNPROBED)
		return p->result == CT_FLUSH_EXACT;
	/* By behaviour, not by version: a distribution kernel may carry the
	 * filtered flush back (RHEL), and one that ignores CTA_FILTER on a
	 * tuple-less DELETE (<= 5.7) flushes only the probe's own namespace;
	 * 5.8 to 6.11 refuse it (EOPNOTSUPP).  Without the reply filter
	 * (filter_reply) the probe's flush takes 2 entries and says no. */
	if (h->tuple_rejected || h->status_rejected)
		probe_stop(p, CT_FLUSH_REFUSED, CT_PROBE_DUMP_FILTER, 0);
	else
		run_probe(p);
	return p->result == CT_FLUSH_EXACT;
}

const struct ct_probe *ct_flush_probe_result(const struct ct_handle *h)
{
	return &h->flush_probe;
}

int ct_flush_filtered(struct ct_handle *h, const struct ct_filter *flt)
{
	struct kfilter k;
	int err = 0;

	if (h->events)
		return -EINVAL;
	/* Never a plain flush: something narrower than "all" is required. */
	if (!filter_has_tuple(flt) && !flt->status_mask)
		return -EINVAL;
	if (!flt->family && (flt->has_orig_dst || flt->has_reply_src))
		return -EINVAL;
	if (flt->status & ~flt->status_mask)
		return -EINVAL;
	if (flt->zone ||
	    (flt->family == AF_INET6 &&
	     (flt->has_orig_dst || flt->has_reply_src)) ||
	    (flt->has_orig_dport && flt->l4proto != IPPROTO_TCP &&
	     flt->l4proto != IPPROTO_UDP))
		return -EOPNOTSUPP;
	if (!flush_supported(h))
		return -EOPNOTSUPP;

	/* Every part must reach the kernel, or it would delete too much. */
	kfilter_plan(h, flt, flt->family ? flt->family : AF_INET, &k);
	if ((flt->has_orig_dst && !(k.orig_flags & CTF_IP_DST)) ||
	    (flt->has_reply_src && !(k.reply_flags & CTF_IP_SRC)) ||
	    (flt->status_mask && !k.status))
		return -EOPNOTSUPP;

	if (flt->family)
		return flush_family(h, flt, flt->family);
	err = flush_family(h, flt, AF_INET);
	if (!err)
		err = flush_family(h, flt, AF_INET6);
	return err;
}

/* ---- events ----------------------------------------------------------- */

int ct_events_open(struct ct_handle **hp, unsigned int groups)
{
	struct ct_handle *h;
	int err, fl;

	if (!groups || (groups & ~(CT_EV_NEW | CT_EV_UPDATE | CT_EV_DESTROY)))
		return -EINVAL;
	/* legacy bind mask: bit n-1 for group n, as the CT_EV_* bits are */
	err = handle_new(&h, groups);
	if (err)
		return err;
	h->events = true;
	fl = fcntl(mnl_socket_get_fd(h->nl), F_GETFL);
	if (fl < 0 || fcntl(mnl_socket_get_fd(h->nl), F_SETFL,
			    fl | O_NONBLOCK) < 0) {
		err = -errno;
		ct_close(h);
		return err;
	}
	*hp = h;
	return 0;
}

int ct_events_fd(const struct ct_handle *h)
{
	return mnl_socket_get_fd(h->nl);
}

static unsigned int event_type(const struct nlmsghdr *nlh)
{
	switch (nlh->nlmsg_type & 0xff) {
	case IPCTNL_MSG_CT_DELETE:
		return CT_EV_DESTROY;
	case IPCTNL_MSG_CT_NEW:
		return (nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL)) ?
		       CT_EV_NEW : CT_EV_UPDATE;
	}
	return 0;
}

/* Events arrive one per datagram; recvmmsg takes many per system call.
 * A slot holds any conntrack event (a few hundred bytes; 8 KiB leaves room
 * for helpers, labels and the rest). */
#define EV_SLOT		8192u
#define EV_SLOTS	(RCV_BUF_SIZE / EV_SLOT)

static int event_datagram(const char *buf, size_t len, ct_event_cb cb,
			  void *data, int *count)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int rem = (int)len;

	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		unsigned int ev = event_type(nlh);
		struct flow f;
		int err;

		if (!ev || (nlh->nlmsg_type >> 8) != NFNL_SUBSYS_CTNETLINK ||
		    ct_parse_msg(nlh, &f))
			continue;
		err = cb(ev, &f, data);
		if (err < 0)
			return err;
		(*count)++;
	}
	return 0;
}

int ct_events_read(struct ct_handle *h, ct_event_cb cb, void *data)
{
	struct mmsghdr msg[EV_SLOTS];
	struct iovec iov[EV_SLOTS];
	int count = 0, i, n, err;

	if (!h->events)
		return -EINVAL;
	for (;;) {
		memset(msg, 0, sizeof(msg));
		for (i = 0; i < (int)EV_SLOTS; i++) {
			iov[i].iov_base = h->buf + i * EV_SLOT;
			iov[i].iov_len = EV_SLOT;
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(mnl_socket_get_fd(h->nl), msg, EV_SLOTS,
			     MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return count;
			return -errno;
		}
		for (i = 0; i < n; i++) {
			/* a cut event is a lost event: the caller resyncs */
			if (msg[i].msg_hdr.msg_flags & MSG_TRUNC)
				return -ENOBUFS;
			err = event_datagram(iov[i].iov_base, msg[i].msg_len,
					     cb, data, &count);
			if (err < 0)
				return err;
		}
		if (n < (int)EV_SLOTS)
			return count;	/* drained: spare the EAGAIN call */
	}
}
