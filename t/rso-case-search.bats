#!/usr/bin/env bats
# rso-case search and today: finding a patient's case, and what needs a
# person now.  Synthetic patients only.
load lib

local_setup() {
	rso-case init -q
}

# Case n (ref t-n) for the patient named $2, born $3, with the jq change $4.
patient() {
	jq -c ".ref=\"t-$1\" | .patient.name=\"$2\" | .patient.birth_date=\"$3\" | ${4:-.}" \
	    "$DATA/request.json" | rso-intake >/dev/null
}

some_patients() {
	patient 1 "TESTPERSON, Ada" 1961-03-01 '.patient.phone="+1 (555) 010-0100"'
	patient 2 "José Müller-Øre" 1970-12-03 '.patient.email="Jose.Muller@Example.org"'
	patient 3 "Jose Smith" 1961-03-01
	patient 4 "Ådne O'Neil" 1985-07-04 '.requester.phone="+44 20 7946 0000"'
}

# verify refuses the store, naming case $1's search keys as not following
# from its request.
keys_caught() {
	run -65 --separate-stderr rso-case verify
	[ "$stderr" = "rso-case: case $1: search keys do not follow from its request" ]
}

@test "rso-case search: a name in any order, case and mark, finds its case" {
	some_patients
	for q in "ada testperson" "Testperson^Ada" "TESTPERSON, Ada" "testp" "ADA"; do
		run -0 rso-case search "$q"
		[ "$(jq -sc '[.[] | [.case, .ref, .status, .name, .birth_date, .match]]' <<<"$output")" = '[["RSO-2026-000001","t-1","awaiting-consent","TESTPERSON, Ada","1961-03-01",["patient.name"]]]' ]
	done
	run -0 rso-case search ada testperson
	[ "$(jq -r .case <<<"$output")" = RSO-2026-000001 ]
	# José, JOSE and jose are one name; Øre is ore, Ådne adne, O'Neil oneil.
	for q in José JOSE jose JOSÉ; do
		run -0 rso-case search "$q"
		[ "$(jq -sc '[.[].case]' <<<"$output")" = '["RSO-2026-000002","RSO-2026-000003"]' ]
	done
	run -0 rso-case search "jose muller ore"
	[ "$(jq -sc '[.[].case]' <<<"$output")" = '["RSO-2026-000002"]' ]
	run -0 rso-case search "MÜLLER-ØRE"
	[ "$(jq -sc '[.[].case]' <<<"$output")" = '["RSO-2026-000002"]' ]
	run -0 rso-case search adne "o'neil"
	[ "$(jq -sc '[.[].case]' <<<"$output")" = '["RSO-2026-000004"]' ]
	run -0 rso-case search ONEIL ÅDNE
	[ "$(jq -sc '[.[].case]' <<<"$output")" = '["RSO-2026-000004"]' ]
}

@test "rso-case search: a birth date in the store's form and the common ones" {
	some_patients
	for q in 1961-03-01 19610301 1961/03/01 01.03.1961 1.3.1961 01-03-1961; do
		run -0 rso-case search "$q"
		[ "$(jq -sc '[.[] | [.case, .match]]' <<<"$output")" = '[["RSO-2026-000001",["patient.birth_date"]],["RSO-2026-000003",["patient.birth_date"]]]' ]
	done
	# 03/12/1970 is 3 December or 12 March: both are asked; 13/03 is one.
	run -0 rso-case search 03/12/1970
	[ "$(jq -sc '[.[].case]' <<<"$output")" = '["RSO-2026-000002"]' ]
	run -0 rso-case search 12/03/1970
	[ "$(jq -sc '[.[].case]' <<<"$output")" = '["RSO-2026-000002"]' ]
	run -0 rso-case search 7/4/1985
	[ "$(jq -sc '[.[].case]' <<<"$output")" = '["RSO-2026-000004"]' ]
	# A name and a birth date: both must hold.
	run -0 rso-case search jose 1961-03-01
	[ "$(jq -sc '[.[] | [.case, .match]]' <<<"$output")" = '[["RSO-2026-000003",["patient.name","patient.birth_date"]]]' ]
}

