/* rso_age_fmt: age's text encodings: base64, Bech32, the header, the armor. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rso_age_priv.h"
#include "rso_err.h"

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Value of each base64 character, -1 for the rest ('=' included). */
static const signed char b64val[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

size_t
rso_b64_enclen(size_t n, int pad)
{
	if (pad)
		return (n + 2) / 3 * 4;
	return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

size_t
rso_b64_encode(char *dst, const void *src, size_t n, int pad)
{
	const unsigned char *s = src;
	char *d = dst;
	unsigned long v;

	for (; n >= 3; n -= 3, s += 3) {
		v = (unsigned long)s[0] << 16 | s[1] << 8 | s[2];
		*d++ = b64chars[v >> 18];
		*d++ = b64chars[v >> 12 & 63];
		*d++ = b64chars[v >> 6 & 63];
		*d++ = b64chars[v & 63];
	}
	if (n > 0) {
		v = (unsigned long)s[0] << 16 | (n > 1 ? s[1] << 8 : 0);
		*d++ = b64chars[v >> 18];
		*d++ = b64chars[v >> 12 & 63];
		if (n > 1)
			*d++ = b64chars[v >> 6 & 63];
		else if (pad)
			*d++ = '=';
		if (pad)
			*d++ = '=';
	}
	return (size_t)(d - dst);
}

ssize_t
rso_b64_decode(void *dst, size_t dstsize, const char *src, size_t n, int pad)
{
	const unsigned char *s = (const unsigned char *)src;
	unsigned char *d = dst;
	size_t full, rest, out, i;
	int a, b, c, x;

	if (pad) {
		/* Padded: whole quads; strip one or two final '=' as a tail. */
		if (n % 4 != 0)
			return -1;
		if (n > 0 && s[n - 1] == '=') {
			n--;
			if (s[n - 1] == '=')
				n--;
			if (n % 4 < 2)
				return -1;
		}
	}
	full = n / 4;
	rest = n % 4;
	if (rest == 1)
		return -1;
	out = full * 3 + (rest ? rest - 1 : 0);
	if (out > dstsize)
		return -1;
	for (i = 0; i < full; i++, s += 4) {
		a = b64val[s[0]];
		b = b64val[s[1]];
		c = b64val[s[2]];
		x = b64val[s[3]];
		if ((a | b | c | x) < 0)
			return -1;
		*d++ = (unsigned char)(a << 2 | b >> 4);
		*d++ = (unsigned char)(b << 4 | c >> 2);
		*d++ = (unsigned char)(c << 6 | x);
	}
	if (rest >= 2) {
		a = b64val[s[0]];
		b = b64val[s[1]];
		if ((a | b) < 0)
			return -1;
		*d++ = (unsigned char)(a << 2 | b >> 4);
		if (rest == 2) {
			/* Canonical: the unused low bits are zero. */
			if (b & 15)
				return -1;
		} else {
			c = b64val[s[2]];
			if (c < 0 || (c & 3))
				return -1;
			*d++ = (unsigned char)(b << 4 | c >> 2);
		}
	}
	return (ssize_t)out;
}

static const char b32chars[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t
bech32_step(uint32_t chk, unsigned v)
{
	static const uint32_t gen[5] = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa,
	    0x3d4233dd, 0x2a1462b3 };
	uint32_t top = chk >> 25;
	int i;

	chk = (chk & 0x1ffffff) << 5 ^ v;
	for (i = 0; i < 5; i++)
		if (top >> i & 1)
			chk ^= gen[i];
	return chk;
}

/* The checksum state after the (lowercased) human-readable part. */
static uint32_t
bech32_hrp(const char *hrp, size_t n)
{
	uint32_t chk = 1;
	size_t i;

	for (i = 0; i < n; i++)
		chk = bech32_step(chk, (unsigned)(hrp[i] | 0x20 * (hrp[i] >= 'A' &&
		    hrp[i] <= 'Z')) >> 5);
	chk = bech32_step(chk, 0);
	for (i = 0; i < n; i++)
		chk = bech32_step(chk, (unsigned)(hrp[i] | 0x20 * (hrp[i] >= 'A' &&
		    hrp[i] <= 'Z')) & 31);
	return chk;
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static char
upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
}

int
rso_bech32_encode(char *dst, size_t dstsize, const char *hrp,
    const void *data, size_t len, int up)
{
	const unsigned char *p = data;
	size_t hl = strlen(hrp), n5 = (len * 8 + 4) / 5, i, o = 0;
	uint32_t chk, acc = 0;
	int bits = 0;

	if (hl + 1 + n5 + 6 + 1 > dstsize)
		return -1;
	for (i = 0; i < hl; i++)
		dst[o++] = up ? upper(hrp[i]) : lower(hrp[i]);
	dst[o++] = '1';
	chk = bech32_hrp(hrp, hl);
	for (i = 0; i < len; i++) {
		acc = acc << 8 | p[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			chk = bech32_step(chk, acc >> bits & 31);
			dst[o++] = b32chars[acc >> bits & 31];
		}
	}
	if (bits > 0) {
		chk = bech32_step(chk, acc << (5 - bits) & 31);
		dst[o++] = b32chars[acc << (5 - bits) & 31];
	}
	for (i = 0; i < 6; i++)
		chk = bech32_step(chk, 0);
	chk ^= 1;
	for (i = 0; i < 6; i++)
		dst[o++] = b32chars[chk >> 5 * (5 - i) & 31];
	dst[o] = '\0';
	if (up)
		for (i = hl; i < o; i++)
			dst[i] = upper(dst[i]);
	return 0;
}

ssize_t
rso_bech32_decode(char *hrp, size_t hrpsize, void *data, size_t datasize,
    const char *s)
{
	unsigned char *d = data;
	size_t n = strlen(s), pos, i, out = 0;
	int haslow = 0, hasup = 0, bits = 0;
	uint32_t chk, acc = 0;
	const char *q;

	for (i = 0; i < n; i++) {
		if (s[i] < 33 || s[i] > 126)
			return -1;
		haslow |= s[i] >= 'a' && s[i] <= 'z';
		hasup |= s[i] >= 'A' && s[i] <= 'Z';
	}
	if (haslow && hasup)
		return -1;
	q = strrchr(s, '1');
	if (q == NULL)
		return -1;
	pos = (size_t)(q - s);
	if (pos < 1 || pos + 7 > n || pos + 1 > hrpsize)
		return -1;
	memcpy(hrp, s, pos);
	hrp[pos] = '\0';
	chk = bech32_hrp(s, pos);
	for (i = pos + 1; i < n; i++) {
		const char *c = strchr(b32chars, lower(s[i]));
		unsigned v;

		if (c == NULL || *c == '\0')
			return -1;
		v = (unsigned)(c - b32chars);
		chk = bech32_step(chk, v);
		if (i + 6 >= n)
			continue;	/* checksum characters carry no data */
		acc = acc << 5 | v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (out >= datasize)
				return -1;
			d[out++] = (unsigned char)(acc >> bits);
		}
	}
	if (chk != 1)
		return -1;
	/* Leftover bits are padding: fewer than five, all zero. */
	if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (ssize_t)out;
}

/* Header parsing. */

static const char *
nextline(const char *p, const char *end)
{
	return memchr(p, '\n', (size_t)(end - p));
}

static int
is_b64line(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (b64val[(unsigned char)p[i]] < 0)
			return 0;
	return 1;
}

/* Split "-> a b c" (text holds a NUL-terminated private copy). */
static int
parse_args(char *line, struct rso_age_stanza *st)
{
	char *p = line, *sp;
	size_t cap = 0;

	for (;;) {
		sp = strchr(p, ' ');
		if (sp != NULL)
			*sp = '\0';
		if (*p == '\0')
			return -1;	/* empty argument: doubled or edge space */
		for (char *c = p; *c; c++)
			if (*c < 33 || *c > 126)
				return -1;
		if (st->nargs == cap) {
			cap = cap ? cap * 2 : 4;
			st->args = rso_xrealloc(st->args, cap * sizeof(*st->args));
		}
		st->args[st->nargs++] = p;
		if (sp == NULL)
			return 0;
		p = sp + 1;
	}
}

/* The body lines of a stanza starting at *pp: decode and advance. */
static int
parse_body(const char **pp, const char *end, struct rso_age_stanza *st,
    struct rso_error *e)
{
	const char *p = *pp, *nl, *start = p;
	size_t n, total = 0;
	ssize_t got;

	/* First pass: find the final (short) line and check the alphabet. */
	for (;;) {
		nl = nextline(p, end);
		if (nl == NULL)
			return rso_error_set(e, EX_DATAERR, "header: truncated");
		n = (size_t)(nl - p);
		if (n > RSO_AGE_COLUMNS || !is_b64line(p, n))
			return rso_error_set(e, EX_DATAERR,
			    "header: malformed stanza body");
		total += n;
		p = nl + 1;
		if (n < RSO_AGE_COLUMNS)
			break;
	}
	st->body = rso_xmalloc(total / 4 * 3 + 3);
	st->bodylen = 0;
	/* Full lines are whole quads, so each line decodes on its own. */
	for (p = start;; p = nl + 1) {
		nl = nextline(p, end);
		n = (size_t)(nl - p);
		got = rso_b64_decode(st->body + st->bodylen, total / 4 * 3 + 3 -
		    st->bodylen, p, n, 0);
		if (got < 0)
			return rso_error_set(e, EX_DATAERR,
			    "header: malformed stanza body");
		st->bodylen += (size_t)got;
		if (n < RSO_AGE_COLUMNS)
			break;
	}
	*pp = nl + 1;
	return 0;
}

static int
parse_mac(const char *p, const char *nl, struct rso_age_header *h,
    struct rso_error *e)
{
	/* "--- " then exactly 43 characters: 32 bytes, canonical. */
	if (nl - p != 4 + 43 || memcmp(p, "--- ", 4) != 0 ||
	    rso_b64_decode(h->mac, sizeof(h->mac), p + 4, 43, 0) != 32)
		return rso_error_set(e, EX_DATAERR, "header: malformed MAC line");
	return 0;
}

int
rso_age_header_parse(const char *buf, size_t len, struct rso_age_header *h,
    size_t *consumed, struct rso_error *e)
{
	static const char v1[] = "age-encryption.org/v1";
	static const char prefix[] = "age-encryption.org/";
	const char *end = buf + len, *p = buf, *nl;
	size_t cap = 0;
	int rc;

	memset(h, 0, sizeof(*h));
	nl = nextline(p, end);
	if (nl == NULL || (size_t)(nl - p) < sizeof(prefix) - 1 ||
	    memcmp(p, prefix, sizeof(prefix) - 1) != 0) {
		if (nl == NULL && len < sizeof(prefix) - 1 &&
		    memcmp(p, prefix, len) == 0)
			return rso_error_set(e, EX_DATAERR, "header: truncated");
		return rso_error_set(e, EX_DATAERR, "header: not an age file");
	}
	if ((size_t)(nl - p) != sizeof(v1) - 1 || memcmp(p, v1, nl - p) != 0)
		return rso_error_set(e, EX_DATAERR,
		    "header: unsupported age version");
	/* A private copy, NUL-terminated per line, that args point into. */
	h->text = rso_xmalloc(len + 1);
	memcpy(h->text, buf, len);
	h->text[len] = '\0';
	p = nl + 1;
	for (;;) {
		struct rso_age_stanza *st;
		char *line;

		nl = nextline(p, end);
		if (nl == NULL) {
			rc = rso_error_set(e, EX_DATAERR, "header: truncated");
			goto fail;
		}
		if (nl - p >= 3 && memcmp(p, "---", 3) == 0) {
			if (h->nst == 0) {
				rc = rso_error_set(e, EX_DATAERR,
				    "header: no recipient stanza");
				goto fail;
			}
			if ((rc = parse_mac(p, nl, h, e)) != 0)
				goto fail;
			h->maclen = (size_t)(p - buf) + 3;
			*consumed = (size_t)(nl - buf) + 1;
			return 0;
		}
		if (nl - p < 3 || memcmp(p, "-> ", 3) != 0) {
			rc = rso_error_set(e, EX_DATAERR,
			    "header: malformed line");
			goto fail;
		}
		if (h->nst == cap) {
			cap = cap ? cap * 2 : 4;
			h->st = rso_xrealloc(h->st, cap * sizeof(*h->st));
		}
		st = &h->st[h->nst++];
		memset(st, 0, sizeof(*st));
		line = h->text + (p - buf);
		line[nl - p] = '\0';
		if (parse_args(line + 3, st) != 0) {
			rc = rso_error_set(e, EX_DATAERR,
			    "header: malformed stanza");
			goto fail;
		}
		p = nl + 1;
		if ((rc = parse_body(&p, end, st, e)) != 0)
			goto fail;
	}
fail:
	rso_age_header_free(h);
	return rc;
}

void
rso_age_header_free(struct rso_age_header *h)
{
	size_t i;

	for (i = 0; i < h->nst; i++) {
		free(h->st[i].args);
		free(h->st[i].body);
	}
	free(h->st);
	free(h->text);
	memset(h, 0, sizeof(*h));
}

/* The byte source: binary passthrough or strict armor decoding. */

#define SRC_RAW		(64 * 1024)
#define ARMOR_WS_MAX	1024	/* blank bytes allowed before and after */
#define ARMOR_LINE_MAX	(ARMOR_WS_MAX + 80)

static const char armor_begin[] = "-----BEGIN AGE ENCRYPTED FILE-----";
static const char armor_end[] = "-----END AGE ENCRYPTED FILE-----";

enum { SRC_UNKNOWN, SRC_BINARY, SRC_ARMOR };
enum { A_BEGIN, A_DATA, A_DONE };

struct rso_age_src {
	rso_age_read_fn *fn;
	void *ctx;
	unsigned char raw[SRC_RAW];
	size_t rs, re;		/* unread raw bytes: raw[rs..re) */
	int reof;
	int mode;
	int astate;
	int mustend;		/* a short line was read: the footer is next */
	size_t leadws;
	unsigned char dec[48];
	size_t ds, de;		/* decoded, not yet returned: dec[ds..de) */
};

struct rso_age_src *
rso_age_src_new(rso_age_read_fn *fn, void *ctx)
{
	struct rso_age_src *s = rso_xcalloc(1, sizeof(*s));

	s->fn = fn;
	s->ctx = ctx;
	return s;
}

void
rso_age_src_free(struct rso_age_src *s)
{
	free(s);
}

int
rso_age_src_armored(const struct rso_age_src *s)
{
	return s->mode == SRC_ARMOR;
}

/* Read more raw bytes after compacting; 0, or -1 with e filled. */
static int
src_fill(struct rso_age_src *s, struct rso_error *e)
{
	ssize_t n;

	if (s->rs > 0) {
		memmove(s->raw, s->raw + s->rs, s->re - s->rs);
		s->re -= s->rs;
		s->rs = 0;
	}
	while (!s->reof && s->re < sizeof(s->raw)) {
		n = s->fn(s->ctx, s->raw + s->re, sizeof(s->raw) - s->re);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rso_error_set(e, EX_IOERR, "read: %s", strerror(errno));
			return -1;
		}
		if (n == 0)
			s->reof = 1;
		s->re += (size_t)n;
		break;
	}
	return 0;
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

/* Decide binary or armor from the first non-blank bytes. */
static int
src_detect(struct rso_age_src *s, struct rso_error *e)
{
	size_t i;

	while (!s->reof && s->re - s->rs < ARMOR_LINE_MAX)
		if (src_fill(s, e) != 0)
			return -1;
	for (i = s->rs; i < s->re && is_space(s->raw[i]); i++)
		;
	s->mode = i < s->re && s->re - i >= 10 &&
	    memcmp(s->raw + i, "-----BEGIN", 10) == 0 ? SRC_ARMOR : SRC_BINARY;
	s->astate = A_BEGIN;
	return 0;
}

/*
 * The next armor line, without its LF or CRLF, in line and n.  Returns 1, 0
 * at the end of input, or -1 with e filled.
 */
static int
src_line(struct rso_age_src *s, const char **line, size_t *n,
    struct rso_error *e)
{
	unsigned char *nl;
	size_t len;

	for (;;) {
		nl = memchr(s->raw + s->rs, '\n', s->re - s->rs);
		if (nl != NULL || s->reof)
			break;
		if (s->re - s->rs > ARMOR_LINE_MAX) {
			rso_error_set(e, EX_DATAERR, "armor: line too long");
			return -1;
		}
		if (src_fill(s, e) != 0)
			return -1;
	}
	if (nl == NULL && s->rs == s->re)
		return 0;
	len = nl ? (size_t)(nl - (s->raw + s->rs)) : s->re - s->rs;
	if (len > ARMOR_LINE_MAX) {
		rso_error_set(e, EX_DATAERR, "armor: line too long");
		return -1;
	}
	*line = (const char *)s->raw + s->rs;
	s->rs += len + (nl != NULL);
	if (len > 0 && (*line)[len - 1] == '\r')
		len--;
	*n = len;
	return 1;
}

/* After the footer: only a little whitespace may follow. */
static int
src_trailing(struct rso_age_src *s, struct rso_error *e)
{
	size_t seen = 0, i;

	for (;;) {
		for (i = s->rs; i < s->re; i++)
			if (!is_space(s->raw[i])) {
				rso_error_set(e, EX_DATAERR,
				    "armor: data after the end line");
				return -1;
			}
		seen += s->re - s->rs;
		s->rs = s->re;
		if (seen >= ARMOR_WS_MAX) {
			rso_error_set(e, EX_DATAERR,
			    "armor: too much whitespace after the end line");
			return -1;
		}
		if (s->reof)
			return 0;
		if (src_fill(s, e) != 0)
			return -1;
	}
}

static int
is_blank(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_space((unsigned char)p[i]))
			return 0;
	return 1;
}

