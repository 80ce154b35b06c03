// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xt.c - decode x_tables match and target blobs into neutral expressions.
 *
 * The blobs come from two places: iptables-legacy tables, where each blob is
 * padded to XT_ALIGN(size), and nftables compat expressions, where the kernel
 * gives the match's own size.  Both are at least the size of the kernel
 * struct, so that is all we require; a shorter blob is malformed and gives
 * NM_OP_UNKNOWN.  Blobs are copied into zeroed local structs before any field
 * is read, so neither the length nor the alignment of the caller's buffer can
 * make us read out of bounds or misaligned: the decoders are fuzzed.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter/xt_multiport.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_state.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_mark.h>
#include <linux/netfilter/xt_connmark.h>
#include <linux/netfilter/xt_statistic.h>
#include <linux/netfilter/xt_recent.h>
#include "xt.h"

/* TCP header flag bits, as xt_tcp's flg_mask/flg_cmp use them. */
#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_ECE 0x40
#define TCPF_CWR 0x80

static void set_unknown(struct nm_expr *e, const char *kind, const char *name,
			const char *why)
{
	char buf[96] = "";

	memset(e, 0, sizeof(*e));
	e->op = NM_OP_UNKNOWN;
	/* Names are at most 29 bytes (XT_EXTENSION_MAXNAMELEN) and reasons
	 * are only given for our own, shorter names; should the text still
	 * not fit, it is cut, NUL-terminated. */
	snprintf(buf, sizeof(buf), "xt %s %.29s%s%s", kind, name,
		 why ? " " : "", why ? why : "");
	memcpy(e->unknown, buf, sizeof(e->unknown) - 1);
}

/* Copy a blob into a zeroed struct of @size; false if it is too short. */
static bool load(void *dst, size_t size, const void *info, size_t len)
{
	memset(dst, 0, size);
	if (!info || len < size)
		return false;
	memcpy(dst, info, size);
	return true;
}

/* ---- targets ---------------------------------------------------------- */

static bool natspec_flags_ok(uint32_t flags)
{
	return !(flags & ~(uint32_t)NF_NAT_RANGE_MASK);
}

/* nf_nat_ipv4_multi_range_compat: IPv4 only, exactly one range. */
static int nat_compat(uint8_t family, uint8_t type, const char *name,
		      const void *info, size_t len, struct nm_expr *e)
{
	struct nf_nat_ipv4_multi_range_compat mr;
	const struct nf_nat_ipv4_range *r = &mr.range[0];

	if (family != AF_INET) {
		set_unknown(e, "target", name, "rev 0 on ipv6");
		return 0;
	}
	if (!load(&mr, sizeof(mr), info, len)) {
		set_unknown(e, "target", name, "short");
		return 0;
	}
	/* The kernel refuses any other rangesize at checkentry. */
	if (mr.rangesize != 1 || !natspec_flags_ok(r->flags)) {
		set_unknown(e, "target", name, "range");
		return 0;
	}
	memset(e, 0, sizeof(*e));
	e->op = NM_OP_NATSPEC;
	e->natspec.type = type;
	e->natspec.family = AF_INET;
	e->natspec.flags = r->flags;
	e->natspec.addr_min.ip = r->min_ip;
	e->natspec.addr_max.ip = r->max_ip;
	e->natspec.port_min = r->min.all;
	e->natspec.port_max = r->max.all;
	return 0;
}

static void natspec_from_range(uint8_t family, uint8_t type,
			       const struct nf_nat_range *r, struct nm_expr *e)
{
	memset(e, 0, sizeof(*e));
	e->op = NM_OP_NATSPEC;
	e->natspec.type = type;
	e->natspec.family = family;
	e->natspec.flags = r->flags;
	if (family == AF_INET6) {
		memcpy(&e->natspec.addr_min.ip6, &r->min_addr.in6, 16);
		memcpy(&e->natspec.addr_max.ip6, &r->max_addr.in6, 16);
	} else {
		e->natspec.addr_min.ip = r->min_addr.ip;
		e->natspec.addr_max.ip = r->max_addr.ip;
	}
	e->natspec.port_min = r->min_proto.all;
	e->natspec.port_max = r->max_proto.all;
}

