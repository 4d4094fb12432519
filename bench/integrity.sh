#!/bin/sh
# bench/integrity.sh: rso-case verify of a store of 100,000 cases, 1,000 of
# them with a filed record, against what any check of the same bytes does
# at least (sqlite3's integrity_check, and sha256sum of every segment);
# and rso-collect cat of one record, 100 times over as many cases, against
# age -d | tar -xO of the same entries.  verify walks the event chain,
# rederives each case, checks the tables beside the events and every
# segment's size and hash; cat records the read and checks the segment's
# case and the record's hash before it releases a byte.  Prints bench/run's
# TSV lines.
# SPDX-License-Identifier: ISC
set -eu
t=${BENCH_TMP:?}
n=${BENCH_VERIFY_CASES:-100000}
r=${BENCH_VERIFY_RECORDS:-1000}
k=${BENCH_CAT_READS:-100}
export RSO_HOME="$t/verify-home" RSO_NOW=2026-10-01T12:00:00Z
rso-case keygen -q -o "$t/verify-key.txt"
export RSO_IDENTITY="$t/verify-key.txt"
rso-case init -q -r "$(sed -n 's/^# public key: //p' "$t/verify-key.txt")"
awk -v n="$n" 'BEGIN {
	for (i = 1; i <= n; i++)
		printf "{\"ref\":\"v-%d\",\"patient\":{\"name\":\"Test Person %d\",\"birth_date\":\"1970-01-01\",\"country\":\"US\"},\"specialty\":\"oncology\",\"questions\":[\"Q?\"]}\n", i, i
}' | rso-intake >/dev/null
awk -v r="$r" 'BEGIN {
	for (i = 1; i <= r; i++)
		printf "{\"case\":\"RSO-2026-%06d\",\"consent\":{\"providers\":[\"*\"],\"expires\":\"2027-10-01\"}}\n", i
}' | rso-intake >/dev/null
i=1
while [ "$i" -le "$r" ]; do
	printf 'Synthetic record %d.\n' "$i" >"$t/record.txt"
	rso-collect add -q --type note "$(printf 'RSO-2026-%06d' "$i")" "$t/record.txt" >/dev/null
	i=$((i + 1))
done

/usr/bin/time -f '%e %M' -o "$t/tv" rso-case verify >/dev/null
/usr/bin/time -f '%e %M' -o "$t/tr" sh -c "sqlite3 '$RSO_HOME/rso.db' \
    'PRAGMA integrity_check' >/dev/null && find '$RSO_HOME/archives' -name \
    '*.age' -exec sha256sum {} + >/dev/null"
read -r vs vk <"$t/tv"
read -r rs _ <"$t/tr"
printf 'verify of %d cases, %d segments\t%s\tsqlite3 + sha256sum\t%s\t%s\n' \
    "$n" "$r" "$vs" "$rs" "$vk"

# Case j of every r/k: reads spread over the store.
step=$((r / k))
[ "$step" -ge 1 ] || step=1
/usr/bin/time -f '%e %M' -o "$t/tc" sh -c "j=1; while [ \$j -le $r ]; do
	rso-collect cat \$(printf 'RSO-2026-%06d' \$j) 1 >/dev/null; j=\$((j + $step)); done"
/usr/bin/time -f '%e %M' -o "$t/ta" sh -c "j=1; while [ \$j -le $r ]; do
	age -d -i '$RSO_IDENTITY' \"$RSO_HOME/archives/\$(printf 'RSO-2026-%06d' \$j)/000001.age\" |
	    tar -xOf - --wildcards 'records/0001-*' >/dev/null; j=\$((j + $step)); done"
read -r cs ck <"$t/tc"
read -r as _ <"$t/ta"
printf 'cat of %d records (store of %d cases)\t%s\tage -d | tar -xO\t%s\t%s\n' \
    "$k" "$n" "$cs" "$as" "$ck"
