/* rso_arc: case archive segments: a pax tar inside an age file, per write. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_ARC_H
#define RSO_ARC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "rso_age.h"
#include "rso_err.h"

/*
 * A case's clinical content lives in $RSO_HOME/archives/CASE/ as segments:
 * each is an age file (rso_age.h) holding a pax tar, readable with
 * "age -d -i KEY SEG | tar -x".  A write makes a new segment named
 * NNNNNN.age, numbered in write order; a segment is never modified.
 * Compaction merges segments first..last into one named FIRST-LAST.age,
 * which replaces (and outlives) those it covers: readers skip a segment
 * whose number range lies inside another's, so a crash between writing
 * the merged segment and removing the old ones reads the same.  Merged
 * segments are bounded in size (rso_seg_compact), so a case may have
 * several, each covering its own range.
 *
 * Within a case a name may be written again by a later segment; the
 * latest version wins, as when the segments are extracted in order.
 * A merged segment keeps only the latest version of each name among the
 * segments it covers.
 *
 * Entry names are relative paths of printable ASCII: no leading '/', no
 * empty, "." or ".." component, no backslash.  Readers refuse anything
 * else, and links, devices, FIFOs and duplicate names within a segment,
 * as well as any segment whose age MAC or final chunk does not verify.
 * Messages name segments and entry numbers, never entry names (which may
 * carry patient data).
 */

/* Is name acceptable as an entry name? */
int rso_seg_name_ok(const char *name);

/* Writing a segment. */
struct rso_seg_writer;

/*
 * Start a segment in casedir (created, mode 0700, when missing), encrypted
 * to r.  Nothing appears under its final name before rso_seg_commit.
 */
struct rso_seg_writer *rso_seg_create(const char *casedir,
    const struct rso_age_recipients *r, struct rso_error *e);

/* Add a regular file from memory.  EX_DATAERR for a bad or repeated name. */
int rso_seg_add_buf(struct rso_seg_writer *w, const char *name,
    const void *buf, size_t len, struct rso_error *e);

/*
 * Add a regular file of exactly size bytes read from fd (streamed: any
 * size).  EX_DATAERR if fd yields more or fewer bytes; EX_IOERR if it
 * cannot be read.  After any failure the segment can only be aborted.
 */
int rso_seg_add_fd(struct rso_seg_writer *w, const char *name, int fd,
    off_t size, struct rso_error *e);

/*
 * rso_seg_add_fd, and the SHA-256 of the bytes added, in hex, into sha256
 * (RSO_SHA256_HEXLEN bytes): the file is read once for both.  It is
 * computed on another thread; sha256 must stay valid, and is not filled,
 * until rso_seg_sums_wait, rso_seg_commit or rso_seg_abort returns.
 * Nothing is written into it if the add fails.
 */
int rso_seg_add_fd_sum(struct rso_seg_writer *w, const char *name, int fd,
    off_t size, char *sha256, struct rso_error *e);
void rso_seg_sums_wait(struct rso_seg_writer *w);

/*
 * Finish the segment: fsync it, give it the next free number, fsync the
 * folder.  *segname (when segname is not NULL) gets its file name, to free.
 * w is freed whatever the outcome; on failure nothing is left behind.
 */
int rso_seg_commit(struct rso_seg_writer *w, char **segname,
    struct rso_error *e);

/*
 * What a segment file is, as the store records it when it is written so
 * that it can be checked without the key: its name in the case folder,
 * its size and the SHA-256 of its bytes (the ciphertext), in hex.
 */
struct rso_seg_sum {
	char name[64];
	long long size;
	char sha256[65];
};

/* rso_seg_commit, filling sum (when not NULL) for the segment written. */
int rso_seg_commit_sum(struct rso_seg_writer *w, char **segname,
    struct rso_seg_sum *sum, struct rso_error *e);

/*
 * The sum of the segment file name in casedir, read without the key and
 * without following a link: 0, EX_NOINPUT when it is gone, EX_IOERR.
 */
int rso_seg_file_sum(const char *casedir, const char *name,
    struct rso_seg_sum *sum, struct rso_error *e);

/*
 * Finish the segment and rename it to name in its folder (an export's
 * file, not a case's numbered segment); fsync the folder.  What is there
 * already is replaced only with replace, and only a regular file; else
 * EX_CANTCREAT "NAME: there already, not written there by rso (left
 * alone)".  w is freed; on failure nothing is left behind.
 */
int rso_seg_commit_as(struct rso_seg_writer *w, const char *name,
    int replace, struct rso_error *e);

/* Drop an unfinished segment and free w. */
void rso_seg_abort(struct rso_seg_writer *w);

/* Reading entries. */
struct rso_seg_entry {
	const char *name;	/* without a directory's trailing '/' */
	const char *segment;	/* the segment's file name */
	int64_t size;
	int isdir;
	time_t mtime;
};

