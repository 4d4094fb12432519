/* rso-collect: inbox -- C-CDA documents, filed as received and as a page
 * the specialist reads. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docs.h"
#include "rso_cda.h"

/* The page rso_cda_render writes, in memory: 0, or a status with e. */
static int
render_view(const struct filing_item *it, const char *buf, size_t n,
    char **page, size_t *len, struct rso_error *e)
{
	struct rso_error why = { 0 };
	FILE *fp;
	int rc;

	*page = NULL;
	if ((fp = open_memstream(page, len)) == NULL)
		return rso_error_set(e, EX_OSERR, "%s: cda: view: out of memory",
		    it->where);
	rc = rso_cda_render(buf, n, fp, &why);
	if (fclose(fp) != 0 && rc == 0)
		rc = -1, rso_error_set(&why, EX_OSERR, "out of memory");
	if (rc == 0)
		return 0;
	free(*page);
	*page = NULL;
	return rso_error_set(e, why.status ? why.status : EX_SOFTWARE,
	    "%s: cda: view: %s", it->where, why.msg);
}

/*
 * File the original, then its view as a record of its own described as
 * the original is, so the records list the document first.  The item
 * belongs to the arrival once taken (a full batch is filed and its
 * descriptors closed), so what the view needs of it is kept first: its
 * description, its name, and the source it is watched through (kept
 * open by the arrival, as every part read out of a file is).
 */
static int
take_both(struct inbox *ib, struct arrival *a, struct filing_item *it,
    char *page, size_t len, struct rso_error *e)
{
	struct rso_doc_info *copy = docs_new("cda");
	struct filing_item src = *it;
	char where[sizeof(it->where)];
	int rc;

	*copy = *it->doc;
	snprintf(where, sizeof(where), "%.*s: view",
	    (int)(sizeof(where) - sizeof(": view")), it->where);
	if ((src.watch_fd = docs_keep_source(a, it)) < 0) {
		free(copy);
		filing_release(it);
		return rso_error_set(e, EX_OSERR, "%s: cda: view: out of "
		    "descriptors", it->where);
	}
	src.fd = -1;
	src.dicom = NULL;
	src.doc = NULL;
	if ((rc = inbox_take(ib, a, it, e)) == 0)
		rc = docs_add(ib, a, &src, page, len, "text/html", copy, where,
		    e);
	else
		free(copy);
	return rc;
}

int
cda_take(struct inbox *ib, struct arrival *a, struct filing_item *it,
    const char *buf, size_t n, struct rso_error *e)
{
	struct rso_doc_info *d = it->doc ? it->doc : docs_new("cda");
	struct rso_error why = { 0 };
	char *page;
	size_t len;
	int rc;

	rc = rso_cda_read(buf, n, d, &why);
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
	if ((rc = render_view(it, buf, n, &page, &len, e)) != 0) {
		filing_release(it);
		return rc;
	}
	rc = take_both(ib, a, it, page, len, e);
	free(page);
	return rc;
}