@test "rso-case search: a ref, a phone number's last digits, an email" {
	some_patients
	for i in $(seq 5 11); do patient "$i" "Test Filler" 1990-01-01; done
	# t-1 is that ref, not every ref with a word starting 1 (t-10, t-11).
	run -0 rso-case search t-1
	[ "$(jq -sc '[.[] | [.case, .match]]' <<<"$output")" = '[["RSO-2026-000001",["ref"]]]' ]
	run -0 rso-case search T-11
	[ "$(jq -sc '[.[].case]' <<<"$output")" = '["RSO-2026-000011"]' ]
	for q in "+1 (555) 010-0100" "+15550100100" "555 010 0100" "010-0100" "0100100"; do
		run -0 rso-case search "$q"
		[ "$(jq -sc '[.[] | [.case, .match]]' <<<"$output")" = '[["RSO-2026-000001",["patient.phone"]]]' ]
	done
	run -0 rso-case search "020 7946 0000"
	[ "$(jq -sc '[.[] | [.case, .match]]' <<<"$output")" = '[["RSO-2026-000004",["requester.phone"]]]' ]
	run -0 rso-case search JOSE.MULLER@EXAMPLE.ORG
	[ "$(jq -sc '[.[] | [.case, .match]]' <<<"$output")" = '[["RSO-2026-000002",["patient.email"]]]' ]
}

@test "rso-case search: terms 300,000 cases match are grouped on disk, memory flat (under 16 MiB)" {
	# 300,000 cases of one patient's name: search reads only cases and
	# their keys.  Before, what the query grouped stayed in memory: 46 MB
	# here.
	many_cases 1 300000 collecting
	sqlite3 "$RSO_HOME/rso.db" "INSERT INTO case_keys (field, key, case_id)
	    SELECT 'patient.name', w.key, id FROM cases,
	    (SELECT 'test' AS key UNION ALL SELECT 'person') w"
	run -0 --separate-stderr /usr/bin/time -f 'maxrss %M' -o rss.txt rso-case search -n 3 test person
	[ "${#lines[@]}" -eq 3 ]
	[ "$(jq -r .case <<<"${lines[2]}")" = RSO-2026-000003 ]
	[ "$(jq -c .match <<<"${lines[0]}")" = '["patient.name"]' ]
	[ "$stderr" = "rso-case: search: more than 3 cases match; add a term or raise --limit" ]
	rss=$(sed -n 's/^maxrss //p' rss.txt)
	echo "# peak RSS ${rss} KiB" >&3
	grep -q __asan_init "$(command -v rso-case)" || [ "$rss" -lt 16384 ]
}

@test "rso-case search: nothing found is exit 1 and no output, as grep" {
	some_patients
	run -1 --separate-stderr rso-case search nobody
	[ "$output" = "" ]
	[ "$stderr" = "" ]
	run -1 rso-case search ada 1970-12-03
	run -1 rso-case search 2001-01-01
	# Nothing shown, nothing recorded.
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from events where type = 'case.found'")" = 0 ]
}

@test "rso-case search: every case shown is an access on its record, without the terms" {
	some_patients
	RSO_ACTOR=clerk run -0 rso-case search jose
	run -0 rso-case log RSO-2026-000003
	[ "$(jq -sc '[.[] | select(.type == "case.found") | [.actor, .data]]' <<<"$output")" = '[["clerk",{"match":["patient.name"]}]]' ]
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from events where type = 'case.found' and data like '%jose%'")" = 0 ]
	run -0 rso-case verify
	# The privacy officer's access log lists it, with what matched.
	run -0 rso-report access --month 2026-10
	[ "$(jq -c 'select(.action == "case.found" and .case == "RSO-2026-000003") | [.actor, .what]' <<<"$output")" = '["clerk","patient.name"]' ]
}

@test "rso-case search: text for people, and a limit" {
	some_patients
	run -0 rso-case search -f text 1961-03-01
	assert_line --index 0 "RSO-2026-000001  awaiting-consent 1961-03-01 TESTPERSON, Ada (patient.birth_date) t-1"
	assert_line --index 1 "RSO-2026-000003  awaiting-consent 1961-03-01 Jose Smith (patient.birth_date) t-3"
	run -0 --separate-stderr rso-case search --limit 1 1961-03-01
	[ "$(jq -sc '[.[].case]' <<<"$output")" = '["RSO-2026-000001"]' ]
	[ "$stderr" = "rso-case: search: more than 1 cases match; add a term or raise --limit" ]
}

