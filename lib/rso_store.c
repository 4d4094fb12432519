/* rso_store: the program's state in $RSO_HOME (rso.db, config, archives). */
/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rso_jsonl.h"
#include "rso_opt.h"
#include "rso_store_priv.h"

/* Statements kept prepared for the connection's life (rso_store_cached). */
#define STMT_CACHE 32

struct rso_store {
	char *dir;
	sqlite3 *db;
	json_t *config;
	int temp_memory;	/* opened to write: temp_store MEMORY */
	void (*on_work)(void *);
	void *on_work_ctx;
	struct {
		const char *sql;	/* the literal's address is the key */
		sqlite3_stmt *st;
	} cache[STMT_CACHE];
	int ncache;
	struct {
		char name[32];		/* the savepoint these are for */
		sqlite3_stmt *open, *release;
	} savepoint;
};

/*
 * How long a writer waits for another before giving up with EX_TEMPFAIL:
 * $RSO_BUSY_TIMEOUT_MS (for tests and impatient scripts), else 30 s.
 */
#define BUSY_TIMEOUT_MS 30000

static int
busy_timeout(void)
{
	const char *env = getenv("RSO_BUSY_TIMEOUT_MS");
	long ms;
	char *end;

	if (env == NULL || *env == '\0')
		return BUSY_TIMEOUT_MS;
	ms = strtol(env, &end, 10);
	return *end == '\0' && ms >= 0 && ms <= 3600000 ? (int)ms :
	    BUSY_TIMEOUT_MS;
}

char *
rso_store_home(const char *opt)
{
	const char *env, *home;

	if (opt != NULL && *opt != '\0')
		return rso_xstrdup(opt);
	if ((env = getenv("RSO_HOME")) != NULL && *env != '\0')
		return rso_xstrdup(env);
	if ((env = getenv("XDG_DATA_HOME")) != NULL && *env != '\0')
		return rso_xasprintf("%s/rso", env);
	home = getenv("HOME");
	return rso_xasprintf("%s/.local/share/rso", home ? home : ".");
}

const char *
rso_share_dir(void)
{
	const char *env = getenv("RSO_SHARE");

	return env != NULL && *env != '\0' ? env : RSO_SHAREDIR;
}

char *
rso_share_path(const char *name)
{
	return rso_xasprintf("%s/%s", rso_share_dir(), name);
}

int
rso_share_error(const char *path, int errnum, struct rso_error *e)
{
	const char *env = getenv("RSO_SHARE");

	if (env != NULL && *env != '\0')
		return rso_error_set(e, EX_CONFIG, "%s: %s (looked for the "
		    "shared files in RSO_SHARE)", path, strerror(errnum));
	return rso_error_set(e, EX_CONFIG, "%s: %s (looked for the shared "
	    "files in the built-in folder; set RSO_SHARE to where they are)",
	    path, strerror(errnum));
}

sqlite3 *
rso_store_db(struct rso_store *s)
{
	return s->db;
}

const char *
rso_store_dir(const struct rso_store *s)
{
	return s->dir;
}

json_t *
rso_store_config(const struct rso_store *s)
{
	return s->config;
}

int
rso_store_sqlerr(struct rso_store *s, int rc, struct rso_error *e)
{
	const char *msg = s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return rso_error_set(e, EX_TEMPFAIL, "db: store busy, try again");
	case SQLITE_FULL:
		return rso_error_set(e, EX_IOERR, "db: disk full");
	case SQLITE_IOERR:
		/* A WAL that cannot grow is an I/O error to SQLite; say why. */
		if (s && s->db && sqlite3_system_errno(s->db) == ENOSPC)
			return rso_error_set(e, EX_IOERR, "db: disk full");
		return rso_error_set(e, EX_IOERR, "db: %s", msg);
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_CANTOPEN:
		return rso_error_set(e, EX_CANTCREAT, "db: %s", msg);
	case SQLITE_CONSTRAINT:
		return rso_error_set(e, EX_DATAERR, "db: %s", msg);
	case SQLITE_MISUSE:
	case SQLITE_ERROR:
		return rso_error_set(e, EX_SOFTWARE, "db: %s", msg);
	default:
		return rso_error_set(e, EX_IOERR, "db: %s", msg);
	}
}

