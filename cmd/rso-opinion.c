/* rso-opinion: the written opinion recorded, delivered and read. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <unistd.h>

#include "rso_case.h"
#include "rso_casearc.h"
#include "rso_err.h"
#include "rso_hash.h"
#include "rso_media.h"
#include "rso_jsonl.h"
#include "rso_opinion.h"
#include "rso_opt.h"
#include "rso_remind.h"
#include "rso_store.h"
#include "rso_time.h"

static struct rso_store *store;
static const char *opt_by, *opt_video, *opt_unread, *opt_format = "text";
static const char *opt_outcome, *opt_file, *opt_impact, *opt_role = "primary";
static json_t *opt_to, *opt_icd10;

/* The verbs, for their names and usage; main() dispatches. */
static const struct rso_verb verbs[] = {
	{ "ack", NULL, "ack --by patient|referrer [case ...]" },
	{ "deliver", NULL, "deliver [--to patient,referrer] [--video time] "
	    "[case ...]" },
	{ "draft", NULL, "draft [-f text|markdown|json] case" },
	{ "due", NULL, "due [--unread 3d]" },
	{ "optout", NULL, "optout --by patient|referrer [case ...]" },
	{ "record", NULL, "record --outcome o --file f [--icd10 code,...] "
	    "[--impact i]\n                   [--role r] case" },
	{ "reminded", NULL, "reminded [file ...]" },
	{ NULL, NULL }
};

static void
usage(FILE *fp, int full)
{
	if (!full && rso_verb_usage(fp))
		return;
	fputs("usage: rso-opinion [-q] [-H home] verb [options] [case ...]\n",
	    fp);
	if (!full) {
		fputs("       rso-opinion --help for the verbs\n", fp);
		return;
	}
	fputs("verbs:\n"
	    "  draft [-f text|markdown|json] case   a structured draft for the specialist\n"
	    "  record --outcome o --file f [--icd10 code,...] [--impact i] [--role r] case\n"
	    "                         the opinion into the case archive\n"
	    "  deliver [--to patient,referrer] [--video time] [case ...]\n"
	    "                         the case is delivered; lines for rso-mail\n"
	    "  ack --by patient|referrer [case ...]  the opinion was received and read\n"
	    "  optout --by patient|referrer [case ...]  no more reminders to them\n"
	    "  due [--unread 3d]      the unread reminders due today, for rso-mail\n"
	    "  reminded [file ...]    record the reminders rso-mail sent\n"
	    "options:\n"
	    "  -H, --home dir   the store (default $RSO_HOME)\n"
	    "  -q, --quiet      no notes on stderr\n"
	    "  -h, --help       this text\n"
	    "      --version    the version\n"
	    "See rso-opinion(1).\n", fp);
}

static int
usage_error(void)
{
	usage(stderr, 0);
	return EX_USAGE;
}

/* ---- draft ---- */

static const char *
or_dash(const char *s)
{
	return s ? s : "-";
}

