/* rso_state: the case state machine, in one place. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_STATE_H
#define RSO_STATE_H

#include "rso_err.h"

/*
 * awaiting-consent -> collecting -> ready -> assigned -> in-review ->
 * delivered -> closed, with on-hold (resumable to where it was) and
 * cancelled from any open state; a decline sends assigned back to ready.
 */
enum rso_status {
	RSO_ST_NONE,		/* before case.created */
	RSO_ST_AWAITING_CONSENT,
	RSO_ST_COLLECTING,
	RSO_ST_READY,
	RSO_ST_ASSIGNED,
	RSO_ST_IN_REVIEW,
	RSO_ST_DELIVERED,
	RSO_ST_CLOSED,
	RSO_ST_ON_HOLD,
	RSO_ST_CANCELLED,
	RSO_ST_COUNT
};

struct rso_state {
	enum rso_status status;
	enum rso_status held_from;	/* meaningful when on hold */
};

/* "awaiting-consent" etc.; parse returns 0 or -1 for an unknown name. */
const char *rso_status_name(enum rso_status st);
int rso_status_parse(const char *name, enum rso_status *st);

/* Open: a case still on its way (neither delivered, closed nor cancelled). */
int rso_status_is_open(enum rso_status st);

/*
 * Apply an event of the given type.  Types that move a case are listed in
 * rso_state.c; any other type leaves the state as it is but needs the case
 * to exist.  Returns 0, or EX_DATAERR with "cannot TYPE a case that is
 * STATUS" in e when the transition is not allowed (st is then unchanged).
 */
int rso_state_apply(struct rso_state *st, const char *type,
    struct rso_error *e);

/* Whether type is one of the event types that move a case. */
int rso_state_is_transition(const char *type);

#endif
