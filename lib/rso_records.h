/* rso_records: record requests to outside providers, follow-ups, and the
 * index of what has arrived (the content itself is in the archives). */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_RECORDS_H
#define RSO_RECORDS_H

#include <jansson.h>

#include "rso_err.h"
#include "rso_store.h"

/* "REQ-" and six characters of Crockford's base32 (no I, L, O, U). */
#define RSO_TOKEN_LEN 11

/* Whether s is a request token. */
int rso_token_valid(const char *s);

/*
 * Ask a provider for records, in one transaction: only when the case's
 * consent covers the provider and has not expired (else EX_NOPERM with the
 * reason).  req is {"provider", "contact": {"method": "fax" | "mail" |
 * "email" | "portal" | "upload", ...}, "what", ["studies": [...]]}.  The
 * same case, provider and "what" again is the same request ("existing").
 * *out is {"case","token","provider","status"[,"existing"]}.
 */
int rso_request_records(struct rso_store *s, const char *id,
    const json_t *req, json_t **out, struct rso_error *e);

/*
 * Parse a --contact argument "METHOD:VALUE" ("fax:+1 555 0100",
 * "email:records@clinic.example", "mail:1 Test Road", "portal:URL",
 * "upload") into {"method": M, M: VALUE}.  NULL when malformed.
 */
json_t *rso_contact_parse(const char *arg);

/*
 * Open requests whose last contact is at least older seconds ago, for the
 * follow-up mailer: {"kind": "records-followup", "case", "token",
 * "provider", "contact", "what", "attempt" (the next one), "patient":
 * {"name", "birth_date"}} -- the patient is named because the letter
 * must identify whose records -- or, past config followup.max_attempts,
 * {"kind": "escalate", "case", "token", "provider", "attempt", "to":
 * config mail.staff} for staff; both end with "last_contact", when the
 * provider was last asked.  Oldest first.
 */
typedef int rso_records_fn(json_t *line, void *ctx);
int rso_requests_due(struct rso_store *s, int64_t older, rso_records_fn *fn,
    void *ctx, struct rso_error *e);

/*
 * Record that a follow-up line went out (a line rso_requests_due made):
 * once per token, attempt and kind -- *recorded is 0 for a repeat.
 */
int rso_followup_sent(struct rso_store *s, const json_t *line, int *recorded,
    struct rso_error *e);

/*
 * What was requested and has not arrived: one line per open request
 * {"case","token","provider","what","requested","attempts","missing":
 * "request"}, and per study a received request named whose study has not
 * arrived {"missing":"study","study":{...}} (a study matches on date and
 * modality).
 */
int rso_records_missing(struct rso_store *s, const char *id,
    rso_records_fn *fn, void *ctx, struct rso_error *e);

/*
 * The case's records as JSON lines: documents {"case","item","name",
 * "type","source","date","media_type","size","sha256"} and, for DICOM,
 * one line per study {"case","study","date","modality","body_part",
 * "description","instances","size"}.  Held items are marked "held".
 */
int rso_records_list(struct rso_store *s, const char *id,
    rso_records_fn *fn, void *ctx, struct rso_error *e);

/*
 * Mark a case's records complete: it needs consent (so it is collecting)
 * and at least one filed record; the case becomes ready and the SLA clock
 * starts.  *already is set on a re-run.
 */
int rso_records_complete(struct rso_store *s, const char *id, int *already,
    struct rso_error *e);

/* A record filed into a segment, as the index keeps it. */
struct rso_record {
	int item;			/* NNNN in records/NNNN-slug.ext */
	const char *name, *segment, *type, *source, *date;
	const char *sha256, *media_type, *request_token;
	long long size;
	/* DICOM instances only (NULL otherwise). */
	const char *study_uid, *series_uid, *sop_uid, *modality;
	const char *body_part, *study_date, *study_desc;
	const char *held;		/* why it is held back, or NULL */
	/* A document's patient identifier and its issuer (NULL otherwise). */
	const char *pid_system, *pid_value;
};

