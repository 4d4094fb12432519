#!/usr/bin/env bats
# rso-assign: roster, matching with reasons, assignment, panels, reminders.
load lib

local_setup() {
	init_with_key
	cp "$DATA/config-panel.json" "$RSO_HOME/config.json"
	rso-assign roster "$DATA/roster.jsonl" >/dev/null
}

@test "rso-assign: roster imports, lists, and re-imports without change" {
	run -0 rso-assign roster "$DATA/roster.jsonl"
	[ "$(jq -sc '[.[] | .unchanged]' <<<"$output")" = '[true,true,true,true]' ]
	run -0 rso-assign roster -f text
	assert_line --index 0 --regexp '^ID +NAME +SPECIALTY +CAP +LICENSED +SUBSPECIALTIES$'
	assert_line --index 3 --regexp '^sp-okafor +Dr Test Okafor +oncology +3  US-TX,US-CA +neuro-oncology$'
	run -0 rso-assign roster
	[ "$(jq -r .id <<<"$output" | paste -sd,)" = "sp-away,sp-lind,sp-okafor,sp-rad" ]
}

@test "rso-assign: roster refuses bad lines with the field named" {
	while IFS='|' read -r line message; do
		run -65 --separate-stderr rso-assign roster - <<<"$line"
		if [ "$stderr" != "rso-assign: stdin:1: $message" ]; then
			echo "line: $line"; echo "got: $stderr"; return 1
		fi
	done <<'TABLE'
{"name":"X","specialty":"oncology","jurisdictions":["US"],"capacity":1}|id: missing
{"id":"Bad Id","name":"X","specialty":"oncology","jurisdictions":["US"],"capacity":1}|id: not lowercase letters, digits, '.', '_' or '-'
{"id":"x","specialty":"oncology","jurisdictions":["US"],"capacity":1}|name: missing
{"id":"x","name":"X","specialty":"astrology","jurisdictions":["US"],"capacity":1}|specialty: unknown (see "specialties" in config.json)
{"id":"x","name":"X","specialty":"oncology","capacity":1}|jurisdictions: missing
{"id":"x","name":"X","specialty":"oncology","jurisdictions":["Texas"],"capacity":1}|jurisdictions.0: not valid
{"id":"x","name":"X","specialty":"oncology","jurisdictions":["US"]}|capacity: missing
{"id":"x","name":"X","specialty":"oncology","jurisdictions":["US"],"capacity":-1}|capacity: not a whole number from 0 to 10000
{"id":"x","name":"X","email":"nope","specialty":"oncology","jurisdictions":["US"],"capacity":1}|email: not an email address
{"id":"x","name":"X","specialty":"oncology","jurisdictions":["US"],"capacity":1,"away_until":"soon"}|away_until: not a date or RFC 3339 time
TABLE
}

@test "rso-assign: roster --csv imports what Python's csv module writes" {
	python3 - >"$BATS_TEST_TMPDIR/roster.csv" <<'PY'
import csv, sys
w = csv.writer(sys.stdout)
w.writerow(["id", "name", "email", "specialty", "subspecialties",
            "jurisdictions", "languages", "capacity", "payout", "active"])
w.writerow(["sp-csv", "Dr Test Comma, Jr", "csv@hospital.example", "oncology",
            "breast|neuro-oncology", "US-TX|US-CA", "en", "4", "450.00", "true"])
w.writerow(["sp-off", "Dr Test Off", "", "oncology", "", "US", "", "0", "",
            "false"])
PY
	run -0 rso-assign roster --csv "$BATS_TEST_TMPDIR/roster.csv"
	[ "$(jq -sc '[.[] | [.specialist, .updated]]' <<<"$output")" = '[["sp-csv",true],["sp-off",true]]' ]
	run -0 rso-assign roster
	[ "$(jq -c 'select(.id == "sp-csv") | [.name, .subspecialties, .jurisdictions, .capacity, .payout, .active]' <<<"$output")" = '["Dr Test Comma, Jr",["breast","neuro-oncology"],["US-TX","US-CA"],4,"450.00",true]' ]
	[ "$(jq -c 'select(.id == "sp-off") | [.capacity, .active]' <<<"$output")" = '[0,false]' ]
	run -0 rso-assign roster --csv "$BATS_TEST_TMPDIR/roster.csv"
	[ "$(jq -sc '[.[] | .unchanged]' <<<"$output")" = '[true,true]' ]
}

