#!/bin/sh
# bench/compact.sh: reading one record (rso-collect cat) of a 1 GiB imaging
# case before and after rso-case compact.  The case is filed as studies
# of eight 512 KiB synthetic instances, one segment each; compaction
# merges them into segments of at most archive.compact_max_bytes (16 MiB
# by default), and, for the record, into one segment of the whole case
# (compact_max_bytes 0, what compaction did before it was bounded).
# Each figure is the time of one cat, averaged over records spread
# through the case, the best of three runs.  Prints bench/run's TSV lines.
# SPDX-License-Identifier: ISC
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
t=${BENCH_TMP:?}
mib=${BENCH_COMPACT_MIB:-1024}
per=8			# instances per filing
kib=512			# each instance's size
picks=8			# records read, spread over the case
max=${BENCH_COMPACT_MAX:-}	# a bound other than the default, in bytes

# shellcheck source=bench/lib.inc
. "$top/bench/lib.inc"
one_case compact radiology
export RSO_IDENTITY="$t/compact-key"

filings=$((mib * 1024 / (per * kib)))
mkdir "$t/compact-in"
i=0
while test "$i" -lt "$filings"; do
	j=0
	while test "$j" -lt "$per"; do
		head -c $((kib * 1024)) /dev/urandom >"$t/compact-in/i$j.dcm"
		j=$((j + 1))
	done
	rso-collect add --type imaging RSO-2026-000001 "$t"/compact-in/i*.dcm >/dev/null
	i=$((i + 1))
done
rm -rf "$t/compact-in"
items=$((filings * per))

# The records read: one in each eighth of the case, none at its start.
list=
k=1
while test "$k" -le "$picks"; do
	list="$list $(( (2 * k - 1) * items / (2 * picks) ))"
	k=$((k + 1))
done

# The best of three runs of cat over the list: "SECONDS_PER_CAT PEAK_KIB".
cats() {
	for run in 1 2 3; do
		/usr/bin/time -f '%e %M' -o "$t/ct$run" sh -c \
		    "for i in $list; do rso-collect cat RSO-2026-000001 \$i >/dev/null || exit 1; done"
	done
	sort -n "$t/ct1" "$t/ct2" "$t/ct3" | head -1 |
	    awk -v n="$picks" '{ printf "%.4f %d\n", $1 / n, $2 }'
}

segs() {
	set -- "$RSO_HOME"/archives/RSO-2026-000001/*.age
	echo $#
}

read -r bs bk <<EOF
$(cats)
EOF
nb=$(segs)
if test -n "$max"; then
	echo "{\"archive\":{\"compact_max_bytes\":$max}}" >"$RSO_HOME/config.json"
fi
rso-case compact RSO-2026-000001 >/dev/null
read -r as ak <<EOF
$(cats)
EOF
na=$(segs)
echo '{"archive":{"compact_max_bytes":0}}' >"$RSO_HOME/config.json"
rso-case compact RSO-2026-000001 >/dev/null
read -r ws wk <<EOF
$(cats)
EOF
: "$bk"

printf 'cat, %d MiB case compacted to %d segments\t%s\tcat before (%d segments)\t%s\t%s\n' \
    "$mib" "$na" "$as" "$nb" "$bs" "$ak"
printf 'cat, %d MiB case in one merged segment\t%s\tcat before (%d segments)\t%s\t%s\n' \
    "$mib" "$ws" "$nb" "$bs" "$wk"
rm -rf "$RSO_HOME"
