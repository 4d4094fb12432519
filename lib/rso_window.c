/* rso_window: a buffer, or a file read a window at a time. */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rso_err.h"
#include "rso_window.h"

void
rso_window_mem(struct rso_window *s, const char *buf, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->mem = buf;
	s->fd = -1;
	s->n = n;
}

void
rso_window_fd(struct rso_window *s, int fd, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->n = n;
}

void
rso_window_free(struct rso_window *s)
{
	free(s->buf);
	s->buf = NULL;
	s->cap = s->len = 0;
}

const char *
rso_window_bytes(struct rso_window *s, size_t off, size_t need, size_t *avail)
{
	size_t keep, want;
	ssize_t r;

	if (off > s->n)
		off = s->n;
	if (need > s->n - off)
		need = s->n - off;
	if (s->mem != NULL || off == s->n) {
		*avail = s->n - off;
		return s->mem != NULL ? s->mem + off : "";
	}
	if (off >= s->base && off + need <= s->base + s->len) {
		*avail = s->base + s->len - off;
		return s->buf + (off - s->base);
	}
	if (need > s->cap || s->buf == NULL) {
		want = s->cap ? s->cap : s->min ? s->min : RSO_WINDOW;
		while (want < need)
			want *= 2;
		s->buf = rso_xrealloc(s->buf, want);
		s->cap = want;
	}
	keep = 0;
	if (off >= s->base && off < s->base + s->len) {
		keep = s->base + s->len - off;
		memmove(s->buf, s->buf + (off - s->base), keep);
	}
	s->base = off;
	s->len = keep;
	want = s->cap < s->n - off ? s->cap : s->n - off;
	if (s->len < want) {
		r = rso_pread_full(s->fd, s->buf + s->len, want - s->len,
		    (off_t)(s->base + s->len));
		if (r != (ssize_t)(want - s->len)) {
			s->err = r < 0 ? errno : -1;
			return NULL;
		}
		s->len = want;
	}
	*avail = s->len;
	return s->buf;
}
