#!/usr/bin/env bats
# rso-intake: requests become cases; each bad input with its exact diagnostic.
load lib

local_setup() {
	rso-case init -q
}

# One valid request line, with members overridden by jq expressions.
req() {
	jq -c "${1:-.}" "$DATA/request.json"
}

@test "rso-intake: a request becomes a case awaiting consent" {
	run -0 --separate-stderr rso-intake "$DATA/request.json"
	assert_output '{"case":"RSO-2026-000001","ref":"t-0001","status":"awaiting-consent"}'
	[ -z "$stderr" ]
	run -0 rso-case show RSO-2026-000001
	[ "$(jq -r .request.patient.name <<<"$output")" = "Test Alpha" ]
}

@test "rso-intake: the same ref again changes nothing and says existing" {
	rso-intake "$DATA/request.json" >/dev/null
	run -0 rso-intake "$DATA/request.json"
	assert_output '{"case":"RSO-2026-000001","ref":"t-0001","status":"awaiting-consent","existing":true}'
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*) from cases; select count(*) from events"
	assert_output $'1\n1'
}

@test "rso-intake: an answer gives back a ref of quotes, backslashes and letters beyond ASCII" {
	req '.ref="t \"q\" \\ é ✓/"' >in.jsonl
	run -0 rso-intake in.jsonl
	assert_output '{"case":"RSO-2026-000001","ref":"t \"q\" \\ é ✓/","status":"awaiting-consent"}'
	run -0 rso-intake in.jsonl
	[ "$(jq -r .ref <<<"$output")" = 't "q" \ é ✓/' ]
	[ "$(jq -r .existing <<<"$output")" = true ]
}

@test "rso-intake: the same ref with other content is rejected" {
	rso-intake "$DATA/request.json" >/dev/null
	run -65 --separate-stderr rso-intake < <(req '.patient.email="other@example.org"')
	[ "$stderr" = 'rso-intake: stdin:1: ref: already used by RSO-2026-000001 with different content (add "amend": true to change it)' ]
	[ -z "$output" ]
}

@test "rso-intake: an amended line records the change as an event" {
	rso-intake "$DATA/request.json" >/dev/null
	run -0 rso-intake < <(req '.patient.email="other@example.org" | .amend=true')
	assert_output '{"case":"RSO-2026-000001","ref":"t-0001","status":"awaiting-consent","amended":true}'
	run -0 rso-case log RSO-2026-000001
	[ "$(jq -sc '[.[].type]' <<<"$output")" = '["case.created","case.amended"]' ]
	[ "$(jq -sc '.[1].data.changed' <<<"$output")" = '["patient.email"]' ]
	run -0 rso-case show RSO-2026-000001
	[ "$(jq -r .request.patient.email <<<"$output")" = "other@example.org" ]
}

# Each bad field: the jq change, then the exact message after "stdin:1: ".
@test "rso-intake: each invalid field is named with the documented message" {
	while IFS='|' read -r change message; do
		run -65 --separate-stderr rso-intake < <(req "$change")
		if [ "$stderr" != "rso-intake: stdin:1: $message" ]; then
			echo "change: $change"; echo "got: $stderr"; return 1
		fi
		[ -z "$output" ]
	done <<'TABLE'
del(.ref)|ref: missing
.ref=""|ref: empty
.ref=12|ref: not a string
.ref="a\u0001b"|ref: control character
del(.patient.name)|patient.name: missing
.patient="x"|patient: not an object
.patient.birth_date="1961-13-01"|patient.birth_date: not a date (YYYY-MM-DD)
.patient.birth_date="1961-02-29"|patient.birth_date: not a date (YYYY-MM-DD)
.patient.birth_date="2030-01-01"|patient.birth_date: in the future
del(.patient.birth_date)|patient.birth_date: missing
.specialty="astrology"|specialty: unknown (see "specialties" in config.json)
del(.specialty)|specialty: missing
del(.questions)|questions: missing
.questions=[]|questions: empty
.questions="why?"|questions: not a list
.questions=["ok",""]|questions.1: not a question
.patient.email="not-an-email"|patient.email: not an email address
.patient.sex="x"|patient.sex: not one of female, male, other, unknown
.patient.country="usa"|patient.country: not an ISO 3166 alpha-2 code
.requester.npi="1234567890"|requester.npi: not a valid NPI
.requester.kind="robot"|requester.kind: not one of patient, provider
.requester.email="a@b"|requester.email: not an email address
.urgency="asap"|urgency: not one of routine, urgent
.received="yesterday"|received: not an RFC 3339 time
.amend="yes"|amend: not true or false
TABLE
}

