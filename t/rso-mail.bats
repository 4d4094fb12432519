#!/usr/bin/env bats
# rso-mail: templates rendered and handed to sendmail -t (a fake one here,
# writing each message to a file: the same interface as the real one).
load lib

local_setup() {
	rso-case init -q
	mkdir -p outbox
	cat >sendmail <<'SH'
#!/bin/sh
# A sendmail that keeps what it is given: checks -t -oi like the real one.
[ "$1" = "-t" ] && [ "$2" = "-oi" ] || exit 64
n=$(ls outbox | wc -l)
cat >"outbox/$((n + 1)).eml"
SH
	chmod +x sendmail
	export SENDMAIL="$PWD/sendmail"
}

@test "rso-mail: a reminder is rendered, handed to sendmail, and passed on" {
	line='{"kind":"review-due","case":"RSO-2026-000001","email":"sp@example.org","name":"Dr Test Gamma","due":"2026-10-15","days_left":3,"role":"primary"}'
	run -0 rso-mail <<<"$line"
	assert_output "${line%\}},\"mailed_to\":\"sp@example.org\"}"
	run -0 cat outbox/1.eml
	assert_line --index 0 "To: sp@example.org"
	assert_line --index 1 "From: rso@localhost"
	assert_line --index 2 "Subject: Second opinion RSO-2026-000001 is due 2026-10-15"
	assert_line --index 3 "Dear Dr Test Gamma,"
}

@test "rso-mail: a fax contact goes through the configured fax gateway" {
	echo '{"mail":{"fax_gateway":"{fax}@fax.example.org","from":"rso@hospital.example"}}' >"$RSO_HOME/config.json"
	run -0 rso-mail <<<'{"kind":"records-followup","case":"RSO-2026-000001","token":"REQ-7K3F9Q","attempt":2,"provider":"Test Clinic","contact":{"fax":"+1 (555) 0100"},"patient":{"name":"Test Alpha","birth_date":"1961-03-01"},"what":"MRI 2026-09"}'
	[ "$(jq -r .mailed_to <<<"$output")" = "+15550100@fax.example.org" ]
	run -0 cat outbox/1.eml
	assert_line --index 0 "To: +15550100@fax.example.org"
	assert_line --index 1 "From: rso@hospital.example"
	assert_output --partial "records of Test Alpha, born 1961-03-01"
}

@test "rso-mail: a value cannot add a header" {
	# A line break in a one-line member is refused before anything is
	# rendered (the shared JSON-lines reader), so nothing is mailed.
	run -65 --separate-stderr rso-mail <<<'{"kind":"review-due","case":"RSO-2026-000001\nBcc: evil@example.org","email":"sp@example.org","name":"x","due":"d","days_left":1,"role":"primary"}'
	[ "$stderr" = "rso-mail: stdin:1: case: control character" ]
	[ -z "$output" ]
	run -0 ls outbox
	assert_output ''
}

