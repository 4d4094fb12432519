/* rso-collect: inbox -- a FHIR R4 Bundle: each document attachment one
 * record, and the Bundle itself one more. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "docs.h"
#include "rso_bundle.h"

struct bundle_ctx {
	struct inbox *ib;
	struct arrival *a;
	const struct filing_item *it;
	int failed;		/* docs_add's failure, told as it is */
};

/* "member 3: entry 12: attachment 1" for a Bundle inside a folder or
 * archive; the entry's own Bundle needs no prefix. */
static const char *
prefix(const struct filing_item *it)
{
	return strcmp(it->where, "entry") ? it->where : NULL;
}

/* An attachment's bytes on their way from the Bundle to a spool file. */
struct att_fill {
	struct inbox *ib;
	const struct rso_bundle_att *att;
	int fd;
	int unwritten;		/* the spool file could not be written */
	int unread;		/* the Bundle could not be read again */
};

static int
put_spool(void *ctx, const void *p, size_t n, struct rso_error *e)
{
	struct att_fill *f = ctx;
	int rc;

	if ((rc = docs_write(f->fd, p, n, e)) != 0)
		f->unwritten = 1;
	return rc;
}

/* The attachment decoded into the spool file as it is read, never held
 * whole: an attachment of 100 MB costs what one of 100 KB does. */
static int
fill_att(void *ctx, int fd, struct rso_error *e)
{
	struct att_fill *f = ctx;
	int rc;

	f->fd = fd;
	if ((rc = rso_bundle_att_read(f->att, put_spool, f, e)) != 0 &&
	    !f->unwritten)
		f->unread = 1;
	return rc;
}

static int
take_attachment(void *ctx, const struct rso_bundle_att *att,
    struct rso_error *e)
{
	struct bundle_ctx *c = ctx;
	struct rso_doc_info *d = docs_new("fhir");
	struct att_fill f = { c->ib, att, -1, 0, 0 };
	const char *p = prefix(c->it);
	char where[128];
	int rc;

	*d = att->doc;
	d->format = "fhir";
	snprintf(where, sizeof(where), "%s%s%s", p ? p : "", p ? ": " : "",
	    att->where);
	/* A Bundle that cannot be read again is the reader's fault, named
	 * by bundle_take as the reader's others are. */
	if ((rc = docs_add_fill(c->ib, c->a, c->it, fill_att, &f, att->media,
	    d, where, e)) != 0 && !f.unread)
		c->failed = 1;
	return rc;
}

/* An attachment left out (a URL to fetch): said, and the Bundle, which
 * holds it, is still filed whole. */
static void
left_out(void *ctx, const char *what)
{
	struct bundle_ctx *c = ctx;
	const char *p = prefix(c->it);

	rso_note("%s: entry %d: %s%sbundle: %s", c->ib->dir, c->a->k,
	    p ? p : "", p ? ": " : "", what);
}

/* The reader's spool for a Bundle of very many entries: an unnamed
 * file in the drop folder, as the inbox's other spools. */
static int
bundle_spool(void *ctx)
{
	struct bundle_ctx *c = ctx;

	return drop_spool(&c->ib->d);
}

int
bundle_take(struct inbox *ib, struct arrival *a, struct filing_item *it,
    struct rso_error *e)
{
	struct bundle_ctx c = { ib, a, it, 0 };
	/* The inbox's bound on the files of an entry bounds a Bundle's
	 * attachments too: each becomes a file of the case. */
	struct rso_bundle_reader r = { ib->lim.members, take_attachment,
	    left_out, &c, bundle_spool };
	struct rso_doc_info info;
	struct rso_error why;
	int rc;

	if ((rc = rso_bundle_read_fd(it->fd, (size_t)it->size, &r, &info, e))
	    == 1)
		return 1;
	/* The reader's own reject, named by the item it is in; a file that
	 * cannot be read is let go, as every reader lets it go. */
	if (rc != 0 && !c.failed) {
		why = *e;
		if (rc == EX_IOERR)
			filing_release(it);
		return rso_error_set(e, rc, "%s: %s", it->where, why.msg);
	}
	if (rc != 0)
		return rc;
	/*
	 * The Bundle itself last, so that the source its attachments are
	 * watched through stays open until they are all taken.
	 */
	it->doc = docs_new("fhir");
	*it->doc = info;
	it->media_type = "application/fhir+json";
	return inbox_take(ib, a, it, e);
}