@test "rso-intake: bad lines are reported and skipped, good lines still go through" {
	{
		req '.ref="t-1"'
		printf '{"ref": "t-2", broken\n'
		printf '\xff\xfe\n'
		printf '[1,2]\n'
		req '.ref="t-3" | del(.questions)'
		printf '\n'
		req '.ref="t-4"'
	} >in.jsonl
	run -65 --separate-stderr rso-intake in.jsonl
	assert_output $'{"case":"RSO-2026-000001","ref":"t-1","status":"awaiting-consent"}\n{"case":"RSO-2026-000002","ref":"t-4","status":"awaiting-consent"}'
	[ "$stderr" = "rso-intake: in.jsonl:2: invalid JSON at column 21
rso-intake: in.jsonl:3: invalid UTF-8
rso-intake: in.jsonl:4: not a JSON object
rso-intake: in.jsonl:5: questions: missing" ]
}

@test "rso-intake: a request refused half-written is undone alone, its batch kept" {
	for i in 1 2 3; do req ".ref=\"t-$i\""; done >in.jsonl
	# Refused at its last write, the event: its case row, id and search
	# keys are written by then, and must go with it.
	sqlite3 "$RSO_HOME/rso.db" "create trigger refuse_t2 before insert on events when new.data like '%\"ref\":\"t-2\"%' begin select raise(abort, 'refused for the test'); end"
	run -65 --separate-stderr rso-intake in.jsonl
	assert_output $'{"case":"RSO-2026-000001","ref":"t-1","status":"awaiting-consent"}\n{"case":"RSO-2026-000002","ref":"t-3","status":"awaiting-consent"}'
	[ "$stderr" = "rso-intake: in.jsonl:2: db: refused for the test" ]
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from cases; select count(*) from case_keys where key = 't-2'")" = $'2\n0' ]
	sqlite3 "$RSO_HOME/rso.db" "drop trigger refuse_t2"
	run -0 rso-case verify
	run -0 rso-intake in.jsonl
	assert_line --index 1 '{"case":"RSO-2026-000003","ref":"t-2","status":"awaiting-consent"}'
}

