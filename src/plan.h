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
/* Per protocol at most 1 + PLAN_MAX_PORTS + 1 walks (DNATed; source-NATed
 * by port; un-NATed), and UDP plus TCP with --tcp: 8 was too few for
 * "sweep --tcp" with three forwards and a masquerade (E2BIG). */
#define PLAN_MAX_WALKS (2 * (PLAN_MAX_PORTS + 2))

struct plan {
	unsigned int n;
	struct ct_filter walk[PLAN_MAX_WALKS];
};

/* What the nat chains can do, from a static look at the model. */
struct nat_caps {
	bool dnat;		/* some rule can DNAT or redirect */
	bool snat_static;	/* some rule can snat to a given address */
	bool masq;		/* some rule can masquerade */
	int nports;		/* destination ports every DNAT path requires,
				 * -1 when some path takes any port */
	uint16_t ports[PLAN_MAX_PORTS];	/* network byte order */
};

void plan_nat_caps(const struct nm_model *m, uint8_t l4proto,
		   struct nat_caps *caps);
/* Append the walks for @l4proto to @p: the walks are disjoint, so no flow
 * is judged twice. -E2BIG when the plan is full. */
int plan_build(const struct nm_model *m, uint8_t l4proto, struct plan *p);

#endif
