/* rso_search: finding a case by its patient, as staff know them. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_SEARCH_H
#define RSO_SEARCH_H

#include <jansson.h>

#include "rso_err.h"
#include "rso_store.h"

/*
 * The store keeps, per case, search keys derived from its request (table
 * case_keys, migrations 110 and 111), rebuilt whenever the request is
 * created or amended: the folded words of patient.name and of ref
 * (rso_fold_words), the whole folded ref, patient.birth_date as
 * YYYY-MM-DD, the digits of patient.phone and requester.phone, and the
 * folded patient.email and requester.email.
 */

/*
 * Rebuild case id's keys from req, the request just stored for it, inside
 * the caller's transaction.  old is the request it replaced, whose keys
 * are removed first, or NULL for a new case (it has none yet).  Returns 0
 * or a store status.
 */
int rso_search_index(struct rso_store *s, const char *id, const json_t *req,
    const json_t *old, struct rso_error *e);

/* Search terms, parsed; opaque. */
struct rso_search;

/*
 * Parse the terms of a search, each operand a term or several separated
 * by spaces ("ada testperson", "Testperson, Ada"), except that an operand
 * that reads as a telephone number ("+1 555 0100") is one term.  A term is
 *
 *   - an email address (it has an "@"): the patient's or requester's, whole;
 *   - a birth date: YYYY-MM-DD (the store's form), YYYYMMDD (DICOM's),
 *     YYYY/MM/DD, DD.MM.YYYY, DD-MM-YYYY, or D/M/YYYY, which matches both
 *     day-first and month-first when both are dates;
 *   - a telephone number: 7 digits or more, with + ( ) - . / or spaces
 *     between them; it matches a number that ends with those digits;
 *   - otherwise words: each word matches the start of a word of the
 *     patient's name or of the ref, without regard to case or accents.
 *
 * Any term that equals a case's whole ref (folded) matches that ref only.
 * Returns 0, or EX_USAGE with e naming the operand, never its value:
 * "argument 2: empty term", "argument 1: not UTF-8", "argument 1: no
 * letters or digits", "argument 1: not a date", "argument 9: more than
 * 32 terms".
 */
int rso_search_parse(int argc, char **argv, struct rso_search **out,
    struct rso_error *e);
void rso_search_free(struct rso_search *q);

/*
 * The cases that match every term, by case id, at most limit of them
 * (*more is set when there were others): fn gets {"case","ref","status",
 * "name","birth_date","match":[fields that matched, e.g. "patient.name"]}.
 * Showing a patient's demographics is an access to their record: before
 * fn sees a case, one event "case.found" {"match":[...]} is recorded on
 * it (the terms themselves are not kept).  Returns 0 (*n cases, 0 when
 * none), fn's status, or a store status (then nothing was shown).
 */
typedef int rso_search_fn(json_t *hit, void *ctx);
int rso_search_run(struct rso_store *s, const struct rso_search *q,
    int limit, int *n, int *more, rso_search_fn *fn, void *ctx,
    struct rso_error *e);

/*
 * Check every case's keys against the request of its last case.created
 * or case.amended event.  Returns 0 with the number of cases checked, or
 * EX_DATAERR "case ID: search keys do not follow from its request".
 */
int rso_search_verify(struct rso_store *s, long long *cases,
    struct rso_error *e);

#endif
