/* rso_report: the program's figures, by SQL over the events and ledger. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rso_bill.h"
#include "rso_jsonl.h"
#include "rso_money.h"
#include "rso_report.h"
#include "rso_sla.h"
#include "rso_stats.h"
#include "rso_store_priv.h"

/* A column as text, "" for NULL. */
#define col(st, i) rso_store_col((st), (i))

/* ---- periods ---- */

static void
month_bounds(int y, int m, struct rso_period *p)
{
	int ny = m == 12 ? y + 1 : y, nm = m == 12 ? 1 : m + 1;

	snprintf(p->since, sizeof(p->since), "%04d-%02d-01T00:00:00Z", y, m);
	snprintf(p->until, sizeof(p->until), "%04d-%02d-01T00:00:00Z", ny, nm);
	snprintf(p->label, sizeof(p->label), "%04d-%02d", y, m);
	p->month = 1;
}

int
rso_period_month(const char *month, struct rso_period *p)
{
	int y, m;
	char tail;

	memset(p, 0, sizeof(*p));
	if (month == NULL || strlen(month) != 7 ||
	    sscanf(month, "%4d-%2d%c", &y, &m, &tail) != 2 || y < 1970 ||
	    m < 1 || m > 12)
		return EX_USAGE;
	month_bounds(y, m, p);
	return 0;
}

static int
bound(const char *s, char *out)
{
	rso_time_t t;

	if (rso_time_parse(s, &t) != 0 && rso_date_parse(s, &t) != 0)
		return -1;
	rso_time_format(t, out);
	return 0;
}

int
rso_period_range(const char *since, const char *until, struct rso_period *p)
{
	memset(p, 0, sizeof(*p));
	if (since == NULL || bound(since, p->since) != 0)
		return EX_USAGE;
	if (until == NULL)
		rso_time_format(rso_now(), p->until);
	else if (bound(until, p->until) != 0)
		return EX_USAGE;
	snprintf(p->label, sizeof(p->label), "%.10s to %.10s", p->since,
	    p->until);
	return 0;
}

void
rso_period_shift(const struct rso_period *p, int months,
    struct rso_period *out)
{
	int y = atoi(p->since), m = atoi(p->since + 5), k;

	k = y * 12 + (m - 1) + months;
	memset(out, 0, sizeof(*out));
	month_bounds(k / 12, k % 12 + 1, out);
}

/* ---- small SQL helpers ---- */

static sqlite3_stmt *
prep(struct rso_store *s, const char *sql, const struct rso_period *p)
{
	sqlite3_stmt *st = rso_store_prepare(s, sql);

	if (sqlite3_bind_parameter_count(st) >= 2) {
		sqlite3_bind_text(st, 1, p->since, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, p->until, -1, SQLITE_STATIC);
	}
	return st;
}

static int64_t
count(struct rso_store *s, const char *sql, const struct rso_period *p)
{
	sqlite3_stmt *st = prep(s, sql, p);
	int64_t n = 0;

	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int
table_exists(struct rso_store *s, const char *name)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT 1 FROM sqlite_master"
	    " WHERE type = 'table' AND name = ?");
	int found;

	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

static json_t *
days(int64_t secs)
{
	char buf[32];

	return json_string(rso_days_format(secs, buf, sizeof(buf)));
}

static json_t *
rate(int64_t num, int64_t den)
{
	char buf[16];

	if (den == 0)
		return json_null();
	return json_string(rso_rate_format(rso_rate_tenths(num, den), buf,
	    sizeof(buf)));
}

static json_t *
pct(int64_t *v, size_t n, int p)
{
	int64_t out;

	if (rso_percentile(v, n, p, &out) != 0)
		return json_null();
	return days(out);
}

/* A list of int64 that grows. */
struct vec {
	int64_t *v;
	size_t n, cap;
};

static void
vec_push(struct vec *x, int64_t v)
{
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 64;
		x->v = rso_xrealloc(x->v, x->cap * sizeof(*x->v));
	}
	x->v[x->n++] = v;
}

static int64_t
secs_between(const char *a, const char *b)
{
	rso_time_t ta, tb;

	if (rso_time_parse(a, &ta) != 0 || rso_time_parse(b, &tb) != 0)
		return -1;
	return tb - ta;
}

/* ---- report objects ---- */

static json_t *
report_new(const char *name, const char *title, const struct rso_period *p,
    struct rso_store *s)
{
	char rule[256];
	int business = json_is_true(rso_json_path(rso_store_config(s),
	    "sla_business_days"));

	snprintf(rule, sizeof(rule), "SLA: %lld %s days from ready (records "
	    "complete) to delivered, time on hold excluded; percentiles by "
	    "nearest rank", rso_store_conf_int(s, "sla_days", 14), business ?
	    "business" : "calendar");
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:s}, s:s, s:[], s:[]}",
	    "report", name, "title", title, "period", "since", p->since,
	    "until", p->until, "label", p->label, "rule", rule, "sections",
	    "charts");
}

static json_t *
section(json_t *r, const char *name, const char *title, const char *cols)
{
	json_t *sec = json_pack("{s:s, s:s, s:[], s:[]}", "name", name, "title",
	    title, "columns", "rows");
	json_t *c = json_object_get(sec, "columns");
	char *copy = rso_xstrdup(cols), *tok, *save = NULL;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",",
	    &save))
		json_array_append_new(c, json_string(tok));
	free(copy);
	json_array_append_new(json_object_get(r, "sections"), sec);
	return json_object_get(sec, "rows");
}

static json_t *
chart(json_t *r, const char *kind, const char *title, const char *unit,
    int line)
{
	json_t *c = json_pack("{s:s, s:s, s:s, s:[], s:[]}", "kind", kind,
	    "title", title, "unit", unit, "labels", "values");

	if (line > 0)
		json_object_set_new(c, "line", json_integer(line));
	json_array_append_new(json_object_get(r, "charts"), c);
	return c;
}

static void
chart_add(json_t *c, const char *label, int64_t v)
{
	json_array_append_new(json_object_get(c, "labels"), json_string(label));
	json_array_append_new(json_object_get(c, "values"), json_integer(v));
}

/*
 * The SLA clocks (seconds) in two-day bins up to 20 days and over, with
 * the promise drawn across.
 */
static void
clock_histogram(json_t *r, struct rso_store *s, const struct vec *clocks)
{
	json_t *c = chart(r, "histogram", "Days from ready to delivered (hold "
	    "excluded)", "cases", (int)rso_store_conf_int(s, "sla_days", 14));
	int64_t bins[11] = { 0 }, d;
	char label[16];
	size_t i;
	int k;

	for (i = 0; i < clocks->n; i++) {
		d = clocks->v[i] / 86400 / 2;
		bins[d > 10 ? 10 : d < 0 ? 0 : d]++;
	}
	for (k = 0; k < 11; k++) {
		if (k < 10)
			snprintf(label, sizeof(label), "%d-%d", k * 2, k * 2 + 2);
		else
			snprintf(label, sizeof(label), "20+");
		chart_add(c, label, bins[k]);
	}
}

/* ---- the figures of one period ---- */

/* First time each case had an event of type, within the period. */
#define FIRST_IN(type) \
	"SELECT case_id, min(at) AS at FROM events WHERE type = '" type "'" \
	" GROUP BY case_id HAVING min(at) >= ?1 AND min(at) < ?2"

/*
 * Fees collected: every amount into cash in the period (payments and paid
 * claims), as the ledger has it.  The monthly and ROI reports share it so
 * that their "collected" can never disagree.
 */
#define COLLECTED_SQL \
	"SELECT coalesce(sum(p.amount), 0) FROM postings p JOIN ledger_tx t ON" \
	" t.id = p.tx_id WHERE p.account = 'cash' AND p.amount > 0 AND t.at >=" \
	" ?1 AND t.at < ?2"

/* The kinds rso-case downstream records, in the order reports list them. */
#define NKINDS 4
static const char *const kind_names[NKINDS] = { "procedure", "admission",
    "imaging", "visit" };

/* Downstream care in a period: counts and revenue (minor units) by kind. */
struct downstream {
	int64_t count[NKINDS], revenue[NKINDS], total_count, total_revenue;
};

