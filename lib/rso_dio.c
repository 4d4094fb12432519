/* rso_dio: a file written with O_DIRECT from a thread of its own. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rso_dio.h"
#include "rso_keep.h"

/* Offsets, lengths and addresses of an O_DIRECT write are multiples of
 * the device's block: 4096 covers the blocks of 512 too. */
#define DIO_ALIGN	4096
/* Bytes a write: two of these are all that is held.  Measured on this
 * disk, 1 and 2 MiB wrote a segment no faster, and held more. */
#define DIO_CHUNK	(512u << 10)

/* Kept from one file to the next (rso_keep.h says why). */
static struct rso_keep blocks_kept = RSO_KEEP_INIT(DIO_CHUNK, DIO_ALIGN, 4);

struct rso_dio {
	int fd;
	int direct;		/* O_DIRECT still on */
	char *buf[2];
	int fill;		/* buf[fill] is being filled... */
	size_t len;		/* ...with len bytes... */
	off_t off;		/* ...that go at off */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int busy;		/* buf[!fill] is the thread's to write */
	size_t wlen;		/* its bytes */
	off_t woff;		/* where */
	int quit;
	int err;		/* errno of the first failed write */
};

/* O_DIRECT on or off for fd: 0, or -1 with errno. */
static int
set_direct(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, on ? fl | O_DIRECT : fl & ~O_DIRECT);
}

/*
 * Write n bytes of p at off: 0, or errno.  A write O_DIRECT is refused
 * for (EINVAL: a file system that opens with it but cannot write so) is
 * made again without it, as is every write after.
 */
static int
put(struct rso_dio *d, const char *p, size_t n, off_t off)
{
	ssize_t r;

	while (n > 0) {
		r = pwrite(d->fd, p, n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EINVAL && d->direct) {
			if (set_direct(d->fd, 0) != 0)
				return errno;
			d->direct = 0;
			continue;
		}
		if (r <= 0)
			return r < 0 ? errno : EIO;
		p += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

static void *
writer(void *arg)
{
	struct rso_dio *d = arg;
	const char *p;
	size_t n;
	off_t off;
	int err, failed;

	pthread_mutex_lock(&d->mu);
	for (;;) {
		while (!d->busy && !d->quit)
			pthread_cond_wait(&d->cv, &d->mu);
		if (!d->busy)
			break;
		p = d->buf[!d->fill];
		n = d->wlen;
		off = d->woff;
		failed = d->err != 0;
		pthread_mutex_unlock(&d->mu);
		err = failed ? 0 : put(d, p, n, off);
		pthread_mutex_lock(&d->mu);
		if (err != 0 && d->err == 0)
			d->err = err;
		d->busy = 0;
		pthread_cond_broadcast(&d->cv);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

/* Until the thread has written what it was given: its error, or 0. */
static int
wait_idle(struct rso_dio *d)
{
	int err;

	pthread_mutex_lock(&d->mu);
	while (d->busy)
		pthread_cond_wait(&d->cv, &d->mu);
	err = d->err;
	pthread_mutex_unlock(&d->mu);
	return err;
}

/* The full buffer to the thread, the other one to fill. */
static int
hand_over(struct rso_dio *d)
{
	int err;

	if ((err = wait_idle(d)) != 0)
		return err;
	pthread_mutex_lock(&d->mu);
	d->fill = !d->fill;
	d->wlen = d->len;
	d->woff = d->off;
	d->busy = 1;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	d->off += (off_t)d->len;
	d->len = 0;
	return 0;
}

static void
stop(struct rso_dio *d)
{
	pthread_mutex_lock(&d->mu);
	d->quit = 1;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->thread, NULL);
}

static void
dio_free(struct rso_dio *d)
{
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->cv);
	rso_keep_give(&blocks_kept, d->buf[0]);
	rso_keep_give(&blocks_kept, d->buf[1]);
	free(d);
}

struct rso_dio *
rso_dio_start(int fd)
{
	struct rso_dio *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->fd = fd;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	if ((d->buf[0] = rso_keep_take(&blocks_kept)) == NULL ||
	    (d->buf[1] = rso_keep_take(&blocks_kept)) == NULL ||
	    set_direct(fd, 1) != 0) {
		dio_free(d);
		return NULL;
	}
	d->direct = 1;
	if (pthread_create(&d->thread, NULL, writer, d) != 0) {
		set_direct(fd, 0);
		dio_free(d);
		return NULL;
	}
	return d;
}

int
rso_dio_write(struct rso_dio *d, const void *p, size_t n)
{
	const char *s = p;
	size_t k;
	int err;

	while (n > 0) {
		k = DIO_CHUNK - d->len < n ? DIO_CHUNK - d->len : n;
		memcpy(d->buf[d->fill] + d->len, s, k);
		d->len += k;
		s += k;
		n -= k;
		if (d->len == DIO_CHUNK && (err = hand_over(d)) != 0) {
			errno = err;
			return -1;
		}
	}
	return 0;
}

int
rso_dio_finish(struct rso_dio *d)
{
	size_t whole = d->len & ~(size_t)(DIO_ALIGN - 1);
	int err = wait_idle(d);

	stop(d);
	/* The blocks left, then what is short of one, which O_DIRECT
	 * cannot write. */
	if (err == 0)
		err = put(d, d->buf[d->fill], whole, d->off);
	if (d->direct && set_direct(d->fd, 0) != 0 && err == 0)
		err = errno;
	d->direct = 0;
	if (err == 0)
		err = put(d, d->buf[d->fill] + whole, d->len - whole,
		    d->off + (off_t)whole);
	dio_free(d);
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

void
rso_dio_abort(struct rso_dio *d)
{
	if (d == NULL)
		return;
	stop(d);
	if (d->direct)
		set_direct(d->fd, 0);
	dio_free(d);
}