static int nat_range(uint8_t family, uint8_t type, const char *name,
		     const void *info, size_t len, struct nm_expr *e)
{
	struct nf_nat_range r;

	if (!load(&r, sizeof(r), info, len)) {
		set_unknown(e, "target", name, "short");
		return 0;
	}
	if (!natspec_flags_ok(r.flags) ||
	    (r.flags & NF_NAT_RANGE_PROTO_OFFSET)) {
		set_unknown(e, "target", name, "flags");
		return 0;
	}
	natspec_from_range(family, type, &r, e);
	return 0;
}

static int nat_range2(uint8_t family, uint8_t type, const char *name,
		      const void *info, size_t len, struct nm_expr *e)
{
	struct nf_nat_range2 r2;
	struct nf_nat_range r;

	if (!load(&r2, sizeof(r2), info, len)) {
		set_unknown(e, "target", name, "short");
		return 0;
	}
	/* base_proto only means something with a port offset (the
	 * "--to-destination a:p-q/base" form), which we do not model. */
	if (!natspec_flags_ok(r2.flags) ||
	    (r2.flags & NF_NAT_RANGE_PROTO_OFFSET)) {
		set_unknown(e, "target", name, "flags");
		return 0;
	}
	memcpy(&r, &r2, sizeof(r));
	natspec_from_range(family, type, &r, e);
	return 0;
}

/* ---- mark targets ------------------------------------------------------ */

static void set_mark(struct nm_expr *e, bool ct, uint32_t value,
		     uint32_t mask)
{
	memset(e, 0, sizeof(*e));
	e->op = NM_OP_XT_MARK;
	e->mark.ct = ct;
	e->mark.value = value;
	e->mark.mask = mask;
}

/* Revision 2 is the only one the kernel still has: revisions 0 and 1 and
 * their structs are gone from it and from the uapi headers. */
static int target_mark(uint32_t rev, const void *info, size_t len,
		       struct nm_expr *e)
{
	struct xt_mark_tginfo2 m;

	if (rev != 2) {
		set_unknown(e, "target", "MARK", "rev");
		return 0;
	}
	if (!load(&m, sizeof(m), info, len)) {
		set_unknown(e, "target", "MARK", "short");
		return 0;
	}
	set_mark(e, false, m.mark, m.mask);
	return 0;
}

/* Revision 1 runs as revision 2 without a shift; read both as 2. */
static bool load_connmark(uint32_t rev, const void *info, size_t len,
			  struct xt_connmark_tginfo2 *c)
{
	struct xt_connmark_tginfo1 c1;

	if (rev == 2)
		return load(c, sizeof(*c), info, len);
	memset(c, 0, sizeof(*c));
	if (!load(&c1, sizeof(c1), info, len))
		return false;
	c->ctmark = c1.ctmark;
	c->ctmask = c1.ctmask;
	c->nfmask = c1.nfmask;
	c->mode = c1.mode;
	return true;
}

static int target_connmark(uint32_t rev, const void *info, size_t len,
			   struct nm_expr *e)
{
	struct xt_connmark_tginfo2 c;

