/*
 * intake-floor: the SQLite floor of intake, for bench/intake.sh.  The rows
 * rso-intake wrote into one store (each case, its case.created event, its
 * search keys, the id counter) are read into memory, then written into a
 * fresh store with prepared statements, in rso-intake's batches and with
 * its pragmas: what SQLite alone costs for this schema, without reading,
 * checking, hashing or folding anything.
 */
/* SPDX-License-Identifier: ISC */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rso_err.h"
#include "rso_store_priv.h"

/* rso-intake's batch: requests per transaction (cmd/rso-intake.c). */
#define BATCH 2048
/* Keys a statement, as rso_search_index inserts them. */
#define KEYS_AT_ONCE 8

/* The rows of one table, each of ncol nullable texts, read in order. */
struct rows {
	char *cols;		/* "a, b, c": the source's own columns */
	char *marks;		/* "?, ?, ?" */
	int ncol;
	char **v;		/* n * ncol values */
	size_t n, cap;
};

static sqlite3 *
open_db(const char *path, int flags)
{
	sqlite3 *db;

	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK)
		rso_diex(EX_NOINPUT, "%s: %s", path, sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 30000);
	return db;
}

static void
exec(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		rso_diex(EX_SOFTWARE, "db: %s", sqlite3_errmsg(db));
}

static sqlite3_stmt *
prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		rso_diex(EX_SOFTWARE, "db: %s", sqlite3_errmsg(db));
	return st;
}

static char *
dup_or_null(const unsigned char *s)
{
	return s != NULL ? rso_xstrdup((const char *)s) : NULL;
}

/* Every row of sql's result, with its column names for an INSERT. */
static void
load(sqlite3 *db, const char *sql, struct rows *r)
{
	sqlite3_stmt *st = prepare(db, sql);
	size_t clen = 0, i;
	int c, rc;

	memset(r, 0, sizeof(*r));
	r->ncol = sqlite3_column_count(st);
	r->cols = rso_xcalloc((size_t)r->ncol, 64);
	r->marks = rso_xcalloc((size_t)r->ncol, 3);
	for (c = 0; c < r->ncol; c++) {
		clen += (size_t)snprintf(r->cols + clen, 64, "%s%s",
		    c ? ", " : "", sqlite3_column_name(st, c));
		strcat(r->marks, c ? ",?" : "?");
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (r->n == r->cap) {
			r->cap = r->cap ? 2 * r->cap : 1024;
			r->v = rso_xrealloc(r->v, r->cap * (size_t)r->ncol *
			    sizeof(char *));
		}
		i = r->n++ * (size_t)r->ncol;
		for (c = 0; c < r->ncol; c++)
			r->v[i + (size_t)c] =
			    dup_or_null(sqlite3_column_text(st, c));
	}
	if (rc != SQLITE_DONE)
		rso_diex(EX_SOFTWARE, "db: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
}

static const char *
val(const struct rows *r, size_t row, int c)
{
	return r->v[row * (size_t)r->ncol + (size_t)c];
}

static void
bind_row(sqlite3_stmt *st, const struct rows *r, size_t row)
{
	const char *v;
	int c;

	for (c = 0; c < r->ncol; c++)
		if ((v = val(r, row, c)) != NULL)
			sqlite3_bind_text(st, c + 1, v, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, c + 1);
}

static void
step(sqlite3 *db, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		rso_diex(EX_SOFTWARE, "db: %s", sqlite3_errmsg(db));
	sqlite3_reset(st);
}

static sqlite3_stmt *
insert_stmt(sqlite3 *db, const char *table, const struct rows *r)
{
	char *sql = rso_xasprintf("INSERT INTO %s (%s) VALUES (%s)", table,
	    r->cols, r->marks);
	sqlite3_stmt *st = prepare(db, sql);

	free(sql);
	return st;
}

/* INSERT OR IGNORE of n key rows: (?2, ?3, ?1), (?4, ?5, ?1)... */
static sqlite3_stmt *
keys_stmt(sqlite3 *db, int n)
{
	char sql[128 + 24 * KEYS_AT_ONCE];
	size_t len;
	int i;

	len = (size_t)snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO"
	    " case_keys (field, key, case_id) VALUES");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len,
		    "%s (?%d, ?%d, ?1)", i ? "," : "", 2 * i + 2, 2 * i + 3);
	return prepare(db, sql);
}

struct writer {
	sqlite3 *db;
	sqlite3_stmt *cases, *events, *counter, *keys[KEYS_AT_ONCE];
	sqlite3_stmt *savepoint, *release;	/* NULL without -s */
};

/* The keys of the case whose id is at *k onwards (keys are by case). */
static void
write_keys(struct writer *w, const struct rows *keys, size_t *k,
    const char *id)
{
	sqlite3_stmt *st;
	size_t first;
	int n, i;

	while (*k < keys->n && strcmp(val(keys, *k, 2), id) == 0) {
		first = *k;
		for (n = 0; n < KEYS_AT_ONCE && *k < keys->n &&
		    strcmp(val(keys, *k, 2), id) == 0; n++)
			(*k)++;
		st = w->keys[n - 1];
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		for (i = 0; i < n; i++) {
			sqlite3_bind_text(st, 2 * i + 2, val(keys, first + i, 0),
			    -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2 * i + 3, val(keys, first + i, 1),
			    -1, SQLITE_STATIC);
		}
		step(w->db, st);
	}
}

