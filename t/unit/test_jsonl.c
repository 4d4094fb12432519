/* Unit tests for rso_jsonl: reading lines, diagnostics, canonical JSON. */
/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rso_err.h"
#include "rso_jsonl.h"
#include "rso_utf8.h"
#include "capture.h"
#include "tap.h"

/*
 * One stream holding every kind of line, each bad one carrying the marker
 * ZZPHI, which must never reach a diagnostic.  want is 1 (an object with
 * member "n" equal to line), -1 (a bad line, with msg), or 0 (skipped).
 */
static const char stream[] =
    "{\"n\":1,\"who\":\"ZZPHI\"}\n"			/* 1 */
    "\n"						/* 2 blank */
    "{\"x\":\"ZZPHI\xc0\xaf\"}\n"			/* 3 overlong '/' */
    "{\"x\":\"ZZPHI\x80\"}\n"				/* 4 lone continuation */
    "{\"x\":\"ZZPHI\xed\xa0\x80\"}\n"			/* 5 surrogate D800 */
    "{\"x\": ZZPHI}\n"					/* 6 not JSON */
    "[\"ZZPHI\",2]\n"					/* 7 an array */
    "{\"ZZPHI\":1,\"ZZPHI\":2}\n"			/* 8 duplicate keys */
    "{\"x\":\"ZZPHI\\u0000\"}\n"			/* 9 escaped NUL */
    " \t \n"						/* 10 blank */
    "{\"n\":11,\"who\":\"ZZPHI \xc3\xa9\"}\r\n"		/* 11 CRLF, UTF-8 */
    "\r\n"						/* 12 blank CRLF */
    "{\"k\":\"ZZPHI\"\n"				/* 13 unterminated */
    "\"ZZPHI\"\n"					/* 14 a string */
    "{\"x\":\"ZZPHI\xf4\x90\x80\x80\"}\n"		/* 15 past U+10FFFF */
    "{\"x\":\"ZZPHI\xe2\x82\"}\n"			/* 16 truncated */
    "{\"x\":\"ZZPHI\0\"}\n"				/* 17 raw NUL byte */
    "{\"x\":1}{\"ZZPHI\":2}\n"				/* 18 two objects */
    "42\n"						/* 19 a number */
    "null\n"						/* 20 null */
    "{\"n\":21}";					/* 21 no final newline */

static const struct { int want; const char *msg; } expect[] = {
	{ 1, NULL },
	{ -1, "name:3: invalid UTF-8" },
	{ -1, "name:4: invalid UTF-8" },
	{ -1, "name:5: invalid UTF-8" },
	{ -1, "name:6: invalid JSON at column 11" },
	{ -1, "name:7: not a JSON object" },
	{ -1, "name:8: duplicate member name" },
	{ -1, "name:9: NUL character in string" },
	{ 1, NULL },
	{ -1, "name:13: invalid JSON at column 12" },
	{ -1, "name:14: not a JSON object" },
	{ -1, "name:15: invalid UTF-8" },
	{ -1, "name:16: invalid UTF-8" },
	{ -1, "name:17: invalid JSON at column 11" },
	{ -1, "name:18: invalid JSON at column 8" },
	{ -1, "name:19: not a JSON object" },
	{ -1, "name:20: not a JSON object" },
	{ 1, NULL },
};
static const unsigned long expect_line[] = {
	1, 3, 4, 5, 6, 7, 8, 9, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21,
};

/* An object line {"k":"aaa..."} of exactly len bytes, then a newline. */
static char *
long_line(size_t len, const char *eol)
{
	char *s = malloc(len + strlen(eol) + 1);

	memset(s, 'a', len);
	memcpy(s, "{\"k\":\"", 6);
	memcpy(s + len - 2, "\"}", 2);
	strcpy(s + len, eol);
	return s;
}

/* Read every line of buf, counting results, and return the stderr text. */
static char *
read_all(const char *buf, size_t len, int *objs, int *bad,
    unsigned long *lines, size_t nlines)
{
	FILE *fp = fmemopen((void *)buf, len, "r");
	struct rso_jsonl *r = rso_jsonl_open(fp, "name");
	json_t *o;
	size_t i = 0;
	int rc;

	*objs = *bad = 0;
	capture_start();
	while ((rc = rso_jsonl_next(r, &o)) != 0) {
		if (rc > 0) {
			(*objs)++;
			json_decref(o);
		} else
			(*bad)++;
		if (i < nlines)
			lines[i++] = rso_jsonl_line(r);
	}
	rso_jsonl_close(r);
	fclose(fp);
	return capture_end();
}