/*
 * The manifest of a transfer archive: each filed record that is not held,
 * every column a receiving store needs to index it, as a JSON line
 * {"item","name","type",["source","date"],"sha256","media_type","size",
 * [DICOM: "study_uid","series_uid","sop_uid","modality","body_part",
 * "study_date","study_desc"]}.
 */
int rso_records_manifest(struct rso_store *s, const char *id,
    rso_records_fn *fn, void *ctx, struct rso_error *e);

/*
 * The series of the case's DICOM instances that are not held, one JSON
 * line each, in the order of their first instance:
 * {"study_uid","series_uid",["modality"],"instances"}, the modality
 * that first instance's.  What a summary of the studies needs, without
 * a line per instance.
 */
int rso_records_series(struct rso_store *s, const char *id,
    rso_records_fn *fn, void *ctx, struct rso_error *e);

/*
 * A manifest line back into r (strings point into line): -1 with why
 * ("sha256: not 64 hex digits") when a member is missing or malformed.
 */
int rso_record_from_manifest(const json_t *line, struct rso_record *r,
    char *why, size_t n);

/* Record types: note lab pathology imaging report consent opinion other. */
int rso_record_type_valid(const char *s);

/* The next free item number of a case (1 for the first). */
int rso_records_next_item(struct rso_store *s, const char *id);

/*
 * Whether the case already has this content (by sha256) or, for DICOM, this
 * SOPInstanceUID: the item number, or 0.
 */
int rso_records_known(struct rso_store *s, const char *id, const char *sha256,
    const char *sop_uid);

/*
 * Index records filed in one segment, inside the caller's transaction,
 * with one records.filed event; a request token marks that request
 * received.  With sum (the segment just written) not NULL, the segment is
 * recorded by that event (rso_casearc_bind).  EX_DATAERR for an unknown
 * token of another case.
 */
struct rso_seg_sum;
int rso_records_put(struct rso_store *s, const char *id,
    const struct rso_record *recs, size_t n, const struct rso_seg_sum *sum,
    struct rso_error *e);

/*
 * The same a record at a time, for a segment still being written: each
 * indexed as pending (its segment not yet known, r->segment ignored),
 * then every pending record of the case given segment, with the one
 * records.filed event (which records the segment when sum is not NULL),
 * by rso_records_filed.  All inside the caller's transaction; a
 * rollback leaves nothing pending.
 */
int rso_records_put_one(struct rso_store *s, const char *id,
    const struct rso_record *r, struct rso_error *e);
int rso_records_filed(struct rso_store *s, const char *id,
    const char *segment, const struct rso_seg_sum *sum, struct rso_error *e);

/*
 * Where item lives: its entry name and segment (each 128 bytes), and the
 * SHA-256 it was filed with (RSO_SHA256_HEXLEN).  item is "0003" or "3".
 * EX_DATAERR "CASE: no item N" when unknown.
 */
int rso_records_where(struct rso_store *s, const char *id, const char *item,
    char *name, char *segment, char *sha256, struct rso_error *e);

/*
 * The one open case (collecting to on hold) with a filed record, not
 * held, that carried identifier value of issuer system: 0 with id filled
 * (RSO_CASE_IDLEN), -1 when none or several.
 */
int rso_records_case_of_id(struct rso_store *s, const char *system,
    const char *value, char *id);

/* The case a request token belongs to (into id, RSO_CASE_IDLEN); 0 or -1. */
int rso_records_request_case(struct rso_store *s, const char *token,
    char *id);

/*
 * Records held back (a DICOM study whose patient does not match the
 * case): one line per case and study (or item, for a held document)
 * {"case","study","items","reason","first_item","held_since"} (when the
 * first of them arrived), oldest first.
 */
int rso_records_held(struct rso_store *s, rso_records_fn *fn, void *ctx,
    struct rso_error *e);

/*
 * Staff decide on held records: what names an item number ("12") or a
 * StudyInstanceUID (every held instance of it).  release files them into
 * the case (event records.released); reject takes them out of it for good
 * (event records.rejected; they stay only as encrypted bytes in their
 * segment).  *n gets how many items changed; EX_DATAERR when none were
 * held.
 */
int rso_records_decide(struct rso_store *s, const char *id, const char *what,
    int release, int *n, struct rso_error *e);

#endif
