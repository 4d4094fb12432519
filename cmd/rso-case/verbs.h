/* rso-case: the verbs, one function each; argv[0] is the verb's name. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_CASE_VERBS_H
#define RSO_CASE_VERBS_H

#include <stdio.h>

#include <jansson.h>

void case_usage(FILE *fp, int full);

/* A verb with only the common options: returns the operand count left. */
int case_common_only(int *argc, char ***argv);

/* case.c: what the verbs share in how they print. */
enum format { FMT_JSON, FMT_TEXT, FMT_CSV };
/* -f/--format's argument, or a usage error (exit 64). */
enum format case_parse_format(const char *s);
/* An RFC 3339 time in local time for a person, as is if unparsable. */
const char *case_local(const char *rfc3339, char *buf);
/* The string at path in o, "" when absent. */
const char *case_str(const json_t *o, const char *path);

/* store.c: the store itself. */
int case_init(int argc, char **argv);
int case_verify(int argc, char **argv);
int case_marks(int argc, char **argv);

/* backup.c: an incremental, consistent copy of the store. */
int case_backup(int argc, char **argv);

/* compact.c: a case's archive segments merged into one. */
int case_compact(int argc, char **argv);

/* case.c: reading and moving cases. */
int case_show(int argc, char **argv);
int case_list(int argc, char **argv);
int case_log(int argc, char **argv);
int case_hold(int argc, char **argv);
int case_resume(int argc, char **argv);
int case_cancel(int argc, char **argv);
int case_close(int argc, char **argv);
int case_survey(int argc, char **argv);

/* find.c: finding a patient's case. */
int case_search(int argc, char **argv);
/* -f json|text for the lists that have no CSV form. */
enum format case_json_or_text(const char *arg);

/* today.c: one list of what needs a person now. */
int case_today(int argc, char **argv);

/* downstream.c: care at the hospital that followed an opinion. */
int case_downstream(int argc, char **argv);

#endif
