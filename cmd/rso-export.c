/* rso-export: finished cases into EHR import folders and to partners. */
/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <stdlib.h>
#include <string.h>

#include "rso_case.h"
#include "rso_casearc.h"
#include "rso_dicomdir.h"
#include "rso_err.h"
#include "rso_assign.h"
#include "rso_export.h"
#include "rso_fhir.h"
#include "rso_hash.h"
#include "rso_hl7.h"
#include "rso_jsonl.h"
#include "rso_mark.h"
#include "rso_media.h"
#include "rso_opt.h"
#include "rso_progress.h"
#include "rso_records.h"
#include "rso_store.h"
#include "rso_transfer.h"
#include "rso_utf8.h"
#include "rso_xdm.h"

static struct rso_store *store;
static struct rso_age_identities *ids;
static struct rso_age_recipients *partner_keys;	/* archive: -r, -R */
static const char *opt_to, *opt_identity, *opt_format;
static char opt_dest[PATH_MAX];		/* opt_to's real path: the key */
static int opt_mllp, opt_again, opt_list, opt_new;
static struct rso_progress *bar;

static void
usage(FILE *fp, int full)
{
	fputs("usage: rso-export [-q] [-H home] --format hl7|fhir|xdm|dicom --to dir"
	    "\n                  [--mllp] [--again] [-i identity] [--new | case ...]\n"
	    "       rso-export [-q] [-H home] --format archive -r recipient | -R file"
	    "\n                  --to dir [--again] [-i identity] [case ...]\n"
	    "       rso-export [-q] [-H home] --list [--format f] [--to dir]\n", fp);
	if (!full)
		return;
	fputs("Writes each delivered case into dir, atomically; a case exported\n"
	    "to dir before in that format is passed over unless --again.  A case\n"
	    "with nothing in the format (dicom without studies) is skipped with a\n"
	    "note.  --list: what went where and when.  Cases come from the operands\n"
	    "or from JSON lines with \"case\" on stdin (rso-case list --status\n"
	    "delivered), or with --new from the store: the delivered and closed\n"
	    "cases with events since the last --new run to dir in that format.\n"
	    "Formats:\n"
	    "  hl7      HL7 v2.5.1 MDM^T02 per opinion, the opinion in OBX-5\n"
	    "  fhir     a FHIR R4 Bundle per case: Patient, Practitioner,\n"
	    "           ServiceRequest, Task, DocumentReference, ImagingStudy,\n"
	    "           DiagnosticReport, Consent\n"
	    "  xdm      an IHE XDM zip per case: METADATA.XML, INDEX.HTM,\n"
	    "           README.TXT and the opinions and documents\n"
	    "  dicom    the case's studies as Part 10 files in dir/CASE with a\n"
	    "           DICOMDIR, for the PACS\n"
	    "  archive  the whole case, in any state, as one age-encrypted\n"
	    "           transfer archive to a partner, for rso-intake --archive\n"
	    "See rso-export(1).\n"
	    "options:\n"
	    "  -f, --format f     the format (hl7, fhir, xdm, dicom, archive)\n"
	    "  -r, --recipient r  archive: the partner's age1... recipient\n"
	    "  -R, --recipients-file f  archive: the partner's recipients\n"
	    "  -t, --to dir       the import folder\n"
	    "  -i, --identity f   the age identity to read the archive\n"
	    "      --mllp         frame each message for MLLP engines\n"
	    "      --again        send again what dir had before (recorded)\n"
	    "      --list         every export made: case, format, folder, time\n"
	    "      --new          the cases changed since the last --new run to\n"
	    "                     dir in the format (the nightly's step)\n"
	    "  -H, --home dir     the store (default $RSO_HOME)\n"
	    "  -q, --quiet        no notes on stderr\n"
	    "  -h, --help         this text\n"
	    "      --version      the version\n", fp);
}

/* One line out, and the object freed. */
static int
emit(json_t *o)
{
	int rc = rso_jsonl_write(stdout, o) ? EX_IOERR : 0;

	json_decref(o);
	return rc;
}

/* What was written, as a line for the next program. */
static int
written(const char *id, const char *format, const char *name, const char *role)
{
	return emit(json_pack("{s:s, s:s, s:s, s:s*}", "case", id, "format",
	    format, "name", name, "role", role));
}

/*
 * Whether to pass over the export called name: written to this folder
 * before and no --again; then said, as an "existing" line.  *again: this
 * one is a re-send.
 */
