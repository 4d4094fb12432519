/* rso-collect: inbox -- an IHE XDM zip (ITI TF-1 16), filed by its
 * METADATA.XML: each document entry's file checked against its SHA-1 and
 * size, filed with what the entry says of it, the submission set recorded. */
/* SPDX-License-Identifier: ISC */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "docs.h"
#include "furniture.h"
#include "rso_case.h"
#include "rso_event.h"
#include "rso_hash.h"
#include "rso_jsonl.h"
#include "rso_media.h"
#include "rso_xdm_read.h"
#include "rso_utf8.h"
#include "verbs.h"

#define COPYBUF 65536

/* A member under IHE_XDM/, as the first pass found it. */
struct member {
	char *path;
	int k;			/* its number in the zip, for messages */
	long long size;
	char sha1[41];
	struct subset *sub;	/* the subset of the entry naming it, or NULL */
	size_t entry;		/* ...and that entry's index */
};

/*
 * A subset folder and what its METADATA.XML says.  Its entries are kept
 * in a spool file, not in memory: a zip of thousands of documents must
 * not cost thousands of entries' worth (each some 3 KiB) of memory.
 */
struct subset {
	char *dir;		/* "IHE_XDM/SUBSET01/" */
	char *shown;		/* the same made UTF-8 */
	int k;			/* METADATA.XML's member number */
	struct rso_xdm_meta m;
	int spill;		/* struct spilled, in entry order */
};

/* An entry as its subset's spool file holds it. */
struct spilled {
	struct rso_xdm_entry x;
	char sha256[RSO_SHA256_HEXLEN];	/* its file's, once filed */
};

struct xdm {
	struct member *mem;
	size_t nmem;
	struct subset *sub;
	size_t nsub;
	long long meta_bytes;	/* all METADATA.XML read, within the limit */
};

/* Media types an entry's mimeType may give its document.  DICOM and
 * containers are what their content says, never what a label says. */
static const char *const declared[] = {
	"application/pdf", "text/plain", "text/html", "text/xml",
	"application/xml", "text/markdown", "application/rtf", "image/jpeg",
	"image/png", "image/gif", "image/tiff", "application/fhir+json",
	"application/hl7-v2", NULL
};

static const char *
declared_type(const char *mime)
{
	int i;

	for (i = 0; declared[i]; i++)
		if (strcmp(declared[i], mime) == 0)
			return declared[i];
	return NULL;
}

/* Whether path is IHE_XDM/<one folder>/METADATA.XML; its folder's length. */
static size_t
is_metadata(const char *path)
{
	const char *slash;

	if (strncasecmp(path, "IHE_XDM/", 8) != 0)
		return 0;
	slash = strchr(path + 8, '/');
	if (slash == NULL || slash == path + 8 ||
	    strcasecmp(slash + 1, "METADATA.XML") != 0)
		return 0;
	return (size_t)(slash + 1 - path);
}

static struct archive *
zip_open(int fd)
{
	struct archive *ar = archive_read_new();

	archive_read_support_format_zip(ar);
	if (lseek(fd, 0, SEEK_SET) != 0 ||
	    archive_read_open_fd(ar, fd, COPYBUF) != ARCHIVE_OK) {
		archive_read_free(ar);
		return NULL;
	}
	return ar;
}

static int
zip_damaged(int k, struct rso_error *e)
{
	return rso_error_set(e, EX_DATAERR, "member %d: unreadable", k);
}

/*
 * Read the current member through: its SHA-1 and size, copied to out (or
 * not, -1), up to max bytes (-1: any; more than max: 1, stopped there).
 * 0, 1, or a status.
 */
static int
read_through(struct archive *ar, int k, int out, char *sha1, long long *size,
    long long max, struct rso_error *e)
{
	char *buf = rso_xmalloc(COPYBUF);
	gcry_md_hd_t h;
	la_ssize_t n;
	int rc = 0;

	rso_gcrypt_init();
	if (gcry_md_open(&h, GCRY_MD_SHA1, 0) != 0)
		rso_diex(EX_SOFTWARE, "sha1: cannot start");
	*size = 0;
	while (rc == 0 && (n = archive_read_data(ar, buf, COPYBUF)) > 0) {
		gcry_md_write(h, buf, (size_t)n);
		if (max >= 0 && *size + n > max)
			rc = 1;
		else if (out >= 0 && rso_write_all(out, buf, (size_t)n) != 0)
			rc = rso_error_set(e, EX_IOERR, "member %d: spool: %s", k,
			    strerror(errno));
		*size += n;
	}
	if (rc == 0 && n < 0)
		rc = zip_damaged(k, e);
	rso_hex(gcry_md_read(h, GCRY_MD_SHA1), RSO_SHA1_LEN, sha1);
	gcry_md_close(h);
	free(buf);
	return rc;
}

