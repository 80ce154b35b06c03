// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nft_parse.c - the nftables ruleset (and so iptables-nft's rules) from a
 * capture of the kernel's replies into the neutral model, without I/O:
 * the fuzzed half of the reader (nft.c captures), so it sits in the pure
 * layer, which tests/layers.sh checks.
 *
 * It does not hand the messages to libnftnl's nftnl_*_nlmsg_parse():
 * libnftnl 1.2.4 calls exit() (abi_breakage()) when an attribute has an
 * unexpected size and strdup()s strings it has not checked for a
 * terminator.  That is fair for kernel replies and fatal for saved or
 * hostile bytes.  We walk the attributes with our own policies instead
 * (nlattr.h), checking every length.
 *
 * The capture has a fixed layout, which the parser enforces:
 *
 *   NEWGEN
 *   NEWTABLE*  DONE
 *   NEWCHAIN*  DONE
 *   NEWSET*    DONE
 *   for every set of family ip, ip6 or inet, in set dump order:
 *     NEWSETELEM* DONE
 *   NEWRULE*   DONE
 *
 * so a truncated capture never passes for a smaller ruleset.  Names are
 * resolved while parsing (jumps and verdict map elements to chain indices,
 * lookups to set indices) and set elements are normalised to sorted,
 * inclusive [key, key_end] ranges when their set's element dump ends.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>
#include "nft.h"
#include "xt.h"
#include "hash.h"
#include "nlattr.h"

#define MSG(t)		((NFNL_SUBSYS_NFTABLES << 8) | (t))

/* ---- attribute policies ------------------------------------------------ */

#define POL(k)	{ NLATTR_##k, 0 }

#define PARSE_NEST(a, pol, tb) \
	nlattr_parse_nested(a, tb, sizeof(pol) / sizeof(pol[0]) - 1, pol)

/* The caller has checked that the message holds a struct nfgenmsg. */
static int parse_msg(const struct nlmsghdr *nlh, const struct nlattr_pol *pol,
		     unsigned int max, const struct nlattr **tb)
{
	size_t hdr = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg));

	return nlattr_parse_pol((const char *)nlh + hdr, nlh->nlmsg_len - hdr,
				tb, max, pol);
}

#define PARSE_MSG(nlh, pol, tb) \
	parse_msg(nlh, pol, sizeof(pol) / sizeof(pol[0]) - 1, tb)

static uint32_t be32(const struct nlattr *a)
{
	return ntohl(mnl_attr_get_u32(a));
}

static uint32_t be32_or(const struct nlattr *a, uint32_t def)
{
	return a ? be32(a) : def;
}

static uint64_t be64(const struct nlattr *a)
{
	return be64toh(mnl_attr_get_u64(a));
}

static const char *str(const struct nlattr *a)
{
	return mnl_attr_get_str(a);
}

/* The next member of a list (expressions, set elements, concatenated
 * fields): an NFTA_LIST_ELEM nest.  1, 0 at the end, or -EBADMSG: a member
 * cut short is an error, not the end of the list. */
static int next_elem(struct nlattr_iter *it, const struct nlattr **a)
{
	static const struct nlattr_pol nest = POL(NEST);
	int n = nlattr_next(it, a);

	if (n > 0 && (mnl_attr_get_type(*a) != NFTA_LIST_ELEM ||
		      !nlattr_ok(*a, &nest)))
		return -EBADMSG;
	return n;
}

/* Data we do not read (counter, log, expressions we do not know) is
 * still walked: an attribute cut short there is a message cut short. */
static int skip_data(const struct nlattr *data)
{
	const struct nlattr *tb[1];

	return nlattr_parse_nested(data, tb, 0, NULL);
}

/* The same for the lists of a table we skip (another family, dormant):
 * each member's attributes up to @inner by @pol, and @inner by
 * skip_data().  @inner: NFTA_EXPR_DATA or NFTA_SET_ELEM_KEY. */
static int skip_list(const struct nlattr *list, const struct nlattr_pol *pol,
		     unsigned int inner)
{
	const struct nlattr *a, *tb[NFTA_EXPR_DATA + 1];
	struct nlattr_iter it;
	int n, err;

	if (inner > NFTA_EXPR_DATA)
		return -EINVAL;
	nlattr_iter_nested(&it, list);
	while ((n = next_elem(&it, &a)) > 0) {
		err = nlattr_parse_nested(a, tb, inner, pol);
		if (!err)
			err = skip_data(tb[inner]);
		if (err)
			return err;
	}
	return n;
}

/* Registers as the kernel dumps them: NFT_REG_VERDICT..NFT_REG_4 or
 * NFT_REG32_00..NFT_REG32_15. */
static bool reg_ok(uint32_t r)
{
	return r <= NFT_REG_4 || (r >= NFT_REG32_00 && r <= NFT_REG32_15);
}

static int reg(const struct nlattr *a, uint8_t *out)
{
	uint32_t r;

	if (!a)
		return -EBADMSG;
	r = be32(a);
	if (!reg_ok(r))
		return -EBADMSG;
	*out = r;
	return 0;
}

static int reg_or0(const struct nlattr *a, uint8_t *out)
{
	*out = 0;
	return a ? reg(a, out) : 0;
}

/* ---- data and verdicts ------------------------------------------------- */

struct dreg {
	struct nm_data value;
	bool verdict;
	int code;
	const char *chain;	/* points into the message */
};

static const struct nlattr_pol data_pol[NFTA_DATA_MAX + 1] = {
	[NFTA_DATA_VALUE]	= { NLATTR_BIN, NM_DATA_MAX },
	[NFTA_DATA_VERDICT]	= POL(NEST),
};

static const struct nlattr_pol verdict_pol[NFTA_VERDICT_MAX + 1] = {
	[NFTA_VERDICT_CODE]	= POL(U32),
	[NFTA_VERDICT_CHAIN]	= POL(STR),
	[NFTA_VERDICT_CHAIN_ID]	= POL(U32),
};

static int parse_data(const struct nlattr *a, struct dreg *d)
{
	const struct nlattr *tb[NFTA_DATA_MAX + 1];
	const struct nlattr *vt[NFTA_VERDICT_MAX + 1];
	int err;

	memset(d, 0, sizeof(*d));
	if (!a)
		return -EBADMSG;
	err = PARSE_NEST(a, data_pol, tb);
	if (err)
		return err;
	if (tb[NFTA_DATA_VALUE]) {
		d->value.len = mnl_attr_get_payload_len(tb[NFTA_DATA_VALUE]);
		memcpy(d->value.val, mnl_attr_get_payload(tb[NFTA_DATA_VALUE]),
		       d->value.len);
		return 0;
	}
	if (!tb[NFTA_DATA_VERDICT])
		return -EBADMSG;
	err = PARSE_NEST(tb[NFTA_DATA_VERDICT], verdict_pol, vt);
	if (err)
		return err;
	if (!vt[NFTA_VERDICT_CODE])
		return -EBADMSG;
	d->verdict = true;
	d->code = (int32_t)be32(vt[NFTA_VERDICT_CODE]);
	if (d->code == NFT_JUMP || d->code == NFT_GOTO) {
		if (!vt[NFTA_VERDICT_CHAIN])
			return -EBADMSG;
		d->chain = str(vt[NFTA_VERDICT_CHAIN]);
	}
	return 0;
}

static int parse_value(const struct nlattr *a, struct nm_data *out)
{
	struct dreg d;
	int err = parse_data(a, &d);

	if (err)
		return err;
	if (d.verdict)
		return -EBADMSG;
	*out = d.value;
	return 0;
}

/* ---- name lookups ------------------------------------------------------ */

/*
 * Chains and sets are found by (family, table, name) for every jump, lookup
 * and verdict map element; rulesets generated by orchestrators hold
 * thousands of chains, so this is a hash rather than nm_find_chain().
 */
struct ihash {
	uint32_t *hash;
	int *idx;		/* -1: empty slot */
	unsigned int cap, n;
};

/* The table's name with its NUL separates it from the chain's. */
static uint32_t name_hash(uint8_t family, const char *table, const char *name)
{
	uint32_t h = fnv32(FNV32_INIT, &family, 1);

	h = fnv32(h, table, strlen(table) + 1);
	return fnv32(h, name, strlen(name));
}

#define IH_NEXT(ih, i)	(((i) + 1) & ((ih)->cap - 1))

static void ih_free(struct ihash *ih)
{
	free(ih->hash);
	free(ih->idx);
	memset(ih, 0, sizeof(*ih));
}

static void ih_put_slot(struct ihash *ih, uint32_t h, int idx)
{
	unsigned int i = h & (ih->cap - 1);

	while (ih->idx[i] >= 0)
		i = IH_NEXT(ih, i);
	ih->hash[i] = h;
	ih->idx[i] = idx;
}

static int ih_add(struct ihash *ih, uint32_t h, int idx)
{
	if ((ih->n + 1) * 2 > ih->cap) {
		struct ihash nh = { 0 };
		unsigned int i;

		nh.cap = ih->cap ? ih->cap * 2 : 64;
		nh.hash = calloc(nh.cap, sizeof(*nh.hash));
		nh.idx = malloc(nh.cap * sizeof(*nh.idx));
		if (!nh.hash || !nh.idx) {
			ih_free(&nh);
			return -ENOMEM;
		}
		for (i = 0; i < nh.cap; i++)
			nh.idx[i] = -1;
		for (i = 0; i < ih->cap; i++)
			if (ih->idx[i] >= 0)
				ih_put_slot(&nh, ih->hash[i], ih->idx[i]);
		nh.n = ih->n;
		ih_free(ih);
		*ih = nh;
	}
	ih_put_slot(ih, h, idx);
	ih->n++;
	return 0;
}

