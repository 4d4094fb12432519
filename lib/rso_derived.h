/* rso_derived: the store's tables checked against the events they follow from. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_DERIVED_H
#define RSO_DERIVED_H

#include "rso_err.h"
#include "rso_store.h"

/*
 * Recompute from the events the tables the store keeps beside them, and
 * compare: the segments table; which records each case has and in which
 * segment; the opinions; consents; exports; and the count of cases by
 * status against the cases table.  (The cases table is checked by
 * rso_event_verify as it folds each case.)  Returns 0, EX_DATAERR naming
 * the first difference ("case RSO-2026-000001: record 0002 does not
 * follow from its events", "status closed: count does not follow from
 * the cases"), or a store status.  Call on a chain already verified.
 */
int rso_derived_verify(struct rso_store *s, struct rso_error *e);

#endif