@test "rso-assign: roster --csv refuses bad records by line and keeps the good" {
	printf 'id,name,specialty,jurisdictions,capacity,active\r\nsp-a,Dr Test A,oncology,US,many,true\r\nsp-b,Dr Test B,oncology,US,2,yes\r\nsp-c,Dr Test C,oncology,US,2,true\r\n' >"$BATS_TEST_TMPDIR/r.csv"
	run -65 --separate-stderr rso-assign roster --csv "$BATS_TEST_TMPDIR/r.csv"
	[ "${stderr_lines[0]}" = "rso-assign: $BATS_TEST_TMPDIR/r.csv:2: capacity: not a whole number from 0 to 10000" ]
	[ "${stderr_lines[1]}" = "rso-assign: $BATS_TEST_TMPDIR/r.csv:3: active: not true or false" ]
	[ "$output" = '{"specialist":"sp-c","updated":true}' ]
	run -65 --separate-stderr rso-assign roster --csv - <<<'id,id'
	[ "$stderr" = "rso-assign: stdin:1: header: column 2: repeats column 1" ]
	run -66 --separate-stderr rso-assign roster --csv "$BATS_TEST_TMPDIR/none.csv"
	[ "$stderr" = "rso-assign: $BATS_TEST_TMPDIR/none.csv: No such file or directory" ]
	run -64 --separate-stderr rso-assign match --csv "$BATS_TEST_TMPDIR/r.csv"
	[ "${stderr_lines[0]}" = "rso-assign: --csv: only for roster, without files" ]
}

@test "rso-assign: match ranks candidates and says why" {
	ready_case 1
	run -0 rso-assign match RSO-2026-000001
	[ "$(jq -sc '[.[] | [.specialist, .eligible, .score]]' <<<"$output")" = '[["sp-okafor",true,80],["sp-lind",true,40],["sp-away",false,80]]' ]
	[ "$(jq -sc '.[0].reasons' <<<"$output")" = '["specialty oncology","subspecialty neuro-oncology","licensed in US-TX","load 0 of 3","speaks en"]' ]
	[ "$(jq -sc '.[2].reasons[0]' <<<"$output")" = '"away until 2026-12-01"' ]
}

@test "rso-assign: ready | assign | show, and a re-run changes nothing" {
	ready_case 1
	run -0 bash -c 'rso-assign --ready | rso-assign | rso-case show'
	[ "$(jq -r .status <<<"$output")" = assigned ]
	run -0 rso-assign RSO-2026-000001
	assert_output '{"case":"RSO-2026-000001","status":"assigned","assignments":[{"role":"primary","specialist":"sp-okafor"}],"existing":true}'
	run -0 rso-assign --ready
	assert_output ''
}

@test "rso-assign: --ready over 100,000 ready cases sorts them on disk, memory flat (under 16 MiB)" {
	# Ready cases created out of id order.  Before, the sort by creation
	# stayed in memory: 17 MB here.
	many_cases 1 100000 ready
	/usr/bin/time -f 'maxrss %M' -o rss.txt rso-assign --ready >ready.jsonl
	[ "$(wc -l <ready.jsonl)" -eq 100000 ]
	# Oldest first: the created times never go back.
	jq -r .created ready.jsonl | sort -c
	[ "$(head -1 ready.jsonl | jq -r .created)" = 2024-11-01T00:00:00Z ]
	rss=$(sed -n 's/^maxrss //p' rss.txt)
	echo "# peak RSS ${rss} KiB" >&3
	grep -q __asan_init "$(command -v rso-assign)" || [ "$rss" -lt 16384 ]
}

@test "rso-assign: a patient where nobody is licensed is refused with the reason" {
	ready_case 1 '.patient.country="AE" | del(.patient.region)'
	run -65 --separate-stderr rso-assign RSO-2026-000001
	[ "$stderr" = "rso-assign: argument 1: RSO-2026-000001: nobody can take role primary: 3 not licensed in AE" ]
	run -0 rso-case show RSO-2026-000001
	[ "$(jq -r .status <<<"$output")" = ready ]
}

@test "rso-assign: a named local physician makes an unlicensed match possible" {
	ready_case 1 '.patient.country="AE" | del(.patient.region) | .local_physician={"name":"Dr Test Local","email":"local@clinic.example"}'
	run -0 rso-assign RSO-2026-000001
	[ "$(jq -r '.assignments[0].specialist' <<<"$output")" = sp-okafor ]
	run -0 rso-case log RSO-2026-000001
	[ "$(jq -sr '[.[] | select(.type=="case.assigned")][0].data.reasons[2]' <<<"$output")" = "not licensed in AE; local physician named" ]
}

