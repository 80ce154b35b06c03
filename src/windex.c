// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * windex.c - the flow index.
 *
 * A walk of the conntrack table costs about 0.3 us an entry in the kernel
 * however narrow its filter, so a reaction that dumps cannot be fast on a
 * big table.  The index keeps, in memory, every flow of the protocols watch
 * judges, fed by conntrack NEW and DESTROY events (the NAT of an entry is
 * fixed when it is confirmed, so updates carry nothing the judge reads).
 * A reaction drains the queued events, then judges the indexed flows the
 * plan covers, with the same judge and group cache as a dump, and deletes
 * by tuple and id: no walk.  Lost events (ENOBUFS) refill it from a dump.
 *
 * An entry is 40 bytes: ports, ids and status inline; IPv4 addresses
 * inline; IPv6 addresses as indices into a refcounted pool (a flow's four
 * addresses are mostly the router's own and a few backends'), plus 2 bytes
 * of destination port in a column of its own: the early pass looks for the
 * flows to a few ports, and a walk of that column touches 2 MB at 1M flows
 * where a walk of the entries touches 40 MB (~5 ms).
 *
 * Memory grows in small steps, never by doubling: entries live in segments
 * of SEG slots (the slot number names segment and place), and the hash
 * table is linear hashing (Litwin): one bucket is split at a time as the
 * count grows, into bucket segments of BSEG, so it holds about 1/LOAD
 * buckets (4 bytes) a flow at every size, and no insert ever rehashes the
 * whole table (a doubling rehashed every entry in one go, a pause inside
 * a fill read between reactions, and left a spare half: 77 bytes a flow
 * at 10M).  44.7 bytes a flow in all (bench/ixmem).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "nft.h"
#include "scan.h"
#include "mdigest.h"
#include "windex.h"
#include "ctfilter.h"

#define NIL		0u		/* index 0 is never used */
#define SEG_SHIFT	10		/* 1024 slots, 42 KB, a segment */
#define SEG		(1u << SEG_SHIFT)
#define BSEG_SHIFT	12		/* 4096 buckets, 16 KB, a segment */
#define BSEG		(1u << BSEG_SHIFT)
#define BMIN		BSEG		/* buckets to start with */
/* Split a bucket while count > buckets * LOAD_NUM / LOAD_DEN: chains of
 * 1.5 on average cost a lookup little, and the buckets 2.7 bytes a flow. */
#define LOAD_NUM	3
#define LOAD_DEN	2
/* In ixent.status, above the conntrack status bits (they end at 16): the
 * last refill that saw the entry (by its dump, or as it was created),
 * 1..IX_EPOCHS, 0 for none.  A refill's end drops what its epoch did not
 * see, a step at a time, and an aborted one leaves nothing to clear. */
#define IX_EPOCH_SHIFT	20
#define IX_EPOCH_MASK	0xfff00000u
#define IX_EPOCHS	(IX_EPOCH_MASK >> IX_EPOCH_SHIFT)
/* Segments a step of a refill's end looks at: 64k slots, 2.6 MB read in
 * order, a millisecond or two (the whole index at 10M: about a second). */
#define SWEEP_SEGS	64
/* Flows that left the index while a refill's dump runs (a DESTROY, or
 * deleted by a reaction), so that the dump, whose datagrams the kernel
 * filled a moment before, does not put them back: direct-mapped by hash,
 * a few milliseconds of deletes (a collision forgets one: a ghost kept
 * until the next refill, deleted then as gone if judged stale). */
#define GONE_SLOTS	2048

struct ixent {
	uint32_t next;		/* bucket chain, or free list */
	uint32_t id;
	uint32_t addr[4];	/* orig src, orig dst, reply src, reply dst:
				 * IPv4 inline, IPv6 pool index */
	uint16_t port[4];	/* same order, network byte order */
	uint32_t status;
	uint16_t zone;
	uint8_t family;		/* 0: free slot */
	uint8_t l4proto;
};

/* SEG slots: the entries and their destination ports (the early pass's
 * column, blocks of four read as one word), and how many of the slots in
 * use have a destination port of each PCOUNT class: an early pass looking
 * for a port passes over the segment when its class is empty, without
 * reading the column (128 bytes a segment: 0.13 bytes a flow). */
