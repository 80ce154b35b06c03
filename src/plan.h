/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * plan.h - which conntrack dumps a sweep needs, given the rules.
 *
 * Every dump walks the whole conntrack hash table in the kernel (about
 * 0.3 us an entry), and every entry it returns costs a copy to userspace and
 * a parse.  The plan asks the kernel only for the flows the rules could
 * possibly judge stale, in as few walks as it can.  Pure: no I/O.
 */
#ifndef CTSWEEP_PLAN_H
#define CTSWEEP_PLAN_H

#include "ct.h"
#include "model.h"

#define PLAN_MAX_PORTS 4	/* beyond this, one unnarrowed walk is cheaper */
/* DNATed (1) + source-NATed only and not NATed, each per port, family and
 * protocol, or unnarrowed. */
#define PLAN_MAX_WALKS (1 + 2 * PLAN_MAX_PORTS * 2 * 2 + 2)

#define PLAN_MAX_TARGETS 16	/* DNAT target ranges told apart */

/* What the nat chains can do, from a static look at the model. */
struct nat_caps {
	bool dnat;		/* some rule can DNAT or redirect */
	bool snat_static;	/* some rule can snat to a given address */
	bool masq;		/* some rule can masquerade */
	int nports;		/* destination ports every DNAT path requires,
				 * -1 when some path takes any port */
	uint16_t ports[PLAN_MAX_PORTS];	/* network byte order */
	int ntargets;		/* the addresses DNAT rules can send to, as
				 * constant ranges; -1 when some rule's is
				 * not a constant (a map, a redirect, a rule
				 * we cannot read) or there are too many */
	struct { union addr lo, hi; } targets[PLAN_MAX_TARGETS];
};

struct plan {
	unsigned int n;
	struct ct_filter walk[PLAN_MAX_WALKS];
	bool full;		/* one walk of everything was cheaper */
	struct nat_caps caps[2];	/* IPv4, IPv6 */
	uint64_t entries, buckets;	/* plan_in's, for plan_flush_pays */
};

/* Caps of the chains that see @family (AF_INET or AF_INET6). */
void plan_nat_caps(const struct nm_model *m, uint8_t family,
		   struct nat_caps *caps);

/* What the plan weighs: a walk costs the kernel time per entry of the
 * shared hash table (and per bucket), every flow returned costs a copy
 * and a parse.  Zeroes mean "unknown": the plan then narrows all it can. */
struct plan_in {
	bool tcp;		/* judge TCP as well as UDP */
	uint64_t entries;	/* nf_conntrack_count */
	uint64_t buckets;	/* nf_conntrack_buckets */
};

/* The walks, disjoint, so no flow is judged twice.  Walks without a port
 * use neither family nor protocol, so the kernel walks once for both
 * families and protocols are checked in userspace. */
int plan_build(const struct nm_model *m, const struct plan_in *in,
	       struct plan *p);

/* After the first walk (every DNATed flow) returned @returned flows: the
 * walks after it become one walk of every flow not DNATed when that costs
 * less (few flows left).  Walks stay disjoint, and cover what they did. */
void plan_after_dnat_walk(struct plan *p, uint64_t returned);

/*
 * The filtered flush (ct_flush_filtered): one kernel walk that deletes a
 * whole class of DNATed flows, the class being every flow of a family and
 * protocol to one original port, answered from one address (IPv4 only:
 * the kernel compares IPv6 addresses the wrong way round).  scan.c uses it
 * only when all three below hold, so that it deletes exactly what per-flow
 * deletes would:
 * - plan_covers(): some walk of the plan returned every flow of the class,
 *   and every one was judged stale;
 * - !plan_may_dnat_to(): no rule can DNAT a new flow to that address, so
 *   no flow made after the walk joins the class (while the ruleset holds:
 *   the caller checks its generation right before the flush);
 * - plan_flush_pays(): the extra walk costs less than the deletes.
 */
void plan_flush_class(const struct flow *f, struct ct_filter *k);
bool plan_covers(const struct plan *p, const struct ct_filter *k);
bool plan_may_dnat_to(const struct plan *p, uint8_t family,
		      const union addr *a);
bool plan_flush_pays(const struct plan *p, uint64_t n);

#endif
