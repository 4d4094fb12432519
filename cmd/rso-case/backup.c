/* rso-case backup: a consistent copy of the store, incremental. */
/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rso_casearc.h"
#include "rso_err.h"
#include "rso_event.h"
#include "rso_store.h"
#include "verbs.h"

/*
 * Segments are never changed once written, so a backup folder that already
 * holds a segment of the same name and size holds that segment: a second
 * backup into the same folder copies only what the last one lacks, and
 * the database is one snapshot (VACUUM INTO), not a copy that restarts on
 * every write by another program.
 */
struct backup {
	int src, dst;		/* the store's and the backup's folders */
	size_t copied, kept, removed;	/* segments */
	uint64_t bytes;			/* of the segments copied */
	int again;			/* the second pass over the archives */
	struct rso_error *e;
};

#define TMP_PREFIX ".rso-backup-"

static int
sys_error(struct backup *b, int status, const char *what)
{
	return rso_error_set(b->e, status, "%s: %s", what, strerror(errno));
}

/* Copy src (open) to a temporary name in dir, fsync it and rename it to
 * name: a reader of the backup never sees half a file. */
static int
copy_into(struct backup *b, int src, int dir, const char *name,
    const char *what)
{
	char tmp[NAME_MAX + 1], buf[65536];
	ssize_t n;
	int out, rc = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), TMP_PREFIX "%s", name) >=
	    sizeof(tmp))
		return rso_error_set(b->e, EX_SOFTWARE, "%s: name too long",
		    what);
	unlinkat(dir, tmp, 0);
	out = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (out < 0)
		return sys_error(b, EX_CANTCREAT, what);
	while (rc == 0 && (n = read(src, buf, sizeof(buf))) != 0) {
		if (n < 0)
			rc = sys_error(b, EX_IOERR, what);
		else if (rso_write_all(out, buf, (size_t)n) != 0)
			rc = sys_error(b, EX_IOERR, what);
	}
	if (rc == 0 && fsync(out) != 0)
		rc = sys_error(b, EX_IOERR, what);
	if (close(out) != 0 && rc == 0)
		rc = sys_error(b, EX_IOERR, what);
	if (rc == 0 && renameat(dir, tmp, dir, name) != 0)
		rc = sys_error(b, EX_IOERR, what);
	if (rc != 0)
		unlinkat(dir, tmp, 0);
	return rc;
}

/* Open name in dir for reading, without following a link: the store is
 * ours, and a link in it was not made by us.  -1 with errno set. */
