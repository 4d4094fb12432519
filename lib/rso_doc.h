/* rso_doc: what a clinical document says of itself -- whose it is, what
 * kind, when, from where, by whom, and any request token in it -- as the
 * readers of each format (C-CDA, XDM, FHIR, HL7 v2) fill it in, so that
 * the inbox files and matches every format the same way. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_DOC_H
#define RSO_DOC_H

#include <stddef.h>
#include <sys/types.h>

#include "rso_records.h"

/* The patient identifiers kept of one document; more are dropped. */
#define RSO_DOC_IDS 8

/* An identifier with the system that issued it (an OID, a URI, an HL7
 * assigning authority); system "" is an identifier of unknown origin. */
struct rso_doc_id {
	char system[128];
	char value[64];
};

struct rso_doc_patient {
	/* As a DICOM PN, "FAMILY^GIVEN MIDDLE", UTF-8, so that rso_name_match
	 * compares it with the case's name; "" when the document has none. */
	char name[256];
	char birth_date[11];		/* YYYY-MM-DD, or "" */
	char sex[8];			/* female male other unknown, or "" */
	struct rso_doc_id id[RSO_DOC_IDS];
	int nid;
};

struct rso_doc_info {
	const char *format;		/* "cda" "xdm" "fhir" "hl7v2" */
	struct rso_doc_patient patient;
	char type[16];			/* an rso record type, or "" */
	char code[32];			/* its LOINC document code, or "" */
	char title[128];
	char date[11];			/* YYYY-MM-DD, or "" */
	char source[128];		/* the sending organisation, or "" */
	char author[128];
	char token[RSO_TOKEN_LEN];	/* a request token found in it, or "" */
};

/*
 * The rso record type of a LOINC document code (11506-3 progress note is
 * "note", 11526-1 pathology study is "pathology", 18748-4 diagnostic
 * imaging study is "imaging", 11502-2 laboratory report is "lab", ...);
 * "report" for a code of another clinical document, NULL for "".
 */
const char *rso_doc_type_of_code(const char *loinc);

/* The first request token (REQ- and six base32 characters, standing
 * alone) in the n bytes of text, into token; 0, or -1 when there is none. */
int rso_doc_find_token(const char *text, size_t n, char *token);

/*
 * The same over the first size bytes of fd, read with pread(2) a window
 * of RSO_DOC_WINDOW bytes at a time, never whole: 0, -1 when there is
 * none, -2 when fd cannot be read (errno; EIO when it is shorter).
 */
#define RSO_DOC_WINDOW	(64 * 1024)
int rso_doc_find_token_fd(int fd, off_t size, char *token);

/* An HL7 date or timestamp (YYYY[MM[DD[HHMM...]]], a FHIR date or
 * dateTime "YYYY-MM-DD...") as YYYY-MM-DD into iso[11]; 0, or -1 when it
 * does not name a whole, valid day. */
int rso_doc_date(const char *s, char *iso);

/* Copy at most size-1 bytes of s (n bytes, or to its NUL with n -1) into
 * dst, never cutting a UTF-8 sequence, control characters made spaces. */
void rso_doc_copy(char *dst, size_t size, const char *s, long n);

/* Add an identifier (system may be "" ; a value "" is not added). */
void rso_doc_add_id(struct rso_doc_patient *p, const char *system,
    const char *value);

/* Set the patient's name from its family and given parts as a PN. */
void rso_doc_set_name(struct rso_doc_patient *p, const char *family,
    const char *given);

#endif
