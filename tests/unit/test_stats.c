// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for stats.c: the Prometheus text (every metric announced by
 * HELP and TYPE, counters named _total, the trigger and reason labels),
 * the file stats_write leaves, and the log line (also when cut short).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "stats.h"
#include "fixture.h"

/* Every counter a distinct value, so a line printing the wrong one
 * shows. */
static void fill(struct stats *st)
{
	int i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < ST__MAX; i++)
		st->reactions[i] = 100 + i;
	st->skipped = 5;
	st->judged = 1234;
	st->unknown = 7;
	st->stale = 40;
	st->new_stale = 3;
	for (i = 0; i < JR__MAX; i++)
		st->deleted[i] = 10 + i;
	st->would_delete = 2;
	st->events_lost = 1;
	st->errors = 4;
	st->last_us = 900;
	st->max_us = 12000;
	st->last_time = 1700000000.25;
	st->indexed = 5000;
	st->index_bytes = 640000;
	st->start_time = 1699999000.5;
}

static char *print(const struct stats *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	stats_print(f, st);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
		p += n;
	}
	return false;
}

#define MAX_METRICS 32

/*
 * The exposition format: each metric's "# HELP name text" then "# TYPE
 * name counter|gauge", once, before its samples; every sample belongs to
 * the metric announced last; a counter's name ends in _total and a
 * gauge's does not; every announced metric has a sample.
 */
static void test_format(void **state)
{
	struct stats st;
	char *text, *line, *save = NULL;
	char names[MAX_METRICS][64], cur[64] = "", type[16] = "";
	int n = 0, samples = 0, cur_samples = 1, i;

	(void)state;
	fill(&st);
	text = print(&st);
	assert_true(strlen(text) > 0);
	assert_int_equal(text[strlen(text) - 1], '\n');
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[64], word[64];

		if (!strncmp(line, "# HELP ", 7)) {
			assert_int_equal(cur_samples > 0, 1);
			assert_int_equal(sscanf(line, "# HELP %63s %63s", name,
						word), 2);
			assert_int_equal(strncmp(name, "ctsweep_", 8), 0);
			for (i = 0; i < n; i++)
				assert_string_not_equal(names[i], name);
			assert_true(n < MAX_METRICS);
			strcpy(names[n++], name);
			strcpy(cur, name);
			type[0] = '\0';
			cur_samples = 0;
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			assert_int_equal(cur_samples, 0);
			assert_string_equal(type, "");
			assert_int_equal(sscanf(line, "# TYPE %63s %15s", name,
						type), 2);
			assert_string_equal(name, cur);
			if (!strcmp(type, "counter")) {
				assert_int_equal(strcmp(name + strlen(name) - 6,
							"_total"), 0);
			} else {
				assert_string_equal(type, "gauge");
				assert_int_not_equal(strcmp(name + strlen(name)
							    - 6, "_total"), 0);
			}
			continue;
		}
		assert_int_not_equal(line[0], '#');
		/* a sample: name, optional {labels}, one space, a number */
		assert_string_not_equal(type, "");
		i = strcspn(line, "{ ");
		assert_int_equal((size_t)i, strlen(cur));
		assert_int_equal(strncmp(line, cur, i), 0);
		if (line[i] == '{') {
			char *end = strchr(line, '}');

			assert_non_null(end);
			i = end - line + 1;
		}
		assert_int_equal(line[i], ' ');
		assert_true(strspn(line + i + 1, "0123456789.") ==
			    strlen(line + i + 1));
		cur_samples++;
		samples++;
	}
	assert_true(cur_samples > 0);
	assert_int_equal(n, 16);
	/* 9 triggers, 7 reasons a flow is deleted for, 14 more */
	assert_int_equal(samples, 9 + 7 + 14);
	free(text);
}

