#!/usr/bin/env bats
# rso-case: the store and the case verbs.
load lib

local_setup() {
	rso-case init -q
}

# The read-only copy a test made outside its own folder (so that another
# user can reach it) goes, whether the test passed or not.
teardown() {
	if [ -n "${RO_COPY:-}" ] && [ -d "$RO_COPY" ]; then
		chmod -R u+w "$RO_COPY"
		rm -rf "$RO_COPY"
	fi
}

# n cases from the test request, refs t-1..t-n.
cases() {
	jq -c --argjson n "$1" 'range(1; $n + 1) as $i | .ref = "t-\($i)"' \
	    "$DATA/request.json" | rso-intake >/dev/null
}

@test "rso-case: init creates a private store and is safe to run twice" {
	run -0 --separate-stderr rso-case init
	[ "$stderr" = "rso-case: store ready: $RSO_HOME" ]
	run -0 stat -c %a "$RSO_HOME"
	assert_output 700
	run -0 stat -c %a "$RSO_HOME/rso.db"
	assert_output 600
	echo '{"id_prefix":"TST"}' >"$RSO_HOME/config.json"
	run -0 rso-case init -q
	assert_output ''
	run -0 cat "$RSO_HOME/config.json"
	assert_output '{"id_prefix":"TST"}'
	run -0 sqlite3 "$RSO_HOME/rso.db" "pragma journal_mode"
	assert_output wal
}

@test "rso-case: the configured id prefix names new cases" {
	echo '{"id_prefix":"TST"}' >"$RSO_HOME/config.json"
	run -0 rso-intake "$DATA/request.json"
	assert_output --partial '"case":"TST-2026-000001"'
}

@test "rso-case: a bad config.json is exit 78 naming the file" {
	echo '{"id_prefix":' >"$RSO_HOME/config.json"
	run -78 --separate-stderr rso-case list
	[ "$stderr" = "rso-case: $RSO_HOME/config.json:2: unexpected token near end of file" ]
}

@test "rso-case: show prints a case as JSON and as text" {
	cases 1
	run -0 rso-case show RSO-2026-000001
	[ "$(jq -c '[.case,.ref,.status,.status_at,.request.specialty]' <<<"$output")" = '["RSO-2026-000001","t-1","awaiting-consent","2026-10-01T12:00:00Z","oncology"]' ]
	run -0 rso-case show -f text RSO-2026-000001
	assert_line --index 1 '  ref         t-1'
	assert_line --index 4 '  requester   provider: Dr Test Beta'
	assert_line --index 5 '  specialty   oncology / neuro-oncology (routine)'
	assert_line --index 6 '  question 1  Is watchful waiting still appropriate?'
}

@test "rso-case: show reads case lines from stdin and reports bad ones" {
	cases 2
	run -65 --separate-stderr rso-case show <<'EOF2'
{"case":"RSO-2026-000002"}
{"nocase":1}
{"case":"RSO-2026-000042"}
{"case":"Jane Doe"}
{"case":"RSO-2026-000001"}
EOF2
	[ "$(jq -r .case <<<"$output" | paste -sd,)" = "RSO-2026-000002,RSO-2026-000001" ]
	[ "$stderr" = 'rso-case: stdin:2: no "case" member
rso-case: stdin:3: RSO-2026-000042: no such case
rso-case: stdin:4: case: not a case id' ]
}

@test "rso-case: list filters by status and time" {
	cases 3
	RSO_NOW=2026-10-05T00:00:00Z rso-intake consent RSO-2026-000002 --providers A --expires 2027-01-01 >/dev/null
	run -0 rso-case list
	[ "$(jq -r .case <<<"$output" | paste -sd,)" = "RSO-2026-000001,RSO-2026-000002,RSO-2026-000003" ]
	run -0 rso-case list --status collecting
	[ "$(jq -r .case <<<"$output")" = "RSO-2026-000002" ]
	run -0 rso-case list -s awaiting-consent,collecting --since 2026-10-04
	[ "$(jq -r .case <<<"$output")" = "RSO-2026-000002" ]
	run -0 rso-case list --until 2026-10-04
	[ "$(jq -r .case <<<"$output" | paste -sd,)" = "RSO-2026-000001,RSO-2026-000003" ]
	RSO_NOW=2026-10-05T12:00:00Z run -0 rso-case list --since yesterday
	[ "$(jq -r .case <<<"$output")" = "RSO-2026-000002" ]
	RSO_NOW=2026-10-05T12:00:00Z run -0 rso-case list --since 2d
	[ "$(jq -r .case <<<"$output")" = "RSO-2026-000002" ]
	run -0 rso-case list -f text -s collecting
	assert_line --index 0 --regexp '^CASE +STATUS +SINCE +SPECIALTY +REF$'
	assert_line --index 1 --regexp '^RSO-2026-000002  collecting +2026-10-0[45] [0-9:]+ +oncology +t-2$'
}

@test "rso-case: list refuses bad options with exit 64" {

	run -64 rso-case list extra
}

@test "rso-case: log lists a case's events in order" {
	cases 1
	rso-case hold -r "waiting for patient" RSO-2026-000001 >/dev/null
	run -0 rso-case log RSO-2026-000001
	[ "$(jq -sc '[.[] | [.seq, .type, .actor, .case]]' <<<"$output")" = '[[1,"case.created","tester","RSO-2026-000001"],[2,"case.held","tester","RSO-2026-000001"]]' ]
	run -0 rso-case log -f text RSO-2026-000001
	assert_line --index 1 --regexp '^ +2  2026-10-01 [0-9:]+  tester +case.held  waiting for patient$'
	run -65 --separate-stderr rso-case log RSO-2026-000009
	[ "$stderr" = "rso-case: RSO-2026-000009: no such case" ]
}

@test "rso-case: hold and resume return a case to where it was" {
	cases 1
	rso-intake consent RSO-2026-000001 --providers A --expires 2027-01-01 >/dev/null
	run -0 rso-case hold RSO-2026-000001
	assert_output '{"case":"RSO-2026-000001","status":"on-hold"}'
	run -0 rso-case hold RSO-2026-000001
	assert_output '{"case":"RSO-2026-000001","status":"on-hold","unchanged":true}'
	run -0 rso-case resume RSO-2026-000001
	assert_output '{"case":"RSO-2026-000001","status":"collecting"}'
	run -0 rso-case resume RSO-2026-000001
	assert_output '{"case":"RSO-2026-000001","status":"collecting","unchanged":true}'
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*) from events where case_id='RSO-2026-000001'"
	assert_output 4
}