@test "rso-intake: a batch taken again after a half-written refusal answers each line once, in order" {
	{
		req '.ref="t-1"'
		req '.ref="t-1"'
		printf '[1,2]\n'
		req '.ref="t-1" | .patient.email="new@example.org" | .amend=true'
		req '.ref="t-2"'
		req '.ref="t-3"'
		req '.ref="t-2"'
		req '.ref="t-4"'
	} >in.jsonl
	# t-2 and t-3 are refused at their event: the batch is undone and
	# taken again, t-1's three lines with it, each under a savepoint.
	sqlite3 "$RSO_HOME/rso.db" "create trigger refuse before insert on events when new.data like '%\"ref\":\"t-2\"%' or new.data like '%\"ref\":\"t-3\"%' begin select raise(abort, 'refused for the test'); end"
	run -65 --separate-stderr rso-intake in.jsonl
	assert_output $'{"case":"RSO-2026-000001","ref":"t-1","status":"awaiting-consent"}\n{"case":"RSO-2026-000001","ref":"t-1","status":"awaiting-consent","existing":true}\n{"case":"RSO-2026-000001","ref":"t-1","status":"awaiting-consent","amended":true}\n{"case":"RSO-2026-000002","ref":"t-4","status":"awaiting-consent"}'
	[ "$stderr" = "rso-intake: in.jsonl:3: not a JSON object
rso-intake: in.jsonl:5: db: refused for the test
rso-intake: in.jsonl:6: db: refused for the test
rso-intake: in.jsonl:7: db: refused for the test" ]
	run -0 sqlite3 "$RSO_HOME/rso.db" "select type, case_id from events order by seq; select last from case_counters"
	assert_output $'case.created|RSO-2026-000001\ncase.amended|RSO-2026-000001\ncase.created|RSO-2026-000002\n2'
	sqlite3 "$RSO_HOME/rso.db" "drop trigger refuse"
	run -0 rso-case verify
}

@test "rso-intake: a request that came alone is answered at once, the store not held for the next" {
	mkfifo in
	rso-intake <in >out 2>err &
	exec 5>in
	req '.ref="t-1"' >&5
	# Answered while the writer still holds the pipe open.
	for i in $(seq 100); do [ -s out ] && break; sleep 0.1; done
	[ "$(jq -r .case out)" = RSO-2026-000001 ]
	# Another writer is not kept waiting for the next line.
	RSO_BUSY_TIMEOUT_MS=2000 run -0 rso-intake < <(req '.ref="t-2"')
	assert_output '{"case":"RSO-2026-000002","ref":"t-2","status":"awaiting-consent"}'
	req '.ref="t-3"' >&5
	exec 5>&-
	wait $!
	[ "$(jq -r .case out | tail -1)" = RSO-2026-000003 ]
	[ ! -s err ]
}

@test "rso-intake: a line over 1 MiB is an error for that line only" {
	{
		python3 -c 'print("{\"ref\":\"" + "x" * (1 << 20) + "\"}")'
		req
	} >big.jsonl
	run -65 --separate-stderr rso-intake big.jsonl
	[ "$stderr" = "rso-intake: big.jsonl:1: line longer than 1048576 bytes" ]
	assert_output '{"case":"RSO-2026-000001","ref":"t-0001","status":"awaiting-consent"}'
}

@test "rso-intake: a missing file is exit 66 and the other files still go" {
	run -66 --separate-stderr rso-intake nosuch.jsonl "$DATA/request.json"
	[ "$stderr" = "rso-intake: nosuch.jsonl: No such file or directory" ]
	assert_output --partial '"case":"RSO-2026-000001"'
}

@test "rso-intake: no patient data appears in any diagnostic" {
	req '.patient.name="ZZPHI Person" | .patient.birth_date="ZZPHI" | .patient.email="ZZPHI"' >bad.jsonl
	printf '{"ref":"ZZPHI", "patient": {"name": "ZZPHI"}, ZZPHI}\n' >>bad.jsonl
	run -65 --separate-stderr rso-intake bad.jsonl
	refute [ -z "$stderr" ]
	[[ "$stderr" != *ZZPHI* ]]
}

@test "rso-intake: consent moves a case to collecting" {
	rso-intake "$DATA/request.json" >/dev/null
	run -0 rso-intake consent RSO-2026-000001 --providers "Mercy Test Hospital,City Test Imaging" --expires 2027-06-30 --signed-by patient --signed 2026-09-30
	assert_output '{"case":"RSO-2026-000001","status":"collecting"}'
	run -0 rso-case show RSO-2026-000001
	[ "$(jq -c .consent <<<"$output")" = '{"providers":["Mercy Test Hospital","City Test Imaging"],"expires":"2027-07-01T00:00:00Z","signed_by":"patient","signed":"2026-09-30T00:00:00Z","recorded":"2026-10-01T12:00:00Z"}' ]
}

@test "rso-intake: a consent line records consent, and --provider keeps commas" {
	rso-intake "$DATA/request.json" >/dev/null
	run -0 rso-intake <<<'{"case":"RSO-2026-000001","consent":{"providers":["Test Clinic, Dallas"],"expires":"2027-01-01"}}'
	assert_output '{"case":"RSO-2026-000001","status":"collecting"}'
	run -0 rso-intake consent RSO-2026-000001 --provider "Other Clinic, Austin" --expires 2027-01-01
	assert_output '{"case":"RSO-2026-000001","status":"collecting"}'
	run -0 sqlite3 "$RSO_HOME/rso.db" "select providers from consents order by id"
	assert_output $'["Test Clinic, Dallas"]\n["Other Clinic, Austin"]'
	run -64 --separate-stderr rso-intake consent RSO-2026-000001 --provider $'Clinique Saint-\xc9tienne' --expires 2027-01-01
	[ "$stderr" = "rso-intake: --provider: not UTF-8 text" ]
	run -64 --separate-stderr rso-intake consent RSO-2026-000001 --providers A --signed-by $'m\xe8re' --expires 2027-01-01
	[ "$stderr" = "rso-intake: --signed-by: not UTF-8 text" ]
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*) from consents"
	assert_output 2
}

