/* rso_base64: standard padded base64 (RFC 4648), for HL7 ED and FHIR. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_BASE64_H
#define RSO_BASE64_H

#include <stddef.h>

/* The text of n bytes, padded, NUL-terminated: a malloc'd string. */
char *rso_base64(const void *p, size_t n);

#endif
