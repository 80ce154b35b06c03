// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * switchlat - time port-forward switches: from "nft -f" returning to the
 * first packet of a steady UDP flow arriving at the new backend.
 *
 * One process holds every socket, each opened inside its own namespace
 * (a socket stays in the namespace it was created in):
 *
 *   sender    in REMOTE: one UDP socket bound to SPORT, sending to
 *             VIP:PORT every 1/PPS s (absolute-time sleeps, so the rate
 *             does not drift); each datagram carries a sequence number and
 *             its CLOCK_MONOTONIC send time
 *   receivers in A and in B: UDP sockets bound to PORT; one thread notes
 *             the CLOCK_MONOTONIC arrival of every datagram, and where a
 *             run of datagrams at one backend begins
 *   commits   in ROUTER: a socket on the nftables notification group; the
 *             kernel's NEWGEN message marks the moment a transaction is
 *             committed (nft returns ~10 ms later: closing its netlink
 *             socket is slow)
 *   switches  the main thread: alternately runs "nft -f RULE_B" and
 *             "nft -f RULE_A" in the router's namespace (fork, setns,
 *             exec), notes the monotonic time before the fork and after
 *             waitpid, then waits for the flow to arrive at the new backend
 *
 * All namespaces share the host's CLOCK_MONOTONIC, so send, arrival and
 * commit times compare directly.  Latency = first arrival at the new backend
 * - the time nft returned; also given from the commit (NEWGEN seen) and from
 * nft starting.  The first can be negative: the daemon hears the commit
 * from the kernel before nft's own process has exited.  The
 * datagram interval (1 ms at 1000 pps) bounds the resolution: after the
 * stale entry is deleted, the flow moves with the next datagram sent.
 *
 * A switch that does not reach the new backend within --timeout-ms is
 * "never"; then --fix CMD (run in the router's namespace, e.g. "conntrack
 * -D -p udp --orig-port-dst 53820") realigns the flow with the rule, as a
 * person would, so the next switch starts from a known state.
 *
 * --writer 'CMD ARGS' makes the switches with another program, the rule
 * file appended as its last argument (default "nft -f"); e.g.
 * "iptables-legacy-restore --noflush" for iptables-legacy, which sends no
 * NEWGEN: times are then from the writer returning (the table is
 * replaced before it exits) and from its start, and "nft" in the output
 * means the writer.
 *
 * --jitter-ms MS waits a random 0..MS ms more before each switch: a
 * daemon that polls (iptables-legacy) every MS ms is then met at a random
 * point of its period, not at the one the previous switch's gap left.
 *
 * With --stats FILE (watch's Prometheus file), each switch also reports
 * watch's own view of its last reaction (ctsweep_last_reaction_microseconds)
 * and whether a periodic resync or an event-loss refill happened during it.
 *
 *   switchlat --router R --remote REM --a A --b B --vip 203.0.113.1 \
 *             --port 53820 --sport 51820 --rule-a a.nft --rule-b b.nft \
 *             -n 40 [--pps 1000] [--gap-ms 300] [--timeout-ms 5000]
 *             [--stats FILE] [--fix CMD] [--csv FILE]
 *
 * Prints one line per switch and a summary line:
 *   "summary switches N moved M never K p50_ms X p99_ms Y max_ms Z ...
 *    start_p50_ms .. commit_p50_ms .. commit_p99_ms .. commit_max_ms .."
 * Percentiles are nearest-rank over the switches that moved (with fewer
 * than 100 switches p99 is the maximum).
 *
 * Build: gcc -O2 -std=gnu11 -D_GNU_SOURCE -pthread -o switchlat \
 *        bench/switchlat.c
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct pkt {
	uint64_t seq;
	uint64_t sent_ns;
};

/* Where the flow is: updated by the receiver thread, read by main. */
struct where {
	pthread_mutex_t lock;
	int backend;		/* -1 none yet, 0 A, 1 B */
	uint64_t run_start_ns;	/* arrival of the first datagram of the run */
	uint64_t run_seq, run_sent_ns;
	uint64_t prev_seq;	/* last datagram before the run (elsewhere) */
	uint64_t count[2];
	uint64_t newgen_ns;	/* last NEWGEN seen in the router */
};

static struct where wh = { .lock = PTHREAD_MUTEX_INITIALIZER, .backend = -1 };
static atomic_int stop;
static atomic_ulong sent, late;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int open_ns(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fprintf(stderr, "switchlat: %s: %s\n", path, strerror(errno));
	return fd;
}

/* A UDP socket bound to @port, created inside namespace @ns. */
static int udp_in(const char *ns, int self, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int nfd = open_ns(ns), fd = -1, one = 1, rcv = 1 << 20;

	if (nfd < 0)
		return -1;
	if (setns(nfd, CLONE_NEWNET)) {
		perror("switchlat: setns");
		goto out;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				 sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "switchlat: socket in %s port %u: %s\n", ns,
			port, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
out:
	close(nfd);
	if (setns(self, CLONE_NEWNET)) {
		perror("switchlat: setns back");
		exit(2);
	}
	return fd;
}

static void rt_prio(int prio)
{
	struct sched_param sp = { .sched_priority = prio };

	/* The peer is another machine in real life: keep its clock steady
	 * whatever the router's daemon does on these 2 CPUs. */
	pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
}

struct sender_arg {
	int fd;
	struct sockaddr_in dst;
	uint64_t period_ns;
};

static void *sender(void *p)
{
	struct sender_arg *a = p;
	uint64_t next = now_ns(), seq = 0;

	rt_prio(50);
	while (!atomic_load(&stop)) {
		struct timespec ts = { .tv_sec = next / 1000000000u,
				       .tv_nsec = next % 1000000000u };
		struct pkt k;
		uint64_t t;

		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
				       NULL) == EINTR)
			;
		t = now_ns();
		if (t > next + a->period_ns)
			atomic_fetch_add(&late, 1);
		k.seq = ++seq;
		k.sent_ns = t;
		sendto(a->fd, &k, sizeof(k), 0, (struct sockaddr *)&a->dst,
		       sizeof(a->dst));
		atomic_fetch_add(&sent, 1);
		next += a->period_ns;
		if (t > next + 100 * a->period_ns)	/* stalled: resume */
			next = t + a->period_ns;
	}
	return NULL;
}

struct recv_arg {
	int fd[2];
	int nft;	/* NFNLGRP_NFTABLES in the router, or -1 */
};

/* The kernel broadcasts NEWGEN when a transaction is committed (the
 * moment the new rules are in force), before nft has even returned. */
static void read_newgen(int fd)
{
	char buf[16384];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0 ||
	       (n < 0 && errno == ENOBUFS)) {
		uint64_t t = now_ns();
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		int rem = (int)n;

		for (; n > 0 && NLMSG_OK(h, rem); h = NLMSG_NEXT(h, rem))
			if (h->nlmsg_type == ((NFNL_SUBSYS_NFTABLES << 8) |
					      NFT_MSG_NEWGEN)) {
				pthread_mutex_lock(&wh.lock);
				wh.newgen_ns = t;
				pthread_mutex_unlock(&wh.lock);
			}
	}
}

