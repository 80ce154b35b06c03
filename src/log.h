/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.h - the only place that writes diagnostics.  Lines go to stderr with
 * a syslog priority prefix ("<3>") in daemon mode when stderr is not a
 * terminal, so that journald and procd keep the level.
 */
#ifndef CTSWEEP_LOG_H
#define CTSWEEP_LOG_H

#include <syslog.h>

extern int log_verbose;

/* The name before every message (@prog NULL: "ctsweep"). */
void log_init(const char *prog);
/* From now on prefix each line with its priority ("<3>") when stderr is
 * not a terminal. */
void log_daemon(void);
/* One line on stderr at syslog priority @prio, every byte outside
 * printable ASCII as '?'.  Never fails (a message too long for memory is
 * cut). */
void log_msg(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Named apart from err(3) and warn(3), and from the usual "err" variable. */
#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_dbg(...)	do { if (log_verbose) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)

#endif
