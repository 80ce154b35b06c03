/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * iptint.h - what ipt.c (the live tables through libiptc, the fingerprint)
 * shares with ipt_parse.c (the conversion of an entry into the model and
 * the raw blob walker, no I/O): one conversion for both ways in.  Not for
 * other files.
 */
#ifndef CTSWEEP_IPTINT_H
#define CTSWEEP_IPTINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netfilter/x_tables.h>
#include "model.h"

/*
 * The tables we read, nat first, and the priorities their hooks run at
 * (nat's depend on the hook: see nat_prio).  raw runs at
 * NF_IP_PRI_RAW_BEFORE_DEFRAG instead when iptable_raw was loaded with
 * raw_before_defrag, a parameter userspace cannot read (mode 0000), so we
 * take the default; either way it runs before conntrack.
 */
struct ipt_table {
	const char *name;
	unsigned int hooks;
	int prio4, prio6;
	bool nat;
};

/* Where the two entry layouts keep the same fields. */
struct ipt_layout {
	size_t hdr;		/* sizeof(struct ipt_entry / ip6t_entry) */
	size_t target_offset, next_offset;
};

/* What conv_entry found in the target slot. */
struct ipt_tgt {
	char name[XT_EXTENSION_MAXNAMELEN + 1];
	uint8_t rev;
	const unsigned char *data;
	size_t dlen;
	bool standard;		/* XT_STANDARD_TARGET: verdict is valid */
	bool error;		/* XT_ERROR_TARGET: errname is valid */
	int verdict;
	char errname[XT_FUNCTION_MAXNAMELEN + 1];
	bool is_goto;
};

#define IPT_NTABLES	4
extern const struct ipt_table ipt_tables[IPT_NTABLES];

const struct ipt_layout *ipt_layout_of(int family);
/* A u16 at @off of @p, at any alignment. */
uint16_t ipt_get16(const unsigned char *p, size_t off);

/* Convert the entry of @len bytes at @p (already known to hold at least the
 * entry header) into @r, up to and excluding its target, described in @t.
 * -EINVAL when the offsets inside do not add up. */
int ipt_conv_entry(int family, const unsigned char *p, size_t len,
		   struct nm_rule *r, struct ipt_tgt *t);

/* Expressions appended to @r: an unknown one named @what (NULL: no
 * memory), a verdict (0 or -ENOMEM), the decoded xt target @t. */
struct nm_expr *ipt_add_unknown(struct nm_rule *r, const char *what);
int ipt_add_verdict(struct nm_rule *r, int verdict, int chain);
int ipt_add_xt_target(int family, struct nm_rule *r, const struct ipt_tgt *t);

/* NF_INET_* of a built-in chain's name, or -1. */
int ipt_hook_of(const char *name);

/* A chain of table @t appended to @m (base chain when @hook >= 0); NULL
 * when out of memory. */
struct nm_chain *ipt_new_chain(struct nm_model *m, int family,
			       const struct ipt_table *t, const char *name,
			       int hook);
/* Chains are added straight to the caller's model and indexed from
 * @base, the count it had before; on failure nm_drop_chains() takes
 * everything from @base on away again, so a reader either appends a whole
 * table or nothing.  ipt_find_own_chain() is nm_find_chain among the
 * chains this read added: the index, or -ENOENT. */
int ipt_find_own_chain(const struct nm_model *m, unsigned int base,
		       const char *name);

#endif