/* A socket on the nftables notification group, inside namespace @ns. */
static int nft_mon_in(const char *ns, int self)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int nfd = open_ns(ns), fd = -1, grp = NFNLGRP_NFTABLES;

	if (nfd < 0)
		return -1;
	if (!setns(nfd, CLONE_NEWNET)) {
		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
			    NETLINK_NETFILTER);
		if (fd >= 0 && (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
				setsockopt(fd, SOL_NETLINK,
					   NETLINK_ADD_MEMBERSHIP, &grp,
					   sizeof(grp)))) {
			close(fd);
			fd = -1;
		}
	}
	close(nfd);
	if (setns(self, CLONE_NEWNET)) {
		perror("switchlat: setns back");
		exit(2);
	}
	return fd;
}

static void *receiver(void *p)
{
	struct recv_arg *a = p;
	struct pollfd pfd[3] = {
		{ .fd = a->fd[0], .events = POLLIN },
		{ .fd = a->fd[1], .events = POLLIN },
		{ .fd = a->nft, .events = POLLIN },
	};
	uint64_t last_seq = 0;

	rt_prio(60);
	while (!atomic_load(&stop)) {
		int i;

		if (poll(pfd, 3, 100) <= 0)
			continue;
		if (pfd[2].revents)
			read_newgen(a->nft);
		for (i = 0; i < 2; i++) {
			struct pkt k;
			ssize_t n;

			if (!pfd[i].revents)
				continue;
			while ((n = recv(a->fd[i], &k, sizeof(k),
					 MSG_DONTWAIT)) > 0) {
				uint64_t t = now_ns();

				if (n != sizeof(k))
					continue;
				pthread_mutex_lock(&wh.lock);
				wh.count[i]++;
				if (wh.backend != i) {
					wh.backend = i;
					wh.run_start_ns = t;
					wh.run_seq = k.seq;
					wh.run_sent_ns = k.sent_ns;
					wh.prev_seq = last_seq;
				}
				pthread_mutex_unlock(&wh.lock);
				last_seq = k.seq;
			}
		}
	}
	return NULL;
}

