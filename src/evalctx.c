// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * evalctx.c - what an expression runs against in the evaluator: the
 * synthetic packet, the register file with its known bits, the routing
 * snapshot's answers (interfaces, address types), the choices of an
 * exploration, and the one way a path stops as unknown.
 *
 * The register file follows nf_tables: 20 words, the verdict in the first
 * four, NFT_REG_1..4 as 16-byte and NFT_REG32_* as 4-byte views of the
 * rest.  Next to every bit we keep whether it is known: loads of packet
 * bytes a first packet does not pin down (TTL, sequence numbers, ...) give
 * unknown bits, and a comparison that depends on them stops the evaluation
 * as EV_UNKNOWN.  Nothing is guessed.
 *
 * The expression types (src/expr/) call these; the core (eval.c: chains,
 * hooks, the exploration) calls them and the types.  Nothing here calls
 * either, so the evaluator's parts depend one way: eval.c -> src/expr/ ->
 * evalctx.c (tests/layers.sh checks it).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/rtnetlink.h>
#include "evalint.h"

const char *const ev_base_names[5] = { "ll", "nh", "th", "ih", "tun" };

void ev_unknown(struct ev_run *r, const char *fmt, ...)
{
	struct ev_step st = { .chain = r->chain, .rule = r->rule };
	va_list ap;

	if (r->status != EV_OK)
		return;
	r->status = EV_UNKNOWN;
	va_start(ap, fmt);
	vsnprintf(r->unknown, sizeof(r->unknown), fmt, ap);
	va_end(ap);
	if (r->cx->trace) {
		memcpy(st.what, r->unknown, sizeof(st.what));
		ev_trace_step(r, EVS_UNKNOWN, &st);
	}
}

void ev_trace_step(struct ev_run *r, int kind, const struct ev_step *more)
{
	struct ev_trace *t = r->cx->trace;
	struct ev_step *st;

	if (!t)
		return;
	if (t->n == EV_TRACE_MAX) {
		t->truncated = true;
		return;
	}
	st = &t->steps[t->n++];
	if (more) {
		*st = *more;
	} else {
		memset(st, 0, sizeof(*st));
		st->chain = r->chain;
		st->rule = r->rule;
	}
	st->kind = kind;
	st->path = r->cx->path;
	st->hook = r->hook;
	st->mark = r->mark.val;
	st->mark_known = r->mark.known;
	st->ctmark = r->ctmark.val;
	st->ctmark_known = r->ctmark.known;
}

/* ---- the packet ---- */

static unsigned int saddr_off(uint8_t family)
{
	return family == AF_INET6 ? 8 : 12;
}

static unsigned int daddr_off(uint8_t family)
{
	return family == AF_INET6 ? 24 : 16;
}

static void pkt_put(uint8_t *b, uint8_t *k, unsigned int off,
		    const void *v, unsigned int len, uint8_t known)
{
	memcpy(b + off, v, len);
	memset(k + off, known, len);
}

static unsigned int th_len(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return 20;
	case IPPROTO_SCTP:
		return 12;
	case IPPROTO_DCCP:
		return 16;
	}
	return 8;
}

void ev_pkt_init(struct ev_pkt *p, const struct tuple *t)
{
	unsigned int alen = addr_len(t->family);

	memset(p, 0, sizeof(*p));
	p->family = t->family;
	p->l4proto = t->l4proto;
	if (t->family == AF_INET6) {
		p->nhlen = 40;
		p->nh[0] = 0x60;
		pkt_put(p->nh, p->nhk, 6, &t->l4proto, 1, 0xff);
	} else {
		p->nhlen = 20;
		p->nh[0] = 0x45;
		pkt_put(p->nh, p->nhk, 9, &t->l4proto, 1, 0xff);
	}
	p->nhk[0] = 0xf0;	/* the version; options may exist */
	pkt_put(p->nh, p->nhk, saddr_off(t->family), t->src.b, alen, 0xff);
	pkt_put(p->nh, p->nhk, daddr_off(t->family), t->dst.b, alen, 0xff);
	if (!proto_has_ports(t->l4proto))
		return;
	p->thlen = th_len(t->l4proto);
	pkt_put(p->th, p->thk, 0, &t->sport, 2, 0xff);
	pkt_put(p->th, p->thk, 2, &t->dport, 2, 0xff);
	if (t->l4proto == IPPROTO_TCP) {
		/* SYN set; FIN, RST, ACK clear.  ECN bits vary. */
		p->th[13] = 0x02;
		p->thk[13] = 0x17;
	}
}