@test "rso-intake: a consent line may name the request's ref, and lasts consent_days unless it expires" {
	rso-intake "$DATA/request.json" >/dev/null
	ref=$(jq -r .ref "$DATA/request.json")
	run -0 rso-intake <<<"{\"ref\":\"$ref\",\"consent\":{\"providers\":[\"A\"],\"signed\":\"2026-09-30\"}}"
	assert_output '{"case":"RSO-2026-000001","status":"collecting"}'
	run -0 rso-case show RSO-2026-000001
	[ "$(jq -c .consent <<<"$output")" = '{"providers":["A"],"expires":"2027-09-30T00:00:00Z","signed_by":null,"signed":"2026-09-30T00:00:00Z","recorded":"2026-10-01T12:00:00Z"}' ]
	# Without a signing date, from now; consent_days from the store's config.
	jq '.consent_days = 30' "$RSO_HOME/config.json" >c.json
	mv c.json "$RSO_HOME/config.json"
	run -0 rso-intake consent RSO-2026-000001 --providers B
	run -0 rso-case show RSO-2026-000001
	[ "$(jq -r .consent.expires <<<"$output")" = 2026-10-31T12:00:00Z ]
}

@test "rso-intake: bad consent is refused with the reason" {
	rso-intake "$DATA/request.json" >/dev/null
	while IFS='|' read -r line message; do
		run -65 --separate-stderr rso-intake <<<"$line"
		if [ "$stderr" != "rso-intake: stdin:1: $message" ]; then
			echo "line: $line"; echo "got: $stderr"; return 1
		fi
	done <<'TABLE'
{"case":"RSO-2026-000001","consent":{"expires":"2027-01-01"}}|consent.providers: missing
{"case":"RSO-2026-000001","consent":{"providers":[""],"expires":"2027-01-01"}}|consent.providers.0: not a name
{"case":"RSO-2026-000001","consent":{"providers":["A"],"signed":"2025-09-30"}}|consent.signed: more than "consent_days" ago, and no expiry
{"case":"RSO-2026-000001","consent":{"providers":["A"],"expires":"2026-01-01"}}|consent.expires: not in the future
{"case":"RSO-2026-000001","consent":{"providers":["A"],"expires":"soon"}}|consent.expires: not a date or RFC 3339 time
{"case":"RSO-2026-000001","consent":{"providers":["A"],"expires":"2027-01-01","signed":"x"}}|consent.signed: not a date
{"case":"RSO-2026-000001","consent":"yes"}|consent: not an object
{"case":"nope","consent":{}}|case: not a case id
{"ref":"no-such-ref","consent":{"providers":["A"]}}|ref: no such request
{"consent":{"providers":["A"]}}|no "case" or "ref" member
{"case":"RSO-2026-000099","consent":{"providers":["A"],"expires":"2027-01-01"}}|RSO-2026-000099: no such case
{"case":"RSO-2026-000001"}|a case line is not a request (no "consent")
TABLE
	run -0 rso-case show RSO-2026-000001
	[ "$(jq -r .status <<<"$output")" = awaiting-consent ]
}

@test "rso-intake: consent on a cancelled case is refused" {
	rso-intake "$DATA/request.json" >/dev/null
	rso-case cancel -r patient-withdrew RSO-2026-000001 >/dev/null
	run -65 --separate-stderr rso-intake consent RSO-2026-000001 --providers A --expires 2027-01-01
	[ "$stderr" = "rso-intake: consent: RSO-2026-000001: cannot record consent for a case that is cancelled" ]
}

@test "rso-intake: usage errors are exit 64" {
	run -64 --separate-stderr rso-intake --bogus
	[[ "$stderr" == *"usage: rso-intake"* ]]
	run -64 --separate-stderr rso-intake consent RSO-2026-000001 --expires 2027-01-01
	[ "${stderr_lines[0]}" = "usage: rso-intake consent case --providers name[,name] [--provider name] [--expires date]" ]
	run -64 --separate-stderr rso-intake consent patient-name --providers A --expires 2027-01-01
	[ "$stderr" = "rso-intake: argument 1: not a case id" ]
	run -0 rso-intake --help
	assert_output --partial "usage: rso-intake"
	run -0 rso-intake --version
	assert_output "rso-intake 0.1.0"
}

