/* rso_derived: the store's tables checked against the events they follow from. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rso_derived.h"
#include "rso_store_priv.h"

#define col(st, i) rso_store_col((st), (i))

/*
 * A table against what it follows from: sql selects the first row where
 * the two differ, as the two words fmt names them by, e.g. "case ID:
 * WHAT does not follow from its events".
 */
static int
first_difference(struct rso_store *s, const char *sql, const char *fmt,
    struct rso_error *e)
{
	sqlite3_stmt *st = rso_store_prepare(s, sql);
	int rc = sqlite3_step(st), frc = 0;

	if (rc == SQLITE_ROW)
		frc = rso_error_set(e, EX_DATAERR, fmt, col(st, 0), col(st, 1));
	if (rc == SQLITE_ROW)
		rc = SQLITE_DONE;
	return rso_store_walk_end(s, st, rc, frc, e);
}

/*
 * The comparisons are set differences (EXCEPT, both ways), not joins: a
 * join of a table with rows derived from the events has no index to use,
 * and over a case of 100,000 records it ran for many minutes.  EXCEPT
 * sorts, so the cost is n log n whatever the sizes.
 */

/* Each segment as the last event that recorded it has it. */
static const char segments_sql[] =
    "WITH b AS (SELECT case_id, name, size, sha256 FROM (SELECT case_id,"
    "  json_extract(data, '$.segment') AS name,"
    "  json_extract(data, '$.segment_size') AS size,"
    "  json_extract(data, '$.segment_sha256') AS sha256, max(seq)"
    "  FROM events WHERE type IN ('records.filed', 'opinion.recorded',"
    "  'case.imported', 'archive.compacted') AND"
    "  json_type(data, '$.segment_sha256') IS NOT NULL"
    "  GROUP BY case_id, name)),"
    " g AS (SELECT case_id, name, size, sha256 FROM segments)"
    " SELECT case_id, 'segment ' || name FROM"
    "  (SELECT * FROM g EXCEPT SELECT * FROM b UNION"
    "   SELECT * FROM (SELECT * FROM b EXCEPT SELECT * FROM g))"
    " ORDER BY 1, 2 LIMIT 1";

/* Which items a case has, in which segment, under a name of that item. */
static const char records_sql[] =
    "WITH f AS (SELECT e.case_id AS case_id, j.value AS item,"
    "  json_extract(e.data, '$.segment') AS segment"
    "  FROM events e, json_each(e.data, '$.items') j"
    "  WHERE e.type = 'records.filed'),"
    " r AS (SELECT case_id, item, segment FROM records)"
    " SELECT case_id, printf('record %04d', item) FROM"
    "  (SELECT * FROM r EXCEPT SELECT * FROM f UNION"
    "   SELECT * FROM (SELECT * FROM f EXCEPT SELECT * FROM r))"
    " UNION ALL SELECT case_id, printf('record %04d', item) FROM records"
    "  WHERE substr(name, 1, length(printf('records/%04d-', item))) IS NOT"
    "  printf('records/%04d-', item)"
    " ORDER BY 1, 2 LIMIT 1";

/*
 * Each role's opinion as its last opinion.recorded has it; the segment
 * only where the event names one.  The event's values are cast to the
 * table's TEXT so that a set difference compares them as the table
 * holds them.
 */
static const char opinions_sql[] =
    "WITH o AS (SELECT case_id, data, max(seq) FROM events"
    "  WHERE type = 'opinion.recorded'"
    "  GROUP BY case_id, json_extract(data, '$.role')),"
    " b AS (SELECT case_id, CAST(json_extract(data, '$.role') AS TEXT) role,"
    "  CAST(json_extract(data, '$.specialist') AS TEXT) specialist_id,"
    "  CAST(json_extract(data, '$.outcome') AS TEXT) outcome,"
    "  CAST(json_extract(data, '$.impact') AS TEXT) impact,"
    "  CAST(json_extract(data, '$.icd10') AS TEXT) icd10,"
    "  CAST(json_extract(data, '$.name') AS TEXT) name,"
    "  CAST(json_extract(data, '$.media_type') AS TEXT) media_type,"
    "  CAST(json_extract(data, '$.sha256') AS TEXT) sha256,"
    "  json_extract(data, '$.size') size FROM o),"
    " g AS (SELECT case_id, role, specialist_id, outcome, impact, icd10,"
    "  name, media_type, sha256, size FROM opinions),"
    " s AS (SELECT case_id, CAST(json_extract(data, '$.role') AS TEXT) role,"
    "  CAST(json_extract(data, '$.segment') AS TEXT) segment FROM o"
    "  WHERE json_type(data, '$.segment') IS NOT NULL)"
    " SELECT case_id, 'opinion ' || coalesce(role, 'without a role') FROM"
    "  (SELECT case_id, role FROM (SELECT * FROM g EXCEPT SELECT * FROM b)"
    "   UNION SELECT case_id, role FROM (SELECT * FROM b EXCEPT SELECT * FROM g)"
    "   UNION SELECT case_id, role FROM (SELECT * FROM s EXCEPT"
    "    SELECT case_id, role, segment FROM opinions))"
    " ORDER BY 1, 2 LIMIT 1";

