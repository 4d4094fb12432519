#!/bin/sh
# bench/report.sh: rso-report monthly over a million events (100,000
# synthetic cases of ten events each, two years, written straight into
# the store with sqlite3), against the equivalent hand-written queries in
# the sqlite3 CLI: the same counts, the delivered set with its clocks, the
# outcomes and the surveys.  Prints bench/run's TSV lines.
# SPDX-License-Identifier: ISC
set -eu
t=${BENCH_TMP:?}
n=${BENCH_REPORT_CASES:-100000}
export RSO_HOME="$t/report-home" RSO_NOW=2026-11-05T00:00:00Z
rso-case init -q
sqlite3 "$RSO_HOME/rso.db" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
BEGIN;
WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < $n)
INSERT INTO cases (id, ref, status, status_at, created, updated, received,
    specialty, urgency, country, region, referral_source, intake, intake_hash)
SELECT printf('RSO-2026-%06d', i), 'b-' || i, 'delivered',
    strftime('%Y-%m-%dT%H:%M:%SZ', '2024-11-01', '+' || (i * 631 % 63072000) || ' seconds'),
    strftime('%Y-%m-%dT%H:%M:%SZ', '2024-11-01', '+' || (i * 631 % 63072000) || ' seconds'),
    strftime('%Y-%m-%dT%H:%M:%SZ', '2024-11-01', '+' || (i * 631 % 63072000) || ' seconds'),
    strftime('%Y-%m-%dT%H:%M:%SZ', '2024-11-01', '+' || (i * 631 % 63072000) || ' seconds'),
    CASE i % 4 WHEN 0 THEN 'oncology' WHEN 1 THEN 'cardiology' WHEN 2 THEN 'neurology' ELSE 'orthopedics' END,
    'routine', 'US', 'TX', 'web', '{}', 'h' || i FROM k;
CREATE TEMP TABLE steps(k INTEGER, type TEXT, secs INTEGER);
INSERT INTO steps VALUES (0, 'case.created', 0), (1, 'consent.recorded', 86400),
    (2, 'records.filed', 5 * 86400), (3, 'records.complete', 6 * 86400),
    (4, 'case.assigned', 7 * 86400), (5, 'review.started', 8 * 86400),
    (6, 'opinion.recorded', 17 * 86400), (7, 'opinion.delivered', 17 * 86400 + 60),
    (8, 'opinion.acknowledged', 19 * 86400), (9, 'survey.answered', 21 * 86400);
INSERT INTO events (at, case_id, type, actor, data, prev, hash)
SELECT strftime('%Y-%m-%dT%H:%M:%SZ', c.created, '+' || (s.secs + (CASE WHEN s.k >= 6 THEN (c.rowid % 9) * 86400 ELSE 0 END)) || ' seconds'),
    c.id, s.type, 'bench',
    CASE s.type WHEN 'survey.answered' THEN json_object('score', c.rowid % 11) ELSE '{}' END,
    '', c.id || '/' || s.k
FROM cases c, steps s ORDER BY c.created, s.k;
INSERT INTO opinions (case_id, role, specialist_id, outcome, impact, icd10, name, segment, media_type, sha256, size, recorded)
SELECT id, 'primary', NULL, CASE rowid % 4 WHEN 0 THEN 'confirmed' WHEN 1 THEN 'diagnosis-changed' WHEN 2 THEN 'treatment-changed' ELSE 'more-tests' END,
    'none', '[]', 'opinion/primary.md', '000001.age', 'text/markdown', 'x', 1, created FROM cases;
COMMIT;
SQL
events=$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from events")
cat >"$t/report.sql" <<'SQL'
.mode list
SELECT count(*) FROM cases WHERE created >= '2026-06-01' AND created < '2026-07-01';
SELECT count(*) FROM (SELECT case_id FROM events WHERE type = 'consent.recorded' GROUP BY case_id HAVING min(at) >= '2026-06-01' AND min(at) < '2026-07-01');
SELECT count(*) FROM (SELECT case_id FROM events WHERE type = 'records.complete' GROUP BY case_id HAVING min(at) >= '2026-06-01' AND min(at) < '2026-07-01');
SELECT count(*) FROM (SELECT case_id FROM events WHERE type = 'opinion.acknowledged' GROUP BY case_id HAVING min(at) >= '2026-06-01' AND min(at) < '2026-07-01');
SELECT d.case_id, (SELECT max(at) FROM events r WHERE r.case_id = d.case_id AND r.type = 'records.complete'), d.at,
    (SELECT group_concat(type || at) FROM events h WHERE h.case_id = d.case_id AND h.type IN ('case.held', 'case.resumed'))
FROM (SELECT case_id, min(at) AS at FROM events WHERE type = 'opinion.delivered' GROUP BY case_id HAVING min(at) >= '2026-06-01' AND min(at) < '2026-07-01') d;
SELECT o.outcome, count(*) FROM opinions o JOIN (SELECT case_id FROM events WHERE type = 'opinion.delivered' GROUP BY case_id HAVING min(at) >= '2026-06-01' AND min(at) < '2026-07-01') d ON d.case_id = o.case_id GROUP BY 1;
SELECT json_extract(data, '$.score') FROM events WHERE type = 'survey.answered' AND at >= '2026-06-01' AND at < '2026-07-01';
SQL
/usr/bin/time -f '%e %M' -o "$t/rr" sh -c "for m in 2026-06:2026-07 2026-05:2026-06 2025-06:2025-07; do sed \"s/2026-06-01/\${m%:*}-01/g; s/2026-07-01/\${m#*:}-01/g\" '$t/report.sql' | sqlite3 '$RSO_HOME/rso.db' >/dev/null; done"
/usr/bin/time -f '%e %M' -o "$t/ri" sh -c "rso-report monthly --month 2026-06 >/dev/null"
read -r rs rk <"$t/ri"
read -r ss sk <"$t/rr"
printf 'monthly report over %s events\t%s\tsqlite3 CLI queries\t%s\t%s\n' "$events" "$rs" "$ss" "$rk"
