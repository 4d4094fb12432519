/* rso_csv: RFC 4180 CSV, read as a stream and written safely. */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "rso_csv.h"
#include "rso_jsonl.h"
#include "rso_utf8.h"

struct rso_csv {
	FILE *fp;
	unsigned long line;	/* physical lines read */
	unsigned long start;	/* line the last record began on */
	char **fields;
	size_t nfields, cap;
	char *buf;		/* the current field */
	size_t len, bufcap;
	int first;
};

struct rso_csv *
rso_csv_open(FILE *fp)
{
	struct rso_csv *c = rso_xcalloc(1, sizeof(*c));

	c->fp = fp;
	c->first = 1;
	return c;
}

static void
clear_fields(struct rso_csv *c)
{
	size_t i;

	for (i = 0; i < c->nfields; i++)
		free(c->fields[i]);
	c->nfields = 0;
}

void
rso_csv_close(struct rso_csv *c)
{
	if (c == NULL)
		return;
	clear_fields(c);
	free(c->fields);
	free(c->buf);
	free(c);
}

unsigned long
rso_csv_line(const struct rso_csv *c)
{
	return c->start;
}

static int
put(struct rso_csv *c, int ch)
{
	if (c->len >= RSO_CSV_MAXFIELD)
		return -1;
	if (c->len + 2 > c->bufcap) {
		c->bufcap = c->bufcap ? c->bufcap * 2 : 256;
		c->buf = rso_xrealloc(c->buf, c->bufcap);
	}
	c->buf[c->len++] = (char)ch;
	return 0;
}

static int
end_field(struct rso_csv *c, struct rso_error *e)
{
	if (c->nfields >= RSO_CSV_MAXFIELDS)
		return rso_error_set(e, EX_DATAERR, "more than %d fields",
		    RSO_CSV_MAXFIELDS);
	if (!rso_utf8_valid(c->buf, c->len))
		return rso_error_set(e, EX_DATAERR, "invalid UTF-8");
	if (c->nfields == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->fields = rso_xrealloc(c->fields, c->cap * sizeof(*c->fields));
	}
	c->fields[c->nfields] = rso_xmalloc(c->len + 1);
	memcpy(c->fields[c->nfields], c->buf ? c->buf : "", c->len);
	c->fields[c->nfields++][c->len] = '\0';
	c->len = 0;
	return 0;
}

/*
 * After a bad record: drop the rest of its physical line.  (The line count
 * goes up as each record begins, so the newline is not counted here.)
 */
static void
skip_line(struct rso_csv *c, int ch)
{
	while (ch != EOF && ch != '\n')
		ch = getc(c->fp);
}

int
rso_csv_next(struct rso_csv *c, char ***fields, size_t *n,
    struct rso_error *e)
{
	enum { START, PLAIN, QUOTED, AFTER } st = START;
	int ch, rc = 0;

	clear_fields(c);
	c->len = 0;
	if (c->first) {
		c->first = 0;
		if ((ch = getc(c->fp)) == 0xef) {
			if (getc(c->fp) != 0xbb || getc(c->fp) != 0xbf) {
				c->start = ++c->line;
				rso_error_set(e, EX_DATAERR, "invalid UTF-8");
				skip_line(c, 0xef);
				return -1;
			}
		} else if (ch != EOF)
			ungetc(ch, c->fp);
	}
	ch = getc(c->fp);
	if (ch == EOF)
		return 0;
	c->start = ++c->line;
	for (;; ch = getc(c->fp)) {
		if (ch == '\0') {
			rso_error_set(e, EX_DATAERR, "NUL byte");
			skip_line(c, ch);
			return -1;
		}
		switch (st) {
		case START:
		case PLAIN:
			if (ch == '"' && st == START) {
				st = QUOTED;
				continue;
			}
			if (ch == '"') {
				rso_error_set(e, EX_DATAERR,
				    "quote inside an unquoted field");
				skip_line(c, ch);
				return -1;
			}
			if (ch == ',' || ch == '\n' || ch == EOF) {
				/* CRLF: the CR belongs to the line end. */
				if (ch != ',' && c->len && c->buf[c->len - 1] == '\r')
					c->len--;
				if ((rc = end_field(c, e)) != 0) {
					skip_line(c, ch == ',' ? getc(c->fp) : ch);
					return -1;
				}
				if (ch == ',') {
					st = START;
					continue;
				}
				goto done;
			}
			st = PLAIN;
			if (put(c, ch) != 0)
				goto toolong;
			break;
		case QUOTED:
			if (ch == EOF) {
				rso_error_set(e, EX_DATAERR,
				    "unterminated quoted field");
				return -1;
			}
			if (ch == '"') {
				st = AFTER;
				continue;
			}
			if (ch == '\n')
				c->line++;
			if (put(c, ch) != 0)
				goto toolong;
			break;
		case AFTER:
			if (ch == '"') {
				st = QUOTED;
				if (put(c, '"') != 0)
					goto toolong;
				continue;
			}
			if (ch == '\r') {
				ch = getc(c->fp);
				if (ch != '\n') {
					rso_error_set(e, EX_DATAERR,
					    "text after a closing quote");
					skip_line(c, ch);
					return -1;
				}
			}
			if (ch == ',' || ch == '\n' || ch == EOF) {
				if ((rc = end_field(c, e)) != 0) {
					skip_line(c, ch == ',' ? getc(c->fp) : ch);
					return -1;
				}
				if (ch == ',') {
					st = START;
					continue;
				}
				goto done;
			}
			rso_error_set(e, EX_DATAERR, "text after a closing quote");
			skip_line(c, ch);
			return -1;
		}
	}
done:
	*fields = c->fields;
	*n = c->nfields;
	return 1;
toolong:
	rso_error_set(e, EX_DATAERR, "field longer than 1 MiB");
	skip_line(c, getc(c->fp));
	return -1;
}

