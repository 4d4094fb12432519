/* rso_remind: reminders as events, under a policy from config.json. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_REMIND_H
#define RSO_REMIND_H

#include <jansson.h>

#include "rso_err.h"
#include "rso_store.h"
#include "rso_time.h"

/*
 * A reminder is something mailed to someone about a case (an unread
 * opinion, a review due), recorded once it went out: a row of the
 * reminders table and a "reminder.sent" event.  The policy of a kind of
 * reminder, config.json "reminders": {"NAME": {"after": ["3d", "7d",
 * "14d"], "staff_after": "21d"}}: the n-th reminder is due n-th "after"
 * past the start (the delivery, say), never two on one day whatever the
 * number of runs, no more than the list holds; staff_after past the start
 * (whatever was sent: a reminder may have had no address), staff are told
 * once instead, and that is the end.
 */
#define RSO_REMIND_MAX 16
struct rso_remind_policy {
	int64_t after[RSO_REMIND_MAX];	/* seconds past the start */
	int n;				/* reminders at most */
	int64_t staff_after;		/* 0: staff are never told */
};

/*
 * The policy called name, the defaults (dflt_after, n_dflt of them, and
 * dflt_staff) where config.json says nothing.  0, or EX_CONFIG with a
 * message naming the member.
 */
int rso_remind_policy(struct rso_store *s, const char *name,
    const int64_t *dflt_after, int n_dflt, int64_t dflt_staff,
    struct rso_remind_policy *p, struct rso_error *e);

/* What is due now for one recipient of one case under a policy. */
enum rso_remind_due {
	RSO_REMIND_NONE,	/* nothing today */
	RSO_REMIND_SEND,	/* the next reminder, number *n */
	RSO_REMIND_STAFF	/* the reminders are spent: tell staff */
};

/*
 * Decide for case id, recipient who, reminders of kind (the staff line is
 * kind staff_kind), started at start.  *n is the number the next reminder
 * would have (1-based).  0 or a store status.
 */
int rso_remind_due(struct rso_store *s, const struct rso_remind_policy *p,
    const char *id, const char *who, const char *kind, const char *staff_kind,
    rso_time_t start, enum rso_remind_due *due, int *n, struct rso_error *e);

/*
 * Whether a reminder of kind about case id went to who today (*yes).
 * For reminders without a schedule (a review due: once a day until it
 * is done).  0 or a store status.
 */
int rso_remind_sent_today(struct rso_store *s, const char *id,
    const char *who, const char *kind, int *yes, struct rso_error *e);

/*
 * Record that the reminder line (case, kind, recipient, and the
 * mailed_to rso-mail added) went out today.  Once per case, kind,
 * recipient and day: a second one sets *recorded to 0 and changes
 * nothing.  0, EX_DATAERR (a member missing or the case unknown), or a
 * store status.
 */
int rso_remind_record(struct rso_store *s, const json_t *line,
    int *recorded, struct rso_error *e);

/*
 * The "reminded" verbs: an rso_jsonl_fn (ctx the store) recording each
 * line rso-mail passed on and writing {"case","kind","recipient",
 * "recorded"|"unchanged":true} to stdout; a bad line is said as
 * "PROG: NAME:LINE: what" and its status returned.
 */
struct rso_jsonl;
int rso_remind_line(json_t *line, struct rso_jsonl *r, void *store);

#endif
