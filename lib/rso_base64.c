/* rso_base64: standard padded base64 (RFC 4648), for HL7 ED and FHIR. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "rso_base64.h"
#include "rso_err.h"

char *
rso_base64(const void *v, size_t n)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = v;
	char *out = rso_xmalloc(4 * ((n + 2) / 3) + 1), *o = out;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		*o++ = b64[p[i] >> 2];
		*o++ = b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		*o++ = b64[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		*o++ = b64[p[i + 2] & 63];
	}
	if (n - i == 1) {
		*o++ = b64[p[i] >> 2];
		*o++ = b64[(p[i] & 3) << 4];
		*o++ = '=';
		*o++ = '=';
	} else if (n - i == 2) {
		*o++ = b64[p[i] >> 2];
		*o++ = b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		*o++ = b64[(p[i + 1] & 15) << 2];
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

/* Each byte's value in the alphabet plus one, 0 for a byte outside it:
 * for the run of whole groups that most text is (b64_value spelled out). */
static const unsigned char b64_plus1[256] = {
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0, 63,  0,  0,  0, 64,
	53, 54, 55, 56, 57, 58, 59, 60, 61, 62,  0,  0,  0,  0,  0,  0,
	 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15,
	16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,  0,  0,  0,  0,  0,
	 0, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41,
	42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
};

/* The value of a base64 character, or -1. */
static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void
rso_base64_dec_init(struct rso_base64_dec *d, int json)
{
	memset(d, 0, sizeof(*d));
	d->json = json;
}

/* One character of the text, its escapes read: into out, when it ends a
 * group, as many bytes as it completes.  0, or -1 when not clean. */
static int
dec_char(struct rso_base64_dec *d, unsigned char c, unsigned char *out,
    size_t *len)
{
	int v;

	if (is_space(c))
		return 0;
	/* Nothing but padding may follow padding. */
	if (c == '=') {
		if (d->k < 2 || ++d->pad > 2)
			return -1;
		d->quad <<= 6;
		d->k++;
	} else if (d->pad || (v = b64_value(c)) < 0)
		return -1;
	else {
		d->quad = d->quad << 6 | (unsigned long)v;
		d->k++;
	}
	if (d->k < 4)
		return 0;
	out[(*len)++] = (unsigned char)(d->quad >> 16);
	if (d->pad < 2)
		out[(*len)++] = (unsigned char)(d->quad >> 8);
	if (d->pad < 1)
		out[(*len)++] = (unsigned char)d->quad;
	/* Bits under the padding must be zero: else the text is not what
	 * any encoder wrote, and may be cut or altered. */
	if ((d->pad == 1 && (d->quad & 0xff)) ||
	    (d->pad == 2 && (d->quad & 0xffff)))
		return -1;
	d->k = 0;
	d->quad = 0;
	if (d->pad)
		d->pad = 3;	/* ends the text: only spaces may follow */
	return 0;
}

/*
 * A byte of a JSON string's text: the character it stands for, -2 when
 * it only goes on with an escape, or -1 when JSON does not allow it
 * there.  What an escape stands for beyond ASCII is never base64, and
 * is not clean here either.
 */
static int
json_char(struct rso_base64_dec *d, unsigned char c)
{
	int r;

	if (d->esc.at == 0) {
		if (c == '\\') {
			d->esc.at = 1;
			return -2;
		}
		return c < 0x20 || c == '"' ? -1 : c;
	}
	if ((r = rso_json_esc_step(&d->esc, c)) == RSO_JSON_ESC_MORE)
		return -2;
	return r == RSO_JSON_ESC_BAD || r >= 0x80 ? -1 : r;
}

/* The groups of four characters of the alphabet from s[i] on, decoded
 * into out: the index of the first character not in one. */
static size_t
whole_groups(const char *s, size_t i, size_t n, unsigned char *out,
    size_t *len)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned a, b, c, d;

	for (; i + 4 <= n; i += 4) {
		if ((a = b64_plus1[p[i]]) == 0 ||
		    (b = b64_plus1[p[i + 1]]) == 0 ||
		    (c = b64_plus1[p[i + 2]]) == 0 ||
		    (d = b64_plus1[p[i + 3]]) == 0)
			break;
		a--, b--, c--, d--;
		out[(*len)++] = (unsigned char)(a << 2 | b >> 4);
		out[(*len)++] = (unsigned char)((b & 15) << 4 | c >> 2);
		out[(*len)++] = (unsigned char)((c & 3) << 6 | d);
	}
	return i;
}

int
rso_base64_dec_update(struct rso_base64_dec *d, const char *s, size_t n,
    unsigned char *out, size_t *outn)
{
	size_t i;
	int c;

	*outn = 0;
	for (i = 0; i < n && !d->bad; i++) {
		/* Between groups, four characters of the alphabet are three
		 * bytes: the rest is what is not. */
		if (d->k == 0 && d->pad == 0 && d->esc.at == 0 &&
		    (i = whole_groups(s, i, n, out, outn)) == n)
			break;
		c = (unsigned char)s[i];
		if (d->json && (c = json_char(d, (unsigned char)c)) == -2)
			continue;
		if (c < 0 || dec_char(d, (unsigned char)c, out, outn) != 0)
			d->bad = 1;
	}
	return d->bad ? -1 : 0;
}

int
rso_base64_dec_final(struct rso_base64_dec *d)
{
	return d->bad || d->k != 0 || d->esc.at != 0 ? -1 : 0;
}

int
rso_base64_decode(const char *s, size_t n, unsigned char **out, size_t *outn)
{
	struct rso_base64_dec d;
	unsigned char *o = rso_xmalloc(RSO_BASE64_DEC_MAX(n));

	rso_base64_dec_init(&d, 0);
	if (rso_base64_dec_update(&d, s, n, o, outn) != 0 ||
	    rso_base64_dec_final(&d) != 0) {
		free(o);
		return -1;
	}
	*out = o;
	return 0;
}
