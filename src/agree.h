/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agree.h - read a snapshot until two reads in a row agree.
 *
 * A netlink dump the kernel cuts short usually says so, but not always
 * (a table changed under the dump, a message lost): a ruleset or routing
 * snapshot missing a rule or a route would make flows look stale.  So the
 * readers believe a snapshot only when two reads in a row are the same.
 */
#ifndef CTSWEEP_AGREE_H
#define CTSWEEP_AGREE_H

#include <stdbool.h>
#include <stddef.h>

struct agree_ops {
	size_t size;					/* of one snapshot */
	int (*read)(void *ctx, void *snap);		/* 0 or -errno */
	bool (*same)(const void *a, const void *b);
	void (*free)(void *snap);			/* what read made */
};

/* Read with @ops until two reads in a row are the same, at most @tries
 * reads (each handed @ctx, e.g. the reader's socket); the agreed snapshot
 * goes to @out.  Returns 0, -EAGAIN when no two agreed (the source keeps
 * changing), or read's -errno. */
int read_agreed(const struct agree_ops *ops, void *ctx, unsigned int tries,
		void *out);

#endif
