// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ipt_parse.c - iptables-legacy entries into the neutral model, without
 * I/O: the conversion both ways in share (ipt_conv_entry(), the chains and
 * verdicts, iptint.h) and the walker of a raw IPT_SO_GET_ENTRIES blob
 * (ipt_parse(), for tests and the fuzzer), in the pure layer that
 * tests/layers.sh checks.  ipt.c reads the live tables through libiptc.
 *
 * nat is what the judge runs; raw, mangle and filter are read too, as
 * plain (non-nat) chains at their hooks and priorities, because their rules
 * can set the packet and conntrack marks the nat rules then test.
 * ipt_conv_entry() turns the ip header into NM_OP_IPHDR and the matches
 * into xt.c's expressions, and describes the target; each walker then
 * resolves standard verdicts its own way (libiptc names the jump target,
 * the raw blob gives an offset).
 *
 * Entry, match and target headers are copied out with memcpy before use, so
 * a malformed blob can at worst be rejected, never read out of bounds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <linux/netfilter/nf_tables.h>
#include "ipt.h"
#include "iptint.h"
#include "xt.h"

#define NAT_HOOKS ((1u << NF_INET_PRE_ROUTING) | (1u << NF_INET_LOCAL_IN) | \
		   (1u << NF_INET_LOCAL_OUT) | (1u << NF_INET_POST_ROUTING))
#define RAW_HOOKS ((1u << NF_INET_PRE_ROUTING) | (1u << NF_INET_LOCAL_OUT))
#define FILTER_HOOKS ((1u << NF_INET_LOCAL_IN) | (1u << NF_INET_FORWARD) | \
		      (1u << NF_INET_LOCAL_OUT))
#define ALL_HOOKS ((1u << NF_INET_NUMHOOKS) - 1)

const struct ipt_table ipt_tables[IPT_NTABLES] = {
	{ "nat", NAT_HOOKS, 0, 0, true },
	{ "raw", RAW_HOOKS, NF_IP_PRI_RAW, NF_IP6_PRI_RAW, false },
	{ "mangle", ALL_HOOKS, NF_IP_PRI_MANGLE, NF_IP6_PRI_MANGLE, false },
	{ "filter", FILTER_HOOKS, NF_IP_PRI_FILTER, NF_IP6_PRI_FILTER, false },
};

static const struct ipt_table *table_by_name(const char *name)
{
	unsigned int i;

	for (i = 0; name && i < IPT_NTABLES; i++)
		if (!strcmp(ipt_tables[i].name, name))
			return &ipt_tables[i];
	return NULL;
}


static const struct ipt_layout lay4 = {
	sizeof(struct ipt_entry),
	offsetof(struct ipt_entry, target_offset),
	offsetof(struct ipt_entry, next_offset),
};

static const struct ipt_layout lay6 = {
	sizeof(struct ip6t_entry),
	offsetof(struct ip6t_entry, target_offset),
	offsetof(struct ip6t_entry, next_offset),
};

const struct ipt_layout *ipt_layout_of(int family)
{
	return family == AF_INET6 ? &lay6 : &lay4;
}


uint16_t ipt_get16(const unsigned char *p, size_t off)
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

struct nm_expr *ipt_add_unknown(struct nm_rule *r, const char *what)
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
	if (bad && !ipt_add_unknown(r, bad))
		return -ENOMEM;
	return 0;
}

/* Copy a name field of @max bytes that may lack its NUL. */
static void copy_name(char *dst, const void *src, size_t max)
{
	memcpy(dst, src, max);
	dst[max] = '\0';
}

int ipt_conv_entry(int family, const unsigned char *p, size_t len,
		   struct nm_rule *r, struct ipt_tgt *t)
{
	const struct ipt_layout *l = ipt_layout_of(family);
	struct xt_entry_target th;
	struct xt_entry_match mh;
	uint16_t toff, noff, proto;
	size_t off, msize, tsize;
	struct nm_expr *e;
	int err;

	if (len < l->hdr)
		return -EINVAL;
	toff = ipt_get16(p, l->target_offset);
	noff = ipt_get16(p, l->next_offset);
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

int ipt_add_verdict(struct nm_rule *r, int verdict, int chain)
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
		return ipt_add_verdict(r, NF_ACCEPT, -1);
	if (v == -NF_DROP - 1)
		return ipt_add_verdict(r, NF_DROP, -1);
	if (v == XT_RETURN)
		return ipt_add_verdict(r, NFT_RETURN, -1);
	snprintf(what, sizeof(what), "xt verdict %d", v);
	return ipt_add_unknown(r, what) ? 0 : -ENOMEM;
}

int ipt_add_xt_target(int family, struct nm_rule *r, const struct ipt_tgt *t)
{
	struct nm_expr *e = nm_add_expr(r);

	if (!e)
		return -ENOMEM;
	return xt_decode_target(family, t->name, t->rev, t->data, t->dlen, e);
}