/* The counter row rso-intake moves on for each id ("RSO-2026-000001"). */
static void
write_counter(struct writer *w, const char *id)
{
	const char *dash = strchr(id, '-');

	if (dash == NULL)
		rso_diex(EX_DATAERR, "%s: not a case id", id);
	sqlite3_bind_text(w->counter, 1, id, (int)(dash - id), SQLITE_STATIC);
	sqlite3_bind_int(w->counter, 2, atoi(dash + 1));
	sqlite3_bind_int64(w->counter, 3, atoll(strrchr(id, '-') + 1));
	step(w->db, w->counter);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Write every case with its keys and event, in batches; returns the
 * seconds it took from open to close.  Not inlined: callgrind
 * --toggle-collect=write_all counts the writing alone.
 */
static __attribute__((noinline)) double
write_all(const char *path, const struct rows *cases,
    const struct rows *events, const struct rows *keys, int sp)
{
	struct writer w = { 0 };
	size_t i, k = 0;
	double t0 = now();
	int n;

	w.db = open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
	exec(w.db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;"
	    " PRAGMA wal_autocheckpoint = 5000; PRAGMA temp_store = MEMORY");
	w.cases = insert_stmt(w.db, "cases", cases);
	w.events = insert_stmt(w.db, "events", events);
	w.counter = prepare(w.db, "INSERT INTO case_counters (prefix, year,"
	    " last) VALUES (?1, ?2, ?3) ON CONFLICT (prefix, year)"
	    " DO UPDATE SET last = ?3");
	for (n = 0; n < KEYS_AT_ONCE; n++)
		w.keys[n] = keys_stmt(w.db, n + 1);
	if (sp) {
		w.savepoint = prepare(w.db, "SAVEPOINT request");
		w.release = prepare(w.db, "RELEASE request");
	}
	for (i = 0; i < cases->n; i++) {
		if (i % BATCH == 0)
			exec(w.db, "BEGIN IMMEDIATE");
		if (sp)
			step(w.db, w.savepoint);
		write_counter(&w, val(cases, i, 0));
		bind_row(w.cases, cases, i);
		step(w.db, w.cases);
		write_keys(&w, keys, &k, val(cases, i, 0));
		bind_row(w.events, events, i);
		step(w.db, w.events);
		if (sp)
			step(w.db, w.release);
		if (i % BATCH == BATCH - 1 || i + 1 == cases->n)
			exec(w.db, "COMMIT");
	}
	if (k != keys->n)
		rso_diex(EX_DATAERR, "case_keys: keys of no case");
	sqlite3_finalize(w.cases);
	sqlite3_finalize(w.events);
	sqlite3_finalize(w.counter);
	sqlite3_finalize(w.savepoint);
	sqlite3_finalize(w.release);
	for (n = 0; n < KEYS_AT_ONCE; n++)
		sqlite3_finalize(w.keys[n]);
	if (sqlite3_close(w.db) != SQLITE_OK)
		rso_diex(EX_SOFTWARE, "db: not closed");
	return now() - t0;
}

/*
 * usage: intake-floor [-s] SOURCE_DB STORE_DB: STORE_DB a fresh store
 * (rso-case init), SOURCE_DB one rso-intake filled from a fresh store.
 * -s: a savepoint around each request, as rso-intake keeps.  Prints the
 * number of requests and the seconds the writing took (open to close).
 */
int
main(int argc, char **argv)
{
	struct rows cases, events, keys;
	const char *from;
	sqlite3 *src;
	size_t i;
	int sp = argc > 1 && strcmp(argv[1], "-s") == 0;

	rso_setprogname(argv[0]);
	if (argc != 3 + sp)
		rso_diex(EX_USAGE, "usage: intake-floor [-s] SOURCE_DB STORE_DB");
	from = argv[1 + sp];
	/* As rso_store: before SQLite's first use, or it is refused. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	rso_sqlmem_install();
	src = open_db(from, SQLITE_OPEN_READONLY);
	load(src, "SELECT * FROM cases ORDER BY id", &cases);
	load(src, "SELECT * FROM events ORDER BY seq", &events);
	load(src, "SELECT field, key, case_id FROM case_keys"
	    " ORDER BY case_id, field, key", &keys);
	sqlite3_close(src);
	/* The event of the i-th case is the i-th: an intake-only store. */
	if (events.n != cases.n || cases.ncol < 1 || events.ncol < 3)
		rso_diex(EX_DATAERR, "%s: not a store of requests only", from);
	for (i = 0; i < cases.n; i++)
		if (strcmp(val(&events, i, 2), val(&cases, i, 0)) != 0)
			rso_diex(EX_DATAERR, "%s: event %zu: not of case %zu",
			    from, i + 1, i + 1);
	printf("%zu %.3f\n", cases.n,
	    write_all(argv[2 + sp], &cases, &events, &keys, sp));
	return 0;
}
