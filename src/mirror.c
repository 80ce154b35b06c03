// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mirror.c - DNATed flows we deleted, and the entries that mirror them:
 * the set, its index and its file format.  Pure (no syscall, no
 * environment), so all of it runs in unit tests and the fuzzer without
 * root; mirror_file.c keeps the set in its file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mirror.h"
#include "hash.h"

static bool tuple_eq(const struct tuple *a, const struct tuple *b)
{
	return a->family == b->family && a->l4proto == b->l4proto &&
	       a->sport == b->sport && a->dport == b->dport &&
	       addr_eq(a->family, &a->src, &b->src) &&
	       addr_eq(a->family, &a->dst, &b->dst);
}

bool mirror_possible(const struct flow *f)
{
	const struct tuple *o = &f->orig, *r = &f->reply;

	if (o->l4proto != IPPROTO_UDP && o->l4proto != IPPROTO_TCP)
		return false;
	if (o->family != AF_INET && o->family != AF_INET6)
		return false;
	if (addr_eq(o->family, &r->src, &o->dst) && r->sport == o->dport)
		return false;	/* not DNATed */
	/* The mirror's masquerade keeps the backend's port; it lands on
	 * the peer's stream only if that is the DNATed flow's dport.  (Other
	 * answers start outbound flows that carry nothing of the peer's:
	 * left alone, like any outbound flow.) */
	if (r->sport != o->dport)
		return false;
	/* Source rewritten too (NAT loopback): replies go to the router,
	 * the backend's answer cannot start a flow to the peer. */
	return addr_eq(o->family, &r->dst, &o->src) && r->dport == o->sport;
}

/* ---- a candidate: the deleted flow's key fields ----------------------- */

static uint8_t cand_family(const struct mirror_cand *c)
{
	return c->v6 ? AF_INET6 : AF_INET;
}

static uint8_t cand_proto(const struct mirror_cand *c)
{
	return c->tcp ? IPPROTO_TCP : IPPROTO_UDP;
}

static void cand_tuple(const struct mirror_cand *c, const union addr *src,
		       uint16_t sport, const union addr *dst, uint16_t dport,
		       struct tuple *t)
{
	memset(t, 0, sizeof(*t));
	t->family = cand_family(c);
	t->l4proto = cand_proto(c);
	t->src = *src;
	t->dst = *dst;
	t->sport = sport;
	t->dport = dport;
}

void mirror_cand_flow(const struct mirror_cand *c, struct flow *f)
{
	memset(f, 0, sizeof(*f));
	cand_tuple(c, &c->peer, c->pport, &c->router, c->dport, &f->orig);
	cand_tuple(c, &c->backend, c->dport, &c->peer, c->pport, &f->reply);
	f->zone = c->zone;
}

/* @f is mirror_possible(): everything but @when and the index. */
static void cand_set(struct mirror_cand *c, const struct flow *f)
{
	memset(c, 0, sizeof(*c));
	c->peer = f->orig.src;
	c->router = f->orig.dst;
	c->backend = f->reply.src;
	c->pport = f->orig.sport;
	c->dport = f->orig.dport;
	c->zone = f->zone;
	c->v6 = f->orig.family == AF_INET6;
	c->tcp = f->orig.l4proto == IPPROTO_TCP;
}

/* Is @c the DNATed flow whose original tuple is @o (zone @zone)? */
static bool cand_is_orig(const struct mirror_cand *c, const struct tuple *o,
			 uint16_t zone)
{
	struct tuple t;

	/* the ports first: they tell almost every other candidate apart
	 * without building its tuple */
	if (c->dead || c->zone != zone || c->pport != o->sport ||
	    c->dport != o->dport)
		return false;
	cand_tuple(c, &c->peer, c->pport, &c->router, c->dport, &t);
	return tuple_eq(&t, o);
}

/* ---- the index: one chained hash over the candidates ------------------ */

/*
 * A candidate (P:pp -> R:dp, replies from B:dp) and its mirror (B:dp ->
 * P:pp) share the peer's end and the port dp, so one key finds a
 * candidate both by its mirror and by its DNATed flow.
 */
