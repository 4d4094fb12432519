/* rso-collect: the verbs, one function each; argv[0] is the verb's name. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_COLLECT_VERBS_H
#define RSO_COLLECT_VERBS_H

#include <getopt.h>
#include <stdio.h>

#include <jansson.h>

#include "rso_store.h"

void collect_usage(FILE *fp, int full);

/* Write one JSON line and drop the reference; EX_IOERR when stdout fails. */
int collect_emit(json_t *line);

/*
 * A verb's options: its own (longopts with RSO_OPT_LONG appended, short
 * letters before RSO_OPT_SHORT) are handed to opt(ch, optarg); the common
 * ones are handled.  argc/argv are left at the operands.
 */
void collect_getopt(int *argc, char ***argv, const char *shortopts,
    const struct option *longopts, void (*opt)(int ch, const char *arg));

/* requests.c: asking providers, chasing them, and marking a case complete. */
int collect_request(int argc, char **argv);
int collect_due(int argc, char **argv);
int collect_sent(int argc, char **argv);
int collect_missing(int argc, char **argv);
int collect_complete(int argc, char **argv);
int collect_ls(int argc, char **argv);

/* files.c: records into and out of the case archive. */
int collect_add(int argc, char **argv);
int collect_cat(int argc, char **argv);

/* scan.c: DICOM headers of files and folders, read only. */
int collect_scan(int argc, char **argv);

/* held.c: studies held back until staff decide. */
int collect_held(int argc, char **argv);
int collect_release(int argc, char **argv);
int collect_reject(int argc, char **argv);

/* inbox.c: a drop folder. */
int collect_inbox(int argc, char **argv);

#endif
