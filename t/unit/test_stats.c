/* Unit tests for rso_stats and rso_sla's day arithmetic. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>

#include "rso_sla.h"
#include "rso_stats.h"
#include "tap.h"

int
main(void)
{
	int64_t v1[] = { 5 }, v2[] = { 4, 1 }, v10[] = { 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 };
	int64_t out = 0;
	struct rso_nps n = { 0 };
	char buf[32];
	rso_time_t mon, fri, sat;
	int i;

	ok(rso_percentile(v1, 0, 50, &out) == -1, "no values, no percentile");
	ok(rso_percentile(v1, 1, 0, &out) == -1, "p 0 is refused");
	ok(rso_percentile(v1, 1, 101, &out) == -1, "p 101 is refused");
	rso_percentile(v1, 1, 50, &out);
	is_int(out, 5, "the median of one value is that value");
	rso_percentile(v2, 2, 50, &out);
	is_int(out, 1, "the median of an even count is the lower middle value");
	rso_percentile(v10, 10, 50, &out);
	is_int(out, 5, "median of 1..10 is 5 (rank 5)");
	rso_percentile(v10, 10, 90, &out);
	is_int(out, 9, "p90 of 1..10 is 9 (rank 9)");
	rso_percentile(v10, 10, 91, &out);
	is_int(out, 10, "p91 of 1..10 is 10 (rank ceil(9.1) = 10)");
	rso_percentile(v10, 10, 100, &out);
	is_int(out, 10, "p100 is the largest");
	rso_percentile(v10, 10, 1, &out);
	is_int(out, 1, "p1 is the smallest");

	is_int(rso_rate_tenths(1, 3), 333, "1 of 3 is 33.3%%");
	is_int(rso_rate_tenths(2, 3), 667, "2 of 3 is 66.7%% (half up)");
	is_int(rso_rate_tenths(1, 8), 125, "1 of 8 is 12.5%%");
	is_int(rso_rate_tenths(0, 0), -1, "no denominator, no rate");
	is_str(rso_rate_format(333, buf, sizeof(buf)), "33.3%", "rate format");
	is_str(rso_rate_format(1000, buf, sizeof(buf)), "100.0%", "100%% format");
	is_str(rso_rate_format(-1, buf, sizeof(buf)), "-", "no rate prints -");

	for (i = 0; i < 5; i++)
		rso_nps_add(&n, 10);
	rso_nps_add(&n, 8);
	rso_nps_add(&n, 7);
	rso_nps_add(&n, 6);
	rso_nps_add(&n, 0);
	rso_nps_finish(&n);
	is_int(n.responses, 9, "nps counts responses");
	is_int(n.promoters, 5, "9-10 are promoters");
	is_int(n.passives, 2, "7-8 are passives");
	is_int(n.detractors, 2, "0-6 are detractors");
	is_int(n.nps, 33, "NPS = round(100 * (5 - 2) / 9) = 33");
	memset(&n, 0, sizeof(n));
	rso_nps_add(&n, 0);
	rso_nps_add(&n, 9);
	rso_nps_add(&n, 0);
	rso_nps_finish(&n);
	is_int(n.nps, -33, "NPS rounds away from zero when negative");
	memset(&n, 0, sizeof(n));
	rso_nps_add(&n, 9);
	rso_nps_add(&n, 5);
	rso_nps_add(&n, 8);
	rso_nps_add(&n, 8);
	rso_nps_finish(&n);
	is_int(n.nps, 0, "equal promoters and detractors is 0");

	is_str(rso_days_format(14 * 86400, buf, sizeof(buf)), "14.0", "14 days");
	is_str(rso_days_format(86400 * 27 / 2, buf, sizeof(buf)), "13.5", "13.5 days");
	is_str(rso_days_format(-86400, buf, sizeof(buf)), "-1.0", "negative days");

	rso_date_parse("2026-10-05", &mon);	/* a Monday */
	rso_date_parse("2026-10-09", &fri);
	rso_date_parse("2026-10-10", &sat);
	is_int(rso_sla_add_days(mon, 14, 0) - mon, 14 * 86400, "calendar days add");
	is_int((rso_sla_add_days(mon, 10, 1) - mon) / 86400, 14,
	    "10 business days from a Monday is the Monday two weeks on");
	is_int((rso_sla_add_days(fri, 1, 1) - fri) / 86400, 3,
	    "1 business day from a Friday is the Monday");
	is_int((rso_sla_add_days(sat, 1, 1) - sat) / 86400, 3,
	    "a clock starting on Saturday starts Monday, one day on is Tuesday");
	return tap_done();
}
