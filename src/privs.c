// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * privs.c - what watch keeps once it runs.
 *
 * After --netns (setns needs CAP_SYS_ADMIN) and after its sockets are open,
 * the daemon needs only:
 *   CAP_NET_ADMIN  ctnetlink dumps, events and deletes; nf_tables reads;
 *                  SO_RCVBUFFORCE on its notification sockets; the
 *                  getsockopt() that reads iptables-legacy tables.
 *   CAP_NET_RAW    iptables-legacy tables are read through a SOCK_RAW
 *                  socket that libiptc opens for every read (the legacy
 *                  poll, every reconcile).  Kept even when no legacy table
 *                  exists at start: one may be loaded later, and a daemon
 *                  that could no longer read it would judge half the
 *                  rules.
 * Everything else goes from the effective, permitted and inheritable sets
 * (the ambient set follows, being a subset of permitted and inheritable).
 * The uid stays 0: /proc/net/ip_tables_names is 0440 root:root, and owning
 * it is a narrower grant than CAP_DAC_READ_SEARCH.  no_new_privs makes sure
 * that uid 0 cannot regain anything through execve() either.
 *
 * The bounding set is narrowed too when CAP_SETPCAP is at hand.  Under the
 * systemd unit it is not (CapabilityBoundingSet= already leaves only the
 * two), which is fine: without CAP_SETPCAP nothing can be added back to
 * the permitted set anyway, and no_new_privs closes the execve() path.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <cap-ng.h>
#include "privs.h"

int privs_drop(struct privs_result *res)
{
	static const unsigned int want[] = { CAP_NET_ADMIN, CAP_NET_RAW };
	bool have[sizeof(want) / sizeof(want[0])];
	size_t i;
	int rc;

	*res = (struct privs_result){ 0 };
	if (capng_get_caps_process())
		return -EIO;
	res->bounding = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		have[i] = capng_have_capability(CAPNG_PERMITTED, want[i]);

	capng_clear(CAPNG_SELECT_BOTH);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (!have[i])
			continue;
		if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED |
				 (res->bounding ? CAPNG_BOUNDING_SET : 0),
				 want[i]))
			return -EINVAL;
	}
	rc = capng_apply(res->bounding ? CAPNG_SELECT_BOTH : CAPNG_SELECT_CAPS);
	if (rc)
		return -EPERM;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;

	/* Read back what the kernel holds now, not what was asked. */
	if (capng_get_caps_process())
		return -EIO;
	res->net_admin = capng_have_capability(CAPNG_EFFECTIVE, CAP_NET_ADMIN);
	res->net_raw = capng_have_capability(CAPNG_EFFECTIVE, CAP_NET_RAW);
	return 0;
}
