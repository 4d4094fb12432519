/* rso_report_program: the monthly figures and the reports on the cases. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rso_money.h"
#include "rso_report.h"
#include "rso_report_priv.h"
#include "rso_sla.h"
#include "rso_stats.h"
#include "rso_store_priv.h"

/* ---- small helpers ---- */

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

static void
vec_push(struct vec *x, int64_t v)
{
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 64;
		x->v = rso_xrealloc(x->v, x->cap * sizeof(*x->v));
	}
	x->v[x->n++] = v;
}

/*
 * The SLA clocks (seconds) in two-day bins up to 20 days and over, with
 * the promise drawn across.
 */
static void
clock_histogram(json_t *r, struct rso_store *s, const struct vec *clocks)
{
	json_t *c = report_chart(r, "histogram", "Days from ready to delivered "
	    "(hold excluded)", "days from ready to delivered, in bins of 2",
	    "cases", (int)rso_store_conf_int(s, "sla_days", 14));
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
		report_chart_add(c, label, bins[k]);
	}
}

/* ---- the figures of one period ---- */

/* The kinds rso-case downstream records (NKINDS, rso_report_priv.h). */
const char *const report_kind_names[NKINDS] = { "procedure", "admission",
    "imaging", "visit" };

/*
 * A record counts in the period that holds the day it happened (its
 * "date"), not the day it was entered: care is often entered late.
 * INDEXED BY the partial index on that day (migration 602): SQLite
 * would rather take every downstream event by events_type (type =) than
 * a range of days.
 */
void
report_downstream_get(struct rso_store *s, const struct rso_period *p,
    struct downstream *d)
{
	sqlite3_stmt *st = report_prep(s, "SELECT json_extract(data, '$.kind'),"
	    " count(*), coalesce(sum(json_extract(data, '$.revenue')), 0) FROM"
	    " events INDEXED BY events_downstream WHERE type ="
	    " 'case.downstream' AND coalesce("
	    "json_extract(data, '$.date') || 'T00:00:00Z', at) >= ?1 AND"
	    " coalesce(json_extract(data, '$.date') || 'T00:00:00Z', at) < ?2"
	    " GROUP BY 1", p);
	int k;

	memset(d, 0, sizeof(*d));
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (k = 0; k < NKINDS; k++)
			if (strcmp(col(st, 0), report_kind_names[k]) == 0) {
				d->count[k] = sqlite3_column_int64(st, 1);
				d->revenue[k] = sqlite3_column_int64(st, 2);
			}
		d->total_count += sqlite3_column_int64(st, 1);
		d->total_revenue += sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
}

static const char *const outcome_names[4] = { "confirmed",
    "diagnosis-changed", "treatment-changed", "more-tests" };

/*
 * The cases whose first event of a type fell in the period, each with
 * when it was asked for (received, else created): one statement, not a
 * lookup per case.
 */
#define FIRST_IN_ASKED(type) \
	"SELECT d.case_id, d.at, coalesce(c.received, c.created) FROM (" \
	FIRST_IN(type) ") d JOIN cases c ON c.id = d.case_id"

int
report_figures_get(struct rso_store *s, const struct rso_period *p,
    struct figures *f, struct rso_error *e)
{
	struct rso_sla sla;
	sqlite3_stmt *st;
	int64_t v;
	int i, rc = 0;

