/* rso_csv: RFC 4180 CSV, read as a stream and written safely. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_CSV_H
#define RSO_CSV_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "rso_err.h"

/* Limits: a field, and a record, over these is refused (not a crash). */
#define RSO_CSV_MAXFIELD (1024 * 1024)
#define RSO_CSV_MAXFIELDS 4096

struct rso_csv;

/*
 * Read CSV from fp: fields separated by commas, records by CRLF or LF,
 * quoted fields may hold commas, quotes (doubled) and line breaks.  A
 * UTF-8 byte order mark before the first record is skipped.
 */
struct rso_csv *rso_csv_open(FILE *fp);
void rso_csv_close(struct rso_csv *c);

/*
 * The next record: returns 1 with *fields (valid until the next call) and
 * *n set; 0 at the end; -1 for a record that cannot be used, with the
 * reason in e ("unterminated quoted field", "quote inside an unquoted
 * field", "text after a closing quote", "field longer than 1 MiB", "more
 * than 4096 fields", "invalid UTF-8", "NUL byte"), after which reading
 * goes on at the next line.  rso_csv_line is the physical line on which
 * the record (last returned or refused) began.
 */
int rso_csv_next(struct rso_csv *c, char ***fields, size_t *n,
    struct rso_error *e);
unsigned long rso_csv_line(const struct rso_csv *c);

/*
 * A record as a JSON object under a header of dotted names:
 * "patient.birth_date" nests as {"patient":{"birth_date":...}}.  Empty
 * cells are left out.  Columns named in lists ("questions") are arrays:
 * the cell is split on '|' ("a|b"), and "questions.1" style columns add
 * to the array at that index.  A record with more cells than the header
 * is refused.  Returns the object, or NULL with the reason in e.
 */
json_t *rso_csv_to_json(char **header, size_t nh, char **fields, size_t n,
    const char *const *lists, struct rso_error *e);

/*
 * Check a header row: no empty or repeated names, no name that is both a
 * value and an object ("a" and "a.b").  Returns 0 or EX_DATAERR.
 */
int rso_csv_header_check(char **header, size_t n, struct rso_error *e);

/*
 * Each record of the CSV file at path ("-" for stdin) as the JSON object
 * rso_csv_to_json makes under the file's header row, handed to fn with
 * where ("FILE:LINE", "stdin:LINE" for "-", the line the record began on).  A bad record or
 * header is reported and yields EX_DATAERR; a missing file EX_NOINPUT;
 * fn's non-zero status is kept (the first wins) and reading goes on.
 */
typedef int rso_csv_fn(json_t *obj, const char *where, void *ctx);
int rso_csv_each(const char *path, const char *const *lists, rso_csv_fn *fn,
    void *ctx);

/*
 * Write one cell: quoted when it holds a comma, quote, CR, LF or leading
 * or trailing space.  A cell that begins with = + - @ TAB or CR is written
 * as text a spreadsheet will not evaluate: a single quote goes before it,
 * inside quotes -- except a plain number such as -12.50, which stays a
 * number.  first is 1 for a record's first cell (no comma before it).
 */
void rso_csv_cell(FILE *fp, const char *s, int first);

/* End a record (CRLF, as RFC 4180 says). */
void rso_csv_end(FILE *fp);

#endif
