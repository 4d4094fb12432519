/* rso_map: every byte of a regular file, read from the page cache without
 * a copy. */
/* SPDX-License-Identifier: ISC */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rso_map.h"

/*
 * A mapped page past the end of a file that was cut short raises SIGBUS
 * on the thread that touched it.  While this thread walks a mapping the
 * handler jumps back to the walk, which reports the file as shrunk; any
 * other SIGBUS is handed to what was there before (by default, death).
 */
static _Thread_local sigjmp_buf *armed;
static struct sigaction before;
static pthread_once_t installed = PTHREAD_ONCE_INIT;

static void
on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (armed != NULL)
		siglongjmp(*armed, 1);
	/* Not ours: returning re-runs the access under the old action. */
	sigaction(sig, &before, NULL);
}

static void
install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &before);
}

static int
shrank(struct rso_error *e)
{
	return rso_error_set(e, EX_DATAERR, "shrank while being read");
}

/* A file that is not a regular one, or that mmap(2) refuses (some file
 * systems), or a range too small to be worth a mapping: read with
 * pread(2), so it must be seekable.  The buffer is no larger than the
 * range: a small one comes from the heap, not from a mapping of its own. */
static int
read_windows(int fd, off_t at, off_t end, rso_map_fn *fn, void *ctx,
    struct rso_error *e)
{
	size_t want, size = end - at < RSO_MAP_WINDOW ? (size_t)(end - at) :
	    RSO_MAP_WINDOW;
	ssize_t n;
	char *buf = malloc(size);
	int rc = 0;

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
	free(buf);
	return rc;
}

/*
 * Map and hand over a window at a time.  What changes between
 * sigsetjmp and a jump back is volatile, so that the jump sees it.
 */
static int
map_windows(int fd, off_t off, off_t end, rso_map_fn *fn, void *ctx,
    struct rso_error *e)
{
	sigjmp_buf jb, *outer = armed;
	unsigned char *volatile m = NULL;
	volatile size_t mlen = 0;
	volatile off_t at = off;
	off_t page = sysconf(_SC_PAGESIZE), start;
	size_t n, skip;
	int rc = 0;

	if (sigsetjmp(jb, 1) != 0) {
		armed = outer;
		if (m != NULL)
			munmap(m, mlen);
		return shrank(e);
	}
	armed = &jb;
	while (rc == 0 && at < end) {
		start = at - at % page;
		skip = (size_t)(at - start);
		n = end - at < RSO_MAP_WINDOW ? (size_t)(end - at) :
		    RSO_MAP_WINDOW;
		mlen = skip + n;
		m = mmap(NULL, mlen, PROT_READ, MAP_SHARED, fd, start);
		if (m == MAP_FAILED) {
			m = NULL;
			armed = outer;
			return read_windows(fd, at, end, fn, ctx, e);
		}
		(void)madvise(m, mlen, MADV_SEQUENTIAL);
		rc = fn(ctx, m + skip, n, e);
		munmap(m, mlen);
		m = NULL;
		at += n;
	}
	armed = outer;
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
	 * A small range costs more to map (mmap, its page faults, munmap)
	 * than to copy: an XDM zip's thousand 16 KiB documents spent a tenth
	 * of their filing in munmap.
	 */
	if (len <= RSO_MAP_SMALL)
		rc = read_windows(fd, off, off + len, fn, ctx, e);
	else {
		pthread_once(&installed, install);
		rc = map_windows(fd, off, off + len, fn, ctx, e);
	}
	if (rc != 0)
		return rc;
	/* Cut short inside its last page, a file reads as zeros there
	 * rather than faulting; one cut while a copy was handed over no
	 * longer holds what was read: either way its size says so. */
	if (fstat(fd, &st) != 0)
		return rso_error_set(e, EX_IOERR, "%s", strerror(errno));
	return st.st_size < off + len ? shrank(e) : 0;
}

/* What a file gains after the part mapped, or all a pipe gives: read(2)
 * to the end.  errno stays that of a read that failed. */
static int
read_to_end(int fd, rso_map_fn *fn, void *ctx, struct rso_error *e)
{
	char *buf = malloc(RSO_MAP_READ);
	ssize_t n;
	int rc = 0, err;

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
	free(buf);
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
