// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * eval.c - run nat chains on a synthetic first packet, as nf_tables would:
 * the evaluator's core.  Chains, jumps and verdicts, the hooks a first
 * packet traverses (ingress, prerouting or output, forward or input,
 * postrouting) with the mark chains between the nat ones, and the
 * exploration of every choice (numgen, hash, a range), collected into one
 * outcome.  Each expression runs in its own file through its entry
 * (src/expr/), on the packet and registers of evalctx.c.
 */
#include <errno.h>
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
static void eval_expr(struct ev_run *r, struct ev_regs *regs,
		      const struct nm_expr *e)
{
	const struct nm_expr_ops *ops = nm_expr_ops(e->op);

	if (!ops) {
		ev_unknown(r, "expression op %u", e->op);
		return;
	}
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
	for (i = 0; i < k && !r->bound; i++)
		if ((uint32_t)i != lead && run_one(r, hook, ch[i]))
			return EV_STOP;
	return 0;
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
	for (i = 0; i < n && !r->bound; i = j) {
		for (j = i + 1; j < n && ch[j]->prio == ch[i]->prio; j++)
			;
		if (run_group(r, hook, ch + i, j - i))
			return EV_STOP;
	}
	if (hook != NF_INET_PRE_ROUTING && hook != NF_INET_LOCAL_OUT)
		return 0;
	if (r->dnat.set)
		ev_pkt_dnat(&r->pkt, &r->dnat.spec);
	/* From here on only the source NAT can still be decided: what stops
	 * the evaluation now leaves the DNAT outcome standing. */
	r->snat_phase = true;
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
	r->bound = 0;
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
	why = ev_iif_find(r, &iif);
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

	ev_pkt_init(&r->pkt, o);
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
		if (run.status == EV_UNKNOWN && !run.snat_phase)
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
