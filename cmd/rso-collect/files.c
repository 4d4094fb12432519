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
#include "filing.h"
#include "verbs.h"

static const char *opt_type, *opt_source, *opt_date, *opt_request;
static const char *opt_identity;
static int opt_bad;

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
	case 's':
		/* A provider's name is one line of text. */
		if (rso_text_has_control(arg, 0)) {
			rso_warnx("--source: control character");
			opt_bad = 1;
		}
		opt_source = rso_opt_text("--source", arg);
		break;
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

/* Open each operand, survey it, and file the new ones as one segment. */
static int
add_files(struct rso_store *s, const char *id, int argc, char **argv)
{
	struct filing_meta m = { opt_type, opt_source, opt_date, opt_request };
	struct filing_item *it = rso_xcalloc((size_t)argc, sizeof(*it));
	struct rso_error e;
	struct stat st;
	char where[32];
	size_t n = 0, i;
	int status = 0, fd, rc;

	for (i = 0; i < (size_t)argc; i++) {
		snprintf(where, sizeof(where), "argument %zu", i + 2);
		/* Never follow a link or block on a FIFO: same rules as inbox. */
		if ((fd = filing_openat(AT_FDCWD, argv[i], &st)) == -1) {
			rso_warn("%s", where);
			rso_status_set(&status, EX_NOINPUT);
			continue;
		}
		if (fd == -2 || !S_ISREG(st.st_mode)) {
			rso_warnx("%s: %s, not a regular file", where, fd == -2 ?
			    rso_file_kind(st.st_mode) : "a folder");
			if (fd >= 0)
				close(fd);
			rso_status_set(&status, EX_NOINPUT);
			continue;
		}
		if (filing_survey_header(&it[n], fd, where, &e) != 0) {
			rso_warnx("%s", e.msg);
			filing_release(&it[n]);
			rso_status_set(&status, e.status);
			continue;
		}
		n++;
	}
	if ((rc = filing_commit(s, id, it, n, &m, &e)) != 0) {
		if (rc != EX_IOERR || e.msg[0])
			rso_warnx("%s", e.msg);
		rso_status_set(&status, rc);
	}
	for (i = 0; i < n; i++)
		filing_release(&it[i]);
	free(it);
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
	struct rso_error e;
	const char *id;
	int rc;

	collect_getopt(&argc, &argv, "d:r:s:t:", longopts, add_opt);
	if (opt_bad || argc < 2) {
		collect_usage(stderr, 0);
		return EX_USAGE;
	}
	id = argv[0];
	if (!rso_case_id_valid(id))
		rso_diex(EX_USAGE, "argument 1: not a case id");
	s = rso_store_xopen();
	if ((rc = filing_case_ready(s, id, &e)) != 0)
		rso_warnx("%s", e.msg);
	else
		rc = add_files(s, id, argc - 1, argv + 1);
	rso_store_close(s);
	return rc;
}

/* Released bytes go to stdout. */
static int
to_stdout(const void *buf, size_t n, void *ctx, struct rso_error *e)
{
	(void)ctx;
	if (fwrite(buf, 1, n, stdout) != n)
		return rso_error_set(e, EX_IOERR, "stdout: %s", strerror(errno));
	return 0;
}

/* The read is on the record before a byte is shown, even if it fails. */
static int
log_read(struct rso_store *s, const char *id, const char *item,
    const char *name, struct rso_error *e)
{
	json_t *data = json_pack("{s:s, s:s}", "item", item, "name", name);
	int rc;

	if ((rc = rso_store_begin(s, e)) == 0 &&
	    (rc = rso_event_append(s, id, "records.read", data, NULL, e)) == 0)
		rc = rso_store_commit(s, e);
	if (rc != 0)
		rso_store_rollback(s);
	json_decref(data);
	return rc;
}

int
collect_cat(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "identity", required_argument, NULL, 'i' },
		RSO_OPT_LONG, { 0 } };
	struct rso_age_identities *ids = NULL;
	char name[128], seg[128], sha[RSO_SHA256_HEXLEN], what[32];
	struct rso_store *s;
	struct rso_error e;
	int rc;

	collect_getopt(&argc, &argv, "i:", longopts, add_opt);
	if (argc != 2) {
		collect_usage(stderr, 0);
		return EX_USAGE;
	}
	if (!rso_case_id_valid(argv[0]))
		rso_diex(EX_USAGE, "argument 1: not a case id");
	s = rso_store_xopen();
	rc = rso_records_where(s, argv[0], argv[1], name, seg, sha, &e);
	if (rc == 0)
		rc = rso_casearc_identities(opt_identity, &ids, &e);
	if (rc == 0)
		rc = log_read(s, argv[0], argv[1], name, &e);
	/* Checked to be this case's and the bytes filed before release. */
	snprintf(what, sizeof(what), "item %04ld", strtol(argv[1], NULL, 10));
	if (rc == 0)
		rc = rso_casearc_release(s, argv[0], what, seg, name, sha, ids,
		    to_stdout, NULL, &e);
	if (rc == 0 && fflush(stdout) != 0)
		rc = rso_error_set(&e, EX_IOERR, "stdout: %s", strerror(errno));
	if (rc != 0)
		rso_warnx("%s", e.msg);
	rso_age_identities_free(ids);
	rso_store_close(s);
	return rc;
}
