/* rso_bundle: the documents a FHIR R4 Bundle carries (a patient's
 * $everything export, DocumentReferences and DiagnosticReports with their
 * attachments), read for the inbox -- the reading half of rso_fhir. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_BUNDLE_H
#define RSO_BUNDLE_H

#include <stddef.h>

#include "rso_doc.h"
#include "rso_err.h"

struct rso_bundle_bytes;

/*
 * One attachment, and what its resource says of it.  Its bytes are not
 * in memory: they are decoded from the Bundle's base64 as they are read
 * (rso_bundle_att_read), so that an attachment of any size costs no more
 * memory than a small one.
 */
struct rso_bundle_att {
	char where[48];			/* "entry 12: attachment 1" */
	size_t n;			/* how many bytes it has */
	const char *media;		/* a type rso knows, or sniffed */
	struct rso_doc_info doc;	/* format "fhir" */
	struct rso_bundle_bytes *bytes;	/* where they are (the reader's) */
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
	/*
	 * A new file with no name, open to read and write, for what would
	 * grow in memory with a Bundle's entries past a bound (its index of
	 * them): the file's descriptor, or -1 (then it is held in memory).
	 * The reader closes it.  May be NULL.
	 */
	int (*spool)(void *ctx);
};

/*
 * The bytes of att, the attachment r->attachment was called with, while
 * that call lasts: decoded from the Bundle in order, a piece of at most
 * 12 KiB at a time, each handed to put until put returns other than 0
 * (with e filled).  0 once all n bytes were handed over; put's status;
 * or EX_IOERR with e saying only why ("changed while read", "shorter
 * than it was", strerror) when the Bundle's file cannot be read again as
 * it was checked.
 */
int rso_bundle_att_read(const struct rso_bundle_att *att,
    int (*put)(void *ctx, const void *p, size_t n, struct rso_error *e),
    void *ctx, struct rso_error *e);

/*
 * Read the n bytes of buf as a FHIR R4 Bundle in JSON.  Returns 1 when
 * it is not one (text that never names "Bundle", quotes and all; valid
 * JSON whose resourceType is not "Bundle"; not JSON, or a root of more
 * than a thousand members, and not looking like a Bundle): nothing was
 * called.  A root that wide which does look like one is refused
 * ("bundle: more than 1000 members in its root object").  Otherwise
 * the whole Bundle is checked first -- JSON without duplicate members,
 * at most one patient, every attachment's base64 clean and its size and
 * SHA-1 hash, when given, those of its bytes, every Binary it names
 * present -- and on any fault EX_DATAERR with e saying "bundle: WHERE:
 * WHAT" (no value quoted), nothing called.  Then each attachment of a
 * DocumentReference (content[].attachment) and DiagnosticReport
 * (presentedForm[]), inline or in a Binary of the Bundle or contained,
 * is handed to r->attachment; one that only names something outside the
 * Bundle is never fetched, only noted.  A request token is the
 * resource's own (an identifier), else the Bundle's identifier's, else
 * the first one any resource carries: one sender answers one request.
 * *bundle is the Bundle's own
 * description (its patient, a token, a type: see rso_bundle.c).
 * Returns 0, or the callback's status.
 *
 * The Bundle is never held whole: it is read an entry at a time, each
 * once to check the JSON and index it, each DocumentReference and
 * DiagnosticReport twice more (to check its attachments, then to hand
 * them over), and a reference reads the entry it names again.
 * What grows with the Bundle is a few dozen bytes per entry that has a
 * fullUrl or an id or is a document, and 8 per attachment (see
 * rso_bundle.c), beside the largest entry read, in which a "data" string
 * of base64 stands as a few bytes however long it is.  No attachment is
 * ever held: its base64 is decoded from the Bundle 16 KiB at a time,
 * once to check it, once as the callback reads it (and its first bytes
 * once more when its media type is sniffed).  Faults are where jansson
 * finds them in the whole file (line and column as it counts).
 */
int rso_bundle_read(const char *buf, size_t n,
    const struct rso_bundle_reader *r, struct rso_doc_info *bundle,
    struct rso_error *e);

/*
 * rso_bundle_read of the n bytes from the start of fd, a file read with
 * pread(2), which must not change meanwhile: through a window of 64 KiB,
 * never the whole.  Besides, EX_IOERR when fd cannot
 * be read, with e saying only why ("shorter than it was"), for the
 * caller to name the file.
 */
int rso_bundle_read_fd(int fd, size_t n, const struct rso_bundle_reader *r,
    struct rso_doc_info *bundle, struct rso_error *e);

/* For the tests: spill past keys keys, not the 131,072 of 2 MiB; 0 for
 * the default. */
void rso_bundle_thin_spill(size_t keys);

#endif
