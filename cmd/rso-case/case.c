/* rso-case: show, list, log, and the verbs that move a case. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "rso_case.h"
#include "rso_csv.h"
#include "rso_err.h"
#include "rso_event.h"
#include "rso_jsonl.h"
#include "rso_opt.h"
#include "rso_time.h"
#include "verbs.h"

enum format
case_parse_format(const char *s)
{
	if (strcmp(s, "json") == 0)
		return FMT_JSON;
	if (strcmp(s, "text") == 0)
		return FMT_TEXT;
	if (strcmp(s, "csv") == 0)
		return FMT_CSV;
	rso_warnx("--format: not one of json, text, csv");
	case_usage(stderr, 0);
	exit(EX_USAGE);
}

const char *
case_local(const char *rfc3339, char *buf)
{
	rso_time_t t;

	if (rfc3339 == NULL || rso_time_parse(rfc3339, &t) != 0)
		return rfc3339 ? rfc3339 : "-";
	return rso_time_format_local(t, buf);
}

const char *
case_str(const json_t *o, const char *path)
{
	const char *s = rso_json_str(o, path);

	return s ? s : "";
}

static void
show_text(const json_t *c)
{
	const json_t *r = json_object_get(c, "request"), *q, *con;
	char buf[RSO_TIME_STRLEN];
	size_t i;

	printf("%s  %s since %s\n", case_str(c, "case"), case_str(c, "status"),
	    case_local(case_str(c, "status_at"), buf));
	printf("  %-11s %s\n", "ref", case_str(c, "ref"));
	printf("  %-11s %s, born %s%s%s\n", "patient", case_str(r, "patient.name"),
	    case_str(r, "patient.birth_date"),
	    rso_json_str(r, "patient.sex") ? ", " : "", case_str(r, "patient.sex"));
	if (rso_json_str(r, "patient.country"))
		printf("  %-11s %s%s%s%s%s\n", "location",
		    case_str(r, "patient.country"),
		    rso_json_str(r, "patient.region") ? "-" : "",
		    case_str(r, "patient.region"),
		    rso_json_str(r, "patient.language") ? ", language " : "",
		    case_str(r, "patient.language"));
	if (rso_json_str(r, "requester.kind"))
		printf("  %-11s %s%s%s\n", "requester", case_str(r, "requester.kind"),
		    rso_json_str(r, "requester.name") ? ": " : "",
		    case_str(r, "requester.name"));
	printf("  %-11s %s%s%s%s%s%s\n", "specialty", case_str(r, "specialty"),
	    rso_json_str(r, "subspecialty") ? " / " : "",
	    case_str(r, "subspecialty"), rso_json_str(r, "urgency") ? " (" : "",
	    case_str(r, "urgency"), rso_json_str(r, "urgency") ? ")" : "");
	json_array_foreach(json_object_get(r, "questions"), i, q)
		printf("  question %-2zu %s\n", i + 1, json_string_value(q));
	if (rso_json_str(r, "referral_source"))
		printf("  %-11s %s\n", "referral", case_str(r, "referral_source"));
	if ((con = json_object_get(c, "consent")) != NULL)
		printf("  %-11s %zu provider%s, expires %s\n", "consent",
		    json_array_size(json_object_get(con, "providers")),
		    json_array_size(json_object_get(con, "providers")) == 1 ?
		    "" : "s", case_local(case_str(con, "expires"), buf));
}

struct show_ctx {
	struct rso_store *s;
	enum format fmt;
	int n;
};

static int
show_one(const char *id, json_t *line, const char *where, void *ctx)
{
	struct show_ctx *sc = ctx;
	struct rso_error e;
	json_t *c;

	(void)line;
	if (rso_case_get(sc->s, id, &c, &e) != 0) {
		rso_warnx("%s: %s", where, e.msg);
		return e.status;
	}
	if (sc->fmt == FMT_TEXT) {
		if (sc->n++)
			putchar('\n');
		rso_json_visible(c);
		show_text(c);
	} else
		rso_jsonl_write(stdout, c);
	json_decref(c);
	return 0;
}

/* Parse the format option alone; the rest are the common ones. */
static enum format
format_only(int *argc, char ***argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' }, RSO_OPT_LONG, { 0 } };
	enum format fmt = FMT_JSON;
	int ch;

	rso_opt_reset();
	while ((ch = getopt_long(*argc, *argv, "f:" RSO_OPT_SHORT, longopts,
	    NULL)) != -1)
		if (ch == 'f')
			fmt = case_parse_format(optarg);
		else
			rso_opt_common(ch, optarg, case_usage);
	*argc -= optind;
	*argv += optind;
	return fmt;
}

