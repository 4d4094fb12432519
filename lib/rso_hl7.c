/* rso_hl7: HL7 v2.5.1 messages written with every field escaped. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "rso_base64.h"
#include "rso_hl7.h"
#include "rso_name.h"

void
rso_hl7_escape(FILE *fp, const char *s)
{
	for (; s && *s; s++)
		switch (*s) {
		case '|': fputs("\\F\\", fp); break;
		case '^': fputs("\\S\\", fp); break;
		case '~': fputs("\\R\\", fp); break;
		case '\\': fputs("\\E\\", fp); break;
		case '&': fputs("\\T\\", fp); break;
		default:
			/*
			 * Every control character as a hex escape: CR ends a
			 * segment, and 0x0B and 0x1C frame a message in MLLP.
			 */
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				fprintf(fp, "\\X%02X\\", (unsigned char)*s);
			else
				fputc(*s, fp);
		}
}

/* "2026-10-21T16:00:00Z" as an HL7 DTM, "20261021160000"; dates likewise. */
static void
dtm(FILE *fp, const char *t)
{
	for (; t && *t && *t != 'Z' && *t != '+'; t++)
		if (*t >= '0' && *t <= '9')
			fputc(*t, fp);
}

/* The name as people write it, as XPN: family (the last word)^given. */
static void
xpn(FILE *fp, const char *name)
{
	const char *family;
	char given[256];
	size_t n;

	if (name == NULL)
		return;
	family = rso_name_family(name, &n);
	rso_hl7_escape(fp, family);
	if (n == 0)
		return;
	fputc('^', fp);
	snprintf(given, sizeof(given), "%.*s", (int)n, name);
	rso_hl7_escape(fp, given);
}

/* "text/markdown" as ED type^subtype: TEXT^MARKDOWN. */
static void
ed_type(FILE *fp, const char *mt)
{
	const char *slash = mt ? strchr(mt, '/') : NULL;

	if (slash == NULL) {
		fputs("APPLICATION^OCTET-STREAM", fp);
		return;
	}
	for (; mt < slash; mt++)
		fputc(*mt >= 'a' && *mt <= 'z' ? *mt - 32 : *mt, fp);
	fputc('^', fp);
	for (mt = slash + 1; *mt; mt++)
		if (*mt != '^' && *mt != '|' && *mt != '\\' && *mt != '&' &&
		    *mt != '~')
			fputc(*mt >= 'a' && *mt <= 'z' ? *mt - 32 : *mt, fp);
}

int
rso_hl7_mdm_t02(FILE *fp, const struct rso_hl7_opinion *o, int mllp)
{
	char *data;

	if (mllp)
		fputc(0x0B, fp);
	fputs("MSH|^~\\&|RSO|", fp);
	rso_hl7_escape(fp, o->sending_facility);
	fputc('|', fp);
	rso_hl7_escape(fp, o->receiving_app);
	fputc('|', fp);
	rso_hl7_escape(fp, o->receiving_facility);
	fputc('|', fp);
	dtm(fp, o->delivered);
	fputs("||MDM^T02^MDM_T02|", fp);
	rso_hl7_escape(fp, o->control_id);
	fputs("|P|2.5.1\rEVN|T02|", fp);
	dtm(fp, o->delivered);
	fputs("\rPID|1||", fp);
	rso_hl7_escape(fp, o->case_id);
	fputs("^^^RSO^MR||", fp);
	xpn(fp, o->patient_name);
	fputs("||", fp);
	dtm(fp, o->birth_date);
	fputc('|', fp);
	fputs(o->sex && *o->sex == 'f' ? "F" : o->sex && *o->sex == 'm' ? "M" :
	    o->sex && *o->sex == 'o' ? "O" : "U", fp);
	/* TXA-2 type, -3 presentation, -4 activity time, -5 provider, -7
	 * transcription time, -12 unique document number, -17 status. */
	fputs("\rPV1|1|O\rTXA|1|CN^Consultation note^HL70270|TX|", fp);
	dtm(fp, o->recorded);
	fputc('|', fp);
	rso_hl7_escape(fp, o->specialist);
	fputs("||", fp);
	dtm(fp, o->delivered);
	fputs("|||||", fp);
	rso_hl7_escape(fp, o->control_id);
	fputs("|||||AU\rNTE|1||", fp);
	rso_hl7_escape(fp, o->question);
	fputs("\rOBX|1|ED|11488-4^Consult note^LN|1|^", fp);
	ed_type(fp, o->media_type);
	fputs("^Base64^", fp);
	data = rso_base64(o->content, o->size);
	fputs(data, fp);
	free(data);
	fputs("||||||F\rOBX|2|CE|59776-5^Procedure findings^LN|1|", fp);
	rso_hl7_escape(fp, o->outcome);
	fputs("||||||F\r", fp);
	if (mllp)
		fputs("\x1c\r", fp);
	return ferror(fp) ? -1 : 0;
}
