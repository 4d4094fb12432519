/* rso_time: RFC 3339 instants, calendar dates, durations, and the clock. */
/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rso_err.h"
#include "rso_time.h"

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int
days_in_month(int y, int m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dim[m - 1];
}

/* Read exactly n digits at *s into *v, advancing *s. */
static int
digits(const char **s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*s)[i]))
			return -1;
		*v = *v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	return 0;
}

/* "YYYY-MM-DD" at *s, advancing it; days since the epoch in *days. */
static int
parse_ymd(const char **s, int64_t *days)
{
	int y, m, d;

	if (digits(s, 4, &y) || *(*s)++ != '-' || digits(s, 2, &m) ||
	    *(*s)++ != '-' || digits(s, 2, &d))
		return -1;
	if (y < 1800 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return -1;
	*days = days_from_civil(y, m, d);
	return 0;
}

int
rso_date_parse(const char *s, rso_time_t *t)
{
	int64_t days;

	if (parse_ymd(&s, &days) || *s != '\0')
		return -1;
	*t = days * 86400;
	return 0;
}

int
rso_time_parse(const char *s, rso_time_t *t)
{
	int64_t days;
	int hh, mm, ss, oh, om, sign;

	if (parse_ymd(&s, &days))
		return -1;
	if (*s != 'T' && *s != 't' && *s != ' ')
		return -1;
	s++;
	if (digits(&s, 2, &hh) || *s++ != ':' || digits(&s, 2, &mm) ||
	    *s++ != ':' || digits(&s, 2, &ss))
		return -1;
	/* 60 is a leap second; it is folded into the next minute. */
	if (hh > 23 || mm > 59 || ss > 60)
		return -1;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return -1;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
		oh = om = 0;
		sign = 1;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (digits(&s, 2, &oh) || *s++ != ':' || digits(&s, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
	} else
		return -1;
	if (*s != '\0')
		return -1;
	*t = days * 86400 + hh * 3600 + mm * 60 + ss -
	    sign * (oh * 3600 + om * 60);
	return 0;
}

/* v (0 <= v < 10^n) as n decimal digits at p, zeros first. */
static void
put_digits(char *p, int v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

char *
rso_time_format(rso_time_t t, char *buf)
{
	int64_t days = t / 86400, rem = t % 86400;
	int y, m, d;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	/*
	 * Digit by digit: a time is written for every event and every row,
	 * and snprintf took 3,000 instructions for each.
	 */
	if (y < 0 || y > 9999) {
		snprintf(buf, RSO_TIME_STRLEN, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    y, m, d, (int)(rem / 3600), (int)(rem / 60 % 60),
		    (int)(rem % 60));
		return buf;
	}
	put_digits(buf, y, 4);
	buf[4] = '-';
	put_digits(buf + 5, m, 2);
	buf[7] = '-';
	put_digits(buf + 8, d, 2);
	buf[10] = 'T';
	put_digits(buf + 11, (int)(rem / 3600), 2);
	buf[13] = ':';
	put_digits(buf + 14, (int)(rem / 60 % 60), 2);
	buf[16] = ':';
	put_digits(buf + 17, (int)(rem % 60), 2);
	buf[19] = 'Z';
	buf[20] = '\0';
	return buf;
}

char *
rso_date_format(rso_time_t t, char *buf)
{
	rso_time_format(t, buf);
	buf[10] = '\0';
	return buf;
}

char *
rso_time_format_local(rso_time_t t, char *buf)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, RSO_TIME_STRLEN, "%Y-%m-%d %H:%M", &tm) == 0)
		return rso_time_format(t, buf);
	return buf;
}

rso_time_t
rso_now(void)
{
	const char *env = getenv("RSO_NOW");
	rso_time_t t;

	if (env == NULL || *env == '\0')
		return (rso_time_t)time(NULL);
	if (rso_time_parse(env, &t) != 0)
		rso_diex(EX_CONFIG, "RSO_NOW: not an RFC 3339 time");
	return t;
}

int
rso_time_within(const char *a, const char *b, int secs)
{
	rso_time_t x, y;

	if (rso_time_parse(a, &x) != 0 || rso_time_parse(b, &y) != 0)
		return 0;
	return x - y <= secs && y - x <= secs;
}

int
rso_duration_parse(const char *s, int64_t *secs)
{
	int64_t total = 0, n;
	int any = 0;

	while (*s != '\0') {
		if (!isdigit((unsigned char)*s))
			return -1;
		for (n = 0; isdigit((unsigned char)*s); s++) {
			if (n > 100000000)
				return -1;
			n = n * 10 + (*s - '0');
		}
		switch (*s++) {
		case 's': break;
		case 'm': n *= 60; break;
		case 'h': n *= 3600; break;
		case 'd': n *= 86400; break;
		case 'w': n *= 7 * 86400; break;
		default: return -1;
		}
		/* A long enough string of pairs would overflow: refuse it. */
		if (n > INT64_MAX - total)
			return -1;
		total += n;
		any = 1;
	}
	if (!any)
		return -1;
	*secs = total;
	return 0;
}

int
rso_when_parse(const char *s, rso_time_t now, rso_time_t *t)
{
	int64_t d, midnight = now - ((now % 86400) + 86400) % 86400;

	if (strcmp(s, "today") == 0) {
		*t = midnight;
		return 0;
	}
	if (strcmp(s, "yesterday") == 0) {
		*t = midnight - 86400;
		return 0;
	}
	if (rso_time_parse(s, t) == 0 || rso_date_parse(s, t) == 0)
		return 0;
	if (rso_duration_parse(s, &d) == 0 && now >= INT64_MIN + d) {
		*t = now - d;
		return 0;
	}
	return -1;
}
