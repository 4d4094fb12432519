#!/bin/sh
# bench/report.sh: rso-report monthly over a million events (100,000
# synthetic cases of ten events each, two years, written straight into
# the store with sqlite3 by bench/report-store), against the equivalent
# hand-written queries in the sqlite3 CLI, query for query what the report
# computes: the counts, the ready and delivered sets with their clocks and
# request times, the outcomes, surveys, downstream care and money, each
# "first event in the month" read from the month's events as rso-report
# reads it (not by grouping all history); and once, the cases by status
# and twelve months' requests.
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
SELECT d.case_id, d.at, coalesce(c.received, c.created) FROM (SELECT case_id, min(at) AS at FROM events e WHERE type = 'records.complete' AND at >= '2026-06-01' AND at < '2026-07-01' AND NOT EXISTS (SELECT 1 FROM events f WHERE f.case_id = e.case_id AND f.type = 'records.complete' AND f.at < '2026-06-01') GROUP BY case_id) d JOIN cases c ON c.id = d.case_id;
SELECT count(*) FROM (SELECT case_id, min(at) AS at FROM events e WHERE type = 'opinion.acknowledged' AND at >= '2026-06-01' AND at < '2026-07-01' AND NOT EXISTS (SELECT 1 FROM events f WHERE f.case_id = e.case_id AND f.type = 'opinion.acknowledged' AND f.at < '2026-06-01') GROUP BY case_id);
SELECT count(*) FROM (SELECT case_id, min(at) AS at FROM events e WHERE type = 'opinion.delivered' AND at >= '2026-06-01' AND at < '2026-07-01' AND NOT EXISTS (SELECT 1 FROM events f WHERE f.case_id = e.case_id AND f.type = 'opinion.delivered' AND f.at < '2026-06-01') GROUP BY case_id) d WHERE EXISTS (SELECT 1 FROM events x WHERE x.case_id = d.case_id AND x.type = 'survey.answered');
SELECT count(*) FROM events WHERE type = 'case.cancelled' AND at >= '2026-06-01' AND at < '2026-07-01';
SELECT d.case_id, d.at, coalesce(c.received, c.created), (SELECT max(at) FROM events r WHERE r.case_id = d.case_id AND r.type = 'records.complete'),
    (SELECT group_concat(type || at) FROM events h WHERE h.case_id = d.case_id AND h.type IN ('case.held', 'case.resumed'))
FROM (SELECT case_id, min(at) AS at FROM events e WHERE type = 'opinion.delivered' AND at >= '2026-06-01' AND at < '2026-07-01' AND NOT EXISTS (SELECT 1 FROM events f WHERE f.case_id = e.case_id AND f.type = 'opinion.delivered' AND f.at < '2026-06-01') GROUP BY case_id) d JOIN cases c ON c.id = d.case_id;
SELECT o.outcome, count(*) FROM opinions o JOIN (SELECT case_id, min(at) AS at FROM events e WHERE type = 'opinion.delivered' AND at >= '2026-06-01' AND at < '2026-07-01' AND NOT EXISTS (SELECT 1 FROM events f WHERE f.case_id = e.case_id AND f.type = 'opinion.delivered' AND f.at < '2026-06-01') GROUP BY case_id) d ON d.case_id = o.case_id WHERE o.role = 'primary' GROUP BY 1;
SELECT json_extract(data, '$.score') FROM events WHERE type = 'survey.answered' AND at >= '2026-06-01' AND at < '2026-07-01';
SELECT json_extract(data, '$.kind'), count(*), coalesce(sum(json_extract(data, '$.revenue')), 0) FROM events INDEXED BY events_downstream WHERE type = 'case.downstream' AND coalesce(json_extract(data, '$.date') || 'T00:00:00Z', at) >= '2026-06-01' AND coalesce(json_extract(data, '$.date') || 'T00:00:00Z', at) < '2026-07-01' GROUP BY 1;
SELECT coalesce(sum(total), 0) FROM invoices WHERE issued >= '2026-06-01' AND issued < '2026-07-01';
SELECT coalesce(sum(p.amount), 0) FROM postings p JOIN ledger_tx t ON t.id = p.tx_id WHERE p.account = 'cash' AND p.amount > 0 AND t.at >= '2026-06-01' AND t.at < '2026-07-01';
SELECT coalesce(sum(amount), 0) FROM refunds WHERE at >= '2026-06-01' AND at < '2026-07-01';
SQL
# Once a report: the cases by status now, and twelve months' requests.
cat >"$t/report-once.sql" <<'SQL'
SELECT status, cases FROM case_status_counts WHERE cases > 0 ORDER BY cases DESC, status;
SQL
for m in 2025-07 2025-08 2025-09 2025-10 2025-11 2025-12 2026-01 2026-02 2026-03 2026-04 2026-05 2026-06; do
	echo "SELECT count(*) FROM cases WHERE created >= '$m-01' AND created < date('$m-01', '+1 month');"
done >>"$t/report-once.sql"
/usr/bin/time -f '%e %M' -o "$t/rr" sh -c "for m in 2026-06:2026-07 2026-05:2026-06 2025-06:2025-07; do sed \"s/2026-06-01/\${m%:*}-01/g; s/2026-07-01/\${m#*:}-01/g\" '$t/report.sql' | sqlite3 '$RSO_HOME/rso.db' >/dev/null; done; sqlite3 '$RSO_HOME/rso.db' <'$t/report-once.sql' >/dev/null"
/usr/bin/time -f '%e %M' -o "$t/ri" sh -c "rso-report monthly --month 2026-06 >/dev/null"
read -r rs rk <"$t/ri"
read -r ss _ <"$t/rr"
printf 'monthly report over %s events\t%s\tsqlite3 CLI queries\t%s\t%s\n' "$events" "$rs" "$ss" "$rk"
