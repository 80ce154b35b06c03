// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd.c - what the subcommands share: the commands and their options as
 * tables (parsing, the usage text and every message about a bad option
 * are made from them), and turning a failed scan into one message that
 * says what failed and what to do.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "clock.h"
#include "cmd.h"
#include "log.h"
#include "scan.h"
#include "report.h"

#define F(field)	offsetof(struct opts, field)

const struct cmd cmds[] = {
	{
		.name = "status", .bit = CMD_STATUS, .fn = cmd_status,
		.summary = "List flows the current rules would NAT differently",
	},
	{
		.name = "sweep", .bit = CMD_SWEEP, .fn = cmd_sweep,
		.summary = "Delete exactly those flows",
	},
	{
		.name = "watch", .bit = CMD_WATCH, .fn = cmd_watch,
		.summary = "Stay in the foreground and sweep on every rule "
			   "change",
	},
	{
		.name = "explain", .bit = CMD_EXPLAIN, .fn = cmd_explain,
		.operands = "[PROTO SRC[:PORT] DST[:PORT]]", .max_operands = 3,
		.summary = "Show where a new flow of that tuple goes, rule by "
			   "rule, or an existing entry and its verdict",
	},
};
const size_t cmd_ncmds = sizeof(cmds) / sizeof(cmds[0]);

/* Fields left out are 0 or NULL: no letter, no value in the usage text
 * or messages, and .help NULL hides an option (the tests' own). */
