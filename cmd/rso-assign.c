/* rso-assign: specialists matched to ready cases, and reminded. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rso_assign.h"
#include "rso_case.h"
#include "rso_csv.h"
#include "rso_err.h"
#include "rso_jsonl.h"
#include "rso_opt.h"
#include "rso_remind.h"
#include "rso_store.h"
#include "rso_time.h"

enum format { FMT_JSON, FMT_TEXT };

static struct rso_store *store;
static enum format format = FMT_JSON;

/* The verbs besides the default one (assign), for their names and usage. */
static const struct rso_verb verbs[] = {
	{ "accept", NULL, "accept [--by id] case ..." },
	{ "decline", NULL, "decline -r reason [--by id] case ..." },
	{ "due", NULL, "due [--within 2d] [-f json|text]" },
	{ "match", NULL, "match [--role r] case ..." },
	{ "reminded", NULL, "reminded [file ...]" },
	{ "roster", NULL, "roster [-f json|text] [--csv file | file ...]" },
	{ "workload", NULL, "workload [-f json|text]" },
	{ NULL, NULL }
};

static void
usage(FILE *fp, int full)
{
	if (!full && rso_verb_usage(fp))
		return;
	fputs("usage: rso-assign [-q] [-H home] [--to id [--role r]] [--force]"
	    " [--panel role,...] [case ...]\n"
	    "       rso-assign --ready\n"
	    "       rso-assign roster [-f json|text] [--csv file | file ...]\n"
	    "       rso-assign match [--role r] case ...\n"
	    "       rso-assign accept [--by id] case ...\n"
	    "       rso-assign decline -r reason [--by id] case ...\n"
	    "       rso-assign due [--within 2d] [-f json|text]\n"
	    "       rso-assign reminded [file ...]\n"
	    "       rso-assign workload [-f json|text]\n", fp);
	if (!full)
		return;
	fputs("With no verb, assigns the best eligible specialist to each ready\n"
	    "case named on the command line or on stdin (JSON lines with\n"
	    "\"case\"); re-runs change nothing.  roster with files (- for\n"
	    "stdin) imports specialists (JSON lines; --csv for a CSV file with\n"
	    "a header row, lists split on '|'); without, lists them.\n"
	    "See rso-assign(1).\n"
	    "options:\n"
	    "  -H, --home dir   the store (default $RSO_HOME)\n"
	    "  -q, --quiet      no notes on stderr\n"
	    "  -h, --help       this text\n"
	    "      --version    the version\n", fp);
}

static enum format
parse_format(const char *s)
{
	if (strcmp(s, "json") == 0)
		return FMT_JSON;
	if (strcmp(s, "text") == 0)
		return FMT_TEXT;
	rso_warnx("--format: not one of json, text");
	usage(stderr, 0);
	exit(EX_USAGE);
}

static int
emit(json_t *o)
{
	int rc = rso_jsonl_write(stdout, o);

	json_decref(o);
	return rc;
}

static const char *
str(const json_t *o, const char *k)
{
	const char *s = rso_json_str(o, k);

	return s ? s : "-";
}

/* ---- roster ---- */

static void
report(void *ctx, const char *msg)
{
	rso_warnx("%s: %s", (const char *)ctx, msg);
}

static int
roster_put(json_t *sp, const char *where)
{
	int changed, n;

	n = rso_roster_put(store, sp, report, (void *)where, &changed);
	if (n > 0)
		return EX_DATAERR;
	if (n < 0)
		return -n;
	return emit(json_pack("{s:s, s:b}", "specialist", rso_json_str(sp, "id"),
	    changed ? "updated" : "unchanged", 1));
}

static int
roster_line(json_t *sp, struct rso_jsonl *r, void *ctx)
{
	char where[300];

	(void)ctx;
	snprintf(where, sizeof(where), "%s:%lu", rso_jsonl_name(r),
	    rso_jsonl_line(r));
	return roster_put(sp, where);
}

/*
 * A CSV cell is text; capacity and active are a number and a boolean in
 * the roster, so a cell that reads as one becomes one.  Anything else is
 * left as text for rso_roster_put to refuse with the column's name.
 */
