/* rso_dicom_text: DICOM text in any PS3.5 character set, as UTF-8. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "rso_dicom.h"
#include "rso_utf8.h"

/*
 * A character set a (0008,0005) defined term names: how iconv calls the
 * bytes, and, for ISO 2022 code extensions, which code element it
 * designates (G0 for 7-bit bytes, G1 for bytes with the high bit) with
 * which escape sequence.  PS3.5 section 6.1 and tables C.12-2 to C.12-5.
 */
enum encoding {
	ONE_BYTE,	/* each byte is a character of the set */
	EUC_JP_0208,	/* G0 two bytes: JIS X 0208, as EUC-JP with the high bits */
	EUC_JP_0212,	/* G0 two bytes: JIS X 0212, as EUC-JP after 0x8F */
	EUC_JP_KANA,	/* G1 one byte: JIS X 0201 katakana, EUC-JP after 0x8E */
	TWO_BYTE,	/* G1 two bytes, as the EUC form iconv names */
	WHOLE		/* no code extensions: the whole value, multi-byte */
};

static const struct term {
	const char *name;	/* without "ISO_IR " / "ISO 2022 IR " */
	const char *iconv;
	int g;			/* 0 or 1: the code element it designates */
	enum encoding enc;
	const char *esc;	/* the escape sequence after ESC */
} terms[] = {
	{ "6", "ASCII", 0, ONE_BYTE, "(B" },
	{ "100", "ISO-8859-1", 1, ONE_BYTE, "-A" },
	{ "101", "ISO-8859-2", 1, ONE_BYTE, "-B" },
	{ "109", "ISO-8859-3", 1, ONE_BYTE, "-C" },
	{ "110", "ISO-8859-4", 1, ONE_BYTE, "-D" },
	{ "144", "ISO-8859-5", 1, ONE_BYTE, "-L" },
	{ "127", "ISO-8859-6", 1, ONE_BYTE, "-G" },
	{ "126", "ISO-8859-7", 1, ONE_BYTE, "-F" },
	{ "138", "ISO-8859-8", 1, ONE_BYTE, "-H" },
	{ "148", "ISO-8859-9", 1, ONE_BYTE, "-M" },
	{ "203", "ISO-8859-15", 1, ONE_BYTE, "-b" },
	{ "166", "TIS-620", 1, ONE_BYTE, "-T" },
	/* JIS X 0201: katakana in G1; its romaji in G0 read as ASCII, as
	 * DICOM's own examples and pydicom read them. */
	{ "13", "EUC-JP", 1, EUC_JP_KANA, ")I" },
	{ "13", "ASCII", 0, ONE_BYTE, "(J" },
	{ "87", "EUC-JP", 0, EUC_JP_0208, "$B" },
	{ "159", "EUC-JP", 0, EUC_JP_0212, "$(D" },
	{ "149", "EUC-KR", 1, TWO_BYTE, "$)C" },
	{ "58", "GB2312", 1, TWO_BYTE, "$)A" },
};

/* The single-valued terms that use no code extensions. */
static const struct {
	const char *name, *iconv;
} whole[] = {
	{ "ISO_IR 192", "UTF-8" }, { "GB18030", "GB18030" }, { "GBK", "GBK" },
	{ "ISO_IR 13", "SHIFT_JIS" },
};

#define NTERMS (sizeof(terms) / sizeof(terms[0]))

/* An iconv descriptor to UTF-8, opened once per process and kept. */
static iconv_t
converter(const char *from)
{
	static struct {
		const char *from;
		iconv_t cd;
	} open_cds[NTERMS + 4];
	static size_t n;
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(open_cds[i].from, from) == 0)
			return open_cds[i].cd;
	if (n == sizeof(open_cds) / sizeof(open_cds[0]))
		return (iconv_t)-1;
	open_cds[n].from = from;
	open_cds[n].cd = iconv_open("UTF-8", from);
	return open_cds[n++].cd;
}

struct out {
	char *p;
	size_t size, len;
	unsigned flags;
};

static void
emit(struct out *o, const void *s, size_t k)
{
	if (o->len + k >= o->size) {
		o->flags |= RSO_DICOM_LOSSY;
		return;
	}
	memcpy(o->p + o->len, s, k);
	o->len += k;
}