const struct cmd_opt cmd_opts[] = {
	{
		.name = "netns", .type = CO_STR, .cmds = CMD_GLOBAL,
		.off = F(netns), .arg = "NAME", .what = "a namespace name",
		.help = "work in network namespace NAME (/run/netns/NAME, as "
			"'ip netns list' shows)",
	},
	{
		.name = "verbose", .letter = 'v', .type = CO_COUNT,
		.cmds = CMD_GLOBAL, .off = F(verbose),
		.help = "show every flow and the rule behind each verdict",
	},
	{
		.name = "help", .letter = 'h', .type = CO_FLAG,
		.cmds = CMD_GLOBAL, .off = F(help),
		.help = "this help; after a command, that command's",
	},
	{
		.name = "version", .type = CO_FLAG, .cmds = CMD_GLOBAL,
		.off = F(version), .help = "print the version",
	},
	{
		.name = "json", .type = CO_FLAG,
		.cmds = CMD_STATUS | CMD_SWEEP | CMD_EXPLAIN, .off = F(json),
		.help = "one JSON document on stdout",
	},
	{
		.name = "dry-run", .type = CO_FLAG,
		.cmds = CMD_SWEEP | CMD_WATCH, .off = F(dry_run),
		.help = "report what would be deleted, delete nothing",
	},
	{
		.name = "flush", .type = CO_FLAG, .cmds = CMD_SWEEP,
		.off = F(flush),
		.help = "delete each class of stale forwards that is stale as "
			"a whole with one filtered flush (kernel 6.12), also "
			"where deleting them one by one would cost less; exact "
			"either way",
	},
	{
		.name = "tcp", .type = CO_FLAG,
		.cmds = CMD_STATUS | CMD_SWEEP | CMD_WATCH, .off = F(tcp),
		.help = "also judge TCP flows (UDP only otherwise)",
	},
	/* The default: long enough for a backend's reply that was on its
	 * way when its flow was deleted (a LAN round trip plus a busy
	 * host's scheduling), short enough not to be noticed.  The wait
	 * ends early once every swept forward is back the right way. */
	{
		.name = "settle", .type = CO_LONG, .cmds = CMD_SWEEP,
		.off = F(settle_ms), .arg = "MS",
		.what = "a number of milliseconds",
		.min = 0, .max = 60000, .def = 100,
		.help = "after deleting, wait up to MS ms for old backends' "
			"late replies that re-create a forward backwards, and "
			"delete those; ends early once the forwards are back",
	},
	{
		.name = "resync", .type = CO_LONG, .cmds = CMD_WATCH,
		.off = F(resync_s), .arg = "SECONDS",
		.what = "a number of seconds",
		.min = 0, .max = 86400 * 7, .def = 60,
		.help = "a full reconcile every SECONDS; 0: off",
	},
	{
		.name = "refill", .type = CO_LONG, .cmds = CMD_WATCH,
		.off = F(refill_s), .arg = "SECONDS",
		.what = "a number of seconds",
		.min = 0, .max = 86400 * 7, .def = 600,
		.help = "on a periodic resync, refill the flow index from a "
			"conntrack dump at most every SECONDS; 0: only at "
			"start, on SIGHUP and after lost events",
	},
	{
		.name = "legacy-poll", .type = CO_LONG, .cmds = CMD_WATCH,
		.off = F(legacy_poll_ms), .arg = "MS",
		.what = "a number of milliseconds",
		.min = 0, .max = 3600000, .def = 50,
		.help = "look for iptables-legacy changes every MS ms (at most "
			"once a second while there is no legacy table); 0: off",
	},
	{
		.name = "stats", .type = CO_STR, .cmds = CMD_WATCH,
		.off = F(stats), .arg = "FILE",
		.what = "a file name (e.g. /var/lib/node_exporter/ctsweep.prom)",
		.help = "write counters to FILE as a Prometheus text file",
	},
	{
		.name = "listen", .type = CO_STR, .cmds = CMD_WATCH,
		.off = F(listen), .arg = "IP:PORT",
		.what = "an address and port (e.g. 127.0.0.1:10259 or "
			"[::1]:10259)",
		.help = "serve /metrics and /healthz over HTTP on IP:PORT; off "
			"unless given",
	},
	{
		.name = "no-index", .type = CO_FLAG, .cmds = CMD_WATCH,
		.off = F(no_index),
		.help = "walk the conntrack table on each change instead of "
			"keeping a flow index from conntrack events",
	},
	/* The tests' own: a tiny socket buffer forces lost events. */
	{
		.name = "rcvbuf", .type = CO_LONG, .cmds = CMD_WATCH,
		.off = F(rcvbuf), .arg = "BYTES", .what = "a number of bytes",
		.min = 0, .max = INT_MAX, .def = 0,
	},
	/* The tests' own: /healthz's bound on a loop that stopped turning
	 * (HTTPD_STALL_US is the default), short enough to cross in a
	 * test. */
	{
		.name = "stall", .type = CO_LONG, .cmds = CMD_WATCH,
		.off = F(stall_s), .arg = "SECONDS",
		.what = "a number of seconds",
		.min = 1, .max = 3600, .def = 60,
	},
	{
		.name = "iif", .type = CO_STR, .cmds = CMD_EXPLAIN,
		.off = F(iif), .arg = "NAME", .what = "an interface name",
		.help = "the packet arrives on interface NAME (otherwise the "
			"one the route back to the source leaves by)",
	},
	{
		.name = "flow", .type = CO_FLAG, .cmds = CMD_EXPLAIN,
		.off = F(flow),
		.help = "the existing conntrack entry of that tuple, with its "
			"verdict",
	},
	{
		.name = "id", .type = CO_I64, .cmds = CMD_EXPLAIN,
		.off = F(id), .arg = "ID", .what = "a conntrack id",
		.min = 0, .max = UINT32_MAX, .def = -1,
		.help = "the existing conntrack entry with this id (as "
			"'conntrack -L -o id' prints it), instead of a tuple",
	},
};
const size_t cmd_nopts = sizeof(cmd_opts) / sizeof(cmd_opts[0]);

#undef F

const struct cmd *cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < cmd_ncmds; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

/* ---- the options' fields ---- */

static void *field(struct opts *o, const struct cmd_opt *d)
{
	return (char *)o + d->off;
}

static bool is_num(const struct cmd_opt *d)
{
	return d->type == CO_LONG || d->type == CO_I64;
}

