/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * scan.h - one reconcile pass: read the rules and routes, dump the flows
 * the plan asks for, judge them.  status reports the result, sweep also
 * deletes, and watch runs it again when something changes.
 */
#ifndef CTSWEEP_SCAN_H
#define CTSWEEP_SCAN_H

#include <stddef.h>
#include "ct.h"
#include "judge.h"
#include "mirror.h"
#include "nft.h"
#include "plan.h"

/* A flow worth reporting: stale or unknown (or any, with keep_all). */
struct rec {
	struct flow f;
	uint8_t verdict;	/* enum jverdict */
	uint8_t reason;		/* enum jreason */
	bool deleted;
	bool mirror;		/* judged as the DNATed flow it mirrors */
};

#define JCACHE_SIZE 4096	/* direct-mapped: groups are few in practice */

struct jcache_ent {
	uint32_t gen;		/* valid when == scan.cache_gen */
	struct tuple key;
	struct judgement j;
};

/* A class of DNATed flows the filtered flush may delete in one kernel walk
 * (plan.h), and what the pass saw of it. */
#define SCAN_MAX_CLASSES 16
struct fclass {
	struct ct_filter k;	/* plan_flush_class() */
	size_t stale;		/* flows of the class judged stale */
	bool mixed;		/* one was not stale, or a mirror */
	bool flushed;
};

enum scan_flush {
	SF_NEVER,		/* watch: events and its index, not a flush */
	SF_AUTO,		/* sweep: where it is exact and pays */
	SF_ALWAYS,		/* sweep --flush: wherever it is exact */
};

struct scan {
	/* inputs */
	bool tcp;
	bool keep_all;		/* keep consistent flows too (-v) */
	bool keep_env;		/* watch: no route notification since the
				 * last scan_load; keep the routes read then */
	enum scan_flush flush;
	/* sweep: delete stale flows in batches while the walks go on, so
	 * memory stays flat whatever the table's size; their recs are not
	 * kept (nothing lists them) */
	bool delete_as_walked;
	/* told how the pass goes, every SCAN_PROGRESS flows and after each
	 * batch of deletes (sweep's progress line on a terminal) */
	void (*progress)(const struct scan *s, void *data);
	void *progress_data;
	/* watch: asked every SCAN_PREEMPT_SLOTS slots of a whole pass over
	 * its index; true stops the pass with -EINTR, nothing deleted */
	bool (*preempt)(void *data);
	void *preempt_data;
	/* state */
	struct nft_sock nft;	/* the ruleset's socket, open between reads */
	struct nm_model model;
	uint64_t legacy_fp[2];	/* ipt_fingerprint() v4, v6, taken before
				 * the legacy tables were read */
	bool legacy_read;	/* ... and the last scan_load succeeded */
	struct netenv env;
	bool env_loaded;	/* env holds a whole snapshot */
	struct ct_handle *ct;
	unsigned int keys;	/* judge_keys() of the model */
	struct jcache_ent *cache;
	uint32_t cache_gen;	/* bumped to empty the cache without touching
				 * its 6 MB (most of it never faulted in) */
	struct plan plan;
	/* DNATed flows we deleted that may come back backwards (mirror.h) */
	struct mirror_set mirrors;
	char mirror_file[256];	/* "" when they are not kept in a file */
	int mirror_err;		/* the last load/save error, 0 if none */
	bool mirrors_dirty;	/* changed since loaded or saved */
	uint64_t udp_timeout, udp_timeout_stream;	/* sysctls, 0: unknown */
	bool no_mirror_lookup;	/* watch: events show every new mirror, so a
				 * pass need not look them up by tuple */
	uint32_t pass;		/* counts passes, to mark mirrors seen */
	uint64_t returned;	/* by the walk under way */
	unsigned int walk, walks;	/* the walk under way (from 1), of */
	/* deleted as walked (delete_as_walked): gone from recs, still in
	 * the counts of every later try of the pass */
	size_t walk_deleted;
	size_t walk_by_reason[JR__MAX];
	size_t del_from;	/* recs before it were looked at for that */
	struct ct_handle *ct_del;	/* deletes while ct dumps */
	/* the classes of this pass's flows, while the dumps feed it */
	bool classes_on;
	bool classes_full;	/* more than SCAN_MAX_CLASSES: none flushed */
	unsigned int nclasses;
	struct fclass classes[SCAN_MAX_CLASSES];
	/* results */
	struct rec *recs;
	size_t nrecs, cap;
	size_t judged, consistent, stale, unknown, deleted;
	size_t flushed, flushes;	/* of deleted: by filtered flushes */
	bool flush_refused;	/* the kernel cannot flush a class exactly */
	size_t by_reason[JR__MAX];
	/* for error messages: what failed */
	const char *failed;
	bool del_failed;	/* a delete failed, not a read: some may
				 * have gone (rec.deleted says which) */
};