/* Current source or destination address; 0 if not known exactly. */
int ev_pkt_addr(const struct ev_pkt *p, int dst, union addr *a)
{
	unsigned int off = dst ? daddr_off(p->family) : saddr_off(p->family);

	memset(a, 0, sizeof(*a));
	if (dst && p->dst_fuzzy)
		return 0;
	memcpy(a->b, p->nh + off, addr_len(p->family));
	return 1;
}

/* Current port in network byte order; 0 if not known exactly. */
int ev_pkt_port(const struct ev_pkt *p, int dst, uint16_t *port)
{
	unsigned int off = dst ? 2 : 0;

	if (!p->thlen || p->thk[off] != 0xff || p->thk[off + 1] != 0xff)
		return 0;
	memcpy(port, p->th + off, 2);
	return 1;
}

void ev_pkt_dnat(struct ev_pkt *p, const struct nm_natspec *s)
{
	unsigned int alen = addr_len(p->family), off = daddr_off(p->family);

	if (s->flags & NF_NAT_RANGE_MAP_IPS) {
		p->dst_fuzzy = !addr_eq(p->family, &s->addr_min, &s->addr_max);
		pkt_put(p->nh, p->nhk, off, s->addr_min.b, alen,
			p->dst_fuzzy ? 0 : 0xff);
	}
	if ((s->flags & NF_NAT_RANGE_PROTO_SPECIFIED) && p->thlen)
		pkt_put(p->th, p->thk, 2, &s->port_min, 2,
			s->port_min == s->port_max ? 0xff : 0);
}

/* ---- routing ---- */

/* Another route as good as @best leaves a different way: no single answer. */
static int route_ambiguous(const struct netenv *env,
			   const struct ne_route *best)
{
	unsigned int i, alen = addr_len(best->family);

	for (i = 0; i < env->nroutes; i++) {
		const struct ne_route *x = &env->routes[i];

		if (x != best && x->family == best->family &&
		    x->table == best->table && x->type == best->type &&
		    x->dst_len == best->dst_len &&
		    x->priority == best->priority && x->oif != best->oif &&
		    !memcmp(x->dst.b, best->dst.b, alen))
			return 1;
	}
	return 0;
}

/* The interface the first packet came in on: the route back to its
 * source (a reverse path filter would insist on it). */
const char *ev_iif_find(struct ev_run *r, uint32_t *ifindex)
{
	const struct netenv *env = r->cx->env;
	const struct tuple *o = r->cx->orig;
	const struct ne_route *rt;

	if (r->pkt.local)
		return "input interface of a local packet";
	if (!r->iif && r->cx->trace && r->cx->trace->iif)
		r->iif = r->cx->trace->iif;	/* explain --iif */
	if (!r->iif) {
		if (netenv_policy(env, o->family))
			return "input interface (policy routing)";
		rt = netenv_route(env, o->family, &o->src);
		if (!rt || !rt->oif || route_ambiguous(env, rt))
			return "input interface (no single route back)";
		r->iif = rt->oif;
	}
	*ifindex = r->iif;
	return NULL;
}

int ev_get_iif(struct ev_run *r, uint32_t *ifindex)
{
	const char *why = ev_iif_find(r, ifindex);

	if (why)
		ev_unknown(r, "%s", why);
	return !why;
}

