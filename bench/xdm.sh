#!/bin/sh
# bench/xdm.sh: rso-collect inbox filing an IHE XDM zip of 1,000 documents
# (text, 16 KiB each, zipped by zip(1) with a METADATA.XML that
# t/helpers/xdm-make.py writes as other systems do), against unzip, xmllint
# and sha1sum doing the same reading: unpack, parse the metadata, hash each
# document.  The inbox also checks each SHA-1 and size against the
# metadata, reads each entry, hashes, encrypts, indexes and fsyncs.
# Prints bench/run's TSV lines.
# SPDX-License-Identifier: ISC
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
t=${BENCH_TMP:?}
n=${BENCH_XDM_DOCS:-1000}
kib=${BENCH_XDM_KIB:-16}
for c in zip unzip xmllint sha1sum python3; do
	command -v $c >/dev/null || { echo "xdm.sh: $c not installed, skipped" >&2; exit 0; }
done

# shellcheck source=bench/lib.inc
. "$top/bench/lib.inc"
one_case xdm radiology
tok=$(rso-collect request RSO-2026-000001 --provider "Bench Hospital" --contact fax:1 --what all | sed 's/.*"token":"\([^"]*\)".*/\1/')

mkdir -p "$t/xdm-docs" "$t/xdm-drop"
python3 - "$t/xdm-docs" "$n" "$kib" "$tok" >"$t/xdm-spec.json" <<'PY'
import json, os, sys
d, n, kib, tok = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
docs = []
for i in range(1, n + 1):
    p = os.path.join(d, "d%04d.txt" % i)
    line = "Synthetic bench document %d, line of text.\n" % i
    with open(p, "w") as f:
        f.write((line * (kib * 1024 // len(line) + 1))[:kib * 1024])
    docs.append({"file": p, "uri": "DOC%04d.TXT" % i, "mime": "text/plain",
                 "type": "11506-3", "title": "Note %d" % i})
json.dump({"set": {"comments": tok}, "patient": {"family": "Bench",
           "given": "Test", "birth": "19700101"}, "docs": docs}, sys.stdout)
PY
python3 "$top/t/helpers/xdm-make.py" "$t/xdm-spec.json" "$t/xdm.zip"
cp "$t/xdm.zip" "$t/xdm-drop/records.zip"
mb=$((n * kib / 1024))
/usr/bin/time -f '%e %M' -o "$t/tr" sh -c "unzip -q '$t/xdm.zip' -d '$t/xdm-ref' &&
    xmllint --noout --nonet '$t/xdm-ref/IHE_XDM/SUBSET01/METADATA.XML' &&
    cd '$t/xdm-ref/IHE_XDM/SUBSET01' && sha1sum DOC*.TXT >/dev/null && sync"
inbox_row "$t/xdm-drop" "inbox of an XDM zip of $n documents ($mb MB)" 'unzip, xmllint, sha1sum'
