/* rso_name: is this the same person's name, as people write it? */
/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rso_name.h"
#include "rso_utf8.h"

#define MAXWORDS 24
#define WORDLEN 64

struct words {
	char w[MAXWORDS][WORDLEN];
	int n;
};

/*
 * The ASCII letters a Latin-1 or Latin Extended-A letter folds to, or
 * NULL for one that has no such base (it is kept as it is).
 */
static const char *
fold_latin(uint32_t cp)
{
	static const char *const latin1[64] = {
		"a", "a", "a", "a", "a", "a", "ae", "c",	/* C0 */
		"e", "e", "e", "e", "i", "i", "i", "i",
		"d", "n", "o", "o", "o", "o", "o", NULL,	/* D0 */
		"o", "u", "u", "u", "u", "y", "th", "ss",
		"a", "a", "a", "a", "a", "a", "ae", "c",	/* E0 */
		"e", "e", "e", "e", "i", "i", "i", "i",
		"d", "n", "o", "o", "o", "o", "o", NULL,	/* F0 */
		"o", "u", "u", "u", "u", "y", "th", "y",
	};
	/* U+0100..U+017F, two by two (capital, small) mostly. */
	/* U+0100..U+017F by their Unicode decomposition (Đ ħ ı ĸ Ł ŋ ŧ by
	 * their look); Ĳ and Œ are two letters, below. */
	static const char ext_a[] =
	    "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkk"
	    "kllllllllllnnnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuu"
	    "uuuuwwyyyzzzzzzs";

	if (cp >= 0xC0 && cp <= 0xFF)
		return latin1[cp - 0xC0];
	if (cp >= 0x100 && cp <= 0x17F) {
		static char one[2];
		if (cp == 0x132 || cp == 0x133)
			return "ij";
		if (cp == 0x152 || cp == 0x153)
			return "oe";
		one[0] = ext_a[cp - 0x100];
		one[1] = '\0';
		return one;
	}
	return NULL;
}

/* Lower case for Greek and Cyrillic capitals; others as they are. */
static uint32_t
fold_case(uint32_t cp)
{
	if ((cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) ||
	    (cp >= 0x410 && cp <= 0x42F))
		return cp + 0x20;
	if (cp >= 0x400 && cp <= 0x40F)
		return cp + 0x50;
	return cp;
}

static void
word_add(struct words *ws, const char *w, size_t len)
{
	if (len == 0 || ws->n == MAXWORDS)
		return;
	if (len >= WORDLEN)
		len = WORDLEN - 1;
	memcpy(ws->w[ws->n], w, len);
	ws->w[ws->n][len] = '\0';
	ws->n++;
}

/* Cut s[0..n) into folded words, appended to ws. */
static void
cut_words(const char *s, size_t n, struct words *ws)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	char w[WORDLEN * 2];
	const char *f;
	size_t len = 0, k;
	uint32_t cp;

	while (p < end) {
		if ((k = rso_utf8_decode(p, (size_t)(end - p), &cp)) == 0) {
			k = 1;
			cp = ' ';
		}
		if (cp == '\'' || cp == 0x2019)
			;	/* O'Neil, O’Neil: one word */
		else if (cp < 0x80 && ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')) {
			if (len < sizeof(w) - 1)
				w[len++] = (char)(cp | 0x20);
		} else if (cp >= '0' && cp <= '9') {
			if (len < sizeof(w) - 1)
				w[len++] = (char)cp;
		} else if ((f = fold_latin(cp)) != NULL) {
			while (*f && len < sizeof(w) - 1)
				w[len++] = *f++;
		} else if (cp == 0xA0 || cp == 0x3000 || cp == 0x30FB ||
		    (cp >= 0x2000 && cp <= 0x200B)) {
			/* Spaces of other scripts, and the katakana middle
			 * dot, separate words as a space does. */
			word_add(ws, w, len);
			len = 0;
		} else if (cp >= 0x80) {
			/* A letter of another script: kept, in lower case
			 * where the script has cases. */
			if (len + 4 < sizeof(w) - 1)
				len += rso_utf8_encode(fold_case(cp),
				    (unsigned char *)w + len);
		} else {
			word_add(ws, w, len);
			len = 0;
		}
		p += k;
	}
	word_add(ws, w, len);
}

static int
has(const struct words *ws, const char *w)
{
	int i;

	for (i = 0; i < ws->n; i++)
		if (strcmp(ws->w[i], w) == 0)
			return 1;
	return 0;
}

static int
is_title(const char *w)
{
	static const char *const titles[] = { "dr", "mr", "mrs", "ms", "miss",
	    "prof", "jr", "sr", "ii", "iii", "iv", "md", "phd", NULL };
	const char *const *t;

	for (t = titles; *t; t++)
		if (strcmp(*t, w) == 0)
			return 1;
	return 0;
}

/*
 * Whether the written name is one word of another script that is the
 * PN's family and given names run together ("山田太郎" for 山田^太郎):
 * Chinese, Japanese and Korean names are often written without a space.
 */
static int
written_run_together(const struct words *core, const struct words *written)
{
	char joined[WORDLEN * 2] = "";
	int i;

	if (written->n != 1 || (unsigned char)written->w[0][0] < 0x80)
		return 0;
	for (i = 0; i < core->n; i++)
		if (strlen(joined) + strlen(core->w[i]) < sizeof(joined))
			strcat(joined, core->w[i]);
	return strcmp(joined, written->w[0]) == 0;
}

/* One '='-group of a PN against the written name's words. */
static int
group_match(const char *g, size_t n, const struct words *written)
{
	struct words core = { .n = 0 }, all;
	const char *comp = g, *end = g + n, *caret;
	int i, c;

	for (c = 0; c < 3 && comp <= end; c++) {
		caret = memchr(comp, '^', (size_t)(end - comp));
		if (caret == NULL)
			caret = end;
		if (c < 2)
			cut_words(comp, (size_t)(caret - comp), &core);
		else {
			all = core;
			cut_words(comp, (size_t)(caret - comp), &all);
		}
		comp = caret + 1;
	}
	if (c < 3)
		all = core;
	if (core.n == 0)
		return 0;
	if (written_run_together(&core, written))
		return 1;
	for (i = 0; i < core.n; i++)
		if (!is_title(core.w[i]) && !has(written, core.w[i]))
			return 0;
	for (i = 0; i < written->n; i++)
		if (strlen(written->w[i]) > 1 && !is_title(written->w[i]) &&
		    !has(&all, written->w[i]))
			return 0;
	return 1;
}

int
rso_name_match(const char *pn, const char *written)
{
	struct words w = { .n = 0 };
	const char *g, *eq;

	if (pn == NULL || written == NULL)
		return 0;
	/* A written name in PN form ("Doe^Jane") is words all the same. */
	cut_words(written, strlen(written), &w);
	if (w.n == 0)
		return 0;
	for (g = pn;; g = eq + 1) {
		eq = strchr(g, '=');
		if (group_match(g, eq ? (size_t)(eq - g) : strlen(g), &w))
			return 1;
		if (eq == NULL)
			return 0;
	}
}

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

void
rso_name_split(const char *name, struct rso_name_parts *p)
{
	const char *start = name, *end = name + strlen(name), *f;

	while (start < end && blank(*start))
		start++;
	while (end > start && blank(end[-1]))
		end--;
	for (f = end; f > start && !blank(f[-1]); f--)
		;
	p->family = f;
	p->family_len = (size_t)(end - f);
	p->given = start;
	while (f > start && blank(f[-1]))
		f--;
	p->given_len = (size_t)(f - start);
}