static bool takes_value(const struct cmd_opt *d)
{
	return is_num(d) || d->type == CO_STR;
}

static void set_num(struct opts *o, const struct cmd_opt *d, int64_t v)
{
	if (d->type == CO_LONG)
		*(long *)field(o, d) = (long)v;
	else
		*(int64_t *)field(o, d) = v;
}

static void set_flag(struct opts *o, const struct cmd_opt *d)
{
	if (d->type == CO_COUNT)
		(*(int *)field(o, d))++;
	else
		*(bool *)field(o, d) = true;
}

void cmd_defaults(struct opts *o)
{
	size_t i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < cmd_nopts; i++)
		if (is_num(&cmd_opts[i]))
			set_num(o, &cmd_opts[i], cmd_opts[i].def);
}

/* The option of @bit named @name (its first @n bytes), or NULL. */
static const struct cmd_opt *find_long(unsigned int bit, const char *name,
				       size_t n)
{
	size_t i;

	for (i = 0; i < cmd_nopts; i++)
		if ((cmd_opts[i].cmds & bit) && strlen(cmd_opts[i].name) == n &&
		    !strncmp(cmd_opts[i].name, name, n))
			return &cmd_opts[i];
	return NULL;
}

static const struct cmd_opt *find_letter(unsigned int bit, char l)
{
	size_t i;

	for (i = 0; i < cmd_nopts; i++)
		if ((cmd_opts[i].cmds & bit) && cmd_opts[i].letter == l)
			return &cmd_opts[i];
	return NULL;
}

/* ---- messages ---- */

/* "--settle MS", "-v, --verbose" */
static void opt_name(char *buf, size_t len, const struct cmd_opt *d)
{
	char l[8] = "";

	if (d->letter)
		snprintf(l, sizeof(l), "-%c, ", d->letter);
	snprintf(buf, len, "%s--%s%s%s", l, d->name, d->arg ? " " : "",
		 d->arg ? d->arg : "");
}

/* Hidden options are taken but not offered. */
static bool listed(const struct cmd_opt *d, unsigned int bits)
{
	return (d->cmds & bits) && d->help;
}

/* "--json, --tcp, --settle MS" */
static void list_opts(char *buf, size_t len, unsigned int bit)
{
	char name[48];
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < cmd_nopts && n < len; i++) {
		if (!listed(&cmd_opts[i], bit))
			continue;
		opt_name(name, sizeof(name), &cmd_opts[i]);
		n += snprintf(buf + n, len - n, "%s%s", n ? ", " : "", name);
	}
}

/* Every message about the command line starts with the command (none
 * before it) and ends by pointing at the usage text that applies. */
struct msg {
	char pre[16], see[48];
};

static void msg_init(struct msg *m, const struct cmd *c)
{
	snprintf(m->pre, sizeof(m->pre), "%s%s", c ? c->name : "",
		 c ? ": " : "");
	snprintf(m->see, sizeof(m->see), "see 'ctsweep%s%s --help'",
		 c ? " " : "", c ? c->name : "");
}

/* "status, sweep, watch, explain" */
static void list_cmds(char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < cmd_ncmds && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
			      cmds[i].name);
}

void cmd_report_unknown(const struct cmd *c, const char *word)
{
	char names[256];
	struct msg m;

	msg_init(&m, c);
	if (!c && word[0] != '-') {
		list_cmds(names, sizeof(names));
		log_err("unknown command '%s' (commands: %s; %s)", word, names,
		    m.see);
		return;
	}
	list_opts(names, sizeof(names), c ? c->bit : CMD_GLOBAL);
	log_err("%s%s '%s' (options%s: %s; %s)", m.pre, word[0] == '-' ?
	    "unknown option" : "unexpected argument", word,
	    c ? "" : " before the command", names, m.see);
}

void cmd_report_operands(const struct cmd *c, const char *what)
{
	struct msg m;

	msg_init(&m, c);
	log_err("%s%s (%s)", m.pre, what, m.see);
}

/* ---- parsing ---- */

