/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * model.h - the neutral NAT model.
 *
 * Both rule readers (nft.c for nftables and iptables-nft, ipt.c for
 * iptables-legacy) produce this, and only this, for the judge.  It keeps the
 * nat chains as the kernel runs them: a chain is a list of rules, a rule a
 * list of expressions working on registers, as in nf_tables.  iptables rules
 * fit the same mould: the ip header match becomes one NM_OP_IPHDR expression,
 * xt matches and targets are decoded (xt.c) into the neutral NM_OP_XT_*,
 * NM_OP_NATSPEC and verdict expressions.  Nothing here includes a library
 * header or does I/O; values use the kernel's uapi numbering (NFT_META_*,
 * NFT_PAYLOAD_*, NFT_CMP_*, NF_INET_*, NF_NAT_RANGE_*, verdict codes) so that
 * readers can copy them straight through.
 *
 * Register numbers are the kernel's (NFT_REG_VERDICT = 0, NFT_REG_1..4 the
 * 16-byte registers, NFT_REG32_00..15 the 4-byte ones overlapping them).
 */
#ifndef CTSWEEP_MODEL_H
#define CTSWEEP_MODEL_H

#include <stdint.h>
#include <stdbool.h>
#include "flow.h"

#define NM_DATA_MAX 64		/* the longest key or value we model, bytes */

struct nm_data {
	uint8_t len;
	uint8_t val[NM_DATA_MAX];
};

/*
 * Packed: one byte, as the uint8_t it was, so struct nm_expr stays 148
 * bytes; typed, so -Wswitch names an op a switch without a default
 * misses.
 */
enum __attribute__((packed)) nm_op {
	NM_OP_NOP,		/* counter, log, comment, notrack-free no-ops */
	NM_OP_META,		/* dreg <- meta key (NFT_META_*) */
	NM_OP_PAYLOAD,		/* dreg <- len bytes at base+offset */
	NM_OP_CMP,		/* sreg <op> data, else NFT_BREAK */
	NM_OP_BITWISE,		/* dreg <- (sreg & mask) ^ xor, or shift */
	NM_OP_RANGE,		/* sreg within [from, to] (op EQ/NEQ) */
	NM_OP_LOOKUP,		/* set lookup of sreg; map value -> dreg */
	NM_OP_IMMEDIATE,	/* dreg <- data; dreg 0: verdict (+chain) */
	NM_OP_FIB,		/* dreg <- fib result */
	NM_OP_CT,		/* dreg <- ct key (NFT_CT_*) */
	NM_OP_NAT,		/* snat/dnat from registers */
	NM_OP_REDIR,		/* redirect, ports from registers */
	NM_OP_MASQ,		/* masquerade, ports from registers */
	NM_OP_NUMGEN,		/* dreg <- one of 0..mod-1 (+offset): any */
	NM_OP_HASH,		/* dreg <- one of 0..mod-1 (+offset): any */
	NM_OP_NATSPEC,		/* a nat action with constant values (xt, legacy) */
	NM_OP_IPHDR,		/* iptables' struct ipt_ip/ip6t_ip6 match */
	NM_OP_XT_PORTS,		/* xt udp, tcp, multiport */
	NM_OP_XT_ADDRTYPE,	/* xt addrtype */
	NM_OP_XT_CTSTATE,	/* xt state / conntrack --ctstate */
	NM_OP_META_SET,		/* meta key <- sreg (mark; see expr/meta.c) */
	NM_OP_CT_SET,		/* ct key <- sreg (mark; see expr/ct.c) */
	NM_OP_XT_MARK,		/* xt MARK / CONNMARK --set-xmark:
				 * mark = (mark & ~mask) ^ value */
	NM_OP_XT_MARK_MATCH,	/* xt mark / connmark: (mark & mask) == value */
	NM_OP_XT_CONNMARK,	/* xt CONNMARK --save-mark / --restore-mark */
	NM_OP_XT_EITHER,	/* matches or not, by state we cannot see
				 * (statistic, recent --rcheck): both paths */
	NM_OP_UNKNOWN,		/* anything we cannot model: verdict unknown */
};
_Static_assert(sizeof(enum nm_op) == 1, "an op is one byte");

/* A nat action with its ranges resolved, as iptables' nf_nat_range2. */
struct nm_natspec {
	uint8_t type;		/* NFT_NAT_SNAT, NFT_NAT_DNAT, or the two below */
	uint8_t family;		/* AF_INET, AF_INET6, 0 = same as the packet */
	uint32_t flags;		/* NF_NAT_RANGE_MAP_IPS, _PROTO_SPECIFIED, ... */
	union addr addr_min, addr_max;
	uint16_t port_min, port_max;	/* network byte order */
};
#define NM_NAT_REDIR	16	/* natspec type: redirect to the local address */
#define NM_NAT_MASQ	17	/* natspec type: masquerade */

