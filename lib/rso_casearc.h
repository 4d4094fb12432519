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
 * Release entry name of the case's archive (filed in segment segname,
 * which compaction may since have merged into a larger one) to fn, only
 * once it is known to be the case's and the bytes filed: the segment's
 * first entry, case.json, names the case, and the entry's SHA-256 equals
 * sha256 (the store's).  Verify, then release: an entry of up to 16 MiB is
 * held in memory and checked before fn sees a byte; a larger one is
 * decrypted twice, checked whole on the first pass and released on the
 * second (whose SHA-256 is checked again: a segment changed between the
 * passes fails, after the fact).  fn returns 0 or a status (with e
 * filled, or with e->msg empty when it said nothing).  Failures are
 * "CASE: WHAT: segment 000001.age belongs to another case", "...: SHA-256
 * does not match the store" (EX_DATAERR), "...: segment S is gone"
 * (EX_NOINPUT), or the reader's (EX_NOPERM for a wrong key).
 */
typedef int rso_casearc_out_fn(const void *buf, size_t n, void *ctx,
    struct rso_error *e);
int rso_casearc_release(struct rso_store *s, const char *id, const char *what,
    const char *segname, const char *name, const char *sha256,
    const struct rso_age_identities *ids, rso_casearc_out_fn *fn, void *ctx,
    struct rso_error *e);

/*
 * Record a segment just written for case id, inside the caller's
 * transaction, before the event that files it: the row in segments, and
 * "segment", "segment_size" and "segment_sha256" set in data, that
 * event's data.  A segment recorded again (a compaction redone) is
 * replaced.
 */
int rso_casearc_bind(struct rso_store *s, const char *id,
    const struct rso_seg_sum *sum, json_t *data, struct rso_error *e);

/*
 * How large a merged segment may grow: config.json's
 * "archive.compact_max_bytes", else RSO_CASEARC_COMPACT_MAX; 0 means no
 * bound (one merged segment per case).  Reading one record of a compacted
 * case decrypts at most one merged segment, up to that record, so the
 * bound is what a read may cost.  EX_CONFIG "config.json:
 * archive.compact_max_bytes: not a whole number" for anything but a
 * whole number >= 0.
 */
#define RSO_CASEARC_COMPACT_MAX	(16LL << 20)
int rso_casearc_compact_max(struct rso_store *s, long long *max,
    struct rso_error *e);

/*
 * Merge the case's live segments into segments of at most max_bytes
 * (rso_seg_compact) and record each merged segment with an
 * archive.compacted event {"segment", "segment_size", "segment_sha256"}
 * before it replaces any.  Call under the case's lock.  *merged as
 * rso_seg_compact.
 */
int rso_casearc_compact(struct rso_store *s, const char *id,
    const struct rso_age_recipients *r, const struct rso_age_identities *ids,
    long long max_bytes, char ***merged, struct rso_error *e);

/*
 * The case's archive against the store, without a key: *segments counts
 * its live segment files, and *orphans (NULL-ended, free with
 * rso_seg_list_free) names those that hold no record or opinion the store
 * knows, written by a run killed before the store took them; remove them
 * only under the case's lock.  EX_DATAERR "item 0003: segment 000004.age
 * is gone" (or "opinion primary: ...") when a record's or opinion's
 * segment has no file.  With unrecorded not NULL, each live segment's
 * size and SHA-256 are checked against the store's record of it first
 * (EX_DATAERR "segment 000002.age: size does not match the store
 * (truncated or replaced)", "...: SHA-256 does not match the store
 * (altered or swapped)"), and *unrecorded is increased by the count of
 * those the store has no record of (written before rso recorded
 * segments; compaction records them) -- but a merged segment that is not
 * recorded while what it replaces is fails ("segment 000001-000004.age:
 * not recorded, but replaces recorded segments").
 */
int rso_casearc_check(struct rso_store *s, const char *id, size_t *segments,
    char ***orphans, size_t *unrecorded, struct rso_error *e);

/* The same (with the sums) over every case, counted; the first failure
 * names its case. */
int rso_casearc_check_all(struct rso_store *s, size_t *segments,
    size_t *orphans, size_t *unrecorded, struct rso_error *e);

/* Remove the orphans rso_casearc_check found, under the case's lock;
 * *dropped counts them. */
int rso_casearc_drop(struct rso_store *s, const char *id, char **orphans,
    size_t *dropped, struct rso_error *e);

/* A slug for entry names: lowercase letters, digits and '-', at most 40. */
void rso_slug(const char *in, char *out, size_t n);

#endif
