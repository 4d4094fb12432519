#!/bin/sh
# bench/hl7.sh: rso-collect inbox filing one HL7 v2 file of 5,000 messages
# (MDM^T02 and ORU^R01 in turn, one patient, no case id in the name), each
# message a record matched to its case, against python3-hl7 reading the
# same messages (split at each MSH, parse, extract PID-3, -5 and -7).  The
# inbox also checks every message before filing any, hashes, encrypts,
# indexes and fsyncs; so a second line times the reading alone (the
# bench/hl7-read helper: split, and read each message into what the
# inbox files) against the same python3-hl7 work.  Prints bench/run's
# TSV lines.
# SPDX-License-Identifier: ISC
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
helper="$top/${RSO_BUILD:-build}/bench/hl7-read"
t=${BENCH_TMP:?}
n=${BENCH_HL7_MESSAGES:-5000}
/usr/bin/python3 -c 'import hl7' 2>/dev/null ||
    { echo "hl7.sh: python3-hl7 not installed, skipped" >&2; exit 0; }

# shellcheck source=bench/lib.inc
. "$top/bench/lib.inc"
one_case hl7 oncology

mkdir -p "$t/hl7-drop"
gen-hl7 --bench "$n" "$t/hl7-drop/results.hl7"
cp "$t/hl7-drop/results.hl7" "$t/hl7-ref.hl7"
cat >"$t/hl7-ref.py" <<'PY'
import re, sys
import hl7
raw = open(sys.argv[1], "rb").read().decode("utf-8")
n = 0
for text in re.split(r"(?<=[\r\n])(?=MSH)", raw):
    m = hl7.parse(text)
    pid = (m["PID.F3.R1.C1"], m["PID.F5.R1.C1"], m["PID.F5.R1.C2"], m["PID.F7"])
    n += 1
print(n)
PY
/usr/bin/time -f '%e %M' -o "$t/hl7-tr" /usr/bin/python3 "$t/hl7-ref.py" \
    "$t/hl7-ref.hl7" >"$t/hl7-refn"
/usr/bin/time -f '%e %M' -o "$t/hl7-ti" sh -c \
    "rso-collect inbox --settle 0 '$t/hl7-drop' >'$t/hl7-out' && sync"
filed=$(grep -c '"item"' "$t/hl7-out" || true)
if [ "$filed" -ne "$n" ] || [ "$(cat "$t/hl7-refn")" -ne "$n" ]; then
	echo "hl7.sh: filed $filed of $n messages" >&2
	exit 1
fi
/usr/bin/time -f '%e %M' -o "$t/hl7-th" "$helper" "$t/hl7-ref.hl7" >"$t/hl7-hn"
test "$(cat "$t/hl7-hn")" -eq "$n" ||
    { echo "hl7.sh: hl7-read read $(cat "$t/hl7-hn") of $n messages" >&2; exit 1; }
read -r rs rk <"$t/hl7-ti"
read -r hs hk <"$t/hl7-th"
read -r ss _ <"$t/hl7-tr"
printf 'inbox of one HL7 file of %d messages\t%s\tpython3-hl7 read\t%s\t%s\n' \
    "$n" "$rs" "$ss" "$rk"
printf 'HL7 split + read of %d messages\t%s\tpython3-hl7 read\t%s\t%s\n' \
    "$n" "$hs" "$ss" "$hk"
