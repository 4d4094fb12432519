#!/usr/bin/env bats
# rso-collect and DICOM: studies filed once per instance, checked against
# the patient, held for staff, matched to a case from an inbox, read back
# by pydicom and dcmtk.  Synthetic studies from scripts/gen-dicom only.
load lib

local_setup() {
	init_with_key
	# Case 1 is Test Alpha, born 1961-03-01 (TEST^ALPHA, as gen-dicom writes).
	jq -c '.ref="t-1"' "$DATA/request.json" | rso-intake >/dev/null
	rso-intake consent RSO-2026-000001 --providers "*" --expires 2027-06-30 >/dev/null
}

study() {
	gen-dicom --study "$@"
}

@test "rso-dicom: every transfer syntax files, one study line per study in ls" {
	for s in explicit_le implicit_le explicit_be deflated_le; do
		study "$s" syntax=$s tag=$s n=2 modality=CT date=20260914
	done
	run -0 rso-collect add RSO-2026-000001 explicit_le/* implicit_le/* explicit_be/* deflated_le/*
	[ "$(jq -s 'length' <<<"$output")" -eq 8 ]
	[ "$(jq -r '.media_type + " " + .type' <<<"$output" | sort -u)" = "application/dicom imaging" ]
	run -0 rso-collect ls RSO-2026-000001
	[ "$(jq -sc '[.[] | select(.study) | [.date, .modality, .body_part, .description, .instances]] | unique' <<<"$output")" = '[["2026-09-14","CT","HEAD","SYNTHETIC MRI",2]]' ]
	[ "$(jq -s '[.[] | select(.study)] | length' <<<"$output")" -eq 4 ]
	# The study UIDs are pydicom's, not only rso's reading of them.
	want=$(/usr/bin/python3 -c 'import pydicom,sys; print("\n".join(sorted({str(pydicom.dcmread(f).StudyInstanceUID) for f in sys.argv[1:]})))' */IM*.dcm)
	[ "$(jq -r 'select(.study) | .study' <<<"$output" | sort)" = "$want" ]
}

