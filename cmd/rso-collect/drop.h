/* rso-collect: a drop folder shared with other people and programs. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_COLLECT_DROP_H
#define RSO_COLLECT_DROP_H

#include <sys/stat.h>
#include <sys/types.h>

#include <time.h>

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

/* A file of an entry, to remove once it is filed and only if unchanged. */
struct drop_file {
	char *path;		/* relative to the drop folder */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim, ctim;
};

/* Remember path, as st says it is, for drop_remove. */
void drop_file_set(struct drop_file *f, const char *path,
    const struct stat *st);

/*
 * Remove what an entry's filing consumed: each file that is still the one
 * read (same inode, size and times: else a newer version stays for the
 * next run), then each folder of dirs[] (deepest last in the list is
 * removed first) that is left empty.  Returns how many files stayed.
 */
size_t drop_remove(struct drop *d, struct drop_file *files, size_t n,
    char **dirs, size_t ndirs);

/*
 * The newest modification time under name (itself, and every file and
 * folder below it, not following links), and *count, the files there.
 */
int drop_newest(struct drop *d, const char *name, struct timespec *newest,
    long long *count);

#endif
