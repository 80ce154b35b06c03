/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd.h - what main.c hands to a subcommand.
 */
#ifndef CTSWEEP_CMD_H
#define CTSWEEP_CMD_H

#include <stdbool.h>

/* Exit statuses, the same for every command. */
enum {
	EXIT_OK = 0,
	EXIT_STALE = 1,		/* status: stale flows found */
	EXIT_ERR = 2,		/* bad input or an error: nothing deleted */
};

struct opts {
	const char *netns;
	bool json;
	bool dry_run;
	bool tcp;
	int verbose;
	long settle_ms;		/* sweep --settle; -1: the default */
	bool flush;		/* sweep --flush: filtered flushes wherever
				 * they are exact, whatever they cost */
};

int cmd_status(int argc, char **argv, struct opts *o);
int cmd_sweep(int argc, char **argv, struct opts *o);
int cmd_watch(int argc, char **argv, struct opts *o);
int cmd_explain(int argc, char **argv, struct opts *o);

/* Parse the options a command accepts (the global ones are taken out by
 * main.c before).  @allowed is a string of long names separated by '|';
 * a name ending in '=' takes a number of milliseconds.
 * Returns 0, or reports the offending word and returns -EINVAL. */
int cmd_parse_opts(const char *cmd, int argc, char **argv,
		   const char *allowed, struct opts *o);

struct scan;
/* Load rules and routes, dump and judge; reports its own errors. */
int cmd_scan(const char *cmd, struct scan *s, const struct opts *o);
void cmd_output(const struct scan *s, const struct opts *o, const char *cmd);
void cmd_report_error(const char *cmd, const char *what, int ret);
const char *cmd_hint(int err);

#endif
