/* rso_opinion: opinions recorded, delivered and read. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_OPINION_H
#define RSO_OPINION_H

#include <jansson.h>

#include "rso_err.h"
#include "rso_store.h"

/* confirmed, diagnosis-changed, treatment-changed, more-tests. */
int rso_outcome_valid(const char *s);
/* none, minor, moderate, major. */
int rso_impact_valid(const char *s);
/*
 * An ICD-10-CM code as written: a letter, two characters (digit, digit or
 * letter), then optionally a dot and one to four letters or digits
 * ("C50.911", "E11.9", "Z85.3", "M54.5").
 */
int rso_icd10_valid(const char *s);

/*
 * Whether an opinion may be recorded for role now: the case is in review
 * and the role's assignment was accepted.  Fills specialist (80 bytes)
 * with who holds it.  EX_DATAERR with the reason otherwise.
 */
int rso_opinion_check(struct rso_store *s, const char *id, const char *role,
    char *specialist, struct rso_error *e);

/* An opinion's index entry (its content is in the case's archive). */
struct rso_seg_sum;
struct rso_opinion {
	const char *role, *specialist, *outcome, *impact;
	const json_t *icd10;		/* array of codes */
	const char *name, *segment, *media_type, *sha256;
	long long size;
	const struct rso_seg_sum *sum;	/* the segment written, recorded */
};

/*
 * Record the opinion inside the caller's transaction: replaces the role's
 * earlier version (before delivery), event opinion.recorded.  *unchanged
 * is set, and nothing recorded, when the same content and codes are there.
 */
int rso_opinion_put(struct rso_store *s, const char *id,
    const struct rso_opinion *o, int *unchanged, struct rso_error *e);

/*
 * Deliver: every role of the case (primary and panel roles) has recorded
 * its opinion; the case becomes delivered, its assignments done, and each
 * recipient (from to: "patient", "referrer") is recorded.  *lines gets one
 * line per recipient with an address, for the mailer: {"kind":
 * "opinion-delivered","case","recipient","to","program"}; a recipient
 * without an address is recorded as delivered but gets no line (staff
 * deliver it another way).  On a re-run *already is set and nothing is
 * recorded.
 */
int rso_opinion_deliver(struct rso_store *s, const char *id, const json_t *to,
    json_t **lines, int *already, struct rso_error *e);

/* A video follow-up scheduled for at (RFC 3339). */
int rso_opinion_video(struct rso_store *s, const char *id, const char *at,
    struct rso_error *e);

/*
 * The opinion was received and read by "patient" or "referrer"; *already
 * on a repeat.
 */
int rso_opinion_ack(struct rso_store *s, const char *id, const char *by,
    int *already, struct rso_error *e);

/*
 * The recipient asked for no more reminders about the opinion (recorded
 * as "reminders.opted-out"); *already on a repeat.
 */
int rso_opinion_optout(struct rso_store *s, const char *id, const char *by,
    int *already, struct rso_error *e);

/*
 * The unread reminders due today under policy p (see rso_remind.h), for
 * deliveries not acknowledged nor opted out of, on cases still delivered
 * (not closed): {"kind":"unread-reminder","case","recipient","to",
 * "delivered","days","n"}, n the reminder's number; once p's reminders
 * are spent, one {"kind":"unread-staff",...,"to": mail.staff,
 * "reminders"} to tell staff.  "to" is absent when there is no address.
 */
struct rso_remind_policy;
typedef int rso_opinion_fn(json_t *line, void *ctx);
int rso_opinion_unread(struct rso_store *s, const struct rso_remind_policy *p,
    rso_opinion_fn *fn, void *ctx, struct rso_error *e);

/*
 * Every delivery not acknowledged nor opted out of, on a case still
 * delivered, made at least older seconds ago, whatever reminders went:
 * {"case","recipient","delivered","days"}, for what staff look at.
 */
int rso_opinion_unacked(struct rso_store *s, int64_t older,
    rso_opinion_fn *fn, void *ctx, struct rso_error *e);

/*
 * What a specialist's draft needs, without decrypting anything:
 * {"case","specialty","subspecialty","patient":{name,birth_date,sex},
 * "questions":[...],"dates":{"requested","ready","due"},"records":[...],
 * "studies":[...]}.
 */
int rso_opinion_draft(struct rso_store *s, const char *id, json_t **out,
    struct rso_error *e);

#endif