	if (rev != 1 && rev != 2) {
		set_unknown(e, "target", "CONNMARK", "rev");
		return 0;
	}
	if (!load_connmark(rev, info, len, &c)) {
		set_unknown(e, "target", "CONNMARK", "short");
		return 0;
	}
	/* The kernel shifts a u32 by shift_bits, undefined from 32 on, and
	 * treats any direction but right as left; iptables writes neither. */
	if (c.shift_dir > D_SHIFT_RIGHT || c.shift_bits >= 32) {
		set_unknown(e, "target", "CONNMARK", "shift");
		return 0;
	}
	switch (c.mode) {
	case XT_CONNMARK_SET:
		/* Revision 2 shifts the whole new mark, old bits and all,
		 * which (mark & ~mask) ^ value cannot say. */
		if (c.shift_bits) {
			set_unknown(e, "target", "CONNMARK", "set shift");
			return 0;
		}
		set_mark(e, true, c.ctmark, c.ctmask);
		return 0;
	case XT_CONNMARK_SAVE:
	case XT_CONNMARK_RESTORE:
		memset(e, 0, sizeof(*e));
		e->op = NM_OP_XT_CONNMARK;
		e->connmark.mode = c.mode == XT_CONNMARK_SAVE ?
				   NM_CONNMARK_SAVE : NM_CONNMARK_RESTORE;
		e->connmark.shift_dir = c.shift_dir;
		e->connmark.shift_bits = c.shift_bits;
		e->connmark.ctmask = c.ctmask;
		e->connmark.nfmask = c.nfmask;
		return 0;
	}
	set_unknown(e, "target", "CONNMARK", "mode");
	return 0;
}

int xt_decode_target(uint8_t family, const char *name, uint32_t rev,
		     const void *info, size_t len, struct nm_expr *e)
{
	uint8_t type;

	if (!name || !e)
		return -EINVAL;
	if (family != AF_INET && family != AF_INET6) {
		set_unknown(e, "target", name, "family");
		return 0;
	}
	if (!strcmp(name, "DNAT") || !strcmp(name, "SNAT")) {
		type = name[0] == 'D' ? NFT_NAT_DNAT : NFT_NAT_SNAT;
		switch (rev) {
		case 0:
			return nat_compat(family, type, name, info, len, e);
		case 1:
			return nat_range(family, type, name, info, len, e);
		case 2:
			return nat_range2(family, type, name, info, len, e);
		}
	} else if (!strcmp(name, "MASQUERADE") || !strcmp(name, "REDIRECT")) {
		type = name[0] == 'M' ? NM_NAT_MASQ : NM_NAT_REDIR;
		/* One revision, two layouts: ipt_ uses the compat struct,
		 * ip6t_ the nf_nat_range. */
		if (rev == 0)
			return family == AF_INET ?
			       nat_compat(family, type, name, info, len, e) :
			       nat_range(family, type, name, info, len, e);
	} else if (!strcmp(name, "MARK")) {
		return target_mark(rev, info, len, e);
	} else if (!strcmp(name, "CONNMARK")) {
		return target_connmark(rev, info, len, e);
	} else {
		set_unknown(e, "target", name, NULL);
		return 0;
	}
	set_unknown(e, "target", name, "rev");
	return 0;
}

/* ---- matches ---------------------------------------------------------- */

static void ports_init(struct nm_expr *e, uint8_t proto)
{
	memset(e, 0, sizeof(*e));
	e->op = NM_OP_XT_PORTS;
	e->ports.proto = proto;
}

/*
 * A single range; the full range without inversion is no constraint and is
 * left out (nsrc/ndst == 0 means any port), so the judge need not tell
 * "--dport 0:65535" from no --dport at all.
 */
static void ports_range(uint16_t (*list)[2], uint8_t *n, uint8_t *inv,
			const uint16_t pts[2], bool invert)
{
	if (pts[0] == 0 && pts[1] == 0xffff && !invert)
		return;
	list[0][0] = pts[0];
	list[0][1] = pts[1];
	*n = 1;
	*inv = invert;
}

/* udp's and tcp's --sport and --dport, one range each. */
static void ports_src_dst(struct nm_expr *e, uint8_t proto,
			  const uint16_t spts[2], bool sinv,
			  const uint16_t dpts[2], bool dinv)
{
	ports_init(e, proto);
	ports_range(e->ports.src, &e->ports.nsrc, &e->ports.src_inv, spts,
		    sinv);
	ports_range(e->ports.dst, &e->ports.ndst, &e->ports.dst_inv, dpts,
		    dinv);
}