static void
draft_print(const json_t *d, int md)
{
	const json_t *q, *r;
	char local[RSO_TIME_STRLEN];
	const char *h1 = md ? "# " : "", *h2 = md ? "## " : "";
	rso_time_t t;
	size_t i;

	printf("%sSecond opinion: %s\n\n", h1, rso_json_str(d, "case"));
	printf("%sPatient\n\n%s%s, born %s, %s\n\n", h2, md ? "- " : "",
	    or_dash(rso_json_str(d, "patient.name")),
	    or_dash(rso_json_str(d, "patient.birth_date")),
	    or_dash(rso_json_str(d, "patient.sex")));
	printf("%sSpecialty\n\n%s%s%s%s\n\n", h2, md ? "- " : "",
	    or_dash(rso_json_str(d, "specialty")),
	    rso_json_str(d, "subspecialty") ? " / " : "",
	    rso_json_str(d, "subspecialty") ? rso_json_str(d, "subspecialty") : "");
	printf("%sDates\n\n", h2);
	if (rso_time_parse(or_dash(rso_json_str(d, "dates.requested")), &t) == 0)
		printf("%srequested  %s\n", md ? "- " : "", rso_date_format(t, local));
	if (rso_time_parse(or_dash(rso_json_str(d, "dates.ready")), &t) == 0)
		printf("%srecords complete  %s\n", md ? "- " : "",
		    rso_date_format(t, local));
	if (rso_time_parse(or_dash(rso_json_str(d, "dates.due")), &t) == 0)
		printf("%sopinion due  %s\n", md ? "- " : "",
		    rso_date_format(t, local));
	printf("\n%sQuestions\n\n", h2);
	json_array_foreach(json_object_get(d, "questions"), i, q)
		printf("%zu. %s\n", i + 1, json_string_value(q));
	printf("\n%sRecords\n\n", h2);
	json_array_foreach(json_object_get(d, "records"), i, r)
		printf("%s%s  %s, %s, from %s (%s)\n", md ? "- " : "",
		    rso_json_str(r, "item"), rso_json_str(r, "type"),
		    or_dash(rso_json_str(r, "date")),
		    or_dash(rso_json_str(r, "source")), rso_json_str(r, "name"));
	json_array_foreach(json_object_get(d, "studies"), i, r)
		printf("%sstudy %s %s %s: %s, %lld instances\n", md ? "- " : "",
		    or_dash(rso_json_str(r, "date")),
		    or_dash(rso_json_str(r, "modality")),
		    or_dash(rso_json_str(r, "body_part")),
		    or_dash(rso_json_str(r, "description")),
		    (long long)json_integer_value(json_object_get(r, "instances")));
	if (json_array_size(json_object_get(d, "records")) +
	    json_array_size(json_object_get(d, "studies")) == 0)
		printf("(none filed)\n");
	printf("\n%sOpinion\n\n%sOutcome: confirmed | diagnosis-changed | "
	    "treatment-changed | more-tests\n%sDiagnoses (ICD-10-CM):\n"
	    "%sImpact of any change: none | minor | moderate | major\n\n",
	    h2, md ? "- " : "", md ? "- " : "", md ? "- " : "");
	printf("%sAnswers\n\n", h2);
	json_array_foreach(json_object_get(d, "questions"), i, q)
		printf("%zu. \n", i + 1);
}

static int
verb_draft(int argc, char **argv)
{
	struct rso_error e;
	json_t *d;
	int rc;

	if (argc != 1)
		return usage_error();
	if (!rso_case_id_valid(argv[0]))
		rso_diex(EX_USAGE, "argument 1: not a case id");
	if ((rc = rso_opinion_draft(store, argv[0], &d, &e)) != 0) {
		rso_warnx("%s", e.msg);
		return rc;
	}
	if (strcmp(opt_format, "json") == 0)
		rc = rso_jsonl_write(stdout, d);
	else
		draft_print(d, strcmp(opt_format, "markdown") == 0);
	json_decref(d);
	return rc;
}

static int emit(json_t *line, void *ctx);

/* ---- record ---- */

/*
 * The opinion file into a new segment of the case archive as
 * opinion/ROLE.EXT, then its index entry; one writer per case archive.
 */
static int
store_opinion(const char *id, const char *specialist, int fd, long long size,
    const char *sha256, const char *media_type, int *unchanged,
    struct rso_error *e)
{
	struct rso_age_recipients *r = NULL;
	struct rso_seg_writer *w;
	struct rso_opinion o;
	struct rso_seg_sum sum;
	char name[96], *seg = NULL;
	int rc, lock;

