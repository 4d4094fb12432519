/* rso-collect: a drop folder shared with other people and programs. */
/* SPDX-License-Identifier: ISC */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drop.h"
#include "filing.h"
#include "rso_err.h"

/* .rejected must be a real folder; its absence is fine (made later). */
static void
check_rejected(const char *dir, int dfd)
{
	struct stat st;

	if (fstatat(dfd, ".rejected", &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			return;
		rso_die(EX_CANTCREAT, "%s/.rejected", dir);
	}
	if (!S_ISDIR(st.st_mode))
		rso_diex(EX_CANTCREAT, "%s/.rejected: %s, not a folder", dir,
		    S_ISREG(st.st_mode) ? "a file" : rso_file_kind(st.st_mode));
}

static int
take_lock(const char *dir, int dfd)
{
	struct stat st;
	int fd;

	fd = openat(dfd, ".rso-inbox.lock", O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ELOOP)
		rso_diex(EX_CANTCREAT, "%s/.rso-inbox.lock: a symbolic link, "
		    "not a file", dir);
	if (fd < 0 || fstat(fd, &st) != 0)
		rso_die(EX_CANTCREAT, "%s/.rso-inbox.lock", dir);
	if (!S_ISREG(st.st_mode))
		rso_diex(EX_CANTCREAT, "%s/.rso-inbox.lock: %s, not a file", dir,
		    rso_file_kind(st.st_mode));
	/* One run per folder: a second waits for nothing and says so. */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0)
		rso_diex(EX_TEMPFAIL, "%s: another inbox run is filing this "
		    "folder", dir);
	return fd;
}