static int match_udp(const void *info, size_t len, struct nm_expr *e)
{
	struct xt_udp u;

	if (!load(&u, sizeof(u), info, len)) {
		set_unknown(e, "match", "udp", "short");
		return 0;
	}
	if (u.invflags & ~XT_UDP_INV_MASK) {
		set_unknown(e, "match", "udp", "flags");
		return 0;
	}
	ports_src_dst(e, IPPROTO_UDP, u.spts, u.invflags & XT_UDP_INV_SRCPT,
		      u.dpts, u.invflags & XT_UDP_INV_DSTPT);
	return 0;
}

/* Does every first SYN satisfy this flag test?  A connection's first packet
 * carries SYN alone, or SYN with ECE|CWR when it asks for ECN. */
static bool tcp_flags_syn_ok(const struct xt_tcp *t)
{
	static const uint8_t syns[] = { TCPF_SYN, TCPF_SYN | TCPF_ECE | TCPF_CWR };
	bool inv = t->invflags & XT_TCP_INV_FLAGS;
	unsigned int i;

	for (i = 0; i < sizeof(syns); i++)
		if (((syns[i] & t->flg_mask) == t->flg_cmp) == inv)
			return false;
	return true;
}

static int match_tcp(const void *info, size_t len, struct nm_expr *e)
{
	struct xt_tcp t;

	if (!load(&t, sizeof(t), info, len)) {
		set_unknown(e, "match", "tcp", "short");
		return 0;
	}
	if (t.invflags & ~XT_TCP_INV_MASK) {
		set_unknown(e, "match", "tcp", "flags");
		return 0;
	}
	/* Option tests depend on what the client put in its SYN. */
	if (t.option || (t.invflags & XT_TCP_INV_OPTION)) {
		set_unknown(e, "match", "tcp", "--tcp-option");
		return 0;
	}
	if ((t.flg_mask || (t.invflags & XT_TCP_INV_FLAGS)) &&
	    !tcp_flags_syn_ok(&t)) {
		set_unknown(e, "match", "tcp", "--tcp-flags");
		return 0;
	}
	ports_src_dst(e, IPPROTO_TCP, t.spts, t.invflags & XT_TCP_INV_SRCPT,
		      t.dpts, t.invflags & XT_TCP_INV_DSTPT);
	return 0;
}

/*
 * Source and destination lists get the same ranges for --ports (either):
 * the judge tests "src in list OR dst in list", inverted by either_inv.
 */
static void multiport_fill(struct nm_expr *e, uint8_t flags,
			   uint16_t (*r)[2], uint8_t n, bool invert)
{
	unsigned int i;

	switch (flags) {
	case XT_MULTIPORT_SOURCE:
		memcpy(e->ports.src, r, n * sizeof(r[0]));
		e->ports.nsrc = n;
		e->ports.src_inv = invert;
		break;
	case XT_MULTIPORT_DESTINATION:
		memcpy(e->ports.dst, r, n * sizeof(r[0]));
		e->ports.ndst = n;
		e->ports.dst_inv = invert;
		break;
	default:
		for (i = 0; i < n; i++) {
			e->ports.src[i][0] = e->ports.dst[i][0] = r[i][0];
			e->ports.src[i][1] = e->ports.dst[i][1] = r[i][1];
		}
		e->ports.nsrc = e->ports.ndst = n;
		e->ports.either = 1;
		e->ports.either_inv = invert;
		break;
	}
}

static int match_multiport(uint16_t proto, uint32_t rev, const void *info,
			   size_t len, struct nm_expr *e)
{
	struct xt_multiport_v1 v1;
	uint16_t r[XT_MULTI_PORTS][2];
	unsigned int i, n = 0;
	bool ok;

	if (rev == 0) {
		struct xt_multiport v0;

		ok = load(&v0, sizeof(v0), info, len);
		memset(&v1, 0, sizeof(v1));
		v1.flags = v0.flags;
		v1.count = v0.count;
		memcpy(v1.ports, v0.ports, sizeof(v0.ports));
	} else {
		ok = load(&v1, sizeof(v1), info, len);
	}
	if (!ok) {
		set_unknown(e, "match", "multiport", "short");
		return 0;
	}
	/* An empty list never matches (or always, inverted): iptables
	 * cannot write one, so neither do we model it. */
	if (v1.flags > XT_MULTIPORT_EITHER || v1.count > XT_MULTI_PORTS ||
	    v1.count == 0 || v1.invert > 1 || proto > 0xff) {
		set_unknown(e, "match", "multiport", "flags");
		return 0;
	}
	for (i = 0; i < v1.count; i++) {
		r[n][0] = r[n][1] = v1.ports[i];
		if (v1.pflags[i]) {
			/* A range takes two slots; a range flag on the last
			 * port would make the kernel read past the list. */
			if (i + 1 >= v1.count) {
				set_unknown(e, "match", "multiport", "range");
				return 0;
			}
			r[n][1] = v1.ports[++i];
		}
		n++;
	}
	ports_init(e, (uint8_t)proto);
	multiport_fill(e, v1.flags, r, n, v1.invert);
	return 0;
}