#define PCOUNT		64
struct ixseg {
	struct ixent e[SEG];
	uint16_t dport[SEG];	/* e[i].port[1], or 0 for a free slot */
	uint16_t pcount[PCOUNT];	/* slots in use, by pclass() */
};

/* A port's class: the ports NAT boxes see most (443, 80, 53, a forward's)
 * fall in different ones. */
static unsigned int pclass(uint16_t port)
{
	return (port ^ port >> 6 ^ port >> 12) & (PCOUNT - 1);
}

struct a6ent {
	struct in6_addr a;
	uint32_t refs;
	uint32_t next;		/* bucket chain, or free list */
};

struct windex {
	struct ct_handle *ev;
	struct ct_handle *dump;	/* for resyncs */
	bool tcp;
	/* flows: slot i is seg[i >> SEG_SHIFT]->e[i % SEG] */
	struct ixseg **seg;
	uint32_t nseg, segcap;	/* in use, room in seg[] */
	uint32_t cap, count, free;
	/* buckets, linear hashing: bucket b is bseg[b >> BSEG_SHIFT][b %
	 * BSEG]; a hash goes to h % round, or h % (2 * round) below split */
	uint32_t **bseg;
	uint32_t nbseg, bsegcap;
	uint32_t round;		/* power of two, >= BMIN */
	uint32_t split;		/* next bucket to split; buckets: round+split */
	/* IPv6 address pool */
	struct a6ent *a6;
	uint32_t a6cap, a6count, a6free;
	uint32_t *a6bucket;
	uint32_t a6nbucket;
	/* holds every flow of the table: a fill begun after the last
	 * loss of events ended */
	bool complete;
	/* an incremental refill under way: its dumps, in order */
	bool refilling;
	uint32_t epoch;		/* of the refill under way or the last one */
	bool sweeping;		/* its dumps are done: dropping the unseen */
	uint32_t sweep_seg;	/* next segment to look at */
	struct { uint32_t id, h; } gone[GONE_SLOTS];
	unsigned int stage;	/* index into refill_stages */
	/* told of every new flow after it is indexed */
	int (*on_new)(const struct flow *f, void *data);
	void *on_new_data;
};

static uint32_t mix(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x7feb352du;
	h ^= h >> 15;
	h *= 0x846ca68bu;
	return h ^ (h >> 16);
}

/* ---- IPv6 address pool ------------------------------------------------- */

static uint32_t a6hash(const struct in6_addr *a)
{
	const uint32_t *w = (const uint32_t *)a;

	return mix(w[0] ^ mix(w[1] ^ mix(w[2] ^ mix(w[3]))));
}

static int a6grow(struct windex *ix)
{
	uint32_t ncap = ix->a6cap ? ix->a6cap * 2 : 256, i;
	struct a6ent *n = realloc(ix->a6, (size_t)ncap * sizeof(*n));
	uint32_t *b;

	if (!n)
		return -ENOMEM;
	ix->a6 = n;
	for (i = ncap - 1; i >= (ix->a6cap ? ix->a6cap : 1); i--) {
		n[i].refs = 0;
		n[i].next = ix->a6free;
		ix->a6free = i;
	}
	ix->a6cap = ncap;
	/* rehash */
	b = calloc(ncap, sizeof(*b));
	if (!b)
		return -ENOMEM;
	free(ix->a6bucket);
	ix->a6bucket = b;
	ix->a6nbucket = ncap;
	for (i = 1; i < ncap; i++) {
		uint32_t h;

		if (!n[i].refs)
			continue;
		h = a6hash(&n[i].a) & (ncap - 1);
		n[i].next = b[h];
		b[h] = i;
	}
	return 0;
}

static int a6get(struct windex *ix, const struct in6_addr *a, uint32_t *out)
{
	uint32_t h, i;
	int err;

	if (ix->a6nbucket) {
		h = a6hash(a) & (ix->a6nbucket - 1);
		for (i = ix->a6bucket[h]; i != NIL; i = ix->a6[i].next)
			if (!memcmp(&ix->a6[i].a, a, sizeof(*a))) {
				ix->a6[i].refs++;
				*out = i;
				return 0;
			}
	}
	if (ix->a6free == NIL) {
		err = a6grow(ix);
		if (err)
			return err;
	}
	i = ix->a6free;
	ix->a6free = ix->a6[i].next;
	ix->a6[i].a = *a;
	ix->a6[i].refs = 1;
	h = a6hash(a) & (ix->a6nbucket - 1);
	ix->a6[i].next = ix->a6bucket[h];
	ix->a6bucket[h] = i;
	ix->a6count++;
	*out = i;
	return 0;
}