static struct subset *
subset_of(struct xdm *x, const char *path, size_t len)
{
	size_t i;

	for (i = 0; i < x->nsub; i++)
		if (strlen(x->sub[i].dir) == len &&
		    strncasecmp(x->sub[i].dir, path, len) == 0)
			return &x->sub[i];
	return NULL;
}

static int
spool_failed(struct rso_error *e)
{
	return rso_error_set(e, EX_CANTCREAT, "spool: %s",
	    strerror(errno));
}

/* Entry j (0-based) of s, from its spool file, into sp.  0 or EX_IOERR. */
static int
spill_get(const struct subset *s, size_t j, struct spilled *sp,
    struct rso_error *e)
{
	ssize_t n = pread(s->spill, sp, sizeof(*sp), (off_t)(j * sizeof(*sp)));

	if (n == (ssize_t)sizeof(*sp))
		return 0;
	return rso_error_set(e, EX_IOERR, "member %d: spool: %s", s->k,
	    n < 0 ? strerror(errno) : "shorter than it was");
}

static int
spill_put(const struct subset *s, size_t j, const struct spilled *sp)
{
	return pwrite(s->spill, sp, sizeof(*sp), (off_t)(j * sizeof(*sp))) ==
	    (ssize_t)sizeof(*sp) ? 0 : -1;
}

/* rso_xdm_read's entries, each to the spool file as it is read. */
static int
spill_entry(void *ctx, size_t k, const struct rso_xdm_entry *en,
    struct rso_error *e)
{
	struct subset *s = ctx;
	struct spilled sp;

	memset(&sp, 0, sizeof(sp));
	sp.x = *en;
	if (spill_put(s, k - 1, &sp) != 0)
		return rso_error_set(e, EX_IOERR, "spool: %s", strerror(errno));
	return 0;
}

/*
 * A METADATA.XML (within the limit): spooled, then read from the spool
 * file, which rso_xdm_read goes through twice without holding it.
 */
static int
take_metadata(struct inbox *ib, struct xdm *x, struct archive *ar,
    const char *path, size_t len, int k, struct rso_error *e)
{
	struct subset *s;
	struct rso_error why;
	char sha1[41];
	long long size, max = ib->lim.document - x->meta_bytes;
	int rc, xml;

	if ((s = subset_of(x, path, len)) != NULL)
		return rso_error_set(e, EX_DATAERR, "member %d: a second "
		    "METADATA.XML in its folder (member %d)", k, s->k);
	if ((xml = drop_spool(&ib->d)) < 0)
		return spool_failed(e);
	rc = read_through(ar, k, xml, sha1, &size, max, e);
	if (rc == 1)
		rc = rso_error_set(e, EX_DATAERR, "member %d: METADATA.XML: "
		    "larger than %lld bytes (inbox.max_document_bytes)", k,
		    ib->lim.document);
	if (rc == 0) {
		x->meta_bytes += size;
		x->sub = rso_xrealloc(x->sub, (x->nsub + 1) * sizeof(*x->sub));
		s = &x->sub[x->nsub++];
		memset(s, 0, sizeof(*s));
		s->dir = rso_xasprintf("%.*s", (int)len, path);
		/* The zip's own name for the folder, in any set: its
		 * event records it, and knows a resend by it, as UTF-8. */
		s->shown = rso_utf8_repaired(s->dir);
		s->k = k;
		if ((s->spill = drop_spool(&ib->d)) < 0)
			rc = spool_failed(e);
	}
	if (rc == 0 && (rc = rso_xdm_read(xml, (size_t)size, &s->m,
	    spill_entry, s, &why)) != 0)
		rc = rso_error_set(e, rc, "member %d: %s", k, why.msg);
	close(xml);
	return rc;
}

static int
by_path(const void *a, const void *b)
{
	return strcmp(((const struct member *)a)->path,
	    ((const struct member *)b)->path);
}

