/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fileio.h - the one way ctsweep writes a file: whole, atomically, and
 * never through a symlink.
 */
#ifndef CTSWEEP_FILEIO_H
#define CTSWEEP_FILEIO_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * Replace @path by @len bytes of @buf with mode @mode: written to a new
 * file of a unique name beside it (created exclusively, so neither a
 * symlink nor another writer's file is ever followed or reused), then
 * renamed over @path, so a reader sees the old file or the new one, never
 * half of one.  @st, when given, gets the new file's stat.  0 or -errno;
 * on failure @path is left as it was.
 */
int file_replace(const char *path, const void *buf, size_t len, mode_t mode,
		 struct stat *st);

/* The next bytes of a file being written: at most @len (never less than
 * FILE_FILL_LEN) into @buf; 0 at the end, or -errno. */
typedef ssize_t file_fill_fn(void *arg, void *buf, size_t len);
#define FILE_FILL_LEN	4096

/* file_replace(), the contents made piece by piece by @fill: a large file
 * needs no buffer of its size. */
int file_replace_fill(const char *path, file_fill_fn *fill, void *arg,
		      mode_t mode, struct stat *st);

#endif