struct seen {
	int n;
	char log[1024];
	int fail_at;		/* return EX_CANTCREAT for this call (1-based) */
};

static int
each_fn(json_t *obj, struct rso_jsonl *r, void *ctx)
{
	struct seen *sn = ctx;
	size_t l = strlen(sn->log);

	(void)obj;
	sn->n++;
	snprintf(sn->log + l, sizeof(sn->log) - l, "%s:%lu ",
	    rso_jsonl_name(r), rso_jsonl_line(r));
	return sn->n == sn->fail_at ? EX_CANTCREAT : 0;
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	fputs(text, fp);
	fclose(fp);
}

static void
test_stream(void)
{
	FILE *fp = fmemopen((void *)stream, sizeof(stream) - 1, "r");
	struct rso_jsonl *r = rso_jsonl_open(fp, "name");
	char want[128], *err, *p;
	json_t *o;
	size_t i;
	int rc;

	is_str(rso_jsonl_name(r), "name", "the reader keeps its name");
	for (i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		o = NULL;
		capture_start();
		rc = rso_jsonl_next(r, &o);
		err = capture_end();
		is_int(rc, expect[i].want, "line %lu: next returns %d",
		    expect_line[i], expect[i].want);
		is_int(rso_jsonl_line(r), expect_line[i],
		    "line %lu: the line number counts skipped and bad lines",
		    expect_line[i]);
		if (expect[i].want > 0) {
			is_int(json_integer_value(json_object_get(o, "n")),
			    expect_line[i], "line %lu: the right object",
			    expect_line[i]);
			is_str(err, "", "line %lu: no diagnostic", expect_line[i]);
		} else {
			snprintf(want, sizeof(want), "test_jsonl: %s\n",
			    expect[i].msg);
			is_str(err, want, "line %lu: the diagnostic",
			    expect_line[i]);
		}
		ok(strstr(err, "ZZPHI") == NULL,
		    "line %lu: no input text in the diagnostic", expect_line[i]);
		free(err);
		json_decref(o);
	}
	capture_start();
	is_int(rso_jsonl_next(r, &o), 0, "end of input gives 0");
	is_int(rso_jsonl_next(r, &o), 0, "and again");
	err = capture_end();
	is_str(err, "", "end of input is silent");
	free(err);
	is_int(rso_jsonl_ioerror(r), 0, "no read error");
	rso_jsonl_close(r);
	fclose(fp);

	/* The CRLF line's string has no CR and keeps its é. */
	p = strstr(stream, "{\"n\":11");
	fp = fmemopen(p, strchr(p, '\n') - p + 1, "r");
	r = rso_jsonl_open(fp, "crlf");
	ok(rso_jsonl_next(r, &o) == 1, "a CRLF line reads");
	is_str(json_string_value(json_object_get(o, "who")), "ZZPHI \xc3\xa9",
	    "its string keeps its UTF-8 and no CR");
	json_decref(o);
	rso_jsonl_close(r);
	fclose(fp);
}

