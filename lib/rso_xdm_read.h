/* rso_xdm_read: what an IHE XDM METADATA.XML says (ITI TF-3 4.2): the
 * submission set and each document entry, for the inbox to check and file
 * the documents of an XDM zip by. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_XDM_READ_H
#define RSO_XDM_READ_H

#include <stddef.h>

#include "rso_doc.h"
#include "rso_err.h"

/* One DocumentEntry (an ExtrinsicObject). */
struct rso_xdm_entry {
	char uri[512];		/* its URI slot, relative to the subset folder */
	char sha1[41];		/* its hash slot, lowercase hex */
	long long size;		/* its size slot */
	char mime[128];		/* its mimeType attribute, or "" */
	char unique_id[128];	/* XDSDocumentEntry.uniqueId, or "" */
	struct rso_doc_info doc;	/* format "xdm" */
};

/* The submission set (the RegistryPackage) and its document entries. */
struct rso_xdm_meta {
	char unique_id[128];	/* XDSSubmissionSet.uniqueId */
	char source_id[128];	/* XDSSubmissionSet.sourceId, or "" */
	char title[128];	/* its Name, or "" */
	char time[21];		/* submissionTime as RFC 3339 UTC, or "" */
	char source[128];	/* its authorInstitution, or "" */
	char token[RSO_TOKEN_LEN];	/* a request token it names, or "" */
	struct rso_xdm_entry *entry;	/* rso_xdm_parse's; rso_xdm_read: NULL */
	size_t n;		/* the entries read */
};

/* Each entry as it is read (k 1-based): 0 to go on, or a status with e
 * filled, which stops the read and is returned. */
typedef int rso_xdm_entry_fn(void *ctx, size_t k,
    const struct rso_xdm_entry *x, struct rso_error *e);

/*
 * Read a METADATA.XML (an ebRS 3.0 SubmitObjectsRequest) of n bytes from
 * the start of fd, a file read with pread(2), twice over, so that what
 * is held does not grow with its entries: the first pass keeps only the
 * registry packages and the classifications and identifiers that name
 * an object from outside it; the second hands each DocumentEntry to fn
 * and forgets it.  It never reaches the network, expands no entity and
 * refuses a document type declaration.  Every entry must have a URI
 * naming a file of its subset folder (no "..", no absolute path), a
 * 40-digit SHA-1 hash and a size, no two the same URI; the submission set
 * must have its uniqueId.  A request token in the set's title, comments
 * or intendedRecipient, or in an entry's title or comments, is every
 * entry's token (two different ones are an error): it is known only at
 * the end, so fn sees each entry without it, and what every entry
 * shares is given by rso_xdm_entry_finish once this returned 0.  Returns
 * 0, or EX_DATAERR with e saying why ("METADATA.XML: document entry 2: no
 * \"hash\" slot"), never quoting a value, EX_IOERR when fd cannot be
 * read, or fn's status; what fn was told is then to be dropped.  Free m
 * with rso_xdm_meta_free in every case.
 */
int rso_xdm_read(int fd, size_t n, struct rso_xdm_meta *m,
    rso_xdm_entry_fn *fn, void *ctx, struct rso_error *e);

/* Give x what every entry of m shares: the request token, and the set's
 * institution as its source when it names none. */
void rso_xdm_entry_finish(const struct rso_xdm_meta *m,
    struct rso_xdm_entry *x);

/*
 * rso_xdm_read of the n bytes of buf, every entry kept, finished, in
 * m->entry (for the tests and the fuzz target; the inbox reads a file).
 */
int rso_xdm_parse(const char *buf, size_t n, struct rso_xdm_meta *m,
    struct rso_error *e);
void rso_xdm_meta_free(struct rso_xdm_meta *m);

#endif