static int take_value(const struct cmd *c, const struct cmd_opt *d,
		      const char *val, struct opts *o)
{
	struct msg m;
	long long v;
	char *end;

	msg_init(&m, c);
	if (!val || !*val) {
		log_err("%soption '--%s' needs %s (%s)", m.pre, d->name,
		    d->what, m.see);
		return -EINVAL;
	}
	if (d->type == CO_STR) {
		*(const char **)field(o, d) = val;
		return 0;
	}
	errno = 0;
	v = strtoll(val, &end, 10);
	if (errno || *end || v < d->min || v > d->max) {
		log_err("%s'--%s %s': expected %s from %lld to %lld (%s)",
		    m.pre, d->name, val, d->what, (long long)d->min,
		    (long long)d->max, m.see);
		return -EINVAL;
	}
	set_num(o, d, v);
	return 0;
}

/* argv[*i] is "--name" or "--name=value"; a value may be the next word.
 * 1: taken, 0: no option of @bit, -EINVAL: reported. */
static int take_long(const struct cmd *c, unsigned int bit, int argc,
		     char **argv, int *i, struct opts *o)
{
	const char *a = argv[*i] + 2, *eq = strchr(a, '=');
	const struct cmd_opt *d = find_long(bit, a, eq ? (size_t)(eq - a) :
					    strlen(a));
	struct msg m;

	if (!d)
		return 0;
	if (!takes_value(d)) {
		if (eq) {
			msg_init(&m, c);
			log_err("%s'%s': option '--%s' takes no value (%s)",
			    m.pre, argv[*i], d->name, m.see);
			return -EINVAL;
		}
		set_flag(o, d);
		return 1;
	}
	if (!eq && *i + 1 < argc)
		return take_value(c, d, argv[++*i], o) ? -EINVAL : 1;
	return take_value(c, d, eq ? eq + 1 : NULL, o) ? -EINVAL : 1;
}

/* "-v", "-vv", "-hv": when every letter is a global flag. */
static bool take_letters(const char *a, struct opts *o)
{
	const struct cmd_opt *d;
	const char *p;

	if (a[0] != '-' || !a[1] || a[1] == '-')
		return false;
	for (p = a + 1; *p; p++) {
		d = find_letter(CMD_GLOBAL, *p);
		if (!d || takes_value(d))
			return false;
	}
	for (p = a + 1; *p; p++)
		set_flag(o, find_letter(CMD_GLOBAL, *p));
	return true;
}

int cmd_take_globals(int *argc, char **argv, struct opts *o)
{
	int i, n = 1, ret;

	for (i = 1; i < *argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			/* the end of global options: the rest is the
			 * command's, without the "--" itself */
			while (++i < *argc)
				argv[n++] = argv[i];
			break;
		}
		if (!strncmp(a, "--", 2))
			ret = take_long(NULL, CMD_GLOBAL, *argc, argv, &i, o);
		else
			ret = take_letters(a, o);
		if (ret < 0)
			return ret;
		if (!ret)
			argv[n++] = argv[i];
	}
	*argc = n;
	argv[n] = NULL;
	return 0;
}

int cmd_parse_opts(const struct cmd *c, int argc, char **argv,
		   struct opts *o)
{
	int i, n = 0, ret;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-' && n < c->max_operands) {
			argv[1 + n++] = argv[i];
			continue;
		}
		ret = strncmp(a, "--", 2) ? 0 :
		      take_long(c, c->bit, argc, argv, &i, o);
		if (ret < 0)
			return ret;
		if (!ret) {
			cmd_report_unknown(c, a);
			return -EINVAL;
		}
	}
	argv[1 + n] = NULL;
	return n;
}

/* ---- usage ---- */

#define WIDTH		79
#define HELP_COL	20	/* where an option's help starts */

/* Words onto lines of at most WIDTH columns (unless one word is wider),
 * continued at @indent. */
struct col {
	FILE *f;
	int at, indent;
};