#define SCAN_PROGRESS	65536
#define SCAN_PREEMPT_SLOTS	65536	/* ~2-5 ms of a pass */

int scan_init(struct scan *s);
/* Read the rules (nftables, then iptables-legacy v4 and v6) and routes
 * (not with keep_env, when a snapshot is loaded). */
int scan_load(struct scan *s);
/* Have the iptables-legacy tables moved since the last scan_load?  1
 * yes, 0 no, or the -errno of a read, which the caller must take for a
 * move: a table being replaced fails the read (-EAGAIN).  @v4 and @v6
 * say which family moved or could not be read. */
int scan_legacy_moved(const struct scan *s, bool *v4, bool *v6);
/* Dump and judge; drops the results of a previous run first. */
int scan_run(struct scan *s);
/* scan_run for the flows to @ports only (network byte order), each port a
 * walk filtered in the kernel (per protocol, and per family that some
 * rule can NAT), the plan's filters applied to what they return: what a
 * change to those ports most likely made stale, found without a flow
 * index.  Not a whole pass: a flow that only lost its NAT in a family no
 * rule NATs any more is left to one. */
int scan_run_ports(struct scan *s, const uint16_t *ports, int n);
/* A pass over flows from elsewhere (watch's flow index): @feed hands each
 * flow to scan_feed(), which judges it exactly as a dump would (the
 * feeder applies the plan's filters); then, as scan_run() does, the pass
 * starts again while the ruleset moved under it. */
int scan_pass(struct scan *s, int (*feed)(struct scan *s, void *data),
	      void *data);
int scan_feed(struct scan *s, const struct flow *f);
/* Delete every stale rec: by class with filtered flushes where @s->flush
 * allows and plan.h's conditions hold (a pass fed by scan_run only), the
 * rest by tuple and id.  Deleted DNATed flows become mirror candidates,
 * saved to the file (a failure to save leaves mirror_err set), and
 * waited for (mirrors.nwaiting) until their original direction is back.
 * On an error, @s->deleted counts what went before it and their recs are
 * marked deleted (on -ENOBUFS more may have gone). */
int scan_delete(struct scan *s);
/* Add the stale recs marked deleted to @n and @by_reason (JR__MAX
 * counts): what a delete that failed part way took. */
void scan_count_deleted(const struct scan *s, size_t *n, size_t *by_reason);
/*
 * One entry outside a pass (a conntrack event), each step a call:
 * scan_catch_mirror() first, scan_judge_one() for any other, then
 * scan_delete_one() for a stale one the caller wants gone; sweep puts
 * what it catches among the pass's results (scan_add_result), watch
 * does not (its events are read during passes too).
 */
/* If @f mirrors a DNATed flow we deleted, judge it into @out as that flow
 * and delete it when the rules say so (@out->deleted); if it is such a
 * flow back, forget the candidate.  1: a mirror was judged, 0: not a
 * mirror, <0: the delete's -errno. */
int scan_catch_mirror(struct scan *s, const struct flow *f, struct rec *out);
/* Judge @f into @out as a pass would (through the judge cache); deletes
 * nothing.  1: judged, 0: a protocol not swept. */
int scan_judge_one(struct scan *s, const struct flow *f, struct rec *out);
/* Delete the stale @r by its tuple and id (a newer entry of the tuple
 * survives), remembering it as a pass's delete does (a DNATed flow the
 * old backend may still answer: mirror.h).  0 or -errno. */
int scan_delete_one(struct scan *s, struct rec *r);
/* Count and keep @r (from scan_catch_mirror) with the pass's results. */
int scan_add_result(struct scan *s, const struct rec *r);
/* Look every candidate's mirror up by tuple and delete the stale ones
 * (when events were lost). */
int scan_mirrors_lookup(struct scan *s);
/* Write the candidates back if they changed since the last save. */
void scan_mirrors_save(struct scan *s);
void scan_free(struct scan *s);

/* Re-evaluate one rec's judgement in full, for reporting. */
void scan_explain(const struct scan *s, const struct rec *r,
		  struct judgement *j);

#endif
