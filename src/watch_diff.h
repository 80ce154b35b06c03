/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * watch_diff.h - what changed between two reads of the rules and routes.
 *
 * A digest is a hash per nat chain and per set (rule handles and comments
 * left out: they change on every reload without changing what NAT does),
 * so watch can say in its log which chains or maps changed, and skip the
 * conntrack walk when a notification changed nothing NAT depends on.
 * Pure: no I/O.
 */
#ifndef CTSWEEP_WATCH_DIFF_H
#define CTSWEEP_WATCH_DIFF_H

#include <stddef.h>
#include <stdint.h>
#include "model.h"
#include "netenv.h"

#define MD_PORTS 16

struct mdigest_ent {
	char name[112];		/* "chain ip nat prerouting" */
	uint64_t hash;
	/* The destination ports the chain's deciding rules (nat, verdicts)
	 * are limited to, or a set's port keys: the flows a change of this
	 * entry can concern.  any_port: some rule is not limited, or there
	 * are more than MD_PORTS. */
	uint16_t ports[MD_PORTS];	/* network byte order */
	uint8_t nports;
	bool any_port;
};

struct mdigest {
	struct mdigest_ent *ent;
	unsigned int n;
	uint64_t all;		/* over every entry, in order */
};

int mdigest_build(const struct nm_model *m, struct mdigest *d);
void mdigest_free(struct mdigest *d);
/* "chain ip nat prerouting changed, map ip nat portfwd changed"; "" when
 * equal.  Names beyond @len are summarised as "and N more". */
void mdigest_diff(const struct mdigest *old, const struct mdigest *new,
		  char *buf, size_t len);

/* The destination ports of every entry added, changed or removed between
 * @old and @new, into @out (network byte order, no duplicates): the flows
 * worth judging first after this change.  -1 when a changed entry is not
 * limited to ports, or there are more than @max; 0 when nothing changed.
 * A hint for ordering only: every flow is judged anyway. */
int mdigest_changed_ports(const struct mdigest *old,
			  const struct mdigest *new, uint16_t *out, int max);

uint64_t netenv_hash(const struct netenv *env);

#endif
