/* rso-collect: inbox -- clinical documents, recognised by their content. */
/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "docs.h"
#include "rso_map.h"
#include "rso_jsonl.h"

struct rso_doc_info *
docs_new(const char *fmt)
{
	struct rso_doc_info *d = rso_xcalloc(1, sizeof(*d));

	d->format = fmt;
	return d;
}

/* What a file's first bytes say it may be. */
enum { DOC_NONE, DOC_JSON, DOC_XML, DOC_HL7 };

/*
 * Whether the content may be a document of a format we read, after a
 * byte-order mark and blanks: JSON (a FHIR Bundle, read an entry at a
 * time), XML (a C-CDA, read as libxml2's reader asks), or HL7 v2
 * (MLLP-framed or not, read a message at a time).  Saves reading a PDF or an image
 * only to find it is neither.
 */
static int
doc_kind(const struct filing_item *it)
{
	unsigned char h[64];
	ssize_t n = pread(it->fd, h, sizeof(h), 0), i = 0;

	if (n >= 3 && memcmp(h, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < n && strchr(" \t\r\n", h[i]) != NULL)
		i++;
	if (i >= n)
		return DOC_NONE;
	if (h[i] == '{')
		return DOC_JSON;
	if (h[i] == '<')
		return DOC_XML;
	return h[i] == 0x0B || (n - i >= 3 && memcmp(h + i, "MSH", 3) == 0) ?
	    DOC_HL7 : DOC_NONE;
}

static int
is_text(const struct filing_item *it)
{
	return strncmp(it->media_type, "text/", 5) == 0;
}

/*
 * A text no reader took (a fax cover sheet, a letter) that quotes a
 * request token: the token names its case, as one in a file name does.
 */
static void
cover_token(struct filing_item *it, const char *token)
{
	it->doc = docs_new("text");
	memcpy(it->doc->token, token, RSO_TOKEN_LEN);
}

/* The same for a text read a window at a time: 0, or EX_IOERR. */
static int
cover_token_fd(struct filing_item *it, struct rso_error *e)
{
	char token[RSO_TOKEN_LEN];
	int rc;

	if (it->doc != NULL || !is_text(it))
		return 0;
	if ((rc = rso_doc_find_token_fd(it->fd, it->size, token)) == -2)
		return rso_error_set(e, EX_IOERR, "%s: %s", it->where,
		    strerror(errno));
	if (rc == 0)
		cover_token(it, token);
	return 0;
}

int
docs_take(struct inbox *ib, struct arrival *a, struct filing_item *it,
    struct rso_error *e)
{
	int rc, kind;

	kind = doc_kind(it);
	if (it->dicom != NULL || (kind == DOC_NONE && !is_text(it)))
		return inbox_take(ib, a, it, e);
	if (it->size > ib->lim.document) {
		rso_note("%s: entry %d: %s: larger than %lld bytes "
		    "(inbox.max_document_bytes): filed as a file, not read",
		    ib->dir, a->k, it->where, ib->lim.document);
		return inbox_take(ib, a, it, e);
	}
	/* A Bundle and a C-CDA are read from the file, never whole; only a
	 * JSON object can be a Bundle. */
	if (kind == DOC_JSON && (rc = bundle_take(ib, a, it, e)) != 1)
		return rc;
	if (kind == DOC_XML && (rc = cda_take(ib, a, it, e)) != 1)
		return rc;
	if (kind == DOC_HL7 && (rc = hl7_take(ib, a, it, e)) != 1)
		return rc;
	/* A letter, XML that is no C-CDA, JSON that is no Bundle, or what
	 * only began like HL7 v2 is looked through for a token. */
	if ((rc = cover_token_fd(it, e)) != 0) {
		filing_release(it);
		return rc;
	}
	return inbox_take(ib, a, it, e);
}

int
docs_keep_source(struct arrival *a, const struct filing_item *src)
{
	struct stat st;
	int fd;

	if (a->container >= 0 && src->watch_fd == a->container)
		return a->container;
	if (a->nsources > 0 && fstat(a->sources[a->nsources - 1], &st) == 0 &&
	    st.st_dev == src->watch.st_dev && st.st_ino == src->watch.st_ino)
		return a->sources[a->nsources - 1];
	if ((fd = dup(src->watch_fd)) < 0)
		return -1;
	a->sources = rso_xrealloc(a->sources, (a->nsources + 1) *
	    sizeof(*a->sources));
	a->sources[a->nsources++] = fd;
	return fd;
}

int
docs_prepare(struct inbox *ib, struct arrival *a,
    const struct filing_item *src, docs_fill *fill, void *ctx,
    const char *media, struct rso_doc_info *doc, const char *where,
    struct filing_item *it, struct rso_error *e)
{
	int fd, watch, rc;

	if ((watch = docs_keep_source(a, src)) < 0 ||
	    (fd = drop_spool_lend(&ib->d)) < 0) {
		free(doc);
		return rso_error_set(e, EX_CANTCREAT, "spool: %s",
		    strerror(errno));
	}
	if ((rc = fill(ctx, fd, e)) != 0) {
		drop_spool_return(&ib->d, fd);
		free(doc);
		return rc;
	}
	rc = filing_survey(it, fd, where, e);
	it->lender = &ib->d;
	if (rc != 0 && rc != EX_DATAERR) {
		filing_release(it);
		free(doc);
		return rc;
	}
	/* A part that only looks like DICOM is still the part it is. */
	if (rc == EX_DATAERR)
		it->media_type = "application/octet-stream";
	if (media != NULL && it->dicom == NULL)
		it->media_type = media;
	it->doc = doc;
	it->watch_fd = watch;
	it->watch = src->watch;
	return 0;
}

int
docs_add_fill(struct inbox *ib, struct arrival *a,
    const struct filing_item *src, docs_fill *fill, void *ctx,
    const char *media, struct rso_doc_info *doc, const char *where,
    struct rso_error *e)
{
	struct filing_item it;
	int rc;

	if ((rc = docs_prepare(ib, a, src, fill, ctx, media, doc, where, &it,
	    e)) != 0)
		return rc;
	return inbox_take(ib, a, &it, e);
}

int
docs_write(int fd, const void *p, size_t n, struct rso_error *e)
{
	if (rso_write_all(fd, p, n) != 0)
		return rso_error_set(e, EX_IOERR, "spool: %s",
		    strerror(errno));
	return 0;
}

/* A part whose bytes are all in memory. */
struct part {
	const void *buf;
	size_t n;
};

static int
fill_part(void *ctx, int fd, struct rso_error *e)
{
	const struct part *p = ctx;

	return docs_write(fd, p->buf, p->n, e);
}

int
docs_add(struct inbox *ib, struct arrival *a, const struct filing_item *src,
    const void *buf, size_t n, const char *media, struct rso_doc_info *doc,
    const char *where, struct rso_error *e)
{
	struct part p = { buf, n };

	return docs_add_fill(ib, a, src, fill_part, &p, media, doc, where, e);
}

/* A part that lies in a file, and the spool it is copied to. */
struct range {
	int fd;
	size_t off, n;
	const char *where;
	int spool, spool_failed;
};

static int
spool_window(void *ctx, const void *p, size_t n, struct rso_error *e)
{
	struct range *r = ctx;
	int rc = docs_write(r->spool, p, n, e);

	r->spool_failed = rc != 0;
	return rc;
}

/* The part's bytes, as rso_map_range hands them, into the spool. */
static int
fill_range(void *ctx, int fd, struct rso_error *e)
{
	struct range *r = ctx;
	char why[sizeof(e->msg)];
	int rc;

	r->spool = fd;
	rc = rso_map_range(r->fd, (off_t)r->off, (off_t)r->n, spool_window, r,
	    e);
	if (rc == 0 || r->spool_failed)
		return rc;
	snprintf(why, sizeof(why), "%s", rc == EX_DATAERR ?
	    "shorter than it was" : e->msg);
	return rso_error_set(e, EX_IOERR, "%s: %s", r->where, why);
}

int
docs_add_range(struct inbox *ib, struct arrival *a,
    const struct filing_item *src, size_t off, size_t n, const char *media,
    struct rso_doc_info *doc, const char *where, struct rso_error *e)
{
	struct range r = { src->fd, off, n, src->where, -1, 0 };

	return docs_add_fill(ib, a, src, fill_range, &r, media, doc, where, e);
}

/* Whether the item names whose it is: a patient to match, or a token. */
static int
has_patient(const struct filing_item *it)
{
	struct filing_patient p;

	if (it->doc && it->doc->token[0])
		return 1;
	return filing_patient_of(it, &p) == 0;
}

int
inbox_take(struct inbox *ib, struct arrival *a, struct filing_item *it,
    struct rso_error *e)
{
	struct items *v = &a->now;

	if (a->by_patient && !has_patient(it)) {
		if (a->later.n >= LATER_MAX) {
			filing_release(it);
			return rso_error_set(e, EX_DATAERR, "more than %d members "
			    "that name no patient, and no request token or case "
			    "id in the name or a sidecar", LATER_MAX);
		}
		v = &a->later;
	}
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 16;
		v->it = rso_xrealloc(v->it, v->cap * sizeof(*v->it));
	}
	v->it[v->n++] = *it;
	return v == &a->now && a->now.n >= BATCH ? inbox_flush(ib, a, e) : 0;
}
