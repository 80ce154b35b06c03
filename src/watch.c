// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * watch.c - the daemon: one full reconcile at start, then one reconcile per
 * change of the rules or routes, each deleting exactly the flows the new
 * rules contradict, and every new conntrack entry judged as its event
 * arrives (judge_new).  It shares the readers, the judge and scan.c's
 * passes with sweep; what is its own is about time: notifications, the
 * flow index fed by events, the early pass, timers and signals.
 *
 * One poll loop over: the nftables notification socket, an rtnetlink
 * socket, the conntrack event socket of the flow index, a signalfd, and
 * timers (periodic resync, iptables-legacy poll).
 *
 * iptables-legacy notifies nobody, and a read of the tables (their
 * fingerprint, every --legacy-poll ms) is the only signal that sees every
 * change: the kernel's audit record of an x_tables replace is logged only
 * while audit is enabled, reaches the initial network namespace's
 * multicast group only and does not name the namespace, and
 * IPT_SO_GET_INFO alone is blind to a same-size rewrite (a DNAT moved to
 * another address).
 * Reactions are coalesced but never deliberately delayed: nftables
 * notifications are acted on as soon as the socket is drained after a
 * NEWGEN (the end of a transaction); route notifications, which have no
 * such marker, settle for ROUTE_SETTLE_US (ROUTE_MAX_US at most).
 *
 * Deletes always use the model of the latest generation: after judging, the
 * notification sockets are drained again, and if the rules or routes moved
 * meanwhile, the pass starts over before anything is deleted.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include "cmd.h"
#include "httpd.h"
#include "log.h"
#include "nft.h"
#include "privs.h"
#include "report.h"
#include "scan.h"
#include "stats.h"
#include "mdigest.h"
#include "windex.h"
#include "nlmon.h"
#include "clock.h"

#define ROUTE_SETTLE_US		3000	/* quiet time after a route message */
#define ROUTE_MAX_US		20000	/* ... but never wait longer */
#define PARTIAL_TX_US		20000	/* nft messages without NEWGEN yet */
#define NEW_QUIET_US		500000	/* judge_new: rules still this long */
#define REJUDGE_TRIES		4	/* rules moved while judging */
#define AGAIN_MIN_US		2000	/* rules moved under the reader */
#define AGAIN_MAX_US		50000
#define LEGACY_NONE_MS		1000	/* the poll while no legacy table is */
#define RETRY_MIN_MS		500
#define RETRY_MAX_MS		30000
#define FLOW_LOG_MAX		50	/* per-flow lines per reaction */
/* Conntrack events are read at most this often.  The index must be
 * current only when a pass judges it, and a pass drains the socket first;
 * reading each event as it comes cost a wakeup per new flow (7% of a core
 * at 10,000 new flows/s).  What waits: a mirror (mirror.h) is deleted up
 * to this much later.  The socket holds seconds of events at that rate. */
#define EVENT_BATCH_US		20000
/* The periodic refill (a dump of the whole table, ~45 s of CPU at 10M
 * flows) starts no sooner than this many times its last duration after
 * it: at most 2% of a core on average, whatever --refill says. */
#define REFILL_DUTY		50
#define REFILL_RETRY_US		1000000	/* a fill that could not start */
/* Without the index, a change's likely flows are found by one kernel
 * walk per port (and protocol and family): worth it for a few ports. */
#define EARLY_WALK_PORTS	4
/* A whole pass over the index (0.3 s at 10M flows on a quiet machine,
 * seconds on a busy one) gives way to a rule change, so the change's early
 * pass moves its flows at once; but only for this long after the first
 * pass of a row gave way, so that changes without end cannot starve the
 * whole pass (what no port narrows: routes, a rule on no port). */
#define PREEMPT_MAX_US		5000000

enum {
	P_NFT = 1, P_ROUTE = 2, P_LEGACY = 4, P_FULL = 8,
};

/* What an early pass deleted (counted and logged with its reaction). */
struct early {
	size_t stale;
	size_t by_reason[JR__MAX];
};

struct watch {
	struct opts o;		/* watch's own and the global ones */
	struct scan s;
	struct nlmon *nft, *rt;
	struct windex *ix;	/* NULL: walk conntrack on every reaction */
	bool ix_resync;		/* refill the index before the next pass */
	uint64_t last_refill;	/* mono_us() of the last refill (start) */
	uint64_t last_rules;	/* mono_us() at the end of the last pass
				 * a rule change set off */
	bool refill_due;	/* start an incremental refill */
	bool refill_periodic;	/* the one under way is the periodic one */
	uint64_t refill_t0;
	size_t refill_before;
	uint64_t refill_took;	/* us, the last refill that ended */
	uint64_t refill_next;	/* mono_us() to try a failed start again */
	uint64_t fill_t0;	/* the index is incomplete: since when it
				 * fills (0: complete) */
	/* A full pass waits for the index to be complete: until then the
	 * passes judge the part indexed (and a change's ports by walks). */
	bool held;
	enum stats_trigger held_why;
	bool may_preempt;	/* the pass under way may give way */
	unsigned int preempted;	/* passes that gave way, in a row */
	uint64_t preempt_t0;	/* mono_us() the first of them did */
	/* A reaction that gave way: its early pass's deletes, counted with
	 * the next reaction, and the rules that early pass judged against,
	 * from which the next one's early pass also looks for changes. */
	struct early gave_early;
	struct mdigest gave_md;
	bool have_gave;
	int sigfd, resync_fd, legacy_fd;
	long legacy_ms;		/* the legacy poll's interval now */

	/* what is pending, since when, and when to react */
	unsigned int pending;
	enum stats_trigger full_why;
	uint64_t t_first;		/* monotonic us of the first event */
	uint64_t due_nft, due_route, due_full;	/* 0: not due */
	uint64_t route_first;
	struct nlmon_seen nseen;
	unsigned int route_msgs;
	bool legacy_v4, legacy_v6;

	/* the state the last completed reconcile judged against */
	bool have_last;
	uint32_t last_genid;
	struct mdigest last_md;
	uint64_t last_env;
	unsigned int again;	/* passes in a row the rules moved under */

	long retry_ms;
	int last_err;
	bool last_deleting;	/* last_err came from a delete, not a read */
	struct stats st;
	uint64_t last_ev_read;	/* mono_us() of the last conntrack event read */
	bool stop;

	struct httpd *http;	/* --listen; NULL: off */
	int tick_fd;		/* publishes to it every HTTPD_TICK_MS */
	uint64_t lost_ok;	/* st.events_lost at the last completed pass */
};

static double unix_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- setup ------------------------------------------------------------- */

static int timer_set(int fd, long interval_ms)
{
	struct itimerspec its = { 0 };

	its.it_interval.tv_sec = interval_ms / 1000;
	its.it_interval.tv_nsec = (interval_ms % 1000) * 1000000L;
	its.it_value = its.it_interval;
	return timerfd_settime(fd, 0, &its, NULL) ? -errno : 0;
}

/* A periodic timer into @fd, or -1 there when @interval_ms is 0 (off).
 * 0 or -errno. */
static int timer_open(long interval_ms, int *fd)
{
	int e;

	*fd = -1;
	if (interval_ms <= 0)
		return 0;
	*fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (*fd < 0)
		return -errno;
	e = timer_set(*fd, interval_ms);
	if (e) {
		close(*fd);
		*fd = -1;
	}
	return e;
}

static void timer_ack(int fd)
{
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0)
		return;
}

