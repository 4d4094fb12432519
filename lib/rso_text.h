/* rso_text: text built piece by piece in a buffer that grows (an age
 * header, a value's canonical JSON). */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_TEXT_H
#define RSO_TEXT_H

#include <stddef.h>

/* Start as { 0 }; p is NULL until something is added, then always
 * NUL-terminated after len bytes.  The owner frees p. */
struct rso_text {
	char *p;
	size_t len, cap;
};

/* Append the n bytes of s (which may hold NULs), growing p; dies when
 * memory runs out. */
void rso_text_add(struct rso_text *t, const void *s, size_t n);

#endif
