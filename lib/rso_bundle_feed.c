/* rso_bundle_feed: what jansson is fed of a Bundle's value, each "data"
 * string of clean text swapped for its place in the file, so that an
 * attachment of any size is never held (see rso_bundle_priv.h). */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rso_bundle_priv.h"
#include "rso_err.h"

/* How much of a string is looked at a time. */
#define LOOK		(32 * 1024)

/* Of a name, once one of its characters is not "data"'s. */
#define NOT_DATA	5

void
bfeed_init(struct bfeed *feed, struct rso_window *s, const char *prefix, size_t off)
{
	memset(feed, 0, sizeof(*feed));
	feed->s = s;
	feed->prefix = prefix;
	feed->plen = strlen(prefix);
	feed->off = off;
}

void
bfeed_free(struct bfeed *feed)
{
	free(feed->swaps);
}

static int
lex_in_object(const struct blex *x)
{
	return x->depth > 0 &&
	    (x->kind[(x->depth - 1) / 8] >> ((x->depth - 1) % 8) & 1);
}

/* A value of the one read begins (after a prefix, at the prefix's depth). */
static void
lex_value(struct blex *x)
{
	if (x->depth == x->base)
		x->started = 1;
	x->after_colon = 0;
}

/* A string, a number or a literal has ended. */
static void
lex_scalar_end(struct blex *x)
{
	if (x->started && x->depth == x->base)
		x->done = 1;
}

static void
lex_push(struct blex *x, int object)
{
	lex_value(x);
	if (x->depth >= BLEX_DEPTH) {
		x->done = 1;	/* deeper than jansson goes: it fails */
		return;
	}
	if (object)
		x->kind[x->depth / 8] |= (unsigned char)(1u << (x->depth % 8));
	else
		x->kind[x->depth / 8] &= (unsigned char)~(1u << (x->depth % 8));
	x->depth++;
	x->want_name = object;
}

/* The next character of a name, decoded: does the name go on as "data"? */
static void
lex_name_char(struct blex *x, unsigned c)
{
	if (x->named < 4 && c == (unsigned char)"data"[x->named])
		x->named++;
	else
		x->named = NOT_DATA;
}

/* A byte inside a string: a name's is decoded as jansson would. */
static void
lex_string_byte(struct blex *x, unsigned char c)
{
	int r;

	if (x->esc.at != 0) {
		r = rso_json_esc_step(&x->esc, c);
		if (r != RSO_JSON_ESC_MORE && x->is_name)
			lex_name_char(x, r == RSO_JSON_ESC_BAD ? 0x80 :
			    (unsigned)r);
		return;
	}
	if (c == '\\')
		x->esc.at = 1;
	else if (c == '"') {
		x->in_string = 0;
		if (!x->is_name)
			lex_scalar_end(x);
	} else if (x->is_name)
		lex_name_char(x, c);
}

/* Whether the last name was "data". */
static int
lex_name_is_data(const struct blex *x)
{
	return x->named == 4;
}

/* What the byte c of the JSON is to the feed. */
enum { LEX_BYTE, LEX_DATA };

/*
 * One byte handed to jansson, or LEX_DATA when it is the quote that opens
 * a "data" member's string value: the caller then hands over the string
 * and says how (lex_data_swapped, lex_data_kept).
 */
static int
lex_byte(struct blex *x, unsigned char c)
{
	if (x->done)
		return LEX_BYTE;
	if (x->in_string) {
		lex_string_byte(x, c);
		return LEX_BYTE;
	}
	switch (c) {
	case '{':
	case '[':
		lex_push(x, c == '{');
		break;
	case '}':
	case ']':
		if (x->depth <= x->base) {
			x->done = 1;	/* not JSON: jansson fails here */
			break;
		}
		x->depth--;
		x->want_name = 0;
		x->after_colon = 0;
		lex_scalar_end(x);
		break;
	case ',':
		x->want_name = lex_in_object(x);
		break;
	case ':':
		x->after_colon = 1;
		break;
	case '"':
		if (lex_in_object(x) && x->want_name) {
			x->in_string = x->is_name = 1;
			x->want_name = 0;
			x->named = 0;
			break;
		}
		if (lex_in_object(x) && x->after_colon && lex_name_is_data(x))
			return LEX_DATA;
		lex_value(x);
		x->in_string = 1;
		x->is_name = 0;
		break;
	case ' ': case '\t': case '\r': case '\n':
		break;
	default:
		/* A number or a literal: it ends at a byte above. */
		lex_value(x);
		if (x->depth == x->base)
			x->done = 1;
	}
	return LEX_BYTE;
}

