/* rso_stats: the figures reports print, each defined once and exactly. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>

#include "rso_stats.h"

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int
rso_percentile(int64_t *v, size_t n, int p, int64_t *out)
{
	size_t rank;

	if (n == 0 || p < 1 || p > 100)
		return -1;
	qsort(v, n, sizeof(*v), cmp64);
	/* ceil(p * n / 100) in integers. */
	rank = ((size_t)p * n + 99) / 100;
	*out = v[rank - 1];
	return 0;
}

int64_t
rso_rate_tenths(int64_t num, int64_t den)
{
	if (den <= 0)
		return -1;
	return (num * 1000 + den / 2) / den;
}

char *
rso_rate_format(int64_t tenths, char *buf, size_t n)
{
	if (tenths < 0)
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%lld.%lld%%", (long long)(tenths / 10),
		    (long long)(tenths % 10));
	return buf;
}

void
rso_nps_add(struct rso_nps *n, int score)
{
	n->responses++;
	if (score >= 9)
		n->promoters++;
	else if (score >= 7)
		n->passives++;
	else
		n->detractors++;
}

void
rso_nps_finish(struct rso_nps *n)
{
	int64_t diff;

	if (n->responses == 0) {
		n->nps = 0;
		return;
	}
	diff = 100 * (n->promoters - n->detractors);
	/* Round half away from zero: -0.5 is -1, 0.5 is 1. */
	if (diff >= 0)
		n->nps = (int)((2 * diff + n->responses) / (2 * n->responses));
	else
		n->nps = -(int)((-2 * diff + n->responses) / (2 * n->responses));
}

char *
rso_days_format(int64_t secs, char *buf, size_t n)
{
	int64_t tenths;

	if (secs < 0) {
		tenths = (-secs * 10 + 43200) / 86400;
		snprintf(buf, n, "-%lld.%lld", (long long)(tenths / 10),
		    (long long)(tenths % 10));
	} else {
		tenths = (secs * 10 + 43200) / 86400;
		snprintf(buf, n, "%lld.%lld", (long long)(tenths / 10),
		    (long long)(tenths % 10));
	}
	return buf;
}