/* ---- parse state ------------------------------------------------------- */

enum section { S_GEN, S_TABLE, S_CHAIN, S_SET, S_ELEM, S_RULE, S_END };

struct ptable {
	uint8_t family;
	bool dormant;
	char *name;
};

/* An element as dumped, before intervals are normalised. */
struct relem {
	struct nm_elem e;
	uint32_t flags;
	bool has_end;
};

struct pstate {
	struct nm_model *m;
	enum section sec;
	struct ptable *tables;
	unsigned int ntables;
	struct ihash chains, sets;
	uint32_t *set_id;	/* NFTA_SET_ID per model set, for lookups */
	bool *set_has_id;
	/* One element section per dumped set: its model index, -1 when the
	 * set is skipped (dormant table). */
	int *esets;
	unsigned int nesets, cur;
	struct relem *relems;
	unsigned int nrelems, relems_cap;
	/* Per model chain: the kernel's NFTA_CHAIN_USE (its rules plus the
	 * jumps and gotos to it) and the jumps and gotos seen, to tell a
	 * complete rule dump from one cut short. */
	uint32_t *chain_use;
	bool *chain_has_use;
	uint32_t *chain_refs;
	unsigned int chain_cap;
};

/* netdev: its ingress chains may set the mark before prerouting. */
static bool family_ok(uint8_t f)
{
	return f == NFPROTO_IPV4 || f == NFPROTO_IPV6 || f == NFPROTO_INET ||
	       f == NFPROTO_NETDEV;
}

static bool table_dormant(const struct pstate *ps, uint8_t family,
			  const char *name)
{
	unsigned int i;

	for (i = 0; i < ps->ntables; i++)
		if (ps->tables[i].family == family &&
		    !strcmp(ps->tables[i].name, name))
			return ps->tables[i].dormant;
	return false;
}

static int find_chain(const struct pstate *ps, uint8_t family,
		      const char *table, const char *name)
{
	uint32_t h = name_hash(family, table, name);
	const struct ihash *ih = &ps->chains;
	unsigned int i;

	if (!ih->cap)
		return -ENOENT;
	for (i = h & (ih->cap - 1); ih->idx[i] >= 0; i = IH_NEXT(ih, i)) {
		const struct nm_chain *c = &ps->m->chains[ih->idx[i]];

		if (ih->hash[i] == h && c->family == family &&
		    !strcmp(c->table, table) && !strcmp(c->name, name))
			return ih->idx[i];
	}
	return -ENOENT;
}

static int find_set(const struct pstate *ps, uint8_t family,
		    const char *table, const char *name)
{
	uint32_t h = name_hash(family, table, name);
	const struct ihash *ih = &ps->sets;
	unsigned int i;

	if (!ih->cap)
		return -ENOENT;
	for (i = h & (ih->cap - 1); ih->idx[i] >= 0; i = IH_NEXT(ih, i)) {
		const struct nm_set *s = &ps->m->sets[ih->idx[i]];

		if (ih->hash[i] == h && s->family == family &&
		    !strcmp(s->table, table) && !strcmp(s->name, name))
			return ih->idx[i];
	}
	return -ENOENT;
}

static int find_set_id(const struct pstate *ps, uint8_t family,
		       const char *table, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < ps->m->nsets; i++) {
		const struct nm_set *s = &ps->m->sets[i];

		if (ps->set_has_id[i] && ps->set_id[i] == id &&
		    s->family == family && !strcmp(s->table, table))
			return i;
	}
	return -ENOENT;
}

static void pstate_free(struct pstate *ps)
{
	unsigned int i;

	for (i = 0; i < ps->ntables; i++)
		free(ps->tables[i].name);
	free(ps->tables);
	ih_free(&ps->chains);
	ih_free(&ps->sets);
	free(ps->set_id);
	free(ps->set_has_id);
	free(ps->esets);
	free(ps->relems);
	free(ps->chain_use);
	free(ps->chain_has_use);
	free(ps->chain_refs);
}

/* Room for the use count of model chain @idx. */
static int chain_use_grow(struct pstate *ps, unsigned int idx)
{
	unsigned int cap = ps->chain_cap ? ps->chain_cap : 16;
	uint32_t *u, *r;
	bool *h;

	if (idx < ps->chain_cap)
		return 0;
	while (cap <= idx)
		cap *= 2;
	u = realloc(ps->chain_use, cap * sizeof(*u));
	if (u)
		ps->chain_use = u;
	h = realloc(ps->chain_has_use, cap * sizeof(*h));
	if (h)
		ps->chain_has_use = h;
	r = realloc(ps->chain_refs, cap * sizeof(*r));
	if (r)
		ps->chain_refs = r;
	if (!u || !h || !r)
		return -ENOMEM;
	memset(u + ps->chain_cap, 0, (cap - ps->chain_cap) * sizeof(*u));
	memset(h + ps->chain_cap, 0, (cap - ps->chain_cap) * sizeof(*h));
	memset(r + ps->chain_cap, 0, (cap - ps->chain_cap) * sizeof(*r));
	ps->chain_cap = cap;
	return 0;
}

static void chain_ref(struct pstate *ps, int idx)
{
	if (idx >= 0 && (unsigned int)idx < ps->chain_cap)
		ps->chain_refs[idx]++;
}

/*
 * The kernel counts in a chain's use its rules and every jump and goto to
 * it (from rules and from verdict map elements).  Fewer than that in the
 * dumps means rules or elements are missing: a rule dump cut short must
 * not pass for a smaller ruleset, which would make the flows of the
 * missing rules look stale.
 */
static int check_chain_use(const struct pstate *ps)
{
	unsigned int i;

	for (i = 0; i < ps->m->nchains && i < ps->chain_cap; i++)
		if (ps->chain_has_use[i] &&
		    (uint64_t)ps->m->chains[i].nrules + ps->chain_refs[i] <
		    ps->chain_use[i])
			return -EBADMSG;
	return 0;
}

static bool table_known(const struct pstate *ps, uint8_t family,
			const char *name)
{
	unsigned int i;

	for (i = 0; i < ps->ntables; i++)
		if (ps->tables[i].family == family &&
		    !strcmp(ps->tables[i].name, name))
			return true;
	return false;
}

/* ---- gen, tables, chains ----------------------------------------------- */

static const struct nlattr_pol gen_pol[NFTA_GEN_MAX + 1] = {
	[NFTA_GEN_ID]		= POL(U32),
	[NFTA_GEN_PROC_PID]	= POL(U32),
	[NFTA_GEN_PROC_NAME]	= POL(STR),
};

int nft_msg_genid(const struct nlmsghdr *nlh, uint32_t *genid)
{
	const struct nlattr *tb[NFTA_GEN_MAX + 1];
	int err = PARSE_MSG(nlh, gen_pol, tb);

	if (err)
		return err;
	if (!tb[NFTA_GEN_ID])
		return -EBADMSG;
	*genid = be32(tb[NFTA_GEN_ID]);
	return 0;
}

static const struct nlattr_pol table_pol[NFTA_TABLE_MAX + 1] = {
	[NFTA_TABLE_NAME]	= POL(STR),
	[NFTA_TABLE_FLAGS]	= POL(U32),
	[NFTA_TABLE_USE]	= POL(U32),
	[NFTA_TABLE_HANDLE]	= POL(U64),
	[NFTA_TABLE_USERDATA]	= POL(BIN),
	[NFTA_TABLE_OWNER]	= POL(U32),
};

static int parse_table(struct pstate *ps, const struct nlmsghdr *nlh,
		       uint8_t family)
{
	const struct nlattr *tb[NFTA_TABLE_MAX + 1];
	struct ptable *t;
	int err = PARSE_MSG(nlh, table_pol, tb);

	if (err)
		return err;
	if (!tb[NFTA_TABLE_NAME])
		return -EBADMSG;
	if (!family_ok(family))
		return 0;
	t = realloc(ps->tables, (ps->ntables + 1) * sizeof(*t));
	if (!t)
		return -ENOMEM;
	ps->tables = t;
	t += ps->ntables;
	t->family = family;
	/* A dormant table's chains are not registered with any hook. */
	t->dormant = be32_or(tb[NFTA_TABLE_FLAGS], 0) & NFT_TABLE_F_DORMANT;
	t->name = strdup(str(tb[NFTA_TABLE_NAME]));
	if (!t->name)
		return -ENOMEM;
	ps->ntables++;
	return 0;
}

static const struct nlattr_pol chain_pol[NFTA_CHAIN_MAX + 1] = {
	[NFTA_CHAIN_TABLE]	= POL(STR),
	[NFTA_CHAIN_HANDLE]	= POL(U64),
	[NFTA_CHAIN_NAME]	= POL(STR),
	[NFTA_CHAIN_HOOK]	= POL(NEST),
	[NFTA_CHAIN_POLICY]	= POL(U32),
	[NFTA_CHAIN_USE]	= POL(U32),
	[NFTA_CHAIN_TYPE]	= POL(STR),
	[NFTA_CHAIN_COUNTERS]	= POL(NEST),
	[NFTA_CHAIN_FLAGS]	= POL(U32),
	[NFTA_CHAIN_ID]		= POL(U32),
	[NFTA_CHAIN_USERDATA]	= POL(BIN),
};

static const struct nlattr_pol hook_pol[NFTA_HOOK_MAX + 1] = {
	[NFTA_HOOK_HOOKNUM]	= POL(U32),
	[NFTA_HOOK_PRIORITY]	= POL(U32),
	[NFTA_HOOK_DEV]		= POL(STR),
	[NFTA_HOOK_DEVS]	= POL(NEST),
};

