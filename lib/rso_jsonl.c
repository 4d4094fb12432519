/* rso_jsonl: JSON lines in and out, one object a line. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rso_err.h"
#include "rso_jsonl.h"
#include "rso_text.h"
#include "rso_utf8.h"

struct rso_jsonl {
	FILE *fp;
	char *name;
	char *buf;
	size_t cap;
	unsigned long lineno;	/* lines read so far */
	unsigned long objline;	/* line of the object last returned */
	int ioerr;
	int file;		/* a regular file: every line is there */
};

struct rso_jsonl *
rso_jsonl_open(FILE *fp, const char *name)
{
	struct rso_jsonl *r = rso_xcalloc(1, sizeof(*r));
	struct stat st;

	r->fp = fp;
	r->file = fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode);
	r->name = rso_xstrdup(name);
	return r;
}

void
rso_jsonl_close(struct rso_jsonl *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r->name);
	free(r);
}

unsigned long
rso_jsonl_line(const struct rso_jsonl *r)
{
	return r->objline;
}

const char *
rso_jsonl_name(const struct rso_jsonl *r)
{
	return r->name;
}

int
rso_jsonl_waiting(const struct rso_jsonl *r)
{
	struct pollfd p = { .fd = fileno(r->fp), .events = POLLIN };

	/* poll(2) says a file is always ready; skip its system call a line. */
	if (r->file)
		return 0;
	return poll(&p, 1, 0) == 0;
}

int
rso_jsonl_ioerror(const struct rso_jsonl *r)
{
	return r->ioerr;
}

/*
 * Read one line into r->buf, never holding more than the limit: the rest
 * of an over-long line is read and dropped.  Returns the length, -1 at end
 * of input, -2 for an over-long line, -3 for a read error.
 */
static long
read_line(struct rso_jsonl *r)
{
	size_t len = 0;
	int c, toolong = 0;

	if (r->buf == NULL) {
		r->cap = 4096;
		r->buf = rso_xmalloc(r->cap);
	}
	/* Unlocked: one thread reads; the lock was a third of the loop. */
	while ((c = getc_unlocked(r->fp)) != EOF && c != '\n') {
		if (toolong)
			continue;
		if (len + 2 > r->cap) {
			if (r->cap >= RSO_JSONL_MAXLINE + 2) {
				toolong = 1;
				continue;
			}
			r->cap *= 2;
			if (r->cap > RSO_JSONL_MAXLINE + 2)
				r->cap = RSO_JSONL_MAXLINE + 2;
			r->buf = rso_xrealloc(r->buf, r->cap);
		}
		r->buf[len++] = (char)c;
	}
	if (c == EOF && ferror(r->fp))
		return -3;
	if (c == EOF && len == 0 && !toolong)
		return -1;
	r->lineno++;
	if (len > 0 && r->buf[len - 1] == '\r')
		len--;
	/* The buffer keeps one byte past the limit for a CR, no more. */
	if (toolong || len > RSO_JSONL_MAXLINE)
		return -2;
	r->buf[len] = '\0';
	return (long)len;
}

static int
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

int
rso_jsonl_next(struct rso_jsonl *r, json_t **obj)
{
	char path[256];
	json_error_t err;
	char words[64];
	json_t *v;
	long n;

	for (;;) {
		if (r->ioerr)
			return 0;
		n = read_line(r);
		if (n == -1)
			return 0;
		if (n == -3) {
			r->ioerr = 1;
			rso_warn("%s:%lu", r->name, r->lineno + 1);
			return -1;
		}
		r->objline = r->lineno;
		if (n == -2) {
			rso_warnx("%s:%lu: line longer than %d bytes", r->name,
			    r->lineno, RSO_JSONL_MAXLINE);
			return -1;
		}
		if (blank(r->buf, (size_t)n))
			continue;
		/* DECODE_ANY, so that "42" is "not a JSON object" as "[]" is. */
		v = json_loadb(r->buf, (size_t)n,
		    JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
		if (v == NULL) {
			rso_warnx("%s:%lu: %s", r->name, r->lineno,
			    rso_json_error_words(&err, words, sizeof(words)));
			return -1;
		}
		if (!json_is_object(v)) {
			json_decref(v);
			rso_warnx("%s:%lu: not a JSON object", r->name,
			    r->lineno);
			return -1;
		}
		if (rso_json_find_control(v, path, sizeof(path))) {
			json_decref(v);
			rso_warnx("%s:%lu: %s: control character", r->name,
			    r->lineno, path);
			return -1;
		}
		*obj = v;
		return 1;
	}
}

/* Whether s holds a control character that text of its kind may not. */
static int
has_control(const char *s, size_t len, int multiline)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	for (; p < end; p++) {
		if (*p == 0x7f || (*p < 0x20 && !(multiline &&
		    (*p == '\t' || *p == '\n' || *p == '\r'))))
			return 1;
		/* C1: U+0080..U+009F are C2 80..C2 9F in UTF-8. */
		if (*p == 0xc2 && p + 1 < end && p[1] >= 0x80 && p[1] <= 0x9f)
			return 1;
	}
	return 0;
}