void
drop_xopen(struct drop *d, const char *dir)
{
	d->dir = dir;
	d->nlent = 0;
	if ((d->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		rso_die(EX_NOINPUT, "%s", dir);
	check_rejected(dir, d->dfd);
	d->lock = take_lock(dir, d->dfd);
	if (mkdirat(d->dfd, ".rejected", 0700) != 0 && errno != EEXIST)
		rso_die(EX_CANTCREAT, "%s/.rejected", dir);
	/* Replaced by a link since it was checked?  Then it is not opened. */
	d->rejfd = openat(d->dfd, ".rejected", O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	if (d->rejfd < 0)
		rso_diex(EX_CANTCREAT, "%s/.rejected: %s", dir, errno == ELOOP ||
		    errno == ENOTDIR ? "a symbolic link, not a folder" :
		    strerror(errno));
}

void
drop_close(struct drop *d)
{
	while (d->nlent > 0)
		close(d->lent[--d->nlent]);
	close(d->rejfd);
	close(d->lock);
	close(d->dfd);
}

static int
taken(int dirfd, const char *name, const char *suffix)
{
	struct stat st;
	char *p = rso_xasprintf("%s%s", name, suffix);
	int t = fstatat(dirfd, p, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
	    errno != ENOENT;

	free(p);
	return t;
}

/* A name in .rejected free for the entry, its reason and its sidecar. */
static char *
free_name(struct drop *d, const char *name)
{
	char *to;
	int i;

	for (i = 1; i < 10000; i++) {
		to = i == 1 ? rso_xstrdup(name) : rso_xasprintf("%s.%d", name, i);
		if (!taken(d->rejfd, to, "") && !taken(d->rejfd, to, ".reason") &&
		    !taken(d->rejfd, to, ".json"))
			return to;
		free(to);
	}
	return NULL;
}

/* Rename without replacing anything at the target. */
static int
move_new(int from, const char *name, int to, const char *newname)
{
	if (renameat2(from, name, to, newname, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* A file system without RENAME_NOREPLACE: look, then rename. */
	if (taken(to, newname, "")) {
		errno = EEXIST;
		return -1;
	}
	return renameat(from, name, to, newname);
}

static int
write_reason(struct drop *d, const char *to, const char *why)
{
	char *reason = rso_xasprintf("%s.reason", to);
	int fd, rc = -1;

	/* O_EXCL: a link someone put there since is not written through. */
	fd = openat(d->rejfd, reason, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd >= 0) {
		rc = dprintf(fd, "%s\n", why) < 0 || fsync(fd) != 0 ? -1 : 0;
		close(fd);
		if (rc != 0)
			unlinkat(d->rejfd, reason, 0);
	}
	free(reason);
	return rc;
}

int
drop_reject(struct drop *d, const char *name, const char *why)
{
	char *to = free_name(d, name), *side, *sideto, *reason;
	int rc = 0;

	if (to == NULL)
		return EX_CANTCREAT;
	/* The reason first: killed between, the entry is still in the folder. */
	if (write_reason(d, to, why) != 0) {
		free(to);
		return EX_CANTCREAT;
	}
	if (move_new(d->dfd, name, d->rejfd, to) != 0) {
		reason = rso_xasprintf("%s.reason", to);
		unlinkat(d->rejfd, reason, 0);
		free(reason);
		rc = EX_CANTCREAT;
	} else {
		side = rso_xasprintf("%s.json", name);
		sideto = rso_xasprintf("%s.json", to);
		if (taken(d->dfd, side, ""))
			move_new(d->dfd, side, d->rejfd, sideto);
		free(side);
		free(sideto);
	}
	fsync(d->rejfd);
	fsync(d->dfd);
	free(to);
	return rc;
}

int
drop_spool(struct drop *d)
{
	char name[64];
	int fd, i;

	fd = openat(d->dfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR &&
	    errno != EINVAL))
		return fd;
	/* A dot name no one else uses, made new (O_EXCL), then unlinked. */
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), ".rso-spool-%ld-%d", (long)getpid(),
		    i);
		fd = openat(d->dfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd >= 0) {
			unlinkat(d->dfd, name, 0);
			return fd;
		}
		if (errno != EEXIST)
			break;
	}
	return -1;
}

int
drop_spool_lend(struct drop *d)
{
	return d->nlent > 0 ? d->lent[--d->nlent] : drop_spool(d);
}

void
drop_spool_return(struct drop *d, int fd)
{
	/*
	 * Emptied before it is kept, and before it is closed: ext4 writes out
	 * on close a file that was cut to nothing and written again, which
	 * a spool's bytes never need.
	 */
	if (ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0 &&
	    d->nlent < DROP_SPOOLS) {
		d->lent[d->nlent++] = fd;
		return;
	}
	close(fd);
}

/* What a list keeps of a file, ahead of its path's bytes. */
struct stamp {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim, ctim;
	size_t len;		/* of the path, without its NUL */
};

void
drop_list_add(struct drop *d, struct drop_list *l, const char *path,
    const struct stat *st)
{
	struct stamp t;
	int fd = -1;

	memset(&t, 0, sizeof(t));	/* no stray bytes in the spool */
	t.dev = st->st_dev;
	t.ino = st->st_ino;
	t.size = st->st_size;
	t.mtim = st->st_mtim;
	t.ctim = st->st_ctim;
	t.len = strlen(path);
	l->n++;
	if (l->lost)
		return;
	if (l->f == NULL && ((fd = drop_spool(d)) < 0 ||
	    (l->f = fdopen(fd, "w+")) == NULL)) {
		if (fd >= 0)
			close(fd);
		l->lost = 1;
		return;
	}
	if (fwrite(&t, sizeof(t), 1, l->f) != 1 ||
	    fwrite(path, 1, t.len, l->f) != t.len)
		l->lost = 1;
}

void
drop_list_free(struct drop_list *l)
{
	if (l->f != NULL)
		fclose(l->f);
	memset(l, 0, sizeof(*l));
}

static int
still_same(const struct stamp *f, const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_dev == f->dev &&
	    st->st_ino == f->ino && st->st_size == f->size &&
	    st->st_mtim.tv_sec == f->mtim.tv_sec &&
	    st->st_mtim.tv_nsec == f->mtim.tv_nsec &&
	    st->st_ctim.tv_sec == f->ctim.tv_sec &&
	    st->st_ctim.tv_nsec == f->ctim.tv_nsec;
}

/* The next file of l into t and *path (grown to fit): 0, or -1. */
static int
list_next(struct drop_list *l, struct stamp *t, char **path, size_t *size)
{
	if (fread(t, sizeof(*t), 1, l->f) != 1)
		return -1;
	if (t->len >= *size) {
		*size = t->len + 1;
		*path = rso_xrealloc(*path, *size);
	}
	if (fread(*path, 1, t->len, l->f) != t->len)
		return -1;
	(*path)[t->len] = '\0';
	return 0;
}

/*
 * Files checked for removal are unlinked by REMOVERS threads at once:
 * on ext4 mounted with discard each unlink waits for the device to
 * discard the file's blocks (blkdev_issue_discard in ext4_free_blocks,
 * about half a millisecond a file on the machine of bench/RESULTS.md),
 * and the folder's lock is let go before that wait, so unlinks overlap.
 * A list shorter than REMOVE_ALONE is unlinked here, without threads.
 */
#define REMOVERS	4
#define REMOVE_QUEUE	64
#define REMOVE_ALONE	16

struct removal {
	int dfd;
	pthread_mutex_t mu;
	pthread_cond_t more, room;
	char *q[REMOVE_QUEUE];
	size_t head, tail;	/* paths queued; paths taken */
	int done;		/* no more will be queued */
	struct drop_stayed *left;	/* refusals counted here, under mu */
};

/* An unlink refused (err): the file stays; the first reason is told. */
static void
refused(struct drop_stayed *st, int err)
{
	if (st->refused++ == 0)
		st->err = err;
}

static void *
remover(void *arg)
{
	struct removal *r = arg;
	char *path;
	int rc;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		while (r->tail == r->head && !r->done)
			pthread_cond_wait(&r->more, &r->mu);
		if (r->tail == r->head)
			break;
		path = r->q[r->tail++ % REMOVE_QUEUE];
		pthread_cond_signal(&r->room);
		pthread_mutex_unlock(&r->mu);
		rc = unlinkat(r->dfd, path, 0) == 0 ? 0 : errno;
		free(path);
		pthread_mutex_lock(&r->mu);
		if (rc != 0)
			refused(r->left, rc);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

static void
removal_queue(struct removal *r, const char *path)
{
	pthread_mutex_lock(&r->mu);
	while (r->head - r->tail == REMOVE_QUEUE)
		pthread_cond_wait(&r->room, &r->mu);
	r->q[r->head++ % REMOVE_QUEUE] = rso_xstrdup(path);
	pthread_cond_signal(&r->more);
	pthread_mutex_unlock(&r->mu);
}

/* Start the removers: how many started (0: unlink in the caller). */
static int
removal_start(struct removal *r, int dfd, struct drop_stayed *left,
    pthread_t *th)
{
	int n;

	memset(r, 0, sizeof(*r));
	r->dfd = dfd;
	r->left = left;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->more, NULL);
	pthread_cond_init(&r->room, NULL);
	for (n = 0; n < REMOVERS; n++)
		if (pthread_create(&th[n], NULL, remover, r) != 0)
			break;
	return n;
}

/* Wait for every path queued to be unlinked (and its refusal counted). */
static void
removal_end(struct removal *r, pthread_t *th, int n)
{
	pthread_mutex_lock(&r->mu);
	r->done = 1;
	pthread_cond_broadcast(&r->more);
	pthread_mutex_unlock(&r->mu);
	while (n-- > 0)
		pthread_join(th[n], NULL);
	pthread_cond_destroy(&r->more);
	pthread_cond_destroy(&r->room);
	pthread_mutex_destroy(&r->mu);
}

size_t
drop_remove(struct drop *d, struct drop_list *l, char **dirs, size_t ndirs,
    struct drop_stayed *left)
{
	char *path = NULL;
	struct stamp t;
	struct stat st;
	struct removal r;
	pthread_t th[REMOVERS];
	size_t i, size = 0, lost = 0;
	int nth = 0;

	memset(left, 0, sizeof(*left));
	if (l->n > 0 && (l->lost || fflush(l->f) != 0 ||
	    fseeko(l->f, 0, SEEK_SET) != 0)) {
		l->lost = 1;
		return l->n;	/* not known for sure: all stay */
	}
	if (l->n >= REMOVE_ALONE)
		nth = removal_start(&r, d->dfd, left, th);
	for (i = 0; i < l->n; i++)
		if (list_next(l, &t, &path, &size) != 0) {
			l->lost = 1;
			lost = l->n - i;
			break;
		} else if (fstatat(d->dfd, path, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !still_same(&t, &st))
			left->changed++;
		else if (nth > 0)
			removal_queue(&r, path);
		else if (unlinkat(d->dfd, path, 0) != 0)
			refused(left, errno);
	if (l->n >= REMOVE_ALONE)
		removal_end(&r, th, nth);
	free(path);
	/* A folder that still holds something (a FIFO, a newcomer) stays. */
	while (ndirs-- > 0)
		unlinkat(d->dfd, dirs[ndirs], AT_REMOVEDIR);
	fsync(d->dfd);
	return lost + left->changed + left->refused;
}

static void
newer(struct timespec *newest, const struct stat *st)
{
	if (st->st_mtim.tv_sec > newest->tv_sec ||
	    (st->st_mtim.tv_sec == newest->tv_sec &&
	    st->st_mtim.tv_nsec > newest->tv_nsec))
		*newest = st->st_mtim;
}

static int
walk(int dirfd, const char *name, struct timespec *newest, long long *count,
    int depth)
{
	struct dirent *de;
	struct stat st;
	DIR *dp;
	int fd, rc = 0;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return -1;
	newer(newest, &st);
	if (S_ISREG(st.st_mode))
		++*count;
	if (!S_ISDIR(st.st_mode) || depth > 16)
		return 0;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (dp = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (rc == 0 && (de = readdir(dp)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			rc = walk(fd, de->d_name, newest, count, depth + 1);
	closedir(dp);
	return rc;
}

int
drop_newest(struct drop *d, const char *name, struct timespec *newest,
    long long *count)
{
	newest->tv_sec = 0;
	newest->tv_nsec = 0;
	*count = 0;
	return walk(d->dfd, name, newest, count, 0);
}
