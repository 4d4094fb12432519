#!/usr/bin/env bats
# inbox-cda: C-CDA documents dropped in the inbox, written by the tests
# from the HL7 C-CDA templates (t/helpers/cda-gen.py) and checked by
# xmllint and an independent structure check before use: recognised by
# content, matched, filed as received and as a page to read.
load lib

KINDS="ccd consult discharge imaging progress pathology"

# cda KIND FILE [OPTION...]: a C-CDA of Test Alpha (the case's patient),
# checked before use.
cda() {
	local kind=$1 out=$2 check=""
	shift 2
	python3 "$TOP/t/helpers/cda-gen.py" "$kind" --family Alpha --given Test \
	    --birth 19610301 --sex F "$@" >"$out"
	xmllint --noout "$out"
	case " $* " in *" --no-patient "*) check=--null-patient ;; esac
	python3 "$TOP/t/helpers/cda-check.py" $check "$out"
}

local_setup() {
	init_with_key
	jq -c '.ref="t-1"' "$DATA/request.json" | rso-intake >/dev/null
	rso-intake consent RSO-2026-000001 --providers "*" --expires 2027-01-01 >/dev/null
	mkdir -p in
}

# The case's records as "item type date source media_type" lines.
records() {
	rso-collect ls "$1" | jq -r 'select(.item) | [.item, .type, .date // "", .source // "", .media_type] | @tsv'
}

@test "inbox-cda: the samples are C-CDA documents by xmllint and the header check" {
	for k in $KINDS; do
		cda "$k" "$k.xml"
		grep -q 'root="2.16.840.1.113883.10.20.22.1.1"' "$k.xml"
	done
	# The check is no rubber stamp: it refuses a document without its
	# document template.
	sed '/2.16.840.1.113883.10.20.22.1.4"/d' consult.xml >bad.xml
	run -1 python3 "$TOP/t/helpers/cda-check.py" bad.xml
	assert_output "bad.xml: not a C-CDA: document templateId for 11488-4"
}

@test "inbox-cda: each kind filed by its inFulfillmentOf token with type, date, source and a view" {
	tok=$(rso-collect request RSO-2026-000001 --provider "Test General Hospital" --contact fax:1 --what "records" | jq -r .token)
	for k in $KINDS; do cda "$k" "in/$k.xml" --order "$tok" --date 20260214; done
	run -0 --separate-stderr rso-collect inbox --settle 0 in
	[ "$stderr" = "" ]
	run -0 ls in
	assert_output ''
	run -0 records RSO-2026-000001
	# Entries in name order; each original, then its view.
	printf '%s\n' >expected.tsv \
	    '0001	note	2026-02-14	Test General Hospital	text/xml' \
	    '0002	note	2026-02-14	Test General Hospital	text/html' \
	    '0003	note	2026-02-14	Test General Hospital	text/xml' \
	    '0004	note	2026-02-14	Test General Hospital	text/html' \
	    '0005	note	2026-02-14	Test General Hospital	text/xml' \
	    '0006	note	2026-02-14	Test General Hospital	text/html' \
	    '0007	imaging	2026-02-14	Test General Hospital	text/xml' \
	    '0008	imaging	2026-02-14	Test General Hospital	text/html' \
	    '0009	pathology	2026-02-14	Test General Hospital	text/xml' \
	    '0010	pathology	2026-02-14	Test General Hospital	text/html' \
	    '0011	note	2026-02-14	Test General Hospital	text/xml' \
	    '0012	note	2026-02-14	Test General Hospital	text/html'
	diff expected.tsv <(printf '%s\n' "$output")
}

@test "inbox-cda: the original comes back byte for byte, the view is clean HTML with every section" {
	tok=$(rso-collect request RSO-2026-000001 --provider "Test General Hospital" --contact fax:1 --what "records" | jq -r .token)
	cda consult in/consult.xml --order "$tok"
	cp in/consult.xml sent.xml
	run -0 rso-collect inbox --settle 0 in
	run -0 rso-collect ls RSO-2026-000001
	orig=$(jq -r 'select(.media_type == "text/xml") | .item' <<<"$output")
	view=$(jq -r 'select(.media_type == "text/html") | .item' <<<"$output")
	[ -n "$orig" ]
	[ -n "$view" ]
	rso-collect cat RSO-2026-000001 "$orig" >back.xml
	cmp back.xml sent.xml
	rso-collect cat RSO-2026-000001 "$view" >view.html
	run -0 xmllint --html --noout view.html
	assert_output ''
	for s in "Reason for Referral" "History of Present Illness" "Physical Exam" \
	    "Vital Signs" "Assessment and Plan" "Repeat CT in three months" \
	    "Lungs: clear" "Hemoglobin" "the examination guideline" \
	    "lung nodule &amp; its follow-up &lt;6 months" \
	    "<dt>Patient</dt><dd>Test Alpha</dd>" "<dt>Birth date</dt><dd>1961-03-01</dd>"; do
		grep -qF -- "$s" view.html || { echo "missing: $s"; false; }
	done
	run -1 grep -Ei '<link|<script|<img|http|src=|href=' view.html
}

