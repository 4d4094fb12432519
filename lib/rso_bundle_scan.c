/* rso_bundle_scan: a Bundle's JSON read a value at a time, with the
 * outcome jansson gives for the whole file. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rso_bundle_priv.h"
#include "rso_err.h"

/* Twice how much of the window a look ahead wants. */
#define WINDOW_MIN	RSO_WINDOW

#define FLAGS_VALUE (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | \
	JSON_DISABLE_EOF_CHECK)
#define FLAGS_INNER (JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK)

/*
 * Text that puts jansson's parser where the scanner stands, so that the
 * bytes after it fail as they do in the whole file: in the root object
 * before the first member (after "{") or a later one (after ","), after
 * a member name, before a member's value, after it; in a member's array
 * before an element (depth 3, as an entry is) and after one; after the
 * root.  A string ends each (a number would read the next byte).
 */
#define AT_FIRST_NAME	"{"
#define AT_NAME		"{\"\":\"\","
#define AT_COLON	"{\"\""
#define AT_VALUE	"{\"\":"
#define AT_AFTER_VALUE	"{\"\":\"\""
#define AT_ELEMENT	"{\"\":[0,"
#define AT_AFTER_ELEMENT "{\"\":[\"\""
#define AT_END		"{}"

/* The byte at off, -1 at the end, -2 when it cannot be read. */
static int
byte_at(struct rso_window *s, size_t off)
{
	const char *p;
	size_t avail;

	if (off >= s->n)
		return -1;
	if (s->mem != NULL)
		return (unsigned char)s->mem[off];
	if (off >= s->base && off < s->base + s->len)
		return (unsigned char)s->buf[off - s->base];
	if ((p = rso_window_bytes(s, off, WINDOW_MIN / 2, &avail)) == NULL)
		return -2;
	return (unsigned char)*p;
}

static int
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The offset of the first byte from off on that is not a blank. */
static size_t
skip_blanks(struct rso_window *s, size_t off)
{
	while (is_blank(byte_at(s, off)))
		off++;
	return off;
}

/*
 * Whether a NUL after the byte prev is one jansson's lexer drops: it
 * reads one byte past a number or a literal (true, false, null) and
 * pushes it back into a buffer that a NUL ends, so a NUL there is
 * skipped, never counted, as if it were not in the file.  A NUL anywhere
 * else is a fault, found where it is.
 */
static int
drops_nul_after(int prev)
{
	return (prev >= '0' && prev <= '9') || prev == 'e' || prev == 'l';
}

/* Whether the n bytes from off hold a NUL. */
static int
has_nul(struct rso_window *s, size_t off, size_t n)
{
	const char *p;
	size_t avail;

	while (n > 0) {
		if ((p = rso_window_bytes(s, off, n < WINDOW_MIN / 2 ? n : WINDOW_MIN / 2,
		    &avail)) == NULL || avail == 0)
			return 0;
		if (avail > n)
			avail = n;
		if (memchr(p, '\0', avail) != NULL)
			return 1;
		off += avail;
		n -= avail;
	}
	return 0;
}

/* The offset count bytes past off, as jansson counts bytes, where the
 * file has no swapped string before lim; *count left as what is left. */
static size_t
advance_to(struct rso_window *s, size_t off, size_t *count, size_t lim)
{
	int c, prev = off > 0 ? byte_at(s, off - 1) : -1;

	while (*count > 0 && off < lim && (c = byte_at(s, off)) >= 0) {
		if (c != 0 || !drops_nul_after(prev))
			--*count;
		prev = c;
		off++;
	}
	return off;
}

/*
 * The offset count bytes past off, as jansson counts the bytes it was
 * fed from off: a NUL it drops is not counted, and a swapped string
 * counts as its place.  A count that ends inside a place (it cannot
 * with a place jansson read whole) ends inside the string.
 */
