// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * log.c - diagnostics.  A daemon under systemd or procd writes to stderr;
 * the "<N>" prefix (sd-daemon(3)) lets journald and procd keep the priority
 * without a syslog connection.  On a terminal the prefix would be noise.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "log.h"

int log_verbose;
static const char *log_prog = "ctsweep";
static int log_prefix;

void log_init(const char *prog)
{
	if (prog)
		log_prog = prog;
}

/* Only the daemon prefixes: a one-shot command's stderr is read by people
 * and scripts, not by a log collector. */
void log_daemon(void)
{
	log_prefix = !isatty(STDERR_FILENO);
}

/* One message is one line of printable ASCII.  Messages quote what came
 * from outside (chain, table and set names in watch's "what changed",
 * names from the command line), and a newline there would let a rule
 * name forge a whole log line, priority prefix included; an escape
 * sequence would reach the admin's terminal.  So every byte outside
 * 0x20..0x7e becomes '?', here, for every message. */
static void log_clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

void log_msg(int prio, const char *fmt, ...)
{
	char buf[2048], *msg = buf, *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0) {
		buf[0] = 0;
	} else if ((size_t)n >= sizeof(buf)) {
		big = malloc((size_t)n + 1);
		if (big) {
			va_start(ap, fmt);
			vsnprintf(big, (size_t)n + 1, fmt, ap);
			va_end(ap);
			msg = big;
		}
	}
	log_clean(msg);
	if (log_prefix)
		fprintf(stderr, "<%d>", prio);
	fprintf(stderr, "%s: %s\n", log_prog, msg);
	free(big);
}