static int
multiline_member(const char *k)
{
	/* "items": the staff digest's list, one line an item. */
	static const char *const names[] = { "questions", "comment",
	    "comments", "note", "notes", "items", NULL };
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], k) == 0)
			return 1;
	return 0;
}

/*
 * Write sep and name at path + at, cut to fit n bytes as snprintf would;
 * returns where the path now ends.  Every member of every line passes
 * here, and snprintf for each was a sixth of reading a request.
 */
static size_t
path_append(char *path, size_t n, size_t at, const char *sep,
    const char *name)
{
	size_t ls = strlen(sep), ln = strlen(name);

	if (at + ls + ln < n) {
		memcpy(path + at, sep, ls);
		memcpy(path + at + ls, name, ln + 1);
		return at + ls + ln;
	}
	snprintf(path + at, n - at, "%s%s", sep, name);
	return n - 1;
}

static int
find_control(const json_t *v, int multiline, char *path, size_t n,
    size_t at)
{
	char index[24];
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_string(v)) {
		if (!has_control(json_string_value(v), json_string_length(v),
		    multiline))
			return 0;
		path[at < n ? at : n - 1] = '\0';
		return 1;
	}
	json_object_foreach((json_t *)v, k, x) {
		if (has_control(k, strlen(k), 0)) {
			snprintf(path + at, n - at, "%s(member name)",
			    at ? " " : "");
			return 1;
		}
		if (find_control(x, multiline || multiline_member(k), path, n,
		    path_append(path, n, at, at ? "." : "", k)))
			return 1;
		path[at] = '\0';
	}
	json_array_foreach(v, i, x) {
		snprintf(index, sizeof(index), "%zu", i);
		if (find_control(x, multiline, path, n,
		    path_append(path, n, at, at ? "." : "", index)))
			return 1;
		path[at] = '\0';
	}
	return 0;
}

int
rso_text_has_control(const char *s, int multiline)
{
	return has_control(s, strlen(s), multiline);
}

void
rso_json_visible(json_t *v)
{
	const char *k;
	char *s, *p;
	json_t *x;
	size_t i, len;

	if (json_is_string(v)) {
		len = json_string_length(v);
		if (!has_control(json_string_value(v), len, 1) &&
		    memchr(json_string_value(v), '\r', len) == NULL)
			return;
		s = rso_xmalloc(len + 1);
		memcpy(s, json_string_value(v), len + 1);
		for (p = s; p < s + len; p++)
			if (*p == '\r' || (has_control(p, 1, 1) &&
			    (unsigned char)*p != 0xc2))
				*p = '?';
			else if ((unsigned char)*p == 0xc2 && p + 1 < s + len &&
			    has_control(p, 2, 1)) {
				/* A C1 character: two bytes, one '?' and a space. */
				p[0] = '?';
				p[1] = ' ';
			}
		json_string_setn(v, s, len);
		free(s);
		return;
	}
	json_object_foreach(v, k, x)
		rso_json_visible(x);
	json_array_foreach(v, i, x)
		rso_json_visible(x);
}

int
rso_json_find_control(const json_t *v, char *path, size_t n)
{
	path[0] = '\0';
	return find_control(v, 0, path, n, 0);
}

