/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd.h - the commands and their options, as one table each (cmd.c), and
 * what the commands share.  Parsing, the usage text and every message
 * about a bad option come from those tables, so an option is named in one
 * place only.
 */
#ifndef CTSWEEP_CMD_H
#define CTSWEEP_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses, the same for every command. */
enum {
	EXIT_OK = 0,
	EXIT_STALE = 1,		/* status: stale flows found */
	EXIT_ERR = 2,		/* bad input or an error: nothing deleted */
};

/* Every option of every command; cmd_opts[] says who takes which.
 * Numbers start at the table's default (cmd_defaults()). */
struct opts {
	/* global: before or after the command */
	const char *netns;
	int verbose;
	bool help, version;
	/* the commands' */
	bool json, dry_run, tcp;
	bool flush;		/* sweep --flush: filtered flushes wherever
				 * they are exact, whatever they cost */
	long settle_ms;		/* sweep */
	long resync_s, refill_s, legacy_poll_ms, rcvbuf;	/* watch */
	const char *stats;	/* watch */
	const char *listen;	/* watch: /metrics and /healthz */
	long stall_s;		/* watch: /healthz's bound on a stuck loop */
	bool no_index;		/* watch */
	const char *iif;	/* explain */
	bool flow;		/* explain */
	int64_t id;		/* explain; -1: not given */
};

/* Which commands take an option: one bit per entry of cmds[], and the
 * global options. */
enum {
	CMD_STATUS = 1 << 0,
	CMD_SWEEP = 1 << 1,
	CMD_WATCH = 1 << 2,
	CMD_EXPLAIN = 1 << 3,
	CMD_GLOBAL = 1 << 4,
};

enum cmd_opt_type {
	CO_FLAG,	/* bool, set */
	CO_COUNT,	/* int, one more each time */
	CO_LONG,	/* long, a whole number in [min, max] */
	CO_I64,		/* int64_t, the same */
	CO_STR,		/* const char *, not empty */
};

struct cmd_opt {
	const char *name;	/* --name */
	char letter;		/* -letter as well; 0: none */
	enum cmd_opt_type type;
	unsigned int cmds;	/* CMD_* that take it */
	size_t off;		/* of its field in struct opts */
	const char *arg;	/* the value in the usage text: "MS" */
	const char *what;	/* the value in a message: "a number of
				 * milliseconds" */
	int64_t min, max;	/* CO_LONG, CO_I64 */
	int64_t def;		/* CO_LONG, CO_I64; outside [min, max]: the
				 * option's absence, not shown as a default */
	const char *help;	/* NULL: not listed (for the tests only) */
};

struct cmd {
	const char *name;
	unsigned int bit;	/* CMD_* */
	int (*fn)(int argc, char **argv, struct opts *o);
	const char *operands;	/* for the usage text; NULL: none */
	int max_operands;
	const char *summary;
};

extern const struct cmd_opt cmd_opts[];
extern const size_t cmd_nopts;
extern const struct cmd cmds[];
extern const size_t cmd_ncmds;

/* The commands.  @argv holds the command's name and its operands only
 * (main.c parsed the options into @o); each returns an EXIT_* status. */
int cmd_status(int argc, char **argv, struct opts *o);
int cmd_sweep(int argc, char **argv, struct opts *o);
int cmd_watch(int argc, char **argv, struct opts *o);
int cmd_explain(int argc, char **argv, struct opts *o);

/* The command called @name, or NULL. */
const struct cmd *cmd_find(const char *name);

/* Zero @o, then every number at its table default. */
void cmd_defaults(struct opts *o);

/* Take the global options out of @argv wherever they stand ("--" ends
 * them; it is taken out too); what remains is the command and its own
 * words, in order, and *@argc says how many.  Returns 0, or reports the
 * bad value and returns -EINVAL. */
int cmd_take_globals(int *argc, char **argv, struct opts *o);

/* Parse @c's options in argv[1..argc-1] into @o.  Operands (words not
 * starting with '-') move to argv[1..n], in order, argv[n+1] = NULL.
 * Returns n, or reports the first bad word (quoted, with the options @c
 * takes) and returns -EINVAL; what came before it stays parsed. */
int cmd_parse_opts(const struct cmd *c, int argc, char **argv,
		   struct opts *o);

/* Report an unknown option or operand @word of @c, listing the options
 * @c takes.  With @c NULL, @word stood before the command: an unknown
 * global option, or (not starting with '-') an unknown command. */
void cmd_report_unknown(const struct cmd *c, const char *word);

/* Report that @c's operands are wrong; @what says what it takes. */
void cmd_report_operands(const struct cmd *c, const char *what);

/* The usage text of @c, or of ctsweep as a whole when @c is NULL. */
void cmd_usage(FILE *f, const struct cmd *c);

struct scan;
/* Load rules and routes, dump and judge.  Returns 0 or -errno, which it
 * has reported. */
int cmd_scan(const char *cmd, struct scan *s, const struct opts *o);
/* The results of @s on stdout: JSON, or the table (status, or asked
 * for) and the summary. */
void cmd_output(const struct scan *s, const struct opts *o, const char *cmd);
/* Report that reading @what (NULL: the kernel state) failed with @ret,
 * and what to do about it. */
void cmd_report_error(const char *cmd, const char *what, int ret);
/* What to do after a failure -@err: a sentence, never NULL. */
const char *cmd_hint(int err);
/* The same after deletes that failed -@err part way: some went. */
const char *cmd_delete_hint(int err);

#endif
