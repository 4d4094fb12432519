#!/bin/sh
# bench/inbox.sh: rso-collect inbox filing a DICOM study of 2,000 instances
# (about 1 GiB) that came without a case id, against tar cf - | age -r of
# the same folder.  The inbox also reads each header, matches the patient
# to the case, hashes each file, indexes it and fsyncs every segment.
# Then the same instances dropped loose, a file an entry.  Prints
# bench/run's TSV lines.
# SPDX-License-Identifier: ISC
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
t=${BENCH_TMP:?}
n=${BENCH_INBOX_FILES:-2000}
size=${BENCH_INBOX_KIB:-512}
command -v age >/dev/null || { echo "inbox.sh: age not installed, skipped" >&2; exit 0; }

# shellcheck source=bench/lib.inc
. "$top/bench/lib.inc"
one_case inbox radiology

gen-dicom --study "$t/drop/study" "name=BENCH^TEST" birth=19700101 \
    n="$n" size=$((size * 1024)) tag=bench
mb=$(du -sm "$t/drop" | cut -f1)
# The study on disk before either starts: else the reference's sync
# would also write back what gen-dicom wrote.
sync
/usr/bin/time -f '%e %M' -o "$t/tr" sh -c \
    "tar cf - -C '$t/drop' . | age -r '$pub' >'$t/ref.age' && sync"
/usr/bin/time -f '%e %M' -o "$t/ti" sh -c \
    "rso-collect inbox --settle 0 '$t/drop' >/dev/null && sync"
read -r rs rk <"$t/ti"
read -r ss _ <"$t/tr"
printf 'inbox of %d DICOM files (%s MB)\t%s\ttar | age -r\t%s\t%s\n' "$n" "$mb" "$rs" "$ss" "$rk"

# The same instances dropped loose, as staff copying files by hand drop
# them: each file an entry of its own, and so a segment, a transaction
# and a removal each.  Against the same reference.
rm -rf "$t/drop" "$t/ref.age"
one_case loose radiology
gen-dicom --study "$t/loose/study" "name=BENCH^TEST" birth=19700101 \
    n="$n" size=$((size * 1024)) tag=bench
find "$t/loose/study" -type f -exec mv -t "$t/loose" {} +
rmdir "$t/loose/study"
sync
inbox_row "$t/loose" "inbox of the $n DICOM files dropped loose, an entry each" 'tar | age -r (above)'