@test "rso-case: cancel needs a configured reason and is final" {
	cases 2
	# A case operand has no line to carry a reason: -r is a must, 64.
	run -64 --separate-stderr rso-case cancel RSO-2026-000001
	[ "$stderr" = "rso-case: cancel: -r reason is needed with a case operand
usage: rso-case cancel -r reason [case ...]" ]
	# A line without one is bad input: 65, and the good lines go on.
	run -65 --separate-stderr rso-case cancel <<<'{"case":"RSO-2026-000001"}'
	[ "$stderr" = "rso-case: stdin:1: reason: missing" ]
	run -64 --separate-stderr rso-case cancel -r bored RSO-2026-000001
	[ "$stderr" = 'rso-case: --reason: not one of "cancel_reasons" in config.json' ]
	run -0 rso-case cancel -r no-records RSO-2026-000001
	assert_output '{"case":"RSO-2026-000001","status":"cancelled"}'
	run -0 rso-case cancel -r no-records RSO-2026-000001
	assert_output '{"case":"RSO-2026-000001","status":"cancelled","unchanged":true}'
	run -65 --separate-stderr rso-case hold RSO-2026-000001
	[ "$stderr" = "rso-case: argument 1: RSO-2026-000001: cannot hold a case that is cancelled" ]
	# A reason may come on the case line itself.
	run -0 rso-case cancel <<<'{"case":"RSO-2026-000002","reason":"patient-withdrew"}'
	assert_output '{"case":"RSO-2026-000002","status":"cancelled"}'
	run -0 rso-case log RSO-2026-000002
	[ "$(jq -sr '.[-1].data.reason' <<<"$output")" = patient-withdrew ]
}

@test "rso-case: close refuses a case that is not delivered" {
	cases 1
	run -65 --separate-stderr rso-case close RSO-2026-000001
	[ "$stderr" = "rso-case: argument 1: RSO-2026-000001: cannot close a case that is awaiting-consent" ]
	run -65 --separate-stderr rso-case close "Test Alpha"
	[ "$stderr" = "rso-case: argument 1: not a case id" ]
}

@test "rso-case: verify reports an intact chain" {
	cases 5
	run -0 rso-case verify
	[ "${lines[0]}" = "verify: 5 events, 5 cases, chain intact" ]
	[ "${lines[1]}" = "verify: 0 segments, every record and opinion in one" ]
	[ "${lines[2]}" = "verify: head 5:$(sqlite3 "$RSO_HOME/rso.db" "select hash from events where seq = 5")" ]
	[ "${lines[3]}" = "verify: 5 cases, search keys follow from their requests" ]
	[ "${#lines[@]}" -eq 4 ]
}

@test "rso-case: verify --head catches a tail cut since the head was witnessed" {
	init_with_key
	ready_case 1
	rso-collect cat RSO-2026-000001 1 >/dev/null
	rso-collect cat RSO-2026-000001 1 >/dev/null
	head=$(rso-case verify | sed -n 's/^verify: head //p')
	[[ "$head" =~ ^[0-9]+:[0-9a-f]{64}$ ]]
	n=${head%%:*}
	run -0 rso-case verify --head "$head"
	[ "${lines[0]}" = "verify: $n events, 1 cases, chain intact, witnessed head there" ]
	# The last two reads taken out around the schema: the chain that is
	# left is intact, and only the witness can tell.
	sqlite3 "$RSO_HOME/rso.db" "drop trigger events_no_delete; delete from events where seq >= $((n - 1))"
	run -0 rso-case verify
	run -65 --separate-stderr rso-case verify --head "$head"
	[ "$stderr" = "rso-case: head $n: gone (the chain ends at event $((n - 2)))" ]
	# A chain rebuilt to the same length does not have the witnessed hash.
	RSO_ACTOR=other rso-collect cat RSO-2026-000001 1 >/dev/null
	RSO_ACTOR=other rso-collect cat RSO-2026-000001 1 >/dev/null
	run -65 --separate-stderr rso-case verify --head "$head"
	[ "$stderr" = "rso-case: head $n: hash does not match the witness" ]
	run -64 --separate-stderr rso-case verify --head 12
	[ "$stderr" = 'rso-case: --head: not SEQ:HASH (a "verify: head" line'"'"'s)' ]
}

@test "rso-case: verify finds an event changed behind its back" {
	cases 5
	run ! sqlite3 "$RSO_HOME/rso.db" "update events set data='{}' where seq=3"
	assert_output --partial "events are append-only"
	sqlite3 "$RSO_HOME/rso.db" "drop trigger events_no_update; update events set data=replace(data, 'Alpha', 'Omega') where seq=3"
	run -65 --separate-stderr rso-case verify
	[ "$stderr" = "rso-case: event 3: hash does not match its content" ]
}

@test "rso-case: verify finds a deleted event and a forged status" {
	cases 4
	sqlite3 "$RSO_HOME/rso.db" "drop trigger events_no_delete; delete from events where seq=2"
	run -65 --separate-stderr rso-case verify
	[ "$stderr" = "rso-case: event 2: missing (next is 3)" ]
	rm -rf "$RSO_HOME"
	rso-case init -q
	cases 2
	sqlite3 "$RSO_HOME/rso.db" "update cases set status='ready' where id='RSO-2026-000002'"
	run -65 --separate-stderr rso-case verify
	[ "$stderr" = "rso-case: case RSO-2026-000002: status does not follow from its events" ]
}

@test "rso-case: verify names a nightly step's mark past the last event" {
	cases 2
	rso-bill invoice --new >/dev/null
	run -0 sqlite3 "$RSO_HOME/rso.db" "select step, seq from step_marks"
	assert_output "rso-bill invoice|2"
	run -0 rso-case verify
	# Pushed past the chain's end, the step would pass over every case
	# that changes until the chain got there.
	sqlite3 "$RSO_HOME/rso.db" "update step_marks set seq = 900"
	run -65 --separate-stderr rso-case verify
	[ "$stderr" = "rso-case: step rso-bill invoice: its mark, event 900, is past the last event" ]
	run -0 rso-case marks -f text
	assert_output "rso-bill invoice: event 900, past the last event (2)"
	# The repair the manual gives: the step's next run looks at every
	# case, and the chain says who forgot the mark and what it was.
	RSO_ACTOR=ops run -0 --separate-stderr rso-case marks --forget "rso-bill invoice"
	[ "$stderr" = "rso-case: marks: rso-bill invoice: forgotten (it was event 900); its next run looks at every case" ]
	assert_output ''
	run -0 sqlite3 "$RSO_HOME/rso.db" "select seq, case_id is null, type, actor, data from events where seq > 2; select count(*) from step_marks"
	assert_output $'3|1|step.forgotten|ops|{"mark":900,"step":"rso-bill invoice"}\n0'
	run -0 rso-case verify
	rso-bill invoice --new >/dev/null
	run -0 rso-case marks
	assert_output '{"step":"rso-bill invoice","mark":3,"last":3}'
}

@test "rso-case: marks lists each step's mark against the chain's end, by step" {
	run -0 rso-case marks
	assert_output ''
	init_with_key
	cases 2
	rso-bill invoice --new >/dev/null
	mkdir ehr
	rso-export -q --new --format hl7 --to ehr
	cases 3
	run -0 rso-case marks
	assert_output "{\"step\":\"rso-bill invoice\",\"mark\":2,\"last\":3}
{\"step\":\"rso-export hl7 $PWD/ehr\",\"mark\":2,\"last\":3}"
	run -0 rso-case marks -f text
	assert_output "rso-bill invoice: event 2, 1 since
rso-export hl7 $PWD/ehr: event 2, 1 since"
	run -64 --separate-stderr rso-case marks -f csv
	[ "$stderr" = $'rso-case: --format: not one of json, text\nusage: rso-case marks [-f json|text] [--forget step]' ]
	run -64 --separate-stderr rso-case marks "rso-bill invoice"
	[ "$stderr" = "usage: rso-case marks [-f json|text] [--forget step]" ]
}

@test "rso-case: marks --forget of a step with no mark is exit 65, and the others are still forgotten" {
	cases 1
	rso-bill invoice --new >/dev/null
	run -65 --separate-stderr rso-case -q marks --forget "rso-bill invoce" --forget "rso-bill invoice"
	[ "$stderr" = "rso-case: marks: rso-bill invoce: no such step" ]
	run -0 rso-case marks
	assert_output ''
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*) from events where type = 'step.forgotten'"
	assert_output 1
}

@test "rso-case: marks shows a step named by a path that is not UTF-8, and forgets it by its bytes" {
	cases 1
	# What rso-export --new recorded for such a folder before it refused
	# one.
	sqlite3 "$RSO_HOME/rso.db" "insert into step_marks values (cast(x'72736f2d6578706f727420686c37202f6568ff' as text), 1)"
	run -0 rso-case marks
	assert_output $'{"step":"rso-export hl7 /eh\xef\xbf\xbd","mark":1,"last":1}'
	run -0 rso-case marks -f text
	assert_output $'rso-export hl7 /eh\xff: event 1, 0 since'
	run -0 rso-case -q marks --forget $'rso-export hl7 /eh\xff'
	run -0 sqlite3 "$RSO_HOME/rso.db" "select data from events where type = 'step.forgotten'"
	assert_output '{"mark":1,"step":"rso-export hl7 /eh\uFFFD"}'
	run -0 rso-case verify
}

@test "rso-case: an older store gains the migrations it lacks, wherever their numbers fall" {
	rso-case init -q
	cases 2
	# A store from before migration 120: every other one applied.
	sqlite3 "$RSO_HOME/rso.db" "drop index cases_birth_date; delete from schema_migrations where id = 120"
	run -0 rso-case list
	[ "${#lines[@]}" -eq 2 ]
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*) from schema_migrations where id = 120;
	    select count(*) from sqlite_master where name = 'cases_birth_date'"
	assert_output $'1\n1'
	# One the program does not know was written by a newer rso.
	sqlite3 "$RSO_HOME/rso.db" "insert into schema_migrations values (99999, 'from the future', '2030-01-01T00:00:00Z')"
	run -78 --separate-stderr rso-case list
	[ "$stderr" = "rso-case: db: written by a newer rso (unknown schema migrations)" ]
}