@test "rso-case search: bad terms are usage errors that never echo the term" {
	some_patients
	run -64 --separate-stderr rso-case search ""
	[ "${stderr_lines[0]}" = "rso-case: search: argument 1: empty term" ]
	run -64 --separate-stderr rso-case search ada "  "
	[ "${stderr_lines[0]}" = "rso-case: search: argument 2: empty term" ]
	run -64 --separate-stderr rso-case search "ada" "..."
	[ "${stderr_lines[0]}" = "rso-case: search: argument 2: no letters or digits" ]
	run -64 --separate-stderr rso-case search 1961-13-01
	[ "${stderr_lines[0]}" = "rso-case: search: argument 1: not a date" ]
	run -64 --separate-stderr rso-case search 31/02/1961
	[ "${stderr_lines[0]}" = "rso-case: search: argument 1: not a date" ]
	run -64 --separate-stderr rso-case search "$(printf 'Ada\377')"
	[ "${stderr_lines[0]}" = "rso-case: search: argument 1: not UTF-8" ]
	run -64 --separate-stderr rso-case search
	[ "${stderr_lines[0]}" = "rso-case: search: no term" ]
	run -64 --separate-stderr rso-case search "$(printf 'w%d ' $(seq 1 30))" a b c
	[ "${stderr_lines[0]}" = "rso-case: search: argument 4: more than 32 terms" ]
	run -64 --separate-stderr rso-case search -f csv ada
	[ "${stderr_lines[0]}" = "rso-case: --format: not one of json, text" ]
	run -64 --separate-stderr rso-case search --limit 0 ada
	[ "${stderr_lines[0]}" = "rso-case: --limit: not a number from 1 to 1000" ]
}

@test "rso-case search: a word given twice is one key, and a request of many keys has them all" {
	patient 1 "Ada Ada Testperson" 1961-03-01
	patient 2 "Bo Cy Di Ed Fa Gu Hy Io Jo Ka Lu Testperson" 1970-12-03 '.patient.phone="+1 555 0100" | .requester.phone="555 0101"'
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from case_keys where case_id = 'RSO-2026-000001' and key = 'ada'")" = 1 ]
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from case_keys where case_id = 'RSO-2026-000002'")" = 20 ]
	run -0 rso-case search lu
	[ "$(jq -r .case <<<"$output")" = RSO-2026-000002 ]
	run -0 rso-case verify
	assert_line --index 3 "verify: 2 cases, search keys follow from their requests"
}

@test "rso-case search: an amended request is found by its new name only" {
	some_patients
	jq -c '.ref="t-1" | .amend=true | .patient.name="Ada Renamed" | .patient.birth_date="1961-03-01" | .patient.phone="+1 (555) 010-0100"' \
	    "$DATA/request.json" | rso-intake >/dev/null
	run -1 rso-case search testperson
	run -0 rso-case search renamed
	[ "$(jq -r .case <<<"$output")" = RSO-2026-000001 ]
	run -0 rso-case verify
	assert_line --index 3 "verify: 4 cases, search keys follow from their requests"
}

@test "rso-case verify: search keys that do not follow from the request are caught" {
	some_patients
	sqlite3 "$RSO_HOME/rso.db" "update case_keys set key = 'eve' where case_id = 'RSO-2026-000003' and key = 'jose'"
	keys_caught RSO-2026-000003
	sqlite3 "$RSO_HOME/rso.db" "update case_keys set key = 'jose' where key = 'eve'; delete from case_keys where case_id = 'RSO-2026-000004' and field = 'requester.phone'"
	keys_caught RSO-2026-000004
}

@test "rso-case search: a store made before the index has its cases indexed on open" {
	some_patients
	# As a store of the previous schema: no table, no migration 110 or 111.
	sqlite3 "$RSO_HOME/rso.db" "drop table case_keys; delete from schema_migrations where id in (110, 111)"
	run -0 rso-case search ada
	[ "$(jq -r .case <<<"$output")" = RSO-2026-000001 ]
	run -0 rso-case verify
}

