/* rso-collect: filing files into a case, shared by add and inbox. */
/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drop.h"
#include "filing.h"
#include "rso_case.h"
#include "rso_casearc.h"
#include "rso_media.h"
#include "rso_records.h"
#include "verbs.h"

int
filing_openat(int dirfd, const char *name, struct stat *st)
{
	struct stat now;
	int fd;

	/* Look before opening: opening a device or FIFO can act on it. */
	if (fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) != 0)
		return -1;
	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
		return -2;
	fd = openat(dirfd, name, (S_ISDIR(st->st_mode) ? O_DIRECTORY : 0) |
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		/* Replaced by a link since we looked. */
		if (errno == ELOOP || errno == ENOTDIR) {
			st->st_mode = S_IFLNK;
			return -2;
		}
		return -1;
	}
	/* What was opened is what was looked at, or it is left alone. */
	if (fstat(fd, &now) != 0 || now.st_dev != st->st_dev ||
	    now.st_ino != st->st_ino) {
		close(fd);
		st->st_mode = S_IFLNK;
		return -2;
	}
	*st = now;
	return fd;
}

int
filing_changed(const struct filing_item *it)
{
	struct stat now;

	if (it->watch_fd < 0)
		return 0;
	if (fstat(it->watch_fd, &now) != 0)
		return 1;
	return now.st_size != it->watch.st_size ||
	    now.st_mtim.tv_sec != it->watch.st_mtim.tv_sec ||
	    now.st_mtim.tv_nsec != it->watch.st_mtim.tv_nsec ||
	    now.st_ctim.tv_sec != it->watch.st_ctim.tv_sec ||
	    now.st_ctim.tv_nsec != it->watch.st_ctim.tv_nsec;
}

/* Hash, size and media type, read through; errno on failure. */
static int
read_whole(struct filing_item *it, struct rso_error *e)
{
	long long size;

	if (rso_file_survey(it->fd, it->sha256, &size, &it->media_type) != 0)
		return rso_error_set(e, EX_IOERR, "%s: %s", it->where,
		    strerror(errno));
	it->size = (off_t)size;
	return 0;
}

/* The item of fd, stat'ed: a write after this shows, one before is read. */
static int
survey_start(struct filing_item *it, int fd, const char *where,
    struct rso_error *e)
{
	memset(it, 0, sizeof(*it));
	it->fd = fd;
	it->watch_fd = fd;
	snprintf(it->where, sizeof(it->where), "%s", where);
	if (fstat(fd, &it->watch) != 0)
		return rso_error_set(e, EX_IOERR, "%s: %s", where,
		    strerror(errno));
	return 0;
}

int
filing_survey(struct filing_item *it, int fd, const char *where,
    struct rso_error *e)
{
	if (survey_start(it, fd, where, e) != 0 || read_whole(it, e) != 0)
		return EX_IOERR;
	return filing_dicom(it, e);
}

int
filing_survey_header(struct filing_item *it, int fd, const char *where,
    struct rso_error *e)
{
	int rc;

	if (survey_start(it, fd, where, e) != 0)
		return EX_IOERR;
	/* An instance is read once more, as it is filed: hashed then. */
	if ((rc = filing_dicom(it, e)) == 0 && it->dicom != NULL) {
		it->size = it->watch.st_size;
		return 0;
	}
	/* Not an instance (or a broken one, rc): surveyed as any file. */
	if (read_whole(it, e) != 0)
		return EX_IOERR;
	return rc;
}

void
filing_release(struct filing_item *it)
{
	if (it->fd >= 0 && it->lender != NULL)
		drop_spool_return(it->lender, it->fd);
	else if (it->fd >= 0)
		close(it->fd);
	it->fd = -1;
	it->lender = NULL;
	free(it->dicom);
	it->dicom = NULL;
	free(it->doc);
	it->doc = NULL;
}

int
filing_case_ready(struct rso_store *s, const char *id, struct rso_error *e)
{
	struct rso_state st;
	int rc;

	if ((rc = rso_case_state(s, id, &st, e)) != 0)
		return rc;
	if (!rso_status_is_open(st.status) ||
	    st.status == RSO_ST_AWAITING_CONSENT)
		return rso_error_set(e, EX_DATAERR, "%s: cannot add records to a "
		    "case that is %s", id, rso_status_name(st.status));
	return 0;
}

static const char *
sop_of(const struct filing_item *it)
{
	return it->dicom ? it->dicom->sop_instance_uid : NULL;
}

/*
 * The same content, or the same DICOM instance in another file.  An
 * instance whose hash waits for its filing ("") is known by its UID.
 */
