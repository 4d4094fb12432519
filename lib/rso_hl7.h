/* rso_hl7: HL7 v2.5.1 messages written with every field escaped. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_HL7_H
#define RSO_HL7_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/*
 * Write s (UTF-8) as HL7 text: the field separator '|' as \F\, component
 * '^' as \S\, repetition '~' as \R\, escape '\' as \E\, subcomponent '&'
 * as \T\, and every control character (U+0000..U+001F, U+007F: CR, LF,
 * tab, VT and the MLLP framing bytes among them) as the hex escape
 * \Xhh\, so any text goes through a field and back exactly.  At most max
 * characters (code points, not bytes) of s are written, so a cut never
 * splits a UTF-8 sequence; max 0 is no limit.  Returns the characters
 * written.
 */
size_t rso_hl7_escape_max(FILE *fp, const char *s, size_t max);
void rso_hl7_escape(FILE *fp, const char *s);

/*
 * A written name as an XPN (or the name part of an XCN): the family name
 * (the last word)^the given names, blanks around the name dropped; a
 * single word is the family name alone.  At most max characters in all,
 * separator included (0: no limit).
 */
void rso_hl7_xpn(FILE *fp, const char *name, size_t max);

/* What an MDM^T02 for one opinion holds. */
struct rso_hl7_opinion {
	const char *control_id;		/* MSH-10: unique and stable */
	const char *sending_facility, *receiving_app, *receiving_facility;
	const char *case_id, *patient_name, *birth_date, *sex;
	const json_t *questions;	/* the request's questions, strings */
	const char *specialist;		/* roster id, TXA-5.1 */
	const char *specialist_name;	/* as written, TXA-5.2/.3; or NULL */
	const char *outcome, *recorded, *delivered;
	const json_t *icd10;		/* ICD-10-CM codes, or NULL */
	const char *media_type;		/* of the opinion document */
	const unsigned char *content;	/* the opinion, as bytes */
	size_t size;
};

/*
 * An MDM^T02 (original document notification and content) that follows
 * the 2.5.1 MDM_T02 message structure: MSH (MSH-18 UNICODE UTF-8), EVN,
 * PID, PV1, TXA, then the OBX group only: OBX 1 the opinion as an ED
 * (^TEXT or AP^SUBTYPE^Base64^DATA), one OBX (TX) per question, the
 * outcome and each ICD-10-CM code as a CE (OBX-2 is two characters in
 * 2.5.1).  Times are DTMs with
 * their UTC offset.  Segments end with CR.  With mllp, framed by VT ...
 * FS CR.  The field map is in rso-export(1).  Returns 0 or -1 (fp).
 */
int rso_hl7_mdm_t02(FILE *fp, const struct rso_hl7_opinion *o, int mllp);

#endif