static void add_dev(struct nm_chain *c, const char *name)
{
	if (c->ndevs == NM_MAX_DEVS) {
		c->devs_more = true;
		return;
	}
	snprintf(c->devs[c->ndevs++], sizeof(c->devs[0]), "%s", name);
}

/* The devices an ingress chain is bound to: one (NFTA_HOOK_DEV) or a list
 * (NFTA_HOOK_DEVS of NFTA_DEVICE_NAME). */
static int chain_devs(struct nm_chain *c, const struct nlattr **hk)
{
	static const struct nlattr_pol name = POL(STR);
	const struct nlattr *a;
	struct nlattr_iter it;
	int n;

	if (hk[NFTA_HOOK_DEV])
		add_dev(c, str(hk[NFTA_HOOK_DEV]));
	nlattr_iter_nested(&it, hk[NFTA_HOOK_DEVS]);
	while ((n = nlattr_next(&it, &a)) > 0) {
		if (mnl_attr_get_type(a) != NFTA_DEVICE_NAME ||
		    !nlattr_ok(a, &name))
			return -EBADMSG;
		add_dev(c, str(a));
	}
	return n;
}

static int parse_chain(struct pstate *ps, const struct nlmsghdr *nlh,
		       uint8_t family)
{
	const struct nlattr *tb[NFTA_CHAIN_MAX + 1], *hk[NFTA_HOOK_MAX + 1];
	const char *table, *name;
	struct nm_chain *c;
	uint32_t hooknum;
	int err = PARSE_MSG(nlh, chain_pol, tb);

	if (err)
		return err;
	if (!tb[NFTA_CHAIN_TABLE] || !tb[NFTA_CHAIN_NAME])
		return -EBADMSG;
	err = PARSE_NEST(tb[NFTA_CHAIN_HOOK], hook_pol, hk);
	if (err)
		return err;
	if (tb[NFTA_CHAIN_HOOK] && !hk[NFTA_HOOK_HOOKNUM])
		return -EBADMSG;
	hooknum = be32_or(hk[NFTA_HOOK_HOOKNUM], 0);
	if (hooknum > 255)
		return -EBADMSG;
	table = str(tb[NFTA_CHAIN_TABLE]);
	name = str(tb[NFTA_CHAIN_NAME]);
	if (!family_ok(family) || table_dormant(ps, family, table))
		return 0;
	/* a table dump cut short would hide that a table is dormant */
	if (!table_known(ps, family, table))
		return -EBADMSG;
	if (find_chain(ps, family, table, name) >= 0)
		return -EBADMSG;

	c = nm_add_chain(ps->m);
	if (!c)
		return -ENOMEM;
	c->table = strdup(table);
	c->name = strdup(name);
	if (!c->table || !c->name)
		return -ENOMEM;
	c->family = family;
	c->source = NM_SRC_NFT;
	c->policy = NF_ACCEPT;
	if (chain_use_grow(ps, ps->m->nchains - 1))
		return -ENOMEM;
	if (tb[NFTA_CHAIN_USE]) {
		uint32_t use = be32(tb[NFTA_CHAIN_USE]);

		/* A bound chain (jump { ... }) holds one more use for its
		 * binding (6.x); counting it as slack is right either way. */
		if ((be32_or(tb[NFTA_CHAIN_FLAGS], 0) & NFT_CHAIN_BINDING) &&
		    use)
			use--;
		ps->chain_use[ps->m->nchains - 1] = use;
		ps->chain_has_use[ps->m->nchains - 1] = true;
	}
	if (tb[NFTA_CHAIN_HOOK] && family == NFPROTO_NETDEV) {
		/* Ingress runs before prerouting; egress after everything
		 * NAT does, so it is kept as a chain nothing runs. */
		if (hooknum != NF_NETDEV_INGRESS)
			return ih_add(&ps->chains, name_hash(family, table, name),
				      ps->m->nchains - 1);
		hooknum = NM_HOOK_INGRESS;
	}
	if (tb[NFTA_CHAIN_HOOK] && hooknum == NM_HOOK_INGRESS) {
		err = chain_devs(c, hk);
		if (err)
			return err;
	}
	if (tb[NFTA_CHAIN_HOOK]) {
		c->hook = hooknum;
		c->prio = (int32_t)be32_or(hk[NFTA_HOOK_PRIORITY], 0);
		c->policy = (int32_t)be32_or(tb[NFTA_CHAIN_POLICY], NF_ACCEPT);
		c->nat = tb[NFTA_CHAIN_TYPE] &&
			 !strcmp(str(tb[NFTA_CHAIN_TYPE]), "nat");
	}
	return ih_add(&ps->chains, name_hash(family, table, name),
		      ps->m->nchains - 1);
}

/* ---- sets -------------------------------------------------------------- */

static const struct nlattr_pol set_pol[NFTA_SET_MAX + 1] = {
	[NFTA_SET_TABLE]	= POL(STR),
	[NFTA_SET_NAME]		= POL(STR),
	[NFTA_SET_FLAGS]	= POL(U32),
	[NFTA_SET_KEY_TYPE]	= POL(U32),
	[NFTA_SET_KEY_LEN]	= POL(U32),
	[NFTA_SET_DATA_TYPE]	= POL(U32),
	[NFTA_SET_DATA_LEN]	= POL(U32),
	[NFTA_SET_POLICY]	= POL(U32),
	[NFTA_SET_DESC]		= POL(NEST),
	[NFTA_SET_ID]		= POL(U32),
	[NFTA_SET_TIMEOUT]	= POL(U64),
	[NFTA_SET_GC_INTERVAL]	= POL(U32),
	[NFTA_SET_USERDATA]	= POL(BIN),
	[NFTA_SET_OBJ_TYPE]	= POL(U32),
	[NFTA_SET_HANDLE]	= POL(U64),
	[NFTA_SET_EXPR]		= POL(NEST),
	[NFTA_SET_EXPRESSIONS]	= POL(NEST),
};

static const struct nlattr_pol set_desc_pol[NFTA_SET_DESC_MAX + 1] = {
	[NFTA_SET_DESC_SIZE]	= POL(U32),
	[NFTA_SET_DESC_CONCAT]	= POL(NEST),
};

static const struct nlattr_pol set_field_pol[NFTA_SET_FIELD_MAX + 1] = {
	[NFTA_SET_FIELD_LEN]	= POL(U32),
};

static int parse_concat(const struct nlattr *nest, struct nm_set *s)
{
	const struct nlattr *a, *fl[NFTA_SET_FIELD_MAX + 1];
	struct nlattr_iter it;
	uint32_t len;
	int n, err;

	nlattr_iter_nested(&it, nest);
	while ((n = next_elem(&it, &a)) > 0) {
		err = PARSE_NEST(a, set_field_pol, fl);
		if (err)
			return err;
		if (!fl[NFTA_SET_FIELD_LEN] ||
		    s->nfields >= sizeof(s->field_len))
			return -EBADMSG;
		len = be32(fl[NFTA_SET_FIELD_LEN]);
		if (!len || len > NM_DATA_MAX)
			return -EBADMSG;
		s->field_len[s->nfields++] = len;
	}
	return n;
}

static int esets_push(struct pstate *ps, int idx)
{
	int *p = realloc(ps->esets, (ps->nesets + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	ps->esets = p;
	p[ps->nesets++] = idx;
	return 0;
}

static int parse_set(struct pstate *ps, const struct nlmsghdr *nlh,
		     uint8_t family)
{
	const struct nlattr *tb[NFTA_SET_MAX + 1];
	const struct nlattr *desc[NFTA_SET_DESC_MAX + 1];
	const char *table, *name;
	struct nm_set *s;
	unsigned int n = ps->m->nsets;
	uint32_t *ids;
	bool *has;
	int err = PARSE_MSG(nlh, set_pol, tb);

	if (err)
		return err;
	if (!tb[NFTA_SET_TABLE] || !tb[NFTA_SET_NAME] || !tb[NFTA_SET_KEY_LEN])
		return -EBADMSG;
	err = PARSE_NEST(tb[NFTA_SET_DESC], set_desc_pol, desc);
	if (err)
		return err;
	if (!family_ok(family))
		return 0;
	table = str(tb[NFTA_SET_TABLE]);
	name = str(tb[NFTA_SET_NAME]);
	if (table_dormant(ps, family, table))
		return esets_push(ps, -1);
	if (find_set(ps, family, table, name) >= 0)
		return -EBADMSG;

	ids = realloc(ps->set_id, (n + 1) * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	ps->set_id = ids;
	has = realloc(ps->set_has_id, (n + 1) * sizeof(*has));
	if (!has)
		return -ENOMEM;
	ps->set_has_id = has;
	ids[n] = be32_or(tb[NFTA_SET_ID], 0);
	has[n] = tb[NFTA_SET_ID] != NULL;

	s = nm_add_set(ps->m);
	if (!s)
		return -ENOMEM;
	s->table = strdup(table);
	s->name = strdup(name);
	if (!s->table || !s->name)
		return -ENOMEM;
	s->family = family;
	s->flags = be32_or(tb[NFTA_SET_FLAGS], 0);
	s->key_len = be32(tb[NFTA_SET_KEY_LEN]);
	s->data_type = be32_or(tb[NFTA_SET_DATA_TYPE], 0);
	s->data_len = be32_or(tb[NFTA_SET_DATA_LEN], 0);
	if (!s->key_len || s->key_len > NM_DATA_MAX ||
	    (s->data_type != NFT_DATA_VERDICT && s->data_len > NM_DATA_MAX))
		return -EBADMSG;
	if (desc[NFTA_SET_DESC_CONCAT]) {
		err = parse_concat(desc[NFTA_SET_DESC_CONCAT], s);
		if (err)
			return err;
	}
	err = ih_add(&ps->sets, name_hash(family, table, name), n);
	if (err)
		return err;
	return esets_push(ps, n);
}

/* What the reader needs to ask for a set's elements (nft.h). */
int nft_msg_set_ref(const struct nlmsghdr *nlh, uint8_t *family,
		    const char **table, const char **name)
{
	const struct nlattr *tb[NFTA_SET_MAX + 1];
	const struct nfgenmsg *nfg;
	int err;

	if (nlh->nlmsg_type == NLMSG_DONE)
		return 0;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*nfg)))
		return -EBADMSG;
	nfg = mnl_nlmsg_get_payload(nlh);
	if (!family_ok(nfg->nfgen_family))
		return 0;
	err = PARSE_MSG(nlh, set_pol, tb);
	if (err)
		return err;
	if (!tb[NFTA_SET_TABLE] || !tb[NFTA_SET_NAME])
		return -EBADMSG;
	*family = nfg->nfgen_family;
	*table = str(tb[NFTA_SET_TABLE]);
	*name = str(tb[NFTA_SET_NAME]);
	return 1;
}