	snprintf(name, sizeof(name), "opinion/%s.%s", opt_role,
	    rso_media_ext(media_type));
	if ((rc = rso_casearc_recipients(store, &r, e)) != 0)
		return rc;
	if ((lock = rso_casearc_lock(store, id, e)) < 0) {
		rso_age_recipients_free(r);
		return e->status;
	}
	w = rso_casearc_begin(store, id, r, e);
	if (w == NULL)
		rc = e->status;
	else if ((rc = rso_seg_add_fd(w, name, fd, size, e)) != 0)
		rso_seg_abort(w);
	else
		rc = rso_seg_commit_sum(w, &seg, &sum, e);
	if (rc == 0) {
		o = (struct rso_opinion){ opt_role, specialist, opt_outcome,
		    opt_impact, opt_icd10, name, seg, media_type, sha256, size,
		    &sum };
		if ((rc = rso_store_begin(store, e)) == 0 &&
		    (rc = rso_opinion_put(store, id, &o, unchanged, e)) == 0)
			rc = rso_store_commit(store, e);
		if (rc != 0)
			rso_store_rollback(store);
	}
	rso_casearc_unlock(lock);
	rso_age_recipients_free(r);
	free(seg);
	return rc;
}

static int
verb_record(int argc, char **argv)
{
	char specialist[80], sha[RSO_SHA256_HEXLEN];
	const char *media;
	struct rso_error e;
	long long size;
	int fd, rc, unchanged = 0;

	if (argc != 1 || opt_outcome == NULL || opt_file == NULL)
		return usage_error();
	if (!rso_case_id_valid(argv[0]))
		rso_diex(EX_USAGE, "argument 1: not a case id");
	if (opt_impact == NULL)
		opt_impact = "none";
	if (opt_icd10 == NULL)
		opt_icd10 = json_array();
	if ((fd = open(opt_file, O_RDONLY | O_CLOEXEC)) < 0)
		rso_die(EX_NOINPUT, "--file");
	if (rso_file_survey(fd, sha, &size, &media) != 0)
		rso_die(EX_IOERR, "--file");
	if (strcmp(media, "text/plain") && strcmp(media, "text/markdown") &&
	    strcmp(media, "application/pdf")) {
		close(fd);
		rso_diex(EX_DATAERR, "--file: not text, Markdown or PDF");
	}
	rc = rso_opinion_check(store, argv[0], opt_role, specialist, &e);
	if (rc == 0 && lseek(fd, 0, SEEK_SET) != 0)
		rc = rso_error_set(&e, EX_IOERR, "--file: cannot rewind");
	if (rc == 0)
		rc = store_opinion(argv[0], specialist, fd, size, sha, media,
		    &unchanged, &e);
	close(fd);
	if (rc != 0) {
		rso_warnx("%s", e.msg);
		return rc;
	}
	return emit(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "case",
	    argv[0], "role", opt_role, "outcome", opt_outcome, "media_type",
	    media, "sha256", sha, "status", "in-review", unchanged ?
	    "unchanged" : "recorded", 1), NULL);
}

/* --icd10 C50.911,Z85.3: each code checked. */
static int
parse_icd10(const char *arg)
{
	char *copy = rso_xstrdup(arg), *tok, *save = NULL;
	int bad = 0;

	if (opt_icd10 == NULL)
		opt_icd10 = json_array();
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",",
	    &save)) {
		if (!rso_icd10_valid(tok))
			bad = 1;
		json_array_append_new(opt_icd10, json_string(tok));
	}
	free(copy);
	if (bad)
		rso_warnx("--icd10: not a list of ICD-10-CM codes such as C50.911");
	return bad ? -1 : 0;
}

/* ---- deliver, ack, due ---- */

static int
deliver_one(const char *id, json_t *line, const char *where, void *ctx)
{
	struct rso_error e;
	json_t *lines, *l;
	size_t i;
	int rc, already;

	(void)line;
	(void)ctx;
	rc = rso_opinion_deliver(store, id, opt_to, &lines, &already, &e);
	if (rc == 0 && opt_video != NULL && !already)
		rc = rso_opinion_video(store, id, opt_video, &e);
	if (rc != 0) {
		json_decref(lines);
		rso_warnx("%s: %s", where, e.msg);
		return rc;
	}
	if (already)
		rso_note("%s: already delivered", id);
	json_array_foreach(lines, i, l)
		if ((rc = rso_jsonl_write(stdout, l)) != 0)
			break;
	json_decref(lines);
	return rc;
}