/* The signals watch handles, as a signalfd: its fd or -errno. */
static int signals_open(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);

	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* ---- pending work ------------------------------------------------------ */

static void mark(struct watch *w, unsigned int what, uint64_t now)
{
	if (!w->pending)
		w->t_first = now;
	w->pending |= what;
}

static void want_full(struct watch *w, enum stats_trigger why, uint64_t now,
		      uint64_t due)
{
	/* The most telling reason wins: events lost over a timer. */
	if (!(w->pending & P_FULL) || why == ST_LOST || why == ST_HUP)
		w->full_why = why;
	mark(w, P_FULL, now);
	/*
	 * A refill dumps the whole table (2.6 s at 1M flows).  Lost events
	 * need it before the next pass, which waits.  The periodic safety
	 * net needs it only now and then, since the index is kept exact by
	 * events and a loss is always reported: it re-judges the indexed
	 * flows against freshly read rules and routes, and every --refill
	 * seconds also starts a refill read a step at a time from the poll
	 * loop, so reactions go on meanwhile.
	 */
	if (why == ST_RESYNC)
		w->refill_due |= w->o.refill_s &&
				 now - w->last_refill >=
				 (uint64_t)w->o.refill_s * 1000000 &&
				 now - w->last_refill >=
				 REFILL_DUTY * w->refill_took;
	else if (why != ST_RETRY && why != ST_NEW)
		w->ix_resync = true;
	if (!w->due_full || due < w->due_full)
		w->due_full = due;
}

static uint64_t next_due(const struct watch *w)
{
	uint64_t d = 0;

	if (w->due_nft)
		d = w->due_nft;
	if (w->due_route && (!d || w->due_route < d))
		d = w->due_route;
	if (w->due_full && (!d || w->due_full < d))
		d = w->due_full;
	return d;
}

/* What a reaction tells of: @from's notifications added to @to's. */
static void seen_add(struct nlmon_seen *to, const struct nlmon_seen *from)
{
	to->msgs += from->msgs;
	to->rules += from->rules;
	to->elems += from->elems;
	to->other += from->other;
	to->newgen |= from->newgen;
}

/* Read what @m holds into @seen.  A socket that could not be read may
 * have held a change: said with its errno, and true (take it for one). */
static bool drain(struct nlmon *m, const char *what, struct nlmon_seen *seen)
{
	int ret = nlmon_drain(m, seen);

	if (ret)
		log_warn("watch: cannot read %s notifications: %s; one may "
		     "have been missed: reacting as to a change", what,
		     strerror(-ret));
	return ret != 0;
}

/* The kernel dropped notifications (ENOBUFS): @what, then a full resync. */
static void notif_lost(struct watch *w, const char *what, uint64_t now)
{
	w->st.events_lost++;
	log_warn("watch: %s; full resync", what);
	want_full(w, ST_LOST, now, now);
}

static void on_nft(struct watch *w, uint64_t now)
{
	struct nlmon_seen seen = { 0 };
	bool failed = drain(w->nft, "nftables", &seen);

	if (seen.lost)
		notif_lost(w, "nftables notifications lost (receive buffer "
			   "full)", now);
	if (!seen.msgs && !failed)
		return;
	seen_add(&w->nseen, &seen);
	mark(w, P_NFT, now);
	if (seen.newgen || failed) {
		w->due_nft = now;
	} else if (!w->due_nft) {
		/* The rest of the transaction is on its way. */
		w->due_nft = now + PARTIAL_TX_US;
	}
}

static void on_route(struct watch *w, uint64_t now)
{
	struct nlmon_seen seen = { 0 };
	bool failed = drain(w->rt, "route", &seen);

	if (seen.lost)
		notif_lost(w, "route notifications lost (receive buffer full)",
			   now);
	if (!seen.msgs && !failed)
		return;
	if (!(w->pending & P_ROUTE))
		w->route_first = now;
	w->route_msgs += seen.msgs;
	mark(w, P_ROUTE, now);
	w->due_route = now + ROUTE_SETTLE_US;
	if (w->due_route > w->route_first + ROUTE_MAX_US)
		w->due_route = w->route_first + ROUTE_MAX_US;
}

/*
 * --legacy-poll while legacy tables exist; while none does (the last read
 * found none), LEGACY_NONE_MS if that is longer: a host with nftables
 * alone is not woken 20 times a second to read two empty lists.  The
 * first table to appear is a change the slow poll finds.
 */
static void legacy_poll_tune(struct watch *w)
{
	long ms = w->o.legacy_poll_ms;

	if (w->legacy_fd < 0)
		return;
	if (!w->s.legacy_fp[0] && !w->s.legacy_fp[1] && ms < LEGACY_NONE_MS)
		ms = LEGACY_NONE_MS;
	if (ms == w->legacy_ms || timer_set(w->legacy_fd, ms))
		return;
	log_dbg("watch: iptables-legacy poll every %ld ms (%s)", ms,
	    ms == w->o.legacy_poll_ms ? "legacy tables present" :
	    "no legacy tables");
	w->legacy_ms = ms;
}

static void on_legacy_timer(struct watch *w, uint64_t now)
{
	bool v4, v6;
	int ret;

	timer_ack(w->legacy_fd);
	ret = scan_legacy_moved(&w->s, &v4, &v6);
	if (!ret)
		return;
	w->legacy_v4 |= v4;
	w->legacy_v6 |= v6;
	mark(w, P_LEGACY, now);
	/* A change seen pulls the pass in.  A read that failed asks for a
	 * pass too (it reads again, and retries soon while the tables
	 * move), and so does a model never read (a pass that failed), but
	 * neither hurries a retry that backs off after an error. */
	if (!w->due_full ||
	    (ret > 0 && w->s.legacy_read && now < w->due_full))
		w->due_full = now;
}

/* ---- logging ------------------------------------------------------------ */

static void log_stats(const struct watch *w)
{
	char line[768];

	stats_line(line, sizeof(line), &w->st);
	log_info("watch: %s", line);
}

/* The snapshot /metrics and /healthz answer from (httpd.h). */
static void publish(struct watch *w)
{
	struct httpd_state hs = {
		.tick_us = mono_us(), .err = w->last_err,
		.deleting = w->last_err && w->last_deleting,
		.stall_us = (uint64_t)w->o.stall_s * 1000000,
		.lost = w->st.events_lost != w->lost_ok,
	};
	char *text;
	size_t len;

	if (!w->http || stats_render(&w->st, &text, &len))
		return;
	if (w->last_err && w->s.failed)
		snprintf(hs.failed, sizeof(hs.failed), "%s", w->s.failed);
	httpd_publish(w->http, &hs, text, len);
}

static void write_stats(struct watch *w)
{
	int ret;

	publish(w);
	if (!w->o.stats)
		return;
	ret = stats_write(&w->st, w->o.stats);
	if (ret)
		log_warn("watch: cannot write the stats file '%s': %s",
		     w->o.stats, strerror(-ret));
}

/* "udp 203.0.113.10:51820 > 203.0.113.1:53820 goes to 192.168.50.2:51820,
 * rules say 192.168.50.3:53820 (forward-changed)" */
