// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * scan.c - one reconcile pass.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ipt.h"
#include "nft.h"
#include "scan.h"
#include "hash.h"
#include <linux/rtnetlink.h>
#include <linux/netfilter/nf_conntrack_common.h>

#define READ_TRIES 5
/* recs a sweep lets gather before deleting the stale ones as it walks:
 * 0.4 MB of them, a few hundred microseconds of deletes */
#define DEL_WALK_BATCH 4096
/* recs a sweep keeps while it walks, stale ones held back for a filtered
 * flush of their class among them (1.7 MB): past this, memory would grow
 * with the table, and unless asked for the flush (--flush), every class
 * goes by deletes as walked instead.  The flush pays by itself (plan.h)
 * only for classes of about a tenth of the table, so by default few
 * tables lose one. */
#define DEL_WALK_HOLD 16384

static uint64_t wall_now(void)
{
	return (uint64_t)time(NULL);
}

int scan_init(struct scan *s)
{
	s->cache = calloc(JCACHE_SIZE, sizeof(*s->cache));
	if (!s->cache)
		return -ENOMEM;
	/* Without the file, mirrors are still caught while we run. */
	if (mirror_path(s->mirror_file, sizeof(s->mirror_file)))
		s->mirror_file[0] = '\0';
	else
		s->mirror_err = mirror_load(&s->mirrors, s->mirror_file,
					    wall_now());
	return ct_open(&s->ct);
}

void scan_free(struct scan *s)
{
	if (s->ct)
		ct_close(s->ct);
	if (s->ct_del)
		ct_close(s->ct_del);
	s->ct_del = NULL;
	nft_close(&s->nft);
	nm_model_free(&s->model);
	netenv_free(&s->env);
	mirror_free(&s->mirrors);
	free(s->cache);
	free(s->recs);
	s->ct = NULL;
	s->cache = NULL;
	s->recs = NULL;
}

static void reset_results(struct scan *s)
{
	s->nrecs = 0;
	s->del_from = 0;
	s->consistent = s->unknown = 0;
	/* what an earlier try deleted as it walked is gone, and counted */
	s->judged = s->stale = s->deleted = s->walk_deleted;
	s->flushed = s->flushes = 0;
	s->flush_refused = false;
	s->del_failed = false;
	s->nclasses = 0;
	s->classes_full = false;
	memcpy(s->by_reason, s->walk_by_reason, sizeof(s->by_reason));
}

static int load_rules(struct nft_sock *nl, struct nm_model *m,
		      const char **failed)
{
	struct nm_model legacy = { 0 };
	int ret;

	*failed = "the nftables ruleset";
	ret = nft_read(nl, m);
	if (ret)
		return ret;
	*failed = "the iptables-legacy tables (IPv4)";
	ret = ipt_read(&legacy, AF_INET);
	if (ret)
		goto out;
	*failed = "the ip6tables-legacy tables (IPv6)";
	ret = ipt_read(&legacy, AF_INET6);
	if (ret)
		goto out;
	ret = nm_model_merge(m, &legacy);
out:
	nm_model_free(&legacy);
	return ret;
}

/* A conntrack figure for the plan's costs; 0 when it cannot be read,
 * and the plan then narrows all it can. */