static uint32_t khash(uint8_t family, uint8_t proto, uint16_t zone,
		      const union addr *peer, uint16_t pport, uint16_t dport)
{
	uint32_t h = FNV32_INIT;

	h = fnv32(h, &family, 1);
	h = fnv32(h, &proto, 1);
	h = fnv32(h, peer->b, addr_len(family));
	h = fnv32(h, &pport, 2);
	h = fnv32(h, &dport, 2);
	return fnv32(h, &zone, 2);
}

static uint32_t cand_hash(const struct mirror_cand *c)
{
	return khash(cand_family(c), cand_proto(c), c->zone, &c->peer,
		     c->pport, c->dport);
}

/*
 * Beside the buckets, a filter of one byte a bucket, a bit per key hash:
 * a sweep asks for every flow it is shown whether it is a candidate's
 * DNATed flow, and almost none is.  Buckets and candidates are far apart in
 * memory that the kernel's dump has just swept through the caches; the
 * filter is an eighth of the buckets' size and answers most "no"s alone.
 */
static uint32_t filter_bit(const struct mirror_set *ms, uint32_t h)
{
	/* the top bits of a multiplicative hash: not the bucket's bits */
	return (h * 0x9e3779b1u) >> (32 - 3 - __builtin_ctz(ms->nb));
}

static bool filter_has(const struct mirror_set *ms, uint32_t h)
{
	uint32_t b = filter_bit(ms, h);

	return ms->filter[b >> 3] & (1u << (b & 7));
}

static void link_one(struct mirror_set *ms, uint32_t i)
{
	struct mirror_cand *c = &ms->c[i];
	uint32_t h = cand_hash(c), b = h & (ms->nb - 1), fb;

	c->next = ms->head[b];
	ms->head[b] = i + 1;
	fb = filter_bit(ms, h);
	ms->filter[fb >> 3] |= 1u << (fb & 7);
}

/* Drop dead candidates and the oldest beyond MIRROR_MAX - @room, then
 * relink into as many buckets as candidates and @room at least (chains
 * of one at most on average). */
static int rebuild(struct mirror_set *ms, uint32_t room)
{
	uint32_t nb = 16, i, j = 0, skip = 0, live = ms->n - ms->ndead;
	uint32_t *head;

	if (live + room > MIRROR_MAX)
		skip = live + room - MIRROR_MAX;
	while (nb < live - skip + room)
		nb <<= 1;
	/* the filter's nb bytes follow the buckets in one block */
	head = calloc(nb, sizeof(*head) + 1);
	if (!head)
		return -ENOMEM;
	/* candidates are appended, so the oldest come first */
	for (i = 0; i < ms->n; i++) {
		if (ms->c[i].dead)
			continue;
		if (skip) {
			skip--;
			continue;
		}
		ms->c[j++] = ms->c[i];
	}
	ms->n = j;
	ms->ndead = 0;
	free(ms->head);
	ms->head = head;
	ms->filter = (uint8_t *)(head + nb);
	ms->nb = nb;
	ms->rebuilds++;
	for (i = 0; i < ms->n; i++)
		link_one(ms, i);
	return 0;
}

/*
 * Room for one more: compact, or grow by half (a set that only doubles is
 * a quarter empty on average), up to MIRROR_MAX.  A rebuild costs the
 * whole set, so it is done only when it frees an eighth of it at least,
 * and a full set sheds its oldest eighth at once: a rebuild per cap / 8
 * adds.  (Shedding one at a time made a sweep that deletes 100k DNATed flows
 * rebuild 16k candidates 84k times: 13 s.)
 */
static int make_room(struct mirror_set *ms)
{
	struct mirror_cand *c;
	uint32_t cap;
	int err;

	if (ms->n < ms->cap)
		return 0;
	if (ms->cap >= MIRROR_MAX || (ms->cap && ms->ndead >= ms->cap / 8)) {
		err = rebuild(ms, ms->cap >= MIRROR_MAX ? MIRROR_MAX / 8 : 0);
		if (err || ms->n < ms->cap)
			return err;
	}
	cap = ms->cap < 16 ? 16 : ms->cap + ms->cap / 2;
	if (cap > MIRROR_MAX)
		cap = MIRROR_MAX;
	c = realloc(ms->c, (size_t)cap * sizeof(*c));
	if (!c)
		return -ENOMEM;
	ms->c = c;
	ms->cap = cap;
	return 0;
}

