// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for cmd.c: the command line (global options, each command's
 * options and operands), every message it reports (word for word, with
 * the user's input quoted and made printable), the usage texts and the
 * documents that must name every option (iterating cmd_opts[], so that
 * none can be left out), the hints after a failed read, and which
 * reports cmd_output prints for which options.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "mkmodel.h"
#include "cmd.h"
#include "scan.h"
#include "fixture.h"


/* What the error messages list, word for word. */
#define STATUS_LIST	"--json, --tcp"
#define SWEEP_LIST	"--json, --dry-run, --flush, --tcp, --settle MS"
#define WATCH_LIST	"--dry-run, --tcp, --resync SECONDS, --refill SECONDS, " \
			"--legacy-poll MS, --stats FILE, --listen IP:PORT, " \
			"--no-index"
#define EXPLAIN_LIST	"--json, --iif NAME, --flow, --id ID"
#define GLOBAL_LIST	"--netns NAME, -v, --verbose, -h, --help, --version"

/* ---- what a call writes to stderr or stdout ---- */

struct capture {
	int fd, saved;
	FILE *tmp;
};

static void cap_start(struct capture *c, int fd)
{
	fflush(stdout);
	fflush(stderr);
	c->fd = fd;
	c->tmp = tmpfile();
	assert_non_null(c->tmp);
	c->saved = dup(fd);
	assert_true(c->saved >= 0);
	assert_true(dup2(fileno(c->tmp), fd) >= 0);
}

/* Nothing may assert between cap_start and cap_end: cmocka's own report
 * would land in the capture. */
static char *cap_end(struct capture *c)
{
	char *buf;
	long n;

	fflush(stdout);
	fflush(stderr);
	assert_true(dup2(c->saved, c->fd) >= 0);
	close(c->saved);
	n = ftell(c->tmp);
	assert_true(n >= 0);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	rewind(c->tmp);
	assert_int_equal(fread(buf, 1, (size_t)n, c->tmp), (size_t)n);
	fclose(c->tmp);
	return buf;
}

#define MAX_WORDS	16

struct parsed {
	int ret;
	char *err;	/* stderr */
	struct opts o;
	char *argv[MAX_WORDS + 2];	/* after the parse */
	int argc;
};

static void words(struct parsed *p, const char *first, va_list ap)
{
	p->argc = 0;
	p->argv[p->argc++] = (char *)first;
	while ((p->argv[p->argc] = va_arg(ap, char *)))
		assert_true(++p->argc <= MAX_WORDS);
}

/* Parse "CMD ARGS..." (NULL-terminated) as main.c does after the global
 * options: p.argv[1..p.ret] are the operands. */
static struct parsed parse(const char *cmd, ...)
{
	const struct cmd *c = cmd_find(cmd);
	struct parsed p;
	struct capture cap;
	va_list ap;

	assert_non_null(c);
	va_start(ap, cmd);
	words(&p, cmd, ap);
	va_end(ap);
	cmd_defaults(&p.o);
	cap_start(&cap, STDERR_FILENO);
	p.ret = cmd_parse_opts(c, p.argc, p.argv, &p.o);
	p.err = cap_end(&cap);
	return p;
}

/* "ctsweep ARGS..." through cmd_take_globals: p.argv[0..p.argc-1] is
 * what is left. */
static struct parsed globals(const char *first, ...)
{
	struct parsed p;
	struct capture cap;
	va_list ap;

	va_start(ap, first);
	words(&p, "ctsweep", ap);
	va_end(ap);
	if (first) {
		/* words() took "ctsweep" first: put @first after it */
		memmove(&p.argv[2], &p.argv[1], sizeof(char *) * p.argc);
		p.argv[1] = (char *)first;
		p.argc++;
	}
	cmd_defaults(&p.o);
	cap_start(&cap, STDERR_FILENO);
	p.ret = cmd_take_globals(&p.argc, p.argv, &p.o);
	p.err = cap_end(&cap);
	return p;
}

static void assert_err(struct parsed p, const char *exp)
{
	assert_int_equal(p.ret, -EINVAL);
	assert_string_equal(p.err, exp);
	free(p.err);
}

static long long num_field(const struct opts *o, const struct cmd_opt *d)
{
	const char *f = (const char *)o + d->off;

	return d->type == CO_LONG ? *(const long *)f : *(const int64_t *)f;
}

/* ---- options that parse ---- */

/*
 * The tables are written with designated initializers, so a field left
 * out is silently 0 or NULL: every entry says what its kind needs.  An
 * option that takes a value names it in the usage text (.arg) and in
 * messages (.what), a flag names neither; a number's range holds; a
 * field lies inside struct opts; no two options of one command share a
 * name or a letter; a command has its bit, its function and its summary.
 */
static void test_tables(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < cmd_nopts; i++) {
		const struct cmd_opt *d = &cmd_opts[i];
		bool value = d->type == CO_LONG || d->type == CO_I64 ||
			     d->type == CO_STR;

		assert_non_null(d->name);
		assert_true(d->cmds != 0);
		assert_true(d->off < sizeof(struct opts));
		if (value != (d->arg && d->what))
			fail_msg("--%s: .arg and .what go with a value", d->name);
		if (!value && (d->arg || d->what))
			fail_msg("--%s: a flag has no .arg or .what", d->name);
		if (d->type == CO_LONG || d->type == CO_I64)
			assert_true(d->min <= d->max);
		for (k = 0; k < i; k++) {
			const struct cmd_opt *e = &cmd_opts[k];

			if (!(d->cmds & e->cmds))
				continue;
			assert_string_not_equal(d->name, e->name);
			assert_true(!d->letter || d->letter != e->letter);
		}
	}
	for (i = 0; i < cmd_ncmds; i++) {
		assert_non_null(cmds[i].name);
		assert_true(cmds[i].bit && !(cmds[i].bit & (cmds[i].bit - 1)));
		assert_non_null(cmds[i].fn);
		assert_non_null(cmds[i].summary);
		assert_true(!cmds[i].max_operands == !cmds[i].operands);
	}
}