static void
test_long_lines(void)
{
	const size_t max = RSO_JSONL_MAXLINE;
	static const struct {
		size_t len;
		const char *eol;
		int ok;
		const char *what;
	} t[] = {
		{ RSO_JSONL_MAXLINE, "\n", 1, "a line of exactly the limit" },
		{ RSO_JSONL_MAXLINE, "\r\n", 1, "the limit plus CRLF" },
		{ RSO_JSONL_MAXLINE, "", 1, "the limit at end of input" },
		{ RSO_JSONL_MAXLINE - 1, "\n", 1, "one under the limit" },
		{ RSO_JSONL_MAXLINE + 1, "\n", 0, "one byte over the limit" },
		{ RSO_JSONL_MAXLINE + 1, "\r\n", 0, "one over, with CRLF" },
		{ RSO_JSONL_MAXLINE + 2, "\n", 0, "two bytes over the limit" },
		{ RSO_JSONL_MAXLINE + 1, "", 0, "one over at end of input" },
		{ 3 * RSO_JSONL_MAXLINE, "\n", 0, "three times the limit" },
	};
	unsigned long lines[4];
	char want[128], *line, *buf, *err;
	size_t i, n;
	int objs, bad;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		line = long_line(t[i].len, t[i].eol);
		n = strlen(line);
		buf = malloc(n + 64);
		memcpy(buf, "{\"n\":1}\n", 8);
		memcpy(buf + 8, line, n);
		if (*t[i].eol)
			n += 8 + (size_t)sprintf(buf + 8 + n, "{\"n\":3}\n");
		else
			n += 8;
		err = read_all(buf, n, &objs, &bad, lines, 4);
		if (t[i].ok) {
			is_int(objs, *t[i].eol ? 3 : 2, "%s is accepted", t[i].what);
			is_int(bad, 0, "%s: nothing rejected", t[i].what);
			is_str(err, "", "%s: no diagnostic", t[i].what);
		} else {
			is_int(objs, *t[i].eol ? 2 : 1,
			    "%s is rejected, its neighbours read", t[i].what);
			is_int(bad, 1, "%s: one line rejected", t[i].what);
			snprintf(want, sizeof(want), "test_jsonl: name:2: line "
			    "longer than %zu bytes\n", max);
			is_str(err, want, "%s: the diagnostic", t[i].what);
			is_int(lines[1], 2, "%s: reported on its line", t[i].what);
			if (*t[i].eol)
				is_int(lines[2], 3, "%s: the next line is line 3",
				    t[i].what);
		}
		free(err);
		free(buf);
		free(line);
	}
}

/* Text that is UTF-8, and text made so byte by byte. */
static void
test_utf8(void)
{
	static const char *const good[] = { "", "abc", "caf\xc3\xa9",
	    "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf" };
	static const char *const bad[] = { "\xff", "caf\xe9", "\xed\xa0\x80",
	    "\xc0\xaf", "\xe2\x82", "\xf4\x90\x80\x80", "ok\x80" };
	char out[64];
	json_t *v;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(rso_utf8_valid(good[i], strlen(good[i])),
		    "UTF-8: good %zu", i);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(!rso_utf8_valid(bad[i], strlen(bad[i])),
		    "not UTF-8: bad %zu", i);
	rso_utf8_repair("a\xff" "b", 3, out);
	is_str(out, "a\xef\xbf\xbd" "b",
	    "a byte that starts nothing is U+FFFD");
	rso_utf8_repair("\xe2\x82", 2, out);
	is_str(out, "\xef\xbf\xbd\xef\xbf\xbd",
	    "a sequence cut short is U+FFFD a byte");
	rso_utf8_repair("caf\xc3\xa9", 5, out);
	is_str(out, "caf\xc3\xa9", "UTF-8 stays as it is");
	v = rso_json_text("caf\xe9");
	is_str(json_string_value(v), "caf\xef\xbf\xbd",
	    "a name's JSON string: a byte that is no character is U+FFFD");
	json_decref(v);
	v = rso_json_text("caf\xc3\xa9");
	is_str(json_string_value(v), "caf\xc3\xa9",
	    "a name's JSON string: UTF-8 as it is");
	json_decref(v);
}

/* A file is never waiting, even at its end; a pipe with nothing in it is. */
static void
test_waiting(void)
{
	struct rso_jsonl *r;
	FILE *fp, *in;
	json_t *o;
	int fd[2];

	fp = tmpfile();
	fputs("{\"n\":1}\n", fp);
	rewind(fp);
	r = rso_jsonl_open(fp, "file");
	ok(!rso_jsonl_waiting(r),
	    "a file is not waiting before its first line");
	is_int(rso_jsonl_next(r, &o), 1, "the file's line is read");
	json_decref(o);
	ok(!rso_jsonl_waiting(r), "nor at its end");
	rso_jsonl_close(r);
	fclose(fp);

	if (pipe(fd) != 0) {
		ok(0, "pipe");
		return;
	}
	in = fdopen(fd[0], "r");
	r = rso_jsonl_open(in, "pipe");
	ok(rso_jsonl_waiting(r), "an empty pipe is waiting");
	if (write(fd[1], "{\"n\":1}\n", 8) != 8)
		ok(0, "write to the pipe");
	ok(!rso_jsonl_waiting(r), "a pipe with a line in it is not");
	close(fd[1]);
	rso_jsonl_close(r);
	fclose(in);
}