@test "rso-dicom: an instance is recorded once, whatever file it came in" {
	study a tag=same n=3
	study b tag=same n=3 syntax=implicit_le
	run -0 rso-collect add RSO-2026-000001 a/*
	run -0 rso-collect add RSO-2026-000001 b/*
	[ "$(jq -sc '[.[] | .existing]' <<<"$output")" = '[true,true,true]' ]
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*), count(distinct sop_uid) from records"
	assert_output "3|3"
}

@test "rso-dicom: an instance is hashed as it is filed, one read: the sha256 is its bytes'" {
	study s tag=once n=3
	cp s/IM00002.dcm again.dcm
	run -0 rso-collect add RSO-2026-000001 s/IM00001.dcm s/IM00002.dcm s/IM00003.dcm again.dcm
	# Printed, indexed and read back: each the SHA-256 of its file.
	for i in 1 2 3; do
		want=$(sha256sum "s/IM0000$i.dcm" | cut -d' ' -f1)
		[ "$(jq -r "select(.item == \"000$i\") | .sha256" <<<"$output")" = "$want" ]
		[ "$(sqlite3 "$RSO_HOME/rso.db" "select sha256 from records where item = $i")" = "$want" ]
		[ "$(rso-collect cat RSO-2026-000001 $i | sha256sum | cut -d' ' -f1)" = "$want" ]
	done
	# The copy is the same instance, named with its own file's hash.
	[ "$(jq -c 'select(.duplicate_of) | [.duplicate_of, .where, .sha256]' <<<"$output")" = \
	    "[\"0002\",\"argument 5\",\"$(sha256sum again.dcm | cut -d' ' -f1)\"]" ]
	run -0 rso-case verify
}

@test "rso-dicom: an instance the case holds as a plain file is found by its hash, after writing, and not filed" {
	study s tag=plain n=2
	rso-collect add RSO-2026-000001 s/IM00001.dcm >/dev/null
	# As a version that did not read it as DICOM would have filed it.
	sqlite3 "$RSO_HOME/rso.db" "update records set sop_uid = null, media_type = 'application/octet-stream' where item = 1"
	ls "$RSO_HOME/archives/RSO-2026-000001" >before
	run -0 rso-collect add RSO-2026-000001 s/IM00001.dcm s/IM00002.dcm
	assert_line --index 0 '{"case":"RSO-2026-000001","item":"0001","existing":true}'
	[ "$(jq -sc '[.[] | select(.name) | [.item, .sha256]]' <<<"$output")" = \
	    "[[\"0002\",\"$(sha256sum s/IM00002.dcm | cut -d' ' -f1)\"]]" ]
	# One new segment: the one written with the repeat was dropped.
	ls "$RSO_HOME/archives/RSO-2026-000001" | comm -13 before - >new
	[ "$(grep -c '\.age$' new)" -eq 1 ]
	[ "$(ls -A "$RSO_HOME/archives/RSO-2026-000001" | grep -c '^\.seg-')" -eq 0 ]
	run -0 bash -c "age -d -i '$RSO_IDENTITY' '$RSO_HOME/archives/RSO-2026-000001/$(grep '\.age$' new)' | bsdtar -tf - | grep '^records/'"
	assert_output 'records/0002-imaging-mr.dcm'
}

@test "rso-dicom: what cat decrypts is the file pydicom and dcmdump read" {
	study s n=1 syntax=deflated_le
	rso-collect add RSO-2026-000001 s/IM00001.dcm >/dev/null
	rso-collect cat RSO-2026-000001 1 >back.dcm
	cmp back.dcm s/IM00001.dcm
	run -0 /usr/bin/python3 -c 'import pydicom; d = pydicom.dcmread("back.dcm"); print(d.PatientName, d.file_meta.TransferSyntaxUID)'
	assert_output "TEST^ALPHA 1.2.840.10008.1.2.1.99"
	run -0 dcmdump +P PatientBirthDate back.dcm
	assert_output --partial "[19610301]"
}

@test "rso-dicom: a study of another patient is held, then released or rejected" {
	study other 'name=DOE^JANE' tag=other n=2
	study born birth=19610302 tag=born n=1
	run -0 rso-collect add RSO-2026-000001 other/* born/*
	[ "$(jq -sc '[.[] | .held]' <<<"$output")" = '["patient name does not match the case","patient name does not match the case","birth date does not match the case"]' ]
	run -0 rso-collect held
	[ "$(jq -sc '[.[] | [.items, .reason, .first_item]]' <<<"$output")" = '[[2,"patient name does not match the case","0001"],[1,"birth date does not match the case","0003"]]' ]
	other=$(jq -r 'select(.items == 2) | .study' <<<"$output")
	born=$(jq -r 'select(.items == 1) | .study' <<<"$output")
	# Held records are not records of the case until staff decide.
	run -65 --separate-stderr rso-collect complete RSO-2026-000001
	run -0 rso-collect release RSO-2026-000001 "$other"
	run -0 rso-collect reject RSO-2026-000001 "$born"
	run -0 rso-collect held
	assert_output ''
	run -0 rso-collect ls RSO-2026-000001
	# A rejected study stays listed, as the encrypted bytes stay.
	[ "$(jq -sc '[.[] | select(.study) | [.instances, .held]]' <<<"$output")" = '[[2,null],[1,"rejected"]]' ]
	run -0 rso-collect complete RSO-2026-000001
	run -0 rso-case log RSO-2026-000001
	assert_output --partial '"type":"records.released"'
	assert_output --partial '"type":"records.rejected"'
}

@test "rso-dicom: names are compared as people write them" {
	jq -c '.ref="t-2" | .patient.name="René Müller-Lüdenscheidt" | .patient.birth_date="1970-01-31"' "$DATA/request.json" | rso-intake >/dev/null
	rso-intake consent RSO-2026-000002 --providers "*" --expires 2027-06-30 >/dev/null
	study s 'name=MULLER-LUDENSCHEIDT^RENE^^DR' birth=19700131 n=1
	run -0 rso-collect add RSO-2026-000002 s/IM00001.dcm
	[ "$(jq -r '.held // "filed"' <<<"$output")" = filed ]
}

@test "rso-dicom: a broken DICOM file is refused with where and what, the rest filed" {
	study s n=2
	head -c 400 s/IM00002.dcm >s/cut.dcm
	run -65 --separate-stderr rso-collect add RSO-2026-000001 s/IM00001.dcm s/cut.dcm
	[ "$stderr" = "rso-collect: argument 3: DICOM: truncated element (0008,0016) at offset 368" ]
	[ "$(jq -r .item <<<"$output")" = 0001 ]
	[[ "$stderr" != *ALPHA* ]]
	printf 'DICM' | dd of=s/notdicom.dcm bs=1 seek=128 2>/dev/null
	run -65 --separate-stderr rso-collect add RSO-2026-000001 s/notdicom.dcm
	[ "$stderr" = "rso-collect: argument 2: DICOM: no SOPInstanceUID" ]
}

@test "rso-dicom: inbox matches a bare study to the open case of its patient" {
	mkdir -p in
	study in/cd1 n=3 tag=cd1
	# An imaging CD: files named as DICOM media names them (8 characters,
	# no extension) and the DICOMDIR dcmtk writes for them.
	study cd n=2 tag=cd2
	mkdir cd/DICOM
	mv cd/IM00001.dcm cd/DICOM/IM00001
	mv cd/IM00002.dcm cd/DICOM/IM00002
	(cd cd && dcmmkdir --recurse +I DICOM)
	[ -f cd/DICOMDIR ]
	bsdtar -cf in/cd.iso --format iso9660 -C cd .
	study zz n=2 tag=zip
	bsdtar -a -cf in/cd3.zip -C zz .
	study in/nobody 'name=NOBODY^TEST' tag=x n=1
	echo 'a letter' >in/letter.txt
	run -65 --separate-stderr rso-collect inbox --settle 0 in
	[ "$(jq -r .case <<<"$output" | sort -u)" = RSO-2026-000001 ]
	[ "$(jq -s '[.[] | select(.item)] | length' <<<"$output")" -eq 7 ]
	# The CD's DICOMDIR goes on the record of the case its instances went to.
	[ "$(jq -c 'select(.furniture)' <<<"$output")" = '{"case":"RSO-2026-000001","furniture":1}' ]
	assert_equal "${stderr_lines[0]}" "rso-collect: in: entry 4: names no patient, and no request token or case id in the name or a sidecar (moved to .rejected)"
	assert_equal "${stderr_lines[1]}" "rso-collect: in: entry 5: member 1: no open case matches the study's patient (moved to .rejected)"
	run -0 cat in/.rejected/nobody.reason
	assert_output "member 1: no open case matches the study's patient"
	# Two open cases of the same patient: staff must say which.
	jq -c '.ref="t-2"' "$DATA/request.json" | rso-intake >/dev/null
	rso-intake consent RSO-2026-000002 --providers "*" --expires 2027-06-30 >/dev/null
	study in/again n=1 tag=again
	run -65 --separate-stderr rso-collect inbox --settle 0 in
	[ "$stderr" = "rso-collect: in: entry 1: member 1: several open cases match the study's patient (moved to .rejected)" ]
}

@test "rso-dicom: an instance dropped alone is an entry, matched by patient and hashed as it is filed" {
	study s n=2 tag=alone
	mkdir in
	cp s/IM00001.dcm in/one.dcm
	cp s/IM00002.dcm in/RSO-2026-000001-two.dcm
	run -0 --separate-stderr rso-collect inbox --settle 0 in
	# Entries go in name order: the one named by its case first.
	[ "$(jq -c '[.item, .sha256]' <<<"$output")" = "$(printf '["0001","%s"]\n["0002","%s"]' \
	    "$(sha256sum s/IM00002.dcm | cut -d' ' -f1)" "$(sha256sum s/IM00001.dcm | cut -d' ' -f1)")" ]
	[ -z "$(ls in)" ]
	rso-collect cat RSO-2026-000001 1 | cmp - s/IM00002.dcm
	run -0 rso-case verify
}

@test "rso-dicom: missing names a requested study until it arrives" {
	rso-collect request RSO-2026-000001 --provider "Test Imaging" --contact "fax:1" --what "MRI brain" --study "2026-09-15:MR:MRI brain" >/dev/null
	run -0 rso-collect missing RSO-2026-000001
	[ "$(jq -sc '[.[] | .missing]' <<<"$output")" = '["request","study"]' ]
	token=$(jq -r 'select(.missing == "request") | .token' <<<"$output")
	study s n=2 date=20260915 modality=MR
	run -0 rso-collect add --request "$token" RSO-2026-000001 s/*
	run -0 rso-collect missing RSO-2026-000001
	assert_output ''
}

@test "rso-dicom: an inbox of 2,000 instances (about 1 GiB) files in one run, memory flat" {
	mkdir -p in
	study in/big n=2000 size=524288 tag=big
	[ "$(du -sm in | cut -f1)" -ge 1000 ]
	run -0 /usr/bin/time -f 'maxrss %M' -o rss.txt rso-collect -q inbox --settle 0 in
	[ "$(jq -s 'length' <<<"$output")" -eq 2000 ]
	rss=$(sed -n 's/^maxrss //p' rss.txt)
	echo "# peak RSS ${rss} KiB" >&3
	# ASan's shadow memory and quarantine are not the program's.
	grep -q __asan_init "$(command -v rso-collect)" || [ "$rss" -lt 65536 ]
	run -0 rso-collect ls RSO-2026-000001
	[ "$(jq -r 'select(.study) | .instances' <<<"$output")" -eq 2000 ]
	run -0 rso-case verify
}

@test "rso-dicom: scan lists what a folder holds without filing, as pydicom reads it" {
	study cd n=2 syntax=explicit_be 'name=DOE^JANE' birth=19800101 modality=CT
	echo 'not an image' >cd/README.TXT
	run -0 --separate-stderr rso-collect scan cd
	[ "$(jq -sc '[.[] | [.file, .patient_name, .birth_date, .modality, .date]]' <<<"$output")" = '[["cd/IM00001.dcm","DOE^JANE","1980-01-01","CT","2026-09-15"],["cd/IM00002.dcm","DOE^JANE","1980-01-01","CT","2026-09-15"]]' ]
	want=$(/usr/bin/python3 -c 'import pydicom,sys; print("\n".join(str(pydicom.dcmread(f).SOPInstanceUID) for f in sys.argv[1:]))' cd/IM0000*.dcm)
	[ "$(jq -r .sop <<<"$output")" = "$want" ]
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*) from records"
	assert_output 0
	head -c 300 cd/IM00002.dcm >cd/IM00003.dcm
	run -65 --separate-stderr rso-collect scan cd nothing
	[ "$stderr" = "rso-collect: argument 1: file 3: DICOM: truncated element (0002,0012) at offset 270
rso-collect: argument 2: No such file or directory" ]
	[ "$(jq -s length <<<"$output")" -eq 2 ]
	# A folder copied from a Latin-1 machine: the file still has its line.
	rm cd/IM00003.dcm
	mv cd/IM00002.dcm cd/$'IM\xe9.dcm'
	run -0 rso-collect scan cd
	[ "$(jq -r .file <<<"$output")" = "cd/IM00001.dcm
cd/IM"$'\xef\xbf\xbd'".dcm" ]
}

@test "rso-dicom: a name not wholly decoded is flagged by scan and held, never matched" {
	study ok n=1 tag=ok
	# The same study once in a term PS3.5 does not define, once in UTF-8
	# with a byte that is no character.
	/usr/bin/python3 - ok/IM00001.dcm <<'PY'
import pydicom, sys
for name, cs, raw in (("bad_term.dcm", "ISO_IR 999", b"TEST^ALPHA\xe9"),
                      ("bad_byte.dcm", "ISO_IR 192", b"TEST^ALPHA\xff")):
    ds = pydicom.dcmread(sys.argv[1])
    ds.SpecificCharacterSet = cs
    ds.SOPInstanceUID = ds.SOPInstanceUID + (".1" if "term" in name else ".2")
    ds.add(pydicom.dataelem.DataElement(0x00100010, "PN", raw))
    ds.save_as(name)
PY
	run -0 --separate-stderr rso-collect scan bad_term.dcm bad_byte.dcm
	[ "$(jq -sac '[.[] | [.patient_name, .charset, .charset_unsupported, .lossy]]' <<<"$output")" = '[["TEST^ALPHA?","ISO_IR 999",true,true],["TEST^ALPHA\ufffd","ISO_IR 192",null,true]]' ]
	run -0 rso-collect add RSO-2026-000001 bad_term.dcm bad_byte.dcm
	[ "$(jq -r .held <<<"$output" | sort -u)" = "patient name not readable in its character set" ]
}
