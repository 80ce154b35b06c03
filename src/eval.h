/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * eval.h - run the nat chains of a model on a synthetic first packet.
 *
 * Internal to the judge.  The packet is built from a flow's original tuple;
 * only what a first packet is known to carry is known (addresses, ports,
 * protocol, version, the SYN bit of TCP).  Everything the evaluation reads
 * that is not known stops it with EV_UNKNOWN and a short description.
 *
 * The kernel's order is followed: for a locally generated packet the nat
 * chains at output then postrouting, else prerouting then input (when the
 * destination after DNAT is local) or postrouting.  At each hook the nat
 * base chains run in priority order until one sets up a binding; among
 * chains of equal priority the kernel's order is not observable.
 *
 * Nondeterministic expressions (numgen, hash, an IPv6 source address
 * choice) and which of several equal-priority nat chains runs first are
 * explored exhaustively: every possible value is tried and the NAT each
 * path sets up becomes one candidate of the outcome.
 */
#ifndef CTSWEEP_EVAL_H
#define CTSWEEP_EVAL_H

#include "judge.h"

enum ev_status {
	EV_OK,
	EV_UNKNOWN,	/* something not modelled: see ev_result.unknown */
	EV_DROPPED,	/* every path drops the packet in a nat chain */
	EV_SNAT_UNKNOWN,/* the DNAT outcome is exact, the source NAT is not
			 * (something unmodelled after the DNAT hook) */
};

/* Limits of the exploration; beyond them the result is EV_UNKNOWN. */
#define EV_MAX_RUNS	256	/* paths through numgen/hash choices */
#define EV_MAX_CHOICES	8	/* choice points on one path */
#define EV_MAX_MOD	256	/* values of one numgen/hash */
#define EV_MAX_STEPS	65536	/* expressions evaluated on one path */
#define EV_UNKNOWN_LEN	JUDGE_UNKNOWN_LEN

struct ev_result {
	int status;			/* enum ev_status */
	char unknown[EV_UNKNOWN_LEN];	/* EV_UNKNOWN: what, "meta mark:
					 * socket mark" */
	/*
	 * What the rules do, per manip type.  ncand == 0: no path NATs.
	 * When some paths NAT and others do not, the latter add a candidate
	 * with neither NF_NAT_RANGE_MAP_IPS nor _PROTO_SPECIFIED: "unchanged".
	 */
	struct nat_outcome dnat, snat;
	int dnat_chain, dnat_rule;	/* first rule that set up a DNAT, -1 */
	int snat_chain, snat_rule;	/* same for SNAT */
	int stop_chain, stop_rule;	/* EV_UNKNOWN/EV_DROPPED: where, -1 */
	unsigned int runs;		/* paths explored */
};

/* Run @m's chains on the first packet of @orig and put what they do in
 * @res (res->status says whether it is known).  Pure; @m, @env and @orig
 * are only read. */
void eval_first_packet(const struct nm_model *m, const struct netenv *env,
		       const struct tuple *orig, struct ev_result *res);

/*
 * The same run, recorded step by step for `ctsweep explain`: which hooks
 * and chains the packet went through, the rules that matched, the set
 * elements that decided, jumps and returns, the mark where it changed, the
 * NAT set up, and where something was not modelled.  Each path (numgen,
 * hash, dynamic sets, either-way matches) is recorded in turn.  sweep and
 * watch call eval_first_packet(), which records nothing.
 */
enum ev_step_kind {
	EVS_PATH,	/* a new path: path = its number */
	EVS_HOOK,	/* hook */
	EVS_CHAIN,	/* chain entered (base chain, jump or goto target) */
	EVS_RULE,	/* chain, rule matched (ran to its end) */
	EVS_ELEM,	/* set, elem decided a lookup */
	EVS_JUMP,	/* to chain (verdict NFT_JUMP or NFT_GOTO) */
	EVS_RETURN,	/* back from chain */
	EVS_VERDICT,	/* a base chain's verdict (accept, drop) */
	EVS_MARK,	/* mark and ct mark after rule changed them */
	EVS_NAT,	/* the binding set up: nat */
	EVS_UNKNOWN,	/* what (not modelled), at chain, rule */
};

struct ev_step {
	uint8_t kind;		/* enum ev_step_kind */
	uint8_t hook;
	unsigned int path;
	int chain, rule;	/* -1 when not about a rule */
	int set, elem;
	int verdict;
	uint32_t mark, mark_known, ctmark, ctmark_known;
	struct nm_natspec nat;
	char what[EV_UNKNOWN_LEN];
};

#define EV_TRACE_MAX	4096	/* steps kept; beyond: truncated */

struct ev_trace {
	struct ev_step *steps;	/* caller's array of EV_TRACE_MAX */
	unsigned int n;
	bool truncated;
	uint32_t iif;		/* input interface to assume; 0: the route
				 * back to the source decides */
};

/* eval_first_packet() recording each step into @trace (NULL: none). */
void eval_first_packet_traced(const struct nm_model *m,
			      const struct netenv *env,
			      const struct tuple *orig, struct ev_result *res,
			      struct ev_trace *trace);

#endif
