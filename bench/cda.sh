#!/bin/sh
# bench/cda.sh: rso-collect inbox filing a scanned C-CDA, a Consultation
# Note whose nonXMLBody carries a 24 MiB PDF in base64 (t/helpers/cda-gen.py
# with its body replaced), against xmllint checking it (--huge: without
# it libxml2 refuses a text node past 10 MB) and python's ElementTree
# decoding the PDF for sha256sum.  The inbox also matches the patient,
# writes the view, encrypts and fsyncs, and thins the base64 as it reads
# it instead of holding it: what to read is the peak memory.  Prints
# bench/run's TSV lines.
# SPDX-License-Identifier: ISC
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
t=${BENCH_TMP:?}
mib=${BENCH_CDA_SCAN_MIB:-24}
for c in xmllint python3 sha256sum; do
	command -v $c >/dev/null || { echo "cda.sh: $c not installed, skipped" >&2; exit 0; }
done

# shellcheck source=bench/lib.inc
. "$top/bench/lib.inc"
one_case cda radiology

mkdir -p "$t/cda-drop"
python3 "$top/t/helpers/cda-gen.py" consult --family Bench --given Test \
    --birth 19700101 >"$t/cda-small.xml"
head -c $((mib << 20)) /dev/urandom >"$t/cda-scan.pdf"
python3 - "$t/cda-small.xml" "$t/cda-scan.pdf" "$t/cda-scan.xml" <<'PY'
import base64, sys
s = open(sys.argv[1]).read()
pdf = open(sys.argv[2], "rb").read()
a = s.index("<component>\n    <structuredBody")
b = s.index("</component>", s.index("</structuredBody>")) + len("</component>")
body = ('<component><nonXMLBody><text mediaType="application/pdf" '
        'representation="B64">' + base64.encodebytes(pdf).decode() +
        '</text></nonXMLBody></component>')
open(sys.argv[3], "w").write(s[:a] + body + s[b:])
PY
cp "$t/cda-scan.xml" "$t/cda-drop/scan.xml"
mb=$(du -m "$t/cda-scan.xml" | cut -f1)
sync
/usr/bin/time -f '%e %M' -o "$t/tr" sh -c "xmllint --huge --noout '$t/cda-scan.xml' &&
    python3 -c '
import base64, sys, xml.etree.ElementTree as ET
t = ET.parse(sys.argv[1]).getroot().find(\".//{urn:hl7-org:v3}nonXMLBody/{urn:hl7-org:v3}text\")
sys.stdout.buffer.write(base64.b64decode(t.text))' '$t/cda-scan.xml' | sha256sum >/dev/null"
inbox_row "$t/cda-drop" "inbox of a scanned C-CDA, a $mib MiB PDF ($mb MB)" \
    'xmllint, ElementTree, sha256sum'