/* iptables' ip header match, neutral form (struct ipt_ip / ip6t_ip6). */
struct nm_iphdr {
	uint8_t family;
	union addr src, smsk, dst, dmsk;
	char iniface[16], outiface[16];
	uint8_t iniface_len, outiface_len;	/* bytes to compare; '+' wildcard */
	uint16_t proto;				/* 0 = any */
	uint8_t invflags;			/* IPT_INV_* */
};

#define NM_MAX_PORTS 15
struct nm_xt_ports {
	uint8_t proto;		/* IPPROTO_* the match is for, 0 = any */
	uint8_t nsrc, ndst;	/* number of ranges in src / dst */
	uint16_t src[NM_MAX_PORTS][2];	/* inclusive ranges, HOST byte order */
	uint16_t dst[NM_MAX_PORTS][2];
	uint8_t src_inv, dst_inv;
	uint8_t either;		/* multiport --ports: src OR dst in list */
	uint8_t either_inv;
};

struct nm_xt_addrtype {
	uint16_t src_type, dst_type;	/* bitmask of 1 << RTN_* , 0 = any */
	uint8_t src_inv, dst_inv;
	uint8_t limit_iface_in, limit_iface_out;
};

struct nm_xt_ctstate {
	uint32_t statemask;	/* XT_CONNTRACK_STATE_BIT()-style bits */
	uint8_t inv;
};

/* MARK, CONNMARK --set-xmark, and the mark and connmark matches. */
struct nm_xt_mark {
	uint8_t ct;		/* the entry's ct mark, else the packet mark */
	uint8_t inv;		/* matches: inverted */
	uint32_t value, mask;	/* host byte order, as skb->mark */
};

/* CONNMARK --save-mark / --restore-mark (revisions 1 and 2). */
#define NM_CONNMARK_SAVE	1	/* XT_CONNMARK_SAVE */
#define NM_CONNMARK_RESTORE	2	/* XT_CONNMARK_RESTORE */
struct nm_xt_connmark {
	uint8_t mode;		/* NM_CONNMARK_* */
	uint8_t shift_dir;	/* D_SHIFT_LEFT 0, D_SHIFT_RIGHT 1 (rev 2) */
	uint8_t shift_bits;
	uint32_t ctmask, nfmask;
};

/*
 * The variable-operand bitwise (kernel 6.13, nft 1.1.2 writes it for mark
 * math such as "ct mark set ct mark & 0xffff0000 | meta mark & 0xffff"):
 * enum nft_bitwise_ops and NFTA_BITWISE_SREG2 of that kernel's uapi, which
 * Debian 12's headers (6.1) do not have yet.
 */
#define NM_BITWISE_AND		3
#define NM_BITWISE_OR		4
#define NM_BITWISE_XOR		5
#define NM_NFTA_BITWISE_SREG2	8

struct nm_expr {
	enum nm_op op;
	uint8_t sreg;
	uint8_t dreg;
	uint8_t len;		/* bytes loaded, compared, looked up */
	union {
		struct { uint32_t key; } meta;
		struct { uint32_t base, offset; } payload;
		struct { uint32_t op; struct nm_data data; } cmp;
		struct {
			/* NFT_BITWISE_BOOL, _LSHIFT, _RSHIFT, or NM_BITWISE_
			 * AND/OR/XOR of sreg and sreg2 */
			uint32_t op;
			struct nm_data mask, xor;
			uint32_t shift;
			uint32_t sreg2;
		} bitwise;
		struct { uint32_t op; struct nm_data from, to; } range;
		struct { int set; bool invert; bool has_dreg; } lookup;
		struct {
			struct nm_data data;
			int verdict;	/* when dreg == NFT_REG_VERDICT */
			int chain;	/* index in model->chains for jump/goto */
		} imm;
		struct { uint32_t result, flags; } fib;
		struct { uint32_t key; uint8_t dir; } ct;
		struct {
			uint32_t type;	/* NFT_NAT_SNAT / NFT_NAT_DNAT */
			uint32_t family;/* NFPROTO_IPV4 / NFPROTO_IPV6 */
			uint8_t reg_addr_min, reg_addr_max;
			uint8_t reg_proto_min, reg_proto_max;
			uint32_t flags;
		} nat;
		struct {		/* redir and masq */
			uint8_t reg_proto_min, reg_proto_max;
			uint32_t flags;
		} redir;
		struct { uint32_t mod, offset; } gen;	/* numgen and hash */
		struct nm_natspec natspec;
		struct nm_iphdr iphdr;
		struct nm_xt_ports ports;
		struct nm_xt_addrtype addrtype;
		struct nm_xt_ctstate ctstate;
		struct { uint32_t key; uint8_t dir; } set_stmt; /* meta/ct set */
		struct nm_xt_mark mark;
		struct nm_xt_connmark connmark;
		char either[24];	/* XT_EITHER: "xt match statistic" */
		char unknown[48];	/* what it was: "xt match recent" */
	};
};