/*
 * Each consent as the event it names has it, and each consent event with
 * its row (NOT IN: a look-up per event in a list built once; consents
 * have no index by event).
 */
static const char consents_sql[] =
    "SELECT c.case_id, 'consent ' || c.id FROM consents c"
    " LEFT JOIN events e ON e.seq = c.event_seq"
    " WHERE e.seq IS NULL OR e.type IS NOT 'consent.recorded' OR"
    "  e.case_id IS NOT c.case_id OR"
    "  c.providers IS NOT json_extract(e.data, '$.providers') OR"
    "  c.expires IS NOT json_extract(e.data, '$.expires') OR"
    "  c.signed_by IS NOT json_extract(e.data, '$.signed_by') OR"
    "  c.signed IS NOT json_extract(e.data, '$.signed')"
    " UNION ALL SELECT case_id, 'consent event ' || seq FROM events"
    "  WHERE type = 'consent.recorded' AND seq NOT IN"
    "  (SELECT event_seq FROM consents)"
    " ORDER BY 1, 2 LIMIT 1";

/*
 * Each export as its last case.exported has it: one to each folder
 * (migration 702), which the event names as "to" (none before then, and
 * then the row's folder is '').  Two folders may hold a file of the
 * same name and other bytes: an archive is encrypted anew each time.
 */
static const char exports_sql[] =
    "WITH x AS (SELECT case_id, format, dest, name, sha256 FROM"
    "  (SELECT case_id,"
    "  json_extract(data, '$.format') AS format,"
    "  coalesce(json_extract(data, '$.to'), '') AS dest,"
    "  json_extract(data, '$.name') AS name,"
    "  json_extract(data, '$.sha256') AS sha256, max(seq)"
    "  FROM events WHERE type = 'case.exported'"
    "  GROUP BY case_id, format, dest, name)),"
    " t AS (SELECT case_id, format, dest, name, sha256 FROM exports)"
    " SELECT case_id, 'export ' || format || ' ' || name FROM"
    "  (SELECT * FROM t EXCEPT SELECT * FROM x UNION"
    "   SELECT * FROM (SELECT * FROM x EXCEPT SELECT * FROM t))"
    " ORDER BY 1, 2 LIMIT 1";

/*
 * The cases by status as the reports read them (migration 603) against a
 * count of the cases table, itself checked against the events before
 * this.  A status at 0 is no difference; one below 0 is.
 */
static const char status_counts_sql[] =
    "WITH k AS (SELECT status, cases FROM case_status_counts"
    "  WHERE cases <> 0),"
    " c AS (SELECT status, count(*) FROM cases GROUP BY status)"
    " SELECT status, 'count' FROM"
    "  (SELECT * FROM k EXCEPT SELECT * FROM c UNION"
    "   SELECT * FROM (SELECT * FROM c EXCEPT SELECT * FROM k))"
    " ORDER BY 1 LIMIT 1";

/*
 * The nightly steps' marks (migration 121): a mark is only how far a
 * step has looked, but one past the chain's end would have the step pass
 * over every case that changes until the chain reaches it.
 */
static const char marks_sql[] =
    "SELECT step, seq FROM step_marks"
    " WHERE seq > (SELECT coalesce(max(seq), 0) FROM events)"
    " ORDER BY step LIMIT 1";

int
rso_derived_verify(struct rso_store *s, struct rso_error *e)
{
	static const char by_case[] = "case %s: %s does not follow from its "
	    "events";
	static const struct {
		const char *sql, *fmt;
	} tables[] = {
		{ segments_sql, by_case }, { records_sql, by_case },
		{ opinions_sql, by_case }, { consents_sql, by_case },
		{ exports_sql, by_case },
		{ status_counts_sql, "status %s: %s does not follow from the "
		    "cases" },
		{ marks_sql, "step %s: its mark, event %s, is past the last "
		    "event" },
	};
	size_t i;
	int rc;

	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if ((rc = first_difference(s, tables[i].sql, tables[i].fmt,
		    e)) != 0)
			return rc;
	return 0;
}
