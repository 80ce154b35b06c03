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

void report_json(FILE *f, const struct scan *s, const struct report_opts *ro);
void report_table(FILE *f, const struct scan *s, const struct report_opts *ro);
void report_summary(FILE *f, const struct scan *s,
		    const struct report_opts *ro);

/* Formatting helpers, also for watch's log lines. */
void fmt_addr(char *buf, size_t len, uint8_t family, const union addr *a);
void fmt_endpoint(char *buf, size_t len, uint8_t family, const union addr *a,
		  uint16_t port);
void fmt_natspec(char *buf, size_t len, uint8_t family,
		 const struct nm_natspec *n);
void fmt_rule(char *buf, size_t len, const struct nm_model *m, int chain,
	      int rule);
/* Text from the rules, for people: printable ASCII, '"' and '\\'
 * escaped, cut at @len. */
void fmt_sanitize(char *dst, size_t len, const char *src);
/* @s as a JSON string, escaped. */
void fmt_json_str(FILE *f, const char *s);

#endif
