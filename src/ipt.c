// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ipt.c - read the iptables-legacy tables into the neutral model: the live
 * tables through libip4tc/libip6tc (ipt_read()) and their fingerprint for
 * watch (ipt_fingerprint()).  Each entry goes through ipt_parse.c's
 * conversion, the one the raw blob walker uses too (iptint.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <libiptc/libiptc.h>
#include <libiptc/libip6tc.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include "ipt.h"
#include "iptint.h"
#include "hash.h"

/* ---- live tables through libiptc ---------------------------------------- */

/* Set bit i of @present for each tables[i] named in @line. */
static void note_table(const char *line, unsigned int *present)
{
	unsigned int i;
	size_t len = strcspn(line, "\n");

	for (i = 0; i < IPT_NTABLES; i++)
		if (strlen(ipt_tables[i].name) == len &&
		    !strncmp(line, ipt_tables[i].name, len))
			*present |= 1u << i;
}

/*
 * Which of our tables are there?  Asking libiptc for one would load its
 * module and instantiate the table in this namespace (hooks, conntrack and
 * all); the names file lists only tables that already exist here.
 */
static int tables_present(int family, unsigned int *present)
{
	const char *name = family == AF_INET6 ? "ip6_tables_names" :
			   "ip_tables_names";
	char path[64], line[64];
	FILE *f;

	*present = 0;
	/* thread-self: the namespace of the thread that may have setns()ed,
	 * which /proc/self (the thread group leader) would not show. */
	snprintf(path, sizeof(path), "/proc/thread-self/net/%s", name);
	f = fopen(path, "re");
	if (!f && errno == ENOENT && access("/proc/thread-self", F_OK)) {
		snprintf(path, sizeof(path), "/proc/self/net/%s", name);
		f = fopen(path, "re");
	}
	/* No file: x_tables for this family is not even loaded. */
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f))
		note_table(line, present);
	fclose(f);
	return 0;
}

/* libip4tc and libip6tc are the same code compiled twice; one table of
 * wrappers lets a single walker serve both. */
struct tc {
	struct xtc_handle *(*init)(const char *);
	void (*free)(struct xtc_handle *);
	const char *(*first_chain)(struct xtc_handle *);
	const char *(*next_chain)(struct xtc_handle *);
	const void *(*first_rule)(const char *, struct xtc_handle *);
	const void *(*next_rule)(const void *, struct xtc_handle *);
	const char *(*get_target)(const void *, struct xtc_handle *);
	int (*builtin)(const char *, struct xtc_handle *);
	const char *(*get_policy)(const char *, struct xtc_handle *);
	size_t next_offset;
};

static const void *tc4_first_rule(const char *c, struct xtc_handle *h)
{
	return iptc_first_rule(c, h);
}

static const void *tc4_next_rule(const void *e, struct xtc_handle *h)
{
	return iptc_next_rule(e, h);
}

static const char *tc4_get_target(const void *e, struct xtc_handle *h)
{
	return iptc_get_target(e, h);
}

static int tc4_builtin(const char *c, struct xtc_handle *h)
{
	return iptc_builtin(c, h);
}

static const char *tc4_get_policy(const char *c, struct xtc_handle *h)
{
	struct xt_counters cnt;

	return iptc_get_policy(c, &cnt, h);
}

static const void *tc6_first_rule(const char *c, struct xtc_handle *h)
{
	return ip6tc_first_rule(c, h);
}

static const void *tc6_next_rule(const void *e, struct xtc_handle *h)
{
	return ip6tc_next_rule(e, h);
}

static const char *tc6_get_target(const void *e, struct xtc_handle *h)
{
	return ip6tc_get_target(e, h);
}

static int tc6_builtin(const char *c, struct xtc_handle *h)
{
	return ip6tc_builtin(c, h);
}

static const char *tc6_get_policy(const char *c, struct xtc_handle *h)
{
	struct xt_counters cnt;

	return ip6tc_get_policy(c, &cnt, h);
}

static const struct tc tc4 = {
	iptc_init, iptc_free, iptc_first_chain, iptc_next_chain,
	tc4_first_rule, tc4_next_rule, tc4_get_target, tc4_builtin,
	tc4_get_policy, offsetof(struct ipt_entry, next_offset),
};

