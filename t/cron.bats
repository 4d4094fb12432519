#!/usr/bin/env bats
# scripts/cron: the nightly job is quiet on success, loud on failure, safe
# to re-run and to start twice.
load lib

local_setup() {
	init_with_key
	export PATH="$TOP/scripts/cron:$PATH"
	mkdir -p outbox inbox
	printf '#!/bin/sh\ncat >"%s/outbox/$(date +%%s%%N)-$$.eml"\n' "$PWD" >sendmail
	chmod +x sendmail
	export SENDMAIL="$PWD/sendmail" RSO_INBOX="$PWD/inbox"
	echo '{"fee_gate":"none","mail":{"fax_gateway":"{fax}@fax.example.org","staff":"staff@hospital.example"}}' >"$RSO_HOME/config.json"
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

@test "cron: a failing step is one line naming it; the other steps still run" {
	echo "stray" >inbox/stray.txt
	run -65 --separate-stderr rso-nightly
	[ "$stderr" = "rso-nightly: inbox: rso-collect: $PWD/inbox: entry 1: not DICOM, and no request token or case id in the name or a sidecar (moved to .rejected) (exit 65)" ]
	[ "$(followup_mails)" -eq 3 ]
	# A sendmail that fails: the follow-ups step says so, with its status,
	# and so does the witness step, whose mail of the head did not go.
	printf '#!/bin/sh\necho "sendmail: relay down" >&2\nexit 75\n' >sendmail
	export RSO_NOW=2026-10-09T12:00:00Z
	run -75 --separate-stderr rso-nightly
	[[ "${stderr_lines[0]}" == "rso-nightly: followups: "* ]]
	[ "${stderr_lines[1]}" = "rso-nightly: witness: sendmail: relay down (exit 75)" ]
	[ "${#stderr_lines[@]}" -eq 2 ]
	unset RSO_HOME
	run -1 --separate-stderr rso-nightly
	[[ "$stderr" == *"RSO_HOME is not set" ]]
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
