/* rso_casearc: a case's encrypted archive, as the store sees it. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_CASEARC_H
#define RSO_CASEARC_H

#include <jansson.h>

#include "rso_age.h"
#include "rso_arc.h"
#include "rso_err.h"
#include "rso_store.h"

/* $RSO_HOME/archives/CASE (malloc'd). */
char *rso_casearc_dir(struct rso_store *s, const char *id);

/*
 * The store's recipients ($RSO_HOME/recipients).  EX_CONFIG "recipients:
 * none registered (rso-case init -r age1...)" when there are none.
 */
int rso_casearc_recipients(struct rso_store *s,
    struct rso_age_recipients **r, struct rso_error *e);

/*
 * Identities to read archives with: the file opt (from -i), else
 * $RSO_IDENTITY.  EX_NOPERM "no identity (-i FILE or RSO_IDENTITY)" when
 * neither is given; the key is never kept in the store.
 */
int rso_casearc_identities(const char *opt, struct rso_age_identities **ids,
    struct rso_error *e);

/*
 * Serialise writers of one case's archive: an exclusive lock on
 * archives/CASE/.lock, waited for.  Holding it, no writer is at work, so
 * the temporary files of one that was killed are removed.  Returns a
 * descriptor to pass to rso_casearc_unlock, or -1 with e filled.
 */
int rso_casearc_lock(struct rso_store *s, const char *id, struct rso_error *e);
void rso_casearc_unlock(int fd);

/* How many of the case's latest events a segment carries. */
#define RSO_CASEARC_EVENTS 20

/*
 * Begin a new segment of the case encrypted to r, holding first the case
 * as it stands (case.json) and its latest events (events.jsonl, the last
 * RSO_CASEARC_EVENTS), so any one segment tells whose it is with age and
 * tar alone, and a segment's size does not grow with the case's history:
 * the archive grows linearly in what is filed.  The store holds every
 * event; rso-case verify checks them.
 */
struct rso_seg_writer *rso_casearc_begin(struct rso_store *s, const char *id,
    const struct rso_age_recipients *r, struct rso_error *e);

/*
 * The same, written in dir (a transfer archive in an export folder), with
 * every event of the case: a partner imports the whole history.
 */
struct rso_seg_writer *rso_casearc_begin_in(struct rso_store *s,
    const char *id, const char *dir, const struct rso_age_recipients *r,
    struct rso_error *e);

/*
 * Open for reading the entry name that was written to segment segname
 * (which compaction may since have merged into a larger one), positioned
 * at that entry: read it with rso_seg_read.  EX_NOINPUT when it is gone.
 */
struct rso_seg_reader *rso_casearc_open_entry(struct rso_store *s,
    const char *id, const char *segname, const char *name,
    const struct rso_age_identities *ids, struct rso_error *e);

/*
 * The case's archive against the store, without a key: *segments counts
 * its live segment files, and *orphans (NULL-ended, free with
 * rso_seg_list_free) names those that hold no record or opinion the store
 * knows, written by a run killed before the store took them; remove them
 * only under the case's lock.  EX_DATAERR "item 0003: segment 000004.age
 * is gone" (or "opinion primary: ...") when a record's or opinion's
 * segment has no file.
 */
int rso_casearc_check(struct rso_store *s, const char *id, size_t *segments,
    char ***orphans, struct rso_error *e);

/* The same over every case, counted; the first failure names its case. */
int rso_casearc_check_all(struct rso_store *s, size_t *segments,
    size_t *orphans, struct rso_error *e);

/* Remove the orphans rso_casearc_check found, under the case's lock;
 * *dropped counts them. */
int rso_casearc_drop(struct rso_store *s, const char *id, char **orphans,
    size_t *dropped, struct rso_error *e);

/* A slug for entry names: lowercase letters, digits and '-', at most 40. */
void rso_slug(const char *in, char *out, size_t n);

#endif
