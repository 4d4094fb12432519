#!/bin/sh
# bench/age.sh: rso-case encrypt/decrypt and a segment write against age(1)
# on the same 1 GiB, in $BENCH_TMP.  Prints bench/run's TSV lines.
# Encryption is timed into /dev/null so the disk's writeback does not
# drown the tools; each figure is the better of two runs.
# SPDX-License-Identifier: ISC
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
helper="$top/${RSO_BUILD:-build}/bench/seg-write"
t=${BENCH_TMP:?}
command -v age >/dev/null || { echo "age.sh: age not installed, skipped" >&2; exit 0; }

# Best of two runs of a shell command: "SECONDS PEAK_KIB".
best() {
	/usr/bin/time -f '%e %M' -o "$t/t1" sh -c "$1" >/dev/null
	/usr/bin/time -f '%e %M' -o "$t/t2" sh -c "$1" >/dev/null
	sort -n "$t/t1" "$t/t2" | head -1
}

# One TSV line: WHAT, rso command, reference name, reference command.
row() {
	set -- "$1" "$(best "$2")" "$3" "$(best "$4")"
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "${2% *}" "$3" "${4% *}" "${2#* }"
}

head -c 1073741824 /dev/urandom >"$t/plain"
rso-case keygen -o "$t/key" 2>/dev/null
pub=$(sed -n 's/^# public key: //p' "$t/key")
k=$t/key p=$t/plain

row 'encrypt 1 GiB' "exec rso-case encrypt -r $pub $p" \
    'age -r' "exec age -r $pub $p"
row 'encrypt 1 GiB armored' "exec rso-case encrypt -a -r $pub $p" \
    'age -a -r' "exec age -a -r $pub $p"
rso-case encrypt -r "$pub" "$p" >"$t/c.rso"
age -r "$pub" "$p" >"$t/c.age"
row 'decrypt 1 GiB' "exec rso-case decrypt -i $k $t/c.rso" \
    'age -d' "exec age -d -i $k $t/c.age"
rso-case encrypt -a -r "$pub" "$p" >"$t/c.rso"
age -a -r "$pub" "$p" >"$t/c.age"
row 'decrypt 1 GiB armored' "exec rso-case decrypt -i $k $t/c.rso" \
    'age -d (armored)' "exec age -d -i $k $t/c.age"
rm -f "$t/c.rso" "$t/c.age"

# A segment is fsynced before it is named: the reference gets an fsync too.
if test -x "$helper"; then
	row 'segment write 1 GiB' "rm -rf $t/case && exec $helper $t/case $pub $p" \
	    'tar cf - | age -r' "cd $t && tar cf - plain | age -r $pub >$t/seg.age && sync $t/seg.age"
fi
rm -rf "$p" "$t/case" "$t/seg.age"
