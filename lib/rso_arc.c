/* rso_arc: case archive segments: libarchive pax tar streamed through age. */
/* SPDX-License-Identifier: ISC */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "rso_age.h"
#include "rso_arc.h"
#include "rso_dio.h"
#include "rso_err.h"
#include "rso_hash.h"
#include "rso_map.h"

#define COPYBUF		(256 * 1024)
#define SEG_DIGITS	6

int
rso_seg_name_ok(const char *name)
{
	const char *p, *c;
	size_t n;

	if (name == NULL || *name == '\0' || *name == '/' ||
	    strlen(name) > 1024)
		return 0;
	for (p = name; *p; p++)
		if (*p < 32 || *p > 126 || *p == '\\')
			return 0;
	/* Each component: not empty, ".", or "..". */
	for (p = name; *p; p = *c ? c + 1 : c) {
		c = strchr(p, '/');
		if (c == NULL)
			c = p + strlen(p);
		n = (size_t)(c - p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (*c == '/' && c[1] == '\0')
			return 0;	/* callers strip a directory's '/' */
	}
	return 1;
}

/*
 * A set of names, for duplicate checks, kept as digests: the first 128
 * bits of each name's SHA-256 where a collision could only refuse a name
 * (a segment's writer and reader: 21 to 43 bytes a name whatever its
 * length, where a copy of each cost about 100), all 256 where it would
 * leave a name out (copy_latest, which takes a name seen before for an
 * older version).  Open addressing, at most three quarters full.  Two
 * names that differ share 128 bits by chance about once in 10^21 for
 * 10^9 names, on purpose in about 2^64 tries; 256 bits, in neither.
 */
struct names {
	uint64_t *slot;		/* cap digests of words each; 0 ends empty */
	size_t n, cap;
	size_t words;		/* 2 or 4; 0 is 2 */
};

#define NAMES_WIDE 4	/* words of a digest where a collision loses */

static void
name_digest(const char *s, uint64_t *d, size_t words)
{
	unsigned char md[RSO_SHA256_LEN];

	rso_sha256(s, strlen(s), md);
	memcpy(d, md, words * sizeof(*d));
	d[words - 1] |= 1;	/* never 0, the mark of an empty slot */
}

/* The slot holding d, or the empty one where it belongs. */
static size_t
names_slot(const struct names *ns, const uint64_t *d)
{
	const uint64_t *at;
	size_t j;

	for (j = d[0] & (ns->cap - 1);; j = (j + 1) & (ns->cap - 1)) {
		at = ns->slot + j * ns->words;
		if (at[ns->words - 1] == 0 ||
		    memcmp(at, d, ns->words * sizeof(*d)) == 0)
			return j;
	}
}

static void
names_grow(struct names *ns)
{
	struct names bigger = { NULL, ns->n, ns->cap ? 2 * ns->cap : 64,
	    ns->words };
	const uint64_t *d;
	size_t i;

	bigger.slot = rso_xcalloc(bigger.cap, ns->words * sizeof(uint64_t));
	for (i = 0; i < ns->cap; i++) {
		d = ns->slot + i * ns->words;
		if (d[ns->words - 1] != 0)
			memcpy(bigger.slot + names_slot(&bigger, d) *
			    ns->words, d, ns->words * sizeof(*d));
	}
	free(ns->slot);
	*ns = bigger;
}

/* Add s; returns 1 if it was new, 0 if already present. */
static int
names_add(struct names *ns, const char *s)
{
	uint64_t d[NAMES_WIDE], *at;

	if (ns->words == 0)
		ns->words = 2;
	name_digest(s, d, ns->words);
	if (4 * (ns->n + 1) > 3 * ns->cap)
		names_grow(ns);
	at = ns->slot + names_slot(ns, d) * ns->words;
	if (at[ns->words - 1] != 0)
		return 0;
	memcpy(at, d, ns->words * sizeof(*d));
	ns->n++;
	return 1;
}

static void
names_free(struct names *ns)
{
	free(ns->slot);
	memset(ns, 0, sizeof(*ns));
}

/* Segment file names: NNNNNN.age, or FIRST-LAST.age after compaction. */
struct seg {
	unsigned long lo, hi;
	char *name;
};

static int
seg_parse(const char *name, struct seg *s)
{
	char *end;

	if (name[0] < '0' || name[0] > '9')
		return -1;
	errno = 0;
	s->lo = s->hi = strtoul(name, &end, 10);
	if (*end == '-') {
		if (end[1] < '0' || end[1] > '9')
			return -1;
		s->hi = strtoul(end + 1, &end, 10);
	}
	if (errno != 0 || strcmp(end, ".age") != 0 || s->lo == 0 ||
	    s->hi < s->lo)
		return -1;
	return 0;
}

static int
seg_cmp(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	/* By first number, the widest range first. */
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi > y->hi ? -1 : 1;
	return 0;
}

int
rso_seg_dir_open(const char *casedir, int status, struct rso_error *e)
{
	struct stat st;
	int fd;

	/* The folders are ours; a link in place of one is not. */
	fd = open(casedir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if ((errno == ELOOP || errno == ENOTDIR) && lstat(casedir, &st) == 0)
		rso_error_set(e, EX_DATAERR, "%s: %s, not a folder", casedir,
		    rso_file_kind(st.st_mode));
	else
		rso_error_set(e, errno == ENOENT ? EX_NOINPUT : status,
		    "%s: %s", casedir, strerror(errno));
	return -1;
}

/* A case folder to list, as rso_seg_dir_open opens it: NULL with e filled. */
static DIR *
casedir_open(const char *casedir, struct rso_error *e)
{
	DIR *dir;
	int fd;

	if ((fd = rso_seg_dir_open(casedir, EX_IOERR, e)) < 0)
		return NULL;
	if ((dir = fdopendir(fd)) == NULL) {
		rso_error_set(e, EX_IOERR, "%s: %s", casedir, strerror(errno));
		close(fd);
	}
	return dir;
}

/* A segment's name on something that is not a file: 0, or EX_DATAERR. */
static int
seg_not_file(DIR *dir, const char *casedir, const struct dirent *d,
    struct rso_error *e)
{
	struct stat st;

	if (d->d_type == DT_REG)
		return 0;
	if (d->d_type == DT_UNKNOWN) {
		if (fstatat(dirfd(dir), d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			return rso_error_set(e, EX_IOERR, "%s: %s: %s", casedir,
			    d->d_name, strerror(errno));
		if (S_ISREG(st.st_mode))
			return 0;
	} else
		st.st_mode = DTTOIF(d->d_type);
	return rso_error_set(e, EX_DATAERR, "%s: %s is %s, not a segment",
	    casedir, d->d_name, S_ISDIR(st.st_mode) ? "a folder" :
	    rso_file_kind(st.st_mode));
}

/*
 * Every segment file of casedir, sorted, with live[i] set for those not
 * replaced by a wider one; *max is the highest number used.  A segment's
 * name on anything but a regular file is an error (EX_DATAERR): it was
 * not made here, and must be neither read, counted nor removed.
 */
static int
seg_scan(const char *casedir, struct seg **segs, size_t *n, int **live,
    unsigned long *max, struct rso_error *e)
{
	struct seg *v = NULL, s;
	struct dirent *d;
	size_t cap = 0, i;
	unsigned long maxhi = 0;
	DIR *dir;

	*n = 0;
	*max = 0;
	if ((dir = casedir_open(casedir, e)) == NULL)
		return e->status;
	while ((d = readdir(dir)) != NULL) {
		if (seg_parse(d->d_name, &s) != 0)
			continue;	/* dot-temp files and strangers */
		if (seg_not_file(dir, casedir, d, e) != 0) {
			closedir(dir);
			for (i = 0; i < *n; i++)
				free(v[i].name);
			free(v);
			return e->status;
		}
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			v = rso_xrealloc(v, cap * sizeof(*v));
		}
		s.name = rso_xstrdup(d->d_name);
		v[(*n)++] = s;
	}
	closedir(dir);
	if (*n > 1)
		qsort(v, *n, sizeof(*v), seg_cmp);
	*live = rso_xcalloc(*n ? *n : 1, sizeof(int));
	for (i = 0; i < *n; i++) {
		if (v[i].lo > maxhi) {
			(*live)[i] = 1;
		} else if (v[i].hi > maxhi) {
			rso_error_set(e, EX_DATAERR, "%s: segments %s and "
			    "another overlap", casedir, v[i].name);
			for (i = 0; i < *n; i++)
				free(v[i].name);
			free(v);
			free(*live);
			return EX_DATAERR;
		}
		if (v[i].hi > maxhi)
			maxhi = v[i].hi;
	}
	*segs = v;
	*max = maxhi;
	return 0;
}

static void
segs_free(struct seg *v, size_t n, int *live)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	free(live);
}

int
rso_seg_list(const char *casedir, char ***names, struct rso_error *e)
{
	struct seg *v;
	size_t n, i, k = 0;
	unsigned long max;
	int *live, rc;

	if ((rc = seg_scan(casedir, &v, &n, &live, &max, e)) != 0)
		return rc;
	*names = rso_xcalloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++)
		if (live[i])
			(*names)[k++] = rso_xstrdup(v[i].name);
	segs_free(v, n, live);
	return 0;
}

void
rso_seg_list_free(char **names)
{
	char **p;

	if (names == NULL)
		return;
	for (p = names; *p; p++)
		free(*p);
	free(names);
}

int
rso_seg_clean_temps(const char *casedir)
{
	struct rso_error e;
	struct stat st;
	struct dirent *d;
	DIR *dir;
	int n = 0;

	if ((dir = casedir_open(casedir, &e)) == NULL)
		return 0;
	/* Only files: a link or FIFO by that name is not a temp we made. */
	while ((d = readdir(dir)) != NULL)
		if (strncmp(d->d_name, RSO_SEG_TEMP, strlen(RSO_SEG_TEMP)) == 0 &&
		    fstatat(dirfd(dir), d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) &&
		    unlinkat(dirfd(dir), d->d_name, 0) == 0)
			n++;
	closedir(dir);
	if (n > 0)
		rso_fsync_dir(casedir);
	return n;
}

/* mkdir -p with mode 0700 for what it creates. */
static int
mkdirs(const char *path)
{
	char *p = rso_xstrdup(path), *s, c;
	int rc = 0;

	for (s = p + 1; rc == 0; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		c = *s;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			rc = -1;
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return rc;
}

/* The entries' modification time: RSO_NOW when set, else the clock. */
static time_t
entry_mtime(void)
{
	const char *now = getenv("RSO_NOW");
	struct tm tm = { 0 };
	char z;

	if (now != NULL && sscanf(now, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
	    &z) == 7 && z == 'Z') {
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		return timegm(&tm);
	}
	return time(NULL);
}

/* Writing. */

struct rso_seg_writer {
	char *casedir;
	char *tmp;		/* the dot-temp file being written */
	int fd;
	struct rso_age_writer *age;
	struct archive *a;
	struct names seen;
	time_t mtime;
	int failed;
	int dropping;		/* aborting: swallow libarchive's trailer */
	struct rso_error err;	/* from inside the write callback */
	struct rso_dio *dio;	/* fd written straight to the disk, or NULL */
	struct rso_sha256_bg *sum;	/* of the ciphertext, as it goes out */
	struct rso_sha256_bg *plain;	/* of files added with their sums */
	int hashing;		/* the file being added goes to plain too */
	long long size;		/* ciphertext bytes written */
	char hex[RSO_SHA256_HEXLEN];	/* its SHA-256, once finished */
};

/* The age writer's output: to the temp file, hashed on the way. */
static int
seg_out(void *ctx, const void *buf, size_t len)
{
	struct rso_seg_writer *w = ctx;

	if (w->dio != NULL ? rso_dio_write(w->dio, buf, len) != 0 :
	    rso_write_all(w->fd, buf, len) != 0)
		return -1;
	rso_sha256_bg_update(w->sum, buf, len);
	w->size += (long long)len;
	return 0;
}

static la_ssize_t
seg_write_cb(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct rso_seg_writer *w = ctx;

	if (w->dropping)
		return (la_ssize_t)len;
	if (rso_age_write(w->age, buf, len, &w->err) != 0) {
		archive_set_error(a, EIO, "encryption failed");
		return -1;
	}
	return (la_ssize_t)len;
}

static int
w_fail(struct rso_seg_writer *w, struct rso_error *e, int status,
    const char *fmt, const char *arg)
{
	w->failed = 1;
	return rso_error_set(e, status, fmt, arg);
}

/* libarchive failed: our own error if the callback set one, else its. */
static int
w_archive_fail(struct rso_seg_writer *w, struct rso_error *e)
{
	w->failed = 1;
	if (w->err.status != 0) {
		if (e != NULL)
			*e = w->err;
		return w->err.status;
	}
	return rso_error_set(e, EX_SOFTWARE, "%s: tar: %s", w->casedir,
	    archive_error_string(w->a));
}

struct rso_seg_writer *
rso_seg_create(const char *casedir, const struct rso_age_recipients *r,
    struct rso_error *e)
{
	struct rso_seg_writer *w;
	int dfd;

	if (mkdirs(casedir) != 0) {
		rso_error_set(e, EX_CANTCREAT, "%s: %s", casedir,
		    strerror(errno));
		return NULL;
	}
	/* Never write a patient's records through a link put in our place. */
	if ((dfd = rso_seg_dir_open(casedir, EX_IOERR, e)) < 0)
		return NULL;
	close(dfd);
	w = rso_xcalloc(1, sizeof(*w));
	w->casedir = rso_xstrdup(casedir);
	w->tmp = rso_xasprintf("%s/" RSO_SEG_TEMP "XXXXXX", casedir);
	w->mtime = entry_mtime();
	/* mkostemp makes it 0600: right for patient data at rest. */
	if ((w->fd = mkostemp(w->tmp, O_CLOEXEC)) < 0) {
		rso_error_set(e, EX_CANTCREAT, "%s: %s", casedir,
		    strerror(errno));
		free(w->tmp);
		w->tmp = NULL;
		rso_seg_abort(w);
		return NULL;
	}
	/*
	 * Straight to the disk as it is made, where the file system can:
	 * written back only at the fsync, a segment of a gigabyte kept this
	 * disk writing for a second after the last byte was encrypted.
	 */
	w->dio = rso_dio_start(w->fd);
	w->sum = rso_sha256_bg_new();
	if ((w->age = rso_age_writer_new(seg_out, w, r, 0, e)) == NULL) {
		rso_seg_abort(w);
		return NULL;
	}
	w->a = archive_write_new();
	/* Unblocked: the age writer already batches whole chunks. */
	if (w->a == NULL ||
	    archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(w->a, 0) != ARCHIVE_OK ||
	    archive_write_open2(w->a, w, NULL, seg_write_cb, NULL, NULL) !=
	    ARCHIVE_OK) {
		rso_error_set(e, EX_SOFTWARE, "%s: tar: cannot start", casedir);
		rso_seg_abort(w);
		return NULL;
	}
	return w;
}

/* Check name and write its tar header. */
static int
w_header(struct rso_seg_writer *w, const char *name, int64_t size,
    struct rso_error *e)
{
	struct archive_entry *ae;
	int rc;

	if (w->failed)
		return rso_error_set(e, EX_SOFTWARE, "%s: segment already failed",
		    w->casedir);
	if (!rso_seg_name_ok(name))
		return rso_error_set(e, EX_DATAERR, "%s: invalid entry name",
		    w->casedir);
	if (!names_add(&w->seen, name))
		return rso_error_set(e, EX_DATAERR, "%s: duplicate entry name",
		    w->casedir);
	if ((ae = archive_entry_new()) == NULL)
		rso_die(EX_OSERR, "archive_entry_new");
	archive_entry_set_pathname(ae, name);
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_perm(ae, 0600);
	archive_entry_set_size(ae, size);
	archive_entry_set_mtime(ae, w->mtime, 0);
	rc = archive_write_header(w->a, ae);
	archive_entry_free(ae);
	if (rc != ARCHIVE_OK)
		return w_archive_fail(w, e);
	return 0;
}

static int
w_data(struct rso_seg_writer *w, const void *buf, size_t len,
    struct rso_error *e)
{
	const char *p = buf;
	la_ssize_t n;

	while (len > 0) {
		if ((n = archive_write_data(w->a, p, len)) <= 0)
			return w_archive_fail(w, e);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
rso_seg_add_buf(struct rso_seg_writer *w, const char *name, const void *buf,
    size_t len, struct rso_error *e)
{
	int rc;

	if ((rc = w_header(w, name, (int64_t)len, e)) != 0)
		return rc;
	return w_data(w, buf, len, e);
}

static int
w_data_cb(void *ctx, const void *buf, size_t len, struct rso_error *e)
{
	struct rso_seg_writer *w = ctx;

	if (w->hashing)
		rso_sha256_bg_update(w->plain, buf, len);
	return w_data(w, buf, len, e);
}

static int add_fd(struct rso_seg_writer *, const char *, int, off_t,
    struct rso_error *);

int
rso_seg_add_fd(struct rso_seg_writer *w, const char *name, int fd,
    off_t size, struct rso_error *e)
{
	return add_fd(w, name, fd, size, e);
}

int
rso_seg_add_fd_sum(struct rso_seg_writer *w, const char *name, int fd,
    off_t size, char *sha256, struct rso_error *e)
{
	int rc;

	/* Hashed as it is encrypted, on another thread: one read of the
	 * file for both. */
	if (w->plain == NULL)
		w->plain = rso_sha256_bg_new();
	w->hashing = 1;
	rc = add_fd(w, name, fd, size, e);
	w->hashing = 0;
	if (rc == 0)
		rso_sha256_bg_cut(w->plain, sha256);
	return rc;
}

void
rso_seg_sums_wait(struct rso_seg_writer *w)
{
	if (w->plain != NULL)
		rso_sha256_bg_wait(w->plain);
}

static int
add_fd(struct rso_seg_writer *w, const char *name, int fd, off_t size,
    struct rso_error *e)
{
	struct rso_error why = { 0 };
	off_t at;
	char extra;
	ssize_t n;
	int rc;

	if (size < 0)
		return rso_error_set(e, EX_USAGE, "%s: negative size",
		    w->casedir);
	if ((rc = w_header(w, name, (int64_t)size, e)) != 0)
		return rc;
	if ((at = lseek(fd, 0, SEEK_CUR)) < 0)
		return w_fail(w, e, EX_IOERR, "read: %s", strerror(errno));
	/* A window at a time, one read for the hash, header and cipher. */
	rc = rso_map_range(fd, at, size, w_data_cb, w, &why);
	if (rc != 0 && w->failed) {
		/* The archive's own failure, already told. */
		if (e != NULL)
			*e = why;
		return rc;
	}
	if (rc == EX_DATAERR)
		return w_fail(w, e, EX_DATAERR, "%s: file shrank while "
		    "being added", w->casedir);
	if (rc != 0)
		return w_fail(w, e, rc, "read: %s", why.msg);
	if (lseek(fd, at + size, SEEK_SET) < 0)
		return w_fail(w, e, EX_IOERR, "read: %s", strerror(errno));
	/* The tar header promised size bytes: more would be lost. */
	while (rc == 0 && (n = read(fd, &extra, 1)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		rc = n < 0 ? w_fail(w, e, EX_IOERR, "read: %s", strerror(errno)) :
		    w_fail(w, e, EX_DATAERR, "%s: file grew while being added",
		    w->casedir);
	}
	return rc;
}

/* The files' hasher stops; every sum cut is written first. */
static void
plain_end(struct rso_seg_writer *w)
{
	char rest[RSO_SHA256_HEXLEN];

	if (w->plain != NULL)
		rso_sha256_bg_final_hex(w->plain, rest);
	w->plain = NULL;
}

void
rso_seg_abort(struct rso_seg_writer *w)
{
	if (w == NULL)
		return;
	w->dropping = 1;
	if (w->a != NULL)
		archive_write_free(w->a);
	rso_age_writer_free(w->age);
	rso_dio_abort(w->dio);
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp != NULL)
		unlink(w->tmp);
	names_free(&w->seen);
	plain_end(w);
	if (w->sum != NULL) {
		char discard[RSO_SHA256_HEXLEN];

		rso_sha256_bg_final_hex(w->sum, discard);
	}
	free(w->tmp);
	free(w->casedir);
	free(w);
}

/*
 * Close the tar and the age file and fsync it, leaving the temp file
 * complete; on failure everything is dropped.
 */
static int
w_finish(struct rso_seg_writer *w, struct rso_error *e)
{
	struct rso_dio *dio;
	int rc;

	if (w->failed) {
		rc = rso_error_set(e, EX_SOFTWARE, "%s: segment already failed",
		    w->casedir);
		goto fail;
	}
	if (archive_write_close(w->a) != ARCHIVE_OK) {
		rc = w_archive_fail(w, e);
		goto fail;
	}
	archive_write_free(w->a);
	w->a = NULL;
	rc = rso_age_writer_close(w->age, e);
	w->age = NULL;
	if (rc != 0)
		goto fail;
	/* The last bytes, and any write still going: failed, as the age
	 * writer says a write failed. */
	dio = w->dio;
	w->dio = NULL;
	if (dio != NULL && rso_dio_finish(dio) != 0) {
		rc = rso_error_set(e, EX_IOERR, "write: %s", strerror(errno));
		goto fail;
	}
	if (fsync(w->fd) != 0 || close(w->fd) != 0) {
		w->fd = -1;
		rc = rso_error_set(e, EX_IOERR, "%s: %s", w->casedir,
		    strerror(errno));
		goto fail;
	}
	w->fd = -1;
	rso_sha256_bg_final_hex(w->sum, w->hex);
	w->sum = NULL;
	plain_end(w);
	return 0;
fail:
	rso_seg_abort(w);
	return rc;
}

/*
 * Give the finished temp file its name with link(2), which never
 * clobbers: 0 done, 1 the name is taken, -1 with e filled.
 */
static int
w_link(struct rso_seg_writer *w, const char *name, struct rso_error *e)
{
	char *path = rso_xasprintf("%s/%s", w->casedir, name);
	int err = link(w->tmp, path) == 0 ? 0 : errno;

	free(path);
	if (err == EEXIST)
		return 1;
	if (err != 0) {
		rso_error_set(e, EX_CANTCREAT, "%s/%s: %s", w->casedir, name,
		    strerror(err));
		return -1;
	}
	return 0;
}

/* After the link: the temp name goes, and the folder is made durable. */
static int
w_settle(struct rso_seg_writer *w, struct rso_error *e)
{
	if (unlink(w->tmp) != 0 || rso_fsync_dir(w->casedir) != 0)
		return rso_error_set(e, EX_IOERR, "%s: %s", w->casedir,
		    strerror(errno));
	return 0;
}

/* What a finished writer wrote: name, size and SHA-256 into sum. */
static void
w_sum(const struct rso_seg_writer *w, const char *name,
    struct rso_seg_sum *sum)
{
	if (sum == NULL)
		return;
	snprintf(sum->name, sizeof(sum->name), "%s", name);
	sum->size = w->size;
	memcpy(sum->sha256, w->hex, sizeof(sum->sha256));
}

int
rso_seg_commit(struct rso_seg_writer *w, char **segname, struct rso_error *e)
{
	return rso_seg_commit_sum(w, segname, NULL, e);
}

int
rso_seg_commit_sum(struct rso_seg_writer *w, char **segname,
    struct rso_seg_sum *sum, struct rso_error *e)
{
	struct seg *v;
	size_t n;
	unsigned long next;
	char *name = NULL;
	int *live, rc;

	if ((rc = w_finish(w, e)) != 0)
		return rc;
	if ((rc = seg_scan(w->casedir, &v, &n, &live, &next, e)) != 0)
		goto out;
	segs_free(v, n, live);
	/* Another writer may take a number first: then try the next. */
	for (next++;; next++) {
		free(name);
		name = rso_xasprintf("%0*lu.age", SEG_DIGITS, next);
		if ((rc = w_link(w, name, e)) != 1)
			break;
	}
	rc = rc < 0 ? EX_CANTCREAT : w_settle(w, e);
	if (rc == 0)
		w_sum(w, name, sum);
out:
	if (rc == 0 && segname != NULL)
		*segname = name;
	else
		free(name);
	rso_seg_abort(w);
	return rc;
}

/* Reading. */

struct rso_seg_reader {
	char *dir;		/* folder of the segments */
	char **segs;		/* file names, in reading order */
	size_t nsegs, next;
	const struct rso_age_identities *ids;
	const char *cur;	/* current segment name */
	int fd;
	struct rso_age_reader *age;
	struct archive *a;
	struct names seen;
	unsigned long entry;	/* number of the entry within the segment */
	char *name;		/* current entry name */
	struct rso_error err;	/* sticky */
};

static la_ssize_t
seg_read_cb(struct archive *a, void *ctx, const void **buf)
{
	struct rso_seg_reader *rd = ctx;
	ssize_t n = rso_age_read_next(rd->age, buf, &rd->err);

	if (n < 0) {
		archive_set_error(a, EIO, "decryption failed");
		return -1;
	}
	return n;
}

static int
rd_fail(struct rso_seg_reader *rd, struct rso_error *e, int status,
    const char *what)
{
	if (rd->err.status == 0)
		rso_error_set(&rd->err, status, "%s: entry %lu: %s", rd->cur,
		    rd->entry, what);
	if (e != NULL)
		*e = rd->err;
	return -1;
}

static void
rd_close_seg(struct rso_seg_reader *rd)
{
	if (rd->a != NULL)
		archive_read_free(rd->a);
	rd->a = NULL;
	rso_age_reader_free(rd->age);
	rd->age = NULL;
	if (rd->fd >= 0)
		close(rd->fd);
	rd->fd = -1;
	names_free(&rd->seen);
}

static int
rd_open_seg(struct rso_seg_reader *rd, struct rso_error *e)
{
	struct stat st;
	char *path;

	rd->cur = rd->segs[rd->next++];
	rd->entry = 0;
	path = rd->dir ? rso_xasprintf("%s/%s", rd->dir, rd->cur) :
	    rso_xstrdup(rd->cur);
	/* In a case folder, a segment is a regular file, never a link
	 * or a FIFO put there (which would block the read). */
	rd->fd = open(path, rd->dir ? O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC : O_RDONLY | O_CLOEXEC);
	free(path);
	if (rd->fd < 0) {
		rso_error_set(&rd->err, errno == ENOENT ? EX_NOINPUT :
		    errno == ELOOP ? EX_DATAERR : EX_IOERR, "%s: %s", rd->cur,
		    errno == ELOOP ? "a symbolic link, not a segment" :
		    strerror(errno));
		goto fail;
	}
	if (rd->dir && (fstat(rd->fd, &st) != 0 || !S_ISREG(st.st_mode))) {
		rso_error_set(&rd->err, EX_DATAERR, "%s: not a regular file",
		    rd->cur);
		goto fail;
	}
	if ((rd->age = rso_age_reader_fd(rd->fd, rd->cur, rd->ids, &rd->err)) ==
	    NULL)
		goto fail;
	rd->a = archive_read_new();
	if (rd->a == NULL || archive_read_support_format_tar(rd->a) !=
	    ARCHIVE_OK || archive_read_open2(rd->a, rd, NULL, seg_read_cb, NULL,
	    NULL) != ARCHIVE_OK) {
		if (rd->err.status == 0)
			rso_error_set(&rd->err, EX_DATAERR, "%s: not a tar archive",
			    rd->cur);
		goto fail;
	}
	return 0;
fail:
	if (e != NULL)
		*e = rd->err;
	return -1;
}

/* After the tar trailer: the age file must still end verified. */
static int
rd_end_seg(struct rso_seg_reader *rd, struct rso_error *e)
{
	const void *p;
	ssize_t n;

	while ((n = rso_age_read_next(rd->age, &p, &rd->err)) > 0)
		;
	if (n < 0) {
		if (e != NULL)
			*e = rd->err;
		return -1;
	}
	rd_close_seg(rd);
	return 0;
}

/* The refusals: what a segment may hold. */
static int
rd_check(struct rso_seg_reader *rd, struct archive_entry *ae,
    struct rso_seg_entry *ent, struct rso_error *e)
{
	const char *path = archive_entry_pathname(ae);
	mode_t type = archive_entry_filetype(ae);
	size_t n;

	if (archive_entry_hardlink(ae) != NULL || type == AE_IFLNK)
		return rd_fail(rd, e, EX_DATAERR, "link refused");
	if (type != AE_IFREG && type != AE_IFDIR)
		return rd_fail(rd, e, EX_DATAERR,
		    "not a regular file or directory");
	if (path == NULL)
		return rd_fail(rd, e, EX_DATAERR, "no name");
	free(rd->name);
	rd->name = rso_xstrdup(path);
	n = strlen(rd->name);
	if (type == AE_IFDIR && n > 1 && rd->name[n - 1] == '/')
		rd->name[n - 1] = '\0';
	if (rd->name[0] == '/')
		return rd_fail(rd, e, EX_DATAERR, "absolute path refused");
	if (strcmp(rd->name, "..") == 0 || strncmp(rd->name, "../", 3) == 0 ||
	    strstr(rd->name, "/../") != NULL ||
	    (n >= 3 && strcmp(rd->name + strlen(rd->name) - 3, "/..") == 0))
		return rd_fail(rd, e, EX_DATAERR, "\"..\" refused");
	if (!rso_seg_name_ok(rd->name))
		return rd_fail(rd, e, EX_DATAERR, "invalid name refused");
	if (!names_add(&rd->seen, rd->name))
		return rd_fail(rd, e, EX_DATAERR, "duplicate name refused");
	if (type == AE_IFDIR && archive_entry_size(ae) != 0)
		return rd_fail(rd, e, EX_DATAERR, "directory with data refused");
	ent->name = rd->name;
	ent->segment = rd->cur;
	ent->size = archive_entry_size(ae);
	ent->isdir = type == AE_IFDIR;
	ent->mtime = archive_entry_mtime(ae);
	return 1;
}

int
rso_seg_next(struct rso_seg_reader *rd, struct rso_seg_entry *ent,
    struct rso_error *e)
{
	struct archive_entry *ae;
	int r;

	if (rd->err.status != 0) {
		if (e != NULL)
			*e = rd->err;
		return -1;
	}
	for (;;) {
		if (rd->a == NULL) {
			if (rd->next == rd->nsegs)
				return 0;
			if (rd_open_seg(rd, e) != 0)
				return -1;
		}
		rd->entry++;
		r = archive_read_next_header(rd->a, &ae);
		if (r == ARCHIVE_EOF) {
			if (rd_end_seg(rd, e) != 0)
				return -1;
			continue;
		}
		/* Strict: our writer never causes even a warning. */
		if (r != ARCHIVE_OK) {
			if (rd->err.status != 0) {
				if (e != NULL)
					*e = rd->err;
				return -1;
			}
			return rd_fail(rd, e, EX_DATAERR, "malformed tar header");
		}
		return rd_check(rd, ae, ent, e);
	}
}

ssize_t
rso_seg_read(struct rso_seg_reader *rd, void *buf, size_t len,
    struct rso_error *e)
{
	la_ssize_t n;

	if (rd->err.status != 0 || rd->a == NULL) {
		if (e != NULL)
			*e = rd->err;
		return rd->err.status != 0 ? -1 : 0;
	}
	n = archive_read_data(rd->a, buf, len);
	if (n < 0) {
		if (rd->err.status != 0) {
			if (e != NULL)
				*e = rd->err;
			return -1;
		}
		return rd_fail(rd, e, EX_DATAERR, "truncated data");
	}
	return n;
}

static struct rso_seg_reader *
rd_new(const char *dir, char **segs, size_t n,
    const struct rso_age_identities *ids)
{
	struct rso_seg_reader *rd = rso_xcalloc(1, sizeof(*rd));

	rd->dir = dir ? rso_xstrdup(dir) : NULL;
	rd->segs = segs;
	rd->nsegs = n;
	rd->ids = ids;
	rd->fd = -1;
	return rd;
}

struct rso_seg_reader *
rso_seg_open(const char *path, const struct rso_age_identities *ids,
    struct rso_error *e)
{
	char **segs = rso_xcalloc(2, sizeof(char *));
	struct rso_seg_reader *rd;

	segs[0] = rso_xstrdup(path);
	rd = rd_new(NULL, segs, 1, ids);
	/* Open now, so a wrong key or a bad header shows at once. */
	if (rd_open_seg(rd, e) != 0) {
		rso_seg_close(rd);
		return NULL;
	}
	return rd;
}

struct rso_seg_reader *
rso_seg_open_case(const char *casedir, const struct rso_age_identities *ids,
    struct rso_error *e)
{
	char **names;
	size_t n;

	if (rso_seg_list(casedir, &names, e) != 0)
		return NULL;
	for (n = 0; names[n] != NULL; n++)
		;
	return rd_new(casedir, names, n, ids);
}

void
rso_seg_close(struct rso_seg_reader *rd)
{
	size_t i;

	if (rd == NULL)
		return;
	rd_close_seg(rd);
	for (i = 0; i < rd->nsegs; i++)
		free(rd->segs[i]);
	free(rd->segs);
	free(rd->name);
	free(rd->dir);
	free(rd);
}

/* Compaction. */

/* Copy the current entry of rd into w under its own name. */
static int
copy_entry(struct rso_seg_reader *rd, const struct rso_seg_entry *ent,
    struct rso_seg_writer *w, struct rso_error *e)
{
	return rso_seg_add_entry(w, ent->name, rd, ent, NULL, e);
}

int
rso_seg_add_entry(struct rso_seg_writer *w, const char *name,
    struct rso_seg_reader *rd, const struct rso_seg_entry *ent, char *sha256,
    struct rso_error *e)
{
	struct rso_sha256 *h = sha256 ? rso_sha256_new() : NULL;
	char *buf = rso_xmalloc(COPYBUF);
	int64_t left = ent->size;
	ssize_t n;
	int rc;

	rc = w_header(w, name, ent->size, e);
	while (rc == 0 && (n = rso_seg_read(rd, buf, COPYBUF, e)) != 0) {
		if (n < 0) {
			rc = e ? e->status : EX_DATAERR;
			break;
		}
		left -= n;
		if (h != NULL)
			rso_sha256_update(h, buf, (size_t)n);
		rc = w_data(w, buf, (size_t)n, e);
	}
	free(buf);
	if (h != NULL)
		rso_sha256_final_hex(h, sha256);
	if (rc == 0 && left != 0)
		rc = rso_error_set(e, EX_DATAERR, "%s: entry size mismatch",
		    ent->segment);
	return rc;
}

/* Copy the latest version of each kept entry: newest segments first. */
static int
copy_latest(const char *casedir, char **live, size_t nlive,
    const struct rso_age_identities *ids, struct rso_seg_writer *w,
    rso_seg_keep_fn *keep, void *ctx, struct rso_error *e)
{
	struct rso_seg_reader *rd;
	struct rso_seg_entry ent;
	struct names taken = { NULL, 0, 0, NAMES_WIDE };
	char **order = rso_xcalloc(nlive + 1, sizeof(char *));
	size_t i;
	int got, rc = 0;

	for (i = 0; i < nlive; i++)
		order[i] = rso_xstrdup(live[nlive - 1 - i]);
	rd = rd_new(casedir, order, nlive, ids);
	while ((got = rso_seg_next(rd, &ent, e)) > 0) {
		if (ent.isdir || !names_add(&taken, ent.name))
			continue;	/* superseded by a later segment */
		if (keep != NULL && !keep(ent.name, ctx))
			continue;
		if ((rc = copy_entry(rd, &ent, w, e)) != 0)
			break;
	}
	if (got < 0)
		rc = e ? e->status : EX_DATAERR;
	rso_seg_close(rd);
	names_free(&taken);
	return rc;
}

/* Write the merged segment: newest segments first, first version wins. */
static int
compact_write(const char *casedir, char **live, size_t nlive,
    const struct rso_age_recipients *r, const struct rso_age_identities *ids,
    struct rso_seg_writer **wp, struct rso_error *e)
{
	struct rso_seg_writer *w;
	int rc;

	if ((w = rso_seg_create(casedir, r, e)) == NULL)
		return e ? e->status : EX_CANTCREAT;
	rc = copy_latest(casedir, live, nlive, ids, w, NULL, NULL, e);
	if (rc == 0)
		rc = w_finish(w, e);
	else
		rso_seg_abort(w);
	*wp = rc == 0 ? w : NULL;
	return rc;
}

int
rso_seg_copy_latest(const char *casedir, const struct rso_age_identities *ids,
    struct rso_seg_writer *w, rso_seg_keep_fn *keep, void *ctx,
    struct rso_error *e)
{
	char **live;
	size_t n;
	int rc;

	if ((rc = rso_seg_list(casedir, &live, e)) != 0)
		return rc;
	for (n = 0; live[n] != NULL; n++)
		;
	rc = copy_latest(casedir, live, n, ids, w, keep, ctx, e);
	rso_seg_list_free(live);
	return rc;
}

/*
 * Give the finished temp file name in its folder with mode, replacing
 * what was there only with replace (a stale merged segment an earlier
 * run left; an export's file sent again), and fsync the folder.
 */
static int
w_replace(struct rso_seg_writer *w, const char *name, mode_t mode,
    int replace, struct rso_error *e)
{
	char *path = rso_xasprintf("%s/%s", w->casedir, name);
	int rc = 0;

	if (chmod(w->tmp, mode) != 0 || rso_rename_into(w->tmp, path,
	    replace) != 0)
		rc = errno == EEXIST ? rso_error_set(e, EX_CANTCREAT, "%s: there "
		    "already, not written there by rso (left alone)", name) :
		    rso_error_set(e, EX_CANTCREAT, "%s: %s", path,
		    strerror(errno));
	else if (rso_fsync_dir(w->casedir) != 0)
		rc = rso_error_set(e, EX_IOERR, "%s: %s", w->casedir,
		    strerror(errno));
	free(path);
	return rc;
}

int
rso_seg_commit_as(struct rso_seg_writer *w, const char *name, int replace,
    struct rso_error *e)
{
	int rc;

	if ((rc = w_finish(w, e)) != 0)
		return rc;
	/* As other exports: readable by the importing service's group. */
	rc = w_replace(w, name, 0640, replace, e);
	rso_seg_abort(w);
	return rc;
}

/* Remove every segment inside [lo, hi] but the one called keep. */
static int
compact_remove(const char *casedir, unsigned long lo, unsigned long hi,
    const char *keep, struct rso_error *e)
{
	struct seg *v;
	size_t n, i;
	unsigned long max;
	int *live, rc;

	if ((rc = seg_scan(casedir, &v, &n, &live, &max, e)) != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		char *path;

		if (v[i].lo < lo || v[i].hi > hi || strcmp(v[i].name, keep) == 0)
			continue;
		path = rso_xasprintf("%s/%s", casedir, v[i].name);
		if (unlink(path) != 0 && errno != ENOENT)
			rc = rso_error_set(e, EX_IOERR, "%s: %s", path,
			    strerror(errno));
		free(path);
	}
	segs_free(v, n, live);
	if (rc == 0 && rso_fsync_dir(casedir) != 0)
		rc = rso_error_set(e, EX_IOERR, "%s: %s", casedir,
		    strerror(errno));
	return rc;
}

/* Remove the segments a live one replaces: an interrupted compaction's. */
static int
remove_replaced(const char *casedir, const struct seg *v, size_t n,
    const int *live, struct rso_error *e)
{
	size_t i, gone = 0;
	char *path;

	for (i = 0; i < n; i++) {
		if (live[i])
			continue;
		path = rso_xasprintf("%s/%s", casedir, v[i].name);
		if (unlink(path) != 0 && errno != ENOENT) {
			rso_error_set(e, EX_IOERR, "%s: %s", path,
			    strerror(errno));
			free(path);
			return EX_IOERR;
		}
		free(path);
		gone++;
	}
	if (gone > 0 && rso_fsync_dir(casedir) != 0)
		return rso_error_set(e, EX_IOERR, "%s: %s", casedir,
		    strerror(errno));
	return 0;
}

/* The live segments of casedir, in write order, with their file sizes. */
static int
live_segs(const char *casedir, struct seg **out, long long **size, size_t *n,
    struct rso_error *e)
{
	struct seg *v;
	struct stat st;
	size_t all, i;
	unsigned long max;
	int *live, rc;
	char *path;

	*n = 0;
	if ((rc = seg_scan(casedir, &v, &all, &live, &max, e)) != 0)
		return rc;
	if ((rc = remove_replaced(casedir, v, all, live, e)) != 0) {
		segs_free(v, all, live);
		return rc;
	}
	*size = rso_xcalloc(all + 1, sizeof(**size));
	for (i = 0; i < all; i++) {
		if (!live[i]) {
			free(v[i].name);
			continue;
		}
		path = rso_xasprintf("%s/%s", casedir, v[i].name);
		if (stat(path, &st) == 0)
			(*size)[*n] = (long long)st.st_size;
		else if (rc == 0)
			rc = rso_error_set(e, errno == ENOENT ? EX_NOINPUT :
			    EX_IOERR, "%s: %s", path, strerror(errno));
		free(path);
		v[(*n)++] = v[i];
	}
	free(live);
	*out = v;
	if (rc != 0) {
		segs_free(v, *n, NULL);
		free(*size);
		*n = 0;
	}
	return rc;
}

/*
 * The last of the run of live segments from first that one merged
 * segment takes: as many as fit in max together (their files' sizes; the
 * merged one is no larger, as it drops the names newer ones repeat and
 * all but one tar trailer and age header), and first alone when it
 * does not fit, which is then left as it is.
 */
static size_t
group_end(const long long *size, size_t n, size_t first, long long max)
{
	long long sum = size[first];
	size_t last = first;

	while (last + 1 < n && sum <= max && size[last + 1] <= max - sum)
		sum += size[++last];
	return last;
}

/*
 * Merge live segments v[0..k-1] into one named FIRST-LAST.age: written,
 * bound, named, and only then are those it replaces removed.
 */
static int
compact_group(const char *casedir, const struct seg *v, size_t k,
    const struct rso_age_recipients *r, const struct rso_age_identities *ids,
    rso_seg_bind_fn *bind, void *ctx, char **segname, struct rso_error *e)
{
	struct rso_seg_writer *w = NULL;
	struct rso_seg_sum sum;
	char **live = rso_xcalloc(k + 1, sizeof(char *)), *name;
	size_t i;
	int rc;

	for (i = 0; i < k; i++)
		live[i] = rso_xstrdup(v[i].name);
	rc = compact_write(casedir, live, k, r, ids, &w, e);
	rso_seg_list_free(live);
	if (rc != 0)
		return rc;
	name = rso_xasprintf("%0*lu-%0*lu.age", SEG_DIGITS, v[0].lo,
	    SEG_DIGITS, v[k - 1].hi);
	/*
	 * Bound before it has its name: a live segment is always one the
	 * store knows, and a crash after the bind only leaves a record of a
	 * segment that never replaced anything.
	 */
	w_sum(w, name, &sum);
	if (bind != NULL)
		rc = bind(&sum, ctx, e);
	if (rc == 0)
		rc = w_replace(w, name, 0600, 1, e);
	rso_seg_abort(w);
	/* The merged segment is durable: only now drop what it replaces. */
	if (rc == 0)
		rc = compact_remove(casedir, v[0].lo, v[k - 1].hi, name, e);
	if (rc == 0)
		*segname = name;
	else
		free(name);
	return rc;
}

int
rso_seg_compact(const char *casedir, const struct rso_age_recipients *r,
    const struct rso_age_identities *ids, long long max_bytes,
    rso_seg_bind_fn *bind, void *ctx, char ***merged, struct rso_error *e)
{
	struct seg *v;
	long long *size;
	size_t n, first, last, k = 0;
	int rc;

	*merged = NULL;
	if ((rc = live_segs(casedir, &v, &size, &n, e)) != 0)
		return rc;
	*merged = rso_xcalloc(n + 1, sizeof(char *));
	if (max_bytes <= 0)
		max_bytes = LLONG_MAX;
	/* Oldest first: the run that is not full is the newest, which the
	 * next compaction fills with what is filed meanwhile. */
	for (first = 0; rc == 0 && first < n; first = last + 1) {
		last = group_end(size, n, first, max_bytes);
		if (last > first)
			rc = compact_group(casedir, v + first, last - first + 1,
			    r, ids, bind, ctx, &(*merged)[k++], e);
	}
	segs_free(v, n, NULL);
	free(size);
	return rc;
}

static int
sha_take(void *h, const void *buf, size_t n, struct rso_error *e)
{
	(void)e;
	rso_sha256_update(h, buf, n);
	return 0;
}

int
rso_seg_file_sum(const char *casedir, const char *name,
    struct rso_seg_sum *sum, struct rso_error *e)
{
	char *path = rso_xasprintf("%s/%s", casedir, name);
	struct rso_error why;
	struct rso_sha256 *h;
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return rso_error_set(e, errno == ENOENT ? EX_NOINPUT : EX_IOERR,
		    "segment %s: %s", name, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return rso_error_set(e, EX_DATAERR, "segment %s: not a regular "
		    "file", name);
	}
	snprintf(sum->name, sizeof(sum->name), "%s", name);
	sum->size = st.st_size;
	h = rso_sha256_new();
	if ((rc = rso_map_range(fd, 0, st.st_size, sha_take, h, &why)) != 0)
		rso_error_set(e, rc, "segment %s: %s", name, why.msg);
	rso_sha256_final_hex(h, sum->sha256);
	close(fd);
	return rc;
}
