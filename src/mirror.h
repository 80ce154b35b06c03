/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mirror.h - DNATed flows we deleted, and the entries that mirror them.
 *
 * Deleting a DNATed flow (peer P:pp -> router R:dp, DNAT to backend
 * B:bp) leaves a race: a reply B sent to the peer just before the delete
 * reaches the router just after it.  No entry matches, so it starts one in
 * the other direction, B:bp -> P:pp, masqueraded on the way out.  When
 * bp == dp masquerade keeps the port, and that entry's reply direction,
 * P:pp -> R:dp, is exactly the peer's stream: the peer's packets ride it
 * to B whatever the DNAT rule says, and B's answers keep it alive (the
 * switch of the seed report never happens, once more).  Its own first
 * packet was NATed as the rules say, so judged alone it is an outbound flow
 * of B's, and such flows (a phone registering from 5060 while 5060 is
 * forwarded to a PBX) must not be touched.  What tells them apart is only
 * that we just deleted the flow it mirrors.
 *
 * A candidate is such a deleted flow.  An entry is its mirror when its
 * tuples are the candidate's swapped (orig == cand.reply, reply ==
 * cand.orig, same zone), and it is judged as the flow it mirrors, under
 * the current rules.  A candidate is dropped when its DNATed flow
 * comes back (a new entry with its original tuple: the port is taken
 * then, masquerade picks another and no mirror can form) or after a TTL.
 *
 * mirror.c is pure: the set, its index and the file's layout.  mirror_file.c
 * keeps the set in a small file, so a mirror that forms after sweep ended,
 * or while watch was down, is found by the next run.  Both return 0 or
 * -errno and never log.
 */
#ifndef CTSWEEP_MIRROR_H
#define CTSWEEP_MIRROR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "flow.h"

#define MIRROR_TTL	120		/* seconds a candidate is kept */
#define MIRROR_MAX	16384		/* candidates kept at most: a full
					 * set drops its oldest eighth */

/*
 * A candidate keeps the deleted flow's key fields only: its original tuple
 * P:pp -> R:dp and the backend B; the reply tuple B:dp -> P:pp follows,
 * since only such flows can be mirrored (mirror_possible).  72 bytes; with
 * the array's slack (it grows by half), the index and its filter, at
 * most 118 a candidate (mirror_mem; test_cost in tests/unit/test_mirror.c).
 */
struct mirror_cand {
	union addr peer;	/* P: the DNATed flow's source */
	union addr router;	/* R: where it was sent, before DNAT */
	union addr backend;	/* B: where DNAT took it */
	uint64_t when;		/* wall-clock seconds of the delete */
	uint16_t pport;		/* pp, network byte order */
	uint16_t dport;		/* dp: sent to, and the backend's port */
	uint16_t zone;
	uint8_t v6:1;		/* else IPv4 */
	uint8_t tcp:1;		/* else UDP */
	uint8_t dead:1;
	uint8_t waiting:1;	/* sweep waits for it to settle */
	uint32_t next;		/* hash chain (index + 1, 0 = end) */
	uint32_t mark;		/* the caller's: scan marks it per pass */
};

struct mirror_set {
	struct mirror_cand *c;
	uint32_t n, cap, ndead;
	uint32_t nwaiting;	/* live candidates with .waiting */
	uint32_t *head;		/* by peer end and dport */
	uint8_t *filter;	/* nb bytes after head: a bit per key hash */
	uint32_t nb;		/* buckets, a power of two */
	uint32_t rebuilds;	/* times relinked: tests see it amortised */
	uint64_t file_ino;	/* mirror_file.c's: the file as we last */
	int64_t file_mtime;	/* read or wrote it (ns); 0, 0: not seen */
};

/* Could deleting @f leave a mirror?  A DNATed flow whose backend port
 * is its destination port and whose source is not rewritten. */
