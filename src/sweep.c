// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sweep.c - delete exactly the flows the current rules would NAT
 * differently.  Flows judged unknown are reported and kept.
 */
#include "cmd.h"
#include "scan.h"

int cmd_sweep(int argc, char **argv, struct opts *o)
{
	struct scan s = { 0 };
	int ret;

	if (cmd_parse_opts("sweep", argc, argv, "json|tcp|dry-run", o))
		return EXIT_ERR;
	ret = cmd_scan("sweep", &s, o);
	if (ret) {
		ret = EXIT_ERR;
		goto out;
	}
	if (!o->dry_run && s.stale) {
		ret = scan_delete(&s);
		if (ret) {
			cmd_report_error("sweep", s.failed, ret);
			ret = EXIT_ERR;
			goto out;
		}
	}
	cmd_output(&s, o, "sweep");
	ret = EXIT_OK;
out:
	scan_free(&s);
	return ret;
}
