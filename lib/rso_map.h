/* rso_map: every byte of a range of a file, a window at a time, for the
 * passes that read a large file whole (encrypting, hashing, archiving). */
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
 * RSO_MAP_WINDOW bytes at a time, read with pread(2) into a buffer the
 * process keeps for its next walk (so fd must be seekable: a pipe is
 * EX_IOERR).  The bytes are valid only during the call: hand them to
 * nothing that keeps them.  A walk inside fn has its own buffer.
 *
 * A file that ends before off + len -- cut short before or while it is
 * read -- returns EX_DATAERR, e saying "shrank while being read";
 * whatever fn was doing with the window is abandoned part-way, so its
 * state must be thrown away.  A read error is EX_IOERR.  The file's
 * offset is not used and not moved.
 */
#define RSO_MAP_WINDOW (2 * 1024 * 1024)
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
