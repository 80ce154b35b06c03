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

/* What set a reconcile off: its label in the metrics, and the words watch's
 * reaction line begins with ("nftables generation 42 (...)"). */
static const struct {
	const char *label, *text;
} triggers[ST__MAX] = {
	[ST_START] = { "start", "start" },
	[ST_NFT] = { "nftables", "nftables generation" },
	[ST_ROUTE] = { "routes", "routes or addresses changed" },
	[ST_LEGACY] = { "iptables-legacy", "iptables-legacy tables changed" },
	[ST_RESYNC] = { "resync", "periodic resync" },
	[ST_LOST] = { "events-lost", "resync after lost notifications" },
	[ST_HUP] = { "sighup", "SIGHUP" },
	[ST_RETRY] = { "retry", "retry" },
	[ST_NEW] = { "new-entries", "new entries the rules disagree with" },
};

const char *stats_trigger_str(enum stats_trigger t)
{
	return (unsigned int)t < ST__MAX ? triggers[t].label : "?";
}

const char *stats_trigger_text(enum stats_trigger t)
{
	return (unsigned int)t < ST__MAX ? triggers[t].text : "?";
}

static void metric(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP ctsweep_%s %s\n# TYPE ctsweep_%s %s\n", name, help,
		name, type);
}

/* A metric of one sample: its name is written once, here. */
static void one(FILE *f, const char *name, const char *type,
		const char *help, uint64_t v)
{
	metric(f, name, type, help);
	fprintf(f, "ctsweep_%s %" PRIu64 "\n", name, v);
}

static void one_time(FILE *f, const char *name, const char *help, double t)
{
	metric(f, name, "gauge", help);
	fprintf(f, "ctsweep_%s %.3f\n", name, t);
}

void stats_print(FILE *f, const struct stats *st)
{
	int i;

	metric(f, "reconciles_total", "counter",
	       "Reconcile passes, by what set them off.");
	for (i = 0; i < ST__MAX; i++)
		fprintf(f, "ctsweep_reconciles_total{trigger=\"%s\"} %" PRIu64
			"\n", stats_trigger_str(i), st->reactions[i]);
	one(f, "reconciles_skipped_total", "counter",
	    "Notifications after which the nat rules and routes were "
	    "unchanged, so no flow was judged.", st->skipped);
	one(f, "flows_judged_total", "counter", "Flows judged.", st->judged);
	one(f, "flows_stale_total", "counter",
	    "Flows judged stale (deleted unless --dry-run).", st->stale);
	one(f, "new_flows_stale_total", "counter",
	    "New entries stale as they appeared (committed through "
	    "ctnetlink, or racing a rule change).", st->new_stale);
	one(f, "flows_unknown_total", "counter",
	    "Flows with an unknown verdict (kept).", st->unknown);
	metric(f, "flows_deleted_total", "counter",
	       "Stale flows deleted, by reason.");
	for (i = 1; i < JR__MAX; i++) {
		if (i == JR_UNMODELLED || i == JR_DROPPED)
			continue;
		fprintf(f, "ctsweep_flows_deleted_total{reason=\"%s\"} %"
			PRIu64 "\n", judge_reason_str(i), st->deleted[i]);
	}
	one(f, "flows_would_delete_total", "counter",
	    "Stale flows left in place because of --dry-run.",
	    st->would_delete);
	one(f, "events_lost_total", "counter",
	    "Times the kernel dropped notifications (ENOBUFS); each "
	    "causes a full resync.", st->events_lost);
	one(f, "errors_total", "counter", "Reconcile passes that failed.",
	    st->errors);
	one(f, "last_reaction_microseconds", "gauge",
	    "From the notification to the deletes done, last reaction.",
	    st->last_us);
	one(f, "max_reaction_microseconds", "gauge",
	    "The longest reaction since start.", st->max_us);
	one_time(f, "last_reconcile_timestamp_seconds",
		 "Unix time of the last reconcile pass.", st->last_time);
	one(f, "index_flows", "gauge",
	    "Flows held in the in-memory flow index (0: no index).",
	    st->indexed);
	one(f, "index_bytes", "gauge", "Memory of the flow index.",
	    st->index_bytes);
	one_time(f, "start_timestamp_seconds", "Unix time watch started.",
		 st->start_time);
}

int stats_render(const struct stats *st, char **buf, size_t *len)
{
	FILE *f;
	int err;

	*buf = NULL;
	*len = 0;
	f = open_memstream(buf, len);
	if (!f)
		return -errno;
	stats_print(f, st);
	err = ferror(f) ? -EIO : 0;
	if (fclose(f) && !err)
		err = -errno;
	if (err) {
		free(*buf);
		*buf = NULL;
	}
	return err;
}

int stats_write(const struct stats *st, const char *path)
{
	char *buf;
	size_t len;
	int err = stats_render(st, &buf, &len);

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
