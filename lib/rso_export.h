/* rso_export: files for other systems, written whole and once. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_EXPORT_H
#define RSO_EXPORT_H

#include <stddef.h>

#include <jansson.h>

#include "rso_age.h"
#include "rso_err.h"
#include "rso_store.h"

/*
 * Write n bytes as dir/name so that a folder watcher never sees part of
 * it: a dot-temp file in dir, written, fsynced, renamed to name, then
 * the folder fsynced.  Something already called name is replaced only
 * with replace (an export of ours there before, sent again); else it is
 * left alone and the export refused, EX_CANTCREAT "NAME: there already,
 * not an export of this case to this folder (left alone)".  On failure
 * nothing is left.  0 or EX_CANTCREAT / EX_IOERR with the reason (naming
 * the file, not its content).
 */
int rso_export_file(const char *dir, const char *name, const void *p,
    size_t n, int replace, struct rso_error *e);

/*
 * The same for a file written as a stream: rso_export_open makes the
 * dot-temp file (t->fd, mode 0640), rso_export_finish fsyncs and renames
 * it when ok (over what is there only with replace), or removes it (ok
 * 0: e was filled by the writer).
 */
struct rso_export_tmp {
	const char *dir, *name;
	char *tmp;
	int fd;
	int replace;
};
int rso_export_open(struct rso_export_tmp *t, const char *dir,
    const char *name, int replace, struct rso_error *e);
int rso_export_finish(struct rso_export_tmp *t, int ok, struct rso_error *e);

/*
 * Remove from dir what exports killed part-way left there: their
 * dot-temp files and folders (".RSO-....XXXXXX", ".seg-XXXXXX") untouched
 * for 36 hours, the rule maildir readers follow for tmp/: old enough that
 * no export is still writing them.  Returns how many were removed.
 */
int rso_export_sweep(const char *dir);

/*
 * Whether case's format export called name was written to the folder
 * dest (its real path) before, or before destinations were recorded.
 */
int rso_export_seen(struct rso_store *s, const char *id, const char *format,
    const char *dest, const char *name);

/*
 * Remember an export to dest by the SHA-256 (hex) of what was written,
 * with a "case.exported" event {format, name, sha256, to, again}, in one
 * transaction.  again: a re-send (--again) of what dest had, counted.
 */
int rso_export_record(struct rso_store *s, const char *id, const char *format,
    const char *dest, const char *name, const char *sha256, int again,
    struct rso_error *e);

/*
 * Every export ever made, oldest first, from the events (re-sends
 * included): fn gets {"at","case","format","to","name","sha256"
 * [,"again":true]} ("to" absent for exports made before destinations were
 * recorded); only those to dest and of format when not NULL.  0, fn's
 * status or a store status.
 */
int rso_export_list(struct rso_store *s, const char *dest, const char *format,
    int (*fn)(json_t *line, void *ctx), void *ctx, struct rso_error *e);

/*
 * The case's opinions, primary first: [{"role","specialist","outcome",
 * "impact","icd10","name","segment","media_type","sha256","size",
 * "recorded"}].
 */
json_t *rso_export_opinions(struct rso_store *s, const char *id);

/*
 * Decrypt an opinion (a line of rso_export_opinions) into memory (at most
 * 64 MiB), checked by rso_casearc_release to be the case's and the bytes
 * recorded ("CASE: opinion ROLE: SHA-256 does not match the store").
 * *out is malloc'd.  The read is not recorded: the export that uses it is.
 */
int rso_export_entry(struct rso_store *s, const char *id, const json_t *op,
    struct rso_age_identities *ids, unsigned char **out, size_t *n,
    struct rso_error *e);

#endif