static int
passed_over(const char *id, const char *format, const char *name, int *again,
    int *rc)
{
	*again = rso_export_seen(store, id, format, opt_dest, name);
	if (!*again || opt_again)
		return 0;
	*rc = emit(json_pack("{s:s, s:s, s:s, s:s, s:b}", "case", id,
	    "format", format, "to", opt_dest, "name", name, "existing", 1));
	return 1;
}

/* Remember an export by its digest, then say it was written. */
static int
remember(const char *id, const char *format, const char *name,
    const char *role, const char *sha, int again)
{
	struct rso_error e;
	int rc;

	if ((rc = rso_export_record(store, id, format, opt_dest, name, sha,
	    again, &e)) != 0) {
		rso_warnx("%s: %s", id, e.msg);
		return rc;
	}
	return written(id, format, name, role);
}

/* An export made in memory: into the folder, remembered, said. */
static int
put_file(const char *id, const char *format, const char *name,
    const char *role, const char *p, size_t n, int again)
{
	char sha[RSO_SHA256_HEXLEN];
	struct rso_error e;
	int rc;

	/* Over what is there only when it is this export, sent again. */
	if ((rc = rso_export_file(opt_to, name, p, n, again, &e)) != 0) {
		rso_warnx("%s: %s", id, e.msg);
		return rc;
	}
	rso_sha256_hex(p, n, sha);
	return remember(id, format, name, role, sha, again);
}

/* A control id stable for this version of this opinion, and unique. */
static void
control_id(const char *id, const json_t *op, char *out)
{
	char *key = rso_xasprintf("%s|%s|%s", id, rso_json_str(op, "role"),
	    rso_json_str(op, "sha256"));
	char hex[RSO_SHA256_HEXLEN];

	rso_sha256_hex(key, strlen(key), hex);
	snprintf(out, 21, "RSO%.17s", hex);
	free(key);
}

static int
hl7_one(const char *id, const json_t *c, const json_t *op, const json_t *sps)
{
	struct rso_hl7_opinion m = { 0 };
	char ctl[24], name[160], *msg = NULL;
	unsigned char *content;
	struct rso_error e;
	size_t n, len = 0;
	FILE *fp;
	int rc, again;

	control_id(id, op, ctl);
	snprintf(name, sizeof(name), "%s-%s-%s.hl7", id, rso_json_str(op,
	    "role"), ctl);
	if (passed_over(id, "hl7", name, &again, &rc))
		return rc;
	if ((rc = rso_export_entry(store, id, op, ids, &content, &n, &e)) !=
	    0) {
		rso_warnx("%s", e.msg);
		return rc;
	}
	m.control_id = ctl;
	m.sending_facility = rso_store_conf_str(store, "export.facility",
	    "RSO PROGRAM");
	m.receiving_app = rso_store_conf_str(store, "export.hl7.application",
	    "EHR");
	m.receiving_facility = rso_store_conf_str(store, "export.hl7.facility",
	    "HOSPITAL");
	m.case_id = id;
	m.patient_name = rso_json_str(c, "request.patient.name");
	m.birth_date = rso_json_str(c, "request.patient.birth_date");
	m.sex = rso_json_str(c, "request.patient.sex");
	m.questions = json_object_get(json_object_get(c, "request"),
	    "questions");
	m.specialist = rso_json_str(op, "specialist");
	m.specialist_name = rso_json_str(json_object_get(sps, m.specialist ?
	    m.specialist : ""), "name");
	m.icd10 = json_object_get(op, "icd10");
	m.outcome = rso_json_str(op, "outcome");
	m.recorded = rso_json_str(op, "recorded");
	m.delivered = rso_json_str(c, "status_at");
	m.media_type = rso_json_str(op, "media_type");
	m.content = content;
	m.size = n;
	fp = open_memstream(&msg, &len);
	rso_hl7_mdm_t02(fp, &m, opt_mllp);
	fclose(fp);
	free(content);
	rc = put_file(id, "hl7", name, rso_json_str(op, "role"), msg, len,
	    again);
	free(msg);
	return rc;
}

static int
collect_record(json_t *line, void *ctx)
{
	if (json_object_get(line, "held") == NULL)
		json_array_append(ctx, line);
	return 0;
}

static int
collect_series(json_t *line, void *ctx)
{
	json_array_append(ctx, line);
	return 0;
}

static int
collect_specialist(json_t *sp, void *ctx)
{
	json_object_set(ctx, rso_json_str(sp, "id"), sp);
	return 0;
}

