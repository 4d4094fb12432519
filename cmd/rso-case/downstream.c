/* rso-case downstream: care at this hospital that followed an opinion. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "rso_case.h"
#include "rso_err.h"
#include "rso_event.h"
#include "rso_jsonl.h"
#include "rso_money.h"
#include "rso_opt.h"
#include "rso_time.h"
#include "verbs.h"

/* The kinds the ROI report counts; the message below lists them. */
static const char *const kinds[] = { "procedure", "admission", "imaging",
    "visit", NULL };
#define KINDS_MSG "not one of procedure, admission, imaging, visit"

/* What the options say; a NULL member is taken from each case line. */
struct downstream {
	struct rso_store *s;
	const char *kind, *date, *note;
	int64_t revenue;	/* -1: from each line */
	int exponent;		/* of the configured currency */
	const char *currency;
};

/* One record, checked: what the event carries. */
struct record {
	const char *kind, *note;
	char date[RSO_TIME_STRLEN];
	int64_t revenue;
};

static int
kind_valid(const char *k)
{
	int i;

	for (i = 0; kinds[i]; i++)
		if (strcmp(kinds[i], k) == 0)
			return 1;
	return 0;
}

/* A calendar date only: the day the care happened, not an instant. */
static int
date_valid(const char *d)
{
	rso_time_t t;

	return strlen(d) == 10 && rso_date_parse(d, &t) == 0;
}

/*
 * The record of one case: the options, else the line's members.  A bad or
 * missing member is reported under where and gives EX_DATAERR.
 */
static int
record_get(const struct downstream *d, json_t *line, const char *where,
    struct record *r)
{
	const json_t *v;
	struct rso_error e;

	r->kind = d->kind ? d->kind : rso_json_str(line, "kind");
	r->note = d->note ? d->note : rso_json_str(line, "note");
	if (r->kind == NULL) {
		rso_warnx("%s: kind: missing", where);
		return EX_DATAERR;
	}
	if (!kind_valid(r->kind)) {
		rso_warnx("%s: kind: " KINDS_MSG, where);
		return EX_DATAERR;
	}
	r->revenue = d->revenue;
	if (r->revenue < 0) {
		if ((v = json_object_get(line, "revenue")) == NULL) {
			rso_warnx("%s: revenue: missing", where);
			return EX_DATAERR;
		}
		if (rso_money_json(v, d->exponent, 0, &r->revenue, &e) != 0) {
			rso_warnx("%s: revenue: %s", where, e.msg);
			return EX_DATAERR;
		}
	}
	if (d->date)
		snprintf(r->date, sizeof(r->date), "%s", d->date);
	else if (rso_json_str(line, "date")) {
		if (!date_valid(rso_json_str(line, "date"))) {
			rso_warnx("%s: date: not a date such as 2026-10-01", where);
			return EX_DATAERR;
		}
		snprintf(r->date, sizeof(r->date), "%s",
		    rso_json_str(line, "date"));
	} else
		rso_date_format(rso_now(), r->date);
	return 0;
}

/* Whether ev is the same record: a re-run must not count it twice. */
static int
same_record(json_t *ev, void *ctx)
{
	const struct record *r = ctx;
	const json_t *data = json_object_get(ev, "data");
	const char *type = rso_json_str(ev, "type");

	if (type == NULL || strcmp(type, "case.downstream") != 0)
		return 0;
	if (json_integer_value(json_object_get(data, "revenue")) != r->revenue)
		return 0;
	return strcmp(rso_json_str(data, "kind") ? rso_json_str(data, "kind") :
	    "", r->kind) == 0 && strcmp(rso_json_str(data, "date") ?
	    rso_json_str(data, "date") : "", r->date) == 0;
}

/* Record it unless it is there already; *already says which. */
static int
record_put(struct downstream *d, const char *id, const struct record *r,
    int *already, struct rso_error *e)
{
	json_t *data;
	int rc;

	if ((rc = rso_store_begin(d->s, e)) != 0)
		return rc;
	/* Inside the transaction: two runs at once cannot both record it. */
	rc = rso_event_foreach(d->s, id, same_record, (void *)r, e);
	if (rc != 0 && rc != 1)
		goto fail;
	*already = rc;
	if (*already) {
		rso_store_rollback(d->s);
		return 0;
	}
	data = json_pack("{s:s, s:I, s:s, s:s, s:s*}", "kind", r->kind,
	    "revenue", (json_int_t)r->revenue, "currency", d->currency, "date",
	    r->date, "note", r->note);
	rc = rso_case_event(d->s, id, "case.downstream", data, e);
	json_decref(data);
	if (rc == 0)
		rc = rso_store_commit(d->s, e);
fail:
	if (rc != 0)
		rso_store_rollback(d->s);
	return rc;
}