@test "inbox-cda: a 40 MB C-CDA is read from its file and its view written to the spool, memory flat (under 16 MiB)" {
	cda consult small.xml
	# A consult note grown to 40 MB of narrative, 1,200 paragraphs.
	/usr/bin/python3 - small.xml in/RSO-2026-000001-big.xml <<'PY'
import sys
s = open(sys.argv[1]).read()
pad = "<paragraph>" + "Synthetic narrative text, line after line. " * 800 + "</paragraph>\n"
i = s.index("</text>")
open(sys.argv[2], "w").write(s[:i] + pad * 1200 + s[i:])
PY
	xmllint --noout in/RSO-2026-000001-big.xml
	cp in/RSO-2026-000001-big.xml sent.xml
	# Before, the file was read whole and its view built in memory:
	# 115 MB for 40 MB.
	run -0 /usr/bin/time -f 'maxrss %M' -o rss.txt rso-collect -q inbox --settle 0 in
	[ "$(jq -c '[.item, .media_type]' <<<"$output")" = '["0001","text/xml"]
["0002","text/html"]' ]
	rso-collect cat RSO-2026-000001 1 | cmp - sent.xml
	rso-collect cat RSO-2026-000001 2 >view.html
	[ "$(grep -c 'line after line' view.html)" -eq 1200 ]
	tail -c 200 view.html | grep -q '</html>'
	rss=$(sed -n 's/^maxrss //p' rss.txt)
	echo "# peak RSS ${rss} KiB" >&3
	# ASan's shadow memory and quarantine are not the program's.
	grep -q __asan_init "$(command -v rso-collect)" || [ "$rss" -lt 16384 ]
}

@test "inbox-cda: a scanned C-CDA (a 24 MiB PDF in base64 in a nonXMLBody) is filed whole, memory flat" {
	cda consult small.xml
	head -c 25165824 /dev/urandom >scan.pdf
	/usr/bin/python3 - small.xml scan.pdf in/RSO-2026-000001-scan.xml <<'PY'
import base64, sys
s = open(sys.argv[1]).read()
pdf = open(sys.argv[2], "rb").read()
a = s.index("<component>\n    <structuredBody")
b = s.index("</structuredBody>") + len("</structuredBody>")
b = s.index("</component>", b) + len("</component>")
body = ('<component><nonXMLBody><text mediaType="application/pdf" '
        'representation="B64">' + base64.encodebytes(pdf).decode() +
        '</text></nonXMLBody></component>')
open(sys.argv[3], "w").write(s[:a] + body + s[b:])
PY
	# libxml2 holds no text node past 10 MB unless told to.
	run -1 xmllint --noout in/RSO-2026-000001-scan.xml
	[[ "$output" == *"huge text node"* ]]
	xmllint --noout --huge in/RSO-2026-000001-scan.xml
	cp in/RSO-2026-000001-scan.xml sent.xml
	run -0 /usr/bin/time -f 'maxrss %M' -o rss.txt rso-collect -q inbox --settle 0 in
	[ "$(jq -c '[.item, .type, .media_type]' <<<"$output")" = '["0001","note","text/xml"]
["0002","note","text/html"]' ]
	rso-collect cat RSO-2026-000001 1 | cmp - sent.xml
	# Read by another parser, the record's body is the PDF.
	rso-collect cat RSO-2026-000001 1 | /usr/bin/python3 -c '
import base64, sys, xml.etree.ElementTree as ET
t = ET.parse(sys.stdin).getroot().find(".//{urn:hl7-org:v3}nonXMLBody/{urn:hl7-org:v3}text")
sys.stdout.buffer.write(base64.b64decode(t.text))' | cmp - scan.pdf
	rso-collect cat RSO-2026-000001 2 >view.html
	grep -q 'not structured text' view.html
	[ "$(stat -c %s view.html)" -lt 16384 ]
	rss=$(sed -n 's/^maxrss //p' rss.txt)
	echo "# peak RSS ${rss} KiB" >&3
	grep -q __asan_init "$(command -v rso-collect)" || [ "$rss" -lt 16384 ]
}

@test "inbox-cda: a document without a token finds its case by name and birth date" {
	cda progress in/progress.xml
	run -0 --separate-stderr rso-collect inbox --settle 0 in
	[ "$(jq -sc '[.[] | .case] | unique' <<<"$output")" = '["RSO-2026-000001"]' ]
	run -0 records RSO-2026-000001
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *$'\tnote\t2026-02-14\tTest General Hospital\t'* ]]
}

@test "inbox-cda: a token in the narrative alone files the document" {
	tok=$(rso-collect request RSO-2026-000001 --provider "Test General Hospital" --contact fax:1 --what "records" | jq -r .token)
	cda imaging in/report.xml --text-token "$tok" --family Other
	run -0 --separate-stderr rso-collect inbox --settle 0 in
	run -0 records RSO-2026-000001
	[ "${#lines[@]}" -eq 2 ]
}