/* The whole case as one FHIR R4 Bundle, CASE.fhir.json. */
static int
fhir_case(const char *id, const json_t *c)
{
	json_t *ops = rso_export_opinions(store, id), *recs = json_array();
	json_t *sps = json_object(), *series = json_array(), *b, *op;
	size_t n = json_array_size(ops), i;
	unsigned char **bytes = rso_xcalloc(n + 1, sizeof(*bytes));
	size_t *sizes = rso_xcalloc(n + 1, sizeof(*sizes));
	struct rso_fhir_case fc;
	struct rso_error e;
	char name[96], where[256], *text = NULL;
	int rc = 0, again;

	snprintf(name, sizeof(name), "%s.fhir.json", id);
	if (passed_over(id, "fhir", name, &again, &rc))
		goto done;
	json_array_foreach(ops, i, op)
		if ((rc = rso_export_entry(store, id, op, ids, &bytes[i],
		    &sizes[i], &e)) != 0) {
			rso_warnx("%s", e.msg);
			goto done;
		}
	if ((rc = rso_records_list(store, id, collect_record, recs, &e)) != 0 ||
	    (rc = rso_records_series(store, id, collect_series, series,
	    &e)) != 0 ||
	    (rc = rso_roster_foreach(store, collect_specialist, sps, &e)) != 0) {
		rso_warnx("%s: %s", id, e.msg);
		goto done;
	}
	fc = (struct rso_fhir_case){ c, recs, ops, sps, series,
	    (const unsigned char *const *)bytes, sizes };
	if ((b = rso_fhir_bundle(&fc, where, sizeof(where))) == NULL) {
		rso_warnx("%s: %s: a control character FHIR cannot carry", id,
		    where);
		rc = EX_DATAERR;
		goto done;
	}
	text = json_dumps(b, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(b);
	rc = put_file(id, "fhir", name, NULL, text, strlen(text), again);
done:
	for (i = 0; i < n; i++)
		free(bytes[i]);
	free(bytes);
	free(sizes);
	free(text);
	json_decref(ops);
	json_decref(recs);
	json_decref(sps);
	json_decref(series);
	return rc;
}

/* A streamed export is remembered by the digest of the file written. */
static int
record_file(const char *id, const char *format, const char *name, int again)
{
	char *path = rso_xasprintf("%s/%s", opt_to, name);
	char sha[RSO_SHA256_HEXLEN];
	long long size;
	const char *mt;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0 || rso_file_survey(fd, sha, &size, &mt) != 0) {
		rso_warn("%s: %s", id, name);
		if (fd >= 0)
			close(fd);
		return EX_IOERR;
	}
	close(fd);
	return remember(id, format, name, NULL, sha, again);
}

/* The case's studies for the PACS: the folder CASE, with its DICOMDIR. */
static int
count_study(json_t *line, void *ctx)
{
	if (json_object_get(line, "study") && !json_object_get(line, "held"))
		++*(int *)ctx;
	return 0;
}

/*
 * The case's studies for the PACS: the folder CASE, with its DICOMDIR.
 * A case without studies has nothing for the PACS: skipped, with a note.
 */
static int
dicom_case(const char *id, const json_t *c)
{
	char sha[RSO_SHA256_HEXLEN];
	struct rso_error e;
	int rc, again, studies = 0;

	(void)c;
	if (passed_over(id, "dicom", id, &again, &rc))
		return rc;
	if ((rc = rso_records_list(store, id, count_study, &studies, &e)) != 0) {
		rso_warnx("%s", e.msg);
		return rc;
	}
	if (studies == 0) {
		rso_note("%s: no DICOM studies: skipped", id);
		return emit(json_pack("{s:s, s:s, s:s, s:s}", "case", id,
		    "format", "dicom", "to", opt_dest, "skipped",
		    "no DICOM studies"));
	}
	if ((rc = rso_dicomdir_write(store, id, ids, opt_to, id, again, sha,
	    &e)) != 0) {
		rso_warnx("%s", e.msg);
		return rc;
	}
	return remember(id, "dicom", id, NULL, sha, again);
}

/* The whole case as CASE.rso.age, encrypted to the partner. */
static int
archive_case(const char *id, const json_t *c)
{
	struct rso_error e;
	char name[96];
	int rc, again;

	(void)c;
	snprintf(name, sizeof(name), "%s.rso.age", id);
	if (passed_over(id, "archive", name, &again, &rc))
		return rc;
	if ((rc = rso_transfer_write(store, id, ids, partner_keys, opt_to, name,
	    again, &e)) != 0) {
		rso_warnx("%s: %s", id, e.msg);
		return rc;
	}
	return record_file(id, "archive", name, again);
}