/* ---- set elements ------------------------------------------------------ */

static const struct nlattr_pol elem_list_pol[NFTA_SET_ELEM_LIST_MAX + 1] = {
	[NFTA_SET_ELEM_LIST_TABLE]	= POL(STR),
	[NFTA_SET_ELEM_LIST_SET]	= POL(STR),
	[NFTA_SET_ELEM_LIST_ELEMENTS]	= POL(NEST),
	[NFTA_SET_ELEM_LIST_SET_ID]	= POL(U32),
};

static const struct nlattr_pol elem_pol[NFTA_SET_ELEM_MAX + 1] = {
	[NFTA_SET_ELEM_KEY]		= POL(NEST),
	[NFTA_SET_ELEM_DATA]		= POL(NEST),
	[NFTA_SET_ELEM_FLAGS]		= POL(U32),
	[NFTA_SET_ELEM_TIMEOUT]		= POL(U64),
	[NFTA_SET_ELEM_EXPIRATION]	= POL(U64),
	[NFTA_SET_ELEM_USERDATA]	= POL(BIN),
	[NFTA_SET_ELEM_EXPR]		= POL(NEST),
	[NFTA_SET_ELEM_OBJREF]		= POL(STR),
	[NFTA_SET_ELEM_KEY_END]		= POL(NEST),
	[NFTA_SET_ELEM_EXPRESSIONS]	= POL(NEST),
};

static struct relem *relem_add(struct pstate *ps)
{
	struct relem *r;

	if (ps->nrelems == ps->relems_cap) {
		unsigned int cap = ps->relems_cap ? ps->relems_cap * 2 : 16;

		r = realloc(ps->relems, cap * sizeof(*r));
		if (!r)
			return NULL;
		ps->relems = r;
		ps->relems_cap = cap;
	}
	r = &ps->relems[ps->nrelems++];
	memset(r, 0, sizeof(*r));
	r->e.chain = -1;
	return r;
}

/* [key, key_end] runs upwards, and so does each field of a concatenation
 * (fields are padded to 4 bytes). */
static bool range_ok(const struct nm_set *s, const struct nm_elem *e)
{
	unsigned int i, off = 0;

	if (memcmp(e->key.val, e->key_end.val, e->key.len) > 0)
		return false;
	for (i = 0; i < s->nfields; i++) {
		if (off + s->field_len[i] > e->key.len)
			return false;
		if (memcmp(e->key.val + off, e->key_end.val + off,
			   s->field_len[i]) > 0)
			return false;
		off += (s->field_len[i] + 3) & ~3u;
	}
	return true;
}

static int parse_elem(struct pstate *ps, const struct nm_set *s,
		      const struct nlattr *a)
{
	const struct nlattr *tb[NFTA_SET_ELEM_MAX + 1];
	struct relem *r;
	struct dreg d;
	int err = PARSE_NEST(a, elem_pol, tb);

	if (err)
		return err;
	r = relem_add(ps);
	if (!r)
		return -ENOMEM;
	r->flags = be32_or(tb[NFTA_SET_ELEM_FLAGS], 0);
	if (r->flags & NFT_SET_ELEM_CATCHALL) {
		/* No key: it matches whatever nothing else does. */
		r->e.key.len = r->e.key_end.len = s->key_len;
		memset(r->e.key_end.val, 0xff, s->key_len);
	} else {
		err = parse_value(tb[NFTA_SET_ELEM_KEY], &r->e.key);
		if (err)
			return err;
		if (r->e.key.len != s->key_len)
			return -EBADMSG;
		r->e.key_end = r->e.key;
	}
	if (tb[NFTA_SET_ELEM_KEY_END]) {
		err = parse_value(tb[NFTA_SET_ELEM_KEY_END], &r->e.key_end);
		if (err)
			return err;
		if (r->e.key_end.len != s->key_len || !range_ok(s, &r->e))
			return -EBADMSG;
		r->has_end = true;
	}
	if (!tb[NFTA_SET_ELEM_DATA])
		return 0;
	err = parse_data(tb[NFTA_SET_ELEM_DATA], &d);
	if (err)
		return err;
	if (!d.verdict) {
		r->e.data = d.value;
		return 0;
	}
	r->e.verdict = d.code;
	if (d.chain) {
		r->e.chain = find_chain(ps, s->family, s->table, d.chain);
		if (r->e.chain < 0)
			return -EBADMSG;
		chain_ref(ps, r->e.chain);
	}
	return 0;
}

static int parse_elems(struct pstate *ps, const struct nlmsghdr *nlh,
		       uint8_t family)
{
	const struct nlattr *tb[NFTA_SET_ELEM_LIST_MAX + 1], *a;
	const struct nm_set *s;
	struct nlattr_iter it;
	int idx = ps->esets[ps->cur], n;
	int err = PARSE_MSG(nlh, elem_list_pol, tb);

	if (err)
		return err;
	if (!tb[NFTA_SET_ELEM_LIST_TABLE] || !tb[NFTA_SET_ELEM_LIST_SET])
		return -EBADMSG;
	if (idx < 0)
		return skip_list(tb[NFTA_SET_ELEM_LIST_ELEMENTS], elem_pol,
				 NFTA_SET_ELEM_KEY);
	s = &ps->m->sets[idx];
	if (family != s->family ||
	    strcmp(str(tb[NFTA_SET_ELEM_LIST_TABLE]), s->table) ||
	    strcmp(str(tb[NFTA_SET_ELEM_LIST_SET]), s->name))
		return -EBADMSG;
	nlattr_iter_nested(&it, tb[NFTA_SET_ELEM_LIST_ELEMENTS]);
	while ((n = next_elem(&it, &a)) > 0) {
		err = parse_elem(ps, s, a);
		if (err)
			return err;
	}
	return n;
}

/* Big-endian @d minus one; @d is not zero. */
static void data_dec(struct nm_data *d)
{
	int i;

	for (i = d->len - 1; i >= 0; i--)
		if (d->val[i]-- != 0)
			break;
}

static int relem_cmp(const void *a, const void *b)
{
	const struct relem *x = a, *y = b;
	int c = memcmp(x->e.key.val, y->e.key.val, x->e.key.len);
	bool xe = x->flags & NFT_SET_ELEM_INTERVAL_END;
	bool ye = y->flags & NFT_SET_ELEM_INTERVAL_END;

	/* An interval's exclusive end sorts before the start of the next
	 * interval sharing its key: [1,4] [5,9] dump as 1 5e 5 10e. */
	if (c)
		return c;
	return (int)ye - (int)xe;
}

static int add_elem(struct nm_set *s, const struct nm_elem *e)
{
	struct nm_elem *n = nm_add_elem(s);

	if (!n)
		return -ENOMEM;
	*n = *e;
	return 0;
}

/*
 * rbtree interval sets hold starts and exclusive ends (flagged
 * NFT_SET_ELEM_INTERVAL_END), dumped in descending order.  The kernel finds
 * the greatest element not above the key and matches if it is a start; so a
 * start covers everything up to just before the next element, whatever that
 * is, and a start without a successor runs to the top of the key space.
 */
static int normalise_rbtree(struct nm_set *s, struct relem *r, unsigned int n)
{
	unsigned int i, j;
	struct nm_elem e;
	int err;

	if (!n)
		return 0;
	qsort(r, n, sizeof(*r), relem_cmp);
	for (i = 0; i < n; i++) {
		if (r[i].flags & NFT_SET_ELEM_INTERVAL_END)
			continue;
		e = r[i].e;
		memset(e.key_end.val, 0xff, e.key_end.len);
		for (j = i + 1; j < n; j++) {
			if (memcmp(r[j].e.key.val, e.key.val, e.key.len)) {
				e.key_end = r[j].e.key;
				data_dec(&e.key_end);
				break;
			}
		}
		err = add_elem(s, &e);
		if (err)
			return err;
	}
	return 0;
}

static int elem_cmp(const void *a, const void *b)
{
	const struct nm_elem *x = a, *y = b;
	int c = memcmp(x->key.val, y->key.val, x->key.len);

	return c ? c : memcmp(x->key_end.val, y->key_end.val, x->key.len);
}