# Turn the store back into one of migration 110's shape (keys by case, an
# index by key), with the rows it has, and without migration 111.
keys_as_of_110() {
	sqlite3 "$RSO_HOME/rso.db" "create table k110 (case_id text not null references cases(id), field text not null, key text not null, primary key (case_id, field, key)) without rowid; insert into k110 select case_id, field, key from case_keys; drop table case_keys; alter table k110 rename to case_keys; create index case_keys_key on case_keys(field, key); delete from schema_migrations where id = 111"
}

# What a few searches find, as one line each.
searches() {
	local q
	for q in ada jose 1961-03-01 "+1 555 010 0100" 7946 jose.muller@example.org t-4; do
		rso-case search "$q" | jq -sc '[.[] | [.case, .match]]'
	done
}

@test "rso-case search: a store of migration 110 is migrated to one B-tree and finds what it found" {
	some_patients
	searches >before
	keys_as_of_110
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from sqlite_master where name = 'case_keys_key'")" = 1 ]
	searches >after
	diff before after
	# The keys are ordered by field and key, with no second B-tree.
	run -0 sqlite3 "$RSO_HOME/rso.db" "select name from sqlite_master where tbl_name = 'case_keys'; select name, pk from pragma_table_info('case_keys') order by pk"
	assert_output "$(printf 'case_keys\nfield|1\nkey|2\ncase_id|3')"
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from schema_migrations where id = 111")" = 1 ]
	run -0 rso-case verify
	assert_line --index 3 "verify: 4 cases, search keys follow from their requests"
}

@test "rso-case search: migration 111 of more keys than SQLite's page cache holds" {
	some_patients
	# 200,000 keys more, far past the 2 MiB page cache, so that SQLite
	# spills pages and journals them while it rebuilds the table.
	sqlite3 "$RSO_HOME/rso.db" "with recursive n(i) as (select 1 union all select i + 1 from n where i < 200000) insert into case_keys (field, key, case_id) select 'patient.name', printf('zz%07d', i), 'RSO-2026-00000' || (1 + i % 4) from n"
	keys_as_of_110
	run -0 --separate-stderr rso-case search ada
	[ "$(jq -r .case <<<"$output")" = RSO-2026-000001 ]
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from case_keys where key glob 'zz*'; pragma integrity_check")" = $'200000\nok' ]
	sqlite3 "$RSO_HOME/rso.db" "delete from case_keys where key glob 'zz*'"
	run -0 rso-case verify
}

@test "rso-case verify: a forged or deleted search key is caught after migration 111" {
	some_patients
	keys_as_of_110
	# A key forged before the migration is carried over, and still caught.
	sqlite3 "$RSO_HOME/rso.db" "insert into case_keys values ('RSO-2026-000002', 'patient.name', 'eve')"
	keys_caught RSO-2026-000002
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from schema_migrations where id = 111")" = 1 ]
	sqlite3 "$RSO_HOME/rso.db" "delete from case_keys where key = 'eve'"
	run -0 rso-case verify
	# And after it: a key deleted, a key forged.
	sqlite3 "$RSO_HOME/rso.db" "delete from case_keys where case_id = 'RSO-2026-000001' and field = 'patient.phone'"
	keys_caught RSO-2026-000001
	sqlite3 "$RSO_HOME/rso.db" "insert into case_keys (field, key, case_id) select field, key, 'RSO-2026-000001' from case_keys where case_id = 'RSO-2026-000004' and field = 'requester.phone'"
	keys_caught RSO-2026-000001
}

@test "rso-case search: migration 112 keeps every key and drops only the reference to cases" {
	some_patients
	sqlite3 "$RSO_HOME/rso.db" "select field, key, case_id from case_keys order by 1, 2, 3" >before
	# Back to 111's table, which names cases(id); then opened again.
	sqlite3 "$RSO_HOME/rso.db" "create table k111 (field text not null, key text not null, case_id text not null references cases(id), primary key (field, key, case_id)) without rowid; insert into k111 select * from case_keys; drop table case_keys; alter table k111 rename to case_keys; delete from schema_migrations where id = 112"
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from pragma_foreign_key_list('case_keys')")" = 1 ]
	run -0 rso-case search ada
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from pragma_foreign_key_list('case_keys')")" = 0 ]
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from schema_migrations where id = 112")" = 1 ]
	sqlite3 "$RSO_HOME/rso.db" "select field, key, case_id from case_keys order by 1, 2, 3" >after
	diff before after
	run -0 rso-case verify
}

