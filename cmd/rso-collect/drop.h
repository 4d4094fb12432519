/* rso-collect: a drop folder shared with other people and programs. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_COLLECT_DROP_H
#define RSO_COLLECT_DROP_H

#include <sys/stat.h>
#include <sys/types.h>

#include <stdio.h>
#include <time.h>

/* Spools kept to lend again: a batch's worth (inbox.h's BATCH) and more. */
#define DROP_SPOOLS 256

/*
 * Everything rso makes or opens in a drop folder is reached from the
 * folder's descriptor, without following a link: anyone who may write
 * there may have put a link or a FIFO at any name.
 */
struct drop {
	const char *dir;	/* as named on the command line, for messages */
	int dfd;		/* the folder */
	int rejfd;		/* its .rejected/ */
	int lock;		/* .rso-inbox.lock, held */
	int lent[DROP_SPOOLS];	/* spools given back, empty, to lend again */
	int nlent;
};

/*
 * Open dir for one inbox run: check .rejected (a link or anything but a
 * folder there stops the run, EX_CANTCREAT, before anything is touched),
 * take .rso-inbox.lock (EX_TEMPFAIL when another run holds it), make
 * .rejected.  Dies with the status and message on failure.
 */
void drop_xopen(struct drop *d, const char *dir);
void drop_close(struct drop *d);

/*
 * Move entry name (and its sidecar name.json) into .rejected/, never over
 * anything there: the reason is written first, as NAME.reason (NAME.2.reason
 * ... when the name is taken), then the entry renamed beside it.  Returns
 * 0, or EX_CANTCREAT when it could not be moved (it stays where it was).
 */
int drop_reject(struct drop *d, const char *name, const char *why);

/* A spool file for an archive's member: unnamed where the system allows. */
int drop_spool(struct drop *d);

/*
 * A spool as drop_spool makes it, or one given back before: making a file
 * costs ext4 more the more were made and let go in the run (its search for
 * a free inode steps over each one recently deleted), a third of the time
 * of a zip of 1,000 small documents.  Give it back with drop_spool_return,
 * which empties it at once (its bytes are gone when it is given back) and
 * keeps it to lend again, or closes it; drop_close closes those kept.  A
 * spool lent must not be duplicated (dup) past its return.
 */
int drop_spool_lend(struct drop *d);
void drop_spool_return(struct drop *d, int fd);

/*
 * The files of an entry, to remove once it is filed and only if
 * unchanged: each one's path (relative to the drop folder) and what
 * stat said of it, kept in a spool file of the drop folder (drop_spool),
 * not in memory, so that a folder of 100,000 files costs its inbox run
 * nothing more than a folder of ten.  A list that could not be kept
 * (no spool, a write refused) says so, and then nothing of it is removed:
 * the files stay, and the next run finds them filed.
 */
struct drop_list {
	FILE *f;		/* the spool, NULL until the first file */
	size_t n;		/* files added */
	int lost;		/* a file could not be written down */
};

/* Write down path, as st says it is, for drop_remove. */
void drop_list_add(struct drop *d, struct drop_list *l, const char *path,
    const struct stat *st);
void drop_list_free(struct drop_list *l);

/* What drop_remove left in the folder, and why. */
struct drop_stayed {
	size_t changed;		/* not the file read (gone, or a newer version) */
	size_t refused;		/* the file read, but unlink(2) refused */
	int err;		/* the first refusal's errno */
};

/*
 * Remove what an entry's filing consumed: each file of l that is still
 * the one read (same inode, size and times: else a newer version stays
 * for the next run), then each folder of dirs[] (deepest last in the list
 * is removed first) that is left empty.  Fills *st; returns how many
 * files stayed (all of them when the list was lost: l->lost).
 */
size_t drop_remove(struct drop *d, struct drop_list *l, char **dirs,
    size_t ndirs, struct drop_stayed *st);

/*
 * The newest modification time under name (itself, and every file and
 * folder below it, not following links), and *count, the files there.
 */
int drop_newest(struct drop *d, const char *name, struct timespec *newest,
    long long *count);

#endif
