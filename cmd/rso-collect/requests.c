/* rso-collect: request, due, sent, missing, complete, ls. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "rso_case.h"
#include "rso_err.h"
#include "rso_jsonl.h"
#include "rso_opt.h"
#include "rso_records.h"
#include "rso_template.h"
#include "rso_store.h"
#include "rso_time.h"
#include "verbs.h"

static struct rso_store *store;
static const char *opt_provider, *opt_what, *opt_older;
static json_t *opt_contact, *opt_studies;
static int opt_text, opt_letter, opt_bad;
static json_t *letters;		/* missing -f letter: provider -> lines */

static void
take_format(const char *arg)
{
	if (strcmp(arg, "text") == 0)
		opt_text = 1;
	else if (strcmp(arg, "letter") == 0)
		opt_letter = 1;
	else if (strcmp(arg, "json") != 0) {
		rso_warnx("--format: not one of json, text, letter");
		opt_bad = 1;
	}
}

static int
usage_error(void)
{
	collect_usage(stderr, 0);
	return EX_USAGE;
}

/* ---- request ---- */

/* --study DATE:MODALITY[:DESCRIPTION], the DATE as YYYY-MM-DD. */
static json_t *
parse_study(const char *arg)
{
	char *copy = rso_xstrdup(arg), *date = copy, *mod, *desc = NULL;
	rso_time_t t;
	json_t *st = NULL;

	if ((mod = strchr(date, ':')) == NULL)
		goto done;
	*mod++ = '\0';
	if ((desc = strchr(mod, ':')) != NULL)
		*desc++ = '\0';
	if (rso_date_parse(date, &t) != 0 || *mod == '\0')
		goto done;
	/* ISO, as filed studies' dates are kept, so arrival can be matched. */
	st = json_pack("{s:s, s:s, s:s?}", "date", date, "modality", mod,
	    "description", desc);
done:
	free(copy);
	return st;
}

static void
request_opt(int ch, const char *arg)
{
	json_t *st;

	switch (ch) {
	case 'p': opt_provider = rso_opt_text("--provider", arg); break;
	case 'w': opt_what = rso_opt_text("--what", arg); break;
	case 'c':
		json_decref(opt_contact);
		if ((opt_contact = rso_contact_parse(rso_opt_text("--contact",
		    arg))) == NULL) {
			rso_warnx("--contact: not METHOD:VALUE with METHOD one of "
			    "fax, mail, email, portal, upload");
			opt_bad = 1;
		}
		break;
	case 's':
		if ((st = parse_study(rso_opt_text("--study", arg))) == NULL) {
			rso_warnx("--study: not YYYY-MM-DD:MODALITY[:DESCRIPTION]");
			opt_bad = 1;
			break;
		}
		if (opt_studies == NULL)
			opt_studies = json_array();
		json_array_append_new(opt_studies, st);
		break;
	}
}

static int
request_one(const char *id, json_t *line, const char *where, void *ctx)
{
	struct rso_error e;
	json_t *req = ctx ? json_incref(ctx) : json_deep_copy(line), *out;
	int rc;

	json_object_del(req, "case");
	json_object_del(req, "ref");
	rc = rso_request_records(store, id, req, &out, &e);
	json_decref(req);
	if (rc != 0) {
		rso_warnx("%s: %s", where, e.msg);
		return rc;
	}
	return collect_emit(out);
}

int
collect_request(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "contact", required_argument, NULL, 'c' },
		{ "provider", required_argument, NULL, 'p' },
		{ "study", required_argument, NULL, 's' },
		{ "what", required_argument, NULL, 'w' },
		RSO_OPT_LONG, { 0 } };
	json_t *req = NULL;
	int rc;

	collect_getopt(&argc, &argv, "c:p:s:w:", longopts, request_opt);
	if (opt_bad)
		return usage_error();
	if (argc > 0) {
		if (!opt_provider || !opt_contact || !opt_what) {
			rso_warnx("request: --provider, --contact and --what are "
			    "needed with a case operand");
			return usage_error();
		}
		req = json_pack("{s:s, s:O, s:s}", "provider", opt_provider,
		    "contact", opt_contact, "what", opt_what);
		if (opt_studies)
			json_object_set(req, "studies", opt_studies);
	} else if (opt_provider || opt_contact || opt_what || opt_studies)
		return usage_error();
	store = rso_store_xopen();
	/* A line may name its case by the request's "ref". */
	rc = rso_case_each_named(store, argc, argv, request_one, req);
	rso_store_close(store);
	json_decref(req);
	json_decref(opt_contact);
	json_decref(opt_studies);
	return rc;
}

/* ---- due and sent ---- */

static void
due_opt(int ch, const char *arg)
{
	if (ch == 'o')
		opt_older = arg;
}

static int
emit_line(json_t *line, void *ctx)
{
	(void)ctx;
	return rso_jsonl_write(stdout, line);
}