/* ack and optout: a mark on the delivery to "by". */
struct mark {
	int (*fn)(struct rso_store *, const char *, const char *, int *,
	    struct rso_error *);
	const char *member;	/* of the output line */
};
static const struct mark ack_mark = { rso_opinion_ack, "acknowledged_by" };
static const struct mark optout_mark = { rso_opinion_optout, "opted_out_by" };

static int
mark_one(const char *id, json_t *line, const char *where, void *ctx)
{
	const struct mark *m = ctx;
	const char *by = opt_by;
	struct rso_error e;
	json_t *out;
	int rc, already;

	if (by == NULL && line != NULL)
		by = json_string_value(json_object_get(line, "by"));
	if (by == NULL || (strcmp(by, "patient") && strcmp(by, "referrer"))) {
		rso_warnx("%s: by: not patient or referrer", where);
		return EX_DATAERR;
	}
	if ((rc = m->fn(store, id, by, &already, &e)) != 0) {
		rso_warnx("%s: %s", where, e.msg);
		return rc;
	}
	out = json_pack("{s:s, s:s}", "case", id, m->member, by);
	if (already)
		json_object_set_new(out, "unchanged", json_true());
	rc = rso_jsonl_write(stdout, out);
	json_decref(out);
	return rc;
}

static int
emit(json_t *line, void *ctx)
{
	int rc = rso_jsonl_write(stdout, line);

	/* A line made here (ctx NULL) is ours to drop; a walk's is not. */
	if (ctx == NULL)
		json_decref(line);
	return rc;
}

/* The unread policy, --unread replacing its first delay. */
static int
unread_policy(struct rso_remind_policy *p)
{
	static const int64_t dflt[] = { 3 * 86400, 7 * 86400, 14 * 86400 };
	struct rso_error e;
	int64_t first;

	if (rso_remind_policy(store, "unread", dflt, 3, 21 * 86400, p,
	    &e) != 0) {
		rso_warnx("%s", e.msg);
		return e.status;
	}
	if (opt_unread == NULL)
		return 0;
	if (rso_duration_parse(opt_unread, &first) != 0) {
		rso_warnx("--unread: not a duration such as 3d");
		return usage_error();
	}
	if (p->n > 1 && first >= p->after[1]) {
		rso_warnx("--unread: not before the second reminder");
		return usage_error();
	}
	if (p->n == 0)
		p->n = 1;
	p->after[0] = first;
	return 0;
}

static int
verb_due(int argc, char **argv)
{
	struct rso_remind_policy p;
	struct rso_error e;
	int rc;

	(void)argv;
	if (argc != 0)
		return usage_error();
	if ((rc = unread_policy(&p)) != 0)
		return rc;
	rc = rso_opinion_unread(store, &p, emit, store, &e);
	if (rc != 0 && rc != EX_IOERR)
		rso_warnx("%s", e.msg);
	return rc;
}

