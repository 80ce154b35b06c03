// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctsweep - keep the conntrack table consistent with the NAT rules.
 *
 * main.c takes the global options out, parses the command's (both from
 * cmd.c's tables), checks the privileges and enters the namespace.  Global
 * options may stand before or after the subcommand, since people type
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

/* The command named first in @argv, with its options parsed into @o and
 * only its operands left in @argv; NULL when that was wrong (reported). */
static const struct cmd *command(int *argc, char **argv, struct opts *o)
{
	const struct cmd *c;
	int n;

	c = cmd_find(argv[1]);
	if (!c) {
		cmd_report_unknown(NULL, argv[1]);
		return NULL;
	}
	n = cmd_parse_opts(c, *argc - 1, argv + 1, o);
	if (n < 0)
		return NULL;
	*argc = n + 2;	/* ctsweep, the command, its operands */
	return c;
}

int main(int argc, char **argv)
{
	const struct cmd *c;
	struct opts o;
	int ret;

	log_init("ctsweep");
	cmd_defaults(&o);
	if (cmd_take_globals(&argc, argv, &o))
		return EXIT_ERR;
	log_verbose = o.verbose;
	if (o.version) {
		printf("ctsweep %s\n", CTSWEEP_VERSION);
		return EXIT_OK;
	}
	if (o.help) {
		cmd_usage(stdout, argc > 1 ? cmd_find(argv[1]) : NULL);
		return EXIT_OK;
	}
	if (argc < 2) {
		cmd_usage(stderr, NULL);
		return EXIT_ERR;
	}
	c = command(&argc, argv, &o);
	if (!c)
		return EXIT_ERR;
	ret = has_net_admin();
	if (ret <= 0) {
		log_err("%s needs CAP_NET_ADMIN to read conntrack and the rules: "
		    "run it as root (sudo ctsweep %s)", c->name, c->name);
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
	return c->fn(argc - 1, argv + 1, &o);
}
