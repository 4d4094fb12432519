#!/bin/sh
# bench/match.sh: filing a DICOM study to its case by the patient's name
# and birth date, with 100,000 open cases against the same with one.  The
# cost should not grow with the open cases (an index on the birth date).
# The open cases are made collecting by one UPDATE rather than 100,000
# consents: only matching is measured.  Prints bench/run's TSV lines.
# SPDX-License-Identifier: ISC
set -eu
t=${BENCH_TMP:?}
n=${BENCH_MATCH_CASES:-100000}
command -v dcmdump >/dev/null || { echo "match.sh: dcmtk not installed, skipped" >&2; exit 0; }

# Patient i is TESTPERSON^Pi, born on one of 20,000 days, so a handful of
# cases share each birth date and one name matches.
requests() {
	awk -v n="$1" 'BEGIN {
		for (i = 1; i <= n; i++) {
			d = i % 20000
			printf "{\"ref\":\"m-%d\",\"patient\":{\"name\":\"P%d Testperson\",\"birth_date\":\"%04d-%02d-%02d\"},\"specialty\":\"oncology\",\"questions\":[\"Q?\"]}\n", i, i, 1930 + int(d / 336), 1 + int(d / 28) % 12, 1 + d % 28
		}
	}'
}

rso-case keygen -q -o "$t/match-key.txt"
pub=$(sed -n 's/^# public key: //p' "$t/match-key.txt")

store() {
	RSO_HOME="$t/match-$1" rso-case init -q -r "$pub"
	requests "$1" | RSO_HOME="$t/match-$1" rso-intake >/dev/null
	sqlite3 "$t/match-$1/rso.db" "update cases set status = 'collecting'"
}

# The study of the store's first patient (born 1930-01-02).
file_study() {
	rm -rf "$t/drop"
	gen-dicom --study "$t/drop/cd" "name=TESTPERSON^P1" birth=19300102 n=3 >/dev/null
	/usr/bin/time -f '%e %M' -o "$t/$2" sh -c \
	    "RSO_HOME='$t/match-$1' rso-collect inbox --settle 0 '$t/drop' >'$t/$2.out'"
	test "$(grep -c '"case":"RSO-' "$t/$2.out")" -eq 3 || {
		echo "match.sh: the study was not filed to its case" >&2; exit 1; }
}

store 1
store "$n"
file_study 1 t1
file_study "$n" tn
read -r rs rk <"$t/tn"
read -r ss _ <"$t/t1"
printf 'match a study, %d open cases\t%s\tthe same, 1 open case\t%s\t%s\n' "$n" "$rs" "$ss" "$rk"
