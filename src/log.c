// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * log.c - diagnostics.  A daemon under systemd or procd writes to stderr;
 * the "<N>" prefix (sd-daemon(3)) lets journald and procd keep the priority
 * without a syslog connection.  On a terminal the prefix would be noise.
 */
#include <stdarg.h>
#include <stdio.h>
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

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	if (log_prefix)
		fprintf(stderr, "<%d>", prio);
	fprintf(stderr, "%s: ", log_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