static int
same(const struct filing_item *a, const struct filing_item *b)
{
	if (a->sha256[0] && strcmp(a->sha256, b->sha256) == 0)
		return 1;
	return a->dicom && b->dicom && strcmp(a->dicom->sop_instance_uid,
	    b->dicom->sop_instance_uid) == 0;
}

static const char *
sha_of(const struct filing_item *it)
{
	return it->sha256[0] ? it->sha256 : NULL;
}

/* An item dropped as a repeat of an earlier one of its batch. */
struct dup {
	char where[64];
	char sha256[RSO_SHA256_HEXLEN];
	size_t of;		/* the index of the kept item it repeats */
	int item;		/* or the case's item, when that one was known */
};

/* What a dropped item becomes: a repeat of the kept item of index of. */
static int
add_dup(struct filing_item *it, size_t of, struct dup **dups, size_t *ndups,
    struct rso_error *e)
{
	struct dup *d;

	/* Printed with its hash: one put off is taken now. */
	if (it->sha256[0] == '\0' && read_whole(it, e) != 0)
		return e->status;
	*dups = rso_xrealloc(*dups, (*ndups + 1) * sizeof(**dups));
	d = &(*dups)[(*ndups)++];
	snprintf(d->where, sizeof(d->where), "%s", it->where);
	memcpy(d->sha256, it->sha256, sizeof(d->sha256));
	d->of = of;
	d->item = 0;
	return 0;
}

/*
 * Drop the items the case already has (printing {"case","item",
 * "existing":true}) and those that repeat an earlier item of the batch
 * (kept in *dups, printed once the earlier one has its number); *n
 * shrinks to the new ones.  Run again once hashes put off are known, it
 * keeps the repeats already in *dups pointing at what they repeat.
 * 0, or EX_IOERR with e filled.
 */
static int
dedupe(struct rso_store *s, const char *id, struct filing_item *it,
    size_t *n, struct dup **dups, size_t *ndups, struct rso_error *e)
{
	size_t *to = rso_xcalloc(*n ? *n : 1, sizeof(*to));
	int *was = rso_xcalloc(*n ? *n : 1, sizeof(*was));
	size_t i, j, kept = 0, before = *ndups;
	int known, rc = 0;
	char item[16];

	for (i = 0; i < *n; i++) {
		known = rso_records_known(s, id, sha_of(&it[i]), sop_of(&it[i]));
		for (j = 0; !known && j < kept; j++)
			if (same(&it[j], &it[i]))
				break;
		if (!known && j == kept) {
			to[i] = kept;
			it[kept++] = it[i];
			continue;
		}
		to[i] = j;
		was[i] = known;
		if (known) {
			snprintf(item, sizeof(item), "%04d", known);
			collect_emit(json_pack("{s:s, s:s, s:b}", "case", id,
			    "item", item, "existing", 1));
		} else if (rc == 0)
			rc = add_dup(&it[i], j, dups, ndups, e);
		filing_release(&it[i]);
	}
	/* What an earlier round's repeats pointed at has moved, or gone. */
	for (i = 0; i < before; i++)
		if ((*dups)[i].item == 0 && was[(*dups)[i].of])
			(*dups)[i].item = was[(*dups)[i].of];
		else if ((*dups)[i].item == 0)
			(*dups)[i].of = to[(*dups)[i].of];
	/* The slots past the kept ones hold moved copies: not theirs to free. */
	for (i = kept; i < *n; i++) {
		it[i].fd = -1;
		it[i].dicom = NULL;
		it[i].doc = NULL;
	}
	*n = kept;
	free(to);
	free(was);
	return rc;
}

/*
 * Whether an item hashed as it was filed turns out to be one the case
 * holds by content but not by UID (a record filed as a plain file, by a
 * version that did not read it as DICOM): the segment is then written
 * again without it.  Within the batch no such repeat can hide: the same
 * bytes carry the same UID, and dedupe caught them before writing.
 */
static int
late_repeat(struct rso_store *s, const char *id, const struct filing_item *it,
    size_t n, const unsigned char *late)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (late[i] && rso_records_known(s, id, it[i].sha256, NULL))
			return 1;
	return 0;
}

/* What staff said in a sidecar wins over what a document says of itself. */
static const char *
type_of(const struct filing_item *it, const struct filing_meta *m)
{
	if (it->dicom)
		return "imaging";
	if (m->type)
		return m->type;
	if (it->doc && it->doc->type[0])
		return it->doc->type;
	return strcmp(it->media_type, "application/dicom") == 0 ? "imaging" :
	    "other";
}

/* Where the record came from: the sidecar's word, else the document's. */
static const char *
source_of(const struct filing_item *it, const struct filing_meta *m)
{
	if (m->source)
		return m->source;
	return it->doc ? it->doc->source : "";
}

/*
 * Add each item to the segment.  An instance whose hash was put off is
 * hashed as it is added (late[i] set): one read of its bytes.
 */