@test "rso-mail: bad lines are reported and skipped, the rest are mailed" {
	{
		echo '{"case":"RSO-2026-000001"}'
		echo '{"kind":"no-such-kind","email":"a@example.org"}'
		echo '{"kind":"../../etc/passwd","email":"a@example.org"}'
		echo '{"kind":"review-due","case":"RSO-2026-000001"}'
		echo '{"kind":"review-due","email":"a@example.org, b@example.org"}'
		echo '{"kind":"review-due","case":"RSO-2026-000002","email":"ok@example.org"}'
	} >in.jsonl
	run -65 --separate-stderr rso-mail in.jsonl
	[ "$stderr" = "rso-mail: in.jsonl:1: RSO-2026-000001: kind: missing
rso-mail: in.jsonl:2: kind: no template no-such-kind.txt
rso-mail: in.jsonl:3: kind: not a template name
rso-mail: in.jsonl:4: RSO-2026-000001: no email address or fax gateway for this line
rso-mail: in.jsonl:5: recipient: not one address" ]
	[ "$(jq -r .case <<<"$output")" = RSO-2026-000002 ]
	[ "$(ls outbox)" = 1.eml ]
}

@test "rso-mail: a failing sendmail is exit 69, over a bad line's 65, and the line is not passed on" {
	printf '#!/bin/sh\ncat >/dev/null; exit 1\n' >sendmail
	run -69 --separate-stderr rso-mail <<<'{"kind":"review-due","email":"a@example.org"}
{"kind":"review-due","case":"RSO-2026-000001"}'
	[ "$stderr" = "rso-mail: stdin:1: sendmail failed
rso-mail: stdin:2: RSO-2026-000001: no email address or fax gateway for this line" ]
	[ -z "$output" ]
	run -69 --separate-stderr rso-mail <<<'{"kind":"review-due","email":"a@example.org"}'
	[ "$stderr" = "rso-mail: stdin:1: sendmail failed" ]
	[ -z "$output" ]
}

@test "rso-mail: -n prints the message instead of sending it, and passes nothing on" {
	run -0 --separate-stderr rso-mail -n <<<'{"kind":"review-overdue","case":"RSO-2026-000003","email":"a@example.org","name":"Dr Test","due":"2026-10-01","role":"primary"}'
	assert_line --index 2 "Subject: Second opinion RSO-2026-000003 is overdue"
	refute_output --partial '"mailed_to"'
	[ -z "$stderr" ]
	[ -z "$(ls outbox)" ]
}

@test "rso-mail: --help and --version on stdout, an unknown option is 64, each doing nothing" {
	run -0 --separate-stderr rso-mail --help <<<'{"kind":"review-due","email":"a@example.org"}'
	assert_line --index 0 "usage: rso-mail [-nq] [-H home] [file ...]"
	[ -z "$stderr" ]
	run -0 rso-mail --version
	assert_output "rso-mail 0.1.0"
	run -64 --separate-stderr rso-mail --bogus <<<'{"kind":"review-due","email":"a@example.org"}'
	[ "${stderr_lines[1]}" = "usage: rso-mail [-nq] [-H home] [file ...]" ]
	[ -z "$output" ]
	[ -z "$(ls outbox)" ]
}

@test "rso-mail: nothing from a line is on a command line; one process a line" {
	# A sendmail slow enough to be seen: every process's command line
	# sampled meanwhile holds no value from the lines.  The values are
	# this test's own, so that another test suite running on the same
	# machine (its command lines are sampled too) never matches them.
	cat >sendmail <<'SH'
#!/bin/sh
echo "$$" >>pids
sleep 0.3
cat >/dev/null
SH
	for n in 1 2 3; do
		echo "{\"kind\":\"records-followup\",\"case\":\"RSO-2026-00000$n\",\"token\":\"REQ-SECRET$n\",\"attempt\":1,\"provider\":\"Test Clinic\",\"contact\":{\"email\":\"clinic$n@secret-mail.example\"},\"patient\":{\"name\":\"Test Secretname\",\"birth_date\":\"1903-07-29\"},\"what\":\"MRI\"}"
	done >in.jsonl
	rso-mail in.jsonl >out.jsonl &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\0' ' ' >>cmdlines || true
		sleep 0.05
	done
	wait "$pid"
	[ "$(wc -l <out.jsonl)" -eq 3 ]
	grep -q 'sendmail -t -oi' cmdlines
	run grep -E 'Secretname|1903-07-29|secret-mail|REQ-SECRET' cmdlines
	assert_failure
	# One sendmail a line, nothing else started per line.
	[ "$(wc -l <pids)" -eq 3 ]
}

@test "rso-mail: a missing file is exit 66" {
	run -66 --separate-stderr rso-mail nosuch.jsonl
	[ "$stderr" = "rso-mail: nosuch.jsonl: No such file or directory" ]
}

@test "rso-mail: no patient data on the command line or in the environment of any process it runs" {
	# A sendmail that takes its time, so the run lasts while it is watched.
	cat >sendmail <<'SH'
#!/bin/sh
[ "$1" = "-t" ] && [ "$2" = "-oi" ] || exit 64
cat >"outbox/$(date +%s%N).eml"
sleep 0.2
SH
	# Values no other test uses, so a match can only be this run's.
	name="Zqx$$ Samplepatient" birth="1911-11-$((10 + RANDOM % 18))" email="zqx$$@patient.example"
	for i in 1 2 3 4 5 6; do
		jq -cn --arg n "$name" --arg b "$birth" --arg e "$email" --arg i "$i" \
		    '{kind: "records-followup", case: "RSO-2026-000001", token: "REQ-7K3F9Q",
		      attempt: ($i | tonumber), provider: "Test Clinic", contact: {method: "email", email: $e},
		      patient: {name: $n, birth_date: $b}, what: "MRI"}'
	done >lines.jsonl
	# Every process's command line and environment, over and over, until
	# the run is done.
	(
		while [ ! -e done ]; do
			cat /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null | tr '\0' '\n'
		done >seen
	) &
	sampler=$!
	run -0 rso-mail lines.jsonl
	touch done
	wait "$sampler"
	[ "$(ls outbox | wc -l)" -eq 6 ]
	grep -q "records of $name, born $birth" outbox/*.eml
	# The watch saw the run: the sleeping sendmail's command line.
	grep -qx -- "$PWD/sendmail" seen
	run -1 grep -cF -e "$name" -e "$birth" -e "$email" seen
	assert_output 0
}
