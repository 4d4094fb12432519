/* rso_report: the program's figures, computed by SQL over the events and
 * the ledger, as report objects that rso-report writes in each format. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_REPORT_H
#define RSO_REPORT_H

#include <jansson.h>

#include "rso_err.h"
#include "rso_store.h"
#include "rso_time.h"

/* A period: [since, until), RFC 3339 UTC, and how to name it. */
struct rso_period {
	char since[RSO_TIME_STRLEN], until[RSO_TIME_STRLEN];
	char label[48];
	int month;		/* a calendar month: it can be shifted */
};

/* "2026-10"; 0 or EX_USAGE. */
int rso_period_month(const char *month, struct rso_period *p);
/* Dates or RFC 3339 times; until NULL is now.  0 or EX_USAGE. */
int rso_period_range(const char *since, const char *until,
    struct rso_period *p);
/* The calendar month months away from p's (p->month must be set). */
void rso_period_shift(const struct rso_period *p, int months,
    struct rso_period *out);

/*
 * A report: {"report","title","period":{"since","until","label"},
 * "rule","currency","sections":[{"name","title","columns":[...],
 * "labels":[...],"rows":[{...}]}],"charts":[{"title","kind":"bars"|
 * "histogram","axis","unit","labels":[...],"values":[...],"line":N}]}.
 * Rows hold strings, integers, null or amounts ({"money":"4900.00"}, in
 * the report's currency); every row of a section has the section's
 * columns, and "labels" names them for people.
 */
typedef json_t *rso_report_fn(struct rso_store *s, const struct rso_period *p,
    struct rso_error *e);

rso_report_fn rso_report_monthly, rso_report_turnaround, rso_report_funnel,
    rso_report_attrition, rso_report_outcomes, rso_report_nps,
    rso_report_access, rso_report_reach, rso_report_specialists,
    rso_report_audit, rso_report_roi, rso_report_maturity;

/* The report called name, or NULL. */
rso_report_fn *rso_report_find(const char *name);

/* The names of the reports, NULL-terminated, for "did you mean". */
const char *const *rso_report_names(void);

#endif
