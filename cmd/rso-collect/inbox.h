/* rso-collect: inbox -- the entries of a drop folder, as they are filed. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_COLLECT_INBOX_H
#define RSO_COLLECT_INBOX_H

#include <sys/stat.h>

#include <jansson.h>

#include "drop.h"
#include "filing.h"
#include "rso_case.h"
#include "rso_progress.h"
#include "rso_records.h"
#include "rso_store.h"

/* Files filed per segment: bounds open descriptors for a CD of thousands. */
#define BATCH 128
/* Members that name no patient held, in an entry without a case, until its
 * instances say whose they are. */
#define LATER_MAX 512
/* Below this many bytes an archive may expand by any ratio. */
#define RATIO_FLOOR (16LL << 20)

/* What config.json's "inbox" says, or --settle. */
struct limits {
	long long settle;	/* seconds an entry must be unchanged */
	long long members;	/* files in a folder or archive */
	long long expanded;	/* bytes an archive expands to */
	long long ratio;	/* ...and times its own size */
	long long sidecar;	/* bytes of a NAME.json */
	long long document;	/* bytes of a document read to be parsed */
};

struct inbox {
	struct rso_store *s;
	struct drop d;
	const char *dir;
	int status;
	struct rso_progress *bar;
	struct limits lim;
	char **furniture;
};

/* A list of items with its descriptors. */
struct items {
	struct filing_item *it;
	size_t n, cap;
};

/* One arrival: where it goes and what it holds. */
struct arrival {
	int k;			/* its number in this run, for messages */
	char id[RSO_CASE_IDLEN];
	struct filing_meta m;
	json_t *sidecar;	/* keeps m's strings alive */
	char token[RSO_TOKEN_LEN];
	struct items now;	/* the batch being gathered */
	struct items later;	/* naming no patient, in an entry without a case */
	int by_patient;		/* no token or case id: each record's patient
				 * (or a token it carries) finds its case */
	int members;		/* files of a folder so far */
	char last_pn[320], last_id[RSO_CASE_IDLEN];	/* the last match */
	char first_case[RSO_CASE_IDLEN];	/* where its instances went */
	int several;		/* ...to more than one case */
	json_t *furniture;	/* [{"name","size","sha256"}] */
	struct drop_list files;		/* to remove once filed */
	char **dirs;		/* its folders, parents first */
	size_t ndirs;
	int container;		/* an archive the items are spooled from */
	struct stat container_st;
	int *sources;		/* files documents were read out of, watched */
	size_t nsources;
};

/*
 * Gather the entry name's records into a (a file; an archive's members,
 * spooled, within the limits; a folder's files, reached without following
 * links): each full batch is filed as it fills (inbox_flush), media
 * furniture is accounted for in a->furniture, non-regular members are
 * reported and left.  0, or a status with e filled (EX_DATAERR: reject).
 */
int inbox_gather(struct inbox *ib, const char *name, struct arrival *a,
    struct rso_error *e);

/* File the batch gathered so far and let go of its descriptors. */
int inbox_flush(struct inbox *ib, struct arrival *a, struct rso_error *e);

/* Let go of the items' descriptors; the list is empty after. */
void items_release(struct items *v);

/* A member not filed but accounted for (media furniture): its name,
 * size and SHA-256, for the case's records.furniture event. */
void inbox_furnish(struct arrival *a, const char *name, long long size,
    const char *sha256);

/* Remember a file of the entry, to remove once the entry is filed. */
void inbox_add_file(struct inbox *ib, struct arrival *a, const char *path,
    const struct stat *st);

#endif
