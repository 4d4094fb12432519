/* rso-collect: filing files into a case, shared by add and inbox. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filing.h"
#include "rso_case.h"
#include "rso_casearc.h"
#include "rso_media.h"
#include "rso_records.h"
#include "verbs.h"

int
filing_survey(struct filing_item *it, int fd, const char *where,
    struct rso_error *e)
{
	long long size;

	memset(it, 0, sizeof(*it));
	it->fd = fd;
	snprintf(it->where, sizeof(it->where), "%s", where);
	if (rso_file_survey(fd, it->sha256, &size, &it->media_type) != 0)
		return rso_error_set(e, EX_IOERR, "%s: %s", where,
		    strerror(errno));
	it->size = (off_t)size;
	return 0;
}

void
filing_release(struct filing_item *it)
{
	if (it->fd >= 0)
		close(it->fd);
	it->fd = -1;
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

void
filing_dedupe(struct rso_store *s, const char *id, struct filing_item *it,
    size_t *n)
{
	size_t i, j, kept = 0;
	int known;
	char item[16];

	for (i = 0; i < *n; i++) {
		known = rso_records_known(s, id, it[i].sha256, NULL);
		for (j = 0; !known && j < kept; j++)
			if (strcmp(it[j].sha256, it[i].sha256) == 0)
				known = it[j].item ? it[j].item : -1;
		if (known) {
			if (known > 0) {
				snprintf(item, sizeof(item), "%04d", known);
				collect_emit(json_pack("{s:s, s:s, s:b}", "case", id,
				    "item", item, "existing", 1));
			}
			filing_release(&it[i]);
			continue;
		}
		it[kept++] = it[i];
	}
	*n = kept;
}

static const char *
type_of(const struct filing_item *it, const struct filing_meta *m)
{
	if (m->type)
		return m->type;
	return strcmp(it->media_type, "application/dicom") == 0 ? "imaging" :
	    "other";
}

static int
write_segment(struct rso_store *s, const char *id, struct filing_item *it,
    size_t n, const struct filing_meta *m, char **seg, struct rso_error *e)
{
	struct rso_age_recipients *r = NULL;
	struct rso_seg_writer *w;
	char slug[64], label[160];
	size_t i;
	int rc, first;

	if ((rc = rso_casearc_recipients(s, &r, e)) != 0)
		return rc;
	if ((w = rso_casearc_begin(s, id, r, e)) == NULL) {
		rso_age_recipients_free(r);
		return e->status;
	}
	first = rso_records_next_item(s, id);
	for (i = 0; i < n; i++) {
		it[i].item = first + (int)i;
		snprintf(label, sizeof(label), "%s %s", type_of(&it[i], m),
		    m->source ? m->source : "");
		rso_slug(label, slug, sizeof(slug));
		snprintf(it[i].name, sizeof(it[i].name), "records/%04d-%s.%s",
		    it[i].item, slug, rso_media_ext(it[i].media_type));
		if (lseek(it[i].fd, 0, SEEK_SET) != 0) {
			rc = rso_error_set(e, EX_IOERR, "%s: %s", it[i].where,
			    strerror(errno));
			break;
		}
		if ((rc = rso_seg_add_fd(w, it[i].name, it[i].fd, it[i].size,
		    e)) != 0)
			break;
	}
	if (rc != 0)
		rso_seg_abort(w);
	else
		rc = rso_seg_commit(w, seg, e);
	rso_age_recipients_free(r);
	return rc;
}

static int
index_items(struct rso_store *s, const char *id, struct filing_item *it,
    size_t n, const struct filing_meta *m, const char *seg,
    struct rso_error *e)
{
	struct rso_record *recs = rso_xcalloc(n, sizeof(*recs));
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		recs[i].item = it[i].item;
		recs[i].name = it[i].name;
		recs[i].segment = seg;
		recs[i].type = type_of(&it[i], m);
		recs[i].source = m->source;
		recs[i].date = m->date;
		recs[i].sha256 = it[i].sha256;
		recs[i].media_type = it[i].media_type;
		recs[i].size = it[i].size;
		recs[i].request_token = i == 0 ? m->request : NULL;
	}
	if ((rc = rso_store_begin(s, e)) == 0 &&
	    (rc = rso_records_put(s, id, recs, n, e)) == 0)
		rc = rso_store_commit(s, e);
	if (rc != 0)
		rso_store_rollback(s);
	free(recs);
	return rc;
}

int
filing_commit(struct rso_store *s, const char *id, struct filing_item *it,
    size_t n, const struct filing_meta *m, struct rso_error *e)
{
	char *seg = NULL;
	size_t i;
	int rc, lock;

	if (n == 0)
		return 0;
	/* One writer per case archive at a time: item numbers stay unique. */
	if ((lock = rso_casearc_lock(s, id, e)) < 0)
		return e->status;
	/* Filed by another run while we waited for the lock? */
	filing_dedupe(s, id, it, &n);
	rc = n ? write_segment(s, id, it, n, m, &seg, e) : 0;
	if (rc == 0 && n)
		rc = index_items(s, id, it, n, m, seg, e);
	rso_casearc_unlock(lock);
	for (i = 0; rc == 0 && i < n; i++)
		rc = collect_emit(json_pack("{s:s, s:o, s:s, s:s, s:s, s:I, s:s}",
		    "case", id, "item", json_sprintf("%04d", it[i].item),
		    "name", it[i].name, "type", type_of(&it[i], m),
		    "media_type", it[i].media_type, "size",
		    (json_int_t)it[i].size, "sha256", it[i].sha256));
	free(seg);
	return rc;
}