int
case_show(int argc, char **argv)
{
	struct show_ctx sc = { 0 };
	int rc;

	sc.fmt = format_only(&argc, &argv);
	sc.s = rso_store_xopen_ro();
	rc = rso_case_each_input(argc, argv, show_one, &sc);
	rso_store_close(sc.s);
	return rc;
}

/* The columns of list --format csv, in order. */
static const char *const list_columns[] = { "case", "ref", "status",
    "status_at", "created", "specialty", "urgency", "country", "region",
    NULL };

static int
list_one(json_t *c, void *ctx)
{
	enum format *fmt = ctx;
	char buf[RSO_TIME_STRLEN];
	int i;

	if (*fmt == FMT_JSON)
		return rso_jsonl_write(stdout, c);
	if (*fmt == FMT_CSV) {
		for (i = 0; list_columns[i]; i++)
			rso_csv_cell(stdout, case_str(c, list_columns[i]), i == 0);
		rso_csv_end(stdout);
		return 0;
	}
	rso_json_visible(c);
	printf("%-16s %-17s %-17s %-16s %s\n", case_str(c, "case"), case_str(c, "status"),
	    case_local(case_str(c, "status_at"), buf), case_str(c, "specialty"), case_str(c, "ref"));
	return 0;
}

static unsigned
parse_statuses(const char *arg)
{
	char *copy = rso_xstrdup(arg), *tok, *save = NULL;
	enum rso_status st;
	unsigned mask = 0;

	for (tok = strtok_r(copy, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		if (rso_status_parse(tok, &st) != 0) {
			rso_warnx("--status: not a case status");
			case_usage(stderr, 0);
			exit(EX_USAGE);
		}
		mask |= 1u << st;
	}
	free(copy);
	return mask;
}

/* --since/--until: any form rso_when_parse takes, as RFC 3339 UTC. */
static const char *
parse_when(const char *opt, const char *arg, char *buf)
{
	rso_time_t t;

	if (rso_when_parse(arg, rso_now(), &t) != 0) {
		rso_warnx("%s: not a time, date or duration", opt);
		case_usage(stderr, 0);
		exit(EX_USAGE);
	}
	return rso_time_format(t, buf);
}

int
case_list(int argc, char **argv)
{
	enum { OPT_SINCE = RSO_OPT_PRIVATE, OPT_UNTIL };
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "status", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, OPT_UNTIL },
		RSO_OPT_LONG, { 0 } };
	char since[RSO_TIME_STRLEN], until[RSO_TIME_STRLEN];
	struct rso_case_filter f = { 0 };
	enum format fmt = FMT_JSON;
	struct rso_store *s;
	struct rso_error e;
	int ch, rc, i;

	rso_opt_reset();
	while ((ch = getopt_long(argc, argv, "f:s:" RSO_OPT_SHORT, longopts,
	    NULL)) != -1)
		switch (ch) {
		case 'f': fmt = case_parse_format(optarg); break;
		case 's': f.status_mask |= parse_statuses(optarg); break;
		case OPT_SINCE: f.since = parse_when("--since", optarg, since); break;
		case OPT_UNTIL: f.until = parse_when("--until", optarg, until); break;
		default: rso_opt_common(ch, optarg, case_usage);
		}
	if (optind != argc) {
		case_usage(stderr, 0);
		return EX_USAGE;
	}
	s = rso_store_xopen_ro();
	if (fmt == FMT_TEXT)
		printf("%-16s %-17s %-17s %-16s %s\n", "CASE", "STATUS", "SINCE",
		    "SPECIALTY", "REF");
	if (fmt == FMT_CSV) {
		for (i = 0; list_columns[i]; i++)
			rso_csv_cell(stdout, list_columns[i], i == 0);
		rso_csv_end(stdout);
	}
	rc = rso_case_list(s, &f, list_one, &fmt, &e);
	rso_store_close(s);
	if (rc != 0 && rc != EX_IOERR)
		rso_warnx("%s", e.msg);
	return rc;
}