# The store at $RSO_HOME made as it was before migration 122: events' hash
# UNIQUE, as migration 101 made it, with every index and trigger later
# migrations added.
before_122() {
	local db=$RSO_HOME/rso.db
	{
		echo "create table e101 (seq integer primary key, at text not null, case_id text references cases(id), type text not null, actor text not null, data text not null, prev text not null, hash text not null unique);"
		echo "insert into e101 select * from events; drop table events; alter table e101 rename to events;"
		sqlite3 "$db" "select sql || ';' from sqlite_schema where tbl_name = 'events' and type in ('index', 'trigger') and sql is not null"
		echo "delete from schema_migrations where id = 122;"
	} >"$BATS_TEST_TMPDIR/before-122.sql"
	sqlite3 "$db" <"$BATS_TEST_TMPDIR/before-122.sql"
}

@test "rso-case: migration 122 rebuilds an older store's events without the index on hash, keeping the rest" {
	init_with_key
	ready_case 1
	ready_case 2
	db=$RSO_HOME/rso.db
	objects="select type, name, sql from sqlite_schema where tbl_name = 'events' and sql is not null order by name"
	sqlite3 "$db" "$objects" >objects.want
	sqlite3 "$db" "select * from events order by seq" >events.want
	before_122
	run -0 sqlite3 "$db" "select count(*) from sqlite_schema where name like 'sqlite_autoindex_events%'"
	assert_output 1
	run -0 rso-case list
	[ "${#lines[@]}" -eq 2 ]
	run -0 sqlite3 "$db" "select count(*) from schema_migrations where id = 122;
	    select count(*) from sqlite_schema where name like 'sqlite_autoindex_events%'"
	assert_output $'1\n0'
	sqlite3 "$db" "$objects" >objects.got
	diff objects.want objects.got
	sqlite3 "$db" "select * from events order by seq" >events.got
	diff events.want events.got
	run -0 rso-case verify
	run -19 --separate-stderr sqlite3 "$db" "delete from events where seq = 1"
	[ "$stderr" = "Error: stepping, events are append-only (19)" ]
}

@test "rso-case: migrations that would leave a reference broken are not applied" {
	init_with_key
	ready_case 1
	db=$RSO_HOME/rso.db
	# A consent naming an event that is not there, in a store before 122.
	sqlite3 "$db" "insert into consents (case_id, providers, expires, signed_by, signed, recorded, event_seq) select case_id, providers, expires, signed_by, signed, recorded, 999 from consents"
	before_122
	run -65 --separate-stderr rso-case list
	[ "$stderr" = "rso-case: db: consents row 2 refers to a row of events that is not there; schema migrations not applied" ]
	run -0 sqlite3 "$db" "select count(*) from schema_migrations where id = 122;
	    select count(*) from sqlite_schema where name like 'sqlite_autoindex_events%'"
	assert_output $'0\n1'
}