/* U+FFFD for bytes that are no character of their set. */
static void
replacement(struct out *o)
{
	o->flags |= RSO_DICOM_LOSSY;
	emit(o, "\xEF\xBF\xBD", 3);
}

/*
 * UTF-8 (ISO_IR 192) checked here, strictly: glibc's iconv from UTF-8 to
 * UTF-8 lets bytes through that no UTF-8 has (F5..F7 leads), and a name
 * that is not text must never compare as one.
 */
static void
utf8_into(struct out *o, const unsigned char *s, size_t n, int cut)
{
	uint32_t cp;
	size_t i = 0, k, j;

	while (i < n) {
		if ((k = rso_utf8_decode(s + i, n - i, &cp)) > 0) {
			emit(o, (const char *)s + i, k);
			i += k;
			continue;
		}
		/* A lead and its continuations, cut off by the value's end. */
		for (j = i + 1; j < n && (s[j] & 0xC0) == 0x80; j++)
			;
		if (cut && j == n && n - i < 4 && s[i] >= 0xC2 && s[i] <= 0xF4) {
			o->flags |= RSO_DICOM_LOSSY;
			return;
		}
		replacement(o);
		i++;
	}
}

/*
 * Convert n bytes of the set from into o.  A sequence cut off at the end
 * of a value that was itself cut to fit (cut) is dropped; any other
 * invalid byte becomes U+FFFD.
 */
