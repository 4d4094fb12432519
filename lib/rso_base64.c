/* rso_base64: standard padded base64 (RFC 4648), for HL7 ED and FHIR. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>

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

int
rso_base64_decode(const char *s, size_t n, unsigned char **out, size_t *outn)
{
	unsigned char *o = rso_xmalloc(n / 4 * 3 + 3);
	unsigned long quad = 0;
	size_t i, k = 0, len = 0;
	int v, pad = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_space(c))
			continue;
		/* Nothing but padding may follow padding. */
		if (c == '=') {
			if (k < 2 || ++pad > 2)
				goto bad;
			quad <<= 6;
			k++;
		} else if (pad || (v = b64_value(c)) < 0)
			goto bad;
		else {
			quad = quad << 6 | (unsigned long)v;
			k++;
		}
		if (k < 4)
			continue;
		o[len++] = (unsigned char)(quad >> 16);
		if (pad < 2)
			o[len++] = (unsigned char)(quad >> 8);
		if (pad < 1)
			o[len++] = (unsigned char)quad;
		/* Bits under the padding must be zero: else the text is not
		 * what any encoder wrote, and may be cut or altered. */
		if ((pad == 1 && (quad & 0xff)) || (pad == 2 && (quad & 0xffff)))
			goto bad;
		k = 0;
		quad = 0;
		if (pad)
			pad = 3;	/* ends the text: only spaces may follow */
	}
	if (k != 0)
		goto bad;
	*out = o;
	*outn = len;
	return 0;
bad:
	free(o);
	return -1;
}
