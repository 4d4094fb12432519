/* rso_bundle: the documents a FHIR R4 Bundle carries (a patient's
 * $everything export, DocumentReferences and DiagnosticReports with their
 * attachments), read for the inbox -- the reading half of rso_fhir. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_BUNDLE_H
#define RSO_BUNDLE_H

#include <stddef.h>

#include "rso_doc.h"
#include "rso_err.h"

/* One attachment's content, decoded, and what its resource says of it. */
struct rso_bundle_att {
	char where[48];			/* "entry 12: attachment 1" */
	const unsigned char *data;	/* the decoded bytes */
	size_t n;
	const char *media;		/* a type rso knows, or sniffed */
	struct rso_doc_info doc;	/* format "fhir" */
};

struct rso_bundle_reader {
	/* More attachments than this is a reject; 0 for no bound. */
	long long max_attachments;
	/*
	 * Each attachment in the order of the Bundle, called only once the
	 * whole Bundle has been checked: 0 to go on, or a status with e
	 * filled, which stops the walk and is returned.
	 */
	int (*attachment)(void *ctx, const struct rso_bundle_att *att,
	    struct rso_error *e);
	/* An attachment not taken and why ("entry 3: attachment 1: url:
	 * ..."), never a value of it; may be NULL. */
	void (*note)(void *ctx, const char *what);
	void *ctx;
};

/*
 * Read the n bytes of buf as a FHIR R4 Bundle in JSON.  Returns 1 when
 * it is not one (valid JSON whose resourceType is not "Bundle", or not
 * JSON and not looking like a Bundle): nothing was called.  Otherwise
 * the whole Bundle is checked first -- JSON without duplicate members,
 * at most one patient, every attachment's base64 clean and its size and
 * SHA-1 hash, when given, those of its bytes, every Binary it names
 * present -- and on any fault EX_DATAERR with e saying "bundle: WHERE:
 * WHAT" (no value quoted), nothing called.  Then each attachment of a
 * DocumentReference (content[].attachment) and DiagnosticReport
 * (presentedForm[]), inline or in a Binary of the Bundle or contained,
 * is handed to r->attachment; one that only names something outside the
 * Bundle is never fetched, only noted.  *bundle is the Bundle's own
 * description (its patient, a token, a type: see rso_bundle.c).
 * Returns 0, or the callback's status.
 */
int rso_bundle_read(const char *buf, size_t n,
    const struct rso_bundle_reader *r, struct rso_doc_info *bundle,
    struct rso_error *e);

#endif