static void log_flow(const struct watch *w, const struct rec *r, int prio,
		     const char *what)
{
	char src[64], dst[64], now[64], rules[128] = "no nat";
	const struct flow *f = &r->f;
	const struct nat_outcome *o;
	struct judgement j;
	struct flow dnat;
	bool snat = judge_reason_snat(r->reason);

	if (r->mirror) {
		/* told as the DNATed flow it mirrors: the peer's packets */
		flow_reversed(f, &dnat);
		f = &dnat;
	}

	fmt_endpoint(src, sizeof(src), f->orig.family, &f->orig.src,
		     f->orig.sport);
	fmt_endpoint(dst, sizeof(dst), f->orig.family, &f->orig.dst,
		     f->orig.dport);
	if (snat)
		fmt_endpoint(now, sizeof(now), f->reply.family, &f->reply.dst,
			     f->reply.dport);
	else
		fmt_endpoint(now, sizeof(now), f->reply.family, &f->reply.src,
			     f->reply.sport);
	scan_explain(&w->s, r, &j);
	o = snat ? &j.snat : &j.dnat;
	if (r->verdict == JV_UNKNOWN)
		/* not "no nat": the rules' answer is not known */
		snprintf(rules, sizeof(rules), "? (%s)", j.unknown[0] ?
			 j.unknown : "not modelled");
	else if (o->ncand)
		fmt_natspec(rules, sizeof(rules), f->orig.family, &o->cand[0]);
	log_msg(prio, "watch: %s %s %s > %s id %" PRIu32 " %s %s, rules say "
		"%s%s (%s)", what, f->orig.l4proto == IPPROTO_TCP ? "tcp" :
		"udp", src, dst, f->id, snat ? "source-NATed as" : "goes to",
		now, rules, o->ncand > 1 && r->verdict != JV_UNKNOWN ?
		" or others" : "",
		judge_reason_str(r->reason));
}

static size_t fmt_reasons(char *buf, size_t len, const size_t *by_reason)
{
	size_t off = 0;
	int k, first = 1;

	buf[0] = 0;
	for (k = 1; k < JR__MAX && off < len; k++) {
		if (!by_reason[k] || k == JR_UNMODELLED || k == JR_DROPPED)
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%s %zu",
					first ? " (" : ", ",
					judge_reason_str(k), by_reason[k]);
		first = 0;
	}
	if (!first && off < len)
		off += (size_t)snprintf(buf + off, len - off, ")");
	return off;
}

/* ---- reconcile ---------------------------------------------------------- */

static enum stats_trigger trigger_of(const struct watch *w, unsigned int why)
{
	if (why & P_FULL)
		return w->full_why;
	if (why & P_NFT)
		return ST_NFT;
	if (why & P_LEGACY)
		return ST_LEGACY;
	return ST_ROUTE;
}

/* What set this pass off, for the log, in stats.c's words: "nftables
 * generation 42 (3 rule, 1 element, 0 other notifications)", "routes or
 * addresses changed (7 notifications)". */
static void describe(char *buf, size_t len, const struct watch *w,
		     unsigned int why, const struct nlmon_seen *ns,
		     unsigned int route_msgs, bool v4, bool v6)
{
	size_t off = 0;

	buf[0] = 0;
	if (why & P_FULL)
		off += (size_t)snprintf(buf, len, "%s",
					stats_trigger_text(w->full_why));
	if ((why & P_NFT) && off < len)
		off += (size_t)snprintf(buf + off, len - off,
			"%s%s %" PRIu32 " (%u rule, %u element, %u other "
			"notifications)", off ? ", " : "",
			stats_trigger_text(ST_NFT), w->s.model.genid,
			ns->rules, ns->elems, ns->other);
	if ((why & P_LEGACY) && off < len)
		off += (size_t)snprintf(buf + off, len - off, "%s%s (%s%s%s)",
			off ? ", " : "", stats_trigger_text(ST_LEGACY),
			v4 ? "IPv4" : "", v4 && v6 ? ", " : "",
			v6 ? "IPv6" : "");
	if ((why & P_ROUTE) && off < len)
		snprintf(buf + off, len - off, "%s%s (%u notifications)",
			 off ? ", " : "", stats_trigger_text(ST_ROUTE),
			 route_msgs);
}

/* Did the rules or routes move since the pass started judging?  Returns
 * the P_* bits of what moved, 0 for nothing.  (iptables-legacy, which
 * sends nothing, scan_pass() has just looked at.) */
static unsigned int moved_meanwhile(struct watch *w, uint64_t now)
{
	struct nlmon_seen ns = { 0 }, rs = { 0 };
	unsigned int moved = 0;

	if (drain(w->nft, "nftables", &ns))
		moved |= P_NFT;
	if (drain(w->rt, "route", &rs))
		moved |= P_ROUTE;
	if (ns.lost || rs.lost) {
		notif_lost(w, "notifications lost while judging", now);
		moved |= P_FULL;
	}
	if (ns.msgs) {
		seen_add(&w->nseen, &ns);
		moved |= P_NFT;
	}
	if (rs.msgs) {
		w->route_msgs += rs.msgs;
		moved |= P_ROUTE;
	}
	return moved;
}

/* A step failed: count it and double the wait before the next try (from
 * RETRY_MIN_MS to RETRY_MAX_MS; a success resets it).  True when it is
 * to be said: once per kind of error (a read's and a delete's apart). */
static bool back_off(struct watch *w, int ret, bool deleting)
{
	bool say;

	w->st.errors++;
	w->retry_ms = w->retry_ms ? w->retry_ms * 2 : RETRY_MIN_MS;
	if (w->retry_ms > RETRY_MAX_MS)
		w->retry_ms = RETRY_MAX_MS;
	say = ret != w->last_err || deleting != w->last_deleting ||
	      w->retry_ms == RETRY_MAX_MS;
	w->last_err = ret;
	w->last_deleting = deleting;
	return say;
}

/* Conntrack events were lost: the index refills (windex_events started
 * it), and the passes until then judge the part it holds. */
static void index_lost(struct watch *w, uint64_t now)
{
	w->st.events_lost++;
	log_warn("watch: conntrack events lost (receive buffer full); refilling "
	     "the flow index");
	if (!w->fill_t0)
		w->fill_t0 = now;
	w->ix_resync = true;	/* (re)start the refill, if it could not */
	w->s.no_mirror_lookup = false;
	if (!w->held)
		w->held_why = ST_LOST;
	w->held = true;
}

/* Judge: from the flow index when there is one, else by dumping.  An
 * index still filling holds a part of the table, exactly: what it holds
 * is judged now, the rest by the full pass held until it is complete. */
static int judge_flows(struct watch *w)
{
	int ret;

	if (!w->ix)
		return scan_run(&w->s);
	ret = windex_judge(w->ix, &w->s);
	if (ret != -ENOBUFS)
		return ret;
	index_lost(w, mono_us());
	return windex_judge(w->ix, &w->s);
}

/* What an early pass deleted, for the reaction's one log line. */
static void log_recs(const struct watch *w, size_t *shown)
{
	size_t i;

	for (i = 0; i < w->s.nrecs && *shown < FLOW_LOG_MAX; i++) {
		const struct rec *r = &w->s.recs[i];

		if (r->verdict == JV_STALE && (w->o.dry_run || log_verbose)) {
			log_flow(w, r, w->o.dry_run ? LOG_INFO : LOG_DEBUG,
				 w->o.dry_run ? "would delete" : "deleted");
			(*shown)++;
		} else if (r->verdict == JV_UNKNOWN && log_verbose) {
			log_flow(w, r, LOG_DEBUG, "kept (unknown)");
			(*shown)++;
		}
	}
}

/* One reaction: what set it off, and what it found on the way. */
struct reaction {
	unsigned int why;	/* P_*, grown by what moved while judging */
	enum stats_trigger trig;
	uint64_t t0;		/* the first event it answers */
	struct nlmon_seen ns;
	unsigned int route_msgs;
	bool v4, v6, full;
	struct mdigest md;	/* of the rules it judged against */
	uint64_t env;		/* mdigest_netenv() of the routes likewise */
	struct early early;
};