/* Decode the next armor line into dec; sets astate at the end. */
static int
src_armor_step(struct rso_age_src *s, struct rso_error *e)
{
	const char *line;
	size_t n;
	ssize_t got;
	int r;

	while (s->astate == A_BEGIN) {
		if ((r = src_line(s, &line, &n, e)) < 0)
			return -1;
		if (r == 0) {
			rso_error_set(e, EX_DATAERR, "armor: no begin line");
			return -1;
		}
		if (is_blank(line, n)) {
			s->leadws += n + 1;
			if (s->leadws > ARMOR_WS_MAX) {
				rso_error_set(e, EX_DATAERR,
				    "armor: too much whitespace before the begin line");
				return -1;
			}
			continue;
		}
		if (n != sizeof(armor_begin) - 1 ||
		    memcmp(line, armor_begin, n) != 0) {
			rso_error_set(e, EX_DATAERR, "armor: bad begin line");
			return -1;
		}
		s->astate = A_DATA;
	}
	if ((r = src_line(s, &line, &n, e)) < 0)
		return -1;
	if (r == 0) {
		rso_error_set(e, EX_DATAERR, "armor: no end line");
		return -1;
	}
	if (n == sizeof(armor_end) - 1 && memcmp(line, armor_end, n) == 0) {
		s->astate = A_DONE;
		return src_trailing(s, e);
	}
	if (s->mustend) {
		rso_error_set(e, EX_DATAERR, "armor: short line before the end");
		return -1;
	}
	if (n > RSO_AGE_COLUMNS) {
		rso_error_set(e, EX_DATAERR, "armor: line longer than 64 columns");
		return -1;
	}
	got = n == 0 ? -1 : rso_b64_decode(s->dec, sizeof(s->dec), line, n, 1);
	if (got < 0) {
		rso_error_set(e, EX_DATAERR, "armor: malformed base64");
		return -1;
	}
	s->ds = 0;
	s->de = (size_t)got;
	if (got < 48)
		s->mustend = 1;
	return 0;
}