static int
add_items(struct rso_seg_writer *w, struct filing_item *it, size_t n,
    unsigned char *late, struct rso_error *e)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < n; i++) {
		if (lseek(it[i].fd, 0, SEEK_SET) != 0)
			return rso_error_set(e, EX_IOERR, "%s: %s", it[i].where,
			    strerror(errno));
		late[i] = it[i].sha256[0] == '\0';
		rc = late[i] ? rso_seg_add_fd_sum(w, it[i].name, it[i].fd,
		    it[i].size, it[i].sha256, e) : rso_seg_add_fd(w, it[i].name,
		    it[i].fd, it[i].size, e);
	}
	rso_seg_sums_wait(w);
	return rc;
}

static void
name_items(struct rso_store *s, const char *id, struct filing_item *it,
    size_t n, const struct filing_meta *m)
{
	char slug[64], label[320];
	size_t i;
	int first = rso_records_next_item(s, id);

	for (i = 0; i < n; i++) {
		it[i].item = first + (int)i;
		snprintf(label, sizeof(label), "%s %s %s", type_of(&it[i], m),
		    it[i].dicom ? it[i].dicom->modality : "", source_of(&it[i],
		    m));
		rso_slug(label, slug, sizeof(slug));
		snprintf(it[i].name, sizeof(it[i].name), "records/%04d-%s.%s",
		    it[i].item, slug, rso_media_ext(it[i].media_type));
	}
}

/*
 * Write the items as a new segment.  *again is set (and nothing written)
 * when a hash taken as the items were written shows a repeat: dedupe
 * must run again, now that every hash is known.
 */
static int
write_segment(struct rso_store *s, const char *id, struct filing_item *it,
    size_t n, const struct filing_meta *m, char **seg,
    struct rso_seg_sum *sum, int *again, struct rso_error *e)
{
	struct rso_age_recipients *r = NULL;
	struct rso_seg_writer *w;
	unsigned char *late;
	size_t i;
	int rc;

	*again = 0;
	if ((rc = rso_casearc_recipients(s, &r, e)) != 0)
		return rc;
	if ((w = rso_casearc_begin(s, id, r, e)) == NULL) {
		rso_age_recipients_free(r);
		return e->status;
	}
	name_items(s, id, it, n, m);
	late = rso_xcalloc(n, 1);
	rc = add_items(w, it, n, late, e);
	/* Written whole, and still what was surveyed: else not at all (a
	 * file that grew or shrank is still being written, not bad). */
	for (i = 0; (rc == 0 || rc == EX_DATAERR) && i < n; i++)
		if (filing_changed(&it[i]))
			rc = rso_error_set(e, EX_TEMPFAIL, "%s: changed while "
			    "being filed", it[i].where);
	if (rc == 0 && late_repeat(s, id, it, n, late))
		*again = 1;
	if (rc != 0 || *again)
		rso_seg_abort(w);
	else
		rc = rso_seg_commit_sum(w, seg, sum, e);
	/* An add that failed leaves the hashes put off unknown. */
	for (i = 0; rc != 0 && i < n; i++)
		if (late[i])
			it[i].sha256[0] = '\0';
	free(late);
	rso_age_recipients_free(r);
	if (rc == EX_IOERR) {
		/* Name the case whose archive could not be written. */
		char why[sizeof(e->msg)];

		snprintf(why, sizeof(why), "%s", e->msg);
		rso_error_set(e, rc, "%s: archive: %s", id, why);
	}
	return rc;
}

static const char *
nonempty(const char *s)
{
	return *s ? s : NULL;
}

/* A document's own date, source, identifier and request token. */
static void
index_doc(struct rso_store *s, const char *id, const struct filing_item *it,
    struct rso_record *r)
{
	const struct rso_doc_info *d = it->doc;
	char tokcase[RSO_CASE_IDLEN];
	int i;

	if (r->date == NULL)
		r->date = nonempty(d->date);
	if (r->source == NULL)
		r->source = nonempty(d->source);
	/* The identifier a later document of the same patient is matched
	 * by: the first one whose issuer is named. */
	for (i = 0; i < d->patient.nid; i++)
		if (d->patient.id[i].system[0]) {
			r->pid_system = d->patient.id[i].system;
			r->pid_value = d->patient.id[i].value;
			break;
		}
	/* Its token answers its request, when the request is this case's. */
	if (r->request_token == NULL && d->token[0] &&
	    rso_records_request_case(s, d->token, tokcase) == 0 &&
	    strcmp(tokcase, id) == 0)
		r->request_token = d->token;
}

