/* rso_sla: the two-week promise -- when a case's review is due. */
/* SPDX-License-Identifier: ISC */
#include <string.h>

#include "rso_jsonl.h"
#include "rso_sla.h"
#include "rso_store_priv.h"

/* 1970-01-01 was a Thursday: day 0 is weekday 4 (0 = Sunday). */
static int
weekday(rso_time_t t)
{
	int64_t days = t / 86400 - (t % 86400 < 0);

	return (int)(((days % 7) + 11) % 7);
}

rso_time_t
rso_sla_add_days(rso_time_t start, int days, int business)
{
	rso_time_t t = start;

	if (!business)
		return start + (rso_time_t)days * 86400;
	while (weekday(t) == 0 || weekday(t) == 6)
		t += 86400;
	while (days > 0) {
		t += 86400;
		if (weekday(t) != 0 && weekday(t) != 6)
			days--;
	}
	return t;
}

int
rso_sla_case(struct rso_store *s, const char *id, struct rso_sla *out,
    struct rso_error *e)
{
	/*
	 * Kept prepared: a report asks this of every case it counts.  ORs,
	 * not IN: SQLite builds an IN list's table on each run, and a page
	 * cache with it, a tenth of a monthly report's time.
	 */
	static const char sql[] = "SELECT type, at FROM events"
	    " WHERE case_id = ? AND (type = 'records.complete' OR type ="
	    " 'case.held' OR type = 'case.resumed' OR type ="
	    " 'opinion.delivered') ORDER BY seq";
	sqlite3_stmt *st = rso_store_cached(s, sql);
	const char *type, *at;
	rso_time_t t, hold_start = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	out->days = (int)rso_store_conf_int(s, "sla_days", 14);
	out->business_days = json_is_true(rso_json_path(rso_store_config(s),
	    "sla_business_days"));
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		type = (const char *)sqlite3_column_text(st, 0);
		at = (const char *)sqlite3_column_text(st, 1);
		if (rso_time_parse(at, &t) != 0)
			continue;
		if (strcmp(type, "records.complete") == 0) {
			out->ready = t;
			out->held = 0;
			hold_start = 0;
		} else if (strcmp(type, "case.held") == 0 && out->ready) {
			hold_start = t;
		} else if (strcmp(type, "case.resumed") == 0 && hold_start) {
			out->held += t - hold_start;
			hold_start = 0;
		} else if (strcmp(type, "opinion.delivered") == 0) {
			out->delivered = t;
		}
	}
	rso_store_done(st);
	if (rc != SQLITE_DONE)
		return rso_store_sqlerr(s, rc, e);
	/* Still on hold: the clock has stood still since the hold began. */
	if (hold_start)
		out->held += rso_now() - hold_start;
	if (out->ready)
		out->due = rso_sla_add_days(out->ready, out->days,
		    out->business_days) + out->held;
	return 0;
}