/*
 * A record counts in the period that holds the day it happened (its
 * "date"), not the day it was entered: care is often entered late.
 */
static void
downstream_get(struct rso_store *s, const struct rso_period *p,
    struct downstream *d)
{
	sqlite3_stmt *st = prep(s, "SELECT json_extract(data, '$.kind'),"
	    " count(*), coalesce(sum(json_extract(data, '$.revenue')), 0) FROM"
	    " events WHERE type = 'case.downstream' AND coalesce("
	    "json_extract(data, '$.date') || 'T00:00:00Z', at) >= ?1 AND"
	    " coalesce(json_extract(data, '$.date') || 'T00:00:00Z', at) < ?2"
	    " GROUP BY 1", p);
	int k;

	memset(d, 0, sizeof(*d));
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (k = 0; k < NKINDS; k++)
			if (strcmp(col(st, 0), kind_names[k]) == 0) {
				d->count[k] = sqlite3_column_int64(st, 1);
				d->revenue[k] = sqlite3_column_int64(st, 2);
			}
		d->total_count += sqlite3_column_int64(st, 1);
		d->total_revenue += sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
}

struct figures {
	int64_t requests, consented, ready, delivered, read, cancelled;
	int64_t within, breaches, surveys, invoiced, collected, refunded;
	int64_t outcomes[4];
	struct downstream ds;
	struct rso_nps nps;
	struct vec to_ready, clock, to_delivered;
	int money;
};

static const char *const outcome_names[4] = { "confirmed",
    "diagnosis-changed", "treatment-changed", "more-tests" };

static int64_t
request_time_secs(struct rso_store *s, const char *id, const char *at)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT coalesce(received,"
	    " created) FROM cases WHERE id = ?");
	int64_t v = -1;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = secs_between(col(st, 0), at);
	sqlite3_finalize(st);
	return v;
}

static int
figures_get(struct rso_store *s, const struct rso_period *p,
    struct figures *f, struct rso_error *e)
{
	struct rso_sla sla;
	sqlite3_stmt *st;
	int64_t v;
	int i, rc;

	memset(f, 0, sizeof(*f));
	f->requests = count(s, "SELECT count(*) FROM cases WHERE created >= ?1"
	    " AND created < ?2", p);
	f->consented = count(s, "SELECT count(*) FROM (" FIRST_IN(
	    "consent.recorded") ")", p);
	f->ready = count(s, "SELECT count(*) FROM (" FIRST_IN(
	    "records.complete") ")", p);
	f->read = count(s, "SELECT count(*) FROM (" FIRST_IN(
	    "opinion.acknowledged") ")", p);
	f->cancelled = count(s, "SELECT count(*) FROM events WHERE type ="
	    " 'case.cancelled' AND at >= ?1 AND at < ?2", p);
	st = prep(s, FIRST_IN("records.complete"), p);
	while (sqlite3_step(st) == SQLITE_ROW)
		if ((v = request_time_secs(s, col(st, 0), col(st, 1))) >= 0)
			vec_push(&f->to_ready, v);
	sqlite3_finalize(st);
	st = prep(s, FIRST_IN("opinion.delivered"), p);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		f->delivered++;
		if (rso_sla_case(s, col(st, 0), &sla, e) != 0)
			break;
		if (sla.ready && sla.delivered) {
			vec_push(&f->clock, sla.delivered - sla.ready - sla.held);
			if (sla.delivered <= sla.due)
				f->within++;
			else
				f->breaches++;
		}
		if ((v = request_time_secs(s, col(st, 0), col(st, 1))) >= 0)
			vec_push(&f->to_delivered, v);
	}
	sqlite3_finalize(st);
	st = prep(s, "SELECT o.outcome, count(*) FROM opinions o JOIN ("
	    FIRST_IN("opinion.delivered") ") d ON d.case_id = o.case_id WHERE"
	    " o.role = 'primary' GROUP BY o.outcome", p);
	while (sqlite3_step(st) == SQLITE_ROW)
		for (i = 0; i < 4; i++)
			if (strcmp(col(st, 0), outcome_names[i]) == 0)
				f->outcomes[i] = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	st = prep(s, "SELECT json_extract(data, '$.score') FROM events WHERE"
	    " type = 'survey.answered' AND at >= ?1 AND at < ?2", p);
	while (sqlite3_step(st) == SQLITE_ROW)
		rso_nps_add(&f->nps, sqlite3_column_int(st, 0));
	sqlite3_finalize(st);
	rso_nps_finish(&f->nps);
	downstream_get(s, p, &f->ds);
	if ((f->money = table_exists(s, "invoices"))) {
		f->invoiced = count(s, "SELECT coalesce(sum(total), 0) FROM"
		    " invoices WHERE issued >= ?1 AND issued < ?2", p);
		f->collected = count(s, COLLECTED_SQL, p);
		f->refunded = count(s, "SELECT coalesce(sum(amount), 0) FROM"
		    " refunds WHERE at >= ?1 AND at < ?2", p);
	}
	return 0;
}

static void
figures_free(struct figures *f)
{
	free(f->to_ready.v);
	free(f->clock.v);
	free(f->to_delivered.v);
}

/* One metric of a figures set, as the JSON value the report shows. */
static json_t *
metric(struct figures *f, int k, int x)
{
	char buf[RSO_MONEY_STRLEN];

	switch (k) {
	case 0: return json_integer(f->requests);
	case 1: return json_integer(f->consented);
	case 2: return json_integer(f->ready);
	case 3: return json_integer(f->delivered);
	case 4: return json_integer(f->read);
	case 5: return json_integer(f->cancelled);
	case 6: return pct(f->to_ready.v, f->to_ready.n, 50);
	case 7: return pct(f->to_ready.v, f->to_ready.n, 90);
	case 8: return pct(f->clock.v, f->clock.n, 50);
	case 9: return pct(f->clock.v, f->clock.n, 90);
	case 10: return pct(f->to_delivered.v, f->to_delivered.n, 50);
	case 11: return pct(f->to_delivered.v, f->to_delivered.n, 90);
	case 12: return rate(f->within, f->within + f->breaches);
	case 13: return json_integer(f->breaches);
	case 14: case 15: case 16: case 17:
		return json_integer(f->outcomes[k - 14]);
	case 18: return json_integer(f->nps.responses);
	case 19: return f->nps.responses ? json_integer(f->nps.nps) :
	    json_null();
	case 20: return rate(f->nps.responses, f->delivered);
	case 21: return f->money ? json_string(rso_money_format(f->invoiced, x,
	    buf)) : json_null();
	case 22: return f->money ? json_string(rso_money_format(f->collected, x,
	    buf)) : json_null();
	case 23: return f->money ? json_string(rso_money_format(f->refunded, x,
	    buf)) : json_null();
	case 24: return json_integer(f->ds.total_count);
	case 25: return json_string(rso_money_format(f->ds.total_revenue, x,
	    buf));
	}
	return json_null();
}

static const char *const metric_names[] = {
	"new requests", "consented", "records complete (ready)",
	"opinions delivered", "opinions read", "cancelled",
	"median days request to ready", "p90 days request to ready",
	"median days ready to delivered", "p90 days ready to delivered",
	"median days request to delivered", "p90 days request to delivered",
	"delivered within the SLA", "SLA breaches",
	"outcome: confirmed", "outcome: diagnosis changed",
	"outcome: treatment changed", "outcome: more tests",
	"survey responses", "NPS", "survey response rate",
	"invoiced", "collected", "refunded",
	"downstream care", "downstream revenue", NULL };

json_t *
rso_report_monthly(struct rso_store *s, const struct rso_period *p,
    struct rso_error *e)
{
	struct rso_period prev, last;
	struct figures f[3];
	json_t *r, *rows, *c;
	sqlite3_stmt *st;
	int k, n = p->month ? 3 : 1;
	int x = rso_currency_exponent(rso_store_conf_str(s, "currency", "USD"));