static void test_values(void **state)
{
	struct stats st;
	char *text;

	(void)state;
	fill(&st);
	text = print(&st);
	assert_true(has_line(text, "# HELP ctsweep_reconciles_total "
			     "Reconcile passes, by what set them off."));
	assert_true(has_line(text, "# TYPE ctsweep_reconciles_total counter"));
	assert_true(has_line(text,
			     "ctsweep_reconciles_total{trigger=\"start\"} 100"));
	assert_true(has_line(text,
			     "ctsweep_reconciles_total{trigger=\"nftables\"} "
			     "101"));
	assert_true(has_line(text,
			     "ctsweep_reconciles_total{trigger=\"routes\"} 102"));
	assert_true(has_line(text, "ctsweep_reconciles_total{trigger="
			     "\"iptables-legacy\"} 103"));
	assert_true(has_line(text,
			     "ctsweep_reconciles_total{trigger=\"resync\"} 104"));
	assert_true(has_line(text, "ctsweep_reconciles_total{trigger="
			     "\"events-lost\"} 105"));
	assert_true(has_line(text,
			     "ctsweep_reconciles_total{trigger=\"sighup\"} 106"));
	assert_true(has_line(text,
			     "ctsweep_reconciles_total{trigger=\"retry\"} 107"));
	assert_true(has_line(text, "ctsweep_reconciles_total{trigger="
			     "\"new-entries\"} 108"));
	assert_true(has_line(text, "ctsweep_reconciles_skipped_total 5"));
	assert_true(has_line(text, "ctsweep_flows_judged_total 1234"));
	assert_true(has_line(text, "ctsweep_flows_stale_total 40"));
	assert_true(has_line(text, "# HELP ctsweep_new_flows_stale_total New "
			     "entries stale as they appeared (committed "
			     "through ctnetlink, or racing a rule change)."));
	assert_true(has_line(text,
			     "# TYPE ctsweep_new_flows_stale_total counter"));
	assert_true(has_line(text, "ctsweep_new_flows_stale_total 3"));
	assert_true(has_line(text, "ctsweep_flows_unknown_total 7"));
	/* deleted by reason: every stale reason, none of the unknown ones */
	assert_true(has_line(text, "ctsweep_flows_deleted_total{reason="
			     "\"forward-changed\"} 11"));
	assert_true(has_line(text, "ctsweep_flows_deleted_total{reason="
			     "\"forward-removed\"} 12"));
	assert_true(has_line(text, "ctsweep_flows_deleted_total{reason="
			     "\"forward-added\"} 13"));
	assert_true(has_line(text, "ctsweep_flows_deleted_total{reason="
			     "\"snat-changed\"} 14"));
	assert_true(has_line(text, "ctsweep_flows_deleted_total{reason="
			     "\"snat-removed\"} 15"));
	assert_true(has_line(text, "ctsweep_flows_deleted_total{reason="
			     "\"snat-added\"} 16"));
	assert_true(has_line(text, "ctsweep_flows_deleted_total{reason="
			     "\"forward-mirrored\"} 17"));
	assert_null(strstr(text, "reason=\"unmodelled\""));
	assert_null(strstr(text, "reason=\"dropped\""));
	assert_null(strstr(text, "reason=\"\""));
	assert_true(has_line(text, "ctsweep_flows_would_delete_total 2"));
	assert_true(has_line(text, "ctsweep_events_lost_total 1"));
	assert_true(has_line(text, "ctsweep_errors_total 4"));
	assert_true(has_line(text,
			     "# TYPE ctsweep_last_reaction_microseconds gauge"));
	assert_true(has_line(text, "ctsweep_last_reaction_microseconds 900"));
	assert_true(has_line(text, "ctsweep_max_reaction_microseconds 12000"));
	assert_true(has_line(text, "ctsweep_last_reconcile_timestamp_seconds "
			     "1700000000.250"));
	assert_true(has_line(text, "ctsweep_index_flows 5000"));
	assert_true(has_line(text, "ctsweep_index_bytes 640000"));
	assert_true(has_line(text,
			     "ctsweep_start_timestamp_seconds 1699999000.500"));
	free(text);

	/* zeroes are printed, not left out: a counter that vanishes reads
	 * as a reset */
	memset(&st, 0, sizeof(st));
	text = print(&st);
	assert_true(has_line(text, "ctsweep_flows_deleted_total{reason="
			     "\"snat-added\"} 0"));
	assert_true(has_line(text, "ctsweep_new_flows_stale_total 0"));
	assert_true(has_line(text,
			     "ctsweep_last_reconcile_timestamp_seconds 0.000"));
	free(text);
}

static void test_trigger_str(void **state)
{
	(void)state;
	assert_string_equal(stats_trigger_str(ST_START), "start");
	assert_string_equal(stats_trigger_str(ST_RETRY), "retry");
	assert_string_equal(stats_trigger_str(ST__MAX), "?");
}

/* Every trigger has a label and words of its own, so one added to the
 * enum without them fails here; the words are watch's log's. */