@test "inbox-cda: a token's case of another patient holds the document until released" {
	tok=$(rso-collect request RSO-2026-000001 --provider "Test General Hospital" --contact fax:1 --what "records" | jq -r .token)
	cda discharge in/ds.xml --order "$tok" --family Gamma --given Other
	run -0 --separate-stderr rso-collect inbox --settle 0 in
	[ "$(jq -sc '[.[] | .held]' <<<"$output")" = '["patient name does not match the case","patient name does not match the case"]' ]
	run -0 rso-collect held
	[ -n "$output" ]
	[[ "$output" != *Gamma* ]]
	run -65 --separate-stderr rso-collect complete RSO-2026-000001
	# The original and its view are held each as itself.
	[ "$(rso-collect held | jq -sc '[.[] | [.case, .first_item, .reason]]')" = '[["RSO-2026-000001","0001","patient name does not match the case"],["RSO-2026-000001","0002","patient name does not match the case"]]' ]
	for item in $(rso-collect held | jq -r .study); do
		run -0 rso-collect release RSO-2026-000001 "$item"
	done
	run -0 rso-collect held
	assert_output ''
	run -0 records RSO-2026-000001
	[ "${#lines[@]}" -eq 2 ]
}

@test "inbox-cda: a malformed C-CDA rejects its entry with the line and libxml2's reason" {
	cda consult c.xml
	sed '9s|</title>|</titel>|' c.xml >in/RSO-2026-000001-broken.xml
	run -65 --separate-stderr rso-collect inbox --settle 0 in
	[ "$output" = "" ]
	[ "$stderr" = "rso-collect: in: entry 1: cda: line 9: opening and ending tag mismatch: title line 9 and titel (moved to .rejected)" ]
	cmp in/.rejected/RSO-2026-000001-broken.xml <(sed '9s|</title>|</titel>|' c.xml)
	run -0 cat in/.rejected/RSO-2026-000001-broken.xml.reason
	assert_output "cda: line 9: opening and ending tag mismatch: title line 9 and titel"
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*) from records"
	assert_output 0
}

@test "inbox-cda: a DOCTYPE (billion laughs) is refused before any entity is expanded" {
	cat >in/RSO-2026-000001-lol.xml <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE ClinicalDocument [
 <!ENTITY l0 "lol">
 <!ENTITY l1 "&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;">
 <!ENTITY l2 "&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;">
 <!ENTITY l3 "&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;">
 <!ENTITY l4 "&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;">
 <!ENTITY l5 "&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;">
 <!ENTITY l6 "&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;">
 <!ENTITY l7 "&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;">
 <!ENTITY l8 "&l7;&l7;&l7;&l7;&l7;&l7;&l7;&l7;&l7;&l7;">
 <!ENTITY l9 "&l8;&l8;&l8;&l8;&l8;&l8;&l8;&l8;&l8;&l8;">
]>
<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&l9;</title></ClinicalDocument>
EOF
	run -65 --separate-stderr timeout 20 rso-collect inbox --settle 0 in
	[ "$stderr" = "rso-collect: in: entry 1: cda: line 2: DOCTYPE not allowed in a C-CDA document (its entities are not expanded) (moved to .rejected)" ]
	[ -e in/.rejected/RSO-2026-000001-lol.xml ]
}

@test "inbox-cda: an XML file that is no C-CDA is filed as the file it is" {
	printf '<?xml version="1.0"?>\n<note><to>Test</to></note>\n' >in/RSO-2026-000001-note.xml
	run -0 --separate-stderr rso-collect inbox --settle 0 in
	[ "$stderr" = "" ]
	run -0 rso-collect ls RSO-2026-000001
	[ "$(jq -sc '[.[] | select(.item)] | length' <<<"$output")" = 1 ]
	rso-collect cat RSO-2026-000001 1 | cmp - <(printf '<?xml version="1.0"?>\n<note><to>Test</to></note>\n')
}

@test "inbox-cda: a C-CDA naming no patient and carrying no token is rejected, nothing lost" {
	cda consult in/anon.xml --no-patient
	cp in/anon.xml sent.xml
	run -65 --separate-stderr rso-collect inbox --settle 0 in
	[ "$stderr" = "rso-collect: in: entry 1: names no patient, and no request token or case id in the name or a sidecar (moved to .rejected)" ]
	cmp in/.rejected/anon.xml sent.xml
	[ -e in/.rejected/anon.xml.reason ]
	run -0 ls in
	assert_output ''
}

@test "inbox-cda: the same C-CDA without a patient is filed when its name names the case" {
	cda pathology in/RSO-2026-000001-path.xml --no-patient
	run -0 --separate-stderr rso-collect inbox --settle 0 in
	run -0 records RSO-2026-000001
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *$'\tpathology\t'* ]]
}