	if (p->month) {
		rso_period_shift(p, -1, &prev);
		rso_period_shift(p, -12, &last);
	}
	if (figures_get(s, p, &f[0], e) != 0 || (n == 3 &&
	    (figures_get(s, &prev, &f[1], e) != 0 ||
	    figures_get(s, &last, &f[2], e) != 0)))
		return NULL;
	r = report_new("monthly", "Program report", p, s);
	rows = section(r, "figures", "The month's figures",
	    "metric,value,previous,last_year");
	for (k = 0; metric_names[k]; k++)
		json_array_append_new(rows, json_pack("{s:s, s:o, s:o, s:o}",
		    "metric", metric_names[k], "value", metric(&f[0], k, x),
		    "previous", n == 3 ? metric(&f[1], k, x) : json_null(),
		    "last_year", n == 3 ? metric(&f[2], k, x) : json_null()));
	rows = section(r, "status", "Cases by status now", "status,cases");
	st = rso_store_prepare(s, "SELECT status, count(*) FROM cases GROUP BY"
	    " status ORDER BY count(*) DESC, status");
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(rows, json_pack("{s:s, s:I}", "status",
		    col(st, 0), "cases", (json_int_t)sqlite3_column_int64(st, 1)));
	sqlite3_finalize(st);
	/* Charts: the last twelve months' volume, and this month's outcomes. */
	if (p->month) {
		c = chart(r, "bars", "New requests, last 12 months", "cases", 0);
		for (k = -11; k <= 0; k++) {
			struct rso_period m;
			rso_period_shift(p, k, &m);
			chart_add(c, m.label, count(s, "SELECT count(*) FROM cases"
			    " WHERE created >= ?1 AND created < ?2", &m));
		}
	}
	c = chart(r, "bars", "Outcome mix", "opinions", 0);
	for (k = 0; k < 4; k++)
		chart_add(c, outcome_names[k], f[0].outcomes[k]);
	clock_histogram(r, s, &f[0].clock);
	for (k = 0; k < n; k++)
		figures_free(&f[k]);
	return r;
}

/* ---- turnaround ---- */

/* Where the time of a delivered case went, after it was ready. */
static const char *
slowest_stage(struct rso_store *s, const char *id, const struct rso_sla *sla)
{
	sqlite3_stmt *st = rso_store_prepare(s, "SELECT (SELECT max(at) FROM"
	    " events WHERE case_id = ?1 AND type = 'case.assigned'), (SELECT"
	    " max(at) FROM events WHERE case_id = ?1 AND type ="
	    " 'review.started')");
	rso_time_t ta = 0, tr = 0;
	int64_t wait, accept, review;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		rso_time_parse(col(st, 0), &ta);
		rso_time_parse(col(st, 1), &tr);
	}
	sqlite3_finalize(st);
	if (!ta || !tr)
		return "review";
	wait = ta - sla->ready;
	accept = tr - ta;
	review = sla->delivered - tr;
	if (wait >= accept && wait >= review)
		return "waiting for a specialist";
	return accept >= review ? "waiting for acceptance" : "review";
}

json_t *
rso_report_turnaround(struct rso_store *s, const struct rso_period *p,
    struct rso_error *e)
{
	json_t *r = report_new("turnaround", "Turnaround", p, s);
	json_t *stages, *breaches;
	sqlite3_stmt *st, *sp;
	struct rso_sla sla;
	struct vec clock = { 0 }, all = { 0 };
	int64_t v, within;
	char ready[RSO_TIME_STRLEN], dl[RSO_TIME_STRLEN];

	stages = section(r, "specialties", "Ready to delivered, by specialty",
	    "specialty,delivered,median_days,p90_days,within_sla");
	breaches = section(r, "breaches", "Cases that broke the SLA",
	    "case,specialty,ready,delivered,days,held_days,stage");
	sp = prep(s, "SELECT DISTINCT c.specialty FROM cases c JOIN ("
	    FIRST_IN("opinion.delivered") ") d ON d.case_id = c.id ORDER BY 1", p);
	while (sqlite3_step(sp) == SQLITE_ROW) {
		clock.n = 0;
		within = 0;
		st = prep(s, "SELECT c.id FROM cases c JOIN (" FIRST_IN(
		    "opinion.delivered") ") d ON d.case_id = c.id WHERE"
		    " c.specialty = ?3 ORDER BY d.at", p);
		sqlite3_bind_text(st, 3, col(sp, 0), -1, SQLITE_TRANSIENT);
		while (sqlite3_step(st) == SQLITE_ROW) {
			if (rso_sla_case(s, col(st, 0), &sla, e) != 0 ||
			    !sla.ready || !sla.delivered)
				continue;
			v = sla.delivered - sla.ready - sla.held;
			vec_push(&clock, v);
			vec_push(&all, v);
			if (sla.delivered <= sla.due) {
				within++;
				continue;
			}
			rso_time_format(sla.ready, ready);
			rso_time_format(sla.delivered, dl);
			json_array_append_new(breaches, json_pack("{s:s, s:s, s:s,"
			    " s:s, s:o, s:o, s:s}", "case", col(st, 0), "specialty",
			    col(sp, 0), "ready", ready, "delivered", dl, "days",
			    days(v), "held_days", days(sla.held), "stage",
			    slowest_stage(s, col(st, 0), &sla)));
		}
		sqlite3_finalize(st);
		json_array_append_new(stages, json_pack("{s:s, s:I, s:o, s:o, s:o}",
		    "specialty", col(sp, 0), "delivered", (json_int_t)clock.n,
		    "median_days", pct(clock.v, clock.n, 50), "p90_days",
		    pct(clock.v, clock.n, 90), "within_sla", rate(within,
		    (int64_t)clock.n)));
	}
	sqlite3_finalize(sp);
	clock_histogram(r, s, &all);
	free(clock.v);
	free(all.v);
	return r;
}

/* ---- funnel ---- */

json_t *
rso_report_funnel(struct rso_store *s, const struct rso_period *p,
    struct rso_error *e)
{
	static const struct {
		const char *step, *sql;
	} steps[] = {
		{ "requested", "SELECT c.id, coalesce(c.received, c.created) FROM"
		  " cases c WHERE c.created >= ?1 AND c.created < ?2" },
		{ "consented", "consent.recorded" },
		{ "paid", "payment" },
		{ "records complete", "records.complete" },
		{ "assigned", "case.assigned" },
		{ "delivered", "opinion.delivered" },
		{ "read", "opinion.acknowledged" },
	};
	json_t *r = report_new("funnel", "Funnel: cases requested in the period",
	    p, s), *rows, *c;
	int64_t first = 0, prevn = 0, n;
	struct vec gap;
	sqlite3_stmt *st;
	size_t k;
	int money = table_exists(s, "invoices");

	(void)e;
	rows = section(r, "steps", "From request to a read opinion",
	    "step,cases,of_previous,of_requested,median_days_from_previous");
	c = chart(r, "bars", "Funnel", "cases", 0);
	for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		char sql[1024];
		memset(&gap, 0, sizeof(gap));
		if (k == 0)
			snprintf(sql, sizeof(sql), "%s", steps[0].sql);
		else if (strcmp(steps[k].sql, "payment") == 0 && !money)
			continue;
		else if (strcmp(steps[k].sql, "payment") == 0)
			snprintf(sql, sizeof(sql), "SELECT c.id, (SELECT min(at) FROM"
			    " events WHERE case_id = c.id AND type IN"
			    " ('payment.received', 'invoice.issued') AND (type ="
			    " 'payment.received' OR json_extract(data, '$.status') IN"
			    " ('waived', 'covered'))), (SELECT min(at) FROM events WHERE"
			    " case_id = c.id AND type = 'consent.recorded') FROM cases c"
			    " JOIN invoices i ON i.case_id = c.id WHERE c.created >= ?1"
			    " AND c.created < ?2 AND i.status IN ('paid', 'waived',"
			    " 'covered')");
		else
			snprintf(sql, sizeof(sql), "SELECT c.id, (SELECT min(at) FROM"
			    " events WHERE case_id = c.id AND type = '%s'), (SELECT"
			    " min(at) FROM events WHERE case_id = c.id AND type = '%s')"
			    " FROM cases c WHERE c.created >= ?1 AND c.created < ?2 AND"
			    " EXISTS (SELECT 1 FROM events WHERE case_id = c.id AND type"
			    " = '%s')", steps[k].sql, k == 1 ? "case.created" :
			    strcmp(steps[k - 1].sql, "payment") == 0 ?
			    "consent.recorded" : steps[k - 1].sql, steps[k].sql);
		st = prep(s, sql, p);
		n = 0;
		while (sqlite3_step(st) == SQLITE_ROW) {
			n++;
			if (k > 0 && sqlite3_column_text(st, 2)) {
				int64_t d = secs_between(col(st, 2), col(st, 1));
				if (d >= 0)
					vec_push(&gap, d);
			}
		}
		sqlite3_finalize(st);
		if (k == 0)
			first = prevn = n;
		json_array_append_new(rows, json_pack("{s:s, s:I, s:o, s:o, s:o}",
		    "step", steps[k].step, "cases", (json_int_t)n, "of_previous",
		    k ? rate(n, prevn) : json_null(), "of_requested", rate(n, first),
		    "median_days_from_previous", k ? pct(gap.v, gap.n, 50) :
		    json_null()));
		chart_add(c, steps[k].step, n);
		prevn = n;
		free(gap.v);
	}
	return r;
}