static size_t
advance(struct rso_window *s, size_t off, size_t count, const struct bswap *sw,
    size_t nsw)
{
	size_t i, lim, step;

	for (i = 0; count > 0; i++) {
		lim = i < nsw ? sw[i].at : SIZE_MAX;
		/* Most of a value has no NUL: no need to look byte by byte. */
		step = lim - off < count ? lim - off : count;
		if (step > s->n - off)
			step = s->n - off;
		if (!has_nul(s, off, step)) {
			off += step;
			count -= step;
		} else
			off = advance_to(s, off, &count, lim);
		if (count == 0 || i == nsw || off < lim)
			break;
		if (count < sw[i].ph) {
			off += count < sw[i].raw ? count : sw[i].raw;
			break;
		}
		count -= sw[i].ph;
		off += sw[i].raw;
	}
	return off;
}

void
bsrc_line_col(struct rso_window *s, size_t at, int *line, int *column)
{
	const unsigned char *p;
	size_t off = 0, avail, i;
	int prev = -1;

	*line = 1;
	*column = 0;
	while (off < at) {
		if ((p = (const unsigned char *)rso_window_bytes(s, off, WINDOW_MIN / 2,
		    &avail)) == NULL || avail == 0)
			return;
		if (avail > at - off)
			avail = at - off;
		/* jansson counts a character at its first byte: ASCII or a
		 * UTF-8 lead byte, never a continuation byte. */
		for (i = 0; i < avail; prev = p[i++]) {
			if (p[i] == '\n') {
				++*line;
				*column = 0;
			} else if (p[i] == 0 && drops_nul_after(prev))
				continue;
			else if (p[i] < 0x80 || (p[i] >= 0xC2 && p[i] <= 0xF4))
				++*column;
		}
		off += avail;
	}
}

/*
 * The fault jansson finds in the whole file where the scanner found one
 * at off: the file from off read after prefix, which stands for what
 * came before.  jansson lexes the token at fault itself, so its place
 * and kind are jansson's own.
 */
static int
reproduce(struct rso_window *s, size_t off, const char *prefix, size_t flags,
    struct bfault *f)
{
	struct bfeed feed;
	json_error_t err;
	json_t *v;
	int rc = BSCAN_FAULT;

	bfeed_init(&feed, s, prefix, off);
	v = json_load_callback(bfeed_bytes, &feed, flags, &err);
	if (feed.failed)
		rc = BSCAN_IO;
	else if (v != NULL) {
		/* Cannot happen: the scanner and jansson disagree. */
		f->code = json_error_invalid_syntax;
		f->at = off;
	} else {
		f->code = json_error_code(&err);
		f->at = advance(s, off, (size_t)err.position - feed.plen,
		    feed.swaps, feed.nswaps);
	}
	json_decref(v);
	bfeed_free(&feed);
	return rc;
}

/* How deep v goes, itself 1. */
static int
depth_of(const json_t *v)
{
	const char *k;
	json_t *c;
	size_t i;
	int d = 0, cd;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, c)
			if ((cd = depth_of(c)) > d)
				d = cd;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, c)
			if ((cd = depth_of(c)) > d)
				d = cd;
	}
	return d + 1;
}

/*
 * The value that begins at off (after blanks), parsed alone, *end where
 * it ends.  depth: how many values hold it in the file; prefix: what
 * stands for them when it fails (see reproduce).
 *
 * jansson stops at the value's end (JSON_DISABLE_EOF_CHECK) and says how
 * far it read.  A file is fed to it through the window as it asks, not
 * in a window large enough for the value: a value cut short would have
 * to be parsed again, and a number at a window's end would seem to end
 * there; so the window never grows, and a large value is read once.
 * Memory too is fed the same way, so that both swap the same strings.
 */