@test "rso-case verify: a search key naming no case is caught, as the foreign key did" {
	some_patients
	# Nothing in the table stops it now, even with foreign keys on.
	sqlite3 "$RSO_HOME/rso.db" "pragma foreign_keys = on; insert into case_keys (field, key, case_id) values ('patient.name', 'eve', 'RSO-2026-000009')"
	keys_caught RSO-2026-000009
	sqlite3 "$RSO_HOME/rso.db" "delete from case_keys where case_id = 'RSO-2026-000009'"
	run -0 rso-case verify
	# A case gone with its keys left behind: its events name it first.
	sqlite3 "$RSO_HOME/rso.db" "delete from cases where id = 'RSO-2026-000004'"
	run -65 --separate-stderr rso-case verify
	[ "$stderr" = "rso-case: case RSO-2026-000004: status does not follow from its events" ]
}

@test "rso-case search: an amendment replaces keys made otherwise than its old request gives" {
	some_patients
	# As another release's folding might have made them: "josé" for "jose".
	sqlite3 "$RSO_HOME/rso.db" "update case_keys set key = 'josé' where case_id = 'RSO-2026-000003' and key = 'jose'"
	keys_caught RSO-2026-000003
	jq -c '.ref="t-3" | .amend=true | .patient.name="Jose Smythe" | .patient.birth_date="1961-03-01"' \
	    "$DATA/request.json" | rso-intake >/dev/null
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from case_keys where key in ('josé', 'smith')")" = 0 ]
	run -1 rso-case search smith
	run -0 rso-case search smythe
	[ "$(jq -r .case <<<"$output")" = RSO-2026-000003 ]
	run -0 rso-case verify
	assert_line --index 3 "verify: 4 cases, search keys follow from their requests"
}

