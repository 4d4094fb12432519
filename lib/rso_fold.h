/* rso_fold: text folded for finding people: case, accents and width gone. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_FOLD_H
#define RSO_FOLD_H

#include <stddef.h>

/*
 * Fold UTF-8 text the way staff expect a search to ignore differences:
 * Unicode case folding with compatibility decomposition (libunistring's
 * u8_casefold, NFKD: "É" is "e" plus an accent, "ß" is "ss", "ﬁ" is "fi",
 * full-width letters are ASCII), then the combining diacritical marks
 * (U+0300..U+036F, the accents of Latin, Greek and Cyrillic letters) are
 * dropped, and the Latin letters that carry a stroke rather than an accent
 * are spelled by their base (ø o, ł l, đ d, ħ h, ŧ t, ı i) or as two
 * letters (æ ae, œ oe, þ th).  Marks of other scripts are kept: a vowel
 * sign is part of a Devanagari word.  The result does not depend on the
 * locale, so keys stored today match terms typed tomorrow.
 *
 * Returns a malloc'd, NUL-terminated string, or NULL when s[0..n) is not
 * UTF-8 (errno EILSEQ).
 */
char *rso_fold(const char *s, size_t n);

/*
 * Call fn with each word of s (NUL-terminated UTF-8) after folding: a
 * word is a run of letters and decimal digits of any script; apostrophes
 * inside a word are dropped (O'Neil is "oneil"), anything else separates
 * words ("TESTPERSON^Ada" and "Testperson, Ada" are "testperson" and
 * "ada").  fn's non-zero return stops the walk and is returned.  Returns
 * -1 when s is not UTF-8, else 0 or fn's status.
 */
typedef int rso_fold_word_fn(const char *word, void *ctx);
int rso_fold_words(const char *s, rso_fold_word_fn *fn, void *ctx);

#endif
