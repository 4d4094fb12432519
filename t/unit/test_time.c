/* Unit tests for rso_time: RFC 3339, dates, durations, when, the clock. */
/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rso_err.h"
#include "rso_time.h"
#include "capture.h"
#include "tap.h"

#define BAD INT64_MIN	/* expected: the parse fails */

/* 2026-10-15T13:45:00Z, a Thursday afternoon, "now" for relative times. */
#define NOW 1792071900LL
#define MIDNIGHT 1792022400LL	/* 2026-10-15T00:00:00Z */

static const struct { const char *in; int64_t want; } instants[] = {
	{ "2026-10-15T13:45:00Z", NOW },
	{ "2026-10-15t13:45:00z", NOW },		/* lowercase t and z */
	{ "2026-10-15 13:45:00Z", NOW },		/* space separator */
	{ "2026-10-15T13:45:00.5Z", NOW },		/* fraction dropped */
	{ "2026-10-15T13:45:00.999999999Z", NOW },
	{ "2026-10-15T19:15:00+05:30", NOW },
	{ "2026-10-15T05:45:00-08:00", NOW },
	{ "2026-10-15T13:45:00+00:00", NOW },
	{ "2026-10-15T13:45:00-00:00", NOW },
	{ "2026-10-16T00:15:00.25+10:30", NOW },	/* offset crosses the day */
	{ "2026-10-15T13:44:60Z", NOW },		/* leap second folded */
	{ "1970-01-01T00:00:00Z", 0 },
	{ "1969-12-31T23:59:59Z", -1 },
	{ "1961-03-01T00:00:00Z", -278899200 },
	{ "1800-01-01T00:00:00Z", -5364662400LL },
	{ "9999-12-31T23:59:59Z", 253402300799LL },
	{ "2024-02-29T00:00:00Z", 1709164800 },		/* leap year */
	{ "2000-02-29T00:00:00Z", 951782400 },		/* divisible by 400 */
	{ "2026-01-31T00:00:00Z", 1769817600 },
	{ "2023-02-29T00:00:00Z", BAD },		/* not a leap year */
	{ "1900-02-29T00:00:00Z", BAD },		/* century, not by 400 */
	{ "2026-04-31T00:00:00Z", BAD },		/* 30-day months */
	{ "2026-06-31T00:00:00Z", BAD },
	{ "2026-09-31T00:00:00Z", BAD },
	{ "2026-11-31T00:00:00Z", BAD },
	{ "2026-01-32T00:00:00Z", BAD },
	{ "2026-00-10T00:00:00Z", BAD },
	{ "2026-13-10T00:00:00Z", BAD },
	{ "2026-10-00T00:00:00Z", BAD },
	{ "1799-12-31T23:59:59Z", BAD },		/* before the range */
	{ "2026-10-15T24:00:00Z", BAD },		/* hour 24 */
	{ "2026-10-15T13:60:00Z", BAD },		/* minute 60 */
	{ "2026-10-15T13:45:61Z", BAD },
	{ "2026-10-15T13:45:00", BAD },			/* missing zone */
	{ "2026-10-15T13:45:00ZZ", BAD },		/* trailing junk */
	{ "2026-10-15T13:45:00Z ", BAD },
	{ "2026-10-15T13:45:00+05:30x", BAD },
	{ "2026-10-15T13:45:00.Z", BAD },		/* empty fraction */
	{ "2026-10-15T13:45:00+0530", BAD },		/* offset without colon */
	{ "2026-10-15T13:45:00+05", BAD },
	{ "2026-10-15T13:45:00+24:00", BAD },
	{ "2026-10-15T13:45:00+05:60", BAD },
	{ "2026-10-15T13:45Z", BAD },			/* no seconds */
	{ "2026-10-15X13:45:00Z", BAD },
	{ "2026-10-15", BAD },				/* a date is not an instant */
	{ "26-10-15T13:45:00Z", BAD },
	{ "2026-1-15T13:45:00Z", BAD },
	{ "+2026-10-15T13:45:00Z", BAD },
	{ " 2026-10-15T13:45:00Z", BAD },
	{ "2026-10-15T1:45:00Z", BAD },
	{ "", BAD },
	{ "now", BAD },
};

static const struct { const char *in; int64_t want; } dates[] = {
	{ "2026-10-15", MIDNIGHT },
	{ "1970-01-01", 0 },
	{ "1969-12-31", -86400 },
	{ "1800-01-01", -5364662400LL },
	{ "9999-12-31", 253402214400LL },
	{ "2024-02-29", 1709164800 },
	{ "2000-02-29", 951782400 },
	{ "2023-02-29", BAD },
	{ "1900-02-29", BAD },
	{ "2026-04-31", BAD },
	{ "1799-12-31", BAD },
	{ "2026-10-15T00:00:00Z", BAD },	/* an instant is not a date */
	{ "2026-10-15 ", BAD },
	{ "2026-10-5", BAD },
	{ "20261015", BAD },
	{ "", BAD },
};

