// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for cmd.c: the subcommands' option parsing, every message it
 * reports (word for word, with the user's input quoted and made
 * printable), the hints after a failed read, and which reports
 * cmd_output prints for which options.
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
#include <cmocka.h>
#include "mkmodel.h"
#include "cmd.h"
#include "scan.h"

/* The lists status and sweep pass (status.c, sweep.c). */
#define STATUS_OPTS	"json|tcp"
#define SWEEP_OPTS	"json|tcp|dry-run|settle="
#define HELP		"see 'ctsweep --help'"
#define STATUS_LIST	"--json, --tcp"
#define SWEEP_LIST	"--json, --tcp, --dry-run, --settle MS"

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

static void init_opts(struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->settle_ms = -1;
}

struct parsed {
	int ret;
	char *err;	/* stderr */
	struct opts o;
};

/* Parse "cmd ARGS..." (NULL-terminated) with the option list @list. */
static struct parsed parse(const char *cmd, const char *list, ...)
{
	struct parsed p;
	struct capture c;
	char *argv[16];
	int argc = 0;
	va_list ap;

	argv[argc++] = (char *)cmd;
	va_start(ap, list);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	init_opts(&p.o);
	cap_start(&c, STDERR_FILENO);
	p.ret = cmd_parse_opts(cmd, argc, argv, list, &p.o);
	p.err = cap_end(&c);
	return p;
}

/* ---- options that parse ---- */

static void test_parse_ok(void **state)
{
	struct parsed p;

	(void)state;
	p = parse("status", STATUS_OPTS, NULL);
	assert_int_equal(p.ret, 0);
	assert_string_equal(p.err, "");
	assert_false(p.o.json || p.o.tcp || p.o.dry_run);
	assert_int_equal(p.o.settle_ms, -1);
	free(p.err);

	p = parse("status", STATUS_OPTS, "--json", "--tcp", "--json", NULL);
	assert_int_equal(p.ret, 0);
	assert_string_equal(p.err, "");
	assert_true(p.o.json);
	assert_true(p.o.tcp);
	assert_false(p.o.dry_run);
	free(p.err);

	p = parse("sweep", SWEEP_OPTS, "--dry-run", "--settle=250", NULL);
	assert_int_equal(p.ret, 0);
	assert_string_equal(p.err, "");
	assert_true(p.o.dry_run);
	assert_false(p.o.json);
	assert_int_equal(p.o.settle_ms, 250);
	free(p.err);

	/* the value as the next word, and the bounds */
	p = parse("sweep", SWEEP_OPTS, "--settle", "500", "--tcp", NULL);
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.o.settle_ms, 500);
	assert_true(p.o.tcp);
	free(p.err);
	p = parse("sweep", SWEEP_OPTS, "--settle=0", NULL);
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.o.settle_ms, 0);
	free(p.err);
	p = parse("sweep", SWEEP_OPTS, "--settle", "60000", NULL);
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.o.settle_ms, 60000);
	assert_string_equal(p.err, "");
	free(p.err);
}

/* ---- unknown options ---- */

static void assert_unknown(struct parsed p, const char *cmd,
			   const char *word, const char *list)
{
	char exp[512];

	snprintf(exp, sizeof(exp), "ctsweep: %s: unknown option '%s' "
		 "(options: %s; " HELP ")\n", cmd, word, list);
	assert_int_equal(p.ret, -EINVAL);
	assert_string_equal(p.err, exp);
	free(p.err);
}

