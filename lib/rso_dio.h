/* rso_dio: a file written from its start straight to the disk (O_DIRECT),
 * half a megabyte at a time by a thread of its own while the caller makes
 * the next bytes: the disk works as the caller does, and an fsync at the
 * end finds little left to write. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_DIO_H
#define RSO_DIO_H

#include <stddef.h>

struct rso_dio;

/*
 * Start writing fd (open for writing and empty; every write is
 * positioned, its offset is not used) with O_DIRECT: NULL, fd untouched,
 * when the file system takes no O_DIRECT (the caller writes fd itself).
 */
struct rso_dio *rso_dio_start(int fd);

/* Append n bytes of p: 0, or -1 with errno once a write has failed
 * (nothing more is written after it). */
int rso_dio_write(struct rso_dio *d, const void *p, size_t n);

/*
 * Write what is left (its last part, under a block, without O_DIRECT, as
 * any write the file system turns down with O_DIRECT), wait for it, and
 * leave fd without O_DIRECT: 0, or -1 with errno.  Frees d; the caller
 * still fsyncs fd to make the file durable.
 */
int rso_dio_finish(struct rso_dio *d);

/* Stop, writing nothing more; frees d.  NULL is let be. */
void rso_dio_abort(struct rso_dio *d);

#endif