# One case of each kind of thing that needs a person, over September; the
# list is asked for on 1 October at noon.
month_of_work() {
	init_with_key
	echo '{"fee_gate":"none"}' >"$RSO_HOME/config.json"
	rso-assign roster "$DATA/roster.jsonl" >/dev/null
	export RSO_NOW=2026-09-01T09:00:00Z
	# 1: records asked of a hospital on 1 September, never chased.
	jq -c '.ref="t-1"' "$DATA/request.json" | rso-intake >/dev/null
	rso-intake consent RSO-2026-000001 --providers "Test Hospital" --expires 2027-06-30 >/dev/null
	rso-collect request RSO-2026-000001 --provider "Test Hospital" --contact "fax:+1 555 0100" --what "MRI" >/dev/null
	# 2: a CD with another patient's study, held back on 5 September.
	RSO_NOW=2026-09-05T10:00:00Z
	jq -c '.ref="t-2"' "$DATA/request.json" | rso-intake >/dev/null
	rso-intake consent RSO-2026-000002 --providers "*" --expires 2027-06-30 >/dev/null
	gen-dicom --study other 'name=DOE^JANE' n=2 >/dev/null
	rso-collect add RSO-2026-000002 other/* >/dev/null
	# 3: ready and assigned on 10 September: the review was due on the 24th.
	RSO_NOW=2026-09-10T08:00:00Z
	ready_case 3
	rso-assign RSO-2026-000003 >/dev/null
	# 4: on hold since 12 September.
	RSO_NOW=2026-09-12T08:00:00Z
	jq -c '.ref="t-4"' "$DATA/request.json" | rso-intake >/dev/null
	rso-case hold -r "patient travelling" RSO-2026-000004 >/dev/null
	# 5: ready and assigned on 19 September: due 3 October.
	RSO_NOW=2026-09-19T09:00:00Z
	ready_case 5
	rso-assign RSO-2026-000005 >/dev/null
	# 6: delivered on 25 September, read by nobody.
	RSO_NOW=2026-09-25T15:00:00Z
	delivered_case 6
	# 7: on hold since 28 September: not long yet.
	RSO_NOW=2026-09-28T08:00:00Z
	jq -c '.ref="t-7"' "$DATA/request.json" | rso-intake >/dev/null
	rso-case hold RSO-2026-000007 >/dev/null
	# An inbox entry no case could take, on 30 September.
	mkdir in
	echo "synthetic" >in/stray.txt
	rso-collect inbox --settle 0 in 2>/dev/null || true
	touch -d 2026-09-30T07:00:00Z in/.rejected/stray.txt.reason
	export RSO_NOW=2026-10-01T12:00:00Z
}

@test "rso-case today: one list of what needs a person, each with its case and since when" {
	month_of_work
	run -0 rso-case today --inbox in
	[ "$(jq -sc '[.[] | [.case, .what, .since]]' <<<"$output")" = '[["RSO-2026-000001","records-followup","2026-09-01T09:00:00Z"],["RSO-2026-000002","study-held","2026-09-05T10:00:00Z"],[null,"inbox-rejected","2026-09-30T07:00:00Z"],["RSO-2026-000003","review-overdue","2026-09-10T08:00:00Z"],["RSO-2026-000005","review-due","2026-09-19T09:00:00Z"],["RSO-2026-000006","opinion-unread","2026-09-25T15:00:00Z"],["RSO-2026-000006","opinion-unread","2026-09-25T15:00:00Z"],["RSO-2026-000004","case-on-hold","2026-09-12T08:00:00Z"]]' ]
	# What to do about each, without the patient's name.
	[ "$(jq -sc '.[0] | [.provider, .attempt, (.token | test("^REQ-"))]' <<<"$output")" = '["Test Hospital",2,true]' ]
	[ "$(jq -sc '.[1] | [.items, .reason, .first_item]' <<<"$output")" = '[2,"patient name does not match the case","0001"]' ]
	[ "$(jq -sc '.[2] | [.inbox, .entry, (.reason | test("no request token"))]' <<<"$output")" = '["in","stray.txt",true]' ]
	[ "$(jq -sc '.[3] | [.role, .specialist, .due, .days_left]' <<<"$output")" = '["primary","sp-okafor","2026-09-24T08:00:00Z",-8]' ]
	[ "$(jq -sc '[.[5,6] | .recipient]' <<<"$output")" = '["patient","referrer"]' ]
	[ "$(jq -sc '.[7].held_from' <<<"$output")" = '"awaiting-consent"' ]
	refute_output --partial "Test Alpha"
}

@test "rso-case today: text for a morning email, counts first, in a stable order" {
	month_of_work
	TZ=UTC run -0 rso-case today -f text --inbox in
	printf "%s\n" "$output" >"$BATS_TEST_TMPDIR/mail.txt"
	diff -u "$DATA/today.txt" <(sed 's/REQ-[A-Z0-9]*/REQ-X/' "$BATS_TEST_TMPDIR/mail.txt")
}

@test "rso-case today: nothing to do is an empty list, and a mail that says so" {
	jq -c '.ref="t-1"' "$DATA/request.json" | rso-intake >/dev/null
	run -0 --separate-stderr rso-case today
	[ "$output" = "" ]
	[ "$stderr" = "" ]
	TZ=UTC run -0 rso-case today -f text
	assert_line --index 0 "rso today, 2026-10-01 12:00: 0 items need a person"
	[ "${#lines[@]}" -eq 9 ]
}

@test "rso-case today: a request past its follow-ups is for staff, and the windows are options" {
	jq -c '.ref="t-1"' "$DATA/request.json" | rso-intake >/dev/null
	rso-intake consent RSO-2026-000001 --providers "*" --expires 2027-06-30 >/dev/null
	rso-collect request RSO-2026-000001 --provider "Test Hospital" --contact "fax:+1 555 0100" --what "MRI" >/dev/null
	for day in 04 07 10; do
		RSO_NOW=2026-10-${day}T12:00:00Z rso-collect due | RSO_NOW=2026-10-${day}T12:00:00Z rso-collect sent >/dev/null
	done
	RSO_NOW=2026-10-13T12:00:00Z run -0 rso-case today
	[ "$(jq -c '[.case, .what, .since, .attempt]' <<<"$output")" = '["RSO-2026-000001","records-escalate","2026-10-10T12:00:00Z",4]' ]
	RSO_NOW=2026-10-11T12:00:00Z run -0 rso-case today
	assert_output ''
	RSO_NOW=2026-10-11T12:00:00Z run -0 rso-case today --older 1d
	[ "$(jq -r .what <<<"$output")" = records-escalate ]
	rso-case hold RSO-2026-000001 >/dev/null
	RSO_NOW=2026-10-02T13:00:00Z run -0 rso-case today --hold 1d
	[ "$(jq -c '[.case, .what, .since]' <<<"$output")" = '["RSO-2026-000001","case-on-hold","2026-10-01T12:00:00Z"]' ]
	RSO_NOW=2026-10-02T12:00:00Z run -0 rso-case today
	assert_output ''
}

