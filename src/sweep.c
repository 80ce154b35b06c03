// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sweep.c - delete exactly the flows the current rules would NAT
 * differently.  Flows judged unknown are reported and kept.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cmd.h"
#include "log.h"
#include "scan.h"
#include "clock.h"

static int64_t now_ms(void)
{
	return (int64_t)(mono_us() / 1000);
}

static int on_new(unsigned int ev, const struct flow *f, void *data)
{
	struct rec r;
	int ret = scan_catch_mirror(data, f, &r);

	(void)ev;
	if (ret > 0)
		ret = scan_add_result(data, &r);
	return ret < 0 ? ret : 0;
}

/* Why ct_flush_filtered said no, as its probe found, each step in its
 * own words with its errno. */
static const char *flush_why(const struct ct_probe *p, char *buf,
			     size_t size)
{
	static const char *const step[] = {
		[CT_PROBE_START] = "cannot start",
		[CT_PROBE_WAIT] = "cannot be waited for",
		[CT_PROBE_NETNS] = "cannot create a network namespace",
		[CT_PROBE_OPEN] = "cannot open conntrack in its namespace",
		[CT_PROBE_CREATE] = "cannot create its entries",
		[CT_PROBE_DUMP] = "cannot read its entries back",
	};
	const char *what = (size_t)p->step < sizeof(step) / sizeof(step[0]) ?
			   step[p->step] : NULL;

	if (p->result == CT_FLUSH_REFUSED && p->err)
		snprintf(buf, size, "it refuses the filter on a flush: %s; "
			 "Linux 6.12 has it", strerror(-p->err));
	else if (p->result == CT_FLUSH_REFUSED)
		return "it refuses the filter on a flush; Linux 6.12 has it";
	else if (p->result == CT_FLUSH_WIDER)
		return "its probe saw a filtered flush delete too much";
	else if (p->result != CT_FLUSH_NO_PROBE)
		return "not for these flows";
	else if (p->step == CT_PROBE_CHILD && p->err)
		snprintf(buf, size, "its probe was killed by signal %d",
			 p->err);
	else if (p->step == CT_PROBE_DUMP && !p->err)
		return "its probe did not find its own entries";
	else if (what && p->err == -EPERM)
		snprintf(buf, size, "its probe %s: %s; it needs CAP_SYS_ADMIN",
			 what, strerror(-p->err));
	else if (what && p->err)
		snprintf(buf, size, "its probe %s: %s", what,
			 strerror(-p->err));
	else
		return "its probe ended without an answer";
	return buf;
}

/* -v: how the stale flows went, in filtered flushes or one by one. */
static void say_flushes(struct scan *s)
{
	char why[160];

	if (s->flushes)
		log_info("sweep: %zu of the stale flows went in %zu filtered "
			 "flush%s, the rest one by one", s->flushed, s->flushes,
			 s->flushes == 1 ? "" : "es");
	if (s->flush_refused)
		log_info("sweep: this kernel cannot delete a class of flows by "
			 "filter exactly (%s): the stale flows went one by one",
			 flush_why(ct_flush_probe_result(s->ct), why,
				   sizeof(why)));
}

/* After the deletes, listen for new entries until every swept forward
 * is back (mirror.h) or @ms pass: the mirrors the old backends' late
 * replies create are judged and deleted as they appear. */
static int settle(struct scan *s, struct ct_handle *ev, long ms)
{
	int64_t end = now_ms() + ms;
	struct pollfd p = { .fd = ct_events_fd(ev), .events = POLLIN };
	int ret = 0;

	while (s->mirrors.nwaiting) {
		int64_t left = end - now_ms();

		if (left <= 0)
			break;
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return -errno;
		ret = ct_events_read(ev, on_new, s);
		if (ret == -ENOBUFS)	/* events lost: look them up */
			ret = scan_mirrors_lookup(s);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static bool may_mirror(const struct scan *s)
{
	size_t i;

	for (i = 0; i < s->nrecs; i++)
		if (s->recs[i].verdict == JV_STALE && (s->recs[i].mirror ||
		    mirror_possible(&s->recs[i].f)))
			return true;
	return false;
}

/* Not cmd_report_error's "cannot read ...; nothing was deleted": deletes
 * may have gone through, and the line says how many.  @walking: it failed
 * while the walks went, so more stale flows may be left unseen. */
static void report_delete_error(const struct scan *s, int ret, bool walking)
{
	const char *were = s->deleted == 1 ? "was" : "were";

	if (!s->del_failed) {	/* a walk failed after deletes as it went */
		log_err("sweep: cannot read %s: %s; %zu stale flows %s "
		    "deleted before it; 'ctsweep status' lists what is left",
		    s->failed ? s->failed : "the kernel state",
		    strerror(-ret), s->deleted, were);
		return;
	}
	if (walking) {
		log_err("sweep: deleting stale flows failed after %zu %s "
		    "deleted (%zu found stale when the walks stopped): %s; "
		    "%s", s->deleted, were, s->stale, strerror(-ret),
		    cmd_delete_hint(ret));
		return;
	}
	log_err("sweep: deleting %zu stale flows failed after %zu %s "
	    "deleted: %s; %s", s->stale, s->deleted, were, strerror(-ret),
	    cmd_delete_hint(ret));
}

int cmd_sweep(int argc, char **argv, struct opts *o)
{
	struct ct_handle *ev = NULL;
	struct scan s = { 0 };
	int ret;

	if (!o->dry_run)
		s.flush = o->flush ? SF_ALWAYS : SF_AUTO;
	/* Nothing lists the stale flows unless asked (-v, --json): delete
	 * them as the walks go, and memory stays what a small table needs. */
	s.delete_as_walked = !o->dry_run && !o->json && !o->verbose;
	/* Subscribe before deleting, or a mirror could form unseen.
	 * Without events the file still lets the next run find it. */
	if (s.delete_as_walked && o->settle_ms &&
	    ct_events_open(&ev, CT_EV_NEW))
		ev = NULL;
	ret = cmd_scan("sweep", &s, o);
	s.delete_as_walked = false;
	if (ret) {
		if (s.deleted || s.del_failed)	/* cmd_scan left it to us */
			report_delete_error(&s, ret, true);
		ret = EXIT_ERR;
		goto out;
	}
	if (o->dry_run || !s.stale)
		goto done;
	if (!ev && o->settle_ms && may_mirror(&s) &&
	    ct_events_open(&ev, CT_EV_NEW))
		ev = NULL;
	ret = scan_delete(&s);
	if (!ret && ev)
		ret = settle(&s, ev, o->settle_ms);
	scan_mirrors_save(&s);
	if (ret) {
		report_delete_error(&s, ret, false);
		ret = EXIT_ERR;
		goto out;
	}
	if (o->verbose)
		say_flushes(&s);
	if (s.mirror_err && o->verbose)
		log_warn("sweep: cannot keep the swept forwards in %s: %s; a "
		     "mirror that forms after this run will not be found",
		     s.mirror_file[0] ? s.mirror_file : "/run/ctsweep",
		     strerror(-s.mirror_err));
done:
	cmd_output(&s, o, "sweep");
	ret = EXIT_OK;
out:
	if (ev)
		ct_close(ev);
	scan_free(&s);
	return ret;
}
