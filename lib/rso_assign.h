/* rso_assign: the specialist roster, matching, and assignments. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_ASSIGN_H
#define RSO_ASSIGN_H

#include <jansson.h>

#include "rso_err.h"
#include "rso_request.h"
#include "rso_store.h"

/*
 * Check a roster line and, when it is acceptable, add or replace the
 * specialist in its own transaction (event specialist.updated, no case).
 * Members: id ([a-z0-9._-], required), name (required), email,
 * specialty (one of config "specialties", required), subspecialties,
 * jurisdictions (required: "US", "US-TX", "CA-ON", "AE"), languages
 * (arrays of strings), capacity (open cases at once, integer >= 0,
 * required), away_from, away_until (dates or RFC 3339), payout (amount
 * text), active (boolean).  Problems go to report ("FIELD: what") and the
 * count is returned; a store failure is returned as a negative status.
 * *changed is set when the roster changed (0 for an identical re-import).
 */
int rso_roster_put(struct rso_store *s, const json_t *sp,
    rso_request_report_fn *report, void *ctx, int *changed);

/* Each specialist, by id, as the JSON object that was imported. */
typedef int rso_roster_fn(json_t *sp, void *ctx);
int rso_roster_foreach(struct rso_store *s, rso_roster_fn *fn, void *ctx,
    struct rso_error *e);

/*
 * Rank the candidates for one role of a case ("primary" is the case's own
 * specialty; other roles map to a specialty through config "panel_roles").
 * *out is a new array of {"case","role","specialist","name","eligible",
 * "score","load","capacity","reasons":[...]}, eligible first, best first.
 * Eligible: licensed where the patient lives (or a local physician named
 * on the case), not away now, under capacity, not a past decliner of the
 * case.  Returns 0 or a status (EX_DATAERR for an unknown case or role).
 */
int rso_match(struct rso_store *s, const char *id, const char *role,
    json_t **out, struct rso_error *e);

/*
 * Record the panel roles a case needs besides "primary" (e.g. "imaging",
 * "pathology"), each mapped to a specialty by config "panel_roles".
 */
int rso_panel_set(struct rso_store *s, const char *id, const json_t *roles,
    struct rso_error *e);

/*
 * Fill every role of the case that has no open assignment, in one
 * transaction: the best eligible candidate, or to (a specialist id) for
 * the role named by to_role.  force allows an ineligible choice (over
 * capacity, unlicensed) and is recorded in the event.  The case must be
 * ready (or already assigned / in review, for a panel role left open).
 * *out is {"case","status","assignments":[{"role","specialist"}...]} with
 * "existing": true when nothing was left to fill.
 */
int rso_assign(struct rso_store *s, const char *id, const char *to,
    const char *to_role, int force, json_t **out, struct rso_error *e);

/*
 * A specialist accepts (by: a specialist id, or NULL for the only one
 * waiting).  The fee gate must pass; the first acceptance starts the
 * review.  *out is {"case","status","specialist"}, "unchanged" on re-runs.
 */
int rso_assign_accept(struct rso_store *s, const char *id, const char *by,
    json_t **out, struct rso_error *e);

/*
 * A specialist declines an assignment not yet accepted, with a reason.
 * With no other open assignment the case goes back to ready, and the
 * decliner is never matched to it again.
 */
int rso_assign_decline(struct rso_store *s, const char *id, const char *by,
    const char *reason, json_t **out, struct rso_error *e);

/*
 * Open assignments (assigned or accepted) with their case's SLA clock:
 * {"case","role","specialist","name","email","status","ready","due",
 * "days_left"}, by due date.
 */
typedef int rso_assignment_fn(json_t *a, void *ctx);
int rso_assign_open_foreach(struct rso_store *s, rso_assignment_fn *fn,
    void *ctx, struct rso_error *e);

/*
 * Open assignments due within the next within seconds or overdue, as
 * rso_assign_open_foreach gives them with "kind": "review-due" or
 * "review-overdue" added; those of cases with no SLA clock are left out.
 */
int rso_assign_due(struct rso_store *s, int64_t within, rso_assignment_fn *fn,
    void *ctx, struct rso_error *e);

/*
 * Per specialist: {"specialist","name","capacity","open","next_due",
 * "overdue","done","within_sla","sla_adherence","declined"}.
 */
int rso_workload_foreach(struct rso_store *s, rso_roster_fn *fn, void *ctx,
    struct rso_error *e);

/*
 * Mark the open assignments of a case done (opinion delivered); returns
 * the count through n.  Caller holds the transaction.
 */
int rso_assign_done(struct rso_store *s, const char *id, int *n,
    struct rso_error *e);

#endif
