/* rso_utf8: decode one UTF-8 character, strictly; read a JSON escape. */
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

/* Whether the n bytes at s are UTF-8 text, every character valid. */
int rso_utf8_valid(const char *s, size_t n);

/*
 * The n bytes at s as UTF-8 text into out, which has room for 3n + 1:
 * each valid character as it is, each byte that starts none U+FFFD.
 */
void rso_utf8_repair(const char *s, size_t n, char *out);

/*
 * The string s repaired so, in memory of its own (the caller frees it):
 * for a name from outside (a file's, a folder's) that JSON must carry.
 */
char *rso_utf8_repaired(const char *s);

/* Encode cp (a scalar value) at d, which has room for 4; return length. */
size_t rso_utf8_encode(uint32_t cp, unsigned char *d);

/*
 * An escape of a JSON string read a byte at a time, for readers that see
 * its text in pieces: set at to 1 on its backslash, then hand over each
 * byte after it.  RSO_JSON_ESC_MORE while it goes on; RSO_JSON_ESC_BAD for
 * one JSON does not allow; else the code unit it stands for (0 to 0xFFFF;
 * what a surrogate pairs with is the caller's).  at is 0 again once it
 * has ended, either way.
 */
struct rso_json_esc {
	int at;			/* 1 after the backslash, 2 to 5 in \u's digits */
	unsigned u;		/* \u's value so far */
};
#define RSO_JSON_ESC_MORE	(-2)
#define RSO_JSON_ESC_BAD	(-1)
int rso_json_esc_step(struct rso_json_esc *st, unsigned char c);

#endif