/* Room for @more candidates in one step (a file's worth, loaded), not
 * grown and relinked piece by piece; never beyond MIRROR_MAX. */
static int reserve(struct mirror_set *ms, size_t more)
{
	struct mirror_cand *c;
	uint32_t want;
	int err;

	if (more > MIRROR_MAX - mirror_count(ms))
		more = MIRROR_MAX - mirror_count(ms);
	if (ms->ndead) {
		err = rebuild(ms, 0);
		if (err)
			return err;
	}
	want = ms->n + (uint32_t)more;
	if (want > ms->cap) {
		c = realloc(ms->c, (size_t)want * sizeof(*c));
		if (!c)
			return -ENOMEM;
		ms->c = c;
		ms->cap = want;
	}
	return want > ms->nb ? rebuild(ms, (uint32_t)more) : 0;
}

/* The live candidate whose original tuple is @o, and backend @backend
 * unless NULL. */
static struct mirror_cand *lookup(const struct mirror_set *ms,
				  const struct tuple *o, uint16_t zone,
				  const union addr *backend)
{
	uint32_t i, h;

	if (!ms->nb || ms->n == ms->ndead)
		return NULL;
	h = khash(o->family, o->l4proto, zone, &o->src, o->sport, o->dport);
	if (!filter_has(ms, h))
		return NULL;
	for (i = ms->head[h & (ms->nb - 1)]; i; i = ms->c[i - 1].next) {
		struct mirror_cand *c = &ms->c[i - 1];

		if (cand_is_orig(c, o, zone) &&
		    (!backend || addr_eq(o->family, &c->backend, backend)))
			return c;
	}
	return NULL;
}

struct mirror_cand *mirror_find(const struct mirror_set *ms,
				const struct flow *f)
{
	struct mirror_cand *c;
	struct tuple t;

	/* A mirror's reply tuple is its candidate's original one, P:pp ->
	 * R:dp, so its replies come from where it was sent: a flow DNATed
	 * on the way in is no mirror (and that is most of a sweep's). */
	if (f->reply.sport != f->orig.dport ||
	    !addr_eq(f->orig.family, &f->reply.src, &f->orig.dst))
		return NULL;
	c = lookup(ms, &f->reply, f->zone, &f->orig.src);
	if (!c)
		return NULL;
	cand_tuple(c, &c->backend, c->dport, &c->peer, c->pport, &t);
	return tuple_eq(&t, &f->orig) ? c : NULL;
}

struct mirror_cand *mirror_find_orig(const struct mirror_set *ms,
				     const struct flow *f)
{
	return lookup(ms, &f->orig, f->zone, NULL);
}

int mirror_add(struct mirror_set *ms, const struct flow *f, uint64_t now)
{
	struct mirror_cand *c;
	int err;

	if (!mirror_possible(f))
		return -EINVAL;
	c = lookup(ms, &f->orig, f->zone, &f->reply.src);
	if (c) {
		/* deleted again: keep it longer (an older copy, from the
		 * file, changes nothing) */
		if (now >= c->when)
			c->when = now;
		return 0;
	}
	err = make_room(ms);
	if (err)
		return err;
	if (ms->n + 1 > ms->nb) {
		err = rebuild(ms, 1);
		if (err)
			return err;
	}
	c = &ms->c[ms->n];
	cand_set(c, f);
	c->when = now;
	link_one(ms, ms->n++);
	return 0;
}

void mirror_drop(struct mirror_set *ms, struct mirror_cand *c)
{
	if (c->dead)
		return;
	c->dead = 1;
	ms->ndead++;
	if (c->waiting) {
		c->waiting = 0;
		ms->nwaiting--;
	}
}

void mirror_wait(struct mirror_set *ms, struct mirror_cand *c)
{
	if (c->dead || c->waiting)
		return;
	c->waiting = 1;
	ms->nwaiting++;
}

void mirror_expire(struct mirror_set *ms, uint64_t now, uint64_t ttl)
{
	uint32_t i;

	for (i = 0; i < ms->n; i++)
		if (!ms->c[i].dead && ms->c[i].when + ttl <= now)
			mirror_drop(ms, &ms->c[i]);
	if (ms->ndead && ms->ndead * 2 >= ms->n)
		rebuild(ms, 0);	/* on ENOMEM: later */
}