	memset(f, 0, sizeof(*f));
	f->requests = report_count(s, "SELECT count(*) FROM cases WHERE"
	    " created >= ?1 AND created < ?2", p);
	f->consented = report_count(s, "SELECT count(*) FROM (" FIRST_IN(
	    "consent.recorded") ")", p);
	f->read = report_count(s, "SELECT count(*) FROM (" FIRST_IN(
	    "opinion.acknowledged") ")", p);
	f->answered = report_count(s, ANSWERED_SQL, p);
	f->cancelled = report_count(s, "SELECT count(*) FROM events WHERE type ="
	    " 'case.cancelled' AND at >= ?1 AND at < ?2", p);
	st = report_prep(s, FIRST_IN_ASKED("records.complete"), p);
	while (sqlite3_step(st) == SQLITE_ROW) {
		f->ready++;
		if ((v = report_secs_between(col(st, 2), col(st, 1))) >= 0)
			vec_push(&f->to_ready, v);
	}
	sqlite3_finalize(st);
	st = report_prep(s, FIRST_IN_ASKED("opinion.delivered"), p);
	while (sqlite3_step(st) == SQLITE_ROW) {
		f->delivered++;
		if ((rc = rso_sla_case(s, col(st, 0), &sla, e)) != 0)
			break;
		if (sla.ready && sla.delivered) {
			vec_push(&f->clock, sla.delivered - sla.ready - sla.held);
			if (sla.delivered <= sla.due)
				f->within++;
			else
				f->breaches++;
		}
		if ((v = report_secs_between(col(st, 2), col(st, 1))) >= 0)
			vec_push(&f->to_delivered, v);
	}
	sqlite3_finalize(st);
	if (rc != 0) {
		report_figures_free(f);
		return rc;
	}
	st = report_prep(s, "SELECT o.outcome, count(*) FROM opinions o JOIN ("
	    FIRST_IN("opinion.delivered") ") d ON d.case_id = o.case_id WHERE"
	    " o.role = 'primary' GROUP BY o.outcome", p);
	while (sqlite3_step(st) == SQLITE_ROW)
		for (i = 0; i < 4; i++)
			if (strcmp(col(st, 0), outcome_names[i]) == 0)
				f->outcomes[i] = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	st = report_prep(s, "SELECT json_extract(data, '$.score') FROM events"
	    " WHERE type = 'survey.answered' AND at >= ?1 AND at < ?2", p);
	while (sqlite3_step(st) == SQLITE_ROW)
		rso_nps_add(&f->nps, sqlite3_column_int(st, 0));
	sqlite3_finalize(st);
	rso_nps_finish(&f->nps);
	report_downstream_get(s, p, &f->ds);
	if ((f->money = report_table_exists(s, "invoices"))) {
		f->invoiced = report_count(s, "SELECT coalesce(sum(total), 0) FROM"
		    " invoices WHERE issued >= ?1 AND issued < ?2", p);
		f->collected = report_count(s, COLLECTED_SQL, p);
		f->refunded = report_count(s, "SELECT coalesce(sum(amount), 0) FROM"
		    " refunds WHERE at >= ?1 AND at < ?2", p);
	}
	return 0;
}

void
report_figures_free(struct figures *f)
{
	free(f->to_ready.v);
	free(f->clock.v);
	free(f->to_delivered.v);
	/* Safe to call again, as an error path may. */
	memset(&f->to_ready, 0, sizeof(f->to_ready));
	memset(&f->clock, 0, sizeof(f->clock));
	memset(&f->to_delivered, 0, sizeof(f->to_delivered));
}