long long
rso_store_int(struct rso_store *s, const char *sql, const char *arg)
{
	sqlite3_stmt *st = rso_store_prepare(s, sql);
	long long n = 0;

	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int
rso_store_walk_end(struct rso_store *s, sqlite3_stmt *st, int rc, int frc,
    struct rso_error *e)
{
	sqlite3_finalize(st);
	if (frc)
		return frc;
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
}

const char *
rso_store_col(sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	return v ? v : "";
}

sqlite3_stmt *
rso_store_prepare(struct rso_store *s, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		rso_diex(EX_SOFTWARE, "db: %s", sqlite3_errmsg(s->db));
	return st;
}

sqlite3_stmt *
rso_store_cached(struct rso_store *s, const char *sql)
{
	int i;

	for (i = 0; i < s->ncache; i++)
		if (s->cache[i].sql == sql)
			return s->cache[i].st;
	if (s->ncache == STMT_CACHE)
		rso_diex(EX_SOFTWARE, "db: more than %d cached statements",
		    STMT_CACHE);
	s->cache[s->ncache].sql = sql;
	s->cache[s->ncache].st = rso_store_prepare(s, sql);
	return s->cache[s->ncache++].st;
}

void
rso_store_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Merge src into dst, member by member, objects recursively. */
static void
merge_config(json_t *dst, json_t *src)
{
	const char *k;
	json_t *v, *d;

	json_object_foreach(src, k, v) {
		d = json_object_get(dst, k);
		if (json_is_object(d) && json_is_object(v))
			merge_config(d, v);
		else
			json_object_set(dst, k, v);
	}
}

static int
load_json_file(const char *path, json_t **out, int missing_ok,
    struct rso_error *e)
{
	json_error_t err;

	*out = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (*out != NULL && !json_is_object(*out)) {
		/* Callers decref *out on failure too: leave nothing dangling. */
		json_decref(*out);
		*out = NULL;
		return rso_error_set(e, EX_CONFIG, "%s: not a JSON object", path);
	}
	if (*out != NULL)
		return 0;
	if (missing_ok && access(path, F_OK) != 0 && errno == ENOENT)
		return 0;
	return rso_error_set(e, EX_CONFIG, "%s:%d: %s", path, err.line,
	    err.text);
}

int
rso_config_load(const char *home, json_t **out, struct rso_error *e)
{
	char *dflt = rso_share_path("config.json");
	char *own = rso_xasprintf("%s/config.json", home);
	json_t *mine = NULL;
	int rc;

	if (access(dflt, R_OK) != 0)
		rc = rso_share_error(dflt, errno, e);
	else
		rc = load_json_file(dflt, out, 0, e);
	if (rc == 0)
		rc = load_json_file(own, &mine, 1, e);
	if (rc == 0 && mine != NULL)
		merge_config(*out, mine);
	json_decref(mine);
	free(dflt);
	free(own);
	return rc;
}

static int
load_config(struct rso_store *s, struct rso_error *e)
{
	return rso_config_load(s->dir, &s->config, e);
}

static json_t *
conf_get(const struct rso_store *s, const char *path)
{
	return rso_json_path(s->config, path);
}

const char *
rso_store_conf_str(const struct rso_store *s, const char *path,
    const char *dflt)
{
	const char *v = json_string_value(conf_get(s, path));

	return v ? v : dflt;
}

long long
rso_store_conf_int(const struct rso_store *s, const char *path,
    long long dflt)
{
	json_t *v = conf_get(s, path);

	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

int
rso_store_conf_has(const struct rso_store *s, const char *path, const char *v)
{
	json_t *a = conf_get(s, path), *x;
	size_t i;

	json_array_foreach(a, i, x)
		if (json_is_string(x) && strcmp(json_string_value(x), v) == 0)
			return 1;
	return 0;
}

/* Refuse a store that others can write: they could plant or swap files. */
static int
check_dir(const char *dir, struct rso_error *e)
{
	struct stat st;

	if (stat(dir, &st) != 0) {
		if (errno == ENOENT)
			return rso_error_set(e, EX_NOINPUT,
			    "%s: no store here (run rso-case init)", dir);
		return rso_error_set(e, EX_NOPERM, "%s: %s", dir,
		    strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return rso_error_set(e, EX_CANTCREAT, "%s: not a directory", dir);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return rso_error_set(e, EX_NOPERM,
		    "%s: writable by group or others; chmod 700 it", dir);
	return 0;
}

static int
exec_sql(struct rso_store *s, const char *sql, struct rso_error *e)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : rso_store_sqlerr(s, rc, e);
}

int
rso_store_temp_on_disk(struct rso_store *s, int on_disk,
    struct rso_error *e)
{
	return exec_sql(s, on_disk ? "PRAGMA temp_store = FILE" :
	    s->temp_memory ? "PRAGMA temp_store = MEMORY" :
	    "PRAGMA temp_store = DEFAULT", e);
}

/*
 * Which of our migrations the database has (done[i] for
 * rso_schema_migrations[i]), how many, and whether it has one we do not
 * know.  A new database has none.
 */
static int
applied_set(struct rso_store *s, char *done, int *n, int *unknown,
    struct rso_error *e)
{
	sqlite3_stmt *st;
	int rc, i, id;

	memset(done, 0, (size_t)rso_schema_count);
	*n = 0;
	*unknown = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT id FROM schema_migrations",
	    -1, &st, NULL) != SQLITE_OK)
		return 0;	/* a new database: no table yet */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int(st, 0);
		for (i = 0; i < rso_schema_count; i++)
			if (rso_schema_migrations[i].id == id)
				break;
		if (i == rso_schema_count) {
			*unknown = 1;
		} else if (!done[i]) {
			done[i] = 1;
			(*n)++;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
}

static int
record_migration(struct rso_store *s, const struct rso_migration *m,
    struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "INSERT INTO schema_migrations"
	    " (id, what, applied) VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%SZ'))");
	int rc;

	sqlite3_bind_int(st, 1, m->id);
	sqlite3_bind_text(st, 2, m->what, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
}

/*
 * The rest of a rebuild (struct rso_migration): the new table, already
 * made as TABLE_ID, takes the rows and the place of TABLE, and TABLE's
 * indexes and triggers are made again on it, SQLite's own way of
 * changing a table (its "ALTER TABLE" page, steps 4 to 9).  Foreign keys
 * are off while migrations run (open_db) and checked after them.
 */
static int
rebuild_table(struct rso_store *s, const struct rso_migration *m,
    struct rso_error *e)
{
	char *fresh = sqlite3_mprintf("%s_%d", m->rebuild, m->id);
	char **again = NULL, *sql;
	size_t n = 0, i;
	sqlite3_stmt *st;
	int rc;

	st = rso_store_prepare(s, "SELECT sql FROM sqlite_schema"
	    " WHERE tbl_name = ? AND type IN ('index', 'trigger')"
	    " AND sql IS NOT NULL ORDER BY rowid");
	sqlite3_bind_text(st, 1, m->rebuild, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		again = rso_xrealloc(again, (n + 1) * sizeof(*again));
		again[n++] = rso_xstrdup((const char *)
		    sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	rc = rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
	sql = sqlite3_mprintf("INSERT INTO \"%w\" SELECT * FROM \"%w\";"
	    " DROP TABLE \"%w\"; ALTER TABLE \"%w\" RENAME TO \"%w\"",
	    fresh, m->rebuild, m->rebuild, fresh, m->rebuild);
	if (rc == 0)
		rc = exec_sql(s, sql, e);
	for (i = 0; i < n; i++) {
		if (rc == 0)
			rc = exec_sql(s, again[i], e);
		free(again[i]);
	}
	free(again);
	sqlite3_free(sql);
	sqlite3_free(fresh);
	return rc;
}

/*
 * What the migrations did, checked before it is kept: they run with
 * foreign keys off, so that a table others refer to can be rebuilt.
 */
static int
foreign_keys_hold(struct rso_store *s, struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, "PRAGMA foreign_key_check");
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		rc = rso_error_set(e, EX_DATAERR, "db: %s row %lld refers to "
		    "a row of %s that is not there; schema migrations not "
		    "applied", (const char *)sqlite3_column_text(st, 0),
		    (long long)sqlite3_column_int64(st, 1),
		    (const char *)sqlite3_column_text(st, 2));
	else
		rc = rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
	sqlite3_finalize(st);
	return rc;
}

/*
 * Apply what is pending, in increasing number, all in one transaction,
 * rechecked under the lock so that two programs opening a new store at
 * once apply each migration once.  What is pending need not come after
 * what is applied: numbers are grouped by module (rso_schema.c), so an
 * older store gains a new 120 after its 701.  A database with migrations
 * we do not know was written by a newer rso: refuse it rather than guess.
 */
static int
migrate(struct rso_store *s, struct rso_error *e)
{
	char *done = rso_xcalloc((size_t)rso_schema_count, 1);
	int n, unknown, rc, i;

	rc = applied_set(s, done, &n, &unknown, e);
	if (rc != 0 || (n == rso_schema_count && !unknown))
		goto out;
	if ((rc = rso_store_begin(s, e)) != 0)
		goto out;
	rc = exec_sql(s, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    " id INTEGER PRIMARY KEY, what TEXT NOT NULL, applied TEXT NOT NULL)",
	    e);
	if (rc == 0)
		rc = applied_set(s, done, &n, &unknown, e);
	if (rc == 0 && unknown)
		rc = rso_error_set(e, EX_CONFIG, "db: written by a newer rso "
		    "(unknown schema migrations)");
	for (i = 0; rc == 0 && i < rso_schema_count; i++) {
		if (done[i])
			continue;
		rc = exec_sql(s, rso_schema_migrations[i].sql, e);
		if (rc == 0 && rso_schema_migrations[i].rebuild != NULL)
			rc = rebuild_table(s, &rso_schema_migrations[i], e);
		if (rc == 0)
			rc = record_migration(s, &rso_schema_migrations[i], e);
	}
	if (rc == 0)
		rc = foreign_keys_hold(s, e);
	if (rc != 0)
		rso_store_rollback(s);
	else
		rc = rso_store_commit(s, e);
out:
	free(done);
	return rc;
}

/*
 * Settings of the SQLite library itself, made before its first use in
 * the process.  Should something have used it first, the setting is
 * refused and SQLite's default stands: slower, no less correct.
 * Without memory statistics (which nothing here reads) SQLite takes no
 * mutex around each of its allocations, some 200 a request at intake;
 * and those allocations are recycled by rso_sqlmem.
 *
 * Not SQLITE_CONFIG_STMTJRNL_SPILL: savepoint journals kept in memory
 * in one large piece (with temp_store left at its default) would save
 * intake a fifth of its instructions, but with SQLite 3.40 a spill of
 * 256 KiB or more made a large DROP TABLE under cache pressure fail
 * with "database or disk is full" (migration 111 of 200,000 keys, in
 * t/rso-case-search.bats).
 */
static void
configure_sqlite(void)
{
	static int done;

	if (!done) {
		sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
		rso_sqlmem_install();
	}
	done = 1;
}

static int
open_db(struct rso_store *s, int create, struct rso_error *e)
{
	char *path = rso_xasprintf("%s/rso.db", s->dir);
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
	    (create ? SQLITE_OPEN_CREATE : 0);
	int rc;

	configure_sqlite();
	rc = sqlite3_open_v2(path, &s->db, flags, NULL);
	if (rc != SQLITE_OK) {
		if (!create && access(path, F_OK) != 0)
			rc = rso_error_set(e, EX_NOINPUT,
			    "%s: no store here (run rso-case init)", s->dir);
		else
			rc = rso_error_set(e, EX_CANTCREAT, "%s: %s", path,
			    sqlite3_errstr(rc));
		free(path);
		return rc;
	}
	free(path);
	sqlite3_busy_timeout(s->db, busy_timeout());
	rc = rso_search_register(s->db) == SQLITE_OK ? 0 :
	    rso_store_sqlerr(s, SQLITE_ERROR, e);
	/* WAL is persistent; asking again on every open is a no-op. */
	if (rc == 0 && create)
		rc = exec_sql(s, "PRAGMA journal_mode = WAL", e);
	if (rc == 0)
		rc = exec_sql(s, "PRAGMA synchronous = NORMAL", e);
	/*
	 * Checkpoint every 5,000 pages (20 MB of WAL) rather than SQLite's
	 * 1,000: each checkpoint fsyncs the WAL and the database, and intake
	 * of 100,000 requests made 409 of them, a third of its time; a page
	 * written over and over (an index's) is copied back once a
	 * checkpoint, not five times.  Durability is the same: a commit is
	 * in the WAL either way.
	 */
	if (rc == 0)
		rc = exec_sql(s, "PRAGMA wal_autocheckpoint = 5000", e);
	/*
	 * A page cache of 1 MiB, not SQLite's 2 MB, for what opens the
	 * store to write: a verb that walks a case of 20,000 records (an
	 * archive exported or imported, a folder of 30,000 instances filed)
	 * filled the larger one and peaked past 16 MiB.  Intake of 100,000
	 * requests takes about 2% longer (6.57-6.66 s against 6.71-6.85 s).
	 * The read-only opens (open_db_ro: reports, show, verify) keep
	 * SQLite's default.
	 */
	if (rc == 0)
		rc = exec_sql(s, "PRAGMA cache_size = -1024", e);
	/*
	 * Foreign keys are enforced from here on, not while the migrations
	 * run: a rebuild drops a table others refer to (events, migration
	 * 122), and the pragma cannot change inside their transaction.
	 * migrate checks every reference before it commits.
	 */
	if (rc == 0)
		rc = exec_sql(s, "PRAGMA foreign_keys = OFF", e);
	if (rc == 0)
		rc = migrate(s, e);
	if (rc == 0)
		rc = exec_sql(s, "PRAGMA foreign_keys = ON", e);
	/*
	 * Savepoint journals in memory: a batch of requests keeps one
	 * savepoint each, and a journal file for them cost intake a quarter
	 * of its time in write(2).  They hold only the pages one savepoint
	 * touched.  Set after the migrations, whose journals are SQLite's
	 * default (in a temporary file past 64 KiB): a migration rebuilding
	 * a large table journals every page of the one it drops.
	 */
	if (rc == 0)
		rc = exec_sql(s, "PRAGMA temp_store = MEMORY", e);
	s->temp_memory = rc == 0;
	return rc;
}

/*
 * Open rso.db only to read: nothing is written, not even a migration.  A
 * WAL database needs its -shm file, which a read-only folder (a backup on
 * read-only media, a copy made read-only) may not have and cannot get:
 * then the file is opened as immutable, which is what it is.
 */
static int
open_db_ro(struct rso_store *s, struct rso_error *e)
{
	char *path = rso_xasprintf("%s/rso.db", s->dir);
	char *uri = NULL;
	int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX |
	    SQLITE_OPEN_URI;
	char *done;
	int rc, n, unknown;

	if (access(path, F_OK) != 0) {
		rc = rso_error_set(e, EX_NOINPUT,
		    "%s: no store here (run rso-case init)", s->dir);
		free(path);
		return rc;
	}
	/*
	 * The busy timeout before the first read: a writer in the same pipe
	 * (rso-assign | rso-case show) may hold the lock for a moment, and a
	 * reader must wait for it, not fail.
	 */
	configure_sqlite();
	rc = sqlite3_open_v2(path, &s->db, flags & ~SQLITE_OPEN_URI, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(s->db, busy_timeout());
		rc = sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_schema",
		    NULL, NULL, NULL);
	}
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		rc = rso_error_set(e, EX_TEMPFAIL, "db: %s", sqlite3_errstr(rc));
		free(path);
		return rc;
	}
	if (rc != SQLITE_OK && access(s->dir, W_OK) != 0) {
		sqlite3_close(s->db);
		s->db = NULL;
		uri = sqlite3_mprintf("file:%s?immutable=1", path);
		rc = sqlite3_open_v2(uri, &s->db, flags, NULL);
	}
	if (rc != SQLITE_OK)
		rc = rso_error_set(e, EX_NOINPUT, "%s: %s", path,
		    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	sqlite3_free(uri);
	free(path);
	if (rc != 0)
		return rc;
	sqlite3_busy_timeout(s->db, busy_timeout());
	/* verify derives the search keys through it, read-only too. */
	if (rso_search_register(s->db) != SQLITE_OK)
		return rso_store_sqlerr(s, SQLITE_ERROR, e);
	done = rso_xcalloc((size_t)rso_schema_count, 1);
	rc = applied_set(s, done, &n, &unknown, e);
	free(done);
	if (rc != 0)
		return rc;
	if (unknown)
		return rso_error_set(e, EX_CONFIG, "db: written by a newer rso "
		    "(unknown schema migrations)");
	return n == rso_schema_count ? 0 : -1;
}

/*
 * Read-only, but a database a release behind is brought up to date first
 * where it can be written; where it cannot, it is refused.
 */
static int
open_reading(struct rso_store *s, struct rso_error *e)
{
	char *path;
	int rc = open_db_ro(s, e), writable;

	if (rc != -1)
		return rc;
	sqlite3_close(s->db);
	s->db = NULL;
	path = rso_xasprintf("%s/rso.db", s->dir);
	writable = access(s->dir, W_OK) == 0 && access(path, W_OK) == 0;
	free(path);
	if (!writable)
		return rso_error_set(e, EX_CONFIG, "db: schema not up to date "
		    "and the store cannot be written (open it once with rso "
		    "where it can)");
	if ((rc = open_db(s, 0, e)) == 0) {
		sqlite3_close(s->db);
		s->db = NULL;
		rc = open_db_ro(s, e);
	}
	return rc;
}

/* Copy share/NAME into the store unless it is there; mode 0600. */
static int
install_default(const char *dir, const char *name, struct rso_error *e)
{
	char *src = rso_share_path(name), *dst = rso_xasprintf("%s/%s", dir, name);
	char buf[8192];
	FILE *in = NULL, *out = NULL;
	size_t n;
	int fd, rc = 0;

	if (access(dst, F_OK) == 0)
		goto done;
	if ((in = fopen(src, "r")) == NULL) {
		rc = rso_share_error(src, errno, e);
		goto done;
	}
	fd = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || (out = fdopen(fd, "w")) == NULL) {
		rc = rso_error_set(e, EX_CANTCREAT, "%s: %s", dst,
		    strerror(errno));
		goto done;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	if (ferror(in) || fflush(out) != 0 || fsync(fileno(out)) != 0)
		rc = rso_error_set(e, EX_IOERR, "%s: %s", dst, strerror(errno));
done:
	if (in)
		fclose(in);
	if (out && fclose(out) != 0 && rc == 0)
		rc = rso_error_set(e, EX_IOERR, "%s: %s", dst, strerror(errno));
	free(src);
	free(dst);
	return rc;
}

int
rso_store_init(const char *home, struct rso_error *e)
{
	struct rso_store s = { .dir = (char *)home };
	char *arch;
	int rc;

	umask(077);
	if (mkdir(home, 0700) != 0 && errno != EEXIST)
		return rso_error_set(e, EX_CANTCREAT, "%s: %s", home,
		    strerror(errno));
	if ((rc = check_dir(home, e)) != 0)
		return rc;
	arch = rso_xasprintf("%s/archives", home);
	if (mkdir(arch, 0700) != 0 && errno != EEXIST)
		rc = rso_error_set(e, EX_CANTCREAT, "%s: %s", arch,
		    strerror(errno));
	free(arch);
	if (rc == 0)
		rc = install_default(home, "config.json", e);
	if (rc == 0)
		rc = install_default(home, "fees.json", e);
	if (rc == 0)
		rc = open_db(&s, 1, e);
	if (rc == 0)
		rc = load_config(&s, e);
	json_decref(s.config);
	sqlite3_close(s.db);
	return rc;
}

int
rso_store_open(const char *home, struct rso_store **out, struct rso_error *e)
{
	return rso_store_open_mode(home, 0, out, e);
}

int
rso_store_open_mode(const char *home, int readonly, struct rso_store **out,
    struct rso_error *e)
{
	struct rso_store *s;
	int rc;

	*out = NULL;
	/* Everything the store writes (rso.db, its WAL, segments) is PHI. */
	umask(077);
	if ((rc = check_dir(home, e)) != 0)
		return rc;
	s = rso_xcalloc(1, sizeof(*s));
	s->dir = rso_xstrdup(home);
	rc = readonly ? open_reading(s, e) : open_db(s, 0, e);
	if (rc == 0)
		rc = load_config(s, e);
	if (rc != 0) {
		rso_store_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void
rso_store_close(struct rso_store *s)
{
	if (s == NULL)
		return;
	while (s->ncache > 0)
		sqlite3_finalize(s->cache[--s->ncache].st);
	sqlite3_finalize(s->savepoint.open);
	sqlite3_finalize(s->savepoint.release);
	sqlite3_close(s->db);
	json_decref(s->config);
	free(s->dir);
	free(s);
}

static int
work_tick(void *ctx)
{
	struct rso_store *s = ctx;

	s->on_work(s->on_work_ctx);
	return 0;		/* never interrupt the query */
}

void
rso_store_on_work(struct rso_store *s, void (*fn)(void *), void *ctx)
{
	s->on_work = fn;
	s->on_work_ctx = ctx;
	sqlite3_progress_handler(s->db, fn ? 4000 : 0, fn ? work_tick : NULL,
	    s);
}

int
rso_store_begin(struct rso_store *s, struct rso_error *e)
{
	return exec_sql(s, "BEGIN IMMEDIATE", e);
}

int
rso_store_commit(struct rso_store *s, struct rso_error *e)
{
	int rc = exec_sql(s, "COMMIT", e);

	if (rc != 0)
		rso_store_rollback(s);
	return rc;
}

void
rso_store_rollback(struct rso_store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/*
 * Run SAVEPOINT name (open) or RELEASE name, each kept prepared for the
 * last name used: intake opens and releases one a request, and parsing
 * the two statements each time was 2% of its work.
 */
static int
savepoint_step(struct rso_store *s, const char *name, int open,
    struct rso_error *e)
{
	char sql[64];
	sqlite3_stmt *st;
	int rc;

	if (strcmp(s->savepoint.name, name) != 0) {
		sqlite3_finalize(s->savepoint.open);
		sqlite3_finalize(s->savepoint.release);
		snprintf(sql, sizeof(sql), "SAVEPOINT %s", name);
		s->savepoint.open = rso_store_prepare(s, sql);
		snprintf(sql, sizeof(sql), "RELEASE %s", name);
		s->savepoint.release = rso_store_prepare(s, sql);
		snprintf(s->savepoint.name, sizeof(s->savepoint.name), "%s",
		    name);
	}
	st = open ? s->savepoint.open : s->savepoint.release;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : rso_store_sqlerr(s, rc, e);
}

int
rso_store_savepoint(struct rso_store *s, const char *name, struct rso_error *e)
{
	return savepoint_step(s, name, 1, e);
}

int
rso_store_release(struct rso_store *s, const char *name, struct rso_error *e)
{
	return savepoint_step(s, name, 0, e);
}

void
rso_store_rollback_to(struct rso_store *s, const char *name)
{
	char sql[80];

	snprintf(sql, sizeof(sql), "ROLLBACK TO %s; RELEASE %s", name, name);
	sqlite3_exec(s->db, sql, NULL, NULL, NULL);
}

int
rso_store_in_transaction(struct rso_store *s)
{
	return !sqlite3_get_autocommit(s->db);
}

int
rso_store_backup_db(struct rso_store *s, const char *path,
    struct rso_error *e)
{
	sqlite3_stmt *st;
	int rc;

	/*
	 * VACUUM INTO reads one snapshot in one read transaction, which in
	 * WAL mode neither waits for writers nor is restarted by them (the
	 * backup API restarts from page 1 after every write by another
	 * connection, and under steady writes never finishes).
	 */
	if (sqlite3_prepare_v2(s->db, "VACUUM INTO ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return rso_error_set(e, EX_SOFTWARE, "db: %s",
		    sqlite3_errmsg(s->db));
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return rso_error_set(e, EX_TEMPFAIL, "db: %s",
		    sqlite3_errstr(rc));
	return rso_error_set(e, EX_CANTCREAT, "%s: %s", path,
	    sqlite3_errmsg(s->db));
}

static struct rso_store *
xopen(int readonly)
{
	struct rso_store *s;
	struct rso_error e;
	char *home = rso_store_home(rso_opt_home());

	if (rso_store_open_mode(home, readonly, &s, &e) != 0)
		rso_diex(e.status, "%s", e.msg);
	free(home);
	return s;
}

struct rso_store *
rso_store_xopen(void)
{
	return xopen(0);
}

struct rso_store *
rso_store_xopen_ro(void)
{
	return xopen(1);
}