static int
value_at(struct rso_window *s, size_t off, const char *prefix, int depth,
    json_t **v, size_t *end, struct bfault *f)
{
	struct bfeed feed;
	json_error_t err;
	size_t used;
	int rc = BSCAN_OK;

	bfeed_init(&feed, s, "", off);
	*v = json_load_callback(bfeed_bytes, &feed, FLAGS_VALUE, &err);
	used = (size_t)err.position;
	if (feed.failed)
		rc = BSCAN_IO;
	else if (*v == NULL)
		rc = reproduce(s, off, prefix, FLAGS_INNER, f);
	/* A value alone is as deep as jansson allows; in the file, it
	 * stands depth deeper.  Each level takes two bytes at least. */
	else if (used >= 2 * (size_t)(BSCAN_MAX_DEPTH - depth) &&
	    depth_of(*v) + depth > BSCAN_MAX_DEPTH)
		rc = reproduce(s, off, prefix, FLAGS_INNER, f);
	else {
		/* The NULs jansson dropped are in the file, not in its
		 * count, and swapped strings are longer there; the NUL after
		 * a number or literal that ends the value is its own. */
		*end = advance(s, off, used, feed.swaps, feed.nswaps);
		if ((json_is_number(*v) || json_is_boolean(*v) ||
		    json_is_null(*v)) && byte_at(s, *end) == 0)
			++*end;
	}
	bfeed_free(&feed);
	if (rc != BSCAN_OK) {
		json_decref(*v);
		*v = NULL;
	}
	return rc;
}

int
bsrc_element(struct rso_window *s, size_t off, json_t **v, size_t *end)
{
	struct bfault f;
	int rc;

	if ((rc = value_at(s, off, AT_ELEMENT, 2, v, end, &f)) != BSCAN_OK)
		*v = NULL;
	return rc;
}

uint64_t
bsrc_hash(const char *p, size_t n, uint64_t seed)
{
	uint64_t h = seed ^ (n * 0x9E3779B97F4A7C15ULL);
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001B3ULL;
		h ^= h >> 29;
	}
	h ^= h >> 33;
	h *= 0xFF51AFD7ED558CCDULL;
	h ^= h >> 33;
	h *= 0xC4CEB9FE1A85EC53ULL;
	h ^= h >> 33;
	return h;
}

int
bsrc_key_before(const struct bkey *x, const struct bkey *y)
{
	return x->hash != y->hash ? x->hash < y->hash : x->off < y->off;
}

static void
sift_down(struct bkey *k, size_t i, size_t n)
{
	struct bkey t;
	size_t c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && bsrc_key_before(&k[c], &k[c + 1]))
			c++;
		if (!bsrc_key_before(&k[i], &k[c]))
			return;
		t = k[i];
		k[i] = k[c];
		k[c] = t;
		i = c;
	}
}

/* A heap sort. */
void
bsrc_sort_keys(struct bkey *k, size_t n)
{
	struct bkey t;
	size_t i;

	for (i = n / 2; i-- > 0;)
		sift_down(k, i, n);
	while (n > 1) {
		t = k[0];
		k[0] = k[--n];
		k[n] = t;
		sift_down(k, 0, n);
	}
}

/*
 * The root's member names: each one's hash and where its parse began,
 * 16 bytes a name, looked at once the scan is over (jansson stops at the
 * first name seen before; the scan goes on, and what it finds after is
 * dropped).
 */
struct names {
	struct bkey *k;
	size_t n, cap;
	uint64_t seed;
};

static void
names_add(struct names *t, size_t off, const char *key, size_t n)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->k = rso_xrealloc(t->k, t->cap * sizeof(*t->k));
	}
	t->k[t->n].hash = bsrc_hash(key, n, t->seed);
	t->k[t->n++].off = off;
}

/* The name parsed at off, or NULL when it cannot be read again. */
static json_t *
name_at(struct rso_window *s, size_t off, size_t *end)
{
	struct bfault f;
	json_t *v;

	return value_at(s, off, AT_NAME, 0, &v, end, &f) == BSCAN_OK ? v : NULL;
}