static int match_addrtype(uint8_t family, uint32_t rev, const void *info,
			  size_t len, struct nm_expr *e)
{
	if (rev == 0) {
		struct xt_addrtype_info a;

		/* Revision 0 is registered for IPv4 only. */
		if (family != AF_INET) {
			set_unknown(e, "match", "addrtype", "rev 0 on ipv6");
			return 0;
		}
		if (!load(&a, sizeof(a), info, len)) {
			set_unknown(e, "match", "addrtype", "short");
			return 0;
		}
		memset(e, 0, sizeof(*e));
		e->op = NM_OP_XT_ADDRTYPE;
		/* XT_ADDRTYPE_* are 1 << RTN_*: the model's encoding. */
		e->addrtype.src_type = a.source;
		e->addrtype.dst_type = a.dest;
		e->addrtype.src_inv = !!a.invert_source;
		e->addrtype.dst_inv = !!a.invert_dest;
		return 0;
	} else if (rev == 1) {
		struct xt_addrtype_info_v1 a;
		const uint32_t known = XT_ADDRTYPE_INVERT_SOURCE |
				       XT_ADDRTYPE_INVERT_DEST |
				       XT_ADDRTYPE_LIMIT_IFACE_IN |
				       XT_ADDRTYPE_LIMIT_IFACE_OUT;

		if (!load(&a, sizeof(a), info, len)) {
			set_unknown(e, "match", "addrtype", "short");
			return 0;
		}
		if (a.flags & ~known) {
			set_unknown(e, "match", "addrtype", "flags");
			return 0;
		}
		memset(e, 0, sizeof(*e));
		e->op = NM_OP_XT_ADDRTYPE;
		e->addrtype.src_type = a.source;
		e->addrtype.dst_type = a.dest;
		e->addrtype.src_inv = !!(a.flags & XT_ADDRTYPE_INVERT_SOURCE);
		e->addrtype.dst_inv = !!(a.flags & XT_ADDRTYPE_INVERT_DEST);
		e->addrtype.limit_iface_in =
			!!(a.flags & XT_ADDRTYPE_LIMIT_IFACE_IN);
		e->addrtype.limit_iface_out =
			!!(a.flags & XT_ADDRTYPE_LIMIT_IFACE_OUT);
		return 0;
	}
	set_unknown(e, "match", "addrtype", "rev");
	return 0;
}

static int match_state(const void *info, size_t len, struct nm_expr *e)
{
	struct xt_state_info s;
	uint32_t mask;

	if (!load(&s, sizeof(s), info, len)) {
		set_unknown(e, "match", "state", "short");
		return 0;
	}
	/* Same bits as conntrack's except UNTRACKED, which state keeps one
	 * lower (conntrack has SNAT and DNAT in between). */
	mask = s.statemask & (XT_STATE_INVALID |
			      XT_STATE_BIT(IP_CT_ESTABLISHED) |
			      XT_STATE_BIT(IP_CT_RELATED) |
			      XT_STATE_BIT(IP_CT_NEW));
	if (s.statemask & XT_STATE_UNTRACKED)
		mask |= XT_CONNTRACK_STATE_UNTRACKED;
	memset(e, 0, sizeof(*e));
	e->op = NM_OP_XT_CTSTATE;
	e->ctstate.statemask = mask;
	return 0;
}

