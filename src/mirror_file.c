// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mirror_file.c - the mirror candidates' file, shared by the runs in one
 * network namespace: where it lives, reading it, and replacing it under
 * a lock on its directory.  The layout is mirror.c's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "mirror.h"
#include "fileio.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

static int netns_id(uint64_t *id)
{
	socklen_t len = sizeof(*id);
	struct stat st;
	int fd, err = 0;

	/* The cookie is never reused within a boot (5.14); an inode
	 * number may be, once the namespace is gone. */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		err = getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, id, &len);
		close(fd);
		if (!err)
			return 0;
	}
	if (stat("/proc/self/ns/net", &st))
		return -errno;
	*id = (uint64_t)st.st_ino | 1ull << 63;
	return 0;
}

int mirror_path(char *buf, size_t len)
{
	const char *dir = getenv("RUNTIME_DIRECTORY");
	uint64_t id;
	int err, n;

	/* systemd may pass several, colon-separated: take the first */
	if (!dir || dir[0] != '/')
		dir = "/run/ctsweep";
	err = netns_id(&id);
	if (err)
		return err;
	n = snprintf(buf, len, "%.*s/mirrors-%llx", (int)strcspn(dir, ":"),
		     dir, (unsigned long long)id);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static void note_file(struct mirror_set *ms, const struct stat *st)
{
	ms->file_ino = st ? st->st_ino : 0;
	ms->file_mtime = st ? mtime_ns(st) : 0;
}

bool mirror_file_changed(const struct mirror_set *ms, const char *path)
{
	struct stat st;

	if (lstat(path, &st))
		return ms->file_ino || ms->file_mtime;
	return st.st_ino != ms->file_ino || mtime_ns(&st) != ms->file_mtime;
}

int mirror_load(struct mirror_set *ms, const char *path, uint64_t now)
{
	struct stat st;
	uint8_t *buf;
	ssize_t got;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno != ENOENT)
			return -errno;
		note_file(ms, NULL);
		return 0;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		goto out;
	}
	note_file(ms, &st);
	/* ours only: a file someone else could write must not make us
	 * delete flows */
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022) ||
	    (uint64_t)st.st_size > mirror_file_max()) {
		err = -EPERM;
		goto out;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	got = read(fd, buf, st.st_size);
	if (got != st.st_size)
		err = got < 0 ? -errno : -EIO;
	else
		err = mirror_parse(ms, buf, got, now);
	free(buf);
out:
	close(fd);
	return err;
}

static int dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash || (size_t)(slash - path) >= len)
		return -EINVAL;
	memcpy(dir, path, slash - path);
	dir[slash - path] = 0;
	return 0;
}

/* Create the directory if need be and lock it (released by close). */
static int lock_dir(const char *path)
{
	char dir[256];
	int fd, err;

	err = dir_of(path, dir, sizeof(dir));
	if (err)
		return err;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/*
 * Files of namespaces that are gone stay behind (a cookie never comes
 * back).  Once a file is older than the TTL every candidate in it has
 * expired and any reader would drop them all, so removing it changes
 * nothing but the clutter.  Best effort: errors are ignored.
 */
static void prune_old(const char *path)
{
	char dir[256], f[sizeof(dir) + 257];	/* + d_name */
	time_t now = time(NULL);
	struct dirent *d;
	struct stat st;
	DIR *dh;

	if (dir_of(path, dir, sizeof(dir)))
		return;
	dh = opendir(dir);
	if (!dh)
		return;
	while ((d = readdir(dh))) {
		if (strncmp(d->d_name, "mirrors-", 8) ||
		    strchr(d->d_name, '.'))	/* another's temporary file */
			continue;
		snprintf(f, sizeof(f), "%s/%s", dir, d->d_name);
		if (!lstat(f, &st) && S_ISREG(st.st_mode) &&
		    st.st_uid == geteuid() &&
		    st.st_mtime + 2 * MIRROR_TTL < now)
			unlink(f);
	}
	closedir(dh);
}

struct writer {
	const struct mirror_set *ms;
	uint32_t pos;
};

static ssize_t fill(void *arg, void *buf, size_t len)
{
	struct writer *w = arg;

	return mirror_format(w->ms, &w->pos, buf, len);
}

/* Piece by piece: a buffer the file's size, allocated on every save and
 * growing with the set, cost as much memory as the set itself. */
static int write_file(struct mirror_set *ms, const char *path)
{
	struct writer w = { ms, 0 };
	struct stat st;
	int err;

	err = file_replace_fill(path, fill, &w, 0600, &st);
	if (!err)
		note_file(ms, &st);
	return err;
}

int mirror_save(struct mirror_set *ms, const char *path, uint64_t now)
{
	int lock, err;

	/* nothing of ours to keep, and nobody else's to merge */
	if (!mirror_count(ms) && access(path, F_OK) && errno == ENOENT) {
		note_file(ms, NULL);
		return 0;
	}
	lock = lock_dir(path);
	if (lock < 0)
		return lock;
	/* Unchanged since we read or wrote it, the file holds nothing we
	 * lack, only what we dropped since: not read again, so that stays
	 * dropped.  A file we may not read (not ours, malformed) is
	 * replaced: its error was the reader's to report, when it was
	 * loaded. */
	err = mirror_file_changed(ms, path) ? mirror_load(ms, path, now) : 0;
	if (err == -ENOMEM)
		goto out;
	prune_old(path);
	if (mirror_count(ms)) {
		err = write_file(ms, path);
	} else {
		err = unlink(path) && errno != ENOENT ? -errno : 0;
		note_file(ms, NULL);
	}
out:
	close(lock);
	return err;
}
