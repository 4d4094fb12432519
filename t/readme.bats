#!/usr/bin/env bats
# README.md is tested: its five-minute tour and its nightly job are taken
# from the README and run as written, today and with the clock in other
# years, and what they promise is checked.  If a README command breaks,
# these tests fail.
load lib

# The indented code block that follows the first line of README.md
# matching the regex $1 (a heading, or the sentence that leads in).
readme_block() {
	awk -v lead="$1" '
		!found && $0 ~ lead { found = 1; next }
		found && /^    / { sub(/^    /, ""); print; inblock = 1; next }
		found && inblock { exit }
	' "$TOP/README.md"
}

# Run the tour in a scratch folder that looks like the top of the source
# tree (build/, share/, scripts/), under bash -e -o pipefail so that any
# failing command fails the test.  After the tour's last line the same
# shell notes the folder the tour made, for the checks.
run_tour() {
	mkdir -p src tmp
	ln -s "$TOP/${RSO_BUILD:-build}" src/build
	ln -s "$TOP/share" src/share
	ln -s "$TOP/scripts" src/scripts
	readme_block '^## A five-minute tour' >tour.sh
	[ "$(wc -l <tour.sh)" -gt 20 ]
	echo 'pwd >"$BATS_TEST_TMPDIR/tour-dir"' >>tour.sh
	unset RSO_HOME RSO_IDENTITY
	if ! (cd src && TMPDIR="$BATS_TEST_TMPDIR/tmp" PATH="$ORIG_PATH" \
	    bash -e -o pipefail ../tour.sh) >tour.out 2>tour.err; then
		tail -5 tour.err
		return 1
	fi
	TOUR=$(cat tour-dir)
	export RSO_HOME="$TOUR/store" RSO_IDENTITY="$TOUR/key.txt"
}

# What the tour promises, with the case ids of the year $1.
check_tour() {
	local year=$1 ada
	ada="RSO-$year-000001"
	# Nothing on stderr but the key and the store being made.
	[ "$(grep -v -e '^Public key: age1' -e '^rso-case: store ready: ' tour.err)" = '' ]
	# Six cases, the second intake changes nothing, Ada's case delivered.
	run -0 rso-case list
	[ "$(jq -sc '[.[] | .case]' <<<"$output")" = "$(jq -nc --arg y "$year" '[range(1;7) | "RSO-\($y)-00000\(.)"]')" ]
	[ "$(grep -c '"existing":true' tour.out)" -ge 6 ]
	[ "$(rso-case show "$ada" | jq -r .status)" = delivered ]
	# Consents and record requests found their cases by ref.
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from consents")" -eq 5 ]
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from record_requests")" -eq 5 ]
	# The CD went to Ada's case: one study of five instances.
	run -0 rso-collect ls "$ada"
	[ "$(jq -s '[.[] | select(.study)] | .[0].instances' <<<"$output")" -eq 5 ]
	# Every payment found its invoice; the books balance.
	[ "$(grep -c '"payment":"pi_3Q0demo' tour.out)" -eq 5 ]
	[ "$(rso-bill check | jq -r .balanced)" = true ]
	# The monthly report has the month's figures, not zeros.
	grep -Eq '^  new requests +6 ' tour.out
	grep -Eq '^  opinions delivered +1 ' tour.out
	grep -Eq '^  collected +3850\.00 ' tour.out
	grep -q '<svg' "$TOUR/report.html"
	# The export folder the tour made holds Ada's opinion as HL7 v2.
	run -0 ls "$TOUR/ehr"
	[[ "$output" == "$ada-primary-"*.hl7 ]]
	[ "$(head -c 4 "$TOUR/ehr/$output")" = 'MSH|' ]
	# verify passed, and age and tar alone list the first segment.
	grep -q '^verify: .* chain intact' tour.out
	grep -Eq '^-rw------- .* case\.json$' tour.out
	grep -Eq '^-rw------- .* records/0001-pathology-lakeside-test-hospital\.xml$' tour.out
	# The records came as other hospitals send them, each to its case
	# by the patient it names: a C-CDA and its view, an HL7 v2 message,
	# a Direct message's XDM zip, a FHIR Bundle and what it carried.
	[ "$(rso-collect ls "$ada" | jq -sc '[.[] | select(.item) | .media_type]')" = '["text/xml","text/html"]' ]
	[ "$(rso-collect ls "RSO-$year-000002" | jq -r .media_type)" = application/hl7-v2 ]
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select case_id from events where type = 'records.submission'")" = "RSO-$year-000003" ]
	[ "$(rso-collect ls "RSO-$year-000005" | jq -sc '[.[] | .media_type] | sort')" = '["application/fhir+json","text/plain"]' ]
}

