#!/bin/sh
# bench/nightly.sh: the nightly's invoice and EHR export steps on a store
# of 100,000 delivered cases, all invoiced and exported on nights before,
# with no new work: the steps as the nightly runs them (--new, from each
# step's mark) against the full walk they replaced (every delivered case
# listed and handed over, each answered "existing").  The store is written
# straight with sqlite3, as bench/report.sh does: four events a case, an
# opinion, an invoice and the HL7 export the exporter would have recorded
# (its name from python3, which hashes as rso-export does), and each step's
# mark at the last event.  Prints bench/run's TSV lines, the full walk's
# peak memory in its label.
# SPDX-License-Identifier: ISC
set -eu
t=${BENCH_TMP:?}
n=${BENCH_NIGHTLY_CASES:-100000}
command -v python3 >/dev/null || { echo "nightly.sh: python3 not installed, skipped" >&2; exit 0; }
export RSO_HOME="$t/nightly-home" RSO_NOW=2026-11-05T00:00:00Z
mkdir -p "$t/nightly-ehr"
ehr=$(cd "$t/nightly-ehr" && pwd -P)
sha=$(printf 'synthetic opinion\n' | sha256sum | cut -d' ' -f1)
# The exporter needs an identity to start, though none is decrypted here.
rso-case keygen -q -o "$t/nightly-key.txt"
export RSO_IDENTITY="$t/nightly-key.txt"
rso-case init -q -r "$(sed -n 's/^# public key: //p' "$t/nightly-key.txt")"

# Each case's HL7 file name: CASE-primary-RSO and 17 hex digits of
# SHA-256 over "CASE|primary|OPINION-SHA256" (rso-export's control id).
python3 - "$n" "$sha" >"$t/nightly-names.csv" <<'PY'
import hashlib, sys
n, sha = int(sys.argv[1]), sys.argv[2]
for i in range(1, n + 1):
    c = "RSO-2026-%06d" % i
    h = hashlib.sha256(("%s|primary|%s" % (c, sha)).encode()).hexdigest()
    print("%s,%s-primary-RSO%s.hl7" % (c, c, h[:17]))
PY

sqlite3 "$RSO_HOME/rso.db" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
BEGIN;
WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < $n)
INSERT INTO cases (id, ref, status, status_at, created, updated, received,
    specialty, urgency, country, region, referral_source, intake, intake_hash)
SELECT printf('RSO-2026-%06d', i), 'n-' || i, 'delivered',
    strftime('%Y-%m-%dT%H:%M:%SZ', '2024-11-01', '+' || (i * 631) || ' seconds'),
    strftime('%Y-%m-%dT%H:%M:%SZ', '2024-11-01', '+' || (i * 631) || ' seconds'),
    strftime('%Y-%m-%dT%H:%M:%SZ', '2024-11-01', '+' || (i * 631) || ' seconds'),
    strftime('%Y-%m-%dT%H:%M:%SZ', '2024-11-01', '+' || (i * 631) || ' seconds'),
    'oncology', 'routine', 'US', 'TX', 'web',
    json_object('ref', 'n-' || i, 'specialty', 'oncology',
    'patient', json_object('name', 'P' || i || ' Testperson',
    'birth_date', '1961-03-01')), 'h' || i FROM k;
CREATE TEMP TABLE steps(k INTEGER, type TEXT);
INSERT INTO steps VALUES (0, 'case.created'), (1, 'opinion.delivered'),
    (2, 'invoice.issued'), (3, 'case.exported');
INSERT INTO events (at, case_id, type, actor, data, prev, hash)
SELECT c.created, c.id, s.type, 'bench', '{}', '', c.id || '/' || s.k
FROM cases c, steps s ORDER BY c.created, s.k;
INSERT INTO opinions (case_id, role, specialist_id, outcome, impact, icd10,
    name, segment, media_type, sha256, size, recorded)
SELECT id, 'primary', NULL, 'confirmed', 'none', '[]', 'opinion/primary.md',
    '000001.age', 'text/markdown', '$sha', 18, created FROM cases;
INSERT INTO invoices (number, case_id, currency, total, status, issued, tx_id)
SELECT printf('INV-2026-%06d', rowid), id, 'USD', 60000, 'paid', created,
    rowid FROM cases;
CREATE TEMP TABLE names(case_id TEXT, name TEXT);
.import --csv $t/nightly-names.csv names
INSERT INTO exports (case_id, format, dest, name, sha256, at)
SELECT case_id, 'hl7', '$ehr', name, '$sha', '2026-11-01T00:00:00Z' FROM names;
INSERT INTO step_marks (step, seq) SELECT 'rso-bill invoice', max(seq) FROM events;
INSERT INTO step_marks (step, seq) SELECT 'rso-export hl7 $ehr', max(seq) FROM events;
COMMIT;
SQL

# timed NAME COMMAND: COMMAND's seconds and peak KiB into $t/NAME, its
# output into $t/NAME.out.
timed() {
	/usr/bin/time -f '%e %M' -o "$t/$1" sh -c "$2 >'$t/$1.out'"
}

# lines NAME WANT: the run NAME wrote WANT lines, or the bench is wrong.
lines() {
	test "$(wc -l <"$t/$1.out")" -eq "$2" || {
		echo "nightly.sh: $1: $(wc -l <"$t/$1.out") lines, not $2" >&2
		exit 1
	}
}

timed bill-new "rso-bill invoice -q --new"
timed bill-all "rso-case list -q --status ready,assigned,in-review,delivered | rso-bill invoice -q"
timed export-new "rso-export -q --new --format hl7 --to '$ehr'"
timed export-all "rso-case list -q --status delivered,closed | rso-export -q --format hl7 --to '$ehr'"
lines bill-new 0
lines bill-all "$n"
lines export-new 0
lines export-all "$n"

# report WHAT NEW OLD: one TSV line, the --new run against the full walk.
report() {
	read -r rs rk <"$t/$2"
	read -r ss sk <"$t/$3"
	printf '%s, %d delivered, none new\t%s\tfull walk, %d KiB\t%s\t%s\n' \
	    "$1" "$n" "$rs" "$sk" "$ss" "$rk"
}
report "nightly invoice --new" bill-new bill-all
report "nightly export --new" export-new export-all
