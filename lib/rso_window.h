/* rso_window: the bytes of a buffer, or of a file read with pread(2)
 * into a window that slides along it: a reader asks for bytes from a
 * place on, and holds only what it still needs. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_WINDOW_H
#define RSO_WINDOW_H

#include <stddef.h>

/* Bytes read at a time from a file, unless more are asked for at once. */
#define RSO_WINDOW	(64 * 1024)

struct rso_window {
	const char *mem;	/* the bytes in memory, or NULL: read fd */
	int fd;
	size_t n;
	char *buf;		/* fd: bytes [base, base + len) of the file */
	size_t cap, base, len;
	size_t min;		/* the window's first size (RSO_WINDOW) */
	int err;		/* errno of a read that failed; -1: shorter */
};

/* n bytes held by the caller, or the first n bytes of fd (not moved). */
void rso_window_mem(struct rso_window *w, const char *buf, size_t n);
void rso_window_fd(struct rso_window *w, int fd, size_t n);
void rso_window_free(struct rso_window *w);

/*
 * The bytes from off on, at least need of them (fewer only at the end),
 * *avail set to how many, valid until the window moves; NULL when the
 * file cannot be read (w->err).  The window keeps what it holds from off
 * on and reads the rest: bytes before off are let go.
 */
const char *rso_window_bytes(struct rso_window *w, size_t off, size_t need,
    size_t *avail);

#endif
