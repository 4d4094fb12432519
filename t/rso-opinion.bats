#!/usr/bin/env bats
# rso-opinion: drafts, delivery, acknowledgement.
load lib

local_setup() {
	rso-case init -q
	rso-intake "$DATA/request.json" >/dev/null
}

@test "rso-opinion: draft lays out the case for the specialist" {
	run -0 rso-opinion draft RSO-2026-000001
	assert_line --index 0 "Second opinion: RSO-2026-000001"
	assert_line "Test Alpha, born 1961-03-01, female"
	assert_line "oncology / neuro-oncology"
	assert_line "1. Is watchful waiting still appropriate?"
	assert_line "(none filed)"
	run -0 rso-opinion draft -f markdown RSO-2026-000001
	assert_line --index 0 "# Second opinion: RSO-2026-000001"
	assert_line "## Questions"
	run -0 rso-opinion draft -f json RSO-2026-000001
	[ "$(jq -c '[.case, .questions, .dates.requested]' <<<"$output")" = '["RSO-2026-000001",["Is watchful waiting still appropriate?"],"2026-10-01T12:00:00Z"]' ]
}

@test "rso-opinion: bad operands and options are refused" {
	run -65 --separate-stderr rso-opinion draft RSO-2026-000009
	[ "$stderr" = "rso-opinion: RSO-2026-000009: no such case" ]
	run -64 --separate-stderr rso-opinion draft "Test Alpha"
	[ "$stderr" = "rso-opinion: argument 1: not a case id" ]
	run -64 --separate-stderr rso-opinion draft -f pdf RSO-2026-000001
	[ "${stderr_lines[0]}" = "rso-opinion: --format: not one of text, markdown, json" ]
	run -64 --separate-stderr rso-opinion deliver --to everyone RSO-2026-000001
	[ "${stderr_lines[0]}" = "rso-opinion: --to: not a list of patient, referrer" ]
	run -64 --separate-stderr rso-opinion due RSO-2026-000001
	run -64 --separate-stderr rso-opinion due --unread soon
	[ "${stderr_lines[0]}" = "rso-opinion: --unread: not a duration such as 3d" ]
	run -64 rso-opinion frob
	run -0 rso-opinion --help
	assert_output --partial "deliver"
}