static const struct tc tc6 = {
	ip6tc_init, ip6tc_free, ip6tc_first_chain, ip6tc_next_chain,
	tc6_first_rule, tc6_next_rule, tc6_get_target, tc6_builtin,
	tc6_get_policy, offsetof(struct ip6t_entry, next_offset),
};

static int live_target(const struct nm_model *m, unsigned int base,
		       int family, const char *label, const struct ipt_tgt *t,
		       struct nm_rule *r)
{
	int ci;

	if (!t->standard)
		return ipt_add_xt_target(family, r, t);
	/* libiptc has resolved the standard target: a verdict name, a
	 * chain name, or "" for a rule without one. */
	if (!label || !*label)
		return 0;
	if (!strcmp(label, IPTC_LABEL_ACCEPT))
		return ipt_add_verdict(r, NF_ACCEPT, -1);
	if (!strcmp(label, IPTC_LABEL_DROP))
		return ipt_add_verdict(r, NF_DROP, -1);
	if (!strcmp(label, IPTC_LABEL_RETURN))
		return ipt_add_verdict(r, NFT_RETURN, -1);
	ci = ipt_find_own_chain(m, base, label);
	if (ci < 0)
		return ipt_add_unknown(r, "xt verdict") ? 0 : -ENOMEM;
	return ipt_add_verdict(r, t->is_goto ? NFT_GOTO : NFT_JUMP, ci);
}

static int live_chain(int family, const struct tc *tc, struct xtc_handle *h,
		      struct nm_model *m, unsigned int base, unsigned int ci)
{
	const unsigned char *e;
	const char *name = m->chains[ci].name;
	struct nm_rule *r;
	struct ipt_tgt t;
	uint16_t len;
	int err;

	for (e = tc->first_rule(name, h); e; e = tc->next_rule(e, h)) {
		r = nm_add_rule(&m->chains[ci]);
		if (!r)
			return -ENOMEM;
		r->handle = m->chains[ci].nrules;
		memcpy(&len, e + tc->next_offset, sizeof(len));
		err = ipt_conv_entry(family, e, len, r, &t);
		if (!err)
			err = live_target(m, base, family,
					  tc->get_target(e, h), &t, r);
		if (err)
			return err;
	}
	return 0;
}

/* Append one table's chains; the caller drops them again on failure. */
static int read_table(struct nm_model *m, int family, const struct tc *tc,
		      const struct ipt_table *t)
{
	unsigned int base = m->nchains, i;
	struct xtc_handle *h;
	const char *name, *pol;
	struct nm_chain *c;
	int err = 0, hook;

	h = tc->init(t->name);
	/* Gone since the names file listed it: no table, no chains. */
	if (!h)
		return errno == ENOENT || errno == ENOPROTOOPT ? 0 :
		       (errno ? -errno : -EIO);
	/* All chains first, so jumps can be resolved to indices. */
	for (name = tc->first_chain(h); name; name = tc->next_chain(h)) {
		hook = tc->builtin(name, h) ? ipt_hook_of(name) : -1;
		c = ipt_new_chain(m, family, t, name, hook);
		if (!c) {
			err = -ENOMEM;
			goto out;
		}
		if (hook >= 0) {
			pol = tc->get_policy(name, h);
			c->policy = pol && !strcmp(pol, IPTC_LABEL_DROP) ?
				    NF_DROP : NF_ACCEPT;
		}
	}
	/* Jumps resolve among this table's chains only (from base on). */
	for (i = base; i < m->nchains; i++) {
		err = live_chain(family, tc, h, m, base, i);
		if (err)
			goto out;
	}
out:
	tc->free(h);
	return err;
}

int ipt_read(struct nm_model *m, int family)
{
	const struct tc *tc = family == AF_INET6 ? &tc6 : &tc4;
	unsigned int base, present, i;
	int err;

	if (!m)
		return -EINVAL;
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	err = tables_present(family, &present);
	if (err)
		return err;
	base = m->nchains;
	for (i = 0; i < IPT_NTABLES && !err; i++)
		if (present & (1u << i))
			err = read_table(m, family, tc, &ipt_tables[i]);
	if (err)
		nm_drop_chains(m, base);
	return err;
}

/* ---- fingerprint -------------------------------------------------------- */

/*
 * Hash what defines the table, not the counters that move with every packet:
 * the info (hooks, sizes) and each entry minus its xt_counters.
 */
