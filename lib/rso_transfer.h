/* rso_transfer: a whole case as one encrypted archive, to and from a partner. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_TRANSFER_H
#define RSO_TRANSFER_H

#include <jansson.h>

#include "rso_age.h"
#include "rso_err.h"
#include "rso_store.h"

/*
 * A transfer archive is one age file holding a pax tar, readable with
 * "age -d -i KEY FILE | tar -x", whose entries come in this order:
 *
 *   case.json       the case as it stands (request, status, consent)
 *   events.jsonl    its events, oldest first
 *   records.jsonl   the manifest: a line per record (rso_records_manifest)
 *   opinions.jsonl  a line per opinion, primary first
 *   records/...     each record of the manifest, latest version
 *   opinion/...     each opinion of opinions.jsonl
 *
 * Records held back (a study of another patient) never leave the store.
 */

/*
 * Write case id as dir/name, encrypted to r and read from the store's
 * archive with ids: a dot-temp file in dir, fsynced, renamed (over an
 * older export of the same name only with replace; anything else there
 * is left alone and the export refused).  Streamed: the manifest never
 * held.  On failure nothing is left in dir.
 */
int rso_transfer_write(struct rso_store *s, const char *id,
    const struct rso_age_identities *ids, const struct rso_age_recipients *r,
    const char *dir, const char *name, int replace, struct rso_error *e);

/*
 * Import the transfer archive at path (read with ids) as a new case of
 * this store, in one transaction: the request (checked as rso-intake
 * checks one), the consent when it has not expired, every record of the
 * manifest (its bytes checked against the manifest's size and SHA-256),
 * the partner's opinions as records of type opinion, and the partner's
 * case.json and events.jsonl kept in the new case's archive under
 * partner/.  Anything out of order, unlisted, missing or not matching is
 * refused (EX_DATAERR "FILE: entry N: what"); a wrong key is EX_NOPERM.
 * Nothing is kept of a refused archive.  *out is {"case","ref","status",
 * "from","records","opinions"}, or {"case","ref","existing":true} when the
 * request's ref is here already with the same content.
 */
int rso_transfer_import(struct rso_store *s, const char *path,
    const struct rso_age_identities *ids, json_t **out, struct rso_error *e);

#endif
