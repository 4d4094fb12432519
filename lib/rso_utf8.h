/* rso_utf8: decode one UTF-8 character, strictly. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_UTF8_H
#define RSO_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decode the character at s (n > 0 bytes available) into *cp and return
 * its length in bytes, 1 to 4; return 0 when s does not start a valid,
 * shortest-form, complete sequence for a scalar value (no surrogates,
 * nothing above U+10FFFF).
 */
size_t rso_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Encode cp (a scalar value) at d, which has room for 4; return length. */
size_t rso_utf8_encode(uint32_t cp, unsigned char *d);

#endif
