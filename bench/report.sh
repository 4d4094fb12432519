#!/bin/sh
# bench/report.sh: rso-report monthly over a million events (100,000
# synthetic cases of ten events each, two years, written straight into
# the store with sqlite3 by bench/report-store), against the equivalent
# hand-written queries in the sqlite3 CLI: the same counts, the delivered
# set with its clocks, the outcomes and the surveys, each "first event in
# the month" read from the month's events as rso-report reads it (not by
# grouping all history).
# Prints bench/run's TSV lines.
# SPDX-License-Identifier: ISC
set -eu
t=${BENCH_TMP:?}
n=${BENCH_REPORT_CASES:-100000}
export RSO_HOME="$t/report-home" RSO_NOW=2026-11-05T00:00:00Z
rso-case init -q
sh "$(dirname "$0")/report-store" "$n" 2
events=$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from events")
cat >"$t/report.sql" <<'SQL'
.mode list
SELECT count(*) FROM cases WHERE created >= '2026-06-01' AND created < '2026-07-01';
SELECT count(*) FROM (SELECT case_id, min(at) AS at FROM events e WHERE type = 'consent.recorded' AND at >= '2026-06-01' AND at < '2026-07-01' AND NOT EXISTS (SELECT 1 FROM events f WHERE f.case_id = e.case_id AND f.type = 'consent.recorded' AND f.at < '2026-06-01') GROUP BY case_id);
SELECT count(*) FROM (SELECT case_id, min(at) AS at FROM events e WHERE type = 'records.complete' AND at >= '2026-06-01' AND at < '2026-07-01' AND NOT EXISTS (SELECT 1 FROM events f WHERE f.case_id = e.case_id AND f.type = 'records.complete' AND f.at < '2026-06-01') GROUP BY case_id);
SELECT count(*) FROM (SELECT case_id, min(at) AS at FROM events e WHERE type = 'opinion.acknowledged' AND at >= '2026-06-01' AND at < '2026-07-01' AND NOT EXISTS (SELECT 1 FROM events f WHERE f.case_id = e.case_id AND f.type = 'opinion.acknowledged' AND f.at < '2026-06-01') GROUP BY case_id);
SELECT d.case_id, (SELECT max(at) FROM events r WHERE r.case_id = d.case_id AND r.type = 'records.complete'), d.at,
    (SELECT group_concat(type || at) FROM events h WHERE h.case_id = d.case_id AND h.type IN ('case.held', 'case.resumed'))
FROM (SELECT case_id, min(at) AS at FROM events e WHERE type = 'opinion.delivered' AND at >= '2026-06-01' AND at < '2026-07-01' AND NOT EXISTS (SELECT 1 FROM events f WHERE f.case_id = e.case_id AND f.type = 'opinion.delivered' AND f.at < '2026-06-01') GROUP BY case_id) d;
SELECT o.outcome, count(*) FROM opinions o JOIN (SELECT case_id, min(at) AS at FROM events e WHERE type = 'opinion.delivered' AND at >= '2026-06-01' AND at < '2026-07-01' AND NOT EXISTS (SELECT 1 FROM events f WHERE f.case_id = e.case_id AND f.type = 'opinion.delivered' AND f.at < '2026-06-01') GROUP BY case_id) d ON d.case_id = o.case_id GROUP BY 1;
SELECT json_extract(data, '$.score') FROM events WHERE type = 'survey.answered' AND at >= '2026-06-01' AND at < '2026-07-01';
SQL
/usr/bin/time -f '%e %M' -o "$t/rr" sh -c "for m in 2026-06:2026-07 2026-05:2026-06 2025-06:2025-07; do sed \"s/2026-06-01/\${m%:*}-01/g; s/2026-07-01/\${m#*:}-01/g\" '$t/report.sql' | sqlite3 '$RSO_HOME/rso.db' >/dev/null; done"
/usr/bin/time -f '%e %M' -o "$t/ri" sh -c "rso-report monthly --month 2026-06 >/dev/null"
read -r rs rk <"$t/ri"
read -r ss sk <"$t/rr"
printf 'monthly report over %s events\t%s\tsqlite3 CLI queries\t%s\t%s\n' "$events" "$rs" "$ss" "$rk"
