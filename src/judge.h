/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * judge.h - would the current rules NAT this flow the way it is NATed?
 *
 * Pure: a function of (model, network snapshot, flow). It runs the nat
 * chains on a synthetic first packet built from the flow's original tuple
 * (eval.c) and compares the outcome with the flow's reply tuple.  A flow is
 * only ever called stale when the evaluation is exact; anything the model
 * cannot express yields JV_UNKNOWN, and unknown flows are never deleted.
 */
#ifndef CTSWEEP_JUDGE_H
#define CTSWEEP_JUDGE_H

#include "model.h"
#include "netenv.h"

enum jverdict { JV_CONSISTENT, JV_STALE, JV_UNKNOWN };

enum jreason {
	JR_NONE,
	JR_DNAT_CHANGED,	/* the DNAT now points elsewhere */
	JR_DNAT_REMOVED,	/* the rules no longer DNAT it */
	JR_DNAT_ADDED,		/* flow started before its DNAT existed */
	JR_SNAT_CHANGED,	/* source NAT now picks another address/port */
	JR_SNAT_REMOVED,	/* rules no longer source-NAT it */
	JR_SNAT_ADDED,		/* flow started before the source NAT existed */
	JR_DNAT_MIRRORED,	/* a swept DNATed flow, re-created backwards by
				 * the old backend (mirror.h) */
	JR_UNMODELLED,		/* unknown: an expression we cannot evaluate */
	JR_DROPPED,		/* unknown: a nat chain would drop its first packet */
	JR__MAX
};

/* What the rules would do to the first packet, for one manip type.  With
 * several possible targets (ranges, numgen, hash maps) the candidates are
 * kept as a list: a flow going to any of them is consistent. */
#define JUDGE_MAX_CAND 16
struct nat_outcome {
	uint8_t ncand;		/* 0: the rules do not NAT it */
	struct nm_natspec cand[JUDGE_MAX_CAND];	/* resolved: MAP_IPS set
						 * whenever an address is given */
	int chain[JUDGE_MAX_CAND], rule[JUDGE_MAX_CAND];  /* the rule that
						 * set each up; -1: unchanged */
};

/* "meta mark: mark set in TABLE/CHAIN after 'meta cpu'" */
#define JUDGE_UNKNOWN_LEN 112

struct judgement {
	enum jverdict verdict;
	enum jreason reason;
	struct nat_outcome dnat, snat;	/* where the rules send it now */
	int chain, rule;		/* the rule that decided, or -1 */
	bool snat_unknown;		/* dnat exact, snat not: only a
					 * DNAT mismatch can make it stale */
	int unk_chain, unk_rule;	/* with snat_unknown: where */
	char unknown[JUDGE_UNKNOWN_LEN];	/* with JR_UNMODELLED: what, e.g.
					 * "meta mark" or "xt match recent" */
};

/* Fields of the original tuple the model's nat chains can look at, so
 * that flows differing only in other fields share one evaluation. */
enum {
	JK_SADDR = 1 << 0, JK_DADDR = 1 << 1,
	JK_SPORT = 1 << 2, JK_DPORT = 1 << 3,
	JK_IIF = 1 << 4, JK_OIF = 1 << 5,
};
#define JK_ALL	(JK_SADDR | JK_DADDR | JK_SPORT | JK_DPORT | JK_IIF | JK_OIF)
/* A first packet's mark is 0, or unknown by what its input interface
 * carries (tc filters, ingress chains); locality is always in the key. */
#define JK_MARK	(JK_IIF | JK_SADDR)
/* The JK_* fields the chains of @m can see (JK_ALL when it has too many
 * chains to look at them without allocating).  Pure. */
unsigned int judge_keys(const struct nm_model *m);

/* Evaluate the rules for the flow's first packet (cacheable by the fields
 * judge_keys() names), then compare. */
void judge_eval(const struct nm_model *m, const struct netenv *env,
		const struct tuple *orig, struct judgement *j);
/* Set @j's verdict and reason for @f from the outcome judge_eval() put
 * in @j; an unknown outcome stays unknown. */
void judge_compare(const struct flow *f, struct judgement *j);
/* judge_compare's verdict and reason alone, leaving @j as it is: a pass
 * compares many flows with one cached evaluation. */
enum jverdict judge_verdict(const struct flow *f, const struct judgement *j,
			    enum jreason *reason);
/* judge_eval recording each step into @trace (explain; eval.h). */
struct ev_trace;
void judge_eval_traced(const struct nm_model *m, const struct netenv *env,
		       const struct tuple *orig, struct judgement *j,
		       struct ev_trace *trace);
/* Both in one go. */
void judge_flow(const struct nm_model *m, const struct netenv *env,
		const struct flow *f, struct judgement *j);

/* Is @r about the destination NAT or the source NAT? */
static inline bool judge_reason_dnat(enum jreason r)
{
	return r == JR_DNAT_CHANGED || r == JR_DNAT_REMOVED ||
	       r == JR_DNAT_ADDED;
}

static inline bool judge_reason_snat(enum jreason r)
{
	return r == JR_SNAT_CHANGED || r == JR_SNAT_REMOVED ||
	       r == JR_SNAT_ADDED;
}

/* Static strings, "?" for a value out of range.  The output's words:
 * JR_DNAT_* print as "forward-changed" ... (a port forward, to the user;
 * HACKING.md's glossary). */
const char *judge_reason_str(enum jreason r);
const char *judge_reason_text(enum jreason r);	/* human sentence */
const char *judge_verdict_str(enum jverdict v);	/* "stale" ... */

#endif
