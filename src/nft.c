// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nft.c - read the nftables ruleset (and so iptables-nft's rules) from the
 * kernel: the requests, the socket and the capture of the replies as raw
 * bytes (nft_capture()), which nft_parse.c turns into the neutral model
 * without I/O.  libnftnl only builds the requests.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/common.h>
#include "nft.h"
#include "agree.h"
#include "nlattr.h"
#include "nlsock.h"

#define MSG(t)		((NFNL_SUBSYS_NFTABLES << 8) | (t))
#define CAPTURE_TRIES	10
#define RECV_SIZE	65536

/* ---- reading from the kernel ------------------------------------------- */

struct cap {
	char *buf;
	size_t len, size;
};

static int cap_put(struct cap *c, const void *p, size_t n)
{
	if (c->len + n > c->size) {
		size_t size = c->size ? c->size : 65536;
		char *b;

		while (size < c->len + n)
			size *= 2;
		b = realloc(c->buf, size);
		if (!b)
			return -ENOMEM;
		c->buf = b;
		c->size = size;
	}
	memcpy(c->buf + c->len, p, n);
	c->len += n;
	return 0;
}

/* Keep a reply: padded, and without the socket's seq and port id, which
 * the parser does not need and which would make every capture differ. */
static int cap_msg(struct cap *c, const struct nlmsghdr *r)
{
	static const char pad[NLMSG_ALIGNTO];
	struct nlmsghdr *copy;
	size_t at = c->len;
	int err;

	err = cap_put(c, r, r->nlmsg_len);
	if (!err)
		err = cap_put(c, pad, NLMSG_ALIGN(r->nlmsg_len) - r->nlmsg_len);
	if (err)
		return err;
	copy = (struct nlmsghdr *)(c->buf + at);
	copy->nlmsg_seq = 0;
	copy->nlmsg_pid = 0;
	/* NEWGEN names the reader (us): its pid changes every run. */
	if (copy->nlmsg_type == MSG(NFT_MSG_NEWGEN) &&
	    copy->nlmsg_len >= mnl_nlmsg_size(sizeof(struct nfgenmsg))) {
		const struct nlattr *a;
		struct nlattr_iter it;

		nlattr_iter_init(&it, mnl_nlmsg_get_payload_offset(copy,
					sizeof(struct nfgenmsg)),
			      copy->nlmsg_len -
			      NLMSG_LENGTH(sizeof(struct nfgenmsg)));
		while (nlattr_next(&it, &a) > 0)
			if (mnl_attr_get_type(a) == NFTA_GEN_PROC_PID &&
			    mnl_attr_get_payload_len(a) == 4)
				memset((void *)nlattr_data(a), 0, 4);
	}
	return 0;
}

static int nl_open(struct nft_sock *nl)
{
	int err;

	memset(nl, 0, sizeof(*nl));
	nl->rbuf = malloc(RECV_SIZE);
	if (!nl->rbuf)
		return -ENOMEM;
	err = nlsock_open(NETLINK_NETFILTER, 0, &nl->sock);
	if (err) {
		free(nl->rbuf);
		memset(nl, 0, sizeof(*nl));
		return err;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = time(NULL);
	return 0;
}

/* The caller's socket, opened on first use; it stays open between reads
 * (nft.h says why).  Replies to an abandoned request carry an old
 * sequence number and are skipped by request(). */
static int nl_get(struct nft_sock *nl)
{
	return nl->sock ? 0 : nl_open(nl);
}

/* After an error the socket may hold half a dump or a full buffer:
 * start the next read on a fresh one. */
static void nl_put(struct nft_sock *nl, int err)
{
	if (err && err != -EAGAIN)
		nft_close(nl);
}

void nft_close(struct nft_sock *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->rbuf);
	memset(nl, 0, sizeof(*nl));
}

/* How one request went, beyond errors: was the ruleset moving? */
struct req_state {
	bool have_gen;
	uint32_t genid;		/* NEWGEN of this round */
	bool moved;		/* NLM_F_DUMP_INTR, res_id off the genid */
};

