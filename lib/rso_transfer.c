/* rso_transfer: a whole case as one encrypted archive, to and from a partner. */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rso_arc.h"
#include "rso_case.h"
#include "rso_casearc.h"
#include "rso_export.h"
#include "rso_hash.h"
#include "rso_jsonl.h"
#include "rso_media.h"
#include "rso_records.h"
#include "rso_request.h"
#include "rso_state.h"
#include "rso_store_priv.h"
#include "rso_time.h"
#include "rso_transfer.h"

/* Bounds on what is read into memory; records stream whatever their size. */
#define CASE_MAX	(1 << 20)
#define INDEX_MAX	(16 << 20)

/* JSON lines gathered into one buffer, for a small entry: the opinions
 * (a case has a few). */
struct lines {
	char *text;
	size_t len;
	json_t *names;		/* entry name -> found yet */
};

static int
opinion_line(json_t *line, void *ctx)
{
	struct lines *l = ctx;

	rso_jsonl_buf_add(&l->text, &l->len, line);
	json_object_set_new(l->names, rso_json_str(line, "name"), json_false());
	return 0;
}

/*
 * The manifest, a line per record, written through stdio to a file of
 * its own in the export's folder that has no name (O_TMPFILE; else one
 * unlinked at once): a case of any number of records is never held.
 * Its records are found again in the store by their items.
 */
struct manifest {
	FILE *fp;
	size_t lines;
	int err;		/* a line could not be written */
};

static int
manifest_line(json_t *line, void *ctx)
{
	struct manifest *m = ctx;

	m->err |= rso_jsonl_write(m->fp, line) != 0;
	m->lines++;
	return 0;
}

static int
manifest_open(struct manifest *m, const char *dir, struct rso_error *e)
{
	memset(m, 0, sizeof(*m));
	if ((m->fp = rso_unnamed_file(dir, "records.jsonl")) == NULL)
		return rso_error_set(e, EX_CANTCREAT, "%s: %s", dir,
		    strerror(errno));
	return 0;
}

/* The manifest written and its file back at its start: its size, or -1
 * with errno. */
static off_t
manifest_done(struct manifest *m)
{
	off_t size;

	if (fflush(m->fp) != 0 || m->err || ferror(m->fp))
		return -1;
	if ((size = ftello(m->fp)) < 0 || lseek(fileno(m->fp), 0, SEEK_SET) != 0)
		return -1;
	return size;
}

/* The item a records/ entry's name begins with ("records/0042-..."), or
 * 0 for another name. */
static int
record_item(const char *name)
{
	const char *p;
	long item;

	if (strncmp(name, "records/", 8) != 0 || !isdigit((unsigned char)
	    name[8]))
		return 0;
	item = strtol(name + 8, (char **)&p, 10);
	return item >= 1 && item <= INT_MAX && *p == '-' ? (int)item : 0;
}

/* What the copy keeps: a record the manifest lists (by its item, in the
 * store) or an opinion; each one counted once found. */
struct listing {
	struct rso_store *s;
	const char *id;
	sqlite3_stmt *find;
	json_t *opinions;	/* name -> found yet */
	size_t found;
};

static int
listed(const char *name, void *ctx)
{
	struct listing *l = ctx;
	int hit, item = record_item(name);

	if (item == 0) {
		if (!json_is_false(json_object_get(l->opinions, name)))
			return 0;
		json_object_set_new(l->opinions, name, json_true());
		l->found++;
		return 1;
	}
	sqlite3_bind_text(l->find, 1, l->id, -1, SQLITE_STATIC);
	sqlite3_bind_int(l->find, 2, item);
	hit = sqlite3_step(l->find) == SQLITE_ROW &&
	    strcmp(rso_store_col(l->find, 0), name) == 0;
	sqlite3_reset(l->find);
	l->found += hit;
	return hit;
}