/* ---- attrition ---- */

json_t *
rso_report_attrition(struct rso_store *s, const struct rso_period *p,
    struct rso_error *e)
{
	json_t *r = report_new("attrition", "Attrition: cases cancelled", p, s);
	json_t *rows, *c;
	sqlite3_stmt *st;

	(void)e;
	rows = section(r, "reasons", "By reason and the stage they left at",
	    "reason,stage,cases");
	/* The stage: how far the case had come when it was cancelled. */
	st = prep(s, "SELECT json_extract(x.data, '$.reason') AS reason,"
	    " CASE (SELECT max(CASE type WHEN 'consent.recorded' THEN 1 WHEN"
	    " 'records.complete' THEN 2 WHEN 'case.assigned' THEN 3 WHEN"
	    " 'review.started' THEN 4 ELSE 0 END) FROM events WHERE case_id ="
	    " x.case_id AND seq < x.seq) WHEN 1 THEN 'collecting' WHEN 2 THEN"
	    " 'ready' WHEN 3 THEN 'assigned' WHEN 4 THEN 'in-review' ELSE"
	    " 'awaiting-consent' END AS stage, count(*) FROM events x WHERE"
	    " x.type = 'case.cancelled' AND x.at >= ?1 AND x.at < ?2 GROUP BY"
	    " reason, stage ORDER BY count(*) DESC, reason, stage", p);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(rows, json_pack("{s:s, s:s, s:I}", "reason",
		    col(st, 0), "stage", col(st, 1), "cases",
		    (json_int_t)sqlite3_column_int64(st, 2)));
	sqlite3_finalize(st);
	c = chart(r, "bars", "Cancellations by reason", "cases", 0);
	st = prep(s, "SELECT json_extract(data, '$.reason'), count(*) FROM events"
	    " WHERE type = 'case.cancelled' AND at >= ?1 AND at < ?2 GROUP BY 1"
	    " ORDER BY 2 DESC, 1", p);
	while (sqlite3_step(st) == SQLITE_ROW)
		chart_add(c, col(st, 0), sqlite3_column_int64(st, 1));
	sqlite3_finalize(st);
	return r;
}

/* ---- outcomes ---- */

json_t *
rso_report_outcomes(struct rso_store *s, const struct rso_period *p,
    struct rso_error *e)
{
	json_t *r = report_new("outcomes", "Outcomes of delivered opinions", p,
	    s), *rows, *c;
	sqlite3_stmt *st;

	(void)e;
	rows = section(r, "outcomes", "By specialty, outcome and impact",
	    "specialty,outcome,impact,cases");
	st = prep(s, "SELECT c.specialty, o.outcome, o.impact, count(*) FROM"
	    " opinions o JOIN cases c ON c.id = o.case_id JOIN (" FIRST_IN(
	    "opinion.delivered") ") d ON d.case_id = o.case_id WHERE o.role ="
	    " 'primary' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3", p);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:I}",
		    "specialty", col(st, 0), "outcome", col(st, 1), "impact",
		    col(st, 2), "cases", (json_int_t)sqlite3_column_int64(st, 3)));
	sqlite3_finalize(st);
	c = chart(r, "bars", "Outcome mix", "opinions", 0);
	st = prep(s, "SELECT o.outcome, count(*) FROM opinions o JOIN ("
	    FIRST_IN("opinion.delivered") ") d ON d.case_id = o.case_id WHERE"
	    " o.role = 'primary' GROUP BY 1 ORDER BY 2 DESC, 1", p);
	while (sqlite3_step(st) == SQLITE_ROW)
		chart_add(c, col(st, 0), sqlite3_column_int64(st, 1));
	sqlite3_finalize(st);
	return r;
}

/* ---- nps ---- */

json_t *
rso_report_nps(struct rso_store *s, const struct rso_period *p,
    struct rso_error *e)
{
	json_t *r = report_new("nps", "Net Promoter Score", p, s), *rows;
	struct rso_nps n = { 0 };
	sqlite3_stmt *st;
	int64_t delivered;

	(void)e;
	st = prep(s, "SELECT json_extract(data, '$.score') FROM events WHERE"
	    " type = 'survey.answered' AND at >= ?1 AND at < ?2", p);
	while (sqlite3_step(st) == SQLITE_ROW)
		rso_nps_add(&n, sqlite3_column_int(st, 0));
	sqlite3_finalize(st);
	rso_nps_finish(&n);
	delivered = count(s, "SELECT count(*) FROM (" FIRST_IN(
	    "opinion.delivered") ")", p);
	rows = section(r, "nps", "Survey scores (0-10)",
	    "responses,promoters,passives,detractors,nps,response_rate");
	json_array_append_new(rows, json_pack("{s:I, s:I, s:I, s:I, s:o, s:o}",
	    "responses", (json_int_t)n.responses, "promoters",
	    (json_int_t)n.promoters, "passives", (json_int_t)n.passives,
	    "detractors", (json_int_t)n.detractors, "nps", n.responses ?
	    json_integer(n.nps) : json_null(), "response_rate",
	    rate(n.responses, delivered)));
	rows = section(r, "comments", "Comments", "case,score,comment");
	st = prep(s, "SELECT case_id, json_extract(data, '$.score'),"
	    " json_extract(data, '$.comment') FROM events WHERE type ="
	    " 'survey.answered' AND at >= ?1 AND at < ?2 AND"
	    " json_extract(data, '$.comment') IS NOT NULL ORDER BY seq", p);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(rows, json_pack("{s:s, s:I, s:s}", "case",
		    col(st, 0), "score", (json_int_t)sqlite3_column_int64(st, 1),
		    "comment", col(st, 2)));
	sqlite3_finalize(st);
	return r;
}

/* ---- access ---- */

json_t *
rso_report_access(struct rso_store *s, const struct rso_period *p,
    struct rso_error *e)
{
	json_t *r = report_new("access", "Access to clinical content", p, s);
	json_t *rows;
	sqlite3_stmt *st;

	(void)e;
	rows = section(r, "access", "Who read or changed clinical content",
	    "at,actor,case,action,what");
	st = prep(s, "SELECT at, actor, case_id, type, coalesce(json_extract("
	    "data, '$.name'), json_extract(data, '$.segment'), json_extract(data,"
	    " '$.study'), json_extract(data, '$.format'), '') FROM events WHERE"
	    " at >= ?1 AND at < ?2 AND type IN ('records.read', 'records.filed',"
	    " 'records.released', 'records.rejected', 'opinion.recorded',"
	    " 'case.exported', 'export.written') ORDER BY seq", p);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s, s:s}",
		    "at", col(st, 0), "actor", col(st, 1), "case", col(st, 2),
		    "action", col(st, 3), "what", col(st, 4)));
	sqlite3_finalize(st);
	return r;
}

/* ---- reach ---- */

json_t *
rso_report_reach(struct rso_store *s, const struct rso_period *p,
    struct rso_error *e)
{
	json_t *r = report_new("reach", "Reach: where patients come from", p, s);
	json_t *rows, *c;
	sqlite3_stmt *st;

