/* rso_case: cases in the store, moved only through events. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_CASE_H
#define RSO_CASE_H

#include <jansson.h>

#include "rso_err.h"
#include "rso_state.h"
#include "rso_store.h"

/* "RSO-2026-000123" and room for a longer configured prefix. */
#define RSO_CASE_IDLEN 48

/* Whether s has the shape PREFIX-YYYY-NNNNNN (prefix: letters, digits). */
int rso_case_id_valid(const char *s);

/*
 * Create a case from a validated request inside the caller's transaction:
 * the next id of this year for the configured prefix ("id_prefix"), the
 * row in cases and the case.created event carrying the request.  canon
 * is the request's canonical form (rso_json_canonical), which is what is
 * stored and hashed, and req_hash its SHA-256: the caller has made both
 * to look the request up.  Fills id.
 */
int rso_case_create(struct rso_store *s, const json_t *req,
    const char *canon, const char *req_hash, char *id, struct rso_error *e);

/*
 * Look up a request ref.  Returns 0 and fills id, hash (of the stored
 * request) and status when known; 1 when unknown; or a store status.
 */
int rso_case_by_ref(struct rso_store *s, const char *ref, char *id,
    char *hash, char *status, struct rso_error *e);

/*
 * The case a line names: its "case" member, else the case made from the
 * request whose "ref" it gives.  Files written before their case existed
 * (consents, record requests, inbox sidecars, a processor's payments) can
 * name it by ref, which stays the same whatever year the case is made in
 * (its id carries that year).  Fills id (RSO_CASE_IDLEN bytes).  Returns 0,
 * EX_DATAERR with "case: not a case id", "ref: no such request" or
 * "no \"case\" or \"ref\" member", or a store status.
 */
int rso_case_named(struct rso_store *s, const json_t *line, char *id,
    struct rso_error *e);

/*
 * Replace a case's request by an amended one inside the caller's
 * transaction, recording case.amended with the dotted paths that changed.
 * canon and req_hash as for rso_case_create.
 */
int rso_case_amend(struct rso_store *s, const char *id, const json_t *req,
    const char *canon, const char *req_hash, struct rso_error *e);

/* The state of a case.  EX_DATAERR "CASE: no such case" when unknown. */
int rso_case_state(struct rso_store *s, const char *id, struct rso_state *st,
    struct rso_error *e);

/*
 * Record an event on a case inside the caller's transaction: the state
 * machine decides whether it may happen (EX_DATAERR "CASE: cannot hold a
 * case that is closed"), then the event is appended and the cached status
 * updated.  data is the event's, an object ({} for none), never NULL.
 */
int rso_case_event(struct rso_store *s, const char *id, const char *type,
    const json_t *data, struct rso_error *e);

/*
 * As rso_case_event, in a transaction of its own; when the case is already
 * in the state the event leads to and that state was reached by the same
 * event type, nothing is recorded and *already is set (re-runs are safe).
 */
int rso_case_move(struct rso_store *s, const char *id, const char *type,
    const json_t *data, int *already, struct rso_error *e);

/*
 * The case as JSON: {"case","ref","status","status_at","created","updated",
 * ["held_from"], "request":{...}, ["consent":{...}]}.  New reference in *out.
 */
int rso_case_get(struct rso_store *s, const char *id, json_t **out,
    struct rso_error *e);

/* What rso_case_list selects; zero fields select everything. */
struct rso_case_filter {
	unsigned status_mask;	/* bit (1 << enum rso_status) per wanted status */
	const char *since;	/* RFC 3339: entered its status at or after */
	const char *until;	/* RFC 3339: entered its status before */
	const char *birth_date;	/* YYYY-MM-DD: the patient's, through an index */
};

/*
 * Call fn with a summary of each selected case, oldest first:
 * {"case","ref","status","status_at","created","specialty","urgency",
 * "country","region"}.  fn's non-zero return stops the walk.
 */
typedef int rso_case_fn(json_t *c, void *ctx);
int rso_case_list(struct rso_store *s, const struct rso_case_filter *f,
    rso_case_fn *fn, void *ctx, struct rso_error *e);

/*
 * Record consent to obtain records inside the caller's transaction:
 * providers (JSON array of names, or ["*"] for any provider), expiry
 * (RFC 3339), who signed and when (may be NULL).  Moves an
 * awaiting-consent case to collecting.
 */
int rso_consent_record(struct rso_store *s, const char *id,
    const json_t *providers, const char *expires, const char *signed_by,
    const char *signed_at, struct rso_error *e);

/*
 * Whether the case's consent covers provider now: returns 0 when a
 * consent names it (or "*") and has not expired; EX_NOPERM with the
 * reason in e ("no consent", "consent expired", "consent does not cover
 * this provider") otherwise.
 */
int rso_consent_covers(struct rso_store *s, const char *id,
    const char *provider, struct rso_error *e);

/*
 * The cases a program is asked to work on: the operands as case ids when
 * there are any, else the "case" member of each JSON line on stdin (the
 * line is passed along, for members such as "reason").  A malformed id or
 * a line without "case" is reported ("stdin:3: no \"case\" member") and
 * gives EX_DATAERR; fn's non-zero status is kept (the first wins) and the
 * walk goes on.  where is "stdin:3" or "argument 2", for diagnostics.
 */
typedef int rso_case_input_fn(const char *id, json_t *line,
    const char *where, void *ctx);
int rso_case_each_input(int argc, char **argv, rso_case_input_fn *fn,
    void *ctx);

/* The same, where a line may name its case by "ref" (rso_case_named). */
int rso_case_each_named(struct rso_store *s, int argc, char **argv,
    rso_case_input_fn *fn, void *ctx);

#endif
