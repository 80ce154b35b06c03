// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * watch.c - the daemon.  Not written yet (issue 5); saying so plainly is
 * better than a loop that pretends.
 */
#include "cmd.h"
#include "log.h"

int cmd_watch(int argc, char **argv, struct opts *o)
{
	err("watch: not implemented in this version yet; run 'ctsweep sweep' "
	    "after each rule change (for example from your firewall's reload "
	    "hook)");
	return EXIT_ERR;
}