	(void)e;
	rows = section(r, "places", "By country and region",
	    "country,region,cases");
	st = prep(s, "SELECT coalesce(country, '-'), coalesce(region, '-'),"
	    " count(*) FROM cases WHERE created >= ?1 AND created < ?2 GROUP BY"
	    " 1, 2 ORDER BY 3 DESC, 1, 2", p);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(rows, json_pack("{s:s, s:s, s:I}", "country",
		    col(st, 0), "region", col(st, 1), "cases",
		    (json_int_t)sqlite3_column_int64(st, 2)));
	sqlite3_finalize(st);
	rows = section(r, "referrals", "By referral source", "source,cases");
	c = chart(r, "bars", "Referral sources", "cases", 0);
	st = prep(s, "SELECT coalesce(referral_source, '-'), count(*) FROM cases"
	    " WHERE created >= ?1 AND created < ?2 GROUP BY 1 ORDER BY 2 DESC, 1",
	    p);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_array_append_new(rows, json_pack("{s:s, s:I}", "source",
		    col(st, 0), "cases", (json_int_t)sqlite3_column_int64(st, 1)));
		chart_add(c, col(st, 0), sqlite3_column_int64(st, 1));
	}
	sqlite3_finalize(st);
	return r;
}

/* ---- specialists ---- */

json_t *
rso_report_specialists(struct rso_store *s, const struct rso_period *p,
    struct rso_error *e)
{
	json_t *r = report_new("specialists", "Specialists", p, s), *rows;
	sqlite3_stmt *st, *cs;
	struct rso_sla sla;
	struct vec rev;
	int64_t within, total, payout;
	int money = table_exists(s, "payouts");
	int x = rso_currency_exponent(rso_store_conf_str(s, "currency", "USD"));
	char buf[RSO_MONEY_STRLEN];

	rows = section(r, "specialists", "Per specialist",
	    "specialist,assigned,declined,delivered,median_review_days,"
	    "within_sla,payouts");
	st = prep(s, "SELECT id, (SELECT count(*) FROM events WHERE type ="
	    " 'case.assigned' AND at >= ?1 AND at < ?2 AND json_extract(data,"
	    " '$.specialist') = sp.id), (SELECT count(*) FROM events WHERE type"
	    " IN ('assignment.declined', 'panel.declined') AND at >= ?1 AND at <"
	    " ?2 AND json_extract(data, '$.specialist') = sp.id) FROM"
	    " specialists sp ORDER BY id", p);
	while (sqlite3_step(st) == SQLITE_ROW) {
		memset(&rev, 0, sizeof(rev));
		within = total = 0;
		cs = prep(s, "SELECT o.case_id, (SELECT max(at) FROM events WHERE"
		    " case_id = o.case_id AND type = 'review.started' AND"
		    " json_extract(data, '$.specialist') = ?3), d.at FROM opinions"
		    " o JOIN (" FIRST_IN("opinion.delivered") ") d ON d.case_id ="
		    " o.case_id WHERE o.specialist_id = ?3", p);
		sqlite3_bind_text(cs, 3, col(st, 0), -1, SQLITE_TRANSIENT);
		while (sqlite3_step(cs) == SQLITE_ROW) {
			total++;
			if (sqlite3_column_text(cs, 1))
				vec_push(&rev, secs_between(col(cs, 1), col(cs, 2)));
			if (rso_sla_case(s, col(cs, 0), &sla, e) == 0 &&
			    sla.delivered && sla.delivered <= sla.due)
				within++;
		}
		sqlite3_finalize(cs);
		payout = 0;
		if (money) {
			cs = prep(s, "SELECT coalesce(sum(amount), 0) FROM payouts"
			    " WHERE specialist_id = ?3 AND month >= substr(?1, 1, 7)"
			    " AND month < substr(?2, 1, 7)", p);
			sqlite3_bind_text(cs, 3, col(st, 0), -1, SQLITE_TRANSIENT);
			if (sqlite3_step(cs) == SQLITE_ROW)
				payout = sqlite3_column_int64(cs, 0);
			sqlite3_finalize(cs);
		}
		json_array_append_new(rows, json_pack("{s:s, s:I, s:I, s:I, s:o,"
		    " s:o, s:o}", "specialist", col(st, 0), "assigned",
		    (json_int_t)sqlite3_column_int64(st, 1), "declined",
		    (json_int_t)sqlite3_column_int64(st, 2), "delivered",
		    (json_int_t)total, "median_review_days", pct(rev.v, rev.n, 50),
		    "within_sla", rate(within, total), "payouts", money ?
		    json_string(rso_money_format(payout, x, buf)) : json_null()));
		free(rev.v);
	}
	sqlite3_finalize(st);
	return r;
}

/* ---- audit ---- */

struct tie {
	const char *what, *docs, *ledger;
};

/*
 * Each total from the documents against the same total from the ledger's
 * postings for the period: they must agree to the cent.
 */
static const struct tie ties[] = {
	{ "invoiced", "SELECT coalesce(sum(total), 0) FROM invoices WHERE"
	  " issued >= ?1 AND issued < ?2",
	  "SELECT coalesce(sum(p.amount), 0) FROM postings p JOIN ledger_tx t ON"
	  " t.id = p.tx_id WHERE t.kind = 'invoice' AND p.account ="
	  " 'receivable' AND t.at >= ?1 AND t.at < ?2" },
	{ "payments", "SELECT coalesce(sum(amount), 0) FROM payments WHERE"
	  " tx_id IN (SELECT id FROM ledger_tx WHERE at >= ?1 AND at < ?2)",
	  "SELECT coalesce(sum(p.amount), 0) FROM postings p JOIN ledger_tx t ON"
	  " t.id = p.tx_id WHERE t.kind = 'payment' AND p.account = 'cash' AND"
	  " t.at >= ?1 AND t.at < ?2" },
	{ "refunds", "SELECT coalesce(sum(amount), 0) FROM refunds WHERE at >= ?1"
	  " AND at < ?2",
	  "SELECT coalesce(-sum(p.amount), 0) FROM postings p JOIN ledger_tx t ON"
	  " t.id = p.tx_id WHERE t.kind = 'refund' AND p.account = 'cash' AND"
	  " t.at >= ?1 AND t.at < ?2" },
	{ "claims paid", "SELECT coalesce(sum(amount), 0) FROM claims WHERE"
	  " status = 'paid' AND decided >= ?1 AND decided < ?2",
	  "SELECT coalesce(sum(p.amount), 0) FROM postings p JOIN ledger_tx t ON"
	  " t.id = p.tx_id WHERE t.kind = 'claim-paid' AND p.account = 'cash'"
	  " AND t.at >= ?1 AND t.at < ?2" },
	{ "payouts paid", "SELECT coalesce(sum(amount), 0) FROM payouts WHERE"
	  " status = 'paid' AND paid >= ?1 AND paid < ?2",
	  "SELECT coalesce(-sum(p.amount), 0) FROM postings p JOIN ledger_tx t ON"
	  " t.id = p.tx_id WHERE t.kind = 'payout-paid' AND p.account = 'cash'"
	  " AND t.at >= ?1 AND t.at < ?2" },
};

static void
money_rows(struct rso_store *s, const struct rso_period *p, json_t *rows,
    const char *sql, const char *const *names, const int *is_money, int x)
{
	char buf[RSO_MONEY_STRLEN];
	sqlite3_stmt *st = prep(s, sql, p);
	json_t *row;
	int i;

	while (sqlite3_step(st) == SQLITE_ROW) {
		row = json_object();
		for (i = 0; names[i]; i++)
			json_object_set_new(row, names[i], is_money[i] ?
			    json_string(rso_money_format(sqlite3_column_int64(st, i),
			    x, buf)) : sqlite3_column_type(st, i) == SQLITE_NULL ?
			    json_null() : json_string(col(st, i)));
		json_array_append_new(rows, row);
	}
	sqlite3_finalize(st);
}