/*
 * The first pass: every METADATA.XML read, every other member under
 * IHE_XDM/ hashed (the metadata may come after the documents), so that
 * a zip whose documents do not match is refused before a byte is filed.
 * 1 when there is no METADATA.XML: not XDM.
 */
static int
survey(struct inbox *ib, int fd, struct xdm *x, struct rso_error *e)
{
	struct archive *ar = zip_open(fd);
	struct archive_entry *ent;
	struct member *m;
	const char *path;
	size_t len, i;
	int rc = 0, ar_rc, k = 0;

	if (ar == NULL)
		return 1;
	while (rc == 0 && (ar_rc = archive_read_next_header(ar, &ent)) ==
	    ARCHIVE_OK) {
		k++;
		path = archive_entry_pathname(ent);
		if (archive_entry_filetype(ent) != AE_IFREG || path == NULL ||
		    strncasecmp(path, "IHE_XDM/", 8) != 0)
			continue;
		if ((len = is_metadata(path)) > 0) {
			rc = take_metadata(ib, x, ar, path, len, k, e);
			continue;
		}
		x->mem = rso_xrealloc(x->mem, (x->nmem + 1) * sizeof(*x->mem));
		m = &x->mem[x->nmem++];
		memset(m, 0, sizeof(*m));
		m->path = rso_xstrdup(path);
		m->k = k;
		rc = read_through(ar, k, -1, m->sha1, &m->size, -1, e);
	}
	if (rc == 0 && ar_rc != ARCHIVE_EOF)
		rc = x->nsub ? zip_damaged(k, e) : 1;
	archive_read_free(ar);
	if (rc == 0 && x->nsub == 0)
		rc = 1;
	if (rc == 0 && x->nmem > 0)
		qsort(x->mem, x->nmem, sizeof(*x->mem), by_path);
	for (i = 1; rc == 0 && i < x->nmem; i++)
		if (strcmp(x->mem[i - 1].path, x->mem[i].path) == 0)
			rc = rso_error_set(e, EX_DATAERR, "member %d: a second "
			    "member of the name of member %d",
			    x->mem[i - 1].k > x->mem[i].k ? x->mem[i - 1].k :
			    x->mem[i].k, x->mem[i - 1].k < x->mem[i].k ?
			    x->mem[i - 1].k : x->mem[i].k);
	return rc;
}

static struct member *
find_member(struct xdm *x, const char *path)
{
	struct member key = { (char *)path, 0, 0, "", NULL, 0 };

	return x->nmem ? bsearch(&key, x->mem, x->nmem, sizeof(*x->mem),
	    by_path) : NULL;
}

/* Each entry's file is in the zip, of the size and SHA-1 it says. */
static int
check_entries(struct xdm *x, struct rso_error *e)
{
	struct spilled sp;
	struct rso_xdm_entry *en = &sp.x;
	struct member *m;
	size_t i, j;
	char *path;
	int rc;

	for (i = 0; i < x->nsub; i++)
		for (j = 0; j < x->sub[i].m.n; j++) {
			if ((rc = spill_get(&x->sub[i], j, &sp, e)) != 0)
				return rc;
			path = rso_xasprintf("%s%s", x->sub[i].dir, en->uri);
			m = find_member(x, path);
			free(path);
			if (m == NULL)
				return rso_error_set(e, EX_DATAERR, "member %d: "
				    "METADATA.XML: document entry %zu: \"URI\" "
				    "names no member of the zip", x->sub[i].k,
				    j + 1);
			if (m->size != en->size)
				return rso_error_set(e, EX_DATAERR, "member %d: "
				    "size does not match METADATA.XML", m->k);
			if (strcmp(m->sha1, en->sha1) != 0)
				return rso_error_set(e, EX_DATAERR, "member %d: "
				    "hash does not match METADATA.XML", m->k);
			m->sub = &x->sub[i];
			m->entry = j;
		}
	return 0;
}

/* Furniture: the media's own pages and what share/media-furniture names. */
static int
is_furniture(struct inbox *ib, const char *path)
{
	if (is_metadata(path))
		return 1;
	if (strchr(path, '/') == NULL && (strcasecmp(path, "README.TXT") == 0 ||
	    strcasecmp(path, "INDEX.HTM") == 0))
		return 1;
	return furniture_is(ib->furniture, path);
}