/*
 * A local packet leaves where its socket says, when the socket says so:
 * the kernel's output lookup (ip_route_output_key_hash_rcu(),
 * ip6_route_output()) takes the interface from the socket before any
 * route (SO_BINDTODEVICE, IP_UNICAST_IF, IP_MULTICAST_IF and their IPv6
 * twins, IP_PKTINFO's ipi_ifindex, an IPv6 scope id), and sends a
 * multicast or limited broadcast from a bound source out of that
 * source's device.  Conntrack keeps none of it.  Multicast, broadcast and
 * link-local packets have no interface but the socket's.
 */
static const char *local_oif_socket(const struct ev_run *r,
				    const union addr *dst)
{
	const struct netenv *env = r->cx->env;
	uint8_t fam = r->pkt.family;
	int t;

	if (!r->pkt.local)
		return NULL;
	t = netenv_addr_type(env, fam, dst);
	if (t == RTN_MULTICAST || t == RTN_BROADCAST)
		return "output interface of a local multicast or broadcast "
		       "(the socket's)";
	if (netenv_link_local(fam, dst) ||
	    netenv_link_local(fam, &r->cx->orig->src))
		return "output interface of a local link-local packet "
		       "(the socket's scope)";
	return NULL;
}

/*
 * What conntrack does keep is the source.  One the socket left to the
 * kernel is the route's (its prefsrc or an address of its device), so
 * any other source says the socket chose something, maybe the interface.
 */
static int local_src_fits(const struct ev_run *r, const struct ne_route *rt)
{
	const union addr *src = &r->cx->orig->src;
	uint8_t fam = r->pkt.family;

	return !r->pkt.local ||
	       addr_eq(fam, &rt->prefsrc, src) ||
	       netenv_addr_on(r->cx->env, fam, rt->oif, src);
}

const struct ne_route *ev_out_route(struct ev_run *r)
{
	const struct netenv *env = r->cx->env;
	const struct ne_route *rt;
	const char *why;
	union addr dst;

	if (r->hook == NF_INET_PRE_ROUTING || r->hook == NF_INET_LOCAL_IN) {
		ev_unknown(r, "output interface at %s", nm_hook_name(r->hook));
		return NULL;
	}
	if (!ev_pkt_addr(&r->pkt, 1, &dst)) {
		ev_unknown(r, "output interface (dnat to a range)");
		return NULL;
	}
	why = local_oif_socket(r, &dst);
	if (why) {
		ev_unknown(r, "%s", why);
		return NULL;
	}
	if (netenv_policy(env, r->pkt.family)) {
		ev_unknown(r, "output interface (policy routing)");
		return NULL;
	}
	rt = netenv_route(env, r->pkt.family, &dst);
	if (!rt || !rt->oif || route_ambiguous(env, rt)) {
		ev_unknown(r, "output interface (no single route)");
		return NULL;
	}
	if (!local_src_fits(r, rt)) {
		ev_unknown(r, "output interface of a local packet whose source "
			   "is not its route's (the socket's)");
		return NULL;
	}
	return rt;
}

int ev_get_oif(struct ev_run *r, uint32_t *ifindex)
{
	const struct netenv *env = r->cx->env;
	const struct ne_route *rt;
	union addr dst;

	if (r->oif) {
		*ifindex = r->oif;
		return 1;
	}
	/* To one of our own addresses a packet leaves through lo. */
	if (r->hook != NF_INET_PRE_ROUTING && r->hook != NF_INET_LOCAL_IN &&
	    ev_pkt_addr(&r->pkt, 1, &dst) &&
	    netenv_addr_type(env, r->pkt.family, &dst) == RTN_LOCAL) {
		*ifindex = netenv_ifindex(env, "lo");
		if (*ifindex)
			return 1;
		ev_unknown(r, "output interface (no lo)");
		return 0;
	}
	rt = ev_out_route(r);
	if (!rt)
		return 0;
	*ifindex = r->oif = rt->oif;
	return 1;
}