json_t *
rso_report_audit(struct rso_store *s, const struct rso_period *p,
    struct rso_error *e)
{
	static const char *const inv[] = { "invoice", "case", "customer",
	    "issued", "total", "status", NULL };
	static const int inv_m[] = { 0, 0, 0, 0, 1, 0 };
	static const char *const pay[] = { "payment", "case", "invoice", "paid",
	    "amount", "credit", "method", NULL };
	static const int pay_m[] = { 0, 0, 0, 0, 1, 1, 0 };
	static const char *const ref[] = { "case", "at", "amount", "reason",
	    NULL };
	static const int ref_m[] = { 0, 0, 1, 0 };
	static const char *const clm[] = { "claim", "case", "payer", "amount",
	    "status", "submitted", "decided", NULL };
	static const int clm_m[] = { 0, 0, 0, 1, 0, 0, 0 };
	static const char *const pyo[] = { "specialist", "case", "month",
	    "amount", "status", "paid", NULL };
	static const int pyo_m[] = { 0, 0, 0, 1, 0, 0 };
	int x = rso_currency_exponent(rso_store_conf_str(s, "currency", "USD"));
	char buf[RSO_MONEY_STRLEN], buf2[RSO_MONEY_STRLEN];
	json_t *r, *rows;
	int64_t docs, ledger;
	size_t i;
	int ties_out = 1;

	(void)e;
	r = report_new("audit", "Financial audit", p, s);
	money_rows(s, p, section(r, "invoices", "Invoices issued",
	    "invoice,case,customer,issued,total,status"), "SELECT i.number,"
	    " i.case_id, json_extract(c.intake, '$.patient.name'), i.issued,"
	    " i.total, i.status FROM invoices i JOIN cases c ON c.id = i.case_id"
	    " WHERE i.issued >= ?1 AND i.issued < ?2 ORDER BY i.number", inv,
	    inv_m, x);
	money_rows(s, p, section(r, "payments", "Payments received",
	    "payment,case,invoice,paid,amount,credit,method"), "SELECT"
	    " y.processor_id, y.case_id, y.invoice, t.at, y.amount, y.credit,"
	    " y.method FROM payments y JOIN ledger_tx t ON t.id = y.tx_id WHERE"
	    " t.at >= ?1 AND t.at < ?2 ORDER BY t.id", pay, pay_m, x);
	money_rows(s, p, section(r, "refunds", "Refunds", "case,at,amount,reason"),
	    "SELECT case_id, at, amount, reason FROM refunds WHERE at >= ?1 AND"
	    " at < ?2 ORDER BY id", ref, ref_m, x);
	money_rows(s, p, section(r, "claims", "Insurance claims",
	    "claim,case,payer,amount,status,submitted,decided"), "SELECT number,"
	    " case_id, payer, amount, status, submitted, decided FROM claims"
	    " WHERE (submitted >= ?1 AND submitted < ?2) OR (decided >= ?1 AND"
	    " decided < ?2) ORDER BY number", clm, clm_m, x);
	money_rows(s, p, section(r, "payouts", "Specialist payouts",
	    "specialist,case,month,amount,status,paid"), "SELECT specialist_id,"
	    " case_id, month, amount, status, paid FROM payouts WHERE (month >="
	    " substr(?1, 1, 7) AND month < substr(?2, 1, 7)) OR (paid >= ?1 AND"
	    " paid < ?2) ORDER BY month, specialist_id, case_id", pyo, pyo_m, x);
	rows = section(r, "totals", "Totals against the ledger",
	    "total,documents,ledger,ties");
	for (i = 0; i < sizeof(ties) / sizeof(ties[0]); i++) {
		docs = count(s, ties[i].docs, p);
		ledger = count(s, ties[i].ledger, p);
		if (docs != ledger)
			ties_out = 0;
		json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s}",
		    "total", ties[i].what, "documents", rso_money_format(docs, x,
		    buf), "ledger", rso_money_format(ledger, x, buf2), "ties",
		    docs == ledger ? "yes" : "NO"));
	}
	json_object_set_new(r, "ties", json_boolean(ties_out));
	return r;
}

/* ---- roi ---- */

/* What the program brought in and cost in a period, in minor units. */
struct roi {
	int64_t collected, delivered;
	int64_t fixed, per_case, per_case_total, payouts, costs;
	int64_t net, ratio;	/* ratio: returns over costs, hundredths; -1 */
	struct downstream ds;
	int money;		/* the billing tables exist */
};

/* A money member of config.json, absent 0; EX_CONFIG when malformed. */
static int
conf_money(struct rso_store *s, const char *path, int x, int64_t *out,
    struct rso_error *e)
{
	json_t *v = rso_json_path(rso_store_config(s), path);
	struct rso_error me;

	*out = 0;
	if (v == NULL)
		return 0;
	if (rso_money_json(v, x, 0, out, &me) != 0)
		return rso_error_set(e, EX_CONFIG, "config.json: %s: %s", path,
		    me.msg);
	return 0;
}

/*
 * The fixed cost of a period: each calendar month it touches adds its
 * share of costs.monthly_fixed, in proportion to the minutes it covers
 * (minutes: the product stays well inside int64 for any amount we allow),
 * so a whole month costs exactly the monthly figure.
 */
static int64_t
fixed_cost(const struct rso_period *p, int64_t monthly)
{
	struct rso_period m;
	rso_time_t since, until, ms, me, a, b;
	int64_t total = 0, q, r, part, whole;

	if (rso_time_parse(p->since, &since) != 0 ||
	    rso_time_parse(p->until, &until) != 0 || monthly == 0)
		return 0;
	month_bounds(atoi(p->since), atoi(p->since + 5), &m);
	for (;;) {
		rso_time_parse(m.since, &ms);
		rso_time_parse(m.until, &me);
		if (ms >= until)
			break;
		a = since > ms ? since : ms;
		b = until < me ? until : me;
		if (b > a) {
			part = (b - a) / 60;
			whole = (me - ms) / 60;
			q = monthly * part / whole;
			r = monthly * part % whole;
			total += q + (2 * r >= whole);
		}
		rso_period_shift(&m, 1, &m);
	}
	return total;
}

/* "2.35": n/d in hundredths, rounded half up, into buf; -1 for no d. */
static int64_t
ratio_hundredths(int64_t n, int64_t d)
{
	if (d <= 0 || n < 0)
		return -1;
	return (n * 100 + d / 2) / d;
}

/* Hundredths as "2.35" into buf (32 bytes). */
static const char *
ratio_text(int64_t hundredths, char *buf)
{
	snprintf(buf, 32, "%lld.%02lld", (long long)(hundredths / 100),
	    (long long)(hundredths % 100));
	return buf;
}

static json_t *
ratio_json(int64_t hundredths)
{
	char buf[32];

	return hundredths < 0 ? json_null() :
	    json_string(ratio_text(hundredths, buf));
}

static int
roi_get(struct rso_store *s, const struct rso_period *p, int x,
    struct roi *o, struct rso_error *e)
{
	int rc;

	memset(o, 0, sizeof(*o));
	if ((rc = conf_money(s, "costs.monthly_fixed", x, &o->fixed, e)) != 0 ||
	    (rc = conf_money(s, "costs.per_case", x, &o->per_case, e)) != 0)
		return rc;
	o->fixed = fixed_cost(p, o->fixed);
	o->delivered = count(s, "SELECT count(*) FROM (" FIRST_IN(
	    "opinion.delivered") ")", p);
	o->per_case_total = o->per_case * o->delivered;
	downstream_get(s, p, &o->ds);
	if ((o->money = table_exists(s, "postings"))) {
		o->collected = count(s, COLLECTED_SQL, p);
		/* As the specialists report: payouts owed for the months. */
		o->payouts = count(s, "SELECT coalesce(sum(amount), 0) FROM"
		    " payouts WHERE month >= substr(?1, 1, 7) AND month <"
		    " substr(?2, 1, 7)", p);
	}
	o->costs = o->fixed + o->per_case_total + o->payouts;
	o->net = o->collected + o->ds.total_revenue - o->costs;
	o->ratio = ratio_hundredths(o->collected + o->ds.total_revenue,
	    o->costs);
	return 0;
}