static void test_defaults(void **state)
{
	struct opts o;
	size_t i;

	(void)state;
	cmd_defaults(&o);
	assert_int_equal(o.settle_ms, 100);
	assert_int_equal(o.resync_s, 60);
	assert_int_equal(o.refill_s, 600);
	assert_int_equal(o.legacy_poll_ms, 50);
	assert_int_equal(o.rcvbuf, 0);
	assert_true(o.id == -1);
	assert_false(o.json || o.tcp || o.dry_run || o.no_index || o.flow ||
		     o.help || o.version);
	assert_null(o.netns);
	assert_null(o.stats);
	assert_null(o.iif);
	assert_int_equal(o.verbose, 0);
	for (i = 0; i < cmd_nopts; i++)
		if (cmd_opts[i].type == CO_LONG || cmd_opts[i].type == CO_I64)
			assert_true(num_field(&o, &cmd_opts[i]) ==
				    cmd_opts[i].def);
}

static void test_parse_ok(void **state)
{
	struct parsed p;

	(void)state;
	p = parse("status", NULL);
	assert_int_equal(p.ret, 0);
	assert_string_equal(p.err, "");
	assert_false(p.o.json || p.o.tcp || p.o.dry_run);
	free(p.err);

	p = parse("status", "--json", "--tcp", "--json", NULL);
	assert_int_equal(p.ret, 0);
	assert_string_equal(p.err, "");
	assert_true(p.o.json);
	assert_true(p.o.tcp);
	assert_false(p.o.dry_run);
	free(p.err);

	p = parse("sweep", "--dry-run", "--settle=250", NULL);
	assert_int_equal(p.ret, 0);
	assert_string_equal(p.err, "");
	assert_true(p.o.dry_run);
	assert_false(p.o.json);
	assert_int_equal(p.o.settle_ms, 250);
	free(p.err);

	/* the value as the next word, and the bounds */
	p = parse("sweep", "--settle", "500", "--tcp", NULL);
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.o.settle_ms, 500);
	assert_true(p.o.tcp);
	free(p.err);
	p = parse("sweep", "--settle=0", NULL);
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.o.settle_ms, 0);
	free(p.err);

	p = parse("watch", "--dry-run", "--tcp", "--resync", "0", "--refill=10",
		  "--legacy-poll", "200", "--stats", "/run/x.prom",
		  "--no-index", "--rcvbuf", "4096", NULL);
	assert_int_equal(p.ret, 0);
	assert_string_equal(p.err, "");
	assert_true(p.o.dry_run && p.o.tcp && p.o.no_index);
	assert_int_equal(p.o.resync_s, 0);
	assert_int_equal(p.o.refill_s, 10);
	assert_int_equal(p.o.legacy_poll_ms, 200);
	assert_int_equal(p.o.rcvbuf, 4096);
	assert_string_equal(p.o.stats, "/run/x.prom");
	free(p.err);

	/* explain: operands around the options, kept in order */
	p = parse("explain", "udp", "--iif", "wan", "203.0.113.10:5",
		  "--json", "--flow", "203.0.113.1:53", NULL);
	assert_int_equal(p.ret, 3);
	assert_string_equal(p.err, "");
	assert_string_equal(p.argv[1], "udp");
	assert_string_equal(p.argv[2], "203.0.113.10:5");
	assert_string_equal(p.argv[3], "203.0.113.1:53");
	assert_null(p.argv[4]);
	assert_string_equal(p.o.iif, "wan");
	assert_true(p.o.json && p.o.flow);
	assert_true(p.o.id == -1);
	free(p.err);

	/* a conntrack id is 32 bits, wider than a 32-bit long */
	p = parse("explain", "--id", "4294967295", NULL);
	assert_int_equal(p.ret, 0);
	assert_true(p.o.id == 4294967295LL);
	free(p.err);
	p = parse("explain", "--id=0", NULL);
	assert_int_equal(p.ret, 0);
	assert_true(p.o.id == 0);
	free(p.err);
}

