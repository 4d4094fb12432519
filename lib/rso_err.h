/* rso_err: diagnostics in one format, exit codes, and allocation that dies. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_ERR_H
#define RSO_ERR_H

#include <stdio.h>

#include <stddef.h>
#include <sys/types.h>
#include <sysexits.h>

/*
 * Every message has the shape "PROG: WHERE: WHAT" (WHERE is part of the
 * format string the caller gives).  Never pass patient data as an argument:
 * name the field, not its value.
 */

/*
 * Every program's first call: set the program name, from argv[0] (its
 * basename is kept), and fix malloc's threshold for mapping a block of
 * its own at 128 KiB (see rso_err.c).
 */
void rso_setprogname(const char *argv0);
const char *rso_progname(void);

/* -q: suppress rso_note(); warnings and errors still print. */
void rso_setquiet(int quiet);
int rso_isquiet(void);

/* "PROG: MSG" on stderr; rso_warn appends ": strerror(errno)". */
void rso_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rso_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Informational line on stderr, unless quiet. */
void rso_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Before a program reads stdin because it was given no operand: when stdin
 * is a terminal (and not -q), say once per run
 * "PROG: reading WHAT from the terminal; end with Ctrl-D".  Later calls,
 * whatever their WHAT, say nothing, so a program may name what it reads
 * before a library reader gives its generic WHAT.
 */
void rso_note_stdin(const char *what);

/*
 * A line drawn on stderr without a newline (rso_progress) registers how to
 * erase it; NULL when it is gone.  rso_live_erase(fd) is called before a
 * line goes to fd: every message erases it (fd 2), and lines written to
 * stdout (fd 1) erase it when stdout is the same terminal, so no line is
 * ever glued to a progress line.
 */
void rso_live_line(void (*erase)(int fd));
void rso_live_erase(int fd);

/* As above, then exit(status). */
_Noreturn void rso_die(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
_Noreturn void rso_diex(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Allocation that dies with EX_OSERR instead of returning NULL. */
void *rso_xmalloc(size_t n);
void *rso_xcalloc(size_t n, size_t size);
void *rso_xrealloc(void *p, size_t n);
char *rso_xstrdup(const char *s);
/* asprintf that dies on failure. */
char *rso_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A status accumulator for "warn, skip, go on": rso_status_set() keeps the
 * first non-zero status given, so the exit reflects the first kind of
 * failure while later good records still go through.
 */
void rso_status_set(int *status, int s);

/*
 * How lib/ reports a failure without dying: a sysexits status and a message
 * in the "WHERE: WHAT" form (no program name, no patient data).  The caller
 * prints it with rso_warnx("%s", e.msg) and decides the exit.
 */
struct rso_error {
	int status;
	char msg[512];
};

/* Fill e (when not NULL) and return status, so "return rso_error_set(...)". */
int rso_error_set(struct rso_error *e, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Flush stdout before exit: a full disk or closed pipe must not pass for
 * success.  Returns status, or EX_IOERR when the flush failed and status
 * was 0.
 */
int rso_flush_stdout(int status);

/*
 * Write all n bytes of p to fd, through short writes and EINTR: 0, or -1
 * with errno set.
 */
int rso_write_all(int fd, const void *p, size_t n);

/*
 * Read n bytes at offset off of fd into p, through short reads and EINTR:
 * how many (fewer than n only at the end of the file), or -1 with errno
 * set.
 */
ssize_t rso_pread_full(int fd, void *p, size_t n, off_t off);

/*
 * What a folder entry is that is not a regular file or a folder, for
 * messages: "a symbolic link", "a FIFO", "a socket", "a device" or "not
 * a file".
 */
const char *rso_file_kind(mode_t mode);

/*
 * Remove path: a file, or a folder and everything below it, never
 * following a symbolic link out of it.  0, or -1 when path is still there.
 */
int rso_remove_tree(const char *path);

/*
 * A new file with no name in the folder dir, open to read and write
 * through stdio: O_TMPFILE, or where the file system has none, a dot
 * name (".STEM.XXXXXX") made and unlinked at once.  NULL with errno.
 */
FILE *rso_unnamed_file(const char *dir, const char *stem);

/* fsync the folder dir, so a rename or unlink in it is on disk: 0 or -1. */
int rso_fsync_dir(const char *dir);

/*
 * rename(2) from to to, over a regular file there only with replace
 * (what we wrote there before); anything else there, or anything at all
 * without replace, is left alone: -1 with errno EEXIST.  Without
 * replace the check and the rename are one step: renameat2's
 * RENAME_NOREPLACE, or where the file system has none, link(2) then
 * unlink(2).  0, or -1 with errno.
 */
int rso_rename_into(const char *from, const char *to, int replace);

#endif