static int finish_elems(struct pstate *ps)
{
	int idx = ps->esets[ps->cur];
	struct relem *r = ps->relems;
	unsigned int i, n = 0;
	struct nm_set *s;
	int err = 0;

	if (idx < 0)
		goto out;
	s = &ps->m->sets[idx];
	/* Catch-all elements go last: they match only what nothing else
	 * does, so a first-match walk over the elements is right.  The rest
	 * do not overlap (intervals after normalising included). */
	for (i = 0; i < ps->nrelems; i++) {
		if (r[i].flags & NFT_SET_ELEM_CATCHALL)
			continue;
		if ((s->flags & NFT_SET_INTERVAL) && !r[i].has_end) {
			/* Swap, not copy: catch-alls must survive. */
			struct relem t = r[n];

			r[n++] = r[i];
			r[i] = t;
			continue;
		}
		if (r[i].flags & NFT_SET_ELEM_INTERVAL_END)
			continue;
		err = add_elem(s, &r[i].e);
		if (err)
			goto out;
	}
	err = normalise_rbtree(s, r, n);
	if (err)
		goto out;
	/* Hash sets dump in a per-boot order: sorted, two reads of one
	 * ruleset give equal models. */
	if (s->nelems)
		qsort(s->elems, s->nelems, sizeof(*s->elems), elem_cmp);
	for (i = n; i < ps->nrelems; i++) {
		if (!(r[i].flags & NFT_SET_ELEM_CATCHALL))
			continue;
		err = add_elem(s, &r[i].e);
		if (err)
			goto out;
	}
out:
	ps->nrelems = 0;
	return err;
}

/* ---- expressions ------------------------------------------------------- */

/* What one rule's expressions need to know about their rule. */
struct xctx {
	struct pstate *ps;
	const struct nm_chain *chain;
	struct nm_rule *rule;
	uint16_t proto;		/* l4 protocol the rule matched so far */
	bool l4reg[NFT_REG32_15 + 1];	/* holds the l4 protocol */
};

static void set_unknown(struct nm_expr *e, const char *what)
{
	memset(e, 0, sizeof(*e));
	e->op = NM_OP_UNKNOWN;
	snprintf(e->unknown, sizeof(e->unknown), "%s", what);
}

static const struct nlattr_pol meta_pol[NFTA_META_MAX + 1] = {
	[NFTA_META_DREG]	= POL(U32),
	[NFTA_META_KEY]		= POL(U32),
	[NFTA_META_SREG]	= POL(U32),
};

static int x_meta(struct xctx *x, const struct nlattr *data, struct nm_expr *e)
{
	const struct nlattr *tb[NFTA_META_MAX + 1];
	int err = PARSE_NEST(data, meta_pol, tb);

	if (err)
		return err;
	if (!tb[NFTA_META_KEY])
		return -EBADMSG;
	if (!tb[NFTA_META_DREG] && tb[NFTA_META_SREG]) {
		e->op = NM_OP_META_SET;
		e->set_stmt.key = be32(tb[NFTA_META_KEY]);
		return reg(tb[NFTA_META_SREG], &e->sreg);
	}
	if (!tb[NFTA_META_DREG]) {
		set_unknown(e, "meta");
		return 0;
	}
	e->op = NM_OP_META;
	e->meta.key = be32(tb[NFTA_META_KEY]);
	return reg(tb[NFTA_META_DREG], &e->dreg);
}

static const struct nlattr_pol payload_pol[NFTA_PAYLOAD_MAX + 1] = {
	[NFTA_PAYLOAD_DREG]		= POL(U32),
	[NFTA_PAYLOAD_BASE]		= POL(U32),
	[NFTA_PAYLOAD_OFFSET]		= POL(U32),
	[NFTA_PAYLOAD_LEN]		= POL(U32),
	[NFTA_PAYLOAD_SREG]		= POL(U32),
	[NFTA_PAYLOAD_CSUM_TYPE]	= POL(U32),
	[NFTA_PAYLOAD_CSUM_OFFSET]	= POL(U32),
	[NFTA_PAYLOAD_CSUM_FLAGS]	= POL(U32),
};

static int x_payload(struct xctx *x, const struct nlattr *data,
		     struct nm_expr *e)
{
	const struct nlattr *tb[NFTA_PAYLOAD_MAX + 1];
	uint32_t len;
	int err = PARSE_NEST(data, payload_pol, tb);

	if (err)
		return err;
	if (!tb[NFTA_PAYLOAD_BASE] || !tb[NFTA_PAYLOAD_OFFSET] ||
	    !tb[NFTA_PAYLOAD_LEN])
		return -EBADMSG;
	if (!tb[NFTA_PAYLOAD_DREG]) {
		/* A write: mangles the packet, which we do not model. */
		set_unknown(e, "payload set");
		return 0;
	}
	len = be32(tb[NFTA_PAYLOAD_LEN]);
	if (!len || len > NM_DATA_MAX)
		return -EBADMSG;
	e->op = NM_OP_PAYLOAD;
	e->len = len;
	e->payload.base = be32(tb[NFTA_PAYLOAD_BASE]);
	e->payload.offset = be32(tb[NFTA_PAYLOAD_OFFSET]);
	return reg(tb[NFTA_PAYLOAD_DREG], &e->dreg);
}

static const struct nlattr_pol cmp_pol[NFTA_CMP_MAX + 1] = {
	[NFTA_CMP_SREG]		= POL(U32),
	[NFTA_CMP_OP]		= POL(U32),
	[NFTA_CMP_DATA]		= POL(NEST),
};

static int x_cmp(struct xctx *x, const struct nlattr *data, struct nm_expr *e)
{
	const struct nlattr *tb[NFTA_CMP_MAX + 1];
	int err = PARSE_NEST(data, cmp_pol, tb);

	if (err)
		return err;
	if (!tb[NFTA_CMP_OP])
		return -EBADMSG;
	e->op = NM_OP_CMP;
	e->cmp.op = be32(tb[NFTA_CMP_OP]);
	if (e->cmp.op > NFT_CMP_GTE)
		return -EBADMSG;
	err = parse_value(tb[NFTA_CMP_DATA], &e->cmp.data);
	if (err)
		return err;
	e->len = e->cmp.data.len;
	return reg(tb[NFTA_CMP_SREG], &e->sreg);
}

static const struct nlattr_pol bitwise_pol[NM_NFTA_BITWISE_SREG2 + 1] = {
	[NFTA_BITWISE_SREG]	= POL(U32),
	[NFTA_BITWISE_DREG]	= POL(U32),
	[NFTA_BITWISE_LEN]	= POL(U32),
	[NFTA_BITWISE_MASK]	= POL(NEST),
	[NFTA_BITWISE_XOR]	= POL(NEST),
	[NFTA_BITWISE_OP]	= POL(U32),
	[NFTA_BITWISE_DATA]	= POL(NEST),
	[NM_NFTA_BITWISE_SREG2]	= POL(U32),
};

/* The operands of each op: mask and xor, a shift, or a second register. */
static int bitwise_operands(const struct nlattr **tb, uint32_t len,
			    struct nm_expr *e)
{
	struct nm_data shift;
	uint8_t sreg2 = 0;
	int err;

	switch (e->bitwise.op) {
	case NFT_BITWISE_BOOL:
		err = parse_value(tb[NFTA_BITWISE_MASK], &e->bitwise.mask);
		if (!err)
			err = parse_value(tb[NFTA_BITWISE_XOR],
					  &e->bitwise.xor);
		if (err)
			return err;
		if (e->bitwise.mask.len != len || e->bitwise.xor.len != len)
			return -EBADMSG;
		return 0;
	case NFT_BITWISE_LSHIFT:
	case NFT_BITWISE_RSHIFT:
		/* The shift is a host-order u32 in a data value. */
		err = parse_value(tb[NFTA_BITWISE_DATA], &shift);
		if (err)
			return err;
		if (shift.len != sizeof(uint32_t))
			return -EBADMSG;
		memcpy(&e->bitwise.shift, shift.val, sizeof(uint32_t));
		return 0;
	}
	/* NM_BITWISE_AND, _OR, _XOR: as nft_bitwise_init_bool() of 6.13,
	 * a second source register and neither mask, xor nor data. */
	if (!tb[NM_NFTA_BITWISE_SREG2] || tb[NFTA_BITWISE_MASK] ||
	    tb[NFTA_BITWISE_XOR] || tb[NFTA_BITWISE_DATA])
		return -EBADMSG;
	err = reg(tb[NM_NFTA_BITWISE_SREG2], &sreg2);
	e->bitwise.sreg2 = sreg2;
	return err;
}

static int x_bitwise(struct xctx *x, const struct nlattr *data,
		     struct nm_expr *e)
{
	const struct nlattr *tb[NM_NFTA_BITWISE_SREG2 + 1];
	uint32_t len, op;
	int err = PARSE_NEST(data, bitwise_pol, tb);

	if (err)
		return err;
	if (!tb[NFTA_BITWISE_LEN])
		return -EBADMSG;
	len = be32(tb[NFTA_BITWISE_LEN]);
	if (!len || len > NM_DATA_MAX)
		return -EBADMSG;
	op = be32_or(tb[NFTA_BITWISE_OP], NFT_BITWISE_BOOL);
	if (op > NM_BITWISE_XOR) {
		char what[32];

		snprintf(what, sizeof(what), "bitwise op %u", op);
		set_unknown(e, what);
		return 0;
	}
	e->op = NM_OP_BITWISE;
	e->len = len;
	e->bitwise.op = op;
	err = bitwise_operands(tb, len, e);
	if (!err)
		err = reg(tb[NFTA_BITWISE_SREG], &e->sreg);
	return err ? err : reg(tb[NFTA_BITWISE_DREG], &e->dreg);
}