static void a6put(struct windex *ix, uint32_t i)
{
	uint32_t h, *p;

	if (--ix->a6[i].refs)
		return;
	h = a6hash(&ix->a6[i].a) & (ix->a6nbucket - 1);
	for (p = &ix->a6bucket[h]; *p != NIL; p = &ix->a6[*p].next)
		if (*p == i) {
			*p = ix->a6[i].next;
			break;
		}
	ix->a6[i].next = ix->a6free;
	ix->a6free = i;
	ix->a6count--;
}

/* ---- entries ------------------------------------------------------------ */

static uint32_t ehash(uint32_t id, const struct tuple *o)
{
	return mix(id ^ mix((uint32_t)o->sport << 16 | o->dport));
}

static const union addr *tuple_addr(const struct flow *f, int k)
{
	switch (k) {
	case 0: return &f->orig.src;
	case 1: return &f->orig.dst;
	case 2: return &f->reply.src;
	default: return &f->reply.dst;
	}
}

static void to_flow(const struct windex *ix, const struct ixent *e,
		    struct flow *f)
{
	union addr *a[4] = {
		&f->orig.src, &f->orig.dst, &f->reply.src, &f->reply.dst,
	};
	int k;

	memset(f, 0, sizeof(*f));
	f->orig.family = f->reply.family = e->family;
	f->orig.l4proto = f->reply.l4proto = e->l4proto;
	for (k = 0; k < 4; k++) {
		if (e->family == AF_INET6)
			a[k]->ip6 = ix->a6[e->addr[k]].a;
		else
			a[k]->ip = e->addr[k];
	}
	f->orig.sport = e->port[0];
	f->orig.dport = e->port[1];
	f->reply.sport = e->port[2];
	f->reply.dport = e->port[3];
	f->id = e->id;
	f->status = e->status & ~IX_EPOCH_MASK;
	f->zone = e->zone;
}

/* Same entry: id and original tuple (ids can repeat across entries). */
static bool same(const struct windex *ix, const struct ixent *e,
		 const struct flow *f)
{
	int k;

	if (e->id != f->id || e->family != f->orig.family ||
	    e->l4proto != f->orig.l4proto || e->port[0] != f->orig.sport ||
	    e->port[1] != f->orig.dport || e->zone != f->zone)
		return false;
	for (k = 0; k < 2; k++) {
		const union addr *a = tuple_addr(f, k);

		if (e->family == AF_INET6 ?
		    memcmp(&ix->a6[e->addr[k]].a, &a->ip6, 16) :
		    e->addr[k] != a->ip)
			return false;
	}
	return true;
}

static struct ixent *ent(const struct windex *ix, uint32_t i)
{
	return &ix->seg[i >> SEG_SHIFT]->e[i & (SEG - 1)];
}

static uint16_t *dport_of(const struct windex *ix, uint32_t i)
{
	return &ix->seg[i >> SEG_SHIFT]->dport[i & (SEG - 1)];
}

static uint32_t *bucket(const struct windex *ix, uint32_t b)
{
	return &ix->bseg[b >> BSEG_SHIFT][b & (BSEG - 1)];
}

static uint32_t nbuckets(const struct windex *ix)
{
	return ix->round + ix->split;
}

/* The bucket of hash @h, as the table stands. */
static uint32_t *bucket_of(const struct windex *ix, uint32_t h)
{
	uint32_t b = h & (ix->round - 1);

	if (b < ix->split)
		b = h & (2 * ix->round - 1);
	return bucket(ix, b);
}

static uint32_t ent_hash(const struct ixent *e)
{
	struct tuple o;

	o.sport = e->port[0];
	o.dport = e->port[1];
	return ehash(e->id, &o);
}

/* @tab (of @n pointers, room for *@cap) with room for one more: the same
 * or a larger copy, NULL when out of memory (@tab then unchanged). */
