#!/bin/sh
# bench/fhir.sh: rso-collect inbox filing a FHIR R4 Bundle of 50,000 entries
# (a searchset as t/helpers/fhir-bundle.py writes it: the Patient,
# Observations, and a DocumentReference whose attachment is in a Binary
# entry), against jq reading the same Bundle for the same attachment and
# sha256sum hashing it.  The inbox also checks every entry's JSON, indexes
# the references, matches the patient, encrypts and fsyncs.  What to read
# is the peak memory: jq holds the Bundle whole, the inbox an entry at a
# time.  Prints bench/run's TSV lines.
# SPDX-License-Identifier: ISC
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
t=${BENCH_TMP:?}
n=${BENCH_FHIR_ENTRIES:-50000}
for c in jq python3 sha256sum; do
	command -v $c >/dev/null || { echo "fhir.sh: $c not installed, skipped" >&2; exit 0; }
done

. "$top/bench/one-case.inc"
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
/usr/bin/time -f '%e %M' -o "$t/ti" sh -c \
    "rso-collect inbox --settle 0 '$t/fhir-drop' >/dev/null && sync"
test -z "$(ls "$t/fhir-drop")" || { echo "fhir.sh: the Bundle was not filed" >&2; exit 1; }
read -r rs rk <"$t/ti"
read -r ss _ <"$t/tr"
printf 'inbox of a FHIR Bundle of %d entries (%s MB)\t%s\tjq, base64, sha256sum\t%s\t%s\n' "$n" "$mb" "$rs" "$ss" "$rk"