/*
 * Send a GET request (NLM_F_DUMP unless it is GETGEN) and keep every reply
 * message in @c (when not NULL) until NLMSG_DONE, or the one NEWGEN.
 * Only GET messages are ever sent: reading never changes the ruleset.
 */
static int request(struct nft_sock *nl, uint16_t msg, uint8_t family,
		   const char *table, const char *set, struct cap *c,
		   struct req_state *rs)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	bool dump = msg != NFT_MSG_GETGEN;
	struct nlmsghdr *nlh;
	uint32_t seq = ++nl->seq;
	int err;

	/* libmnl leaves attribute padding (after the table and set names)
	 * as it found it: no stack bytes to the kernel. */
	memset(req, 0, sizeof(req));
	nlh = nftnl_nlmsg_build_hdr(req, msg, family,
				    NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0),
				    seq);
	if (table)
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table);
	if (set)
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;

	for (;;) {
		ssize_t n = nlsock_recv(nl->sock, nl->rbuf, RECV_SIZE);
		const struct nlmsghdr *r;
		int left;

		if (n < 0)
			return n;
		left = n;
		for (r = (void *)nl->rbuf; mnl_nlmsg_ok(r, left);
		     r = mnl_nlmsg_next(r, &left)) {
			const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(r);

			if (r->nlmsg_seq != seq || r->nlmsg_pid != nl->portid)
				continue;
			if (r->nlmsg_type == NLMSG_ERROR)
				return nlattr_dump_end(r, -EBADMSG);
			if (r->nlmsg_flags & NLM_F_DUMP_INTR)
				rs->moved = true;
			if (c) {
				err = cap_msg(c, r);
				if (err)
					return err;
			}
			/* the DONE is kept too: the parser wants it */
			if (r->nlmsg_type == NLMSG_DONE)
				return nlattr_dump_end(r, 0);
			if (r->nlmsg_len < mnl_nlmsg_size(sizeof(*nfg)))
				return -EBADMSG;
			if (!dump) {
				rs->have_gen = true;
				return nft_msg_genid(r, &rs->genid);
			}
			/* Every message carries the generation's low bits. */
			if (ntohs(nfg->res_id) != (rs->genid & 0xffff))
				rs->moved = true;
		}
		if (left)
			return -EBADMSG;
	}
}

struct set_ref {
	uint8_t family;
	char *table, *name;
};

struct set_list {
	struct set_ref *v;
	unsigned int n;
};

static void set_list_free(struct set_list *l)
{
	unsigned int i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].table);
		free(l->v[i].name);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* The sets a capture wants elements for: the rule nft_parse() enforces. */
static int collect_set(const struct nlmsghdr *nlh, void *data)
{
	struct set_list *l = data;
	const char *table, *name;
	struct set_ref *v;
	uint8_t family;
	int n = nft_msg_set_ref(nlh, &family, &table, &name);

	if (n <= 0)
		return n;
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	v += l->n++;
	v->family = family;
	v->table = strdup(table);
	v->name = strdup(name);
	return v->table && v->name ? 0 : -ENOMEM;
}

static int capture_once(struct nft_sock *nl, struct cap *c,
			struct req_state *rs)
{
	struct set_list sets = { 0 };
	struct req_state end = { 0 };
	size_t set_start;
	unsigned int i;
	int err;

	err = request(nl, NFT_MSG_GETGEN, AF_UNSPEC, NULL, NULL, c, rs);
	if (!err && !rs->have_gen)
		err = -EBADMSG;
	if (!err)
		err = request(nl, NFT_MSG_GETTABLE, AF_UNSPEC, NULL, NULL, c,
			      rs);
	if (!err)
		err = request(nl, NFT_MSG_GETCHAIN, AF_UNSPEC, NULL, NULL, c,
			      rs);
	set_start = c->len;
	if (!err)
		err = request(nl, NFT_MSG_GETSET, AF_UNSPEC, NULL, NULL, c, rs);
	if (!err)
		err = nlattr_walk_msgs(c->buf + set_start,
				       c->len - set_start, collect_set, &sets);
	for (i = 0; !err && i < sets.n; i++)
		err = request(nl, NFT_MSG_GETSETELEM, sets.v[i].family,
			      sets.v[i].table, sets.v[i].name, c, rs);
	if (!err)
		err = request(nl, NFT_MSG_GETRULE, AF_UNSPEC, NULL, NULL, c,
			      rs);
	set_list_free(&sets);