static const struct { const char *in; int64_t want; } durations[] = {
	{ "0s", 0 },
	{ "45s", 45 },
	{ "5m", 300 },
	{ "12h", 43200 },
	{ "3d", 259200 },
	{ "2w", 1209600 },
	{ "1d12h", 129600 },
	{ "1w1d1h1m1s", 694861 },
	{ "1h1h", 7200 },			/* repeated units add up */
	{ "007d", 604800 },
	{ "999999999w", 999999999LL * 604800 },
	{ "", BAD },
	{ "d", BAD },
	{ "3", BAD },
	{ "3x", BAD },
	{ "3D", BAD },
	{ "-3d", BAD },
	{ "+3d", BAD },
	{ " 3d", BAD },
	{ "3d ", BAD },
	{ "3 d", BAD },
	{ "1d12", BAD },			/* a number without its unit */
	{ "1.5d", BAD },
	{ "99999999999999999999d", BAD },	/* overflow in one number */
	{ "9999999999w", BAD },
};

static const struct { const char *in; int64_t want; } whens[] = {
	{ "today", MIDNIGHT },
	{ "yesterday", MIDNIGHT - 86400 },
	{ "2026-10-01", 1790812800 },
	{ "2026-10-01T03:42:00Z", 1790826120 },
	{ "2026-10-01T09:12:00+05:30", 1790826120 },
	{ "3d", NOW - 3 * 86400 },
	{ "12h", NOW - 12 * 3600 },
	{ "0s", NOW },
	{ "1d12h", NOW - 129600 },
	{ "Today", BAD },
	{ "tomorrow", BAD },
	{ "-3d", BAD },
	{ "2026-13-01", BAD },
	{ "", BAD },
};

static void
now_child(void *arg)
{
	(void)arg;
	rso_now();
}

/* A duration of n repetitions of "999999999w": past INT64_MAX near 15250. */
static char *
repeat(const char *unit, size_t n)
{
	size_t k = strlen(unit);
	char *s = malloc(n * k + 1);
	size_t i;

	for (i = 0; i < n; i++)
		memcpy(s + i * k, unit, k);
	s[n * k] = '\0';
	return s;
}