int
collect_due(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "older", required_argument, NULL, 'o' }, RSO_OPT_LONG, { 0 } };
	struct rso_error e;
	int64_t older;
	int rc;

	collect_getopt(&argc, &argv, "o:", longopts, due_opt);
	if (argc != 0)
		return usage_error();
	store = rso_store_xopen();
	if (opt_older == NULL &&
	    rso_duration_parse(rso_store_conf_str(store, "followup.interval",
	    "3d"), &older) != 0) {
		rso_warnx("config.json: followup.interval: not a duration such "
		    "as 3d");
		rso_store_close(store);
		return EX_CONFIG;
	}
	if (opt_older != NULL && rso_duration_parse(opt_older, &older) != 0) {
		rso_warnx("--older: not a duration such as 3d");
		rso_store_close(store);
		return EX_USAGE;
	}
	rc = rso_requests_due(store, older, emit_line, NULL, &e);
	if (rc != 0 && rc != EX_IOERR)
		rso_warnx("%s", e.msg);
	rso_store_close(store);
	return rc;
}

static int
sent_line(json_t *line, struct rso_jsonl *r, void *ctx)
{
	struct rso_error e;
	int rc, recorded;

	(void)ctx;
	if ((rc = rso_followup_sent(store, line, &recorded, &e)) != 0) {
		rso_warnx("%s:%lu: %s", rso_jsonl_name(r), rso_jsonl_line(r),
		    e.msg);
		return rc;
	}
	return collect_emit(json_pack("{s:s?, s:s, s:O, s:b}",
	    "case", rso_json_str(line, "case"), "token",
	    rso_json_str(line, "token"), "attempt",
	    json_object_get(line, "attempt"), recorded ? "recorded" :
	    "unchanged", 1));
}

int
collect_sent(int argc, char **argv)
{
	int rc;

	collect_getopt(&argc, &argv, "", (const struct option[]){ RSO_OPT_LONG,
	    { 0 } }, NULL);
	store = rso_store_xopen();
	rc = rso_jsonl_each(argc, argv, sent_line, NULL);
	rso_store_close(store);
	return rc;
}

/* ---- missing, complete, ls ---- */

static void
format_opt(int ch, const char *arg)
{
	if (ch == 'f')
		take_format(arg);
}

static const struct option format_longopts[] = {
	{ "format", required_argument, NULL, 'f' }, RSO_OPT_LONG, { 0 } };

static int
missing_line(json_t *line, void *ctx)
{
	char when[RSO_TIME_STRLEN];
	rso_time_t t;

	(void)ctx;
	if (opt_letter) {
		json_t *a = json_object_get(letters, rso_json_str(line,
		    "provider"));
		if (a == NULL)
			json_object_set_new(letters, rso_json_str(line,
			    "provider"), a = json_array());
		/* A copy: the caller may reuse line for the next one. */
		json_array_append_new(a, json_deep_copy(line));
		return 0;
	}
	if (!opt_text)
		return rso_jsonl_write(stdout, line);
	if (rso_time_parse(rso_json_str(line, "requested"), &t) == 0)
		rso_date_format(t, when);
	else
		snprintf(when, sizeof(when), "-");
	if (strcmp(rso_json_str(line, "missing"), "request") == 0)
		printf("%s  %-28s asked %s (%lld attempt%s): %s\n",
		    rso_json_str(line, "token"), rso_json_str(line, "provider"),
		    when, (long long)json_integer_value(json_object_get(line,
		    "attempts")), json_integer_value(json_object_get(line,
		    "attempts")) == 1 ? "" : "s", rso_json_str(line, "what"));
	else
		printf("%s  %-28s study %s %s %s not arrived\n",
		    rso_json_str(line, "token"), rso_json_str(line, "provider"),
		    rso_json_str(line, "study.date"),
		    rso_json_str(line, "study.modality"),
		    rso_json_str(line, "study.description") ?
		    rso_json_str(line, "study.description") : "");
	return 0;
}

static int
case_verb(int argc, char **argv, int (*fn)(struct rso_store *, const char *,
    rso_records_fn *, void *, struct rso_error *), rso_records_fn *out)
{
	struct rso_error e;
	int rc;

	collect_getopt(&argc, &argv, "f:", format_longopts, format_opt);
	if (opt_bad || argc != 1)
		return usage_error();
	if (!rso_case_id_valid(argv[0]))
		rso_diex(EX_USAGE, "argument 1: not a case id");
	store = rso_store_xopen();
	rc = fn(store, argv[0], out, NULL, &e);
	if (rc != 0 && rc != EX_IOERR)
		rso_warnx("%s", e.msg);
	rso_store_close(store);
	return rc;
}