/* The built-in chains' names, as iptables writes them, by hook. */
static const char *const hook_names[NF_INET_NUMHOOKS] = {
	[NF_INET_PRE_ROUTING] = "PREROUTING",
	[NF_INET_LOCAL_IN] = "INPUT",
	[NF_INET_FORWARD] = "FORWARD",
	[NF_INET_LOCAL_OUT] = "OUTPUT",
	[NF_INET_POST_ROUTING] = "POSTROUTING",
};

int ipt_hook_of(const char *name)
{
	int h;

	for (h = 0; h < NF_INET_NUMHOOKS; h++)
		if (!strcmp(name, hook_names[h]))
			return h;
	return -1;
}

static const char *hook_name(int h)
{
	return h >= 0 && h < NF_INET_NUMHOOKS ? hook_names[h] : "?";
}

/* iptable_nat's priorities: destination NAT before filtering on the way
 * in and out, source NAT after. */
static int nat_prio(int hook)
{
	if (hook == NF_INET_PRE_ROUTING || hook == NF_INET_LOCAL_OUT)
		return NF_IP_PRI_NAT_DST;
	return NF_IP_PRI_NAT_SRC;
}

static int base_prio(const struct ipt_table *t, int family, int hook)
{
	if (t->nat)
		return nat_prio(hook);
	return family == AF_INET6 ? t->prio6 : t->prio4;
}

struct nm_chain *ipt_new_chain(struct nm_model *m, int family,
			       const struct ipt_table *t, const char *name,
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

int ipt_find_own_chain(const struct nm_model *m, unsigned int base,
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
	const struct ipt_layout *l = ipt_layout_of(family);
	struct rawent *v = NULL, *nv;
	size_t off = 0, cnt = 0, cap = 0;
	uint16_t toff, noff, tsize;

	while (off < size) {
		if (off % __alignof__(struct ip6t_entry) ||
		    size - off < l->hdr + sizeof(struct xt_entry_target))
			goto inval;
		toff = ipt_get16(b + off, l->target_offset);
		noff = ipt_get16(b + off, l->next_offset);
		if (noff > size - off || toff < l->hdr ||
		    (size_t)toff + sizeof(struct xt_entry_target) > noff)
			goto inval;
		tsize = ipt_get16(b + off, toff);
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
			const struct ipt_layout *l, int *verdict)
{
	const unsigned char *p = b + ent->off;
	uint16_t toff = ipt_get16(p, l->target_offset);
	struct xt_entry_target th;

	memcpy(&th, p + toff, sizeof(th));
	if (th.u.user.name[0] || th.u.target_size < sizeof(th) + sizeof(int))
		return false;
	memcpy(verdict, p + toff + sizeof(th), sizeof(int));
	return true;
}

static bool err_target(const unsigned char *b, const struct rawent *ent,
		       const struct ipt_layout *l, char name[XT_FUNCTION_MAXNAMELEN + 1])
{
	const unsigned char *p = b + ent->off;
	uint16_t toff = ipt_get16(p, l->target_offset);
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
static int find_chains(int family, const struct ipt_table *t,
		       const unsigned char *b, struct rawent *v, size_t n,
		       const unsigned int hook_entry[5],
		       const unsigned int underflow[5], unsigned int valid_hooks,
		       struct nm_model *m)
{
	const struct ipt_layout *l = ipt_layout_of(family);
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
		c = ipt_new_chain(m, family, t, hook_name(h), h);
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
		c = ipt_new_chain(m, family, t, name, -1);
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
		    ipt_get16(b + v[j - 1].off, l->target_offset) == l->hdr) {
			v[j - 1].chain = -2;
			v[j - 1].is_return = true;
		}
	}
	return 0;
}

static int raw_target(int family, const unsigned char *b, const struct rawent *v,
		      size_t n, size_t i, const struct ipt_tgt *t,
		      struct nm_rule *r)
{
	long k;

	if (t->error)
		return ipt_add_unknown(r, "xt target ERROR") ? 0 : -ENOMEM;
	if (!t->standard)
		return ipt_add_xt_target(family, r, t);
	if (t->verdict < 0)
		return add_neg_verdict(r, t->verdict);
	/* A jump to the next entry is how iptables writes "no target". */
	if ((size_t)t->verdict == v[i].off + v[i].len)
		return 0;
	k = find_off(v, n, t->verdict);
	if (k < 0 || v[k].starts < 0)
		return ipt_add_unknown(r, "xt jump into a chain") ? 0 : -ENOMEM;
	return ipt_add_verdict(r, t->is_goto ? NFT_GOTO : NFT_JUMP,
			       v[k].starts);
}

/* The rules of every entry find_chains gave a chain. */
static int raw_rules(int family, const unsigned char *b,
		     const struct rawent *v, size_t n, struct nm_model *m)
{
	struct nm_chain *c;
	struct nm_rule *r;
	struct ipt_tgt t;
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
		err = ipt_conv_entry(family, b + v[i].off, v[i].len, r, &t);
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
	const struct ipt_table *tab = table_by_name(table);
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