bool mirror_possible(const struct flow *f);
/* Remember deleting @f at @now; -EINVAL unless mirror_possible(@f). */
int mirror_add(struct mirror_set *ms, const struct flow *f, uint64_t now);
/* The deleted flow @c stands for: its tuples and zone, nothing else. */
void mirror_cand_flow(const struct mirror_cand *c, struct flow *f);
/* The candidate @f mirrors, or NULL. */
struct mirror_cand *mirror_find(const struct mirror_set *ms,
				const struct flow *f);
/* The candidate whose DNATed flow @f is (same original tuple). */
struct mirror_cand *mirror_find_orig(const struct mirror_set *ms,
				     const struct flow *f);
void mirror_drop(struct mirror_set *ms, struct mirror_cand *c);
/* Count @c among the candidates a caller waits for (until dropped). */
void mirror_wait(struct mirror_set *ms, struct mirror_cand *c);
void mirror_expire(struct mirror_set *ms, uint64_t now, uint64_t ttl);
static inline uint32_t mirror_count(const struct mirror_set *ms)
{
	return ms->n - ms->ndead;
}
/* What @f is to the candidates, in one look (a pass asks it of every
 * flow, so inline: as cheap as the two lookups): the mirror of one (the
 * mirror is asked first), one's DNATed flow back, or neither.  *@c: that
 * candidate, or NULL. */
enum mirror_match {
	MM_NONE,
	MM_MIRROR,
	MM_DNAT_BACK,
};

static inline enum mirror_match mirror_match(const struct mirror_set *ms,
					     const struct flow *f,
					     struct mirror_cand **c)
{
	*c = NULL;
	if (!mirror_count(ms))
		return MM_NONE;	/* no candidate: most passes */
	*c = mirror_find(ms, f);
	if (*c)
		return MM_MIRROR;
	*c = mirror_find_orig(ms, f);
	return *c ? MM_DNAT_BACK : MM_NONE;
}

/* Bytes @ms holds allocated. */
size_t mirror_mem(const struct mirror_set *ms);
void mirror_free(struct mirror_set *ms);

/* The file's contents (@ms's live candidates), a piece at a time: as many
 * as fit in @buf from *@pos on (0: the start); the bytes written, 0 at the
 * end, -EINVAL if @len cannot hold one record (88 bytes). */
ssize_t mirror_format(const struct mirror_set *ms, uint32_t *pos,
		      uint8_t *buf, size_t len);
/* Add the live candidates of the file's contents @buf (one @ms has keeps
 * the newer time); -EBADMSG, and none added, if malformed. */
int mirror_parse(struct mirror_set *ms, const void *buf, size_t len,
		 uint64_t now);
/* The largest file mirror_parse takes (MIRROR_MAX candidates). */
size_t mirror_file_max(void);

/* ---- mirror_file.c: the file ---------------------------------------- */

/* The file: "<dir>/mirrors-<netns cookie>"; @dir from $RUNTIME_DIRECTORY
 * (systemd's RuntimeDirectory=), else /run/ctsweep.  Call inside the
 * namespace. */
int mirror_path(char *buf, size_t len);
/* Add the file's live candidates that @ms lacks; a missing file is an
 * empty set. */
int mirror_load(struct mirror_set *ms, const char *path, uint64_t now);
/* Has the file been replaced since we last read or wrote it? */
bool mirror_file_changed(const struct mirror_set *ms, const char *path);
/*
 * Merge the file into @ms if another replaced it since we last read or
 * wrote it, then replace it (atomically) with the union; an empty union
 * removes it.  A daemon and a sweep in one namespace share the file:
 * under a lock on its directory, neither drops the candidates the other
 * added meanwhile.  A candidate one of them dropped may come back from
 * the other's copy; that only keeps it until its TTL, and a candidate
 * whose DNATed flow is back can have no mirror.
 */
int mirror_save(struct mirror_set *ms, const char *path, uint64_t now);

#endif