@test "rso-case: backup copies a store online, and the copy restores" {
	cases 3
	mkdir -p "$RSO_HOME/archives/RSO-2026-000001"
	echo segment >"$RSO_HOME/archives/RSO-2026-000001/000001.age"
	jq -c 'range(100; 401) as $i | .ref = "w-\($i)"' "$DATA/request.json" >more.jsonl
	rso-intake more.jsonl >/dev/null &
	writer=$!
	run -0 rso-case backup "$BATS_TEST_TMPDIR/bk"
	wait $writer
	run -0 cat "$BATS_TEST_TMPDIR/bk/archives/RSO-2026-000001/000001.age"
	assert_output segment
	cp -a "$BATS_TEST_TMPDIR/bk" "$BATS_TEST_TMPDIR/restored"
	chmod 700 "$BATS_TEST_TMPDIR/restored"
	RSO_HOME="$BATS_TEST_TMPDIR/restored" run -0 rso-case verify
	assert_output --regexp '^verify: [0-9]+ events, [0-9]+ cases, chain intact'
	# The backup carries its head: a witness for the live store.
	[ "$(sed -n 's/^verify: head //p' <<<"$output")" = "$(cat "$BATS_TEST_TMPDIR/bk/head")" ]
	run -0 rso-case verify --head "$(cat "$BATS_TEST_TMPDIR/bk/head")"
	RSO_HOME="$BATS_TEST_TMPDIR/restored" run -0 rso-case show RSO-2026-000001
	mkdir other && touch other/notes.txt
	run -73 --separate-stderr rso-case backup other
	[ "$stderr" = "rso-case: other: not empty, and not an rso backup" ]
	[ "$(ls other)" = notes.txt ]
}

# Every record the store at $1 names reads back with its sha256.
records_read_back() {
	local c item sum
	for c in $(RSO_HOME=$1 rso-case list | jq -r .case); do
		RSO_HOME=$1 rso-collect ls "$c" | jq -r '"\(.item) \(.sha256)"' |
		while read -r item sum; do
			[ "$(RSO_HOME=$1 rso-collect cat "$c" "$item" | sha256sum | cut -d' ' -f1)" = "$sum" ] || return 1
		done || return 1
	done
}

@test "rso-case: backups into one folder while records are filed copy each segment once, and each restores" {
	init_with_key
	for n in 1 2 3; do ready_case "$n"; done
	run -0 --separate-stderr rso-case backup bk
	[ "$stderr" = "rso-case: backup in bk: segments: 3 copied (${stderr#*copied (}" ]
	# A writer files 30 records while two more backups run.
	(for i in $(seq 1 30); do
		echo "record $i" >"w$i.txt"
		rso-collect add --type note --source Lab "RSO-2026-00000$((i % 3 + 1))" "w$i.txt" >/dev/null
	done) &
	writer=$!
	for k in 2 3; do
		run -0 --separate-stderr rso-case backup bk
		echo "$stderr" >>notes.txt
		cp -a bk "restored-$k"
		RSO_HOME="$PWD/restored-$k" run -0 rso-case verify
		records_read_back "$PWD/restored-$k"
	done
	wait "$writer"
	run -0 --separate-stderr rso-case backup bk
	echo "$stderr" >>notes.txt
	# Each of the 33 segments was copied once over the four backups.
	copied=$(( $(sed -n 's/.*segments: \([0-9]*\) copied.*/\1/p' notes.txt | paste -sd+) ))
	[ $((copied + 3)) -eq 33 ]
	[ "$(find bk/archives -name '*.age' | wc -l)" -eq 33 ]
	run -0 --separate-stderr rso-case backup bk
	[[ "$stderr" == "rso-case: backup in bk: segments: 0 copied (0 bytes), 33 already there, 0 merged away and removed" ]]
	records_read_back "$PWD/bk"
}

@test "rso-case: a backup after compaction removes the merged segments and still reads every record" {
	init_with_key
	ready_case 1
	for i in 1 2 3; do
		echo "record $i" >"w$i.txt"
		rso-collect add --type note --source Lab RSO-2026-000001 "w$i.txt" >/dev/null
	done
	rso-case backup -q bk
	[ "$(ls bk/archives/RSO-2026-000001 | wc -l)" -eq 4 ]
	# Someone wrote to the backup and was killed: its WAL stays beside it.
	(echo "pragma journal_mode=wal; pragma wal_autocheckpoint=0; insert into case_counters values('X', 1999, 1);"; sleep 5) |
	    sqlite3 bk/rso.db &
	sleep 1
	kill -9 $! 2>/dev/null; wait $! 2>/dev/null || true
	[ -s bk/rso.db-wal ]
	rso-case compact RSO-2026-000001 >/dev/null
	run -0 --separate-stderr rso-case backup bk
	[ "$stderr" = "rso-case: backup in bk: segments: 1 copied (${stderr#*copied (}" ]
	[[ "$stderr" == *", 0 already there, 4 merged away and removed" ]]
	[ "$(ls bk/archives/RSO-2026-000001)" = "000001-000004.age" ]
	# The new database is not read through the old one's WAL.
	run -0 sqlite3 bk/rso.db "select count(*) from case_counters where prefix = 'X'"
	assert_output 0
	RSO_HOME="$PWD/bk" run -0 rso-case verify
	records_read_back "$PWD/bk"
}

@test "rso-case: usage, help and version" {
	run -64 --separate-stderr rso-case
	[[ "$stderr" == "usage: rso-case"* ]]
	run -64 --separate-stderr rso-case frobnicate
	[ "$stderr" = 'rso-case: argument 1: not a verb (see --help)
usage: rso-case [-q] [-H home] verb [options] [case ...]
       rso-case --help for the verbs' ]
	run -0 rso-case --help
	assert_line --index 0 --partial "usage: rso-case"
	assert_output --partial "verify"
	run -0 rso-case list --help
	assert_output --partial "usage: rso-case"
	run -0 rso-case --version
	assert_output "rso-case 0.1.0"
	run -64 rso-case show --bogus
}

@test "rso-case: a full stdout is an I/O error, not success" {
	cases 1
	run -74 --separate-stderr bash -c 'rso-case list >/dev/full'
	[ "$stderr" = 'rso-case: stdout: No space left on device' ]
}

@test "rso-case: survey is for delivered cases and takes a 0-10 score" {
	cases 1
	run -65 --separate-stderr rso-case survey --score 9 RSO-2026-000001
	[ "$stderr" = "rso-case: argument 1: RSO-2026-000001: a survey is for a delivered case, not one that is awaiting-consent" ]
	run -64 --separate-stderr rso-case survey --score 11 RSO-2026-000001
	[ "${stderr_lines[0]}" = "rso-case: --score: not a whole number from 0 to 10" ]
	run -64 --separate-stderr rso-case survey RSO-2026-000001
	[ "${stderr_lines[0]}" = "rso-case: survey: --score is needed with a case operand" ]
	run -65 --separate-stderr rso-case survey <<<'{"case":"RSO-2026-000001","score":"ten"}'
	[ "$stderr" = "rso-case: stdin:1: score: not a whole number from 0 to 10" ]
	run -65 --separate-stderr rso-case survey <<<'{"case":"RSO-2026-000001"}'
	[ "$stderr" = "rso-case: stdin:1: score: missing" ]
}

@test "rso-case: a reason, comment or note that is not UTF-8 is exit 64, and no event is written" {
	# What a Latin-1 terminal types: the event is JSON, and the text
	# would have taken the rest of its data (the score, the revenue) with
	# it.
	init_with_key
	cp "$DATA/config-panel.json" "$RSO_HOME/config.json"
	jq '.fee_gate = "none"' "$RSO_HOME/config.json" >c
	mv c "$RSO_HOME/config.json"
	rso-assign roster "$DATA/roster.jsonl" >/dev/null
	delivered_case 1
	ready_case 2
	before=$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from events")
	run -64 --separate-stderr rso-case hold -r $'caf\xe9' RSO-2026-000002
	[ "$stderr" = "rso-case: --reason: not UTF-8 text" ]
	run -64 --separate-stderr rso-case survey --score 9 --comment $'caf\xe9' RSO-2026-000001
	[ "$stderr" = "rso-case: --comment: not UTF-8 text" ]
	run -64 --separate-stderr rso-case downstream --kind visit --revenue 10 --note $'caf\xe9' RSO-2026-000001
	[ "$stderr" = "rso-case: --note: not UTF-8 text" ]
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from events")" = "$before" ]
	# The same words in UTF-8 are kept whole.
	run -0 rso-case survey --score 9 --comment "café" RSO-2026-000001
	run -0 sqlite3 "$RSO_HOME/rso.db" "select data from events where type = 'survey.answered'"
	assert_output '{"comment":"caf\u00E9","score":9}'
}

