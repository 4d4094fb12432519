#!/bin/sh
# bench/intake.sh: rso-intake of 100,000 requests against the sqlite3 CLI
# importing the same JSON lines into a table (what any hand-rolled loader
# would at least do).  rso-intake also validates each line, allocates an
# id, writes the case row and a hash-chained event, one transaction per
# request.  Prints bench/run's TSV lines.
#
# Then the floor of this schema: bench/intake-floor writes the very rows
# rso-intake wrote (each case, its event, its search keys, the id
# counter) into a fresh store with prepared statements, in the same
# batches and with the same pragmas -- what SQLite alone costs, which no
# change to rso-intake short of the schema can beat.
# SPDX-License-Identifier: ISC
set -eu
t=${BENCH_TMP:?}
n=${BENCH_INTAKE:-100000}
top=$(cd "$(dirname "$0")/.." && pwd)
floor="$top/${RSO_BUILD:-build}/bench/intake-floor"

awk -v n="$n" 'BEGIN {
	for (i = 1; i <= n; i++)
		printf "{\"ref\":\"b-%d\",\"patient\":{\"name\":\"Test Person %d\",\"birth_date\":\"1970-01-01\",\"email\":\"p%d@example.org\",\"country\":\"US\"},\"specialty\":\"oncology\",\"questions\":[\"Q?\"]}\n", i, i, i
}' >"$t/req.jsonl"

# The CLI imports one column per line: quote each line as a CSV field.
sed 's/"/""/g; s/^/"/; s/$/"/' "$t/req.jsonl" >"$t/req.tsv"
RSO_HOME="$t/intake-home" rso-case init -q
/usr/bin/time -f '%e %M' -o "$t/ti" sh -c \
    "RSO_HOME='$t/intake-home' rso-intake '$t/req.jsonl' >/dev/null"
/usr/bin/time -f '%e %M' -o "$t/ts" sh -c \
    "sqlite3 '$t/ref.db' 'PRAGMA journal_mode=WAL' 'CREATE TABLE r(j TEXT)' \
    \".import --csv --skip 0 '$t/req.tsv' r\" >/dev/null"
read -r rs rk <"$t/ti"
read -r ss _ <"$t/ts"
printf 'intake of %d requests\t%s\tsqlite3 .import\t%s\t%s\n' "$n" "$rs" "$ss" "$rk"

# The floor prints "REQUESTS SECONDS": the time of its writing alone.
RSO_HOME="$t/floor-home" rso-case init -q
"$floor" "$t/intake-home/rso.db" "$t/floor-home/rso.db" >"$t/tf"
read -r fn fs <"$t/tf"
test "$fn" = "$n" || { echo "intake.sh: the floor wrote $fn of $n" >&2; exit 1; }
printf 'intake floor: the same rows by hand-written C\t%s\tC, SQLite API\t%s\t%s\n' \
    "$rs" "$fs" "$rk"