static void
log_text(const json_t *ev)
{
	char buf[RSO_TIME_STRLEN];
	const char *reason = rso_json_str(ev, "data.reason");

	printf("%6lld  %s  %-12s %s%s%s\n",
	    (long long)json_integer_value(json_object_get(ev, "seq")),
	    case_local(case_str(ev, "at"), buf), case_str(ev, "actor"), case_str(ev, "type"),
	    reason ? "  " : "", reason ? reason : "");
}

static int
log_one(json_t *ev, void *ctx)
{
	enum format *fmt = ctx;

	if (*fmt == FMT_JSON)
		return rso_jsonl_write(stdout, ev);
	rso_json_visible(ev);
	log_text(ev);
	return 0;
}

int
case_log(int argc, char **argv)
{
	enum format fmt = format_only(&argc, &argv);
	struct rso_store *s;
	struct rso_state st;
	struct rso_error e;
	int rc;

	if (argc != 1) {
		case_usage(stderr, 0);
		return EX_USAGE;
	}
	if (!rso_case_id_valid(argv[0]))
		rso_diex(EX_USAGE, "argument 1: not a case id");
	s = rso_store_xopen_ro();
	rc = rso_case_state(s, argv[0], &st, &e);
	if (rc == 0)
		rc = rso_event_foreach(s, argv[0], log_one, &fmt, &e);
	rso_store_close(s);
	if (rc != 0 && rc != EX_IOERR)
		rso_warnx("%s", e.msg);
	return rc;
}

/* What a moving verb does: which event, and whether it needs a reason. */
struct move {
	struct rso_store *s;
	const char *type;
	const char *reason;	/* from --reason, else the line's "reason" */
	int need_reason;	/* cancel: a reason from config.json */
};

static int
move_one(const char *id, json_t *line, const char *where, void *ctx)
{
	struct move *m = ctx;
	const char *reason = m->reason;
	struct rso_error e;
	struct rso_state st;
	json_t *data = json_object(), *out;
	int already, rc;

	if (reason == NULL && line != NULL)
		reason = json_string_value(json_object_get(line, "reason"));
	if (m->need_reason && reason == NULL) {
		rso_warnx("%s: reason: missing", where);
		json_decref(data);
		return EX_DATAERR;
	}
	if (m->need_reason && !rso_store_conf_has(m->s, "cancel_reasons",
	    reason)) {
		rso_warnx("%s: reason: not one of \"cancel_reasons\" in "
		    "config.json", where);
		json_decref(data);
		return EX_DATAERR;
	}
	if (reason != NULL)
		json_object_set_new(data, "reason", json_string(reason));
	rc = rso_case_move(m->s, id, m->type, data, &already, &e);
	json_decref(data);
	if (rc == 0)
		rc = rso_case_state(m->s, id, &st, &e);
	if (rc != 0) {
		rso_warnx("%s: %s", where, e.msg);
		return rc;
	}
	out = json_pack("{s:s, s:s}", "case", id, "status",
	    rso_status_name(st.status));
	if (already)
		json_object_set_new(out, "unchanged", json_true());
	rc = rso_jsonl_write(stdout, out);
	json_decref(out);
	return rc;
}

static int
move_verb(int argc, char **argv, const char *type, int takes_reason,
    int need_reason)
{
	static const struct option longopts[] = {
		{ "reason", required_argument, NULL, 'r' }, RSO_OPT_LONG, { 0 } };
	struct move m = { NULL, type, NULL, need_reason };
	int ch, rc;

	rso_opt_reset();
	while ((ch = getopt_long(argc, argv,
	    takes_reason ? "r:" RSO_OPT_SHORT : RSO_OPT_SHORT, longopts,
	    NULL)) != -1)
		if (ch == 'r' && takes_reason)
			m.reason = rso_opt_text("--reason", optarg);
		else
			rso_opt_common(ch, optarg, case_usage);
	argc -= optind;
	argv += optind;
	/* A case operand has no line to carry a reason: it must be given. */
	if (need_reason && m.reason == NULL && argc > 0)
		rso_usage_error(case_usage, "cancel: -r reason is needed with "
		    "a case operand");
	m.s = rso_store_xopen();
	if (need_reason && m.reason != NULL &&
	    !rso_store_conf_has(m.s, "cancel_reasons", m.reason)) {
		rso_warnx("--reason: not one of \"cancel_reasons\" in config.json");
		rso_store_close(m.s);
		return EX_USAGE;
	}
	rc = rso_case_each_input(argc, argv, move_one, &m);
	rso_store_close(m.s);
	return rc;
}