@test "rso-case today: bad options and a missing inbox" {
	run -64 --separate-stderr rso-case today --within soon
	[ "${stderr_lines[0]}" = "rso-case: --within: not a duration such as 2d" ]
	run -64 --separate-stderr rso-case today --unread x
	[ "${stderr_lines[0]}" = "rso-case: --unread: not a duration such as 2d" ]
	run -64 --separate-stderr rso-case today RSO-2026-000001
	[ "${stderr_lines[0]}" = "rso-case: today: takes no operands" ]
	run -64 --separate-stderr rso-case today -f csv
	[ "${stderr_lines[0]}" = "rso-case: --format: not one of json, text" ]
	run -66 --separate-stderr rso-case today --inbox nowhere
	[ "$stderr" = "rso-case: nowhere: No such file or directory" ]
	# An inbox that never rejected anything has nothing to say.
	mkdir in
	run -0 rso-case today --inbox in
	assert_output ''
	# A link or a FIFO where a reason should be is not followed or read.
	mkdir in/.rejected
	echo x >in/.rejected/a.txt
	ln -s /etc/passwd in/.rejected/a.txt.reason
	echo x >in/.rejected/b.txt
	mkfifo in/.rejected/b.txt.reason
	run -0 timeout 5 rso-case today --inbox in
	assert_output ''
}

@test "rso-case today: an entry named in bytes that are not UTF-8 is listed by its name made UTF-8" {
	# As a Latin-1 machine names a file: the line once lost its inbox,
	# entry and reason, and the text named no file.
	mkdir in
	echo "synthetic" >in/$'caf\xe9.txt'
	rso-collect inbox --settle 0 in 2>/dev/null || true
	touch -d 2026-09-30T07:00:00Z in/.rejected/$'caf\xe9.txt.reason'
	run -0 rso-case today --inbox in
	[ "$(jq -c '[.what, .inbox, .entry, (.reason | test("no request token"))]' <<<"$output")" = $'["inbox-rejected","in","caf\xef\xbf\xbd.txt",true]' ]
	TZ=UTC run -0 rso-case today -f text --inbox in
	assert_line --partial "in/.rejected/caf"$'\xef\xbf\xbd'".txt: names no patient"
}

@test "rso-case verify: the search keys of 30,000 cases are checked in constant memory" {
	# The check was two set differences, whose temporary tables took
	# 20 MB at 30,000 cases; now a lookup per key and one count.
	awk 'BEGIN { for (i = 1; i <= 30000; i++)
		printf "{\"ref\":\"m-%d\",\"patient\":{\"name\":\"Test Person %d\",\"birth_date\":\"1970-01-01\"},\"specialty\":\"oncology\",\"questions\":[\"Q?\"]}\n", i, i }' |
	    rso-intake >/dev/null
	run -0 /usr/bin/time -f 'maxrss %M' -o rss.txt rso-case verify
	assert_line --index 3 "verify: 30000 cases, search keys follow from their requests"
	rss=$(sed -n 's/^maxrss //p' rss.txt)
	echo "# peak RSS ${rss} KiB" >&3
	# ASan's shadow memory and quarantine are not the program's.
	grep -q __asan_init "$(command -v rso-case)" || [ "$rss" -lt 16384 ]
	# A key no request gave, among them, is still found and named.
	sqlite3 "$RSO_HOME/rso.db" "insert into case_keys (case_id, field, key) values ('RSO-2026-029999', 'patient.name', 'forged')"
	keys_caught RSO-2026-029999
}