static int
same_name(struct rso_window *s, size_t a, size_t b)
{
	json_t *x = name_at(s, a, &a), *y = name_at(s, b, &b);
	int same = x && y && json_equal(x, y);

	json_decref(x);
	json_decref(y);
	return same;
}

/*
 * The first name that is the same as one before it: 1 with *end set
 * after it, as jansson places the fault, or 0.  Names of one hash are
 * in the order of the file: the first of them the same as an earlier
 * one (the names compared) is the run's.
 */
static int
names_first_twice(struct names *t, struct rso_window *s, size_t *end)
{
	size_t i, j, k, run, first = SIZE_MAX;
	json_t *v;

	bsrc_sort_keys(t->k, t->n);
	for (i = 0; i < t->n; i = run) {
		for (run = i + 1; run < t->n && t->k[run].hash == t->k[i].hash;
		    run++)
			;
		for (j = i + 1; j < run && t->k[j].off < first; j++) {
			for (k = i; k < j; k++)
				if (same_name(s, t->k[k].off, t->k[j].off))
					break;
			if (k < j) {
				first = t->k[j].off;
				break;
			}
		}
	}
	if (first == SIZE_MAX || (v = name_at(s, first, end)) == NULL)
		return 0;
	json_decref(v);
	return 1;
}

/* A root member's array: each element parsed alone and handed over.
 * off is just after its "["; *end set after its "]". */
static int
scan_array(struct rso_window *s, size_t off, const char *key,
    const struct bscan_fn *fn, size_t *end, struct bfault *f)
{
	json_t *v;
	size_t k = 0, at;
	int rc, c;

	at = skip_blanks(s, off);
	if ((c = byte_at(s, at)) == ']') {
		*end = at + 1;
		return BSCAN_OK;
	}
	for (;;) {
		if (c == -2)
			return BSCAN_IO;
		if ((rc = value_at(s, off, AT_ELEMENT, 2, &v, &at, f)) != 0)
			return rc;
		fn->element(fn->ctx, key, k++, off, v);
		json_decref(v);
		at = skip_blanks(s, at);
		if ((c = byte_at(s, at)) == ',')
			off = at + 1;
		else if (c == ']') {
			*end = at + 1;
			return BSCAN_OK;
		} else if (c == -2)
			return BSCAN_IO;
		else
			return reproduce(s, at, AT_AFTER_ELEMENT, FLAGS_INNER, f);
	}
}

/*
 * One member of the root from off (just after "{" or ","): its name,
 * checked against the others, and its value.  *end set after it.
 */
static int
scan_member(struct rso_window *s, size_t off, int first, struct names *t,
    const struct bscan_fn *fn, size_t *end, struct bfault *f)
{
	const char *at_name = first ? AT_FIRST_NAME : AT_NAME;
	json_t *name, *v;
	size_t at;
	int rc, c;

	at = skip_blanks(s, off);
	if ((c = byte_at(s, at)) == -2)
		return BSCAN_IO;
	if (c != '"')
		return reproduce(s, off, at_name, FLAGS_INNER, f);
	/* Parsed as a value, a name with a NUL fails as a name would
	 * (reproduced), since JSON_ALLOW_NUL is not given. */
	if ((rc = value_at(s, off, at_name, 0, &name, &at, f)) != 0)
		return rc;
	names_add(t, off, json_string_value(name), json_string_length(name));
	off = at;
	at = skip_blanks(s, off);
	if ((c = byte_at(s, at)) != ':') {
		json_decref(name);
		return c == -2 ? BSCAN_IO : reproduce(s, off, AT_COLON,
		    FLAGS_INNER, f);
	}
	off = at + 1;
	at = skip_blanks(s, off);
	if ((c = byte_at(s, at)) == '[')
		rc = scan_array(s, at + 1, json_string_value(name), fn, end, f);
	else if (c == -2)
		rc = BSCAN_IO;
	else if ((rc = value_at(s, off, AT_VALUE, 1, &v, end, f)) == 0) {
		fn->member(fn->ctx, json_string_value(name), v);
		json_decref(v);
	}
	json_decref(name);
	return rc;
}

