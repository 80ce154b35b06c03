/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stats.h - watch's counters, for a Prometheus textfile collector
 * (node_exporter --collector.textfile) and for SIGUSR1.
 */
#ifndef CTSWEEP_STATS_H
#define CTSWEEP_STATS_H

#include <stdint.h>
#include <stdio.h>
#include "judge.h"

enum stats_trigger {
	ST_START, ST_NFT, ST_ROUTE, ST_LEGACY, ST_RESYNC, ST_LOST, ST_HUP,
	ST_RETRY, ST_NEW, ST__MAX
};

struct stats {
	uint64_t reactions[ST__MAX];	/* reconciles, by what set them off */
	uint64_t skipped;		/* no nat-relevant change: no dump */
	uint64_t judged, unknown, stale;
	uint64_t new_stale;		/* stale as they appeared (events) */
	uint64_t deleted[JR__MAX];	/* by reason */
	uint64_t would_delete;		/* --dry-run */
	uint64_t events_lost;		/* ENOBUFS on any socket */
	uint64_t errors;		/* reconciles that failed */
	uint64_t last_us;		/* notification to deletes done */
	uint64_t max_us;
	double last_time;		/* unix time of the last reconcile */
	uint64_t indexed;		/* flows in the flow index now */
	uint64_t index_bytes;
	double start_time;
};

/* The trigger's label in the metrics ("start", "nftables", ...); "?"
 * beyond ST__MAX. */
const char *stats_trigger_str(enum stats_trigger t);
/* Its words in watch's log ("periodic resync", "nftables generation");
 * "?" beyond ST__MAX. */
const char *stats_trigger_text(enum stats_trigger t);
/* Replace @path by the Prometheus text (file_replace()).  0, or -errno
 * with @path left as it was. */
int stats_write(const struct stats *st, const char *path);
/* The Prometheus text into a malloc()ed *@buf of *@len bytes (what
 * stats_write() writes and /metrics serves).  0 or -errno. */
int stats_render(const struct stats *st, char **buf, size_t *len);
/* The Prometheus text on @f; write errors are @f's (ferror()). */
void stats_print(FILE *f, const struct stats *st);
/* One line for the log into @buf, cut at @len. */
void stats_line(char *buf, size_t len, const struct stats *st);

#endif
