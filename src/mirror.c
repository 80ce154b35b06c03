// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mirror.c - forwarded flows we deleted, and the entries that mirror them:
 * the set, its index and its file format.  Pure (no syscall, no
 * environment), so all of it runs in unit tests and the fuzzer without
 * root; mirror_file.c keeps the set in its file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mirror.h"
#include "hash.h"

static bool addr_eq(uint8_t family, const union addr *a, const union addr *b)
{
	return !memcmp(a->b, b->b, addr_len(family));
}

static bool tuple_eq(const struct tuple *a, const struct tuple *b)
{
	return a->family == b->family && a->l4proto == b->l4proto &&
	       a->sport == b->sport && a->dport == b->dport &&
	       addr_eq(a->family, &a->src, &b->src) &&
	       addr_eq(a->family, &a->dst, &b->dst);
}

static uint32_t thash(const struct tuple *t, uint16_t zone)
{
	uint32_t h = FNV32_INIT;
	size_t al = addr_len(t->family);

	h = fnv32(h, &t->family, 1);
	h = fnv32(h, &t->l4proto, 1);
	h = fnv32(h, t->src.b, al);
	h = fnv32(h, t->dst.b, al);
	h = fnv32(h, &t->sport, 2);
	h = fnv32(h, &t->dport, 2);
	return fnv32(h, &zone, 2);
}

bool mirror_possible(const struct flow *f)
{
	const struct tuple *o = &f->orig, *r = &f->reply;

	if (o->l4proto != IPPROTO_UDP && o->l4proto != IPPROTO_TCP)
		return false;
	if (addr_eq(o->family, &r->src, &o->dst) && r->sport == o->dport)
		return false;	/* not forwarded */
	/* The mirror's masquerade keeps the backend's port; it lands on
	 * the peer's stream only if that is the forwarded port.  (Other
	 * answers start outbound flows that carry nothing of the peer's:
	 * left alone, like any outbound flow.) */
	if (r->sport != o->dport)
		return false;
	/* Source rewritten too (NAT loopback): replies go to the router,
	 * the backend's answer cannot start a flow to the peer. */
	return addr_eq(o->family, &r->dst, &o->src) && r->dport == o->sport;
}

/* ---- the index: two chained hashes over the candidates --------------- */

static void link_one(struct mirror_set *ms, uint32_t i)
{
	struct mirror_cand *c = &ms->c[i];
	uint32_t m = ms->nb - 1;
	uint32_t br = thash(&c->f.reply, c->f.zone) & m;
	uint32_t bo = thash(&c->f.orig, c->f.zone) & m;

	c->next_r = ms->head_r[br];
	ms->head_r[br] = i + 1;
	c->next_o = ms->head_o[bo];
	ms->head_o[bo] = i + 1;
}

/* Drop dead candidates and the oldest beyond MIRROR_MAX, then relink. */
static int rebuild(struct mirror_set *ms, uint32_t want)
{
	uint32_t nb = 16, i, j = 0, skip = 0;
	uint32_t *hr, *ho;

	while (nb < 2 * want)
		nb <<= 1;
	hr = calloc(nb, sizeof(*hr));
	ho = calloc(nb, sizeof(*ho));
	if (!hr || !ho) {
		free(hr);
		free(ho);
		return -ENOMEM;
	}
	if (ms->n - ms->ndead > MIRROR_MAX)
		skip = ms->n - ms->ndead - MIRROR_MAX;
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
	free(ms->head_r);
	free(ms->head_o);
	ms->head_r = hr;
	ms->head_o = ho;
	ms->nb = nb;
	for (i = 0; i < ms->n; i++)
		link_one(ms, i);
	return 0;
}

int mirror_add(struct mirror_set *ms, const struct flow *f, uint64_t now)
{
	struct mirror_cand *c;
	int err;

	c = mirror_find_orig(ms, f);
	if (c && tuple_eq(&c->f.reply, &f->reply)) {
		/* deleted again: keep it longer (an older copy, from the
		 * file, changes nothing) */
		if (now >= c->when) {
			c->when = now;
			c->f = *f;
		}
		return 0;
	}
	if (ms->n == ms->cap) {
		uint32_t cap = ms->cap ? ms->cap * 2 : 16;

		if (ms->ndead || ms->n >= MIRROR_MAX) {
			err = rebuild(ms, ms->n - ms->ndead + 1);
			if (err)
				return err;
		}
		if (ms->n == ms->cap) {
			c = realloc(ms->c, (size_t)cap * sizeof(*c));
			if (!c)
				return -ENOMEM;
			ms->c = c;
			ms->cap = cap;
		}
	}
	if (!ms->nb || ms->n + 1 > ms->nb / 2) {
		err = rebuild(ms, ms->n + 1);
		if (err)
			return err;
	}
	c = &ms->c[ms->n];
	memset(c, 0, sizeof(*c));
	c->f = *f;
	c->when = now;
	link_one(ms, ms->n++);
	return 0;
}

