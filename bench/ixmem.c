// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ixmem - what watch's flow index costs a flow, without a conntrack table:
 * synthetic IPv4 UDP flows inserted as conntrack events would, the index's
 * own accounting (windex_bytes) and the process's RSS growth read at each
 * size asked for, and the insert rate; then, at the last size, a refill
 * that sees every flow again: its lookups, and its end (dropping what it
 * did not see) step by step, the longest step being the longest the
 * daemon's loop waits on it; and at each size what an early pass's scan
 * of the index for one port costs.  The kernel's table cannot hold 10M
 * entries on a shared machine without slowing every dump in every
 * namespace; the index's memory does not depend on where flows come from.
 *
 * Usage: ixmem N...   (sizes in increasing order; k and M suffixes)
 * Build: see bench/scale (includes src/windex.c to reach its insert).
 */
#include "../src/windex.c"
#include <time.h>
#include <arpa/inet.h>

static long rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t parse_n(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (*end == 'k')
		v *= 1e3;
	else if (*end == 'M')
		v *= 1e6;
	return (uint64_t)v;
}

/* A flow like bench/ctfill's: LAN clients to outside servers,
 * masqueraded; every tuple different. */
static void mk(uint32_t i, struct flow *f)
{
	memset(f, 0, sizeof(*f));
	f->orig.family = f->reply.family = AF_INET;
	f->orig.l4proto = f->reply.l4proto = IPPROTO_UDP;
	f->orig.src.ip = htonl(0x0a000000u | (i >> 14));
	f->orig.dst.ip = htonl(0xc6336400u | (i & 0x3f));
	f->orig.sport = htons((uint16_t)(1024 + (i & 0x3fff)));
	f->orig.dport = htons(53);
	f->reply.src = f->orig.dst;
	f->reply.dst.ip = htonl(0xcb007101u);
	f->reply.sport = f->orig.dport;
	f->reply.dport = f->orig.sport;
	f->id = i * 2654435761u;
	f->status = 0x19e;
}

static void refill_timed(struct windex *ix, uint64_t n)
{
	double t0 = now_s(), worst = 0, t;
	struct flow f;
	uint64_t i;
	int steps = 0, more;

	refill_begin(ix);
	for (i = 0; i < n; i++) {
		mk((uint32_t)i, &f);
		on_refill(&f, ix);
	}
	printf("refill of %llu: %.0f ns a flow seen again; ",
	       (unsigned long long)n, (now_s() - t0) * 1e9 / n);
	t0 = now_s();
	ix->sweeping = true;
	ix->sweep_seg = 0;
	do {
		t = now_s();
		more = sweep_step(ix);
		t = now_s() - t;
		if (t > worst)
			worst = t;
		steps++;
	} while (more);
	refill_stop(ix);
	printf("its end %.3f s in %d steps, the longest %.2f ms\n",
	       now_s() - t0, steps, worst * 1e3);
}

/* What an early pass pays to find a changed port's flows in the index
 * (feed_index with ports: a segment's dport column compared at once,
 * seg_may, then a word of four lanes at a time, block_may), for a port
 * no flow has: the scan alone, without
 * judging anything.  Best of five. */
static void port_scan_timed(struct windex *ix, uint64_t n)
{
	uint16_t port = htons(53820);
	struct feed_sel p = { .ix = ix, .ports = &port, .n = 1 };
	double best = 1e9;
	uint32_t b, hits = 0;
	int k;

	p.lanes[0] = LANES_LO * port;
	for (k = 0; k < 5; k++) {
		double t = now_s();

		hits = 0;
		for (b = 0; b < ix->cap; b += 4) {
			if (!(b & (SEG - 1)) && !seg_may(ix, b >> SEG_SHIFT, &p)) {
				b += SEG - 4;
				continue;
			}
			hits += block_may(ix, b, &p);
		}
		t = now_s() - t;
		if (t < best)
			best = t;
	}
	printf("early pass's port scan of %llu flows (%u slots): %.2f ms, "
	       "%u blocks of four to look at\n", (unsigned long long)n,
	       ix->cap, best * 1e3, hits);
}

int main(int argc, char **argv)
{
	struct windex *ix = calloc(1, sizeof(*ix));
	long rss0 = rss_kb();
	uint64_t n = 0;
	double t0 = now_s();
	int a;

	if (!ix || argc < 2) {
		fprintf(stderr, "usage: ixmem N...\n");
		return 2;
	}
	printf("%10s %12s %10s %12s %10s %10s\n", "flows", "index_bytes",
	       "B/flow", "rss_grow_kB", "rss_B/flow", "insert_ns");
	for (a = 1; a < argc; a++) {
		uint64_t want = parse_n(argv[a]);
		struct flow f;
		long rss;

		for (; n < want; n++) {
			mk((uint32_t)n, &f);
			if (insert(ix, &f)) {
				fprintf(stderr, "ixmem: insert failed at %llu\n",
					(unsigned long long)n);
				return 1;
			}
		}
		rss = rss_kb();
		printf("%10llu %12zu %10.1f %12ld %10.1f %10.0f\n",
		       (unsigned long long)n, windex_bytes(ix),
		       (double)windex_bytes(ix) / n, rss - rss0,
		       (rss - rss0) * 1024.0 / n, (now_s() - t0) * 1e9 / n);
		port_scan_timed(ix, n);
	}
	refill_timed(ix, n);
	windex_free(ix);
	return 0;
}
