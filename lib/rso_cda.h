/* rso_cda: C-CDA documents (HL7 CDA R2, namespace urn:hl7-org:v3) read
 * for what they say of themselves, and shown as a page a person reads. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_CDA_H
#define RSO_CDA_H

#include <stddef.h>
#include <stdio.h>

#include "rso_doc.h"
#include "rso_err.h"

/*
 * Read the n bytes of buf (libxml2, streamed: no network, no DTD, no
 * entity substituted) as a ClinicalDocument, into d: the first
 * recordTarget's patient (name, birthTime, administrativeGenderCode,
 * patientRole ids), code (LOINC: d->code and its rso type), title,
 * effectiveTime, the custodian organisation's name (source), the first
 * author's person name, and a request token (inFulfillmentOf/order/id
 * extension first, else the first in the document's text); d->format is
 * "cda".  A field of d already filled (an XDM entry's metadata read first)
 * is kept; identifiers not already in d are added.
 *
 * Returns 0; 1 when the root element is not a ClinicalDocument (d and e
 * untouched: not ours); -1 with e filled (EX_DATAERR, "line N: what",
 * never a value of the document) for a document whose root is a
 * ClinicalDocument but cannot be read: not well-formed, a DOCTYPE, the
 * root outside namespace urn:hl7-org:v3.  A DOCTYPE naming
 * ClinicalDocument is refused even when the root is never reached.
 */
int rso_cda_read(const char *buf, size_t n, struct rso_doc_info *d,
    struct rso_error *e);

/*
 * Write the document as one self-contained HTML5 page to out (UTF-8, an
 * inline style sheet, no script, link, image or any URL): its title, a
 * header (patient, birth date, sex, date, author, source) and each
 * section, nested, as a heading and its narrative block (paragraphs,
 * lists, tables, styled content, footnotes; links as their text only;
 * multimedia named, not shown), every text escaped.  Streamed: memory
 * does not grow with the document.  Returns as rso_cda_read does; on -1
 * part of a page may have been written.
 */
int rso_cda_render(const char *buf, size_t n, FILE *out, struct rso_error *e);

/*
 * The same of the first n bytes of fd, read with pread(2) a piece at a
 * time as libxml2's reader asks, never whole: what is held is the element
 * or text being read.  A file that cannot be read, or is shorter than n,
 * is not well-formed where it stops.  A run of text longer than 1 MiB
 * (a scanned document's base64 in a nonXMLBody) is thinned as it is
 * read, never held: past 1 MiB only its bytes that are not base64,
 * space or tab, and the one after each, reach the reader, so the
 * document is well-formed or not as it is, with the same markup, and
 * only the text of that run is cut.  (In UTF-8, ASCII, ISO 8859 and
 * Windows 125x, as the XML declaration says; another is read as it is.)
 */
int rso_cda_read_fd(int fd, size_t n, struct rso_doc_info *d,
    struct rso_error *e);
int rso_cda_render_fd(int fd, size_t n, FILE *out, struct rso_error *e);

/* For tests: the run of text past which the _fd readers thin it. */
void rso_cda_text_cap(size_t cap);

#endif
