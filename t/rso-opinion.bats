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
	run -64 --separate-stderr rso-opinion due
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
	run -65 --separate-stderr rso-opinion ack --by doctor RSO-2026-000001
	[ "$stderr" = "rso-opinion: argument 1: by: not patient or referrer" ]
	run -0 rso-opinion due --unread 3d
	assert_output ''
}
