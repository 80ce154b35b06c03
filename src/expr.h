/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * expr.h - one entry per expression type of the model (model.h).
 *
 * Each type lives in its own file, src/expr/NAME.c, as libnftnl's
 * src/expr/ and the kernel's nft_*.c: the fields that make it what it is,
 * how the evaluator runs it, which tuple fields it can see (judge keys),
 * and how it prints.  The digest of a rule (watch) and everything else
 * that must cover every field goes through the field list, so a new
 * field or type cannot be left out of one of them and not the others.
 */
#ifndef CTSWEEP_EXPR_H
#define CTSWEEP_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model.h"

struct ev_run;
struct ev_regs;

enum nm_field_kind {
	NM_F_PLAIN,	/* compared byte for byte */
	NM_F_DATA,	/* struct nm_data: len, then len bytes of val */
	NM_F_STR,	/* NUL-terminated within its size */
	NM_F_CHAIN,	/* int: a chain of the model by index, -1 none */
	NM_F_SET,	/* int: a set of the model by index, -1 none */
};

/* A field of struct nm_expr that one type uses (offset from the start of
 * the struct, so the header's sreg/dreg/len can be named too). */
struct nm_field {
	uint16_t off, size;
	uint8_t kind;		/* enum nm_field_kind */
	const char *name;
};

/* The size of the union member a type keeps its fields in. */
#define NM_MEMBER(member)	sizeof(((struct nm_expr *)0)->member)

#define NM_FIELD(member, kind)						\
	{ offsetof(struct nm_expr, member),				\
	  sizeof(((struct nm_expr *)0)->member), kind, #member }

/*
 * What an expression means to the static looks at the rules (watch's
 * changed ports in mdigest.c, the marks' reach in model.c, the walks'
 * plan in plan.c), as opposed to what it does to a packet (eval).
 */
enum nm_role {
	NM_ROLE_NAT = 1 << 0,		/* binds a NAT mapping (or may) */
	NM_ROLE_VERDICT = 1 << 1,	/* ends the rule's chain or jumps */
	NM_ROLE_MARK = 1 << 2,		/* writes the packet or ct mark */
	NM_ROLE_DPORT = 1 << 3,		/* loads the destination port into
					 * dreg */
};

/* Where the walk of a rule may go on from an expression: the chain a
 * jump or a goto names, and the set whose elements name chains (a verdict
 * map's); -1 each where none. */
struct nm_next {
	int chain, set;
};

/* Where a type puts the destination ports a rule is limited to (network
 * byte order, @lo <= @hi). */
struct nm_ports {
	void (*add)(struct nm_ports *p, uint16_t lo, uint16_t hi);
};

struct nm_expr_ops {
	enum nm_op op;
	const char *name;		/* "meta", "xt mark" */
	const struct nm_field *fields;	/* besides op, sreg, dreg, len */
	unsigned int nfields;
	size_t member;			/* NM_MEMBER() of its union member,
					 * which the fields cover */
	/*
	 * Every entry answers every question below: a type cannot be half
	 * added (test_expr fails an entry that lacks one).  Where a type has
	 * nothing to say, it says so with the nm_*_none answers.
	 */
	/* The evaluator's run of it on the synthetic packet. */
	void (*eval)(struct ev_run *r, struct ev_regs *regs,
		     const struct nm_expr *e);
	/* JK_* of the tuple fields it can see by itself (judge_keys). */
	unsigned int (*keys)(uint8_t family, const struct nm_expr *e);
	/* As nft --debug=netlink would show it, without brackets; returns
	 * what snprintf returns. */
	int (*print)(char *buf, size_t len, const struct nm_expr *e);
	/* NM_ROLE_* of @e. */
	unsigned int (*role)(const struct nm_expr *e);
	/* The destination ports a rule holding @e is limited to, into
	 * @out; @dport: its sreg holds the loaded destination port.
	 * Returns 1 when it limits the rule so, 0 when it says nothing of
	 * ports. */
	int (*dports)(const struct nm_expr *e, const struct nm_model *m,
		      bool dport, struct nm_ports *out);
	/* Where the walk may go on from @e (struct nm_next): what plan.c
	 * walks, judge.c's keys and model.c's marks follow. */
	void (*next)(const struct nm_expr *e, struct nm_next *out);
};

/* The destination ports the key of element @el of @s stands for: every
 * port when the key is not one (a concatenation, a wider key). */
void nm_elem_dports(const struct nm_set *s, const struct nm_elem *el,
		    struct nm_ports *out);
/* The answers of a type that has nothing to say: no effect on the
 * packet (a counter), no tuple field seen by itself (a cmp reads what a
 * load put in a register), decides nothing by itself, never limits a
 * rule's ports; and the printed form that is the type's name. */
void nm_eval_none(struct ev_run *r, struct ev_regs *regs,
		  const struct nm_expr *e);
unsigned int nm_keys_none(uint8_t family, const struct nm_expr *e);
unsigned int nm_role_none(const struct nm_expr *e);
int nm_dports_none(const struct nm_expr *e, const struct nm_model *m,
		   bool dport, struct nm_ports *out);
void nm_next_none(const struct nm_expr *e, struct nm_next *out);
int nm_print_name(char *buf, size_t len, const struct nm_expr *e);
/* NM_ROLE_* of @e (NM_ROLE_NAT for an op no reader makes: the worst). */
unsigned int nm_expr_role(const struct nm_expr *e);
/* JK_* of the tuple fields @e can see (JK_ALL for an op no reader
 * makes). */
unsigned int nm_expr_keys(uint8_t family, const struct nm_expr *e);
/* @e's answer to nm_expr_ops.dports, 0 for an op no reader makes. */
int nm_expr_dports(const struct nm_expr *e, const struct nm_model *m,
		   bool dport, struct nm_ports *out);

/* @e's answer to nm_expr_ops.next; nowhere for an op no reader makes
 * (it is NM_ROLE_NAT: the worst is assumed of it anyway). */
struct nm_next nm_expr_next(const struct nm_expr *e);
/* @e's field of @kind (NM_F_CHAIN, NM_F_SET; a type has one of each at
 * most), NULL when its type has none: the index a merge of two models
 * moves and a digest takes by what it names. */
int *nm_expr_index(struct nm_expr *e, enum nm_field_kind kind);

/* The entry of @op, NULL for an op no reader makes. */
const struct nm_expr_ops *nm_expr_ops(enum nm_op op);

/* FNV-1a, continuing from @h, over op, sreg, dreg, len and the type's
 * fields: equal for equal expressions whatever the padding and unused
 * bytes hold. */
uint64_t nm_expr_digest(uint64_t h, const struct nm_expr *e);

/* The printed form into @buf ("? op N" for an op no reader makes);
 * returns what snprintf returns. */
int nm_expr_print(char *buf, size_t len, const struct nm_expr *e);

#endif