static int
open_regular(int dir, const char *name, struct stat *st)
{
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/*
 * Call fn on each name in the folder dir that does not start with a dot
 * (locks, writes in progress, our own temporaries), until one fails.
 */
static int
each_name(struct backup *b, int dir, const char *what,
    int (*fn)(struct backup *, const char *, void *), void *ctx)
{
	struct dirent *d;
	DIR *dp;
	int rc = 0;

	if ((dp = fdopendir(dup(dir))) == NULL)
		return sys_error(b, EX_IOERR, what);
	while (rc == 0 && (d = readdir(dp)) != NULL)
		if (d->d_name[0] != '.')
			rc = fn(b, d->d_name, ctx);
	closedir(dp);
	return rc;
}

/* One segment (or other file) of a case: copied unless the backup has it. */
static int
backup_file(struct backup *b, int src, int dst, const char *id,
    const char *name)
{
	struct stat st, have;
	char *what = rso_xasprintf("archives/%s/%s", id, name);
	int fd, rc = 0;

	if ((fd = open_regular(src, name, &st)) < 0) {
		/* Compaction removed it since the folder was read: the
		 * segment that replaces it is copied on the second pass. */
		if (errno != ENOENT)
			rc = sys_error(b, EX_IOERR, what);
	} else if (fstatat(dst, name, &have, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(have.st_mode) && have.st_size == st.st_size) {
		b->kept += !b->again;
	} else if ((rc = copy_into(b, fd, dst, name, what)) == 0) {
		b->copied++;
		b->bytes += (uint64_t)st.st_size;
	}
	if (fd >= 0)
		close(fd);
	free(what);
	return rc;
}

/* Open (creating) the folder name in dir. */
static int
open_dir_at(int dir, const char *name, int create)
{
	if (create && mkdirat(dir, name, 0700) != 0 && errno != EEXIST)
		return -1;
	return openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
}

/* A pair of folders walked together: the store's and the backup's. */
struct pair {
	int src, dst;
	const char *id;
};

/* A file of a case folder (a folder inside one is none of ours). */
static int
backup_file_of(struct backup *b, const char *name, void *ctx)
{
	struct pair *p = ctx;
	struct stat st;

	if (fstatat(p->src, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode))
		return 0;
	return backup_file(b, p->src, p->dst, p->id, name);
}

/*
 * Open a folder of the store and its twin in the backup (made if need
 * be), and call fn on each name of the store's one.  A folder the store
 * does not have is nothing to copy.
 */
static int
each_in_pair(struct backup *b, int src_parent, int dst_parent,
    const char *name, int (*fn)(struct backup *, const char *, void *))
{
	struct pair p = { -1, -1, name };
	int rc;

	if ((p.src = open_dir_at(src_parent, name, 0)) < 0)
		return errno == ENOENT ? 0 : sys_error(b, EX_IOERR, name);
	if ((p.dst = open_dir_at(dst_parent, name, 1)) < 0) {
		close(p.src);
		return sys_error(b, EX_CANTCREAT, name);
	}
	rc = each_name(b, p.src, name, fn, &p);
	if (rc == 0 && fsync(p.dst) != 0)
		rc = sys_error(b, EX_IOERR, name);
	close(p.src);
	close(p.dst);
	return rc;
}

/* Each file of one case's archive folder that the backup lacks. */
static int
backup_case(struct backup *b, const char *id, void *ctx)
{
	struct pair *arc = ctx;

	return each_in_pair(b, arc->src, arc->dst, id, backup_file_of);
}

/* Every case folder under archives/. */
static int
backup_archives(struct backup *b)
{
	return each_in_pair(b, b->src, b->dst, "archives", backup_case);
}

/* Whether the store's case folder dir still has name (or cannot say). */
static int
in_store(const char *dir, const char *name, struct stat *st)
{
	char *p = rso_xasprintf("%s/%s", dir, name);
	int r = lstat(p, st) == 0 || errno != ENOENT;

	free(p);
	return r;
}

/* Whether name is among names (NULL-ended). */
static int
listed_in(char **names, const char *name)
{
	for (; *names != NULL; names++)
		if (strcmp(*names, name) == 0)
			return 1;
	return 0;
}

/*
 * The backup's segments that compaction merged away: no longer in the
 * store, and no longer live in the backup (another segment there covers
 * them, as FIRST-LAST.age covers what it merged).  A segment the store
 * lost for any other reason stays.
 */
static int
prune_case(struct backup *b, int dst_arc, const char *id, const char *home,
    const char *path)
{
	char *src = rso_xasprintf("%s/archives/%s", home, id);
	char *dst = rso_xasprintf("%s/archives/%s", path, id);
	char **live = NULL;
	struct dirent *d;
	struct stat st;
	size_t len;
	DIR *dir = NULL;
	int fd = -1, rc;

	if ((rc = rso_seg_list(dst, &live, b->e)) != 0 ||
	    (fd = open_dir_at(dst_arc, id, 0)) < 0 ||
	    (dir = fdopendir(dup(fd))) == NULL)
		goto done;
	while (rc == 0 && (d = readdir(dir)) != NULL) {
		len = strlen(d->d_name);
		if (d->d_name[0] == '.' || len < 5 ||
		    strcmp(d->d_name + len - 4, ".age") != 0 ||
		    listed_in(live, d->d_name))
			continue;
		if (in_store(src, d->d_name, &st))
			continue;
		if (unlinkat(fd, d->d_name, 0) != 0)
			rc = sys_error(b, EX_IOERR, d->d_name);
		else
			b->removed++;
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = sys_error(b, EX_IOERR, id);
done:
	if (dir != NULL)
		closedir(dir);
	if (fd >= 0)
		close(fd);
	rso_seg_list_free(live);
	free(src);
	free(dst);
	return rc;
}

struct prune {
	const char *home, *path;
	int dst;
};

static int
prune_one(struct backup *b, const char *id, void *ctx)
{
	struct prune *p = ctx;

	return prune_case(b, p->dst, id, p->home, p->path);
}

static int
prune_archives(struct backup *b, const char *home, const char *path)
{
	struct prune p = { home, path, -1 };
	int rc;

	if ((p.dst = open_dir_at(b->dst, "archives", 0)) < 0)
		return 0;
	rc = each_name(b, p.dst, "archives", prune_one, &p);
	close(p.dst);
	return rc;
}

/*
 * The database: a snapshot into a temporary file, fsynced, then renamed
 * over the last backup's.  The old copy's WAL and shared-memory files
 * (left if someone opened the backup) go first: SQLite would otherwise
 * read them as part of the new file.
 */
static int
backup_db(struct backup *b, struct rso_store *s, const char *dir)
{
	char *tmp = rso_xasprintf("%s/" TMP_PREFIX "rso.db", dir);
	int fd, rc;

	unlink(tmp);
	rc = rso_store_backup_db(s, tmp, b->e);
	if (rc == 0 && (fd = open(tmp, O_RDONLY | O_CLOEXEC)) >= 0) {
		if (fsync(fd) != 0)
			rc = sys_error(b, EX_IOERR, "rso.db");
		close(fd);
	}
	if (rc == 0 && ((unlinkat(b->dst, "rso.db-wal", 0) != 0 &&
	    errno != ENOENT) || (unlinkat(b->dst, "rso.db-shm", 0) != 0 &&
	    errno != ENOENT)))
		rc = sys_error(b, EX_IOERR, "rso.db-wal");
	if (rc == 0 && renameat(AT_FDCWD, tmp, b->dst, "rso.db") != 0)
		rc = sys_error(b, EX_IOERR, "rso.db");
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/*
 * The head of the copy's chain into DIR/head ("SEQ:HASH"): a witness the
 * backup carries, so that "rso-case verify --head" on the live store shows
 * that nothing the backup holds was cut from it since.  Read from the
 * snapshot itself, not the live store, which may have moved on.
 */
static int
backup_head(struct backup *b, const char *dir)
{
	struct rso_store *copy;
	struct rso_head h;
	char line[128];
	int rc, n, fd;

	if ((rc = rso_store_open(dir, &copy, b->e)) != 0)
		return rc;
	rc = rso_event_head(copy, &h, b->e);
	rso_store_close(copy);
	if (rc != 0)
		return rc;
	n = snprintf(line, sizeof(line), "%lld:%s\n", h.seq, h.hash);
	unlinkat(b->dst, TMP_PREFIX "head", 0);
	fd = openat(b->dst, TMP_PREFIX "head", O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return sys_error(b, EX_CANTCREAT, "head");
	if (rso_write_all(fd, line, (size_t)n) != 0 || fsync(fd) != 0)
		rc = sys_error(b, EX_IOERR, "head");
	if (close(fd) != 0 && rc == 0)
		rc = sys_error(b, EX_IOERR, "head");
	if (rc == 0 && renameat(b->dst, TMP_PREFIX "head", b->dst, "head") != 0)
		rc = sys_error(b, EX_IOERR, "head");
	return rc;
}

/* The settings and recipients, each replaced whole. */
static int
backup_settings(struct backup *b)
{
	static const char *const files[] = { "config.json", "fees.json",
	    "recipients", NULL };
	struct stat st;
	int i, fd, rc = 0;

	for (i = 0; rc == 0 && files[i] != NULL; i++) {
		if ((fd = open_regular(b->src, files[i], &st)) < 0) {
			if (errno != ENOENT)
				rc = sys_error(b, EX_IOERR, files[i]);
			continue;
		}
		rc = copy_into(b, fd, b->dst, files[i], files[i]);
		close(fd);
	}
	return rc;
}

/*
 * The folder to back up into: new, empty, or an earlier backup (it has
 * rso.db), which is brought up to date.  Anything else is refused, so a
 * mistyped folder is never filled.
 */
static int
open_target(const char *path, struct rso_error *e)
{
	struct dirent *d;
	int fd, entries = 0, is_backup = 0;
	DIR *dir;

	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return -rso_error_set(e, EX_CANTCREAT, "%s: %s", path,
		    strerror(errno));
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (dir = fdopendir(dup(fd))) == NULL) {
		rso_error_set(e, EX_CANTCREAT, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -EX_CANTCREAT;
	}
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		entries++;
		is_backup |= strcmp(d->d_name, "rso.db") == 0;
	}
	closedir(dir);
	if (entries > 0 && !is_backup) {
		close(fd);
		return -rso_error_set(e, EX_CANTCREAT,
		    "%s: not empty, and not an rso backup", path);
	}
	return fd;
}

/*
 * Archives first, then the database snapshot and its head, then the
 * archives again (the segments written while the snapshot was taken,
 * which it may name), then the settings; segments compaction merged away go last, once what
 * replaces them is in place.
 */
static int
backup_into(struct backup *b, struct rso_store *s, const char *path)
{
	int rc;

	rc = backup_archives(b);
	if (rc == 0)
		rc = backup_db(b, s, path);
	if (rc == 0)
		rc = backup_head(b, path);
	b->again = 1;
	if (rc == 0)
		rc = backup_archives(b);
	if (rc == 0)
		rc = backup_settings(b);
	if (rc == 0)
		rc = prune_archives(b, rso_store_dir(s), path);
	if (rc == 0 && fsync(b->dst) != 0)
		rc = sys_error(b, EX_IOERR, path);
	return rc;
}

int
case_backup(int argc, char **argv)
{
	struct rso_store *s;
	struct rso_error e;
	struct backup b = { .e = &e };
	int rc;

	if (case_common_only(&argc, &argv) != 1) {
		case_usage(stderr, 0);
		return EX_USAGE;
	}
	if ((b.dst = open_target(argv[0], &e)) < 0) {
		rso_warnx("%s", e.msg);
		return e.status;
	}
	s = rso_store_xopen();
	b.src = open(rso_store_dir(s), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b.src < 0)
		rso_die(EX_IOERR, "%s", rso_store_dir(s));
	rc = backup_into(&b, s, argv[0]);
	rso_store_close(s);
	close(b.src);
	close(b.dst);
	if (rc != 0) {
		rso_warnx("%s: %s", argv[0], e.msg);
		return rc;
	}
	rso_note("backup in %s: segments: %zu copied (%" PRIu64 " bytes), "
	    "%zu already there, %zu merged away and removed", argv[0],
	    b.copied, b.bytes, b.kept, b.removed);
	return 0;
}