json_t *
rso_report_roi(struct rso_store *s, const struct rso_period *p,
    struct rso_error *e)
{
	int x = rso_currency_exponent(rso_store_conf_str(s, "currency", "USD"));
	char buf[RSO_MONEY_STRLEN];
	json_t *r, *rows, *c;
	struct roi o;
	int k;

#define ROW(name, v) json_array_append_new(rows, json_pack("{s:s, s:o}", \
	"metric", (name), "value", (v)))
#define MONEY(v) json_string(rso_money_format((v), x, buf))
	if (roi_get(s, p, x, &o, e) != 0)
		return NULL;
	r = report_new("roi", "Return on the program", p, s);
	rows = section(r, "figures", "Fees, downstream care, costs and net",
	    "metric,value");
	ROW("fees collected", o.money ? MONEY(o.collected) : json_null());
	ROW("downstream care", json_integer(o.ds.total_count));
	ROW("downstream revenue", MONEY(o.ds.total_revenue));
	ROW("opinions delivered", json_integer(o.delivered));
	ROW("costs: fixed", MONEY(o.fixed));
	ROW("costs: per delivered opinion", MONEY(o.per_case_total));
	ROW("costs: specialist payouts", o.money ? MONEY(o.payouts) :
	    json_null());
	ROW("costs", MONEY(o.costs));
	ROW("net", MONEY(o.net));
	ROW("return ratio", ratio_json(o.ratio));
	rows = section(r, "downstream", "Downstream care by kind",
	    "kind,count,revenue");
	c = chart(r, "bars", "Downstream care by kind", "records", 0);
	for (k = 0; k < NKINDS; k++) {
		json_array_append_new(rows, json_pack("{s:s, s:I, s:o}", "kind",
		    kind_names[k], "count", (json_int_t)o.ds.count[k], "revenue",
		    MONEY(o.ds.revenue[k])));
		chart_add(c, kind_names[k], o.ds.count[k]);
	}
	json_array_append_new(rows, json_pack("{s:s, s:I, s:o}", "kind", "all",
	    "count", (json_int_t)o.ds.total_count, "revenue",
	    MONEY(o.ds.total_revenue)));
#undef ROW
#undef MONEY
	return r;
}

/* ---- maturity ---- */

/*
 * The dimensions of the maturity model, each with the config key of its
 * thresholds (percent, integers) and their defaults, in the order the
 * report lists them.
 */
enum { M_TURNAROUND, M_PAYMENTS, M_ROI, M_REACH, M_EHR, M_SPECIALIST,
    M_SELF_SERVICE, M_RELATIONSHIP, M_COUNT };

static const struct dimension {
	const char *key, *title;
	int intermediate, established;
} dimensions[M_COUNT] = {
	{ "turnaround", "workflow and two-week turnaround", 50, 90 },
	{ "payments", "pricing and electronic payment", 50, 90 },
	{ "roi", "return on investment", 100, 200 },
	{ "reach", "reach abroad", 5, 15 },
	{ "ehr", "EHR/PACS transfer", 50, 90 },
	{ "specialist_sla", "specialist SLA", 50, 90 },
	{ "self_service", "self-service intake", 25, 60 },
	{ "relationship", "relationship after the opinion", 30, 60 },
};

/* A dimension's thresholds: config "maturity.KEY", else the defaults. */
static int
thresholds(struct rso_store *s, int d, int *inter, int *estab,
    struct rso_error *e)
{
	char path[64];

	snprintf(path, sizeof(path), "maturity.%s.intermediate",
	    dimensions[d].key);
	*inter = (int)rso_store_conf_int(s, path, dimensions[d].intermediate);
	snprintf(path, sizeof(path), "maturity.%s.established",
	    dimensions[d].key);
	*estab = (int)rso_store_conf_int(s, path, dimensions[d].established);
	if (*inter < 0 || *inter > *estab)
		return rso_error_set(e, EX_CONFIG, "config.json: maturity.%s: "
		    "not 0 <= intermediate <= established", dimensions[d].key);
	return 0;
}

/* One dimension's finding, before it is judged. */
struct finding {
	int64_t num, den;	/* the share: num of den */
	int64_t score;		/* tenths of a percent; -1: nothing to judge */
	const char *level;	/* set when the rule is not the thresholds */
	char figure[64], why[320];
};

static void
share(struct finding *f, int64_t num, int64_t den)
{
	f->num = num;
	f->den = den;
	f->score = rso_rate_tenths(num, den);
	if (f->score >= 0)
		rso_rate_format(f->score, f->figure, sizeof(f->figure));
}

/* Cases whose first delivery is in the period, and how many pass test. */
#define DELIVERED_WITH(test) \
	"SELECT count(*), coalesce(sum(" test "), 0) FROM (" \
	FIRST_IN("opinion.delivered") ") d"

static void
count2(struct rso_store *s, const char *sql, const struct rso_period *p,
    int64_t *a, int64_t *b)
{
	sqlite3_stmt *st = prep(s, sql, p);

	*a = *b = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*a = sqlite3_column_int64(st, 0);
		*b = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
}

static void
find_turnaround(struct rso_store *s, const struct figures *fg,
    struct finding *f)
{
	share(f, fg->within, fg->within + fg->breaches);
	snprintf(f->why, sizeof(f->why), "%s of %lld opinions delivered within "
	    "the %lld-day promise", f->figure, (long long)f->den,
	    rso_store_conf_int(s, "sla_days", 14));
}

/*
 * Electronic payment: the share of payments whose method is one of
 * maturity.electronic_methods.  Payments imported without a method can
 * only show that payments are recorded at all.
 */
static void
find_payments(struct rso_store *s, const struct rso_period *p,
    struct finding *f)
{
	sqlite3_stmt *st;
	int64_t all = 0, known = 0, electronic = 0;

	if (table_exists(s, "payments")) {
		st = prep(s, "SELECT y.method FROM payments y JOIN ledger_tx t ON"
		    " t.id = y.tx_id WHERE t.at >= ?1 AND t.at < ?2", p);
		while (sqlite3_step(st) == SQLITE_ROW) {
			all++;
			if (sqlite3_column_type(st, 0) == SQLITE_NULL)
				continue;
			known++;
			electronic += rso_store_conf_has(s,
			    "maturity.electronic_methods", col(st, 0));
		}
		sqlite3_finalize(st);
	}
	if (known > 0) {
		share(f, electronic, known);
		snprintf(f->why, sizeof(f->why), "%s of %lld payments with a "
		    "recorded method were electronic", f->figure,
		    (long long)known);
		return;
	}
	f->score = -1;
	f->level = all ? "intermediate" : "pilot";
	snprintf(f->figure, sizeof(f->figure), "%lld payments", (long long)all);
	if (all)
		snprintf(f->why, sizeof(f->why), "%lld payments recorded in the "
		    "ledger, none with a method", (long long)all);
	else
		snprintf(f->why, sizeof(f->why), "no payments recorded in the "
		    "ledger");
}

static int
find_roi(struct rso_store *s, const struct rso_period *p, struct finding *f,
    struct rso_error *e)
{
	int x = rso_currency_exponent(rso_store_conf_str(s, "currency", "USD"));
	char net[RSO_MONEY_STRLEN], ratio[32];
	struct roi o;

	if (roi_get(s, p, x, &o, e) != 0)
		return e->status;
	rso_money_format(o.net, x, net);
	snprintf(f->figure, sizeof(f->figure), "%s", net);
	/* The ratio in hundredths is the percent the thresholds are in. */
	f->score = o.ratio < 0 ? -1 : o.ratio * 10;
	if (o.ratio < 0) {
		f->level = "pilot";
		snprintf(f->why, sizeof(f->why), "net %s; no costs configured "
		    "(\"costs\"), so no return ratio", net);
		return 0;
	}
	snprintf(f->why, sizeof(f->why), "net %s; return ratio %s (fees and "
	    "downstream revenue over costs)", net, ratio_text(o.ratio, ratio));
	return 0;
}

/*
 * The home country: config "home_country" when set, else the fee
 * schedule's, so the report and the international surcharge agree.
 */