ssize_t
rso_age_src_read(struct rso_age_src *s, void *buf, size_t len,
    struct rso_error *e)
{
	unsigned char *d = buf;
	size_t done = 0, k;
	ssize_t n;

	if (s->mode == SRC_UNKNOWN && src_detect(s, e) != 0)
		return -1;
	if (s->mode == SRC_BINARY) {
		if (s->rs < s->re) {
			k = s->re - s->rs < len ? s->re - s->rs : len;
			memcpy(d, s->raw + s->rs, k);
			s->rs += k;
			return (ssize_t)k;
		}
		if (s->reof)
			return 0;
		for (;;) {
			n = s->fn(s->ctx, buf, len);
			if (n >= 0)
				break;
			if (errno != EINTR) {
				rso_error_set(e, EX_IOERR, "read: %s",
				    strerror(errno));
				return -1;
			}
		}
		if (n == 0)
			s->reof = 1;
		return n;
	}
	while (done < len) {
		if (s->ds < s->de) {
			k = s->de - s->ds < len - done ? s->de - s->ds :
			    len - done;
			memcpy(d + done, s->dec + s->ds, k);
			s->ds += k;
			done += k;
			continue;
		}
		if (s->astate == A_DONE)
			break;
		if (src_armor_step(s, e) != 0)
			return -1;
	}
	return (ssize_t)done;
}