@test "rso-intake: a store that is not there is exit 66" {
	run -66 --separate-stderr rso-intake -H "$BATS_TEST_TMPDIR/none" "$DATA/request.json"
	[ "$stderr" = "rso-intake: $BATS_TEST_TMPDIR/none: no store here (run rso-case init)" ]
}

@test "rso-intake: a group-writable store is refused with exit 77" {
	chmod 770 "$RSO_HOME"
	run -77 --separate-stderr rso-intake "$DATA/request.json"
	[ "$stderr" = "rso-intake: $RSO_HOME: writable by group or others; chmod 700 it" ]
}

@test "rso-intake: a bad RSO_NOW is a configuration error" {
	RSO_NOW=tomorrow run -78 --separate-stderr rso-intake "$DATA/request.json"
	[ "$stderr" = "rso-intake: RSO_NOW: not an RFC 3339 time" ]
}

@test "rso-intake: a locked store gives exit 75 after the busy timeout" {
	RSO_BUSY_TIMEOUT_MS=200
	export RSO_BUSY_TIMEOUT_MS
	python3 - "$RSO_HOME/rso.db" <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
open(sys.argv[1] + ".locked", "w").close()
time.sleep(3)
db.execute("ROLLBACK")
PY
	while [ ! -e "$RSO_HOME/rso.db.locked" ]; do sleep 0.05; done
	run -75 --separate-stderr rso-intake "$DATA/request.json"
	[ "$stderr" = "rso-intake: $DATA/request.json:1: db: store busy, try again" ]
	wait
	run -0 rso-intake "$DATA/request.json"
}

@test "rso-intake: two writers at once, 500 requests each, make 1000 cases" {
	req 'range(1; 501) as $i | .ref = "a-\($i)"' >a.jsonl
	req 'range(1; 501) as $i | .ref = "b-\($i)"' >b.jsonl
	rso-intake a.jsonl >a.out 2>a.err &
	pa=$!
	rso-intake b.jsonl >b.out 2>b.err &
	pb=$!
	wait $pa
	wait $pb
	[ ! -s a.err ]
	[ ! -s b.err ]
	[ "$(cat a.out b.out | jq -r .case | sort -u | wc -l)" -eq 1000 ]
	run -0 rso-case verify
	assert_output --regexp '^verify: 1000 events, 1000 cases, chain intact'
}

@test "rso-intake: rso-intake | rso-case show pipes" {
	run -0 bash -c "rso-intake \"$DATA/request.json\" | rso-case show -f text"
	assert_line --index 0 --regexp '^RSO-2026-000001  awaiting-consent since '
	assert_line --index 2 '  patient     Test Alpha, born 1961-03-01, female'
}

@test "rso-intake: an id prefix that would not read back as an id is refused" {
	echo '{"id_prefix":"RSO-EU"}' >"$RSO_HOME/config.json"
	run -78 --separate-stderr rso-intake "$DATA/request.json"
	[ "$stderr" = "rso-intake: $DATA/request.json:1: config.json: id_prefix: not 1 to 16 letters and digits" ]
}