static const struct nlattr_pol range_pol[NFTA_RANGE_MAX + 1] = {
	[NFTA_RANGE_SREG]	= POL(U32),
	[NFTA_RANGE_OP]		= POL(U32),
	[NFTA_RANGE_FROM_DATA]	= POL(NEST),
	[NFTA_RANGE_TO_DATA]	= POL(NEST),
};

static int x_range(struct xctx *x, const struct nlattr *data,
		   struct nm_expr *e)
{
	const struct nlattr *tb[NFTA_RANGE_MAX + 1];
	int err = PARSE_NEST(data, range_pol, tb);

	if (err)
		return err;
	if (!tb[NFTA_RANGE_OP])
		return -EBADMSG;
	e->op = NM_OP_RANGE;
	e->range.op = be32(tb[NFTA_RANGE_OP]);
	if (e->range.op != NFT_RANGE_EQ && e->range.op != NFT_RANGE_NEQ)
		return -EBADMSG;
	err = parse_value(tb[NFTA_RANGE_FROM_DATA], &e->range.from);
	if (!err)
		err = parse_value(tb[NFTA_RANGE_TO_DATA], &e->range.to);
	if (err)
		return err;
	if (e->range.from.len != e->range.to.len)
		return -EBADMSG;
	e->len = e->range.from.len;
	return reg(tb[NFTA_RANGE_SREG], &e->sreg);
}

static const struct nlattr_pol lookup_pol[NFTA_LOOKUP_MAX + 1] = {
	[NFTA_LOOKUP_SET]	= POL(STR),
	[NFTA_LOOKUP_SREG]	= POL(U32),
	[NFTA_LOOKUP_DREG]	= POL(U32),
	[NFTA_LOOKUP_SET_ID]	= POL(U32),
	[NFTA_LOOKUP_FLAGS]	= POL(U32),
};

static int x_lookup(struct xctx *x, const struct nlattr *data,
		    struct nm_expr *e)
{
	const struct nlattr *tb[NFTA_LOOKUP_MAX + 1];
	const struct nm_chain *c = x->chain;
	int err = PARSE_NEST(data, lookup_pol, tb);
	int set;

	if (err)
		return err;
	/* The kernel dumps anonymous sets by name too ("__set0"); the id is
	 * what a transaction uses before the name exists. */
	if (tb[NFTA_LOOKUP_SET])
		set = find_set(x->ps, c->family, c->table,
			       str(tb[NFTA_LOOKUP_SET]));
	else if (tb[NFTA_LOOKUP_SET_ID])
		set = find_set_id(x->ps, c->family, c->table,
				  be32(tb[NFTA_LOOKUP_SET_ID]));
	else
		return -EBADMSG;
	if (set < 0)
		return -EBADMSG;
	e->op = NM_OP_LOOKUP;
	e->lookup.set = set;
	e->lookup.invert = be32_or(tb[NFTA_LOOKUP_FLAGS], 0) & NFT_LOOKUP_F_INV;
	e->lookup.has_dreg = tb[NFTA_LOOKUP_DREG] != NULL;
	e->len = x->ps->m->sets[set].key_len;
	err = reg(tb[NFTA_LOOKUP_SREG], &e->sreg);
	return err ? err : reg_or0(tb[NFTA_LOOKUP_DREG], &e->dreg);
}

static const struct nlattr_pol imm_pol[NFTA_IMMEDIATE_MAX + 1] = {
	[NFTA_IMMEDIATE_DREG]	= POL(U32),
	[NFTA_IMMEDIATE_DATA]	= POL(NEST),
};

static int x_immediate(struct xctx *x, const struct nlattr *data,
		       struct nm_expr *e)
{
	const struct nlattr *tb[NFTA_IMMEDIATE_MAX + 1];
	const struct nm_chain *c = x->chain;
	struct dreg d;
	int err = PARSE_NEST(data, imm_pol, tb);

	if (err)
		return err;
	err = parse_data(tb[NFTA_IMMEDIATE_DATA], &d);
	if (!err)
		err = reg(tb[NFTA_IMMEDIATE_DREG], &e->dreg);
	if (err)
		return err;
	if (d.verdict != (e->dreg == NFT_REG_VERDICT))
		return -EBADMSG;
	e->op = NM_OP_IMMEDIATE;
	e->imm.chain = -1;
	if (!d.verdict) {
		e->imm.data = d.value;
		e->len = d.value.len;
		return 0;
	}
	e->imm.verdict = d.code;
	if (d.chain) {
		e->imm.chain = find_chain(x->ps, c->family, c->table, d.chain);
		if (e->imm.chain < 0)
			return -EBADMSG;
		chain_ref(x->ps, e->imm.chain);
	}
	return 0;
}

static const struct nlattr_pol fib_pol[NFTA_FIB_MAX + 1] = {
	[NFTA_FIB_DREG]		= POL(U32),
	[NFTA_FIB_RESULT]	= POL(U32),
	[NFTA_FIB_FLAGS]	= POL(U32),
};

static int x_fib(struct xctx *x, const struct nlattr *data, struct nm_expr *e)
{
	const struct nlattr *tb[NFTA_FIB_MAX + 1];
	int err = PARSE_NEST(data, fib_pol, tb);

	if (err)
		return err;
	if (!tb[NFTA_FIB_RESULT])
		return -EBADMSG;
	e->op = NM_OP_FIB;
	e->fib.result = be32(tb[NFTA_FIB_RESULT]);
	e->fib.flags = be32_or(tb[NFTA_FIB_FLAGS], 0);
	return reg(tb[NFTA_FIB_DREG], &e->dreg);
}

static const struct nlattr_pol ct_pol[NFTA_CT_MAX + 1] = {
	[NFTA_CT_DREG]		= POL(U32),
	[NFTA_CT_KEY]		= POL(U32),
	[NFTA_CT_DIRECTION]	= POL(U8),
	[NFTA_CT_SREG]		= POL(U32),
};

static int x_ct(struct xctx *x, const struct nlattr *data, struct nm_expr *e)
{
	const struct nlattr *tb[NFTA_CT_MAX + 1];
	int err = PARSE_NEST(data, ct_pol, tb);

	if (err)
		return err;
	if (!tb[NFTA_CT_KEY])
		return -EBADMSG;
	if (!tb[NFTA_CT_DREG] && tb[NFTA_CT_SREG]) {
		e->op = NM_OP_CT_SET;
		e->set_stmt.key = be32(tb[NFTA_CT_KEY]);
		e->set_stmt.dir = tb[NFTA_CT_DIRECTION] ?
				  mnl_attr_get_u8(tb[NFTA_CT_DIRECTION]) : 0;
		return reg(tb[NFTA_CT_SREG], &e->sreg);
	}
	if (!tb[NFTA_CT_DREG]) {
		set_unknown(e, "ct");
		return 0;
	}
	e->op = NM_OP_CT;
	e->ct.key = be32(tb[NFTA_CT_KEY]);
	e->ct.dir = tb[NFTA_CT_DIRECTION] ?
		    mnl_attr_get_u8(tb[NFTA_CT_DIRECTION]) : 0;
	return reg(tb[NFTA_CT_DREG], &e->dreg);
}

static const struct nlattr_pol nat_pol[NFTA_NAT_MAX + 1] = {
	[NFTA_NAT_TYPE]		 = POL(U32),
	[NFTA_NAT_FAMILY]	 = POL(U32),
	[NFTA_NAT_REG_ADDR_MIN]	 = POL(U32),
	[NFTA_NAT_REG_ADDR_MAX]	 = POL(U32),
	[NFTA_NAT_REG_PROTO_MIN] = POL(U32),
	[NFTA_NAT_REG_PROTO_MAX] = POL(U32),
	[NFTA_NAT_FLAGS]	 = POL(U32),
};

static int x_nat(struct xctx *x, const struct nlattr *data, struct nm_expr *e)
{
	const struct nlattr *tb[NFTA_NAT_MAX + 1];
	int err = PARSE_NEST(data, nat_pol, tb);

	if (err)
		return err;
	if (!tb[NFTA_NAT_TYPE] || !tb[NFTA_NAT_FAMILY])
		return -EBADMSG;
	e->op = NM_OP_NAT;
	e->nat.type = be32(tb[NFTA_NAT_TYPE]);
	e->nat.family = be32(tb[NFTA_NAT_FAMILY]);
	e->nat.flags = be32_or(tb[NFTA_NAT_FLAGS], 0);
	if (e->nat.type != NFT_NAT_SNAT && e->nat.type != NFT_NAT_DNAT)
		return -EBADMSG;
	err = reg_or0(tb[NFTA_NAT_REG_ADDR_MIN], &e->nat.reg_addr_min);
	if (!err)
		err = reg_or0(tb[NFTA_NAT_REG_ADDR_MAX], &e->nat.reg_addr_max);
	if (!err)
		err = reg_or0(tb[NFTA_NAT_REG_PROTO_MIN],
			      &e->nat.reg_proto_min);
	if (!err)
		err = reg_or0(tb[NFTA_NAT_REG_PROTO_MAX],
			      &e->nat.reg_proto_max);
	return err;
}

/* masq and redir share their layout and our model. */
static const struct nlattr_pol masq_pol[NFTA_MASQ_MAX + 1] = {
	[NFTA_MASQ_FLAGS]	  = POL(U32),
	[NFTA_MASQ_REG_PROTO_MIN] = POL(U32),
	[NFTA_MASQ_REG_PROTO_MAX] = POL(U32),
};

