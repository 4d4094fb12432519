/* rso-collect: filing files into a case, shared by add and inbox. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_COLLECT_FILING_H
#define RSO_COLLECT_FILING_H

#include <sys/stat.h>
#include <sys/types.h>

#include "rso_dicom.h"
#include "rso_doc.h"
#include "rso_err.h"
#include "rso_hash.h"
#include "rso_store.h"

struct drop;

/* A file to file: open, read through once for its hash and type. */
struct filing_item {
	int fd;				/* readable and seekable */
	struct drop *lender;		/* fd is its spool (drop_spool_lend),
					 * given back, not closed; or NULL */
	off_t size;
	char sha256[RSO_SHA256_HEXLEN];
	const char *media_type;
	char where[64];			/* "argument 2", "inbox:scan.pdf#3" */
	char name[128];			/* records/NNNN-..., set when filed */
	int item;			/* its item number, set when filed */
	struct rso_dicom_info *dicom;	/* a DICOM instance's header, or NULL */
	struct rso_doc_info *doc;	/* what a document says of itself, or NULL */
	const char *held;		/* why it is held back, or NULL */
	int watch_fd;			/* the source that must not change */
	struct stat watch;		/* ...as it was when surveyed */
};

/* What add's options or an inbox sidecar say of the files. */
struct filing_meta {
	const char *type, *source, *date, *request;
};

/*
 * Open name under dirfd (AT_FDCWD for the current folder) the way a folder
 * of other people's files must be opened: never following a symbolic link,
 * never blocking, never opening what is not a regular file or a folder.
 * Returns a descriptor (a folder's with O_DIRECTORY) with *st filled; -1
 * with errno set; or -2 for anything else (a link, FIFO, socket, device),
 * left unopened, with *st saying what it is (rso_file_kind names it).
 */
int filing_openat(int dirfd, const char *name, struct stat *st);

/*
 * Whether the source an item was read from changed since it was surveyed
 * (size, modification or change time): its content may then be half
 * written, and must not be filed.
 */
int filing_changed(const struct filing_item *it);

/*
 * Take over fd (closed by filing_release) and read it through: hash, size
 * and media type; fd itself is the source watched for change (set
 * watch_fd and watch after the call for a copy spooled from another).
 * Returns 0 or EX_IOERR with e filled.
 */
int filing_survey(struct filing_item *it, int fd, const char *where,
    struct rso_error *e);
/* Let go of what the item holds: its fd closed, or given back to lender. */
void filing_release(struct filing_item *it);

/*
 * filing_survey, but a DICOM instance is only looked at: its header read,
 * its size taken from fstat, its sha256 left "" to be computed as it is
 * filed (filing_commit), so that its bytes are read once.  Anything else
 * is read through as filing_survey reads it.
 */
int filing_survey_header(struct filing_item *it, int fd, const char *where,
    struct rso_error *e);

/*
 * For a file that looks like DICOM, read its header into it->dicom and make
 * its media type application/dicom.  0 for DICOM and for anything else;
 * EX_DATAERR (or EX_IOERR) with e filled for a DICOM file that cannot be
 * read, or has no SOPInstanceUID or StudyInstanceUID.
 */
int filing_dicom(struct filing_item *it, struct rso_error *e);

/* Whose an item is, as its DICOM header or its document says. */
struct filing_patient {
	const char *what;		/* "study" or "document" */
	const char *name;		/* as a DICOM PN */
	char birth_date[11];		/* YYYY-MM-DD, or "" */
	int unreadable;			/* a name not wholly decoded */
	const struct rso_doc_patient *doc;	/* a document's identifiers */
};

/* The patient of a DICOM item or a document: 0, or -1 when it names none. */
int filing_patient_of(const struct filing_item *it, struct filing_patient *p);

/*
 * Hold back each DICOM or document item whose patient is not the case's
 * (name as rso_name_match compares, birth date exactly), unless one of
 * the document's identifiers is already known for the case: it->held
 * says why.  A document that names no patient is not held.
 */
void filing_check_patients(struct rso_store *s, const char *id,
    struct filing_item *it, size_t n);

/*
 * The one open case whose patient is p, for an item that came without a
 * request token or case id: the open case a record of which already
 * carried one of p's identifiers, else the one open case with p's name
 * and birth date.  0 with id filled, or -1 with why.
 */
int filing_find_case(struct rso_store *s, const struct filing_patient *p,
    char *id, const char **why);

/* Whether the case may take records now (open and past consent). */
int filing_case_ready(struct rso_store *s, const char *id, struct rso_error *e);

/*
 * File n items into the case as one new segment, then index them in one
 * transaction, under the case's archive lock; print one line per item.
 * An item the case already has (same SHA-256 or SOP Instance UID) is not
 * filed again: {"case","item","existing":true}; one that repeats an
 * earlier item of the batch is named {"case","duplicate_of":"NNNN",
 * "where","sha256"}.  An item whose hash was put off is hashed as it is
 * written; should that show a repeat, the segment is dropped and written
 * again without it.  EX_TEMPFAIL "WHERE: changed while being filed" when
 * a source changed (nothing is filed).  Returns 0 or a status with e
 * filled.  Only after 0 is the content safe on disk (segment and folder
 * fsynced) and may a source be removed.  Releases the items dropped as
 * duplicates; the caller releases all items after.
 */
int filing_commit(struct rso_store *s, const char *id, struct filing_item *it,
    size_t n, const struct filing_meta *m, struct rso_error *e);

#endif
