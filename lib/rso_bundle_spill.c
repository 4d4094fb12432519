/*
 * rso_bundle_spill: keys that spill to an unnamed file past a bound
 * (rso_bundle_priv.h).  Sorted keys are written in sorted runs, then
 * merged, run against run, into one sorted stretch after them in the same
 * file, read back a block at a time.
 */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rso_bundle_priv.h"
#include "rso_err.h"

/* Keys the merge writes at a time (64 KiB). */
#define MERGE_OUT 4096

void
bspill_init(struct bspill *x, int sorted, size_t run,
    int (*spool)(void *ctx), void *ctx)
{
	memset(x, 0, sizeof(*x));
	x->sorted = sorted;
	x->run = run ? run : 1;
	x->spool = spool;
	x->ctx = ctx;
	x->fd = -1;
	x->block = SIZE_MAX;
}

/*
 * n keys of k written to the file at key at (out), or read from it into
 * k: 0, or -1 with x->err (EIO for a file shorter than what was written
 * to it).
 */
static int
move_keys(struct bspill *x, struct bkey *k, size_t n, size_t at, int out)
{
	char *p = (char *)k;
	size_t len = n * sizeof(*k), done = 0;
	off_t off = (off_t)(at * sizeof(*k));
	ssize_t r;

	while (done < len) {
		r = out ? pwrite(x->fd, p + done, len - done, off + (off_t)done) :
		    pread(x->fd, p + done, len - done, off + (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			x->err = r < 0 ? errno : EIO;
			return -1;
		}
		done += (size_t)r;
	}
	return 0;
}

/* The keys gathered, sorted if they are to be, written as a run. */
static void
spill_run(struct bspill *x)
{
	if (x->sorted)
		bsrc_sort_keys(x->k, x->n);
	if (move_keys(x, x->k, x->n, x->nfile, 1) != 0)
		return;
	x->runs = rso_xrealloc(x->runs, (x->nruns + 1) * sizeof(*x->runs));
	x->runs[x->nruns].at = x->nfile;
	x->runs[x->nruns++].n = x->n;
	x->nfile += x->n;
	x->n = 0;
}

void
bspill_add(struct bspill *x, uint64_t hash, size_t off)
{
	if (x->err)
		return;
	if (x->n >= x->run && x->spool != NULL) {
		if (x->fd < 0 && (x->fd = x->spool(x->ctx)) < 0)
			x->spool = NULL;	/* no file: all in memory */
		else
			spill_run(x);
		if (x->err)
			return;
	}
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 64;
		x->k = rso_xrealloc(x->k, x->cap * sizeof(*x->k));
	}
	x->k[x->n].hash = hash;
	x->k[x->n++].off = off;
}

/* One run as the merge reads it: its next key in the file, its end, and
 * a block of it in memory. */
struct merge_run {
	size_t at, end;
	struct bkey buf[BSPILL_BLOCK];
	size_t i, n;
};

static int
run_fill(struct bspill *x, struct merge_run *r)
{
	r->n = r->end - r->at < BSPILL_BLOCK ? r->end - r->at : BSPILL_BLOCK;
	r->i = 0;
	if (r->n == 0 || move_keys(x, r->buf, r->n, r->at, 0) != 0)
		return -1;
	r->at += r->n;
	return 0;
}

static int
run_before(const struct merge_run *a, const struct merge_run *b)
{
	return bsrc_key_before(&a->buf[a->i], &b->buf[b->i]);
}

/* A heap of runs by their next key, the least first. */
static void
heap_down(struct merge_run **h, size_t i, size_t n)
{
	struct merge_run *t;
	size_t c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && run_before(h[c + 1], h[c]))
			c++;
		if (!run_before(h[c], h[i]))
			return;
		t = h[i];
		h[i] = h[c];
		h[c] = t;
		i = c;
	}
}

/* The runs merged into one sorted stretch from key nfile on. */
static int
merge_runs(struct bspill *x)
{
	struct merge_run *r = rso_xcalloc(x->nruns, sizeof(*r));
	struct merge_run **h = rso_xcalloc(x->nruns, sizeof(*h));
	struct bkey *out = rso_xmalloc(MERGE_OUT * sizeof(*out));
	size_t nh = 0, nout = 0, at = x->nfile, i;
	int rc = 0;

	for (i = 0; i < x->nruns && rc == 0; i++) {
		r[i].at = x->runs[i].at;
		r[i].end = x->runs[i].at + x->runs[i].n;
		if (r[i].end > r[i].at) {
			rc = run_fill(x, &r[i]);
			h[nh++] = &r[i];
		}
	}
	for (i = nh / 2; rc == 0 && i-- > 0;)
		heap_down(h, i, nh);
	while (rc == 0 && nh > 0) {
		out[nout++] = h[0]->buf[h[0]->i++];
		if (nout == MERGE_OUT) {
			rc = move_keys(x, out, nout, at, 1);
			at += nout;
			nout = 0;
		}
		if (h[0]->i == h[0]->n) {
			if (h[0]->at == h[0]->end)
				h[0] = h[--nh];
			else
				rc = run_fill(x, h[0]);
		}
		heap_down(h, 0, nh);
	}
	if (rc == 0 && nout > 0)
		rc = move_keys(x, out, nout, at, 1);
	free(out);
	free(h);
	free(r);
	return rc;
}

int
bspill_seal(struct bspill *x)
{
	if (x->err)
		return -1;
	if (x->fd < 0) {
		if (x->sorted)
			bsrc_sort_keys(x->k, x->n);
		x->total = x->n;
		return 0;
	}
	if (x->n > 0)
		spill_run(x);
	if (x->err)
		return -1;
	x->total = x->nfile;
	x->base = 0;
	if (x->sorted && x->nruns > 1) {
		if (merge_runs(x) != 0)
			return -1;
		x->base = x->nfile;
	}
	free(x->k);
	x->k = rso_xmalloc(BSPILL_BLOCK * sizeof(*x->k));
	x->n = 0;
	x->cap = BSPILL_BLOCK;
	x->block = SIZE_MAX;
	return 0;
}

size_t
bspill_count(const struct bspill *x)
{
	return x->total;
}

int
bspill_get(struct bspill *x, size_t i, struct bkey *k)
{
	size_t b = i / BSPILL_BLOCK, n;

	if (x->fd < 0) {
		*k = x->k[i];
		return 0;
	}
	if (x->block != b) {
		n = x->total - b * BSPILL_BLOCK;
		if (n > BSPILL_BLOCK)
			n = BSPILL_BLOCK;
		x->block = SIZE_MAX;
		if (move_keys(x, x->k, n, x->base + b * BSPILL_BLOCK, 0) != 0)
			return -1;
		x->block = b;
	}
	*k = x->k[i % BSPILL_BLOCK];
	return 0;
}

size_t
bspill_lower(struct bspill *x, uint64_t h)
{
	size_t lo = 0, hi = x->total, mid;
	struct bkey k;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (bspill_get(x, mid, &k) != 0)
			return x->total;
		if (k.hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void
bspill_free(struct bspill *x)
{
	free(x->k);
	free(x->runs);
	if (x->fd >= 0)
		close(x->fd);
	x->k = NULL;
	x->runs = NULL;
	x->fd = -1;
}