int ev_get_ifname(struct ev_run *r, uint32_t ifindex, char name[16])
{
	const char *n = netenv_ifname(r->cx->env, ifindex);

	memset(name, 0, 16);
	if (!n) {
		ev_unknown(r, "name of interface %u", ifindex);
		return 0;
	}
	memcpy(name, n, strnlen(n, 16));
	return 1;
}

/* The kernel's inet_dev_addr_type(): RTN_UNICAST when the local table has
 * nothing, and a local address counts only on @dev when one is given. */
int ev_addr_type(const struct netenv *env, uint8_t family,
		     const union addr *a, uint32_t dev)
{
	int t = netenv_addr_type(env, family, a);

	if (family == AF_INET && t == RTN_UNREACHABLE)
		t = RTN_UNICAST;
	if (dev && t == RTN_LOCAL && !netenv_addr_on(env, family, dev, a))
		t = RTN_UNICAST;
	return t;
}

/* ---- registers ---- */

int ev_reg_off(uint32_t reg, unsigned int len, unsigned int *off)
{
	if (reg >= NFT_REG_1 && reg <= NFT_REG_4)
		*off = reg * NFT_REG_SIZE;
	else if (reg >= NFT_REG32_00 && reg <= NFT_REG32_15)
		*off = NFT_REG_SIZE + (reg - NFT_REG32_00) * NFT_REG32_SIZE;
	else
		return 0;
	return *off + len <= EV_NWORDS * 4;
}

/*
 * Store @len bytes (@known per bit, NULL: all known) into @reg.  The
 * kernel zeroes the last, partly written word first: the padding of a u8
 * or u16 load is a known zero.
 */
int ev_reg_store(struct ev_run *r, struct ev_regs *regs, uint32_t reg,
		     const uint8_t *val, const uint8_t *known,
		     unsigned int len)
{
	uint8_t *d = (uint8_t *)regs->data, *k = (uint8_t *)regs->known;
	unsigned int off, w;

	if (!len || !ev_reg_off(reg, len, &off)) {
		ev_unknown(r, "register %u/%u bytes out of range", reg, len);
		return 0;
	}
	if (len % 4) {
		regs->data[(off + len) / 4] = 0;
		regs->known[(off + len) / 4] = ~0u;
	}
	memcpy(d + off, val, len);
	if (known)
		memcpy(k + off, known, len);
	else
		memset(k + off, 0xff, len);
	for (w = off / 4; w < (off + len + 3) / 4; w++)
		regs->origin[w] = OR_VALUE;
	return 1;
}

int ev_reg_load(struct ev_run *r, const struct ev_regs *regs,
		    uint32_t reg, unsigned int len, uint8_t *val,
		    uint8_t *known, unsigned int *offp)
{
	unsigned int off;

	if (!len || !ev_reg_off(reg, len, &off)) {
		ev_unknown(r, "register %u/%u bytes out of range", reg, len);
		return 0;
	}
	memcpy(val, (const uint8_t *)regs->data + off, len);
	memcpy(known, (const uint8_t *)regs->known + off, len);
	if (offp)
		*offp = off;
	return 1;
}

/* What made byte @i of a load at @off unknown. */
static void reg_why(const struct ev_run *r, const struct ev_regs *regs,
		    unsigned int off, unsigned int i, char *buf, size_t size)
{
	unsigned int w = (off + i) / 4;

	switch (regs->origin[w]) {
	case OR_PAYLOAD:
		snprintf(buf, size, "payload @%s+%u",
			 NAME_OF(ev_base_names, regs->obase[w]) ?: "?",
			 regs->ooff[w] + (off + i) % 4);
		return;
	case OR_MARK:
		snprintf(buf, size, "meta mark: %s", r->mark.why);
		return;
	case OR_CTMARK:
		snprintf(buf, size, "ct mark: %s", r->ctmark.why);
		return;
	}
	snprintf(buf, size, "register read before it was written");
}