int
rso_transfer_write(struct rso_store *s, const char *id,
    const struct rso_age_identities *ids, const struct rso_age_recipients *r,
    const char *dir, const char *name, int replace, struct rso_error *e)
{
	struct manifest recs;
	struct lines ops = { NULL, 0, json_object() };
	struct listing l = { s, id, NULL, ops.names, 0 };
	struct rso_seg_writer *w = NULL;
	json_t *opinions = NULL, *op;
	char *casedir = NULL;
	size_t i, want;
	off_t size;
	int rc;

	if ((rc = manifest_open(&recs, dir, e)) != 0) {
		json_decref(ops.names);
		return rc;
	}
	if ((rc = rso_records_manifest(s, id, manifest_line, &recs, e)) != 0)
		goto out;
	if ((size = manifest_done(&recs)) < 0) {
		rc = rso_error_set(e, EX_IOERR, "%s: %s", dir, strerror(errno));
		goto out;
	}
	opinions = rso_export_opinions(s, id);
	json_array_foreach(opinions, i, op)
		opinion_line(op, &ops);
	want = recs.lines + json_object_size(ops.names);
	if ((w = rso_casearc_begin_in(s, id, dir, r, e)) == NULL) {
		rc = e->status;
		goto out;
	}
	casedir = rso_casearc_dir(s, id);
	l.find = rso_store_prepare(s, "SELECT name FROM records WHERE"
	    " case_id = ?1 AND item = ?2 AND held IS NULL");
	if ((rc = rso_seg_add_fd(w, "records.jsonl", fileno(recs.fp), size,
	    e)) != 0 ||
	    (rc = rso_seg_add_buf(w, "opinions.jsonl", ops.text ? ops.text : "",
	    ops.len, e)) != 0 ||
	    (rc = rso_seg_copy_latest(casedir, ids, w, listed, &l, e)) != 0 ||
	    (l.found != want && (rc = rso_error_set(e, EX_DATAERR, "%s: "
	    "archive: %zu indexed entr%s missing", id, want - l.found,
	    want - l.found == 1 ? "y is" : "ies are")) != 0)) {
		rso_seg_abort(w);
		goto out;
	}
	rc = rso_seg_commit_as(w, name, replace, e);
out:
	sqlite3_finalize(l.find);
	fclose(recs.fp);
	free(casedir);
	free(ops.text);
	json_decref(ops.names);
	json_decref(opinions);
	return rc;
}

/* Importing. */

struct import {
	struct rso_store *s;
	const char *path;		/* for messages */
	struct rso_seg_reader *rd;
	struct rso_seg_entry ent;
	unsigned long entry;		/* its number, from 1 */
	struct rso_seg_writer *w;
	char id[RSO_CASE_IDLEN];
	json_t *partner;		/* the partner's case.json */
	json_t *opinions;		/* name -> opinion line */
	/* The partner's records are indexed as pending as records.jsonl is
	 * read, a line at a time, and found again by their items as the
	 * archive gives them: listed of them, taken so far (and opinions). */
	size_t listed, taken;
	sqlite3_stmt *find;
	int next_item;			/* for the partner's opinions */
	size_t nops;			/* opinions taken so far */
	char names[64][128];		/* their new names */
	char dates[64][11];		/* their dates */
};

static int
refuse(struct import *im, struct rso_error *e, const char *what)
{
	return rso_error_set(e, EX_DATAERR, "%s: entry %lu: %s", im->path,
	    im->entry, what);
}

/* The next entry, which must be called name. */
static int
expect(struct import *im, const char *name, struct rso_error *e)
{
	char what[96];
	int got;

	if ((got = rso_seg_next(im->rd, &im->ent, e)) < 0)
		return e->status;
	im->entry++;
	if (got == 0 || strcmp(im->ent.name, name) != 0 || im->ent.isdir) {
		snprintf(what, sizeof(what), "expected %s", name);
		return refuse(im, e, what);
	}
	return 0;
}