static const struct nlattr_pol redir_pol[NFTA_REDIR_MAX + 1] = {
	[NFTA_REDIR_REG_PROTO_MIN] = POL(U32),
	[NFTA_REDIR_REG_PROTO_MAX] = POL(U32),
	[NFTA_REDIR_FLAGS]	   = POL(U32),
};

static int x_masq(struct xctx *x, const struct nlattr *data, struct nm_expr *e)
{
	const struct nlattr *tb[NFTA_MASQ_MAX + 1];
	int err = PARSE_NEST(data, masq_pol, tb);

	if (err)
		return err;
	e->op = NM_OP_MASQ;
	e->redir.flags = be32_or(tb[NFTA_MASQ_FLAGS], 0);
	err = reg_or0(tb[NFTA_MASQ_REG_PROTO_MIN], &e->redir.reg_proto_min);
	return err ? err :
	       reg_or0(tb[NFTA_MASQ_REG_PROTO_MAX], &e->redir.reg_proto_max);
}

static int x_redir(struct xctx *x, const struct nlattr *data,
		   struct nm_expr *e)
{
	const struct nlattr *tb[NFTA_REDIR_MAX + 1];
	int err = PARSE_NEST(data, redir_pol, tb);

	if (err)
		return err;
	e->op = NM_OP_REDIR;
	e->redir.flags = be32_or(tb[NFTA_REDIR_FLAGS], 0);
	err = reg_or0(tb[NFTA_REDIR_REG_PROTO_MIN], &e->redir.reg_proto_min);
	return err ? err :
	       reg_or0(tb[NFTA_REDIR_REG_PROTO_MAX], &e->redir.reg_proto_max);
}

static const struct nlattr_pol ng_pol[NFTA_NG_MAX + 1] = {
	[NFTA_NG_DREG]		= POL(U32),
	[NFTA_NG_MODULUS]	= POL(U32),
	[NFTA_NG_TYPE]		= POL(U32),
	[NFTA_NG_OFFSET]	= POL(U32),
	[NFTA_NG_SET_NAME]	= POL(STR),
	[NFTA_NG_SET_ID]	= POL(U32),
};

static int x_numgen(struct xctx *x, const struct nlattr *data,
		    struct nm_expr *e)
{
	const struct nlattr *tb[NFTA_NG_MAX + 1];
	int err = PARSE_NEST(data, ng_pol, tb);

	if (err)
		return err;
	if (!tb[NFTA_NG_MODULUS])
		return -EBADMSG;
	e->op = NM_OP_NUMGEN;
	e->gen.mod = be32(tb[NFTA_NG_MODULUS]);
	e->gen.offset = be32_or(tb[NFTA_NG_OFFSET], 0);
	return reg(tb[NFTA_NG_DREG], &e->dreg);
}

static const struct nlattr_pol hash_pol[NFTA_HASH_MAX + 1] = {
	[NFTA_HASH_SREG]	= POL(U32),
	[NFTA_HASH_DREG]	= POL(U32),
	[NFTA_HASH_LEN]		= POL(U32),
	[NFTA_HASH_MODULUS]	= POL(U32),
	[NFTA_HASH_SEED]	= POL(U32),
	[NFTA_HASH_OFFSET]	= POL(U32),
	[NFTA_HASH_TYPE]	= POL(U32),
	[NFTA_HASH_SET_NAME]	= POL(STR),
	[NFTA_HASH_SET_ID]	= POL(U32),
};

static int x_hash(struct xctx *x, const struct nlattr *data, struct nm_expr *e)
{
	const struct nlattr *tb[NFTA_HASH_MAX + 1];
	uint32_t len;
	int err = PARSE_NEST(data, hash_pol, tb);

	if (err)
		return err;
	if (!tb[NFTA_HASH_MODULUS])
		return -EBADMSG;
	/* jhash reads sreg; symhash reads the packet's flow keys. */
	len = be32_or(tb[NFTA_HASH_LEN], 0);
	if (len > NM_DATA_MAX)
		return -EBADMSG;
	e->op = NM_OP_HASH;
	e->len = len;
	e->gen.mod = be32(tb[NFTA_HASH_MODULUS]);
	e->gen.offset = be32_or(tb[NFTA_HASH_OFFSET], 0);
	err = reg_or0(tb[NFTA_HASH_SREG], &e->sreg);
	return err ? err : reg(tb[NFTA_HASH_DREG], &e->dreg);
}

static const struct nlattr_pol dynset_pol[NFTA_DYNSET_MAX + 1] = {
	[NFTA_DYNSET_SET_NAME]		= POL(STR),
	[NFTA_DYNSET_SET_ID]		= POL(U32),
	[NFTA_DYNSET_OP]		= POL(U32),
	[NFTA_DYNSET_SREG_KEY]		= POL(U32),
	[NFTA_DYNSET_SREG_DATA]		= POL(U32),
	[NFTA_DYNSET_TIMEOUT]		= POL(U64),
	[NFTA_DYNSET_EXPR]		= POL(NEST),
	[NFTA_DYNSET_FLAGS]		= POL(U32),
	[NFTA_DYNSET_EXPRESSIONS]	= POL(NEST),
};

/*
 * `add @set { ip saddr }`, `update @set { ... }`: a side effect on a set,
 * which a later lookup may see (those lookups go either way, see eval.c);
 * the rule goes on.  With an expression attached (a meter's limit) the
 * element's expression decides whether the rule goes on: not modelled.
 */
static int x_dynset(struct xctx *x, const struct nlattr *data,
		    struct nm_expr *e)
{
	const struct nlattr *tb[NFTA_DYNSET_MAX + 1];
	int err = PARSE_NEST(data, dynset_pol, tb);

	if (err)
		return err;
	if (tb[NFTA_DYNSET_EXPR] || tb[NFTA_DYNSET_EXPRESSIONS]) {
		set_unknown(e, "dynset with an expression");
		return 0;
	}
	e->op = NM_OP_NOP;
	return 0;
}

static int x_nop(struct xctx *x, const struct nlattr *data, struct nm_expr *e)
{
	e->op = NM_OP_NOP;
	return skip_data(data);
}

/* match and target: the same layout under different attribute names. */
static const struct nlattr_pol xt_pol[NFTA_MATCH_MAX + 1] = {
	[NFTA_MATCH_NAME]	= POL(STR),
	[NFTA_MATCH_REV]	= POL(U32),
	[NFTA_MATCH_INFO]	= POL(BIN),
};

_Static_assert((int)NFTA_MATCH_NAME == (int)NFTA_TARGET_NAME &&
	       (int)NFTA_MATCH_REV == (int)NFTA_TARGET_REV &&
	       (int)NFTA_MATCH_INFO == (int)NFTA_TARGET_INFO &&
	       (int)NFTA_MATCH_MAX == (int)NFTA_TARGET_MAX,
	       "xt attribute layout");

static int x_xt(struct xctx *x, const struct nlattr *data, struct nm_expr *e,
		bool target)
{
	const struct nlattr *tb[NFTA_MATCH_MAX + 1];
	const void *info = NULL;
	const char *name;
	size_t len = 0;
	uint32_t rev;
	int err = PARSE_NEST(data, xt_pol, tb);

	if (err)
		return err;
	if (!tb[NFTA_MATCH_NAME] || !tb[NFTA_MATCH_REV])
		return -EBADMSG;
	name = str(tb[NFTA_MATCH_NAME]);
	rev = be32(tb[NFTA_MATCH_REV]);
	if (tb[NFTA_MATCH_INFO]) {
		info = mnl_attr_get_payload(tb[NFTA_MATCH_INFO]);
		len = mnl_attr_get_payload_len(tb[NFTA_MATCH_INFO]);
	}
	/* NFPROTO_IPV4/IPV6 equal AF_INET/AF_INET6; xt has no inet family
	 * and the decoder answers NM_OP_UNKNOWN for it. */
	if (target)
		err = xt_decode_target(x->chain->family, name, rev, info, len,
				       e);
	else
		err = xt_decode_match(x->chain->family, x->proto, name, rev,
				      info, len, e);
	if (err < 0) {
		char what[48];

		snprintf(what, sizeof(what), "xt %s %.29s",
			 target ? "target" : "match", name);
		set_unknown(e, what);
	}
	/* iptables-nft keeps -m comment as a match (struct xt_comment_info,
	 * 256 bytes); the rule's comment is where reports look for it. */
	if (!target && !strcmp(name, "comment") && len && !x->rule->comment &&
	    *(const char *)info) {
		x->rule->comment = strndup(info, len < 256 ? len : 256);
		if (!x->rule->comment)
			return -ENOMEM;
	}
	return 0;
}

static int x_match(struct xctx *x, const struct nlattr *data,
		   struct nm_expr *e)
{
	return x_xt(x, data, e, false);
}

static int x_target(struct xctx *x, const struct nlattr *data,
		    struct nm_expr *e)
{
	return x_xt(x, data, e, true);
}

static const struct {
	const char *name;
	int (*parse)(struct xctx *x, const struct nlattr *data,
		     struct nm_expr *e);
} expr_types[] = {
	{ "meta", x_meta },
	{ "payload", x_payload },
	{ "cmp", x_cmp },
	{ "bitwise", x_bitwise },
	{ "range", x_range },
	{ "lookup", x_lookup },
	{ "immediate", x_immediate },
	{ "fib", x_fib },
	{ "ct", x_ct },
	{ "nat", x_nat },
	{ "masq", x_masq },
	{ "redir", x_redir },
	{ "numgen", x_numgen },
	{ "hash", x_hash },
	{ "dynset", x_dynset },
	{ "counter", x_nop },
	{ "log", x_nop },
	{ "match", x_match },
	{ "target", x_target },
};

