#!/usr/bin/env bats
# rso-export: HL7 v2.5.1 MDM^T02 into an import folder, atomically and
# once, read back by python3-hl7.
load lib

local_setup() {
	init_with_key
	cp "$DATA/config-panel.json" "$RSO_HOME/config.json"
	jq '.fee_gate = "none"' "$RSO_HOME/config.json" >c && mv c "$RSO_HOME/config.json"
	rso-assign roster "$DATA/roster.jsonl" >/dev/null
	mkdir ehr
}

# Case n delivered with the opinion in $2 (a file).
deliver() {
	local id
	id=$(printf 'RSO-2026-%06d' "$1")
	rso-assign "$id" >/dev/null
	for s in $(sqlite3 "$RSO_HOME/rso.db" "select specialist_id from assignments where case_id = '$id'"); do
		rso-assign accept --by "$s" "$id" >/dev/null
	done
	rso-opinion record --outcome diagnosis-changed --impact major --file "$2" "$id" >/dev/null
	rso-opinion deliver "$id" >/dev/null
}

# Case 1 delivered with a one-line synthetic opinion.
deliver_one() {
	ready_case 1
	printf '# Opinion\n' >op.md
	deliver 1 op.md
}

@test "rso-export: hl7 survives | ^ ~ \\ & and newlines exactly, as python3-hl7 reads it" {
	ready_case 1 '.patient.name = "Zoë |Pipe^Caret~Tilde\\Back&Amp Testperson" | .questions = ["Is it | ^ ~ \\ & safe?\nSecond line\r\nThird"]'
	printf '# Opinion | ^ ~ \\ &\n\nLine two\r\nééé\n' >op.md
	deliver 1 op.md
	run -0 bash -c 'rso-case list --status delivered | rso-export --format hl7 --to ehr'
	name=$(jq -r .name <<<"$output")
	[[ "$name" =~ ^RSO-2026-000001-primary-RSO[0-9a-f]{17}\.hl7$ ]]
	[ "$(ls -A ehr)" = "$name" ]
	/usr/bin/python3 - "ehr/$name" op.md "$DATA/request.json" <<'PY'
import hl7, sys
raw = open(sys.argv[1], "rb").read().decode()
assert raw.endswith("\r") and "\n" not in raw, "segments end with CR only"
m = hl7.parse(raw)
assert str(m.segment("MSH")[9]) == "MDM^T02^MDM_T02"
assert str(m.segment("MSH")[12]) == "2.5.1"
pid = m.segment("PID")
given, family = m.unescape(str(pid[5][0][1])), m.unescape(str(pid[5][0][0]))
assert given + " " + family == "Zoë |Pipe^Caret~Tilde\\Back&Amp Testperson", (given, family)
assert str(pid[7]) == "19610301"
q = m.unescape(str(m.segment("NTE")[3]))
assert q == "Is it | ^ ~ \\ & safe?\nSecond line\r\nThird", repr(q)
import base64
ed = m.segment("OBX")[5][0]
assert str(ed[1]) == "TEXT" and str(ed[2]) == "MARKDOWN" and str(ed[3]) == "Base64"
assert base64.b64decode(str(ed[4])) == open(sys.argv[2], "rb").read()
assert str(m.segment("TXA")[12]) == str(m.segment("MSH")[10])
PY
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

@test "rso-export: fhir bundles pass the FHIR R4 validator and every reference resolves" {
	ready_case 1 '.patient.name = "Zoë \"Quote\" <Testperson>"'
	ready_case 2
	printf '# Opinion\n\nConfirmed & <fine>.\n' >op.md
	deliver 1 op.md
	deliver 2 op.md
	run -0 bash -c 'rso-case list --status delivered | rso-export --format fhir --to ehr'
	[ "$(jq -r .name <<<"$output" | sort | tr '\n' ' ')" = "RSO-2026-000001.fhir.json RSO-2026-000002.fhir.json " ]
	NODE_PATH="$TOP/.cache/npm/node_modules" run -0 node "$TOP/t/helpers/fhir-validate.js" ehr/*.fhir.json
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

@test "rso-export: archive to a partner; rso-intake --archive in a second store has the same case and records" {
	ready_case 1
	gen-dicom --study dicom n=2 modality=CT date=20260914 >/dev/null
	gen-dicom --study other n=1 name=OTHER^PERSON tag=other >/dev/null
	rso-collect add --type lab --source "Test Lab" --date 2026-09-01 RSO-2026-000001 "$DATA/roster.jsonl" dicom/* other/* >/dev/null
	[ "$(sqlite3 "$RSO_HOME/rso.db" 'select count(*) from records where held is not null')" = 1 ]
	echo '# Opinion | partner' >op.md
	deliver 1 op.md
	rso-case keygen -o partner.txt 2>partner.pub
	pk=$(grep -o 'age1[a-z0-9]*' partner.pub)
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

@test "rso-intake --archive: refuses what breaks the archive rules and keeps nothing of it" {
	ready_case 1
	echo '# Opinion' >op.md
	deliver 1 op.md
	rso-case keygen -o partner.txt 2>partner.pub
	pk=$(grep -o 'age1[a-z0-9]*' partner.pub)
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
	# Out of order.
	pack events.jsonl case.json records.jsonl opinions.jsonl records opinion
	run -65 --separate-stderr rso-intake --archive bad.age -i partner.txt
	[ "$stderr" = "rso-intake: bad.age: entry 1: expected case.json" ]
	# A path that climbs out.
	(cd x && bsdtar -cf - -s ',^opinion/primary.md$,../escape.md,' case.json events.jsonl records.jsonl opinions.jsonl records opinion) | age -r "$pk" >bad.age
	run -65 --separate-stderr rso-intake --archive bad.age -i partner.txt
	[[ "$stderr" == "rso-intake: bad.age: entry "*": "* ]]
	# A request this store would not take.
	jq '.request.patient.birth_date = "2099-01-01"' x/case.json >c && mv c x/case.json
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
	[ "$(x "//*[@name='sourcePatientInfo']//*[local-name()='Value'][1]")" = 'PID-5|Testperson^Zoë <Amp&Quote">' ]
	[ "$(xmllint --xpath 'count(//*[local-name()="Association"])' m.xml)" = 2 ]
	# The DICOM study goes to the PACS, not into XDM.
	run -1 grep -q '\.DCM' paths
	run -0 rso-export --format xdm --to ehr RSO-2026-000001
	[ "$(jq -r .existing <<<"$output")" = true ]
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
	[ "$(grep -c 'DirectoryRecordType' <<<"$output")" -eq "$(sqlite3 "$RSO_HOME/rso.db" "select 1 + count(distinct study_uid) + count(distinct study_uid || series_uid) + count(*) from records where sop_uid is not null and held is null")" ]
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
	run -0 rso-export --format dicom --to pacs RSO-2026-000001
	[ "$(jq -r .existing <<<"$output")" = true ]
	run -0 rso-export --format dicom --force --to pacs RSO-2026-000001
	[ "$(ls -A pacs)" = RSO-2026-000001 ]
	run -0 rso-report access --month 2026-10
	[ "$(jq -r 'select(.action == "case.exported") | .what' <<<"$output" | sort -u)" = RSO-2026-000001 ]
}

@test "rso-export: dicom refuses a case without studies, naming it" {
	ready_case 1
	echo '# Opinion' >op.md
	deliver 1 op.md
	mkdir pacs
	run -65 --separate-stderr rso-export --format dicom --to pacs RSO-2026-000001
	[ "$stderr" = "rso-export: RSO-2026-000001: no DICOM to export" ]
	[ "$(ls -A pacs)" = "" ]
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
	sqlite3 "$RSO_HOME/rso.db" "update opinions set outcome = 'confirmed'"
	run -65 --separate-stderr rso-case verify
	[ "$stderr" = "rso-case: case RSO-2026-000001: opinion primary does not follow from its events" ]
	cp saved.db "$RSO_HOME/rso.db"
	sqlite3 "$RSO_HOME/rso.db" "delete from exports"
	run -65 --separate-stderr rso-case verify
	[ "$stderr" = "rso-case: case RSO-2026-000001: export hl7 $name does not follow from its events" ]
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