static void
test_ioerror(void)
{
	char tmpl[] = "/tmp/test_jsonl.XXXXXX", *err, *dir;
	struct rso_jsonl *r;
	struct seen sn = { 0 };
	char *args[1];
	json_t *o;
	FILE *fp;
	int rc;

	/* Reading a directory fails with EISDIR: a read error, not a bad line. */
	dir = mkdtemp(tmpl);
	fp = fopen(dir, "r");
	if (fp == NULL) {
		ok(1, "# skip cannot open a directory as a stream");
		return;
	}
	r = rso_jsonl_open(fp, "dir");
	capture_start();
	rc = rso_jsonl_next(r, &o);
	err = capture_end();
	is_int(rc, -1, "a read error returns -1");
	is_str(err, "test_jsonl: dir:1: Is a directory\n",
	    "a read error names the source, the line and strerror");
	ok(rso_jsonl_ioerror(r), "ioerror is set after a read error");
	is_int(rso_jsonl_next(r, &o), 0, "after a read error the next call is 0");
	free(err);
	rso_jsonl_close(r);
	fclose(fp);

	args[0] = dir;
	capture_start();
	rc = rso_jsonl_each(1, args, each_fn, &sn);
	err = capture_end();
	is_int(rc, EX_IOERR, "each: a read error gives EX_IOERR");
	free(err);
	rmdir(dir);
}

static void
test_each(void)
{
	char tmpl[] = "/tmp/test_jsonl.XXXXXX", *dir, *err, want[2048];
	char a[300], b[300], missing[300];
	struct seen sn;
	char *args[4];
	int rc, fd, saved;

	dir = mkdtemp(tmpl);
	snprintf(a, sizeof(a), "%s/a.jsonl", dir);
	snprintf(b, sizeof(b), "%s/b.jsonl", dir);
	snprintf(missing, sizeof(missing), "%s/missing.jsonl", dir);
	write_file(a, "{\"n\":1}\n\n{\"n\":3}\n");
	write_file(b, "{\"n\":1}\nnot json ZZPHI\n{\"n\":3}\n");

	memset(&sn, 0, sizeof(sn));
	args[0] = missing;
	args[1] = a;
	capture_start();
	rc = rso_jsonl_each(2, args, each_fn, &sn);
	err = capture_end();
	is_int(rc, EX_NOINPUT, "each: a missing file gives EX_NOINPUT");
	snprintf(want, sizeof(want), "%s:1 %s:3 ", a, a);
	is_str(sn.log, want, "each: the next operand is still read");
	snprintf(want, sizeof(want), "test_jsonl: %s: No such file or "
	    "directory\n", missing);
	is_str(err, want, "each: the missing file is named with strerror");
	free(err);

	memset(&sn, 0, sizeof(sn));
	args[0] = b;
	args[1] = missing;
	args[2] = a;
	capture_start();
	rc = rso_jsonl_each(3, args, each_fn, &sn);
	err = capture_end();
	is_int(rc, EX_DATAERR, "each: the first failure (a bad line) wins");
	snprintf(want, sizeof(want), "%s:1 %s:3 %s:1 %s:3 ", b, b, a, a);
	is_str(sn.log, want, "each: good lines around a bad one go through");
	snprintf(want, sizeof(want), "test_jsonl: %s:2: invalid JSON at column 3\n"
	    "test_jsonl: %s: No such file or directory\n", b, missing);
	is_str(err, want, "each: both failures are reported");
	ok(strstr(err, "ZZPHI") == NULL, "each: no input text in diagnostics");
	free(err);

	memset(&sn, 0, sizeof(sn));
	sn.fail_at = 1;
	args[0] = a;
	args[1] = b;
	capture_start();
	rc = rso_jsonl_each(2, args, each_fn, &sn);
	err = capture_end();
	is_int(rc, EX_CANTCREAT, "each: fn's status is kept, first one wins");
	is_int(sn.n, 4, "each: reading goes on after fn fails");
	free(err);

	memset(&sn, 0, sizeof(sn));
	capture_start();
	rc = rso_jsonl_each(2, args, each_fn, &sn);
	err = capture_end();
	is_int(rc, EX_DATAERR, "each: status is 0 until the bad line");
	free(err);

	/* No operands, and "-": stdin, named "stdin". */
	saved = dup(0);
	fd = open(a, O_RDONLY);
	dup2(fd, 0);
	close(fd);
	memset(&sn, 0, sizeof(sn));
	rc = rso_jsonl_each(0, NULL, each_fn, &sn);
	is_int(rc, 0, "each: stdin with good lines gives 0");
	is_str(sn.log, "stdin:1 stdin:3 ", "each: no operands read stdin");
	clearerr(stdin);
	fd = open(a, O_RDONLY);
	dup2(fd, 0);
	close(fd);
	memset(&sn, 0, sizeof(sn));
	args[0] = "-";
	rc = rso_jsonl_each(1, args, each_fn, &sn);
	is_int(rc, 0, "each: \"-\" gives 0");
	is_str(sn.log, "stdin:1 stdin:3 ", "each: \"-\" reads stdin");
	dup2(saved, 0);
	close(saved);
	clearerr(stdin);

	unlink(a);
	unlink(b);
	rmdir(dir);
}