static int
index_items(struct rso_store *s, const char *id, struct filing_item *it,
    size_t n, const struct filing_meta *m, const struct rso_seg_sum *sum,
    struct rso_error *e)
{
	struct rso_record *recs = rso_xcalloc(n, sizeof(*recs));
	char (*dates)[11] = rso_xcalloc(n, sizeof(*dates));
	struct rso_dicom_info *d;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		recs[i].item = it[i].item;
		recs[i].name = it[i].name;
		recs[i].segment = sum->name;
		recs[i].type = type_of(&it[i], m);
		recs[i].source = m->source;
		recs[i].date = m->date;
		recs[i].sha256 = it[i].sha256;
		recs[i].media_type = it[i].media_type;
		recs[i].size = it[i].size;
		recs[i].request_token = i == 0 ? m->request : NULL;
		recs[i].held = it[i].held;
		if (it[i].doc != NULL)
			index_doc(s, id, &it[i], &recs[i]);
		if ((d = it[i].dicom) == NULL)
			continue;
		recs[i].study_uid = d->study_instance_uid;
		recs[i].series_uid = d->series_instance_uid;
		recs[i].sop_uid = d->sop_instance_uid;
		recs[i].modality = nonempty(d->modality);
		recs[i].body_part = nonempty(d->body_part_examined);
		recs[i].study_desc = nonempty(d->study_description);
		if (rso_dicom_da_to_iso(d->study_date, dates[i]) == 0)
			recs[i].study_date = dates[i];
		/* A study's date is the record's, unless told otherwise. */
		if (recs[i].date == NULL)
			recs[i].date = recs[i].study_date;
	}
	if ((rc = rso_store_begin(s, e)) == 0 &&
	    (rc = rso_records_put(s, id, recs, n, sum, e)) == 0)
		rc = rso_store_commit(s, e);
	if (rc != 0)
		rso_store_rollback(s);
	free(recs);
	free(dates);
	return rc;
}

/* What add and inbox print for each item filed (or held). */
static json_t *
filed_line(const char *id, const struct filing_item *it,
    const struct filing_meta *m)
{
	json_t *o = json_pack("{s:s, s:o, s:s, s:s, s:s, s:I, s:s}", "case", id,
	    "item", json_sprintf("%04d", it->item), "name", it->name, "type",
	    type_of(it, m), "media_type", it->media_type, "size",
	    (json_int_t)it->size, "sha256", it->sha256);

	if (it->dicom) {
		json_object_set_new(o, "study",
		    json_string(it->dicom->study_instance_uid));
		json_object_set_new(o, "sop",
		    json_string(it->dicom->sop_instance_uid));
	}
	if (it->held)
		json_object_set_new(o, "held", json_string(it->held));
	return o;
}

/* Dedupe, check, write and index: the batch filed, under the lock. */
static int
file_new(struct rso_store *s, const char *id, struct filing_item *it,
    size_t *n, const struct filing_meta *m, struct dup **dups,
    size_t *ndups, struct rso_error *e)
{
	struct rso_seg_sum sum;
	char *seg = NULL;
	int rc, again;

	/* Under the lock: what another run filed while we waited is known. */
	if ((rc = dedupe(s, id, it, n, dups, ndups, e)) != 0 || *n == 0)
		return rc;
	filing_check_patients(s, id, it, *n);
	rc = write_segment(s, id, it, *n, m, &seg, &sum, &again, e);
	/* Every hash known now: nothing is put off the second time. */
	if (rc == 0 && again) {
		if ((rc = dedupe(s, id, it, n, dups, ndups, e)) != 0 || *n == 0)
			return rc;
		rc = write_segment(s, id, it, *n, m, &seg, &sum, &again, e);
	}
	if (rc == 0)
		rc = index_items(s, id, it, *n, m, &sum, e);
	free(seg);
	return rc;
}

int
filing_commit(struct rso_store *s, const char *id, struct filing_item *it,
    size_t n, const struct filing_meta *m, struct rso_error *e)
{
	struct dup *dups = NULL, *d;
	size_t i, ndups = 0;
	int rc, lock;

	if (n == 0)
		return 0;
	/* One writer per case archive at a time: item numbers stay unique. */
	if ((lock = rso_casearc_lock(s, id, e)) < 0)
		return e->status;
	rc = file_new(s, id, it, &n, m, &dups, &ndups, e);
	rso_casearc_unlock(lock);
	for (i = 0; rc == 0 && i < n; i++)
		rc = collect_emit(filed_line(id, &it[i], m));
	for (i = 0; rc == 0 && i < ndups; i++) {
		d = &dups[i];
		rc = collect_emit(json_pack("{s:s, s:o, s:s, s:s}", "case", id,
		    "duplicate_of", json_sprintf("%04d", d->item ? d->item :
		    it[d->of].item), "where", d->where, "sha256", d->sha256));
	}
	free(dups);
	return rc;
}
