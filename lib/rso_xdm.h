/* rso_xdm: a case's documents as an IHE XDM zip (ITI TF-1 16, TF-3 4.2). */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_XDM_H
#define RSO_XDM_H

#include <jansson.h>

#include "rso_age.h"
#include "rso_err.h"
#include "rso_store.h"

/*
 * Write case id (c as rso_case_get gives it) as the zip dir/name, through
 * a dot-temp file, fsynced and renamed:
 *
 *   README.TXT                     who sent it and what it holds
 *   INDEX.HTM                      a page linking every document
 *   IHE_XDM/SUBSET01/METADATA.XML  an ebRS SubmitObjectsRequest: the
 *                                  submission set and one document entry
 *                                  per document, with its size, SHA-1 and
 *                                  URI, all classified by the XDS codes
 *   IHE_XDM/SUBSET01/DOCnnnn.ext   the opinions, then each filed record
 *                                  that is not DICOM and not held
 *
 * Records are streamed from the case archive (read with ids); DICOM goes
 * to the PACS with --format dicom instead.  Placed as rso_export_file
 * places a file (over what is there only with replace).  On failure
 * nothing is left.
 */
int rso_xdm_write(struct rso_store *s, const char *id, const json_t *c,
    const struct rso_age_identities *ids, const char *dir, const char *name,
    int replace, struct rso_error *e);

#endif