@test "rso-case: list --format csv opens in a spreadsheet without formulas" {
	jq -c '.ref="=HYPERLINK(\"http://x\")" | .urgency="urgent"' "$DATA/request.json" | rso-intake >/dev/null
	jq -c '.ref="plain, with comma"' "$DATA/request.json" | rso-intake >/dev/null
	run -0 rso-case list -f csv
	assert_line --index 0 $'case,ref,status,status_at,created,specialty,urgency,country,region\r'
	run -0 bash -c 'rso-case list -f csv | python3 -c "import csv,sys,json; print(json.dumps([r[1] for r in csv.reader(sys.stdin)][1:]))"'
	assert_output '["'"'"'=HYPERLINK(\"http://x\")", "plain, with comma"]'
}

@test "rso-case: downstream records care that followed an opinion, once" {
	init_with_key
	echo '{"fee_gate":"none"}' >"$RSO_HOME/config.json"
	rso-assign roster "$DATA/roster.jsonl" >/dev/null
	delivered_case 1
	run -0 rso-case downstream --kind procedure --revenue 12,500.50 --date 2026-10-20 --note "synthetic note" RSO-2026-000001
	assert_output '{"case":"RSO-2026-000001","kind":"procedure","revenue":"12500.50","date":"2026-10-20"}'
	# The same record again is not counted twice.
	run -0 rso-case downstream --kind procedure --revenue 12500.50 --date 2026-10-20 RSO-2026-000001
	assert_output '{"case":"RSO-2026-000001","kind":"procedure","revenue":"12500.50","date":"2026-10-20","unchanged":true}'
	# Case lines carry their own members; the date defaults to today.
	run -0 rso-case downstream <<<'{"case":"RSO-2026-000001","kind":"imaging","revenue":300}'
	assert_output '{"case":"RSO-2026-000001","kind":"imaging","revenue":"300.00","date":"2026-10-01"}'
	run -0 sqlite3 "$RSO_HOME/rso.db" "select group_concat(data, ' ') from (select data from events where type = 'case.downstream' order by seq)"
	assert_output '{"currency":"USD","date":"2026-10-20","kind":"procedure","note":"synthetic note","revenue":1250050} {"currency":"USD","date":"2026-10-01","kind":"imaging","revenue":30000}'
	rso-case close RSO-2026-000001 >/dev/null
	run -0 rso-case downstream --kind admission --revenue 8000 RSO-2026-000001
	run -0 rso-case verify
}

@test "rso-case: downstream refuses an undelivered case and bad members" {
	cases 1
	run -65 --separate-stderr rso-case downstream --kind visit --revenue 200 RSO-2026-000001
	[ "$stderr" = "rso-case: argument 1: RSO-2026-000001: not delivered (awaiting-consent)" ]
	run -64 --separate-stderr rso-case downstream --kind surgery --revenue 200 RSO-2026-000001
	[ "${stderr_lines[0]}" = "rso-case: --kind: not one of procedure, admission, imaging, visit" ]
	run -64 --separate-stderr rso-case downstream --kind visit --revenue 2.005 RSO-2026-000001
	[ "${stderr_lines[0]}" = "rso-case: --revenue: more than 2 decimals" ]
	run -64 --separate-stderr rso-case downstream --kind visit --revenue -5 RSO-2026-000001
	[ "${stderr_lines[0]}" = "rso-case: --revenue: negative" ]
	run -64 --separate-stderr rso-case downstream --kind visit --revenue lots RSO-2026-000001
	[ "${stderr_lines[0]}" = "rso-case: --revenue: not an amount such as 750.00" ]
	run -64 --separate-stderr rso-case downstream --kind visit --revenue 200 --date 2026-02-30 RSO-2026-000001
	[ "${stderr_lines[0]}" = "rso-case: --date: not a date such as 2026-10-01" ]
	run -64 --separate-stderr rso-case downstream --kind visit RSO-2026-000001
	[ "${stderr_lines[0]}" = "rso-case: downstream: --kind and --revenue are needed with a case operand" ]
	run -65 --separate-stderr rso-case downstream <<<'{"case":"RSO-2026-000001","revenue":"200"}'
	[ "$stderr" = "rso-case: stdin:1: kind: missing" ]
	run -65 --separate-stderr rso-case downstream <<<'{"case":"RSO-2026-000001","kind":"imaging","revenue":"2,00"}'
	[ "$stderr" = "rso-case: stdin:1: revenue: not an amount such as 750.00" ]
	run -65 --separate-stderr rso-case downstream <<<'{"case":"RSO-2026-000001","kind":"imaging","revenue":"200","date":"20261001"}'
	[ "$stderr" = "rso-case: stdin:1: date: not a date such as 2026-10-01" ]
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*) from events where type = 'case.downstream'"
	assert_output 0
}

