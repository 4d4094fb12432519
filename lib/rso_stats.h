/* rso_stats: the figures reports print, each defined once and exactly. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_STATS_H
#define RSO_STATS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Percentiles use the nearest-rank method: the P-th percentile of N
 * values sorted ascending is the value at rank ceil(P * N / 100) (1-based),
 * so it is always one of the values, never an interpolation.  The median
 * is the 50th percentile: for an even N, the lower of the two middle
 * values.  Returns 0 and *out, or -1 when n is 0 or p is outside 1..100.
 * v is sorted in place.
 */
int rso_percentile(int64_t *v, size_t n, int p, int64_t *out);

/*
 * A rate as tenths of a percent, rounded half up: 1 of 3 is 333 (33.3%).
 * Returns -1 when den is 0 (no rate: reports print "-").
 */
int64_t rso_rate_tenths(int64_t num, int64_t den);

/* Format tenths of a percent as "33.3%" (or "-" for -1) into buf. */
char *rso_rate_format(int64_t tenths, char *buf, size_t n);

/*
 * Net Promoter Score from 0-10 scores: promoters score 9 or 10, passives
 * 7 or 8, detractors 0 to 6; NPS = 100 * (promoters - detractors) /
 * responses, rounded half away from zero, from -100 to 100.
 */
struct rso_nps {
	int64_t responses, promoters, passives, detractors;
	int nps;		/* meaningful when responses > 0 */
};
void rso_nps_add(struct rso_nps *n, int score);
void rso_nps_finish(struct rso_nps *n);

/* Seconds as days with one decimal ("13.5"), rounded half up, into buf. */
char *rso_days_format(int64_t secs, char *buf, size_t n);

#endif