static void put_word(struct col *c, const char *w, int len)
{
	if (c->at > c->indent && c->at + 1 + len > WIDTH) {
		fprintf(c->f, "\n%*s", c->indent, "");
		c->at = c->indent;
	} else if (c->at > c->indent) {
		fputc(' ', c->f);
		c->at++;
	}
	fprintf(c->f, "%.*s", len, w);
	c->at += len;
}

static void put_words(struct col *c, const char *s)
{
	while (*s) {
		size_t n = strcspn(s, " ");

		if (n)
			put_word(c, s, (int)n);
		s += n + (s[n] == ' ');
	}
}

/* One option and its help; with @bits wider than one command, the
 * commands that take it first ("sweep, watch:"). */
static void put_opt(FILE *f, const struct cmd_opt *d, unsigned int bits)
{
	struct col c = { .f = f, .indent = HELP_COL };
	char b[96];
	size_t i, n = 0;

	opt_name(b, sizeof(b), d);
	c.at = fprintf(f, "  %-*s ", HELP_COL - 3, b);
	for (i = 0; bits & (bits - 1) && i < cmd_ncmds; i++)
		if (d->cmds & cmds[i].bit)
			n++;
	for (i = 0; bits & (bits - 1) && i < cmd_ncmds; i++) {
		if (!(d->cmds & cmds[i].bit))
			continue;
		snprintf(b, sizeof(b), "%s%s", cmds[i].name, --n ? "," : ":");
		put_words(&c, b);
	}
	put_words(&c, d->help);
	if (is_num(d) && d->def >= d->min && d->def <= d->max) {
		snprintf(b, sizeof(b), "(%lld to %lld; default %lld)",
			 (long long)d->min, (long long)d->max,
			 (long long)d->def);
		put_words(&c, b);
	}
	fputc('\n', f);
}

static void put_opts(FILE *f, const char *title, unsigned int bits)
{
	size_t i;

	fprintf(f, "\n%s:\n", title);
	for (i = 0; i < cmd_nopts; i++)
		if (listed(&cmd_opts[i], bits))
			put_opt(f, &cmd_opts[i], bits);
}

static void put_synopsis(FILE *f, const struct cmd *c)
{
	struct col col = { .f = f, .indent = 7 };
	char name[48], w[52];
	size_t i;

	col.at = fprintf(f, "Usage: ctsweep [GLOBAL OPTIONS] %s",
			 c ? c->name : "COMMAND [OPTIONS]");
	for (i = 0; c && i < cmd_nopts; i++) {
		if (!listed(&cmd_opts[i], c->bit))
			continue;
		opt_name(name, sizeof(name), &cmd_opts[i]);
		snprintf(w, sizeof(w), "[%s]", name);
		put_word(&col, w, (int)strlen(w));
	}
	if (c && c->operands)
		put_word(&col, c->operands, (int)strlen(c->operands));
	fputc('\n', f);
}

static void put_commands(FILE *f)
{
	size_t i;

	fprintf(f, "\nCommands:\n");
	for (i = 0; i < cmd_ncmds; i++) {
		struct col c = { .f = f, .indent = 11 };

		c.at = fprintf(f, "  %-8s ", cmds[i].name);
		put_words(&c, cmds[i].summary);
		fputc('\n', f);
	}
}

void cmd_usage(FILE *f, const struct cmd *c)
{
	unsigned int all = 0;
	size_t i;

	put_synopsis(f, c);
	if (c) {
		struct col col = { .f = f };

		fputc('\n', f);
		put_words(&col, c->summary);
		fprintf(f, ".\n");
		put_opts(f, "Options", c->bit);
	} else {
		fprintf(f, "\nKeeps the conntrack table consistent with the "
			"NAT rules: finds the\nflows that the current nftables "
			"or iptables rules would NAT\ndifferently, and deletes "
			"exactly those.\n");
		put_commands(f);
		for (i = 0; i < cmd_ncmds; i++)
			all |= cmds[i].bit;
		put_opts(f, "Options, and the commands that take them", all);
	}
	put_opts(f, "Global options, before or after the command",
		 CMD_GLOBAL);
	fprintf(f, "\nExit status: 0 ok (status: nothing stale), 1 stale "
		"flows found\n(status), 2 error (nothing was deleted).\n"
		"See ctsweep(8).\n");
}

