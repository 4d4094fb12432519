/* rso_map: every byte of a regular file, read from the page cache without
 * a copy, for the passes that read a large file whole (encrypting,
 * hashing, archiving). */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_MAP_H
#define RSO_MAP_H

#include <sys/types.h>

#include <stddef.h>

#include "rso_err.h"

/* Given each window of the file in turn: 0 to go on, or a status (with
 * e filled) that stops the walk and is returned. */
typedef int rso_map_fn(void *ctx, const void *p, size_t n,
    struct rso_error *e);

/*
 * Hand bytes [off, off + len) of fd to fn, in order, a window of at most
 * RSO_MAP_WINDOW bytes at a time.  A regular file's windows are mapped
 * (the kernel's copy into a buffer is what read(2) costs most on a file
 * in the page cache); a range of at most RSO_MAP_SMALL bytes, anything
 * that is not a regular file, or a file mmap(2) refuses, is read into a
 * buffer with pread(2), so fd must be seekable (a pipe is
 * EX_IOERR).  The bytes are valid only during the call, and only on the
 * calling thread: hand them to no other.
 *
 * A file that ends before off + len -- cut short before or while it is
 * read, which for a mapped file would otherwise kill the process with
 * SIGBUS -- returns EX_DATAERR, e saying "shrank while being read";
 * whatever fn was doing with the window is abandoned part-way, so its
 * state must be thrown away.  For this the first walk installs a SIGBUS
 * handler for the process, which hands any SIGBUS not raised inside a
 * walk to the action that was there before.  A read error is EX_IOERR.
 * The file's offset is not used and not moved.
 */
#define RSO_MAP_WINDOW (2 * 1024 * 1024)
/* A range of at most this many bytes is read into a buffer, not mapped. */
#define RSO_MAP_SMALL (64 * 1024)
int rso_map_range(int fd, off_t off, off_t len, rso_map_fn *fn, void *ctx,
    struct rso_error *e);

/*
 * Hand fd's bytes from its offset to its end to fn, and leave the offset
 * there: a regular file's bytes up to the size it has now as
 * rso_map_range does (a file cut short under it is EX_DATAERR), then
 * whatever it gained meanwhile, or all a pipe or FIFO gives, read(2) a
 * buffer of RSO_MAP_READ bytes at a time.  A read error is EX_IOERR,
 * errno still that read's.
 */
#define RSO_MAP_READ (1024 * 1024)
int rso_map_rest(int fd, rso_map_fn *fn, void *ctx, struct rso_error *e);

#endif
