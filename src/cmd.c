// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd.c - what the subcommands share: option parsing, turning a failed
 * scan into one message that says what failed and what to do.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "log.h"
#include "scan.h"
#include "report.h"

static bool allowed(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	/* "--" alone: strstr() would find "" at the same place forever; a
	 * name with '|' would match several list entries at once. */
	if (!n || strchr(name, '|'))
		return false;
	while ((p = strstr(p, name))) {
		if ((p == list || p[-1] == '|') && (p[n] == '|' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

/* "json|tcp" -> "--json, --tcp" */
static void list_options(char *buf, size_t len, const char *list)
{
	const char *p = list;
	size_t n = 0;

	buf[0] = '\0';
	while (*p && n < len) {
		size_t w = strcspn(p, "|");
		bool v = w && p[w - 1] == '=';

		n += snprintf(buf + n, len - n, "%s--%.*s%s", n ? ", " : "",
			      (int)(w - v), p, v ? " MS" : "");
		p += w + (p[w] == '|');
	}
}

/* A whole number of milliseconds for a --name=value option. */
static int ms_arg(const char *cmd, const char *name, const char *val,
		  long *out)
{
	char *end;
	long v;

	if (!val || !*val) {
		log_err("%s: option '--%s' needs a number of milliseconds (see "
		    "'ctsweep --help')", cmd, name);
		return -EINVAL;
	}
	errno = 0;
	v = strtol(val, &end, 10);
	if (errno || *end || v < 0 || v > 60000) {
		log_err("%s: '--%s %s': expected milliseconds from 0 to 60000",
		    cmd, name, val);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int cmd_parse_opts(const char *cmd, int argc, char **argv,
		   const char *list, struct opts *o)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		char name[32], valued[34];

		snprintf(name, sizeof(name), "%s", a + (strncmp(a, "--", 2) ?
							0 : 2));
		if (strchr(name, '=')) {
			*strchr(name, '=') = '\0';
			val = strchr(a, '=') + 1;
		}
		snprintf(valued, sizeof(valued), "%s=", name);
		if (strncmp(a, "--", 2) ||
		    !(allowed(list, valued) || (!val && allowed(list, name)))) {
			char names[160];

			list_options(names, sizeof(names), list);
			log_err("%s: unknown option '%s' (options: %s; see "
			    "'ctsweep --help')", cmd, a, names);
			return -EINVAL;
		}
		if (!strcmp(name, "json")) {
			o->json = true;
		} else if (!strcmp(name, "dry-run")) {
			o->dry_run = true;
		} else if (!strcmp(name, "tcp")) {
			o->tcp = true;
		} else if (!strcmp(name, "flush")) {
			o->flush = true;
		} else if (!strcmp(name, "settle")) {
			if (!val && i + 1 < argc)
				val = argv[++i];
			if (ms_arg(cmd, name, val, &o->settle_ms))
				return -EINVAL;
		}
	}
	return 0;
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

int cmd_scan(const char *cmd, struct scan *s, const struct opts *o)
{
	int ret;

	s->tcp = o->tcp;
	s->keep_all = o->verbose > 0;
	ret = scan_init(s);
	if (ret) {
		cmd_report_error(cmd, "conntrack", ret);
		return ret;
	}
	ret = scan_load(s);
	if (!ret)
		ret = scan_run(s);
	if (ret)
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
