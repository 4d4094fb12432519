/* rso_time: RFC 3339 instants, calendar dates, durations, and the clock. */
/* SPDX-License-Identifier: ISC */
#ifndef RSO_TIME_H
#define RSO_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Seconds since the epoch, UTC.  All stored times are whole seconds. */
typedef int64_t rso_time_t;

/* Big enough for "YYYY-MM-DDTHH:MM:SSZ" and for a local "YYYY-MM-DD HH:MM". */
#define RSO_TIME_STRLEN 32

/*
 * The current time: RSO_NOW when set (RFC 3339), else the system clock.
 * A malformed RSO_NOW is a configuration error: it dies with EX_CONFIG
 * rather than let a backfill run at the wrong time.
 */
rso_time_t rso_now(void);

/*
 * Whether the RFC 3339 times a and b are at most secs seconds apart: two
 * readings of the clock for one moment (0 when either does not parse).
 */
int rso_time_within(const char *a, const char *b, int secs);

/*
 * Parse RFC 3339 "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)" ('t', ' '
 * and 'z' accepted as RFC 3339 allows).  Fractions are dropped.  Returns 0,
 * or -1 when s is not a valid instant (including a day past month end).
 */
int rso_time_parse(const char *s, rso_time_t *t);

/* Format t as "YYYY-MM-DDTHH:MM:SSZ" into buf (RSO_TIME_STRLEN bytes). */
char *rso_time_format(rso_time_t t, char *buf);

/* Format t in local time as "YYYY-MM-DD HH:MM" (text output only). */
char *rso_time_format_local(rso_time_t t, char *buf);

/*
 * Parse a calendar date "YYYY-MM-DD" (years 1800-9999, real days only).
 * On success *t is that day's 00:00:00 UTC.  Returns 0 or -1.
 */
int rso_date_parse(const char *s, rso_time_t *t);

/* Format the UTC date of t as "YYYY-MM-DD". */
char *rso_date_format(rso_time_t t, char *buf);

/*
 * Parse a duration: one or more NUMBER UNIT pairs, units s, m, h, d, w
 * ("3d", "12h", "2w", "1d12h").  Returns 0 with *secs, or -1.
 */
int rso_duration_parse(const char *s, int64_t *secs);

/*
 * Parse a point in time given on a command line (--since, --until): an
 * RFC 3339 instant, a date (its midnight UTC), "today", "yesterday", or a
 * duration meaning that long before now ("3d").  Returns 0 or -1.
 */
int rso_when_parse(const char *s, rso_time_t now, rso_time_t *t);

#endif