static void *ptrs_room(void *tab, uint32_t n, uint32_t *cap)
{
	uint32_t ncap;
	void *t;

	if (n < *cap)
		return tab;
	ncap = *cap ? *cap * 2 : 16;
	t = realloc(tab, (size_t)ncap * sizeof(void *));
	if (t)
		*cap = ncap;
	return t;
}

/* Bucket segments to hold @n buckets, new ones empty. */
static int buckets_room(struct windex *ix, uint32_t n)
{
	while (ix->nbseg * BSEG < n) {
		uint32_t *b, **t = ptrs_room(ix->bseg, ix->nbseg, &ix->bsegcap);

		if (!t)
			return -ENOMEM;
		ix->bseg = t;
		b = calloc(BSEG, sizeof(*b));
		if (!b)
			return -ENOMEM;
		ix->bseg[ix->nbseg++] = b;
	}
	return 0;
}

/* Split bucket @split into itself and @split + round, by the next bit of
 * each entry's hash: one bucket's chain moved, never the whole table. */
static int split_one(struct windex *ix)
{
	uint32_t lo = ix->split, hi = lo + ix->round, i, *p, *q;

	if (buckets_room(ix, hi + 1))
		return -ENOMEM;
	p = bucket(ix, lo);
	q = bucket(ix, hi);
	i = *p;
	*p = NIL;
	while (i != NIL) {
		struct ixent *e = ent(ix, i);
		uint32_t next = e->next;
		uint32_t *to = ent_hash(e) & ix->round ? q : p;

		e->next = *to;
		*to = i;
		i = next;
	}
	if (++ix->split == ix->round) {
		ix->round *= 2;
		ix->split = 0;
	}
	return 0;
}

/* One more segment of slots, onto the free list lowest first. */
static int egrow(struct windex *ix)
{
	uint32_t base = ix->nseg << SEG_SHIFT, i;
	struct ixseg *sg, **t;

	if (ix->nseg >= UINT32_MAX >> SEG_SHIFT)
		return -ENOSPC;
	if (!ix->round) {
		if (buckets_room(ix, BMIN))
			return -ENOMEM;
		ix->round = BMIN;
	}
	t = ptrs_room(ix->seg, ix->nseg, &ix->segcap);
	if (!t)
		return -ENOMEM;
	ix->seg = t;
	sg = malloc(sizeof(*sg));
	if (!sg)
		return -ENOMEM;
	memset(sg->dport, 0, sizeof(sg->dport));
	memset(sg->pcount, 0, sizeof(sg->pcount));
	ix->seg[ix->nseg++] = sg;
	for (i = SEG; i-- > (base ? 0 : 1);) {
		sg->e[i].family = 0;
		sg->e[i].next = ix->free;
		ix->free = base + i;
	}
	ix->cap = ix->nseg << SEG_SHIFT;
	return 0;
}

static bool wanted(const struct windex *ix, const struct flow *f)
{
	return (f->orig.family == AF_INET || f->orig.family == AF_INET6) &&
	       (f->orig.l4proto == IPPROTO_UDP ||
		(ix->tcp && f->orig.l4proto == IPPROTO_TCP));
}

static uint32_t *find(struct windex *ix, const struct flow *f)
{
	uint32_t *p;

	if (!ix->round)
		return NULL;
	p = bucket_of(ix, ehash(f->id, &f->orig));
	for (; *p != NIL; p = &ent(ix, *p)->next)
		if (same(ix, ent(ix, *p), f))
			return p;
	return NULL;
}

static void mark_seen(const struct windex *ix, struct ixent *e)
{
	e->status = (e->status & ~IX_EPOCH_MASK) | ix->epoch << IX_EPOCH_SHIFT;
}

