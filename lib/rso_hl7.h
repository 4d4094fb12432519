/* rso_hl7: HL7 v2.5.1 messages written with every field escaped. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_HL7_H
#define RSO_HL7_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/*
 * Write s as HL7 text: the field separator '|' as \F\, component '^' as
 * \S\, repetition '~' as \R\, escape '\' as \E\, subcomponent '&' as
 * \T\, CR as \X0D\ and LF as \X0A\, so any text goes through a field
 * and back exactly.
 */
void rso_hl7_escape(FILE *fp, const char *s);

/* What an MDM^T02 for one opinion holds. */
struct rso_hl7_opinion {
	const char *control_id;		/* MSH-10: unique and stable */
	const char *sending_facility, *receiving_app, *receiving_facility;
	const char *case_id, *patient_name, *birth_date, *sex;
	const char *question;		/* the first question, for NTE */
	const char *specialist, *outcome, *recorded, *delivered;
	const char *media_type;		/* of the opinion document */
	const unsigned char *content;	/* the opinion, as bytes */
	size_t size;
};

/*
 * An MDM^T02 (original document notification and content): MSH with the
 * separators declared, EVN, PID, PV1, TXA, NTE with the question, and
 * OBX-5 the opinion as an ED: ^TYPE^SUBTYPE^Base64^DATA.  Segments end
 * with CR.  With mllp, framed by VT ... FS CR.  Returns 0 or -1 (fp).
 */
int rso_hl7_mdm_t02(FILE *fp, const struct rso_hl7_opinion *o, int mllp);

#endif
