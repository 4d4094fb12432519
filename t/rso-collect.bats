#!/usr/bin/env bats
# rso-collect: record requests, follow-ups, completeness.
load lib

local_setup() {
	rso-case init -q
	jq -c '.ref="t-1"' "$DATA/request.json" | rso-intake >/dev/null
	jq -c '.ref="t-2"' "$DATA/request.json" | rso-intake >/dev/null
	rso-intake consent RSO-2026-000001 --providers "Test Hospital,Test Imaging" --expires 2027-01-01 >/dev/null
}

token() {
	jq -r .token <<<"$output"
}

@test "rso-collect: request needs consent that covers the provider" {
	run -0 rso-collect request RSO-2026-000001 --provider "test hospital " --contact "fax:+1 555 0100" --what "pathology report"
	[[ "$(token)" =~ ^REQ-[0-9A-HJKMNP-TV-Z]{6}$ ]]
	[ "$(jq -c 'del(.token)' <<<"$output")" = '{"case":"RSO-2026-000001","provider":"test hospital ","status":"open"}' ]
	run -77 --separate-stderr rso-collect request RSO-2026-000001 --provider "Other Clinic" --contact "fax:1" --what x
	[ "$stderr" = "rso-collect: argument 1: RSO-2026-000001: consent does not cover this provider" ]
	run -77 --separate-stderr rso-collect request RSO-2026-000002 --provider "Test Hospital" --contact "fax:1" --what x
	[ "$stderr" = "rso-collect: argument 1: RSO-2026-000002: no consent" ]
	RSO_NOW=2027-02-01T00:00:00Z run -77 --separate-stderr rso-collect request RSO-2026-000001 --provider "Test Hospital" --contact "fax:1" --what y
	[ "$stderr" = "rso-collect: argument 1: RSO-2026-000001: consent expired" ]
}

@test "rso-collect: the same request again is the same token" {
	run -0 rso-collect request RSO-2026-000001 --provider "Test Hospital" --contact "fax:+1 555 0100" --what "MRI"
	first=$(token)
	run -0 rso-collect request RSO-2026-000001 --provider "Test Hospital" --contact "fax:+1 555 0100" --what "MRI"
	[ "$(token)" = "$first" ]
	[ "$(jq .existing <<<"$output")" = true ]
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*) from record_requests; select count(*) from events where type='records.requested'"
	assert_output $'1\n1'
}