/* ---- unknown options and words ---- */

static void assert_unknown(struct parsed p, const char *cmd,
			   const char *word, const char *list)
{
	char exp[512];

	snprintf(exp, sizeof(exp), "ctsweep: %s: %s '%s' (options: %s; see "
		 "'ctsweep %s --help')\n", cmd, word[0] == '-' ?
		 "unknown option" : "unexpected argument", word, list, cmd);
	assert_err(p, exp);
}

static void test_unknown(void **state)
{
	(void)state;
	/* an option of another command */
	assert_unknown(parse("status", "--dry-run", NULL), "status",
		       "--dry-run", STATUS_LIST);
	assert_unknown(parse("status", "--settle=5", NULL), "status",
		       "--settle=5", STATUS_LIST);
	assert_unknown(parse("watch", "--json", NULL), "watch", "--json",
		       WATCH_LIST);
	assert_unknown(parse("explain", "--tcp", NULL), "explain", "--tcp",
		       EXPLAIN_LIST);
	assert_unknown(parse("sweep", "--iif", "wan", NULL), "sweep", "--iif",
		       SWEEP_LIST);
	/* global options are taken before: here they are unknown */
	assert_unknown(parse("status", "--netns", "x", NULL), "status",
		       "--netns", STATUS_LIST);
	/* short options, bare words, "--" alone */
	assert_unknown(parse("sweep", "-n", NULL), "sweep", "-n", SWEEP_LIST);
	assert_unknown(parse("sweep", "json", NULL), "sweep", "json",
		       SWEEP_LIST);
	assert_unknown(parse("watch", "60", NULL), "watch", "60", WATCH_LIST);
	assert_unknown(parse("sweep", "--", NULL), "sweep", "--", SWEEP_LIST);
	assert_unknown(parse("sweep", "-", NULL), "sweep", "-", SWEEP_LIST);
	assert_unknown(parse("explain", "-", NULL), "explain", "-",
		       EXPLAIN_LIST);
	/* explain takes three operands, no fourth */
	assert_unknown(parse("explain", "udp", "a", "b", "c", NULL),
		       "explain", "c", EXPLAIN_LIST);
	/* no prefixes, no longer names */
	assert_unknown(parse("sweep", "--dry", NULL), "sweep", "--dry",
		       SWEEP_LIST);
	assert_unknown(parse("sweep", "--jsonx", NULL), "sweep", "--jsonx",
		       SWEEP_LIST);
	assert_unknown(parse("sweep", "--run", NULL), "sweep", "--run",
		       SWEEP_LIST);
	assert_unknown(parse("sweep", "--settle5", NULL), "sweep",
		       "--settle5", SWEEP_LIST);
	assert_unknown(parse("sweep", "--=5", NULL), "sweep", "--=5",
		       SWEEP_LIST);
	assert_unknown(parse("watch", "--resync-", "5", NULL), "watch",
		       "--resync-", WATCH_LIST);
	/* the lists' separators are not part of a name */
	assert_unknown(parse("sweep", "--json|tcp", NULL), "sweep",
		       "--json|tcp", SWEEP_LIST);
	assert_unknown(parse("sweep", "--json, --tcp", NULL), "sweep",
		       "--json, --tcp", SWEEP_LIST);
	/* the first bad word stops the parse, after the good ones */
	assert_unknown(parse("sweep", "--json", "--bogus", "--tcp", NULL),
		       "sweep", "--bogus", SWEEP_LIST);
	/* a long word is quoted whole; control characters become '?' */
	assert_unknown(parse("status",
			     "--a-very-long-option-name-of-forty-chars", NULL),
		       "status", "--a-very-long-option-name-of-forty-chars",
		       STATUS_LIST);
	assert_unknown(parse("status", "--js\non\x1b[2J", NULL), "status",
		       "--js?on?[2J", STATUS_LIST);
}

/* What the parse did before the bad word stays done; what follows is not
 * looked at. */
static void test_unknown_partial(void **state)
{
	struct parsed p;

	(void)state;
	p = parse("sweep", "--json", "--bogus", "--tcp", NULL);
	assert_int_equal(p.ret, -EINVAL);
	assert_true(p.o.json);
	assert_false(p.o.tcp);
	free(p.err);
}

/* Before the command: an unknown global option, an unknown command; and
 * a command's wrong operands. */
static void test_unknown_global(void **state)
{
	char *e;

	(void)state;
	e = NULL;
	{
		struct capture c;

		cap_start(&c, STDERR_FILENO);
		cmd_report_unknown(NULL, "--json");
		cmd_report_unknown(NULL, "frobnicate");
		cmd_report_unknown(NULL, "-x\n");
		cmd_report_operands(cmd_find("explain"), "give more");
		e = cap_end(&c);
	}
	assert_string_equal(e,
		"ctsweep: unknown option '--json' (options before the command: "
		GLOBAL_LIST "; see 'ctsweep --help')\n"
		"ctsweep: unknown command 'frobnicate' (commands: status, "
		"sweep, watch, explain; see 'ctsweep --help')\n"
		"ctsweep: unknown option '-x?' (options before the command: "
		GLOBAL_LIST "; see 'ctsweep --help')\n"
		"ctsweep: explain: give more (see 'ctsweep explain --help')\n");
	free(e);
}

