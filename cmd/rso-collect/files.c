/* rso-collect: add and cat -- records into and out of the case archive. */
/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rso_case.h"
#include "rso_casearc.h"
#include "rso_err.h"
#include "rso_event.h"
#include "rso_hash.h"
#include "rso_jsonl.h"
#include "rso_media.h"
#include "rso_opt.h"
#include "rso_records.h"
#include "rso_store.h"
#include "rso_time.h"
#include "verbs.h"

static const char *opt_type, *opt_source, *opt_date, *opt_request;
static const char *opt_identity;
static int opt_bad;

/* A file given to add, once read through for its hash and type. */
struct pending {
	int fd;
	int argn;		/* its operand number, for diagnostics */
	off_t size;
	char sha256[RSO_SHA256_HEXLEN];
	const char *media_type;
	char name[128];
};

static void
add_opt(int ch, const char *arg)
{
	rso_time_t t;

	switch (ch) {
	case 't':
		if (!rso_record_type_valid(arg)) {
			rso_warnx("--type: not one of note, lab, pathology, "
			    "imaging, report, consent, opinion, other");
			opt_bad = 1;
		}
		opt_type = arg;
		break;
	case 's': opt_source = arg; break;
	case 'd':
		if (rso_date_parse(arg, &t) != 0) {
			rso_warnx("--date: not a date (YYYY-MM-DD)");
			opt_bad = 1;
		}
		opt_date = arg;
		break;
	case 'r':
		if (!rso_token_valid(arg)) {
			rso_warnx("--request: not a request token (REQ-XXXXXX)");
			opt_bad = 1;
		}
		opt_request = arg;
		break;
	case 'i': opt_identity = arg; break;
	}
}

/* Open an operand and read it through once: hash, size, media type. */
static int
survey_file(const char *path, int argn, struct pending *p)
{
	struct stat st;
	long long size;

	memset(p, 0, sizeof(*p));
	p->argn = argn;
	if ((p->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(p->fd, &st) != 0) {
		rso_warn("argument %d", argn);
		if (p->fd >= 0)
			close(p->fd);
		return EX_NOINPUT;
	}
	if (!S_ISREG(st.st_mode)) {
		rso_warnx("argument %d: not a regular file", argn);
		close(p->fd);
		return EX_NOINPUT;
	}
	if (rso_file_survey(p->fd, p->sha256, &size, &p->media_type) != 0) {
		rso_warn("argument %d", argn);
		close(p->fd);
		return EX_IOERR;
	}
	p->size = (off_t)size;
	return 0;
}

static const char *
type_of(const struct pending *p)
{
	if (opt_type)
		return opt_type;
	return strcmp(p->media_type, "application/dicom") == 0 ? "imaging" :
	    "other";
}

/* Write the new files as one segment, then index them in one transaction. */
static int
file_pending(struct rso_store *s, const char *id, struct pending *p,
    size_t n)
{
	struct rso_age_recipients *r = NULL;
	struct rso_record *recs;
	struct rso_seg_writer *w;
	struct rso_error e;
	char slug[64], label[160], *seg = NULL;
	size_t i;
	int rc, item;

	if ((rc = rso_casearc_recipients(s, &r, &e)) != 0)
		goto fail;
	if ((w = rso_casearc_begin(s, id, r, &e)) == NULL) {
		rc = e.status;
		goto fail;
	}
	item = rso_records_next_item(s, id);
	for (i = 0; i < n; i++) {
		snprintf(label, sizeof(label), "%s %s", type_of(&p[i]),
		    opt_source ? opt_source : "");
		rso_slug(label, slug, sizeof(slug));
		snprintf(p[i].name, sizeof(p[i].name), "records/%04d-%s.%s",
		    item + (int)i, slug, rso_media_ext(p[i].media_type));
		if (lseek(p[i].fd, 0, SEEK_SET) != 0 ||
		    (rc = rso_seg_add_fd(w, p[i].name, p[i].fd, p[i].size, &e))) {
			if (rc == 0)
				rc = rso_error_set(&e, EX_IOERR, "argument %d: %s",
				    p[i].argn, strerror(errno));
			rso_seg_abort(w);
			goto fail;
		}
	}
	if ((rc = rso_seg_commit(w, &seg, &e)) != 0)
		goto fail;
	recs = rso_xcalloc(n, sizeof(*recs));
	for (i = 0; i < n; i++) {
		recs[i].item = item + (int)i;
		recs[i].name = p[i].name;
		recs[i].segment = seg;
		recs[i].type = type_of(&p[i]);
		recs[i].source = opt_source;
		recs[i].date = opt_date;
		recs[i].sha256 = p[i].sha256;
		recs[i].media_type = p[i].media_type;
		recs[i].size = p[i].size;
		recs[i].request_token = opt_request;
	}
	if ((rc = rso_store_begin(s, &e)) == 0 &&
	    (rc = rso_records_put(s, id, recs, n, &e)) == 0)
		rc = rso_store_commit(s, &e);
	if (rc != 0)
		rso_store_rollback(s);
	for (i = 0; rc == 0 && i < n; i++)
		rc = collect_emit(json_pack("{s:s, s:o, s:s, s:s, s:s, s:I, s:s}",
		    "case", id, "item", json_sprintf("%04d", recs[i].item),
		    "name", p[i].name,
		    "type", recs[i].type, "media_type", p[i].media_type,
		    "size", (json_int_t)p[i].size, "sha256", p[i].sha256));
	free(recs);
	free(seg);
	rso_age_recipients_free(r);
	if (rc != 0 && rc != EX_IOERR)
		rso_warnx("%s", e.msg);
	return rc;
fail:
	rso_age_recipients_free(r);
	rso_warnx("%s", e.msg);
	return rc;
}

static int
add_files(struct rso_store *s, const char *id, int argc, char **argv)
{
	struct pending *p = rso_xcalloc((size_t)argc, sizeof(*p));
	size_t n = 0, i;
	int status = 0, rc, known;
	char item[16];

	for (i = 0; i < (size_t)argc; i++) {
		if ((rc = survey_file(argv[i], (int)i + 2, &p[n])) != 0) {
			rso_status_set(&status, rc);
			continue;
		}
		/* The same content again, in this run or an earlier one. */
		known = rso_records_known(s, id, p[n].sha256, NULL);
		for (rc = 0; !known && rc < (int)n; rc++)
			if (strcmp(p[rc].sha256, p[n].sha256) == 0)
				known = -1;
		if (known) {
			snprintf(item, sizeof(item), "%04d", known);
			if (known > 0)
				collect_emit(json_pack("{s:s, s:s, s:b}", "case", id,
				    "item", item, "existing", 1));
			close(p[n].fd);
			continue;
		}
		n++;
	}
	if (n > 0 && (rc = file_pending(s, id, p, n)) != 0)
		rso_status_set(&status, rc);
	for (i = 0; i < n; i++)
		close(p[i].fd);
	free(p);
	return status;
}

int
collect_add(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "date", required_argument, NULL, 'd' },
		{ "request", required_argument, NULL, 'r' },
		{ "source", required_argument, NULL, 's' },
		{ "type", required_argument, NULL, 't' },
		RSO_OPT_LONG, { 0 } };
	struct rso_store *s;
	struct rso_state st;
	struct rso_error e;
	const char *id;
	int rc, lock;

	collect_getopt(&argc, &argv, "d:r:s:t:", longopts, add_opt);
	if (opt_bad || argc < 2) {
		collect_usage(stderr, 0);
		return EX_USAGE;
	}
	id = argv[0];
	if (!rso_case_id_valid(id))
		rso_diex(EX_USAGE, "argument 1: not a case id");
	s = rso_store_xopen();
	if ((rc = rso_case_state(s, id, &st, &e)) == 0 &&
	    (!rso_status_is_open(st.status) ||
	    st.status == RSO_ST_AWAITING_CONSENT))
		rc = rso_error_set(&e, EX_DATAERR, "%s: cannot add records to a "
		    "case that is %s", id, rso_status_name(st.status));
	if (rc != 0) {
		rso_warnx("%s", e.msg);
		rso_store_close(s);
		return rc;
	}
	/* One writer per case archive at a time: item numbers stay unique. */
	if ((lock = rso_casearc_lock(s, id, &e)) < 0) {
		rso_warnx("%s", e.msg);
		rso_store_close(s);
		return e.status;
	}
	rc = add_files(s, id, argc - 1, argv + 1);
	rso_casearc_unlock(lock);
	rso_store_close(s);
	return rc;
}