size_t mirror_mem(const struct mirror_set *ms)
{
	return (size_t)ms->cap * sizeof(*ms->c) +
	       (size_t)ms->nb * (sizeof(*ms->head) + 1);
}

void mirror_free(struct mirror_set *ms)
{
	free(ms->c);
	free(ms->head);
	memset(ms, 0, sizeof(*ms));
}

/* ---- the file ---------------------------------------------------------- */

/* Fixed layout, host byte order for the small integers (the file never
 * leaves this machine), network order for addresses and ports as in
 * struct flow.  Versioned by the magic.  Bytes 4-7 held the flow's status
 * bits, which nothing used: written 0, ignored. */
#define MAGIC		"CTSMIR1\n"
#define REC_SIZE	88

static void put_tuple(uint8_t *p, const struct tuple *t)
{
	memcpy(p, t->src.b, 16);
	memcpy(p + 16, t->dst.b, 16);
	memcpy(p + 32, &t->sport, 2);
	memcpy(p + 34, &t->dport, 2);
}

static void get_tuple(const uint8_t *p, uint8_t family, uint8_t proto,
		      struct tuple *t)
{
	memset(t, 0, sizeof(*t));
	t->family = family;
	t->l4proto = proto;
	memcpy(t->src.b, p, 16);
	memcpy(t->dst.b, p + 16, 16);
	memcpy(&t->sport, p + 32, 2);
	memcpy(&t->dport, p + 34, 2);
}

static void put_rec(uint8_t *p, const struct mirror_cand *c)
{
	struct flow f;

	mirror_cand_flow(c, &f);
	memset(p, 0, REC_SIZE);
	p[0] = f.orig.family;
	p[1] = f.orig.l4proto;
	memcpy(p + 2, &f.zone, 2);
	put_tuple(p + 8, &f.orig);
	put_tuple(p + 44, &f.reply);
	memcpy(p + 80, &c->when, 8);
}

static int get_rec(const uint8_t *r, struct flow *f, uint64_t *when)
{
	memset(f, 0, sizeof(*f));
	memcpy(&f->zone, r + 2, 2);
	get_tuple(r + 8, r[0], r[1], &f->orig);
	get_tuple(r + 44, r[0], r[1], &f->reply);
	memcpy(when, r + 80, 8);
	return mirror_possible(f) ? 0 : -EBADMSG;
}

/* Expired, or from a clock gone back. */
static bool stale_time(uint64_t when, uint64_t now)
{
	return when + MIRROR_TTL <= now || when > now + MIRROR_TTL;
}

int mirror_parse(struct mirror_set *ms, const void *buf, size_t len,
		 uint64_t now)
{
	const uint8_t *p = buf;
	size_t i, n, live = 0;
	uint64_t when;
	struct flow f;
	int err;

	if (len < 8 || memcmp(p, MAGIC, 8) || (len - 8) % REC_SIZE)
		return -EBADMSG;
	n = (len - 8) / REC_SIZE;
	/* all or nothing: check every record before adding one */
	for (i = 0; i < n; i++) {
		if (get_rec(p + 8 + i * REC_SIZE, &f, &when))
			return -EBADMSG;
		live += !stale_time(when, now);
	}
	err = live ? reserve(ms, live) : 0;
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		get_rec(p + 8 + i * REC_SIZE, &f, &when);
		if (stale_time(when, now))
			continue;
		err = mirror_add(ms, &f, when);
		if (err)
			return err;
	}
	return 0;
}

ssize_t mirror_format(const struct mirror_set *ms, uint32_t *pos,
		      uint8_t *buf, size_t len)
{
	size_t done = 0;

	if (len < REC_SIZE)
		return -EINVAL;
	if (!*pos) {
		memcpy(buf, MAGIC, 8);
		done = 8;
		*pos = 1;
	}
	/* *pos - 1: the next candidate to look at */
	for (; *pos - 1 < ms->n && done + REC_SIZE <= len; ++*pos) {
		if (ms->c[*pos - 1].dead)
			continue;
		put_rec(buf + done, &ms->c[*pos - 1]);
		done += REC_SIZE;
	}
	return done;
}

size_t mirror_file_max(void)
{
	return 8 + (size_t)MIRROR_MAX * REC_SIZE;
}