/*
 * How many of the n bytes at p lex_byte would only pass over: all of them
 * once the value is over, a string's text up to a quote or an escape
 * (a name's once it is not "data"), blanks between tokens.
 */
static size_t
lex_run(const struct blex *x, const unsigned char *p, size_t n)
{
	size_t i = 0;

	if (x->done)
		return n;
	if (x->in_string) {
		/* A name is looked at until it is known not to be "data". */
		if ((x->is_name && x->named != NOT_DATA) || x->esc.at != 0)
			return 0;
		while (i < n && p[i] != '"' && p[i] != '\\')
			i++;
	} else
		while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\t' ||
		    p[i] == '\r'))
			i++;
	return i;
}

/* The "data" string was handed over as its place: it has ended. */
static void
lex_data_swapped(struct blex *x)
{
	lex_value(x);
	lex_scalar_end(x);
}

/* The "data" string is handed over as it is, from its quote. */
static void
lex_data_kept(struct blex *x)
{
	lex_value(x);
	x->in_string = 1;
	x->is_name = 0;
}

/* Whether c stands for itself in a JSON string and is printable ASCII. */
static int
is_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
}

/* The byte c of an escape (st->at 1 after its backslash): 0 while it is
 * clean, -1 when it is not (not JSON, or not ASCII but NUL). */
static int
clean_escape(struct rso_json_esc *st, unsigned char c)
{
	int r = rso_json_esc_step(st, c);

	if (r == RSO_JSON_ESC_MORE)
		return 0;
	return r == RSO_JSON_ESC_BAD || r == 0 || r >= 0x80 ? -1 : 0;
}

/* What clean_string finds of a string. */
enum { STRING_KEPT, STRING_CLEAN, STRING_CUT };

/*
 * Whether the string whose text begins at off is clean enough to be
 * swapped for its place: printable ASCII and the escapes JSON allows
 * that stand for ASCII other than NUL, so that jansson, which never sees
 * it, would have found nothing wrong in it.  STRING_CLEAN with *end at
 * its closing quote; STRING_CUT when the file ends in its clean text, not
 * in an escape (jansson would find it cut short at the file's end, as it
 * does its place); else STRING_KEPT (held, read by jansson), and when
 * the file cannot be read (jansson's read then fails).
 */
static int
clean_string(struct rso_window *s, size_t off, size_t *end)
{
	const unsigned char *p;
	size_t avail, i;
	struct rso_json_esc esc = { 0, 0 };

	for (;; off += avail) {
		if ((p = (const unsigned char *)rso_window_bytes(s, off, LOOK,
		    &avail)) == NULL)
			return STRING_KEPT;
		if (avail == 0) {
			*end = off;
			return esc.at == 0 ? STRING_CUT : STRING_KEPT;
		}
		for (i = 0; i < avail; i++) {
			if (esc.at != 0) {
				if (clean_escape(&esc, p[i]) != 0)
					return STRING_KEPT;
				continue;
			}
			/* Most of it is base64: step over it in one go. */
			while (i < avail && is_plain(p[i]))
				i++;
			if (i == avail)
				break;
			if (p[i] == '"') {
				*end = off + i;
				return STRING_CLEAN;
			}
			if (p[i] != '\\')
				return STRING_KEPT;
			esc.at = 1;
		}
	}
}

