/* rso_progress: a progress bar on stderr for long work, only for a person. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_PROGRESS_H
#define RSO_PROGRESS_H

#include <stdint.h>

struct rso_progress;

/*
 * Start a bar labelled what ("inbox", "export") over total units (0 when
 * unknown: a counter instead of a bar).  Returns NULL -- and every call
 * below accepts NULL and does nothing -- when stderr is not a terminal or
 * -q was given, so cron jobs and pipes stay quiet.  While it is drawn,
 * messages and JSON lines on the same terminal erase it first (see
 * rso_live_line), and it comes back at its next redraw.
 */
struct rso_progress *rso_progress_start(const char *what, uint64_t total);

/*
 * Start a line for work whose size is not known beforehand (a report's
 * queries): it shows the seconds spent so far, redrawn by
 * rso_progress_add(p, 0).  NULL under the same conditions.
 */
struct rso_progress *rso_progress_busy(const char *what);

/* Advance by n units; redraws at most ten times a second. */
void rso_progress_add(struct rso_progress *p, uint64_t n);

/* Clear the bar's line and free it. */
void rso_progress_done(struct rso_progress *p);

#endif
