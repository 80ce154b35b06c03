// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stats.c - watch's counters as a Prometheus text file.  Written to a
 * temporary name and renamed, so a collector never reads half a file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "stats.h"
#include "fileio.h"

static const char *const trigger_names[ST__MAX] = {
	[ST_START] = "start",
	[ST_NFT] = "nftables",
	[ST_ROUTE] = "routes",
	[ST_LEGACY] = "iptables-legacy",
	[ST_RESYNC] = "resync",
	[ST_LOST] = "events-lost",
	[ST_HUP] = "sighup",
	[ST_RETRY] = "retry",
	[ST_NEW] = "new-entries",
};

const char *stats_trigger_str(enum stats_trigger t)
{
	return t < ST__MAX ? trigger_names[t] : "?";
}

static void metric(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP ctsweep_%s %s\n# TYPE ctsweep_%s %s\n", name, help,
		name, type);
}

void stats_print(FILE *f, const struct stats *st)
{
	int i;

	metric(f, "reconciles_total", "counter",
	       "Reconcile passes, by what set them off.");
	for (i = 0; i < ST__MAX; i++)
		fprintf(f, "ctsweep_reconciles_total{trigger=\"%s\"} %" PRIu64
			"\n", stats_trigger_str(i), st->reactions[i]);
	metric(f, "reconciles_skipped_total", "counter",
	       "Notifications after which the nat rules and routes were "
	       "unchanged, so no flow was judged.");
	fprintf(f, "ctsweep_reconciles_skipped_total %" PRIu64 "\n",
		st->skipped);
	metric(f, "flows_judged_total", "counter", "Flows judged.");
	fprintf(f, "ctsweep_flows_judged_total %" PRIu64 "\n", st->judged);
	metric(f, "flows_stale_total", "counter",
	       "Flows judged stale (deleted unless --dry-run).");
	fprintf(f, "ctsweep_flows_stale_total %" PRIu64 "\n", st->stale);
	metric(f, "new_flows_stale_total", "counter",
	       "New entries stale as they appeared (committed through "
	       "ctnetlink, or racing a rule change).");
	fprintf(f, "ctsweep_new_flows_stale_total %" PRIu64 "\n",
		st->new_stale);
	metric(f, "flows_unknown_total", "counter",
	       "Flows with an unknown verdict (kept).");
	fprintf(f, "ctsweep_flows_unknown_total %" PRIu64 "\n", st->unknown);
	metric(f, "flows_deleted_total", "counter",
	       "Stale flows deleted, by reason.");
	for (i = 1; i < JR__MAX; i++) {
		if (i == JR_UNMODELLED || i == JR_DROPPED)
			continue;
		fprintf(f, "ctsweep_flows_deleted_total{reason=\"%s\"} %"
			PRIu64 "\n", judge_reason_str(i), st->deleted[i]);
	}
	metric(f, "flows_would_delete_total", "counter",
	       "Stale flows left in place because of --dry-run.");
	fprintf(f, "ctsweep_flows_would_delete_total %" PRIu64 "\n",
		st->would_delete);
	metric(f, "events_lost_total", "counter",
	       "Times the kernel dropped notifications (ENOBUFS); each "
	       "causes a full resync.");
	fprintf(f, "ctsweep_events_lost_total %" PRIu64 "\n",
		st->events_lost);
	metric(f, "errors_total", "counter", "Reconcile passes that failed.");
	fprintf(f, "ctsweep_errors_total %" PRIu64 "\n", st->errors);
	metric(f, "last_reaction_microseconds", "gauge",
	       "From the notification to the deletes done, last reaction.");
	fprintf(f, "ctsweep_last_reaction_microseconds %" PRIu64 "\n",
		st->last_us);
	metric(f, "max_reaction_microseconds", "gauge",
	       "The longest reaction since start.");
	fprintf(f, "ctsweep_max_reaction_microseconds %" PRIu64 "\n",
		st->max_us);
	metric(f, "last_reconcile_timestamp_seconds", "gauge",
	       "Unix time of the last reconcile pass.");
	fprintf(f, "ctsweep_last_reconcile_timestamp_seconds %.3f\n",
		st->last_time);
	metric(f, "index_flows", "gauge",
	       "Flows held in the in-memory flow index (0: no index).");
	fprintf(f, "ctsweep_index_flows %" PRIu64 "\n", st->indexed);
	metric(f, "index_bytes", "gauge", "Memory of the flow index.");
	fprintf(f, "ctsweep_index_bytes %" PRIu64 "\n", st->index_bytes);
	metric(f, "start_timestamp_seconds", "gauge",
	       "Unix time watch started.");
	fprintf(f, "ctsweep_start_timestamp_seconds %.3f\n", st->start_time);
}

int stats_write(const struct stats *st, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int err;

	if (!f)
		return -errno;
	stats_print(f, st);
	err = ferror(f) ? -EIO : 0;
	if (fclose(f) && !err)
		err = -errno;
	if (!err)
		err = file_replace(path, buf, len, 0644, NULL);
	free(buf);
	return err;
}

void stats_line(char *buf, size_t len, const struct stats *st)
{
	uint64_t deleted = 0, reconciles = 0;
	size_t off;
	int i;

	for (i = 0; i < JR__MAX; i++)
		deleted += st->deleted[i];
	for (i = 0; i < ST__MAX; i++)
		reconciles += st->reactions[i];
	off = (size_t)snprintf(buf, len,
		"stats: %" PRIu64 " reconciles (%" PRIu64 " skipped), %"
		PRIu64 " judged, %" PRIu64 " deleted", reconciles,
		st->skipped, st->judged, deleted);
	for (i = 1; i < JR__MAX && off < len; i++)
		if (st->deleted[i])
			off += (size_t)snprintf(buf + off, len - off,
				" %s=%" PRIu64, judge_reason_str(i),
				st->deleted[i]);
	if (off < len)
		snprintf(buf + off, len - off,
			 ", %" PRIu64 " would-delete, %" PRIu64 " unknown, %"
			 PRIu64 " events lost, %" PRIu64 " errors, last "
			 "reaction %" PRIu64 " us (max %" PRIu64 "), %" PRIu64
			 " indexed flows", st->would_delete, st->unknown,
			 st->events_lost, st->errors, st->last_us, st->max_us,
			 st->indexed);
}