@test "rso-collect: requests as JSON lines, each bad one reported" {
	run -65 --separate-stderr rso-collect request <<'EOF2'
{"case":"RSO-2026-000001","provider":"Test Imaging","contact":{"method":"portal","portal":"https://portal.example"},"what":"CT 2026-08"}
{"case":"RSO-2026-000001","contact":{"method":"fax","fax":"1"},"what":"x"}
{"case":"RSO-2026-000001","provider":"Test Imaging","contact":{"method":"pigeon"},"what":"x"}
{"case":"RSO-2026-000001","provider":"Test Imaging","contact":{"method":"fax"},"what":"x"}
{"case":"RSO-2026-000001","provider":"Test Imaging","contact":{"method":"upload"}}
{"case":"RSO-2026-000001","provider":"Test Imaging","contact":{"method":"upload"},"what":"x","studies":"MR"}
EOF2
	[ "$(jq -r .provider <<<"$output")" = "Test Imaging" ]
	[ "$stderr" = 'rso-collect: stdin:2: provider: missing
rso-collect: stdin:3: contact.pigeon: missing (the method'"'"'s address)
rso-collect: stdin:4: contact.fax: missing (the method'"'"'s address)
rso-collect: stdin:5: what: missing
rso-collect: stdin:6: studies: not a list' ]
}

@test "rso-collect: a request line may name its case by the request's ref" {
	run -65 --separate-stderr rso-collect request <<'EOF2'
{"ref":"t-1","provider":"Test Imaging","contact":{"method":"fax","fax":"1"},"what":"CT 2026-08","studies":[{"date":"2026-08-14","modality":"CT"}]}
{"ref":"t-9","provider":"Test Imaging","contact":{"method":"fax","fax":"1"},"what":"x"}
{"provider":"Test Imaging","contact":{"method":"fax","fax":"1"},"what":"x"}
{"ref":"t-1","provider":"Test Imaging","contact":{"method":"fax","fax":"1"},"what":"x","studies":[{"date":"20260814","modality":"CT"}]}
EOF2
	[ "$(jq -c 'del(.token)' <<<"$output")" = '{"case":"RSO-2026-000001","provider":"Test Imaging","status":"open"}' ]
	[ "$stderr" = 'rso-collect: stdin:2: ref: no such request
rso-collect: stdin:3: no "case" or "ref" member
rso-collect: stdin:4: studies.0.date: not a date (YYYY-MM-DD)' ]
}

@test "rso-collect: a request goes only by its method, to that method's address" {
	run -65 --separate-stderr rso-collect request <<'EOF2'
{"case":"RSO-2026-000001","provider":"Test Imaging","contact":{"method":"fax","email":"records@imaging.example"},"what":"x"}
{"case":"RSO-2026-000001","provider":"Test Imaging","contact":{"method":"email","email":"","fax":"5551234"},"what":"x"}
{"case":"RSO-2026-000001","provider":"Test Imaging","contact":{"method":"email","email":"not an address"},"what":"x"}
{"case":"RSO-2026-000001","provider":"Test Imaging","contact":{"method":"fax","fax":"5551234","email":"x@example.org"},"what":"MRI"}
EOF2
	[ "$stderr" = "rso-collect: stdin:1: contact.fax: missing (the method's address)
rso-collect: stdin:2: contact.email: missing (the method's address)
rso-collect: stdin:3: contact.email: not an email address" ]
	[ "$(jq -r .provider <<<"$output")" = "Test Imaging" ]
	# The letter of the fax request goes by fax, though an email was given.
	mkdir outbox
	printf '#!/bin/sh\ncat >"outbox/$(date +%%s%%N).eml"\n' >sendmail
	chmod +x sendmail
	echo '{"mail":{"fax_gateway":"{fax}@fax.example.org"}}' >"$RSO_HOME/config.json"
	export RSO_NOW=2026-10-05T12:00:00Z
	run -0 bash -c 'rso-collect due | SENDMAIL=./sendmail rso-mail | rso-collect sent'
	[ "$(ls outbox | wc -l)" -eq 1 ]
	grep -q '^To: 5551234@fax.example.org$' outbox/*.eml
	! grep -q 'x@example.org' outbox/*.eml
}

@test "rso-collect: control characters in a request are refused, naming the member" {
	run -65 --separate-stderr rso-collect request RSO-2026-000001 --provider $'Test\r\nBcc: x@example.org' --contact "fax:1" --what x
	[ "$stderr" = "rso-collect: argument 1: provider: control character" ]
	run -65 --separate-stderr rso-collect request RSO-2026-000001 --provider "Test Imaging" --contact "fax:1" --what $'MRI\x1b[2J'
	[ "$stderr" = "rso-collect: argument 1: what: control character" ]
	run -65 --separate-stderr rso-collect request <<'EOF2'
{"case":"RSO-2026-000001","provider":"Test Imaging","contact":{"method":"fax","fax":"1\r\n"},"what":"x"}
EOF2
	[ "$stderr" = "rso-collect: stdin:1: contact.fax: control character" ]
	# A Latin-1 terminal's bytes, which no event could record.
	run -64 --separate-stderr rso-collect request RSO-2026-000001 --provider $'Cl\xednica' --contact "fax:1" --what x
	[ "$stderr" = "rso-collect: --provider: not UTF-8 text" ]
	run -64 --separate-stderr rso-collect request RSO-2026-000001 --provider "Test Imaging" --contact "fax:1" --what $'radiograf\xeda'
	[ "$stderr" = "rso-collect: --what: not UTF-8 text" ]
	run -64 --separate-stderr rso-collect request RSO-2026-000001 --provider "Test Imaging" --contact $'email:jos\xe9@example.org' --what x
	[ "$stderr" = "rso-collect: --contact: not UTF-8 text" ]
	run -64 --separate-stderr rso-collect request RSO-2026-000001 --provider "Test Imaging" --contact "fax:1" --what x --study $'2026-03-01:CT:t\xf3rax'
	[ "$stderr" = "rso-collect: --study: not UTF-8 text" ]
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*) from record_requests"
	assert_output 0
}

@test "rso-collect: request usage errors are exit 64" {
	run -64 --separate-stderr rso-collect request RSO-2026-000001 --provider A --contact "telegram:x" --what x
	[ "${stderr_lines[0]}" = "rso-collect: --contact: not METHOD:VALUE with METHOD one of fax, mail, email, portal, upload" ]
	run -64 --separate-stderr rso-collect request RSO-2026-000001 --provider A
	[ "${stderr_lines[0]}" = "rso-collect: request: --provider, --contact and --what are needed with a case operand" ]
	run -64 --separate-stderr rso-collect request RSO-2026-000001 --provider A --contact fax:1 --what x --study 2026-13-01:MR
	[ "${stderr_lines[0]}" = "rso-collect: --study: not YYYY-MM-DD:MODALITY[:DESCRIPTION]" ]
	run -64 rso-collect nonsense
	run -0 rso-collect --help
	assert_output --partial "request case --provider"
}

@test "rso-collect: due lists follow-ups after the interval, then escalates" {
	rso-collect request RSO-2026-000001 --provider "Test Hospital" --contact "fax:+1 555 0100" --what "MRI" >/dev/null
	RSO_NOW=2026-10-03T12:00:00Z run -0 rso-collect due
	assert_output ''
	RSO_NOW=2026-10-04T12:00:00Z run -0 rso-collect due
	[ "$(jq -c '[.kind,.case,.provider,.attempt,.contact.fax,.patient.name,.patient.birth_date]' <<<"$output")" = '["records-followup","RSO-2026-000001","Test Hospital",2,"+1 555 0100","Test Alpha","1961-03-01"]' ]
	RSO_NOW=2026-10-02T12:00:00Z run -0 rso-collect due --older 1d
	[ "$(jq -r .attempt <<<"$output")" = 2 ]
	# Attempts 2, 3 and 4 go out; then staff are told.
	for day in 04 07 10; do
		RSO_NOW=2026-10-${day}T12:00:00Z rso-collect due | RSO_NOW=2026-10-${day}T12:00:00Z rso-collect sent >/dev/null
	done
	RSO_NOW=2026-10-13T12:00:00Z run -0 rso-collect due
	[ "$(jq -c '[.kind,.attempt,.patient]' <<<"$output")" = '["escalate",4,null]' ]
	RSO_NOW=2026-10-13T12:00:00Z rso-collect due | RSO_NOW=2026-10-13T12:00:00Z rso-collect sent >/dev/null
	RSO_NOW=2026-10-20T12:00:00Z run -0 rso-collect due
	assert_output ''
	run -0 rso-case log RSO-2026-000001
	[ "$(jq -sc '[.[].type] | group_by(.) | map([.[0], length])' <<<"$output")" = '[["case.created",1],["consent.recorded",1],["records.escalated",1],["records.followup",3],["records.requested",1]]' ]
}

@test "rso-collect: sent is idempotent and refuses lines it cannot use" {
	rso-collect request RSO-2026-000001 --provider "Test Hospital" --contact "fax:1" --what "MRI" >/dev/null
	RSO_NOW=2026-10-05T12:00:00Z rso-collect due >due.jsonl
	run -0 rso-collect sent due.jsonl
	[ "$(jq .recorded <<<"$output")" = true ]
	run -0 rso-collect sent due.jsonl
	[ "$(jq .unchanged <<<"$output")" = true ]
	run -65 --separate-stderr rso-collect sent <<'EOF2'
{"kind":"records-followup","token":"REQ-AAAAAA","attempt":2}
{"kind":"records-followup","token":"nope","attempt":2}
{"kind":"review-due","token":"REQ-AAAAAA","attempt":2}
{"kind":"records-followup","token":"REQ-AAAAAA","attempt":"two"}
EOF2
	[ "$stderr" = 'rso-collect: stdin:1: REQ-AAAAAA: no such request
rso-collect: stdin:2: token: not a request token
rso-collect: stdin:3: kind: not records-followup or escalate
rso-collect: stdin:4: attempt: not a number' ]
}

@test "rso-collect: due | rso-mail | sent, the nightly follow-up pipeline" {
	mkdir outbox
	printf '#!/bin/sh\ncat >"outbox/$(date +%%s%%N).eml"\n' >sendmail
	chmod +x sendmail
	echo '{"mail":{"fax_gateway":"{fax}@fax.example.org"}}' >"$RSO_HOME/config.json"
	rso-collect request RSO-2026-000001 --provider "Test Hospital" --contact "fax:+1 555 0100" --what "MRI" >/dev/null
	export RSO_NOW=2026-10-05T12:00:00Z
	run -0 bash -c 'rso-collect due | SENDMAIL=./sendmail rso-mail | rso-collect sent'
	[ "$(jq .recorded <<<"$output")" = true ]
	[ "$(ls outbox | wc -l)" -eq 1 ]
	grep -q '^To: +15550100@fax.example.org$' outbox/*.eml
	grep -q 'records of Test Alpha, born 1961-03-01' outbox/*.eml
	# A second run the same night mails nothing more.
	run -0 bash -c 'rso-collect due | SENDMAIL=./sendmail rso-mail | rso-collect sent'
	assert_output ''
	[ "$(ls outbox | wc -l)" -eq 1 ]
}

@test "rso-collect: missing names open requests and studies not arrived" {
	rso-collect request RSO-2026-000001 --provider "Test Imaging" --contact "fax:1" --what "MRI brain" --study "2026-09-14:MR:MRI brain" >/dev/null
	run -0 rso-collect missing RSO-2026-000001
	[ "$(jq -sc '[.[] | [.missing, .provider, .study.date, .study.modality]]' <<<"$output")" = '[["request","Test Imaging",null,null],["study","Test Imaging","2026-09-14","MR"]]' ]
	run -0 rso-collect missing -f text RSO-2026-000001
	assert_line --index 0 --regexp '^REQ-[0-9A-Z]{6}  Test Imaging +asked 2026-10-01 \(1 attempt\): MRI brain$'
	run -65 --separate-stderr rso-collect missing RSO-2026-000077
	[ "$stderr" = "rso-collect: RSO-2026-000077: no such case" ]
}

@test "rso-collect: missing -f letter writes one letter per provider from the template" {
	rso-collect request RSO-2026-000001 --provider "Test Imaging" --contact "fax:1" --what "MRI brain" --study "2026-09-14:MR:MRI brain" >/dev/null
	rso-collect request RSO-2026-000001 --provider "Test Hospital" --contact "fax:2" --what "pathology report" >/dev/null
	run -0 rso-collect missing -f letter RSO-2026-000001
	[ "$(grep -c $'\f' <<<"$output")" -eq 2 ]
	assert_line "Re: the medical records of Test Alpha, born 1961-03-01"
	assert_line --regexp '^  - MRI brain \(request REQ-[0-9A-Z]{6}\)$'
	assert_line --regexp '^  - the MR study of 2026-09-14, MRI brain \(request REQ-[0-9A-Z]{6}\)$'
	assert_line --regexp '^  - pathology report \(request REQ-[0-9A-Z]{6}\)$'
	[ "$(grep -c $'^\f\{0,1\}To Test' <<<"$output")" -eq 2 ]
	run -64 --separate-stderr rso-collect missing -f memo RSO-2026-000001
	[ "${stderr_lines[0]}" = "rso-collect: --format: not one of json, text, letter" ]
	cp -r "$RSO_SHARE" share2
	rm share2/templates/records-missing.txt
	RSO_SHARE=share2 run -78 --separate-stderr rso-collect missing -f letter RSO-2026-000001
	[ "$stderr" = "rso-collect: share2/templates/records-missing.txt: No such file or directory (looked for the shared files in RSO_SHARE)" ]
}

@test "rso-collect: complete needs consent and a filed record" {
	run -65 --separate-stderr rso-collect complete RSO-2026-000001
	[ "$stderr" = "rso-collect: argument 1: RSO-2026-000001: no records filed yet" ]
	run -65 --separate-stderr rso-collect complete RSO-2026-000002
	[ "$stderr" = "rso-collect: argument 1: RSO-2026-000002: cannot complete a case that is awaiting-consent" ]
}

@test "rso-collect: add files records into a segment that age and tar open" {
	rm -rf "$RSO_HOME"
	init_with_key
	jq -c '.ref="t-1"' "$DATA/request.json" | rso-intake >/dev/null
	rso-intake consent RSO-2026-000001 --providers "Test Hospital" --expires 2027-01-01 >/dev/null
	printf 'Synthetic pathology report.\n' >path.txt
	printf '%%PDF-1.4\nsynthetic\n' >scan.pdf
	run -0 rso-collect add --type pathology --source "Test Hospital" --date 2026-09-20 RSO-2026-000001 path.txt scan.pdf
	[ "$(jq -sc '[.[] | [.item, .name, .media_type, .size]]' <<<"$output")" = '[["0001","records/0001-pathology-test-hospital.txt","text/plain",28],["0002","records/0002-pathology-test-hospital.pdf","application/pdf",19]]' ]
	run -0 bash -c "age -d -i '$RSO_IDENTITY' '$RSO_HOME/archives/RSO-2026-000001/000001.age' | bsdtar -tf -"
	assert_output $'case.json\nevents.jsonl\nrecords/0001-pathology-test-hospital.txt\nrecords/0002-pathology-test-hospital.pdf'
	mkdir out
	age -d -i "$RSO_IDENTITY" "$RSO_HOME/archives/RSO-2026-000001/000001.age" | tar -x -C out
	cmp out/records/0001-pathology-test-hospital.txt path.txt
	[ "$(jq -r .case out/case.json)" = RSO-2026-000001 ]
	run -0 rso-collect ls -f text RSO-2026-000001
	assert_line --index 0 --regexp '^0001  pathology  2026-09-20 text/plain +28  records/0001-pathology-test-hospital.txt$'
}

@test "rso-collect: the same file again is recorded once" {
	rm -rf "$RSO_HOME"
	init_with_key
	ready_case 1
	cp "$BATS_TEST_TMPDIR/rec-1.txt" copy.txt
	run -0 rso-collect add RSO-2026-000001 copy.txt copy.txt
	assert_output '{"case":"RSO-2026-000001","item":"0001","existing":true}
{"case":"RSO-2026-000001","item":"0001","existing":true}'
	[ "$(ls "$RSO_HOME/archives/RSO-2026-000001" | grep -c age)" -eq 1 ]
}

@test "rso-collect: add refuses what it cannot use and files the rest" {
	rm -rf "$RSO_HOME"
	init_with_key
	jq -c '.ref="t-1"' "$DATA/request.json" | rso-intake >/dev/null
	echo note >note.txt
	run -65 --separate-stderr rso-collect add RSO-2026-000001 note.txt
	[ "$stderr" = "rso-collect: RSO-2026-000001: cannot add records to a case that is awaiting-consent" ]
	rso-intake consent RSO-2026-000001 --providers "Test Hospital" --expires 2027-01-01 >/dev/null
	mkdir adir
	run -66 --separate-stderr rso-collect add RSO-2026-000001 nosuch.txt adir note.txt
	[ "$stderr" = "rso-collect: argument 2: No such file or directory
rso-collect: argument 3: a folder, not a regular file" ]
	[ "$(jq -r .item <<<"$output")" = 0001 ]
	run -64 --separate-stderr rso-collect add --type xray RSO-2026-000001 note.txt
	[ "${stderr_lines[0]}" = "rso-collect: --type: not one of note, lab, pathology, imaging, report, consent, opinion, other" ]
	run -64 --separate-stderr rso-collect add --request REQ-1 RSO-2026-000001 note.txt
	[ "${stderr_lines[0]}" = "rso-collect: --request: not a request token (REQ-XXXXXX)" ]
}

@test "rso-collect: add without registered recipients is a configuration error" {
	echo note >note.txt
	run -78 --separate-stderr rso-collect add RSO-2026-000001 note.txt
	[ "$stderr" = "rso-collect: recipients: none registered (rso-case init -r age1...)" ]
	run -0 rso-collect ls RSO-2026-000001
	assert_output ''
}

@test "rso-collect: a record that answers a request marks it received" {
	rm -rf "$RSO_HOME"
	init_with_key
	jq -c '.ref="t-1"' "$DATA/request.json" | rso-intake >/dev/null
	rso-intake consent RSO-2026-000001 --providers "Test Hospital" --expires 2027-01-01 >/dev/null
	tok=$(rso-collect request RSO-2026-000001 --provider "Test Hospital" --contact fax:1 --what "path report" | jq -r .token)
	echo report >r.txt
	rso-collect add --request "$tok" RSO-2026-000001 r.txt >/dev/null
	run -0 rso-collect missing RSO-2026-000001
	assert_output ''
	RSO_NOW=2026-10-20T12:00:00Z run -0 rso-collect due
	assert_output ''
	run -0 rso-collect complete RSO-2026-000001
	assert_output '{"case":"RSO-2026-000001","status":"ready"}'
	run -0 rso-collect complete RSO-2026-000001
	assert_output '{"case":"RSO-2026-000001","status":"ready","unchanged":true}'
}

@test "rso-collect: cat decrypts one record and the read is an audit event" {
	rm -rf "$RSO_HOME"
	init_with_key
	ready_case 1
	RSO_ACTOR=auditor run -0 rso-collect cat RSO-2026-000001 1
	assert_output "Synthetic pathology report 1."
	run -0 rso-case log RSO-2026-000001
	[ "$(jq -sc '[.[] | select(.type=="records.read")][0] | [.actor, .data.item]' <<<"$output")" = '["auditor","1"]' ]
	run -65 --separate-stderr rso-collect cat RSO-2026-000001 7
	[ "$stderr" = "rso-collect: RSO-2026-000001: no item 7" ]
	rso-case keygen -o other.txt 2>/dev/null
	run -77 --separate-stderr rso-collect cat -i other.txt RSO-2026-000001 1
	[[ "$stderr" == "rso-collect: "* ]]
	[ -z "$output" ]
	RSO_IDENTITY= run -77 --separate-stderr rso-collect cat RSO-2026-000001 1
	[ "$stderr" = "rso-collect: no identity (-i FILE or RSO_IDENTITY)" ]
}

@test "rso-collect: cat releases nothing of another case's segment or of bytes not filed" {
	rm -rf "$RSO_HOME"
	init_with_key
	ready_case 1
	ready_case 2
	a="$RSO_HOME/archives/RSO-2026-000001/000001.age"
	cp "$a" saved.age
	# Case 2's segment under case 1's name: case.json says whose it is.
	cp "$RSO_HOME/archives/RSO-2026-000002/000001.age" "$a"
	run -65 --separate-stderr rso-collect cat RSO-2026-000001 1
	[ "$stderr" = "rso-collect: RSO-2026-000001: item 0001: segment 000001.age belongs to another case" ]
	[ -z "$output" ]
	cp saved.age "$a"
	# The SHA-256 the store holds is the one the bytes must have.
	sqlite3 "$RSO_HOME/rso.db" "update records set sha256 = '$(printf '%064d' 0)' where case_id = 'RSO-2026-000001'"
	run -65 --separate-stderr rso-collect cat RSO-2026-000001 0001
	[ "$stderr" = "rso-collect: RSO-2026-000001: item 0001: SHA-256 does not match the store" ]
	[ -z "$output" ]
	# A segment without case.json does not say whose it is.
	printf 'x\n' >x.txt
	bsdtar -cf - x.txt | age -r "$PUBKEY" >"$a"
	run -65 --separate-stderr rso-collect cat RSO-2026-000001 1
	[ "$stderr" = "rso-collect: RSO-2026-000001: item 0001: segment 000001.age does not say whose it is" ]
}

@test "rso-collect: cat checks a record larger than it holds in memory, then releases it" {
	rm -rf "$RSO_HOME"
	init_with_key
	ready_case 1
	head -c $((17 << 20)) /dev/urandom >big.bin
	rso-collect add --type other RSO-2026-000001 big.bin >/dev/null
	rso-collect cat RSO-2026-000001 2 | cmp - big.bin
	sqlite3 "$RSO_HOME/rso.db" "update records set sha256 = '$(printf '%064d' 0)' where item = 2"
	run -65 --separate-stderr rso-collect cat RSO-2026-000001 2
	[ "$stderr" = "rso-collect: RSO-2026-000001: item 0002: SHA-256 does not match the store" ]
	[ -z "$output" ]
}

inbox_case() {
	rm -rf "$RSO_HOME"
	init_with_key
	jq -c '.ref="t-1"' "$DATA/request.json" | rso-intake >/dev/null
	rso-intake consent RSO-2026-000001 --providers "Test Hospital" --expires 2027-01-01 >/dev/null
	mkdir -p in
}

@test "rso-collect: inbox files by token, case id and sidecar, and rejects the rest" {
	inbox_case
	tok=$(rso-collect request RSO-2026-000001 --provider "Test Hospital" --contact fax:1 --what "path" | jq -r .token)
	echo "fax page" >"in/fax-$tok.txt"
	echo "note" >in/RSO-2026-000001-note.txt
	echo "upload" >in/upload.txt
	echo '{"case":"RSO-2026-000001","type":"report","source":"Patient upload","date":"2026-09-30"}' >in/upload.txt.json
	echo "stray" >"in/ZZPHI Person scan.txt"
	echo "bad" >in/bad.txt
	echo '{"case":"ZZPHI"}' >in/bad.txt.json
	echo "x" >in/RSO-2026-000077-other.txt
	run -65 --separate-stderr rso-collect inbox --settle 0 in
	[ "$(jq -sc '[.[] | .type] | sort' <<<"$output")" = '["other","other","report"]' ]
	# Entries are taken in byte order of their names.
	[ "$stderr" = "rso-collect: in: entry 2: RSO-2026-000077: no such case (moved to .rejected)
rso-collect: in: entry 3: names no patient, and no request token or case id in the name or a sidecar (moved to .rejected)
rso-collect: in: entry 4: sidecar: case: not a case id (moved to .rejected)" ]
	[[ "$stderr" != *ZZPHI* ]]
	run -0 ls in
	assert_output ''
	run -0 cat "in/.rejected/ZZPHI Person scan.txt.reason"
	assert_output "names no patient, and no request token or case id in the name or a sidecar"
	[ -e in/.rejected/bad.txt.json ]
	run -0 rso-collect missing RSO-2026-000001
	assert_output ''
	run -0 rso-collect ls RSO-2026-000001
	[ "$(jq -sr '[.[] | select(.type=="report")][0] | [.source, .date] | join(",")' <<<"$output")" = "Patient upload,2026-09-30" ]
}

@test "rso-collect: an inbox sidecar may name the case by the request's ref" {
	inbox_case
	echo "labs" >in/labs.txt
	echo '{"ref":"t-1","type":"lab","source":"Test Hospital","date":"2026-09-28"}' >in/labs.txt.json
	echo "other" >in/other.txt
	echo '{"ref":"ZZPHI-ref","type":"lab"}' >in/other.txt.json
	run -65 --separate-stderr rso-collect inbox --settle 0 in
	[ "$(jq -c '[.case, .type]' <<<"$output")" = '["RSO-2026-000001","lab"]' ]
	[ "$stderr" = "rso-collect: in: entry 2: sidecar: ref: no such request (moved to .rejected)" ]
	[ -e in/.rejected/other.txt.json ]
}

@test "rso-collect: control characters in a sidecar or --source are refused" {
	inbox_case
	rso-intake consent RSO-2026-000001 --providers "*" --expires 2027-01-01 >/dev/null
	echo "note" >in/note.txt
	printf '{"case":"RSO-2026-000001","source":"Test\\u001b[2JHospital"}\n' >in/note.txt.json
	run -65 --separate-stderr rso-collect inbox --settle 0 in
	[ "$stderr" = "rso-collect: in: entry 1: sidecar: control character in a member (moved to .rejected)" ]
	run -64 --separate-stderr rso-collect add --source $'Test\r\nHospital' RSO-2026-000001 in/.rejected/note.txt
	[ "${stderr_lines[0]}" = "rso-collect: --source: control character" ]
	run -64 --separate-stderr rso-collect add --source $'Cl\xednica' RSO-2026-000001 in/.rejected/note.txt
	[ "$stderr" = "rso-collect: --source: not UTF-8 text" ]
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*) from records"
	assert_output 0
}

@test "rso-collect: inbox reads folders, zip files and ISO images of imaging CDs" {
	inbox_case
	mkdir -p cd/DICOM in/RSO-2026-000001-folder/sub
	printf 'instance one' >cd/DICOM/IM1
	printf 'instance two' >cd/DICOM/IM2
	printf 'index' >cd/DICOMDIR
	bsdtar -cf in/RSO-2026-000001-cd.iso --format iso9660 -C cd .
	printf 'f1' >in/RSO-2026-000001-folder/a.txt
	printf 'f2' >in/RSO-2026-000001-folder/sub/b.txt
	printf 'z1' >z1.txt
	bsdtar -a -cf in/RSO-2026-000001-z.zip z1.txt
	run -0 rso-collect inbox --settle 0 in
	[ "$(jq -s '[.[] | select(.item)] | length' <<<"$output")" -eq 5 ]
	# The CD's DICOMDIR is media furniture: on the case's record, not filed.
	[ "$(jq -c 'select(.furniture)' <<<"$output")" = '{"case":"RSO-2026-000001","furniture":1}' ]
	run -0 ls in
	assert_output ''
	for n in 1 2 3 4 5; do rso-collect cat RSO-2026-000001 $n; echo; done >all.txt
	run -0 sort all.txt
	assert_output $'f1\nf2\ninstance one\ninstance two\nz1'
}

@test "rso-collect: a second inbox run on the same folder at once exits 75" {
	inbox_case
	echo a >in/RSO-2026-000001-a.txt
	exec 9>in/.rso-inbox.lock
	flock -x 9
	run -75 --separate-stderr rso-collect inbox --settle 0 in
	[ "$stderr" = "rso-collect: in: another inbox run is filing this folder" ]
	exec 9>&-
	run -0 rso-collect inbox --settle 0 in
	[ "$(jq -r .item <<<"$output")" = 0001 ]
	run -66 --separate-stderr rso-collect inbox --settle 0 nosuchdir
	[ "$stderr" = "rso-collect: nosuchdir: No such file or directory" ]
}

@test "rso-collect: two inbox runs at once file each file exactly once" {
	inbox_case
	for i in $(seq 1 60); do echo "record $i" >"in/RSO-2026-000001-$i.txt"; done
	rso-collect inbox --settle 0 in >a.out 2>a.err &
	p1=$!
	rso-collect inbox --settle 0 in >b.out 2>b.err &
	p2=$!
	wait $p1 || true
	wait $p2 || true
	# The loser says so and exits 75; nothing is filed twice either way.
	rso-collect inbox --settle 0 in >c.out
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*), count(distinct sha256) from records"
	assert_output "60|60"
	run -0 rso-case verify
}

@test "rso-collect: kill -9 during inbox loses nothing and files nothing twice" {
	inbox_case
	for i in $(seq 1 300); do echo "record $i" >"in/RSO-2026-000001-$i.txt"; done
	for k in $(seq 1 20); do
		kill_at_random rso-collect inbox --settle 0 in
	done
	run -0 rso-collect inbox --settle 0 in
	run -0 ls in
	assert_output ''
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*), count(distinct sha256), count(distinct item) from records"
	assert_output "300|300|300"
	run -0 rso-case verify
	run -0 rso-collect cat RSO-2026-000001 300
	assert_output --regexp '^record [0-9]+$'
}

@test "rso-collect: a tar of 300 members, spools lent again past a batch, files each member as it was" {
	inbox_case
	mkdir many
	# Lengths going down as well as up: a spool lent again after the
	# first batch (128) must hold nothing of what it held before.
	for i in $(seq 1 300); do
		printf 'record %d%*s\n' "$i" $(((301 - i) % 50)) '' >"many/r$i.txt"
	done
	tar -C many -cf in/RSO-2026-000001-many.tar .
	run -0 rso-collect inbox --settle 0 in
	[ "$(jq -s '[.[] | select(.item)] | length' <<<"$output")" -eq 300 ]
	run -0 ls in
	assert_output ''
	run -0 sqlite3 "$RSO_HOME/rso.db" "select sha256 from records order by sha256"
	assert_output "$(cd many && sha256sum r*.txt | cut -c1-64 | sort)"
	for i in 1 128 129 130 256 257 300; do
		sum=$(sha256sum "many/r$i.txt" | cut -c1-64)
		item=$(sqlite3 "$RSO_HOME/rso.db" "select item from records where sha256 = '$sum'")
		rso-collect cat RSO-2026-000001 "$item" | cmp - "many/r$i.txt"
	done
	run -0 rso-case verify
}

@test "rso-collect: release and reject refuse what is not held" {
	rm -rf "$RSO_HOME"
	init_with_key
	ready_case 1
	run -0 rso-collect held
	assert_output ''
	run -65 --separate-stderr rso-collect release RSO-2026-000001 1
	[ "$stderr" = "rso-collect: RSO-2026-000001: nothing held as item 1" ]
	run -65 --separate-stderr rso-collect reject RSO-2026-000001 1.2.826.0.1.3680043.8.498.1
	[ "$stderr" = "rso-collect: RSO-2026-000001: nothing held as study 1.2.826.0.1.3680043.8.498.1" ]
	run -64 rso-collect release RSO-2026-000001
}

@test "rso-collect: a bad follow-up interval in config.json is exit 78" {
	echo '{"followup":{"interval":"soon"}}' >"$RSO_HOME/config.json"
	run -78 --separate-stderr rso-collect due
	[ "$stderr" = "rso-collect: config.json: followup.interval: not a duration such as 3d" ]
	run -64 --separate-stderr rso-collect due --older soon
	[ "${stderr_lines[0]}" = "rso-collect: --older: not a duration such as 3d" ]
}

@test "rso-collect: a mistyped verb is exit 64 with the closest verb" {
	run -64 --separate-stderr rso-collect lss RSO-2026-000001
	[ "$stderr" = 'rso-collect: unknown verb "lss"; did you mean "ls"?
usage: rso-collect [-q] [-H home] verb [options] [case ...]
       rso-collect --help for the verbs' ]
	run -64 --separate-stderr rso-collect inbx in
	[ "${stderr_lines[0]}" = 'rso-collect: unknown verb "inbx"; did you mean "inbox"?' ]
	run -64 --separate-stderr rso-collect nonsense
	[ "${stderr_lines[0]}" = 'rso-collect: argument 1: not a verb (see --help)' ]
	# A word far from every verb is not repeated: it could be a name.
	run -64 --separate-stderr rso-collect "ZZPHI Person"
	[[ "$stderr" != *ZZPHI* ]]
}

@test "rso-collect: a verb's usage error shows that verb's usage" {
	run -64 --separate-stderr rso-collect inbox
	[ "$stderr" = "usage: rso-collect inbox [--settle s] dir" ]
	run -64 --separate-stderr rso-collect cat RSO-2026-000001
	[ "$stderr" = "usage: rso-collect cat [-i identity] case item" ]
	run -64 --separate-stderr rso-collect due extra
	[ "$stderr" = "usage: rso-collect due [--older 3d]" ]
	run -64 --separate-stderr rso-collect request RSO-2026-000001 --provider A
	[ "$stderr" = "rso-collect: request: --provider, --contact and --what are needed with a case operand
usage: rso-collect request case --provider name --contact method:value --what text
                   [--study date:modality[:description]]
       rso-collect request < requests.jsonl" ]
}

@test "rso-collect: complete from a terminal says it reads stdin; sent does too" {
	# Case 2 has no consent: the line is refused (65), after the note.
	run -65 bash -c "echo '{\"case\":\"RSO-2026-000002\"}' | script -qec 'rso-collect complete' /dev/null >tty.out"
	[ "$(grep -c 'from the terminal' tty.out)" = 1 ]
	grep -q '^rso-collect: reading JSON lines with "case" from the terminal; end with Ctrl-D' tty.out
	script -qec "rso-collect sent" /dev/null </dev/null >tty.out
	grep -q '^rso-collect: reading JSON lines from the terminal; end with Ctrl-D' tty.out
	run -0 --separate-stderr rso-collect sent </dev/null
	[ "$stderr" = "" ]
}

@test "rso-collect: the inbox bar has a total and never glues a JSON line" {
	inbox_case
	for i in 1 2 3; do echo "note $i" >"in/RSO-2026-000001-note$i.txt"; done
	# stdout and stderr on one terminal, as for a person running it by hand.
	script -qec "rso-collect inbox --settle 0 in" /dev/null </dev/null >tty.out
	grep -aq 'rso-collect: inbox \[\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\] 0/3' tty.out
	grep -aq 'rso-collect: inbox \[##############################\] 3/3' tty.out
	# Take away what was drawn and erased: every JSON line starts a line.
	sed 's/.*\x1b\[K//' tty.out | tr -d '\r' >screen.txt
	[ "$(grep -c '"case"' screen.txt)" = 3 ]
	[ "$(grep -c '^{"case"' screen.txt)" = 3 ]
	run -1 grep -a 'inbox' screen.txt
	# A diagnostic starts its own line too: entry 1, the bar just drawn.
	for i in 4 5 6; do echo "note $i" >"in/RSO-2026-000001-note$i.txt"; done
	echo "stray" >in/0-stray.txt
	run -65 script -qec "rso-collect inbox --settle 0 in" /dev/null </dev/null
	printf '%s\n' "$output" | sed 's/.*\x1b\[K//' | tr -d '\r' >screen.txt
	grep -q '0/4' <<<"$output"
	[ "$(grep -c '^{"case"' screen.txt)" = 3 ]
	[ "$(grep -c '^rso-collect: in: entry 1: names no patient' screen.txt)" = 1 ]
}
