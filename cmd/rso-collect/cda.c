/* rso-collect: inbox -- C-CDA documents, filed as received and as a page
 * the specialist reads. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "docs.h"
#include "rso_cda.h"

/* The page rso_cda_render writes of the item's file (ctx), into the
 * spool file fd: 0, or a status with e. */
static int
fill_view(void *ctx, int fd, struct rso_error *e)
{
	const struct filing_item *it = ctx;
	struct rso_error why = { 0 };
	FILE *fp;
	int out = dup(fd), rc;

	if (out < 0 || (fp = fdopen(out, "w")) == NULL) {
		if (out >= 0)
			close(out);
		return rso_error_set(e, EX_OSERR, "%s: cda: view: %s",
		    it->where, strerror(errno));
	}
	rc = rso_cda_render_fd(it->fd, (size_t)it->size, fp, &why);
	if (fclose(fp) != 0 && rc == 0)
		rc = -1, rso_error_set(&why, EX_IOERR, "cannot write the page");
	if (rc == 0)
		return 0;
	return rso_error_set(e, why.status ? why.status : EX_SOFTWARE,
	    "%s: cda: view: %s", it->where, why.msg);
}

/*
 * File the original, then its view as a record of its own described as
 * the original is, so the records list the document first.  The view is
 * written from the original's file before the original is taken: the
 * item belongs to the arrival once taken (a full batch is filed and its
 * descriptors closed).
 */
static int
take_both(struct inbox *ib, struct arrival *a, struct filing_item *it,
    struct rso_error *e)
{
	struct rso_doc_info *copy = docs_new("cda");
	struct filing_item view;
	char where[sizeof(it->where)];
	int rc;

	*copy = *it->doc;
	snprintf(where, sizeof(where), "%.*s: view",
	    (int)(sizeof(where) - sizeof(": view")), it->where);
	if ((rc = docs_prepare(ib, a, it, fill_view, it, "text/html", copy,
	    where, &view, e)) != 0) {
		filing_release(it);
		return rc;
	}
	if ((rc = inbox_take(ib, a, it, e)) != 0) {
		filing_release(&view);
		return rc;
	}
	return inbox_take(ib, a, &view, e);
}

int
cda_take(struct inbox *ib, struct arrival *a, struct filing_item *it,
    struct rso_error *e)
{
	struct rso_doc_info *d = it->doc ? it->doc : docs_new("cda");
	struct rso_error why = { 0 };
	int rc;

	/* Read from its file as libxml2 asks, never whole. */
	rc = rso_cda_read_fd(it->fd, (size_t)it->size, d, &why);
	if (rc != 0) {
		if (d != it->doc)
			free(d);
		if (rc == 1)
			return 1;
		/* A ClinicalDocument that cannot be read: the whole entry is
		 * rejected, nothing of it filed, as with a broken archive. */
		filing_release(it);
		return rso_error_set(e, why.status, "%s: cda: %s", it->where,
		    why.msg);
	}
	it->doc = d;
	/* IHE's media type for a CDA document. */
	it->media_type = "text/xml";
	return take_both(ib, a, it, e);
}
