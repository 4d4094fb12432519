/* rso_event: the append-only, hash-chained history of every change. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_EVENT_H
#define RSO_EVENT_H

#include <jansson.h>

#include "rso_err.h"
#include "rso_store.h"

/*
 * An event is {"seq","at","case","type","actor","data","prev","hash"}.
 * hash = SHA-256 over the 64 hex digits of prev followed by the canonical
 * event: the compact JSON object {"actor","at","case","data","seq","type"}
 * with keys sorted at every level and non-ASCII escaped (see
 * rso_json_canonical); "case" is null for events about no one case.  The
 * first event's prev is 64 zeros.
 */

/* Who is acting: $RSO_ACTOR, else the login name of the effective user. */
const char *rso_actor(void);

/*
 * Append an event inside the caller's transaction (rso_store_begin), at
 * rso_now(), by rso_actor().  case_id may be NULL; data may not (a
 * failed json_pack is EX_SOFTWARE, not an event that says nothing).
 * Fills *seq when seq is not NULL.  Returns 0 or a store status.
 */
int rso_event_append(struct rso_store *s, const char *case_id,
    const char *type, const json_t *data, long long *seq,
    struct rso_error *e);

/*
 * The same with data given as its canonical text (rso_json_canonical of
 * an object), for a caller that has it already: intake hashes and stores
 * a request as that text, and dumping it again cost a tenth of intake's
 * time.  The text is stored and hashed as given.
 */
int rso_event_append_canonical(struct rso_store *s, const char *case_id,
    const char *type, const char *data, long long *seq,
    struct rso_error *e);

/*
 * Call fn with each event of case_id (all events when NULL) in order, as a
 * JSON object with the members above; fn's non-zero return stops the walk
 * and is returned.  since/until (RFC 3339, NULL for open) bound "at".
 */
typedef int rso_event_fn(json_t *ev, void *ctx);
int rso_event_foreach(struct rso_store *s, const char *case_id,
    rso_event_fn *fn, void *ctx, struct rso_error *e);

/*
 * The same over only the last n events of case_id (at most n, in order):
 * what a segment carries, so that its size does not grow with the case's
 * history.
 */
int rso_event_foreach_last(struct rso_store *s, const char *case_id,
    long long n, rso_event_fn *fn, void *ctx, struct rso_error *e);

/*
 * The chain's head: the last event's seq and hash, written "SEQ:HASH"
 * (seq 0 and 64 zeros for an empty chain).  A head kept outside the store
 * (a witness) shows whether the chain was cut since: the event must still
 * be there with that hash.
 */
struct rso_head {
	long long seq;
	char hash[65];
};

/* Parse "SEQ:HASH" (64 lowercase hex digits): 0, or -1 when malformed. */
int rso_head_parse(const char *s, struct rso_head *h);

/* The store's head as it stands (not verified).  0 or a store status. */
int rso_event_head(struct rso_store *s, struct rso_head *h,
    struct rso_error *e);

/* What verify found. */
struct rso_verify {
	long long events;	/* events checked */
	long long cases;	/* cases whose state was rederived */
	long long bad_seq;	/* first bad event, 0 when intact */
	struct rso_head head;	/* the last event */
};

/*
 * Walk the whole chain: every seq follows the last, every prev is the
 * hash before it, every hash matches its event; then, with witness not
 * NULL, that the witnessed head is still in the chain ("head 57: gone
 * (the chain ends at event 52)", "head 57: hash does not match the
 * witness"); then rederive each case from its events -- its state, when
 * it entered it, its request as created or last amended, the request's
 * hash and the columns copied from it -- and compare it with the cases
 * table ("case X: intake does not follow from its events"); then the
 * other tables (rso_derived_verify).  Returns 0 when intact; EX_DATAERR with the
 * first failure in e ("event 57: hash does not match its content") and
 * v->bad_seq; or a store status.
 */
int rso_event_verify(struct rso_store *s, const struct rso_head *witness,
    struct rso_verify *v, struct rso_error *e);

#endif
