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
	int busy;			/* no units: the time spent */
	int shown;			/* the line is on the terminal now */
	int stdout_tty;			/* stdout shares the terminal */
	struct timespec start, last;
};

/* The one bar drawn now, for erase(): a program draws one at a time. */
static struct rso_progress *live;

/* Take the line off the terminal before a line is written to fd. */
static void
erase(int fd)
{
	if (live == NULL || !live->shown ||
	    (fd == STDOUT_FILENO && !live->stdout_tty))
		return;
	fputs("\r\033[K", stderr);
	live->shown = 0;
}

struct rso_progress *
rso_progress_start(const char *what, uint64_t total)
{
	struct rso_progress *p;

	if (rso_isquiet() || !isatty(STDERR_FILENO))
		return NULL;
	p = rso_xcalloc(1, sizeof(*p));
	p->what = what;
	p->total = total;
	p->stdout_tty = isatty(STDOUT_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	live = p;
	rso_live_line(erase);
	/* A known total is worth showing before the first unit is done. */
	if (total > 0)
		rso_progress_add(p, 0);
	return p;
}

struct rso_progress *
rso_progress_busy(const char *what)
{
	struct rso_progress *p = rso_progress_start(what, 0);

	if (p != NULL)
		p->busy = 1;
	return p;
}

static long long
ms_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000LL +
	    (b->tv_nsec - a->tv_nsec) / 1000000;
}

static void
draw(struct rso_progress *p)
{
	const int width = 30;
	int i, fill;

	p->shown = 1;
	if (p->busy) {
		fprintf(stderr, "\r%s: %s: %c %.1f s", rso_progname(), p->what,
		    "|/-\\"[(p->last.tv_nsec / 100000000 + p->last.tv_sec) % 4],
		    (double)ms_between(&p->start, &p->last) / 1000);
		return;
	}
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
	ms = ms_between(&p->last, &now);
	/* A counter or busy line redraws on time alone; a bar also at its end. */
	if (ms < 100 && (p->total == 0 || p->done < p->total))
		return;
	p->last = now;
	draw(p);
}

void
rso_progress_done(struct rso_progress *p)
{
	if (p == NULL)
		return;
	/* The last count, then erase the line so diagnostics start clean. */
	clock_gettime(CLOCK_MONOTONIC, &p->last);
	draw(p);
	erase(STDERR_FILENO);
	if (live == p) {
		live = NULL;
		rso_live_line(NULL);
	}
	free(p);
}