/* Run @argv in namespace @ns; returns the exit status (or -1). */
static int run_in(const char *ns, char *const argv[], int quiet)
{
	int nfd = open_ns(ns), status;
	pid_t pid;

	if (nfd < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(nfd);
		return -1;
	}
	if (pid == 0) {
		sigset_t all;

		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		if (setns(nfd, CLONE_NEWNET))
			_exit(126);
		if (quiet) {
			int dn = open("/dev/null", O_WRONLY);

			dup2(dn, 1);
			dup2(dn, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	close(nfd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A value from watch's stats file; -1 when absent. */
static double stat_value(const char *file, const char *name)
{
	char line[512];
	size_t n = strlen(name);
	double v = -1;
	FILE *f;

	if (!file || !(f = fopen(file, "re")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ' ') {
			v = atof(line + n + 1);
			break;
		}
	fclose(f);
	return v;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* nearest rank */
static double pct(const double *v, int n, double p)
{
	int k = (int)(p / 100.0 * n + 0.999999);

	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

static void on_sig(int sig)
{
	(void)sig;
	atomic_store(&stop, 2);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: switchlat --router NS --remote NS --a NS --b NS --vip ADDR\n"
"                 --port P --sport P --rule-a FILE --rule-b FILE [-n N]\n"
"                 [--pps N] [--gap-ms MS] [--timeout-ms MS] [--stats FILE]\n"
"                 [--fix 'CMD ARGS'] [--csv FILE] [--settle-ms MS]\n"
"                 [--writer 'CMD ARGS'] [--jitter-ms MS]\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "router", 1, NULL, 'R' }, { "remote", 1, NULL, 'r' },
		{ "a", 1, NULL, 'a' }, { "b", 1, NULL, 'b' },
		{ "vip", 1, NULL, 'v' }, { "port", 1, NULL, 'p' },
		{ "sport", 1, NULL, 's' }, { "rule-a", 1, NULL, 'A' },
		{ "rule-b", 1, NULL, 'B' }, { "pps", 1, NULL, 'P' },
		{ "gap-ms", 1, NULL, 'g' }, { "timeout-ms", 1, NULL, 't' },
		{ "stats", 1, NULL, 'S' }, { "fix", 1, NULL, 'f' },
		{ "csv", 1, NULL, 'c' }, { "settle-ms", 1, NULL, 'W' },
		{ "writer", 1, NULL, 'X' }, { "jitter-ms", 1, NULL, 'J' },
		{ "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *router = NULL, *remote = NULL, *nsa = NULL, *nsb = NULL;
	const char *vip = NULL, *rule[2] = { NULL, NULL }, *stats = NULL;
	const char *fix = NULL, *csv = NULL, *writer = "nft -f";
	int port = 0, sport = 0, pps = 1000, n = 20, c, self, i;
	long gap_ms = 300, timeout_ms = 5000, settle_ms = 1000, jitter_ms = 0;
	struct sender_arg sa = { 0 };
	struct recv_arg ra;
	pthread_t ts, tr;
	double *lat, *lat_sent, *lat_gen, *lat_start;
	int ngen = 0;
	int moved = 0, never = 0, resyncs = 0;
	char *fixv[64], *wv[64];
	int nw = 0;
	FILE *cf = NULL;
	struct sigaction act = { .sa_handler = on_sig };

	while ((c = getopt_long(argc, argv, "n:h", lo, NULL)) != -1) {
		switch (c) {
		case 'R': router = optarg; break;
		case 'r': remote = optarg; break;
		case 'a': nsa = optarg; break;
		case 'b': nsb = optarg; break;
		case 'v': vip = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 's': sport = atoi(optarg); break;
		case 'A': rule[0] = optarg; break;
		case 'B': rule[1] = optarg; break;
		case 'P': pps = atoi(optarg); break;
		case 'g': gap_ms = atol(optarg); break;
		case 't': timeout_ms = atol(optarg); break;
		case 'W': settle_ms = atol(optarg); break;
		case 'S': stats = optarg; break;
		case 'f': fix = optarg; break;
		case 'c': csv = optarg; break;
		case 'X': writer = optarg; break;
		case 'J': jitter_ms = atol(optarg); break;
		case 'n': n = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!router || !remote || !nsa || !nsb || !vip || !port || !sport ||
	    !rule[0] || !rule[1] || n < 1 || pps < 1) {
		usage(stderr);
		return 2;
	}
	sigaction(SIGINT, &act, NULL);
	sigaction(SIGTERM, &act, NULL);
	if (fix) {
		char *s = strdup(fix), *save = NULL, *tok;
		int k = 0;

		for (tok = strtok_r(s, " ", &save); tok && k < 63;
		     tok = strtok_r(NULL, " ", &save))
			fixv[k++] = tok;
		fixv[k] = NULL;
	}
	{
		char *s = strdup(writer), *save = NULL, *tok;

		for (tok = strtok_r(s, " ", &save); tok && nw < 62;
		     tok = strtok_r(NULL, " ", &save))
			wv[nw++] = tok;
		if (!nw) {
			usage(stderr);
			return 2;
		}
	}
	if (csv && !(cf = fopen(csv, "w"))) {
		perror("switchlat: csv");
		return 2;
	}
	if (cf)
		fprintf(cf, "switch,to,nft_ms,latency_ms,sent_after_ms,"
			"first_seq,prev_seq,watch_reaction_ms,resync,"
			"commit_seen_ms,from_commit_ms,from_nft_start_ms\n");

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ra.fd[0] = udp_in(nsa, self, port);
	ra.fd[1] = udp_in(nsb, self, port);
	sa.fd = udp_in(remote, self, sport);
	ra.nft = nft_mon_in(router, self);
	if (ra.nft < 0)
		fprintf(stderr, "switchlat: no nftables notifications in %s; "
			"commit times unknown\n", router);
	if (self < 0 || ra.fd[0] < 0 || ra.fd[1] < 0 || sa.fd < 0)
		return 2;
	sa.dst.sin_family = AF_INET;
	sa.dst.sin_port = htons(port);
	if (inet_pton(AF_INET, vip, &sa.dst.sin_addr) != 1) {
		fprintf(stderr, "switchlat: bad --vip\n");
		return 2;
	}
	sa.period_ns = 1000000000u / pps;
	lat = calloc(n, sizeof(*lat));
	lat_sent = calloc(n, sizeof(*lat_sent));
	lat_gen = calloc(n, sizeof(*lat_gen));
	lat_start = calloc(n, sizeof(*lat_start));
	srand((unsigned int)now_ns());
	pthread_create(&tr, NULL, receiver, &ra);
	pthread_create(&ts, NULL, sender, &sa);

	/* The flow must be established at A (rule A in force) first. */
	{
		uint64_t dl = now_ns() + 5000000000ull;

		for (;;) {
			int b;

			pthread_mutex_lock(&wh.lock);
			b = wh.backend;
			pthread_mutex_unlock(&wh.lock);
			if (b == 0)
				break;
			if (now_ns() > dl || atomic_load(&stop)) {
				fprintf(stderr, "switchlat: the flow does not "
					"arrive at A (backend %d)\n", b);
				atomic_store(&stop, 1);
				return 1;
			}
			usleep(1000);
		}
		usleep(settle_ms * 1000);
	}

	for (i = 0; i < n && !atomic_load(&stop); i++) {
		int to = (i % 2 == 0) ? 1 : 0, st, b;
		uint64_t t0, t1, rs, rsent, rseq, pseq, dl, tg = 0;
		double rs0 = stat_value(stats,
			"ctsweep_reconciles_total{trigger=\"resync\"}");
		double lost0 = stat_value(stats,
			"ctsweep_reconciles_total{trigger=\"events-lost\"}");
		double rs1, lost1, react;
		bool ok = false;

		/* a random phase against the sender's 1 ms ticks */
		usleep(rand() % (1000000 / pps + 1));
		if (jitter_ms > 0)
			usleep((useconds_t)(rand() % (jitter_ms * 1000 + 1)));
		wv[nw] = (char *)rule[to];
		wv[nw + 1] = NULL;
		t0 = now_ns();
		st = run_in(router, wv, 0);
		t1 = now_ns();
		if (st) {
			fprintf(stderr, "switchlat: %s %s exited %d\n",
				writer, rule[to], st);
			atomic_store(&stop, 1);
			break;
		}
		dl = t1 + (uint64_t)timeout_ms * 1000000u;
		for (;;) {
			pthread_mutex_lock(&wh.lock);
			b = wh.backend;
			rs = wh.run_start_ns;
			rseq = wh.run_seq;
			rsent = wh.run_sent_ns;
			pseq = wh.prev_seq;
			if (wh.newgen_ns >= t0 && !tg)
				tg = wh.newgen_ns;
			pthread_mutex_unlock(&wh.lock);
			if (b == to && rs >= t0) {
				ok = true;
				break;
			}
			if (now_ns() > dl || atomic_load(&stop))
				break;
			usleep(200);
		}
		usleep(gap_ms * 1000);	/* let watch write its stats */
		rs1 = stat_value(stats,
			"ctsweep_reconciles_total{trigger=\"resync\"}");
		lost1 = stat_value(stats,
			"ctsweep_reconciles_total{trigger=\"events-lost\"}");
		react = stat_value(stats, "ctsweep_last_reaction_microseconds");
		if (rs1 != rs0 || lost1 != lost0)
			resyncs++;
		if (ok) {
			lat[moved] = ((double)rs - (double)t1) / 1e6;
			lat_sent[moved] = ((double)rsent - (double)t1) / 1e6;
			lat_start[moved] = ((double)rs - (double)t0) / 1e6;
			if (!tg) {
				/* the NEWGEN may be read just after */
				pthread_mutex_lock(&wh.lock);
				if (wh.newgen_ns >= t0)
					tg = wh.newgen_ns;
				pthread_mutex_unlock(&wh.lock);
			}
			if (tg)
				lat_gen[ngen++] = ((double)rs - (double)tg) /
						  1e6;
			printf("switch %d to %c: nft %.2f ms (commit seen at "
			       "%+.2f ms), first packet at %c %+.3f ms after "
			       "nft returned, %+.3f ms after the commit, %+.3f "
			       "ms after nft started (sent %+.3f ms, seq %llu "
			       "after %llu)",
			       i + 1, 'A' + to, (t1 - t0) / 1e6,
			       tg ? ((double)tg - (double)t0) / 1e6 : -1,
			       'A' + to, lat[moved],
			       tg ? ((double)rs - (double)tg) / 1e6 : -1,
			       lat_start[moved], lat_sent[moved],
			       (unsigned long long)rseq,
			       (unsigned long long)pseq);
			if (stats && react >= 0)
				printf(", watch reaction %.3f ms", react / 1e3);
			if (rs1 != rs0 || lost1 != lost0)
				printf(", RESYNC during the switch");
			printf("\n");
			if (cf)
				fprintf(cf, "%d,%c,%.3f,%.3f,%.3f,%llu,%llu,"
					"%.3f,%d,%.3f,%.3f,%.3f\n", i + 1,
					'A' + to, (t1 - t0) / 1e6, lat[moved],
					lat_sent[moved],
					(unsigned long long)rseq,
					(unsigned long long)pseq,
					react >= 0 ? react / 1e3 : -1,
					rs1 != rs0 || lost1 != lost0,
					tg ? ((double)tg - (double)t0) / 1e6 :
					     -1,
					tg ? ((double)rs - (double)tg) / 1e6 :
					     -1, lat_start[moved]);
			moved++;
		} else {
			never++;
			printf("switch %d to %c: nft %.2f ms, never (still at "
			       "%c after %ld ms)\n", i + 1, 'A' + to,
			       (t1 - t0) / 1e6, b < 0 ? '?' : 'A' + b,
			       timeout_ms);
			if (cf)
				fprintf(cf, "%d,%c,%.3f,never,,,,,,,,\n", i + 1,
					'A' + to, (t1 - t0) / 1e6);
			if (fix && !atomic_load(&stop)) {
				/* realign: the flow follows the rule again */
				uint64_t fdl = now_ns() + 3000000000ull;

				run_in(router, fixv, 1);
				for (;;) {
					pthread_mutex_lock(&wh.lock);
					b = wh.backend;
					pthread_mutex_unlock(&wh.lock);
					if (b == to || now_ns() > fdl)
						break;
					usleep(1000);
				}
				usleep(gap_ms * 1000);
			}
		}
		fflush(stdout);
	}
	atomic_store(&stop, 1);
	pthread_join(ts, NULL);
	pthread_join(tr, NULL);
	if (cf)
		fclose(cf);

	qsort(lat, moved, sizeof(*lat), cmp_d);
	qsort(lat_sent, moved, sizeof(*lat_sent), cmp_d);
	qsort(lat_gen, ngen, sizeof(*lat_gen), cmp_d);
	qsort(lat_start, moved, sizeof(*lat_start), cmp_d);
	printf("summary switches %d moved %d never %d", i, moved, never);
	if (moved)
		printf(" p50_ms %.3f p99_ms %.3f max_ms %.3f min_ms %.3f "
		       "sent_p50_ms %.3f sent_p99_ms %.3f",
		       pct(lat, moved, 50), pct(lat, moved, 99),
		       lat[moved - 1], lat[0], pct(lat_sent, moved, 50),
		       pct(lat_sent, moved, 99));
	if (moved)
		printf(" start_p50_ms %.3f start_p99_ms %.3f start_max_ms %.3f",
		       pct(lat_start, moved, 50), pct(lat_start, moved, 99),
		       lat_start[moved - 1]);
	if (ngen)
		printf(" commit_n %d commit_p50_ms %.3f commit_p99_ms %.3f "
		       "commit_max_ms %.3f", ngen, pct(lat_gen, ngen, 50),
		       pct(lat_gen, ngen, 99), lat_gen[ngen - 1]);
	printf(" resyncs_during %d sent %lu late %lu a %llu b %llu\n",
	       resyncs, atomic_load(&sent), atomic_load(&late),
	       (unsigned long long)wh.count[0],
	       (unsigned long long)wh.count[1]);
	return atomic_load(&stop) == 2 ? 130 : 0;
}
