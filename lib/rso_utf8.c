/* rso_utf8: decode one UTF-8 character, strictly; read a JSON escape. */
/* SPDX-License-Identifier: ISC */
#include <string.h>

#include "rso_err.h"
#include "rso_utf8.h"

#define CONT(c)	(((c) & 0xC0) == 0x80)

size_t
rso_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned c = s[0];

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	/* C0 and C1 would be overlong two-byte forms; F5.. are past U+10FFFF. */
	if (c < 0xC2 || c > 0xF4)
		return 0;
	if (c < 0xE0) {
		if (n < 2 || !CONT(s[1]))
			return 0;
		*cp = (c & 0x1F) << 6 | (s[1] & 0x3F);
		return 2;
	}
	if (c < 0xF0) {
		if (n < 3 || !CONT(s[1]) || !CONT(s[2]) ||
		    (c == 0xE0 && s[1] < 0xA0) ||	/* overlong */
		    (c == 0xED && s[1] >= 0xA0))	/* surrogate */
			return 0;
		*cp = (c & 0x0F) << 12 | (s[1] & 0x3F) << 6 | (s[2] & 0x3F);
		return 3;
	}
	if (n < 4 || !CONT(s[1]) || !CONT(s[2]) || !CONT(s[3]) ||
	    (c == 0xF0 && s[1] < 0x90) ||		/* overlong */
	    (c == 0xF4 && s[1] >= 0x90))		/* past U+10FFFF */
		return 0;
	*cp = (uint32_t)(c & 0x07) << 18 | (s[1] & 0x3F) << 12 |
	    (s[2] & 0x3F) << 6 | (s[3] & 0x3F);
	return 4;
}

/* The value of a hexadecimal digit, or -1. */
static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

int
rso_json_esc_step(struct rso_json_esc *st, unsigned char c)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *p;
	int h;

	if (st->at == 1) {
		st->u = 0;
		if (c == 'u') {
			st->at = 2;
			return RSO_JSON_ESC_MORE;
		}
		st->at = 0;
		return c != 0 && (p = strchr(from, c)) != NULL ?
		    (unsigned char)to[p - from] : RSO_JSON_ESC_BAD;
	}
	if ((h = hex_value(c)) < 0) {
		st->at = 0;
		return RSO_JSON_ESC_BAD;
	}
	st->u = st->u << 4 | (unsigned)h;
	if (st->at++ < 5)
		return RSO_JSON_ESC_MORE;
	st->at = 0;
	return (int)st->u;
}

int
rso_utf8_valid(const char *s, size_t n)
{
	size_t i, k;
	uint32_t cp;

	for (i = 0; i < n; i += k)
		if ((unsigned char)s[i] < 0x80)
			k = 1;
		else if ((k = rso_utf8_decode((const unsigned char *)s + i,
		    n - i, &cp)) == 0)
			return 0;
	return 1;
}

void
rso_utf8_repair(const char *s, size_t n, char *out)
{
	size_t i = 0, k, o = 0;
	uint32_t cp;

	while (i < n) {
		k = rso_utf8_decode((const unsigned char *)s + i, n - i, &cp);
		if (k == 0) {
			memcpy(out + o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, s + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
}

char *
rso_utf8_repaired(const char *s)
{
	size_t n = strlen(s);
	char *out = rso_xmalloc(3 * n + 1);

	rso_utf8_repair(s, n, out);
	return out;
}

size_t
rso_utf8_encode(uint32_t cp, unsigned char *d)
{
	if (cp < 0x80) {
		d[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = 0xC0 | cp >> 6;
		d[1] = 0x80 | (cp & 0x3F);
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = 0xE0 | cp >> 12;
		d[1] = 0x80 | (cp >> 6 & 0x3F);
		d[2] = 0x80 | (cp & 0x3F);
		return 3;
	}
	d[0] = 0xF0 | cp >> 18;
	d[1] = 0x80 | (cp >> 12 & 0x3F);
	d[2] = 0x80 | (cp >> 6 & 0x3F);
	d[3] = 0x80 | (cp & 0x3F);
	return 4;
}