static void
csv_typed(json_t *sp)
{
	const char *v;
	char *end;
	long long n;

	if ((v = json_string_value(json_object_get(sp, "capacity"))) != NULL) {
		errno = 0;
		n = strtoll(v, &end, 10);
		if (*v != '\0' && *end == '\0' && errno == 0)
			json_object_set_new(sp, "capacity", json_integer(n));
	}
	if ((v = json_string_value(json_object_get(sp, "active"))) != NULL) {
		if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
			json_object_set_new(sp, "active",
			    json_boolean(strcmp(v, "true") == 0));
	}
}

static int
roster_record(json_t *sp, const char *where, void *ctx)
{
	(void)ctx;
	csv_typed(sp);
	return roster_put(sp, where);
}

static void
join(const json_t *a, char *buf, size_t n)
{
	size_t i, len = 0;
	json_t *x;

	*buf = '\0';
	json_array_foreach(a, i, x)
		len += snprintf(buf + len, len < n ? n - len : 0, "%s%s",
		    i ? "," : "", json_string_value(x));
}

static int
roster_print(json_t *sp, void *ctx)
{
	char jur[128], subs[128];

	(void)ctx;
	if (format == FMT_JSON)
		return rso_jsonl_write(stdout, sp);
	join(json_object_get(sp, "jurisdictions"), jur, sizeof(jur));
	join(json_object_get(sp, "subspecialties"), subs, sizeof(subs));
	printf("%-18s %-24s %-14s %3lld  %-20s %s\n", str(sp, "id"),
	    str(sp, "name"), str(sp, "specialty"),
	    (long long)json_integer_value(json_object_get(sp, "capacity")),
	    jur, subs);
	return 0;
}

static int
verb_roster(int argc, char **argv, const char *csv)
{
	static const char *const lists[] = { "subspecialties",
	    "jurisdictions", "languages", NULL };
	struct rso_error e;
	int rc;

	if (csv != NULL)
		return rso_csv_each(csv, lists, roster_record, NULL);
	if (argc > 0)
		return rso_jsonl_each(argc, argv, roster_line, NULL);
	if (format == FMT_TEXT)
		printf("%-18s %-24s %-14s %3s  %-20s %s\n", "ID", "NAME",
		    "SPECIALTY", "CAP", "LICENSED", "SUBSPECIALTIES");
	if ((rc = rso_roster_foreach(store, roster_print, NULL, &e)) != 0 &&
	    rc != EX_IOERR)
		rso_warnx("%s", e.msg);
	return rc;
}

/* ---- match, assign, accept, decline ---- */

struct per_case {
	const char *role;
	const char *to;
	const char *by;
	const char *reason;
	json_t *panel;
	int force;
};

static int
match_one(const char *id, json_t *line, const char *where, void *ctx)
{
	struct per_case *pc = ctx;
	struct rso_error e;
	json_t *cands, *c;
	size_t i;
	int rc;

	(void)line;
	if ((rc = rso_match(store, id, pc->role, &cands, &e)) != 0) {
		rso_warnx("%s: %s", where, e.msg);
		return rc;
	}
	if (json_array_size(cands) == 0) {
		rso_warnx("%s: %s: no specialist of that specialty on the roster",
		    where, id);
		json_decref(cands);
		return EX_DATAERR;
	}
	json_array_foreach(cands, i, c)
		if ((rc = rso_jsonl_write(stdout, c)) != 0)
			break;
	json_decref(cands);
	return rc;
}

static int
assign_one(const char *id, json_t *line, const char *where, void *ctx)
{
	struct per_case *pc = ctx;
	struct rso_error e;
	json_t *out;
	int rc = 0;

	(void)line;
	if (pc->panel != NULL) {
		if ((rc = rso_store_begin(store, &e)) == 0 &&
		    (rc = rso_panel_set(store, id, pc->panel, &e)) == 0)
			rc = rso_store_commit(store, &e);
		if (rc != 0)
			rso_store_rollback(store);
	}
	if (rc == 0)
		rc = rso_assign(store, id, pc->to, pc->role, pc->force, &out, &e);
	if (rc != 0) {
		rso_warnx("%s: %s", where, e.msg);
		return rc;
	}
	return emit(out);
}