@test "rso-intake: --csv reads RFC 4180 written by Python's csv module" {
	python3 - <<'PY'
import csv
rows = [
    ["ref", "patient.name", "patient.birth_date", "specialty", "questions", "patient.email"],
    ["csv-1", "Test, Comma", "1961-03-01", "oncology", 'Is it "benign"?|Next steps?', "a@example.org"],
    ["csv-2", "Test\nNewline", "1970-01-01", "cardiology", "Q1", ""],
    ["csv-3", "Test Bad", "1970-13-01", "cardiology", "Q", ""],
    ["csv-4", "Test Four", "1980-02-02", "neurology", "Q4", ""],
]
with open("r.csv", "w", newline="", encoding="utf-8-sig") as f:
    csv.writer(f).writerows(rows)
PY
	run -65 --separate-stderr rso-intake --csv r.csv
	[ "$(jq -r .ref <<<"$output" | paste -sd,)" = "csv-1,csv-4" ]
	# A quoted line break is CSV, but a name is one line of text.
	[ "$stderr" = "rso-intake: r.csv:3: patient.name: control character
rso-intake: r.csv:5: patient.birth_date: not a date (YYYY-MM-DD)" ]
	run -0 rso-case show RSO-2026-000001
	[ "$(jq -c .request <<<"$output")" = '{"patient":{"birth_date":"1961-03-01","email":"a@example.org","name":"Test, Comma"},"questions":["Is it \"benign\"?","Next steps?"],"ref":"csv-1","specialty":"oncology"}' ]
	# The same file again: nothing twice.
	run -65 --separate-stderr rso-intake --csv r.csv
	[ "$(jq -r .existing <<<"$output" | sort -u)" = true ]
}

@test "rso-intake: --csv refuses hostile and malformed CSV with the line" {
	printf 'ref,patient.name,patient.birth_date,specialty,questions.0,questions.1\n' >h.csv
	printf 'c-1,Test One,1970-01-01,oncology,First?,Second?\n' >>h.csv
	printf 'c-2,"Test "Two",1970-01-01,oncology,Q,\n' >>h.csv
	printf 'c-3,"unterminated,1970-01-01,oncology,Q,\n' >>h.csv
	run -65 --separate-stderr rso-intake --csv h.csv
	[ "$(jq -r .ref <<<"$output")" = c-1 ]
	[ "$stderr" = "rso-intake: h.csv:3: text after a closing quote
rso-intake: h.csv:4: unterminated quoted field" ]
	run -0 rso-case show RSO-2026-000001
	[ "$(jq -c .request.questions <<<"$output")" = '["First?","Second?"]' ]
	printf 'ref,ref\nx,y\n' >dup.csv
	run -65 --separate-stderr rso-intake --csv dup.csv
	[ "$stderr" = "rso-intake: dup.csv:1: header: column 2: repeats column 1" ]
	printf 'patient,patient.name\nx,y\n' >conf.csv
	run -65 --separate-stderr rso-intake --csv conf.csv
	[ "$stderr" = "rso-intake: conf.csv:1: header: column 2: conflicts with column 1" ]
	run -66 --separate-stderr rso-intake --csv nosuch.csv
	[ "$stderr" = "rso-intake: nosuch.csv: No such file or directory" ]
	run -64 rso-intake --csv h.csv extra.jsonl
}

@test "rso-intake: a mistyped verb is exit 64; files and - are still files" {
	run -64 --separate-stderr rso-intake consnt RSO-2026-000001
	[ "${stderr_lines[0]}" = 'rso-intake: unknown verb "consnt"; did you mean "consent"?' ]
	[ "${stderr_lines[1]}" = "usage: rso-intake [-q] [-H home] [file ...]" ]
	run -64 --separate-stderr rso-intake -q consnt
	[ "${stderr_lines[0]}" = 'rso-intake: unknown verb "consnt"; did you mean "consent"?' ]
	# An existing file of that name is a file of requests.
	req '.ref="t-file"' >consnt
	run -0 --separate-stderr rso-intake consnt
	assert_output '{"case":"RSO-2026-000001","ref":"t-file","status":"awaiting-consent"}'
	run -0 rso-intake - <consnt
	assert_output '{"case":"RSO-2026-000001","ref":"t-file","status":"awaiting-consent","existing":true}'
	# A missing file that is no typo of a verb is a missing file.
	run -66 --separate-stderr rso-intake requests.jsonl
	[ "$stderr" = "rso-intake: requests.jsonl: No such file or directory" ]
}

@test "rso-intake: consent's usage error shows consent's usage" {
	run -64 --separate-stderr rso-intake consent
	[ "$stderr" = "usage: rso-intake consent case --providers name[,name] [--provider name] [--expires date]
                  [--signed-by who] [--signed date]" ]
}

@test "rso-intake: reading requests from a terminal says so once" {
	req '.ref="t-tty"' | script -qec "rso-intake" /dev/null >tty.out
	[ "$(grep -c 'from the terminal' tty.out)" = 1 ]
	grep -q '^rso-intake: reading requests from the terminal; end with Ctrl-D' tty.out
	grep -q '"ref":"t-tty"' tty.out
	script -qec "rso-intake -q" /dev/null </dev/null >tty.out
	script -qec "rso-intake </dev/null" /dev/null </dev/null >>tty.out
	run -1 grep -q 'from the terminal' tty.out
}

@test "rso-intake: a consent without an expiry lasts consent_days from its signing" {
	rso-intake "$DATA/request.json" >/dev/null
	req '.ref="t-2"' | rso-intake >/dev/null
	# The default: 365 days from now (RSO_NOW), when it does not say when it was signed.
	run -0 rso-intake consent RSO-2026-000001 --providers A
	assert_output '{"case":"RSO-2026-000001","status":"collecting"}'
	run -0 rso-case show RSO-2026-000001
	[ "$(jq -r .consent.expires <<<"$output")" = 2027-10-01T12:00:00Z ]
	# From its signing, as configured.
	echo '{"consent_days":30}' >"$RSO_HOME/config.json"
	run -0 rso-intake <<<'{"case":"RSO-2026-000002","consent":{"providers":["A"],"signed":"2026-09-15"}}'
	run -0 rso-case show RSO-2026-000002
	[ "$(jq -r .consent.expires <<<"$output")" = 2026-10-15T00:00:00Z ]
	echo '{"consent_days":0}' >"$RSO_HOME/config.json"
	run -78 --separate-stderr rso-intake consent RSO-2026-000002 --providers A
	[ "$stderr" = "rso-intake: config.json: consent_days: not a number of days from 1 to 36500" ]
}

@test "rso(7): the settings render with whole quotes, consent_days among them" {
	run -0 bash -c "mandoc -Tutf8 -O width=1000 '$TOP/man/rso.7' | col -b"
	# No quote opened inside another: the old list printed “interval, “max_attempts””.
	refute_output --regexp '“[^”]*“'
	assert_output --regexp '“consent_days”'
	assert_output --partial 'rso-mail(1), rso-nightly(8) and rso-monthly(8) also take -n, a dry run.'
	run -0 mandoc -Tlint -Wwarning "$TOP/man/rso.7"
	# What it says of the options is true of each program it names.
	for p in "rso-intake consent" "rso-collect due" "rso-assign roster" \
	    "rso-opinion due" "rso-bill fees" "rso-report monthly" rso-export \
	    "rso-case list" rso-mail rso-nightly rso-monthly; do
		run -0 $p --version
		assert_output "${p%% *} 0.1.0"
		run -0 $p -q -H "$RSO_HOME" --help
		assert_line --index 0 --partial "usage: ${p%% *}"
	done
}

@test "rso-intake: control characters are refused in one-line members, naming the member" {
	printf '%s\n' \
	    "$(req '.ref="c-1" | .patient.name = "Test\u001b[31mAlpha"')" \
	    "$(req '.ref="c-2" | .patient.name = "Test\u000bAlpha"')" \
	    "$(req '.ref="c-3" | .requester.name = "Dr\u001cLee"')" \
	    "$(req '.ref="c-4" | .specialty = "oncology\r\n"')" \
	    "$(req '.ref="c-5" | .questions = ["One?", "Two\u001b?"]')" \
	    "$(req '.ref="c-6" | .extra = {"x\ny": 1}')" \
	    "$(req '.ref="c-7" | .patient.name = "Test\u0085Alpha"')" \
	    "$(req '.ref="c-8" | .questions = ["First line\nsecond line,\ttabbed\r\nthird?"]')" >c.jsonl
	run -65 --separate-stderr rso-intake c.jsonl
	[ "$stderr" = "rso-intake: c.jsonl:1: patient.name: control character
rso-intake: c.jsonl:2: patient.name: control character
rso-intake: c.jsonl:3: requester.name: control character
rso-intake: c.jsonl:4: specialty: control character
rso-intake: c.jsonl:5: questions.1: control character
rso-intake: c.jsonl:6: extra (member name): control character
rso-intake: c.jsonl:7: patient.name: control character" ]
	# Questions are multi-line text: line breaks and tabs are kept.
	assert_output '{"case":"RSO-2026-000001","ref":"c-8","status":"awaiting-consent"}'
	run -0 rso-case show RSO-2026-000001
	[ "$(jq -r '.request.questions[0]' <<<"$output")" = $'First line\nsecond line,\ttabbed\r\nthird?' ]
}
