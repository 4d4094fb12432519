/* rso_export: files for other systems, written whole and once. */
/* SPDX-License-Identifier: ISC */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rso_arc.h"
#include "rso_casearc.h"
#include "rso_event.h"
#include "rso_export.h"
#include "rso_hash.h"
#include "rso_jsonl.h"
#include "rso_store_priv.h"
#include "rso_time.h"

/* A column as text, "" for NULL. */
#define col(st, i) rso_store_col((st), (i))

#define MAX_ENTRY (64L * 1024 * 1024)

int
rso_export_open(struct rso_export_tmp *t, const char *dir, const char *name,
    int replace, struct rso_error *e)
{
	t->dir = dir;
	t->name = name;
	t->replace = replace;
	t->tmp = rso_xasprintf("%s/.%s.XXXXXX", dir, name);
	if ((t->fd = mkstemp(t->tmp)) < 0) {
		rso_error_set(e, EX_CANTCREAT, "%s: %s", dir, strerror(errno));
		free(t->tmp);
		t->tmp = NULL;
		return EX_CANTCREAT;
	}
	/* The importing service's group may read it; no one else. */
	fchmod(t->fd, 0640);
	return 0;
}

/* Whether the regular file at b holds the bytes of the file at a. */
static int
same_bytes(const char *a, const char *b)
{
	char x[16384], y[16384];
	int fa = open(a, O_RDONLY | O_CLOEXEC);
	int fb = open(b, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat sa, sb;
	ssize_t n, m;
	int same = fa >= 0 && fb >= 0 && fstat(fa, &sa) == 0 &&
	    fstat(fb, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    sa.st_size == sb.st_size;

	while (same && (n = read(fa, x, sizeof(x))) > 0)
		same = (m = read(fb, y, (size_t)n)) == n &&
		    memcmp(x, y, (size_t)n) == 0;
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return same;
}

int
rso_export_finish(struct rso_export_tmp *t, int ok, struct rso_error *e)
{
	char *to = rso_xasprintf("%s/%s", t->dir, t->name);
	int rc = 0;

	if (!ok) {
		close(t->fd);
		unlink(t->tmp);
		rc = EX_IOERR;
	} else if (fsync(t->fd) != 0 || close(t->fd) != 0) {
		rc = rso_error_set(e, EX_IOERR, "%s: %s", t->name, strerror(errno));
		unlink(t->tmp);
	} else if (rso_rename_into(t->tmp, to, t->replace) != 0) {
		/* The same bytes there are this export, made by another run
		 * at the same moment: nothing to do. */
		if (errno != EEXIST)
			rc = rso_error_set(e, EX_IOERR, "%s: %s", t->name,
			    strerror(errno));
		else if (!same_bytes(t->tmp, to))
			rc = rso_error_set(e, EX_CANTCREAT, "%s: there already, "
			    "not an export of this case to this folder (left "
			    "alone)", t->name);
		unlink(t->tmp);
	} else
		rso_fsync_dir(t->dir);
	t->fd = -1;
	free(t->tmp);
	t->tmp = NULL;
	free(to);
	return rc;
}

/* Untouched for this long, an export's temporary file is dead. */
#define SWEEP_AGE (36 * 3600)

int
rso_export_sweep(const char *dir)
{
	time_t now = time(NULL);
	struct dirent *d;
	struct stat st;
	char *path;
	DIR *dp;
	int n = 0;

	if ((dp = opendir(dir)) == NULL)
		return 0;
	while ((d = readdir(dp)) != NULL) {
		/* Our temporaries only: rso_export_open's, a DICOM file-set's
		 * folder (named after the case too), a transfer archive's. */
		if (fnmatch(".RSO-*.??????", d->d_name, 0) != 0 &&
		    fnmatch(RSO_SEG_TEMP "??????", d->d_name, 0) != 0)
			continue;
		if (fstatat(dirfd(dp), d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    now - st.st_mtime < SWEEP_AGE)
			continue;
		path = rso_xasprintf("%s/%s", dir, d->d_name);
		if (rso_remove_tree(path) == 0)
			n++;
		free(path);
	}
	closedir(dp);
	return n;
}

int
rso_export_file(const char *dir, const char *name, const void *p, size_t n,
    int replace, struct rso_error *e)
{
	struct rso_export_tmp t;
	int rc, ok;

	if ((rc = rso_export_open(&t, dir, name, replace, e)) != 0)
		return rc;
	if (!(ok = rso_write_all(t.fd, p, n) == 0))
		rso_error_set(e, EX_IOERR, "%s: %s", name, strerror(errno));
	return rso_export_finish(&t, ok, e);
}

int
rso_export_seen(struct rso_store *s, const char *id, const char *format,
    const char *dest, const char *name)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT 1 FROM exports WHERE"
	    " case_id = ? AND format = ? AND name = ? AND dest IN (?, '')");
	int found;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, format, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, dest, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

int
rso_export_record(struct rso_store *s, const char *id, const char *format,
    const char *dest, const char *name, const char *sha, int again,
    struct rso_error *e)
{
	char at[RSO_TIME_STRLEN];
	sqlite3_stmt *st;
	json_t *data;
	int rc;

	rso_time_format(rso_now(), at);
	if ((rc = rso_store_begin(s, e)) != 0)
		return rc;
	st = rso_store_prepare(s, "INSERT INTO exports (case_id, format, dest,"
	    " name, sha256, at) VALUES (?,?,?,?,?,?) ON CONFLICT DO UPDATE"
	    " SET sha256 = excluded.sha256, at = excluded.at,"
	    " sends = sends + 1");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, format, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, dest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, sha, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, at, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	rc = rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
	data = json_pack("{s:s, s:s, s:s, s:s}", "format", format, "name", name,
	    "sha256", sha, "to", dest);
	if (again)
		json_object_set_new(data, "again", json_true());
	if (rc == 0)
		rc = rso_event_append(s, id, "case.exported", data, NULL, e);
	json_decref(data);
	if (rc == 0)
		rc = rso_store_commit(s, e);
	if (rc != 0)
		rso_store_rollback(s);
	return rc;
}

int
rso_export_list(struct rso_store *s, const char *dest, const char *format,
    int (*fn)(json_t *line, void *ctx), void *ctx, struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT at, case_id, data"
	    " FROM events WHERE type = 'case.exported'"
	    " AND (?1 IS NULL OR json_extract(data, '$.to') = ?1)"
	    " AND (?2 IS NULL OR json_extract(data, '$.format') = ?2)"
	    " ORDER BY seq");
	json_t *d, *line;
	int rc, frc = 0;

	if (dest)
		sqlite3_bind_text(st, 1, dest, -1, SQLITE_STATIC);
	if (format)
		sqlite3_bind_text(st, 2, format, -1, SQLITE_STATIC);
	while (frc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		d = json_loads(col(st, 2), 0, NULL);
		line = json_pack("{s:s, s:s, s:O*, s:O*, s:O*, s:O*}", "at",
		    col(st, 0), "case", col(st, 1), "format",
		    json_object_get(d, "format"), "to", json_object_get(d, "to"),
		    "name", json_object_get(d, "name"), "sha256",
		    json_object_get(d, "sha256"));
		if (json_is_true(json_object_get(d, "again")))
			json_object_set_new(line, "again", json_true());
		frc = fn(line, ctx);
		json_decref(line);
		json_decref(d);
	}
	return rso_store_walk_end(s, st, rc, frc, e);
}

json_t *
rso_export_opinions(struct rso_store *s, const char *id)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT role, specialist_id,"
	    " outcome, impact, icd10, name, segment, media_type, sha256, size,"
	    " recorded FROM opinions WHERE case_id = ? ORDER BY role !="
	    " 'primary', role");
	json_t *a = json_array();

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{s:s, s:s?, s:s, s:s, s:o,"
		    " s:s, s:s, s:s, s:s, s:I, s:s}", "role", col(st, 0),
		    "specialist", sqlite3_column_text(st, 1) ? col(st, 1) : NULL,
		    "outcome", col(st, 2), "impact", col(st, 3), "icd10",
		    json_loads(col(st, 4), 0, NULL), "name", col(st, 5), "segment",
		    col(st, 6), "media_type", col(st, 7), "sha256", col(st, 8),
		    "size", (json_int_t)sqlite3_column_int64(st, 9), "recorded",
		    col(st, 10)));
	sqlite3_finalize(st);
	return a;
}

struct held {
	unsigned char *buf;
	size_t len;
};

static int
hold(const void *buf, size_t n, void *ctx, struct rso_error *e)
{
	struct held *h = ctx;

	if (h->len + n > (size_t)MAX_ENTRY)
		return rso_error_set(e, EX_DATAERR, "larger than 64 MiB");
	h->buf = rso_xrealloc(h->buf, h->len + n + 1);
	memcpy(h->buf + h->len, buf, n);
	h->len += n;
	return 0;
}

int
rso_export_entry(struct rso_store *s, const char *id, const json_t *op,
    struct rso_age_identities *ids, unsigned char **out, size_t *n,
    struct rso_error *e)
{
	struct held h = { rso_xmalloc(1), 0 };
	char what[64];
	int rc;

	snprintf(what, sizeof(what), "opinion %s", rso_json_str(op, "role"));
	rc = rso_casearc_release(s, id, what, rso_json_str(op, "segment"),
	    rso_json_str(op, "name"), rso_json_str(op, "sha256"), ids, hold, &h,
	    e);
	if (rc != 0) {
		free(h.buf);
		h.buf = NULL;
	}
	*out = h.buf;
	*n = h.len;
	return rc;
}
