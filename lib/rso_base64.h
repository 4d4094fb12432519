/* rso_base64: standard padded base64 (RFC 4648), for HL7 ED and FHIR. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_BASE64_H
#define RSO_BASE64_H

#include <stddef.h>

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

#endif
