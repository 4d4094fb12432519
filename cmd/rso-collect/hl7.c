/* rso-collect: inbox -- HL7 v2 files, each message a record of its
 * patient's case. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docs.h"
#include "rso_hl7_read.h"

#define HL7_MEDIA "application/hl7-v2"

/* "message 3"; "member 2: message 3" for a member of an entry. */
static void
message_where(const struct filing_item *it, size_t k, char where[64])
{
	if (strcmp(it->where, "entry") == 0)
		snprintf(where, 64, "message %zu", k);
	else
		snprintf(where, 64, "%.40s: message %zu", it->where, k);
}

/* The splitter's fault as the item's: a fault of the file, or of
 * reading it. */
static int
split_fault(const struct filing_item *it, int rc, const char *why,
    struct rso_error *e)
{
	return rso_error_set(e, rc == -2 ? EX_IOERR : EX_DATAERR, "%s: %s",
	    it->where, why);
}

/*
 * Every message read before any is filed, one at a time as the file is
 * split: one bad message rejects the file whole, so that what staff fix
 * and drop again is the file they had, and nothing of it is filed twice
 * or half.  The faults are put in one order, whatever comes first in the
 * file: its splitting, then its count, then its first bad message.
 * Fills *count.
 */
static int
check_all(struct inbox *ib, const struct filing_item *it, size_t *count,
    struct rso_error *e)
{
	struct rso_hl7_stream *s = rso_hl7_stream_fd(it->fd,
	    (size_t)it->size, 0);
	struct rso_hl7_span span;
	struct rso_doc_info d;
	const char *msg;
	char why[128], bad[128];
	size_t first_bad = 0, n;
	int rc;

	*count = 0;
	while ((rc = rso_hl7_next(s, &msg, &n, &span, why, sizeof(why))) == 1) {
		++*count;
		if (first_bad == 0 &&
		    rso_hl7_read(msg, n, &d, bad, sizeof(bad)) != 0)
			first_bad = *count;
	}
	rso_hl7_stream_free(s);
	if (rc != 0)
		return split_fault(it, rc, why, e);
	if ((long long)*count > ib->lim.members)
		return rso_error_set(e, EX_DATAERR, "%s: more than %lld messages "
		    "(inbox.max_members)", it->where, ib->lim.members);
	if (first_bad != 0)
		return rso_error_set(e, EX_DATAERR, "%s: message %zu: %s",
		    it->where, first_bad, bad);
	return 0;
}

/*
 * Split again, each message added as it comes: only a batch's worth is
 * held, and a message larger than its view is copied from the file.  A
 * file that no longer splits or reads as it did has changed since it was
 * checked.
 */
static int
add_all(struct inbox *ib, struct arrival *a, struct filing_item *it,
    size_t count, struct rso_error *e)
{
	struct rso_hl7_stream *s = rso_hl7_stream_fd(it->fd,
	    (size_t)it->size, 0);
	struct rso_hl7_span span;
	struct rso_doc_info *d;
	const char *msg;
	char why[128], where[64];
	size_t k = 0, n;
	int rc, st = 0;

	while ((rc = rso_hl7_next(s, &msg, &n, &span, why, sizeof(why))) == 1) {
		d = docs_new("hl7v2");
		if (++k > count || rso_hl7_read(msg, n, d, why, sizeof(why)) != 0) {
			free(d);
			break;
		}
		message_where(it, k, where);
		/* A message read by its view is copied from the file. */
		st = n == span.len ? docs_add(ib, a, it, msg, n, HL7_MEDIA, d,
		    where, e) : docs_add_range(ib, a, it, span.off, span.len,
		    HL7_MEDIA, d, where, e);
		if (st != 0)
			break;
	}
	rso_hl7_stream_free(s);
	if (st != 0)
		return st;
	if (rc == -2)
		return split_fault(it, rc, why, e);
	if (rc == 0 && k == count)
		return 0;
	return rso_error_set(e, EX_TEMPFAIL, "%s: changed while being filed",
	    it->where);
}

int
hl7_take(struct inbox *ib, struct arrival *a, struct filing_item *it,
    struct rso_error *e)
{
	struct rso_hl7_stream *s = rso_hl7_stream_fd(it->fd,
	    (size_t)it->size, 0);
	size_t count;
	int rc;

	rc = rso_hl7_stream_sniff(s);
	rso_hl7_stream_free(s);
	if (!rc)
		return 1;
	if ((rc = check_all(ib, it, &count, e)) == 0)
		rc = add_all(ib, a, it, count, e);
	/* The file is its messages, each filed (or the whole rejected):
	 * never itself a record. */
	filing_release(it);
	return rc;
}