@test "rso-case: a mistyped verb is exit 64 with the closest verb" {
	run -64 --separate-stderr rso-case lsit
	[ "$stderr" = 'rso-case: unknown verb "lsit"; did you mean "list"?
usage: rso-case [-q] [-H home] verb [options] [case ...]
       rso-case --help for the verbs' ]
	run -64 --separate-stderr rso-case -q verfy
	[ "${stderr_lines[0]}" = 'rso-case: unknown verb "verfy"; did you mean "verify"?' ]
	run -64 --separate-stderr rso-case Show RSO-2026-000001
	[ "${stderr_lines[0]}" = 'rso-case: unknown verb "Show"; did you mean "show"?' ]
	run -64 --separate-stderr rso-case lg
	[ "${stderr_lines[0]}" = 'rso-case: unknown verb "lg"; did you mean "log"?' ]
	# Control characters in the word do not reach the terminal.
	run -64 --separate-stderr rso-case $'li\033st'
	[ "${stderr_lines[0]}" = 'rso-case: unknown verb "li?st"; did you mean "list"?' ]
}

@test "rso-case: a verb's usage error shows that verb's usage" {
	cases 1
	run -64 --separate-stderr rso-case log
	[ "$stderr" = "usage: rso-case log [-f json|text] case" ]
	run -64 --separate-stderr rso-case log RSO-2026-000001 RSO-2026-000002
	[ "$stderr" = "usage: rso-case log [-f json|text] case" ]
	run -64 --separate-stderr rso-case list --status nope
	[ "$stderr" = "rso-case: --status: not a case status
usage: rso-case list [-s status[,status]] [--since when] [--until when]
                [-f json|text|csv]" ]
	run -64 --separate-stderr rso-case survey --score 11 RSO-2026-000001
	[ "$stderr" = "rso-case: --score: not a whole number from 0 to 10
usage: rso-case survey --score 0-10 [--comment text] [case ...]" ]
	run -64 --separate-stderr rso-case show --bogus
	[ "${stderr_lines[1]}" = "usage: rso-case show [-f json|text] [case ...]" ]
	# --help is still the whole text.
	run -0 rso-case log --help
	assert_line --index 0 "usage: rso-case [-q] [-H home] verb [options] [case ...]"
	assert_output --partial "verify"
}

@test "rso-case: a verb reading stdin from a terminal says so once" {
	cases 1
	# Under script(1) stdin is a terminal; its input ends with Ctrl-D.
	echo '{"case":"RSO-2026-000001"}' | script -qec "rso-case show -f text >/dev/null" /dev/null >tty.out
	[ "$(grep -c 'reading' tty.out)" = 1 ]
	grep -q '^rso-case: reading JSON lines with "case" from the terminal; end with Ctrl-D' tty.out
	# Not with -q, not with an operand, not from a pipe or a file.
	script -qec "rso-case show -q </dev/null" /dev/null </dev/null >tty.out
	script -qec "rso-case show RSO-2026-000001 >/dev/null" /dev/null </dev/null >>tty.out
	script -qec "rso-case show </dev/null" /dev/null </dev/null >>tty.out
	run -1 grep -q 'reading' tty.out
	run -0 --separate-stderr rso-case show </dev/null
	[ "$stderr" = "" ]
	# encrypt with no input file reads the terminal too.
	rso-case keygen -o key.txt 2>key.pub
	pk=$(grep -o 'age1[a-z0-9]*' key.pub)
	script -qec "rso-case encrypt -a -r $pk" /dev/null </dev/null >tty.out
	grep -q '^rso-case: reading the input from the terminal; end with Ctrl-D' tty.out
	grep -q 'BEGIN AGE ENCRYPTED FILE' tty.out
	# "-" is an operand: the person named stdin themselves.
	script -qec "rso-case encrypt -a -r $pk -" /dev/null </dev/null >tty.out
	run -1 grep -q 'reading' tty.out
}

@test "rso-case: verify checks each segment's size and SHA-256 without the key" {
	init_with_key
	ready_case 1
	ready_case 2
	a="$RSO_HOME/archives/RSO-2026-000001/000001.age"
	cp "$a" saved.age
	unset RSO_IDENTITY
	run -0 rso-case verify
	[ "${lines[1]}" = "verify: 2 segments, every record and opinion in one" ]
	# The event that filed it carries what the segments table holds.
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*) from events where type = 'records.filed' and json_extract(data, '\$.segment_sha256') = (select sha256 from segments where case_id = 'RSO-2026-000001')"
	assert_output 1
	# Another case's segment copied over this one's.
	cp "$RSO_HOME/archives/RSO-2026-000002/000001.age" "$a"
	run -65 --separate-stderr rso-case verify
	[ "$stderr" = "rso-case: RSO-2026-000001: segment 000001.age: SHA-256 does not match the store (altered or swapped)" ]
	# Truncated.
	head -c 200 saved.age >"$a"
	run -65 --separate-stderr rso-case verify
	[ "$stderr" = "rso-case: RSO-2026-000001: segment 000001.age: size does not match the store (truncated or replaced)" ]
	# One byte altered: its bits inverted, never the byte it was (writing
	# an 'X' there was no change when the ciphertext had one, 1 run in 256).
	cp saved.age "$a"
	python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(300); b = f.read(1)[0]; f.seek(300); f.write(bytes([b ^ 0xFF]))' "$a"
	! cmp -s saved.age "$a"
	run -65 --separate-stderr rso-case verify
	[ "$stderr" = "rso-case: RSO-2026-000001: segment 000001.age: SHA-256 does not match the store (altered or swapped)" ]
	cp saved.age "$a"
	run -0 rso-case verify
	# The case's whole folder gone: its records name segments that are not
	# there (a case with records and no opinion was once never looked at).
	mv "$RSO_HOME/archives/RSO-2026-000002" gone
	run -65 --separate-stderr rso-case verify
	[ "$stderr" = "rso-case: RSO-2026-000002: item 0001: segment 000001.age is gone" ]
	mv gone "$RSO_HOME/archives/RSO-2026-000002"
	run -0 rso-case verify
}

# Make the store what rso before migration 310 wrote: no segments rows,
# and filing events without the segment's size and hash (the chain
# rehashed, as that rso would have hashed it).
as_before_310() {
	sqlite3 "$RSO_HOME/rso.db" "drop trigger events_no_update; delete from segments"
	python3 - "$RSO_HOME/rso.db" <<'PY'
import hashlib, json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
prev = "0" * 64
rows = db.execute("select seq, at, case_id, type, actor, data from events order by seq").fetchall()
for seq, at, case, typ, actor, data in rows:
    d = json.loads(data)
    for k in ("segment_size", "segment_sha256"):
        d.pop(k, None)
    data = json.dumps(d, sort_keys=True, separators=(",", ":"))
    canon = '{"actor":%s,"at":"%s","case":%s,"data":%s,"seq":%d,"type":%s}' % (
        json.dumps(actor), at, json.dumps(case), data, seq, json.dumps(typ))
    h = hashlib.sha256((prev + canon).encode()).hexdigest()
    db.execute("update events set data = ?, prev = ?, hash = ? where seq = ?", (data, prev, h, seq))
    prev = h
db.commit()
PY
	sqlite3 "$RSO_HOME/rso.db" "CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"
}

@test "rso-case: segments filed before they were recorded are reported, and compaction records them" {
	init_with_key
	ready_case 1
	printf 'Synthetic lab.\n' >lab.txt
	rso-collect add --type lab RSO-2026-000001 lab.txt >/dev/null
	as_before_310
	run -0 rso-case verify
	[ "${lines[1]}" = "verify: 2 segments, every record and opinion in one; 2 written before sizes and hashes were recorded, not checked (rso-case compact records them)" ]
	run -0 rso-case compact RSO-2026-000001
	run -0 sqlite3 "$RSO_HOME/rso.db" "select name, size from segments; select type, json_extract(data, '\$.segment') from events where type = 'archive.compacted'"
	[ "${lines[0]}" = "000001-000002.age|$(stat -c %s "$RSO_HOME/archives/RSO-2026-000001/000001-000002.age")" ]
	[ "${lines[1]}" = "archive.compacted|000001-000002.age" ]
	run -0 rso-case verify
	[ "${lines[1]}" = "verify: 1 segments, every record and opinion in one" ]
	# A merged segment the store never recorded, over recorded ones.
	rso-collect add --type note RSO-2026-000001 "$DATA/roster.jsonl" >/dev/null
	cp "$RSO_HOME/archives/RSO-2026-000001/000003.age" "$RSO_HOME/archives/RSO-2026-000001/000001-000003.age"
	run -65 --separate-stderr rso-case verify
	[ "$stderr" = "rso-case: RSO-2026-000001: segment 000001-000003.age: not recorded, but replaces recorded segments" ]
}

@test "rso-case: verify recomputes each stored fact from the events and names the first that differs" {
	init_with_key
	ready_case 1
	# An amended request, with text beyond ASCII: the intake is the amended one.
	jq -c '.ref="t-1" | .patient.name="Zoë Ünïcode Testperson" | .patient.region="Nuevo León" | .amend=true' "$DATA/request.json" | rso-intake >/dev/null
	ready_case 2
	cp -a "$RSO_HOME" pristine
	run -0 rso-case verify
	forged() {
		rm -rf "$RSO_HOME"
		cp -a pristine "$RSO_HOME"
		sqlite3 "$RSO_HOME/rso.db" "$1"
		run -65 --separate-stderr rso-case verify
		[ "$stderr" = "rso-case: $2" ] || { echo "$1: $stderr" >&2; return 1; }
	}
	forged "update cases set intake = replace(intake, 'Testperson', 'Forged') where id = 'RSO-2026-000001'" \
	    "case RSO-2026-000001: intake does not follow from its events"
	forged "update cases set intake_hash = '$(printf '%064d' 0)' where id = 'RSO-2026-000002'" \
	    "case RSO-2026-000002: intake_hash does not follow from its events"
	forged "update cases set specialty = 'dermatology' where id = 'RSO-2026-000002'" \
	    "case RSO-2026-000002: specialty does not follow from its events"
	forged "update cases set region = 'Nuevo Leon' where id = 'RSO-2026-000001'" \
	    "case RSO-2026-000001: region does not follow from its events"
	forged "update cases set created = '2020-01-01T00:00:00Z' where id = 'RSO-2026-000001'" \
	    "case RSO-2026-000001: created does not follow from its events"
	forged "update cases set status_at = '2020-01-01T00:00:00Z' where id = 'RSO-2026-000002'" \
	    "case RSO-2026-000002: status_at does not follow from its events"
	forged "update cases set held_from = 'ready' where id = 'RSO-2026-000002'" \
	    "case RSO-2026-000002: held_from does not follow from its events"
	forged "update segments set size = size + 1 where case_id = 'RSO-2026-000002'" \
	    "case RSO-2026-000002: segment 000001.age does not follow from its events"
	forged "insert into records (case_id, item, name, segment, type, sha256, media_type, size, added) select case_id, 2, 'records/0002-x.txt', segment, type, '$(printf '%064d' 0)', media_type, size, added from records where case_id = 'RSO-2026-000001'" \
	    "case RSO-2026-000001: record 0002 does not follow from its events"
	forged "update records set name = 'records/0007-other.txt' where case_id = 'RSO-2026-000002'" \
	    "case RSO-2026-000002: record 0001 does not follow from its events"
	forged "update consents set providers = '[\"*\"]' where case_id = 'RSO-2026-000001'" \
	    "case RSO-2026-000001: consent 1 does not follow from its events"
	seq=$(sqlite3 pristine/rso.db "select event_seq from consents where case_id = 'RSO-2026-000002'")
	forged "delete from consents where case_id = 'RSO-2026-000002'" \
	    "case RSO-2026-000002: consent event $seq does not follow from its events"
	# The counts the monthly report reads, against the cases they count.
	forged "update case_status_counts set cases = cases + 1 where status = 'ready'" \
	    "status ready: count does not follow from the cases"
	forged "insert into case_status_counts values ('closed', 3)" \
	    "status closed: count does not follow from the cases"
	forged "delete from case_status_counts" \
	    "status ready: count does not follow from the cases"
}

@test "rso-case: list, show, log, verify and rso-report read a read-only copy, as a user who cannot write it" {
	init_with_key
	ready_case 1
	rso-collect cat RSO-2026-000001 1 >/dev/null
	ro=$(mktemp -d /tmp/rso-ro.XXXXXX)
	RO_COPY=$ro
	chmod 755 "$ro"
	rso-case backup -q "$ro/store"
	if [ "$(id -u)" -eq 0 ]; then
		# Root may write anything: read as a throw-away unprivileged user.
		id rsoreader >/dev/null 2>&1 ||
		    useradd --system --no-create-home --shell /usr/sbin/nologin rsoreader
		chown -R rsoreader "$ro/store"
		as_reader() { runuser -u rsoreader -- env PATH="$PATH" RSO_SHARE="$RSO_SHARE" RSO_NOW="$RSO_NOW" RSO_HOME="$ro/store" "$@"; }
	else
		as_reader() { RSO_HOME="$ro/store" "$@"; }
	fi
	chmod -R a-w "$ro/store"
	find "$ro/store" -exec stat -c '%n %s %Y' {} + | sort >before
	run -0 --separate-stderr as_reader rso-case list
	[ "$(jq -r .case <<<"$output")" = RSO-2026-000001 ]
	run -0 as_reader rso-case show RSO-2026-000001
	run -0 as_reader rso-case log RSO-2026-000001
	[ "$(jq -r .type <<<"$output" | tail -n 1)" = records.read ]
	run -0 as_reader rso-case verify --head "$(cat "$ro/store/head")"
	[ "${lines[1]}" = "verify: 1 segments, every record and opinion in one" ]
	run -0 as_reader rso-report monthly --month 2026-10
	# A verb that writes says it cannot, and nothing in the copy changed.
	run -73 --separate-stderr as_reader rso-case hold RSO-2026-000001
	find "$ro/store" -exec stat -c '%n %s %Y' {} + | sort >after
	diff before after
}

@test "rso-case: show, list and log -f text print no control character a terminal would obey" {
	cases 1
	# Text stored before control characters were refused at input.
	sqlite3 "$RSO_HOME/rso.db" "update cases set ref = 't' || char(27) || '[2J', intake = json_set(intake, '\$.patient.name', 'Test' || char(27) || ']0;x' || char(7) || 'Alpha' || char(13))"
	for verb in "show -f text RSO-2026-000001" "list -f text" "log -f text RSO-2026-000001"; do
		run -0 rso-case $verb
		run -1 bash -c "rso-case $verb | tr -d '\n\t' | LC_ALL=C grep -c '[[:cntrl:]]'"
		assert_output 0
	done
	run -0 rso-case show -f text RSO-2026-000001
	assert_line --index 2 --partial "Test?]0;x?Alpha?, born"
}

@test "rso-case: a reader waits for a writer's lock instead of failing" {
	cases 1
	# A writer holding the database alone for a moment, as a checkpoint
	# does when the writer before it in a pipe closes.
	sqlite3 "$RSO_HOME/rso.db" "PRAGMA locking_mode = EXCLUSIVE" "BEGIN EXCLUSIVE" \
	    "SELECT count(*) FROM cases" ".shell sleep 1" "COMMIT" >/dev/null &
	sleep 0.3
	run -0 rso-case list
	[ "$(jq -r .case <<<"$output")" = RSO-2026-000001 ]
	wait
	# Busy for longer than the store waits: 75, try again.
	sqlite3 "$RSO_HOME/rso.db" "PRAGMA locking_mode = EXCLUSIVE" "BEGIN EXCLUSIVE" \
	    "SELECT count(*) FROM cases" ".shell sleep 2" "COMMIT" >/dev/null &
	sleep 0.3
	RSO_BUSY_TIMEOUT_MS=200 run -75 --separate-stderr rso-case list
	[ "$stderr" = "rso-case: db: database is locked" ]
	wait
}

@test "rso-case: a case folder holding what rso did not make there: named, never read, never removed" {
	init_with_key
	ready_case 1
	dir="$RSO_HOME/archives/RSO-2026-000001"
	# A FIFO by a segment's name: verify neither blocks nor counts it,
	# compact does not remove it, and nothing is read through it.
	mkfifo "$dir/000009.age"
	run -65 --separate-stderr timeout 20 rso-case verify
	[ "$stderr" = "rso-case: RSO-2026-000001: $dir: 000009.age is a FIFO, not a segment" ]
	run -65 --separate-stderr timeout 20 rso-case compact RSO-2026-000001
	[ "$stderr" = "rso-case: RSO-2026-000001: $dir: 000009.age is a FIFO, not a segment" ]
	[ -p "$dir/000009.age" ]
	run -65 --separate-stderr timeout 20 rso-collect cat RSO-2026-000001 0001
	[ "$stderr" = "rso-collect: RSO-2026-000001: item 0001: $dir: 000009.age is a FIFO, not a segment" ]
	rm "$dir/000009.age"
	# A link by a segment's name, to a real segment elsewhere.
	cp "$dir/000001.age" elsewhere.age
	ln -s "$PWD/elsewhere.age" "$dir/000009.age"
	run -65 --separate-stderr rso-case verify
	[ "$stderr" = "rso-case: RSO-2026-000001: $dir: 000009.age is a symbolic link, not a segment" ]
	rm "$dir/000009.age"
	# A FIFO and a link by the temp files' prefix: left where they are
	# when the case is next locked (a record added).
	mkfifo "$dir/.seg-fifo"
	ln -s "$PWD/elsewhere.age" "$dir/.seg-link"
	run -0 rso-collect add --type pathology --source "Test Hospital" RSO-2026-000001 "$BATS_TEST_TMPDIR/rec-1.txt"
	[ -p "$dir/.seg-fifo" ]
	[ -L "$dir/.seg-link" ]
	[ -e elsewhere.age ]
	rm "$dir/.seg-fifo" "$dir/.seg-link"
	# A link in place of the lock file is never opened (nor created at
	# its target).
	mv "$dir/.lock" lock.saved
	ln -s "$PWD/made-by-link" "$dir/.lock"
	run -65 --separate-stderr rso-collect add --type pathology --source "Test Hospital" RSO-2026-000001 "$BATS_TEST_TMPDIR/rec-1.txt"
	[ "$stderr" = "rso-collect: $dir/.lock: a symbolic link, not a lock file" ]
	[ ! -e made-by-link ]
	rm "$dir/.lock"
	# Nor is a FIFO there waited on.
	mkfifo "$dir/.lock"
	run -65 --separate-stderr timeout 20 rso-collect add --type pathology --source "Test Hospital" RSO-2026-000001 "$BATS_TEST_TMPDIR/rec-1.txt"
	[ "$stderr" = "rso-collect: $dir/.lock: a FIFO, not a lock file" ]
	rm "$dir/.lock"
	mv lock.saved "$dir/.lock"
	# The whole case folder replaced by a link to a faithful copy: not
	# followed, by readers, writers or verify.
	mv "$dir" copy
	ln -s "$PWD/copy" "$dir"
	run -65 --separate-stderr rso-case verify
	[ "$stderr" = "rso-case: RSO-2026-000001: $dir: a symbolic link, not a folder" ]
	run -65 --separate-stderr rso-collect cat RSO-2026-000001 0001
	[ "$stderr" = "rso-collect: RSO-2026-000001: item 0001: $dir: a symbolic link, not a folder" ]
	run -65 --separate-stderr rso-collect add --type pathology --source "Test Hospital" RSO-2026-000001 "$BATS_TEST_TMPDIR/rec-1.txt"
	[ "$stderr" = "rso-collect: $dir: a symbolic link, not a folder" ]
	[ "$(find copy -name '*.age' | wc -l)" -eq 1 ]
	rm "$dir"
	mv copy "$dir"
	run -0 rso-case verify
	run -0 rso-collect cat RSO-2026-000001 0001
	assert_output "Synthetic pathology report 1."
}