static int
each_stream(FILE *fp, const char *name, rso_jsonl_fn *fn, void *ctx)
{
	struct rso_jsonl *r = rso_jsonl_open(fp, name);
	json_t *obj;
	int rc, status = 0;

	while ((rc = rso_jsonl_next(r, &obj)) != 0) {
		if (rc < 0) {
			rso_status_set(&status,
			    rso_jsonl_ioerror(r) ? EX_IOERR : EX_DATAERR);
			continue;
		}
		rc = fn(obj, r, ctx);
		json_decref(obj);
		if (rc != 0)
			rso_status_set(&status, rc);
	}
	rso_jsonl_close(r);
	return status;
}

int
rso_jsonl_each(int argc, char **argv, rso_jsonl_fn *fn, void *ctx)
{
	int i, status = 0, rc;
	FILE *fp;

	if (argc == 0) {
		rso_note_stdin("JSON lines");
		return each_stream(stdin, "stdin", fn, ctx);
	}
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0) {
			rc = each_stream(stdin, "stdin", fn, ctx);
		} else if ((fp = fopen(argv[i], "r")) == NULL) {
			rso_warn("%s", argv[i]);
			rc = EX_NOINPUT;
		} else {
			rc = each_stream(fp, argv[i], fn, ctx);
			fclose(fp);
		}
		if (rc != 0)
			rso_status_set(&status, rc);
	}
	return status;
}

int
rso_jsonl_write(FILE *fp, const json_t *obj)
{
	if (fp == stdout)
		rso_live_erase(STDOUT_FILENO);
	if (json_dumpf(obj, fp, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0 ||
	    putc('\n', fp) == EOF)
		return EX_IOERR;
	return 0;
}

/*
 * ---- canonical form ----
 *
 * Written here rather than by json_dumps, which sorted each object's
 * keys through an allocated list and wrote a byte at a time through a
 * callback: a request's canonical text took 23,000 instructions, one
 * twentieth of intake.  The bytes must be json_dumps's to the last one
 * (hashes of stored requests and events are over them), which
 * t/unit/test_jsonl.c checks against it over many generated values; a
 * value holding a real number, whose digits are jansson's business, is
 * left to json_dumps whole.
 */

/* A UTF-16 code unit as \u and four upper-case hex digits, as jansson
 * writes it. */
static void
text_unit(struct rso_text *t, unsigned long u)
{
	static const char hex[] = "0123456789ABCDEF";
	char esc[6] = { '\\', 'u', hex[u >> 12 & 15], hex[u >> 8 & 15],
	    hex[u >> 4 & 15], hex[u & 15] };

	rso_text_add(t, esc, sizeof(esc));
}

/* A string: printable ASCII as it is, the rest escaped; -1 when it is
 * not UTF-8. */
static int
canonical_string(struct rso_text *t, const char *str, size_t len)
{
	const unsigned char *p = (const unsigned char *)str, *end = p + len;
	const unsigned char *run = p;
	uint32_t cp;
	size_t n;

	rso_text_add(t, "\"", 1);
	while (p < end) {
		if (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') {
			p++;
			continue;
		}
		rso_text_add(t, (const char *)run, (size_t)(p - run));
		switch (*p) {
		case '"': rso_text_add(t, "\\\"", 2); break;
		case '\\': rso_text_add(t, "\\\\", 2); break;
		case '\b': rso_text_add(t, "\\b", 2); break;
		case '\f': rso_text_add(t, "\\f", 2); break;
		case '\n': rso_text_add(t, "\\n", 2); break;
		case '\r': rso_text_add(t, "\\r", 2); break;
		case '\t': rso_text_add(t, "\\t", 2); break;
		default:
			if (*p < 0x80) {
				text_unit(t, *p);
				break;
			}
			/* Not UTF-8 (a string made without jansson's
			 * check): json_dumps is left to refuse it. */
			if ((n = rso_utf8_decode(p, (size_t)(end - p), &cp)) ==
			    0)
				return -1;
			p += n - 1;
			if (cp < 0x10000) {
				text_unit(t, cp);
				break;
			}
			cp -= 0x10000;
			text_unit(t, 0xd800 | cp >> 10);
			text_unit(t, 0xdc00 | (cp & 0x3ff));
		}
		run = ++p;
	}
	rso_text_add(t, (const char *)run, (size_t)(p - run));
	rso_text_add(t, "\"", 1);
	return 0;
}

static int
key_order(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* v into t; -1 when it holds a real (or a string that is not UTF-8),
 * which is left to json_dumps. */
static int
canonical_value(struct rso_text *t, const json_t *v)
{
	const char *stack[32], **keys, *k;
	char num[32];
	json_t *x;
	size_t i, n;
	int rc = 0;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		n = json_object_size(v);
		keys = n <= 32 ? stack : rso_xmalloc(n * sizeof(*keys));
		i = 0;
		json_object_foreach((json_t *)v, k, x)
			keys[i++] = k;
		qsort(keys, n, sizeof(*keys), key_order);
		rso_text_add(t, "{", 1);
		for (i = 0; rc == 0 && i < n; i++) {
			if (i > 0)
				rso_text_add(t, ",", 1);
			if ((rc = canonical_string(t, keys[i],
			    strlen(keys[i]))) == 0) {
				rso_text_add(t, ":", 1);
				rc = canonical_value(t, json_object_get(v,
				    keys[i]));
			}
		}
		rso_text_add(t, "}", 1);
		if (keys != stack)
			free(keys);
		return rc;
	case JSON_ARRAY:
		rso_text_add(t, "[", 1);
		json_array_foreach(v, i, x) {
			if (i > 0)
				rso_text_add(t, ",", 1);
			if ((rc = canonical_value(t, x)) != 0)
				return rc;
		}
		rso_text_add(t, "]", 1);
		return 0;
	case JSON_STRING:
		return canonical_string(t, json_string_value(v),
		    json_string_length(v));
	case JSON_INTEGER:
		n = (size_t)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		rso_text_add(t, num, n);
		return 0;
	case JSON_TRUE:
		rso_text_add(t, "true", 4);
		return 0;
	case JSON_FALSE:
		rso_text_add(t, "false", 5);
		return 0;
	case JSON_NULL:
		rso_text_add(t, "null", 4);
		return 0;
	default:
		return -1;
	}
}

char *
rso_json_canonical(const json_t *v)
{
	struct rso_text t = { 0 };
	char *s;

	if (v != NULL && canonical_value(&t, v) == 0)
		return t.p;
	free(t.p);
	s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII |
	    JSON_ENCODE_ANY);
	if (s == NULL)
		rso_diex(EX_OSERR, "json: cannot encode");
	return s;
}

