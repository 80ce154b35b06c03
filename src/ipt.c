// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ipt.c - read the iptables-legacy tables into the neutral model.
 *
 * nat is what the judge runs; raw, mangle and filter are read too, as
 * plain (non-nat) chains at their hooks and priorities, because their rules
 * can set the packet and conntrack marks the nat rules then test.
 *
 * Two ways in, one conversion: ipt_read() walks the live table with
 * libip4tc/libip6tc, ipt_parse() walks a raw IPT_SO_GET_ENTRIES blob (tests,
 * fuzzer).  Both hand each ipt_entry/ip6t_entry to conv_entry(), which turns
 * the ip header into NM_OP_IPHDR and the matches into xt.c's expressions, and
 * describes the target; each walker then resolves standard verdicts its own
 * way (libiptc names the jump target, the raw blob gives an offset).
 *
 * Entry, match and target headers are copied out with memcpy before use, so
 * a malformed blob can at worst be rejected, never read out of bounds.
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
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/netfilter/nf_tables.h>
#include "ipt.h"
#include "xt.h"
#include "hash.h"

#define NAT_HOOKS ((1u << NF_INET_PRE_ROUTING) | (1u << NF_INET_LOCAL_IN) | \
		   (1u << NF_INET_LOCAL_OUT) | (1u << NF_INET_POST_ROUTING))
#define RAW_HOOKS ((1u << NF_INET_PRE_ROUTING) | (1u << NF_INET_LOCAL_OUT))
#define FILTER_HOOKS ((1u << NF_INET_LOCAL_IN) | (1u << NF_INET_FORWARD) | \
		      (1u << NF_INET_LOCAL_OUT))
#define ALL_HOOKS ((1u << NF_INET_NUMHOOKS) - 1)

/*
 * The tables we read, nat first, and the priorities their hooks run at
 * (nat's depend on the hook: see nat_prio).  raw runs at
 * NF_IP_PRI_RAW_BEFORE_DEFRAG instead when iptable_raw was loaded with
 * raw_before_defrag, a parameter userspace cannot read (mode 0000), so we
 * take the default; either way it runs before conntrack.
 */
struct table {
	const char *name;
	unsigned int hooks;
	int prio4, prio6;
	bool nat;
};

static const struct table tables[] = {
	{ "nat", NAT_HOOKS, 0, 0, true },
	{ "raw", RAW_HOOKS, NF_IP_PRI_RAW, NF_IP6_PRI_RAW, false },
	{ "mangle", ALL_HOOKS, NF_IP_PRI_MANGLE, NF_IP6_PRI_MANGLE, false },
	{ "filter", FILTER_HOOKS, NF_IP_PRI_FILTER, NF_IP6_PRI_FILTER, false },
};

#define NTABLES (sizeof(tables) / sizeof(tables[0]))

static const struct table *table_by_name(const char *name)
{
	unsigned int i;

	for (i = 0; name && i < NTABLES; i++)
		if (!strcmp(tables[i].name, name))
			return &tables[i];
	return NULL;
}

/* Where the two entry layouts keep the same fields. */
struct layout {
	size_t hdr;		/* sizeof(struct ipt_entry / ip6t_entry) */
	size_t target_offset, next_offset;
};

static const struct layout lay4 = {
	sizeof(struct ipt_entry),
	offsetof(struct ipt_entry, target_offset),
	offsetof(struct ipt_entry, next_offset),
};

static const struct layout lay6 = {
	sizeof(struct ip6t_entry),
	offsetof(struct ip6t_entry, target_offset),
	offsetof(struct ip6t_entry, next_offset),
};

static const struct layout *layout_of(int family)
{
	return family == AF_INET6 ? &lay6 : &lay4;
}