static void
test_write(void)
{
	json_t *o = json_pack("{s:s, s:i, s:{s:b, s:n}, s:[i,i]}",
	    "z", "caf\xc3\xa9", "a", 1, "m", "y", 1, "x", "l", 1, 2);
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	is_int(rso_jsonl_write(fp, o), 0, "write returns 0");
	is_int(rso_jsonl_write(fp, o), 0, "write again returns 0");
	fclose(fp);
	is_str(buf, "{\"z\":\"caf\xc3\xa9\",\"a\":1,\"m\":{\"y\":true,\"x\":null},"
	    "\"l\":[1,2]}\n{\"z\":\"caf\xc3\xa9\",\"a\":1,\"m\":{\"y\":true,"
	    "\"x\":null},\"l\":[1,2]}\n",
	    "write: compact, insertion order, UTF-8 kept, one a line");
	free(buf);

	if ((fp = fopen("/dev/full", "w")) != NULL) {
		setvbuf(fp, NULL, _IONBF, 0);
		is_int(rso_jsonl_write(fp, o), EX_IOERR,
		    "write to a full device gives EX_IOERR");
		fclose(fp);
	} else
		ok(1, "# skip no /dev/full");
	json_decref(o);
}

/* ---- canonical form against json_dumps, over generated values ---- */

static unsigned long gen_state = 12345;

static unsigned long
gen(unsigned long n)
{
	gen_state = gen_state * 6364136223846793005UL + 1442695040888963407UL;
	return (gen_state >> 33) % n;
}

