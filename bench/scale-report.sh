#!/bin/sh
# bench/scale-report.sh: the same reports for June 2026 over 10 and 50
# years of a 10,000-case program (1M and 5M events; billing, payouts and
# forty specialists), so that the ratio column is the cost of five times
# the history: 1.00 when a report reads only its period.  Each time is
# the best of three runs.  Building the 5M store takes some minutes.
# BENCH_SCALE_CASES sets the smaller store's cases (100,000).
# Prints bench/run's TSV lines.
# SPDX-License-Identifier: ISC
set -eu
t=${BENCH_TMP:?}
n=${BENCH_SCALE_CASES:-100000}
here=$(cd "$(dirname "$0")" && pwd)
export RSO_NOW=2026-11-05T00:00:00Z

# store DIR N: a store of N cases at 10,000 a year, kept if already there.
store() {
	RSO_HOME=$1
	export RSO_HOME
	test -e "$RSO_HOME/rso.db" && return 0
	rso-case init -q
	sh "$here/report-store" "$2" $(($2 / 10000)) 1
}

# best REPORT: the best of three runs' seconds and peak KiB, as "S KIB".
best() {
	for _ in 1 2 3; do
		/usr/bin/time -f '%e %M' -o "$t/scale-time" \
		    rso-report "$1" --month 2026-06 -f json >/dev/null
		cat "$t/scale-time"
	done | sort -n | head -n 1
}

store "$t/scale-small" "$n"
store "$t/scale-large" $((n * 5))
small=$(sqlite3 "$t/scale-small/rso.db" "select count(*) from events")
large=$(sqlite3 "$t/scale-large/rso.db" "select count(*) from events")
for r in monthly audit specialists maturity; do
	RSO_HOME=$t/scale-small best "$r" >"$t/scale-s"
	RSO_HOME=$t/scale-large best "$r" >"$t/scale-l"
	read -r ss _ <"$t/scale-s"
	read -r ls lk <"$t/scale-l"
	printf '%s June over %s events\t%s\tsame over %s\t%s\t%s\n' "$r" \
	    "$large" "$ls" "$small" "$ss" "$lk"
done
