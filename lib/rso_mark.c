/* rso_mark: how far along the event chain a repeated step has got. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rso_mark.h"
#include "rso_store_priv.h"

/* The seq of the last event the step has seen, 0 when it never ran. */
static long long
mark_of(struct rso_store *s, const char *step)
{
	return rso_store_int(s, "SELECT seq FROM step_marks WHERE step = ?1",
	    step);
}

static int
mark_set(struct rso_store *s, const char *step, long long seq,
    struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "INSERT INTO step_marks"
	    " (step, seq) VALUES (?1, ?2) ON CONFLICT (step)"
	    " DO UPDATE SET seq = max(seq, excluded.seq)");
	int rc;

	sqlite3_bind_text(st, 1, step, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, seq);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
}

/* Whether status is among statuses (NULL: any). */
static int
wanted(const char *const *statuses, const char *status)
{
	if (statuses == NULL)
		return 1;
	for (; *statuses != NULL; statuses++)
		if (strcmp(*statuses, status) == 0)
			return 1;
	return 0;
}

int
rso_mark_walk(struct rso_store *s, const char *step,
    const char *const *statuses, rso_mark_fn *fn, void *ctx,
    struct rso_error *e)
{
	return rso_mark_walk_except(s, step, statuses, NULL, fn, ctx, e);
}

/*
 * The ids of the cases to visit into fp, oldest case first: how many.
 * The ids first, then the calls: fn writes (an invoice, an export), and
 * a read statement kept open across writes would hold a snapshot.  The
 * ids wait in a file with no name in the store's folder, one a line, not
 * in memory: a first run, or one after a busy day, may visit every case
 * of the store.
 */
static int
ids_since(struct rso_store *s, long long from, long long to,
    const char *const *statuses, const char *own, FILE *fp, size_t *n,
    struct rso_error *e)
{
	sqlite3_stmt *st;
	int rc;

	/* Every case may have changed: their sort goes to disk. */
	if ((rc = rso_store_temp_on_disk(s, 1, e)) != 0)
		return rc;
	st = rso_store_prepare(s, "SELECT c.id, c.status FROM cases c"
	    " WHERE c.id IN (SELECT case_id FROM events"
	    "   WHERE seq > ?1 AND seq <= ?2 AND case_id IS NOT NULL"
	    "   AND type IS NOT ?3)"
	    " ORDER BY c.created, c.id");
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	if (own != NULL)
		sqlite3_bind_text(st, 3, own, -1, SQLITE_STATIC);
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (wanted(statuses, rso_store_col(st, 1))) {
			fprintf(fp, "%s\n", rso_store_col(st, 0));
			(*n)++;
		}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rso_store_sqlerr(s, rc, e);
	if (fflush(fp) != 0 || ferror(fp) || fseek(fp, 0, SEEK_SET) != 0)
		return rso_error_set(e, EX_IOERR, "%s: spool: %s",
		    rso_store_dir(s), strerror(errno));
	return rso_store_temp_on_disk(s, 0, e);
}

int
rso_mark_walk_except(struct rso_store *s, const char *step,
    const char *const *statuses, const char *own, rso_mark_fn *fn,
    void *ctx, struct rso_error *e)
{
	long long from = mark_of(s, step), to;
	char *line = NULL;
	size_t cap = 0, n, i;
	ssize_t len;
	int rc, c, frc = 0;
	FILE *fp;

	to = rso_store_int(s, "SELECT coalesce(max(seq), 0) FROM events",
	    NULL);
	if (to <= from)
		return 0;	/* no event since: nothing to visit */
	if ((fp = rso_unnamed_file(rso_store_dir(s), "rso-step")) == NULL)
		return rso_error_set(e, EX_CANTCREAT, "%s: spool: %s",
		    rso_store_dir(s), strerror(errno));
	rc = ids_since(s, from, to, statuses, own, fp, &n, e);
	for (i = 0; rc == 0 && i < n; i++) {
		if ((len = getline(&line, &cap, fp)) <= 1) {
			rc = rso_error_set(e, EX_IOERR, "%s: spool: %s",
			    rso_store_dir(s), len < 0 && ferror(fp) ?
			    strerror(errno) : "shorter than written");
			break;
		}
		line[len - 1] = '\0';
		if ((c = fn(line, ctx)) != 0 && frc == 0)
			frc = c;
	}
	free(line);
	fclose(fp);
	if (rc != 0)
		return rc;
	if (frc != 0)
		return frc;
	return mark_set(s, step, to, e);
}

int
rso_mark_each(struct rso_store *s, rso_mark_each_fn *fn, void *ctx,
    struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT step, seq,"
	    " (SELECT coalesce(max(seq), 0) FROM events)"
	    " FROM step_marks ORDER BY step");
	int rc, frc = 0;

	while (frc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		frc = fn(rso_store_col(st, 0), sqlite3_column_int64(st, 1),
		    sqlite3_column_int64(st, 2), ctx);
	return rso_store_walk_end(s, st, rc, frc, e);
}

int
rso_mark_forget(struct rso_store *s, const char *step, long long *was,
    struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "DELETE FROM step_marks"
	    " WHERE step = ?1 RETURNING seq");
	int rc, found = 0;

	sqlite3_bind_text(st, 1, step, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*was = sqlite3_column_int64(st, 0);
		found = 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rso_store_sqlerr(s, rc, e);
	if (!found)
		return rso_error_set(e, EX_DATAERR, "marks: %s: no such step",
		    step);
	return 0;
}