uint64_t
bsrc_seed(void)
{
	uint64_t seed;

	/* Not a secret, only not known ahead of the read. */
	if (getentropy(&seed, sizeof(seed)) != 0)
		seed = (uint64_t)(uintptr_t)&seed ^ (uint64_t)getpid();
	return seed;
}

/* The root object and what follows it. */
static int
scan_object(struct rso_window *s, struct names *t, const struct bscan_fn *fn,
    struct bfault *f)
{
	size_t off, at;
	int rc = BSCAN_OK, c, first = 1;

	off = skip_blanks(s, 0);
	if ((c = byte_at(s, off)) != '{')
		return c == -2 ? BSCAN_IO : BSCAN_NOT_OBJECT;
	off++;
	at = skip_blanks(s, off);
	if ((c = byte_at(s, at)) == '}')
		off = at + 1;
	else {
		for (;;) {
			if (t->n >= BSCAN_MAX_ROOT) {
				rc = BSCAN_WIDE;
				break;
			}
			if ((rc = scan_member(s, off, first, t, fn, &at, f))
			    != BSCAN_OK)
				break;
			first = 0;
			off = at;
			at = skip_blanks(s, off);
			if ((c = byte_at(s, at)) == ',') {
				off = at + 1;
				continue;
			}
			if (c == '}') {
				off = at + 1;
				break;
			}
			rc = c == -2 ? BSCAN_IO : reproduce(s, off,
			    AT_AFTER_VALUE, FLAGS_INNER, f);
			break;
		}
	}
	if (rc != BSCAN_OK)
		return rc;
	/* Nothing but blanks may follow the root. */
	at = skip_blanks(s, off);
	if ((c = byte_at(s, at)) == -1)
		return BSCAN_OK;
	return c == -2 ? BSCAN_IO : reproduce(s, off, AT_END,
	    JSON_REJECT_DUPLICATES, f);
}

int
bscan_root(struct rso_window *s, const struct bscan_fn *fn, struct bfault *f)
{
	struct names t = { NULL, 0, 0, bsrc_seed() };
	size_t at;
	int rc;

	rc = scan_object(s, &t, fn, f);
	/* A name seen twice comes before any fault the scan went on to. */
	if ((rc == BSCAN_OK || rc == BSCAN_FAULT) &&
	    names_first_twice(&t, s, &at)) {
		f->code = json_error_duplicate_key;
		f->at = at;
		rc = BSCAN_FAULT;
	}
	free(t.k);
	return rc;
}

int
bscan_start_fault(struct rso_window *s, struct bfault *f)
{
	return reproduce(s, 0, "", JSON_REJECT_DUPLICATES, f);
}

int
bsrc_contains(struct rso_window *s, const char *needle)
{
	size_t len = strlen(needle), off = 0, avail;
	const char *p;

	while (off < s->n) {
		if ((p = rso_window_bytes(s, off, len * 2 > WINDOW_MIN / 2 ? len * 2 :
		    WINDOW_MIN / 2, &avail)) == NULL)
			return 0;
		if (memmem(p, avail, needle, len) != NULL)
			return 1;
		if (off + avail >= s->n)
			break;
		/* Step so that a needle across the window's end is seen. */
		off += avail > len ? avail - len + 1 : 1;
	}
	return 0;
}

int
bsrc_first_byte(struct rso_window *s, int skip_bom)
{
	size_t off = 0;

	if (skip_bom && byte_at(s, 0) == 0xEF && byte_at(s, 1) == 0xBB &&
	    byte_at(s, 2) == 0xBF)
		off = 3;
	return byte_at(s, skip_blanks(s, off));
}