/* One metric of a figures set, as the JSON value the report shows. */
static json_t *
metric(struct figures *f, int k, int x)
{
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
	case 20: return rate(f->answered, f->delivered);
	case 21: return f->money ? report_money(f->invoiced, x) : json_null();
	case 22: return f->money ? report_money(f->collected, x) : json_null();
	case 23: return f->money ? report_money(f->refunded, x) : json_null();
	case 24: return json_integer(f->ds.total_count);
	case 25: return report_money(f->ds.total_revenue, x);
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
	char cols[256];
	int x = rso_currency_exponent(rso_store_conf_str(s, "currency", "USD"));

	if (p->month) {
		rso_period_shift(p, -1, &prev);
		rso_period_shift(p, -12, &last);
	}
	memset(f, 0, sizeof(f));
	if (report_figures_get(s, p, &f[0], e) != 0 || (n == 3 &&
	    (report_figures_get(s, &prev, &f[1], e) != 0 ||
	    report_figures_get(s, &last, &f[2], e) != 0))) {
		for (k = 0; k < n; k++)
			report_figures_free(&f[k]);
		return NULL;
	}
	r = report_new("monthly", "Program report", p, s);
	/* The value columns are named by their periods. */
	if (n == 3)
		snprintf(cols, sizeof(cols), "metric=Figure,value=%s,previous="
		    "Month before (%s),last_year=Last year (%s)", p->label,
		    prev.label, last.label);
	else
		snprintf(cols, sizeof(cols), "metric=Figure,value=%s,previous="
		    "Period before,last_year=Last year", p->label);
	rows = report_section(r, "figures", "The month's figures", cols);
	for (k = 0; metric_names[k]; k++)
		json_array_append_new(rows, json_pack("{s:s, s:o, s:o, s:o}",
		    "metric", metric_names[k], "value", metric(&f[0], k, x),
		    "previous", n == 3 ? metric(&f[1], k, x) : json_null(),
		    "last_year", n == 3 ? metric(&f[2], k, x) : json_null()));
	rows = report_section(r, "status", "Cases by status now", "status,cases");
	report_aside(r);
	/* Counted as cases change (migration 603): counting here is a walk
	 * of every case there ever was. */
	st = rso_store_prepare(s, "SELECT status, cases FROM case_status_counts"
	    " WHERE cases > 0 ORDER BY cases DESC, status");
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(rows, json_pack("{s:s, s:I}", "status",
		    col(st, 0), "cases", (json_int_t)sqlite3_column_int64(st, 1)));
	sqlite3_finalize(st);
	/* Charts: the last twelve months' volume, and this month's outcomes. */
	if (p->month) {
		c = report_chart(r, "bars", "New requests, last 12 months",
		    "month", "cases", 0);
		for (k = -11; k <= 0; k++) {
			struct rso_period m;
			rso_period_shift(p, k, &m);
			report_chart_add(c, m.label, report_count(s, "SELECT"
			    " count(*) FROM cases WHERE created >= ?1 AND created"
			    " < ?2", &m));
		}
	}
	c = report_chart(r, "bars", "Outcome mix", "outcome", "opinions",
	    0);
	for (k = 0; k < 4; k++)
		report_chart_add(c, outcome_names[k], f[0].outcomes[k]);
	clock_histogram(r, s, &f[0].clock);
	for (k = 0; k < n; k++)
		report_figures_free(&f[k]);
	return r;
}

/* ---- turnaround ---- */