json_t *
rso_json_text(const char *s)
{
	char *shown;
	json_t *v;

	if (rso_utf8_valid(s, strlen(s)))
		return json_string(s);
	shown = rso_utf8_repaired(s);
	v = json_string(shown);
	free(shown);
	return v;
}

json_t *
rso_json_path(const json_t *obj, const char *path)
{
	char key[256];
	const char *dot;
	size_t n;

	while (obj != NULL && json_is_object(obj)) {
		dot = strchr(path, '.');
		n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		obj = json_object_get(obj, key);
		if (dot == NULL)
			return (json_t *)obj;
		path = dot + 1;
	}
	return NULL;
}

const char *
rso_json_str(const json_t *obj, const char *path)
{
	return json_string_value(rso_json_path(obj, path));
}

void
rso_jsonl_buf_add(char **text, size_t *len, const json_t *line)
{
	char *t = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
	size_t n = strlen(t);

	*text = rso_xrealloc(*text, *len + n + 2);
	memcpy(*text + *len, t, n);
	*len += n;
	(*text)[(*len)++] = '\n';
	free(t);
}

const char *
rso_json_error_words(const json_error_t *err, char *buf, size_t n)
{
	/* jansson's text can quote the input; say where, not what. */
	switch (json_error_code(err)) {
	case json_error_invalid_utf8:
		snprintf(buf, n, "invalid UTF-8");
		break;
	case json_error_duplicate_key:
		snprintf(buf, n, "duplicate member name");
		break;
	case json_error_null_character:
		snprintf(buf, n, "NUL character in string");
		break;
	default:
		snprintf(buf, n, "invalid JSON at column %d", err->column);
	}
	return buf;
}