/* What one missing line asks for, as a line of the letter. */
static void
letter_item(FILE *fp, const json_t *m)
{
	if (strcmp(rso_json_str(m, "missing"), "request") == 0)
		fprintf(fp, "  - %s (request %s)\n", rso_json_str(m, "what"),
		    rso_json_str(m, "token"));
	else
		fprintf(fp, "  - the %s study of %s%s%s (request %s)\n",
		    rso_json_str(m, "study.modality"),
		    rso_json_str(m, "study.date"),
		    rso_json_str(m, "study.description") ? ", " : "",
		    rso_json_str(m, "study.description") ?
		    rso_json_str(m, "study.description") : "",
		    rso_json_str(m, "token"));
}

/*
 * One letter per provider from share/templates/records-missing.txt, each
 * ended by a form feed so that a printer starts the next on a new page.
 */
static int
write_letters(const char *id)
{
	char day[RSO_TIME_STRLEN], *tmpl, *items, *text;
	const char *provider;
	struct rso_error e;
	json_t *c, *vars, *lines, *m;
	size_t n, i;
	FILE *fp;

	if ((tmpl = rso_template_load("records-missing", &e)) == NULL) {
		rso_warnx("%s", e.msg);
		return e.status;
	}
	if (rso_case_get(store, id, &c, &e) != 0) {
		free(tmpl);
		rso_warnx("%s", e.msg);
		return e.status;
	}
	rso_date_format(rso_now(), day);
	json_object_foreach(letters, provider, lines) {
		fp = open_memstream(&items, &n);
		json_array_foreach(lines, i, m)
			letter_item(fp, m);
		fclose(fp);
		vars = json_pack("{s:s, s:s, s:O?, s:s, s:s, s:s}", "provider",
		    provider, "case", id, "patient", json_object_get(
		    json_object_get(c, "request"), "patient"), "items", items,
		    "date", day, "program", rso_store_conf_str(store,
		    "mail.program", "Remote Second Opinion Program"));
		text = rso_template_render(tmpl, vars);
		fputs(text, stdout);
		fputc('\f', stdout);
		free(text);
		free(items);
		json_decref(vars);
	}
	json_decref(c);
	free(tmpl);
	return rso_flush_stdout(0);
}

int
collect_missing(int argc, char **argv)
{
	int rc;

	letters = json_object();
	rc = case_verb(argc, argv, rso_records_missing, missing_line);
	if (rc == 0 && opt_letter && json_object_size(letters) > 0) {
		store = rso_store_xopen();
		rc = write_letters(rso_json_str(json_array_get(
		    json_object_iter_value(json_object_iter(letters)), 0),
		    "case"));
		rso_store_close(store);
	}
	json_decref(letters);
	return rc;
}

static int
ls_line(json_t *line, void *ctx)
{
	(void)ctx;
	if (!opt_text)
		return rso_jsonl_write(stdout, line);
	if (json_object_get(line, "study") != NULL)
		printf("study %-40s %s %-4s %-10s %4lld instances  %s%s\n",
		    rso_json_str(line, "study"),
		    rso_json_str(line, "date") ? rso_json_str(line, "date") : "-",
		    rso_json_str(line, "modality") ? rso_json_str(line, "modality") : "-",
		    rso_json_str(line, "body_part") ? rso_json_str(line, "body_part") : "-",
		    (long long)json_integer_value(json_object_get(line, "instances")),
		    rso_json_str(line, "description") ? rso_json_str(line, "description") : "",
		    json_object_get(line, "held") ? "  (held)" : "");
	else
		printf("%s  %-10s %-10s %-24s %10lld  %s%s\n",
		    rso_json_str(line, "item"), rso_json_str(line, "type"),
		    rso_json_str(line, "date") ? rso_json_str(line, "date") : "-",
		    rso_json_str(line, "media_type"),
		    (long long)json_integer_value(json_object_get(line, "size")),
		    rso_json_str(line, "name"),
		    json_object_get(line, "held") ? "  (held)" : "");
	return 0;
}

int
collect_ls(int argc, char **argv)
{
	return case_verb(argc, argv, rso_records_list, ls_line);
}

static int
complete_one(const char *id, json_t *line, const char *where, void *ctx)
{
	struct rso_error e;
	struct rso_state st;
	json_t *out;
	int rc, already;

	(void)line;
	(void)ctx;
	if ((rc = rso_records_complete(store, id, &already, &e)) != 0 ||
	    (rc = rso_case_state(store, id, &st, &e)) != 0) {
		rso_warnx("%s: %s", where, e.msg);
		return rc;
	}
	out = json_pack("{s:s, s:s}", "case", id, "status",
	    rso_status_name(st.status));
	if (already)
		json_object_set_new(out, "unchanged", json_true());
	return collect_emit(out);
}

int
collect_complete(int argc, char **argv)
{
	int rc;

	collect_getopt(&argc, &argv, "", (const struct option[]){ RSO_OPT_LONG,
	    { 0 } }, NULL);
	store = rso_store_xopen();
	rc = rso_case_each_input(argc, argv, complete_one, NULL);
	rso_store_close(store);
	return rc;
}
