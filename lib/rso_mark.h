/* rso_mark: how far along the event chain a repeated step has got. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_MARK_H
#define RSO_MARK_H

#include "rso_err.h"
#include "rso_store.h"

/*
 * A nightly step that looks at every case does more every night for ever.
 * A mark keeps, per step name, the last event the step has seen, so that
 * the next run looks only at the cases with events since: its cost grows
 * with the new work, not with the history.  A mark is not derived from the
 * events: set too low, a step redoes work that is idempotent anyway; set
 * too high, it skips cases, so only the steps themselves move it, and
 * verify names a mark past the last event.  The cases to visit wait in a
 * file, not in memory, however many they are.
 */

/* Called with each case's id; returns 0 or the status of its failure. */
typedef int rso_mark_fn(const char *id, void *ctx);

/*
 * Call fn once for each case whose status is one of statuses (a
 * NULL-ended list; NULL for any) and that has an event after step's mark,
 * oldest case first.  A case that fails does not stop the others; only
 * when every call returned 0 does the mark move, to the last event there
 * was when the walk began (events written meanwhile are seen next time),
 * so a failed case is tried again on the next run.  Returns 0, the first
 * status fn returned, or a store status with e filled.
 */
int rso_mark_walk(struct rso_store *s, const char *step,
    const char *const *statuses, rso_mark_fn *fn, void *ctx,
    struct rso_error *e);

/*
 * rso_mark_walk, where events of type own (NULL: none) are no change: a
 * step's record of its own work (an export's "case.exported") does not
 * change what the step would do, and counting it would bring every case
 * the step did back on its next run.
 */
int rso_mark_walk_except(struct rso_store *s, const char *step,
    const char *const *statuses, const char *own, rso_mark_fn *fn,
    void *ctx, struct rso_error *e);

/* Called with a step's name, its mark and the chain's last event. */
typedef int rso_mark_each_fn(const char *step, long long mark,
    long long last, void *ctx);

/*
 * Call fn on every step's mark, by step name.  Returns 0, the first
 * non-zero status fn returned (which stops the list), or a store status
 * with e filled.
 */
int rso_mark_each(struct rso_store *s, rso_mark_each_fn *fn, void *ctx,
    struct rso_error *e);

/*
 * Forget step's mark, in the caller's transaction, and say in *was what
 * it was: the step's next run looks at every case again, which the
 * steps' idempotence makes safe.  The repair for a mark past the chain's
 * end (restored from elsewhere, or written by hand), which no step moves
 * back.  EX_DATAERR when step has no mark.
 */
int rso_mark_forget(struct rso_store *s, const char *step, long long *was,
    struct rso_error *e);

#endif
