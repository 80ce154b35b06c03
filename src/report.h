/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * report.h - the results of a scan, for people (aligned columns like
 * conntrack -L) and for scripts (one JSON document).
 */
#ifndef CTSWEEP_REPORT_H
#define CTSWEEP_REPORT_H

#include <stdio.h>
#include "scan.h"

struct report_opts {
	const char *command;	/* "status", "sweep" */
	bool dry_run;
	int verbose;
};

/* One JSON document on @f: every record of @s, then the summary (counts
 * by verdict, by reason and unknown flows by cause).  Write errors are
 * @f's (ferror()). */
void report_json(FILE *f, const struct scan *s, const struct report_opts *ro);
/* One aligned line per record of @s on @f, under a header, each with its
 * deciding rule when ro->verbose; nothing at all when @s has none. */
void report_table(FILE *f, const struct scan *s, const struct report_opts *ro);
/* The counts on one line, then the unknown flows by cause, then (status
 * with stale flows) what to run next. */
void report_summary(FILE *f, const struct scan *s,
		    const struct report_opts *ro);

/* "udp", "tcp", else "other": a flow's protocol as people read it. */
const char *fmt_proto(uint8_t proto);

/* Formatting helpers, also for watch's log lines and explain.  Each
 * writes a NUL-terminated string into @buf, cut at @len (snprintf's
 * rules); none fails. */
/* "192.0.2.1", "2001:db8::1" (any @family but AF_INET6 is IPv4); "?"
 * when @len is too short for it. */
void fmt_addr(char *buf, size_t len, uint8_t family, const union addr *a);
/* "192.0.2.1:53", "[2001:db8::1]:53"; @port in network byte order. */
void fmt_endpoint(char *buf, size_t len, uint8_t family, const union addr *a,
		  uint16_t port);
/* A NAT target as nft prints one: "192.0.2.1-192.0.2.9:53-60",
 * "[2001:db8::1]:53", "masquerade", "redirect:8080"; @family is the
 * packet's, for a target that does not name its own. */
void fmt_natspec(char *buf, size_t len, uint8_t family,
		 const struct nm_natspec *n);
/* The NAT targets the rules give (@o), each as fmt_natspec() writes it,
 * joined by @sep; "" when there are none.  The one text of an outcome,
 * for the table and for explain. */
void fmt_outcome(char *buf, size_t len, uint8_t family,
		 const struct nat_outcome *o, const char *sep);
/* The same targets on @f as a JSON array of strings. */
void fmt_json_outcome(FILE *f, uint8_t family, const struct nat_outcome *o);
/* Where a rule is, for people: "table ip nat chain pre handle 4 comment
 * \"...\"", "iptables-legacy -t nat chain PRE rule 2"; "nat chain pre
 * policy" when @rule is outside the chain, "-" when @chain is outside
 * @m.  Names and comment pass fmt_sanitize(). */
void fmt_rule(char *buf, size_t len, const struct nm_model *m, int chain,
	      int rule);
/* Text from the rules, for people: printable ASCII, '"' and '\\'
 * escaped, cut at @len. */
void fmt_sanitize(char *dst, size_t len, const char *src);

#endif