static char *
home_country(struct rso_store *s)
{
	const char *c = rso_store_conf_str(s, "home_country", NULL);
	struct rso_error e;
	json_t *fees;
	char *out;

	if (c != NULL)
		return rso_xstrdup(c);
	if ((fees = rso_fees_load(s, &e)) == NULL)
		return rso_xstrdup("US");
	c = rso_json_str(fees, "home_country");
	out = rso_xstrdup(c ? c : "US");
	json_decref(fees);
	return out;
}

static void
find_reach(struct rso_store *s, const struct rso_period *p,
    struct finding *f)
{
	char *home = home_country(s);
	sqlite3_stmt *st = prep(s, "SELECT count(*), coalesce(sum(upper(country)"
	    " <> upper(?3)), 0) FROM cases WHERE created >= ?1 AND created < ?2"
	    " AND country IS NOT NULL AND country <> ''", p);

	sqlite3_bind_text(st, 3, home, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		share(f, sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 0));
	sqlite3_finalize(st);
	snprintf(f->why, sizeof(f->why), "%s of %lld patients requesting in the "
	    "period live outside %s", f->figure, (long long)f->den, home);
	free(home);
}

/* The share of the period's delivered opinions that sql counts. */
static void
delivered_share(struct rso_store *s, const struct rso_period *p,
    struct finding *f, const char *sql, const char *what)
{
	int64_t n, k;

	count2(s, sql, p, &n, &k);
	share(f, k, n);
	snprintf(f->why, sizeof(f->why), "%s of %lld opinions delivered %s",
	    f->figure, (long long)n, what);
}

static void
find_ehr(struct rso_store *s, const struct rso_period *p, struct finding *f)
{
	/* A transfer archive goes to a partner, not into the EHR or PACS. */
	delivered_share(s, p, f, DELIVERED_WITH("EXISTS (SELECT 1 FROM events"
	    " x WHERE x.case_id = d.case_id AND x.type = 'case.exported' AND"
	    " json_extract(x.data, '$.format') IS NOT 'archive')"),
	    "were exported to the EHR or PACS");
}

/*
 * An assignment made in the period meets its deadlines when it was
 * accepted within maturity.accept_days of being assigned and its case was
 * (or still may be) delivered by the SLA due time.  Declined assignments
 * are the roster's business, not a missed deadline; one still waiting
 * within its acceptance window is not judged yet.
 */
static int
find_specialist(struct rso_store *s, const struct rso_period *p,
    struct finding *f, struct rso_error *e)
{
	int64_t window = rso_store_conf_int(s, "maturity.accept_days", 2) *
	    86400, num = 0, den = 0, took;
	rso_time_t now = rso_now(), at;
	sqlite3_stmt *st = prep(s, "SELECT case_id, assigned, accepted FROM"
	    " assignments WHERE assigned >= ?1 AND assigned < ?2 AND status <>"
	    " 'declined'", p);
	struct rso_sla sla;
	int rc = 0, ok;

	while (sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 2) == SQLITE_NULL) {
			if (rso_time_parse(col(st, 1), &at) == 0 &&
			    now < at + window)
				continue;
			den++;
			continue;
		}
		den++;
		took = secs_between(col(st, 1), col(st, 2));
		ok = took >= 0 && took <= window;
		if (ok && (rc = rso_sla_case(s, col(st, 0), &sla, e)) != 0)
			break;
		if (ok && sla.due)
			ok = sla.delivered ? sla.delivered <= sla.due :
			    now <= sla.due;
		num += ok;
	}
	sqlite3_finalize(st);
	share(f, num, den);
	snprintf(f->why, sizeof(f->why), "%s of %lld assignments accepted "
	    "within %lld days and reviewed by the due date", f->figure,
	    (long long)den, (long long)(window / 86400));
	return rc;
}

/*
 * Self-service: the request's "channel" is one of
 * maturity.self_service_channels; a request that names no channel counts
 * when the patient asked without a referring provider (requester.kind
 * "patient"), the nearest the request records come to it.
 */
static void
find_self_service(struct rso_store *s, const struct rso_period *p,
    struct finding *f)
{
	sqlite3_stmt *st = prep(s, "SELECT json_extract(intake, '$.channel'),"
	    " json_extract(intake, '$.requester.kind') FROM cases WHERE created"
	    " >= ?1 AND created < ?2", p);
	int64_t n = 0, k = 0;

	while (sqlite3_step(st) == SQLITE_ROW) {
		n++;
		if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			k += rso_store_conf_has(s, "maturity.self_service_channels",
			    col(st, 0));
		else
			k += strcmp(col(st, 1), "patient") == 0;
	}
	sqlite3_finalize(st);
	share(f, k, n);
	snprintf(f->why, sizeof(f->why), "%s of %lld requests came in by "
	    "self-service (channel, else the patient asking)", f->figure,
	    (long long)n);
}

static void
find_relationship(struct rso_store *s, const struct rso_period *p,
    struct finding *f)
{
	delivered_share(s, p, f, DELIVERED_WITH("EXISTS (SELECT 1 FROM events"
	    " x WHERE x.case_id = d.case_id AND x.type IN ('survey.answered',"
	    " 'case.downstream'))"), "were followed by a survey answer or "
	    "downstream care");
}

/* The level of a finding by its thresholds; no figure is a pilot. */
static const char *
judge(const struct finding *f, int inter, int estab)
{
	if (f->level)
		return f->level;
	if (f->score < 0)
		return "pilot";
	if (f->score >= (int64_t)estab * 10)
		return "established";
	return f->score >= (int64_t)inter * 10 ? "intermediate" : "pilot";
}

json_t *
rso_report_maturity(struct rso_store *s, const struct rso_period *p,
    struct rso_error *e)
{
	struct finding f[M_COUNT];
	struct figures fg;
	json_t *r, *rows;
	int d, inter, estab, rc = 0;

	memset(f, 0, sizeof(f));
	for (d = 0; d < M_COUNT; d++)
		if (thresholds(s, d, &inter, &estab, e) != 0)
			return NULL;
	if (figures_get(s, p, &fg, e) != 0)
		return NULL;
	find_turnaround(s, &fg, &f[M_TURNAROUND]);
	figures_free(&fg);
	find_payments(s, p, &f[M_PAYMENTS]);
	find_reach(s, p, &f[M_REACH]);
	find_ehr(s, p, &f[M_EHR]);
	find_self_service(s, p, &f[M_SELF_SERVICE]);
	find_relationship(s, p, &f[M_RELATIONSHIP]);
	if ((rc = find_roi(s, p, &f[M_ROI], e)) != 0 ||
	    (rc = find_specialist(s, p, &f[M_SPECIALIST], e)) != 0)
		return NULL;
	r = report_new("maturity", "Maturity: pilot, intermediate, established",
	    p, s);
	rows = section(r, "dimensions", "Where the program stands",
	    "dimension,figure,level,justification");
	for (d = 0; d < M_COUNT; d++) {
		thresholds(s, d, &inter, &estab, e);
		if (f[d].score < 0 && f[d].level == NULL)
			snprintf(f[d].why, sizeof(f[d].why), "nothing to measure "
			    "in the period");
		json_array_append_new(rows, json_pack("{s:s, s:o, s:s, s:s}",
		    "dimension", dimensions[d].title, "figure", f[d].figure[0] ?
		    json_string(f[d].figure) : json_null(), "level",
		    judge(&f[d], inter, estab), "justification", f[d].why));
	}
	return r;
}

rso_report_fn *
rso_report_find(const char *name)
{
	static const struct {
		const char *name;
		rso_report_fn *fn;
	} reports[] = {
		{ "access", rso_report_access },
		{ "attrition", rso_report_attrition },
		{ "audit", rso_report_audit },
		{ "funnel", rso_report_funnel },
		{ "maturity", rso_report_maturity },
		{ "monthly", rso_report_monthly },
		{ "nps", rso_report_nps },
		{ "outcomes", rso_report_outcomes },
		{ "reach", rso_report_reach },
		{ "roi", rso_report_roi },
		{ "specialists", rso_report_specialists },
		{ "turnaround", rso_report_turnaround },
	};
	size_t i;

	for (i = 0; i < sizeof(reports) / sizeof(reports[0]); i++)
		if (strcmp(reports[i].name, name) == 0)
			return reports[i].fn;
	return NULL;
}