int
main(int argc, char **argv)
{
	char buf[RSO_TIME_STRLEN], day[11], *err, *big;
	rso_time_t t, back;
	int64_t d;
	size_t i;
	int rc;

	(void)argc;
	rso_setprogname(argv[0]);

	for (i = 0; i < sizeof(instants) / sizeof(instants[0]); i++) {
		t = 12345;
		rc = rso_time_parse(instants[i].in, &t);
		if (instants[i].want == BAD) {
			is_int(rc, -1, "time_parse \"%s\" fails", instants[i].in);
			is_int(t, 12345, "time_parse \"%s\" leaves *t alone",
			    instants[i].in);
		} else {
			is_int(rc, 0, "time_parse \"%s\" succeeds", instants[i].in);
			is_int(t, instants[i].want, "time_parse \"%s\" value",
			    instants[i].in);
		}
	}

	/* Format, and parse back what was formatted. */
	{
		static const struct { int64_t t; const char *s; } fmts[] = {
			{ 0, "1970-01-01T00:00:00Z" },
			{ -1, "1969-12-31T23:59:59Z" },
			{ -86400, "1969-12-31T00:00:00Z" },
			{ -86401, "1969-12-30T23:59:59Z" },
			{ -278899200, "1961-03-01T00:00:00Z" },
			{ -278899199, "1961-03-01T00:00:01Z" },
			{ -5364662400LL, "1800-01-01T00:00:00Z" },
			{ 951782400, "2000-02-29T00:00:00Z" },
			{ 1709164800 + 86399, "2024-02-29T23:59:59Z" },
			{ NOW, "2026-10-15T13:45:00Z" },
			{ 253402300799LL, "9999-12-31T23:59:59Z" },
		};
		for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
			ok(rso_time_format(fmts[i].t, buf) == buf,
			    "time_format returns its buffer");
			is_str(buf, fmts[i].s, "time_format %lld",
			    (long long)fmts[i].t);
			back = 0;
			ok(rso_time_parse(buf, &back) == 0 && back == fmts[i].t,
			    "time_format %lld parses back", (long long)fmts[i].t);
			snprintf(day, sizeof(day), "%.10s", fmts[i].s);
			is_str(rso_date_format(fmts[i].t, buf), day,
			    "date_format %lld", (long long)fmts[i].t);
		}
	}
	/* A round trip over a spread of instants, both sides of 1970. */
	{
		int fails = 0;

		for (t = -5364662400LL; t < 253402300799LL; t += 7777777LL * 13) {
			back = 0;
			rso_time_format(t, buf);
			if (rso_time_parse(buf, &back) != 0 || back != t)
				fails++;
		}
		is_int(fails, 0, "format then parse is the identity 1800..9999");
	}
	/* The ends of four-digit years, and past them (as printf writes). */
	is_str(rso_time_format(-62167219200LL, buf), "0000-01-01T00:00:00Z",
	    "time_format: the first instant of year 0");
	is_str(rso_time_format(253402300800LL, buf), "10000-01-01T00:00:00Z",
	    "time_format: year 10000 has five digits");
	is_str(rso_time_format(-62167219201LL, buf), "-001-12-31T23:59:59Z",
	    "time_format: a year before 0 as printf writes it");

	for (i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		t = 12345;
		rc = rso_date_parse(dates[i].in, &t);
		if (dates[i].want == BAD)
			ok(rc == -1 && t == 12345, "date_parse \"%s\" fails",
			    dates[i].in);
		else
			ok(rc == 0 && t == dates[i].want,
			    "date_parse \"%s\" is its midnight UTC", dates[i].in);
	}

	for (i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		d = 12345;
		rc = rso_duration_parse(durations[i].in, &d);
		if (durations[i].want == BAD)
			ok(rc == -1 && d == 12345, "duration_parse \"%s\" fails",
			    durations[i].in);
		else {
			is_int(rc, 0, "duration_parse \"%s\" succeeds",
			    durations[i].in);
			is_int(d, durations[i].want, "duration_parse \"%s\" value",
			    durations[i].in);
		}
	}
	/* Many large pairs: the sum must not overflow (UB), it must fail. */
	big = repeat("999999999w", 16000);
	d = 12345;
	ok(rso_duration_parse(big, &d) == -1 && d == 12345,
	    "duration_parse: a sum past INT64_MAX fails");
	free(big);
	big = repeat("999999999w", 15250);	/* just fits in int64 */
	ok(rso_duration_parse(big, &d) == 0 && d == 15250 * 604799999395200LL,
	    "duration_parse: a sum just below INT64_MAX is kept");
	t = 12345;
	ok(rso_when_parse(big, -200000000000000LL, &t) == -1 && t == 12345,
	    "when_parse: a duration reaching past INT64_MIN fails");
	ok(rso_when_parse(big, NOW, &t) == 0 && t == NOW - d,
	    "when_parse: the same duration from now fits");
	free(big);
	big = repeat("999999999w", 100);
	ok(rso_duration_parse(big, &d) == 0 && d == 100 * 999999999LL * 604800,
	    "duration_parse: a long sum that fits is kept");
	free(big);

	for (i = 0; i < sizeof(whens) / sizeof(whens[0]); i++) {
		t = 12345;
		rc = rso_when_parse(whens[i].in, NOW, &t);
		if (whens[i].want == BAD)
			ok(rc == -1 && t == 12345, "when_parse \"%s\" fails",
			    whens[i].in);
		else
			ok(rc == 0 && t == whens[i].want,
			    "when_parse \"%s\" relative to a fixed now",
			    whens[i].in);
	}
	/* today/yesterday before 1970 and exactly at midnight. */
	ok(rso_when_parse("today", MIDNIGHT, &t) == 0 && t == MIDNIGHT,
	    "when_parse today at midnight is that midnight");
	ok(rso_when_parse("today", -1, &t) == 0 && t == -86400,
	    "when_parse today before 1970 rounds down");
	ok(rso_when_parse("yesterday", -278899199, &t) == 0 &&
	    t == -278899200 - 86400, "when_parse yesterday before 1970");

	/* The clock. */
	setenv("RSO_NOW", "2026-10-15T13:45:00Z", 1);
	is_int(rso_now(), NOW, "rso_now follows RSO_NOW");
	setenv("RSO_NOW", "2026-10-15T19:15:00+05:30", 1);
	is_int(rso_now(), NOW, "rso_now reads an offset in RSO_NOW");
	setenv("RSO_NOW", "", 1);
	t = rso_now();
	ok(t > 1700000000 && t < 253402300799LL,
	    "an empty RSO_NOW means the system clock");
	unsetenv("RSO_NOW");
	ok(rso_now() > 1700000000, "no RSO_NOW means the system clock");

	{
		static const char *const bad[] = {
			"2026-10-15", "yesterday", "2026-02-30T00:00:00Z", "x",
			"2026-10-15T13:45:00",
		};
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			setenv("RSO_NOW", bad[i], 1);
			rc = capture_child(now_child, NULL, &err);
			is_int(rc, EX_CONFIG, "a malformed RSO_NOW \"%s\" exits "
			    "EX_CONFIG", bad[i]);
			is_str(err, "test_time: RSO_NOW: not an RFC 3339 time\n",
			    "and says so without quoting the value");
			free(err);
		}
		unsetenv("RSO_NOW");
	}

	/* Local time is for text only; pin TZ to check the shape. */
	setenv("TZ", "UTC", 1);
	tzset();
	is_str(rso_time_format_local(NOW, buf), "2026-10-15 13:45",
	    "time_format_local in UTC");
	setenv("TZ", "IST-5:30", 1);	/* POSIX form: needs no tzdata */
	tzset();
	is_str(rso_time_format_local(NOW, buf), "2026-10-15 19:15",
	    "time_format_local in +05:30");
	return tap_done();
}
