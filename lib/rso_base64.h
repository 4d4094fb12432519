/* rso_base64: standard padded base64 (RFC 4648), for HL7 ED and FHIR. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_BASE64_H
#define RSO_BASE64_H

#include <stddef.h>

#include "rso_utf8.h"

/* The text of n bytes, padded, NUL-terminated: a malloc'd string. */
char *rso_base64(const void *p, size_t n);

/*
 * Decode the n bytes of base64 text s into *out (malloc'd, *outn bytes).
 * Spaces, tabs and line ends between characters are skipped, as FHIR's
 * base64Binary and MIME allow.  0, or -1 when the text is not clean: a
 * character outside the alphabet, a length that is not a multiple of
 * four, padding anywhere but at the end, or bits set under the padding.
 */
int rso_base64_decode(const char *s, size_t n, unsigned char **out,
    size_t *outn);

/*
 * The same decoding, of text that comes in pieces split anywhere, so that
 * a value of any size is decoded through a small buffer (a FHIR
 * attachment of 100 MB, read from its file).  With json set, the text is
 * a JSON string's as written between its quotes: its escapes are read
 * first ("\/" is "/", "\n" a line end, "\u0041" "A"), and a quote, a
 * control byte or an escape JSON does not allow is not clean.  Once a
 * piece is not clean, the decoder stays so.
 */
struct rso_base64_dec {
	unsigned long quad;	/* the bits of the group being read */
	int k;			/* its characters so far, 0 to 3 */
	int pad;		/* "=" in it; 3 once the text has ended */
	int json;
	struct rso_json_esc esc;	/* JSON: the escape being read */
	int bad;
};

/* Room for what n bytes of text may complete (with up to three characters
 * left from the pieces before them). */
#define RSO_BASE64_DEC_MAX(n) ((n) / 4 * 3 + 3)

void rso_base64_dec_init(struct rso_base64_dec *d, int json);

/*
 * The n bytes of text s: the bytes they complete written to out (room for
 * RSO_BASE64_DEC_MAX(n)), *outn set to how many.  0, or -1 when the text
 * so far is not clean.
 */
int rso_base64_dec_update(struct rso_base64_dec *d, const char *s, size_t n,
    unsigned char *out, size_t *outn);

/* Whether the text fed has ended cleanly: 0, or -1 (a group or an escape
 * cut short, or not clean before). */
int rso_base64_dec_final(struct rso_base64_dec *d);

#endif