static int
is_list(const char *name, const char *const *lists)
{
	for (; lists && *lists; lists++)
		if (strcmp(*lists, name) == 0)
			return 1;
	return 0;
}

int
rso_csv_header_check(char **h, size_t n, struct rso_error *e)
{
	size_t i, j, li;

	for (i = 0; i < n; i++) {
		if (h[i][0] == '\0' || h[i][0] == '.' ||
		    h[i][strlen(h[i]) - 1] == '.' || strstr(h[i], ".."))
			return rso_error_set(e, EX_DATAERR, "header: column %zu: "
			    "not a name", i + 1);
		for (j = 0; j < i; j++) {
			if (strcmp(h[i], h[j]) == 0)
				return rso_error_set(e, EX_DATAERR, "header: "
				    "column %zu: repeats column %zu", i + 1, j + 1);
			/* "a" and "a.b": a value cannot also be an object. */
			li = strlen(h[j]);
			if ((strncmp(h[i], h[j], li) == 0 && h[i][li] == '.') ||
			    (strncmp(h[j], h[i], strlen(h[i])) == 0 &&
			    h[j][strlen(h[i])] == '.'))
				return rso_error_set(e, EX_DATAERR, "header: "
				    "column %zu: conflicts with column %zu", i + 1,
				    j + 1);
		}
	}
	return 0;
}

/* Put v at a dotted path in obj, creating objects on the way. */
static int
set_path(json_t *obj, const char *path, json_t *v, struct rso_error *e,
    size_t col)
{
	char *copy = rso_xstrdup(path), *dot, *key = copy;
	json_t *next;

	while ((dot = strchr(key, '.')) != NULL) {
		*dot = '\0';
		next = json_object_get(obj, key);
		if (next == NULL) {
			next = json_object();
			json_object_set_new(obj, key, next);
		} else if (!json_is_object(next)) {
			free(copy);
			json_decref(v);
			return rso_error_set(e, EX_DATAERR, "column %zu: conflicts "
			    "with another column", col);
		}
		obj = next;
		key = dot + 1;
	}
	json_object_set_new(obj, key, v);
	free(copy);
	return 0;
}

/* "questions.2" when "questions" is a list: the base and the index. */
static int
list_index(const char *name, const char *const *lists, char *base,
    size_t n, long *idx)
{
	const char *dot = strrchr(name, '.');
	char *end;

	if (dot == NULL || (size_t)(dot - name) >= n)
		return 0;
	snprintf(base, n, "%.*s", (int)(dot - name), name);
	if (!is_list(base, lists))
		return 0;
	*idx = strtol(dot + 1, &end, 10);
	return *end == '\0' && *idx >= 0 && *idx < 1000;
}

static json_t *
split_list(const char *cell)
{
	json_t *a = json_array();
	const char *p = cell, *bar;

	for (;;) {
		bar = strchr(p, '|');
		if (bar == NULL) {
			if (*p)
				json_array_append_new(a, json_string(p));
			break;
		}
		if (bar > p)
			json_array_append_new(a, json_stringn(p, (size_t)(bar - p)));
		p = bar + 1;
	}
	return a;
}