static uint64_t hash_table(int family, const struct ipt_getinfo *info,
			   const unsigned char *b, size_t size)
{
	const struct ipt_layout *l = ipt_layout_of(family);
	size_t coff = family == AF_INET6 ?
		      offsetof(struct ip6t_entry, counters) :
		      offsetof(struct ipt_entry, counters);
	uint64_t hash = FNV64_INIT;
	size_t off = 0;
	uint16_t noff;

	hash = fnv64(hash, &info->valid_hooks, sizeof(info->valid_hooks));
	hash = fnv64(hash, info->hook_entry, sizeof(info->hook_entry));
	hash = fnv64(hash, info->underflow, sizeof(info->underflow));
	hash = fnv64(hash, &info->num_entries, sizeof(info->num_entries));
	hash = fnv64(hash, &info->size, sizeof(info->size));
	while (off < size) {
		if (size - off < l->hdr)
			return fnv64(hash, b + off, size - off);
		noff = ipt_get16(b + off, l->next_offset);
		if (noff < l->hdr || noff > size - off)
			return fnv64(hash, b + off, size - off);
		hash = fnv64(hash, b + off, coff);
		hash = fnv64(hash, b + off + coff + sizeof(struct xt_counters),
			   noff - coff - sizeof(struct xt_counters));
		off += noff;
	}
	return hash;
}

/* ipt_getinfo and ip6t_getinfo, ipt_get_entries and ip6t_get_entries have
 * the same layout; only the socket level differs. */
static int get_raw(int fd, int family, const char *table,
		   struct ipt_getinfo *info, void **entries)
{
	int level = family == AF_INET6 ? SOL_IPV6 : SOL_IP;
	struct ipt_get_entries *ge = NULL;
	socklen_t len;
	int err, tries;

	*entries = NULL;
	for (tries = 0; tries < 5; tries++) {
		memset(info, 0, sizeof(*info));
		snprintf(info->name, sizeof(info->name), "%s", table);
		len = sizeof(*info);
		if (getsockopt(fd, level, IPT_SO_GET_INFO, info, &len) < 0) {
			err = -errno;
			goto out;
		}
		free(ge);
		ge = calloc(1, sizeof(*ge) + info->size);
		if (!ge) {
			err = -ENOMEM;
			goto out;
		}
		snprintf(ge->name, sizeof(ge->name), "%s", table);
		ge->size = info->size;
		len = sizeof(*ge) + info->size;
		if (getsockopt(fd, level, IPT_SO_GET_ENTRIES, ge, &len) == 0) {
			memmove(ge, ge->entrytable, info->size);
			*entries = ge;
			ge = NULL;
			err = 0;
			goto out;
		}
		/* EAGAIN: the table changed between the two calls. */
		err = -errno;
		if (err != -EAGAIN)
			goto out;
	}
out:
	free(ge);
	return err;
}

/* One table's hash; -ENOENT or -ENOPROTOOPT when it has gone. */
static int table_hash(int fd, int family, const char *table, uint64_t *hash)
{
	struct ipt_getinfo info;
	void *b;
	int err;

	err = get_raw(fd, family, table, &info, &b);
	if (err)
		return err;
	*hash = hash_table(family, &info, b, info.size);
	free(b);
	return 0;
}

int ipt_fingerprint(int family, uint64_t *fp)
{
	uint64_t hash = FNV64_INIT, h;
	unsigned int present, i;
	bool any = false;
	int err, fd = -1;

	if (!fp || (family != AF_INET && family != AF_INET6))
		return -EINVAL;
	*fp = 0;
	err = tables_present(family, &present);
	if (err || !present)
		return err;
	/* One socket for all the tables: watch polls this (--legacy-poll),
	 * and a raw socket costs as much as a table's two reads. */
	fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return -errno;
	for (i = 0; i < IPT_NTABLES; i++) {
		if (!(present & (1u << i)))
			continue;
		err = table_hash(fd, family, ipt_tables[i].name, &h);
		if (err == -ENOENT || err == -ENOPROTOOPT)
			continue;
		if (err)
			goto out;
		/* The name too: the same rules moved to another table
		 * are another ruleset. */
		hash = fnv64(hash, ipt_tables[i].name,
			     strlen(ipt_tables[i].name) + 1);
		hash = fnv64(hash, &h, sizeof(h));
		any = true;
	}
	*fp = any ? hash : 0;
	err = 0;
out:
	close(fd);
	return err;
}
