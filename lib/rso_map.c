/* rso_map: every byte of a range of a file, a window at a time, into a
 * buffer the process keeps. */
/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rso_keep.h"
#include "rso_map.h"

static int
shrank(struct rso_error *e)
{
	return rso_error_set(e, EX_DATAERR, "shrank while being read");
}

/*
 * The read buffers, kept for the next walk (rso_keep): a new one each time
 * is a new mapping from malloc, faulted in page by page (an inbox reads
 * thousands of files).  Two: a walk, and a walk inside its fn.
 */
static struct rso_keep windows_kept = RSO_KEEP_INIT(RSO_MAP_WINDOW, 64, 2);

_Static_assert(RSO_MAP_READ <= RSO_MAP_WINDOW,
    "read_to_end reads into a window's buffer");

/* pread(2) a window at a time into a kept buffer; read_to_end reads
 * into the same ones. */
static int
read_windows(int fd, off_t at, off_t end, rso_map_fn *fn, void *ctx,
    struct rso_error *e)
{
	size_t want;
	ssize_t n;
	int rc = 0;
	char *buf = rso_keep_take(&windows_kept);

	if (buf == NULL)
		return rso_error_set(e, EX_OSERR, "%s", strerror(errno));
	while (rc == 0 && at < end) {
		want = end - at < RSO_MAP_WINDOW ? (size_t)(end - at) :
		    RSO_MAP_WINDOW;
		n = pread(fd, buf, want, at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = rso_error_set(e, EX_IOERR, "%s", strerror(errno));
		else if (n == 0)
			rc = shrank(e);
		else if ((rc = fn(ctx, buf, (size_t)n, e)) == 0)
			at += n;
	}
	rso_keep_give(&windows_kept, buf);
	return rc;
}

int
rso_map_range(int fd, off_t off, off_t len, rso_map_fn *fn, void *ctx,
    struct rso_error *e)
{
	struct stat st;
	int rc;

	if (len <= 0)
		return 0;
	if (fstat(fd, &st) != 0)
		return rso_error_set(e, EX_IOERR, "%s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return read_windows(fd, off, off + len, fn, ctx, e);
	if (st.st_size < off + len)
		return shrank(e);
	/*
	 * Read, not mapped.  Mapped, each 4 KiB page of a window was a fault
	 * and a TLB miss on first touch, and a munmap after: encrypting a
	 * GiB from its mapping took 1.05-1.18 s, from this buffer 0.51-0.57
	 * s, the kernel copying from its own large pages into a buffer the
	 * cache already holds (bench/RESULTS.md, session 16).
	 */
	if ((rc = read_windows(fd, off, off + len, fn, ctx, e)) != 0)
		return rc;
	/* A file cut while a window was handed over no longer holds what
	 * was read: its size says so. */
	if (fstat(fd, &st) != 0)
		return rso_error_set(e, EX_IOERR, "%s", strerror(errno));
	return st.st_size < off + len ? shrank(e) : 0;
}

/* What a file gains after the part walked, or all a pipe gives: read(2)
 * to the end.  errno stays that of a read that failed. */
static int
read_to_end(int fd, rso_map_fn *fn, void *ctx, struct rso_error *e)
{
	ssize_t n;
	int rc = 0, err;
	char *buf = rso_keep_take(&windows_kept);

	if (buf == NULL)
		return rso_error_set(e, EX_OSERR, "%s", strerror(errno));
	while (rc == 0 && (n = read(fd, buf, RSO_MAP_READ)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			rc = rso_error_set(e, EX_IOERR, "%s", strerror(err));
			errno = err;
		} else
			rc = fn(ctx, buf, (size_t)n, e);
	}
	err = errno;
	rso_keep_give(&windows_kept, buf);
	errno = err;
	return rc;
}

int
rso_map_rest(int fd, rso_map_fn *fn, void *ctx, struct rso_error *e)
{
	struct stat st;
	off_t at;
	int rc;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (at = lseek(fd, 0, SEEK_CUR)) >= 0 && at < st.st_size) {
		if ((rc = rso_map_range(fd, at, st.st_size - at, fn, ctx, e)) != 0)
			return rc;
		if (lseek(fd, st.st_size, SEEK_SET) < 0)
			return rso_error_set(e, EX_IOERR, "%s", strerror(errno));
	}
	return read_to_end(fd, fn, ctx, e);
}
