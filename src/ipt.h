/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipt.h - read the iptables-legacy nat tables (libip4tc, libip6tc).
 */
#ifndef CTSWEEP_IPT_H
#define CTSWEEP_IPT_H

#include <stddef.h>
#include "model.h"

/* Append the legacy nat chains of @family (AF_INET, AF_INET6) to @m.
 * A host without the legacy nat table loaded (module absent, or the table
 * never touched) yields no chains and 0. */
int ipt_read(struct nm_model *m, int family);

/* Build chains from a raw table blob as IPT_SO_GET_ENTRIES returns it
 * (struct ipt_get_entries payload, hook entry offsets given), without I/O:
 * for unit tests and the fuzzer.  Any malformed blob gives -EINVAL and
 * leaves @m as it was; @entries need not be aligned. */
int ipt_parse(int family, const void *entries, size_t size,
	      const unsigned int hook_entry[5],
	      const unsigned int underflow[5], unsigned int valid_hooks,
	      struct nm_model *m);

/* A cheap fingerprint of the legacy nat table of @family (for watch):
 * a hash of the table minus its counters, 0 when there is no table.  Like
 * ipt_read, it never creates the table or loads a module. */
int ipt_fingerprint(int family, uint64_t *fp);

#endif