/* What conv_entry found in the target slot. */
struct tgt {
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

static uint16_t get16(const unsigned char *p, size_t off)
{
	uint16_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

/* Bytes to compare from an iptables interface mask: leading 0xff bytes;
 * -1 for a mask iptables cannot write (holes, partial bytes). */
static int iface_len(const unsigned char mask[IFNAMSIZ])
{
	int n = 0, i;

	while (n < IFNAMSIZ && mask[n] == 0xff)
		n++;
	for (i = n; i < IFNAMSIZ; i++)
		if (mask[i])
			return -1;
	return n;
}

static int set_ifaces(struct nm_iphdr *h, const char *in, const char *out,
		      const unsigned char *inm, const unsigned char *outm)
{
	int il = iface_len(inm), ol = iface_len(outm);

	if (il < 0 || ol < 0 || !memchr(in, 0, IFNAMSIZ) ||
	    !memchr(out, 0, IFNAMSIZ))
		return -1;
	memcpy(h->iniface, in, IFNAMSIZ);
	memcpy(h->outiface, out, IFNAMSIZ);
	h->iniface_len = il;
	h->outiface_len = ol;
	return 0;
}

static struct nm_expr *add_unknown(struct nm_rule *r, const char *what)
{
	struct nm_expr *e = nm_add_expr(r);

	if (e) {
		e->op = NM_OP_UNKNOWN;
		snprintf(e->unknown, sizeof(e->unknown), "%s", what);
	}
	return e;
}

/* The ip header match; @proto gets the protocol the matches should see. */
static int conv_iphdr(int family, const unsigned char *p, struct nm_rule *r,
		      uint16_t *proto)
{
	const uint8_t inv_ok = IPT_INV_VIA_IN | IPT_INV_VIA_OUT |
			       IPT_INV_SRCIP | IPT_INV_DSTIP | IPT_INV_PROTO;
	const char *bad = NULL;
	struct nm_expr *e;
	struct nm_iphdr h;

	memset(&h, 0, sizeof(h));
	h.family = family;
	if (family == AF_INET) {
		struct ipt_ip ip;
		bool frag, inv_frag;

		memcpy(&ip, p, sizeof(ip));
		memcpy(&h.src.ip, &ip.src, 4);
		memcpy(&h.dst.ip, &ip.dst, 4);
		memcpy(&h.smsk.ip, &ip.smsk, 4);
		memcpy(&h.dmsk.ip, &ip.dmsk, 4);
		if (set_ifaces(&h, ip.iniface, ip.outiface, ip.iniface_mask,
			       ip.outiface_mask))
			bad = "ip iface mask";
		h.proto = ip.proto;
		h.invflags = ip.invflags & inv_ok;
		if ((ip.flags & ~IPT_F_MASK) || (ip.invflags & ~IPT_INV_MASK))
			bad = "ip flags";
		/* Conntrack reassembles before nat sees a packet, so "-f"
		 * never matches there and "! -f" always does; the first
		 * case cannot be written in the model. */
		frag = ip.flags & IPT_F_FRAG;
		inv_frag = ip.invflags & IPT_INV_FRAG;
		if (frag != inv_frag)
			bad = "ip fragment match";
	} else {
		struct ip6t_ip6 ip;

		memcpy(&ip, p, sizeof(ip));
		memcpy(&h.src.ip6, &ip.src, 16);
		memcpy(&h.dst.ip6, &ip.dst, 16);
		memcpy(&h.smsk.ip6, &ip.smsk, 16);
		memcpy(&h.dmsk.ip6, &ip.dmsk, 16);
		if (set_ifaces(&h, ip.iniface, ip.outiface, ip.iniface_mask,
			       ip.outiface_mask))
			bad = "ip6 iface mask";
		/* The kernel looks at proto only with IP6T_F_PROTO, and
		 * ignores the TOS flag altogether. */
		h.proto = (ip.flags & IP6T_F_PROTO) ? ip.proto : 0;
		h.invflags = ip.invflags & inv_ok;
		if ((ip.flags & ~IP6T_F_MASK) ||
		    (ip.invflags & ~IP6T_INV_MASK))
			bad = "ip6 flags";
	}
	/* Proto 0 is "any" for both, inverted or not. */
	if (!h.proto)
		h.invflags &= ~IPT_INV_PROTO;
	*proto = h.proto;
	e = nm_add_expr(r);
	if (!e)
		return -ENOMEM;
	e->op = NM_OP_IPHDR;
	e->iphdr = h;
	if (bad && !add_unknown(r, bad))
		return -ENOMEM;
	return 0;
}

/* Copy a name field of @max bytes that may lack its NUL. */
static void copy_name(char *dst, const void *src, size_t max)
{
	memcpy(dst, src, max);
	dst[max] = '\0';
}

/*
 * Convert the entry of @len bytes at @p (already known to hold at least the
 * entry header) into @r, up to and excluding its target, described in @t.
 * -EINVAL when the offsets inside do not add up.
 */
static int conv_entry(int family, const unsigned char *p, size_t len,
		      struct nm_rule *r, struct tgt *t)
{
	const struct layout *l = layout_of(family);
	struct xt_entry_target th;
	struct xt_entry_match mh;
	uint16_t toff, noff, proto;
	size_t off, msize, tsize;
	struct nm_expr *e;
	int err;

	if (len < l->hdr)
		return -EINVAL;
	toff = get16(p, l->target_offset);
	noff = get16(p, l->next_offset);
	if (noff > len || toff < l->hdr ||
	    (size_t)toff + sizeof(th) > noff)
		return -EINVAL;
	memcpy(&th, p + toff, sizeof(th));
	tsize = th.u.target_size;
	if (tsize < sizeof(th) || toff + tsize > noff)
		return -EINVAL;

	err = conv_iphdr(family, p, r, &proto);
	if (err)
		return err;

	for (off = l->hdr; off < toff; off += msize) {
		char name[XT_EXTENSION_MAXNAMELEN + 1];

		if (off + sizeof(mh) > toff)
			return -EINVAL;
		memcpy(&mh, p + off, sizeof(mh));
		msize = mh.u.match_size;
		if (msize < sizeof(mh) || off + msize > toff)
			return -EINVAL;
		copy_name(name, mh.u.user.name, XT_EXTENSION_MAXNAMELEN);
		e = nm_add_expr(r);
		if (!e)
			return -ENOMEM;
		err = xt_decode_match(family, proto, name, mh.u.user.revision,
				      p + off + sizeof(mh), msize - sizeof(mh),
				      e);
		if (err)
			return err;
		if (!strcmp(name, "comment") && !r->comment) {
			r->comment = strndup((const char *)p + off +
					     sizeof(mh), msize - sizeof(mh));
			if (!r->comment)
				return -ENOMEM;
		}
	}

	memset(t, 0, sizeof(*t));
	copy_name(t->name, th.u.user.name, XT_EXTENSION_MAXNAMELEN);
	t->rev = th.u.user.revision;
	t->data = p + toff + sizeof(th);
	t->dlen = tsize - sizeof(th);
	if (family == AF_INET)
		t->is_goto = p[offsetof(struct ipt_entry, ip.flags)] &
			     IPT_F_GOTO;
	else
		t->is_goto = p[offsetof(struct ip6t_entry, ipv6.flags)] &
			     IP6T_F_GOTO;
	if (!strcmp(t->name, XT_STANDARD_TARGET) && t->dlen >= sizeof(int)) {
		t->standard = true;
		memcpy(&t->verdict, t->data, sizeof(int));
	} else if (!strcmp(t->name, XT_ERROR_TARGET)) {
		t->error = true;
		copy_name(t->errname, t->data,
			  t->dlen < XT_FUNCTION_MAXNAMELEN ?
			  t->dlen : XT_FUNCTION_MAXNAMELEN);
	}
	return 0;
}

static int add_verdict(struct nm_rule *r, int verdict, int chain)
{
	struct nm_expr *e = nm_add_expr(r);

	if (!e)
		return -ENOMEM;
	e->op = NM_OP_IMMEDIATE;
	e->dreg = NFT_REG_VERDICT;
	e->imm.verdict = verdict;
	e->imm.chain = chain;
	return 0;
}

/* Kernel verdicts below zero: -NF_ACCEPT - 1 and so on, XT_RETURN. */
static int add_neg_verdict(struct nm_rule *r, int v)
{
	char what[48];

	if (v == -NF_ACCEPT - 1)
		return add_verdict(r, NF_ACCEPT, -1);
	if (v == -NF_DROP - 1)
		return add_verdict(r, NF_DROP, -1);
	if (v == XT_RETURN)
		return add_verdict(r, NFT_RETURN, -1);
	snprintf(what, sizeof(what), "xt verdict %d", v);
	return add_unknown(r, what) ? 0 : -ENOMEM;
}

static int add_xt_target(int family, struct nm_rule *r, const struct tgt *t)
{
	struct nm_expr *e = nm_add_expr(r);

	if (!e)
		return -ENOMEM;
	return xt_decode_target(family, t->name, t->rev, t->data, t->dlen, e);
}

static int hook_of(const char *name)
{
	static const char *const names[] = {
		[NF_INET_PRE_ROUTING] = "PREROUTING",
		[NF_INET_LOCAL_IN] = "INPUT",
		[NF_INET_FORWARD] = "FORWARD",
		[NF_INET_LOCAL_OUT] = "OUTPUT",
		[NF_INET_POST_ROUTING] = "POSTROUTING",
	};
	int h;

	for (h = 0; h < NF_INET_NUMHOOKS; h++)
		if (!strcmp(name, names[h]))
			return h;
	return -1;
}

static const char *hook_name(int h)
{
	static const char *const names[] = {
		"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING",
	};

	return h >= 0 && h < NF_INET_NUMHOOKS ? names[h] : "?";
}

/* iptable_nat's priorities: destination NAT before filtering on the way
 * in and out, source NAT after. */
static int nat_prio(int hook)
{
	if (hook == NF_INET_PRE_ROUTING || hook == NF_INET_LOCAL_OUT)
		return NF_IP_PRI_NAT_DST;
	return NF_IP_PRI_NAT_SRC;
}

static int base_prio(const struct table *t, int family, int hook)
{
	if (t->nat)
		return nat_prio(hook);
	return family == AF_INET6 ? t->prio6 : t->prio4;
}

static struct nm_chain *new_chain(struct nm_model *m, int family,
				  const struct table *t, const char *name,
				  int hook)
{
	struct nm_chain *c = nm_add_chain(m);

	if (!c)
		return NULL;
	c->table = strdup(t->name);
	c->name = strdup(name);
	c->family = family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
	c->source = NM_SRC_LEGACY;
	c->hook = hook;
	c->policy = NF_ACCEPT;
	if (hook >= 0) {
		c->nat = t->nat;
		c->prio = base_prio(t, family, hook);
	}
	if (!c->table || !c->name)
		return NULL;
	return c;
}

/*
 * Chains are added straight to the caller's model and indexed from @base,
 * the count it had before; on failure nm_drop_chains() takes everything
 * from @base on again, so a reader either appends a whole table or
 * nothing.  Like nm_find_chain, but only among the chains this read added.
 */
static int find_own_chain(const struct nm_model *m, unsigned int base,
			  const char *name)
{
	unsigned int i;

	for (i = base; i < m->nchains; i++)
		if (!strcmp(m->chains[i].name, name))
			return i;
	return -ENOENT;
}

/* ---- raw blobs -------------------------------------------------------- */

struct rawent {
	size_t off;
	size_t len;
	int chain;		/* chain whose rule this is, or -1 */
	int starts;		/* chain that starts at this entry, or -1 */
	bool is_error;
	bool is_return;		/* unconditional standard RETURN */
};

static bool unconditional(int family, const unsigned char *p)
{
	static const unsigned char zero[sizeof(struct ip6t_ip6)];

	if (family == AF_INET)
		return !memcmp(p, zero, sizeof(struct ipt_ip));
	return !memcmp(p, zero, sizeof(struct ip6t_ip6));
}

/* Split the blob into entries, checking each one's offsets. */
static int split(int family, const unsigned char *b, size_t size,
		 struct rawent **out, size_t *n)
{
	const struct layout *l = layout_of(family);
	struct rawent *v = NULL, *nv;
	size_t off = 0, cnt = 0, cap = 0;
	uint16_t toff, noff, tsize;

	while (off < size) {
		if (off % __alignof__(struct ip6t_entry) ||
		    size - off < l->hdr + sizeof(struct xt_entry_target))
			goto inval;
		toff = get16(b + off, l->target_offset);
		noff = get16(b + off, l->next_offset);
		if (noff > size - off || toff < l->hdr ||
		    (size_t)toff + sizeof(struct xt_entry_target) > noff)
			goto inval;
		tsize = get16(b + off, toff);
		if (tsize < sizeof(struct xt_entry_target) ||
		    (size_t)toff + tsize > noff)
			goto inval;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		memset(&v[cnt], 0, sizeof(v[cnt]));
		v[cnt].off = off;
		v[cnt].len = noff;
		v[cnt].chain = v[cnt].starts = -1;
		cnt++;
		off += noff;
	}
	*out = v;
	*n = cnt;
	return 0;
inval:
	free(v);
	return -EINVAL;
}

static long find_off(const struct rawent *v, size_t n, size_t off)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v[mid].off == off)
			return mid;
		if (v[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The verdict of the target of entry @i, if it is a standard one. */
static bool std_verdict(const unsigned char *b, const struct rawent *ent,
			const struct layout *l, int *verdict)
{
	const unsigned char *p = b + ent->off;
	uint16_t toff = get16(p, l->target_offset);
	struct xt_entry_target th;

	memcpy(&th, p + toff, sizeof(th));
	if (th.u.user.name[0] || th.u.target_size < sizeof(th) + sizeof(int))
		return false;
	memcpy(verdict, p + toff + sizeof(th), sizeof(int));
	return true;
}

static bool err_target(const unsigned char *b, const struct rawent *ent,
		       const struct layout *l, char name[XT_FUNCTION_MAXNAMELEN + 1])
{
	const unsigned char *p = b + ent->off;
	uint16_t toff = get16(p, l->target_offset);
	struct xt_entry_target th;
	size_t dlen;

	memcpy(&th, p + toff, sizeof(th));
	if (strncmp(th.u.user.name, XT_ERROR_TARGET, XT_EXTENSION_MAXNAMELEN))
		return false;
	dlen = th.u.target_size - sizeof(th);
	copy_name(name, p + toff + sizeof(th),
		  dlen < XT_FUNCTION_MAXNAMELEN ? dlen : XT_FUNCTION_MAXNAMELEN);
	return true;
}

/* Find the chains: built-ins from the hook offsets, user chains after their
 * ERROR head; mark which entries are whose rules. */
static int find_chains(int family, const struct table *t,
		       const unsigned char *b, struct rawent *v, size_t n,
		       const unsigned int hook_entry[5],
		       const unsigned int underflow[5], unsigned int valid_hooks,
		       struct nm_model *m)
{
	const struct layout *l = layout_of(family);
	char name[XT_FUNCTION_MAXNAMELEN + 1];
	struct nm_chain *c;
	size_t i, j;
	int h, verdict, ci;

	for (h = 0; h < NF_INET_NUMHOOKS; h++) {
		long s, u;

		if (!(valid_hooks & (1u << h)))
			continue;
		s = find_off(v, n, hook_entry[h]);
		u = find_off(v, n, underflow[h]);
		if (s < 0 || u < s || v[s].starts >= 0 || v[u].chain != -1)
			return -EINVAL;
		/* The policy is the underflow entry's verdict. */
		if (!std_verdict(b, &v[u], l, &verdict) ||
		    (verdict != -NF_ACCEPT - 1 && verdict != -NF_DROP - 1))
			return -EINVAL;
		c = new_chain(m, family, t, hook_name(h), h);
		if (!c)
			return -ENOMEM;
		c->policy = -verdict - 1;
		ci = m->nchains - 1;
		v[s].starts = ci;
		for (j = s; j < (size_t)u; j++) {
			if (v[j].chain != -1)
				return -EINVAL;
			v[j].chain = ci;
		}
		v[u].chain = -2;	/* the policy, not a rule */
	}
	for (i = 0; i < n; i++) {
		if (!err_target(b, &v[i], l, name))
			continue;
		v[i].is_error = true;
		/* The table's last entry, ERROR "ERROR", ends it. */
		if (i == n - 1)
			break;
		if (v[i].chain != -1 || v[i + 1].starts >= 0)
			return -EINVAL;
		c = new_chain(m, family, t, name, -1);
		if (!c)
			return -ENOMEM;
		ci = m->nchains - 1;
		v[i].chain = -2;
		v[i + 1].starts = ci;
		for (j = i + 1; j < n && v[j].chain == -1; j++) {
			if (err_target(b, &v[j], l, name))
				break;
			v[j].chain = ci;
		}
		/* A user chain ends in an unconditional RETURN that is
		 * the chain's tail, not a rule. */
		if (j > i + 1 && std_verdict(b, &v[j - 1], l, &verdict) &&
		    verdict == XT_RETURN &&
		    unconditional(family, b + v[j - 1].off) &&
		    get16(b + v[j - 1].off, l->target_offset) == l->hdr) {
			v[j - 1].chain = -2;
			v[j - 1].is_return = true;
		}
	}
	return 0;
}

static int raw_target(int family, const unsigned char *b, const struct rawent *v,
		      size_t n, size_t i, const struct tgt *t, struct nm_rule *r)
{
	long k;

	if (t->error)
		return add_unknown(r, "xt target ERROR") ? 0 : -ENOMEM;
	if (!t->standard)
		return add_xt_target(family, r, t);
	if (t->verdict < 0)
		return add_neg_verdict(r, t->verdict);
	/* A jump to the next entry is how iptables writes "no target". */
	if ((size_t)t->verdict == v[i].off + v[i].len)
		return 0;
	k = find_off(v, n, t->verdict);
	if (k < 0 || v[k].starts < 0)
		return add_unknown(r, "xt jump into a chain") ? 0 : -ENOMEM;
	return add_verdict(r, t->is_goto ? NFT_GOTO : NFT_JUMP, v[k].starts);
}

/* The rules of every entry find_chains gave a chain. */
static int raw_rules(int family, const unsigned char *b,
		     const struct rawent *v, size_t n, struct nm_model *m)
{
	struct nm_chain *c;
	struct nm_rule *r;
	struct tgt t;
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		if (v[i].chain < 0)
			continue;
		c = &m->chains[v[i].chain];
		r = nm_add_rule(c);
		if (!r)
			return -ENOMEM;
		r->handle = c->nrules;
		err = conv_entry(family, b + v[i].off, v[i].len, r, &t);
		if (!err)
			err = raw_target(family, b, v, n, i, &t, r);
		if (err)
			return err;
	}
	return 0;
}

int ipt_parse_table(int family, const char *table, const void *entries,
		    size_t size, const unsigned int hook_entry[5],
		    const unsigned int underflow[5], unsigned int valid_hooks,
		    struct nm_model *m)
{
	const struct table *tab = table_by_name(table);
	unsigned int base;
	struct rawent *v = NULL;
	unsigned char *b;
	size_t n = 0;
	int err;

	if ((family != AF_INET && family != AF_INET6) || !m || !tab ||
	    (size && !entries) || !hook_entry || !underflow)
		return -EINVAL;
	/* Our own aligned copy: callers' buffers (files, fuzzers) need not
	 * be aligned for the entry structs. */
	b = malloc(size ? size : 1);
	if (!b)
		return -ENOMEM;
	if (size)
		memcpy(b, entries, size);
	base = m->nchains;
	err = split(family, b, size, &v, &n);
	if (err)
		goto out;
	err = find_chains(family, tab, b, v, n, hook_entry, underflow,
			  valid_hooks & tab->hooks, m);
	if (!err)
		err = raw_rules(family, b, v, n, m);
out:
	if (err)
		nm_drop_chains(m, base);
	free(v);
	free(b);
	return err;
}

int ipt_parse(int family, const void *entries, size_t size,
	      const unsigned int hook_entry[5],
	      const unsigned int underflow[5], unsigned int valid_hooks,
	      struct nm_model *m)
{
	return ipt_parse_table(family, "nat", entries, size, hook_entry,
			       underflow, valid_hooks, m);
}

/* ---- live tables through libiptc ---------------------------------------- */

/* Set bit i of @present for each tables[i] named in @line. */
static void note_table(const char *line, unsigned int *present)
{
	unsigned int i;
	size_t len = strcspn(line, "\n");

	for (i = 0; i < NTABLES; i++)
		if (strlen(tables[i].name) == len &&
		    !strncmp(line, tables[i].name, len))
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
		       int family, const char *label, const struct tgt *t,
		       struct nm_rule *r)
{
	int ci;

	if (!t->standard)
		return add_xt_target(family, r, t);
	/* libiptc has resolved the standard target: a verdict name, a
	 * chain name, or "" for a rule without one. */
	if (!label || !*label)
		return 0;
	if (!strcmp(label, IPTC_LABEL_ACCEPT))
		return add_verdict(r, NF_ACCEPT, -1);
	if (!strcmp(label, IPTC_LABEL_DROP))
		return add_verdict(r, NF_DROP, -1);
	if (!strcmp(label, IPTC_LABEL_RETURN))
		return add_verdict(r, NFT_RETURN, -1);
	ci = find_own_chain(m, base, label);
	if (ci < 0)
		return add_unknown(r, "xt verdict") ? 0 : -ENOMEM;
	return add_verdict(r, t->is_goto ? NFT_GOTO : NFT_JUMP, ci);
}

static int live_chain(int family, const struct tc *tc, struct xtc_handle *h,
		      struct nm_model *m, unsigned int base, unsigned int ci)
{
	const unsigned char *e;
	const char *name = m->chains[ci].name;
	struct nm_rule *r;
	struct tgt t;
	uint16_t len;
	int err;

	for (e = tc->first_rule(name, h); e; e = tc->next_rule(e, h)) {
		r = nm_add_rule(&m->chains[ci]);
		if (!r)
			return -ENOMEM;
		r->handle = m->chains[ci].nrules;
		memcpy(&len, e + tc->next_offset, sizeof(len));
		err = conv_entry(family, e, len, r, &t);
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
		      const struct table *t)
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
		hook = tc->builtin(name, h) ? hook_of(name) : -1;
		c = new_chain(m, family, t, name, hook);
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
	for (i = 0; i < NTABLES && !err; i++)
		if (present & (1u << i))
			err = read_table(m, family, tc, &tables[i]);
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
	const struct layout *l = layout_of(family);
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
		noff = get16(b + off, l->next_offset);
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
	for (i = 0; i < NTABLES; i++) {
		if (!(present & (1u << i)))
			continue;
		err = table_hash(fd, family, tables[i].name, &h);
		if (err == -ENOENT || err == -ENOPROTOOPT)
			continue;
		if (err)
			goto out;
		/* The name too: the same rules moved to another table
		 * are another ruleset. */
		hash = fnv64(hash, tables[i].name, strlen(tables[i].name) + 1);
		hash = fnv64(hash, &h, sizeof(h));
		any = true;
	}
	*fp = any ? hash : 0;
	err = 0;
out:
	close(fd);
	return err;
}