struct nm_rule {
	struct nm_expr *exprs;
	unsigned int nexprs;
	uint64_t handle;	/* nft handle, or 1-based legacy rule number */
	char *comment;		/* user comment, may be NULL */
};

enum nm_source { NM_SRC_NFT, NM_SRC_LEGACY };

#define NM_HOOK_INGRESS	5	/* NF_INET_INGRESS; netdev's ingress too */
#define NM_MAX_DEVS	4
#define NFPROTO_NM_NETDEV 5	/* NFPROTO_NETDEV */

struct nm_chain {
	char *table;
	char *name;
	uint8_t family;		/* NFPROTO_INET, _IPV4, _IPV6 */
	uint8_t source;		/* enum nm_source */
	bool nat;		/* a base chain of type nat */
	int hook;		/* NF_INET_*, -1 for a regular chain;
				 * NM_HOOK_INGRESS for netdev (and inet)
				 * ingress chains */
	uint8_t ndevs;		/* ingress: devices it is bound to */
	bool devs_more;		/* ingress: more devices than fit below */
	char devs[NM_MAX_DEVS][16];
	bool writes_mark;	/* it or a chain it reaches may change the
				 * packet or ct mark (nm_model_finish) */
	int prio;
	int policy;		/* NF_ACCEPT or NF_DROP, base chains */
	struct nm_rule *rules;
	unsigned int nrules;
};

/*
 * A set element.  Readers normalise intervals to inclusive [key, key_end];
 * for a plain element key_end equals key.  For concatenations with ranges
 * each field is a range of its own: see nm_set.field_len.
 */
struct nm_elem {
	struct nm_data key, key_end;
	struct nm_data data;	/* map value */
	int verdict;		/* verdict maps */
	int chain;		/* verdict maps: jump/goto target, or -1 */
};

struct nm_set {
	char *table;
	char *name;
	uint8_t family;
	uint32_t flags;		/* NFT_SET_* */
	uint32_t key_len, data_len;
	uint32_t data_type;	/* NFT_DATA_VERDICT for verdict maps */
	uint8_t nfields;	/* concatenation: field count, 0 = one field */
	uint8_t field_len[16];	/* bytes of each field, unpadded */
	struct nm_elem *elems;
	unsigned int nelems;
};

struct nm_model {
	struct nm_chain *chains;
	unsigned int nchains;
	struct nm_set *sets;
	unsigned int nsets;
	uint32_t genid;		/* nftables ruleset generation it was read at */
	bool finished;		/* nm_model_finish() has run: writes_mark
				 * is valid */
};

/* "inet", "ip", "ip6", "netdev" (nft's words), or "?". */
const char *nm_family_name(uint8_t family);
/* "prerouting" ... "postrouting", "ingress" (NM_HOOK_INGRESS), or "?". */
const char *nm_hook_name(int hook);

/* Free everything of @m and zero it; a zeroed model is empty. */
void nm_model_free(struct nm_model *m);
/* Free chains @base.. of @m and forget them (all of them, and the array,
 * when @base is 0): a reader's way back from a table it could not read
 * whole. */
void nm_drop_chains(struct nm_model *m, unsigned int base);
/* Append everything of @src to @dst (legacy + nft on one host), leaving
 * @src empty, and finish @dst.  0, or -ENOMEM (free both still). */
int nm_model_merge(struct nm_model *dst, struct nm_model *src);
/* Chains at @hook of type nat that apply to @family, in priority order:
 * how many were put in @out, or -E2BIG when more than @max. */
int nm_nat_chains(const struct nm_model *m, int hook, uint8_t family,
		  const struct nm_chain **out, int max);
/* Base chains at @hook that apply to @family and are not nat chains but
 * may write the mark (all of them when @m is not finished), in priority
 * order: how many were put in @out, or -E2BIG when more than @max. */
int nm_mark_chains(const struct nm_model *m, int hook, uint8_t family,
		   const struct nm_chain **out, int max);
/* True when @e changes, or may change, the packet or ct mark. */
bool nm_expr_writes_mark(const struct nm_expr *e);
/* Work out what is derived from the rules (writes_mark); readers call it
 * once the model is complete.  Pure. */
void nm_model_finish(struct nm_model *m);
/* Helpers for readers: a new zeroed element at the end (chains get hook
 * -1, elements chain -1), or NULL when out of memory.  Pointers to earlier
 * elements may move. */
struct nm_chain *nm_add_chain(struct nm_model *m);
struct nm_rule *nm_add_rule(struct nm_chain *c);
struct nm_expr *nm_add_expr(struct nm_rule *r);
struct nm_set *nm_add_set(struct nm_model *m);
struct nm_elem *nm_add_elem(struct nm_set *s);
/* The index of the chain or set of that name, or -ENOENT. */
int nm_find_chain(const struct nm_model *m, const char *table, uint8_t family,
		  const char *name);
int nm_find_set(const struct nm_model *m, const char *table, uint8_t family,
		const char *name);

#endif