/*
 * The "data" string whose quote is at off: swapped for its place when its
 * text is clean, the feed then after it; else handed over as it is, from
 * its quote.  No text of the sender's can be taken for a place: the
 * string a place is (U+0001, digits, a colon, digits) jansson only makes
 * of clean text, which is always swapped.  A file cut short in clean text
 * is cut short in its place, so that a cut 100 MB upload is not held
 * either.
 */
static void
feed_data(struct bfeed *feed, size_t off)
{
	size_t end;
	int found = clean_string(feed->s, off + 1, &end);

	feed->phdone = 0;
	if (found == STRING_KEPT) {
		lex_data_kept(&feed->x);
		feed->ph[0] = '"';
		feed->phlen = 1;
		feed->off = off + 1;
		return;
	}
	lex_data_swapped(&feed->x);
	feed->phlen = (size_t)snprintf(feed->ph, sizeof(feed->ph),
	    "\"\\u0001%zu:%zu%s", off + 1, end - off - 1,
	    found == STRING_CLEAN ? "\"" : "");
	if (found == STRING_CLEAN)
		end++;
	if (feed->nswaps == feed->capswaps) {
		feed->capswaps = feed->capswaps ? feed->capswaps * 2 : 8;
		feed->swaps = rso_xrealloc(feed->swaps, feed->capswaps *
		    sizeof(*feed->swaps));
	}
	feed->swaps[feed->nswaps].at = off;
	feed->swaps[feed->nswaps].raw = end - off;
	feed->swaps[feed->nswaps++].ph = feed->phlen;
	feed->off = end;
}

/* The decimal number at *p, *p moved past its digits: 0 when there are
 * none, or too many to be an offset in a file. */
static int
place_number(const char **p, const char *end, size_t *n)
{
	const char *start = *p;

	*n = 0;
	for (; *p < end && **p >= '0' && **p <= '9'; ++*p) {
		if (*n > (SIZE_MAX - 9) / 10)
			return 0;
		*n = *n * 10 + (size_t)(**p - '0');
	}
	return *p > start;
}

int
bsrc_data_place(const char *v, size_t len, size_t *off, size_t *n)
{
	const char *p = v + 1, *end = v + len;

	return len > 0 && v[0] == '\x01' && place_number(&p, end, off) &&
	    p < end && *p++ == ':' && place_number(&p, end, n) && p == end;
}

size_t
bfeed_bytes(void *buffer, size_t buflen, void *data)
{
	struct bfeed *feed = data;
	unsigned char *out = buffer, c;
	const char *p;
	size_t len = 0, avail, i;

	while (len < buflen) {
		if (feed->phdone < feed->phlen) {
			out[len++] = (unsigned char)feed->ph[feed->phdone++];
			continue;
		}
		if (feed->pdone < feed->plen) {
			c = (unsigned char)feed->prefix[feed->pdone++];
			(void)lex_byte(&feed->x, c);
			out[len++] = c;
			/* The value read begins where the prefix leaves. */
			if (feed->pdone == feed->plen) {
				feed->x.base = feed->x.depth;
				feed->x.started = 0;
			}
			continue;
		}
		if (feed->off >= feed->s->n)
			break;
		if ((p = rso_window_bytes(feed->s, feed->off, buflen - len,
		    &avail)) ==
		    NULL) {
			feed->failed = 1;
			return (size_t)-1;
		}
		if (avail > buflen - len)
			avail = buflen - len;
		/* Handed over up to the quote of a "data" string, if any.
		 * Runs that cannot change what the lexer knows are passed
		 * over whole: most of a Bundle is text and blanks. */
		memcpy(out + len, p, avail);
		for (i = 0; i < avail; i++) {
			i += lex_run(&feed->x, out + len + i, avail - i);
			if (i == avail ||
			    lex_byte(&feed->x, out[len + i]) == LEX_DATA)
				break;
		}
		len += i;
		feed->off += i;
		/* The window moves as the string is looked at: p is gone. */
		if (i < avail)
			feed_data(feed, feed->off);
	}
	return len;
}
