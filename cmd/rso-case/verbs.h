/* rso-case: the verbs, one function each; argv[0] is the verb's name. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_CASE_VERBS_H
#define RSO_CASE_VERBS_H

#include <stdio.h>

void case_usage(FILE *fp, int full);

/* A verb with only the common options: returns the operand count left. */
int case_common_only(int *argc, char ***argv);

/* store.c: the store itself. */
int case_init(int argc, char **argv);
int case_verify(int argc, char **argv);

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

/* downstream.c: care at the hospital that followed an opinion. */
int case_downstream(int argc, char **argv);

#endif
