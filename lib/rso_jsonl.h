/* rso_jsonl: JSON lines in and out, one object a line. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_JSONL_H
#define RSO_JSONL_H

#include <stdio.h>
#include <jansson.h>

/* Longest line accepted; a longer one is an error for that line only. */
#define RSO_JSONL_MAXLINE (1024 * 1024)

struct rso_jsonl;

/*
 * Read JSON lines from fp, naming it name in diagnostics ("stdin" for
 * standard input, as DESIGN.md shows).  The reader does not close fp.
 */
struct rso_jsonl *rso_jsonl_open(FILE *fp, const char *name);
void rso_jsonl_close(struct rso_jsonl *r);

/*
 * The next object.  Returns 1 and a new reference in *obj; 0 at end of
 * input; -1 for a line that cannot be used (not UTF-8, not JSON, not an
 * object, too long, or a read error), which has already been reported as
 * "PROG: NAME:LINE: what" without quoting the line (it may hold patient
 * data).  Blank lines are skipped.  After -1 the caller goes on reading;
 * after a read error the next call returns 0.
 */
int rso_jsonl_next(struct rso_jsonl *r, json_t **obj);

/* Line number of the object last returned (1-based) and the source name. */
unsigned long rso_jsonl_line(const struct rso_jsonl *r);
const char *rso_jsonl_name(const struct rso_jsonl *r);
/* Whether a read error (not a bad line) ended the input. */
int rso_jsonl_ioerror(const struct rso_jsonl *r);

/*
 * Whether the next line has not arrived yet: nothing to read on the
 * descriptor now (a pipe or terminal whose writer is slower than us).  A
 * file is never waiting.  It may say so while a line is still buffered:
 * for a writer holding something open until more comes (a batch), a
 * moment too early, never too late.
 */
int rso_jsonl_waiting(const struct rso_jsonl *r);

/*
 * Call fn on every object of every operand (a path, or "-" for stdin; no
 * operands means stdin, with rso_note_stdin() for a person at a
 * terminal).  A missing file is reported and yields EX_NOINPUT; a bad
 * line yields EX_DATAERR; fn's non-zero return is kept as the status too
 * (the first non-zero status wins) and reading goes on.  Returns 0 or that
 * status.
 */
typedef int rso_jsonl_fn(json_t *obj, struct rso_jsonl *r, void *ctx);
int rso_jsonl_each(int argc, char **argv, rso_jsonl_fn *fn, void *ctx);

/*
 * Write obj as one compact line (members in insertion order, UTF-8 kept)
 * to fp.  Returns 0, or EX_IOERR when the write failed.
 */
int rso_jsonl_write(FILE *fp, const json_t *obj);

/*
 * What is wrong with a text jansson would not parse, in words that never
 * quote it (jansson's own text can hold the input, and so patient data):
 * "invalid UTF-8", "duplicate member name", "NUL character in string" or
 * "invalid JSON at column N", into buf (n bytes).  Returns buf.
 */
const char *rso_json_error_words(const json_error_t *err, char *buf,
    size_t n);

/*
 * The canonical form used for hashing and comparison: compact, keys sorted
 * at every level, non-ASCII escaped, so equal values give equal bytes.
 * Returns a malloc'd string.
 */
char *rso_json_canonical(const json_t *v);

/*
 * Where v (an input line) holds a control character it may not: path gets
 * the first such member's dotted path ("patient.name", "questions.1";
 * for a member name, its parent's path and " (member name)") and 1 is
 * returned; 0 when there is none.  Control characters are C0 (U+0000 to
 * U+001F), DEL and C1 (U+0080 to U+009F); one-line text may hold none.
 * The members documented as multi-line text -- "questions", "comment",
 * "comments", "note", "notes", at any depth, and what they hold -- may
 * hold TAB, LF and CR, and no other.
 */
int rso_json_find_control(const json_t *v, char *path, size_t n);

/* Whether the string s holds a control character, by the same rules:
 * multiline allows tab, LF and CR. */
int rso_text_has_control(const char *s, int multiline);

/*
 * Make every string in v safe to print on a terminal, in place: each
 * control character but tab and line feed (C0, DEL, C1) becomes '?'.
 * For text meant for a person, of data stored before such characters
 * were refused at input.
 */
void rso_json_visible(json_t *v);

/*
 * A JSON string of s, a name from outside (a file's, a member's, a
 * folder's) in bytes of any set: as it is when it is UTF-8, else with
 * U+FFFD for each byte that is no character (rso_utf8_repair).  Never
 * NULL, so json_pack's "o" takes it where "s" would fail and lose the
 * whole object.
 */
json_t *rso_json_text(const char *s);

/* obj["a"]["b"]... for a dotted path "a.b"; NULL when absent. */
json_t *rso_json_path(const json_t *obj, const char *path);

/* The string at path, or NULL when absent or not a string. */
const char *rso_json_str(const json_t *obj, const char *path);

/* Append line, compact and in insertion order, and a newline to the
 * malloc'd buffer *text of *len bytes (a small entry being gathered). */
void rso_jsonl_buf_add(char **text, size_t *len, const json_t *line);

#endif
