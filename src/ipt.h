/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipt.h - read the iptables-legacy tables (libip4tc, libip6tc).
 */
#ifndef CTSWEEP_IPT_H
#define CTSWEEP_IPT_H

#include <stddef.h>
#include "model.h"

/* Append the legacy chains of @family (AF_INET, AF_INET6) to @m: the nat
 * table's, then raw's, mangle's and filter's, each only if it already
 * exists in this namespace (it is never created by asking).  Built-in
 * chains of nat are nat base chains; those of the others have their
 * table's hooks and priorities (NF_IP_PRI_RAW/MANGLE/FILTER, ip6 alike)
 * and nat = false.  Jumps resolve within a table.  A host without any of
 * them yields no chains and 0; on error nothing is appended. */
int ipt_read(struct nm_model *m, int family);

/* Build chains from a raw table blob as IPT_SO_GET_ENTRIES returns it
 * (struct ipt_get_entries payload, hook entry offsets given), without I/O:
 * for unit tests and the fuzzer.  @table is the table the blob is, "nat",
 * "raw", "mangle" or "filter" (anything else: -EINVAL); hooks the table
 * does not have are ignored in @valid_hooks.  Any malformed blob gives
 * -EINVAL and leaves @m as it was; @entries need not be aligned. */
int ipt_parse_table(int family, const char *table, const void *entries,
		    size_t size, const unsigned int hook_entry[5],
		    const unsigned int underflow[5], unsigned int valid_hooks,
		    struct nm_model *m);
/* ipt_parse_table() of a nat table. */
int ipt_parse(int family, const void *entries, size_t size,
	      const unsigned int hook_entry[5],
	      const unsigned int underflow[5], unsigned int valid_hooks,
	      struct nm_model *m);

/* A cheap fingerprint of the legacy tables ipt_read reads for @family (for
 * watch) into @fp: a hash of each table minus its counters, combined; 0
 * when there is none.  Like ipt_read, it never creates a table or loads a
 * module.  0, -EINVAL for another family, or -errno. */
int ipt_fingerprint(int family, uint64_t *fp);

#endif
