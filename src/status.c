// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * status.c - list the flows the current rules would NAT differently.
 */
#include "cmd.h"
#include "scan.h"

int cmd_status(int argc, char **argv, struct opts *o)
{
	struct scan s = { 0 };
	int ret;

	ret = cmd_scan("status", &s, o);
	if (ret) {
		ret = EXIT_ERR;
		goto out;
	}
	cmd_output(&s, o, "status");
	ret = s.stale ? EXIT_STALE : EXIT_OK;
out:
	scan_free(&s);
	return ret;
}