/* The case's documents as an IHE XDM zip, CASE.xdm.zip. */
static int
xdm_case(const char *id, const json_t *c)
{
	struct rso_error e;
	char name[96];
	int rc, again;

	snprintf(name, sizeof(name), "%s.xdm.zip", id);
	if (passed_over(id, "xdm", name, &again, &rc))
		return rc;
	if ((rc = rso_xdm_write(store, id, c, ids, opt_to, name, again, &e)) != 0) {
		rso_warnx("%s: %s", id, e.msg);
		return rc;
	}
	return record_file(id, "xdm", name, again);
}

static int
hl7_case(const char *id, const json_t *c)
{
	json_t *ops = rso_export_opinions(store, id), *op;
	json_t *sps = json_object();
	struct rso_error e;
	size_t i;
	int rc = 0;

	if ((rc = rso_roster_foreach(store, collect_specialist, sps, &e)) != 0)
		rso_warnx("%s: %s", id, e.msg);
	else
		json_array_foreach(ops, i, op)
			rso_status_set(&rc, hl7_one(id, c, op, sps));
	json_decref(ops);
	json_decref(sps);
	return rc;
}

/*
 * The formats: each writes one case.  The EHR and PACS want results, so
 * their formats take delivered (or closed) cases only; a partner's is
 * encrypted to the partner (-r) and may take a case over at any stage.
 */
static const struct format {
	const char *name;
	int (*one)(const char *id, const json_t *c);
	int partner;
} formats[] = {
	{ "hl7", hl7_case, 0 },
	{ "fhir", fhir_case, 0 },
	{ "xdm", xdm_case, 0 },
	{ "dicom", dicom_case, 0 },
	{ "archive", archive_case, 1 },
};
static const struct format *format;

static const struct format *
format_named(const char *name)
{
	size_t i;

	for (i = 0; name && i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(formats[i].name, name) == 0)
			return &formats[i];
	return NULL;
}

static int
export_one(const char *id, json_t *line, const char *where, void *ctx)
{
	struct rso_error e;
	const char *status;
	json_t *c;
	int rc = 0;

	(void)line;
	(void)ctx;
	if ((rc = rso_case_get(store, id, &c, &e)) != 0) {
		rso_warnx("%s: %s", where, e.msg);
		return rc;
	}
	status = rso_json_str(c, "status");
	if (!format->partner && strcmp(status, "delivered") != 0 &&
	    strcmp(status, "closed") != 0) {
		rso_warnx("%s: %s: not delivered (%s)", where, id, status);
		json_decref(c);
		return EX_DATAERR;
	}
	rc = format->one(id, c);
	json_decref(c);
	rso_progress_add(bar, 1);
	return rc;
}

/*
 * --new: the nightly's step, whose cost follows the night's work, not the
 * store's history.  The mark is kept per format and folder (its real
 * path), so that two destinations never share one.  Exports' own
 * "case.exported" events change no export, so they bring no case back.
 * A case that fails is said, the others go on, and the mark stays, so
 * the next run tries it again.
 */
static int
new_one(const char *id, void *ctx)
{
	(void)ctx;
	return export_one(id, NULL, "--new", NULL);
}

static int
export_new(void)
{
	static const char *const finished[] = { "delivered", "closed", NULL };
	char *step = rso_xasprintf("rso-export %s %s", format->name, opt_dest);
	struct rso_error e = { 0 };
	int rc;

	rc = rso_mark_walk_except(store, step, finished, "case.exported",
	    new_one, NULL, &e);
	if (e.status != 0)
		rso_warnx("%s", e.msg);
	free(step);
	return rc;
}

/*
 * dir's real path into opt_dest, the key "once" goes by; -1 (said).  It
 * is recorded in each export's event, which is JSON: UTF-8 only.
 */
static int
real_folder(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    realpath(dir, opt_dest) == NULL) {
		rso_warnx("%s: not a folder", dir);
		return -1;
	}
	if (!rso_utf8_valid(opt_dest, strlen(opt_dest))) {
		rso_warnx("%s: the folder's real path is not UTF-8 text", dir);
		return -1;
	}
	return 0;
}

static int
list_line(json_t *line, void *ctx)
{
	(void)ctx;
	return rso_jsonl_write(stdout, line) ? EX_IOERR : 0;
}