static int insert(struct windex *ix, const struct flow *f)
{
	struct ixent *e;
	uint32_t i, *b;
	int k, err;

	uint32_t *p;

	if (!wanted(ix, f))
		return 0;
	p = find(ix, f);
	if (p) {
		if (ix->refilling)
			mark_seen(ix, ent(ix, *p));
		return 0;
	}
	if (ix->free == NIL) {
		err = egrow(ix);
		if (err)
			return err;
	}
	/* A split that cannot get memory leaves longer chains, not a
	 * wrong index: the flow is indexed all the same. */
	if ((uint64_t)(ix->count + 1) * LOAD_DEN >
	    (uint64_t)nbuckets(ix) * LOAD_NUM)
		(void)split_one(ix);
	i = ix->free;
	e = ent(ix, i);
	for (k = 0; k < 4; k++) {
		const union addr *a = tuple_addr(f, k);

		if (f->orig.family == AF_INET) {
			e->addr[k] = a->ip;
			continue;
		}
		err = a6get(ix, &a->ip6, &e->addr[k]);
		if (err) {
			while (k--)
				a6put(ix, e->addr[k]);
			return err;
		}
	}
	ix->free = e->next;
	e->id = f->id;
	e->port[0] = f->orig.sport;
	e->port[1] = f->orig.dport;
	*dport_of(ix, i) = f->orig.dport;
	ix->seg[i >> SEG_SHIFT]->pcount[pclass(f->orig.dport)]++;
	e->port[2] = f->reply.sport;
	e->port[3] = f->reply.dport;
	e->status = f->status & ~IX_EPOCH_MASK;
	if (ix->refilling)
		mark_seen(ix, e);
	e->zone = f->zone;
	e->family = f->orig.family;
	e->l4proto = f->orig.l4proto;
	b = bucket_of(ix, ehash(f->id, &f->orig));
	e->next = *b;
	*b = i;
	ix->count++;
	return 0;
}

static void release(struct windex *ix, uint32_t *p)
{
	uint32_t i = *p;
	struct ixent *e = ent(ix, i);
	int k;

	*p = e->next;
	if (e->family == AF_INET6)
		for (k = 0; k < 4; k++)
			a6put(ix, e->addr[k]);
	e->family = 0;
	ix->seg[i >> SEG_SHIFT]->pcount[pclass(*dport_of(ix, i))]--;
	*dport_of(ix, i) = 0;
	e->next = ix->free;
	ix->free = i;
	ix->count--;
}

static void erase(struct windex *ix, const struct flow *f)
{
	uint32_t *p = find(ix, f);

	if (ix->refilling && !ix->sweeping) {
		uint32_t h = ehash(f->id, &f->orig);

		ix->gone[h & (GONE_SLOTS - 1)].id = f->id;
		ix->gone[h & (GONE_SLOTS - 1)].h = h | 1;	/* 0: empty */
	}
	if (p)
		release(ix, p);
}

static bool gone_lately(const struct windex *ix, const struct flow *f)
{
	uint32_t h = ehash(f->id, &f->orig);

	return ix->gone[h & (GONE_SLOTS - 1)].id == f->id &&
	       ix->gone[h & (GONE_SLOTS - 1)].h == (h | 1);
}

static void clear(struct windex *ix)
{
	uint32_t i;

	for (i = 0; i < ix->nseg; i++)
		free(ix->seg[i]);
	for (i = 0; i < ix->nbseg; i++)
		free(ix->bseg[i]);
	free(ix->seg);
	free(ix->bseg);
	free(ix->a6);
	free(ix->a6bucket);
	ix->seg = NULL;
	ix->bseg = NULL;
	ix->a6 = NULL;
	ix->a6bucket = NULL;
	ix->nseg = ix->segcap = ix->nbseg = ix->bsegcap = 0;
	ix->round = ix->split = 0;
	ix->cap = ix->count = 0;
	ix->a6cap = ix->a6count = ix->a6nbucket = 0;
	ix->free = ix->a6free = NIL;
}

/* ---- interface ---------------------------------------------------------- */

/* net.netfilter.nf_conntrack_events = 0 turns events off in this
 * namespace: an index fed by them would miss every new flow. */
static bool events_enabled(void)
{
	char buf[8] = "";
	FILE *f = fopen("/proc/sys/net/netfilter/nf_conntrack_events", "re");

	if (!f)
		return true;	/* older kernels: always on */
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return buf[0] != '0';
}

int windex_open(struct windex **ixp, int rcvbuf)
{
	struct windex *ix;
	int err;

	*ixp = NULL;
	if (!events_enabled())
		return -EOPNOTSUPP;
	ix = calloc(1, sizeof(*ix));
	if (!ix)
		return -ENOMEM;
	err = ct_events_open(&ix->ev, CT_EV_NEW | CT_EV_DESTROY);
	if (!err)
		err = ct_open(&ix->dump);
	if (!err && rcvbuf > 0) {
		int fd = ct_events_fd(ix->ev);

		/* for tests: force event loss */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
			       sizeof(rcvbuf)) &&
		    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			       sizeof(rcvbuf)))
			err = -errno;
	}
	if (err) {
		windex_free(ix);
		*ixp = NULL;
		return err;
	}
	*ixp = ix;
	return 0;
}