static void test_trigger_text(void **state)
{
	int i, k;

	(void)state;
	for (i = 0; i < ST__MAX; i++) {
		assert_non_null(stats_trigger_str(i));
		assert_non_null(stats_trigger_text(i));
		assert_true(stats_trigger_str(i)[0]);
		assert_true(stats_trigger_text(i)[0]);
		for (k = 0; k < i; k++) {
			assert_string_not_equal(stats_trigger_str(i),
						stats_trigger_str(k));
			assert_string_not_equal(stats_trigger_text(i),
						stats_trigger_text(k));
		}
	}
	assert_string_equal(stats_trigger_text(ST_START), "start");
	assert_string_equal(stats_trigger_text(ST_NFT), "nftables generation");
	assert_string_equal(stats_trigger_text(ST_ROUTE),
			    "routes or addresses changed");
	assert_string_equal(stats_trigger_text(ST_LEGACY),
			    "iptables-legacy tables changed");
	assert_string_equal(stats_trigger_text(ST_RESYNC), "periodic resync");
	assert_string_equal(stats_trigger_text(ST_LOST),
			    "resync after lost notifications");
	assert_string_equal(stats_trigger_text(ST_HUP), "SIGHUP");
	assert_string_equal(stats_trigger_text(ST_RETRY), "retry");
	assert_string_equal(stats_trigger_text(ST_NEW),
			    "new entries the rules disagree with");
	assert_string_equal(stats_trigger_text(ST__MAX), "?");
	assert_string_equal(stats_trigger_text(-1), "?");
}

/* The file holds exactly what stats_print prints, readable by the
 * collector. */
static void test_write(void **state)
{
	char dir[] = "/tmp/ctsweep-stats.XXXXXX", path[64];
	struct stats st;
	struct stat sb;
	char *text, *buf;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ctsweep.prom", dir);
	fill(&st);
	assert_int_equal(stats_write(&st, path), 0);
	text = print(&st);
	buf = read_whole(path, &n);
	assert_string_equal(buf, text);
	free(buf);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0644);
	free(text);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
	/* the directory is gone: the error, not a crash or a stray file */
	assert_int_equal(stats_write(&st, path), -ENOENT);
}

#define LINE_ALL "stats: 936 reconciles (5 skipped), 1234 judged, 145 " \
	"deleted forward-changed=11 forward-removed=12 forward-added=13 " \
	"snat-changed=14 snat-removed=15 snat-added=16 forward-mirrored=17 " \
	"unmodelled=18 dropped=19, 2 would-delete, 7 unknown, 1 events lost, " \
	"4 errors, last reaction 900 us (max 12000), 5000 indexed flows"

static void test_line(void **state)
{
	struct stats st;
	char buf[512];

	(void)state;
	memset(&st, 0, sizeof(st));
	stats_line(buf, sizeof(buf), &st);
	assert_string_equal(buf, "stats: 0 reconciles (0 skipped), 0 judged, "
			    "0 deleted, 0 would-delete, 0 unknown, 0 events "
			    "lost, 0 errors, last reaction 0 us (max 0), 0 "
			    "indexed flows");
	/* reasons with a count only, after the total */
	st.reactions[ST_NFT] = 2;
	st.deleted[JR_DNAT_CHANGED] = 3;
	st.deleted[JR_DNAT_MIRRORED] = 1;
	stats_line(buf, sizeof(buf), &st);
	assert_string_equal(buf, "stats: 2 reconciles (0 skipped), 0 judged, "
			    "4 deleted forward-changed=3 forward-mirrored=1, "
			    "0 would-delete, 0 unknown, 0 events lost, 0 "
			    "errors, last reaction 0 us (max 0), 0 indexed "
			    "flows");
	fill(&st);
	stats_line(buf, sizeof(buf), &st);
	assert_string_equal(buf, LINE_ALL);
}

/* Any buffer gets the line's beginning, terminated, and nothing is
 * written past it. */
static void test_line_cut(void **state)
{
	const size_t full = strlen(LINE_ALL);
	char buf[sizeof(LINE_ALL) + 16];
	struct stats st;
	size_t len;

	(void)state;
	fill(&st);
	for (len = 1; len <= full + 2; len++) {
		size_t want = len - 1 < full ? len - 1 : full;

		memset(buf, 'X', sizeof(buf));
		stats_line(buf, len, &st);
		assert_int_equal(strlen(buf), want);
		assert_memory_equal(buf, LINE_ALL, want);
		assert_int_equal(buf[len], 'X');
	}
	buf[0] = 'X';
	stats_line(buf, 0, &st);
	assert_int_equal(buf[0], 'X');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_trigger_str),
		cmocka_unit_test(test_trigger_text),
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_line),
		cmocka_unit_test(test_line_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