static int
downstream_one(const char *id, json_t *line, const char *where, void *ctx)
{
	struct downstream *d = ctx;
	char buf[RSO_MONEY_STRLEN];
	struct rso_error e;
	struct rso_state st;
	struct record r;
	json_t *out;
	int already = 0, rc;

	if ((rc = record_get(d, line, where, &r)) != 0)
		return rc;
	if ((rc = rso_case_state(d->s, id, &st, &e)) != 0) {
		rso_warnx("%s: %s", where, e.msg);
		return rc;
	}
	/* Care that followed an opinion: there must have been one. */
	if (st.status != RSO_ST_DELIVERED && st.status != RSO_ST_CLOSED) {
		rso_warnx("%s: %s: not delivered (%s)", where, id,
		    rso_status_name(st.status));
		return EX_DATAERR;
	}
	if ((rc = record_put(d, id, &r, &already, &e)) != 0) {
		rso_warnx("%s: %s", where, e.msg);
		return rc;
	}
	out = json_pack("{s:s, s:s, s:s, s:s}", "case", id, "kind", r.kind,
	    "revenue", rso_money_format(r.revenue, d->exponent, buf), "date",
	    r.date);
	if (already)
		json_object_set_new(out, "unchanged", json_true());
	rc = rso_jsonl_write(stdout, out);
	json_decref(out);
	return rc;
}

int
case_downstream(int argc, char **argv)
{
	enum { O_DATE = RSO_OPT_PRIVATE, O_KIND, O_NOTE, O_REVENUE };
	static const struct option longopts[] = {
		{ "date", required_argument, NULL, O_DATE },
		{ "kind", required_argument, NULL, O_KIND },
		{ "note", required_argument, NULL, O_NOTE },
		{ "revenue", required_argument, NULL, O_REVENUE },
		RSO_OPT_LONG, { 0 } };
	struct downstream d = { NULL, NULL, NULL, NULL, -1, 2, NULL };
	const char *revenue = NULL;
	struct rso_error e;
	int ch, rc;

	rso_opt_reset();
	while ((ch = getopt_long(argc, argv, RSO_OPT_SHORT, longopts,
	    NULL)) != -1)
		switch (ch) {
		case O_DATE:
			if (!date_valid(optarg))
				rso_usage_error(case_usage, "--date: not a date such as 2026-10-01");
			d.date = optarg;
			break;
		case O_KIND:
			if (!kind_valid(optarg))
				rso_usage_error(case_usage, "--kind: " KINDS_MSG);
			d.kind = optarg;
			break;
		case O_NOTE: d.note = rso_opt_text("--note", optarg); break;
		case O_REVENUE: revenue = optarg; break;
		default: rso_opt_common(ch, optarg, case_usage);
		}
	argc -= optind;
	argv += optind;
	if (argc > 0 && (d.kind == NULL || revenue == NULL))
		rso_usage_error(case_usage, "downstream: --kind and --revenue are needed with a "
		    "case operand");
	d.s = rso_store_xopen();
	d.currency = rso_store_conf_str(d.s, "currency", "USD");
	if ((d.exponent = rso_currency_exponent(d.currency)) < 0)
		rso_diex(EX_CONFIG, "config.json: currency: not an ISO 4217 "
		    "code we know");
	/* The amount's decimals depend on the currency, hence after open. */
	if (revenue && rso_money_parse(revenue, d.exponent, 0, &d.revenue,
	    &e) != 0) {
		rso_store_close(d.s);
		rso_warnx("--revenue: %s", e.msg);
		case_usage(stderr, 0);
		return EX_USAGE;
	}
	rc = rso_case_each_input(argc, argv, downstream_one, &d);
	rso_store_close(d.s);
	return rc;
}