/* ---- values: missing, not a number, out of range, not taken ---- */

static bool takes(const struct cmd_opt *d, const struct cmd *c)
{
	return d->cmds & c->bit;
}

/* Every option that takes a value, of every command: without one, as the
 * last word and as "--name=". */
static void test_missing(void **state)
{
	char exp[256], eq[64];
	size_t i, k;

	(void)state;
	assert_err(parse("sweep", "--settle", NULL), "ctsweep: sweep: option "
		   "'--settle' needs a number of milliseconds (see 'ctsweep "
		   "sweep --help')\n");
	assert_err(parse("watch", "--stats=", NULL), "ctsweep: watch: option "
		   "'--stats' needs a file name (e.g. "
		   "/var/lib/node_exporter/ctsweep.prom) (see 'ctsweep watch "
		   "--help')\n");
	assert_err(parse("explain", "--iif", NULL), "ctsweep: explain: option "
		   "'--iif' needs an interface name (see 'ctsweep explain "
		   "--help')\n");
	for (k = 0; k < cmd_ncmds; k++) {
		const struct cmd *c = &cmds[k];

		for (i = 0; i < cmd_nopts; i++) {
			const struct cmd_opt *d = &cmd_opts[i];

			if (!takes(d, c) || d->type < CO_LONG)
				continue;
			snprintf(exp, sizeof(exp), "ctsweep: %s: option '--%s' "
				 "needs %s (see 'ctsweep %s --help')\n",
				 c->name, d->name, d->what, c->name);
			snprintf(eq, sizeof(eq), "--%s", d->name);
			assert_err(parse(c->name, eq, NULL), exp);
			snprintf(eq, sizeof(eq), "--%s=", d->name);
			assert_err(parse(c->name, eq, NULL), exp);
			snprintf(eq, sizeof(eq), "--%s", d->name);
			assert_err(parse(c->name, eq, "", NULL), exp);
		}
	}
}

static void assert_bad_num(const struct cmd *c, const struct cmd_opt *d,
			   const char *val, const char *shown)
{
	char exp[256], w[64];
	struct parsed p;

	snprintf(exp, sizeof(exp), "ctsweep: %s: '--%s %s': expected %s from "
		 "%lld to %lld (see 'ctsweep %s --help')\n", c->name, d->name,
		 shown, d->what, (long long)d->min, (long long)d->max,
		 c->name);
	snprintf(w, sizeof(w), "--%s", d->name);
	p = parse(c->name, w, val, NULL);
	/* nothing stored */
	assert_true(num_field(&p.o, d) == d->def);
	assert_err(p, exp);
}

/* Every number of every command: the bounds parse, what is beyond them
 * or not a whole number is reported. */
static void test_numbers(void **state)
{
	char lo[32], hi[32], w[48];
	struct parsed p;
	size_t i, k;

	(void)state;
	assert_err(parse("sweep", "--settle=60001", NULL), "ctsweep: sweep: "
		   "'--settle 60001': expected a number of milliseconds from 0 "
		   "to 60000 (see 'ctsweep sweep --help')\n");
	assert_err(parse("explain", "--id", "4294967296", NULL), "ctsweep: "
		   "explain: '--id 4294967296': expected a conntrack id from 0 "
		   "to 4294967295 (see 'ctsweep explain --help')\n");
	for (k = 0; k < cmd_ncmds; k++) {
		const struct cmd *c = &cmds[k];

		for (i = 0; i < cmd_nopts; i++) {
			const struct cmd_opt *d = &cmd_opts[i];

			if (!takes(d, c) ||
			    (d->type != CO_LONG && d->type != CO_I64))
				continue;
			snprintf(lo, sizeof(lo), "%lld", (long long)d->min);
			snprintf(hi, sizeof(hi), "%lld", (long long)d->max);
			snprintf(w, sizeof(w), "--%s", d->name);
			p = parse(c->name, w, lo, NULL);
			assert_int_equal(p.ret, 0);
			assert_true(num_field(&p.o, d) == d->min);
			free(p.err);
			snprintf(w, sizeof(w), "--%s=%s", d->name, hi);
			p = parse(c->name, w, NULL);
			assert_int_equal(p.ret, 0);
			assert_true(num_field(&p.o, d) == d->max);
			free(p.err);

			snprintf(lo, sizeof(lo), "%lld", (long long)d->min - 1);
			snprintf(hi, sizeof(hi), "%lld", (long long)d->max + 1);
			assert_bad_num(c, d, lo, lo);
			assert_bad_num(c, d, hi, hi);
			assert_bad_num(c, d, "abc", "abc");
			assert_bad_num(c, d, "12ms", "12ms");
			assert_bad_num(c, d, "1.5", "1.5");
			/* beyond long long: ERANGE, not a wrapped number */
			assert_bad_num(c, d, "99999999999999999999",
				       "99999999999999999999");
			/* the next word is the value, even an option */
			assert_bad_num(c, d, "--json", "--json");
			/* quoted printable */
			assert_bad_num(c, d, "5\n6", "5?6");
		}
	}
	/* the value is what follows the first '=' */
	assert_err(parse("sweep", "--settle==5", NULL), "ctsweep: sweep: "
		   "'--settle =5': expected a number of milliseconds from 0 "
		   "to 60000 (see 'ctsweep sweep --help')\n");
}