/* The current entry into memory, NUL-terminated, if at most max bytes. */
static int
slurp(struct import *im, size_t max, char **out, struct rso_error *e)
{
	size_t len = 0;
	ssize_t n;
	char *buf;

	if (im->ent.size < 0 || (uint64_t)im->ent.size > max)
		return refuse(im, e, "too large");
	buf = rso_xmalloc((size_t)im->ent.size + 1);
	while ((n = rso_seg_read(im->rd, buf + len, (size_t)im->ent.size -
	    len + 1, e)) > 0)
		len += (size_t)n;
	if (n < 0) {
		free(buf);
		return e->status;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* Line n of an index, NUL-terminated, into *o: a JSON object with a
 * name, or the archive refused saying why, never quoting it. */
static int
line_object(struct import *im, const char *line, unsigned long n, json_t **o,
    struct rso_error *e)
{
	json_error_t jerr;
	char what[200], words[64];

	*o = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	if (json_is_object(*o) && rso_json_str(*o, "name") != NULL)
		return 0;
	snprintf(what, sizeof(what), "line %lu: %s", n, *o == NULL ?
	    rso_json_error_words(&jerr, words, sizeof(words)) :
	    !json_is_object(*o) ? "not an object" : "no name");
	json_decref(*o);
	*o = NULL;
	return refuse(im, e, what);
}

/* The current entry as JSON lines into by_name (name -> line): the
 * opinions, a few. */
static int
index_lines(struct import *im, json_t *by_name, struct rso_error *e)
{
	char *text, *line, *next, what[64];
	json_t *o;
	unsigned long n = 0;
	int rc;

	if ((rc = slurp(im, INDEX_MAX, &text, e)) != 0)
		return rc;
	for (line = text; rc == 0 && *line; line = next) {
		n++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if ((rc = line_object(im, line, n, &o, e)) != 0)
			break;
		if (json_object_get(by_name, rso_json_str(o, "name")) != NULL) {
			snprintf(what, sizeof(what), "line %lu: a name listed "
			    "twice", n);
			rc = refuse(im, e, what);
		} else
			json_object_set(by_name, rso_json_str(o, "name"), o);
		json_decref(o);
	}
	free(text);
	return rc;
}

/* One line of records.jsonl, NUL-terminated: checked, and its record
 * indexed as pending. */
static int
index_record(struct import *im, const char *line, unsigned long n,
    struct rso_error *e)
{
	struct rso_record r;
	char why[96], what[200];
	json_t *o;
	int rc;

	if ((rc = line_object(im, line, n, &o, e)) != 0)
		return rc;
	if (rso_record_from_manifest(o, &r, why, sizeof(why)) != 0) {
		snprintf(what, sizeof(what), "records.jsonl: %s", why);
		json_decref(o);
		return refuse(im, e, what);
	}
	/* Two lines of one item, bytes or instance: the store's own
	 * uniqueness says so. */
	if ((rc = rso_records_put_one(im->s, im->id, &r, e)) == EX_DATAERR) {
		snprintf(what, sizeof(what), "line %lu: a record listed twice "
		    "(its item, bytes or SOP instance)", n);
		rc = refuse(im, e, what);
	}
	if (rc == 0 && r.item >= im->next_item)
		im->next_item = r.item + 1;
	im->listed += rc == 0;
	json_decref(o);
	return rc;
}

/* A line of records.jsonl is far shorter: one record's columns. */
#define LINE_MAX_BYTES	(1 << 20)

/* records.jsonl, the current entry, a line at a time, of any length. */
static int
index_records(struct import *im, struct rso_error *e)
{
	char *chunk = rso_xmalloc(64 * 1024), *line = NULL, *nl;
	size_t len = 0, cap = 0, k, take;
	unsigned long n = 0;
	ssize_t got;
	int rc = 0;

	while (rc == 0 && (got = rso_seg_read(im->rd, chunk, 64 * 1024,
	    e)) > 0) {
		for (k = 0; rc == 0 && k < (size_t)got; k += take) {
			nl = memchr(chunk + k, '\n', (size_t)got - k);
			take = nl ? (size_t)(nl - (chunk + k)) + 1 :
			    (size_t)got - k;
			if (len + take + 1 > cap) {
				cap = (len + take + 1) * 2;
				line = rso_xrealloc(line, cap);
			}
			memcpy(line + len, chunk + k, take);
			len += take;
			if (len > LINE_MAX_BYTES) {
				char what[64];

				snprintf(what, sizeof(what), "line %lu: too long",
				    n + 1);
				rc = refuse(im, e, what);
			} else if (nl != NULL) {
				line[len - 1] = '\0';
				rc = index_record(im, line, ++n, e);
				len = 0;
			}
		}
	}
	if (rc == 0 && got < 0)
		rc = e->status;
	if (rc == 0 && len > 0) {
		line[len] = '\0';
		rc = index_record(im, line, ++n, e);
	}
	free(line);
	free(chunk);
	return rc;
}

static int
check_opinions(struct import *im, struct rso_error *e)
{
	const char *k;
	json_t *v;

	json_object_foreach(im->opinions, k, v)
		if (strncmp(k, "opinion/", 8) != 0 || !rso_seg_name_ok(k) ||
		    rso_json_str(v, "sha256") == NULL ||
		    rso_json_str(v, "media_type") == NULL)
			return refuse(im, e, "opinions.jsonl: an opinion needs an "
			    "opinion/ name, a sha256 and a media type");
	if (json_object_size(im->opinions) > 64)
		return refuse(im, e, "opinions.jsonl: more than 64 opinions");
	return 0;
}

static void
report_first(void *ctx, const char *msg)
{
	char *first = ctx;

	if (first[0] == '\0')
		snprintf(first, 200, "%s", msg);
}

/*
 * The partner's case.json: a new case from its request (or the existing
 * one with the same ref and content), and its consent when still valid.
 */
static int
create_case(struct import *im, json_t **out, struct rso_error *e)
{
	const json_t *req = json_object_get(im->partner, "request");
	const json_t *k = json_object_get(im->partner, "consent");
	char hash[RSO_SHA256_HEXLEN], old[RSO_SHA256_HEXLEN], status[32];
	char first[200] = "", what[240], *canon;
	rso_time_t exp;
	int rc;

	if (!json_is_object(req))
		return refuse(im, e, "case.json: no request");
	if (rso_request_check(req, im->s, rso_now(), report_first, first)) {
		snprintf(what, sizeof(what), "case.json: request: %s", first);
		return refuse(im, e, what);
	}
	canon = rso_json_canonical(req);
	rso_sha256_hex(canon, strlen(canon), hash);
	rc = rso_case_by_ref(im->s, rso_json_str(req, "ref"), im->id, old,
	    status, e);
	if (rc == 0 && strcmp(old, hash) == 0) {
		free(canon);
		*out = json_pack("{s:s, s:s, s:b}", "case", im->id, "ref",
		    rso_json_str(req, "ref"), "existing", 1);
		return 0;
	}
	if (rc == 0) {
		free(canon);
		return rso_error_set(e, EX_DATAERR, "%s: ref: already used by %s "
		    "with different content", im->path, im->id);
	}
	if (rc == 1)
		rc = rso_case_create(im->s, req, canon, hash, im->id, e);
	free(canon);
	if (rc != 0)
		return rc;
	/* A consent that has run out is not carried: staff ask again. */
	if (json_is_object(k) && rso_json_str(k, "expires") &&
	    rso_time_parse(rso_json_str(k, "expires"), &exp) == 0 &&
	    exp > rso_now() && json_is_array(json_object_get(k, "providers")))
		rc = rso_consent_record(im->s, im->id, json_object_get(k,
		    "providers"), rso_json_str(k, "expires"), rso_json_str(k,
		    "signed_by"), rso_json_str(k, "signed"), e);
	return rc;
}

/* Copy the current entry as name, checking it against size and sha256. */
static int
copy_checked(struct import *im, const char *name, long long size,
    const char *sha256, struct rso_error *e)
{
	char got[RSO_SHA256_HEXLEN];
	int rc;

	if (im->ent.size != size)
		return refuse(im, e, "size differs from the index");
	if ((rc = rso_seg_add_entry(im->w, name, im->rd, &im->ent, got, e)) != 0)
		return rc;
	if (strcmp(got, sha256) != 0)
		return refuse(im, e, "SHA-256 differs from the index");
	return 0;
}

/* A record listed, found by the item its name begins with: 1 when it
 * is taken, 0 when it is not listed. */
static int
take_record(struct import *im, int *taken, struct rso_error *e)
{
	const char *name = im->ent.name;
	char sha256[RSO_SHA256_HEXLEN];
	long long size = 0;
	int rc, item = record_item(name);

	*taken = 0;
	if (item == 0)
		return 0;
	sqlite3_bind_text(im->find, 1, im->id, -1, SQLITE_STATIC);
	sqlite3_bind_int(im->find, 2, item);
	if ((rc = sqlite3_step(im->find)) == SQLITE_ROW &&
	    strcmp(rso_store_col(im->find, 0), name) == 0) {
		size = sqlite3_column_int64(im->find, 1);
		snprintf(sha256, sizeof(sha256), "%s", rso_store_col(im->find, 2));
		*taken = 1;
	}
	sqlite3_reset(im->find);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rso_store_sqlerr(im->s, rc, e);
	if (!*taken)
		return 0;
	if ((rc = copy_checked(im, name, size, sha256, e)) != 0)
		return rc;
	im->taken++;
	return 0;
}

/* A partner's opinion becomes a record of type opinion, numbered after
 * the partner's records. */
static int
take_opinion(struct import *im, const json_t *line, struct rso_error *e)
{
	struct rso_record rec, *r = &rec;
	char *name = im->names[im->nops], slug[48], label[64];
	const char *mt = rso_json_str(line, "media_type");
	const char *recorded = rso_json_str(line, "recorded");
	json_t *size = json_object_get(line, "size");
	int rc;

	snprintf(label, sizeof(label), "opinion %s", rso_json_str(line, "role") ?
	    rso_json_str(line, "role") : "");
	rso_slug(label, slug, sizeof(slug));
	snprintf(name, sizeof(im->names[0]), "records/%04d-%s.%s",
	    im->next_item, slug, rso_media_ext(mt));
	if ((rc = copy_checked(im, name, json_is_integer(size) ?
	    json_integer_value(size) : im->ent.size, rso_json_str(line,
	    "sha256"), e)) != 0)
		return rc;
	memset(r, 0, sizeof(*r));
	r->item = im->next_item++;
	r->name = name;
	r->type = "opinion";
	r->source = "partner";
	/* The record's date is the day the opinion was recorded. */
	if (recorded != NULL && strlen(recorded) >= 10) {
		snprintf(im->dates[im->nops], sizeof(im->dates[0]), "%.10s",
		    recorded);
		r->date = im->dates[im->nops];
	}
	r->sha256 = rso_json_str(line, "sha256");
	r->media_type = mt;
	r->size = im->ent.size;
	if ((rc = rso_records_put_one(im->s, im->id, r, e)) != 0)
		return rc;
	im->taken++;
	im->nops++;
	return 0;
}

/* The records and opinions, each once, each listed. */
static int
take_contents(struct import *im, struct rso_error *e)
{
	json_t *line;
	int got, rc = 0, taken;
	size_t want = im->listed + json_object_size(im->opinions);

	im->find = rso_store_prepare(im->s, "SELECT name, size, sha256 FROM"
	    " records WHERE case_id = ?1 AND item = ?2 AND segment = ''");
	while (rc == 0 && (got = rso_seg_next(im->rd, &im->ent, e)) > 0) {
		im->entry++;
		if (im->ent.isdir)
			continue;
		if ((rc = take_record(im, &taken, e)) != 0 || taken)
			continue;
		if ((line = json_object_get(im->opinions,
		    im->ent.name)) != NULL)
			rc = take_opinion(im, line, e);
		else
			rc = refuse(im, e, "not in records.jsonl or opinions.jsonl");
	}
	if (rc == 0 && got < 0)
		rc = e->status;
	/* The reader refuses a name twice, so a count tells all arrived. */
	if (rc == 0 && im->taken != want)
		rc = rso_error_set(e, EX_DATAERR, "%s: %zu indexed entries are "
		    "not in the archive", im->path, want - im->taken);
	return rc;
}

/* Index what was filed and say where it came from. */
static int
index_import(struct import *im, const struct rso_seg_sum *sum, json_t **out,
    struct rso_error *e)
{
	struct rso_state st;
	json_t *data, *ev;
	int rc = 0;

	if (im->taken > 0 && (rc = rso_records_filed(im->s, im->id, sum->name,
	    NULL, e)) != 0)
		return rc;
	data = json_pack("{s:s?, s:I, s:I}", "from", rso_json_str(im->partner,
	    "case"), "records", (json_int_t)(im->taken - im->nops), "opinions",
	    (json_int_t)im->nops);
	/* The one segment of an import is recorded by case.imported. */
	ev = json_deep_copy(data);
	if ((rc = rso_casearc_bind(im->s, im->id, sum, ev, e)) == 0)
		rc = rso_case_event(im->s, im->id, "case.imported", ev, e);
	json_decref(ev);
	if (rc == 0 && (rc = rso_case_state(im->s, im->id, &st, e)) == 0) {
		*out = json_pack("{s:s, s:s, s:s, s:o}", "case", im->id, "ref",
		    rso_json_str(im->partner, "request.ref"), "status",
		    rso_status_name(st.status), "imported", data);
		return 0;
	}
	json_decref(data);
	return rc;
}

/* The partner's case.json: parsed, and kept as text for partner/. */
static int
read_partner(struct import *im, char **text, struct rso_error *e)
{
	json_error_t jerr;
	char what[200], words[64];
	int rc;

	if ((rc = expect(im, "case.json", e)) != 0 ||
	    (rc = slurp(im, CASE_MAX, text, e)) != 0)
		return rc;
	im->partner = json_loads(*text, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(im->partner)) {
		snprintf(what, sizeof(what), "case.json: %s", im->partner ?
		    "not an object" : rso_json_error_words(&jerr, words,
		    sizeof(words)));
		return refuse(im, e, what);
	}
	return 0;
}

/* Into the new case's first segment: the partner's history, the indexes
 * checked, then every record and opinion. */
static int
import_body(struct import *im, const char *partner, struct rso_error *e)
{
	struct rso_age_recipients *r = NULL;
	int rc;

	if ((rc = rso_casearc_recipients(im->s, &r, e)) != 0)
		return rc;
	im->w = rso_casearc_begin(im->s, im->id, r, e);
	rso_age_recipients_free(r);
	if (im->w == NULL)
		return e->status;
	if ((rc = rso_seg_add_buf(im->w, "partner/case.json", partner,
	    strlen(partner), e)) != 0 ||
	    (rc = expect(im, "events.jsonl", e)) != 0 ||
	    (rc = rso_seg_add_entry(im->w, "partner/events.jsonl", im->rd,
	    &im->ent, NULL, e)) != 0 ||
	    (rc = expect(im, "records.jsonl", e)) != 0 ||
	    (rc = index_records(im, e)) != 0 ||
	    (rc = expect(im, "opinions.jsonl", e)) != 0 ||
	    (rc = index_lines(im, im->opinions, e)) != 0 ||
	    (rc = check_opinions(im, e)) != 0)
		return rc;
	return take_contents(im, e);
}

/* Undo a segment that was written for an import the store did not take. */
static void
drop_segment(struct import *im, const char *seg)
{
	char *dir = rso_casearc_dir(im->s, im->id), *path;

	if (seg != NULL) {
		path = rso_xasprintf("%s/%s", dir, seg);
		unlink(path);
		free(path);
	}
	path = rso_xasprintf("%s/.lock", dir);
	unlink(path);
	free(path);
	rmdir(dir);
	free(dir);
}

int
rso_transfer_import(struct rso_store *s, const char *path,
    const struct rso_age_identities *ids, json_t **out, struct rso_error *e)
{
	struct import *im = rso_xcalloc(1, sizeof(*im));
	const char *base = strrchr(path, '/');
	char *partner = NULL, *seg = NULL;
	struct rso_seg_sum sum;
	int rc, lock = -1;

	*out = NULL;
	im->s = s;
	im->path = base ? base + 1 : path;
	im->opinions = json_object();
	im->next_item = 1;
	if ((im->rd = rso_seg_open(path, ids, e)) == NULL) {
		rc = e->status;
		goto out;
	}
	if ((rc = read_partner(im, &partner, e)) != 0 ||
	    (rc = rso_store_begin(s, e)) != 0)
		goto out;
	if ((rc = create_case(im, out, e)) != 0 || *out != NULL) {
		rso_store_rollback(s);
		goto out;
	}
	/* Like every writer of a case's archive, under its lock. */
	if ((lock = rso_casearc_lock(s, im->id, e)) < 0)
		rc = e->status;
	else if ((rc = import_body(im, partner, e)) == 0) {
		rc = rso_seg_commit_sum(im->w, &seg, &sum, e);
		im->w = NULL;
	}
	if (rc == 0 && (rc = index_import(im, &sum, out, e)) == 0)
		rc = rso_store_commit(s, e);
	if (rc != 0) {
		if (im->w != NULL)
			rso_seg_abort(im->w);
		rso_store_rollback(s);
		drop_segment(im, seg);
		json_decref(*out);
		*out = NULL;
	}
	rso_casearc_unlock(lock);
out:
	rso_seg_close(im->rd);
	free(partner);
	free(seg);
	sqlite3_finalize(im->find);
	json_decref(im->partner);
	json_decref(im->opinions);
	free(im);
	return rc;
}
