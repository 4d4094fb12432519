/* rso_store: the program's state in $RSO_HOME (rso.db, config, archives). */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_STORE_H
#define RSO_STORE_H

#include <jansson.h>

#include "rso_err.h"

struct rso_store;

/*
 * The store folder: opt (from -H) when given, else $RSO_HOME, else
 * ${XDG_DATA_HOME:-$HOME/.local/share}/rso.  Returns a malloc'd path.
 */
char *rso_store_home(const char *opt);

/*
 * The folder of installed data (config and fee defaults, templates):
 * $RSO_SHARE when set (tests, running from the source tree), else the
 * compiled-in SHAREDIR.  rso_share_path joins a name to it (malloc'd).
 */
const char *rso_share_dir(void);
char *rso_share_path(const char *name);

/*
 * EX_CONFIG for a shared file that could not be opened (errnum), saying
 * where it was looked for and naming RSO_SHARE, so that programs built for
 * another PREFIX, or run from build/bin, say how to point them right:
 * "PATH: No such file or directory (looked for the shared files in the
 * built-in folder; set RSO_SHARE to where they are)".
 */
int rso_share_error(const char *path, int errnum, struct rso_error *e);

/*
 * Create the store at home: the folder (mode 0700), rso.db in WAL mode
 * with every migration applied, config.json and fees.json from share/
 * unless present.  Safe to run again: what exists is kept.  Returns 0,
 * EX_CANTCREAT, EX_NOPERM (group/world-writable folder) or EX_CONFIG.
 */
int rso_store_init(const char *home, struct rso_error *e);

/*
 * Open an existing store: refuses a folder that others may write (a
 * planted file could change what we record), applies pending migrations
 * in one transaction, reads config.json over share/'s defaults.  Returns
 * 0, EX_NOINPUT (no store: "run rso-case init"), EX_NOPERM, EX_CONFIG,
 * EX_TEMPFAIL (busy past the timeout) or EX_IOERR.
 */
int rso_store_open(const char *home, struct rso_store **out,
    struct rso_error *e);
void rso_store_close(struct rso_store *s);

/*
 * rso_store_open, or with readonly set, opened only to read: nothing is
 * written (no migration, no -wal or -shm where the folder cannot be
 * written), so it works on a read-only copy.  Every write then fails
 * (EX_CANTCREAT).  EX_CONFIG when the database's migrations are not
 * exactly this rso's.
 */
int rso_store_open_mode(const char *home, int readonly,
    struct rso_store **out, struct rso_error *e);

/* The store's folder. */
const char *rso_store_dir(const struct rso_store *s);

/*
 * The configuration of the store folder home without opening the store,
 * for programs that need no database (rso-mail): share/config.json
 * overlaid, member by member, by home/config.json when there is one.
 * A new reference in *out; 0 or EX_CONFIG.
 */
int rso_config_load(const char *home, json_t **out, struct rso_error *e);

/*
 * The merged configuration (share/config.json overlaid by the store's),
 * owned by the store.  rso_store_conf_* read one member with a default.
 */
json_t *rso_store_config(const struct rso_store *s);
const char *rso_store_conf_str(const struct rso_store *s, const char *path,
    const char *dflt);
long long rso_store_conf_int(const struct rso_store *s, const char *path,
    long long dflt);
/* Whether the array at path holds the string v. */
int rso_store_conf_has(const struct rso_store *s, const char *path,
    const char *v);

/*
 * Call fn(ctx) every few thousand steps of the queries that run from now
 * on (fn NULL: no more), so a long report can keep a progress line going.
 */
void rso_store_on_work(struct rso_store *s, void (*fn)(void *), void *ctx);

/*
 * Transactions.  begin takes the write lock at once (BEGIN IMMEDIATE), so
 * two writers queue on the busy timeout instead of failing mid-way; past
 * the timeout it returns EX_TEMPFAIL ("store busy, try again").  Nesting
 * is not supported.  commit returns 0 or EX_TEMPFAIL/EX_IOERR (then the
 * transaction was rolled back); rollback is always safe to call.
 */
int rso_store_begin(struct rso_store *s, struct rso_error *e);
int rso_store_commit(struct rso_store *s, struct rso_error *e);
void rso_store_rollback(struct rso_store *s);

/*
 * Savepoints inside a transaction: one piece of a batch undone without the
 * rest (name: letters only).  Return 0 or a store status.
 */
int rso_store_savepoint(struct rso_store *s, const char *name,
    struct rso_error *e);
int rso_store_release(struct rso_store *s, const char *name,
    struct rso_error *e);
void rso_store_rollback_to(struct rso_store *s, const char *name);

/* Whether a transaction is open. */
int rso_store_in_transaction(struct rso_store *s);

/*
 * Copy the database online into path, which must not exist: one snapshot,
 * consistent and finished however much others write meanwhile (VACUUM
 * INTO; not fsynced).  Returns 0 or EX_CANTCREAT/EX_TEMPFAIL/EX_SOFTWARE.
 */
int rso_store_backup_db(struct rso_store *s, const char *path,
    struct rso_error *e);


/*
 * For programs: open the store named by -H/$RSO_HOME/XDG, or die with the
 * status and message rso_store_open gave.
 */
struct rso_store *rso_store_xopen(void);

/* The same, read-only (rso_store_open_mode), for programs that only read. */
struct rso_store *rso_store_xopen_ro(void);
#endif