@test "rso-opinion: deliver and ack refuse a case not yet reviewed" {
	run -65 --separate-stderr rso-opinion deliver RSO-2026-000001
	[ "$stderr" = "rso-opinion: argument 1: RSO-2026-000001: cannot deliver a case that is awaiting-consent" ]
	run -65 --separate-stderr rso-opinion ack --by patient RSO-2026-000001
	[ "$stderr" = "rso-opinion: argument 1: RSO-2026-000001: no opinion was delivered to the patient" ]
	run -64 --separate-stderr rso-opinion ack --by doctor RSO-2026-000001
	[ "$stderr" = "rso-opinion: --by: not patient or referrer
usage: rso-opinion ack --by patient|referrer [case ...]" ]
	run -64 --separate-stderr rso-opinion ack RSO-2026-000001
	[ "$stderr" = "rso-opinion: ack: --by is needed with a case operand
usage: rso-opinion ack --by patient|referrer [case ...]" ]
	# A line that does not say who read it is bad input.
	run -65 --separate-stderr rso-opinion ack <<<'{"case":"RSO-2026-000001","by":"doctor"}'
	[ "$stderr" = "rso-opinion: stdin:1: by: not patient or referrer" ]
	run -0 rso-opinion due --unread 3d
	assert_output ''
	run -64 --separate-stderr rso-opinion optout --by doctor RSO-2026-000001
	[ "$stderr" = "rso-opinion: --by: not patient or referrer
usage: rso-opinion optout --by patient|referrer [case ...]" ]
	run -65 --separate-stderr rso-opinion optout --by patient RSO-2026-000001
	[ "$stderr" = "rso-opinion: argument 1: RSO-2026-000001: no opinion was delivered to the patient" ]
	run -65 --separate-stderr rso-opinion reminded <<<'{"case":"RSO-2026-000001","kind":"unread-reminder"}
{"case":"RSO-2026-000099","kind":"unread-reminder","recipient":"patient"}'
	[ "$stderr" = "rso-opinion: stdin:1: missing field \"recipient\"
rso-opinion: stdin:2: RSO-2026-000099: no such case" ]
	echo '{"reminders":{"unread":{"after":["7d","3d"]}}}' >"$RSO_HOME/config.json"
	run -78 --separate-stderr rso-opinion due
	[ "$stderr" = 'rso-opinion: config.json: reminders.unread.after: not a list of growing durations such as ["3d", "7d"]' ]
	echo '{"reminders":{"unread":{"staff_after":"soon"}}}' >"$RSO_HOME/config.json"
	run -78 --separate-stderr rso-opinion due
	[ "$stderr" = 'rso-opinion: config.json: reminders.unread.staff_after: not a duration such as 21d' ]
}

# A case in review: key, roster, ready, assigned and accepted (no fee gate).
in_review() {
	rm -rf "$RSO_HOME"
	init_with_key
	cp "$DATA/config-panel.json" "$RSO_HOME/config.json"
	rso-assign roster "$DATA/roster.jsonl" >/dev/null
	ready_case 1
	rso-assign ${1:+--panel "$1"} RSO-2026-000001 >/dev/null
	for sp in $(rso-assign workload | jq -r 'select(.open > 0) | .specialist'); do
		rso-assign accept --by "$sp" RSO-2026-000001 >/dev/null
	done
	printf '# Opinion\n\nWatchful waiting remains appropriate.\n' >opinion.md
}

@test "rso-opinion: record stores the opinion encrypted, readable with age and tar" {
	in_review
	run -0 rso-opinion record --outcome diagnosis-changed --impact major --icd10 C71.9,Z85.3 --file opinion.md RSO-2026-000001
	[ "$(jq -c '[.role, .outcome, .media_type, .recorded]' <<<"$output")" = '["primary","diagnosis-changed","text/markdown",true]' ]
	run -0 rso-opinion record --outcome diagnosis-changed --impact major --icd10 C71.9,Z85.3 --file opinion.md RSO-2026-000001
	[ "$(jq .unchanged <<<"$output")" = true ]
	seg=$(ls "$RSO_HOME/archives/RSO-2026-000001" | grep -v '^\.' | tail -1)
	run -0 bash -c "age -d -i '$RSO_IDENTITY' '$RSO_HOME/archives/RSO-2026-000001/$seg' | bsdtar -xOf - opinion/primary.md"
	assert_output "$(cat opinion.md)"
	run -0 rso-case log RSO-2026-000001
	[ "$(jq -sc '[.[] | select(.type=="opinion.recorded")][0].data | [.outcome, .impact, .icd10]' <<<"$output")" = '["diagnosis-changed","major",["C71.9","Z85.3"]]' ]
}

@test "rso-opinion: record refuses bad outcomes, codes, files and states" {
	in_review
	run -64 --separate-stderr rso-opinion record --outcome maybe --file opinion.md RSO-2026-000001
	[ "${stderr_lines[0]}" = "rso-opinion: --outcome: not one of confirmed, diagnosis-changed, treatment-changed, more-tests" ]
	run -64 --separate-stderr rso-opinion record --outcome confirmed --icd10 C50.911,cancer --file opinion.md RSO-2026-000001
	[ "${stderr_lines[0]}" = "rso-opinion: --icd10: not a list of ICD-10-CM codes such as C50.911" ]
	run -64 --separate-stderr rso-opinion record --outcome confirmed --impact huge --file opinion.md RSO-2026-000001
	[ "${stderr_lines[0]}" = "rso-opinion: --impact: not one of none, minor, moderate, major" ]
	head -c 1000 /dev/urandom >blob.bin
	run -65 --separate-stderr rso-opinion record --outcome confirmed --file blob.bin RSO-2026-000001
	[ "$stderr" = "rso-opinion: --file: not text, Markdown or PDF" ]
	run -66 --separate-stderr rso-opinion record --outcome confirmed --file nosuch RSO-2026-000001
	[ "$stderr" = "rso-opinion: --file: No such file or directory" ]
	run -65 --separate-stderr rso-opinion record --outcome confirmed --role imaging --file opinion.md RSO-2026-000001
	[ "$stderr" = "rso-opinion: RSO-2026-000001: role imaging: no accepted assignment" ]
	ready_case 2
	run -65 --separate-stderr rso-opinion record --outcome confirmed --file opinion.md RSO-2026-000002
	[ "$stderr" = "rso-opinion: RSO-2026-000002: an opinion is recorded in review, and the case is ready" ]
}

@test "rso-opinion: a panel is delivered only when every role has recorded" {
	in_review imaging
	rso-opinion record --outcome confirmed --file opinion.md RSO-2026-000001 >/dev/null
	run -65 --separate-stderr rso-opinion deliver RSO-2026-000001
	[ "$stderr" = "rso-opinion: argument 1: RSO-2026-000001: no opinion recorded yet for imaging" ]
	printf 'No new findings on imaging.\n' >imaging.txt
	rso-opinion record --outcome confirmed --role imaging --file imaging.txt RSO-2026-000001 >/dev/null
	run -0 rso-opinion deliver RSO-2026-000001
	[ "$(jq -sc '[.[] | [.kind, .recipient, .to]]' <<<"$output")" = '[["opinion-delivered","patient","alpha@example.org"],["opinion-delivered","referrer","beta@clinic.example"]]' ]
	run -0 rso-assign workload
	[ "$(jq -sc '[.[] | select(.done > 0) | .specialist]' <<<"$output")" = '["sp-okafor","sp-rad"]' ]
}

@test "rso-opinion: a patient who asked for themself has no referrer to deliver to or remind" {
	rm -rf "$RSO_HOME"
	init_with_key
	cp "$DATA/config-panel.json" "$RSO_HOME/config.json"
	rso-assign roster "$DATA/roster.jsonl" >/dev/null
	ready_case 1 '.requester = {"kind":"patient"}'
	rso-assign RSO-2026-000001 >/dev/null
	rso-assign accept RSO-2026-000001 >/dev/null
	printf '# Opinion\n\nSynthetic.\n' >opinion.md
	rso-opinion record --outcome confirmed --file opinion.md RSO-2026-000001 >/dev/null
	run -0 rso-opinion deliver RSO-2026-000001
	[ "$(jq -sc '[.[] | .recipient]' <<<"$output")" = '["patient"]' ]
	# Every reminder has an address, so the nightly pipe to rso-mail holds.
	RSO_NOW=2026-10-14T12:00:00Z run -0 rso-opinion due --unread 3d
	[ "$(jq -sc '[.[] | [.recipient, .to]]' <<<"$output")" = '[["patient","alpha@example.org"]]' ]
	run -65 --separate-stderr rso-opinion ack --by referrer RSO-2026-000001
	[ "$stderr" = "rso-opinion: argument 1: RSO-2026-000001: no opinion was delivered to the referrer" ]
}

@test "rso-opinion: deliver | rso-mail, then ack, unread reminders and a survey" {
	in_review
	rso-opinion record --outcome confirmed --file opinion.md RSO-2026-000001 >/dev/null
	mkdir outbox
	printf '#!/bin/sh\ncat >"outbox/$$.eml"\n' >sendmail
	chmod +x sendmail
	RSO_NOW=2026-10-10T12:00:00Z run -0 bash -c 'rso-opinion deliver --to patient RSO-2026-000001 | SENDMAIL=./sendmail rso-mail'
	[ "$(jq -r .mailed_to <<<"$output")" = alpha@example.org ]
	grep -q '^Subject: Your second opinion RSO-2026-000001 is ready$' outbox/*.eml
	run -0 --separate-stderr rso-opinion deliver RSO-2026-000001
	assert_output ''
	[ "$stderr" = "rso-opinion: RSO-2026-000001: already delivered" ]
	RSO_NOW=2026-10-12T12:00:00Z run -0 rso-opinion due --unread 3d
	assert_output ''
	RSO_NOW=2026-10-14T12:00:00Z run -0 rso-opinion due --unread 3d
	[ "$(jq -c '[.kind, .recipient, .to, .days]' <<<"$output")" = '["unread-reminder","patient","alpha@example.org",4]' ]
	run -0 rso-opinion ack --by patient RSO-2026-000001
	assert_output '{"case":"RSO-2026-000001","acknowledged_by":"patient"}'
	run -0 rso-opinion ack --by patient RSO-2026-000001
	assert_output '{"case":"RSO-2026-000001","acknowledged_by":"patient","unchanged":true}'
	RSO_NOW=2026-10-14T12:00:00Z run -0 rso-opinion due --unread 3d
	assert_output ''
	run -0 rso-case survey --score 10 --comment "clear and quick" RSO-2026-000001
	assert_output '{"case":"RSO-2026-000001","score":10}'
	run -0 rso-case verify
}

@test "rso-opinion: the video follow-up is recorded with delivery" {
	in_review
	rso-opinion record --outcome more-tests --file opinion.md RSO-2026-000001 >/dev/null
	run -0 rso-opinion deliver --video 2026-10-20T15:00:00Z RSO-2026-000001
	run -0 rso-case log RSO-2026-000001
	[ "$(jq -sc '[.[] | select(.type=="video.scheduled")][0].data' <<<"$output")" = '{"at":"2026-10-20T15:00:00Z"}' ]
	run -64 --separate-stderr rso-opinion deliver --video tomorrow RSO-2026-000001
	[ "${stderr_lines[0]}" = "rso-opinion: --video: not an RFC 3339 time" ]
}

@test "rso-opinion: an unknown verb is a usage error, store or not" {
	run -64 --separate-stderr rso-opinion -H "$BATS_TEST_TMPDIR/none" frob
	[ "${stderr_lines[0]}" = "rso-opinion: argument 1: not a verb (see --help)" ]
}

@test "rso-opinion: a mistyped verb is exit 64 with the closest verb" {
	run -64 --separate-stderr rso-opinion drat RSO-2026-000001
	[ "$stderr" = 'rso-opinion: unknown verb "drat"; did you mean "draft"?
usage: rso-opinion [-q] [-H home] verb [options] [case ...]
       rso-opinion --help for the verbs' ]
	# Recognised before its options are parsed.
	run -64 --separate-stderr rso-opinion delvier --bogus
	[ "${stderr_lines[0]}" = 'rso-opinion: unknown verb "delvier"; did you mean "deliver"?' ]
	run -64 --separate-stderr rso-opinion draft
	[ "$stderr" = "usage: rso-opinion draft [-f text|markdown|json] case" ]
	run -64 --separate-stderr rso-opinion record
	[ "$stderr" = "usage: rso-opinion record --outcome o --file f [--icd10 code,...] [--impact i]
                   [--role r] case" ]
}