static int
hash_furniture(struct archive *ar, struct arrival *a, const char *path,
    int k, struct rso_error *e)
{
	struct rso_sha256 *h = rso_sha256_new();
	char sha256[RSO_SHA256_HEXLEN], *buf = rso_xmalloc(COPYBUF);
	long long size = 0;
	la_ssize_t n;

	while ((n = archive_read_data(ar, buf, COPYBUF)) > 0) {
		rso_sha256_update(h, buf, (size_t)n);
		size += n;
	}
	rso_sha256_final_hex(h, sha256);
	free(buf);
	if (n < 0)
		return zip_damaged(k, e);
	inbox_furnish(a, path, size, sha256);
	return 0;
}

/*
 * A member to file: spooled, surveyed, given what its entry says (en may
 * be NULL), and taken as documents are.  Its SHA-1 is checked again on
 * the bytes spooled: what is filed is what the metadata vouched for.
 */
static int
file_member(struct inbox *ib, struct archive *ar, struct arrival *a, int k,
    const struct rso_xdm_entry *en, char *sha256, struct rso_error *e)
{
	struct filing_item it;
	char where[32], sha1[41];
	const char *media;
	long long size;
	int out, rc;

	if ((out = drop_spool_lend(&ib->d)) < 0)
		return spool_failed(e);
	if ((rc = read_through(ar, k, out, sha1, &size, -1, e)) != 0) {
		drop_spool_return(&ib->d, out);
		return rc;
	}
	if (en && (size != en->size || strcmp(sha1, en->sha1) != 0)) {
		drop_spool_return(&ib->d, out);
		return rso_error_set(e, EX_TEMPFAIL, "member %d: changed while "
		    "being read", k);
	}
	snprintf(where, sizeof(where), "member %d", k);
	rc = filing_survey(&it, out, where, e);
	it.lender = &ib->d;
	if (rc != 0 && rc != EX_DATAERR) {
		filing_release(&it);
		return rc;
	}
	it.watch_fd = a->container;
	it.watch = a->container_st;
	if (sha256)
		memcpy(sha256, it.sha256, RSO_SHA256_HEXLEN);
	if (en) {
		it.doc = docs_new("xdm");
		*it.doc = en->doc;
		it.doc->format = "xdm";
		if (it.dicom == NULL && (media = declared_type(en->mime)))
			it.media_type = media;
	} else
		rso_note("%s: entry %d: member %d: not named by METADATA.XML "
		    "(filed as a file)", ib->dir, a->k, k);
	return it.dicom ? inbox_take(ib, a, &it, e) : docs_take(ib, a, &it, e);
}

/*
 * The member of entry m names: filed with what the entry says, the
 * SHA-256 it was filed as kept with the entry for its submission.
 */
static int
file_entry_member(struct inbox *ib, struct archive *ar, struct arrival *a,
    int k, const struct member *m, struct rso_error *e)
{
	struct spilled sp;
	int rc;

	if ((rc = spill_get(m->sub, m->entry, &sp, e)) != 0)
		return rc;
	rso_xdm_entry_finish(&m->sub->m, &sp.x);
	if ((rc = file_member(ib, ar, a, k, &sp.x, sp.sha256, e)) != 0)
		return rc;
	if (spill_put(m->sub, m->entry, &sp) != 0)
		return rso_error_set(e, EX_IOERR, "member %d: spool: %s",
		    m->sub->k, strerror(errno));
	return 0;
}

/* The second pass: each member filed, or accounted for as furniture. */
static int
file_members(struct inbox *ib, int fd, struct arrival *a, struct xdm *x,
    struct rso_error *e)
{
	struct archive *ar = zip_open(fd);
	struct archive_entry *ent;
	struct member *m;
	const char *path;
	int rc = 0, ar_rc, k = 0;

	if (ar == NULL)
		return rso_error_set(e, EX_DATAERR, "not a readable archive");
	while (rc == 0 && (ar_rc = archive_read_next_header(ar, &ent)) ==
	    ARCHIVE_OK) {
		k++;
		path = archive_entry_pathname(ent);
		if (archive_entry_filetype(ent) != AE_IFREG || path == NULL)
			continue;
		m = find_member(x, path);
		if (m && m->sub)
			rc = file_entry_member(ib, ar, a, k, m, e);
		else if (is_furniture(ib, path))
			rc = hash_furniture(ar, a, path, k, e);
		else
			rc = file_member(ib, ar, a, k, NULL, NULL, e);
	}
	if (rc == 0 && ar_rc != ARCHIVE_EOF)
		rc = zip_damaged(k, e);
	archive_read_free(ar);
	return rc;
}