/*
 * The destination ports whose rules differ between @md and @base, and
 * between @md and @base2 if given (the rules of a reaction that gave way:
 * a flow created after its early pass was judged against those).  -1 or
 * 0: none that ports narrow.
 */
static int changed_ports(const struct mdigest *base,
			 const struct mdigest *base2,
			 const struct mdigest *md, uint16_t *ports)
{
	uint16_t more[MD_PORTS];
	int n, m, i, j;

	n = mdigest_changed_ports(base, md, ports, MD_PORTS);
	if (n < 0 || !base2)
		return n;
	m = mdigest_changed_ports(base2, md, more, MD_PORTS);
	if (m < 0)
		return m;
	for (i = 0; i < m; i++) {
		for (j = 0; j < n && ports[j] != more[i]; j++)
			;
		if (j < n)
			continue;
		if (n == MD_PORTS)
			return -1;
		ports[n++] = more[i];
	}
	return n;
}

/*
 * Before the full pass, judge and delete the flows to the destination
 * ports the change names (a forward switched on 53820: the flows to
 * 53820), so the flows a change is about move in a few milliseconds
 * whatever the table's size; at 1M flows the full pass takes ~30 ms.
 * Only an ordering: the full pass then judges every flow as always, and
 * the same rules hold (generation re-checked, deletes only if nothing
 * moved meanwhile).  Returns what moved_meanwhile() saw (0: go on).
 */
static unsigned int early_pass(struct watch *w, struct reaction *r,
			       uint64_t tl, const struct mdigest *base,
			       const struct mdigest *base2)
{
	uint16_t ports[MD_PORTS];
	unsigned int moved;
	size_t i, shown = 0;
	uint64_t tj = mono_us(), td;
	int n, ret;

	if (!w->ix || w->o.dry_run || !base)
		return 0;
	n = changed_ports(base, base2, &r->md, ports);
	if (n <= 0)
		return 0;
	/* An index still filling may not hold them yet: walks do. */
	if (windex_complete(w->ix))
		ret = windex_judge_ports(w->ix, &w->s, ports, n);
	else if (n <= EARLY_WALK_PORTS)
		ret = scan_run_ports(&w->s, ports, n);
	else
		return 0;
	if (ret)
		return 0;	/* the full pass will meet it and report */
	moved = moved_meanwhile(w, mono_us());
	if (moved || !w->s.stale)
		return moved;
	td = mono_us();
	ret = windex_delete(w->ix, &w->s);
	if (ret) {
		log_warn("watch: early pass: deleting %zu stale flows failed "
		     "after %zu %s deleted: %s; %s; the full pass judges the "
		     "rest", w->s.stale, w->s.deleted, w->s.deleted == 1 ?
		     "was" : "were", strerror(-ret), cmd_delete_hint(ret));
		/* counted with the reaction that finishes, as it says */
		scan_count_deleted(&w->s, &r->early.stale,
				   r->early.by_reason);
		return 0;
	}
	r->early.stale += w->s.stale;
	for (i = 0; i < JR__MAX; i++)
		r->early.by_reason[i] += w->s.by_reason[i];
	log_recs(w, &shown);
	log_dbg("watch: early pass on %d port%s: deleted %zu flow(s) %" PRIu64
	    " us after the first notification (waited %" PRIu64 " us, read "
	    "rules and routes in %" PRIu64 " us, judged in %" PRIu64 " us, "
	    "deleted in %" PRIu64 " us)", n, n == 1 ? "" : "s", w->s.stale,
	    mono_us() - r->t0, tl - r->t0, tj - tl, td - tj, mono_us() - td);
	return 0;
}

/* Take what is pending: from here on, new notifications count towards
 * the next reaction. */
static void take_pending(struct watch *w, struct reaction *r)
{
	r->why = w->pending;
	r->trig = trigger_of(w, r->why);
	r->t0 = w->t_first;
	r->ns = w->nseen;
	r->route_msgs = w->route_msgs;
	r->v4 = w->legacy_v4;
	r->v6 = w->legacy_v6;
	r->full = r->why & P_FULL;
	r->early = w->gave_early;
	memset(&w->gave_early, 0, sizeof(w->gave_early));
	w->pending = 0;
	w->due_nft = w->due_route = w->due_full = 0;
	memset(&w->nseen, 0, sizeof(w->nseen));
	w->route_msgs = 0;
	w->legacy_v4 = w->legacy_v6 = false;
	/* With the index, events show each mirror as it forms; look them
	 * up by tuple only when events may have been missed (the refills). */
	w->s.no_mirror_lookup = w->ix && !w->ix_resync &&
				windex_complete(w->ix) && !(r->full &&
				(r->trig == ST_START || r->trig == ST_LOST ||
				 r->trig == ST_HUP));
}

/* Start, lost events or SIGHUP: (re)fill the index from a dump read a
 * step at a time by the loop (refill_step); passes go on meanwhile. */
static void refill(struct watch *w, uint64_t now)
{
	int ret;

	if (!w->ix || !w->ix_resync || now < w->refill_next)
		return;
	w->s.no_mirror_lookup = false;
	if (!windex_complete(w->ix) && !w->fill_t0)
		w->fill_t0 = now;
	if (windex_refilling(w->ix)) {
		w->ix_resync = false;
		return;
	}
	w->last_refill = now;
	ret = windex_refill_start(w->ix);
	if (ret) {
		if (!w->refill_next)
			log_warn("watch: cannot start filling the flow index: %s; "
			     "trying again every %d ms", strerror(-ret),
			     REFILL_RETRY_US / 1000);
		w->refill_next = now + REFILL_RETRY_US;
		return;
	}
	w->refill_next = 0;
	w->ix_resync = false;
	w->refill_t0 = now;
	w->refill_before = windex_count(w->ix);
	w->refill_periodic = w->refill_due;
	if (w->refill_due)
		log_dbg("watch: periodic refill of the flow index started");
	else if (w->fill_t0)
		log_info("watch: filling the flow index from a conntrack dump "
		     "(%zu flows in it); reactions go on meanwhile",
		     w->refill_before);
	else
		log_dbg("watch: refill of the flow index started");
	w->refill_due = false;
}

/* While the index fills, the full part of a pass waits for it; the rest
 * of the reaction (a change's ports, the flows indexed) goes on. */
static void hold_full(struct watch *w, struct reaction *r)
{
	if (!(r->why & P_FULL) || !w->ix || windex_complete(w->ix))
		return;
	if (!w->held)
		w->held_why = r->trig;
	w->held = true;
	r->why &= ~P_FULL;
	r->full = false;
	if (r->why)
		r->trig = trigger_of(w, r->why);
}

/* The index is complete: the full pass held for it, now. */
static void release_held(struct watch *w, uint64_t now)
{
	if (!w->held)
		return;
	w->held = false;
	mark(w, P_FULL, now);
	w->full_why = w->held_why;
	if (!w->due_full || now < w->due_full)
		w->due_full = now;
}

static int load(struct watch *w, struct reaction *r)
{
	int ret;

	/* The route socket hears of every change to what netenv holds
	 * (nlmon.c): without a word from it, the routes read last are
	 * the routes now, and a reload (ten rtnetlink dumps, under the
	 * RTNL lock) would only delay the early pass. */
	w->s.keep_env = !(r->why & (P_ROUTE | P_FULL));
	mdigest_free(&r->md);
	ret = scan_load(&w->s);
	if (!ret)
		ret = mdigest_build(&w->s.model, &r->md);
	if (!ret)
		r->env = mdigest_netenv(&w->s.env);
	return ret;
}

