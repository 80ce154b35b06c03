// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sweep.c - delete exactly the flows the current rules would NAT
 * differently.  Flows judged unknown are reported and kept.
 */
#include <errno.h>
#include <string.h>
#include "cmd.h"
#include "log.h"
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
			/* Not cmd_report_error's "cannot read ...; nothing
			 * was deleted": deletes may have gone through. */
			err("sweep: deleting %zu stale flows failed: %s; %s",
			    s.stale, strerror(-ret), ret == -ENOBUFS ?
			    "the kernel's answers were lost, so some may have "
			    "been deleted; run 'ctsweep status' to see what is "
			    "left" : "run 'ctsweep status' to see what is left");
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