@test "rso-assign: capacity is respected unless forced, and force is recorded" {
	ready_case 1
	ready_case 2
	rso-assign --to sp-lind RSO-2026-000001 >/dev/null
	run -65 --separate-stderr rso-assign --to sp-lind RSO-2026-000002
	[ "$stderr" = "rso-assign: argument 1: RSO-2026-000002: sp-lind cannot take it: at capacity (1 of 1) (--force to override)" ]
	run -0 rso-assign --to sp-lind --force RSO-2026-000002
	[ "$(jq -r '.assignments[0].specialist' <<<"$output")" = sp-lind ]
	run -0 rso-case log RSO-2026-000002
	[ "$(jq -sr '[.[] | select(.type=="case.assigned")][0].data.forced' <<<"$output")" = true ]
	ready_case 3
	run -65 --separate-stderr rso-assign --to sp-nobody RSO-2026-000003
	[ "$stderr" = "rso-assign: argument 1: RSO-2026-000003: sp-nobody: no such oncology specialist on the roster" ]
}

@test "rso-assign: decline sends the case back to ready and the decliner is not matched again" {
	ready_case 1
	rso-assign RSO-2026-000001 >/dev/null
	# A case operand has no line to carry a reason: -r is a must (64).
	run -64 --separate-stderr rso-assign decline RSO-2026-000001
	[ "$stderr" = "rso-assign: decline: -r reason is needed with a case operand
usage: rso-assign decline -r reason [--by id] case ..." ]
	run -65 --separate-stderr rso-assign decline <<<'{"case":"RSO-2026-000001"}'
	[ "$stderr" = "rso-assign: stdin:1: reason: missing" ]
	run -0 rso-assign decline -r "conflict of interest" RSO-2026-000001
	assert_output '{"case":"RSO-2026-000001","status":"ready","specialist":"sp-okafor"}'
	run -0 rso-assign RSO-2026-000001
	[ "$(jq -r '.assignments[0].specialist' <<<"$output")" = sp-lind ]
	# A reason that is not UTF-8 would leave the event with nothing in it.
	run -64 --separate-stderr rso-assign decline -r $'conflit d\xe9clar\xe9' RSO-2026-000001
	[ "$stderr" = "rso-assign: --reason: not UTF-8 text" ]
	run -0 rso-assign match RSO-2026-000001
	[ "$(jq -sr '[.[] | select(.specialist=="sp-okafor")][0].reasons[0]' <<<"$output")" = "declined this case" ]
}

@test "rso-assign: accept starts the review only when the fee gate allows" {
	ready_case 1
	rso-assign RSO-2026-000001 >/dev/null
	echo '{"fee_gate":"before-review"}' >"$RSO_HOME/config.json"
	run -77 --separate-stderr rso-assign accept RSO-2026-000001
	[ "$stderr" = "rso-assign: argument 1: RSO-2026-000001: fee not paid (fee_gate is before-review)" ]
	echo '{"fee_gate":"none"}' >"$RSO_HOME/config.json"
	run -0 rso-assign accept RSO-2026-000001
	assert_output '{"case":"RSO-2026-000001","status":"in-review","specialist":"sp-okafor"}'
	run -0 rso-assign accept RSO-2026-000001
	assert_output '{"case":"RSO-2026-000001","status":"in-review","specialist":"sp-okafor","unchanged":true}'
	run -65 --separate-stderr rso-assign decline -r late RSO-2026-000001
	[ "$stderr" = "rso-assign: argument 1: RSO-2026-000001: no assignment waits for an answer (an accepted review cannot be declined)" ]
}

@test "rso-assign: a panel assigns each role" {
	ready_case 1
	run -0 rso-assign --panel imaging RSO-2026-000001
	[ "$(jq -c .assignments <<<"$output")" = '[{"role":"primary","specialist":"sp-okafor"},{"role":"imaging","specialist":"sp-rad"}]' ]
	run -65 --separate-stderr rso-assign accept RSO-2026-000001
	[ "$stderr" = "rso-assign: argument 1: RSO-2026-000001: 2 assignments wait; name the specialist with --by" ]
	run -0 rso-assign accept --by sp-rad RSO-2026-000001
	[ "$(jq -r .status <<<"$output")" = in-review ]
	run -0 rso-assign accept --by sp-okafor RSO-2026-000001
	run -65 --separate-stderr rso-assign --panel pathology RSO-2026-000001
	[ "$stderr" = "rso-assign: argument 1: RSO-2026-000001: no pathology specialist on the roster" ]
}

@test "rso-assign: due reminds before the two-week promise and flags it overdue after" {
	ready_case 1
	rso-assign RSO-2026-000001 >/dev/null
	# ready at 2026-10-01T12:00Z: due 2026-10-15T12:00Z.
	RSO_NOW=2026-10-12T12:00:00Z run -0 rso-assign due --within 2d
	assert_output ''
	# ready + 13 days:
	RSO_NOW=2026-10-14T12:00:00Z run -0 rso-assign due --within 2d
	[ "$(jq -c '[.kind, .specialist, .email, .due, .days_left]' <<<"$output")" = '["review-due","sp-okafor","okafor@hospital.example","2026-10-15T12:00:00Z",1]' ]
	# ready + 15 days:
	RSO_NOW=2026-10-16T12:00:00Z run -0 rso-assign due
	[ "$(jq -c '[.kind, .days_left]' <<<"$output")" = '["review-overdue",-1]' ]
	RSO_NOW=2026-10-16T12:00:00Z run -0 rso-assign due -f text
	assert_line --index 1 --regexp '^RSO-2026-000001  primary +sp-okafor +2026-10-15 +-1  review-overdue$'
}

@test "rso-assign: time on hold does not count against the promise" {
	ready_case 1
	rso-assign RSO-2026-000001 >/dev/null
	RSO_NOW=2026-10-05T12:00:00Z rso-case hold RSO-2026-000001 >/dev/null
	RSO_NOW=2026-10-08T12:00:00Z rso-case resume RSO-2026-000001 >/dev/null
	RSO_NOW=2026-10-16T12:00:00Z run -0 rso-assign due --within 3d
	[ "$(jq -c '[.kind, .due]' <<<"$output")" = '["review-due","2026-10-18T12:00:00Z"]' ]
}

@test "rso-assign: workload per specialist" {
	ready_case 1
	ready_case 2
	rso-assign RSO-2026-000001 RSO-2026-000002 >/dev/null
	run -0 rso-assign workload
	[ "$(jq -sc '[.[] | [.specialist, .open, .capacity]]' <<<"$output")" = '[["sp-away",0,5],["sp-lind",0,1],["sp-okafor",2,3],["sp-rad",0,4]]' ]
	run -0 rso-assign workload -f text
	assert_line --index 0 --regexp '^SPECIALIST +OPEN/CAP +NEXT DUE +OVERDUE +DONE +IN SLA$'
}

@test "rso-assign: usage errors" {
	run -64 --separate-stderr rso-assign due --within soon
	[ "$stderr" = "rso-assign: --within: not a duration such as 2d
usage: rso-assign due [--within 2d] [-f json|text]" ]
	run -65 --separate-stderr rso-assign "Test Alpha"
	[ "$stderr" = "rso-assign: argument 1: not a case id" ]
	run -0 rso-assign --help
	assert_output --partial "usage: rso-assign"
}

@test "rso-assign: a mistyped verb is exit 64 with the closest verb; cases stay cases" {
	run -64 --separate-stderr rso-assign rostr
	[ "${stderr_lines[0]}" = 'rso-assign: unknown verb "rostr"; did you mean "roster"?' ]
	[ "${stderr_lines[1]}" = "usage: rso-assign [-q] [-H home] [--to id [--role r]] [--force] [--panel role,...] [case ...]" ]
	# The verb is found after the options too.
	run -64 --separate-stderr rso-assign -f text workloda
	[ "${stderr_lines[0]}" = 'rso-assign: unknown verb "workloda"; did you mean "workload"?' ]
	run -0 rso-assign -f text workload
	assert_line --index 0 --regexp '^SPECIALIST +OPEN/CAP'
	run -0 rso-assign -q roster
	[ "$(jq -r .id <<<"$output" | paste -sd,)" = "sp-away,sp-lind,sp-okafor,sp-rad" ]
	# A case id, or a word that is no typo of a verb, is a case for assign.
	run -65 --separate-stderr rso-assign RSO-2026-000009
	[ "$stderr" = "rso-assign: argument 1: RSO-2026-000009: no such case" ]
	run -65 --separate-stderr rso-assign "Test Alpha"
	[ "$stderr" = "rso-assign: argument 1: not a case id" ]
	# After --, a word is an operand whatever it spells.
	run -65 --separate-stderr rso-assign -- rostr
	[ "$stderr" = "rso-assign: argument 1: not a case id" ]
}

@test "rso-assign: assign from a terminal says it reads stdin" {
	script -qec "rso-assign" /dev/null </dev/null >tty.out
	grep -q '^rso-assign: reading JSON lines with "case" from the terminal; end with Ctrl-D' tty.out
	run -0 --separate-stderr rso-assign </dev/null
	[ "$stderr" = "" ]
}