/* Revisions 1-3 share the layout up to state_mask: rev 1's is 8 bits,
 * 2's and 3's 16; 3 adds port ranges after it. */
_Static_assert(offsetof(struct xt_conntrack_mtinfo1, match_flags) ==
	       offsetof(struct xt_conntrack_mtinfo3, match_flags) &&
	       offsetof(struct xt_conntrack_mtinfo1, invert_flags) ==
	       offsetof(struct xt_conntrack_mtinfo3, invert_flags) &&
	       offsetof(struct xt_conntrack_mtinfo2, state_mask) ==
	       offsetof(struct xt_conntrack_mtinfo3, state_mask),
	       "conntrack match revisions share their head");

static int match_conntrack(uint32_t rev, const void *info, size_t len,
			   struct nm_expr *e)
{
	static const size_t size[] = {
		[1] = sizeof(struct xt_conntrack_mtinfo1),
		[2] = sizeof(struct xt_conntrack_mtinfo2),
		[3] = sizeof(struct xt_conntrack_mtinfo3),
	};
	union {
		struct xt_conntrack_mtinfo1 v1;
		struct xt_conntrack_mtinfo3 v3;
	} c;
	uint16_t flags, inv, state;

	if (rev < 1 || rev > 3) {
		set_unknown(e, "match", "conntrack", "rev");
		return 0;
	}
	if (!load(&c, size[rev], info, len)) {
		set_unknown(e, "match", "conntrack", "short");
		return 0;
	}
	flags = c.v3.match_flags;
	inv = c.v3.invert_flags;
	state = rev == 1 ? c.v1.state_mask : c.v3.state_mask;
	/* STATE_ALIAS only says "-m state" was written (iptables >= 1.8.?
	 * maps it onto conntrack); it changes nothing in the kernel. */
	flags &= ~XT_CONNTRACK_STATE_ALIAS;
	if (flags & ~XT_CONNTRACK_STATE) {
		set_unknown(e, "match", "conntrack", "not --ctstate");
		return 0;
	}
	memset(e, 0, sizeof(*e));
	if (!flags) {
		/* No test at all: the kernel matches every packet. */
		e->op = NM_OP_NOP;
		return 0;
	}
	e->op = NM_OP_XT_CTSTATE;
	e->ctstate.statemask = state;
	e->ctstate.inv = !!(inv & XT_CONNTRACK_STATE);
	return 0;
}

/* mark and connmark revision 1; revision 0 is gone from the kernel. */
static int match_mark(bool ct, const void *info, size_t len,
		      struct nm_expr *e)
{
	const char *name = ct ? "connmark" : "mark";
	struct xt_connmark_mtinfo1 c;
	struct xt_mark_mtinfo1 m;
	bool ok;

	if (ct) {
		ok = load(&c, sizeof(c), info, len);
		m.mark = c.mark;
		m.mask = c.mask;
		m.invert = c.invert;
	} else {
		ok = load(&m, sizeof(m), info, len);
	}
	if (!ok) {
		set_unknown(e, "match", name, "short");
		return 0;
	}
	/* The kernel xors the byte into a bool: 2 and up always match. */
	if (m.invert > 1) {
		set_unknown(e, "match", name, "invert");
		return 0;
	}
	memset(e, 0, sizeof(*e));
	e->op = NM_OP_XT_MARK_MATCH;
	e->mark.ct = ct;
	e->mark.inv = m.invert;
	e->mark.value = m.mark;
	e->mark.mask = m.mask;
	return 0;
}

static void set_either(struct nm_expr *e, const char *name)
{
	memset(e, 0, sizeof(*e));
	e->op = NM_OP_XT_EITHER;
	snprintf(e->either, sizeof(e->either), "xt match %s", name);
}