/* Every flag of every command: "--name=VALUE" is a mistake, not the
 * flag. */
static void test_no_value(void **state)
{
	char exp[256], w[64];
	struct parsed p;
	size_t i, k;

	(void)state;
	for (k = 0; k < cmd_ncmds; k++) {
		const struct cmd *c = &cmds[k];

		for (i = 0; i < cmd_nopts; i++) {
			const struct cmd_opt *d = &cmd_opts[i];

			if (!takes(d, c) || d->type != CO_FLAG)
				continue;
			snprintf(w, sizeof(w), "--%s=1", d->name);
			snprintf(exp, sizeof(exp), "ctsweep: %s: '%s': option "
				 "'--%s' takes no value (see 'ctsweep %s "
				 "--help')\n", c->name, w, d->name, c->name);
			p = parse(c->name, w, NULL);
			assert_false(*((bool *)((char *)&p.o + d->off)));
			assert_err(p, exp);
		}
	}
}

/* ---- global options ---- */

static void test_globals(void **state)
{
	struct parsed p;

	(void)state;
	/* anywhere, taken out; the rest keeps its order */
	p = globals("-v", "status", "--json", "--netns", "r1", "-vv",
		    "--verbose", "--tcp", NULL);
	assert_int_equal(p.ret, 0);
	assert_string_equal(p.err, "");
	assert_int_equal(p.argc, 4);
	assert_string_equal(p.argv[1], "status");
	assert_string_equal(p.argv[2], "--json");
	assert_string_equal(p.argv[3], "--tcp");
	assert_null(p.argv[4]);
	assert_int_equal(p.o.verbose, 4);
	assert_string_equal(p.o.netns, "r1");
	assert_false(p.o.json);
	free(p.err);

	p = globals("--netns=r2", "sweep", "-h", "--version", NULL);
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.argc, 2);
	assert_string_equal(p.o.netns, "r2");
	assert_true(p.o.help && p.o.version);
	free(p.err);
	p = globals("--help", NULL);
	assert_true(p.o.help);
	assert_int_equal(p.argc, 1);
	free(p.err);

	/* "--" ends them and is taken out itself */
	p = globals("sweep", "--", "-v", "--netns", NULL);
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.argc, 4);
	assert_string_equal(p.argv[2], "-v");
	assert_string_equal(p.argv[3], "--netns");
	assert_int_equal(p.o.verbose, 0);
	free(p.err);

	/* what is not global stays, for the command to judge */
	p = globals("-vx", "-", "--verb", "--netnsx", NULL);
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.argc, 5);
	assert_int_equal(p.o.verbose, 0);
	free(p.err);

	assert_err(globals("sweep", "--netns", NULL), "ctsweep: option "
		   "'--netns' needs a namespace name (see 'ctsweep --help')\n");
	assert_err(globals("--netns", "", "sweep", NULL), "ctsweep: option "
		   "'--netns' needs a namespace name (see 'ctsweep --help')\n");
	assert_err(globals("--netns=", NULL), "ctsweep: option '--netns' "
		   "needs a namespace name (see 'ctsweep --help')\n");
	assert_err(globals("--verbose=2", NULL), "ctsweep: '--verbose=2': "
		   "option '--verbose' takes no value (see 'ctsweep "
		   "--help')\n");
}

/* ---- the usage texts ---- */

static char *usage(const struct cmd *c)
{
	struct capture cap;

	cap_start(&cap, STDOUT_FILENO);
	cmd_usage(stdout, c);
	return cap_end(&cap);
}

/* @w as a whole word in @text: after a blank, '[' or '`', before a
 * blank, ']', ',' or '`'. */
static bool has_word(const char *text, const char *w)
{
	size_t n = strlen(w);
	const char *p;

	for (p = text; (p = strstr(p, w)); p += n)
		if ((p == text || strchr(" \n[`", p[-1])) &&
		    strchr(" ],\n`", p[n]))
			return true;
	return false;
}