int
case_hold(int argc, char **argv)
{
	return move_verb(argc, argv, "case.held", 1, 0);
}

int
case_resume(int argc, char **argv)
{
	return move_verb(argc, argv, "case.resumed", 0, 0);
}

int
case_cancel(int argc, char **argv)
{
	return move_verb(argc, argv, "case.cancelled", 1, 1);
}

int
case_close(int argc, char **argv)
{
	return move_verb(argc, argv, "case.closed", 0, 0);
}

/* ---- survey ---- */

struct survey {
	struct rso_store *s;
	int score;		/* -1: take it from each line */
	const char *comment;
};

/* The answer a line or the options give; -1 and a diagnostic when bad. */
static int
survey_score(const struct survey *sv, json_t *line, const char *where)
{
	json_t *v;

	if (sv->score >= 0)
		return sv->score;
	v = line ? json_object_get(line, "score") : NULL;
	if (v == NULL) {
		rso_warnx("%s: score: missing", where);
		return -1;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 10) {
		rso_warnx("%s: score: not a whole number from 0 to 10", where);
		return -1;
	}
	return (int)json_integer_value(v);
}

static int
survey_one(const char *id, json_t *line, const char *where, void *ctx)
{
	struct survey *sv = ctx;
	const char *comment = sv->comment;
	struct rso_error e;
	struct rso_state st;
	json_t *data, *out;
	int score, rc;

	if ((score = survey_score(sv, line, where)) < 0)
		return EX_DATAERR;
	if (comment == NULL && line != NULL)
		comment = json_string_value(json_object_get(line, "comment"));
	if ((rc = rso_case_state(sv->s, id, &st, &e)) != 0) {
		rso_warnx("%s: %s", where, e.msg);
		return rc;
	}
	/* Satisfaction with an opinion: asked once it has been delivered. */
	if (st.status != RSO_ST_DELIVERED && st.status != RSO_ST_CLOSED) {
		rso_warnx("%s: %s: a survey is for a delivered case, not one that "
		    "is %s", where, id, rso_status_name(st.status));
		return EX_DATAERR;
	}
	data = json_pack("{s:i, s:s?}", "score", score, "comment", comment);
	if ((rc = rso_store_begin(sv->s, &e)) == 0 &&
	    (rc = rso_case_event(sv->s, id, "survey.answered", data, &e)) == 0)
		rc = rso_store_commit(sv->s, &e);
	json_decref(data);
	if (rc != 0) {
		rso_store_rollback(sv->s);
		rso_warnx("%s: %s", where, e.msg);
		return rc;
	}
	out = json_pack("{s:s, s:i}", "case", id, "score", score);
	rc = rso_jsonl_write(stdout, out);
	json_decref(out);
	return rc;
}

int
case_survey(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "comment", required_argument, NULL, 'c' },
		{ "score", required_argument, NULL, 's' },
		RSO_OPT_LONG, { 0 } };
	struct survey sv = { NULL, -1, NULL };
	char *end;
	long v;
	int ch, rc;

	rso_opt_reset();
	while ((ch = getopt_long(argc, argv, "c:s:" RSO_OPT_SHORT, longopts,
	    NULL)) != -1)
		switch (ch) {
		case 'c': sv.comment = rso_opt_text("--comment", optarg); break;
		case 's':
			v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 0 || v > 10) {
				rso_warnx("--score: not a whole number from 0 to 10");
				case_usage(stderr, 0);
				return EX_USAGE;
			}
			sv.score = (int)v;
			break;
		default: rso_opt_common(ch, optarg, case_usage);
		}
	argc -= optind;
	argv += optind;
	if (argc > 0 && sv.score < 0) {
		rso_warnx("survey: --score is needed with a case operand");
		case_usage(stderr, 0);
		return EX_USAGE;
	}
	sv.s = rso_store_xopen();
	rc = rso_case_each_input(argc, argv, survey_one, &sv);
	rso_store_close(sv.s);
	return rc;
}