static void unknown_reg(struct ev_run *r, const struct ev_regs *regs,
			unsigned int off, unsigned int i)
{
	char why[EV_UNKNOWN_LEN];

	reg_why(r, regs, off, i, why, sizeof(why));
	ev_unknown(r, "%s", why);
}

/* All bits known?  Else stop, naming the culprit. */
int ev_need_known(struct ev_run *r, const struct ev_regs *regs,
		      const uint8_t *known, unsigned int off, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++) {
		if (known[i] != 0xff) {
			unknown_reg(r, regs, off, i);
			return 0;
		}
	}
	return 1;
}

/* Load and require every bit known. */
int ev_reg_get(struct ev_run *r, const struct ev_regs *regs,
		   uint32_t reg, unsigned int len, uint8_t *val)
{
	uint8_t known[NM_DATA_MAX];
	unsigned int off;

	if (len > NM_DATA_MAX) {
		ev_unknown(r, "register access of %u bytes", len);
		return 0;
	}
	return ev_reg_load(r, regs, reg, len, val, known, &off) &&
	       ev_need_known(r, regs, known, off, len);
}

/* ---- expressions ---- */

void ev_reg_store_mark(struct ev_run *r, struct ev_regs *regs,
			   uint32_t reg, const struct ev_mark *mk, int origin)
{
	unsigned int off = 0;

	if (!ev_reg_store(r, regs, reg, (const uint8_t *)&mk->val,
		       (const uint8_t *)&mk->known, 4))
		return;
	ev_reg_off(reg, 4, &off);
	regs->origin[off / 4] = origin;
}

/* The mark's unknown bits came from the word at @off, say where. */
void ev_mark_from_reg(struct ev_run *r, const struct ev_regs *regs,
			  uint32_t reg, struct ev_mark *mk)
{
	uint32_t v, k;
	unsigned int off, i;
	char why[sizeof(mk->why)];

	if (!ev_reg_load(r, regs, reg, 4, (uint8_t *)&v, (uint8_t *)&k, &off))
		return;
	if (k != ~0u) {
		for (i = 0; i < 4 && ((uint8_t *)&k)[i] == 0xff; i++)
			;
		if (regs->origin[off / 4] == OR_MARK)
			memcpy(why, r->mark.why, sizeof(why));
		else if (regs->origin[off / 4] == OR_CTMARK)
			memcpy(why, r->ctmark.why, sizeof(why));
		else
			reg_why(r, regs, off, i, why, sizeof(why));
		memcpy(mk->why, why, sizeof(why));
	}
	mk->val = v;
	mk->known = k;
}

/* A value any of 0..@mod-1: the current path's choice. */
int ev_choose(struct ev_run *r, uint32_t mod, const char *what,
		  uint32_t *v)
{
	struct ev_ctx *cx = r->cx;

	if (!mod || mod > EV_MAX_MOD) {
		ev_unknown(r, "%s mod %u", what, mod);
		return 0;
	}
	if (cx->pos >= EV_MAX_CHOICES) {
		ev_unknown(r, "more than %d %s choices", EV_MAX_CHOICES, what);
		return 0;
	}
	if (cx->pos >= cx->nfixed) {
		cx->choice[cx->pos] = 0;
		cx->mod[cx->pos] = mod;
	}
	*v = cx->choice[cx->pos++];
	return 1;
}

/* ---- addresses ---- */

int ev_prefix_has(const union addr *net, unsigned int bits,
		      const union addr *a)
{
	unsigned int i;

	for (i = 0; i < bits / 8; i++)
		if (net->b[i] != a->b[i])
			return 0;
	if (bits % 8 && ((net->b[i] ^ a->b[i]) & (0xff00 >> (bits % 8))))
		return 0;
	return 1;
}

void ev_match(struct ev_regs *regs, int m)
{
	if (m == 0)
		regs->verdict = NFT_BREAK;
}
