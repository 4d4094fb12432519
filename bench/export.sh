#!/bin/sh
# bench/export.sh: rso-export --format dicom of a delivered case of one
# study of 2,000 DICOM instances (8 KiB each) filed in its archive: each
# decrypted, written and fsynced as a Part 10 file, and a DICOMDIR
# written a record at a time.  Against two references over the same
# plain files, laid out as the file-set is: copying them and dcmmkdir
# (dcmtk) building a DICOMDIR, then sync; and the copy and sync alone,
# the floor.  dcmmkdir's time grows with the square of the instances
# (1.1 s for 1,000, 9.9 s for 3,000 on the machine of RESULTS.md), so
# the first ratio flatters rso more as the study grows.  Prints
# bench/run's TSV lines.
# SPDX-License-Identifier: ISC
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
t=${BENCH_TMP:?}
n=${BENCH_EXPORT_FILES:-2000}
command -v dcmmkdir >/dev/null || { echo "export.sh: dcmtk not installed, skipped" >&2; exit 0; }

# A case taken to delivered by the programs themselves: the request,
# roster and panel of the tests (synthetic), the fee gate off.
export RSO_HOME="$t/export-home" RSO_NOW=2026-10-01T12:00:00Z RSO_ACTOR=bench
rso-case keygen -o "$t/export-key" 2>/dev/null
export RSO_IDENTITY="$t/export-key"
rso-case init -q -r "$(sed -n 's/^# public key: //p' "$t/export-key")"
jq '.fee_gate = "none" | .inbox.max_members = 1000000' \
    "$top/t/data/config-panel.json" >"$RSO_HOME/config.json"
rso-assign roster "$top/t/data/roster.jsonl" >/dev/null
id=RSO-2026-000001
jq -c '.ref = "bench-1" | .patient.name = "Test Bench" |
    .patient.birth_date = "1970-01-01"' "$top/t/data/request.json" |
    rso-intake >/dev/null
rso-intake consent "$id" --providers "*" --expires 2027-06-30 >/dev/null
gen-dicom --study "$t/export-drop/study" "name=BENCH^TEST" birth=19700101 \
    n="$n" size=8192 modality=CT tag=bench >/dev/null
# The reference's files: the same instances, plain, where the file-set
# puts them (the inbox removes what it files).
mkdir -p "$t/export-plain/DICOM/ST000001/SE000001"
i=0
for f in "$t"/export-drop/study/*; do
	i=$((i + 1))
	cp "$f" "$t/export-plain/DICOM/ST000001/SE000001/$(printf 'IM%06d' "$i")"
done
rso-collect inbox -q --settle 0 "$t/export-drop" >/dev/null
rso-collect complete "$id" >/dev/null
rso-assign "$id" >/dev/null
for s in $(sqlite3 "$RSO_HOME/rso.db" "select specialist_id from assignments where case_id = '$id'"); do
	rso-assign accept --by "$s" "$id" >/dev/null
done
printf '# Opinion\n\nSynthetic.\n' >"$t/export-op.md"
rso-opinion record --outcome confirmed --impact none --file "$t/export-op.md" "$id" >/dev/null
rso-opinion deliver "$id" >/dev/null

mkdir "$t/export-pacs"
sync
/usr/bin/time -f '%e %M' -o "$t/tr" sh -c "cp -r '$t/export-plain' '$t/export-ref' &&
    cd '$t/export-ref' && dcmmkdir +I --recurse DICOM >/dev/null 2>&1 && sync"
test -s "$t/export-ref/DICOMDIR" || { echo "export.sh: dcmmkdir failed" >&2; exit 1; }
/usr/bin/time -f '%e %M' -o "$t/tc" sh -c "cp -r '$t/export-plain' '$t/export-cp' && sync"
/usr/bin/time -f '%e %M' -o "$t/ti" sh -c \
    "rso-export -q --format dicom --to '$t/export-pacs' $id >/dev/null && sync"
test "$(find "$t/export-pacs/$id/DICOM" -type f | wc -l)" -eq "$n" ||
    { echo "export.sh: not every instance exported" >&2; exit 1; }
read -r rs rk <"$t/ti"
read -r ss _ <"$t/tr"
read -r cs _ <"$t/tc"
printf 'export of %d DICOM instances for the PACS\t%s\tcp, dcmmkdir +I, sync\t%s\t%s\n' \
    "$n" "$rs" "$ss" "$rk"
printf 'export of %d DICOM instances for the PACS\t%s\tcp, sync (the floor)\t%s\t%s\n' \
    "$n" "$rs" "$cs" "$rk"
