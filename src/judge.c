// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * judge.c - compare what the nat rules would do now with what a flow has.
 *
 * The evaluation (eval.c) gives, per manip type, the candidates the rules
 * allow for the flow's first packet; the flow is consistent when its reply
 * tuple fits one of them.  Only an exact evaluation can make a flow stale.
 *
 * Ports: a DNAT without a port keeps the port, so the flow's must match;
 * SNAT (and masquerade) may remap the source port on a clash, so without
 * a port in the rule only the address counts, and a flow counts as source
 * NATed by its address alone.  Masquerade is compared exactly: the address
 * the kernel's inet_select_addr() would pick on the output interface now
 * (for IPv6 any address of the interface), else snat-changed.
 */
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include "eval.h"
#include "expr.h"
#include "judge.h"

/* ---- judge_keys ---- */

/* Mark chain @c reachable and queue it. */
static void reach(const struct nm_model *m, int c, unsigned char *seen,
		  int *queue, unsigned int *nq)
{
	if (c < 0 || (unsigned int)c >= m->nchains || seen[c])
		return;
	seen[c] = 1;
	queue[(*nq)++] = c;
}

static void reach_set(const struct nm_model *m, int set, unsigned char *seen,
		      int *queue, unsigned int *nq)
{
	unsigned int i;

	if (set < 0 || (unsigned int)set >= m->nsets)
		return;
	for (i = 0; i < m->sets[set].nelems; i++)
		reach(m, m->sets[set].elems[i].chain, seen, queue, nq);
}

static unsigned int chain_keys(const struct nm_model *m, int ci,
			       unsigned char *seen, int *queue,
			       unsigned int *nq)
{
	const struct nm_chain *c = &m->chains[ci];
	unsigned int i, k, keys = 0;

	for (i = 0; i < c->nrules; i++) {
		for (k = 0; k < c->rules[i].nexprs; k++) {
			const struct nm_expr *e = &c->rules[i].exprs[k];
			struct nm_next n = nm_expr_next(e);

			keys |= nm_expr_keys(c->family, e);
			reach(m, n.chain, seen, queue, nq);
			reach_set(m, n.set, seen, queue, nq);
		}
	}
	return keys;
}

/*
 * Whether the destination is a local address picks input or postrouting,
 * so chains after routing make it a key.  Whether the source is local
 * picks output or prerouting; that is left to callers (see judge_keys()).
 */
static unsigned int path_keys(const struct nm_chain *c)
{
	/* Whether an ingress chain runs depends on the input device. */
	if (c->hook == NM_HOOK_INGRESS)
		return JK_IIF | JK_SADDR;
	if (!c->nat || c->hook < 0)
		return 0;
	if (c->hook == NF_INET_LOCAL_IN || c->hook == NF_INET_POST_ROUTING)
		return JK_DADDR;
	return 0;
}

/*
 * The contract with callers that cache judge_eval() by these keys: the
 * cache key always holds the family, the l4proto and whether orig.src is
 * a local address (netenv_addr_type() == RTN_LOCAL), as scan.c does, and
 * a local source itself where JK_OIF is named (a local packet's output
 * interface is its route's only if the source is the route's).  Beyond
 * that only the fields named here can change the evaluation.
 */
unsigned int judge_keys(const struct nm_model *m)
{
	unsigned char seen_buf[256], *seen = seen_buf;
	int queue_buf[256], *queue = queue_buf;
	unsigned int i, nq = 0, keys = 0;

	if (m->nchains > 256)
		return JK_ALL;	/* keeps this free of allocation */
	memset(seen, 0, m->nchains);
	for (i = 0; i < m->nchains; i++) {
		const struct nm_chain *c = &m->chains[i];

		keys |= path_keys(c);
		/* The chains eval.c runs: nat ones, and those that may
		 * write the mark. */
		if (c->hook >= 0 &&
		    (c->nat || !m->finished || c->writes_mark))
			reach(m, i, seen, queue, &nq);
	}
	for (i = 0; i < nq; i++)
		keys |= chain_keys(m, queue[i], seen, queue, &nq);
	return keys;
}

/* ---- evaluation ---- */

void judge_eval(const struct nm_model *m, const struct netenv *env,
		const struct tuple *orig, struct judgement *j)
{
	judge_eval_traced(m, env, orig, j, NULL);
}

void judge_eval_traced(const struct nm_model *m, const struct netenv *env,
		       const struct tuple *orig, struct judgement *j,
		       struct ev_trace *trace)
{
	struct ev_result res;

