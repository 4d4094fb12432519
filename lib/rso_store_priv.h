/* rso_store_priv: what lib/ modules (not programs) see of the store. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_STORE_PRIV_H
#define RSO_STORE_PRIV_H

#include <sqlite3.h>

#include "rso_store.h"

/* The SQLite handle; only lib/ modules run SQL (DESIGN.md, "Scale"). */
sqlite3 *rso_store_db(struct rso_store *s);

/*
 * Map an SQLite result to a sysexits status and fill e with "db: what":
 * SQLITE_BUSY/LOCKED give EX_TEMPFAIL, SQLITE_FULL gives EX_IOERR (disk
 * full), constraint failures EX_DATAERR, the rest EX_IOERR (or EX_SOFTWARE
 * for misuse).  Returns the status.
 */
int rso_store_sqlerr(struct rso_store *s, int rc, struct rso_error *e);

/* Column i of the current row as text, "" for NULL (never NULL). */
const char *rso_store_col(sqlite3_stmt *st, int i);

/* Prepare sql or die with EX_SOFTWARE: a statement we wrote is a bug if bad. */
sqlite3_stmt *rso_store_prepare(struct rso_store *s, const char *sql);

/*
 * Where SQLite keeps what a statement sorts, groups or journals beyond
 * its page cache.  A store opened to write keeps it in memory, for
 * intake's savepoint journals; one opened to read, in temporary files.
 * A query whose sort or grouping may be as large as the store (a search
 * matching most cases, a list of every ready case) runs with on_disk 1,
 * and 0 after it puts back the open's own setting: in memory, a search
 * matching 300,000 cases held 42 MB.  Not inside a transaction that made
 * temporary tables.
 */
int rso_store_temp_on_disk(struct rso_store *s, int on_disk,
    struct rso_error *e);

/*
 * The same statement, prepared once and kept until the store is closed,
 * for what runs once per input line (parsing SQL was most of intake's
 * time).  sql must be a string literal: its address is the key.  Give the
 * statement back with rso_store_done, never sqlite3_finalize; it is not
 * reentrant, so a walk must not call back into code using the same one.
 */
sqlite3_stmt *rso_store_cached(struct rso_store *s, const char *sql);

/* Reset a cached statement and clear its bindings for its next use. */
void rso_store_done(sqlite3_stmt *st);

/*
 * The integer in the first column of sql's first row, ?1 bound to the
 * text arg; 0 when there is no row.  For counts and sums.
 */
long long rso_store_int(struct rso_store *s, const char *sql,
    const char *arg);

/*
 * The end of a walk over st's rows that called fn on each: finalize st,
 * then return fn's non-zero status frc if it stopped the walk, else 0 when
 * the rows ran out (rc is SQLITE_DONE) or the store status of rc.
 */
int rso_store_walk_end(struct rso_store *s, sqlite3_stmt *st, int rc,
    int frc, struct rso_error *e);

/*
 * Put rso_sqlmem's allocator (freed small blocks kept for reuse) in front
 * of SQLite's own.  Only before SQLite's first use in the process;
 * returns 0, or -1 when SQLite refused (its default then stands).
 */
int rso_sqlmem_install(void);

/*
 * Register the SQL function rso_search_keys(request) (rso_search.c) on a
 * new connection: migration 110 and verify call it.  Returns an SQLite
 * result.
 */
int rso_search_register(sqlite3 *db);

/*
 * The migrations, in increasing id order (see rso_schema.c).  A migration
 * that names a table to rebuild creates, in sql, the new table under the
 * name "TABLE_ID" (events_122), with the old one's columns in the same
 * order; the store then copies the rows, drops the old table, renames the
 * new one and creates again the old one's indexes and triggers, whatever
 * migrations made them.
 */
struct rso_migration {
	int id;
	const char *what;
	const char *sql;
	const char *rebuild;	/* a table to rebuild, or NULL */
};
extern const struct rso_migration rso_schema_migrations[];
extern const int rso_schema_count;

#endif