void windex_free(struct windex *ix)
{
	if (!ix)
		return;
	if (ix->ev)
		ct_close(ix->ev);
	if (ix->dump)
		ct_close(ix->dump);
	clear(ix);
	free(ix);
}

int windex_fd(const struct windex *ix)
{
	return ct_events_fd(ix->ev);
}

static int on_event(unsigned int ev, const struct flow *f, void *data)
{
	struct windex *ix = data;

	int ret;

	if (ev == CT_EV_DESTROY) {
		erase(ix, f);
		return 0;
	}
	ret = insert(ix, f);
	if (!ret && ix->on_new) {
		ret = ix->on_new(f, ix->on_new_data);
		if (ret > 0) {
			erase(ix, f);	/* deleted on the spot */
			ret = 0;
		}
	}
	return ret;
}

void windex_on_new(struct windex *ix,
		   int (*cb)(const struct flow *f, void *data), void *data)
{
	ix->on_new = cb;
	ix->on_new_data = data;
}

int windex_events(struct windex *ix)
{
	int ret = ct_events_read(ix->ev, on_event, ix);

	if (ret == -ENOBUFS) {
		/* A NEW may be among the lost: incomplete until a dump
		 * begun after the loss ends.  One under way restarts, as
		 * what it has seen so far may have lost its DESTROY. */
		ix->complete = false;
		windex_refill_abort(ix);
		(void)windex_refill_start(ix);
	}
	return ret < 0 ? ret : 0;
}

/* ---- incremental refill ---- */

static const struct { uint8_t family, l4proto; } refill_stages[] = {
	{ AF_INET, IPPROTO_UDP }, { AF_INET6, IPPROTO_UDP },
	{ AF_INET, IPPROTO_TCP }, { AF_INET6, IPPROTO_TCP },
};
/* Datagrams per step.  A reaction waits for the step under way: a
 * datagram holds ~150-250 flows and costs ~0.5 ms to parse and index
 * (16 a step made a switch during a refill wait ~8 ms at 1M, bench/switch
 * --hup); two keep that wait near 1 ms for a poll a step more. */
#define REFILL_STEP	2

static unsigned int last_stage(const struct windex *ix)
{
	return ix->tcp ? 4 : 2;
}

static int refill_dump(struct windex *ix)
{
	struct ct_filter flt = {
		.family = refill_stages[ix->stage].family,
		.l4proto = refill_stages[ix->stage].l4proto,
	};

	return ct_dump_start(ix->dump, &flt);
}

/* Begin a refill's marks: everything it sees from now on gets a new
 * epoch; what keeps an older one was not seen. */
static void refill_begin(struct windex *ix)
{
	memset(ix->gone, 0, sizeof(ix->gone));
	ix->epoch = ix->epoch % IX_EPOCHS + 1;
	ix->refilling = true;
	ix->sweeping = false;
	ix->stage = 0;
}

static void refill_stop(struct windex *ix)
{
	ix->refilling = false;
	ix->sweeping = false;
}

/* Drop the entries of SWEEP_SEGS segments that the refill did not see:
 * gone without an event reaching us.  0 when the last segment is done. */
static int sweep_step(struct windex *ix)
{
	uint32_t end = ix->sweep_seg + SWEEP_SEGS, i;

	for (; ix->sweep_seg < end && ix->sweep_seg < ix->nseg;
	     ix->sweep_seg++) {
		uint32_t base = ix->sweep_seg << SEG_SHIFT;

		for (i = base ? base : 1; i < base + SEG; i++) {
			struct ixent *e = ent(ix, i);
			uint32_t *p;

			if (!e->family ||
			    e->status >> IX_EPOCH_SHIFT == ix->epoch)
				continue;
			p = bucket_of(ix, ent_hash(e));
			while (*p != i)
				p = &ent(ix, *p)->next;
			release(ix, p);
		}
	}
	return ix->sweep_seg < ix->nseg;
}