	memset(j, 0, sizeof(*j));
	j->chain = j->rule = -1;
	eval_first_packet_traced(m, env, orig, &res, trace);
	if (res.status == EV_SNAT_UNKNOWN) {
		j->snat_unknown = true;
		j->unk_chain = res.stop_chain;
		j->unk_rule = res.stop_rule;
		memcpy(j->unknown, res.unknown, sizeof(j->unknown));
		j->unknown[sizeof(j->unknown) - 1] = 0;
		res.status = EV_OK;
	}
	if (res.status != EV_OK) {
		j->verdict = JV_UNKNOWN;
		j->reason = res.status == EV_DROPPED ? JR_DROPPED :
			    JR_UNMODELLED;
		memcpy(j->unknown, res.unknown, sizeof(j->unknown));
		j->unknown[sizeof(j->unknown) - 1] = 0;
		j->chain = res.stop_chain;
		j->rule = res.stop_rule;
		return;
	}
	j->verdict = JV_CONSISTENT;
	j->dnat = res.dnat;
	j->snat = res.snat;
	if (res.dnat.ncand && res.dnat_chain >= 0) {
		j->chain = res.dnat_chain;
		j->rule = res.dnat_rule;
	} else if (res.snat.ncand && res.snat_chain >= 0) {
		j->chain = res.snat_chain;
		j->rule = res.snat_rule;
	}
}

/* ---- comparison ---- */

static int port_in(uint16_t port, uint16_t lo, uint16_t hi)
{
	return ntohs(port) >= ntohs(lo) && ntohs(port) <= ntohs(hi);
}

/*
 * Does the flow's translated address/port (@now) fit candidate @c, given
 * the untranslated one (@was)?  Without a port in the candidate a DNAT
 * keeps the port, while SNAT may remap it on a clash: ports of SNAT
 * flows count only when the rule names them.
 */
static int cand_fits(const struct nm_natspec *c, uint8_t family, int ports,
		     int snat, const union addr *now, uint16_t now_port,
		     const union addr *was, uint16_t was_port)
{
	if (c->family && c->family != family)
		return 0;
	if (c->flags & NF_NAT_RANGE_MAP_IPS) {
		if (addr_cmp(family, now, &c->addr_min) < 0 ||
		    addr_cmp(family, now, &c->addr_max) > 0)
			return 0;
	} else if (addr_cmp(family, now, was)) {
		return 0;
	}
	if (!ports)
		return 1;
	if (c->flags & NF_NAT_RANGE_PROTO_SPECIFIED)
		return port_in(now_port, c->port_min, c->port_max);
	return snat || now_port == was_port;
}

/* The candidate the flow fits, or -1. */
static int outcome_fits(const struct nat_outcome *o, uint8_t family,
			int ports, int snat, const union addr *now,
			uint16_t now_port, const union addr *was,
			uint16_t was_port)
{
	unsigned int i;

	for (i = 0; i < o->ncand && i < JUDGE_MAX_CAND; i++)
		if (cand_fits(&o->cand[i], family, ports, snat, now, now_port,
			      was, was_port))
			return (int)i;
	return -1;
}

/* (inline, as check_nat: judge_verdict runs for every flow of a pass.)
 * The candidate of @o the flow's translated side fits, or -1: its reply's
 * source against the original destination for the DNAT outcome, its
 * reply's destination against the original source for the source NAT. */
static inline int flow_fits(const struct flow *f,
			    const struct nat_outcome *o, bool snat)
{
	const struct tuple *or = &f->orig, *re = &f->reply;
	int ports = proto_has_ports(or->l4proto);

	if (snat)
		return outcome_fits(o, or->family, ports, 1, &re->dst,
				    re->dport, &or->src, or->sport);
	return outcome_fits(o, or->family, ports, 0, &re->src, re->sport,
			    &or->dst, or->dport);
}

/* A flow consistent with one of several outcomes (numgen, statistic)
 * names the rule of the one it took. */
static void name_fitting_rule(const struct flow *f, struct judgement *j)
{
	int i = flow_fits(f, &j->dnat, false);

	if (i >= 0 && j->dnat.chain[i] >= 0) {
		j->chain = j->dnat.chain[i];
		j->rule = j->dnat.rule[i];
		return;
	}
	if (j->dnat.ncand)
		return;
	i = flow_fits(f, &j->snat, true);
	if (i >= 0 && j->snat.chain[i] >= 0) {
		j->chain = j->snat.chain[i];
		j->rule = j->snat.rule[i];
	}
}

/* Was @f's destination rewritten (address, or port where it has one)? */
static bool dnated(const struct flow *f)
{
	const struct tuple *or = &f->orig, *re = &f->reply;

	return addr_cmp(or->family, &re->src, &or->dst) ||
	       (proto_has_ports(or->l4proto) && re->sport != or->dport);
}

/* Was @f's source address rewritten?  (Its port alone may be remapped on
 * a clash without any source NAT.) */