struct mirror_cand *mirror_find(const struct mirror_set *ms,
				const struct flow *f)
{
	uint32_t i;

	if (!ms->nb || ms->n == ms->ndead)
		return NULL;
	i = ms->head_r[thash(&f->orig, f->zone) & (ms->nb - 1)];
	for (; i; i = ms->c[i - 1].next_r) {
		struct mirror_cand *c = &ms->c[i - 1];

		if (!c->dead && c->f.zone == f->zone &&
		    tuple_eq(&c->f.reply, &f->orig) &&
		    tuple_eq(&c->f.orig, &f->reply))
			return c;
	}
	return NULL;
}

struct mirror_cand *mirror_find_orig(const struct mirror_set *ms,
				     const struct flow *f)
{
	uint32_t i;

	if (!ms->nb || ms->n == ms->ndead)
		return NULL;
	i = ms->head_o[thash(&f->orig, f->zone) & (ms->nb - 1)];
	for (; i; i = ms->c[i - 1].next_o) {
		struct mirror_cand *c = &ms->c[i - 1];

		if (!c->dead && c->f.zone == f->zone &&
		    tuple_eq(&c->f.orig, &f->orig))
			return c;
	}
	return NULL;
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
		rebuild(ms, ms->n - ms->ndead);	/* on ENOMEM: later */
}

void mirror_free(struct mirror_set *ms)
{
	free(ms->c);
	free(ms->head_r);
	free(ms->head_o);
	memset(ms, 0, sizeof(*ms));
}

/* ---- the file ---------------------------------------------------------- */

/* Fixed layout, host byte order for the small integers (the file never
 * leaves this machine), network order for addresses and ports as in
 * struct flow.  Versioned by the magic. */
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
	memset(p, 0, REC_SIZE);
	p[0] = c->f.orig.family;
	p[1] = c->f.orig.l4proto;
	memcpy(p + 2, &c->f.zone, 2);
	memcpy(p + 4, &c->f.status, 4);
	put_tuple(p + 8, &c->f.orig);
	put_tuple(p + 44, &c->f.reply);
	memcpy(p + 80, &c->when, 8);
}

int mirror_parse(struct mirror_set *ms, const void *buf, size_t len,
		 uint64_t now)
{
	const uint8_t *p = buf;
	size_t i, n;
	int err;

	if (len < 8 || memcmp(p, MAGIC, 8) || (len - 8) % REC_SIZE)
		return -EBADMSG;
	n = (len - 8) / REC_SIZE;
	for (i = 0; i < n; i++) {
		const uint8_t *r = p + 8 + i * REC_SIZE;
		struct flow f = { 0 };
		uint64_t when;

		if ((r[0] != AF_INET && r[0] != AF_INET6) ||
		    (r[1] != IPPROTO_UDP && r[1] != IPPROTO_TCP))
			return -EBADMSG;
		memcpy(&when, r + 80, 8);
		if (when + MIRROR_TTL <= now || when > now + MIRROR_TTL)
			continue;	/* expired, or from a clock gone back */
		memcpy(&f.zone, r + 2, 2);
		memcpy(&f.status, r + 4, 4);
		get_tuple(r + 8, r[0], r[1], &f.orig);
		get_tuple(r + 44, r[0], r[1], &f.reply);
		if (!mirror_possible(&f))
			return -EBADMSG;
		err = mirror_add(ms, &f, when);
		if (err)
			return err;
	}
	return 0;
}

int mirror_merge(struct mirror_set *ms, const struct mirror_set *from)
{
	uint32_t i;
	int err;

	for (i = 0; i < from->n; i++) {
		if (from->c[i].dead)
			continue;
		err = mirror_add(ms, &from->c[i].f, from->c[i].when);
		if (err)
			return err;
	}
	return 0;
}


int mirror_format(const struct mirror_set *ms, uint8_t **buf, size_t *len)
{
	uint8_t *p;
	uint32_t i;

	*len = 8 + (size_t)mirror_count(ms) * REC_SIZE;
	*buf = malloc(*len);
	if (!*buf)
		return -ENOMEM;
	memcpy(*buf, MAGIC, 8);
	p = *buf + 8;
	for (i = 0; i < ms->n; i++) {
		if (ms->c[i].dead)
			continue;
		put_rec(p, &ms->c[i]);
		p += REC_SIZE;
	}
	return 0;
}

size_t mirror_file_max(void)
{
	return 8 + (size_t)MIRROR_MAX * REC_SIZE;
}