/* --list: every export, oldest first, of --format and to --to if given. */
static int
list_exports(int argc)
{
	struct rso_error e;
	int rc;

	if (argc != 0)
		rso_usage_error(usage, "--list: no cases");
	if (opt_format != NULL && format_named(opt_format) == NULL)
		rso_usage_error(usage, "--format: not one of hl7, fhir, xdm, "
		    "dicom, archive");
	if (opt_to != NULL && real_folder(opt_to) != 0)
		return EX_NOINPUT;
	store = rso_store_xopen();
	rc = rso_export_list(store, opt_to ? opt_dest : NULL, opt_format,
	    list_line, NULL, &e);
	if (rc != 0 && rc != EX_IOERR)
		rso_warnx("%s", e.msg);
	rso_store_close(store);
	rso_age_recipients_free(partner_keys);
	return rso_flush_stdout(rc);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "again", no_argument, NULL, 'F' },
		/* The old name of --again. */
		{ "force", no_argument, NULL, 'F' },
		{ "list", no_argument, NULL, 'L' },
		{ "format", required_argument, NULL, 'f' },
		{ "identity", required_argument, NULL, 'i' },
		{ "mllp", no_argument, NULL, 'M' },
		{ "new", no_argument, NULL, 'N' },
		{ "recipient", required_argument, NULL, 'r' },
		{ "recipients-file", required_argument, NULL, 'R' },
		{ "to", required_argument, NULL, 't' },
		RSO_OPT_LONG, { 0 } };
	struct rso_error e;
	int ch, rc, n;

	rso_setprogname(argv[0]);
	partner_keys = rso_age_recipients_new();
	while ((ch = getopt_long(argc, argv, "f:i:r:R:t:" RSO_OPT_SHORT,
	    longopts, NULL)) != -1)
		switch (ch) {
		case 'r':
			if (rso_age_recipients_add(partner_keys, optarg, &e) != 0)
				rso_usage_error(usage, "-r: not an age1... recipient");
			break;
		case 'R':
			if ((rc = rso_age_recipients_load(partner_keys, optarg,
			    &e)) != 0) {
				rso_warnx("%s", e.msg);
				return rc;
			}
			break;
		case 'F': opt_again = 1; break;
		case 'L': opt_list = 1; break;
		case 'f': opt_format = optarg; break;
		case 'i': opt_identity = optarg; break;
		case 'M': opt_mllp = 1; break;
		case 'N': opt_new = 1; break;
		case 't': opt_to = optarg; break;
		default: rso_opt_common(ch, optarg, usage);
		}
	argc -= optind;
	argv += optind;
	if (opt_new && opt_list)
		rso_usage_error(usage, "--new: not with --list");
	if (opt_new && argc > 0)
		rso_usage_error(usage, "--new: no cases");
	if (opt_list)
		return list_exports(argc);
	if ((format = format_named(opt_format)) == NULL)
		rso_usage_error(usage, opt_format ? "--format: not one of hl7, "
		    "fhir, xdm, dicom, archive" :
		    "--format: missing");
	if (format->partner !=
	    (rso_age_recipients_count(partner_keys) > 0))
		rso_usage_error(usage, rso_age_recipients_count(partner_keys) ?
		    "-r: only for --format archive" :
		    "--format archive: the partner's recipient is missing (-r)");
	/* A partner's cases are chosen one by one, never "all that changed". */
	if (opt_new && format->partner)
		rso_usage_error(usage, "--new: not with --format archive");
	if (opt_to == NULL)
		rso_usage_error(usage, "--to: missing");
	if (real_folder(opt_to) != 0)
		return EX_CANTCREAT;
	if ((n = rso_export_sweep(opt_to)) > 0)
		rso_note("%s: removed %d unfinished exports older than 36 hours",
		    opt_to, n);
	store = rso_store_xopen();
	if ((rc = rso_casearc_identities(opt_identity, &ids, &e)) != 0) {
		rso_warnx("%s", e.msg);
		rso_store_close(store);
		return rc;
	}
	/* Cases from stdin are not known ahead: a counter then. */
	bar = rso_progress_start("export", (uint64_t)argc);
	rc = opt_new ? export_new() :
	    rso_case_each_input(argc, argv, export_one, NULL);
	rso_progress_done(bar);
	rso_age_identities_free(ids);
	rso_age_recipients_free(partner_keys);
	rso_store_close(store);
	return rso_flush_stdout(rc);
}