static void test_unknown(void **state)
{
	(void)state;
	/* an option of another command */
	assert_unknown(parse("status", STATUS_OPTS, "--dry-run", NULL),
		       "status", "--dry-run", STATUS_LIST);
	assert_unknown(parse("status", STATUS_OPTS, "--settle=5", NULL),
		       "status", "--settle=5", STATUS_LIST);
	/* short options, bare words, "--" alone */
	assert_unknown(parse("sweep", SWEEP_OPTS, "-n", NULL), "sweep", "-n",
		       SWEEP_LIST);
	assert_unknown(parse("sweep", SWEEP_OPTS, "json", NULL), "sweep",
		       "json", SWEEP_LIST);
	assert_unknown(parse("sweep", SWEEP_OPTS, "--", NULL), "sweep", "--",
		       SWEEP_LIST);
	assert_unknown(parse("sweep", SWEEP_OPTS, "-", NULL), "sweep", "-",
		       SWEEP_LIST);
	/* no prefixes, no longer names, no values for flags */
	assert_unknown(parse("sweep", SWEEP_OPTS, "--dry", NULL), "sweep",
		       "--dry", SWEEP_LIST);
	assert_unknown(parse("sweep", SWEEP_OPTS, "--jsonx", NULL), "sweep",
		       "--jsonx", SWEEP_LIST);
	assert_unknown(parse("sweep", SWEEP_OPTS, "--run", NULL), "sweep",
		       "--run", SWEEP_LIST);
	assert_unknown(parse("sweep", SWEEP_OPTS, "--json=1", NULL), "sweep",
		       "--json=1", SWEEP_LIST);
	assert_unknown(parse("sweep", SWEEP_OPTS, "--tcp=", NULL), "sweep",
		       "--tcp=", SWEEP_LIST);
	assert_unknown(parse("sweep", SWEEP_OPTS, "--settle5", NULL), "sweep",
		       "--settle5", SWEEP_LIST);
	assert_unknown(parse("sweep", SWEEP_OPTS, "--=5", NULL), "sweep",
		       "--=5", SWEEP_LIST);
	/* the list's separator is not part of a name */
	assert_unknown(parse("sweep", SWEEP_OPTS, "--json|tcp", NULL),
		       "sweep", "--json|tcp", SWEEP_LIST);
	assert_unknown(parse("sweep", SWEEP_OPTS, "--tcp|dry-run", NULL),
		       "sweep", "--tcp|dry-run", SWEEP_LIST);
	/* the first bad word stops the parse, after the good ones */
	assert_unknown(parse("sweep", SWEEP_OPTS, "--json", "--bogus",
			     "--tcp", NULL), "sweep", "--bogus", SWEEP_LIST);
	/* a long word is quoted whole; control characters become '?' */
	assert_unknown(parse("status", STATUS_OPTS,
			     "--a-very-long-option-name-of-forty-chars", NULL),
		       "status", "--a-very-long-option-name-of-forty-chars",
		       STATUS_LIST);
	assert_unknown(parse("status", STATUS_OPTS, "--js\non\x1b[2J", NULL),
		       "status", "--js?on?[2J", STATUS_LIST);
}

/* What the parse did before the bad word stays done; what follows is not
 * looked at. */
static void test_unknown_partial(void **state)
{
	struct parsed p;

	(void)state;
	p = parse("sweep", SWEEP_OPTS, "--json", "--bogus", "--tcp", NULL);
	assert_int_equal(p.ret, -EINVAL);
	assert_true(p.o.json);
	assert_false(p.o.tcp);
	free(p.err);
}

/* ---- --settle's value ---- */

static void assert_ms_missing(struct parsed p)
{
	assert_int_equal(p.ret, -EINVAL);
	assert_string_equal(p.err, "ctsweep: sweep: option '--settle' needs a "
			    "number of milliseconds (" HELP ")\n");
	assert_int_equal(p.o.settle_ms, -1);
	free(p.err);
}

static void assert_ms_bad(struct parsed p, const char *val)
{
	char exp[256];

	snprintf(exp, sizeof(exp), "ctsweep: sweep: '--settle %s': expected "
		 "milliseconds from 0 to 60000\n", val);
	assert_int_equal(p.ret, -EINVAL);
	assert_string_equal(p.err, exp);
	assert_int_equal(p.o.settle_ms, -1);
	free(p.err);
}

static void test_settle(void **state)
{
	(void)state;
	assert_ms_missing(parse("sweep", SWEEP_OPTS, "--settle", NULL));
	assert_ms_missing(parse("sweep", SWEEP_OPTS, "--settle=", NULL));
	assert_ms_missing(parse("sweep", SWEEP_OPTS, "--json", "--settle",
				NULL));
	assert_ms_bad(parse("sweep", SWEEP_OPTS, "--settle=abc", NULL), "abc");
	assert_ms_bad(parse("sweep", SWEEP_OPTS, "--settle", "12ms", NULL),
		      "12ms");
	assert_ms_bad(parse("sweep", SWEEP_OPTS, "--settle=1.5", NULL), "1.5");
	assert_ms_bad(parse("sweep", SWEEP_OPTS, "--settle=-1", NULL), "-1");
	assert_ms_bad(parse("sweep", SWEEP_OPTS, "--settle=60001", NULL),
		      "60001");
	/* beyond long: ERANGE, not a wrapped number */
	assert_ms_bad(parse("sweep", SWEEP_OPTS, "--settle",
			    "99999999999999999999", NULL),
		      "99999999999999999999");
	/* the next word is taken as the value, even an option */
	assert_ms_bad(parse("sweep", SWEEP_OPTS, "--settle", "--json", NULL),
		      "--json");
	/* the value is what follows the first '=' */
	assert_ms_bad(parse("sweep", SWEEP_OPTS, "--settle==5", NULL), "=5");
	/* the value is quoted printable too */
	assert_ms_bad(parse("sweep", SWEEP_OPTS, "--settle=5\n6", NULL), "5?6");
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

	init_opts(&o);
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
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_unknown_partial),
		cmocka_unit_test(test_settle),
		cmocka_unit_test(test_hint),
		cmocka_unit_test(test_report_error),
		cmocka_unit_test(test_output),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
