// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * agree.c - read a snapshot until two reads in a row agree (agree.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "agree.h"

int read_agreed(const struct agree_ops *ops, void *ctx, unsigned int tries,
		void *out)
{
	unsigned char *prev, *cur, *t;
	bool have_prev = false;
	int err = -EAGAIN;

	prev = calloc(2, ops->size);
	if (!prev)
		return -ENOMEM;
	cur = prev + ops->size;
	while (tries--) {
		memset(cur, 0, ops->size);
		err = ops->read(ctx, cur);
		if (err)
			break;
		if (have_prev && ops->same(prev, cur)) {
			ops->free(prev);
			memcpy(out, cur, ops->size);
			goto out;
		}
		if (have_prev)
			ops->free(prev);
		t = prev;
		prev = cur;
		cur = t;
		have_prev = true;
		err = -EAGAIN;
	}
	if (have_prev)
		ops->free(prev);
out:
	free(prev < cur ? prev : cur);
	return err;
}
