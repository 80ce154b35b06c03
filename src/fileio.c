// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fileio.c - replace a file atomically without following symlinks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fileio.h"

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_fill(int fd, file_fill_fn *fill, void *arg)
{
	char buf[FILE_FILL_LEN];
	ssize_t n;
	int err;

	while ((n = fill(arg, buf, sizeof(buf))) > 0) {
		err = write_all(fd, buf, n);
		if (err)
			return err;
	}
	return n;
}

int file_replace_fill(const char *path, file_fill_fn *fill, void *arg,
		      mode_t mode, struct stat *st)
{
	size_t n = strlen(path) + 8;
	char *tmp = malloc(n);
	int fd, err;

	if (!tmp)
		return -ENOMEM;
	/* mkostemp creates with O_EXCL: an existing name, a symlink
	 * included, is never opened. */
	snprintf(tmp, n, "%s.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	err = fchmod(fd, mode) ? -errno : 0;
	if (!err)
		err = write_fill(fd, fill, arg);
	if (!err && st && fstat(fd, st))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
out:
	free(tmp);
	return err;
}

struct whole {
	const char *p;
	size_t left;
};

static ssize_t fill_whole(void *arg, void *buf, size_t len)
{
	struct whole *w = arg;

	if (len > w->left)
		len = w->left;
	memcpy(buf, w->p, len);
	w->p += len;
	w->left -= len;
	return len;
}

int file_replace(const char *path, const void *buf, size_t len, mode_t mode,
		 struct stat *st)
{
	struct whole w = { buf, len };

	return file_replace_fill(path, fill_whole, &w, mode, st);
}