static int
accept_one(const char *id, json_t *line, const char *where, void *ctx)
{
	struct per_case *pc = ctx;
	struct rso_error e;
	json_t *out;
	int rc;

	(void)line;
	if ((rc = rso_assign_accept(store, id, pc->by, &out, &e)) != 0) {
		rso_warnx("%s: %s", where, e.msg);
		return rc;
	}
	return emit(out);
}

static int
decline_one(const char *id, json_t *line, const char *where, void *ctx)
{
	struct per_case *pc = ctx;
	const char *why = pc->reason;
	struct rso_error e;
	json_t *out;
	int rc;

	if (why == NULL && line != NULL)
		why = json_string_value(json_object_get(line, "reason"));
	if (why == NULL || *why == '\0') {
		rso_warnx("%s: reason: missing", where);
		return EX_DATAERR;
	}
	if ((rc = rso_assign_decline(store, id, pc->by, why, &out, &e)) != 0) {
		rso_warnx("%s: %s", where, e.msg);
		return rc;
	}
	return emit(out);
}

static int
ready_one(json_t *c, void *ctx)
{
	(void)ctx;
	return rso_jsonl_write(stdout, c);
}

static int
list_ready(void)
{
	struct rso_case_filter f = { 1u << RSO_ST_READY, NULL, NULL };
	struct rso_error e;
	int rc;

	if ((rc = rso_case_list(store, &f, ready_one, NULL, &e)) != 0 &&
	    rc != EX_IOERR)
		rso_warnx("%s", e.msg);
	return rc;
}

/* ---- due and workload ---- */

static int
due_one(json_t *a, void *ctx)
{
	struct rso_error e;
	int today;

	(void)ctx;
	/* One reminder of a kind a day, however often the job runs. */
	if (rso_remind_sent_today(store, str(a, "case"), str(a, "specialist"),
	    str(a, "kind"), &today, &e) != 0) {
		rso_warnx("%s", e.msg);
		return e.status;
	}
	if (today)
		return 0;
	json_object_set(a, "recipient", json_object_get(a, "specialist"));
	if (format == FMT_JSON)
		return rso_jsonl_write(stdout, a);
	printf("%-16s %-10s %-18s %.10s %4lld  %s\n", str(a, "case"),
	    str(a, "role"), str(a, "specialist"), str(a, "due"),
	    (long long)json_integer_value(json_object_get(a, "days_left")),
	    str(a, "kind"));
	return 0;
}

static int
workload_one(json_t *w, void *ctx)
{
	json_t *adh = json_object_get(w, "sla_adherence"), *due;
	char pct[16];

	(void)ctx;
	if (format == FMT_JSON)
		return rso_jsonl_write(stdout, w);
	if (json_is_real(adh))
		snprintf(pct, sizeof(pct), "%.1f%%", json_real_value(adh));
	else
		snprintf(pct, sizeof(pct), "-");
	due = json_object_get(w, "next_due");
	printf("%-18s %4lld/%-4lld %-10.10s %7lld %5lld %6s\n",
	    str(w, "specialist"),
	    (long long)json_integer_value(json_object_get(w, "open")),
	    (long long)json_integer_value(json_object_get(w, "capacity")),
	    json_is_string(due) ? json_string_value(due) : "-",
	    (long long)json_integer_value(json_object_get(w, "overdue")),
	    (long long)json_integer_value(json_object_get(w, "done")), pct);
	return 0;
}