int
collect_cat(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "identity", required_argument, NULL, 'i' },
		RSO_OPT_LONG, { 0 } };
	struct rso_age_identities *ids = NULL;
	struct rso_seg_reader *rd = NULL;
	char name[128], seg[128], buf[65536];
	struct rso_store *s;
	struct rso_error e;
	json_t *data;
	ssize_t n;
	int rc;

	collect_getopt(&argc, &argv, "i:", longopts, add_opt);
	if (argc != 2) {
		collect_usage(stderr, 0);
		return EX_USAGE;
	}
	if (!rso_case_id_valid(argv[0]))
		rso_diex(EX_USAGE, "argument 1: not a case id");
	s = rso_store_xopen();
	rc = rso_records_where(s, argv[0], argv[1], name, seg, &e);
	if (rc == 0)
		rc = rso_casearc_identities(opt_identity, &ids, &e);
	/* The read is on the record before a byte is shown, even if it fails. */
	if (rc == 0) {
		data = json_pack("{s:s, s:s}", "item", argv[1], "name", name);
		if ((rc = rso_store_begin(s, &e)) == 0 &&
		    (rc = rso_event_append(s, argv[0], "records.read", data, NULL,
		    &e)) == 0)
			rc = rso_store_commit(s, &e);
		if (rc != 0)
			rso_store_rollback(s);
		json_decref(data);
	}
	if (rc == 0 && (rd = rso_casearc_open_entry(s, argv[0], seg, name, ids,
	    &e)) == NULL)
		rc = e.status;
	while (rc == 0 && (n = rso_seg_read(rd, buf, sizeof(buf), &e)) != 0) {
		if (n < 0)
			rc = e.status;
		else if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			rc = EX_IOERR;
	}
	if (rc != 0 && rc != EX_IOERR)
		rso_warnx("%s", e.msg);
	rso_seg_close(rd);
	rso_age_identities_free(ids);
	rso_store_close(s);
	return rc;
}