/* The option's line: its names, then its help's first word. */
static void assert_help_line(const char *u, const struct cmd_opt *d)
{
	char l[8] = "", name[48], line[96];

	if (d->letter)
		snprintf(l, sizeof(l), "-%c, ", d->letter);
	snprintf(name, sizeof(name), "%s--%s%s%s", l, d->name,
		 d->arg ? " " : "", d->arg ? d->arg : "");
	snprintf(line, sizeof(line), "\n  %-17s %.*s", name,
		 (int)strcspn(d->help, " "), d->help);
	assert_non_null(strstr(u, line));
}

static void opt_words(const struct cmd_opt *d, char *w, size_t len)
{
	snprintf(w, len, "--%s%s%s", d->name, d->arg ? " " : "",
		 d->arg ? d->arg : "");
}

/* @s with every run of blanks one space, in place. */
static char *squash(char *s)
{
	char *r, *w;

	for (r = w = s; *r; r++)
		if (!strchr(" \n", *r) || (w > s && w[-1] != ' '))
			*w++ = strchr(" \n", *r) ? ' ' : *r;
	*w = '\0';
	return s;
}

/* Each command's usage names, in its synopsis and with its help, every
 * option the table gives it, and the global ones; no other command's,
 * nor a hidden one.  The usage of ctsweep names them all. */
static void test_usage(void **state)
{
	char *all, *flat, *u, w[64], syn[72];
	size_t i, k;

	(void)state;
	all = usage(NULL);
	flat = squash(strdup(all));
	assert_non_null(flat);
	for (i = 0; i < cmd_nopts; i++) {
		opt_words(&cmd_opts[i], w, sizeof(w));
		assert_true(has_word(all, w) == !!cmd_opts[i].help);
	}
	for (k = 0; k < cmd_ncmds; k++) {
		const struct cmd *c = &cmds[k];

		assert_non_null(strstr(flat, c->summary));
		u = usage(c);
		snprintf(w, sizeof(w), "Usage: ctsweep [GLOBAL OPTIONS] %s",
			 c->name);
		assert_int_equal(strncmp(u, w, strlen(w)), 0);
		for (i = 0; i < cmd_nopts; i++) {
			const struct cmd_opt *d = &cmd_opts[i];
			bool want = d->help && (takes(d, c) ||
						d->cmds & CMD_GLOBAL);

			opt_words(d, w, sizeof(w));
			snprintf(syn, sizeof(syn), "[%s]", w);
			assert_true(has_word(u, w) == want);
			if (want)
				assert_help_line(u, d);
			assert_true(!!strstr(u, syn) ==
				    (d->help && takes(d, c)));
		}
		free(u);
	}
	/* a letter stands with its name */
	assert_non_null(strstr(all, "\n  -v, --verbose "));
	assert_non_null(strstr(all, "\n  -h, --help "));
	/* defaults and ranges come from the table */
	assert_non_null(strstr(flat, "(0 to 60000; default 100)"));
	assert_null(strstr(all, "default -1"));
	free(flat);
	free(all);
}

/* No line of a usage text is wider than 79 columns. */
static void test_usage_width(void **state)
{
	size_t k;

	(void)state;
	for (k = 0; k <= cmd_ncmds; k++) {
		char *u = usage(k < cmd_ncmds ? &cmds[k] : NULL), *l, *save;

		for (l = strtok_r(u, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save))
			assert_in_range(strlen(l), 0, 79);
		free(u);
	}
}

/* ---- the documents that name the options ---- */

static char *slurp_abs(const char *path)
{
	size_t len;

	return read_whole(path, &len);
}

/* @rel in the source tree. */
static char *slurp(const char *rel)
{
	size_t len;

	return read_top(rel, &len);
}

/* The man page's paragraph on option @w (".BI \-\-name") gives the
 * table's default. */
static void assert_man_default(const char *man, const char *w, int64_t def)
{
	char tp[96], dflt[32];
	const char *p, *end;

	snprintf(tp, sizeof(tp), "\n.BI %s ", w);
	p = strstr(man, tp);
	if (!p)
		fail_msg("man/ctsweep.8: no paragraph on %s", w);
	end = strstr(p + 1, "\n.TP");
	snprintf(dflt, sizeof(dflt), "(default %lld", (long long)def);
	p = strstr(p, dflt);
	if (!p || (end && p > end))
		fail_msg("man/ctsweep.8: %s's default is not %lld", w,
			 (long long)def);
}

/* The man page describes every option ("\-\-name" in roff, a hyphen in
 * the name "\-" too); README.md's usage shows every one (a global one
 * by its letter will do). */
static void test_docs(void **state)
{
	char *man = slurp("man/ctsweep.8"), *readme = slurp("README.md");
	char w[80], l[4], *p;
	size_t i;

	(void)state;
	for (i = 0; i < cmd_nopts; i++) {
		const struct cmd_opt *d = &cmd_opts[i];
		const char *s;

		if (!d->help)
			continue;
		p = w + sprintf(w, "\\-\\-");
		for (s = d->name; *s; s++)
			p += *s == '-' ? sprintf(p, "\\-") :
					 sprintf(p, "%c", *s);
		if (!strstr(man, w))
			fail_msg("man/ctsweep.8 does not name %s", w);
		if (d->type == CO_LONG && d->def >= d->min)
			assert_man_default(man, w, d->def);
		snprintf(w, sizeof(w), "--%s", d->name);
		snprintf(l, sizeof(l), "-%c", d->letter);
		if (!has_word(readme, w) && !(d->letter && has_word(readme, l)))
			fail_msg("README.md does not name %s", w);
	}
	free(man);
	free(readme);
}