const char *cmd_delete_hint(int err)
{
	if (err == -ENOBUFS)
		return "the kernel's answers were lost, so more may have been "
		       "deleted";
	if (err == -EPERM || err == -EACCES)
		return cmd_hint(err);
	return "'ctsweep status' lists what is left";
}

const char *cmd_hint(int err)
{
	switch (err) {
	case -EPERM:
	case -EACCES:
		return "run as root, or with CAP_NET_ADMIN (and CAP_NET_RAW "
		       "for iptables-legacy)";
	case -EPROTONOSUPPORT:
	case -ENOENT:
		return "is nf_conntrack loaded (modprobe nf_conntrack)?";
	case -EAGAIN:
		return "the rules are being changed; try again";
	case -EBADMSG:
	case -EPROTO:
		return "the kernel sent something ctsweep does not understand; "
		       "please report it with 'nft --debug=netlink list ruleset'";
	default:
		return "nothing was deleted";
	}
}

void cmd_report_error(const char *cmd, const char *what, int ret)
{
	log_err("%s: cannot read %s: %s; %s", cmd, what ? what : "the kernel state",
	    strerror(-ret), cmd_hint(ret));
}

/* A progress line on a terminal, for a pass that takes more than a
 * second (a walk of 10M entries takes tens): which walk, how many flows it
 * returned, of how many in the table, and what became of them. */
struct progress {
	const char *cmd;
	uint64_t t0, last;
	bool shown;
};

#define PROGRESS_AFTER_US	1000000
#define PROGRESS_EVERY_US	200000

static void show_progress(const struct scan *s, void *data)
{
	struct progress *p = data;
	uint64_t now = mono_us();

	if (now - p->t0 < PROGRESS_AFTER_US || now - p->last < PROGRESS_EVERY_US)
		return;
	p->last = now;
	p->shown = true;
	fprintf(stderr, "\r%s: walk %u of %u: %" PRIu64 " flows returned (%"
		PRIu64 " in the table); %zu stale, %zu deleted; %.0f s\033[K",
		p->cmd, s->walk, s->walks, s->returned, s->plan.entries,
		s->stale, s->deleted, (now - p->t0) / 1e6);
	fflush(stderr);
}

int cmd_scan(const char *cmd, struct scan *s, const struct opts *o)
{
	struct progress prog = { .cmd = cmd, .t0 = mono_us() };
	int ret;

	s->tcp = o->tcp;
	s->keep_all = o->verbose > 0;
	ret = scan_init(s);
	if (ret) {
		cmd_report_error(cmd, "conntrack", ret);
		return ret;
	}
	/* nothing when stderr is a file or a pipe: logs stay clean */
	if (isatty(STDERR_FILENO)) {
		s->progress = show_progress;
		s->progress_data = &prog;
	}
	ret = scan_load(s);
	if (!ret)
		ret = scan_run(s);
	s->progress = NULL;
	if (prog.shown)
		fprintf(stderr, "\r\033[K");
	/* after deletes made as it walked, the caller says what failed */
	if (ret && !s->deleted && !s->del_failed)
		cmd_report_error(cmd, s->failed, ret);
	return ret;
}

void cmd_output(const struct scan *s, const struct opts *o, const char *cmd)
{
	struct report_opts ro = {
		.command = cmd, .dry_run = o->dry_run, .verbose = o->verbose,
	};

	if (o->json) {
		report_json(stdout, s, &ro);
		return;
	}
	/* sweep lists flows only when asked: the counts are the news. */
	if (strcmp(cmd, "sweep") || o->verbose || o->dry_run)
		report_table(stdout, s, &ro);
	report_summary(stdout, s, &ro);
}