static void
iconv_into(struct out *o, const char *from, const unsigned char *s,
    size_t n, int cut)
{
	iconv_t cd = converter(from);
	char buf[256], *in = (char *)s, *dst;
	size_t left = n, room, r;

	if (strcmp(from, "UTF-8") == 0) {
		utf8_into(o, s, n, cut);
		return;
	}
	if (cd == (iconv_t)-1) {
		o->flags |= RSO_DICOM_CHARSET_UNSUPPORTED;
		for (; left > 0; left--)
			replacement(o);
		return;
	}
	iconv(cd, NULL, NULL, NULL, NULL);
	while (left > 0) {
		dst = buf;
		room = sizeof(buf);
		r = iconv(cd, &in, &left, &dst, &room);
		emit(o, buf, (size_t)(dst - buf));
		if (r != (size_t)-1 || errno == E2BIG)
			continue;
		if (errno == EINVAL && cut) {
			o->flags |= RSO_DICOM_LOSSY;
			return;
		}
		replacement(o);
		in++;
		left--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
}

/* The term named by one value of (0008,0005), for code element g. */
static const struct term *
term_named(const char *v, size_t n, int g)
{
	const char *num = NULL;
	size_t i;

	if (n > 7 && strncmp(v, "ISO_IR ", 7) == 0)
		num = v + 7, n -= 7;
	else if (n > 12 && strncmp(v, "ISO 2022 IR ", 12) == 0)
		num = v + 12, n -= 12;
	for (i = 0; num && i < NTERMS; i++)
		if (strlen(terms[i].name) == n && strncmp(terms[i].name, num, n)
		    == 0 && (g < 0 || terms[i].g == g))
			return &terms[i];
	return NULL;
}

/* One (0008,0005) value, trimmed: *v and *n; the rest after '\' in *next. */
static void
value_at(const char *cs, const char **v, size_t *n, const char **next)
{
	const char *q = strchr(cs, '\\');

	*n = q ? (size_t)(q - cs) : strlen(cs);
	*next = q ? q + 1 : NULL;
	while (*n > 0 && cs[0] == ' ')
		cs++, (*n)--;
	while (*n > 0 && cs[*n - 1] == ' ')
		(*n)--;
	*v = cs;
}

/*
 * ISO 2022 code extensions: G0 and G1 start as value 1 of (0008,0005)
 * designates them (ASCII and none when it is empty), and each escape
 * sequence designates another set.  A 7-bit byte is read in G0, a byte
 * with the high bit in G1.
 */
static void
iso2022(struct out *o, const char *cs, const unsigned char *s, size_t n,
    int cut)
{
	const struct term *g0 = &terms[0], *g1 = NULL, *t;
	const char *v, *next;
	unsigned char b[4];
	size_t vn, i = 0, k, e;

	value_at(cs, &v, &vn, &next);
	if ((t = term_named(v, vn, -1)) != NULL) {
		if (t->g == 0)
			g0 = t;
		else
			g1 = t;
		/* IR 13 is both: katakana G1 with romaji G0. */
		if (t->enc == EUC_JP_KANA)
			g0 = term_named(v, vn, 0);
	}
	while (i < n) {
		if (s[i] == 0x1B) {
			for (t = NULL, k = 0; k < NTERMS; k++) {
				e = strlen(terms[k].esc);
				if (i + 1 + e <= n && memcmp(s + i + 1,
				    terms[k].esc, e) == 0) {
					t = &terms[k];
					break;
				}
			}
			if (t == NULL) {
				replacement(o);
				i++;
				continue;
			}
			if (t->g == 0)
				g0 = t;
			else
				g1 = t;
			i += 1 + strlen(t->esc);
			continue;
		}
		t = s[i] < 0x80 ? g0 : g1;
		if (t == NULL) {
			replacement(o);
			i++;
			continue;
		}
		/* Controls and space stay one byte whatever G0 holds. */
		if (s[i] <= 0x20 || s[i] == 0x7F || t->enc == ONE_BYTE) {
			if (s[i] < 0x80)
				emit(o, s + i, 1);
			else
				iconv_into(o, t->iconv, s + i, 1, 0);
			i++;
			continue;
		}
		if (t->enc == EUC_JP_KANA) {
			b[0] = 0x8E;
			b[1] = s[i++];
			iconv_into(o, t->iconv, b, 2, 0);
			continue;
		}
		if (i + 1 >= n || s[i + 1] <= 0x20 || s[i + 1] == 0x7F) {
			if (!(cut && i + 1 >= n))
				replacement(o);
			else
				o->flags |= RSO_DICOM_LOSSY;
			i++;
			continue;
		}
		if (t->enc == TWO_BYTE) {
			iconv_into(o, t->iconv, s + i, 2, 0);
		} else if (t->enc == EUC_JP_0208) {
			b[0] = s[i] | 0x80;
			b[1] = s[i + 1] | 0x80;
			iconv_into(o, t->iconv, b, 2, 0);
		} else {
			b[0] = 0x8F;
			b[1] = s[i] | 0x80;
			b[2] = s[i + 1] | 0x80;
			iconv_into(o, t->iconv, b, 3, 0);
		}
		i += 2;
	}
}

unsigned
rso_dicom_text_decode(const char *cs, const unsigned char *s, size_t n,
    int cut, char *out, size_t size)
{
	struct out o = { out, size, 0, 0 };
	const char *v, *next;
	const struct term *t;
	size_t vn, i;

	value_at(cs ? cs : "", &v, &vn, &next);
	for (i = 0; i < sizeof(whole) / sizeof(whole[0]); i++)
		if (next == NULL && strlen(whole[i].name) == vn &&
		    strncmp(whole[i].name, v, vn) == 0) {
			iconv_into(&o, whole[i].iconv, s, n, cut);
			goto done;
		}
	if (next != NULL || (vn > 12 && strncmp(v, "ISO 2022 ", 9) == 0)) {
		iso2022(&o, cs, s, n, cut);
		goto done;
	}
	t = vn == 0 ? NULL : term_named(v, vn, -1);
	if (vn > 0 && (t == NULL || t->enc != ONE_BYTE)) {
		/* A term PS3.5 does not define: ASCII is all we can trust. */
		o.flags |= RSO_DICOM_CHARSET_UNSUPPORTED;
		for (i = 0; i < n; i++)
			if (s[i] < 0x80)
				emit(&o, s + i, 1);
			else {
				o.flags |= RSO_DICOM_LOSSY;
				emit(&o, "?", 1);
			}
		goto done;
	}
	if (t == &terms[0])
		t = NULL;	/* ISO_IR 6 with 8-bit bytes: as none given */
	for (i = 0; t == NULL && i < n; i++)
		if (s[i] >= 0x80) {
			/* No (0008,0005) yet 8-bit bytes: Latin-1, flagged. */
			o.flags |= RSO_DICOM_CHARSET_GUESSED;
			t = &terms[1];
		}
	iconv_into(&o, t ? t->iconv : "ASCII", s, n, cut);
done:
	if (cut)
		o.flags |= RSO_DICOM_LOSSY;
	out[o.len] = '\0';
	return o.flags;
}
