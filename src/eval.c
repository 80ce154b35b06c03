// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * eval.c - run nat chains on a synthetic first packet, as nf_tables would.
 *
 * The register file follows nf_tables: 20 words, the verdict in the first
 * four, NFT_REG_1..4 as 16-byte and NFT_REG32_* as 4-byte views of the
 * rest.  Next to every bit we keep whether it is known: loads of packet
 * bytes a first packet does not pin down (TTL, sequence numbers, ...) give
 * unknown bits, and a comparison that depends on them stops the evaluation
 * as EV_UNKNOWN.  Nothing is guessed.
 */
#include <errno.h>
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

/* After a rule: its match, and what it did to the marks (explain);
 * @before holds mark, its known bits, ct mark, its known bits. */
static void trace_rule(struct ev_run *r, const struct ev_regs *regs,
		       const uint32_t before[4])
{
	struct ev_trace *t = r->cx->trace;
	unsigned int k;
	struct ev_step st;

	if (regs->verdict == NFT_BREAK)
		return;
	ev_trace_step(r, EVS_RULE, NULL);
	/* The rule goes before what it did (a set element, a binding). */
	for (k = t->n - 1; k > 0 && t->n && !t->truncated; k--) {
		const struct ev_step *x = &t->steps[k - 1];

		if ((x->kind != EVS_ELEM && x->kind != EVS_NAT) ||
		    x->chain != r->chain || x->rule != r->rule)
			break;
	}
	if (t->n && k < t->n - 1) {
		st = t->steps[t->n - 1];
		memmove(&t->steps[k + 1], &t->steps[k],
			(t->n - 1 - k) * sizeof(st));
		t->steps[k] = st;
	}
	if (before[0] != r->mark.val || before[1] != r->mark.known ||
	    before[2] != r->ctmark.val || before[3] != r->ctmark.known)
		ev_trace_step(r, EVS_MARK, NULL);
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

static void pkt_init(struct ev_pkt *p, const struct tuple *t)
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
static const char *iif_find(struct ev_run *r, uint32_t *ifindex)
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
	const char *why = iif_find(r, ifindex);

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

/* ---- nat ---- */

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

/* ---- iptables matches ---- */

/* ---- marks (xt MARK, CONNMARK, mark, connmark) ---- */

void ev_match(struct ev_regs *regs, int m)
{
	if (m == 0)
		regs->verdict = NFT_BREAK;
}

static void eval_expr(struct ev_run *r, struct ev_regs *regs,
		      const struct nm_expr *e)
{
	const struct nm_expr_ops *ops = nm_expr_ops(e->op);

	if (!ops) {
		ev_unknown(r, "expression op %u", e->op);
		return;
	}
	if (ops->eval)
		ops->eval(r, regs, e);
}

/* ---- chains ---- */

/* Run one rule; its verdict is left in regs->verdict. */
static void run_rule(struct ev_run *r, struct ev_regs *regs,
		     const struct nm_rule *rule)
{
	unsigned int k;

	regs->verdict = NFT_CONTINUE;
	for (k = 0; k < rule->nexprs; k++) {
		if (++r->steps > EV_MAX_STEPS) {
			ev_unknown(r, "rules loop");
			return;
		}
		eval_expr(r, regs, &rule->exprs[k]);
		if (r->status != EV_OK || regs->verdict != NFT_CONTINUE)
			return;
	}
}

/* nft_do_chain() for base chain @ci: returns the verdict (NF_ACCEPT ...),
 * or EV_STOP with r->status set. */
static int run_base(struct ev_run *r, int ci)
{
	const struct nm_model *m = r->cx->m;
	struct { int chain, rule; } stack[EV_STACK];
	unsigned int sp = 0;
	struct ev_regs regs;
	const struct nm_chain *c;
	int chain = ci, rule = 0, v;

	memset(&regs, 0, sizeof(regs));
next_chain:
	c = &m->chains[chain];
	if (r->cx->trace && !rule) {
		r->chain = chain;
		r->rule = -1;
		ev_trace_step(r, EVS_CHAIN, NULL);
	}
	for (v = NFT_RETURN; rule < (int)c->nrules; rule++) {
		uint32_t before[4] = { r->mark.val, r->mark.known,
				       r->ctmark.val, r->ctmark.known };

		r->chain = chain;
		r->rule = rule;
		run_rule(r, &regs, &c->rules[rule]);
		if (r->status != EV_OK)
			return EV_STOP;
		if (r->cx->trace)
			trace_rule(r, &regs, before);
		if (regs.verdict != NFT_CONTINUE && regs.verdict != NFT_BREAK) {
			v = regs.verdict;
			break;
		}
	}
	switch (v) {
	case NFT_JUMP:
		if (sp == EV_STACK) {
			ev_unknown(r, "jump stack overflow");
			return EV_STOP;
		}
		stack[sp].chain = chain;
		stack[sp++].rule = rule + 1;
		/* fallthrough */
	case NFT_GOTO:
		if (regs.chain < 0 || (unsigned int)regs.chain >= m->nchains) {
			ev_unknown(r, "jump to a chain not read");
			return EV_STOP;
		}
		chain = regs.chain;
		rule = 0;
		goto next_chain;
	case NFT_RETURN:
		if (sp) {
			sp--;
			if (r->cx->trace) {
				r->chain = chain;
				r->rule = -1;
				ev_trace_step(r, EVS_RETURN, NULL);
			}
			chain = stack[sp].chain;
			rule = stack[sp].rule;
			goto next_chain;
		}
		r->chain = ci;
		r->rule = -1;
		v = m->chains[ci].policy;
		break;
	}
	if (r->cx->trace) {
		struct ev_step st = { .chain = ci, .rule = -1, .verdict = v };

		ev_trace_step(r, EVS_VERDICT, &st);
	}
	return v;
}

/* One nat base chain at @hook. 0 or EV_STOP. */
static int run_one(struct ev_run *r, int hook, const struct nm_chain *c)
{
	int v = run_base(r, (int)(c - r->cx->m->chains));

	if (v == EV_STOP)
		return EV_STOP;
	if (v == NF_DROP) {
		r->status = EV_DROPPED;
		return EV_STOP;
	}
	if (v != NF_ACCEPT) {
		ev_unknown(r, "verdict %d at %s", v, nm_hook_name(hook));
		return EV_STOP;
	}
	return 0;
}

/*
 * The @k nat chains in @ch share one priority.  The kernel runs them in
 * an order we cannot see: nf_hook_entries_grow() puts a new hook before
 * the ones of equal priority, so the chain registered last runs first,
 * and when an iptables-legacy nat table registered its hooks relative to
 * nft's chains is not recorded anywhere.  Reading order is no answer (a
 * flow NATed by the later chain would be called stale, and deleted on
 * every sweep), so which chain leads is a choice point: each path runs
 * one chain first, then the rest.  The first chain to bind or drop
 * decides, and every chain that can decide leads on some path, so the
 * paths' outcomes are exactly the possible ones.
 */
static int run_group(struct ev_run *r, int hook, const struct nm_chain **ch,
		     int k)
{
	uint32_t lead = 0;
	int i;

	if (k > 1 && !ev_choose(r, (uint32_t)k, "equal-priority nat chain",
			     &lead))
		return EV_STOP;
	if (run_one(r, hook, ch[lead]))
		return EV_STOP;
	for (i = 0; i < k && !r->hook_bound; i++)
		if ((uint32_t)i != lead && run_one(r, hook, ch[i]))
			return EV_STOP;
	return 0;
}

/* Rewrite the packet as the DNAT binding does; a range leaves the field
 * unknown to later hooks. */
static void apply_dnat(struct ev_pkt *p, const struct nm_natspec *s)
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

/* The nat chains of one hook, until one of them binds; at prerouting and
 * output the binding then rewrites the packet for what follows.  0 or EV_STOP. */
static int run_nat(struct ev_run *r, int hook)
{
	const struct nm_model *m = r->cx->m;
	const struct nm_chain *ch[EV_MAX_CHAINS];
	int n, i, j;

	n = nm_nat_chains(m, hook, r->pkt.family, ch, EV_MAX_CHAINS);
	if (n < 0) {
		ev_unknown(r, "too many nat chains at %s", nm_hook_name(hook));
		return EV_STOP;
	}
	for (i = 0; i < n && !r->hook_bound; i = j) {
		for (j = i + 1; j < n && ch[j]->prio == ch[i]->prio; j++)
			;
		if (run_group(r, hook, ch + i, j - i))
			return EV_STOP;
	}
	if (hook != NF_INET_PRE_ROUTING && hook != NF_INET_LOCAL_OUT)
		return 0;
	if (r->dnat.set)
		apply_dnat(&r->pkt, &r->dnat.spec);
	/* From here on only the source NAT can still be decided: what stops
	 * the evaluation now leaves the DNAT outcome standing. */
	r->dnat_done = true;
	return 0;
}

/*
 * Something we cannot evaluate in a chain that matters only for the mark:
 * it may have changed either mark, so both are unknown from here on, and
 * only a rule that reads them becomes unknown.
 */
static void marks_lost(struct ev_run *r, const struct nm_chain *c,
		       const char *what)
{
	snprintf(r->mark.why, sizeof(r->mark.why),
		 "mark set in %.24s/%.24s after '%.18s'", c->table, c->name,
		 what);
	memcpy(r->ctmark.why, r->mark.why, sizeof(r->ctmark.why));
	r->mark.known = r->ctmark.known = 0;
}

/* A non-nat chain that may write the mark: its verdict does not matter
 * here (the flow exists, so its first packet got through). */
static void run_mark_chain(struct ev_run *r, const struct nm_chain *c)
{
	const struct nm_model *m = r->cx->m;
	char what[EV_UNKNOWN_LEN];

	run_base(r, (int)(c - m->chains));
	if (r->status != EV_UNKNOWN)
		return;
	memcpy(what, r->unknown, sizeof(what));
	r->status = EV_OK;
	marks_lost(r, r->chain >= 0 ? &m->chains[r->chain] : c, what);
}

/* Run mark chains [@i, @n) of @mc below @prio (up to it with @incl). */
static int run_marks_until(struct ev_run *r, const struct nm_chain **mc,
			   int i, int n, int prio, bool incl)
{
	for (; i < n && (mc[i]->prio < prio || (incl && mc[i]->prio == prio));
	     i++) {
		run_mark_chain(r, mc[i]);
		/* Chains of one priority run in an order we cannot see. */
		if (i + 1 < n && mc[i + 1]->prio == mc[i]->prio)
			marks_lost(r, mc[i], "another chain of equal priority");
	}
	return i;
}

/* The nat core hooks in once per hook at these priorities and runs every
 * nat chain from there (nf_nat_register_fn): a nat chain's own priority
 * only orders it among nat chains. */
static int nat_core_prio(int hook)
{
	return hook == NF_INET_PRE_ROUTING || hook == NF_INET_LOCAL_OUT ?
	       NF_IP_PRI_NAT_DST : NF_IP_PRI_NAT_SRC;
}

/*
 * One hook: the chains that may write the mark and the nat chains, in the
 * kernel's order.  At input and postrouting nothing after the nat core can
 * change what NAT decided.  0 or EV_STOP.
 */
static int run_hook(struct ev_run *r, int hook)
{
	const struct nm_chain *mc[EV_MAX_CHAINS];
	int n, i, natp = nat_core_prio(hook);
	bool last = hook == NF_INET_LOCAL_IN || hook == NF_INET_POST_ROUTING;
	uint32_t nat_last = 0;

	r->hook = hook;
	r->hook_bound = false;
	r->oif = 0;	/* DNAT may have moved the destination */
	r->chain = r->rule = -1;
	ev_trace_step(r, EVS_HOOK, NULL);
	n = nm_mark_chains(r->cx->m, hook, r->pkt.family, mc, EV_MAX_CHAINS);
	if (n < 0) {
		ev_unknown(r, "too many chains at %s", nm_hook_name(hook));
		return EV_STOP;
	}
	if (hook == NF_INET_FORWARD) {
		run_marks_until(r, mc, 0, n, INT32_MAX, true);
		return 0;
	}
	for (i = 0; i < n && mc[i]->prio != natp; i++)
		;
	/* A mark chain at the nat core's own priority: either may go
	 * first. */
	if (i < n && !ev_choose(r, 2, "order of a chain and nat", &nat_last))
		return EV_STOP;
	i = run_marks_until(r, mc, 0, n, natp, nat_last);
	if (run_nat(r, hook) || last)
		return r->status == EV_OK ? 0 : EV_STOP;
	run_marks_until(r, mc, i, n, INT32_MAX, true);
	return 0;
}

/* Does an ingress chain (netdev, or inet's ingress hook) bind to @dev? */
static bool on_dev(const struct nm_chain *c, const char *dev, bool *maybe)
{
	unsigned int i;

	for (i = 0; i < c->ndevs && i < NM_MAX_DEVS; i++)
		if (!strncmp(c->devs[i], dev, sizeof(c->devs[i])))
			return true;
	*maybe = c->devs_more;
	return false;
}

static bool any_tc_ingress(const struct netenv *env)
{
	unsigned int i;

	for (i = 0; i < env->nlinks; i++)
		if (env->links[i].tc_ingress)
			return true;
	return false;
}

/*
 * Before prerouting: tc filters (act_skbedit, bpf) on the input device may
 * set the mark, then the nftables ingress chains on it run.
 */
static void run_ingress(struct ev_run *r)
{
	const struct netenv *env = r->cx->env;
	const struct nm_chain *mc[EV_MAX_CHAINS];
	const char *why, *dev;
	uint32_t iif = 0;
	unsigned int i;
	int n;
	bool maybe = false;

	n = nm_mark_chains(r->cx->m, NM_HOOK_INGRESS, r->pkt.family, mc,
			   EV_MAX_CHAINS);
	if (!n && !any_tc_ingress(env))
		return;
	why = iif_find(r, &iif);
	dev = why ? NULL : netenv_ifname(env, iif);
	if (!dev || n < 0) {
		snprintf(r->mark.why, sizeof(r->mark.why),
			 "ingress mark: %s", dev ? "too many chains" :
			 why ?: "no input interface name");
		r->mark.known = 0;
		return;
	}
	if (netenv_tc_ingress(env, iif)) {
		snprintf(r->mark.why, sizeof(r->mark.why), "tc filter on %s",
			 dev);
		r->mark.known = 0;
	}
	for (i = 0; i < (unsigned int)n; i++) {
		if (on_dev(mc[i], dev, &maybe))
			run_mark_chain(r, mc[i]);
		else if (maybe)
			marks_lost(r, mc[i], "more devices than read");
	}
}

/* A packet from outside starts with mark 0; a local one with its
 * socket's (SO_MARK, a WireGuard fwmark), which no rule shows.  The new
 * entry's ct mark is 0 (an expected connection's is its master's, but
 * judge_compare() leaves expected flows unknown anyway). */
static void marks_init(struct ev_run *r)
{
	memset(&r->mark, 0, sizeof(r->mark));
	memset(&r->ctmark, 0, sizeof(r->ctmark));
	r->mark.known = r->ctmark.known = ~0u;
	if (!r->pkt.local) {
		run_ingress(r);
		return;
	}
	r->mark.known = 0;
	snprintf(r->mark.why, sizeof(r->mark.why), "socket mark");
}

/* Does [@lo, @hi] hold an address of this host? */
static int range_has_local(const struct netenv *env, uint8_t family,
			   const union addr *lo, const union addr *hi)
{
	unsigned int i;

	for (i = 0; i < env->naddrs; i++) {
		const struct ne_addr *x = &env->addrs[i];

		if (x->family == family && addr_cmp(family, &x->addr, lo) >= 0 &&
		    addr_cmp(family, &x->addr, hi) <= 0)
			return 1;
	}
	for (i = 0; i < env->nroutes; i++) {
		const struct ne_route *rt = &env->routes[i];

		if (rt->family == family && rt->table == RT_TABLE_LOCAL &&
		    rt->type == RTN_LOCAL &&
		    (ev_prefix_has(&rt->dst, rt->dst_len, lo) ||
		     ev_prefix_has(&rt->dst, rt->dst_len, hi) ||
		     (addr_cmp(family, &rt->dst, lo) >= 0 &&
		      addr_cmp(family, &rt->dst, hi) <= 0)))
			return 1;
	}
	return 0;
}

/* Is the destination after DNAT delivered here (input) or routed on? */
static int dst_is_local(struct ev_run *r)
{
	const struct netenv *env = r->cx->env;
	const struct nm_natspec *s = &r->dnat.spec;
	union addr dst;
	int t;

	if (r->pkt.dst_fuzzy) {
		if (range_has_local(env, r->pkt.family, &s->addr_min,
				    &s->addr_max)) {
			ev_unknown(r, "dnat range holds a local address");
			return EV_STOP;
		}
		return 0;
	}
	ev_pkt_addr(&r->pkt, 1, &dst);
	t = netenv_addr_type(env, r->pkt.family, &dst);
	return t == RTN_LOCAL || t == RTN_BROADCAST || t == RTN_MULTICAST ||
	       t == RTN_ANYCAST;
}

/* ingress, prerouting (output for a local packet), then input, or
 * forward and postrouting. */
static void run_path(struct ev_run *r)
{
	const struct tuple *o = r->cx->orig;
	int local;

	pkt_init(&r->pkt, o);
	r->pkt.local = netenv_addr_type(r->cx->env, o->family, &o->src) ==
		       RTN_LOCAL;
	marks_init(r);
	if (run_hook(r, r->pkt.local ? NF_INET_LOCAL_OUT : NF_INET_PRE_ROUTING))
		return;
	local = r->pkt.local ? 0 : dst_is_local(r);
	if (local < 0)
		return;
	if (!local && !r->pkt.local && run_hook(r, NF_INET_FORWARD))
		return;
	run_hook(r, local ? NF_INET_LOCAL_IN : NF_INET_POST_ROUTING);
}

/* ---- collecting the outcome ---- */

static int spec_eq(const struct nm_natspec *a, const struct nm_natspec *b)
{
	return a->type == b->type && a->family == b->family &&
	       a->flags == b->flags &&
	       !memcmp(a->addr_min.b, b->addr_min.b, 16) &&
	       !memcmp(a->addr_max.b, b->addr_max.b, 16) &&
	       a->port_min == b->port_min && a->port_max == b->port_max;
}

static int add_cand(struct nat_outcome *o, const struct nm_natspec *s,
		    int chain, int rule)
{
	unsigned int i;

	for (i = 0; i < o->ncand; i++)
		if (spec_eq(&o->cand[i], s))
			return 0;
	if (o->ncand == JUDGE_MAX_CAND)
		return -E2BIG;
	o->chain[o->ncand] = chain;
	o->rule[o->ncand] = rule;
	o->cand[o->ncand++] = *s;
	return 0;
}

static int collect(const struct ev_nat *n,
		   struct nat_outcome *o, int *chain, int *rule, int *none)
{
	if (!n->set) {
		*none = 1;
		return 0;
	}
	if (*chain < 0) {
		*chain = n->chain;
		*rule = n->rule;
	}
	return add_cand(o, &n->spec, n->chain, n->rule);
}

/* Some paths NAT, some do not: "unchanged" is a candidate too. */
static int add_unchanged(struct nat_outcome *o, int type, int none,
			 uint8_t family)
{
	struct nm_natspec s;

	if (!o->ncand || !none)
		return 0;
	memset(&s, 0, sizeof(s));
	s.type = type;
	s.family = family;
	return add_cand(o, &s, -1, -1);
}

/* Odometer over the choices of the last run, last choice first. */
static int next_choice(struct ev_ctx *cx)
{
	int i = (int)cx->pos - 1;

	while (i >= 0 && cx->choice[i] + 1 >= cx->mod[i])
		i--;
	if (i < 0)
		return 0;
	cx->choice[i]++;
	cx->nfixed = i + 1;
	return 1;
}

static void res_unknown(struct ev_result *res, const struct ev_run *r)
{
	res->status = r->status;
	memcpy(res->unknown, r->unknown, sizeof(res->unknown));
	res->stop_chain = r->chain;
	res->stop_rule = r->rule;
}

void eval_first_packet(const struct nm_model *m, const struct netenv *env,
		       const struct tuple *orig, struct ev_result *res)
{
	eval_first_packet_traced(m, env, orig, res, NULL);
}

void eval_first_packet_traced(const struct nm_model *m,
			      const struct netenv *env,
			      const struct tuple *orig, struct ev_result *res,
			      struct ev_trace *trace)
{
	struct ev_ctx cx = { .m = m, .env = env, .orig = orig, .trace = trace };
	struct ev_run run;
	int dnone = 0, snone = 0, ok = 0, more, snat_unknown = 0;

	memset(res, 0, sizeof(*res));
	res->dnat_chain = res->dnat_rule = res->snat_chain = -1;
	res->snat_rule = res->stop_chain = res->stop_rule = -1;
	do {
		memset(&run, 0, sizeof(run));
		run.cx = &cx;
		run.chain = run.rule = -1;
		cx.pos = 0;
		cx.path = res->runs + 1;
		ev_trace_step(&run, EVS_PATH, NULL);
		run_path(&run);
		res->runs++;
		if (run.status == EV_UNKNOWN && !run.dnat_done)
			return res_unknown(res, &run);
		if (run.status == EV_UNKNOWN) {
			/* Keep this path's DNAT; the SNAT is unknown. */
			if (!snat_unknown)
				res_unknown(res, &run);
			snat_unknown = 1;
			run.status = EV_OK;
			run.snat.set = 0;
		}
		if (run.status == EV_DROPPED) {
			/* Another path is what this flow took, if any. */
			if (res->stop_chain < 0) {
				res->stop_chain = run.chain;
				res->stop_rule = run.rule;
			}
		} else if (collect(&run.dnat, &res->dnat, &res->dnat_chain,
				   &res->dnat_rule, &dnone) ||
			   collect(&run.snat, &res->snat, &res->snat_chain,
				   &res->snat_rule, &snone)) {
			goto too_many;
		} else {
			ok = 1;
		}
		more = next_choice(&cx);
	} while (more && res->runs < EV_MAX_RUNS);
	if (more) {
		snprintf(res->unknown, sizeof(res->unknown),
			 "more than %d paths (numgen, hash)", EV_MAX_RUNS);
		res->status = EV_UNKNOWN;
		return;
	}
	if (!ok) {
		res->status = EV_DROPPED;
		snprintf(res->unknown, sizeof(res->unknown),
			 "dropped in a nat chain");
		return;
	}
	if (add_unchanged(&res->dnat, NFT_NAT_DNAT, dnone, orig->family) ||
	    add_unchanged(&res->snat, NFT_NAT_SNAT, snone, orig->family))
		goto too_many;
	if (snat_unknown) {
		res->status = EV_SNAT_UNKNOWN;
		memset(&res->snat, 0, sizeof(res->snat));
		return;
	}
	res->stop_chain = res->stop_rule = -1;
	return;
too_many:
	res->status = EV_UNKNOWN;
	snprintf(res->unknown, sizeof(res->unknown),
		 "more than %d nat candidates", JUDGE_MAX_CAND);
}