static int
parse_to(const char *arg)
{
	char *copy = rso_xstrdup(arg), *tok, *save = NULL;
	int bad = 0;

	json_array_clear(opt_to);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",",
	    &save)) {
		if (strcmp(tok, "patient") && strcmp(tok, "referrer"))
			bad = 1;
		json_array_append_new(opt_to, json_string(tok));
	}
	free(copy);
	if (bad || json_array_size(opt_to) == 0) {
		rso_warnx("--to: not a list of patient, referrer");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	enum { OPT_BY = RSO_OPT_PRIVATE, OPT_TO, OPT_UNREAD, OPT_VIDEO,
	    OPT_OUTCOME, OPT_FILE, OPT_ICD10, OPT_IMPACT, OPT_ROLE };
	static const struct option longopts[] = {
		{ "by", required_argument, NULL, OPT_BY },
		{ "file", required_argument, NULL, OPT_FILE },
		{ "format", required_argument, NULL, 'f' },
		{ "icd10", required_argument, NULL, OPT_ICD10 },
		{ "impact", required_argument, NULL, OPT_IMPACT },
		{ "outcome", required_argument, NULL, OPT_OUTCOME },
		{ "role", required_argument, NULL, OPT_ROLE },
		{ "to", required_argument, NULL, OPT_TO },
		{ "unread", required_argument, NULL, OPT_UNREAD },
		{ "video", required_argument, NULL, OPT_VIDEO },
		RSO_OPT_LONG, { 0 } };
	char videobuf[RSO_TIME_STRLEN];
	const char *verb;
	rso_time_t t;
	int ch, rc;

	rso_setprogname(argv[0]);
	opt_to = json_pack("[s, s]", "patient", "referrer");
	/* Common options may come before the verb, the verb's own after it. */
	while ((ch = getopt_long(argc, argv, "+" RSO_OPT_SHORT, longopts,
	    NULL)) != -1)
		rso_opt_common(ch, optarg, usage);
	if (optind >= argc)
		return usage_error();
	verb = rso_verb_pick(verbs, argv[optind], RSO_VERB_NEEDED, usage)->name;
	argv += optind;
	argc -= optind;
	rso_opt_reset();
	while ((ch = getopt_long(argc, argv, "f:" RSO_OPT_SHORT, longopts,
	    NULL)) != -1)
		switch (ch) {
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "markdown") &&
			    strcmp(optarg, "json")) {
				rso_warnx("--format: not one of text, markdown, json");
				return usage_error();
			}
			opt_format = optarg;
			break;
		case OPT_BY:
			if (strcmp(optarg, "patient") && strcmp(optarg, "referrer"))
				rso_usage_error(usage, "--by: not patient or "
				    "referrer");
			opt_by = optarg;
			break;
		case OPT_FILE: opt_file = optarg; break;
		case OPT_ICD10:
			if (parse_icd10(optarg) != 0)
				return usage_error();
			break;
		case OPT_IMPACT:
			if (!rso_impact_valid(optarg)) {
				rso_warnx("--impact: not one of none, minor, "
				    "moderate, major");
				return usage_error();
			}
			opt_impact = optarg;
			break;
		case OPT_OUTCOME:
			if (!rso_outcome_valid(optarg)) {
				rso_warnx("--outcome: not one of confirmed, "
				    "diagnosis-changed, treatment-changed, "
				    "more-tests");
				return usage_error();
			}
			opt_outcome = optarg;
			break;
		case OPT_ROLE: opt_role = rso_opt_text("--role", optarg); break;
		case OPT_TO:
			if (parse_to(optarg) != 0)
				return usage_error();
			break;
		case OPT_UNREAD: opt_unread = optarg; break;
		case OPT_VIDEO:
			if (rso_time_parse(optarg, &t) != 0) {
				rso_warnx("--video: not an RFC 3339 time");
				return usage_error();
			}
			opt_video = rso_time_format(t, videobuf);
			break;
		default: rso_opt_common(ch, optarg, usage);
		}
	argc -= optind;
	argv += optind;
	/* A case operand has no line to say who read it. */
	if (strcmp(verb, "ack") == 0 && argc > 0 && opt_by == NULL)
		rso_usage_error(usage, "ack: --by is needed with a case operand");
	store = rso_store_xopen();
	if (strcmp(verb, "draft") == 0)
		rc = verb_draft(argc, argv);
	else if (strcmp(verb, "record") == 0)
		rc = verb_record(argc, argv);
	else if (strcmp(verb, "deliver") == 0)
		rc = rso_case_each_input(argc, argv, deliver_one, NULL);
	else if (strcmp(verb, "ack") == 0)
		rc = rso_case_each_input(argc, argv, mark_one,
		    (void *)&ack_mark);
	else if (strcmp(verb, "optout") == 0)
		rc = rso_case_each_input(argc, argv, mark_one,
		    (void *)&optout_mark);
	else if (strcmp(verb, "reminded") == 0)
		rc = rso_jsonl_each(argc, argv, rso_remind_line,
		    store);
	else
		rc = verb_due(argc, argv);
	rso_store_close(store);
	json_decref(opt_to);
	json_decref(opt_icd10);
	return rso_flush_stdout(rc);
}
