/* Unit tests for rso_dio: a file written with O_DIRECT from a thread is
 * the bytes given, in order, whatever their sizes; a write refused with
 * O_DIRECT is made without it; a write that fails is said; the
 * descriptor is given back as it was. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rso_dio.h"
#include "tap.h"

/*
 * pwrite(2) as rso_dio calls it (this definition comes before libc's):
 * with refuse set, a write on a descriptor with O_DIRECT on fails with
 * EINVAL, as on a file system that opens with O_DIRECT and cannot write
 * so; how many were refused, and how many written without it after.
 */
static int refuse;
static int refused, plain_after;

ssize_t pwrite(int fd, const void *p, size_t n, off_t off);

ssize_t
pwrite(int fd, const void *p, size_t n, off_t off)
{
	if (refuse && (fcntl(fd, F_GETFL) & O_DIRECT)) {
		refused++;
		errno = EINVAL;
		return -1;
	}
	plain_after += refuse && refused > 0;
	return syscall(SYS_pwrite64, fd, p, n, off);
}

/* An empty file of its own in dir, open for writing: its descriptor. */
static int
new_file(const char *dir, char *path, size_t size)
{
	int fd;

	snprintf(path, size, "%s/test_dio.XXXXXX", dir);
	if ((fd = mkstemp(path)) < 0)
		abort();
	return fd;
}

/* Whether the file at path holds exactly n bytes of want. */
static int
holds(const char *path, const unsigned char *want, size_t n)
{
	unsigned char *got = malloc(n + 1);
	int fd = open(path, O_RDONLY), same;
	ssize_t r = fd < 0 ? -1 : read(fd, got, n + 1);

	same = r == (ssize_t)n && memcmp(got, want, n) == 0;
	if (fd >= 0)
		close(fd);
	free(got);
	return same;
}

/*
 * n bytes written in pieces of 1 to step bytes (as the age writer's
 * chunks come, and odd ones), through rso_dio into a file in dir.
 */
static int
write_back(const char *dir, const unsigned char *data, size_t n,
    size_t step, int *direct_seen)
{
	char path[256];
	struct rso_dio *d;
	size_t at = 0, k = 0;
	int fd = new_file(dir, path, sizeof(path)), same;

	if ((d = rso_dio_start(fd)) == NULL) {
		close(fd);
		unlink(path);
		return -1;
	}
	*direct_seen |= (fcntl(fd, F_GETFL) & O_DIRECT) != 0;
	while (at < n) {
		k = (k * 7 + 13) % step + 1;
		if (k > n - at)
			k = n - at;
		if (rso_dio_write(d, data + at, k) != 0)
			abort();
		at += k;
	}
	same = rso_dio_finish(d) == 0 && (fcntl(fd, F_GETFL) & O_DIRECT) == 0 &&
	    lseek(fd, 0, SEEK_CUR) == 0 && fsync(fd) == 0 && holds(path, data, n);
	close(fd);
	unlink(path);
	return same;
}

static void
test_sizes(const char *dir)
{
	static const size_t sizes[] = { 0, 1, 4095, 4096, 4097, 65552,
	    (1u << 20) - 1, 1u << 20, (1u << 20) + 1, (3u << 20) + 4096 + 7,
	    5u << 20 };
	size_t i, n = 5u << 20;
	unsigned char *data = malloc(n);
	int direct = 0, all = 1, rc;

	for (i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 2654435761u >> 13);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		rc = write_back(dir, data, sizes[i], i % 2 ? 65552 : 300000,
		    &direct);
		if (rc == -1) {
			ok(1, "# SKIP no O_DIRECT in %s", dir);
			free(data);
			return;
		}
		all &= rc;
	}
	ok(direct, "O_DIRECT on while writing");
	ok(all, "every size from 0 to 5 MiB, in odd pieces, written back "
	    "byte for byte; O_DIRECT off and the offset untouched after");
	free(data);
}

/* Stopped part way: nothing more written, the descriptor usable. */
static void
test_abort(const char *dir)
{
	char path[256], buf[3u << 20];
	struct rso_dio *d;
	struct stat st;
	int fd = new_file(dir, path, sizeof(path));

	if ((d = rso_dio_start(fd)) == NULL) {
		close(fd);
		unlink(path);
		return;
	}
	memset(buf, 'x', sizeof(buf));
	ok(rso_dio_write(d, buf, sizeof(buf)) == 0, "3 MiB given");
	rso_dio_abort(d);
	ok((fcntl(fd, F_GETFL) & O_DIRECT) == 0, "abort: O_DIRECT off");
	ok(fstat(fd, &st) == 0 && st.st_size <= (off_t)sizeof(buf) &&
	    st.st_size % 4096 == 0, "...only whole blocks were written");
	ok(write(fd, "y", 1) == 1, "...and the descriptor still writes");
	close(fd);
	unlink(path);
}

/* A full file system: the failed write said, at a write or at the end,
 * as ENOSPC. */
static void
test_full(void)
{
	char dir[] = "/tmp/test_dio.XXXXXX", path[256], *buf;
	struct rso_dio *d;
	size_t i;
	int fd, rc = 0, err = 0;

	if (mkdtemp(dir) == NULL)
		abort();
	if (mount("tmpfs", dir, "tmpfs", 0, "size=2m") != 0) {
		ok(1, "# SKIP cannot mount a tmpfs here");
		rmdir(dir);
		return;
	}
	fd = new_file(dir, path, sizeof(path));
	buf = calloc(1, 1u << 20);
	if ((d = rso_dio_start(fd)) == NULL) {
		ok(1, "# SKIP no O_DIRECT on tmpfs");
	} else {
		for (i = 0; i < 8 && rc == 0; i++)
			if ((rc = rso_dio_write(d, buf, 1u << 20)) != 0)
				err = errno;
		if (rc == 0 && (rc = rso_dio_finish(d)) != 0)
			err = errno;
		else if (rc != 0)
			rso_dio_abort(d);
		ok(rc == -1 && err == ENOSPC, "8 MiB into 2 MiB: ENOSPC "
		    "(errno %d)", err);
	}
	free(buf);
	close(fd);
	umount(dir);
	rmdir(dir);
}

/* O_DIRECT turned down at the first write: that write and every one
 * after made without it, the file whole. */
static void
test_refused(const char *dir)
{
	size_t i, n = (3u << 20) + 7;
	unsigned char *data = malloc(n);
	int direct = 0, rc;

	for (i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 2654435761u >> 11);
	refuse = 1;
	rc = write_back(dir, data, n, 65552, &direct);
	refuse = 0;
	if (rc == -1) {
		ok(1, "# SKIP no O_DIRECT in %s", dir);
	} else {
		ok(rc == 1, "a write refused with O_DIRECT: the file written "
		    "back byte for byte");
		ok(refused == 1 && plain_after >= 6, "...refused once, then "
		    "written without it (%d refused, %d written)", refused,
		    plain_after);
	}
	free(data);
}

int
main(void)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	test_sizes(dir);
	test_sizes(".");
	test_abort(".");
	test_refused(".");
	test_full();
	return tap_done();
}
