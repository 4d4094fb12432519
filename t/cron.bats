#!/usr/bin/env bats
# scripts/cron: the nightly job is quiet on success, loud on failure, safe
# to re-run and to start twice.
load lib

local_setup() {
	init_with_key
	mkdir -p outbox inbox
	printf '#!/bin/sh\ncat >"%s/outbox/$(date +%%s%%N)-$$.eml"\n' "$PWD" >sendmail
	chmod +x sendmail
	export SENDMAIL="$PWD/sendmail" RSO_INBOX="$PWD/inbox"
	echo '{"fee_gate":"none","inbox":{"settle_seconds":0},"mail":{"fax_gateway":"{fax}@fax.example.org","staff":"staff@hospital.example"}}' >"$RSO_HOME/config.json"
	for n in 1 2 3; do
		jq -c ".ref=\"t-$n\"" "$DATA/request.json" | rso-intake >/dev/null
		rso-intake consent "RSO-2026-00000$n" --providers "*" --expires 2027-06-30 >/dev/null
		rso-collect request "RSO-2026-00000$n" --provider "Test Hospital" --contact "fax:+1 555 010$n" --what "MRI" >/dev/null
	done
	export RSO_NOW=2026-10-05T12:00:00Z
}

# The follow-up mails in the outbox (not the nightly mail of the chain head).
followup_mails() {
	grep -L '^Subject: RSO chain head' outbox/* | wc -l
}

@test "cron: rso-nightly is quiet on success, mails once, and logs what it did" {
	echo "a report" >inbox/RSO-2026-000001-report.txt
	run -0 --separate-stderr rso-nightly
	assert_output ''
	[ "$stderr" = '' ]
	[ "$(followup_mails)" -eq 3 ]
	[ "$(jq -s 'length' "$RSO_HOME"/log/*-followups.jsonl)" -eq 3 ]
	[ "$(jq -r .item "$RSO_HOME"/log/*-inbox.jsonl)" = 0001 ]
	run -0 --separate-stderr rso-nightly
	[ "$stderr" = '' ]
	[ "$(followup_mails)" -eq 3 ]
	run -0 rso-case verify
}

@test "cron: rso-nightly witnesses the chain's head and catches a tail cut since" {
	export RSO_WITNESS="$BATS_TEST_TMPDIR/witness"
	run -0 --separate-stderr rso-nightly
	[ "$stderr" = '' ]
	head=$(cat "$RSO_WITNESS")
	[ "$(rso-case verify | sed -n 's/^verify: head //p')" = "$head" ]
	[ "$(grep -l "^Subject: RSO chain head" outbox/* | xargs grep -c "rso-case verify --head $head")" -eq 1 ]
	grep -q '^To: staff@hospital.example' "$(grep -l "^Subject: RSO chain head" outbox/*)"
	grep -qx "verify: head $head" "$RSO_HOME"/log/*-witness.jsonl
	# The night's last events taken out around the schema.
	n=${head%%:*}
	sqlite3 "$RSO_HOME/rso.db" "drop trigger events_no_delete; delete from events where seq >= $((n - 1))"
	run -65 --separate-stderr rso-nightly
	[ "$stderr" = "rso-nightly: witness: rso-case: head $n: gone (the chain ends at event $((n - 2))) (exit 65)" ]
	# The witness is kept, not overwritten by the cut chain's head.
	[ "$(cat "$RSO_WITNESS")" = "$head" ]
}

@test "cron: two rso-nightly runs at once mail each follow-up exactly once" {
	# One may find the other running: it says so and exits 75.
	twice_at_once rso-nightly "rso-nightly: another run is going"
	rso-nightly
	[ "$(followup_mails)" -eq 3 ]
}

# The store's last event and the mails sent: what "did nothing" compares.
footprint() {
	echo "$(sqlite3 "$RSO_HOME/rso.db" "select max(seq) from events") $(ls outbox | wc -l) $(ls "$RSO_HOME" | tr '\n' ' ')"
}

@test "cron: --help, --version, unknown options and operands do nothing" {
	before=$(footprint)
	run -0 --separate-stderr rso-nightly --help
	assert_line --index 0 "usage: rso-nightly [-nq] [-H home] [--only step,...]"
	[ -z "$stderr" ]
	run -0 rso-nightly --version
	assert_output "rso-nightly 0.1.0"
	run -0 rso-monthly -h
	assert_line --index 0 "usage: rso-monthly [-nq] [-H home] [--month yyyy-mm]"
	run -0 rso-monthly --version
	assert_output "rso-monthly 0.1.0"
	run -64 --separate-stderr rso-nightly --bogus
	[ "${stderr_lines[0]}" = "rso-nightly: unrecognized option '--bogus'" ]
	run -64 --separate-stderr rso-nightly now
	[ "${stderr_lines[0]}" = "rso-nightly: no operands are taken" ]
	run -64 --separate-stderr rso-monthly --month
	[ "${stderr_lines[0]}" = "rso-monthly: option '--month' requires an argument" ]
	run -64 --separate-stderr rso-monthly --month 2026-13
	[ "${stderr_lines[0]}" = "rso-monthly: --month: not a month such as 2026-10" ]
	run -64 --separate-stderr rso-monthly --month 2026-10
	[ "${stderr_lines[0]}" = "rso-monthly: --month: that month has not ended" ]
	[ "$(footprint)" = "$before" ]
	[ ! -e "$RSO_HOME/log" ]
}

@test "cron: -n says what each step would do, and does nothing" {
	echo "a report" >inbox/RSO-2026-000001-report.txt
	before=$(footprint)
	run -0 --separate-stderr rso-nightly -n
	[ -z "$stderr" ]
	assert_line --index 0 "followups: would mail record follow-ups to providers: 3 now"
	assert_line --index 1 "  rso-collect due -q | rso-mail | rso-collect sent -q"
	assert_line --index 2 "inbox: would file the entries of \$RSO_INBOX: 1 now"
	assert_line "ehr-export: skipped: RSO_EHR_INBOX is not set"
	run -0 --separate-stderr rso-monthly -n
	assert_line --index 0 "payouts: would post and pay the month's specialist payouts"
	[ "$(footprint)" = "$before" ]
	[ -e inbox/RSO-2026-000001-report.txt ]
	[ ! -e "$RSO_HOME/log" ]
}

@test "cron: rso-monthly on the 31st closes the month before; --month closes another" {
	export RSO_NOW=2026-10-31T23:00:00Z
	run -0 --separate-stderr rso-monthly
	[ -z "$stderr" ]
	run -0 ls "$RSO_HOME/reports"
	assert_output "audit-2026-09.csv
ledger-2026-09.csv
report-2026-09.html"
	run -0 rso-monthly --month 2026-08
	[ -e "$RSO_HOME/reports/ledger-2026-08.csv" ]
	[ "$(jq -r .period "$RSO_HOME"/log/2026-08-summary.jsonl)" = 2026-08 ]
	export RSO_NOW=2026-11-01T00:00:00Z
	run -0 rso-monthly --month 2026-10
	[ -e "$RSO_HOME/reports/ledger-2026-10.csv" ]
}

@test "cron: a bad line never fails the night: it goes to the staff digest with its case, once a day" {
	# Three files the inbox cannot file, and a request whose contact is
	# an upload by the patient: no one to mail it to.
	for n in 1 2 3; do echo "stray" >"inbox/stray-$n.txt"; done
	RSO_NOW=2026-10-01T12:00:00Z rso-collect request RSO-2026-000002 --provider "Test Portal" --contact upload --what "labs" >/dev/null
	run -0 --separate-stderr rso-nightly
	[ -z "$stderr" ]
	# Three follow-ups by fax, one digest to staff, and the chain's head
	# to staff (the witness step).
	[ "$(ls outbox | wc -l)" -eq 5 ]
	[ "$(grep -l '^Subject: RSO chain head' outbox/* | wc -l)" -eq 1 ]
	digest=$(grep -l '^Subject: .*what needs a person' outbox/*)
	run -0 cat "$digest"
	assert_line --index 2 "Subject: Remote Second Opinion Program: what needs a person after the nightly job of 2026-10-05 (4)"
	assert_line --regexp "^followups: rso-mail: stdin:[1-4]: RSO-2026-000002: no email address or fax gateway for this line$"
	[ "$(grep -c '^inbox: rso-collect: .*: entry [0-9]: names no patient' "$digest")" -eq 3 ]
	# Every message of every step is one JSON line, with its step and case.
	run -0 jq -c '[.step, .case, .exit]' "$RSO_HOME/log/2026-10-05-messages.jsonl"
	assert_output '["followups","RSO-2026-000002",65]
["inbox",null,65]
["inbox",null,65]
["inbox",null,65]'
	run -0 jq -c '[.exit, .done, .needs_person, .steps.followups.done, .steps.inbox.needs_person]' "$RSO_HOME/log/2026-10-05-summary.jsonl"
	# The witness step adds one thing done: the head it kept.
	assert_output '[0,5,4,3,3]'
	# Again the same day: the upload line is still unsendable, but staff
	# were told today already; only the new head is mailed.
	run -0 --separate-stderr rso-nightly
	[ -z "$stderr" ]
	[ "$(ls outbox | wc -l)" -eq 6 ]
	[ "$(grep -l '^Subject: RSO chain head' outbox/* | wc -l)" -eq 2 ]
	[ "$(jq -s 'length' "$RSO_HOME/log/2026-10-05-messages.jsonl")" -eq 5 ]
	# Without mail.staff, what needs a person goes to cron on stderr.
	export RSO_NOW=2026-10-06T12:00:00Z
	echo '{"fee_gate":"none","mail":{"fax_gateway":"{fax}@fax.example.org"}}' >"$RSO_HOME/config.json"
	run -0 --separate-stderr rso-nightly
	[[ "$stderr" =~ ^"rso-nightly: followups: rso-mail: stdin:"[1-4]": RSO-2026-000002: no email address or fax gateway for this line (needs a person)"$ ]]
}

@test "cron: exit codes: 75 only when busy, the failing step's own status otherwise" {
	# Another run holds the lock: 75 at once, nothing done.
	before=$(footprint)
	flock "$RSO_HOME/.nightly.lock" sleep 3 &
	sleep 0.5
	run -75 --separate-stderr rso-nightly
	[ "$stderr" = "rso-nightly: another run is going" ]
	[ "$(footprint)" = "$before" ]
	wait
	# Mail is down: the follow-ups step fails with rso-mail's 69, each
	# message one line naming the step; the other steps still ran.
	printf '#!/bin/sh\necho "sendmail: relay down" >&2\nexit 75\n' >sendmail
	echo "a report" >inbox/RSO-2026-000001-report.txt
	run -69 --separate-stderr rso-nightly
	# The witness step's mail of the head did not go either: said too.
	[ "$(grep -c '^rso-nightly: witness: ' <<<"$stderr")" -eq 2 ]
	stderr=$(grep -v '^rso-nightly: witness: ' <<<"$stderr")
	stderr_lines=()
	mapfile -t stderr_lines <<<"$stderr"
	[ "${#stderr_lines[@]}" -eq 6 ]
	[ "${stderr_lines[0]}" = "rso-nightly: followups: sendmail: relay down (exit 69)" ]
	[[ "${stderr_lines[1]}" =~ ^"rso-nightly: followups: rso-mail: stdin:1: RSO-2026-00000"[123]": sendmail failed (exit 69)"$ ]]
	[ ! -e inbox/RSO-2026-000001-report.txt ]
	[ "$(jq -r .exit "$RSO_HOME/log/2026-10-05-summary.jsonl" | tail -1)" = 69 ]
	# No store: said, 66.
	export RSO_HOME=$PWD/nosuch
	run -66 --separate-stderr rso-nightly
	[[ "$stderr" == "rso-nightly: "*"rso-case init"* ]]
}

@test "cron: the log keeps log.keep_days days and rotates the rest away" {
	jq -c '. + {log: {keep_days: 30}}' "$RSO_HOME/config.json" >c
	mv c "$RSO_HOME/config.json"
	mkdir -p "$RSO_HOME/log"
	touch "$RSO_HOME/log/2026-09-04-followups.jsonl" "$RSO_HOME/log/2026-09-05-followups.jsonl" \
	    "$RSO_HOME/log/2026-08-check.jsonl" "$RSO_HOME/log/2026-09-check.jsonl" \
	    "$RSO_HOME/log/notes.txt"
	run -0 rso-nightly
	run -0 ls "$RSO_HOME/log"
	refute_line 2026-09-04-followups.jsonl
	refute_line 2026-08-check.jsonl
	assert_line 2026-09-05-followups.jsonl
	assert_line 2026-09-check.jsonl
	assert_line notes.txt
	assert_line 2026-10-05-summary.jsonl
	echo '{"log":{"keep_days":0}}' >"$RSO_HOME/config.json"
	run -78 --separate-stderr rso-nightly
	[ "$stderr" = "rso-nightly: config.json: log.keep_days: not a number of days" ]
}

# Reminders sent so far, as "CASE RECIPIENT KIND COUNT" lines.
reminder_counts() {
	sqlite3 -separator ' ' "$RSO_HOME/rso.db" "select case_id, recipient, kind, count(*) from reminders group by 1, 2, 3 order by 1, 2, 3"
}

@test "cron: four nightly runs a day for 60 days remind each recipient by the policy, and stop" {
	rso-assign roster "$DATA/roster.jsonl" >/dev/null
	jq -c '. + {reminders: {unread: {after: ["3d", "7d", "14d"], staff_after: "21d"}}}' "$RSO_HOME/config.json" >c
	mv c "$RSO_HOME/config.json"
	# Opinions delivered on day 0 (2026-10-05 12:00) for cases 4-8;
	# case 8's referrer has no email address.
	for n in 4 5 6 7; do delivered_case "$n"; done
	ready_case 8 'del(.requester.email)'
	rso-assign RSO-2026-000008 >/dev/null
	for sp in $(sqlite3 "$RSO_HOME/rso.db" "select specialist_id from assignments where case_id = 'RSO-2026-000008'"); do
		rso-assign accept --by "$sp" RSO-2026-000008 >/dev/null
	done
	printf '# Opinion 8\n' >op-8.md
	rso-opinion record --outcome confirmed --impact none --file op-8.md RSO-2026-000008 >/dev/null
	rso-opinion deliver RSO-2026-000008 >/dev/null
	unset RSO_INBOX
	for day in $(seq 0 59); do
		d=$(date -u -d "2026-10-05 +$day days" +%F)
		# Day 4: case 7's patient opts out; day 5: case 5's patient
		# reads it; day 10: case 6 is closed.
		case $day in
		4) RSO_NOW=${d}T09:00:00Z rso-opinion optout --by patient RSO-2026-000007 >/dev/null ;;
		5) RSO_NOW=${d}T09:00:00Z rso-opinion ack --by patient RSO-2026-000005 >/dev/null ;;
		10) RSO_NOW=${d}T09:00:00Z rso-case close RSO-2026-000006 >/dev/null ;;
		esac
		for h in 01 07 13 19; do
			RSO_NOW=${d}T$h:00:00Z rso-nightly 2>>night.err || echo "$d $h: exit $?" >>night.err
		done
	done
	run -0 cat night.err
	# Case 8's referrer: nobody to mail, so staff hear of it instead.
	assert_output ''
	run -0 reminder_counts
	assert_output "RSO-2026-000004 patient unread-reminder 3
RSO-2026-000004 patient unread-staff 1
RSO-2026-000004 referrer unread-reminder 3
RSO-2026-000004 referrer unread-staff 1
RSO-2026-000005 patient unread-reminder 1
RSO-2026-000005 referrer unread-reminder 3
RSO-2026-000005 referrer unread-staff 1
RSO-2026-000006 patient unread-reminder 2
RSO-2026-000006 referrer unread-reminder 2
RSO-2026-000007 patient unread-reminder 1
RSO-2026-000007 referrer unread-reminder 3
RSO-2026-000007 referrer unread-staff 1
RSO-2026-000008 patient unread-reminder 3
RSO-2026-000008 patient unread-staff 1
RSO-2026-000008 referrer unread-staff 1"
	# The days they went: 3, 7 and 14 days after delivery, then staff on day 21.
	run -0 sqlite3 "$RSO_HOME/rso.db" "select group_concat(day, ' ') from (select day from reminders where case_id = 'RSO-2026-000004' and recipient = 'patient' order by day)"
	assert_output "2026-10-08 2026-10-12 2026-10-19 2026-10-26"
	# What was mailed matches what was recorded, one mail per reminder.
	[ "$(grep -l '^Subject: Reminder: second opinion RSO-2026-000004 is waiting to be read' outbox/* | wc -l)" -eq 6 ]
	[ "$(grep -l '^Subject: Second opinion RSO-2026-000004: still unread after 3 reminders' outbox/* | wc -l)" -eq 2 ]
	[ "$(grep -l '^To: alpha@example.org' outbox/* | xargs grep -l 'RSO-2026-000007 is waiting' | wc -l)" -eq 1 ]
	# Case 8's referrer went to the staff digest each day from day 3 to
	# day 21 (before 12:00), once a day, and then to staff as unread.
	[ "$(grep -l '^Subject: .*what needs a person after the nightly job' outbox/* | xargs grep -l 'RSO-2026-000008: no email address' | wc -l)" -eq 19 ]
	# Each reminder is an event on its case.
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from events where type = 'reminder.sent'")" -eq "$(sqlite3 "$RSO_HOME/rso.db" "select count(*) from reminders")" ]
	run -0 rso-case verify
}

@test "cron: a review reminder goes once a day, however often the night runs" {
	rso-assign roster "$DATA/roster.jsonl" >/dev/null
	# Ready 2026-10-01 12:00, due two weeks later.
	RSO_NOW=2026-10-01T12:00:00Z ready_case 4
	RSO_NOW=2026-10-01T12:00:00Z rso-assign RSO-2026-000004 >/dev/null
	unset RSO_INBOX
	for d in 2026-10-14 2026-10-16; do
		for h in 01 07 13 19; do
			RSO_NOW=${d}T$h:00:00Z run -0 rso-nightly
		done
	done
	run -0 reminder_counts
	assert_output "RSO-2026-000004 $(sqlite3 "$RSO_HOME/rso.db" "select specialist_id from assignments where case_id = 'RSO-2026-000004'") review-due 1
RSO-2026-000004 $(sqlite3 "$RSO_HOME/rso.db" "select specialist_id from assignments where case_id = 'RSO-2026-000004'") review-overdue 1"
	[ "$(grep -l '^Subject: Second opinion RSO-2026-000004 is due' outbox/* | wc -l)" -eq 1 ]
	[ "$(grep -l '^Subject: Second opinion RSO-2026-000004 is overdue' outbox/* | wc -l)" -eq 1 ]
}

# Run each job line of the crontab $1 as cron does: a bare environment
# (HOME, LOGNAME, SHELL, cron's PATH), the crontab's NAME=value lines
# taken literally, then "/bin/sh -c" on the command with "\%" made "%"
# (an unescaped "%" would cut the line).  Any output fails, as cron
# would mail it.
run_crontab() {
	local line cmd env=(HOME="$PWD" LOGNAME=rso SHELL=/bin/sh PATH=/usr/bin:/bin)
	while IFS= read -r line; do
		case $line in
		'#'* | '') continue ;;
		[A-Z_]*=*) env+=("$line"); continue ;;
		esac
		cmd=$(sed -E 's/^([^ ]+ +){5}//' <<<"$line")
		if [[ $cmd =~ (^|[^\\])% ]]; then echo "unescaped %: $cmd"; return 1; fi
		cmd=${cmd//\\%/%}
		env -i "${env[@]}" /bin/sh -c "$cmd" >cron.out 2>&1 || { echo "exit $?: $cmd"; cat cron.out; return 1; }
		if [ -s cron.out ]; then echo "output: $cmd"; cat cron.out; return 1; fi
	done <"$1"
}

@test "cron: the crontabs in share/ work when pasted, under cron's environment, twice" {
	# Installed as make install would: the programs in PREFIX/bin,
	# /srv/... under this test's folder, and the fake sendmail.  The
	# installed programs would find share/ at their SHAREDIR; here it is
	# RSO_SHARE.
	mkdir -p usr/local/bin srv/rso-inbox srv/backup srv/ehr/inbox srv/rso-key
	cp "$TOP/${RSO_BUILD:-build}"/bin/rso-* usr/local/bin/
	for f in crontab.example crontab-export.example; do
		{ echo "RSO_SHARE=$TOP/share"; sed -e "s|/usr/local/|$PWD/usr/local/|g" -e "s|/srv/|$PWD/srv/|g" \
		    -e "s|/usr/sbin/sendmail|$PWD/sendmail|" "$TOP/share/$f"; } >"$f"
	done
	# The store the crontab names, with cases to export and to follow up.
	export RSO_HOME=$PWD/srv/rso
	cp "$BATS_TEST_TMPDIR/key.txt" srv/rso-key/key.txt
	rso-case init -q -r "$PUBKEY"
	echo '{"fee_gate":"none","mail":{"fax_gateway":"{fax}@fax.example.org","staff":"staff@hospital.example"}}' >"$RSO_HOME/config.json"
	rso-assign roster "$DATA/roster.jsonl" >/dev/null
	delivered_case 1
	jq -c '.ref="t-2"' "$DATA/request.json" | rso-intake >/dev/null
	rso-intake consent RSO-2026-000002 --providers "*" --expires 2027-06-30 >/dev/null
	rso-collect request RSO-2026-000002 --provider "Test Hospital" --contact "fax:+1 555 0102" --what "MRI" >/dev/null
	echo "a report" >srv/rso-inbox/RSO-2026-000002-report.txt
	# Dropped during the day: settled by the night.
	touch -d '-10 minutes' srv/rso-inbox/RSO-2026-000002-report.txt
	for n in 1 2; do
		run -0 run_crontab crontab.example
		run -0 run_crontab crontab-export.example
	done
	# The night ran: the inbox filed, the follow-up mailed once, the
	# export written once, on the host with the key; the month closed;
	# one backup that rso-case verify accepts.
	[ -z "$(ls srv/rso-inbox)" ]
	[ "$(grep -l '^To: +15550102@fax.example.org' outbox/* | wc -l)" -eq 1 ]
	[ "$(ls srv/ehr/inbox | wc -l)" -eq 1 ]
	ls "$RSO_HOME"/reports/ledger-*.csv
	[ "$(ls srv/backup)" = "rso" ]
	RSO_HOME=$PWD/srv/backup/rso run -0 rso-case verify
	[ "$(jq -s 'map(.exit) | unique' "$RSO_HOME"/log/*-summary.jsonl)" = '[
  0
]' ]
}

@test "cron: rso-monthly pays specialists, proves the books and writes the ledger, quietly" {
	rso-bill invoice RSO-2026-000001 RSO-2026-000002 >/dev/null
	echo '{"id":"ch_1","case":"RSO-2026-000001","amount":"950.00"}' | rso-bill pay >/dev/null
	export RSO_NOW=2026-11-01T03:00:00Z
	run -0 --separate-stderr rso-monthly
	[ "$stderr" = '' ]
	assert_output ''
	run -0 cat "$RSO_HOME/reports/ledger-2026-10.csv"
	[ "${#lines[@]}" -eq 7 ]
	grep -q '^<!DOCTYPE html>' "$RSO_HOME/reports/report-2026-10.html"
	grep -q '^total,documents,ledger,ties' "$RSO_HOME/reports/audit-2026-10.csv"
	sum1=$(sha256sum "$RSO_HOME/reports/ledger-2026-10.csv")
	run -0 --separate-stderr rso-monthly
	[ "$(sha256sum "$RSO_HOME/reports/ledger-2026-10.csv")" = "$sum1" ]
	[ "$(jq -s 'length' "$RSO_HOME"/log/2026-10-check.jsonl)" -eq 2 ]
	sqlite3 "$RSO_HOME/rso.db" "update postings set amount = amount + 1 where account = 'cash'"
	run -65 --separate-stderr rso-monthly
	[ "${stderr_lines[0]}" = "rso-monthly: check: rso-bill: check: tx 3: does not balance (+1) (exit 65)" ]
}

# Cases 4-5 ready (to be invoiced) and 6-7 delivered (to be exported),
# besides cases 1-3 waiting on records; records for 1-3 in the inbox.
whole_night() {
	rso-assign roster "$DATA/roster.jsonl" >/dev/null
	for n in 4 5; do ready_case "$n"; done
	for n in 6 7; do delivered_case "$n"; done
	for n in 1 2 3; do echo "report $n" >"inbox/RSO-2026-00000$n-report.txt"; done
	gen-dicom --study inbox/RSO-2026-000001-mri n=3
	mkdir ehr
	export RSO_EHR_INBOX="$PWD/ehr"
}

# What the night did, as counts: records filed, mails, invoices, exports.
night_counts() {
	echo "records $(sqlite3 "$RSO_HOME/rso.db" "select count(*), count(distinct sha256) from records")"
	echo "mails $(followup_mails)"
	echo "invoices $(sqlite3 "$RSO_HOME/rso.db" "select count(*), count(distinct case_id) from invoices")"
	echo "exports $(sqlite3 "$RSO_HOME/rso.db" "select count(*), count(distinct case_id) from exports") $(ls ehr | wc -l)"
}

@test "cron: two whole nights at once file, mail, invoice and export each thing exactly once" {
	whole_night
	twice_at_once rso-nightly "rso-nightly: another run is going"
	# And a third, after: nothing more to do.
	run -0 --separate-stderr rso-nightly
	[ "$stderr" = '' ]
	run -0 night_counts
	# 7 records: 4 filed by hand (cases 4-7), 3 reports and 3 DICOM from
	# the inbox; 3 follow-ups; the 2 ready cases and 2 delivered ones all
	# invoiced; the 2 delivered exported.
	assert_output "records 10|10
mails 3
invoices 4|4
exports 2|2 2"
	run -0 find inbox -mindepth 1 -not -path 'inbox/.rejected' -not -name .rso-inbox.lock
	assert_output ''
	run -0 rso-case verify
	run -0 rso-bill check
}

@test "cron: the ehr-export step looks only at the cases changed since it last ran; a night with nothing new is quiet" {
	whole_night
	run -0 --separate-stderr rso-nightly --only ehr-export
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ "$(jq -r .case "$RSO_HOME/log/2026-10-05-ehr-export.jsonl" | tr '\n' ' ')" = "RSO-2026-000006 RSO-2026-000007 " ]
	[ "$(ls ehr | wc -l)" -eq 2 ]
	# The next night: nothing new, nothing written, nothing logged.
	export RSO_NOW=2026-10-06T02:00:00Z
	before=$(sqlite3 "$RSO_HOME/rso.db" "select max(seq) from events")
	run -0 --separate-stderr rso-nightly --only ehr-export
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ ! -s "$RSO_HOME/log/2026-10-06-ehr-export.jsonl" ]
	[ "$(jq -c '.steps["ehr-export"] | [.exit, .done]' "$RSO_HOME/log/2026-10-06-summary.jsonl")" = '[0,0]' ]
	[ "$(sqlite3 "$RSO_HOME/rso.db" "select max(seq) from events")" = "$before" ]
	[ "$(ls ehr | wc -l)" -eq 2 ]
	# A case delivered during the day: the night after, it alone.
	delivered_case 8
	export RSO_NOW=2026-10-07T02:00:00Z
	run -0 --separate-stderr rso-nightly --only ehr-export
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ "$(jq -c '[.case, .existing]' "$RSO_HOME/log/2026-10-07-ehr-export.jsonl")" = '["RSO-2026-000008",null]' ]
	run -0 sqlite3 "$RSO_HOME/rso.db" "select step from step_marks where step like 'rso-export %'"
	assert_output "rso-export hl7 $(realpath ehr)"
}

@test "cron: the invoice and export steps, twice at once without the job's lock, do each thing once" {
	whole_night
	for n in $(seq 8 30); do ready_case "$n"; done
	twice_at_once 'rso-case list -q --status ready,assigned,in-review,delivered | rso-bill invoice -q'
	twice_at_once 'rso-case list -q --status delivered | rso-export -q --format hl7 --to ehr'
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*), count(distinct case_id) from invoices"
	assert_output "27|27"
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*), count(distinct case_id) from exports"
	assert_output "2|2"
	[ "$(ls ehr | wc -l)" -eq 2 ]
	# The nightly's form, to another folder: the same once.
	mkdir ehr2
	twice_at_once 'rso-export -q --new --format hl7 --to ehr2'
	[ "$(ls ehr2 | wc -l)" -eq 2 ]
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*), count(distinct case_id) from exports where dest = '$(realpath ehr2)'"
	assert_output "2|2"
	run -0 rso-export -q --new --format hl7 --to ehr2
	assert_output ''
	run -0 rso-bill check
	run -0 rso-case verify
}

@test "cron: two month-ends at once pay each specialist once and write whole files" {
	whole_night
	rso-nightly
	export RSO_NOW=2026-11-01T03:00:00Z
	twice_at_once rso-monthly "rso-monthly: another run is going"
	# The two delivered cases' specialists, each posted and paid once.
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*), count(distinct case_id || specialist_id), sum(status = 'paid') from payouts"
	[ "$output" = "$(sqlite3 "$RSO_HOME/rso.db" "select count(*), count(*), count(*) from assignments where status = 'done'")" ]
	[ "${output%%|*}" -ge 2 ]
	run -0 rso-monthly
	run -0 sqlite3 "$RSO_HOME/rso.db" "select count(*) from ledger_tx where kind like 'payout%'"
	[ "$output" = "$(( 2 * $(sqlite3 "$RSO_HOME/rso.db" "select count(*) from payouts") ))" ]
	run -0 find "$RSO_HOME/reports" -name '.tmp.*'
	assert_output ''
	run -0 rso-bill check
}