/* Where the time of a delivered case went, after it was ready. */
static const char *
slowest_stage(struct rso_store *s, const char *id, const struct rso_sla *sla)
{
	/* Kept prepared: asked of every case a period delivered. */
	static const char sql[] = "SELECT (SELECT max(at) FROM"
	    " events WHERE case_id = ?1 AND type = 'case.assigned'), (SELECT"
	    " max(at) FROM events WHERE case_id = ?1 AND type ="
	    " 'review.started')";
	sqlite3_stmt *st = rso_store_cached(s, sql);
	rso_time_t ta = 0, tr = 0;
	int64_t wait, accept, review;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		rso_time_parse(col(st, 0), &ta);
		rso_time_parse(col(st, 1), &tr);
	}
	rso_store_done(st);
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

	stages = report_section(r, "specialties", "Ready to delivered, by "
	    "specialty", "specialty,delivered,median_days,p90_days=90th percentile days,"
	    "within_sla");
	breaches = report_section(r, "breaches", "Cases that broke the SLA",
	    "case,specialty,ready,delivered,days=Days on the clock,"
	    "held_days=Days on hold,stage=Where the time went");
	sp = report_prep(s, "SELECT DISTINCT c.specialty FROM cases c JOIN ("
	    FIRST_IN("opinion.delivered") ") d ON d.case_id = c.id ORDER BY 1", p);
	while (sqlite3_step(sp) == SQLITE_ROW) {
		clock.n = 0;
		within = 0;
		st = report_prep(s, "SELECT c.id FROM cases c JOIN (" FIRST_IN(
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

/*
 * A funnel step: when a case has reached it (an SQL condition on the case
 * c) and when it first did (an SQL value), in the order a case goes.
 */
struct step {
	const char *name, *reached, *at;
	int money;		/* needs the billing tables */
};

#define EVENT_STEP(name, type) { name, "EXISTS (SELECT 1 FROM events WHERE" \
	" case_id = c.id AND type = '" type "')", "(SELECT min(at) FROM events" \
	" WHERE case_id = c.id AND type = '" type "')", 0 }

static const struct step funnel_steps[] = {
	{ "requested", "1", "coalesce(c.received, c.created)", 0 },
	EVENT_STEP("consented", "consent.recorded"),
	EVENT_STEP("records complete", "records.complete"),
	{ "paid", "EXISTS (SELECT 1 FROM invoices i WHERE i.case_id = c.id AND"
	  " i.status IN ('paid', 'waived', 'covered'))", "(SELECT min(at) FROM"
	  " events WHERE case_id = c.id AND (type = 'payment.received' OR (type"
	  " = 'invoice.issued' AND json_extract(data, '$.status') IN ('waived',"
	  " 'covered'))))", 1 },
	EVENT_STEP("assigned", "case.assigned"),
	EVENT_STEP("delivered", "opinion.delivered"),
	EVENT_STEP("read", "opinion.acknowledged"),
};

/*
 * The cases requested in p that reached step k and every step before it
 * (of the steps in use), with the median days from the step before; a
 * case that skipped a step stops at the one before it, so each step is a
 * subset of the one before and no share can pass 100%.
 */
static int64_t
funnel_count(struct rso_store *s, const struct rso_period *p, const int *use,
    size_t k, size_t prev, struct vec *gap)
{
	char sql[4096];
	size_t i, n;
	int64_t count = 0, d;
	sqlite3_stmt *st;

	n = (size_t)snprintf(sql, sizeof(sql), "SELECT %s, %s FROM cases c WHERE"
	    " c.created >= ?1 AND c.created < ?2", funnel_steps[prev].at,
	    funnel_steps[k].at);
	for (i = 1; i <= k && n < sizeof(sql); i++)
		if (use[i])
			n += (size_t)snprintf(sql + n, sizeof(sql) - n, " AND %s",
			    funnel_steps[i].reached);
	if (n >= sizeof(sql))
		rso_diex(EX_SOFTWARE, "funnel: query too long");
	st = report_prep(s, sql, p);
	while (sqlite3_step(st) == SQLITE_ROW) {
		count++;
		if (k > 0 && sqlite3_column_type(st, 0) != SQLITE_NULL &&
		    sqlite3_column_type(st, 1) != SQLITE_NULL &&
		    (d = report_secs_between(col(st, 0), col(st, 1))) >= 0)
			vec_push(gap, d);
	}
	sqlite3_finalize(st);
	return count;
}

json_t *
rso_report_funnel(struct rso_store *s, const struct rso_period *p,
    struct rso_error *e)
{
	enum { NSTEPS = sizeof(funnel_steps) / sizeof(funnel_steps[0]) };
	json_t *r = report_new("funnel", "Funnel: cases requested in the period",
	    p, s), *rows, *c;
	int64_t first = 0, prevn = 0, n;
	int use[NSTEPS], money = report_table_exists(s, "invoices");
	struct vec gap;
	size_t k, prev = 0;

	(void)e;
	for (k = 0; k < NSTEPS; k++)
		use[k] = !funnel_steps[k].money || money;
	rows = report_section(r, "steps", "From request to a read opinion",
	    "step,cases,of_previous=Of the step before,of_requested=Of requested,"
	    "median_days_from_previous=Median days from the step before");
	c = report_chart(r, "bars", "Funnel", "step", "cases", 0);
	for (k = 0; k < NSTEPS; k++) {
		if (!use[k])
			continue;
		memset(&gap, 0, sizeof(gap));
		n = funnel_count(s, p, use, k, prev, &gap);
		if (k == 0)
			first = prevn = n;
		json_array_append_new(rows, json_pack("{s:s, s:I, s:o, s:o, s:o}",
		    "step", funnel_steps[k].name, "cases", (json_int_t)n,
		    "of_previous", k ? rate(n, prevn) : json_null(), "of_requested",
		    rate(n, first), "median_days_from_previous", k ? pct(gap.v,
		    gap.n, 50) : json_null()));
		report_chart_add(c, funnel_steps[k].name, n);
		prevn = n;
		prev = k;
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
	rows = report_section(r, "reasons", "By reason and the stage they left at",
	    "reason,stage,cases");
	/* The stage: how far the case had come when it was cancelled. */
	st = report_prep(s, "SELECT json_extract(x.data, '$.reason') AS reason,"
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
	c = report_chart(r, "bars", "Cancellations by reason", "reason",
	    "cases", 0);
	st = report_prep(s, "SELECT json_extract(data, '$.reason'), count(*)"
	    " FROM events WHERE type = 'case.cancelled' AND at >= ?1 AND at <"
	    " ?2 GROUP BY 1 ORDER BY 2 DESC, 1", p);
	while (sqlite3_step(st) == SQLITE_ROW)
		report_chart_add(c, col(st, 0), sqlite3_column_int64(st, 1));
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
	rows = report_section(r, "outcomes", "By specialty, outcome and impact",
	    "specialty,outcome,impact,cases");
	st = report_prep(s, "SELECT c.specialty, o.outcome, o.impact, count(*)"
	    " FROM opinions o JOIN cases c ON c.id = o.case_id JOIN (" FIRST_IN(
	    "opinion.delivered") ") d ON d.case_id = o.case_id WHERE o.role ="
	    " 'primary' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3", p);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:I}",
		    "specialty", col(st, 0), "outcome", col(st, 1), "impact",
		    col(st, 2), "cases", (json_int_t)sqlite3_column_int64(st, 3)));
	sqlite3_finalize(st);
	c = report_chart(r, "bars", "Outcome mix", "outcome", "opinions",
	    0);
	st = report_prep(s, "SELECT o.outcome, count(*) FROM opinions o JOIN ("
	    FIRST_IN("opinion.delivered") ") d ON d.case_id = o.case_id WHERE"
	    " o.role = 'primary' GROUP BY 1 ORDER BY 2 DESC, 1", p);
	while (sqlite3_step(st) == SQLITE_ROW)
		report_chart_add(c, col(st, 0), sqlite3_column_int64(st, 1));
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
	int64_t delivered, answered;

	(void)e;
	st = report_prep(s, "SELECT json_extract(data, '$.score') FROM events"
	    " WHERE type = 'survey.answered' AND at >= ?1 AND at < ?2", p);
	while (sqlite3_step(st) == SQLITE_ROW)
		rso_nps_add(&n, sqlite3_column_int(st, 0));
	sqlite3_finalize(st);
	rso_nps_finish(&n);
	delivered = report_count(s, "SELECT count(*) FROM (" FIRST_IN(
	    "opinion.delivered") ")", p);
	answered = report_count(s, ANSWERED_SQL, p);
	rows = report_section(r, "nps", "Survey scores (0-10)",
	    "responses,promoters,passives,detractors,nps,response_rate");
	json_array_append_new(rows, json_pack("{s:I, s:I, s:I, s:I, s:o, s:o}",
	    "responses", (json_int_t)n.responses, "promoters",
	    (json_int_t)n.promoters, "passives", (json_int_t)n.passives,
	    "detractors", (json_int_t)n.detractors, "nps", n.responses ?
	    json_integer(n.nps) : json_null(), "response_rate",
	    rate(answered, delivered)));
	rows = report_section(r, "comments", "Comments", "case,score,comment");
	st = report_prep(s, "SELECT case_id, json_extract(data, '$.score'),"
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
	rows = report_section(r, "access", "Who read or changed clinical content",
	    "at=Time,actor=Who,case,action,what");
	/* A search that showed a case showed its patient: an access too. */
	st = report_prep(s, "SELECT at, actor, case_id, type, coalesce("
	    "json_extract(data, '$.name'), json_extract(data, '$.segment'),"
	    " json_extract(data, '$.study'), json_extract(data, '$.format'),"
	    " (SELECT group_concat(value, ' ') FROM json_each(data, '$.match')),"
	    " '') FROM events WHERE at >= ?1 AND at < ?2 AND type IN ("
	    "'records.read', 'records.filed', 'records.released',"
	    " 'records.rejected', 'opinion.recorded', 'case.exported',"
	    " 'export.written', 'case.found') ORDER BY seq", p);
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
	rows = report_section(r, "places", "By country and region",
	    "country,region,cases");
	st = report_prep(s, "SELECT coalesce(country, '-'), coalesce(region, '-'),"
	    " count(*) FROM cases WHERE created >= ?1 AND created < ?2 GROUP BY"
	    " 1, 2 ORDER BY 3 DESC, 1, 2", p);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(rows, json_pack("{s:s, s:s, s:I}", "country",
		    col(st, 0), "region", col(st, 1), "cases",
		    (json_int_t)sqlite3_column_int64(st, 2)));
	sqlite3_finalize(st);
	rows = report_section(r, "referrals", "By referral source",
	    "source,cases");
	c = report_chart(r, "bars", "Referral sources", "referral source",
	    "cases", 0);
	st = report_prep(s, "SELECT coalesce(referral_source, '-'), count(*)"
	    " FROM cases WHERE created >= ?1 AND created < ?2 GROUP BY 1 ORDER"
	    " BY 2 DESC, 1", p);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_array_append_new(rows, json_pack("{s:s, s:I}", "source",
		    col(st, 0), "cases", (json_int_t)sqlite3_column_int64(st, 1)));
		report_chart_add(c, col(st, 0), sqlite3_column_int64(st, 1));
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
	int money = report_table_exists(s, "payouts");
	int x = rso_currency_exponent(rso_store_conf_str(s, "currency", "USD"));

	rows = report_section(r, "specialists", "Per specialist",
	    "specialist,assigned,declined,delivered,median_review_days,"
	    "within_sla,payouts");
	st = report_prep(s, "SELECT id, (SELECT count(*) FROM events WHERE type ="
	    " 'case.assigned' AND at >= ?1 AND at < ?2 AND json_extract(data,"
	    " '$.specialist') = sp.id), (SELECT count(*) FROM events WHERE type"
	    " IN ('assignment.declined', 'panel.declined') AND at >= ?1 AND at <"
	    " ?2 AND json_extract(data, '$.specialist') = sp.id) FROM"
	    " specialists sp ORDER BY id", p);
	while (sqlite3_step(st) == SQLITE_ROW) {
		memset(&rev, 0, sizeof(rev));
		within = total = 0;
		/*
		 * CROSS JOIN: the period's deliveries first, each case's
		 * opinions by their key; opinions has no index by specialist,
		 * and a scan of it would cost the whole history, once per
		 * specialist.
		 */
		cs = report_prep(s, "SELECT o.case_id, (SELECT max(at) FROM events"
		    " WHERE case_id = o.case_id AND type = 'review.started' AND"
		    " json_extract(data, '$.specialist') = ?3), d.at FROM (" FIRST_IN(
		    "opinion.delivered") ") d CROSS JOIN opinions o ON o.case_id ="
		    " d.case_id WHERE o.specialist_id = ?3", p);
		sqlite3_bind_text(cs, 3, col(st, 0), -1, SQLITE_TRANSIENT);
		while (sqlite3_step(cs) == SQLITE_ROW) {
			total++;
			if (sqlite3_column_text(cs, 1))
				vec_push(&rev, report_secs_between(col(cs, 1), col(cs, 2)));
			if (rso_sla_case(s, col(cs, 0), &sla, e) == 0 &&
			    sla.delivered && sla.delivered <= sla.due)
				within++;
		}
		sqlite3_finalize(cs);
		payout = 0;
		if (money) {
			cs = report_prep(s, "SELECT coalesce(sum(amount), 0) FROM payouts"
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
		    report_money(payout, x) : json_null()));
		free(rev.v);
	}
	sqlite3_finalize(st);
	return r;
}