	/* The generation after the dumps decides whether they were one
	 * ruleset: a set that vanished mid-read (ENOENT) is a move too. */
	if (rs->have_gen) {
		int e2 = request(nl, NFT_MSG_GETGEN, AF_UNSPEC, NULL, NULL,
				 NULL, &end);

		if (e2)
			return e2;
		if (end.genid != rs->genid)
			rs->moved = true;
	}
	return err;
}

int nft_capture(struct nft_sock *nl, void **buf, size_t *len)
{
	struct cap c = { 0 };
	int err, tries;

	if (!nl || !buf || !len)
		return -EINVAL;
	err = nl_get(nl);
	if (err)
		return err;
	for (tries = 0; tries < CAPTURE_TRIES; tries++) {
		struct req_state rs = { 0 };

		c.len = 0;
		err = capture_once(nl, &c, &rs);
		if (!rs.moved)
			break;
		err = -EAGAIN;
	}
	nl_put(nl, err);
	if (err) {
		free(c.buf);
		return err;
	}
	*buf = c.buf;
	*len = c.len;
	return 0;
}

static int read_model(void *nl, void *m)
{
	void *buf;
	size_t len;
	int err = nft_capture(nl, &buf, &len);

	if (err)
		return err;
	err = nft_parse(buf, len, m);
	free(buf);
	return err;
}

/* Do two reads show the same ruleset, as far as a dump cut short could
 * tell them apart: the same chains with the same rules (by handle and
 * length) and the same sets with as many elements?  Counters and element
 * timeouts, which move between reads, are not in the model. */
static bool same_model(const void *pa, const void *pb)
{
	const struct nm_model *a = pa, *b = pb;
	unsigned int i, j;

	if (a->genid != b->genid || a->nchains != b->nchains ||
	    a->nsets != b->nsets)
		return false;
	for (i = 0; i < a->nchains; i++) {
		const struct nm_chain *x = &a->chains[i], *y = &b->chains[i];

		if (x->family != y->family || x->hook != y->hook ||
		    x->nrules != y->nrules || strcmp(x->table, y->table) ||
		    strcmp(x->name, y->name))
			return false;
		for (j = 0; j < x->nrules; j++)
			if (x->rules[j].handle != y->rules[j].handle ||
			    x->rules[j].nexprs != y->rules[j].nexprs)
				return false;
	}
	for (i = 0; i < a->nsets; i++) {
		const struct nm_set *x = &a->sets[i], *y = &b->sets[i];

		if (x->family != y->family || x->nelems != y->nelems ||
		    strcmp(x->table, y->table) || strcmp(x->name, y->name))
			return false;
	}
	return true;
}

static void free_model(void *m)
{
	nm_model_free(m);
}

/*
 * A dump that the kernel cuts short says so (an error in its NLMSG_DONE,
 * an NLMSG_ERROR, ENOBUFS), and each of those fails the read.  But a
 * ruleset with rules missing would make every flow they NAT look stale,
 * so the read does not rest on that alone: the ruleset is believed only
 * when two reads of the same generation agree.
 */
int nft_read(struct nft_sock *nl, struct nm_model *m)
{
	static const struct agree_ops ops = {
		.size = sizeof(*m), .read = read_model, .same = same_model,
		.free = free_model,
	};

	return read_agreed(&ops, nl, CAPTURE_TRIES, m);
}

int nft_genid(struct nft_sock *nl, uint32_t *genid)
{
	struct req_state rs = { 0 };
	int err;

	if (!nl || !genid)
		return -EINVAL;
	err = nl_get(nl);
	if (err)
		return err;
	err = request(nl, NFT_MSG_GETGEN, AF_UNSPEC, NULL, NULL, NULL, &rs);
	nl_put(nl, err);
	if (!err && !rs.have_gen)
		err = -EBADMSG;
	if (!err)
		*genid = rs.genid;
	return err;
}