/* Random or every nth packet: nothing in the flow says which. */
static int match_statistic(const void *info, size_t len, struct nm_expr *e)
{
	struct xt_statistic_info s;

	if (!load(&s, sizeof(s), info, len)) {
		set_unknown(e, "match", "statistic", "short");
		return 0;
	}
	if (s.mode > XT_STATISTIC_MODE_MAX || (s.flags & ~XT_STATISTIC_MASK)) {
		set_unknown(e, "match", "statistic", "mode");
		return 0;
	}
	set_either(e, "statistic");
	return 0;
}

/* What the kernel's checkentry lets through: one command, and modifiers
 * only for --rcheck and --update. */
static bool recent_flags_ok(const struct xt_recent_mtinfo *r)
{
	const uint8_t cmds = XT_RECENT_CHECK | XT_RECENT_SET |
			     XT_RECENT_UPDATE | XT_RECENT_REMOVE;
	uint8_t cmd = r->check_set & cmds;

	if ((r->check_set & ~XT_RECENT_VALID_FLAGS) || !cmd ||
	    (cmd & (cmd - 1)) || r->invert > 1)
		return false;
	if ((cmd & (XT_RECENT_SET | XT_RECENT_REMOVE)) &&
	    (r->seconds || r->hit_count ||
	     (r->check_set & XT_RECENT_MODIFIERS)))
		return false;
	return true;
}

static int match_recent(uint32_t rev, const void *info, size_t len,
			struct nm_expr *e)
{
	struct xt_recent_mtinfo r;	/* revision 1 only adds a mask */
	size_t size = rev == 1 ? sizeof(struct xt_recent_mtinfo_v1) :
		      sizeof(r);

	if (rev > 1) {
		set_unknown(e, "match", "recent", "rev");
		return 0;
	}
	if (len < size || !load(&r, sizeof(r), info, len)) {
		set_unknown(e, "match", "recent", "short");
		return 0;
	}
	if (!recent_flags_ok(&r)) {
		set_unknown(e, "match", "recent", "flags");
		return 0;
	}
	if (!(r.check_set & XT_RECENT_SET)) {
		/* --rcheck, --update, --remove: is the address listed? */
		set_either(e, "recent");
		return 0;
	}
	/* --set lists the address and matches, every time (but for an
	 * allocation failure, where the kernel drops the packet); inverted
	 * it never matches, and the rule is dead. */
	if (r.invert) {
		set_unknown(e, "match", "recent", "! --set");
		return 0;
	}
	memset(e, 0, sizeof(*e));
	e->op = NM_OP_NOP;
	return 0;
}

int xt_decode_match(uint8_t family, uint16_t proto, const char *name,
		    uint32_t rev, const void *info, size_t len,
		    struct nm_expr *e)
{
	if (!name || !e)
		return -EINVAL;
	if (family != AF_INET && family != AF_INET6) {
		set_unknown(e, "match", name, "family");
		return 0;
	}
	if (!strcmp(name, "comment")) {
		memset(e, 0, sizeof(*e));
		e->op = NM_OP_NOP;
		return 0;
	}
	if (!strcmp(name, "conntrack"))
		return match_conntrack(rev, info, len, e);
	if (!strcmp(name, "addrtype"))
		return match_addrtype(family, rev, info, len, e);
	if (!strcmp(name, "multiport")) {
		if (rev <= 1)
			return match_multiport(proto, rev, info, len, e);
	} else if (!strcmp(name, "udp")) {
		if (rev == 0)
			return match_udp(info, len, e);
	} else if (!strcmp(name, "tcp")) {
		if (rev == 0)
			return match_tcp(info, len, e);
	} else if (!strcmp(name, "state")) {
		if (rev == 0)
			return match_state(info, len, e);
	} else if (!strcmp(name, "mark") || !strcmp(name, "connmark")) {
		if (rev == 1)
			return match_mark(name[0] == 'c', info, len, e);
	} else if (!strcmp(name, "statistic")) {
		if (rev == 0)
			return match_statistic(info, len, e);
	} else if (!strcmp(name, "recent")) {
		return match_recent(rev, info, len, e);
	} else {
		set_unknown(e, "match", name, NULL);
		return 0;
	}
	set_unknown(e, "match", name, "rev");
	return 0;
}