struct rso_seg_reader;

/* Read one segment file. */
struct rso_seg_reader *rso_seg_open(const char *path,
    const struct rso_age_identities *ids, struct rso_error *e);

/*
 * Read a case: every live segment of casedir in write order (replaced
 * segments skipped).  A missing casedir is EX_NOINPUT.
 */
struct rso_seg_reader *rso_seg_open_case(const char *casedir,
    const struct rso_age_identities *ids, struct rso_error *e);

/*
 * The next entry: returns 1 and fills ent (valid until the next call), 0
 * at the end, once every segment verified to its final chunk, or -1 with
 * e filled (EX_DATAERR for a refused entry or a bad segment, EX_NOPERM for
 * a wrong key).  Entries already returned came from authenticated chunks,
 * but after -1 the whole read must be treated as failed.
 */
int rso_seg_next(struct rso_seg_reader *rd, struct rso_seg_entry *ent,
    struct rso_error *e);

/* The current entry's data: bytes, 0 at its end, or -1 with e filled. */
ssize_t rso_seg_read(struct rso_seg_reader *rd, void *buf, size_t len,
    struct rso_error *e);

void rso_seg_close(struct rso_seg_reader *rd);

/*
 * Copy the reader's current entry (ent, from rso_seg_next) into w as name,
 * streamed; with sha256 not NULL, fill it with the entry's SHA-256 in hex
 * (RSO_SHA256_HEXLEN bytes).  EX_DATAERR when the entry's bytes do not
 * match its size.
 */
int rso_seg_add_entry(struct rso_seg_writer *w, const char *name,
    struct rso_seg_reader *rd, const struct rso_seg_entry *ent, char *sha256,
    struct rso_error *e);

/*
 * Copy into w the latest version of each entry of casedir's live segments
 * that keep accepts (every one when keep is NULL), streamed.
 */
typedef int rso_seg_keep_fn(const char *name, void *ctx);
int rso_seg_copy_latest(const char *casedir,
    const struct rso_age_identities *ids, struct rso_seg_writer *w,
    rso_seg_keep_fn *keep, void *ctx, struct rso_error *e);

/*
 * The live segments of casedir, in write order: *names is a NULL-ended
 * array to free with rso_seg_list_free.  EX_DATAERR when two segments
 * overlap without one containing the other.
 */
int rso_seg_list(const char *casedir, char ***names, struct rso_error *e);
void rso_seg_list_free(char **names);

/* The name rso_seg_create gives a segment until it is committed: this
 * prefix and six random characters. */
#define RSO_SEG_TEMP ".seg-"

/*
 * Open casedir, a folder rso made, never through a symbolic link: its
 * descriptor (O_DIRECTORY), or -1 with e filled -- EX_DATAERR "CASEDIR:
 * a symbolic link, not a folder" for a link or anything else in its
 * place, EX_NOINPUT when there is none, else status.
 */
int rso_seg_dir_open(const char *casedir, int status, struct rso_error *e);

/*
 * Remove the dot-temp segments of casedir, what a writer killed before
 * rso_seg_commit leaves behind.  Call only while no writer can be at work
 * there (under the case's lock).  Returns how many were removed.
 */
int rso_seg_clean_temps(const char *casedir);

/*
 * Merge runs of consecutive live segments of casedir into segments of at
 * most max_bytes each (no bound when max_bytes <= 0), so that reading one
 * entry of a compacted case decrypts one bounded segment, not the whole
 * case.  Oldest first, each run is as long as the segments' files fit in
 * max_bytes together; a segment that fits with no neighbour (one larger
 * than the bound) is left as it is.  Each merged segment FIRST-LAST.age
 * holds the latest version, among those it covers, of each name, the
 * newest segment's entries first (so it begins with that segment's first
 * entry), encrypted to r, read with ids; it is fsynced, its sum handed to
 * bind (when not NULL: the store records it; a non-zero status drops the
 * merge and stops), given its name, the folder fsynced, and only then
 * are the segments it replaces removed.  Segments an interrupted
 * compaction left inside a live one's range are removed first.
 * *merged gets the new segments' names in write order (NULL-ended, empty
 * when there was nothing to merge; on failure those merged before it),
 * to free with rso_seg_list_free.  A crash at any point leaves the case
 * readable with the same content.
 */
typedef int rso_seg_bind_fn(const struct rso_seg_sum *sum, void *ctx,
    struct rso_error *e);
int rso_seg_compact(const char *casedir, const struct rso_age_recipients *r,
    const struct rso_age_identities *ids, long long max_bytes,
    rso_seg_bind_fn *bind, void *ctx, char ***merged, struct rso_error *e);

#endif
