// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctsweep - keep the conntrack table consistent with the NAT rules.
 *
 * main.c holds the subcommand table and the global options.  Global options
 * may stand before or after the subcommand, since people type
 * "ctsweep status --netns r1" as often as "ctsweep --netns r1 status".
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include "cmd.h"
#include "log.h"

static const struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv, struct opts *o);
	const char *desc;
} subcommands[] = {
	{ "status", cmd_status, "List flows the current rules would NAT differently" },
	{ "sweep", cmd_sweep, "Delete exactly those flows" },
	{ "watch", cmd_watch, "Stay in the foreground and sweep on every rule change" },
	{ "explain", cmd_explain, "Show where a packet or an entry goes, rule by rule" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: ctsweep [--netns NAME] [-v] COMMAND [OPTIONS]\n\n"
		"Keeps the conntrack table consistent with the NAT rules: finds the\n"
		"flows that the current nftables or iptables rules would NAT\n"
		"differently, and deletes exactly those.\n\nCommands:\n");
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %-8s %s\n", subcommands[i].name,
			subcommands[i].desc);
	fprintf(f, "\nOptions:\n"
		"  --json          one JSON document on stdout (status, sweep,\n"
		"                  explain)\n"
		"  --dry-run       sweep, watch: report, delete nothing\n"
		"  --settle MS     sweep: after deleting, wait up to MS ms for\n"
		"                  old backends' late replies that re-create a\n"
		"                  forward backwards, and delete those (default\n"
		"                  100; ends early once the forwards are back)\n"
		"  --tcp           also judge TCP flows (UDP only by default)\n"
		"  --flush         sweep: delete each class of stale forwards that\n"
		"                  is stale as a whole with one filtered flush\n"
		"                  (kernel 6.12), also where deleting them one by\n"
		"                  one would cost less; exact either way\n"
		"  --resync SECONDS    watch: full reconcile every SECONDS\n"
		"                  (default 60, 0 = off)\n"
		"  --refill SECONDS    watch: on a periodic resync, refill the\n"
		"                  flow index from a dump at most every SECONDS\n"
		"                  (default 600, 0 = only at start, SIGHUP, loss)\n"
		"  --legacy-poll MS    watch: look for iptables-legacy changes\n"
		"                  every MS milliseconds (default 1000, 0 = off)\n"
		"  --stats FILE    watch: counters as a Prometheus text file\n"
		"  --no-index      watch: walk the conntrack table on each change\n"
		"                  instead of keeping a flow index from events\n"
		"  explain PROTO SRC[:PORT] DST[:PORT] [--iif NAME]\n"
		"                  the path a new flow of that tuple takes now\n"
		"  explain --flow PROTO SRC[:PORT] DST[:PORT] | --id ID\n"
		"                  the same for an existing entry, with its verdict\n"
		"  --netns NAME    work in network namespace NAME (/run/netns/NAME)\n"
		"  -v, --verbose   show every flow and the rule behind each verdict\n"
		"  -h, --help      this help\n"
		"  --version       print the version\n\n"
		"Exit status: 0 ok (status: nothing stale), 1 stale flows found\n"
		"(status), 2 error (nothing was deleted).\n"
		"See ctsweep(8).\n");
}

static int has_net_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { 0 };

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	return !!(data[CAP_NET_ADMIN / 32].effective &
		  (1u << (CAP_NET_ADMIN % 32)));
}

static int enter_netns(const char *name)
{
	char path[PATH_MAX];
	int fd, ret = 0;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET))
		ret = -errno;
	close(fd);
	return ret;
}

/* Take the global options out of argv wherever they stand; what remains
 * is the subcommand and its own options, in order. */
static int take_globals(int *argc, char **argv, struct opts *o, int *help,
			int *version)
{
	int i, n = 1;

	for (i = 1; i < *argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--netns")) {
			if (i + 1 >= *argc || !argv[i + 1][0]) {
				log_err("option '--netns' needs a namespace name "
				    "(see 'ip netns list')");
				return -EINVAL;
			}
			o->netns = argv[++i];
		} else if (!strncmp(a, "--netns=", 8)) {
			o->netns = a + 8;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			o->verbose++;
		} else if (!strcmp(a, "-vv")) {
			o->verbose += 2;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			*help = 1;
		} else if (!strcmp(a, "--version")) {
			*version = 1;
		} else if (!strcmp(a, "--")) {
			/* the end of global options: the rest is the
			 * command's, without the "--" itself */
			for (i++; i < *argc; i++)
				argv[n++] = argv[i];
			break;
		} else {
			argv[n++] = argv[i];
		}
	}
	*argc = n;
	argv[n] = NULL;
	return 0;
}

static const struct subcommand *find_subcommand(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(subcommands[i].name, name))
			return &subcommands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct subcommand *sc;
	struct opts o = { .settle_ms = -1 };
	int help = 0, version = 0, ret;

	log_init("ctsweep");
	if (take_globals(&argc, argv, &o, &help, &version))
		return EXIT_ERR;
	log_verbose = o.verbose;
	if (version) {
		printf("ctsweep %s\n", CTSWEEP_VERSION);
		return EXIT_OK;
	}
	if (help) {
		usage(stdout);
		return EXIT_OK;
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_ERR;
	}
	if (argv[1][0] == '-') {
		log_err("unknown option '%s' (see 'ctsweep --help')", argv[1]);
		return EXIT_ERR;
	}
	sc = find_subcommand(argv[1]);
	if (!sc) {
		log_err("unknown command '%s'; commands are status, sweep and "
		    "watch (see 'ctsweep --help')", argv[1]);
		return EXIT_ERR;
	}
	ret = has_net_admin();
	if (ret <= 0) {
		log_err("%s needs CAP_NET_ADMIN to read conntrack and the rules: "
		    "run it as root (sudo ctsweep %s)", sc->name, sc->name);
		return EXIT_ERR;
	}
	if (o.netns) {
		ret = enter_netns(o.netns);
		if (ret) {
			log_err("cannot enter network namespace '%s': %s%s", o.netns,
			    strerror(-ret), ret == -ENOENT ?
			    " (see 'ip netns list')" : "");
			return EXIT_ERR;
		}
	}
	return sc->fn(argc - 1, argv + 1, &o);
}