json_t *
rso_csv_to_json(char **h, size_t nh, char **f, size_t n,
    const char *const *lists, struct rso_error *e)
{
	json_t *obj = json_object(), *arr;
	char base[256];
	size_t i;
	long idx;

	if (n > nh) {
		rso_error_set(e, EX_DATAERR, "%zu cells under a header of %zu",
		    n, nh);
		json_decref(obj);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (f[i][0] == '\0')
			continue;
		if (list_index(h[i], lists, base, sizeof(base), &idx)) {
			arr = rso_json_path(obj, base);
			if (arr == NULL) {
				arr = json_array();
				if (set_path(obj, base, arr, e, i + 1) != 0)
					goto fail;
			}
			/* A gap stays an empty string, which checks refuse. */
			while ((long)json_array_size(arr) <= idx)
				json_array_append_new(arr, json_string(""));
			json_array_set_new(arr, (size_t)idx, json_string(f[i]));
			continue;
		}
		if (set_path(obj, h[i], is_list(h[i], lists) ? split_list(f[i]) :
		    json_string(f[i]), e, i + 1) != 0)
			goto fail;
	}
	return obj;
fail:
	json_decref(obj);
	return NULL;
}

/* A plain decimal number: an optional sign, digits, at most one point. */
static int
is_number(const char *s)
{
	int digits = 0, point = 0;

	if (*s == '-' || *s == '+')
		s++;
	for (; *s; s++) {
		if (isdigit((unsigned char)*s))
			digits++;
		else if (*s == '.' && !point)
			point = 1;
		else
			return 0;
	}
	return digits > 0;
}

void
rso_csv_cell(FILE *fp, const char *s, int first)
{
	size_t n = strlen(s);
	int risky = strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0' &&
	    !is_number(s);
	int quote = risky || strpbrk(s, ",\"\r\n") != NULL ||
	    (n > 0 && (s[0] == ' ' || s[n - 1] == ' '));

	if (!first)
		putc(',', fp);
	if (!quote) {
		fputs(s, fp);
		return;
	}
	putc('"', fp);
	if (risky)
		putc('\'', fp);
	for (; *s; s++) {
		if (*s == '"')
			putc('"', fp);
		putc(*s, fp);
	}
	putc('"', fp);
}

void
rso_csv_end(FILE *fp)
{
	fputs("\r\n", fp);
}

static void
free_header(char **header, size_t nh)
{
	size_t i;

	for (i = 0; i < nh; i++)
		free(header[i]);
	free(header);
}

/* The header row, copied (records reuse the reader's buffers). */
static int
csv_header(struct rso_csv *c, const char *path, char ***header, size_t *nh)
{
	struct rso_error e;
	char **f;
	size_t n;
	int rc = rso_csv_next(c, &f, &n, &e);

	*header = NULL;
	*nh = 0;
	if (rc == 1) {
		*header = rso_xcalloc(n, sizeof(**header));
		for (*nh = 0; *nh < n; (*nh)++)
			(*header)[*nh] = rso_xstrdup(f[*nh]);
		if (rso_csv_header_check(*header, *nh, &e) == 0)
			return 0;
		free_header(*header, *nh);
		*header = NULL;
		*nh = 0;
	} else if (rc == 0)
		rso_error_set(&e, EX_DATAERR, "header: missing");
	rso_warnx("%s:1: %s", path, e.msg);
	return EX_DATAERR;
}

static int
csv_records(struct rso_csv *c, const char *path, char **header, size_t nh,
    const char *const *lists, rso_csv_fn *fn, void *ctx)
{
	char **f, where[300];
	struct rso_error e;
	json_t *obj;
	size_t n;
	int rc, status = 0;

	while ((rc = rso_csv_next(c, &f, &n, &e)) != 0) {
		snprintf(where, sizeof(where), "%s:%lu", path, rso_csv_line(c));
		if (rc < 0 || (obj = rso_csv_to_json(header, nh, f, n, lists,
		    &e)) == NULL) {
			rso_warnx("%s: %s", where, e.msg);
			rso_status_set(&status, EX_DATAERR);
			continue;
		}
		if ((rc = fn(obj, where, ctx)) != 0)
			rso_status_set(&status, rc);
		json_decref(obj);
	}
	return status;
}

int
rso_csv_each(const char *path, const char *const *lists, rso_csv_fn *fn,
    void *ctx)
{
	struct rso_csv *c;
	char **header;
	size_t nh;
	FILE *fp;
	int status;

	if (strcmp(path, "-") == 0) {
		fp = stdin;
		path = "stdin";	/* named as rso_jsonl names it */
	} else if ((fp = fopen(path, "r")) == NULL) {
		rso_warn("%s", path);
		return EX_NOINPUT;
	}
	c = rso_csv_open(fp);
	if ((status = csv_header(c, path, &header, &nh)) == 0) {
		status = csv_records(c, path, header, nh, lists, fn, ctx);
		free_header(header, nh);
	}
	if (ferror(fp)) {
		rso_warn("%s", path);
		rso_status_set(&status, EX_IOERR);
	}
	rso_csv_close(c);
	if (fp != stdin)
		fclose(fp);
	return status;
}