int windex_refill_start(struct windex *ix)
{
	int ret;

	if (ix->refilling)
		return 0;
	/* A filter that cannot be attached costs CPU, not correctness. */
	if (!ix->complete)
		(void)ct_events_protos(ct_events_fd(ix->ev), ix->tcp);
	refill_begin(ix);
	ret = refill_dump(ix);
	if (ret)
		refill_stop(ix);
	return ret;
}

bool windex_refilling(const struct windex *ix)
{
	return ix->refilling;
}

int windex_refill_fd(const struct windex *ix)
{
	return ix->refilling && !ix->sweeping ? ct_fd(ix->dump) : -1;
}

bool windex_refill_ready(const struct windex *ix)
{
	return ix->refilling && ix->sweeping;
}

/* A flow of the dump: indexed, unless it left the index since the dump
 * began (its datagram was filled before; the flow is gone). */
static int on_refill(const struct flow *f, void *data)
{
	struct windex *ix = data;

	if (gone_lately(ix, f) && !find(ix, f))
		return 0;
	return insert(ix, f);
}

int windex_refill_step(struct windex *ix)
{
	int ret;

	if (!ix->refilling)
		return 0;
	if (ix->sweeping) {
		if (sweep_step(ix))
			return 1;
		refill_stop(ix);
		ix->complete = true;
		return 0;
	}
	ret = ct_dump_step(ix->dump, REFILL_STEP, on_refill, ix);
	if (ret == 0 && ++ix->stage < last_stage(ix)) {
		ret = refill_dump(ix);
		if (!ret)
			return 1;
	}
	if (ret > 0)
		return 1;
	if (ret) {
		/* cut short: keep everything, the events kept it right */
		refill_stop(ix);
		return ret;
	}
	/* the dumps are done: the unseen go, a step at a time */
	ix->sweeping = true;
	ix->sweep_seg = 0;
	return 1;
}

void windex_refill_abort(struct windex *ix)
{
	if (!ix->refilling)
		return;
	if (!ix->sweeping)
		ct_dump_abort(ix->dump);
	refill_stop(ix);
}

/* Could @e pass walk @w?  The cheap fields, on the packed entry, so most
 * flows outside the plan are passed over without being unpacked; the
 * full filter is applied to the unpacked flow afterwards. */
static bool maybe(const struct ct_filter *w, const struct ixent *e)
{
	return (!w->family || w->family == e->family) &&
	       (!w->l4proto || w->l4proto == e->l4proto) &&
	       (!w->status_mask || (e->status & w->status_mask) == w->status) &&
	       (!w->has_orig_dport || w->orig_dport == e->port[1]) &&
	       (!w->zone || w->zone == e->zone);
}

static bool in_plan(const struct windex *ix, const struct plan *p,
		    const struct ixent *e, struct flow *f)
{
	bool unpacked = false;
	unsigned int i;

	for (i = 0; i < p->n; i++) {
		if (!maybe(&p->walk[i], e))
			continue;
		if (!unpacked) {
			to_flow(ix, e, f);
			unpacked = true;
		}
		if (ct_filter_match(&p->walk[i], f))
			return true;
	}
	return false;
}

/* Which flows a pass takes: all, or those to some destination ports. */
struct feed_sel {
	struct windex *ix;
	const uint16_t *ports;	/* NULL: every port */
	int n;
	uint64_t lanes[MD_PORTS];	/* each port in all four 16-bit lanes */
};

#define LANES_LO	0x0001000100010001ull
#define LANES_HI	0x8000800080008000ull

static bool port_in(const struct feed_sel *p, uint16_t port)
{
	int i;

	if (!p->ports)
		return true;
	for (i = 0; i < p->n; i++)
		if (p->ports[i] == port)
			return true;
	return false;
}

/* Might one of the four slots from @i (a multiple of 4) go to one of the
 * ports?  Four ports a word, without a branch per slot: nearly every word
 * of the column holds none (the exact test is port_in's). */
static bool block_may(const struct windex *ix, uint32_t i,
		      const struct feed_sel *p)
{
	uint64_t w, x;
	int k;

	if (!p->ports)
		return true;
	memcpy(&w, dport_of(ix, i), sizeof(w));
	for (k = 0; k < p->n; k++) {
		x = w ^ p->lanes[k];
		if ((x - LANES_LO) & ~x & LANES_HI)	/* a lane is zero */
			return true;
	}
	return false;
}

