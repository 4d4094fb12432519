/* rso-collect: inbox -- clinical documents recognised by their content
 * (C-CDA, FHIR Bundle, HL7 v2 messages, an XDM zip), each expanded into
 * the records it holds, with what it says of itself (rso_doc_info). */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_COLLECT_DOCS_H
#define RSO_COLLECT_DOCS_H

#include "inbox.h"
#include "rso_doc.h"

/* Bytes of one document read to be parsed, in passes or a part at a time
 * (a C-CDA, an HL7 file, a Bundle; an XDM zip's METADATA.XML files,
 * spooled): config.json's inbox.max_document_bytes.  A larger one is
 * filed as the file it is. */
#define DOC_MAX_DEFAULT (64LL << 20)

/*
 * A surveyed item that is not DICOM: when its content is a format below,
 * the format's reader takes it (the item then belongs to the arrival,
 * filed or released, and may have become several records); otherwise it
 * is taken as the file it is.  0, or a status with e filled (EX_DATAERR
 * rejects the entry, nothing of it filed).
 */
int docs_take(struct inbox *ib, struct arrival *a, struct filing_item *it,
    struct rso_error *e);

/*
 * The readers of each format, in a file of their own.  Each returns 1
 * when the item is not of its format (the item untouched), 0 when it
 * took the item, or a status with e filled.  Each reads the item's
 * file, never held whole: HL7 v2 a message at a time, a C-CDA as
 * libxml2's reader asks, a Bundle an entry at a time.
 */
int cda_take(struct inbox *ib, struct arrival *a, struct filing_item *it,
    struct rso_error *e);
int bundle_take(struct inbox *ib, struct arrival *a, struct filing_item *it,
    struct rso_error *e);
int hl7_take(struct inbox *ib, struct arrival *a, struct filing_item *it,
    struct rso_error *e);

/*
 * An XDM zip (a member IHE_XDM/<subset>/METADATA.XML): its documents
 * filed by the metadata.  Called for every zip before it is gathered as
 * a plain archive: 1 when it is not XDM, 0 when filed, or a status.
 */
int xdm_gather(struct inbox *ib, int fd, struct arrival *a,
    struct rso_error *e);

/*
 * Take a surveyed item into the arrival: into the batch (filed when the
 * batch is full) or, in an entry without a case whose item has no
 * patient to match, aside until the entry's others say whose it is.
 * it->doc, when set, is the arrival's to free from now on.
 */
int inbox_take(struct inbox *ib, struct arrival *a, struct filing_item *it,
    struct rso_error *e);

/*
 * A new item of n bytes of buf (spooled to the drop folder), described
 * by doc (taken: freed with the item; NULL for none), with media type
 * media (a string that lives for the run), watched for change through
 * the source item src (its file must not change until filed), taken
 * into the arrival as inbox_take does.  where names it in messages
 * ("member 2: message 3").
 */
int docs_add(struct inbox *ib, struct arrival *a, const struct filing_item *src,
    const void *buf, size_t n, const char *media, struct rso_doc_info *doc,
    const char *where, struct rso_error *e);

/* docs_add of bytes [off, off + n) of src's file, copied a window at a
 * time: a part never held. */
int docs_add_range(struct inbox *ib, struct arrival *a,
    const struct filing_item *src, size_t off, size_t n, const char *media,
    struct rso_doc_info *doc, const char *where, struct rso_error *e);

/*
 * docs_add of a part too large to hold, written by fill into the spool
 * file fd (empty) as it is read: fill returns 0, or a status with e
 * filled, which docs_add_fill returns (the part dropped, doc freed).
 */
typedef int docs_fill(void *ctx, int fd, struct rso_error *e);

/* docs_add_fill's part made ready as *it (spooled, surveyed, watched
 * through src), not yet taken: 0, or a status (doc freed). */
int docs_prepare(struct inbox *ib, struct arrival *a,
    const struct filing_item *src, docs_fill *fill, void *ctx,
    const char *media, struct rso_doc_info *doc, const char *where,
    struct filing_item *it, struct rso_error *e);
int docs_add_fill(struct inbox *ib, struct arrival *a,
    const struct filing_item *src, docs_fill *fill, void *ctx,
    const char *media, struct rso_doc_info *doc, const char *where,
    struct rso_error *e);

/* The n bytes of p written to a spool file fd: 0, or EX_IOERR with e
 * saying "spool: why", as docs_add says it. */
int docs_write(int fd, const void *p, size_t n, struct rso_error *e);

/*
 * The descriptor a part read out of src is watched through: src's own
 * file, kept open by the arrival until the entry is done (src itself may
 * be filed and released first), once per file.  -1 (errno) when it
 * cannot be kept.
 */
int docs_keep_source(struct arrival *a, const struct filing_item *src);

/* A new, zeroed rso_doc_info of format fmt ("cda" ...). */
struct rso_doc_info *docs_new(const char *fmt);

#endif