/* Only nftables moved, by one generation, and nothing NAT reads changed
 * (a filter rule, a counter): no flow can be judged differently, and no
 * generation went unseen in which stale flows could have been created. */
static bool nothing_to_judge(struct watch *w, const struct reaction *r)
{
	if (r->why != P_NFT || !w->have_last || r->env != w->last_env ||
	    r->md.all != w->last_md.all ||
	    w->s.model.genid - w->last_genid > 1)
		return false;
	w->last_genid = w->s.model.genid;
	w->st.skipped++;
	log_dbg("watch: nftables generation %" PRIu32 ": no nat chain, map or "
	    "route changed; nothing to judge", w->s.model.genid);
	w->retry_ms = 0;
	w->last_err = 0;
	w->again = 0;
	legacy_poll_tune(w);
	return true;
}

/* A whole pass over a big index gives way to a rule change that arrives
 * meanwhile (its notifications are waiting): the change's reaction comes
 * first (its early pass), and that reaction judges every flow again
 * anyway.  The pass has deleted nothing yet (deletes follow a still
 * pass); what its early pass deleted is carried to the next reaction. */
static bool preempt_pass(void *data)
{
	struct watch *w = data;
	struct pollfd p = { .fd = nlmon_fd(w->nft), .events = POLLIN };

	if (!w->may_preempt || poll(&p, 1, 0) <= 0)
		return false;
	return !w->preempted || mono_us() - w->preempt_t0 < PREEMPT_MAX_US;
}

/* The whole pass after the early one; @moved: what moved meanwhile. */
static int full_pass(struct watch *w, const struct reaction *r,
		     unsigned int tries, uint64_t tl, unsigned int *moved)
{
	uint64_t tj = mono_us();
	int ret;

	w->may_preempt = true;
	ret = judge_flows(w);
	w->may_preempt = false;
	if (ret)
		return ret;
	log_dbg("watch: pass %u: waited %" PRIu64 " us, read rules and routes "
	    "in %" PRIu64 " us, judged %zu flows (%s) in %" PRIu64 " us",
	    tries + 1, tl - r->t0, tj - tl, w->s.judged, !w->ix ?
	    "walking conntrack" : windex_complete(w->ix) ? "from the index" :
	    "from the index, still filling", mono_us() - tj);
	*moved = moved_meanwhile(w, mono_us());
	return 0;
}

/* A NEWGEN or route change arrived while judging: the verdicts may be
 * against rules no longer in force.  Fold it into this reaction. */
static int fold_moved(struct watch *w, struct reaction *r,
		      unsigned int moved)
{
	seen_add(&r->ns, &w->nseen);
	r->route_msgs += w->route_msgs;
	memset(&w->nseen, 0, sizeof(w->nseen));
	w->route_msgs = 0;
	if (moved & P_FULL) {
		/* lost: the pending full pass covers it; the index is
		 * refilled then */
		w->pending &= ~P_FULL;
		w->due_full = 0;
		r->full = true;
		refill(w, mono_us());
	}
	r->why |= moved & (P_NFT | P_ROUTE);
	return 0;
}

enum judged { J_STILL, J_NOTHING, J_MOVING };

/* Read and judge until the rules and routes hold still across a whole
 * pass (J_STILL), or there is nothing to judge, or they kept moving.
 * After the first try, the early pass looks at what changed since the
 * try before (a switch back while the last one was judged changes
 * nothing since the last reaction, but moves the flow again). */
static int judge_until_still(struct watch *w, struct reaction *r,
			     enum judged *res)
{
	struct mdigest prev = { 0 };
	unsigned int tries, moved;
	int ret;

	for (tries = 0;; tries++) {
		uint64_t tl = mono_us();

		if (tries) {
			mdigest_free(&prev);
			prev = r->md;
			memset(&r->md, 0, sizeof(r->md));
		}
		ret = load(w, r);
		if (ret)
			goto out;
		*res = J_NOTHING;
		if (nothing_to_judge(w, r))
			goto out;
		moved = early_pass(w, r, tl, tries ? &prev :
				   w->have_last ? &w->last_md : NULL,
				   !tries && w->have_gave ? &w->gave_md : NULL);
		if (!moved) {
			ret = full_pass(w, r, tries, tl, &moved);
			if (ret)
				goto out;
		}
		*res = J_STILL;
		if (!moved)
			goto out;
		ret = fold_moved(w, r, moved);
		if (ret)
			goto out;
		if (tries + 1 >= REJUDGE_TRIES) {
			/* Still moving: delete nothing now, come back as
			 * soon as the loop has looked at the sockets. */
			mark(w, P_NFT, r->t0);
			w->due_nft = mono_us();
			log_dbg("watch: rules still changing after %u passes; "
			    "deferring deletes", tries + 1);
			*res = J_MOVING;
			goto out;
		}
	}
out:
	mdigest_free(&prev);
	return ret;
}

/* Deletes go against the model of the latest generation. */
static int delete_stale(struct watch *w, const struct early *early)
{
	size_t i;
	int ret;

	if (!w->o.dry_run && w->s.stale) {
		uint64_t td = mono_us();

		ret = w->ix ? windex_delete(w->ix, &w->s) : scan_delete(&w->s);
		if (ret)
			return ret;
		log_dbg("watch: deleted %zu flows in %" PRIu64 " us", w->s.stale,
		    mono_us() - td);
	}
	/* the early pass's deletes, to count and log them with the rest */
	w->s.stale += early->stale;
	w->s.judged += early->stale;
	for (i = 0; i < JR__MAX; i++)
		w->s.by_reason[i] += early->by_reason[i];
	return 0;
}

/* Stale flows deleted, into the counters by reason. */
static void count_deleted(struct watch *w, size_t stale,
			  const size_t *by_reason)
{
	size_t i;

	w->st.stale += stale;
	for (i = 1; i < JR__MAX; i++)
		if (i != JR_UNMODELLED && i != JR_DROPPED)
			w->st.deleted[i] += by_reason[i];
}

static void account(struct watch *w, const struct reaction *r, uint64_t t)
{
	w->st.reactions[r->trig]++;
	w->st.judged += w->s.judged;
	w->st.unknown += w->s.unknown;
	if (w->o.dry_run) {
		w->st.stale += w->s.stale;
		w->st.would_delete += w->s.stale;
	} else {
		count_deleted(w, w->s.stale, w->s.by_reason);
	}
	w->st.last_us = t - r->t0;
	if (w->st.last_us > w->st.max_us)
		w->st.max_us = w->st.last_us;
	w->st.last_time = unix_now();
	if (r->why & (P_NFT | P_LEGACY))
		w->last_rules = t;
	if (w->ix) {
		w->st.indexed = windex_count(w->ix);
		w->st.index_bytes = windex_bytes(w->ix);
	}
}

