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
rso-collect: stdin:3: contact.pigeon: missing
rso-collect: stdin:4: contact.fax: missing
rso-collect: stdin:5: what: missing
rso-collect: stdin:6: studies: not a list' ]
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
	[ "$(jq -sc '[.[] | [.missing, .provider, .study.date, .study.modality]]' <<<"$output")" = '[["request","Test Imaging",null,null],["study","Test Imaging","20260914","MR"]]' ]
	run -0 rso-collect missing -f text RSO-2026-000001
	assert_line --index 0 --regexp '^REQ-[0-9A-Z]{6}  Test Imaging +asked 2026-10-01 \(1 attempt\): MRI brain$'
	run -65 --separate-stderr rso-collect missing RSO-2026-000077
	[ "$stderr" = "rso-collect: RSO-2026-000077: no such case" ]
}

@test "rso-collect: complete needs consent and a filed record" {
	run -65 --separate-stderr rso-collect complete RSO-2026-000001
	[ "$stderr" = "rso-collect: argument 1: RSO-2026-000001: no records filed yet" ]
	run -65 --separate-stderr rso-collect complete RSO-2026-000002
	[ "$stderr" = "rso-collect: argument 1: RSO-2026-000002: cannot complete a case that is awaiting-consent" ]
}
