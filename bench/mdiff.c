// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mdiff - what watch's rule-by-rule diff costs after a reload, next to
 * nft's own run: read the ruleset (nft_read), build its digest, and on
 * each line read from stdin read it again, build the new digest and ask
 * which ports changed (mdigest_changed_ports), printing the time of each
 * step and the answer.
 *
 *   mdiff --netns NAME   (driven by bench/mdiff)
 *
 * Build: see bench/mdiff (links build/libctsweep.a).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include "nft.h"
#include "mdigest.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int enter(const char *ns)
{
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	return ret;
}

/* One socket for every read, as watch keeps one (nft.h says why). */
static struct nft_sock nft_nl;

/* Read the rules and build their digest; times in @t_read, @t_build. */
static int snapshot(struct nm_model *m, struct mdigest *d, double *t_read,
		    double *t_build)
{
	double t0 = now_ms(), t1;
	int ret;

	memset(m, 0, sizeof(*m));
	ret = nft_read(&nft_nl, m);
	if (ret)
		return ret;
	t1 = now_ms();
	ret = mdigest_build(m, d);
	*t_read = t1 - t0;
	*t_build = now_ms() - t1;
	return ret;
}

int main(int argc, char **argv)
{
	struct nm_model ma, mb;
	struct mdigest da, db;
	double tr, tb, t0;
	uint16_t ports[MD_PORTS];
	char line[64];
	int ret, n, i;

	if (argc != 3 || strcmp(argv[1], "--netns")) {
		fprintf(stderr, "usage: mdiff --netns NAME\n");
		return 2;
	}
	ret = enter(argv[2]);
	if (!ret)
		ret = snapshot(&ma, &da, &tr, &tb);
	if (ret) {
		fprintf(stderr, "mdiff: %s\n", strerror(-ret));
		return 1;
	}
	printf("ready: %u chains, %u sets; read %.2f ms, digest %.2f ms\n",
	       ma.nchains, ma.nsets, tr, tb);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		ret = snapshot(&mb, &db, &tr, &tb);
		if (ret) {
			fprintf(stderr, "mdiff: %s\n", strerror(-ret));
			return 1;
		}
		t0 = now_ms();
		n = mdigest_changed_ports(&da, &db, ports, MD_PORTS);
		printf("read %.2f ms, digest %.2f ms, diff %.3f ms: ",
		       tr, tb, now_ms() - t0);
		if (n < 0)
			printf("any port");
		for (i = 0; i < n; i++)
			printf("%s%u", i ? "," : "ports ", ntohs(ports[i]));
		printf("%s\n", n ? "" : "nothing");
		fflush(stdout);
		mdigest_free(&da);
		nm_model_free(&ma);
		da = db;
		ma = mb;
	}
	mdigest_free(&da);
	nm_model_free(&ma);
	return 0;
}