/* The reaction's one line, then the flows (FLOW_LOG_MAX at most). */
static void log_reaction(const struct watch *w, const struct reaction *r)
{
	char what[512], changed[512], reasons[256];
	size_t n = w->s.stale, shown = 0;
	bool info;

	describe(what, sizeof(what), w, r->why, &r->ns, r->route_msgs, r->v4,
		 r->v6);
	changed[0] = 0;
	if (w->have_last)
		mdigest_diff(&w->last_md, &r->md, changed, sizeof(changed));
	if (!changed[0] && w->have_last && r->env != w->last_env)
		snprintf(changed, sizeof(changed), "routing changed");
	fmt_reasons(reasons, sizeof(reasons), w->s.by_reason);
	info = n || r->full || changed[0];
	if (info || w->o.verbose)
		log_msg(info ? LOG_INFO : LOG_DEBUG, "watch: %s%s%s: %s %zu "
			"stale flow%s%s; %zu unknown (kept); %zu judged; %"
			PRIu64 " us", what, changed[0] ? ": " : "", changed,
			w->o.dry_run ? "would delete" : "deleted", n,
			n == 1 ? "" : "s", reasons, w->s.unknown,
			w->s.judged, w->st.last_us);
	log_recs(w, &shown);
	if (shown == FLOW_LOG_MAX && n > FLOW_LOG_MAX)
		log_msg(w->o.dry_run ? LOG_INFO : LOG_DEBUG,
			"watch: ... and more (%zu stale in all)", n);
}

/* What the next reaction compares against: this one's rules and routes. */
static void remember_pass(struct watch *w, struct reaction *r)
{
	mdigest_free(&w->last_md);
	w->last_md = r->md;
	memset(&r->md, 0, sizeof(r->md));
	w->last_env = r->env;
	w->last_genid = w->s.model.genid;
	w->have_last = true;
	w->retry_ms = 0;
	w->last_err = 0;
	w->again = 0;
	legacy_poll_tune(w);
	w->lost_ok = w->st.events_lost;
	w->preempted = 0;
	mdigest_free(&w->gave_md);
	w->have_gave = false;
	scan_mirrors_save(&w->s);
	write_stats(w);
}

/* Only a full pass was due, and it waits for the index: read the rules
 * and routes now all the same, as what the changes made while the index
 * fills are told from (the early pass's ports). */
static int baseline(struct watch *w, struct reaction *r)
{
	int ret;

	if (w->have_last)
		return 0;
	ret = load(w, r);
	if (ret)
		return ret;
	log_dbg("watch: rules and routes read; the first full pass waits for "
	    "the flow index (%zu flows so far)", windex_count(w->ix));
	remember_pass(w, r);
	return 0;
}

/* A pass gave way (preempt_pass): what set it off is pending again,
 * with the rule change that came meanwhile, to be answered at once. */
static void put_back(struct watch *w, struct reaction *r)
{
	uint64_t now = mono_us();
	size_t i;

	if (!w->preempted++)
		w->preempt_t0 = now;
	w->gave_early.stale += r->early.stale;
	for (i = 0; i < JR__MAX; i++)
		w->gave_early.by_reason[i] += r->early.by_reason[i];
	/* the rules its early pass judged against (judge_until_still's
	 * later tries compare with their own try before) */
	mdigest_free(&w->gave_md);
	w->gave_md = r->md;
	memset(&r->md, 0, sizeof(r->md));
	w->have_gave = true;
	seen_add(&w->nseen, &r->ns);
	w->route_msgs += r->route_msgs;
	w->legacy_v4 |= r->v4;
	w->legacy_v6 |= r->v6;
	mark(w, r->why, r->t0);
	if (!w->t_first || r->t0 < w->t_first)
		w->t_first = r->t0;
	on_nft(w, now);
	w->due_full = w->due_nft ? w->due_nft : now;
	log_dbg("watch: the pass gave way to a rule change (%u in a row)",
	    w->preempted);
}

/* A reaction failed: what it could not do, and what it had deleted by
 * then (an early pass's flows, a delete's first batches), never "nothing
 * was deleted" after deletes.  Said once per kind of error. */
static void say_failed(const struct watch *w, const struct reaction *r,
		       int ret, bool deleting)
{
	size_t gone = r->early.stale;
	char before[64];

	if (deleting) {
		gone += w->s.deleted;
		log_err("watch: deleting %zu stale flows failed after %zu %s "
		    "deleted: %s; %s; trying again in %ld ms",
		    r->early.stale + w->s.stale, gone, gone == 1 ? "was" :
		    "were", strerror(-ret), cmd_delete_hint(ret), w->retry_ms);
		return;
	}
	snprintf(before, sizeof(before), "%zu stale flow%s deleted before it",
		 gone, gone == 1 ? " was" : "s were");
	log_err("watch: cannot read %s: %s; %s; trying again in %ld ms",
	    w->s.failed ? w->s.failed : "the kernel state", strerror(-ret),
	    gone ? before : cmd_hint(ret), w->retry_ms);
}

static void reconcile_failed(struct watch *w, const struct reaction *r,
			     int ret, bool deleting, uint64_t now)
{
	if (ret == -EAGAIN && !deleting) {
		/* The rules kept moving under the reader: not an error.
		 * Come back soon, as the same trigger (2 ms, doubling to
		 * AGAIN_MAX_US while they keep moving); the rules' own
		 * notifications will keep asking too. */
		uint64_t d = AGAIN_MIN_US << (w->again < 5 ? w->again : 5);

		if (d > AGAIN_MAX_US)
			d = AGAIN_MAX_US;
		w->again++;
		log_dbg("watch: the rules kept changing while being read; trying "
		    "again in %" PRIu64 " ms", d / 1000);
		w->pending |= r->why;
		if (!w->t_first || r->t0 < w->t_first)
			w->t_first = r->t0;
		if (!w->due_full || now + d < w->due_full)
			w->due_full = now + d;
		return;
	}
	if (back_off(w, ret, deleting))
		say_failed(w, r, ret, deleting);
	want_full(w, ST_RETRY, now, now + (uint64_t)w->retry_ms * 1000);
	write_stats(w);
}

static void reconcile(struct watch *w)
{
	struct reaction r = { 0 };
	bool deleting = false;
	enum judged res;
	int ret;

	take_pending(w, &r);
	refill(w, mono_us());
	hold_full(w, &r);
	if (!r.why) {
		ret = baseline(w, &r);
		if (ret)
			goto fail;
		mdigest_free(&r.md);
		return;
	}
	ret = judge_until_still(w, &r, &res);
	if (ret == -EINTR) {
		put_back(w, &r);
		mdigest_free(&r.md);
		return;
	}
	if (ret)
		goto fail;
	if (res != J_STILL) {
		/* no reaction line, but an early pass's flows are gone */
		count_deleted(w, r.early.stale, r.early.by_reason);
		mdigest_free(&r.md);
		return;
	}
	deleting = true;
	ret = delete_stale(w, &r.early);
	if (ret)
		goto fail;
	account(w, &r, mono_us());
	log_reaction(w, &r);
	remember_pass(w, &r);
	return;
fail:
	mdigest_free(&r.md);
	/* What went before the failure is counted, as the error line says:
	 * the early pass's flows and the first of the deletes.  The retry
	 * judges only what is left. */
	count_deleted(w, r.early.stale, r.early.by_reason);
	if (deleting) {
		struct early gone = { 0 };

		scan_count_deleted(&w->s, &gone.stale, gone.by_reason);
		count_deleted(w, gone.stale, gone.by_reason);
	}
	/* keep what set this pass off, so the retry still reports it */
	w->legacy_v4 |= r.v4;
	w->legacy_v6 |= r.v6;
	reconcile_failed(w, &r, ret, deleting, mono_us());
}

/* ---- the loop ----------------------------------------------------------- */