/* Might a slot of segment @sg go to one of the ports?  First the count of
 * its port class (none: no slot can), then the dport column, 2 KB in a
 * row, compared 64 slots at a time without a branch, which the compiler
 * turns into vector compares (-O2): at 10M flows an early pass for a port
 * few flows have costs 10.5 ms word by word (block_may alone), 4.2 ms
 * with the compares, 0.1 ms when the classes tell (bench/ixmem). */
static bool seg_may(const struct windex *ix, uint32_t sg,
		    const struct feed_sel *p)
{
	const uint16_t *d = ix->seg[sg]->dport;
	unsigned int i, j;
	int k;

	if (!p->ports)
		return true;
	for (k = 0; k < p->n; k++) {
		uint16_t port = p->ports[k];

		if (!ix->seg[sg]->pcount[pclass(port)])
			continue;
		for (i = 0; i < SEG; i += 64) {
			unsigned int hit = 0;

			for (j = 0; j < 64; j++)
				hit |= d[i + j] == port;
			if (hit)
				return true;
		}
	}
	return false;
}

/* Slot @i holds a flow @p takes (the plan aside). */
static bool selected(const struct windex *ix, uint32_t i,
		     const struct feed_sel *p)
{
	return i && port_in(p, *dport_of(ix, i)) && ent(ix, i)->family;
}

static int feed_slot(struct scan *s, struct windex *ix, uint32_t i,
		     const struct feed_sel *p)
{
	struct flow f;

	if (!selected(ix, i, p) || !in_plan(ix, &s->plan, ent(ix, i), &f))
		return 0;
	return scan_feed(s, &f);
}

static int feed_index(struct scan *s, void *data)
{
	struct feed_sel *p = data;
	struct windex *ix = p->ix;
	uint32_t b, i;
	int ret;

	/* The index is as current as the events queued now. */
	ret = windex_events(ix);
	if (ret)
		return ret;
	s->failed = "the flow index";
	/* cap is whole segments: whole blocks of four */
	for (b = 0; b < ix->cap; b += 4) {
		/* a whole pass may give way to something more urgent */
		if (!p->ports && !(b % SCAN_PREEMPT_SLOTS) && s->preempt &&
		    s->preempt(s->preempt_data))
			return -EINTR;
		if (!(b & (SEG - 1)) && !seg_may(ix, b >> SEG_SHIFT, p)) {
			b += SEG - 4;
			continue;
		}
		if (!block_may(ix, b, p))
			continue;
		for (i = b; i < b + 4; i++) {
			ret = feed_slot(s, ix, i, p);
			if (ret)
				return ret;
		}
	}
	return 0;
}

int windex_judge(struct windex *ix, struct scan *s)
{
	struct feed_sel p = { .ix = ix };

	return scan_pass(s, feed_index, &p);
}

int windex_judge_ports(struct windex *ix, struct scan *s,
		       const uint16_t *ports, int n)
{
	struct feed_sel p = { .ix = ix, .ports = ports, .n = n };
	int k;

	if (n < 0 || n > MD_PORTS)
		return -EINVAL;
	for (k = 0; k < n; k++)
		p.lanes[k] = LANES_LO * ports[k];
	return scan_pass(s, feed_index, &p);
}

int windex_delete(struct windex *ix, struct scan *s)
{
	size_t i;
	int ret = scan_delete(s);

	/* Gone or not (ENOENT counts as done), they leave the index now;
	 * a DESTROY event for them later finds nothing. */
	for (i = 0; i < s->nrecs; i++)
		if (s->recs[i].deleted)
			erase(ix, &s->recs[i].f);
	return ret;
}

bool windex_complete(const struct windex *ix)
{
	return ix->complete;
}

void windex_set_tcp(struct windex *ix, bool tcp)
{
	ix->tcp = tcp;
}

size_t windex_count(const struct windex *ix)
{
	return ix->count;
}

size_t windex_bytes(const struct windex *ix)
{
	return sizeof(*ix) + (size_t)ix->nseg * sizeof(struct ixseg) +
	       (size_t)ix->nbseg * BSEG * sizeof(uint32_t) +
	       ((size_t)ix->segcap + ix->bsegcap) * sizeof(void *) +
	       (size_t)ix->a6cap * (sizeof(struct a6ent) + sizeof(uint32_t));
}