static bool snated(const struct flow *f)
{
	return !addr_eq(f->orig.family, &f->reply.dst, &f->orig.src);
}

/* @f against one outcome: what @o (the DNAT or, with @snat, the source
 * NAT outcome) says of it. */
static inline enum jreason check_nat(const struct flow *f,
				     const struct nat_outcome *o, bool snat)
{
	static const enum jreason removed[2] = { JR_DNAT_REMOVED,
						 JR_SNAT_REMOVED };
	static const enum jreason changed[2] = { JR_DNAT_CHANGED,
						 JR_SNAT_CHANGED };
	static const enum jreason added[2] = { JR_DNAT_ADDED, JR_SNAT_ADDED };
	bool nated = snat ? snated(f) : dnated(f);

	if (!o->ncand)
		return nated ? removed[snat] : JR_NONE;
	if (flow_fits(f, o, snat) >= 0)
		return JR_NONE;
	return nated ? changed[snat] : added[snat];
}

enum jverdict judge_verdict(const struct flow *f, const struct judgement *j,
			    enum jreason *reason)
{
	enum jreason r;

	*reason = j->reason;
	if (j->verdict == JV_UNKNOWN)
		return JV_UNKNOWN;
	*reason = JR_UNMODELLED;
	/* Helpers (ftp, sip, ...) NAT expected flows themselves. */
	if (f->status & IPS_EXPECTED)
		return JV_UNKNOWN;
	r = check_nat(f, &j->dnat, false);
	/* A DNAT mismatch is proven whatever the source NAT would be. */
	if (r == JR_NONE && j->snat_unknown)
		return JV_UNKNOWN;
	if (r == JR_NONE)
		r = check_nat(f, &j->snat, true);
	*reason = r;
	return r == JR_NONE ? JV_CONSISTENT : JV_STALE;
}

void judge_compare(const struct flow *f, struct judgement *j)
{
	enum jreason r;

	if (j->verdict == JV_UNKNOWN)
		return;
	j->verdict = judge_verdict(f, j, &r);
	j->reason = r;
	if (j->verdict == JV_UNKNOWN) {
		if (f->status & IPS_EXPECTED) {
			strcpy(j->unknown, "expected flow (conntrack helper)");
		} else {
			j->chain = j->unk_chain;
			j->rule = j->unk_rule;
		}
		return;
	}
	if (r == JR_NONE)
		name_fitting_rule(f, j);
	/* judge_eval() named the DNAT rule when there is one. */
	if (r == JR_DNAT_REMOVED ||
	    ((r == JR_SNAT_CHANGED || r == JR_SNAT_ADDED) && j->dnat.ncand) ||
	    r == JR_SNAT_REMOVED)
		j->chain = j->rule = -1;
}

void judge_flow(const struct nm_model *m, const struct netenv *env,
		const struct flow *f, struct judgement *j)
{
	judge_eval(m, env, &f->orig, j);
	judge_compare(f, j);
}

/* ---- strings ---- */

/* Each reason's word (output, JSON) and sentence, in one place. */
static const struct {
	const char *str, *text;
} reasons[JR__MAX] = {
	[JR_NONE] = { "", "" },
	[JR_DNAT_CHANGED] = { "forward-changed",
			      "forward now points elsewhere" },
	[JR_DNAT_REMOVED] = { "forward-removed", "forward removed" },
	[JR_DNAT_ADDED] = { "forward-added",
			    "flow started before the forward existed" },
	[JR_SNAT_CHANGED] = { "snat-changed",
			      "source NAT now picks another address or port" },
	[JR_SNAT_REMOVED] = { "snat-removed", "source NAT removed" },
	[JR_SNAT_ADDED] = { "snat-added",
			    "flow started before the source NAT existed" },
	[JR_DNAT_MIRRORED] = { "forward-mirrored",
			       "a swept forward re-created backwards by the "
			       "old backend's late reply (a mirror)" },
	[JR_UNMODELLED] = { "unmodelled",
			    "the nat rules use something ctsweep cannot "
			    "evaluate" },
	[JR_DROPPED] = { "dropped", "a nat chain would drop the first packet" },
};

const char *judge_reason_str(enum jreason r)
{
	return (unsigned int)r < JR__MAX ? reasons[r].str : "?";
}

const char *judge_reason_text(enum jreason r)
{
	return (unsigned int)r < JR__MAX ? reasons[r].text : "?";
}

const char *judge_verdict_str(enum jverdict v)
{
	switch (v) {
	case JV_CONSISTENT:
		return "consistent";
	case JV_STALE:
		return "stale";
	case JV_UNKNOWN:
		return "unknown";
	}
	return "?";
}