/* Where the arrival's documents went: its case, or the one they found. */
static const char *
arrival_case(const struct arrival *a)
{
	if (a->id[0])
		return a->id;
	return a->first_case[0] && !a->several ? a->first_case : NULL;
}

/* Whether the event is the submission set s recorded before. */
static int
same_submission(json_t *ev, void *ctx)
{
	const struct subset *s = ctx;
	json_t *data = json_object_get(ev, "data");

	return strcmp(rso_json_str(ev, "type"), "records.submission") == 0 &&
	    rso_json_str(data, "unique_id") && rso_json_str(data, "subset") &&
	    strcmp(rso_json_str(data, "unique_id"), s->m.unique_id) == 0 &&
	    strcmp(rso_json_str(data, "subset"), s->shown) == 0;
}

/*
 * The submission set on the record of its case, with the items filed;
 * once: a zip sent again names the submission recorded before.
 */
static int
record_submission(struct inbox *ib, struct arrival *a, struct subset *s,
    struct rso_error *e)
{
	const char *id = arrival_case(a);
	json_t *items = json_array(), *data;
	struct spilled sp;
	size_t j;
	int rc, item;

	if (id == NULL) {
		json_decref(items);
		return rso_error_set(e, EX_DATAERR, "member %d: METADATA.XML: its "
		    "documents went to several cases", s->k);
	}
	if ((rc = rso_event_foreach(ib->s, id, same_submission, s, e)) != 0) {
		json_decref(items);
		/* 1: found; else a store error. */
		return rc != 1 ? rc : collect_emit(json_pack("{s:s, s:s, s:b}",
		    "case", id, "submission", s->m.unique_id, "existing", 1));
	}
	for (j = 0; j < s->m.n; j++) {
		if ((rc = spill_get(s, j, &sp, e)) != 0) {
			json_decref(items);
			return rc;
		}
		if ((item = rso_records_known(ib->s, id, sp.sha256, NULL)) > 0)
			json_array_append_new(items, json_sprintf("%04d", item));
	}
	data = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "subset",
	    s->shown, "unique_id", s->m.unique_id, "source_id", s->m.source_id,
	    "source", s->m.source, "title", s->m.title, "submitted", s->m.time,
	    "items", items);
	if ((rc = rso_store_begin(ib->s, e)) == 0 &&
	    (rc = rso_case_event(ib->s, id, "records.submission", data, e)) == 0)
		rc = rso_store_commit(ib->s, e);
	if (rc != 0)
		rso_store_rollback(ib->s);
	if (rc == 0)
		rc = collect_emit(json_pack("{s:s, s:s, s:I}", "case", id,
		    "submission", s->m.unique_id, "documents",
		    (json_int_t)json_array_size(json_object_get(data, "items"))));
	json_decref(data);
	return rc;
}

static void
xdm_free(struct xdm *x)
{
	size_t i;

	for (i = 0; i < x->nmem; i++)
		free(x->mem[i].path);
	free(x->mem);
	for (i = 0; i < x->nsub; i++) {
		free(x->sub[i].dir);
		free(x->sub[i].shown);
		if (x->sub[i].spill >= 0)
			close(x->sub[i].spill);
		rso_xdm_meta_free(&x->sub[i].m);
	}
	free(x->sub);
}

int
xdm_gather(struct inbox *ib, int fd, struct arrival *a, struct rso_error *e)
{
	struct xdm x = { NULL, 0, NULL, 0, 0 };
	size_t i;
	int rc;

	if ((rc = survey(ib, fd, &x, e)) == 0)
		rc = check_entries(&x, e);
	if (rc == 0)
		rc = file_members(ib, fd, a, &x, e);
	/* Filed now, so that the submission can name its items. */
	if (rc == 0)
		rc = inbox_flush(ib, a, e);
	for (i = 0; rc == 0 && i < x.nsub; i++)
		rc = record_submission(ib, a, &x.sub[i], e);
	xdm_free(&x);
	return rc;
}
