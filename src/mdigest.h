/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mdigest.h - what changed between two reads of the rules and routes.
 *
 * A digest is a hash per chain and per set, and one per rule and element
 * (rule handles and comments left out: they change on every reload
 * without changing what NAT does),
 * so watch can say in its log which chains or maps changed, and skip the
 * conntrack walk when a notification changed nothing NAT depends on.
 * Pure: no I/O.
 */
#ifndef CTSWEEP_MDIGEST_H
#define CTSWEEP_MDIGEST_H

#include <stddef.h>
#include <stdint.h>
#include "model.h"
#include "netenv.h"

#define MD_PORTS 16

/* Destination ports (network byte order); any: not limited to ports, or
 * more than MD_PORTS. */
struct md_ports {
	uint16_t p[MD_PORTS];
	uint8_t n;
	bool any;
};

/* A rule of a chain or an element of a set: its hash in a canonical form
 * (chains and sets by name) and the ports of the flows it decides for. */
struct md_item {
	uint64_t hash;
	struct md_ports ports;
};

struct mdigest_ent {
	char name[112];		/* "chain ip nat prerouting" */
	uint64_t hash;		/* head and items */
	uint64_t head;		/* what it is apart from its items */
	/* The destination ports the chain's deciding rules (nat, verdicts,
	 * marks) are limited to, or a set's port keys: the flows a change
	 * of this entry can concern. */
	struct md_ports ports;
	struct md_item *items;	/* chains: rules in order; sets: elements
				 * sorted by hash */
	unsigned int nitems;
	bool ordered;		/* a chain */
};

struct mdigest {
	struct mdigest_ent *ent;
	unsigned int *byname;	/* indices of ent sorted by name */
	unsigned int n;
	uint64_t all;		/* over every entry, by name */
};

int mdigest_build(const struct nm_model *m, struct mdigest *d);
void mdigest_free(struct mdigest *d);
/* "chain ip nat prerouting changed, map ip nat portfwd changed"; "" when
 * equal.  Names beyond @len are summarised as "and N more". */
void mdigest_diff(const struct mdigest *old, const struct mdigest *new,
		  char *buf, size_t len);

/* The destination ports of what changed between @old and @new, into @out
 * (network byte order, no duplicates): the flows worth judging first.
 * Decided by what the rules do, not by which chains a reload touched: in
 * a chain present in both, only rules added, removed or moved count; in a
 * set, only elements added, removed or with another value.  -1 when a
 * change is not limited to ports, or there are more than @max; 0 when
 * nothing changed.  A hint for ordering only: every flow is judged
 * anyway. */
int mdigest_changed_ports(const struct mdigest *old,
			  const struct mdigest *new, uint16_t *out, int max);

uint64_t mdigest_netenv(const struct netenv *env);

#endif
