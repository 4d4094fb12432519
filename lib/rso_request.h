/* rso_request: what makes a request line acceptable (DESIGN.md "A request line"). */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_REQUEST_H
#define RSO_REQUEST_H

#include <jansson.h>

#include "rso_store.h"
#include "rso_time.h"

/*
 * Check a request object.  Each problem is reported through report(ctx,
 * "FIELD: what") -- a field name, never its value -- and counted; returns
 * the count (0 = acceptable).  Required: ref, patient.name,
 * patient.birth_date (a real date, not after now), specialty (one of the
 * config's "specialties"), questions (a non-empty array of non-empty
 * strings).  Checked when present: received, patient.sex, patient.email,
 * patient.country, patient.language, requester.kind, requester.email,
 * requester.npi, urgency, amend; and that no member holds a control
 * character it may not (rso_json_find_control).  Other members are kept
 * as they are.
 */
typedef void rso_request_report_fn(void *ctx, const char *msg);
int rso_request_check(const json_t *req, struct rso_store *s, rso_time_t now,
    rso_request_report_fn *report, void *ctx);

/*
 * A check under way, for the checkers of other input lines too (the
 * roster): rso_check_problem formats one problem, hands it to report and
 * counts it in n.
 */
struct rso_check {
	rso_request_report_fn *report;
	void *ctx;
	int n;
};
void rso_check_problem(struct rso_check *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Whether s looks like an email address (local@domain.tld, no spaces). */
int rso_email_valid(const char *s);

/* Whether s is a 10-digit NPI with a valid check digit (CMS's Luhn rule). */
int rso_npi_valid(const char *s);

#endif
