/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * windex.h - the flow index: the UDP (and with --tcp, TCP) flows of
 * the namespace held in memory, kept current by conntrack events, so a
 * reaction re-judges them without walking the kernel's table.
 */
#ifndef CTSWEEP_WINDEX_H
#define CTSWEEP_WINDEX_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

struct windex;
struct scan;

/* Subscribe to conntrack NEW and DESTROY events. @rcvbuf 0: default. */
int windex_open(struct windex **ix, int rcvbuf);
void windex_free(struct windex *ix);
int windex_fd(const struct windex *ix);
struct flow;
/* Call @cb for each new flow an event brings (after indexing it); a
 * positive return says it deleted the flow (it leaves the index), a
 * negative one stops the event read with that error. */
void windex_on_new(struct windex *ix,
		   int (*cb)(const struct flow *f, void *data), void *data);
/* Apply queued events; -ENOBUFS when events were lost: the index is then
 * incomplete, and a refill (re)starts. */
int windex_events(struct windex *ix);
/* Which protocols it holds: UDP, and TCP too if @tcp (before filling). */
void windex_set_tcp(struct windex *ix, bool tcp);
/* Fill or refill from a dump read a step at a time, never holding the
 * caller up (windex_refill_step when windex_refill_fd is readable; 1
 * while more is to come, 0 when done, <0 when it failed and the index was
 * kept as it was).  Events keep the index current meanwhile; at the end,
 * entries neither the dump nor an event showed are dropped, and the index
 * is complete (windex_complete) if no event was lost since the start.
 * A new index starts empty and incomplete: it is filled this way too. */
int windex_refill_start(struct windex *ix);
int windex_refill_step(struct windex *ix);
int windex_refill_fd(const struct windex *ix);
bool windex_refilling(const struct windex *ix);
void windex_refill_abort(struct windex *ix);
/* The refill has a step to take that needs no wait for its socket (its
 * end: dropping what it did not see, a part of the index a step): call
 * windex_refill_step without polling. */
bool windex_refill_ready(const struct windex *ix);
/* Holds every flow of its protocols in the table: filled, and no event
 * lost since.  An incomplete index holds a part of them, exactly. */
bool windex_complete(const struct windex *ix);
/* Judge the indexed flows the plan of @s covers, into @s's results, as
 * scan_run would from a dump (with the same generation re-check). */
int windex_judge(struct windex *ix, struct scan *s);
/* The same for the flows whose original destination port is one of
 * @ports (network byte order; at most MD_PORTS, mdigest.h, else
 * -EINVAL): a change's likely flows, judged first. */
int windex_judge_ports(struct windex *ix, struct scan *s,
		       const uint16_t *ports, int n);
/* Delete @s's stale flows and drop them from the index. */
int windex_delete(struct windex *ix, struct scan *s);
size_t windex_count(const struct windex *ix);
size_t windex_bytes(const struct windex *ix);

#endif