/* The words between @key (which ends in an opening quote) and the next
 * quote in @from, into @buf with a blank either side (so " --name "
 * matches a whole word only). */
static void quoted_words(const char *from, const char *key, char *buf,
			 size_t len)
{
	const char *p = strstr(from, key), *end;

	assert_non_null(p);
	p += strlen(key);
	end = strchr(p, '"');
	assert_non_null(end);
	snprintf(buf, len, " %.*s ", (int)(end - p), p);
}

/* The bash completion offers each command the options it takes, and the
 * global ones everywhere. */
static void test_completion(void **state)
{
	char *bc = slurp("contrib/bash-completion/ctsweep"), *p, *start;
	char w[64];
	char label[32], opts[512];
	size_t i, k;

	(void)state;
	quoted_words(bc, "local globals=\"", opts, sizeof(opts));
	for (i = 0; i < cmd_nopts; i++) {
		const struct cmd_opt *d = &cmd_opts[i];

		if (!d->help || !(d->cmds & CMD_GLOBAL))
			continue;
		snprintf(w, sizeof(w), " --%s ", d->name);
		assert_non_null(strstr(opts, w));
		snprintf(w, sizeof(w), " -%c ", d->letter);
		assert_true(!d->letter || strstr(opts, w));
	}
	start = strstr(bc, "case $cmd in");
	assert_non_null(start);
	for (k = 0; k < cmd_ncmds; k++) {
		snprintf(label, sizeof(label), "\t%s)", cmds[k].name);
		p = strstr(start, label);
		assert_non_null(p);
		quoted_words(p, "opts=\"", opts, sizeof(opts));
		for (i = 0; i < cmd_nopts; i++) {
			const struct cmd_opt *d = &cmd_opts[i];

			if (!d->help || d->cmds & CMD_GLOBAL)
				continue;
			snprintf(w, sizeof(w), " --%s ", d->name);
			if (!!strstr(opts, w) != !!takes(d, &cmds[k]))
				fail_msg("completion of %s: %s", cmds[k].name,
					 w);
		}
	}
	free(bc);
}

/* ---- the binary: a bad command line exits 2 before anything else ---- */

static int run(const char *args, char **out)
{
	char cmd[512], path[] = "/tmp/ctsweep-test-cmd-XXXXXX";
	int fd, rc;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "%s %s >%s 2>/dev/null", ctsweep_bin(),
		 args, path);
	rc = system(cmd);
	*out = slurp_abs(path);
	unlink(path);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* What main.c does with a command line: a bad one exits 2 with nothing on
 * stdout (the checks come before privileges and namespaces, so this holds
 * for any user); --help anywhere prints the usage that applies. */
static void test_binary(void **state)
{
	static const char *const bad[] = {
		"", "frobnicate", "--frobnicate sweep", "--json status",
		"status --dry-run", "status json", "sweep --settle",
		"sweep --settle=60001", "sweep --json=1", "watch --resync x",
		"watch --bogus", "explain --id x", "explain --iif",
		"explain udp a b c", "sweep --netns", "--verbose=1 status",
	};
	char *out, *exp;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (run(bad[i], &out) != 2)
			fail_msg("'ctsweep %s' did not exit 2", bad[i]);
		assert_string_equal(out, "");
		free(out);
	}
	assert_int_equal(run("--help", &out), 0);
	exp = usage(NULL);
	assert_string_equal(out, exp);
	free(out);
	free(exp);
	for (k = 0; k < cmd_ncmds; k++) {
		char args[64];

		snprintf(args, sizeof(args), "%s --bogus -h", cmds[k].name);
		assert_int_equal(run(args, &out), 0);
		exp = usage(&cmds[k]);
		assert_string_equal(out, exp);
		free(out);
		free(exp);
	}
}

/* ---- after a failed read ---- */

static void test_hint(void **state)
{
	const char *root = "run as root, or with CAP_NET_ADMIN (and "
			   "CAP_NET_RAW for iptables-legacy)";
	const char *module = "is nf_conntrack loaded (modprobe nf_conntrack)?";
	const char *report = "the kernel sent something ctsweep does not "
			     "understand; please report it with 'nft "
			     "--debug=netlink list ruleset'";

	(void)state;
	assert_string_equal(cmd_hint(-EPERM), root);
	assert_string_equal(cmd_hint(-EACCES), root);
	assert_string_equal(cmd_hint(-EPROTONOSUPPORT), module);
	assert_string_equal(cmd_hint(-ENOENT), module);
	assert_string_equal(cmd_hint(-EAGAIN),
			    "the rules are being changed; try again");
	assert_string_equal(cmd_hint(-EBADMSG), report);
	assert_string_equal(cmd_hint(-EPROTO), report);
	assert_string_equal(cmd_hint(-ENOMEM), "nothing was deleted");
	assert_string_equal(cmd_hint(0), "nothing was deleted");
}

