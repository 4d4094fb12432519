/* rso_progress: a progress bar on stderr for long work, only for a person. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "rso_err.h"
#include "rso_progress.h"

struct rso_progress {
	const char *what;
	uint64_t total, done;
	struct timespec last;
};

struct rso_progress *
rso_progress_start(const char *what, uint64_t total)
{
	struct rso_progress *p;

	if (rso_isquiet() || !isatty(STDERR_FILENO))
		return NULL;
	p = rso_xcalloc(1, sizeof(*p));
	p->what = what;
	p->total = total;
	return p;
}

static void
draw(struct rso_progress *p)
{
	const int width = 30;
	int i, fill;

	if (p->total == 0) {
		fprintf(stderr, "\r%s: %s: %llu", rso_progname(), p->what,
		    (unsigned long long)p->done);
		return;
	}
	fill = (int)(p->done >= p->total ? width :
	    (uint64_t)width * p->done / p->total);
	fprintf(stderr, "\r%s: %s [", rso_progname(), p->what);
	for (i = 0; i < width; i++)
		fputc(i < fill ? '#' : '.', stderr);
	fprintf(stderr, "] %llu/%llu", (unsigned long long)p->done,
	    (unsigned long long)p->total);
}

void
rso_progress_add(struct rso_progress *p, uint64_t n)
{
	struct timespec now;
	long long ms;

	if (p == NULL)
		return;
	p->done += n;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - p->last.tv_sec) * 1000LL +
	    (now.tv_nsec - p->last.tv_nsec) / 1000000;
	if (ms < 100 && p->done < p->total)
		return;
	p->last = now;
	draw(p);
}

void
rso_progress_done(struct rso_progress *p)
{
	if (p == NULL)
		return;
	/* Erase the line so later diagnostics start clean. */
	fprintf(stderr, "\r\033[K");
	free(p);
}