int
main(int argc, char **argv)
{
	enum { OPT_BY = RSO_OPT_PRIVATE, OPT_CSV, OPT_FORCE, OPT_PANEL, OPT_READY,
	    OPT_ROLE, OPT_TO, OPT_WITHIN };
	static const struct option longopts[] = {
		{ "by", required_argument, NULL, OPT_BY },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "format", required_argument, NULL, 'f' },
		{ "panel", required_argument, NULL, OPT_PANEL },
		{ "csv", required_argument, NULL, OPT_CSV },
		{ "ready", no_argument, NULL, OPT_READY },
		{ "reason", required_argument, NULL, 'r' },
		{ "role", required_argument, NULL, OPT_ROLE },
		{ "to", required_argument, NULL, OPT_TO },
		{ "within", required_argument, NULL, OPT_WITHIN },
		RSO_OPT_LONG, { 0 } };
	struct per_case pc = { "primary", NULL, NULL, NULL, NULL, 0 };
	int64_t within = 0;
	const struct rso_verb *v;
	struct rso_error e;
	const char *verb = "", *csv = NULL;
	int ch, rc, ready = 0;
	char *tok, *save = NULL, *copy;

	rso_setprogname(argv[0]);
	/* The first operand is a verb, else a case for the default verb. */
	if ((v = rso_verb_take(&argc, argv, "f:r:" RSO_OPT_SHORT, longopts,
	    verbs, RSO_VERB_DEFAULT, usage)) != NULL)
		verb = v->name;
	while ((ch = getopt_long(argc, argv, "f:r:" RSO_OPT_SHORT, longopts,
	    NULL)) != -1)
		switch (ch) {
		case 'f': format = parse_format(optarg); break;
		case 'r': pc.reason = rso_opt_text("--reason", optarg); break;
		case OPT_BY: pc.by = rso_opt_text("--by", optarg); break;
		case OPT_CSV: csv = optarg; break;
		case OPT_FORCE: pc.force = 1; break;
		case OPT_PANEL:
			pc.panel = pc.panel ? pc.panel : json_array();
			copy = rso_xstrdup(rso_opt_text("--panel", optarg));
			for (tok = strtok_r(copy, ",", &save); tok;
			    tok = strtok_r(NULL, ",", &save))
				json_array_append_new(pc.panel, json_string(tok));
			free(copy);
			break;
		case OPT_READY: ready = 1; break;
		case OPT_ROLE: pc.role = rso_opt_text("--role", optarg); break;
		case OPT_TO: pc.to = rso_opt_text("--to", optarg); break;
		case OPT_WITHIN:
			if (rso_duration_parse(optarg, &within) != 0) {
				rso_warnx("--within: not a duration such as 2d");
				usage(stderr, 0);
				return EX_USAGE;
			}
			break;
		default: rso_opt_common(ch, optarg, usage);
		}
	argc -= optind;
	argv += optind;
	if (csv != NULL && (strcmp(verb, "roster") != 0 || argc > 0)) {
		rso_warnx("--csv: only for roster, without files");
		usage(stderr, 0);
		return EX_USAGE;
	}
	/* A case operand has no line to carry a reason. */
	if (strcmp(verb, "decline") == 0 && argc > 0 && pc.reason == NULL)
		rso_usage_error(usage, "decline: -r reason is needed with a case "
		    "operand");
	store = rso_store_xopen();
	if (strcmp(verb, "roster") == 0)
		rc = verb_roster(argc, argv, csv);
	else if (strcmp(verb, "match") == 0)
		rc = rso_case_each_input(argc, argv, match_one, &pc);
	else if (strcmp(verb, "accept") == 0)
		rc = rso_case_each_input(argc, argv, accept_one, &pc);
	else if (strcmp(verb, "decline") == 0)
		rc = rso_case_each_input(argc, argv, decline_one, &pc);
	else if (strcmp(verb, "due") == 0) {
		if (format == FMT_TEXT)
			printf("%-16s %-10s %-18s %-10s %4s  %s\n", "CASE", "ROLE",
			    "SPECIALIST", "DUE", "DAYS", "KIND");
		rc = rso_assign_due(store, within, due_one, NULL, &e);
		if (rc != 0 && rc != EX_IOERR)
			rso_warnx("%s", e.msg);
	} else if (strcmp(verb, "reminded") == 0)
		rc = rso_jsonl_each(argc, argv, rso_remind_line,
		    store);
	else if (strcmp(verb, "workload") == 0) {
		if (format == FMT_TEXT)
			printf("%-18s %9s %-10s %7s %5s %6s\n", "SPECIALIST",
			    "OPEN/CAP", "NEXT DUE", "OVERDUE", "DONE", "IN SLA");
		rc = rso_workload_foreach(store, workload_one, NULL, &e);
		if (rc != 0 && rc != EX_IOERR)
			rso_warnx("%s", e.msg);
	} else if (ready)
		rc = list_ready();
	else
		rc = rso_case_each_input(argc, argv, assign_one, &pc);
	json_decref(pc.panel);
	rso_store_close(store);
	return rso_flush_stdout(rc);
}
