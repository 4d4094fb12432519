/* rso_sla: the two-week promise -- when a case's review is due. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_SLA_H
#define RSO_SLA_H

#include "rso_err.h"
#include "rso_store.h"
#include "rso_time.h"

/*
 * The clock starts when the case last became ready (records.complete),
 * stops while the case is on hold, and runs for config "sla_days" days
 * (14): calendar days, or business days (Monday to Friday) when
 * "sla_business_days" is true.  A case delivered has its clock stopped at
 * delivery.
 */
struct rso_sla {
	rso_time_t ready;	/* when the clock started; 0 when never ready */
	rso_time_t due;		/* when the opinion is due */
	rso_time_t held;	/* seconds on hold since ready */
	rso_time_t delivered;	/* 0 when not delivered */
	int business_days;	/* the rule used */
	int days;		/* sla_days */
};

/* Compute the clock of one case from its events.  Returns 0 or a status. */
int rso_sla_case(struct rso_store *s, const char *id, struct rso_sla *out,
    struct rso_error *e);

/*
 * start + days, calendar or business days (a business-day clock that
 * starts on a weekend starts on the Monday after).
 */
rso_time_t rso_sla_add_days(rso_time_t start, int days, int business);

#endif