static void on_signal(struct watch *w, uint64_t now)
{
	struct signalfd_siginfo si;

	while (read(w->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			log_info("watch: SIGHUP: reading the rules and routes "
			     "again");
			want_full(w, ST_HUP, now, now);
			break;
		case SIGUSR1:
			log_stats(w);
			break;
		case SIGTERM:
		case SIGINT:
			log_info("watch: %s: stopping",
			     si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			w->stop = true;
			break;
		}
	}
}

/* The periodic refill, when due (want_full). */
static void refill_start(struct watch *w, uint64_t now)
{
	if (w->ix_resync)
		refill(w, now);	/* a fill that could not start before */
	if (!w->refill_due || windex_refilling(w->ix))
		return;
	w->ix_resync = true;
	refill(w, now);
}

static void index_ready(struct watch *w, uint64_t now)
{
	size_t n = windex_count(w->ix), b = windex_bytes(w->ix);

	log_info("watch: flow index ready: %zu flows in %.1f s (%zu MB, %zu "
	     "bytes a flow)", n, (now - w->fill_t0) / 1e6, b >> 20,
	     n ? b / n : 0);
	w->fill_t0 = 0;
	release_held(w, now);
}

static void refill_step(struct watch *w, uint64_t now)
{
	int ret = windex_refill_step(w->ix);

	if (ret > 0)
		return;
	w->refill_took = now - w->refill_t0;
	if (ret && !windex_complete(w->ix)) {
		/* Again from the loop, after a pass's back-off: a kernel
		 * that fails every dump must not have the loop spin. */
		if (back_off(w, ret, false))
			log_err("watch: cannot read conntrack (filling the flow "
			    "index): %s; %s; trying again in %ld ms",
			    strerror(-ret), cmd_hint(ret), w->retry_ms);
		w->ix_resync = true;
		w->refill_next = now + (uint64_t)w->retry_ms * 1000;
		write_stats(w);
	} else if (ret) {
		log_dbg("watch: %s of the flow index cut short (%s); kept as "
		    "it was", w->refill_periodic ? "periodic refill" :
		    "refill", strerror(-ret));
	} else if (!w->fill_t0) {
		log_dbg("watch: %s of the flow index done in %" PRIu64
		    " ms: %zu flows, were %zu", w->refill_periodic ?
		    "periodic refill" : "refill", w->refill_took / 1000,
		    windex_count(w->ix), w->refill_before);
	}
	if (!ret && w->fill_t0)
		index_ready(w, now);
	w->st.indexed = windex_count(w->ix);
	w->st.index_bytes = windex_bytes(w->ix);
}

static int loop(struct watch *w)
{
	enum { F_SIG, F_NFT, F_RT, F_RESYNC, F_LEGACY, F_INDEX, F_REFILL,
	       F_TICK, F__MAX };
	struct pollfd pfd[F__MAX];
	int i;

	for (i = 0; i < F__MAX; i++) {
		pfd[i].fd = -1;
		pfd[i].events = POLLIN;
	}
	pfd[F_SIG].fd = w->sigfd;
	pfd[F_NFT].fd = nlmon_fd(w->nft);
	pfd[F_RT].fd = nlmon_fd(w->rt);
	pfd[F_RESYNC].fd = w->resync_fd;
	pfd[F_LEGACY].fd = w->legacy_fd;
	pfd[F_INDEX].fd = w->ix ? windex_fd(w->ix) : -1;
	pfd[F_TICK].fd = w->tick_fd;

	while (!w->stop) {
		uint64_t due = next_due(w), now = mono_us(), ev_due;
		struct timespec ts, *tsp = NULL;
		int n;

		if (w->pending && due && due <= now) {
			reconcile(w);
			continue;
		}
		if (w->ix) {
			refill_start(w, now);
			pfd[F_REFILL].fd = windex_refill_fd(w->ix);
			ev_due = w->last_ev_read + EVENT_BATCH_US;
			pfd[F_INDEX].fd = now >= ev_due ? windex_fd(w->ix) : -1;
			if (pfd[F_INDEX].fd < 0 && (!due || ev_due < due))
				due = ev_due;
			if (w->ix_resync && w->refill_next &&
			    (!due || w->refill_next < due))
				due = w->refill_next;
			if (windex_refill_ready(w->ix))
				due = now;	/* a refill's end: no wait */
		}
		if (due) {
			uint64_t d = due > now ? due - now : 0;

			ts.tv_sec = (time_t)(d / 1000000u);
			ts.tv_nsec = (long)(d % 1000000u) * 1000;
			tsp = &ts;
		}
		n = ppoll(pfd, F__MAX, tsp, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("watch: poll: %s", strerror(errno));
			return -errno;
		}
		now = mono_us();
		if (pfd[F_SIG].revents)
			on_signal(w, now);
		if (pfd[F_INDEX].fd >= 0 && pfd[F_INDEX].revents)
			w->last_ev_read = now;
		if (pfd[F_INDEX].fd >= 0 && pfd[F_INDEX].revents &&
		    windex_events(w->ix) == -ENOBUFS)
			index_lost(w, now);
		if ((pfd[F_REFILL].fd >= 0 && pfd[F_REFILL].revents) ||
		    (w->ix && windex_refill_ready(w->ix)))
			refill_step(w, now);
		if (pfd[F_NFT].revents)
			on_nft(w, now);
		if (pfd[F_RT].revents)
			on_route(w, now);
		if (pfd[F_RESYNC].fd >= 0 && pfd[F_RESYNC].revents) {
			timer_ack(w->resync_fd);
			want_full(w, ST_RESYNC, now, now);
		}
		if (pfd[F_LEGACY].fd >= 0 && pfd[F_LEGACY].revents)
			on_legacy_timer(w, now);
		if (pfd[F_TICK].fd >= 0 && pfd[F_TICK].revents) {
			timer_ack(w->tick_fd);
			publish(w);
		}
	}
	return 0;
}

static void watch_free(struct watch *w)
{
	if (w->ix)
		windex_free(w->ix);
	nlmon_close(w->nft);
	nlmon_close(w->rt);
	if (w->sigfd >= 0)
		close(w->sigfd);
	if (w->resync_fd >= 0)
		close(w->resync_fd);
	if (w->legacy_fd >= 0)
		close(w->legacy_fd);
	httpd_close(w->http);
	if (w->tick_fd >= 0)
		close(w->tick_fd);
	mdigest_free(&w->last_md);
	mdigest_free(&w->gave_md);
	scan_free(&w->s);
}

/*
 * Is the model the rules as they are now?  Before a new entry is deleted
 * on the model's word: a rule change the notifications have not shown yet
 * would make a flow the new rules made look stale.
 */
static bool rules_current(struct watch *w)
{
	uint32_t genid;
	bool v4, v6;

	if (w->pending || nft_genid(&w->s.nft, &genid) || genid != w->s.model.genid)
		return false;
	return scan_legacy_moved(&w->s, &v4, &v6) == 0;
}

/*
 * Every new entry is judged as it appears.  The kernel makes entries by
 * the current rules, but one committed through ctnetlink (conntrackd -c
 * at a failover, conntrack -I, a restore) or made by a packet racing a
 * rule change need not be; a stale one is deleted at once.  While a pass
 * is pending, the pass judges it.
 */
static int judge_new(struct watch *w, const struct flow *f)
{
	struct rec r;
	int ret;

	/*
	 * Right after a rule change, a stale entry is left to a pass of its
	 * own a little later: entries racing the change are the passes'
	 * business (they judge and delete in order, and remember the
	 * forwards whose backends may still answer), and deleting them here
	 * as well while a change is being undone and redone (a UI saving
	 * rule by rule) lets an old backend's late reply take the forward's
	 * tuple.  A ctnetlink commit when the rules hold still (a failover
	 * moves addresses, not rules) is deleted at once.
	 */
	if (w->pending || !scan_judge_one(&w->s, f, &r) ||
	    r.verdict != JV_STALE)
		return 0;
	if (mono_us() - w->last_rules < NEW_QUIET_US) {
		want_full(w, ST_NEW, mono_us(),
			  w->last_rules + NEW_QUIET_US);
		return 0;
	}
	if (!rules_current(w)) {
		want_full(w, ST_NEW, mono_us(), mono_us());
		return 0;
	}
	if (w->o.dry_run) {
		log_flow(w, &r, LOG_INFO, "stale (dry run)");
		return 0;
	}
	ret = scan_delete_one(&w->s, &r);
	if (ret) {
		log_warn("watch: cannot delete a new stale flow: %s",
		     strerror(-ret));
		return 0;
	}
	w->st.stale++;
	w->st.new_stale++;
	w->st.deleted[r.reason]++;
	log_flow(w, &r, LOG_INFO, "deleted");
	write_stats(w);
	return 1;
}

/* A new flow (conntrack event): a mirror of a forward deleted by a past
 * reaction (mirror.h) is deleted as soon as it appears; any other is
 * judged (judge_new). */
static int on_new_flow(const struct flow *f, void *data)
{
	struct watch *w = data;
	struct rec r;
	int ret;

	if (w->o.dry_run || !mirror_count(&w->s.mirrors))
		return judge_new(w, f);
	/* Not among a pass's results: events are read during passes too,
	 * and the pass would count it again.  Its own line and counters. */
	ret = scan_catch_mirror(&w->s, f, &r);
	if (ret < 0)
		log_warn("watch: cannot delete a mirror of a swept forward: %s",
		     strerror(-ret));
	if (ret == 0)
		return judge_new(w, f);
	if (ret < 0 || !r.deleted)
		return 0;
	w->st.stale++;
	w->st.deleted[JR_DNAT_MIRRORED]++;
	log_flow(w, &r, LOG_INFO, "deleted");
	write_stats(w);
	return 1;
}

/* --listen: bound now, before the privilege drop; served after it. */
static int listen_open(struct watch *w)
{
	int ret = httpd_open(&w->http, w->o.listen);

	if (ret == -EINVAL)
		log_err("watch: --listen '%s': not an address and port; give "
		    "one such as 127.0.0.1:10259 or [::1]:10259", w->o.listen);
	else if (ret)
		log_err("watch: cannot listen on '%s': %s; %s", w->o.listen,
		    strerror(-ret), ret == -EADDRINUSE ? "another process "
		    "has that port: choose another one" : ret ==
		    -EADDRNOTAVAIL ? "that address is not on this host (or "
		    "in --netns)" : ret == -EACCES ? "a port below 1024 "
		    "needs root or CAP_NET_BIND_SERVICE: choose a higher one" :
		    cmd_hint(ret));
	if (ret)
		return ret;
	ret = timer_open(HTTPD_TICK_MS, &w->tick_fd);
	if (ret)
		log_err("watch: cannot create a timer: %s", strerror(-ret));
	return ret;
}

static int setup(struct watch *w)
{
	int ret;

	w->s.tcp = w->o.tcp;
	w->s.keep_all = false;
	ret = scan_init(&w->s);
	if (ret) {
		cmd_report_error("watch", "conntrack", ret);
		return ret;
	}
	/* Sockets first, then the first pass: a change made while the
	 * first pass runs is then seen, not missed. */
	ret = nlmon_open(&w->nft, NLMON_NFT, (int)w->o.rcvbuf);
	if (ret) {
		cmd_report_error("watch", "nftables notifications", ret);
		return ret;
	}
	ret = nlmon_open(&w->rt, NLMON_ROUTE, (int)w->o.rcvbuf);
	if (ret) {
		cmd_report_error("watch", "route notifications", ret);
		return ret;
	}
	if (!w->o.no_index) {
		ret = windex_open(&w->ix, (int)w->o.rcvbuf);
		if (ret) {
			log_warn("watch: no flow index (conntrack events: %s); "
			     "walking the conntrack table on every change",
			     strerror(-ret));
			w->ix = NULL;
		}
	}
	if (w->ix) {
		windex_on_new(w->ix, on_new_flow, w);
		windex_set_tcp(w->ix, w->o.tcp);
		w->s.preempt = preempt_pass;
		w->s.preempt_data = w;
	}
	w->sigfd = signals_open();
	if (w->sigfd < 0) {
		log_err("watch: cannot set up signal handling: %s",
		    strerror(-w->sigfd));
		return w->sigfd;
	}
	ret = timer_open(w->o.resync_s * 1000, &w->resync_fd);
	if (!ret)
		ret = timer_open(w->o.legacy_poll_ms, &w->legacy_fd);
	if (ret) {
		log_err("watch: cannot create a timer: %s", strerror(-ret));
		return ret;
	}
	w->legacy_ms = w->o.legacy_poll_ms;
	return w->o.listen ? listen_open(w) : 0;
}

int cmd_watch(int argc, char **argv, struct opts *go)
{
	struct watch w = {
		.o = *go, .sigfd = -1, .resync_fd = -1, .legacy_fd = -1,
		.tick_fd = -1,
	};
	char poll[32], resync[64];
	struct privs_result pr;
	int ret;

	log_daemon();
	if (setup(&w)) {
		watch_free(&w);
		return EXIT_ERR;
	}
	/* Namespace entered (main.c) and sockets open: from here on only
	 * CAP_NET_ADMIN and CAP_NET_RAW (see privs.c). */
	ret = privs_drop(&pr);
	if (ret) {
		log_err("watch: cannot drop capabilities: %s; not starting with "
		    "more privileges than it needs", strerror(-ret));
		watch_free(&w);
		return EXIT_ERR;
	}
	w.st.start_time = unix_now();
	if (w.http && httpd_start(w.http)) {
		log_err("watch: cannot start the HTTP server on '%s'",
		    w.o.listen);
		watch_free(&w);
		return EXIT_ERR;
	}
	publish(&w);
	snprintf(poll, sizeof(poll), w.o.legacy_poll_ms ? "every %ld ms" :
		 "off", w.o.legacy_poll_ms);
	snprintf(resync, sizeof(resync), w.o.resync_s ?
		 "every %ld s, refill every %ld s" : "off", w.o.resync_s,
		 w.o.refill_s);
	log_info("watch: started: judging %s flows; nftables and route "
	     "notifications; iptables-legacy poll %s; resync %s; flow index "
	     "%s; capabilities %s%s%s; no_new_privs%s%s%s", w.o.tcp ?
	     "UDP and TCP" : "UDP", poll, resync, w.ix ? "on" : "off",
	     pr.net_admin ? "CAP_NET_ADMIN" : "",
	     pr.net_admin && pr.net_raw ? " " : "",
	     pr.net_raw ? "CAP_NET_RAW" : pr.net_admin ? "" : "none",
	     w.o.dry_run ? "; dry run: nothing is deleted" : "",
	     w.http ? "; /metrics and /healthz on " : "",
	     w.http ? w.o.listen : "");
	want_full(&w, ST_START, mono_us(), mono_us());
	ret = loop(&w);
	write_stats(&w);
	watch_free(&w);
	return ret ? EXIT_ERR : EXIT_OK;
}
