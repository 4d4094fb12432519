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
	struct rso_xdm_entry *entry;
	size_t n;
};

/*
 * Parse the n bytes of a METADATA.XML (an ebRS 3.0 SubmitObjectsRequest)
 * into m, never reaching the network, expanding no entity and refusing a
 * document type declaration.  Every entry must have a URI naming a file
 * of its subset folder (no "..", no absolute path), a 40-digit SHA-1
 * hash and a size; the submission set must have its uniqueId.  A request
 * token in the set's title, comments or intendedRecipient, or in an
 * entry's title or comments, is every entry's token (two different ones
 * are an error).  Returns 0, or EX_DATAERR with e saying why ("METADATA.XML:
 * document entry 2: no \"hash\" slot"), never quoting a value.  Free m
 * with rso_xdm_meta_free in either case.
 */
int rso_xdm_parse(const char *buf, size_t n, struct rso_xdm_meta *m,
    struct rso_error *e);
void rso_xdm_meta_free(struct rso_xdm_meta *m);

#endif