/* Code point cp as UTF-8 at out; returns the length. */
static size_t
gen_utf8(unsigned long cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A string of every kind of character: controls, escapes, DEL, each
 * length of UTF-8, sometimes a NUL. */
static json_t *
gen_string(void)
{
	static const unsigned long pick[] = { 'a', 'Z', '0', ' ', '"', '\\',
	    '/', '\b', '\f', '\n', '\r', '\t', 0x01, 0x1f, 0x7f, 0x80, 0xe9,
	    0x7ff, 0x800, 0x2028, 0xd7ff, 0xe000, 0xfeff, 0xffff, 0x10000,
	    0x1f600, 0x10ffff, 0 };
	char buf[256];
	size_t len = 0, n = gen(12);
	unsigned long cp;

	while (n-- > 0) {
		cp = gen(3) == 0 ? pick[gen(sizeof(pick) / sizeof(pick[0]))] :
		    gen(2) ? 0x20 + gen(0x5f) : 0x80 + gen(0x10ff80);
		if (cp >= 0xd800 && cp <= 0xdfff)
			cp = 'x';
		len += gen_utf8(cp, buf + len);
	}
	return json_stringn(buf, len);
}

static json_t *
gen_value(int depth)
{
	static const char *const keys[] = { "a", "b", "ab", "a\x01", "B", "_",
	    "\xc3\xa9", "\xf0\x9f\x98\x80", "z\"q", "\\", "ref", "" };
	json_t *v, *k;
	size_t n;

	switch (depth > 3 ? gen(6) : gen(8)) {
	case 0: return json_integer((json_int_t)gen(1UL << 31) -
	    (json_int_t)gen(1UL << 31) * (json_int_t)gen(1UL << 31));
	case 1: return gen(2) ? json_true() : gen(2) ? json_false() :
	    json_null();
	case 2: return gen(20) == 0 ? json_real((double)gen(1000) / 7.0) :
	    json_integer((json_int_t)gen(100));
	case 3: case 4: case 5: return gen_string();
	case 6:
		v = json_array();
		for (n = gen(5); n > 0; n--)
			json_array_append_new(v, gen_value(depth + 1));
		return v;
	default:
		v = json_object();
		for (n = gen(8); n > 0; n--) {
			if (gen(2)) {
				json_object_set_new(v, keys[gen(sizeof(keys) /
				    sizeof(keys[0]))], gen_value(depth + 1));
				continue;
			}
			k = gen_string();
			if (strlen(json_string_value(k)) ==
			    json_string_length(k))
				json_object_set_new(v, json_string_value(k),
				    gen_value(depth + 1));
			json_decref(k);
		}
		return v;
	}
}

static void
test_canonical_dumps(void)
{
	json_t *v;
	char *mine, *theirs;
	int i, same = 0, runs = 20000;

	for (i = 0; i < runs; i++) {
		v = gen_value(0);
		mine = rso_json_canonical(v);
		theirs = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS |
		    JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
		if (theirs != NULL && strcmp(mine, theirs) == 0)
			same++;
		else if (same == i)
			is_str(mine, theirs, "canonical: the first value that "
			    "differs from json_dumps");
		free(mine);
		free(theirs);
		json_decref(v);
	}
	is_int(same, runs, "canonical: json_dumps's bytes for 20,000 "
	    "generated values");
}

static void
test_canonical(void)
{
	json_t *a, *b;
	char *s, *t;

	a = json_loads("{\"b\":{\"z\":1,\"a\":[{\"y\":2,\"x\":1},\"q\"]},"
	    "\"a\":\"\xc3\xa9\xe2\x98\x83\xf0\x9f\x98\x80\",\"c\":null,"
	    "\"d\":\"<tab>\\t\\\"/\\\\\"}", 0, NULL);
	b = json_loads("{\"d\":\"<tab>\\t\\\"/\\\\\",\"c\":null,"
	    "\"a\":\"\\u00e9\\u2603\\ud83d\\ude00\","
	    "\"b\":{\"a\":[{\"x\":1,\"y\":2},\"q\"],\"z\":1}}", 0, NULL);
	s = rso_json_canonical(a);
	t = rso_json_canonical(b);
	/* jansson writes the hex digits in upper case; hashes depend on it. */
	is_str(s, "{\"a\":\"\\u00E9\\u2603\\uD83D\\uDE00\","
	    "\"b\":{\"a\":[{\"x\":1,\"y\":2},\"q\"],\"z\":1},\"c\":null,"
	    "\"d\":\"<tab>\\t\\\"/\\\\\"}",
	    "canonical: keys sorted at every level, non-ASCII escaped");
	is_str(t, s, "canonical: equal values give equal bytes");
	free(s);
	free(t);
	json_decref(a);
	json_decref(b);

	a = json_string("\xc3\xa9");
	s = rso_json_canonical(a);
	is_str(s, "\"\\u00E9\"", "canonical: a bare string");
	free(s);
	json_decref(a);
	a = json_object();
	s = rso_json_canonical(a);
	is_str(s, "{}", "canonical: an empty object");
	free(s);
	json_decref(a);
	a = json_integer(-42);
	s = rso_json_canonical(a);
	is_str(s, "-42", "canonical: a bare number");
	free(s);
	json_decref(a);
}

static void
test_path(void)
{
	json_t *o = json_loads("{\"ref\":\"r1\",\"n\":3,\"patient\":{\"name\":"
	    "\"Jane\",\"address\":{\"country\":\"US\"},\"tags\":[\"a\"]},"
	    "\"\":\"empty\",\"a.b\":\"dotted\"}", 0, NULL);
	char longkey[300];

	is_str(rso_json_str(o, "ref"), "r1", "json_str: a top-level member");
	is_str(rso_json_str(o, "patient.name"), "Jane", "json_str: a.b");
	is_str(rso_json_str(o, "patient.address.country"), "US",
	    "json_str: a.b.c");
	ok(rso_json_str(o, "n") == NULL, "json_str: a number is not a string");
	ok(rso_json_str(o, "patient") == NULL, "json_str: an object is not a "
	    "string");
	ok(rso_json_path(o, "patient") == json_object_get(o, "patient"),
	    "json_path: returns the object itself, not a copy");
	ok(json_is_integer(rso_json_path(o, "n")), "json_path: any type");
	ok(rso_json_path(o, "missing") == NULL, "json_path: absent is NULL");
	ok(rso_json_path(o, "patient.missing") == NULL,
	    "json_path: absent below is NULL");
	ok(rso_json_path(o, "ref.x") == NULL,
	    "json_path: through a string is NULL");
	ok(rso_json_path(o, "patient.tags.0") == NULL,
	    "json_path: through an array is NULL");
	ok(rso_json_path(o, "missing.name") == NULL,
	    "json_path: through an absent member is NULL");
	is_str(rso_json_str(o, ""), "empty", "json_path: the empty key");
	ok(rso_json_path(o, "a.b") == NULL,
	    "json_path: a dot always separates members");
	ok(rso_json_path(NULL, "ref") == NULL, "json_path: NULL object");
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	ok(rso_json_path(o, longkey) == NULL, "json_path: a 299-byte key is "
	    "absent, not a crash");
	json_decref(o);
}

/* Control characters: where one is refused, and where it is not. */
static void
test_control(void)
{
	static const struct {
		const char *json, *path;	/* path NULL: none refused */
	} cases[] = {
		{ "{\"a\":\"plain text, \u00e9 and \u20ac\"}", NULL },
		{ "{\"patient\":{\"name\":\"A\\u001bB\"}}", "patient.name" },
		{ "{\"a\":\"x\\ny\"}", "a" },
		{ "{\"a\":\"x\\u000by\"}", "a" },
		{ "{\"a\":\"x\\u007fy\"}", "a" },
		{ "{\"a\":\"x\\u0085y\"}", "a" },
		{ "{\"a\":[\"ok\",\"x\\ry\"]}", "a.1" },
		{ "{\"questions\":[\"one\\ntwo\\r\\n\\tthree\"]}", NULL },
		{ "{\"questions\":[\"one\\u001btwo\"]}", "questions.0" },
		{ "{\"x\":{\"note\":\"a\\nb\"},\"y\":\"c\\nd\"}", "y" },
		{ "{\"x\":{\"a\\nb\":1}}", "x (member name)" },
	};
	char path[64];
	size_t i;
	json_t *v;
	int found;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = json_loads(cases[i].json, 0, NULL);
		found = rso_json_find_control(v, path, sizeof(path));
		if (cases[i].path == NULL)
			ok(v != NULL && !found, "control: none in %s",
			    cases[i].json);
		else
			ok(v != NULL && found && strcmp(path, cases[i].path) == 0,
			    "control: %s in %s", cases[i].path, cases[i].json);
		json_decref(v);
	}
}

/* Strings made safe to print, in place. */
static void
test_visible(void)
{
	json_t *v = json_pack("{s:s, s:[s]}", "a", "x\033[2J\ty\rz\nw",
	    "b", "p\302\205q \302\242");

	rso_json_visible(v);
	is_str(json_string_value(json_object_get(v, "a")), "x?[2J\ty?z\nw",
	    "visible: ESC and CR become '?', tab and LF stay");
	is_str(json_string_value(json_array_get(json_object_get(v, "b"), 0)),
	    "p? q \302\242", "visible: a C1 character becomes '? ', U+00A2 stays");
	json_decref(v);
}

int
main(int argc, char **argv)
{
	(void)argc;
	rso_setprogname(argv[0]);
	test_stream();
	test_long_lines();
	test_ioerror();
	test_waiting();
	test_utf8();
	test_each();
	test_write();
	test_canonical();
	test_canonical_dumps();
	test_path();
	test_control();
	test_visible();
	return tap_done();
}