/*
 * iptables-nft gives -p as `meta l4proto` (or an ip protocol / ip6 nexthdr
 * load) and a cmp before the matches; xt matches such as udp and multiport
 * need it, and the kernel does not dump NFTA_RULE_COMPAT.
 */
static void track_proto(struct xctx *x, const struct nm_expr *e)
{
	bool l4 = false;

	switch (e->op) {
	case NM_OP_CMP:
		if (e->cmp.op == NFT_CMP_EQ && e->len == 1 &&
		    x->l4reg[e->sreg])
			x->proto = e->cmp.data.val[0];
		return;
	case NM_OP_META:
		l4 = e->meta.key == NFT_META_L4PROTO;
		break;
	case NM_OP_PAYLOAD:
		l4 = e->payload.base == NFT_PAYLOAD_NETWORK_HEADER &&
		     e->len == 1 &&
		     ((x->chain->family == NFPROTO_IPV4 &&
		       e->payload.offset == 9) ||
		      (x->chain->family == NFPROTO_IPV6 &&
		       e->payload.offset == 6));
		break;
	case NM_OP_BITWISE:
	case NM_OP_LOOKUP:
	case NM_OP_IMMEDIATE:
	case NM_OP_FIB:
	case NM_OP_CT:
	case NM_OP_NUMGEN:
	case NM_OP_HASH:
		break;
	default:
		return;
	}
	x->l4reg[e->dreg] = l4;
}

static const struct nlattr_pol expr_pol[NFTA_EXPR_MAX + 1] = {
	[NFTA_EXPR_NAME]	= POL(STR),
	[NFTA_EXPR_DATA]	= POL(NEST),
};

static int parse_expr(struct xctx *x, const struct nlattr *a,
		      struct nm_expr *e)
{
	const struct nlattr *tb[NFTA_EXPR_MAX + 1];
	const char *name;
	unsigned int i;
	int err = PARSE_NEST(a, expr_pol, tb);

	if (err)
		return err;
	if (!tb[NFTA_EXPR_NAME])
		return -EBADMSG;
	name = str(tb[NFTA_EXPR_NAME]);
	for (i = 0; i < sizeof(expr_types) / sizeof(expr_types[0]); i++) {
		if (strcmp(name, expr_types[i].name))
			continue;
		err = expr_types[i].parse(x, tb[NFTA_EXPR_DATA], e);
		if (err)
			return err;
		track_proto(x, e);
		return 0;
	}
	/* limit, quota, dynset, objref, reject, exthdr, ...: a rule using
	 * them cannot be judged. */
	set_unknown(e, name);
	return skip_data(tb[NFTA_EXPR_DATA]);
}

/* ---- rules ------------------------------------------------------------- */

static const struct nlattr_pol rule_pol[NFTA_RULE_MAX + 1] = {
	[NFTA_RULE_TABLE]	= POL(STR),
	[NFTA_RULE_CHAIN]	= POL(STR),
	[NFTA_RULE_HANDLE]	= POL(U64),
	[NFTA_RULE_EXPRESSIONS]	= POL(NEST),
	[NFTA_RULE_COMPAT]	= POL(NEST),
	[NFTA_RULE_POSITION]	= POL(U64),
	[NFTA_RULE_USERDATA]	= POL(BIN),
	[NFTA_RULE_ID]		= POL(U32),
	[NFTA_RULE_POSITION_ID]	= POL(U32),
	[NFTA_RULE_CHAIN_ID]	= POL(U32),
};

static const struct nlattr_pol compat_pol[NFTA_RULE_COMPAT_MAX + 1] = {
	[NFTA_RULE_COMPAT_PROTO] = POL(U32),
	[NFTA_RULE_COMPAT_FLAGS] = POL(U32),
};

/* NFTNL_UDATA_RULE_COMMENT in libnftnl's TLV user data: type, len, value. */
#define UDATA_RULE_COMMENT 0

static int rule_comment(const struct nlattr *a, char **out)
{
	const uint8_t *p = mnl_attr_get_payload(a);
	uint16_t len = mnl_attr_get_payload_len(a), i = 0;

	while (i + 2 <= len) {
		uint8_t type = p[i], l = p[i + 1];

		/* Not ours to reject a rule for: other tools may keep
		 * other things there. */
		if (i + 2 + l > len)
			return 0;
		if (type == UDATA_RULE_COMMENT && l && !*out) {
			*out = strndup((const char *)p + i + 2, l);
			if (!*out)
				return -ENOMEM;
		}
		i += 2 + l;
	}
	return 0;
}

static int parse_rule(struct pstate *ps, const struct nlmsghdr *nlh,
		      uint8_t family)
{
	const struct nlattr *tb[NFTA_RULE_MAX + 1];
	const struct nlattr *ct[NFTA_RULE_COMPAT_MAX + 1], *a;
	struct xctx x = { .ps = ps };
	const char *table;
	struct nm_chain *c;
	struct nm_rule *r;
	struct nm_expr *e;
	struct nlattr_iter it;
	int idx, n, err = PARSE_MSG(nlh, rule_pol, tb);

	if (err)
		return err;
	if (!tb[NFTA_RULE_TABLE] || !tb[NFTA_RULE_CHAIN])
		return -EBADMSG;
	err = PARSE_NEST(tb[NFTA_RULE_COMPAT], compat_pol, ct);
	if (err)
		return err;
	table = str(tb[NFTA_RULE_TABLE]);
	if (!family_ok(family) || table_dormant(ps, family, table))
		return skip_list(tb[NFTA_RULE_EXPRESSIONS], expr_pol,
				 NFTA_EXPR_DATA);
	idx = find_chain(ps, family, table, str(tb[NFTA_RULE_CHAIN]));
	if (idx < 0)
		return -EBADMSG;
	c = &ps->m->chains[idx];
	r = nm_add_rule(c);
	if (!r)
		return -ENOMEM;
	r->handle = tb[NFTA_RULE_HANDLE] ? be64(tb[NFTA_RULE_HANDLE]) : 0;
	if (tb[NFTA_RULE_USERDATA]) {
		err = rule_comment(tb[NFTA_RULE_USERDATA], &r->comment);
		if (err)
			return err;
	}
	x.chain = c;
	x.rule = r;
	x.proto = be32_or(ct[NFTA_RULE_COMPAT_PROTO], 0);
	nlattr_iter_nested(&it, tb[NFTA_RULE_EXPRESSIONS]);
	while ((n = next_elem(&it, &a)) > 0) {
		e = nm_add_expr(r);
		if (!e)
			return -ENOMEM;
		err = parse_expr(&x, a, e);
		if (err)
			return err;
	}
	return n;
}

/* ---- the capture walk -------------------------------------------------- */

static int parse_one(struct pstate *ps, const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *nfg;
	uint16_t type = nlh->nlmsg_type;
	uint8_t family;

	if (type == NLMSG_DONE) {
		switch (ps->sec) {
		case S_TABLE:
			ps->sec = S_CHAIN;
			return 0;
		case S_CHAIN:
			ps->sec = S_SET;
			return 0;
		case S_SET:
			ps->sec = ps->nesets ? S_ELEM : S_RULE;
			ps->cur = 0;
			return 0;
		case S_ELEM:
			if (finish_elems(ps))
				return -ENOMEM;
			if (++ps->cur == ps->nesets)
				ps->sec = S_RULE;
			return 0;
		case S_RULE:
			ps->sec = S_END;
			return check_chain_use(ps);
		default:
			return -EBADMSG;
		}
	}
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*nfg))
		return -EBADMSG;
	nfg = mnl_nlmsg_get_payload(nlh);
	family = nfg->nfgen_family;
	switch (ps->sec) {
	case S_GEN:
		if (type != MSG(NFT_MSG_NEWGEN))
			return -EBADMSG;
		ps->sec = S_TABLE;
		return nft_msg_genid(nlh, &ps->m->genid);
	case S_TABLE:
		if (type != MSG(NFT_MSG_NEWTABLE))
			return -EBADMSG;
		return parse_table(ps, nlh, family);
	case S_CHAIN:
		if (type != MSG(NFT_MSG_NEWCHAIN))
			return -EBADMSG;
		return parse_chain(ps, nlh, family);
	case S_SET:
		if (type != MSG(NFT_MSG_NEWSET))
			return -EBADMSG;
		return parse_set(ps, nlh, family);
	case S_ELEM:
		if (type != MSG(NFT_MSG_NEWSETELEM))
			return -EBADMSG;
		return parse_elems(ps, nlh, family);
	case S_RULE:
		if (type != MSG(NFT_MSG_NEWRULE))
			return -EBADMSG;
		return parse_rule(ps, nlh, family);
	default:
		return -EBADMSG;
	}
}

static int parse_cb_one(const struct nlmsghdr *nlh, void *data)
{
	return parse_one(data, nlh);
}

int nft_parse(const void *buf, size_t len, struct nm_model *m)
{
	struct nm_model model = { 0 };
	struct pstate ps = { .m = &model, .sec = S_GEN };
	char *copy;
	int err;

	if (!m || (!buf && len))
		return -EINVAL;
	/* Work on an aligned copy: libmnl reads u32s and u64s in place. */
	copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, buf, len);
	err = nlattr_walk_msgs(copy, len, parse_cb_one, &ps);
	if (!err && ps.sec != S_END)
		err = -EBADMSG;
	pstate_free(&ps);
	free(copy);
	if (err) {
		nm_model_free(&model);
		return err;
	}
	nm_model_finish(&model);
	*m = model;
	return 0;
}
