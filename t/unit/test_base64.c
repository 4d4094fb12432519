/* Unit tests for rso_base64's incremental decoder: the same bytes and the
 * same verdict as rso_base64_decode, however the text is cut, and JSON
 * string text read with its escapes. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "rso_base64.h"
#include "tap.h"

/*
 * text decoded in pieces cut at each of the offsets cuts[0..ncuts): 0
 * with the bytes in out (*outn of them), or -1.
 */
static int
decode_cut(const char *text, int json, const size_t *cuts, size_t ncuts,
    unsigned char *out, size_t *outn)
{
	struct rso_base64_dec d;
	size_t at = 0, i, end, got;
	int rc = 0;

	rso_base64_dec_init(&d, json);
	*outn = 0;
	for (i = 0; i <= ncuts; i++) {
		end = i < ncuts ? cuts[i] : strlen(text);
		if (rso_base64_dec_update(&d, text + at, end - at, out + *outn,
		    &got) != 0)
			rc = -1;
		*outn += got;
		at = end;
	}
	return rso_base64_dec_final(&d) != 0 ? -1 : rc;
}

/* Whether text decodes to want (wantn bytes; NULL: is not clean) in one
 * piece, cut at every offset, at every two offsets, and byte by byte. */
static int
same_every_cut(const char *text, int json, const char *want, size_t wantn)
{
	unsigned char out[256];
	size_t n = strlen(text), cuts[256], i, j, outn;
	int rc;

	for (i = 0; i <= n; i++)
		for (j = i; j <= n; j++) {
			cuts[0] = i;
			cuts[1] = j;
			rc = decode_cut(text, json, cuts, 2, out, &outn);
			if (want == NULL ? rc != -1 : rc != 0 || outn != wantn ||
			    memcmp(out, want, wantn) != 0)
				return 0;
		}
	for (i = 0; i < n; i++)
		cuts[i] = i + 1;
	rc = decode_cut(text, json, cuts, n, out, &outn);
	return want == NULL ? rc == -1 : rc == 0 && outn == wantn &&
	    memcmp(out, want, wantn) == 0;
}

/* Base64 text, as rso_base64_decode reads it. */
static void
test_plain(void)
{
	static const struct {
		const char *text, *want, *what;
	} t[] = {
		{ "aGVsbG8=", "hello", "one pad" },
		{ "aGVsbG8h", "hello!", "no pad" },
		{ "aGVsbA==", "hell", "two pads" },
		{ " aGVs\r\nbG8=\t\n", "hello", "blanks and line ends" },
		{ "", "", "empty" },
		{ "aGVsbG8", NULL, "cut short" },
		{ "aGV*bG8=", NULL, "outside the alphabet" },
		{ "aG=sbG8=", NULL, "padding inside" },
		{ "aGVsbG8=aGVs", NULL, "text after padding" },
		{ "aGVsbG8==", NULL, "a pad after the end" },
		{ "aGVsbG9=", NULL, "bits under the padding" },
		{ "a===", NULL, "three pads" },
		{ "aGVs\\/bG8=", NULL, "a backslash is no base64" },
	};
	unsigned char *b;
	size_t i, n;
	int whole;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		whole = rso_base64_decode(t[i].text, strlen(t[i].text), &b, &n);
		ok(t[i].want == NULL ? whole == -1 : whole == 0 &&
		    n == strlen(t[i].want) && memcmp(b, t[i].want, n) == 0,
		    "whole: %s", t[i].what);
		if (whole == 0)
			free(b);
		ok(same_every_cut(t[i].text, 0, t[i].want, t[i].want ?
		    strlen(t[i].want) : 0), "every cut: %s", t[i].what);
	}
}

/* A JSON string's text, as written between its quotes. */
static void
test_json(void)
{
	static const struct {
		const char *text, *want, *what;
	} t[] = {
		{ "aGVsbG8=", "hello", "no escape" },
		{ "Pz8\\/", "??\x3f", "an escaped slash" },
		{ "Pz8/", "??\x3f", "...the same as a plain one" },
		{ "aGVs\\nbG8=\\r\\n", "hello", "escaped line ends skipped" },
		{ "aGVs\\tbG8=", "hello", "an escaped tab skipped" },
		{ "\\u0061GVsbG8\\u003D", "hello", "\\u escapes of ASCII" },
		{ "\\u0061GVsbG8\\u003d", "hello", "...in lower case hex" },
		{ "aGVs\\\"bG8=", NULL, "an escaped quote" },
		{ "aGVs\\\\bG8=", NULL, "an escaped backslash" },
		{ "aGVs\\bbG8=", NULL, "an escaped backspace" },
		{ "aGVs\\xbG8=", NULL, "an escape JSON has not" },
		{ "aGVs\\u00e9bG8=", NULL, "\\u beyond ASCII" },
		{ "aGVs\\u0000bG8=", NULL, "\\u0000" },
		{ "aGVs\\u00ZZbG8=", NULL, "\\u with a digit that is not hex" },
		{ "aGVsbG8=\\", NULL, "an escape cut short" },
		{ "aGVsbG8=\\u00", NULL, "a \\u cut short" },
		{ "aGVs\"bG8=", NULL, "a quote" },
		{ "aGVs\nbG8=", NULL, "a raw line end (JSON allows none)" },
		{ "aGV*bG8=", NULL, "outside the alphabet" },
		{ "aGVsbG8", NULL, "cut short" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ok(same_every_cut(t[i].text, 1, t[i].want, t[i].want ?
		    strlen(t[i].want) : 0), "json, every cut: %s", t[i].what);
}

/* Text of all 256 byte values, much longer than a piece: the bytes come
 * back through a small buffer. */
static void
test_long(void)
{
	unsigned char bytes[3 * 256], out[RSO_BASE64_DEC_MAX(64)], *back;
	struct rso_base64_dec d;
	char *text;
	size_t i, n, got, total = 0;
	int same = 1;

	for (i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(i * 7 + i / 256);
	text = rso_base64(bytes, sizeof(bytes));
	n = strlen(text);
	back = malloc(sizeof(bytes));
	rso_base64_dec_init(&d, 1);
	for (i = 0; i < n; i += 64) {
		if (rso_base64_dec_update(&d, text + i, n - i < 64 ? n - i : 64,
		    out, &got) != 0 || total + got > sizeof(bytes)) {
			same = 0;
			break;
		}
		memcpy(back + total, out, got);
		total += got;
	}
	ok(same && rso_base64_dec_final(&d) == 0 && total == sizeof(bytes) &&
	    memcmp(back, bytes, total) == 0,
	    "768 bytes back through pieces of 64 characters");
	rso_base64_dec_init(&d, 0);
	ok(rso_base64_dec_update(&d, "aGV*", 4, out, &got) == -1 &&
	    rso_base64_dec_update(&d, "bG8=", 4, out, &got) == -1 &&
	    rso_base64_dec_final(&d) == -1, "once not clean, it stays so");
	free(back);
	free(text);
}

int
main(void)
{
	test_plain();
	test_json();
	test_long();
	return tap_done();
}