static char *report_error(const char *cmd, const char *what, int ret)
{
	struct capture c;

	cap_start(&c, STDERR_FILENO);
	cmd_report_error(cmd, what, ret);
	return cap_end(&c);
}

static void test_report_error(void **state)
{
	char *e;

	(void)state;
	e = report_error("status", "conntrack", -EPERM);
	assert_string_equal(e, "ctsweep: status: cannot read conntrack: "
			    "Operation not permitted; run as root, or with "
			    "CAP_NET_ADMIN (and CAP_NET_RAW for "
			    "iptables-legacy)\n");
	free(e);
	e = report_error("sweep", NULL, -ENOENT);
	assert_string_equal(e, "ctsweep: sweep: cannot read the kernel state: "
			    "No such file or directory; is nf_conntrack "
			    "loaded (modprobe nf_conntrack)?\n");
	free(e);
	e = report_error("watch", "nftables notifications", -ENOMEM);
	assert_string_equal(e, "ctsweep: watch: cannot read nftables "
			    "notifications: Cannot allocate memory; nothing "
			    "was deleted\n");
	free(e);
}

/* ---- which reports cmd_output prints ---- */

/* One flow no rule touches, judged consistent (status -v keeps those). */
static void one_flow_scan(struct scan *s)
{
	memset(s, 0, sizeof(*s));
	s->recs = mk_check(calloc(1, sizeof(*s->recs)));
	s->recs[0].f = mk_flow(IPPROTO_UDP, "198.51.100.7", 40000,
			       "203.0.113.1", 53, "203.0.113.1", 53,
			       "198.51.100.7", 40000);
	s->nrecs = s->cap = 1;
	s->judged = s->consistent = 1;
}

static char *output(const struct scan *s, bool json, bool dry_run,
		    int verbose, const char *cmd)
{
	struct opts o;
	struct capture c;

	cmd_defaults(&o);
	o.json = json;
	o.dry_run = dry_run;
	o.verbose = verbose;
	cap_start(&c, STDOUT_FILENO);
	cmd_output(s, &o, cmd);
	return cap_end(&c);
}

#define HEADER "PROTO  ORIGINAL"
#define ROW "udp    198.51.100.7:40000 > 203.0.113.1:53  no nat  no nat  " \
	    "consistent\n"

static void test_output(void **state)
{
	struct scan s;
	char *t;

	(void)state;
	one_flow_scan(&s);
	/* status: the table, then the summary */
	t = output(&s, false, false, 0, "status");
	assert_int_equal(strncmp(t, HEADER, strlen(HEADER)), 0);
	assert_non_null(strstr(t, "\n" ROW "0 stale flows; 0 unknown (kept); "
			       "1 consistent; 1 judged\n"));
	assert_null(strstr(t, "rule: "));
	free(t);
	/* -v adds the deciding rule (none here) */
	t = output(&s, false, false, 1, "status");
	assert_non_null(strstr(t, ROW "       rule: -\n"));
	free(t);
	/* sweep: the counts only, unless -v or --dry-run */
	t = output(&s, false, false, 0, "sweep");
	assert_string_equal(t, "deleted 0 stale flows; 0 unknown (kept); "
			    "1 consistent; 1 judged\n");
	free(t);
	t = output(&s, false, true, 0, "sweep");
	assert_int_equal(strncmp(t, HEADER, strlen(HEADER)), 0);
	assert_non_null(strstr(t, "\n" ROW "0 stale flows (dry run: nothing "
			       "deleted); 0 unknown (kept); 1 consistent; "
			       "1 judged\n"));
	free(t);
	t = output(&s, false, false, 1, "sweep");
	assert_int_equal(strncmp(t, HEADER, strlen(HEADER)), 0);
	free(t);
	/* --json: the document alone, whatever else was asked */
	t = output(&s, true, true, 1, "sweep");
	assert_int_equal(strncmp(t, "{\"ctsweep\":\"", 12), 0);
	assert_non_null(strstr(t, "\"command\":\"sweep\",\"dry_run\":true,"));
	assert_null(strstr(t, HEADER));
	assert_null(strstr(t, "stale flows"));
	assert_non_null(strstr(t, "\"unknown_by_cause\":{}}}\n"));
	assert_string_equal(strstr(t, "}}}\n"), "}}}\n");
	free(t);
	free(s.recs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_unknown_partial),
		cmocka_unit_test(test_unknown_global),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_no_value),
		cmocka_unit_test(test_globals),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_usage_width),
		cmocka_unit_test(test_docs),
		cmocka_unit_test(test_completion),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_hint),
		cmocka_unit_test(test_report_error),
		cmocka_unit_test(test_output),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
