/* rso_hl7: HL7 v2.5.1 messages written with every field escaped. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "rso_base64.h"
#include "rso_hl7.h"
#include "rso_name.h"

/* 2.5.1 field lengths rso applies (characters), from the segment tables. */
#define LEN_HD		227	/* MSH-4, -5, -6 */
#define LEN_CX		250	/* PID-3 */
#define LEN_XPN		250	/* PID-5 */
#define LEN_XCN		250	/* TXA-5 */
#define LEN_TX		65536	/* a TX value, OBX-5 of a question */

/* The bytes of one UTF-8 character starting with lead byte c. */
static size_t
utf8_len(unsigned char c)
{
	return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

size_t
rso_hl7_escape_max(FILE *fp, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0, k;

	for (; p && *p && (max == 0 || n < max); n++) {
		switch (*p) {
		case '|': fputs("\\F\\", fp); break;
		case '^': fputs("\\S\\", fp); break;
		case '~': fputs("\\R\\", fp); break;
		case '\\': fputs("\\E\\", fp); break;
		case '&': fputs("\\T\\", fp); break;
		default:
			if (*p < 0x20 || *p == 0x7F) {
				fprintf(fp, "\\X%02X\\", *p);
				break;
			}
			/* A whole character, never part of one. */
			for (k = utf8_len(*p); k > 0 && *p; k--)
				fputc(*p++, fp);
			continue;
		}
		p++;
	}
	return n;
}

void
rso_hl7_escape(FILE *fp, const char *s)
{
	rso_hl7_escape_max(fp, s, 0);
}

/* At most max characters of s[0..n) (0: all), escaped; the count. */
static size_t
escape_part(FILE *fp, const char *s, size_t n, size_t max)
{
	char *part = strndup(s, n);
	size_t k;

	if (part == NULL)
		return 0;
	k = rso_hl7_escape_max(fp, part, max);
	free(part);
	return k;
}

void
rso_hl7_xpn(FILE *fp, const char *name, size_t max)
{
	struct rso_name_parts p;
	size_t n;

	if (name == NULL)
		return;
	rso_name_split(name, &p);
	n = escape_part(fp, p.family, p.family_len, max);
	if (p.given_len == 0 || (max && n + 1 >= max))
		return;
	fputc('^', fp);
	escape_part(fp, p.given, p.given_len, max ? max - n - 1 : 0);
}

/*
 * An RFC 3339 time ("2026-10-21T16:00:00Z", "...+02:00") as a DTM with
 * its offset, "20261021160000+0000"; a date ("1961-03-01") as "19610301".
 * Fractions of a second are dropped: they are never stored.
 */
static void
dtm(FILE *fp, const char *t)
{
	const char *p;
	int digits = 0;

	for (p = t; p && *p && *p != 'Z' && *p != '+' && *p != '.' &&
	    !(*p == '-' && digits >= 12); p++)
		if (*p >= '0' && *p <= '9') {
			fputc(*p, fp);
			digits++;
		}
	if (p == NULL || digits < 12)
		return;
	while (*p == '.' || (*p >= '0' && *p <= '9'))
		p++;
	if (*p == 'Z') {
		fputs("+0000", fp);
		return;
	}
	if (*p == '+' || *p == '-') {
		fputc(*p++, fp);
		for (; *p; p++)
			if (*p >= '0' && *p <= '9')
				fputc(*p, fp);
	}
}

/*
 * ED type^subtype for a media type (tables 0191, 0291): a text type is TEXT
 * (0191's machine-readable text; TX is marked 2.2 only), anything else AP
 * (application data); the subtype is the MIME subtype, upper case, as
 * 0291 recommends, kept to letters, digits, '-', '.' and '+', at most the
 * 18 characters ED-3 allows.
 */
static void
ed_type(FILE *fp, const char *mt)
{
	const char *slash = mt ? strchr(mt, '/') : NULL;
	int n = 0;

	if (slash == NULL) {
		fputs("AP^OCTET-STREAM", fp);
		return;
	}
	fputs(slash - mt == 4 && strncmp(mt, "text", 4) == 0 ? "TEXT^" : "AP^",
	    fp);
	for (mt = slash + 1; *mt && *mt != ';' && n < 18; mt++)
		if ((*mt >= 'a' && *mt <= 'z') || (*mt >= 'A' && *mt <= 'Z') ||
		    (*mt >= '0' && *mt <= '9') || *mt == '-' || *mt == '.' ||
		    *mt == '+') {
			fputc(*mt >= 'a' && *mt <= 'z' ? *mt - 32 : *mt, fp);
			n++;
		}
}

/* An outcome as a CE of rso's local code system (0396: 99zzz). */
static void
outcome_cwe(FILE *fp, const char *outcome)
{
	static const struct {
		const char *code, *text;
	} outcomes[] = {
		{ "confirmed", "Diagnosis confirmed" },
		{ "diagnosis-changed", "Diagnosis changed" },
		{ "treatment-changed", "Treatment changed" },
		{ "more-tests", "More tests needed" },
	};
	size_t i;

	for (i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++)
		if (outcome && strcmp(outcome, outcomes[i].code) == 0) {
			fprintf(fp, "%s^%s^99RSO", outcomes[i].code,
			    outcomes[i].text);
			return;
		}
	fputc('^', fp);
	rso_hl7_escape_max(fp, outcome, 199);	/* CE-2 text */
}

static void
msh(FILE *fp, const struct rso_hl7_opinion *o)
{
	fputs("MSH|^~\\&|RSO|", fp);
	rso_hl7_escape_max(fp, o->sending_facility, LEN_HD);
	fputc('|', fp);
	rso_hl7_escape_max(fp, o->receiving_app, LEN_HD);
	fputc('|', fp);
	rso_hl7_escape_max(fp, o->receiving_facility, LEN_HD);
	fputc('|', fp);
	dtm(fp, o->delivered);
	fputs("||MDM^T02^MDM_T02|", fp);
	rso_hl7_escape_max(fp, o->control_id, 20);
	/* MSH-18: the bytes are UTF-8, whatever the receiver's default. */
	fputs("|P|2.5.1||||||UNICODE UTF-8\r", fp);
}

static void
evn_pid_pv1(FILE *fp, const struct rso_hl7_opinion *o)
{
	fputs("EVN|T02|", fp);
	dtm(fp, o->delivered);
	fputs("\rPID|1||", fp);
	rso_hl7_escape_max(fp, o->case_id, 15);
	fputs("^^^RSO^MR||", fp);
	rso_hl7_xpn(fp, o->patient_name, LEN_XPN);
	fputs("||", fp);
	dtm(fp, o->birth_date);
	fputc('|', fp);
	fputs(o->sex && *o->sex == 'f' ? "F" : o->sex && *o->sex == 'm' ? "M" :
	    o->sex && *o->sex == 'o' ? "O" : "U", fp);
	fputs("\rPV1|1|O\r", fp);
}

/*
 * TXA-2 document type (IS, table 0270: CN consultation), -3 content
 * presentation (ID, 0191), -4 activity time, -5 the specialist as XCN,
 * -6 origination time, -7 transcription time, -12 unique document
 * number, -17 completion status (AU authenticated).
 */
static void
txa(FILE *fp, const struct rso_hl7_opinion *o)
{
	const char *slash = o->media_type ? strchr(o->media_type, '/') : NULL;
	int text = slash && slash - o->media_type == 4 &&
	    strncmp(o->media_type, "text", 4) == 0;

	fprintf(fp, "TXA|1|CN|%s|", text ? "TX" : "AP");
	dtm(fp, o->recorded);
	fputc('|', fp);
	if (o->specialist) {
		size_t n = rso_hl7_escape_max(fp, o->specialist, 15);
		if (o->specialist_name) {
			fputc('^', fp);
			rso_hl7_xpn(fp, o->specialist_name, LEN_XCN - n - 1);
		}
	}
	fputc('|', fp);
	dtm(fp, o->recorded);
	fputc('|', fp);
	dtm(fp, o->delivered);
	fputs("|||||", fp);
	rso_hl7_escape_max(fp, o->control_id, 30);
	fputs("|||||AU\r", fp);
}

/* OBX set id k: the opinion document as an ED. */
static void
obx_document(FILE *fp, const struct rso_hl7_opinion *o)
{
	char *data = rso_base64(o->content, o->size);

	fputs("OBX|1|ED|11488-4^Consult note^LN|1|^", fp);
	ed_type(fp, o->media_type);
	fputs("^Base64^", fp);
	fputs(data, fp);
	free(data);
	fputs("||||||F\r", fp);
}

int
rso_hl7_mdm_t02(FILE *fp, const struct rso_hl7_opinion *o, int mllp)
{
	const json_t *x;
	size_t i;
	int k = 1;

	if (mllp)
		fputc(0x0B, fp);
	msh(fp, o);
	evn_pid_pv1(fp, o);
	txa(fp, o);
	obx_document(fp, o);
	/* MDM_T02 has no NTE before the first OBX: the questions are OBX. */
	json_array_foreach(o->questions, i, x) {
		if (!json_is_string(x))
			continue;
		fprintf(fp, "OBX|%d|TX|42349-1^Reason for referral^LN|%zu|", ++k,
		    i + 1);
		rso_hl7_escape_max(fp, json_string_value(x), LEN_TX);
		fputs("||||||F\r", fp);
	}
	fprintf(fp, "OBX|%d|CE|outcome^Second opinion outcome^99RSO|1|", ++k);
	outcome_cwe(fp, o->outcome);
	fputs("||||||F\r", fp);
	json_array_foreach(o->icd10, i, x) {
		if (!json_is_string(x))
			continue;
		fprintf(fp, "OBX|%d|CE|29308-4^Diagnosis^LN|%zu|", ++k, i + 1);
		rso_hl7_escape_max(fp, json_string_value(x), 20);
		fputs("^^I10||||||F\r", fp);
	}
	if (mllp)
		fputs("\x1c\r", fp);
	return ferror(fp) ? -1 : 0;
}
