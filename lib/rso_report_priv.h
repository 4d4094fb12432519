/* rso_report_priv: what the report files (lib/rso_report*.c) share. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_REPORT_PRIV_H
#define RSO_REPORT_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "rso_err.h"
#include "rso_report.h"
#include "rso_stats.h"
#include "rso_store.h"
#include "rso_store_priv.h"

/* A column as text, "" for NULL. */
#define col(st, i) rso_store_col((st), (i))

/*
 * First time each case had an event of type, within the period: the
 * cases with such an event in the period and none before it.  Grouping
 * every event of the type ever recorded and keeping the groups whose
 * min(at) falls in the period gives the same rows, but costs the whole
 * history (4.8x the time over 5 times the events); this reads the
 * period's events (events_type) and looks once per case for an earlier
 * one (events_case_type), so the cost follows the period.  By time, not
 * by seq, as before: an event backfilled with RSO_NOW may come later in
 * the chain than one it precedes.
 */
#define FIRST_IN(type) \
	"SELECT e.case_id AS case_id, min(e.at) AS at FROM events e WHERE" \
	" e.type = '" type "' AND e.at >= ?1 AND e.at < ?2 AND NOT EXISTS" \
	" (SELECT 1 FROM events f WHERE f.case_id = e.case_id AND f.type = '" \
	type "' AND f.at < ?1) GROUP BY e.case_id"

/*
 * Fees collected: every amount into cash in the period (payments and paid
 * claims), as the ledger has it.  The monthly and ROI reports share it so
 * that their "collected" can never disagree.
 */
#define COLLECTED_SQL \
	"SELECT coalesce(sum(p.amount), 0) FROM postings p JOIN ledger_tx t ON" \
	" t.id = p.tx_id WHERE p.account = 'cash' AND p.amount > 0 AND t.at >=" \
	" ?1 AND t.at < ?2"

/*
 * The survey response rate's numerator: of the cases first delivered in
 * the period (the cohort), those with a survey answer, whenever it came.
 * A cohort, so the rate can never pass 100%, which responses recorded in
 * the month over opinions delivered in the month could.
 */
#define ANSWERED_SQL \
	"SELECT count(*) FROM (" FIRST_IN("opinion.delivered") ") d WHERE" \
	" EXISTS (SELECT 1 FROM events x WHERE x.case_id = d.case_id AND" \
	" x.type = 'survey.answered')"

/* The kinds rso-case downstream records, in the order reports list them. */
#define NKINDS 4
extern const char *const report_kind_names[NKINDS];

/* A list of int64 that grows. */
struct vec {
	int64_t *v;
	size_t n, cap;
};

/* Downstream care in a period: counts and revenue (minor units) by kind. */
struct downstream {
	int64_t count[NKINDS], revenue[NKINDS], total_count, total_revenue;
};

/* The figures of one period, as the monthly report lists them. */
struct figures {
	int64_t requests, consented, ready, delivered, read, cancelled;
	int64_t answered;	/* of the delivered, those with a survey answer */
	int64_t within, breaches, surveys, invoiced, collected, refunded;
	int64_t outcomes[4];
	struct downstream ds;
	struct rso_nps nps;
	struct vec to_ready, clock, to_delivered;
	int money;
};

/* What the program brought in and cost in a period, in minor units. */
struct roi {
	int64_t collected, delivered;
	int64_t fixed, per_case, per_case_total, payouts, costs;
	int64_t net, ratio;	/* ratio: returns over costs, hundredths; -1 */
	struct downstream ds;
	int money;		/* the billing tables exist */
};

/* ---- rso_report.c ---- */

/* The calendar month y-m (m 1 to 12) as a period, with p->month set. */
void report_month_bounds(int y, int m, struct rso_period *p);

/*
 * Prepare sql (a bad statement dies with EX_SOFTWARE) and, when it has
 * two parameters or more, bind ?1 and ?2 to p's since and until.
 */
sqlite3_stmt *report_prep(struct rso_store *s, const char *sql,
    const struct rso_period *p);

/* The first column of sql's first row, bound as by report_prep; 0 if none. */
int64_t report_count(struct rso_store *s, const char *sql,
    const struct rso_period *p);

/* 1 if the store has a table called name (billing may not), else 0. */
int report_table_exists(struct rso_store *s, const char *name);

/* Seconds from RFC 3339 time a to b; -1 if either does not parse. */
int64_t report_secs_between(const char *a, const char *b);

/*
 * A new report object called name over p, with the store's SLA rule and
 * no sections or charts yet; the caller owns it.
 */
json_t *report_new(const char *name, const char *title,
    const struct rso_period *p, struct rso_store *s);

/*
 * Append to r a section whose columns are the comma-separated cols, each
 * a key or key=Label (the label people read; else one made from the key:
 * "last_year" is "Last year"); the section's rows array (borrowed from
 * r) is returned, to append rows to.
 */
json_t *report_section(json_t *r, const char *name, const char *title,
    const char *cols);

/*
 * Mark r's last section "aside": a page sets it beside the section before
 * it when there is room (the monthly report's status beside its figures).
 */
void report_aside(json_t *r);

/*
 * Append to r a chart of kind ("bars" or "histogram") whose x axis is
 * called axis and whose values count unit, with a line drawn at line when
 * it is above 0; the chart (borrowed from r) is returned.
 */
json_t *report_chart(json_t *r, const char *kind, const char *title,
    const char *axis, const char *unit, int line);

/*
 * An amount of the report's currency as a cell: {"money":"4900.00"}, so
 * that each format can show it as its readers expect.
 */
json_t *report_money(int64_t minor, int exponent);

/* Append one label and its value to chart c. */
void report_chart_add(json_t *c, const char *label, int64_t v);

/* ---- rso_report_program.c ---- */

/* Downstream care in p, by the day the care happened, into d. */
void report_downstream_get(struct rso_store *s, const struct rso_period *p,
    struct downstream *d);

/*
 * The figures of p into f; free them with report_figures_free.  Returns
 * 0, or the status of a case whose SLA clock cannot be read (f is then
 * freed).  The money figures are 0 and f->money 0 when there is no
 * billing.
 */
int report_figures_get(struct rso_store *s, const struct rso_period *p,
    struct figures *f, struct rso_error *e);

/* Free what report_figures_get allocated in f (not f itself); again is
 * harmless. */
void report_figures_free(struct figures *f);

/* ---- rso_report_money.c ---- */

/*
 * Fees, downstream revenue, costs and net of p into o, money in minor
 * units of exponent x.  0, or EX_CONFIG with e filled when a cost in
 * config.json is malformed.
 */
int report_roi_get(struct rso_store *s, const struct rso_period *p, int x,
    struct roi *o, struct rso_error *e);

/* Hundredths as "2.35" into buf (32 bytes); returns buf. */
const char *report_ratio_text(int64_t hundredths, char *buf);

#endif
