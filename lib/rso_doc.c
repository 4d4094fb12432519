/* rso_doc: what a clinical document says of itself. */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rso_doc.h"
#include "rso_err.h"
#include "rso_time.h"
#include "rso_window.h"

/*
 * LOINC document codes as the C-CDA document templates, XDS typeCode
 * value sets and HL7 TXA-2 use them, by the rso record type a specialist
 * looks for.  A code not here is still a clinical document: "report".
 */
static const struct {
	const char *code, *type;
} loinc_types[] = {
	{ "11488-4", "note" },		/* Consult note */
	{ "11506-3", "note" },		/* Progress note */
	{ "11504-8", "note" },		/* Surgical operation note */
	{ "18842-5", "note" },		/* Discharge summary */
	{ "28570-0", "note" },		/* Procedure note */
	{ "34111-5", "note" },		/* Emergency department note */
	{ "34117-2", "note" },		/* History and physical note */
	{ "34133-9", "note" },		/* Summary of episode (CCD) */
	{ "47039-3", "note" },		/* Inpatient admission H&P */
	{ "51855-5", "note" },		/* Patient note */
	{ "57133-1", "note" },		/* Referral note */
	{ "11526-1", "pathology" },	/* Pathology study */
	{ "60567-5", "pathology" },	/* Comprehensive pathology report */
	{ "60568-3", "pathology" },	/* Pathology synoptic report */
	{ "18748-4", "imaging" },	/* Diagnostic imaging study */
	{ "18726-0", "imaging" },	/* Radiology studies */
	{ "18782-3", "imaging" },	/* Radiology study observation */
	{ "34552-0", "imaging" },	/* Cardiac 2D echo report */
	{ "11502-2", "lab" },		/* Laboratory report */
	{ "26436-6", "lab" },		/* Laboratory studies */
	{ "11503-0", "report" },	/* Medical records */
	{ "59284-0", "consent" },	/* Consent */
	{ NULL, NULL }
};

const char *
rso_doc_type_of_code(const char *loinc)
{
	int i;

	if (loinc == NULL || *loinc == '\0')
		return NULL;
	for (i = 0; loinc_types[i].code; i++)
		if (strcmp(loinc_types[i].code, loinc) == 0)
			return loinc_types[i].type;
	return "report";
}

/* Crockford's base32, as request tokens are written. */
static int
is_b32(unsigned char c)
{
	return c && strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ", c) != NULL;
}

/*
 * The first token standing alone that starts at an offset in [lo, hi) of
 * the n bytes of t (a byte before lo, when lo > 0, and every byte after
 * hi up to n are context only): its offset, or -1.
 */
static long
token_in(const unsigned char *t, size_t n, size_t lo, size_t hi)
{
	size_t i, j;

	for (i = lo; i < hi && i + 10 <= n; i++) {
		if (memcmp(t + i, "REQ-", 4) != 0)
			continue;
		if (i > 0 && (isalnum(t[i - 1]) || t[i - 1] == '-'))
			continue;
		for (j = 4; j < 10 && is_b32(t[i + j]); j++)
			;
		if (j < 10 || (i + 10 < n && (isalnum(t[i + 10]) ||
		    t[i + 10] == '-')))
			continue;
		return (long)i;
	}
	return -1;
}

int
rso_doc_find_token(const char *text, size_t n, char *token)
{
	long at = token_in((const unsigned char *)text, n, 0, n);

	if (at < 0)
		return -1;
	memcpy(token, text + at, 10);
	token[10] = '\0';
	return 0;
}

int
rso_doc_find_token_fd(int fd, off_t size, char *token)
{
	/* A window, the byte before it and the ten after: a token across
	 * two windows is whole in the first, with what stands around it. */
	struct rso_window w;
	const unsigned char *p;
	size_t n = (size_t)size, start, pre, span, len, avail;
	long at = -1;

	rso_window_fd(&w, fd, n);
	w.min = RSO_DOC_WINDOW + 11;
	for (start = 0; at < 0 && start < n; start += RSO_DOC_WINDOW) {
		pre = start > 0;
		span = n - start < RSO_DOC_WINDOW ? n - start : RSO_DOC_WINDOW;
		len = pre + span + (n - start - span < 10 ? n - start - span : 10);
		if ((p = (const unsigned char *)rso_window_bytes(&w, start - pre,
		    len, &avail)) == NULL) {
			errno = w.err > 0 ? w.err : EIO;  /* -1: shorter */
			rso_window_free(&w);
			return -2;
		}
		if ((at = token_in(p, len, pre, pre + span)) >= 0)
			memcpy(token, p + at, 10);
	}
	rso_window_free(&w);
	if (at < 0)
		return -1;
	token[10] = '\0';
	return 0;
}

int
rso_doc_date(const char *s, char *iso)
{
	char d[11];
	rso_time_t t;
	int i;

	if (s == NULL)
		return -1;
	for (i = 0; i < 4; i++)
		if (!isdigit((unsigned char)s[i]))
			return -1;
	if (s[4] == '-') {
		if (strlen(s) < 10 || (s[10] != '\0' && s[10] != 'T'))
			return -1;
		memcpy(d, s, 10);
	} else {
		for (i = 4; i < 8; i++)
			if (!isdigit((unsigned char)s[i]))
				return -1;
		snprintf(d, sizeof(d), "%.4s-%.2s-%.2s", s, s + 4, s + 6);
	}
	d[10] = '\0';
	if (rso_date_parse(d, &t) != 0)
		return -1;
	memcpy(iso, d, 11);
	return 0;
}

void
rso_doc_copy(char *dst, size_t size, const char *s, long n)
{
	size_t len, i;

	if (size == 0)
		return;
	len = n < 0 ? strlen(s) : (size_t)n;
	if (len > size - 1) {
		len = size - 1;
		/* Back off continuation bytes: never half a character. */
		while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--;
	}
	for (i = 0; i < len; i++)
		dst[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
	dst[len] = '\0';
}

void
rso_doc_add_id(struct rso_doc_patient *p, const char *system,
    const char *value)
{
	struct rso_doc_id *id;

	if (value == NULL || *value == '\0' || p->nid >= RSO_DOC_IDS)
		return;
	id = &p->id[p->nid++];
	rso_doc_copy(id->system, sizeof(id->system), system ? system : "", -1);
	rso_doc_copy(id->value, sizeof(id->value), value, -1);
}

void
rso_doc_set_name(struct rso_doc_patient *p, const char *family,
    const char *given)
{
	/* Room for both parts whole: rso_doc_copy cuts on a character. */
	char pn[2 * sizeof(p->name) + 2];
	size_t i, sep;

	family = family ? family : "";
	given = given ? given : "";
	snprintf(pn, sizeof(pn), "%s^%s", family, given);
	sep = strlen(family);
	/* '^' and '=' are a PN's separators, never part of a name part. */
	for (i = 0; pn[i]; i++)
		if (pn[i] == '=' || (pn[i] == '^' && i != sep))
			pn[i] = ' ';
	rso_doc_copy(p->name, sizeof(p->name), pn, -1);
	if (*family == '\0' && *given == '\0')
		p->name[0] = '\0';
}