# PATH without the source tree's programs that t/lib.bash put first: the
# README's own lines must find them.
local_setup() {
	ORIG_PATH=${PATH#"$TOP/${RSO_BUILD:-build}/bin:$TOP/scripts:"}
	[ "$ORIG_PATH" != "$PATH" ]
}

@test "README: the five-minute tour runs as written today" {
	unset RSO_NOW
	run_tour
	check_tour "$(date -u +%Y)"
}

@test "README: the five-minute tour runs as written in January 2027" {
	export RSO_NOW=2027-01-15T10:00:00Z
	run_tour
	check_tour 2027
	grep -Eq '^RSO-2027-000001 +delivered +2027-01-15' tour.out
}

@test "README: the five-minute tour runs as written in June 2031" {
	export RSO_NOW=2031-06-01T08:00:00Z
	run_tour
	check_tour 2031
}

@test "README: the nightly job's lines run as written after the tour" {
	export RSO_NOW=2027-01-15T10:00:00Z
	run_tour
	# A second case delivered and a third in review, by the same tools.
	rso-assign RSO-2027-000002 RSO-2027-000003 >/dev/null
	rso-assign accept RSO-2027-000002 RSO-2027-000003 >/dev/null
	rso-opinion record --outcome confirmed --file "$TOP/share/examples/opinions/web-2026-0002.md" RSO-2027-000002 >/dev/null
	rso-opinion deliver RSO-2027-000002 >/dev/null
	# What an operator sets up: mail settings, a sendmail, the folders.
	jq '.mail = {"from":"rso@hospital.example","fax_gateway":"{fax}@fax.hospital.example"}' \
	    "$RSO_HOME/config.json" >config.json && mv config.json "$RSO_HOME/config.json"
	mkdir -p outbox drop ehr-inbox
	printf '#!/bin/sh\ncat >"%s/outbox/$(date +%%s%%N)-$$.eml"\n' "$PWD" >sendmail
	chmod +x sendmail
	export SENDMAIL="$PWD/sendmail" RSO_INBOX="$PWD/drop" RSO_EHR_INBOX="$PWD/ehr-inbox"
	echo "Synthetic neurology note." >drop/bayview-more.txt
	echo '{"ref":"web-2026-0003","type":"note","source":"Bayview Test Neurology"}' >drop/bayview-more.txt.json
	# Dropped during the day: settled by the night (the inbox takes an
	# entry once it has not changed for a minute, by the real clock).
	touch -d '-10 minutes' drop/bayview-more.txt drop/bayview-more.txt.json
	# Thirteen days on: follow-ups due, a review due within 2 days, the
	# opinions delivered unread.
	export RSO_NOW=2027-01-28T02:00:00Z
	readme_block '^A nightly job reads like this' >nightly.txt
	[ "$(wc -l <nightly.txt)" -eq 6 ]
	n=0
	while IFS= read -r line; do
		n=$((n + 1))
		# Each line alone, as cron would: exit 0 and nothing on stderr.
		run --separate-stderr bash -e -o pipefail -c "$line" </dev/null
		if [ "$status" -ne 0 ] || [ -n "$stderr" ]; then
			echo "line $n: $line: exit $status: $stderr"
			return 1
		fi
		printf '%s\n' "$output" >"nightly-$n.out"
	done <nightly.txt
	# 1: follow-ups for the requests no record has answered, mailed and
	# recorded.
	[ "$(jq -s '[.[] | select(.recorded)] | length' nightly-1.out)" -ge 3 ]
	[ "$(grep -l '^Subject: Records request REQ-' outbox/* | wc -l)" -ge 3 ]
	# 2: the dropped note filed to case 3 by its sidecar's ref.
	[ "$(jq -r '.case' nightly-2.out)" = RSO-2027-000003 ]
	run -0 ls drop
	assert_output ''
	# 3: every case past ready was invoiced in the tour: nothing new, and
	# the step's mark is set, so the next night reads only what follows.
	[ "$(jq -s length nightly-3.out)" -eq 0 ]
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*) from step_marks where step = 'rso-bill invoice'"
	assert_output 1
	# 4: the review of case 3 is due within 2 days: its specialist is told.
	[ "$(jq -r .case nightly-4.out)" = RSO-2027-000003 ]
	grep -l '^To: ito@hospital.example' outbox/* >/dev/null
	# 5: the delivered opinions not yet read: both recipients of each.
	[ "$(jq -sc '[.[] | .case] | unique' nightly-5.out)" = '["RSO-2027-000001","RSO-2027-000002"]' ]
	# 6: both opinions into the EHR's folder: case 1 went out in the tour,
	# but to the tour's folder, and "once" is per destination.
	run -0 ls ehr-inbox
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == RSO-2027-000001-primary-*.hl7 ]]
	[[ "${lines[1]}" == RSO-2027-000002-primary-*.hl7 ]]
	[ "$(jq -s '[.[] | select(.existing)] | length' nightly-6.out)" -eq 0 ]
	# The marks, as the README shows them, then one forgotten.
	readme_block '^Each `--new` step keeps a mark' >marks.txt
	[ "$(wc -l <marks.txt)" -eq 2 ]
	last=$(sqlite3 "$RSO_HOME/rso.db" "select max(seq) from events")
	inv=$(sqlite3 "$RSO_HOME/rso.db" "select seq from step_marks where step = 'rso-bill invoice'")
	ehr=$(sqlite3 "$RSO_HOME/rso.db" "select seq from step_marks where step = 'rso-export hl7 $(realpath ehr-inbox)'")
	run -0 --separate-stderr bash -e -c "$(sed -n 1p marks.txt)"
	assert_output "rso-bill invoice: event $inv, $((last - inv)) since
rso-export hl7 $(realpath ehr-inbox): event $ehr, $((last - ehr)) since"
	run -0 --separate-stderr bash -e -c "$(sed -n 2p marks.txt)"
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*) from step_marks where step = 'rso-bill invoice'"
	assert_output 0
}
