#!/bin/sh
# bench/fhir.sh: rso-collect inbox filing a FHIR R4 Bundle of 50,000 entries
# (a searchset as t/helpers/fhir-bundle.py writes it: the Patient,
# Observations, and a DocumentReference whose attachment is in a Binary
# entry), against jq reading the same Bundle for the same attachment and
# sha256sum hashing it.  The inbox also checks every entry's JSON, indexes
# the references, matches the patient, encrypts and fsyncs.  What to read
# is the peak memory: jq holds the Bundle whole, the inbox an entry at a
# time.  A second row files a Bundle carrying one scanned PDF of 40 MiB,
# against jq reading its base64 and base64 -d decoding it: the inbox
# decodes it from the file to the spool as it goes, never whole.
# Prints bench/run's TSV lines.
# SPDX-License-Identifier: ISC
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
t=${BENCH_TMP:?}
n=${BENCH_FHIR_ENTRIES:-50000}
for c in jq python3 sha256sum; do
	command -v $c >/dev/null || { echo "fhir.sh: $c not installed, skipped" >&2; exit 0; }
done

# shellcheck source=bench/lib.inc
. "$top/bench/lib.inc"
one_case fhir radiology

mkdir -p "$t/fhir-drop"
python3 "$top/t/helpers/fhir-bundle.py" big "$n" --family Bench --given Test \
    --birth 1970-01-01 >"$t/fhir.json"
cp "$t/fhir.json" "$t/fhir-drop/bundle.json"
mb=$(du -m "$t/fhir.json" | cut -f1)
sync
/usr/bin/time -f '%e %M' -o "$t/tr" sh -c "jq -r '.entry[].resource |
    select(.resourceType == \"Binary\") | .data' '$t/fhir.json' |
    base64 -d | sha256sum >/dev/null"
inbox_row "$t/fhir-drop" "inbox of a FHIR Bundle of $n entries ($mb MB)" 'jq, base64, sha256sum'

mib=${BENCH_FHIR_SCAN_MIB:-40}
rm -rf "$t/fhir-drop" "$t/fhir.json"
mkdir -p "$t/fhir-drop"
python3 "$top/t/helpers/fhir-bundle.py" large "$mib" --family Bench \
    --given Test --birth 1970-01-01 >"$t/scan.json"
cp "$t/scan.json" "$t/fhir-drop/scan.json"
mb=$(du -m "$t/scan.json" | cut -f1)
sync
/usr/bin/time -f '%e %M' -o "$t/tr" sh -c "jq -r '.entry[].resource |
    select(.resourceType == \"DocumentReference\") |
    .content[0].attachment.data' '$t/scan.json' |
    base64 -d | sha256sum >/dev/null"
inbox_row "$t/fhir-drop" "inbox of a FHIR Bundle with one $mib MiB scan ($mb MB)" \
    'jq, base64, sha256sum'
