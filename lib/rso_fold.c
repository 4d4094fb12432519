/* rso_fold: text folded for finding people: case, accents and width gone. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "rso_err.h"
#include "rso_fold.h"

/*
 * Latin letters (already case folded) that no decomposition takes to a
 * base letter: their ASCII spelling, or NULL.
 */
static const char *
unstroked(ucs4_t c)
{
	switch (c) {
	case 0x00E6: return "ae";	/* æ */
	case 0x00F0: return "d";	/* ð */
	case 0x00F8: return "o";	/* ø */
	case 0x00FE: return "th";	/* þ */
	case 0x0111: return "d";	/* đ */
	case 0x0127: return "h";	/* ħ */
	case 0x0131: return "i";	/* ı */
	case 0x0142: return "l";	/* ł */
	case 0x0153: return "oe";	/* œ */
	case 0x0167: return "t";	/* ŧ */
	default: return NULL;
	}
}

/* A combining diacritical mark, as NFKD leaves after a Latin letter. */
static int
is_accent(ucs4_t c)
{
	return c >= 0x0300 && c <= 0x036F;
}

/*
 * ASCII folds to its lower case: NFKD leaves it as it is, and it has no
 * accents or stroked letters.  Most of what intake indexes is ASCII, and
 * libunistring's case fold of it was 4% of intake's time.  One pass:
 * the fold, or NULL at the first byte that is not ASCII.
 */
static char *
ascii_fold(const char *s, size_t n)
{
	char *out = rso_xmalloc(n + 1);
	size_t i;

	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] >= 0x80) {
			free(out);
			return NULL;
		}
		/* Not tolower(3): a caller's locale must not change a key. */
		out[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') :
		    s[i];
	}
	out[n] = '\0';
	return out;
}

char *
rso_fold(const char *s, size_t n)
{
	uint8_t *f, *out, *o;
	const uint8_t *p, *end;
	const char *spell;
	char *ascii;
	size_t len;
	ucs4_t c;
	int k;

	/* ASCII is UTF-8: checked only when it is not ASCII. */
	if ((ascii = ascii_fold(s, n)) != NULL)
		return ascii;
	if (u8_check((const uint8_t *)s, n) != NULL) {
		errno = EILSEQ;
		return NULL;
	}
	f = u8_casefold((const uint8_t *)s, n, NULL, UNINORM_NFKD, NULL, &len);
	if (f == NULL)
		rso_die(EX_OSERR, "fold");
	/* Never longer than the folded text: two-letter spellings replace
	 * two-byte letters. */
	o = out = rso_xmalloc(len + 1);
	for (p = f, end = f + len; p < end; p += k) {
		k = u8_mbtouc(&c, p, (size_t)(end - p));
		if (is_accent(c))
			continue;
		if ((spell = unstroked(c)) != NULL) {
			memcpy(o, spell, strlen(spell));
			o += strlen(spell);
		} else {
			memcpy(o, p, (size_t)k);
			o += k;
		}
	}
	*o = '\0';
	free(f);
	return (char *)out;
}

/* Part of a word: a letter (or a mark of one) or a decimal digit. */
static int
is_word_char(ucs4_t c)
{
	return uc_is_property_alphabetic(c) ||
	    uc_is_general_category(c, UC_CATEGORY_Nd) ||
	    uc_is_general_category(c, UC_CATEGORY_M);
}

int
rso_fold_words(const char *s, rso_fold_word_fn *fn, void *ctx)
{
	char *f = rso_fold(s, strlen(s)), *w, *o;
	const uint8_t *p, *end;
	ucs4_t c;
	int k, rc = 0;

	if (f == NULL)
		return -1;
	w = o = rso_xmalloc(strlen(f) + 1);
	end = (const uint8_t *)f + strlen(f);
	for (p = (const uint8_t *)f; rc == 0; p += k) {
		k = p < end ? u8_mbtouc(&c, p, (size_t)(end - p)) : 0;
		if (k > 0 && (c == '\'' || c == 0x2019))
			continue;	/* O'Neil, O’Neil: one word */
		if (k > 0 && is_word_char(c)) {
			memcpy(o, p, (size_t)k);
			o += k;
			continue;
		}
		if (o > w) {
			*o = '\0';
			rc = fn(w, ctx);
			o = w;
		}
		if (k == 0)
			break;
	}
	free(w);
	free(f);
	return rc;
}