static uint64_t read_sysctl(const char *name)
{
	char path[96];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/netfilter/%s", name);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

int scan_legacy_moved(const struct scan *s, bool *v4, bool *v6)
{
	uint64_t fp[2];
	int e4 = ipt_fingerprint(AF_INET, &fp[0]);
	int e6 = ipt_fingerprint(AF_INET6, &fp[1]);

	*v4 = e4 || !s->legacy_read || fp[0] != s->legacy_fp[0];
	*v6 = e6 || !s->legacy_read || fp[1] != s->legacy_fp[1];
	if (e4 || e6)
		return e4 ? e4 : e6;
	return *v4 || *v6;
}

int scan_load(struct scan *s)
{
	struct plan_in in = { 0 };
	int ret;

	s->legacy_read = false;
	nm_model_free(&s->model);
	/* Before the tables are read: a change in between shows as a move.
	 * A table that cannot be read now is not judged from an old read. */
	s->failed = "the iptables-legacy tables";
	ret = ipt_fingerprint(AF_INET, &s->legacy_fp[0]);
	if (!ret)
		ret = ipt_fingerprint(AF_INET6, &s->legacy_fp[1]);
	if (ret)
		return ret;
	if (!s->keep_env || !s->env_loaded) {
		netenv_free(&s->env);
		s->env_loaded = false;
	}
	ret = load_rules(&s->nft, &s->model, &s->failed);
	if (ret)
		return ret;
	if (!s->env_loaded) {
		s->failed = "the routing table";
		ret = netenv_load(&s->env);
		if (ret)
			return ret;
		s->env_loaded = true;
	}
	s->failed = NULL;
	s->keys = judge_keys(&s->model);
	if (!++s->cache_gen) {	/* wrapped: 0 is calloc's "never used" */
		memset(s->cache, 0, JCACHE_SIZE * sizeof(*s->cache));
		s->cache_gen = 1;
	}
	in.tcp = s->tcp;
	s->udp_timeout = read_sysctl("nf_conntrack_udp_timeout");
	s->udp_timeout_stream = read_sysctl("nf_conntrack_udp_timeout_stream");
	in.entries = read_sysctl("nf_conntrack_count");
	in.buckets = read_sysctl("nf_conntrack_buckets");
	ret = plan_build(&s->model, &in, &s->plan);
	s->legacy_read = !ret;
	return ret;
}

/* The original tuple with every field the rules cannot see cleared. */
static void cache_key(const struct scan *s, const struct tuple *t,
		      struct tuple *k)
{
	memset(k, 0, sizeof(*k));
	k->family = t->family;
	k->l4proto = t->l4proto;
	/* The source decides the path (local or forwarded) and the input
	 * interface, so it is part of the key unless nothing reads it; a
	 * local source is then marked by the local-ness alone, unless the
	 * output interface is read: a local packet's may depend on its
	 * source (eval.c, local_src_fits()). */
	if (s->keys & (JK_SADDR | JK_IIF))
		k->src = t->src;
	else if (netenv_addr_type(&s->env, t->family, &t->src) == RTN_LOCAL) {
		if (s->keys & JK_OIF)
			k->src = t->src;
		else
			k->src.b[0] = 1;
	}
	if (s->keys & (JK_DADDR | JK_OIF))
		k->dst = t->dst;
	if (s->keys & JK_SPORT)
		k->sport = t->sport;
	if (s->keys & JK_DPORT)
		k->dport = t->dport;
}

/* Its fields, not the struct: an IPv4 key is 14 bytes of its 40. */
static uint32_t hash_key(const struct tuple *k)
{
	size_t alen = addr_len(k->family);
	uint32_t h;

	h = fnv32(FNV32_INIT, &k->family, 1);
	h = fnv32(h, &k->l4proto, 1);
	h = fnv32(h, k->src.b, alen);
	h = fnv32(h, k->dst.b, alen);
	h = fnv32(h, &k->sport, 2);
	return fnv32(h, &k->dport, 2);
}

/* The evaluation for @f, from the cache when a flow with the same visible
 * fields was evaluated before.  It stays in the cache (a judgement is
 * about 2 KiB, too much to copy per flow): valid until the next call. */
static const struct judgement *evaluate(struct scan *s, const struct flow *f)
{
	struct jcache_ent *e;
	struct tuple k;

	cache_key(s, &f->orig, &k);
	e = &s->cache[hash_key(&k) & (JCACHE_SIZE - 1)];
	if (e->gen == s->cache_gen && !memcmp(&e->key, &k, sizeof(k)))
		return &e->j;
	judge_eval(&s->model, &s->env, &f->orig, &e->j);
	e->gen = s->cache_gen;
	e->key = k;
	return &e->j;
}

/* What a pass keeps of a judgement. */
struct jv {
	enum jverdict verdict;
	enum jreason reason;
};

static struct jv judge(struct scan *s, const struct flow *f)
{
	struct jv v;

	v.verdict = judge_verdict(f, evaluate(s, f), &v.reason);
	return v;
}

static bool wanted_proto(const struct scan *s, uint8_t p)
{
	return p == IPPROTO_UDP || (s->tcp && p == IPPROTO_TCP);
}

/* Where a flow's verdict goes, in recs or as the caller's @out. */
static void set_rec(struct rec *r, const struct flow *f, struct jv j,
		    bool mirror)
{
	r->f = *f;
	r->verdict = j.verdict;
	r->reason = j.reason;
	r->deleted = false;
	r->mirror = mirror;
}

static int delete_walked(struct scan *s);

static int keep(struct scan *s, const struct flow *f, struct jv j,
		bool mirror)
{
	struct rec *r;

	if (s->nrecs == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;

		r = realloc(s->recs, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		s->recs = r;
		s->cap = cap;
	}
	set_rec(&s->recs[s->nrecs++], f, j, mirror);
	if (s->delete_as_walked && s->nrecs - s->del_from >= DEL_WALK_BATCH)
		return delete_walked(s);
	return 0;
}

/* The class @f would be flushed with (an index into s->classes), or -1. */
static int class_of(const struct scan *s, const struct flow *f)
{
	unsigned int i;

	for (i = 0; i < s->nclasses; i++) {
		const struct ct_filter *k = &s->classes[i].k;

		if (k->reply_src.ip == f->reply.src.ip &&
		    k->orig_dport == f->orig.dport &&
		    k->l4proto == f->orig.l4proto)
			return (int)i;
	}
	return -1;
}

/* Has @f a class at all: IPv4 (the kernel compares IPv6 addresses the
 * wrong way round) DNATed TCP or UDP. */
static bool classed(const struct flow *f)
{
	return (f->status & IPS_DST_NAT) && f->orig.family == AF_INET &&
	       (f->orig.l4proto == IPPROTO_UDP ||
		f->orig.l4proto == IPPROTO_TCP);
}

/* Every DNATed flow the dumps show goes to its class, whatever its
 * verdict (the walk's order is the hash table's): a class is a candidate
 * for the flush only while all of its flows are plain stale DNATed flows.
 * More classes than fit: none is flushed. */
static void note_class(struct scan *s, const struct flow *f, bool stale)
{
	struct fclass *c;
	int i;

	if (!s->classes_on || s->classes_full || !classed(f))
		return;
	i = class_of(s, f);
	if (i >= 0) {
		c = &s->classes[i];
	} else if (s->nclasses == SCAN_MAX_CLASSES) {
		s->classes_full = true;
		return;
	} else {
		c = &s->classes[s->nclasses++];
		memset(c, 0, sizeof(*c));
		plan_flush_class(f, &c->k);
	}
	if (stale)
		c->stale++;
	else
		c->mixed = true;
}

/* ---- one flow's way: mirror or not, judge, account ----
 * (inline: each step runs for every flow, 10M a pass on a large table,
 * and as calls of their own they cost 1-2 % of it) */

/*
 * What @f is to the DNATed flows we deleted (mirror.h): the mirror of one,
 * returned to be judged as that flow; or one of them back, whose candidate
 * ends so (check_mirrors would otherwise learn it with a lookup by tuple,
 * one system call and kernel lookup each: after a sweep of 100k, 100k of
 * them); or neither, NULL.
 */
static inline struct mirror_cand *sort_mirror(struct scan *s,
					      const struct flow *f)
{
	struct mirror_cand *c;

	switch (mirror_match(&s->mirrors, f, &c)) {
	case MM_MIRROR:
		c->mark = s->pass;
		return c;
	case MM_DNAT_BACK:
		mirror_drop(&s->mirrors, c);
		s->mirrors_dirty = true;
		break;
	case MM_NONE:
		break;
	}
	return NULL;
}

/* @f mirrors a DNATed flow we deleted.  Judge that flow, i.e. where the
 * peer's packets should go: stale when they should not go where @f takes
 * them.  A DNATed flow that is only SNAT-stale still reaches the backend
 * the rules name, so its mirror is left alone, as would be any outbound
 * flow. */
static struct jv judge_mirror(struct scan *s, const struct flow *f)
{
	struct flow dnat;
	struct jv j;

	flow_reversed(f, &dnat);
	j = judge(s, &dnat);
	if (j.verdict == JV_STALE && !judge_reason_dnat(j.reason))
		j.verdict = JV_CONSISTENT;
	if (j.verdict == JV_STALE)
		j.reason = JR_DNAT_MIRRORED;
	return j;
}

/* Count @f's verdict, tell its flush class, and keep it when it is worth
 * reporting: stale or unknown, or any with keep_all.  A consistent mirror
 * is the outbound flow it looks like. */
static inline int account(struct scan *s, const struct flow *f,
			  struct jv j, bool mirror)
{
	s->judged++;
	note_class(s, f, j.verdict == JV_STALE && !mirror);
	switch (j.verdict) {
	case JV_CONSISTENT:
		s->consistent++;
		return s->keep_all ? keep(s, f, j, false) : 0;
	case JV_STALE:
		s->stale++;
		break;
	default:
		s->unknown++;
		break;
	}
	if (j.reason < JR__MAX)
		s->by_reason[j.reason]++;
	return keep(s, f, j, mirror);
}

/* Every flow of a pass, from a dump or watch's index. */
static int on_flow(const struct flow *f, void *data)
{
	struct scan *s = data;
	struct mirror_cand *c;
	struct jv j;

	if (!(++s->returned % SCAN_PROGRESS) && s->progress)
		s->progress(s, s->progress_data);
	if (!wanted_proto(s, f->orig.l4proto))
		return 0;
	c = sort_mirror(s, f);
	j = c ? judge_mirror(s, f) : judge(s, f);
	return account(s, f, j, c != NULL);
}

/* The mirrors the walks did not show (the plan may not walk outbound
 * flows): lookups by tuple, many per datagram.  First each candidate's
 * DNATed flow: back, it is the usual end (forget the candidate), and it rules
 * a mirror out, since the two would share a tuple.  Then the mirrors of
 * the rest. */
static int check_mirrors(struct scan *s)
{
	struct ct_lookup *q;
	uint32_t *idx, i;
	size_t n = 0, k, m = 0;
	int ret;

	if (!mirror_count(&s->mirrors) || s->no_mirror_lookup)
		return 0;
	s->failed = "conntrack (looking for mirrors)";
	q = calloc(s->mirrors.n, sizeof(*q));
	idx = calloc(s->mirrors.n, sizeof(*idx));
	ret = -ENOMEM;
	if (!q || !idx)
		goto out;
	for (i = 0; i < s->mirrors.n; i++) {
		struct mirror_cand *c = &s->mirrors.c[i];
		struct flow cf;

		mirror_cand_flow(c, &cf);
		if (c->dead || c->mark == s->pass ||
		    !wanted_proto(s, cf.orig.l4proto))
			continue;
		q[n].orig = cf.orig;
		q[n].zone = cf.zone;
		idx[n++] = i;
	}
	ret = ct_get_many(s->ct, q, n);
	if (ret)
		goto out;
	for (k = 0; k < n; k++) {
		struct mirror_cand *c = &s->mirrors.c[idx[k]];
		struct flow cf;

		if (!q[k].err) {
			mirror_drop(&s->mirrors, c);
			s->mirrors_dirty = true;
			continue;
		}
		mirror_cand_flow(c, &cf);
		q[m].orig = cf.reply;
		q[m].zone = cf.zone;
		idx[m++] = idx[k];
	}
	ret = ct_get_many(s->ct, q, m);
	for (k = 0; !ret && k < m; k++) {
		struct mirror_cand *c;

		if (q[k].err)
			continue;
		c = sort_mirror(s, &q[k].f);
		if (c)
			ret = account(s, &q[k].f, judge_mirror(s, &q[k].f),
				      true);
	}
out:
	free(q);
	free(idx);
	return ret;
}

/* By its tuple and id: a newer entry of the tuple survives. */
static int delete_flow(struct scan *s, const struct flow *f)
{
	size_t done;

	return ct_delete(s->ct, f, 1, &done);
}

/* Delete the stale mirrors among recs[from..]. */
static int delete_mirrors(struct scan *s, size_t from)
{
	size_t i;
	int ret;

	for (i = from; i < s->nrecs; i++) {
		struct rec *r = &s->recs[i];

		if (!r->mirror || r->verdict != JV_STALE || r->deleted)
			continue;
		ret = delete_flow(s, &r->f);
		if (ret)
			return ret;
		r->deleted = true;
		s->deleted++;
	}
	return 0;
}

int scan_mirrors_lookup(struct scan *s)
{
	size_t n = s->nrecs;
	int ret;

	s->pass++;
	s->no_mirror_lookup = false;
	ret = check_mirrors(s);
	if (!ret)
		ret = delete_mirrors(s, n);
	if (!ret)
		s->failed = NULL;
	return ret;
}

/* ---- one flow outside a pass (a conntrack event) ---- */

int scan_catch_mirror(struct scan *s, const struct flow *f, struct rec *out)
{
	struct mirror_cand *c;
	struct jv j;
	int ret;

	if (!wanted_proto(s, f->orig.l4proto))
		return 0;
	c = sort_mirror(s, f);
	if (!c)
		return 0;
	j = judge_mirror(s, f);
	set_rec(out, f, j, j.verdict != JV_CONSISTENT);
	if (j.verdict != JV_STALE)
		return 1;
	ret = delete_flow(s, f);
	if (ret)
		return ret;
	out->deleted = true;
	return 1;
}

int scan_judge_one(struct scan *s, const struct flow *f, struct rec *out)
{
	if (!wanted_proto(s, f->orig.l4proto))
		return 0;
	set_rec(out, f, judge(s, f), false);
	return 1;
}

int scan_add_result(struct scan *s, const struct rec *r)
{
	struct jv j = { .verdict = r->verdict, .reason = r->reason };
	int ret = account(s, &r->f, j, r->mirror);

	if (ret || !r->deleted)
		return ret;
	s->recs[s->nrecs - 1].deleted = true;
	s->deleted++;
	return 0;
}

void scan_mirrors_save(struct scan *s)
{
	uint32_t n = mirror_count(&s->mirrors);

	mirror_expire(&s->mirrors, wall_now(), MIRROR_TTL);
	if (mirror_count(&s->mirrors) != n)
		s->mirrors_dirty = true;
	if (!s->mirrors_dirty || !s->mirror_file[0])
		return;
	s->mirror_err = mirror_save(&s->mirrors, s->mirror_file, wall_now());
	s->mirrors_dirty = false;
}

/* A sweep run by hand next to watch (or the other way round) may have
 * added candidates since we read the file: take them before judging. */
static void mirrors_refresh(struct scan *s)
{
	if (!s->mirror_file[0] || !mirror_file_changed(&s->mirrors,
							s->mirror_file))
		return;
	s->mirror_err = mirror_load(&s->mirrors, s->mirror_file, wall_now());
}

int scan_feed(struct scan *s, const struct flow *f)
{
	return on_flow(f, s);
}

/* Every walk of the plan, each flow to the judge. */
static int feed_dumps(struct scan *s, void *data)
{
	struct plan p;
	unsigned int i;
	int ret = 0;

	s->failed = "conntrack";
	/* no class can pay when the whole table as one would not */
	s->classes_on = s->flush == SF_ALWAYS ||
			(s->flush == SF_AUTO &&
			 plan_flush_pays(&s->plan, s->plan.entries));
	/* a copy: what the first walk teaches holds for this pass only */
	p = s->plan;
	for (i = 0; i < p.n; i++) {
		s->returned = 0;
		s->walk = i + 1;
		s->walks = p.n;
		ret = ct_dump(s->ct, &p.walk[i], on_flow, s);
		if (ret)
			break;
		if (!i)
			plan_after_dnat_walk(&p, s->returned);
	}
	/* the last batch, while the classes still hold their flows back */
	if (!ret && s->delete_as_walked)
		ret = delete_walked(s);
	s->classes_on = false;
	return ret;
}

int scan_pass(struct scan *s, int (*feed)(struct scan *s, void *data),
	      void *data)
{
	unsigned int tries;
	bool v4, v6;
	uint32_t gen;
	int ret;

	/* A ruleset that changes while we judge would make us judge flows
	 * against rules that no longer hold: read again until it holds
	 * still across a whole pass. */
	mirrors_refresh(s);
	for (tries = 0; tries < READ_TRIES; tries++) {
		reset_results(s);
		s->pass++;
		ret = feed(s, data);
		if (!ret)
			ret = check_mirrors(s);
		if (ret)
			return ret;
		s->failed = "the nftables ruleset";
		ret = nft_genid(&s->nft, &gen);
		if (ret)
			return ret;
		/* iptables-legacy has no generation: its fingerprint */
		if (gen == s->model.genid &&
		    scan_legacy_moved(s, &v4, &v6) == 0) {
			s->failed = NULL;
			return 0;
		}
		ret = scan_load(s);
		if (ret)
			return ret;
	}
	s->failed = "the rules (they kept changing)";
	return -EAGAIN;
}

int scan_run(struct scan *s)
{
	return scan_pass(s, feed_dumps, NULL);
}

struct port_sel {
	const uint16_t *ports;
	int n;
};

/* A flow one of the plan's walks would have returned. */
static int on_port_flow(const struct flow *f, void *data)
{
	struct scan *s = data;
	unsigned int i;

	for (i = 0; i < s->plan.n; i++)
		if (ct_filter_match(&s->plan.walk[i], f))
			return on_flow(f, s);
	return 0;
}

static bool family_nats(const struct scan *s, int fam)
{
	const struct nat_caps *c = &s->plan.caps[fam == AF_INET6];

	return c->dnat || c->snat_static || c->masq;
}

/* One walk per port, protocol and family, each filtered in the kernel,
 * so each returns only the flows to that port.  Only the families some
 * rule can NAT: the flows of the others can only have lost a NAT, and
 * the full pass judges them (this one only puts the likely flows first). */
static int feed_ports(struct scan *s, void *data)
{
	static const uint8_t fams[] = { AF_INET, AF_INET6 };
	const struct port_sel *p = data;
	struct ct_filter flt = { .has_orig_dport = true };
	int k, f, ret = 0;

	s->failed = "conntrack";
	for (k = 0; k < p->n && !ret; k++)
		for (f = 0; f < 2 && !ret; f++) {
			if (!family_nats(s, fams[f]))
				continue;
			flt.family = fams[f];
			flt.orig_dport = p->ports[k];
			flt.l4proto = IPPROTO_UDP;
			ret = ct_dump(s->ct, &flt, on_port_flow, s);
			if (!ret && s->tcp) {
				flt.l4proto = IPPROTO_TCP;
				ret = ct_dump(s->ct, &flt, on_port_flow, s);
			}
		}
	return ret;
}

int scan_run_ports(struct scan *s, const uint16_t *ports, int n)
{
	struct port_sel p = { .ports = ports, .n = n };

	return scan_pass(s, feed_ports, &p);
}

/* Did @f see a packet in the last seconds?  A UDP entry's timer restarts
 * at the state's full timeout with each packet, so a timer well below it
 * means an idle flow, and an idle flow has no reply on its way to race
 * the delete.  Other protocols, or a timer we cannot place: busy. */
static bool busy(const struct scan *s, const struct flow *f)
{
	uint64_t full;

	/* watch's index keeps no timers: 0 is "unknown" there */
	if (f->orig.l4proto != IPPROTO_UDP || !f->timeout)
		return true;
	full = f->status & IPS_ASSURED ? s->udp_timeout_stream :
					 s->udp_timeout;
	return !full || (uint64_t)f->timeout + 3 >= full;
}

/* After @r was deleted: a DNATed flow whose backend may still answer is
 * remembered, so that the entry its late reply makes backwards (a
 * mirror) is known for what it is. */
static void remember(struct scan *s, const struct rec *r)
{
	struct mirror_cand *c;

	if (r->mirror) {
		/* the backend may answer once more, as before */
		c = mirror_find(&s->mirrors, &r->f);
		if (c && busy(s, &r->f))
			mirror_wait(&s->mirrors, c);
		return;
	}
	/* An idle flow has no reply on its way: nothing can race the
	 * delete.  A backend that starts talking later is the outbound
	 * flow it looks like. */
	if (!mirror_possible(&r->f) || !busy(s, &r->f))
		return;
	/* ENOMEM: no candidate, the mirror would go unnoticed */
	if (mirror_add(&s->mirrors, &r->f, wall_now()))
		return;
	s->mirrors_dirty = true;
	c = mirror_find_orig(&s->mirrors, &r->f);
	if (c)
		mirror_wait(&s->mirrors, c);
}

/* plan.h's conditions for a flush to delete exactly what per-flow
 * deletes would, but whether it pays. */
static bool class_exact(const struct scan *s, const struct fclass *c)
{
	return !c->mixed && plan_covers(&s->plan, &c->k) &&
	       !plan_may_dnat_to(&s->plan, c->k.family, &c->k.reply_src);
}

/* A stale rec delete_walked takes: not a mirror (those go after the
 * walks, with the lookups), nor in a class the flush may yet take whole. */
static bool walk_deletable(const struct scan *s, const struct rec *r)
{
	int i;

	if (r->verdict != JV_STALE || r->mirror)
		return false;
	if (!s->classes_on || s->classes_full || !classed(&r->f))
		return true;
	i = class_of(s, &r->f);
	return i < 0 || !class_exact(s, &s->classes[i]);
}

/* The recs a batch of deletes takes (ct_delete_each), from recs[i] on. */
struct rec_iter {
	struct scan *s;
	size_t i;
	bool (*takes)(const struct scan *s, const struct rec *r);
};

static const struct flow *next_rec(void *data)
{
	struct rec_iter *it = data;

	while (it->i < it->s->nrecs) {
		const struct rec *r = &it->s->recs[it->i++];

		if (it->takes(it->s, r))
			return &r->f;
	}
	return NULL;
}

/* ct_delete_each's word that a flow left the table: @f is the flow of a
 * rec next_rec handed out, so the rec is found by where it lies. */
static void rec_gone(void *data, const struct flow *f)
{
	struct rec_iter *it = data;
	size_t i = (size_t)((const char *)f - (const char *)it->s->recs) /
		   sizeof(*it->s->recs);

	it->s->recs[i].deleted = true;
}

/*
 * Delete the stale recs gathered since the last batch, on a socket of
 * their own (ct's is in the middle of a dump), and drop them from recs.
 * Only while the ruleset is the one judged against: else the pass is
 * judged again anyway (scan_pass), and nothing is deleted on old rules.
 * A delete does not disturb the dump: the kernel resumes it from an
 * entry it has not sent yet, which is not among those deleted.
 */
static int delete_walked(struct scan *s)
{
	size_t i, from = s->del_from, n, done;
	struct rec_iter it = { .s = s, .takes = walk_deletable };
	uint32_t gen;
	int ret = 0;

	if (nft_genid(&s->nft, &gen) || gen != s->model.genid) {
		s->del_from = s->nrecs;	/* judged again, or at the end */
		return 0;
	}
	if (from > DEL_WALK_HOLD && !s->classes_full &&
	    s->flush != SF_ALWAYS) {
		/* too many kept: no flush, and the held back go now too */
		s->classes_full = true;
		from = 0;
	}
	it.i = n = from;
	if (!s->ct_del) {
		ret = ct_open(&s->ct_del);
		if (ret)
			goto fail;
	}
	ret = ct_delete_each(s->ct_del, next_rec, rec_gone, &it, &done);
	/* What went leaves recs and is counted, also when the deletes
	 * failed part way (the caller's message says how many went). */
	for (i = from; i < s->nrecs; i++) {
		struct rec *r = &s->recs[i];

		if (!r->deleted || !walk_deletable(s, r)) {
			s->recs[n++] = *r;
			continue;
		}
		remember(s, r);
		s->deleted++;
		s->walk_deleted++;
		if (r->reason < JR__MAX)
			s->walk_by_reason[r->reason]++;
	}
	s->nrecs = n;
	s->del_from = n;
	if (ret)
		goto fail;
	if (s->progress)
		s->progress(s, s->progress_data);
	return 0;
fail:
	s->failed = "conntrack";
	s->del_failed = true;
	return ret;
}

/* plan.h says when a class may go in one flush. */
static bool flushable(const struct scan *s, const struct fclass *c)
{
	if (!c->stale || s->classes_full || !class_exact(s, c))
		return false;
	return s->flush == SF_ALWAYS ||
	       (s->flush == SF_AUTO && plan_flush_pays(&s->plan, c->stale));
}

/* Flush the classes that may go whole.  A flush the kernel cannot do
 * exactly (too old, no CAP_SYS_ADMIN for its probe) or that fails leaves
 * its flows to the deletes by tuple; so does a ruleset that changed since
 * the pass, as its new rules may send new flows into the class. */
static void flush_classes(struct scan *s)
{
	unsigned int i;
	uint32_t gen;
	int err;

	for (i = 0; i < s->nclasses; i++) {
		struct fclass *c = &s->classes[i];

		if (!flushable(s, c))
			continue;
		if (nft_genid(&s->nft, &gen) || gen != s->model.genid)
			return;
		err = ct_flush_filtered(s->ct, &c->k);
		if (err) {
			s->flush_refused = err == -EOPNOTSUPP;
			return;
		}
		c->flushed = true;
		s->flushed += c->stale;
		s->flushes++;
	}
}

static bool gone_by_flush(const struct scan *s, const struct rec *r)
{
	int i;

	if (!s->flushes || r->mirror || !classed(&r->f))
		return false;
	i = class_of(s, &r->f);
	return i >= 0 && s->classes[i].flushed;
}

/* What scan_delete takes by tuple: the stale recs no flush took. */
static bool delete_left(const struct scan *s, const struct rec *r)
{
	return r->verdict == JV_STALE && !gone_by_flush(s, r);
}

/* After deletes that failed part way: what the flushes and the deletes
 * took is marked and counted, the rest stays for the next try. */
static void gone_before_failure(struct scan *s)
{
	size_t i;

	for (i = 0; i < s->nrecs; i++) {
		struct rec *r = &s->recs[i];

		if (r->verdict != JV_STALE)
			continue;
		if (gone_by_flush(s, r))
			r->deleted = true;
		if (!r->deleted)
			continue;
		remember(s, r);
		s->deleted++;
	}
}

int scan_delete(struct scan *s)
{
	struct rec_iter it = { .s = s, .takes = delete_left };
	size_t i, done = 0;
	int ret;

	s->failed = "conntrack";
	s->del_failed = true;
	flush_classes(s);
	ret = ct_delete_each(s->ct, next_rec, rec_gone, &it, &done);
	if (ret) {
		gone_before_failure(s);
		return ret;
	}
	/* Entries that vanished on their own count as done: they are gone,
	 * which is what was asked. */
	for (i = 0; i < s->nrecs; i++) {
		struct rec *r = &s->recs[i];

		if (r->verdict != JV_STALE)
			continue;
		r->deleted = true;
		remember(s, r);
	}
	s->deleted = s->stale;
	s->failed = NULL;
	s->del_failed = false;
	scan_mirrors_save(s);
	return 0;
}

void scan_count_deleted(const struct scan *s, size_t *n, size_t *by_reason)
{
	size_t i;

	for (i = 0; i < s->nrecs; i++) {
		const struct rec *r = &s->recs[i];

		if (r->verdict != JV_STALE || !r->deleted)
			continue;
		(*n)++;
		if (r->reason < JR__MAX)
			by_reason[r->reason]++;
	}
}

int scan_delete_one(struct scan *s, struct rec *r)
{
	int ret = delete_flow(s, &r->f);

	if (ret)
		return ret;
	r->deleted = true;
	remember(s, r);
	scan_mirrors_save(s);
	return 0;
}

void scan_explain(const struct scan *s, const struct rec *r,
		  struct judgement *j)
{
	struct flow dnat;

	if (!r->mirror) {
		judge_flow(&s->model, &s->env, &r->f, j);
		return;
	}
	flow_reversed(&r->f, &dnat);
	judge_flow(&s->model, &s->env, &dnat, j);
}
